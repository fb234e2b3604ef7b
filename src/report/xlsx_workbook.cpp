#include "report/xlsx_workbook.h"

#include <fmt/format.h>
#include <xlsxwriter.h>

#include <algorithm>
#include <memory>
#include <string>
#include <system_error>

namespace suanli {

namespace {

struct WorkbookCloser {
  void operator()(lxw_workbook* w) const {
    if (w != nullptr) workbook_close(w);
  }
};

Error xlsx_error(const std::filesystem::path& file, lxw_error e) {
  return Error{ErrorCode::kIo, fmt::format("cannot write {}: {}", file.string(), lxw_strerror(e))};
}

lxw_error fill_sheet(lxw_workbook* book, lxw_worksheet* ws, const Sheet& s) {
  lxw_format* bold = workbook_add_format(book);
  format_set_bold(bold);
  std::vector<std::size_t> width(s.headers.size(), 8);
  for (std::size_t c = 0; c < s.headers.size(); ++c) {
    if (auto e = worksheet_write_string(ws, 0, static_cast<lxw_col_t>(c), s.headers[c].c_str(), bold))
      return e;
    width[c] = std::max(width[c], s.headers[c].size());
  }
  for (std::size_t r = 0; r < s.rows.size(); ++r) {
    const auto row = static_cast<lxw_row_t>(r + 1);
    for (std::size_t c = 0; c < s.rows[r].size() && c < s.headers.size(); ++c) {
      const auto col = static_cast<lxw_col_t>(c);
      const SheetCell& cell = s.rows[r][c];
      lxw_error e = LXW_NO_ERROR;
      if (const double* d = std::get_if<double>(&cell)) {
        e = worksheet_write_number(ws, row, col, *d, nullptr);
        width[c] = std::max<std::size_t>(width[c], 12);
      } else if (const std::string* t = std::get_if<std::string>(&cell)) {
        e = worksheet_write_string(ws, row, col, t->c_str(), nullptr);
        width[c] = std::max(width[c], std::min<std::size_t>(t->size(), 60));
      }
      if (e) return e;
    }
  }
  for (std::size_t c = 0; c < width.size(); ++c)
    worksheet_set_column(ws, static_cast<lxw_col_t>(c), static_cast<lxw_col_t>(c),
                         static_cast<double>(width[c]) + 2, nullptr);
  worksheet_freeze_panes(ws, 1, 0);
  return LXW_NO_ERROR;
}

}  // namespace

Result<void> write_xlsx(const std::filesystem::path& file, const std::vector<Sheet>& sheets) {
  // libxlsxwriter creates the file only at close, and prints its own error
  // when the folder is missing: make the folder first.
  std::error_code ec;
  if (file.has_parent_path()) std::filesystem::create_directories(file.parent_path(), ec);
  if (ec)
    return std::unexpected(Error{ErrorCode::kIo, fmt::format("cannot create {}: {}",
                                                             file.parent_path().string(), ec.message())});
  std::unique_ptr<lxw_workbook, WorkbookCloser> book(workbook_new(file.string().c_str()));
  if (!book) return std::unexpected(Error{ErrorCode::kIo, fmt::format("cannot create {}", file.string())});
  for (const Sheet& s : sheets) {
    lxw_worksheet* ws = workbook_add_worksheet(book.get(), s.name.substr(0, 31).c_str());
    if (ws == nullptr)
      return std::unexpected(Error{ErrorCode::kIo, fmt::format("cannot add sheet {} to {}", s.name, file.string())});
    if (auto e = fill_sheet(book.get(), ws, s)) return std::unexpected(xlsx_error(file, e));
  }
  const lxw_error closed = workbook_close(book.release());
  if (closed) return std::unexpected(xlsx_error(file, closed));
  return {};
}

}  // namespace suanli

#include "util/table.h"

#include <algorithm>

namespace suanli {

std::size_t display_width(const std::string& text) {
  std::size_t width = 0;
  for (std::size_t i = 0; i < text.size();) {
    const auto c = static_cast<unsigned char>(text[i]);
    std::size_t len = 1;
    if (c >= 0xF0)
      len = 4;
    else if (c >= 0xE0)
      len = 3;
    else if (c >= 0xC0)
      len = 2;
    // Three-byte sequences starting at U+2E80 and above are mostly CJK (wide).
    if (len == 3 && c >= 0xE2 && i + 1 < text.size() &&
        (c > 0xE2 || static_cast<unsigned char>(text[i + 1]) >= 0xBA)) {
      width += 2;
    } else {
      width += 1;
    }
    i += len;
  }
  return width;
}

TextTable::TextTable(std::vector<std::string> header)
    : header_(std::move(header)), right_(header_.size(), false) {}

TextTable::TextTable(std::vector<std::string> header, const Messages& messages)
    : TextTable(std::move(header)) {
  for (auto& h : header_) h = std::string(messages.tr(h));
}

void TextTable::set_right_aligned(const std::vector<std::size_t>& columns) {
  for (auto c : columns) {
    if (c < right_.size()) right_[c] = true;
  }
}

void TextTable::add_row(std::vector<std::string> row) {
  row.resize(header_.size());
  rows_.push_back(std::move(row));
}

std::string TextTable::render() const {
  std::vector<std::size_t> widths(header_.size(), 0);
  for (std::size_t c = 0; c < header_.size(); ++c) widths[c] = display_width(header_[c]);
  for (const auto& row : rows_) {
    for (std::size_t c = 0; c < row.size(); ++c) {
      widths[c] = std::max(widths[c], display_width(row[c]));
    }
  }
  auto cell = [&](const std::string& text, std::size_t c) {
    const std::string pad(widths[c] - display_width(text), ' ');
    return right_[c] ? pad + text : text + pad;
  };
  std::string out;
  auto emit = [&](const std::vector<std::string>& row) {
    std::string line;
    for (std::size_t c = 0; c < row.size(); ++c) {
      if (c) line += "  ";
      line += cell(row[c], c);
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out += line + "\n";
  };
  emit(header_);
  std::vector<std::string> rule;
  for (auto w : widths) rule.emplace_back(w, '-');
  emit(rule);
  for (const auto& row : rows_) emit(row);
  return out;
}

}  // namespace suanli

#include "util/sheet.h"

#include <fmt/format.h>

#include <algorithm>
#include <system_error>

#include "util/files.h"

namespace suanli {

std::string csv_field(const std::string& v) {
  if (v.find_first_of(",\"\n\r") == std::string::npos) return v;
  std::string q = "\"";
  for (char c : v) q += c == '"' ? std::string("\"\"") : std::string(1, c);
  return q + "\"";
}

namespace {

std::string cell_text(const SheetCell& c) {
  if (const double* d = std::get_if<double>(&c)) return fmt::format("{}", *d);
  if (const std::string* s = std::get_if<std::string>(&c)) return csv_field(*s);
  return "";
}

void flatten(const nlohmann::json& v, const std::string& key,
             std::vector<std::pair<std::string, SheetCell>>& out) {
  if (v.is_object()) {
    for (auto it = v.begin(); it != v.end(); ++it)
      flatten(*it, key.empty() ? it.key() : key + "." + it.key(), out);
  } else if (v.is_number()) {
    out.emplace_back(key, v.get<double>());
  } else if (v.is_string()) {
    out.emplace_back(key, v.get<std::string>());
  } else if (v.is_boolean()) {
    out.emplace_back(key, std::string(v.get<bool>() ? "true" : "false"));
  } else if (v.is_array()) {
    std::string joined;
    for (const auto& x : v) {
      if (!joined.empty()) joined += "; ";
      joined += x.is_string() ? x.get<std::string>() : x.dump();
    }
    out.emplace_back(key, joined);
  } else {
    out.emplace_back(key, std::monostate{});
  }
}

}  // namespace

Sheet sheet_from_json_rows(std::string name, const nlohmann::json& rows) {
  Sheet s{std::move(name), {}, {}};
  std::vector<std::vector<std::pair<std::string, SheetCell>>> flat;
  for (const auto& r : rows) {
    flat.emplace_back();
    flatten(r, "", flat.back());
    for (const auto& [k, _] : flat.back())
      if (std::find(s.headers.begin(), s.headers.end(), k) == s.headers.end()) s.headers.push_back(k);
  }
  for (const auto& f : flat) {
    std::vector<SheetCell> row(s.headers.size());
    for (const auto& [k, v] : f)
      row[static_cast<std::size_t>(std::find(s.headers.begin(), s.headers.end(), k) - s.headers.begin())] = v;
    s.rows.push_back(std::move(row));
  }
  return s;
}

std::string sheet_csv(const Sheet& sheet) {
  std::string out;
  for (std::size_t i = 0; i < sheet.headers.size(); ++i)
    out += (i ? "," : "") + csv_field(sheet.headers[i]);
  out += "\n";
  for (const auto& row : sheet.rows) {
    for (std::size_t i = 0; i < row.size(); ++i) out += (i ? "," : "") + cell_text(row[i]);
    out += "\n";
  }
  return out;
}

Result<void> write_sheets_csv(const std::filesystem::path& dir, const std::vector<Sheet>& sheets) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return std::unexpected(Error{ErrorCode::kIo, fmt::format("cannot create {}: {}", dir.string(), ec.message())});
  for (const Sheet& s : sheets) {
    const auto file = dir / (s.name + ".csv");
    if (auto ok = write_file_atomically(file, sheet_csv(s)); !ok) return ok;
  }
  return {};
}

}  // namespace suanli

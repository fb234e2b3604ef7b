// A table for spreadsheets: a name, headers (with units, e.g. "capex (USD)")
// and rows of cells (empty, a number or text). Written as one CSV file per
// sheet (write_sheets_csv, RFC 4180 quoting, numbers at full precision) or
// as one .xlsx workbook with a sheet each (report/xlsx_workbook.h).
#pragma once

#include <filesystem>
#include <string>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

#include "util/error.h"

namespace suanli {

using SheetCell = std::variant<std::monostate, double, std::string>;

struct Sheet {
  std::string name;  // file stem / sheet name: [a-z0-9_-], at most 31 characters
  std::vector<std::string> headers;
  std::vector<std::vector<SheetCell>> rows;  // each as long as headers
};

// A sheet from a JSON array of objects (a command's --json table): one
// column per key in first-seen order, nested objects as dotted keys
// ("interval.tokens_per_s.p10"), arrays of scalars joined with "; ",
// booleans as "true"/"false". The keys carry their units (_s, _usd, _gb).
Sheet sheet_from_json_rows(std::string name, const nlohmann::json& rows);

// One CSV field: as is, or quoted (RFC 4180) when it holds a comma, quote
// or line break.
std::string csv_field(const std::string& v);

// One sheet as CSV text (header line first).
std::string sheet_csv(const Sheet& sheet);

// DIR/<name>.csv for each sheet; creates DIR. Each file is written whole
// (util/files.h) and a failure names the file.
Result<void> write_sheets_csv(const std::filesystem::path& dir, const std::vector<Sheet>& sheets);

}  // namespace suanli

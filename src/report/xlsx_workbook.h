// Sheets (util/sheet.h) as one Excel workbook, the one file that uses
// libxlsxwriter (Debian libxlsxwriter-dev): a sheet per table, bold frozen
// header row, numbers as numbers, column widths fitted to the text.
#pragma once

#include <filesystem>
#include <vector>

#include "util/error.h"
#include "util/sheet.h"

namespace suanli {

Result<void> write_xlsx(const std::filesystem::path& file, const std::vector<Sheet>& sheets);

}  // namespace suanli

// Plain-text table rendering for CLI output (UTF-8 aware column widths).
#pragma once

#include <string>
#include <vector>

#include "util/messages.h"

namespace suanli {

class TextTable {
 public:
  explicit TextTable(std::vector<std::string> header);
  // The headers in the words of `messages` (util/messages.h).
  TextTable(std::vector<std::string> header, const Messages& messages);
  // Columns whose index is listed are right-aligned (numbers).
  void set_right_aligned(const std::vector<std::size_t>& columns);
  void add_row(std::vector<std::string> row);
  std::string render() const;

 private:
  std::vector<std::string> header_;
  std::vector<std::vector<std::string>> rows_;
  std::vector<bool> right_;
};

// Display width of a UTF-8 string (CJK counts as two columns).
std::size_t display_width(const std::string& text);

}  // namespace suanli

// Where a text first differs from its golden file: the line number and
// both lines (a golden is thousands of lines; the whole diff says nothing).
// Shared by the golden tests (simulate_test.cpp, report_document_test.cpp).
#pragma once

#include <sstream>
#include <string>

namespace suanli::testing {

inline std::string first_line_difference(const std::string& got, const std::string& want) {
  std::istringstream a(got), b(want);
  std::string la, lb;
  for (int n = 1;; ++n) {
    const bool more_a = static_cast<bool>(std::getline(a, la));
    const bool more_b = static_cast<bool>(std::getline(b, lb));
    if (!more_a && !more_b) return "no line differs (line endings?)";
    if (!more_a || !more_b || la != lb)
      return "first difference at line " + std::to_string(n) + ":\n  got:    " +
             (more_a ? la.substr(0, 300) : std::string("(end of file)")) + "\n  golden: " +
             (more_b ? lb.substr(0, 300) : std::string("(end of file)"));
  }
}

}  // namespace suanli::testing

// Whether `text` contains `part`: the substring check the tests share (one
// definition, so test files can be compiled together in a unity build).
#pragma once

#include <string_view>

namespace suanli::testing {

inline bool contains(std::string_view text, std::string_view part) {
  return text.find(part) != std::string_view::npos;
}

}  // namespace suanli::testing

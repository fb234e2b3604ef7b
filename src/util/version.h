// The program's version (CMake's project version) and the git revision it
// was built from (written at build time by cmake/git_revision.cmake;
// "unknown" outside a checkout, "-dirty" with uncommitted changes). Every
// output that names the program's version uses these.
#pragma once

#include <string_view>

namespace suanli {

inline constexpr std::string_view kSuanliVersion = SUANLI_VERSION;

std::string_view git_revision();

}  // namespace suanli

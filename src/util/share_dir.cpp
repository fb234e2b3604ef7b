#include "util/share_dir.h"

#include <cstdlib>
#include <system_error>

namespace suanli {

namespace fs = std::filesystem;

fs::path installed_share_dir(const fs::path& executable) {
  if (executable.empty()) return {};
  const fs::path share = executable.parent_path().parent_path() / "share" / "suanli";
  std::error_code ec;
  if (fs::is_directory(share / "data", ec)) return share;
  return {};
}

fs::path share_dir() {
  if (const char* env = std::getenv("SUANLI_SHARE_DIR"); env != nullptr && *env != '\0') {
    return fs::path(env);
  }
  std::error_code ec;
  const fs::path self = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    if (fs::path installed = installed_share_dir(self); !installed.empty()) return installed;
  }
  return fs::path(SUANLI_DEFAULT_SHARE_DIR);
}

fs::path bundled_data_dir() { return share_dir() / "data"; }

}  // namespace suanli

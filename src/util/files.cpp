#include "util/files.h"

#include <fmt/format.h>
#include <unistd.h>

#include <fstream>
#include <system_error>

namespace suanli {

Result<void> write_file_atomically(const std::filesystem::path& path, std::string_view text) {
  const std::filesystem::path tmp =
      path.parent_path() / fmt::format(".{}.tmp-{}", path.filename().string(), ::getpid());
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out.write(text.data(), static_cast<std::streamsize>(text.size()));
    out.close();
    if (!out) {
      std::error_code ec;
      std::filesystem::remove(tmp, ec);
      return fail(ErrorCode::kIo, fmt::format("{}: cannot write", tmp.string()));
    }
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) {
    std::filesystem::remove(tmp, ec);
    return fail(ErrorCode::kIo, fmt::format("cannot rename {} to {}: {}", tmp.string(),
                                            path.string(), ec.message()));
  }
  return {};
}

}  // namespace suanli

// Writing a whole file so that a reader never sees half of it: the text
// goes to a temporary file beside the target (unique per process), which is
// renamed over the target; on failure the temporary is removed and the
// target is untouched.
#pragma once

#include <filesystem>
#include <string_view>

#include "util/error.h"

namespace suanli {

Result<void> write_file_atomically(const std::filesystem::path& path, std::string_view text);

}  // namespace suanli

// Where the bundled files are: the folder holding data/ (the catalog, the
// validation rows, the traces), examples/ and docs/. In order:
//   1. $SUANLI_SHARE_DIR, when set (the one documented override);
//   2. PREFIX/share/suanli, when the running binary is PREFIX/bin/suanli
//      and that folder holds data/ (`make install`);
//   3. the source tree the binary was built from (compiled in).
// An installed binary therefore never reads the source tree, even when it
// is still on disk. `serve --data-dir` is the store's folder, unrelated.
#pragma once

#include <filesystem>

namespace suanli {

// The folder holding data/, examples/ and docs/ (see above).
std::filesystem::path share_dir();

// share_dir() / "data": the bundled catalog, validation rows and traces.
std::filesystem::path bundled_data_dir();

// The share folder an installed binary at `executable` would use:
// executable's folder / .. / share / suanli when it holds data/, else empty.
std::filesystem::path installed_share_dir(const std::filesystem::path& executable);

}  // namespace suanli

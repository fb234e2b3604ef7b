// The embedded store: one SQLite file (WAL journal, synchronous=FULL so a
// committed write survives a crash, foreign keys on, a busy timeout for
// other processes on the same file), one connection behind SqlStore's
// mutex. Store::open("sqlite:PATH") lands here.
#pragma once

#include <filesystem>
#include <memory>
#include <optional>

#include "store/store.h"

namespace suanli::store {

// Opens (creating if missing) the database file and applies the
// migrations up to `target_version` (all by default; tests build old
// databases with a lower one). The parent directory must exist.
Result<std::unique_ptr<Store>> open_sqlite_store(const std::filesystem::path& path,
                                                 std::optional<int> target_version = std::nullopt);

}  // namespace suanli::store

// The embedded store: one SQLite file (WAL journal, synchronous=FULL so a
// committed write survives a crash, foreign keys on, a busy timeout for
// other processes on the same file), one connection behind SqlStore's
// mutex, and the single-writer lock file. Store::open("sqlite:PATH") lands
// here.
#pragma once

#include <filesystem>
#include <memory>
#include <optional>

#include "store/store.h"

namespace suanli::store {

// Opens (creating if missing) the database file and applies the
// migrations up to `target_version` (all by default; tests build old
// databases with a lower one). The parent directory must exist.
// StoreAccess::kWrite first takes the writer lock "<path>.lock" (store.h);
// a write is refused (kIo) once the file at `path` is no longer the one
// opened (deleted or replaced).
Result<std::unique_ptr<Store>> open_sqlite_store(const std::filesystem::path& path,
                                                 std::optional<int> target_version = std::nullopt,
                                                 StoreAccess access = StoreAccess::kWrite);

}  // namespace suanli::store

// The shared-deployment store: PostgreSQL through libpqxx, one connection
// behind SqlStore's mutex (reconnected when it breaks). Compiled only when
// CMake found libpqxx (SUANLI_WITH_POSTGRESQL=1). Store::open lands here
// for "postgresql://…" and "postgres://…" URLs (libpq's connection URIs:
// postgresql://USER[:PASSWORD]@HOST[:PORT]/DB[?host=/socket/dir&…]).
#pragma once

#include <memory>
#include <optional>
#include <string_view>

#include "store/store.h"

namespace suanli::store {

// Connects and applies the migrations up to `target_version` (all by
// default; tests build old databases with a lower one). StoreAccess::kWrite
// first takes the writer lock (store.h) in a session of its own.
Result<std::unique_ptr<Store>> open_pg_store(std::string_view url,
                                             std::optional<int> target_version = std::nullopt,
                                             StoreAccess access = StoreAccess::kWrite);

}  // namespace suanli::store

// The service's current catalog: the bundled data plus the overrides users
// stored through the API. Readers take a snapshot (a shared pointer that
// stays valid while they use it); a catalog change swaps in a new one and
// bumps the version, which caches key on.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>

#include "catalog/catalog.h"

namespace suanli::service {

class CatalogHolder {
 public:
  explicit CatalogHolder(std::shared_ptr<const Catalog> catalog) : catalog_(std::move(catalog)) {}

  struct Snapshot {
    std::shared_ptr<const Catalog> catalog;
    std::uint64_t version = 0;
  };

  Snapshot get() const {
    std::lock_guard lock(mutex_);
    return {catalog_, version_};
  }
  void set(std::shared_ptr<const Catalog> catalog) {
    std::lock_guard lock(mutex_);
    catalog_ = std::move(catalog);
    ++version_;
  }

 private:
  mutable std::mutex mutex_;
  std::shared_ptr<const Catalog> catalog_;
  std::uint64_t version_ = 1;
};

}  // namespace suanli::service

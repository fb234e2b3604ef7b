// The service's current catalog: the bundled data plus the overrides users
// stored through the API. Readers take a snapshot (a shared pointer that
// stays valid while they use it); a catalog change swaps in a new one and
// bumps the version, which caches key on. A user of catalog entries (the
// live fleet) registers a reference check, so that a catalog change that
// would break it (deleting or relabelling a chip it runs) can be refused.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

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

  // What uses an accelerator ID ("pool wuhu-h20", …); empty: nothing.
  using ReferenceCheck = std::function<std::vector<std::string>(std::string_view id)>;
  // One check per owner (a later one of the same owner replaces it);
  // `owner` only identifies it for remove_reference_check.
  void add_reference_check(const void* owner, ReferenceCheck check) {
    std::lock_guard lock(mutex_);
    std::erase_if(checks_, [&](const auto& c) { return c.first == owner; });
    checks_.emplace_back(owner, std::move(check));
  }
  void remove_reference_check(const void* owner) {
    std::lock_guard lock(mutex_);
    std::erase_if(checks_, [&](const auto& c) { return c.first == owner; });
  }
  // Every registered user of `id` (called without the holder's lock held,
  // so a check may take its owner's locks).
  std::vector<std::string> references(std::string_view id) const {
    std::vector<std::pair<const void*, ReferenceCheck>> checks;
    {
      std::lock_guard lock(mutex_);
      checks = checks_;
    }
    std::vector<std::string> out;
    for (const auto& [owner, check] : checks)
      for (std::string& r : check(id)) out.push_back(std::move(r));
    return out;
  }

 private:
  mutable std::mutex mutex_;
  std::shared_ptr<const Catalog> catalog_;
  std::uint64_t version_ = 1;
  std::vector<std::pair<const void*, ReferenceCheck>> checks_;
};

}  // namespace suanli::service

// The bundled catalog (data/), loaded once per benchmark process; null when
// it does not load (the benchmarks then skip with an error).
#pragma once

#include <filesystem>
#include <memory>

#include "catalog/catalog.h"

namespace suanli::bench {

inline const Catalog* bundled_catalog() {
  static const std::unique_ptr<Catalog> c = [] {
    auto loaded = Catalog::load({{std::filesystem::path(SUANLI_SOURCE_DIR) / "data"}});
    return loaded ? std::make_unique<Catalog>(std::move(*loaded)) : nullptr;
  }();
  return c.get();
}

}  // namespace suanli::bench

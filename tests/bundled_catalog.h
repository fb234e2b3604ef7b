// A GoogleTest fixture over the bundled catalog (data/), loaded once per
// test binary; shared by the unit tests that need real chips and models.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <memory>
#include <string>

#include "catalog/catalog.h"

namespace suanli::testing {

class BundledCatalogTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (catalog_) return;
    auto loaded = Catalog::load({{std::filesystem::path(SUANLI_SOURCE_DIR) / "data"}});
    if (loaded) {
      catalog_ = std::make_unique<Catalog>(std::move(*loaded));
    } else {
      load_error_ = loaded.error().message;
    }
  }
  void SetUp() override { ASSERT_NE(catalog_, nullptr) << load_error_; }

  static const Accelerator& accel(const std::string& id) {
    auto a = catalog_->accelerator(id);
    EXPECT_TRUE(a.has_value()) << id;
    return **a;
  }
  static const ModelArch& model(const std::string& id) {
    auto m = catalog_->model(id);
    EXPECT_TRUE(m.has_value()) << id;
    return **m;
  }

  static inline std::unique_ptr<Catalog> catalog_;
  static inline std::string load_error_;
};

}  // namespace suanli::testing

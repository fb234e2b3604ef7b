// The shipped examples stay valid: the user-catalog example loads over the
// bundled data, overrides exactly what it says and adds its chip.
#include <gtest/gtest.h>

#include <filesystem>

#include "catalog/catalog.h"

namespace suanli {
namespace {

TEST(Examples, UserCatalogOverridesOnePriceAndAddsAChip) {
  const std::filesystem::path root(SUANLI_SOURCE_DIR);
  auto base = Catalog::load({{root / "data"}});
  auto merged = Catalog::load({{root / "data", root / "examples" / "my-catalog"}});
  ASSERT_TRUE(base) << base.error().message;
  ASSERT_TRUE(merged) << merged.error().message;
  const Accelerator& before = **base->accelerator("h200-sxm");
  const Accelerator& after = **merged->accelerator("h200-sxm");
  ASSERT_TRUE(after.rental_usd_per_hour);
  EXPECT_DOUBLE_EQ(after.rental_usd_per_hour->value, 2.60);
  EXPECT_EQ(after.rental_usd_per_hour->confidence, Confidence::kVerified);
  EXPECT_NE(after.rental_usd_per_hour->source.find("quote"), std::string::npos);
  // Everything else is the bundled entry's.
  EXPECT_DOUBLE_EQ(after.memory_gb->value, before.memory_gb->value);
  EXPECT_DOUBLE_EQ(after.rate(Precision::kBf16)->value, before.rate(Precision::kBf16)->value);
  EXPECT_EQ(after.price_usd->value, before.price_usd->value);
  // The new chip, with its entry-level placeholder grade on bare figures.
  auto added = merged->accelerator("our-npu-x1");
  ASSERT_TRUE(added) << added.error().message;
  EXPECT_EQ((*added)->origin, "CN");
  EXPECT_EQ((*added)->memory_gb->confidence, Confidence::kPlaceholder);
  EXPECT_FALSE((*added)->supports(Precision::kFp8));
  EXPECT_EQ(merged->accelerators().size(), base->accelerators().size() + 1);
}

}  // namespace
}  // namespace suanli

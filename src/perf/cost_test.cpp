// The one cost basis: ownership per device-hour by part (checked by hand
// from the catalog figures), rental as the labelled alternative, scenario
// prices and levies, and the bundled economics file's figures and errors.
#include "perf/cost.h"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include "bundled_catalog.h"
#include "contains.h"

namespace suanli {
namespace {

using ::suanli::testing::contains;

class CostTest : public testing::BundledCatalogTest {};

TEST_F(CostTest, EveryBundledEconomicsFigureIsSourcedAndInRange) {
  const Economics& e = catalog_->economics();
  ASSERT_TRUE(check_economics(e).has_value()) << check_economics(e).error().message;
  for (const EconomicsKey& k : kEconomicsKeys) {
    const Figure& f = e.*k.member;
    // Loaded from data/economics.toml, not the built-in fallback.
    EXPECT_TRUE(contains(f.origin, "economics.toml")) << k.name << ": " << f.origin;
    EXPECT_FALSE(f.source.empty()) << k.name;
    EXPECT_TRUE(f.low && f.high) << k.name << " has no range";
  }
}

TEST_F(CostTest, OwnershipByPartFromTheCatalogFigures) {
  const Accelerator& a = accel("h200-sxm");
  CostAssumptions c = CostAssumptions::from(catalog_->economics());
  auto h = device_hour_cost(a, c);
  ASSERT_TRUE(h.has_value()) << h.error().message;
  const double price = a.price_usd->value;
  const double crf = capital_recovery_factor(c.cost_of_capital, c.life_years);
  // CRF by hand: r / (1 - (1 + r)^-n).
  double annuity = 0;
  for (int y = 1; y <= static_cast<int>(c.life_years); ++y)
    annuity += 1 / std::pow(1 + c.cost_of_capital, y);
  EXPECT_NEAR(crf, 1 / annuity, 1e-12);
  EXPECT_NEAR(h->capex, price * crf / 8760, 1e-12);
  EXPECT_EQ(h->levy, 0);
  EXPECT_NEAR(h->operations, price * c.operations_fraction / 8760, 1e-12);
  const double node_kw = a.tdp_w->value / 1000 * c.node_power_overhead;
  EXPECT_NEAR(h->facility, node_kw * c.facility_usd_per_kw_month * 12 / 8760, 1e-12);
  EXPECT_NEAR(h->power, node_kw * c.power_load_factor * c.pue * c.tariff_usd_per_kwh, 1e-12);
  EXPECT_NEAR(h->total, h->capex + h->operations + h->facility + h->power, 1e-12);
  // An owner pays less per hour than the market's rental rate.
  EXPECT_LT(h->total, a.rental_usd_per_hour->value);
  EXPECT_FALSE(h->unverified.empty());  // the H200 price is a market estimate

  // A levy scales with the capital part; a scenario's price replaces the catalog's.
  c.levy["h200-sxm"] = 0.25;
  c.price_usd["h200-sxm"] = price * 2;
  auto hl = device_hour_cost(a, c);
  ASSERT_TRUE(hl.has_value());
  EXPECT_NEAR(hl->capex, 2 * h->capex, 1e-12);
  EXPECT_NEAR(hl->levy, 0.25 * hl->capex, 1e-12);
  EXPECT_NEAR(hl->power, h->power, 1e-12);
}

TEST_F(CostTest, RentalIsTheLabelledAlternative) {
  const Accelerator& a = accel("h100-sxm");
  CostAssumptions c = CostAssumptions::from(catalog_->economics());
  c.basis = CostBasis::kRental;
  auto h = device_hour_cost(a, c);
  ASSERT_TRUE(h.has_value());
  EXPECT_DOUBLE_EQ(h->total, a.rental_usd_per_hour->value);
  EXPECT_TRUE(contains(c.describe(), "rental"));
  EXPECT_EQ(parse_cost_basis("ownership"), CostBasis::kOwnership);
  EXPECT_EQ(parse_cost_basis("rental"), CostBasis::kRental);
  EXPECT_FALSE(parse_cost_basis("cheap").has_value());
}

TEST_F(CostTest, AMissingPriceIsAnErrorNamingTheFigure) {
  Accelerator a = accel("h100-sxm");
  a.price_usd.reset();
  auto h = device_hour_cost(a, CostAssumptions::from(catalog_->economics()));
  ASSERT_FALSE(h.has_value());
  EXPECT_TRUE(contains(h.error().message, "price_usd")) << h.error().message;
  DeviceModel d;
  d.accel = &a;
  d.hourly_usd = 9;
  price_device(d, CostAssumptions{});
  EXPECT_EQ(d.hourly_usd, 0);  // unknown, never a stale or made-up figure
}

TEST(CostEconomicsFile, EveryKeyIsDocumented) {
  std::ifstream f(std::filesystem::path(SUANLI_SOURCE_DIR) / "docs" / "catalog-format.md");
  ASSERT_TRUE(f) << "docs/catalog-format.md";
  const std::string doc((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  for (const EconomicsKey& k : kEconomicsKeys) {
    EXPECT_TRUE(contains(doc, "| `" + std::string(k.name) + "` |")) << k.name;
  }
}

TEST(CostEconomicsFile, BadKeysAndRangesAreLocatedErrors) {
  auto load = [](const std::string& text) {
    CatalogOptions o;
    o.texts = {{"econ.toml", text}};
    return Catalog::load(o);
  };
  auto typo = load("[economics]\nlife_yeers = { value = 5, source = \"s\", confidence = \"estimate\" }\n");
  ASSERT_FALSE(typo);
  EXPECT_TRUE(contains(typo.error().message, "econ.toml")) << typo.error().message;
  EXPECT_TRUE(contains(typo.error().message, "life_yeers")) << typo.error().message;
  auto range = load("[economics]\npue = { value = 7, source = \"s\", confidence = \"estimate\" }\n");
  ASSERT_FALSE(range);
  EXPECT_TRUE(contains(range.error().message, "pue")) << range.error().message;
  EXPECT_TRUE(contains(range.error().message, "[1, 3]")) << range.error().message;
  auto unsourced = load("[economics]\npue = 1.2\n");
  ASSERT_FALSE(unsourced);
  EXPECT_TRUE(contains(unsourced.error().message, "source")) << unsourced.error().message;
  // A catalog without the file prices with placeholders that say so.
  auto none = load("");
  ASSERT_TRUE(none) << none.error().message;
  EXPECT_EQ(none->economics().pue.confidence, Confidence::kPlaceholder);
  EXPECT_TRUE(contains(none->economics().pue.source, "fallback"));
  // A later file overrides one key and keeps the rest.
  CatalogOptions o;
  o.directories = {std::filesystem::path(SUANLI_SOURCE_DIR) / "data"};
  o.texts = {{"mine.toml",
              "[economics]\ntariff_usd_per_kwh = { value = 0.05, source = \"our contract\", "
              "confidence = \"verified\" }\n"}};
  auto mine = Catalog::load(o);
  ASSERT_TRUE(mine) << mine.error().message;
  EXPECT_DOUBLE_EQ(mine->economics().tariff_usd_per_kwh.value, 0.05);
  EXPECT_TRUE(contains(mine->economics().pue.origin, "economics.toml"));
}

}  // namespace
}  // namespace suanli

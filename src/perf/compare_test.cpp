// compare_train / compare_infer: baseline-relative figures, unknown IDs and
// budget sizing in whole servers at catalog prices.
#include "perf/compare.h"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "bundled_catalog.h"
#include "contains.h"

namespace suanli {
namespace {

using ::suanli::testing::contains;

CompareSizing by_devices(int n) {
  CompareSizing s;
  s.devices = n;
  return s;
}

CompareSizing by_budget(double usd) {
  CompareSizing s;
  s.budget_usd = usd;
  return s;
}

class CompareTest : public testing::BundledCatalogTest {
 protected:
  static InferWorkload infer_workload() {
    InferWorkload w;
    w.model = **catalog_->model("llama3-70b");
    w.precision = Precision::kBf16;
    w.input_len = 2048;
    w.output_len = 512;
    return w;
  }
  static TrainWorkload train_workload() {
    TrainWorkload w;
    w.model = **catalog_->model("llama3-8b");
    w.seq = 4096;
    w.global_batch = 256;
    w.tokens = 1e11;
    return w;
  }
};

TEST_F(CompareTest, InferBaselineIsOne) {
  auto rows = compare_infer(*catalog_, infer_workload(), {"h200-sxm", "h20"}, by_devices(8));
  ASSERT_TRUE(rows.has_value()) << rows.error().message;
  ASSERT_EQ(rows->size(), 2u);
  const auto& base = (*rows)[0];
  const auto& other = (*rows)[1];
  EXPECT_EQ(base.accelerator, "h200-sxm");
  EXPECT_EQ(other.accelerator, "h20");
  ASSERT_TRUE(base.ok) << base.error;
  ASSERT_TRUE(other.ok) << other.error;
  EXPECT_DOUBLE_EQ(base.relative_speed, 1.0);
  EXPECT_DOUBLE_EQ(base.relative_cost_performance, 1.0);
  EXPECT_EQ(base.devices, 8);
  EXPECT_EQ(other.devices, 8);
  EXPECT_GT(other.relative_speed, 0);
  EXPECT_NEAR(other.relative_speed,
              other.estimate.output_tokens_per_s / base.estimate.output_tokens_per_s, 1e-12);
  // Cost-performance: throughput per dollar-hour, relative to the baseline.
  const double cp_base = base.estimate.output_tokens_per_s / (base.hourly_usd * base.devices);
  const double cp_other = other.estimate.output_tokens_per_s / (other.hourly_usd * other.devices);
  EXPECT_NEAR(other.relative_cost_performance, cp_other / cp_base, 1e-9);
  EXPECT_EQ(base.origin, accel("h200-sxm").origin);
  EXPECT_FALSE(base.eccn_class.empty());
  EXPECT_FALSE(base.china_status.empty());
  // Priced on the one cost basis: ownership, as device_hour_cost gives it.
  EXPECT_EQ(base.cost_basis, "ownership");
  auto hour = device_hour_cost(accel("h200-sxm"), CostAssumptions::from(catalog_->economics()));
  ASSERT_TRUE(hour.has_value());
  EXPECT_DOUBLE_EQ(base.hourly_usd, hour->total);
}

TEST_F(CompareTest, TrainBaselineIsOne) {
  auto rows =
      compare_train(*catalog_, train_workload(), {"a100-sxm-80g", "h100-sxm"}, by_devices(16));
  ASSERT_TRUE(rows.has_value()) << rows.error().message;
  ASSERT_EQ(rows->size(), 2u);
  const auto& base = (*rows)[0];
  const auto& other = (*rows)[1];
  ASSERT_TRUE(base.ok) << base.error;
  ASSERT_TRUE(other.ok) << other.error;
  EXPECT_DOUBLE_EQ(base.relative_speed, 1.0);
  EXPECT_NEAR(other.relative_speed, other.estimate.tokens_per_s / base.estimate.tokens_per_s,
              1e-12);
  EXPECT_GT(other.relative_speed, 1.0);  // H100 beats A100 on the same workload
  EXPECT_TRUE(base.estimate.fits);
  EXPECT_TRUE(other.estimate.fits);
  EXPECT_GT(base.totals.time_to_train_days, 0);
  EXPECT_NEAR(base.totals.time_to_train_days, 1e11 / base.estimate.tokens_per_s / 86400,
              1e-9 * base.totals.time_to_train_days);
}

TEST_F(CompareTest, UnsupportedPrecisionGivesARowErrorNotAFailure) {
  TrainWorkload w = train_workload();
  w.precision = Precision::kFp8;
  auto rows = compare_train(*catalog_, w, {"h100-sxm", "a100-sxm-80g"}, by_devices(8));
  ASSERT_TRUE(rows.has_value()) << rows.error().message;
  ASSERT_EQ(rows->size(), 2u);
  EXPECT_TRUE((*rows)[0].ok) << (*rows)[0].error;
  EXPECT_DOUBLE_EQ((*rows)[0].relative_speed, 1.0);
  EXPECT_FALSE((*rows)[1].ok);
  EXPECT_TRUE(contains((*rows)[1].error, "fp8")) << (*rows)[1].error;
}

TEST_F(CompareTest, UnknownAcceleratorIsAnError) {
  auto rows = compare_infer(*catalog_, infer_workload(), {"h200-sxm", "h2000"}, by_devices(8));
  ASSERT_FALSE(rows.has_value());
  EXPECT_EQ(rows.error().code, ErrorCode::kNotFound);
  EXPECT_TRUE(contains(rows.error().message, "h2000")) << rows.error().message;
  auto trows = compare_train(*catalog_, train_workload(), {"no-such-chip"}, by_devices(8));
  ASSERT_FALSE(trows.has_value());
  EXPECT_EQ(trows.error().code, ErrorCode::kNotFound);
  auto empty = compare_infer(*catalog_, infer_workload(), {}, by_devices(8));
  EXPECT_FALSE(empty.has_value());
}

TEST_F(CompareTest, BudgetBuysWholeServersWithinBudget) {
  const double budget = 2.5e6;
  int checked = 0;
  for (const auto& a : catalog_->accelerators()) {
    if (!a.price_usd) continue;
    auto n = devices_for(a, by_budget(budget));
    const double server = a.price_usd->value * a.node_devices;
    if (server > budget) {
      ASSERT_FALSE(n.has_value()) << a.id;
      EXPECT_EQ(n.error().code, ErrorCode::kInfeasible) << a.id;
      continue;
    }
    ASSERT_TRUE(n.has_value()) << a.id << ": " << n.error().message;
    EXPECT_GT(*n, 0) << a.id;
    EXPECT_EQ(*n % a.node_devices, 0) << a.id;
    EXPECT_LE(*n * a.price_usd->value, budget) << a.id;
    // As many servers as the budget buys: one more would exceed it.
    EXPECT_GT((*n + a.node_devices) * a.price_usd->value, budget) << a.id;
    ++checked;
  }
  EXPECT_GT(checked, 10);
}

TEST_F(CompareTest, BudgetSizingInCompare) {
  const double budget = 3e6;
  auto rows = compare_infer(*catalog_, infer_workload(), {"h200-sxm", "h20", "ascend-910c"},
                            by_budget(budget));
  ASSERT_TRUE(rows.has_value()) << rows.error().message;
  ASSERT_EQ(rows->size(), 3u);
  for (const auto& r : *rows) {
    const Accelerator& a = accel(r.accelerator);
    ASSERT_TRUE(a.price_usd.has_value()) << r.accelerator;
    EXPECT_GT(r.devices, 0) << r.accelerator;
    EXPECT_EQ(r.devices % a.node_devices, 0) << r.accelerator;
    EXPECT_LE(r.devices * a.price_usd->value, budget) << r.accelerator;
  }
  ASSERT_TRUE((*rows)[0].ok) << (*rows)[0].error;
  EXPECT_DOUBLE_EQ((*rows)[0].relative_speed, 1.0);
}

TEST_F(CompareTest, SizingErrors) {
  const Accelerator& a = accel("h200-sxm");
  auto none = devices_for(a, CompareSizing{});
  ASSERT_FALSE(none.has_value());
  EXPECT_EQ(none.error().code, ErrorCode::kInvalidArgument);
  auto zero = devices_for(a, by_devices(0));
  ASSERT_FALSE(zero.has_value());
  EXPECT_EQ(zero.error().code, ErrorCode::kInvalidArgument);
  auto neg_budget = devices_for(a, by_budget(-5));
  ASSERT_FALSE(neg_budget.has_value());
  EXPECT_EQ(neg_budget.error().code, ErrorCode::kInvalidArgument);
  auto tiny = devices_for(a, by_budget(1000));
  ASSERT_FALSE(tiny.has_value());
  EXPECT_EQ(tiny.error().code, ErrorCode::kInfeasible);
  auto fixed = devices_for(a, by_devices(24));
  ASSERT_TRUE(fixed.has_value());
  EXPECT_EQ(*fixed, 24);
  auto bad_devices = compare_infer(*catalog_, infer_workload(), {"h200-sxm"}, by_devices(-8));
  EXPECT_FALSE(bad_devices.has_value());
}

}  // namespace
}  // namespace suanli

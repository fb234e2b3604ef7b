// The plan's robustness pass on a small scenario: the chosen purchases
// re-costed at unchanged inputs reproduce the plan's own cost (the fixed-
// purchase mechanism), each input's ends carry a re-solved optimum no
// worse than the chosen plan there (regret >= 0), inputs come sorted by
// how far they move cost, and a price pushed past a competitor's flips the
// purchase.
#include "plan/robustness.h"

#include <gtest/gtest.h>

#include <string>

#include "bundled_catalog.h"

namespace suanli {
namespace {

const std::string kScenario = R"([plan]
name = "robust"
years = 1

[[site]]
name = "guian"

[[candidate]]
accelerator = "h200-sxm"
assume_available = "a test assumption"

[[candidate]]
accelerator = "ascend-910c"

[[inference]]
name = "chat-8b"
model = "llama3-8b"
input_len = 1000
output_len = 200
output_tokens_per_s = 300000
tpot_slo_ms = 50
)";

class RobustnessTest : public testing::BundledCatalogTest {
 protected:
  static PlanOptions quick() {
    PlanOptions o;
    o.time_limit_s = 20;
    o.policy_costs = false;
    o.marginal_prices = false;
    return o;
  }
};

TEST_F(RobustnessTest, FixedPurchasesReproduceTheChosenCost) {
  auto sc = parse_plan_scenario(kScenario, "robust.toml", *catalog_);
  ASSERT_TRUE(sc) << sc.error().message;
  auto plan = solve_plan(sc->problem, quick());
  ASSERT_TRUE(plan) << plan.error().message;
  ASSERT_NE(plan->status, PlanStatus::kInfeasible);
  ASSERT_FALSE(plan->purchases.empty());
  PlanOptions fixed = quick();
  fixed.fixed_purchases = &plan->purchases;
  auto again = solve_plan(sc->problem, fixed);
  ASSERT_TRUE(again) << again.error().message;
  ASSERT_NE(again->status, PlanStatus::kInfeasible);
  EXPECT_NEAR(again->objective_usd, plan->objective_usd, 1e-3 * plan->objective_usd);
  ASSERT_EQ(again->purchases.size(), plan->purchases.size());
  // Nothing but the fixed purchases: halving them cannot serve the demand.
  std::vector<Purchase> half = plan->purchases;
  for (Purchase& x : half) x.nodes /= 2;
  fixed.fixed_purchases = &half;
  auto short_plan = solve_plan(sc->problem, fixed);
  ASSERT_TRUE(short_plan);
  EXPECT_EQ(short_plan->status, PlanStatus::kInfeasible);
}

TEST_F(RobustnessTest, EndsOfEachRangeWithRegretAndFlips) {
  auto sc = parse_plan_scenario(kScenario, "robust.toml", *catalog_);
  ASSERT_TRUE(sc) << sc.error().message;
  auto plan = solve_plan(sc->problem, quick());
  ASSERT_TRUE(plan) << plan.error().message;
  RobustnessOptions ro;
  ro.time_limit_s = 20;
  ro.relative_gap = 1e-4;
  auto r = plan_robustness(*sc, *plan, *catalog_, ro);
  ASSERT_TRUE(r) << r.error().message;
  ASSERT_FALSE(r->inputs.empty());
  bool price = false, rate = false;
  for (std::size_t i = 0; i < r->inputs.size(); ++i) {
    const RobustnessInput& in = r->inputs[i];
    price = price || in.key.starts_with("price:");
    rate = rate || in.key.starts_with("rate:");
    EXPECT_LE(in.low.value, in.base) << in.key;
    EXPECT_GE(in.high.value, in.base) << in.key;
    if (i > 0) {
      EXPECT_LE(in.swing_usd, r->inputs[i - 1].swing_usd) << "sorted by swing";
    }
    for (const RobustnessCase* c : {&in.low, &in.high}) {
      ASSERT_NE(c->status, PlanStatus::kInfeasible) << in.key << " " << c->side;
      EXPECT_GE(c->regret_usd, 0) << in.key;
      if (c->chosen_cost_usd) {
        EXPECT_GE(*c->chosen_cost_usd, c->cost_usd * (1 - 1e-3)) << in.key << " " << c->side;
      }
    }
    std::printf("  %-18s low %.4g: %.2f M (regret %.2f M)  high %.4g: %.2f M (regret %.2f M)\n",
                in.key.c_str(), in.low.value, in.low.cost_usd / 1e6, in.low.regret_usd / 1e6,
                in.high.value, in.high.cost_usd / 1e6, in.high.regret_usd / 1e6);
  }
  EXPECT_TRUE(price) << "catalog price ranges are inputs";
  EXPECT_TRUE(rate) << "throughput intervals are inputs";
  // A cheaper chip's price at its high end costs more, never less.
  for (const RobustnessInput& in : r->inputs) {
    if (!in.key.starts_with("price:")) continue;
    EXPECT_GE(in.high.cost_usd, r->base_cost_usd * (1 - 1e-3)) << in.key;
    EXPECT_LE(in.low.cost_usd, r->base_cost_usd * (1 + 1e-3)) << in.key;
  }
  const auto j = robustness_json(*r);
  ASSERT_EQ(j["inputs"].size(), r->inputs.size());
  EXPECT_TRUE(j["inputs"][0].contains("low"));
  EXPECT_TRUE(j["inputs"][0]["low"].contains("flips"));
  EXPECT_FALSE(robustness_text(*r).empty());
}

TEST_F(RobustnessTest, APriceBeyondTheCompetitorsFlipsThePurchase) {
  auto sc = parse_plan_scenario(kScenario, "robust.toml", *catalog_);
  ASSERT_TRUE(sc) << sc.error().message;
  auto plan = solve_plan(sc->problem, quick());
  ASSERT_TRUE(plan) << plan.error().message;
  ASSERT_FALSE(plan->purchases.empty());
  const int bought = plan->purchases.front().type;
  // Ten times the bought type's price: the other candidate takes over.
  PlanProblem q = sc->problem;
  q.types[bought].node_price_usd *= 10;
  auto other = solve_plan(q, quick());
  ASSERT_TRUE(other);
  ASSERT_NE(other->status, PlanStatus::kInfeasible);
  for (const Purchase& x : other->purchases) EXPECT_NE(x.type, bought);
  // ... and the chosen purchases, re-costed there, carry the regret.
  PlanOptions fixed = quick();
  fixed.fixed_purchases = &plan->purchases;
  auto chosen = solve_plan(q, fixed);
  ASSERT_TRUE(chosen);
  EXPECT_GT(chosen->objective_usd, other->objective_usd);
}

}  // namespace
}  // namespace suanli

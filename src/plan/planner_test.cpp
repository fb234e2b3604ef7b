// Small plans whose optimum is worked out by hand in the comments; the
// planner must find exactly that plan and price each policy as computed.
#include "plan/planner.h"
#include "plan/plan_json.h"
#include "plan/synthetic_plan.h"

#include <algorithm>
#include <set>

#include <gtest/gtest.h>

namespace suanli {
namespace {

PlanType make_type(const std::string& id, bool domestic, double price, double compute, int years) {
  PlanType t;
  t.id = id;
  t.name = id;
  t.origin = domestic ? "CN" : "US";
  t.domestic = domestic;
  t.node_devices = 1;
  t.node_price_usd = price;
  t.node_power_kw = 0;
  t.compute_per_device = compute;
  t.supply_cap_devices.assign(years, kNoLimit);
  return t;
}

PlanDemand make_demand(const std::string& name, std::vector<double> devices, int years) {
  PlanDemand d;
  d.name = name;
  d.kind = DemandKind::kInference;
  d.indivisible = false;
  d.devices = std::move(devices);
  d.why_not.assign(d.devices.size(), "");
  d.first_year = 1;
  d.last_year = years;
  return d;
}

PlanProblem base(int years) {
  PlanProblem p;
  p.name = "hand";
  p.years = years;
  p.discount_rate = 0;
  p.sites.push_back(PlanSite{"site", kNoLimit, kNoLimit, 1.0, 0.0});
  return p;
}

int devices_bought(const PlanProblem& p, const PlanResult& r, const std::string& type) {
  int n = 0;
  for (const Purchase& x : r.purchases)
    if (p.types[x.type].id == type) n += x.devices;
  return n;
}

const PolicyCost* policy(const PlanResult& r, const std::string& name) {
  for (const PolicyCost& c : r.policy_costs)
    if (c.policy == name) return &c;
  return nullptr;
}

// F: foreign, 100 USD, 2 TFLOPS, serves the item with 10 devices.
// D: domestic, 150 USD, 1 TFLOPS, needs 20 devices for the same item.
// Without a rule: 10 F = 1,000. With domestic compute >= 50%: D >= 2F and
// F/10 + D/20 >= 1, so F = 5, D = 10: 500 + 1,500 = 2,000 (F = 4 needs
// D = 12: 2,200; F = 6, D = 12: 2,400; D only: 3,000). The rule costs
// +1,000 (+100%).
PlanProblem share_problem() {
  PlanProblem p = base(1);
  p.types.push_back(make_type("F", false, 100, 2, 1));
  p.types.push_back(make_type("D", true, 150, 1, 1));
  p.demands.push_back(make_demand("chat", {10, 20}, 1));
  p.policy.domestic_share_min = 0.5;
  return p;
}

TEST(Planner, CheaperForeignChipLosesOnlyToTheDomesticRule) {
  PlanProblem p = share_problem();
  auto r = solve_plan(p);
  ASSERT_TRUE(r.has_value()) << r.error().message;
  EXPECT_EQ(r->status, PlanStatus::kOptimal);
  EXPECT_NEAR(r->objective_usd, 2000, 1e-6);
  EXPECT_EQ(devices_bought(p, *r, "F"), 5);
  EXPECT_EQ(devices_bought(p, *r, "D"), 10);
  EXPECT_NEAR(r->domestic_share, 0.5, 1e-9);
  const PolicyCost* c = policy(*r, "domestic-share");
  ASSERT_NE(c, nullptr);
  EXPECT_NEAR(c->objective_without_usd, 1000, 1e-6);
  EXPECT_NEAR(c->delta_usd, 1000, 1e-6);
  EXPECT_NEAR(c->delta_pct, 100, 1e-6);

  p.policy.domestic_share_min.reset();
  auto free = solve_plan(p);
  ASSERT_TRUE(free.has_value());
  EXPECT_EQ(devices_bought(p, *free, "F"), 10);
  EXPECT_EQ(devices_bought(p, *free, "D"), 0);
  EXPECT_NEAR(free->objective_usd, 1000, 1e-6);
  EXPECT_TRUE(free->policy_costs.empty());
}

// A candidate bought on a stated availability assumption is also priced
// without it: F (1,000 for the item) against D only (3,000), so the
// assumption saves 2,000; it is listed apart from the policies, which never
// make a plan cheaper to drop.
TEST(Planner, AnAvailabilityAssumptionIsPricedWithoutIt) {
  PlanProblem p = share_problem();
  p.policy.domestic_share_min.reset();
  p.types[0].china_status = "import-blocked";
  p.types[0].assumption = "imports resume";
  auto r = solve_plan(p);
  ASSERT_TRUE(r.has_value()) << r.error().message;
  EXPECT_NEAR(r->objective_usd, 1000, 1e-6);
  ASSERT_EQ(r->assumption_costs.size(), 1u);
  const PolicyCost& c = r->assumption_costs[0];
  EXPECT_EQ(c.policy, "assumption:F");
  const std::string detail = c.detail.english();
  EXPECT_NE(detail.find("import-blocked"), std::string::npos) << detail;
  EXPECT_NE(detail.find("imports resume"), std::string::npos) << detail;
  EXPECT_NEAR(c.objective_without_usd, 3000, 1e-6);
  EXPECT_NEAR(c.delta_usd, -2000, 1e-6);
  EXPECT_EQ(policy(*r, "assumption:F"), nullptr);  // not a policy
  // plan --json names it: the chip, the status it overrides, the reason.
  const auto j = plan_result_json(p, *r);
  ASSERT_EQ(j.at("assumptions").size(), 1u) << j.at("assumptions").dump();
  EXPECT_EQ(j.at("assumptions")[0].at("accelerator"), "F");
  EXPECT_EQ(j.at("assumptions")[0].at("overrides"), "import-blocked");
  EXPECT_EQ(j.at("assumptions")[0].at("assumption"), "imports resume");

  // Without D the item needs F: no plan without the assumption.
  p.types.pop_back();
  p.demands[0].devices.pop_back();
  p.demands[0].why_not.pop_back();
  auto only = solve_plan(p);
  ASSERT_TRUE(only.has_value()) << only.error().message;
  ASSERT_EQ(only->assumption_costs.size(), 1u);
  EXPECT_EQ(only->assumption_costs[0].status_without, PlanStatus::kInfeasible);
}

// Two items of 10 devices on either type (F 100, D 150), two years. In the
// cut scenario F is banned from year 1 (installed devices lost too). The
// robust rule makes the core item servable on D alone: 10 D + 10 F = 2,500
// instead of 20 F = 2,000 (+500, +25%).
PlanProblem robust_problem(int from_year, bool installed_lost) {
  PlanProblem p = base(2);
  p.types.push_back(make_type("F", false, 100, 1, 2));
  p.types.push_back(make_type("D", true, 150, 1, 2));
  p.demands.push_back(make_demand("core-chat", {10, 10}, 2));
  p.demands.back().core = true;
  p.demands.push_back(make_demand("batch", {10, 10}, 2));
  SupplyScenario ok;
  ok.name = "status-quo";
  ok.probability = 0.6;
  ok.cut = {false, false};
  SupplyScenario cut;
  cut.name = "us-cut";
  cut.probability = 0.4;
  cut.cut = {true, false};
  cut.from_year = from_year;
  cut.installed_lost = installed_lost;
  p.scenarios = {ok, cut};
  p.policy.risk = RiskMode::kRobust;
  return p;
}

TEST(Planner, RobustnessRuleForcesExtraDomesticCapacity) {
  PlanProblem p = robust_problem(1, true);
  auto r = solve_plan(p);
  ASSERT_TRUE(r.has_value()) << r.error().message;
  EXPECT_EQ(r->status, PlanStatus::kOptimal);
  EXPECT_NEAR(r->objective_usd, 2500, 1e-6);
  EXPECT_EQ(devices_bought(p, *r, "D"), 10);
  EXPECT_EQ(devices_bought(p, *r, "F"), 10);
  const PolicyCost* c = policy(*r, "risk");
  ASSERT_NE(c, nullptr);
  EXPECT_NEAR(c->delta_usd, 500, 1e-6);
  EXPECT_NEAR(c->delta_pct, 25, 1e-6);
  // The core item is fully served in the cut scenario, batch is not needed.
  EXPECT_NEAR(r->demands[0].worst_shortfall[1], 0, 1e-9);
}

TEST(Planner, InstalledDevicesThatSurviveACutNeedNoHedge) {
  // Cut from year 2 without losing installed devices: 20 F bought in year 1
  // still serve the core item, so robustness is free.
  PlanProblem p = robust_problem(2, false);
  auto r = solve_plan(p);
  ASSERT_TRUE(r.has_value()) << r.error().message;
  EXPECT_NEAR(r->objective_usd, 2000, 1e-6);
  EXPECT_EQ(devices_bought(p, *r, "D"), 0);
  for (const Purchase& x : r->purchases) EXPECT_EQ(x.year, 1);
  ASSERT_NE(policy(*r, "risk"), nullptr);
  EXPECT_NEAR(policy(*r, "risk")->delta_usd, 0, 1e-6);
}

// Expected shortfall, one year, cut with probability 0.4 bans F. Covering an
// item on D instead of F costs 10 x 50 = 500 more and saves 0.4 x P. With
// P = 1,000 no hedge: 2,000 + 0.4 x 1,000 x 2 = 2,800. With P = 2,000 both
// items move to D: 3,000.
TEST(Planner, ExpectedShortfallHedgesOnlyWhenThePenaltyIsWorthIt) {
  for (const auto& [penalty, objective, d_devices] :
       std::vector<std::tuple<double, double, int>>{{1000, 2800, 0}, {2000, 3000, 20}}) {
    PlanProblem p = robust_problem(1, true);
    p.years = 1;
    for (PlanType& t : p.types) t.supply_cap_devices.assign(1, kNoLimit);
    for (PlanDemand& d : p.demands) {
      d.last_year = 1;
      d.shortfall_penalty_usd = penalty;
    }
    p.policy.risk = RiskMode::kExpected;
    auto r = solve_plan(p);
    ASSERT_TRUE(r.has_value()) << r.error().message;
    EXPECT_NEAR(r->objective_usd, objective, 1e-6) << "penalty " << penalty;
    EXPECT_EQ(devices_bought(p, *r, "D"), d_devices) << "penalty " << penalty;
    EXPECT_NEAR(r->cost.expected_shortfall_usd, objective - r->cost.capex_usd, 1e-6);
  }
}

// The same with P = 2,000 and a 2,500 budget: with a D and 20 - a F the
// objective is 150a + 100(20 - a) + 0.4 x 2,000 x (2 - a/10) = 3,600 - 30a
// and the budget allows a <= 10: 3,300 with the budget binding. Relaxing it
// by 5% (125 USD) allows a = 12: 3,240, a marginal price of 60/125 = 0.48.
TEST(Planner, BindingBudgetHasAMeasuredMarginalPrice) {
  PlanProblem p = robust_problem(1, true);
  p.years = 1;
  for (PlanType& t : p.types) t.supply_cap_devices.assign(1, kNoLimit);
  for (PlanDemand& d : p.demands) {
    d.last_year = 1;
    d.shortfall_penalty_usd = 2000;
  }
  p.policy.risk = RiskMode::kExpected;
  p.budget_usd = 2500;
  auto r = solve_plan(p);
  ASSERT_TRUE(r.has_value()) << r.error().message;
  EXPECT_NEAR(r->objective_usd, 3300, 1e-6);
  EXPECT_EQ(devices_bought(p, *r, "D"), 10);
  auto it = std::find_if(r->binding.begin(), r->binding.end(),
                         [](const BindingConstraint& b) { return b.name == "budget"; });
  ASSERT_NE(it, r->binding.end());
  EXPECT_NEAR(it->slack, 0, 1e-6);
  ASSERT_TRUE(it->marginal_usd_per_unit.has_value());
  EXPECT_NEAR(*it->marginal_usd_per_unit, 0.48, 1e-9);
  EXPECT_NEAR(policy(*r, "risk")->delta_usd, 1300, 1e-6);
}

// A training gang is not split: 4 F and 8 D are owned, the run needs 8 F
// or 16 D. Split it would fit for free; whole it needs 4 more F (400).
TEST(Planner, TrainingGangRunsOnOneType) {
  PlanProblem p = base(1);
  p.types.push_back(make_type("F", false, 100, 1, 1));
  p.types.push_back(make_type("D", true, 150, 1, 1));
  p.existing = {{0, 0, 4}, {1, 0, 8}};
  PlanDemand run = make_demand("pretrain", {8, 16}, 1);
  run.kind = DemandKind::kTraining;
  run.indivisible = true;
  p.demands.push_back(run);
  auto r = solve_plan(p);
  ASSERT_TRUE(r.has_value());
  EXPECT_NEAR(r->objective_usd, 400, 1e-6);
  ASSERT_EQ(r->demands[0].allocations.size(), 1u);
  EXPECT_NEAR(r->demands[0].allocations[0].fraction, 1, 1e-9);

  p.demands[0].indivisible = false;
  auto split = solve_plan(p);
  ASSERT_TRUE(split.has_value());
  EXPECT_NEAR(split->objective_usd, 0, 1e-6);
}

// A sensitive item only D (150) can serve under a 1,400 budget: 10 D cost
// 1,500. The conflict is the item, the sensitivity rule and the budget
// (without the rule, 9 F + 1 D = 1,050 meets the 10% share); the site
// power and domestic-share limits are not part of it.
TEST(Planner, InfeasiblePlanNamesAnIrreducibleConflict) {
  PlanProblem p = base(1);
  p.types.push_back(make_type("F", false, 100, 1, 1));
  p.types.push_back(make_type("D", true, 150, 1, 1));
  p.types[0].node_power_kw = p.types[1].node_power_kw = 1;
  p.sites[0].power_kw = 1000;
  p.demands.push_back(make_demand("secure", {10, 10}, 1));
  p.demands.back().sensitive = true;
  p.policy.domestic_share_min = 0.1;
  p.budget_usd = 1400;
  auto r = solve_plan(p);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->status, PlanStatus::kInfeasible);
  std::set<std::string> names;
  for (const Conflict& c : r->conflicts) names.insert(c.name);
  EXPECT_EQ(names, (std::set<std::string>{"demand:secure", "sensitive-on-domestic", "budget"}));

  // Irreducible: dropping any one member makes a plan exist.
  PlanProblem no_budget = p;
  no_budget.budget_usd.reset();
  EXPECT_EQ(solve_plan(no_budget)->status, PlanStatus::kOptimal);
  PlanProblem no_rule = p;
  no_rule.policy.sensitive_domestic_only = false;
  EXPECT_EQ(solve_plan(no_rule)->status, PlanStatus::kOptimal);
  PlanProblem no_item = p;
  no_item.demands.clear();
  EXPECT_EQ(solve_plan(no_item)->status, PlanStatus::kOptimal);
}

TEST(Planner, SupplyCapAndSitePowerBind) {
  // Share problem with D capped at 12 per year and 16 kW of power (1 kW per
  // node): F = 5, D = 10 still fits (15 nodes), so neither limit changes
  // the plan, but with 15 kW power binds (slack below one node).
  PlanProblem p = share_problem();
  for (PlanType& t : p.types) t.node_power_kw = 1;
  p.sites[0].power_kw = 15;
  p.types[1].supply_cap_devices = {12};
  auto r = solve_plan(p);
  ASSERT_TRUE(r.has_value());
  EXPECT_NEAR(r->objective_usd, 2000, 1e-6);
  std::set<std::string> binding;
  for (const BindingConstraint& b : r->binding) binding.insert(b.name);
  EXPECT_TRUE(binding.contains("site-power:site"));
  EXPECT_FALSE(binding.contains("supply-cap:D:y1"));  // 2 devices of room
  EXPECT_TRUE(binding.contains("domestic-share:y1"));
}

TEST(Planner, SameProblemSamePlan) {
  PlanProblem p = robust_problem(1, true);
  p.policy.domestic_share_min = 0.3;
  auto a = solve_plan(p);
  auto b = solve_plan(p);
  ASSERT_TRUE(a.has_value() && b.has_value());
  EXPECT_EQ(a->objective_usd, b->objective_usd);
  ASSERT_EQ(a->purchases.size(), b->purchases.size());
  for (std::size_t i = 0; i < a->purchases.size(); ++i) {
    EXPECT_EQ(a->purchases[i].type, b->purchases[i].type);
    EXPECT_EQ(a->purchases[i].nodes, b->purchases[i].nodes);
  }
}

// A node limit stops CBC's search at the same place whatever the machine's
// speed or load (a time limit does not): two solves of a problem too hard
// to finish within it give the same plan, reported as feasible, not optimal.
TEST(Planner, ANodeLimitStopsTheSearchAtTheSamePlace) {
  SyntheticPlanOptions so;
  so.seed = 9;  // the benchmark's hard seed: ~28 s to a proven 0.1% gap
  const PlanProblem p = synthetic_plan(so);
  PlanOptions o;
  o.max_nodes = 100;
  o.time_limit_s = 600;  // a backstop that must not be what stops it
  o.relative_gap = 0;
  o.policy_costs = false;
  o.marginal_prices = false;
  auto a = solve_plan(p, o);
  auto b = solve_plan(p, o);
  ASSERT_TRUE(a.has_value() && b.has_value());
  EXPECT_EQ(a->status, PlanStatus::kFeasible);
  // No time-limit warning: the note says the node limit stopped it, and
  // what it proved.
  EXPECT_TRUE(a->note.contains("stopped at its 100 branch-and-bound nodes")) << a->note;
  EXPECT_TRUE(a->note.contains("the exact optimum asked")) << a->note;
  EXPECT_LE(a->solve_nodes, o.max_nodes);
  EXPECT_EQ(a->objective_usd, b->objective_usd);
  ASSERT_EQ(a->purchases.size(), b->purchases.size());
  for (std::size_t i = 0; i < a->purchases.size(); ++i) {
    EXPECT_EQ(a->purchases[i].type, b->purchases[i].type);
    EXPECT_EQ(a->purchases[i].nodes, b->purchases[i].nodes);
  }
}

TEST(Planner, RejectsInconsistentProblems) {
  PlanProblem p = robust_problem(1, true);
  p.scenarios[1].probability = 0.3;
  auto r = solve_plan(p);
  ASSERT_FALSE(r.has_value());
  EXPECT_NE(r.error().message.find("sum to 0.9"), std::string::npos) << r.error().message;

  p = share_problem();
  p.policy.domestic_share_min = 1.5;
  EXPECT_NE(solve_plan(p).error().message.find("policy.domestic_share_min"), std::string::npos);
  p = share_problem();
  p.budget_usd = -1;
  EXPECT_NE(solve_plan(p).error().message.find("plan.budget_usd"), std::string::npos);
}

TEST(Planner, DiscountAndEnergyCostsAreCounted) {
  // One F node (1 kW) bought in year 2 of 2 at 10% discount: price 100/1.1;
  // energy 1 kW x 0.5 load x PUE 1.2 x 8760 h x 0.1 USD/kWh = 525.6 in
  // year 2, discounted to 477.8.
  PlanProblem p = base(2);
  p.discount_rate = 0.1;
  p.power_load_factor = 0.5;
  p.sites[0].pue = 1.2;
  p.sites[0].tariff_usd_per_kwh = 0.1;
  p.types.push_back(make_type("F", false, 100, 1, 2));
  p.types[0].node_power_kw = 1;
  PlanDemand d = make_demand("later", {1}, 2);
  d.first_year = 2;
  p.demands.push_back(d);
  auto r = solve_plan(p);
  ASSERT_TRUE(r.has_value());
  ASSERT_EQ(r->purchases.size(), 1u);
  EXPECT_EQ(r->purchases[0].year, 2);
  EXPECT_NEAR(r->cost.capex_usd, 100 / 1.1, 1e-6);
  EXPECT_NEAR(r->cost.power_usd, 525.6 / 1.1, 1e-6);
  EXPECT_NEAR(r->objective_usd, (100 + 525.6) / 1.1, 1e-6);
}

}  // namespace
}  // namespace suanli

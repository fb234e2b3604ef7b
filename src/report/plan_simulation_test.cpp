// The planned fleet as a simulation: the generated scenario parses, holds
// the devices the plan owns and rents in the chosen year, carries the
// plan's policies as rules and offers the plan's load; the simulation is
// deterministic per seed, sensitive work runs only on domestic chips, and
// the JSON section has the documented shape. Built by hand (no plan loader,
// no solver) over the bundled catalog.
#include "report/plan_simulation.h"

#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <set>
#include <sstream>
#include <string>

#include "bundled_catalog.h"
#include "sim/scenario.h"
#include "sim/simulation.h"

namespace suanli {
namespace {

using testing::BundledCatalogTest;

constexpr int kH200 = 0, k910C = 1, k910B = 2;

PlanType make_type(const std::string& id, const std::string& origin, double compute) {
  PlanType t;
  t.id = id;
  t.name = id;
  t.origin = origin;
  t.domestic = origin == "CN";
  t.node_devices = 8;
  t.node_price_usd = 300000;
  t.compute_per_device = compute;
  t.supply_cap_devices = {kNoLimit, kNoLimit};
  return t;
}

SizingDetail sized(int unit, double devices, double days = 0, double rate = 0) {
  SizingDetail s;
  s.ok = true;
  s.unit_devices = unit;
  s.devices = devices;
  s.days = days;
  s.per_device_rate = rate;
  return s;
}

SizingDetail unsized(const std::string& why) {
  SizingDetail s;
  s.why_not = why;
  return s;
}

PlanInference serving(const std::string& name, const std::string& model, int in, int out,
                      double tokens_per_s) {
  PlanInference i;
  i.name = name;
  i.model = model;
  i.run.input_len = in;
  i.run.output_len = out;
  i.output_tokens_per_s = tokens_per_s;
  return i;
}

// Two sites, three types, a training programme and two serving items (one
// confidential), a plan that buys 910C in year 1 and 910B in year 2 and
// rents H200 in year 1.
struct Fixture {
  PlanScenario scenario;
  PlanResult plan;
};

Fixture make_fixture() {
  Fixture f;
  PlanScenario& s = f.scenario;
  s.file = "fake/dir/plan.toml";
  PlanProblem& p = s.problem;
  p.name = "test-plan";
  p.years = 2;
  p.types = {make_type("h200-sxm", "US", 989), make_type("ascend-910c", "CN", 752),
             make_type("ascend-910b", "CN", 376)};
  p.sites = {PlanSite{.name = "wuhu"}, PlanSite{.name = "ulanqab"}};
  p.types[k910C].sites = {1};
  p.existing = {ExistingNodes{.type = kH200, .site = 0, .nodes = 2},
                ExistingNodes{.type = k910B, .site = 1, .nodes = 4}};
  p.policy.sensitive_domestic_only = true;
  p.policy.domestic_share_min = 0.5;

  PlanDemand train;
  train.name = "pretrain";
  train.kind = DemandKind::kTraining;
  train.tenant = "lab";
  train.first_year = 1;
  train.last_year = 2;
  train.devices = {32, 32, kCannotServe};
  PlanDemand chat;
  chat.name = "gov-chat";
  chat.kind = DemandKind::kInference;
  chat.tenant = "gov";
  chat.sensitive = true;
  chat.indivisible = false;
  chat.first_year = 1;
  chat.last_year = 2;
  chat.devices = {16, 16, 24};
  PlanDemand pub;
  pub.name = "public-chat";
  pub.kind = DemandKind::kInference;
  pub.tenant = "lab";
  pub.indivisible = false;
  pub.first_year = 1;
  pub.last_year = 2;
  pub.devices = {8, 16, 16};
  PlanDemand later;  // year 2 only, and unserved then
  later.name = "later";
  later.kind = DemandKind::kInference;
  later.tenant = "lab";
  later.first_year = 2;
  later.last_year = 2;
  later.devices = {8, 8, 8};
  p.demands = {train, chat, pub, later};

  PlanTraining pretrain;
  pretrain.name = "pretrain";
  pretrain.model = "llama3-8b";
  pretrain.tokens = 2e10;
  pretrain.deadline_days = 6;
  s.training = {pretrain};
  s.inference = {serving("gov-chat", "llama3-70b", 2048, 512, 4000),
                 serving("public-chat", "llama3-8b", 1024, 256, 20000),
                 serving("later", "llama3-8b", 1024, 256, 1000)};
  s.sensitivity = {Sensitivity::kPublic, Sensitivity::kConfidential, Sensitivity::kPublic,
                   Sensitivity::kPublic};
  s.demand_tenant = {"lab", "gov", "lab", "lab"};
  s.sizing = {
      {sized(32, 32, 4), sized(32, 32, 5), unsized("no fit")},
      {sized(8, 16, 0, 250), sized(8, 16, 0, 250), sized(8, 24, 0, 170)},
      {sized(4, 8, 0, 2500), sized(8, 16, 0, 1250), sized(8, 16, 0, 1250)},
      {sized(1, 8, 0, 125), sized(1, 8, 0, 125), sized(1, 8, 0, 125)},
  };

  PlanResult& r = f.plan;
  r.status = PlanStatus::kOptimal;
  r.purchases = {Purchase{.type = k910C, .site = 1, .year = 1, .nodes = 4, .devices = 32},
                 Purchase{.type = k910B, .site = 0, .year = 2, .nodes = 3, .devices = 24}};
  r.rentals = {PlanResult::Rental{.type = kH200, .year = 1, .devices = 12}};
  auto outcome = [](int demand, std::vector<std::tuple<int, int, double>> allocs) {
    DemandOutcome o;
    o.demand = demand;
    for (auto [type, year, fraction] : allocs) {
      auto& a = o.allocations.emplace_back();
      a.type = type;
      a.year = year;
      a.fraction = fraction;
    }
    return o;
  };
  r.demands = {outcome(0, {{k910C, 1, 1.0}, {k910C, 2, 1.0}}),
               outcome(1, {{k910B, 1, 1.0}, {k910B, 2, 0.7}, {k910C, 2, 0.3}}),
               outcome(2, {{kH200, 1, 1.0}, {kH200, 2, 1.0}}), outcome(3, {})};
  return f;
}

class PlanSimulation : public BundledCatalogTest {
 protected:
  Result<Scenario> generated(const Fixture& f, const PlanSimulationOptions& o) {
    auto text = planned_fleet_scenario_toml(f.scenario, f.plan, o);
    if (!text) return std::unexpected(text.error());
    text_ = *text;
    return parse_scenario(*text, "generated.toml", *catalog_);
  }
  std::string text_;
};

std::map<std::string, int> devices_by_type(const Scenario& s) {
  std::map<std::string, int> out;
  for (const FleetNode& n : s.fleet.nodes()) out[s.fleet.type(n.type).id] += n.state.gpu_count;
  return out;
}

TEST_F(PlanSimulation, GeneratedScenarioParses) {
  const Fixture f = make_fixture();
  auto s = generated(f, {.year = 1, .seed = 7, .days = 5});
  ASSERT_TRUE(s.has_value()) << s.error().message << "\n" << text_;
  EXPECT_EQ(s->name, "test-plan-year-1");
  EXPECT_EQ(s->seed, 7u);
  ASSERT_TRUE(s->simulation.until.has_value());
  EXPECT_DOUBLE_EQ(*s->simulation.until, 5 * 86400.0);
  EXPECT_DOUBLE_EQ(s->simulation.sample_interval_s, 3600);
  EXPECT_EQ(s->fleet.sites().size(), 2u);
  ASSERT_EQ(s->tenants.size(), 2u);  // lab, gov: unique
  EXPECT_EQ(s->tenants[0].name, "lab");
  EXPECT_EQ(s->tenants[1].name, "gov");
  // Training, then the two served inference items; "later" is not active in year 1.
  ASSERT_EQ(s->generators.size(), 3u) << text_;
  EXPECT_EQ(s->generators[0].templates[0].kind, JobKind::kTraining);
  EXPECT_EQ(s->generators[0].templates[0].devices, std::vector<int>{32});
  // Each stream is pinned to the type the plan allocated it to.
  EXPECT_EQ(s->generators[0].templates[0].allowed.size(), 1u);
  EXPECT_EQ(s->generators[1].templates[0].kind, JobKind::kInference);
  EXPECT_EQ(s->generators[1].templates[0].sensitivity, Sensitivity::kConfidential);
  EXPECT_EQ(s->generators[1].templates[0].work.reference, "ascend-910b");
  // CloudMatrix default domain applies to the 910C pool.
  for (const NodePool& pool : s->pools) {
    if (s->fleet.type(pool.type).id == "ascend-910c") {
      EXPECT_EQ(pool.scale_up_domain, 384);
    }
  }
}

// A training item's run keys travel into its simulated jobs, which read
// them as estimate train's fields: the simulated run is the sized one.
TEST_F(PlanSimulation, TrainingJobsCarryTheItemsRun) {
  Fixture f = make_fixture();
  f.scenario.training[0].run.seq = 16384;
  f.scenario.training[0].run.overlap_grad_reduce = false;
  f.scenario.training[0].run.stack = "nemo";
  auto s = generated(f, {.year = 1, .days = 2});
  ASSERT_TRUE(s.has_value()) << s.error().message << "\n" << text_;
  const TrainRequest& run = s->generators[0].templates[0].work.run;
  EXPECT_EQ(run.seq, 16384) << text_;
  EXPECT_EQ(run.overlap_grad_reduce, std::optional<bool>(false));
  EXPECT_EQ(run.stack, "nemo");
  EXPECT_EQ(run.precision, "bf16");  // the default, not written
  EXPECT_EQ(text_.find("precision"), std::string::npos) << text_;
}

// A serving item's run keys travel the same way, as estimate infer's.
TEST_F(PlanSimulation, ServingJobsCarryTheItemsRun) {
  Fixture f = make_fixture();
  InferRequest& run = f.scenario.inference[0].run;
  run.precision = "bf16";
  run.kv_precision = "fp8";
  run.tpot_slo_ms = 60;
  run.spec_tokens = 1;
  run.spec_accept_len = 1.7;
  auto s = generated(f, {.year = 1, .days = 2});
  ASSERT_TRUE(s.has_value()) << s.error().message << "\n" << text_;
  const JobTemplate& job = s->generators[1].templates[0];
  ASSERT_EQ(job.kind, JobKind::kInference);
  const InferRequest& got = job.work.serving;
  EXPECT_EQ(got.input_len, run.input_len) << text_;
  EXPECT_EQ(got.output_len, run.output_len);
  EXPECT_EQ(got.precision, "bf16");
  EXPECT_EQ(got.kv_precision, "fp8");
  EXPECT_EQ(got.tpot_slo_ms, 60);
  EXPECT_EQ(got.spec_tokens, 1);
  EXPECT_EQ(got.spec_accept_len, 1.7);
  // The other item keeps the plan's default: each chip at its best.
  EXPECT_EQ(s->generators[2].templates[0].work.serving.precision, "auto");
}

TEST_F(PlanSimulation, FleetIsExistingPlusPurchasesPlusRentalsOfTheYear) {
  const Fixture f = make_fixture();
  auto y1 = generated(f, {.year = 1, .days = 2});
  ASSERT_TRUE(y1.has_value()) << y1.error().message;
  // H200: 2 existing nodes + 12 rented devices as 2 nodes; 910C: 4 bought in
  // year 1; 910B: 4 existing (the year-2 purchase not yet delivered).
  EXPECT_EQ(devices_by_type(*y1), (std::map<std::string, int>{
                                      {"h200-sxm", 32}, {"ascend-910c", 32}, {"ascend-910b", 32}}));
  int rented_nodes = 0;
  for (const FleetNode& n : y1->fleet.nodes())
    if (n.name.starts_with("h200-sxm-rented-")) ++rented_nodes;
  EXPECT_EQ(rented_nodes, 2);

  auto y2 = generated(f, {.year = 2, .days = 2});
  ASSERT_TRUE(y2.has_value()) << y2.error().message;
  // No rental in year 2; the 910B bought in year 2 arrives at wuhu.
  EXPECT_EQ(devices_by_type(*y2), (std::map<std::string, int>{
                                      {"h200-sxm", 16}, {"ascend-910c", 32}, {"ascend-910b", 56}}));
  // Year 2's "later" item is active but unserved: left out, and said so;
  // gov-chat is split over two types: one stream each.
  EXPECT_EQ(y2->generators.size(), 4u);
  EXPECT_NE(text_.find("later: not served by the plan in year 2"), std::string::npos);
}

TEST_F(PlanSimulation, PoliciesBecomeRules) {
  Fixture f = make_fixture();
  auto s = generated(f, {.days = 2});
  ASSERT_TRUE(s.has_value()) << s.error().message;
  ASSERT_EQ(s->rules.size(), 2u);
  EXPECT_EQ(s->rules[0].kind, RuleKind::kSensitivityOrigin);
  EXPECT_EQ(s->rules[0].origins, std::vector<std::string>{"CN"});
  EXPECT_EQ(s->rules[1].kind, RuleKind::kDomesticShare);
  EXPECT_DOUBLE_EQ(s->rules[1].min_share, 0.5);

  f.scenario.problem.policy.sensitive_domestic_only = false;
  f.scenario.problem.policy.domestic_share_min.reset();
  auto none = generated(f, {.days = 2});
  ASSERT_TRUE(none.has_value()) << none.error().message;
  EXPECT_TRUE(none->rules.empty());
}

TEST_F(PlanSimulation, OfferedLoadMatchesThePlansAllocation) {
  const Fixture f = make_fixture();
  const double days = 30;
  auto s = generated(f, {.year = 2, .days = days});
  ASSERT_TRUE(s.has_value()) << s.error().message;
  // gov-chat in year 2: 70% on the 910B and 30% on the 910C, each its own
  // stream pinned there, at the mean load (the plan provisions 1.5x for the
  // peak): 0.7 x 24 / 1.5 and 0.3 x 16 / 1.5 busy devices.
  auto stream = [&](const std::string& name, const std::string& type) -> const Generator* {
    for (const Generator& g : s->generators)
      if (g.templates[0].name == name && g.templates[0].allowed.size() == 1 &&
          g.templates[0].allowed[0] == type)
        return &g;
    return nullptr;
  };
  for (const auto& [type, busy_expected] : std::vector<std::pair<std::string, double>>{
           {"ascend-910b", 0.7 * 24 / 1.5}, {"ascend-910c", 0.3 * 16 / 1.5}}) {
    const Generator* chat = stream("gov-chat", type);
    ASSERT_NE(chat, nullptr) << type << "\n" << text_;
    const JobTemplate& t = chat->templates[0];
    ASSERT_TRUE(t.work.reference_hours.has_value());
    EXPECT_EQ(t.work.reference, type);
    const double busy = chat->rate_per_hour * t.work.reference_hours->min * t.devices[0];
    EXPECT_NEAR(busy, busy_expected, 0.01) << type;
    EXPECT_EQ(t.devices[0] % 8, 0);  // whole 8-device instances
  }
  // The training programme: ~2-day runs on its 32-device gang; 5 days of
  // work per 6-day deadline.
  const Generator& train = s->generators[0];
  ASSERT_TRUE(train.templates[0].work.tokens.has_value());
  const double runs_per_deadline = train.rate_per_hour * 6 * 24;
  EXPECT_NEAR(runs_per_deadline * train.templates[0].work.tokens->min, 2e10, 2e10 * 1e-4);
  // Generated jobs stay moderate.
  int jobs = 0;
  for (const Generator& g : s->generators) jobs += g.count;
  EXPECT_LE(jobs, 2500);
  EXPECT_GT(jobs, 10);
}

TEST_F(PlanSimulation, SensitiveJobsRunOnlyOnDomesticTypes) {
  const Fixture f = make_fixture();
  auto s = generated(f, {.year = 1, .seed = 3, .days = 3});
  ASSERT_TRUE(s.has_value()) << s.error().message;
  std::stringstream log;
  RunOptions run;
  run.events = &log;
  auto sim = Simulation::create(*s, *catalog_, std::move(run));
  ASSERT_TRUE(sim.has_value()) << sim.error().message;
  auto result = sim->run();
  ASSERT_TRUE(result.has_value()) << result.error().message;

  std::set<long long> sensitive;
  std::map<int, bool> domestic;  // type index -> domestic
  int sensitive_placements = 0, foreign_placements = 0;
  std::string line;
  while (std::getline(log, line)) {
    const auto j = nlohmann::json::parse(line);
    const std::string ev = j["event"];
    if (ev == "header") {
      for (const auto& t : j["types"]) domestic[t["type"].get<int>()] = t["domestic"].get<bool>();
    } else if (ev == "submit") {
      if (j["sensitivity"] == "confidential") sensitive.insert(j["job"].get<long long>());
    } else if (ev == "place") {
      const bool dom = domestic.at(j["type"].get<int>());
      if (!dom) ++foreign_placements;
      if (sensitive.contains(j["job"].get<long long>())) {
        ++sensitive_placements;
        EXPECT_TRUE(dom) << line;
      }
    }
  }
  EXPECT_GT(sensitive.size(), 0u);
  EXPECT_GT(sensitive_placements, 0);
  EXPECT_GT(foreign_placements, 0);  // public work does use the H200s

  auto json = simulate_plan(f.scenario, f.plan, *catalog_, {.year = 1, .seed = 3, .days = 3});
  ASSERT_TRUE(json.has_value()) << json.error().message;
  EXPECT_EQ((*json)["audit_violations"], 0);
}

TEST_F(PlanSimulation, JsonSectionShape) {
  const Fixture f = make_fixture();
  const double days = 3;
  auto json = simulate_plan(f.scenario, f.plan, *catalog_, {.year = 1, .seed = 11, .days = days});
  ASSERT_TRUE(json.has_value()) << json.error().message;
  const nlohmann::json& j = *json;
  std::set<std::string> keys;
  for (const auto& [k, v] : j.items()) keys.insert(k);
  EXPECT_EQ(keys,
            (std::set<std::string>{"year", "seed", "days", "jobs", "finished", "unfinished",
                                   "audit_violations", "utilisation_by_accelerator", "timeline",
                                   "jct_hours", "queue_hours_p95", "summary", "reconciliation"}));
  EXPECT_EQ(j["year"], 1);
  EXPECT_EQ(j["seed"], 11);
  EXPECT_EQ(j["days"], days);
  EXPECT_GT(j["jobs"].get<int>(), 0);
  EXPECT_GT(j["finished"].get<int>(), 0);
  EXPECT_EQ(j["finished"].get<int>() + j["unfinished"].get<int>(), j["jobs"].get<int>());
  EXPECT_EQ(j["jct_hours"].size(), j["finished"].get<std::size_t>());
  for (const auto& h : j["jct_hours"]) EXPECT_GT(h.get<double>(), 0);
  EXPECT_EQ(j["audit_violations"], 0);

  const auto& util = j["utilisation_by_accelerator"];
  EXPECT_EQ(util.size(), 3u);
  for (const auto& [id, u] : util.items()) {
    EXPECT_GE(u.get<double>(), 0) << id;
    EXPECT_LE(u.get<double>(), 1) << id;
  }
  EXPECT_GT(util["ascend-910b"].get<double>(), 0.2);  // gov-chat keeps it busy

  const auto& tl = j["timeline"];
  EXPECT_GE(tl.size(), static_cast<std::size_t>(days * 24));
  EXPECT_LE(tl.size(), static_cast<std::size_t>(days * 24) + 1);
  for (std::size_t i = 0; i < tl.size(); ++i) {
    EXPECT_DOUBLE_EQ(tl[i]["t_h"].get<double>(), static_cast<double>(i));
    const auto& share = tl[i]["domestic_share"];
    if (!share.is_null()) {
      EXPECT_GE(share.get<double>(), 0);
      EXPECT_LE(share.get<double>(), 1);
    }
    for (const auto& [id, u] : tl[i]["utilisation"].items()) {
      EXPECT_GE(u.get<double>(), 0) << id;
      EXPECT_LE(u.get<double>(), 1) << id;
    }
  }
  const auto& sum = j["summary"];
  for (const char* k : {"mean_jct_h", "p50_jct_h", "p95_jct_h", "domestic_share_min",
                        "domestic_share_mean", "lost_device_hours"})
    EXPECT_TRUE(sum.contains(k)) << k;
  EXPECT_LE(sum["p50_jct_h"].get<double>(), sum["p95_jct_h"].get<double>());
  EXPECT_GE(sum["domestic_share_mean"].get<double>(), sum["domestic_share_min"].get<double>());
  EXPECT_GE(j["queue_hours_p95"].get<double>(), 0);

  // Planned against simulated per type, each with its reason; pinned jobs
  // counted per type.
  const auto& rec = j["reconciliation"];
  ASSERT_EQ(rec["types"].size(), 3u) << rec.dump(2);
  int pinned = 0;
  for (const auto& t : rec["types"]) {
    EXPECT_FALSE(t["reason"].get<std::string>().empty()) << t.dump();
    EXPECT_GE(t["planned_utilisation"].get<double>(), 0);
    EXPECT_LE(t["planned_utilisation"].get<double>(), 1);
    EXPECT_DOUBLE_EQ(t["simulated_utilisation"].get<double>(),
                     util[t["accelerator"].get<std::string>()].get<double>());
    pinned += t["jobs"].get<int>();
  }
  EXPECT_EQ(pinned, j["jobs"].get<int>()) << "every generated job is pinned to one type";
  EXPECT_TRUE(rec["domestic_share"].contains("planned"));
  EXPECT_TRUE(rec["domestic_share"].contains("reason"));
}

TEST_F(PlanSimulation, SameSeedSameJsonOtherSeedDiffers) {
  const Fixture f = make_fixture();
  auto a = simulate_plan(f.scenario, f.plan, *catalog_, {.year = 1, .seed = 5, .days = 2});
  auto b = simulate_plan(f.scenario, f.plan, *catalog_, {.year = 1, .seed = 5, .days = 2});
  auto c = simulate_plan(f.scenario, f.plan, *catalog_, {.year = 1, .seed = 6, .days = 2});
  ASSERT_TRUE(a && b && c);
  EXPECT_EQ(a->dump(), b->dump());
  EXPECT_NE(a->dump(), c->dump());
  auto ta = planned_fleet_scenario_toml(f.scenario, f.plan, {.year = 1, .seed = 5, .days = 2});
  auto tb = planned_fleet_scenario_toml(f.scenario, f.plan, {.year = 1, .seed = 5, .days = 2});
  ASSERT_TRUE(ta && tb);
  EXPECT_EQ(*ta, *tb);
}

TEST_F(PlanSimulation, BadInputIsAnError) {
  Fixture f = make_fixture();
  EXPECT_FALSE(planned_fleet_scenario_toml(f.scenario, f.plan, {.year = 0}).has_value());
  EXPECT_FALSE(planned_fleet_scenario_toml(f.scenario, f.plan, {.year = 3}).has_value());
  EXPECT_FALSE(planned_fleet_scenario_toml(f.scenario, f.plan, {.days = 0}).has_value());
  PlanResult infeasible = f.plan;
  infeasible.status = PlanStatus::kInfeasible;
  auto r = planned_fleet_scenario_toml(f.scenario, infeasible, {});
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, ErrorCode::kInfeasible);
  // An allocation to a type the item cannot run on.
  f.plan.demands[0].allocations[0].type = k910B;
  auto bad = planned_fleet_scenario_toml(f.scenario, f.plan, {.year = 1});
  ASSERT_FALSE(bad.has_value());
  EXPECT_NE(bad.error().message.find("pretrain"), std::string::npos);
}

}  // namespace
}  // namespace suanli

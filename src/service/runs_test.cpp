// Asynchronous runs on a real SQLite store: a simulate run succeeds with
// the numbers of a direct Simulation, identical inputs give byte-identical
// results (concurrent and serial), cancellation (queued and running),
// shutdown marks a running run interrupted and recover() completes it,
// plan and report runs, and up-front validation (400, nothing stored).
#include "service/runs.h"

#include <gtest/gtest.h>

#include <fmt/format.h>

#include <memory>
#include <sstream>
#include <string>
#include <thread>

#include "plan/plan_scenario.h"
#include "plan/planner.h"
#include "plan/sweep.h"
#include "report/report.h"
#include "service/scenario_api.h"
#include "service_api_fixture.h"
#include "sim/scenario.h"
#include "temp_dir.h"

namespace suanli::service {
namespace {

using namespace std::chrono_literals;

std::string sim_scenario(int jobs, double rate_per_hour, const char* hours) {
  return fmt::format(R"(name = "s{0}"
seed = 7
[[sites]]
name = "wuhu"
[[fleet]]
site = "wuhu"
accelerator = "h200-sxm"
nodes = 2
[[fleet]]
site = "wuhu"
accelerator = "ascend-910c"
nodes = 4
[[tenants]]
name = "lab"
[[generators]]
tenant = "lab"
rate_per_hour = {1}
count = {0}
  [[generators.jobs]]
  devices = [1, 8]
  reference = "h100-sxm"
  reference_hours = {2}
)",
                     jobs, rate_per_hour, hours);
}

const std::string kTiny = sim_scenario(200, 4, "[0.5, 4]");
// About a second of simulation per 20 000 jobs.
// Long enough to be running when the shutdown comes (3 s in a release
// build); the sanitizers make the simulator ~40x slower, so 10x fewer jobs.
#ifdef SUANLI_SANITIZE_BUILD
constexpr int kMediumJobs = 6000;
#else
constexpr int kMediumJobs = 60000;
#endif
const std::string kMedium = sim_scenario(kMediumJobs, 20, "[0.05, 0.4]");
const std::string kLong = sim_scenario(2000000, 20, "[0.05, 0.4]");

const std::string kPlan = R"([plan]
name = "t"
years = 2
budget_usd = 1.0e9

[policy]
domestic_share_min = 0.5
risk = "robust"

[[site]]
name = "ulanqab"
power_mw = 20
racks = 300
pue = 1.2

[[site]]
name = "guian"

[[candidate]]
accelerator = "h200-sxm"
assume_available = "the chip can be bought in China, a test assumption"
levy = 0.25
supply_cap_devices = [512, 256]

[[candidate]]
accelerator = "ascend-910c"
price_usd = 25000
sites = ["guian"]

[[existing]]
accelerator = "ascend-910b"
site = "guian"
nodes = 4

[[scenario]]
name = "status-quo"
probability = 0.7

[[scenario]]
name = "cut"
probability = 0.3
cut_origins = ["US"]
from_year = 2

[[training]]
name = "small-run"
model = "gpt3-6.7b"
tokens = 3.0e11
deadline_days = 10
tenant = "lab"
core = true
)";

class RunsTest : public suanli::testing::ServiceApiTest {
 protected:
  RunManagerOptions options(int workers = 1) {
    RunManagerOptions o;
    o.workers = workers;
    o.data_dir = data_dir();
    o.progress_interval_s = 0.05;
    return o;
  }
  std::filesystem::path data_dir() const { return dir_.path() / "data"; }

  std::unique_ptr<RunManager> manager(int workers = 1) {
    auto m = std::make_unique<RunManager>(*store_, *holder_, options(workers));
    router_ = Router();
    m->add_routes(router_);
    return m;
  }

  std::int64_t save(const std::string& name, const std::string& kind, const std::string& body) {
    auto r = store_->create_scenario(name, kind, body);
    EXPECT_TRUE(r.has_value()) << r.error().message;
    return r ? r->id : 0;
  }

  // POST /runs; returns the run ID (0 when not accepted).
  std::int64_t start(const nlohmann::json& body) {
    auto r = call(Method::kPost, "/api/v1/runs", body);
    EXPECT_EQ(r.status, 202) << r.body.dump();
    if (r.status != 202) return 0;
    EXPECT_EQ(r.body["status"], "queued");
    return r.body["id"].get<std::int64_t>();
  }

  // Polls the store until the run's status is one of `statuses`.
  store::RunRecord wait_for(std::int64_t id, std::initializer_list<std::string_view> statuses,
                            std::chrono::seconds timeout = 60s) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    store::RunRecord last;
    while (std::chrono::steady_clock::now() < deadline) {
      auto r = store_->get_run(id);
      if (r) {
        last = *r;
        for (std::string_view s : statuses)
          if (r->status == s) return last;
      }
      std::this_thread::sleep_for(10ms);
    }
    ADD_FAILURE() << "run " << id << " still " << last.status << " after " << timeout.count()
                  << " s";
    return last;
  }

  std::string result_text(std::int64_t id) {
    auto r = call(Method::kGet, fmt::format("/api/v1/runs/{}/result", id));
    EXPECT_EQ(r.status, 200) << r.body.dump();
    return r.raw.value_or("");
  }
};

TEST_F(RunsTest, SimulateRunSucceedsWithTheNumbersOfADirectSimulation) {
  const auto sid = save("tiny", "simulate", kTiny);
  auto m = manager();
  const auto id = start({{"kind", "simulate"},
                         {"scenario_id", sid},
                         {"options", {{"seed", 11}, {"placement", "first-fit"}}}});
  ASSERT_GT(id, 0);
  const auto done = wait_for(id, {"succeeded", "failed"});
  ASSERT_EQ(done.status, "succeeded") << done.error;
  EXPECT_DOUBLE_EQ(done.progress, 1.0);
  auto shown = call(Method::kGet, fmt::format("/api/v1/runs/{}", id));
  EXPECT_EQ(shown.body["status"], "succeeded");
  EXPECT_EQ(shown.body["params"]["version"], 1);
  const auto result = nlohmann::json::parse(result_text(id));

  // The same scenario and options, run directly.
  auto sc = parse_scenario(kTiny, scenario_pseudo_path(data_dir(), "tiny"), *catalog_);
  ASSERT_TRUE(sc.has_value()) << sc.error().message;
  RunOptions ro;
  ro.seed = 11;
  ro.placement = PlacementKind::kFirstFit;
  auto sim = Simulation::create(*sc, *catalog_, std::move(ro));
  ASSERT_TRUE(sim.has_value());
  auto direct = sim->run();
  ASSERT_TRUE(direct.has_value());

  const auto& s = result["summary"];
  EXPECT_EQ(result["kind"], "simulate");
  EXPECT_EQ(s["seed"], 11);
  EXPECT_EQ(s["placement"], "first-fit");
  EXPECT_EQ(s["jobs_submitted"], direct->jobs_submitted);
  EXPECT_EQ(s["jobs_completed"], direct->jobs_completed);
  EXPECT_EQ(s["jct_s"]["mean"].get<double>(), direct->jct_s.mean);
  EXPECT_EQ(s["jct_s"]["p99"].get<double>(), direct->jct_s.p99);
  EXPECT_EQ(s["cost_usd"].get<double>(), direct->cost_usd);
  EXPECT_EQ(s["domestic_share"]["min"].get<double>(), direct->domestic_share_min);
  EXPECT_EQ(s["domestic_share"]["mean"].get<double>(), direct->domestic_share_mean);
  EXPECT_EQ(s["sim_events"].get<long long>(), direct->sim_events);
  for (const TypeUtilization& u : direct->utilization)
    EXPECT_EQ(s["utilization"][u.accelerator].get<double>(), u.utilization) << u.accelerator;
  EXPECT_FALSE(s.contains("wall_time_s"));
  EXPECT_EQ(s["policy_violations"], 0);

  const auto& tl = result["timeline"];
  ASSERT_EQ(tl["t_h"].size(), direct->samples.size());
  EXPECT_EQ(tl["domestic_share"].size(), direct->samples.size());
  EXPECT_EQ(tl["utilization"]["h200-sxm"].size(), direct->samples.size());
  EXPECT_EQ(tl["accelerators"].size(), direct->utilization.size());

  const auto& h = result["jct_histogram"];
  EXPECT_EQ(h["count"], direct->jobs_completed);
  long long in_buckets = 0;
  for (const auto& b : h["buckets"]) in_buckets += b["count"].get<long long>();
  EXPECT_EQ(in_buckets, direct->jobs_completed);
  EXPECT_GT(h["bucket_width_h"].get<double>(), 0);
}

TEST_F(RunsTest, IdenticalInputsGiveByteIdenticalResultsConcurrentlyAndSerially) {
  const auto sim_id = save("tiny", "simulate", kTiny);
  const auto plan_id = save("plan", "plan", kPlan);
  const nlohmann::json sim_body{
      {"kind", "simulate"}, {"scenario_id", sim_id}, {"options", {{"seed", 3}}}};
  const nlohmann::json plan_body{{"kind", "plan"},
                                 {"scenario_id", plan_id},
                                 {"options", {{"sweep", {"policy.domestic_share_min=0.3,0.6"}}}}};

  std::vector<std::int64_t> sims, plans;
  {
    auto m = manager(3);
    for (int i = 0; i < 3; ++i) {
      sims.push_back(start(sim_body));
      plans.push_back(start(plan_body));
    }
    for (auto id : sims) ASSERT_EQ(wait_for(id, {"succeeded", "failed"}).status, "succeeded");
    for (auto id : plans) ASSERT_EQ(wait_for(id, {"succeeded", "failed"}).status, "succeeded");
  }
  std::int64_t serial_sim = 0, serial_plan = 0;
  {
    auto m = manager(1);
    serial_sim = start(sim_body);
    ASSERT_EQ(wait_for(serial_sim, {"succeeded", "failed"}).status, "succeeded");
    serial_plan = start(plan_body);
    ASSERT_EQ(wait_for(serial_plan, {"succeeded", "failed"}).status, "succeeded");
    const std::string sim_text = result_text(serial_sim);
    const std::string plan_text = result_text(serial_plan);
    ASSERT_FALSE(sim_text.empty());
    ASSERT_FALSE(plan_text.empty());
    for (auto id : sims) EXPECT_EQ(result_text(id), sim_text) << "run " << id;
    for (auto id : plans) EXPECT_EQ(result_text(id), plan_text) << "run " << id;
    EXPECT_EQ(plan_text.find("solve_time_s"), std::string::npos);
  }
}

TEST_F(RunsTest, CancellingARunningRunEndsItCancelledQuickly) {
  const auto sid = save("long", "simulate", kLong);
  auto m = manager();
  const auto id = start({{"kind", "simulate"}, {"scenario_id", sid}});
  ASSERT_GT(id, 0);
  wait_for(id, {"running"});
  std::this_thread::sleep_for(200ms);
  const auto asked = std::chrono::steady_clock::now();
  auto r = call(Method::kPost, fmt::format("/api/v1/runs/{}/cancel", id));
  EXPECT_EQ(r.status, 202) << r.body.dump();
  const auto done = wait_for(id, {"cancelled", "succeeded", "failed"}, 20s);
  EXPECT_EQ(done.status, "cancelled");
  EXPECT_LT(std::chrono::steady_clock::now() - asked, 5s);
  EXPECT_NE(done.error.find("cancelled"), std::string::npos) << done.error;
  EXPECT_EQ(call(Method::kGet, fmt::format("/api/v1/runs/{}/result", id)).status, 409);
  // Nothing left to cancel.
  EXPECT_EQ(call(Method::kPost, fmt::format("/api/v1/runs/{}/cancel", id)).status, 409);
}

TEST_F(RunsTest, AQueuedRunIsCancelledAtOnce) {
  const auto sid = save("long", "simulate", kLong);
  auto m = manager(1);
  const auto first = start({{"kind", "simulate"}, {"scenario_id", sid}});
  const auto second = start({{"kind", "simulate"}, {"scenario_id", sid}});
  wait_for(first, {"running"});
  EXPECT_EQ(call(Method::kGet, fmt::format("/api/v1/runs/{}/result", second)).status, 404);
  auto r = call(Method::kPost, fmt::format("/api/v1/runs/{}/cancel", second));
  EXPECT_EQ(r.status, 200) << r.body.dump();
  EXPECT_EQ(r.body["status"], "cancelled");
  EXPECT_EQ(call(Method::kPost, fmt::format("/api/v1/runs/{}/cancel", first)).status, 202);
  EXPECT_EQ(wait_for(first, {"cancelled", "succeeded", "failed"}, 20s).status, "cancelled");

  auto list = call(Method::kGet, "/api/v1/runs");
  ASSERT_EQ(list.body["runs"].size(), 2u);
  EXPECT_EQ(list.body["runs"][0]["id"], second);  // newest first
}

TEST_F(RunsTest, ShutdownInterruptsARunningRunAndRecoverCompletesIt) {
  const auto sid = save("medium", "simulate", kMedium);
  std::int64_t id = 0;
  {
    auto m = manager();
    id = start({{"kind", "simulate"}, {"scenario_id", sid}, {"options", {{"seed", 5}}}});
    ASSERT_GT(id, 0);
    wait_for(id, {"running"});
    m->shutdown(0ms);
    auto after = store_->get_run(id);
    ASSERT_TRUE(after.has_value());
    EXPECT_EQ(after->status, "interrupted");
    // No new runs once shutting down.
    auto refused =
        call(Method::kPost, "/api/v1/runs", {{"kind", "simulate"}, {"scenario_id", sid}});
    EXPECT_EQ(refused.status, 503);
    EXPECT_EQ(refused.body["error"]["code"], "shutting_down");
  }
  auto unfinished = store_->unfinished_runs();
  ASSERT_TRUE(unfinished.has_value());
  ASSERT_EQ(unfinished->size(), 1u);

  auto m = manager();
  auto recovered = m->recover();
  ASSERT_TRUE(recovered.has_value()) << recovered.error().message;
  const auto done = wait_for(id, {"succeeded", "failed", "cancelled"}, 120s);
  ASSERT_EQ(done.status, "succeeded") << done.error;
  const auto result = nlohmann::json::parse(result_text(id));
  EXPECT_EQ(result["summary"]["jobs_submitted"], kMediumJobs);
  EXPECT_EQ(result["summary"]["seed"], 5);
  EXPECT_LE(result["timeline"]["t_h"].size(), 2000u);
}

TEST_F(RunsTest, PlanRunResultHasTheObjectiveOfSolvePlan) {
  const auto sid = save("plan", "plan", kPlan);
  auto m = manager();
  const auto id = start({{"kind", "plan"}, {"scenario_id", sid}, {"options", {{"gap", 0}}}});
  ASSERT_GT(id, 0);
  ASSERT_EQ(wait_for(id, {"succeeded", "failed"}).status, "succeeded");
  const auto result = nlohmann::json::parse(result_text(id));

  auto sc = parse_plan_scenario(kPlan, scenario_pseudo_path(data_dir(), "plan"), *catalog_);
  ASSERT_TRUE(sc.has_value()) << sc.error().message;
  PlanOptions o;
  o.relative_gap = 0;
  auto direct = solve_plan(sc->problem, o);
  ASSERT_TRUE(direct.has_value());
  EXPECT_EQ(result["status"], "optimal");
  EXPECT_DOUBLE_EQ(result["objective_usd"].get<double>(), direct->objective_usd);
  EXPECT_EQ(result["scenario"], "plan");
  EXPECT_FALSE(result.contains("solve_time_s"));
  EXPECT_FALSE(result.contains("sweep"));
}

TEST_F(RunsTest, ReportRunRendersHtml) {
  const auto sid = save("plan", "plan", kPlan);
  auto m = manager();
  const auto id = start({{"kind", "report"},
                         {"scenario_id", sid},
                         {"options", {{"sweep", {"policy.domestic_share_min=0.3,0.6"}}}}});
  ASSERT_GT(id, 0);
  const auto done = wait_for(id, {"succeeded", "failed"});
  ASSERT_EQ(done.status, "succeeded") << done.error;
  const auto doc = nlohmann::json::parse(result_text(id));
  EXPECT_TRUE(doc.contains("plan"));
  EXPECT_TRUE(doc.contains("sweep"));
  EXPECT_TRUE(doc.contains("simulation"));
  EXPECT_EQ(doc.dump().find("solve_time_s"), std::string::npos);
  auto html = call(Method::kGet, fmt::format("/api/v1/runs/{}/report.html", id));
  EXPECT_EQ(html.status, 200);
  EXPECT_EQ(html.content_type.rfind("text/html", 0), 0u);
  ASSERT_TRUE(html.raw.has_value());
  EXPECT_NE(html.raw->find("<html lang=\"en\""), std::string::npos);
}

// options.lang: the report's sentences and its page in Chinese, the
// figures the same as the English run's.
TEST_F(RunsTest, ReportRunInChineseRendersAChinesePage) {
  const auto sid = save("plan", "plan", kPlan);
  auto m = manager();
  const auto id = start({{"kind", "report"},
                         {"scenario_id", sid},
                         {"options", {{"simulate", false}, {"lang", "zh"}}}});
  ASSERT_GT(id, 0);
  const auto done = wait_for(id, {"succeeded", "failed"});
  ASSERT_EQ(done.status, "succeeded") << done.error;
  const auto doc = nlohmann::json::parse(result_text(id));
  EXPECT_EQ(doc["lang"], "zh");
  ASSERT_TRUE(doc["summary"].is_array() && !doc["summary"].empty());
  EXPECT_EQ(doc["summary"][0].get<std::string>().rfind("方案状态", 0), 0u) << doc["summary"];
  auto html = call(Method::kGet, fmt::format("/api/v1/runs/{}/report.html", id));
  ASSERT_EQ(html.status, 200);
  ASSERT_TRUE(html.raw.has_value());
  EXPECT_NE(html.raw->find("<html lang=\"zh-CN\""), std::string::npos);
  EXPECT_NE(html.raw->find("采购方案"), std::string::npos);
  auto bad = call(Method::kPost, "/api/v1/runs",
                  {{"kind", "report"}, {"scenario_id", sid}, {"options", {{"lang", "fr"}}}});
  EXPECT_EQ(bad.status, 400) << bad.body.dump();
  EXPECT_NE(bad.body.dump().find("body.options.lang: unknown language"), std::string::npos)
      << bad.body.dump();
}

TEST_F(RunsTest, BadRequestsAreRefusedUpFrontAndNothingIsStored) {
  const auto sim_id = save("tiny", "simulate", kTiny);
  const auto plan_id = save("plan", "plan", kPlan);
  auto m = manager();
  auto expect_status = [&](const nlohmann::json& body, int status, const std::string& part) {
    auto r = call(Method::kPost, "/api/v1/runs", body);
    EXPECT_EQ(r.status, status) << body.dump() << " -> " << r.body.dump();
    const std::string message = r.body.contains("error") && r.body["error"].is_object()
                                    ? r.body["error"].value("message", "")
                                    : "";
    EXPECT_NE(message.find(part), std::string::npos) << message;
  };
  expect_status({{"kind", "simulate"}, {"scenario_id", plan_id}}, 400, "needs a simulate scenario");
  expect_status({{"kind", "report"}, {"scenario_id", sim_id}}, 400, "needs a plan scenario");
  expect_status({{"kind", "plan"}, {"scenario_id", sim_id}}, 400, "needs a plan scenario");
  expect_status({{"kind", "replay"}, {"scenario_id", sim_id}}, 400, "body.kind");
  expect_status({{"kind", "simulate"}, {"scenario_id", 999}}, 404, "999");
  expect_status({{"kind", "simulate"}, {"scenario_id", sim_id}, {"version", 2}}, 404, "");
  expect_status({{"kind", "simulate"}, {"scenario_id", sim_id}, {"options", {{"placement", "x"}}}},
                400, "body.options.placement");
  expect_status({{"kind", "simulate"}, {"scenario_id", sim_id}, {"options", {{"seeds", 1}}}}, 400,
                "body.options.seeds");
  expect_status({{"kind", "simulate"}, {"scenario_id", sim_id}, {"options", {{"gap", 0.1}}}}, 400,
                "body.options.gap");
  expect_status({{"kind", "plan"}, {"scenario_id", plan_id}, {"options", {{"set", {"nokey"}}}}},
                400, "body.options.set");
  expect_status(
      {{"kind", "plan"}, {"scenario_id", plan_id}, {"options", {{"set", {"plan.nokey=1"}}}}}, 400,
      "nokey");
  expect_status({{"kind", "plan"}, {"scenario_id", plan_id}, {"options", {{"time_limit_s", -1}}}},
                400, "time_limit_s");
  expect_status({{"kind", "simulate"}, {"scenario", sim_id}}, 400, "body.scenario_id");
  auto runs = store_->list_runs(10);
  ASSERT_TRUE(runs.has_value());
  EXPECT_TRUE(runs->empty());
  EXPECT_EQ(call(Method::kGet, "/api/v1/runs/77").status, 404);
  EXPECT_EQ(call(Method::kGet, "/api/v1/runs/abc").status, 400);
}

// The core's cancellation hooks, called directly: each stops with kCancelled
// (and without the hook the same calls succeed).
TEST_F(RunsTest, CoreCancellationHooksStopWithCancelled) {
  const auto file = scenario_pseudo_path(data_dir(), "plan");
  auto sc = parse_plan_scenario(kPlan, file, *catalog_);
  ASSERT_TRUE(sc.has_value()) << sc.error().message;
  PlanOptions o;
  ASSERT_TRUE(solve_plan(sc->problem, o).has_value());
  int asked = 0;
  o.cancelled = [&asked] { return ++asked > 1; };  // after the main solve
  auto plan = solve_plan(sc->problem, o);
  ASSERT_FALSE(plan.has_value());
  EXPECT_EQ(plan.error().code, ErrorCode::kCancelled);

  PlanOptions always;
  always.cancelled = [] { return true; };
  auto sweep =
      run_sweep_text(kPlan, file, *catalog_, {}, {{"policy.domestic_share_min", {"0.3"}}}, always);
  ASSERT_FALSE(sweep.has_value());
  EXPECT_EQ(sweep.error().code, ErrorCode::kCancelled);
  ReportOptions ro;
  ro.simulate = false;
  ro.cancelled = [] { return true; };
  auto report = build_report_text(kPlan, file, *catalog_, ro);
  ASSERT_FALSE(report.has_value());
  EXPECT_EQ(report.error().code, ErrorCode::kCancelled);

  auto sim_sc = parse_scenario(kMedium, scenario_pseudo_path(data_dir(), "m"), *catalog_);
  ASSERT_TRUE(sim_sc.has_value());
  RunOptions run;
  run.cancelled = [] { return true; };
  auto sim = Simulation::create(*sim_sc, *catalog_, std::move(run));
  ASSERT_TRUE(sim.has_value());
  auto r = sim->run();
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, ErrorCode::kCancelled);
}

TEST(JctHistogram, RoundBucketsCountEveryJob) {
  const auto h = jct_histogram_json({0.2, 1.5, 3.9, 39.0, 0.0});
  EXPECT_EQ(h["count"], 5);
  EXPECT_DOUBLE_EQ(h["bucket_width_h"].get<double>(), 2.0);
  long long n = 0;
  for (const auto& b : h["buckets"]) n += b["count"].get<long long>();
  EXPECT_EQ(n, 5);
  EXPECT_EQ(h["buckets"].front()["count"], 3);  // 0, 0.2, 1.5 in [0, 2)
  EXPECT_TRUE(jct_histogram_json({})["buckets"].empty());
}

}  // namespace
}  // namespace suanli::service

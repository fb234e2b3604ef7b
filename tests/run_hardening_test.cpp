// Issue 13 (harden the service), the runs' part: errors that cannot throw
// and never echo a file (C2), numbers range-checked at load and a guard in
// front of CBC (C3), trace files confined to the service's directories
// (H1), bounded simulations, sweeps and runs per token (H6), the
// crash-loop quarantine, origin codes, the fleet's node cap and server
// paths kept out of messages.
#include <gtest/gtest.h>

#include <fmt/format.h>

#include <chrono>
#include <cmath>
#include <limits>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

#include <nlohmann/json.hpp>

#include "bundled_catalog.h"
#include "cli_run.h"
#include "plan/milp.h"
#include "plan/plan_scenario.h"
#include "plan/sweep.h"
#include "service/runs.h"
#include "service/scenario_api.h"
#include "service_api_fixture.h"
#include "sim/scenario.h"
#include "sim/simulation.h"
#include "temp_dir.h"
#include "util/strings.h"

namespace suanli::service {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

constexpr std::string_view kFleet = R"(name = "h"
seed = 3
[[sites]]
name = "wuhu"
[[fleet]]
site = "wuhu"
accelerator = "h200-sxm"
nodes = 2
[[tenants]]
name = "lab"
)";

std::string with_generator(std::string_view extra, std::string_view generator_keys = {}) {
  return fmt::format(R"({}{}
[[generators]]
tenant = "lab"
rate_per_hour = 4
count = 20
{}
  [[generators.jobs]]
  devices = [1, 8]
  reference = "h100-sxm"
  reference_hours = [0.5, 2]
)",
                     kFleet, extra, generator_keys);
}

std::string trace_scenario(std::string_view pods) {
  return fmt::format(R"({}
[[traces]]
pods = "{}"
tenant = "lab"
default_reference = "h100-sxm"
)",
                     kFleet, pods);
}

const std::string kLong = fmt::format(R"({}
[[generators]]
tenant = "lab"
rate_per_hour = 20
count = 1000000
  [[generators.jobs]]
  devices = [1, 8]
  reference = "h100-sxm"
  reference_hours = [0.05, 0.4]
)",
                                      kFleet);

const std::string kPlan = R"([plan]
name = "t"
years = 2
tariff_usd_per_kwh = 0.08

[[site]]
name = "guian"

[[candidate]]
accelerator = "ascend-910c"
price_usd = 25000

[[training]]
name = "small-run"
model = "gpt3-6.7b"
tokens = 3.0e11
deadline_days = 10
)";

std::string replace(std::string text, std::string_view from, std::string_view to) {
  const auto at = text.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  if (at != std::string::npos) text.replace(at, from.size(), to);
  return text;
}


class HardeningLoad : public suanli::testing::BundledCatalogTest {};

class RunHardeningTest : public suanli::testing::ServiceApiTest {
 protected:
  RunManagerOptions options(int workers = 1) {
    RunManagerOptions o;
    o.workers = workers;
    o.data_dir = data_dir();
    o.progress_interval_s = 0.05;
    return o;
  }
  fs::path data_dir() const { return dir_.path() / "data"; }
  fs::path scenarios_dir() const { return data_dir() / "scenarios"; }

  std::unique_ptr<RunManager> manager(RunManagerOptions o) {
    auto m = std::make_unique<RunManager>(*store_, *holder_, std::move(o));
    router_ = Router();
    m->add_routes(router_);
    return m;
  }

  std::int64_t save(const std::string& name, const std::string& kind, const std::string& body) {
    auto r = store_->create_scenario(name, kind, body);
    EXPECT_TRUE(r.has_value()) << r.error().message;
    return r ? r->id : 0;
  }

  // POST /runs as token `token`.
  ApiResponse post_run(const nlohmann::json& body, std::int64_t token = 1) {
    const Router::Match m = router_.match(Method::kPost, "/api/v1/runs");
    ApiRequest r;
    r.method = Method::kPost;
    r.path = "/api/v1/runs";
    r.params = m.params;
    r.body = body.dump();
    r.principal.token_id = token;
    r.principal.can_write = true;
    return m.route->handler(r);
  }

  store::RunRecord wait_for(std::int64_t id, std::initializer_list<std::string_view> statuses,
                            std::chrono::seconds timeout = 60s) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    store::RunRecord last;
    while (std::chrono::steady_clock::now() < deadline) {
      if (auto r = store_->get_run(id)) {
        last = *r;
        for (std::string_view s : statuses)
          if (r->status == s) return last;
      }
      std::this_thread::sleep_for(10ms);
    }
    ADD_FAILURE() << "run " << id << " still " << last.status;
    return last;
  }

  void write_file(const fs::path& path, std::string_view bytes) {
    fs::create_directories(path.parent_path());
    std::ofstream(path, std::ios::binary) << bytes;
  }
};

// ---- C2: errors that cannot throw and do not echo the file --------------

TEST_F(RunHardeningTest, ANonUtf8TraceFailsTheRunWithAValidUtf8ErrorWithoutTheFileBytes) {
  // A Latin-1 file where the openb header should be.
  write_file(scenarios_dir() / "latin1.csv", "caf\xe9-secret,\xff\xfe\n1,2\n");
  const auto sid = save("latin", "simulate", trace_scenario("latin1.csv"));
  auto m = manager(options());
  auto r = post_run({{"kind", "simulate"}, {"scenario_id", sid}});
  ASSERT_EQ(r.status, 202) << r.body.dump();
  const auto id = r.body["id"].get<std::int64_t>();
  const auto done = wait_for(id, {"succeeded", "failed"});
  ASSERT_EQ(done.status, "failed");
  EXPECT_TRUE(is_valid_utf8(done.error)) << done.error;
  const auto error = nlohmann::json::parse(done.error, nullptr, false);
  ASSERT_FALSE(error.is_discarded()) << done.error;
  const std::string message = error["message"];
  EXPECT_NE(message.find("latin1.csv:1"), std::string::npos) << message;
  EXPECT_EQ(message.find("secret"), std::string::npos) << message;
  EXPECT_EQ(message.find("caf"), std::string::npos) << message;
  EXPECT_EQ(message.find(data_dir().string()), std::string::npos) << message;
  // The manager is fine: the run shows, and another run succeeds.
  const auto shown = call(Method::kGet, fmt::format("/api/v1/runs/{}", id));
  EXPECT_EQ(shown.status, 200);
  EXPECT_EQ(shown.body["status"], "failed");
  EXPECT_NO_THROW((void)shown.body.dump());
  const auto ok = save("ok", "simulate", with_generator(""));
  auto again = post_run({{"kind", "simulate"}, {"scenario_id", ok}});
  ASSERT_EQ(again.status, 202);
  EXPECT_EQ(wait_for(again.body["id"].get<std::int64_t>(), {"succeeded", "failed"}).status,
            "succeeded");
}

TEST(RunErrorText, InvalidUtf8InAMessageGivesValidJsonAndRelativePaths) {
  const Error e{ErrorCode::kParse, "/srv/d/scenarios/x.toml:3: bad \xff\xc3 bytes \xe9"};
  const std::string text = run_error_text(e, "/srv/d");
  EXPECT_TRUE(is_valid_utf8(text)) << text;
  const auto j = nlohmann::json::parse(text, nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << text;
  EXPECT_EQ(j["code"], "parse_error");
  EXPECT_EQ(j["message"].get<std::string>().rfind("scenarios/x.toml:3: bad ", 0), 0u) << text;
  EXPECT_EQ(valid_utf8("a\xe2\x82"), "a\xef\xbf\xbd\xef\xbf\xbd");
  EXPECT_EQ(valid_utf8("ok ü 算"), "ok ü 算");
}

// ---- H1: trace paths confined on the server ----------------------------

TEST_F(RunHardeningTest, TracePathsOutsideTheAllowedDirectoriesAreRefusedWithoutContents) {
  write_file(dir_.path() / "outside.csv", "TOPSECRET\n");
  fs::create_directories(scenarios_dir());
  std::error_code ec;
  fs::create_symlink(dir_.path() / "outside.csv", scenarios_dir() / "link.csv", ec);
  ASSERT_FALSE(ec) << ec.message();
  auto m = manager(options());
  int n = 0;
  for (const std::string& pods :
       {std::string("/proc/self/environ"), (dir_.path() / "outside.csv").string(),
        std::string("../outside.csv"), std::string("sub/../../outside.csv"),
        std::string("link.csv")}) {
    const auto sid = save(fmt::format("t{}", n++), "simulate", trace_scenario(pods));
    auto r = post_run({{"kind", "simulate"}, {"scenario_id", sid}});
    EXPECT_EQ(r.status, 400) << pods << ": " << r.body.dump();
    const std::string text = r.body.dump();
    EXPECT_NE(text.find("pods"), std::string::npos) << text;
    EXPECT_EQ(text.find("TOPSECRET"), std::string::npos) << text;
    EXPECT_EQ(text.find("PATH="), std::string::npos) << text;
    EXPECT_EQ(text.find(dir_.path().string()), std::string::npos) << text;
    // The same at save time (ScenarioApi validation).
    auto v = validate_scenario("simulate", "x", trace_scenario(pods), *catalog_, data_dir());
    EXPECT_FALSE(v.has_value()) << pods;
  }
  // A file inside the scenario folder is found (and fails on its format only).
  write_file(scenarios_dir() / "inside.csv", "x\n");
  EXPECT_EQ(post_run({{"kind", "simulate"},
                      {"scenario_id", save("inside", "simulate", trace_scenario("inside.csv"))}})
                .status,
            202);
}

TEST_F(HardeningLoad, ScenarioLoadTheCliStillReadsAbsoluteTracePaths) {
  suanli::testing::TempDir dir;
  const fs::path file = dir.path() / "pods.csv";
  std::ofstream(file) << "x\n";
  auto sc = parse_scenario(trace_scenario(file.string()), dir.path() / "s.toml", *catalog_);
  ASSERT_TRUE(sc.has_value()) << sc.error().message;
  EXPECT_FALSE(sc->traces.at(0).confined);
}

// ---- C3: plan numbers and the guard before CBC --------------------------

TEST_F(HardeningLoad, PlanBoundsOutOfRangeNumbersFailAtLoadWithFileLineAndKey) {
  struct Case {
    std::string_view from, to, key;
  };
  for (const Case& c : {Case{"tariff_usd_per_kwh = 0.08", "tariff_usd_per_kwh = 1e20",
                             "plan.tariff_usd_per_kwh"},
                        Case{"tariff_usd_per_kwh = 0.08", "pue = 1e308", "plan.pue"},
                        Case{"tariff_usd_per_kwh = 0.08", "discount_rate = 1e300",
                             "plan.discount_rate"},
                        Case{"price_usd = 25000", "price_usd = 1e300", "candidate[0].price_usd"},
                        Case{"price_usd = 25000", "node_power_kw = 1e308",
                             "candidate[0].node_power_kw"},
                        Case{"tokens = 3.0e11", "tokens = 1e300", "training[0].tokens"}}) {
    auto sc = parse_plan_scenario(replace(std::string(kPlan), c.from, c.to), "/x/p.toml",
                                  *catalog_);
    ASSERT_FALSE(sc.has_value()) << c.to;
    EXPECT_EQ(sc.error().message.rfind("/x/p.toml:", 0), 0u) << sc.error().message;
    EXPECT_NE(sc.error().message.find(c.key), std::string::npos) << sc.error().message;
  }
}

TEST(PlanBounds, TheCliExitsTwoOnAHugeTariffInsteadOfAborting) {
  suanli::testing::TempDir dir;
  const fs::path file = dir.path() / "p.toml";
  std::ofstream(file) << replace(std::string(kPlan), "tariff_usd_per_kwh = 0.08",
                                 "tariff_usd_per_kwh = 1e20");
  for (const char* command : {"plan", "report"}) {
    auto r = app::run({command, file.string()});
    EXPECT_EQ(r.code, 2) << command << ": " << r.all();
    EXPECT_NE(r.err.find("p.toml:4: plan.tariff_usd_per_kwh"), std::string::npos) << r.err;
  }
}

TEST(MilpGuard, AModelWithAHugeCoefficientIsRefusedBeforeCbc) {
  MilpModel m;
  const int x = m.add_variable(0, 10, 1e30, true);  // CLP would abort on this cost
  m.add_constraint({{x, 1}}, 1, std::numeric_limits<double>::infinity());
  EXPECT_FALSE(check_milp_model(m).has_value());
  const MilpSolution s = solve_milp(m, {});
  EXPECT_EQ(s.status, MilpStatus::kUnknown);
  EXPECT_NE(s.error.find("cost"), std::string::npos) << s.error;
  MilpModel nan;
  const int y = nan.add_variable(0, 1, 1, false);
  nan.add_constraint({{y, std::nan("")}}, 0, 1);
  EXPECT_FALSE(check_milp_model(nan).has_value());
  MilpModel fine;
  const int z = fine.add_variable(0, 10, 1, true);
  fine.add_constraint({{z, 1}}, 2, std::numeric_limits<double>::infinity());
  EXPECT_TRUE(check_milp_model(fine).has_value());
  EXPECT_EQ(solve_milp(fine, {}).status, MilpStatus::kOptimal);
}

// ---- H6: bounded work -----------------------------------------------------

TEST_F(HardeningLoad, SimBoundsEveryUnboundedInputIsRefusedAtLoad) {
  const std::string node_event = std::string(kFleet) + R"(
[[node_events]]
at_hours = 1e305
node = "wuhu-h200-sxm-0"
state = "down"
)";
  struct Case {
    std::string text;
    std::string_view key;
  };
  const std::vector<Case> cases{
      {node_event, "node_events[0].at_hours"},
      {replace(with_generator(""), "rate_per_hour = 4", "rate_per_hour = 1e-308"),
       "generators[0].rate_per_hour"},
      {replace(with_generator(""), "count = 20", "count = 1e9"), "generators[0].count"},
      {with_generator("[simulation]\nsample_interval_s = 1e-300\n"),
       "simulation.sample_interval_s"},
      {with_generator("[simulation]\nuntil_hours = 1e300\n"), "simulation.until_hours"},
      {trace_scenario("x.csv") + "time_scale = 1e300\n", "traces[0]"},
      {replace(with_generator(""), "nodes = 2", "nodes = 2000000"), "fleet[0].nodes"},
      {with_generator("[limits]\nmax_events = 1e12\n"), "limits.max_events"},
      {replace(with_generator(""), "reference_hours = [0.5, 2]", "reference_hours = [0.5, 1e300]"),
       "reference_hours"},
  };
  suanli::testing::TempDir dir;
  std::ofstream(dir.path() / "x.csv") << "x\n";
  for (const Case& c : cases) {
    auto sc = parse_scenario(c.text, dir.path() / "s.toml", *catalog_);
    ASSERT_FALSE(sc.has_value()) << c.key;
    EXPECT_NE(sc.error().message.find(c.key), std::string::npos) << sc.error().message;
    EXPECT_NE(sc.error().message.find("s.toml:"), std::string::npos) << sc.error().message;
  }
}

TEST_F(HardeningLoad, SimBoundsTheFleetNodeCapCoversEveryPoolTogether) {
  std::string text = replace(std::string(kFleet), "nodes = 2", "nodes = 60000");
  text += "[[fleet]]\nsite = \"wuhu\"\naccelerator = \"h200-sxm\"\nnodes = 60000\n";
  auto sc = parse_scenario(text, "/x/s.toml", *catalog_);
  ASSERT_FALSE(sc.has_value());
  EXPECT_NE(sc.error().message.find("100000 nodes"), std::string::npos) << sc.error().message;
}

TEST_F(HardeningLoad, SimBoundsASimulationStopsWithAnErrorAtEachLimit) {
  for (auto [limits, name] :
       {std::pair{"[limits]\nmax_events = 50\n", "limits.max_events"},
        std::pair{"[limits]\nmax_jobs = 30\n", "limits.max_jobs"},
        std::pair{"[limits]\nmax_samples = 3\n", "limits.max_samples"},
        std::pair{"[limits]\nmax_simulated_hours = 2\n", "limits.max_simulated_hours"}}) {
    const std::string text = with_generator(limits);
    auto sc = parse_scenario(text, "/x/s.toml", *catalog_);
    ASSERT_TRUE(sc.has_value()) << sc.error().message;
    if (std::string_view(name) == "limits.max_jobs") sc->limits.max_jobs = 5;
    auto sim = Simulation::create(*sc, *catalog_);
    ASSERT_TRUE(sim.has_value());
    auto r = sim->run();
    ASSERT_FALSE(r.has_value()) << name;
    EXPECT_NE(r.error().message.find(name), std::string::npos) << r.error().message;
  }
}

TEST_F(HardeningLoad, SimBoundsAHugeTraceTimeStopsAtTheSimulatedTimeLimit) {
  suanli::testing::TempDir dir;
  std::ofstream(dir.path() / "pods.csv")
      << "name,cpu_milli,memory_mib,num_gpu,gpu_milli,gpu_spec,qos,pod_phase,creation_time,"
         "deletion_time,scheduled_time\n"
         "p0,1000,1024,1,1000,,LS,Running,0,100,0\n"
         "p1,1000,1024,1,1000,,LS,Running,9000000000000000000,9000000000000000100,"
         "9000000000000000000\n";
  auto sc = parse_scenario(trace_scenario("pods.csv"), dir.path() / "s.toml", *catalog_);
  ASSERT_TRUE(sc.has_value()) << sc.error().message;
  auto sim = Simulation::create(*sc, *catalog_);
  ASSERT_TRUE(sim.has_value());
  auto r = sim->run();
  ASSERT_FALSE(r.has_value());
  EXPECT_NE(r.error().message.find("limits.max_simulated_hours"), std::string::npos)
      << r.error().message;
}

TEST(SweepBounds, AMillionPointSweepIsRefused) {
  std::string values;
  for (int i = 0; i < 1000; ++i) values += (i ? "," : "") + std::to_string(i);
  auto sweeps = parse_sweep_args({"plan.years=" + values, "policy.domestic_share_min=" + values});
  ASSERT_TRUE(sweeps.has_value());
  auto n = plan_sweep_points(*sweeps);
  ASSERT_FALSE(n.has_value());
  EXPECT_NE(n.error().message.find("1000 points"), std::string::npos) << n.error().message;
  EXPECT_EQ(*plan_sweep_points({PlanSweep{"a", {"1", "2"}}, PlanSweep{"b", {"1", "2", "3"}}}), 6u);
}

TEST_F(RunHardeningTest, AMillionPointSweepRunIsRefusedWith400) {
  const auto sid = save("plan", "plan", kPlan);
  auto m = manager(options());
  std::string values;
  for (int i = 0; i < 1000; ++i) values += (i ? "," : "") + fmt::format("{}", i / 1000.0);
  auto r = post_run({{"kind", "plan"},
                     {"scenario_id", sid},
                     {"options",
                      {{"sweep", {"policy.domestic_share_min=" + values, "plan.years=1,2"}}}}});
  EXPECT_EQ(r.status, 400) << r.body.dump();
  EXPECT_NE(r.body.dump().find("1000 points"), std::string::npos) << r.body.dump();
}

TEST_F(RunHardeningTest, TheServerCapsASimulationTheScenarioAllowsMore) {
  const auto sid = save("big", "simulate", with_generator("[limits]\nmax_events = 1000000000\n"));
  RunManagerOptions o = options();
  o.limits.max_events = 40;
  auto m = manager(o);
  auto r = post_run({{"kind", "simulate"}, {"scenario_id", sid}});
  ASSERT_EQ(r.status, 202) << r.body.dump();
  const auto done = wait_for(r.body["id"].get<std::int64_t>(), {"succeeded", "failed"});
  EXPECT_EQ(done.status, "failed");
  EXPECT_NE(done.error.find("limits.max_events = 40"), std::string::npos) << done.error;
  // An until_hours past the server's simulated-time cap is a 400.
  o.limits.max_simulated_hours = 10;
  auto m2 = manager(o);
  auto late = post_run(
      {{"kind", "simulate"}, {"scenario_id", sid}, {"options", {{"until_hours", 11}}}});
  EXPECT_EQ(late.status, 400) << late.body.dump();
}

TEST_F(RunHardeningTest, OneTokenCannotQueueMoreThanItsShare) {
  const auto sid = save("long", "simulate", kLong);
  RunManagerOptions o = options();
  o.max_runs_per_token = 2;
  auto m = manager(o);
  std::vector<std::int64_t> ids;
  for (int i = 0; i < 2; ++i) {
    auto r = post_run({{"kind", "simulate"}, {"scenario_id", sid}}, 7);
    ASSERT_EQ(r.status, 202) << r.body.dump();
    ids.push_back(r.body["id"].get<std::int64_t>());
  }
  auto refused = post_run({{"kind", "simulate"}, {"scenario_id", sid}}, 7);
  EXPECT_EQ(refused.status, 429) << refused.body.dump();
  EXPECT_EQ(refused.body["error"]["code"], "too_many_runs");
  // Another token still gets in.
  auto other = post_run({{"kind", "simulate"}, {"scenario_id", sid}}, 8);
  EXPECT_EQ(other.status, 202) << other.body.dump();
  m->shutdown(0ms);
}

// ---- the crash-loop quarantine --------------------------------------------

TEST_F(RunHardeningTest, ARunFoundRunningAfterTwoAttemptsIsQuarantinedNotRerun) {
  const auto sid = save("ok", "simulate", with_generator(""));
  const std::string params =
      nlohmann::json{{"kind", "simulate"}, {"scenario_id", sid}, {"version", 1},
                     {"scenario_name", "ok"}, {"options", nlohmann::json::object()}}
          .dump();
  auto twice = store_->create_run("simulate", params);
  auto once = store_->create_run("simulate", params);
  ASSERT_TRUE(twice && once);
  // Two starts that each died (the process was killed during the run).
  EXPECT_EQ(*store_->begin_run_attempt(twice->id), 1);
  EXPECT_EQ(*store_->begin_run_attempt(twice->id), 2);
  EXPECT_EQ(*store_->begin_run_attempt(once->id), 1);
  {
    auto m = manager(options());
    ASSERT_TRUE(m->recover().has_value());
    const auto q = wait_for(twice->id, {"failed", "succeeded", "cancelled"});
    EXPECT_EQ(q.status, "failed");
    EXPECT_EQ(q.attempts, 2);  // not started a third time
    EXPECT_NE(q.error.find("quarantined after 2 interrupted attempts"), std::string::npos)
        << q.error;
    // One interrupted attempt: run again, and it succeeds.
    const auto r = wait_for(once->id, {"failed", "succeeded", "cancelled"});
    EXPECT_EQ(r.status, "succeeded") << r.error;
    EXPECT_EQ(r.attempts, 2);
  }
  // A later start leaves the quarantined run alone.
  auto m = manager(options());
  ASSERT_TRUE(m->recover().has_value());
  EXPECT_EQ(m->active(), 0u);
  EXPECT_EQ(store_->get_run(twice->id)->status, "failed");
}

TEST_F(RunHardeningTest, BeginRunAttemptCountsAndRefusesFinishedRuns) {
  auto run = store_->create_run("plan", "{}");
  ASSERT_TRUE(run);
  EXPECT_EQ(run->attempts, 0);
  EXPECT_EQ(*store_->begin_run_attempt(run->id), 1);
  auto got = store_->get_run(run->id);
  EXPECT_EQ(got->status, "running");
  EXPECT_EQ(got->attempts, 1);
  ASSERT_TRUE(store_->finish_run(run->id, "failed", "", "{}"));
  EXPECT_EQ(store_->begin_run_attempt(run->id).error().code, ErrorCode::kConflict);
  EXPECT_EQ(store_->begin_run_attempt(run->id + 100).error().code, ErrorCode::kNotFound);
  EXPECT_GE(*store_->schema_version(), 4);
}

// ---- origins and paths ------------------------------------------------------

TEST_F(HardeningLoad, ScenarioOriginsAreNormalisedToAsciiUpperCaseOrRefused) {
  const std::string rule = R"(
[[rules]]
id = "r"
kind = "sensitivity-origin"
origins = [ORIGINS]
)";
  auto lower = parse_scenario(with_generator(replace(rule, "ORIGINS", "\"cn\"")), "/x/s.toml",
                              *catalog_);
  ASSERT_TRUE(lower.has_value()) << lower.error().message;
  EXPECT_EQ(lower->rules.at(0).origins, std::vector<std::string>{"CN"});
  for (std::string_view bad : {"\"ＣＮ\"", "\"China\"", "\"\""}) {
    auto sc = parse_scenario(with_generator(replace(rule, "ORIGINS", bad)), "/x/s.toml",
                             *catalog_);
    ASSERT_FALSE(sc.has_value()) << bad;
    EXPECT_NE(sc.error().message.find("rules[0].origins"), std::string::npos)
        << sc.error().message;
  }
}

TEST_F(RunHardeningTest, RunErrorsNamePathsRelativeToTheDataDirectory) {
  const auto sid = save("rel", "simulate", with_generator("[limits]\nmax_events = 10\n"));
  auto m = manager(options());
  auto r = post_run({{"kind", "simulate"}, {"scenario_id", sid}});
  ASSERT_EQ(r.status, 202);
  const auto done = wait_for(r.body["id"].get<std::int64_t>(), {"succeeded", "failed"});
  EXPECT_EQ(done.status, "failed");
  EXPECT_EQ(done.error.find(dir_.path().string()), std::string::npos) << done.error;
  // A 400 at submit names the scenario relative to the data directory too.
  const auto bad = save("bad", "simulate", trace_scenario("/etc/passwd"));
  auto refused = post_run({{"kind", "simulate"}, {"scenario_id", bad}});
  EXPECT_EQ(refused.status, 400);
  const std::string text = refused.body.dump();
  EXPECT_NE(text.find("scenarios/bad.toml:"), std::string::npos) << text;
  EXPECT_EQ(text.find(dir_.path().string()), std::string::npos) << text;
}

}  // namespace
}  // namespace suanli::service

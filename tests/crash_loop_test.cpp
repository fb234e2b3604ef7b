// The crash-loop quarantine end to end: the real `suanli serve` is killed
// with SIGKILL while a run of each kind (simulate, plan, report) is
// running, restarted (the run is re-queued and starts again), killed again
// during the same run, and restarted once more: the run is then failed as
// quarantined instead of being started a third time, and the server
// answers. (ServerProcess: tests/server_process.h.)
#include <fcntl.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <functional>
#include <string>
#include <thread>

#include <nlohmann/json.hpp>

#include "server_process.h"
#include "service_fixture.h"
#include "store/store.h"
#include "temp_dir.h"

namespace suanli::testing {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

const char* kPlan = R"([plan]
name = "loop"
years = 2

[[site]]
name = "guian"

[[candidate]]
accelerator = "h200-sxm"
assume_available = "the chip can be bought in China, a test assumption"
levy = 0.25

[[candidate]]
accelerator = "ascend-910c"
price_usd = 25000

[policy]
domestic_share_min = 0.3

[[training]]
name = "small-run"
model = "gpt3-6.7b"
tokens = 3.0e11
deadline_days = 10
)";

// Polls GET /runs/{id} until `done` holds; the last body.
json poll_run(httplib::Client& c, std::int64_t id, const std::function<bool(const json&)>& done) {
  json last;
  const auto deadline = std::chrono::steady_clock::now() + 120s;
  while (std::chrono::steady_clock::now() < deadline) {
    auto r = send(c, "GET", "/api/v1/runs/" + std::to_string(id));
    if (r.status == 200) {
      last = r.body;
      if (done(last)) return last;
    }
    std::this_thread::sleep_for(5ms);
  }
  ADD_FAILURE() << "run " << id << " never reached the state; last: " << last.dump();
  return last;
}

TEST(CrashLoop, ARunKilledTwiceIsQuarantinedForEveryRunKind) {
  TempDir dir;
  std::string token;
  std::int64_t sim_id = 0, plan_id = 0;
  {
    auto store = store::Store::open("sqlite:" + (dir.path() / "suanli.db").string());
    ASSERT_TRUE(store) << store.error().message;
    auto t = (*store)->create_token("crash-loop", true);
    ASSERT_TRUE(t);
    token = t->secret;
    auto sim = (*store)->create_scenario("long", "simulate", small_sim_scenario("long", 400000));
    auto plan = (*store)->create_scenario("plan", "plan", kPlan);
    ASSERT_TRUE(sim && plan);
    sim_id = sim->id;
    plan_id = plan->id;
  }
  std::string shares;
  for (int i = 0; i <= 600; ++i) shares += (i ? "," : "") + std::to_string(i / 1000.0);
  std::string sweep_arg = "policy.domestic_share_min=";
  sweep_arg += shares;
  const json sweep = json::array({sweep_arg});
  const std::vector<json> requests{
      {{"kind", "simulate"}, {"scenario_id", sim_id}},
      {{"kind", "plan"}, {"scenario_id", plan_id}, {"options", {{"sweep", sweep}}}},
      {{"kind", "report"},
       {"scenario_id", plan_id},
       {"options", {{"sweep", sweep}, {"simulate", false}}}}};
  for (const json& request : requests) {
    const std::string kind = request["kind"];
    std::int64_t id = 0;
    for (int round = 0; round < 3; ++round) {
      ServerProcess server(dir.path());
      ASSERT_GT(server.port(), 0) << kind << ": the server did not start in round " << round;
      httplib::Client c("127.0.0.1", server.port());
      c.set_read_timeout(30);
      if (round == 0) {
        auto r = send(c, "POST", "/api/v1/runs", request.dump(), token);
        ASSERT_EQ(r.status, 202) << r.raw;
        id = r.body["id"].get<std::int64_t>();
      }
      if (round < 2) {
        // Running its (round + 1)th attempt: kill the server during it.
        const json run = poll_run(c, id, [&](const json& j) {
          return j["status"] == "running" && j["attempts"] == round + 1;
        });
        ASSERT_EQ(run["status"], "running") << kind << " round " << round << ": " << run.dump();
        server.kill_now();
        continue;
      }
      // The third start quarantines it at once: failed, never started again.
      const json run = poll_run(c, id, [](const json& j) { return j["status"] != "queued"; });
      EXPECT_EQ(run["status"], "failed") << kind << ": " << run.dump();
      EXPECT_EQ(run["attempts"], 2) << kind;
      EXPECT_EQ(run["error"]["code"], "quarantined") << kind;
      EXPECT_NE(run["error"]["message"].get<std::string>().find(
                    "quarantined after 2 interrupted attempts"),
                std::string::npos)
          << run.dump();
      EXPECT_EQ(send(c, "GET", "/api/v1/health").status, 200);
      std::this_thread::sleep_for(200ms);
      EXPECT_EQ(send(c, "GET", "/api/v1/runs/" + std::to_string(id)).body["status"], "failed");
    }
  }
}

// Issue 13's acceptance: 20 SIGKILLs while runs execute. Each round the
// restarted server saves a scenario and queues a run (both acknowledged),
// and is killed while a run is running. The server starts every time (no
// crash loop), nothing acknowledged is lost, and no run is started more
// than twice.
TEST(CrashLoop, TwentyKillsDuringRunsLoseNothingAcknowledged) {
  TempDir dir;
  std::string token;
  std::int64_t sim_id = 0;
  {
    auto store = store::Store::open("sqlite:" + (dir.path() / "suanli.db").string());
    ASSERT_TRUE(store) << store.error().message;
    auto t = (*store)->create_token("crash-loop", true);
    ASSERT_TRUE(t);
    token = t->secret;
    auto sim = (*store)->create_scenario("long", "simulate", small_sim_scenario("long", 400000));
    ASSERT_TRUE(sim);
    sim_id = sim->id;
  }
  std::vector<std::int64_t> scenarios, runs;
  constexpr int kKills = 20;
  for (int round = 0; round <= kKills; ++round) {
    ServerProcess server(dir.path());
    ASSERT_GT(server.port(), 0) << "the server did not start after " << round << " kills";
    httplib::Client c("127.0.0.1", server.port());
    c.set_read_timeout(30);
    ASSERT_EQ(send(c, "GET", "/api/v1/health").status, 200) << "round " << round;
    if (round == kKills) break;
    const std::string name = "saved-" + std::to_string(round);
    auto saved = send(c, "POST", "/api/v1/scenarios",
                      json{{"name", name}, {"kind", "simulate"}, {"body", small_sim_scenario(name)}}
                          .dump(),
                      token);
    ASSERT_EQ(saved.status, 201) << saved.raw;
    scenarios.push_back(saved.body["id"].get<std::int64_t>());
    auto queued = send(c, "POST", "/api/v1/runs",
                       json{{"kind", "simulate"}, {"scenario_id", sim_id}}.dump(), token);
    ASSERT_EQ(queued.status, 202) << queued.raw;
    runs.push_back(queued.body["id"].get<std::int64_t>());
    // Kill while some run is executing (an earlier re-queued one or this one).
    bool running = false;
    const auto deadline = std::chrono::steady_clock::now() + 60s;
    while (!running && std::chrono::steady_clock::now() < deadline) {
      auto list = send(c, "GET", "/api/v1/runs?limit=50");
      for (const json& r : list.body.value("runs", json::array()))
        running = running || r.value("status", "") == "running";
      if (!running) std::this_thread::sleep_for(5ms);
    }
    EXPECT_TRUE(running) << "round " << round << ": no run started";
    server.kill_now();
  }
  auto store = store::Store::open("sqlite:" + (dir.path() / "suanli.db").string(),
                                  store::StoreAccess::kRead);
  ASSERT_TRUE(store) << store.error().message;
  for (std::int64_t id : scenarios) EXPECT_TRUE((*store)->get_scenario(id).has_value()) << id;
  int quarantined = 0;
  for (std::int64_t id : runs) {
    auto r = (*store)->get_run(id);
    ASSERT_TRUE(r.has_value()) << "acknowledged run " << id << " lost";
    EXPECT_LE(r->attempts, 2) << "run " << id << " started " << r->attempts << " times";
    quarantined += r->error.find("quarantined") != std::string::npos;
  }
  std::cout << "[ crash ] " << kKills << " kills: " << scenarios.size() << " scenarios and "
            << runs.size() << " runs acknowledged and kept, " << quarantined << " quarantined\n";
  EXPECT_GT(quarantined, 0) << "some run must have been killed twice";
}

}  // namespace
}  // namespace suanli::testing

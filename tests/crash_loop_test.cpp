// The crash-loop quarantine end to end: the real `suanli serve` is killed
// with SIGKILL while a run of each kind (simulate, plan, report) is
// running, restarted (the run is re-queued and starts again), killed again
// during the same run, and restarted once more: the run is then failed as
// quarantined instead of being started a third time, and the server
// answers. (ServerProcess as in durability_test.cpp.)
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

#include "service_fixture.h"
#include "store/store.h"
#include "temp_dir.h"

namespace suanli::testing {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

// The real binary as a child process; SIGKILL on destruction if alive.
class ServeChild {
 public:
  explicit ServeChild(const std::filesystem::path& data_dir) {
    int out[2];
    if (pipe(out) != 0) return;
    pid_ = fork();
    if (pid_ == 0) {
      dup2(out[1], STDOUT_FILENO);
      const int devnull = open("/dev/null", O_WRONLY);
      if (devnull >= 0) dup2(devnull, STDERR_FILENO);
      close(out[0]);
      close(out[1]);
      const std::string dir = data_dir.string();
      execl(SUANLI_BINARY, SUANLI_BINARY, "serve", "--listen", "127.0.0.1:0", "--data-dir",
            dir.c_str(), "--no-examples", "--rate-limit", "0", static_cast<char*>(nullptr));
      _exit(127);
    }
    close(out[1]);
    std::string text;
    const auto deadline = std::chrono::steady_clock::now() + 120s;
    while (std::chrono::steady_clock::now() < deadline && port_ == 0) {
      pollfd p{out[0], POLLIN, 0};
      if (poll(&p, 1, 200) <= 0) continue;
      char buf[512];
      const ssize_t n = read(out[0], buf, sizeof buf);
      if (n <= 0) break;
      text.append(buf, static_cast<std::size_t>(n));
      const auto at = text.find("http://127.0.0.1:");
      if (at != std::string::npos) {
        const auto end = text.find_first_not_of("0123456789", at + 17);
        if (end != std::string::npos) port_ = std::stoi(text.substr(at + 17, end - at - 17));
      }
    }
    close(out[0]);
  }
  ~ServeChild() { kill_now(); }
  ServeChild(const ServeChild&) = delete;
  ServeChild& operator=(const ServeChild&) = delete;
  int port() const { return port_; }
  void kill_now() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      int status = 0;
      waitpid(pid_, &status, 0);
      pid_ = -1;
    }
  }

 private:
  pid_t pid_ = -1;
  int port_ = 0;
};

const char* kPlan = R"([plan]
name = "loop"
years = 2

[[site]]
name = "guian"

[[candidate]]
accelerator = "h200-sxm"
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
      ServeChild server(dir.path());
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

}  // namespace
}  // namespace suanli::testing

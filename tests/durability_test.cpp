// Crash durability of `suanli serve`: a client writes scenarios and
// live-fleet events in a loop while the real binary is killed with SIGKILL
// at random moments (seeded), 24 times; after every restart each write
// that was acknowledged must be there, and at the end the store passes its
// integrity check. The server's own start-up replays the live fleet's
// events and refuses to start if the replay does not reproduce the stored
// decisions, so every restart also checks that.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "server_process.h"
#include "service_fixture.h"
#include "store/store.h"
#include "temp_dir.h"

namespace suanli::testing {
namespace {

using nlohmann::json;

struct Acked {
  std::string kind;  // "scenario" | "job"
  std::int64_t id = 0;
  std::string name;
};

TEST(Durability, AcknowledgedWritesSurviveSigkill) {
  TempDir dir;
  std::string token;
  {
    auto store = store::Store::open("sqlite:" + (dir.path() / "suanli.db").string());
    ASSERT_TRUE(store) << store.error().message;
    auto t = (*store)->create_token("durability", true);
    ASSERT_TRUE(t);
    token = t->secret;
  }
  constexpr int kKills = 24;
  std::mt19937 rng(20261122);
  std::vector<Acked> acked;
  int fleet_configured = 0;
  int next = 0;
  for (int round = 0; round <= kKills; ++round) {
    ServerProcess server(dir.path());
    ASSERT_GT(server.port(), 0) << "server did not start in round " << round
                                << " (a failed live-fleet replay stops it)";
    httplib::Client c("127.0.0.1", server.port());
    c.set_read_timeout(30);
    // Everything acknowledged so far is there.
    for (const auto& a : acked) {
      const std::string path = a.kind == "scenario" ? "/api/v1/scenarios/" + std::to_string(a.id)
                                                    : "/api/v1/fleet/jobs/" + std::to_string(a.id);
      auto r = send(c, "GET", path);
      ASSERT_EQ(r.status, 200) << "round " << round << ": acknowledged " << a.kind << " " << a.id
                               << " lost: " << r.raw;
      EXPECT_EQ(r.body.value("name", ""), a.name) << path;
    }
    if (round == kKills) {
      EXPECT_EQ(server.terminate(), 0) << "SIGTERM must stop the server cleanly";
      break;
    }
    if (!fleet_configured) {
      auto cfg = send(c, "PUT", "/api/v1/fleet/config",
                      json{{"scenario", small_fleet_config("durable-fleet")}}.dump(), token);
      ASSERT_EQ(cfg.status / 100, 2) << cfg.raw;
      fleet_configured = 1;
    }
    // Write in a loop on another thread; kill at a random moment.
    std::atomic<bool> stop{false};
    std::vector<Acked> round_acked;
    std::thread writer([&] {
      httplib::Client w("127.0.0.1", server.port());
      w.set_read_timeout(30);
      while (!stop.load()) {
        const int n = next++;
        const std::string name = "w" + std::to_string(n);
        Reply r;
        std::string kind;
        if (n % 2 == 0) {
          kind = "scenario";
          r = send(
              w, "POST", "/api/v1/scenarios",
              json{{"name", name}, {"kind", "simulate"}, {"body", small_sim_scenario(name)}}.dump(),
              token);
        } else {
          kind = "job";
          r = send(w, "POST", "/api/v1/fleet/jobs",
                   json{{"name", name},
                        {"tenant", "lab"},
                        {"devices", 1 + (n % 3 == 0) * 7},
                        {"duration_hours", 2},
                        {"reference", "h20"}}
                       .dump(),
                   token);
        }
        if (r.status == 0) break;  // the server is gone
        if (r.status / 100 == 2) {
          const auto id = r.body.contains("id") ? r.body["id"] : r.body["job"];
          round_acked.push_back({kind, id.get<std::int64_t>(), name});
        }
      }
    });
    std::this_thread::sleep_for(
        std::chrono::milliseconds(std::uniform_int_distribution<int>(30, 400)(rng)));
    server.kill_now();
    stop = true;
    writer.join();
    acked.insert(acked.end(), round_acked.begin(), round_acked.end());
  }
  std::cout << "[ durability ] " << kKills << " SIGKILLs, " << acked.size()
            << " acknowledged writes, all present after every restart\n";
  EXPECT_GT(acked.size(), static_cast<std::size_t>(kKills));
  auto store = store::Store::open("sqlite:" + (dir.path() / "suanli.db").string());
  ASSERT_TRUE(store) << store.error().message;
  auto check = (*store)->integrity_check();
  EXPECT_TRUE(check) << (check ? "" : check.error().message);
}

}  // namespace
}  // namespace suanli::testing

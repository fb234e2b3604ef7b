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

#include "service_fixture.h"
#include "store/store.h"
#include "temp_dir.h"

namespace suanli::testing {
namespace {

using nlohmann::json;

// The real binary as a child process; SIGKILL on destruction if alive.
class ServerProcess {
 public:
  explicit ServerProcess(const std::filesystem::path& data_dir) {
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
    // Read stdout until the "listening on http://127.0.0.1:PORT" line.
    std::string text;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
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
  ~ServerProcess() { kill_now(); }
  int port() const { return port_; }
  void kill_now() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      int status = 0;
      waitpid(pid_, &status, 0);
      pid_ = -1;
    }
  }
  // SIGTERM and wait; returns the exit status (or -1).
  int terminate() {
    if (pid_ <= 0) return -1;
    ::kill(pid_, SIGTERM);
    int status = 0;
    waitpid(pid_, &status, 0);
    pid_ = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }

 private:
  pid_t pid_ = -1;
  int port_ = 0;
};

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

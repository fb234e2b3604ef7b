// The live fleet and its store under the findings of issue 13: a tenant's
// declared sensitivity cannot be bypassed (H2) and the audit re-derives it;
// a config PUT is one event in one transaction and survives SIGKILLs (H3);
// one writer per store (H4); a store whose file vanished stops
// acknowledging; a chip the fleet uses cannot be deleted and a bundled
// chip's origin cannot be relabelled (H7).
#include <gtest/gtest.h>
#include <httplib.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "cli_run.h"
#include "contains.h"
#include "server_process.h"
#include "service_fixture.h"
#include "sim/audit.h"
#include "store/store.h"
#include "temp_dir.h"

namespace suanli::testing {
namespace {

using nlohmann::json;

using ::suanli::testing::contains;

class FleetHardening : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(h_.ok()) << h_.error(); }
  Reply call(const std::string& method, const std::string& path, const json& body = nullptr) {
    auto c = h_.client();
    return send(*c, method, path, body.is_null() ? "" : body.dump(), h_.write_token());
  }
  std::string db_url() const { return "sqlite:" + (h_.dir() / "suanli.db").string(); }

  ServiceHarness h_;
};

// ---- H2: the tenant's declared sensitivity ---------------------------------

TEST_F(FleetHardening, TenantSensitivityIsTheFloorOfItsJobs) {
  ASSERT_EQ(call("PUT", "/api/v1/fleet/config", {{"scenario", small_fleet_config()}}).status, 200);
  // gov is declared confidential; the job gives no sensitivity.
  auto placed = call("POST", "/api/v1/fleet/jobs",
                     {{"name", "g1"},
                      {"tenant", "gov"},
                      {"devices", 1},
                      {"durations_hours", {{"h20", 1}, {"ascend-910b", 1}}}});
  ASSERT_EQ(placed.status, 201) << placed.raw;
  auto job = call("GET", "/api/v1/fleet/jobs/" + std::to_string(placed.body.at("job").get<int>()));
  EXPECT_EQ(job.body.at("sensitivity"), "confidential") << job.raw;
  ASSERT_TRUE(job.body.at("allocation").is_object()) << job.raw;
  EXPECT_EQ(job.body["allocation"]["accelerator"], "ascend-910b");

  // Only an H20 (US) could run it: refused by the rule, with or without an
  // explicit lower sensitivity.
  for (const json& sens : {json(nullptr), json("public")}) {
    json body{{"name", "g2"}, {"tenant", "gov"}, {"devices", 1}, {"durations_hours", {{"h20", 1}}}};
    if (!sens.is_null()) body["sensitivity"] = sens;
    auto r = call("POST", "/api/v1/fleet/jobs", body);
    ASSERT_EQ(r.status, 201) << r.raw;
    EXPECT_EQ(r.body.at("state"), "queued") << r.raw;
    EXPECT_TRUE(contains(r.raw, "sensitive-domestic")) << r.raw;
  }
  // lab declares nothing: its public job may use the H20.
  auto lab = call("POST", "/api/v1/fleet/jobs",
                  {{"name", "l1"}, {"tenant", "lab"}, {"durations_hours", {{"h20", 1}}}});
  EXPECT_EQ(lab.body.value("state", ""), "running") << lab.raw;
}

// A log whose submit line says "public" for a job of a tenant declared
// confidential, placed on a US chip: the audit re-derives the job's
// sensitivity from the header's declaration and reports it.
TEST(FleetHardeningAudit, DeclaredTenantSensitivityIsReDerived) {
  const std::string header_start =
      R"({"event":"header","version":1,"scenario":"h2","seed":1,"queue":"fifo",)"
      R"("placement":"best-fit","preemption":false,)"
      R"("types":[{"type":0,"id":"h20","origin":"US","domestic":false,"compute_weight":148,)"
      R"("price_per_device_hour":1},{"type":1,"id":"ascend-910b","origin":"CN","domestic":true,)"
      R"("compute_weight":300,"price_per_device_hour":1}],"sites":["wuhu"],)";
  const std::string header_end =
      R"("nodes":[{"node":0,"name":"n0","type":0,"site":0,"domain":0,"devices":8,"cpu_milli":0,)"
      R"("memory_mib":0}],"rules":[{"id":"sensitive-domestic","kind":"sensitivity-origin",)"
      R"("min_sensitivity":"confidential","origins":["CN"]}]})";
  const std::string lines =
      R"({"t":0,"event":"submit","job":0,"name":"g","tenant":0,"kind":"training","priority":0,)"
      R"("sensitivity":"public","devices":1,"tp":1,"milli":1000,"cpu_milli":0,"memory_mib":0,)"
      R"("runnable":[0]})"
      "\n"
      R"({"t":0,"event":"place","job":0,"type":0,"groups":[[[0,0,1000]]],"rule":"policy:best-fit",)"
      R"("checked":["sensitive-domestic"]})"
      "\n"
      R"({"t":10,"event":"complete","job":0})"
      "\n"
      R"({"event":"end","t":10,"reason":"drained"})"
      "\n";
  auto audit = [&](const std::string& tenants) {
    std::istringstream in(header_start + tenants + header_end + "\n" + lines);
    return audit_event_log(in);
  };
  auto declared = audit(R"("tenants":[{"name":"gov","sensitivity":"confidential"}],)");
  ASSERT_TRUE(declared) << declared.error().message;
  EXPECT_EQ(declared->by_check["sensitivity-origin"], 1);
  EXPECT_EQ(declared->by_check["tenant-sensitivity"], 1);
  ASSERT_FALSE(declared->violations.empty());
  EXPECT_TRUE(contains(declared->violations[0].message, "declared confidential"))
      << declared->violations[0].message;
  // The same log with an undeclared tenant (the old header form) is clean.
  auto plain = audit(R"("tenants":["gov"],)");
  ASSERT_TRUE(plain) << plain.error().message;
  EXPECT_TRUE(plain->ok()) << plain->violations.size();
  // A malformed declaration is an error naming the line.
  EXPECT_FALSE(audit(R"("tenants":[{"name":"gov","sensitivity":"top"}],)"));
}

// ---- H4: one writer per store ----------------------------------------------

TEST_F(FleetHardening, CliWritersBesideARunningServiceExit2) {
  const auto file = h_.dir() / "fleet.toml";
  std::ofstream(file) << small_fleet_config("cli");
  auto init = app::run({"slurm", "init", file.string(), "--db", db_url()});
  EXPECT_EQ(init.code, app::kExitBadInput) << init.all();
  EXPECT_TRUE(contains(init.err, "is in use by another suanli process (pid " +
                                     std::to_string(::getpid()) + ")"))
      << init.err;
  EXPECT_TRUE(contains(init.err, "stop it or send the change through its API")) << init.err;
  auto token = app::run({"token", "create", "x", "--db", db_url()});
  EXPECT_EQ(token.code, app::kExitBadInput) << token.all();
  // Nothing was written: the service still has no fleet, and reading works.
  EXPECT_EQ(call("GET", "/api/v1/fleet").body.value("configured", true), false);
  auto list = app::run({"token", "list", "--db", db_url()});
  EXPECT_EQ(list.code, app::kExitOk) << list.all();
  EXPECT_TRUE(contains(list.out, "test-writer")) << list.out;
}

TEST(FleetHardeningStore, DeletedOrReplacedFileRefusesWrites) {
  for (const bool replace : {false, true}) {
    TempDir dir;
    const auto path = dir.path() / "suanli.db";
    auto s = store::Store::open("sqlite:" + path.string());
    ASSERT_TRUE(s) << s.error().message;
    ASSERT_TRUE((*s)->create_scenario("before", "plan", "x"));
    std::filesystem::remove(path);
    if (replace) std::ofstream(path) << "";
    auto after = (*s)->create_scenario("after", "plan", "x");
    ASSERT_FALSE(after) << "a write into a vanished file was acknowledged";
    EXPECT_EQ(after.error().code, ErrorCode::kIo);
    EXPECT_TRUE(contains(after.error().message, "deleted or replaced")) << after.error().message;
    EXPECT_FALSE((*s)->append_fleet_event("{}", {}));
  }
}

// ---- H7: catalog changes that would break the fleet ------------------------

TEST_F(FleetHardening, ChipUsedByTheFleetCannotBeDeletedOrRelabelled) {
  const json chip = json::parse(R"({
    "name": "Example NPU", "vendor": "Example", "origin": "cn",
    "source": "vendor briefing", "confidence": "placeholder",
    "dense_tflops": {"bf16": 600},
    "figures": {"memory_gb": 96, "memory_bw_gbps": 2800, "scaleup_domain": 16,
                "scaleup_bidir_gbps": 600, "scaleout_gbps": 50, "tdp_w": 550}})");
  auto put = call("PUT", "/api/v1/catalog/accelerators/our-npu", chip);
  ASSERT_EQ(put.status, 200) << put.raw;
  EXPECT_EQ(put.body.at("origin"), "CN");  // normalised
  json wide = chip;
  wide["origin"] = "\xEF\xBC\xA3\xEF\xBC\xAE";  // full-width "ＣＮ"
  auto refused = call("PUT", "/api/v1/catalog/accelerators/other-npu", wide);
  EXPECT_EQ(refused.status, 400) << refused.raw;
  EXPECT_TRUE(contains(refused.raw, "two ASCII")) << refused.raw;

  const std::string config = small_fleet_config("h7") +
                             "[[fleet]]\nsite = \"wuhu\"\naccelerator = \"our-npu\"\nnodes = 1\n";
  ASSERT_EQ(call("PUT", "/api/v1/fleet/config", {{"scenario", config}}).status, 200);
  auto del = call("DELETE", "/api/v1/catalog/accelerators/our-npu");
  EXPECT_EQ(del.status, 409) << del.raw;
  EXPECT_TRUE(contains(del.raw, "wuhu-our-npu")) << del.raw;
  json relabel = chip;
  relabel["origin"] = "US";
  EXPECT_EQ(call("PUT", "/api/v1/catalog/accelerators/our-npu", relabel).status, 409);
  EXPECT_EQ(call("GET", "/api/v1/catalog/accelerators/our-npu").body.at("origin"), "CN");

  // A bundled chip's origin is not editable by any token.
  auto h20 = call("PUT", "/api/v1/catalog/accelerators/h20", {{"origin", "CN"}});
  EXPECT_EQ(h20.status, 403) << h20.raw;
  EXPECT_TRUE(contains(h20.raw, "bundled")) << h20.raw;
  EXPECT_EQ(call("GET", "/api/v1/catalog/accelerators/h20").body.at("origin"), "US");
  EXPECT_EQ(call("PUT", "/api/v1/catalog/accelerators/h20", {{"origin", "us"}}).status, 200);

  // Once the fleet no longer uses it, it can go.
  ASSERT_EQ(call("PUT", "/api/v1/fleet/config", {{"scenario", small_fleet_config()}}).status, 200);
  EXPECT_EQ(call("DELETE", "/api/v1/catalog/accelerators/our-npu").status, 200);
}

// A fleet whose config names a chip that is gone (deleted before this
// build refused it, or a catalog directory changed) does not stop the
// service: the fleet is degraded with the reason, the rest serves.
TEST(FleetHardeningStart, UnknownChipInTheFleetDoesNotStopTheService) {
  TempDir dir;
  const std::string url = "sqlite:" + (dir.path() / "suanli.db").string();
  {
    auto s = store::Store::open(url);
    ASSERT_TRUE(s) << s.error().message;
    // A config event naming a chip the catalog does not have.
    const std::string config = small_fleet_config("gone") +
                               "[[fleet]]\nsite = \"wuhu\"\naccelerator = \"gone-npu\"\nnodes = 1\n";
    ASSERT_TRUE((*s)->append_fleet_event(
        json{{"type", "config"}, {"scenario", config}, {"types", json::array()}, {"epoch", 0},
             {"t", 0}}
            .dump(),
        {}));
  }
  service::ServiceOptions options;
  options.db_url = url;
  ServiceHarness h(options);
  ASSERT_TRUE(h.ok()) << h.error();
  auto c = h.client();
  EXPECT_EQ(send(*c, "GET", "/api/v1/health").status, 200);
  auto fleet = send(*c, "GET", "/api/v1/fleet", "", h.read_token());
  EXPECT_EQ(fleet.status, 503) << fleet.raw;
  EXPECT_TRUE(contains(fleet.raw, "gone-npu")) << fleet.raw;
  EXPECT_EQ(send(*c, "GET", "/api/v1/fleet/audit", "", h.read_token()).status, 200);
  // A new config recovers it.
  EXPECT_EQ(send(*c, "PUT", "/api/v1/fleet/config", json{{"scenario", small_fleet_config()}}.dump(),
                 h.write_token())
                .status,
            200);
  EXPECT_EQ(send(*c, "GET", "/api/v1/fleet", "", h.read_token()).status, 200);
}

// ---- H3: config PUTs under SIGKILL -------------------------------------------

// 20 SIGKILLs of the real server while a client PUTs configs (and submits
// jobs) in a loop: the server starts every time, the fleet is the last
// acknowledged config or a later one, and the audit never shrinks.
TEST(FleetHardeningDurability, ConfigPutsSurviveSigkill) {
  TempDir dir;
  std::string token;
  {
    auto store = store::Store::open("sqlite:" + (dir.path() / "suanli.db").string());
    ASSERT_TRUE(store) << store.error().message;
    auto t = (*store)->create_token("kills", true);
    ASSERT_TRUE(t);
    token = t->secret;
  }
  constexpr int kKills = 20;
  std::mt19937 rng(13);
  int last_acked = -1;  // number of the last acknowledged config
  std::int64_t audit_seen = 0;
  int next = 0;
  for (int round = 0; round <= kKills; ++round) {
    ServerProcess server(dir.path());
    ASSERT_GT(server.port(), 0) << "server did not start in round " << round;
    httplib::Client c("127.0.0.1", server.port());
    c.set_read_timeout(30);
    auto fleet = send(c, "GET", "/api/v1/fleet", "", token);
    ASSERT_EQ(fleet.status, 200) << "round " << round << ": " << fleet.raw;
    if (last_acked >= 0) {
      ASSERT_EQ(fleet.body.value("configured", false), true) << "round " << round << ": fleet lost";
      const std::string name = fleet.body.value("scenario", "");
      ASSERT_GE(std::stoi(name.substr(1)), last_acked) << "round " << round << ": " << name;
    }
    auto audit = send(c, "GET", "/api/v1/fleet/audit?after=0&limit=1000", "", token);
    ASSERT_EQ(audit.status, 200) << audit.raw;
    const std::int64_t audit_now = audit.body.value("next_after", std::int64_t{0});
    ASSERT_GE(audit_now, std::min<std::int64_t>(audit_seen, 1000)) << "round " << round;
    audit_seen = std::max(audit_seen, audit_now);
    if (round == kKills) break;
    std::atomic<bool> stop{false};
    int round_acked = last_acked;
    std::thread writer([&] {
      httplib::Client w("127.0.0.1", server.port());
      w.set_read_timeout(30);
      while (!stop.load()) {
        const int n = next++;
        Reply r = send(w, "PUT", "/api/v1/fleet/config",
                       json{{"scenario", small_fleet_config("c" + std::to_string(n))}}.dump(),
                       token);
        if (r.status == 0) break;
        if (r.status == 200) round_acked = n;
        send(w, "POST", "/api/v1/fleet/jobs",
             json{{"name", "j"}, {"tenant", "gov"}, {"durations_hours", {{"ascend-910b", 1}}}}
                 .dump(),
             token);
      }
    });
    std::this_thread::sleep_for(
        std::chrono::milliseconds(std::uniform_int_distribution<int>(30, 300)(rng)));
    server.kill_now();
    stop = true;
    writer.join();
    last_acked = round_acked;
  }
  auto store = store::Store::open("sqlite:" + (dir.path() / "suanli.db").string());
  ASSERT_TRUE(store) << store.error().message;
  auto check = (*store)->integrity_check();
  EXPECT_TRUE(check) << (check ? "" : check.error().message);
  EXPECT_GT(last_acked, 0);
}

}  // namespace
}  // namespace suanli::testing

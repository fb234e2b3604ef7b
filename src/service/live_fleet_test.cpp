// The live fleet over an in-memory store: rules obeyed by placements,
// finish/node-down/time rules, bad input refused with nothing stored,
// replay determinism across re-opening, and a failing store write.
#include "service/live_fleet.h"

#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "bundled_catalog.h"
#include "temp_dir.h"

namespace suanli::service {
namespace {

using Json = nlohmann::json;

// The fleet half of a Store, in memory; everything else is unsupported.
class FleetFakeStore : public store::Store {
 public:
  bool fail_append = false;
  std::vector<store::FleetEventRecord> events;
  std::vector<store::AuditRecord> decisions;
  std::int64_t next_event = 1;
  std::int64_t next_decision = 1;

  std::string backend() const override { return "fake"; }
  Result<int> schema_version() override { return 1; }
  Result<void> integrity_check() override { return {}; }

  Result<std::int64_t> append_fleet_event(std::string_view event,
                                          const std::vector<std::string>& ds) override {
    if (fail_append) return fail(ErrorCode::kIo, "disk full");
    const std::int64_t seq = next_event++;
    events.push_back({seq, std::string(event), "2026-11-22T00:00:00Z"});
    for (const std::string& d : ds) decisions.push_back({next_decision++, seq, d});
    return seq;
  }
  Result<std::vector<store::FleetEventRecord>> fleet_events(std::int64_t after) override {
    std::vector<store::FleetEventRecord> out;
    for (const auto& e : events)
      if (e.seq > after) out.push_back(e);
    return out;
  }
  Result<std::vector<store::AuditRecord>> audit(std::int64_t after, int limit) override {
    std::vector<store::AuditRecord> out;
    for (const auto& d : decisions)
      if (d.seq > after && static_cast<int>(out.size()) < limit) out.push_back(d);
    return out;
  }
  Result<void> clear_fleet() override {
    events.clear();
    decisions.clear();
    return {};
  }

#define SUANLI_FAKE_UNSUPPORTED \
  { return fail(ErrorCode::kUnsupported, "fake store"); }
  Result<store::ScenarioRecord> create_scenario(std::string_view, std::string_view,
                                                std::string_view) override SUANLI_FAKE_UNSUPPORTED;
  Result<store::ScenarioRecord> update_scenario(
      std::int64_t, std::string_view, std::optional<int>) override SUANLI_FAKE_UNSUPPORTED;
  Result<store::ScenarioRecord> get_scenario(std::int64_t,
                                             std::optional<int>) override SUANLI_FAKE_UNSUPPORTED;
  Result<std::vector<store::ScenarioRecord>> list_scenarios() override SUANLI_FAKE_UNSUPPORTED;
  Result<std::vector<store::ScenarioRecord>> scenario_versions(std::int64_t) override
      SUANLI_FAKE_UNSUPPORTED;
  Result<void> delete_scenario(std::int64_t) override SUANLI_FAKE_UNSUPPORTED;
  Result<store::RunRecord> create_run(std::string_view,
                                      std::string_view) override SUANLI_FAKE_UNSUPPORTED;
  Result<void> update_run(std::int64_t, std::string_view, double,
                          std::string_view) override SUANLI_FAKE_UNSUPPORTED;
  Result<void> finish_run(std::int64_t, std::string_view, std::string_view,
                          std::string_view) override SUANLI_FAKE_UNSUPPORTED;
  Result<store::RunRecord> get_run(std::int64_t) override SUANLI_FAKE_UNSUPPORTED;
  Result<std::vector<store::RunRecord>> list_runs(int) override SUANLI_FAKE_UNSUPPORTED;
  Result<std::vector<store::RunRecord>> unfinished_runs() override SUANLI_FAKE_UNSUPPORTED;
  Result<NewToken> create_token(std::string_view, bool) override SUANLI_FAKE_UNSUPPORTED;
  Result<store::TokenRecord> find_token(std::string_view) override SUANLI_FAKE_UNSUPPORTED;
  Result<std::vector<store::TokenRecord>> list_tokens() override SUANLI_FAKE_UNSUPPORTED;
  Result<void> revoke_token(std::int64_t) override SUANLI_FAKE_UNSUPPORTED;
  Result<void> put_catalog_override(const store::CatalogOverrideRecord&) override
      SUANLI_FAKE_UNSUPPORTED;
  Result<std::vector<store::CatalogOverrideRecord>> catalog_overrides() override
      SUANLI_FAKE_UNSUPPORTED;
  Result<void> delete_catalog_override(std::string_view) override SUANLI_FAKE_UNSUPPORTED;
#undef SUANLI_FAKE_UNSUPPORTED
};

// Two sites: one H200 node (US) and one Ascend 910C node (CN); H200 only
// for the lab tenant, confidential work only on CN devices, and no new
// H200 placements from hour 10 of the fleet epoch.
constexpr std::string_view kFleetConfig = R"(
name = "live-test"

[scheduler]
queue = "fifo"
placement = "best-fit"

[[sites]]
name = "wuhu"

[[sites]]
name = "qingyang"

[[fleet]]
site = "wuhu"
accelerator = "h200-sxm"
nodes = 1
devices_per_node = 8
scale_up_domain = 8

[[fleet]]
site = "qingyang"
accelerator = "ascend-910c"
nodes = 1
devices_per_node = 8
scale_up_domain = 8

[[tenants]]
name = "gov"

[[tenants]]
name = "lab"

[[rules]]
id = "sensitive-on-domestic"
kind = "sensitivity-origin"
origins = ["CN"]

[[rules]]
id = "h200-lab-only"
kind = "approved-customers"
accelerator = "h200-sxm"
tenants = ["lab"]

[[rules]]
id = "h200-customs"
kind = "no-new-placements"
accelerator = "h200-sxm"
from_hours = 10
)";

class LiveFleetTest : public suanli::testing::BundledCatalogTest {
 protected:
  void SetUp() override {
    BundledCatalogTest::SetUp();
    holder_ = std::make_unique<CatalogHolder>(
        std::shared_ptr<const Catalog>(catalog_.get(), [](const Catalog*) {}));
    fleet_ = open_fleet();
    ASSERT_NE(fleet_, nullptr);
  }

  std::unique_ptr<LiveFleet> open_fleet() {
    auto f = LiveFleet::open(store_, *holder_, [this] { return now_; });
    EXPECT_TRUE(f.has_value()) << (f ? "" : f.error().message);
    return f ? std::move(*f) : nullptr;
  }

  static ApiRequest request(Method m, std::string path, Json body = nullptr,
                            std::map<std::string, std::string> params = {}) {
    ApiRequest r;
    r.method = m;
    r.path = std::move(path);
    if (!body.is_null()) r.body = body.dump();
    r.params = std::move(params);
    return r;
  }

  ApiResponse configure() {
    return fleet_->put_config(request(Method::kPut, "/api/v1/fleet/config",
                                      Json{{"scenario", std::string(kFleetConfig)}}));
  }

  ApiResponse submit(Json body) {
    return fleet_->submit_job(request(Method::kPost, "/api/v1/fleet/jobs", std::move(body)));
  }

  static Json job(std::string name, std::string tenant, std::string sensitivity, int devices,
                  Json durations_hours) {
    return Json{
        {"name", name},       {"tenant", tenant}, {"sensitivity", sensitivity},
        {"devices", devices}, {"tp", 8},          {"durations_hours", std::move(durations_hours)}};
  }

  ApiResponse job_call(int id, std::string what, Json body = nullptr) {
    ApiRequest r = request(Method::kPost, "/api/v1/fleet/jobs/" + std::to_string(id) + "/" + what,
                           std::move(body), {{"id", std::to_string(id)}});
    if (what == "finish") return fleet_->finish_job(r);
    if (what == "fail") return fleet_->fail_job(r);
    return fleet_->start_job(r);
  }

  static const Json* find_decision(const ApiResponse& r, std::string_view event, int job) {
    for (const Json& d : r.body.at("decisions"))
      if (d.at("event") == event && d.value("job", -1) == job) return &d;
    return nullptr;
  }

  double now_ = 1.8e9;
  FleetFakeStore store_;
  std::unique_ptr<CatalogHolder> holder_;
  std::unique_ptr<LiveFleet> fleet_;
};

TEST_F(LiveFleetTest, RefusesMutationsBeforeConfig) {
  EXPECT_EQ(submit(job("a", "lab", "public", 8, {{"h200-sxm", 1}})).status, 409);
  EXPECT_EQ(store_.events.size(), 0u);
  EXPECT_EQ(fleet_->summary({}).body.at("configured"), false);
}

TEST_F(LiveFleetTest, PlacementsObeyRules) {
  ASSERT_EQ(configure().status, 200);
  // A second CN node.
  auto nodes = fleet_->add_nodes(
      request(Method::kPost, "/api/v1/fleet/nodes",
              Json{{"site", "qingyang"}, {"accelerator", "ascend-910c"}, {"nodes", 1}}));
  ASSERT_EQ(nodes.status, 201) << nodes.body.dump();
  EXPECT_EQ(nodes.body.at("nodes"), Json::array({"qingyang-ascend-910c-1"}));

  // Confidential work runs on CN nodes only, even though H200 is faster
  // and listed.
  for (int i = 0; i < 2; ++i) {
    auto r = submit(job("secret-" + std::to_string(i), "lab", "confidential", 8,
                        {{"h200-sxm", 1}, {"ascend-910c", 3}}));
    ASSERT_EQ(r.status, 201) << r.body.dump();
    EXPECT_EQ(r.body.at("job"), i);
    const Json* place = find_decision(r, "place", i);
    ASSERT_NE(place, nullptr) << r.body.dump();
    EXPECT_EQ(place->at("accelerator"), "ascend-910c");
    EXPECT_NE(std::find(place->at("checked").begin(), place->at("checked").end(),
                        "sensitive-on-domestic"),
              place->at("checked").end())
        << place->dump();
  }
  // CN is full: the third confidential job queues, H200 refused by the
  // sensitivity rule.
  auto third =
      submit(job("secret-2", "lab", "confidential", 8, {{"h200-sxm", 1}, {"ascend-910c", 3}}));
  ASSERT_EQ(third.status, 201);
  const Json* queued = find_decision(third, "queue", 2);
  ASSERT_NE(queued, nullptr) << third.body.dump();
  bool by_rule = false;
  for (const Json& ref : queued->at("refusals"))
    if (ref.at("accelerator") == "h200-sxm") by_rule = ref.at("rule") == "sensitive-on-domestic";
  EXPECT_TRUE(by_rule) << queued->dump();

  // A gov job that can only run on H200 is refused by the approved-customers rule.
  auto gov = submit(job("gov-h200", "gov", "public", 8, {{"h200-sxm", 1}}));
  ASSERT_EQ(gov.status, 201);
  auto q = fleet_->queue({}).body.at("queued");
  ASSERT_EQ(q.size(), 2u);
  EXPECT_EQ(q[1].at("name"), "gov-h200");
  EXPECT_EQ(q[1].at("refusals")[0].at("rule"), "h200-lab-only") << q.dump();
  EXPECT_EQ(q[1].at("refusals")[0].at("accelerator"), "h200-sxm");

  // The public lab job may use the H200.
  auto lab = submit(job("lab-h200", "lab", "public", 8, {{"h200-sxm", 1}}));
  const Json* place = find_decision(lab, "place", 4);
  ASSERT_NE(place, nullptr) << lab.body.dump();
  EXPECT_EQ(place->at("accelerator"), "h200-sxm");
  EXPECT_EQ(place->at("nodes"), Json::array({"wuhu-h200-sxm-0"}));

  auto summary = fleet_->summary({}).body;
  EXPECT_EQ(summary.at("running"), 3);
  EXPECT_EQ(summary.at("queued"), 2);
  EXPECT_EQ(summary.at("events"), 7);
  EXPECT_EQ(summary.at("types")[1].at("devices_allocated"), 16.0);
  EXPECT_EQ(summary.at("types")[1].at("domestic"), true);
}

TEST_F(LiveFleetTest, FinishFreesDevicesAndPlacesNext) {
  ASSERT_EQ(configure().status, 200);
  ASSERT_EQ(submit(job("a", "gov", "confidential", 8, {{"ascend-910c", 2}})).status, 201);
  auto b = submit(job("b", "gov", "confidential", 8, {{"ascend-910c", 2}}));
  ASSERT_NE(find_decision(b, "queue", 1), nullptr) << b.body.dump();
  EXPECT_EQ(job_call(1, "finish").status, 409);  // not running: nothing stored
  EXPECT_EQ(store_.events.size(), 3u);
  EXPECT_EQ(job_call(0, "start").status, 200);
  now_ += 3600;
  auto done = job_call(0, "finish");
  ASSERT_EQ(done.status, 200) << done.body.dump();
  EXPECT_NE(find_decision(done, "complete", 0), nullptr);
  const Json* next = find_decision(done, "place", 1);
  ASSERT_NE(next, nullptr) << done.body.dump();
  EXPECT_EQ(next->at("nodes"), Json::array({"qingyang-ascend-910c-0"}));
  auto j0 = fleet_->job(request(Method::kGet, "/api/v1/fleet/jobs/0", nullptr, {{"id", "0"}}));
  EXPECT_EQ(j0.body.at("state"), "completed");
  EXPECT_EQ(j0.body.at("reported_start_t"), 0.0);
  EXPECT_EQ(j0.body.at("ended_t"), 3600.0);
  auto j1 = fleet_->job(request(Method::kGet, "/api/v1/fleet/jobs/1", nullptr, {{"id", "1"}}));
  EXPECT_EQ(j1.body.at("state"), "running");
  EXPECT_EQ(j1.body.at("allocation").at("accelerator"), "ascend-910c");
  // A failure report ends the job and frees its devices.
  auto failed = job_call(1, "fail", Json{{"reason", "NCCL timeout"}});
  ASSERT_EQ(failed.status, 200) << failed.body.dump();
  EXPECT_EQ(failed.body.at("state"), "failed");
  EXPECT_EQ(fleet_->summary({}).body.at("types")[1].at("devices_allocated"), 0.0);
}

TEST_F(LiveFleetTest, NodeDownRequeuesItsJobs) {
  ASSERT_EQ(configure().status, 200);
  ASSERT_EQ(submit(job("a", "gov", "confidential", 8, {{"ascend-910c", 2}})).status, 201);
  auto down = fleet_->node_down(request(Method::kPost, "/api/v1/fleet/nodes/x/down", nullptr,
                                        {{"name", "qingyang-ascend-910c-0"}}));
  ASSERT_EQ(down.status, 200) << down.body.dump();
  const Json* kill = find_decision(down, "kill", 0);
  ASSERT_NE(kill, nullptr) << down.body.dump();
  EXPECT_EQ(kill->at("rule"), "node-failure");
  EXPECT_EQ(kill->at("node_name"), "qingyang-ascend-910c-0");
  auto q = fleet_->queue({}).body.at("queued");
  ASSERT_EQ(q.size(), 1u);
  EXPECT_EQ(q[0].at("name"), "a");
  auto nodes = fleet_->nodes({}).body.at("nodes");
  EXPECT_EQ(nodes[1].at("up"), false);
  // Back up: the job is placed again.
  auto up = fleet_->node_up(request(Method::kPost, "/api/v1/fleet/nodes/x/up", nullptr,
                                    {{"name", "qingyang-ascend-910c-0"}}));
  ASSERT_EQ(up.status, 200);
  EXPECT_NE(find_decision(up, "place", 0), nullptr) << up.body.dump();
  EXPECT_EQ(
      fleet_->node_down(request(Method::kPost, "", nullptr, {{"name", "no-such-node"}})).status,
      404);
}

TEST_F(LiveFleetTest, TimeRuleStopsPlacementsAfterItActivates) {
  ASSERT_EQ(configure().status, 200);
  now_ += 3600;  // hour 1: the H200 takes new work
  auto early = submit(job("early", "lab", "public", 8, {{"h200-sxm", 1}}));
  ASSERT_NE(find_decision(early, "place", 0), nullptr) << early.body.dump();
  ASSERT_EQ(job_call(0, "finish").status, 200);
  EXPECT_EQ(fleet_->summary({}).body.at("rules")[2].at("state"), "pending");
  now_ += 10 * 3600;  // hour 11: the customs rule is due
  EXPECT_EQ(fleet_->summary({}).body.at("rules")[2].at("state"), "due");
  auto tick = fleet_->tick(request(Method::kPost, "/api/v1/fleet/tick"));
  ASSERT_EQ(tick.status, 200);
  bool rule = false;
  for (const Json& d : tick.body.at("decisions"))
    rule = rule || (d.at("event") == "rule" && d.at("rule") == "h200-customs");
  EXPECT_TRUE(rule) << tick.body.dump();
  EXPECT_EQ(fleet_->summary({}).body.at("rules")[2].at("state"), "active");
  auto late = submit(job("late", "lab", "public", 8, {{"h200-sxm", 1}}));
  EXPECT_EQ(find_decision(late, "place", 1), nullptr) << late.body.dump();
  const Json* queued = find_decision(late, "queue", 1);
  ASSERT_NE(queued, nullptr) << late.body.dump();
  EXPECT_EQ(queued->at("refusals")[0].at("rule"), "h200-customs");
}

TEST_F(LiveFleetTest, BadInputIsRefusedAndNothingStored) {
  ASSERT_EQ(configure().status, 200);
  ASSERT_EQ(submit(job("ok", "lab", "public", 8, {{"h200-sxm", 1}})).status, 201);
  const std::size_t events = store_.events.size();
  const std::size_t decisions = store_.decisions.size();
  const Json before = fleet_->summary({}).body;
  const std::string injection = "x'; DROP TABLE fleet_events; --";
  std::vector<Json> bad = {
      job("a", "bank", "public", 8, {{"h200-sxm", 1}}),       // unknown tenant
      job("a", "lab", "public", 8, {{"mi300x", 1}}),          // not in the fleet
      job("a", "lab", "public", 8, {{"no-such-chip", 1}}),    // unknown accelerator
      job(injection, "lab", "public", 8, {{"h200-sxm", 1}}),  // injection in a name
      job("a", injection, "public", 8, {{"h200-sxm", 1}}),    // … in the tenant
      job("a", "lab", "top-secret", 8, {{"h200-sxm", 1}}),    // bad enum
      job("a", "lab", "public", 8, {{"h200-sxm", -1}}),       // negative hours
      job("a", "lab", "public", 8, Json::object()),           // no durations
  };
  Json tp = job("a", "lab", "public", 12, {{"h200-sxm", 1}});  // tp 8 does not divide 12
  bad.push_back(tp);
  Json unknown = job("a", "lab", "public", 8, {{"h200-sxm", 1}});
  unknown["devicez"] = 8;
  bad.push_back(unknown);
  Json wrong = job("a", "lab", "public", 8, {{"h200-sxm", 1}});
  wrong["devices"] = "8";
  bad.push_back(wrong);
  Json kind = job("a", "lab", "public", 8, {{"h200-sxm", 1}});
  kind["kind"] = "pretraining";
  bad.push_back(kind);
  Json both = job("a", "lab", "public", 8, {{"h200-sxm", 1}});
  both["duration_hours"] = 2;
  both["reference"] = "h100-sxm";
  bad.push_back(both);
  for (const Json& body : bad) {
    auto r = submit(body);
    EXPECT_EQ(r.status, 400) << body.dump() << " -> " << r.body.dump();
    EXPECT_TRUE(r.body.contains("error"));
  }
  auto kind_msg = submit(kind).body.at("error").at("message").get<std::string>();
  EXPECT_NE(kind_msg.find("training, inference, fine-tune, batch, fractional"), std::string::npos)
      << kind_msg;
  EXPECT_EQ(submit(Json::array({1})).status, 400);
  ApiRequest garbage = request(Method::kPost, "/api/v1/fleet/jobs");
  garbage.body = "{not json";
  EXPECT_EQ(fleet_->submit_job(garbage).status, 400);
  // Nodes: unknown site, catalog type missing from the config, injection.
  auto not_in_config = fleet_->add_nodes(
      request(Method::kPost, "", Json{{"site", "wuhu"}, {"accelerator", "mi300x"}, {"nodes", 1}}));
  EXPECT_EQ(not_in_config.status, 400);
  EXPECT_NE(not_in_config.body.dump().find("cannot add accelerator types"), std::string::npos)
      << not_in_config.body.dump();
  EXPECT_EQ(
      fleet_
          ->add_nodes(request(Method::kPost, "",
                              Json{{"site", "mars"}, {"accelerator", "h200-sxm"}, {"nodes", 1}}))
          .status,
      400);
  EXPECT_EQ(fleet_
                ->add_nodes(request(Method::kPost, "",
                                    Json{{"site", "wuhu"},
                                         {"accelerator", "h200-sxm"},
                                         {"nodes", 1},
                                         {"name_prefix", injection}}))
                .status,
            400);
  EXPECT_EQ(fleet_
                ->add_nodes(request(Method::kPost, "",
                                    Json{{"site", "wuhu"},
                                         {"accelerator", "h200-sxm"},
                                         {"nodes", 1},
                                         {"devices_per_node", 4}}))
                .status,
            400);
  EXPECT_EQ(fleet_->node_down(request(Method::kPost, "", nullptr, {{"name", injection}})).status,
            400);
  EXPECT_EQ(job_call(0, "fail", Json{{"reason", 3}}).status, 400);
  EXPECT_EQ(fleet_->finish_job(request(Method::kPost, "", nullptr, {{"id", "1;DROP"}})).status,
            400);
  EXPECT_EQ(fleet_->finish_job(request(Method::kPost, "", nullptr, {{"id", "99"}})).status, 404);
  // A config with a workload is refused, and the fleet is not reset.
  std::string with_jobs(kFleetConfig);
  with_jobs += "\n[[jobs]]\ntenant = \"lab\"\nreference = \"h200-sxm\"\nreference_hours = 1\n";
  auto cfg = fleet_->put_config(request(Method::kPut, "", Json{{"scenario", with_jobs}}));
  EXPECT_EQ(cfg.status, 400);
  EXPECT_NE(cfg.body.dump().find("[[jobs]]"), std::string::npos) << cfg.body.dump();
  EXPECT_EQ(fleet_->put_config(request(Method::kPut, "", Json{{"scenario", "nodes = ["}})).status,
            400);

  EXPECT_EQ(store_.events.size(), events);
  EXPECT_EQ(store_.decisions.size(), decisions);
  EXPECT_EQ(fleet_->event_count(), static_cast<std::int64_t>(events));
  EXPECT_EQ(fleet_->summary({}).body, before);
}

TEST_F(LiveFleetTest, ReferenceDurationScalesAcrossTypes) {
  ASSERT_EQ(configure().status, 200);
  auto r = submit(Json{{"name", "scaled"},
                       {"tenant", "lab"},
                       {"devices", 8},
                       {"duration_hours", 10},
                       {"reference", "h200-sxm"}});
  ASSERT_EQ(r.status, 201) << r.body.dump();
  auto j = fleet_->job(request(Method::kGet, "", nullptr, {{"id", "0"}})).body;
  const double h200 = j.at("durations_s").at("h200-sxm").get<double>();
  const double ascend = j.at("durations_s").at("ascend-910c").get<double>();
  EXPECT_DOUBLE_EQ(h200, 36000);
  EXPECT_GT(ascend, 0);
  EXPECT_NE(ascend, h200);
}

TEST_F(LiveFleetTest, ReopeningReplaysToTheSameState) {
  ASSERT_EQ(configure().status, 200);
  ASSERT_EQ(fleet_
                ->add_nodes(request(
                    Method::kPost, "",
                    Json{{"site", "qingyang"}, {"accelerator", "ascend-910c"}, {"nodes", 2}}))
                .status,
            201);
  for (int i = 0; i < 6; ++i) {
    now_ += 600;
    ASSERT_EQ(submit(job("j" + std::to_string(i), i % 2 ? "gov" : "lab",
                         i % 3 ? "public" : "confidential", 8,
                         {{"h200-sxm", 1 + i}, {"ascend-910c", 2 + i}}))
                  .status,
              201);
  }
  now_ += 3600;
  ASSERT_EQ(job_call(0, "finish").status, 200);
  ASSERT_EQ(
      fleet_->node_down(request(Method::kPost, "", nullptr, {{"name", "qingyang-ascend-910c-1"}}))
          .status,
      200);
  now_ += 11 * 3600;
  ASSERT_EQ(fleet_->tick(request(Method::kPost, "")).status, 200);

  auto reopened = open_fleet();
  ASSERT_NE(reopened, nullptr);
  EXPECT_EQ(reopened->summary({}).body, fleet_->summary({}).body);
  EXPECT_EQ(reopened->queue({}).body, fleet_->queue({}).body);
  EXPECT_EQ(reopened->nodes({}).body, fleet_->nodes({}).body);
  ApiRequest audit = request(Method::kGet, "/api/v1/fleet/audit");
  audit.query = {{"after", "0"}, {"limit", "1000"}};
  auto a1 = fleet_->audit(audit).body;
  EXPECT_EQ(reopened->audit(audit).body, a1);
  EXPECT_GT(a1.at("decisions").size(), 10u);
  for (int id = 0; id < 6; ++id) {
    auto r = request(Method::kGet, "", nullptr, {{"id", std::to_string(id)}});
    EXPECT_EQ(reopened->job(r).body, fleet_->job(r).body) << id;
  }
  // Paging: after the first 3, the 4th comes next.
  audit.query = {{"after", "3"}, {"limit", "2"}};
  auto page = fleet_->audit(audit).body;
  ASSERT_EQ(page.at("decisions").size(), 2u);
  EXPECT_EQ(page.at("decisions")[0].at("seq"), 4);
  EXPECT_EQ(page.at("next_after"), 5);

  // The reopened fleet keeps accepting events where the first left off.
  fleet_ = std::move(reopened);
  EXPECT_EQ(submit(job("after", "lab", "public", 8, {{"h200-sxm", 1}})).body.at("job"), 6);
}

// A replay that differs does not keep the service down: the fleet opens
// degraded (503 naming the problem), the audit stays readable, and a new
// config (a new epoch, the old audit kept) brings it back.
TEST_F(LiveFleetTest, ReplayThatDiffersOpensDegraded) {
  ASSERT_EQ(configure().status, 200);
  ASSERT_EQ(submit(job("a", "lab", "public", 8, {{"h200-sxm", 1}})).status, 201);
  ASSERT_FALSE(store_.decisions.empty());
  const std::size_t decisions = store_.decisions.size();
  store_.decisions.back().decision = R"({"t":0,"event":"place","job":0,"rule":"forged"})";
  fleet_.reset();
  auto f = LiveFleet::open(store_, *holder_, [this] { return now_; });
  ASSERT_TRUE(f.has_value());
  fleet_ = std::move(*f);
  EXPECT_NE(fleet_->problem().find("replay of fleet event 2"), std::string::npos)
      << fleet_->problem();
  auto summary = fleet_->summary({});
  EXPECT_EQ(summary.status, 503);
  EXPECT_NE(summary.body.dump().find("replay of fleet event 2"), std::string::npos);
  EXPECT_EQ(submit(job("b", "lab", "public", 8, {{"h200-sxm", 1}})).status, 503);
  ApiRequest audit = request(Method::kGet, "/api/v1/fleet/audit");
  audit.query = {{"limit", "1000"}};
  EXPECT_EQ(fleet_->audit(audit).body.at("decisions").size(), decisions);
  now_ += 60;
  ASSERT_EQ(configure().status, 200);
  EXPECT_TRUE(fleet_->problem().empty());
  EXPECT_EQ(fleet_->summary({}).status, 200);
  EXPECT_EQ(store_.events.size(), 3u);  // nothing erased
  EXPECT_EQ(fleet_->audit(audit).body.at("decisions").size(), decisions);
}

TEST_F(LiveFleetTest, FailedStoreWriteAnswers500AndKeepsMemory) {
  ASSERT_EQ(configure().status, 200);
  ASSERT_EQ(submit(job("a", "lab", "public", 8, {{"h200-sxm", 1}})).status, 201);
  const Json before = fleet_->summary({}).body;
  const Json queue = fleet_->queue({}).body;
  store_.fail_append = true;
  now_ += 60;
  auto r = submit(job("b", "lab", "confidential", 8, {{"ascend-910c", 1}}));
  EXPECT_EQ(r.status, 500) << r.body.dump();
  EXPECT_EQ(job_call(0, "finish").status, 500);
  Json after = fleet_->summary({}).body;
  after["now_t"] = before.at("now_t");  // only the clock moved
  EXPECT_EQ(after, before);
  EXPECT_EQ(fleet_->queue({}).body, queue);
  EXPECT_EQ(store_.events.size(), 2u);
  store_.fail_append = false;
  auto ok = submit(job("b", "lab", "confidential", 8, {{"ascend-910c", 1}}));
  ASSERT_EQ(ok.status, 201);
  EXPECT_EQ(ok.body.at("job"), 1);  // the failed submit left no job behind
}

// A config starts a new epoch: one more event (one store call), the events
// and the audit before it kept; replay starts at it.
TEST_F(LiveFleetTest, ConfigResetsTheFleet) {
  ASSERT_EQ(configure().status, 200);
  ASSERT_EQ(submit(job("a", "lab", "public", 8, {{"h200-sxm", 1}})).status, 201);
  const std::size_t decisions = store_.decisions.size();
  now_ += 100;
  ASSERT_EQ(configure().status, 200);
  auto s = fleet_->summary({}).body;
  EXPECT_EQ(s.at("events"), 1);
  EXPECT_EQ(s.at("jobs"), 0);
  EXPECT_EQ(s.at("epoch"), now_);
  EXPECT_EQ(s.at("last_seq"), 3);
  EXPECT_EQ(store_.events.size(), 3u);
  EXPECT_EQ(store_.decisions.size(), decisions);
  // After the new config, ids start over and a reopen replays this epoch only.
  ASSERT_EQ(submit(job("b", "lab", "public", 8, {{"h200-sxm", 1}})).body.at("job"), 0);
  fleet_.reset();
  fleet_ = open_fleet();
  ASSERT_TRUE(fleet_->problem().empty()) << fleet_->problem();
  EXPECT_EQ(fleet_->summary({}).body.at("jobs"), 1);
  EXPECT_EQ(fleet_->summary({}).body.at("events"), 2);
}

// The config is one store call: when it fails nothing changes (before, a
// clear and an append could leave a store with no fleet at all).
TEST_F(LiveFleetTest, FailedConfigWriteKeepsTheFleetAndItsLog) {
  ASSERT_EQ(configure().status, 200);
  ASSERT_EQ(submit(job("a", "lab", "public", 8, {{"h200-sxm", 1}})).status, 201);
  const Json before = fleet_->summary({}).body;
  const std::size_t events = store_.events.size();
  const std::size_t decisions = store_.decisions.size();
  store_.fail_append = true;
  EXPECT_EQ(configure().status, 500);
  store_.fail_append = false;
  EXPECT_EQ(store_.events.size(), events);
  EXPECT_EQ(store_.decisions.size(), decisions);
  EXPECT_EQ(fleet_->summary({}).body.at("jobs"), before.at("jobs"));
  EXPECT_EQ(fleet_->summary({}).body.at("last_seq"), before.at("last_seq"));
}

// The same event log through the real SQLite store: a new process (a new
// Store on the same file) replays it to the same state.
TEST_F(LiveFleetTest, SqliteStoreReplaysAfterRestart) {
  suanli::testing::TempDir dir;
  const std::string url = "sqlite:" + (dir.path() / "suanli.db").string();
  Json summary, queue, nodes, audit;
  ApiRequest audit_request = request(Method::kGet, "/api/v1/fleet/audit");
  audit_request.query = {{"limit", "1000"}};
  {
    auto db = store::Store::open(url);
    ASSERT_TRUE(db.has_value()) << db.error().message;
    auto opened = LiveFleet::open(**db, *holder_, [this] { return now_; });
    ASSERT_TRUE(opened.has_value()) << opened.error().message;
    LiveFleet& live = **opened;
    ASSERT_EQ(
        live.put_config(request(Method::kPut, "", Json{{"scenario", std::string(kFleetConfig)}}))
            .status,
        200);
    for (int i = 0; i < 4; ++i) {
      now_ += 900;
      auto r = live.submit_job(
          request(Method::kPost, "",
                  job("s" + std::to_string(i), "lab", i % 2 ? "confidential" : "public", 8,
                      {{"h200-sxm", 1}, {"ascend-910c", 2}})));
      ASSERT_EQ(r.status, 201) << r.body.dump();
    }
    // Injection strings are refused before they reach SQL.
    EXPECT_EQ(live.submit_job(request(Method::kPost, "",
                                      job("x'; DROP TABLE fleet_events; --", "lab", "public", 8,
                                          {{"h200-sxm", 1}})))
                  .status,
              400);
    now_ += 3600;
    ASSERT_EQ(live.finish_job(request(Method::kPost, "", nullptr, {{"id", "0"}})).status, 200);
    now_ += 11 * 3600;
    ASSERT_EQ(live.tick(request(Method::kPost, "")).status, 200);
    summary = live.summary({}).body;
    queue = live.queue({}).body;
    nodes = live.nodes({}).body;
    audit = live.audit(audit_request).body;
    EXPECT_EQ(summary.at("events"), 7);
    EXPECT_TRUE((*db)->integrity_check().has_value());
  }
  auto db = store::Store::open(url);
  ASSERT_TRUE(db.has_value()) << db.error().message;
  auto reopened = LiveFleet::open(**db, *holder_, [this] { return now_; });
  ASSERT_TRUE(reopened.has_value()) << reopened.error().message;
  EXPECT_EQ((*reopened)->summary({}).body, summary);
  EXPECT_EQ((*reopened)->queue({}).body, queue);
  EXPECT_EQ((*reopened)->nodes({}).body, nodes);
  EXPECT_EQ((*reopened)->audit(audit_request).body, audit);
  EXPECT_GT(audit.at("decisions").size(), 8u);
}

TEST_F(LiveFleetTest, DrainedNodeKeepsItsJobsAndTakesNoNewOnes) {
  ASSERT_EQ(configure().status, 200);
  auto half = [](std::string name) {
    Json j = job(std::move(name), "gov", "confidential", 4, {{"ascend-910c", 2}});
    j["tp"] = 4;
    return j;
  };
  ASSERT_EQ(submit(half("a")).status, 201);
  const std::map<std::string, std::string> node{{"name", "qingyang-ascend-910c-0"}};
  auto drain = fleet_->drain_node(request(Method::kPost, "", nullptr, node));
  ASSERT_EQ(drain.status, 200) << drain.body.dump();
  EXPECT_EQ(find_decision(drain, "kill", 0), nullptr) << "a drain must not stop running work";
  EXPECT_EQ(fleet_->nodes({}).body.at("nodes")[1].at("cordoned"), true);
  // Four devices are free on the node, but it is drained.
  auto b = submit(half("b"));
  ASSERT_EQ(b.status, 201);
  EXPECT_EQ(find_decision(b, "place", 1), nullptr) << b.body.dump();
  EXPECT_EQ(job_call(0, "finish").status, 200);
  auto resume = fleet_->resume_node(request(Method::kPost, "", nullptr, node));
  ASSERT_EQ(resume.status, 200);
  EXPECT_NE(find_decision(resume, "place", 1), nullptr) << resume.body.dump();
  // The replay reproduces the drain.
  auto reopened = open_fleet();
  ASSERT_NE(reopened, nullptr);
  EXPECT_EQ(reopened->nodes({}).body, fleet_->nodes({}).body);
}

TEST_F(LiveFleetTest, AddedDrainRuleMovesJobsOffTheType) {
  ASSERT_EQ(configure().status, 200);
  ASSERT_EQ(submit(job("a", "lab", "public", 8, {{"h200-sxm", 1}, {"ascend-910c", 2}})).status,
            201);
  ASSERT_EQ(fleet_->job(request(Method::kGet, "", nullptr, {{"id", "0"}}))
                .body.at("allocation")
                .at("accelerator"),
            "h200-sxm");
  auto rule = fleet_->add_rule(
      request(Method::kPost, "",
              Json{{"id", "h200-shock"}, {"kind", "drain"}, {"accelerator", "h200-sxm"}}));
  ASSERT_EQ(rule.status, 200) << rule.body.dump();
  EXPECT_NE(find_decision(rule, "evict", 0), nullptr) << rule.body.dump();
  const Json placed = fleet_->job(request(Method::kGet, "", nullptr, {{"id", "0"}})).body;
  EXPECT_EQ(placed.at("allocation").at("accelerator"), "ascend-910c");
  EXPECT_EQ(placed.at("placements"), 2);
  // Refused: a second rule with the same ID, a kind that belongs in the
  // config, an unknown type, within_hours on no-new-placements.
  EXPECT_EQ(fleet_
                ->add_rule(request(
                    Method::kPost, "",
                    Json{{"id", "h200-shock"}, {"kind", "drain"}, {"accelerator", "h200-sxm"}}))
                .status,
            409);
  for (const Json& bad :
       {Json{{"id", "x"}, {"kind", "domestic-share"}, {"accelerator", "h200-sxm"}},
        Json{{"id", "x"}, {"kind", "drain"}, {"accelerator", "nosuch"}},
        Json{{"id", "x"},
             {"kind", "no-new-placements"},
             {"accelerator", "h200-sxm"},
             {"within_hours", 2}},
        Json{{"id", "x"}, {"kind", "drain"}, {"accelerator", "h200-sxm"}, {"within_hours", -1}}})
    EXPECT_EQ(fleet_->add_rule(request(Method::kPost, "", bad)).status, 400) << bad.dump();
  auto reopened = open_fleet();
  ASSERT_NE(reopened, nullptr);
  EXPECT_EQ(reopened->summary({}).body, fleet_->summary({}).body);
}

TEST_F(LiveFleetTest, ExternalStartIsRecordedPerPlacement) {
  ASSERT_EQ(configure().status, 200);
  Json body = job("a", "gov", "confidential", 8, {{"ascend-910c", 2}});
  body["script"] = "#!/bin/sh\necho hi\n";
  ASSERT_EQ(submit(body).status, 201);
  auto get = [&] { return fleet_->job(request(Method::kGet, "", nullptr, {{"id", "0"}})).body; };
  EXPECT_EQ(get().at("script"), "#!/bin/sh\necho hi\n");
  EXPECT_TRUE(get().at("external_id").is_null());
  ASSERT_EQ(job_call(0, "start", Json{{"external_id", "slurm:41"}}).status, 200);
  EXPECT_EQ(get().at("external_id"), "slurm:41");
  EXPECT_EQ(get().at("external_placement"), 1);
  EXPECT_EQ(job_call(0, "start", Json{{"external_id", "slurm:42"}}).status, 409);
  EXPECT_EQ(job_call(0, "start", Json{{"external_id", "bad id!"}}).status, 400);
  // Killed and placed again: a new placement takes a new external start.
  const std::map<std::string, std::string> node{{"name", "qingyang-ascend-910c-0"}};
  ASSERT_EQ(fleet_->node_down(request(Method::kPost, "", nullptr, node)).status, 200);
  ASSERT_EQ(fleet_->node_up(request(Method::kPost, "", nullptr, node)).status, 200);
  EXPECT_EQ(get().at("placements"), 2);
  EXPECT_TRUE(get().at("external_id").is_null());
  ASSERT_EQ(job_call(0, "start", Json{{"external_id", "slurm:43"}}).status, 200);
  EXPECT_EQ(get().at("external_id"), "slurm:43");
  ApiRequest running = request(Method::kGet, "");
  running.query["state"] = "running";
  EXPECT_EQ(fleet_->jobs(running).body.at("jobs").size(), 1u);
  running.query["state"] = "nosuch";
  EXPECT_EQ(fleet_->jobs(running).status, 400);
  auto reopened = open_fleet();
  ASSERT_NE(reopened, nullptr);
  EXPECT_EQ(reopened->job(request(Method::kGet, "", nullptr, {{"id", "0"}})).body, get());
  // A script over 64 KiB is refused.
  Json big = job("b", "gov", "confidential", 8, {{"ascend-910c", 2}});
  big["script"] = std::string(64 * 1024 + 1, 'x');
  EXPECT_EQ(submit(big).status, 400);
}

TEST_F(LiveFleetTest, RoutesAreRegistered) {
  Router router;
  fleet_->add_routes(router);
  auto m = router.match(Method::kPost, "/api/v1/fleet/jobs/3/finish");
  ASSERT_NE(m.route, nullptr);
  EXPECT_EQ(m.route->access, Access::kWrite);
  EXPECT_EQ(m.params.at("id"), "3");
  auto g = router.match(Method::kGet, "/api/v1/fleet/audit");
  ASSERT_NE(g.route, nullptr);
  EXPECT_EQ(g.route->access, Access::kRead);
  ASSERT_NE(router.match(Method::kPut, "/api/v1/fleet/config").route, nullptr);
  // Through the router: a write before config is a 409, not an exception.
  ApiRequest r = request(Method::kPost, "/api/v1/fleet/tick");
  EXPECT_EQ(router.match(Method::kPost, "/api/v1/fleet/tick").route->handler(r).status, 409);
}

}  // namespace
}  // namespace suanli::service

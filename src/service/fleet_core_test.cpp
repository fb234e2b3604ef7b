// The live fleet's typed core without HTTP: the event codec round-trips
// every event kind and is byte-compatible with stored text, replay
// reproduces the live decisions, errors are typed values, and a
// confidential tenant's jobs never land on a foreign chip.
#include "service/fleet_core.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "bundled_catalog.h"
#include "temp_dir.h"

namespace suanli::service {
namespace {

using Json = nlohmann::json;

// One US H200 node, one CN Ascend node; tenant gov declares confidential
// (the floor of its jobs), confidential work only on CN devices.
constexpr std::string_view kConfig = R"(
name = "core-test"

[scheduler]
queue = "fifo"
placement = "best-fit"

[[sites]]
name = "wuhu"

[[fleet]]
site = "wuhu"
accelerator = "h200-sxm"
nodes = 1
devices_per_node = 8
scale_up_domain = 8

[[fleet]]
site = "wuhu"
accelerator = "ascend-910c"
nodes = 1
devices_per_node = 8
scale_up_domain = 8

[[tenants]]
name = "gov"
sensitivity = "confidential"

[[tenants]]
name = "lab"

[[rules]]
id = "sensitive-on-domestic"
kind = "sensitivity-origin"
origins = ["CN"]
)";

class FleetCoreTest : public suanli::testing::BundledCatalogTest {
 protected:
  void SetUp() override {
    BundledCatalogTest::SetUp();
    holder_ = std::make_unique<CatalogHolder>(
        std::shared_ptr<const Catalog>(catalog_.get(), [](const Catalog*) {}));
    auto db = store::Store::open("sqlite:" + (dir_.path() / "suanli.db").string());
    ASSERT_TRUE(db.has_value()) << db.error().message;
    store_ = std::move(*db);
    core_ = open_core();
    ASSERT_NE(core_, nullptr);
  }

  std::unique_ptr<FleetCore> open_core() {
    auto c = FleetCore::open(*store_, *holder_, [this] { return now_; });
    EXPECT_TRUE(c.has_value()) << (c ? "" : c.error().message);
    return c ? std::move(*c) : nullptr;
  }

  static JobRequest job(std::string name, std::string tenant, std::int64_t devices,
                        std::optional<std::string> sensitivity = {}) {
    JobRequest q;
    q.name = std::move(name);
    q.tenant = std::move(tenant);
    q.devices = devices;
    q.sensitivity = std::move(sensitivity);
    q.durations_hours = {{"ascend-910c", 2.0}, {"h200-sxm", 1.0}};
    return q;
  }

  suanli::testing::TempDir dir_;
  double now_ = 1.8e9;
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<CatalogHolder> holder_;
  std::unique_ptr<FleetCore> core_;
};

TEST(FleetEventCodec, RoundTripsEveryEventKind) {
  SubmitEvent submit{"train",
                     "gov",
                     JobKind::kInference,
                     -3,
                     Sensitivity::kConfidential,
                     16,
                     8,
                     1000,
                     600.5,
                     {{"ascend-910c", 7200.0}},
                     {{"h200-sxm", "origin"}},
                     2.0,
                     std::string("h200-sxm"),
                     std::string("#!/bin/sh\necho \"hi\"\n"),
                     12.25};
  const std::vector<FleetEvent> events = {
      ConfigEvent{"name = \"x\"\n",
                  {{"h200-sxm", "H200", "NVIDIA", "US", false, 989.5, 3.2},
                   {"ascend-910c", "Ascend 910C", "Huawei", "CN", true, 780.0, 1.5}},
                  1.8e9 + 0.125,
                  0},
      AddNodesEvent{"wuhu", "h200-sxm", 2, 8, 16, "wuhu-extra", 3600},
      NodeStateEvent{NodeChange::kDown, "wuhu-h200-sxm-0", 1.5},
      NodeStateEvent{NodeChange::kUp, "wuhu-h200-sxm-0", 2},
      NodeStateEvent{NodeChange::kCordon, "n-1", 3},
      NodeStateEvent{NodeChange::kUncordon, "n-1", 4},
      RuleEvent{"shock", RuleKind::kDrain, "h200-sxm", 7200, 5},
      RuleEvent{"stop", RuleKind::kNoNewPlacements, "h200-sxm", 0, 6},
      submit,
      SubmitEvent{"plain",
                  "lab",
                  JobKind::kTraining,
                  0,
                  Sensitivity::kPublic,
                  1,
                  1,
                  250,
                  0,
                  {{"h200-sxm", 3600.0}},
                  {},
                  std::nullopt,
                  std::nullopt,
                  std::nullopt,
                  7},
      JobReportEvent{JobReport::kStart, 0, std::nullopt, std::string("slurm:42"), 8},
      JobReportEvent{JobReport::kStart, 1, std::nullopt, std::nullopt, 8},
      JobReportEvent{JobReport::kFinish, 0, std::nullopt, std::nullopt, 9},
      JobReportEvent{JobReport::kFail, 1, std::string("reported failed"), std::nullopt, 10},
      TickEvent{11},
  };
  for (const FleetEvent& e : events) {
    const std::string text = encode_event(e);
    auto back = decode_event(text);
    ASSERT_TRUE(back.has_value()) << text << ": " << back.error().message;
    EXPECT_EQ(*back, e) << text;
    EXPECT_EQ(encode_event(*back), text);
  }
}

// Texts as the live fleet stored them before the typed core (sorted keys,
// integers and doubles as nlohmann::json dumps them): they decode and
// re-encode to the same bytes, so existing stores replay.
TEST(FleetEventCodec, StoredTextsReEncodeByteForByte) {
  const std::vector<std::string> stored = {
      R"({"epoch":1800000000.0,"scenario":"name = \"live-test\"\n","t":0.0,"type":"config","types":[{"compute_weight":989.0,"domestic":false,"id":"h200-sxm","name":"H200 SXM","origin":"US","price_per_device_hour":3.5,"vendor":"NVIDIA"}]})",
      R"({"accelerator":"h200-sxm","devices_per_node":8,"name_prefix":"wuhu-h200-sxm","nodes":2,"scale_up_domain":8,"site":"wuhu","t":3600.0,"type":"nodes"})",
      R"({"node":"wuhu-h200-sxm-0","t":900.0,"type":"node_down"})",
      R"({"node":"wuhu-h200-sxm-0","t":1800.5,"type":"node_up"})",
      R"({"node":"wuhu-h200-sxm-0","t":1900.0,"type":"cordon"})",
      R"({"node":"wuhu-h200-sxm-0","t":2000.0,"type":"uncordon"})",
      R"({"accelerator":"h200-sxm","id":"h20-licence","kind":"drain","t":2100.0,"type":"rule","within_s":0.0})",
      R"({"accelerator":"h200-sxm","id":"stop","kind":"no-new-placements","t":2100.0,"type":"rule","within_s":0.0})",
      R"({"cannot_run":{},"checkpoint_interval_s":0.0,"devices":8,"durations_s":{"ascend-910c":7200.0,"h200-sxm":3600.0},"gpu_milli":1000,"kind":"training","name":"s0","priority":0,"sensitivity":"public","t":900.0,"tenant":"lab","tp":8,"type":"submit"})",
      R"({"cannot_run":{"ascend-910c":"no kernel"},"checkpoint_interval_s":0.0,"devices":8,"duration_hours":2.0,"durations_s":{"h200-sxm":7200.0},"gpu_milli":1000,"kind":"training","name":"r","priority":5,"reference":"h200-sxm","script":"#!/bin/sh\necho hi\n","sensitivity":"confidential","t":950.0,"tenant":"gov","tp":8,"type":"submit"})",
      R"({"external_id":"slurm:17","job":0,"t":960.0,"type":"start"})",
      R"({"job":0,"t":970.0,"type":"start"})",
      R"({"job":0,"t":980.0,"type":"finish"})",
      R"({"job":1,"reason":"reported failed","t":990.0,"type":"fail"})",
      R"({"t":1000.0,"type":"tick"})",
  };
  for (const std::string& text : stored) {
    auto e = decode_event(text);
    ASSERT_TRUE(e.has_value()) << text << ": " << e.error().message;
    EXPECT_EQ(encode_event(*e), text);
  }
  EXPECT_FALSE(decode_event(R"({"t":1.0,"type":"explode"})").has_value());
  EXPECT_FALSE(decode_event(R"({"t":1.0,"type":"rule","id":"x"})").has_value());
  EXPECT_FALSE(decode_event("[1,2]").has_value());
}

TEST_F(FleetCoreTest, ErrorsAreTypedValues) {
  auto early = core_->submit(job("a", "lab", 8));
  ASSERT_FALSE(early.has_value());
  EXPECT_EQ(early.error().code, ErrorCode::kConflict);
  ASSERT_TRUE(core_->configure(std::string(kConfig)).has_value());
  auto unknown = core_->node_down("nope");
  ASSERT_FALSE(unknown.has_value());
  EXPECT_EQ(unknown.error().code, ErrorCode::kNotFound);
  auto bad = core_->submit(job("a", "nobody", 8));
  ASSERT_FALSE(bad.has_value());
  EXPECT_EQ(bad.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(bad.error().message.find("body.tenant"), std::string::npos);
  // The core checks identifiers itself (callers other than the HTTP decoder).
  auto quote = core_->submit(job("a'; drop", "lab", 8));
  ASSERT_FALSE(quote.has_value());
  EXPECT_NE(quote.error().message.find("body.name"), std::string::npos);
  auto rule = core_->add_rule({"x", "domestic-share", "h200-sxm", std::nullopt});
  ASSERT_FALSE(rule.has_value());
  EXPECT_EQ(rule.error().field, "body.kind");
  auto config = core_->configure("name = ");
  ASSERT_FALSE(config.has_value());
  EXPECT_EQ(config.error().field, "body.scenario");
  EXPECT_EQ(core_->event_count(), 1);
}

TEST_F(FleetCoreTest, ReplayReproducesTheLiveDecisions) {
  std::vector<std::string> live;
  auto keep = [&](const auto& r) {
    ASSERT_TRUE(r.has_value()) << r.error().message;
    if constexpr (requires { r->applied; })
      live.insert(live.end(), r->applied.decisions.begin(), r->applied.decisions.end());
    else
      live.insert(live.end(), r->decisions.begin(), r->decisions.end());
  };
  keep(core_->configure(std::string(kConfig)));
  for (int i = 0; i < 5; ++i) {
    now_ += 600;
    keep(core_->submit(job("j" + std::to_string(i), i % 2 ? "gov" : "lab", 4)));
  }
  now_ += 60;
  keep(core_->node_down("wuhu-ascend-910c-0"));
  now_ += 60;
  keep(core_->add_rule({"shock", "drain", "h200-sxm", 1.0}));
  now_ += 3 * 3600;
  keep(core_->tick());
  keep(core_->node_up("wuhu-ascend-910c-0"));
  auto running = core_->jobs(JobState::kRunning);
  ASSERT_TRUE(running.has_value());
  ASSERT_FALSE(running->empty());
  keep(core_->start(running->front().id, "slurm:1"));
  keep(core_->finish(running->front().id));
  NodesRequest more;
  more.site = "wuhu";
  more.accelerator = "ascend-910c";
  more.nodes = 2;
  keep(core_->add_nodes(more));

  auto page = core_->audit(0, 1000);
  ASSERT_TRUE(page.has_value());
  std::vector<std::string> stored;
  for (const AuditEntry& e : page->decisions) stored.push_back(e.decision);
  EXPECT_EQ(stored, live);

  auto reopened = open_core();
  ASSERT_NE(reopened, nullptr);
  EXPECT_EQ(reopened->problem(), "");
  EXPECT_EQ(reopened->event_count(), core_->event_count());
  auto a = core_->jobs();
  auto b = reopened->jobs();
  ASSERT_TRUE(a.has_value() && b.has_value());
  ASSERT_EQ(a->size(), b->size());
  for (std::size_t i = 0; i < a->size(); ++i) {
    EXPECT_EQ((*a)[i].state, (*b)[i].state) << i;
    EXPECT_EQ((*a)[i].placements, (*b)[i].placements) << i;
    EXPECT_EQ((*a)[i].external_id, (*b)[i].external_id) << i;
  }
  auto events = store_->fleet_events(0);
  ASSERT_TRUE(events.has_value());
  for (const store::FleetEventRecord& r : *events) {
    auto e = decode_event(r.event);
    ASSERT_TRUE(e.has_value()) << r.event;
    EXPECT_EQ(encode_event(*e), r.event);
  }
}

TEST_F(FleetCoreTest, ConfidentialTenantNeverLandsOnAForeignChip) {
  ASSERT_TRUE(core_->configure(std::string(kConfig)).has_value());
  // The H200 is free and faster; gov's jobs say public, the tenant's floor
  // makes them confidential, so only the Ascend node may take them.
  for (int i = 0; i < 4; ++i) {
    now_ += 60;
    auto placed = core_->submit(job("g" + std::to_string(i), "gov", 4, "public"));
    ASSERT_TRUE(placed.has_value()) << placed.error().message;
    for (const std::string& text : placed->applied.decisions) {
      const Json d = Json::parse(text);
      if (d.at("event") == "place" && d.at("job") == placed->job)
        EXPECT_EQ(d.at("accelerator"), "ascend-910c") << text;
    }
  }
  auto jobs = core_->jobs();
  ASSERT_TRUE(jobs.has_value());
  int on_ascend = 0;
  for (const JobView& v : *jobs) {
    on_ascend += v.allocation ? 1 : 0;
    EXPECT_EQ(v.sensitivity, "confidential");
    if (v.allocation) EXPECT_EQ(v.allocation->accelerator, "ascend-910c");
  }
  auto nodes = core_->nodes();
  ASSERT_TRUE(nodes.has_value());
  for (const NodeView& n : *nodes)
    if (n.accelerator == "h200-sxm") EXPECT_TRUE(n.jobs.empty());
  EXPECT_EQ(on_ascend, 2);  // two 4-device jobs fill the Ascend node; the rest wait
}

}  // namespace
}  // namespace suanli::service

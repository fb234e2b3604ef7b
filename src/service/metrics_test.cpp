#include "service/metrics.h"

#include <gtest/gtest.h>

namespace suanli::service {
namespace {

TEST(Metrics, CountsRequestsByRoutePatternAndDecisionsByKind) {
  Metrics m;
  m.observe_request("/api/v1/fleet/jobs/{id}", "GET", 200, 0.002);
  m.observe_request("/api/v1/fleet/jobs/{id}", "GET", 200, 0.004);
  m.observe_request("unmatched", "GET", 404, 0.0001);
  Applied a;
  a.decisions = {R"({"event":"submit","job":0})",
                 R"({"event":"queue","job":0,"refusals":[{"type":0,"rule":"domestic-50","detail":"x"},)"
                 R"({"type":1,"rule":"capacity","detail":"y"}]})",
                 "not json"};
  m.observe_fleet_commit(TickEvent{}, a, 0.003);
  const std::string text = m.render({});
  EXPECT_NE(text.find(R"(suanli_http_requests_total{code="200",method="GET",route="/api/v1/fleet/jobs/{id}"} 2)"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find(R"(suanli_http_requests_total{code="404",method="GET",route="unmatched"} 1)"),
            std::string::npos);
  EXPECT_NE(text.find(R"(suanli_http_request_duration_seconds_count{method="GET",route="/api/v1/fleet/jobs/{id}"} 2)"),
            std::string::npos);
  EXPECT_NE(text.find(R"(suanli_fleet_decisions_total{event="queue"} 1)"), std::string::npos);
  EXPECT_NE(text.find(R"(suanli_fleet_refusals_total{rule="domestic-50"} 1)"), std::string::npos);
  EXPECT_NE(text.find(R"(suanli_fleet_events_total{type="tick"} 1)"), std::string::npos);
  EXPECT_NE(text.find(R"(suanli_store_write_duration_seconds_count{operation="fleet_event"} 1)"),
            std::string::npos);
  EXPECT_NE(text.find("suanli_fleet_configured 0"), std::string::npos);
}

TEST(Metrics, GaugesReadTheFleetSnapshot) {
  FleetSnapshot f;
  f.configured = true;
  f.summary.types = {{"h20", "US", false, 8, 8, 6}, {"ascend-910b", "CN", true, 16, 8, 8}};
  f.summary.domestic_share = 0.6;
  RuleView share;
  share.id = "domestic-50";
  share.min_share = 0.5;
  f.summary.rules = {share};
  f.summary.running = 2;
  f.summary.queued = 1;
  NodeView up{"n1", "wuhu", "ascend-910b", 0, true, false, 8, 0, 8, {}};
  NodeView down{"n2", "wuhu", "ascend-910b", 1, false, false, 8, 8, 0, {}};
  NodeView cordoned{"n3", "qy", "h20", 0, true, true, 8, 2, 6, {}};
  f.nodes = {up, down, cordoned};
  QueueView q;
  q.tenant = "lab";
  f.queue = {q};
  const std::string text = Metrics().render(f);
  EXPECT_NE(text.find(R"(suanli_fleet_devices{accelerator="ascend-910b",origin="CN",site="wuhu",state="down"} 8)"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find(R"(suanli_fleet_devices{accelerator="h20",origin="US",site="qy",state="cordoned"} 8)"),
            std::string::npos);
  EXPECT_NE(text.find(R"(suanli_fleet_devices_allocated{accelerator="h20",origin="US"} 6)"), std::string::npos);
  EXPECT_NE(text.find("suanli_fleet_domestic_share_ratio 0.6"), std::string::npos);
  EXPECT_NE(text.find(R"(suanli_fleet_domestic_share_min_ratio{rule="domestic-50"} 0.5)"), std::string::npos);
  EXPECT_NE(text.find(R"(suanli_fleet_queue_length{tenant="lab"} 1)"), std::string::npos);
  EXPECT_NE(text.find(R"(suanli_fleet_jobs{state="running"} 2)"), std::string::npos);
}

}  // namespace
}  // namespace suanli::service

// The service's Prometheus metrics (GET /metrics, text exposition format
// 0.0.4), the one file that uses prometheus-cpp (Debian prometheus-cpp-dev;
// its core library: registry, metric families and the text serializer).
//
// Counted as they happen, since the process started (Prometheus counters):
//   suanli_http_requests_total{route,method,code}        every API call
//   suanli_http_request_duration_seconds{route,method}   its latency
//   suanli_store_write_duration_seconds{operation}       each fleet event's
//       store transaction (the acknowledged writes)
//   suanli_fleet_events_total{type}                      committed fleet events
//   suanli_fleet_decisions_total{event}                  scheduler decisions
//   suanli_fleet_refusals_total{rule}                    per-type refusals in
//       queue decisions, by the rule or reason behind them
// Read from the live fleet at each scrape (gauges):
//   suanli_fleet_configured, suanli_fleet_degraded        0 or 1
//   suanli_fleet_devices{accelerator,origin,site,state}  state up|down|cordoned
//   suanli_fleet_devices_allocated{accelerator,origin}
//   suanli_fleet_domestic_share_ratio                    share of running compute
//   suanli_fleet_domestic_share_min_ratio{rule}          each share rule's floor
//   suanli_fleet_queue_length{tenant}, suanli_fleet_jobs{state}
// `route` is the API's route pattern ("/api/v1/fleet/jobs/{id}"), or
// "unmatched", so label values stay bounded whatever clients send.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "service/fleet_core.h"

namespace suanli::service {

// What the gauges read: the fleet's views at one moment.
struct FleetSnapshot {
  bool configured = false;
  bool degraded = false;
  SummaryView summary;
  std::vector<NodeView> nodes;
  std::vector<QueueView> queue;
};

class Metrics {
 public:
  Metrics();
  ~Metrics();
  Metrics(const Metrics&) = delete;
  Metrics& operator=(const Metrics&) = delete;

  // Never throw (a metric is dropped rather than a request failed).
  void observe_request(std::string_view route, std::string_view method, int status,
                       double seconds) noexcept;
  void observe_fleet_commit(const FleetEvent& event, const Applied& applied,
                            double store_seconds) noexcept;
  // The whole exposition: the counters above and the fleet's gauges.
  std::string render(const FleetSnapshot& fleet) const;

 private:
  void count_fleet_commit(const FleetEvent& event, const Applied& applied, double store_seconds);
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// The media type of render()'s text.
inline constexpr std::string_view kMetricsContentType = "text/plain; version=0.0.4; charset=utf-8";

}  // namespace suanli::service

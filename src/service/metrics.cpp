#include "service/metrics.h"

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

#include <map>
#include <tuple>

#include <nlohmann/json.hpp>

namespace suanli::service {

namespace {

// Seconds: 0.1 ms to 10 s, roughly x2.5 apart.
const prometheus::Histogram::BucketBoundaries kLatencyBuckets{
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};

}  // namespace

struct Metrics::Impl {
  prometheus::Registry registry;
  prometheus::Family<prometheus::Counter>& requests =
      prometheus::BuildCounter()
          .Name("suanli_http_requests_total")
          .Help("API requests answered, by route pattern, method and status code")
          .Register(registry);
  prometheus::Family<prometheus::Histogram>& latency =
      prometheus::BuildHistogram()
          .Name("suanli_http_request_duration_seconds")
          .Help("Time to answer an API request, by route pattern and method")
          .Register(registry);
  prometheus::Family<prometheus::Histogram>& store_write =
      prometheus::BuildHistogram()
          .Name("suanli_store_write_duration_seconds")
          .Help("Time of one store write transaction, by operation")
          .Register(registry);
  prometheus::Family<prometheus::Counter>& events =
      prometheus::BuildCounter()
          .Name("suanli_fleet_events_total")
          .Help("Live-fleet events committed to the store, by type")
          .Register(registry);
  prometheus::Family<prometheus::Counter>& decisions =
      prometheus::BuildCounter()
          .Name("suanli_fleet_decisions_total")
          .Help("Scheduler decisions on the live fleet, by kind (submit, place, queue, preempt, "
                "evict, kill, complete, fail, rule)")
          .Register(registry);
  prometheus::Family<prometheus::Counter>& refusals =
      prometheus::BuildCounter()
          .Name("suanli_fleet_refusals_total")
          .Help("Accelerator types refused to a job in queue decisions, by the rule or reason")
          .Register(registry);
};

Metrics::Metrics() : impl_(std::make_unique<Impl>()) {}
Metrics::~Metrics() = default;

// Counting never fails a request or a fleet write: the library only throws
// for an invalid label name (ours are constants) or when memory runs out,
// and a metric lost then is better than an answer lost.
void Metrics::observe_request(std::string_view route, std::string_view method, int status,
                              double seconds) noexcept {
  try {
    const std::string r(route), m(method);
    impl_->requests.Add({{"route", r}, {"method", m}, {"code", std::to_string(status)}}).Increment();
    impl_->latency.Add({{"route", r}, {"method", m}}, kLatencyBuckets).Observe(seconds);
  } catch (...) {
  }
}

void Metrics::observe_fleet_commit(const FleetEvent& event, const Applied& applied,
                                   double store_seconds) noexcept {
  try {
    count_fleet_commit(event, applied, store_seconds);
  } catch (...) {
  }
}

void Metrics::count_fleet_commit(const FleetEvent& event, const Applied& applied,
                                 double store_seconds) {
  impl_->store_write.Add({{"operation", "fleet_event"}}, kLatencyBuckets).Observe(store_seconds);
  impl_->events.Add({{"type", event_type_name(event)}}).Increment();
  for (const std::string& text : applied.decisions) {
    const auto d = nlohmann::json::parse(text, nullptr, false);
    if (!d.is_object() || !d.contains("event") || !d["event"].is_string()) continue;
    const std::string kind = d["event"].get<std::string>();
    impl_->decisions.Add({{"event", kind}}).Increment();
    if (kind != "queue" || !d.contains("refusals") || !d["refusals"].is_array()) continue;
    for (const auto& r : d["refusals"]) {
      if (r.is_object() && r.contains("rule") && r["rule"].is_string())
        impl_->refusals.Add({{"rule", r["rule"].get<std::string>()}}).Increment();
    }
  }
}

namespace {

void fleet_gauges(const FleetSnapshot& f, prometheus::Registry& reg) {
  auto gauge = [&reg](const char* name, const char* help) -> prometheus::Family<prometheus::Gauge>& {
    return prometheus::BuildGauge().Name(name).Help(help).Register(reg);
  };
  gauge("suanli_fleet_configured", "1 when the live fleet has a configuration").Add({}).Set(
      f.configured ? 1 : 0);
  gauge("suanli_fleet_degraded", "1 when the live fleet could not replay its store (see GET /api/v1/fleet)")
      .Add({})
      .Set(f.degraded ? 1 : 0);
  if (!f.configured || f.degraded) return;
  std::map<std::string, std::string> origin;
  for (const TypeView& t : f.summary.types) origin[t.accelerator] = t.origin;
  auto& devices = gauge("suanli_fleet_devices",
                        "Devices in the live fleet by accelerator, origin, site and node state "
                        "(up, down, cordoned)");
  std::map<std::tuple<std::string, std::string, std::string>, double> by_state;
  for (const NodeView& n : f.nodes) {
    const char* state = !n.up ? "down" : n.cordoned ? "cordoned" : "up";
    by_state[{n.accelerator, n.site, state}] += n.devices;
  }
  for (const auto& [key, count] : by_state) {
    const auto& [accel, site, state] = key;
    devices.Add({{"accelerator", accel}, {"origin", origin[accel]}, {"site", site}, {"state", state}})
        .Set(count);
  }
  auto& allocated = gauge("suanli_fleet_devices_allocated",
                          "Devices allocated to running jobs (fractional for shared GPUs)");
  for (const TypeView& t : f.summary.types)
    allocated.Add({{"accelerator", t.accelerator}, {"origin", t.origin}}).Set(t.devices_allocated);
  if (f.summary.domestic_share) {
    gauge("suanli_fleet_domestic_share_ratio",
          "Share of the running compute on domestic accelerators (absent when nothing runs)")
        .Add({})
        .Set(*f.summary.domestic_share);
  }
  auto& floor = gauge("suanli_fleet_domestic_share_min_ratio",
                      "The floor each domestic-share rule sets, by rule ID");
  for (const RuleView& r : f.summary.rules)
    if (r.min_share) floor.Add({{"rule", r.id}}).Set(*r.min_share);
  auto& queue = gauge("suanli_fleet_queue_length", "Jobs waiting in the queue, by tenant");
  std::map<std::string, double> per_tenant;
  for (const QueueView& q : f.queue) per_tenant[q.tenant] += 1;
  for (const auto& [tenant, count] : per_tenant) queue.Add({{"tenant", tenant}}).Set(count);
  auto& jobs = gauge("suanli_fleet_jobs", "Jobs by state (running, queued)");
  jobs.Add({{"state", "running"}}).Set(f.summary.running);
  jobs.Add({{"state", "queued"}}).Set(static_cast<double>(f.summary.queued));
}

}  // namespace

std::string Metrics::render(const FleetSnapshot& fleet) const {
  auto families = impl_->registry.Collect();
  prometheus::Registry now;
  fleet_gauges(fleet, now);
  auto gauges = now.Collect();
  families.insert(families.end(), gauges.begin(), gauges.end());
  return prometheus::TextSerializer().Serialize(families);
}

}  // namespace suanli::service

#include "sim/result_json.h"

#include <algorithm>

namespace suanli {

namespace {

using Json = nlohmann::ordered_json;

Json percentiles_json(const Percentiles& p) {
  return Json{{"mean", p.mean}, {"p50", p.p50}, {"p95", p.p95}, {"p99", p.p99}};
}

}  // namespace

Json audit_report_json(const AuditReport& a) {
  Json checks = Json::object();
  for (const auto& [check, n] : a.by_check) checks[check] = n;
  Json first = Json::array();
  for (std::size_t i = 0; i < std::min<std::size_t>(a.violations.size(), 20); ++i) {
    const AuditViolation& v = a.violations[i];
    first.push_back(Json{{"t", v.t}, {"line", v.line}, {"check", v.check}, {"message", v.message}});
  }
  return Json{{"violations", a.violation_count},
              {"by_check", std::move(checks)},
              {"first", std::move(first)},
              {"lines", a.lines},
              {"min_domestic_share", a.min_domestic_share},
              {"drain_lateness_s", a.drain_lateness_s}};
}

Json simulation_result_json(const SimulationResult& r, const AuditReport& audit,
                            const SimulationJsonOptions& options) {
  Json j;
  j["scenario"] = r.scenario;
  j["seed"] = r.seed;
  j["queue"] = r.queue_policy;
  j["placement"] = r.placement_policy;
  j["jobs_submitted"] = r.jobs_submitted;
  j["jobs_completed"] = r.jobs_completed;
  j["jobs_failed"] = r.jobs_failed;
  j["jobs_unfinished"] = r.jobs_unfinished;
  j["jct_s"] = percentiles_json(r.jct_s);
  j["queue_s"] = percentiles_json(r.queue_s);
  Json util = Json::object();
  Json detail = Json::array();
  for (const TypeUtilization& u : r.utilization) {
    util[u.accelerator] = u.utilization;
    detail.push_back(Json{{"accelerator", u.accelerator},
                          {"domestic", u.domestic},
                          {"utilization", u.utilization},
                          {"device_hours", u.device_hours},
                          {"up_device_hours", u.up_device_hours},
                          {"placements", u.placements},
                          {"passed_over", u.passed_over},
                          {"refusals", u.refusals}});
  }
  j["utilization"] = std::move(util);
  j["utilization_detail"] = std::move(detail);
  j["idle_types"] = idle_type_notes(r);
  j["domestic_share"] = Json{{"min", r.domestic_share_min}, {"mean", r.domestic_share_mean}};
  j["policy_violations"] = audit.violation_count;
  j["audit"] = audit_report_json(audit);
  j["lost_device_hours"] = r.lost_device_hours;
  j["preemptions"] = r.preemptions;
  j["evictions"] = r.evictions;
  j["restarts"] = r.restarts;
  j["node_failures"] = r.node_failures;
  Json reasons = Json::object();
  for (const auto& [reason, n] : r.failure_reasons) reasons[reason] = n;
  j["failure_reasons"] = std::move(reasons);
  j["makespan_s"] = r.makespan_s;
  j["cost_usd"] = r.cost_usd;
  j["sim_events"] = r.sim_events;
  j["estimator_searches"] = r.estimator_searches;
  j["end_reason"] = r.end_reason;
  if (options.timeline) {
    Json samples = Json::array();
    for (const Sample& s : r.samples) {
      Json share = s.domestic_share ? Json(*s.domestic_share) : Json(nullptr);
      samples.push_back(Json{{"t", s.t},
                             {"allocated", s.allocated},
                             {"up", s.up},
                             {"domestic_share", std::move(share)},
                             {"queued", s.queued},
                             {"running", s.running}});
    }
    j["timeline"] = std::move(samples);
  }
  if (options.wall_time) j["wall_time_s"] = r.wall_time_s;
  return j;
}

}  // namespace suanli

#include "sweep/sim_sweep.h"

#include <fmt/format.h>

#include <set>
#include <sstream>

#include "sim/result_json.h"
#include "sim/scenario.h"
#include "sweep/json_field.h"
#include "util/table.h"

namespace suanli {

namespace {

using Json = nlohmann::ordered_json;

double number(const Json& j) { return j.is_number() ? j.get<double>() : 0.0; }

std::string csv_quote(const std::string& v) {
  if (v.find_first_of(",\"\n") == std::string::npos) return v;
  std::string q = "\"";
  for (char c : v) q += c == '"' ? std::string("\"\"") : std::string(1, c);
  return q + "\"";
}

// A JSON number as written in the JSON (shortest text that reads back the
// same double); absent: empty.
std::string csv_number(const Json& j) { return j.is_number() ? j.dump() : std::string(); }

std::vector<std::string> accelerators_of(const std::vector<Json>& points) {
  std::set<std::string> ids;
  for (const Json& p : points) {
    const Json& u = json_field(p, "utilization");
    if (u.is_object())
      for (auto it = u.begin(); it != u.end(); ++it) ids.insert(it.key());
  }
  return {ids.begin(), ids.end()};
}

std::string value_of(const Json& point, const std::string& key) {
  const Json& v = json_field(json_field(point, "values"), key.c_str());
  return v.is_string() ? v.get<std::string>() : v.dump();
}

bool ok(const Json& p) { return json_field(p, "status") == "ok"; }

}  // namespace

Json simulation_point_metrics(const SimulationResult& result, const AuditReport& audit) {
  SimulationJsonOptions options;
  options.timeline = false;
  options.wall_time = false;
  const Json full = simulation_result_json(result, audit, options);
  double allocated = 0, up = 0;
  for (const TypeUtilization& u : result.utilization) {
    allocated += u.device_hours;
    up += u.up_device_hours;
  }
  Json out = Json::object();
  for (auto it = full.begin(); it != full.end(); ++it) {
    const std::string& k = it.key();
    if (k == "scenario" || k == "utilization_detail" || k == "audit" || k == "estimator_searches")
      continue;
    out[k] = *it;
    if (k == "utilization") out["utilization_overall"] = up > 0 ? allocated / up : 0.0;
  }
  return out;
}

Result<Json> simulate_sweep_point(std::string_view scenario_text, const std::filesystem::path& file,
                                  const Catalog& catalog,
                                  const std::vector<TomlOverride>& overrides) {
  SUANLI_ASSIGN(Scenario scenario, parse_scenario(scenario_text, file, catalog, overrides));
  std::stringstream log;  // the audit reads it
  RunOptions options;
  options.events = &log;
  SUANLI_ASSIGN(Simulation sim, Simulation::create(scenario, catalog, std::move(options)));
  SUANLI_ASSIGN(SimulationResult result, sim.run());
  log.seekg(0);
  SUANLI_ASSIGN(AuditReport audit, audit_event_log(log));
  return simulation_point_metrics(result, audit);
}

std::string simulation_sweep_text(const std::vector<std::string>& keys,
                                  const std::vector<Json>& points) {
  std::vector<std::string> header = keys;
  header.insert(header.end(),
                {"status", "done/failed/unfin", "JCT mean h", "JCT p95 h", "queue p95 h",
                 "utilisation", "domestic min/mean", "cost USD", "violations"});
  TextTable t(header);
  std::vector<std::size_t> right;
  for (std::size_t c = keys.size() + 1; c < header.size(); ++c) right.push_back(c);
  t.set_right_aligned(right);
  for (const Json& p : points) {
    std::vector<std::string> row;
    for (const std::string& k : keys) row.push_back(value_of(p, k));
    if (!ok(p)) {
      row.push_back("error");
      const Json& e = json_field(p, "error");
      row.push_back(e.is_string() ? e.get<std::string>() : "");
    } else {
      row.push_back("ok");
      row.push_back(fmt::format("{}/{}/{}", number(json_field(p, "jobs_completed")),
                                number(json_field(p, "jobs_failed")),
                                number(json_field(p, "jobs_unfinished"))));
      row.push_back(
          fmt::format("{:.2f}", number(json_field(json_field(p, "jct_s"), "mean")) / 3600));
      row.push_back(
          fmt::format("{:.2f}", number(json_field(json_field(p, "jct_s"), "p95")) / 3600));
      row.push_back(
          fmt::format("{:.2f}", number(json_field(json_field(p, "queue_s"), "p95")) / 3600));
      row.push_back(fmt::format("{:.1f}%", 100 * number(json_field(p, "utilization_overall"))));
      const Json& share = json_field(p, "domestic_share");
      row.push_back(fmt::format("{:.1f}% / {:.1f}%", 100 * number(json_field(share, "min")),
                                100 * number(json_field(share, "mean"))));
      row.push_back(fmt::format("{:.0f}", number(json_field(p, "cost_usd"))));
      row.push_back(fmt::format("{}", number(json_field(p, "policy_violations"))));
    }
    row.resize(header.size());
    t.add_row(std::move(row));
  }
  return t.render();
}

std::string simulation_sweep_csv(const std::vector<std::string>& keys,
                                 const std::vector<Json>& points) {
  const std::vector<std::string> ids = accelerators_of(points);
  std::string out;
  for (const std::string& k : keys) out += csv_quote(k) + ",";
  out +=
      "status,jobs_submitted,jobs_completed,jobs_failed,jobs_unfinished,jct_mean_s,jct_p50_s,"
      "jct_p95_s,jct_p99_s,queue_mean_s,queue_p50_s,queue_p95_s,queue_p99_s,utilization,"
      "domestic_share_min,domestic_share_mean,policy_violations,lost_device_hours,node_failures,"
      "restarts,preemptions,evictions,makespan_s,cost_usd";
  for (const std::string& id : ids) out += ",utilization_" + csv_quote(id);
  out += ",error\n";
  for (const Json& p : points) {
    for (const std::string& k : keys) out += csv_quote(value_of(p, k)) + ",";
    const bool good = ok(p);
    out += good ? "ok" : "error";
    const Json& jct = json_field(p, "jct_s");
    const Json& queue = json_field(p, "queue_s");
    const Json& share = json_field(p, "domestic_share");
    for (const Json* v : {&json_field(p, "jobs_submitted"),
                          &json_field(p, "jobs_completed"),
                          &json_field(p, "jobs_failed"),
                          &json_field(p, "jobs_unfinished"),
                          &json_field(jct, "mean"),
                          &json_field(jct, "p50"),
                          &json_field(jct, "p95"),
                          &json_field(jct, "p99"),
                          &json_field(queue, "mean"),
                          &json_field(queue, "p50"),
                          &json_field(queue, "p95"),
                          &json_field(queue, "p99"),
                          &json_field(p, "utilization_overall"),
                          &json_field(share, "min"),
                          &json_field(share, "mean"),
                          &json_field(p, "policy_violations"),
                          &json_field(p, "lost_device_hours"),
                          &json_field(p, "node_failures"),
                          &json_field(p, "restarts"),
                          &json_field(p, "preemptions"),
                          &json_field(p, "evictions"),
                          &json_field(p, "makespan_s"),
                          &json_field(p, "cost_usd")})
      out += "," + (good ? csv_number(*v) : std::string());
    for (const std::string& id : ids)
      out += "," + (good ? csv_number(json_field(json_field(p, "utilization"), id.c_str()))
                         : std::string());
    const Json& e = json_field(p, "error");
    out += "," + csv_quote(e.is_string() ? e.get<std::string>() : std::string()) + "\n";
  }
  return out;
}

}  // namespace suanli

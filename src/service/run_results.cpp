// The simulate run's result document (runs.h): the summary, the sampled
// timeline and the job-completion-time histogram, and the JCTs read back
// from the simulation's event log.
#include <algorithm>
#include <cmath>
#include <map>
#include <string>

#include "service/runs.h"
#include "sim/result_json.h"

namespace suanli::service {

namespace {
using Json = nlohmann::ordered_json;
}  // namespace

nlohmann::ordered_json simulation_summary_json(const SimulationResult& r,
                                               const AuditReport& audit) {
  // The keys and order of `suanli simulate --json`, without the wall time
  // and the timeline (which the run result carries in its own shape).
  SimulationJsonOptions options;
  options.wall_time = false;
  return simulation_result_json(r, audit, options);
}

nlohmann::ordered_json simulation_timeline_json(const SimulationResult& r, int max_points) {
  std::vector<std::string> ids;
  for (const TypeUtilization& u : r.utilization) ids.push_back(u.accelerator);
  const std::size_t n = r.samples.size();
  const std::size_t limit = static_cast<std::size_t>(std::max(2, max_points));
  const std::size_t stride = n > limit ? (n + limit - 1) / limit : 1;
  Json t_h = Json::array(), share = Json::array(), queued = Json::array(), running = Json::array();
  std::vector<Json> util(ids.size(), Json::array()), alloc(ids.size(), Json::array()),
      up(ids.size(), Json::array());
  for (std::size_t i = 0; i < n; i += stride) {
    const Sample& s = r.samples[i];
    t_h.push_back(s.t / 3600);
    share.push_back(s.domestic_share ? Json(*s.domestic_share) : Json(nullptr));
    queued.push_back(s.queued);
    running.push_back(s.running);
    for (std::size_t k = 0; k < ids.size(); ++k) {
      const double a = k < s.allocated.size() ? s.allocated[k] : 0.0;
      const int u = k < s.up.size() ? s.up[k] : 0;
      util[k].push_back(u > 0 ? std::min(1.0, a / u) : 0.0);
      alloc[k].push_back(a);
      up[k].push_back(u);
    }
  }
  Json j;
  j["interval_s"] = n >= 2 * stride ? r.samples[stride].t - r.samples[0].t : 0.0;
  j["accelerators"] = ids;
  j["t_h"] = std::move(t_h);
  Json u_obj = Json::object(), a_obj = Json::object(), up_obj = Json::object();
  for (std::size_t k = 0; k < ids.size(); ++k) {
    u_obj[ids[k]] = std::move(util[k]);
    a_obj[ids[k]] = std::move(alloc[k]);
    up_obj[ids[k]] = std::move(up[k]);
  }
  j["utilization"] = std::move(u_obj);
  j["allocated"] = std::move(a_obj);
  j["up"] = std::move(up_obj);
  j["domestic_share"] = std::move(share);
  j["queued"] = std::move(queued);
  j["running"] = std::move(running);
  return j;
}

nlohmann::ordered_json jct_histogram_json(const std::vector<double>& jct_hours) {
  Json j;
  j["unit"] = "h";
  j["count"] = jct_hours.size();
  Json buckets = Json::array();
  double width = 0;
  if (!jct_hours.empty()) {
    const double max = *std::max_element(jct_hours.begin(), jct_hours.end());
    // About 20 buckets of a round width (1, 2 or 5 x 10^k hours).
    const double raw = max > 0 ? max / 20 : 1;
    const double p = std::pow(10.0, std::floor(std::log10(raw)));
    const double m = raw / p;
    width = (m <= 1 ? 1 : m <= 2 ? 2 : m <= 5 ? 5 : 10) * p;
    const std::size_t count =
        std::min<std::size_t>(200, static_cast<std::size_t>(std::floor(max / width)) + 1);
    std::vector<long long> counts(count, 0);
    for (double h : jct_hours) {
      const auto b = static_cast<std::size_t>(std::max(0.0, std::floor(h / width)));
      ++counts[std::min(b, count - 1)];
    }
    for (std::size_t b = 0; b < count; ++b)
      buckets.push_back(Json{{"from_h", static_cast<double>(b) * width},
                             {"to_h", static_cast<double>(b + 1) * width},
                             {"count", counts[b]}});
  }
  j["bucket_width_h"] = width;
  j["buckets"] = std::move(buckets);
  return j;
}

std::vector<double> jct_hours_from_event_log(std::istream& log) {
  std::vector<double> out;
  std::map<long long, double> submitted;
  std::string line;
  while (std::getline(log, line)) {
    if (line.empty()) continue;
    const auto j = nlohmann::json::parse(line, nullptr, false);
    if (j.is_discarded() || !j.is_object() || !j.contains("event") || !j["event"].is_string())
      continue;
    const std::string& ev = j["event"].get_ref<const std::string&>();
    if ((ev != "submit" && ev != "complete") || !j.contains("job") || !j.contains("t") ||
        !j["job"].is_number() || !j["t"].is_number())
      continue;
    if (ev == "submit") {
      submitted[j["job"].get<long long>()] = j["t"].get<double>();
    } else {
      const auto it = submitted.find(j["job"].get<long long>());
      if (it != submitted.end()) out.push_back((j["t"].get<double>() - it->second) / 3600);
    }
  }
  return out;
}

}  // namespace suanli::service

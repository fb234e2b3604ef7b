// The sweeps: the plan re-solved over one scenario key (cost frontier, mix per value, solver-gap
// notes) and the simulation sweep over one key.
#include "report/html_parts.h"

namespace suanli::report_html {

namespace {

std::optional<double> parse_number(const std::string& s) {
  if (s.empty()) return std::nullopt;
  char* end = nullptr;
  const double v = std::strtod(s.c_str(), &end);
  if (end != s.c_str() + s.size() || !std::isfinite(v)) return std::nullopt;
  return v;
}

// A point's value of `key`; "" when it has none.
std::string value_of(const std::map<std::string, std::string>& values, const std::string& key) {
  const auto it = values.find(key);
  return it == values.end() ? std::string() : it->second;
}

// The devices of accelerator `id` a sweep point buys; absent when it names none.
std::optional<double> devices_of(const SweepPointDoc& p, const std::string& id) {
  if (!p.devices_by_accelerator) return std::nullopt;
  const auto it = p.devices_by_accelerator->find(id);
  if (it == p.devices_by_accelerator->end()) return std::nullopt;
  return static_cast<double>(it->second);
}

// A simulation sweep point's job completion time, "mean" or "p95", in seconds.
std::optional<double> jct_of(const SimulationSweepPointDoc& p, std::string_view stat) {
  if (!p.jct_s) return std::nullopt;
  return stat == "mean" ? p.jct_s->mean : p.jct_s->p95;
}

// The keys a sweep names, less any empty one.
std::vector<std::string> named_keys(const Strings& listed) {
  std::vector<std::string> keys;
  for (const auto& k : listed)
    if (!k.empty()) keys.push_back(k);
  return keys;
}

// Every sweep point: the keys' values, status, objective, domestic share
// and the devices of each accelerator.
void sweep_table(std::string& out, const Ctx& c, const std::vector<SweepPointDoc>& points,
                 const std::vector<std::string>& keys, const std::vector<std::string>& id_list) {
  std::vector<std::string> head;  // HTML: the keys and chip names are data
  for (const auto& k : keys) head.push_back(data_html(k));
  for (const char* h : {"Status", "Objective", "Domestic share"}) head.push_back(esc(c.tr(h)));
  for (const auto& id : id_list) head.push_back(data_html(c.accels.name(id)));
  std::vector<std::vector<Cell>> rows;
  std::vector<std::string> classes;
  for (const SweepPointDoc& p : points) {
    std::vector<Cell> row;
    row.reserve(head.size());
    for (const auto& k : keys) row.push_back(nc(value_of(p.values, k)));
    row.push_back(raw_cell(c.word_html(p.status)));
    row.push_back(nc(opt(p.objective_usd, fmt_usd)));
    row.push_back(nc(opt(p.domestic_share, fmt_pct)));
    for (const auto& id : id_list) row.push_back(nc(opt(devices_of(p, id), group_digits)));
    rows.push_back(std::move(row));
    classes.push_back(p.status == "infeasible" ? "infeasible" : "");
  }
  table(out, head, rows, classes,
        id_list.empty() ? "" : c.tr("Devices by accelerator in the last columns."), true);
}

// Every simulation sweep point's headline metrics.
void simulation_sweep_table(std::string& out, const Ctx& c,
                            const std::vector<SimulationSweepPointDoc>& points,
                            const std::vector<std::string>& keys) {
  std::vector<std::string> head;  // HTML: the keys are data
  for (const auto& k : keys) head.push_back(data_html(k));
  for (const char* h :
       {"Status", "Completed / failed / unfinished", "JCT mean", "JCT p95", "Queueing p95",
        "Utilisation", "Domestic share min / mean", "Cost", "Policy violations"})
    head.push_back(esc(c.tr(h)));
  std::vector<std::vector<Cell>> rows;
  std::vector<std::string> classes;
  const auto hours = [](double s) { return fmt_num(s / 3600) + " h"; };
  const auto as_double = [](std::int64_t n) { return static_cast<double>(n); };
  const auto count = [&](std::optional<std::int64_t> n) {
    return group_digits(n.transform(as_double).value_or(0));
  };
  for (const SimulationSweepPointDoc& p : points) {
    std::vector<Cell> row;
    for (const auto& key : keys) {
      const std::string v = value_of(p.values, key);
      row.push_back(parse_number(v) ? nc(v) : dc(v));
    }
    if (p.status != "ok") {
      row.push_back(tc(c.tr("error")));
      row.push_back(dc(p.error.value_or("")));
      row.resize(head.size(), tc(""));
      rows.push_back(std::move(row));
      classes.push_back("infeasible");
      continue;
    }
    row.push_back(tc(c.tr("ok")));
    row.push_back(nc(fmt::format("{} / {} / {}", count(p.jobs_completed), count(p.jobs_failed),
                                 count(p.jobs_unfinished))));
    row.push_back(nc(opt(jct_of(p, "mean"), +hours)));
    row.push_back(nc(opt(jct_of(p, "p95"), +hours)));
    row.push_back(nc(opt(p.queue_s ? p.queue_s->p95 : std::nullopt, +hours)));
    row.push_back(nc(opt(p.utilization_overall, fmt_pct)));
    const auto share = p.domestic_share.value_or(ShareStats{});
    row.push_back(nc(fmt::format("{} / {}", opt(share.min, fmt_pct), opt(share.mean, fmt_pct))));
    row.push_back(nc(opt(p.cost_usd, fmt_usd)));
    row.push_back(nc(opt(p.policy_violations.transform(as_double), group_digits)));
    rows.push_back(std::move(row));
    classes.push_back("");
  }
  table(out, head, rows, classes, {}, true);
}

// The cost frontier: the objective against the first key, one series per
// value of the second key; infeasible points are left out and counted.
void sweep_frontier_chart(std::string& out, Ctx& c, const std::vector<SweepPointDoc>& points,
                          const std::vector<std::string>& keys) {
  const std::string& k1 = keys[0];
  bool numeric = true;
  for (const SweepPointDoc& p : points)
    numeric = numeric && parse_number(value_of(p.values, k1)).has_value();
  // Series: one per value of the second key.
  std::vector<std::string> series;
  std::map<std::string, std::vector<std::pair<std::string, double>>> pts;
  int dropped = 0;
  for (const SweepPointDoc& p : points) {
    const std::string s = keys.size() > 1 ? value_of(p.values, keys[1]) : "";
    if (!pts.contains(s)) {
      series.push_back(s);
      pts[s];
    }
    const std::string& st = p.status;
    if (!p.objective_usd || (!st.empty() && st != "optimal" && st != "feasible")) {
      ++dropped;
      continue;
    }
    pts[s].emplace_back(value_of(p.values, k1), *p.objective_usd);
  }
  json labels = json::array();
  std::vector<std::string> label_order;
  if (!numeric) {
    std::set<std::string> seen;
    for (const SweepPointDoc& p : points) {
      const std::string x = value_of(p.values, k1);
      if (seen.insert(x).second) label_order.push_back(x);
    }
    for (const auto& x : label_order) labels.push_back(x);
  }
  static const char* kSeries[] = {"#1f5fa8", "#d1495b", "#2a9d8f",
                                  "#e67e22", "#6a4c93", "#3d7a3a"};
  json datasets = json::array();
  int k = 0;
  for (const auto& s : series) {
    auto& v = pts[s];
    if (v.empty()) continue;
    json data = json::array();
    if (numeric) {
      std::sort(v.begin(), v.end(), [](const auto& a, const auto& b) {
        return *parse_number(a.first) < *parse_number(b.first);
      });
      for (const auto& [x, y] : v) data.push_back({{"x", *parse_number(x)}, {"y", y}});
    } else {
      for (const auto& x : label_order) {
        const auto it =
            std::find_if(v.begin(), v.end(), [&](const auto& e) { return e.first == x; });
        data.push_back(it == v.end() ? json(nullptr) : json(it->second));
      }
    }
    const std::string colour = kSeries[k++ % 6];
    datasets.push_back({{"label", keys.size() > 1 ? keys[1] + " = " + s : c.tr("objective")},
                        {"data", data},
                        {"borderColor", colour},
                        {"backgroundColor", colour},
                        {"pointRadius", 4},
                        {"tension", 0},
                        {"spanGaps", false}});
  }
  if (datasets.empty()) return;
  json options = {
      {"scales",
       {{"x", {{"type", numeric ? "linear" : "category"}, {"title", axis_title(k1)}}},
        {"y", {{"title", axis_title(c.tr("objective, USD (discounted)"))}}}}},
      {"plugins", {{"legend", {{"display", keys.size() > 1}, {"position", "bottom"}}}}}};
  json data = {{"datasets", datasets}};
  if (!numeric) data["labels"] = labels;
  json axes = {{"y", "usd"}};
  if (numeric) axes["x"] = "num";
  chart(out, c.charts, "sweep-frontier", c.m.trf("Objective against {key}", fmt::arg("key", k1)),
        {{"type", "line"}, {"data", data}, {"options", options}},
        {{"axes", axes}, {"tooltip", "usd"}, {"valueAxis", "y"}},
        dropped > 0 ? c.m.trf("{n} infeasible point(s) are not drawn; see the table.",
                              fmt::arg("n", dropped))
                    : "",
        320, c.html("Objective against {key}", fmt::arg("key", data_html(k1))));
}

// Mean and p95 job completion time against the first key, one series of
// each per value of the second key; points that did not run are counted.
void simulation_sweep_chart(std::string& out, Ctx& c,
                            const std::vector<SimulationSweepPointDoc>& points,
                            const std::vector<std::string>& keys) {
  const std::string& k1 = keys[0];
  bool numeric = true;
  for (const SimulationSweepPointDoc& p : points)
    numeric = numeric && parse_number(value_of(p.values, k1)).has_value();
  std::vector<std::string> label_order;  // first-key values in point order
  {
    std::set<std::string> seen;
    for (const SimulationSweepPointDoc& p : points) {
      const std::string x = value_of(p.values, k1);
      if (seen.insert(x).second) label_order.push_back(x);
    }
  }
  std::vector<std::string> series;  // second-key values in point order
  for (const SimulationSweepPointDoc& p : points) {
    const std::string v = keys.size() > 1 ? value_of(p.values, keys[1]) : "";
    if (std::find(series.begin(), series.end(), v) == series.end()) series.push_back(v);
  }
  static const char* kSeries[] = {"#1f5fa8", "#d1495b", "#2a9d8f",
                                  "#e67e22", "#6a4c93", "#3d7a3a"};
  json datasets = json::array();
  int dropped = 0;
  int k = 0;
  for (const auto& s : series) {
    const std::string colour = kSeries[k++ % 6];
    for (const char* stat : {"mean", "p95"}) {
      std::vector<std::pair<std::string, double>> pts;
      for (const SimulationSweepPointDoc& p : points) {
        if (keys.size() > 1 && value_of(p.values, keys[1]) != s) continue;
        const auto v = jct_of(p, stat);
        if (p.status != "ok" || !v) {
          if (std::string_view(stat) == "mean") ++dropped;
          continue;
        }
        pts.emplace_back(value_of(p.values, k1), *v / 3600);
      }
      if (pts.empty()) continue;
      json data = json::array();
      if (numeric) {
        std::sort(pts.begin(), pts.end(), [](const auto& a, const auto& b) {
          return *parse_number(a.first) < *parse_number(b.first);
        });
        for (const auto& [x, y] : pts) data.push_back({{"x", *parse_number(x)}, {"y", y}});
      } else {
        for (const auto& x : label_order) {
          const auto it =
              std::find_if(pts.begin(), pts.end(), [&](const auto& e) { return e.first == x; });
          data.push_back(it == pts.end() ? json(nullptr) : json(it->second));
        }
      }
      const std::string label = (keys.size() > 1 ? keys[1] + " = " + s + ", " : std::string()) +
                                c.tr(std::string_view(stat) == "mean" ? "mean JCT" : "p95 JCT");
      json ds = {{"label", label},        {"data", data},
                 {"borderColor", colour}, {"backgroundColor", colour},
                 {"pointRadius", 4},      {"tension", 0},
                 {"spanGaps", false}};
      if (std::string_view(stat) == "p95") ds["borderDash"] = json::array({6, 4});
      datasets.push_back(std::move(ds));
    }
  }
  if (datasets.empty()) return;
  json options = {
      {"scales",
       {{"x", {{"type", numeric ? "linear" : "category"}, {"title", axis_title(k1)}}},
        {"y", {{"title", axis_title(c.tr("job completion time, h"))}, {"beginAtZero", true}}}}},
      {"plugins", {{"legend", {{"display", true}, {"position", "bottom"}}}}}};
  json data = {{"datasets", datasets}};
  if (!numeric) {
    json labels = json::array();
    for (const auto& x : label_order) labels.push_back(x);
    data["labels"] = labels;
  }
  json axes = {{"y", "num"}};
  if (numeric) axes["x"] = "num";
  chart(out, c.charts, "sim-sweep-jct",
        c.m.trf("Job completion time against {key}", fmt::arg("key", k1)),
        {{"type", "line"}, {"data", data}, {"options", options}},
        {{"axes", axes}, {"tooltip", "num"}, {"valueAxis", "y"}},
        dropped > 0 ? c.m.trf("{n} point(s) that did not run are not drawn; see the table.",
                              fmt::arg("n", dropped))
                    : c.tr("Solid: mean; dashed: 95th percentile."),
        320, c.html("Job completion time against {key}", fmt::arg("key", data_html(k1))));
}

}  // namespace

void sweep_section(std::string& out, Ctx& c) {
  if (!c.doc.sweep || c.doc.sweep->points.empty()) return;
  const std::vector<SweepPointDoc>& points = c.doc.sweep->points;
  std::vector<std::string> keys = named_keys(c.doc.sweep->keys);
  if (keys.empty())  // fall back to the keys of the first point
    for (const auto& [key, value] : points[0].values) keys.push_back(key);
  out += "<section id=\"sweep\"><h2>" + esc(c.tr("Sweep frontier")) + "</h2>\n";

  std::set<std::string> ids;
  for (const SweepPointDoc& p : points)
    if (p.devices_by_accelerator)
      for (const auto& [id, n] : *p.devices_by_accelerator) ids.insert(id);
  const std::vector<std::string> id_list = c.accels.sorted(ids);

  if (!keys.empty()) sweep_frontier_chart(out, c, points, keys);
  sweep_table(out, c, points, keys, id_list);
  out += "</section>\n";
}

// A simulation sweep (`suanli sweep` over a simulator scenario): mean and
// p95 job completion time against the first key (one series per value of
// the second key), and the table of every point's headline metrics.
void simulation_sweep_section(std::string& out, Ctx& c) {
  if (!c.doc.simulation_sweep || c.doc.simulation_sweep->points.empty()) return;
  const std::vector<SimulationSweepPointDoc>& points = c.doc.simulation_sweep->points;
  const std::vector<std::string> keys = named_keys(c.doc.simulation_sweep->keys);
  out += "<section id=\"simulation-sweep\"><h2>" + esc(c.tr("Simulation sweep")) + "</h2>\n";
  if (!keys.empty()) simulation_sweep_chart(out, c, points, keys);
  simulation_sweep_table(out, c, points, keys);
  out += "</section>\n";
}

}  // namespace suanli::report_html

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

// Every sweep point: the keys' values, status, objective, domestic share
// and the devices of each accelerator.
void sweep_table(std::string& out, const Ctx& c, const json& points,
                 const std::vector<std::string>& keys, const std::vector<std::string>& id_list) {
  std::vector<std::string> head;  // HTML: the keys and chip names are data
  for (const auto& k : keys) head.push_back(data_html(k));
  for (const char* h : {"Status", "Objective", "Domestic share"}) head.push_back(esc(c.tr(h)));
  for (const auto& id : id_list) head.push_back(data_html(c.accels.name(id)));
  std::vector<std::vector<Cell>> rows;
  std::vector<std::string> classes;
  for (const auto& p : points) {
    std::vector<Cell> row;
    row.reserve(head.size());
    for (const auto& k : keys) row.push_back(nc(str(obj(p, "values"), k.c_str())));
    const std::string st = str(p, "status");
    row.push_back(raw_cell(c.word_html(st)));
    row.push_back(nc(opt(num(p, "objective_usd"), fmt_usd)));
    row.push_back(nc(opt(num(p, "domestic_share"), fmt_pct)));
    for (const auto& id : id_list)
      row.push_back(nc(opt(num(obj(p, "devices_by_accelerator"), id.c_str()), group_digits)));
    rows.push_back(std::move(row));
    classes.push_back(st == "infeasible" ? "infeasible" : "");
  }
  table(out, head, rows, classes,
        id_list.empty() ? "" : c.tr("Devices by accelerator in the last columns."), true);
}

// Every simulation sweep point's headline metrics.
void simulation_sweep_table(std::string& out, const Ctx& c, const json& points,
                            const std::vector<std::string>& keys) {
  auto ok = [](const json& p) { return str(p, "status") == "ok"; };
  std::vector<std::string> head;  // HTML: the keys are data
  for (const auto& k : keys) head.push_back(data_html(k));
  for (const char* h :
       {"Status", "Completed / failed / unfinished", "JCT mean", "JCT p95", "Queueing p95",
        "Utilisation", "Domestic share min / mean", "Cost", "Policy violations"})
    head.push_back(esc(c.tr(h)));
  std::vector<std::vector<Cell>> rows;
  std::vector<std::string> classes;
  const auto hours = [](double s) { return fmt_num(s / 3600) + " h"; };
  for (const auto& p : points) {
    std::vector<Cell> row;
    for (const auto& key : keys) {
      const std::string v = str(obj(p, "values"), key.c_str());
      row.push_back(parse_number(v) ? nc(v) : dc(v));
    }
    if (!ok(p)) {
      row.push_back(tc(c.tr("error")));
      row.push_back(dc(str(p, "error")));
      row.resize(head.size(), tc(""));
      rows.push_back(std::move(row));
      classes.push_back("infeasible");
      continue;
    }
    row.push_back(tc(c.tr("ok")));
    row.push_back(nc(fmt::format("{} / {} / {}", group_digits(num(p, "jobs_completed").value_or(0)),
                                 group_digits(num(p, "jobs_failed").value_or(0)),
                                 group_digits(num(p, "jobs_unfinished").value_or(0)))));
    row.push_back(nc(opt(num(obj(p, "jct_s"), "mean"), +hours)));
    row.push_back(nc(opt(num(obj(p, "jct_s"), "p95"), +hours)));
    row.push_back(nc(opt(num(obj(p, "queue_s"), "p95"), +hours)));
    row.push_back(nc(opt(num(p, "utilization_overall"), fmt_pct)));
    row.push_back(nc(fmt::format("{} / {}", opt(num(obj(p, "domestic_share"), "min"), fmt_pct),
                                 opt(num(obj(p, "domestic_share"), "mean"), fmt_pct))));
    row.push_back(nc(opt(num(p, "cost_usd"), fmt_usd)));
    row.push_back(nc(opt(num(p, "policy_violations"), group_digits)));
    rows.push_back(std::move(row));
    classes.push_back("");
  }
  table(out, head, rows, classes, {}, true);
}

}  // namespace

void sweep_section(std::string& out, Ctx& c) {
  const json& sweep = obj(c.doc, "sweep");
  const json& points = arr(sweep, "points");
  if (points.empty()) return;
  std::vector<std::string> keys;
  for (const auto& k : arr(sweep, "keys"))
    if (!str(k).empty()) keys.push_back(str(k));
  if (keys.empty())  // fall back to the keys of the first point
    for (auto it = obj(points[0], "values").begin(); it != obj(points[0], "values").end(); ++it)
      keys.push_back(it.key());
  out += "<section id=\"sweep\"><h2>" + esc(c.tr("Sweep frontier")) + "</h2>\n";

  std::set<std::string> ids;
  for (const auto& p : points)
    for (auto it = obj(p, "devices_by_accelerator").begin();
         it != obj(p, "devices_by_accelerator").end(); ++it)
      ids.insert(it.key());
  const std::vector<std::string> id_list = c.accels.sorted(ids);

  if (!keys.empty()) {
    const std::string& k1 = keys[0];
    bool numeric = true;
    for (const auto& p : points)
      numeric = numeric && parse_number(str(obj(p, "values"), k1.c_str())).has_value();
    // Series: one per value of the second key.
    std::vector<std::string> series;
    std::map<std::string, std::vector<std::pair<std::string, double>>> pts;
    int dropped = 0;
    for (const auto& p : points) {
      const std::string s = keys.size() > 1 ? str(obj(p, "values"), keys[1].c_str()) : "";
      if (!pts.contains(s)) {
        series.push_back(s);
        pts[s];
      }
      const std::string st = str(p, "status");
      const auto v = num(p, "objective_usd");
      if (!v || (!st.empty() && st != "optimal" && st != "feasible")) {
        ++dropped;
        continue;
      }
      pts[s].emplace_back(str(obj(p, "values"), k1.c_str()), *v);
    }
    json labels = json::array();
    std::vector<std::string> label_order;
    if (!numeric) {
      std::set<std::string> seen;
      for (const auto& p : points) {
        const std::string x = str(obj(p, "values"), k1.c_str());
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
    if (!datasets.empty()) {
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
  }

  sweep_table(out, c, points, keys, id_list);
  out += "</section>\n";
}

namespace {}  // namespace

// A simulation sweep (`suanli sweep` over a simulator scenario): mean and
// p95 job completion time against the first key (one series per value of
// the second key), and the table of every point's headline metrics.
void simulation_sweep_section(std::string& out, Ctx& c) {
  const json& sweep = obj(c.doc, "simulation_sweep");
  const json& points = arr(sweep, "points");
  if (points.empty()) return;
  std::vector<std::string> keys;
  for (const auto& k : arr(sweep, "keys"))
    if (!str(k).empty()) keys.push_back(str(k));
  out += "<section id=\"simulation-sweep\"><h2>" + esc(c.tr("Simulation sweep")) + "</h2>\n";
  auto ok = [](const json& p) { return str(p, "status") == "ok"; };
  if (!keys.empty()) {
    const std::string& k1 = keys[0];
    bool numeric = true;
    for (const auto& p : points)
      numeric = numeric && parse_number(str(obj(p, "values"), k1.c_str())).has_value();
    std::vector<std::string> label_order;  // first-key values in point order
    {
      std::set<std::string> seen;
      for (const auto& p : points) {
        const std::string x = str(obj(p, "values"), k1.c_str());
        if (seen.insert(x).second) label_order.push_back(x);
      }
    }
    std::vector<std::string> series;  // second-key values in point order
    for (const auto& p : points) {
      const std::string v = keys.size() > 1 ? str(obj(p, "values"), keys[1].c_str()) : "";
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
        for (const auto& p : points) {
          if (keys.size() > 1 && str(obj(p, "values"), keys[1].c_str()) != s) continue;
          const auto v = num(obj(p, "jct_s"), stat);
          if (!ok(p) || !v) {
            if (std::string_view(stat) == "mean") ++dropped;
            continue;
          }
          pts.emplace_back(str(obj(p, "values"), k1.c_str()), *v / 3600);
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
    if (!datasets.empty()) {
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
  }

  simulation_sweep_table(out, c, points, keys);
  out += "</section>\n";
}

}  // namespace suanli::report_html

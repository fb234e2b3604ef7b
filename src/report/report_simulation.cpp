// The simulation of the planned fleet: metrics, per-type utilisation, domestic share over time,
// JCT, and the plan-vs-simulation reconciliation table.
#include "report/html_parts.h"

namespace suanli::report_html {

namespace {

// "p95_jct_h" -> "p95 JCT (h)": a readable label for a summary key.
std::string pretty_key(const std::string& key) {
  static const std::map<std::string, std::string> kWords = {
      {"jct", "JCT"}, {"usd", "(USD)"}, {"h", "(h)"}, {"s", "(s)"}, {"pct", "(%)"}, {"gpu", "GPU"}};
  std::string out;
  for (const auto& word : [&] {
         std::vector<std::string> w;
         std::string cur;
         for (char ch : key) {
           if (ch == '_') {
             if (!cur.empty()) w.push_back(cur);
             cur.clear();
           } else {
             cur += ch;
           }
         }
         if (!cur.empty()) w.push_back(cur);
         return w;
       }()) {
    const auto it = kWords.find(word);
    out += (out.empty() ? "" : " ") + (it == kWords.end() ? word : it->second);
  }
  const bool word = std::all_of(key.begin(), key.begin() + std::min(key.find('_'), key.size()),
                                [](char ch) { return ch >= 'a' && ch <= 'z'; });
  if (word && !out.empty() && out[0] >= 'a' && out[0] <= 'z')
    out[0] = static_cast<char>(out[0] - 'a' + 'A');
  return out;
}

// A "nice" bin width (1, 2, 2.5 or 5 × 10^k) giving about `bins` bins.
double nice_width(double span, int bins) {
  if (span <= 0) return 1;
  const double raw = span / bins;
  const double p = std::pow(10.0, std::floor(std::log10(raw)));
  for (double m : {1.0, 2.0, 2.5, 5.0, 10.0})
    if (raw <= m * p) return m * p;
  return 10 * p;
}

// Plan and simulation side by side: per type, the busy devices the plan
// offers against the simulated utilisation, and the reason for each gap.
void reconciliation(std::string& out, const Reconciliation& rec, const Ctx& c) {
  const Accelerators& A = c.accels;
  if (rec.types.empty()) return;
  out += fmt::format(
      "<h3>{}</h3><p>{}</p>", esc(c.tr("Plan and simulation, side by side")),
      esc(c.tr("The plan's allocation of each demand item becomes jobs pinned to the type it "
               "chose, at the mean load (the plan provisions for the peak). A gap names its "
               "reason.")));
  std::vector<std::vector<Cell>> rows;
  for (const ReconciledType& t : rec.types)
    rows.push_back({dc(A.label(t.accelerator)), nc(group_digits(t.devices)),
                    nc(fmt_pct(t.planned_utilisation)), nc(fmt_pct(t.simulated_utilisation)),
                    nc(fmt::format("{} / {}", group_digits(static_cast<double>(t.finished)),
                                   group_digits(static_cast<double>(t.jobs)))),
                    nc(fmt::format("{:.1f}", t.mean_queue_hours)), tc(t.reason)});
  table(out,
        c.heads({"Accelerator", "Devices", "Planned busy (%)", "Simulated (%)",
                 "Jobs finished / pinned", "Mean queue (h)", "Reason"}),
        rows);
  const ReconciledShare& share = rec.domestic_share;
  out += "<p>" +
         esc(c.m.trf("Domestic share: planned {planned} (year {year}), simulated mean {mean}, "
                     "minimum {min}.",
                     fmt::arg("planned", fmt_pct(share.planned)),
                     fmt::arg("year", fmt_num(static_cast<double>(rec.year))),
                     fmt::arg("mean", fmt_pct(share.simulated_mean)),
                     fmt::arg("min", fmt_pct(share.simulated_min)))) +
         " " + esc(share.reason) + "</p>";
}

// The simulation's figures (seed, jobs, audit, the summary's metrics).
void simulation_metrics(std::string& out, const Ctx& c, const SimulationSection& sim) {
  std::vector<std::vector<Cell>> rows;
  auto add = [&](std::string_view label, double v) {
    if (std::isfinite(v)) rows.push_back({tc(c.tr(label)), nc(fmt_num(v))});
  };
  add("Seed", static_cast<double>(sim.seed));
  add("Days simulated", sim.days);
  add("Jobs submitted", static_cast<double>(sim.jobs));
  add("Jobs finished", static_cast<double>(sim.finished));
  add("Audit violations", static_cast<double>(sim.audit_violations));
  // The summary's metrics, in the order of their keys.
  const SimulationSummaryDoc& s = sim.summary;
  const std::pair<const char*, double> summary[] = {{"domestic_share_mean", s.domestic_share_mean},
                                                    {"domestic_share_min", s.domestic_share_min},
                                                    {"lost_device_hours", s.lost_device_hours},
                                                    {"mean_jct_h", s.mean_jct_h},
                                                    {"p50_jct_h", s.p50_jct_h},
                                                    {"p95_jct_h", s.p95_jct_h}};
  for (const auto& [key, v] : summary) add(pretty_key(key), v);
  if (!rows.empty()) table(out, {"", ""}, rows);
  if (sim.audit_violations > 0)
    out += fmt::format(
        "<div class=\"conflicts\"><strong>{}</strong> {}</div>",
        esc(c.m.trf("{n} policy-rule violation(s)",
                    fmt::arg("n", group_digits(static_cast<double>(sim.audit_violations))))),
        esc(c.tr("found by the independent audit of the event log.")));
}

// Mean utilisation per accelerator type over the simulated period.
void utilisation_table(std::string& out, Ctx& c, const SimulationSection& sim) {
  const Accelerators& A = c.accels;
  const std::map<std::string, double>& ubya = sim.utilisation_by_accelerator;
  if (!ubya.empty()) {
    std::set<std::string> ids;
    for (const auto& [id, u] : ubya) ids.insert(id);
    std::vector<std::vector<Cell>> rows;
    for (const auto& id : A.sorted(ids))
      rows.push_back({dc(A.label(id)), nc(fmt_pct(ubya.at(id)))});
    table(out, c.heads({"Accelerator", "Mean utilisation"}), rows);
  }
}

// The simulated timeline's points, thinned to at most 1500, on an axis of
// hours, or days for runs longer than three days.
struct Timeline {
  std::vector<const TimelineSample*> thin;
  double t0 = 0, t1 = 0, scale = 1;
  std::string xt;
  bool dense = false;
};

std::optional<Timeline> read_timeline(Ctx& c, const SimulationSection& sim) {
  std::vector<const TimelineSample*> pts;
  for (const TimelineSample& t : sim.timeline)
    if (std::isfinite(t.t_h)) pts.push_back(&t);
  if (pts.empty()) return std::nullopt;
  Timeline tl;
  const std::size_t stride = (pts.size() + 1499) / 1500;
  for (std::size_t i = 0; i < pts.size(); i += stride) tl.thin.push_back(pts[i]);
  if (tl.thin.back() != pts.back()) tl.thin.push_back(pts.back());
  tl.t0 = tl.thin.front()->t_h;
  tl.t1 = tl.thin.back()->t_h;
  const bool days = tl.t1 - tl.t0 > 72;
  tl.scale = days ? 1.0 / 24 : 1.0;
  tl.xt = c.tr(days ? "day" : "hour");
  tl.dense = tl.thin.size() > 60;
  return tl;
}

// Utilisation of each accelerator type over time.
void utilisation_chart(std::string& out, Ctx& c, const Timeline& tl) {
  const Accelerators& A = c.accels;
  const auto& thin = tl.thin;
  const double scale = tl.scale;
  const std::string& xt = tl.xt;
  const bool dense = tl.dense;
  std::set<std::string> ids;
  for (const TimelineSample* t : thin)
    for (const auto& [id, u] : t->utilisation) ids.insert(id);
  if (!ids.empty()) {
    json datasets = json::array();
    for (const auto& id : A.sorted(ids)) {
      json data = json::array();
      for (const TimelineSample* t : thin)
        if (const auto it = t->utilisation.find(id); it != t->utilisation.end())
          data.push_back({{"x", t->t_h * scale}, {"y", it->second}});
      datasets.push_back({{"label", A.label(id)},
                          {"data", data},
                          {"borderColor", A.colour(id)},
                          {"backgroundColor", A.colour(id)},
                          {"pointRadius", dense ? 0 : 2},
                          {"borderWidth", 1.5},
                          {"tension", 0}});
    }
    json options = {
        {"scales",
         {{"x", {{"type", "linear"}, {"title", axis_title(xt)}}},
          {"y", {{"min", 0}, {"suggestedMax", 1}, {"title", axis_title(c.tr("devices busy"))}}}}},
        {"plugins", {{"legend", {{"position", "bottom"}}}}}};
    chart(out, c.charts, "sim-utilisation", c.tr("Utilisation by accelerator over time"),
          {{"type", "line"}, {"data", {{"datasets", datasets}}}, {"options", options}},
          {{"axes", {{"x", "num"}, {"y", "pct"}}}, {"tooltip", "pct"}, {"valueAxis", "y"}});
  }
}

// The domestic share of busy devices over time, against the policy minimum.
void domestic_share_chart(std::string& out, Ctx& c, const Timeline& tl) {
  const auto& thin = tl.thin;
  const double scale = tl.scale, t0 = tl.t0, t1 = tl.t1;
  const std::string& xt = tl.xt;
  const bool dense = tl.dense;
  json share = json::array();
  for (const TimelineSample* t : thin)
    if (t->domestic_share) share.push_back({{"x", t->t_h * scale}, {"y", *t->domestic_share}});
  if (!share.empty()) {
    json datasets = json::array({{{"label", c.tr("domestic share of busy devices")},
                                  {"data", share},
                                  {"borderColor", "#d1495b"},
                                  {"backgroundColor", "rgba(209,73,91,0.12)"},
                                  {"fill", true},
                                  {"pointRadius", dense ? 0 : 2},
                                  {"borderWidth", 1.5},
                                  {"tension", 0}}});
    std::optional<double> min_share;
    if (c.doc.policy)
      min_share = c.doc.policy->domestic_share_min;
    else if (c.doc.plan)
      min_share = c.doc.plan->domestic_share_min;
    if (min_share)
      datasets.push_back({{"label", c.m.trf("policy minimum ({share})",
                                            fmt::arg("share", fmt_pct(*min_share)))},
                          {"data", json::array({{{"x", t0 * scale}, {"y", *min_share}},
                                                {{"x", t1 * scale}, {"y", *min_share}}})},
                          {"borderColor", "#333333"},
                          {"borderDash", json::array({6, 4})},
                          {"borderWidth", 1.5},
                          {"pointRadius", 0},
                          {"fill", false}});
    json options = {{"scales",
                     {{"x", {{"type", "linear"}, {"title", axis_title(xt)}}},
                      {"y", {{"min", 0}, {"max", 1}, {"title", axis_title(c.tr("domestic share"))}}}}},
                    {"plugins", {{"legend", {{"position", "bottom"}}}}}};
    chart(out, c.charts, "sim-domestic", c.tr("Domestic share over time"),
          {{"type", "line"}, {"data", {{"datasets", datasets}}}, {"options", options}},
          {{"axes", {{"x", "num"}, {"y", "pct"}}}, {"tooltip", "pct"}, {"valueAxis", "y"}});
    if (min_share)
      out += "<p class=\"note\">" +
             esc(c.tr("The share is of allocated compute. It can dip below the minimum when "
                      "domestic work finishes while foreign work keeps running: the rule "
                      "refuses a foreign placement that would leave the share below it, and "
                      "never evicts running work. The independent audit of the event log "
                      "checks every placement against the rule (audit violations above).")) +
             "</p>";
  }
}

void timeline_charts(std::string& out, Ctx& c, const SimulationSection& sim) {
  const auto tl = read_timeline(c, sim);
  if (!tl) return;
  utilisation_chart(out, c, *tl);
  domestic_share_chart(out, c, *tl);
}

// The job completion time histogram, ~20 bins of a round width.
void jct_chart(std::string& out, Ctx& c, const SimulationSection& sim) {
  std::vector<double> jct;
  for (const double d : sim.jct_hours)
    if (std::isfinite(d) && d >= 0) jct.push_back(d);
  if (!jct.empty()) {
    const double hi = *std::max_element(jct.begin(), jct.end());
    const double width = nice_width(hi, 20);
    const int bins = std::max(1, static_cast<int>(std::floor(hi / width)) + 1);
    std::vector<int> count(bins, 0);
    for (double v : jct) ++count[std::min(bins - 1, static_cast<int>(std::floor(v / width)))];
    json labels = json::array(), data = json::array();
    for (int b = 0; b < bins; ++b) {
      labels.push_back(fmt::format("{}\u2013{}", fmt_num(b * width), fmt_num((b + 1) * width)));
      data.push_back(count[b]);
    }
    json options = bar_options(c.tr("job completion time, hours"), c.tr("jobs"));
    options["plugins"]["legend"] = {{"display", false}};
    options["datasets"] = {{"bar", {{"barPercentage", 1.0}, {"categoryPercentage", 0.96}}}};
    const SimulationSummaryDoc& s = sim.summary;
    std::string note =
        c.m.trf("{n} jobs", fmt::arg("n", group_digits(static_cast<double>(jct.size()))));
    note += c.m.trf("; mean {h} h", fmt::arg("h", fmt_num(s.mean_jct_h)));
    note += c.m.trf("; median {h} h", fmt::arg("h", fmt_num(s.p50_jct_h)));
    note += c.m.trf("; p95 {h} h", fmt::arg("h", fmt_num(s.p95_jct_h)));
    chart(out, c.charts, "sim-jct", c.tr("Job completion time distribution"),
          {{"type", "bar"},
           {"data",
            {{"labels", labels},
             {"datasets",
              json::array({{{"label", c.tr("jobs")}, {"data", data}, {"backgroundColor", "#1f5fa8"}}})}}},
           {"options", options}},
          {{"axes", {{"y", "num"}}}, {"tooltip", "num"}, {"valueAxis", "y"}}, note, 280);
  }
}

}  // namespace

void simulation_section(std::string& out, Ctx& c) {
  if (!c.doc.simulation) return;
  const SimulationSection& sim = *c.doc.simulation;
  out += "<section id=\"simulation\"><h2>" + esc(c.tr("Simulation of the planned fleet")) +
         "</h2>\n";
  simulation_metrics(out, c, sim);
  utilisation_table(out, c, sim);
  reconciliation(out, sim.reconciliation, c);
  timeline_charts(out, c, sim);
  jct_chart(out, c, sim);
  out += "</section>\n";
}

}  // namespace suanli::report_html

// The accelerator comparison: per workload, throughput, time and cost per chip with ranges, the
// rules that forbid a chip, and the per-dollar and per-kW charts.
#include "report/html_parts.h"

namespace suanli::report_html {

namespace {

// Which measured column a list of unverified field names touches.
struct UnverifiedCols {
  bool rate = false, price = false, power = false;
  std::string all;
};
UnverifiedCols unverified_cols(const ComparisonRow& row) {
  UnverifiedCols u;
  std::vector<std::string> fields;
  for (const std::string& s : row.unverified) {
    if (s.empty()) continue;
    fields.push_back(s);
    if (s.find("price") != std::string::npos || s.find("usd") != std::string::npos ||
        s.find("cost") != std::string::npos || s.find("rent") != std::string::npos) {
      u.price = true;
    } else if (s.find("power") != std::string::npos || s.find("tdp") != std::string::npos ||
               s.find("watt") != std::string::npos || s.find("kw") != std::string::npos) {
      u.power = true;
    } else {
      u.rate = true;
    }
  }
  for (std::size_t i = 0; i < fields.size(); ++i) u.all += (i ? ", " : "") + fields[i];
  return u;
}

// One workload's table: each chip in its best layout, with the rules that
// forbid it, its assumptions and its unverified inputs.
void workload_table(std::string& out, const Ctx& c, const ComparisonWorkload& w, bool any_tpp) {
  std::string heading = w.name.empty() ? esc(c.tr("Workload")) : data_html(w.name);
  if (!w.kind.empty()) heading += " (" + c.word_html(w.kind) + ")";
  if (!w.model.empty()) heading += " \u00b7 " + data_html(w.model);
  out += fmt::format("<h3>{}</h3>", heading);
  if (!w.description.empty()) out += fmt::format("<p class=\"note\">{}</p>", esc(w.description));
  const std::string metric = c.tr(w.metric.empty() ? "throughput per device" : w.metric);
  double best_usd = 0;
  // Best among the chips the workload's rules allow.
  for (const ComparisonRow& r : w.rows)
    if (r.ok && !r.forbidden) best_usd = std::max(best_usd, r.per_usd_hour.value_or(0));

  std::vector<std::string> head = {c.tr("Accelerator"), c.tr("Origin"), c.tr("ECCN class"),
                                   c.tr("China status (confirmed)")};
  if (any_tpp) head.push_back("TPP");
  for (const char* h : {"Devices", "", "per $\u00b7h", "per kW", "Price / device", "Notes"})
    head.push_back(h[0] ? c.tr(h) : metric);
  std::vector<std::vector<Cell>> rows;
  std::vector<std::string> classes;
  for (const ComparisonRow& r : w.rows) {
    const std::string& id = r.accelerator;
    const bool ok = r.ok;
    const UnverifiedCols u = unverified_cols(r);
    auto mark = [&](bool on) { return on ? unverified_mark(c.m, u.all) : std::string(); };
    std::string name_html = data_html(c.accels.name(id));
    if (!id.empty() && c.accels.name(id) != id)
      name_html += fmt::format(" <span class=\"id\" translate=\"no\">{}</span>", esc(id));
    const std::string confirmed = r.china_status_confirmed.value_or("");
    std::vector<Cell> row = {
        raw_cell(name_html), raw_cell(c.word_html(r.origin)),
        raw_cell(c.word_html(r.eccn_class.value_or(""))),
        raw_cell(c.word_html(r.china_status.value_or("")) +
                 (confirmed.empty() ? "" : " (" + esc(confirmed) + ")"))};
    if (any_tpp) row.push_back(nc(opt(r.tpp, group_digits)));
    if (ok) {
      row.push_back(nc(opt(r.devices, group_digits)));
      row.push_back(raw_cell(esc(opt(r.per_device_rate, fmt_num)) + mark(u.rate), true));
      row.push_back(raw_cell(esc(opt(r.per_usd_hour, fmt_num)) + mark(u.price || u.rate), true));
      row.push_back(raw_cell(esc(opt(r.per_kw, fmt_num)) + mark(u.power || u.rate), true));
    } else {
      for (int i = 0; i < 4; ++i) row.push_back(nc("\u2014"));
    }
    row.push_back(raw_cell(esc(fmt_usd(r.price_usd_per_device)) + mark(u.price), true));
    // The reasons are the document's (already in the report's language);
    // an assumption is the scenario's own text.
    std::string notes_html;
    auto note = [&](std::string html) {
      notes_html += (notes_html.empty() ? "" : "; ") + std::move(html);
    };
    if (!ok)
      note(esc(c.m.trf("not feasible: {reason}",
                       fmt::arg("reason", r.why_not.value_or("").empty() ? c.tr("no layout fits")
                                                                         : *r.why_not))));
    const std::string forbidden = r.forbidden.value_or("");
    if (!forbidden.empty())
      note(esc(c.m.trf("not allowed: {rule}", fmt::arg("rule", forbidden))));
    if (!r.assumption.value_or("").empty())
      note(esc(c.tr("assumes:")) + " " + data_html(*r.assumption));
    if (!u.all.empty())
      notes_html += fmt::format("{}<span class=\"unv-list\">{} {}</span>",
                                notes_html.empty() ? "" : "<br>", esc(c.tr("unverified:")),
                                data_html(u.all));
    row.push_back(raw_cell(notes_html));
    rows.push_back(std::move(row));
    const bool best = ok && forbidden.empty() && best_usd > 0 &&
                      r.per_usd_hour.value_or(-1) == best_usd;
    classes.push_back(!ok ? "infeasible" : !forbidden.empty() ? "forbidden" : best ? "best" : "");
  }
  table(out, head, rows, classes);
}

}  // namespace

void comparison(std::string& out, Ctx& c) {
  if (!c.doc.comparison || c.doc.comparison->workloads.empty()) return;
  const std::vector<ComparisonWorkload>& workloads = c.doc.comparison->workloads;
  out += fmt::format(
      "<section id=\"comparison\"><h2>{}</h2><p>{} <em>{}</em> {} <em>{}</em> {} "
      "<span class=\"unverified\">?</span> {}</p>\n",
      esc(c.tr("Accelerator comparison")),
      esc(c.tr("Each accelerator in its best layout for each of the scenario's workloads.")),
      esc(c.tr("per $\u00b7h")),
      esc(c.tr("is throughput per US dollar of device-hour on the one cost basis every suanli "
               "output uses: ownership (purchase and levy amortised over the device's life at the "
               "cost of capital, operations, data centre and power; data/economics.toml);")),
      esc(c.tr("per kW")), esc(c.tr("is throughput per kilowatt of device power.")),
      esc(c.tr("marks a figure that rests on an estimate or placeholder input.")));

  bool any_tpp = false;
  for (const ComparisonWorkload& w : workloads)
    for (const ComparisonRow& r : w.rows) any_tpp = any_tpp || r.tpp.has_value();

  // Chart data: each workload's figures relative to its best accelerator.
  std::set<std::string> ids, unverified_ids;
  std::vector<std::string> id_order;
  for (const ComparisonWorkload& w : workloads)
    for (const ComparisonRow& r : w.rows) {
      const std::string& id = r.accelerator;
      if (!id.empty() && ids.insert(id).second) id_order.push_back(id);
      if (!unverified_cols(r).all.empty()) unverified_ids.insert(id);
    }

  for (const ComparisonWorkload& w : workloads) workload_table(out, c, w, any_tpp);

  // Grouped bars across workloads, each relative to its best accelerator.
  using RowFigure = std::optional<double> ComparisonRow::*;
  for (const auto& [key, name, title, unit] :
       {std::tuple{&ComparisonRow::per_usd_hour, "compare-per-usd", "Throughput per $\u00b7h",
                   "per $\u00b7h"},
        std::tuple<RowFigure, const char*, const char*, const char*>{
            &ComparisonRow::per_kw, "compare-per-kw", "Throughput per kW", "per kW"}}) {
    json labels = json::array();
    for (const auto& id : id_order)
      labels.push_back(c.accels.label(id) + (unverified_ids.contains(id) ? " ?" : ""));  // data
    json datasets = json::array();
    static const char* kWorkloadColours[] = {"#264653", "#2a9d8f", "#e9c46a", "#f4a261",
                                             "#e76f51", "#6d597a", "#457b9d", "#8ab17d"};
    int k = 0;
    bool any = false;
    for (const ComparisonWorkload& w : workloads) {
      double best = 0;
      std::map<std::string, double> value;
      for (const ComparisonRow& r : w.rows) {
        const std::optional<double>& v = r.*key;
        if (!r.ok || !v || *v <= 0) continue;
        value[r.accelerator] = *v;
        best = std::max(best, *v);
      }
      if (best <= 0) continue;
      any = true;
      json data = json::array(), raw = json::array();
      for (const auto& id : id_order) {
        const auto it = value.find(id);
        data.push_back(it == value.end() ? json(nullptr) : json(100 * it->second / best));
        raw.push_back(it == value.end() ? json(nullptr) : json(it->second));
      }
      const std::string colour = kWorkloadColours[k++ % 8];
      datasets.push_back(
          {{"label", w.name},
           {"data", data},
           {"backgroundColor", colour},
           {"suanliRaw", raw},
           {"suanliUnit", w.metric.empty() ? c.tr(unit) : c.tr(w.metric) + " " + c.tr(unit)}});
    }
    if (!any) continue;
    json options =
        bar_options("", c.m.trf("% of the best accelerator ({unit})", fmt::arg("unit", c.tr(unit))));
    options["scales"]["y"]["suggestedMax"] = 100;
    chart(out, c.charts, name,
          c.m.trf("{title}, relative to the best accelerator per workload",
                  fmt::arg("title", c.tr(title))),
          {{"type", "bar"},
           {"data", {{"labels", labels}, {"datasets", datasets}}},
           {"options", options}},
          {{"axes", {{"y", "rel"}}}, {"tooltip", "rel"}, {"valueAxis", "y"}},
          c.tr("100% = the best accelerator for that workload; hover for the absolute figure. Bars "
               "missing: the accelerator cannot run the workload. \u201c?\u201d: rests on "
               "unverified inputs."));
  }
  out += "</section>\n";
}

}  // namespace suanli::report_html

// Internal to the report renderer: the tolerant JSON readers, number
// formats, HTML table and chart helpers and the accelerator colours every
// section file shares, and the section renderers html_report.cpp lists in
// its table (one file per section: report_answer.cpp, report_comparison.cpp,
// report_plan.cpp, report_robustness.cpp, report_sweep.cpp,
// report_simulation.cpp). The sections read the typed document
// (report_document.h); a stored document was decoded, with its errors
// reported, before it got here.
#pragma once

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <initializer_list>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "report/html_report.h"
#include "report/report_document.h"
#include "util/messages.h"

namespace suanli::report_html {

using nlohmann::json;

inline std::string fmt_num(double v);

// ---------------------------------------------------------------- numbers

inline std::string group_digits(double v) {  // rounded to an integer, "12,345"
  const double r = std::round(std::fabs(v));
  if (r >= 1e15) return fmt::format("{}{:.3e}", v < 0 ? "-" : "", r);
  std::string digits = fmt::format("{:.0f}", r);
  std::string out;
  const int n = static_cast<int>(digits.size());
  for (int i = 0; i < n; ++i) {
    if (i > 0 && (n - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return (v < 0 && r > 0 ? "-" : "") + out;
}

inline std::string fmt_num(double v) {
  const double a = std::fabs(v);
  if (a >= 100 || (a < 1e15 && v == std::round(v))) return group_digits(v);
  if (a >= 10) return fmt::format("{:.1f}", v);
  if (a >= 1) return fmt::format("{:.2f}", v);
  if (a == 0) return "0";
  return fmt::format("{:.3g}", v);
}

inline std::string fmt_usd(double v) {
  const double a = std::fabs(v);
  const char* sign = v < 0 ? "\u2212$" : "$";
  if (a >= 1e9) return fmt::format("{}{:.3g} B", sign, a / 1e9);
  if (a >= 1e6) return fmt::format("{}{:.3g} M", sign, a / 1e6);
  if (a >= 1e4) return fmt::format("{}{:.3g} k", sign, a / 1e3);
  return fmt::format("{}{}", sign, group_digits(a));
}

inline std::string fmt_pct(double fraction) {
  const double p = fraction * 100;
  return std::fabs(p) < 10 && p != 0 ? fmt::format("{:.1f}%", p) : fmt::format("{:.0f}%", p);
}

inline std::string opt(std::optional<double> v, std::string (*f)(double)) {
  return v ? f(*v) : "\u2014";
}

// ---------------------------------------------------------------- html

inline std::string esc(std::string_view s) { return html_escape(s); }

struct Cell {
  std::string html;  // already escaped
  bool numeric = false;
};
inline Cell tc(std::string_view text) { return {esc(text), false}; }
inline Cell nc(std::string_view text) { return {esc(text), true}; }
inline Cell raw_cell(std::string html, bool numeric = false) { return {std::move(html), numeric}; }

// Data the report shows but does not translate (chip and model IDs, names
// from the scenario, commands, file names, sources): marked with HTML's
// translate="no", which the browser test honours.
inline std::string data_html(std::string_view text) {
  return text.empty() ? std::string() : "<span translate=\"no\">" + esc(text) + "</span>";
}
inline Cell dc(std::string_view text) { return {data_html(text), false}; }

// `head_is_html`: the headers are HTML already (data spans in them).
inline void table(std::string& out, const std::vector<std::string>& head,
                  const std::vector<std::vector<Cell>>& rows,
                  const std::vector<std::string>& row_classes = {}, std::string_view caption = {},
                  bool head_is_html = false) {
  const bool key_value =
      std::all_of(head.begin(), head.end(), [](const std::string& h) { return h.empty(); });
  out += key_value          ? "<div class=\"table-wrap\"><table class=\"kv\">"
         : head.size() <= 2 ? "<div class=\"table-wrap\"><table class=\"narrow\">"
                            : "<div class=\"table-wrap\"><table>";
  if (!caption.empty()) out += fmt::format("<caption>{}</caption>", esc(caption));
  if (!key_value) {
    out += "<thead><tr>";
    for (const auto& h : head) out += fmt::format("<th>{}</th>", head_is_html ? h : esc(h));
    out += "</tr></thead>";
  }
  out += "<tbody>";
  for (std::size_t r = 0; r < rows.size(); ++r) {
    const bool has_class = r < row_classes.size() && !row_classes[r].empty();
    out += has_class ? fmt::format("<tr class=\"{}\">", esc(row_classes[r])) : "<tr>";
    for (const auto& c : rows[r])
      out += (c.numeric ? "<td class=\"num\">" : "<td>") + c.html + "</td>";
    out += "</tr>";
  }
  out += "</tbody></table></div>\n";
}

// A "?" marking a figure that rests on an estimate or placeholder.
inline std::string unverified_mark(const Messages& m, std::string_view what) {
  return fmt::format("<span class=\"unverified\" title=\"{}\">?</span>",
                     esc(m.trf("unverified: {fields}", fmt::arg("fields", what))));
}

// ---------------------------------------------------------------- accelerators

struct AccelInfo {
  std::string name;
  std::string origin;
  int order = 0;
};

// Names, origins and chart colours of every accelerator the document
// mentions; domestic (Chinese) chips get warm colours, the others cool ones,
// the same in every chart.
class Accelerators {
 public:
  explicit Accelerators(const ReportDocument& doc) {
    if (doc.accelerators)
      for (const ReportAccelerator& a : *doc.accelerators) add(a.id, a.name, a.origin);
    if (doc.comparison)
      for (const ComparisonWorkload& w : doc.comparison->workloads)
        for (const ComparisonRow& r : w.rows) add(r.accelerator, r.name, r.origin);
    if (doc.plan) {
      for (const PlanPurchase& p : doc.plan->purchases) add(p.accelerator, "", p.origin);
      for (const PlanUse& u : doc.plan->utilisation) add(u.accelerator);
      for (const PlanRental& r : doc.plan->rentals) add(r.accelerator);
      for (const PlanDemandOutcome& d : doc.plan->demands)
        for (const PlanAllocationDoc& a : d.allocations) add(a.accelerator);
    }
    if (doc.sweep)
      for (const SweepPointDoc& p : doc.sweep->points)
        if (p.devices_by_accelerator)
          for (const auto& [id, n] : *p.devices_by_accelerator) add(id);
    if (doc.simulation) {
      for (const auto& [id, u] : doc.simulation->utilisation_by_accelerator) add(id);
      for (const TimelineSample& t : doc.simulation->timeline)
        for (const auto& [id, u] : t.utilisation) add(id);
    }
    assign_colours();
  }

  std::string name(const std::string& id) const {
    const auto it = info_.find(id);
    return it == info_.end() || it->second.name.empty() ? id : it->second.name;
  }
  std::string origin(const std::string& id) const {
    const auto it = info_.find(id);
    return it == info_.end() ? "" : it->second.origin;
  }
  // nullopt: origin unknown.
  std::optional<bool> domestic(const std::string& id) const {
    const std::string o = origin(id);
    if (o.empty()) return std::nullopt;
    return o == "CN" || o == "cn" || o == "China" || o == "china" || o == "domestic";
  }
  std::string colour(const std::string& id) const {
    const auto it = colour_.find(id);
    return it == colour_.end() ? "#888888" : it->second;
  }
  std::string label(const std::string& id) const {
    const std::string o = origin(id);
    return o.empty() ? name(id) : fmt::format("{} ({})", name(id), o);
  }
  // Foreign first, then domestic, then unknown; in order of first mention.
  std::vector<std::string> sorted(const std::set<std::string>& ids) const {
    std::vector<std::string> v(ids.begin(), ids.end());
    std::stable_sort(v.begin(), v.end(), [&](const std::string& a, const std::string& b) {
      return std::pair(group(a), order(a)) < std::pair(group(b), order(b));
    });
    return v;
  }

 private:
  void add(const std::string& id, const std::string& name = {}, const std::string& origin = {}) {
    if (id.empty()) return;
    auto [it, fresh] = info_.try_emplace(id);
    if (fresh) it->second.order = static_cast<int>(info_.size());
    if (it->second.name.empty()) it->second.name = name;
    if (it->second.origin.empty()) it->second.origin = origin;
  }
  int group(const std::string& id) const {
    const auto d = domestic(id);
    return !d ? 2 : (*d ? 1 : 0);
  }
  int order(const std::string& id) const {
    const auto it = info_.find(id);
    return it == info_.end() ? 1 << 30 : it->second.order;
  }
  void assign_colours() {
    static const char* kForeign[] = {"#1f5fa8", "#2a9d8f", "#5b8fd6", "#6a4c93", "#3d7a3a",
                                     "#0f8bb5", "#8fb3e0", "#4d908e", "#7b6fd0", "#1d3557"};
    static const char* kDomestic[] = {"#d1495b", "#e67e22", "#b5651d", "#c0392b", "#edae49",
                                      "#f28482", "#9c2c2c", "#f4a259", "#a8552a", "#e9c46a"};
    static const char* kUnknown[] = {"#7f7f7f", "#a0a0a0", "#5f5f5f", "#b8b8b8"};
    std::set<std::string> ids;
    for (const auto& [id, _] : info_) ids.insert(id);
    int counts[3] = {0, 0, 0};
    for (const auto& id : sorted(ids)) {
      const int g = group(id);
      const int k = counts[g]++;
      colour_[id] = g == 0 ? kForeign[k % 10] : g == 1 ? kDomestic[k % 10] : kUnknown[k % 4];
    }
  }

  std::map<std::string, AccelInfo> info_;
  std::map<std::string, std::string> colour_;
};

// ---------------------------------------------------------------- charts

struct ChartOut {
  std::vector<std::string> names;  // every chart emitted, in order
};

// A chart: a titled figure holding the canvas, and the configuration the
// page script hands to Chart.js. `fmt` says how the page formats values:
// {"axes": {"y": "usd"}, "tooltip": "usd", "valueAxis": "y"}.
// `title_html`, when given, is the caption as HTML (data spans in it);
// `title` is then its plain text, for the canvas's label.
inline void chart(std::string& out, ChartOut& charts, const std::string& name,
                  std::string_view title, json config, json formats, std::string_view note = {},
                  int height = 320, std::string_view title_html = {}) {
  config["suanli"] = std::move(formats);
  out += fmt::format(
      "<figure class=\"chart\"><figcaption>{}</figcaption>"
      "<div class=\"chart-box\" style=\"height:{}px\"><canvas data-chart=\"{}\" role=\"img\" "
      "aria-label=\"{}\"></canvas></div>"
      "<script type=\"application/json\" id=\"chart-data-{}\">{}</script>",
      title_html.empty() ? esc(title) : std::string(title_html), height, esc(name), esc(title),
      esc(name), script_safe_json(config));
  if (!note.empty()) out += fmt::format("<p class=\"note\">{}</p>", esc(note));
  out += "</figure>\n";
  charts.names.push_back(name);
}

inline json axis_title(std::string_view text) {
  return {{"display", true}, {"text", std::string(text)}};
}

inline json bar_options(std::string_view x_title, std::string_view y_title, bool stacked = false,
                        bool horizontal = false) {
  json x = {{"title", axis_title(x_title)}, {"stacked", stacked}, {"grid", {{"display", false}}}};
  json y = {{"title", axis_title(y_title)}, {"stacked", stacked}, {"beginAtZero", true}};
  json o = {{"scales", {{"x", x}, {"y", y}}}, {"plugins", {{"legend", {{"position", "bottom"}}}}}};
  if (horizontal) {
    o["indexAxis"] = "y";
    std::swap(o["scales"]["x"], o["scales"]["y"]);
    o["scales"]["x"]["grid"] = json::object();
    o["scales"]["y"]["grid"] = {{"display", false}};
  }
  return o;
}

inline std::string rgba(const std::string& hex, double alpha) {
  if (hex.size() != 7 || hex[0] != '#') return hex;
  const long v = std::strtol(hex.c_str() + 1, nullptr, 16);
  return fmt::format("rgba({},{},{},{})", (v >> 16) & 255, (v >> 8) & 255, v & 255, alpha);
}

// ---------------------------------------------------------------- sections

struct Ctx {
  const ReportDocument& doc;
  const Accelerators& accels;
  const Messages& m;  // the report's language
  ChartOut charts;

  std::string tr(std::string_view english) const { return std::string(m.tr(english)); }
  // A translated sentence as HTML whose named fields are HTML already
  // (data spans): the sentence is escaped, the fields are not.
  template <typename... Args>
  std::string html(std::string_view english, const Args&... args) const {
    const std::string pattern = esc(m.tr(english));
    try {
      return fmt::vformat(pattern, fmt::make_format_args(args...));
    } catch (const fmt::format_error&) {
      return pattern;
    }
  }
  // Table headers, translated.
  std::vector<std::string> heads(std::initializer_list<std::string_view> english) const {
    std::vector<std::string> out;
    for (const auto h : english) out.push_back(h.empty() ? std::string() : tr(h));
    return out;
  }
  // A value the document spells in English (a status, a kind, a class):
  // its translation when the catalog has one, else the value as data.
  std::string word_html(std::string_view value) const {
    const std::string_view t = m.tr(value);
    return t == value && m.lang() != Lang::kEn ? data_html(value) : esc(t);
  }
};

// ---------------------------------------------------------------- section renderers
// Each appends its <section> to `out`, or nothing when the document lacks it.

void answer(std::string& out, const Ctx& c);  // the first screen (called by header)
void header(std::string& out, Ctx& c);
void comparison(std::string& out, Ctx& c);
void plan_section(std::string& out, Ctx& c);
void robustness_section(std::string& out, Ctx& c);
void sweep_section(std::string& out, Ctx& c);
void simulation_sweep_section(std::string& out, Ctx& c);
void simulation_section(std::string& out, Ctx& c);

}  // namespace suanli::report_html

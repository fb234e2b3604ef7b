#include "report/html_report.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <iterator>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <vector>

namespace suanli {

namespace {

using nlohmann::json;

// ---------------------------------------------------------------- access
// Tolerant readers: a missing or mistyped field reads as absent, so a
// malformed section renders as less, never as an exception.

const json& null_json() {
  static const json n;
  return n;
}

const json& at(const json& j, const char* key) {
  if (!j.is_object()) return null_json();
  const auto it = j.find(key);
  return it == j.end() ? null_json() : *it;
}

const json& arr(const json& j, const char* key) {
  static const json empty = json::array();
  const json& v = at(j, key);
  return v.is_array() ? v : empty;
}

const json& obj(const json& j, const char* key) {
  static const json empty = json::object();
  const json& v = at(j, key);
  return v.is_object() ? v : empty;
}

std::optional<double> num(const json& v) {
  if (v.is_number()) {
    const double d = v.get<double>();
    if (std::isfinite(d)) return d;
  }
  return std::nullopt;
}
std::optional<double> num(const json& j, const char* key) { return num(at(j, key)); }

std::string fmt_num(double v);

std::string str(const json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_boolean()) return v.get<bool>() ? "yes" : "no";
  if (auto d = num(v)) return fmt_num(*d);
  return "";
}
std::string str(const json& j, const char* key) { return str(at(j, key)); }

bool flag(const json& j, const char* key, bool fallback) {
  const json& v = at(j, key);
  return v.is_boolean() ? v.get<bool>() : fallback;
}

// ---------------------------------------------------------------- numbers

std::string group_digits(double v) {  // rounded to an integer, "12,345"
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

std::string fmt_num(double v) {
  const double a = std::fabs(v);
  if (a >= 100 || (a < 1e15 && v == std::round(v))) return group_digits(v);
  if (a >= 10) return fmt::format("{:.1f}", v);
  if (a >= 1) return fmt::format("{:.2f}", v);
  if (a == 0) return "0";
  return fmt::format("{:.3g}", v);
}

std::string fmt_usd(double v) {
  const double a = std::fabs(v);
  const char* sign = v < 0 ? "\u2212$" : "$";
  if (a >= 1e9) return fmt::format("{}{:.3g} B", sign, a / 1e9);
  if (a >= 1e6) return fmt::format("{}{:.3g} M", sign, a / 1e6);
  if (a >= 1e4) return fmt::format("{}{:.3g} k", sign, a / 1e3);
  return fmt::format("{}{}", sign, group_digits(a));
}

std::string fmt_pct(double fraction) {
  const double p = fraction * 100;
  return std::fabs(p) < 10 && p != 0 ? fmt::format("{:.1f}%", p) : fmt::format("{:.0f}%", p);
}

std::string opt(std::optional<double> v, std::string (*f)(double)) { return v ? f(*v) : "\u2014"; }

// ---------------------------------------------------------------- html

std::string esc(std::string_view s) { return html_escape(s); }

struct Cell {
  std::string html;  // already escaped
  bool numeric = false;
};
Cell tc(std::string_view text) { return {esc(text), false}; }
Cell nc(std::string_view text) { return {esc(text), true}; }
Cell raw_cell(std::string html, bool numeric = false) { return {std::move(html), numeric}; }

void table(std::string& out, const std::vector<std::string>& head,
           const std::vector<std::vector<Cell>>& rows,
           const std::vector<std::string>& row_classes = {}, std::string_view caption = {}) {
  const bool key_value =
      std::all_of(head.begin(), head.end(), [](const std::string& h) { return h.empty(); });
  out += key_value          ? "<div class=\"table-wrap\"><table class=\"kv\">"
         : head.size() <= 2 ? "<div class=\"table-wrap\"><table class=\"narrow\">"
                            : "<div class=\"table-wrap\"><table>";
  if (!caption.empty()) out += fmt::format("<caption>{}</caption>", esc(caption));
  if (!key_value) {
    out += "<thead><tr>";
    for (const auto& h : head) out += fmt::format("<th>{}</th>", esc(h));
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
std::string unverified_mark(std::string_view what) {
  return fmt::format("<span class=\"unverified\" title=\"unverified: {}\">?</span>", esc(what));
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
  explicit Accelerators(const json& doc) {
    const json& listed = at(doc, "accelerators");
    if (listed.is_array()) {
      for (const auto& a : listed)
        add(str(a, "id").empty() ? str(a, "accelerator") : str(a, "id"), a);
    } else if (listed.is_object()) {
      for (auto it = listed.begin(); it != listed.end(); ++it) add(it.key(), it.value());
    }
    for (const auto& w : arr(obj(doc, "comparison"), "workloads"))
      for (const auto& r : arr(w, "rows")) add(str(r, "accelerator"), r);
    const json& plan = obj(doc, "plan");
    for (const char* key : {"purchases", "utilisation", "rentals"})
      for (const auto& p : arr(plan, key)) add(str(p, "accelerator"), p);
    for (const auto& d : arr(plan, "demands"))
      for (const auto& a : arr(d, "allocations")) add(str(a, "accelerator"), a);
    for (const auto& p : arr(obj(doc, "sweep"), "points"))
      for (auto it = obj(p, "devices_by_accelerator").begin();
           it != obj(p, "devices_by_accelerator").end(); ++it)
        add(it.key(), null_json());
    const json& sim = obj(doc, "simulation");
    for (auto it = obj(sim, "utilisation_by_accelerator").begin();
         it != obj(sim, "utilisation_by_accelerator").end(); ++it)
      add(it.key(), null_json());
    for (const auto& t : arr(sim, "timeline"))
      for (auto it = obj(t, "utilisation").begin(); it != obj(t, "utilisation").end(); ++it)
        add(it.key(), null_json());
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
  void add(const std::string& id, const json& j) {
    if (id.empty()) return;
    auto [it, fresh] = info_.try_emplace(id);
    if (fresh) it->second.order = static_cast<int>(info_.size());
    if (it->second.name.empty()) it->second.name = str(j, "name");
    if (it->second.origin.empty()) it->second.origin = str(j, "origin");
    if (it->second.origin.empty() && at(j, "domestic").is_boolean())
      it->second.origin = flag(j, "domestic", false) ? "CN" : "";
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
void chart(std::string& out, ChartOut& charts, const std::string& name, std::string_view title,
           json config, json formats, std::string_view note = {}, int height = 320) {
  config["suanli"] = std::move(formats);
  out += fmt::format(
      "<figure class=\"chart\"><figcaption>{}</figcaption>"
      "<div class=\"chart-box\" style=\"height:{}px\"><canvas data-chart=\"{}\" role=\"img\" "
      "aria-label=\"{}\"></canvas></div>"
      "<script type=\"application/json\" id=\"chart-data-{}\">{}</script>",
      esc(title), height, esc(name), esc(title), esc(name), script_safe_json(config));
  if (!note.empty()) out += fmt::format("<p class=\"note\">{}</p>", esc(note));
  out += "</figure>\n";
  charts.names.push_back(name);
}

json axis_title(std::string_view text) { return {{"display", true}, {"text", std::string(text)}}; }

json bar_options(std::string_view x_title, std::string_view y_title, bool stacked = false,
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

std::string rgba(const std::string& hex, double alpha) {
  if (hex.size() != 7 || hex[0] != '#') return hex;
  const long v = std::strtol(hex.c_str() + 1, nullptr, 16);
  return fmt::format("rgba({},{},{},{})", (v >> 16) & 255, (v >> 8) & 255, v & 255, alpha);
}

// ---------------------------------------------------------------- sections

struct Ctx {
  const json& doc;
  const Accelerators& accels;
  ChartOut charts;
};

// The first screen: one sentence per question, with its range and the
// command that reproduces the figure (report/headline.h).
void answer(std::string& out, const json& doc) {
  const json& head = obj(doc, "headline");
  if (head.empty()) return;
  out += "<section id=\"answer\" class=\"summary\"><h2>The answer</h2><ul>";
  const json& worth = obj(head, "worth");
  if (!worth.empty()) {
    out += fmt::format(
        "<li><strong>What is {} worth against {} here?</strong> {} "
        "<span class=\"meta\">Cost basis: {}. The same figure: <code>{}</code></span></li>",
        esc(str(worth, "other")), esc(str(worth, "baseline")), esc(str(worth, "sentence")),
        esc(str(worth, "cost_basis")), esc(str(worth, "command")));
  }
  const json& buy = obj(head, "buy");
  if (!buy.empty())
    out += fmt::format("<li><strong>What to buy?</strong> {}</li>", esc(str(buy, "sentence")));
  out += "</ul></section>\n";
}

void header(std::string& out, Ctx& c) {
  const json& doc = c.doc;
  const std::string title = str(doc, "title").empty() ? "suanli report" : str(doc, "title");
  out += fmt::format("<header><h1>{}</h1>", esc(title));
  std::vector<std::string> meta;
  if (!str(doc, "scenario").empty())
    meta.push_back(fmt::format("Scenario <code>{}</code>", esc(str(doc, "scenario"))));
  if (!str(doc, "generated_by").empty())
    meta.push_back(fmt::format("generated by {}", esc(str(doc, "generated_by"))));
  if (!meta.empty()) {
    out += "<p class=\"meta\">";
    for (std::size_t i = 0; i < meta.size(); ++i) out += (i ? " \u00b7 " : "") + meta[i];
    out += "</p>";
  }
  if (!str(doc, "description").empty())
    out += fmt::format("<p class=\"description\">{}</p>", esc(str(doc, "description")));
  out += "</header>\n";
  answer(out, doc);

  // Key figures at a glance.
  std::vector<std::pair<std::string, std::string>> cards;
  const json& plan = obj(doc, "plan");
  if (!plan.empty()) {
    cards.emplace_back("Plan", str(plan, "status").empty() ? "\u2014" : str(plan, "status"));
    if (auto v = num(plan, "objective_usd"))
      cards.emplace_back("Total cost (discounted)", fmt_usd(*v));
    if (auto v = num(plan, "domestic_share"))
      cards.emplace_back("Domestic share (min year)", fmt_pct(*v));
    double devices = 0;
    for (const auto& p : arr(plan, "purchases")) devices += num(p, "devices").value_or(0);
    if (!arr(plan, "purchases").empty())
      cards.emplace_back("Devices bought", group_digits(devices));
  }
  const json& sim = obj(doc, "simulation");
  if (!sim.empty()) {
    if (auto j = num(sim, "jobs"))
      cards.emplace_back(
          "Simulated jobs finished",
          fmt::format("{} / {}", group_digits(num(sim, "finished").value_or(0)), group_digits(*j)));
    if (auto v = num(obj(sim, "summary"), "p95_jct_h"))
      cards.emplace_back("p95 job completion", fmt::format("{} h", fmt_num(*v)));
  }
  if (!cards.empty()) {
    out += "<div class=\"cards\">";
    for (const auto& [k, v] : cards)
      out += fmt::format(
          "<div class=\"card\"><div class=\"k\">{}</div><div class=\"v\">{}</div></div>", esc(k),
          esc(v));
    out += "</div>\n";
  }

  const json& summary = at(doc, "summary");
  if (summary.is_array() && !summary.empty()) {
    out += "<section class=\"summary\"><h2>Summary</h2><ul>";
    for (const auto& line : summary)
      if (!str(line).empty()) out += fmt::format("<li>{}</li>", esc(str(line)));
    out += "</ul></section>\n";
  }
  // The few figures the answer rests on (the robustness pass's largest
  // swings) first; the full list of unverified inputs folded below them.
  const json& inputs = arr(obj(doc, "robustness"), "inputs");
  if (!inputs.empty()) {
    out += "<div class=\"warn\"><strong>What the answer rests on.</strong> The inputs that move "
           "the plan's cost most across their ranges (see <a href=\"#robustness\">How robust "
           "the plan is</a>):<ul>";
    std::size_t shown = 0;
    for (const auto& in : inputs) {
      if (shown++ == 3) break;
      out += fmt::format("<li>{}: {} to {} moves the cost by up to {}; range from {}</li>",
                         esc(str(in, "label")), fmt_num(num(obj(in, "low"), "value").value_or(0)),
                         fmt_num(num(obj(in, "high"), "value").value_or(0)),
                         fmt_usd(num(in, "swing_usd").value_or(0)), esc(str(in, "source")));
    }
    out += "</ul></div>\n";
  }
  const json& unverified = at(doc, "unverified");
  if (unverified.is_array() && !unverified.empty()) {
    out += fmt::format(
        "<details class=\"warn\"><summary><strong>Unverified inputs</strong> ({} types rest on "
        "estimates or placeholders, marked <span class=\"unverified\">?</span>)</summary><ul>",
        unverified.size());
    for (const auto& u : unverified) out += fmt::format("<li>{}</li>", esc(str(u)));
    out += "</ul></details>\n";
  }
}

// Which measured column a list of unverified field names touches.
struct UnverifiedCols {
  bool rate = false, price = false, power = false;
  std::string all;
};
UnverifiedCols unverified_cols(const json& row) {
  UnverifiedCols u;
  std::vector<std::string> fields;
  for (const auto& f : arr(row, "unverified")) {
    const std::string s = str(f);
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

void comparison(std::string& out, Ctx& c) {
  const json& workloads = arr(obj(c.doc, "comparison"), "workloads");
  if (workloads.empty()) return;
  out +=
      "<section id=\"comparison\"><h2>Accelerator comparison</h2>"
      "<p>Each accelerator in its best layout for each of the scenario's workloads. "
      "<em>per $\u00b7h</em> is throughput per US dollar of device-hour on the one cost "
      "basis every suanli output uses: ownership (purchase and levy amortised over the "
      "device's life at the cost of capital, operations, data centre and power; "
      "data/economics.toml); <em>per kW</em> is "
      "throughput per kilowatt of device power. <span class=\"unverified\">?</span> marks a "
      "figure that rests on an estimate or placeholder input.</p>\n";

  bool any_tpp = false;
  for (const auto& w : workloads)
    for (const auto& r : arr(w, "rows")) any_tpp = any_tpp || num(r, "tpp").has_value();

  // Chart data: each workload's figures relative to its best accelerator.
  std::set<std::string> ids, unverified_ids;
  std::vector<std::string> id_order;
  for (const auto& w : workloads)
    for (const auto& r : arr(w, "rows")) {
      const std::string id = str(r, "accelerator");
      if (!id.empty() && ids.insert(id).second) id_order.push_back(id);
      if (!unverified_cols(r).all.empty()) unverified_ids.insert(id);
    }

  for (const auto& w : workloads) {
    const std::string wname = str(w, "name");
    std::string heading = wname.empty() ? "Workload" : wname;
    if (!str(w, "kind").empty()) heading += " (" + str(w, "kind") + ")";
    out += fmt::format("<h3>{}</h3>", esc(heading));
    if (!str(w, "description").empty())
      out += fmt::format("<p class=\"note\">{}</p>", esc(str(w, "description")));
    const std::string metric =
        str(w, "metric").empty() ? "throughput per device" : str(w, "metric");
    double best_usd = 0;
    // Best among the chips the workload's rules allow.
    for (const auto& r : arr(w, "rows"))
      if (flag(r, "ok", true) && str(r, "forbidden").empty())
        best_usd = std::max(best_usd, num(r, "per_usd_hour").value_or(0));

    std::vector<std::string> head = {"Accelerator", "Origin", "ECCN class", "China status (confirmed)"};
    if (any_tpp) head.push_back("TPP");
    for (const char* h : {"Devices", "", "per $\u00b7h", "per kW", "Price / device", "Notes"})
      head.push_back(h[0] ? h : metric);
    std::vector<std::vector<Cell>> rows;
    std::vector<std::string> classes;
    for (const auto& r : arr(w, "rows")) {
      const std::string id = str(r, "accelerator");
      const bool ok = flag(r, "ok", true);
      const UnverifiedCols u = unverified_cols(r);
      auto mark = [&](bool on) { return on ? unverified_mark(u.all) : std::string(); };
      std::string name_html = esc(c.accels.name(id));
      if (!id.empty() && c.accels.name(id) != id)
        name_html += fmt::format(" <span class=\"id\">{}</span>", esc(id));
      const std::string confirmed = str(r, "china_status_confirmed");
      std::vector<Cell> row = {
          raw_cell(name_html), tc(str(r, "origin")), tc(str(r, "eccn_class")),
          tc(str(r, "china_status") + (confirmed.empty() ? "" : " (" + confirmed + ")"))};
      if (any_tpp) row.push_back(nc(opt(num(r, "tpp"), group_digits)));
      if (ok) {
        row.push_back(nc(opt(num(r, "devices"), group_digits)));
        row.push_back(raw_cell(esc(opt(num(r, "per_device_rate"), fmt_num)) + mark(u.rate), true));
        row.push_back(
            raw_cell(esc(opt(num(r, "per_usd_hour"), fmt_num)) + mark(u.price || u.rate), true));
        row.push_back(
            raw_cell(esc(opt(num(r, "per_kw"), fmt_num)) + mark(u.power || u.rate), true));
      } else {
        for (int i = 0; i < 4; ++i) row.push_back(nc("\u2014"));
      }
      row.push_back(
          raw_cell(esc(opt(num(r, "price_usd_per_device"), fmt_usd)) + mark(u.price), true));
      std::string notes;
      if (!ok)
        notes =
            "not feasible: " + (str(r, "why_not").empty() ? "no layout fits" : str(r, "why_not"));
      const std::string forbidden = str(r, "forbidden");
      if (!forbidden.empty()) notes += (notes.empty() ? "" : "; ") + ("not allowed: " + forbidden);
      if (!str(r, "assumption").empty())
        notes += (notes.empty() ? "" : "; ") + ("assumes: " + str(r, "assumption"));
      std::string notes_html = esc(notes);
      if (!u.all.empty())
        notes_html += fmt::format("{}<span class=\"unv-list\">unverified: {}</span>",
                                  notes.empty() ? "" : "<br>", esc(u.all));
      row.push_back(raw_cell(notes_html));
      rows.push_back(std::move(row));
      const bool best = ok && forbidden.empty() && best_usd > 0 &&
                        num(r, "per_usd_hour").value_or(-1) == best_usd;
      classes.push_back(!ok ? "infeasible" : !forbidden.empty() ? "forbidden" : best ? "best" : "");
    }
    table(out, head, rows, classes);
  }

  // Grouped bars across workloads, each relative to its best accelerator.
  for (const auto& [key, name, title, unit] :
       {std::tuple{"per_usd_hour", "compare-per-usd", "Throughput per $\u00b7h", "per $\u00b7h"},
        std::tuple{"per_kw", "compare-per-kw", "Throughput per kW", "per kW"}}) {
    json labels = json::array();
    for (const auto& id : id_order)
      labels.push_back(c.accels.label(id) + (unverified_ids.contains(id) ? " ?" : ""));
    json datasets = json::array();
    static const char* kWorkloadColours[] = {"#264653", "#2a9d8f", "#e9c46a", "#f4a261",
                                             "#e76f51", "#6d597a", "#457b9d", "#8ab17d"};
    int k = 0;
    bool any = false;
    for (const auto& w : workloads) {
      double best = 0;
      std::map<std::string, double> value;
      for (const auto& r : arr(w, "rows")) {
        const auto v = num(r, key);
        if (!flag(r, "ok", true) || !v || *v <= 0) continue;
        value[str(r, "accelerator")] = *v;
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
          {{"label", str(w, "name")},
           {"data", data},
           {"backgroundColor", colour},
           {"suanliRaw", raw},
           {"suanliUnit",
            str(w, "metric").empty() ? std::string(unit) : str(w, "metric") + " " + unit}});
    }
    if (!any) continue;
    json options = bar_options("", fmt::format("% of the best accelerator ({})", unit));
    options["scales"]["y"]["suggestedMax"] = 100;
    chart(out, c.charts, name,
          fmt::format("{}, relative to the best accelerator per workload", title),
          {{"type", "bar"},
           {"data", {{"labels", labels}, {"datasets", datasets}}},
           {"options", options}},
          {{"axes", {{"y", "rel"}}}, {"tooltip", "rel"}, {"valueAxis", "y"}},
          "100% = the best accelerator for that workload; hover for the absolute figure. Bars "
          "missing: "
          "the accelerator cannot run the workload. \u201c?\u201d: rests on unverified inputs.");
  }
  out += "</section>\n";
}

std::string year_label(const json& plan, int year) {
  if (auto start = num(plan, "start_year"))
    return fmt::format("{} (Y{})", static_cast<int>(*start) + year - 1, year);
  return fmt::format("Year {}", year);
}

void plan_section(std::string& out, Ctx& c) {
  const json& plan = at(c.doc, "plan");
  if (!plan.is_object()) return;
  const Accelerators& A = c.accels;
  const std::string status = str(plan, "status");
  out += "<section id=\"plan\"><h2>The plan</h2>\n";

  // Headline figures.
  {
    std::vector<std::vector<Cell>> rows;
    auto add = [&](std::string_view k, std::string_view v) {
      if (!v.empty()) rows.push_back({tc(k), nc(v)});
    };
    add("Status", status);
    if (auto v = num(plan, "objective_usd")) add("Objective (discounted total cost)", fmt_usd(*v));
    if (auto v = num(plan, "domestic_share"))
      add("Domestic share of capacity (lowest year)", fmt_pct(*v));
    std::string by_year;
    int y = 1;
    for (const auto& s : arr(plan, "domestic_share_by_year")) {
      if (auto v = num(s))
        by_year += (by_year.empty() ? "" : ", ") + year_label(plan, y) + ": " + fmt_pct(*v);
      ++y;
    }
    add("Domestic share by year", by_year);
    if (auto v = num(plan, "solve_time_s")) add("Solve time", fmt::format("{:.2f} s", *v));
    if (auto v = num(plan, "gap")) add("Relative gap", fmt::format("{:.2g}", *v));
    if (!rows.empty()) table(out, {"", ""}, rows, {}, {});
  }

  const json& conflicts = arr(plan, "conflicts");
  if (status == "infeasible" || !conflicts.empty()) {
    out += "<div class=\"conflicts\"><strong>No plan satisfies every constraint.</strong>";
    if (!conflicts.empty()) {
      out += " These constraints conflict (relaxing any one of them may restore feasibility):<ul>";
      for (const auto& k : conflicts) {
        out += fmt::format("<li><code>{}</code>", esc(str(k, "name")));
        if (!str(k, "kind").empty())
          out += fmt::format(" <span class=\"id\">{}</span>", esc(str(k, "kind")));
        if (!str(k, "detail").empty()) out += " \u2014 " + esc(str(k, "detail"));
        out += "</li>";
      }
      out += "</ul>";
    }
    out += "</div>\n";
  }

  // Purchases.
  const json& purchases = arr(plan, "purchases");
  if (!purchases.empty()) {
    out += "<h3>Purchases</h3>";
    std::vector<std::vector<Cell>> rows;
    double nodes = 0, devices = 0;
    for (const auto& p : purchases) {
      const std::string id = str(p, "accelerator");
      const auto y = num(p, "year");
      rows.push_back({tc(A.name(id)), tc(A.origin(id)), tc(str(p, "site")),
                      tc(y ? year_label(plan, static_cast<int>(*y)) : ""),
                      nc(opt(num(p, "nodes"), group_digits)),
                      nc(opt(num(p, "devices"), group_digits))});
      nodes += num(p, "nodes").value_or(0);
      devices += num(p, "devices").value_or(0);
    }
    rows.push_back({raw_cell("<strong>Total</strong>"), tc(""), tc(""), tc(""),
                    nc(group_digits(nodes)), nc(group_digits(devices))});
    table(out, {"Accelerator", "Origin", "Site", "Delivered", "Nodes", "Devices"}, rows);
  }

  // Fleet mix by year: owned (existing + delivered) and rented devices from
  // the utilisation rows, else the cumulative purchases.
  {
    std::map<std::pair<std::string, int>, double> owned, rented;
    std::set<int> years;
    std::set<std::string> ids;
    const json& use = arr(plan, "utilisation");
    for (const auto& u : use) {
      const auto y = num(u, "year");
      const std::string id = str(u, "accelerator");
      if (!y || id.empty()) continue;
      years.insert(static_cast<int>(*y));
      ids.insert(id);
      owned[{id, static_cast<int>(*y)}] += num(u, "owned_devices").value_or(0);
      rented[{id, static_cast<int>(*y)}] += num(u, "rented_devices").value_or(0);
    }
    std::string basis = "owned (existing and delivered) and rented devices";
    if (years.empty()) {
      basis = "devices bought, cumulative";
      std::map<std::pair<std::string, int>, double> bought;
      for (const auto& p : purchases) {
        const auto y = num(p, "year");
        const std::string id = str(p, "accelerator");
        if (!y || id.empty()) continue;
        years.insert(static_cast<int>(*y));
        ids.insert(id);
        bought[{id, static_cast<int>(*y)}] += num(p, "devices").value_or(0);
      }
      if (!years.empty())
        for (int y = *years.begin(); y <= *years.rbegin(); ++y) years.insert(y);
      for (const auto& id : ids) {
        double total = 0;
        for (int y : years) owned[{id, y}] = total += bought[{id, y}];
      }
    }
    if (!years.empty() && !ids.empty()) {
      json labels = json::array();
      for (int y : years) labels.push_back(year_label(plan, y));
      json datasets = json::array();
      for (const auto& id : A.sorted(ids)) {
        for (const bool is_rented : {false, true}) {
          const auto& m = is_rented ? rented : owned;
          json data = json::array();
          bool any = false;
          for (int y : years) {
            const auto it = m.find({id, y});
            const double v = it == m.end() ? 0 : it->second;
            any = any || v > 0;
            data.push_back(v);
          }
          if (!any) continue;
          const std::string colour = A.colour(id);
          datasets.push_back({{"label", A.label(id) + (is_rented ? " \u2014 rented" : "")},
                              {"data", data},
                              {"backgroundColor", is_rented ? rgba(colour, 0.35) : colour},
                              {"borderColor", colour},
                              {"borderWidth", is_rented ? 1 : 0},
                              {"stack", "fleet"}});
        }
      }
      if (!datasets.empty())
        chart(out, c.charts, "plan-mix", "Fleet by accelerator and year (devices)",
              {{"type", "bar"},
               {"data", {{"labels", labels}, {"datasets", datasets}}},
               {"options", bar_options("", "devices", true)}},
              {{"axes", {{"y", "num"}}}, {"tooltip", "num"}, {"valueAxis", "y"}},
              fmt::format("Stacked {}. Warm colours: Chinese domestic accelerators; cool colours: "
                          "foreign; grey: origin unknown. Pale bars: rented capacity.",
                          basis),
              340);
    }
  }

  // Availability: what the plan assumes about chips whose China status
  // bars them, and which candidates that status keeps out.
  {
    std::vector<std::vector<Cell>> rows;
    for (const auto& a : arr(plan, "availability")) {
      const std::string assumption = str(a, "assumption");
      if (assumption.empty() && !flag(a, "barred", false)) continue;
      const std::string id = str(a, "accelerator");
      std::string without = "not bought or rented (no assumption stated)";
      for (const auto& ac : arr(plan, "assumption_costs")) {
        if (str(ac, "policy") != "assumption:" + id) continue;
        const std::string st = str(ac, "status_without");
        without = st == "infeasible" ? std::string("no plan meets the demand without it")
                                     : opt(num(ac, "objective_without_usd"), fmt_usd);
      }
      const std::string confirmed = str(a, "china_status_confirmed");
      rows.push_back({tc(id),
                      tc(str(a, "china_status") +
                         (confirmed.empty() ? "" : " (confirmed " + confirmed + ")")),
                      tc(assumption.empty() ? std::string("\u2014") : assumption), tc(without)});
    }
    if (!rows.empty()) {
      out +=
          "<h3>Availability assumptions</h3><p class=\"note\">Chips whose China status bars "
          "buying them are bought only on an assumption the scenario states; the plan is also "
          "re-solved without each such chip.</p>";
      table(out, {"Accelerator", "China status", "Assumption", "Plan cost without it"}, rows);
    }
  }

  // Cost breakdown.
  const json& cost = obj(plan, "cost");
  if (!cost.empty()) {
    static const std::pair<const char*, const char*> kCosts[] = {
        {"capex_usd", "Capital expenditure"},
        {"levies_usd", "Levies and tariffs"},
        {"power_usd", "Power"},
        {"operations_usd", "Operations and data centre"},
        {"rental_usd", "Rental"},
        {"expected_shortfall_usd", "Expected shortfall penalties"}};
    static const char* kCostColours[] = {"#1f5fa8", "#d1495b", "#e9c46a", "#8d99ae", "#2a9d8f",
                                         "#6a4c93"};
    std::vector<std::vector<Cell>> rows;
    json labels = json::array(), data = json::array(), colours = json::array();
    double total = 0;
    bool any = false;
    for (std::size_t i = 0; i < std::size(kCosts); ++i) {
      const auto v = num(cost, kCosts[i].first);
      if (!v) continue;
      total += *v;
      any = any || *v != 0;
      rows.push_back({tc(kCosts[i].second), nc(fmt_usd(*v))});
      labels.push_back(kCosts[i].second);
      data.push_back(*v);
      colours.push_back(kCostColours[i]);
    }
    if (!rows.empty()) {
      out += "<h3>Cost breakdown</h3><div class=\"side\"><div>";
      rows.push_back({raw_cell("<strong>Total</strong>"),
                      raw_cell("<strong>" + esc(fmt_usd(total)) + "</strong>", true)});
      table(out, {"Component (discounted to year 1)", "USD"}, rows);
      out += "</div><div>";
      if (any) {
        json options = bar_options("", "USD (discounted)", false, true);
        options["plugins"]["legend"] = {{"display", false}};
        chart(
            out, c.charts, "plan-cost", "Cost breakdown",
            {{"type", "bar"},
             {"data",
              {{"labels", labels},
               {"datasets",
                json::array({{{"label", "USD"}, {"data", data}, {"backgroundColor", colours}}})}}},
             {"options", options}},
            {{"axes", {{"x", "usd"}}}, {"tooltip", "usd"}, {"valueAxis", "x"}}, {}, 240);
      }
      out += "</div></div>\n";
    }
  }

  // Binding constraints.
  const json& binding = arr(plan, "binding_constraints");
  if (!binding.empty()) {
    out +=
        "<h3>Binding constraints</h3><p class=\"note\">Limits the optimum presses against. The "
        "marginal price is the cost saved per unit of relaxation, measured by re-solving with the "
        "limit relaxed by the step shown.</p>";
    std::vector<std::vector<Cell>> rows;
    for (const auto& b : binding) {
      const std::string unit = str(b, "unit");
      auto with_unit = [&](std::optional<double> v) {
        return v ? fmt_num(*v) + (unit.empty() ? "" : " " + unit) : std::string("\u2014");
      };
      std::string marginal = "not measured";
      if (auto m = num(b, "marginal_usd_per_unit"); m && *m == 0) {
        marginal = "below the solvers' gap";
      } else if (m) {
        const std::string price =
            std::fabs(*m) >= 1 || *m == 0 ? fmt_usd(*m) : fmt::format("${:.3g}", *m);
        marginal = fmt::format("{} per {}", price, unit.empty() ? "unit" : unit);
      }
      rows.push_back({raw_cell(fmt::format("<code>{}</code>", esc(str(b, "name")))),
                      tc(str(b, "kind")), tc(str(b, "detail")), nc(with_unit(num(b, "limit"))),
                      nc(with_unit(num(b, "slack"))), nc(marginal), nc(with_unit(num(b, "step")))});
    }
    table(out, {"Constraint", "Kind", "Detail", "Limit", "Slack", "Marginal price", "Step"}, rows);
  }

  // Price of each policy.
  const json& policies = arr(plan, "policy_costs");
  if (!policies.empty()) {
    out +=
        "<h3>Price of each policy</h3><p class=\"note\">The plan re-solved without each policy: "
        "what the policy adds to the cost.</p>";
    std::vector<std::vector<Cell>> rows;
    json labels = json::array(), data = json::array(), colours = json::array();
    for (const auto& p : policies) {
      const std::string without = str(p, "status_without");
      const bool comparable = without.empty() || without == "optimal" || without == "feasible";
      const auto d = num(p, "delta_usd");
      const auto pct = num(p, "delta_pct");
      rows.push_back({raw_cell(fmt::format("<code>{}</code>", esc(str(p, "policy")))),
                      tc(str(p, "detail")), nc(comparable ? opt(d, fmt_usd) : "\u2014"),
                      nc(comparable && pct ? fmt::format("{:+.1f}%", *pct) : "\u2014"),
                      tc(without)});
      if (comparable && d) {
        labels.push_back(str(p, "policy"));
        data.push_back(*d);
        colours.push_back(*d >= 0 ? "#d1495b" : "#2a9d8f");
      }
    }
    table(out, {"Policy", "Detail", "Cost of the policy", "% of cost without", "Status without"},
          rows);
    if (!data.empty()) {
      json options = bar_options("", "added cost, USD (discounted)", false, true);
      options["plugins"]["legend"] = {{"display", false}};
      options["scales"]["x"]["beginAtZero"] = true;
      chart(out, c.charts, "plan-policy", "Cost of each policy",
            {{"type", "bar"},
             {"data",
              {{"labels", labels},
               {"datasets",
                json::array(
                    {{{"label", "added cost"}, {"data", data}, {"backgroundColor", colours}}})}}},
             {"options", options}},
            {{"axes", {{"x", "usd"}}}, {"tooltip", "usd"}, {"valueAxis", "x"}}, {},
            std::max(160, 60 + 36 * static_cast<int>(data.size())));
    }
  }

  // Demand allocation.
  const json& demands = arr(plan, "demands");
  if (!demands.empty()) {
    out += "<h3>Where each demand runs</h3>";
    std::vector<std::vector<Cell>> rows;
    for (const auto& d : demands) {
      bool first = true;
      const json& allocs = arr(d, "allocations");
      if (allocs.empty())
        rows.push_back(
            {tc(str(d, "name")), tc(str(d, "kind")), tc("\u2014"), tc(""), nc(""), nc("")});
      for (const auto& a : allocs) {
        const std::string id = str(a, "accelerator");
        const auto y = num(a, "year");
        rows.push_back({tc(first ? str(d, "name") : ""), tc(first ? str(d, "kind") : ""),
                        tc(A.label(id)), tc(y ? year_label(plan, static_cast<int>(*y)) : ""),
                        nc(opt(num(a, "fraction"), fmt_pct)),
                        nc(opt(num(a, "devices"), group_digits))});
        first = false;
      }
    }
    table(out, {"Demand", "Kind", "Accelerator", "Year", "Share of the demand", "Devices"}, rows);
  }

  // Utilisation.
  const json& use = arr(plan, "utilisation");
  if (!use.empty()) {
    out += "<h3>Planned utilisation</h3>";
    std::vector<std::vector<Cell>> rows;
    for (const auto& u : use) {
      const auto y = num(u, "year");
      rows.push_back(
          {tc(A.label(str(u, "accelerator"))), tc(y ? year_label(plan, static_cast<int>(*y)) : ""),
           nc(opt(num(u, "owned_devices"), group_digits)),
           nc(opt(num(u, "rented_devices"), group_digits)),
           nc(opt(num(u, "used_devices"), group_digits)), nc(opt(num(u, "utilisation"), fmt_pct))});
    }
    table(out, {"Accelerator", "Year", "Owned", "Rented", "Used", "Utilisation"}, rows);
  }
  out += "</section>\n";
}

std::optional<double> parse_number(const std::string& s) {
  if (s.empty()) return std::nullopt;
  char* end = nullptr;
  const double v = std::strtod(s.c_str(), &end);
  if (end != s.c_str() + s.size() || !std::isfinite(v)) return std::nullopt;
  return v;
}

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
  out += "<section id=\"sweep\"><h2>Sweep frontier</h2>\n";

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
      datasets.push_back({{"label", keys.size() > 1 ? keys[1] + " = " + s : "objective"},
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
            {"y", {{"title", axis_title("objective, USD (discounted)")}}}}},
          {"plugins", {{"legend", {{"display", keys.size() > 1}, {"position", "bottom"}}}}}};
      json data = {{"datasets", datasets}};
      if (!numeric) data["labels"] = labels;
      json axes = {{"y", "usd"}};
      if (numeric) axes["x"] = "num";
      chart(out, c.charts, "sweep-frontier", fmt::format("Objective against {}", k1),
            {{"type", "line"}, {"data", data}, {"options", options}},
            {{"axes", axes}, {"tooltip", "usd"}, {"valueAxis", "y"}},
            dropped > 0
                ? fmt::format("{} infeasible point(s) are not drawn; see the table.", dropped)
                : "");
    }
  }

  std::vector<std::string> head = keys;
  for (const char* h : {"Status", "Objective", "Domestic share"}) head.push_back(h);
  for (const auto& id : id_list) head.push_back(c.accels.name(id));
  std::vector<std::vector<Cell>> rows;
  std::vector<std::string> classes;
  for (const auto& p : points) {
    std::vector<Cell> row;
    row.reserve(head.size());
    for (const auto& k : keys) row.push_back(nc(str(obj(p, "values"), k.c_str())));
    const std::string st = str(p, "status");
    row.push_back(tc(st));
    row.push_back(nc(opt(num(p, "objective_usd"), fmt_usd)));
    row.push_back(nc(opt(num(p, "domestic_share"), fmt_pct)));
    for (const auto& id : id_list)
      row.push_back(nc(opt(num(obj(p, "devices_by_accelerator"), id.c_str()), group_digits)));
    rows.push_back(std::move(row));
    classes.push_back(st == "infeasible" ? "infeasible" : "");
  }
  table(out, head, rows, classes,
        id_list.empty() ? "" : "Devices by accelerator in the last columns.");
  out += "</section>\n";
}

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
  out += "<section id=\"simulation-sweep\"><h2>Simulation sweep</h2>\n";
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
                                  (std::string_view(stat) == "mean" ? "mean JCT" : "p95 JCT");
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
            {"y", {{"title", axis_title("job completion time, h")}, {"beginAtZero", true}}}}},
          {"plugins", {{"legend", {{"display", true}, {"position", "bottom"}}}}}};
      json data = {{"datasets", datasets}};
      if (!numeric) {
        json labels = json::array();
        for (const auto& x : label_order) labels.push_back(x);
        data["labels"] = labels;
      }
      json axes = {{"y", "num"}};
      if (numeric) axes["x"] = "num";
      chart(out, c.charts, "sim-sweep-jct", fmt::format("Job completion time against {}", k1),
            {{"type", "line"}, {"data", data}, {"options", options}},
            {{"axes", axes}, {"tooltip", "num"}, {"valueAxis", "y"}},
            dropped > 0
                ? fmt::format("{} point(s) that did not run are not drawn; see the table.", dropped)
                : "Solid: mean; dashed: 95th percentile.");
    }
  }

  std::vector<std::string> head = keys;
  for (const char* h :
       {"Status", "Completed / failed / unfinished", "JCT mean", "JCT p95", "Queueing p95",
        "Utilisation", "Domestic share min / mean", "Cost", "Policy violations"})
    head.push_back(h);
  std::vector<std::vector<Cell>> rows;
  std::vector<std::string> classes;
  const auto hours = [](double s) { return fmt_num(s / 3600) + " h"; };
  for (const auto& p : points) {
    std::vector<Cell> row;
    for (const auto& key : keys) {
      const std::string v = str(obj(p, "values"), key.c_str());
      row.push_back(parse_number(v) ? nc(v) : tc(v));
    }
    if (!ok(p)) {
      row.push_back(tc("error"));
      row.push_back(tc(str(p, "error")));
      row.resize(head.size(), tc(""));
      rows.push_back(std::move(row));
      classes.push_back("infeasible");
      continue;
    }
    row.push_back(tc("ok"));
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
  table(out, head, rows, classes);
  out += "</section>\n";
}

// Plan and simulation side by side: per type, the busy devices the plan
// offers against the simulated utilisation, and the reason for each gap.
void reconciliation(std::string& out, const json& rec, const Accelerators& A) {
  const json& types = arr(rec, "types");
  if (types.empty()) return;
  out += "<h3>Plan and simulation, side by side</h3><p>The plan's allocation of each demand "
         "item becomes jobs pinned to the type it chose, at the mean load (the plan provisions "
         "for the peak). A gap names its reason.</p>";
  std::vector<std::vector<Cell>> rows;
  for (const auto& t : types) {
    const std::string id = str(t, "accelerator");
    rows.push_back({tc(A.label(id)), nc(group_digits(num(t, "devices").value_or(0))),
                    nc(opt(num(t, "planned_utilisation"), fmt_pct)),
                    nc(opt(num(t, "simulated_utilisation"), fmt_pct)),
                    nc(fmt::format("{} / {}", group_digits(num(t, "finished").value_or(0)),
                                   group_digits(num(t, "jobs").value_or(0)))),
                    nc(fmt::format("{:.1f}", num(t, "mean_queue_hours").value_or(0))),
                    tc(str(t, "reason"))});
  }
  table(out,
        {"Accelerator", "Devices", "Planned busy (%)", "Simulated (%)", "Jobs finished / pinned",
         "Mean queue (h)", "Reason"},
        rows);
  const json& share = obj(rec, "domestic_share");
  if (!share.empty())
    out += fmt::format(
        "<p>Domestic share: planned {} (year {}), simulated mean {}, minimum {}. {}.</p>",
        opt(num(share, "planned"), fmt_pct), fmt_num(num(rec, "year").value_or(1)),
        opt(num(share, "simulated_mean"), fmt_pct), opt(num(share, "simulated_min"), fmt_pct),
        esc(str(share, "reason")));
}

void simulation_section(std::string& out, Ctx& c) {
  const json& sim = at(c.doc, "simulation");
  if (!sim.is_object()) return;
  const Accelerators& A = c.accels;
  out += "<section id=\"simulation\"><h2>Simulation of the planned fleet</h2>\n";
  {
    std::vector<std::vector<Cell>> rows;
    auto add = [&](std::string_view k, std::optional<double> v) {
      if (v) rows.push_back({tc(k), nc(fmt_num(*v))});
    };
    add("Seed", num(sim, "seed"));
    add("Days simulated", num(sim, "days"));
    add("Jobs submitted", num(sim, "jobs"));
    add("Jobs finished", num(sim, "finished"));
    add("Audit violations", num(sim, "audit_violations"));
    const json& summary = obj(sim, "summary");
    for (auto it = summary.begin(); it != summary.end(); ++it) {
      const std::string label = pretty_key(it.key());
      const std::string v = str(it.value());
      if (!v.empty()) rows.push_back({tc(label), nc(v)});
    }
    if (!rows.empty()) table(out, {"", ""}, rows);
    if (auto v = num(sim, "audit_violations"); v && *v > 0)
      out += fmt::format(
          "<div class=\"conflicts\"><strong>{} policy-rule violation(s)</strong> found by "
          "the independent audit of the event log.</div>",
          group_digits(*v));
  }
  const json& ubya = obj(sim, "utilisation_by_accelerator");
  if (!ubya.empty()) {
    std::set<std::string> ids;
    for (auto it = ubya.begin(); it != ubya.end(); ++it) ids.insert(it.key());
    std::vector<std::vector<Cell>> rows;
    for (const auto& id : A.sorted(ids))
      rows.push_back({tc(A.label(id)), nc(opt(num(ubya, id.c_str()), fmt_pct))});
    table(out, {"Accelerator", "Mean utilisation"}, rows);
  }
  reconciliation(out, obj(sim, "reconciliation"), A);

  // Timeline: hours, or days for longer runs; thinned to ≤ 1500 points.
  const json& timeline = arr(sim, "timeline");
  std::vector<const json*> pts;
  for (const auto& t : timeline)
    if (num(t, "t_h")) pts.push_back(&t);
  if (!pts.empty()) {
    const std::size_t stride = (pts.size() + 1499) / 1500;
    std::vector<const json*> thin;
    for (std::size_t i = 0; i < pts.size(); i += stride) thin.push_back(pts[i]);
    if (thin.back() != pts.back()) thin.push_back(pts.back());
    const double t0 = *num(*thin.front(), "t_h"), t1 = *num(*thin.back(), "t_h");
    const bool days = t1 - t0 > 72;
    const double scale = days ? 1.0 / 24 : 1.0;
    const std::string xt = days ? "day" : "hour";
    const bool dense = thin.size() > 60;

    std::set<std::string> ids;
    for (const auto* t : thin)
      for (auto it = obj(*t, "utilisation").begin(); it != obj(*t, "utilisation").end(); ++it)
        ids.insert(it.key());
    if (!ids.empty()) {
      json datasets = json::array();
      for (const auto& id : A.sorted(ids)) {
        json data = json::array();
        for (const auto* t : thin)
          if (auto v = num(obj(*t, "utilisation"), id.c_str()))
            data.push_back({{"x", *num(*t, "t_h") * scale}, {"y", *v}});
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
            {"y", {{"min", 0}, {"suggestedMax", 1}, {"title", axis_title("devices busy")}}}}},
          {"plugins", {{"legend", {{"position", "bottom"}}}}}};
      chart(out, c.charts, "sim-utilisation", "Utilisation by accelerator over time",
            {{"type", "line"}, {"data", {{"datasets", datasets}}}, {"options", options}},
            {{"axes", {{"x", "num"}, {"y", "pct"}}}, {"tooltip", "pct"}, {"valueAxis", "y"}});
    }

    json share = json::array();
    for (const auto* t : thin)
      if (auto v = num(*t, "domestic_share"))
        share.push_back({{"x", *num(*t, "t_h") * scale}, {"y", *v}});
    if (!share.empty()) {
      json datasets = json::array({{{"label", "domestic share of busy devices"},
                                    {"data", share},
                                    {"borderColor", "#d1495b"},
                                    {"backgroundColor", "rgba(209,73,91,0.12)"},
                                    {"fill", true},
                                    {"pointRadius", dense ? 0 : 2},
                                    {"borderWidth", 1.5},
                                    {"tension", 0}}});
      auto min_share = num(obj(c.doc, "policy"), "domestic_share_min");
      if (!min_share) min_share = num(obj(c.doc, "plan"), "domestic_share_min");
      if (min_share)
        datasets.push_back({{"label", fmt::format("policy minimum ({})", fmt_pct(*min_share))},
                            {"data", json::array({{{"x", t0 * scale}, {"y", *min_share}},
                                                  {{"x", t1 * scale}, {"y", *min_share}}})},
                            {"borderColor", "#333333"},
                            {"borderDash", json::array({6, 4})},
                            {"borderWidth", 1.5},
                            {"pointRadius", 0},
                            {"fill", false}});
      json options = {{"scales",
                       {{"x", {{"type", "linear"}, {"title", axis_title(xt)}}},
                        {"y", {{"min", 0}, {"max", 1}, {"title", axis_title("domestic share")}}}}},
                      {"plugins", {{"legend", {{"position", "bottom"}}}}}};
      chart(out, c.charts, "sim-domestic", "Domestic share over time",
            {{"type", "line"}, {"data", {{"datasets", datasets}}}, {"options", options}},
            {{"axes", {{"x", "num"}, {"y", "pct"}}}, {"tooltip", "pct"}, {"valueAxis", "y"}});
      if (min_share)
        out +=
            "<p class=\"note\">The share is of allocated compute. It can dip below the minimum "
            "when domestic work finishes while foreign work keeps running: the rule refuses a "
            "foreign placement that would leave the share below it, and never evicts running "
            "work. The independent audit of the event log checks every placement against the "
            "rule (audit violations above).</p>";
    }
  }

  // Job completion time histogram, ~20 bins of a round width.
  std::vector<double> jct;
  for (const auto& v : arr(sim, "jct_hours"))
    if (auto d = num(v); d && *d >= 0) jct.push_back(*d);
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
    json options = bar_options("job completion time, hours", "jobs");
    options["plugins"]["legend"] = {{"display", false}};
    options["datasets"] = {{"bar", {{"barPercentage", 1.0}, {"categoryPercentage", 0.96}}}};
    const json& s = obj(sim, "summary");
    std::string note = fmt::format("{} jobs", group_digits(static_cast<double>(jct.size())));
    if (auto m = num(s, "mean_jct_h")) note += fmt::format("; mean {} h", fmt_num(*m));
    if (auto m = num(s, "p50_jct_h")) note += fmt::format("; median {} h", fmt_num(*m));
    if (auto m = num(s, "p95_jct_h")) note += fmt::format("; p95 {} h", fmt_num(*m));
    chart(out, c.charts, "sim-jct", "Job completion time distribution",
          {{"type", "bar"},
           {"data",
            {{"labels", labels},
             {"datasets",
              json::array({{{"label", "jobs"}, {"data", data}, {"backgroundColor", "#1f5fa8"}}})}}},
           {"options", options}},
          {{"axes", {{"y", "num"}}}, {"tooltip", "num"}, {"valueAxis", "y"}}, note, 280);
  }
  out += "</section>\n";
}

constexpr std::string_view kStyle = R"css(
:root { --ink:#1d2430; --muted:#5b6573; --line:#d9dee5; --zebra:#f5f7fa; --accent:#1f5fa8; --warm:#d1495b; }
* { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; }
body { margin: 0; color: var(--ink); background: #fff; font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", "Helvetica Neue", Arial, sans-serif; }
main { max-width: 1760px; margin: 0 auto; padding: 24px 28px 48px; }
h1 { font-size: 28px; margin: 0 0 4px; }
h2 { font-size: 21px; margin: 36px 0 10px; padding-bottom: 4px; border-bottom: 2px solid var(--ink); }
h3 { font-size: 16px; margin: 22px 0 6px; }
p { margin: 6px 0 10px; }
code { font: 13px/1.4 ui-monospace, "DejaVu Sans Mono", Menlo, Consolas, monospace; background: var(--zebra); padding: 0 3px; border-radius: 3px; }
.meta, .note, figcaption + .chart-box + script + .note { color: var(--muted); font-size: 13px; }
.description { font-size: 16px; }
nav.toc { margin: 10px 0 0; font-size: 14px; }
nav.toc a { color: var(--accent); text-decoration: none; margin-right: 16px; }
.cards { display: flex; flex-wrap: wrap; gap: 10px; margin: 16px 0; }
.card { border: 1px solid var(--line); border-radius: 6px; padding: 8px 14px; min-width: 150px; }
.card .k { font-size: 12px; color: var(--muted); text-transform: uppercase; letter-spacing: .03em; }
.card .v { font-size: 20px; font-weight: 600; }
.summary ul { margin: 4px 0; padding-left: 22px; }
#answer code { overflow-wrap: anywhere; }
#answer li { margin: 6px 0; }
.table-wrap { overflow-x: auto; margin: 8px 0 14px; }
table { border-collapse: collapse; width: 100%; font-size: 13.5px; }
table.kv, table.narrow { width: auto; min-width: 420px; }
table.kv td:first-child { color: var(--muted); padding-right: 28px; }
caption { caption-side: bottom; text-align: left; color: var(--muted); font-size: 12px; padding-top: 4px; }
th, td { padding: 5px 8px; border-bottom: 1px solid var(--line); text-align: left; vertical-align: top; }
th { background: #eef1f5; font-weight: 600; }
td { overflow-wrap: anywhere; }
tbody tr:nth-child(even) { background: var(--zebra); }
td.num { text-align: right; font-variant-numeric: tabular-nums; overflow-wrap: normal; }
tr.best td { font-weight: 600; }
tr.forbidden td { color: #8a8a8a; }
tr.best td:first-child::after { content: " \2605"; color: #c48a00; }
tr.infeasible td { color: #8a929c; }
.id { color: var(--muted); font-size: 12px; }
.unverified { color: #b35c00; font-weight: 700; cursor: help; margin-left: 2px; }
.unv-list { color: #b35c00; font-size: 12px; }
.warn { border-left: 4px solid #e6a23c; background: #fdf6ec; padding: 8px 12px; margin: 12px 0; }
.conflicts { border-left: 4px solid var(--warm); background: #fdecee; padding: 8px 12px; margin: 12px 0; }
figure.chart { margin: 14px 0 22px; border: 1px solid var(--line); border-radius: 6px; padding: 10px 12px 6px; }
figcaption { font-weight: 600; font-size: 14px; margin-bottom: 6px; }
.chart-box { position: relative; width: 100%; }
.side { display: grid; grid-template-columns: minmax(440px, 1fr) 2fr; gap: 16px; align-items: start; }
.side figure.chart { margin-top: 8px; }
.side > * { min-width: 0; }
.chart-box canvas { max-width: 100%; }
footer { margin-top: 40px; padding-top: 10px; border-top: 1px solid var(--line); color: var(--muted); font-size: 12px; }
noscript div { border-left: 4px solid #e6a23c; background: #fdf6ec; padding: 8px 12px; }
@media (max-width: 1200px) { .side { grid-template-columns: 1fr; } }
@media (max-width: 760px) { main { padding: 14px; } }
@media print {
  @page { margin: 14mm; }
  body { font-size: 11pt; }
  main { max-width: none; padding: 0; }
  nav.toc { display: none; }
  h2 { break-after: avoid; }
  h3 { break-after: avoid; }
  figure.chart, table, .cards, .conflicts, .warn { break-inside: avoid; }
  .table-wrap { overflow: visible; }
  tbody tr:nth-child(even) { background: #f3f3f3 !important; -webkit-print-color-adjust: exact; print-color-adjust: exact; }
}
)css";

// Draws every canvas[data-chart] from its JSON block, without animation.
constexpr std::string_view kChartScript = R"js(
(function () {
  'use strict';
  function usd(v) {
    if (v === null || v === undefined || !isFinite(v)) return '';
    var a = Math.abs(v), s = v < 0 ? '\u2212$' : '$';
    if (a >= 1e9) return s + +(a / 1e9).toPrecision(3) + ' B';
    if (a >= 1e6) return s + +(a / 1e6).toPrecision(3) + ' M';
    if (a >= 1e4) return s + +(a / 1e3).toPrecision(3) + ' k';
    return s + Math.round(a).toLocaleString('en-US');
  }
  function num(v) {
    if (v === null || v === undefined || !isFinite(v)) return '';
    return Number(v).toLocaleString('en-US', { maximumSignificantDigits: 4 });
  }
  function pct(v) {
    if (v === null || v === undefined || !isFinite(v)) return '';
    var p = v * 100;
    return (Math.abs(p) < 10 && p !== 0 ? p.toFixed(1) : p.toFixed(0)) + '%';
  }
  function rel(v) { return (v === null || v === undefined) ? '' : Math.round(v) + '%'; }
  var F = { usd: usd, num: num, pct: pct, rel: rel };
  if (typeof Chart === 'undefined') {
    console.error('suanli report: the chart library did not load');
    return;
  }
  Chart.defaults.animation = false;
  Chart.defaults.font.family = 'system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", Arial, sans-serif';
  Chart.defaults.color = '#1d2430';
  var charts = [];
  var canvases = document.querySelectorAll('canvas[data-chart]');
  for (var i = 0; i < canvases.length; ++i) {
    var canvas = canvases[i];
    var name = canvas.getAttribute('data-chart');
    try {
      var source = document.getElementById('chart-data-' + name);
      if (!source) throw new Error('no data block');
      var cfg = JSON.parse(source.textContent);
      var f = cfg.suanli || {};
      delete cfg.suanli;
      var o = cfg.options = cfg.options || {};
      o.animation = false;
      o.responsive = true;
      o.maintainAspectRatio = false;
      o.scales = o.scales || {};
      var axes = f.axes || {};
      Object.keys(axes).forEach(function (ax) {
        var fn = F[axes[ax]];
        if (!fn || !o.scales[ax]) return;
        o.scales[ax].ticks = o.scales[ax].ticks || {};
        o.scales[ax].ticks.callback = function (v) { return fn(v); };
      });
      var tf = F[f.tooltip] || num, va = f.valueAxis || 'y';
      o.plugins = o.plugins || {};
      o.plugins.tooltip = o.plugins.tooltip || {};
      o.plugins.tooltip.callbacks = {
        label: function (ctx) {
          var ds = ctx.dataset, s = (ds.label ? ds.label + ': ' : '') + tf(ctx.parsed[va]);
          if (ds.suanliRaw && ds.suanliRaw[ctx.dataIndex] != null)
            s += ' (' + num(ds.suanliRaw[ctx.dataIndex]) + ' ' + (ds.suanliUnit || '') + ')';
          return s;
        }
      };
      charts.push(new Chart(canvas, cfg));
      canvas.setAttribute('data-rendered', 'true');
    } catch (e) {
      console.error('suanli report: chart ' + name + ': ' + e);
    }
  }
  window.addEventListener('beforeprint', function () { charts.forEach(function (c) { c.resize(); }); });
  window.addEventListener('afterprint', function () { charts.forEach(function (c) { c.resize(); }); });
})();
)js";

// The robustness pass (plan/robustness.h): a tornado of the inputs that
// move the plan's cost most, and what flips at each end.
void robustness_section(std::string& out, Ctx& c) {
  const json& r = obj(c.doc, "robustness");
  const json& inputs = arr(r, "inputs");
  if (inputs.empty()) return;
  const double base = num(r, "base_cost_usd").value_or(0);
  out +=
      "<section id=\"robustness\"><h2>How robust the plan is</h2>"
      "<p>Each input at the ends of its range (catalog price ranges; each chip's throughput at "
      "its estimate's p10 and p90): the plan re-solved, and the chosen purchases re-costed. "
      "<em>Regret</em> is what the chosen plan costs there beyond the best plan for that "
      "value; <em>breaks</em>: the chosen purchases no longer satisfy the scenario there "
      "(demand, budget or rules); <em>no plan</em>: nothing meets the demand at that "
      "value.</p>\n";
  json labels = json::array(), low = json::array(), high = json::array();
  std::vector<std::vector<Cell>> rows;
  auto cost = [&](const json& k) -> std::optional<double> { return num(k, "cost_usd"); };
  auto delta = [&](const json& k) -> json {
    auto v = cost(k);
    return v ? json(*v - base) : json(nullptr);
  };
  auto musd = [](std::optional<double> v) {
    return v ? fmt::format("{:.1f}", *v / 1e6) : std::string("no plan");
  };
  for (const auto& in : inputs) {
    const json& lo = obj(in, "low");
    const json& hi = obj(in, "high");
    labels.push_back(str(in, "label"));
    low.push_back(delta(lo));
    high.push_back(delta(hi));
    auto regret = [&](const json& k) {
      return at(k, "chosen_plan_cost_usd").is_null()
                 ? std::string("breaks")
                 : fmt::format("{:.1f}", num(k, "regret_usd").value_or(0) / 1e6);
    };
    std::string flips;
    for (const json* k : {&lo, &hi}) {
      std::vector<std::string> f;
      for (const auto& x : arr(*k, "flips")) f.push_back(str(x));
      if (!f.empty())
        flips += fmt::format("{}{}: {}", flips.empty() ? "" : "; ", str(*k, "side"),
                             fmt::format("{}", fmt::join(f, ", ")));
    }
    rows.push_back({tc(str(in, "label")),
                    nc(fmt::format("{} .. {}", fmt_num(num(lo, "value").value_or(0)),
                                   fmt_num(num(hi, "value").value_or(0)))),
                    nc(musd(cost(lo)) + " .. " + musd(cost(hi))),
                    nc(regret(lo) + " .. " + regret(hi)), tc(flips.empty() ? "none" : flips),
                    tc(str(in, "source"))});
  }
  json options = bar_options("", "cost change against the chosen plan, USD (discounted)", false,
                             true);
  chart(out, c.charts, "robustness-tornado", "Inputs that move the plan's cost most",
        {{"type", "bar"},
         {"data",
          {{"labels", labels},
           {"datasets", json::array({{{"label", "input at its low end"}, {"data", low},
                                      {"backgroundColor", "#4e79a7"}},
                                     {{"label", "input at its high end"}, {"data", high},
                                      {"backgroundColor", "#e15759"}}})}}},
         {"options", options}},
        {{"axes", {{"x", "usd"}}}, {"tooltip", "usd"}, {"valueAxis", "x"}}, {},
        std::max(200, 80 + 40 * static_cast<int>(labels.size())));
  table(out,
        {"input", "low .. high", "cost at each end (M USD)", "regret (M USD)",
         "decisions that flip", "range from"},
        rows);
  out += "</section>\n";
}

}  // namespace

std::string html_escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char ch : text) {
    switch (ch) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += ch;
    }
  }
  return out;
}

std::string script_safe_json(const nlohmann::json& value) {
  const std::string text = value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  std::string out;
  out.reserve(text.size() + 16);
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '<' && i + 1 < text.size() && text[i + 1] == '/') {
      out += "<\\/";
      ++i;
    } else if (text.compare(i, 4, "<!--") == 0) {
      out += "\\u003c";
    } else {
      out += text[i];
    }
  }
  return out;
}

std::string render_report_html(const nlohmann::json& doc) {
  static const json empty = json::object();
  const json& d = doc.is_object() ? doc : empty;
  const Accelerators accels(d);
  Ctx c{d, accels, {}};

  std::string top, body;
  header(top, c);
  // Each section guards itself; a bug-level exception in one (there should
  // be none) costs that section, not the report.
  auto guarded = [&](void (*section)(std::string&, Ctx&), std::string_view what) {
    std::string part;
    try {
      section(part, c);
    } catch (const std::exception& e) {
      part = fmt::format("<div class=\"conflicts\">The {} section could not be rendered: {}</div>",
                         esc(what), esc(e.what()));
    }
    body += part;
  };
  guarded(comparison, "comparison");
  guarded(plan_section, "plan");
  guarded(robustness_section, "robustness");
  guarded(sweep_section, "sweep");
  guarded(simulation_sweep_section, "simulation sweep");
  guarded(simulation_section, "simulation");

  const std::string title = str(d, "title").empty() ? "suanli report" : str(d, "title");
  std::string out;
  out.reserve(body.size() + chart_js_source().size() + kStyle.size() + kChartScript.size() + 2048);
  out +=
      "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
      "<meta name=\"generator\" content=\"suanli\">\n";
  out += fmt::format("<title>{}</title>\n<style>{}</style>\n</head>\n<body>\n<main>\n", esc(title),
                     kStyle);
  // Table of contents: in-page anchors only.
  std::string toc;
  if (!arr(obj(d, "comparison"), "workloads").empty())
    toc += "<a href=\"#comparison\">Comparison</a>";
  if (at(d, "plan").is_object()) toc += "<a href=\"#plan\">Plan</a>";
  if (!arr(obj(d, "robustness"), "inputs").empty())
    toc += "<a href=\"#robustness\">Robustness</a>";
  if (!arr(obj(d, "sweep"), "points").empty()) toc += "<a href=\"#sweep\">Sweep</a>";
  if (!arr(obj(d, "simulation_sweep"), "points").empty())
    toc += "<a href=\"#simulation-sweep\">Simulation sweep</a>";
  if (at(d, "simulation").is_object()) toc += "<a href=\"#simulation\">Simulation</a>";
  out += top;
  if (!toc.empty()) out += "<nav class=\"toc\">" + toc + "</nav>\n";
  if (!c.charts.names.empty())
    out +=
        "<noscript><div>Charts need JavaScript; every figure is also in the "
        "tables.</div></noscript>\n";
  out += body;
  out += fmt::format(
      "<footer>{}. Charts drawn by Chart.js (MIT licence), inlined in this file; the report makes "
      "no "
      "network request. <span class=\"unverified\">?</span> marks figures resting on estimates or "
      "placeholders.</footer>\n</main>\n",
      esc(str(d, "generated_by").empty() ? "Generated by suanli"
                                         : "Generated by " + str(d, "generated_by")));
  if (!c.charts.names.empty()) {
    out += "<script>\n";
    out += chart_js_source();
    out += "\n</script>\n<script>";
    out += kChartScript;
    out += "</script>\n";
  }
  out += "</body>\n</html>\n";
  return out;
}

}  // namespace suanli

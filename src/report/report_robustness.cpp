// The robustness pass (plan/robustness.h): a tornado of the inputs that move the plan's cost most,
// what flips at each end, and the regret of the chosen plan.
#include "report/html_parts.h"

namespace suanli::report_html {

// The robustness pass (plan/robustness.h): a tornado of the inputs that
// move the plan's cost most, and what flips at each end.
void robustness_section(std::string& out, Ctx& c) {
  if (!c.doc.robustness || c.doc.robustness->inputs.empty()) return;
  const RobustnessSection& r = *c.doc.robustness;
  const double base = r.base_cost_usd;
  out += fmt::format(
      "<section id=\"robustness\"><h2>{}</h2><p>{} <em>{}</em> {} <em>{}</em>{} <em>{}</em>{}</p>\n",
      esc(c.tr("How robust the plan is")),
      esc(c.tr("Each input at the ends of its range (catalog price ranges; each chip's throughput "
               "at its estimate's p10 and p90): the plan re-solved, and the chosen purchases "
               "re-costed.")),
      esc(c.tr("Regret")),
      esc(c.tr("is what the chosen plan costs there beyond the best plan for that value;")),
      esc(c.tr("breaks")),
      esc(c.tr(": the chosen purchases no longer satisfy the scenario there (demand, budget or "
               "rules);")),
      esc(c.tr("no plan")), esc(c.tr(": nothing meets the demand at that value.")));
  json labels = json::array(), low = json::array(), high = json::array();
  std::vector<std::vector<Cell>> rows;
  auto delta = [&](const RobustnessCaseDoc& k) -> json {
    return k.cost_usd ? json(*k.cost_usd - base) : json(nullptr);
  };
  auto musd = [&c](std::optional<double> v) {
    return v ? fmt::format("{:.1f}", *v / 1e6) : c.tr("no plan");
  };
  auto regret = [&c](const RobustnessCaseDoc& k) {
    return k.chosen_plan_cost_usd ? fmt::format("{:.1f}", k.regret_usd / 1e6) : c.tr("breaks");
  };
  for (const RobustnessInputDoc& in : r.inputs) {
    const RobustnessCaseDoc& lo = in.low;
    const RobustnessCaseDoc& hi = in.high;
    labels.push_back(in.label);
    low.push_back(delta(lo));
    high.push_back(delta(hi));
    std::string flips;
    for (const RobustnessCaseDoc* k : {&lo, &hi})
      if (!k->flips.empty())
        flips += fmt::format("{}{}: {}", flips.empty() ? "" : "; ", c.tr(k->side),
                             fmt::format("{}", fmt::join(k->flips, ", ")));
    rows.push_back({tc(in.label), nc(fmt::format("{} .. {}", fmt_num(lo.value), fmt_num(hi.value))),
                    nc(musd(lo.cost_usd) + " .. " + musd(hi.cost_usd)),
                    nc(regret(lo) + " .. " + regret(hi)), tc(flips.empty() ? c.tr("none") : flips),
                    tc(in.source)});
  }
  json options =
      bar_options("", c.tr("cost change against the chosen plan, USD (discounted)"), false, true);
  chart(out, c.charts, "robustness-tornado", c.tr("Inputs that move the plan's cost most"),
        {{"type", "bar"},
         {"data",
          {{"labels", labels},
           {"datasets",
            json::array(
                {{{"label", c.tr("input at its low end")}, {"data", low}, {"backgroundColor", "#4e79a7"}},
                 {{"label", c.tr("input at its high end")},
                  {"data", high},
                  {"backgroundColor", "#e15759"}}})}}},
         {"options", options}},
        {{"axes", {{"x", "usd"}}}, {"tooltip", "usd"}, {"valueAxis", "x"}}, {},
        std::max(200, 80 + 40 * static_cast<int>(labels.size())));
  table(out,
        c.heads({"input", "low .. high", "cost at each end (M USD)", "regret (M USD)",
                 "decisions that flip", "range from"}),
        rows);
  out += "</section>\n";
}

}  // namespace suanli::report_html

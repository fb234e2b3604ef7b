// The procurement plan: purchases by year and site, cost breakdown, allocations, binding limits
// and their prices, assumptions, and the mix/cost/policy charts.
#include "report/html_parts.h"

namespace suanli::report_html {

namespace {

std::string year_label(const Ctx& c, std::int64_t year) {
  return c.m.trf("Year {year}", fmt::arg("year", static_cast<int>(year)));
}

// The headline figures: status, objective, domestic share by year, solve time and gap.
void plan_headline(std::string& out, Ctx& c, const PlanSection& plan) {
  std::vector<std::vector<Cell>> rows;
  auto add = [&](std::string_view k, std::string_view v) {
    if (!v.empty()) rows.push_back({tc(c.tr(k)), nc(v)});
  };
  if (!plan.status.empty()) add("Status", c.tr(plan.status));
  add("Objective (discounted total cost)", fmt_usd(plan.objective_usd));
  add("Domestic share of capacity (lowest year)", fmt_pct(plan.domestic_share));
  std::string by_year;
  int y = 1;
  for (const double v : plan.domestic_share_by_year)
    by_year += (by_year.empty() ? "" : ", ") + year_label(c, y++) + ": " + fmt_pct(v);
  add("Domestic share by year", by_year);
  if (plan.solve_time_s) add("Solve time", fmt::format("{:.2f} s", *plan.solve_time_s));
  add("Relative gap", fmt::format("{:.2g}", plan.gap));
  table(out, {"", ""}, rows, {}, {});
}

// Why no plan exists, when none does: the conflicting constraints.
void plan_conflicts(std::string& out, Ctx& c, const PlanSection& plan) {
  const std::vector<PlanConflict>& conflicts = plan.conflicts;
  if (plan.status == "infeasible" || !conflicts.empty()) {
    out += fmt::format("<div class=\"conflicts\"><strong>{}</strong>",
                       esc(c.tr("No plan satisfies every constraint.")));
    if (!conflicts.empty()) {
      out += " " + esc(c.tr("These constraints conflict (relaxing any one of them may restore "
                            "feasibility):")) + "<ul>";
      for (const PlanConflict& k : conflicts) {
        out += fmt::format("<li><code>{}</code>", esc(k.name));
        if (!k.kind.empty())
          out += fmt::format(" <span class=\"id\">{}</span>", c.word_html(k.kind));
        if (!k.detail.empty()) out += " \u2014 " + esc(k.detail);
        out += "</li>";
      }
      out += "</ul>";
    }
    out += "</div>\n";
  }
}

// What is bought, where and when, with totals.
void plan_purchases(std::string& out, Ctx& c, const PlanSection& plan) {
  const Accelerators& A = c.accels;
  const std::vector<PlanPurchase>& purchases = plan.purchases;
  if (!purchases.empty()) {
    out += "<h3>" + esc(c.tr("Purchases")) + "</h3>";
    std::vector<std::vector<Cell>> rows;
    double nodes = 0, devices = 0;
    for (const PlanPurchase& p : purchases) {
      const std::string& id = p.accelerator;
      rows.push_back({dc(A.name(id)), raw_cell(c.word_html(A.origin(id))), dc(p.site),
                      tc(year_label(c, p.year)), nc(group_digits(static_cast<double>(p.nodes))),
                      nc(group_digits(static_cast<double>(p.devices)))});
      nodes += static_cast<double>(p.nodes);
      devices += static_cast<double>(p.devices);
    }
    rows.push_back({raw_cell("<strong>" + esc(c.tr("Total")) + "</strong>"), tc(""), tc(""), tc(""),
                    nc(group_digits(nodes)), nc(group_digits(devices))});
    table(out, c.heads({"Accelerator", "Origin", "Site", "Delivered", "Nodes", "Devices"}), rows);
  }
}

// Fleet mix by year: owned (existing + delivered) and rented devices from
// the utilisation rows, else the cumulative purchases.
void plan_fleet_mix(std::string& out, Ctx& c, const PlanSection& plan) {
  const Accelerators& A = c.accels;
  std::map<std::pair<std::string, int>, double> owned, rented;
  std::set<int> years;
  std::set<std::string> ids;
  for (const PlanUse& u : plan.utilisation) {
    if (u.accelerator.empty()) continue;
    const int y = static_cast<int>(u.year);
    years.insert(y);
    ids.insert(u.accelerator);
    owned[{u.accelerator, y}] += u.owned_devices;
    rented[{u.accelerator, y}] += u.rented_devices;
  }
  std::string basis = c.tr("owned (existing and delivered) and rented devices");
  if (years.empty()) {
    basis = c.tr("devices bought, cumulative");
    std::map<std::pair<std::string, int>, double> bought;
    for (const PlanPurchase& p : plan.purchases) {
      if (p.accelerator.empty()) continue;
      const int y = static_cast<int>(p.year);
      years.insert(y);
      ids.insert(p.accelerator);
      bought[{p.accelerator, y}] += static_cast<double>(p.devices);
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
    for (int y : years) labels.push_back(year_label(c, y));
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
        datasets.push_back({{"label", A.label(id) + (is_rented ? " \u2014 " + c.tr("rented") : "")},
                            {"data", data},
                            {"backgroundColor", is_rented ? rgba(colour, 0.35) : colour},
                            {"borderColor", colour},
                            {"borderWidth", is_rented ? 1 : 0},
                            {"stack", "fleet"}});
      }
    }
    if (!datasets.empty())
      chart(out, c.charts, "plan-mix", c.tr("Fleet by accelerator and year (devices)"),
            {{"type", "bar"},
             {"data", {{"labels", labels}, {"datasets", datasets}}},
             {"options", bar_options("", c.tr("devices"), true)}},
            {{"axes", {{"y", "num"}}}, {"tooltip", "num"}, {"valueAxis", "y"}},
            c.m.trf("Stacked {basis}. Warm colours: Chinese domestic accelerators; cool colours: "
                    "foreign; grey: origin unknown. Pale bars: rented capacity.",
                    fmt::arg("basis", basis)),
            340);
  }
}

// Availability: what the plan assumes about chips whose China status
// bars them, and which candidates that status keeps out.
void plan_availability(std::string& out, Ctx& c, const PlanSection& plan) {
  std::vector<std::vector<Cell>> rows;
  for (const PlanAvailability& a : plan.availability) {
    const std::string& assumption = a.assumption;
    if (assumption.empty() && !a.barred) continue;
    const std::string& id = a.accelerator;
    std::string without = c.tr("not bought or rented (no assumption stated)");
    for (const PlanPolicyCost& ac : plan.assumption_costs) {
      if (ac.policy != "assumption:" + id) continue;
      without = ac.status_without == "infeasible" ? c.tr("no plan meets the demand without it")
                                                  : fmt_usd(ac.objective_without_usd);
    }
    const std::string& confirmed = a.china_status_confirmed;
    rows.push_back(
        {dc(id),
         raw_cell(c.word_html(a.china_status) +
                  (confirmed.empty()
                       ? ""
                       : " (" + esc(c.m.trf("confirmed {date}", fmt::arg("date", confirmed))) + ")")),
         assumption.empty() ? tc("\u2014") : dc(assumption), tc(without)});
  }
  if (!rows.empty()) {
    out += fmt::format("<h3>{}</h3><p class=\"note\">{}</p>", esc(c.tr("Availability assumptions")),
                       esc(c.tr("Chips whose China status bars buying them are bought only on an "
                                "assumption the scenario states; the plan is also re-solved "
                                "without each such chip.")));
    table(out, c.heads({"Accelerator", "China status", "Assumption", "Plan cost without it"}), rows);
  }
}

// The discounted cost by component, as a table and a bar chart.
void plan_cost(std::string& out, Ctx& c, const PlanSection& plan) {
  const PlanCostBreakdown& cost = plan.cost;
  static const std::pair<double PlanCostBreakdown::*, const char*> kCosts[] = {
      {&PlanCostBreakdown::capex_usd, "Capital expenditure"},
      {&PlanCostBreakdown::levies_usd, "Levies and tariffs"},
      {&PlanCostBreakdown::power_usd, "Power"},
      {&PlanCostBreakdown::operations_usd, "Operations and data centre"},
      {&PlanCostBreakdown::rental_usd, "Rental"},
      {&PlanCostBreakdown::expected_shortfall_usd, "Expected shortfall penalties"}};
  static const char* kCostColours[] = {"#1f5fa8", "#d1495b", "#e9c46a",
                                       "#8d99ae", "#2a9d8f", "#6a4c93"};
  std::vector<std::vector<Cell>> rows;
  json labels = json::array(), data = json::array(), colours = json::array();
  double total = 0;
  bool any = false;
  for (std::size_t i = 0; i < std::size(kCosts); ++i) {
    const double v = cost.*kCosts[i].first;
    total += v;
    any = any || v != 0;
    rows.push_back({tc(c.tr(kCosts[i].second)), nc(fmt_usd(v))});
    labels.push_back(c.tr(kCosts[i].second));
    data.push_back(v);
    colours.push_back(kCostColours[i]);
  }
  out += "<h3>" + esc(c.tr("Cost breakdown")) + "</h3><div class=\"side\"><div>";
  rows.push_back({raw_cell("<strong>" + esc(c.tr("Total")) + "</strong>"),
                  raw_cell("<strong>" + esc(fmt_usd(total)) + "</strong>", true)});
  table(out, c.heads({"Component (discounted to year 1)", "USD"}), rows);
  out += "</div><div>";
  if (any) {
    json options = bar_options("", c.tr("USD (discounted)"), false, true);
    options["plugins"]["legend"] = {{"display", false}};
    chart(
        out, c.charts, "plan-cost", c.tr("Cost breakdown"),
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

// The limits the optimum presses against, with their marginal prices.
void plan_binding(std::string& out, Ctx& c, const PlanSection& plan) {
  const std::vector<PlanBinding>& binding = plan.binding_constraints;
  if (!binding.empty()) {
    out += fmt::format(
        "<h3>{}</h3><p class=\"note\">{}</p>", esc(c.tr("Binding constraints")),
        esc(c.tr("Limits the optimum presses against. The marginal price is the cost saved per "
                 "unit of relaxation, measured by re-solving with the limit relaxed by the step "
                 "shown.")));
    std::vector<std::vector<Cell>> rows;
    for (const PlanBinding& b : binding) {
      const std::string unit = b.unit.empty() ? std::string() : c.tr(b.unit);
      auto with_unit = [&](double v) { return fmt_num(v) + (unit.empty() ? "" : " " + unit); };
      std::string marginal = c.tr("not measured");
      if (const auto& m = b.marginal_usd_per_unit; m && *m == 0) {
        marginal = c.tr("below the solvers' gap");
      } else if (m) {
        const std::string price =
            std::fabs(*m) >= 1 || *m == 0 ? fmt_usd(*m) : fmt::format("${:.3g}", *m);
        marginal = c.m.trf("{price} per {unit}", fmt::arg("price", price),
                           fmt::arg("unit", unit.empty() ? c.tr("unit") : unit));
      }
      rows.push_back({raw_cell(fmt::format("<code>{}</code>", esc(b.name))),
                      raw_cell(c.word_html(b.kind)), tc(b.detail), nc(with_unit(b.limit)),
                      nc(with_unit(b.slack)), nc(marginal), nc(with_unit(b.step))});
    }
    table(out, c.heads({"Constraint", "Kind", "Detail", "Limit", "Slack", "Marginal price", "Step"}),
          rows);
  }
}

// What each policy adds to the cost (the plan re-solved without it), with a chart.
void plan_policy_costs(std::string& out, Ctx& c, const PlanSection& plan) {
  const std::vector<PlanPolicyCost>& policies = plan.policy_costs;
  if (!policies.empty()) {
    out += fmt::format("<h3>{}</h3><p class=\"note\">{}</p>", esc(c.tr("Price of each policy")),
                       esc(c.tr("The plan re-solved without each policy: what the policy adds to "
                                "the cost.")));
    std::vector<std::vector<Cell>> rows;
    json labels = json::array(), data = json::array(), colours = json::array();
    for (const PlanPolicyCost& p : policies) {
      const std::string& without = p.status_without;
      const bool comparable = without.empty() || without == "optimal" || without == "feasible";
      const double d = p.delta_usd;
      rows.push_back({raw_cell(fmt::format("<code>{}</code>", esc(p.policy))), tc(p.detail),
                      nc(comparable ? fmt_usd(d) : "\u2014"),
                      nc(comparable ? fmt::format("{:+.1f}%", p.delta_pct) : "\u2014"),
                      raw_cell(c.word_html(without))});
      if (comparable) {
        labels.push_back(p.policy);
        data.push_back(d);
        colours.push_back(d >= 0 ? "#d1495b" : "#2a9d8f");
      }
    }
    table(out,
          c.heads({"Policy", "Detail", "Cost of the policy", "% of cost without", "Status without"}),
          rows);
    if (!data.empty()) {
      json options = bar_options("", c.tr("added cost, USD (discounted)"), false, true);
      options["plugins"]["legend"] = {{"display", false}};
      options["scales"]["x"]["beginAtZero"] = true;
      chart(out, c.charts, "plan-policy", c.tr("Cost of each policy"),
            {{"type", "bar"},
             {"data",
              {{"labels", labels},
               {"datasets",
                json::array(
                    {{{"label", c.tr("added cost")}, {"data", data}, {"backgroundColor", colours}}})}}},
             {"options", options}},
            {{"axes", {{"x", "usd"}}}, {"tooltip", "usd"}, {"valueAxis", "x"}}, {},
            std::max(160, 60 + 36 * static_cast<int>(data.size())));
    }
  }
}

// Where each demand runs, by accelerator and year.
void plan_demands(std::string& out, Ctx& c, const PlanSection& plan) {
  const Accelerators& A = c.accels;
  const std::vector<PlanDemandOutcome>& demands = plan.demands;
  if (!demands.empty()) {
    out += "<h3>" + esc(c.tr("Where each demand runs")) + "</h3>";
    std::vector<std::vector<Cell>> rows;
    for (const PlanDemandOutcome& d : demands) {
      bool first = true;
      if (d.allocations.empty())
        rows.push_back(
            {dc(d.name), raw_cell(c.word_html(d.kind)), tc("\u2014"), tc(""), nc(""), nc("")});
      for (const PlanAllocationDoc& a : d.allocations) {
        rows.push_back({dc(first ? d.name : ""), raw_cell(first ? c.word_html(d.kind) : ""),
                        dc(A.label(a.accelerator)), tc(year_label(c, a.year)),
                        nc(fmt_pct(a.fraction)), nc(group_digits(a.devices))});
        first = false;
      }
    }
    table(out, c.heads({"Demand", "Kind", "Accelerator", "Year", "Share of the demand", "Devices"}),
          rows);
  }
}

// Owned, rented and used devices by accelerator and year.
void plan_utilisation(std::string& out, Ctx& c, const PlanSection& plan) {
  const Accelerators& A = c.accels;
  const std::vector<PlanUse>& use = plan.utilisation;
  if (!use.empty()) {
    out += "<h3>" + esc(c.tr("Planned utilisation")) + "</h3>";
    std::vector<std::vector<Cell>> rows;
    for (const PlanUse& u : use)
      rows.push_back({dc(A.label(u.accelerator)), tc(year_label(c, u.year)),
                      nc(group_digits(u.owned_devices)), nc(group_digits(u.rented_devices)),
                      nc(group_digits(u.used_devices)), nc(fmt_pct(u.utilisation))});
    table(out, c.heads({"Accelerator", "Year", "Owned", "Rented", "Used", "Utilisation"}), rows);
  }
}

}  // namespace

void plan_section(std::string& out, Ctx& c) {
  if (!c.doc.plan) return;
  const PlanSection& plan = *c.doc.plan;
  out += "<section id=\"plan\"><h2>" + esc(c.tr("The plan")) + "</h2>\n";
  plan_headline(out, c, plan);
  plan_conflicts(out, c, plan);
  plan_purchases(out, c, plan);
  plan_fleet_mix(out, c, plan);
  plan_availability(out, c, plan);
  plan_cost(out, c, plan);
  plan_binding(out, c, plan);
  plan_policy_costs(out, c, plan);
  plan_demands(out, c, plan);
  plan_utilisation(out, c, plan);
  out += "</section>\n";
}

}  // namespace suanli::report_html

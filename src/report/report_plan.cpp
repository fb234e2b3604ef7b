// The procurement plan: purchases by year and site, cost breakdown, allocations, binding limits
// and their prices, assumptions, and the mix/cost/policy charts.
#include "report/html_parts.h"

namespace suanli::report_html {

namespace {

std::string year_label(const Ctx& c, const json& plan, int year) {
  if (auto start = num(plan, "start_year"))
    return c.m.trf("{calendar} (Y{year})", fmt::arg("calendar", static_cast<int>(*start) + year - 1),
                   fmt::arg("year", year));
  return c.m.trf("Year {year}", fmt::arg("year", year));
}

// The headline figures: status, objective, domestic share by year, solve time and gap.
void plan_headline(std::string& out, Ctx& c, const json& plan) {
  {
    std::vector<std::vector<Cell>> rows;
    auto add = [&](std::string_view k, std::string_view v) {
      if (!v.empty()) rows.push_back({tc(c.tr(k)), nc(v)});
    };
    if (!str(plan, "status").empty()) add("Status", c.tr(str(plan, "status")));
    if (auto v = num(plan, "objective_usd")) add("Objective (discounted total cost)", fmt_usd(*v));
    if (auto v = num(plan, "domestic_share"))
      add("Domestic share of capacity (lowest year)", fmt_pct(*v));
    std::string by_year;
    int y = 1;
    for (const auto& s : arr(plan, "domestic_share_by_year")) {
      if (auto v = num(s))
        by_year += (by_year.empty() ? "" : ", ") + year_label(c, plan, y) + ": " + fmt_pct(*v);
      ++y;
    }
    add("Domestic share by year", by_year);
    if (auto v = num(plan, "solve_time_s")) add("Solve time", fmt::format("{:.2f} s", *v));
    if (auto v = num(plan, "gap")) add("Relative gap", fmt::format("{:.2g}", *v));
    if (!rows.empty()) table(out, {"", ""}, rows, {}, {});
  }
}

// Why no plan exists, when none does: the conflicting constraints.
void plan_conflicts(std::string& out, Ctx& c, const json& plan) {
  const std::string status = str(plan, "status");
  const json& conflicts = arr(plan, "conflicts");
  if (status == "infeasible" || !conflicts.empty()) {
    out += fmt::format("<div class=\"conflicts\"><strong>{}</strong>",
                       esc(c.tr("No plan satisfies every constraint.")));
    if (!conflicts.empty()) {
      out += " " + esc(c.tr("These constraints conflict (relaxing any one of them may restore "
                            "feasibility):")) + "<ul>";
      for (const auto& k : conflicts) {
        out += fmt::format("<li><code>{}</code>", esc(str(k, "name")));
        if (!str(k, "kind").empty())
          out += fmt::format(" <span class=\"id\">{}</span>", c.word_html(str(k, "kind")));
        if (!str(k, "detail").empty()) out += " \u2014 " + esc(str(k, "detail"));
        out += "</li>";
      }
      out += "</ul>";
    }
    out += "</div>\n";
  }
}

// What is bought, where and when, with totals.
void plan_purchases(std::string& out, Ctx& c, const json& plan) {
  const Accelerators& A = c.accels;
  const json& purchases = arr(plan, "purchases");
  if (!purchases.empty()) {
    out += "<h3>" + esc(c.tr("Purchases")) + "</h3>";
    std::vector<std::vector<Cell>> rows;
    double nodes = 0, devices = 0;
    for (const auto& p : purchases) {
      const std::string id = str(p, "accelerator");
      const auto y = num(p, "year");
      rows.push_back({dc(A.name(id)), raw_cell(c.word_html(A.origin(id))), dc(str(p, "site")),
                      tc(y ? year_label(c, plan, static_cast<int>(*y)) : ""),
                      nc(opt(num(p, "nodes"), group_digits)),
                      nc(opt(num(p, "devices"), group_digits))});
      nodes += num(p, "nodes").value_or(0);
      devices += num(p, "devices").value_or(0);
    }
    rows.push_back({raw_cell("<strong>" + esc(c.tr("Total")) + "</strong>"), tc(""), tc(""), tc(""),
                    nc(group_digits(nodes)), nc(group_digits(devices))});
    table(out, c.heads({"Accelerator", "Origin", "Site", "Delivered", "Nodes", "Devices"}), rows);
  }
}

// Fleet mix by year: owned (existing + delivered) and rented devices from
// the utilisation rows, else the cumulative purchases.
void plan_fleet_mix(std::string& out, Ctx& c, const json& plan) {
  const Accelerators& A = c.accels;
  const json& purchases = arr(plan, "purchases");
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
    std::string basis = c.tr("owned (existing and delivered) and rented devices");
    if (years.empty()) {
      basis = c.tr("devices bought, cumulative");
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
      for (int y : years) labels.push_back(year_label(c, plan, y));
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
}

// Availability: what the plan assumes about chips whose China status
// bars them, and which candidates that status keeps out.
void plan_availability(std::string& out, Ctx& c, const json& plan) {
  {
    std::vector<std::vector<Cell>> rows;
    for (const auto& a : arr(plan, "availability")) {
      const std::string assumption = str(a, "assumption");
      if (assumption.empty() && !flag(a, "barred", false)) continue;
      const std::string id = str(a, "accelerator");
      std::string without = c.tr("not bought or rented (no assumption stated)");
      for (const auto& ac : arr(plan, "assumption_costs")) {
        if (str(ac, "policy") != "assumption:" + id) continue;
        const std::string st = str(ac, "status_without");
        without = st == "infeasible" ? c.tr("no plan meets the demand without it")
                                     : opt(num(ac, "objective_without_usd"), fmt_usd);
      }
      const std::string confirmed = str(a, "china_status_confirmed");
      rows.push_back(
          {dc(id),
           raw_cell(c.word_html(str(a, "china_status")) +
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
}

// The discounted cost by component, as a table and a bar chart.
void plan_cost(std::string& out, Ctx& c, const json& plan) {
  const json& cost = obj(plan, "cost");
  if (!cost.empty()) {
    static const std::pair<const char*, const char*> kCosts[] = {
        {"capex_usd", "Capital expenditure"},
        {"levies_usd", "Levies and tariffs"},
        {"power_usd", "Power"},
        {"operations_usd", "Operations and data centre"},
        {"rental_usd", "Rental"},
        {"expected_shortfall_usd", "Expected shortfall penalties"}};
    static const char* kCostColours[] = {"#1f5fa8", "#d1495b", "#e9c46a",
                                         "#8d99ae", "#2a9d8f", "#6a4c93"};
    std::vector<std::vector<Cell>> rows;
    json labels = json::array(), data = json::array(), colours = json::array();
    double total = 0;
    bool any = false;
    for (std::size_t i = 0; i < std::size(kCosts); ++i) {
      const auto v = num(cost, kCosts[i].first);
      if (!v) continue;
      total += *v;
      any = any || *v != 0;
      rows.push_back({tc(c.tr(kCosts[i].second)), nc(fmt_usd(*v))});
      labels.push_back(c.tr(kCosts[i].second));
      data.push_back(*v);
      colours.push_back(kCostColours[i]);
    }
    if (!rows.empty()) {
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
  }
}

// The limits the optimum presses against, with their marginal prices.
void plan_binding(std::string& out, Ctx& c, const json& plan) {
  const json& binding = arr(plan, "binding_constraints");
  if (!binding.empty()) {
    out += fmt::format(
        "<h3>{}</h3><p class=\"note\">{}</p>", esc(c.tr("Binding constraints")),
        esc(c.tr("Limits the optimum presses against. The marginal price is the cost saved per "
                 "unit of relaxation, measured by re-solving with the limit relaxed by the step "
                 "shown.")));
    std::vector<std::vector<Cell>> rows;
    for (const auto& b : binding) {
      const std::string unit = str(b, "unit").empty() ? std::string() : c.tr(str(b, "unit"));
      auto with_unit = [&](std::optional<double> v) {
        return v ? fmt_num(*v) + (unit.empty() ? "" : " " + unit) : std::string("\u2014");
      };
      std::string marginal = c.tr("not measured");
      if (auto m = num(b, "marginal_usd_per_unit"); m && *m == 0) {
        marginal = c.tr("below the solvers' gap");
      } else if (m) {
        const std::string price =
            std::fabs(*m) >= 1 || *m == 0 ? fmt_usd(*m) : fmt::format("${:.3g}", *m);
        marginal = c.m.trf("{price} per {unit}", fmt::arg("price", price),
                           fmt::arg("unit", unit.empty() ? c.tr("unit") : unit));
      }
      rows.push_back({raw_cell(fmt::format("<code>{}</code>", esc(str(b, "name")))),
                      raw_cell(c.word_html(str(b, "kind"))), tc(str(b, "detail")),
                      nc(with_unit(num(b, "limit"))), nc(with_unit(num(b, "slack"))), nc(marginal),
                      nc(with_unit(num(b, "step")))});
    }
    table(out, c.heads({"Constraint", "Kind", "Detail", "Limit", "Slack", "Marginal price", "Step"}),
          rows);
  }
}

// What each policy adds to the cost (the plan re-solved without it), with a chart.
void plan_policy_costs(std::string& out, Ctx& c, const json& plan) {
  const json& policies = arr(plan, "policy_costs");
  if (!policies.empty()) {
    out += fmt::format("<h3>{}</h3><p class=\"note\">{}</p>", esc(c.tr("Price of each policy")),
                       esc(c.tr("The plan re-solved without each policy: what the policy adds to "
                                "the cost.")));
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
                      raw_cell(c.word_html(without))});
      if (comparable && d) {
        labels.push_back(str(p, "policy"));
        data.push_back(*d);
        colours.push_back(*d >= 0 ? "#d1495b" : "#2a9d8f");
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
void plan_demands(std::string& out, Ctx& c, const json& plan) {
  const Accelerators& A = c.accels;
  const json& demands = arr(plan, "demands");
  if (!demands.empty()) {
    out += "<h3>" + esc(c.tr("Where each demand runs")) + "</h3>";
    std::vector<std::vector<Cell>> rows;
    for (const auto& d : demands) {
      bool first = true;
      const json& allocs = arr(d, "allocations");
      if (allocs.empty())
        rows.push_back({dc(str(d, "name")), raw_cell(c.word_html(str(d, "kind"))), tc("\u2014"),
                        tc(""), nc(""), nc("")});
      for (const auto& a : allocs) {
        const std::string id = str(a, "accelerator");
        const auto y = num(a, "year");
        rows.push_back({dc(first ? str(d, "name") : ""),
                        raw_cell(first ? c.word_html(str(d, "kind")) : ""), dc(A.label(id)),
                        tc(y ? year_label(c, plan, static_cast<int>(*y)) : ""),
                        nc(opt(num(a, "fraction"), fmt_pct)),
                        nc(opt(num(a, "devices"), group_digits))});
        first = false;
      }
    }
    table(out, c.heads({"Demand", "Kind", "Accelerator", "Year", "Share of the demand", "Devices"}),
          rows);
  }
}

// Owned, rented and used devices by accelerator and year.
void plan_utilisation(std::string& out, Ctx& c, const json& plan) {
  const Accelerators& A = c.accels;
  const json& use = arr(plan, "utilisation");
  if (!use.empty()) {
    out += "<h3>" + esc(c.tr("Planned utilisation")) + "</h3>";
    std::vector<std::vector<Cell>> rows;
    for (const auto& u : use) {
      const auto y = num(u, "year");
      rows.push_back(
          {dc(A.label(str(u, "accelerator"))), tc(y ? year_label(c, plan, static_cast<int>(*y)) : ""),
           nc(opt(num(u, "owned_devices"), group_digits)),
           nc(opt(num(u, "rented_devices"), group_digits)),
           nc(opt(num(u, "used_devices"), group_digits)), nc(opt(num(u, "utilisation"), fmt_pct))});
    }
    table(out, c.heads({"Accelerator", "Year", "Owned", "Rented", "Used", "Utilisation"}), rows);
  }
}

}  // namespace

void plan_section(std::string& out, Ctx& c) {
  const json& plan = at(c.doc, "plan");
  if (!plan.is_object()) return;
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

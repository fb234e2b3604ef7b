#include "plan/plan_json.h"

#include <algorithm>
#include <map>

#include <fmt/format.h>

#include "util/table.h"

namespace suanli {

namespace {

using Json = nlohmann::ordered_json;

std::string money(double usd) {
  const double a = std::abs(usd);
  if (a >= 1e9) return fmt::format("{:.3f} B", usd / 1e9);
  if (a >= 1e6) return fmt::format("{:.2f} M", usd / 1e6);
  if (a >= 1e3) return fmt::format("{:.1f} k", usd / 1e3);
  return fmt::format("{:.0f}", usd);
}

std::string marked(const PlanType& t) { return t.unverified.empty() ? t.id : t.id + "?"; }

// First in the answer: what the plan assumes about availability, what it
// would cost without that, and which candidates the China status keeps out.
std::string dated_status(const PlanType& t, const Messages& m) {
  return t.china_status_confirmed.empty()
             ? std::string(m.tr(t.china_status))
             : m.trf("{status} (confirmed {date})", fmt::arg("status", m.tr(t.china_status)),
                     fmt::arg("date", t.china_status_confirmed));
}

std::string availability_text(const PlanProblem& p, const PlanResult& r, const Messages& m) {
  std::string out;
  for (const PlanType& t : p.types) {
    if (!t.assumption.empty()) {
      std::string without(m.tr("Not priced without it (policy costs off)"));
      for (const PolicyCost& c : r.assumption_costs) {
        if (c.policy != "assumption:" + t.id) continue;
        without = c.status_without == PlanStatus::kInfeasible
                      ? std::string(m.tr("No plan meets the demand without it"))
                      : m.trf(c.delta_usd <= 0 ? "Without it: {cost} USD (it saves {delta} USD)"
                                               : "Without it: {cost} USD (it costs {delta} USD)",
                              fmt::arg("cost", money(c.objective_without_usd)),
                              fmt::arg("delta", money(std::abs(c.delta_usd))));
      }
      out += m.trf("Assumes {accelerator} can be bought in China although its status is "
                   "{status}: {assumption}. {without}.",
                   fmt::arg("accelerator", t.id), fmt::arg("status", dated_status(t, m)),
                   fmt::arg("assumption", t.assumption), fmt::arg("without", without)) +
             "\n";
    } else if (t.barred) {
      out += m.trf("Not bought or rented: {accelerator}, China status {status}. Existing nodes "
                   "still run; state assume_available on the candidate to plan on it.",
                   fmt::arg("accelerator", t.id), fmt::arg("status", dated_status(t, m))) +
             "\n";
    }
  }
  return out;
}

// Each type's China status and whether it is barred ("availability"), and
// the scenario's assumptions: each chip bought or rented although its status
// bars it, the status it overrides and the stated reason (the cost without
// it is in assumption_costs).
void add_availability(const PlanProblem& p, Json& j) {
  Json availability = Json::array();
  for (const PlanType& t : p.types) {
    availability.push_back(Json{{"accelerator", t.id},
                                {"china_status", t.china_status},
                                {"china_status_confirmed", t.china_status_confirmed},
                                {"barred", t.barred},
                                {"assumption", t.assumption}});
  }
  j["availability"] = std::move(availability);
  Json assumptions = Json::array();
  for (const PlanType& t : p.types)
    if (!t.assumption.empty())
      assumptions.push_back(Json{{"accelerator", t.id},
                                 {"overrides", t.china_status},
                                 {"china_status_confirmed", t.china_status_confirmed},
                                 {"assumption", t.assumption}});
  j["assumptions"] = std::move(assumptions);
}

}  // namespace

Json plan_result_json(const PlanProblem& p, const PlanResult& r, const Messages& m) {
  Json j;
  j["status"] = std::string(plan_status_name(r.status));
  j["objective_usd"] = r.objective_usd;
  j["solve_time_s"] = r.solve_time_s;
  j["total_time_s"] = r.total_time_s;
  j["gap"] = r.gap;
  j["model"] = Json{{"variables", r.variables},       {"integer_variables", r.integer_variables},
                    {"constraints", r.constraints},   {"years", p.years},
                    {"types", p.types.size()},        {"sites", p.sites.size()},
                    {"scenarios", p.scenarios.size()}};
  if (!r.note.empty()) j["note"] = r.note;
  Json purchases = Json::array();
  for (const Purchase& x : r.purchases) {
    const PlanType& t = p.types[x.type];
    purchases.push_back(Json{{"accelerator", t.id},
                             {"origin", t.origin},
                             {"site", p.sites[x.site].name},
                             {"year", x.year},
                             {"nodes", x.nodes},
                             {"devices", x.devices},
                             {"unverified", t.unverified}});
  }
  j["purchases"] = std::move(purchases);
  add_availability(p, j);
  Json rentals = Json::array();
  for (const PlanResult::Rental& x : r.rentals)
    rentals.push_back(
        Json{{"accelerator", p.types[x.type].id}, {"year", x.year}, {"devices", x.devices}});
  j["rentals"] = std::move(rentals);
  j["cost"] = Json{{"capex_usd", r.cost.capex_usd},
                   {"power_usd", r.cost.power_usd},
                   {"operations_usd", r.cost.operations_usd},
                   {"rental_usd", r.cost.rental_usd},
                   {"levies_usd", r.cost.levies_usd},
                   {"expected_shortfall_usd", r.cost.expected_shortfall_usd},
                   {"discount_rate", p.discount_rate}};
  j["domestic_share"] = r.domestic_share;
  j["domestic_share_by_year"] = r.domestic_share_by_year;
  if (p.policy.domestic_share_min) j["domestic_share_min"] = *p.policy.domestic_share_min;
  Json binding = Json::array();
  for (const BindingConstraint& b : r.binding) {
    Json e{{"name", b.name},   {"kind", b.kind}, {"detail", m.render(b.detail)}, {"limit", b.limit},
           {"slack", b.slack}, {"unit", b.unit}, {"step", b.step}};
    e["marginal_usd_per_unit"] =
        b.marginal_usd_per_unit ? Json(*b.marginal_usd_per_unit) : Json(nullptr);
    // Binding, yet relaxing it saves less than the solves' proven gaps: not
    // a price of zero, a price too small to measure.
    if (b.marginal_usd_per_unit && *b.marginal_usd_per_unit == 0)
      e["marginal_note"] = "relaxing it saves less than the solvers' proven gap";
    binding.push_back(std::move(e));
  }
  j["binding_constraints"] = std::move(binding);
  const auto costs = [&m](const std::vector<PolicyCost>& list) {
    Json arr = Json::array();
    for (const PolicyCost& c : list)
      arr.push_back(Json{{"policy", c.policy},
                         {"detail", m.render(c.detail)},
                         {"status_without", std::string(plan_status_name(c.status_without))},
                         {"objective_without_usd", c.objective_without_usd},
                         {"delta_usd", c.delta_usd},
                         {"delta_pct", c.delta_pct},
                         {"tolerance_usd", c.tolerance_usd}});
    return arr;
  };
  j["policy_costs"] = costs(r.policy_costs);
  j["assumption_costs"] = costs(r.assumption_costs);
  Json demands = Json::array();
  for (const DemandOutcome& o : r.demands) {
    const PlanDemand& d = p.demands[o.demand];
    Json alloc = Json::array();
    for (const PlanAllocation& a : o.allocations)
      alloc.push_back(Json{{"accelerator", p.types[a.type].id},
                           {"year", a.year},
                           {"fraction", a.fraction},
                           {"devices", a.devices}});
    Json shortfall = Json::object();
    for (std::size_t k = 0; k < p.scenarios.size(); ++k)
      if (p.scenarios[k].any_cut()) shortfall[p.scenarios[k].name] = o.worst_shortfall[k];
    demands.push_back(Json{{"name", d.name},
                           {"kind", d.kind == DemandKind::kTraining ? "training" : "inference"},
                           {"description", m.render(d.description)},
                           {"tenant", d.tenant},
                           {"sensitive", d.sensitive},
                           {"core", d.core},
                           {"years", Json::array({d.first_year, d.last_year})},
                           {"allocations", std::move(alloc)},
                           {"worst_shortfall_by_scenario", std::move(shortfall)}});
  }
  j["demands"] = std::move(demands);
  Json use = Json::array();
  for (const TypeYearUse& u : r.use)
    use.push_back(Json{{"accelerator", p.types[u.type].id},
                       {"year", u.year},
                       {"owned_devices", u.owned_devices},
                       {"rented_devices", u.rented_devices},
                       {"used_devices", u.used_devices},
                       {"utilisation", u.utilisation()}});
  j["utilisation"] = std::move(use);
  Json conflicts = Json::array();
  for (const Conflict& c : r.conflicts)
    conflicts.push_back(Json{{"name", c.name}, {"kind", c.kind}, {"detail", m.render(c.detail)}});
  j["conflicts"] = std::move(conflicts);
  j["warnings"] = r.warnings;
  Json unverified = Json::object();
  for (const PlanType& t : p.types)
    if (!t.unverified.empty()) unverified[t.id] = t.unverified;
  j["unverified_figures"] = std::move(unverified);
  return j;
}

namespace {

// The plan's first lines: what was solved and how.
std::string plan_head_text(const PlanProblem& p, const PlanResult& r, const Messages& m) {
  std::string out = m.trf(
      "Plan {name}: {status} over {years} year(s), {types} types x {sites} sites, {scenarios} "
      "supply scenarios",
      fmt::arg("name", p.name), fmt::arg("status", m.tr(plan_status_name(r.status))),
      fmt::arg("years", p.years), fmt::arg("types", p.types.size()),
      fmt::arg("sites", p.sites.size()), fmt::arg("scenarios", p.scenarios.size()));
  out += "\n" +
         m.trf("MILP: {variables} variables ({integers} integer), {constraints} constraints; "
               "solved in {seconds} s (gap {gap}); {total} s with policy costs and prices",
               fmt::arg("variables", r.variables), fmt::arg("integers", r.integer_variables),
               fmt::arg("constraints", r.constraints),
               fmt::arg("seconds", fmt::format("{:.2f}", r.solve_time_s)),
               fmt::arg("gap", fmt::format("{:.2g}", r.gap)),
               fmt::arg("total", fmt::format("{:.2f}", r.total_time_s))) +
         "\n";
  return out;
}

// The plan's cost by part and its domestic share by year.
std::string plan_cost_text(const PlanProblem& p, const PlanResult& r, const Messages& m) {
  std::string out =
      m.trf("Total cost {total} USD (discounted at {rate}%/year): capex {capex}, levies {levies}, "
            "energy {energy}, operations and data centre {operations}, rental {rental}, expected "
            "shortfall {shortfall}",
            fmt::arg("total", money(r.objective_usd)),
            fmt::arg("rate", fmt::format("{:.1f}", p.discount_rate * 100)),
            fmt::arg("capex", money(r.cost.capex_usd)), fmt::arg("levies", money(r.cost.levies_usd)),
            fmt::arg("energy", money(r.cost.power_usd)),
            fmt::arg("operations", money(r.cost.operations_usd)),
            fmt::arg("rental", money(r.cost.rental_usd)),
            fmt::arg("shortfall", money(r.cost.expected_shortfall_usd))) +
      "\n";
  std::string shares;
  for (std::size_t y = 0; y < r.domestic_share_by_year.size(); ++y)
    shares += fmt::format("{}y{} {:.1f}%", y ? ", " : "", y + 1, r.domestic_share_by_year[y] * 100);
  out += m.trf("Domestic share of {measure}: {shares}{rule}",
               fmt::arg("measure", m.tr(p.policy.share_measure == ShareMeasure::kCompute ? "compute"
                                                                                        : "devices")),
               fmt::arg("shares", shares),
               fmt::arg("rule", p.policy.domestic_share_min
                                    ? m.trf(" (rule >= {share}%)",
                                            fmt::arg("share", fmt::format(
                                                                  "{:.0f}", *p.policy.domestic_share_min * 100)))
                                    : std::string())) +
         "\n";
  return out;
}

}  // namespace

std::string plan_result_text(const PlanProblem& p, const PlanResult& r, const Messages& m) {
  std::string out = plan_head_text(p, r, m);
  if (r.status == PlanStatus::kInfeasible) {
    if (!r.note.empty()) out += "  " + r.note + "\n";
    if (!r.conflicts.empty()) {
      out +=
          "These constraints cannot all hold together, even with every other item and limit set\n"
          "aside; without any one of them the rest of this set can be met (other conflicts may\n"
          "remain once this one is resolved):\n";
      for (const Conflict& c : r.conflicts) out += fmt::format("  - {}: {}\n", c.name, m.render(c.detail));
    }
    return out;
  }
  out += plan_cost_text(p, r, m);
  out += availability_text(p, r, m);
  out += "\n" + std::string(m.tr("Purchases")) + "\n";
  TextTable buy({"year", "accelerator", "origin", "site", "nodes", "devices"}, m);
  buy.set_right_aligned({0, 4, 5});
  for (const Purchase& x : r.purchases)
    buy.add_row({std::to_string(x.year), marked(p.types[x.type]), p.types[x.type].origin,
                 p.sites[x.site].name, std::to_string(x.nodes), std::to_string(x.devices)});
  for (const PlanResult::Rental& x : r.rentals)
    buy.add_row({std::to_string(x.year), marked(p.types[x.type]), p.types[x.type].origin,
                 std::string(m.tr("(rented)")), "", fmt::format("{:.0f}", x.devices)});
  out += r.purchases.empty() && r.rentals.empty()
             ? "  " + std::string(m.tr("none: the existing fleet suffices")) + "\n"
             : buy.render();
  out += "\n" + std::string(m.tr("Demand")) + "\n";
  TextTable dem({"item", "kind", "served on (year: devices)"}, m);
  for (const DemandOutcome& o : r.demands) {
    const PlanDemand& d = p.demands[o.demand];
    std::string served;
    for (const PlanAllocation& a : o.allocations)
      served += fmt::format("{}y{} {} {:.0f}", served.empty() ? "" : ", ", a.year,
                            p.types[a.type].id, a.devices);
    dem.add_row({d.name + (d.core ? " (core)" : "") + (d.sensitive ? " (sensitive)" : ""),
                 std::string(m.tr(d.kind == DemandKind::kTraining ? "training" : "inference")), served});
  }
  out += dem.render();
  if (!r.binding.empty()) {
    out += "\n" +
           std::string(m.tr("Binding constraints (marginal: objective saved per unit of "
                            "relaxation, measured by re-solving)")) +
           "\n";
    TextTable bind({"constraint", "limit", "marginal", "per"}, m);
    bind.set_right_aligned({2});
    for (const BindingConstraint& b : r.binding)
      bind.add_row(
          {b.name, m.render(b.detail),
           !b.marginal_usd_per_unit         ? std::string("-")
           : *b.marginal_usd_per_unit == 0 ? std::string(m.tr("< solver gap"))
                                           : fmt::format("{:.4g} USD", *b.marginal_usd_per_unit),
           std::string(m.tr(b.unit))});
    out += bind.render();
  }
  if (!r.policy_costs.empty()) {
    out += "\n" + std::string(m.tr("Price of each policy (re-solved without it)")) + "\n";
    TextTable pol({"policy", "what", "cost", "%", "+-"}, m);
    pol.set_right_aligned({2, 3, 4});
    for (const PolicyCost& c : r.policy_costs) {
      if (c.status_without == PlanStatus::kInfeasible)
        pol.add_row({c.policy, m.render(c.detail), std::string(m.tr("no plan without it")), "", ""});
      else if (std::abs(c.delta_usd) <= c.tolerance_usd)
        pol.add_row({c.policy, m.render(c.detail), "~0 USD", "~0%", money(c.tolerance_usd)});
      else
        pol.add_row({c.policy, m.render(c.detail),
                     fmt::format("{}{} USD", c.delta_usd >= 0 ? "+" : "", money(c.delta_usd)),
                     fmt::format("{:+.1f}%", c.delta_pct), money(c.tolerance_usd)});
    }
    out += pol.render();
  }
  for (const std::string& w : r.warnings) out += "warning: " + w + "\n";
  bool any_unverified = false;
  for (const PlanType& t : p.types) any_unverified |= !t.unverified.empty();
  if (any_unverified)
    out +=
        "? = the price, power or speed of this type uses unverified catalog figures "
        "(`suanli catalog show ID`)\n";
  return out;
}

namespace {

nlohmann::ordered_json figure_json(const Figure& f, double value, const std::string& stated_at) {
  nlohmann::ordered_json j{{"value", value}};
  if (!stated_at.empty()) {
    j["source"] = "scenario " + stated_at;
  } else {
    j["source"] = f.source;
    j["confidence"] = std::string(confidence_name(f.confidence));
    if (f.low) j["low"] = *f.low;
    if (f.high) j["high"] = *f.high;
    j["defined_at"] = f.origin;
  }
  return j;
}

std::string stated(const PlanScenario& sc, const std::string& key) {
  auto it = sc.sizing_sources.find(key);
  return it == sc.sizing_sources.end() ? std::string() : it->second;
}

}  // namespace

nlohmann::ordered_json plan_sizing_json(const PlanScenario& sc, const Economics& e) {
  nlohmann::ordered_json j;
  j["utilisation_target"] =
      figure_json(e.utilisation_target, sc.utilisation_target, stated(sc, "utilisation_target"));
  j["peak_to_mean"] = figure_json(e.peak_to_mean, sc.peak_to_mean, stated(sc, "peak_to_mean"));
  nlohmann::ordered_json g;
  g["applied"] = sc.with_goodput;
  if (sc.with_goodput) {
    g["failures_per_million_device_hours"] = figure_json(
        e.failures_per_million_device_hours, sc.goodput.failures_per_device_hour * 1e6, "");
    g["restart_minutes"] = figure_json(e.restart_minutes, sc.goodput.restart_s / 60, "");
    g["checkpoint_write_gbps_per_device"] =
        figure_json(e.checkpoint_write_gbps_per_device,
                    sc.goodput.checkpoint_write_bytes_per_s_per_device / 1e9, "");
    g["checkpoint_bytes_per_param"] =
        figure_json(e.checkpoint_bytes_per_param, sc.goodput.checkpoint_bytes_per_param, "");
  }
  nlohmann::ordered_json items = nlohmann::ordered_json::array();
  const PlanProblem& p = sc.problem;
  for (std::size_t d = 0; d < p.demands.size() && d < sc.sizing.size(); ++d) {
    if (p.demands[d].kind != DemandKind::kTraining) continue;
    for (std::size_t t = 0; t < p.types.size() && t < sc.sizing[d].size(); ++t) {
      const SizingDetail& z = sc.sizing[d][t];
      if (!z.ok) continue;
      items.push_back({{"demand", p.demands[d].name},
                       {"accelerator", p.types[t].id},
                       {"gang_devices", z.unit_devices},
                       {"fleet_devices", z.devices},
                       {"goodput", z.goodput},
                       {"days", z.days},
                       {"steady_state_days", z.steady_days}});
    }
  }
  g["training"] = std::move(items);
  j["goodput"] = std::move(g);
  return j;
}

std::string plan_sizing_text(const PlanScenario& sc, const Economics& e) {
  (void)e;
  double lo = 1;
  double hi = 0;
  for (std::size_t d = 0; d < sc.sizing.size(); ++d) {
    if (sc.problem.demands[d].kind != DemandKind::kTraining) continue;
    for (const SizingDetail& z : sc.sizing[d]) {
      if (!z.ok) continue;
      lo = std::min(lo, z.goodput);
      hi = std::max(hi, z.goodput);
    }
  }
  std::string goodput =
      !sc.with_goodput ? "steady state (goodput = false)"
      : hi <= 0        ? "no training item"
                       : fmt::format("goodput {:.1f}-{:.1f}% of wall time (interruptions, "
                                     "restarts, checkpoints; data/economics.toml)",
                                     lo * 100, hi * 100);
  return fmt::format(
      "Sized with: training gangs meet their deadline at {}, and take gang / {:.0f}% "
      "utilisation target of the fleet{}; inference provisioned for {:g} x its mean rate "
      "(peak-to-mean{})\n",
      goodput, sc.utilisation_target * 100,
      stated(sc, "utilisation_target").empty() ? "" : " (scenario)", sc.peak_to_mean,
      stated(sc, "peak_to_mean").empty() ? ", data/economics.toml" : ", scenario");
}

}  // namespace suanli

#include "report/headline.h"

#include <fmt/format.h>
#include <algorithm>
#include <map>

#include "perf/compare.h"
#include "util/strings.h"

namespace suanli {

namespace {

// The baseline (first foreign candidate) and the domestic type the plan
// runs the first training item on (largest share, earliest year), else the
// domestic type it buys most of; -1 when missing.
std::pair<int, int> headline_pair(const PlanProblem& p, const PlanResult& plan) {
  int base = -1;
  for (int t = 0; t < static_cast<int>(p.types.size()); ++t)
    if (!p.types[t].domestic && base < 0) base = t;
  int other = -1;
  double best = 0;
  int best_year = 1 << 20;
  for (const DemandOutcome& o : plan.demands) {
    if (o.demand < 0 || static_cast<std::size_t>(o.demand) >= p.demands.size() ||
        p.demands[o.demand].kind != DemandKind::kTraining)
      continue;
    for (const auto& a : o.allocations) {
      if (a.type < 0 || static_cast<std::size_t>(a.type) >= p.types.size() ||
          !p.types[a.type].domestic)
        continue;
      if (a.year < best_year || (a.year == best_year && a.fraction > best)) {
        best_year = a.year;
        best = a.fraction;
        other = a.type;
      }
    }
    if (other >= 0) break;  // the first training item the plan serves on a domestic type
  }
  if (other < 0) {
    std::map<int, long long> bought;
    for (const Purchase& x : plan.purchases) bought[x.type] += x.devices;
    for (int t = 0; t < static_cast<int>(p.types.size()); ++t)
      if (p.types[t].domestic && (other < 0 || bought[t] > bought[other])) other = t;
  }
  return {base, other};
}

std::string num_text(double v) { return fmt::format("{:g}", v); }

// The CLI command that builds `r` (the flags make_train_workload reads).
std::string command_for(const TrainRequest& r, const std::string& base, const std::string& other,
                        int devices) {
  std::string cmd = fmt::format("suanli compare train --model {} --tokens {:g} --precision {}",
                                r.model, r.tokens, r.precision);
  cmd += fmt::format(" --devices {} --accels {},{}", devices, base, other);
  if (!r.cost.levy.empty()) cmd += " --levy " + r.cost.levy;
  if (r.cost.pue) cmd += " --pue " + num_text(*r.cost.pue);
  if (r.cost.tariff_usd_per_kwh)
    cmd += " --tariff-usd-per-kwh " + num_text(*r.cost.tariff_usd_per_kwh);
  if (r.cost.power_load_factor)
    cmd += " --power-load-factor " + num_text(*r.cost.power_load_factor);
  if (r.cost.node_power_overhead)
    cmd += " --node-power-overhead " + num_text(*r.cost.node_power_overhead);
  return cmd;
}

nlohmann::json buy_json(const PlanScenario& sc, const PlanResult& plan, const Messages& m) {
  const PlanProblem& p = sc.problem;
  if (plan.status == PlanStatus::kInfeasible) {
    return {
        {"sentence", m.tr("No plan meets the demand under the scenario's rules (see the plan).")}};
  }
  std::map<int, std::map<int, long long>> by_year;  // year -> type -> devices
  for (const Purchase& x : plan.purchases) by_year[x.year][x.type] += x.devices;
  std::vector<std::string> years;
  for (const auto& [y, types] : by_year) {
    std::vector<std::string> parts;
    for (const auto& [t, n] : types)
      parts.push_back(fmt::format("{} {}", thousands(n), p.types[t].id));
    years.push_back(m.trf("year {year}: {devices}", fmt::arg("year", y),
                          fmt::arg("devices", join(parts, ", "))));
  }
  const std::string cost = fmt::format("{:.1f}", plan.objective_usd / 1e6);
  const std::string share = fmt::format("{:.0f}", plan.domestic_share * 100);
  std::string sentence =
      years.empty()
          ? m.trf(
                "Buy nothing: the existing fleet meets the demand, for {cost} M USD discounted "
                "over {years} years; domestic share at least {share}%",
                fmt::arg("cost", cost), fmt::arg("years", p.years), fmt::arg("share", share))
          : m.trf(
                "Buy {purchases}, for {cost} M USD discounted over {years} years; domestic "
                "share at least {share}%",
                fmt::arg("purchases", join(years, "; ")), fmt::arg("cost", cost),
                fmt::arg("years", p.years), fmt::arg("share", share));
  for (const PolicyCost& c : plan.assumption_costs) {
    sentence += c.status_without == PlanStatus::kInfeasible
                    ? m.trf(". It assumes {assumption}; without it no plan meets the demand",
                            fmt::arg("assumption", m.render(c.detail)))
                    : m.trf(". It assumes {assumption}; without it: {cost} M USD",
                            fmt::arg("assumption", m.render(c.detail)),
                            fmt::arg("cost", fmt::format("{:.1f}", c.objective_without_usd / 1e6)));
  }
  return {{"sentence", sentence + std::string(m.tr("."))}};
}

}  // namespace

TrainRequest headline_train_request(const PlanScenario& sc) {
  TrainRequest r;
  if (sc.training.empty()) return r;
  r = sc.training.front().run;  // the plan sized this run
  r.steady_state = !sc.with_goodput;
  std::vector<std::string> levies;
  for (const auto& [id, f] : sc.cost.levy)
    if (f > 0) levies.push_back(fmt::format("{}={:g}", id, f));
  r.cost.levy = join(levies, ",");
  r.cost.pue = sc.cost.pue;
  r.cost.tariff_usd_per_kwh = sc.cost.tariff_usd_per_kwh;
  r.cost.power_load_factor = sc.cost.power_load_factor;
  r.cost.node_power_overhead = sc.cost.node_power_overhead;
  return r;
}

nlohmann::json headline_json(const PlanScenario& sc, const PlanResult& plan, const Catalog& catalog,
                             const Messages& m) {
  nlohmann::json out{{"worth", nullptr}, {"buy", buy_json(sc, plan, m)}};
  const PlanProblem& p = sc.problem;
  const auto [base, other] = headline_pair(p, plan);
  if (sc.training.empty() || base < 0 || other < 0 || sc.sizing.empty()) return out;
  const SizingDetail& zb = sc.sizing[0][base];
  const SizingDetail& zo = sc.sizing[0][other];
  const int devices = zb.ok ? zb.unit_devices : zo.unit_devices;
  if (devices <= 0) return out;
  const TrainRequest r = headline_train_request(sc);
  auto w = make_train_workload(catalog, r);
  if (!w) return out;
  const std::string& b = p.types[base].id;
  const std::string& o = p.types[other].id;
  auto rows = compare_train(catalog, *w, {b, o}, CompareSizing{devices, {}});
  if (!rows || rows->size() != 2 || !(*rows)[0].ok || !(*rows)[1].ok) return out;
  const TrainCompareRow& rb = (*rows)[0];
  const TrainCompareRow& ro = (*rows)[1];
  nlohmann::json worth{{"baseline", b},
                       {"other", o},
                       {"devices", devices},
                       {"workload", sc.training.front().name},
                       {"relative_speed", ro.relative_speed},
                       {"relative_cost_performance", ro.relative_cost_performance},
                       {"cost_basis", w->cost.describe(m)},
                       {"command", command_for(r, b, o, devices)}};
  std::string range;
  if (ro.interval && ro.estimate.tokens_per_s > 0) {
    const double lo = ro.interval->tokens_per_s.p10 / ro.estimate.tokens_per_s;
    const double hi = ro.interval->tokens_per_s.p90 / ro.estimate.tokens_per_s;
    worth["range"] = {ro.relative_cost_performance * lo, ro.relative_cost_performance * hi};
    range = m.trf(" (p10-p90 {low}-{high}x from the {accelerator} estimate's range)",
                  fmt::arg("low", fmt::format("{:.2f}", ro.relative_cost_performance * lo)),
                  fmt::arg("high", fmt::format("{:.2f}", ro.relative_cost_performance * hi)),
                  fmt::arg("accelerator", o));
  }
  worth["sentence"] = m.trf(
      "For {workload} ({model}, {tokens} tokens) on {devices} devices of each, {other} trains at "
      "{speed}x the speed of {baseline} and gives {value}x its training throughput per dollar of "
      "ownership{range}; time to train {days_other} vs {days_baseline} days, goodput counted.",
      fmt::arg("workload", sc.training.front().name), fmt::arg("model", r.model),
      fmt::arg("tokens", fmt::format("{:g}", r.tokens)), fmt::arg("devices", thousands(devices)),
      fmt::arg("other", o), fmt::arg("speed", fmt::format("{:.2f}", ro.relative_speed)),
      fmt::arg("baseline", b),
      fmt::arg("value", fmt::format("{:.2f}", ro.relative_cost_performance)),
      fmt::arg("range", range),
      fmt::arg("days_other", fmt::format("{:.0f}", ro.totals.time_to_train_days)),
      fmt::arg("days_baseline", fmt::format("{:.0f}", rb.totals.time_to_train_days)));
  out["worth"] = std::move(worth);
  return out;
}

}  // namespace suanli

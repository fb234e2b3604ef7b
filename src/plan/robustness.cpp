#include "plan/robustness.h"

#include <fmt/format.h>
#include <algorithm>
#include <cmath>
#include <map>

#include "util/share_dir.h"
#include "util/strings.h"
#include "util/table.h"

namespace suanli {

namespace {

// "file:line" of a catalog figure, relative to the bundled share folder
// when it lies there (a report never names a machine's paths).
std::string shared_relative(const std::string& origin) {
  const std::string root = share_dir().generic_string() + "/";
  return origin.rfind(root, 0) == 0 ? origin.substr(root.size()) : origin;
}

// Devices bought per type over the horizon.
std::map<int, long long> bought(const std::vector<Purchase>& purchases) {
  std::map<int, long long> out;
  for (const Purchase& x : purchases) out[x.type] += x.devices;
  return out;
}

// One perturbed problem: `apply` changes a copy of the chosen problem.
struct Perturbation {
  std::string key;
  Text label, source;
  double base = 0, low = 0, high = 0;
  std::function<void(PlanProblem&, double)> apply;  // sets the input to a value
};

// The perturbations with a range: catalog price ranges of candidates
// priced from the catalog, and the estimate's throughput interval.
std::vector<Perturbation> perturbations(const PlanScenario& sc, const Catalog& catalog) {
  std::vector<Perturbation> out;
  const PlanProblem& p = sc.problem;
  for (std::size_t t = 0; t < p.types.size(); ++t) {
    const PlanType& ty = p.types[t];
    auto a = catalog.accelerator(ty.id);
    auto own = sc.cost.price_usd.find(ty.id);
    if (a && (*a)->price_usd && own != sc.cost.price_usd.end() &&
        own->second == (*a)->price_usd->value && ((*a)->price_usd->low || (*a)->price_usd->high)) {
      const Figure& f = *(*a)->price_usd;
      Perturbation x;
      x.key = "price:" + ty.id;
      x.label = Text("{accelerator} price (USD per device)", {{"accelerator", ty.id}});
      x.source = Text("catalog price_usd {value} ({confidence}), {where}",
                      {{"value", fmt::format("{}", f.value)},
                       {"confidence", std::string(confidence_name(f.confidence))},
                       {"where", shared_relative(f.origin)}});
      x.base = f.value;
      x.low = f.low.value_or(f.value);
      x.high = f.high.value_or(f.value);
      const double node_price = ty.node_price_usd;
      x.apply = [t, node_price, base = f.value](PlanProblem& q, double v) {
        q.types[t].node_price_usd = node_price * v / base;
      };
      out.push_back(std::move(x));
    }
    // Throughput: the median p10 and p90 ratios over the demands it can serve.
    std::vector<double> lo, hi;
    for (std::size_t d = 0; d < sc.sizing.size(); ++d) {
      const SizingDetail& z = sc.sizing[d][t];
      if (!z.ok) continue;
      lo.push_back(z.rate_p10_ratio);
      hi.push_back(z.rate_p90_ratio);
    }
    if (lo.empty()) continue;
    std::sort(lo.begin(), lo.end());
    std::sort(hi.begin(), hi.end());
    const double l = lo[lo.size() / 2];
    const double h = hi[hi.size() / 2];
    if (std::abs(l - 1) < 1e-3 && std::abs(h - 1) < 1e-3) continue;
    Perturbation x;
    x.key = "rate:" + ty.id;
    x.label = Text("{accelerator} throughput (x the estimate)", {{"accelerator", ty.id}});
    x.source = Text("the estimate's p10-p90 (catalog figure ranges and out-of-sample residuals)");
    x.base = 1;
    x.low = l;
    x.high = h;
    x.apply = [t](PlanProblem& q, double v) {
      for (PlanDemand& d : q.demands)
        if (d.devices[t] > 0) d.devices[t] /= v;
    };
    out.push_back(std::move(x));
  }
  return out;
}

RobustnessCase evaluate(const PlanScenario& sc, const PlanResult& chosen, const Perturbation& x,
                        const char* side, double value, const RobustnessOptions& ro) {
  RobustnessCase c;
  c.side = side;
  c.value = value;
  PlanProblem q = sc.problem;
  x.apply(q, value);
  PlanOptions o;
  o.time_limit_s = ro.time_limit_s;
  o.max_nodes = ro.max_nodes;
  o.relative_gap = ro.relative_gap;
  o.policy_costs = false;
  o.marginal_prices = false;
  o.explain_infeasible = false;
  o.cancelled = ro.cancelled;
  o.start = &chosen.solution;  // the chosen plan: feasible at most perturbed inputs
  auto best = solve_plan(q, o);
  if (best) {
    c.status = best->status;
    c.cost_usd = best->objective_usd;
    c.timed_out = best->status == PlanStatus::kInfeasible && !best->note.empty();
  }
  o.fixed_purchases = &chosen.purchases;
  o.start = nullptr;  // the fixed build has other columns
  auto fixed = solve_plan(q, o);
  if (fixed && fixed->status != PlanStatus::kInfeasible) c.chosen_cost_usd = fixed->objective_usd;
  if (c.chosen_cost_usd && best && best->status != PlanStatus::kInfeasible) {
    const double tol = ro.relative_gap * (c.cost_usd + *c.chosen_cost_usd);
    c.regret_usd = std::max(0.0, *c.chosen_cost_usd - c.cost_usd);
    if (c.regret_usd <= tol) c.regret_usd = 0;
  }
  if (best && best->status != PlanStatus::kInfeasible) {
    const auto was = bought(chosen.purchases);
    const auto now = bought(best->purchases);
    long long total = 0;
    for (const auto& [t, n] : was) total += n;
    double moved = 0;
    for (std::size_t t = 0; t < q.types.size(); ++t) {
      const int ti = static_cast<int>(t);
      const long long a = was.contains(ti) ? was.at(ti) : 0;
      const long long b = now.contains(ti) ? now.at(ti) : 0;
      moved += std::abs(static_cast<double>(b - a));
      // A flip: bought or dropped, or a change of a tenth or more.
      if ((a == 0) != (b == 0) || std::abs(static_cast<double>(b - a)) >= 0.1 * std::max(a, b)) {
        if (a != b)
          c.flips.push_back(
              Text("{accelerator} {from} -> {to} devices",
                   {{"accelerator", q.types[t].id}, {"from", thousands(a)}, {"to", thousands(b)}}));
      }
    }
    c.mix_change = total > 0 ? moved / static_cast<double>(total) : 0;
  }
  return c;
}

}  // namespace

Result<RobustnessResult> plan_robustness(const PlanScenario& sc, const PlanResult& chosen,
                                         const Catalog& catalog, const RobustnessOptions& ro) {
  RobustnessResult out;
  out.base_cost_usd = chosen.objective_usd;
  out.per_solve_time_limit_s = ro.time_limit_s;
  out.per_solve_node_limit = ro.max_nodes;
  out.relative_gap = ro.relative_gap;
  if (chosen.status == PlanStatus::kInfeasible) return out;
  const std::vector<Perturbation> xs = perturbations(sc, catalog);
  int done = 0;
  for (const Perturbation& x : xs) {
    if (ro.cancelled && ro.cancelled()) return fail(ErrorCode::kCancelled, "robustness cancelled");
    RobustnessInput in;
    in.key = x.key;
    in.label = x.label;
    in.source = x.source;
    in.base = x.base;
    in.low = evaluate(sc, chosen, x, "low", x.low, ro);
    in.high = evaluate(sc, chosen, x, "high", x.high, ro);
    for (const RobustnessCase* c : {&in.low, &in.high})
      if (c->status != PlanStatus::kInfeasible)
        in.swing_usd = std::max(in.swing_usd, std::abs(c->cost_usd - out.base_cost_usd));
    out.inputs.push_back(std::move(in));
    if (ro.progress) ro.progress(++done, static_cast<int>(xs.size()));
  }
  auto mix = [](const RobustnessInput& i) { return std::max(i.low.mix_change, i.high.mix_change); };
  std::stable_sort(out.inputs.begin(), out.inputs.end(),
                   [&](const RobustnessInput& a, const RobustnessInput& b) {
                     if (a.swing_usd != b.swing_usd) return a.swing_usd > b.swing_usd;
                     return mix(a) > mix(b);
                   });
  if (static_cast<int>(out.inputs.size()) > ro.max_inputs) out.inputs.resize(ro.max_inputs);
  return out;
}

namespace {

std::vector<std::string> rendered(const std::vector<Text>& texts, const Messages& m) {
  std::vector<std::string> out;
  for (const Text& t : texts) out.push_back(m.render(t));
  return out;
}

nlohmann::ordered_json case_json(const RobustnessCase& c, const Messages& m) {
  nlohmann::ordered_json j{
      {"side", c.side},
      {"value", c.value},
      {"status", std::string(plan_status_name(c.status))},
      {"cost_usd", c.status == PlanStatus::kInfeasible ? nlohmann::ordered_json(nullptr)
                                                       : nlohmann::ordered_json(c.cost_usd)},
      {"chosen_plan_cost_usd", c.chosen_cost_usd ? nlohmann::ordered_json(*c.chosen_cost_usd)
                                                 : nlohmann::ordered_json(nullptr)},
      {"regret_usd", c.regret_usd},
      {"mix_change", c.mix_change},
      {"flips", rendered(c.flips, m)}};
  if (c.timed_out)
    j["note"] = m.tr("no plan found within the search limits (not proven infeasible)");
  if (!c.chosen_cost_usd)
    j["chosen_plan_note"] =
        m.tr("the chosen purchases no longer satisfy the scenario here (demand, budget or rules)");
  return j;
}

}  // namespace

nlohmann::ordered_json robustness_json(const RobustnessResult& r, const Messages& m) {
  nlohmann::ordered_json inputs = nlohmann::ordered_json::array();
  for (const RobustnessInput& i : r.inputs) {
    inputs.push_back({{"input", i.key},
                      {"label", m.render(i.label)},
                      {"source", m.render(i.source)},
                      {"base", i.base},
                      {"swing_usd", i.swing_usd},
                      {"low", case_json(i.low, m)},
                      {"high", case_json(i.high, m)}});
  }
  return {{"base_cost_usd", r.base_cost_usd},
          {"method",
           "each input at its range's ends: the plan re-solved (best plan at that value) and the "
           "chosen purchases re-costed (regret = chosen - best)"},
          {"per_solve_time_limit_s", r.per_solve_time_limit_s},
          {"per_solve_node_limit", r.per_solve_node_limit},
          {"relative_gap", r.relative_gap},
          {"inputs", std::move(inputs)}};
}

std::string robustness_text(const RobustnessResult& r, const Messages& messages) {
  if (r.inputs.empty()) return "";
  std::string out =
      "\n" +
      std::string(messages.tr("Robustness (each input at its range's ends; cost re-solved: none = "
                              "no plan meets the demand there; regret of the chosen purchases: "
                              "breaks = they no longer satisfy the scenario):")) +
      "\n";
  TextTable t({"input", "low .. high", "cost M USD", "regret M USD", "decisions that flip"},
              messages);
  t.set_right_aligned({2, 3});
  auto m = [](const RobustnessCase& c) {
    if (c.status != PlanStatus::kInfeasible) return fmt::format("{:.1f}", c.cost_usd / 1e6);
    return std::string(c.timed_out ? "timeout" : "none");
  };
  auto regret = [](const RobustnessCase& c) {
    return c.chosen_cost_usd ? fmt::format("{:.1f}", c.regret_usd / 1e6) : std::string("breaks");
  };
  for (const RobustnessInput& i : r.inputs) {
    std::vector<std::string> flips;
    for (const RobustnessCase* c : {&i.low, &i.high})
      if (!c->flips.empty())
        flips.push_back(fmt::format("{}: {}", c->side, join(rendered(c->flips, messages), ", ")));
    t.add_row({i.key, fmt::format("{:.4g} .. {:.4g}", i.low.value, i.high.value),
               m(i.low) + " .. " + m(i.high), regret(i.low) + " .. " + regret(i.high),
               flips.empty() ? "none" : join(flips, "; ")});
  }
  return out + t.render();
}

}  // namespace suanli

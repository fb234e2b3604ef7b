// `suanli plan SCENARIO.toml`: sizes the scenario's demand on every
// candidate type with the estimator, solves the procurement MILP with CBC,
// and prints the plan, its cost, binding constraints and the price of each
// policy; with --sweep, the frontier over a grid of overrides.
#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>

#include "app/app.h"
#include "plan/plan_json.h"
#include "plan/plan_scenario.h"
#include "plan/planner.h"
#include "plan/robustness.h"
#include "plan/plan_sheets.h"
#include "plan/sweep.h"
#include "report/xlsx_workbook.h"
#include "util/sheet.h"
#include "util/strings.h"

namespace suanli::app {

namespace {

struct PlanState {
  std::string scenario;
  std::vector<std::string> sets;
  std::vector<std::string> sweeps;
  std::string csv;
  std::string xlsx;
  std::string mps;
  std::optional<double> time_limit_s;
  std::optional<double> gap;
  bool no_policy_costs = false;
  bool no_prices = false;
  bool no_robustness = false;
  double robustness_time_limit_s = RobustnessOptions{}.time_limit_s;
  bool solver_log = false;
  bool json = false;
  bool quiet = false;
};

// --xlsx FILE and --csv DIR of one plan: the tables of plan_sheets().
int write_plan_sheets(Context& ctx, const PlanState& s, const nlohmann::ordered_json& plan) {
  const auto sheets = plan_sheets(plan);
  if (!s.xlsx.empty()) {
    if (auto ok = write_xlsx(s.xlsx, sheets); !ok) return ctx.report(ok.error());
    if (!s.quiet) ctx.err() << fmt::format("workbook written to {} ({} sheets)\n", s.xlsx, sheets.size());
  }
  if (!s.csv.empty()) {
    if (auto ok = write_sheets_csv(s.csv, sheets); !ok) return ctx.report(ok.error());
    if (!s.quiet) ctx.err() << fmt::format("{} CSV files written to {}/\n", sheets.size(), s.csv);
  }
  return kExitOk;
}

int run_plan(Context& ctx, const PlanState& s) {
  auto catalog = ctx.catalog();
  if (!catalog) return ctx.report(catalog.error());
  auto sets = parse_set_args(s.sets);
  if (!sets) return ctx.report(sets.error());
  const std::vector<PlanOverride>& overrides = *sets;
  // A sweep's points default to a looser gap and a shorter limit than one plan.
  PlanOptions options = s.sweeps.empty() ? PlanOptions{} : default_sweep_options();
  if (s.time_limit_s) options.time_limit_s = *s.time_limit_s;
  if (s.gap) options.relative_gap = *s.gap;
  options.policy_costs = !s.no_policy_costs;
  options.marginal_prices = !s.no_prices;
  options.solver_log = s.solver_log && !s.json;
  options.mps_path = s.mps;

  if (!s.sweeps.empty()) {
    auto sweeps = parse_sweep_args(s.sweeps);
    if (!sweeps) return ctx.report(sweeps.error());
    auto result = run_sweep(s.scenario, **catalog, overrides, *sweeps, options,
                            [&](int done, int total, const SweepPoint& p) {
                              if (s.quiet) return;
                              ctx.err() << fmt::format(
                                  "sweep {}/{}: {} {}\n", done, total, fmt::join(p.values, " "),
                                  p.error.empty() ? plan_status_name(p.status) : "error");
                            });
    if (!result) return ctx.report(result.error());
    if (!s.csv.empty()) {
      std::ofstream f(s.csv);
      f << sweep_csv(*result);
      if (!f) return ctx.report(Error{ErrorCode::kIo, fmt::format("cannot write {}", s.csv)});
      if (!s.quiet) ctx.err() << "frontier written to " << s.csv << "\n";
    }
    if (s.json)
      ctx.out() << sweep_json(*result).dump(2) << "\n";
    else
      ctx.out() << sweep_text(*result);
    return kExitOk;
  }

  if (!s.quiet) ctx.err() << "sizing demand on every candidate type with the estimator...\n";
  auto scenario = load_plan_scenario(s.scenario, **catalog, overrides);
  if (!scenario) return ctx.report(scenario.error());
  if (!s.quiet)
    ctx.err() << fmt::format(
        "solving ({} types, {} sites, {} demand items, {} supply scenarios)...\n",
        scenario->problem.types.size(), scenario->problem.sites.size(),
        scenario->problem.demands.size(), scenario->problem.scenarios.size());
  auto result = solve_scenario_plan(*scenario, options);
  if (!result) return ctx.report(result.error());
  std::optional<RobustnessResult> robust;
  if (!s.no_robustness && result->status != PlanStatus::kInfeasible) {
    RobustnessOptions ro;
    ro.time_limit_s = s.robustness_time_limit_s;
    if (!s.quiet) {
      ctx.err() << "robustness: re-solving at each end of the price and throughput ranges...\n";
      ro.progress = [&ctx](int done, int total) {
        ctx.err() << fmt::format("  robustness {}/{}\n", done, total);
      };
    }
    auto r = plan_robustness(*scenario, *result, **catalog, ro);
    if (!r) return ctx.report(r.error());
    robust = std::move(*r);
  }
  // The JSON document only when something prints or reads it (the
  // spreadsheets are built from it, so their figures are the JSON's).
  auto messages = ctx.messages();
  if (!messages) return ctx.report(messages.error());
  const Messages& m = **messages;
  if (s.json || !s.xlsx.empty() || !s.csv.empty()) {
    auto j = plan_result_json(scenario->problem, *result, m);
    j["scenario"] = s.scenario;
    j["sizing"] = plan_sizing_json(*scenario, (*catalog)->economics());
    j["robustness"] = robust ? robustness_json(*robust, m) : nlohmann::ordered_json(nullptr);
    if (int rc = write_plan_sheets(ctx, s, j); rc != kExitOk) return rc;
    if (s.json) ctx.out() << j.dump(2) << "\n";
  }
  if (!s.json) {
    ctx.out() << plan_result_text(scenario->problem, *result, m)
              << plan_sizing_text(*scenario, (*catalog)->economics())
              << (robust ? robustness_text(*robust, m) : std::string());
  }
  return result->status == PlanStatus::kInfeasible ? kExitBadInput : kExitOk;
}

}  // namespace

void register_plan(CLI::App& app, Context& ctx) {
  auto state = std::make_shared<PlanState>();
  auto* cmd = app.add_subcommand(
      "plan",
      "Procurement plan (docs/plan-format.md, docs/plan-model.md): what to buy, where and when, "
      "at least discounted cost, under budget, power, racks, supply caps, the domestic-share rule, "
      "sensitive-data rules and supply-cut scenarios; solved to proven optimality with COIN-OR "
      "CBC. "
      "Prints the binding constraints with measured marginal prices and the price of each policy "
      "(re-solved without it); an infeasible plan names an irreducible set of conflicting "
      "constraints (exit 2)");
  cmd->add_option("scenario", state->scenario, "Plan scenario TOML file")
      ->required()
      ->check(CLI::ExistingFile);
  cmd->add_option("--set", state->sets,
                  "Override a scenario key, e.g. --set candidate.h200-sxm.levy=0.5 (repeatable)");
  auto* sweep = cmd->add_option(
      "--sweep", state->sweeps,
      "Re-solve over values of a key, e.g. --sweep policy.domestic_share_min=0.3,0.5,0.7; "
      "repeat for a grid");
  cmd->add_option("--csv", state->csv,
                  "One plan: write its tables as CSV files into this directory (purchases, "
                  "rentals, cost, policy_prices, binding_constraints, domestic_share; units in "
                  "the headers). With --sweep: write the frontier to this CSV file");
  cmd->add_option("--xlsx", state->xlsx,
                  "Write the plan's tables as one Excel workbook (a sheet each: purchases by year "
                  "and site, rentals, cost breakdown, policy prices, binding constraints, domestic "
                  "share; units in the headers); not with --sweep")
      ->excludes(sweep);
  const PlanOptions plan_defaults;
  const PlanOptions sweep_defaults = default_sweep_options();
  const RobustnessOptions robustness_defaults;
  cmd->add_option("--time-limit", state->time_limit_s,
                  fmt::format("Seconds per solve, a backstop (default {:g}; {:g} per sweep point): a "
                              "solve stops first after {} branch-and-bound nodes ({} per sweep "
                              "point), the same on every machine",
                              plan_defaults.time_limit_s, sweep_defaults.time_limit_s,
                              thousands(plan_defaults.max_nodes),
                              thousands(sweep_defaults.max_nodes)))
      ->check(CLI::PositiveNumber);
  cmd->add_option("--gap", state->gap,
                  fmt::format("Relative optimality gap proven before stopping (default {:g} = "
                              "{:g}%, {:g} for sweep points; 0 = exact)",
                              plan_defaults.relative_gap, plan_defaults.relative_gap * 100,
                              sweep_defaults.relative_gap))
      ->check(CLI::Range(0.0, 1.0));
  cmd->add_flag("--no-policy-costs", state->no_policy_costs, "Skip re-solving without each policy");
  cmd->add_flag("--no-prices", state->no_prices,
                "Skip measuring marginal prices of binding limits");
  cmd->add_flag("--no-robustness", state->no_robustness,
                "Skip the robustness pass (each catalog price and throughput range's ends: the "
                "plan re-solved, the chosen purchases re-costed, the decisions that flip)");
  cmd->add_option("--robustness-time-limit", state->robustness_time_limit_s,
                  fmt::format("Seconds per robustness re-solve, a backstop (default {:g}; a "
                              "re-solve stops first after {} branch-and-bound nodes, the same on "
                              "every machine; gap {:g}%)",
                              robustness_defaults.time_limit_s,
                              thousands(robustness_defaults.max_nodes),
                              robustness_defaults.relative_gap * 100))
      ->check(CLI::PositiveNumber);
  cmd->add_option(
      "--write-mps", state->mps,
      "Write the main model in MPS format (for other solvers; CBC gzips it: FILE.mps.gz)");
  cmd->add_flag("--solver-log", state->solver_log, "Show CBC's log (not with --json)");
  cmd->add_flag("--json", state->json, "Print JSON");
  cmd->add_flag("--quiet", state->quiet, "No progress messages on stderr");
  cmd->callback([&ctx, state] { ctx.action() = [&ctx, state] { return run_plan(ctx, *state); }; });
}

}  // namespace suanli::app

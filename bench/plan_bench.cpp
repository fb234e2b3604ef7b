// The procurement planner at scale (issue goal: a plan with 30 accelerator
// types x 5 sites x 10 risk scenarios proven optimal in under 5 s). Every
// benchmark solves once and reports whether CBC proved optimality within
// the default relative gap (PlanOptions::relative_gap, 0.1%) as a counter
// rather than failing: a seed that only reaches "feasible" shows up as
// proven_optimal = 0 with its gap. The same problems with one (status quo)
// scenario are the baseline measured in the same run, so the ratio shows
// what planning for supply cuts costs. BM_PlanDemo is what `make demo`
// solves: the bundled example with policy costs and marginal prices.
#include <benchmark/benchmark.h>

#include <chrono>
#include <filesystem>
#include <string>

#include "bundled_catalog.h"
#include "catalog/catalog.h"
#include "plan/plan_scenario.h"
#include "plan/planner.h"
#include "plan/synthetic_plan.h"

namespace suanli {
namespace {

using bench::bundled_catalog;

void report(benchmark::State& state, const PlanResult& r) {
  state.counters["proven_optimal"] = r.status == PlanStatus::kOptimal ? 1 : 0;
  state.counters["feasible_only"] = r.status == PlanStatus::kFeasible ? 1 : 0;
  state.counters["gap"] = r.gap;
  state.counters["variables"] = r.variables;
  state.counters["integers"] = r.integer_variables;
  state.counters["constraints"] = r.constraints;
  state.counters["solve_s"] = r.solve_time_s;
  state.counters["total_s"] = r.total_time_s;
  state.counters["objective_musd"] = r.objective_usd / 1e6;
}

void solve_synthetic(benchmark::State& state, std::uint64_t seed, int scenarios,
                     double time_limit_s) {
  SyntheticPlanOptions so;  // 30 types x 5 sites, 4 training + 8 inference, 3 years, risk both
  so.seed = seed;
  so.scenarios = scenarios;
  const PlanProblem problem = synthetic_plan(so);
  PlanOptions po;  // default relative gap
  po.time_limit_s = time_limit_s;
  po.policy_costs = false;
  po.marginal_prices = false;
  PlanResult last;
  for (auto _ : state) {
    auto r = solve_plan(problem, po);
    if (!r) {
      state.SkipWithError(r.error().message.c_str());
      return;
    }
    last = std::move(*r);
  }
  state.SetLabel(std::string(plan_status_name(last.status)));
  report(state, last);
  state.counters["seed"] = static_cast<double>(seed);
}

// The seeds CBC proves quickly (seed 9 is measured on its own below).
void easy_seeds(benchmark::internal::Benchmark* b) {
  b->ArgName("seed");
  for (int seed : {7, 8, 10, 11, 12}) b->Arg(seed);
  b->Iterations(1)->Unit(benchmark::kMillisecond);
}

void BM_PlanSynthetic(benchmark::State& state) {
  solve_synthetic(state, static_cast<std::uint64_t>(state.range(0)), 10, 60);
}
BENCHMARK(BM_PlanSynthetic)->Name("BM_PlanSynthetic/30types_5sites_10scenarios")->Apply(easy_seeds);

// Baseline: the same problems without supply-cut scenarios (status quo only).
void BM_PlanSyntheticBaseline(benchmark::State& state) {
  solve_synthetic(state, static_cast<std::uint64_t>(state.range(0)), 1, 60);
}
BENCHMARK(BM_PlanSyntheticBaseline)
    ->Name("BM_PlanSynthetic/30types_5sites_1scenario")
    ->Apply(easy_seeds);

// Seed 9 is known to be hard: CBC needs about 40 s to prove the 0.1% gap.
// Kept apart (60 s limit) so the spread across seeds is visible.
void BM_PlanSyntheticHardSeed(benchmark::State& state) { solve_synthetic(state, 9, 10, 60); }
BENCHMARK(BM_PlanSyntheticHardSeed)->Iterations(1)->Unit(benchmark::kSecond);

void BM_PlanDemo(benchmark::State& state) {
  const Catalog* catalog = bundled_catalog();
  if (catalog == nullptr) {
    state.SkipWithError("bundled catalog did not load");
    return;
  }
  const auto file =
      std::filesystem::path(SUANLI_SOURCE_DIR) / "examples" / "plan-2027-h200-return.toml";
  PlanResult last;
  double load_s = 0;
  for (auto _ : state) {
    const auto t0 = std::chrono::steady_clock::now();
    auto scenario = load_plan_scenario(file, *catalog);
    if (!scenario) {
      state.SkipWithError(scenario.error().message.c_str());
      return;
    }
    load_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    PlanOptions po;  // full: policy costs and marginal prices
    auto r = solve_plan(scenario->problem, po);
    if (!r) {
      state.SkipWithError(r.error().message.c_str());
      return;
    }
    last = std::move(*r);
  }
  state.SetLabel(std::string(plan_status_name(last.status)));
  report(state, last);
  state.counters["load_and_size_s"] = load_s;
  state.counters["policy_costs"] = static_cast<double>(last.policy_costs.size());
  state.counters["binding"] = static_cast<double>(last.binding.size());
}
BENCHMARK(BM_PlanDemo)->Iterations(1)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace suanli

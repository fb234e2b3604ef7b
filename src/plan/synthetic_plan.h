// A generated procurement problem of a given size (types x sites x risk
// scenarios), for the planner benchmark and scale tests. Deterministic for
// a seed; the numbers are plausible (prices, speeds and power spread as in
// the catalog) but invented.
#pragma once

#include <cstdint>

#include "plan/plan_problem.h"

namespace suanli {

struct SyntheticPlanOptions {
  int types = 30;
  int sites = 5;
  int scenarios = 10;  // the first is the status quo, the others cut supply lines
  int training = 4;
  int inference = 8;
  int years = 3;
  RiskMode risk = RiskMode::kBoth;
  std::uint64_t seed = 7;
};

PlanProblem synthetic_plan(const SyntheticPlanOptions& options);

}  // namespace suanli

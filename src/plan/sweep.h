// Sweeps: re-solve a plan scenario over a grid of key overrides (e.g. the
// H200 levy x the domestic-share rule) and collect the frontier: cost,
// domestic share and mix at every point.
#pragma once

#include <filesystem>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "catalog/catalog.h"
#include "plan/plan_scenario.h"
#include "plan/planner.h"

namespace suanli {

// "policy.domestic_share_min=0.3,0.5,1" (values are TOML literals; commas
// inside [..] or quotes do not split).
Result<PlanSweep> parse_sweep_arg(std::string_view text);
// "candidate.h200-sxm.levy=0.5"
Result<PlanOverride> parse_set_arg(std::string_view text);
// Every --set / --sweep argument of a command line.
Result<std::vector<PlanOverride>> parse_set_args(const std::vector<std::string>& texts);
Result<std::vector<PlanSweep>> parse_sweep_args(const std::vector<std::string>& texts);

// A plan sweep solves at most this many points (the product of the keys'
// value counts); more is kInvalidArgument before anything is solved.
inline constexpr std::size_t kMaxPlanSweepPoints = 1000;
Result<std::size_t> plan_sweep_points(const std::vector<PlanSweep>& sweeps);

struct SweepPoint {
  std::vector<std::string> values;  // one per sweep key
  std::string error;                // the scenario did not load at this point
  PlanStatus status = PlanStatus::kInfeasible;
  double objective_usd = 0;
  double domestic_share = 0;
  CostBreakdown cost;
  std::map<std::string, int> devices_by_accelerator;  // bought over the horizon
  double solve_time_s = 0;
  double gap = 0;  // relative gap proven at the end of the solve
};

struct SweepResult {
  std::vector<std::string> keys;
  std::vector<SweepPoint> points;  // row-major: the last key varies fastest
};

using SweepProgress = std::function<void(int done, int total, const SweepPoint& point)>;

// Frontier points are for trends: by default they are proven within 0.5%
// and stop after 10 s (then reported "feasible" with their gap).
PlanOptions default_sweep_options();

// Every grid point reloads the scenario with `base` plus the point's
// overrides (sizing included, since a key may change a demand), then solves
// it without policy costs or marginal prices. A key that does not exist
// fails the sweep; a value that makes one point invalid is recorded there.
Result<SweepResult> run_sweep(const std::filesystem::path& file, const Catalog& catalog,
                              const std::vector<PlanOverride>& base,
                              const std::vector<PlanSweep>& sweeps, const PlanOptions& options,
                              const SweepProgress& progress = {});

// The same for a scenario given as text (the service's stored scenarios);
// `file` names it in messages, as in parse_plan_scenario. Both stop with
// ErrorCode::kCancelled when `options.cancelled` says so (checked before
// every point and inside its solve).
Result<SweepResult> run_sweep_text(std::string_view text, const std::filesystem::path& file,
                                   const Catalog& catalog, const std::vector<PlanOverride>& base,
                                   const std::vector<PlanSweep>& sweeps, const PlanOptions& options,
                                   const SweepProgress& progress = {});

nlohmann::ordered_json sweep_json(const SweepResult& sweep);
std::string sweep_text(const SweepResult& sweep);
std::string sweep_csv(const SweepResult& sweep);

}  // namespace suanli

// The plan's robustness pass: the chosen plan against the ranges of the
// inputs it rests on. For each input with a range (a candidate's catalog
// price low/high; its per-device throughput at the estimate's p10/p90,
// which folds in the catalog's performance ranges and the model's
// out-of-sample error), the plan is re-solved at each end (the best plan
// had the input been that value) and re-costed with the chosen purchases
// fixed (rentals and allocations still free): the difference is the
// chosen plan's regret there, and the purchases that change are the
// decisions that flip. The inputs that move cost or mix most come first
// (the report's tornado chart).
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "catalog/catalog.h"
#include "plan/plan_scenario.h"
#include "plan/planner.h"
#include "util/messages.h"

namespace suanli {

struct RobustnessCase {
  std::string side;  // "low" | "high"
  double value = 0;  // the input's value at this end
  PlanStatus status = PlanStatus::kInfeasible;  // of the re-solve
  bool timed_out = false;  // no plan found within the node and time limits (not proven infeasible)
  double cost_usd = 0;                          // re-solved optimum
  // The chosen plan's purchases at this value (nullopt: they no longer
  // satisfy the scenario: too slow for the demand, over budget, ...).
  std::optional<double> chosen_cost_usd;
  double regret_usd = 0;            // chosen - re-solved (0 within the solver gap)
  std::vector<Text> flips;          // "ascend-910c 1,920 -> 0 devices"
  double mix_change = 0;            // sum |devices bought - chosen| / chosen total
};

struct RobustnessInput {
  std::string key;     // "price:ascend-910c", "rate:kunlun-p800"
  Text label;   // "ascend-910c price (USD per device)"
  Text source;  // where the range comes from
  double base = 0;
  RobustnessCase low, high;
  double swing_usd = 0;  // max |cost - base cost| over both ends
};

struct RobustnessResult {
  double base_cost_usd = 0;
  std::vector<RobustnessInput> inputs;  // by swing (cost, then mix), largest first
  double per_solve_time_limit_s = 0;
  long long per_solve_node_limit = 0;
  double relative_gap = 0;
};

struct RobustnessOptions {
  // Per re-solve: the node limit stops the search at the same place on
  // every machine (the time limit is a backstop; see PlanOptions).
  long long max_nodes = 10'000;
  double time_limit_s = 30;    // per re-solve
  double relative_gap = 0.01;  // re-solves stop within 1%
  int max_inputs = 10;         // kept after sorting
  std::function<bool()> cancelled;
  std::function<void(int done, int total)> progress;
};

Result<RobustnessResult> plan_robustness(const PlanScenario& sc, const PlanResult& chosen,
                                         const Catalog& catalog, const RobustnessOptions& options);

nlohmann::ordered_json robustness_json(const RobustnessResult& r, const Messages& messages = {});
std::string robustness_text(const RobustnessResult& r, const Messages& messages = {});

}  // namespace suanli

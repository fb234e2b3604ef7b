// The procurement planner: builds a mixed-integer program from a
// PlanProblem (docs/plan-model.md states every variable and constraint),
// solves it with COIN-OR CBC, and explains the answer: cost breakdown,
// allocation per demand item, utilisation, binding constraints with their
// marginal prices, the price of each policy (re-solve without it), and for
// an infeasible problem an irreducible set of conflicting constraints.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "plan/plan_problem.h"
#include "util/error.h"
#include "util/messages.h"

namespace suanli {

enum class PlanStatus { kOptimal, kFeasible, kInfeasible };
std::string_view plan_status_name(PlanStatus s);

struct Purchase;

struct PlanOptions {
  // Per solve: branch-and-bound nodes at most, so the search stops at the
  // same place on every machine and under any load (identical output for
  // identical input); the time limit is a backstop, and a plan it stops
  // says so in its note (docs/plan-model.md, "Solver settings").
  long long max_nodes = 20'000;
  double time_limit_s = 60;  // per solve; a plan found by then is "feasible"
  // Proven optimal within this relative gap between the plan and CBC's
  // lower bound: 0.1%, i.e. 70 k USD on a 70 M USD plan, less than the
  // price of one 8-GPU node, while catalog prices carry 10-25% ranges.
  // Closing the last 0.1% can take CBC minutes on plans whose LP bound is
  // already that tight (docs/plan-model.md). 0 asks for exact.
  double relative_gap = 1e-3;
  bool policy_costs = true;     // re-solve without each policy
  bool marginal_prices = true;  // re-solve with each binding limit relaxed
  bool explain_infeasible = true;
  bool solver_log = false;  // CBC's log on stdout (main solve only)
  // Purchases fixed to these (a chosen plan re-costed under other inputs;
  // plan/robustness.h): every other purchase is zero, rentals and
  // allocations are still optimised. Unset: purchases are decided.
  const std::vector<Purchase>* fixed_purchases = nullptr;
  std::string mps_path;  // write the main model as MPS (for other solvers)
  // The main solve starts from these column values (PlanResult::solution
  // of a plan of the same scenario under other inputs; MilpOptions::start).
  // A start changes which of the plans within the gap is returned, never
  // the gap; nullptr: no start.
  const std::vector<double>* start = nullptr;
  // Asked between solves (main solve, price and policy re-solves,
  // infeasibility explanation, sweep points) and inside CBC's branch and
  // bound; when it returns true the call fails with ErrorCode::kCancelled.
  std::function<bool()> cancelled;
};

// True when `options.cancelled` is set and says so.
inline bool plan_cancelled(const PlanOptions& options) {
  return options.cancelled && options.cancelled();
}

struct Purchase {
  int type = 0;
  int site = 0;
  int year = 1;
  int nodes = 0;
  int devices = 0;
};

struct CostBreakdown {  // discounted to year 1, USD
  double capex_usd = 0;
  double levies_usd = 0;
  double power_usd = 0;  // new and existing nodes
  // Operations (share of the price) and data-centre capacity per kW, new
  // and existing nodes: the ownership terms of perf/cost.h.
  double operations_usd = 0;
  double rental_usd = 0;
  double expected_shortfall_usd = 0;  // probability-weighted penalties
  double total() const {
    return capex_usd + levies_usd + power_usd + operations_usd + rental_usd +
           expected_shortfall_usd;
  }
};

struct PlanAllocation {
  int type = 0;
  int year = 1;
  double fraction = 0;  // of the item served on this type
  double devices = 0;
};

struct DemandOutcome {
  int demand = 0;
  std::vector<PlanAllocation> allocations;  // the nominal (no supply cut) plan
  // Per scenario: fraction of the item unserved in its worst year.
  std::vector<double> worst_shortfall;
};

struct TypeYearUse {
  int type = 0;
  int year = 1;
  double owned_devices = 0;  // existing + delivered
  double rented_devices = 0;
  double used_devices = 0;  // allocated to demand in the nominal plan
  double utilisation() const {
    const double cap = owned_devices + rented_devices;
    return cap > 0 ? used_devices / cap : 0;
  }
};

struct BindingConstraint {
  std::string name;  // e.g. "site-power:ulanqab"
  std::string kind;  // budget | site-power | site-racks | supply-cap | domestic-share | ...
  Text detail;       // the limit in words (util/messages.h: each front end's language)
  double limit = 0;
  double slack = 0;
  // Objective decrease per unit of relaxation, measured by re-solving with
  // the limit relaxed by `step` units; nullopt when not measured.
  std::optional<double> marginal_usd_per_unit;
  std::string unit;
  double step = 0;
};

struct PolicyCost {
  std::string policy;  // "domestic-share", "sensitive-on-domestic", "risk", "levy:<type>"
  Text detail;
  PlanStatus status_without = PlanStatus::kOptimal;
  double objective_without_usd = 0;
  double delta_usd = 0;  // objective with the policy minus without
  double delta_pct = 0;  // of the objective without it
  // Both solves are proven within the relative gap, so the delta is exact
  // to +- this (0 when both solves are exact).
  double tolerance_usd = 0;
};

struct Conflict {
  std::string name;  // constraint group, e.g. "budget", "demand:chat-70b"
  std::string kind;
  Text detail;  // the limit in words
};

struct PlanResult {
  PlanStatus status = PlanStatus::kInfeasible;
  double objective_usd = 0;
  double solve_time_s = 0;  // the main solve
  long long solve_nodes = 0;  // its branch-and-bound nodes (PlanOptions::max_nodes at most)
  double total_time_s = 0;  // with policy costs, prices and explanations
  double gap = 0;           // relative gap at the end of the main solve
  int variables = 0;
  int integer_variables = 0;
  int constraints = 0;
  std::vector<Purchase> purchases;
  struct Rental {
    int type = 0;
    int year = 1;
    double devices = 0;
  };
  std::vector<Rental> rentals;
  CostBreakdown cost;
  std::vector<double> domestic_share_by_year;  // nominal capacity
  double domestic_share = 0;                   // minimum over the years
  std::vector<DemandOutcome> demands;
  std::vector<TypeYearUse> use;
  std::vector<BindingConstraint> binding;
  std::vector<PolicyCost> policy_costs;
  // Each stated availability assumption (a candidate bought although its
  // China status bars it): the plan re-solved without that candidate.
  // policy = "assumption:<id>"; delta_usd is usually negative (what the
  // assumption saves), and "no plan" when the demand needs it.
  std::vector<PolicyCost> assumption_costs;
  std::vector<Conflict> conflicts;  // when infeasible
  // The MILP's column values, to start a related solve from
  // (PlanOptions::start); empty without a plan.
  std::vector<double> solution;
  std::string note;  // e.g. why no plan was found
  // Things the model pools that a buyer should check, e.g. a training gang
  // larger than any one site's devices of its type.
  std::vector<std::string> warnings;
};

// Checks the problem's internal consistency (sizes, probabilities, ranges).
Result<void> validate_problem(const PlanProblem& problem);

Result<PlanResult> solve_plan(const PlanProblem& problem, const PlanOptions& options = {});

}  // namespace suanli

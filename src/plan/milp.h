// A small mixed-integer program builder and its solve with COIN-OR CBC:
// CbcMain with the solver's default presolve, cuts and heuristics, node
// selection "fewest" (milp.cpp says why) and an optional start solution,
// on one thread, so results are deterministic. The CBC headers stay
// private to milp.cpp; the planner only sees columns, rows and a solution.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "util/error.h"

namespace suanli {

struct MilpTerm {
  int col = 0;
  double coef = 0;
};

enum class MilpStatus {
  kOptimal,     // proven within the gap
  kFeasible,    // a solution, not proven optimal (time limit)
  kInfeasible,  // proven to have no solution
  kUnknown,     // no solution found before the time limit
};

struct MilpOptions {
  double time_limit_s = 60;
  // Branch-and-bound nodes at most (0: no limit). A node limit stops the
  // search at the same place on every machine and under any load, where a
  // time limit does not; callers that must give identical output for
  // identical input bound the work with it and keep the time limit as a
  // backstop.
  long long max_nodes = 0;
  double relative_gap = 1e-6;
  bool first_solution = false;  // feasibility only: stop at the first solution
  bool log = false;             // CBC's progress log on stdout
  std::string mps_path;         // also write the model here (MPS, for other solvers)
  // A solution to start from, one value per column (CBC's MIP start): CBC
  // fixes its integers, completes it with an LP and, when that is feasible,
  // searches from it as its first incumbent; otherwise it is ignored. A
  // re-solve of a model that differs from a solved one by a bound, a row or
  // the costs usually reaches the same gap in far fewer nodes. Empty or of
  // another length: no start.
  std::vector<double> start;
  // Asked at CBC's branch-and-bound events; true stops the search (the
  // solution is then whatever was found, the caller reports cancellation).
  std::function<bool()> cancelled;
};

struct MilpSolution {
  MilpStatus status = MilpStatus::kUnknown;
  double objective = 0;
  double best_bound = 0;
  std::vector<double> values;
  double seconds = 0;
  // Branch-and-bound nodes explored, every one of them (no search runs
  // beside the counted tree), so max_nodes bounds the work.
  long long nodes = 0;
  bool time_limited = false;  // stopped by the time limit (the result may vary with load)
  std::string error;          // set when check_milp_model refused the model (status kUnknown)
};

class MilpModel;
// The last guard before CBC: solve_milp refuses (status kUnknown, `error`
// set) a model that fails check_milp_model, so no input can reach the
// solver's own assertions (CLP aborts on |cost| >= 1e25).
MilpSolution solve_milp(const MilpModel& model, const MilpOptions& options);

// Every cost and coefficient finite with |x| < kMilpMaxMagnitude; every
// bound too, or +-infinity. kInvalidArgument naming the first offender.
inline constexpr double kMilpMaxMagnitude = 1e20;
Result<void> check_milp_model(const MilpModel& model);

class MilpModel {
 public:
  // Minimisation; bounds may be +-infinity.
  int add_variable(double lb, double ub, double cost, bool integer);
  int add_constraint(std::vector<MilpTerm> terms, double lb, double ub);

  int variables() const { return static_cast<int>(cost_.size()); }
  int constraints() const { return static_cast<int>(row_lb_.size()); }
  int integers() const;
  double row_activity(int row, const std::vector<double>& x) const;
  double row_lb(int row) const { return row_lb_[row]; }
  double row_ub(int row) const { return row_ub_[row]; }
  const std::vector<double>& cost() const { return cost_; }

 private:
  friend MilpSolution solve_milp(const MilpModel& model, const MilpOptions& options);
  friend Result<void> check_milp_model(const MilpModel& model);
  std::vector<double> col_lb_, col_ub_, cost_;
  std::vector<bool> integer_;
  std::vector<double> row_lb_, row_ub_;
  std::vector<std::vector<MilpTerm>> rows_;
};

}  // namespace suanli

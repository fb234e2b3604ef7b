#include "plan/milp.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include <fmt/format.h>
#include <coin/CbcEventHandler.hpp>
#include <coin/CbcModel.hpp>
#include <coin/CbcSolver.hpp>
#include <coin/CoinPackedMatrix.hpp>
#include <coin/OsiClpSolverInterface.hpp>

namespace suanli {

int MilpModel::add_variable(double lb, double ub, double cost, bool integer) {
  col_lb_.push_back(lb);
  col_ub_.push_back(ub);
  cost_.push_back(cost);
  integer_.push_back(integer);
  return static_cast<int>(cost_.size()) - 1;
}

int MilpModel::add_constraint(std::vector<MilpTerm> terms, double lb, double ub) {
  rows_.push_back(std::move(terms));
  row_lb_.push_back(lb);
  row_ub_.push_back(ub);
  return static_cast<int>(rows_.size()) - 1;
}

int MilpModel::integers() const {
  return static_cast<int>(std::count(integer_.begin(), integer_.end(), true));
}

double MilpModel::row_activity(int row, const std::vector<double>& x) const {
  double sum = 0;
  for (const MilpTerm& t : rows_[row]) sum += t.coef * x[t.col];
  return sum;
}

Result<void> check_milp_model(const MilpModel& model) {
  auto finite = [](double x) { return std::isfinite(x) && std::fabs(x) < kMilpMaxMagnitude; };
  auto bound = [&](double x) { return std::isinf(x) || finite(x); };
  auto refuse = [](std::string what, double x) {
    return fail(ErrorCode::kInvalidArgument,
                fmt::format("the optimisation model has {} = {} (expected a finite number below "
                            "{:g} in magnitude); an input is out of range",
                            what, x, kMilpMaxMagnitude));
  };
  for (int c = 0; c < model.variables(); ++c) {
    if (!finite(model.cost_[c])) return refuse(fmt::format("cost of column {}", c), model.cost_[c]);
    if (!bound(model.col_lb_[c]) || std::isnan(model.col_lb_[c]))
      return refuse(fmt::format("lower bound of column {}", c), model.col_lb_[c]);
    if (!bound(model.col_ub_[c]) || std::isnan(model.col_ub_[c]))
      return refuse(fmt::format("upper bound of column {}", c), model.col_ub_[c]);
  }
  for (int r = 0; r < model.constraints(); ++r) {
    for (const MilpTerm& t : model.rows_[r]) {
      if (!finite(t.coef)) return refuse(fmt::format("coefficient in row {}", r), t.coef);
      if (t.col < 0 || t.col >= model.variables())
        return fail(ErrorCode::kInvalidArgument,
                    fmt::format("the optimisation model's row {} names column {}", r, t.col));
    }
    if (!bound(model.row_lb_[r]) || std::isnan(model.row_lb_[r]))
      return refuse(fmt::format("lower bound of row {}", r), model.row_lb_[r]);
    if (!bound(model.row_ub_[r]) || std::isnan(model.row_ub_[r]))
      return refuse(fmt::format("upper bound of row {}", r), model.row_ub_[r]);
  }
  return {};
}

namespace {

int no_callback(CbcModel* /*model*/, int /*where*/) { return 0; }

// Stops the branch and bound when the caller's cancellation flag is set;
// otherwise takes no action, so the search is the same as without it.
class CancelHandler : public CbcEventHandler {
 public:
  explicit CancelHandler(std::function<bool()> cancelled) : cancelled_(std::move(cancelled)) {}
  CancelHandler(const CancelHandler&) = default;
  CancelHandler& operator=(const CancelHandler&) = delete;
  ~CancelHandler() override = default;
  using CbcEventHandler::event;
  CbcAction event(CbcEvent /*which*/) override {
    return cancelled_ && cancelled_() ? stop : noAction;
  }
  CbcEventHandler* clone() const override { return new CancelHandler(*this); }

 private:
  std::function<bool()> cancelled_;
};

double clamp_infinity(double v, double inf) {
  if (v == HUGE_VAL) return inf;
  if (v == -HUGE_VAL) return -inf;
  return v;
}

// CbcMain1's command line for these options.
std::vector<std::string> cbc_arguments(const MilpOptions& options) {
  // "-node fewest": branch first on the node with the fewest fractional
  // integers, which finds incumbents close to the LP bound early. The plans'
  // LP bound is within ~0.1% of the optimum (one node's price), so closing
  // the gap is a search for incumbents, not for bounds: on the bundled plan
  // and five variants (docs/plan-model.md, "Solver settings") the default
  // hybrid search took 265 s in all, this 128 s, and with each re-solve
  // started from the main plan (MilpOptions::start) 29 s; every plan and
  // policy price agreed within the gap.
  //
  // "-depthMiniBab -999": no mini branch-and-bound. CBC's default (-1)
  // switches it on for models under 500 rows + columns (every plan here),
  // and its nodes count neither towards "-maxNodes" nor in the node count,
  // so the node limit bounded nothing: on the bundled plan with its serving
  // rates moved 0.5% at random (12 draws) the solve took 0.1-20+ s and ran
  // into the time limit 4 times, with up to 1M uncounted nodes. Without it
  // every node counts, 20,000 nodes take ~6 s, and the same draws all stop
  // by the gap or the node limit, within 0.12% (docs/plan-model.md).
  std::vector<std::string> argv = {"suanli",
                                   "-log",
                                   options.log ? "1" : "0",
                                   "-slog",
                                   "0",
                                   "-timeMode",
                                   "elapsed",
                                   "-sec",
                                   fmt::format("{}", options.time_limit_s),
                                   "-ratio",
                                   fmt::format("{}", options.relative_gap),
                                   "-node",
                                   "fewest",
                                   "-depthMiniBab",
                                   "-999"};
  if (options.first_solution) {
    argv.push_back("-maxSol");
    argv.push_back("1");
  }
  if (options.max_nodes > 0) {
    argv.push_back("-maxNodes");
    argv.push_back(fmt::format("{}", options.max_nodes));
  }
  argv.push_back("-solve");
  argv.push_back("-quit");
  return argv;
}

}  // namespace

MilpSolution solve_milp(const MilpModel& model, const MilpOptions& options) {
  const auto start = std::chrono::steady_clock::now();
  MilpSolution out;
  if (auto ok = check_milp_model(model); !ok) {
    out.error = ok.error().message;
    return out;  // kUnknown: nothing reaches CBC
  }
  // CbcMain0/CbcMain1 keep process-wide state (parameters, message
  // printing): two solves at once on different threads corrupt each other's
  // answers. The lock stands for that state, which is global in CBC itself;
  // the service runs plans on several threads.
  static std::mutex cbc_mutex;  // NOLINT: guards CBC's own global state
  std::unique_lock cbc_lock(cbc_mutex);
  if (options.cancelled && options.cancelled()) {
    out.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return out;  // kUnknown: the caller reports the cancellation
  }
  const int n = model.variables();
  OsiClpSolverInterface solver;
  const double inf = solver.getInfinity();

  CoinPackedMatrix matrix(false, 0, 0);
  matrix.setDimensions(0, n);
  std::vector<double> row_lb, row_ub;
  for (int r = 0; r < model.constraints(); ++r) {
    std::vector<int> idx;
    std::vector<double> val;
    for (const MilpTerm& t : model.rows_[r]) {
      if (t.coef == 0) continue;
      idx.push_back(t.col);
      val.push_back(t.coef);
    }
    matrix.appendRow(static_cast<int>(idx.size()), idx.data(), val.data());
    row_lb.push_back(clamp_infinity(model.row_lb_[r], inf));
    row_ub.push_back(clamp_infinity(model.row_ub_[r], inf));
  }
  std::vector<double> col_lb(n), col_ub(n), cost(model.cost_);
  for (int c = 0; c < n; ++c) {
    col_lb[c] = clamp_infinity(model.col_lb_[c], inf);
    col_ub[c] = clamp_infinity(model.col_ub_[c], inf);
  }
  if (options.first_solution) std::fill(cost.begin(), cost.end(), 0.0);
  solver.loadProblem(matrix, col_lb.data(), col_ub.data(), cost.data(), row_lb.data(),
                     row_ub.data());
  for (int c = 0; c < n; ++c)
    if (model.integer_[c]) solver.setInteger(c);
  solver.messageHandler()->setLogLevel(0);
  if (!options.mps_path.empty()) {
    std::string base = options.mps_path;
    if (base.size() > 4 && base.ends_with(".mps")) base.resize(base.size() - 4);
    solver.writeMps(base.c_str(), "mps");
  }

  CbcModel cbc(solver);
  if (options.cancelled) {
    const CancelHandler handler(options.cancelled);
    cbc.passInEventHandler(&handler);  // CBC keeps a clone
  }
  CbcSolverUsefulData data;
  data.noPrinting_ = true;
  CbcMain0(cbc, data);
  if (options.start.size() == static_cast<std::size_t>(n)) {
    std::vector<std::pair<std::string, double>> start;
    start.reserve(options.start.size());
    for (int c = 0; c < n; ++c) start.emplace_back(solver.getColName(c), options.start[c]);
    cbc.setMIPStart(start);  // read by CbcMain1
  }
  const std::vector<std::string> args = cbc_arguments(options);
  std::vector<const char*> argv;
  argv.reserve(args.size());
  for (const std::string& a : args) argv.push_back(a.c_str());
  CbcMain1(static_cast<int>(argv.size()), argv.data(), cbc, no_callback, data);

  out.time_limited = cbc.isSecondsLimitReached();
  out.nodes = cbc.getNodeCount();
  const double* best = cbc.bestSolution();
  if (best != nullptr) {
    out.values.assign(best, best + n);
    // Integers come back as 0.9999999 and the like.
    for (int c = 0; c < n; ++c)
      if (model.integer_[c]) out.values[c] = std::round(out.values[c]);
    out.objective = 0;
    for (int c = 0; c < n; ++c) out.objective += model.cost_[c] * out.values[c];
    out.best_bound = cbc.getBestPossibleObjValue();
    const bool proven = cbc.isProvenOptimal() && !out.time_limited;
    out.status = proven || options.first_solution ? MilpStatus::kOptimal : MilpStatus::kFeasible;
  } else if (cbc.isProvenInfeasible() || cbc.status() == 0) {
    // status 0: the search finished (presolve or branch and bound) without
    // a solution. Any other stop (time, nodes, difficulties) proves nothing.
    out.status = MilpStatus::kInfeasible;
  } else {
    out.status = MilpStatus::kUnknown;
  }
  out.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return out;
}

}  // namespace suanli

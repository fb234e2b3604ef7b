// solve_milp's MIP start (MilpOptions::start) on a market-split instance:
// equality knapsacks that CBC's root heuristics rarely satisfy, so with one
// node and no start the search ends without a solution, while a feasible
// start is taken as the incumbent.
#include "plan/milp.h"

#include <cstdint>
#include <vector>

#include <gtest/gtest.h>

namespace suanli {
namespace {

struct MarketSplit {
  MilpModel model;
  std::vector<double> known;  // a feasible 0-1 point
};

// Three rows of 40 binaries with pseudo-random weights in [0, 100); each
// row's right-hand side is its weight on a fixed point, so it is feasible.
MarketSplit market_split() {
  MarketSplit m;
  constexpr int kCols = 40;
  std::uint64_t state = 12345;
  auto next = [&] {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    return static_cast<int>((state >> 33) % 100);
  };
  for (int c = 0; c < kCols; ++c) {
    m.model.add_variable(0, 1, 0, true);
    m.known.push_back(c % 3 == 0 || c % 7 == 1 ? 1 : 0);
  }
  for (int r = 0; r < 3; ++r) {
    std::vector<MilpTerm> terms;
    double rhs = 0;
    for (int c = 0; c < kCols; ++c) {
      const double w = next();
      terms.push_back({c, w});
      rhs += w * m.known[c];
    }
    m.model.add_constraint(std::move(terms), rhs, rhs);
  }
  return m;
}

TEST(Milp, AFeasibleStartIsTheIncumbentWhenTheSearchStopsAtOnce) {
  MarketSplit m = market_split();
  MilpOptions o;
  o.max_nodes = 1;
  o.time_limit_s = 30;
  const MilpSolution cold = solve_milp(m.model, o);
  o.start = m.known;
  const MilpSolution warm = solve_milp(m.model, o);
  ASSERT_TRUE(warm.status == MilpStatus::kOptimal || warm.status == MilpStatus::kFeasible)
      << "without the start the search ended with status " << static_cast<int>(cold.status);
  ASSERT_EQ(warm.values.size(), m.known.size());
  for (int r = 0; r < m.model.constraints(); ++r)
    EXPECT_DOUBLE_EQ(m.model.row_activity(r, warm.values), m.model.row_lb(r)) << "row " << r;
  // The instance is hard enough that the start is what found the solution.
  EXPECT_EQ(cold.status, MilpStatus::kUnknown);
}

TEST(Milp, AStartOfAnotherLengthOrInfeasibleIsIgnored) {
  MarketSplit m = market_split();
  MilpOptions o;
  o.max_nodes = 1;
  o.time_limit_s = 30;
  o.start = std::vector<double>(m.known.size() - 1, 0.0);  // wrong length
  EXPECT_EQ(solve_milp(m.model, o).status, MilpStatus::kUnknown);
  o.start = std::vector<double>(m.known.size(), 1.0);  // violates every row
  EXPECT_EQ(solve_milp(m.model, o).status, MilpStatus::kUnknown);
}

}  // namespace
}  // namespace suanli

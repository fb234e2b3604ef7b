// hetero: best fit inside a type; across types, the earliest completion (Gavel-like): a job may
// wait for a busy faster type when the release forecast says it finishes clearly sooner there (the
// scheduler's hetero_choice, sched/release_forecast.cpp).
#include "sched/placement/placement.h"

namespace suanli {

std::unique_ptr<FleetPlacement> make_hetero() {
  using Policy = ScoredPlacement<best_fit_score, FleetPlacement::SingleNode::kTightest, true>;
  return std::make_unique<Policy>();
}

}  // namespace suanli

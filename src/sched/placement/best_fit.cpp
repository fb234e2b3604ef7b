// best-fit: the node the job fills most tightly; groups fill the fullest nodes and domains first.
#include "sched/placement/placement.h"

namespace suanli {

std::unique_ptr<FleetPlacement> make_best_fit() {
  return std::make_unique<ScoredPlacement<best_fit_score, FleetPlacement::SingleNode::kTightest>>();
}

}  // namespace suanli

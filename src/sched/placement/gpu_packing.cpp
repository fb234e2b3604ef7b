// gpu-packing: occupied GPUs first, then idle nodes last (the FGD paper's packing score,
// sched/policy.cpp); groups fill the fullest nodes first.
#include "sched/placement/placement.h"

namespace suanli {

std::unique_ptr<FleetPlacement> make_gpu_packing() {
  using Policy = ScoredPlacement<gpu_packing_score, FleetPlacement::SingleNode::kHighestScore>;
  return std::make_unique<Policy>();
}

}  // namespace suanli

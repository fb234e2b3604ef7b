// gpu-clustering: nodes already running pods of the same GPU type first (the FGD paper's clustering
// score, sched/policy.cpp); groups fill the fullest nodes first.
#include "sched/placement/placement.h"

namespace suanli {

std::unique_ptr<FleetPlacement> make_gpu_clustering() {
  using Policy = ScoredPlacement<gpu_clustering_score, FleetPlacement::SingleNode::kHighestScore>;
  return std::make_unique<Policy>();
}

}  // namespace suanli

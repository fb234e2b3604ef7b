// dotprod: the node whose free resources best align with the request (the FGD paper's dot-product
// score, sched/policy.cpp); groups fill the fullest nodes first.
#include "sched/placement/placement.h"

namespace suanli {

std::unique_ptr<FleetPlacement> make_dot_product() {
  using Policy = ScoredPlacement<dot_product_score, FleetPlacement::SingleNode::kHighestScore>;
  return std::make_unique<Policy>();
}

}  // namespace suanli

// dotprod: the node whose free resources best align with the request (the FGD paper's dot-product
// score, sched/policy.cpp); groups fill the fullest nodes first.
#include "sched/placement/placement.h"

namespace suanli {

namespace {

class DotProduct final : public FleetPlacement {
 public:
  SingleNode single_node() const override { return SingleNode::kHighestScore; }
  Fill fill() const override { return Fill::kFullestFirst; }
  int score(const NodeState& node, const PodRequest& pod, std::uint32_t* gpu_mask,
            PlacementContext& ctx) const override {
    (void)gpu_mask, (void)ctx;
    return dot_product_score(node, pod);
  }
};

}  // namespace

std::unique_ptr<FleetPlacement> make_dot_product() { return std::make_unique<DotProduct>(); }

}  // namespace suanli

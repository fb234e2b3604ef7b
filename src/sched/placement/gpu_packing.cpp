// gpu-packing: occupied GPUs first, then idle nodes last (the FGD paper's packing score,
// sched/policy.cpp); groups fill the fullest nodes first.
#include "sched/placement/placement.h"

namespace suanli {

namespace {

class GpuPacking final : public FleetPlacement {
 public:
  SingleNode single_node() const override { return SingleNode::kHighestScore; }
  Fill fill() const override { return Fill::kFullestFirst; }
  int score(const NodeState& node, const PodRequest& pod, std::uint32_t* gpu_mask,
            PlacementContext& ctx) const override {
    (void)gpu_mask, (void)ctx;
    return gpu_packing_score(node, pod);
  }
};

}  // namespace

std::unique_ptr<FleetPlacement> make_gpu_packing() { return std::make_unique<GpuPacking>(); }

}  // namespace suanli

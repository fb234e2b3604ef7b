// gpu-clustering: nodes already running pods of the same GPU type first (the FGD paper's clustering
// score, sched/policy.cpp); groups fill the fullest nodes first.
#include "sched/placement/placement.h"

namespace suanli {

namespace {

class GpuClustering final : public FleetPlacement {
 public:
  SingleNode single_node() const override { return SingleNode::kHighestScore; }
  Fill fill() const override { return Fill::kFullestFirst; }
  int score(const NodeState& node, const PodRequest& pod, std::uint32_t* gpu_mask,
            PlacementContext& ctx) const override {
    (void)gpu_mask, (void)ctx;
    return gpu_clustering_score(node, pod);
  }
};

}  // namespace

std::unique_ptr<FleetPlacement> make_gpu_clustering() { return std::make_unique<GpuClustering>(); }

}  // namespace suanli

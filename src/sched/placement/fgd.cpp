// fgd: the node whose fragmentation of the recent workload grows least (Weng et al., ATC'23;
// sched/policy.cpp), on the GPUs FGD picks; groups fill the fullest nodes first.
#include "sched/placement/placement.h"

namespace suanli {

namespace {

class Fgd final : public FleetPlacement {
 public:
  SingleNode single_node() const override { return SingleNode::kHighestScore; }
  Fill fill() const override { return Fill::kFullestFirst; }
  int score(const NodeState& node, const PodRequest& pod, std::uint32_t* gpu_mask,
            PlacementContext& ctx) const override {
    const std::span<const TypicalPod> typical = ctx.typical();
    const ScoredGpus s = fgd_score(node, pod, typical, node_gpu_fragmentation(node, typical));
    *gpu_mask = s.gpu_mask;
    return s.score;
  }
};

}  // namespace

std::unique_ptr<FleetPlacement> make_fgd() { return std::make_unique<Fgd>(); }

}  // namespace suanli

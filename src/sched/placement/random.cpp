// random: a seeded random score per node; groups fill nodes and domains in a seeded random order.
#include "sched/placement/placement.h"

namespace suanli {

namespace {

class Random final : public FleetPlacement {
 public:
  SingleNode single_node() const override { return SingleNode::kHighestScore; }
  Fill fill() const override { return Fill::kShuffled; }
  int score(const NodeState& node, const PodRequest& pod, std::uint32_t* gpu_mask,
            PlacementContext& ctx) const override {
    (void)node, (void)pod, (void)gpu_mask;
    return static_cast<int>(ctx.rng.below(1000));
  }
};

}  // namespace

std::unique_ptr<FleetPlacement> make_random() { return std::make_unique<Random>(); }

}  // namespace suanli

// first-fit: the lowest-indexed node that holds the job; groups fill nodes and domains in index
// order.
#include "sched/placement/placement.h"

namespace suanli {

namespace {

class FirstFit final : public FleetPlacement {
 public:
  SingleNode single_node() const override { return SingleNode::kLowestIndex; }
  Fill fill() const override { return Fill::kIndex; }
  int score(const NodeState& node, const PodRequest& pod, std::uint32_t* gpu_mask,
            PlacementContext& ctx) const override {
    (void)node, (void)pod, (void)gpu_mask, (void)ctx;
    return 0;  // never asked: the first node that holds the job wins
  }
};

}  // namespace

std::unique_ptr<FleetPlacement> make_first_fit() { return std::make_unique<FirstFit>(); }

}  // namespace suanli

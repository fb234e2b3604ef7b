// best-fit: the node the job fills most tightly; groups fill the fullest nodes and domains first.
#include "sched/placement/placement.h"

namespace suanli {

namespace {

class BestFit final : public FleetPlacement {
 public:
  SingleNode single_node() const override { return SingleNode::kTightest; }
  Fill fill() const override { return Fill::kFullestFirst; }
  int score(const NodeState& node, const PodRequest& pod, std::uint32_t* gpu_mask,
            PlacementContext& ctx) const override {
    (void)gpu_mask, (void)ctx;
    return best_fit_score(node, pod);
  }
};

}  // namespace

std::unique_ptr<FleetPlacement> make_best_fit() { return std::make_unique<BestFit>(); }

}  // namespace suanli

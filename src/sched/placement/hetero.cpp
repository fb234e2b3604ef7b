// hetero: best fit inside a type; across types, the earliest completion (Gavel-like): a job may
// wait for a busy faster type when the release forecast says it finishes clearly sooner there (the
// scheduler's hetero_choice, sched/release_forecast.cpp).
#include "sched/placement/placement.h"

namespace suanli {

namespace {

class Hetero final : public FleetPlacement {
 public:
  SingleNode single_node() const override { return SingleNode::kTightest; }
  Fill fill() const override { return Fill::kFullestFirst; }
  int score(const NodeState& node, const PodRequest& pod, std::uint32_t* gpu_mask,
            PlacementContext& ctx) const override {
    (void)gpu_mask, (void)ctx;
    return best_fit_score(node, pod);
  }

  bool forecasts_releases() const override { return true; }
};

}  // namespace

std::unique_ptr<FleetPlacement> make_hetero() { return std::make_unique<Hetero>(); }

}  // namespace suanli

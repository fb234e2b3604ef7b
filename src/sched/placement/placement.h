// A placement policy: how the scheduler picks the nodes of one device type
// for a job. The pass around it (queue order, the try across types,
// preemption, rules, accounting) is the scheduler's; a policy answers four
// questions, each a member below: which node a job that fits on one node
// takes, in what order groups spread over nodes and scale-up domains, how
// a node scores for a pod (scored policies and fractional jobs), and
// whether it forecasts releases to wait for a faster type (hetero).
// One file per policy in this folder; table.cpp names them (the scenario
// and CLI spelling, the help text, the "expected one of" error), as
// SimGrid names its models in one table.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string_view>

#include "sched/cluster.h"
#include "sched/policy.h"
#include "vocab/rng.h"
#include "sched/scheduler.h"

namespace suanli {

// What a policy may use while scoring: the scheduler's seeded generator
// (random) and FGD's model of the recent workload (computed on demand).
struct PlacementContext {
  Rng& rng;
  std::function<std::span<const TypicalPod>()> typical;
};

class FleetPlacement {
 public:
  virtual ~FleetPlacement() = default;

  // A job whose devices fit on one node takes: the lowest-indexed node that
  // holds it, the node it fills most tightly, or the highest-scoring node
  // (ties: the lowest index).
  enum class SingleNode { kLowestIndex, kTightest, kHighestScore };
  // Groups spread over nodes (or whole nodes over scale-up domains) go:
  // by index, in a seeded random order, or fullest first (least free
  // first, index inside).
  enum class Fill { kIndex, kShuffled, kFullestFirst };

  virtual SingleNode single_node() const = 0;
  virtual Fill fill() const = 0;
  // Score of a node for one pod, higher is better (0..100 for the FGD-paper
  // scores); may set *gpu_mask to the GPUs it would use (0: best fit inside
  // the node). Asked for kHighestScore policies and for fractional jobs.
  virtual int score(const NodeState& node, const PodRequest& pod, std::uint32_t* gpu_mask,
                    PlacementContext& ctx) const = 0;
  // Whether the scheduler forecasts releases per type and lets a job wait
  // for a busy, faster type (the hetero policy).
  virtual bool forecasts_releases() const { return false; }

  // Candidates on different types are ranked by the first node's index
  // (lower wins) for a policy that picks by index, else by score or by the
  // devices left over (fewer wins).
  bool keyed_by_index() const { return single_node() == SingleNode::kLowestIndex; }
};

// A policy that scores a node with one of the FGD paper's functions
// (sched/policy.h), fills groups fullest first, and picks a one-node job's
// node by `Pick`: best-fit and hetero (tightest, hetero forecasting
// releases), dotprod, gpu-packing and gpu-clustering (highest score).
template <int (*Score)(const NodeState&, const PodRequest&), FleetPlacement::SingleNode Pick,
          bool Forecasts = false>
class ScoredPlacement final : public FleetPlacement {
 public:
  SingleNode single_node() const override { return Pick; }
  Fill fill() const override { return Fill::kFullestFirst; }
  int score(const NodeState& node, const PodRequest& pod, std::uint32_t*,
            PlacementContext&) const override {
    return Score(node, pod);
  }
  bool forecasts_releases() const override { return Forecasts; }
};

// The policy of a kind (table.cpp).
std::unique_ptr<FleetPlacement> make_placement(PlacementKind kind);

// One factory per file in this folder.
std::unique_ptr<FleetPlacement> make_first_fit();
std::unique_ptr<FleetPlacement> make_best_fit();
std::unique_ptr<FleetPlacement> make_dot_product();
std::unique_ptr<FleetPlacement> make_gpu_packing();
std::unique_ptr<FleetPlacement> make_gpu_clustering();
std::unique_ptr<FleetPlacement> make_random();
std::unique_ptr<FleetPlacement> make_fgd();
std::unique_ptr<FleetPlacement> make_hetero();

}  // namespace suanli

// Placement policies of the FGD paper (Weng et al., "Beware of
// Fragmentation", ATC'23), as its authors' simulator implements them:
// every feasible node gets an integer score in [0, 100]; the highest wins;
// ties go to the node that comes first in a fixed tie-break order (the
// authors' patched kube-scheduler picks the lexicographically smallest node
// name, and their simulator prefixes node names with a seeded random
// permutation); then a GPU selection method picks the GPUs inside the node
// (best fit, random, or FGD's own).
// Besides the paper's six, fgd-plus is our own: FGD's score softened by
// best fit (see policy.cpp).
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "sched/cluster.h"
#include "vocab/rng.h"
#include "util/error.h"

namespace suanli {

enum class PolicyKind {
  kRandom,
  kDotProduct,
  kGpuClustering,
  kGpuPacking,
  kBestFit,
  kFgd,
  kFgdPlus
};

// "random", "dotprod", "gpu-clustering", "gpu-packing", "bestfit", "fgd",
// "fgd-plus".
std::string_view policy_name(PolicyKind kind);
Result<PolicyKind> parse_policy(std::string_view name);
std::span<const PolicyKind> all_policies();

// One entry of FGD's workload distribution: a pod resource class and its
// share of the pods (weights sum to 1).
struct TypicalPod {
  PodRequest pod;
  double weight = 0;
};

struct TypicalPodsOptions {
  // Keep the most frequent classes until they cover this share of the pods.
  double popularity_threshold_pct = 95;
  bool include_cpu_pods = true;
};

// The reference's GetTypicalPods: classes (cpu, gpu milli, GPU count,
// gpu_spec) counted over the workload, most frequent first (ties: the
// larger class first), cut once the threshold is covered, renormalised.
std::vector<TypicalPod> typical_pods(std::span<const PodRequest> workload,
                                     const TypicalPodsOptions& options = {});

// FGD's fragmentation of a node (GPU milli expected to be unusable by the
// next typical pod): for each typical pod, all free GPU milli counts when
// the pod cannot run there (or needs no GPU), otherwise the free milli of
// the GPUs too small for it; weighted by the pod's share.
double node_gpu_fragmentation(const NodeState& node, std::span<const TypicalPod> typical);

struct ScoredGpus {
  int score = 0;               // 0..100, higher is better
  std::uint32_t gpu_mask = 0;  // the GPUs the policy would use
};

// Raw node scores (the node must fit the pod), exposed for tests.
int dot_product_score(const NodeState& node, const PodRequest& pod);
int gpu_clustering_score(const NodeState& node, const PodRequest& pod);
int gpu_packing_score(const NodeState& node, const PodRequest& pod);
int best_fit_score(const NodeState& node, const PodRequest& pod);
// node_frag: node_gpu_fragmentation(node, typical), passed in so callers
// can cache it.
ScoredGpus fgd_score(const NodeState& node, const PodRequest& pod,
                     std::span<const TypicalPod> typical, double node_frag);

class PlacementPolicy {
 public:
  virtual ~PlacementPolicy() = default;
  virtual PolicyKind kind() const = 0;
  // Picks a node among `feasible` (non-empty, every node fits the pod) and
  // the GPUs there.
  virtual Placement choose(const ClusterState& cluster, const PodRequest& pod,
                           std::span<const int> feasible, Rng& rng) = 0;
};

struct PolicyOptions {
  std::vector<TypicalPod> typical;  // FGD's workload distribution (FGD, fgd-plus)
  // tie_rank[node]: ties go to the smallest rank. Empty: the node index.
  std::vector<int> tie_rank;
};

std::unique_ptr<PlacementPolicy> make_policy(PolicyKind kind, PolicyOptions options = {});

}  // namespace suanli

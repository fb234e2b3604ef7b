// Cluster state for GPU-sharing placement (the FGD paper's model): per node
// CPU (milli), memory (MiB), one GPU model and up to eight GPUs, each with
// its free GPU milli (1000 = a whole GPU). A pod asks for CPU, memory and
// either nothing, a fraction of one GPU (gpu_milli < 1000), or whole GPUs,
// optionally restricted to some GPU models.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "sched/openb_trace.h"
#include "util/error.h"

namespace suanli {

inline constexpr int kGpuMilli = 1000;                  // one whole GPU
inline constexpr int kMaxNodeGpus = 16;                 // devices per node, at most
inline constexpr int kMaxGpuModels = 32;                // models per cluster (bit mask)
inline constexpr int kNoAffinity = -1;                  // pod affinity tag: CPU-only pod
inline constexpr int kShareAffinity = 0;                // pod affinity tag: GPU-sharing pod
inline constexpr int kAffinityTags = kMaxNodeGpus + 1;  // share, then 1..16 whole GPUs

struct PodRequest {
  std::int64_t cpu_milli = 0;
  std::int64_t memory_mib = 0;
  int num_gpu = 0;
  int gpu_milli = 0;                 // per GPU; < 1000 only when sharing one GPU
  bool model_constrained = false;    // gpu_spec given
  std::uint32_t allowed_models = 0;  // bit i: the cluster's model i is allowed
  std::string gpu_spec;              // as in the trace ("" = any model)
  int type_id = -1;                  // resource class (cpu, GPUs, spec); -1 = none

  bool sharing() const { return num_gpu == 1 && gpu_milli < kGpuMilli; }
  std::int64_t total_gpu_milli() const { return std::int64_t{num_gpu} * gpu_milli; }
  // kNoAffinity, kShareAffinity, or the number of whole GPUs.
  int affinity_tag() const;
};

// Node CPU or memory capacity meaning "not tracked": no request reaches it.
inline constexpr std::int64_t kUntrackedCapacity = std::int64_t{1} << 50;

struct NodeState {
  std::string name;
  std::int64_t cpu_capacity = 0;
  std::int64_t cpu_left = 0;
  std::int64_t memory_capacity = 0;
  std::int64_t memory_left = 0;
  int model = -1;  // index into ClusterState::models(); -1 for a CPU-only node
  int gpu_count = 0;
  std::array<int, kMaxNodeGpus> gpu_left{};  // first gpu_count entries are used
  // Pods placed per affinity tag (share, 1..16 GPUs), and how many tags occur.
  std::array<int, kAffinityTags> affinity{};
  int affinity_kinds = 0;
  std::uint64_t version = 0;  // bumped by every placement on this node

  int gpu_left_total() const;
  int fully_free_gpus() const;
};

// Where a pod goes: a node and the GPUs it uses there (bit i = GPU i).
struct Placement {
  int node = -1;
  std::uint32_t gpu_mask = 0;
};

class ClusterState {
 public:
  static Result<ClusterState> from_openb(const std::vector<OpenbNode>& nodes);

  const std::vector<NodeState>& nodes() const { return nodes_; }
  const NodeState& node(int i) const { return nodes_[static_cast<std::size_t>(i)]; }
  const std::vector<std::string>& models() const { return models_; }

  // The pod as the cluster sees it (gpu_spec resolved to model bits).
  PodRequest request_for(const OpenbPod& pod) const;

  // Whether the node's GPU model satisfies the pod's gpu_spec (CPU-only
  // pods and unconstrained pods: always).
  static bool model_allowed(const NodeState& node, const PodRequest& pod);
  // CPU, memory, GPU model and enough GPUs with pod.gpu_milli free each.
  static bool fits(const NodeState& node, const PodRequest& pod);

  // Places the pod on the GPUs in `where.gpu_mask` (which must fit).
  void place(const Placement& where, const PodRequest& pod);

  std::int64_t total_gpu_milli() const { return total_gpu_milli_; }
  std::int64_t used_gpu_milli() const { return used_gpu_milli_; }
  int total_gpus() const { return static_cast<int>(total_gpu_milli_ / kGpuMilli); }
  int gpu_nodes() const;

 private:
  std::vector<NodeState> nodes_;
  std::vector<std::string> models_;
  std::int64_t total_gpu_milli_ = 0;
  std::int64_t used_gpu_milli_ = 0;
};

// GPU choice inside a node, as Open-GPU-Share does it.
// Best fit: a sharing pod gets the GPU with the least free milli that still
// fits (lowest index on ties); a whole-GPU pod the lowest-indexed fully free
// GPUs. Returns 0 when the pod does not fit.
std::uint32_t best_fit_gpus(const NodeState& node, const PodRequest& pod);
// The lowest-indexed fully free GPUs (whole-GPU pods), 0 when too few.
std::uint32_t first_free_gpus(const NodeState& node, int count);

}  // namespace suanli

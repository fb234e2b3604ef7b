#include "sched/cluster.h"

#include <fmt/format.h>

#include <algorithm>

#include "util/strings.h"

namespace suanli {

int PodRequest::affinity_tag() const {
  if (num_gpu == 0) return kNoAffinity;
  if (sharing()) return kShareAffinity;
  return num_gpu;
}

int NodeState::gpu_left_total() const {
  int total = 0;
  for (int i = 0; i < gpu_count; ++i) total += gpu_left[static_cast<std::size_t>(i)];
  return total;
}

int NodeState::fully_free_gpus() const {
  int free = 0;
  for (int i = 0; i < gpu_count; ++i) free += gpu_left[static_cast<std::size_t>(i)] == kGpuMilli;
  return free;
}

Result<ClusterState> ClusterState::from_openb(const std::vector<OpenbNode>& nodes) {
  ClusterState c;
  c.models_ = gpu_models_of(nodes);
  if (c.models_.size() > static_cast<std::size_t>(kMaxGpuModels)) {
    return fail(ErrorCode::kUnsupported,
                fmt::format("the node list has {} GPU models; at most {} are supported",
                            c.models_.size(), kMaxGpuModels));
  }
  c.nodes_.reserve(nodes.size());
  for (const auto& n : nodes) {
    if (n.gpu_count > kMaxNodeGpus) {
      return fail(ErrorCode::kUnsupported,
                  fmt::format("node {} has {} GPUs; at most {} are supported", n.name, n.gpu_count,
                              kMaxNodeGpus));
    }
    NodeState s;
    s.name = n.name;
    s.cpu_capacity = s.cpu_left = n.cpu_milli;
    s.memory_capacity = s.memory_left = n.memory_mib;
    s.gpu_count = n.gpu_count;
    for (int i = 0; i < n.gpu_count; ++i) s.gpu_left[static_cast<std::size_t>(i)] = kGpuMilli;
    if (!n.gpu_model.empty()) {
      s.model = static_cast<int>(std::lower_bound(c.models_.begin(), c.models_.end(), n.gpu_model) -
                                 c.models_.begin());
    }
    c.total_gpu_milli_ += std::int64_t{n.gpu_count} * kGpuMilli;
    c.nodes_.push_back(std::move(s));
  }
  return c;
}

PodRequest ClusterState::request_for(const OpenbPod& pod) const {
  PodRequest r;
  r.cpu_milli = pod.cpu_milli;
  r.memory_mib = pod.memory_mib;
  r.num_gpu = pod.num_gpu;
  r.gpu_milli = static_cast<int>(pod.gpu_milli);
  r.gpu_spec = pod.gpu_spec;
  if (!pod.gpu_spec.empty()) {
    r.model_constrained = true;
    for (const auto& m : split(pod.gpu_spec, '|')) {
      auto it = std::lower_bound(models_.begin(), models_.end(), m);
      if (it != models_.end() && *it == m) r.allowed_models |= 1u << (it - models_.begin());
    }
  }
  return r;
}

bool ClusterState::model_allowed(const NodeState& node, const PodRequest& pod) {
  if (!pod.model_constrained) return true;
  if (node.model < 0) return false;
  return (pod.allowed_models >> node.model) & 1u;
}

bool ClusterState::fits(const NodeState& node, const PodRequest& pod) {
  if (node.cpu_left < pod.cpu_milli || node.memory_left < pod.memory_mib) return false;
  if (pod.num_gpu == 0) return true;
  if (node.gpu_count < pod.num_gpu || !model_allowed(node, pod)) return false;
  int enough = 0;
  for (int i = 0; i < node.gpu_count; ++i) {
    enough += node.gpu_left[static_cast<std::size_t>(i)] >= pod.gpu_milli;
  }
  return enough >= pod.num_gpu;
}

void ClusterState::place(const Placement& where, const PodRequest& pod) {
  NodeState& n = nodes_[static_cast<std::size_t>(where.node)];
  n.cpu_left -= pod.cpu_milli;
  n.memory_left -= pod.memory_mib;
  for (int i = 0; i < n.gpu_count; ++i) {
    if ((where.gpu_mask >> i) & 1u) {
      n.gpu_left[static_cast<std::size_t>(i)] -= pod.gpu_milli;
      used_gpu_milli_ += pod.gpu_milli;
    }
  }
  const int tag = pod.affinity_tag();
  if (tag != kNoAffinity) {
    if (n.affinity[static_cast<std::size_t>(tag)]++ == 0) ++n.affinity_kinds;
  }
  ++n.version;
}

int ClusterState::gpu_nodes() const {
  return static_cast<int>(std::count_if(nodes_.begin(), nodes_.end(),
                                        [](const NodeState& n) { return n.gpu_count > 0; }));
}

std::uint32_t first_free_gpus(const NodeState& node, int count) {
  std::uint32_t mask = 0;
  for (int i = 0; i < node.gpu_count && count > 0; ++i) {
    if (node.gpu_left[static_cast<std::size_t>(i)] == kGpuMilli) {
      mask |= 1u << i;
      --count;
    }
  }
  return count > 0 ? 0 : mask;
}

std::uint32_t best_fit_gpus(const NodeState& node, const PodRequest& pod) {
  if (pod.num_gpu == 0) return 0;
  if (!pod.sharing()) return first_free_gpus(node, pod.num_gpu);
  int best = -1;
  for (int i = 0; i < node.gpu_count; ++i) {
    const int left = node.gpu_left[static_cast<std::size_t>(i)];
    if (left >= pod.gpu_milli &&
        (best < 0 || left < node.gpu_left[static_cast<std::size_t>(best)])) {
      best = i;
    }
  }
  return best < 0 ? 0 : 1u << best;
}

}  // namespace suanli

#include "sched/policy.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <climits>
#include <cmath>
#include <map>
#include <tuple>

#include "util/strings.h"

namespace suanli {

namespace {

constexpr int kMaxScore = 100;
// The reference normalises CPU and GPU by the largest node it knows.
constexpr double kMaxSpecCpu = 128000;
constexpr double kMaxSpecGpu = 8000;
constexpr int kMaxSpecGpuMilli = 8000;

constexpr std::array<PolicyKind, 7> kAllPolicies{
    PolicyKind::kRandom,     PolicyKind::kDotProduct, PolicyKind::kGpuClustering,
    PolicyKind::kGpuPacking, PolicyKind::kBestFit,    PolicyKind::kFgd,
    PolicyKind::kFgdPlus};

// FGD's fragment categories, in the reference's order; index 2 ("Q3",
// satisfied) is the only one that is not fragmentation.
enum FragCategory {
  kQ1LackBoth,
  kQ2LackGpu,
  kQ3Satisfied,
  kQ4LackCpu,
  kXlSatisfied,
  kXrLackCpu,
  kNoAccess,
  kFragCategories
};

double fragmentation(int model, std::int64_t cpu_left, const std::array<int, kMaxNodeGpus>& left,
                     int gpu_count, std::span<const TypicalPod> typical) {
  int total = 0;
  for (int i = 0; i < gpu_count; ++i) total += left[static_cast<std::size_t>(i)];
  if (total == 0) return 0;
  std::array<double, kFragCategories> amount{};
  NodeState probe;  // only the model matters to model_allowed
  probe.model = model;
  for (const auto& t : typical) {
    const PodRequest& p = t.pod;
    const double w = t.weight;
    if (p.gpu_milli == 0) {
      amount[cpu_left >= p.cpu_milli ? kXlSatisfied : kXrLackCpu] += w * total;
      continue;
    }
    if (!ClusterState::model_allowed(probe, p)) {
      amount[kNoAccess] += w * total;
      continue;
    }
    int enough = 0;
    int too_small = 0;  // free milli on GPUs that cannot host the pod
    for (int i = 0; i < gpu_count; ++i) {
      const int l = left[static_cast<std::size_t>(i)];
      if (l >= p.gpu_milli) {
        ++enough;
      } else {
        too_small += l;
      }
    }
    const bool cpu_ok = cpu_left >= p.cpu_milli;
    if (enough >= p.num_gpu) {
      if (cpu_ok) {
        amount[kQ2LackGpu] += w * too_small;
      } else {
        amount[kQ4LackCpu] += w * total;
      }
    } else {
      amount[cpu_ok ? kQ2LackGpu : kQ1LackBoth] += w * total;
    }
  }
  double sum = 0;
  for (int c = 0; c < kFragCategories; ++c) {
    if (c != kQ3Satisfied) sum += amount[static_cast<std::size_t>(c)];
  }
  return sum;
}

int sigmoid_score(double frag_decrease_milli) {
  const double x = frag_decrease_milli / 1000;
  return static_cast<int>(1.0 / (1.0 + std::exp(-x)) * kMaxScore);
}

// A uniformly random GPU among those with enough free milli (sharing pods);
// whole-GPU pods get the lowest-indexed free GPUs.
std::uint32_t random_fit_gpus(const NodeState& node, const PodRequest& pod, Rng& rng) {
  if (pod.num_gpu == 0) return 0;
  if (!pod.sharing()) return first_free_gpus(node, pod.num_gpu);
  std::array<int, kMaxNodeGpus> fitting{};
  int n = 0;
  for (int i = 0; i < node.gpu_count; ++i) {
    if (node.gpu_left[static_cast<std::size_t>(i)] >= pod.gpu_milli) {
      fitting[static_cast<std::size_t>(n++)] = i;
    }
  }
  if (n == 0) return 0;
  return 1u << fitting[static_cast<std::size_t>(rng.below(static_cast<std::uint64_t>(n)))];
}

class RandomPolicy final : public PlacementPolicy {
 public:
  PolicyKind kind() const override { return PolicyKind::kRandom; }
  Placement choose(const ClusterState& cluster, const PodRequest& pod,
                   std::span<const int> feasible, Rng& rng) override {
    const int node = feasible[static_cast<std::size_t>(rng.below(feasible.size()))];
    return {node, random_fit_gpus(cluster.node(node), pod, rng)};
  }
};

// Score every feasible node (cached per node version and pod class), keep
// the best; ties go to the smallest tie rank.
class ScoredPolicy : public PlacementPolicy {
 public:
  explicit ScoredPolicy(std::vector<int> tie_rank) : tie_rank_(std::move(tie_rank)) {}

  Placement choose(const ClusterState& cluster, const PodRequest& pod,
                   std::span<const int> feasible, Rng& /*rng*/) override {
    int best = INT_MIN;
    int node = -1;
    for (const int n : feasible) {
      const ScoredGpus s = cached(cluster, n, pod);
      if (s.score > best || (s.score == best && rank(n) < rank(node))) {
        best = s.score;
        node = n;
      }
    }
    const NodeState& chosen = cluster.node(node);
    const ScoredGpus s = cached(cluster, node, pod);
    std::uint32_t mask = s.gpu_mask;
    if (pod.num_gpu > 0 && mask == 0) mask = best_fit_gpus(chosen, pod);
    return {node, mask};
  }

 protected:
  virtual ScoredGpus evaluate(const ClusterState& cluster, int node, const PodRequest& pod) = 0;

 private:
  int rank(int node) const {
    return tie_rank_.empty() ? node : tie_rank_[static_cast<std::size_t>(node)];
  }

  struct Entry {
    std::uint64_t version_plus_one = 0;
    ScoredGpus value;
  };

  ScoredGpus cached(const ClusterState& cluster, int node, const PodRequest& pod) {
    if (pod.type_id < 0) return evaluate(cluster, node, pod);
    const std::size_t nodes = cluster.nodes().size();
    if (pod.type_id >= stride_ || cache_.size() != nodes * static_cast<std::size_t>(stride_)) {
      stride_ = std::max(stride_, pod.type_id + 1);
      cache_.assign(nodes * static_cast<std::size_t>(stride_), Entry{});
    }
    Entry& e = cache_[static_cast<std::size_t>(node) * static_cast<std::size_t>(stride_) +
                      static_cast<std::size_t>(pod.type_id)];
    const std::uint64_t v = cluster.node(node).version + 1;
    if (e.version_plus_one != v) {
      e.value = evaluate(cluster, node, pod);
      e.version_plus_one = v;
    }
    return e.value;
  }

  std::vector<int> tie_rank_;
  std::vector<Entry> cache_;
  int stride_ = 0;
};

class DotProductPolicy final : public ScoredPolicy {
 public:
  using ScoredPolicy::ScoredPolicy;
  PolicyKind kind() const override { return PolicyKind::kDotProduct; }

 protected:
  ScoredGpus evaluate(const ClusterState& c, int node, const PodRequest& pod) override {
    return {dot_product_score(c.node(node), pod), 0};
  }
};

class GpuClusteringPolicy final : public ScoredPolicy {
 public:
  using ScoredPolicy::ScoredPolicy;
  PolicyKind kind() const override { return PolicyKind::kGpuClustering; }

 protected:
  ScoredGpus evaluate(const ClusterState& c, int node, const PodRequest& pod) override {
    return {gpu_clustering_score(c.node(node), pod), 0};
  }
};

class GpuPackingPolicy final : public ScoredPolicy {
 public:
  using ScoredPolicy::ScoredPolicy;
  PolicyKind kind() const override { return PolicyKind::kGpuPacking; }

 protected:
  ScoredGpus evaluate(const ClusterState& c, int node, const PodRequest& pod) override {
    return {gpu_packing_score(c.node(node), pod), 0};
  }
};

// The reference min-max normalises best-fit scores over the feasible nodes
// with integer arithmetic; only the top raw score maps to 100, so the
// winner set is the same and the normalisation is left out.
class BestFitPolicy final : public ScoredPolicy {
 public:
  using ScoredPolicy::ScoredPolicy;
  PolicyKind kind() const override { return PolicyKind::kBestFit; }

 protected:
  ScoredGpus evaluate(const ClusterState& c, int node, const PodRequest& pod) override {
    return {best_fit_score(c.node(node), pod), 0};
  }
};

class FgdPolicy final : public ScoredPolicy {
 public:
  FgdPolicy(std::vector<TypicalPod> typical, std::vector<int> tie_rank)
      : ScoredPolicy(std::move(tie_rank)), typical_(std::move(typical)) {}
  PolicyKind kind() const override { return PolicyKind::kFgd; }

 protected:
  ScoredGpus evaluate(const ClusterState& c, int node, const PodRequest& pod) override {
    const NodeState& n = c.node(node);
    if (frag_.size() != c.nodes().size()) frag_.assign(c.nodes().size(), FragEntry{});
    FragEntry& f = frag_[static_cast<std::size_t>(node)];
    if (f.version_plus_one != n.version + 1) {
      f.frag = node_gpu_fragmentation(n, typical_);
      f.version_plus_one = n.version + 1;
    }
    return fgd_score(n, pod, typical_, f.frag);
  }

 private:
  struct FragEntry {
    std::uint64_t version_plus_one = 0;
    double frag = 0;
  };
  std::vector<TypicalPod> typical_;
  std::vector<FragEntry> frag_;
};

// fgd-plus: FGD's integer score softened by best fit. CPU-only and whole-GPU
// pods score FGD's value minus up to 3 points for the room the node would
// have left (best fit's CPU and GPU leftover), so FGD's many ties and
// one-point near-ties go to the tightest node instead of a random one,
// packing pods that leave no partial GPUs; sharing pods keep FGD's node
// score and, inside the node, take the GPU with the largest fragmentation
// decrease (not the rounded score), the tightest one on ties.
class FgdPlusPolicy final : public PlacementPolicy {
 public:
  FgdPlusPolicy(std::vector<TypicalPod> typical, std::vector<int> tie_rank)
      : typical_(std::move(typical)), tie_rank_(std::move(tie_rank)) {}
  PolicyKind kind() const override { return PolicyKind::kFgdPlus; }

  Placement choose(const ClusterState& cluster, const PodRequest& pod,
                   std::span<const int> feasible, Rng& /*rng*/) override {
    int node = -1;
    ScoredPlus best;
    for (const int n : feasible) {
      const ScoredPlus s = cached(cluster, n, pod);
      if (node < 0 || s.score > best.score || (s.score == best.score && rank(n) < rank(node))) {
        best = s;
        node = n;
      }
    }
    std::uint32_t mask = best.gpu_mask;
    if (pod.num_gpu > 0 && mask == 0) mask = best_fit_gpus(cluster.node(node), pod);
    return {node, mask};
  }

 private:
  // Up to this many score points for a perfect fit (no CPU or GPU left).
  static constexpr double kBestFitPoints = 3;

  struct ScoredPlus {
    double score = 0;
    std::uint32_t gpu_mask = 0;
  };

  int rank(int node) const {
    return tie_rank_.empty() ? node : tie_rank_[static_cast<std::size_t>(node)];
  }

  ScoredPlus evaluate(const NodeState& n, const PodRequest& pod, double node_frag) const {
    const std::int64_t cpu_after = n.cpu_left - pod.cpu_milli;
    if (pod.sharing()) {
      int best_gpu = -1;
      double best_decrease = 0;
      for (int i = 0; i < n.gpu_count; ++i) {
        const int left = n.gpu_left[static_cast<std::size_t>(i)];
        if (left < pod.gpu_milli) continue;
        bool seen = false;  // an earlier GPU with the same free milli scores the same
        for (int j = 0; j < i && !seen; ++j) seen = n.gpu_left[static_cast<std::size_t>(j)] == left;
        if (seen) continue;
        auto after = n.gpu_left;
        after[static_cast<std::size_t>(i)] -= pod.gpu_milli;
        const double decrease =
            node_frag - fragmentation(n.model, cpu_after, after, n.gpu_count, typical_);
        if (best_gpu < 0 || decrease > best_decrease ||
            (decrease == best_decrease && left < n.gpu_left[static_cast<std::size_t>(best_gpu)])) {
          best_gpu = i;
          best_decrease = decrease;
        }
      }
      if (best_gpu < 0) return {};
      return {static_cast<double>(sigmoid_score(best_decrease)), 1u << best_gpu};
    }
    auto after = n.gpu_left;
    std::uint32_t mask = 0;
    if (pod.num_gpu > 0) {
      mask = first_free_gpus(n, pod.num_gpu);
      for (int i = 0; i < n.gpu_count; ++i) {
        if ((mask >> i) & 1u) after[static_cast<std::size_t>(i)] -= pod.gpu_milli;
      }
    }
    const double decrease =
        node_frag - fragmentation(n.model, cpu_after, after, n.gpu_count, typical_);
    const double leftover =
        (static_cast<double>(cpu_after) / kMaxSpecCpu +
         static_cast<double>(n.gpu_left_total() - pod.total_gpu_milli()) / kMaxSpecGpu) *
        0.5;
    return {sigmoid_score(decrease) - kBestFitPoints * leftover, mask};
  }

  struct Entry {
    std::uint64_t version_plus_one = 0;
    ScoredPlus value;
  };
  struct FragEntry {
    std::uint64_t version_plus_one = 0;
    double frag = 0;
  };

  // Cached per node version (fragmentation) and per node version and pod
  // class (score), as ScoredPolicy and FgdPolicy do.
  ScoredPlus cached(const ClusterState& cluster, int node, const PodRequest& pod) {
    const NodeState& n = cluster.node(node);
    const std::size_t nodes = cluster.nodes().size();
    if (frag_.size() != nodes) frag_.assign(nodes, FragEntry{});
    FragEntry& f = frag_[static_cast<std::size_t>(node)];
    if (f.version_plus_one != n.version + 1) {
      f.frag = node_gpu_fragmentation(n, typical_);
      f.version_plus_one = n.version + 1;
    }
    if (pod.type_id < 0) return evaluate(n, pod, f.frag);
    if (pod.type_id >= stride_ || cache_.size() != nodes * static_cast<std::size_t>(stride_)) {
      stride_ = std::max(stride_, pod.type_id + 1);
      cache_.assign(nodes * static_cast<std::size_t>(stride_), Entry{});
    }
    Entry& e = cache_[static_cast<std::size_t>(node) * static_cast<std::size_t>(stride_) +
                      static_cast<std::size_t>(pod.type_id)];
    if (e.version_plus_one != n.version + 1) {
      e.value = evaluate(n, pod, f.frag);
      e.version_plus_one = n.version + 1;
    }
    return e.value;
  }

  std::vector<TypicalPod> typical_;
  std::vector<int> tie_rank_;
  std::vector<Entry> cache_;
  std::vector<FragEntry> frag_;
  int stride_ = 0;
};

auto class_key(const PodRequest& p) {
  return std::make_tuple(p.cpu_milli, p.gpu_milli, p.num_gpu, p.gpu_spec);
}

}  // namespace

std::string_view policy_name(PolicyKind kind) {
  switch (kind) {
    case PolicyKind::kRandom:
      return "random";
    case PolicyKind::kDotProduct:
      return "dotprod";
    case PolicyKind::kGpuClustering:
      return "gpu-clustering";
    case PolicyKind::kGpuPacking:
      return "gpu-packing";
    case PolicyKind::kBestFit:
      return "bestfit";
    case PolicyKind::kFgd:
      return "fgd";
    case PolicyKind::kFgdPlus:
      return "fgd-plus";
  }
  return "?";
}

std::span<const PolicyKind> all_policies() { return kAllPolicies; }

Result<PolicyKind> parse_policy(std::string_view name) {
  std::vector<std::string> names;
  for (const PolicyKind k : kAllPolicies) {
    if (policy_name(k) == name) return k;
    names.emplace_back(policy_name(k));
  }
  return fail(ErrorCode::kInvalidArgument,
              fmt::format("{} (choose one of: {})", unknown_id_message("policy", name, names),
                          join(names, ", ")));
}

std::vector<TypicalPod> typical_pods(std::span<const PodRequest> workload,
                                     const TypicalPodsOptions& options) {
  // Count pods per class; keep one representative request per class.
  std::map<decltype(class_key(PodRequest{})), std::pair<double, PodRequest>> counts;
  double total = 0;
  for (const auto& p : workload) {
    if (!options.include_cpu_pods && p.num_gpu == 0) continue;
    auto [it, inserted] = counts.try_emplace(class_key(p), 0.0, p);
    it->second.first += 1;
    total += 1;
  }
  std::vector<TypicalPod> list;
  list.reserve(counts.size());
  for (auto& [key, value] : counts) {
    TypicalPod t;
    t.pod = value.second;
    t.pod.memory_mib = 0;  // classes ignore memory
    t.weight = value.first;
    list.push_back(std::move(t));
  }
  // Most frequent first; on equal counts the larger class (cpu, gpu milli,
  // GPU count, spec) first, as sort.Reverse of the reference's Less.
  std::stable_sort(list.begin(), list.end(), [](const TypicalPod& a, const TypicalPod& b) {
    if (a.weight != b.weight) return a.weight > b.weight;
    return class_key(b.pod) < class_key(a.pod);
  });
  if (total == 0) return {};
  const double expected = options.popularity_threshold_pct * total / 100.0;
  double covered = 0;
  std::size_t keep = 0;
  while (covered < expected && keep < list.size()) covered += list[keep++].weight;
  list.resize(keep);
  for (auto& t : list) t.weight /= covered;
  return list;
}

double node_gpu_fragmentation(const NodeState& node, std::span<const TypicalPod> typical) {
  return fragmentation(node.model, node.cpu_left, node.gpu_left, node.gpu_count, typical);
}

int dot_product_score(const NodeState& node, const PodRequest& pod) {
  const double node_vec[2] = {static_cast<double>(node.cpu_left) / kMaxSpecCpu,
                              static_cast<double>(node.gpu_left_total()) / kMaxSpecGpu};
  const double pod_vec[2] = {static_cast<double>(pod.cpu_milli) / kMaxSpecCpu,
                             static_cast<double>(pod.total_gpu_milli()) / kMaxSpecGpu};
  // Untracked CPU (kUntrackedCapacity): the GPU term alone, as in best fit.
  const bool cpu_tracked = node.cpu_capacity < kUntrackedCapacity;
  double dot = 0;
  for (int i = cpu_tracked ? 0 : 1; i < 2; ++i) dot += node_vec[i] * pod_vec[i];
  double score = dot / 2;
  score = 1 - score;  // a larger dot product scores lower
  return static_cast<int>(std::clamp(static_cast<double>(kMaxScore) * score, -1e9, 1e9));
}

int gpu_clustering_score(const NodeState& node, const PodRequest& pod) {
  const int tag = pod.affinity_tag();
  if (tag == kNoAffinity) return 0;
  const int base = kMaxScore / 4 * (kMaxSpecGpuMilli - node.gpu_left_total()) / kMaxSpecGpuMilli;
  if (node.affinity[static_cast<std::size_t>(tag)] > 0) {
    // Only this kind of pod on the node: (75, 100]; mixed kinds: (50, 75].
    return base + (node.affinity_kinds == 1 ? kMaxScore * 3 / 4 : kMaxScore * 2 / 4);
  }
  // An idle node: (25, 50]; a node running other kinds: (0, 25].
  return base + (node.affinity_kinds == 0 ? kMaxScore / 4 : 0);
}

int gpu_packing_score(const NodeState& node, const PodRequest& pod) {
  if (pod.gpu_milli <= 0) return 0;
  const int fully_free = node.fully_free_gpus();
  if (fully_free == node.gpu_count) {  // an idle node: [0, 33]
    return std::max(kMaxScore / 3 - fully_free, fully_free);
  }
  // The GPUs it would use: least free milli first.
  std::array<int, kMaxNodeGpus> order{};
  for (int i = 0; i < node.gpu_count; ++i) order[static_cast<std::size_t>(i)] = i;
  std::stable_sort(order.begin(), order.begin() + node.gpu_count, [&](int a, int b) {
    return node.gpu_left[static_cast<std::size_t>(a)] < node.gpu_left[static_cast<std::size_t>(b)];
  });
  int need = pod.num_gpu;
  int free_used = 0;
  int free_pct_sum = 0;  // percent free on the GPUs it would use
  for (int k = 0; k < node.gpu_count && need > 0; ++k) {
    const int left = node.gpu_left[static_cast<std::size_t>(order[static_cast<std::size_t>(k)])];
    if (pod.gpu_milli <= left) {
      --need;
      free_used += left == kGpuMilli;
      free_pct_sum += left * 100 / kGpuMilli;
    }
  }
  if (need != 0) return 0;
  if (free_used > 0) {  // has to open fully free GPUs on a used node: [33, 50]
    return std::max(kMaxScore / 2 - free_used, kMaxScore / 3);
  }
  // Fits on GPUs already shared: [50, 100], the fuller the better.
  return std::max(kMaxScore - free_pct_sum / 10, kMaxScore / 2);
}

int best_fit_score(const NodeState& node, const PodRequest& pod) {
  const double free_vec[2] = {static_cast<double>(node.cpu_left),
                              static_cast<double>(node.gpu_left_total())};
  const double req_vec[2] = {static_cast<double>(pod.cpu_milli),
                             static_cast<double>(pod.total_gpu_milli())};
  const double max_vec[2] = {kMaxSpecCpu, kMaxSpecGpu};
  // A node whose CPU is not tracked (the simulator's fleets without
  // cpu_milli) is scored on its GPUs alone: its CPU term would be ~1e11,
  // far outside an int, and every such node would score the same.
  const bool cpu_tracked = node.cpu_capacity < kUntrackedCapacity;
  double score = 0;
  for (int i = cpu_tracked ? 0 : 1; i < 2; ++i)
    score += (free_vec[i] - req_vec[i]) / max_vec[i] * 0.5;
  score = (1.0 - score) * static_cast<double>(kMaxScore);
  return static_cast<int>(std::clamp(score, -1e9, 1e9));  // a defined conversion
}

ScoredGpus fgd_score(const NodeState& node, const PodRequest& pod,
                     std::span<const TypicalPod> typical, double node_frag) {
  const std::int64_t cpu_after = node.cpu_left - pod.cpu_milli;
  if (pod.sharing()) {
    ScoredGpus best{0, 0};
    int best_gpu = -1;
    for (int i = 0; i < node.gpu_count; ++i) {
      const int left = node.gpu_left[static_cast<std::size_t>(i)];
      if (left < pod.gpu_milli) continue;
      bool seen = false;  // an earlier GPU with the same free milli scores the same
      for (int j = 0; j < i && !seen; ++j)
        seen = node.gpu_left[static_cast<std::size_t>(j)] == left;
      if (seen) continue;
      auto after = node.gpu_left;
      after[static_cast<std::size_t>(i)] -= pod.gpu_milli;
      const double frag = fragmentation(node.model, cpu_after, after, node.gpu_count, typical);
      const int s = sigmoid_score(node_frag - frag);
      if (best_gpu < 0 || s > best.score) {
        best.score = s;
        best_gpu = i;
      }
    }
    if (best_gpu >= 0) best.gpu_mask = 1u << best_gpu;
    return best;
  }
  // CPU-only and whole-GPU pods: whole GPUs come from the fully free ones
  // (which ones does not change the fragmentation).
  auto after = node.gpu_left;
  std::uint32_t mask = 0;
  if (pod.num_gpu > 0) {
    mask = first_free_gpus(node, pod.num_gpu);
    for (int i = 0; i < node.gpu_count; ++i) {
      if ((mask >> i) & 1u) after[static_cast<std::size_t>(i)] -= pod.gpu_milli;
    }
  }
  const double frag = fragmentation(node.model, cpu_after, after, node.gpu_count, typical);
  return {sigmoid_score(node_frag - frag), mask};
}

std::unique_ptr<PlacementPolicy> make_policy(PolicyKind kind, PolicyOptions options) {
  switch (kind) {
    case PolicyKind::kRandom:
      return std::make_unique<RandomPolicy>();
    case PolicyKind::kDotProduct:
      return std::make_unique<DotProductPolicy>(std::move(options.tie_rank));
    case PolicyKind::kGpuClustering:
      return std::make_unique<GpuClusteringPolicy>(std::move(options.tie_rank));
    case PolicyKind::kGpuPacking:
      return std::make_unique<GpuPackingPolicy>(std::move(options.tie_rank));
    case PolicyKind::kBestFit:
      return std::make_unique<BestFitPolicy>(std::move(options.tie_rank));
    case PolicyKind::kFgd:
      return std::make_unique<FgdPolicy>(std::move(options.typical), std::move(options.tie_rank));
    case PolicyKind::kFgdPlus:
      return std::make_unique<FgdPlusPolicy>(std::move(options.typical),
                                             std::move(options.tie_rank));
  }
  return nullptr;
}

}  // namespace suanli

#include "sched/replay.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <numeric>
#include <tuple>

namespace suanli {

namespace {

// The authors' analysis script: rows whose arrived demand rounds to the
// target percentage, allocation ratios rounded to 0.01, averaged; with no
// such row, the rows within one percentage point.
double allocation_at_target(const std::vector<CurvePoint>& curve, double target_pct) {
  const double bucket = std::nearbyint(target_pct);
  for (const double width : {0.0, 1.0}) {
    double sum = 0;
    int n = 0;
    for (const auto& p : curve) {
      const double arrived = std::nearbyint(p.arrived_gpu_demand_pct);
      if (std::abs(arrived - bucket) <= width) {
        sum += std::nearbyint(p.gpu_allocation_ratio_pct * 100) / 100;
        ++n;
      }
    }
    if (n > 0) return sum / n;
  }
  return curve.empty() ? 0 : curve.back().gpu_allocation_ratio_pct;
}

// The workload in name order (the reference sorts by name before it
// shuffles and samples), with one class id per (cpu, GPUs, spec).
std::vector<PodRequest> workload_by_name(const ClusterState& cluster,
                                         const std::vector<OpenbPod>& pods) {
  std::vector<std::size_t> by_name(pods.size());
  std::iota(by_name.begin(), by_name.end(), std::size_t{0});
  std::stable_sort(by_name.begin(), by_name.end(),
                   [&](std::size_t a, std::size_t b) { return pods[a].name < pods[b].name; });
  std::vector<PodRequest> workload;
  workload.reserve(pods.size());
  std::map<std::tuple<std::int64_t, int, int, std::string>, int> classes;
  for (const std::size_t i : by_name) {
    PodRequest r = cluster.request_for(pods[i]);
    auto key = std::make_tuple(r.cpu_milli, r.gpu_milli, r.num_gpu, r.gpu_spec);
    auto [it, inserted] = classes.try_emplace(std::move(key), static_cast<int>(classes.size()));
    r.type_id = it->second;
    workload.push_back(std::move(r));
  }
  return workload;
}

// Indices 0..count-1 shuffled (Fisher-Yates, from the back, as Go's
// rand.Shuffle); `count` > 0.
std::vector<std::size_t> shuffled_arrivals(std::size_t count, Rng& rng) {
  std::vector<std::size_t> arrivals(count);
  std::iota(arrivals.begin(), arrivals.end(), std::size_t{0});
  for (std::size_t i = arrivals.size() - 1; i > 0; --i) {
    std::swap(arrivals[i], arrivals[rng.below(i + 1)]);
  }
  return arrivals;
}

// Drops random arrivals, or appends random draws from `workload`, until the
// arrived GPU demand meets `target` milli.
void inflate_arrivals(const std::vector<PodRequest>& workload, double target,
                      std::vector<std::size_t>& arrivals, Rng& rng) {
  std::int64_t demand = 0;
  for (const auto& p : workload) demand += p.total_gpu_milli();
  if (static_cast<double>(demand) > target) {
    while (static_cast<double>(demand) > target && !arrivals.empty()) {
      const std::size_t k = rng.below(arrivals.size());
      demand -= workload[arrivals[k]].total_gpu_milli();
      arrivals.erase(arrivals.begin() + static_cast<std::ptrdiff_t>(k));
    }
  } else {
    // The reference's stopping test compares the per-GPU milli of the
    // drawn pod, so a multi-GPU pod may overshoot the target slightly.
    while (true) {
      const std::size_t k = rng.below(workload.size());
      const PodRequest& p = workload[k];
      if (static_cast<double>(demand + p.gpu_milli) > target) break;
      demand += p.total_gpu_milli();
      arrivals.push_back(k);
    }
  }
}

// Tie-break rank per node: the reference renames the nodes (sorted by name)
// with a seeded random permutation as prefix, and ties go to the smallest name.
std::vector<int> tie_ranks(const ClusterState& cluster, Rng& rng) {
  std::vector<std::size_t> node_by_name(cluster.nodes().size());
  std::iota(node_by_name.begin(), node_by_name.end(), std::size_t{0});
  std::stable_sort(node_by_name.begin(), node_by_name.end(), [&](std::size_t a, std::size_t b) {
    return cluster.node(static_cast<int>(a)).name < cluster.node(static_cast<int>(b)).name;
  });
  std::vector<int> perm(node_by_name.size());
  std::iota(perm.begin(), perm.end(), 0);
  for (std::size_t i = perm.size(); i > 1; --i) std::swap(perm[i - 1], perm[rng.below(i)]);
  std::vector<int> rank(node_by_name.size(), 0);
  for (std::size_t i = 0; i < node_by_name.size(); ++i) rank[node_by_name[i]] = perm[i];
  return rank;
}

// Places the arrivals one by one with `policy`, counting them in `result`;
// the curve has one point per arrival.
std::vector<CurvePoint> place_arrivals(ClusterState& cluster,
                                       const std::vector<PodRequest>& workload,
                                       const std::vector<std::size_t>& arrivals,
                                       PlacementPolicy& policy, Rng& rng, ReplayResult& result) {
  std::vector<CurvePoint> curve;
  curve.reserve(arrivals.size());
  std::vector<int> feasible;
  feasible.reserve(cluster.nodes().size());
  const double capacity = static_cast<double>(cluster.total_gpu_milli());
  for (const std::size_t k : arrivals) {
    const PodRequest& pod = workload[k];
    result.arrived_gpu_milli += pod.total_gpu_milli();
    ++result.pods_arrived;
    feasible.clear();
    const auto& ns = cluster.nodes();
    for (std::size_t n = 0; n < ns.size(); ++n) {
      if (ClusterState::fits(ns[n], pod)) feasible.push_back(static_cast<int>(n));
    }
    if (feasible.empty()) {
      ++result.pods_unplaced;
    } else {
      const Placement where = policy.choose(cluster, pod, feasible, rng);
      cluster.place(where, pod);
      ++result.pods_placed;
    }
    curve.push_back({result.pods_arrived,
                     100.0 * static_cast<double>(result.arrived_gpu_milli) / capacity,
                     100.0 * static_cast<double>(cluster.used_gpu_milli()) / capacity});
  }
  return curve;
}

}  // namespace

Result<ReplayResult> replay_openb(const std::vector<OpenbNode>& nodes,
                                  const std::vector<OpenbPod>& pods, const ReplayOptions& options) {
  if (!(options.inflate > 0) || !std::isfinite(options.inflate)) {
    return fail(ErrorCode::kInvalidArgument,
                fmt::format("inflate must be a positive number, got {}", options.inflate));
  }
  if (pods.empty()) return fail(ErrorCode::kInvalidArgument, "the pod list is empty");
  auto cluster_or = ClusterState::from_openb(nodes);
  if (!cluster_or) return std::unexpected(cluster_or.error());
  ClusterState cluster = std::move(*cluster_or);
  if (cluster.total_gpu_milli() == 0) {
    return fail(ErrorCode::kInvalidArgument, "the node list has no GPUs");
  }
  const std::vector<PodRequest> workload = workload_by_name(cluster, pods);

  ReplayResult result;
  result.nodes = static_cast<int>(cluster.nodes().size());
  result.gpu_nodes = cluster.gpu_nodes();
  result.gpus = cluster.total_gpus();
  result.trace_pods = static_cast<int>(pods.size());

  PolicyOptions policy_options;
  if (options.policy == PolicyKind::kFgd || options.policy == PolicyKind::kFgdPlus) {
    policy_options.typical = typical_pods(workload, options.typical);
    result.typical_pod_classes = static_cast<int>(policy_options.typical.size());
  }

  // The seeded stream is drawn in this order: shuffle, inflate (or
  // deflate) to the target GPU demand, tie-break ranks, then the policy.
  Rng rng(options.seed);
  std::vector<std::size_t> arrivals = shuffled_arrivals(workload.size(), rng);
  const double target = options.inflate * static_cast<double>(cluster.total_gpu_milli());
  inflate_arrivals(workload, target, arrivals, rng);
  policy_options.tie_rank = tie_ranks(cluster, rng);
  auto policy = make_policy(options.policy, std::move(policy_options));

  std::vector<CurvePoint> curve = place_arrivals(cluster, workload, arrivals, *policy, rng, result);
  const double capacity = static_cast<double>(cluster.total_gpu_milli());
  result.allocated_gpu_milli = cluster.used_gpu_milli();
  result.arrived_gpu_demand_pct = 100.0 * static_cast<double>(result.arrived_gpu_milli) / capacity;
  result.gpu_allocation_ratio_pct =
      100.0 * static_cast<double>(result.allocated_gpu_milli) / capacity;
  result.gpu_allocation_ratio_at_target_pct = allocation_at_target(curve, options.inflate * 100);
  if (options.record_curve) result.curve = std::move(curve);
  return result;
}

}  // namespace suanli

// Placement policies on tiny hand-built clusters; every expected score is
// computed by hand in the comment next to it.
#include "sched/policy.h"

#include <gtest/gtest.h>

#include <bit>
#include <vector>

#include "sched_fixtures.h"

namespace suanli {
namespace {

using testing::half_whole_half_half;
using testing::node;
using testing::pod;

ClusterState cluster_of(const std::vector<OpenbNode>& nodes) {
  auto c = ClusterState::from_openb(nodes);
  EXPECT_TRUE(c.has_value());
  return std::move(*c);
}

std::vector<int> all_nodes(const ClusterState& c) {
  std::vector<int> v;
  for (int i = 0; i < static_cast<int>(c.nodes().size()); ++i) {
    v.push_back(i);
  }
  return v;
}

Placement choose(PolicyKind kind, const ClusterState& c, const PodRequest& p,
                 PolicyOptions options = {}) {
  auto policy = make_policy(kind, std::move(options));
  Rng rng(7);
  std::vector<int> feasible;
  for (const int n : all_nodes(c)) {
    if (ClusterState::fits(c.node(n), p)) feasible.push_back(n);
  }
  EXPECT_FALSE(feasible.empty());
  return policy->choose(c, p, feasible, rng);
}

TEST(PolicyTest, NamesRoundTrip) {
  for (const PolicyKind k : all_policies()) {
    auto parsed = parse_policy(policy_name(k));
    ASSERT_TRUE(parsed.has_value());
    EXPECT_EQ(*parsed, k);
  }
  auto bad = parse_policy("best-fit");
  ASSERT_FALSE(bad.has_value());
  EXPECT_NE(bad.error().message.find("bestfit"), std::string::npos) << bad.error().message;
}

TEST(ClusterTest, FitsHonoursCpuMemoryGpusAndModels) {
  ClusterState c = cluster_of(
      {node("cpu", 32000, 0, ""), node("g2", 96000, 2, "G2"), node("t4", 64000, 1, "T4")});
  PodRequest cpu_only = pod(8000, 0, 0);
  EXPECT_TRUE(ClusterState::fits(c.node(0), cpu_only));
  PodRequest whole = pod(8000, 2, 1000);
  EXPECT_FALSE(ClusterState::fits(c.node(0), whole));
  EXPECT_TRUE(ClusterState::fits(c.node(1), whole));
  EXPECT_FALSE(ClusterState::fits(c.node(2), whole));  // one GPU only
  OpenbPod spec;
  spec.name = "p";
  spec.cpu_milli = 1000;
  spec.memory_mib = 1024;
  spec.num_gpu = 1;
  spec.gpu_milli = 500;
  spec.gpu_spec = "T4|V100M16";
  PodRequest constrained = c.request_for(spec);
  EXPECT_TRUE(constrained.model_constrained);
  EXPECT_FALSE(ClusterState::fits(c.node(1), constrained));  // G2
  EXPECT_TRUE(ClusterState::fits(c.node(2), constrained));   // T4
  PodRequest big_memory = pod(1000, 0, 0);
  big_memory.memory_mib = (1 << 20) + 1;
  EXPECT_FALSE(ClusterState::fits(c.node(1), big_memory));
  PodRequest too_much_cpu = pod(96001, 1, 1000);
  EXPECT_FALSE(ClusterState::fits(c.node(1), too_much_cpu));

  // Sharing one GPU: 600 + 500 does not fit a GPU, 600 + 400 does.
  c.place({1, 0b01}, pod(1000, 1, 600));
  c.place({1, 0b10}, pod(1000, 1, 600));
  EXPECT_FALSE(ClusterState::fits(c.node(1), pod(1000, 1, 500)));
  EXPECT_TRUE(ClusterState::fits(c.node(1), pod(1000, 1, 400)));
  EXPECT_EQ(c.used_gpu_milli(), 1200);
  EXPECT_EQ(c.total_gpu_milli(), 3000);
  EXPECT_EQ(c.node(1).cpu_left, 94000);
}

TEST(PolicyTest, BestFitPicksTheTightestNode) {
  ClusterState c = cluster_of({node("big", 64000, 8, "G2"), node("small", 32000, 2, "T4")});
  const PodRequest p = pod(4000, 1, 1000);
  // big:   1 - (60000/128000*0.5 + 7000/8000*0.5) = 0.328125 -> 32
  // small: 1 - (28000/128000*0.5 + 1000/8000*0.5) = 0.828125 -> 82
  EXPECT_EQ(best_fit_score(c.node(0), p), 32);
  EXPECT_EQ(best_fit_score(c.node(1), p), 82);
  const Placement where = choose(PolicyKind::kBestFit, c, p);
  EXPECT_EQ(where.node, 1);
  EXPECT_EQ(where.gpu_mask, 0b01u);  // the lowest-indexed free GPU
}

TEST(PolicyTest, DotProductPrefersTheSmallerDotProduct) {
  ClusterState c = cluster_of({node("big", 64000, 8, "G2"), node("small", 32000, 2, "T4")});
  const PodRequest p = pod(8000, 1, 1000);
  // big:   node (0.5, 1.0), pod (0.0625, 0.125): 1 - 0.15625/2 = 0.921875 -> 92
  // small: node (0.25, 0.25):                    1 - 0.046875/2 = 0.9765625 -> 97
  EXPECT_EQ(dot_product_score(c.node(0), p), 92);
  EXPECT_EQ(dot_product_score(c.node(1), p), 97);
  EXPECT_EQ(choose(PolicyKind::kDotProduct, c, p).node, 1);
}

TEST(PolicyTest, GpuPackingPrefersAPartiallyUsedGpu) {
  ClusterState c = cluster_of(
      {node("fresh", 64000, 2, "T4"), node("used", 64000, 2, "T4"), node("whole", 64000, 2, "T4")});
  c.place({1, 0b10}, pod(1000, 1, 400));   // "used": GPU 1 has 600 left
  c.place({2, 0b01}, pod(1000, 1, 1000));  // "whole": GPU 0 taken entirely
  const PodRequest p = pod(1000, 1, 300);
  // fresh: idle node, max(33 - 2, 2) = 31
  // used:  fits on the shared GPU (60% free): 100 - 60/10 = 94
  // whole: must open a fully free GPU on a used node: max(50 - 1, 33) = 49
  EXPECT_EQ(gpu_packing_score(c.node(0), p), 31);
  EXPECT_EQ(gpu_packing_score(c.node(1), p), 94);
  EXPECT_EQ(gpu_packing_score(c.node(2), p), 49);
  const Placement where = choose(PolicyKind::kGpuPacking, c, p);
  EXPECT_EQ(where.node, 1);
  EXPECT_EQ(where.gpu_mask, 0b10u);  // best fit inside the node: the shared GPU
  EXPECT_EQ(gpu_packing_score(c.node(0), pod(1000, 0, 0)), 0);  // CPU-only pods: no preference
}

TEST(PolicyTest, GpuClusteringPrefersNodesRunningTheSameKind) {
  ClusterState c = cluster_of(
      {node("share", 64000, 2, "T4"), node("one", 64000, 2, "T4"), node("idle", 64000, 2, "T4")});
  c.place({0, 0b01}, pod(1000, 1, 400));   // a sharing pod: 1600 milli left
  c.place({1, 0b01}, pod(1000, 1, 1000));  // a one-GPU pod: 1000 milli left
  const PodRequest p = pod(1000, 1, 200);  // another sharing pod
  // share: 25 * 6400 / 8000 = 20, + 75 (only this kind) = 95
  // one:   25 * 7000 / 8000 = 21, + 0 (other kinds only) = 21
  // idle:  25 * 6000 / 8000 = 18, + 25 (idle) = 43
  EXPECT_EQ(gpu_clustering_score(c.node(0), p), 95);
  EXPECT_EQ(gpu_clustering_score(c.node(1), p), 21);
  EXPECT_EQ(gpu_clustering_score(c.node(2), p), 43);
  EXPECT_EQ(choose(PolicyKind::kGpuClustering, c, p).node, 0);
  // A one-GPU pod goes to the node already running one-GPU pods (21 + 75 = 96).
  EXPECT_EQ(gpu_clustering_score(c.node(1), pod(1000, 1, 1000)), 96);
}

TEST(PolicyTest, FgdFragmentationByHand) {
  ClusterState c = cluster_of({node("n", 64000, 2, "T4")});
  const auto typical = half_whole_half_half();
  EXPECT_DOUBLE_EQ(node_gpu_fragmentation(c.node(0), typical), 0);
  c.place({0, 0b01}, pod(1000, 1, 400));  // [600, 1000]
  // whole-GPU pods fit (GPU 1): GPU 0's 600 is fragment for them: 0.5 * 600
  // 500-milli pods fit everywhere: 0
  EXPECT_DOUBLE_EQ(node_gpu_fragmentation(c.node(0), typical), 300);
  c.place({0, 0b10}, pod(1000, 1, 700));  // [600, 300]
  // whole-GPU pods cannot run: all 900 free milli: 0.5 * 900 = 450
  // 500-milli pods fit on GPU 0; GPU 1's 300 is fragment: 0.5 * 300 = 150
  EXPECT_DOUBLE_EQ(node_gpu_fragmentation(c.node(0), typical), 600);
  // A CPU-starved node: every free milli is fragment.
  ClusterState starved = cluster_of({node("s", 1500, 2, "T4")});
  starved.place({0, 0b01}, pod(1000, 1, 400));
  EXPECT_DOUBLE_EQ(node_gpu_fragmentation(starved.node(0), typical), 1600);
}

TEST(PolicyTest, FgdPicksTheNodeWhoseFragmentationGrowsLeast) {
  ClusterState c = cluster_of({node("a", 64000, 1, "T4"), node("b", 64000, 1, "T4")});
  c.place({0, 0b1}, pod(1000, 1, 400));  // a: 600 left
  c.place({1, 0b1}, pod(1000, 1, 700));  // b: 300 left
  const auto typical = half_whole_half_half();
  const PodRequest p = pod(1000, 1, 200);
  // a: 600 -> 400: frag 300 -> 400 (0.5*400 + 0.5*400): sigmoid(-0.1) = 0.475 -> 47
  // b: 300 -> 100: frag 300 -> 100 (0.5*100 + 0.5*100): sigmoid(+0.2) = 0.550 -> 54
  const double fa = node_gpu_fragmentation(c.node(0), typical);
  const double fb = node_gpu_fragmentation(c.node(1), typical);
  EXPECT_DOUBLE_EQ(fa, 300);
  EXPECT_DOUBLE_EQ(fb, 300);
  EXPECT_EQ(fgd_score(c.node(0), p, typical, fa).score, 47);
  EXPECT_EQ(fgd_score(c.node(1), p, typical, fb).score, 54);
  PolicyOptions options;
  options.typical = typical;
  EXPECT_EQ(choose(PolicyKind::kFgd, c, p, options).node, 1);
}

TEST(PolicyTest, FgdPicksTheGpuInsideTheNode) {
  ClusterState c = cluster_of({node("n", 64000, 2, "T4")});
  c.place({0, 0b01}, pod(1000, 1, 400));
  c.place({0, 0b10}, pod(1000, 1, 700));  // [600, 300], frag 600
  const auto typical = half_whole_half_half();
  const PodRequest p = pod(1000, 1, 200);
  // GPU 0 -> [400, 300]: frag 350 + 350 = 700: sigmoid(-0.1) -> 47
  // GPU 1 -> [600, 100]: frag 350 + 50 = 400:  sigmoid(+0.2) -> 54
  const ScoredGpus s = fgd_score(c.node(0), p, typical, 600);
  EXPECT_EQ(s.score, 54);
  EXPECT_EQ(s.gpu_mask, 0b10u);
}

TEST(PolicyTest, TiesGoToTheSmallestTieRank) {
  ClusterState c =
      cluster_of({node("a", 64000, 2, "T4"), node("b", 64000, 2, "T4"), node("c", 64000, 2, "T4")});
  const PodRequest p = pod(1000, 1, 1000);
  EXPECT_EQ(choose(PolicyKind::kBestFit, c, p).node, 0);
  PolicyOptions options;
  options.tie_rank = {2, 0, 1};
  EXPECT_EQ(choose(PolicyKind::kBestFit, c, p, options).node, 1);
  options.tie_rank = {2, 1, 0};
  EXPECT_EQ(choose(PolicyKind::kGpuPacking, c, p, options).node, 2);
}

TEST(PolicyTest, RandomPicksAFeasibleNodeAndGpu) {
  ClusterState c = cluster_of({node("a", 64000, 4, "T4"), node("b", 64000, 4, "T4")});
  auto policy = make_policy(PolicyKind::kRandom);
  const PodRequest p = pod(1000, 1, 300);
  const std::vector<int> only_b{1};
  Rng rng(1);
  for (int i = 0; i < 20; ++i) {
    const Placement where = policy->choose(c, p, only_b, rng);
    EXPECT_EQ(where.node, 1);
    EXPECT_EQ(std::popcount(where.gpu_mask), 1);
    EXPECT_LT(where.gpu_mask, 1u << 4);
  }
  // Same seed, same choices.
  Rng r1(9);
  Rng r2(9);
  const std::vector<int> both{0, 1};
  for (int i = 0; i < 20; ++i) {
    const Placement a = policy->choose(c, p, both, r1);
    const Placement b = policy->choose(c, p, both, r2);
    EXPECT_EQ(a.node, b.node);
    EXPECT_EQ(a.gpu_mask, b.gpu_mask);
  }
}

TEST(PolicyTest, TypicalPodsKeepTheMostFrequentClassesAndRenormalise) {
  std::vector<PodRequest> workload;
  for (int i = 0; i < 6; ++i) workload.push_back(pod(1000, 1, 500));
  for (int i = 0; i < 3; ++i) workload.push_back(pod(2000, 1, 1000));
  workload.push_back(pod(4000, 0, 0));
  const auto all = typical_pods(workload);  // 95%: all three classes needed
  ASSERT_EQ(all.size(), 3u);
  EXPECT_DOUBLE_EQ(all[0].weight, 0.6);
  EXPECT_EQ(all[0].pod.gpu_milli, 500);
  EXPECT_DOUBLE_EQ(all[1].weight, 0.3);
  EXPECT_DOUBLE_EQ(all[2].weight, 0.1);
  TypicalPodsOptions ninety;
  ninety.popularity_threshold_pct = 90;
  const auto top = typical_pods(workload, ninety);  // 6 + 3 covers 90%
  ASSERT_EQ(top.size(), 2u);
  EXPECT_DOUBLE_EQ(top[0].weight, 6.0 / 9.0);
  EXPECT_DOUBLE_EQ(top[1].weight, 3.0 / 9.0);
  TypicalPodsOptions gpu_only;
  gpu_only.include_cpu_pods = false;
  EXPECT_EQ(typical_pods(workload, gpu_only).size(), 2u);
}

}  // namespace
}  // namespace suanli

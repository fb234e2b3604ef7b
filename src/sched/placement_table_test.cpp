// The placement table (sched/placement/table.cpp): every policy has one
// name that parses back to it, a help line, and a factory whose answers are
// the ones the scheduler relied on before the policies had files of their
// own (which policies pick by index, fill by shuffle, forecast releases).
#include <gtest/gtest.h>

#include <set>
#include <string>

#include "sched/placement/placement.h"

namespace suanli {
namespace {

TEST(PlacementTable, EveryPolicyHasANameHelpAndFactory) {
  std::set<std::string> names;
  const std::string help = placement_policy_help();
  for (PlacementKind k : all_placement_policies()) {
    const std::string name(placement_policy_name(k));
    EXPECT_TRUE(names.insert(name).second) << name;
    auto parsed = parse_placement_policy(name);
    ASSERT_TRUE(parsed.has_value()) << name;
    EXPECT_EQ(*parsed, k);
    EXPECT_NE(help.find(name + ": "), std::string::npos) << name;
    EXPECT_NE(make_placement(k), nullptr);
  }
  EXPECT_EQ(names.size(), 8u);
  auto bad = parse_placement_policy("best_fit");
  ASSERT_FALSE(bad.has_value());
  EXPECT_NE(bad.error().message.find("expected one of: first-fit, best-fit"), std::string::npos);
}

TEST(PlacementTable, PoliciesAnswerAsTheyAreNamed) {
  using Single = FleetPlacement::SingleNode;
  using Fill = FleetPlacement::Fill;
  struct Want {
    PlacementKind kind;
    Single single;
    Fill fill;
    bool forecasts;
  };
  for (const Want& w : {Want{PlacementKind::kFirstFit, Single::kLowestIndex, Fill::kIndex, false},
                        Want{PlacementKind::kBestFit, Single::kTightest, Fill::kFullestFirst, false},
                        Want{PlacementKind::kDotProduct, Single::kHighestScore, Fill::kFullestFirst,
                             false},
                        Want{PlacementKind::kGpuPacking, Single::kHighestScore, Fill::kFullestFirst,
                             false},
                        Want{PlacementKind::kGpuClustering, Single::kHighestScore,
                             Fill::kFullestFirst, false},
                        Want{PlacementKind::kRandom, Single::kHighestScore, Fill::kShuffled, false},
                        Want{PlacementKind::kFgd, Single::kHighestScore, Fill::kFullestFirst, false},
                        Want{PlacementKind::kHetero, Single::kTightest, Fill::kFullestFirst, true}}) {
    SCOPED_TRACE(std::string(placement_policy_name(w.kind)));
    const auto p = make_placement(w.kind);
    EXPECT_EQ(p->single_node(), w.single);
    EXPECT_EQ(p->fill(), w.fill);
    EXPECT_EQ(p->forecasts_releases(), w.forecasts);
    EXPECT_EQ(p->keyed_by_index(), w.kind == PlacementKind::kFirstFit);
  }
}

// The random policy draws from the scheduler's generator; the scored ones
// do not, so a seed reproduces a run.
TEST(PlacementTable, OnlyRandomDrawsFromTheGenerator) {
  NodeState node;
  node.cpu_capacity = node.cpu_left = 64000;
  node.memory_capacity = node.memory_left = 512 * 1024;
  node.model = 0;
  node.gpu_count = 8;
  for (int g = 0; g < 8; ++g) node.gpu_left[static_cast<std::size_t>(g)] = kGpuMilli;
  PodRequest pod;
  pod.num_gpu = 1;
  pod.gpu_milli = kGpuMilli;
  pod.cpu_milli = 1000;
  for (PlacementKind k : all_placement_policies()) {
    if (k == PlacementKind::kFirstFit) continue;
    Rng a(5), b(5);
    PlacementContext ctx{a, [] { return std::span<const TypicalPod>{}; }};
    std::uint32_t mask = 0;
    make_placement(k)->score(node, pod, &mask, ctx);
    EXPECT_EQ(a.below(1u << 30) == b.below(1u << 30), k != PlacementKind::kRandom)
        << placement_policy_name(k);
  }
}

}  // namespace
}  // namespace suanli

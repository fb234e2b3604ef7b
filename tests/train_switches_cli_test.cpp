// The per-run switches and shape details of `estimate train` (issue 14,
// mechanism 9): what users run and could not express before, and the
// defaults a custom shape assumed, printed.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "cli_run.h"

namespace suanli::app {
namespace {

nlohmann::json estimate(std::vector<std::string> extra) {
  std::vector<std::string> args = {"estimate", "train", "--accel", "h100-sxm", "--json"};
  args.insert(args.end(), extra.begin(), extra.end());
  auto r = run(args);
  EXPECT_EQ(r.code, kExitOk) << r.all();
  return r.code == kExitOk ? nlohmann::json::parse(r.out) : nlohmann::json{};
}

TEST(TrainSwitchesCli, CustomShapeSaysWhichDefaultsItAssumed) {
  auto r = run({"estimate", "train", "--layers", "24", "--hidden", "2048", "--heads", "16",
                "--vocab", "51200", "--accel", "a100-sxm-80g", "--devices", "8"});
  ASSERT_EQ(r.code, kExitOk) << r.all();
  EXPECT_NE(r.out.find("Assumed      mlp = swiglu (default"), std::string::npos) << r.out;
  auto g = run({"estimate", "train", "--layers", "24", "--hidden", "2048", "--heads", "16",
                "--vocab", "51200", "--ffn", "8192", "--mlp", "gelu", "--accel", "a100-sxm-80g",
                "--devices", "8"});
  ASSERT_EQ(g.code, kExitOk) << g.all();
  EXPECT_EQ(g.out.find("Assumed"), std::string::npos) << g.out;
}

TEST(TrainSwitchesCli, GradientOverlapOffShowsDataParallelCost) {
  const std::vector<std::string> base = {"--model", "llama3-8b", "--devices", "64", "--tp", "1",
                                         "--pp", "1", "--cp", "1", "--zero", "1"};
  auto with = base;
  with.insert(with.end(), {"--overlap-grad-reduce", "on", "--overlap-param-gather", "on"});
  auto without = base;
  without.insert(without.end(), {"--overlap-grad-reduce", "off", "--overlap-param-gather", "off"});
  const auto on = estimate(with);
  const auto off = estimate(without);
  ASSERT_FALSE(on.is_null() || off.is_null());
  EXPECT_GT(off.at("breakdown").at("dp_comm").get<double>(),
            on.at("breakdown").at("dp_comm").get<double>());
  EXPECT_LT(off.at("tokens_per_s").get<double>(), on.at("tokens_per_s").get<double>());
  // Every collective: hidden + exposed = time on the link, none negative.
  for (const auto& c : off.at("collectives")) {
    EXPECT_GE(c.at("hidden_s").get<double>(), 0.0);
    EXPECT_GE(c.at("exposed_s").get<double>(), 0.0);
    EXPECT_NEAR(c.at("hidden_s").get<double>() + c.at("exposed_s").get<double>(),
                c.at("time_s").get<double>(), 1e-12);
  }
}

TEST(TrainSwitchesCli, MoeAllToAllOverlapSwitch) {
  const std::vector<std::string> base = {"--model", "qwen3-30b-a3b", "--devices", "16", "--tp",
                                         "1", "--pp", "2", "--dp", "8", "--ep", "8", "--cp", "1",
                                         "--micro-batch", "2", "--global-batch", "512",
                                         "--stack", "megatron-bridge", "--precision", "fp8"};
  auto with = base;
  with.insert(with.end(), {"--ep-comm-overlap", "on"});
  auto without = base;
  without.insert(without.end(), {"--ep-comm-overlap", "off"});
  const auto on = estimate(with), off = estimate(without), dflt = estimate(base);
  ASSERT_FALSE(on.is_null() || off.is_null() || dflt.is_null());
  EXPECT_GT(off.at("breakdown").at("ep_comm").get<double>(),
            on.at("breakdown").at("ep_comm").get<double>());
  EXPECT_DOUBLE_EQ(dflt.at("breakdown").at("ep_comm").get<double>(),
                   off.at("breakdown").at("ep_comm").get<double>());
}

TEST(TrainSwitchesCli, A910CCountsDiesAsRanks) {
  auto r = run({"estimate", "train", "--model", "llama3-8b", "--accel", "ascend-910c",
                "--devices", "8", "--tp", "8", "--pp", "1", "--dp", "1", "--cp", "1"});
  EXPECT_NE(r.code, kExitOk);
  EXPECT_NE(r.all().find("--devices 8 x 2 dies = 16 ranks"), std::string::npos) << r.all();
  auto ok = run({"estimate", "train", "--model", "llama3-8b", "--accel", "ascend-910c",
                 "--devices", "8", "--tp", "8", "--pp", "1", "--dp", "2", "--cp", "1", "--json"});
  ASSERT_EQ(ok.code, kExitOk) << ok.all();
  const auto j = nlohmann::json::parse(ok.out);
  EXPECT_EQ(j.at("devices").get<int>(), 8);
  EXPECT_EQ(j.at("ranks").get<int>(), 16);
  EXPECT_EQ(j.at("dies_per_device").get<int>(), 2);
}

TEST(TrainSwitchesCli, PrecisionGradAccumAndPartialRecompute) {
  const std::vector<std::string> base = {"--model", "llama3-8b", "--devices", "8", "--tp", "1",
                                         "--pp", "1", "--cp", "1", "--zero", "3",
                                         "--micro-batch", "1"};
  auto tf32 = base;
  tf32.insert(tf32.end(), {"--precision", "tf32", "--recompute", "full"});
  auto bf16 = base;
  bf16.insert(bf16.end(), {"--precision", "bf16", "--recompute", "full"});
  const auto t = estimate(tf32);
  const auto b = estimate(bf16);
  ASSERT_FALSE(t.is_null() || b.is_null());
  EXPECT_GT(t.at("step_time_s").get<double>(), 1.2 * b.at("step_time_s").get<double>());

  auto half = bf16;
  half.insert(half.end(), {"--grad-accum", "bf16"});
  const auto h = estimate(half);
  ASSERT_FALSE(h.is_null());
  EXPECT_NEAR(h.at("memory").at("grads_gb").get<double>() * 2,
              b.at("memory").at("grads_gb").get<double>(), 1e-6);

  auto partial = bf16;
  partial.insert(partial.end(), {"--recompute-layers", "8"});
  const auto p = estimate(partial);
  ASSERT_FALSE(p.is_null());
  EXPECT_EQ(p.at("parallelism").at("recompute_layers"), 8);
  EXPECT_LT(p.at("step_time_s").get<double>(), b.at("step_time_s").get<double>());
  EXPECT_GT(p.at("memory").at("activations_gb").get<double>(),
            b.at("memory").at("activations_gb").get<double>());

  auto bad = run({"estimate", "train", "--model", "llama3-8b", "--accel", "h100-sxm",
                  "--devices", "8", "--grad-accum", "fp16"});
  EXPECT_NE(bad.code, kExitOk);
}

// Hybrid sharding through the CLI: the flag reaches the layout, the JSON
// lists the replicas' all-reduce and each hidden collective's slowdown, and
// a layout that does not fit is reported with its hybrid sharding.
TEST(TrainSwitchesCli, HybridShardingAndTheOverlapSlowdownReachTheJson) {
  const std::vector<std::string> base = {
      "--model",        "llama2-7b", "--devices",   "32",   "--tp",    "1",   "--pp",          "1",
      "--cp",           "1",         "--dp",        "32",   "--zero",  "3",   "--micro-batch", "2",
      "--global-batch", "64",        "--recompute", "none", "--stack", "fsdp"};
  auto hsdp = base;
  hsdp.insert(hsdp.end(), {"--zero-shard", "8"});
  const auto h = estimate(hsdp);
  const auto f = estimate(base);
  ASSERT_FALSE(h.is_null() || f.is_null());
  EXPECT_EQ(h.at("parallelism").at("zero_shard"), 8);
  EXPECT_EQ(f.at("parallelism").at("zero_shard"), 0);
  double slowed = 0;
  bool replicate = false;
  for (const auto& c : h.at("collectives")) {
    replicate = replicate || c.at("name") == "dp-replicate";
    EXPECT_GE(c.at("compute_slowdown_s").get<double>(), 0.0);
    slowed += c.at("compute_slowdown_s").get<double>();
  }
  EXPECT_TRUE(replicate) << h.at("collectives").dump();
  EXPECT_GT(slowed, 0.0);
  // The state is sharded over 8 ranks, not 32: four times the optimizer.
  EXPECT_NEAR(h.at("memory").at("optimizer_gb").get<double>(),
              4 * f.at("memory").at("optimizer_gb").get<double>(), 1e-6);

  auto text = run({"estimate", "train", "--accel", "h100-sxm", "--model", "llama2-7b", "--devices",
                   "32", "--dp", "32", "--global-batch", "64", "--zero", "3", "--zero-shard", "8"});
  ASSERT_EQ(text.code, kExitOk) << text.all();
  EXPECT_NE(text.out.find("ZeRO-3 over groups of 8 ranks, 4 replicas (HSDP)"), std::string::npos)
      << text.out;
  auto bad = run({"estimate", "train", "--accel", "h100-sxm", "--model", "llama2-7b", "--devices",
                  "32", "--dp", "32", "--global-batch", "64", "--zero", "3", "--zero-shard", "6"});
  EXPECT_NE(bad.code, kExitOk);
  EXPECT_NE(bad.all().find("--zero-shard 6 must divide DP 32"), std::string::npos) << bad.all();
}

}  // namespace
}  // namespace suanli::app

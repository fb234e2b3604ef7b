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

}  // namespace
}  // namespace suanli::app

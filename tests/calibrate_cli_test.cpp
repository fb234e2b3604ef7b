// `suanli calibrate` as an operator runs it: three measured runs on a 910B
// cluster, calibrate, then `--catalog DIR estimate` and `--catalog DIR
// validate` use the fitted value (the overlay round trip), `catalog show`
// names the overriding file, and bad input fails with its file and line.
#include <gtest/gtest.h>

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <string>

#include "cli_run.h"
#include "contains.h"
#include "temp_dir.h"

namespace suanli::app {
namespace {

using Json = nlohmann::json;

using ::suanli::testing::contains;

struct Config {
  std::string id;
  int devices;
  int seq;
};
const Config kConfigs[] = {
    {"ours-8b-16", 16, 4096}, {"ours-8b-32", 32, 4096}, {"ours-8b-16-s2k", 16, 2048}};

std::vector<std::string> estimate_args(const Config& c) {
  return {"estimate",       "train",
          "--model",        "llama3-8b",
          "--accel",        "ascend-910b",
          "--devices",      std::to_string(c.devices),
          "--seq",          std::to_string(c.seq),
          "--global-batch", "256",
          "--tp",           "2",
          "--pp",           "1",
          "--micro-batch",  "1",
          "--recompute",    "selective",
          "--zero",         "1",
          "--json"};
}

double tokens_per_device(const std::vector<std::string>& args) {
  auto r = run(args);
  EXPECT_EQ(r.code, kExitOk) << r.all();
  if (r.code != kExitOk) return 0;
  return Json::parse(r.out).at("tokens_per_s_per_device").get<double>();
}

std::string row(const Config& c, double value) {
  return fmt::format(
      "[[measurement]]\nid = \"{}\"\nkind = \"train\"\nsource = \"our 910B cluster, 2026-11\"\n"
      "confidence = \"verified\"\nmodel = \"llama3-8b\"\nseq = {}\naccelerator = \"ascend-910b\"\n"
      "devices = {}\ntp = 2\npp = 1\nmicro_batch = 1\nglobal_batch = 256\n"
      "recompute = \"selective\"\nzero = 1\nmetric = \"tokens_per_s_per_device\"\nvalue = {}\n",
      c.id, c.seq, c.devices, value);
}

TEST(CalibrateCli, OverlayRoundTripsThroughEstimateAndValidate) {
  suanli::testing::TempDir dir;
  std::string text;
  for (const auto& c : kConfigs) text += row(c, 0.8 * tokens_per_device(estimate_args(c)));
  const auto runs = dir.write("runs/runs.toml", text);
  const std::string overlay = (dir.path() / "overlay").string();

  auto cal = run({"calibrate", runs.string(), "--out", overlay});
  ASSERT_EQ(cal.code, kExitOk) << cal.all();
  EXPECT_TRUE(contains(cal.out, "Calibrated   ascend-910b: profile 'ascend'")) << cal.out;
  EXPECT_TRUE(contains(cal.out, "ascend-calibrated-ascend-910b")) << cal.out;
  EXPECT_TRUE(contains(cal.out, "Calibration  3 rows")) << cal.out;
  EXPECT_TRUE(contains(cal.out, "Held out")) << cal.out;

  auto js = run({"calibrate", runs.string(), "--out", overlay, "--json"});
  ASSERT_EQ(js.code, kExitOk) << js.all();
  const Json j = Json::parse(js.out);
  EXPECT_LT(j.at("calibration").at("after").at("median_abs_error").get<double>(),
            j.at("calibration").at("before").at("median_abs_error").get<double>());

  // estimate through the overlay: ~20% slower, as measured.
  std::vector<std::string> args = {"--catalog", overlay};
  for (const auto& a : estimate_args(kConfigs[0])) args.push_back(a);
  const double before = tokens_per_device(estimate_args(kConfigs[0]));
  const double after = tokens_per_device(args);
  EXPECT_GT(after / before, 0.7);
  EXPECT_LT(after / before, 0.9);
  auto est = run(args);
  EXPECT_EQ(Json::parse(est.out).at("device").at("efficiency_profile"),
            "ascend-calibrated-ascend-910b");

  // validate through the overlay: the runs' error drops.
  const std::string runs_dir = (dir.path() / "runs").string();
  auto v0 = run({"validate", "--dir", runs_dir, "--json"});
  auto v1 = run({"--catalog", overlay, "validate", "--dir", runs_dir, "--json"});
  ASSERT_EQ(v1.code, kExitOk) << v1.all();
  const double e0 = Json::parse(v0.out).at("train").at("median_abs_error").get<double>();
  const double e1 = Json::parse(v1.out).at("train").at("median_abs_error").get<double>();
  EXPECT_GT(e0, 0.15);
  EXPECT_LT(e1, e0 / 2);

  // Calibrating again through the overlay keeps one suffix on the id.
  auto again = run({"--catalog", overlay, "calibrate", runs.string(), "--out", overlay});
  ASSERT_EQ(again.code, kExitOk) << again.all();
  EXPECT_TRUE(contains(again.out, "'ascend-calibrated-ascend-910b'")) << again.out;
  EXPECT_FALSE(contains(again.out, "910b-calibrated")) << again.out;

  // catalog show names the overriding file.
  auto show = run({"--catalog", overlay, "catalog", "show", "ascend-910b"});
  ASSERT_EQ(show.code, kExitOk) << show.all();
  const Json s = Json::parse(show.out);
  ASSERT_EQ(s.at("overridden_at").size(), 1u);
  EXPECT_TRUE(
      contains(s.at("overridden_at")[0].get<std::string>(), "accelerators/calibrated.toml"));
  EXPECT_EQ(s.at("efficiency_profile"), "ascend-calibrated-ascend-910b");
}

TEST(CalibrateCli, BadInputFailsClearly) {
  suanli::testing::TempDir dir;
  const auto bad = dir.write("runs.toml", row(kConfigs[0], 3000) + "colour = \"red\"\n");
  auto r = run({"calibrate", bad.string(), "--out", (dir.path() / "o").string()});
  EXPECT_EQ(r.code, kExitBadInput) << r.all();
  EXPECT_TRUE(contains(r.err, bad.string() + ":")) << r.err;

  const auto good = dir.write("good.toml", row(kConfigs[0], 3000));
  auto wrong = run(
      {"calibrate", good.string(), "--accel", "h100-sxm", "--out", (dir.path() / "o").string()});
  EXPECT_EQ(wrong.code, kExitBadInput) << wrong.all();
  EXPECT_TRUE(contains(wrong.err, "no counted training or serving row for accelerator 'h100-sxm'"))
      << wrong.err;
}

}  // namespace
}  // namespace suanli::app

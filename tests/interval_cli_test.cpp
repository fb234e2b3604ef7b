// p10-p90 ranges as a user sees them: `estimate train|infer` print the range
// beside each figure and a "Range" line naming the basis and the dominant
// contributor; `compare` has range columns instead of the "?" marker; a
// residual table in a --catalog directory is used and named.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

#include "cli_run.h"
#include "contains.h"
#include "temp_dir.h"

namespace suanli::app {
namespace {

using ::suanli::testing::contains;

TEST(IntervalCli, EstimateTrainPrintsRangesAndTheirBasis) {
  suanli::testing::TempDir dir;
  dir.write("efficiency/residuals.toml",
            "[[residual]]\nprofile = \"ascend\"\nkind = \"train\"\nrows = 40\np10 = -0.3\n"
            "p50 = 0.0\np90 = 0.35\nsource = \"test residuals\"\n"
            "[[residual]]\nprofile = \"ascend\"\nkind = \"infer\"\nrows = 40\np10 = -0.3\n"
            "p50 = 0.0\np90 = 0.35\nsource = \"test residuals\"\n");
  const std::string cat = dir.path().string();
  auto r = run({"--catalog", cat, "estimate", "train", "--model", "llama3-8b", "--accel",
                "ascend-910b", "--devices", "16", "--tokens", "1e11"});
  ASSERT_EQ(r.code, kExitOk) << r.all();
  EXPECT_TRUE(contains(r.out, "Step time")) << r.out;
  EXPECT_TRUE(contains(r.out, "(p10-p90 ")) << r.out;
  EXPECT_TRUE(contains(r.out, "Range        p10-p90 from: ")) << r.out;
  EXPECT_TRUE(contains(r.out, "dominant: model residual (ascend, 40 held-out rows)")) << r.out;

  auto j = run({"--catalog", cat, "estimate", "train", "--model", "llama3-8b", "--accel",
                "ascend-910b", "--devices", "16", "--tokens", "1e11", "--json"});
  ASSERT_EQ(j.code, kExitOk) << j.all();
  const auto js = nlohmann::json::parse(j.out);
  const auto& iv = js.at("interval");
  const double point = js.at("tokens_per_s").get<double>();
  EXPECT_LT(iv.at("tokens_per_s").at("p10").get<double>(), point);
  EXPECT_GT(iv.at("tokens_per_s").at("p90").get<double>(), point);
  EXPECT_EQ(iv.at("basis").at("residual").at("level"), "profile");
  EXPECT_EQ(iv.at("basis").at("residual").at("rows"), 40);

  auto inf = run({"--catalog", cat, "estimate", "infer", "--model", "llama3-8b", "--accel",
                  "ascend-910b", "--devices", "8", "--input-len", "1024", "--output-len", "256"});
  ASSERT_EQ(inf.code, kExitOk) << inf.all();
  EXPECT_TRUE(contains(inf.out, "TTFT")) << inf.out;
  EXPECT_TRUE(contains(inf.out, "Range        p10-p90 from: model residual (ascend, 40"))
      << inf.out;
}

TEST(IntervalCli, CompareHasRangeColumnsInsteadOfTheQuestionMark) {
  auto r = run({"compare", "train", "--model", "llama3-8b", "--accels", "h100-sxm,ascend-910b",
                "--devices", "16", "--tokens", "1e11"});
  ASSERT_EQ(r.code, kExitOk) << r.all();
  EXPECT_TRUE(contains(r.out, "p10-p90")) << r.out;
  EXPECT_FALSE(contains(r.out, "ascend-910b?")) << r.out;
  EXPECT_FALSE(contains(r.out, "? = some inputs")) << r.out;
  // The caveat list stays, per row.
  EXPECT_TRUE(contains(r.out, "  ascend-910b: ")) << r.out;
  EXPECT_TRUE(contains(r.out, "unverified: ")) << r.out;

  auto i = run({"compare", "infer", "--model", "llama3-8b", "--accels", "h100-sxm,ascend-910b",
                "--devices", "8", "--input-len", "1024", "--output-len", "256", "--json"});
  ASSERT_EQ(i.code, kExitOk) << i.all();
  const auto j = nlohmann::json::parse(i.out);
  for (const auto& row : j.at("rows")) {
    const auto& tps = row.at("interval").at("output_tokens_per_s");
    EXPECT_LE(tps.at("p10").get<double>(), tps.at("p90").get<double>()) << row.dump();
  }
}

}  // namespace
}  // namespace suanli::app

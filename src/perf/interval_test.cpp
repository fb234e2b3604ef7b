// p10-p90 intervals: they hold the point estimate under centred residuals,
// widen with a figure's range, fall back to the pooled residual row, detect
// a measured value outside them, and keep the sign convention of
// rel_error = predicted / measured - 1.
#include "perf/interval.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <string>

#include "temp_dir.h"

namespace suanli {
namespace {

namespace fs = std::filesystem;
using testing::TempDir;

// A chip with its own profile, so the bundled residual rows never match it.
std::string chip(const std::string& bf16 = "400", const std::string& bw = "2000") {
  return "[[accelerator]]\n"
         "id = \"test-chip\"\nname = \"Test Chip\"\nvendor = \"Test\"\norigin = \"CN\"\n"
         "efficiency_profile = \"test-profile\"\n"
         "source = \"test datasheet\"\nconfidence = \"verified\"\n"
         "[accelerator.dense_tflops]\nbf16 = " +
         bf16 + "\n[accelerator.figures]\nmemory_gb = 80\nmemory_bw_gbps = " + bw +
         "\nscaleup_bidir_gbps = 400\nscaleup_domain = 8\nscaleout_gbps = 50\n"
         "rental_usd_per_hour = 2.0\nprice_usd = 20000\ntdp_w = 700\n";
}

const char* kProfile =
    "[[profile]]\nid = \"test-profile\"\nsource = \"test\"\nconfidence = \"secondary\"\n"
    "gemm_peak_fraction = 0.6\n";

std::string residual(const std::string& profile, const std::string& kind, int rows, double p10,
                     double p50, double p90, const std::string& stack = "") {
  return fmt::format(
      "[[residual]]\nprofile = \"{}\"\n{}kind = \"{}\"\nrows = {}\np10 = {}\np50 = {}\np90 = {}\n"
      "source = \"test residuals\"\n",
      profile, stack.empty() ? "" : fmt::format("stack = \"{}\"\n", stack), kind, rows, p10, p50,
      p90);
}

struct TestCatalog {
  TempDir dir;
  std::optional<Catalog> catalog;
  std::string error;
  TestCatalog(const std::string& chip_text, const std::string& residuals) {
    dir.write("accelerators/chip.toml", chip_text);
    dir.write("efficiency/profile.toml", kProfile);
    dir.write("efficiency/residuals.toml", residuals);
    auto c = Catalog::load({{fs::path(SUANLI_SOURCE_DIR) / "data", dir.path()}});
    if (c) {
      catalog = std::move(*c);
    } else {
      error = c.error().message;
    }
  }
};

struct TrainRun {
  TrainEstimate e;
  TrainInterval iv;
};

std::optional<TrainRun> train(const Catalog& c) {
  auto a = c.accelerator("test-chip");
  auto m = c.model("llama3-8b");
  if (!a || !m) return std::nullopt;
  TrainWorkload w;
  w.model = **m;
  w.seq = 4096;
  w.global_batch = 256;
  w.tokens = 1e12;
  w.stack = c.default_stack();
  auto dev = make_device_model(**a, c.profile_for(**a), Precision::kBf16);
  if (!dev) return std::nullopt;
  price_device(*dev, w.cost);
  auto model = TrainModel::create(w, *dev, 64);
  if (!model) return std::nullopt;
  auto found = search_train(*model, ParallelismRequest{});
  if (!found) return std::nullopt;
  auto iv = train_interval(c, *model, found->best);
  if (!iv) return std::nullopt;
  return TrainRun{found->best, *iv};
}

double width(const QuantityRange& r) { return std::log(r.p90 / r.p10); }

TEST(Interval, ContainsThePointEstimate) {
  TestCatalog s(chip("{ value = 400, low = 360, high = 420 }"),
                residual("test-profile", "train", 57, -0.12, 0.01, 0.10));
  ASSERT_TRUE(s.catalog) << s.error;
  auto run = train(*s.catalog);
  ASSERT_TRUE(run);
  const auto& iv = run->iv;
  for (const QuantityRange* r : {&iv.step_time_s, &iv.tokens_per_s, &iv.mfu}) {
    EXPECT_LT(r->p10, r->point);
    EXPECT_GT(r->p90, r->point);
    EXPECT_LE(r->p10, r->p50);
    EXPECT_LE(r->p50, r->p90);
  }
  EXPECT_DOUBLE_EQ(iv.step_time_s.point, run->e.step_time_s);
  ASSERT_TRUE(iv.time_to_train_days && iv.cost_usd);
  EXPECT_TRUE(iv.time_to_train_days->contains(iv.time_to_train_days->point));
  EXPECT_TRUE(iv.cost_usd->contains(iv.cost_usd->point));
  ASSERT_TRUE(iv.basis.residual);
  EXPECT_EQ(iv.basis.residual_level, "profile");
  EXPECT_EQ(iv.basis.residual->rows, 57);
  // The residual (-12%..+10%) outweighs the rate's 360-420 range (-10%..+5%
  // on compute only).
  EXPECT_EQ(iv.basis.dominant, "model residual (test-profile, 57 held-out rows)");
  EXPECT_NE(iv.basis.summary.find("dense bf16 TFLOPS verified 360-420"), std::string::npos)
      << iv.basis.summary;
}

TEST(Interval, WidensWhenAFigureRangeWidens) {
  // A pooled row with no spread (replacing the bundled one, if any).
  const std::string none = residual("all", "train", 20, 0, 0, 0);
  TestCatalog narrow(
      chip("{ value = 400, low = 380, high = 410 }", "{ value = 2000, low = 1900, high = 2100 }"),
      none);
  TestCatalog wide(
      chip("{ value = 400, low = 250, high = 450 }", "{ value = 2000, low = 1200, high = 2800 }"),
      none);
  ASSERT_TRUE(narrow.catalog) << narrow.error;
  ASSERT_TRUE(wide.catalog) << wide.error;
  auto a = train(*narrow.catalog);
  auto b = train(*wide.catalog);
  ASSERT_TRUE(a && b);
  EXPECT_DOUBLE_EQ(a->e.step_time_s, b->e.step_time_s);  // same point
  EXPECT_GT(width(b->iv.step_time_s), width(a->iv.step_time_s) * 2);
  EXPECT_GT(width(b->iv.tokens_per_s), width(a->iv.tokens_per_s) * 2);
  // The residual adds nothing here: the dominant is a figure.
  EXPECT_EQ(b->iv.basis.dominant.rfind("dense bf16 TFLOPS", 0), 0u) << b->iv.basis.dominant;
  // A slower rate means a longer step: the low end of the rate sets p90.
  EXPECT_GT(b->iv.step_time_s.p90 / b->iv.step_time_s.point,
            b->iv.step_time_s.point / b->iv.step_time_s.p10);
}

TEST(Interval, UsesThePooledRowWhenTheProfileHasFewRows) {
  TestCatalog s(chip(), residual("test-profile", "train", 5, -0.5, 0.0, 0.5) +
                            residual("all", "train", 120, -0.2, 0.0, 0.15));
  ASSERT_TRUE(s.catalog) << s.error;
  auto run = train(*s.catalog);
  ASSERT_TRUE(run);
  ASSERT_TRUE(run->iv.basis.residual);
  EXPECT_EQ(run->iv.basis.residual_level, "pooled");
  EXPECT_EQ(run->iv.basis.residual->profile, "all");
  EXPECT_NEAR(run->iv.step_time_s.p90 / run->iv.step_time_s.point, 1.15, 1e-9);
  EXPECT_NE(run->iv.basis.dominant.find("pooled"), std::string::npos) << run->iv.basis.dominant;
  // With enough rows the (profile, stack) row wins, then the profile's.
  TestCatalog t(chip(), residual("test-profile", "train", 25, -0.3, 0, 0.3, "megatron-core") +
                            residual("test-profile", "train", 30, -0.1, 0, 0.1) +
                            residual("all", "train", 120, -0.2, 0, 0.15));
  ASSERT_TRUE(t.catalog) << t.error;
  EXPECT_EQ(t.catalog->residual_for("test-profile", "megatron-core", "train").level,
            "profile+stack");
  EXPECT_EQ(t.catalog->residual_for("test-profile", "nemo", "train").level, "profile");
  // A serving lookup never takes a training row (the bundled serving
  // residuals may answer it).
  const ResidualSpread* serving = t.catalog->residual_for("test-profile", "nemo", "infer").spread;
  if (serving) {
    EXPECT_EQ(serving->kind, "infer");
  }
}

TEST(Interval, DetectsAMeasuredValueOutsideTheRange) {
  TestCatalog s(chip(), residual("test-profile", "train", 57, -0.12, 0.01, 0.10));
  ASSERT_TRUE(s.catalog) << s.error;
  auto run = train(*s.catalog);
  ASSERT_TRUE(run);
  const QuantityRange& tps = run->iv.tokens_per_s;
  EXPECT_TRUE(tps.contains(tps.point));
  EXPECT_TRUE(tps.contains(tps.point / 1.05));
  EXPECT_FALSE(tps.contains(tps.point * 1.3));  // beyond pred / (1 + p10) = 1.136x
  EXPECT_FALSE(tps.contains(tps.point / 1.2));  // below pred / (1 + p90) = 0.909x
}

TEST(Interval, OverPredictingModelShiftsThroughputDown) {
  // The model predicts 20% more throughput than measured, always.
  TestCatalog s(chip(), residual("all", "train", 40, 0.2, 0.2, 0.2) +
                            residual("all", "infer", 40, 0.2, 0.2, 0.2));
  ASSERT_TRUE(s.catalog) << s.error;
  auto run = train(*s.catalog);
  ASSERT_TRUE(run);
  const auto& iv = run->iv;
  EXPECT_LT(iv.tokens_per_s.p90, iv.tokens_per_s.point);  // strictly below
  EXPECT_NEAR(iv.tokens_per_s.p50, iv.tokens_per_s.point / 1.2, 1e-6 * iv.tokens_per_s.point);
  EXPECT_GT(iv.step_time_s.p10, iv.step_time_s.point);  // steps take longer
  EXPECT_LT(iv.mfu.p90, iv.mfu.point);
  ASSERT_TRUE(iv.cost_usd);
  EXPECT_GT(iv.cost_usd->p10, iv.cost_usd->point);

  // Inference: tokens/s below the point, TTFT and TPOT above it.
  auto a = s.catalog->accelerator("test-chip");
  auto m = s.catalog->model("llama3-8b");
  ASSERT_TRUE(a && m);
  InferWorkload w;
  w.model = **m;
  w.input_len = 1024;
  w.output_len = 256;
  const auto& profile = s.catalog->profile_for(**a);
  auto found = search_infer(w, **a, profile, 8, std::nullopt, std::nullopt);
  ASSERT_TRUE(found) << found.error().message;
  auto inf = infer_interval(*s.catalog, w, **a, profile, 8, found->best);
  ASSERT_TRUE(inf) << inf.error().message;
  EXPECT_LT(inf->output_tokens_per_s.p90, found->best.output_tokens_per_s);
  EXPECT_GT(inf->ttft_s.p10, found->best.ttft_s);
  EXPECT_GT(inf->tpot_s.p10, found->best.tpot_s);
  EXPECT_EQ(inf->basis.residual_level, "pooled");
}

TEST(Interval, NoRangesNoResidualsCollapseToThePoint) {
  TestCatalog s(chip(), residual("all", "train", 20, 0, 0, 0));
  ASSERT_TRUE(s.catalog) << s.error;
  auto run = train(*s.catalog);
  ASSERT_TRUE(run);
  EXPECT_DOUBLE_EQ(run->iv.step_time_s.p10, run->iv.step_time_s.point);
  EXPECT_DOUBLE_EQ(run->iv.step_time_s.p90, run->iv.step_time_s.point);
  EXPECT_EQ(run->iv.basis.dominant, "");
  ASSERT_TRUE(run->iv.basis.residual);
  EXPECT_EQ(run->iv.basis.residual_level, "pooled");
  EXPECT_EQ(range_text(1200, 1800), "1,200-1,800");
  EXPECT_EQ(range_text(0.55, 0.7), "0.55-0.7");
}

}  // namespace
}  // namespace suanli

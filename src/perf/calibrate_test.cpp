// `suanli calibrate`'s core: the fit written as an overlay that the catalog
// reads back (override by id), before/after scores, the refusal of runs with
// no counted training row, and file:line errors for a single runs file.
#include "perf/calibrate.h"

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

fs::path bundled() { return fs::path(SUANLI_SOURCE_DIR) / "data"; }

const Catalog& catalog() {
  static const Catalog c = [] {
    auto r = Catalog::load({{bundled()}});
    if (!r) {
      ADD_FAILURE() << r.error().message;
      return Catalog{};
    }
    return *r;
  }();
  return c;
}

// One training run of llama3-8b on `devices` x `accel` with a fixed layout.
std::string run_row(const std::string& id, const std::string& accel, int devices, int seq,
                    double value) {
  return fmt::format(
      "[[measurement]]\nid = \"{}\"\nkind = \"train\"\nsource = \"our cluster\"\n"
      "confidence = \"verified\"\nmodel = \"llama3-8b\"\nseq = {}\naccelerator = \"{}\"\n"
      "devices = {}\ntp = 2\npp = 1\nmicro_batch = 1\nglobal_batch = 256\n"
      "recompute = \"selective\"\nzero = 1\nmetric = \"tokens_per_s_per_device\"\nvalue = {}\n",
      id, seq, accel, devices, value);
}

struct Run {
  std::string id;
  int devices;
  int seq;
};
const Run kRuns[] = {
    {"ours-8b-16", 16, 4096}, {"ours-8b-32", 32, 4096}, {"ours-8b-16-s2k", 16, 2048}};

// The runs, each measured at `factor` x the bundled model's prediction.
std::string runs_file(const std::string& accel, double factor) {
  std::string text;
  for (const auto& r : kRuns) text += run_row(r.id, accel, r.devices, r.seq, 1000);
  TempDir probe;
  auto rows = load_runs(probe.write("runs.toml", text), catalog());
  if (!rows) {
    ADD_FAILURE() << rows.error().message;
    return text;
  }
  text.clear();
  for (std::size_t i = 0; i < rows->size(); ++i) {
    const ValidationRow p = predict_measurement(catalog(), (*rows)[i], FitOverrides{});
    EXPECT_TRUE(p.ok) << p.error;
    text += run_row(kRuns[i].id, accel, kRuns[i].devices, kRuns[i].seq, p.predicted * factor);
  }
  return text;
}

TEST(Calibrate, WritesAnOverlayTheCatalogReadsBack) {
  TempDir dir;
  auto runs = load_runs(dir.write("runs.toml", runs_file("ascend-910b", 0.8)), catalog());
  ASSERT_TRUE(runs) << runs.error().message;
  CalibrateOptions o;
  o.out_dir = dir.path() / "overlay";
  o.catalog_directories = {bundled()};
  auto rep = calibrate(catalog(), *runs, {}, o);
  ASSERT_TRUE(rep) << rep.error().message;
  EXPECT_EQ(rep->accelerator, "ascend-910b");
  EXPECT_EQ(rep->profile, "ascend");
  EXPECT_EQ(rep->new_profile, "ascend-calibrated-ascend-910b");
  EXPECT_EQ(rep->run_ids.size(), 3u);
  // Measured 20% below the prediction: the fit lowers the GEMM fraction.
  EXPECT_LT(rep->fit.value, rep->fit.prior);
  EXPECT_EQ(rep->runs_before.rows, 3);
  EXPECT_GT(rep->runs_before.median_abs, 0.15);
  EXPECT_LT(rep->runs_after.median_abs, rep->runs_before.median_abs / 2);
  EXPECT_TRUE(fs::exists(rep->profile_file));
  EXPECT_TRUE(fs::exists(rep->accelerator_file));

  auto after = Catalog::load({{bundled(), o.out_dir}});
  ASSERT_TRUE(after) << after.error().message;
  auto a = after->accelerator("ascend-910b");
  ASSERT_TRUE(a);
  EXPECT_EQ((*a)->efficiency_profile, "ascend-calibrated-ascend-910b");
  ASSERT_EQ((*a)->overridden_at.size(), 1u);
  const EfficiencyProfile& p = after->profile_for(**a);
  const EfficiencyProfile& orig = catalog().profile("ascend");
  EXPECT_EQ(p.id, "ascend-calibrated-ascend-910b");
  EXPECT_NEAR(p.gemm_peak_fraction, rep->fit.value, 1e-5);
  EXPECT_DOUBLE_EQ(p.memory_bw_fraction, orig.memory_bw_fraction);
  EXPECT_DOUBLE_EQ(p.attention_peak_fraction, orig.attention_peak_fraction);
  EXPECT_DOUBLE_EQ(p.decode_step_overhead_us, orig.decode_step_overhead_us);
  EXPECT_EQ(p.confidence, "secondary");
  EXPECT_NE(p.source.find("suanli calibrate on 3 runs: "), std::string::npos) << p.source;
  // Other chips on the same profile keep it.
  auto c = after->accelerator("ascend-910c");
  ASSERT_TRUE(c);
  EXPECT_EQ((*c)->efficiency_profile, "ascend");
}

// The overlay copies every profile field: with the prior value as the
// "fit", every profile's copy predicts exactly what the original does.
TEST(Calibrate, ProfileCopyPredictsLikeTheOriginal) {
  auto a = catalog().accelerator("h100-sxm");
  auto m = catalog().model("llama3-8b");
  ASSERT_TRUE(a && m);
  for (const auto& orig : catalog().profiles()) {
    ProfileFit fit;
    fit.value = orig.gemm_peak_fraction;
    fit.row_ids = {"r"};
    TempDir dir;
    dir.write("efficiency/copy.toml", calibrated_profile_toml(orig, "copy", fit, ProfileFit{}));
    auto c = Catalog::load({{bundled(), dir.path()}});
    ASSERT_TRUE(c) << c.error().message;
    const EfficiencyProfile& copy = c->profile("copy");
    ASSERT_EQ(copy.id, "copy");
    for (Precision p : {Precision::kBf16, Precision::kFp8}) {
      auto d0 = make_device_model(**a, orig, p);
      auto d1 = make_device_model(**a, copy, p);
      ASSERT_TRUE(d0 && d1);
      TrainWorkload w;
      w.model = **m;
      w.seq = 4096;
      w.global_batch = 256;
      w.precision = p;
      auto t0 = TrainModel::create(w, *d0, 16);
      auto t1 = TrainModel::create(w, *d1, 16);
      ASSERT_TRUE(t0 && t1);
      auto s0 = search_train(*t0, ParallelismRequest{});
      auto s1 = search_train(*t1, ParallelismRequest{});
      ASSERT_TRUE(s0 && s1) << orig.id;
      EXPECT_DOUBLE_EQ(s0->best.step_time_s, s1->best.step_time_s) << orig.id;
      InferWorkload iw;
      iw.model = **m;
      iw.precision = p;
      iw.input_len = 1024;
      iw.output_len = 256;
      auto i0 = search_infer(iw, **a, orig, 8, std::nullopt, std::nullopt);
      auto i1 = search_infer(iw, **a, copy, 8, std::nullopt, std::nullopt);
      ASSERT_TRUE(i0 && i1) << orig.id;
      EXPECT_DOUBLE_EQ(i0->best.output_tokens_per_s, i1->best.output_tokens_per_s) << orig.id;
      EXPECT_DOUBLE_EQ(i0->best.ttft_s, i1->best.ttft_s) << orig.id;
    }
  }
}

TEST(Calibrate, HeldOutRowsExcludeTheRunsAndOtherChips) {
  TempDir dir;
  const std::string text = runs_file("ascend-910b", 0.8);
  auto runs = load_runs(dir.write("runs.toml", text), catalog());
  ASSERT_TRUE(runs) << runs.error().message;
  std::string extra = text + run_row("ours-h100", "h100-sxm", 16, 4096, 5000) +
                      run_row("ours-8b-64", "ascend-910b", 64, 4096, 2000);
  auto holdout = load_runs(dir.write("holdout/extra.toml", extra), catalog());
  ASSERT_TRUE(holdout) << holdout.error().message;
  CalibrateOptions o;
  o.out_dir = dir.path() / "overlay";
  o.catalog_directories = {bundled()};
  auto rep = calibrate(catalog(), *runs, *holdout, o);
  ASSERT_TRUE(rep) << rep.error().message;
  EXPECT_EQ(rep->holdout_before.rows, 1);  // only ours-8b-64
  int held = 0;
  for (const auto& r : rep->rows) {
    if (r.held_out) {
      ++held;
      EXPECT_EQ(r.id, "ours-8b-64");
    }
  }
  EXPECT_EQ(held, 1);
}

TEST(Calibrate, RefusesRunsWithoutACountedTrainingRowForTheChip) {
  TempDir dir;
  auto runs =
      load_runs(dir.write("runs.toml", run_row("x", "h100-sxm", 16, 4096, 3000)), catalog());
  ASSERT_TRUE(runs) << runs.error().message;
  CalibrateOptions o;
  o.accelerator = "ascend-910b";
  o.out_dir = dir.path() / "overlay";
  o.catalog_directories = {bundled()};
  auto rep = calibrate(catalog(), *runs, {}, o);
  ASSERT_FALSE(rep);
  EXPECT_EQ(rep.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(rep.error().message.find("no counted training or serving row for accelerator 'ascend-910b'"),
            std::string::npos)
      << rep.error().message;
  EXPECT_FALSE(fs::exists(o.out_dir));
  // Not counted is not enough either.
  auto uncounted =
      load_runs(dir.write("u.toml", run_row("y", "ascend-910b", 16, 4096, 3000) +
                                        "counted = false\nreason = \"partial config\"\n"),
                catalog());
  ASSERT_TRUE(uncounted) << uncounted.error().message;
  EXPECT_FALSE(calibrate(catalog(), *uncounted, {}, o));
}

// Serving runs fit the serving constant: an H100 decoding 25% slower than
// the bundled profile predicts gets a decode_memory_bw_fraction that makes
// the run's prediction match, written to the overlay and read back.
TEST(Calibrate, ServingRunsFitTheDecodeBandwidthFraction) {
  TempDir dir;
  auto row = [](const std::string& id, double value) {
    return fmt::format(
        "[[measurement]]\nid = \"{}\"\nkind = \"infer\"\nsource = \"ours\"\n"
        "confidence = \"verified\"\nmodel = \"llama3-70b\"\naccelerator = \"h100-sxm\"\n"
        "devices = 8\ntp = 8\nprecision = \"fp8\"\ninput_len = 1024\noutput_len = 1024\n"
        "batch = 1\ndisaggregated = true\nmetric = \"tpot_ms\"\nvalue = {}\n\n",
        id, value);
  };
  auto probe = load_runs(dir.write("probe.toml", row("p", 10.0)), catalog());
  ASSERT_TRUE(probe) << probe.error().message;
  const ValidationRow before = predict_measurement(catalog(), probe->front(), FitOverrides{});
  ASSERT_TRUE(before.ok) << before.error;
  // Slower than predicted: the memory part of the step is what the
  // constant scales, so 1.25x the whole step needs a lower fraction.
  auto runs = load_runs(dir.write("runs.toml", row("s", before.predicted * 1.25)), catalog());
  ASSERT_TRUE(runs) << runs.error().message;
  CalibrateOptions o;
  o.out_dir = dir.path() / "overlay";
  o.catalog_directories = {bundled()};
  auto rep = calibrate(catalog(), *runs, {}, o);
  ASSERT_TRUE(rep) << rep.error().message;
  EXPECT_TRUE(rep->fit.row_ids.empty());  // no training run: the GEMM fraction is kept
  ASSERT_EQ(rep->serving_fit.row_ids.size(), 1u);
  EXPECT_LT(rep->serving_fit.value, rep->serving_fit.prior);
  EXPECT_NEAR(rep->runs_before.median_abs, 0.2, 0.01);  // 1/1.25 - 1
  EXPECT_LT(rep->runs_after.median_abs, 0.02);
  auto after = Catalog::load({{bundled(), o.out_dir}});
  ASSERT_TRUE(after) << after.error().message;
  const EfficiencyProfile& p = after->profile(rep->new_profile);
  EXPECT_NEAR(p.decode_memory_bw_fraction, rep->serving_fit.value, 1e-6);
  EXPECT_NEAR(p.gemm_peak_fraction, catalog().profile(rep->profile).gemm_peak_fraction, 1e-9);
}

TEST(Calibrate, SingleRunsFileErrorsNameItsLine) {
  TempDir dir;
  const fs::path p =
      dir.write("runs.toml", run_row("x", "ascend-910b", 16, 4096, 3000) + "colour = \"red\"\n");
  auto runs = load_runs(p, catalog());
  ASSERT_FALSE(runs);
  EXPECT_NE(runs.error().message.find(p.string() + ":"), std::string::npos) << runs.error().message;
  EXPECT_NE(runs.error().message.find("colour"), std::string::npos) << runs.error().message;
  auto missing = load_runs(dir.path() / "nope.toml", catalog());
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, ErrorCode::kIo);
}

}  // namespace
}  // namespace suanli

// The estimator against every published measurement in data/validation.
// Prints the whole error table (predicted, measured, error) so the test log
// shows how good the model is, then enforces the acceptance threshold:
// median |error| over the counted training rows <= 10%; then the headline:
// leave-one-source-out (out-of-sample) error, its bounds, the interval
// coverage, and a 910B calibrated on 3 runs scored on the rest.
#include <gtest/gtest.h>

#include <fmt/format.h>
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "catalog/catalog.h"
#include "perf/calibrate.h"
#include "perf/fit.h"
#include "perf/validation.h"
#include "temp_dir.h"

namespace suanli {
namespace {

constexpr double kTrainMedianTolerance = 0.10;  // issue 2 acceptance
constexpr double kInferMedianTolerance = 0.20;  // no issue threshold; ours, stated

const Catalog& bundled() {
  static const Catalog c = [] {
    CatalogOptions o;
    o.directories = {std::filesystem::path(SUANLI_SOURCE_DIR) / "data"};
    auto r = Catalog::load(o);
    if (!r) {
      ADD_FAILURE() << r.error().message;
      return Catalog{};
    }
    return *r;
  }();
  return c;
}

TEST(Validation, PublishedMeasurementsWithinTolerance) {
  auto rows = load_measurements(std::filesystem::path(SUANLI_SOURCE_DIR) / "data" / "validation",
                                bundled());
  ASSERT_TRUE(rows) << rows.error().message;
  ASSERT_GE(rows->size(), 25u) << "the validation set should hold at least 25 measurements";
  const ValidationSummary sum = run_validation(bundled(), *rows);

  std::string table =
      fmt::format("{:<46} {:<13} {:>6} {:<34} {:>10} {:>10} {:>8}\n", "id", "accelerator", "devs",
                  "metric", "measured", "predicted", "error");
  int counted_failures = 0;
  for (const auto& r : sum.rows) {
    const std::string id = r.m->id + (r.m->counted ? "" : " (not counted)");
    if (r.ok) {
      table += fmt::format("{:<46} {:<13} {:>6} {:<34} {:>10.4g} {:>10.4g} {:>+7.1f}%\n", id,
                           r.m->accelerator, r.m->devices, r.m->metric, r.m->value, r.predicted,
                           r.rel_error * 100);
      EXPECT_TRUE(std::isfinite(r.predicted) && r.predicted > 0) << r.m->id;
    } else {
      table += fmt::format("{:<46} {:<13} {:>6} {:<34} {:>10.4g} {:>10} failed: {}\n", id,
                           r.m->accelerator, r.m->devices, r.m->metric, r.m->value, "—", r.error);
      if (r.m->counted) ++counted_failures;
    }
  }
  std::printf("%s", table.c_str());
  std::printf("training rows: %d  median |error| %.1f%% (tolerance %.0f%%)  max |error| %.1f%%\n",
              sum.train_rows, sum.train_median_abs_error * 100, kTrainMedianTolerance * 100,
              sum.train_max_abs_error * 100);
  std::printf("inference rows: %d  median |error| %.1f%% (tolerance %.0f%%)  max |error| %.1f%%\n",
              sum.infer_rows, sum.infer_median_abs_error * 100, kInferMedianTolerance * 100,
              sum.infer_max_abs_error * 100);

  EXPECT_EQ(counted_failures, 0) << "every counted row must be predictable";
  EXPECT_GE(sum.train_rows, 25);
  EXPECT_LE(sum.train_median_abs_error, kTrainMedianTolerance)
      << fmt::format("median |error| {:.1f}% exceeds {:.0f}%", sum.train_median_abs_error * 100,
                     kTrainMedianTolerance * 100);
  EXPECT_LE(sum.infer_median_abs_error, kInferMedianTolerance);
}

// Issue 14's acceptance: out-of-sample median <= 8% over >= 300 rows,
// domestic <= 12%, no source above 20%, p10-p90 coverage 70-90%. All four
// are the bounds. The per-source one held last, from when CDNA3's attention
// was priced at CK FlashAttention-2's measured backward rate (torchao, with
// its MI300X rows, 23.6% to 13.5%; 6.0% once its rowwise rows said so).
constexpr double kOosMedianTarget = 0.08;
constexpr double kOosMedianBound = kOosMedianTarget;
constexpr double kDomesticTarget = 0.12;
constexpr double kDomesticBound = kDomesticTarget;
constexpr double kSourceTarget = 0.20;

TEST(Validation, CrossValidatedOutOfSample) {
  auto rows = load_measurements(std::filesystem::path(SUANLI_SOURCE_DIR) / "data" / "validation",
                                bundled());
  ASSERT_TRUE(rows) << rows.error().message;
  const CrossValidation cv = cross_validate(bundled(), *rows);
  std::printf("leave-one-source-out: every source predicted with constants fitted on the others\n");
  std::set<std::string> over_target;
  for (const auto& s : cv.by_source) {
    std::printf("  %-26s %4d rows  median |error| %5.1f%%%s\n", s.source.c_str(), s.rows,
                s.median_abs * 100, s.median_abs > kSourceTarget ? "  (above 20%)" : "");
    if (s.median_abs > kSourceTarget) over_target.insert(s.source);
  }
  for (const auto& f : cv.fits) {
    std::printf("  fitted %-18s gemm_peak_fraction %.3f (rows' p10-p90 %.2f-%.2f, %zu rows)\n",
                f.profile.c_str(), f.value, f.low, f.high, f.row_ids.size());
  }
  std::printf(
      "training OUT-OF-SAMPLE median |error| %.1f%% over %d rows from %zu sources (target %.0f%%, "
      "bound %.1f%%); in-sample %.1f%%\n",
      cv.median_abs * 100, cv.counted, cv.by_source.size(), kOosMedianTarget * 100,
      kOosMedianBound * 100, cv.median_abs_in_sample * 100);
  std::printf("domestic accelerators: %d rows, median |error| %.1f%% (target %.0f%%, bound %.0f%%)\n",
              cv.domestic_rows, cv.domestic_median_abs * 100, kDomesticTarget * 100,
              kDomesticBound * 100);
  std::printf("sources above the 20%% target: %zu of %zu\n", over_target.size(),
              cv.by_source.size());
  std::printf("p10-p90 interval coverage of held-out rows: %.1f%% (must be 70-90%%)\n",
              cv.coverage * 100);
  EXPECT_GE(cv.counted, 300);
  EXPECT_GE(cv.by_source.size(), 25u);
  EXPECT_GE(cv.domestic_rows, 40);
  EXPECT_LE(cv.median_abs, kOosMedianBound);
  EXPECT_LE(cv.domestic_median_abs, kDomesticBound);
  EXPECT_TRUE(over_target.empty())
      << fmt::format("{} source(s) above {:.0f}%, first {}", over_target.size(),
                     kSourceTarget * 100, over_target.empty() ? "" : *over_target.begin());
  EXPECT_GE(cv.coverage, 0.70);
  EXPECT_LE(cv.coverage, 0.90);
  // Out of sample can only be worse than in sample.
  EXPECT_GE(cv.median_abs, cv.median_abs_in_sample);
}

// Serving: issue 15's targets are printed beside the bounds this commit
// holds (15% overall, now met and the bound; 20% domestic, not met). No
// serving constant is fitted, so every row is out of sample; the interval
// of each comes from the other sources' residuals. The domestic bound was
// 32% until 40 rows that had recorded an engine's --tp-size as the
// attention TP were corrected to their attention-DP layouts (SGLang's
// --dp-size, TensorRT-LLM's enable_attention_dp): TensorRT-LLM's went from
// 24% to 10%, but SGLang on Ascend in attention DP decodes about twice as
// slowly as the model says (no mechanism for it yet), so the bound follows
// the corrected data; the target is unchanged. Spreading a prompt's expert
// GEMMs over the expert ranks (prefill under attention DP) brought the
// domestic median from 39.7% to 37.0%; the SGLang and vLLM Ascend rows on
// the standalone A3 servers they ran on, with expert all-to-alls that send
// only the remote share over the NIC (once per remote domain in prefill),
// to 34.0%; expert GEMMs at the size-dependent GEMM efficiency the training
// model uses, to 31.5%; the bound to 33%. Ascend's decode kernels at half
// the nominal HBM bandwidth (data/efficiency/profiles.toml, from a
// vllm-ascend report outside these rows) took serving from 15.3% to 14.2%
// and domestic serving to 27.4%: the serving bound is now the target; the
// other Chinese stacks at the same fraction (profile "domestic") took them
// to 13.3% and 23.2%, the domestic bound to 25%; NVIDIA decode reads at the
// 0.75 an H200's decode GEMMs reach, serving to 12.2%. Later mechanisms
// (expert-exchange latency, W8A8 on CANN, a closed loop's prefill wait) took
// domestic serving to 19.9%, inside its target, which is now the bound.
constexpr double kServingTarget = 0.15;
constexpr double kServingBound = kServingTarget;
constexpr double kServingDomesticTarget = 0.20;
constexpr double kServingDomesticBound = kServingDomesticTarget;

TEST(Validation, ServingOutOfSample) {
  auto rows = load_measurements(std::filesystem::path(SUANLI_SOURCE_DIR) / "data" / "validation",
                                bundled());
  ASSERT_TRUE(rows) << rows.error().message;
  const CrossValidation cv = cross_validate_serving(bundled(), *rows);
  std::printf("serving, by source (no serving constant fitted: every row out of sample)\n");
  for (const auto& s : cv.by_source) {
    std::printf("  %-26s %4d rows  median |error| %5.1f%%\n", s.source.c_str(), s.rows,
                s.median_abs * 100);
  }
  std::printf(
      "serving OUT-OF-SAMPLE median |error| %.1f%% over %d rows from %zu sources (target %.0f%%, "
      "bound %.0f%%)\n",
      cv.median_abs * 100, cv.counted, cv.by_source.size(), kServingTarget * 100,
      kServingBound * 100);
  std::printf("serving, domestic accelerators: %d rows, median |error| %.1f%% (target %.0f%%, "
              "bound %.0f%%)\n",
              cv.domestic_rows, cv.domestic_median_abs * 100, kServingDomesticTarget * 100,
              kServingDomesticBound * 100);
  std::printf("serving p10-p90 interval coverage: %.1f%% (must be 70-90%%)\n", cv.coverage * 100);
  EXPECT_GE(cv.counted, 120);
  EXPECT_GE(cv.by_source.size(), 15u);
  EXPECT_GE(cv.domestic_rows, 30);
  EXPECT_LE(cv.median_abs, kServingBound);
  EXPECT_LE(cv.domestic_median_abs, kServingDomesticBound);
  EXPECT_GE(cv.coverage, 0.70);
  EXPECT_LE(cv.coverage, 0.90);
  // The serving residuals estimates widen by are these rows'.
  for (const auto& sp : residual_spreads(cv, {}, "infer")) {
    const ResidualChoice c =
        bundled().residual_for(sp.profile == "all" ? "" : sp.profile, "", "infer");
    ASSERT_NE(c.spread, nullptr) << sp.profile;
    EXPECT_EQ(c.spread->kind, "infer");
    if (sp.profile == "all") continue;
    EXPECT_NEAR(c.spread->p10, sp.p10, 6e-5)
        << sp.profile << ": regenerate with suanli validate --cross-validate --write-residuals "
                         "data/efficiency/residuals.toml";
    EXPECT_NEAR(c.spread->p90, sp.p90, 6e-5) << sp.profile;
    EXPECT_EQ(c.spread->rows, sp.rows) << sp.profile;
  }
}

// The constants estimates use are the cross-validation's all-source fit
// (defined once: data/efficiency/profiles.toml says "fitted" and must
// match), and data/efficiency/residuals.toml is what the code generates.
TEST(Validation, FittedConstantsAndResidualsAreUpToDate) {
  auto rows = load_measurements(std::filesystem::path(SUANLI_SOURCE_DIR) / "data" / "validation",
                                bundled());
  ASSERT_TRUE(rows) << rows.error().message;
  const CrossValidation cv = cross_validate(bundled(), *rows);
  std::set<std::string> sources_of;
  for (const auto& f : cv.fits) {
    std::set<std::string> sources;
    for (const auto& r : cv.rows) {
      if (r.profile == f.profile) sources.insert(r.fold);
    }
    // Profiles measured by one source keep their sourced prior: refitting
    // them would leak that source into its own held-out score.
    if (sources.size() < 2) continue;
    EXPECT_NEAR(bundled().profile(f.profile).gemm_peak_fraction, f.value, 0.0051)
        << f.profile << ": data/efficiency/profiles.toml is stale; write the fitted value";
  }
  const auto spreads = residual_spreads(cv);
  for (const auto& s : spreads) {
    const ResidualChoice c = bundled().residual_for(s.profile == "all" ? "" : s.profile, s.stack,
                                                    "train");
    ASSERT_NE(c.spread, nullptr) << s.profile;
    if (s.profile == "all") continue;
    EXPECT_EQ(c.spread->profile, s.profile);
    EXPECT_NEAR(c.spread->p10, s.p10, 6e-5) << s.profile << " " << s.stack
        << ": regenerate with suanli validate --cross-validate --write-residuals "
           "data/efficiency/residuals.toml";
    EXPECT_NEAR(c.spread->p90, s.p90, 6e-5) << s.profile << " " << s.stack;
    EXPECT_EQ(c.spread->rows, s.rows) << s.profile << " " << s.stack;
  }
}

// A 910B operator with no calibrated profile (the chip on the `default`
// assumptions) measures three runs, calibrates, and the published 910B runs
// of the other sources are predicted better. Which three runs an operator
// happens to measure matters, so every three consecutive runs of each
// source with ten or more rows are tried and the median outcome is judged.
TEST(Validation, CalibratingA910BOnThreeRunsImprovesTheRest) {
  const testing::TempDir dir;
  dir.write("uncalibrated/accelerators/reset.toml",
            "[[accelerator]]\nid = \"ascend-910b\"\nefficiency_profile = \"default\"\n");
  const std::filesystem::path data = std::filesystem::path(SUANLI_SOURCE_DIR) / "data";
  CatalogOptions o;
  o.directories = {data, dir.path() / "uncalibrated"};
  auto cat = Catalog::load(o);
  ASSERT_TRUE(cat) << cat.error().message;
  auto rows = load_measurements(data / "validation", *cat);
  ASSERT_TRUE(rows) << rows.error().message;
  std::map<std::string, std::vector<Measurement>> by_source;
  for (const auto& m : *rows) {
    if (m.kind == "train" && m.counted && m.accelerator == "ascend-910b") {
      by_source[m.source_key].push_back(m);
    }
  }
  std::vector<double> before;
  std::vector<double> after;
  int tries = 0;
  for (const auto& [source, own] : by_source) {
    if (own.size() < 10) continue;
    std::vector<Measurement> rest;
    for (const auto& [other, theirs] : by_source) {
      if (other != source) rest.insert(rest.end(), theirs.begin(), theirs.end());
    }
    for (std::size_t i = 0; i + 3 <= own.size(); ++i) {
      const std::vector<Measurement> runs(own.begin() + static_cast<long>(i),
                                          own.begin() + static_cast<long>(i) + 3);
      CalibrateOptions opt;
      opt.accelerator = "ascend-910b";
      opt.out_dir = dir.path() / fmt::format("overlay-{}", tries++);
      opt.catalog_directories = o.directories;
      auto rep = calibrate(*cat, runs, rest, opt);
      ASSERT_TRUE(rep) << rep.error().message;
      before.push_back(rep->holdout_before.median_abs);
      after.push_back(rep->holdout_after.median_abs);
      std::printf(
          "calibrate ascend-910b on %s, %s, %s: gemm_peak_fraction %.3f -> %.3f; %d held-out "
          "runs of other sources: median |error| %.1f%% -> %.1f%%\n",
          runs[0].id.c_str(), runs[1].id.c_str(), runs[2].id.c_str(), rep->fit.prior,
          rep->fit.value, rep->holdout_after.rows, rep->holdout_before.median_abs * 100,
          rep->holdout_after.median_abs * 100);
    }
  }
  ASSERT_GE(tries, 10);
  auto median = [](std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v.size() % 2 ? v[v.size() / 2] : 0.5 * (v[v.size() / 2 - 1] + v[v.size() / 2]);
  };
  int improved = 0;
  for (std::size_t i = 0; i < after.size(); ++i) improved += after[i] < before[i] ? 1 : 0;
  std::printf(
      "calibration on 3 runs, %d tries: held-out 910B median |error| %.1f%% -> %.1f%% (median "
      "over tries); improved in %d of %d\n",
      tries, median(before) * 100, median(after) * 100, improved, tries);
  EXPECT_LT(median(after), median(before));
  // At least two tries in three improve. The fit that minimised the median
  // |error| improved 18 of 35: with three runs the median is the middle
  // one, so it could match one run and ignore the other two (the least-
  // absolute-deviations fit: 25 of 35).
  EXPECT_GE(improved * 3, tries * 2);
}

TEST(Validation, RowsWithFixedParallelismUseIt) {
  // A row that fixes tp/pp/dp must be predicted with exactly those values:
  // the config string shows searched fields with '*'.
  auto rows = load_measurements(std::filesystem::path(SUANLI_SOURCE_DIR) / "data" / "validation",
                                bundled());
  ASSERT_TRUE(rows) << rows.error().message;
  const ValidationSummary sum = run_validation(bundled(), *rows);
  int checked = 0;
  for (const auto& r : sum.rows) {
    if (!r.ok || r.m->kind != "train" || !r.m->parallelism.tp || !r.m->parallelism.pp) continue;
    EXPECT_NE(r.config.find(fmt::format("tp{} ", *r.m->parallelism.tp)), std::string::npos)
        << r.m->id << ": " << r.config;
    EXPECT_NE(r.config.find(fmt::format("pp{} ", *r.m->parallelism.pp)), std::string::npos)
        << r.m->id << ": " << r.config;
    ++checked;
  }
  EXPECT_GT(checked, 20);
}

// A hostile row cannot claim what physics forbids: 1e300 tokens/s, an MFU
// above 1, or two billion devices are refused with file, line and key.
TEST(Validation, ImpossibleValuesAreRefused) {
  const std::string head =
      "[[measurement]]\nid = \"x\"\nkind = \"train\"\nsource = \"s\"\nconfidence = "
      "\"verified\"\nmodel = \"llama3-8b\"\naccelerator = \"h100-sxm\"\nglobal_batch = 64\n";
  const struct {
    std::string rows;
    std::string key;
  } cases[] = {
      {"devices = 8\nmetric = \"tokens_per_s_per_device\"\nvalue = 1e300\n", "measurement.value"},
      {"devices = 8\nmetric = \"mfu\"\nvalue = 1.5\n", "measurement.value"},
      {"devices = 2000000000\nmetric = \"mfu\"\nvalue = 0.4\n", "measurement.devices"},
      {"devices = 8\nseq = 900000000\nmetric = \"mfu\"\nvalue = 0.4\n", "measurement.seq"},
  };
  for (const auto& c : cases) {
    const testing::TempDir dir;
    dir.write("bad.toml", head + c.rows);
    auto rows = load_measurements(dir.path(), bundled());
    ASSERT_FALSE(rows) << c.rows;
    EXPECT_NE(rows.error().message.find("bad.toml:"), std::string::npos) << rows.error().message;
    EXPECT_NE(rows.error().message.find(c.key), std::string::npos) << rows.error().message;
  }
}

TEST(Validation, MalformedRowNamesFileLineAndKey) {
  const testing::TempDir dir;
  dir.write("bad.toml",
            "[[measurement]]\nid = \"x\"\nkind = \"train\"\nsource = \"s\"\nconfidence = "
            "\"verified\"\nmodel = \"llama3-8b\"\naccelerator = \"h100-sxm\"\ndevices = "
            "\"eight\"\nglobal_batch = 8\nmetric = \"mfu\"\nvalue = 0.4\n");
  auto rows = load_measurements(dir.path(), bundled());
  ASSERT_FALSE(rows);
  EXPECT_NE(rows.error().message.find("bad.toml:8"), std::string::npos) << rows.error().message;
  EXPECT_NE(rows.error().message.find("measurement.devices"), std::string::npos)
      << rows.error().message;
  EXPECT_NE(rows.error().message.find("expected"), std::string::npos) << rows.error().message;
}

}  // namespace
}  // namespace suanli

// Worked examples of export-rules.md §2.3 on hand-built accelerators (no
// data files): TPP, performance density, 3A090 class and paragraph, the
// datacenter Note, the Oct-2022 rule and the Jan-2026 China overlay.
#include "compliance/compliance.h"
#include "contains.h"

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace suanli {
namespace {

Figure spec_figure(double value, Confidence confidence = Confidence::kVerified) {
  Figure f;
  f.value = value;
  f.confidence = confidence;
  f.source = "test";
  return f;
}

struct ChipSpec {
  std::string id;
  std::string origin = "US";
  bool datacenter = true;
  std::vector<std::pair<Precision, double>> rates = {};
  std::optional<double> die_area = std::nullopt;
  std::optional<double> memory_bw = std::nullopt;
  std::optional<double> scaleup_bidir = std::nullopt;
};

Accelerator make_chip(const ChipSpec& spec) {
  Accelerator a;
  a.id = spec.id;
  a.name = spec.id;
  a.origin = spec.origin;
  a.datacenter = spec.datacenter;
  for (const auto& [p, v] : spec.rates)
    a.dense_tflops[static_cast<std::size_t>(p)] = spec_figure(v);
  if (spec.die_area) a.die_area_mm2 = spec_figure(*spec.die_area);
  if (spec.memory_bw) a.memory_bw_gbps = spec_figure(*spec.memory_bw);
  if (spec.scaleup_bidir) a.scaleup_bidir_gbps = spec_figure(*spec.scaleup_bidir);
  return a;
}

using ::suanli::testing::contains;

Accelerator h200() {
  return make_chip({.id = "h200",
                    .rates = {{Precision::kTf32, 494.7},
                              {Precision::kBf16, 989.5},
                              {Precision::kFp16, 989.5},
                              {Precision::kFp8, 1979},
                              {Precision::kInt8, 1979}},
                    .die_area = 814,
                    .memory_bw = 4800,
                    .scaleup_bidir = 900});
}

TEST(ComplianceTest, H200IsA1AndCaseByCaseInChina) {
  const Classification c = classify(h200());
  ASSERT_TRUE(c.tpp.has_value());
  EXPECT_NEAR(c.tpp->value, 15832.0, 1.0);
  EXPECT_EQ(c.tpp->value, 989.5 * 16);  // = 1979 x 8 exactly
  // Equal grades: BF16 is named first (TF32's 494.7 x 32 = 15,830.4 is lower).
  EXPECT_EQ(c.tpp->precision, Precision::kBf16);
  EXPECT_FALSE(c.tpp->unverified());
  EXPECT_EQ(c.eccn_class, EccnClass::k3A090a);
  EXPECT_EQ(c.paragraph, Paragraph::kA1);
  EXPECT_EQ(c.a1, std::optional<bool>(true));
  EXPECT_TRUE(contains(c.rule, "3A090.a.1: TPP 15,832 ≥ 4,800")) << c.rule;
  ASSERT_TRUE(c.performance_density.has_value());
  EXPECT_NEAR(c.performance_density->value, 19.45, 0.01);
  EXPECT_EQ(c.china_overlay.overlay, ChinaOverlay::kCaseByCase);
  EXPECT_TRUE(contains(c.china_overlay.reason, "TPP 15,832 < 21,000")) << c.china_overlay.reason;
  EXPECT_TRUE(contains(c.china_overlay.reason, "4,800 < 6,500 GB/s")) << c.china_overlay.reason;
  EXPECT_EQ(c.rule_2022.result, Rule2022Result::kControlled);  // 900 >= 600 GB/s
  EXPECT_FALSE(c.domestic);
  EXPECT_TRUE(c.origin_note.empty());
}

TEST(ComplianceTest, H20IsOutside3A090ByParameters) {
  const Classification c = classify(make_chip({.id = "h20",
                                               .rates = {{Precision::kBf16, 148},
                                                         {Precision::kFp16, 148},
                                                         {Precision::kFp8, 296},
                                                         {Precision::kInt8, 296}},
                                               .die_area = 814,
                                               .memory_bw = 4000,
                                               .scaleup_bidir = 900}));
  ASSERT_TRUE(c.tpp.has_value());
  EXPECT_NEAR(c.tpp->value, 2368.0, 1.0);
  ASSERT_TRUE(c.performance_density.has_value());
  EXPECT_NEAR(c.performance_density->value, 2.91, 0.005);
  EXPECT_EQ(c.eccn_class, EccnClass::kNot3A090);
  EXPECT_EQ(c.paragraph, Paragraph::kBelowThresholds);
  EXPECT_EQ(c.a2, std::optional<bool>(false));
  EXPECT_EQ(c.b1, std::optional<bool>(false));  // TPP < 2400
  EXPECT_EQ(c.b2, std::optional<bool>(false));  // PD < 3.2
  EXPECT_TRUE(contains(c.rule, "b.1 TPP 2,368 < 2,400")) << c.rule;
  EXPECT_TRUE(contains(c.rule, "b.2 PD 2.91 < 3.2")) << c.rule;
  EXPECT_EQ(c.china_overlay.overlay, ChinaOverlay::kNotApplicable);
  EXPECT_EQ(c.rule_2022.result, Rule2022Result::kNotControlled);
}

TEST(ComplianceTest, A100MeetsBothA1AndA2) {
  const Classification c = classify(make_chip({.id = "a100",
                                               .rates = {{Precision::kFp32, 19.5},
                                                         {Precision::kTf32, 156},
                                                         {Precision::kBf16, 312},
                                                         {Precision::kFp16, 312},
                                                         {Precision::kInt8, 624}},
                                               .die_area = 826,
                                               .memory_bw = 2039,
                                               .scaleup_bidir = 600}));
  ASSERT_TRUE(c.tpp.has_value());
  EXPECT_NEAR(c.tpp->value, 4992.0, 1.0);
  ASSERT_TRUE(c.performance_density.has_value());
  EXPECT_NEAR(c.performance_density->value, 6.04, 0.005);
  EXPECT_EQ(c.eccn_class, EccnClass::k3A090a);
  EXPECT_EQ(c.paragraph, Paragraph::kA1);
  EXPECT_EQ(c.a1, std::optional<bool>(true));
  EXPECT_EQ(c.a2, std::optional<bool>(true));
  EXPECT_TRUE(contains(c.rule, "a.2 also met")) << c.rule;
  // The 2022 thresholds were set just below the A100: 600 GB/s is exactly on it.
  EXPECT_EQ(c.rule_2022.result, Rule2022Result::kControlled);
  EXPECT_EQ(c.china_overlay.overlay, ChinaOverlay::kCaseByCase);
}

TEST(ComplianceTest, L20IsNot3A090) {
  const Classification c =
      classify(make_chip({.id = "l20",
                          .rates = {{Precision::kBf16, 119.5}, {Precision::kFp8, 239}},
                          .die_area = 608.5,
                          .memory_bw = 864}));
  ASSERT_TRUE(c.tpp.has_value());
  EXPECT_NEAR(c.tpp->value, 1912.0, 1.0);
  ASSERT_TRUE(c.performance_density.has_value());
  EXPECT_NEAR(c.performance_density->value, 3.14, 0.005);
  EXPECT_EQ(c.eccn_class, EccnClass::kNot3A090);
  EXPECT_EQ(c.paragraph, Paragraph::kBelowThresholds);
  EXPECT_TRUE(contains(c.rule, "b.2 PD 3.14 < 3.2")) << c.rule;
}

TEST(ComplianceTest, Trainium2TppComesFromBf16NotFp8) {
  const Classification c =
      classify(make_chip({.id = "trn2",
                          .rates = {{Precision::kBf16, 667}, {Precision::kFp8, 1299}},
                          .memory_bw = 2900}));
  ASSERT_TRUE(c.tpp.has_value());
  EXPECT_NEAR(c.tpp->value, 10672.0, 1.0);
  EXPECT_EQ(c.tpp->precision, Precision::kBf16);
  EXPECT_EQ(c.tpp->bits, 16);
  EXPECT_GT(c.tpp->value, 1299.0 * 8);  // FP8 gives 10,392
  EXPECT_EQ(c.eccn_class, EccnClass::k3A090a);
  EXPECT_EQ(c.paragraph, Paragraph::kA1);
  EXPECT_FALSE(c.performance_density.has_value());
  EXPECT_EQ(c.china_overlay.overlay, ChinaOverlay::kCaseByCase);
}

TEST(ComplianceTest, B200IsPresumptionOfDenial) {
  const Classification c = classify(make_chip(
      {.id = "b200",
       .rates = {{Precision::kBf16, 2250}, {Precision::kFp8, 4500}, {Precision::kFp4, 9000}},
       .memory_bw = 8000,
       .scaleup_bidir = 1800}));
  ASSERT_TRUE(c.tpp.has_value());
  EXPECT_NEAR(c.tpp->value, 36000.0, 1.0);
  EXPECT_EQ(c.eccn_class, EccnClass::k3A090a);
  EXPECT_EQ(c.china_overlay.overlay, ChinaOverlay::kPresumptionOfDenial);
  EXPECT_TRUE(contains(c.china_overlay.reason, "TPP 36,000 ≥ 21,000")) << c.china_overlay.reason;
  EXPECT_TRUE(contains(c.china_overlay.reason, "8,000 ≥ 6,500 GB/s")) << c.china_overlay.reason;
}

TEST(ComplianceTest, DramBandwidthAloneDeniesCaseByCase) {
  // TPP below 21,000 but bandwidth at the limit: the rule needs both below.
  const Classification c =
      classify(make_chip({.id = "x", .rates = {{Precision::kFp16, 1000}}, .memory_bw = 6500}));
  EXPECT_NEAR(c.tpp->value, 16000.0, 1.0);
  EXPECT_EQ(c.china_overlay.overlay, ChinaOverlay::kPresumptionOfDenial);
}

TEST(ComplianceTest, TppAtTwentyOneThousandIsDenial) {
  const Classification c =
      classify(make_chip({.id = "x", .rates = {{Precision::kFp16, 1312.5}}, .memory_bw = 3000}));
  EXPECT_EQ(c.tpp->value, 21000.0);
  EXPECT_EQ(c.china_overlay.overlay, ChinaOverlay::kPresumptionOfDenial);
}

TEST(ComplianceTest, Mi210LikeChipIs3A090B2) {
  const Classification c = classify(make_chip(
      {.id = "mi210",
       .rates = {{Precision::kFp16, 181}, {Precision::kBf16, 181}, {Precision::kInt8, 181}},
       .die_area = 789,
       .memory_bw = 1638}));
  ASSERT_TRUE(c.tpp.has_value());
  EXPECT_NEAR(c.tpp->value, 2896.0, 1.0);
  ASSERT_TRUE(c.performance_density.has_value());
  EXPECT_NEAR(c.performance_density->value, 3.67, 0.005);
  EXPECT_EQ(c.eccn_class, EccnClass::k3A090b);
  EXPECT_EQ(c.paragraph, Paragraph::kB2);
  EXPECT_EQ(c.a2, std::optional<bool>(false));
  EXPECT_EQ(c.b2, std::optional<bool>(true));
  EXPECT_EQ(c.b1, std::optional<bool>(true));  // 2400 <= 2896 < 4800, 1.6 <= 3.67
  EXPECT_TRUE(contains(c.rule, "3A090.b.2: TPP 2,896 ≥ 1,600 and 3.2 ≤ PD 3.67 < 5.92")) << c.rule;
  EXPECT_TRUE(c.datacenter_note.nac_aca_eligible);  // 3A090.b datacenter item
  EXPECT_EQ(c.china_overlay.overlay, ChinaOverlay::kCaseByCase);
}

TEST(ComplianceTest, B1WithoutB2) {
  // TPP 3,000, PD 2.0: b.1 only (PD < 3.2 fails b.2).
  const Classification c = classify(make_chip(
      {.id = "x", .rates = {{Precision::kFp16, 187.5}}, .die_area = 1500, .memory_bw = 1000}));
  EXPECT_EQ(c.eccn_class, EccnClass::k3A090b);
  EXPECT_EQ(c.paragraph, Paragraph::kB1);
  EXPECT_EQ(c.b2, std::optional<bool>(false));
  EXPECT_TRUE(contains(c.rule, "3A090.b.1: 2,400 ≤ TPP 3,000 < 4,800 and 1.6 ≤ PD 2.00 < 5.92"))
      << c.rule;
}

TEST(ComplianceTest, MidRangeTppWithoutDieAreaIsUndetermined) {
  const Classification c =
      classify(make_chip({.id = "x", .rates = {{Precision::kFp16, 187.5}}, .memory_bw = 1600}));
  ASSERT_TRUE(c.tpp.has_value());
  EXPECT_NEAR(c.tpp->value, 3000.0, 1.0);
  EXPECT_FALSE(c.performance_density.has_value());
  EXPECT_EQ(c.eccn_class, EccnClass::kUndetermined);
  EXPECT_EQ(c.paragraph, Paragraph::kNone);
  EXPECT_EQ(c.a1, std::optional<bool>(false));
  EXPECT_FALSE(c.a2.has_value());
  EXPECT_FALSE(c.b1.has_value());
  EXPECT_FALSE(c.b2.has_value());
  EXPECT_TRUE(contains(c.rule, "die area is unknown")) << c.rule;
  // 3000 / 5.92 = 506.8; 3000 / 1.6 = 1875.
  EXPECT_TRUE(contains(c.rule, "≤ 506.8 mm²")) << c.rule;
  EXPECT_TRUE(contains(c.rule, "≤ 1,875.0 mm²")) << c.rule;
  EXPECT_EQ(c.china_overlay.overlay, ChinaOverlay::kUndetermined);
  EXPECT_TRUE(contains(c.china_overlay.reason, "if 3A090: case-by-case")) << c.china_overlay.reason;
  EXPECT_EQ(c.rule_2022.result, Rule2022Result::kNotControlled);  // TPP < 4800
}

TEST(ComplianceTest, LowTppWithoutDieAreaIsStillNot3A090) {
  const Classification c = classify(make_chip({.id = "x", .rates = {{Precision::kFp16, 90}}}));
  EXPECT_NEAR(c.tpp->value, 1440.0, 1.0);
  EXPECT_EQ(c.eccn_class, EccnClass::kNot3A090);
  EXPECT_EQ(c.paragraph, Paragraph::kBelowThresholds);
  EXPECT_TRUE(contains(c.rule, "a.2 TPP 1,440 < 1,600")) << c.rule;
}

TEST(ComplianceTest, NonDatacenterBelow4800IsExemptByNote) {
  // TPP 2,000, PD 6.5: a.2 by parameters, but Note 2 takes it out of 3A090.
  const Classification c = classify(make_chip({.id = "gaming",
                                               .datacenter = false,
                                               .rates = {{Precision::kFp16, 125}},
                                               .die_area = 2000.0 / 6.5}));
  EXPECT_NEAR(c.tpp->value, 2000.0, 1.0);
  EXPECT_NEAR(c.performance_density->value, 6.5, 1e-9);
  EXPECT_EQ(c.a2, std::optional<bool>(true));
  EXPECT_EQ(c.eccn_class, EccnClass::kNot3A090);
  EXPECT_EQ(c.paragraph, Paragraph::kDatacenterNote);
  EXPECT_TRUE(c.datacenter_note.exempts);
  EXPECT_FALSE(c.datacenter_note.datacenter);
  EXPECT_TRUE(contains(c.rule, "Note 2")) << c.rule;
  EXPECT_TRUE(contains(c.rule, "would be 3A090.a.2")) << c.rule;
  EXPECT_EQ(c.china_overlay.overlay, ChinaOverlay::kNotApplicable);
}

TEST(ComplianceTest, SameChipInDatacenterIsA2) {
  const Classification c = classify(
      make_chip({.id = "dc", .rates = {{Precision::kFp16, 125}}, .die_area = 2000.0 / 6.5}));
  EXPECT_EQ(c.eccn_class, EccnClass::k3A090a);
  EXPECT_EQ(c.paragraph, Paragraph::kA2);
  EXPECT_TRUE(contains(c.rule, "3A090.a.2: TPP 2,000 ≥ 1,600 and PD 6.50 ≥ 5.92")) << c.rule;
}

TEST(ComplianceTest, NonDatacenterAbove4800StaysA1ButNacEligible) {
  const Classification c = classify(make_chip(
      {.id = "ws", .datacenter = false, .rates = {{Precision::kFp8, 700}}, .memory_bw = 1000}));
  EXPECT_NEAR(c.tpp->value, 5600.0, 1.0);
  EXPECT_EQ(c.eccn_class, EccnClass::k3A090a);
  EXPECT_EQ(c.paragraph, Paragraph::kA1);
  EXPECT_FALSE(c.datacenter_note.exempts);
  EXPECT_TRUE(c.datacenter_note.nac_aca_eligible);
}

TEST(ComplianceTest, Ascend910CIsA1AndCaseByCaseByParameters) {
  const Classification c = classify(make_chip({.id = "ascend-910c",
                                               .origin = "CN",
                                               .rates = {{Precision::kFp16, 752}},
                                               .memory_bw = 3200}));
  ASSERT_TRUE(c.tpp.has_value());
  EXPECT_NEAR(c.tpp->value, 12032.0, 1.0);
  EXPECT_FALSE(c.performance_density.has_value());  // no die area, yet a.1 decides
  EXPECT_EQ(c.eccn_class, EccnClass::k3A090a);
  EXPECT_EQ(c.paragraph, Paragraph::kA1);
  EXPECT_FALSE(c.a2.has_value());
  EXPECT_EQ(c.china_overlay.overlay, ChinaOverlay::kCaseByCase);
  EXPECT_TRUE(c.domestic);
  EXPECT_TRUE(contains(c.origin_note, "CN-origin")) << c.origin_note;
  EXPECT_TRUE(contains(c.china_overlay.reason, "by parameters only")) << c.china_overlay.reason;
  // No scale-up figure: the 2022 rule cannot be decided for a TPP >= 4800 chip.
  EXPECT_EQ(c.rule_2022.result, Rule2022Result::kUndetermined);
  EXPECT_TRUE(contains(c.rule_2022.reason, "I/O")) << c.rule_2022.reason;
}

TEST(ComplianceTest, H800EscapedThe2022Rule) {
  Accelerator a = h200();
  a.scaleup_bidir_gbps = spec_figure(400);
  const Classification c = classify(a);
  EXPECT_EQ(c.rule_2022.result, Rule2022Result::kNotControlled);
  EXPECT_TRUE(contains(c.rule_2022.reason, "I/O 400 < 600 GB/s")) << c.rule_2022.reason;
  EXPECT_EQ(c.eccn_class, EccnClass::k3A090a);  // caught by the Oct-2023 rule
}

TEST(ComplianceTest, BoundaryValuesAreInclusiveWhereTheRuleSaysSo) {
  // TPP exactly 4800 is a.1.
  EXPECT_EQ(classify(make_chip({.id = "x", .rates = {{Precision::kFp16, 300}}})).paragraph,
            Paragraph::kA1);
  // TPP exactly 1600 with PD exactly 3.2 is b.2 (the MTT S4000 floor).
  EXPECT_EQ(classify(make_chip({.id = "x", .rates = {{Precision::kFp16, 100}}, .die_area = 500}))
                .paragraph,
            Paragraph::kB2);
  // PD exactly 5.92 is a.2.
  EXPECT_EQ(classify(make_chip({.id = "x", .rates = {{Precision::kFp16, 148}}, .die_area = 400}))
                .paragraph,
            Paragraph::kA2);
  // Just under 4800: not a.1, and the text does not round it up to 4,800.
  const Classification c =
      classify(make_chip({.id = "x", .rates = {{Precision::kFp16, 299.99}}, .die_area = 4000}));
  EXPECT_EQ(c.a1, std::optional<bool>(false));
  EXPECT_TRUE(contains(c.rule, "a.1 TPP 4,799.8 < 4,800")) << c.rule;
}

TEST(ComplianceTest, UnverifiedRateFlagsTheTpp) {
  Accelerator a = make_chip({.id = "x", .rates = {{Precision::kFp16, 752}}, .memory_bw = 3200});
  a.dense_tflops[static_cast<std::size_t>(Precision::kFp16)]->confidence = Confidence::kPlaceholder;
  const Classification c = classify(a);
  ASSERT_TRUE(c.tpp.has_value());
  EXPECT_EQ(c.tpp->confidence, Confidence::kPlaceholder);
  EXPECT_TRUE(c.tpp->unverified());
  EXPECT_TRUE(contains(c.rule, "unverified")) << c.rule;
}

TEST(ComplianceTest, TiesDoNotNameTf32) {
  // H20: TF32 74 x 32 == BF16 148 x 16 == FP8 296 x 8 == 2,368.
  const auto tpp = compute_tpp(make_chip(
      {.id = "h20",
       .rates = {{Precision::kTf32, 74}, {Precision::kBf16, 148}, {Precision::kFp8, 296}}}));
  ASSERT_TRUE(tpp.has_value());
  EXPECT_EQ(tpp->value, 2368.0);
  EXPECT_EQ(tpp->precision, Precision::kBf16);
}

TEST(ComplianceTest, TiesPreferTheBetterGradedFigure) {
  Accelerator a = h200();
  a.dense_tflops[static_cast<std::size_t>(Precision::kBf16)]->confidence = Confidence::kEstimate;
  a.dense_tflops[static_cast<std::size_t>(Precision::kFp16)]->confidence = Confidence::kEstimate;
  a.dense_tflops[static_cast<std::size_t>(Precision::kInt8)]->confidence = Confidence::kSecondary;
  const auto tpp = compute_tpp(a);
  ASSERT_TRUE(tpp.has_value());
  EXPECT_EQ(tpp->precision, Precision::kFp8);
  EXPECT_FALSE(tpp->unverified());
}

TEST(ComplianceTest, UnverifiedDieAreaFlagsPd) {
  Accelerator a = make_chip({.id = "x", .rates = {{Precision::kFp16, 181}}, .die_area = 789});
  a.die_area_mm2->confidence = Confidence::kEstimate;
  const Classification c = classify(a);
  ASSERT_TRUE(c.performance_density.has_value());
  EXPECT_TRUE(c.performance_density->unverified);
  EXPECT_FALSE(c.tpp->unverified());
  EXPECT_TRUE(contains(c.rule, "die area from an unverified figure")) << c.rule;
}

TEST(ComplianceTest, NoRatesMeansUndetermined) {
  Accelerator a = make_chip({.id = "metax-c550", .origin = "CN", .memory_bw = 1800});
  const Classification c = classify(a);
  EXPECT_FALSE(c.tpp.has_value());
  EXPECT_FALSE(c.performance_density.has_value());
  EXPECT_EQ(c.eccn_class, EccnClass::kUndetermined);
  EXPECT_TRUE(contains(c.rule, "TPP is unknown")) << c.rule;
  EXPECT_EQ(c.rule_2022.result, Rule2022Result::kUndetermined);
  EXPECT_EQ(c.china_overlay.overlay, ChinaOverlay::kUndetermined);
}

TEST(ComplianceTest, MissingDramBandwidthLeavesOverlayOpenUnlessTppDecides) {
  const Classification low = classify(make_chip({.id = "x", .rates = {{Precision::kFp16, 500}}}));
  EXPECT_EQ(low.eccn_class, EccnClass::k3A090a);
  EXPECT_EQ(low.china_overlay.overlay, ChinaOverlay::kUndetermined);
  EXPECT_TRUE(contains(low.china_overlay.reason, "DRAM bandwidth is unknown"))
      << low.china_overlay.reason;
  const Classification high = classify(make_chip({.id = "x", .rates = {{Precision::kFp16, 2000}}}));
  EXPECT_EQ(high.china_overlay.overlay, ChinaOverlay::kPresumptionOfDenial);
}

TEST(ComplianceTest, ThresholdsComeFromTheParams) {
  ExportRuleParams params;
  params.china_case_by_case_tpp_max = 10000;
  const Classification c = classify(h200(), params);
  EXPECT_EQ(c.china_overlay.overlay, ChinaOverlay::kPresumptionOfDenial);
  EXPECT_TRUE(contains(c.china_overlay.reason, "TPP 15,832 ≥ 10,000")) << c.china_overlay.reason;
  ExportRuleParams strict;
  strict.a1_tpp_min = 20000;
  EXPECT_EQ(classify(h200(), strict).paragraph, Paragraph::kA2);  // PD 19.45 still >= 5.92
}

// A chip whose sources disagree: the S4000 at the vendor's 98 TFLOPS (TPP
// 1,568) against the press's rounded 100 (TPP 1,600, where the unknown die
// area decides). The class is given on the catalog value, the other reading
// is named, and so is the threshold that would change it.
TEST(ComplianceTest, DisputedFiguresNameTheOtherVerdictAndTheThreshold) {
  Accelerator a = make_chip({.id = "s4000", .origin = "CN",
                             .rates = {{Precision::kFp16, 98}, {Precision::kInt8, 196}}});
  a.dense_tflops[static_cast<std::size_t>(Precision::kFp16)]->high = 100;
  a.dense_tflops[static_cast<std::size_t>(Precision::kInt8)]->high = 200;
  const auto c = classify(a);
  ASSERT_TRUE(c.tpp);
  EXPECT_DOUBLE_EQ(c.tpp->value, 1568);
  EXPECT_EQ(c.eccn_class, EccnClass::kNot3A090);
  ASSERT_EQ(c.disputed.size(), 1u);
  EXPECT_TRUE(contains(c.disputed[0], "on the high figures (fp16 100 TFLOPS, int8 200 TOPS)"))
      << c.disputed[0];
  EXPECT_TRUE(contains(c.disputed[0], "undetermined: TPP 1,600")) << c.disputed[0];
  ASSERT_FALSE(c.would_change.empty());
  EXPECT_TRUE(contains(c.would_change[0], "TPP ≥ 1,600 (fp16 ≥ 100.0 TFLOPS, +2.0%)"))
      << c.would_change[0];
  // Without the disagreement there is nothing disputed, but the threshold
  // still is.
  const auto plain = classify(make_chip({.id = "s4000-98", .origin = "CN",
                                         .rates = {{Precision::kFp16, 98}}}));
  EXPECT_TRUE(plain.disputed.empty());
  EXPECT_FALSE(plain.would_change.empty());
}

// With a known die area, the nearest die-area threshold is named with the
// class it would give (H200: a.1 on TPP, a.2 also met; leaving a.1 needs
// TPP < 4,800; PD 19.4 is far above every floor).
TEST(ComplianceTest, WouldChangeNamesTppAndDieAreaThresholds) {
  const auto c = classify(make_chip({.id = "mid", .rates = {{Precision::kBf16, 200}},
                                     .die_area = 600}));
  // TPP 3,200, PD 5.33: 3A090.b (b.1 and b.2).
  ASSERT_EQ(c.eccn_class, EccnClass::k3A090b);
  bool tpp_up = false, area_down = false;
  for (const auto& w : c.would_change) {
    tpp_up = tpp_up || contains(w, "TPP ≥ 4,800 (bf16 ≥ 300.0 TFLOPS, +50.0%): 3A090.a.1");
    area_down = area_down || contains(w, "die area ≤ 540.5 mm²");
  }
  EXPECT_TRUE(tpp_up) << ::testing::PrintToString(c.would_change);
  EXPECT_TRUE(area_down) << ::testing::PrintToString(c.would_change);
}

TEST(ComplianceTest, NamesAreStable) {
  EXPECT_EQ(eccn_class_name(EccnClass::k3A090a), "3A090.a");
  EXPECT_EQ(eccn_class_name(EccnClass::k3A090b), "3A090.b");
  EXPECT_EQ(eccn_class_name(EccnClass::kNot3A090), "not-3A090");
  EXPECT_EQ(eccn_class_name(EccnClass::kUndetermined), "undetermined");
  EXPECT_EQ(paragraph_name(Paragraph::kB2), "b.2");
  EXPECT_EQ(china_overlay_name(ChinaOverlay::kPresumptionOfDenial), "presumption-of-denial");
  EXPECT_EQ(rule_2022_name(Rule2022Result::kNotControlled), "not-controlled");
  EXPECT_EQ(format_grouped(15832, 0), "15,832");
  EXPECT_EQ(format_grouped(1234567.891, 2), "1,234,567.89");
  EXPECT_EQ(format_grouped(-999.6, 0), "-1,000");
  EXPECT_EQ(format_grouped(12, 1), "12.0");
}

}  // namespace
}  // namespace suanli

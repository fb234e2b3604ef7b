// US export-control classification of an accelerator (ECCN 3A090) and the
// China licence-review overlay, computed from catalog figures only. The rules
// are those of docs/reference/export-rules.md §2.2–2.3: the Oct-2023
// 3A090.a/.b tests on TPP and performance density (with the datacenter Note),
// the historical Oct-2022 test (TPP and I/O bandwidth), and the Jan-2026
// China/Macau review policy of 91 FR 1684. Missing figures make a result
// "undetermined" (never guessed); unverified figures are flagged.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "catalog/accelerator.h"
#include "catalog/figure.h"

namespace suanli {

// Every threshold the rules compare against, in one place. Defaults are the
// rule texts as of 2026; tests and what-if studies may change them.
struct ExportRuleParams {
  // 3A090.a.1 (88 FR 73458): TPP >= 4800.
  double a1_tpp_min = 4800.0;
  // 3A090.a.2: TPP >= 1600 and PD >= 5.92.
  double a2_tpp_min = 1600.0;
  double a2_pd_min = 5.92;
  // 3A090.b.1: 2400 <= TPP < 4800 and 1.6 <= PD < 5.92.
  double b1_tpp_min = 2400.0;
  double b1_tpp_max = 4800.0;  // exclusive
  double b1_pd_min = 1.6;
  double b1_pd_max = 5.92;  // exclusive
  // 3A090.b.2: TPP >= 1600 and 3.2 <= PD < 5.92.
  double b2_tpp_min = 1600.0;
  double b2_pd_min = 3.2;
  double b2_pd_max = 5.92;  // exclusive
  // Note 2 to 3A090: non-datacenter items below this TPP are outside 3A090.
  double datacenter_note_tpp = 4800.0;
  // Oct-2022 rule (87 FR 62186): TPP >= 4800 and aggregate bidirectional I/O
  // >= 600 GB/s.
  double rule2022_tpp_min = 4800.0;
  double rule2022_io_gbps_min = 600.0;
  // 91 FR 1684 (2026-01-15): case-by-case review for China/Macau when
  // TPP < 21,000 and total DRAM bandwidth < 6,500 GB/s; otherwise denial.
  double china_case_by_case_tpp_max = 21000.0;       // exclusive
  double china_case_by_case_dram_gbps_max = 6500.0;  // exclusive
};

enum class EccnClass { k3A090a, k3A090b, kNot3A090, kUndetermined };

// The sub-paragraph (or note) that decided the class. kNone when the class is
// undetermined.
enum class Paragraph { kNone, kA1, kA2, kB1, kB2, kDatacenterNote, kBelowThresholds };

enum class Rule2022Result { kControlled, kNotControlled, kUndetermined };

enum class ChinaOverlay { kNotApplicable, kCaseByCase, kPresumptionOfDenial, kUndetermined };

// "3A090.a", "3A090.b", "not-3A090", "undetermined".
std::string_view eccn_class_name(EccnClass c);
// "a.1", "a.2", "b.1", "b.2", "note-2-datacenter", "below-thresholds", "none".
std::string_view paragraph_name(Paragraph p);
// "controlled", "not-controlled", "undetermined".
std::string_view rule_2022_name(Rule2022Result r);
// "not-applicable", "case-by-case", "presumption-of-denial", "undetermined".
std::string_view china_overlay_name(ChinaOverlay o);

// Total processing performance: the maximum over the chip's dense rates of
// TFLOPS (or TOPS) x operand bit length.
struct Tpp {
  double value = 0.0;
  Precision precision = Precision::kFp16;  // the rate that gave the maximum
  int bits = 16;
  double rate = 0.0;                                 // that rate's dense TFLOPS / TOPS
  Confidence confidence = Confidence::kPlaceholder;  // of that rate's figure
  bool unverified() const {
    return confidence == Confidence::kEstimate || confidence == Confidence::kPlaceholder;
  }
};

// TPP / applicable die area (mm²).
struct PerformanceDensity {
  double value = 0.0;
  double die_area_mm2 = 0.0;
  Confidence die_area_confidence = Confidence::kPlaceholder;
  bool unverified = false;  // the TPP or the die area comes from an unverified figure
};

struct DatacenterNote {
  bool datacenter = true;         // designed or marketed for datacenters (catalog flag)
  bool exempts = false;           // the Note takes the item out of 3A090
  bool nac_aca_eligible = false;  // licence exceptions NAC/ACA may be available
  std::string text;
};

struct Rule2022 {
  Rule2022Result result = Rule2022Result::kUndetermined;
  std::string reason;
};

struct ChinaOverlayResult {
  ChinaOverlay overlay = ChinaOverlay::kUndetermined;
  std::string reason;
};

struct Classification {
  std::string id;
  std::string name;
  std::string origin;
  bool domestic = false;    // CN-origin: the US class describes its parameters only
  std::string origin_note;  // empty for foreign chips

  std::optional<Tpp> tpp;  // nullopt when the catalog has no dense rate
  std::optional<PerformanceDensity> performance_density;  // nullopt: die area unknown

  // Each 3A090 test: true, false, or nullopt when a missing figure leaves it open.
  std::optional<bool> a1;
  std::optional<bool> a2;
  std::optional<bool> b1;
  std::optional<bool> b2;

  EccnClass eccn_class = EccnClass::kUndetermined;
  Paragraph paragraph = Paragraph::kNone;
  // Names the paragraph and the numbers compared, e.g.
  // "3A090.a.1: TPP 15,832 ≥ 4,800".
  std::string rule;

  DatacenterNote datacenter_note;
  Rule2022 rule_2022;
  ChinaOverlayResult china_overlay;

  // Where the catalog keeps a disagreement (a rate's or the die area's
  // low/high): the class on the low reading (every rate at its low, the die
  // area at its high) and on the high reading, one line each, when it
  // differs from the class on the catalog values. Empty when every reading
  // gives the same class.
  std::vector<std::string> disputed;
  // What would change the class: the nearest TPP thresholds above and below
  // (with the rate that would be needed) and, with a known die area, the
  // nearest die-area threshold, each with the class it would give.
  std::vector<std::string> would_change;

  // Passed through from the catalog.
  ChinaStatus china_status = ChinaStatus::kNotOffered;
  std::string china_status_note;
  std::string china_status_confirmed;

  bool is_3a090() const {
    return eccn_class == EccnClass::k3A090a || eccn_class == EccnClass::k3A090b;
  }
};

// The TPP of a chip, or nullopt when it has no positive dense rate. Equal
// products (989.5 x 16 == 1979 x 8) go to the better-graded figure, then in
// the order BF16, FP16, FP8, INT8, FP4, TF32, FP32.
std::optional<Tpp> compute_tpp(const Accelerator& a);

// Pure: depends only on its arguments. Never fails; missing inputs make the
// affected results "undetermined" with the reason in the text.
Classification classify(const Accelerator& a, const ExportRuleParams& params = {});

// A short plain-text statement of the rules with the thresholds in `params`
// (for --help and reports), one sentence per line.
std::string rules_summary(const ExportRuleParams& params = {});

// Formats a number with thousands separators and `decimals` decimals:
// format_grouped(15832, 0) == "15,832".
std::string format_grouped(double value, int decimals);

}  // namespace suanli

#include "compliance/compliance.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <iterator>
#include <limits>
#include <string>
#include <vector>

#include "util/strings.h"

namespace suanli {

std::string_view eccn_class_name(EccnClass c) {
  switch (c) {
    case EccnClass::k3A090a:
      return "3A090.a";
    case EccnClass::k3A090b:
      return "3A090.b";
    case EccnClass::kNot3A090:
      return "not-3A090";
    case EccnClass::kUndetermined:
      return "undetermined";
  }
  return "undetermined";
}

std::string_view paragraph_name(Paragraph p) {
  switch (p) {
    case Paragraph::kNone:
      return "none";
    case Paragraph::kA1:
      return "a.1";
    case Paragraph::kA2:
      return "a.2";
    case Paragraph::kB1:
      return "b.1";
    case Paragraph::kB2:
      return "b.2";
    case Paragraph::kDatacenterNote:
      return "note-2-datacenter";
    case Paragraph::kBelowThresholds:
      return "below-thresholds";
  }
  return "none";
}

std::string_view rule_2022_name(Rule2022Result r) {
  switch (r) {
    case Rule2022Result::kControlled:
      return "controlled";
    case Rule2022Result::kNotControlled:
      return "not-controlled";
    case Rule2022Result::kUndetermined:
      return "undetermined";
  }
  return "undetermined";
}

std::string_view china_overlay_name(ChinaOverlay o) {
  switch (o) {
    case ChinaOverlay::kNotApplicable:
      return "not-applicable";
    case ChinaOverlay::kCaseByCase:
      return "case-by-case";
    case ChinaOverlay::kPresumptionOfDenial:
      return "presumption-of-denial";
    case ChinaOverlay::kUndetermined:
      return "undetermined";
  }
  return "undetermined";
}

std::string format_grouped(double value, int decimals) {
  std::string text = fmt::format("{:.{}f}", std::abs(value), std::max(0, decimals));
  const auto dot = text.find('.');
  std::string integer = text.substr(0, dot);
  const std::string fraction = dot == std::string::npos ? "" : text.substr(dot);
  std::string grouped;
  for (std::size_t i = 0; i < integer.size(); ++i) {
    if (i > 0 && (integer.size() - i) % 3 == 0) grouped += ',';
    grouped += integer[i];
  }
  // No "-0" when a tiny negative rounds to zero.
  const bool negative = value < 0 && text.find_first_not_of("0.") != std::string::npos;
  return (negative ? "-" : "") + grouped + fraction;
}

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

// A threshold as written in the rule: the fewest decimals (up to 4) that
// represent it, e.g. 4800 -> "4,800", 5.92 -> "5.92", 1.6 -> "1.6".
std::string format_threshold(double threshold) {
  for (int d = 0; d < 4; ++d) {
    const double scale = std::pow(10.0, d);
    if (std::abs(std::round(threshold * scale) - threshold * scale) < 1e-9 * scale) {
      return format_grouped(threshold, d);
    }
  }
  return format_grouped(threshold, 4);
}

// A value compared with a threshold: `base` decimals, more when rounding
// would make the value look equal to (or on the other side of) the threshold.
std::string format_compared(double value, double threshold, int base) {
  int d = std::max(0, base);
  for (; d < 6; ++d) {
    const double scale = std::pow(10.0, d);
    const double shown = std::round(value * scale) / scale;
    const auto side = [&](double x) { return (x > threshold) - (x < threshold); };
    if (side(shown) == side(value)) break;
  }
  return format_grouped(value, d);
}

// TPP is usually an integer (rate x bits); show a decimal only when it is not.
int tpp_decimals(double tpp) {
  return std::abs(tpp - std::round(tpp)) < 1e-6 * std::max(1.0, tpp) ? 0 : 1;
}

std::string tpp_text(double tpp, double threshold) {
  return format_compared(tpp, threshold, tpp_decimals(tpp));
}
std::string pd_text(double pd, double threshold) { return format_compared(pd, threshold, 2); }
std::string gbps_text(double gbps, double threshold) {
  return format_compared(gbps, threshold, tpp_decimals(gbps));
}
std::string th(double threshold) { return format_threshold(threshold); }

// Lower rank = better graded.
int confidence_rank(Confidence c) {
  switch (c) {
    case Confidence::kVerified:
      return 0;
    case Confidence::kSecondary:
      return 1;
    case Confidence::kEstimate:
      return 2;
    case Confidence::kPlaceholder:
      return 3;
  }
  return 3;
}

bool figure_usable(const std::optional<Figure>& f) {
  return f.has_value() && std::isfinite(f->value) && f->value > 0.0;
}

std::string unverified_suffix(std::string_view what, Confidence c) {
  return fmt::format(" [{} from an unverified figure ({})]", what, confidence_name(c));
}

// Why one paragraph's test failed, naming the first failing comparison.
std::string why_a2_fails(double tpp, double pd, const ExportRuleParams& p) {
  if (tpp < p.a2_tpp_min)
    return fmt::format("a.2 TPP {} < {}", tpp_text(tpp, p.a2_tpp_min), th(p.a2_tpp_min));
  return fmt::format("a.2 PD {} < {}", pd_text(pd, p.a2_pd_min), th(p.a2_pd_min));
}

std::string why_b1_fails(double tpp, double pd, const ExportRuleParams& p) {
  if (tpp < p.b1_tpp_min)
    return fmt::format("b.1 TPP {} < {}", tpp_text(tpp, p.b1_tpp_min), th(p.b1_tpp_min));
  if (tpp >= p.b1_tpp_max)
    return fmt::format("b.1 TPP {} ≥ {}", tpp_text(tpp, p.b1_tpp_max), th(p.b1_tpp_max));
  if (pd < p.b1_pd_min)
    return fmt::format("b.1 PD {} < {}", pd_text(pd, p.b1_pd_min), th(p.b1_pd_min));
  return fmt::format("b.1 PD {} ≥ {}", pd_text(pd, p.b1_pd_max), th(p.b1_pd_max));
}

std::string why_b2_fails(double tpp, double pd, const ExportRuleParams& p) {
  if (tpp < p.b2_tpp_min)
    return fmt::format("b.2 TPP {} < {}", tpp_text(tpp, p.b2_tpp_min), th(p.b2_tpp_min));
  if (pd < p.b2_pd_min)
    return fmt::format("b.2 PD {} < {}", pd_text(pd, p.b2_pd_min), th(p.b2_pd_min));
  return fmt::format("b.2 PD {} ≥ {}", pd_text(pd, p.b2_pd_max), th(p.b2_pd_max));
}

std::string a2_met(double tpp, double pd, const ExportRuleParams& p) {
  return fmt::format("TPP {} ≥ {} and PD {} ≥ {}", tpp_text(tpp, p.a2_tpp_min), th(p.a2_tpp_min),
                     pd_text(pd, p.a2_pd_min), th(p.a2_pd_min));
}
std::string b1_met(double tpp, double pd, const ExportRuleParams& p) {
  return fmt::format("{} ≤ TPP {} < {} and {} ≤ PD {} < {}", th(p.b1_tpp_min),
                     tpp_text(tpp, p.b1_tpp_min), th(p.b1_tpp_max), th(p.b1_pd_min),
                     pd_text(pd, p.b1_pd_min), th(p.b1_pd_max));
}
std::string b2_met(double tpp, double pd, const ExportRuleParams& p) {
  return fmt::format("TPP {} ≥ {} and {} ≤ PD {} < {}", tpp_text(tpp, p.b2_tpp_min),
                     th(p.b2_tpp_min), th(p.b2_pd_min), pd_text(pd, p.b2_pd_min), th(p.b2_pd_max));
}

// The class when only performance density is missing (a.1 never depends on
// it): undetermined, with the die areas that would decide each way.
void explain_undetermined_pd(double tpp, const ExportRuleParams& p, const std::string& unverified,
                             Classification& c) {
  c.eccn_class = EccnClass::kUndetermined;
  c.paragraph = Paragraph::kNone;
  // A test with a value here is false on TPP alone; an open one still
  // depends on PD, and its PD floor is where 3A090.b starts.
  const double b_pd_floor = std::min(c.b1 ? kInf : p.b1_pd_min, c.b2 ? kInf : p.b2_pd_min);
  std::string split;
  if (!c.a2)
    split += fmt::format("3A090.a.2 if die area ≤ {} mm² (PD ≥ {})",
                         format_grouped(tpp / p.a2_pd_min, 1), th(p.a2_pd_min));
  if (std::isfinite(b_pd_floor)) {
    if (!split.empty()) split += ", ";
    split += fmt::format("3A090.b if ≤ {} mm² (PD ≥ {})", format_grouped(tpp / b_pd_floor, 1),
                         th(b_pd_floor));
  }
  c.rule = fmt::format(
      "undetermined: TPP {} is between {} and {}, so the class depends on performance "
      "density, and the die area is unknown ({}, otherwise not 3A090){}",
      tpp_text(tpp, p.a1_tpp_min), th(std::min(p.a2_tpp_min, p.b2_tpp_min)), th(p.a1_tpp_min),
      split, unverified);
}

// Note 2 to 3A090 for a chip the note does not exempt: why not, and whether
// the class is NAC/ACA-eligible.
void fill_datacenter_note(const Accelerator& a, double tpp, const ExportRuleParams& p,
                          Classification& c) {
  auto& note = c.datacenter_note;
  if (a.datacenter) {
    note.text = "designed or marketed for datacenters: Note 2 does not apply";
    if (c.eccn_class == EccnClass::k3A090b) {
      note.nac_aca_eligible = true;
      note.text += "; 3A090.b datacenter items are NAC/ACA-eligible";
    }
  } else {
    note.text = fmt::format(
        "not designed or marketed for datacenters, but TPP {} ≥ {}: Note 2 does not exempt it",
        tpp_text(tpp, p.datacenter_note_tpp), th(p.datacenter_note_tpp));
    if (c.eccn_class == EccnClass::k3A090a) {
      note.nac_aca_eligible = true;
      note.text += "; 3A090.a non-datacenter items are NAC/ACA-eligible";
    }
  }
}

// The 3A090 tests and the class (Oct-2023 rule with the datacenter Note).
void classify_3a090(const Accelerator& a, const ExportRuleParams& p, Classification& c) {
  c.datacenter_note.datacenter = a.datacenter;
  if (!c.tpp) {
    c.eccn_class = EccnClass::kUndetermined;
    c.paragraph = Paragraph::kNone;
    c.rule = "undetermined: the catalog has no dense peak rate for this chip, so TPP is unknown";
    c.datacenter_note.text =
        a.datacenter ? "designed or marketed for datacenters: Note 2 does not apply"
                     : fmt::format(
                           "not designed or marketed for datacenters: Note 2 exempts it "
                           "if TPP < {} (TPP unknown)",
                           th(p.datacenter_note_tpp));
    return;
  }

  const double tpp = c.tpp->value;
  const std::optional<double> pd =
      c.performance_density ? std::optional<double>(c.performance_density->value) : std::nullopt;
  // Read only where a test on PD came out true or false, i.e. PD is known.
  const double pdv = pd.value_or(0.0);
  const auto pd_test = [&](bool tpp_ok, double lo, double hi) -> std::optional<bool> {
    if (!tpp_ok) return false;
    if (!pd) return std::nullopt;
    return *pd >= lo && *pd < hi;
  };
  c.a1 = tpp >= p.a1_tpp_min;
  c.a2 = pd_test(tpp >= p.a2_tpp_min, p.a2_pd_min, kInf);
  c.b1 = pd_test(tpp >= p.b1_tpp_min && tpp < p.b1_tpp_max, p.b1_pd_min, p.b1_pd_max);
  c.b2 = pd_test(tpp >= p.b2_tpp_min, p.b2_pd_min, p.b2_pd_max);

  const std::string unverified =
      c.tpp->unverified() ? unverified_suffix("TPP", c.tpp->confidence) : std::string();
  const std::string pd_unverified =
      c.performance_density && c.performance_density->unverified && !c.tpp->unverified()
          ? unverified_suffix("die area", c.performance_density->die_area_confidence)
          : std::string();

  if (!a.datacenter && tpp < p.datacenter_note_tpp) {
    c.eccn_class = EccnClass::kNot3A090;
    c.paragraph = Paragraph::kDatacenterNote;
    std::string would;
    if (c.a2.value_or(false))
      would = " (by parameters alone it would be 3A090.a.2)";
    else if (c.b1.value_or(false) || c.b2.value_or(false))
      would = " (by parameters alone it would be 3A090.b)";
    c.rule = fmt::format(
        "not 3A090 (Note 2 to 3A090): not designed or marketed for datacenters and TPP {} < {}{}{}",
        tpp_text(tpp, p.datacenter_note_tpp), th(p.datacenter_note_tpp), would, unverified);
    c.datacenter_note.exempts = true;
    c.datacenter_note.text = fmt::format(
        "Note 2 to 3A090: not designed or marketed for datacenters and TPP {} < {}, so 3A090 "
        "does not apply",
        tpp_text(tpp, p.datacenter_note_tpp), th(p.datacenter_note_tpp));
    return;
  }

  if (*c.a1 || c.a2.value_or(false)) {
    c.eccn_class = EccnClass::k3A090a;
    if (*c.a1) {
      c.paragraph = Paragraph::kA1;
      c.rule = fmt::format("3A090.a.1: TPP {} ≥ {}", tpp_text(tpp, p.a1_tpp_min), th(p.a1_tpp_min));
      if (c.a2.value_or(false)) c.rule += fmt::format(" (a.2 also met: {})", a2_met(tpp, pdv, p));
    } else {
      c.paragraph = Paragraph::kA2;
      c.rule = "3A090.a.2: " + a2_met(tpp, pdv, p) + pd_unverified;
    }
    c.rule += unverified;
  } else if (c.b1.value_or(false) || c.b2.value_or(false)) {
    c.eccn_class = EccnClass::k3A090b;
    // b.2 is reported first when both hold: it is the paragraph the PD test
    // alone decides (b.1 adds a TPP band), and the KELLY MI210 example cites it.
    if (c.b2.value_or(false)) {
      c.paragraph = Paragraph::kB2;
      c.rule = "3A090.b.2: " + b2_met(tpp, pdv, p);
      if (c.b1.value_or(false)) c.rule += fmt::format(" (b.1 also met: {})", b1_met(tpp, pdv, p));
    } else {
      c.paragraph = Paragraph::kB1;
      c.rule = "3A090.b.1: " + b1_met(tpp, pdv, p);
    }
    c.rule += unverified + pd_unverified;
  } else if (!c.a2 || !c.b1 || !c.b2) {
    explain_undetermined_pd(tpp, p, unverified, c);
  } else {
    c.eccn_class = EccnClass::kNot3A090;
    c.paragraph = Paragraph::kBelowThresholds;
    std::vector<std::string> why;
    why.push_back(fmt::format("a.1 TPP {} < {}", tpp_text(tpp, p.a1_tpp_min), th(p.a1_tpp_min)));
    why.push_back(why_a2_fails(tpp, pdv, p));
    why.push_back(why_b1_fails(tpp, pdv, p));
    why.push_back(why_b2_fails(tpp, pdv, p));
    c.rule = "not 3A090 (below all thresholds): " + join(why, "; ") + unverified + pd_unverified;
  }

  fill_datacenter_note(a, tpp, p, c);
}

Rule2022 classify_2022(const Accelerator& a, const std::optional<Tpp>& tpp,
                       const ExportRuleParams& p) {
  if (!tpp) return {Rule2022Result::kUndetermined, "TPP unknown (no dense peak rate)"};
  const std::string t = tpp_text(tpp->value, p.rule2022_tpp_min);
  if (tpp->value < p.rule2022_tpp_min) {
    return {Rule2022Result::kNotControlled,
            fmt::format("TPP {} < {} (87 FR 62186)", t, th(p.rule2022_tpp_min))};
  }
  if (!figure_usable(a.scaleup_bidir_gbps)) {
    return {Rule2022Result::kUndetermined,
            fmt::format("TPP {} ≥ {}, but the aggregate bidirectional I/O rate is unknown "
                        "(needs scaleup_bidir_gbps; the 2022 rule also required ≥ {} GB/s)",
                        t, th(p.rule2022_tpp_min), th(p.rule2022_io_gbps_min))};
  }
  const Figure& io = *a.scaleup_bidir_gbps;
  const std::string io_unverified =
      io.unverified() ? unverified_suffix("I/O rate", io.confidence) : std::string();
  const std::string iot = gbps_text(io.value, p.rule2022_io_gbps_min);
  if (io.value >= p.rule2022_io_gbps_min) {
    return {Rule2022Result::kControlled,
            fmt::format("TPP {} ≥ {} and I/O {} ≥ {} GB/s (87 FR 62186; scale-up link "
                        "bidirectional rate taken as the aggregate I/O){}",
                        t, th(p.rule2022_tpp_min), iot, th(p.rule2022_io_gbps_min), io_unverified)};
  }
  return {Rule2022Result::kNotControlled,
          fmt::format("TPP {} ≥ {} but I/O {} < {} GB/s (87 FR 62186; scale-up link "
                      "bidirectional rate taken as the aggregate I/O){}",
                      t, th(p.rule2022_tpp_min), iot, th(p.rule2022_io_gbps_min), io_unverified)};
}

// 91 FR 1684 parameters only; the rule's other conditions (US commercial
// availability, exporter certifications, US third-party testing) and the
// headquartered-in-D:5 exception are outside the catalog.
ChinaOverlayResult china_overlay(const Accelerator& a, const Classification& c,
                                 const ExportRuleParams& p) {
  const std::string domestic =
      c.domestic ? "; by parameters only: a CN-origin chip needs no US export licence for "
                   "domestic supply"
                 : "";
  if (c.eccn_class == EccnClass::kNot3A090) {
    return {ChinaOverlay::kNotApplicable,
            "not 3A090, so the 3A090 licence-review policy of 91 FR 1684 does not apply "
            "(end-use, entity or 'is-informed' licence requirements may still apply)" +
                domestic};
  }

  // The parameter test, reported even when the class is open.
  std::optional<ChinaOverlay> by_params;
  std::string why;
  const double tpp_max = p.china_case_by_case_tpp_max;
  const double bw_max = p.china_case_by_case_dram_gbps_max;
  if (!c.tpp) {
    why = "TPP unknown";
  } else {
    const double tpp = c.tpp->value;
    const std::string t = tpp_text(tpp, tpp_max);
    const bool tpp_ok = tpp < tpp_max;
    const std::string tpp_cmp = fmt::format("TPP {} {} {}", t, tpp_ok ? "<" : "≥", th(tpp_max));
    if (!figure_usable(a.memory_bw_gbps)) {
      if (!tpp_ok) {
        by_params = ChinaOverlay::kPresumptionOfDenial;
        why = tpp_cmp + " (DRAM bandwidth unknown, not needed)";
      } else {
        why = tpp_cmp +
              ", but the DRAM bandwidth is unknown (needs memory_bw_gbps; case-by-case "
              "requires < " +
              th(bw_max) + " GB/s)";
      }
    } else {
      const Figure& bw = *a.memory_bw_gbps;
      const bool bw_ok = bw.value < bw_max;
      why = fmt::format(
          "{} and DRAM bandwidth {} {} {} GB/s{}", tpp_cmp, gbps_text(bw.value, bw_max),
          bw_ok ? "<" : "≥", th(bw_max),
          bw.unverified() ? unverified_suffix("DRAM bandwidth", bw.confidence) : std::string());
      by_params = tpp_ok && bw_ok ? ChinaOverlay::kCaseByCase : ChinaOverlay::kPresumptionOfDenial;
    }
  }

  if (c.eccn_class == EccnClass::kUndetermined) {
    std::string text = "3A090 class undetermined";
    if (by_params) {
      text += fmt::format("; if 3A090: {} ({})", china_overlay_name(*by_params), why);
    } else {
      text += "; " + why;
    }
    return {ChinaOverlay::kUndetermined, text + domestic};
  }
  if (!by_params) return {ChinaOverlay::kUndetermined, why + domestic};
  if (*by_params == ChinaOverlay::kCaseByCase) {
    return {ChinaOverlay::kCaseByCase,
            why +
                " (91 FR 1684: case-by-case for China/Macau by parameters; also requires US "
                "availability, exporter certifications and US third-party testing; entities "
                "headquartered in D:5/Macau elsewhere stay at presumption of denial)" +
                domestic};
  }
  return {ChinaOverlay::kPresumptionOfDenial,
          why +
              fmt::format(" (91 FR 1684: case-by-case needs TPP < {} and DRAM bandwidth < {} "
                          "GB/s)",
                          th(tpp_max), th(bw_max)) +
              domestic};
}

}  // namespace

std::optional<Tpp> compute_tpp(const Accelerator& a) {
  // Order in which equal products are named: 16-bit first, TF32/FP32 last
  // (the bit length counted for TF32 is the debatable one).
  constexpr Precision kTieOrder[] = {Precision::kBf16, Precision::kFp16, Precision::kFp8,
                                     Precision::kInt8, Precision::kFp4,  Precision::kTf32,
                                     Precision::kFp32};
  static_assert(std::size(kTieOrder) == kAllPrecisions.size());
  std::optional<Tpp> best;
  for (Precision prec : kTieOrder) {
    const auto& f = a.rate(prec);
    if (!figure_usable(f)) continue;
    Tpp cand;
    cand.precision = prec;
    cand.bits = precision_bits(prec);
    cand.rate = f->value;
    cand.value = f->value * cand.bits;
    cand.confidence = f->confidence;
    if (!best) {
      best = cand;
      continue;
    }
    // Equal products (989.5 x 16 == 1979 x 8) are ties, up to rounding.
    const double tol = 1e-9 * std::max(best->value, cand.value);
    if (cand.value > best->value + tol ||
        (std::abs(cand.value - best->value) <= tol &&
         confidence_rank(cand.confidence) < confidence_rank(best->confidence))) {
      best = cand;
    }
  }
  return best;
}

std::string rules_summary(const ExportRuleParams& p) {
  return fmt::format(
      "3A090.a (88 FR 73458): a.1 TPP >= {}; a.2 TPP >= {} and PD >= {}.\n"
      "3A090.b: b.1 {} <= TPP < {} and {} <= PD < {}; b.2 TPP >= {} and {} <= PD < {}.\n"
      "Note 2: items not designed or marketed for datacenters with TPP < {} are not 3A090.\n"
      "Oct-2022 rule (87 FR 62186): TPP >= {} and bidirectional I/O >= {} GB/s.\n"
      "China/Macau review (91 FR 1684, Jan 2026): case-by-case if TPP < {} and DRAM bandwidth "
      "< {} GB/s, else presumption of denial.\n",
      th(p.a1_tpp_min), th(p.a2_tpp_min), th(p.a2_pd_min), th(p.b1_tpp_min), th(p.b1_tpp_max),
      th(p.b1_pd_min), th(p.b1_pd_max), th(p.b2_tpp_min), th(p.b2_pd_min), th(p.b2_pd_max),
      th(p.datacenter_note_tpp), th(p.rule2022_tpp_min), th(p.rule2022_io_gbps_min),
      th(p.china_case_by_case_tpp_max), th(p.china_case_by_case_dram_gbps_max));
}

namespace {

// The class on the catalog values alone.
Classification classify_values(const Accelerator& a, const ExportRuleParams& params) {
  Classification c;
  c.id = a.id;
  c.name = a.name;
  c.origin = a.origin;
  c.domestic = a.domestic();
  if (c.domestic) {
    c.origin_note =
        "CN-origin (domestic) chip: the US classification describes its parameters; US export "
        "licensing does not govern its supply inside China";
  }
  c.china_status = a.china_status;
  c.china_status_note = a.china_status_note;
  c.china_status_confirmed = a.china_status_confirmed;

  c.tpp = compute_tpp(a);
  if (c.tpp && figure_usable(a.die_area_mm2)) {
    PerformanceDensity pd;
    pd.die_area_mm2 = a.die_area_mm2->value;
    pd.die_area_confidence = a.die_area_mm2->confidence;
    pd.value = c.tpp->value / pd.die_area_mm2;
    pd.unverified = c.tpp->unverified() || a.die_area_mm2->unverified();
    c.performance_density = pd;
  }

  classify_3a090(a, params, c);
  c.rule_2022 = classify_2022(a, c.tpp, params);
  c.china_overlay = china_overlay(a, c, params);
  return c;
}

bool same_class(const Classification& x, const Classification& y) {
  return x.eccn_class == y.eccn_class && x.paragraph == y.paragraph;
}

// The chip with every rate and the die area moved to one end of its range:
// `high` takes rates at their highs and the die area at its low (the
// reading with the most TPP and PD). `changed` lists what moved.
Accelerator reading(const Accelerator& a, bool high, std::vector<std::string>& changed) {
  Accelerator r = a;
  for (auto p : kAllPrecisions) {
    auto& f = r.dense_tflops[static_cast<std::size_t>(p)];
    if (!f) continue;
    const auto end = high ? f->high : f->low;
    if (end && *end != f->value) {
      f->value = *end;
      changed.push_back(fmt::format("{} {:g} {}", precision_name(p), *end,
                                    p == Precision::kInt8 ? "TOPS" : "TFLOPS"));
    }
  }
  if (auto& d = r.die_area_mm2) {
    const auto end = high ? d->low : d->high;
    if (end && *end != d->value) {
      d->value = *end;
      changed.push_back(fmt::format("die area {:g} mm²", *end));
    }
  }
  return r;
}

// The chip with every rate scaled so that its TPP is `tpp`.
Accelerator at_tpp(const Accelerator& a, double from, double tpp) {
  Accelerator r = a;
  for (auto& f : r.dense_tflops) {
    if (f) f->value *= tpp / from;
  }
  return r;
}

void add_sensitivity(const Accelerator& a, const ExportRuleParams& p, Classification& c) {
  for (bool high : {false, true}) {
    std::vector<std::string> changed;
    const Accelerator r = reading(a, high, changed);
    if (changed.empty()) continue;
    const Classification rc = classify_values(r, p);
    if (same_class(rc, c)) continue;
    c.disputed.push_back(fmt::format("on the {} figures ({}): {}", high ? "high" : "low",
                                     join(changed, ", "), rc.rule));
  }
  if (!c.tpp) return;
  const double tpp = c.tpp->value;
  const std::string prec(precision_name(c.tpp->precision));
  // TPP thresholds, nearest first: the first above TPP (reached at t) and
  // the first at or below it (left just under t) that change the class.
  std::vector<double> thresholds = {p.a2_tpp_min, p.b1_tpp_min, p.b2_tpp_min,
                                    p.a1_tpp_min, p.b1_tpp_max, p.datacenter_note_tpp};
  std::sort(thresholds.begin(), thresholds.end());
  const auto try_tpp = [&](double target, bool rising) {
    // One TPP unit under a threshold: the class of a chip just below it.
    const double probe = rising ? target : target - 1.0;
    const Classification pc = classify_values(at_tpp(a, tpp, probe), p);
    if (same_class(pc, c)) return false;
    c.would_change.push_back(fmt::format(
        "TPP {} {} ({} {} {} {}, {:+.1f}%): {}", rising ? "≥" : "<", th(target), prec,
        rising ? "≥" : "<", format_grouped(target / c.tpp->bits, 1),
        c.tpp->precision == Precision::kInt8 ? "TOPS" : "TFLOPS",
        100.0 * (target / tpp - 1.0), pc.rule));
    return true;
  };
  for (double t : thresholds) {
    if (t > tpp && try_tpp(t, true)) break;
  }
  for (auto it = thresholds.rbegin(); it != thresholds.rend(); ++it) {
    if (*it <= tpp && try_tpp(*it, false)) break;
  }
  if (!c.performance_density) return;
  // Die-area thresholds: PD floors of a.2, b.2 and b.1.
  const double area = c.performance_density->die_area_mm2;
  std::optional<double> smaller, larger;  // the nearest areas where PD crosses a floor
  for (double pd : {p.a2_pd_min, p.b2_pd_min, p.b1_pd_min}) {
    const double at = tpp / pd;
    if (at < area && (!smaller || at > *smaller)) smaller = at;
    if (at >= area && (!larger || at < *larger)) larger = at;
  }
  const auto area_case = [&](double at, bool shrink) {
    Accelerator r = a;
    // At the threshold area (PD exactly on the floor) or 0.1 mm² above it.
    r.die_area_mm2->value = shrink ? at : at + 0.1;
    const Classification rc = classify_values(r, p);
    if (same_class(rc, c)) return;
    c.would_change.push_back(fmt::format("die area {} {} mm² ({:+.1f}%): {}",
                                         shrink ? "≤" : ">", format_grouped(at, 1),
                                         100.0 * (at / area - 1.0), rc.rule));
  };
  if (smaller) area_case(*smaller, true);
  if (larger) area_case(*larger, false);
}

}  // namespace

Classification classify(const Accelerator& a, const ExportRuleParams& params) {
  Classification c = classify_values(a, params);
  add_sensitivity(a, params, c);
  return c;
}

}  // namespace suanli

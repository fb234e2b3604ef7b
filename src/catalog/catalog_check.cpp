#include "catalog/catalog_check.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cmath>
#include <optional>

#include "util/strings.h"


namespace suanli {
namespace {

constexpr std::array<CatalogCheckInfo, 11> kChecks = {{
    {"tpp-outlier",
     "the rate that sets TPP stands > 25% above every other tensor rate's TPP (rate x bits): "
     "a sparse or mislabelled figure may be deciding the export class"},
    {"bf16-fp16", "BF16 and FP16 dense rates differ by > 10% (they share the tensor units on "
                  "every catalogued chip)"},
    {"memory-type", "the memory type is none the checks know (HBM2/2e/3/3e/4, GDDR6/6X/7, LPDDR5)"},
    {"bandwidth-for-memory",
     "memory bandwidth outside what the memory type can give (8 stacks or a 512-bit bus at the "
     "fastest pin speed shipped; HBM at least 200 GB/s)"},
    {"capacity-for-memory",
     "memory capacity above what the memory type can hold (8 stacks of the largest HBM die "
     "stack, or 32 GDDR chips in clamshell)"},
    {"peak-per-watt",
     "dense BF16/FP16 TFLOPS per TDP watt above 1.6x the best part of its release years, or "
     "below 0.05 (a unit slip)"},
    {"domain-node", "the scale-up domain and the devices per server do not nest (neither "
                    "divides the other)"},
    {"price-rental", "purchase price / hourly rental outside 4,000-60,000 hours (a price or a "
                     "rental off by a unit)"},
    {"unexplained-estimate", "an estimate or placeholder figure with no note saying how it "
                             "was derived"},
    {"status-date", "the China status has no confirmation date, or (for a foreign chip) it is "
                    "older than the limit: a licence or import status changes, a domestic "
                    "chip's origin does not"},
    {"check-note", "a check_notes entry names no check, or explains a warning that no longer "
                   "fires"},
}};

// What one memory technology can give a device: the fastest shipped pin
// speed on the widest interface, and the most capacity.
struct MemoryLimits {
  std::string_view type;
  double min_gbps;
  double max_gbps;
  double max_gb;
};

// Per HBM stack (1,024-bit; HBM4 2,048-bit): HBM2 2.4 Gb/s = 307 GB/s, 8 GB;
// HBM2e 3.6 Gb/s = 461 GB/s, 16 GB; HBM3 6.4 Gb/s = 819 GB/s, 24 GB; HBM3e
// 9.6 Gb/s = 1,229 GB/s, 36 GB; HBM4 10 Gb/s = 2,560 GB/s, 48 GB (JEDEC
// JESD235/238/270 and the vendors' fastest bins), times 8 stacks (B200,
// MI355X). GDDR on a 512-bit bus: GDDR6 24 Gb/s, GDDR6X 23, GDDR7 32, 2 GB
// (GDDR7 3 GB) chips x 32 in clamshell. LPDDR5X 8.5 Gb/s on 1,024 bits,
// 512 GB (Grace: 480 GB).
constexpr std::array<MemoryLimits, 10> kMemory = {{
    {"hbm2", 100, 2460, 64},
    {"hbm2e", 200, 3690, 128},
    {"hbm3", 400, 6560, 192},
    {"hbm3e", 600, 9830, 288},
    {"hbm4", 1000, 20480, 384},
    {"hbm", 100, 20480, 384},  // unnamed generation (vendor HBM such as HiBL)
    {"gddr6x", 100, 1472, 64},
    {"gddr6", 50, 1536, 64},
    {"gddr7", 100, 2048, 96},
    {"lpddr5", 20, 1090, 512},
}};

std::optional<MemoryLimits> memory_limits(std::string_view type) {
  const std::string t = to_lower(type);
  // The longest name the type starts with ("hbm3e" before "hbm3"); then a
  // vendor HBM named inside the text ("HiBL 1.0 (Huawei HBM)").
  std::optional<MemoryLimits> best;
  for (const auto& m : kMemory) {
    if (t.starts_with(m.type) && (!best || m.type.size() > best->type.size())) best = m;
  }
  if (!best && t.find("hbm") != std::string::npos) {
    best = *std::find_if(kMemory.begin(), kMemory.end(),
                         [](const MemoryLimits& m) { return m.type == "hbm"; });
  }
  return best;
}

// The best dense BF16/FP16 TFLOPS per TDP watt shipped by a release year,
// x1.6: <= 2019 Ascend 910 0.73; 2020-21 A100 0.78; 2022-23 MI300X 1.74;
// 2024-25 B200 2.25; 2026+ an allowance of 5.
double peak_per_watt_cap(int year) {
  if (year <= 2019) return 1.2;
  if (year <= 2021) return 1.3;
  if (year <= 2023) return 2.8;
  if (year <= 2025) return 3.6;
  return 5.0;
}

std::optional<int> leading_year(std::string_view text) {
  if (text.size() < 4) return std::nullopt;
  int y = 0;
  for (int i = 0; i < 4; ++i) {
    if (!std::isdigit(static_cast<unsigned char>(text[i]))) return std::nullopt;
    y = y * 10 + (text[i] - '0');
  }
  return y;
}

struct Checker {
  const Accelerator& a;
  std::vector<CatalogWarning>& out;

  void warn(std::string_view check, std::string where, std::string message) {
    out.push_back({std::string(check), a.id, where.empty() ? a.defined_at : std::move(where),
                   std::move(message), {}});
  }

  void rates() {
    constexpr Precision kTensor[] = {Precision::kBf16, Precision::kFp16, Precision::kFp8,
                                     Precision::kInt8, Precision::kFp4, Precision::kTf32};
    std::vector<std::pair<double, Precision>> tpp;
    for (auto p : kTensor) {
      if (const auto& f = a.rate(p)) tpp.emplace_back(f->value * precision_bits(p), p);
    }
    std::sort(tpp.begin(), tpp.end(), [](const auto& x, const auto& y) { return x.first > y.first; });
    if (tpp.size() >= 2 && tpp[0].first > 1.25 * tpp[1].first) {
      warn("tpp-outlier", a.rate(tpp[0].second)->origin,
           fmt::format("{} gives TPP {:.0f} but the next rate ({}) gives {:.0f}: is the {} figure "
                       "sparse?",
                       precision_name(tpp[0].second), tpp[0].first,
                       precision_name(tpp[1].second), tpp[1].first,
                       precision_name(tpp[0].second)));
    }
    const auto& bf = a.rate(Precision::kBf16);
    const auto& fp = a.rate(Precision::kFp16);
    if (bf && fp && std::abs(bf->value - fp->value) > 0.1 * std::max(bf->value, fp->value)) {
      warn("bf16-fp16", bf->origin,
           fmt::format("BF16 {:g} and FP16 {:g} TFLOPS differ by more than 10%", bf->value,
                       fp->value));
    }
  }

  void memory() {
    if (a.memory_type.empty()) return;
    const auto lim = memory_limits(a.memory_type);
    if (!lim) {
      warn("memory-type", "", fmt::format("memory type '{}' is not one the checks know",
                                          a.memory_type));
      return;
    }
    if (const auto& bw = a.memory_bw_gbps; bw && (bw->value < lim->min_gbps || bw->value > lim->max_gbps)) {
      warn("bandwidth-for-memory", bw->origin,
           fmt::format("{:g} GB/s is outside {:g}-{:g} GB/s, what {} can give one device",
                       bw->value, lim->min_gbps, lim->max_gbps, a.memory_type));
    }
    if (const auto& gb = a.memory_gb; gb && gb->value > lim->max_gb) {
      warn("capacity-for-memory", gb->origin,
           fmt::format("{:g} GB is above the {:g} GB that {} can hold on one device", gb->value,
                       lim->max_gb, a.memory_type));
    }
  }

  void power() {
    const auto& peak = a.rate(Precision::kBf16) ? a.rate(Precision::kBf16) : a.rate(Precision::kFp16);
    if (!peak || !a.tdp_w) return;
    const double per_w = peak->value / a.tdp_w->value;
    const auto year = leading_year(a.released);
    if (!year) return;
    const double cap = peak_per_watt_cap(*year);
    if (per_w > cap || per_w < 0.05) {
      warn("peak-per-watt", a.tdp_w->origin,
           fmt::format("{:g} TFLOPS at {:g} W is {:.2f} TFLOPS/W; plausible for a {} part: "
                       "0.05-{:g}",
                       peak->value, a.tdp_w->value, per_w, *year, cap));
    }
  }

  void structure() {
    if (a.scaleup_domain) {
      const auto domain = static_cast<long long>(std::llround(a.scaleup_domain->value));
      const long long node = a.node_devices;
      if (domain >= 1 && node >= 1 && domain % node != 0 && node % domain != 0) {
        warn("domain-node", a.scaleup_domain->origin,
             fmt::format("a scale-up domain of {} and {} devices per server do not nest", domain,
                         node));
      }
    }
    if (a.price_usd && a.rental_usd_per_hour) {
      const double hours = a.price_usd->value / a.rental_usd_per_hour->value;
      if (hours < 4000 || hours > 60000) {
        warn("price-rental", a.price_usd->origin,
             fmt::format("price ${:g} is {:.0f} hours of rental at ${:g}/h (expected 4,000-60,000)",
                         a.price_usd->value, hours, a.rental_usd_per_hour->value));
      }
    }
  }

  void estimates() {
    const auto check = [&](const std::optional<Figure>& f, std::string_view name) {
      if (f && f->unverified() && f->note.empty()) {
        warn("unexplained-estimate", f->origin,
             fmt::format("{} {:g} is {} with no note on how it was derived", name, f->value,
                         confidence_name(f->confidence)));
      }
    };
    for (auto p : kAllPrecisions) check(a.rate(p), precision_name(p));
    check(a.memory_gb, "memory_gb");
    check(a.memory_bw_gbps, "memory_bw_gbps");
    check(a.scaleup_bidir_gbps, "scaleup_bidir_gbps");
    check(a.scaleup_domain, "scaleup_domain");
    check(a.scaleout_gbps, "scaleout_gbps");
    check(a.die_link_gbps, "die_link_gbps");
    check(a.tdp_w, "tdp_w");
    check(a.die_area_mm2, "die_area_mm2");
    check(a.price_usd, "price_usd");
    check(a.rental_usd_per_hour, "rental_usd_per_hour");
  }

  void status(const CatalogCheckParams& params, int as_of) {
    if (a.china_status_confirmed.empty()) {
      warn("status-date", "",
           fmt::format("China status '{}' has no confirmation date", china_status_name(a.china_status)));
      return;
    }
    if (a.china_status == ChinaStatus::kDomestic) return;
    const auto when = year_month_index(a.china_status_confirmed);
    if (when && as_of - *when > params.stale_months) {
      warn("status-date", "",
           fmt::format("China status '{}' was last confirmed {} ({} months before {}; limit {})",
                       china_status_name(a.china_status), a.china_status_confirmed, as_of - *when,
                       params.as_of, params.stale_months));
    }
  }
};

// Attaches each entry's explanations and reports the ones that explain
// nothing.
void explain(const std::vector<Accelerator>& accelerators, std::vector<CatalogWarning>& out) {
  std::vector<CatalogWarning> stray;
  for (const auto& a : accelerators) {
    for (const auto& [check, why] : a.check_notes) {
      const bool known = std::any_of(kChecks.begin(), kChecks.end(),
                                     [&](const CatalogCheckInfo& c) { return c.id == check; });
      bool used = false;
      for (auto& w : out) {
        if (w.accelerator == a.id && w.check == check) {
          w.explanation = why;
          used = true;
        }
      }
      if (!used) {
        stray.push_back({"check-note", a.id, a.defined_at,
                         known ? fmt::format("check_notes.{} explains a warning that does not fire",
                                             check)
                               : fmt::format("check_notes.{} names no check", check),
                         {}});
      }
    }
  }
  out.insert(out.end(), stray.begin(), stray.end());
}

}  // namespace

std::span<const CatalogCheckInfo> catalog_checks() { return kChecks; }

std::optional<int> year_month_index(std::string_view t) {
  const auto digits = [&](std::size_t from, std::size_t n) {
    for (std::size_t i = from; i < from + n; ++i) {
      if (i >= t.size() || !std::isdigit(static_cast<unsigned char>(t[i]))) return false;
    }
    return true;
  };
  if (!(t.size() == 7 || t.size() == 10) || !digits(0, 4) || t[4] != '-' || !digits(5, 2)) {
    return std::nullopt;
  }
  const int month = (t[5] - '0') * 10 + (t[6] - '0');
  if (month < 1 || month > 12) return std::nullopt;
  if (t.size() == 10) {
    if (t[7] != '-' || !digits(8, 2)) return std::nullopt;
    const int day = (t[8] - '0') * 10 + (t[9] - '0');
    if (day < 1 || day > 31) return std::nullopt;
  }
  return *leading_year(t) * 12 + (month - 1);
}

Result<std::vector<CatalogWarning>> check_catalog(const std::vector<Accelerator>& accelerators,
                                                  const CatalogCheckParams& params) {
  const auto as_of = year_month_index(params.as_of);
  if (!as_of) {
    return fail(ErrorCode::kInvalidArgument,
                fmt::format("as-of date '{}': expected YYYY-MM or YYYY-MM-DD", params.as_of));
  }
  if (params.stale_months < 1 || params.stale_months > 1200) {
    return fail(ErrorCode::kInvalidArgument,
                fmt::format("stale months {}: expected 1-1200", params.stale_months));
  }
  std::vector<CatalogWarning> out;
  for (const auto& a : accelerators) {
    Checker c{a, out};
    c.rates();
    c.memory();
    c.power();
    c.structure();
    c.estimates();
    c.status(params, *as_of);
  }
  explain(accelerators, out);
  // Listed by check (the table's order), then by entry: stable for goldens.
  const auto rank = [](const std::string& id) {
    return std::find_if(kChecks.begin(), kChecks.end(),
                        [&](const CatalogCheckInfo& c) { return c.id == id; }) -
           kChecks.begin();
  };
  std::stable_sort(out.begin(), out.end(), [&](const auto& x, const auto& y) {
    return rank(x.check) < rank(y.check);
  });
  return out;
}

}  // namespace suanli

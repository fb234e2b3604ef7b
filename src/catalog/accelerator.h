// Accelerator specification as loaded from data/accelerators/*.toml.
#pragma once

#include <array>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "catalog/figure.h"

namespace suanli {

// Numeric formats with a dense peak rate on a datasheet.
enum class Precision { kFp32, kTf32, kBf16, kFp16, kFp8, kInt8, kFp4 };
inline constexpr std::array<Precision, 7> kAllPrecisions = {
    Precision::kFp32, Precision::kTf32, Precision::kBf16, Precision::kFp16,
    Precision::kFp8,  Precision::kInt8, Precision::kFp4};

std::string_view precision_name(Precision p);
std::optional<Precision> parse_precision(std::string_view text);
// Operand bit length as used by the ECCN 3A090 TPP formula. TF32 is counted
// as 32 (its register width; the conservative reading).
int precision_bits(Precision p);
// Bytes per stored element (FP4 = 0.5).
double precision_bytes(Precision p);

// China availability as the catalog records it (see docs/catalog-format.md).
enum class ChinaStatus {
  kDomestic,             // made in China; no foreign licence involved
  kAvailable,            // exportable to China without a licence
  kLicenceGranted,       // licence required, and licences have been granted
  kCaseByCase,           // licence reviewed case by case (e.g. 91 FR 1684)
  kPresumptionOfDenial,  // licence required, presumption of denial
  kImportBlocked,        // US side allows, China blocks imports
  kDiscouraged,          // allowed but discouraged by Chinese guidance
  kNotOffered,           // not sold in China for other reasons
};
std::string_view china_status_name(ChinaStatus s);
// "import-blocked (confirmed 2026-05)"; the status alone when undated.
std::string dated_china_status(std::string_view status, std::string_view confirmed);
std::optional<ChinaStatus> parse_china_status(std::string_view text);

struct Accelerator {
  std::string id;    // e.g. "h200-sxm"
  // The entry this one is a variant of ("ascend-910b" for "ascend-910b2"):
  // a variant starts as a copy of its base as loaded when the variant is
  // read, and its own keys replace the base's. Empty for a base entry.
  std::string base;
  std::string name;  // e.g. "NVIDIA H200 SXM"
  std::string vendor;
  std::string origin;    // ISO 3166 alpha-2 country of the designer, e.g. "US", "CN"
  std::string released;  // e.g. "2024", "2026Q1"
  bool datacenter = true;
  std::string efficiency_profile = "default";
  int node_devices = 8;  // devices in one server (the unit of purchase)
  std::string memory_type;
  std::string scaleup_link;
  // How the scale-up domain is wired: through switches (NVSwitch, UB
  // switches), where any group of chips gets each chip's full bandwidth, or
  // as a full mesh of point-to-point links (HCCS on an 8-NPU 910B server,
  // AMD Infinity Fabric, Gaudi RoCE), where a group of k of the domain's D
  // chips reaches its peers over only k-1 of the D-1 links.
  bool scaleup_full_mesh = false;
  // Compute dies in one package that software runs as separate devices
  // (ranks), each with its share of the compute, memory and links: the
  // Ascend 910C is two 910B-class dies. 1 for a monolithic chip.
  int dies = 1;
  std::string notes;

  // Dense peak rates in TFLOPS (floating point) or TOPS (INT8), indexed by
  // Precision; absent when the chip has no such rate.
  std::array<std::optional<Figure>, kAllPrecisions.size()> dense_tflops{};

  std::optional<Figure> memory_gb;
  std::optional<Figure> memory_bw_gbps;      // GB/s (1e9 bytes/s)
  std::optional<Figure> scaleup_bidir_gbps;  // per chip, both directions summed, GB/s
  std::optional<Figure> scaleup_domain;      // chips in one scale-up domain
  std::optional<Figure> scaleout_gbps;       // per chip, per direction, GB/s
  std::optional<Figure> die_link_gbps;       // between the dies of a package, per direction, GB/s
  std::optional<Figure> tdp_w;
  std::optional<Figure> die_area_mm2;         // applicable (non-planar logic) die area
  std::optional<Figure> price_usd;            // purchase price per device
  std::optional<Figure> rental_usd_per_hour;  // per device-hour

  ChinaStatus china_status = ChinaStatus::kNotOffered;
  std::string china_status_note;
  std::string china_status_source;
  // When a source last confirmed the status: "YYYY-MM" or "YYYY-MM-DD".
  // Empty when never recorded (`catalog check` warns).
  std::string china_status_confirmed;

  // Explanations for `suanli catalog check` warnings this entry is known to
  // raise, by check id ("rate-ratio", "bandwidth-for-memory", ...): an
  // explained warning is listed but does not fail the check.
  std::map<std::string, std::string> check_notes;

  std::string defined_at;  // "file:line"
  // "file:line" of each later entry with this id that overrode keys of it
  // (a user's --catalog directory, a `suanli calibrate` overlay), in order.
  std::vector<std::string> overridden_at;

  const std::optional<Figure>& rate(Precision p) const {
    return dense_tflops[static_cast<std::size_t>(p)];
  }
  bool supports(Precision p) const { return rate(p).has_value(); }
  bool domestic() const { return origin == "CN"; }
};

}  // namespace suanli

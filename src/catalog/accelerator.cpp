#include "catalog/accelerator.h"

#include <string>

namespace suanli {

std::string_view precision_name(Precision p) {
  switch (p) {
    case Precision::kFp32:
      return "fp32";
    case Precision::kTf32:
      return "tf32";
    case Precision::kBf16:
      return "bf16";
    case Precision::kFp16:
      return "fp16";
    case Precision::kFp8:
      return "fp8";
    case Precision::kInt8:
      return "int8";
    case Precision::kFp4:
      return "fp4";
  }
  return "?";
}

std::optional<Precision> parse_precision(std::string_view text) {
  for (auto p : kAllPrecisions) {
    if (precision_name(p) == text) return p;
  }
  return std::nullopt;
}

int precision_bits(Precision p) {
  switch (p) {
    case Precision::kFp32:
    case Precision::kTf32:
      return 32;
    case Precision::kBf16:
    case Precision::kFp16:
      return 16;
    case Precision::kFp8:
    case Precision::kInt8:
      return 8;
    case Precision::kFp4:
      return 4;
  }
  return 16;
}

double precision_bytes(Precision p) { return precision_bits(p) / 8.0; }

namespace {
struct StatusName {
  ChinaStatus status;
  std::string_view name;
};
constexpr StatusName kStatusNames[] = {
    {ChinaStatus::kDomestic, "domestic"},
    {ChinaStatus::kAvailable, "available"},
    {ChinaStatus::kLicenceGranted, "licence-granted"},
    {ChinaStatus::kCaseByCase, "case-by-case"},
    {ChinaStatus::kPresumptionOfDenial, "presumption-of-denial"},
    {ChinaStatus::kImportBlocked, "import-blocked"},
    {ChinaStatus::kDiscouraged, "discouraged"},
    {ChinaStatus::kNotOffered, "not-offered"},
};
}  // namespace

std::string_view china_status_name(ChinaStatus s) {
  for (const auto& n : kStatusNames) {
    if (n.status == s) return n.name;
  }
  return "not-offered";
}

std::optional<ChinaStatus> parse_china_status(std::string_view text) {
  for (const auto& n : kStatusNames) {
    if (n.name == text) return n.status;
  }
  return std::nullopt;
}

std::string dated_china_status(std::string_view status, std::string_view confirmed) {
  std::string out(status);
  if (!confirmed.empty()) out += " (confirmed " + std::string(confirmed) + ")";
  return out;
}

}  // namespace suanli

#include "catalog/figure.h"

namespace suanli {

std::string_view confidence_name(Confidence c) {
  switch (c) {
    case Confidence::kVerified:
      return "verified";
    case Confidence::kSecondary:
      return "secondary";
    case Confidence::kEstimate:
      return "estimate";
    case Confidence::kPlaceholder:
      return "placeholder";
  }
  return "placeholder";
}

std::optional<Confidence> parse_confidence(std::string_view text) {
  if (text == "verified") return Confidence::kVerified;
  if (text == "secondary") return Confidence::kSecondary;
  if (text == "estimate") return Confidence::kEstimate;
  if (text == "placeholder") return Confidence::kPlaceholder;
  return std::nullopt;
}

}  // namespace suanli

#include "vocab/sensitivity.h"

#include "util/enum_names.h"

namespace suanli {

namespace {

constexpr EnumNames<Sensitivity, 4> kSensitivities{{
    {Sensitivity::kPublic, "public"},
    {Sensitivity::kInternal, "internal"},
    {Sensitivity::kConfidential, "confidential"},
    {Sensitivity::kSecret, "secret"},
}};

}  // namespace

std::string_view sensitivity_name(Sensitivity s) { return enum_name(kSensitivities, s); }

std::optional<Sensitivity> parse_sensitivity(std::string_view text) {
  return enum_value(kSensitivities, text);
}

}  // namespace suanli

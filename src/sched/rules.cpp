#include "sched/rules.h"

#include "util/enum_names.h"

namespace suanli {

namespace {
constexpr EnumNames<RuleKind, 5> kRuleKinds{{
    {RuleKind::kSensitivityOrigin, "sensitivity-origin"},
    {RuleKind::kDomesticShare, "domestic-share"},
    {RuleKind::kApprovedCustomers, "approved-customers"},
    {RuleKind::kNoNewPlacements, "no-new-placements"},
    {RuleKind::kDrain, "drain"},
}};
}  // namespace

std::string_view rule_kind_name(RuleKind kind) { return enum_name(kRuleKinds, kind); }
std::optional<RuleKind> parse_rule_kind(std::string_view text) {
  return enum_value(kRuleKinds, text);
}

}  // namespace suanli

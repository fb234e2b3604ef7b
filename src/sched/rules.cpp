#include "sched/rules.h"

#include <array>
#include <utility>

namespace suanli {

namespace {
constexpr std::array<std::pair<RuleKind, std::string_view>, 5> kRuleKinds{{
    {RuleKind::kSensitivityOrigin, "sensitivity-origin"},
    {RuleKind::kDomesticShare, "domestic-share"},
    {RuleKind::kApprovedCustomers, "approved-customers"},
    {RuleKind::kNoNewPlacements, "no-new-placements"},
    {RuleKind::kDrain, "drain"},
}};
}  // namespace

std::string_view rule_kind_name(RuleKind kind) {
  for (const auto& [k, name] : kRuleKinds)
    if (k == kind) return name;
  return "?";
}

std::optional<RuleKind> parse_rule_kind(std::string_view text) {
  for (const auto& [k, name] : kRuleKinds)
    if (name == text) return k;
  return std::nullopt;
}

}  // namespace suanli

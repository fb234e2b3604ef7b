// Policy rules as data. Each has an ID that decisions cite. Kinds:
// - sensitivity-origin: jobs at or above a sensitivity run only on devices
//   of the listed origins ("confidential and above: CN");
// - domestic-share: a placement on a foreign device is refused if it would
//   leave the domestic share of allocated compute below min_share;
// - approved-customers: a type only for listed tenants;
// - no-new-placements: no new placements on a type from a time on;
// - drain: no new placements from `from`, and every job on the type gone
//   within `within` seconds (jobs that would not finish in time are
//   checkpointed and moved at once; stragglers are evicted at the deadline).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sched/fleet.h"
#include "sched/job.h"
#include "vocab/share_measure.h"

namespace suanli {

enum class RuleKind {
  kSensitivityOrigin,
  kDomesticShare,
  kApprovedCustomers,
  kNoNewPlacements,
  kDrain
};
std::string_view rule_kind_name(RuleKind kind);
std::optional<RuleKind> parse_rule_kind(std::string_view text);

struct Rule {
  std::string id;
  RuleKind kind = RuleKind::kSensitivityOrigin;
  // sensitivity-origin
  Sensitivity min_sensitivity = Sensitivity::kConfidential;
  std::vector<std::string> origins;
  // domestic-share
  double min_share = 0;
  ShareMeasure measure = ShareMeasure::kCompute;
  // approved-customers, no-new-placements, drain
  std::optional<TypeId> type;
  std::vector<TenantId> tenants;
  // no-new-placements, drain
  SimTime from = 0;
  double within_s = 0;
  std::string defined_at;  // "file:line"
};

// Reason IDs for refusals no data rule decided (cited like rule IDs).
inline constexpr std::string_view kCapacityReason = "capacity";
inline constexpr std::string_view kWorkloadReason = "workload";  // cannot run on the type
inline constexpr std::string_view kDomainReason = "scale-up-domain";
inline constexpr std::string_view kWaitReason = "waiting-for-faster-type";

}  // namespace suanli

#include "sched/explain.h"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

namespace suanli {

namespace {

// Slack on the domestic-share minimum (a placement exactly at it passes).
constexpr double kShareEpsilon = 1e-9;

}  // namespace

// Allocation-free: the pass asks it for every queued job and type.
std::optional<int> Explainer::refusal(const JobSpec& s, TypeId t, SimTime now) const {
  const AcceleratorType& type = fleet_.type(t);
  if (!std::isfinite(s.duration_s[t.index()])) return kRefusalWorkload;
  const int nd = fleet_.devices_per_node(t);
  if (nd == 0 || accounting_.devices_total(t) == 0) return kRefusalNoNodes;
  if (s.tp > nd && (s.tp % nd != 0 || s.tp > fleet_.domain_devices(t))) return kRefusalDomain;
  for (std::size_t i = 0; i < rules_.size(); ++i) {
    const Rule& r = rules_[i];
    const int code = static_cast<int>(i);
    switch (r.kind) {
      case RuleKind::kSensitivityOrigin:
        if (s.sensitivity >= r.min_sensitivity &&
            std::find(r.origins.begin(), r.origins.end(), type.origin) == r.origins.end())
          return code;
        break;
      case RuleKind::kApprovedCustomers:
        if (r.type == t &&
            std::find(r.tenants.begin(), r.tenants.end(), s.tenant) == r.tenants.end())
          return code;
        break;
      case RuleKind::kNoNewPlacements:
      case RuleKind::kDrain:
        if (r.type == t && now >= r.from) return code;
        break;
      case RuleKind::kDomesticShare:
        if (!type.domestic) {
          const double total = accounting_.compute_total() + accounting_.job_compute(fleet_, s, t);
          if (total > 0 && accounting_.compute_domestic() / total < r.min_share - kShareEpsilon)
            return code;
        }
        break;
    }
  }
  return std::nullopt;
}

TypeRefusal Explainer::describe(const JobSpec& s, TypeId t, int code,
                                std::string_view wait_detail) const {
  switch (code) {
    case kRefusalWorkload: {
      std::string why =
          t.index() < s.cannot_run_reason.size() ? s.cannot_run_reason[t.index()] : "";
      return {t, std::string(kWorkloadReason), why.empty() ? "cannot run there" : why};
    }
    case kRefusalNoNodes:
      return {t, std::string(kCapacityReason), "no nodes of this type"};
    case kRefusalDomain:
      return {t, std::string(kDomainReason),
              fmt::format("TP group of {} does not fit a {}-device scale-up domain of "
                          "{}-device nodes",
                          s.tp, fleet_.domain_devices(t), fleet_.devices_per_node(t))};
    case kRefusalCapacity:
      return {t, std::string(kCapacityReason),
              fmt::format("needs {} device(s) in groups of {}; {:.2f} free", s.devices, s.tp,
                          accounting_.devices_up(t) -
                              static_cast<double>(accounting_.alloc_milli(t)) / kGpuMilli)};
    case kRefusalWait:
      return {t, std::string(kWaitReason), std::string(wait_detail)};
    default:
      break;
  }
  return describe_rule(s, t, rules_[static_cast<std::size_t>(code)]);
}

TypeRefusal Explainer::describe_rule(const JobSpec& s, TypeId t, const Rule& r) const {
  const AcceleratorType& type = fleet_.type(t);
  switch (r.kind) {
    case RuleKind::kSensitivityOrigin:
      return {t, r.id,
              fmt::format("{} data may not run on {}-origin devices",
                          sensitivity_name(s.sensitivity), type.origin)};
    case RuleKind::kApprovedCustomers:
      return {t, r.id,
              fmt::format("tenant {} is not an approved customer of {}",
                          tenants_[s.tenant.index()].name, type.id)};
    case RuleKind::kNoNewPlacements:
    case RuleKind::kDrain:
      return {t, r.id, fmt::format("no new placements on {} since t={:.0f} s", type.id, r.from)};
    case RuleKind::kDomesticShare: {
      const double total = accounting_.compute_total() + accounting_.job_compute(fleet_, s, t);
      return {t, r.id,
              fmt::format("domestic share would fall to {:.1f}% (minimum {:.1f}%)",
                          100 * accounting_.compute_domestic() / total, 100 * r.min_share)};
    }
  }
  return {t, r.id, ""};
}

std::vector<std::string> Explainer::checked_rules(const JobSpec& s, TypeId t, SimTime now) const {
  std::vector<std::string> out;
  for (const Rule& r : rules_) {
    switch (r.kind) {
      case RuleKind::kSensitivityOrigin:
        if (s.sensitivity >= r.min_sensitivity) out.push_back(r.id);
        break;
      case RuleKind::kApprovedCustomers:
        if (r.type == t) out.push_back(r.id);
        break;
      case RuleKind::kNoNewPlacements:
      case RuleKind::kDrain:
        if (r.type == t && now < r.from) out.push_back(r.id);
        break;
      case RuleKind::kDomesticShare:
        if (!fleet_.type(t).domestic) out.push_back(r.id);
        break;
    }
  }
  return out;
}

QueueExplanation Explainer::queue(const JobSpec& s, const RefusalCodes& codes,
                                  std::string_view wait_detail) const {
  QueueExplanation out;
  for (const auto& [type, code] : codes) {
    out.refusals.push_back(describe(s, TypeId{type}, code, wait_detail));
    const TypeRefusal& r = out.refusals.back();
    if (!out.summary.empty()) out.summary += "; ";
    out.summary += fmt::format("{}: {} ({})", fleet_.type(r.type).id, r.rule, r.detail);
  }
  if (out.refusals.empty()) out.summary = "no accelerator type in the fleet";
  out.rule = out.refusals.empty() ? std::string(kWorkloadReason) : out.refusals.front().rule;
  int best = 3;
  for (std::size_t i = 0; i < codes.size(); ++i) {
    const int code = codes[i].second;
    const int rank = code >= 0 ? 0 : (code == kRefusalCapacity || code == kRefusalWait) ? 1 : 2;
    if (rank < best) {
      best = rank;
      out.rule = out.refusals[i].rule;
    }
  }
  return out;
}

}  // namespace suanli

// The scheduling core's explanations (scheduler.cpp's pass asks): why a
// job may not go on a device type now, the rules a placement passed, and
// the words of a queue decision. A refusal is a code: the index (>= 0) of
// the data rule that forbids it in the scheduler's rules, or one of the
// reasons below that no data rule decided. The pass keeps codes only
// (refusal() is on its hot path and allocates nothing) and has the
// sentences built when it logs a decision. An Explainer borrows the
// scheduler's fleet, tenants, rules and accounting for the calls at hand
// (it is built per use, never stored) and changes nothing.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "sched/accounting.h"
#include "sched/fleet.h"
#include "sched/job.h"
#include "sched/rules.h"
#include "sched/scheduler.h"

namespace suanli {

// Refusal codes no data rule decided (their reason IDs are in rules.h).
inline constexpr int kRefusalWorkload = -1;             // the job cannot run on the type
inline constexpr int kRefusalNoNodes = -2;              // the fleet has no nodes of the type
inline constexpr int kRefusalDomain = -3;               // a TP group does not fit a scale-up domain
inline constexpr int kRefusalCapacity = -4;             // allowed, but not enough free devices now
inline constexpr int kRefusalWait = -5;                 // waits for a busy faster type (hetero)
using RefusalCodes = std::vector<std::pair<int, int>>;  // (type, code) per refused type

// A queue decision in words: one refusal per code, in order; the summary
// ("type: rule (detail); …"); and the most telling rule: a data rule, else
// capacity or waiting, else the first refusal's.
struct QueueExplanation {
  std::vector<TypeRefusal> refusals;
  std::string summary;
  std::string rule;
};

class Explainer {
 public:
  Explainer(const Fleet& fleet, const std::vector<Tenant>& tenants, const std::vector<Rule>& rules,
            const FleetAccounting& accounting)
      : fleet_(fleet), tenants_(tenants), rules_(rules), accounting_(accounting) {}

  // The code of what forbids job `s` on type t at `now`, capacity aside;
  // nullopt when nothing does.
  std::optional<int> refusal(const JobSpec& s, TypeId t, SimTime now) const;
  // The rule or reason ID and a sentence for a code; `wait_detail` is the
  // sentence of kRefusalWait.
  TypeRefusal describe(const JobSpec& s, TypeId t, int code, std::string_view wait_detail) const;
  // The rules that applied to `s` on type t at `now` (a placement passed them).
  std::vector<std::string> checked_rules(const JobSpec& s, TypeId t, SimTime now) const;
  // The words of a queue decision for the codes of the types that refused.
  QueueExplanation queue(const JobSpec& s, const RefusalCodes& codes,
                         std::string_view wait_detail) const;

 private:
  TypeRefusal describe_rule(const JobSpec& s, TypeId t, const Rule& r) const;

  const Fleet& fleet_;
  const std::vector<Tenant>& tenants_;
  const std::vector<Rule>& rules_;
  const FleetAccounting& accounting_;
};

}  // namespace suanli

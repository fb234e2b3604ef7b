// Names of the scheduling core's enums, as scenario files and the CLI spell them
// (placement policies: sched/placement/table.cpp).
#include <array>
#include <utility>

#include <fmt/format.h>

#include "sched/scheduler.h"
#include "util/enum_names.h"

namespace suanli {

namespace {

constexpr EnumNames<QueuePolicy, 4> kQueues{{
    {QueuePolicy::kFifo, "fifo"},
    {QueuePolicy::kPriority, "priority"},
    {QueuePolicy::kShortestFirst, "sjf"},
    {QueuePolicy::kFairShare, "fair-share"},
}};

constexpr EnumNames<DecisionKind, 9> kDecisions{{
    {DecisionKind::kSubmit, "submit"},
    {DecisionKind::kPlace, "place"},
    {DecisionKind::kQueue, "queue"},
    {DecisionKind::kPreempt, "preempt"},
    {DecisionKind::kEvict, "evict"},
    {DecisionKind::kKill, "kill"},
    {DecisionKind::kComplete, "complete"},
    {DecisionKind::kFail, "fail"},
    {DecisionKind::kRule, "rule"},
}};

}  // namespace

std::string_view queue_policy_name(QueuePolicy p) { return enum_name(kQueues, p); }
Result<QueuePolicy> parse_queue_policy(std::string_view text) {
  return parse_enum(kQueues, text, "queue policy");
}
std::string_view decision_kind_name(DecisionKind kind) { return enum_name(kDecisions, kind); }

}  // namespace suanli

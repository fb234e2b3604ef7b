// The JSON shape of scheduler decisions in the simulation event log
// (docs/event-log.md), shared by the simulator and the live fleet's audit
// log so both speak the same language. IDs are indices (job, type, node),
// as in the log.
#pragma once

#include <nlohmann/json.hpp>

#include "sched/scheduler.h"

namespace suanli {

// TP groups of an allocation: [[[node, device, milli], …], …].
nlohmann::ordered_json allocation_groups_json(const Allocation& allocation);

// One decision line (without a trailing newline). `scheduler` supplies the
// job's spec for `submit` lines.
nlohmann::ordered_json decision_json(const Decision& d, const Scheduler& scheduler);

}  // namespace suanli

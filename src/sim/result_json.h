// The JSON of a simulation's result and of an event-log audit: what
// `suanli simulate --json` prints and what the service stores as a
// simulate run's summary (without the wall time, which would make equal
// runs differ). Keys keep their order.
#pragma once

#include <nlohmann/json.hpp>

#include "sim/audit.h"
#include "sim/simulation.h"

namespace suanli {

struct SimulationJsonOptions {
  bool timeline = false;  // every sample under "timeline"
  bool wall_time = true;  // "wall_time_s" (not deterministic)
};

nlohmann::ordered_json simulation_result_json(const SimulationResult& result,
                                              const AuditReport& audit,
                                              const SimulationJsonOptions& options = {});
// violations, by_check, the first 20 violations, lines, min_domestic_share,
// drain_lateness_s.
nlohmann::ordered_json audit_report_json(const AuditReport& audit);

}  // namespace suanli

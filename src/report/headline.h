// The report's first screen: one sentence per question a buyer asks (what
// is a domestic chip worth against the foreign one here; what to buy),
// each with its range and the command that reproduces the figure. The
// worth figure comes from compare_train with the same request the CLI
// builds from that command (perf/workload_request.h), so the report, the
// CLI and the dashboard's compare (the same API) print the same number.
#pragma once

#include <nlohmann/json.hpp>

#include "catalog/catalog.h"
#include "plan/plan_scenario.h"
#include "plan/planner.h"
#include "perf/workload_request.h"
#include "util/messages.h"

namespace suanli {

// The request the worth sentence compares with: the scenario's first
// training item on `devices` of each chip, priced on the scenario's cost
// basis (levies, PUE, tariff, load factor, node overhead).
TrainRequest headline_train_request(const PlanScenario& sc);

// {"worth": {"sentence", "command", "baseline", "other", "devices",
// "relative_speed", "relative_cost_performance", "range"}, "buy": {...}};
// "worth" is null when the scenario has no training item or lacks a
// foreign or a domestic candidate. The sentences are in the words of
// `messages` (English by default); the figures are the same.
nlohmann::json headline_json(const PlanScenario& sc, const PlanResult& plan,
                             const Catalog& catalog, const Messages& messages = {});

}  // namespace suanli

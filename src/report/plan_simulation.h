// Simulation of the fleet a procurement plan buys, for the report: the
// plan's fleet in one year (existing nodes, purchases delivered by then and
// that year's rentals) and the demand active that year, written as a
// simulation scenario (docs/scenario-format.md) and run with the simulator
// and the independent audit. The scenario is produced as TOML text and read
// back with parse_scenario, so every check of the scenario loader applies
// and the mapping can be printed and re-run with `suanli simulate`.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "catalog/catalog.h"
#include "plan/plan_scenario.h"
#include "plan/planner.h"
#include "sim/scenario.h"
#include "util/error.h"
#include "util/messages.h"

namespace suanli {

struct PlanSimulationOptions {
  int year = 1;             // plan year (1-based) whose fleet and demand are simulated
  std::uint64_t seed = 42;  // the simulation's seed
  double days = 30;         // simulated horizon
  // Caps the simulation's [limits] (the service's SimLimits); unset: the
  // scenario's defaults.
  std::optional<SimLimits> limits = std::nullopt;
  // The words of the reconciliation's reasons (null: English).
  const Messages* messages = nullptr;
};

// The simulation scenario (TOML text in docs/scenario-format.md's format)
// for the fleet owned in `options.year` and the demand active that year,
// turned into jobs. Errors: a year outside the plan, days <= 0, an
// infeasible plan, inconsistent scenario vectors, an empty fleet.
Result<std::string> planned_fleet_scenario_toml(const PlanScenario& scenario,
                                                const PlanResult& plan,
                                                const PlanSimulationOptions& options);

// Parses that text with parse_scenario, runs the Simulation (deterministic
// for a seed), audits its event log and returns the report's "simulation"
// section:
//   {"year", "seed", "days", "jobs", "finished", "unfinished",
//    "audit_violations", "utilisation_by_accelerator": {id: fraction},
//    "timeline": [{"t_h", "domestic_share", "utilisation": {id: fraction}}],
//    "jct_hours": [per finished job, in completion order], "queue_hours_p95",
//    "summary": {"mean_jct_h", "p50_jct_h", "p95_jct_h", "domestic_share_min",
//                "domestic_share_mean", "lost_device_hours"},
//    "reconciliation": {"year", "domestic_share": {"planned", "simulated_mean",
//        "simulated_min", "reason"}, "types": [{"accelerator", "devices",
//        "planned_busy_devices", "planned_utilisation", "simulated_utilisation",
//        "jobs", "finished", "mean_queue_hours", "reason"}]}}
// `unfinished` = jobs - finished (queued or running at the horizon, or
// failed); `domestic_share` of a timeline point is null while nothing runs.
Result<nlohmann::json> simulate_plan(const PlanScenario& scenario, const PlanResult& plan,
                                     const Catalog& catalog, const PlanSimulationOptions& options);

}  // namespace suanli

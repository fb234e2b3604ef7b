// One point of a simulation sweep (`suanli sweep` over a simulator
// scenario): the scenario with its overrides, simulated and audited the way
// `suanli simulate` does, reduced to its headline metrics as JSON — the
// only form a point's result takes, locally and on Slurm alike, so both
// give the same numbers. And the table and CSV of such points.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "catalog/catalog.h"
#include "sim/audit.h"
#include "sim/simulation.h"
#include "util/error.h"
#include "util/toml_override.h"

namespace suanli {

// The headline metrics of a run, deterministic (no wall time): seed, queue,
// placement, jobs_submitted/completed/failed/unfinished, jct_s and queue_s
// {mean,p50,p95,p99}, utilization {accelerator: fraction},
// utilization_overall (allocated / up device-hours over all types),
// domestic_share {min,mean}, policy_violations (the independent audit),
// lost_device_hours, preemptions, evictions, restarts, node_failures,
// failure_reasons, makespan_s, cost_usd, sim_events, end_reason. The same
// names as `suanli simulate --json`.
nlohmann::ordered_json simulation_point_metrics(const SimulationResult& result,
                                                const AuditReport& audit);

// Loads the scenario text with `overrides`, simulates and audits it; the
// metrics above. A scenario that does not load or run is an error.
Result<nlohmann::ordered_json> simulate_sweep_point(std::string_view scenario_text,
                                                    const std::filesystem::path& file,
                                                    const Catalog& catalog,
                                                    const std::vector<TomlOverride>& overrides);

// A table (one row per point: the keys' values, status, jobs, JCT, queueing,
// utilisation, domestic share, cost, violations) and a CSV with every
// metric at full precision. `points` are sweep points: {"values": {key:
// value}, "status": "ok" | "error", "error"?, metrics...}.
std::string simulation_sweep_text(const std::vector<std::string>& keys,
                                  const std::vector<nlohmann::ordered_json>& points);
std::string simulation_sweep_csv(const std::vector<std::string>& keys,
                                 const std::vector<nlohmann::ordered_json>& points);

}  // namespace suanli

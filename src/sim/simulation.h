// The discrete-event simulator around the scheduling core. One Simulation
// owns its clock, its random number generator and its scheduler, so many
// can run in one process; same scenario + seed gives byte-identical
// results and event log. Events: arrivals (generators, explicit jobs,
// openb trace pods), completions, node failures (per-type MTBF/MTTR,
// exponential) and repairs, deliveries, node events, and the times at
// which policy rules take effect.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "catalog/catalog.h"
#include "sched/scheduler.h"
#include "sim/scenario.h"

namespace suanli {

struct Percentiles {
  double mean = 0, p50 = 0, p95 = 0, p99 = 0;
};

struct TypeUtilization {
  std::string accelerator;
  bool domestic = false;
  double utilization = 0;   // allocated device-seconds / up device-seconds
  double device_hours = 0;  // allocated
  double up_device_hours = 0;
  // Why a type sat idle: placements on it, jobs placed on another type
  // although this one had room (the policy preferred the other: earlier
  // completion, packing), and queue refusals on it by rule or reason ID.
  int placements = 0;
  int passed_over = 0;
  std::map<std::string, int> refusals;
};

// One point of the time series (every sample_interval_s).
struct Sample {
  SimTime t = 0;
  std::vector<double> allocated;  // per type, devices
  std::vector<int> up;            // per type, devices
  std::optional<double> domestic_share;
  int queued = 0;
  int running = 0;
};

struct SimulationResult {
  std::string scenario;
  std::uint64_t seed = 0;
  std::string queue_policy;
  std::string placement_policy;
  int jobs_submitted = 0;
  int jobs_completed = 0;
  int jobs_failed = 0;
  int jobs_unfinished = 0;  // queued or running at the horizon
  Percentiles jct_s;        // completed jobs: end - submit
  Percentiles queue_s;      // started jobs: first start - submit
  std::vector<TypeUtilization> utilization;
  double domestic_share_min = 0;   // over time while anything is allocated
  double domestic_share_mean = 0;  // time-weighted, same periods
  double lost_device_hours = 0;
  int preemptions = 0;
  int evictions = 0;
  int restarts = 0;  // node-failure kills
  int node_failures = 0;
  double makespan_s = 0;
  double cost_usd = 0;
  long long sim_events = 0;
  int estimator_searches = 0;
  double wall_time_s = 0;
  std::string end_reason;                      // "drained" or "horizon"
  std::map<std::string, int> failure_reasons;  // by rule/reason ID
  std::vector<Sample> samples;
};

// One sentence per accelerator type busy less than `below` of its up time,
// saying why from the run's own decisions: what it was passed over for
// (with the placement policy's reason) and which rules and reasons refused
// it. Empty when every type was busier.
std::vector<std::string> idle_type_notes(const SimulationResult& r, double below = 0.10);

struct RunOptions {
  std::optional<std::uint64_t> seed;       // overrides the scenario's
  std::optional<PlacementKind> placement;  // overrides the scenario's
  std::optional<QueuePolicy> queue;        // overrides the scenario's
  std::ostream* events = nullptr;          // JSONL event log (docs/event-log.md)
  // Called now and then with (simulated time, jobs ended, jobs submitted):
  // after every `progress_interval_events` events.
  std::function<void(SimTime, int, int)> progress;
  long long progress_interval_events = 100000;
  // Asked every few thousand events; when it returns true, run() stops and
  // returns ErrorCode::kCancelled (the service's run cancellation).
  std::function<bool()> cancelled;
};

class Simulation {
 public:
  static Result<Simulation> create(const Scenario& scenario, const Catalog& catalog,
                                   RunOptions options = {});
  Simulation(Simulation&&) noexcept;
  Simulation& operator=(Simulation&&) noexcept;
  ~Simulation();

  Result<SimulationResult> run();

 private:
  struct Impl;
  explicit Simulation(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace suanli

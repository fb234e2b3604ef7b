// A simulation scenario, as read from TOML (docs/scenario-format.md): the
// fleet (sites, accelerator types from the catalog, node pools), tenants,
// policy rules, scheduler choice, workloads (generators, explicit jobs,
// openb trace imports), deliveries and node events, seed and horizon.
// Everything is resolved against the catalog at load time, so a scenario
// that loads can be simulated; errors name file:line and the key.
#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "catalog/catalog.h"
#include "perf/workload_request.h"
#include "sched/fleet.h"
#include "sched/job.h"
#include "sched/rules.h"
#include "sched/scheduler.h"
#include "util/error.h"
#include "util/toml_override.h"

namespace suanli {

// A range sampled uniformly (log-uniformly when `log`); min == max: fixed.
struct SampleRange {
  double min = 0;
  double max = 0;
  bool log = false;
};

// How a job's work is given. Exactly one of:
// - model + tokens: the estimator gives tokens/s on each type for the
//   job's device count (training, fine-tune: training throughput;
//   inference: output tokens/s at input_len/output_len);
// - reference_hours on a reference accelerator: scaled to other types by
//   the estimator's throughput for `model` when given, else by effective
//   dense BF16 compute (peak x the chip's GEMM efficiency).
struct WorkSpec {
  std::string model;                  // catalog model ID ("" when not given)
  std::optional<SampleRange> tokens;  // training/fine-tune tokens, or output tokens served
  std::optional<SampleRange> reference_hours;
  std::string reference;  // catalog accelerator ID of the reference device
  // Inference work: the serving run as `estimate infer` reads it (the same
  // keys in the job table: input_len, output_len, precision, kv_precision,
  // batch or SLOs, speculation), each chip at its best precision unless the
  // job names one, 2,048 tokens in and 512 out unless it says.
  InferRequest serving = [] {
    InferRequest r;
    r.precision = "auto";
    r.input_len = 2048;
    r.output_len = 512;
    return r;
  }();
  // Training, fine-tune and batch work with a model: the run as `estimate
  // train` reads it (perf/workload_fields.h, the same keys in the job
  // table: precision, seq, global_batch, stack and the run's switches), so
  // a plan's training item simulates as it was sized (sim/work_model.cpp).
  TrainRequest run;
};

struct JobTemplate {
  std::string name;  // job names are name-<n>
  double weight = 1;
  JobKind kind = JobKind::kTraining;
  std::vector<int> devices{1};  // choices, equally likely
  std::optional<int> tp;        // default: min(devices, 8)
  int gpu_milli = 1000;
  std::int64_t cpu_milli = 0;
  std::int64_t memory_mib = 0;
  int priority = 0;
  std::optional<Sensitivity> sensitivity;  // the job's, raised to its tenant's declared floor
  std::vector<std::string> allowed;        // catalog IDs; empty: any type in the fleet
  WorkSpec work;
  double checkpoint_interval_s = 0;
  std::string defined_at;  // "file:line"
};

// Poisson arrivals of jobs drawn from weighted templates.
struct Generator {
  TenantId tenant;
  double rate_per_hour = 1;
  int count = 0;      // jobs to generate
  SimTime start = 0;  // first possible arrival
  std::vector<JobTemplate> templates;
  std::string defined_at;
};

// One explicit job.
struct ScenarioJob {
  TenantId tenant;
  SimTime submit = 0;
  JobTemplate job;  // devices: exactly one choice; ranges: fixed
};

// Pods of an openb trace (the FGD paper's CSVs) as jobs: arrival at
// creation_time, work = (deletion_time - scheduled_time) on the reference
// type the pod's GPU model maps to, fractional GPUs kept.
struct TraceImport {
  std::filesystem::path pods;  // resolved: relative to the scenario file, or $SUANLI_TRACES
  TenantId tenant;
  std::map<std::string, std::string> gpu_map;  // trace GPU model -> catalog ID
  std::string default_reference;               // for pods without gpu_spec
  int limit = 0;                               // 0: all pods
  double time_scale = 1;                       // multiplies arrival times and durations
  bool skip_bad_rows = false;
  // Loaded under ScenarioLoadOptions::trace_dirs (the service): errors
  // reading the file name its base name and never echo its contents.
  bool confined = false;
  // Of every imported job: the file's `sensitivity` raised to the tenant's declared floor.
  Sensitivity sensitivity = Sensitivity::kPublic;
  std::string defined_at;
};

struct Delivery {
  SimTime at = 0;
  NodePool pool;
  std::string defined_at;
};

struct NodeEvent {
  SimTime at = 0;
  std::string node;  // node name
  bool up = false;
  std::string defined_at;
};

// [limits]: the most work one simulation may do (docs/scenario-format.md).
// Each field is defined here once with its default; a scenario may set it
// within kSimLimitBounds, and the service caps it again with its own
// SimLimits (RunManagerOptions), which a scenario cannot raise. A run that
// reaches a limit stops with an error naming it (never exit/abort).
struct SimLimits {
  double max_simulated_hours = 100'000;  // the clock may not pass this (~11 years)
  long long max_events = 20'000'000;     // events processed
  long long max_jobs = 2'000'000;        // jobs submitted (generators, jobs, trace pods)
  long long max_samples = 500'000;       // utilisation samples kept
  double max_wall_s = 3600;              // wall-clock seconds of one run
};
// The physical range of every [limits] key (the largest a scenario may ask for).
inline constexpr SimLimits kSimLimitBounds{1'000'000, 1'000'000'000, 100'000'000, 100'000'000,
                                           7 * 86'400};
// Each field the smaller of the two.
SimLimits min_limits(const SimLimits& a, const SimLimits& b);

// The most nodes a scenario's fleet may hold, [[fleet]] and [[deliveries]]
// together (the live fleet's cap too), and the most node pools.
inline constexpr long long kMaxScenarioNodes = 100'000;
inline constexpr long long kMaxScenarioPools = 100'000;

struct SimulationOptions {
  std::optional<SimTime>
      until;  // horizon; jobs still queued or running then are reported unfinished
  double sample_interval_s = 3600;  // utilisation/share time series
};

struct Scenario {
  std::string name;
  std::string description;
  std::filesystem::path file;
  std::uint64_t seed = 1;
  Fleet fleet;                  // sites, types and the initial pools already added
  std::vector<NodePool> pools;  // as listed (for reports)
  std::vector<Tenant> tenants;
  std::vector<Rule> rules;
  SchedulerConfig scheduler;
  SimulationOptions simulation;
  std::vector<Generator> generators;
  std::vector<ScenarioJob> jobs;
  std::vector<TraceImport> traces;
  std::vector<Delivery> deliveries;
  std::vector<NodeEvent> node_events;
  SimLimits limits;  // [limits]
};

// How a scenario is loaded beyond its text.
struct ScenarioLoadOptions {
  // Where [[traces]] files may come from. Unset (the CLI: the user owns the
  // machine): an absolute path, or relative to the scenario's folder,
  // $SUANLI_TRACES or the bundled data/traces folder. Set (the service): only a
  // relative path without "..", found under one of these directories,
  // whose real path (symbolic links followed) stays inside it; messages
  // then name no server path.
  std::optional<std::vector<std::filesystem::path>> trace_dirs;
};

// Reads and resolves a scenario. Accelerators and models must be in the
// catalog; tenants named by rules and workloads must be declared; unknown
// keys are errors (typos must not pass silently).
// `overrides` replace values of the file before it is read (sweeps, --set;
// util/toml_override.h): an array-of-tables element is selected by its
// name, id, accelerator or tenant, or by index ("rules.domestic-50.min_share",
// "rules[1].min_share", "fleet.h20.nodes"); [scheduler] and [simulation]
// are created when absent. Errors name the key.
Result<Scenario> load_scenario(const std::filesystem::path& path, const Catalog& catalog,
                               const std::vector<TomlOverride>& overrides = {});
// The same from text (tests); `file` is used in messages and to resolve paths.
Result<Scenario> parse_scenario(std::string_view text, const std::filesystem::path& file,
                                const Catalog& catalog,
                                const std::vector<TomlOverride>& overrides = {},
                                const ScenarioLoadOptions& options = {});
// Applies one override the way the loaders above do.
Result<void> apply_scenario_override(toml::table& doc, const TomlOverride& override);

}  // namespace suanli

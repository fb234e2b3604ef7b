// A procurement scenario, as read from TOML (docs/plan-format.md): horizon,
// costs, sites, candidate accelerator types from the catalog, the fleet
// already owned, training and inference demand, supply-risk scenarios,
// policies and the report's default sweeps. Loading sizes every demand item
// on every candidate type with the estimator (training: the smallest gang
// that meets the deadline; inference: devices for the token rate under the
// SLO), so a scenario that loads is a PlanProblem ready to solve. Errors
// name file:line and the key.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include <toml++/toml.h>

#include "catalog/accelerator.h"
#include "catalog/catalog.h"
#include "perf/cost.h"
#include "perf/goodput.h"
#include "perf/workload_request.h"
#include "plan/plan_problem.h"
#include "plan/planner.h"
#include "util/error.h"
#include "util/toml_override.h"
#include "vocab/sensitivity.h"

namespace suanli {

struct PlanTraining {
  std::string name;
  std::string model;  // catalog model ID
  double tokens = 0;
  double deadline_days = 0;
  // The run as `estimate train` reads it (perf/workload_fields.h, the same
  // keys in the [[training]] table): model and tokens as above, precision,
  // seq, global_batch, stack and the run's switches. Sizing and the
  // report's headline build their workload from it with make_train_workload.
  TrainRequest run;
  std::string defined_at;  // "file:line"
};

struct PlanInference {
  std::string name;
  std::string model;
  double output_tokens_per_s = 0;  // aggregate demand
  // The serving run as `estimate infer` reads it (perf/workload_fields.h,
  // the same keys in the [[inference]] table): input_len, output_len, the
  // SLOs or a batch, precision (here "auto" when absent: each chip at its
  // best), KV precision and speculation. Sizing builds its workload from it
  // with make_infer_step_workload.
  InferRequest run = [] {
    InferRequest r;
    r.precision = "auto";
    return r;
  }();
  std::string defined_at;
};

// How one demand item runs on one candidate type, from the estimator.
struct SizingDetail {
  bool ok = false;
  std::string why_not;  // when !ok
  double devices = 0;   // PlanDemand::devices for this type
  // Training: the gang; inference: devices of one serving instance.
  int unit_devices = 0;
  // Training: tokens/s per device at that gang; inference: output tokens/s
  // per device under the SLO.
  double per_device_rate = 0;
  double mfu = 0;          // training only
  double days = 0;         // training: time to train on the gang (wall, with goodput)
  double steady_days = 0;  // training: the same as if nothing failed
  double goodput = 1;      // training: steady / wall (perf/goodput.h)
  double ttft_ms = 0;      // inference only
  double tpot_ms = 0;      // inference only
  std::string precision;
  std::string layout;  // e.g. "TP8 PP4 DP16" or "TP4 x 2 instances"
  // The estimate's p10 and p90 throughput over its point (perf/interval.h):
  // how far the per-device rate may move, for the plan's robustness pass.
  double rate_p10_ratio = 1;
  double rate_p90_ratio = 1;
};

// A TOML key (dotted; an array-of-tables segment selects the element whose
// `name` or `accelerator` equals it, e.g. "candidate.h200-sxm.levy") and a
// TOML value literal ("0.5", "true", "\"robust\"", "[1, 2]"); see
// util/toml_override.h.
using PlanOverride = TomlOverride;
using PlanSweep = TomlSweep;  // values: TOML literals

struct PlanScenario {
  std::filesystem::path file;
  std::string description;
  PlanProblem problem;  // sized and validated
  // problem.demands lists training items first, then inference, in file order.
  std::vector<PlanTraining> training;
  std::vector<PlanInference> inference;
  std::vector<Sensitivity> sensitivity;           // per demand item
  std::vector<std::string> demand_tenant;         // per demand item
  std::vector<std::vector<SizingDetail>> sizing;  // [demand][type]
  std::vector<PlanSweep> report_sweeps;           // [[report.sweep]]
  std::uint64_t seed = 42;                        // for the report's simulation
  double simulation_days = 30;                    // how long the report simulates
  // How demand becomes devices, from data/economics.toml unless [plan]
  // states them (sizing_sources then names the scenario's file:line):
  // a training gang meets its deadline with interruptions, restarts and
  // checkpoints counted (goodput; `goodput = false`: steady state) and
  // needs gang / utilisation_target devices of the fleet; inference is
  // provisioned for its mean rate x peak_to_mean.
  double utilisation_target = 0.8;
  double peak_to_mean = 1.5;
  bool with_goodput = true;
  GoodputInputs goodput;
  std::map<std::string, std::string> sizing_sources;
  // The one cost basis (perf/cost.h) at this scenario's prices, levies,
  // default site's power and the catalog's life, capital and operations:
  // what the report's comparison prices device-hours with.
  CostAssumptions cost;
  // What a reader should change in the file, e.g. a key under its old name.
  std::vector<std::string> warnings;
};

// solve_plan on the scenario's problem, the scenario's own warnings (a key
// under its old name) first among the result's.
Result<PlanResult> solve_scenario_plan(const PlanScenario& scenario, const PlanOptions& options);

// Sets `override.key` in a parsed document; errors name the key. [plan]
// and [policy] are created when absent.
Result<void> apply_plan_override(toml::table& doc, const PlanOverride& override);

Result<PlanScenario> load_plan_scenario(const std::filesystem::path& path, const Catalog& catalog,
                                        const std::vector<PlanOverride>& overrides = {});
// The same from text (tests); `file` is used in messages.
Result<PlanScenario> parse_plan_scenario(std::string_view text, const std::filesystem::path& file,
                                         const Catalog& catalog,
                                         const std::vector<PlanOverride>& overrides = {});

}  // namespace suanli

// A workload as a front end describes it (CLI flags, API request fields):
// plain data, and its translation into the core's workloads. Shared by
// `suanli estimate|compare` and the HTTP API so both accept and reject the
// same inputs. Error messages name the CLI flag (--seq); the API checks
// ranges with field names before calling these.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "catalog/catalog.h"
#include "perf/compare.h"
#include "perf/infer.h"
#include "perf/train.h"

namespace suanli {

// How a request prices device-hours (perf/cost.h): the basis and the
// ownership inputs it changes from data/economics.toml. The same fields on
// the CLI (--cost-basis, --levy, --pue, ...) and the API.
struct CostRequest {
  std::string basis;  // "", "ownership" or "rental"; empty: ownership
  std::string levy;   // "ID=FRACTION[,ID=FRACTION]": surcharge on a chip's price
  std::optional<double> pue, tariff_usd_per_kwh, power_load_factor, node_power_overhead;
  std::string currency;  // "", "usd" or "cny": the text output's currency
};

struct TrainRequest {
  std::string model;  // catalog model ID, or empty for the custom shape below
  int layers = 0, hidden = 0, heads = 0, kv_heads = 0, ffn = 0, vocab = 0;
  int experts = 0, top_k = 0;
  int shared_experts = 0, expert_ffn = 0,
      first_dense_layers = 0;  // MoE shape (expert_ffn 0: = ffn)
  std::string mlp;             // "swiglu" | "gelu"; empty: swiglu, reported as an assumption
  std::optional<int> seq;
  std::optional<long long> global_batch;
  std::string precision = "bf16";
  double tokens = 0;
  bool uneven_pipeline = false;
  std::string stack;
  // Per-run switches (unset: the stack's behaviour).
  std::optional<bool> overlap_grad_reduce, overlap_param_gather, tp_comm_overlap, ep_comm_overlap,
      reshard_after_forward;
  std::string grad_accum;      // "", "fp32" or "bf16"
  std::string moe_dispatcher;  // "", "alltoall" or "deepep"
  std::string fp8_recipe;      // "", "tensorwise", "rowwise" or "rowwise-gw-hp"
  bool cuda_graph = false;     // whole-iteration CUDA graph
  double power_limit_w = 0;  // 0: the part's TDP
  // Parallelism (unset: searched).
  std::optional<int> tp, pp, dp, ep, cp, vpp, micro_batch, zero, etp, recompute_layers, zero_shard;
  std::string recompute;                  // "", "full", "selective", "none"
  std::optional<bool> sequence_parallel;  // unset: searched; false: forced off
  CostRequest cost;
  bool steady_state = false;  // time-to-train without interruptions (no goodput)
};

struct InferRequest {
  std::string model;
  // bf16, fp8, int8, fp4, w4a8, int4 or auto; empty: the model's released
  // precision (fp8 models as auto, others bf16).
  std::string precision;
  std::string kv_precision = "bf16";
  int input_len = 0;
  int output_len = 0;
  std::optional<int> batch;
  std::optional<double> tpot_slo_ms;
  std::optional<double> ttft_slo_ms;
  std::optional<double> request_rate;  // requests/s arriving at the deployment (open loop)
  std::optional<int> tp, ep, pp;
  bool disaggregated = false;
  std::string expert_dispatch = "deepep";  // deepep or all-gather
  std::optional<int> prefill_devices;     // disaggregated: prefill devices in per-device figures
  std::optional<int> prefill_tp;          // disaggregated: the prefill instances' attention TP
  std::optional<int> spec_tokens;         // speculative decoding: drafts per step
  std::optional<double> spec_accept_len;  // output tokens per step (1..spec_tokens+1)
  std::optional<int> chunked_prefill_tokens;  // per-iteration token budget (chunked prefill)
  std::optional<long long> num_prompts;       // a closed-loop benchmark's prompts in all
  std::optional<int> prefill_batch_tokens;    // with num_prompts: prompt tokens per prefill pass
  CostRequest cost;
};

Result<TrainWorkload> make_train_workload(const Catalog& catalog, const TrainRequest& r);
// The run's steady step, unpriced: make_train_workload without goodput or
// cost assumptions, what plan sizing and the simulator's work model time.
Result<TrainWorkload> make_train_step_workload(const Catalog& catalog, const TrainRequest& r);
// The cost assumptions a request states over the catalog's economics.
Result<CostAssumptions> make_cost_assumptions(const Catalog& catalog, const CostRequest& r);
// The run's switches (overlaps, resharding, gradient accumulation, power
// limit) and the layout it fixes: shared by make_train_workload and the
// validation rows (perf/validation.cpp), which read the same fields.
Result<TrainSwitches> make_train_switches(const TrainRequest& r);
ParallelismRequest make_parallelism_request(const TrainRequest& r);
// A serving request's either/or rules: a batch or an SLO, a request rate
// or an SLO, both speculative fields or neither. The front ends hold a
// request to them (make_infer_workload, the API); published runs do not (a
// row states the batch it ran beside the SLO it met). Returns the field at
// fault and what to do, each field spelled by `spell` (the CLI's --flag or
// the API's name); nothing when the request chooses.
struct RequestProblem {
  std::string_view field;
  std::string message;
};
std::optional<RequestProblem> infer_choice_problem(const InferRequest& r,
                                                   std::string (*spell)(std::string_view));
// The serving run a request describes on `model` (precision, KV cache,
// lengths, batch or SLOs, load, speculation), its values checked but not its
// choices, and unpriced: what a validation row builds its workload with.
Result<InferWorkload> make_infer_run(const ModelArch& model, const InferRequest& r);
// A front end's request: the catalog's model, make_infer_run, the choices
// above (errors name the CLI's flags) and the cost assumptions.
Result<InferWorkload> make_infer_workload(const Catalog& catalog, const InferRequest& r);
// The same unpriced: what plan sizing and the simulator's work model time.
Result<InferWorkload> make_infer_step_workload(const Catalog& catalog, const InferRequest& r);

// Chips compared at unequal latency are not compared: without a batch or a
// TPOT SLO, `compare infer` holds every chip to one TPOT target, 50 ms (the
// interactive tier published serving runs report against: DeepSeek's
// production 20-22 tokens/s per user, CloudMatrix384's and SGLang's 50 ms
// TPOT configurations in data/validation). Returns whether it applied.
inline constexpr double kCompareTpotTargetS = 0.050;
bool apply_common_tpot_target(InferWorkload& w);

// `estimate infer` sizes its batch the same way, so an estimate and a
// comparison of the same chip and workload print the same figures: without
// a batch or an SLO, the largest batch that meets the common TPOT target;
// when no batch meets it, the largest that fits memory. `tpot_target` says
// which ("default", "slo", "none (fixed batch)", or "default unmet").
struct EstimateInferSearch {
  InferSearchResult found;
  std::string tpot_target;
};
Result<EstimateInferSearch> search_infer_for_estimate(InferWorkload& w, const Accelerator& accel,
                                                      const EfficiencyProfile& profile, int devices,
                                                      std::optional<int> tp, std::optional<int> ep);

// `estimate train --json`: the search's best configuration as train_json().
// When a fully fixed configuration does not fit, the error is kInfeasible
// and `*unfit` (if given) receives that configuration's estimate with a
// "why_not" key (the CLI prints it before the error).
Result<nlohmann::json> estimate_train_json(const Catalog& catalog, std::string_view accelerator,
                                           int devices, const TrainRequest& r,
                                           nlohmann::json* unfit = nullptr);
// `estimate infer --json`.
Result<nlohmann::json> estimate_infer_json(const Catalog& catalog, std::string_view accelerator,
                                           int devices, const InferRequest& r);

// `compare train|infer --json`: the workload, the baseline and one row per
// accelerator (the first is the baseline).
Result<nlohmann::json> compare_train_request_json(const Catalog& catalog, const TrainRequest& r,
                                                  const std::vector<std::string>& accelerators,
                                                  const CompareSizing& sizing);
Result<nlohmann::json> compare_infer_request_json(const Catalog& catalog, const InferRequest& r,
                                                  const std::vector<std::string>& accelerators,
                                                  const CompareSizing& sizing);

}  // namespace suanli

// Analytical inference model (Pope et al. 2022; vLLM/TensorRT-LLM practice):
// prefill is compute-bound, decode reads every active weight and the KV
// cache once per step; batch is capped by KV-cache memory and by a TPOT SLO.
// A decode step also pays a floor that grows with depth: every operator of
// every layer is a kernel with a fixed cost (launch gap and tail), and every
// collective a latency, however small the batch. Speculative decoding
// verifies several tokens per step; MoE expert load is the busiest device's;
// a multi-die package (Ascend 910C) serves as one rank per die. Under a
// request rate the batch is the requests in flight (Little's law) and TTFT
// queues for prefill (M/D/c). With a chunked-prefill token budget a long
// prompt prefills in passes that ride the batch's decode steps.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "catalog/catalog.h"
#include "perf/cost.h"
#include "perf/device.h"
#include "util/error.h"

namespace suanli {

struct InferWorkload {
  ModelArch model;
  Precision precision = Precision::kBf16;  // weights and GEMMs: bf16, fp8, int8 (W8A8), fp4
  int input_len = 0;
  int output_len = 0;
  std::optional<int> batch;          // fixed concurrent sequences per instance
  std::optional<double> tpot_slo_s;  // cap the batch so TPOT stays under this
  std::optional<double> ttft_slo_s;
  Precision kv_precision = Precision::kBf16;
  // Prefill runs on separate instances (DeepSeek, CloudMatrix, Dynamo):
  // decode steps are not interrupted, and the devices counted are the
  // decode devices only.
  bool disaggregated = false;
  // Resolve `precision` per chip: FP8 where the chip has it, else INT8
  // (W8A8), else BF16 — how mixed fleets are actually served.
  bool auto_precision = false;
  // Stored weight width when it is narrower than the GEMM operands: 4 for
  // W4A8 (precision int8) and INT4 weight-only (precision bf16); 0 = the
  // precision's own width.
  int weight_bits = 0;
  // Speculative decoding (MTP, EAGLE, draft heads): `spec_tokens` drafted
  // per step and verified together with the next token; `spec_accept_len`
  // output tokens per step on average (1 to spec_tokens + 1). 0 = off.
  int spec_tokens = 0;
  double spec_accept_len = 0;
  // Disaggregated: prefill devices counted in per-device throughput beside
  // the decode devices (published "per card" figures over both); 0 = the
  // decode devices only.
  int prefill_devices = 0;
  // Disaggregated: the attention TP of the prefill instances, which often
  // differ from the decode instances (SGLang's prefill at --tp 16 --dp 2,
  // attention TP 8, beside decode at DP attention): a prompt prefills on
  // that many ranks, and the prefill devices hold that many fewer groups.
  // 0 = the decode layout's TP.
  int prefill_tp = 0;
  // How expert tokens move between ranks: DeepEP-style (SGLang, vLLM,
  // vLLM-Ascend: normal kernels in prefill, low-latency in decode), or
  // all-gathered to every rank and reduce-scattered back (TensorRT-LLM's
  // attention-DP MoE).
  bool expert_all_gather = false;
  // Pipeline-parallel stages per instance (vLLM's --pipeline-parallel-size,
  // MindIE's pp): each stage holds layers / pp of the model on its own
  // ranks and the batch runs as pp micro-batches, one per stage at a time,
  // so a token passes every stage (TPOT is the whole model's step at the
  // micro-batch, plus a send per stage boundary) while every stage stays
  // busy. 1 = none. The search keeps it as given.
  int pp = 1;
  // A published run (validation): a fixed batch beyond what the KV-cache
  // model allows is still estimated, since the run happened (paged engines
  // hold sequences at their current length, not the maximum); `why_not`
  // keeps the memory note.
  bool published_run = false;
  // Open-loop load: requests per second arriving at the whole deployment
  // (Poisson, as `vllm bench serve --request-rate`). The batch is then what
  // Little's law gives (sequences in flight = arrival rate x time in the
  // system), capped by `batch` (the client's maximum concurrency, per
  // instance) and by memory; TTFT adds the wait for prefill.
  std::optional<double> request_rate;
  // Chunked prefill (vLLM V1, TensorRT-LLM, SGLang): an iteration of an
  // attention group processes at most this many tokens, its running
  // sequences' decode tokens first, so a prompt longer than what is left
  // prefills over several iterations, each also a decode step of the
  // batch. Unset: a prompt prefills in one forward pass.
  std::optional<int> chunked_prefill_tokens;
  // A closed-loop benchmark's prompts in all (`bench_serving --num-prompts`
  // with --max-concurrency = batch and no request rate): its first `batch`
  // requests per instance leave together, so their prompts queue for
  // prefill at once. Disaggregated, that first wave's wait adds to TTFT and
  // to the run's duration (later requests leave as earlier ones end,
  // staggered by the prefill); co-located without chunked prefill, the
  // fixed-length requests of every round end together, so every round
  // starts that way: each prompt waits for the ones prefilled before it
  // and stalls the decoding of those after it (half the round each on
  // average with one prompt per pass: prefill_batch_tokens). Unset: the
  // steady state (requests staggered from the start).
  std::optional<long long> num_prompts;
  // With num_prompts: the most prompt tokens one attention group's prefill
  // pass takes (a DP rank's: SGLang --max-prefill-tokens, or
  // --chunked-prefill-size / dp-size when that is smaller; vLLM
  // --max-num-batched-tokens; TensorRT-LLM --max_num_tokens). Prompts that
  // wait together are prefilled together, floor(budget / input_len) per
  // group and pass (at least one), and every prompt of a pass gets its
  // first token when the pass ends: a wave's mean TTFT is the mean end of
  // its prompt's pass, and what the first passes wait for no longer stalls
  // the decoding after it. Unset: one prompt per pass. Not with chunked
  // prefill co-located (its passes ride decode steps) nor with pp > 1.
  std::optional<int> prefill_batch_tokens;
  CostAssumptions cost;  // prices device-hours (cost per million output tokens)
};

// "w4a8" and "int4" (weight-only) as a compute precision and a weight width;
// the other precisions as themselves with the default width.
struct InferPrecision {
  Precision precision = Precision::kBf16;
  int weight_bits = 0;
};
std::optional<InferPrecision> parse_infer_precision(std::string_view text);

// The weight/GEMM precision used on `accel` for `w` (auto_precision resolved).
Precision resolve_precision(const InferWorkload& w, const Accelerator& accel);

// One serving instance spans `instance_devices` ranks in `pp` pipeline
// stages of instance_devices / pp ranks each. In a stage, attention and
// dense layers use TP = tp (replicated stage/tp times, "DP attention") and
// routed experts are spread over the stage's ranks (EP). A rank is a
// device, or one die of a multi-die package (Ascend 910C: 2 per package).
struct InferLayout {
  int tp = 1;
  int ep = 1;  // = ranks of a stage for MoE models, 1 for dense
  int instance_devices = 1;
  int instances = 1;
  // MoE with EP smaller than TP (set by create when asked for one): every
  // expert split over the TP ranks (expert tensor parallelism), no
  // all-to-all, no expert imbalance. Kept here so a model rebuilt from an
  // estimate's layout (intervals, compare) is the same model.
  bool expert_tp = false;
  // Pipeline stages (InferWorkload::pp), each holding layers / pp.
  int pp = 1;
};

struct InferEstimate {
  InferLayout layout;
  int batch = 0;      // concurrent sequences per instance
  int max_batch = 0;  // what KV-cache memory allows
  double ttft_s = 0;
  double tpot_s = 0;           // per output token, incl. prefill interference
  double decode_step_s = 0;    // one decode iteration alone
  double decode_floor_s = 0;   // its per-kernel and fixed costs (part of decode_step_s)
  double tokens_per_step = 1;  // output tokens per sequence and step (speculation)
  double prefill_s = 0;        // one prompt's prefill passes on an idle instance
  int prefill_chunks = 1;      // how many passes (chunked prefill)
  // The instance time a prompt holds: prefill_s less what its passes hide
  // in the decode steps they ride with (chunked, co-located).
  double prefill_hold_s = 0;
  // A prefill-only instance (disaggregated) kept busy: prompt tokens per
  // second per device.
  double prefill_tokens_per_s_per_device = 0;
  double output_tokens_per_s = 0;  // all devices
  double output_tokens_per_s_per_device = 0;
  double input_tokens_per_s = 0;
  double kv_cache_gb = 0;  // per device at this batch
  double weights_gb = 0;   // per device
  double memory_per_device_gb = 0;
  double memory_usable_gb = 0;
  bool fits = false;
  std::string why_not;
  // Decode at this batch: time reading bytes vs doing FLOPs.
  double decode_memory_s = 0;
  double decode_compute_s = 0;
  double decode_comm_s = 0;
  std::string bound;  // "memory-bandwidth" or "compute"
  // The wait for prefill inside TTFT (the closed loop's at a fixed batch,
  // the arrivals' under a request rate), and, under a request rate, whether
  // the arrivals exceed what the deployment can serve (the queue then
  // grows without bound: throughput is the capacity, TTFT the run's length).
  double request_rate = 0;  // requests/s, the whole deployment; 0 = closed loop
  double prefill_wait_s = 0;
  bool saturated = false;
  double cost_per_million_output_tokens_usd = 0;  // 0 when no price is known
};

class InferModel {
 public:
  // Checks precision support (FP8 on a chip without FP8 is an error) and
  // the layout against the model.
  static Result<InferModel> create(const InferWorkload& workload, const Accelerator& accel,
                                   const EfficiencyProfile& profile, int devices,
                                   const InferLayout& layout);

  // Estimate at a given batch (0: choose from SLO / memory).
  InferEstimate evaluate() const;
  InferEstimate at_batch(int batch) const;

  const DeviceModel& device() const { return dev_; }

 private:
  // Under w.request_rate: the smallest batch that holds every arriving
  // request (Little's law), its throughput the arrival rate.
  InferEstimate at_rate() const;
  // The same with chunked prefill, whose hold grows with the batch; `cap`
  // is the largest batch allowed.
  InferEstimate at_rate_chunked(int cap) const;
  // Requests one instance completes per second at an estimate's batch.
  double served_per_instance(const InferEstimate& e) const {
    return e.output_tokens_per_s / layout_.instances / w_.output_len;
  }
  // At `batch`, with the wait for prefill given (open loop) or, without
  // one, that of a closed loop holding `batch` requests.
  InferEstimate at_load(int batch, std::optional<double> open_wait) const;
  // Parameters outside the routed experts (attention, dense MLPs, shared
  // experts, routers, embeddings + output layer) and in all routed experts.
  struct ParamSplit {
    double dense = 0;
    double experts = 0;
    int moe_layers = 0;
  };
  ParamSplit split_params() const;
  // `selections` (token, expert) pairs spread over the stage's ranks: the
  // busiest rank's load over the mean (expert_imbalance; 1 with expert TP)
  // and the time of its routed-expert GEMMs at their size-dependent
  // efficiency (DeviceModel::gemm_half_flops, as the training model).
  struct ExpertLoad {
    double imbalance = 1, time = 0;
  };
  ExpertLoad expert_load(double selections, const ParamSplit& split) const;
  // The workload's expert exchange in a prefill or a decode step.
  ExpertExchange expert_exchange(bool prefill) const;
  struct DecodeStep {
    double total = 0, memory = 0, compute = 0, comm = 0, floor = 0;
    // The GEMMs' weight reads beyond their math (max(0, reads - math)):
    // time a prefill chunk sharing the iteration computes in for free.
    double gemm_slack = 0;
  };
  DecodeStep decode_step(int batch) const;
  double decode_floor(double draft_layers) const;  // per-kernel costs + fixed step cost
  // A prompt prefilled `chunk` tokens per forward pass (all at once when
  // chunk >= input_len), and one such pass.
  double prefill_time(double chunk) const;
  double prefill_pass(double tokens) const;
  // Sequences decoding beside a prompt in its attention group at `batch`.
  double running_beside(int batch) const;
  // Prompt tokens an iteration holds beside `batch` running sequences
  // (input_len without chunked prefill; may be < 1: no room).
  double prefill_chunk(int batch) const;
  // The largest batch whose decode tokens leave a chunked-prefill budget
  // room for a prompt token (INT_MAX without a budget).
  int budget_batch_cap() const;
  // A prompt's prefill at `batch`: its forward passes' time (one pass
  // unless chunked) and the instance time it holds. Co-located and chunked, each pass
  // shares an iteration with a decode step whose GEMMs are the chunk's
  // (Sarathi-Serve's piggybacking): their weights are read once, so an
  // iteration costs the two less the shorter of the pass and the step's
  // GEMM slack (its KV reads are attention kernels of their own), and the
  // prompt holds the instance for its passes less that, beside the decode
  // steps they ride with.
  struct PromptPrefill {
    double time = 0, hold = 0;
    int passes = 1;
    bool rides = false;   // its passes ride decode steps (co-located, chunked, a batch)
    std::string why_not;  // the budget leaves no room for a prompt token
  };
  PromptPrefill prompt_prefill(int batch, const DecodeStep& step) const;
  double closed_loop_prefill_wait(int batch, double prefill, double life) const;
  double prompts_per_pass() const;
  double benchmark_start(InferEstimate& e, int batch, double life) const;
  // A disaggregated deployment's prefill devices as attention groups, the
  // servers of the prompts' queue.
  double prefill_servers() const {
    return static_cast<double>(w_.prefill_devices) * ranks_per_device() / prefill_tp();
  }
  double stage_sends(double tokens) const;  // between pipeline stages, per token's pass
  int ranks_per_device() const { return dev_.dies > 1 ? dev_.dies : 1; }
  // The attention TP a prompt prefills at (InferWorkload::prefill_tp).
  int prefill_tp() const { return w_.prefill_tp > 0 ? w_.prefill_tp : layout_.tp; }
  // Ranks of one pipeline stage (all of the instance without PP).
  int stage_ranks() const { return layout_.instance_devices / layout_.pp; }
  // Attention data-parallel groups of a stage (tp ranks each).
  double attention_groups() const { return static_cast<double>(stage_ranks()) / layout_.tp; }
  // KV-cache bytes per token held on one device (its stage's layers).
  double kv_bytes_per_token_device() const;

  InferWorkload w_;
  int devices_ = 1;  // packages (dev_ is one rank: a die of a multi-die package)
  DeviceModel dev_;
  InferLayout layout_;
  ParamCount params_;
  double weight_bytes_ = 1;
  // FLOP/s one rank's decode attention kernels achieve (attention_rate in
  // infer.cpp: the KV cache's precision where the GEMMs' is FP4, FP8 or
  // INT8 and the cache's is not the same).
  double attn_rate_ = 1;
  double weights_per_device_ = 0;
  int max_batch_ = 0;
};

struct InferSearchResult {
  InferEstimate best;
  int layouts_tried = 0;
  std::vector<std::string> searched;
};

// Tries every TP (and EP for MoE) layout not fixed by the caller; keeps the
// highest throughput that fits and meets the SLOs.
Result<InferSearchResult> search_infer(const InferWorkload& workload, const Accelerator& accel,
                                       const EfficiencyProfile& profile, int devices,
                                       std::optional<int> tp, std::optional<int> ep);

}  // namespace suanli

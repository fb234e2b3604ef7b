// Analytical training-step model (Megatron-LM / Korthikanti et al. 2022 /
// ZeRO closed forms), with explicit per-cause breakdowns, and the
// parallelism search. Pure functions: same input, same output.
#pragma once

#include <algorithm>
#include <array>
#include <optional>
#include <string>
#include <vector>

#include "catalog/catalog.h"
#include "perf/cost.h"
#include "perf/device.h"
#include "perf/goodput.h"
#include "util/error.h"

namespace suanli {

enum class Recompute { kNone, kSelective, kFull };
std::string_view recompute_name(Recompute r);
std::optional<Recompute> parse_recompute(std::string_view text);

// How an FP8 run scales its GEMM operands: one scale per tensor
// (Transformer Engine's delayed and current scaling, torchao tensorwise),
// one per row (torchao rowwise), or per row with the weight-gradient GEMM
// kept in BF16 (torchao rowwise_with_gw_hp).
enum class Fp8Recipe { kTensorwise, kRowwise, kRowwiseGwHp };
std::string_view fp8_recipe_name(Fp8Recipe r);
std::optional<Fp8Recipe> parse_fp8_recipe(std::string_view text);

struct Parallelism {
  int tp = 1;
  int pp = 1;
  int dp = 1;
  int cp = 1;
  int ep = 1;
  int vpp = 1;          // interleaved stages (model chunks) per device
  int micro_batch = 1;  // sequences per micro-batch
  Recompute recompute = Recompute::kSelective;
  bool sequence_parallel = false;
  int zero = 1;  // 0..3 (1 = distributed optimizer)
  int etp = 1;   // expert tensor parallelism: each expert split over etp ranks (MoE)
  // With full recompute: layers per pipeline stage that are recomputed (0 = all).
  int recompute_layers = 0;
  // ZeRO / FSDP state sharded over this many DP ranks and replicated across
  // the dp / zero_shard groups (hybrid sharding, HSDP); 0 = over all of DP.
  int zero_shard = 0;
  // The replicas of the sharded state (1 without hybrid sharding).
  int zero_replicas() const { return zero_shard > 0 ? dp / zero_shard : 1; }
  // Ranks holding the same experts: (tp · dp · cp) / (ep · etp).
  long long expert_dp() const { return 1LL * dp * cp * tp / (1LL * ep * std::max(1, etp)); }
  bool operator==(const Parallelism&) const = default;  // field by field (not its padding)
};

// Per-run switches, defined once for the workload and a measurement row
// (both inherit them, so the row's switches reach the workload in one
// assignment). Unset = the stack's default. Off means the collective runs
// after (or before) the compute instead of beside it.
struct TrainSwitches {
  std::optional<bool> overlap_grad_reduce;    // DP gradient reduce beside the backward pass
  std::optional<bool> overlap_param_gather;   // DP parameter all-gather beside the forward pass
  std::optional<bool> tp_comm_overlap;        // TP collectives pipelined with their GEMMs (TE, MC2)
  // MoE dispatch/combine all-to-alls beside another micro-batch's compute
  // (Megatron --overlap-moe-expert-parallel-comm, DeepSeek DualPipe).
  std::optional<bool> ep_comm_overlap;
  std::optional<bool> reshard_after_forward;  // ZeRO-3/FSDP: gather again for the backward pass
  // MoE dispatch across scale-up domains: true = once per remote domain and
  // forwarded inside it (DeepEP, HybridEP), false = every routed copy (a
  // plain all-to-all dispatcher). Unset: the stack's ep_dedup.
  std::optional<bool> ep_dedup;
  bool bf16_grad_accum = false;               // gradients accumulated in 16 bits (not FP32)
  Fp8Recipe fp8_recipe = Fp8Recipe::kTensorwise;  // with precision fp8
  // The whole iteration replayed from a CUDA graph (Megatron
  // --cuda-graph-scope full_iteration; static shapes: dense or
  // token-dropping MoE): the host dispatches no kernel, so neither the
  // launch-bound floor nor the expert GEMMs' dispatch applies.
  bool cuda_graph = false;
  // Board power limit the run used (W); 0 = the part's TDP. Below the TDP
  // the clock, and with it every compute rate, scales as (limit / TDP)^(1/3)
  // (dynamic power ~ f·V², V ~ f in the DVFS range).
  double power_limit_w = 0;
};

struct TrainWorkload : TrainSwitches {
  ModelArch model;
  int seq = 0;
  long long global_batch = 0;              // sequences per optimizer step
  Precision precision = Precision::kBf16;  // GEMM precision: bf16 or fp8
  double tokens = 0;                       // total training tokens (0: no time-to-train)
  bool uneven_pipeline = false;            // stages may differ by a layer (balance logits)
  SoftwareStack stack;                     // features and overlaps of the training framework
  CostAssumptions cost;                    // prices device-hours; its PUE prices energy
  // Interruptions, restarts and checkpoints over the run (perf/goodput.h);
  // unset: steady state (time-to-train as if nothing failed).
  std::optional<GoodputInputs> goodput;
  // Defaults the request did not state and the workload assumed ("mlp =
  // swiglu (default)"), for the output to print.
  std::vector<std::string> assumptions;
};

// The run's precision as printed: "bf16", or "fp8" with a recipe other than
// the default tensorwise ("fp8 rowwise").
std::string train_precision_label(const TrainWorkload& w);

// Defaults when a workload gives no sequence length or batch: the model's
// published values, else 2,048 tokens and a ~4M-token batch (a multiple of
// 64 sequences when large).
int default_seq(const ModelArch& model);
long long default_global_batch(const ModelArch& model, int seq);

// Seconds per optimizer step, by cause; they add up to step_time_s.
struct TrainBreakdown {
  double compute = 0;    // GEMMs, attention, element-wise kernels (incl. recompute)
  double tp_comm = 0;    // tensor-parallel all-reduce / RS+AG (exposed part)
  double cp_comm = 0;    // context-parallel K/V exchange (exposed part)
  double ep_comm = 0;    // MoE all-to-all
  double pp_comm = 0;    // pipeline point-to-point
  double bubble = 0;     // pipeline fill and drain
  double dp_comm = 0;    // exposed data-parallel gradient / parameter traffic
  double optimizer = 0;  // optimizer step
};

// One kind of collective in a step: its traffic, the link bandwidth it got
// and how much of its time compute hid (one overlap budget per compute
// window and link, shared by every collective that runs beside it).
struct CollectiveCost {
  // "tp", "cp", "ep", "pp", "dp-reduce", "dp-replicate", "dp-gather", "zero3-gather"
  const char* name = "";
  const char* link = "";   // "scale-up" | "scale-out"
  double bytes = 0;        // per device per step
  double bandwidth = 0;    // bytes/s achieved per direction
  double time = 0;         // seconds on the link per step
  double hidden = 0;       // of which behind compute
  double slowdown = 0;     // compute time lost to running beside it
  double exposed() const { return time - hidden; }
};
inline constexpr int kMaxCollectives = 8;

// Bytes per device on the most loaded pipeline stage.
struct TrainMemory {
  double weights = 0;
  double grads = 0;
  double optimizer = 0;
  double activations = 0;
  double logits = 0;
  double total = 0;
  double usable = 0;  // what the device offers after the profile's reserve
};

struct TrainEstimate {
  Parallelism par;
  int micro_batches = 0;  // per pipeline per step
  int stage_layers = 0;   // layers on the most loaded stage
  double step_time_s = 0;
  double tokens_per_s = 0;
  double model_flops_per_step = 0;
  double hardware_flops_per_step = 0;
  double model_tflops_per_device = 0;
  double mfu = 0;
  double hfu = 0;
  Precision mfu_peak = Precision::kBf16;
  double mfu_peak_tflops = 0;
  TrainBreakdown breakdown;
  std::array<CollectiveCost, kMaxCollectives> collectives{};
  int collective_count = 0;
  TrainMemory memory;  // per rank: per die on a multi-die package
  int dies = 1;        // ranks per device (Ascend 910C: 2)
  bool fits = false;
};

// Precomputed, parallelism-independent quantities; build once, evaluate many.
class TrainModel {
 public:
  // `devices` counts packages; a multi-die package (DeviceModel::dies > 1)
  // runs one rank per die, so the parallelism's product is devices x dies
  // and device() is one die (per_die).
  static Result<TrainModel> create(const TrainWorkload& workload, const DeviceModel& device,
                                   int devices);

  // Checks a configuration against the model and device count; the error
  // says which rule failed (TP must divide heads, …).
  Result<void> check(const Parallelism& par) const;
  // The same rules without building a message (the search's hot path).
  bool valid(const Parallelism& par) const;
  // Evaluates a configuration that passed check(). Allocation-free.
  TrainEstimate evaluate(const Parallelism& par) const;
  // Memory only (cheap), for pruning.
  TrainMemory memory(const Parallelism& par) const;

  const TrainWorkload& workload() const { return w_; }
  const DeviceModel& device() const { return dev_; }
  int devices() const { return devices_; }  // packages
  int ranks() const { return ranks_; }      // devices x dies
  double model_flops_per_token() const { return model_flops_per_token_; }
  // The most interleaved chunks (vpp) a stage of `pp` can hold: layers / pp.
  // With stages that differ by a layer, up to the largest stage's
  // ceil(layers / pp), as long as no chunk but the embedding's and the
  // loss's two slots is left without a layer (pp x vpp <= layers + 2, as
  // Megatron's --account-for-embedding/loss-in-pipeline-split places them).
  int max_vpp(int pp) const;

 private:
  enum class Rule;
  Rule violated_rule(const Parallelism& par) const;
  struct Gemm {
    double k = 0;       // input features
    double n = 0;       // output features
    bool split = true;  // sharded over tensor parallelism
    // Its time on `tokens` rows at TP `tp`, operands of `in_bytes`, output
    // in 16 bits (DeviceModel::gemm_time).
    double time(const DeviceModel& d, double tokens, double tp, double in_bytes) const {
      const double nout = split ? n / tp : n;
      return d.gemm_time(2.0 * tokens * k * nout,
                         in_bytes * (tokens * k + k * nout) + 2.0 * tokens * nout);
    }
  };
  int stage_layers_max(const Parallelism& par, double layer_time, double logits_time,
                       double* bottleneck) const;
  // Parameters on the most loaded stage, per device before ZeRO sharding,
  // and the sizes of the groups that replicate them.
  struct StageParams {
    double dense = 0;      // attention, dense MLP, shared experts, router, embedding
    double expert = 0;     // routed experts held by this rank
    double dense_dp = 1;   // dp x cp
    double expert_dp = 1;  // (tp x dp x cp) / (ep x etp)
    // The groups ZeRO shards them over: the above divided by the hybrid
    // sharding's replicas (the above without hybrid sharding).
    double dense_shard = 1, expert_shard = 1;
  };
  StageParams stage_params(const Parallelism& par) const;
  int recomputed_layers(const Parallelism& par, int stage_layers) const;
  // One layer, one micro-batch, seconds (dense and MoE layers averaged).
  struct LayerCost {
    double fwd = 0, bwd = 0, recompute = 0;  // compute
    double tp_hidden = 0;   // TP time its GEMMs hide, all passes (each half with its GEMM)
    double tp_one = 0;      // one TP collective
    double tp_bytes_one = 0;
    double tp_bw = 0;
    double tp_count = 0;    // collectives per layer and micro-batch
    bool tp_scaleout = false;
    double ep = 0, ep_bytes = 0;  // exposed all-to-all, all passes
    double ep_link = 0;           // the same all-to-alls before any overlap
    double cp = 0;                // exposed K/V exchange, all passes
    double host = 0;              // host dispatch time of the layer
  };
  LayerCost layer_cost(const Parallelism& par, bool recomputed) const;
  // The FP8 recipe's extra forward and backward GEMM time over per-tensor
  // scaling (TrainSwitches::fp8_recipe).
  struct Fp8RecipeCost {
    double fwd = 0, bwd = 0;
  };
  Fp8RecipeCost fp8_recipe_cost(double gemm) const;
  double tp_hidden_time(const Parallelism& par, double n, double in_bytes, double tp_one,
                        double moe_frac, double moe_gemm, bool full_recompute) const;
  struct MoeCost {
    double gemm = 0, compute = 0;
    // One forward dispatch + combine: time on the link and bytes sent.
    double alltoall = 0, alltoall_bytes = 0;
  };
  MoeCost moe_cost(const Parallelism& par, double tokens, double in_bytes) const;
  void finish_estimate(TrainEstimate& e, const TrainMemory& mem) const;
  // The compute windows data-parallel traffic can hide in.
  struct DpWindows {
    double stage_fwd = 0, stage_bwd = 0;  // one micro-batch through the stage
    double micro_batches = 1;
    int stage_layers = 1;
    double recomputed_share = 0;  // of the stage's layers
    double tp_hidden = 0;         // compute already used to hide TP, per step
    bool tp_scaleout = false;     // TP's link
  };
  // Data parallelism's cost per step, seconds.
  struct DpCost {
    double exposed = 0;    // collectives' time not hidden
    double slowdown = 0;   // compute slowed by the hidden ones
    double optimizer = 0;  // the optimizer step
  };
  DpCost data_parallel(const Parallelism& par, const DpWindows& win, TrainEstimate& e) const;
  // One layer, one micro-batch, plain and recomputed, and their averages
  // over the stage (defined in train.cpp, evaluate()'s helper).
  struct LayerMix;

  TrainWorkload w_;
  DeviceModel dev_;
  int devices_ = 0;
  int ranks_ = 0;
  ParamCount params_;
  std::vector<Gemm> attn_gemms_;
  std::vector<Gemm> mlp_gemms_;     // dense MLP
  std::vector<Gemm> expert_gemms_;  // one expert
  double attn_core_dim_ = 0;        // heads * (d_qk + d_v)
  double kv_elems_per_token_ = 0;   // K and V elements per token per layer
  int kv_split_ = 1;                // how many ways K/V heads can be split by TP
  double ffn_act_elems_ = 0;        // element-wise MLP traffic per token (fwd)
  int moe_layers_ = 0;
  int dense_layers_ = 0;
  double model_flops_per_token_ = 0;      // 3 x forward (matmul + causal attention)
  double recompute_flops_per_token_ = 0;  // extra forward with full recompute
};

// Parallelism given on the command line; nullopt fields are searched.
struct ParallelismRequest {
  std::optional<int> tp, pp, dp, cp, ep, vpp, micro_batch, zero, etp, recompute_layers, zero_shard;
  std::optional<Recompute> recompute;
  std::optional<bool> sequence_parallel;
};

struct TrainSearchResult {
  TrainEstimate best;
  long long candidates = 0;           // configurations evaluated
  long long feasible = 0;             // of which fit in memory
  std::vector<std::string> searched;  // names of the fields that were searched
};

// Enumerates every configuration consistent with `request` and keeps the
// fastest that fits. Fails with kInfeasible (naming the closest candidate
// and its memory) when none fits, or with kInvalidArgument when the fixed
// fields are inconsistent.
Result<TrainSearchResult> search_train(const TrainModel& model, const ParallelismRequest& request);

// Time-to-train, cost and energy for `tokens` training tokens.
struct TrainTotals {
  double time_to_train_days = 0;  // wall time, with goodput when the workload has it
  double steady_days = 0;         // as if nothing failed
  std::optional<Goodput> goodput;
  std::string goodput_error;      // why goodput could not be applied (then steady state)
  double device_hours = 0;
  double energy_mwh = 0;
  double cost_usd = 0;  // device-hours x the device's hourly cost (0 when unknown)
};
TrainTotals train_totals(const TrainEstimate& e, const TrainModel& model);

}  // namespace suanli

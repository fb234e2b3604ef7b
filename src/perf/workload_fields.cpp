#include "perf/workload_fields.h"

namespace suanli {

namespace {

constexpr double kMaxShape = 10'000'000;
constexpr double kMaxCount = 100'000;

using T = TrainRequest;
using I = InferRequest;
using C = CostRequest;
using F = FieldType;

}  // namespace

const FieldTable<TrainRequest>& train_workload_fields() {
  static const FieldTable<T> fields = {
      {{"model", F::kIdentifier,
        "Catalog model ID (see `suanli catalog models`); or give a custom shape: layers, hidden, "
        "heads and vocab"},
       &T::model},
      {{"layers", F::kInteger, "Custom shape: transformer layers", 1, kMaxCount}, &T::layers},
      {{"hidden", F::kInteger, "Custom shape: hidden size", 1, kMaxShape}, &T::hidden},
      {{"heads", F::kInteger, "Custom shape: attention heads", 1, kMaxCount}, &T::heads},
      {{"kv_heads", F::kInteger, "Custom shape: KV heads (GQA; default = heads)", 1, kMaxCount},
       &T::kv_heads},
      {{"ffn", F::kInteger, "Custom shape: MLP intermediate size (default 4·hidden)", 1, kMaxShape},
       &T::ffn},
      {{"vocab", F::kInteger, "Custom shape: vocabulary size", 1, kMaxShape}, &T::vocab},
      {{"experts", F::kInteger, "Custom shape: routed experts (MoE)", 1, kMaxCount}, &T::experts},
      {{"top_k", F::kInteger, "Custom shape: experts per token (MoE)", 1, kMaxCount}, &T::top_k},
      {{"shared_experts", F::kInteger, "Custom shape: always-active experts (MoE)", 0, kMaxCount},
       &T::shared_experts},
      {{"expert_ffn", F::kInteger,
        "Custom shape: one expert's intermediate size (MoE; default the ffn size)", 1, kMaxShape},
       &T::expert_ffn},
      {{"first_dense_layers", F::kInteger, "Custom shape: leading layers with a dense MLP (MoE)", 0,
        kMaxCount},
       &T::first_dense_layers},
      {{"mlp",
        F::kString,
        "Custom shape: MLP kind (default swiglu, printed as an assumption)",
        0,
        0,
        {"swiglu", "gelu"}},
       &T::mlp},
      {{"seq", F::kInteger, "Sequence length (default: the model's pre-training length)", 1,
        kMaxShape},
       &T::seq},
      {{"global_batch", F::kInteger,
        "Sequences per optimizer step (default: the model's published "
        "batch)",
        1, 1e12},
       &T::global_batch},
      {{"precision",
        F::kString,
        "GEMM precision: bf16, fp8 (chips with FP8), tf32 or fp32",
        0,
        0,
        {"bf16", "fp8", "tf32", "fp32"}},
       &T::precision},
      {{"tokens", F::kNumber,
        "Training tokens, for time-to-train, device-hours, energy and cost (e.g. 1e12)", 0, 1e18},
       &T::tokens},
      {{"stack", F::kIdentifier,
        "Training software stack (data/stacks: megatron-core (default), nemo, megascale, fsdp, "
        "mindspeed, megatron-2021, …): which features exist and what overlaps"},
       &T::stack},
      {{"uneven_pipeline", F::kBoolean,
        "Allow pipeline stages that differ by one layer (balances the logits stage)"},
       &T::uneven_pipeline},
      {{"overlap_grad_reduce", F::kBoolean,
        "on|off: DP gradient reduction beside the backward pass (default: the stack's)"},
       &T::overlap_grad_reduce},
      {{"overlap_param_gather", F::kBoolean,
        "on|off: DP/FSDP parameter all-gather beside the forward pass (default: the stack's)"},
       &T::overlap_param_gather},
      {{"tp_comm_overlap", F::kBoolean,
        "on|off: TP collectives pipelined with their GEMMs (TE userbuffers, Ascend MC2)"},
       &T::tp_comm_overlap},
      {{"ep_comm_overlap", F::kBoolean,
        "on|off: MoE all-to-alls beside another micro-batch's compute (Megatron "
        "--overlap-moe-expert-parallel-comm, DualPipe; default: the stack's)"},
       &T::ep_comm_overlap},
      {{"reshard_after_forward", F::kBoolean,
        "on|off: ZeRO-3/FSDP gathers parameters again for the backward pass (default on)"},
       &T::reshard_after_forward},
      {{"grad_accum",
        F::kString,
        "Gradient accumulation precision: fp32 (default) or bf16",
        0,
        0,
        {"fp32", "bf16"}},
       &T::grad_accum},
      {{"fp8_recipe",
        F::kString,
        "FP8 scaling (with --precision fp8): tensorwise (default; Transformer Engine, torchao "
        "tensorwise), rowwise (torchao: per-row scales, GEMMs at the profile's "
        "fp8_rowwise_gemm_ratio) or rowwise-gw-hp (the weight-gradient GEMM in BF16)",
        0,
        0,
        {"tensorwise", "rowwise", "rowwise-gw-hp"}},
       &T::fp8_recipe},
      {{"moe_dispatcher",
        F::kString,
        "MoE token dispatch across nodes: alltoall (every routed copy crosses the network; "
        "Megatron's alltoall dispatcher) or deepep (once per remote node, forwarded inside it; "
        "DeepEP, HybridEP). Default: the stack's",
        0,
        0,
        {"alltoall", "deepep"}},
       &T::moe_dispatcher},
      {{"cuda_graph", F::kBoolean,
        "The whole iteration replayed from a CUDA graph (Megatron --cuda-graph-scope "
        "full_iteration; dense or token-dropping MoE): no host dispatch cost"},
       &T::cuda_graph},
      {{"power_limit_w", F::kNumber,
        "Board power limit in W below the TDP (0: the TDP; compute scales as (limit/TDP)^(1/3))", 0,
        5000},
       &T::power_limit_w,
       "--power-limit"},
      {{"steady_state", F::kBoolean,
        "Time-to-train as if nothing failed (default: with interruptions, restarts and "
        "checkpoints at data/economics.toml's rates)"},
       &T::steady_state},
  };
  return fields;
}

const FieldTable<TrainRequest>& train_parallelism_fields() {
  static const FieldTable<T> fields = {
      {{"tp", F::kInteger, "Tensor parallel size (searched when omitted)", 1, kMaxRequestDevices},
       &T::tp},
      {{"pp", F::kInteger, "Pipeline parallel size (searched when omitted)", 1, kMaxRequestDevices},
       &T::pp},
      {{"dp", F::kInteger, "Data parallel size (searched when omitted)", 1, kMaxRequestDevices},
       &T::dp},
      {{"ep", F::kInteger, "Expert parallel size, MoE (searched when omitted)", 1,
        kMaxRequestDevices},
       &T::ep},
      {{"cp", F::kInteger, "Context parallel size (searched when omitted)", 1, kMaxRequestDevices},
       &T::cp},
      {{"vpp", F::kInteger, "Interleaved pipeline chunks per device (searched when omitted)", 1,
        1000},
       &T::vpp},
      {{"micro_batch", F::kInteger, "Sequences per micro-batch (searched when omitted)", 1, 1e6},
       &T::micro_batch},
      {{"recompute",
        F::kString,
        "Activation recomputation: full, selective or none (searched when omitted)",
        0,
        0,
        {"full", "selective", "none"}},
       &T::recompute},
      {{"sequence_parallel", F::kBoolean,
        "on|off: sequence parallelism with TP (searched when omitted; off forces it off)"},
       &T::sequence_parallel},
      {{"zero", F::kInteger,
        "ZeRO stage 0..3 (1 = distributed optimizer, 3 = FSDP; searched when omitted)", 0, 3},
       &T::zero},
      {{"etp", F::kInteger,
        "Expert tensor parallel size, MoE (1 or the TP size searched when omitted)", 1,
        kMaxRequestDevices},
       &T::etp},
      {{"recompute_layers", F::kInteger,
        "With full recompute: layers per pipeline stage recomputed (default all)", 1, kMaxCount},
       &T::recompute_layers},
      {{"zero_shard", F::kInteger,
        "Hybrid sharding (HSDP): shard the ZeRO/FSDP state over this many DP ranks and "
        "replicate it across the dp / zero_shard groups, which all-reduce their gradients "
        "(default: shard over all of DP)",
        1, kMaxRequestDevices},
       &T::zero_shard},
  };
  return fields;
}

// Ranges as data/economics.toml's.
const FieldTable<CostRequest>& cost_fields() {
  static const FieldTable<C> fields = {
      {{"cost_basis",
        F::kString,
        "How device-hours are priced: ownership (default: price and levy amortised over the "
        "device's life, operations, data centre and power; data/economics.toml) or rental (the "
        "catalog's market rate)",
        0,
        0,
        {"ownership", "rental"}},
       &C::basis},
      {{"levy", F::kString,
        "Surcharge on a chip's price, ID=FRACTION[,ID=FRACTION] (e.g. h200-sxm=0.25)"},
       &C::levy},
      {{"pue", F::kNumber, "Facility power over IT power (default: data/economics.toml)", 1, 3},
       &C::pue},
      {{"tariff_usd_per_kwh", F::kNumber,
        "Electricity price, USD/kWh (default: data/economics.toml)", 0.001, 1},
       &C::tariff_usd_per_kwh},
      {{"power_load_factor", F::kNumber,
        "Average draw over full load (default: data/economics.toml)", 0.05, 1},
       &C::power_load_factor},
      {{"node_power_overhead", F::kNumber,
        "Node draw over the accelerators' TDP (default: data/economics.toml)", 1, 3},
       &C::node_power_overhead},
      {{"currency",
        F::kString,
        "Currency of the printed amounts: usd (default) or cny, at data/economics.toml's rate "
        "(JSON stays in USD and carries the rate)",
        0,
        0,
        {"usd", "cny"}},
       &C::currency},
  };
  return fields;
}

const FieldTable<InferRequest>& infer_workload_fields() {
  static const FieldTable<I> fields = {
      {{"model", F::kIdentifier, "Catalog model ID (see `suanli catalog models`)", 0, 0, {}, true},
       &I::model},
      {{"precision",
        F::kString,
        "Weights/GEMMs: bf16, fp8, int8 (W8A8, for chips without FP8), fp4, w4a8 (4-bit "
        "weights, int8 GEMMs), int4 (4-bit weights only, bf16 GEMMs), or auto (fp8 where the "
        "chip has it, else int8, else bf16)",
        0,
        0,
        {"bf16", "fp8", "int8", "fp4", "w4a8", "int4", "auto"}},
       &I::precision},
      {{"kv_precision",
        F::kString,
        "KV-cache precision: bf16 (default), fp8 or int8",
        0,
        0,
        {"bf16", "fp8", "int8"}},
       &I::kv_precision},
      {{"input_len", F::kInteger, "Prompt tokens per request", 1, kMaxShape, {}, true},
       &I::input_len},
      {{"output_len", F::kInteger, "Generated tokens per request", 1, kMaxShape, {}, true},
       &I::output_len},
      {{"batch", F::kInteger,
        "Concurrent sequences per instance (default: the largest that meets the SLO; without "
        "one, the largest at TPOT <= 50 ms, as compare infer, else the largest that fits)",
        1, 1e6},
       &I::batch},
      {{"tpot_slo_ms",
        F::kNumber,
        "Time-per-output-token SLO, ms: caps the batch so TPOT stays under it",
        0,
        1e9,
        {},
        false,
        true},
       &I::tpot_slo_ms},
      {{"ttft_slo_ms", F::kNumber, "Time-to-first-token SLO, ms", 0, 1e9, {}, false, true},
       &I::ttft_slo_ms},
      {{"request_rate",
        F::kNumber,
        "Open-loop load: requests per second arriving at the whole deployment (Poisson). The "
        "batch is then the requests in flight (Little's law, capped by the batch and memory), "
        "throughput the arrival rate while it keeps up, and TTFT includes the wait for prefill",
        0,
        1e6,
        {},
        false,
        true},
       &I::request_rate},
      {{"disaggregated", F::kBoolean,
        "Prefill on separate instances: TPOT is the bare decode step and throughput counts the "
        "decode devices (plus prefill_devices)"},
       &I::disaggregated},
      {{"expert_dispatch",
        F::kString,
        "How MoE tokens reach the experts' ranks: deepep (default; SGLang, vLLM, vLLM-Ascend: "
        "DeepEP normal kernels in prefill, a token once per rank holding one of its experts; "
        "low-latency in decode, every routed copy) or all-gather (TensorRT-LLM with attention "
        "DP: every token to every rank, outputs reduce-scattered back)",
        0,
        0,
        {"deepep", "all-gather"}},
       &I::expert_dispatch},
      {{"prefill_devices", F::kInteger,
        "With disaggregated: prefill devices counted in the per-device throughput (published "
        "per-card figures over prefill and decode cards)",
        0, kMaxRequestDevices},
       &I::prefill_devices},
      {{"prefill_tp", F::kInteger,
        "With disaggregated: the prefill instances' attention TP when it differs from the "
        "decode layout's (e.g. SGLang prefill at --tp 16 --dp 2: 8); a prompt prefills on that "
        "many ranks",
        1, kMaxRequestDevices},
       &I::prefill_tp},
      {{"spec_tokens", F::kInteger,
        "Speculative decoding (MTP, EAGLE): tokens drafted per step, verified together", 1, 16},
       &I::spec_tokens},
      {{"spec_accept_len", F::kNumber,
        "Speculative decoding: mean output tokens per step (1 to spec_tokens + 1)", 1, 17},
       &I::spec_accept_len},
      {{"chunked_prefill_tokens", F::kInteger,
        "Chunked prefill: tokens one iteration of an attention group processes, the running "
        "sequences' decode tokens included (vLLM --max-num-batched-tokens, TensorRT-LLM "
        "--max_num_tokens; SGLang --chunked-prefill-size plus the group's running batch, with "
        "--enable-mixed-chunk): a longer prompt prefills in passes, each beside a decode step",
        1, kMaxShape},
       &I::chunked_prefill_tokens},
      {{"num_prompts", F::kInteger,
        "Closed-loop benchmark: the prompts the client sends in all (bench_serving "
        "--num-prompts, with --max-concurrency as the batch and no request rate). Its first "
        "batch leaves together and queues for prefill at once: TTFT and throughput include "
        "that start (co-located without chunked prefill, every round of these fixed-length "
        "requests starts so). Unset: the steady state",
        1, 1e12},
       &I::num_prompts},
      {{"prefill_batch_tokens", F::kInteger,
        "With num_prompts: the most prompt tokens one attention group's prefill pass takes "
        "(SGLang --max-prefill-tokens, or --chunked-prefill-size / dp-size when smaller; vLLM "
        "--max-num-batched-tokens; TensorRT-LLM --max_num_tokens). Waiting prompts prefill "
        "together, floor(budget / input_len) per group and pass (at least one), and all of a "
        "pass get their first token at its end. Unset: one prompt per pass",
        1, kMaxShape},
       &I::prefill_batch_tokens},
  };
  return fields;
}

const FieldTable<InferRequest>& infer_layout_fields() {
  static const FieldTable<I> fields = {
      {{"tp", F::kInteger, "Tensor parallel size per instance (searched when omitted)", 1,
        kMaxRequestDevices},
       &I::tp},
      {{"ep", F::kInteger,
        "Expert parallel size = devices per instance, MoE (searched when omitted)", 1,
        kMaxRequestDevices},
       &I::ep},
      {{"pp", F::kInteger,
        "Pipeline-parallel stages per instance (default 1): each stage holds layers / pp on its "
        "own tp (MoE: ep) devices and the batch runs as pp micro-batches, so a token passes "
        "every stage",
        1, 1024},
       &I::pp},
  };
  return fields;
}

}  // namespace suanli

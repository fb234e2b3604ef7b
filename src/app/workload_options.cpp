#include "app/workload_options.h"

#include <fmt/format.h>
#include <CLI/CLI.hpp>
#include <cmath>

namespace suanli::app {

namespace {

// How device-hours are priced (perf/cost.h): the same flags for train and infer.
void add_cost_flags(CLI::App* cmd, CostRequest& c) {
  cmd->add_option("--cost-basis", c.basis,
                  "How device-hours are priced: ownership (default: price and levy amortised over "
                  "the device's life, operations, data centre and power; data/economics.toml) or "
                  "rental (the catalog's market rate)")
      ->check(CLI::IsMember({"ownership", "rental"}));
  cmd->add_option("--levy", c.levy,
                  "Surcharge on a chip's price, ID=FRACTION[,ID=FRACTION] (e.g. h200-sxm=0.25)");
  cmd->add_option("--pue", c.pue, "Facility power over IT power (default: data/economics.toml)");
  cmd->add_option("--tariff-usd-per-kwh", c.tariff_usd_per_kwh,
                  "Electricity price (default: data/economics.toml)");
  cmd->add_option("--power-load-factor", c.power_load_factor,
                  "Average draw over full load (default: data/economics.toml)");
  cmd->add_option("--currency", c.currency,
                  "Currency of the printed amounts: usd (default) or cny, at data/economics.toml's "
                  "rate (JSON stays in USD and carries the rate)")
      ->check(CLI::IsMember({"usd", "cny"}));
  cmd->add_option("--node-power-overhead", c.node_power_overhead,
                  "Node draw over the accelerators' TDP (default: data/economics.toml)");
}

}  // namespace

void add_train_flags(CLI::App* cmd, TrainFlags& f, bool with_parallelism) {
  cmd->add_option("--model", f.model, "Catalog model ID (see `suanli catalog models`)");
  cmd->add_option("--layers", f.layers, "Custom shape: transformer layers");
  cmd->add_option("--hidden", f.hidden, "Custom shape: hidden size");
  cmd->add_option("--heads", f.heads, "Custom shape: attention heads");
  cmd->add_option("--kv-heads", f.kv_heads, "Custom shape: KV heads (GQA; default = heads)");
  cmd->add_option("--ffn", f.ffn, "Custom shape: MLP intermediate size (default 4·hidden)");
  cmd->add_option("--vocab", f.vocab, "Custom shape: vocabulary size");
  cmd->add_option("--experts", f.experts, "Custom shape: routed experts (MoE)");
  cmd->add_option("--top-k", f.top_k, "Custom shape: experts per token (MoE)");
  cmd->add_option("--shared-experts", f.shared_experts, "Custom shape: always-active experts (MoE)");
  cmd->add_option("--expert-ffn", f.expert_ffn,
                  "Custom shape: one expert's intermediate size (MoE; default --ffn)");
  cmd->add_option("--first-dense-layers", f.first_dense_layers,
                  "Custom shape: leading layers with a dense MLP (MoE)");
  cmd->add_option("--mlp", f.mlp,
                  "Custom shape: swiglu or gelu (default swiglu, printed as an assumption)")
      ->check(CLI::IsMember({"swiglu", "gelu"}));
  cmd->add_option("--seq", f.seq, "Sequence length (default: the model's pre-training length)");
  cmd->add_option("--global-batch", f.global_batch,
                  "Sequences per optimizer step (default: the model's published batch)");
  cmd->add_option("--precision", f.precision,
                  "GEMM precision: bf16, fp8 (chips with FP8), tf32 or fp32")
      ->check(CLI::IsMember({"bf16", "fp8", "tf32", "fp32"}));
  cmd->add_option("--tokens", f.tokens,
                  "Training tokens, for time-to-train, device-hours, energy and cost (e.g. 1e12)");
  cmd->add_option("--stack", f.stack,
                  "Training software stack (data/stacks: megatron-core (default), nemo, megascale, "
                  "fsdp, mindspeed, megatron-2021, …): which features exist and what overlaps");
  add_cost_flags(cmd, f.cost);
  cmd->add_flag("--steady-state", f.steady_state,
                "Time-to-train as if nothing failed (default: with interruptions, restarts and "
                "checkpoints at data/economics.toml's rates)");
  cmd->add_flag("--uneven-pipeline", f.uneven_pipeline,
                "Allow pipeline stages that differ by one layer (balances the logits stage)");
  cmd->add_option("--overlap-grad-reduce", f.overlap_grad_reduce,
                  "on|off: DP gradient reduction beside the backward pass (default: the stack's)");
  cmd->add_option("--overlap-param-gather", f.overlap_param_gather,
                  "on|off: DP/FSDP parameter all-gather beside the forward pass");
  cmd->add_option("--tp-comm-overlap", f.tp_comm_overlap,
                  "on|off: TP collectives pipelined with their GEMMs (TE userbuffers, Ascend MC2)");
  cmd->add_option("--ep-comm-overlap", f.ep_comm_overlap,
                  "on|off: MoE all-to-alls beside another micro-batch's compute (Megatron "
                  "--overlap-moe-expert-parallel-comm, DualPipe; default: the stack's)");
  cmd->add_option("--reshard-after-forward", f.reshard_after_forward,
                  "on|off: ZeRO-3/FSDP gathers parameters again for the backward pass (default on)");
  cmd->add_option("--grad-accum", f.grad_accum, "Gradient accumulation precision: fp32 (default) or bf16")
      ->check(CLI::IsMember({"fp32", "bf16"}));
  cmd->add_option("--power-limit", f.power_limit_w,
                  "Board power limit in W below the TDP (compute scales as (limit/TDP)^(1/3))");
  if (!with_parallelism) return;
  cmd->add_option("--tp", f.tp, "Tensor parallel size (searched when omitted)");
  cmd->add_option("--pp", f.pp, "Pipeline parallel size (searched when omitted)");
  cmd->add_option("--dp", f.dp, "Data parallel size (searched when omitted)");
  cmd->add_option("--ep", f.ep, "Expert parallel size, MoE (searched when omitted)");
  cmd->add_option("--cp", f.cp, "Context parallel size (searched when omitted)");
  cmd->add_option("--vpp", f.vpp, "Interleaved pipeline chunks per device (searched when omitted)");
  cmd->add_option("--micro-batch", f.micro_batch,
                  "Sequences per micro-batch (searched when omitted)");
  cmd->add_option("--recompute", f.recompute, "Activation recomputation: full, selective or none")
      ->check(CLI::IsMember({"full", "selective", "none"}));
  cmd->add_flag("--sequence-parallel", f.sequence_parallel,
                "Use sequence parallelism with TP (searched when omitted)");
  cmd->add_option("--zero", f.zero,
                  "ZeRO stage 0..3 (1 = distributed optimizer, 3 = FSDP; searched when omitted)");
  cmd->add_option("--etp", f.etp,
                  "Expert tensor parallel size, MoE (1 or the TP size searched when omitted)");
  cmd->add_option("--recompute-layers", f.recompute_layers,
                  "With --recompute full: layers per pipeline stage recomputed (default all)");
}

void add_infer_flags(CLI::App* cmd, InferFlags& f, bool with_layout) {
  cmd->add_option("--model", f.model, "Catalog model ID")->required();
  cmd->add_option("--precision", f.precision,
                  "Weights/GEMMs: bf16, fp8, int8 (W8A8, for chips without FP8), fp4, w4a8 "
                  "(4-bit weights, int8 GEMMs), int4 (4-bit weights only, bf16 GEMMs), or auto "
                  "(fp8 where the chip has it, else int8, else bf16)")
      ->check(CLI::IsMember({"bf16", "fp8", "int8", "fp4", "w4a8", "int4", "auto"}));
  cmd->add_option("--kv-precision", f.kv_precision,
                  "KV-cache precision: bf16 (default), fp8 or int8")
      ->check(CLI::IsMember({"bf16", "fp8", "int8"}));
  cmd->add_option("--input-len", f.input_len, "Prompt tokens per request")->required();
  cmd->add_option("--output-len", f.output_len, "Generated tokens per request")->required();
  cmd->add_option("--batch", f.batch,
                  "Concurrent sequences per instance (default: the largest that meets the SLO; without one, the largest at TPOT <= 50 ms, as compare infer, else the largest that fits)");
  cmd->add_option("--tpot-slo-ms", f.tpot_slo_ms,
                  "Cap the batch so time per output token stays under this");
  cmd->add_option("--ttft-slo-ms", f.ttft_slo_ms, "Time-to-first-token SLO");
  cmd->add_option("--request-rate", f.request_rate,
                  "Open-loop load: requests per second arriving at the whole deployment "
                  "(Poisson). The batch is then the requests in flight (Little's law, capped "
                  "by --batch and memory), throughput the arrival rate while it keeps up, and "
                  "TTFT includes the wait for prefill");
  cmd->add_flag("--disaggregated", f.disaggregated,
                "Prefill on separate instances: TPOT is the bare decode step and throughput "
                "counts the decode devices (plus --prefill-devices)");
  cmd->add_option("--prefill-devices", f.prefill_devices,
                  "With --disaggregated: prefill devices counted in the per-device throughput "
                  "(published per-card figures over prefill and decode cards)")
      ->check(CLI::Range(0, 1000000));
  cmd->add_option("--spec-tokens", f.spec_tokens,
                  "Speculative decoding (MTP, EAGLE): tokens drafted per step, verified together")
      ->check(CLI::Range(1, 16));
  cmd->add_option("--spec-accept-len", f.spec_accept_len,
                  "Speculative decoding: mean output tokens per step (1 to spec tokens + 1)")
      ->check(CLI::Range(1.0, 17.0));
  add_cost_flags(cmd, f.cost);
  if (!with_layout) return;
  cmd->add_option("--tp", f.tp, "Tensor parallel size per instance (searched when omitted)");
  cmd->add_option("--ep", f.ep,
                  "Expert parallel size = devices per instance, MoE (searched when omitted)");
}

std::string human_count(double v) {
  const double a = std::fabs(v);
  if (a >= 1e15) return fmt::format("{:.3g}", v);
  if (a >= 1e12) return fmt::format("{:.2f}T", v / 1e12);
  if (a >= 1e9) return fmt::format("{:.2f}G", v / 1e9);
  if (a >= 1e6) return fmt::format("{:.2f}M", v / 1e6);
  if (a >= 1e4) return fmt::format("{:.1f}k", v / 1e3);
  if (a >= 100) return fmt::format("{:.0f}", v);
  return fmt::format("{:.3g}", v);
}

std::string human_seconds(double s) {
  if (s < 1e-3) return fmt::format("{:.1f} µs", s * 1e6);
  if (s < 1) return fmt::format("{:.1f} ms", s * 1e3);
  if (s < 120) return fmt::format("{:.2f} s", s);
  if (s < 7200) return fmt::format("{:.1f} min", s / 60);
  if (s < 3 * 86400) return fmt::format("{:.1f} h", s / 3600);
  return fmt::format("{:.1f} days", s / 86400);
}

}  // namespace suanli::app

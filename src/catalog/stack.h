// A training software stack (data/stacks/*.toml): which features exist and
// what it overlaps. Measurements were taken on a specific stack (Megatron-LM
// in 2021 had no flash attention, no sequence parallelism and no gradient
// overlap); users estimate on the stack they will run. Hardware efficiency
// lives in EfficiencyProfile, software behaviour here.
#pragma once

#include <string>

namespace suanli {

// The share of a communication hidden when a run turns a stack's overlap
// switch on and nothing measured says otherwise (data/stacks).
inline constexpr double kSwitchOverlap = 0.9;

struct SoftwareStack {
  std::string id = "megatron-core";
  std::string source = "built-in default";
  std::string confidence = "secondary";
  // false: attention scores are materialised (s x s softmax in memory).
  bool flash_attention = true;
  // Materialised attention computed block by block (AscendSpeed's
  // --triangle-attn): square blocks of this many tokens, those wholly above
  // the causal diagonal skipped. 0: every score of the s x s matrix.
  int attention_block_tokens = 0;
  bool sequence_parallel = true;    // SP available with TP
  bool selective_recompute = true;  // selective activation recompute available
  bool context_parallel = true;
  bool interleaved_pipeline = true;
  bool distributed_optimizer = true;  // ZeRO-1 style sharding available
  // Fractions of each communication hidden behind compute.
  double tp_overlap_fraction = 0.0;
  double dp_overlap_fraction = 1.0;  // of the last micro-batch's backward/forward
  double pp_overlap_fraction = 0.0;
  double ep_overlap_fraction = 0.0;
  // The share of the MoE all-to-all hidden when a run turns EP overlap on
  // (ep_comm_overlap) and the stack hides none by default: the shared
  // assumption for a switch, or the stack's measured figure (data/stacks).
  double ep_overlap_when_on = kSwitchOverlap;
  // ZeRO-3 / FSDP: separate parameter all-gathers per layer and pass (1 for
  // one flat buffer per layer; DeepSpeed 2021 gathered each tensor).
  int zero3_gathers_per_layer = 1;
  // FP8 training: extra bytes moved per GEMM input element for the casts
  // (quantise + transposed copy + amax). Transformer Engine fuses them into
  // the preceding kernel (~2); unfused dynamic scaling in eager PyTorch
  // reads and writes more (see data/stacks).
  double fp8_cast_bytes = 2.0;
  // Operators the framework dispatches from the host per layer and
  // micro-batch (forward + backward); with the profile's per-op host cost
  // they set the floor below which a layer cannot run (launch-bound).
  double host_ops_per_layer = 90.0;
  // Element-wise memory traffic relative to fused kernels (norms, rotary,
  // activation, residual): eager PyTorch runs each operator as its own
  // kernel and re-reads its inputs (data/stacks derives the factor).
  double elementwise_traffic_factor = 1.0;
  // MoE token permutation to expert order and back (gather, scatter, the
  // weighted sum of each token's top-k copies): bytes moved per routed
  // hidden element in the forward pass; the backward moves twice that, as
  // every element-wise pass. 8 is the floor (each copy written and read once
  // each way in 16 bits); measured on an H200 (data/validation/kernels/h200.toml
  // [[moe_glue]]): ~28 for eager PyTorch index ops, ~15 fused.
  double moe_permute_bytes = 8.0;
  // Selective recompute: the share of the layer's forward GEMMs recomputed
  // too (Megatron recomputes only the attention core: 0; torchtitan's per-op
  // policy saves every other matmul output: 0.5).
  double selective_recompute_gemm_fraction = 0.0;
  // Attention kernels tuned for each architecture (cuDNN fused attention,
  // FlashAttention-3 on Hopper) rather than portable FlashAttention-2.
  bool native_attention = true;
  // MoE dispatch across scale-up domains: true sends a token once per remote
  // domain and fans it out inside (DeepEP / node-limited routing); false
  // sends every routed copy (a plain all-to-all dispatcher, the default).
  // A run's moe_dispatcher overrides it.
  bool ep_dedup = false;
  // FP8 training: the MoE dispatch all-to-alls carry FP8 (the activations
  // forward, their gradients before the down-projection backward, quantised
  // before the exchange as DeepSeek-V3's framework does); false dispatches
  // BF16 and quantises inside the expert GEMMs (Megatron-Core, which does
  // not support FP8 EP dispatch). Combines are BF16 either way.
  bool fp8_dispatch = false;
  // FP8 training with sequence parallelism: the TP all-gathers carry the
  // FP8-cast GEMM inputs (forward) and gradients (backward), 1 byte per
  // element; the reduce-scatters stay BF16. TE quantizes before
  // gather_along_first_dim in LayerNormLinear and in the row-parallel
  // backward; torchao's tensorwise Float8ColwiseParallel/RowwiseParallel
  // cast before redistribute (torchtitan gathers rowwise recipes in high
  // precision). false: every TP collective BF16.
  bool fp8_tp_allgather = false;
  // Bytes per gradient element in the data-parallel reduction.
  double grad_reduce_bytes = 4.0;
  std::string defined_at;
};

}  // namespace suanli

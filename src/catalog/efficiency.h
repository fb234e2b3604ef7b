// Per-accelerator efficiency calibration (data/efficiency/*.toml): how much
// of each datasheet peak a real software stack achieves. The performance
// model uses these instead of constants in code; users replace them with
// their own measured tables.
#pragma once

#include <span>
#include <string>
#include <string_view>

namespace suanli {

struct EfficiencyProfile {
  std::string id;
  std::string base;  // the profile this one started as a copy of (`base = "id"`), or empty
  std::string source;
  std::string confidence = "estimate";
  // Achieved fraction of the dense peak for a large, well-shaped GEMM.
  double gemm_peak_fraction = 0.70;
  // GEMMs below this many FLOPs run at reduced efficiency (wave quantization
  // and tail effects): eff = peak_frac * F / (F + gemm_half_flops).
  double gemm_half_flops = 2.0e9;
  // MoE expert GEMMs: half of the large-GEMM efficiency at this many
  // microseconds of work at the dense peak (half-FLOPs = peak x this), the
  // size curve of a GEMM dispatched to a device that waits for it. Routing
  // fixes the experts' shapes on the device; dropless dispatchers copy them
  // to the host and synchronise once per layer, and the expert GEMMs are
  // issued behind that sync, so the device cannot run ahead of their
  // dispatch. 0 = gemm_half_flops (queued like any other GEMM).
  double expert_gemm_half_us = 0.0;
  // FP8 GEMMs reach a lower fraction of their (doubled) peak than BF16:
  // fp8_gemm_ratio x gemm_peak_fraction, so the FP8 rate follows a fitted
  // BF16 fraction. Default 0.87 (H100 cuBLAS: ~1,300 of 1,979 FP8 vs ~750 of
  // 989 BF16 TFLOPS; this project's H200 microbenchmark agrees). A fixed
  // fp8_gemm_peak_fraction > 0 overrides the ratio.
  double fp8_gemm_ratio = 0.87;
  double fp8_gemm_peak_fraction = 0.0;
  // FP8 GEMMs with per-row scales (torchao's rowwise recipes) at this share
  // of the per-tensor rate the two fields above give. Default 0.9: PyTorch's
  // rowwise _scaled_mm (a CUTLASS kernel) against tensorwise (cuBLAS) on an
  // H100, "most shapes within 90-100% of tensor-wise efficiency, but a long
  // tail going down to 50%" (pytorch/pytorch issue 147971, fast accumulation;
  // torchao's backward avoids the slow-accumulation kernel with cuBLAS and a
  // rescale, pytorch/ao PR 1325).
  double fp8_rowwise_gemm_ratio = 0.9;
  // INT8 GEMMs (W8A8, W4A8) at int8_gemm_ratio x gemm_peak_fraction of the
  // INT8 peak, where a stack's W8A8 gains far less over BF16 than the
  // doubled peak (measured end to end, see data/efficiency/profiles.toml).
  // Set, it overrides fp8_gemm_peak_fraction and fp8_gemm_ratio for INT8;
  // 0 = the FP8 rule above.
  double int8_gemm_ratio = 0.0;
  // The same GEMMs in a serving forward pass (prefill, decode at large
  // batch), at the rate a kernel benchmark of the model's forward shapes
  // measures: gemm_peak_fraction is fitted to training, whose GEMMs run
  // beside communication kernels that take SMs and memory bandwidth, under
  // a sustained power cap, with the backward's transposed shapes. FP8 keeps
  // its ratio to BF16. 0 = gemm_peak_fraction (no kernel benchmark).
  double forward_gemm_peak_fraction = 0.0;
  // A serving GEMM's time from its weight reads t_m and its math t_c:
  // (t_m^p + t_c^p)^(1/p). Near the ridge point (decode at batch 64-256)
  // a kernel overlaps its loads and its math imperfectly, so the two add
  // partly; far from it the larger wins. 0 = max(t_m, t_c) (p infinite:
  // the bare roofline, where no kernel benchmark measures the corner).
  double gemm_roofline_exponent = 0.0;
  // Achieved fraction of the dense peak in fused (flash) attention kernels.
  double attention_peak_fraction = 0.50;
  // The same for portable flash-attention kernels that do not use the
  // architecture's newest tensor-core instructions (FlashAttention-2 on
  // Hopper); 0 = as attention_peak_fraction. Stacks say which they run.
  double attention_portable_fraction = 0.0;
  // A serving prefill runs the forward attention kernel alone, whose
  // efficiency rises with the prompt length and saturates:
  // prefill_attention_peak_fraction x n / (n + prefill_attention_half_seq)
  // for an n-token prompt. 0 = attention_peak_fraction at every length.
  double prefill_attention_peak_fraction = 0.0;
  double prefill_attention_half_seq = 0.0;
  // Achieved fraction of memory bandwidth in streaming kernels.
  double memory_bw_fraction = 0.80;
  // The serving stack's achieved fraction in a decode step's weight and
  // KV-cache reads (paged attention, small GEMMs, the engine between them),
  // fitted to the serving rows of data/validation like gemm_peak_fraction to
  // the training rows; 0 = memory_bw_fraction.
  double decode_memory_bw_fraction = 0.0;
  // Achieved bus bandwidth / nominal per-direction link bandwidth.
  double scaleup_bw_fraction = 0.75;
  double scaleout_bw_fraction = 0.80;
  // Compute runs slower beside a communication kernel it hides (SMs and
  // memory bandwidth taken by the collective): the fractional slowdown of
  // the compute a data-parallel collective overlaps. 0 = no slowdown.
  double overlap_compute_slowdown = 0.0;
  double scaleup_latency_us = 10.0;  // per collective step
  double scaleout_latency_us = 20.0;
  double kernel_overhead_us = 5.0;  // launch + tail per kernel
  // Host time to dispatch one framework operator (eager PyTorch + driver
  // launch); a layer is launch-bound when its kernels finish faster.
  double host_op_overhead_us = 10.0;
  // Memory held back from the model (runtime, allocator fragmentation).
  double memory_reserved_gb = 4.0;
  double memory_usable_fraction = 0.95;
  // Fixed per-step cost of a decode iteration (scheduler, sampling, launch).
  double decode_step_overhead_us = 200.0;
  std::string defined_at;
};

// Each number of a profile, defined once for the catalog's reader and for
// `suanli calibrate`'s writer: its key, member and bounds, and whether 0
// means "derived from another field" (written only when set).
struct ProfileNumber {
  std::string_view key;
  double EfficiencyProfile::*member;
  double lo, hi;
  bool zero_derives = false;
};
std::span<const ProfileNumber> profile_numbers();

// The spread of the model's out-of-sample errors (data/efficiency/
// residuals.toml, written by `suanli validate --cross-validate
// --write-residuals`): quantiles of predicted / measured - 1 over held-out
// rows, for one profile (optionally on one stack) or pooled ("all").
struct ResidualSpread {
  std::string profile;  // efficiency profile id, or "all"
  std::string stack;    // "" = every stack
  std::string kind;     // "train" | "infer"
  int rows = 0;         // held-out rows behind the quantiles
  double p10 = 0, p50 = 0, p90 = 0;
  std::string source;
  std::string defined_at;
};

// Which residual row an estimate uses, and at which level it was found.
struct ResidualChoice {
  const ResidualSpread* spread = nullptr;  // null: the catalog has none
  std::string level;                       // "profile+stack", "profile" or "pooled"
};

}  // namespace suanli

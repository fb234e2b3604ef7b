// A numeric view of one accelerator under one efficiency profile, in SI
// units (FLOP/s, bytes, bytes/s, seconds). Built once per estimate or
// search so the inner loops do arithmetic only.
#pragma once

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "catalog/accelerator.h"
#include "catalog/efficiency.h"
#include "util/error.h"

namespace suanli {

struct DeviceModel {
  const Accelerator* accel = nullptr;
  const EfficiencyProfile* profile = nullptr;
  Precision compute_precision = Precision::kBf16;
  double peak_flops = 0;       // dense peak at the compute precision
  double bf16_peak_flops = 0;  // dense BF16 (or FP16) peak, the MFU reference
  double memory_bytes = 0;     // usable bytes for the model (after reserve)
  double memory_total_bytes = 0;
  double mem_bw = 0;         // achieved bytes/s
  double decode_mem_bw = 0;  // achieved in a serving decode step (decode_memory_bw_fraction)
  double scaleup_bw = 0;     // achieved bus bytes/s per direction
  double scaleout_bw = 0;
  double scaleup_latency = 0;  // seconds
  double scaleout_latency = 0;
  int scaleup_domain = 1;
  bool scaleup_full_mesh = false;  // point-to-point links, not switches
  // Compute dies per package run as separate ranks (Ascend 910C: 2) and
  // the achieved per-direction bandwidth between the dies of one package.
  // The figures above are the package's; per_die() divides them.
  int dies = 1;
  double die_link_bw = 0;
  double gemm_eff = 0.7;
  double bf16_gemm_eff = 0.7;      // gemm_eff at BF16 (a BF16 GEMM in an FP8 run)
  double fp8_rowwise_ratio = 1.0;  // EfficiencyProfile::fp8_rowwise_gemm_ratio
  double forward_gemm_eff = 0.7;  // in a serving forward pass (inference)
  double bf16_forward_gemm_eff = 0.7;  // the same at BF16 (no low-precision derate)
  double gemm_roofline_p = 0;     // EfficiencyProfile::gemm_roofline_exponent
  double gemm_half_flops = 2e9;
  // EfficiencyProfile::expert_gemm_half_us, in seconds (0: gemm_half_flops).
  double expert_gemm_half_s = 0;
  double attn_eff = 0.5;
  double attn_portable_eff = 0.5;  // portable (FlashAttention-2-class) kernels
  // Forward-only attention of an n-token prompt (a serving prefill):
  // prefill_attn_eff x n / (n + prefill_attn_half_seq).
  double prefill_attn_eff = 0.5;
  double prefill_attn_half_seq = 0;
  double prefill_attention_eff(double n) const {
    return prefill_attn_half_seq > 0 ? prefill_attn_eff * n / (n + prefill_attn_half_seq)
                                     : prefill_attn_eff;
  }
  double kernel_overhead = 5e-6;
  double host_op_overhead = 10e-6;
  // Fractional slowdown of compute beside a collective it hides
  // (EfficiencyProfile::overlap_compute_slowdown).
  double overlap_slowdown = 0;
  double decode_overhead = 2e-4;
  double tdp_w = 0;
  // Cost per device-hour on cost_basis (perf/cost.h price_device; 0: unknown
  // or not priced).
  double hourly_usd = 0;
  std::string cost_basis;
  // Figures behind this model that are estimates or placeholders
  // (e.g. "memory_bw_gbps (placeholder)"), for the output's caveats.
  std::vector<std::string> unverified;

  // Per-direction bandwidth a group of `members` chips inside one scale-up
  // domain gets to its peers: the whole link through a switch; k-1 of the
  // D-1 point-to-point links in a full mesh of D chips.
  double group_bw(long long members) const {
    if (!scaleup_full_mesh || scaleup_domain <= 2 || members >= scaleup_domain) return scaleup_bw;
    const double k = members < 2 ? 2.0 : static_cast<double>(members);
    return scaleup_bw * (k - 1.0) / (scaleup_domain - 1.0);
  }

  // A serving GEMM's time from its reads' and its math's (the profile's
  // rounded roofline corner; the larger of the two without one).
  double serving_gemm(double read_s, double math_s) const {
    const double hi = std::max(read_s, math_s);
    if (!(gemm_roofline_p > 0) || !(hi > 0)) return hi;
    const double lo = std::min(read_s, math_s) / hi;
    return hi * std::pow(1.0 + std::pow(lo, gemm_roofline_p), 1.0 / gemm_roofline_p);
  }

  // Time of a GEMM of `flops` touching `bytes`: roofline with a
  // size-dependent efficiency, plus one kernel overhead.
  double gemm_time(double flops, double bytes) const {
    const double eff = gemm_eff * flops / (flops + gemm_half_flops);
    const double tc = flops / (peak_flops * eff);
    const double tm = bytes / mem_bw;
    return (tc > tm ? tc : tm) + kernel_overhead;
  }
};

// The share of nominal memory bandwidth a serving decode step's reads
// achieve: the profile's decode_memory_bw_fraction, else its
// memory_bw_fraction (the one place this fallback is written).
double decode_bw_fraction(const EfficiencyProfile& e);

// One die of a multi-die package as a device of its own: compute, memory,
// memory bandwidth and links divided by the dies, the scale-up domain
// counted in dies. Power and rental price stay per package (what is bought
// and metered). Identity for a single-die chip.
DeviceModel per_die(const DeviceModel& package);

// Fails with kUnsupported when the chip has no rate at `compute` (e.g. FP8
// on an Ascend 910C) and with kInvalidArgument when a figure the model
// needs is missing.
Result<DeviceModel> make_device_model(const Accelerator& accel, const EfficiencyProfile& profile,
                                      Precision compute);

// A communication group's link: inside one scale-up domain, or across
// domains, where NCCL runs one ring channel per NIC: when k members of the
// group share a domain, the collective sees k NICs' bandwidth (bounded by
// the scale-up link the channels also cross). Members `stride` ranks apart;
// a group on the dies of one package uses the die-to-die link.
struct GroupLink {
  double bw = 0;
  double lat = 0;
  bool scaleout = false;
};
GroupLink group_link(const DeviceModel& d, long long ranks, long long stride);

// Collective cost models (ring algorithms, NCCL-style bus bandwidth).
// `bytes` is the full buffer size per rank; `bw` the achieved per-direction
// link bandwidth; `lat` the per-step latency.
double ring_allreduce_time(double bytes, int ranks, double bw, double lat);
double ring_allgather_time(double bytes, int ranks, double bw, double lat);  // also reduce-scatter
double alltoall_time(double bytes_per_rank, int ranks, double bw, double lat);

// How an expert exchange moves a token to the ranks of its top_k experts:
// every routed copy (DeepEP's low-latency kernels, decode); once to each
// rank, and across scale-up domains once to each remote domain, holding
// one of its experts (DeepEP's normal kernels, prefill: get_dispatch_layout's
// is_token_in_rank); or to every rank (TensorRT-LLM's attention-DP MoE:
// all-gather the tokens, reduce-scatter the outputs).
enum class ExpertExchange { kLowLatency, kNormal, kAllGather };

// One expert exchange (a dispatch or a combine) over `ranks`: each rank
// sends `tokens` tokens of `token_bytes`, experts spread evenly. Within one
// scale-up domain over its links; across domains each rank's NIC carries
// what is bound for other domains while the copies for its own domain
// cross the scale-up links at the same time. device.cpp gives the formulas.
double ep_alltoall_time(const DeviceModel& d, double tokens, int top_k, double token_bytes,
                        int ranks, ExpertExchange how);

}  // namespace suanli

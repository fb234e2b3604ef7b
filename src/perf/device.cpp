#include "perf/device.h"

#include <fmt/format.h>
#include <algorithm>
#include <cmath>
#include <limits>

namespace suanli {

namespace {
void note_if_unverified(const std::optional<Figure>& f, const char* name,
                        std::vector<std::string>& out) {
  if (f && f->unverified()) {
    out.push_back(fmt::format("{} ({})", name, confidence_name(f->confidence)));
  }
}
}  // namespace

double decode_bw_fraction(const EfficiencyProfile& e) {
  return e.decode_memory_bw_fraction > 0 ? e.decode_memory_bw_fraction : e.memory_bw_fraction;
}

DeviceModel per_die(const DeviceModel& package) {
  if (package.dies <= 1) return package;
  DeviceModel d = package;
  const double k = package.dies;
  const double usable = package.profile ? package.profile->memory_usable_fraction : 1.0;
  const double reserved = package.memory_total_bytes * usable - package.memory_bytes;
  d.peak_flops /= k;
  d.bf16_peak_flops /= k;
  d.memory_total_bytes /= k;
  d.memory_bytes = d.memory_total_bytes * usable - reserved;  // each die keeps its reserve
  d.mem_bw /= k;
  d.decode_mem_bw /= k;
  d.scaleup_bw /= k;
  d.scaleout_bw /= k;
  d.scaleup_domain = static_cast<int>(std::min<long long>(
      1LL * package.scaleup_domain * package.dies, std::numeric_limits<int>::max()));
  return d;
}

Result<DeviceModel> make_device_model(const Accelerator& a, const EfficiencyProfile& e,
                                      Precision compute) {
  DeviceModel d;
  d.accel = &a;
  d.profile = &e;
  d.compute_precision = compute;
  const auto& rate = a.rate(compute);
  if (!rate) {
    std::string have;
    for (auto p : kAllPrecisions) {
      if (a.supports(p)) have += (have.empty() ? "" : ", ") + std::string(precision_name(p));
    }
    return fail(
        ErrorCode::kUnsupported,
        fmt::format("{} has no {} rate (it supports: {}){}", a.id, precision_name(compute), have,
                    compute == Precision::kFp8
                        ? "; use --precision bf16 (training) or int8 (W8A8 inference)"
                        : ""));
  }
  const auto& bf16 = a.rate(Precision::kBf16) ? a.rate(Precision::kBf16) : a.rate(Precision::kFp16);
  if (!bf16) {
    return fail(ErrorCode::kInvalidArgument,
                fmt::format("{} has no bf16 or fp16 rate; the MFU reference is undefined", a.id));
  }
  auto need = [&](const std::optional<Figure>& f, const char* name) -> Result<double> {
    if (!f) {
      return fail(ErrorCode::kInvalidArgument,
                  fmt::format("{} has no {} in the catalog ({}); add it in a catalog file", a.id,
                              name, a.defined_at));
    }
    return f->value;
  };
  auto mem = need(a.memory_gb, "figures.memory_gb");
  auto bw = need(a.memory_bw_gbps, "figures.memory_bw_gbps");
  if (!mem) return std::unexpected(mem.error());
  if (!bw) return std::unexpected(bw.error());
  d.peak_flops = rate->value * 1e12;
  d.bf16_peak_flops = bf16->value * 1e12;
  // Vendors' "80 GB" of HBM is 80 GiB (nvidia-smi shows 81,920 MiB).
  constexpr double kGiB = 1024.0 * 1024.0 * 1024.0;
  d.memory_total_bytes = *mem * kGiB;
  d.memory_bytes = *mem * kGiB * e.memory_usable_fraction - e.memory_reserved_gb * 1e9;
  d.mem_bw = *bw * 1e9 * e.memory_bw_fraction;
  d.decode_mem_bw = *bw * 1e9 * decode_bw_fraction(e);
  // Missing link figures: a PCIe-class scale-up link and a 100 Gb/s NIC,
  // reported as assumptions in `unverified`.
  const double up = a.scaleup_bidir_gbps ? a.scaleup_bidir_gbps->value : 64.0;
  const double out = a.scaleout_gbps ? a.scaleout_gbps->value : 12.5;
  if (!a.scaleup_bidir_gbps)
    d.unverified.push_back("scaleup_bidir_gbps (missing; 64 GB/s assumed)");
  if (!a.scaleout_gbps) d.unverified.push_back("scaleout_gbps (missing; 12.5 GB/s assumed)");
  d.scaleup_bw = up / 2.0 * 1e9 * e.scaleup_bw_fraction;
  d.scaleout_bw = out * 1e9 * e.scaleout_bw_fraction;
  d.scaleup_latency = e.scaleup_latency_us * 1e-6;
  d.scaleout_latency = e.scaleout_latency_us * 1e-6;
  d.scaleup_domain = a.scaleup_domain ? static_cast<int>(a.scaleup_domain->value) : 1;
  if (d.scaleup_domain < 1) d.scaleup_domain = 1;
  d.scaleup_full_mesh = a.scaleup_full_mesh;
  d.dies = a.dies < 1 ? 1 : a.dies;
  if (d.dies > 1) {
    // Without a figure the dies are assumed to talk at the package's
    // scale-up bandwidth (reported as an assumption).
    const double die_link = a.die_link_gbps ? a.die_link_gbps->value : up / 2.0;
    if (!a.die_link_gbps)
      d.unverified.push_back("die_link_gbps (missing; the scale-up link assumed)");
    note_if_unverified(a.die_link_gbps, "die_link_gbps", d.unverified);
    d.die_link_bw = die_link * 1e9 * e.scaleup_bw_fraction;
  }
  d.gemm_eff = e.gemm_peak_fraction;
  d.bf16_gemm_eff = e.gemm_peak_fraction;
  d.fp8_rowwise_ratio = e.fp8_rowwise_gemm_ratio;
  if (compute == Precision::kFp8 || compute == Precision::kFp4 || compute == Precision::kInt8) {
    d.gemm_eff = compute == Precision::kInt8 && e.int8_gemm_ratio > 0
                     ? e.int8_gemm_ratio * e.gemm_peak_fraction
                 : e.fp8_gemm_peak_fraction > 0 ? e.fp8_gemm_peak_fraction
                                                : e.fp8_gemm_ratio * e.gemm_peak_fraction;
  }
  d.bf16_forward_gemm_eff =
      e.forward_gemm_peak_fraction > 0 ? e.forward_gemm_peak_fraction : e.gemm_peak_fraction;
  d.forward_gemm_eff = e.forward_gemm_peak_fraction > 0
                           ? d.gemm_eff * e.forward_gemm_peak_fraction / e.gemm_peak_fraction
                           : d.gemm_eff;
  d.gemm_roofline_p = e.gemm_roofline_exponent;
  d.gemm_half_flops = e.gemm_half_flops;
  d.expert_gemm_half_s = e.expert_gemm_half_us * 1e-6;
  d.attn_eff = e.attention_peak_fraction;
  d.attn_portable_eff =
      e.attention_portable_fraction > 0 ? e.attention_portable_fraction : e.attention_peak_fraction;
  d.prefill_attn_eff = e.prefill_attention_peak_fraction > 0 ? e.prefill_attention_peak_fraction
                                                             : e.attention_peak_fraction;
  d.prefill_attn_half_seq =
      e.prefill_attention_peak_fraction > 0 ? e.prefill_attention_half_seq : 0;
  d.kernel_overhead = e.kernel_overhead_us * 1e-6;
  d.host_op_overhead = e.host_op_overhead_us * 1e-6;
  d.overlap_slowdown = e.overlap_compute_slowdown;
  d.decode_overhead = e.decode_step_overhead_us * 1e-6;
  d.tdp_w = a.tdp_w ? a.tdp_w->value : 0;
  note_if_unverified(rate, "dense rate", d.unverified);
  note_if_unverified(a.memory_gb, "memory_gb", d.unverified);
  note_if_unverified(a.memory_bw_gbps, "memory_bw_gbps", d.unverified);
  note_if_unverified(a.scaleup_bidir_gbps, "scaleup_bidir_gbps", d.unverified);
  note_if_unverified(a.scaleup_domain, "scaleup_domain", d.unverified);
  note_if_unverified(a.scaleout_gbps, "scaleout_gbps", d.unverified);
  if (e.confidence == "estimate" || e.confidence == "placeholder") {
    d.unverified.push_back(fmt::format("efficiency profile '{}' ({})", e.id, e.confidence));
  }
  if (d.memory_bytes <= 0) {
    return fail(ErrorCode::kInvalidArgument,
                fmt::format("{}: usable memory is not positive after the profile's reserve", a.id));
  }
  return d;
}

GroupLink group_link(const DeviceModel& d, long long ranks, long long stride) {
  // Every member on the dies of one package: the die-to-die link.
  if (d.dies > 1 && ranks > 1 && ranks * stride <= d.dies) {
    return {d.die_link_bw, d.scaleup_latency, false};
  }
  if (ranks * stride <= d.scaleup_domain) return {d.group_bw(ranks), d.scaleup_latency, false};
  const long long per_domain =
      std::max<long long>(1, std::min<long long>(ranks, d.scaleup_domain / std::max(1LL, stride)));
  return {std::min(d.scaleout_bw * static_cast<double>(per_domain), d.group_bw(per_domain)),
          d.scaleout_latency, true};
}

namespace {
// Latency steps: NCCL switches to tree / low-latency protocols for small
// messages, so the latency term grows with log2(ranks), not with ranks.
double log2_steps(int ranks) { return std::ceil(std::log2(static_cast<double>(ranks))); }

// An all-to-all posts its sends to every peer at once, so the peers'
// latencies overlap: one send and one completion signal, 2 x lat at any
// rank count. Measured for DeepEP's low-latency kernels over RDMA (its
// table: H800, CX7 400 Gb/s, 128 tokens, 7168 hidden, top-8, dispatch
// 118-194 us and combine 195-369 us at EP 16-256, which the bandwidth term
// plus 16 us meets within -13%..+1%; the old lat x (1 + (ranks - 1)/8)
// added 119-247 us more at EP 128-256; ExpertExchangeLatencyDoesNotGrow-
// WithTheRanks). Assumed for the other all-to-alls, NCCL's grouped
// send/recv (training's MoE exchanges) and HCCL/UB's, as no table there
// shows a per-peer cost either.
double alltoall_latency(double lat) { return 2.0 * lat; }
}  // namespace

double ring_allreduce_time(double bytes, int ranks, double bw, double lat) {
  if (ranks <= 1) return 0.0;
  const double k = ranks;
  return 2.0 * (k - 1) / k * bytes / bw + 2.0 * log2_steps(ranks) * lat;
}

// NCCL has no tree algorithm for all-gather / reduce-scatter: the ring's
// k-1 steps each pay the latency.
double ring_allgather_time(double bytes, int ranks, double bw, double lat) {
  if (ranks <= 1) return 0.0;
  const double k = ranks;
  return (k - 1) / k * bytes / bw + (k - 1) * lat;
}

double alltoall_time(double bytes_per_rank, int ranks, double bw, double lat) {
  if (ranks <= 1) return 0.0;
  const double k = ranks;
  return (k - 1) / k * bytes_per_rank / bw + alltoall_latency(lat);
}

// Across domains the slower of the NIC and the scale-up links sets the
// time. Copies per token (R ranks, D per domain, G = R/D domains, top k):
// low-latency k, (R - D)/R of them to other domains; normal R(1 - (1 -
// 1/R)^k), one per rank holding one of its experts, and across domains
// (G - 1)(1 - (1 - 1/G)^k) over the NIC, one per remote domain, forwarded
// inside it; all-gather R, the (R - D) remote ones arriving over the D
// NICs of each domain ((R - D)/D per NIC). Over the scale-up links a rank
// sends its copies for its own domain, (D - 1)/R of them; all-gathered,
// also what its NIC brought in, to its D - 1 peers: (D - 1)/D of them.
double ep_alltoall_time(const DeviceModel& d, double tokens, int top_k, double token_bytes,
                        int ranks, ExpertExchange how) {
  const double r = ranks;
  const int local = std::max(1, d.scaleup_domain);
  const double domains = std::ceil(r / local);
  // Copies sent per token, and the share of the copies a rank passes over
  // the scale-up links, times D - 1.
  double fanout = top_k;
  double share = 1.0 / r;
  if (how == ExpertExchange::kNormal) fanout = r * (1.0 - std::pow(1.0 - 1.0 / r, top_k));
  if (how == ExpertExchange::kAllGather) {
    fanout = r;
    share = 1.0 / local;
  }
  const double copies = tokens * fanout * token_bytes;
  if (ranks <= d.scaleup_domain) {
    const GroupLink link = group_link(d, ranks, 1);
    return alltoall_time(copies, ranks, link.bw, link.lat);
  }
  const double remote =
      how == ExpertExchange::kNormal
          ? tokens * token_bytes * (domains - 1) * (1.0 - std::pow(1.0 - 1.0 / domains, top_k))
      : how == ExpertExchange::kAllGather ? tokens * token_bytes * (r - local) / local
                                          : copies * (r - local) / r;
  double inside = 0;
  if (local > 1) inside = copies * (local - 1) * share / group_link(d, local, 1).bw;
  return std::max(remote / d.scaleout_bw, inside) + alltoall_latency(d.scaleout_latency);
}

}  // namespace suanli

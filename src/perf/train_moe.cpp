// One MoE layer's expert work for one micro-batch on one rank: the grouped
// expert GEMMs, shared experts, token permutation and router, and the
// dispatch / combine all-to-alls of the forward (train.h:
// TrainModel::moe_cost).
#include <algorithm>
#include <cmath>

#include "perf/train.h"
#include "perf/train_detail.h"

namespace suanli {

using namespace train_detail;  // NOLINT: the training model's own constants

TrainModel::MoeCost TrainModel::moe_cost(const Parallelism& par, double n, double in_bytes) const {
  const ModelArch& m = w_.model;
  const DeviceModel& d = dev_;
  const auto& e = *m.moe;
  const double h = m.hidden;
  const double t = par.tp;
  const double sp = par.sequence_parallel ? t : 1.0;
  const double etp = std::max(1, par.etp);
  MoeCost c;
  const double tok_dev = n / sp;  // tokens owned by this rank after SP
  const double routed = tok_dev * e.top_k;
  // With expert TP the etp ranks of an expert share its tokens' GEMMs.
  const double local_experts = static_cast<double>(e.experts) / par.ep;
  const double per_expert_tokens = routed * etp / local_experts;
  // Each expert GEMM, issued from the host expert by expert behind the
  // layer's sync, runs on the size curve of a GEMM the device waits for:
  // half efficiency at expert_gemm_half_us of work at the run precision's
  // peak (EfficiencyProfile::expert_gemm_half_us), never above the queued
  // curve (a slow FP32 peak would put it below); under a whole-iteration
  // CUDA graph it is queued like any other.
  const double expert_half = w_.cuda_graph
                                 ? d.gemm_half_flops
                                 : std::max(d.gemm_half_flops, d.expert_gemm_half_s * d.peak_flops);
  for (const auto& g : expert_gemms_) {
    const double nout = g.n / etp;
    const double flops_each = 2.0 * per_expert_tokens * g.k * nout;
    const double total_flops = flops_each * local_experts;
    const double eff = d.gemm_eff * flops_each / (flops_each + expert_half);
    const double bytes = in_bytes * local_experts * g.k * nout +
                         (in_bytes + 2.0) * routed * etp * (g.k + nout) / 2.0;
    const double time =
        std::max(total_flops / (d.peak_flops * eff), bytes / d.mem_bw) + d.kernel_overhead;
    c.gemm += time;
  }
  if (e.shared_experts > 0) {
    for (const auto& g : expert_gemms_) {
      const double nout = g.n * e.shared_experts / t;
      const double flops = 2.0 * n * g.k * nout;
      c.gemm += d.gemm_time(flops, in_bytes * (n * g.k + g.k * nout) + 2.0 * n * nout);
    }
  }
  c.compute = c.gemm;
  // Token permutation to expert order and back: the stack's bytes per
  // routed element (8 when each copy is written and read once each way).
  c.compute += w_.stack.moe_permute_bytes * routed * h / d.mem_bw + 4.0 * d.kernel_overhead;
  // Router: a small GEMM plus top-k.
  c.compute += d.gemm_time(2.0 * tok_dev * h * e.experts, 2.0 * tok_dev * (h + e.experts)) +
               d.kernel_overhead * 4;
  // Dispatch and combine all-to-alls. Within a scale-up domain tokens go
  // straight to their experts; across domains a token is sent once per
  // remote domain that hosts one of its experts and forwarded inside it
  // (DeepEP / node-limited routing), so the scale-out volume per token is
  // the expected number of distinct remote domains, not top-k.
  const double span = static_cast<double>(par.ep) * etp * par.cp;
  // FP8 runs dispatch FP8 only where the stack quantises before the
  // all-to-all; otherwise the experts quantise what arrives in BF16.
  const double dispatch_bytes = (in_bytes < 2.0 && w_.stack.fp8_dispatch) ? in_bytes : 2.0;
  const double combine_bytes = 2.0;
  // EP partners sit etp ranks apart (expert TP groups are contiguous).
  const double ep_bw = group_link(d, par.ep, static_cast<long long>(etp)).bw;
  if (span <= d.scaleup_domain) {
    c.alltoall = alltoall_time(routed * h * dispatch_bytes, par.ep, ep_bw, d.scaleup_latency) +
                 alltoall_time(routed * h * combine_bytes, par.ep, ep_bw, d.scaleup_latency);
    c.alltoall_bytes = routed * h * (dispatch_bytes + combine_bytes) * (par.ep - 1.0) / par.ep;
    return c;
  }
  const double domains = std::ceil(span / d.scaleup_domain);
  const double remote =
      (domains - 1.0) * (1.0 - std::pow(1.0 - 1.0 / domains, static_cast<double>(e.top_k)));
  // Inside the destination domain each received token fans out to the
  // experts there, at the width it crossed the network; on average top_k
  // copies land across the group.
  const double intra = routed * h / domains;
  // Without deduplication every routed copy bound for another domain
  // crosses the scale-out network.
  const double inter = w_.ep_dedup.value_or(w_.stack.ep_dedup)
                           ? tok_dev * remote * h
                           : routed * h * (domains - 1.0) / domains;
  const int ranks_out = static_cast<int>(domains);
  const int ranks_in = std::max(2, d.scaleup_domain);
  c.alltoall = alltoall_time(inter * dispatch_bytes, ranks_out, d.scaleout_bw, d.scaleout_latency) +
               alltoall_time(inter * combine_bytes, ranks_out, d.scaleout_bw, d.scaleout_latency) +
               alltoall_time(intra * dispatch_bytes, ranks_in, d.scaleup_bw, d.scaleup_latency) +
               alltoall_time(intra * combine_bytes, ranks_in, d.scaleup_bw, d.scaleup_latency);
  c.alltoall_bytes = (inter + intra) * (dispatch_bytes + combine_bytes);
  return c;
}

}  // namespace suanli

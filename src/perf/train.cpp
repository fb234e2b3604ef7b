#include "perf/train.h"

#include <fmt/format.h>
#include <algorithm>
#include <cmath>
#include <limits>

#include "perf/train_detail.h"

namespace suanli {

using namespace train_detail;  // NOLINT: the training model's own constants

std::string_view recompute_name(Recompute r) {
  switch (r) {
    case Recompute::kNone:
      return "none";
    case Recompute::kSelective:
      return "selective";
    case Recompute::kFull:
      return "full";
  }
  return "selective";
}

std::optional<Recompute> parse_recompute(std::string_view text) {
  if (text == "none") return Recompute::kNone;
  if (text == "selective") return Recompute::kSelective;
  if (text == "full") return Recompute::kFull;
  return std::nullopt;
}

std::string_view fp8_recipe_name(Fp8Recipe r) {
  switch (r) {
    case Fp8Recipe::kTensorwise:
      return "tensorwise";
    case Fp8Recipe::kRowwise:
      return "rowwise";
    case Fp8Recipe::kRowwiseGwHp:
      return "rowwise-gw-hp";
  }
  return "tensorwise";
}

std::optional<Fp8Recipe> parse_fp8_recipe(std::string_view text) {
  for (Fp8Recipe r : {Fp8Recipe::kTensorwise, Fp8Recipe::kRowwise, Fp8Recipe::kRowwiseGwHp}) {
    if (text == fp8_recipe_name(r)) return r;
  }
  return std::nullopt;
}

std::string train_precision_label(const TrainWorkload& w) {
  std::string label(precision_name(w.precision));
  if (w.precision == Precision::kFp8 && w.fp8_recipe != Fp8Recipe::kTensorwise) {
    label += " ";
    label += fp8_recipe_name(w.fp8_recipe);
  }
  return label;
}

namespace {
// What a board draws: its power limit below the TDP, else the TDP. The
// clock (TrainModel::create) and the energy (train_totals) both follow it.
double board_watts(double power_limit_w, double tdp_w) {
  return power_limit_w > 0 && tdp_w > 0 ? std::min(power_limit_w, tdp_w) : tdp_w;
}
}  // namespace

Result<TrainModel> TrainModel::create(const TrainWorkload& w, const DeviceModel& dev, int devices) {
  const ModelArch& m = w.model;
  if (devices <= 0) return fail(ErrorCode::kInvalidArgument, "--devices must be positive");
  if (w.seq <= 0) return fail(ErrorCode::kInvalidArgument, "--seq must be positive");
  if (w.global_batch <= 0) {
    return fail(ErrorCode::kInvalidArgument, "--global-batch must be positive");
  }
  if (m.layers <= 0 || m.hidden <= 0 || m.heads <= 0 || m.vocab <= 0) {
    return fail(ErrorCode::kInvalidArgument, "layers, hidden, heads and vocab must be positive");
  }
  if (w.precision != Precision::kBf16 && w.precision != Precision::kFp8 &&
      w.precision != Precision::kFp16 && w.precision != Precision::kFp32 &&
      w.precision != Precision::kTf32) {
    return fail(ErrorCode::kInvalidArgument,
                "training precision must be bf16, fp16, fp8, tf32 or fp32");
  }
  if (w.tokens < 0) return fail(ErrorCode::kInvalidArgument, "--tokens must not be negative");
  if (!(w.power_limit_w >= 0) || w.power_limit_w > 1e5) {
    return fail(ErrorCode::kInvalidArgument, "--power-limit must be 0..100,000 W");
  }
  if (dev.dies > 1 && devices > std::numeric_limits<int>::max() / dev.dies) {
    return fail(ErrorCode::kInvalidArgument, "--devices times the package's dies is too large");
  }
  TrainModel t;
  t.w_ = w;
  t.dev_ = per_die(dev);
  if (!(t.dev_.memory_bytes > 0)) {
    return fail(ErrorCode::kInvalidArgument,
                fmt::format("{}: usable memory per die is not positive after the profile's reserve",
                            dev.accel ? dev.accel->id : std::string("device")));
  }
  if (!w.stack.native_attention) t.dev_.attn_eff = dev.attn_portable_eff;
  if (const double watts = board_watts(w.power_limit_w, dev.tdp_w); watts < dev.tdp_w) {
    const double clock = std::cbrt(watts / dev.tdp_w);
    t.dev_.gemm_eff *= clock;
    t.dev_.bf16_gemm_eff *= clock;
    t.dev_.attn_eff *= clock;
    t.dev_.attn_portable_eff *= clock;
  }
  t.devices_ = devices;
  t.ranks_ = devices * t.dev_.dies;
  t.params_ = count_params(m);
  const double h = m.hidden;
  const double a = m.heads;
  const double kv = m.kv_heads > 0 ? m.kv_heads : m.heads;
  const double dh = m.head_dim > 0 ? m.head_dim : h / a;
  double d_qk = dh;
  double d_v = dh;
  if (m.mla) {
    const auto& s = *m.mla;
    d_qk = s.qk_nope_head_dim + s.qk_rope_head_dim;
    d_v = s.v_head_dim;
    if (s.q_lora_rank > 0) {
      t.attn_gemms_.push_back({h, static_cast<double>(s.q_lora_rank), false});
      t.attn_gemms_.push_back({static_cast<double>(s.q_lora_rank), a * d_qk, true});
    } else {
      t.attn_gemms_.push_back({h, a * d_qk, true});
    }
    t.attn_gemms_.push_back({h, static_cast<double>(s.kv_lora_rank + s.qk_rope_head_dim), false});
    t.attn_gemms_.push_back(
        {static_cast<double>(s.kv_lora_rank), a * (s.qk_nope_head_dim + s.v_head_dim), true});
    t.attn_gemms_.push_back({a * d_v, h, true});
    t.kv_elems_per_token_ = a * (d_qk + d_v);
    t.kv_split_ = m.heads;
  } else {
    t.attn_gemms_.push_back({h, (a + 2 * kv) * dh, true});
    t.attn_gemms_.push_back({a * dh, h, true});
    t.kv_elems_per_token_ = 2 * kv * dh;
    t.kv_split_ = static_cast<int>(kv);
  }
  t.attn_core_dim_ = a * (d_qk + d_v);
  const bool swiglu = m.mlp == MlpKind::kSwiglu;
  if (m.ffn > 0) {
    t.mlp_gemms_.push_back({h, (swiglu ? 2.0 : 1.0) * m.ffn, true});
    t.mlp_gemms_.push_back({static_cast<double>(m.ffn), h, true});
  }
  double act_ffn = swiglu ? 3.0 * m.ffn : 2.0 * m.ffn;
  if (m.is_moe()) {
    const auto& e = *m.moe;
    t.expert_gemms_.push_back({h, (swiglu ? 2.0 : 1.0) * e.expert_ffn, false});
    t.expert_gemms_.push_back({static_cast<double>(e.expert_ffn), h, false});
    t.dense_layers_ = e.first_dense_layers;
    t.moe_layers_ = m.layers - e.first_dense_layers;
    act_ffn = (swiglu ? 3.0 : 2.0) * e.expert_ffn * (e.top_k + e.shared_experts);
  } else {
    t.dense_layers_ = m.layers;
  }
  t.ffn_act_elems_ = act_ffn;
  // Model FLOPs per token: 3 x forward (forward + backward), matmuls of the
  // active parameters (input embedding excluded: it is a lookup) plus the
  // logits, plus causal attention s * heads * (d_qk + d_v) per layer.
  const double matmul_params =
      t.params_.active - static_cast<double>(m.vocab) * h * (m.tied_embeddings ? 0.0 : 1.0);
  const double attn_fwd = static_cast<double>(w.seq) * t.attn_core_dim_ * m.layers;
  t.model_flops_per_token_ = 3.0 * (2.0 * matmul_params + attn_fwd);
  const double logits_params = static_cast<double>(m.vocab) * h;
  t.recompute_flops_per_token_ = 2.0 * (matmul_params - logits_params) + attn_fwd;
  return t;
}

int TrainModel::stage_layers_max(const Parallelism& par, double layer_time, double logits_time,
                                 double* bottleneck) const {
  const int l = w_.model.layers;
  const int p = par.pp;
  if (p == 1) {
    *bottleneck = l * layer_time + logits_time;
    return l;
  }
  if (!w_.uneven_pipeline) {
    const int per = l / p;
    *bottleneck = per * layer_time + logits_time;
    return per;
  }
  // Uneven: the last stage takes k layers plus the logits; the other p-1
  // stages share the rest as evenly as possible. Pick k minimising the
  // slowest stage.
  double best = 1e300;
  int best_layers = ceil_div(l, p);
  for (int k = 1; k <= ceil_div(l, p); ++k) {
    const int rest = ceil_div(l - k, p - 1);
    const double slow = std::max(k * layer_time + logits_time, rest * layer_time);
    if (slow < best) {
      best = slow;
      best_layers = std::max(k, rest);
    }
  }
  *bottleneck = best;
  return best_layers;
}

namespace {

// Compute a collective may run beside, per link, in one window. Every
// collective that overlaps the window draws from the same budget.
struct Budget {
  double up = 0;
  double out = 0;
  double& on(bool scaleout) { return scaleout ? out : up; }
};
double hide(double time, double& budget) {
  const double h = std::clamp(budget, 0.0, time);
  budget -= h;
  return h;
}

// Hybrid sharding: each rank's reduced gradient shard (the stage's `dense`
// parameters over the `dpc`-rank sharding group, its `expert` ones over
// `edp`) all-reduced across the replica groups, one rank per group: time,
// bytes per device and link.
struct ReplicaAllReduce {
  double time = 0, bytes = 0;
  GroupLink link;
};
ReplicaAllReduce replica_allreduce(const DeviceModel& d, const Parallelism& par, double dense,
                                   double expert, int dpc, long long edp, double grad_b) {
  const int replicas = par.zero_replicas();
  ReplicaAllReduce r;
  r.link = group_link(d, replicas, 1LL * par.tp * dpc);
  const GroupLink erep = group_link(d, replicas, 1LL * par.ep * std::max(1, par.etp) * edp);
  const double dense_b = dense / dpc * grad_b;
  const double expert_b = expert / static_cast<double>(edp) * grad_b;
  r.time = ring_allreduce_time(dense_b, replicas, r.link.bw, r.link.lat) +
           (expert_b > 0 ? ring_allreduce_time(expert_b, replicas, erep.bw, erep.lat) : 0.0);
  r.bytes = 2.0 * (dense_b + expert_b) * (replicas - 1.0) / replicas;
  return r;
}

// A layer's TP bytes over those of 2-byte collectives. Where the stack
// all-gathers in FP8 under SP (SoftwareStack::fp8_tp_allgather), each RS +
// AG pair moves 2 + 1 bytes per element instead of 2 + 2, in every pass:
// 3/4. An MoE layer's MLP half keeps BF16 (Megatron gathers its tokens
// before the dispatch unquantized; at ETP 1 the experts gather nothing).
double tp_bytes_scale(bool fp8_allgather, bool sequence_parallel, double moe_frac) {
  if (!fp8_allgather || !sequence_parallel) return 1.0;
  return 0.75 + 0.25 * 0.5 * moe_frac;  // attention block 3/4; MLP block 3/4 dense, 1 MoE
}

void record_collective(TrainEstimate& e, const char* name, bool scaleout, double bytes, double bw,
                       double time, double hidden) {
  if (time <= 0 || e.collective_count >= kMaxCollectives) return;
  e.collectives[static_cast<std::size_t>(e.collective_count++)] =
      CollectiveCost{name, scaleout ? "scale-out" : "scale-up", bytes, bw, time, hidden};
}

}  // namespace

// TP time a layer's GEMMs hide over its passes where TP collectives are
// pipelined with GEMMs (TE userbuffers, Ascend MC2), each behind its own
// GEMM only, at most the overlap fraction of its time: with SP the
// all-gather before a block and the reduce-scatter after it behind the
// block's first and last GEMM; without, the all-reduce behind the last
// (forward) or the first's gradients (backward, twice the GEMM). MoE layers
// (their share `moe_frac` of the layers) pair the MLP's with half the
// expert GEMMs each.
double TrainModel::tp_hidden_time(const Parallelism& par, double n, double in_bytes, double tp_one,
                                  double moe_frac, double moe_gemm, bool full_recompute) const {
  const double ov = switched(w_.tp_comm_overlap, w_.stack.tp_overlap_fraction);
  if (par.tp <= 1 || !(ov > 0)) return 0.0;
  auto edges = [&](const std::vector<Gemm>& gs) {
    if (gs.empty()) return std::array<double, 2>{};
    return std::array{gs.front().time(dev_, n, par.tp, in_bytes),
                      gs.back().time(dev_, n, par.tp, in_bytes)};
  };
  const std::array<double, 2> attn = edges(attn_gemms_);
  std::array<double, 2> mlp = edges(mlp_gemms_);
  for (double& g : mlp) g = (1 - moe_frac) * g + moe_frac * 0.5 * moe_gemm;
  double fwd = 0, bwd = 0;
  for (const auto& b : {attn, mlp}) {
    if (par.sequence_parallel) {
      for (const double g : b) {
        fwd += std::min(0.5 * tp_one, ov * g);
        bwd += std::min(0.5 * tp_one, ov * 2.0 * g);
      }
    } else {
      fwd += std::min(tp_one, ov * b[1]);
      bwd += std::min(tp_one, ov * 2.0 * b[0]);
    }
  }
  return fwd * (full_recompute ? 2.0 : 1.0) + bwd;
}

// The FP8 recipe's time over per-tensor scaling (none outside FP8 runs),
// for GEMMs that take `gemm` seconds in the forward pass at the per-tensor
// rate: per-row scales run every GEMM at fp8_rowwise_ratio of that rate;
// keeping the weight gradient in BF16 runs that one (a forward's FLOPs) at
// the BF16 rate instead.
TrainModel::Fp8RecipeCost TrainModel::fp8_recipe_cost(double gemm) const {
  const DeviceModel& d = dev_;
  if (w_.precision != Precision::kFp8 || w_.fp8_recipe == Fp8Recipe::kTensorwise || !(gemm > 0) ||
      !(d.fp8_rowwise_ratio > 0)) {
    return {};
  }
  const double rowwise = gemm * (1.0 / d.fp8_rowwise_ratio - 1.0);
  Fp8RecipeCost c;
  c.fwd = rowwise;
  c.bwd = 2.0 * rowwise;
  const double bf16_rate = d.bf16_peak_flops * d.bf16_gemm_eff;
  if (w_.fp8_recipe == Fp8Recipe::kRowwiseGwHp && bf16_rate > 0) {
    c.bwd = rowwise + gemm * (d.peak_flops * d.gemm_eff / bf16_rate - 1.0);
  }
  return c;
}

TrainModel::LayerCost TrainModel::layer_cost(const Parallelism& par, bool recomputed) const {
  const ModelArch& m = w_.model;
  const DeviceModel& d = dev_;
  const double h = m.hidden;
  const double t = par.tp;
  const double n = static_cast<double>(par.micro_batch) * w_.seq / par.cp;  // tokens per rank
  const double sp = par.sequence_parallel ? t : 1.0;
  const bool fp8 = w_.precision == Precision::kFp8;
  const bool fp32 = full_precision(w_.precision);
  const double in_bytes = fp8 ? 1.0 : fp32 ? 4.0 : 2.0;
  const double attn_peak = fp32 ? d.peak_flops : d.bf16_peak_flops;
  const Recompute rc = recomputed ? Recompute::kFull
                       : par.recompute == Recompute::kFull ? Recompute::kNone
                                                           : par.recompute;
  // FP8 GEMMs need their activation operand quantised with a transposed
  // copy for the backward pass; the stack says how many bytes that moves.
  auto gemm_set_time = [&](const std::vector<Gemm>& gemms, double tokens, double& gemm_only) {
    double total = 0;
    for (const auto& g : gemms) {
      const double gemm = g.time(d, tokens, t, in_bytes);
      gemm_only += gemm;  // the GEMMs alone, without the casts
      total += gemm;
      if (fp8) total += w_.stack.fp8_cast_bytes * tokens * g.k / d.mem_bw + d.kernel_overhead;
    }
    return total;
  };
  double attn_only = 0, mlp_only = 0;  // the attention's and the MLP's GEMMs, no FP8 casts
  const double attn_gemm = gemm_set_time(attn_gemms_, n, attn_only);
  const double heads_local = static_cast<double>(m.heads) / t;
  double attn_core = 0;
  double attn_recompute = 0;  // extra forward of the attention core (selective)
  if (w_.stack.flash_attention) {
    // Fused kernel, causal: s/2 keys per query on average, 2 FLOP per MAC.
    const double flops = n * static_cast<double>(w_.seq) * heads_local * (attn_core_dim_ / m.heads);
    attn_core = flops / (attn_peak * d.attn_eff) + d.kernel_overhead;
  } else {
    // Materialised scores: two batched GEMMs over all s keys (the causal
    // mask is applied afterwards) plus the passes over the s x s scores in
    // 16-bit: the score GEMM writes them, the fused mask-softmax reads and
    // writes them, the value GEMM reads them (8 bytes per score forward);
    // attention dropout adds a read, a write and a 1-byte mask (13 bytes).
    // Blockwise (triangle) attention skips the blocks above the diagonal:
    // a query meets the keys before its block and its own block.
    const double s = static_cast<double>(w_.seq);
    const double b = std::min<double>(s, w_.stack.attention_block_tokens);
    const double keys = b > 0 ? 0.5 * (s - b) + b : s;
    const double scores = n * keys * heads_local;
    const double flops = 2.0 * scores * (attn_core_dim_ / m.heads);
    const double eff = d.gemm_eff * flops / (flops + d.gemm_half_flops);
    const double score_bytes = m.dropout ? 13.0 : 8.0;
    attn_core = flops / (attn_peak * eff) + score_bytes * scores / d.mem_bw + 4.0 * d.kernel_overhead;
    if (rc == Recompute::kSelective) attn_recompute = attn_core;
  }
  const double elem_bytes = w_.stack.elementwise_traffic_factor * 2.0 *
                            (kHiddenElementwise * h * n / sp + ffn_act_elems_ * n / (m.is_moe() ? sp : t));
  const double elementwise = elem_bytes / d.mem_bw + kElementwiseKernelsFwd * d.kernel_overhead;
  const double mlp_dense = gemm_set_time(mlp_gemms_, n, mlp_only);
  const MoeCost moe = m.is_moe() ? moe_cost(par, n, in_bytes) : MoeCost{};
  // Context parallelism: ring exchange of K/V, overlapped with attention.
  double cp_fwd = 0;
  if (par.cp > 1) {
    const double kv_split = std::min<double>(t, kv_split_);
    const double kv_bytes = n * kv_elems_per_token_ * 2.0 / kv_split;
    const GroupLink link = group_link(d, par.cp, par.tp);
    const double comm = (par.cp - 1) * (kv_bytes / link.bw + link.lat);
    cp_fwd = std::max(0.0, comm - attn_core);
  }
  const double moe_frac = m.layers > 0 ? static_cast<double>(moe_layers_) / m.layers : 0.0;
  const Fp8RecipeCost recipe =
      fp8_recipe_cost(attn_only + (1 - moe_frac) * mlp_only + moe_frac * moe.gemm);
  // At per-tensor scaling; the recipe adds its own forward and backward time.
  const double gemm_tensorwise = attn_gemm + (1 - moe_frac) * mlp_dense + moe_frac * moe.gemm;
  const double fwd_tensorwise =
      attn_gemm + attn_core + elementwise + (1 - moe_frac) * mlp_dense + moe_frac * moe.compute;
  const double fwd = fwd_tensorwise + recipe.fwd;
  const double gemm_fwd = gemm_tensorwise + recipe.fwd;
  // Backward: 2x GEMMs and element-wise, 2.5x the attention core.
  const double bwd =
      2.0 * (fwd_tensorwise - attn_core) + kAttnBackwardFactor * attn_core + recipe.bwd;
  LayerCost c;
  c.fwd = fwd;
  c.bwd = bwd;
  c.recompute = rc == Recompute::kFull ? fwd
                : rc == Recompute::kSelective
                    ? 0.5 * elementwise + attn_recompute +
                          w_.stack.selective_recompute_gemm_fraction * gemm_fwd
                    : 0.0;
  // TP collectives: 2 per layer and pass (all-reduce, or RS + AG with SP),
  // in the forward, the backward and the re-forward; tp_one is their mean.
  const GroupLink tp_link = group_link(d, par.tp, 1);
  const double tp_scale =
      tp_bytes_scale(fp8 && w_.stack.fp8_tp_allgather, par.sequence_parallel, moe_frac);
  c.tp_one = ring_allreduce_time(n * h * 2.0 * tp_scale, par.tp, tp_link.bw, tp_link.lat);
  c.tp_hidden =
      tp_hidden_time(par, n, in_bytes, c.tp_one, moe_frac, moe.gemm, rc == Recompute::kFull);
  c.tp_scaleout = tp_link.scaleout;
  c.tp_bytes_one = par.tp > 1 ? 2.0 * (par.tp - 1.0) / par.tp * n * h * 2.0 * tp_scale : 0.0;
  c.tp_bw = tp_link.bw;
  c.tp_count = par.tp > 1 ? (rc == Recompute::kFull ? 6.0 : 4.0) : 0.0;
  // The all-to-alls on the link, and what the run's EP overlap leaves exposed.
  // One exchange in the forward (two with the re-forward of a full
  // recompute) and one of the gradients in the backward: the backward moves
  // the forward's volume once, not twice as its GEMMs compute. Its dispatch
  // (the gradient before the down-projection) and combine keep the
  // forward's widths (DeepSeek-V3 §3.3.2: FP8 dispatch both ways, both
  // combines BF16).
  const double ep_exchanges = rc == Recompute::kFull ? 3.0 : 2.0;
  const double ep_exposed =
      1.0 - switched(w_.ep_comm_overlap, w_.stack.ep_overlap_fraction, w_.stack.ep_overlap_when_on);
  c.ep_link = moe_frac * moe.alltoall * ep_exchanges;
  c.ep = c.ep_link * ep_exposed;
  c.ep_bytes = moe_frac * moe.alltoall_bytes * ep_exchanges;
  c.cp = cp_fwd * (rc == Recompute::kFull ? 4.0 : 3.0);
  // The host dispatches every operator of the layer; when the device
  // finishes first the layer is launch-bound.
  c.host = w_.cuda_graph ? 0.0
                         : w_.stack.host_ops_per_layer * d.host_op_overhead *
                               (rc == Recompute::kFull ? 4.0 / 3.0 : 1.0);
  return c;
}

// Data-parallel traffic of the step (ZeRO-3 gathers, gradient reduction,
// hybrid sharding's replica all-reduce, parameter all-gather), each hidden
// only in what is left of the overlap budget of its compute window on its
// link. A hidden collective slows the compute beside it by the profile's
// overlap_compute_slowdown s: in its time T the compute advances T/(1+s),
// so the step is T·s/(1+s) longer (T summed over the links, at most the
// compute itself).
// Records each collective on `e`; returns the exposed time, the slowdown
// and the optimizer step's time.
TrainModel::DpCost TrainModel::data_parallel(const Parallelism& par, const DpWindows& win,
                                             TrainEstimate& e) const {
  const DeviceModel& d = dev_;
  const SoftwareStack& st = w_.stack;
  const double ov_dp = st.dp_overlap_fraction;
  const StageParams sp = stage_params(par);
  const double stage_fwd = win.stage_fwd;
  const double stage_bwd = win.stage_bwd;
  const double mb = win.micro_batches;
  const int stage_layers = win.stage_layers;
  const double rec_frac = win.recomputed_share;
  const double compute_all = mb * (stage_fwd + stage_bwd);
  Budget budget;
  budget.up = budget.out = ov_dp * compute_all;
  budget.on(win.tp_scaleout) -= win.tp_hidden;
  DpCost cost;
  const int first = e.collective_count;
  double hidden_all = 0;
  auto record = [&](const char* name, bool scaleout, double bytes, double bw, double time,
                    double hidden) {
    hidden_all += hidden;
    record_collective(e, name, scaleout, bytes, bw, time, hidden);
  };
  // ZeRO's collectives run inside the sharding group (all of DP x CP, or
  // one hybrid-sharding group of it); the replicas all-reduce below.
  const int replicas = par.zero_replicas();
  const int dpc = static_cast<int>(sp.dense_shard);
  const GroupLink dense_link = group_link(d, dpc, par.tp);
  const long long edp = static_cast<long long>(sp.expert_shard);
  const GroupLink expert_link = group_link(d, edp, 1LL * par.ep * std::max(1, par.etp));
  const double weight_b = weight_bytes(w_.precision);
  // The reduction moves the stack's gradient width, or the accumulator's
  // when that is narrower or wider (BF16 accumulation, FP32 training).
  const double grad_b = full_precision(w_.precision) ? 4.0
                        : w_.bf16_grad_accum        ? std::min(2.0, st.grad_reduce_bytes)
                                                    : st.grad_reduce_bytes;
  // Time of one pass over the stage's parameters (dense group + expert group).
  auto pass = [&](double bytes_per_param, bool allreduce) {
    auto one = [&](double params, long long ranks, const GroupLink& l) {
      if (ranks <= 1 || params <= 0) return 0.0;
      return allreduce ? ring_allreduce_time(params * bytes_per_param, static_cast<int>(ranks),
                                             l.bw, l.lat)
                       : ring_allgather_time(params * bytes_per_param, static_cast<int>(ranks),
                                             l.bw, l.lat);
    };
    return one(sp.dense, dpc, dense_link) + one(sp.expert, edp, expert_link);
  };
  auto traffic = [&](double bytes_per_param, double factor) {
    return factor * bytes_per_param *
           (sp.dense * (dpc - 1.0) / std::max(1, dpc) +
            sp.expert * (edp - 1.0) / std::max<long long>(1, edp));
  };
  double dp_comm = 0;
  if (par.zero >= 3) {
    // Parameters gathered for every micro-batch's forward, and again for
    // its backward unless the framework keeps them (reshard_after_forward
    // false), one collective per layer (or per tensor) and pass.
    // A fully recomputed layer is gathered once more for its re-forward.
    const bool reshard = w_.reshard_after_forward.value_or(true);
    const double passes = (reshard ? 2.0 : 1.0) + (reshard ? rec_frac : 0.0);
    const double gathers = static_cast<double>(stage_layers) * st.zero3_gathers_per_layer;
    const double per_mb =
        passes * (pass(weight_b, false) + (gathers - 1.0) * (dpc - 1) * dense_link.lat);
    const double total = mb * per_mb;
    const bool ov = w_.overlap_param_gather.value_or(true);
    const double hidden = ov ? hide(total, budget.on(dense_link.scaleout)) : 0.0;
    dp_comm += total - hidden;
    record("zero3-gather", dense_link.scaleout, mb * traffic(weight_b, passes), dense_link.bw,
           total, hidden);
  }
  // What is left of the budget on a link, as a share of the whole step,
  // bounds what the last backward / first forward can still hide there.
  const double whole = ov_dp * compute_all;
  auto left_on = [&](bool scaleout) {
    return whole > 0 ? std::max(0.0, budget.on(scaleout)) / whole : 0.0;
  };
  const double left = left_on(dense_link.scaleout);
  const bool ov_reduce = w_.overlap_grad_reduce.value_or(ov_dp > 0);
  double rs_hidden = 0;
  {
    const double rs = par.zero == 0 ? pass(grad_b, true) : pass(grad_b, false);
    rs_hidden = ov_reduce ? std::min(rs, ov_dp * stage_bwd * left) : 0.0;
    dp_comm += rs - rs_hidden;
    record("dp-reduce", dense_link.scaleout, traffic(grad_b, par.zero == 0 ? 2.0 : 1.0),
           dense_link.bw, rs, rs_hidden);
  }
  if (replicas > 1) {
    // In the same last backward, sharing it with the reduce-scatter on one link.
    const ReplicaAllReduce ar = replica_allreduce(d, par, sp.dense, sp.expert, dpc, edp, grad_b);
    const double room = ov_dp * stage_bwd * left_on(ar.link.scaleout) -
                        (ar.link.scaleout == dense_link.scaleout ? rs_hidden : 0.0);
    const double hidden = ov_reduce ? std::clamp(room, 0.0, ar.time) : 0.0;
    dp_comm += ar.time - hidden;
    record("dp-replicate", ar.link.scaleout, ar.bytes, ar.link.bw, ar.time, hidden);
  }
  if (par.zero == 1 || par.zero == 2) {
    const double ag = pass(weight_b, false);
    const bool ov = w_.overlap_param_gather.value_or(ov_dp > 0);
    const double hidden = ov ? std::min(ag, ov_dp * stage_fwd * left) : 0.0;
    dp_comm += ag - hidden;
    record("dp-gather", dense_link.scaleout, traffic(weight_b, 1.0), dense_link.bw, ag, hidden);
  }
  const double opt_params = par.zero >= 1 ? sp.dense / sp.dense_shard + sp.expert / sp.expert_shard
                                          : sp.dense + sp.expert;
  cost.optimizer = opt_params * kOptimizerTraffic / d.mem_bw + 20.0 * d.kernel_overhead;
  cost.exposed = dp_comm;
  // The slowdown falls on the compute that runs beside communication:
  // collectives hidden on both links at once slow it once, so at most the
  // whole compute is slowed. Each record carries its share.
  const double beside = std::min(hidden_all, compute_all);
  const double lost = d.overlap_slowdown / (1.0 + d.overlap_slowdown);
  cost.slowdown = lost * beside;
  for (int i = first; i < e.collective_count && hidden_all > 0; ++i) {
    CollectiveCost& c = e.collectives[static_cast<std::size_t>(i)];
    c.slowdown = cost.slowdown * c.hidden / hidden_all;
  }
  return cost;
}

namespace {

// Logits on the last stage, one micro-batch, seconds: GEMM forward + 2
// backward, plus the softmax/loss.
double logits_time(const TrainWorkload& w, const DeviceModel& d, const Parallelism& par) {
  const ModelArch& m = w.model;
  const double h = m.hidden;
  const double t = par.tp;
  const double n = static_cast<double>(par.micro_batch) * w.seq / par.cp;  // tokens per rank
  const bool fp8 = w.precision == Precision::kFp8;
  const double in_bytes = fp8 ? 1.0 : 2.0;
  const double vocab_local = static_cast<double>(m.vocab) / t;
  const double logits_flops = 2.0 * n * h * vocab_local;
  const double logits_fwd =
      d.gemm_time(logits_flops, in_bytes * (n * h + h * vocab_local) + 2.0 * n * vocab_local) +
      (n * vocab_local * 4.0 * 3.0) / d.mem_bw;
  return 3.0 * logits_fwd;
}

// Exposed pipeline point-to-point seconds per step over `mb` micro-batches
// (0 without PP); records "pp" in `e`. Activations go forward and gradients
// backward at each of the vpp chunk boundaries per micro-batch. Megatron
// scatters the activation over the TP ranks before the send and gathers it
// after, so each rank sends 1/tp of it with or without sequence parallelism.
double pipeline_comm(const TrainWorkload& w, const DeviceModel& d, const Parallelism& par,
                     double mb, TrainEstimate& e) {
  if (par.pp <= 1) return 0;
  const double h = w.model.hidden;
  const double t = par.tp;
  const double n = static_cast<double>(par.micro_batch) * w.seq / par.cp;  // tokens per rank
  const double bytes = n * h * 2.0 / t;
  // Consecutive stages on a multi-die package: half the boundaries cross
  // packages, and the slower link paces the pipeline.
  const GroupLink link = group_link(
      d, 2, std::max<long long>(1LL * par.tp * par.cp * par.dp, d.dies > 1 ? d.dies : 1));
  const double gather = par.sequence_parallel || par.tp == 1
                            ? 0.0
                            : ring_allgather_time(n * h * 2.0, par.tp, group_link(d, par.tp, 1).bw,
                                                  d.scaleup_latency);
  const double one = bytes / link.bw + link.lat + gather;
  const double total = mb * 2.0 * par.vpp * one;
  const double exposed = total * (1.0 - w.stack.pp_overlap_fraction);
  record_collective(e, "pp", link.scaleout, mb * 2.0 * par.vpp * bytes, link.bw, total,
                    total - exposed);
  return exposed;
}

}  // namespace

// One layer, one micro-batch, with TP's own overlap and the host launch
// bound applied, plain and recomputed, and their averages over the stage.
// Its functions are defined in the class so that evaluate() inlines them.
struct TrainModel::LayerMix {
  struct Layer {
    LayerCost c;
    double tp_hidden = 0, total = 0, launch = 0;
  };
  Layer plain, rec;     // rec is plain when no layer is recomputed
  double rec_frac = 0;  // share of the stage's layers that are recomputed
  // Averages over the stage's layers: step time, compute (with launch-bound
  // idle time), exposed TP, EP and CP.
  double total = 0, compute = 0, tp = 0, ep = 0, cp = 0;

  // The stage's average of f(layer), weighted by the recomputed share.
  template <class F>
  double avg(F f) const {
    return rec_frac * f(rec) + (1 - rec_frac) * f(plain);
  }

  // Both kinds of layer on `par`'s stages and their averages.
  static LayerMix build(const TrainModel& model, const Parallelism& par) {
    const TrainWorkload& w = model.w_;
    const int stage_layers_even = ceil_div(w.model.layers, par.pp);
    const int recomputed = model.recomputed_layers(par, stage_layers_even);
    auto layer = [&](bool re) {
      Layer l{model.layer_cost(par, re)};
      const double tp_time = l.c.tp_one * l.c.tp_count;
      l.tp_hidden = std::min(tp_time, l.c.tp_hidden);  // TP's own budget: its GEMMs
      const double device =
          l.c.fwd + l.c.bwd + l.c.recompute + tp_time - l.tp_hidden + l.c.ep + l.c.cp;
      l.launch = std::max(0.0, l.c.host - device);
      l.total = device + l.launch;
      return l;
    };
    LayerMix mix;
    mix.plain = layer(false);
    mix.rec = recomputed > 0 ? layer(true) : mix.plain;
    mix.rec_frac = static_cast<double>(recomputed) / stage_layers_even;
    mix.total = mix.avg([](const Layer& l) { return l.total; });
    mix.compute =
        mix.avg([](const Layer& l) { return l.c.fwd + l.c.bwd + l.c.recompute + l.launch; });
    mix.tp = mix.avg([](const Layer& l) { return l.c.tp_one * l.c.tp_count - l.tp_hidden; });
    mix.ep = mix.avg([](const Layer& l) { return l.c.ep; });
    mix.cp = mix.avg([](const Layer& l) { return l.c.cp; });
    return mix;
  }

  // Records the per-layer collectives (tp, ep, cp) over `layer_count` layers.
  void record_collectives(const Parallelism& par, const DeviceModel& d, double layer_count,
                          TrainEstimate& e) const {
    const double tp_time = avg([](const Layer& l) { return l.c.tp_one * l.c.tp_count; });
    const double tp_bytes = avg([](const Layer& l) { return l.c.tp_bytes_one * l.c.tp_count; });
    const double ep_link = avg([](const Layer& l) { return l.c.ep_link; });
    record_collective(e, "tp", plain.c.tp_scaleout, tp_bytes * layer_count, plain.c.tp_bw,
                      tp_time * layer_count, (tp_time - tp) * layer_count);
    record_collective(e, "ep", par.ep * par.etp * par.cp > d.scaleup_domain,
                      avg([](const Layer& l) { return l.c.ep_bytes; }) * layer_count,
                      par.ep * par.etp * par.cp > d.scaleup_domain
                          ? d.scaleout_bw
                          : group_link(d, par.ep, std::max(1, par.etp)).bw,
                      ep_link * layer_count, (ep_link - ep) * layer_count);
    record_collective(e, "cp", par.tp * par.cp > d.scaleup_domain, 0.0,
                      group_link(d, par.cp, par.tp).bw, cp * layer_count, 0.0);
  }
};

TrainEstimate TrainModel::evaluate(const Parallelism& par) const {
  using Layer = LayerMix::Layer;
  const ModelArch& m = w_.model;

  // ---- one layer, one micro-batch: recomputed and plain; logits (last stage) ----
  const LayerMix mix = LayerMix::build(*this, par);
  const double logits = logits_time(w_, dev_, par);

  double stage_time = 0;
  const int stage_layers = stage_layers_max(par, mix.total, logits, &stage_time);
  const long long mbs = w_.global_batch / (1LL * par.dp * par.micro_batch);
  const double mb = static_cast<double>(mbs);
  // Fill and drain: the other stages' forward and backward passes, without
  // the last stage's logits (1F1B: (p - 1) x one stage's time per chunk).
  const double bubble =
      (par.pp - 1.0) / par.vpp * (static_cast<double>(m.layers) / par.pp) * mix.total;

  TrainEstimate e;
  e.par = par;
  e.micro_batches = static_cast<int>(mbs);
  e.stage_layers = stage_layers;
  const double layer_count = mb * stage_layers;
  // The collectives over the layers of the slowest stage's busy time, as
  // the breakdown below splits it, so both report one exposed figure.
  const double busy_layers =
      mix.total > 0 ? mb * std::max(0.0, stage_time - logits) / mix.total : layer_count;
  mix.record_collectives(par, dev_, busy_layers, e);
  // Pipeline point-to-point between the stages.
  const double pp_comm = pipeline_comm(w_, dev_, par, mb, e);

  // ---- data parallelism, with one overlap budget per window and link ----
  const TrainMemory mem = memory(par);
  DpWindows win;
  win.stage_fwd = stage_layers * mix.avg([](const Layer& l) { return l.c.fwd; });
  win.stage_bwd = stage_layers * mix.avg([](const Layer& l) { return l.c.bwd + l.c.recompute; });
  win.micro_batches = mb;
  win.stage_layers = stage_layers;
  win.recomputed_share = mix.rec_frac;
  win.tp_hidden = mix.avg([](const Layer& l) { return l.tp_hidden; }) * layer_count;
  win.tp_scaleout = mix.plain.c.tp_scaleout;
  const DpCost dp = data_parallel(par, win, e);

  // Split the pipeline's busy time (m x stage time) into its causes in the
  // proportions of one layer; logits count as compute. A launch-bound
  // layer's idle time counts as compute, and so does the compute slowed
  // beside hidden data-parallel collectives.
  const double busy = mb * stage_time;
  const double logits_busy = mb * logits;
  const double layer_busy = std::max(0.0, busy - logits_busy);
  auto share = [&](double part) { return mix.total > 0 ? layer_busy * part / mix.total : 0.0; };
  e.breakdown.compute = share(mix.compute) + logits_busy + dp.slowdown;
  e.breakdown.tp_comm = share(mix.tp);
  e.breakdown.ep_comm = share(mix.ep);
  e.breakdown.cp_comm = share(mix.cp);
  e.breakdown.pp_comm = pp_comm;
  e.breakdown.bubble = bubble;
  e.breakdown.dp_comm = dp.exposed;
  e.breakdown.optimizer = dp.optimizer;
  e.step_time_s = busy + bubble + pp_comm + dp.exposed + dp.slowdown + dp.optimizer;
  finish_estimate(e, mem);
  return e;
}

void TrainModel::finish_estimate(TrainEstimate& e, const TrainMemory& mem) const {
  const ModelArch& m = w_.model;
  const Parallelism& par = e.par;
  const bool fp8 = w_.precision == Precision::kFp8;
  const double tokens_step = static_cast<double>(w_.global_batch) * w_.seq;
  e.tokens_per_s = tokens_step / e.step_time_s;
  e.model_flops_per_step = tokens_step * model_flops_per_token_;
  double hw_extra = 0;
  if (par.recompute == Recompute::kFull) {
    const int stage = ceil_div(m.layers, par.pp);
    hw_extra = recompute_flops_per_token_ * recomputed_layers(par, stage) / stage;
  }
  if (par.recompute == Recompute::kSelective && !w_.stack.flash_attention) {
    hw_extra = static_cast<double>(w_.seq) * attn_core_dim_ * m.layers;
  }
  e.hardware_flops_per_step = tokens_step * (model_flops_per_token_ + hw_extra);
  e.mfu_peak = fp8 ? Precision::kFp8 : Precision::kBf16;
  const double peak = fp8 ? dev_.peak_flops : dev_.bf16_peak_flops;
  // Per device = per package; `peak` is one rank's (one die's).
  e.mfu_peak_tflops = peak * dev_.dies / 1e12;
  e.model_tflops_per_device = e.model_flops_per_step / e.step_time_s / devices_ / 1e12;
  e.mfu = e.model_flops_per_step / (e.step_time_s * ranks_ * peak);
  e.hfu = e.hardware_flops_per_step / (e.step_time_s * ranks_ * peak);
  e.memory = mem;
  e.dies = dev_.dies;
  e.fits = mem.total <= mem.usable;
}

TrainTotals train_totals(const TrainEstimate& e, const TrainModel& model) {
  TrainTotals t;
  const double tokens = model.workload().tokens;
  if (tokens <= 0 || e.tokens_per_s <= 0) return t;
  const double steady = tokens / e.tokens_per_s;
  double seconds = steady;
  const TrainWorkload& w = model.workload();
  if (w.goodput) {
    auto g = goodput(*w.goodput, model.devices(), count_params(w.model).total, steady);
    if (g) {
      t.goodput = *g;
      seconds = g->wall_s;
    } else {
      t.goodput_error = g.error().message;
    }
  }
  t.steady_days = steady / 86400.0;
  t.time_to_train_days = seconds / 86400.0;
  t.device_hours = seconds / 3600.0 * model.devices();
  t.energy_mwh = t.device_hours * board_watts(w.power_limit_w, model.device().tdp_w) *
                 w.cost.node_power_overhead * w.cost.power_load_factor * w.cost.pue / 1e6;
  t.cost_usd = t.device_hours * model.device().hourly_usd;
  return t;
}

int default_seq(const ModelArch& model) { return model.default_seq > 0 ? model.default_seq : 2048; }

long long default_global_batch(const ModelArch& model, int seq) {
  const double tokens = model.default_global_batch_tokens > 0
                            ? static_cast<double>(model.default_global_batch_tokens)
                            : 4194304.0;
  const double seqs = tokens / seq;
  return seqs >= 64 ? static_cast<long long>(std::llround(seqs / 64.0)) * 64
                    : std::max<long long>(1, std::llround(seqs));
}

}  // namespace suanli

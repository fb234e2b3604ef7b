#include "perf/train.h"

#include <fmt/format.h>
#include <algorithm>
#include <cmath>

namespace suanli {

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

namespace {

// Element-wise traffic per token per layer in the forward pass, in elements
// read + written, for the hidden-size tensors: two norms (in+out), two
// residual adds (2 in, 1 out), two bias/dropout epilogues. Backward moves
// about twice as much.
constexpr double kHiddenElementwise = 15.0;
constexpr double kElementwiseKernelsFwd = 10.0;
// Bytes per parameter (Megatron-style mixed precision with a distributed
// optimizer): 16-bit weights, FP32 gradient accumulation, FP32 master
// weights + Adam moments.
constexpr double kWeightBytes = 2.0;
constexpr double kGradBytes = 4.0;
constexpr double kOptimizerBytes = 12.0;
// Adam step traffic per parameter: read grad, master, m, v (16); write
// master, m, v (12) and the 16-bit weight (2).
constexpr double kOptimizerTraffic = 30.0;
// Flash-attention backward does 2.5x the forward FLOPs (it recomputes the
// scores).
constexpr double kAttnBackwardFactor = 2.5;

int ceil_div(int a, int b) { return (a + b - 1) / b; }

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
      w.precision != Precision::kFp16) {
    return fail(ErrorCode::kInvalidArgument, "training precision must be bf16 or fp8");
  }
  if (w.tokens < 0) return fail(ErrorCode::kInvalidArgument, "--tokens must not be negative");
  TrainModel t;
  t.w_ = w;
  t.dev_ = dev;
  t.devices_ = devices;
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

// The rules a configuration must satisfy, in the order they are checked.
// violated_rule() is allocation-free (the search calls it for every
// candidate); check() turns the first violation into a message.
enum class TrainModel::Rule {
  kNone,
  kNonPositive,
  kZeroStage,
  kProduct,
  kTpHeads,
  kTpKvHeads,
  kPpExceedsLayers,
  kPpDividesLayers,
  kVppNeedsPp,
  kVppExceedsStage,
  kVppDividesStage,
  kBatchDivides,
  kInterleaveMicroBatches,
  kCpSeq,
  kEpNeedsMoe,
  kEpDividesExperts,
  kEpDividesRanks,
  kStackSp,
  kStackSelective,
  kStackCp,
  kStackVpp,
  kStackZero,
  kMoeNeedsSp,
};

TrainModel::Rule TrainModel::violated_rule(const Parallelism& p) const {
  const ModelArch& m = w_.model;
  const SoftwareStack& st = w_.stack;
  if (p.tp < 1 || p.pp < 1 || p.dp < 1 || p.cp < 1 || p.ep < 1 || p.vpp < 1 || p.micro_batch < 1) {
    return Rule::kNonPositive;
  }
  if (p.zero < 0 || p.zero > 3) return Rule::kZeroStage;
  if (1LL * p.tp * p.pp * p.dp * p.cp != devices_) return Rule::kProduct;
  if (m.heads % p.tp != 0) return Rule::kTpHeads;
  if (!m.mla && m.kv_heads % p.tp != 0 && p.tp % m.kv_heads != 0) return Rule::kTpKvHeads;
  if (p.pp > m.layers) return Rule::kPpExceedsLayers;
  if (m.layers % p.pp != 0 && !w_.uneven_pipeline) return Rule::kPpDividesLayers;
  if (p.vpp > 1) {
    if (p.pp == 1) return Rule::kVppNeedsPp;
    if (p.vpp > m.layers / p.pp) return Rule::kVppExceedsStage;
    if ((m.layers / p.pp) % p.vpp != 0 && !w_.uneven_pipeline) return Rule::kVppDividesStage;
  }
  if (w_.global_batch % (1LL * p.dp * p.micro_batch) != 0) return Rule::kBatchDivides;
  if (p.vpp > 1 && (w_.global_batch / (1LL * p.dp * p.micro_batch)) % p.pp != 0) {
    return Rule::kInterleaveMicroBatches;
  }
  if (p.cp > 1 && w_.seq % (2 * p.cp) != 0) return Rule::kCpSeq;
  if (p.ep > 1) {
    if (!m.is_moe()) return Rule::kEpNeedsMoe;
    if (m.moe->experts % p.ep != 0) return Rule::kEpDividesExperts;
    if ((1LL * p.dp * p.cp * p.tp) % p.ep != 0) return Rule::kEpDividesRanks;
  }
  if (p.sequence_parallel && p.tp > 1 && !st.sequence_parallel) return Rule::kStackSp;
  if (p.recompute == Recompute::kSelective && !st.selective_recompute) return Rule::kStackSelective;
  if (p.cp > 1 && !st.context_parallel) return Rule::kStackCp;
  if (p.vpp > 1 && !st.interleaved_pipeline) return Rule::kStackVpp;
  if (p.zero >= 1 && !st.distributed_optimizer) return Rule::kStackZero;
  if (m.is_moe() && p.tp > 1 && !p.sequence_parallel) return Rule::kMoeNeedsSp;
  return Rule::kNone;
}

bool TrainModel::valid(const Parallelism& p) const { return violated_rule(p) == Rule::kNone; }

Result<void> TrainModel::check(const Parallelism& p) const {
  const ModelArch& m = w_.model;
  const SoftwareStack& st = w_.stack;
  std::string msg;
  switch (violated_rule(p)) {
    case Rule::kNone:
      return {};
    case Rule::kNonPositive:
      msg = "parallel sizes and --micro-batch must be positive";
      break;
    case Rule::kZeroStage:
      msg = fmt::format("--zero must be 0..3, got {}", p.zero);
      break;
    case Rule::kProduct:
      msg = fmt::format("tp·pp·dp·cp = {}·{}·{}·{} = {} but --devices is {}", p.tp, p.pp, p.dp,
                        p.cp, 1LL * p.tp * p.pp * p.dp * p.cp, devices_);
      break;
    case Rule::kTpHeads:
      msg = fmt::format("TP {} does not divide the {} attention heads", p.tp, m.heads);
      break;
    case Rule::kTpKvHeads:
      msg = fmt::format("TP {} and the {} KV heads do not divide each other", p.tp, m.kv_heads);
      break;
    case Rule::kPpExceedsLayers:
      msg = fmt::format("PP {} exceeds the {} layers", p.pp, m.layers);
      break;
    case Rule::kPpDividesLayers:
      msg = fmt::format(
          "PP {} does not divide the {} layers (allow stages of {} and {} layers "
          "with --uneven-pipeline)",
          p.pp, m.layers, m.layers / p.pp + 1, m.layers / p.pp);
      break;
    case Rule::kVppNeedsPp:
      msg = "--vpp > 1 needs --pp > 1";
      break;
    case Rule::kVppExceedsStage:
      msg = fmt::format("VPP {} exceeds the {} layers per stage", p.vpp, m.layers / p.pp);
      break;
    case Rule::kVppDividesStage:
      msg = fmt::format("VPP {} does not divide the {} layers per stage", p.vpp, m.layers / p.pp);
      break;
    case Rule::kBatchDivides:
      msg = fmt::format("global batch {} is not a multiple of dp·micro-batch = {}·{}",
                        w_.global_batch, p.dp, p.micro_batch);
      break;
    case Rule::kInterleaveMicroBatches:
      msg = fmt::format(
          "the interleaved schedule needs the {} micro-batches to be a multiple of "
          "PP {}",
          w_.global_batch / (1LL * p.dp * p.micro_batch), p.pp);
      break;
    case Rule::kCpSeq:
      msg =
          fmt::format("CP {} needs the sequence length {} to be a multiple of 2·CP", p.cp, w_.seq);
      break;
    case Rule::kEpNeedsMoe:
      msg = "--ep > 1 needs an MoE model";
      break;
    case Rule::kEpDividesExperts:
      msg = fmt::format("EP {} does not divide the {} experts", p.ep, m.moe->experts);
      break;
    case Rule::kEpDividesRanks:
      msg = fmt::format("EP {} must divide dp·cp·tp = {}", p.ep, p.dp * p.cp * p.tp);
      break;
    case Rule::kStackSp:
      msg = fmt::format("stack '{}' has no sequence parallelism", st.id);
      break;
    case Rule::kStackSelective:
      msg = fmt::format("stack '{}' has no selective recomputation (use full or none)", st.id);
      break;
    case Rule::kStackCp:
      msg = fmt::format("stack '{}' has no context parallelism", st.id);
      break;
    case Rule::kStackVpp:
      msg = fmt::format("stack '{}' has no interleaved pipeline schedule", st.id);
      break;
    case Rule::kStackZero:
      msg = fmt::format("stack '{}' has no sharded optimizer (use --zero 0)", st.id);
      break;
    case Rule::kMoeNeedsSp:
      msg = "MoE layers with TP > 1 need --sequence-parallel";
      break;
  }
  return fail(ErrorCode::kInvalidArgument, std::move(msg));
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

TrainMemory TrainModel::memory(const Parallelism& par) const {
  const ModelArch& m = w_.model;
  const double h = m.hidden;
  const double t = par.tp;
  const double dpc = static_cast<double>(par.dp) * par.cp;
  const int stage_layers = ceil_div(m.layers, par.pp);
  // Fraction of layers of each kind on the loaded stage.
  const double moe_frac = m.layers > 0 ? static_cast<double>(moe_layers_) / m.layers : 0.0;
  const double moe_on_stage = std::ceil(stage_layers * moe_frac);
  const double dense_on_stage = stage_layers - moe_on_stage;
  double dense_params = stage_layers * params_.per_layer_attn / t +
                        dense_on_stage * params_.per_dense_mlp / t +
                        static_cast<double>(m.vocab) * h / t;  // embedding or output layer
  double expert_params = 0;
  if (m.is_moe()) {
    const auto& e = *m.moe;
    dense_params += moe_on_stage * (e.shared_experts * params_.per_expert / t + h * e.experts);
    expert_params = moe_on_stage * (static_cast<double>(e.experts) / par.ep) * params_.per_expert;
  }
  if (par.pp == 1 && !m.tied_embeddings) dense_params += static_cast<double>(m.vocab) * h / t;
  const double expert_dp = std::max(1.0, dpc * t / par.ep);
  TrainMemory mem;
  mem.weights = kWeightBytes * (par.zero >= 3 ? dense_params / dpc + expert_params / expert_dp
                                              : dense_params + expert_params);
  mem.grads = kGradBytes * (par.zero >= 2 ? dense_params / dpc + expert_params / expert_dp
                                          : dense_params + expert_params);
  mem.optimizer = kOptimizerBytes * (par.zero >= 1 ? dense_params / dpc + expert_params / expert_dp
                                                   : dense_params + expert_params);
  // Activations per layer per micro-batch (bytes), Korthikanti et al. 2022
  // generalised to GQA/MLA/SwiGLU/MoE, with flash attention (no s^2 terms).
  const double tokens = static_cast<double>(par.micro_batch) * w_.seq / par.cp;
  const double sp = par.sequence_parallel ? t : 1.0;
  double act_layer = 0;
  if (par.recompute == Recompute::kFull) {
    act_layer = tokens * 2.0 * h / sp;
  } else {
    // Hidden-size tensors: 2 norm inputs, 2 norm outputs (8h bytes), plus
    // 2 one-byte dropout masks when trained with dropout; TP-sharded: q, k,
    // v, attention output, MLP intermediates.
    double hidden_bytes = (m.dropout ? 10.0 : 8.0) * h;
    double split_bytes =
        2.0 * (attn_core_dim_ / 2.0 + kv_elems_per_token_) + 2.0 * attn_core_dim_ / 2.0;
    // MLP intermediates: gelu input + fc2 input (4f bytes), or gate, up and
    // activation output for SwiGLU (6f bytes); MoE: per routed token.
    double ffn_bytes = 2.0 * ffn_act_elems_;
    if (m.is_moe()) ffn_bytes += 2.0 * h * m.moe->top_k;  // dispatched copies
    if (par.recompute == Recompute::kSelective) {
      hidden_bytes -= 4.0 * h;                                   // norm outputs recomputed
      ffn_bytes *= m.mlp == MlpKind::kSwiglu ? 2.0 / 3.0 : 0.5;  // activation output recomputed
    }
    // Without flash attention the softmax output, its dropout mask and the
    // dropout output are kept: 5 bytes per score (Korthikanti et al.),
    // unless the attention core is recomputed.
    if (!w_.stack.flash_attention && par.recompute == Recompute::kNone) {
      split_bytes += (m.dropout ? 5.0 : 2.0) * m.heads * static_cast<double>(w_.seq);
    }
    const double expert_tp = m.is_moe() ? 1.0 : t;
    act_layer = tokens * (hidden_bytes / sp + split_bytes / t +
                          ffn_bytes / expert_tp / (m.is_moe() ? sp : 1.0));
  }
  const long long mbs = w_.global_batch / (1LL * par.dp * par.micro_batch);
  // Logits and their FP32 softmax for one micro-batch, on the last stage.
  const double logits = tokens * static_cast<double>(m.vocab) / t * (2.0 + 4.0);
  const double one_mb = act_layer * stage_layers;
  if (par.pp == 1) {
    mem.activations = one_mb;
    mem.logits = logits;
  } else {
    // 1F1B: the first stage holds min(m, pp) micro-batches in flight (more
    // with interleaving); the last stage holds one plus the logits.
    const double inflight = static_cast<double>(std::min<long long>(mbs, par.pp));
    const double interleave = par.vpp > 1 ? 1.0 + (par.pp - 1.0) / (par.pp * par.vpp) : 1.0;
    const double first = one_mb * inflight * interleave;
    if (first >= one_mb + logits) {
      mem.activations = first;
    } else {
      mem.activations = one_mb;
      mem.logits = logits;
    }
  }
  mem.total = mem.weights + mem.grads + mem.optimizer + mem.activations + mem.logits;
  mem.usable = dev_.memory_bytes;
  return mem;
}

TrainEstimate TrainModel::evaluate(const Parallelism& par) const {
  const ModelArch& m = w_.model;
  const DeviceModel& d = dev_;
  const double h = m.hidden;
  const double t = par.tp;
  const double n = static_cast<double>(par.micro_batch) * w_.seq / par.cp;  // tokens per rank
  const double sp = par.sequence_parallel ? t : 1.0;
  const double in_bytes = w_.precision == Precision::kFp8 ? 1.0 : 2.0;

  // FP8 GEMMs need their activation operand quantised with a transposed
  // copy for the backward pass; Transformer Engine fuses the cast into the
  // preceding norm/activation kernel and caches weight casts across
  // micro-batches, leaving ~2 extra bytes written per activation element.
  const bool fp8 = w_.precision == Precision::kFp8;
  auto gemm_set_time = [&](const std::vector<Gemm>& gemms, double tokens) {
    double total = 0;
    for (const auto& g : gemms) {
      const double nout = g.split ? g.n / t : g.n;
      const double flops = 2.0 * tokens * g.k * nout;
      const double bytes = in_bytes * (tokens * g.k + g.k * nout) + 2.0 * tokens * nout;
      total += d.gemm_time(flops, bytes);
      if (fp8) total += 2.0 * tokens * g.k / d.mem_bw + d.kernel_overhead;
    }
    return total;
  };

  // ---- one layer, one micro-batch, forward ----
  const double attn_gemm = gemm_set_time(attn_gemms_, n);
  const double heads_local = static_cast<double>(m.heads) / t;
  double attn_core = 0;
  double attn_recompute = 0;  // extra forward of the attention core (selective)
  if (w_.stack.flash_attention) {
    // Fused kernel, causal: s/2 keys per query on average, 2 FLOP per MAC.
    const double flops = n * static_cast<double>(w_.seq) * heads_local * (attn_core_dim_ / m.heads);
    attn_core = flops / (d.bf16_peak_flops * d.attn_eff) + d.kernel_overhead;
  } else {
    // Materialised scores: two batched GEMMs over all s keys (the causal
    // mask is applied afterwards) plus the softmax/mask/dropout passes over
    // the s x s scores: ~13 bytes per score forward (write QK^T, read+write
    // softmax, read+write dropout + 1-byte mask, read in AV).
    const double scores = n * static_cast<double>(w_.seq) * heads_local;
    const double flops = 2.0 * scores * (attn_core_dim_ / m.heads);
    // One batched kernel over all heads and sequences.
    const double eff = d.gemm_eff * flops / (flops + d.gemm_half_flops);
    attn_core =
        flops / (d.bf16_peak_flops * eff) + 13.0 * scores / d.mem_bw + 4.0 * d.kernel_overhead;
    if (par.recompute == Recompute::kSelective) attn_recompute = attn_core;
  }
  const double elem_bytes =
      2.0 * (kHiddenElementwise * h * n / sp + ffn_act_elems_ * n / (m.is_moe() ? sp : t));
  const double elementwise = elem_bytes / d.mem_bw + kElementwiseKernelsFwd * d.kernel_overhead;

  // TP collectives: 2 per layer forward (all-reduce, or RS+AG with SP).
  const bool tp_in_domain = par.tp <= d.scaleup_domain;
  const double tp_bw = tp_in_domain ? d.scaleup_bw : d.scaleout_bw;
  const double tp_lat = tp_in_domain ? d.scaleup_latency : d.scaleout_latency;
  const double tp_coll = ring_allreduce_time(n * h * 2.0, par.tp, tp_bw, tp_lat) *
                         (1.0 - w_.stack.tp_overlap_fraction);

  // Dense MLP and MoE layers.
  const double mlp_dense = gemm_set_time(mlp_gemms_, n);
  double moe_fwd = 0;
  double ep_fwd = 0;
  if (m.is_moe()) {
    const auto& e = *m.moe;
    const double tok_dev = n / sp;  // tokens owned by this rank after SP
    const double routed = tok_dev * e.top_k;
    const double local_experts = static_cast<double>(e.experts) / par.ep;
    const double per_expert_tokens = routed / local_experts;
    for (const auto& g : expert_gemms_) {
      const double flops_each = 2.0 * per_expert_tokens * g.k * g.n;
      const double total_flops = flops_each * local_experts;
      const double eff = d.gemm_eff * flops_each / (flops_each + d.gemm_half_flops);
      const double bytes =
          in_bytes * local_experts * g.k * g.n + (in_bytes + 2.0) * routed * (g.k + g.n) / 2.0;
      moe_fwd += std::max(total_flops / (d.peak_flops * eff), bytes / d.mem_bw) + d.kernel_overhead;
    }
    if (e.shared_experts > 0) {
      for (const auto& g : expert_gemms_) {
        const double nout = g.n * e.shared_experts / t;
        const double flops = 2.0 * n * g.k * nout;
        moe_fwd += d.gemm_time(flops, in_bytes * (n * g.k + g.k * nout) + 2.0 * n * nout);
      }
    }
    // Token permutation to expert order and back: each routed copy is
    // written and read once on the way in and once on the way out.
    moe_fwd += 8.0 * routed * h / d.mem_bw + 4.0 * d.kernel_overhead;
    // Router: a small GEMM plus top-k.
    moe_fwd += d.gemm_time(2.0 * tok_dev * h * e.experts, 2.0 * tok_dev * (h + e.experts)) +
               d.kernel_overhead * 4;
    // Dispatch and combine all-to-alls. Within a scale-up domain tokens go
    // straight to their experts; across domains a token is sent once per
    // remote domain that hosts one of its experts and forwarded inside it
    // (DeepEP / node-limited routing), so the scale-out volume per token is
    // the expected number of distinct remote domains, not top-k.
    const double span = static_cast<double>(par.ep) * par.tp * par.cp;
    const double dispatch_bytes = in_bytes;  // FP8 dispatch when training in FP8
    const double combine_bytes = 2.0;
    if (span <= d.scaleup_domain) {
      ep_fwd = alltoall_time(routed * h * dispatch_bytes, par.ep, d.scaleup_bw, d.scaleup_latency) +
               alltoall_time(routed * h * combine_bytes, par.ep, d.scaleup_bw, d.scaleup_latency);
    } else {
      const double domains = std::ceil(span / d.scaleup_domain);
      const double remote =
          (domains - 1.0) * (1.0 - std::pow(1.0 - 1.0 / domains, static_cast<double>(e.top_k)));
      // Inside the destination domain each received token fans out to the
      // experts there; on average top_k copies land across the group.
      const double intra = routed * h / domains;
      const double inter = tok_dev * remote * h;
      const int ranks_out = static_cast<int>(domains);
      ep_fwd = alltoall_time(inter * dispatch_bytes, ranks_out, d.scaleout_bw, d.scaleout_latency) +
               alltoall_time(inter * combine_bytes, ranks_out, d.scaleout_bw, d.scaleout_latency) +
               2.0 * alltoall_time(intra * 2.0, std::max(2, d.scaleup_domain), d.scaleup_bw,
                                   d.scaleup_latency);
    }
    ep_fwd *= 1.0 - w_.stack.ep_overlap_fraction;
  }
  // Context parallelism: ring exchange of K/V, overlapped with attention.
  double cp_fwd = 0;
  if (par.cp > 1) {
    const double kv_split = std::min<double>(t, kv_split_);
    const double kv_bytes = n * kv_elems_per_token_ * 2.0 / kv_split;
    const bool in_domain = par.tp * par.cp <= d.scaleup_domain;
    const double bw = in_domain ? d.scaleup_bw : d.scaleout_bw;
    const double lat = in_domain ? d.scaleup_latency : d.scaleout_latency;
    const double comm = (par.cp - 1) * (kv_bytes / bw + lat);
    cp_fwd = std::max(0.0, comm - attn_core);
  }

  const double compute_dense_fwd = attn_gemm + attn_core + elementwise + mlp_dense;
  const double compute_moe_fwd = attn_gemm + attn_core + elementwise + moe_fwd;
  auto layer_times = [&](double compute_fwd, double ep) {
    // forward, backward (2x GEMMs, 2.5x attention, 2x element-wise), recompute
    const double attn_part = attn_core;
    const double bwd = 2.0 * (compute_fwd - attn_part) + kAttnBackwardFactor * attn_part;
    double re = 0;
    double re_comm = 0;
    if (par.recompute == Recompute::kFull) {
      re = compute_fwd;
      re_comm = 2.0 * tp_coll + ep + cp_fwd;
    } else if (par.recompute == Recompute::kSelective) {
      re = 0.5 * elementwise + attn_recompute;
    }
    struct Times {
      double compute, tp, ep, cp, fwd, bwd;
    };
    return Times{compute_fwd + bwd + re,
                 4.0 * tp_coll + (par.recompute == Recompute::kFull ? 2.0 * tp_coll : 0.0),
                 3.0 * ep + (par.recompute == Recompute::kFull ? ep : 0.0),
                 3.0 * cp_fwd + (par.recompute == Recompute::kFull ? cp_fwd : 0.0),
                 compute_fwd + 2.0 * tp_coll + ep + cp_fwd,
                 bwd + re + 2.0 * tp_coll + 2.0 * ep + 2.0 * cp_fwd + re_comm};
  };
  const auto dense_t = layer_times(compute_dense_fwd, 0.0);
  const auto moe_t = layer_times(compute_moe_fwd, ep_fwd);
  const double moe_frac = m.layers > 0 ? static_cast<double>(moe_layers_) / m.layers : 0.0;
  auto mix = [&](double dense_v, double moe_v) {
    return (1 - moe_frac) * dense_v + moe_frac * moe_v;
  };
  const double layer_compute = mix(dense_t.compute, moe_t.compute);
  const double layer_tp = mix(dense_t.tp, moe_t.tp);
  const double layer_ep = mix(dense_t.ep, moe_t.ep);
  const double layer_cp = mix(dense_t.cp, moe_t.cp);
  const double layer_total = layer_compute + layer_tp + layer_ep + layer_cp;
  const double layer_fwd = mix(dense_t.fwd, moe_t.fwd);
  const double layer_bwd = mix(dense_t.bwd, moe_t.bwd);

  // Logits (last stage): GEMM forward + 2 backward, plus the softmax/loss.
  const double vocab_local = static_cast<double>(m.vocab) / t;
  const double logits_flops = 2.0 * n * h * vocab_local;
  const double logits_fwd =
      d.gemm_time(logits_flops, in_bytes * (n * h + h * vocab_local) + 2.0 * n * vocab_local) +
      (n * vocab_local * 4.0 * 3.0) / d.mem_bw;
  const double logits_time = 3.0 * logits_fwd;

  double stage_time = 0;
  const int stage_layers = stage_layers_max(par, layer_total, logits_time, &stage_time);

  const long long mbs = w_.global_batch / (1LL * par.dp * par.micro_batch);
  const double mb = static_cast<double>(mbs);
  const double bubble = (par.pp - 1.0) / par.vpp * stage_time;

  // Pipeline point-to-point: activations forward and gradients backward at
  // each of the vpp chunk boundaries per micro-batch.
  double pp_comm = 0;
  if (par.pp > 1) {
    const double bytes = n * h * 2.0 / sp;
    const bool in_domain = 1LL * par.tp * par.cp * par.dp * par.pp <= d.scaleup_domain;
    const double bw = in_domain ? d.scaleup_bw : d.scaleout_bw;
    const double lat = in_domain ? d.scaleup_latency : d.scaleout_latency;
    pp_comm = mb * 2.0 * par.vpp * (bytes / bw + lat) * (1.0 - w_.stack.pp_overlap_fraction);
  }

  // Data parallelism: gradients reduce-scattered (FP32) and parameters
  // all-gathered (16-bit) with the distributed optimizer, or all-reduced
  // without it; partly hidden behind the last micro-batch.
  const TrainMemory mem = memory(par);
  const double dense_params_dev = mem.weights / kWeightBytes;  // approx. (zero<3)
  const double dpc = static_cast<double>(par.dp) * par.cp;
  double dp_comm = 0;
  double optimizer = 0;
  {
    const int ranks = par.dp * par.cp;
    const bool in_domain = 1LL * par.tp * ranks <= d.scaleup_domain;
    // Across domains, NCCL runs one ring channel per NIC: when k members of
    // the group share a scale-up domain, each NIC carries 1/k of the
    // traffic, so the collective sees k NICs' bandwidth (bounded by the
    // scale-up link the channels also cross).
    const int per_domain = std::max(1, std::min(ranks, d.scaleup_domain / std::max(1, par.tp)));
    const double bw = in_domain ? d.scaleup_bw : std::min(d.scaleout_bw * per_domain, d.scaleup_bw);
    const double lat = in_domain ? d.scaleup_latency : d.scaleout_latency;
    const double params_dev = par.zero >= 3 ? dense_params_dev * dpc : dense_params_dev;
    double rs = 0;
    double ag = 0;
    if (par.zero == 0) {
      rs = ring_allreduce_time(params_dev * w_.stack.grad_reduce_bytes, ranks, bw, lat);
    } else {
      rs = ring_allgather_time(params_dev * w_.stack.grad_reduce_bytes, ranks, bw, lat);
      ag = ring_allgather_time(params_dev * kWeightBytes, ranks, bw, lat);
    }
    const double stage_fwd = stage_layers * layer_fwd;
    const double stage_bwd = stage_layers * layer_bwd;
    const double ov = w_.stack.dp_overlap_fraction;
    dp_comm = std::max(0.0, rs - ov * stage_bwd) + std::max(0.0, ag - ov * stage_fwd);
    if (par.zero >= 3) {
      // Parameters gathered for every micro-batch's forward and backward,
      // one collective per layer (or per tensor) and pass.
      const double gathers = static_cast<double>(stage_layers) * w_.stack.zero3_gathers_per_layer;
      const double per_mb = 2.0 * (ring_allgather_time(params_dev * kWeightBytes, ranks, bw, lat) +
                                   (gathers - 1.0) * (ranks - 1) * lat);
      dp_comm += std::max(0.0, mb * per_mb - ov * mb * (stage_fwd + stage_bwd));
    }
    const double opt_params = par.zero >= 1 ? params_dev / dpc : params_dev;
    optimizer = opt_params * kOptimizerTraffic / d.mem_bw + 20.0 * d.kernel_overhead;
  }

  TrainEstimate e;
  e.par = par;
  e.micro_batches = static_cast<int>(mbs);
  e.stage_layers = stage_layers;
  // Split the pipeline's busy time (m x stage time) into its causes in the
  // proportions of one layer; logits count as compute.
  const double busy = mb * stage_time;
  const double logits_busy = mb * logits_time;
  const double layer_busy = std::max(0.0, busy - logits_busy);
  auto share = [&](double part) { return layer_total > 0 ? layer_busy * part / layer_total : 0.0; };
  e.breakdown.compute = share(layer_compute) + logits_busy;
  e.breakdown.tp_comm = share(layer_tp);
  e.breakdown.ep_comm = share(layer_ep);
  e.breakdown.cp_comm = share(layer_cp);
  e.breakdown.pp_comm = pp_comm;
  e.breakdown.bubble = bubble;
  e.breakdown.dp_comm = dp_comm;
  e.breakdown.optimizer = optimizer;
  e.step_time_s = busy + bubble + pp_comm + dp_comm + optimizer;
  const double tokens_step = static_cast<double>(w_.global_batch) * w_.seq;
  e.tokens_per_s = tokens_step / e.step_time_s;
  e.model_flops_per_step = tokens_step * model_flops_per_token_;
  double hw_extra = 0;
  if (par.recompute == Recompute::kFull) hw_extra = recompute_flops_per_token_;
  if (par.recompute == Recompute::kSelective && !w_.stack.flash_attention) {
    hw_extra = static_cast<double>(w_.seq) * attn_core_dim_ * m.layers;
  }
  e.hardware_flops_per_step = tokens_step * (model_flops_per_token_ + hw_extra);

  e.mfu_peak = fp8 ? Precision::kFp8 : Precision::kBf16;
  const double peak = fp8 ? d.peak_flops : d.bf16_peak_flops;
  e.mfu_peak_tflops = peak / 1e12;
  e.model_tflops_per_device = e.model_flops_per_step / e.step_time_s / devices_ / 1e12;
  e.mfu = e.model_flops_per_step / (e.step_time_s * devices_ * peak);
  e.hfu = e.hardware_flops_per_step / (e.step_time_s * devices_ * peak);
  e.memory = mem;
  e.fits = mem.total <= mem.usable;
  return e;
}

namespace {

std::vector<int> divisors(int n, int cap) {
  std::vector<int> out;
  for (int i = 1; i <= n && i <= cap; ++i) {
    if (n % i == 0) out.push_back(i);
  }
  return out;
}

}  // namespace

namespace {

// Checks the fields the user fixed, one rule at a time, so that the error
// names the rule ("TP 7 does not divide the 32 heads") rather than "no
// layout matches".
Result<void> check_request(const TrainModel& model, const ParallelismRequest& req) {
  const ModelArch& m = model.workload().model;
  const int n = model.devices();
  auto bad = [](std::string msg) { return fail(ErrorCode::kInvalidArgument, std::move(msg)); };
  for (auto [name, v] :
       {std::pair{"--tp", req.tp}, std::pair{"--pp", req.pp}, std::pair{"--dp", req.dp},
        std::pair{"--cp", req.cp}, std::pair{"--ep", req.ep}, std::pair{"--vpp", req.vpp},
        std::pair{"--micro-batch", req.micro_batch}}) {
    if (v && *v <= 0) return bad(fmt::format("{} must be positive, got {}", name, *v));
  }
  if (req.zero && (*req.zero < 0 || *req.zero > 3)) {
    return bad(fmt::format("--zero must be 0..3, got {}", *req.zero));
  }
  if (req.tp && m.heads % *req.tp != 0) {
    return bad(fmt::format("TP {} does not divide the {} attention heads", *req.tp, m.heads));
  }
  if (req.tp && !m.mla && m.kv_heads % *req.tp != 0 && *req.tp % m.kv_heads != 0) {
    return bad(
        fmt::format("TP {} and the {} KV heads do not divide each other", *req.tp, m.kv_heads));
  }
  if (req.pp && *req.pp > m.layers) {
    return bad(fmt::format("PP {} exceeds the {} layers", *req.pp, m.layers));
  }
  if (req.pp && m.layers % *req.pp != 0 && !model.workload().uneven_pipeline) {
    return bad(
        fmt::format("PP {} does not divide the {} layers (allow stages of {} and {} layers "
                    "with --uneven-pipeline)",
                    *req.pp, m.layers, m.layers / *req.pp + 1, m.layers / *req.pp));
  }
  long long fixed = 1;
  std::string names;
  for (auto [name, v] : {std::pair{"tp", req.tp}, std::pair{"pp", req.pp}, std::pair{"dp", req.dp},
                         std::pair{"cp", req.cp}}) {
    if (!v) continue;
    fixed *= *v;
    names += (names.empty() ? "" : "·") + std::string(name);
  }
  if (req.tp && req.pp && req.dp && req.cp && fixed != n) {
    return bad(fmt::format("tp·pp·dp·cp = {} but --devices is {}", fixed, n));
  }
  if (fixed > n || n % fixed != 0) {
    return bad(
        fmt::format("{} = {} does not divide --devices {} (tp·pp·dp·cp must equal the "
                    "device count)",
                    names, fixed, n));
  }
  if (req.ep && m.is_moe() && m.moe->experts % *req.ep != 0) {
    return bad(fmt::format("EP {} does not divide the {} experts", *req.ep, m.moe->experts));
  }
  if (req.ep && *req.ep > 1 && !m.is_moe()) return bad("--ep > 1 needs an MoE model");
  return {};
}

}  // namespace

Result<TrainSearchResult> search_train(const TrainModel& model, const ParallelismRequest& req) {
  SUANLI_TRY(check_request(model, req));
  const ModelArch& m = model.workload().model;
  const int n = model.devices();
  const DeviceModel& dev = model.device();
  TrainSearchResult result;
  auto note = [&](bool searched, const char* name) {
    if (searched) result.searched.emplace_back(name);
  };
  note(!req.tp, "tp");
  note(!req.pp, "pp");
  note(!req.dp, "dp");
  note(!req.cp, "cp");
  note(!req.ep && m.is_moe(), "ep");
  note(!req.vpp, "vpp");
  note(!req.micro_batch, "micro_batch");
  note(!req.recompute, "recompute");
  note(!req.sequence_parallel, "sequence_parallel");
  note(!req.zero, "zero");

  const int tp_cap = std::max(1, std::min(dev.scaleup_domain, 64));
  std::vector<int> tps = req.tp ? std::vector<int>{*req.tp} : divisors(n, tp_cap);
  std::vector<int> cps;
  if (req.cp) {
    cps = {*req.cp};
  } else {
    for (int c = 1; c <= 64; c *= 2) {
      if (c > 1 && (model.workload().seq / c < 2048 || !model.workload().stack.context_parallel))
        break;
      cps.push_back(c);
    }
  }
  std::vector<int> pps = req.pp ? std::vector<int>{*req.pp} : divisors(n, m.layers);
  std::vector<Recompute> recs =
      req.recompute
          ? std::vector<Recompute>{*req.recompute}
          : std::vector<Recompute>{Recompute::kNone, Recompute::kSelective, Recompute::kFull};
  std::vector<int> zeros = req.zero ? std::vector<int>{*req.zero}
                           : model.workload().stack.distributed_optimizer
                               ? std::vector<int>{1, 0, 2, 3}
                               : std::vector<int>{0};

  bool have_best = false;
  bool have_closest = false;
  TrainEstimate closest;
  double closest_ratio = 1e300;
  Error first_error{ErrorCode::kInvalidArgument, ""};
  for (int tp : tps) {
    for (int cp : cps) {
      for (int pp : pps) {
        const long long tpc = 1LL * tp * cp * pp;
        if (tpc > n || n % tpc != 0) continue;
        const int dp = static_cast<int>(n / tpc);
        if (req.dp && *req.dp != dp) continue;
        std::vector<int> eps{1};
        if (m.is_moe()) {
          eps = req.ep ? std::vector<int>{*req.ep} : divisors(m.moe->experts, m.moe->experts);
        } else if (req.ep) {
          eps = {*req.ep};
        }
        // Micro-batch: any divisor of the per-replica batch up to 32.
        std::vector<int> mbs_opts;
        if (req.micro_batch) {
          mbs_opts = {*req.micro_batch};
        } else {
          const long long per_replica = model.workload().global_batch / dp;
          if (per_replica * dp == model.workload().global_batch) {
            mbs_opts = divisors(static_cast<int>(std::min<long long>(per_replica, 1 << 30)), 32);
          }
        }
        const SoftwareStack& st = model.workload().stack;
        std::vector<int> vpps{1};
        if (req.vpp) {
          vpps = {*req.vpp};
        } else if (pp > 1 && st.interleaved_pipeline) {
          vpps = divisors(std::max(1, m.layers / pp), 16);
        }
        std::vector<bool> sps;
        if (req.sequence_parallel)
          sps = {*req.sequence_parallel};
        else if (tp > 1 && st.sequence_parallel)
          sps = {true, false};
        else
          sps = {false};
        for (int ep : eps) {
          for (int vpp : vpps) {
            for (int mb : mbs_opts) {
              for (bool sp : sps) {
                for (Recompute rc : recs) {
                  for (int zero : zeros) {
                    Parallelism par{tp, pp, dp, cp, ep, vpp, mb, rc, sp, zero};
                    if (!model.valid(par)) {
                      if (first_error.message.empty()) first_error = model.check(par).error();
                      continue;
                    }
                    ++result.candidates;
                    const TrainMemory mem = model.memory(par);
                    if (mem.total > mem.usable) {
                      const double ratio = mem.total / mem.usable;
                      if (ratio < closest_ratio) {
                        closest_ratio = ratio;
                        closest = model.evaluate(par);
                        have_closest = true;
                      }
                      continue;
                    }
                    ++result.feasible;
                    TrainEstimate est = model.evaluate(par);
                    if (!have_best || est.step_time_s < result.best.step_time_s) {
                      result.best = est;
                      have_best = true;
                    }
                  }
                }
              }
            }
          }
        }
      }
    }
  }
  if (!have_best) {
    if (!have_closest) {
      if (first_error.message.empty()) {
        first_error.message = fmt::format(
            "no parallel layout of {} devices matches the request: tp·pp·dp·cp must equal "
            "--devices, with tp dividing the {} heads (at most the {}-device scale-up domain), pp "
            "at most the {} layers and dp dividing the global batch of {} sequences",
            n, m.heads, dev.scaleup_domain, m.layers, model.workload().global_batch);
      }
      return std::unexpected(first_error);
    }
    const auto& p = closest.par;
    return fail(
        ErrorCode::kInfeasible,
        fmt::format("nothing fits in memory: {} candidates tried; the closest (tp={} pp={} "
                    "dp={} cp={} ep={} micro-batch={} recompute={} zero={}) needs {:.1f} GB "
                    "per device (weights {:.1f}, grads {:.1f}, optimizer {:.1f}, "
                    "activations {:.1f}, logits {:.1f}) but {} offers {:.1f} GB usable",
                    result.candidates, p.tp, p.pp, p.dp, p.cp, p.ep, p.micro_batch,
                    recompute_name(p.recompute), p.zero, closest.memory.total / 1e9,
                    closest.memory.weights / 1e9, closest.memory.grads / 1e9,
                    closest.memory.optimizer / 1e9, closest.memory.activations / 1e9,
                    closest.memory.logits / 1e9, dev.accel ? dev.accel->id : "the device",
                    closest.memory.usable / 1e9));
  }
  return result;
}

TrainTotals train_totals(const TrainEstimate& e, const TrainModel& model) {
  TrainTotals t;
  const double tokens = model.workload().tokens;
  if (tokens <= 0 || e.tokens_per_s <= 0) return t;
  const double seconds = tokens / e.tokens_per_s;
  t.time_to_train_days = seconds / 86400.0;
  t.device_hours = seconds / 3600.0 * model.devices();
  t.energy_mwh = t.device_hours * model.device().tdp_w * model.workload().pue / 1e6;
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

// Memory per device on the most loaded pipeline stage, and the parameters
// each rank holds before ZeRO sharding (train.h: TrainModel::memory).
#include <algorithm>
#include <cmath>

#include "perf/train.h"
#include "perf/train_detail.h"

namespace suanli {

using namespace train_detail;  // NOLINT: the training model's own constants

TrainModel::StageParams TrainModel::stage_params(const Parallelism& par) const {
  const ModelArch& m = w_.model;
  const double h = m.hidden;
  const double t = par.tp;
  const int stage_layers = ceil_div(m.layers, par.pp);
  // Fraction of layers of each kind on the loaded stage.
  const double moe_frac = m.layers > 0 ? static_cast<double>(moe_layers_) / m.layers : 0.0;
  const double moe_on_stage = std::ceil(stage_layers * moe_frac);
  const double dense_on_stage = stage_layers - moe_on_stage;
  StageParams sp;
  sp.dense = stage_layers * params_.per_layer_attn / t + dense_on_stage * params_.per_dense_mlp / t +
             static_cast<double>(m.vocab) * h / t;  // embedding or output layer
  if (m.is_moe()) {
    const auto& e = *m.moe;
    sp.dense += moe_on_stage * (e.shared_experts * params_.per_expert / t + h * e.experts);
    sp.expert = moe_on_stage * (static_cast<double>(e.experts) / par.ep) * params_.per_expert /
                std::max(1, par.etp);
  }
  if (par.pp == 1 && !m.tied_embeddings) sp.dense += static_cast<double>(m.vocab) * h / t;
  sp.dense_dp = static_cast<double>(par.dp) * par.cp;
  // Expert weights are replicated over the ranks of the TP x DP x CP grid
  // that hold the same experts: (tp * dp * cp) / (ep * etp).
  sp.expert_dp = std::max(1.0, sp.dense_dp * t / (static_cast<double>(par.ep) * par.etp));
  // Hybrid sharding keeps one copy of the state per replica group.
  const double replicas = par.zero_replicas();
  sp.dense_shard = sp.dense_dp / replicas;
  sp.expert_shard = std::max(1.0, sp.expert_dp / replicas);
  return sp;
}

TrainMemory TrainModel::memory(const Parallelism& par) const {
  const ModelArch& m = w_.model;
  const double h = m.hidden;
  const double t = par.tp;
  const int stage_layers = ceil_div(m.layers, par.pp);
  const StageParams p = stage_params(par);
  // FP32 training keeps no separate master copy; BF16 gradient
  // accumulation halves the gradient buffer.
  const double weight_b = weight_bytes(w_.precision);
  const double grad_b = grad_bytes(w_.precision, w_.bf16_grad_accum);
  const double opt_b = optimizer_bytes(w_.precision);
  auto sharded = [&](bool shard) {
    return shard ? p.dense / p.dense_shard + p.expert / p.expert_shard : p.dense + p.expert;
  };
  TrainMemory mem;
  mem.weights = weight_b * sharded(par.zero >= 3);
  mem.grads = grad_b * sharded(par.zero >= 2);
  mem.optimizer = opt_b * sharded(par.zero >= 1);
  // Activations per layer per micro-batch (bytes), Korthikanti et al. 2022
  // generalised to GQA/MLA/SwiGLU/MoE, with flash attention (no s^2 terms).
  const double tokens = static_cast<double>(par.micro_batch) * w_.seq / par.cp;
  const double sp = par.sequence_parallel ? t : 1.0;
  const double act_full = tokens * 2.0 * h / sp;  // a fully recomputed layer keeps its input
  auto stored = [&](Recompute rc) {
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
    if (rc == Recompute::kSelective) {
      hidden_bytes -= 4.0 * h;                                   // norm outputs recomputed
      ffn_bytes *= m.mlp == MlpKind::kSwiglu ? 2.0 / 3.0 : 0.5;  // activation output recomputed
    }
    // Without flash attention the softmax output, its dropout mask and the
    // dropout output are kept: 5 bytes per score (Korthikanti et al.),
    // unless the attention core is recomputed.
    if (!w_.stack.flash_attention && rc == Recompute::kNone) {
      split_bytes += (m.dropout ? 5.0 : 2.0) * m.heads * static_cast<double>(w_.seq);
    }
    // Experts are split over ETP ranks (or whole on each TP rank).
    const double ffn_split = m.is_moe() ? std::max(1, par.etp) * sp : t;
    return tokens * (hidden_bytes / sp + split_bytes / t + ffn_bytes / ffn_split);
  };
  const int recomputed = recomputed_layers(par, stage_layers);
  const double plain = par.recompute == Recompute::kFull ? stored(Recompute::kNone)
                                                         : stored(par.recompute);
  const long long mbs = w_.global_batch / (1LL * par.dp * par.micro_batch);
  // Logits and their FP32 softmax for one micro-batch, on the last stage.
  const double logits = tokens * static_cast<double>(m.vocab) / t * (2.0 + 4.0);
  const double one_mb = act_full * recomputed + plain * (stage_layers - recomputed);
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

int TrainModel::recomputed_layers(const Parallelism& par, int stage_layers) const {
  if (par.recompute != Recompute::kFull) return 0;
  return par.recompute_layers > 0 ? std::min(par.recompute_layers, stage_layers) : stage_layers;
}

}  // namespace suanli

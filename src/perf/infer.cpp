#include "perf/infer.h"

#include <fmt/format.h>
#include <algorithm>
#include <cmath>
#include <limits>

namespace suanli {

namespace {

// The compute format for a weight format: FP4 weights run FP4 GEMMs where
// the chip has them, else FP8 ("FP4 storage + FP8 compute").
Result<Precision> compute_precision(const Accelerator& a, Precision weights) {
  switch (weights) {
    case Precision::kBf16:
      if (a.supports(Precision::kBf16)) return Precision::kBf16;
      if (a.supports(Precision::kFp16)) return Precision::kFp16;
      break;
    case Precision::kFp8:
    case Precision::kInt8:
      if (a.supports(weights)) return weights;
      break;
    case Precision::kFp4:
      if (a.supports(Precision::kFp4)) return Precision::kFp4;
      if (a.supports(Precision::kFp8)) return Precision::kFp8;
      break;
    default:
      return fail(ErrorCode::kInvalidArgument,
                  "inference precision must be bf16, fp8, int8 or fp4");
  }
  std::string hint;
  if (weights == Precision::kFp8 && a.supports(Precision::kInt8)) {
    hint = "; use --precision int8 (W8A8) on chips without FP8";
  }
  return fail(ErrorCode::kUnsupported,
              fmt::format("{} has no {} rate, so {} inference is not supported on it{}", a.id,
                          weights == Precision::kFp4 ? "fp4 or fp8" : precision_name(weights),
                          precision_name(weights), hint));
}

}  // namespace

Precision resolve_precision(const InferWorkload& w, const Accelerator& accel) {
  if (!w.auto_precision) return w.precision;
  if (accel.supports(Precision::kFp8)) return Precision::kFp8;
  if (accel.supports(Precision::kInt8)) return Precision::kInt8;
  return Precision::kBf16;
}

std::optional<InferPrecision> parse_infer_precision(std::string_view text) {
  if (text == "w4a8") return InferPrecision{Precision::kInt8, 4};
  if (text == "int4" || text == "w4a16") return InferPrecision{Precision::kBf16, 4};
  auto p = parse_precision(text);
  if (!p) return std::nullopt;
  return InferPrecision{*p, 0};
}

namespace {

// Kernels one decode step launches per layer in a graph-captured engine
// (CUDA graphs, Ascend graph mode), collectives counted apart. A dense
// Llama-style layer in vLLM / SGLang: fused add+RMSNorm, QKV GEMM, rotary,
// KV-cache write, attention, O GEMM, fused add+RMSNorm, gate/up GEMM,
// SiLU-and-multiply, down GEMM = 10. An MoE MLP adds the router GEMM,
// top-k, token permutation, a second grouped GEMM, un-permute/reduce and
// the shared expert's three (activation fused) = +7 over the dense MLP. MLA
// (DeepSeek, absorbed) adds the q down-projection and its norm, the kv
// down-projection and its norm, and the two absorbed batched matmuls = +5
// (a count of the operators in SGLang's DeepseekV2 decoder layer).
constexpr double kDecodeKernelsDense = 10;
constexpr double kDecodeKernelsMoeExtra = 7;
constexpr double kDecodeKernelsMlaExtra = 5;

// The busiest of `ranks` devices' share of `selections` expert selections
// spread uniformly at random (top-k routing with balanced experts): the
// mean plus the expected maximum excess of the per-rank binomial counts,
// sqrt(2 ln R · var) (Gaussian extreme value). Real routers are skewed
// beyond this; expert-placement balancers (EPLB) bring them back towards
// it, so it is the floor, not a fitted factor.
double expert_imbalance(double selections, int ranks) {
  if (ranks <= 1 || !(selections > 0)) return 1.0;
  const double r = ranks;
  const double mean = selections / r;
  const double excess = std::sqrt(2.0 * std::log(r) * mean * (1.0 - 1.0 / r));
  return std::min(r, (mean + excess) / mean);
}

// The FLOP/s one rank's decode attention kernels achieve. Their math runs
// at the weights' GEMM rate only where that precision is one attention
// kernels use: FP4 (and FP8 over a BF16 KV cache) does not (TensorRT-LLM's
// and FlashMLA's decode kernels are BF16, or FP8 over an FP8 cache), so
// those run at the KV cache's rate and that precision's forward efficiency
// (FP8 where the chip has it, else BF16). INT8 (W8A8, W4A8) quantizes the
// GEMMs alone, as FP8 does: over a BF16 cache the attention math is BF16,
// as DeepSeek's own serving keeps its MLA core in BF16 beside FP8 GEMMs.
// (An INT8 rate whatever the cache had fitted CloudMatrix-Infer's decode
// rows only while the expert all-to-all's latency was overcharged.)
double attention_rate(const Accelerator& a, const DeviceModel& d, Precision kv) {
  const Precision c = d.compute_precision;
  const bool fp8_family = c == Precision::kFp4 || c == Precision::kFp8;
  if ((!fp8_family && c != Precision::kInt8) || kv == c) return d.peak_flops * d.forward_gemm_eff;
  const auto& fp8 = a.rate(Precision::kFp8);
  // d's efficiency is the low-precision one, which FP8 and FP4 share (INT8
  // has its own, so INT8 GEMMs over an FP8 cache are priced at BF16).
  if (kv == Precision::kFp8 && fp8 && fp8_family)
    return fp8->value * 1e12 / std::max(1, d.dies) * d.forward_gemm_eff;
  return d.bf16_peak_flops * d.bf16_forward_gemm_eff;
}

// The workload's own rules, before any layout: bounds a front end already
// enforced (a caller may build an InferWorkload by hand) and the
// combinations that contradict each other.
Result<void> check_workload(const InferWorkload& w, const Accelerator& accel) {
  if (w.input_len <= 0 || w.output_len <= 0) {
    return fail(ErrorCode::kInvalidArgument, "--input-len and --output-len must be positive");
  }
  if (w.batch && *w.batch <= 0)
    return fail(ErrorCode::kInvalidArgument, "--batch must be positive");
  if (w.chunked_prefill_tokens && *w.chunked_prefill_tokens < 1)
    return fail(ErrorCode::kInvalidArgument, "--chunked-prefill-tokens must be positive");
  if (w.tpot_slo_s && *w.tpot_slo_s <= 0) {
    return fail(ErrorCode::kInvalidArgument, "--tpot-slo-ms must be positive");
  }
  if (w.ttft_slo_s && *w.ttft_slo_s <= 0) {
    return fail(ErrorCode::kInvalidArgument, "--ttft-slo-ms must be positive");
  }
  if (w.spec_tokens < 0 || w.spec_tokens > 16) {
    return fail(ErrorCode::kInvalidArgument, "--spec-tokens must be between 0 and 16");
  }
  if (w.spec_tokens > 0 &&
      !(w.spec_accept_len >= 1.0 && w.spec_accept_len <= w.spec_tokens + 1.0)) {
    return fail(ErrorCode::kInvalidArgument,
                fmt::format("--spec-accept-len must be between 1 and spec tokens + 1 = {}",
                            w.spec_tokens + 1));
  }
  if (w.weight_bits != 0 && w.weight_bits != 4 && w.weight_bits != 8 && w.weight_bits != 16) {
    return fail(ErrorCode::kInvalidArgument, "weight width must be 4, 8 or 16 bits");
  }
  if (w.prefill_devices < 0 || (w.prefill_devices > 0 && !w.disaggregated)) {
    return fail(ErrorCode::kInvalidArgument,
                "--prefill-devices counts a disaggregated deployment's prefill devices: give "
                "--disaggregated with it");
  }
  if (w.prefill_tp < 0 || (w.prefill_tp > 0 && !w.disaggregated)) {
    return fail(ErrorCode::kInvalidArgument,
                "--prefill-tp is the attention TP of a disaggregated deployment's prefill "
                "instances: give --disaggregated with it");
  }
  if (const long long prefill_ranks =
          static_cast<long long>(w.prefill_devices) * std::max(1, accel.dies);
      w.prefill_tp > 0 && w.prefill_devices > 0 && w.prefill_tp > prefill_ranks) {
    return fail(ErrorCode::kInvalidArgument,
                fmt::format("--prefill-tp {} exceeds the {} ranks of the {} prefill devices",
                            w.prefill_tp, prefill_ranks, w.prefill_devices));
  }
  return {};
}

}  // namespace

Result<InferModel> InferModel::create(const InferWorkload& w, const Accelerator& accel,
                                      const EfficiencyProfile& profile, int devices,
                                      const InferLayout& layout_in) {
  const ModelArch& m = w.model;
  if (devices <= 0) return fail(ErrorCode::kInvalidArgument, "--devices must be positive");
  SUANLI_TRY(check_workload(w, accel));
  InferWorkload w_resolved = w;
  w_resolved.precision = resolve_precision(w, accel);
  w_resolved.auto_precision = false;
  auto cp = compute_precision(accel, w_resolved.precision);
  if (!cp) return std::unexpected(cp.error());
  auto dev = make_device_model(accel, profile, *cp);
  if (!dev) return std::unexpected(dev.error());
  price_device(*dev, w.cost);
  // A multi-die package serves as one rank per die (the 910C as two
  // 910B-class dies): the layout counts ranks, outputs are per package.
  const int dies = dev->dies > 1 ? dev->dies : 1;
  const long long ranks_ll = 1LL * devices * dies;
  if (ranks_ll > 1'000'000) return fail(ErrorCode::kInvalidArgument, "--devices is too large");
  const int ranks = static_cast<int>(ranks_ll);
  InferLayout l = layout_in;
  if (l.tp <= 0) return fail(ErrorCode::kInvalidArgument, "--tp must be positive");
  if (m.heads % l.tp != 0) {
    return fail(ErrorCode::kInvalidArgument,
                fmt::format("TP {} does not divide the {} attention heads", l.tp, m.heads));
  }
  if (m.is_moe()) {
    if (l.ep <= 1) l.ep = l.tp;
    if (l.ep < l.tp && l.tp % l.ep == 0) {
      // EP groups inside the TP group, experts split over the rest.
      l.expert_tp = true;
      l.ep = l.tp;
    }
    if (l.ep % l.tp != 0) {
      return fail(ErrorCode::kInvalidArgument,
                  fmt::format("EP {} must be a multiple or a divisor of TP {}", l.ep, l.tp));
    }
    l.instance_devices = l.ep;
  } else {
    if (l.ep > 1) return fail(ErrorCode::kInvalidArgument, "--ep > 1 needs an MoE model");
    l.ep = 1;
    l.instance_devices = l.tp;
  }
  // Pipeline stages: the instance is pp stages of the ranks above.
  if (w.pp < 1 || w.pp > m.layers) {
    return fail(ErrorCode::kInvalidArgument,
                fmt::format("--pp must be between 1 and the model's {} layers", m.layers));
  }
  l.pp = w.pp;
  l.instance_devices *= l.pp;
  if (ranks % l.instance_devices != 0) {
    return fail(
        ErrorCode::kInvalidArgument,
        fmt::format("{} is not a multiple of the {} ranks of one instance (TP {}{}{})",
                    dies > 1 ? fmt::format("{} devices x {} dies = {} ranks", devices, dies, ranks)
                             : fmt::format("--devices {}", devices),
                    l.instance_devices, l.tp,
                    m.is_moe() ? fmt::format(", EP {}", l.ep) : std::string(),
                    l.pp > 1 ? fmt::format(", PP {}", l.pp) : std::string()));
  }
  l.instances = ranks / l.instance_devices;

  InferModel im;
  im.w_ = w_resolved;
  im.devices_ = devices;
  im.dev_ = per_die(*dev);
  im.layout_ = l;
  im.params_ = count_params(m);
  im.weight_bytes_ =
      w.weight_bits > 0 ? w.weight_bits / 8.0 : precision_bytes(w_resolved.precision);
  im.attn_rate_ = attention_rate(accel, im.dev_, w.kv_precision);
  const InferModel::ParamSplit split = im.split_params();
  im.weights_per_device_ =
      im.weight_bytes_ * (split.dense / (l.tp * l.pp) + split.experts / l.instance_devices);
  const double free_bytes = im.dev_.memory_bytes - im.weights_per_device_;
  const double ctx = static_cast<double>(w.input_len) + w.output_len;
  const double per_seq = ctx * im.kv_bytes_per_token_device();
  const double dp_groups = static_cast<double>(im.stage_ranks()) / l.tp;
  im.max_batch_ =
      free_bytes > 0 ? static_cast<int>(std::floor(free_bytes / per_seq) * dp_groups) : 0;
  return im;
}

InferModel::ParamSplit InferModel::split_params() const {
  const ModelArch& m = w_.model;
  const double h = m.hidden;
  ParamSplit p;
  p.dense = m.layers * params_.per_layer_attn +
            static_cast<double>(m.vocab) * h * (m.tied_embeddings ? 1.0 : 2.0);
  if (m.is_moe()) {
    const auto& e = *m.moe;
    p.moe_layers = m.layers - e.first_dense_layers;
    p.dense += e.first_dense_layers * params_.per_dense_mlp +
               p.moe_layers * (e.shared_experts * params_.per_expert + h * e.experts);
    p.experts = p.moe_layers * static_cast<double>(e.experts) * params_.per_expert;
  } else {
    p.dense += m.layers * params_.per_dense_mlp;
  }
  return p;
}

double InferModel::kv_bytes_per_token_device() const {
  const ModelArch& m = w_.model;
  const double kvb = precision_bytes(w_.kv_precision);
  if (m.mla) {
    // Compressed latent + decoupled RoPE key, replicated across TP ranks.
    return m.layers * static_cast<double>(m.mla->kv_lora_rank + m.mla->qk_rope_head_dim) * kvb /
           layout_.pp;
  }
  const double split = std::min(layout_.tp, m.kv_heads);
  return 2.0 * m.layers * m.kv_heads * m.head_dim * kvb / split / layout_.pp;
}

// Kernel and fixed costs of one decode step: every operator of every layer
// (plus the drafter's layer per speculated token), then the scheduler,
// sampling and host work of the step.
double InferModel::decode_floor(double draft_layers) const {
  const ModelArch& m = w_.model;
  double per_layer = kDecodeKernelsDense + (m.mla ? kDecodeKernelsMlaExtra : 0.0);
  double layers = m.layers;
  if (m.is_moe()) {
    const double moe_layers = m.layers - m.moe->first_dense_layers;
    layers += moe_layers * kDecodeKernelsMoeExtra / per_layer;
  }
  return (layers + draft_layers) * per_layer * dev_.kernel_overhead + dev_.decode_overhead;
}

// The pp - 1 sends between pipeline stages of `tokens` hidden states (one
// attention group's): each TP rank sends its 1/tp slice to its peer in the
// next stage, over the link between stages (the NIC when the stages sit in
// different scale-up domains). 0 without PP.
double InferModel::stage_sends(double tokens) const {
  if (layout_.pp <= 1) return 0.0;
  const GroupLink link = group_link(dev_, layout_.pp, stage_ranks());
  const double bytes = tokens * w_.model.hidden * 2.0 / layout_.tp;
  return (layout_.pp - 1) * (bytes / link.bw + link.lat);
}

InferModel::DecodeStep InferModel::decode_step(int batch) const {
  const ModelArch& m = w_.model;
  const DeviceModel& d = dev_;
  const double h = m.hidden;
  // With PP a token passes every stage in turn, each working on one of pp
  // micro-batches: the step of one token is the whole model's at the
  // micro-batch on one stage's ranks, plus the sends between stages.
  const double pp = layout_.pp;
  const double b = batch / pp;
  const double ranks = stage_ranks();
  const double dp_groups = attention_groups();
  const double b_dp = b / dp_groups;  // sequences per attention group
  // Tokens per sequence a step processes: the next one plus the drafts
  // verified beside it.
  const double t = 1.0 + w_.spec_tokens;
  const double ctx_avg = w_.input_len + w_.output_len / 2.0;
  // Bytes read: dense weights once, activated experts once, the KV cache.
  // (The input embedding is a lookup: only the output layer's copy is read.)
  const ParamSplit split = split_params();
  const double head_params = static_cast<double>(m.vocab) * h;
  const double dense_params = split.dense - (m.tied_embeddings ? 0.0 : head_params);
  double expert_read = 0;
  double expert_time = 0;
  double imbalance = 1;
  if (m.is_moe()) {
    const auto& e = *m.moe;
    const double local = static_cast<double>(e.experts) / ranks;
    const double selections = b * t * e.top_k;
    const double hit = 1.0 - std::pow(1.0 - static_cast<double>(e.top_k) / e.experts, b * t);
    const ExpertLoad load = expert_load(selections, split);
    imbalance = load.imbalance;
    expert_read = split.moe_layers * local * hit * params_.per_expert * weight_bytes_;
    expert_time = load.time;
  }
  const double weight_read = dense_params * weight_bytes_ / layout_.tp + expert_read;
  const double kv_read = b_dp * ctx_avg * kv_bytes_per_token_device() * pp;  // every stage's
  DecodeStep s;
  s.memory = (weight_read + kv_read) / d.decode_mem_bw;
  // FLOPs: dense GEMMs on this group's tokens, routed experts (the busiest
  // rank's, timed by expert_load at their GEMMs' size), attention of every
  // verified token over the context.
  double attn_flops_tok = 0;
  if (m.mla) {
    const auto& a = *m.mla;
    attn_flops_tok = 2.0 * ctx_avg * m.heads * (2.0 * a.kv_lora_rank + a.qk_rope_head_dim);
  } else {
    attn_flops_tok = 4.0 * ctx_avg * m.heads * m.head_dim;
  }
  const double dense_flops = 2.0 * b_dp * t * dense_params / layout_.tp;
  const double attn_flops = b_dp * t * m.layers * attn_flops_tok / layout_.tp;
  const double gemm_time = dense_flops / (d.peak_flops * d.forward_gemm_eff) + expert_time;
  const double attn_math = attn_flops / attn_rate_;
  s.compute = gemm_time + attn_math;
  // Communication: 2 TP all-reduces per layer; 2 all-to-alls per MoE
  // layer, sized by the busiest rank's tokens.
  const GroupLink tp_link = group_link(d, layout_.tp, 1);
  double comm =
      2.0 * m.layers * ring_allreduce_time(b_dp * t * h * 2.0, layout_.tp, tp_link.bw, tp_link.lat);
  if (m.is_moe() && !layout_.expert_tp) {
    const auto& e = *m.moe;
    // All-gathered, every rank receives every token whatever the routing.
    const double tokens_rank = b * t / ranks * (w_.expert_all_gather ? 1.0 : imbalance);
    const ExpertExchange how = expert_exchange(false);
    comm += (m.layers - e.first_dense_layers) *
            (ep_alltoall_time(d, tokens_rank, e.top_k, h * 1.0, stage_ranks(), how) +
             ep_alltoall_time(d, tokens_rank, e.top_k, h * 2.0, stage_ranks(), how));
  }
  comm += stage_sends(b_dp * t);
  s.comm = comm;
  // The drafter: one layer of the model's width plus the output layer, run
  // once per drafted token (an MTP module or an EAGLE head).
  double draft = 0;
  if (w_.spec_tokens > 0) {
    const double layer_bytes = (dense_params / m.layers) * weight_bytes_ / layout_.tp +
                               (m.is_moe() ? expert_read / std::max(1, split.moe_layers) : 0.0);
    const double head_bytes = head_params * weight_bytes_ / layout_.tp;
    draft = w_.spec_tokens * (layer_bytes + head_bytes) / d.decode_mem_bw;
  }
  s.floor = decode_floor(w_.spec_tokens);
  // The weight GEMMs and the attention over the KV cache are separate
  // kernels, one after the other: each is bound by its own bytes or FLOPs,
  // and one's compute does not hide the other's reads.
  const double reads = weight_read / d.decode_mem_bw;
  const double gemms = d.serving_gemm(reads, gemm_time);
  s.gemm_slack = std::max(0.0, reads - gemm_time);
  const double attention = std::max(kv_read / d.decode_mem_bw, attn_math);
  s.total = gemms + attention + s.comm + draft + s.floor;
  return s;
}

InferModel::ExpertLoad InferModel::expert_load(double selections,
                                               const ParamSplit& split) const {
  ExpertLoad out;
  const double ranks = stage_ranks();
  out.imbalance = layout_.expert_tp ? 1.0 : expert_imbalance(selections, ranks);
  const double flops =
      split.moe_layers * 2.0 * (selections / ranks) * out.imbalance * params_.per_expert;
  // The busiest rank's expert GEMMs at the size-dependent GEMM efficiency,
  // as the training model charges them: each of an expert's three GEMMs
  // multiplies the tokens routed to it (spread over the experts that get
  // any) by a third of its weights (a 1/ranks slice under expert TP).
  const double experts = static_cast<double>(w_.model.moe->experts);
  const double hit = experts * (1.0 - std::pow(1.0 - 1.0 / experts, selections));
  const double tokens = selections * out.imbalance / std::max(1.0, hit);
  const double width = layout_.expert_tp ? params_.per_expert / ranks : params_.per_expert;
  const double gemm = 2.0 * tokens * width / 3.0;
  const double eff = dev_.forward_gemm_eff * gemm / (gemm + dev_.gemm_half_flops);
  out.time = eff > 0 ? flops / (dev_.peak_flops * eff) : 0.0;
  return out;
}

ExpertExchange InferModel::expert_exchange(bool prefill) const {
  if (w_.expert_all_gather) return ExpertExchange::kAllGather;
  return prefill ? ExpertExchange::kNormal : ExpertExchange::kLowLatency;
}

// One forward pass over `tokens` of a prompt on an idle instance: its
// attention and dense GEMMs on its own attention group (tp ranks), its
// routed experts on every rank of the stage. A chunk's attention is its
// share of the whole prompt's (causal attention over every chunk adds up to
// the unchunked prompt's pairs; a later chunk attends to more, spread here
// evenly), its GEMMs its tokens'; each pass reads the weights, launches
// every kernel and exchanges its tokens once.
double InferModel::prefill_pass(double tokens) const {
  const ModelArch& m = w_.model;
  const DeviceModel& d = dev_;
  const double h = m.hidden;
  const double prompt = w_.input_len;
  const double n = tokens;
  const ParamSplit split = split_params();
  const double dense_params =
      split.dense - (m.tied_embeddings ? 0.0 : static_cast<double>(m.vocab) * h);
  // The prompt's tokens are dispatched to the experts' ranks: its expert
  // GEMMs run on every rank of the stage (the busiest rank's share), not on
  // its attention group alone. Without attention data parallelism (tp =
  // the stage's ranks) the two are the same.
  double expert_time = 0;
  double expert_bytes = 0;
  if (m.is_moe()) {
    const auto& e = *m.moe;
    expert_time = expert_load(n * e.top_k, split).time;
    const double hit = 1.0 - std::pow(1.0 - static_cast<double>(e.top_k) / e.experts, n);
    expert_bytes = split.experts * hit * weight_bytes_;
  }
  double core_dim = 2.0 * m.heads * m.head_dim;
  if (m.mla)
    core_dim = m.heads * (m.mla->qk_nope_head_dim + m.mla->qk_rope_head_dim + m.mla->v_head_dim);
  // causal: prompt^2/2 pairs, 2 FLOP/MAC, this pass's share
  const double attn_flops = m.layers * prompt * n * core_dim;
  const int tp = prefill_tp();  // the decode layout's, unless prefill instances state theirs
  const double gemm_rate = d.peak_flops * d.forward_gemm_eff;
  const double compute = 2.0 * n * dense_params / (tp * gemm_rate) + expert_time +
                         attn_flops / (tp * d.bf16_peak_flops * d.prefill_attention_eff(prompt));
  // Short prompts are bound by reading the weights once.
  const double weights = (dense_params * weight_bytes_ / tp) + expert_bytes / stage_ranks();
  double t = std::max(compute, weights / d.mem_bw);
  // The same operators as a decode step, one kernel each.
  t += decode_floor(0) - d.decode_overhead;
  const GroupLink tp_link = group_link(d, tp, 1);
  t += 2.0 * m.layers * ring_allreduce_time(n * h * 2.0, tp, tp_link.bw, tp_link.lat);
  if (m.is_moe() && !layout_.expert_tp) {
    const auto& e = *m.moe;
    const double tokens_rank = n / static_cast<double>(tp);
    t += (m.layers - e.first_dense_layers) * 2.0 *
         ep_alltoall_time(d, tokens_rank, e.top_k, h * 2.0, stage_ranks(), expert_exchange(true));
  }
  return t + stage_sends(n);
}

double InferModel::prefill_time(double chunk) const {
  const double prompt = w_.input_len;
  const double c = std::clamp(chunk, 1.0, prompt);
  const double full = std::floor(prompt / c);
  const double rest = prompt - full * c;
  return full * prefill_pass(c) + (rest > 0 ? prefill_pass(rest) : 0.0);
}

// Sequences running beside a prompt in its attention group: the batch
// over the pipeline's micro-batches and the attention groups, less the slot
// whose prompt is prefilling.
double InferModel::running_beside(int batch) const {
  return std::max(0.0, std::ceil(batch / (layout_.pp * attention_groups())) - 1.0);
}

// The iteration's budget less the running sequences' decode tokens (each
// the next token plus its drafts); a prefill instance decodes nothing.
double InferModel::prefill_chunk(int batch) const {
  const double prompt = w_.input_len;
  if (!w_.chunked_prefill_tokens) return prompt;
  const double budget = *w_.chunked_prefill_tokens;
  if (w_.disaggregated) return std::min(budget, prompt);
  return std::min(budget - running_beside(batch) * (1.0 + w_.spec_tokens), prompt);
}

int InferModel::budget_batch_cap() const {
  if (!w_.chunked_prefill_tokens || w_.disaggregated) return std::numeric_limits<int>::max();
  const double per_group = std::floor((*w_.chunked_prefill_tokens - 1.0) / (1.0 + w_.spec_tokens));
  return static_cast<int>(std::min(1e9, layout_.pp * attention_groups() * (per_group + 1.0)));
}

InferModel::PromptPrefill InferModel::prompt_prefill(int batch, const DecodeStep& step) const {
  PromptPrefill p;
  const double chunk = prefill_chunk(batch);
  const double running = running_beside(batch);
  if (!(chunk >= 1)) {
    p.why_not = fmt::format(
        "a chunked-prefill budget of {} tokens leaves no room for a prompt beside the {:.0f} "
        "decode tokens of the {:.0f} other sequences running in its attention group (batch {})",
        *w_.chunked_prefill_tokens, running * (1.0 + w_.spec_tokens), running, batch);
  }
  const double c = std::max(1.0, chunk);
  p.time = prefill_time(c);
  p.passes = static_cast<int>(std::ceil(w_.input_len / c));
  p.hold = p.time;
  // Co-located, a pass rides an iteration with the running sequences'
  // decode step, when there are any.
  p.rides = w_.chunked_prefill_tokens && !w_.disaggregated && running > 0;
  if (p.rides) {
    const double hidden = std::min(step.gemm_slack, p.time / p.passes);
    p.hold = p.time - p.passes * hidden;
  }
  return p;
}

InferEstimate InferModel::evaluate() const {
  if (w_.request_rate) return at_rate();
  if (w_.batch) return at_batch(*w_.batch);
  if (max_batch_ < 1) return at_batch(1);
  auto ok = [&](int b) {
    const InferEstimate e = at_batch(b);
    if (!e.fits) return false;
    if (w_.tpot_slo_s && e.tpot_s > *w_.tpot_slo_s) return false;
    if (w_.ttft_slo_s && e.ttft_s > *w_.ttft_slo_s) return false;
    return true;
  };
  if (!ok(1)) {
    InferEstimate e = at_batch(1);
    e.fits = false;
    e.why_not =
        fmt::format("no batch meets the SLO: at batch 1, TPOT is {:.1f} ms and TTFT {:.1f} ms",
                    e.tpot_s * 1e3, e.ttft_s * 1e3);
    return e;
  }
  // TPOT and TTFT grow with the batch: binary search the largest that passes.
  int lo = 1;
  int hi = max_batch_;
  while (lo < hi) {
    const int mid = lo + (hi - lo + 1) / 2;
    if (ok(mid))
      lo = mid;
    else
      hi = mid - 1;
  }
  return at_batch(lo);
}

Result<InferSearchResult> search_infer(const InferWorkload& w, const Accelerator& accel,
                                       const EfficiencyProfile& profile, int devices,
                                       std::optional<int> tp, std::optional<int> ep) {
  // The highest throughput wins; under a request rate every layout that
  // keeps up serves the same throughput, so the one that answers soonest
  // (TTFT + output x TPOT) wins among those, and any that keeps up beats
  // one that does not.
  auto better = [&](const InferEstimate& a, const InferEstimate& b) {
    if (w.request_rate && a.saturated != b.saturated) return !a.saturated;
    if (w.request_rate && !a.saturated) {
      return a.ttft_s + w.output_len * a.tpot_s < (b.ttft_s + w.output_len * b.tpot_s) * (1 - 1e-9);
    }
    // A disaggregated prefill deployment (one output token): its prompt
    // throughput, which its decode-shaped figures do not rank.
    if (w.disaggregated && w.output_len <= 1) {
      return a.prefill_tokens_per_s_per_device > b.prefill_tokens_per_s_per_device * (1 + 1e-9);
    }
    return a.output_tokens_per_s > b.output_tokens_per_s * (1 + 1e-9);
  };
  const ModelArch& m = w.model;
  InferSearchResult result;
  if (!tp) result.searched.emplace_back("tp");
  if (!ep && m.is_moe()) result.searched.emplace_back("ep");
  // Layouts count ranks: one per die of a multi-die package.
  const int dies = accel.dies > 1 ? accel.dies : 1;
  if (devices <= 0 || devices > 1'000'000 / dies) {
    return fail(ErrorCode::kInvalidArgument, "--devices must be between 1 and 1000000");
  }
  const int ranks = devices * dies;
  // With PP an instance is w.pp stages: a stage's layout divides ranks / pp.
  if (w.pp < 1 || ranks % w.pp != 0) {
    return fail(ErrorCode::kInvalidArgument,
                fmt::format("{} ranks do not split into --pp {} pipeline stages", ranks, w.pp));
  }
  const int stage = ranks / w.pp;
  const int domain =
      (accel.scaleup_domain ? static_cast<int>(accel.scaleup_domain->value) : 1) * dies;
  std::vector<int> tps;
  if (tp) {
    tps = {*tp};
  } else {
    for (int t = 1; t <= std::min(stage, std::max(1, std::min(domain, 64))); ++t) {
      if (stage % t == 0 && m.heads % t == 0) tps.push_back(t);
    }
  }
  bool have = false;
  InferEstimate best_fail;
  bool have_fail = false;
  Error first_error{ErrorCode::kInvalidArgument, ""};
  for (int t : tps) {
    std::vector<int> eps{1};
    if (m.is_moe()) {
      if (ep) {
        eps = {*ep};
      } else {
        eps.clear();
        for (int e = t; e <= stage; e += t) {
          if (stage % e == 0) eps.push_back(e);
        }
      }
    } else if (ep) {
      eps = {*ep};
    }
    for (int e : eps) {
      InferLayout layout{t, e, 1, 1};
      auto model = InferModel::create(w, accel, profile, devices, layout);
      if (!model) {
        if (model.error().code == ErrorCode::kUnsupported) return std::unexpected(model.error());
        if (first_error.message.empty()) first_error = model.error();
        continue;
      }
      ++result.layouts_tried;
      InferEstimate est = model->evaluate();
      if (!est.fits) {
        if (!have_fail || est.memory_per_device_gb < best_fail.memory_per_device_gb) {
          best_fail = est;
          have_fail = true;
        }
        continue;
      }
      if (!have || better(est, result.best)) {
        result.best = est;
        have = true;
      }
    }
  }
  // A published run that the KV-cache model says does not fit happened
  // anyway: estimate it in the layout that comes closest to fitting.
  if (!have && w.published_run && have_fail && best_fail.output_tokens_per_s > 0) {
    result.best = best_fail;
    have = true;
  }
  if (!have) {
    if (have_fail) {
      return fail(ErrorCode::kInfeasible, fmt::format("no layout of {} × {} serves {}: {}", devices,
                                                      accel.id, m.id, best_fail.why_not));
    }
    if (first_error.message.empty()) {
      first_error.message = fmt::format("no valid TP/EP layout for {} devices", devices);
    }
    return std::unexpected(first_error);
  }
  return result;
}

}  // namespace suanli

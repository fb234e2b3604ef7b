#include "perf/infer.h"

#include <fmt/format.h>
#include <algorithm>
#include <cmath>

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

Result<InferModel> InferModel::create(const InferWorkload& w, const Accelerator& accel,
                                      const EfficiencyProfile& profile, int devices,
                                      const InferLayout& layout_in) {
  const ModelArch& m = w.model;
  if (devices <= 0) return fail(ErrorCode::kInvalidArgument, "--devices must be positive");
  if (w.input_len <= 0 || w.output_len <= 0) {
    return fail(ErrorCode::kInvalidArgument, "--input-len and --output-len must be positive");
  }
  if (w.batch && *w.batch <= 0)
    return fail(ErrorCode::kInvalidArgument, "--batch must be positive");
  if (w.tpot_slo_s && *w.tpot_slo_s <= 0) {
    return fail(ErrorCode::kInvalidArgument, "--tpot-slo-ms must be positive");
  }
  if (w.ttft_slo_s && *w.ttft_slo_s <= 0) {
    return fail(ErrorCode::kInvalidArgument, "--ttft-slo-ms must be positive");
  }
  InferWorkload w_resolved = w;
  w_resolved.precision = resolve_precision(w, accel);
  w_resolved.auto_precision = false;
  auto cp = compute_precision(accel, w_resolved.precision);
  if (!cp) return std::unexpected(cp.error());
  auto dev = make_device_model(accel, profile, *cp);
  if (!dev) return std::unexpected(dev.error());
  InferLayout l = layout_in;
  if (l.tp <= 0) return fail(ErrorCode::kInvalidArgument, "--tp must be positive");
  if (m.heads % l.tp != 0) {
    return fail(ErrorCode::kInvalidArgument,
                fmt::format("TP {} does not divide the {} attention heads", l.tp, m.heads));
  }
  if (m.is_moe()) {
    if (l.ep <= 1) l.ep = l.tp;
    if (l.ep % l.tp != 0) {
      return fail(ErrorCode::kInvalidArgument,
                  fmt::format("EP {} must be a multiple of TP {}", l.ep, l.tp));
    }
    l.instance_devices = l.ep;
  } else {
    if (l.ep > 1) return fail(ErrorCode::kInvalidArgument, "--ep > 1 needs an MoE model");
    l.ep = 1;
    l.instance_devices = l.tp;
  }
  if (devices % l.instance_devices != 0) {
    return fail(ErrorCode::kInvalidArgument,
                fmt::format("--devices {} is not a multiple of the {} devices of one instance "
                            "(TP {}{})",
                            devices, l.instance_devices, l.tp,
                            m.is_moe() ? fmt::format(", EP {}", l.ep) : std::string()));
  }
  l.instances = devices / l.instance_devices;

  InferModel im;
  im.w_ = w_resolved;
  im.dev_ = std::move(*dev);
  im.layout_ = l;
  im.params_ = count_params(m);
  im.weight_bytes_ = precision_bytes(w_resolved.precision);
  const InferModel::ParamSplit split = im.split_params();
  im.weights_per_device_ =
      im.weight_bytes_ * (split.dense / l.tp + split.experts / l.instance_devices);
  const double free_bytes = im.dev_.memory_bytes - im.weights_per_device_;
  const double ctx = static_cast<double>(w.input_len) + w.output_len;
  const double per_seq = ctx * im.kv_bytes_per_token_device();
  const double dp_groups = static_cast<double>(l.instance_devices) / l.tp;
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
    return m.layers * static_cast<double>(m.mla->kv_lora_rank + m.mla->qk_rope_head_dim) * kvb;
  }
  const double split = std::min(layout_.tp, m.kv_heads);
  return 2.0 * m.layers * m.kv_heads * m.head_dim * kvb / split;
}

double InferModel::decode_step(int batch, double* mem_s, double* compute_s, double* comm_s) const {
  const ModelArch& m = w_.model;
  const DeviceModel& d = dev_;
  const double h = m.hidden;
  const double b = batch;
  const double dp_groups = static_cast<double>(layout_.instance_devices) / layout_.tp;
  const double b_dp = b / dp_groups;  // sequences per attention group
  const double ctx_avg = w_.input_len + w_.output_len / 2.0;
  // Bytes read: dense weights once, activated experts once, the KV cache.
  // (The input embedding is a lookup: only the output layer's copy is read.)
  const ParamSplit split = split_params();
  const double dense_params =
      split.dense - (m.tied_embeddings ? 0.0 : static_cast<double>(m.vocab) * h);
  double expert_read = 0;
  double expert_flops = 0;
  if (m.is_moe()) {
    const auto& e = *m.moe;
    const double local = static_cast<double>(e.experts) / layout_.instance_devices;
    const double hit = 1.0 - std::pow(1.0 - static_cast<double>(e.top_k) / e.experts, b);
    expert_read = split.moe_layers * local * hit * params_.per_expert * weight_bytes_;
    expert_flops =
        split.moe_layers * 2.0 * (b * e.top_k / layout_.instance_devices) * params_.per_expert;
  }
  const double weight_read = dense_params * weight_bytes_ / layout_.tp + expert_read;
  const double kv_read = b_dp * ctx_avg * kv_bytes_per_token_device();
  *mem_s = (weight_read + kv_read) / d.mem_bw;
  // FLOPs: dense GEMMs on this group's sequences, routed experts, attention.
  double attn_flops_tok = 0;
  if (m.mla) {
    const auto& a = *m.mla;
    attn_flops_tok = 2.0 * ctx_avg * m.heads * (2.0 * a.kv_lora_rank + a.qk_rope_head_dim);
  } else {
    attn_flops_tok = 4.0 * ctx_avg * m.heads * m.head_dim;
  }
  const double flops = 2.0 * b_dp * dense_params / layout_.tp + expert_flops +
                       b_dp * m.layers * attn_flops_tok / layout_.tp;
  *compute_s = flops / (d.peak_flops * d.gemm_eff);
  // Communication: 2 TP all-reduces per layer; 2 all-to-alls per MoE layer.
  const bool up = layout_.instance_devices <= d.scaleup_domain;
  const double bw = up ? d.group_bw(layout_.instance_devices) : d.scaleout_bw;
  const double lat = up ? d.scaleup_latency : d.scaleout_latency;
  double comm = 2.0 * m.layers *
                ring_allreduce_time(b_dp * h * 2.0, layout_.tp, d.group_bw(layout_.tp), d.scaleup_latency);
  if (m.is_moe()) {
    const auto& e = *m.moe;
    const double tokens_dev = b / layout_.instance_devices;
    comm += (m.layers - e.first_dense_layers) *
            (alltoall_time(tokens_dev * e.top_k * h * 1.0, layout_.instance_devices, bw, lat) +
             alltoall_time(tokens_dev * e.top_k * h * 2.0, layout_.instance_devices, bw, lat));
  }
  *comm_s = comm;
  return std::max(*mem_s, *compute_s) + comm + d.decode_overhead;
}

// One prompt's prefill on one attention group (tp devices). With several
// groups prefilling at once, the routed experts see proportionally more
// tokens, so per group the expert work is that of tp devices too.
double InferModel::prefill_time() const {
  const ModelArch& m = w_.model;
  const DeviceModel& d = dev_;
  const double h = m.hidden;
  const double n = w_.input_len;
  const ParamSplit split = split_params();
  const double dense_params =
      split.dense - (m.tied_embeddings ? 0.0 : static_cast<double>(m.vocab) * h);
  double expert_flops = 0;
  double expert_bytes = 0;
  if (m.is_moe()) {
    const auto& e = *m.moe;
    expert_flops = split.moe_layers * 2.0 * n * e.top_k * params_.per_expert;
    const double hit = 1.0 - std::pow(1.0 - static_cast<double>(e.top_k) / e.experts, n);
    expert_bytes = split.experts * hit * weight_bytes_;
  }
  double core_dim = 2.0 * m.heads * m.head_dim;
  if (m.mla)
    core_dim = m.heads * (m.mla->qk_nope_head_dim + m.mla->qk_rope_head_dim + m.mla->v_head_dim);
  const double attn_flops = m.layers * n * n * core_dim;  // causal: n^2/2 pairs, 2 FLOP/MAC
  const double tp = layout_.tp;
  const double gemm_rate = d.peak_flops * d.gemm_eff;
  const double compute = (2.0 * n * dense_params + expert_flops) / (tp * gemm_rate) +
                         attn_flops / (tp * d.bf16_peak_flops * d.attn_eff);
  // Short prompts are bound by reading the weights once.
  const double weights =
      (dense_params * weight_bytes_ / tp) + expert_bytes / layout_.instance_devices;
  double t = std::max(compute, weights / d.mem_bw);
  // About a dozen kernels per layer.
  t += 12.0 * m.layers * d.kernel_overhead;
  t += 2.0 * m.layers *
       ring_allreduce_time(n * h * 2.0, layout_.tp, d.group_bw(layout_.tp), d.scaleup_latency);
  if (m.is_moe()) {
    const auto& e = *m.moe;
    const bool up = layout_.instance_devices <= d.scaleup_domain;
    const double bw = up ? d.group_bw(layout_.instance_devices) : d.scaleout_bw;
    const double lat = up ? d.scaleup_latency : d.scaleout_latency;
    const double tokens_dev = n / tp;
    t += (m.layers - e.first_dense_layers) * 2.0 *
         alltoall_time(tokens_dev * e.top_k * h * 2.0, layout_.instance_devices, bw, lat);
  }
  return t;
}

InferEstimate InferModel::at_batch(int batch) const {
  InferEstimate e;
  e.layout = layout_;
  e.max_batch = max_batch_;
  e.batch = batch;
  e.weights_gb = weights_per_device_ / 1e9;
  e.memory_usable_gb = dev_.memory_bytes / 1e9;
  const double dp_groups = static_cast<double>(layout_.instance_devices) / layout_.tp;
  const double ctx = static_cast<double>(w_.input_len) + w_.output_len;
  e.kv_cache_gb = std::ceil(batch / dp_groups) * ctx * kv_bytes_per_token_device() / 1e9;
  e.memory_per_device_gb = e.weights_gb + e.kv_cache_gb;
  if (max_batch_ < 1) {
    e.fits = false;
    e.why_not = fmt::format(
        "the weights need {:.1f} GB per device at TP {} but {} offers {:.1f} GB usable, leaving "
        "no room for a KV cache of {:.2f} GB per sequence",
        e.weights_gb, layout_.tp, dev_.accel->id, e.memory_usable_gb,
        ctx * kv_bytes_per_token_device() / 1e9);
    return e;
  }
  if (batch > max_batch_) {
    e.fits = false;
    e.why_not = fmt::format(
        "batch {} needs {:.1f} GB of KV cache per device; only {} sequences "
        "fit in {:.1f} GB usable",
        batch, e.kv_cache_gb, max_batch_, e.memory_usable_gb);
    return e;
  }
  e.fits = true;
  e.decode_step_s = decode_step(batch, &e.decode_memory_s, &e.decode_compute_s, &e.decode_comm_s);
  e.prefill_s = prefill_time();
  e.ttft_s = e.prefill_s + e.decode_step_s;
  // Each of the batch's sequences needs one prefill per output_len decode
  // steps; the attention groups prefill in parallel.
  e.tpot_s = w_.disaggregated ? e.decode_step_s
                              : e.decode_step_s + static_cast<double>(batch) / dp_groups *
                                                      e.prefill_s / w_.output_len;
  e.bound = e.decode_memory_s >= e.decode_compute_s ? "memory-bandwidth" : "compute";
  const double per_instance = batch / e.tpot_s;
  e.output_tokens_per_s = per_instance * layout_.instances;
  e.output_tokens_per_s_per_device =
      e.output_tokens_per_s / (static_cast<double>(layout_.instances) * layout_.instance_devices);
  e.input_tokens_per_s = e.output_tokens_per_s * w_.input_len / w_.output_len;
  if (dev_.hourly_usd > 0) {
    e.cost_per_million_output_tokens_usd =
        dev_.hourly_usd / (e.output_tokens_per_s_per_device * 3600.0) * 1e6;
  }
  return e;
}

InferEstimate InferModel::evaluate() const {
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
  const ModelArch& m = w.model;
  InferSearchResult result;
  if (!tp) result.searched.emplace_back("tp");
  if (!ep && m.is_moe()) result.searched.emplace_back("ep");
  const int domain = accel.scaleup_domain ? static_cast<int>(accel.scaleup_domain->value) : 1;
  std::vector<int> tps;
  if (tp) {
    tps = {*tp};
  } else {
    for (int t = 1; t <= std::min(devices, std::max(1, std::min(domain, 64))); ++t) {
      if (devices % t == 0 && m.heads % t == 0) tps.push_back(t);
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
        for (int e = t; e <= devices; e += t) {
          if (devices % e == 0) eps.push_back(e);
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
      if (!have || est.output_tokens_per_s > result.best.output_tokens_per_s * (1 + 1e-9)) {
        result.best = est;
        have = true;
      }
    }
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

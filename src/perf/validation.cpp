#include "perf/validation.h"

#include <fmt/format.h>
#include <algorithm>
#include <cmath>
#include <memory>

#include "perf/workload_fields.h"
#include "perf/workload_request.h"
#include "util/strings.h"
#include "util/toml_reader.h"

namespace suanli {

namespace {

namespace fs = std::filesystem;

Result<ModelArch> read_shape(const TomlView& v) {
  auto get = [&](const char* k) -> Result<int> {
    auto x = v.positive_integer(k);
    if (!x) return std::unexpected(x.error());
    return x->value_or(0);
  };
  auto layers = get("layers");
  auto hidden = get("hidden");
  auto heads = get("heads");
  auto kv = get("kv_heads");
  auto ffn = get("ffn");
  auto vocab = get("vocab");
  for (auto* r : {&layers, &hidden, &heads, &kv, &ffn, &vocab}) {
    if (!*r) return std::unexpected(r->error());
  }
  if (*layers == 0 || *hidden == 0 || *heads == 0 || *vocab == 0) {
    return std::unexpected(v.error("", "shape needs layers, hidden, heads and vocab"));
  }
  auto mlp = v.string("mlp");
  if (!mlp) return std::unexpected(mlp.error());
  MlpKind kind = MlpKind::kGelu;
  if (*mlp) {
    if (**mlp == "swiglu")
      kind = MlpKind::kSwiglu;
    else if (**mlp != "gelu")
      return std::unexpected(v.error("mlp", "expected swiglu or gelu"));
  }
  ModelArch m = make_custom_model(*layers, *hidden, *heads, *kv, *ffn, *vocab, kind);
  m.id = fmt::format("shape-l{}-h{}", *layers, *hidden);
  auto hd = get("head_dim");
  if (!hd) return std::unexpected(hd.error());
  if (*hd > 0) m.head_dim = *hd;
  for (auto [key, member] : {std::pair{"tied_embeddings", &ModelArch::tied_embeddings},
                             std::pair{"dropout", &ModelArch::dropout}}) {
    auto b = v.boolean(key);
    if (!b) return std::unexpected(b.error());
    if (*b) m.*member = **b;
  }
  SUANLI_TRY(v.finish());
  return m;
}

Result<void> check_metric(const TomlView& v, const std::string& metric, const char* kind,
                          std::initializer_list<std::string_view> known) {
  if (std::find(known.begin(), known.end(), metric) != known.end()) return {};
  return std::unexpected(v.error("metric", fmt::format("unknown {} metric '{}'", kind, metric)));
}

// Bounds on what a row may say (hostile files: no value outside physics).
constexpr long long kMaxDevices = 1'000'000;

double metric_upper_bound(std::string_view metric) {
  if (metric == "mfu" || metric == "mfu_megatron") return 1.0;
  if (metric == "megatron_tflops_per_device" || metric == "tflops_per_device") return 1e5;
  if (metric == "tokens_per_s_per_device" || metric == "output_tokens_per_s_per_device" ||
      metric == "input_tokens_per_s_per_device" || metric == "total_tokens_per_s_per_device" ||
      metric == "output_tokens_per_s_per_user") {
    return 1e8;
  }
  if (metric == "step_time_s") return 1e7;
  if (metric == "device_hours_per_trillion_tokens") return 1e12;
  return 1e7;  // tpot_ms, ttft_ms
}

Result<void> read_str(const TomlView& v, const char* k, std::string& out, bool required) {
  if (required) {
    auto s = v.required_string(k);
    if (!s) return std::unexpected(s.error());
    out = *s;
    return {};
  }
  auto s = v.string(k);
  if (!s) return std::unexpected(s.error());
  out = s->value_or("");
  return {};
}

// `moe = { ... }` and `mla = { ... }` beside an inline shape (catalog
// models carry their own).
Result<void> read_moe_mla(const TomlView& v, ModelArch& model, bool catalog_model) {
  auto moe = v.subtable("moe");
  if (!moe) return std::unexpected(moe.error());
  auto mla = v.subtable("mla");
  if (!mla) return std::unexpected(mla.error());
  if ((*moe || *mla) && catalog_model) {
    return std::unexpected(v.error("moe", "moe and mla go with an inline shape, not a model ID"));
  }
  auto ints = [](const TomlView& t,
                 std::initializer_list<std::pair<const char*, int*>> keys) -> Result<void> {
    for (auto [k, out] : keys) {
      auto x = t.integer(k);
      if (!x) return std::unexpected(x.error());
      if (!*x) continue;
      if (**x < 0 || **x > 1000000) return std::unexpected(t.error(k, "expected 0..1,000,000"));
      *out = static_cast<int>(**x);
    }
    return {};
  };
  if (*moe) {
    MoeSpec e;
    SUANLI_TRY(ints(**moe, {{"experts", &e.experts},
                            {"top_k", &e.top_k},
                            {"shared_experts", &e.shared_experts},
                            {"expert_ffn", &e.expert_ffn},
                            {"first_dense_layers", &e.first_dense_layers}}));
    SUANLI_TRY((*moe)->finish());
    if (e.experts < 1 || e.top_k < 1 || e.top_k > e.experts || e.expert_ffn < 1 ||
        e.first_dense_layers >= model.layers) {
      return std::unexpected((*moe)->error(
          "", "moe needs experts >= top_k >= 1, expert_ffn >= 1 and first_dense_layers < layers"));
    }
    model.moe = e;
  }
  if (*mla) {
    MlaSpec a;
    SUANLI_TRY(ints(**mla, {{"q_lora_rank", &a.q_lora_rank},
                            {"kv_lora_rank", &a.kv_lora_rank},
                            {"qk_nope_head_dim", &a.qk_nope_head_dim},
                            {"qk_rope_head_dim", &a.qk_rope_head_dim},
                            {"v_head_dim", &a.v_head_dim}}));
    SUANLI_TRY((*mla)->finish());
    model.mla = a;
  }
  return {};
}

// The keys of an inference row (kind = "infer").
Result<void> read_inference_fields(const TomlView& v, Measurement& m) {
  SUANLI_TRY(check_metric(v, m.metric, "inference",
                          {"output_tokens_per_s_per_device", "tpot_ms", "ttft_ms", "itl_ms",
                           "input_tokens_per_s_per_device", "total_tokens_per_s_per_device",
                           "output_tokens_per_s_per_user"}));
  // The traffic and serving fields are `estimate infer`'s (perf/
  // workload_fields.h: the flag's and the API field's bounds and words).
  TomlFieldReader reader(v);
  // The model is the row's; its precision refuses "auto" (read_kind_fields).
  static constexpr std::array<std::string_view, 2> kNotRowFields = {"model", "precision"};
  SUANLI_TRY(read_request_fields(reader, infer_workload_fields(), m.serving, kNotRowFields));
  SUANLI_TRY(read_request_fields(reader, infer_layout_fields(), m.serving));
  // Attention data parallelism is ep > tp (tp is one attention group's TP:
  // an engine's --tp-size over its --dp-size); the key records it and must
  // agree, so an engine's own tp flag is not read as the attention's.
  auto adp = v.boolean("attention_dp");
  if (!adp) return std::unexpected(adp.error());
  if (*adp && m.serving.tp && m.serving.ep && (*m.serving.ep > *m.serving.tp) != **adp) {
    return std::unexpected(v.error(
        "attention_dp",
        fmt::format("{} with tp = {} and ep = {}: tp is one attention group's TP (an engine's "
                    "--tp-size / --dp-size), so attention data parallelism means ep > tp",
                    **adp ? "true" : "false", *m.serving.tp, *m.serving.ep)));
  }
  SUANLI_TRY(read_str(v, "engine", m.engine, false));
  SUANLI_TRY(read_str(v, "engine_version", m.engine_version, false));
  auto dec = int_in(v, "decode_devices", 0, kMaxDevices);  // 0 = not given
  if (!dec) return std::unexpected(dec.error());
  if (dec->value_or(0) > 0) m.decode_devices = *dec;
  if (m.decode_devices && *m.decode_devices > m.devices) {
    return std::unexpected(v.error(
        "decode_devices", fmt::format("the decode devices ({}) cannot exceed devices ({}), which "
                                      "the per-device figure divides by",
                                      *m.decode_devices, m.devices)));
  }
  SUANLI_TRY(read_str(v, "spec_decode", m.spec_decode, false));
  return {};
}

// The keys only training rows have: sequence, batch, precision, stack, the
// run's switches and the parallelism as published (absent keys are
// searched). Each is a field of `estimate train` (perf/workload_fields.h:
// the same name, type, bounds and allowed values as the CLI flag and the
// API field) and becomes the workload the way the CLI's does
// (make_train_switches, make_parallelism_request); the model is the row's
// own (read_row_model), and the row adds mfu_peak.
Result<void> read_training_fields(const TomlView& v, const Catalog& catalog, Measurement& m) {
  SUANLI_TRY(
      check_metric(v, m.metric, "training",
                   {"megatron_tflops_per_device", "mfu_megatron", "mfu", "tflops_per_device",
                    "tokens_per_s_per_device", "step_time_s", "device_hours_per_trillion_tokens"}));
  TomlFieldReader reader(v);
  TrainRequest r;
  // The model and its shape are the row's (an ID or a `shape` table); time-
  // to-train inputs do not apply to a measured step.
  SUANLI_TRY(read_train_run_fields(reader, r));
  SUANLI_TRY(read_request_fields(reader, train_parallelism_fields(), r));
  m.seq = r.seq.value_or(m.model.default_seq > 0 ? m.model.default_seq : 2048);
  if (!r.global_batch)
    return std::unexpected(v.error("global_batch", "required for training rows"));
  m.global_batch = *r.global_batch;
  m.precision = *parse_precision(r.precision);  // the table allows parseable names only
  m.uneven_pipeline = r.uneven_pipeline;
  if (r.stack.empty()) {
    m.stack = catalog.default_stack();
  } else {
    auto st = catalog.stack(r.stack);
    if (!st) return std::unexpected(v.error("stack", st.error().message));
    m.stack = **st;
  }
  m.parallelism = make_parallelism_request(r);
  if (r.recompute_layers && r.recompute != "full") {
    return std::unexpected(v.error("recompute_layers", "needs recompute = \"full\""));
  }
  auto switches = make_train_switches(r);
  if (!switches) return std::unexpected(v.error("", switches.error().message));
  static_cast<TrainSwitches&>(m) = *switches;
  std::string peak;
  SUANLI_TRY(read_str(v, "mfu_peak", peak, false));
  if (!peak.empty() && peak != "fp8" && peak != "bf16") {
    return std::unexpected(v.error("mfu_peak", "expected bf16 or fp8"));
  }
  m.mfu_peak_fp8 = peak == "fp8";
  return {};
}

// The row's provenance, metric, counting, accelerator, value and device
// count, in that order.
Result<void> read_row_header(const TomlView& v, const Catalog& catalog,
                             const std::map<std::string, std::string>& sources, Measurement& m) {
  auto str = [&](const char* k, std::string& out, bool required) {
    return read_str(v, k, out, required);
  };
  SUANLI_TRY(str("id", m.id, true));
  SUANLI_TRY(str("kind", m.kind, true));
  if (m.kind != "train" && m.kind != "infer") {
    return std::unexpected(v.error("kind", "expected train or infer"));
  }
  SUANLI_TRY(str("source", m.source, true));
  m.source_key = m.source;
  if (auto it = sources.find(m.source); it != sources.end()) m.source = it->second;
  SUANLI_TRY(str("locator", m.locator, false));
  SUANLI_TRY(str("confidence", m.confidence, true));
  SUANLI_TRY(str("note", m.note, false));
  SUANLI_TRY(str("metric", m.metric, true));
  auto counted = v.boolean("counted");
  if (!counted) return std::unexpected(counted.error());
  m.counted = counted->value_or(true);
  SUANLI_TRY(str("reason", m.reason, false));
  if (!m.counted && m.reason.empty()) {
    return std::unexpected(v.error("reason", "a row with counted = false needs a reason"));
  }
  SUANLI_TRY(str("accelerator", m.accelerator, true));
  auto acc = catalog.accelerator(m.accelerator);
  if (!acc) return std::unexpected(v.error("accelerator", acc.error().message));
  auto value = v.required_number("value");
  if (!value) return std::unexpected(value.error());
  if (!(*value > 0)) return std::unexpected(v.error("value", "expected a positive number"));
  m.value = *value;
  auto devices = v.positive_integer("devices");
  if (!devices) return std::unexpected(devices.error());
  if (!*devices) return std::unexpected(v.missing("devices", "a positive integer"));
  if (**devices > kMaxDevices) {
    return std::unexpected(v.error("devices", fmt::format("expected at most {}", kMaxDevices)));
  }
  m.devices = static_cast<int>(**devices);
  return {};
}

// The model: a catalog ID or an inline shape, then any moe/mla beside the shape.
Result<void> read_row_model(const TomlView& v, const Catalog& catalog, Measurement& m) {
  std::string model_id;
  SUANLI_TRY(read_str(v, "model", model_id, false));
  auto shape = v.subtable("shape");
  if (!shape) return std::unexpected(shape.error());
  if (!model_id.empty()) {
    auto mm = catalog.model(model_id);
    if (!mm) return std::unexpected(v.error("model", mm.error().message));
    m.model = **mm;
  } else if (*shape) {
    auto s = read_shape(**shape);
    if (!s) return std::unexpected(s.error());
    m.model = *s;
  } else {
    return std::unexpected(v.error("model", "give model = \"ID\" or an inline shape"));
  }
  SUANLI_TRY(read_moe_mla(v, m.model, !model_id.empty()));
  return {};
}

// The precision (bf16 when absent), parsed for the row's kind, then the
// kind's own keys (training or inference).
Result<void> read_kind_fields(const TomlView& v, const Catalog& catalog, Measurement& m) {
  if (m.kind == "train") {
    SUANLI_TRY(read_training_fields(v, catalog, m));
  } else {
    std::string precision = "bf16";
    SUANLI_TRY(read_str(v, "precision", precision, false));
    if (precision.empty()) precision = "bf16";
    auto p = parse_infer_precision(precision);
    if (!p) {
      return std::unexpected(
          v.error("precision", "expected bf16, fp16, fp8, int8, fp4, w4a8 or int4"));
    }
    m.precision = p->precision;
    m.serving.precision = precision;
    SUANLI_TRY(read_inference_fields(v, m));
  }
  return {};
}

Result<Measurement> read_measurement(const TomlView& v, const Catalog& catalog,
                                     const std::map<std::string, std::string>& sources) {
  Measurement m;
  m.defined_at = v.where();
  SUANLI_TRY(read_row_header(v, catalog, sources, m));
  SUANLI_TRY(read_row_model(v, catalog, m));
  SUANLI_TRY(read_kind_fields(v, catalog, m));
  SUANLI_TRY(v.finish());  // a key this row's kind does not read is an error
  // A measured value must be physically possible for its metric.
  const double upper = metric_upper_bound(m.metric);
  if (!(m.value <= upper)) {
    return std::unexpected(
        v.error("value", fmt::format("{} must be at most {:g}", m.metric, upper)));
  }
  return m;
}

std::string describe(const Parallelism& p, const ParallelismRequest& r) {
  auto mark = [](bool searched) { return searched ? "*" : ""; };
  return fmt::format("tp{}{} pp{}{} dp{}{} cp{}{} ep{}{} vpp{}{} mb{}{} {}{} sp{}{} z{}{}{}", p.tp,
                     mark(!r.tp), p.pp, mark(!r.pp), p.dp, mark(!r.dp), p.cp, mark(!r.cp), p.ep,
                     mark(!r.ep), p.vpp, mark(!r.vpp), p.micro_batch, mark(!r.micro_batch),
                     recompute_name(p.recompute), mark(!r.recompute), p.sequence_parallel ? 1 : 0,
                     mark(!r.sequence_parallel), p.zero, mark(!r.zero),
                     p.zero_shard > 0 ? fmt::format("/shard{}", p.zero_shard) : "");
}

}  // namespace

Result<std::vector<Measurement>> load_measurements(const fs::path& dir, const Catalog& catalog) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) {
    return fail(ErrorCode::kIo, fmt::format("{}: validation directory not found", dir.string()));
  }
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    if (e.is_regular_file() && e.path().extension() == ".toml") files.push_back(e.path());
  }
  std::sort(files.begin(), files.end());
  std::vector<Measurement> out;
  for (const auto& f : files) {
    auto root = parse_toml_file(f);
    if (!root) return std::unexpected(root.error());
    TomlView rv(*root, f.string(), "");
    std::map<std::string, std::string> sources;
    if (auto s = rv.subtable("sources"); !s) {
      return std::unexpected(s.error());
    } else if (*s) {
      for (const auto& [k, node] : (*s)->table()) {
        auto t = (*s)->string(k.str());
        if (!t) return std::unexpected(t.error());
        sources[std::string(k.str())] = t->value_or("");
      }
    }
    const toml::node* arr_node = rv.node("measurement");
    SUANLI_TRY(rv.finish());
    if (!arr_node) continue;
    const auto* arr = arr_node->as_array();
    if (!arr) return std::unexpected(rv.error("measurement", "expected [[measurement]] entries"));
    for (const auto& node : *arr) {
      const auto* t = node.as_table();
      if (!t) return std::unexpected(rv.error("measurement", "expected a table"));
      auto m = read_measurement(TomlView(*t, f.string(), "measurement"), catalog, sources);
      if (!m) return std::unexpected(m.error());
      for (const auto& prev : out) {
        if (prev.id == m->id) {
          return fail(ErrorCode::kParse,
                      fmt::format("{}: measurement id '{}' already defined at {}", m->defined_at,
                                  m->id, prev.defined_at));
        }
      }
      out.push_back(std::move(*m));
    }
  }
  return out;
}

Result<double> training_metric(const Measurement& m, const TrainEstimate& e,
                               const TrainModel& model) {
  const auto& w = model.workload();
  const double B = static_cast<double>(w.global_batch);
  const double s = w.seq;
  const double l = w.model.layers;
  const double h = w.model.hidden;
  const double V = w.model.vocab;
  const double n = model.devices();  // packages: a row's devices and per-device metrics
  const double t = e.step_time_s;
  const double dies = model.device().dies;  // device() is one die of a multi-die package
  if (m.metric == "megatron_tflops_per_device") {
    const double flops = 96.0 * B * s * l * h * h * (1 + s / (6 * h) + V / (16 * l * h));
    return flops / t / n / 1e12;
  }
  if (m.metric == "mfu_megatron") {
    const double flops = 72.0 * B * s * l * h * h * (1 + s / (6 * h) + V / (12 * l * h));
    return flops / t / n / (model.device().bf16_peak_flops * dies);
  }
  if (m.metric == "mfu") {
    const double peak = m.mfu_peak_fp8 ? model.device().peak_flops : model.device().bf16_peak_flops;
    return e.model_flops_per_step / t / n / (peak * dies);
  }
  if (m.metric == "tflops_per_device") return e.model_tflops_per_device;
  if (m.metric == "tokens_per_s_per_device") return e.tokens_per_s / n;
  if (m.metric == "step_time_s") return t;
  if (m.metric == "device_hours_per_trillion_tokens") return 1e12 / e.tokens_per_s / 3600.0 * n;
  return fail(ErrorCode::kInvalidArgument, fmt::format("unknown metric '{}'", m.metric));
}

namespace {

// An inference row: its workload from the row's keys, the estimate, and
// the metric the row publishes.
ValidationRow predict_inference(const Measurement& m, const Accelerator& acc,
                                const EfficiencyProfile& profile, ValidationRow row) {
  auto failed = [&](std::string why) {
    row.error = std::move(why);
    return row;
  };
  const InferRequest& r = m.serving;
  if (r.spec_tokens && !(r.spec_accept_len.value_or(0) >= 1.0)) {
    return failed("speculative decoding without a published acceptance length");
  }
  if (!r.batch && !r.tpot_slo_ms && !r.ttft_slo_ms && !r.request_rate) {
    return failed("neither a batch, an SLO nor a request rate");
  }
  // The run as estimate infer builds it, without the front ends' either/or
  // rules: a row publishes the batch it ran beside the SLO it met.
  auto run = make_infer_run(m.model, r);
  if (!run) return failed(run.error().message);
  InferWorkload& w = *run;
  w.published_run = true;
  int devices = m.devices;
  // `devices` is what the published per-device figure divides by; a
  // disaggregated row that names its decode devices decodes on those, the
  // rest (prefill) still in the denominator. A row's prefill_devices is
  // recorded, not added: `devices` already counts them.
  w.prefill_devices = 0;
  if (r.disaggregated && m.decode_devices && *m.decode_devices < m.devices) {
    devices = *m.decode_devices;
    w.prefill_devices = m.devices - *m.decode_devices;
  }
  auto found = search_infer(w, acc, profile, devices, r.tp, r.ep);
  if (!found) return failed(found.error().message);
  const auto& e = found->best;
  const double out_dev = e.output_tokens_per_s_per_device;
  double v = 0;
  if (m.metric == "output_tokens_per_s_per_device") {
    v = out_dev;
  } else if (m.metric == "input_tokens_per_s_per_device") {
    // A prefill-only (disaggregated) figure, else the prompt tokens the
    // decode throughput implies.
    v = r.disaggregated && r.output_len <= 1 ? e.prefill_tokens_per_s_per_device
                                             : out_dev * r.input_len / r.output_len;
  } else if (m.metric == "total_tokens_per_s_per_device") {
    v = out_dev * (1.0 + static_cast<double>(r.input_len) / r.output_len);
  } else if (m.metric == "tpot_ms") {
    v = e.tpot_s * 1e3;
  } else if (m.metric == "itl_ms") {
    // Between two streamed chunks: with speculation a chunk carries the
    // accepted tokens of one step.
    v = e.tpot_s * e.tokens_per_step * 1e3;
  } else if (m.metric == "output_tokens_per_s_per_user") {
    v = 1.0 / e.tpot_s;
  } else {
    v = e.ttft_s * 1e3;
  }
  row.ok = true;
  row.predicted = v;
  row.config = fmt::format("tp{} ep{}{} batch {}{}", e.layout.tp, e.layout.ep,
                           e.layout.pp > 1 ? fmt::format(" pp{}", e.layout.pp) : "", e.batch,
                           r.spec_tokens ? fmt::format(" spec{}", *r.spec_tokens) : "");
  row.rel_error = v / m.value - 1.0;
  return row;
}

}  // namespace

ValidationRow predict_measurement(const Catalog& catalog, const Measurement& m,
                                  const FitOverrides& overrides, TrainPrediction* train) {
  ValidationRow row;
  row.m = &m;
  auto failed = [&row](std::string why) {
    row.error = std::move(why);
    return row;
  };
  auto acc = catalog.accelerator(m.accelerator);
  if (!acc) return failed(acc.error().message);
  // On the heap: the device model keeps a pointer to its profile, and a
  // TrainPrediction outlives this call.
  auto owned = std::make_unique<EfficiencyProfile>(catalog.profile_for(**acc));
  const EfficiencyProfile& profile = *owned;
  if (auto it = overrides.decode_memory_bw_fraction.find(owned->id);
      it != overrides.decode_memory_bw_fraction.end()) {
    owned->decode_memory_bw_fraction = it->second;
  }
  if (auto it = overrides.gemm_peak_fraction.find(owned->id);
      it != overrides.gemm_peak_fraction.end()) {
    owned->gemm_peak_fraction = it->second;
  }
  if (m.kind == "train") {
    TrainWorkload w;
    w.model = m.model;
    w.seq = m.seq;
    w.global_batch = m.global_batch;
    w.precision = m.precision;
    w.uneven_pipeline = m.uneven_pipeline;
    w.stack = m.stack;
    static_cast<TrainSwitches&>(w) = m;
    auto dev = make_device_model(**acc, profile, m.precision);
    if (!dev) return failed(dev.error().message);
    auto model = TrainModel::create(w, *dev, m.devices);
    if (!model) return failed(model.error().message);
    auto found = search_train(*model, m.parallelism);
    if (!found && found.error().code == ErrorCode::kInfeasible) {
      // The run happened, so it fitted: the memory model is wrong for it.
      // Its time is still predicted (memory is checked elsewhere), and the
      // row says so.
      DeviceModel roomy = *dev;
      roomy.memory_bytes = 1e18;
      auto unbounded = TrainModel::create(w, roomy, m.devices);
      if (unbounded) {
        auto again = search_train(*unbounded, m.parallelism);
        if (again) {
          row.memory_note = found.error().message;
          found = std::move(again);
          model = std::move(unbounded);
        }
      }
    }
    if (!found) return failed(found.error().message);
    auto metric = training_metric(m, found->best, *model);
    if (!metric) return failed(metric.error().message);
    row.ok = true;
    row.predicted = *metric;
    row.config = describe(found->best.par, m.parallelism);
    if (!row.memory_note.empty()) row.config += " (memory model: does not fit)";
    row.rel_error = row.predicted / m.value - 1.0;
    if (train) {
      train->estimate = found->best;
      train->model.emplace(std::move(*model));
      train->profile = std::move(owned);
    }
    return row;
  }
  return predict_inference(m, **acc, profile, row);
}

double median_abs(std::vector<double> v) {
  if (v.empty()) return 0;
  for (auto& x : v) x = std::fabs(x);
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

double max_abs(const std::vector<double>& v) {
  double m = 0;
  for (double x : v) m = std::max(m, std::fabs(x));
  return m;
}

ValidationSummary run_validation(const Catalog& catalog, const std::vector<Measurement>& rows) {
  ValidationSummary sum;
  std::vector<double> train_err;
  std::vector<double> infer_err;
  for (const auto& m : rows) {
    ValidationRow row = predict_measurement(catalog, m, FitOverrides{});
    if (row.ok && m.counted) (m.kind == "train" ? train_err : infer_err).push_back(row.rel_error);
    sum.rows.push_back(std::move(row));
  }
  sum.train_rows = static_cast<int>(train_err.size());
  sum.train_median_abs_error = median_abs(train_err);
  sum.train_max_abs_error = max_abs(train_err);
  sum.infer_rows = static_cast<int>(infer_err.size());
  sum.infer_median_abs_error = median_abs(infer_err);
  sum.infer_max_abs_error = max_abs(infer_err);
  return sum;
}

}  // namespace suanli

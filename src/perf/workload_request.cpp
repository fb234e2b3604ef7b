#include "perf/workload_request.h"

#include <fmt/format.h>
#include <cmath>
#include <cstdlib>

#include "perf/json.h"
#include "util/field_spec.h"
#include "util/strings.h"

namespace suanli {

namespace {

// --experts/--top-k and the finer MoE shape flags of a custom shape.
Result<void> apply_moe_shape(const TrainRequest& f, ModelArch& model) {
  const bool any = f.experts > 0 || f.top_k > 0 || f.shared_experts > 0 || f.expert_ffn > 0 ||
                   f.first_dense_layers > 0;
  if (!any) return {};
  if (f.experts <= 0 || f.top_k <= 0 || f.top_k > f.experts) {
    return fail(ErrorCode::kInvalidArgument, "MoE needs --experts E and --top-k K with 1 ≤ K ≤ E");
  }
  if (f.shared_experts < 0 || f.expert_ffn < 0 || f.first_dense_layers < 0 ||
      f.first_dense_layers >= model.layers) {
    return fail(ErrorCode::kInvalidArgument,
                "--shared-experts and --expert-ffn must not be negative and --first-dense-layers "
                "must be below --layers");
  }
  model.moe = MoeSpec{f.experts, f.top_k, f.shared_experts,
                      f.expert_ffn > 0 ? f.expert_ffn : model.ffn, f.first_dense_layers};
  return {};
}

}  // namespace

namespace {

// "h200-sxm=0.25,h20=0.1" into c.levy, IDs resolved as the catalog resolves them.
Result<void> read_levies(const Catalog& catalog, const std::string& text, CostAssumptions& c) {
  for (const std::string& part : split(text, ',')) {
    if (part.empty()) continue;
    const auto eq = part.find('=');
    double v = 0;
    bool ok = eq != std::string::npos;
    if (ok) {
      const std::string num = part.substr(eq + 1);
      char* end = nullptr;
      v = std::strtod(num.c_str(), &end);
      ok = !num.empty() && end && *end == '\0' && std::isfinite(v) && v >= 0 && v <= 10;
    }
    if (!ok) {
      return fail(ErrorCode::kInvalidArgument,
                  fmt::format("--levy: expected ID=FRACTION (0 to 10, e.g. h200-sxm=0.25), got {}",
                              quoted_excerpt(part, 60)));
    }
    SUANLI_ASSIGN(const Accelerator* a, catalog.accelerator(part.substr(0, eq)));
    c.levy[a->id] = v;
  }
  return {};
}

}  // namespace

Result<CostAssumptions> make_cost_assumptions(const Catalog& catalog, const CostRequest& r) {
  CostAssumptions c = CostAssumptions::from(catalog.economics());
  if (!r.basis.empty()) {
    auto b = parse_cost_basis(r.basis);
    if (!b) {
      return fail(ErrorCode::kInvalidArgument,
                  fmt::format("--cost-basis: expected ownership or rental, got {}",
                              quoted_excerpt(r.basis, 40)));
    }
    c.basis = *b;
  }
  SUANLI_TRY(read_levies(catalog, r.levy, c));
  if (!r.currency.empty() && r.currency != "usd" && r.currency != "cny") {
    return fail(ErrorCode::kInvalidArgument, fmt::format("--currency: expected usd or cny, got {}",
                                                         quoted_excerpt(r.currency, 20)));
  }
  c.in_cny = r.currency == "cny";
  // Each override within the range data/economics.toml allows for it.
  auto set = [](std::optional<double> v, std::string_view key, double& out) -> Result<void> {
    if (!v) return {};
    for (const EconomicsKey& k : kEconomicsKeys) {
      if (k.name != key) continue;
      if (!(std::isfinite(*v) && *v >= k.min && *v <= k.max)) {
        std::string flag(key);
        for (char& ch : flag) ch = ch == '_' ? '-' : ch;
        return fail(
            ErrorCode::kInvalidArgument,
            fmt::format("--{}: expected {} in [{}, {}], got {}", flag, k.help, k.min, k.max, *v));
      }
    }
    out = *v;
    return {};
  };
  SUANLI_TRY(set(r.pue, "pue", c.pue));
  SUANLI_TRY(set(r.tariff_usd_per_kwh, "tariff_usd_per_kwh", c.tariff_usd_per_kwh));
  SUANLI_TRY(set(r.power_load_factor, "power_load_factor", c.power_load_factor));
  SUANLI_TRY(set(r.node_power_overhead, "node_power_overhead", c.node_power_overhead));
  return c;
}

Result<TrainWorkload> make_train_workload(const Catalog& catalog, const TrainRequest& f) {
  TrainWorkload w;
  if (!f.model.empty()) {
    auto m = catalog.model(f.model);
    if (!m) return std::unexpected(m.error());
    w.model = **m;
  } else {
    if (f.layers <= 0 || f.hidden <= 0 || f.heads <= 0 || f.vocab <= 0) {
      return fail(ErrorCode::kInvalidArgument,
                  "give --model ID, or a shape with positive --layers, --hidden, --heads and "
                  "--vocab");
    }
    if (f.kv_heads < 0 || f.ffn < 0 || f.experts < 0 || f.top_k < 0) {
      return fail(ErrorCode::kInvalidArgument, "shape sizes must not be negative");
    }
    if (f.hidden % f.heads != 0) {
      return fail(ErrorCode::kInvalidArgument,
                  fmt::format("--hidden {} is not a multiple of --heads {}", f.hidden, f.heads));
    }
    if (f.kv_heads > 0 && f.heads % f.kv_heads != 0) {
      return fail(ErrorCode::kInvalidArgument, "--heads must be a multiple of --kv-heads");
    }
    w.model = make_custom_model(f.layers, f.hidden, f.heads, f.kv_heads, f.ffn, f.vocab,
                                f.mlp == "gelu" ? MlpKind::kGelu : MlpKind::kSwiglu);
    if (f.mlp.empty()) {
      w.assumptions.push_back(
          "mlp = swiglu (default for a custom shape; pass --mlp gelu for GPT-3-style shapes)");
    }
    if (f.ffn == 0) {
      w.assumptions.push_back(fmt::format("ffn = {} (default)", w.model.ffn));
    }
    SUANLI_TRY(apply_moe_shape(f, w.model));
  }
  if (f.seq && *f.seq <= 0) {
    return fail(ErrorCode::kInvalidArgument, fmt::format("--seq must be positive, got {}", *f.seq));
  }
  w.seq = f.seq ? *f.seq : default_seq(w.model);
  if (f.global_batch && *f.global_batch <= 0) {
    return fail(ErrorCode::kInvalidArgument,
                fmt::format("--global-batch must be positive, got {}", *f.global_batch));
  }
  w.global_batch = f.global_batch ? *f.global_batch : default_global_batch(w.model, w.seq);
  auto p = parse_precision(f.precision);
  if (!p || (*p != Precision::kBf16 && *p != Precision::kFp8 && *p != Precision::kFp32 &&
             *p != Precision::kTf32)) {
    return fail(ErrorCode::kInvalidArgument,
                "--precision must be bf16, fp8, tf32 or fp32 for training");
  }
  w.precision = *p;
  SUANLI_ASSIGN(const TrainSwitches switches, make_train_switches(f));
  static_cast<TrainSwitches&>(w) = switches;
  if (f.tokens < 0 || !std::isfinite(f.tokens)) {
    return fail(ErrorCode::kInvalidArgument, "--tokens must be a non-negative number");
  }
  w.tokens = f.tokens;
  w.uneven_pipeline = f.uneven_pipeline;
  if (f.stack.empty()) {
    w.stack = catalog.default_stack();
  } else {
    auto st = catalog.stack(f.stack);
    if (!st) return std::unexpected(st.error());
    w.stack = **st;
  }
  if (w.model.is_moe() && !w.ep_dedup) {
    const bool dedup = w.stack.ep_dedup;
    w.assumptions.push_back(fmt::format(
        "where EP crosses nodes, MoE dispatch sends {} ({}'s default; --moe-dispatcher {})",
        dedup ? "a token once per remote node" : "every routed copy", w.stack.id,
        dedup ? "alltoall sends every routed copy" : "deepep for DeepEP/HybridEP"));
  }
  if (w.cuda_graph) {
    w.assumptions.push_back(
        "whole iteration in a CUDA graph: no host launch floor, expert GEMMs queued "
        "(static shapes: dense or token-dropping MoE)");
  }
  SUANLI_ASSIGN(w.cost, make_cost_assumptions(catalog, f.cost));
  if (!f.steady_state) w.goodput = GoodputInputs::from(catalog.economics());
  return w;
}

Result<TrainWorkload> make_train_step_workload(const Catalog& catalog, const TrainRequest& r) {
  TrainRequest steady = r;
  steady.steady_state = true;
  SUANLI_ASSIGN(TrainWorkload w, make_train_workload(catalog, steady));
  w.cost = {};
  return w;
}

Result<TrainSwitches> make_train_switches(const TrainRequest& f) {
  TrainSwitches w;
  w.overlap_grad_reduce = f.overlap_grad_reduce;
  w.overlap_param_gather = f.overlap_param_gather;
  w.tp_comm_overlap = f.tp_comm_overlap;
  w.ep_comm_overlap = f.ep_comm_overlap;
  w.reshard_after_forward = f.reshard_after_forward;
  if (!f.grad_accum.empty() && f.grad_accum != "fp32" && f.grad_accum != "bf16") {
    return fail(ErrorCode::kInvalidArgument, "--grad-accum must be fp32 or bf16");
  }
  w.bf16_grad_accum = f.grad_accum == "bf16";
  if (!f.fp8_recipe.empty()) {
    const auto recipe = parse_fp8_recipe(f.fp8_recipe);
    if (!recipe) {
      return fail(ErrorCode::kInvalidArgument,
                  "--fp8-recipe must be tensorwise, rowwise or rowwise-gw-hp");
    }
    if (*recipe != Fp8Recipe::kTensorwise && f.precision != "fp8") {
      return fail(
          ErrorCode::kInvalidArgument,
          fmt::format("--fp8-recipe {} needs --precision fp8, got {}", f.fp8_recipe, f.precision));
    }
    w.fp8_recipe = *recipe;
  }
  w.cuda_graph = f.cuda_graph;
  if (!f.moe_dispatcher.empty()) {
    if (f.moe_dispatcher != "alltoall" && f.moe_dispatcher != "deepep") {
      return fail(ErrorCode::kInvalidArgument, "--moe-dispatcher must be alltoall or deepep");
    }
    w.ep_dedup = f.moe_dispatcher == "deepep";
  }
  if (!(f.power_limit_w >= 0 && f.power_limit_w <= 5000)) {
    return fail(ErrorCode::kInvalidArgument, "--power-limit must be 0..5,000 W");
  }
  w.power_limit_w = f.power_limit_w;
  return w;
}

ParallelismRequest make_parallelism_request(const TrainRequest& f) {
  ParallelismRequest r;
  r.tp = f.tp;
  r.pp = f.pp;
  r.dp = f.dp;
  r.ep = f.ep;
  r.cp = f.cp;
  r.vpp = f.vpp;
  r.micro_batch = f.micro_batch;
  r.zero = f.zero;
  r.etp = f.etp;
  r.recompute_layers = f.recompute_layers;
  r.zero_shard = f.zero_shard;
  if (!f.recompute.empty()) r.recompute = parse_recompute(f.recompute);
  r.sequence_parallel = f.sequence_parallel;
  return r;
}

std::optional<RequestProblem> infer_choice_problem(const InferRequest& r,
                                                   std::string (*spell)(std::string_view)) {
  const bool slo = r.tpot_slo_ms || r.ttft_slo_ms;
  if (r.batch && slo)
    return RequestProblem{"batch",
                          fmt::format("give either {} or an SLO, not both", spell("batch"))};
  if (r.request_rate && slo) {
    return RequestProblem{
        "request_rate", fmt::format("give either {} (the load sets the batch) or an SLO, not both",
                                    spell("request_rate"))};
  }
  if (r.spec_tokens.has_value() != r.spec_accept_len.has_value()) {
    return RequestProblem{r.spec_tokens ? "spec_accept_len" : "spec_tokens",
                          fmt::format("speculative decoding needs both {} and {}",
                                      spell("spec_tokens"), spell("spec_accept_len"))};
  }
  return std::nullopt;
}

Result<InferWorkload> make_infer_run(const ModelArch& model, const InferRequest& f) {
  InferWorkload w;
  w.model = model;
  // No precision given: the weights as released (FP8 for DeepSeek-V3/R1,
  // served in FP8 where the chip has it, else INT8), else BF16.
  if (f.precision.empty() && w.model.native_fp8) {
    w.auto_precision = true;
    w.precision = Precision::kFp8;
  } else if (f.precision.empty()) {
    w.precision = Precision::kBf16;
  } else if (f.precision == "auto") {
    w.auto_precision = true;
    w.precision = Precision::kFp8;
  } else {
    auto p = parse_infer_precision(f.precision);
    if (!p) {
      return fail(ErrorCode::kInvalidArgument,
                  "--precision must be bf16, fp8, int8, fp4, w4a8, int4 or auto");
    }
    w.precision = p->precision;
    w.weight_bits = p->weight_bits;
  }
  auto kv = parse_precision(f.kv_precision);
  if (!kv) return fail(ErrorCode::kInvalidArgument, "--kv-precision must be bf16, fp8 or int8");
  w.kv_precision = *kv;
  w.disaggregated = f.disaggregated;
  if (f.expert_dispatch != "deepep" && f.expert_dispatch != "all-gather") {
    return fail(ErrorCode::kInvalidArgument, "--expert-dispatch must be deepep or all-gather");
  }
  w.expert_all_gather = f.expert_dispatch == "all-gather";
  if (f.input_len <= 0 || f.output_len <= 0) {
    return fail(ErrorCode::kInvalidArgument, "--input-len and --output-len must be positive");
  }
  w.input_len = f.input_len;
  w.output_len = f.output_len;
  if (f.batch && *f.batch <= 0)
    return fail(ErrorCode::kInvalidArgument, "--batch must be positive");
  w.batch = f.batch;
  auto ms = [](std::optional<double> v, const char* name) -> Result<std::optional<double>> {
    if (!v) return std::optional<double>{};
    if (!(*v > 0) || !std::isfinite(*v)) {
      return fail(ErrorCode::kInvalidArgument, fmt::format("{} must be a positive number", name));
    }
    return std::optional<double>(*v / 1000.0);
  };
  SUANLI_ASSIGN(w.tpot_slo_s, ms(f.tpot_slo_ms, "--tpot-slo-ms"));
  SUANLI_ASSIGN(w.ttft_slo_s, ms(f.ttft_slo_ms, "--ttft-slo-ms"));
  if (f.request_rate && !(*f.request_rate > 0 && *f.request_rate <= 1e6)) {
    return fail(ErrorCode::kInvalidArgument,
                "--request-rate must be a positive number of requests per second, at most 1e6");
  }
  w.request_rate = f.request_rate;
  w.spec_tokens = f.spec_tokens.value_or(0);
  w.spec_accept_len = f.spec_accept_len.value_or(0.0);
  w.prefill_devices = f.prefill_devices.value_or(0);
  w.prefill_tp = f.prefill_tp.value_or(0);
  w.chunked_prefill_tokens = f.chunked_prefill_tokens;
  if (f.num_prompts && f.request_rate)
    return fail(ErrorCode::kInvalidArgument,
                "--num-prompts describes a closed-loop benchmark (its first batch sent together); "
                "with --request-rate the arrivals are paced: give one or the other");
  if (f.num_prompts && f.batch && *f.num_prompts < *f.batch)
    return fail(ErrorCode::kInvalidArgument,
                fmt::format("--num-prompts {} is fewer than the batch {}: the client's {} "
                            "concurrent requests would never all run",
                            *f.num_prompts, *f.batch, *f.batch));
  w.num_prompts = f.num_prompts;
  if (f.prefill_batch_tokens) {
    const char* why =
        !f.num_prompts ? "says how a closed-loop benchmark's waiting prompts are prefilled "
                         "together: give --num-prompts with it"
        : f.chunked_prefill_tokens && !f.disaggregated
            ? "is an unchunked prefill's budget; with --chunked-prefill-tokens the passes ride "
              "decode steps and that budget is the iteration's"
        : f.disaggregated && !f.prefill_devices
            ? "batches the prefill devices' queue: give --prefill-devices with it"
        : f.pp.value_or(1) > 1 ? "is not modelled with pipeline parallelism (--pp)"
                               : nullptr;
    if (why)
      return fail(ErrorCode::kInvalidArgument, fmt::format("--prefill-batch-tokens {}", why));
  }
  w.prefill_batch_tokens = f.prefill_batch_tokens;
  w.pp = f.pp.value_or(1);
  return w;
}

Result<InferWorkload> make_infer_step_workload(const Catalog& catalog, const InferRequest& r) {
  auto m = catalog.model(r.model);
  if (!m) return std::unexpected(m.error());
  SUANLI_ASSIGN(InferWorkload w, make_infer_run(**m, r));
  if (auto problem =
          infer_choice_problem(r, kebab_flag))
    return fail(ErrorCode::kInvalidArgument, std::move(problem->message));
  return w;
}

Result<InferWorkload> make_infer_workload(const Catalog& catalog, const InferRequest& r) {
  SUANLI_ASSIGN(InferWorkload w, make_infer_step_workload(catalog, r));
  SUANLI_ASSIGN(w.cost, make_cost_assumptions(catalog, r.cost));
  return w;
}

Result<nlohmann::json> estimate_train_json(const Catalog& catalog, std::string_view accelerator,
                                           int devices, const TrainRequest& r,
                                           nlohmann::json* unfit) {
  SUANLI_ASSIGN(const Accelerator* accel, catalog.accelerator(accelerator));
  SUANLI_ASSIGN(TrainWorkload w, make_train_workload(catalog, r));
  SUANLI_ASSIGN(DeviceModel dev,
                make_device_model(*accel, catalog.profile_for(*accel), w.precision));
  price_device(dev, w.cost);
  SUANLI_ASSIGN(TrainModel model, TrainModel::create(w, dev, devices));
  const ParallelismRequest req = make_parallelism_request(r);
  auto found = search_train(model, req);
  if (!found) {
    // A fully specified configuration that does not fit: show its memory.
    const bool fixed = req.tp && req.pp && req.micro_batch && req.recompute && req.zero;
    if (found.error().code == ErrorCode::kInfeasible && fixed && unfit) {
      Parallelism p;
      p.tp = *req.tp;
      p.pp = *req.pp;
      p.cp = req.cp.value_or(1);
      p.dp = req.dp.value_or(model.ranks() / (p.tp * p.pp * p.cp));
      p.ep = req.ep.value_or(1);
      p.vpp = req.vpp.value_or(1);
      p.micro_batch = *req.micro_batch;
      p.recompute = *req.recompute;
      p.sequence_parallel = req.sequence_parallel.value_or(false);
      p.zero = *req.zero;
      p.etp = req.etp.value_or(1);
      p.recompute_layers = req.recompute_layers.value_or(0);
      p.zero_shard = req.zero_shard.value_or(0);
      if (model.check(p)) {
        *unfit = train_json(model.evaluate(p), model, {}, 1);
        (*unfit)["why_not"] = found.error().message;
      }
    }
    return std::unexpected(found.error());
  }
  nlohmann::json j = train_json(found->best, model, found->searched, found->candidates);
  SUANLI_ASSIGN(TrainInterval iv, train_interval(catalog, model, found->best));
  j["interval"] = interval_json(iv);
  return j;
}

Result<nlohmann::json> estimate_infer_json(const Catalog& catalog, std::string_view accelerator,
                                           int devices, const InferRequest& r) {
  SUANLI_ASSIGN(const Accelerator* accel, catalog.accelerator(accelerator));
  SUANLI_ASSIGN(InferWorkload w, make_infer_workload(catalog, r));
  if (devices <= 0) return fail(ErrorCode::kInvalidArgument, "--devices must be positive");
  const auto& profile = catalog.profile_for(*accel);
  SUANLI_ASSIGN(EstimateInferSearch search,
                search_infer_for_estimate(w, *accel, profile, devices, r.tp, r.ep));
  const InferSearchResult& found = search.found;
  // Rebuild the device model for the chosen layout (for the JSON's caveats).
  SUANLI_ASSIGN(InferModel model,
                InferModel::create(w, *accel, profile, devices, found.best.layout));
  nlohmann::json j = infer_json(found.best, w, model.device(), found.searched);
  SUANLI_ASSIGN(InferInterval iv, infer_interval(catalog, w, *accel, profile, devices, found.best));
  j["interval"] = interval_json(iv);
  j["tpot_target"] = search.tpot_target;
  j["tpot_target_s"] = search.tpot_target == "default" || search.tpot_target == "default unmet"
                           ? nlohmann::json(kCompareTpotTargetS)
                       : w.tpot_slo_s ? nlohmann::json(*w.tpot_slo_s)
                                      : nlohmann::json(nullptr);
  return j;
}

Result<nlohmann::json> compare_train_request_json(const Catalog& catalog, const TrainRequest& r,
                                                  const std::vector<std::string>& accelerators,
                                                  const CompareSizing& sizing) {
  SUANLI_ASSIGN(TrainWorkload w, make_train_workload(catalog, r));
  SUANLI_ASSIGN(auto rows, compare_train(catalog, w, accelerators, sizing));
  return compare_train_json(w, rows);
}

bool apply_common_tpot_target(InferWorkload& w) {
  // A request rate sets the batch (Little's law), as a fixed batch does.
  if (w.batch || w.tpot_slo_s || w.request_rate) return false;
  w.tpot_slo_s = kCompareTpotTargetS;
  return true;
}

Result<EstimateInferSearch> search_infer_for_estimate(InferWorkload& w, const Accelerator& accel,
                                                      const EfficiencyProfile& profile, int devices,
                                                      std::optional<int> tp,
                                                      std::optional<int> ep) {
  EstimateInferSearch out;
  const bool defaulted = apply_common_tpot_target(w);
  out.tpot_target = defaulted        ? "default"
                    : w.request_rate ? "none (request rate)"
                    : w.batch        ? "none (fixed batch)"
                                     : "slo";
  auto found = search_infer(w, accel, profile, devices, tp, ep);
  if (!found && defaulted) {
    // No batch meets the default target: the largest batch that fits.
    w.tpot_slo_s.reset();
    found = search_infer(w, accel, profile, devices, tp, ep);
    out.tpot_target = "default unmet";
  }
  if (!found) return std::unexpected(found.error());
  out.found = std::move(*found);
  return out;
}

Result<nlohmann::json> compare_infer_request_json(const Catalog& catalog, const InferRequest& r,
                                                  const std::vector<std::string>& accelerators,
                                                  const CompareSizing& sizing) {
  SUANLI_ASSIGN(InferWorkload w, make_infer_workload(catalog, r));
  const bool defaulted = apply_common_tpot_target(w);
  SUANLI_ASSIGN(auto rows, compare_infer(catalog, w, accelerators, sizing));
  nlohmann::json j = compare_infer_json(w, rows);
  j["workload"]["tpot_target"] = defaulted        ? "default"
                                 : w.request_rate ? "none (request rate)"
                                 : w.batch        ? "none (fixed batch)"
                                                  : "slo";
  return j;
}

}  // namespace suanli

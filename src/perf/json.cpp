#include "perf/json.h"

#include <fmt/format.h>

namespace suanli {

nlohmann::json parallelism_json(const Parallelism& p) {
  return {{"tp", p.tp},
          {"pp", p.pp},
          {"dp", p.dp},
          {"ep", p.ep},
          {"cp", p.cp},
          {"vpp", p.vpp},
          {"micro_batch", p.micro_batch},
          {"recompute", std::string(recompute_name(p.recompute))},
          {"sequence_parallel", p.sequence_parallel},
          {"zero", p.zero},
          {"etp", p.etp},
          {"recompute_layers", p.recompute_layers},
          {"zero_shard", p.zero_shard}};
}

namespace {

// The output currency: JSON amounts stay in USD; the rate converts them.
nlohmann::json currency_json(const CostAssumptions& c) {
  return {{"amounts", "USD"},
          {"display", c.in_cny ? "CNY" : "USD"},
          {"cny_per_usd", c.cny_per_usd},
          {"rate_source", "data/economics.toml cny_per_usd"}};
}

nlohmann::json device_json(const DeviceModel& d) {
  nlohmann::json j{{"accelerator", d.accel ? d.accel->id : ""},
                   {"efficiency_profile", d.profile ? d.profile->id : ""},
                   {"efficiency_profile_confidence", d.profile ? d.profile->confidence : ""},
                   {"unverified_inputs", d.unverified}};
  return j;
}
}  // namespace

nlohmann::json train_json(const TrainEstimate& e, const TrainModel& model,
                          const std::vector<std::string>& searched, long long candidates) {
  const auto& w = model.workload();
  nlohmann::json par = parallelism_json(e.par);
  par["global_batch"] = w.global_batch;
  nlohmann::json j{
      {"model", w.model.id},
      {"devices", model.devices()},
      {"dies_per_device", e.dies},  // ranks per device; memory_* figures are per rank
      {"ranks", model.ranks()},
      {"seq", w.seq},
      {"precision", std::string(precision_name(w.precision))},
      {"fp8_recipe", w.precision == Precision::kFp8
                         ? nlohmann::json(std::string(fp8_recipe_name(w.fp8_recipe)))
                         : nlohmann::json()},
      {"step_time_s", e.step_time_s},
      {"tokens_per_s", e.tokens_per_s},
      {"tokens_per_s_per_device", e.tokens_per_s / model.devices()},
      {"mfu", e.mfu},
      {"hfu", e.hfu},
      {"mfu_peak", std::string(precision_name(e.mfu_peak))},
      {"mfu_peak_tflops", e.mfu_peak_tflops},
      {"mfu_flops_definition",
       "model FLOPs = 6 x active matmul parameters (incl. logits) per token + causal attention "
       "6 x layers x seq x heads x (d_qk + d_v) / 2 per token; HFU adds full-recompute FLOPs"},
      {"model_tflops_per_device", e.model_tflops_per_device},
      {"model_flops_per_step", e.model_flops_per_step},
      {"hardware_flops_per_step", e.hardware_flops_per_step},
      {"micro_batches", e.micro_batches},
      {"stage_layers", e.stage_layers},
      {"memory_per_device_gb", e.memory.total / 1e9},
      {"memory_usable_gb", e.memory.usable / 1e9},
      {"memory",
       {{"weights_gb", e.memory.weights / 1e9},
        {"grads_gb", e.memory.grads / 1e9},
        {"optimizer_gb", e.memory.optimizer / 1e9},
        {"activations_gb", e.memory.activations / 1e9},
        {"logits_gb", e.memory.logits / 1e9}}},
      {"fits", e.fits},
      {"parallelism", par},
      {"searched", searched},
      {"candidates_evaluated", candidates},
      {"breakdown",
       {{"compute", e.breakdown.compute},
        {"tp_comm", e.breakdown.tp_comm},
        {"cp_comm", e.breakdown.cp_comm},
        {"pp_comm", e.breakdown.pp_comm},
        {"bubble", e.breakdown.bubble},
        {"dp_comm", e.breakdown.dp_comm},
        {"ep_comm", e.breakdown.ep_comm},
        {"optimizer", e.breakdown.optimizer}}},
      {"device", device_json(model.device())},
      {"assumptions", w.assumptions},
  };
  nlohmann::json coll = nlohmann::json::array();
  for (int i = 0; i < e.collective_count; ++i) {
    const CollectiveCost& c = e.collectives[static_cast<std::size_t>(i)];
    coll.push_back({{"name", c.name},
                    {"link", c.link},
                    {"bytes_per_device", c.bytes},
                    {"bandwidth_bytes_per_s", c.bandwidth},
                    {"time_s", c.time},
                    {"hidden_s", c.hidden},
                    {"compute_slowdown_s", c.slowdown},
                    {"exposed_s", c.exposed()}});
  }
  j["collectives"] = coll;
  if (!e.fits) {
    j["why_not"] = fmt::format("needs {:.1f} GB per {}, {:.1f} GB usable", e.memory.total / 1e9,
                               e.dies > 1 ? "die" : "device", e.memory.usable / 1e9);
  }
  if (w.tokens > 0) {
    const TrainTotals t = train_totals(e, model);
    j["tokens"] = w.tokens;
    j["time_to_train_days"] = t.time_to_train_days;
    j["device_hours"] = t.device_hours;
    j["steady_state_days"] = t.steady_days;
    j["energy_mwh"] = t.energy_mwh;
    j["pue"] = w.cost.pue;
    j["cost_usd"] = t.cost_usd > 0 ? nlohmann::json(t.cost_usd) : nlohmann::json(nullptr);
    j["hourly_usd_per_device"] = model.device().hourly_usd;
    j["cost_basis"] = std::string(cost_basis_name(w.cost.basis));
    j["cost_assumptions"] = w.cost.describe();
    j["currency"] = currency_json(w.cost);
    if (t.goodput) {
      const Goodput& g = *t.goodput;
      j["goodput"] = {{"fraction", g.fraction},
                      {"job_mtbf_hours", g.job_mtbf_h},
                      {"interruptions", g.interruptions},
                      {"checkpoint_interval_s", g.checkpoint_interval_s},
                      {"checkpoint_write_s", g.checkpoint_write_s},
                      {"lost_to_restarts", g.lost_to_restarts},
                      {"lost_to_rework", g.lost_to_rework},
                      {"lost_to_checkpoints", g.lost_to_checkpoints}};
      if (w.goodput) {
        j["goodput"]["inputs"] = {
            {"failures_per_device_hour", w.goodput->failures_per_device_hour},
            {"restart_s", w.goodput->restart_s},
            {"checkpoint_write_bytes_per_s_per_device",
             w.goodput->checkpoint_write_bytes_per_s_per_device},
            {"checkpoint_bytes_per_param", w.goodput->checkpoint_bytes_per_param},
            {"source", "data/economics.toml"}};
      }
    } else {
      j["goodput"] = nullptr;
      if (!t.goodput_error.empty()) j["goodput_error"] = t.goodput_error;
    }
  }
  return j;
}

nlohmann::json infer_json(const InferEstimate& e, const InferWorkload& w, const DeviceModel& dev,
                          const std::vector<std::string>& searched) {
  nlohmann::json j{
      {"model", w.model.id},
      {"precision", std::string(precision_name(resolve_precision(w, *dev.accel)))},
      {"compute_precision", std::string(precision_name(dev.compute_precision))},
      {"input_len", w.input_len},
      {"disaggregated", w.disaggregated},
      {"expert_dispatch", w.expert_all_gather ? "all-gather" : "deepep"},
      {"kv_precision", std::string(precision_name(w.kv_precision))},
      {"output_len", w.output_len},
      {"tp", e.layout.tp},
      {"ep", e.layout.ep},
      {"pp", e.layout.pp},
      {"devices_per_instance", e.layout.instance_devices},
      {"instances", e.layout.instances},
      {"batch", e.batch},
      {"max_batch", e.max_batch},
      {"ttft_s", e.ttft_s},
      {"tpot_s", e.tpot_s},
      {"decode_step_s", e.decode_step_s},
      {"prefill_s", e.prefill_s},
      {"output_tokens_per_s", e.output_tokens_per_s},
      {"output_tokens_per_s_per_device", e.output_tokens_per_s_per_device},
      {"input_tokens_per_s", e.input_tokens_per_s},
      {"kv_cache_gb", e.kv_cache_gb},
      {"weights_gb", e.weights_gb},
      {"memory_per_device_gb", e.memory_per_device_gb},
      {"memory_usable_gb", e.memory_usable_gb},
      {"fits", e.fits},
      {"decode",
       {{"memory_s", e.decode_memory_s},
        {"compute_s", e.decode_compute_s},
        {"comm_s", e.decode_comm_s},
        {"floor_s", e.decode_floor_s},
        {"tokens_per_step", e.tokens_per_step},
        {"bound", e.bound}}},
      {"prefill_tokens_per_s_per_device", e.prefill_tokens_per_s_per_device},
      {"dies_per_device", dev.dies},
      {"cost_per_million_output_tokens_usd",
       e.cost_per_million_output_tokens_usd > 0
           ? nlohmann::json(e.cost_per_million_output_tokens_usd)
           : nlohmann::json(nullptr)},
      {"searched", searched},
      {"device", device_json(dev)},
  };
  if (w.tpot_slo_s) j["tpot_slo_s"] = *w.tpot_slo_s;
  if (w.ttft_slo_s) j["ttft_slo_s"] = *w.ttft_slo_s;
  if (w.request_rate) {
    j["load"] = {{"request_rate", *w.request_rate},
                 {"prefill_wait_s", e.prefill_wait_s},
                 {"saturated", e.saturated}};
  }
  j["hourly_usd_per_device"] = dev.hourly_usd;
  j["cost_basis"] = std::string(cost_basis_name(w.cost.basis));
  j["cost_assumptions"] = w.cost.describe();
  j["currency"] = currency_json(w.cost);
  if (w.weight_bits > 0) j["weight_bits"] = w.weight_bits;
  if (w.spec_tokens > 0) {
    j["speculative"] = {{"tokens", w.spec_tokens}, {"accept_len", w.spec_accept_len}};
  }
  if (w.prefill_devices > 0) j["prefill_devices"] = w.prefill_devices;
  if (w.prefill_tp > 0) j["prefill_tp"] = w.prefill_tp;
  if (w.num_prompts && !w.request_rate) {
    j["benchmark"] = {{"num_prompts", *w.num_prompts}, {"prefill_wait_s", e.prefill_wait_s}};
    if (w.prefill_batch_tokens) j["benchmark"]["prefill_batch_tokens"] = *w.prefill_batch_tokens;
  }
  if (w.chunked_prefill_tokens) {
    j["chunked_prefill"] = {{"tokens", *w.chunked_prefill_tokens},
                            {"prefill_chunks", e.prefill_chunks},
                            {"prefill_hold_s", e.prefill_hold_s}};
  }
  if (!e.fits) j["why_not"] = e.why_not;
  return j;
}

namespace {

nlohmann::json range_json(const QuantityRange& r) {
  return {{"p10", r.p10}, {"p50", r.p50}, {"p90", r.p90}};
}

nlohmann::json basis_json(const IntervalBasis& b) {
  nlohmann::json residual = nullptr;
  if (b.residual) {
    const auto& r = *b.residual;
    residual = {{"profile", r.profile}, {"stack", r.stack},   {"kind", r.kind},
                {"rows", r.rows},       {"p10", r.p10},       {"p50", r.p50},
                {"p90", r.p90},         {"source", r.source}, {"level", b.residual_level}};
  }
  nlohmann::json contributors = nlohmann::json::array();
  for (const auto& c : b.contributors) {
    contributors.push_back(
        {{"source", c.source}, {"label", c.label}, {"low_ratio", c.low}, {"high_ratio", c.high}});
  }
  return {{"residual", residual},
          {"contributors", contributors},
          {"dominant", b.dominant},
          {"summary", b.summary},
          {"quantiles",
           "p10-p90: catalog figure ranges (low/high read as p10/p90) and "
           "out-of-sample residuals, combined in quadrature in log space per side"}};
}

}  // namespace

nlohmann::json interval_json(const TrainInterval& iv) {
  nlohmann::json j{{"step_time_s", range_json(iv.step_time_s)},
                   {"tokens_per_s", range_json(iv.tokens_per_s)},
                   {"mfu", range_json(iv.mfu)},
                   {"basis", basis_json(iv.basis)}};
  if (iv.time_to_train_days) j["time_to_train_days"] = range_json(*iv.time_to_train_days);
  if (iv.cost_usd) j["cost_usd"] = range_json(*iv.cost_usd);
  return j;
}

nlohmann::json interval_json(const InferInterval& iv) {
  nlohmann::json j{{"output_tokens_per_s", range_json(iv.output_tokens_per_s)},
                   {"ttft_s", range_json(iv.ttft_s)},
                   {"tpot_s", range_json(iv.tpot_s)},
                   {"basis", basis_json(iv.basis)}};
  if (iv.cost_per_million_output_tokens_usd) {
    j["cost_per_million_output_tokens_usd"] = range_json(*iv.cost_per_million_output_tokens_usd);
  }
  return j;
}

namespace {

nlohmann::json compare_base_json(const CompareRowBase& r) {
  nlohmann::json j{{"accelerator", r.accelerator},
                   {"origin", r.origin},
                   {"eccn_class", r.eccn_class},
                   {"china_status", r.china_status},
                   {"devices", r.devices},
                   {"ok", r.ok},
                   {"hourly_usd_per_device", r.hourly_usd},
                   {"cost_basis", r.cost_basis},
                   {"unverified_inputs", r.unverified}};
  if (r.cost_basis == "ownership" && r.hourly_usd > 0) {
    const DeviceHourCost& h = r.hourly_cost;
    j["hourly_cost_parts"] = {{"capital", h.capex},     {"levy", h.levy},
                              {"operations", h.operations}, {"facility", h.facility},
                              {"power", h.power}};
  }
  if (r.ok) {
    j["relative_speed"] = r.relative_speed;
    j["relative_cost_performance"] = r.relative_cost_performance;
  } else {
    j["error"] = r.error;
  }
  return j;
}

}  // namespace

nlohmann::json compare_train_json(const TrainWorkload& w,
                                  const std::vector<TrainCompareRow>& rows) {
  nlohmann::json arr = nlohmann::json::array();
  for (const auto& r : rows) {
    nlohmann::json j = compare_base_json(r);
    if (r.ok) {
      const auto& e = r.estimate;
      j["step_time_s"] = e.step_time_s;
      j["tokens_per_s"] = e.tokens_per_s;
      j["mfu"] = e.mfu;
      j["memory_per_device_gb"] = e.memory.total / 1e9;  // per rank: per die when dies > 1
      j["dies_per_device"] = e.dies;
      j["ranks"] = 1LL * r.devices * e.dies;
      j["parallelism"] = parallelism_json(e.par);
      if (w.tokens > 0) {
        j["time_to_train_days"] = r.totals.time_to_train_days;
        j["device_hours"] = r.totals.device_hours;
        j["energy_mwh"] = r.totals.energy_mwh;
        j["cost_usd"] = r.totals.cost_usd;
        j["steady_state_days"] = r.totals.steady_days;
        j["goodput_fraction"] =
            r.totals.goodput ? nlohmann::json(r.totals.goodput->fraction) : nlohmann::json(nullptr);
      }
      if (r.interval) j["interval"] = interval_json(*r.interval);
    }
    arr.push_back(j);
  }
  return nlohmann::json{{"workload",
                         {{"model", w.model.id},
                          {"seq", w.seq},
                          {"global_batch", w.global_batch},
                          {"precision", std::string(precision_name(w.precision))},
                          {"tokens", w.tokens}}},
                        {"cost_basis", std::string(cost_basis_name(w.cost.basis))},
                        {"cost_assumptions", w.cost.describe()},
                        {"currency", currency_json(w.cost)},
                        {"baseline", rows.empty() ? "" : rows.front().accelerator},
                        {"rows", arr}};
}

nlohmann::json compare_infer_json(const InferWorkload& w,
                                  const std::vector<InferCompareRow>& rows) {
  nlohmann::json arr = nlohmann::json::array();
  for (const auto& r : rows) {
    nlohmann::json j = compare_base_json(r);
    if (r.ok) {
      const auto& e = r.estimate;
      j["precision"] = std::string(precision_name(r.precision));
      j["tp"] = e.layout.tp;
      j["ep"] = e.layout.ep;
      j["batch"] = e.batch;
      j["ttft_s"] = e.ttft_s;
      j["tpot_s"] = e.tpot_s;
      j["output_tokens_per_s"] = e.output_tokens_per_s;
      j["output_tokens_per_s_per_device"] = e.output_tokens_per_s_per_device;
      j["cost_per_million_output_tokens_usd"] = e.cost_per_million_output_tokens_usd;
      j["bound"] = e.bound;
      if (w.request_rate) j["saturated"] = e.saturated;
      j["meets_tpot_target"] = !w.tpot_slo_s || e.tpot_s <= *w.tpot_slo_s * (1 + 1e-9);
      if (r.interval) j["interval"] = interval_json(*r.interval);
    }
    arr.push_back(j);
  }
  return nlohmann::json{{"workload",
                         {{"model", w.model.id},
                          {"precision", std::string(precision_name(w.precision))},
                          {"input_len", w.input_len},
                          {"output_len", w.output_len},
                          {"tpot_target_s", w.tpot_slo_s ? nlohmann::json(*w.tpot_slo_s)
                                                         : nlohmann::json(nullptr)}}},
                        {"cost_basis", std::string(cost_basis_name(w.cost.basis))},
                        {"cost_assumptions", w.cost.describe()},
                        {"currency", currency_json(w.cost)},
                        {"baseline", rows.empty() ? "" : rows.front().accelerator},
                        {"rows", arr}};
}

}  // namespace suanli

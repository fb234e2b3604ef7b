// `suanli estimate train|infer`: one analytical estimate, parallelism
// searched where the user left it open.
#include <fmt/format.h>
#include <CLI/CLI.hpp>
#include <memory>
#include <nlohmann/json.hpp>
#include <ostream>

#include "app/app.h"
#include "app/workload_options.h"
#include "perf/interval.h"
#include "perf/json.h"
#include "util/strings.h"

namespace suanli::app {

namespace {

struct EstimateState {
  TrainFlags train;
  InferFlags infer;
  std::string accel;
  int devices = 0;
  bool json = false;
};

std::string pct(double v) { return fmt::format("{:.1f}%", v * 100); }

// " (p10-p90 11.0-14.1 s)": a shared unit is written once.
template <class Fmt>
std::string span(const QuantityRange& r, Fmt f) {
  std::string lo = f(r.p10);
  const std::string hi = f(r.p90);
  const auto a = lo.rfind(' ');
  const auto b = hi.rfind(' ');
  if (a != std::string::npos && b != std::string::npos && lo.substr(a) == hi.substr(b)) {
    lo.resize(a);
  }
  return fmt::format(" (p10-p90 {}-{})", lo, hi);
}

void print_range_basis(std::ostream& out, const IntervalBasis& b) {
  out << fmt::format("Range        p10-p90 from: {}{}\n", b.summary,
                     b.dominant.empty() ? "" : "; dominant: " + b.dominant);
}

// Every collective of the step: traffic, bandwidth, and how much of its
// time compute hid (one overlap budget per window and link).
void print_collectives(std::ostream& out, const TrainEstimate& e) {
  for (int i = 0; i < e.collective_count; ++i) {
    const CollectiveCost& c = e.collectives[static_cast<std::size_t>(i)];
    out << fmt::format("{}{:<13} {} over {} at {}B/s: {} on the link, {} hidden, {} exposed\n",
                       i == 0 ? "Collectives  " : "             ", c.name,
                       human_count(c.bytes) + "B", c.link, human_count(c.bandwidth),
                       human_seconds(c.time), human_seconds(c.hidden), human_seconds(c.exposed()));
  }
}

// "19.7 per million device-hours [llama3, verified]": a figure with where it comes from.
std::string sourced(const Figure& f, const std::string& text) {
  return fmt::format("{} [{}, {}]", text, f.source_key.empty() ? f.origin : f.source_key,
                     confidence_name(f.confidence));
}

// Goodput: the share of wall time that trains, and what it rests on.
void print_goodput(std::ostream& out, const TrainTotals& t, const Economics& ec, int devices) {
  if (!t.goodput) {
    if (!t.goodput_error.empty()) out << "Goodput      not applied: " << t.goodput_error << "\n";
    if (t.goodput_error.empty()) out << "Goodput      not applied (--steady-state)\n";
    return;
  }
  const Goodput& g = *t.goodput;
  out << fmt::format(
      "Goodput      {:.1f}% of wall time trains (steady state {:.1f} days): ~{} interruptions, one "
      "every {:.1f} h on {} devices; lost {:.1f}% to restarts, {:.1f}% to rework, {:.1f}% to "
      "checkpoints ({:.1f} s every {:.0f} min)\n",
      g.fraction * 100, t.steady_days, thousands(std::llround(g.interruptions)), g.job_mtbf_h,
      thousands(devices), g.lost_to_restarts * 100, g.lost_to_rework * 100,
      g.lost_to_checkpoints * 100, g.checkpoint_write_s, g.checkpoint_interval_s / 60);
  out << fmt::format(
      "             from: {}; restart {}; checkpoint writes {}, {} (data/economics.toml)\n",
      sourced(ec.failures_per_million_device_hours,
              fmt::format("{:g} interruptions per million device-hours",
                          ec.failures_per_million_device_hours.value)),
      sourced(ec.restart_minutes, fmt::format("{:g} min", ec.restart_minutes.value)),
      sourced(ec.checkpoint_write_gbps_per_device,
              fmt::format("{:g} GB/s per device", ec.checkpoint_write_gbps_per_device.value)),
      sourced(ec.checkpoint_bytes_per_param,
              fmt::format("{:g} B per parameter", ec.checkpoint_bytes_per_param.value)));
}

// The hourly cost by part, on its basis, in the output currency.
void print_hour_cost(std::ostream& out, const DeviceHourCost& h, const CostAssumptions& c) {
  const char* s = c.symbol();
  if (h.basis == CostBasis::kRental) {
    out << fmt::format("Cost basis   rental: {}{:.2f}/device-hour (catalog market rate){}\n", s,
                       c.money(h.total),
                       c.in_cny ? fmt::format(", CNY at {:g} per USD", c.cny_per_usd) : "");
    return;
  }
  out << fmt::format(
      "Cost basis   ownership {}{:.2f}/device-hour = capital {}{:.2f}{} + operations {}{:.2f} + "
      "data centre {}{:.2f} + power {}{:.2f} (life {:g} y at {:.0f}%, PUE {:g}, {:.3f} USD/kWh{}; "
      "--cost-basis rental for the market rate)\n",
      s, c.money(h.total), s, c.money(h.capex),
      h.levy > 0 ? fmt::format(" + levy {}{:.2f}", s, c.money(h.levy)) : "", s,
      c.money(h.operations), s, c.money(h.facility), s, c.money(h.power), c.life_years,
      c.cost_of_capital * 100, c.pue, c.tariff_usd_per_kwh,
      c.in_cny ? fmt::format("; CNY at {:g} per USD", c.cny_per_usd) : "");
}

void print_caveats(std::ostream& out, const DeviceModel& d) {
  if (d.unverified.empty()) return;
  out << fmt::format("Caveats      unverified inputs for {}: {}\n", d.accel->id,
                     join(d.unverified, ", "));
}

int run_train(Context& ctx, const EstimateState& s) {
  auto cat = ctx.catalog();
  if (!cat) return ctx.report(cat.error());
  if (s.json) {
    nlohmann::json unfit;
    auto j = estimate_train_json(**cat, s.accel, s.devices, s.train, &unfit);
    if (!j) {
      if (!unfit.is_null()) ctx.out() << unfit.dump(2) << "\n";
      return ctx.report(j.error());
    }
    ctx.out() << j->dump(2) << "\n";
    return kExitOk;
  }
  auto accel = (*cat)->accelerator(s.accel);
  if (!accel) return ctx.report(accel.error());
  auto w = make_train_workload(**cat, s.train);
  if (!w) return ctx.report(w.error());
  auto dev = make_device_model(**accel, (*cat)->profile_for(**accel), w->precision);
  if (!dev) return ctx.report(dev.error());
  price_device(*dev, w->cost);
  auto model = TrainModel::create(*w, *dev, s.devices);
  if (!model) return ctx.report(model.error());
  const ParallelismRequest req = make_parallelism_request(s.train);
  auto found = search_train(*model, req);
  if (!found) return ctx.report(found.error());
  const TrainEstimate& e = found->best;
  auto& out = ctx.out();
  const auto& p = e.par;
  out << fmt::format("Training {} on {} × {}{} ({}), seq {}, global batch {} ({} tokens)\n",
                     w->model.id, s.devices, (*accel)->id,
                     e.dies > 1 ? fmt::format(" = {} ranks, one per die", model->ranks()) : "",
                     precision_name(w->precision), w->seq, w->global_batch,
                     human_count(static_cast<double>(w->global_batch) * w->seq));
  out << fmt::format(
      "Parallelism  tp {} · pp {} · dp {} · cp {} · ep {} · vpp {} · micro-batch {} ({} per step) "
      "· recompute {} · SP {} · ZeRO-{}\n",
      p.tp, p.pp, p.dp, p.cp, p.ep, p.vpp, p.micro_batch, e.micro_batches,
      recompute_name(p.recompute), p.sequence_parallel ? "on" : "off", p.zero);
  if (!found->searched.empty()) {
    out << fmt::format("             searched {} over {} configurations ({} fit)\n",
                       join(found->searched, ", "), found->candidates, found->feasible);
  }
  auto iv = train_interval(**cat, *model, e);
  if (!iv) return ctx.report(iv.error());
  auto secs = [](double v) { return human_seconds(v); };
  auto count = [](double v) { return human_count(v); };
  out << fmt::format("Step time    {}{}   {} tokens/s{} ({} per device)\n",
                     human_seconds(e.step_time_s), span(iv->step_time_s, secs),
                     human_count(e.tokens_per_s), span(iv->tokens_per_s, count),
                     human_count(e.tokens_per_s / s.devices));
  out << fmt::format(
      "MFU          {}{} of dense {} peak {:.1f} TFLOPS (HFU {}); {:.0f} model TFLOP/s per "
      "device\n",
      pct(e.mfu), span(iv->mfu, pct), e.mfu_peak == Precision::kFp8 ? "FP8" : "BF16",
      e.mfu_peak_tflops, pct(e.hfu), e.model_tflops_per_device);
  const auto& m = e.memory;
  out << fmt::format(
      "Memory       {:.1f} of {:.1f} GB usable per {} (weights {:.1f}, grads {:.1f}, "
      "optimizer {:.1f}, activations {:.1f}, logits {:.1f}) — {}\n",
      m.total / 1e9, m.usable / 1e9,
      e.dies > 1 ? fmt::format("die ({} dies per device, each its own rank)", e.dies) : "device",
      m.weights / 1e9, m.grads / 1e9, m.optimizer / 1e9,
      m.activations / 1e9, m.logits / 1e9, e.fits ? "fits" : "DOES NOT FIT");
  const auto& b = e.breakdown;
  auto part = [&](const char* name, double v) {
    return fmt::format("{} {} ({:.0f}%)", name, human_seconds(v), 100.0 * v / e.step_time_s);
  };
  out << "Step         " << part("compute", b.compute) << ", " << part("TP comm", b.tp_comm) << ", "
      << part("bubble", b.bubble) << ", " << part("PP comm", b.pp_comm) << ",\n             "
      << part("DP comm (exposed)", b.dp_comm) << ", " << part("EP comm", b.ep_comm) << ", "
      << part("CP comm", b.cp_comm) << ", " << part("optimizer", b.optimizer) << "\n";
  if (w->tokens > 0) {
    const TrainTotals t = train_totals(e, *model);
    out << fmt::format(
        "To train     {} tokens: {:.1f} days{}, {} device-hours, {:.1f} MWh (PUE {}), ",
        human_count(w->tokens), t.time_to_train_days,
        iv->time_to_train_days
            ? span(*iv->time_to_train_days, [](double v) { return fmt::format("{:.1f}", v); })
            : "",
        human_count(t.device_hours), t.energy_mwh, w->cost.pue);
    if (t.cost_usd > 0) {
      const CostAssumptions& c = w->cost;
      auto money = [&c](double v) { return human_count(c.money(v)); };
      out << fmt::format("{}{}{} at {}{:.2f}/device-hour ({})\n", c.symbol(), money(t.cost_usd),
                         iv->cost_usd ? span(*iv->cost_usd, money) : "", c.symbol(),
                         c.money(model->device().hourly_usd), cost_basis_name(c.basis));
    } else {
      out << "cost unknown: " << device_hour_cost(**accel, w->cost).error().message << "\n";
    }
    print_goodput(out, t, (*cat)->economics(), s.devices);
    if (auto hour = device_hour_cost(**accel, w->cost)) print_hour_cost(out, *hour, w->cost);
  }
  print_collectives(out, e);
  print_range_basis(out, iv->basis);
  if (!w->assumptions.empty()) {
    out << fmt::format("Assumed      {}\n", join(w->assumptions, "; "));
  }
  print_caveats(out, model->device());
  return kExitOk;
}

int run_infer(Context& ctx, const EstimateState& s) {
  auto cat = ctx.catalog();
  if (!cat) return ctx.report(cat.error());
  if (s.json) {
    auto j = estimate_infer_json(**cat, s.accel, s.devices, s.infer);
    if (!j) return ctx.report(j.error());
    ctx.out() << j->dump(2) << "\n";
    return kExitOk;
  }
  auto accel = (*cat)->accelerator(s.accel);
  if (!accel) return ctx.report(accel.error());
  auto w = make_infer_workload(**cat, s.infer);
  if (!w) return ctx.report(w.error());
  if (s.devices <= 0)
    return ctx.report({ErrorCode::kInvalidArgument, "--devices must be positive"});
  const auto& profile = (*cat)->profile_for(**accel);
  auto search = search_infer_for_estimate(*w, **accel, profile, s.devices, s.infer.tp, s.infer.ep);
  if (!search) return ctx.report(search.error());
  const InferSearchResult* found = &search->found;
  const InferEstimate& e = found->best;
  // Rebuild the device model for the chosen layout (for the JSON's caveats).
  auto model = InferModel::create(*w, **accel, profile, s.devices, e.layout);
  if (!model) return ctx.report(model.error());
  auto& out = ctx.out();
  out << fmt::format(
      "Serving {} on {} × {} ({} weights, {} compute), input {} / output {} tokens\n", w->model.id,
      s.devices, (*accel)->id, precision_name(w->precision),
      precision_name(model->device().compute_precision), w->input_len, w->output_len);
  const int dies = model->device().dies;
  out << fmt::format(
      "Layout       {} instance(s) of {} {}: TP {}{}{}\n", e.layout.instances,
      e.layout.instance_devices,
      dies > 1 ? fmt::format("ranks ({} dies per device)", dies) : std::string("device(s)"),
      e.layout.tp,
      w->model.is_moe() ? fmt::format(", EP {}", e.layout.ep) : std::string(),
      found->searched.empty() ? "" : fmt::format(" (searched {})", join(found->searched, ", ")));
  const std::string target =
      search->tpot_target == "default"
          ? fmt::format(": the largest at TPOT <= {:.0f} ms, as compare (--batch, --tpot-slo-ms)",
                        kCompareTpotTargetS * 1e3)
      : search->tpot_target == "default unmet"
          ? fmt::format(": the largest that fits (no batch reaches TPOT <= {:.0f} ms)",
                        kCompareTpotTargetS * 1e3)
      : w->tpot_slo_s ? fmt::format(", TPOT SLO {:.0f} ms", *w->tpot_slo_s * 1e3)
                      : std::string();
  out << fmt::format("Batch        {} sequences per instance (memory allows {}){}\n", e.batch,
                     e.max_batch, target);
  if (w->request_rate) {
    out << fmt::format(
        "Load         {:g} requests/s: {}\n", *w->request_rate,
        e.saturated
            ? fmt::format("more than the deployment serves (at most {:.3g} requests/s at batch {}): "
                          "the queue grows, throughput is the capacity and TTFT (below: without the "
                          "queue) grows with the queue's age",
                          e.output_tokens_per_s / w->output_len, e.batch)
            : fmt::format("{} requests in flight per instance (Little's law); TTFT waits {} for "
                          "prefill",
                          e.batch, human_seconds(e.prefill_wait_s)));
  }
  auto iv = infer_interval(**cat, *w, **accel, profile, s.devices, e);
  if (!iv) return ctx.report(iv.error());
  auto secs = [](double v) { return human_seconds(v); };
  out << fmt::format("Latency      TTFT {}{} · TPOT {}{} (decode step {}{} + prefill interference)\n",
                     human_seconds(e.ttft_s), span(iv->ttft_s, secs), human_seconds(e.tpot_s),
                     span(iv->tpot_s, secs), human_seconds(e.decode_step_s),
                     e.tokens_per_step > 1 ? fmt::format(" for {:.2f} accepted tokens",
                                                         e.tokens_per_step)
                                           : std::string());
  out << fmt::format("Throughput   {} output tokens/s{} ({} per device), {} input tokens/s\n",
                     human_count(e.output_tokens_per_s),
                     e.request_rate > 0 && !e.saturated
                         ? std::string(" (set by the request rate)")
                         : span(iv->output_tokens_per_s, [](double v) { return human_count(v); }),
                     human_count(e.output_tokens_per_s_per_device),
                     human_count(e.input_tokens_per_s));
  out << fmt::format(
      "Decode       {}-bound: memory {} vs compute {} per step, comm {}, kernel floor {}\n",
      e.bound, human_seconds(e.decode_memory_s), human_seconds(e.decode_compute_s),
      human_seconds(e.decode_comm_s), human_seconds(e.decode_floor_s));
  if (w->disaggregated) {
    out << fmt::format("Prefill      {} prompt tokens/s per device on a prefill-only instance\n",
                       human_count(e.prefill_tokens_per_s_per_device));
  }
  out << fmt::format(
      "Memory       {:.1f} of {:.1f} GB usable per {} (weights {:.1f}, KV cache {:.1f})\n",
      e.memory_per_device_gb, e.memory_usable_gb, dies > 1 ? "die" : "device", e.weights_gb,
      e.kv_cache_gb);
  const CostAssumptions& c = w->cost;
  if (e.cost_per_million_output_tokens_usd > 0) {
    // The basis, not a catalog figure's grade: the chip may have no rental
    // rate on the ownership basis.
    out << fmt::format(
        "Cost         {}{:.3f}{} per million output tokens at {}{:.2f}/device-hour ({})\n",
        c.symbol(), c.money(e.cost_per_million_output_tokens_usd),
        iv->cost_per_million_output_tokens_usd
            ? span(*iv->cost_per_million_output_tokens_usd,
                   [&c](double v) { return fmt::format("{}{:.3f}", c.symbol(), c.money(v)); })
            : "",
        c.symbol(), c.money(model->device().hourly_usd), cost_basis_name(c.basis));
  } else {
    auto why = device_hour_cost(**accel, c);
    out << "Cost         unknown: " << (why ? "no throughput" : why.error().message) << "\n";
  }
  if (auto hour = device_hour_cost(**accel, c)) print_hour_cost(out, *hour, c);
  print_range_basis(out, iv->basis);
  print_caveats(out, model->device());
  return kExitOk;
}

}  // namespace

void register_estimate(CLI::App& app, Context& ctx) {
  auto state = std::make_shared<EstimateState>();
  auto* est = app.add_subcommand(
      "estimate", "Analytical step time, throughput, MFU, memory and cost for one workload");
  est->require_subcommand(1);
  auto* train = est->add_subcommand(
      "train",
      "Training step time, tokens/s, MFU/HFU, memory and time-to-train. Parallelism flags left "
      "out are searched; the fastest configuration that fits wins.");
  add_train_flags(train, state->train, true);
  train->add_option("--accel", state->accel, "Accelerator ID (see `suanli catalog`)")->required();
  train->add_option("--devices", state->devices, "Number of devices")->required();
  train->add_flag("--json", state->json, "Print one JSON object");
  train->callback(
      [&ctx, state] { ctx.action() = [&ctx, state] { return run_train(ctx, *state); }; });

  auto* infer = est->add_subcommand(
      "infer",
      "Inference TTFT, TPOT, tokens/s and cost per million tokens; batch limited by KV-cache "
      "memory and by the TPOT SLO. TP/EP searched when omitted.");
  add_infer_flags(infer, state->infer, true);
  infer->add_option("--accel", state->accel, "Accelerator ID")->required();
  infer->add_option("--devices", state->devices, "Number of devices")->required();
  infer->add_flag("--json", state->json, "Print one JSON object");
  infer->callback(
      [&ctx, state] { ctx.action() = [&ctx, state] { return run_infer(ctx, *state); }; });
}

}  // namespace suanli::app

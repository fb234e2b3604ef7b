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
#include "util/table.h"

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

// A line's label in the user's language, padded to the 13 columns of the
// English layout (wider labels get one space).
// The catalog holds labels under "label|<English>" (a context, as gettext's
// msgctxt: "Step" here is not the report's relaxation step).
std::string label(const Messages& m, std::string_view english) {
  const std::string key = "label|" + std::string(english);
  std::string l(m.tr(key));
  if (l == key) l = english;
  const std::size_t w = display_width(l);
  return l + std::string(w < 13 ? 13 - w : 1, ' ');
}
constexpr std::string_view kIndent = "             ";

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

void print_range_basis(std::ostream& out, const IntervalBasis& b, const Messages& m) {
  out << label(m, "Range")
      << (b.dominant.empty()
              ? m.trf("p10-p90 from: {basis}", fmt::arg("basis", b.summary))
              : m.trf("p10-p90 from: {basis}; dominant: {dominant}", fmt::arg("basis", b.summary),
                      fmt::arg("dominant", b.dominant)))
      << "\n";
}

// Every collective of the step: traffic, bandwidth, and how much of its
// time compute hid (one overlap budget per window and link).
void print_collectives(std::ostream& out, const TrainEstimate& e, const Messages& m) {
  for (int i = 0; i < e.collective_count; ++i) {
    const CollectiveCost& c = e.collectives[static_cast<std::size_t>(i)];
    out << (i == 0 ? label(m, "Collectives") : std::string(kIndent))
        << fmt::format("{:<13} ", c.name)
        << m.trf(
               "{bytes} over {link} at {bandwidth}B/s: {time} on the link, {hidden} hidden, "
               "{exposed} exposed",
               fmt::arg("bytes", human_count(c.bytes) + "B"), fmt::arg("link", m.tr(c.link)),
               fmt::arg("bandwidth", human_count(c.bandwidth)),
               fmt::arg("time", human_seconds(c.time)), fmt::arg("hidden", human_seconds(c.hidden)),
               fmt::arg("exposed", human_seconds(c.exposed())));
    if (c.slowdown > 0) {
      out << m.trf(", slowing the compute beside it by {slowdown}",
                   fmt::arg("slowdown", human_seconds(c.slowdown)));
    }
    out << "\n";
  }
}

// "19.7 per million device-hours [llama3, verified]": a figure with where it comes from.
std::string sourced(const Figure& f, const std::string& text) {
  return fmt::format("{} [{}, {}]", text, f.source_key.empty() ? f.origin : f.source_key,
                     confidence_name(f.confidence));
}

// Goodput: the share of wall time that trains, and what it rests on.
void print_goodput(std::ostream& out, const TrainTotals& t, const Economics& ec, int devices,
                   const Messages& m) {
  if (!t.goodput) {
    out << label(m, "Goodput")
        << (t.goodput_error.empty()
                ? std::string(m.tr("not applied (--steady-state)"))
                : m.trf("not applied: {reason}", fmt::arg("reason", t.goodput_error)))
        << "\n";
    return;
  }
  const Goodput& g = *t.goodput;
  auto f1 = [](double v) { return fmt::format("{:.1f}", v); };
  out << label(m, "Goodput")
      << m.trf("{share}% of wall time trains (steady state {days} days): ~{interruptions} "
               "interruptions, one every {mtbf} h on {devices} devices; lost {restarts}% to "
               "restarts, {rework}% to rework, {checkpoints}% to checkpoints ({write} s every "
               "{interval} min)",
               fmt::arg("share", f1(g.fraction * 100)), fmt::arg("days", f1(t.steady_days)),
               fmt::arg("interruptions", thousands(std::llround(g.interruptions))),
               fmt::arg("mtbf", f1(g.job_mtbf_h)), fmt::arg("devices", thousands(devices)),
               fmt::arg("restarts", f1(g.lost_to_restarts * 100)),
               fmt::arg("rework", f1(g.lost_to_rework * 100)),
               fmt::arg("checkpoints", f1(g.lost_to_checkpoints * 100)),
               fmt::arg("write", f1(g.checkpoint_write_s)),
               fmt::arg("interval", fmt::format("{:.0f}", g.checkpoint_interval_s / 60)))
      << "\n";
  out << kIndent << m.trf(
      "from: {failures}; restart {restart}; checkpoint writes {writes}, {bytes} (data/economics.toml)",
      fmt::arg("failures",
               sourced(ec.failures_per_million_device_hours,
                       m.trf("{n} interruptions per million device-hours",
                             fmt::arg("n", fmt::format("{:g}", ec.failures_per_million_device_hours.value))))),
      fmt::arg("restart", sourced(ec.restart_minutes,
                                  fmt::format("{:g} min", ec.restart_minutes.value))),
      fmt::arg("writes",
               sourced(ec.checkpoint_write_gbps_per_device,
                       m.trf("{n} GB/s per device",
                             fmt::arg("n", fmt::format("{:g}", ec.checkpoint_write_gbps_per_device.value))))),
      fmt::arg("bytes", sourced(ec.checkpoint_bytes_per_param,
                                m.trf("{n} B per parameter",
                                      fmt::arg("n", fmt::format("{:g}", ec.checkpoint_bytes_per_param.value))))))
      << "\n";
}

// The hourly cost by part, on its basis, in the output currency.
void print_hour_cost(std::ostream& out, const DeviceHourCost& h, const CostAssumptions& c,
                     const Messages& m) {
  const char* s = c.symbol();
  auto money = [&](double v) { return fmt::format("{}{:.2f}", s, c.money(v)); };
  const std::string cny =
      c.in_cny ? m.trf("CNY at {rate} per USD", fmt::arg("rate", fmt::format("{:g}", c.cny_per_usd)))
               : std::string();
  out << label(m, "Cost basis");
  if (h.basis == CostBasis::kRental) {
    out << m.trf("rental: {total}/device-hour (catalog market rate)", fmt::arg("total", money(h.total)))
        << (cny.empty() ? "" : ", " + cny) << "\n";
    return;
  }
  out << m.trf("ownership {total}/device-hour = capital {capex}{levy} + operations {operations} + "
               "data centre {facility} + power {power} (life {life} y at {rate}%, PUE {pue}, "
               "{tariff} USD/kWh{cny}; --cost-basis rental for the market rate)",
               fmt::arg("total", money(h.total)), fmt::arg("capex", money(h.capex)),
               fmt::arg("levy", h.levy > 0 ? m.trf(" + levy {levy}", fmt::arg("levy", money(h.levy)))
                                           : std::string()),
               fmt::arg("operations", money(h.operations)), fmt::arg("facility", money(h.facility)),
               fmt::arg("power", money(h.power)), fmt::arg("life", fmt::format("{:g}", c.life_years)),
               fmt::arg("rate", fmt::format("{:.0f}", c.cost_of_capital * 100)),
               fmt::arg("pue", fmt::format("{:g}", c.pue)),
               fmt::arg("tariff", fmt::format("{:.3f}", c.tariff_usd_per_kwh)),
               fmt::arg("cny", cny.empty() ? "" : "; " + cny))
      << "\n";
}

void print_caveats(std::ostream& out, const DeviceModel& d, const Messages& m) {
  if (d.unverified.empty()) return;
  out << label(m, "Caveats")
      << m.trf("unverified inputs for {accelerator}: {inputs}", fmt::arg("accelerator", d.accel->id),
               fmt::arg("inputs", join(d.unverified, ", ")))
      << "\n";
}

// The workload and the layout the search chose.
void print_train_layout(std::ostream& out, const Messages& m, const TrainWorkload& w,
                        const Accelerator& accel, const TrainModel& model,
                        const TrainSearchResult& found, int devices) {
  const TrainEstimate& e = found.best;
  const auto& p = e.par;
  out << m.trf(
             "Training {model} on {devices} × {accelerator}{ranks} ({precision}), seq {seq}, "
             "global batch {batch} ({tokens} tokens)",
             fmt::arg("model", w.model.id), fmt::arg("devices", devices),
             fmt::arg("accelerator", accel.id),
             fmt::arg("ranks", e.dies > 1 ? m.trf(" = {ranks} ranks, one per die",
                                                  fmt::arg("ranks", model.ranks()))
                                          : std::string()),
             fmt::arg("precision", train_precision_label(w)), fmt::arg("seq", w.seq),
             fmt::arg("batch", w.global_batch),
             fmt::arg("tokens", human_count(static_cast<double>(w.global_batch) * w.seq)))
      << "\n";
  out << label(m, "Parallelism")
      << m.trf(
             "tp {tp} · pp {pp} · dp {dp} · cp {cp} · ep {ep} · vpp {vpp} · micro-batch {mb} "
             "({steps} per step) · recompute {recompute} · SP {sp} · ZeRO-{zero}",
             fmt::arg("tp", p.tp), fmt::arg("pp", p.pp), fmt::arg("dp", p.dp), fmt::arg("cp", p.cp),
             fmt::arg("ep", p.ep), fmt::arg("vpp", p.vpp), fmt::arg("mb", p.micro_batch),
             fmt::arg("steps", e.micro_batches),
             fmt::arg("recompute", m.tr(recompute_name(p.recompute))),
             fmt::arg("sp", m.tr(p.sequence_parallel ? "on" : "off")), fmt::arg("zero", p.zero));
  if (p.zero_replicas() > 1) {
    out << m.trf(" over groups of {shard} ranks, {replicas} replicas (HSDP)",
                 fmt::arg("shard", p.zero_shard), fmt::arg("replicas", p.zero_replicas()));
  }
  out << "\n";
  if (!found.searched.empty())
    out << kIndent
        << m.trf("searched {fields} over {candidates} configurations ({feasible} fit)",
                 fmt::arg("fields", join(found.searched, ", ")),
                 fmt::arg("candidates", found.candidates), fmt::arg("feasible", found.feasible))
        << "\n";
}

// Step time, throughput, MFU, memory and the step's parts.
void print_train_step(std::ostream& out, const Messages& m, const TrainEstimate& e,
                      const TrainInterval& iv, int devices) {
  auto secs = [](double v) { return human_seconds(v); };
  auto count = [](double v) { return human_count(v); };
  out << label(m, "Step time")
      << m.trf("{step}{step_range}   {rate} tokens/s{rate_range} ({per_device} per device)",
               fmt::arg("step", human_seconds(e.step_time_s)),
               fmt::arg("step_range", span(iv.step_time_s, secs)),
               fmt::arg("rate", human_count(e.tokens_per_s)),
               fmt::arg("rate_range", span(iv.tokens_per_s, count)),
               fmt::arg("per_device", human_count(e.tokens_per_s / devices)))
      << "\n";
  out << label(m, "MFU")
      << m.trf("{mfu}{range} of dense {precision} peak {peak} TFLOPS (HFU {hfu}); {model_tflops} "
               "model TFLOP/s per device",
               fmt::arg("mfu", pct(e.mfu)), fmt::arg("range", span(iv.mfu, pct)),
               fmt::arg("precision", e.mfu_peak == Precision::kFp8 ? "FP8" : "BF16"),
               fmt::arg("peak", fmt::format("{:.1f}", e.mfu_peak_tflops)), fmt::arg("hfu", pct(e.hfu)),
               fmt::arg("model_tflops", fmt::format("{:.0f}", e.model_tflops_per_device)))
      << "\n";
  const auto& mem = e.memory;
  auto gb = [](double v) { return fmt::format("{:.1f}", v / 1e9); };
  out << label(m, "Memory")
      << m.trf("{total} of {usable} GB usable per {unit} (weights {weights}, grads {grads}, "
               "optimizer {optimizer}, activations {activations}, logits {logits}) — {fits}",
               fmt::arg("total", gb(mem.total)), fmt::arg("usable", gb(mem.usable)),
               fmt::arg("unit", e.dies > 1 ? m.trf("die ({dies} dies per device, each its own rank)",
                                                   fmt::arg("dies", e.dies))
                                           : std::string(m.tr("device"))),
               fmt::arg("weights", gb(mem.weights)), fmt::arg("grads", gb(mem.grads)),
               fmt::arg("optimizer", gb(mem.optimizer)),
               fmt::arg("activations", gb(mem.activations)), fmt::arg("logits", gb(mem.logits)),
               fmt::arg("fits", m.tr(e.fits ? "fits" : "DOES NOT FIT")))
      << "\n";
  const auto& b = e.breakdown;
  auto part = [&](const char* name, double v) {
    return fmt::format("{} {} ({:.0f}%)", m.tr(name), human_seconds(v), 100.0 * v / e.step_time_s);
  };
  out << label(m, "Step") << part("compute", b.compute) << ", " << part("TP comm", b.tp_comm)
      << ", " << part("bubble", b.bubble) << ", " << part("PP comm", b.pp_comm) << ",\n"
      << kIndent << part("DP comm (exposed)", b.dp_comm) << ", " << part("EP comm", b.ep_comm)
      << ", " << part("CP comm", b.cp_comm) << ", " << part("optimizer", b.optimizer) << "\n";
}

// Time, device-hours, energy and cost to train the requested tokens.
void print_train_totals(std::ostream& out, const Messages& m, const TrainWorkload& w,
                        const TrainModel& model, const TrainInterval& iv, const TrainEstimate& e) {
  const TrainTotals t = train_totals(e, model);
  out << label(m, "To train")
      << m.trf("{tokens} tokens: {days} days{range}, {hours} device-hours, {mwh} MWh (PUE {pue}), ",
               fmt::arg("tokens", human_count(w.tokens)),
               fmt::arg("days", fmt::format("{:.1f}", t.time_to_train_days)),
               fmt::arg("range", iv.time_to_train_days
                                     ? span(*iv.time_to_train_days,
                                            [](double v) { return fmt::format("{:.1f}", v); })
                                     : ""),
               fmt::arg("hours", human_count(t.device_hours)),
               fmt::arg("mwh", fmt::format("{:.1f}", t.energy_mwh)), fmt::arg("pue", w.cost.pue));
  if (t.cost_usd > 0) {
    const CostAssumptions& c = w.cost;
    auto money = [&c](double v) { return human_count(c.money(v)); };
    out << m.trf("{symbol}{cost}{range} at {symbol}{hourly}/device-hour ({basis})",
                 fmt::arg("symbol", c.symbol()), fmt::arg("cost", money(t.cost_usd)),
                 fmt::arg("range", iv.cost_usd ? span(*iv.cost_usd, money) : ""),
                 fmt::arg("hourly", fmt::format("{:.2f}", c.money(model.device().hourly_usd))),
                 fmt::arg("basis", m.tr(cost_basis_name(c.basis))))
        << "\n";
  } else {
    auto why = device_hour_cost(*model.device().accel, w.cost);
    out << m.tr("cost unknown:") << " " << (why ? std::string() : why.error().message) << "\n";
  }
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
  auto msgs = ctx.messages();
  if (!msgs) return ctx.report(msgs.error());
  const Messages& m = **msgs;
  auto iv = train_interval(**cat, *model, e);
  if (!iv) return ctx.report(iv.error());
  auto& out = ctx.out();
  print_train_layout(out, m, *w, **accel, *model, *found, s.devices);
  print_train_step(out, m, e, *iv, s.devices);
  if (w->tokens > 0) {
    print_train_totals(out, m, *w, *model, *iv, e);
    print_goodput(out, train_totals(e, *model), (*cat)->economics(), s.devices, m);
    if (auto hour = device_hour_cost(**accel, w->cost)) print_hour_cost(out, *hour, w->cost, m);
  }
  print_collectives(out, e, m);
  print_range_basis(out, iv->basis, m);
  if (!w->assumptions.empty()) out << label(m, "Assumed") << join(w->assumptions, "; ") << "\n";
  print_caveats(out, model->device(), m);
  return kExitOk;
}

// The serving workload, the layout and batch the search chose, and the load.
void print_infer_layout(std::ostream& out, const Messages& m, const InferWorkload& w,
                        const Accelerator& accel, const InferModel& model,
                        const EstimateInferSearch& search, int devices) {
  const InferEstimate& e = search.found.best;
  out << m.trf("Serving {model} on {devices} × {accelerator} ({weights} weights, {compute} "
               "compute), input {input} / output {output} tokens",
               fmt::arg("model", w.model.id), fmt::arg("devices", devices),
               fmt::arg("accelerator", accel.id), fmt::arg("weights", precision_name(w.precision)),
               fmt::arg("compute", precision_name(model.device().compute_precision)),
               fmt::arg("input", w.input_len), fmt::arg("output", w.output_len))
      << "\n";
  const int dies = model.device().dies;
  out << label(m, "Layout")
      << m.trf("{instances} instance(s) of {size} {unit}: TP {tp}{ep}{searched}",
               fmt::arg("instances", e.layout.instances), fmt::arg("size", e.layout.instance_devices),
               fmt::arg("unit", dies > 1 ? m.trf("ranks ({dies} dies per device)", fmt::arg("dies", dies))
                                         : std::string(m.tr("device(s)"))),
               fmt::arg("tp", e.layout.tp),
               fmt::arg("ep", (w.model.is_moe() ? fmt::format(", EP {}", e.layout.ep) : std::string()) +
                                  (e.layout.pp > 1 ? fmt::format(", PP {}", e.layout.pp)
                                                   : std::string())),
               fmt::arg("searched", search.found.searched.empty()
                                        ? std::string()
                                        : m.trf(" (searched {fields})",
                                                fmt::arg("fields", join(search.found.searched, ", ")))))
      << "\n";
  const std::string ms = fmt::format("{:.0f}", kCompareTpotTargetS * 1e3);
  const std::string target =
      search.tpot_target == "default"
          ? m.trf(": the largest at TPOT <= {ms} ms, as compare (--batch, --tpot-slo-ms)",
                  fmt::arg("ms", ms))
      : search.tpot_target == "default unmet"
          ? m.trf(": the largest that fits (no batch reaches TPOT <= {ms} ms)", fmt::arg("ms", ms))
      : w.tpot_slo_s ? m.trf(", TPOT SLO {ms} ms", fmt::arg("ms", fmt::format("{:.0f}", *w.tpot_slo_s * 1e3)))
                     : std::string();
  out << label(m, "Batch")
      << m.trf("{batch} sequences per instance (memory allows {max}){target}",
               fmt::arg("batch", e.batch), fmt::arg("max", e.max_batch), fmt::arg("target", target))
      << "\n";
  if (!w.request_rate) return;
  out << label(m, "Load")
      << (e.saturated
              ? m.trf("{rate} requests/s: more than the deployment serves (at most {capacity} "
                      "requests/s at batch {batch}): the queue grows, throughput is the capacity "
                      "and TTFT (below: without the queue) grows with the queue's age",
                      fmt::arg("rate", fmt::format("{:g}", *w.request_rate)),
                      fmt::arg("capacity", fmt::format("{:.3g}", e.output_tokens_per_s / w.output_len)),
                      fmt::arg("batch", e.batch))
              : m.trf("{rate} requests/s: {batch} requests in flight per instance (Little's law); "
                      "TTFT waits {wait} for prefill",
                      fmt::arg("rate", fmt::format("{:g}", *w.request_rate)),
                      fmt::arg("batch", e.batch), fmt::arg("wait", human_seconds(e.prefill_wait_s))))
      << "\n";
}

// Latency, throughput, what bounds decode, and memory.
void print_infer_rates(std::ostream& out, const Messages& m, const InferWorkload& w,
                       const InferEstimate& e, const InferInterval& iv, int dies) {
  auto secs = [](double v) { return human_seconds(v); };
  out << label(m, "Latency")
      << m.trf(
             "TTFT {ttft}{ttft_range} · TPOT {tpot}{tpot_range} (decode step {step}{accepted} + "
             "prefill interference)",
             fmt::arg("ttft", human_seconds(e.ttft_s)),
             fmt::arg("ttft_range", span(iv.ttft_s, secs)),
             fmt::arg("tpot", human_seconds(e.tpot_s)),
             fmt::arg("tpot_range", span(iv.tpot_s, secs)),
             fmt::arg("step", human_seconds(e.decode_step_s)),
             fmt::arg("accepted",
                      e.tokens_per_step > 1
                          ? m.trf(" for {n} accepted tokens",
                                  fmt::arg("n", fmt::format("{:.2f}", e.tokens_per_step)))
                          : std::string()))
      << (w.chunked_prefill_tokens && e.prefill_chunks > 1
              ? m.trf("; the prompt prefills in {n} passes under the {budget}-token iteration "
                      "budget",
                      fmt::arg("n", e.prefill_chunks),
                      fmt::arg("budget", *w.chunked_prefill_tokens))
              : std::string())
      << "\n";
  out << label(m, "Throughput")
      << m.trf("{rate} output tokens/s{range} ({per_device} per device), {input} input tokens/s",
               fmt::arg("rate", human_count(e.output_tokens_per_s)),
               fmt::arg("range", e.request_rate > 0 && !e.saturated
                                     ? std::string(m.tr(" (set by the request rate)"))
                                     : span(iv.output_tokens_per_s, [](double v) { return human_count(v); })),
               fmt::arg("per_device", human_count(e.output_tokens_per_s_per_device)),
               fmt::arg("input", human_count(e.input_tokens_per_s)))
      << "\n";
  out << label(m, "Decode")
      << m.trf("{bound}-bound: memory {memory} vs compute {compute} per step, comm {comm}, kernel "
               "floor {floor}",
               fmt::arg("bound", m.tr(e.bound)), fmt::arg("memory", human_seconds(e.decode_memory_s)),
               fmt::arg("compute", human_seconds(e.decode_compute_s)),
               fmt::arg("comm", human_seconds(e.decode_comm_s)),
               fmt::arg("floor", human_seconds(e.decode_floor_s)))
      << "\n";
  if (w.disaggregated)
    out << label(m, "Prefill")
        << m.trf("{rate} prompt tokens/s per device on a prefill-only instance",
                 fmt::arg("rate", human_count(e.prefill_tokens_per_s_per_device)))
        << "\n";
  out << label(m, "Memory")
      << m.trf("{total} of {usable} GB usable per {unit} (weights {weights}, KV cache {kv})",
               fmt::arg("total", fmt::format("{:.1f}", e.memory_per_device_gb)),
               fmt::arg("usable", fmt::format("{:.1f}", e.memory_usable_gb)),
               fmt::arg("unit", m.tr(dies > 1 ? "die" : "device")),
               fmt::arg("weights", fmt::format("{:.1f}", e.weights_gb)),
               fmt::arg("kv", fmt::format("{:.1f}", e.kv_cache_gb)))
      << "\n";
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
  auto msgs = ctx.messages();
  if (!msgs) return ctx.report(msgs.error());
  const Messages& m = **msgs;
  auto iv = infer_interval(**cat, *w, **accel, profile, s.devices, e);
  if (!iv) return ctx.report(iv.error());
  auto& out = ctx.out();
  print_infer_layout(out, m, *w, **accel, *model, *search, s.devices);
  print_infer_rates(out, m, *w, e, *iv, model->device().dies);
  const CostAssumptions& c = w->cost;
  if (e.cost_per_million_output_tokens_usd > 0) {
    // The basis, not a catalog figure's grade: the chip may have no rental
    // rate on the ownership basis.
    out << label(m, "Cost")
        << m.trf("{symbol}{cost}{range} per million output tokens at {symbol}{hourly}/device-hour "
                 "({basis})",
                 fmt::arg("symbol", c.symbol()),
                 fmt::arg("cost", fmt::format("{:.3f}", c.money(e.cost_per_million_output_tokens_usd))),
                 fmt::arg("range", iv->cost_per_million_output_tokens_usd
                                       ? span(*iv->cost_per_million_output_tokens_usd,
                                              [&c](double v) {
                                                return fmt::format("{}{:.3f}", c.symbol(), c.money(v));
                                              })
                                       : ""),
                 fmt::arg("hourly", fmt::format("{:.2f}", c.money(model->device().hourly_usd))),
                 fmt::arg("basis", m.tr(cost_basis_name(c.basis))))
        << "\n";
  } else {
    auto why = device_hour_cost(**accel, c);
    out << label(m, "Cost") << m.tr("unknown:") << " "
        << (why ? std::string(m.tr("no throughput")) : why.error().message) << "\n";
  }
  if (auto hour = device_hour_cost(**accel, c)) print_hour_cost(out, *hour, c, m);
  print_range_basis(out, iv->basis, m);
  print_caveats(out, model->device(), m);
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

// `suanli compare train|infer`: one workload across several accelerators.
#include <fmt/format.h>
#include <CLI/CLI.hpp>
#include <memory>
#include <nlohmann/json.hpp>
#include <ostream>

#include "app/app.h"
#include "app/workload_options.h"
#include "perf/compare.h"
#include "perf/json.h"
#include "util/files.h"
#include "util/sheet.h"
#include "util/strings.h"
#include "util/table.h"

namespace suanli::app {

namespace {

struct CompareState {
  TrainFlags train;
  InferFlags infer;
  std::string accels;
  std::optional<int> devices;
  std::optional<double> budget;
  bool json = false;
  bool wide = false;
  std::string csv;  // --csv FILE: the --json rows, one line each
};

// --csv FILE: the rows of the --json document as CSV (same figures).
int write_compare_csv(Context& ctx, const CompareState& s, const nlohmann::json& doc) {
  if (s.csv.empty()) return kExitOk;
  const Sheet sheet = sheet_from_json_rows("compare", doc.at("rows"));
  if (auto ok = write_file_atomically(s.csv, sheet_csv(sheet)); !ok) return ctx.report(ok.error());
  ctx.err() << fmt::format("{} rows written to {}\n", sheet.rows.size(), s.csv);
  return kExitOk;
}

// One column of the narrow (<= 120 characters) view: the wide columns it
// joins, "value (p10-p90)".
struct NarrowColumn {
  std::string head;
  std::vector<std::size_t> from;
  bool right = false;
};

// The comparison table, wide (every column, --wide) or narrow (the columns
// a buyer reads first, ranges beside their values; the rest in --json and
// --wide).
class CompareTable {
 public:
  CompareTable(std::vector<std::string> head, std::vector<NarrowColumn> narrow, bool wide,
               const Messages& m)
      : head_(std::move(head)), narrow_(std::move(narrow)), wide_(wide), m_(m) {}
  void set_right_aligned(std::vector<std::size_t> right) { right_ = std::move(right); }
  // `unavailable`: why the chip has no estimate, shown in the narrow view's
  // first value column.
  void add_row(std::vector<std::string> row, std::string unavailable = {}) {
    rows_.push_back(std::move(row));
    unavailable_.push_back(std::move(unavailable));
  }

  std::string render() const {
    if (wide_) {
      TextTable t(head_, m_);
      t.set_right_aligned(right_);
      for (const auto& r : rows_) t.add_row(r);
      return t.render();
    }
    std::vector<std::string> head;
    std::vector<std::size_t> right;
    for (std::size_t c = 0; c < narrow_.size(); ++c) {
      head.push_back(narrow_[c].head);
      if (narrow_[c].right) right.push_back(c);
    }
    TextTable t(head, m_);
    t.set_right_aligned(right);
    for (std::size_t k = 0; k < rows_.size(); ++k) {
      const auto& r = rows_[k];
      std::vector<std::string> out;
      for (const NarrowColumn& n : narrow_) {
        if (!unavailable_[k].empty() && out.size() == 2) {
          out.push_back(unavailable_[k]);
          continue;
        }
        std::string cell;
        for (std::size_t i : n.from) {
          const std::string v = i < r.size() ? r[i] : "";
          if (v.empty() || v == "—") continue;
          cell += cell.empty() ? v : " (" + v + ")";
        }
        out.push_back(cell);
      }
      t.add_row(std::move(out));
    }
    return t.render();
  }

 private:
  std::vector<std::string> head_;
  std::vector<NarrowColumn> narrow_;
  bool wide_;
  const Messages& m_;
  std::vector<std::size_t> right_;
  std::vector<std::vector<std::string>> rows_;
  std::vector<std::string> unavailable_;
};

Result<CompareSizing> sizing(const CompareState& s) {
  if (s.devices && s.budget)
    return fail(ErrorCode::kInvalidArgument, "give --devices or --budget-usd, not both");
  if (!s.devices && !s.budget)
    return fail(ErrorCode::kInvalidArgument, "give --devices N or --budget-usd X");
  return CompareSizing{s.devices, s.budget};
}

std::string ratio(double v) { return v > 0 ? fmt::format("{:.2f}×", v) : "—"; }
// "11.0k-14.1k": a p10-p90 range cell ("—" when there is none).
template <class Fmt>
std::string range_cell(const std::optional<QuantityRange>& r, Fmt f) {
  return r ? fmt::format("{}-{}", f(r->p10), f(r->p90)) : "—";
}

// Per row: what dominates its range, and the unverified inputs behind it.
template <class Row>
void print_row_notes(std::ostream& out, const std::vector<Row>& rows, const Messages& m) {
  for (const auto& r : rows) {
    if (!r.ok) {
      out << fmt::format("  {}: {}\n", r.accelerator, r.error);
      continue;
    }
    std::vector<std::string> parts;
    if (r.interval && !r.interval->basis.dominant.empty()) {
      parts.push_back(m.trf("range dominated by {input}", fmt::arg("input", r.interval->basis.dominant)));
    }
    if (r.interval && !r.interval->basis.residual) parts.push_back(std::string(m.tr("no model residuals")));
    if (!r.unverified.empty())
      parts.push_back(m.trf("unverified: {fields}", fmt::arg("fields", join(r.unverified, ", "))));
    if (!parts.empty()) out << fmt::format("  {}: {}\n", r.accelerator, join(parts, "; "));
  }
}

int run_train(Context& ctx, const CompareState& s) {
  auto cat = ctx.catalog();
  if (!cat) return ctx.report(cat.error());
  auto w = make_train_workload(**cat, s.train);
  if (!w) return ctx.report(w.error());
  auto sz = sizing(s);
  if (!sz) return ctx.report(sz.error());
  auto rows = compare_train(**cat, *w, split(s.accels, ','), *sz);
  if (!rows) return ctx.report(rows.error());
  if (s.json || !s.csv.empty()) {
    const auto doc = compare_train_json(*w, *rows);
    if (int rc = write_compare_csv(ctx, s, doc); rc != kExitOk) return rc;
    if (s.json) {
      ctx.out() << doc.dump(2) << "\n";
      return kExitOk;
    }
  }
  auto msgs = ctx.messages();
  if (!msgs) return ctx.report(msgs.error());
  const Messages& m = **msgs;
  auto& out = ctx.out();
  out << m.trf(w->tokens > 0 ? "Training {model} (seq {seq}, global batch {batch}, {precision}), "
                               "{tokens} tokens"
                             : "Training {model} (seq {seq}, global batch {batch}, {precision})",
               fmt::arg("model", w->model.id), fmt::arg("seq", w->seq),
               fmt::arg("batch", w->global_batch), fmt::arg("precision", train_precision_label(*w)),
               fmt::arg("tokens", human_count(w->tokens)))
      << "\n";
  const bool totals = w->tokens > 0;
  CompareTable t({"accelerator", "origin", "devices", "tp·pp·dp·cp (vpp)", "step", "tokens/s",
                  "p10-p90", "speed", "MFU", totals ? "days" : "—", totals ? "p10-p90" : "",
                  totals ? std::string("cost ") + w->cost.symbol()
                         : w->cost.symbol() + std::string("/h"),
                  totals ? "p10-p90" : "", "cost-perf", "3A090", "China"},
                 {{"accelerator", {0}},
                  {"devices", {2}, true},
                  {"tokens/s (p10-p90)", {5, 6}, true},
                  {"speed", {7}, true},
                  {"MFU", {8}, true},
                  {totals ? "days (p10-p90)" : "", {9, 10}, true},
                  {totals ? std::string("cost ") + w->cost.symbol() : w->cost.symbol() + std::string("/h"),
                   {11},
                   true},
                  {"cost-perf", {13}, true},
                  {"China", {15}}},
                 s.wide, m);
  t.set_right_aligned({2, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13});
  auto count = [](double v) { return human_count(v); };
  auto days = [](double v) { return fmt::format("{:.1f}", v); };
  for (const auto& r : *rows) {
    if (!r.ok) {
      t.add_row({r.accelerator, r.origin, r.devices ? std::to_string(r.devices) : "—",
                 std::string(m.tr("does not fit / unavailable")), "", "", "", "", "", "", "", "", "",
                 "", r.eccn_class, std::string(m.tr(r.china_status))},
                std::string(m.tr("does not fit / unavailable")));
      continue;
    }
    const auto& e = r.estimate;
    const TrainInterval* iv = r.interval ? &*r.interval : nullptr;
    // A multi-die package runs a rank per die: say so beside the count.
    t.add_row({r.accelerator, r.origin,
               e.dies > 1 ? m.trf("{devices} ({dies} dies)", fmt::arg("devices", r.devices),
                                  fmt::arg("dies", 1LL * r.devices * e.dies))
                          : std::to_string(r.devices),
               fmt::format("{}·{}·{}·{} ({})", e.par.tp, e.par.pp, e.par.dp, e.par.cp, e.par.vpp),
               human_seconds(e.step_time_s), human_count(e.tokens_per_s),
               range_cell(iv ? std::optional(iv->tokens_per_s) : std::nullopt, count),
               ratio(r.relative_speed), fmt::format("{:.1f}%", e.mfu * 100),
               totals ? days(r.totals.time_to_train_days) : "",
               totals ? range_cell(iv ? iv->time_to_train_days : std::nullopt, days) : "",
               totals ? (r.totals.cost_usd > 0 ? human_count(w->cost.money(r.totals.cost_usd)) : "—")
                      : fmt::format("{:.0f}", w->cost.money(r.hourly_usd * r.devices)),
               totals ? range_cell(iv ? iv->cost_usd : std::nullopt,
                                   [&](double v) { return human_count(w->cost.money(v)); })
                      : "",
               ratio(r.relative_cost_performance), r.eccn_class, std::string(m.tr(r.china_status))});
  }
  out << t.render();
  print_row_notes(out, *rows, m);
  out << m.tr("speed and cost-perf are relative to the first accelerator; time-to-train includes "
              "interruptions, restarts and checkpoints (--steady-state without);")
      << "\n"
      << w->cost.describe(m) << m.tr(";") << "\n"
      << m.tr("p10-p90: catalog figure ranges and the model's out-of-sample residuals (`suanli "
              "estimate train … --json` gives the basis)")
      << "\n";
  return kExitOk;
}

int run_infer(Context& ctx, const CompareState& s) {
  auto cat = ctx.catalog();
  if (!cat) return ctx.report(cat.error());
  auto sz = sizing(s);
  if (!sz) return ctx.report(sz.error());
  if (s.json || !s.csv.empty()) {
    auto j = compare_infer_request_json(**cat, s.infer, split(s.accels, ','), *sz);
    if (!j) return ctx.report(j.error());
    if (int rc = write_compare_csv(ctx, s, *j); rc != kExitOk) return rc;
    if (s.json) {
      ctx.out() << j->dump(2) << "\n";
      return kExitOk;
    }
  }
  auto w = make_infer_workload(**cat, s.infer);
  if (!w) return ctx.report(w.error());
  const bool defaulted = apply_common_tpot_target(*w);
  auto rows = compare_infer(**cat, *w, split(s.accels, ','), *sz);
  if (!rows) return ctx.report(rows.error());
  auto msgs = ctx.messages();
  if (!msgs) return ctx.report(msgs.error());
  const Messages& m = **msgs;
  auto& out = ctx.out();
  const double tpot_ms = w->tpot_slo_s ? *w->tpot_slo_s * 1e3 : 0;
  out << m.trf("Serving {model} ({precision}), input {input} / output {output} tokens",
               fmt::arg("model", w->model.id),
               fmt::arg("precision", w->auto_precision
                                         ? std::string(m.tr("auto: fp8, else int8, else bf16"))
                                         : std::string(precision_name(w->precision))),
               fmt::arg("input", w->input_len), fmt::arg("output", w->output_len))
      << (w->request_rate
              ? m.trf(", {rate} requests/s arriving (open loop: the batch is what is in flight; a "
                      "chip that cannot keep up is marked saturated)",
                      fmt::arg("rate", fmt::format("{:g}", *w->request_rate)))
          : !w->tpot_slo_s ? std::string(m.tr(", fixed batch (chips may run at different TPOT)"))
          : defaulted ? m.trf(", every chip at TPOT {ms} ms (default; --tpot-slo-ms)",
                              fmt::arg("ms", fmt::format("{:.0f}", tpot_ms)))
                      : m.trf(", TPOT SLO {ms} ms", fmt::arg("ms", fmt::format("{:.0f}", tpot_ms))))
      << "\n";
  CompareTable t({"accelerator", "origin", "devices", "prec", "TP/EP", "batch", "TTFT", "TPOT",
                  "out tok/s", "p10-p90", "per dev", "speed", w->cost.symbol() + std::string("/M out"),
                  "p10-p90", "cost-perf",
                  "3A090", "China"},
                 {{"accelerator", {0}},
                  {"devices", {2}, true},
                  {"prec", {3}},
                  {"TTFT", {6}, true},
                  {"TPOT", {7}, true},
                  {"tok/s per dev", {10}, true},
                  {"speed", {11}, true},
                  {w->cost.symbol() + std::string("/M out (p10-p90)"), {12, 13}, true},
                  {"cost-perf", {14}, true},
                  {"China", {16}}},
                 s.wide, m);
  t.set_right_aligned({2, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14});
  auto count = [](double v) { return human_count(v); };
  auto usd = [&](double v) { return fmt::format("{:.2f}", w->cost.money(v)); };
  for (const auto& r : *rows) {
    if (!r.ok) {
      const std::string why(m.tr(r.error.find("SLO") != std::string::npos
                                     ? "cannot meet the TPOT target"
                                     : "does not fit / unsupported"));
      t.add_row({r.accelerator, r.origin, r.devices ? std::to_string(r.devices) : "—",
                 std::string(precision_name(r.precision)), why, "", "", "", "", "", "", "", "",
                 "", "", r.eccn_class, std::string(m.tr(r.china_status))},
                why);
      continue;
    }
    const auto& e = r.estimate;
    const InferInterval* iv = r.interval ? &*r.interval : nullptr;
    t.add_row({r.accelerator, r.origin, std::to_string(r.devices),
               std::string(precision_name(r.precision)),
               fmt::format("{}/{}", e.layout.tp, e.layout.ep),
               std::to_string(e.batch),
               human_seconds(e.ttft_s), human_seconds(e.tpot_s), human_count(e.output_tokens_per_s),
               range_cell(iv ? std::optional(iv->output_tokens_per_s) : std::nullopt, count),
               human_count(e.output_tokens_per_s_per_device) +
                   (e.saturated ? " " + std::string(m.tr("saturated")) : ""),
               ratio(r.relative_speed),
               e.cost_per_million_output_tokens_usd > 0
                   ? usd(e.cost_per_million_output_tokens_usd)
                   : "—",
               range_cell(iv ? iv->cost_per_million_output_tokens_usd : std::nullopt, usd),
               ratio(r.relative_cost_performance), r.eccn_class, std::string(m.tr(r.china_status))});
  }
  out << t.render();
  print_row_notes(out, *rows, m);
  out << m.trf("speed and cost-perf are relative to the first accelerator; {symbol}/M out:",
               fmt::arg("symbol", w->cost.symbol()))
      << " " << w->cost.describe(m) << m.tr(";") << "\n"
      << m.tr("p10-p90: catalog figure ranges and the model's out-of-sample residuals (`suanli "
              "estimate infer … --json` gives the basis)")
      << "\n";
  return kExitOk;
}

}  // namespace

void register_compare(CLI::App& app, Context& ctx) {
  auto state = std::make_shared<CompareState>();
  auto* cmp = app.add_subcommand(
      "compare",
      "One workload across several accelerators: throughput, relative speed, time-to-train or "
      "tokens/s, cost and cost-performance, 3A090 class and origin");
  cmp->require_subcommand(1);
  auto* train = cmp->add_subcommand("train", "Compare training throughput and time-to-train");
  add_train_flags(train, state->train, false);
  auto* infer = cmp->add_subcommand("infer", "Compare inference throughput, latency and cost");
  add_infer_flags(infer, state->infer, false);
  for (auto* sub : {train, infer}) {
    sub->add_option("--accels", state->accels,
                    "Comma-separated accelerator IDs; the first is the baseline")
        ->required();
    sub->add_option("--devices", state->devices, "Devices per accelerator type");
    sub->add_option("--budget-usd", state->budget,
                    "Purchase budget: each type gets as many whole servers as it buys");
    sub->add_flag("--json", state->json, "Print JSON");
    sub->add_option("--csv", state->csv,
                    "Also write the comparison as CSV to this file: one line per accelerator, "
                    "the --json rows' fields as columns (units in their names, ranges as "
                    "interval.<quantity>.p10/p50/p90)");
    sub->add_flag("--wide", state->wide,
                  "Every column (layout, step, origin, 3A090 class, separate ranges); the "
                  "default fits 120 columns");
  }
  train->callback(
      [&ctx, state] { ctx.action() = [&ctx, state] { return run_train(ctx, *state); }; });
  infer->callback(
      [&ctx, state] { ctx.action() = [&ctx, state] { return run_infer(ctx, *state); }; });
}

}  // namespace suanli::app

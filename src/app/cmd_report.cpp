// `suanli report SCENARIO.toml --out report.html`: the plan, the
// accelerator comparison, the sweep frontier and a simulation of the
// planned fleet in one self-contained HTML file (charts inlined, no
// external URLs), and a plain-text summary on stdout.
#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <filesystem>
#include <fstream>
#include <memory>

#include "app/app.h"
#include "plan/sweep.h"
#include "report/html_report.h"
#include "report/report.h"

namespace suanli::app {

namespace {

struct ReportState {
  std::string scenario;
  std::string out = "report.html";
  std::vector<std::string> sets;
  std::vector<std::string> sweeps;
  int year = 1;
  bool no_simulation = false;
  bool no_robustness = false;
  double time_limit_s = 60;
  bool json = false;
  bool quiet = false;
};

int run_report(Context& ctx, const ReportState& s) {
  auto catalog = ctx.catalog();
  if (!catalog) return ctx.report(catalog.error());
  auto messages = ctx.messages();
  if (!messages) return ctx.report(messages.error());
  const Messages& m = **messages;
  ReportOptions o;
  o.messages = &m;
  auto sets = parse_set_args(s.sets);
  if (!sets) return ctx.report(sets.error());
  o.overrides = std::move(*sets);
  auto sweeps = parse_sweep_args(s.sweeps);
  if (!sweeps) return ctx.report(sweeps.error());
  o.sweeps = std::move(*sweeps);
  o.plan.time_limit_s = s.time_limit_s;
  o.simulate = !s.no_simulation;
  o.robustness = !s.no_robustness;
  o.simulate_year = s.year;
  if (!s.quiet) o.progress = [&](std::string_view line) { ctx.err() << line << "\n"; };
  auto report = build_report(s.scenario, **catalog, o);
  if (!report) return ctx.report(report.error());
  const std::string html = render_report_html(report->doc, m);
  const std::filesystem::path tmp = s.out + ".tmp";
  {
    std::ofstream f(tmp, std::ios::binary);
    f << html;
    if (!f) return ctx.report(Error{ErrorCode::kIo, fmt::format("cannot write {}", tmp.string())});
  }
  std::error_code ec;
  std::filesystem::rename(tmp, s.out, ec);
  if (ec)
    return ctx.report(
        Error{ErrorCode::kIo, fmt::format("cannot write {}: {}", s.out, ec.message())});
  if (s.json) {
    ctx.out() << encode_report_document(report->doc).dump(2) << "\n";
  } else {
    ctx.out() << report->summary;
    ctx.out() << "\n"
              << m.trf("Report written to {file} ({kb} KB, self-contained: open it in any browser)",
                       fmt::arg("file", std::filesystem::absolute(s.out).string()),
                       fmt::arg("kb", fmt::format("{:.0f}", html.size() / 1024.0)))
              << "\n";
  }
  return kExitOk;
}

}  // namespace

void register_report(CLI::App& app, Context& ctx) {
  auto state = std::make_shared<ReportState>();
  auto* cmd = app.add_subcommand(
      "report",
      "Write one self-contained HTML report for a plan scenario: accelerator comparison for its "
      "workloads (throughput per $ and per kW, ECCN class, origin), the optimal plan (mix, cost "
      "breakdown, binding constraints, price of each policy), the sweep frontier, and a simulation "
      "of the planned fleet; prints a plain-text summary");
  cmd->add_option("scenario", state->scenario, "Plan scenario TOML file")
      ->required()
      ->check(CLI::ExistingFile);
  cmd->add_option("--out", state->out, "HTML file to write (default report.html)");
  cmd->add_option("--set", state->sets,
                  "Override a scenario key (repeatable), as in `suanli plan`");
  cmd->add_option("--sweep", state->sweeps,
                  "Sweep key=v1,v2,... (repeatable; default: the scenario's [[report.sweep]])");
  cmd->add_option("--year", state->year, "Plan year whose fleet is simulated (default 1)")
      ->check(CLI::PositiveNumber);
  cmd->add_flag("--no-simulation", state->no_simulation, "Skip the simulation section");
  cmd->add_flag("--no-robustness", state->no_robustness,
                "Skip the robustness section (the plan at each end of the price and throughput "
                "ranges)");
  cmd->add_option(
         "--time-limit", state->time_limit_s,
         "Seconds for the plan's solve (default 60; sweep points: 10 s each, proven within 0.5%)")
      ->check(CLI::PositiveNumber);
  cmd->add_flag("--json", state->json, "Print the report document as JSON instead of the summary");
  cmd->add_flag("--quiet", state->quiet, "No progress messages on stderr");
  cmd->callback(
      [&ctx, state] { ctx.action() = [&ctx, state] { return run_report(ctx, *state); }; });
}

}  // namespace suanli::app

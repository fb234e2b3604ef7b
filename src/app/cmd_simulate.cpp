// `suanli simulate SCENARIO.toml`: runs the discrete-event simulator on a
// scenario, audits the event log with the independent audit, and prints the
// metrics. `suanli audit EVENTS.jsonl` audits a saved event log.
#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>

#include "app/app.h"
#include "sim/audit.h"
#include "sim/result_json.h"
#include "sim/scenario.h"
#include "sim/simulation.h"
#include "util/strings.h"
#include "util/table.h"

namespace suanli::app {

namespace {

using Json = nlohmann::ordered_json;

struct SimulateState {
  std::string scenario;
  std::optional<std::uint64_t> seed;
  std::string placement;
  std::string queue;
  std::string events;
  bool json = false;
  bool timeline = false;
  bool quiet = false;
};

void print_violations(std::ostream& out, const AuditReport& audit, std::size_t limit) {
  for (std::size_t i = 0; i < std::min(audit.violations.size(), limit); ++i) {
    const AuditViolation& v = audit.violations[i];
    out << fmt::format("violation: line {} t={:.0f}: {}: {}\n", v.line, v.t, v.check, v.message);
  }
}

void print_text(std::ostream& out, const SimulationResult& r, const AuditReport& audit) {
  out << fmt::format("scenario {} (seed {}), queue {}, placement {}\n\n", r.scenario, r.seed,
                     r.queue_policy, r.placement_policy);
  TextTable t({"metric", "value"});
  t.set_right_aligned({1});
  t.add_row({"jobs submitted / completed / failed / unfinished",
             fmt::format("{} / {} / {} / {}", r.jobs_submitted, r.jobs_completed, r.jobs_failed,
                         r.jobs_unfinished)});
  t.add_row({"JCT mean / p50 / p95 / p99",
             fmt::format("{:.2f} / {:.2f} / {:.2f} / {:.2f} h", r.jct_s.mean / 3600,
                         r.jct_s.p50 / 3600, r.jct_s.p95 / 3600, r.jct_s.p99 / 3600)});
  t.add_row({"queueing mean / p99",
             fmt::format("{:.2f} / {:.2f} h", r.queue_s.mean / 3600, r.queue_s.p99 / 3600)});
  t.add_row(
      {"domestic share min / mean (of allocated compute)",
       fmt::format("{:.1f}% / {:.1f}%", 100 * r.domestic_share_min, 100 * r.domestic_share_mean)});
  t.add_row(
      {"node failures / restarts / preemptions / evictions",
       fmt::format("{} / {} / {} / {}", r.node_failures, r.restarts, r.preemptions, r.evictions)});
  t.add_row({"lost device-hours", fmt::format("{:.1f}", r.lost_device_hours)});
  t.add_row({"makespan", fmt::format("{:.1f} h", r.makespan_s / 3600)});
  t.add_row({"cost (allocated device-hours x price)", fmt::format("${:.0f}", r.cost_usd)});
  t.add_row({"policy violations (independent audit)", std::to_string(audit.violation_count)});
  t.add_row({"events / wall time", fmt::format("{} / {:.3f} s", r.sim_events, r.wall_time_s)});
  out << t.render() << "\n";

  TextTable u({"accelerator", "origin", "utilization", "device-hours"});
  u.set_right_aligned({2, 3});
  for (const TypeUtilization& x : r.utilization)
    u.add_row({x.accelerator, x.domestic ? "domestic" : "foreign",
               fmt::format("{:.1f}%", 100 * x.utilization), fmt::format("{:.0f}", x.device_hours)});
  out << u.render();
  // Each note word-wrapped to 100 columns under an "idle:" label.
  for (const std::string& note : idle_type_notes(r)) {
    std::string line = "idle:";
    std::size_t pos = 0;
    while (pos < note.size()) {
      std::size_t end = note.find(' ', pos);
      if (end == std::string::npos) end = note.size();
      const std::string_view word(note.data() + pos, end - pos);
      if (line.size() + 1 + word.size() > 100) {
        out << line << "\n";
        line = "     ";
      }
      line += ' ';
      line += word;
      pos = end + 1;
    }
    out << line << "\n";
  }
  if (!r.failure_reasons.empty()) {
    out << "\nfailed jobs by reason:";
    for (const auto& [reason, n] : r.failure_reasons) out << fmt::format(" {} {};", reason, n);
    out << "\n";
  }
  print_violations(out, audit, 10);
}

int run_simulate(Context& ctx, const SimulateState& s) {
  auto catalog = ctx.catalog();
  if (!catalog) return ctx.report(catalog.error());
  auto scenario = load_scenario(s.scenario, **catalog);
  if (!scenario) return ctx.report(scenario.error());
  RunOptions options;
  options.seed = s.seed;
  if (!s.placement.empty()) {
    auto p = parse_placement_policy(s.placement);
    if (!p) return ctx.report(p.error());
    options.placement = *p;
  }
  if (!s.queue.empty()) {
    auto q = parse_queue_policy(s.queue);
    if (!q) return ctx.report(q.error());
    options.queue = *q;
  }
  // The log always exists: the audit reads it.
  std::stringstream log;
  options.events = &log;
  if (!s.quiet) {
    options.progress = [&ctx](SimTime t, int ended, int submitted) {
      ctx.err() << fmt::format("simulated {:.1f} h: {} of {} jobs ended\n", t / 3600, ended,
                               submitted);
    };
  }
  auto sim = Simulation::create(*scenario, **catalog, std::move(options));
  if (!sim) return ctx.report(sim.error());
  auto result = sim->run();
  if (!result) return ctx.report(result.error());
  if (!s.events.empty()) {
    std::ofstream out(s.events, std::ios::binary);
    out << log.str();
    if (!out) return ctx.report(Error{ErrorCode::kIo, fmt::format("{}: cannot write", s.events)});
  }
  log.seekg(0);
  auto audit = audit_event_log(log);
  if (!audit) return ctx.report(audit.error());
  if (s.json) {
    SimulationJsonOptions options;
    options.timeline = s.timeline;
    ctx.out() << simulation_result_json(*result, *audit, options).dump(2) << "\n";
  } else {
    print_text(ctx.out(), *result, *audit);
  }
  return kExitOk;
}

struct AuditState {
  std::string events;
  bool json = false;
};

int run_audit(Context& ctx, const AuditState& s) {
  auto audit = audit_event_log_file(s.events);
  if (!audit) return ctx.report(audit.error());
  if (s.json) {
    Json j = audit_report_json(*audit);
    j["jobs_submitted"] = audit->jobs_submitted;
    j["jobs_completed"] = audit->jobs_completed;
    j["jobs_failed"] = audit->jobs_failed;
    j["jobs_unfinished"] = audit->jobs_unfinished;
    j["placements"] = audit->placements;
    ctx.out() << j.dump(2) << "\n";
  } else {
    ctx.out() << fmt::format(
        "{} lines, {} jobs ({} completed, {} failed, {} unfinished), {} placements: {} "
        "violation(s)\n",
        audit->lines, audit->jobs_submitted, audit->jobs_completed, audit->jobs_failed,
        audit->jobs_unfinished, audit->placements, audit->violation_count);
    for (const auto& [check, n] : audit->by_check) ctx.out() << fmt::format("  {}: {}\n", check, n);
    print_violations(ctx.out(), *audit, 20);
  }
  return audit->ok() ? kExitOk : kExitFailure;
}

}  // namespace

void register_simulate(CLI::App& app, Context& ctx) {
  auto state = std::make_shared<SimulateState>();
  auto* cmd = app.add_subcommand(
      "simulate",
      "Simulate a scenario (fleet, tenants, rules, workloads, shocks; docs/scenario-format.md) "
      "with the scheduling core, audit the event log independently, print the metrics");
  cmd->add_option("scenario", state->scenario, "Scenario TOML file")
      ->required()
      ->check(CLI::ExistingFile);
  cmd->add_option("--seed", state->seed, "Seed (overrides the scenario's)");
  cmd->add_option("--placement", state->placement,
                  "Override the placement policy. " + placement_policy_help());
  cmd->add_option("--queue", state->queue,
                  "Override the queue policy: fifo | priority | sjf | fair-share");
  cmd->add_option("--events", state->events,
                  "Write the event log (JSONL, docs/event-log.md) to this file");
  cmd->add_flag("--json", state->json, "Print JSON");
  cmd->add_flag("--timeline", state->timeline,
                "With --json: include the sampled time series (allocation, share, queue)");
  cmd->add_flag("--quiet", state->quiet, "No progress messages on stderr");
  cmd->callback(
      [&ctx, state] { ctx.action() = [&ctx, state] { return run_simulate(ctx, *state); }; });

  auto audit_state = std::make_shared<AuditState>();
  auto* audit = app.add_subcommand(
      "audit",
      "Recompute every policy rule from a simulation event log (independent of the scheduler); "
      "exit 1 when there are violations");
  audit->add_option("events", audit_state->events, "Event log (JSONL) from simulate --events")
      ->required()
      ->check(CLI::ExistingFile);
  audit->add_flag("--json", audit_state->json, "Print JSON");
  audit->callback([&ctx, audit_state] {
    ctx.action() = [&ctx, audit_state] { return run_audit(ctx, *audit_state); };
  });
}

}  // namespace suanli::app

// `suanli sweep SCENARIO.toml --sweep key=v1,v2,…`: a grid of overrides over
// a simulator scenario (each point simulated and audited) or a plan
// scenario (each point solved), run on this machine's cores or as one
// Slurm job array (--slurm), gathered into one table, JSON, CSV and HTML
// report. `suanli sweep point DIR --index I` is the internal command each
// array task runs. The work is in sweep/grid_sweep.h and slurm/sweep_array.h.
#include <fmt/format.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>

#include "app/app.h"
#include "sweep/grid_sweep.h"
#include "plan/sweep.h"
#include "report/html_report.h"
#include "slurm/sweep_array.h"
#include "util/strings.h"

namespace suanli::app {

namespace {

namespace fs = std::filesystem;
using Json = nlohmann::ordered_json;

struct SweepState {
  std::string scenario;
  std::vector<std::string> sweeps;
  std::vector<std::string> sets;
  int jobs = 0;
  bool slurm = false;
  std::string partition;
  std::string workdir;
  double poll_interval_s = 2;
  double slurm_timeout_s = 0;
  std::string slurm_conf;
  std::string task_binary;
  std::optional<double> time_limit_s;
  std::optional<double> gap;
  bool json = false;
  std::string csv;
  std::string report;
  bool quiet = false;
};

struct PointState {
  std::string dir;
  std::size_t index = 0;
};

Result<void> write_output(const std::string& path, const std::string& text) {
  std::ofstream f(path, std::ios::binary);
  f << text;
  f.close();
  if (!f) return fail(ErrorCode::kIo, fmt::format("cannot write {}", path));
  return {};
}

std::string point_summary(const Json& p) {
  const std::string status = p.value("status", std::string("?"));
  if (status == "error") return "error: " + p.value("error", std::string());
  return status;
}

std::string values_text(const Json& p) {
  std::vector<std::string> parts;
  for (auto it = p["values"].begin(); it != p["values"].end(); ++it)
    parts.push_back(it.key() + "=" + (it->is_string() ? it->get<std::string>() : it->dump()));
  return join(parts, " ");
}

int run_sweep_command(Context& ctx, const SweepState& s) {
  if (s.scenario.empty())
    return ctx.report(Error{ErrorCode::kInvalidArgument,
                            "give a scenario file: suanli sweep SCENARIO.toml --sweep key=v1,v2"});
  if (!fs::is_regular_file(s.scenario))
    return ctx.report(
        Error{ErrorCode::kNotFound, fmt::format("{}: no such scenario file", s.scenario)});
  if (s.sweeps.empty())
    return ctx.report(Error{ErrorCode::kInvalidArgument,
                            "give at least one --sweep key=v1,v2,… (e.g. --sweep "
                            "scheduler.placement=first-fit,hetero)"});
  if (!s.slurm && (!s.partition.empty() || !s.workdir.empty() || !s.slurm_conf.empty()))
    return ctx.report(Error{ErrorCode::kInvalidArgument,
                            "--partition, --workdir and --slurm-conf go with --slurm"});
  auto sets = parse_set_args(s.sets);
  if (!sets) return ctx.report(sets.error());
  auto sweeps = parse_sweep_args(s.sweeps);
  if (!sweeps) return ctx.report(sweeps.error());
  auto catalog = ctx.catalog();
  if (!catalog) return ctx.report(catalog.error());
  auto sweep = make_grid_sweep(s.scenario, Catalog::default_directories(ctx.catalog_dirs()),
                               std::move(*sets), std::move(*sweeps));
  if (!sweep) return ctx.report(sweep.error());
  if (s.gap) sweep->plan_relative_gap = *s.gap;
  if (s.time_limit_s) sweep->plan_time_limit_s = *s.time_limit_s;
  const std::size_t total = grid_size(*sweep);
  if (!s.quiet)
    ctx.err() << fmt::format("sweeping {} scenario {}: {} point(s)\n",
                             scenario_kind_name(sweep->kind), s.scenario, total);

  Result<GridSweepResult> result;
  if (s.slurm) {
    slurm::SweepArrayOptions o;
    o.partition = s.partition;
    std::error_code ec;
    o.workdir = s.workdir.empty()
                    ? fs::absolute(fmt::format("suanli-sweep-{}-{}",
                                               fs::path(s.scenario).stem().string(), ::getpid()),
                                   ec)
                    : fs::absolute(s.workdir, ec);
    if (!s.task_binary.empty()) {
      o.suanli_binary = fs::absolute(s.task_binary, ec);
    } else {
      o.suanli_binary = fs::read_symlink("/proc/self/exe", ec);
      if (ec)
        return ctx.report(Error{ErrorCode::kIo, fmt::format("cannot find this program's path "
                                                            "(/proc/self/exe): {}",
                                                            ec.message())});
    }
    if (!s.slurm_conf.empty()) o.client.env.emplace_back("SLURM_CONF", s.slurm_conf);
    o.poll_interval_s = s.poll_interval_s;
    o.timeout_s = s.slurm_timeout_s;
    if (!s.quiet) {
      o.log = [&ctx](std::string_view m) { ctx.err() << m << "\n"; };
      o.progress = [&ctx](std::size_t done, std::size_t n) {
        ctx.err() << fmt::format("{}/{} done\n", done, n);
      };
    }
    result = slurm::run_grid_sweep_slurm(*sweep, **catalog, o);
  } else {
    LocalSweepOptions o;
    o.jobs = s.jobs;
    if (!s.quiet)
      o.progress = [&ctx](std::size_t done, std::size_t n, const Json& p) {
        ctx.err() << fmt::format("sweep {}/{}: {} {}\n", done, n, values_text(p), point_summary(p));
      };
    result = run_grid_sweep_local(*sweep, **catalog, o);
  }
  if (!result) return ctx.report(result.error());

  if (!s.csv.empty()) {
    if (auto w = write_output(s.csv, grid_sweep_csv(*result)); !w) return ctx.report(w.error());
    if (!s.quiet) ctx.err() << "table written to " << s.csv << "\n";
  }
  if (!s.report.empty()) {
    auto html = render_report_json(grid_sweep_report_doc(*result));
    if (!html) return ctx.report(html.error());
    if (auto w = write_output(s.report, *html); !w) return ctx.report(w.error());
    if (!s.quiet) ctx.err() << "report written to " << s.report << "\n";
  }
  if (s.json) {
    ctx.out() << grid_sweep_json(*result).dump(2) << "\n";
  } else {
    const std::string text = grid_sweep_text(*result);
    ctx.out() << text << (text.ends_with('\n') ? "" : "\n");
  }
  return kExitOk;
}

int run_point_command(Context& ctx, const PointState& s) {
  auto r = run_grid_point_in_dir(s.dir, s.index);
  if (!r) return ctx.report(r.error());
  return kExitOk;
}

}  // namespace

void register_sweep(CLI::App& app, Context& ctx) {
  auto state = std::make_shared<SweepState>();
  auto* cmd = app.add_subcommand(
      "sweep",
      "Run a simulator or plan scenario over a grid of key overrides (docs/sweep.md), on all "
      "cores or as one Slurm job array (--slurm), and gather one table / JSON / CSV / HTML "
      "report");
  cmd->add_option("scenario", state->scenario,
                  "Scenario TOML file (a simulator scenario or a plan scenario; detected)");
  cmd->add_option("--sweep", state->sweeps,
                  "A key and its values, e.g. --sweep rules.domestic-50.min_share=0.3,0.5,0.7; "
                  "repeat for a grid (the last key varies fastest)");
  cmd->add_option("--set", state->sets,
                  "Override a key at every point, e.g. --set simulation.until_hours=240 "
                  "(repeatable)");
  cmd->add_option("--jobs,-j", state->jobs,
                  "Points run at once on this machine (default: the number of cores)")
      ->check(CLI::PositiveNumber);
  cmd->add_flag("--slurm", state->slurm,
                "Run the points as one Slurm job array (SLURM_CONF and PATH as for sbatch)");
  cmd->add_option("--partition", state->partition, "With --slurm: the partition");
  cmd->add_option("--workdir", state->workdir,
                  "With --slurm: a new directory on a filesystem the Slurm nodes share (default "
                  "./suanli-sweep-<scenario>-<pid>)");
  cmd->add_option("--slurm-conf", state->slurm_conf,
                  "With --slurm: the cluster's slurm.conf (default: $SLURM_CONF, else Slurm's)");
  cmd->add_option("--poll-interval", state->poll_interval_s,
                  "With --slurm: seconds between looks at the array (default 2)")
      ->check(CLI::PositiveNumber);
  cmd->add_option("--slurm-timeout", state->slurm_timeout_s,
                  "With --slurm: give up (and cancel the array) after this many seconds "
                  "(default: wait)")
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--task-binary", state->task_binary,
                  "With --slurm: the suanli executable the tasks run (default: this one)")
      ->group("");
  cmd->add_option("--time-limit", state->time_limit_s,
                  "Plan scenarios: seconds per solve (default 10)")
      ->check(CLI::PositiveNumber);
  cmd->add_option("--gap", state->gap,
                  "Plan scenarios: relative optimality gap per solve (default 5e-3)")
      ->check(CLI::Range(0.0, 1.0));
  cmd->add_flag("--json", state->json, "Print JSON");
  cmd->add_option("--csv", state->csv, "Also write the table as CSV");
  cmd->add_option("--report", state->report,
                  "Also write a self-contained HTML report (table and chart)");
  cmd->add_flag("--quiet", state->quiet, "No progress messages on stderr");

  auto point_state = std::make_shared<PointState>();
  auto* point = cmd->add_subcommand(
      "point",
      "Internal (run by each Slurm array task): compute one point of the sweep in DIR and "
      "write DIR/point-<index>.json");
  point->group("");  // not listed in --help
  point->add_option("dir", point_state->dir, "The sweep's work directory (manifest.json)")
      ->required();
  point->add_option("--index", point_state->index, "The point (SLURM_ARRAY_TASK_ID)")->required();

  cmd->callback([&ctx, state, point, point_state] {
    if (point->parsed()) {
      ctx.action() = [&ctx, point_state] { return run_point_command(ctx, *point_state); };
    } else {
      ctx.action() = [&ctx, state] { return run_sweep_command(ctx, *state); };
    }
  });
}

}  // namespace suanli::app

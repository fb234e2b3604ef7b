// `suanli sweep`: a grid of key overrides over any scenario file — a
// simulator scenario (each point simulated and audited, docs/scenario-format.md)
// or a plan scenario (each point solved, docs/plan-format.md) — run
// locally on threads or, point by point, as a Slurm job array
// (slurm/sweep_array.h). Everything a point needs is a GridSweep (the
// scenario text, the catalog directories, the overrides), which is also the
// manifest written for Slurm; a point's result exists only as JSON text
// (grid_point_text), parsed back by both paths, so a local sweep and a
// Slurm sweep give identical output. docs/sweep.md.
#pragma once

#include <cstddef>
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "catalog/catalog.h"
#include "util/error.h"
#include "util/files.h"
#include "util/toml_override.h"

namespace suanli {

enum class ScenarioKind { kSimulation, kPlan };
std::string_view scenario_kind_name(ScenarioKind kind);  // "simulation" | "plan"

// Which loader a scenario file is for, from its top-level keys (the two
// formats share none): [[fleet]], [[generators]], [scheduler], … make a
// simulator scenario; [plan], [[candidate]], [[training]], … a plan
// scenario. Neither, or both: an error naming the file.
Result<ScenarioKind> detect_scenario_kind(std::string_view text, const std::filesystem::path& file);

struct GridSweep {
  ScenarioKind kind = ScenarioKind::kSimulation;
  std::filesystem::path scenario_path;  // absolute; names the file and resolves its paths
  std::string scenario_text;
  // The catalog the points load (absolute, in order), for a process that
  // has to load it itself (a Slurm task).
  std::vector<std::filesystem::path> catalog_dirs;
  std::vector<TomlOverride> base;  // --set: applied to every point first
  std::vector<TomlSweep> sweeps;   // the grid's keys and values
  // Plan points: proven within this gap, stopped after this time (then
  // "feasible" with the gap reached). default_sweep_options()'s values.
  double plan_relative_gap = 5e-3;
  double plan_time_limit_s = 10;
};

// Reads the scenario file and detects its kind; checks that every key has
// values.
Result<GridSweep> make_grid_sweep(const std::filesystem::path& scenario,
                                  std::vector<std::filesystem::path> catalog_dirs,
                                  std::vector<TomlOverride> base, std::vector<TomlSweep> sweeps);

// A grid sweep has at most this many points; make_grid_sweep and
// check_grid_sweep refuse more (kInvalidArgument).
inline constexpr std::size_t kMaxGridSweepPoints = 100'000;
// Number of points: the product of the value counts (1 without sweeps;
// saturates past kMaxGridSweepPoints).
std::size_t grid_size(const GridSweep& sweep);
// Point i's values, one per key, row-major: the last key varies fastest.
std::vector<std::string> grid_values(const GridSweep& sweep, std::size_t index);
// Point i's overrides: base, then one per key.
std::vector<TomlOverride> grid_overrides(const GridSweep& sweep, std::size_t index);

// Before anything runs: every override must apply to the file (an unknown
// table, element or value path is an error naming the key), and point 0
// must load (a misspelt leaf key is caught by the loader's key check).
// Later points that do not load are recorded as errors in their rows.
Result<void> check_grid_sweep(const GridSweep& sweep, const Catalog& catalog);

// Computes point i: {"index", "values": {key: value}, "status", ...}.
// Simulation: status "ok" with the metrics of simulation_point_metrics, or
// "error" with "error". Plan: status optimal | feasible | infeasible (with
// objective_usd, domestic_share, cost, devices_by_accelerator, gap as in
// `suanli plan --sweep --json`, without the solve time) or "error".
// Thread-safe; plan solves are serialised by the solver.
nlohmann::ordered_json grid_point_json(const GridSweep& sweep, std::size_t index,
                                       const Catalog& catalog);
// The text a point is kept as (JSON, doubles written losslessly), and back;
// the parser checks the index.
std::string grid_point_text(const nlohmann::ordered_json& point);
Result<nlohmann::ordered_json> parse_grid_point(std::string_view text, std::size_t index,
                                                const std::string& where);

// The manifest of a sweep (what a Slurm task reads), and back.
nlohmann::ordered_json grid_manifest_json(const GridSweep& sweep);
Result<GridSweep> grid_sweep_from_manifest(const nlohmann::ordered_json& manifest,
                                           const std::string& where);

struct GridSweepResult {
  ScenarioKind kind = ScenarioKind::kSimulation;
  std::filesystem::path scenario_path;
  std::vector<TomlOverride> base;
  std::vector<std::string> keys;
  std::vector<nlohmann::ordered_json> points;  // by index
};

// The result from every point's text (index order), each checked.
Result<GridSweepResult> grid_result_from_texts(const GridSweep& sweep,
                                               const std::vector<std::string>& point_texts);

struct LocalSweepOptions {
  int jobs = 0;  // threads; 0: std::thread::hardware_concurrency()
  // After each point (from the worker that ran it, one call at a time):
  // points done so far, total, the point.
  std::function<void(std::size_t done, std::size_t total, const nlohmann::ordered_json& point)>
      progress;
};

// Every point on threads of this process (check_grid_sweep first). The
// output does not depend on `jobs`.
Result<GridSweepResult> run_grid_sweep_local(const GridSweep& sweep, const Catalog& catalog,
                                             const LocalSweepOptions& options = {});

// Slurm task side (`suanli sweep point DIR --index I`): reads DIR/manifest.json,
// loads the catalog it names, computes point I and writes
// DIR/point-I.json atomically (util/files.h). A point
// whose scenario does not load is still written (status "error"); an
// unreadable manifest or catalog is an error.
inline constexpr std::string_view kGridManifestFile = "manifest.json";
std::filesystem::path grid_point_file(const std::filesystem::path& dir, std::size_t index);
Result<void> run_grid_point_in_dir(const std::filesystem::path& dir, std::size_t index);

// Output: {"kind", "scenario", "keys", "base": {key: value}, "points": [...]}.
nlohmann::ordered_json grid_sweep_json(const GridSweepResult& result);
// A table: for plans the one of `suanli plan --sweep`; for simulations
// simulation_sweep_text.
std::string grid_sweep_text(const GridSweepResult& result);
std::string grid_sweep_csv(const GridSweepResult& result);
// The document render_report_html draws: a plan sweep as its "sweep"
// section, a simulation sweep as its "simulation_sweep" section.
nlohmann::json grid_sweep_report_doc(const GridSweepResult& result);

}  // namespace suanli

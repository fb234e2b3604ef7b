// `suanli sweep --slurm`: a grid sweep (sweep/grid_sweep.h) run as one Slurm
// job array, one task per point. The submitting process writes a work
// directory (manifest.json: the scenario text and path, the catalog
// directories, the overrides of every point, the kind), submits the array,
// whose tasks run `<suanli> sweep point DIR --index $SLURM_ARRAY_TASK_ID`
// (each writes DIR/point-<i>.json atomically, its log to DIR/task-<i>.log),
// polls Slurm until every task has ended, and reads the point files back
// through the same code as a local sweep: same numbers, same output.
// The directory must be on a filesystem the Slurm nodes share.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>

#include "catalog/catalog.h"
#include "sweep/grid_sweep.h"
#include "slurm/slurm_client.h"
#include "util/error.h"

namespace suanli::slurm {

struct SweepArrayOptions {
  ClientOptions client;
  // Created by the run; it must not exist yet, or be empty.
  std::filesystem::path workdir;
  // The suanli executable the tasks run (absolute; the same build as the
  // caller's, or points may differ).
  std::filesystem::path suanli_binary;
  std::string partition;  // empty: Slurm's default
  std::string job_name = "suanli-sweep";
  double time_limit_minutes = 0;  // per task; 0: the partition's default
  double poll_interval_s = 2;
  // Give up after this long (0: never): the array is cancelled and the
  // run fails.
  double timeout_s = 0;
  // Messages ("submitted array job 42 (8 tasks), work dir …").
  std::function<void(std::string_view message)> log;
  // Tasks ended so far (called when the number changes).
  std::function<void(std::size_t done, std::size_t total)> progress;
  // Asked at every poll; true: the array is cancelled, ErrorCode::kCancelled.
  std::function<bool()> cancelled;
};

// The batch script of every task.
std::string sweep_array_script(const std::filesystem::path& suanli_binary,
                               const std::filesystem::path& workdir);

// Pings Slurm (an unreachable Slurm fails before anything is written),
// checks the sweep (check_grid_sweep), writes the work directory, submits,
// waits and gathers. A task that failed or wrote no point file fails the
// run with its index, Slurm state and the tail of its log.
Result<GridSweepResult> run_grid_sweep_slurm(const GridSweep& sweep, const Catalog& catalog,
                                             const SweepArrayOptions& options);

}  // namespace suanli::slurm

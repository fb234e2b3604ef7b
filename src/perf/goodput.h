// Goodput of a long training run: the share of wall time that advances
// training once interruptions, restarts and checkpoints are counted.
// First-order model (Young 1974, Daly 2006): a job on N devices is
// interrupted every M = 1/(lambda N) hours; it checkpoints every tau
// (Young's optimum sqrt(2 delta M) unless given), each checkpoint blocks
// training for delta = state bytes / (storage write rate x N); each
// interruption loses tau/2 of work on average plus a restart R. Then
//   wall = steady x (1 + delta/tau) / (1 - (tau/2 + R)/M)
// and the goodput fraction is steady / wall. Inputs come from the catalog's
// data/economics.toml (each with its source), validated against the
// interruption counts of published large runs (tests).
#pragma once

#include <optional>

#include "catalog/economics.h"
#include "util/error.h"

namespace suanli {

struct GoodputInputs {
  double failures_per_device_hour = 2e-5;
  double restart_s = 1800;
  double checkpoint_write_bytes_per_s_per_device = 0.12e9;
  double checkpoint_bytes_per_param = 14;
  std::optional<double> checkpoint_interval_s;  // unset: Young's optimum

  static GoodputInputs from(const Economics& e);
};

struct Goodput {
  double fraction = 1;                 // steady / wall
  double job_mtbf_h = 0;               // hours between interruptions of the whole job
  double checkpoint_interval_s = 0;    // tau
  double checkpoint_write_s = 0;       // delta, training blocked per checkpoint
  double interruptions = 0;            // expected over the run
  double lost_to_checkpoints = 0;      // shares of wall time
  double lost_to_rework = 0;           // work redone since the last checkpoint
  double lost_to_restarts = 0;
  double wall_s = 0;                   // steady_s / fraction
};

// Fails (kInfeasible) when interruptions come faster than the job can
// checkpoint and restart (less than a tenth of wall time would be progress).
Result<Goodput> goodput(const GoodputInputs& in, long long devices, double params,
                        double steady_s);

}  // namespace suanli

#include "perf/goodput.h"

#include <fmt/format.h>
#include <algorithm>
#include <cmath>

namespace suanli {

GoodputInputs GoodputInputs::from(const Economics& e) {
  GoodputInputs in;
  in.failures_per_device_hour = e.failures_per_million_device_hours.value / 1e6;
  in.restart_s = e.restart_minutes.value * 60;
  in.checkpoint_write_bytes_per_s_per_device = e.checkpoint_write_gbps_per_device.value * 1e9;
  in.checkpoint_bytes_per_param = e.checkpoint_bytes_per_param.value;
  return in;
}

Result<Goodput> goodput(const GoodputInputs& in, long long devices, double params,
                        double steady_s) {
  Goodput g;
  if (devices < 1 || !(steady_s > 0) || !(params > 0)) return g;
  const double n = static_cast<double>(devices);
  const double mtbf_s = 3600.0 / (in.failures_per_device_hour * n);
  const double delta = params * in.checkpoint_bytes_per_param /
                       (in.checkpoint_write_bytes_per_s_per_device * n);
  double tau = in.checkpoint_interval_s ? *in.checkpoint_interval_s : std::sqrt(2 * delta * mtbf_s);
  tau = std::max(tau, delta);
  const double progress = 1 - (tau / 2 + in.restart_s) / mtbf_s;
  if (progress < 0.1) {
    return fail(ErrorCode::kInfeasible,
                fmt::format("interruptions every {:.1f} h on {} devices leave under 10% of wall "
                            "time for progress (restart {:.0f} min, checkpoint every {:.0f} min)",
                            mtbf_s / 3600, devices, in.restart_s / 60, tau / 60));
  }
  const double overhead = 1 + delta / tau;
  g.fraction = progress / overhead;
  g.wall_s = steady_s / g.fraction;
  g.job_mtbf_h = mtbf_s / 3600;
  g.checkpoint_interval_s = tau;
  g.checkpoint_write_s = delta;
  g.interruptions = g.wall_s / mtbf_s;
  // Shares of wall time: checkpoint blocking, rework, restarts; progress is the rest.
  const double work_s = steady_s * overhead;  // steady compute plus its checkpoints
  g.lost_to_checkpoints = (work_s - steady_s) / g.wall_s;
  g.lost_to_rework = g.interruptions * tau / 2 / g.wall_s;
  g.lost_to_restarts = g.interruptions * in.restart_s / g.wall_s;
  return g;
}

}  // namespace suanli

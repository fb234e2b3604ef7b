// Trace replay in the FGD paper's method (Weng et al., ATC'23, sec. 6):
// pods are sorted by name and shuffled with a seed, then resampled (drawn
// with replacement from the original list and appended) until the arrived
// GPU demand reaches `inflate` x the cluster's GPUs (or randomly dropped
// when the trace already asks for more); pods are placed one by one with no
// departures, and the GPU allocation ratio is recorded after every arrival.
#pragma once

#include <cstdint>
#include <vector>

#include "sched/openb_trace.h"
#include "sched/policy.h"
#include "util/error.h"

namespace suanli {

struct ReplayOptions {
  PolicyKind policy = PolicyKind::kFgd;
  double inflate = 1.3;     // target arrived GPU demand / cluster GPU capacity
  std::uint64_t seed = 42;  // shuffle, resampling and tie-breaking
  TypicalPodsOptions typical;
  bool record_curve = true;
};

struct CurvePoint {
  int pods_arrived = 0;
  double arrived_gpu_demand_pct = 0;
  double gpu_allocation_ratio_pct = 0;
};

struct ReplayResult {
  int nodes = 0;
  int gpu_nodes = 0;
  int gpus = 0;
  int trace_pods = 0;
  int pods_arrived = 0;
  int pods_placed = 0;
  int pods_unplaced = 0;
  std::int64_t arrived_gpu_milli = 0;
  std::int64_t allocated_gpu_milli = 0;
  double arrived_gpu_demand_pct = 0;    // at the end
  double gpu_allocation_ratio_pct = 0;  // at the end
  // The authors' analysis: mean allocation ratio over the arrivals whose
  // demand rounds to round(100 x inflate) percent (their published figure).
  double gpu_allocation_ratio_at_target_pct = 0;
  int typical_pod_classes = 0;
  std::vector<CurvePoint> curve;  // one point per arrival
};

Result<ReplayResult> replay_openb(const std::vector<OpenbNode>& nodes,
                                  const std::vector<OpenbPod>& pods, const ReplayOptions& options);

}  // namespace suanli

// Side-by-side comparison of accelerators for one workload: each chip gets
// its own parallelism search, then throughput, cost and cost-performance
// relative to the first chip listed (the baseline), each with its p10-p90
// interval (perf/interval.h).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "catalog/catalog.h"
#include "compliance/compliance.h"
#include "perf/cost.h"
#include "perf/infer.h"
#include "perf/interval.h"
#include "perf/train.h"

namespace suanli {

// How many devices each chip gets: a fixed count, or as many whole servers
// as a purchase budget buys at the catalog price.
struct CompareSizing {
  std::optional<int> devices;
  std::optional<double> budget_usd;
};

struct CompareRowBase {
  std::string accelerator;
  std::string origin;
  std::string eccn_class;  // "3A090.a", … from compliance
  std::string china_status;
  int devices = 0;
  bool ok = false;
  std::string error;                     // why there is no estimate
  double hourly_usd = 0;                 // per device, on cost_basis (0: unknown)
  std::string cost_basis;                // "ownership" | "rental" (perf/cost.h)
  DeviceHourCost hourly_cost;            // hourly_usd by part
  double relative_speed = 0;             // throughput / baseline throughput
  double relative_cost_performance = 0;  // (throughput per $/h) / baseline's
  std::vector<std::string> unverified;
};

struct TrainCompareRow : CompareRowBase {
  TrainEstimate estimate;
  TrainTotals totals;
  std::optional<TrainInterval> interval;  // p10-p90 ranges (perf/interval.h)
};

struct InferCompareRow : CompareRowBase {
  InferEstimate estimate;
  Precision precision = Precision::kBf16;  // resolved for this chip
  std::optional<InferInterval> interval;
};

Result<int> devices_for(const Accelerator& a, const CompareSizing& sizing);

Result<std::vector<TrainCompareRow>> compare_train(const Catalog& catalog, const TrainWorkload& w,
                                                   const std::vector<std::string>& accels,
                                                   const CompareSizing& sizing);
Result<std::vector<InferCompareRow>> compare_infer(const Catalog& catalog, const InferWorkload& w,
                                                   const std::vector<std::string>& accels,
                                                   const CompareSizing& sizing);

}  // namespace suanli

// p10 / p50 / p90 ranges on an estimate, from the two doubts the model
// knows about:
//  (a) the catalog's figure ranges (Figure::low / high, read as p10 / p90):
//      the dense rate at the compute precision, memory_bw_gbps,
//      scaleup_bidir_gbps and scaleout_gbps, each set to its low and its
//      high end while the estimate is re-evaluated at the SAME parallelism
//      (training) or layout and batch (inference); the rental price for
//      cost. Each figure's log-ratio is combined in quadrature per side.
//  (b) the model's out-of-sample residuals (Catalog::residual_for): with
//      rel_error = predicted / measured - 1, a measured throughput lies in
//      [pred / (1 + p90), pred / (1 + p10)] and a measured time in
//      [pred (1 + p10), pred (1 + p90)]; p50 moves the centre. Its spread
//      is combined with (a) in quadrature in log space, per side.
// A figure without a range and a catalog without residual rows contribute
// nothing; the basis says what was used. Pure functions of their inputs.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "catalog/catalog.h"
#include "perf/infer.h"
#include "perf/train.h"
#include "util/error.h"

namespace suanli {

struct QuantityRange {
  double point = 0;  // the estimate itself
  double p10 = 0;
  double p50 = 0;  // the point moved by the residuals' median bias
  double p90 = 0;
  bool contains(double measured) const { return measured >= p10 && measured <= p90; }
};

// One source of doubt and the multiplicative range it alone puts on the
// headline time quantity (training step time; inference TPOT).
struct IntervalContributor {
  std::string source;  // "model residual", "dense bf16 TFLOPS", "memory_bw_gbps", …
  std::string label;   // "model residual (nvidia-hopper, 57 held-out rows)",
                       // "memory_bw_gbps placeholder 1,200-1,800"
  double low = 1;      // time x low .. time x high
  double high = 1;
};

struct IntervalBasis {
  std::optional<ResidualSpread> residual;         // absent: the catalog has no residual rows
  std::string residual_level;                     // "profile+stack", "profile" or "pooled"
  std::vector<IntervalContributor> contributors;  // largest first
  std::string dominant;                           // label of the largest ("" when none)
  std::string summary;  // "model residual (…); memory_bw_gbps placeholder 1,200-1,800"
};

struct TrainInterval {
  QuantityRange step_time_s;
  QuantityRange tokens_per_s;
  QuantityRange mfu;  // against the catalog's peak (it moves with step time only)
  std::optional<QuantityRange> time_to_train_days;  // when the workload gives tokens
  std::optional<QuantityRange> cost_usd;            // when the chip has a rental price
  IntervalBasis basis;
};

struct InferInterval {
  QuantityRange output_tokens_per_s;
  QuantityRange ttft_s;
  QuantityRange tpot_s;
  std::optional<QuantityRange> cost_per_million_output_tokens_usd;
  IntervalBasis basis;
};

// `e` is an estimate of `model` (same workload, device and devices);
// catalog supplies the residual rows. Fails only when the estimate has no
// device (a model built without make_device_model).
Result<TrainInterval> train_interval(const Catalog& catalog, const TrainModel& model,
                                     const TrainEstimate& e);

// `e` is search_infer's (or InferModel's) estimate for `w` on `accel`.
Result<InferInterval> infer_interval(const Catalog& catalog, const InferWorkload& w,
                                     const Accelerator& accel, const EfficiencyProfile& profile,
                                     int devices, const InferEstimate& e);

// "1,200-1,800", "0.55-0.7": a figure's range as the basis prints it.
std::string range_text(double low, double high);

}  // namespace suanli

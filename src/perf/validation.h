// Published measurements (data/validation/*.toml) and the comparison of the
// estimator against them. Nothing here is tuned per row: every prediction
// comes from the same model and the catalog's efficiency profiles.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "catalog/catalog.h"
#include "perf/infer.h"
#include "perf/train.h"

namespace suanli {

struct Measurement {
  std::string id;
  std::string kind;  // "train" | "infer"
  std::string source;
  std::string locator;
  std::string confidence;
  std::string note;
  std::string defined_at;
  // false: predicted and printed, but not in the error statistics, because
  // the configuration is incomplete (`reason` says what is missing).
  bool counted = true;
  std::string reason;
  ModelArch model;
  std::string accelerator;
  int devices = 0;
  std::string metric;
  double value = 0;
  // Training
  int seq = 0;
  long long global_batch = 0;
  ParallelismRequest parallelism;
  Precision precision = Precision::kBf16;
  bool uneven_pipeline = false;
  bool mfu_peak_fp8 = false;
  SoftwareStack stack;
  // Inference
  int input_len = 0;
  int output_len = 0;
  std::optional<int> batch;
  std::optional<double> tpot_slo_ms;
  std::optional<double> ttft_slo_ms;
  std::optional<int> tp, ep;
  Precision kv_precision = Precision::kBf16;
  bool disaggregated = false;
};

// Loads every *.toml in `dir` (sorted), resolving models and accelerators
// against the catalog. Errors name file, line and key.
Result<std::vector<Measurement>> load_measurements(const std::filesystem::path& dir,
                                                   const Catalog& catalog);

struct ValidationRow {
  const Measurement* m = nullptr;
  bool ok = false;
  std::string error;  // why no prediction was made
  double predicted = 0;
  double rel_error = 0;  // predicted / measured - 1
  std::string config;    // the parallelism used, "searched" fields marked
};

struct ValidationSummary {
  std::vector<ValidationRow> rows;
  int train_rows = 0;
  double train_median_abs_error = 0;
  double train_max_abs_error = 0;
  int infer_rows = 0;
  double infer_median_abs_error = 0;
  double infer_max_abs_error = 0;
};

ValidationSummary run_validation(const Catalog& catalog, const std::vector<Measurement>& rows);

// The metric of a measurement computed from a training estimate.
Result<double> training_metric(const Measurement& m, const TrainEstimate& e,
                               const TrainModel& model);

}  // namespace suanli

// Published measurements (data/validation/*.toml) and the comparison of the
// estimator against them. Nothing here is tuned per row: every prediction
// comes from the same model and the catalog's efficiency profiles.
#pragma once

#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "catalog/catalog.h"
#include "perf/infer.h"
#include "perf/train.h"
#include "perf/workload_request.h"

namespace suanli {

struct Measurement : TrainSwitches {  // training rows' per-run switches
  std::string id;
  std::string kind;        // "train" | "infer"
  std::string source;      // the citation
  std::string source_key;  // its key in the file's [sources] (the cross-validation fold)
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
  // Inference: the run as `estimate infer` reads it (the row's keys are its
  // fields; precision is the row's, never "auto"), built into the workload
  // by make_infer_run.
  InferRequest serving;
  std::string engine;  // serving engine and version as published (recorded, not modelled)
  std::string engine_version;
  std::optional<int> decode_devices;  // disaggregated: the devices decoding (else `devices`)
  std::string spec_decode;            // none | mtp | eagle | eagle3 | ngram | draft-model
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
  // Set when the memory model says the published run does not fit: the
  // time is predicted anyway (the run happened) and this says why.
  std::string memory_note;
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

// Profile id -> gemm_peak_fraction to use instead of the catalog's value
// (the one constant fitted to measurements; perf/fit.h).
struct FitOverrides {
  std::map<std::string, double> gemm_peak_fraction;
  std::map<std::string, double> decode_memory_bw_fraction;  // the serving model's
};

// A training row's model and the estimate it was predicted from.
struct TrainPrediction {
  std::unique_ptr<EfficiencyProfile> profile;  // the model's device points here
  std::optional<TrainModel> model;
  TrainEstimate estimate;
};

// One row predicted with `overrides` applied to the catalog's profiles;
// `train` (optional) receives the model and estimate of a training row.
ValidationRow predict_measurement(const Catalog& catalog, const Measurement& m,
                                  const FitOverrides& overrides, TrainPrediction* train = nullptr);

// Median and maximum of |x| (0 for an empty vector).
double median_abs(std::vector<double> v);
double max_abs(const std::vector<double>& v);

ValidationSummary run_validation(const Catalog& catalog, const std::vector<Measurement>& rows);

// The metric of a measurement computed from a training estimate.
Result<double> training_metric(const Measurement& m, const TrainEstimate& e,
                               const TrainModel& model);

}  // namespace suanli

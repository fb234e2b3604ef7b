// The constants fitted to measurements, and leave-one-source-out validation.
//
// One constant is fitted per efficiency profile: the sustained large-GEMM
// fraction of dense peak (`gemm_peak_fraction`), the one figure no datasheet
// gives. Everything else the model uses is a datasheet figure, a stack fact
// or a stated assumption in data/. A fit minimises the mean |log(predicted
// / measured)| (least absolute deviations) over the training rows of that
// profile on a fixed grid, so the result is deterministic; its range is the
// spread of the values that each row alone would choose. Cross-validation refits on all sources but one and
// scores the held-out source, for every source in turn.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "perf/validation.h"

namespace suanli {

// The efficiency profile a measurement's accelerator uses ("" if unknown).
std::string measurement_profile(const Catalog& catalog, const Measurement& m);

struct ProfileFit {
  std::string profile;
  double prior = 0;  // the catalog's value
  double value = 0;  // fitted
  double low = 0;    // p10 / p90 of the per-row best values
  double high = 0;
  std::vector<std::string> row_ids;  // the rows it was fitted to
  double median_abs_before = 0;      // on those rows, with the prior
  double median_abs_after = 0;
};

// Fits `profile`'s fitted constant to the counted rows of `kind` in `rows`
// that use it: gemm_peak_fraction to training rows ("train"),
// decode_memory_bw_fraction to serving rows ("infer"). Fails with
// kInvalidArgument when none does.
Result<ProfileFit> fit_profile(const Catalog& catalog, const std::vector<const Measurement*>& rows,
                               const std::string& profile, std::string_view kind = "train");

struct HeldOutRow {
  const Measurement* m = nullptr;
  std::string fold;       // the held-out source (its key)
  std::string profile;    // the efficiency profile of its accelerator
  double rel_error = 0;   // out-of-sample: predicted / measured - 1
  double in_sample = 0;   // with every source in the fit
  double p10 = 0, p90 = 0;  // interval on rel_error from the other folds' residuals
  bool covered = false;     // measured value inside the interval
};

struct SourceScore {
  std::string source;
  int rows = 0;
  double median_abs = 0;
};

struct CrossValidation {
  std::vector<HeldOutRow> rows;         // counted training rows with a prediction
  std::vector<ProfileFit> fits;         // on all sources
  std::vector<SourceScore> by_source;   // out-of-sample, sorted by source key
  std::map<std::string, std::pair<int, double>> by_profile;  // rows, median |error|
  int counted = 0;
  double median_abs = 0;           // out-of-sample
  double median_abs_in_sample = 0;
  double domestic_median_abs = 0;  // rows on accelerators of origin CN
  int domestic_rows = 0;
  double coverage = 0;             // share of held-out rows inside their p10-p90 interval
};

// Every source held out in turn (rows predicted with constants fitted on
// the others), then scored: medians overall, by source and profile, and
// the coverage of the p10-p90 interval each held-out row gets from the
// other sources' out-of-sample residuals.
CrossValidation cross_validate(const Catalog& catalog, const std::vector<Measurement>& rows);

// The serving rows (kind = "infer") scored the same way. No constant of the
// serving model is fitted to the bundled serving rows (one decode
// bandwidth fraction per profile, fitted leave-one-source-out, made the
// held-out error worse: 20.4% against 18.7%), so each row's prediction is
// already out of sample; leaving its source out changes only the residuals
// its interval is drawn from. `suanli calibrate` fits that fraction to one
// operator's own serving runs, where one engine on one chip is measured.
CrossValidation cross_validate_serving(const Catalog& catalog,
                                       const std::vector<Measurement>& rows);
void score(const Catalog& catalog, CrossValidation& cv);

// Quantiles of out-of-sample residuals (predicted / measured - 1): pooled
// ("all", always first) and per profile where at least kMinSpreadRows rows
// back them; not per (profile, stack), which measured overconfident for
// unseen sources (fit.cpp). These are what data/efficiency/residuals.toml
// records and estimates widen by.
inline constexpr int kMinSpreadRows = Catalog::kMinResidualRows;
std::vector<ResidualSpread> residual_spreads(const CrossValidation& cv,
                                             std::string_view exclude_fold = {},
                                             std::string_view kind = "train");
// The narrowest match: (profile, stack), else profile, else pooled.
const ResidualSpread& pick_spread(const std::vector<ResidualSpread>& spreads,
                                  std::string_view profile, std::string_view stack);

}  // namespace suanli

// `suanli calibrate`: fit one accelerator's efficiency profile to an
// operator's own measured runs and write it as a catalog overlay.
//
// The fit is fit_profile() (perf/fit.h): gemm_peak_fraction, the one
// constant no datasheet gives, over the counted training runs of the chosen
// accelerator (and stack, if given), and decode_memory_bw_fraction over its
// counted serving runs (kind = "infer"); either or both. The overlay
// directory gets
//   efficiency/calibrated.toml    [[profile]] "<profile>-calibrated-<accel>":
//                                 every field copied from the original, the
//                                 fitted constant(s), a source naming
//                                 the runs and the fitted range
//   accelerators/calibrated.toml  [[accelerator]] id = "<accel>" with
//                                 efficiency_profile = the new profile
// and works through the catalog's override-by-id rule: `suanli --catalog
// DIR …` uses the fitted value everywhere. The report scores the runs and
// the held-out rows before (the bundled profile) and after (the overlay,
// re-loaded from disk, so the round trip is what gets measured).
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "catalog/catalog.h"
#include "perf/fit.h"
#include "perf/validation.h"
#include "util/error.h"

namespace suanli {

// Measurement rows from one *.toml file or every *.toml in a directory
// (load_measurements' format and errors, naming the file given).
Result<std::vector<Measurement>> load_runs(const std::filesystem::path& file_or_dir,
                                           const Catalog& catalog);

struct CalibrateOptions {
  std::string accelerator;  // "": the one accelerator the runs measure
  std::string stack;        // "": every stack
  std::filesystem::path out_dir;
  // The catalog directories the overlay is read on top of (for the
  // after-scores); the out_dir is appended to them.
  std::vector<std::filesystem::path> catalog_directories;
};

struct ErrorStats {
  int rows = 0;  // rows with a prediction
  double median_abs = 0;
  double max_abs = 0;
};

struct CalibratedRow {
  std::string id;
  bool held_out = false;
  double measured = 0;
  double before = 0;  // rel_error with the catalog's profile (NaN: no prediction)
  double after = 0;   // with the overlay
};

struct CalibrationReport {
  std::string accelerator;
  std::string profile;      // the original profile id
  std::string new_profile;  // "<profile>-calibrated-<accel>"
  ProfileFit fit;          // training runs (row_ids empty: none given, prior kept)
  ProfileFit serving_fit;  // serving runs (row_ids empty: none given)
  std::vector<std::string> run_ids;  // the rows fitted to (both kinds)
  ErrorStats runs_before, runs_after;
  ErrorStats holdout_before, holdout_after;
  std::vector<CalibratedRow> rows;
  std::filesystem::path profile_file;
  std::filesystem::path accelerator_file;
};

// The overlay's file texts for a fit (pure; calibrate() writes them).
std::string calibrated_profile_toml(const EfficiencyProfile& original, const std::string& new_id,
                                    const ProfileFit& fit, const ProfileFit& serving_fit);
std::string calibrated_accelerator_toml(const std::string& accelerator, const std::string& new_id);

// Fits, writes the overlay and scores it. `holdout` rows whose id is also a
// run's are ignored; rows of other accelerators are ignored. Fails with
// kInvalidArgument when no counted training or serving run matches.
Result<CalibrationReport> calibrate(const Catalog& catalog, const std::vector<Measurement>& runs,
                                    const std::vector<Measurement>& holdout,
                                    const CalibrateOptions& options);

}  // namespace suanli

#include "perf/calibrate.h"

#include <fmt/format.h>
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <limits>
#include <set>

#include "util/files.h"
#include "util/strings.h"

namespace suanli {

namespace {

namespace fs = std::filesystem;

void replace_all(std::string& text, const std::string& from, const std::string& to) {
  if (from.empty()) return;
  for (std::size_t i = text.find(from); i != std::string::npos; i = text.find(from, i)) {
    text.replace(i, from.size(), to);
    i += to.size();
  }
}

// A scratch directory holding one copy of `file`, removed on destruction.
class ScratchCopy {
 public:
  explicit ScratchCopy(const fs::path& file) {
    static std::atomic<int> counter{0};
    const auto stamp = std::chrono::steady_clock::now().time_since_epoch().count();
    dir_ =
        fs::temp_directory_path() / fmt::format("suanli-runs-{}-{}", stamp, counter.fetch_add(1));
    std::error_code ec;
    fs::create_directories(dir_, ec);
    copy_ = dir_ / file.filename();
    if (!ec) fs::copy_file(file, copy_, ec);
    ok_ = !ec;
  }
  ~ScratchCopy() {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  ScratchCopy(const ScratchCopy&) = delete;
  ScratchCopy& operator=(const ScratchCopy&) = delete;
  bool ok() const { return ok_; }
  const fs::path& dir() const { return dir_; }
  const fs::path& copy() const { return copy_; }

 private:
  fs::path dir_;
  fs::path copy_;
  bool ok_ = false;
};

ErrorStats stats(const std::vector<double>& errors) {
  ErrorStats s;
  std::vector<double> abs;
  for (double e : errors) {
    if (std::isfinite(e)) abs.push_back(std::fabs(e));
  }
  s.rows = static_cast<int>(abs.size());
  s.median_abs = median_abs(abs);
  s.max_abs = max_abs(abs);
  return s;
}

double rel_error(const Catalog& catalog, const Measurement& m) {
  const ValidationRow r = predict_measurement(catalog, m, FitOverrides{});
  return r.ok ? r.rel_error : std::numeric_limits<double>::quiet_NaN();
}

std::string toml_string(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out + "\"";
}

Result<void> write_file(const fs::path& path, const std::string& text) {
  std::error_code ec;
  fs::create_directories(path.parent_path(), ec);
  if (ec) {
    return fail(ErrorCode::kIo, fmt::format("{}: cannot create directory: {}",
                                            path.parent_path().string(), ec.message()));
  }
  return write_file_atomically(path, text);
}

// The accelerator the calibration is for: --accel, or the only one the
// counted training runs measure.
Result<std::string> choose_accelerator(const std::vector<Measurement>& runs,
                                       const CalibrateOptions& o) {
  if (!o.accelerator.empty()) return o.accelerator;
  std::set<std::string> seen;
  for (const auto& m : runs) {
    if (m.counted) seen.insert(m.accelerator);
  }
  if (seen.size() > 1) {
    return fail(ErrorCode::kInvalidArgument,
                fmt::format("the runs measure several accelerators ({}); give --accel ID",
                            join(std::vector<std::string>(seen.begin(), seen.end()), ", ")));
  }
  if (seen.empty()) {
    return fail(ErrorCode::kInvalidArgument, "the runs hold no counted row (counted not false)");
  }
  return *seen.begin();
}

}  // namespace

Result<std::vector<Measurement>> load_runs(const fs::path& file_or_dir, const Catalog& catalog) {
  std::error_code ec;
  if (fs::is_directory(file_or_dir, ec)) return load_measurements(file_or_dir, catalog);
  if (!fs::is_regular_file(file_or_dir, ec)) {
    return fail(ErrorCode::kIo, fmt::format("{}: runs file not found", file_or_dir.string()));
  }
  ScratchCopy scratch(file_or_dir);
  if (!scratch.ok()) {
    return fail(ErrorCode::kIo, fmt::format("{}: cannot read", file_or_dir.string()));
  }
  auto rows = load_measurements(scratch.dir(), catalog);
  if (!rows) {
    Error e = rows.error();
    replace_all(e.message, scratch.copy().string(), file_or_dir.string());
    return std::unexpected(e);
  }
  for (auto& m : *rows) replace_all(m.defined_at, scratch.copy().string(), file_or_dir.string());
  return rows;
}

// Every field of EfficiencyProfile but id, source, confidence and
// gemm_peak_fraction is copied here; calibrate_test checks that a copy
// predicts exactly what the original does (a new field missing below fails).
std::string calibrated_profile_toml(const EfficiencyProfile& p, const std::string& new_id,
                                    const ProfileFit& fit, const ProfileFit& serving_fit) {
  const bool trained = !fit.row_ids.empty();
  const bool served = !serving_fit.row_ids.empty();
  std::vector<std::string> ids = fit.row_ids;
  ids.insert(ids.end(), serving_fit.row_ids.begin(), serving_fit.row_ids.end());
  std::string fitted;
  if (trained) {
    fitted += fmt::format("gemm_peak_fraction {:.4g} (range {:.4g}-{:.4g})", fit.value, fit.low,
                          fit.high);
  }
  if (served) {
    fitted +=
        fmt::format("{}decode_memory_bw_fraction {:.4g} (range {:.4g}-{:.4g})", trained ? ", " : "",
                    serving_fit.value, serving_fit.low, serving_fit.high);
  }
  std::string out = fmt::format(
      "# Written by `suanli calibrate`: profile '{}' with its constants fitted to the\n"
      "# operator's runs. Use with `suanli --catalog DIR …`; re-run calibrate to update.\n"
      "[[profile]]\nid = {}\n",
      p.id, toml_string(new_id));
  out += fmt::format("source = {}\n",
                     toml_string(fmt::format("suanli calibrate on {} runs: {}; fitted {}; other "
                                             "fields from '{}'",
                                             ids.size(), join(ids, ", "), fitted, p.id)));
  // "calibrated" is not one of the documented confidences (verified,
  // secondary, estimate, placeholder): a fit to the operator's own runs is
  // a secondary source.
  out += "confidence = \"secondary\"\n";
  if (trained) {
    out += fmt::format("gemm_peak_fraction = {:.6g}\n", fit.value);
  } else {
    out += fmt::format("gemm_peak_fraction = {}\n", p.gemm_peak_fraction);
  }
  if (served) {
    out += fmt::format("decode_memory_bw_fraction = {:.6g}\n", serving_fit.value);
  } else if (p.decode_memory_bw_fraction > 0) {
    out += fmt::format("decode_memory_bw_fraction = {}\n", p.decode_memory_bw_fraction);
  }
  // The rest as the profile has them (catalog/efficiency.h's one list).
  for (const ProfileNumber& f : profile_numbers()) {
    if (f.key == "gemm_peak_fraction" || f.key == "decode_memory_bw_fraction") continue;
    const double v = p.*(f.member);
    if (f.zero_derives && !(v > 0)) continue;
    out += fmt::format("{} = {}\n", f.key, v);
  }
  return out;
}

std::string calibrated_accelerator_toml(const std::string& accelerator, const std::string& new_id) {
  return fmt::format(
      "# Written by `suanli calibrate`: overrides one key of accelerator '{}' (the catalog\n"
      "# merges an entry with a known id into the loaded one; see docs/calibrate.md).\n"
      "[[accelerator]]\nid = {}\nefficiency_profile = {}\n",
      accelerator, toml_string(accelerator), toml_string(new_id));
}

Result<CalibrationReport> calibrate(const Catalog& catalog, const std::vector<Measurement>& runs,
                                    const std::vector<Measurement>& holdout,
                                    const CalibrateOptions& options) {
  SUANLI_ASSIGN(std::string accel_id, choose_accelerator(runs, options));
  SUANLI_ASSIGN(const Accelerator* accel, catalog.accelerator(accel_id));
  std::vector<const Measurement*> chosen;
  bool any_train = false;
  bool any_infer = false;
  for (const auto& m : runs) {
    if (!m.counted || m.accelerator != accel_id) continue;
    if (m.kind == "train" && !options.stack.empty() && m.stack.id != options.stack) continue;
    chosen.push_back(&m);
    (m.kind == "train" ? any_train : any_infer) = true;
  }
  if (chosen.empty()) {
    return fail(
        ErrorCode::kInvalidArgument,
        fmt::format("the runs hold no counted training or serving row for accelerator '{}'{}",
                    accel_id, options.stack.empty() ? "" : " on stack '" + options.stack + "'"));
  }
  CalibrationReport rep;
  rep.accelerator = accel_id;
  const EfficiencyProfile& original = catalog.profile_for(*accel);
  rep.profile = original.id;
  // Re-calibrating through an earlier overlay keeps one suffix.
  const std::string suffix = "-calibrated-" + accel_id;
  std::string base = original.id;
  if (base.size() > suffix.size() && base.ends_with(suffix))
    base.resize(base.size() - suffix.size());
  rep.new_profile = base + suffix;
  rep.fit.profile = rep.serving_fit.profile = original.id;
  rep.fit.prior = rep.fit.value = original.gemm_peak_fraction;
  rep.serving_fit.prior = rep.serving_fit.value = decode_bw_fraction(original);
  if (any_train) {
    SUANLI_ASSIGN(rep.fit, fit_profile(catalog, chosen, original.id, "train"));
  }
  if (any_infer) {
    // Serving rows no model can predict (a request rate only, PP > 1) do
    // not sink a training fit given beside them.
    auto serving = fit_profile(catalog, chosen, original.id, "infer");
    if (serving) {
      rep.serving_fit = std::move(*serving);
    } else if (!any_train) {
      return std::unexpected(serving.error());
    }
  }
  rep.run_ids = rep.fit.row_ids;
  rep.run_ids.insert(rep.run_ids.end(), rep.serving_fit.row_ids.begin(),
                     rep.serving_fit.row_ids.end());

  rep.profile_file = options.out_dir / "efficiency" / "calibrated.toml";
  rep.accelerator_file = options.out_dir / "accelerators" / "calibrated.toml";
  SUANLI_TRY(write_file(rep.profile_file, calibrated_profile_toml(original, rep.new_profile,
                                                                  rep.fit, rep.serving_fit)));
  SUANLI_TRY(
      write_file(rep.accelerator_file, calibrated_accelerator_toml(accel_id, rep.new_profile)));

  // Score through the overlay as loaded from disk: the round trip itself.
  CatalogOptions after_options;
  after_options.directories = options.catalog_directories;
  after_options.directories.push_back(options.out_dir);
  SUANLI_ASSIGN(Catalog after, Catalog::load(after_options));

  std::set<std::string> run_ids;
  for (const auto* m : chosen) run_ids.insert(m->id);
  std::vector<double> rb, ra, hb, ha;
  for (const auto* m : chosen) {
    CalibratedRow row{m->id, false, m->value, rel_error(catalog, *m), rel_error(after, *m)};
    rb.push_back(row.before);
    ra.push_back(row.after);
    rep.rows.push_back(row);
  }
  for (const auto& m : holdout) {
    if (m.accelerator != accel_id || !m.counted || run_ids.count(m.id)) continue;
    CalibratedRow row{m.id, true, m.value, rel_error(catalog, m), rel_error(after, m)};
    hb.push_back(row.before);
    ha.push_back(row.after);
    rep.rows.push_back(row);
  }
  rep.runs_before = stats(rb);
  rep.runs_after = stats(ra);
  rep.holdout_before = stats(hb);
  rep.holdout_after = stats(ha);
  return rep;
}

}  // namespace suanli

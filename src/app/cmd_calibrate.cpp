// `suanli calibrate RUNS.toml --out DIR`: fit one accelerator's efficiency
// profile to the operator's measured runs and write a catalog overlay
// (perf/calibrate.h); print the errors before and after.
#include <fmt/format.h>
#include <CLI/CLI.hpp>
#include <cmath>
#include <memory>
#include <nlohmann/json.hpp>
#include <ostream>

#include "app/app.h"
#include "perf/calibrate.h"
#include "util/strings.h"
#include "util/table.h"

namespace suanli::app {

namespace {

struct CalibrateState {
  std::string runs;
  std::string accel;
  std::string stack;
  std::string out;
  std::string holdout;
  bool json = false;
};

std::string err_cell(double e) {
  return std::isfinite(e) ? fmt::format("{:+.1f}%", e * 100) : "n/a";
}

nlohmann::json stats_json(const ErrorStats& s) {
  return {{"rows", s.rows}, {"median_abs_error", s.median_abs}, {"max_abs_error", s.max_abs}};
}

nlohmann::json report_json(const CalibrationReport& r) {
  nlohmann::json rows = nlohmann::json::array();
  for (const auto& x : r.rows) {
    rows.push_back({{"id", x.id},
                    {"set", x.held_out ? "held-out" : "calibration"},
                    {"measured", x.measured},
                    {"error_before", std::isfinite(x.before) ? nlohmann::json(x.before) : nullptr},
                    {"error_after", std::isfinite(x.after) ? nlohmann::json(x.after) : nullptr}});
  }
  return {
      {"accelerator", r.accelerator},
      {"profile", r.profile},
      {"calibrated_profile", r.new_profile},
      {"gemm_peak_fraction",
       {{"prior", r.fit.prior},
        {"fitted", r.fit.value},
        {"low", r.fit.low},
        {"high", r.fit.high},
        {"runs", r.fit.row_ids.size()}}},
      {"decode_memory_bw_fraction",
       {{"prior", r.serving_fit.prior},
        {"fitted", r.serving_fit.value},
        {"low", r.serving_fit.low},
        {"high", r.serving_fit.high},
        {"runs", r.serving_fit.row_ids.size()}}},
      {"runs", r.run_ids},
      {"calibration", {{"before", stats_json(r.runs_before)}, {"after", stats_json(r.runs_after)}}},
      {"held_out",
       {{"before", stats_json(r.holdout_before)}, {"after", stats_json(r.holdout_after)}}},
      {"rows", rows},
      {"files", {r.profile_file.string(), r.accelerator_file.string()}}};
}

void print_report(std::ostream& out, const CalibrationReport& r, const std::string& dir) {
  auto fitted = [&](const char* name, const ProfileFit& f, const char* kind) {
    if (f.row_ids.empty()) return;
    out << fmt::format(
        "Calibrated   {}: profile '{}' {} {:.3f} -> {:.3f} (range {:.3f}-{:.3f}), fitted to {} "
        "{} run(s): {}\n",
        r.accelerator, r.profile, name, f.prior, f.value, f.low, f.high, f.row_ids.size(), kind,
        join(f.row_ids, ", "));
  };
  fitted("gemm_peak_fraction", r.fit, "training");
  fitted("decode_memory_bw_fraction", r.serving_fit, "serving");
  out << fmt::format("Wrote        {} (profile '{}')\n             {} ({} -> '{}')\n",
                     r.profile_file.string(), r.new_profile, r.accelerator_file.string(),
                     r.accelerator, r.new_profile);
  TextTable t({"id", "set", "measured", "error before", "error after"});
  t.set_right_aligned({2, 3, 4});
  for (const auto& x : r.rows) {
    t.add_row({x.id, x.held_out ? "held-out" : "calibration", fmt::format("{:.4g}", x.measured),
               err_cell(x.before), err_cell(x.after)});
  }
  out << t.render();
  auto line = [&](const char* name, const ErrorStats& b, const ErrorStats& a) {
    if (b.rows == 0 && a.rows == 0) {
      out << fmt::format("{:<13}no rows\n", name);
      return;
    }
    out << fmt::format(
        "{:<13}{} rows: median |error| {:.1f}% -> {:.1f}%, max |error| {:.1f}% -> "
        "{:.1f}%\n",
        name, a.rows, b.median_abs * 100, a.median_abs * 100, b.max_abs * 100, a.max_abs * 100);
  };
  line("Calibration", r.runs_before, r.runs_after);
  line("Held out", r.holdout_before, r.holdout_after);
  if (r.holdout_after.rows > 0 && r.holdout_after.median_abs > r.holdout_before.median_abs) {
    out << "Warning      the held-out error grew: the runs may not represent the held-out rows "
           "(another stack or shape); check before trusting the overlay\n";
  }
  out << fmt::format("Use it       suanli --catalog {} estimate {} --accel {} …\n", dir,
                     r.fit.row_ids.empty() ? "infer" : "train", r.accelerator);
}

int run(Context& ctx, const CalibrateState& s) {
  auto cat = ctx.catalog();
  if (!cat) return ctx.report(cat.error());
  auto runs = load_runs(s.runs, **cat);
  if (!runs) return ctx.report(runs.error());
  std::vector<Measurement> holdout;
  if (!s.holdout.empty()) {
    auto h = load_runs(s.holdout, **cat);
    if (!h) return ctx.report(h.error());
    holdout = std::move(*h);
  } else {
    const auto dir = Catalog::default_directories().front() / "validation";
    std::error_code ec;
    if (std::filesystem::is_directory(dir, ec)) {
      auto h = load_measurements(dir, **cat);
      if (!h) return ctx.report(h.error());
      holdout = std::move(*h);
    }
  }
  CalibrateOptions o;
  o.accelerator = s.accel;
  o.stack = s.stack;
  o.out_dir = s.out;
  o.catalog_directories = Catalog::default_directories(ctx.catalog_dirs());
  auto rep = calibrate(**cat, *runs, holdout, o);
  if (!rep) return ctx.report(rep.error());
  if (s.json) {
    ctx.out() << report_json(*rep).dump(2) << "\n";
  } else {
    print_report(ctx.out(), *rep, s.out);
  }
  return kExitOk;
}

}  // namespace

void register_calibrate(CLI::App& app, Context& ctx) {
  auto state = std::make_shared<CalibrateState>();
  auto* cmd = app.add_subcommand(
      "calibrate",
      "Fit an accelerator's efficiency profile to your own measured runs (gemm_peak_fraction to "
      "training runs, decode_memory_bw_fraction to serving runs) and write a catalog overlay "
      "for --catalog (see docs/calibrate.md)");
  cmd->add_option("runs", state->runs,
                  "Measured runs: a *.toml file (or directory) in the data/validation format")
      ->required();
  cmd->add_option("--accel", state->accel,
                  "Accelerator to calibrate (default: the one the runs measure)");
  cmd->add_option("--stack", state->stack, "Fit only the training runs on this software stack");
  cmd->add_option("--out", state->out, "Overlay directory to write (efficiency/, accelerators/)")
      ->required();
  cmd->add_option("--holdout", state->holdout,
                  "Held-out runs (file or directory; default: the bundled data/validation rows "
                  "for the accelerator that are not in RUNS)");
  cmd->add_flag("--json", state->json, "Print JSON");
  cmd->callback([&ctx, state] { ctx.action() = [&ctx, state] { return run(ctx, *state); }; });
}

}  // namespace suanli::app

// `suanli validate`: the estimator against published measurements.
#include <fmt/format.h>
#include <CLI/CLI.hpp>
#include <memory>
#include <nlohmann/json.hpp>
#include <ostream>

#include "app/app.h"
#include "perf/validation.h"
#include "util/table.h"

namespace suanli::app {

namespace {

struct ValidateState {
  std::string dir;
  bool json = false;
  double max_median = 0;
};

std::string fmt_value(double v) {
  if (v < 1.0) return fmt::format("{:.3f}", v);
  if (v < 100) return fmt::format("{:.2f}", v);
  return fmt::format("{:.0f}", v);
}

int run(Context& ctx, const ValidateState& s) {
  auto cat = ctx.catalog();
  if (!cat) return ctx.report(cat.error());
  std::filesystem::path dir = s.dir;
  if (dir.empty()) dir = Catalog::default_directories().front() / "validation";
  auto rows = load_measurements(dir, **cat);
  if (!rows) return ctx.report(rows.error());
  const ValidationSummary sum = run_validation(**cat, *rows);
  if (s.json) {
    nlohmann::json arr = nlohmann::json::array();
    for (const auto& r : sum.rows) {
      nlohmann::json j{{"id", r.m->id},
                       {"kind", r.m->kind},
                       {"source", r.m->source},
                       {"locator", r.m->locator},
                       {"confidence", r.m->confidence},
                       {"accelerator", r.m->accelerator},
                       {"devices", r.m->devices},
                       {"metric", r.m->metric},
                       {"measured", r.m->value},
                       {"ok", r.ok},
                       {"counted", r.m->counted}};
      if (!r.m->counted) j["not_counted_reason"] = r.m->reason;
      if (r.ok) {
        j["predicted"] = r.predicted;
        j["error"] = r.rel_error;
        j["config"] = r.config;
      } else {
        j["failure"] = r.error;
      }
      arr.push_back(j);
    }
    nlohmann::json out{{"rows", arr},
                       {"train",
                        {{"rows", sum.train_rows},
                         {"median_abs_error", sum.train_median_abs_error},
                         {"max_abs_error", sum.train_max_abs_error}}},
                       {"infer",
                        {{"rows", sum.infer_rows},
                         {"median_abs_error", sum.infer_median_abs_error},
                         {"max_abs_error", sum.infer_max_abs_error}}}};
    ctx.out() << out.dump(2) << "\n";
  } else {
    TextTable t({"id", "accel", "devices", "metric", "measured", "predicted", "error",
                 "config (* searched)"});
    t.set_right_aligned({2, 4, 5, 6});
    for (const auto& r : sum.rows) {
      t.add_row({r.m->id + (r.m->counted ? "" : " †"), r.m->accelerator,
                 std::to_string(r.m->devices), r.m->metric, fmt_value(r.m->value),
                 r.ok ? fmt_value(r.predicted) : "—",
                 r.ok ? fmt::format("{:+.1f}%", r.rel_error * 100) : "n/a",
                 r.ok ? r.config : "failed: " + r.error});
    }
    ctx.out() << t.render();
    for (const auto& r : sum.rows) {
      if (!r.m->counted) ctx.out() << fmt::format("† {} not counted: {}\n", r.m->id, r.m->reason);
    }
    ctx.out() << fmt::format("training rows: {}  median |error| {:.1f}%  max |error| {:.1f}%\n",
                             sum.train_rows, sum.train_median_abs_error * 100,
                             sum.train_max_abs_error * 100);
    if (sum.infer_rows > 0) {
      ctx.out() << fmt::format("inference rows: {}  median |error| {:.1f}%  max |error| {:.1f}%\n",
                               sum.infer_rows, sum.infer_median_abs_error * 100,
                               sum.infer_max_abs_error * 100);
    }
  }
  int failed = 0;
  for (const auto& r : sum.rows) failed += (r.ok || !r.m->counted) ? 0 : 1;
  if (failed > 0) {
    ctx.err() << fmt::format("error: {} row(s) could not be predicted (see the table)\n", failed);
    return kExitFailure;
  }
  if (s.max_median > 0 && sum.train_median_abs_error * 100 > s.max_median) {
    ctx.err() << fmt::format("error: median |error| {:.1f}% exceeds --max-median-error {:.1f}%\n",
                             sum.train_median_abs_error * 100, s.max_median);
    return kExitFailure;
  }
  return kExitOk;
}

}  // namespace

void register_validate(CLI::App& app, Context& ctx) {
  auto state = std::make_shared<ValidateState>();
  auto* cmd = app.add_subcommand(
      "validate",
      "Compare the estimator with published measurements (data/validation/*.toml): predicted, "
      "measured and error per row, then median and max |error|");
  cmd->add_option("--dir", state->dir, "Directory of measurement files (default: bundled)");
  cmd->add_option("--max-median-error", state->max_median,
                  "Exit 1 when the training median |error| exceeds this many percent");
  cmd->add_flag("--json", state->json, "Print JSON");
  cmd->callback([&ctx, state] { ctx.action() = [&ctx, state] { return run(ctx, *state); }; });
}

}  // namespace suanli::app

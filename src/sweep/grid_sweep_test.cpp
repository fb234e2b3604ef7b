// `suanli sweep`'s library: scenario kind detection, grid order, overrides
// on simulator scenarios (a bad key fails before anything runs, naming it),
// identical output for any number of threads, the manifest and the point
// files of the Slurm path (same JSON as the local path), and the renderers.
#include "sweep/grid_sweep.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "bundled_catalog.h"
#include "contains.h"
#include "read_file.h"
#include "report/html_report.h"
#include "temp_dir.h"

namespace suanli {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::ordered_json;

const fs::path kSource(SUANLI_SOURCE_DIR);
const fs::path kSmallSim = kSource / "tests" / "sweep" / "small-hybrid.toml";
const fs::path kSmallPlan = kSource / "tests" / "sweep" / "small-plan.toml";

using ::suanli::testing::contains;
using ::suanli::testing::read_file;

class GridSweepTest : public testing::BundledCatalogTest {
 protected:
  static GridSweep make(const fs::path& file, std::vector<TomlSweep> sweeps,
                        std::vector<TomlOverride> base = {}) {
    auto s = make_grid_sweep(file, {kSource / "data"}, std::move(base), std::move(sweeps));
    EXPECT_TRUE(s.has_value()) << (s ? "" : s.error().message);
    return s ? *s : GridSweep{};
  }
  // 3 placements x 3 shares = 9 points over two simulated days.
  static GridSweep sim_grid() {
    return make(kSmallSim, {{"scheduler.placement", {"first-fit", "best-fit", "hetero"}},
                            {"rules.domestic-share.min_share", {"0.3", "0.5", "0.7"}}});
  }
};

TEST_F(GridSweepTest, DetectsTheScenarioKind) {
  EXPECT_EQ(detect_scenario_kind("[[fleet]]\nsite = \"a\"\n", "a.toml"), ScenarioKind::kSimulation);
  EXPECT_EQ(detect_scenario_kind("[plan]\nyears = 2\n", "a.toml"), ScenarioKind::kPlan);
  auto neither = detect_scenario_kind("[foo]\nx = 1\n", "a.toml");
  ASSERT_FALSE(neither);
  EXPECT_TRUE(contains(neither.error().message, "a.toml: neither a simulation scenario"))
      << neither.error().message;
  auto both = detect_scenario_kind("[plan]\n[[fleet]]\n", "a.toml");
  ASSERT_FALSE(both);
  EXPECT_TRUE(contains(both.error().message, "mixes")) << both.error().message;
  auto bad = detect_scenario_kind("[plan\n", "a.toml");
  ASSERT_FALSE(bad);
  EXPECT_TRUE(contains(bad.error().message, "a.toml:1:")) << bad.error().message;
  EXPECT_EQ(make(kSmallSim, {}).kind, ScenarioKind::kSimulation);
  EXPECT_EQ(make(kSmallPlan, {}).kind, ScenarioKind::kPlan);
  EXPECT_EQ(make(kSource / "examples" / "plan-2027-h200-return.toml", {}).kind,
            ScenarioKind::kPlan);
  EXPECT_EQ(make(kSource / "examples" / "hybrid-cloud-2026.toml", {}).kind,
            ScenarioKind::kSimulation);
}

TEST_F(GridSweepTest, GridIsRowMajorWithTheLastKeyFastest) {
  const GridSweep s = make(kSmallSim, {{"a", {"1", "2"}}, {"b", {"x", "y", "z"}}}, {{"seed", "3"}});
  ASSERT_EQ(grid_size(s), 6u);
  const std::vector<std::vector<std::string>> expected = {{"1", "x"}, {"1", "y"}, {"1", "z"},
                                                          {"2", "x"}, {"2", "y"}, {"2", "z"}};
  for (std::size_t i = 0; i < 6; ++i) EXPECT_EQ(grid_values(s, i), expected[i]) << i;
  const auto o = grid_overrides(s, 4);
  ASSERT_EQ(o.size(), 3u);
  EXPECT_EQ(o[0].key, "seed");
  EXPECT_EQ(o[1].key, "a");
  EXPECT_EQ(o[1].value, "2");
  EXPECT_EQ(o[2].key, "b");
  EXPECT_EQ(o[2].value, "y");
  EXPECT_EQ(grid_size(make(kSmallSim, {})), 1u);
  auto twice = make_grid_sweep(kSmallSim, {}, {}, {{"a", {"1"}}, {"a", {"2"}}});
  ASSERT_FALSE(twice);
  EXPECT_TRUE(contains(twice.error().message, "swept twice")) << twice.error().message;
}

TEST_F(GridSweepTest, BadKeysFailBeforeAnythingRunsAndNameTheKey) {
  // No such element.
  auto r =
      run_grid_sweep_local(make(kSmallSim, {{"rules.domestic-60.min_share", {"0.5"}}}), *catalog_);
  ASSERT_FALSE(r);
  EXPECT_TRUE(contains(r.error().message, "rules.domestic-60.min_share: no [[rules]] with"))
      << r.error().message;
  // No such table (in --set).
  r = run_grid_sweep_local(make(kSmallSim, {{"seed", {"1", "2"}}}, {{"schedular.queue", "sjf"}}),
                           *catalog_);
  ASSERT_FALSE(r);
  EXPECT_TRUE(contains(r.error().message, "schedular.queue")) << r.error().message;
  // A misspelt leaf: the loader's key check, at point 0.
  r = run_grid_sweep_local(make(kSmallSim, {{"rules.domestic-share.min_shar", {"0.5", "0.7"}}}),
                           *catalog_);
  ASSERT_FALSE(r);
  EXPECT_TRUE(contains(r.error().message, "min_shar")) << r.error().message;
  EXPECT_TRUE(contains(r.error().message, "sweep point 0")) << r.error().message;
  // A value that only breaks a later point is that point's error.
  auto later = run_grid_sweep_local(
      make(kSmallSim, {{"scheduler.placement", {"hetero", "no-such-policy"}}}), *catalog_);
  ASSERT_TRUE(later) << later.error().message;
  ASSERT_EQ(later->points.size(), 2u);
  EXPECT_EQ(later->points[0]["status"], "ok");
  EXPECT_EQ(later->points[1]["status"], "error");
  EXPECT_TRUE(contains(later->points[1]["error"].get<std::string>(), "no-such-policy"))
      << later->points[1].dump();
}

TEST_F(GridSweepTest, OutputDoesNotDependOnThreads) {
  const GridSweep s = sim_grid();
  LocalSweepOptions one;
  one.jobs = 1;
  LocalSweepOptions four;
  four.jobs = 4;
  std::size_t calls = 0;
  four.progress = [&](std::size_t done, std::size_t total, const Json& p) {
    ++calls;
    EXPECT_EQ(done, calls);
    EXPECT_EQ(total, 9u);
    EXPECT_TRUE(p.contains("index"));
  };
  auto a = run_grid_sweep_local(s, *catalog_, one);
  ASSERT_TRUE(a) << a.error().message;
  auto b = run_grid_sweep_local(s, *catalog_, four);
  ASSERT_TRUE(b) << b.error().message;
  EXPECT_EQ(calls, 9u);
  const std::string ja = grid_sweep_json(*a).dump(2);
  EXPECT_EQ(ja, grid_sweep_json(*b).dump(2));
  EXPECT_EQ(grid_sweep_csv(*a), grid_sweep_csv(*b));
  ASSERT_EQ(a->points.size(), 9u);
  for (std::size_t i = 0; i < 9; ++i) {
    const Json& p = a->points[i];
    EXPECT_EQ(p["index"], i);
    EXPECT_EQ(p["status"], "ok") << p.dump();
    EXPECT_EQ(p["values"]["scheduler.placement"], grid_values(s, i)[0]);
    EXPECT_GT(p["jobs_completed"].get<int>(), 0) << p.dump();
    EXPECT_EQ(p["placement"], grid_values(s, i)[0]);
    EXPECT_TRUE(p["jct_s"]["p95"].is_number());
    EXPECT_TRUE(p["utilization_overall"].is_number());
    EXPECT_FALSE(p.contains("wall_time_s"));
  }
  // The points differ: the overrides reached the simulator.
  EXPECT_NE(a->points[0]["jct_s"].dump(), a->points[6]["jct_s"].dump());
}

TEST_F(GridSweepTest, PointFilesGiveTheSameResultAsTheLocalRun) {
  const GridSweep s = make(kSmallSim, {{"scheduler.placement", {"first-fit", "hetero"}}},
                           {{"simulation.until_hours", "36"}});
  testing::TempDir dir;
  { std::ofstream(dir.path() / kGridManifestFile) << grid_manifest_json(s).dump(2); }
  // The manifest reads back as the same sweep.
  auto back = grid_sweep_from_manifest(Json::parse(read_file(dir.path() / kGridManifestFile)),
                                       "manifest.json");
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ(back->scenario_text, s.scenario_text);
  EXPECT_EQ(back->scenario_path, s.scenario_path);
  EXPECT_EQ(back->catalog_dirs, s.catalog_dirs);
  EXPECT_EQ(grid_size(*back), 2u);
  EXPECT_EQ(grid_overrides(*back, 1)[0].key, "simulation.until_hours");

  std::vector<std::string> texts;
  for (std::size_t i = 0; i < 2; ++i) {
    auto r = run_grid_point_in_dir(dir.path(), i);
    ASSERT_TRUE(r) << r.error().message;
    texts.push_back(read_file(grid_point_file(dir.path(), i)));
  }
  auto out_of_range = run_grid_point_in_dir(dir.path(), 2);
  ASSERT_FALSE(out_of_range);
  EXPECT_TRUE(contains(out_of_range.error().message, "--index 2")) << out_of_range.error().message;
  auto from_files = grid_result_from_texts(s, texts);
  ASSERT_TRUE(from_files) << from_files.error().message;
  LocalSweepOptions o;
  o.jobs = 2;
  auto local = run_grid_sweep_local(s, *catalog_, o);
  ASSERT_TRUE(local) << local.error().message;
  EXPECT_EQ(grid_sweep_json(*from_files).dump(2), grid_sweep_json(*local).dump(2));
  EXPECT_EQ(grid_sweep_text(*from_files), grid_sweep_text(*local));
  // A point file of another point, or of other values, is refused.
  auto swapped = grid_result_from_texts(s, {texts[1], texts[0]});
  ASSERT_FALSE(swapped);
  EXPECT_TRUE(contains(swapped.error().message, "point 0: expected the result of point 0"))
      << swapped.error().message;
}

TEST_F(GridSweepTest, DoublesRoundTripThroughTheText) {
  Json p = {{"index", 0}, {"values", Json::object()}, {"status", "ok"}};
  p["x"] = 0.1 + 0.2;
  p["y"] = 1.0 / 3.0;
  p["z"] = 123456789.123456789e-300;
  auto back = parse_grid_point(grid_point_text(p), 0, "p");
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ((*back)["x"].get<double>(), 0.1 + 0.2);
  EXPECT_EQ((*back)["y"].get<double>(), 1.0 / 3.0);
  EXPECT_EQ((*back)["z"].get<double>(), 123456789.123456789e-300);
}

TEST_F(GridSweepTest, RendersTableCsvAndReport) {
  auto r = run_grid_sweep_local(
      make(kSmallSim, {{"rules.domestic-share.min_share", {"0.3", "0.7"}}}), *catalog_);
  ASSERT_TRUE(r) << r.error().message;
  const std::string text = grid_sweep_text(*r);
  EXPECT_TRUE(contains(text, "rules.domestic-share.min_share")) << text;
  EXPECT_TRUE(contains(text, "JCT mean h")) << text;
  const std::string csv = grid_sweep_csv(*r);
  EXPECT_EQ(std::count(csv.begin(), csv.end(), '\n'), 3) << csv;
  EXPECT_TRUE(contains(csv, "rules.domestic-share.min_share,status,jobs_submitted")) << csv;
  EXPECT_TRUE(contains(csv, "utilization_ascend-910c")) << csv;
  const auto html = render_report_json(grid_sweep_report_doc(*r));
  ASSERT_TRUE(html) << html.error().message;
  EXPECT_TRUE(contains(*html, "<section id=\"simulation-sweep\">"));
  EXPECT_TRUE(contains(*html, "data-chart=\"sim-sweep-jct\""));
  EXPECT_TRUE(contains(*html, "Simulation sweep"));
}

TEST_F(GridSweepTest, PlanSweepUsesThePlanSweepFormat) {
  auto r = run_grid_sweep_local(make(kSmallPlan, {{"policy.domestic_share_min", {"0.3", "0.9"}}}),
                                *catalog_);
  ASSERT_TRUE(r) << r.error().message;
  ASSERT_EQ(r->points.size(), 2u);
  for (const Json& p : r->points) {
    EXPECT_TRUE(p["status"] == "optimal" || p["status"] == "feasible") << p.dump();
    EXPECT_TRUE(p["objective_usd"].is_number()) << p.dump();
    EXPECT_FALSE(p.contains("solve_time_s"));
  }
  // A stricter share costs at least as much.
  EXPECT_GE(r->points[1]["objective_usd"].get<double>() * (1 + 1e-2),
            r->points[0]["objective_usd"].get<double>());
  EXPECT_TRUE(contains(grid_sweep_text(*r), "cost M USD"));
  EXPECT_TRUE(contains(grid_sweep_csv(*r), "objective_usd"));
  const auto html = render_report_json(grid_sweep_report_doc(*r));
  ASSERT_TRUE(html) << html.error().message;
  EXPECT_TRUE(contains(*html, "data-chart=\"sweep-frontier\""));
  const Json j = grid_sweep_json(*r);
  EXPECT_EQ(j["kind"], "plan");
}

}  // namespace
}  // namespace suanli

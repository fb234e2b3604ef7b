// `suanli sweep` as a user runs it (run_cli in-process): a simulation grid
// with the same --json for any --jobs, the table, --csv and --report files,
// bad input (no --sweep, a bad key, --workdir without --slurm), the
// internal `sweep point` command of the Slurm tasks giving the same JSON as
// the local run, and --slurm failing before writing anything when Slurm is
// not reachable.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "app/app.h"
#include "cli_run.h"
#include "contains.h"
#include "read_file.h"
#include "sweep/grid_sweep.h"
#include "temp_dir.h"

namespace suanli::app {
namespace {

namespace fs = std::filesystem;

const fs::path kSource(SUANLI_SOURCE_DIR);
const std::string kScenario = (kSource / "tests" / "sweep" / "small-hybrid.toml").string();

using ::suanli::testing::contains;

using ::suanli::testing::read_file;

const std::vector<std::string> kGrid = {"sweep",   kScenario,
                                        "--sweep", "scheduler.placement=first-fit,best-fit,hetero",
                                        "--sweep", "rules.domestic-share.min_share=0.3,0.7",
                                        "--set",   "simulation.until_hours=20"};

std::vector<std::string> with(std::vector<std::string> args, const std::vector<std::string>& more) {
  args.insert(args.end(), more.begin(), more.end());
  return args;
}

TEST(SweepCli, JsonIsTheSameForAnyNumberOfJobs) {
  const CliResult one = run(with(kGrid, {"--json", "--quiet", "--jobs", "1"}));
  ASSERT_EQ(one.code, kExitOk) << one.all();
  EXPECT_EQ(one.err, "");
  const CliResult three = run(with(kGrid, {"--json", "--jobs", "3"}));
  ASSERT_EQ(three.code, kExitOk) << three.all();
  EXPECT_EQ(one.out, three.out);
  // Progress on stderr, one line per point.
  EXPECT_TRUE(contains(three.err, "6 point(s)")) << three.err;
  EXPECT_TRUE(contains(three.err, "sweep 6/6:")) << three.err;
  const auto j = nlohmann::json::parse(one.out);
  EXPECT_EQ(j["kind"], "simulation");
  EXPECT_EQ(j["keys"].size(), 2u);
  EXPECT_EQ(j["base"]["simulation.until_hours"], "20");
  ASSERT_EQ(j["points"].size(), 6u);
  EXPECT_EQ(j["points"][1]["values"]["scheduler.placement"], "first-fit");
  EXPECT_EQ(j["points"][1]["values"]["rules.domestic-share.min_share"], "0.7");
  EXPECT_EQ(j["points"][5]["placement"], "hetero");
  EXPECT_EQ(j["points"][5]["end_reason"], "horizon");
}

TEST(SweepCli, WritesTableCsvAndReport) {
  testing::TempDir dir;
  const fs::path csv = dir.path() / "grid.csv";
  const fs::path html = dir.path() / "grid.html";
  const CliResult r = run(with(kGrid, {"--csv", csv.string(), "--report", html.string()}));
  ASSERT_EQ(r.code, kExitOk) << r.all();
  EXPECT_TRUE(contains(r.out, "scheduler.placement")) << r.out;
  EXPECT_TRUE(contains(r.out, "JCT p95 h")) << r.out;
  const std::string c = read_file(csv);
  EXPECT_TRUE(contains(c, "scheduler.placement,rules.domestic-share.min_share,status,")) << c;
  EXPECT_EQ(std::count(c.begin(), c.end(), '\n'), 7) << c;
  const std::string h = read_file(html);
  EXPECT_TRUE(contains(h, "<!DOCTYPE html>"));
  EXPECT_TRUE(contains(h, "data-chart=\"sim-sweep-jct\""));
  EXPECT_FALSE(contains(h, "src=\"http"));
}

TEST(SweepCli, BadInputExitsTwo) {
  CliResult r = run({"sweep", kScenario});
  EXPECT_EQ(r.code, kExitBadInput);
  EXPECT_TRUE(contains(r.err, "at least one --sweep")) << r.err;
  r = run({"sweep", kScenario, "--sweep", "rules.no-such-rule.min_share=0.5"});
  EXPECT_EQ(r.code, kExitBadInput);
  EXPECT_TRUE(contains(r.err, "rules.no-such-rule.min_share: no [[rules]]")) << r.err;
  r = run({"sweep", kScenario, "--sweep", "seed=1,2", "--workdir", "x"});
  EXPECT_EQ(r.code, kExitBadInput);
  EXPECT_TRUE(contains(r.err, "go with --slurm")) << r.err;
  r = run({"sweep", (kSource / "tests" / "sweep").string() + "/no-such.toml", "--sweep", "seed=1"});
  EXPECT_EQ(r.code, kExitBadInput);
  r = run(
      {"sweep", (kSource / "data" / "accelerators" / "nvidia.toml").string(), "--sweep", "seed=1"});
  if (fs::exists(kSource / "data" / "accelerators" / "nvidia.toml")) {
    EXPECT_EQ(r.code, kExitBadInput);
    EXPECT_TRUE(contains(r.err, "neither a simulation scenario")) << r.err;
  }
}

TEST(SweepCli, PointCommandWritesWhatTheLocalRunPrints) {
  testing::TempDir dir;
  auto sweep = make_grid_sweep(kScenario, {kSource / "data"}, {{"simulation.until_hours", "20"}},
                               {{"scheduler.placement", {"first-fit", "best-fit", "hetero"}},
                                {"rules.domestic-share.min_share", {"0.3", "0.7"}}});
  ASSERT_TRUE(sweep) << sweep.error().message;
  std::ofstream(dir.path() / "manifest.json") << grid_manifest_json(*sweep).dump(2);
  std::vector<std::string> texts;
  for (std::size_t i = 0; i < grid_size(*sweep); ++i) {
    const CliResult r = run({"sweep", "point", dir.path().string(), "--index", std::to_string(i)});
    ASSERT_EQ(r.code, kExitOk) << r.all();
    texts.push_back(read_file(grid_point_file(dir.path(), i)));
  }
  // No temporary file is left behind.
  for (const auto& e : fs::directory_iterator(dir.path()))
    EXPECT_FALSE(contains(e.path().filename().string(), ".tmp")) << e.path();
  auto gathered = grid_result_from_texts(*sweep, texts);
  ASSERT_TRUE(gathered) << gathered.error().message;
  const CliResult local = run(with(kGrid, {"--json", "--quiet"}));
  ASSERT_EQ(local.code, kExitOk) << local.all();
  EXPECT_EQ(grid_sweep_json(*gathered).dump(2) + "\n", local.out);
  const CliResult missing = run({"sweep", "point", (dir.path() / "nope").string(), "--index", "0"});
  EXPECT_NE(missing.code, kExitOk);
  EXPECT_TRUE(contains(missing.err, "manifest.json")) << missing.err;
}

TEST(SweepCli, SlurmNotReachableFailsBeforeWritingAnything) {
  testing::TempDir dir;
  const fs::path workdir = dir.path() / "work";
  const char* old = std::getenv("SLURM_CONF");
  const std::string saved = old ? old : "";
  // A controller on a port nothing listens on: `scontrol ping` says DOWN at once.
  const fs::path conf = dir.write("slurm.conf",
                                  "ClusterName=nowhere\nSlurmctldHost=localhost(127.0.0.1)\n"
                                  "SlurmctldPort=1\n");
  ::setenv("SLURM_CONF", conf.c_str(), 1);
  const CliResult r =
      run({"sweep", kScenario, "--sweep", "seed=1,2", "--slurm", "--workdir", workdir.string()});
  if (old)
    ::setenv("SLURM_CONF", saved.c_str(), 1);
  else
    ::unsetenv("SLURM_CONF");
  EXPECT_NE(r.code, kExitOk) << r.all();
  EXPECT_TRUE(contains(r.err, "error: ")) << r.err;
  EXPECT_TRUE(contains(r.err, "Slurm") || contains(r.err, "scontrol")) << r.err;
  EXPECT_FALSE(fs::exists(workdir));
}

}  // namespace
}  // namespace suanli::app

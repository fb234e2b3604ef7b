// The map of the code, checked (docs/architecture.md draws it): every
// #include "<module>/…" in src/ goes to a module the including module may
// depend on, so the layering stays one-way; and no file of the repository
// cites a path outside it (the project stands alone: what it needs from
// elsewhere is copied in with its source named, or linked by URL).
#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "read_file.h"

namespace suanli {
namespace {

namespace fs = std::filesystem;
const fs::path kSource = SUANLI_SOURCE_DIR;

// Each module and the modules it may include (docs/architecture.md). util
// is the floor and vocab the words above it that sched, sim and plan share;
// sched and perf are peers that do not see each other, and so are plan and
// sched/sim (the grid sweep over both is the sweep layer above them); the
// store is used only by the front ends (service, app).
const std::map<std::string, std::set<std::string>>& allowed_deps() {
  static const std::map<std::string, std::set<std::string>> kDeps = {
      {"util", {}},
      {"vocab", {"util"}},
      {"catalog", {"util"}},
      {"compliance", {"util", "catalog"}},
      {"perf", {"util", "catalog", "compliance"}},
      {"sched", {"util", "vocab", "catalog"}},
      {"sim", {"util", "vocab", "catalog", "perf", "sched"}},
      {"plan", {"util", "vocab", "catalog", "perf"}},
      {"sweep", {"util", "vocab", "catalog", "perf", "sched", "sim", "plan"}},
      {"report", {"util", "vocab", "catalog", "compliance", "perf", "sched", "sim", "plan"}},
      {"store", {"util"}},
      {"service",
       {"util", "vocab", "catalog", "compliance", "perf", "sched", "sim", "plan", "report",
        "store"}},
      {"slurm",
       {"util", "vocab", "catalog", "compliance", "perf", "sched", "sim", "plan", "sweep",
        "service"}},
      {"app",
       {"util", "vocab", "catalog", "compliance", "perf", "sched", "sim", "plan", "sweep",
        "report", "store", "service", "slurm"}},
  };
  return kDeps;
}

using ::suanli::testing::read_file;

// The includes of one file that break the table: "file:line: includes
// <dep>/… (module <mod> may include …)". Unit tests beside the code may
// include anything (they test across layers on purpose).
std::vector<std::string> layering_violations(const std::string& module, const std::string& file,
                                             const std::string& text) {
  std::vector<std::string> out;
  const auto deps = allowed_deps().find(module);
  if (deps == allowed_deps().end()) return {file + ": module '" + module + "' is not in the table"};
  static const std::regex include(R"re(^\s*#\s*include\s+"([a-z_]+)/)re");
  std::istringstream lines(text);
  std::string line;
  for (int n = 1; std::getline(lines, line); ++n) {
    std::smatch m;
    if (!std::regex_search(line, m, include)) continue;
    const std::string dep = m[1];
    if (dep == module || deps->second.contains(dep)) continue;
    out.push_back(file + ":" + std::to_string(n) + ": includes " + dep + "/ (module " + module +
                  " may not depend on " + dep + ")");
  }
  return out;
}

TEST(RepositoryMap, TheCheckFindsAnUpwardInclude) {
  EXPECT_EQ(
      layering_violations("catalog", "src/catalog/x.h", "#include \"plan/planner.h\"\n").size(),
      1u);
  EXPECT_EQ(layering_violations("sched", "src/sched/x.cpp", "#include \"perf/train.h\"\n").size(),
            1u);
  EXPECT_TRUE(layering_violations("sweep", "src/sweep/x.cpp",
                                   "#include \"sim/simulation.h\"\n#include <vector>\n")
                  .empty());
  // The planner sees neither the scheduler nor the simulator.
  EXPECT_EQ(layering_violations("plan", "src/plan/x.cpp", "#include \"sim/simulation.h\"\n").size(),
            1u);
  EXPECT_EQ(layering_violations("brand-new", "src/brand-new/x.cpp", "").size(), 1u);
}

TEST(RepositoryMap, EveryIncludeFollowsTheLayering) {
  int files = 0;
  std::vector<std::string> bad;
  for (const auto& e : fs::recursive_directory_iterator(kSource / "src")) {
    if (!e.is_regular_file()) continue;
    const fs::path p = e.path();
    if (p.extension() != ".cpp" && p.extension() != ".h") continue;
    if (p.filename().string().ends_with("_test.cpp")) continue;
    const std::string module = fs::relative(p, kSource / "src").begin()->string();
    if (module == p.filename().string()) continue;  // a file directly in src/
    ++files;
    for (auto& v : layering_violations(module, fs::relative(p, kSource).string(), read_file(p)))
      bad.push_back(std::move(v));
  }
  EXPECT_GT(files, 100);
  for (const auto& v : bad) ADD_FAILURE() << v;
  std::printf("layering: %d source files, %zu upward includes\n", files, bad.size());
}

TEST(RepositoryMap, NoFileCitesAPathOutsideTheRepository) {
  // Built from parts so this file does not itself match: a sibling
  // checkout's folder, the workspace root, a Linux or macOS home.
  const std::string sibling = std::string(R"(\.\./)") + "sha" + "red" + R"(\b)";
  const std::string workspace = std::string("/wo") + "rk/(main|sha" + "red)" + R"(\b)";
  const std::string home = std::string("/ho") + "me/[a-z][a-z0-9_-]*/|/Us" + "ers/[A-Za-z]";
  const std::regex outside("(" + sibling + "|" + workspace + "|" + home + ")");
  const std::set<std::string> skip_dirs = {".git",       "node_modules", "build",
                                           "build-asan", "build-fuzz",   "artifacts"};
  int files = 0;
  std::vector<std::string> bad;
  for (auto it = fs::recursive_directory_iterator(kSource);
       it != fs::recursive_directory_iterator(); ++it) {
    const fs::path p = it->path();
    if (it->is_directory()) {
      const std::string name = p.filename().string();
      if (skip_dirs.contains(name) || name.starts_with("build")) it.disable_recursion_pending();
      continue;
    }
    if (!it->is_regular_file() || it->file_size() > 4'000'000) continue;
    const std::string ext = p.extension().string();
    static const std::set<std::string> text = {".cpp",   ".h",   ".md",  ".toml", ".txt",
                                               ".cmake", ".sh",  ".mjs", ".js",   ".json",
                                               ".html",  ".css", ".yml", ".yaml", ""};
    if (!text.contains(ext)) continue;
    ++files;
    const std::string body = read_file(p);
    std::smatch m;
    if (std::regex_search(body, m, outside))
      bad.push_back(fs::relative(p, kSource).string() + ": cites " + m[1].str());
  }
  EXPECT_GT(files, 200);
  for (const auto& v : bad) ADD_FAILURE() << v;
  std::printf("paths: %d text files, %zu citing a path outside the repository\n", files,
              bad.size());
}

}  // namespace
}  // namespace suanli

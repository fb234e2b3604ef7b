// Every input a fuzzer ever crashed on (fuzz/regressions/<target>/*) runs
// through the same target body in the normal and sanitizer test builds, so
// a fixed crash stays fixed. A crash shows as a sanitizer abort; the
// targets also abort on a broken contract (a 5xx or an error without JSON).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "fuzz/fuzz_targets.h"

namespace {

using Target = int (*)(const std::uint8_t*, std::size_t);

int replay(const std::string& name, Target target) {
  const auto dir = std::filesystem::path(SUANLI_SOURCE_DIR) / "fuzz" / "regressions" / name;
  int count = 0;
  if (!std::filesystem::exists(dir)) return 0;
  std::vector<std::filesystem::path> files;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    if (e.is_regular_file() && e.path().filename() != "README.md") files.push_back(e.path());
  }
  std::sort(files.begin(), files.end());
  for (const auto& f : files) {
    std::ifstream in(f, std::ios::binary);
    const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    EXPECT_EQ(target(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size()), 0) << f;
    ++count;
  }
  return count;
}

TEST(FuzzRegressions, ScenarioParser) {
  const int n = replay("scenario_parser", suanli::fuzz::scenario_parser);
  std::cout << "[ fuzz ] replayed " << n << " scenario-parser inputs\n";
  EXPECT_GT(n, 0) << "fuzz/regressions/scenario_parser holds the saved inputs";
}

TEST(FuzzRegressions, TraceCsv) {
  const int n = replay("trace_csv", suanli::fuzz::trace_csv);
  std::cout << "[ fuzz ] replayed " << n << " trace-CSV inputs\n";
  EXPECT_GT(n, 0);
}

TEST(FuzzRegressions, ApiRequest) {
  const int n = replay("api_request", suanli::fuzz::api_request);
  std::cout << "[ fuzz ] replayed " << n << " API-request inputs\n";
  EXPECT_GT(n, 0);
}

TEST(FuzzRegressions, HttpRequest) {
  const int n = replay("http_request", suanli::fuzz::http_request);
  std::cout << "[ fuzz ] replayed " << n << " raw HTTP inputs\n";
  EXPECT_GT(n, 0);
}

}  // namespace

#include "util/share_dir.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

namespace suanli {
namespace {

namespace fs = std::filesystem;

struct TempTree {
  fs::path root = fs::temp_directory_path() / ("suanli-share-" + std::to_string(::getpid()));
  TempTree() { fs::create_directories(root); }
  ~TempTree() { fs::remove_all(root); }
};

TEST(ShareDir, AnInstalledBinaryUsesItsPrefixShareFolder) {
  TempTree t;
  fs::create_directories(t.root / "bin");
  std::ofstream(t.root / "bin" / "suanli") << "";
  // No share/suanli/data yet: not an installed layout.
  EXPECT_TRUE(installed_share_dir(t.root / "bin" / "suanli").empty());
  fs::create_directories(t.root / "share" / "suanli" / "data");
  EXPECT_EQ(installed_share_dir(t.root / "bin" / "suanli"), t.root / "share" / "suanli");
  EXPECT_TRUE(installed_share_dir({}).empty());
}

TEST(ShareDir, TheVariableOverridesAndTheSourceTreeIsTheFallback) {
  const char* before = std::getenv("SUANLI_SHARE_DIR");
  const std::string saved = before ? before : "";
  ::setenv("SUANLI_SHARE_DIR", "/somewhere/else", 1);
  EXPECT_EQ(share_dir(), fs::path("/somewhere/else"));
  EXPECT_EQ(bundled_data_dir(), fs::path("/somewhere/else/data"));
  ::unsetenv("SUANLI_SHARE_DIR");
  // The test binary is not installed: the compiled-in source tree.
  EXPECT_EQ(share_dir(), fs::path(SUANLI_DEFAULT_SHARE_DIR));
  EXPECT_TRUE(fs::is_directory(bundled_data_dir() / "accelerators"));
  if (before) ::setenv("SUANLI_SHARE_DIR", saved.c_str(), 1);
}

}  // namespace
}  // namespace suanli

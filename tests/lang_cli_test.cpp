// The CLI in Chinese (--lang zh, $SUANLI_LANG): headers and sentences come
// from data/i18n/zh.toml, every figure is the same as in English, chip and
// model IDs are unchanged, and a bad language is a clear error.
#include <gtest/gtest.h>

#include <cstdlib>
#include <regex>
#include <string>
#include <vector>

#include "cli_run.h"

namespace suanli::app {
namespace {

// The numbers of the table's rows (lines starting with a chip ID), in
// order ("75.8k", "1.00", "53.8"): what must not change with the language
// (sentences may order their figures differently).
std::vector<std::string> figures(const std::string& text) {
  static const std::regex number(R"(\d+(?:[.,]\d+)*[kMGT]?)");
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start < text.size()) {
    const std::size_t end = std::min(text.find('\n', start), text.size());
    const std::string line = text.substr(start, end - start);
    if (line.rfind("h200-sxm ", 0) == 0 || line.rfind("ascend-910c ", 0) == 0)
      for (auto it = std::sregex_iterator(line.begin(), line.end(), number);
           it != std::sregex_iterator(); ++it)
        out.push_back(it->str());
    start = end + 1;
  }
  return out;
}

TEST(LangCli, CompareInChineseHasChineseHeadersAndTheSameFigures) {
  const std::vector<std::string> args = {"compare",   "train",  "--model",  "llama3-70b",
                                         "--accels",  "h200-sxm,ascend-910c", "--devices",
                                         "64",        "--tokens", "1e12"};
  const CliResult en = run(args);
  std::vector<std::string> zh_args = {"--lang", "zh"};
  zh_args.insert(zh_args.end(), args.begin(), args.end());
  const CliResult zh = run(zh_args);
  ASSERT_EQ(en.code, 0) << en.all();
  ASSERT_EQ(zh.code, 0) << zh.all();
  EXPECT_NE(en.out.find("accelerator"), std::string::npos);
  EXPECT_NE(zh.out.find("加速器"), std::string::npos) << zh.out;
  EXPECT_NE(zh.out.find("性价比"), std::string::npos) << zh.out;
  EXPECT_NE(zh.out.find("训练 llama3-70b"), std::string::npos) << zh.out;
  EXPECT_EQ(zh.out.find("cost-perf"), std::string::npos) << zh.out;
  EXPECT_NE(zh.out.find("ascend-910c"), std::string::npos);  // IDs as they are
  EXPECT_GT(figures(en.out).size(), 20U);
  EXPECT_EQ(figures(en.out), figures(zh.out));
}

TEST(LangCli, EstimateLabelsInChinese) {
  const CliResult zh = run({"--lang", "zh", "estimate", "train", "--model", "llama3-8b", "--accel",
                            "h20", "--devices", "8", "--tokens", "1e11"});
  ASSERT_EQ(zh.code, 0) << zh.all();
  EXPECT_EQ(zh.out.rfind("训练 llama3-8b", 0), 0U) << zh.out;
  for (const char* label : {"并行方式", "单步耗时", "显存", "单步构成", "训练总量", "有效训练率",
                            "成本口径", "集合通信", "区间"})
    EXPECT_NE(zh.out.find(std::string("\n") + label), std::string::npos) << label << "\n" << zh.out;
}

TEST(LangCli, EnvironmentSetsTheLanguageAndABadOneIsRefused) {
  ::setenv("SUANLI_LANG", "zh_CN.UTF-8", 1);
  const CliResult zh = run({"classify", "h20"});
  ::setenv("SUANLI_LANG", "klingon", 1);
  const CliResult bad = run({"classify", "h20"});
  ::unsetenv("SUANLI_LANG");
  EXPECT_EQ(zh.code, 0) << zh.all();
  EXPECT_NE(zh.out.find("产地"), std::string::npos) << zh.out;
  EXPECT_EQ(bad.code, kExitBadInput);
  EXPECT_NE(bad.err.find("SUANLI_LANG: unknown language 'klingon': expected one of en, zh"),
            std::string::npos)
      << bad.err;
  const CliResult flag = run({"--lang", "fr", "classify", "h20"});
  EXPECT_EQ(flag.code, kExitBadInput);
  EXPECT_NE(flag.err.find("--lang: unknown language 'fr'"), std::string::npos) << flag.err;
}

}  // namespace
}  // namespace suanli::app

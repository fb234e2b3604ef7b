#include "util/messages.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <set>

#include "util/share_dir.h"

namespace suanli {
namespace {

TEST(MessagesTest, LanguagesParseFromFlagsAndLocaleSpellings) {
  for (const char* zh : {"zh", "ZH", "zh_CN", "zh-CN", "zh_CN.UTF-8", "zh-Hans"})
    EXPECT_EQ(parse_lang(zh).value_or(Lang::kEn), Lang::kZh) << zh;
  for (const char* en : {"en", "EN", "en_US.UTF-8", "C", "POSIX"})
    EXPECT_EQ(parse_lang(en).value_or(Lang::kZh), Lang::kEn) << en;
  const auto bad = parse_lang("fr");
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("expected one of en, zh"), std::string::npos);
}

TEST(MessagesTest, FlagWinsOverTheEnvironment) {
  ::setenv("SUANLI_LANG", "zh_CN.UTF-8", 1);
  EXPECT_EQ(resolve_lang("").value_or(Lang::kEn), Lang::kZh);
  EXPECT_EQ(resolve_lang("en").value_or(Lang::kZh), Lang::kEn);
  ::setenv("SUANLI_LANG", "klingon", 1);
  const auto bad = resolve_lang("");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().message.rfind("SUANLI_LANG: ", 0), 0U) << bad.error().message;
  ::unsetenv("SUANLI_LANG");
  EXPECT_EQ(resolve_lang("").value_or(Lang::kZh), Lang::kEn);
}

TEST(MessagesTest, TranslatesAndFillsNamedFieldsInTheTranslationsOrder) {
  const auto m = Messages::parse(Lang::kZh, R"(
[language]
code = "zh"
name = "简体中文"
[report]
"Plan" = "方案"
"{n} of {total} jobs finished" = "{total} 个作业中完成 {n} 个"
)",
                                 "zh.toml");
  ASSERT_TRUE(m) << m.error().message;
  EXPECT_EQ(m->name(), "简体中文");
  EXPECT_EQ(m->tr("Plan"), "方案");
  EXPECT_EQ(m->tr("Not in the catalog"), "Not in the catalog");
  EXPECT_EQ(m->trf("{n} of {total} jobs finished", fmt::arg("n", 3), fmt::arg("total", 5)),
            "5 个作业中完成 3 个");
  // A call that forgets a field gets the bare text, not an exception.
  EXPECT_EQ(m->trf("{n} of {total} jobs finished", fmt::arg("n", 3)), "{n} of {total} jobs finished");
  EXPECT_EQ(m->table("report").size(), 2U);
  EXPECT_TRUE(m->table("dashboard").empty());
  const Messages english;
  EXPECT_EQ(english.trf("{n} of {total} jobs finished", fmt::arg("n", 3), fmt::arg("total", 5)),
            "3 of 5 jobs finished");
}

TEST(MessagesTest, RefusesTranslationsThatLoseOrInventFields) {
  const auto lost = Messages::parse(Lang::kZh, "[report]\n\"{n} devices\" = \"设备\"\n", "zh.toml");
  ASSERT_FALSE(lost);
  EXPECT_NE(lost.error().message.find("zh.toml:2"), std::string::npos) << lost.error().message;
  EXPECT_NE(lost.error().message.find("placeholders"), std::string::npos);
  EXPECT_FALSE(Messages::parse(Lang::kZh, "[cli]\n\"devices\" = \"{n} 台\"\n", "zh.toml"));
  EXPECT_FALSE(Messages::parse(Lang::kZh, "[cli]\n\"devices\" = 3\n", "zh.toml"));
  EXPECT_FALSE(Messages::parse(Lang::kZh, "[reprot]\n\"a\" = \"b\"\n", "zh.toml"));  // typo
  EXPECT_FALSE(Messages::parse(Lang::kZh, "[language]\ncode = \"en\"\nname = \"x\"\n", "zh.toml"));
  // One English text, one translation everywhere.
  const auto twice = Messages::parse(
      Lang::kZh, "[report]\n\"Plan\" = \"方案\"\n[dashboard]\n\"Plan\" = \"计划\"\n", "zh.toml");
  ASSERT_FALSE(twice);
  EXPECT_NE(twice.error().message.find("[report]"), std::string::npos) << twice.error().message;
  EXPECT_TRUE(Messages::parse(Lang::kZh, "[report]\n\"Plan\" = \"方案\"\n[dashboard]\n\"Plan\" = \"方案\"\n",
                              "zh.toml"));
}

TEST(MessagesTest, FieldsIgnoreEscapedBracesAndFormatSpecs) {
  EXPECT_EQ(message_fields("{a} {{literal}} {b:.1f} {a}"), (std::vector<std::string>{"a", "b"}));
  EXPECT_TRUE(message_fields("no fields").empty());
}

// The bundled Chinese catalog loads, names itself, and translates into
// Chinese: every translation holds a CJK character or full-width
// punctuation, or no English word of four letters or more ("token/s",
// "MFU"): a translation left in English would otherwise pass silently.
TEST(MessagesTest, TheBundledChineseCatalogLoadsAndIsChinese) {
  const auto m = Messages::load(Lang::kZh, bundled_data_dir());
  ASSERT_TRUE(m) << m.error().message;
  EXPECT_EQ(m->name(), "简体中文");
  EXPECT_GT(m->entries().size(), 300U);
  for (const auto& [english, translated] : m->entries()) {
    bool cjk = false;
    for (std::size_t i = 0; i + 2 < translated.size(); ++i) {
      const auto c = static_cast<unsigned char>(translated[i]);
      // U+3000..U+9FFF (CJK punctuation, ideographs), U+F000..U+FFFF (full-width forms)
      if ((c >= 0xE3 && c <= 0xE9) || c == 0xEF) cjk = true;
    }
    std::string outside;  // the translation without its {fields}
    int depth = 0;
    for (char ch : translated) {
      depth += ch == '{' ? 1 : ch == '}' ? -1 : 0;
      if (depth == 0 && ch != '}') outside += ch;
    }
    int run = 0, longest = 0;
    for (char ch : outside) {
      run = ch >= 'a' && ch <= 'z' ? run + 1 : 0;
      longest = std::max(longest, run);
    }
    EXPECT_TRUE(cjk || longest < 4 || outside.find("token") != std::string::npos)
        << english << " -> " << translated;
  }
}

}  // namespace
}  // namespace suanli

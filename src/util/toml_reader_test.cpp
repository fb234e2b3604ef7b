// TomlView: typed access with "file:line: path.key: expected …" errors.
#include "util/toml_reader.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <regex>
#include <string>

#include "contains.h"
#include "temp_dir.h"

namespace suanli {
namespace {

namespace fs = std::filesystem;

using ::suanli::testing::contains;

// A fresh temporary directory removed when the test ends.
using testing::TempDir;

// Line numbers below are 1-based lines of this text.
constexpr const char* kDoc =
    "name = \"h200\"\n"         // 1
    "count = 8\n"               // 2
    "ratio = 0.75\n"            // 3
    "whole = 3.0\n"             // 4
    "flag = true\n"             // 5
    "zero = 0\n"                // 6
    "negative = -4\n"           // 7
    "[figures]\n"               // 8
    "memory_gb = \"141 GB\"\n"  // 9
    "tdp_w = 700\n";            // 10

class TomlViewTest : public ::testing::Test {
 protected:
  void SetUp() override {
    file_ = dir_.write("doc.toml", kDoc);
    auto parsed = parse_toml_file(file_);
    ASSERT_TRUE(parsed.has_value()) << parsed.error().message;
    table_ = std::move(*parsed);
  }
  TomlView root() const { return TomlView(table_, file_.string(), "accelerator"); }

  TempDir dir_;
  fs::path file_;
  toml::table table_;
};

TEST_F(TomlViewTest, ReadsTypedValues) {
  const TomlView v = root();
  auto s = v.string("name");
  ASSERT_TRUE(s.has_value());
  ASSERT_TRUE(s->has_value());
  EXPECT_EQ(**s, "h200");
  auto n = v.number("ratio");
  ASSERT_TRUE(n.has_value() && n->has_value());
  EXPECT_DOUBLE_EQ(**n, 0.75);
  auto ni = v.number("count");  // integers are numbers too
  ASSERT_TRUE(ni.has_value() && ni->has_value());
  EXPECT_DOUBLE_EQ(**ni, 8.0);
  auto i = v.integer("count");
  ASSERT_TRUE(i.has_value() && i->has_value());
  EXPECT_EQ(**i, 8);
  auto w = v.integer("whole");  // 3.0 is an integral float
  ASSERT_TRUE(w.has_value() && w->has_value());
  EXPECT_EQ(**w, 3);
  auto b = v.boolean("flag");
  ASSERT_TRUE(b.has_value() && b->has_value());
  EXPECT_TRUE(**b);
}

TEST_F(TomlViewTest, AbsentKeysAreNulloptNotErrors) {
  const TomlView v = root();
  auto s = v.string("missing");
  ASSERT_TRUE(s.has_value());
  EXPECT_FALSE(s->has_value());
  auto n = v.number("missing");
  ASSERT_TRUE(n.has_value());
  EXPECT_FALSE(n->has_value());
  auto t = v.subtable("missing");
  ASSERT_TRUE(t.has_value());
  EXPECT_FALSE(t->has_value());
  EXPECT_FALSE(v.has("missing"));
  EXPECT_TRUE(v.has("name"));
}

TEST_F(TomlViewTest, WrongTypeErrorsNameFileLineKeyAndExpectation) {
  const TomlView v = root();
  const std::string f = file_.string();
  auto n = v.number("name");
  ASSERT_FALSE(n.has_value());
  EXPECT_EQ(n.error().code, ErrorCode::kParse);
  EXPECT_TRUE(contains(n.error().message, f + ":1: accelerator.name: expected a number"))
      << n.error().message;

  auto s = v.string("count");
  ASSERT_FALSE(s.has_value());
  EXPECT_TRUE(contains(s.error().message, f + ":2: accelerator.count: expected a string"))
      << s.error().message;

  auto i = v.integer("ratio");
  ASSERT_FALSE(i.has_value());
  EXPECT_TRUE(contains(i.error().message, f + ":3: accelerator.ratio: expected an integer"))
      << i.error().message;

  auto b = v.boolean("count");
  ASSERT_FALSE(b.has_value());
  EXPECT_TRUE(contains(b.error().message, f + ":2: accelerator.count: expected"))
      << b.error().message;

  auto t = v.subtable("name");
  ASSERT_FALSE(t.has_value());
  EXPECT_TRUE(contains(t.error().message, f + ":1: accelerator.name: expected a table"))
      << t.error().message;
}

TEST_F(TomlViewTest, SubtablePathsAreDotted) {
  const TomlView v = root();
  auto figs = v.subtable("figures");
  ASSERT_TRUE(figs.has_value() && figs->has_value());
  const TomlView& f = **figs;
  EXPECT_EQ(f.path(), "accelerator.figures");
  EXPECT_EQ(f.file(), file_.string());
  auto mem = f.number("memory_gb");
  ASSERT_FALSE(mem.has_value());
  EXPECT_TRUE(contains(mem.error().message,
                       file_.string() + ":9: accelerator.figures.memory_gb: expected a number"))
      << mem.error().message;
  auto tdp = f.number("tdp_w");
  ASSERT_TRUE(tdp.has_value() && tdp->has_value());
  EXPECT_DOUBLE_EQ(**tdp, 700.0);
  EXPECT_EQ(f.where("tdp_w"), file_.string() + ":10");
}

TEST_F(TomlViewTest, RequiredKeys) {
  const TomlView v = root();
  auto s = v.required_string("name");
  ASSERT_TRUE(s.has_value());
  EXPECT_EQ(*s, "h200");
  auto missing = v.required_number("nope");
  ASSERT_FALSE(missing.has_value());
  EXPECT_TRUE(contains(missing.error().message, "accelerator.nope")) << missing.error().message;
  EXPECT_TRUE(contains(missing.error().message, "expected a number")) << missing.error().message;
  EXPECT_TRUE(contains(missing.error().message, file_.string())) << missing.error().message;
  auto mi = v.required_integer("nope");
  ASSERT_FALSE(mi.has_value());
  EXPECT_TRUE(contains(mi.error().message, "expected an integer")) << mi.error().message;
  auto ms = v.required_string("count");
  ASSERT_FALSE(ms.has_value());
  EXPECT_TRUE(contains(ms.error().message, "expected a string")) << ms.error().message;
}

TEST_F(TomlViewTest, PositiveInteger) {
  const TomlView v = root();
  auto ok = v.positive_integer("count");
  ASSERT_TRUE(ok.has_value() && ok->has_value());
  EXPECT_EQ(**ok, 8);
  auto z = v.positive_integer("zero");
  ASSERT_FALSE(z.has_value());
  EXPECT_TRUE(contains(z.error().message, file_.string() + ":6: accelerator.zero: expected"))
      << z.error().message;
  auto neg = v.positive_integer("negative");
  ASSERT_FALSE(neg.has_value());
  EXPECT_TRUE(contains(neg.error().message, "accelerator.negative")) << neg.error().message;
  auto absent = v.positive_integer("missing");
  ASSERT_TRUE(absent.has_value());
  EXPECT_FALSE(absent->has_value());
}

// finish() refuses the keys nothing read; copies of a view share the
// record, and a key asked for counts whether present or not.
TEST_F(TomlViewTest, FinishRejectsTheKeysNothingRead) {
  const TomlView v = root();
  ASSERT_TRUE(v.string("name"));
  const TomlView copy = v;
  ASSERT_TRUE(copy.integer("count"));
  ASSERT_TRUE(v.number("ratio"));
  ASSERT_TRUE(v.number("whole"));
  ASSERT_TRUE(v.boolean("flag"));
  ASSERT_TRUE(v.integer("zero"));
  ASSERT_TRUE(v.subtable("figures"));
  ASSERT_TRUE(v.number("absent"));
  auto typo = v.finish();
  ASSERT_FALSE(typo.has_value());
  EXPECT_EQ(typo.error().code, ErrorCode::kParse);
  EXPECT_EQ(typo.error().message,
            file_.string() +
                ":7: accelerator.negative: unknown key (expected one of: name, count, ratio, "
                "whole, flag, zero, figures, absent)");
  v.accept({"negative"});
  EXPECT_TRUE(v.finish().has_value());
}

// typo(): a present key nothing read that looks like one asked for and
// absent, for a loader that failed before finish().
TEST_F(TomlViewTest, TypoNamesAPresentKeyLikeAnAbsentOneAskedFor) {
  const TomlView v = root();
  EXPECT_FALSE(v.typo().has_value());
  ASSERT_TRUE(v.integer("counts"));  // absent; "count" is there, unread
  const auto t = v.typo();
  ASSERT_TRUE(t.has_value());
  EXPECT_EQ(t->message, file_.string() + ":2: accelerator.count: unknown key (did you mean 'counts'?)");
  ASSERT_TRUE(v.integer("count"));
  EXPECT_FALSE(v.typo().has_value());
}

// A required key that is missing names the unread key it looks like.
TEST_F(TomlViewTest, AMissingRequiredKeyNamesALookAlike) {
  const TomlView v = root();
  auto r = v.required_integer("negativ");
  ASSERT_FALSE(r.has_value());
  EXPECT_TRUE(contains(r.error().message,
                       "required key is missing (expected an integer); did you mean 'negative'?"))
      << r.error().message;
  ASSERT_TRUE(v.integer("negative"));
  r = v.required_integer("negativ");  // read now: no longer a candidate
  ASSERT_FALSE(r.has_value());
  EXPECT_FALSE(contains(r.error().message, "did you mean")) << r.error().message;
}

TEST_F(TomlViewTest, ErrorWithEmptyPath) {
  const TomlView top(table_, file_.string(), "");
  const Error e = top.error("count", "expected something");
  EXPECT_EQ(e.code, ErrorCode::kParse);
  EXPECT_EQ(e.message, file_.string() + ":2: count: expected something");
}

TEST(ParseTomlFile, MissingFileIsIoError) {
  TempDir dir;
  auto r = parse_toml_file(dir.path() / "does-not-exist.toml");
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, ErrorCode::kIo);
  EXPECT_TRUE(contains(r.error().message, "does-not-exist.toml")) << r.error().message;
}

TEST(ParseTomlFile, SyntaxErrorGivesFileLineColumn) {
  TempDir dir;
  const fs::path p = dir.write("bad.toml", "a = 1\nb = 2\nc = = 3\n");
  auto r = parse_toml_file(p);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, ErrorCode::kParse);
  const std::string& msg = r.error().message;
  ASSERT_TRUE(contains(msg, p.string() + ":")) << msg;
  const std::string rest = msg.substr(msg.find(p.string()) + p.string().size());
  EXPECT_TRUE(std::regex_search(rest, std::regex("^:3:[0-9]+: "))) << msg;
}

}  // namespace
}  // namespace suanli

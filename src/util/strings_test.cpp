// String helpers (edit distance, "did you mean" suggestions, join/split)
// and the UTF-8 aware text table.
#include "util/strings.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "contains.h"
#include "util/table.h"

namespace suanli {
namespace {

using ::suanli::testing::contains;

bool has(const std::vector<std::string>& v, const std::string& x) {
  return std::find(v.begin(), v.end(), x) != v.end();
}

TEST(EditDistance, ClassicExamples) {
  EXPECT_EQ(edit_distance("", ""), 0);
  EXPECT_EQ(edit_distance("abc", ""), 3);
  EXPECT_EQ(edit_distance("", "abcd"), 4);
  EXPECT_EQ(edit_distance("kitten", "sitting"), 3);
  EXPECT_EQ(edit_distance("flaw", "lawn"), 2);
  EXPECT_EQ(edit_distance("h200-sxm", "h200-sxm"), 0);
  EXPECT_EQ(edit_distance("h100-sxm", "h200-sxm"), 1);
}

TEST(EditDistance, IsSymmetricAndCaseInsensitive) {
  EXPECT_EQ(edit_distance("Ascend-910B", "ascend-910b"), 0);
  EXPECT_EQ(edit_distance("MLU590", "mlu690"), 1);
  EXPECT_EQ(edit_distance("llama3-8b", "llama3-70b"), edit_distance("llama3-70b", "llama3-8b"));
}

TEST(ClosestMatches, FindsNearIdsBestFirst) {
  const std::vector<std::string> ids = {"h200-sxm",     "h100-sxm", "h20",
                                        "a100-sxm-80g", "b200",     "ascend-910b"};
  const auto m = closest_matches("h100-sxn", ids);
  ASSERT_FALSE(m.empty());
  EXPECT_EQ(m.front(), "h100-sxm");
  EXPECT_LE(m.size(), 3u);

  const auto h = closest_matches("h2000", ids);
  ASSERT_FALSE(h.empty());
  EXPECT_TRUE(has(h, "h20") || has(h, "h200-sxm"));
}

TEST(ClosestMatches, SubstringCountsAsClose) {
  const std::vector<std::string> ids = {"ascend-910b", "ascend-910c", "mlu590"};
  const auto m = closest_matches("910c", ids);
  ASSERT_FALSE(m.empty());
  EXPECT_EQ(m.front(), "ascend-910c");
}

TEST(ClosestMatches, RespectsLimitAndRejectsFarQueries) {
  const std::vector<std::string> ids = {"aa1", "aa2", "aa3", "aa4", "aa5"};
  EXPECT_EQ(closest_matches("aa", ids, 2).size(), 2u);
  EXPECT_TRUE(closest_matches("completely-different-name", ids).empty());
}

TEST(UnknownIdMessage, NamesTheCloseCandidate) {
  const std::vector<std::string> ids = {"h200-sxm", "h20", "a100-sxm-80g"};
  const std::string msg = unknown_id_message("accelerator", "h2000", ids);
  EXPECT_TRUE(contains(msg, "accelerator")) << msg;
  EXPECT_TRUE(contains(msg, "'h2000'")) << msg;
  EXPECT_TRUE(contains(msg, "did you mean")) << msg;
  EXPECT_TRUE(contains(msg, "h20")) << msg;
}

TEST(UnknownIdMessage, WithoutCloseCandidateDoesNotGuess) {
  const std::vector<std::string> ids = {"h200-sxm", "h20"};
  const std::string msg = unknown_id_message("model", "zzzzzzzzzzzzzzzz", ids);
  EXPECT_TRUE(contains(msg, "unknown model")) << msg;
  EXPECT_FALSE(contains(msg, "did you mean")) << msg;
}

TEST(JoinSplit, RoundTrip) {
  EXPECT_EQ(join({}, ", "), "");
  EXPECT_EQ(join({"a"}, ", "), "a");
  EXPECT_EQ(join({"a", "b", "c"}, ", "), "a, b, c");
  const auto parts = split("h200-sxm,h20,,b200", ',');
  ASSERT_EQ(parts.size(), 4u);
  EXPECT_EQ(parts[0], "h200-sxm");
  EXPECT_EQ(parts[1], "h20");
  EXPECT_EQ(parts[2], "");
  EXPECT_EQ(parts[3], "b200");
  EXPECT_EQ(join(parts, ","), "h200-sxm,h20,,b200");
  const auto one = split("abc", ',');
  ASSERT_EQ(one.size(), 1u);
  EXPECT_EQ(one[0], "abc");
  const auto trailing = split("a,", ',');
  ASSERT_EQ(trailing.size(), 2u);
  EXPECT_EQ(trailing[1], "");
}

TEST(ToLower, AsciiOnly) {
  EXPECT_EQ(to_lower("H200-SXM"), "h200-sxm");
  EXPECT_EQ(to_lower("Ascend 910C"), "ascend 910c");
  EXPECT_EQ(to_lower(""), "");
}

TEST(DisplayWidth, CjkIsTwoColumns) {
  EXPECT_EQ(display_width("abc"), 3u);
  EXPECT_EQ(display_width("算力"), 4u);
  EXPECT_EQ(display_width("a算b"), 4u);
  EXPECT_EQ(display_width(""), 0u);
}

TEST(TextTable, AlignsColumns) {
  TextTable t({"id", "n"});
  t.set_right_aligned({1});
  t.add_row({"h20", "8"});
  t.add_row({"ascend-910c", "384"});
  const std::string out = t.render();
  EXPECT_TRUE(contains(out, "ascend-910c")) << out;
  EXPECT_TRUE(contains(out, "384")) << out;
  // Right alignment: the short number is padded on the left to the width of
  // the longest one, so "  8" appears.
  EXPECT_TRUE(contains(out, "  8")) << out;
  // Every data line has the same display width.
  std::vector<std::size_t> widths;
  std::size_t start = 0;
  while (start < out.size()) {
    const auto end = out.find('\n', start);
    const std::string line = out.substr(start, end == std::string::npos ? end : end - start);
    if (contains(line, "h20") || contains(line, "ascend-910c")) {
      std::string trimmed = line;
      while (!trimmed.empty() && trimmed.back() == ' ') trimmed.pop_back();
      widths.push_back(display_width(trimmed));
    }
    if (end == std::string::npos) break;
    start = end + 1;
  }
  ASSERT_EQ(widths.size(), 2u) << out;
  EXPECT_EQ(widths[0], widths[1]) << out;
}

}  // namespace
}  // namespace suanli

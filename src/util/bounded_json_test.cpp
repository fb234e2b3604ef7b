// The bounded JSON parser refuses what would hurt a recursive consumer
// (depth, value count, size), repeated keys and overflowing numbers, and
// its messages stay valid, short UTF-8 whatever bytes it was given.
#include "util/bounded_json.h"

#include <gtest/gtest.h>

#include <string>

#include "util/strings.h"

namespace suanli {
namespace {

std::string nested(int depth) {
  return "{\"x\":" + std::string(depth, '[') + std::string(depth, ']') + "}";
}

TEST(BoundedJson, ParsesOrdinaryDocuments) {
  auto j = parse_bounded_json(R"({"a": [1, 2.5, "x", null, true, {"b": {}}], "c": -3})", "body");
  ASSERT_TRUE(j.has_value()) << j.error().message;
  EXPECT_EQ((*j)["a"][5]["b"], nlohmann::json::object());
  EXPECT_EQ((*j)["c"], -3);
  EXPECT_EQ((*j)["a"].size(), 6u);
}

TEST(BoundedJson, RefusesDeepNestingWithoutRecursion) {
  // 100,000 levels: the C1 reproduction (a recursive dump() died on it).
  auto j = parse_bounded_json(nested(100000), "body");
  ASSERT_FALSE(j.has_value());
  EXPECT_EQ(j.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(j.error().message.find("nested deeper than 64"), std::string::npos)
      << j.error().message;
  // At the limit it parses: the root object is level 1, each '[' one more.
  EXPECT_TRUE(parse_bounded_json(nested(63), "body").has_value());
  EXPECT_FALSE(parse_bounded_json(nested(64), "body").has_value());
}

TEST(BoundedJson, RefusesRepeatedKeysOverflowAndSize) {
  auto dup = parse_bounded_json(R"({"devices": 8, "devices": 1})", "body");
  ASSERT_FALSE(dup.has_value());
  EXPECT_NE(dup.error().message.find("\"devices\" repeated"), std::string::npos)
      << dup.error().message;
  // Repeated spelled differently ("\u0064" is "d") is still repeated.
  EXPECT_FALSE(parse_bounded_json(R"({"d": 1, "\u0064": 2})", "body").has_value());
  // The same key in two different objects is fine.
  EXPECT_TRUE(parse_bounded_json(R"({"a": {"k": 1}, "b": {"k": 2}})", "body").has_value());

  auto big = parse_bounded_json(R"({"hours": 1e400})", "body");
  ASSERT_FALSE(big.has_value());
  EXPECT_NE(big.error().message.find("overflow"), std::string::npos) << big.error().message;

  JsonLimits small;
  small.max_bytes = 10;
  EXPECT_FALSE(parse_bounded_json(R"({"a": "0123456789"})", "body", small).has_value());
  small = {};
  small.max_values = 4;
  EXPECT_FALSE(parse_bounded_json("[1,2,3,4,5]", "body", small).has_value());
  EXPECT_TRUE(parse_bounded_json("[1,2,3]", "body", small).has_value());
}

TEST(BoundedJson, MalformedInputGivesASafeMessage) {
  // Invalid UTF-8 inside a string, and raw binary after it.
  const std::string bad = "{\"name\": \"\xff\xfe\x80\", \"x\": \x01\x02}";
  auto j = parse_bounded_json(bad, "body");
  ASSERT_FALSE(j.has_value());
  EXPECT_EQ(j.error().code, ErrorCode::kParse);
  EXPECT_TRUE(is_valid_utf8(j.error().message)) << j.error().message;
  EXPECT_LT(j.error().message.size(), 260u);
  EXPECT_EQ(j.error().message.rfind("body: malformed JSON at byte", 0), 0u) << j.error().message;
  EXPECT_NO_THROW((void)nlohmann::json(j.error().message).dump());
}

TEST(Utf8, ValidityAndRepair) {
  EXPECT_TRUE(is_valid_utf8("plain"));
  EXPECT_TRUE(is_valid_utf8("算力 ＣＮ"));
  EXPECT_FALSE(is_valid_utf8("\xC0\xAF"));          // overlong '/'
  EXPECT_FALSE(is_valid_utf8("\xED\xA0\x80"));      // a surrogate
  EXPECT_FALSE(is_valid_utf8("\xF4\x90\x80\x80"));  // past U+10FFFF
  EXPECT_FALSE(is_valid_utf8("abc\xE5\x8A"));       // cut short
  EXPECT_EQ(valid_utf8("a\xFF" "b"), "a\xEF\xBF\xBD" "b");
  EXPECT_EQ(valid_utf8("算力"), "算力");
  EXPECT_EQ(escaped_excerpt("a\x01\xFFz", 100), "a\\x01\\xFFz");
  EXPECT_EQ(escaped_excerpt("abcdefgh", 4), "abcd...");
  EXPECT_EQ(quoted_excerpt("k", 10), "\"k\"");
}

}  // namespace
}  // namespace suanli

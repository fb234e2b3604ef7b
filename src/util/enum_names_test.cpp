// One message for unknown names, with a suggestion only when a typo is
// likely.
#include "util/enum_names.h"

#include <gtest/gtest.h>

namespace suanli {
namespace {

enum class Fruit { kApple, kBanana, kCherry };
constexpr EnumNames<Fruit, 3> kFruits{{
    {Fruit::kApple, "apple"}, {Fruit::kBanana, "banana"}, {Fruit::kCherry, "cherry-red"}}};

TEST(EnumNames, ParsesNamesAndSuggestsTheClosest) {
  EXPECT_EQ(*parse_enum(kFruits, "banana", "fruit"), Fruit::kBanana);
  auto typo = parse_enum(kFruits, "bananna", "fruit");
  ASSERT_FALSE(typo.has_value());
  EXPECT_EQ(typo.error().message,
            "unknown fruit 'bananna' (expected one of: apple, banana, cherry-red; did you mean "
            "'banana'?)");
  // Case, '_' for '-', and a prefix of three letters or more are typos too.
  const std::array<std::string_view, 3> names{"apple", "banana", "cherry-red"};
  EXPECT_EQ(closest_name(names, "Cherry_Red"), "cherry-red");
  EXPECT_EQ(closest_name(names, "che"), "cherry-red");
  // Far from every name: no suggestion.
  EXPECT_FALSE(closest_name(names, "kiwi").has_value());
  EXPECT_EQ(parse_enum(kFruits, "kiwi", "fruit").error().message,
            "unknown fruit 'kiwi' (expected one of: apple, banana, cherry-red)");
  EXPECT_FALSE(closest_name(names, "").has_value());
}

}  // namespace
}  // namespace suanli

// The generic dotted-key override shared by the scenario loaders: element
// selection by name / id / index (and "a[1].b"), creatable root tables,
// ambiguous names, and messages that name the key.
#include "util/toml_override.h"
#include "contains.h"

#include <gtest/gtest.h>

#include <string>

namespace suanli {
namespace {

using ::suanli::testing::contains;

const char* kOverrideDoc = R"(
seed = 1
[scheduler]
placement = "hetero"
[[rules]]
id = "domestic"
min_share = 0.5
[[rules]]
id = "sensitive"
[[fleet]]
accelerator = "h20"
nodes = 2
[[fleet]]
accelerator = "h20"
nodes = 3
[[fleet]]
accelerator = "ascend-910c.v2"
nodes = 4
)";

const TomlOverrideOptions kOptions{{"simulation"}, {"name", "id", "accelerator"}};

TEST(TomlOverride, SelectsElementsByIdIndexAndBrackets) {
  toml::table doc = toml::parse(kOverrideDoc);
  ASSERT_TRUE(apply_toml_override(doc, {"rules.domestic.min_share", "0.7"}, kOptions));
  EXPECT_EQ(doc["rules"][0]["min_share"].value<double>(), 0.7);
  ASSERT_TRUE(apply_toml_override(doc, {"rules[1].min_share", "0.2"}, kOptions));
  EXPECT_EQ(doc["rules"][1]["min_share"].value<double>(), 0.2);
  ASSERT_TRUE(apply_toml_override(doc, {"fleet.1.nodes", "9"}, kOptions));
  EXPECT_EQ(doc["fleet"][1]["nodes"].value<long long>(), 9);
  // A name with a dot is matched whole.
  ASSERT_TRUE(apply_toml_override(doc, {"fleet.ascend-910c.v2.nodes", "5"}, kOptions));
  EXPECT_EQ(doc["fleet"][2]["nodes"].value<long long>(), 5);
  // Root values, bare words, creatable tables.
  ASSERT_TRUE(apply_toml_override(doc, {"seed", "3"}, kOptions));
  EXPECT_EQ(doc["seed"].value<long long>(), 3);
  ASSERT_TRUE(apply_toml_override(doc, {"scheduler.placement", "first-fit"}, kOptions));
  EXPECT_EQ(doc["scheduler"]["placement"].value<std::string>(), "first-fit");
  ASSERT_TRUE(apply_toml_override(doc, {"simulation.until_hours", "48"}, kOptions));
  EXPECT_EQ(doc["simulation"]["until_hours"].value<long long>(), 48);
}

TEST(TomlOverride, ErrorsNameTheKey) {
  toml::table doc = toml::parse(kOverrideDoc);
  auto missing = apply_toml_override(doc, {"rules.nope.min_share", "0.5"}, kOptions);
  ASSERT_FALSE(missing);
  EXPECT_TRUE(contains(missing.error().message,
                       "rules.nope.min_share: no [[rules]] with name, "
                       "id or accelerator 'nope' (have: domestic, "
                       "sensitive"))
      << missing.error().message;
  auto ambiguous = apply_toml_override(doc, {"fleet.h20.nodes", "1"}, kOptions);
  ASSERT_FALSE(ambiguous);
  EXPECT_TRUE(contains(ambiguous.error().message, "fleet.h20.nodes: 'h20' matches 2 elements"))
      << ambiguous.error().message;
  auto table = apply_toml_override(doc, {"schedulr.placement", "fgd"}, kOptions);
  ASSERT_FALSE(table);
  EXPECT_TRUE(contains(table.error().message, "schedulr.placement: no table 'schedulr'"))
      << table.error().message;
  auto value = apply_toml_override(doc, {"scheduler", "1"}, kOptions);
  ASSERT_FALSE(value);
  EXPECT_TRUE(contains(value.error().message, "'scheduler' is a table")) << value.error().message;
  auto literal = apply_toml_override(doc, {"seed", "[1, "}, kOptions);
  ASSERT_FALSE(literal);
  EXPECT_TRUE(contains(literal.error().message, "seed: cannot read")) << literal.error().message;
}

}  // namespace
}  // namespace suanli

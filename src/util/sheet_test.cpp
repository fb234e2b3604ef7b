#include "util/sheet.h"

#include <gtest/gtest.h>

namespace suanli {
namespace {

TEST(Sheet, CsvQuotesTextAndKeepsNumbersExact) {
  Sheet s{"t", {"name", "value (USD)"}, {}};
  s.rows.push_back({std::string("a, \"b\""), 0.1 + 0.2});
  s.rows.push_back({std::monostate{}, 1e15});
  EXPECT_EQ(sheet_csv(s), "name,value (USD)\n\"a, \"\"b\"\"\",0.30000000000000004\n,1000000000000000\n");
}

TEST(Sheet, JsonRowsFlattenToDottedColumnsInFirstSeenOrder) {
  const auto rows = nlohmann::json::parse(R"([
    {"id": "x", "interval": {"p10": 1, "p90": 3}, "ok": true, "tags": ["a", "b"]},
    {"id": "y", "extra": null, "interval": {"p10": 2}}
  ])");
  const Sheet s = sheet_from_json_rows("r", rows);
  EXPECT_EQ(s.headers, (std::vector<std::string>{"id", "interval.p10", "interval.p90", "ok", "tags", "extra"}));
  ASSERT_EQ(s.rows.size(), 2u);
  EXPECT_EQ(std::get<std::string>(s.rows[0][4]), "a; b");
  EXPECT_EQ(std::get<std::string>(s.rows[0][3]), "true");
  EXPECT_DOUBLE_EQ(std::get<double>(s.rows[1][1]), 2.0);
  EXPECT_TRUE(std::holds_alternative<std::monostate>(s.rows[1][2]));  // absent
  EXPECT_EQ(sheet_csv(s), "id,interval.p10,interval.p90,ok,tags,extra\nx,1,3,true,a; b,\ny,2,,,,\n");
}

}  // namespace
}  // namespace suanli

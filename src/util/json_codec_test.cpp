#include "util/json_codec.h"

#include <gtest/gtest.h>

#include <limits>

namespace suanli {

struct CodecInner {
  std::int64_t year = 0;
  double share = 0;
};

struct CodecOuter {
  std::string name;
  bool ok = false;
  std::optional<std::string> note;      // optional: omitted when empty
  std::optional<double> price;          // nullable: null when empty
  std::vector<CodecInner> rows;
  std::map<std::string, std::int64_t> counts;
};

template <>
struct JsonShape<CodecInner> {
  static constexpr auto fields =
      std::make_tuple(json_field("year", &CodecInner::year), json_field("share", &CodecInner::share));
};

template <>
struct JsonShape<CodecOuter> {
  static constexpr auto fields = std::make_tuple(
      json_field("name", &CodecOuter::name), json_field("ok", &CodecOuter::ok),
      json_field("note", &CodecOuter::note, JsonPresence::kOptional),
      json_field("price", &CodecOuter::price, JsonPresence::kNullable),
      json_field("rows", &CodecOuter::rows), json_field("counts", &CodecOuter::counts));
};

namespace {

Result<CodecOuter> decode(const nlohmann::json& j) {
  CodecOuter out;
  if (auto r = json_decode(j, out); !r) return std::unexpected(r.error());
  return out;
}

const char* kDoc =
    R"({"counts":{"a":1,"b":2},"name":"x","ok":true,"price":null,)"
    R"("rows":[{"share":0.5,"year":2027},{"share":1.0,"year":2028}]})";

TEST(JsonCodec, RoundTripsByteForByte) {
  const auto j = nlohmann::json::parse(kDoc);
  auto d = decode(j);
  ASSERT_TRUE(d) << d.error().message;
  EXPECT_EQ(d->name, "x");
  EXPECT_FALSE(d->note.has_value());
  EXPECT_FALSE(d->price.has_value());
  ASSERT_EQ(d->rows.size(), 2u);
  EXPECT_EQ(d->rows[1].year, 2028);
  EXPECT_EQ(d->counts.at("b"), 2);
  // 1.0 stays a float and 2027 an integer; null stays null; no "note" appears.
  EXPECT_EQ(json_encode(*d).dump(), j.dump());
}

TEST(JsonCodec, OptionalAndNullableFieldsWriteWhatTheyHold) {
  CodecOuter o;
  o.name = "y";
  o.note = "n";
  o.price = 3.5;
  const nlohmann::json j = json_encode(o);
  EXPECT_EQ(j.at("note"), "n");
  EXPECT_EQ(j.at("price"), 3.5);
  o.note.reset();
  o.price.reset();
  const nlohmann::json k = json_encode(o);
  EXPECT_FALSE(k.contains("note"));
  ASSERT_TRUE(k.contains("price"));
  EXPECT_TRUE(k.at("price").is_null());
}

TEST(JsonCodec, ErrorsNameThePath) {
  auto j = nlohmann::json::parse(kDoc);
  j["rows"][1]["year"] = "2028";
  auto d = decode(j);
  ASSERT_FALSE(d);
  EXPECT_EQ(d.error().message, "rows[1].year: expected an integer, found \"2028\"");

  j = nlohmann::json::parse(kDoc);
  j["rows"][0].erase("share");
  d = decode(j);
  ASSERT_FALSE(d);
  EXPECT_EQ(d.error().message, "rows[0].share: missing");

  j = nlohmann::json::parse(kDoc);
  j["counts"]["a"] = 1.5;
  d = decode(j);
  ASSERT_FALSE(d);
  EXPECT_EQ(d.error().message, "counts.a: expected an integer, found 1.5");

  j = nlohmann::json::parse(kDoc);
  j["note"] = nullptr;  // optional, not nullable: null is a wrong type
  d = decode(j);
  ASSERT_FALSE(d);
  EXPECT_EQ(d.error().message, "note: expected a string, found null");

  d = decode(nlohmann::json::array());
  ASSERT_FALSE(d);
  EXPECT_EQ(d.error().message, "document: expected an object, found an array");
}

TEST(JsonCodec, ADoubleReadsAnIntegerAndUnknownKeysAreIgnored) {
  auto j = nlohmann::json::parse(kDoc);
  j["rows"][0]["share"] = 1;
  j["added_later"] = {{"anything", 1}};
  auto d = decode(j);
  ASSERT_TRUE(d) << d.error().message;
  EXPECT_EQ(d->rows[0].share, 1.0);
  const nlohmann::json back = json_encode(*d);
  EXPECT_TRUE(back["rows"][0]["share"].is_number_float());
  EXPECT_FALSE(back.contains("added_later"));
}

TEST(JsonCodec, NonFiniteAndOutOfRangeNumbersAreErrors) {
  auto j = nlohmann::json::parse(kDoc);
  j["rows"][0]["share"] = std::numeric_limits<double>::infinity();
  auto d = decode(j);
  ASSERT_FALSE(d);
  EXPECT_EQ(d.error().message, "rows[0].share: expected a finite number, found a non-finite number");
  j = nlohmann::json::parse(kDoc);
  j["rows"][0]["year"] = std::numeric_limits<std::uint64_t>::max();
  d = decode(j);
  ASSERT_FALSE(d);
  EXPECT_TRUE(d.error().message.starts_with("rows[0].year: expected an integer")) << d.error().message;
}

}  // namespace
}  // namespace suanli

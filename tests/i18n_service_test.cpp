// The dashboard's message catalogs through the whole API (Service::handle,
// in process): GET /api/v1/i18n/zh serves data/i18n/zh.toml's entries,
// English has none, an unknown language is a 404 naming the known ones, and
// /api/v1/health says the server's default language (serve --lang).
#include <gtest/gtest.h>

#include <string>

#include "service/service.h"
#include "temp_dir.h"

namespace suanli::testing {
namespace {

std::unique_ptr<service::Service> open_service(const TempDir& dir, Lang lang) {
  service::ServiceOptions o;
  o.data_dir = dir.path();
  o.db_url = "sqlite:" + (dir.path() / "suanli.db").string();
  o.import_examples = false;
  o.lang = lang;
  auto s = service::Service::open(o);
  EXPECT_TRUE(s.has_value()) << s.error().message;
  return s ? std::move(*s) : nullptr;
}

service::ApiResponse get(service::Service& s, const std::string& path) {
  service::ApiRequest r;
  r.method = service::Method::kGet;
  r.path = path;
  return s.handle(r, std::nullopt);
}

TEST(I18nServiceTest, ServesTheChineseCatalogAndSaysTheDefaultLanguage) {
  TempDir dir;
  auto s = open_service(dir, Lang::kZh);
  ASSERT_TRUE(s);
  const auto zh = get(*s, "/api/v1/i18n/zh");
  ASSERT_EQ(zh.status, 200) << zh.body.dump();
  EXPECT_EQ(zh.body["lang"], "zh");
  EXPECT_EQ(zh.body["name"], "简体中文");
  // One entry from each front end's table, merged.
  EXPECT_EQ(zh.body["messages"]["Accelerator comparison"], "加速器对比");  // report
  EXPECT_EQ(zh.body["messages"]["cost-perf"], "性价比");                   // cli
  EXPECT_GT(zh.body["messages"].size(), 500U);
  const auto en = get(*s, "/api/v1/i18n/en");
  ASSERT_EQ(en.status, 200);
  EXPECT_TRUE(en.body["messages"].empty());
  const auto fr = get(*s, "/api/v1/i18n/fr");
  EXPECT_EQ(fr.status, 404);
  EXPECT_NE(fr.body.dump().find("en, zh"), std::string::npos) << fr.body.dump();
  EXPECT_EQ(get(*s, "/api/v1/health").body["lang"], "zh");
}

TEST(I18nServiceTest, EnglishIsTheDefault) {
  TempDir dir;
  auto s = open_service(dir, Lang::kEn);
  ASSERT_TRUE(s);
  EXPECT_EQ(get(*s, "/api/v1/health").body["lang"], "en");
}

}  // namespace
}  // namespace suanli::testing

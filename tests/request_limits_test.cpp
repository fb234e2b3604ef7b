// Hostile JSON bodies through the whole API (Service::handle, in process):
// the C1 reproduction (a body nested 100,000 deep used to kill the server
// in the response cache's recursive dump()), repeated keys, overflowing
// numbers and invalid UTF-8 are each a 400 with a JSON error on every
// route that takes a body, and the service keeps answering afterwards.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "service/service.h"
#include "store/store.h"
#include "temp_dir.h"
#include "util/strings.h"

namespace suanli::testing {
namespace {

class RequestLimitsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    service::ServiceOptions o;
    o.data_dir = dir_.path();
    o.db_url = "sqlite:" + (dir_.path() / "suanli.db").string();
    o.import_examples = false;
    auto s = service::Service::open(o);
    ASSERT_TRUE(s.has_value()) << s.error().message;
    service_ = std::move(*s);
    auto w = service_->store().create_token("writer", true);
    ASSERT_TRUE(w.has_value());
    token_ = w->secret;
  }

  service::ApiResponse post(const std::string& path, std::string body) {
    service::ApiRequest r;
    r.method = service::Method::kPost;
    r.path = path;
    r.body = std::move(body);
    return service_->handle(r, token_);
  }

  TempDir dir_;
  std::unique_ptr<service::Service> service_;
  std::string token_;
};

const std::vector<std::string> kBodyRoutes = {"/api/v1/estimate/infer", "/api/v1/estimate/train",
                                              "/api/v1/classify", "/api/v1/compare",
                                              "/api/v1/scenarios", "/api/v1/runs"};

void expect_client_error(const service::ApiResponse& r, const std::string& what,
                         const std::string& needle) {
  EXPECT_EQ(r.status, 400) << what << ": " << r.body.dump();
  ASSERT_TRUE(r.body.contains("error")) << what;
  const std::string message = r.body["error"]["message"].get<std::string>();
  EXPECT_NE(message.find(needle), std::string::npos) << what << ": " << message;
  EXPECT_TRUE(is_valid_utf8(message)) << what;
  EXPECT_NO_THROW((void)r.body.dump()) << what;
}

TEST_F(RequestLimitsTest, DeepNestingIsA400OnEveryBodyRoute) {
  const int depth = 100000;
  const std::string deep = "{\"x\":" + std::string(depth, '[') + std::string(depth, ']') + "}";
  for (const auto& route : kBodyRoutes) {
    expect_client_error(post(route, deep), route, "nested deeper than 32");
  }
  // Still serving, with the right answers.
  auto ok = post("/api/v1/classify", R"({"accelerators": ["h20"]})");
  EXPECT_EQ(ok.status, 200) << ok.body.dump();
}

TEST_F(RequestLimitsTest, RepeatedKeysOverflowAndBadUtf8AreRefused) {
  for (const auto& route : kBodyRoutes) {
    expect_client_error(post(route, R"({"devices": 8, "devices": 1})"), route,
                        "\"devices\" repeated");
    expect_client_error(post(route, R"({"devices": 1e999})"), route, "number overflow");
    expect_client_error(post(route, "{\"model\": \"\xC3\x28\xFF\"}"), route, "malformed JSON");
  }
}

}  // namespace
}  // namespace suanli::testing

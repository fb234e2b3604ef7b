// A GoogleTest fixture for the service's components in-process: the
// bundled catalog in a CatalogHolder, a SQLite store in a temp dir, a
// Router the component under test adds its routes to, and call(), which
// dispatches like Service::handle with a write principal (no HTTP).
#pragma once

#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "bundled_catalog.h"
#include "service/api.h"
#include "service/catalog_holder.h"
#include "service/router.h"
#include "store/store.h"
#include "temp_dir.h"

namespace suanli::testing {

class ServiceApiTest : public BundledCatalogTest {
 protected:
  void SetUp() override {
    BundledCatalogTest::SetUp();
    auto opened = store::Store::open("sqlite:" + (dir_.path() / "store.db").string());
    ASSERT_TRUE(opened.has_value()) << opened.error().message;
    store_ = std::move(*opened);
    holder_ = std::make_unique<service::CatalogHolder>(
        std::shared_ptr<const Catalog>(catalog_.get(), [](const Catalog*) {}));
  }

  service::ApiResponse call(service::Method method, const std::string& path,
                            const nlohmann::json& body = nullptr,
                            std::map<std::string, std::string> query = {}) {
    const service::Router::Match m = router_.match(method, path);
    EXPECT_NE(m.route, nullptr) << service::method_name(method) << " " << path;
    if (!m.route) return service::error_response(404, "not_found", "no route");
    service::ApiRequest r;
    r.method = method;
    r.path = path;
    r.params = m.params;
    r.query = std::move(query);
    if (!body.is_null()) r.body = body.dump();
    r.principal.can_write = true;
    return m.route->handler(r);
  }

  TempDir dir_;
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<service::CatalogHolder> holder_;
  service::Router router_;
};

}  // namespace suanli::testing

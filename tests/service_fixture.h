// An in-process `suanli serve` for the HTTP tests: a Service over a SQLite
// store in a temp dir, an HttpServer on a free loopback port in a thread,
// a write token and a read-only token, and helpers that send JSON.
#pragma once

#include <gtest/gtest.h>
#include <httplib.h>

#include <memory>
#include <string>
#include <thread>

#include <nlohmann/json.hpp>

#include "service/http_server.h"
#include "service/service.h"
#include "store/store.h"
#include "temp_dir.h"

namespace suanli::testing {

// A small fleet (one site, an H20 and an Ascend 910B pool, a rule that
// keeps confidential work on domestic chips): a live-fleet config
// (PUT /api/v1/fleet/config).
inline std::string small_fleet_config(const std::string& name = "small") {
  return "name = \"" + name + R"("
seed = 7
[[sites]]
name = "wuhu"
[[fleet]]
site = "wuhu"
accelerator = "h20"
nodes = 2
[[fleet]]
site = "wuhu"
accelerator = "ascend-910b"
nodes = 2
[[tenants]]
name = "gov"
sensitivity = "confidential"
[[tenants]]
name = "lab"
[[rules]]
id = "sensitive-domestic"
kind = "sensitivity-origin"
origins = ["CN"]
)";
}

// The same fleet with one generator: a simulator scenario that runs in
// well under a second.
inline std::string small_sim_scenario(const std::string& name = "small", int jobs = 40) {
  return small_fleet_config(name) + R"(
[[generators]]
tenant = "lab"
rate_per_hour = 4
count = )" +
         std::to_string(jobs) +
         R"(
  [[generators.jobs]]
  devices = [1, 8]
  reference = "h20"
  reference_hours = [0.5, 3]
)";
}

class ServiceHarness {
 public:
  explicit ServiceHarness(service::ServiceOptions options = {}, service::HttpOptions http = {}) {
    if (options.db_url.empty()) options.db_url = "sqlite:" + (dir_.path() / "suanli.db").string();
    options.data_dir = dir_.path();
    auto svc = service::Service::open(options);
    if (!svc) {
      error_ = svc.error().message;
      return;
    }
    service_ = std::move(*svc);
    auto w = service_->store().create_token("test-writer", true);
    auto r = service_->store().create_token("test-reader", false);
    if (!w || !r) {
      error_ = "token creation failed";
      return;
    }
    write_token_ = w->secret;
    read_token_ = r->secret;
    write_token_id_ = w->record.id;
    http.port = 0;
    server_ = std::make_unique<service::HttpServer>(*service_, http);
    if (auto b = server_->bind(); !b) {
      error_ = b.error().message;
      return;
    }
    thread_ = std::thread([this] { (void)server_->run(); });
  }
  ~ServiceHarness() {
    if (server_) server_->stop();
    if (thread_.joinable()) thread_.join();
    if (service_) service_->shutdown(std::chrono::milliseconds(2000));
  }

  const std::string& error() const { return error_; }
  bool ok() const { return error_.empty(); }
  service::Service& service() { return *service_; }
  int port() const { return server_->port(); }
  const std::string& write_token() const { return write_token_; }
  const std::string& read_token() const { return read_token_; }
  std::int64_t write_token_id() const { return write_token_id_; }
  const std::filesystem::path& dir() const { return dir_.path(); }

  std::unique_ptr<httplib::Client> client() const {
    auto c = std::make_unique<httplib::Client>("127.0.0.1", server_->port());
    c->set_read_timeout(120);
    c->set_keep_alive(true);
    c->set_tcp_nodelay(true);
    return c;
  }

 private:
  TempDir dir_;
  std::string error_;
  std::unique_ptr<service::Service> service_;
  std::unique_ptr<service::HttpServer> server_;
  std::thread thread_;
  std::string write_token_, read_token_;
  std::int64_t write_token_id_ = 0;
};

struct Reply {
  int status = 0;  // 0: no response (connection error)
  nlohmann::json body;
  std::string raw;
};

inline Reply send(httplib::Client& c, const std::string& method, const std::string& path,
                  const std::string& body = "", const std::string& token = "") {
  httplib::Headers headers;
  if (!token.empty()) headers.emplace("Authorization", "Bearer " + token);
  auto call = [&]() {
    if (method == "GET") return c.Get(path, headers);
    if (method == "DELETE") return c.Delete(path, headers, body, "application/json");
    if (method == "PUT") return c.Put(path, headers, body, "application/json");
    return c.Post(path, headers, body, "application/json");
  };
  httplib::Result res = call();
  Reply r;
  if (!res) {
    r.raw = "no response: " + httplib::to_string(res.error());
    return r;
  }
  r.status = res->status;
  r.raw = res->body;
  r.body = nlohmann::json::parse(res->body, nullptr, false);
  return r;
}

}  // namespace suanli::testing

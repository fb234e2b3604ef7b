// `suanli serve --read-only` beside the store's writer (the Slurm agent's
// workflow: the agent holds the writer lock, a read-only server shows the
// fleet): it opens without the lock, refuses every write with 503, runs
// nothing, and its live fleet follows the writer's new events.
#include <gtest/gtest.h>

#include <string>

#include <nlohmann/json.hpp>

#include "service/service.h"
#include "service_fixture.h"
#include "store/store.h"

namespace suanli::testing {
namespace {

using nlohmann::json;

service::ApiResponse handle(service::Service& s, service::Method m, const std::string& path,
                            const std::string& body, const std::string& token) {
  service::ApiRequest r;
  r.method = m;
  r.path = path;
  r.body = body;
  return s.handle(r, token);
}

TEST(ReadOnlyFollower, FollowsTheWriterAndRefusesWrites) {
  ServiceHarness writer;  // holds the store's writer lock
  ASSERT_TRUE(writer.ok()) << writer.error();
  const std::string db = "sqlite:" + (writer.dir() / "suanli.db").string();

  // A second writer is refused; a read-only server opens beside it.
  service::ServiceOptions o;
  o.db_url = db;
  o.data_dir = writer.dir() / "reader";
  o.import_examples = false;
  EXPECT_FALSE(service::Service::open(o).has_value());
  o.read_only = true;
  auto reader = service::Service::open(o);
  ASSERT_TRUE(reader.has_value()) << reader.error().message;
  service::Service& r = **reader;
  const std::string token = writer.write_token();  // tokens are in the shared store

  auto c = writer.client();
  ASSERT_EQ(send(*c, "PUT", "/api/v1/fleet/config", json{{"scenario", small_fleet_config()}}.dump(),
                 token)
                .status,
            200);
  auto nodes = handle(r, service::Method::kGet, "/api/v1/fleet/nodes", "", token);
  ASSERT_EQ(nodes.status, 200) << nodes.body.dump();
  EXPECT_EQ(nodes.body["nodes"].size(), 4u) << nodes.body.dump();

  auto placed = send(*c, "POST", "/api/v1/fleet/jobs",
                     json{{"name", "l1"}, {"tenant", "lab"}, {"durations_hours", {{"h20", 1}}}}.dump(),
                     token);
  ASSERT_EQ(placed.status, 201) << placed.raw;
  auto jobs = handle(r, service::Method::kGet, "/api/v1/fleet/jobs", "", token);
  ASSERT_EQ(jobs.status, 200) << jobs.body.dump();
  ASSERT_EQ(jobs.body["jobs"].size(), 1u) << jobs.body.dump();
  EXPECT_EQ(jobs.body["jobs"][0].value("name", ""), "l1");

  // Every write is refused, before it touches the store.
  for (const auto& [m, path, body] :
       {std::tuple{service::Method::kPost, "/api/v1/fleet/jobs",
                   R"({"name":"x","tenant":"lab","durations_hours":{"h20":1}})"},
        std::tuple{service::Method::kPut, "/api/v1/fleet/config", R"({"scenario":"name=\"x\""})"},
        std::tuple{service::Method::kPost, "/api/v1/runs", R"({"kind":"simulate","scenario_id":1})"}}) {
    auto w = handle(r, m, path, body, token);
    EXPECT_EQ(w.status, 503) << path << ": " << w.body.dump();
    EXPECT_EQ(w.body["error"].value("code", ""), "read_only") << path;
  }
  auto after = handle(r, service::Method::kGet, "/api/v1/fleet/jobs", "", token);
  EXPECT_EQ(after.body["jobs"].size(), 1u) << after.body.dump();
  auto health = handle(r, service::Method::kGet, "/api/v1/health", "", token);
  EXPECT_EQ(health.body.value("read_only", false), true) << health.body.dump();
}

}  // namespace
}  // namespace suanli::testing

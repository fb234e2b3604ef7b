// The service over real HTTP on loopback: access control on every
// mutating route, transport limits, bad input refused with nothing stored,
// and many parallel clients getting the same answers as serial ones.
#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

#include "service_fixture.h"
#include "store/pg_test_server.h"

namespace suanli::testing {
namespace {

using nlohmann::json;

const char* const kInjections[] = {
    "x'; DROP TABLE scenarios; --",
    "\" OR 1=1 --",
    "../../etc/passwd",
    "<script>alert(1)</script>",
    "Robert'); DELETE FROM runs;--",
    "a\nb",
    "$(rm -rf /)",
};

std::string method_text(service::Method m) { return std::string(service::method_name(m)); }

// Fills {params} in a route pattern with a value.
std::string concrete(const std::string& pattern, const std::string& value) {
  std::string out;
  for (std::size_t i = 0; i < pattern.size(); ++i) {
    if (pattern[i] == '{') {
      i = pattern.find('}', i);
      out += value;
    } else {
      out += pattern[i];
    }
  }
  return out;
}

json infer_request(int devices) {
  return {{"accelerator", "h100-sxm"},
          {"model", "llama3-70b"},
          {"devices", devices},
          {"input_len", 1000},
          {"output_len", 200}};
}

int count_scenarios(service::Service& s) {
  auto l = s.store().list_scenarios();
  return l ? static_cast<int>(l->size()) : -1;
}

int count_fleet_events(service::Service& s) {
  auto e = s.store().fleet_events(0);
  return e ? static_cast<int>(e->size()) : -1;
}

class ServiceHttp : public ::testing::Test {
 protected:
  static service::ServiceOptions options() {
    service::ServiceOptions o;
    o.import_examples = false;
    o.run_workers = 2;
    return o;
  }
};

TEST_F(ServiceHttp, EveryMutatingRouteNeedsAWriteToken) {
  ServiceHarness h(options());
  ASSERT_TRUE(h.ok()) << h.error();
  auto c = h.client();
  auto revoked = h.service().store().create_token("to-revoke", true);
  ASSERT_TRUE(revoked);
  ASSERT_TRUE(h.service().store().revoke_token(revoked->record.id));
  int checked = 0;
  for (const auto& route : h.service().router().routes()) {
    if (route.access != service::Access::kWrite) continue;
    const std::string path = concrete(route.pattern, "1");
    const std::string m = method_text(route.method);
    auto none = send(*c, m, path, "{}");
    EXPECT_EQ(none.status, 401) << m << " " << path << " without a token: " << none.raw;
    EXPECT_TRUE(none.body.contains("error")) << none.raw;
    auto gone = send(*c, m, path, "{}", revoked->secret);
    EXPECT_EQ(gone.status, 403) << m << " " << path << " with a revoked token: " << gone.raw;
    auto reader = send(*c, m, path, "{}", h.read_token());
    EXPECT_EQ(reader.status, 403) << m << " " << path << " with a read-only token: " << reader.raw;
    auto unknown = send(*c, m, path, "{}", std::string(64, 'a'));
    EXPECT_EQ(unknown.status, 401) << m << " " << path << " with an unknown token";
    ++checked;
  }
  EXPECT_GE(checked, 12) << "expected the scenario, run, catalog and fleet writes";
  EXPECT_EQ(count_scenarios(h.service()), 0);
  EXPECT_EQ(count_fleet_events(h.service()), 0);
  // A malformed Authorization header is refused, not ignored.
  auto res =
      c->Post("/api/v1/scenarios", {{"Authorization", "Basic abc"}}, "{}", "application/json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 401);
}

TEST_F(ServiceHttp, ReadsCanRequireATokenToo) {
  auto o = options();
  o.read_requires_token = true;
  ServiceHarness h(o);
  ASSERT_TRUE(h.ok()) << h.error();
  auto c = h.client();
  EXPECT_EQ(send(*c, "GET", "/api/v1/scenarios").status, 401);
  EXPECT_EQ(send(*c, "GET", "/api/v1/scenarios", "", h.read_token()).status, 200);
}

TEST_F(ServiceHttp, OversizedBodiesAre413WithAJsonError) {
  service::HttpOptions http;
  http.max_body_bytes = 64 * 1024;
  ServiceHarness h(options(), http);
  ASSERT_TRUE(h.ok()) << h.error();
  auto c = h.client();
  json big = {{"name", "big"}, {"kind", "simulate"}, {"body", std::string(200 * 1024, '#')}};
  auto r = send(*c, "POST", "/api/v1/scenarios", big.dump(), h.write_token());
  EXPECT_EQ(r.status, 413) << r.raw;
  EXPECT_EQ(r.body["error"]["code"], "payload_too_large") << r.raw;
  EXPECT_EQ(count_scenarios(h.service()), 0);
  EXPECT_EQ(send(*c, "GET", "/api/v1/health").status, 200) << "the server must survive";
}

TEST_F(ServiceHttp, RateLimitAnswers429) {
  service::HttpOptions http;
  http.rate_per_s = 5;
  http.burst = 5;
  ServiceHarness h(options(), http);
  ASSERT_TRUE(h.ok()) << h.error();
  auto c = h.client();
  int limited = 0, ok = 0;
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < 60; ++i) {
    auto r = send(*c, "GET", "/api/v1/health");
    if (r.status == 429) {
      ++limited;
      EXPECT_EQ(r.body["error"]["code"], "rate_limited");
    } else if (r.status == 200) {
      ++ok;
    }
  }
  const double elapsed =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  // The burst, then the refill rate: never more, and the rest limited.
  EXPECT_GE(ok, 5);
  EXPECT_LE(ok, 5 + static_cast<int>(5 * elapsed) + 1) << "over " << elapsed << " s";
  EXPECT_EQ(ok + limited, 60);
  EXPECT_GE(limited, 1);
}

TEST_F(ServiceHttp, MalformedJsonWrongTypesAndUnknownFieldsAre400) {
  ServiceHarness h(options());
  ASSERT_TRUE(h.ok()) << h.error();
  auto c = h.client();
  const std::string tok = h.write_token();
  // A configured fleet, so the fleet routes get as far as the body.
  auto cfg = send(*c, "PUT", "/api/v1/fleet/config",
                  json{{"scenario", small_fleet_config("fleet")}}.dump(), tok);
  ASSERT_EQ(cfg.status / 100, 2) << cfg.raw;
  // Malformed JSON on every POST/PUT route that takes a body.
  for (const auto& route : h.service().router().routes()) {
    if (route.method != service::Method::kPost && route.method != service::Method::kPut) continue;
    const std::string path = concrete(route.pattern, "1");
    for (const std::string bad : {"{", "[1,2]", "nul", "{\"a\":}", "\"text\""}) {
      auto r = send(*c, method_text(route.method), path, bad, tok);
      // Routes whose {id} does not exist may answer 404 first; never 2xx or 5xx.
      EXPECT_TRUE(r.status == 400 || r.status == 404)
          << route.pattern << " body " << bad << ": " << r.status << " " << r.raw;
      EXPECT_TRUE(r.body.contains("error")) << r.raw;
    }
  }
  struct Case {
    std::string path;
    json body;
    std::string field;
  };
  const std::vector<Case> cases = {
      {"/api/v1/estimate/infer",
       [] {
         auto j = infer_request(8);
         j["devices"] = "8";
         return j;
       }(),
       "devices"},
      {"/api/v1/estimate/infer",
       [] {
         auto j = infer_request(8);
         j["colour"] = "red";
         return j;
       }(),
       "colour"},
      {"/api/v1/estimate/infer",
       [] {
         auto j = infer_request(-8);
         return j;
       }(),
       "devices"},
      {"/api/v1/scenarios", {{"name", "s"}, {"kind", "simulate"}, {"body", 42}}, "body"},
      {"/api/v1/scenarios", {{"name", "s"}, {"kind", "movie"}, {"body", "x = 1"}}, "kind"},
      {"/api/v1/scenarios",
       {{"name", "s"}, {"kind", "simulate"}, {"body", small_sim_scenario()}, {"extra", true}},
       "extra"},
      {"/api/v1/runs", {{"kind", "simulate"}, {"scenario_id", "one"}}, "scenario_id"},
  };
  for (const auto& k : cases) {
    auto r = send(*c, "POST", k.path, k.body.dump(), tok);
    EXPECT_EQ(r.status, 400) << k.path << " " << k.body.dump() << " -> " << r.raw;
    ASSERT_TRUE(r.body.contains("error")) << r.raw;
    EXPECT_NE(r.body["error"]["message"].get<std::string>().find(k.field), std::string::npos)
        << "the message should name " << k.field << ": " << r.raw;
  }
  EXPECT_EQ(count_scenarios(h.service()), 0);
}

TEST_F(ServiceHttp, InjectionStringsInStringFieldsAre400AndNothingIsStored) {
  ServiceHarness h(options());
  ASSERT_TRUE(h.ok()) << h.error();
  auto c = h.client();
  const std::string tok = h.write_token();
  // A fleet to submit into.
  auto cfg = send(*c, "PUT", "/api/v1/fleet/config",
                  json{{"scenario", small_fleet_config("fleet")}}.dump(), tok);
  ASSERT_EQ(cfg.status / 100, 2) << cfg.raw;
  const int events = count_fleet_events(h.service());
  for (const std::string bad : kInjections) {
    const std::vector<std::pair<std::string, json>> writes = {
        {"/api/v1/scenarios",
         {{"name", bad}, {"kind", "simulate"}, {"body", small_sim_scenario()}}},
        {"/api/v1/scenarios", {{"name", "ok-name"}, {"kind", bad}, {"body", small_sim_scenario()}}},
        {"/api/v1/scenarios", {{"name", "ok-name"}, {"kind", "simulate"}, {"body", bad}}},
        {"/api/v1/runs", {{"kind", bad}, {"scenario_id", 1}}},
        {"/api/v1/estimate/infer",
         [&] {
           auto j = infer_request(8);
           j["accelerator"] = bad;
           return j;
         }()},
        {"/api/v1/estimate/infer",
         [&] {
           auto j = infer_request(8);
           j["model"] = bad;
           return j;
         }()},
        {"/api/v1/fleet/jobs",
         {{"name", bad},
          {"tenant", "lab"},
          {"devices", 1},
          {"duration_hours", 1},
          {"reference", "h20"}}},
        {"/api/v1/fleet/jobs",
         {{"name", "j"},
          {"tenant", bad},
          {"devices", 1},
          {"duration_hours", 1},
          {"reference", "h20"}}},
        {"/api/v1/fleet/jobs",
         {{"name", "j"},
          {"tenant", "lab"},
          {"devices", 1},
          {"duration_hours", 1},
          {"reference", bad}}},
        {"/api/v1/fleet/jobs",
         {{"name", "j"},
          {"tenant", "lab"},
          {"sensitivity", bad},
          {"devices", 1},
          {"duration_hours", 1},
          {"reference", "h20"}}},
        {"/api/v1/fleet/nodes", {{"site", bad}, {"accelerator", "h20"}, {"nodes", 1}}},
        {"/api/v1/fleet/nodes", {{"site", "wuhu"}, {"accelerator", bad}, {"nodes", 1}}},
    };
    for (const auto& [path, body] : writes) {
      auto r = send(*c, "POST", path, body.dump(), tok);
      EXPECT_TRUE(r.status == 400 || r.status == 404)
          << path << " with " << body.dump() << " -> " << r.status << " " << r.raw;
      EXPECT_TRUE(r.body.contains("error")) << r.raw;
    }
    auto put =
        send(*c, "PUT", "/api/v1/catalog/accelerators/" + httplib::detail::encode_query_param(bad),
             json{{"name", bad}}.dump(), tok);
    EXPECT_GE(put.status, 400) << put.raw;
    EXPECT_LT(put.status, 500) << put.raw;
  }
  EXPECT_EQ(count_scenarios(h.service()), 0);
  EXPECT_EQ(count_fleet_events(h.service()), events);
  auto overrides = h.service().store().catalog_overrides();
  ASSERT_TRUE(overrides);
  EXPECT_TRUE(overrides->empty());
  EXPECT_TRUE(h.service().store().integrity_check()) << "the store must be intact";
  EXPECT_EQ(send(*c, "GET", "/api/v1/health").status, 200);
}

TEST_F(ServiceHttp, FreeTextIsStoredVerbatimNotInterpreted) {
  // Scenario bodies are free text (TOML): an injection string inside a
  // valid scenario's description is data, stored and returned byte for byte.
  ServiceHarness h(options());
  ASSERT_TRUE(h.ok()) << h.error();
  auto c = h.client();
  const std::string body =
      small_sim_scenario() + "\n# x'; DROP TABLE scenarios; -- and \" OR 1=1 --\n";
  auto r = send(*c, "POST", "/api/v1/scenarios",
                json{{"name", "verbatim"}, {"kind", "simulate"}, {"body", body}}.dump(),
                h.write_token());
  ASSERT_EQ(r.status, 201) << r.raw;
  auto id = r.body["id"].get<std::int64_t>();
  auto got = send(*c, "GET", "/api/v1/scenarios/" + std::to_string(id));
  ASSERT_EQ(got.status, 200) << got.raw;
  EXPECT_EQ(got.body["body"].get<std::string>(), body);
  EXPECT_EQ(count_scenarios(h.service()), 1);
}

TEST_F(ServiceHttp, UnknownRoutesAndMethodsAreJsonErrors) {
  ServiceHarness h(options());
  ASSERT_TRUE(h.ok()) << h.error();
  auto c = h.client();
  auto r = send(*c, "GET", "/api/v1/nothing-here");
  EXPECT_EQ(r.status, 404);
  EXPECT_TRUE(r.body.contains("error"));
  r = send(*c, "DELETE", "/api/v1/health", "", h.write_token());
  EXPECT_EQ(r.status, 405) << r.raw;
  auto doc = send(*c, "GET", "/api/v1/openapi.json");
  ASSERT_EQ(doc.status, 200);
  EXPECT_EQ(doc.body["openapi"], "3.0.3");
  for (const auto& route : h.service().router().routes()) {
    EXPECT_TRUE(doc.body["paths"].contains(route.pattern)) << route.pattern;
  }
  auto page = c->Get("/");
  ASSERT_TRUE(page);
  EXPECT_EQ(page->status, 200);
  EXPECT_NE(page->body.find("<html"), std::string::npos);
  auto chart = c->Get("/chart.js");
  ASSERT_TRUE(chart);
  EXPECT_GT(chart->body.size(), 100000u) << "Chart.js is served by the binary";
}

#ifdef SUANLI_WITH_POSTGRESQL
// The same service over PostgreSQL (a throwaway local server): scenarios,
// a run, the live fleet, and a restart that replays the fleet from the
// shared database.
TEST_F(ServiceHttp, RunsOnPostgresql) {
  auto pg = PgTestServer::start();
  if (pg.skip) GTEST_SKIP() << pg.message;
  ASSERT_TRUE(pg.server) << pg.message;
  ASSERT_EQ(pg.server->create_database("suanli_service"), "");
  auto o = options();
  o.db_url = pg.server->url("suanli_service");
  json fleet_before;
  {
    ServiceHarness h(o);
    ASSERT_TRUE(h.ok()) << h.error();
    EXPECT_EQ(h.service().store().backend(), "postgresql");
    auto c = h.client();
    const std::string tok = h.write_token();
    auto sc = send(
        *c, "POST", "/api/v1/scenarios",
        json{{"name", "pg"}, {"kind", "simulate"}, {"body", small_sim_scenario()}}.dump(), tok);
    ASSERT_EQ(sc.status, 201) << sc.raw;
    auto run = send(*c, "POST", "/api/v1/runs",
                    json{{"kind", "simulate"}, {"scenario_id", sc.body["id"]}}.dump(), tok);
    ASSERT_EQ(run.status, 202) << run.raw;
    std::string status;
    for (int i = 0; i < 600 && status != "succeeded" && status != "failed"; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      status = send(*c, "GET", "/api/v1/runs/" + std::to_string(run.body["id"].get<int>()))
                   .body.value("status", "");
    }
    EXPECT_EQ(status, "succeeded");
    ASSERT_EQ(send(*c, "PUT", "/api/v1/fleet/config",
                   json{{"scenario", small_fleet_config("pg-fleet")}}.dump(), tok)
                  .status,
              200);
    auto job = send(*c, "POST", "/api/v1/fleet/jobs",
                    json{{"name", "secret-job"},
                         {"tenant", "gov"},
                         {"sensitivity", "confidential"},
                         {"devices", 8},
                         {"duration_hours", 1},
                         {"reference", "h20"}}
                        .dump(),
                    tok);
    ASSERT_EQ(job.status, 201) << job.raw;
    fleet_before = send(*c, "GET", "/api/v1/fleet").body;
    fleet_before.erase("now_t");  // the wall clock at the query
    EXPECT_EQ(fleet_before.value("running", -1), 1) << fleet_before.dump();
  }
  ServiceHarness again(o);
  ASSERT_TRUE(again.ok()) << again.error();
  auto c = again.client();
  auto fleet_after = send(*c, "GET", "/api/v1/fleet").body;
  fleet_after.erase("now_t");
  EXPECT_EQ(fleet_after, fleet_before);
  EXPECT_TRUE(again.service().store().integrity_check());
}
#endif

// ≥ 32 clients at once, mixing reads, writes, computations and runs: no
// error but the deliberate 4xx, and every answer equal to the serial one.
TEST_F(ServiceHttp, ParallelClientsGetTheSerialAnswers) {
  ServiceHarness h(options());
  ASSERT_TRUE(h.ok()) << h.error();
  const std::string tok = h.write_token();
  auto c0 = h.client();

  // Serial answers first.
  std::map<int, json> estimate;
  for (int d : {8, 16, 32, 64}) {
    auto r = send(*c0, "POST", "/api/v1/estimate/infer", infer_request(d).dump());
    ASSERT_EQ(r.status, 200) << r.raw;
    estimate[d] = r.body;
  }
  auto sc = send(
      *c0, "POST", "/api/v1/scenarios",
      json{{"name", "shared"}, {"kind", "simulate"}, {"body", small_sim_scenario()}}.dump(), tok);
  ASSERT_EQ(sc.status, 201) << sc.raw;
  const auto scenario_id = sc.body["id"].get<std::int64_t>();
  auto wait_run = [&](httplib::Client& c, std::int64_t run) -> json {
    for (int i = 0; i < 1200; ++i) {
      auto s = send(c, "GET", "/api/v1/runs/" + std::to_string(run));
      if (s.status != 200 || !s.body.is_object()) return json{{"poll_status", s.status}};
      const std::string st = s.body.value("status", "");
      if (st != "queued" && st != "running") break;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    auto res = send(c, "GET", "/api/v1/runs/" + std::to_string(run) + "/result");
    return res.status == 200 ? res.body : json{{"result_status", res.status}, {"raw", res.raw}};
  };
  auto start_run = [&](httplib::Client& c, int seed) -> std::int64_t {
    auto r =
        send(c, "POST", "/api/v1/runs",
             json{{"kind", "simulate"}, {"scenario_id", scenario_id}, {"options", {{"seed", seed}}}}
                 .dump(),
             tok);
    return r.status == 202 && r.body.is_object() ? r.body["id"].get<std::int64_t>()
                                                 : -std::max(1, r.status);
  };
  std::map<int, json> serial_run;
  for (int seed : {1, 2}) {
    const auto id = start_run(*c0, seed);
    ASSERT_GT(id, 0);
    serial_run[seed] = wait_run(*c0, id);
    ASSERT_FALSE(serial_run[seed].contains("result_status")) << serial_run[seed].dump();
  }

  constexpr int kClients = 32;
  std::mutex mu;
  std::vector<std::string> problems;
  std::atomic<int> requests{0}, deliberate{0};
  auto problem = [&](std::string s) {
    std::lock_guard lock(mu);
    problems.push_back(std::move(s));
  };
  std::vector<std::thread> threads;
  for (int t = 0; t < kClients; ++t) {
    threads.emplace_back([&, t] {
      auto c = h.client();
      for (int i = 0; i < 12; ++i) {
        const int op = (t + i) % 6;
        ++requests;
        if (op == 0) {
          const int d = std::vector<int>{8, 16, 32, 64}[(t + i) % 4];
          auto r = send(*c, "POST", "/api/v1/estimate/infer", infer_request(d).dump());
          if (r.status != 200 || r.body != estimate[d])
            problem("estimate: " + std::to_string(r.status) + " " + r.raw.substr(0, 200));
        } else if (op == 1) {
          auto r = send(*c, "GET", "/api/v1/catalog/accelerators");
          if (r.status != 200) problem("catalog: " + std::to_string(r.status));
        } else if (op == 2) {
          const std::string name = "c" + std::to_string(t) + "-" + std::to_string(i);
          auto r = send(
              *c, "POST", "/api/v1/scenarios",
              json{{"name", name}, {"kind", "simulate"}, {"body", small_sim_scenario(name)}}.dump(),
              tok);
          if (r.status != 201 || !r.body.is_object()) {
            problem("scenario create: " + std::to_string(r.status) + " " + r.raw.substr(0, 200));
            continue;
          }
          auto g = send(*c, "GET", "/api/v1/scenarios/" + std::to_string(r.body.value("id", 0)));
          if (g.status != 200 || !g.body.is_object() || g.body.value("name", "") != name)
            problem("scenario read back: " + std::to_string(g.status));
        } else if (op == 3) {
          auto r = send(*c, "GET", "/api/v1/scenarios");
          if (r.status != 200) problem("scenario list: " + std::to_string(r.status));
        } else if (op == 4 && i < 6) {
          const int seed = 1 + (t % 2);
          const auto id = start_run(*c, seed);
          if (id <= 0) {
            problem("run start: " + std::to_string(-id));
            continue;
          }
          auto result = wait_run(*c, id);
          if (result != serial_run[seed]) problem("run result differs from the serial run");
        } else {
          // Deliberate client errors: must be 4xx with a JSON error.
          ++deliberate;
          auto r = send(*c, "POST", "/api/v1/estimate/infer", "{\"devices\": \"many\"}");
          if (r.status != 400 || !r.body.contains("error"))
            problem("deliberate 400 got " + std::to_string(r.status) + " " + r.raw);
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_TRUE(problems.empty()) << problems.size() << " problems, first: " << problems.front()
                                << ", last: " << problems.back();
  EXPECT_GE(requests.load(), kClients * 12);
  EXPECT_GT(deliberate.load(), 0);
  EXPECT_TRUE(h.service().store().integrity_check());
}

}  // namespace
}  // namespace suanli::testing

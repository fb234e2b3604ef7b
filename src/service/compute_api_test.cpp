#include "service/compute_api.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <map>
#include <thread>

#include "cli_run.h"
#include "perf/workload_fields.h"
#include "plan/plan_scenario.h"
#include "plan/planner.h"
#include "report/headline.h"
#include "report/report.h"
#include "service/openapi.h"
#include "util/strings.h"

namespace suanli::service {
namespace {

// Only the catalog-override methods are real; the rest fail.
class FakeStore : public store::Store {
 public:
  std::string backend() const override { return "fake"; }
  Result<int> schema_version() override { return no(); }
  Result<void> integrity_check() override { return no(); }
  Result<store::ScenarioRecord> create_scenario(std::string_view, std::string_view,
                                                std::string_view) override {
    return no();
  }
  Result<store::ScenarioRecord> update_scenario(std::int64_t, std::string_view,
                                                std::optional<int>) override {
    return no();
  }
  Result<store::ScenarioRecord> get_scenario(std::int64_t, std::optional<int>) override {
    return no();
  }
  Result<std::vector<store::ScenarioRecord>> list_scenarios() override { return no(); }
  Result<std::vector<store::ScenarioRecord>> scenario_versions(std::int64_t) override {
    return no();
  }
  Result<void> delete_scenario(std::int64_t) override { return no(); }
  Result<store::RunRecord> create_run(std::string_view, std::string_view) override { return no(); }
  Result<void> update_run(std::int64_t, std::string_view, double, std::string_view) override {
    return no();
  }
  Result<void> finish_run(std::int64_t, std::string_view, std::string_view,
                          std::string_view) override {
    return no();
  }
  Result<store::RunRecord> get_run(std::int64_t) override { return no(); }
  Result<std::vector<store::RunRecord>> list_runs(int) override { return no(); }
  Result<std::vector<store::RunRecord>> unfinished_runs() override { return no(); }
  Result<NewToken> create_token(std::string_view, bool) override { return no(); }
  Result<store::TokenRecord> find_token(std::string_view) override { return no(); }
  Result<std::vector<store::TokenRecord>> list_tokens() override { return no(); }
  Result<void> revoke_token(std::int64_t) override { return no(); }
  Result<std::int64_t> append_fleet_event(std::string_view,
                                          const std::vector<std::string>&) override {
    return no();
  }
  Result<std::vector<store::FleetEventRecord>> fleet_events(std::int64_t) override { return no(); }
  Result<std::vector<store::AuditRecord>> audit(std::int64_t, int) override { return no(); }
  Result<void> clear_fleet() override { return no(); }

  Result<void> put_catalog_override(const store::CatalogOverrideRecord& record) override {
    overrides[record.accelerator_id] = record;
    return {};
  }
  Result<std::vector<store::CatalogOverrideRecord>> catalog_overrides() override {
    std::vector<store::CatalogOverrideRecord> out;
    for (const auto& [id, r] : overrides) out.push_back(r);
    return out;
  }
  Result<void> delete_catalog_override(std::string_view id) override {
    if (overrides.erase(std::string(id)) == 0) return fail(ErrorCode::kNotFound, "no override");
    return {};
  }

  std::map<std::string, store::CatalogOverrideRecord> overrides;

 private:
  static std::unexpected<Error> no() { return fail(ErrorCode::kUnsupported, "fake store"); }
};

std::shared_ptr<const Catalog> bundled() {
  CatalogOptions o;
  o.directories = Catalog::default_directories();
  auto c = Catalog::load(o);
  EXPECT_TRUE(c) << c.error().message;
  return std::make_shared<const Catalog>(std::move(*c));
}

class ComputeApiTest : public ::testing::Test {
 protected:
  ComputeApiTest() : holder_(bundled()), api_(holder_, &store_, Catalog::default_directories()) {
    api_.add_routes(router_);
  }

  ApiResponse call(Method m, const std::string& path, const std::string& body = {}) {
    const auto match = router_.match(m, path);
    EXPECT_NE(match.route, nullptr) << path;
    if (!match.route) return error_response(404, "not_found", "no route");
    ApiRequest r;
    r.method = m;
    r.path = path;
    r.params = match.params;
    r.body = body;
    r.principal.token_id = 7;
    r.principal.can_write = true;
    return match.route->handler(r);
  }
  ApiResponse post(const std::string& path, const nlohmann::json& body) {
    return call(Method::kPost, path, body.dump());
  }

  static nlohmann::json cli_json(const std::vector<std::string>& args) {
    const auto r = app::run(args);
    EXPECT_EQ(r.code, 0) << r.err;
    return nlohmann::json::parse(r.out);
  }

  FakeStore store_;
  CatalogHolder holder_;
  ComputeApi api_;
  Router router_;
};

const nlohmann::json kTrain = {
    {"accelerator", "h100-sxm"}, {"devices", 64}, {"model", "llama3-8b"}, {"tokens", 1e12}};

TEST_F(ComputeApiTest, EstimateTrainEqualsCliJson) {
  const auto r = post("/api/v1/estimate/train", kTrain);
  ASSERT_EQ(r.status, 200) << r.body.dump();
  const auto cli = cli_json({"estimate", "train", "--accel", "h100-sxm", "--devices", "64",
                             "--model", "llama3-8b", "--tokens", "1e12", "--json"});
  EXPECT_EQ(r.body, cli);
  EXPECT_GT(r.body.at("step_time_s").get<double>(), 0);
  // The p10-p90 interval travels with the estimate (perf/interval.h).
  const auto& iv = r.body.at("interval");
  EXPECT_LE(iv.at("tokens_per_s").at("p10").get<double>(),
            iv.at("tokens_per_s").at("p90").get<double>());
  EXPECT_TRUE(iv.at("time_to_train_days").is_object());
  EXPECT_TRUE(iv.at("basis").at("summary").is_string());
}

TEST_F(ComputeApiTest, EstimateTrainFixedParallelismEqualsCliJson) {
  nlohmann::json body = kTrain;
  body["tp"] = 2;
  body["pp"] = 2;
  body["recompute"] = "selective";
  body["sequence_parallel"] = true;
  const auto r = post("/api/v1/estimate/train", body);
  ASSERT_EQ(r.status, 200) << r.body.dump();
  const auto cli = cli_json({"estimate", "train", "--accel", "h100-sxm", "--devices", "64",
                             "--model", "llama3-8b", "--tokens", "1e12", "--tp", "2", "--pp", "2",
                             "--recompute", "selective", "--sequence-parallel", "on", "--json"});
  EXPECT_EQ(r.body, cli);
  EXPECT_EQ(r.body.at("parallelism").at("tp"), 2);
}

TEST_F(ComputeApiTest, EstimateInferEqualsCliJson) {
  const nlohmann::json body = {{"accelerator", "h100-sxm"}, {"devices", 8},
                               {"model", "llama3-70b"},     {"input_len", 2048},
                               {"output_len", 256},         {"tpot_slo_ms", 50}};
  const auto r = post("/api/v1/estimate/infer", body);
  ASSERT_EQ(r.status, 200) << r.body.dump();
  const auto cli = cli_json({"estimate", "infer", "--accel", "h100-sxm", "--devices", "8",
                             "--model", "llama3-70b", "--input-len", "2048", "--output-len", "256",
                             "--tpot-slo-ms", "50", "--json"});
  EXPECT_EQ(r.body, cli);
  EXPECT_GT(r.body.at("interval").at("tpot_s").at("p90").get<double>(), 0);
}

TEST_F(ComputeApiTest, CompareAndClassifyEqualCliJson) {
  const auto r = post("/api/v1/compare", {{"kind", "infer"},
                                          {"accelerators", {"h100-sxm", "h20"}},
                                          {"devices", 8},
                                          {"model", "llama3-8b"},
                                          {"input_len", 1024},
                                          {"output_len", 128}});
  ASSERT_EQ(r.status, 200) << r.body.dump();
  EXPECT_EQ(r.body,
            cli_json({"compare", "infer", "--accels", "h100-sxm,h20", "--devices", "8", "--model",
                      "llama3-8b", "--input-len", "1024", "--output-len", "128", "--json"}));
  const auto t = post("/api/v1/compare", {{"kind", "train"},
                                          {"accelerators", {"h100-sxm", "h20"}},
                                          {"devices", 64},
                                          {"model", "llama3-8b"}});
  ASSERT_EQ(t.status, 200) << t.body.dump();
  EXPECT_EQ(t.body, cli_json({"compare", "train", "--accels", "h100-sxm,h20", "--devices", "64",
                              "--model", "llama3-8b", "--json"}));
  for (const auto& row : t.body.at("rows")) {
    EXPECT_TRUE(row.at("interval").at("tokens_per_s").is_object()) << row.dump();
  }

  const auto c = post("/api/v1/classify", {{"accelerators", {"h200-sxm", "h20"}}});
  ASSERT_EQ(c.status, 200) << c.body.dump();
  EXPECT_EQ(c.body, cli_json({"classify", "h200-sxm", "h20", "--json"}));
  EXPECT_EQ(c.body.at(0).at("eccn_class"), "3A090.a");
}

TEST_F(ComputeApiTest, ClassifiesGivenFigures) {
  // H100-like: 989.5 BF16 TFLOPS x 16 = 15,832 TPP -> 3A090.a.1.
  const auto r = post("/api/v1/classify",
                      {{"chip", {{"dense_tflops", {{"bf16", 989.5}}}, {"die_area_mm2", 814}}}});
  ASSERT_EQ(r.status, 200) << r.body.dump();
  ASSERT_EQ(r.body.size(), 1u);
  EXPECT_DOUBLE_EQ(r.body[0].at("tpp").get<double>(), 15832);
  EXPECT_EQ(r.body[0].at("eccn_class"), "3A090.a");
  EXPECT_EQ(r.body[0].at("tpp_unverified"), true);  // caller figures default to "estimate"
  const auto both = post("/api/v1/classify", {{"all", true}, {"accelerators", {"h20"}}});
  EXPECT_EQ(both.status, 400);
  const auto bad = post("/api/v1/classify", {{"chip", {{"dense_tflops", {{"bf17", 1}}}}}});
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(bad.body["error"]["field"], "body.chip.dense_tflops.bf17");
}

TEST_F(ComputeApiTest, RejectsBadRequestsNamingTheField) {
  auto expect_400 = [&](const nlohmann::json& patch, const std::string& field) {
    nlohmann::json body = kTrain;
    body.merge_patch(patch);
    const auto r = post("/api/v1/estimate/train", body);
    EXPECT_EQ(r.status, 400) << patch.dump() << " -> " << r.body.dump();
    EXPECT_EQ(r.body["error"]["field"], field) << r.body.dump();
  };
  expect_400({{"devicez", 8}}, "body.devicez");
  expect_400({{"devices", "8"}}, "body.devices");
  expect_400({{"devices", -8}}, "body.devices");
  expect_400({{"devices", 0}}, "body.devices");
  expect_400({{"devices", 1e12}}, "body.devices");
  expect_400({{"tp", 2.5}}, "body.tp");
  expect_400({{"precision", "fp16"}}, "body.precision");
  expect_400({{"zero", 4}}, "body.zero");
  expect_400({{"tokens", -1}}, "body.tokens");
  expect_400({{"accelerator", "h100; drop"}}, "body.accelerator");

  const auto unknown = post("/api/v1/estimate/train",
                            {{"accelerator", "h100-sxn"}, {"devices", 8}, {"model", "llama3-8b"}});
  EXPECT_EQ(unknown.status, 404);
  EXPECT_EQ(unknown.body["error"]["field"], "body.accelerator");
  EXPECT_NE(unknown.body["error"]["message"].get<std::string>().find("h100-sxm"),
            std::string::npos);  // did you mean

  const auto model = post("/api/v1/estimate/infer", {{"accelerator", "h100-sxm"},
                                                     {"devices", 8},
                                                     {"model", "llama9"},
                                                     {"input_len", 10},
                                                     {"output_len", 10}});
  EXPECT_EQ(model.status, 404);
  EXPECT_EQ(model.body["error"]["field"], "body.model");

  const auto missing = post("/api/v1/estimate/infer",
                            {{"accelerator", "h100-sxm"}, {"devices", 8}, {"model", "llama3-8b"}});
  EXPECT_EQ(missing.status, 400);
  EXPECT_EQ(missing.body["error"]["field"], "body.input_len");

  // The either/or rules name the API's field, not a CLI flag.
  const auto half = post("/api/v1/estimate/infer", {{"accelerator", "h100-sxm"},
                                                    {"devices", 8},
                                                    {"model", "llama3-8b"},
                                                    {"input_len", 10},
                                                    {"output_len", 10},
                                                    {"spec_tokens", 2}});
  EXPECT_EQ(half.status, 400);
  EXPECT_EQ(half.body["error"]["field"], "body.spec_accept_len");
  EXPECT_EQ(half.body["error"]["message"].get<std::string>().find("--"), std::string::npos)
      << half.body.dump();

  const auto malformed = call(Method::kPost, "/api/v1/estimate/train", "{\"devices\": 8,");
  EXPECT_EQ(malformed.status, 400);
  EXPECT_EQ(malformed.body["error"]["field"], "body");
  const auto array = call(Method::kPost, "/api/v1/estimate/infer", "[1]");
  EXPECT_EQ(array.status, 400);

  const auto sizing =
      post("/api/v1/compare",
           {{"kind", "train"}, {"accelerators", {"h100-sxm"}}, {"model", "llama3-8b"}});
  EXPECT_EQ(sizing.status, 400);
  EXPECT_EQ(sizing.body["error"]["field"], "body.devices");
}

TEST_F(ComputeApiTest, InfeasibleFixedConfigurationIs400WithTheEstimate) {
  const auto r = post("/api/v1/estimate/train", {{"accelerator", "h100-sxm"},
                                                 {"devices", 8},
                                                 {"model", "llama3-70b"},
                                                 {"tp", 1},
                                                 {"pp", 1},
                                                 {"micro_batch", 1},
                                                 {"recompute", "none"},
                                                 {"zero", 0}});
  EXPECT_EQ(r.status, 400) << r.body.dump();
  EXPECT_TRUE(r.body.contains("estimate")) << r.body.dump();
  EXPECT_FALSE(r.body["estimate"].value("fits", true));
}

TEST_F(ComputeApiTest, CatalogReadsMarkUnverifiedFigures) {
  const auto list = call(Method::kGet, "/api/v1/catalog/accelerators");
  ASSERT_EQ(list.status, 200);
  ASSERT_TRUE(list.body.is_array());
  EXPECT_EQ(list.body.size(), holder_.get().catalog->accelerators().size());
  const auto one = call(Method::kGet, "/api/v1/catalog/accelerators/h200-sxm");
  ASSERT_EQ(one.status, 200);
  EXPECT_EQ(one.body["id"], "h200-sxm");
  const auto& rent = one.body["rental_usd_per_hour"];
  EXPECT_EQ(rent["unverified"],
            rent["confidence"] == "estimate" || rent["confidence"] == "placeholder");
  // Same content as the CLI plus the flag.
  auto cli = cli_json({"catalog", "show", "h200-sxm"});
  EXPECT_EQ(cli["memory_gb"]["value"], one.body["memory_gb"]["value"]);
  const auto missing = call(Method::kGet, "/api/v1/catalog/accelerators/h200-sxn");
  EXPECT_EQ(missing.status, 404);
  EXPECT_NE(missing.body["error"]["message"].get<std::string>().find("h200-sxm"),
            std::string::npos);
  const auto models = call(Method::kGet, "/api/v1/catalog/models");
  ASSERT_EQ(models.status, 200);
  EXPECT_EQ(models.body, cli_json({"catalog", "models", "--json"}));
}

// A reseller's quote: rental rate and purchase price (the default cost
// basis, ownership, prices from the purchase price).
const char* kQuote = R"({"figures": {"rental_usd_per_hour": {"value": 0.5,
  "source": "quote-2026q3", "confidence": "verified"},
  "price_usd": {"value": 10000, "source": "quote-2026q3", "confidence": "verified"}},
  "sources": {"quote-2026q3": "reseller quote"}})";

TEST_F(ComputeApiTest, PriceOverrideChangesCostAndIsListed) {
  const auto before = post("/api/v1/estimate/train", kTrain);
  ASSERT_EQ(before.status, 200);
  const double cost_before = before.body.at("cost_usd").get<double>();
  const auto version = holder_.get().version;

  const auto put = call(Method::kPut, "/api/v1/catalog/accelerators/h100-sxm", kQuote);
  ASSERT_EQ(put.status, 200) << put.body.dump();
  EXPECT_EQ(put.body["rental_usd_per_hour"]["value"], 0.5);
  EXPECT_EQ(put.body["rental_usd_per_hour"]["source"], "reseller quote");
  EXPECT_EQ(put.body["rental_usd_per_hour"]["unverified"], false);
  EXPECT_EQ(put.body["name"], "NVIDIA H100 SXM") << "merged over the bundled chip";
  EXPECT_GT(holder_.get().version, version);
  ASSERT_EQ(store_.overrides.count("h100-sxm"), 1u);
  EXPECT_EQ(store_.overrides["h100-sxm"].token_id, 7);

  const auto after = post("/api/v1/estimate/train", kTrain);
  ASSERT_EQ(after.status, 200);
  const double cost_after = after.body.at("cost_usd").get<double>();
  EXPECT_LT(cost_after, cost_before);
  EXPECT_EQ(after.body.at("step_time_s"), before.body.at("step_time_s"));

  const auto get = call(Method::kGet, "/api/v1/catalog/accelerators/h100-sxm");
  EXPECT_EQ(get.body["rental_usd_per_hour"]["value"], 0.5);
  EXPECT_EQ(get.body["rental_usd_per_hour"]["source"], "reseller quote");

  const auto listed = call(Method::kGet, "/api/v1/catalog/overrides");
  ASSERT_EQ(listed.status, 200);
  ASSERT_EQ(listed.body.size(), 1u);
  EXPECT_EQ(listed.body[0]["accelerator_id"], "h100-sxm");
  EXPECT_EQ(listed.body[0]["token_id"], 7);
  EXPECT_FALSE(listed.body[0]["updated_at"].get<std::string>().empty());
  EXPECT_EQ(listed.body[0]["entry"]["sources"]["quote-2026q3"], "reseller quote");

  // A restart (reload from the store) keeps it.
  ASSERT_TRUE(api_.reload_catalog());
  EXPECT_EQ(call(Method::kGet, "/api/v1/catalog/accelerators/h100-sxm")
                .body["rental_usd_per_hour"]["value"],
            0.5);

  // DELETE restores the bundled price; a second DELETE is 404.
  const auto del = call(Method::kDelete, "/api/v1/catalog/accelerators/h100-sxm");
  ASSERT_EQ(del.status, 200) << del.body.dump();
  EXPECT_TRUE(store_.overrides.empty());
  EXPECT_EQ(post("/api/v1/estimate/train", kTrain).body.at("cost_usd").get<double>(), cost_before);
  EXPECT_EQ(call(Method::kDelete, "/api/v1/catalog/accelerators/h100-sxm").status, 404);
}

TEST_F(ComputeApiTest, AddsANewChip) {
  const auto put = call(Method::kPut, "/api/v1/catalog/accelerators/our-npu-x1", R"({
    "name": "Example NPU", "vendor": "Example", "origin": "CN",
    "source": "vendor briefing", "confidence": "placeholder",
    "dense_tflops": {"bf16": 600},
    "figures": {"memory_gb": 96, "memory_bw_gbps": 2800, "scaleup_domain": 16,
                "scaleup_bidir_gbps": 600, "scaleout_gbps": 50, "tdp_w": 550}})");
  ASSERT_EQ(put.status, 200) << put.body.dump();
  EXPECT_EQ(put.body["dense_tflops"]["bf16"]["unverified"], true);
  const auto est = post("/api/v1/estimate/train",
                        {{"accelerator", "our-npu-x1"}, {"devices", 16}, {"model", "llama3-8b"}});
  EXPECT_EQ(est.status, 200) << est.body.dump();
}

TEST_F(ComputeApiTest, RejectedOverridesStoreNothing) {
  const auto version = holder_.get().version;
  // A figure without a source (neither its own nor the entry's).
  const auto no_source = call(Method::kPut, "/api/v1/catalog/accelerators/h100-sxm",
                              R"({"figures": {"rental_usd_per_hour": {"value": 2.6,
                                   "confidence": "verified"}}})");
  EXPECT_EQ(no_source.status, 400);
  EXPECT_EQ(no_source.body["error"]["field"], "body.figures.rental_usd_per_hour");
  EXPECT_NE(no_source.body["error"]["message"].get<std::string>().find("source"), std::string::npos)
      << no_source.body.dump();
  const auto bare = call(Method::kPut, "/api/v1/catalog/accelerators/h100-sxm",
                         R"({"figures": {"rental_usd_per_hour": 2.6}})");
  EXPECT_EQ(bare.status, 400);
  const auto typo =
      call(Method::kPut, "/api/v1/catalog/accelerators/h100-sxm", R"({"figurez": {}})");
  EXPECT_EQ(typo.status, 400);
  const auto negative = call(Method::kPut, "/api/v1/catalog/accelerators/h100-sxm",
                             R"({"source": "x", "confidence": "verified",
                                 "figures": {"price_usd": -1}})");
  EXPECT_EQ(negative.status, 400);
  const auto incomplete = call(Method::kPut, "/api/v1/catalog/accelerators/new-chip",
                               R"({"name": "New", "source": "x", "confidence": "estimate"})");
  EXPECT_EQ(incomplete.status, 400);
  const auto null_value =
      call(Method::kPut, "/api/v1/catalog/accelerators/h100-sxm", R"({"notes": null})");
  EXPECT_EQ(null_value.status, 400);
  EXPECT_EQ(null_value.body["error"]["field"], "body.notes");
  const auto wrong_id =
      call(Method::kPut, "/api/v1/catalog/accelerators/h100-sxm", R"({"id": "h200-sxm"})");
  EXPECT_EQ(wrong_id.status, 400);
  EXPECT_EQ(call(Method::kPut, "/api/v1/catalog/accelerators/h100-sxm", "{").status, 400);

  EXPECT_TRUE(store_.overrides.empty());
  EXPECT_EQ(holder_.get().version, version);
}

TEST_F(ComputeApiTest, CacheReturnsIdenticalBodiesAndFollowsTheCatalog) {
  const auto first = post("/api/v1/estimate/train", kTrain);
  const auto s1 = api_.cache_stats();
  // Same request with another key order and spacing: a hit.
  const auto second = call(Method::kPost, "/api/v1/estimate/train",
                           R"({ "tokens": 1e12, "model": "llama3-8b", "devices": 64,
                                "accelerator": "h100-sxm" })");
  const auto s2 = api_.cache_stats();
  EXPECT_EQ(s2.hits, s1.hits + 1);
  EXPECT_EQ(first.status, second.status);
  EXPECT_EQ(first.body.dump(), second.body.dump());

  ASSERT_EQ(call(Method::kPut, "/api/v1/catalog/accelerators/h100-sxm", kQuote).status, 200);
  EXPECT_EQ(api_.cache_stats().size, 0u);
  const auto third = post("/api/v1/estimate/train", kTrain);
  EXPECT_EQ(api_.cache_stats().hits, s2.hits) << "a catalog change misses";
  EXPECT_NE(third.body.at("cost_usd"), first.body.at("cost_usd"));

  // Decoding errors are not cached; the cache stays bounded.
  ResponseCache small(4, 2);
  for (int i = 0; i < 10; ++i) small.put(std::to_string(i), json_response({{"i", i}}));
  EXPECT_LE(small.stats().size, 4u);
  ASSERT_TRUE(small.get("9"));
  EXPECT_EQ(small.get("9")->body["i"], 9);
  EXPECT_FALSE(small.get("0"));
}

TEST_F(ComputeApiTest, MeasuresCachedAndUncachedCost) {
  using Clock = std::chrono::steady_clock;
  auto time = [&](const char* path, const nlohmann::json& body, int n) {
    const auto t0 = Clock::now();
    for (int i = 0; i < n; ++i) {
      const auto r = post(path, body);
      EXPECT_EQ(r.status, 200);
    }
    return std::chrono::duration<double, std::micro>(Clock::now() - t0).count() / n;
  };
  const nlohmann::json infer = {{"accelerator", "h100-sxm"},
                                {"devices", 8},
                                {"model", "llama3-70b"},
                                {"input_len", 2048},
                                {"output_len", 256}};
  // Uncached: vary a field the answer does not depend on much (tokens).
  double uncached_train = 0;
  double uncached_infer = 0;
  const int n = 5;
  for (int i = 0; i < n; ++i) {
    nlohmann::json t = kTrain;
    t["tokens"] = 1e12 + i;
    uncached_train += time("/api/v1/estimate/train", t, 1) / n;
    nlohmann::json q = infer;
    q["input_len"] = 2048 + i;
    uncached_infer += time("/api/v1/estimate/infer", q, 1) / n;
  }
  const double cached_train = time("/api/v1/estimate/train", kTrain, 200);
  const double cached_infer = time("/api/v1/estimate/infer", infer, 200);
  std::printf(
      "estimate cost per request (µs): train uncached %.0f cached %.1f; infer uncached "
      "%.0f cached %.1f\n",
      uncached_train, cached_train, uncached_infer, cached_infer);
  EXPECT_LT(cached_train, uncached_train);
  EXPECT_LT(cached_infer, uncached_infer);
}

TEST_F(ComputeApiTest, ConcurrentRequestsAgreeWhileTheCatalogChanges) {
  const auto reference = post("/api/v1/estimate/infer", {{"accelerator", "h20"},
                                                         {"devices", 8},
                                                         {"model", "llama3-8b"},
                                                         {"input_len", 512},
                                                         {"output_len", 64}});
  ASSERT_EQ(reference.status, 200);
  std::atomic<int> mismatches{0};
  std::atomic<long> done{0};
  std::vector<std::thread> threads;
  const auto t0 = std::chrono::steady_clock::now();
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 300; ++i) {
        const auto r = post("/api/v1/estimate/infer", {{"accelerator", "h20"},
                                                       {"devices", 8},
                                                       {"model", "llama3-8b"},
                                                       {"input_len", 512},
                                                       {"output_len", 64}});
        if (r.status != 200 || r.body != reference.body) ++mismatches;
        ++done;
      }
    });
  }
  // Overrides of another chip meanwhile: new catalog versions, same answer for h20.
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(call(Method::kPut, "/api/v1/catalog/accelerators/h100-sxm", kQuote).status, 200);
  }
  for (auto& t : threads) t.join();
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf("4 threads: %.0f requests/s in-process (mostly cache hits)\n", done / s);
  EXPECT_EQ(mismatches.load(), 0);
  EXPECT_EQ(done.load(), 1200);
}

TEST(OpenApi, ListsEveryRouteWithSchemas) {
  CatalogHolder holder(bundled());
  ComputeApi api(holder, nullptr, Catalog::default_directories());
  Router router;
  api.add_routes(router);
  router.add(Method::kGet, "/api/v1/runs/{id}", Access::kRead, "A run",
             [](const ApiRequest&) { return json_response({}); });
  const auto doc = openapi_document(router);
  EXPECT_EQ(doc["openapi"], "3.0.3");
  const auto text = doc.dump();
  EXPECT_EQ(nlohmann::json::parse(text), doc);
  for (const auto& r : router.routes()) {
    const std::string method(method_name(r.method));
    std::string lower;
    for (char c : method) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    ASSERT_TRUE(doc["paths"].contains(r.pattern)) << r.pattern;
    ASSERT_TRUE(doc["paths"][r.pattern].contains(lower)) << method << " " << r.pattern;
    const auto& op = doc["paths"][r.pattern][lower];
    EXPECT_EQ(op["summary"], r.summary);
    EXPECT_EQ(op.contains("security"), r.access == Access::kWrite) << r.pattern;
  }
  const auto& put = doc["paths"]["/api/v1/catalog/accelerators/{id}"]["put"];
  EXPECT_EQ(put["security"][0].count("bearerAuth"), 1u);
  EXPECT_EQ(put["parameters"][0]["name"], "id");
  EXPECT_TRUE(put["requestBody"]["content"]["application/json"]["schema"]["properties"].contains(
      "figures"));
  const auto& train = doc["paths"]["/api/v1/estimate/train"]["post"]["requestBody"]["content"]
                         ["application/json"]["schema"];
  EXPECT_EQ(train["additionalProperties"], false);
  EXPECT_EQ(train["properties"]["devices"]["minimum"], 1);
  EXPECT_EQ(train["required"], nlohmann::json({"accelerator", "devices"}));
  EXPECT_EQ(train["properties"]["zero"]["maximum"], 3);
  // The workload fields are the CLI's (perf/workload_fields.h): same names,
  // descriptions and bounds in the schema.
  for (const auto* table : {&train_workload_fields(), &train_parallelism_fields()}) {
    for (const auto& f : *table) {
      const auto& p = train["properties"][std::string(f.spec.name)];
      EXPECT_EQ(p["description"], std::string(f.spec.description)) << f.spec.name;
    }
  }
  for (const auto& f : cost_fields())
    EXPECT_TRUE(train["properties"].contains(std::string(f.spec.name))) << f.spec.name;
  EXPECT_EQ(train["properties"]["power_limit_w"]["maximum"], 5000);
  for (auto path : {"/api/v1/estimate/infer", "/api/v1/compare", "/api/v1/classify"}) {
    EXPECT_TRUE(doc["paths"][path]["post"]["requestBody"]["content"]["application/json"]["schema"]
                   ["properties"]
                       .is_object())
        << path;
  }
  EXPECT_EQ(doc["components"]["securitySchemes"]["bearerAuth"]["scheme"], "bearer");
  EXPECT_EQ(doc["components"]["schemas"]["Error"]["properties"]["error"]["required"],
            nlohmann::json({"code", "message"}));
  EXPECT_TRUE(
      doc["components"]["schemas"]["Error"]["properties"]["error"]["properties"].contains("field"));
}

// The acceptance of "one cost basis": the report's headline figure (a
// domestic chip's cost-performance against the foreign one), the CLI
// command the report prints for it, and the API the dashboard's compare
// calls give the same number, and the report's comparison table prices a
// device-hour as the CLI does.
TEST_F(ComputeApiTest, OneCostPerformanceFigureInTheReportCliAndApi) {
  const std::string text = R"TOML([plan]
name = "one-answer"
years = 1
pue = 1.25
tariff_usd_per_kwh = 0.05

[[site]]
name = "guian"

[[candidate]]
accelerator = "h200-sxm"
assume_available = "licences granted"
levy = 0.25

[[candidate]]
accelerator = "ascend-910c"

[[training]]
name = "run-6.7b"
model = "gpt3-6.7b"
tokens = 3.0e11
deadline_days = 10
)TOML";
  auto catalog = holder_.get().catalog;
  auto sc = parse_plan_scenario(text, "one-answer.toml", *catalog);
  ASSERT_TRUE(sc) << sc.error().message;
  PlanOptions o;
  o.time_limit_s = 20;
  o.policy_costs = false;
  o.marginal_prices = false;
  auto plan = solve_plan(sc->problem, o);
  ASSERT_TRUE(plan) << plan.error().message;
  const nlohmann::json head = headline_json(*sc, *plan, *catalog);
  ASSERT_TRUE(head["worth"].is_object()) << head.dump(2);
  const double figure = head["worth"]["relative_cost_performance"].get<double>();
  EXPECT_GT(figure, 0);
  const std::string command = head["worth"]["command"].get<std::string>();
  std::printf("  report: %s worth %.4fx %s per ownership dollar\n  command: %s\n",
              head["worth"]["other"].get<std::string>().c_str(), figure,
              head["worth"]["baseline"].get<std::string>().c_str(), command.c_str());

  // The CLI: exactly the command the report prints, with --json.
  std::vector<std::string> args;
  for (const std::string& a : suanli::split(command, ' '))
    if (!a.empty()) args.push_back(a);
  ASSERT_EQ(args.front(), "suanli");
  args.erase(args.begin());
  args.push_back("--json");
  const nlohmann::json cli = cli_json(args);
  ASSERT_EQ(cli["rows"].size(), 2u);
  EXPECT_DOUBLE_EQ(cli["rows"][1]["relative_cost_performance"].get<double>(), figure);
  EXPECT_EQ(cli["cost_basis"], "ownership");

  // The API the dashboard's compare form posts to, with the same fields.
  const TrainRequest r = headline_train_request(*sc);
  nlohmann::json body{{"kind", "train"},
                      {"model", r.model},
                      {"tokens", r.tokens},
                      {"precision", r.precision},
                      {"devices", head["worth"]["devices"]},
                      {"accelerators", {head["worth"]["baseline"], head["worth"]["other"]}},
                      {"levy", r.cost.levy},
                      {"pue", *r.cost.pue},
                      {"tariff_usd_per_kwh", *r.cost.tariff_usd_per_kwh},
                      {"power_load_factor", *r.cost.power_load_factor},
                      {"node_power_overhead", *r.cost.node_power_overhead}};
  const auto api = post("/api/v1/compare", body);
  ASSERT_EQ(api.status, 200) << api.body.dump();
  EXPECT_DOUBLE_EQ(api.body["rows"][1]["relative_cost_performance"].get<double>(), figure);

  // The report's comparison table: the same hourly cost per device.
  const nlohmann::json table = comparison_json(*sc, *catalog);
  for (const auto& row : table["workloads"][0]["rows"]) {
    for (const auto& c : cli["rows"]) {
      if (c["accelerator"] == row["accelerator"]) {
        EXPECT_DOUBLE_EQ(row["hourly_usd_per_device"].get<double>(),
                         c["hourly_usd_per_device"].get<double>())
            << row["accelerator"];
      }
    }
  }
}

}  // namespace
}  // namespace suanli::service

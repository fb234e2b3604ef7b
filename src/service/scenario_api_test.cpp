// Saved scenarios over the API on a real SQLite store: create validates with
// the scenario's loader (400 with file:line, nothing stored), versions,
// optimistic concurrency (409), delete, and the bundled examples' import.
#include "service/scenario_api.h"

#include <gtest/gtest.h>

#include <fmt/format.h>

#include <memory>
#include <string>

#include "service_api_fixture.h"

namespace suanli::service {
namespace {

const std::string kTiny = R"(name = "tiny"
seed = 7
[[sites]]
name = "wuhu"
[[fleet]]
site = "wuhu"
accelerator = "h200-sxm"
nodes = 2
[[tenants]]
name = "lab"
[[generators]]
tenant = "lab"
rate_per_hour = 4
count = 20
  [[generators.jobs]]
  devices = [1, 8]
  reference = "h100-sxm"
  reference_hours = [0.5, 4]
)";

const std::string kPlan = R"([plan]
name = "p"
years = 2
budget_usd = 1.0e9
[[site]]
name = "guian"
[[candidate]]
accelerator = "ascend-910c"
price_usd = 25000
[[training]]
name = "small-run"
model = "gpt3-6.7b"
tokens = 3.0e11
deadline_days = 10
)";

class ScenarioApiTest : public suanli::testing::ServiceApiTest {
 protected:
  void SetUp() override {
    ServiceApiTest::SetUp();
    if (HasFatalFailure()) return;
    api_ = std::make_unique<ScenarioApi>(*store_, *holder_, dir_.path() / "data");
    api_->add_routes(router_);
  }

  std::unique_ptr<ScenarioApi> api_;
};

std::string message_of(const ApiResponse& r) {
  return r.body.contains("error") ? r.body["error"].value("message", "") : "";
}

TEST_F(ScenarioApiTest, CreateGetUpdateVersionsAndDelete) {
  auto created = call(Method::kPost, "/api/v1/scenarios",
                      {{"name", "tiny"}, {"kind", "simulate"}, {"body", kTiny}});
  ASSERT_EQ(created.status, 201) << created.body.dump();
  const auto id = created.body["id"].get<std::int64_t>();
  EXPECT_EQ(created.body["version"], 1);
  EXPECT_EQ(created.body["kind"], "simulate");
  EXPECT_EQ(created.body["body"], kTiny);

  const std::string path = fmt::format("/api/v1/scenarios/{}", id);
  auto got = call(Method::kGet, path);
  ASSERT_EQ(got.status, 200);
  EXPECT_EQ(got.body["body"], kTiny);

  std::string v2 = kTiny;
  v2.replace(v2.find("count = 20"), 10, "count = 30");
  auto updated = call(Method::kPut, path, {{"body", v2}, {"expected_version", 1}});
  ASSERT_EQ(updated.status, 200) << updated.body.dump();
  EXPECT_EQ(updated.body["version"], 2);

  // A stale expected version loses.
  auto stale = call(Method::kPut, path, {{"body", kTiny}, {"expected_version", 1}});
  EXPECT_EQ(stale.status, 409) << stale.body.dump();
  EXPECT_EQ(stale.body["error"]["code"], "conflict");

  auto latest = call(Method::kGet, path);
  EXPECT_EQ(latest.body["version"], 2);
  EXPECT_EQ(latest.body["body"], v2);
  auto first = call(Method::kGet, path, nullptr, {{"version", "1"}});
  ASSERT_EQ(first.status, 200);
  EXPECT_EQ(first.body["body"], kTiny);
  auto bad_version = call(Method::kGet, path, nullptr, {{"version", "zero"}});
  EXPECT_EQ(bad_version.status, 400);

  auto versions = call(Method::kGet, path + "/versions");
  ASSERT_EQ(versions.status, 200);
  ASSERT_EQ(versions.body["versions"].size(), 2u);
  EXPECT_FALSE(versions.body["versions"][0].contains("body"));

  auto list = call(Method::kGet, "/api/v1/scenarios");
  ASSERT_EQ(list.body["scenarios"].size(), 1u);
  EXPECT_EQ(list.body["scenarios"][0]["version"], 2);

  // The same name again: 409.
  auto dup = call(Method::kPost, "/api/v1/scenarios",
                  {{"name", "tiny"}, {"kind", "simulate"}, {"body", kTiny}});
  EXPECT_EQ(dup.status, 409);

  EXPECT_EQ(call(Method::kDelete, path).status, 200);
  EXPECT_EQ(call(Method::kGet, path).status, 404);
  EXPECT_EQ(call(Method::kDelete, path).status, 404);
  EXPECT_TRUE(call(Method::kGet, "/api/v1/scenarios").body["scenarios"].empty());
}

TEST_F(ScenarioApiTest, InvalidScenarioIsRefusedWithItsLineAndNothingIsStored) {
  // A misspelt required key on line 8 (the loader names the missing key at
  // the look-alike's line), and a TOML syntax error.
  std::string bad = kTiny;
  bad.replace(bad.find("nodes = 2"), 9, "nodez = 2");
  auto r = call(Method::kPost, "/api/v1/scenarios",
                {{"name", "tiny"}, {"kind", "simulate"}, {"body", bad}});
  EXPECT_EQ(r.status, 400) << r.body.dump();
  EXPECT_NE(message_of(r).find("tiny.toml:8"), std::string::npos) << message_of(r);
  EXPECT_NE(message_of(r).find("did you mean 'nodez'?"), std::string::npos) << message_of(r);
  EXPECT_EQ(r.body["error"]["field"], "body.body");

  auto syntax = call(Method::kPost, "/api/v1/scenarios",
                     {{"name", "tiny"}, {"kind", "simulate"}, {"body", "name = \"x\"\nseed = \n"}});
  EXPECT_EQ(syntax.status, 400);
  EXPECT_NE(message_of(syntax).find("tiny.toml:2"), std::string::npos) << message_of(syntax);

  // A plan body saved as a simulation scenario fails the simulation loader.
  auto wrong_kind = call(Method::kPost, "/api/v1/scenarios",
                         {{"name", "p"}, {"kind", "simulate"}, {"body", kPlan}});
  EXPECT_EQ(wrong_kind.status, 400);
  auto no_kind = call(Method::kPost, "/api/v1/scenarios",
                      {{"name", "p"}, {"kind", "replay"}, {"body", kPlan}});
  EXPECT_EQ(no_kind.status, 400);
  auto bad_name = call(Method::kPost, "/api/v1/scenarios",
                       {{"name", "a b"}, {"kind", "plan"}, {"body", kPlan}});
  EXPECT_EQ(bad_name.status, 400);
  auto extra = call(Method::kPost, "/api/v1/scenarios",
                    {{"name", "p"}, {"kind", "plan"}, {"body", kPlan}, {"colour", "red"}});
  EXPECT_EQ(extra.status, 400);
  EXPECT_NE(message_of(extra).find("body.colour"), std::string::npos);

  auto list = store_->list_scenarios();
  ASSERT_TRUE(list.has_value());
  EXPECT_TRUE(list->empty());

  // A valid plan scenario is accepted; an invalid update leaves it alone.
  auto plan =
      call(Method::kPost, "/api/v1/scenarios", {{"name", "p"}, {"kind", "plan"}, {"body", kPlan}});
  ASSERT_EQ(plan.status, 201) << plan.body.dump();
  const std::string path = fmt::format("/api/v1/scenarios/{}", plan.body["id"].get<int>());
  std::string bad_plan = kPlan;
  bad_plan.replace(bad_plan.find("deadline_days"), 13, "deadline_dayz");
  auto update = call(Method::kPut, path, {{"body", bad_plan}});
  EXPECT_EQ(update.status, 400);
  EXPECT_NE(message_of(update).find("p.toml:14"), std::string::npos) << message_of(update);
  EXPECT_EQ(call(Method::kGet, path).body["version"], 1);
}

TEST_F(ScenarioApiTest, ImportsTheBundledExamplesOnceIntoAnEmptyStore) {
  const auto examples = std::filesystem::path(SUANLI_SOURCE_DIR) / "examples";
  auto n = api_->import_examples(examples);
  ASSERT_TRUE(n.has_value()) << n.error().message;
  EXPECT_EQ(*n, 2);
  auto list = store_->list_scenarios();
  ASSERT_TRUE(list.has_value());
  ASSERT_EQ(list->size(), 2u);
  EXPECT_EQ((*list)[0].name, "hybrid-cloud-2026");
  EXPECT_EQ((*list)[0].kind, "simulate");
  EXPECT_EQ((*list)[1].name, "plan-2027-h200-return");
  EXPECT_EQ((*list)[1].kind, "plan");
  auto again = api_->import_examples(examples);
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(*again, 0);
}

TEST(ScenarioPseudoPath, LivesUnderTheDataDirWithASafeName) {
  EXPECT_EQ(scenario_pseudo_path("/d", "a/b:c"), std::filesystem::path("/d/scenarios/a_b_c.toml"));
  EXPECT_EQ(scenario_pseudo_path("/d", "x"), std::filesystem::path("/d/scenarios/x.toml"));
}

}  // namespace
}  // namespace suanli::service

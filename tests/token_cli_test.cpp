// `suanli token create|list|revoke` as a user runs it, in-process against
// a SQLite store in a temp dir (--data-dir and --db), then checked through
// the store itself.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

#include "cli_run.h"
#include "contains.h"
#include "store/store.h"
#include "temp_dir.h"

namespace suanli::app {
namespace {

using Json = nlohmann::json;

using ::suanli::testing::contains;

TEST(TokenCli, CreateListRevoke) {
  suanli::testing::TempDir dir;
  const std::string data = (dir.path() / "data").string();

  auto created = run({"token", "create", "ci-bot", "--data-dir", data, "--json"});
  ASSERT_EQ(created.code, kExitOk) << created.all();
  const Json j = Json::parse(created.out);
  const std::string secret = j.at("secret");
  EXPECT_EQ(secret.size(), 64u);
  EXPECT_EQ(j.at("name"), "ci-bot");
  EXPECT_EQ(j.at("can_write"), true);
  EXPECT_TRUE(contains(created.err, "not shown again"));

  auto viewer = run({"token", "--data-dir", data, "create", "viewer", "--read-only"});
  ASSERT_EQ(viewer.code, kExitOk) << viewer.all();
  EXPECT_TRUE(contains(viewer.out, "not shown again")) << viewer.out;
  EXPECT_TRUE(contains(viewer.out, "read only")) << viewer.out;

  auto listed = run({"token", "list", "--data-dir", data});
  ASSERT_EQ(listed.code, kExitOk) << listed.all();
  EXPECT_TRUE(contains(listed.out, "ci-bot"));
  EXPECT_TRUE(contains(listed.out, "viewer"));
  EXPECT_TRUE(contains(listed.out, "write"));
  EXPECT_TRUE(contains(listed.out, "read"));
  EXPECT_FALSE(contains(listed.out, secret)) << "list must never show a secret";

  const std::int64_t id = j.at("id");
  auto revoked = run({"token", "revoke", std::to_string(id), "--data-dir", data});
  ASSERT_EQ(revoked.code, kExitOk) << revoked.all();

  // The same store through --db: the list as JSON shows the revocation.
  const std::string url = store::default_store_url(data);
  auto json_list = run({"token", "list", "--json", "--db", url});
  ASSERT_EQ(json_list.code, kExitOk) << json_list.all();
  const Json arr = Json::parse(json_list.out);
  ASSERT_EQ(arr.size(), 2u);
  EXPECT_EQ(arr[0].at("id"), id);
  EXPECT_FALSE(arr[0].at("revoked_at").is_null());
  EXPECT_TRUE(arr[1].at("revoked_at").is_null());
  EXPECT_EQ(arr[1].at("access"), "read");

  // What the service will see.
  auto s = store::Store::open(url);
  ASSERT_TRUE(s) << s.error().message;
  auto found = (*s)->find_token(secret);
  ASSERT_TRUE(found) << found.error().message;
  EXPECT_EQ(found->name, "ci-bot");
  EXPECT_TRUE(found->revoked_at.has_value());
  auto tokens = (*s)->list_tokens();
  ASSERT_TRUE(tokens);
  EXPECT_EQ(tokens->size(), 2u);
}

TEST(TokenCli, Errors) {
  suanli::testing::TempDir dir;
  const std::string data = (dir.path() / "data").string();
  auto unknown = run({"token", "revoke", "99", "--data-dir", data});
  EXPECT_EQ(unknown.code, kExitBadInput);
  EXPECT_TRUE(contains(unknown.err, "no token with id 99")) << unknown.all();

  auto bad_url = run({"token", "list", "--db", "mysql://x"});
  EXPECT_EQ(bad_url.code, kExitBadInput);
  EXPECT_TRUE(contains(bad_url.err, "sqlite:PATH")) << bad_url.all();

  auto both = run({"token", "list", "--db", "sqlite:x.db", "--data-dir", data});
  EXPECT_EQ(both.code, kExitBadInput) << both.all();

  auto no_name = run({"token", "create", "--data-dir", data});
  EXPECT_EQ(no_name.code, kExitBadInput);

  auto empty = run({"token", "list", "--data-dir", data});
  EXPECT_EQ(empty.code, kExitOk);
  EXPECT_TRUE(contains(empty.out, "no tokens"));
}

}  // namespace
}  // namespace suanli::app

// The store suite, run with identical assertions against both backends:
// SQLite in a temp dir and PostgreSQL on a throwaway local server
// (pg_test_server.h, started once per suite; skipped when the PostgreSQL
// binaries are missing). Each test gets a fresh database; the "raw"
// helpers reach past the store (another connection) to check what is
// really stored and to break a database on purpose.
#include "store/store.h"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <regex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "read_file.h"
#include "store/sql_store.h"
#include "store/sqlite_store.h"
#include "temp_dir.h"

#if SUANLI_WITH_POSTGRESQL
#include <pqxx/pqxx>

#include "store/pg_store.h"
#include "store/pg_test_server.h"
#endif

namespace suanli::store {
namespace {

using suanli::testing::TempDir;

// ---- Backends --------------------------------------------------------------

class SqliteBackend {
 public:
  static constexpr const char* kName = "Sqlite";
  static void set_up_suite() {}
  static void tear_down_suite() {}
  // Empty when usable; `skip` tells a skip from a failure.
  static std::string unavailable(bool& skip) {
    skip = false;
    return {};
  }

  // A URL of a new, empty database (a nested path: open creates the dirs).
  std::string new_url() {
    const auto path = dir_.path() / fmt::format("db{}", ++count_) / "nested" / "suanli.db";
    last_path_ = path;
    return "sqlite:" + path.string();
  }
  static std::filesystem::path path_of(const std::string& url) { return url.substr(7); }

  static Result<std::unique_ptr<Store>> open_at(const std::string& url, int version) {
    std::filesystem::create_directories(path_of(url).parent_path());
    return open_sqlite_store(path_of(url), version);
  }

  // Runs SQL on a separate plain connection (foreign keys off, as any
  // outside tool would); returns the error text, "" on success.
  static std::string raw_exec(const std::string& url, const std::string& sql) {
    sqlite3* db = nullptr;
    std::string error;
    if (sqlite3_open(path_of(url).c_str(), &db) != SQLITE_OK) {
      error = "cannot open";
    } else {
      sqlite3_busy_timeout(db, 5000);
      char* message = nullptr;
      if (sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &message) != SQLITE_OK)
        error = message ? message : "failed";
      sqlite3_free(message);
    }
    sqlite3_close(db);
    return error;
  }

  static SqlRows raw_query(const std::string& url, const std::string& sql) {
    SqlRows rows;
    sqlite3* db = nullptr;
    if (sqlite3_open(path_of(url).c_str(), &db) == SQLITE_OK) {
      sqlite3_stmt* stmt = nullptr;
      if (sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr) == SQLITE_OK) {
        while (sqlite3_step(stmt) == SQLITE_ROW) {
          SqlRow row;
          for (int i = 0; i < sqlite3_column_count(stmt); ++i) {
            if (sqlite3_column_type(stmt, i) == SQLITE_NULL) {
              row.emplace_back(std::nullopt);
            } else {
              const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(stmt, i));
              row.emplace_back(
                  std::string(p, static_cast<std::size_t>(sqlite3_column_bytes(stmt, i))));
            }
          }
          rows.push_back(std::move(row));
        }
      }
      sqlite3_finalize(stmt);
    }
    sqlite3_close(db);
    return rows;
  }

  // A trigger failing the insert of the decision "boom".
  static std::string failing_audit_trigger_sql() {
    return "CREATE TRIGGER boom BEFORE INSERT ON audit WHEN NEW.decision = 'boom' "
           "BEGIN SELECT RAISE(ABORT, 'boom'); END;";
  }

 private:
  TempDir dir_;
  int count_ = 0;
  std::filesystem::path last_path_;
};

#if SUANLI_WITH_POSTGRESQL
class PgBackend {
 public:
  static constexpr const char* kName = "Postgresql";

  static void set_up_suite() {
    auto started = testing::PgTestServer::start();
    server() = std::move(started.server);
    skip_ = started.skip;
    problem_ = started.message;
  }
  static void tear_down_suite() { server().reset(); }
  static std::string unavailable(bool& skip) {
    skip = skip_;
    return server() ? std::string() : (problem_.empty() ? "no server" : problem_);
  }

  std::string new_url() {
    static std::atomic<int> counter{0};
    const std::string db = fmt::format("suanli_test_{}", ++counter);
    if (std::string error = server()->create_database(db); !error.empty()) ADD_FAILURE() << error;
    return server()->url(db);
  }

  static Result<std::unique_ptr<Store>> open_at(const std::string& url, int version) {
    return open_pg_store(url, version);
  }

  static std::string raw_exec(const std::string& url, const std::string& sql) {
    try {
      pqxx::connection c(url);
      pqxx::nontransaction n(c);
      n.exec("SET client_min_messages = warning");
      n.exec(sql);
      return {};
    } catch (const std::exception& e) {
      return e.what();
    }
  }

  static SqlRows raw_query(const std::string& url, const std::string& sql) {
    SqlRows rows;
    try {
      pqxx::connection c(url);
      pqxx::nontransaction n(c);
      for (const auto& r : n.exec(sql)) {
        SqlRow row;
        for (const auto& f : r)
          row.emplace_back(f.is_null()
                               ? std::nullopt
                               : std::optional<std::string>(std::string(f.c_str(), f.size())));
        rows.push_back(std::move(row));
      }
    } catch (const std::exception& e) {
      ADD_FAILURE() << e.what();
    }
    return rows;
  }

  static std::string failing_audit_trigger_sql() {
    return "CREATE FUNCTION boom() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
           "IF NEW.decision = 'boom' THEN RAISE EXCEPTION 'boom'; END IF; RETURN NEW; END $$; "
           "CREATE TRIGGER boom BEFORE INSERT ON audit FOR EACH ROW EXECUTE FUNCTION boom();";
  }

 private:
  // The suite's server (test scaffolding: one per process, SetUpTestSuite).
  static std::unique_ptr<testing::PgTestServer>& server() {
    static std::unique_ptr<testing::PgTestServer> s;
    return s;
  }
  static inline bool skip_ = false;
  static inline std::string problem_;
};
using Backends = ::testing::Types<SqliteBackend, PgBackend>;
#else
using Backends = ::testing::Types<SqliteBackend>;
#endif

struct BackendNames {
  template <class B>
  static std::string GetName(int) {
    return B::kName;
  }
};

template <class B>
class StoreTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { B::set_up_suite(); }
  static void TearDownTestSuite() { B::tear_down_suite(); }

  void SetUp() override {
    bool skip = false;
    if (std::string why = B::unavailable(skip); !why.empty()) {
      if (skip) GTEST_SKIP() << why;
      FAIL() << why;
    }
    url_ = backend_.new_url();
    auto opened = Store::open(url_);
    ASSERT_TRUE(opened) << opened.error().message;
    store_ = std::move(*opened);
  }

  Store& s() { return *store_; }
  void reopen() {
    store_.reset();
    auto opened = Store::open(url_);
    ASSERT_TRUE(opened) << opened.error().message;
    store_ = std::move(*opened);
  }
  std::string raw_exec(const std::string& sql) { return B::raw_exec(url_, sql); }
  SqlRows raw(const std::string& sql) { return B::raw_query(url_, sql); }
  std::int64_t raw_count(const std::string& table) {
    auto rows = raw("SELECT COUNT(*) FROM " + table);
    return rows.empty() || !rows[0][0] ? -1 : std::stoll(*rows[0][0]);
  }

  B backend_;
  std::string url_;
  std::unique_ptr<Store> store_;
};

TYPED_TEST_SUITE(StoreTest, Backends, BackendNames);

bool is_timestamp(const std::string& t) {
  static const std::regex re(R"(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z)");
  return std::regex_match(t, re);
}

// ---- Schema ----------------------------------------------------------------

TYPED_TEST(StoreTest, OpensAtLatestSchemaAndReopeningAppliesNothing) {
  auto v = this->s().schema_version();
  ASSERT_TRUE(v) << v.error().message;
  EXPECT_EQ(*v, latest_schema_version());
  EXPECT_GE(latest_schema_version(), 3);
  const auto before =
      this->raw("SELECT version, applied_at FROM schema_migrations ORDER BY version");
  ASSERT_EQ(before.size(), static_cast<std::size_t>(latest_schema_version()));
  for (std::size_t i = 0; i < before.size(); ++i) EXPECT_EQ(*before[i][0], std::to_string(i + 1));
  this->reopen();
  EXPECT_EQ(this->raw("SELECT version, applied_at FROM schema_migrations ORDER BY version"),
            before);
  EXPECT_EQ(*this->s().schema_version(), latest_schema_version());
  EXPECT_EQ(this->s().backend(),
            std::string(TypeParam::kName) == "Sqlite" ? "sqlite" : "postgresql");
}

TYPED_TEST(StoreTest, UpgradeFromVersion1KeepsRows) {
  const std::string url = this->backend_.new_url();
  {
    auto old = TypeParam::open_at(url, 1);
    ASSERT_TRUE(old) << old.error().message;
    EXPECT_EQ(*(*old)->schema_version(), 1);
    ASSERT_TRUE((*old)->create_scenario("kept", "plan", "[plan]\nname = \"kept\"\n"));
    ASSERT_TRUE((*old)->update_scenario(1, "v2", std::nullopt));
    ASSERT_TRUE((*old)->create_run("plan", "{}"));
    ASSERT_TRUE((*old)->create_token("ops", true));
    // Tables of later migrations are not there yet.
    EXPECT_FALSE((*old)->append_fleet_event("{}", {}));
  }
  auto upgraded = Store::open(url);
  ASSERT_TRUE(upgraded) << upgraded.error().message;
  Store& s = **upgraded;
  EXPECT_EQ(*s.schema_version(), latest_schema_version());
  auto versions = s.scenario_versions(1);
  ASSERT_TRUE(versions);
  ASSERT_EQ(versions->size(), 2u);
  EXPECT_EQ((*versions)[0].body, "[plan]\nname = \"kept\"\n");
  EXPECT_EQ((*versions)[1].body, "v2");
  EXPECT_EQ(s.list_runs(10)->size(), 1u);
  EXPECT_EQ(s.list_tokens()->size(), 1u);
  EXPECT_EQ(*s.append_fleet_event("{}", {"d"}), 1);
  EXPECT_TRUE(s.put_catalog_override({"x", "{}", 1, ""}));
  EXPECT_TRUE(s.integrity_check());
}

TYPED_TEST(StoreTest, RefusesASchemaNewerThanTheBuild) {
  ASSERT_EQ(this->raw_exec("INSERT INTO schema_migrations (version, description, applied_at) "
                           "VALUES (999, 'future', 'x')"),
            "");
  this->store_.reset();
  auto opened = Store::open(this->url_);
  ASSERT_FALSE(opened);
  EXPECT_EQ(opened.error().code, ErrorCode::kUnsupported);
  EXPECT_NE(opened.error().message.find("999"), std::string::npos) << opened.error().message;
}

// ---- Scenarios -------------------------------------------------------------

TYPED_TEST(StoreTest, ScenarioLifecycle) {
  Store& s = this->s();
  auto a = s.create_scenario("alpha", "simulate", "body 1");
  ASSERT_TRUE(a) << a.error().message;
  EXPECT_GT(a->id, 0);
  EXPECT_EQ(a->version, 1);
  EXPECT_EQ(a->name, "alpha");
  EXPECT_EQ(a->kind, "simulate");
  EXPECT_EQ(a->body, "body 1");
  EXPECT_FALSE(a->deleted);
  EXPECT_TRUE(is_timestamp(a->created_at)) << a->created_at;

  auto a2 = s.update_scenario(a->id, "body 2", std::nullopt);
  ASSERT_TRUE(a2) << a2.error().message;
  EXPECT_EQ(a2->version, 2);
  auto a3 = s.update_scenario(a->id, "body 3", 2);
  ASSERT_TRUE(a3) << a3.error().message;
  EXPECT_EQ(a3->version, 3);
  EXPECT_EQ(a3->name, "alpha");

  auto b = s.create_scenario("beta", "plan", "plan body");
  ASSERT_TRUE(b);
  EXPECT_NE(b->id, a->id);

  EXPECT_EQ(s.get_scenario(a->id)->body, "body 3");
  EXPECT_EQ(s.get_scenario(a->id)->version, 3);
  EXPECT_EQ(s.get_scenario(a->id, 1)->body, "body 1");
  EXPECT_EQ(s.get_scenario(a->id, 2)->body, "body 2");
  auto missing_version = s.get_scenario(a->id, 9);
  ASSERT_FALSE(missing_version);
  EXPECT_EQ(missing_version.error().code, ErrorCode::kNotFound);
  EXPECT_EQ(s.get_scenario(12345).error().code, ErrorCode::kNotFound);

  auto versions = s.scenario_versions(a->id);
  ASSERT_TRUE(versions);
  ASSERT_EQ(versions->size(), 3u);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ((*versions)[i].version, i + 1);
    EXPECT_EQ((*versions)[i].body, fmt::format("body {}", i + 1));
  }
  EXPECT_EQ(s.scenario_versions(999).error().code, ErrorCode::kNotFound);

  auto listed = s.list_scenarios();
  ASSERT_TRUE(listed);
  ASSERT_EQ(listed->size(), 2u);
  EXPECT_EQ((*listed)[0].name, "alpha");
  EXPECT_EQ((*listed)[0].version, 3);
  EXPECT_EQ((*listed)[0].body, "body 3");
  EXPECT_EQ((*listed)[1].name, "beta");

  ASSERT_TRUE(s.delete_scenario(a->id));
  ASSERT_EQ(s.list_scenarios()->size(), 1u);
  EXPECT_EQ(s.list_scenarios()->front().name, "beta");
  EXPECT_EQ(s.delete_scenario(a->id).error().code, ErrorCode::kNotFound);
  EXPECT_EQ(s.delete_scenario(4242).error().code, ErrorCode::kNotFound);
  EXPECT_EQ(s.update_scenario(a->id, "x", std::nullopt).error().code, ErrorCode::kNotFound);
  // The history of a deleted scenario stays readable, marked deleted.
  auto gone = s.get_scenario(a->id);
  ASSERT_TRUE(gone);
  EXPECT_TRUE(gone->deleted);
  // Its name is free again.
  auto again = s.create_scenario("alpha", "plan", "new");
  ASSERT_TRUE(again) << again.error().message;
  EXPECT_NE(again->id, a->id);
  EXPECT_TRUE(s.integrity_check());
}

TYPED_TEST(StoreTest, ScenarioNameConflictAndBadInput) {
  Store& s = this->s();
  ASSERT_TRUE(s.create_scenario("same", "plan", "1"));
  auto dup = s.create_scenario("same", "simulate", "2");
  ASSERT_FALSE(dup);
  EXPECT_EQ(dup.error().code, ErrorCode::kConflict);
  EXPECT_NE(dup.error().message.find("same"), std::string::npos);
  EXPECT_EQ(s.create_scenario("other", "poetry", "x").error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(s.create_scenario("", "plan", "x").error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(s.list_scenarios()->size(), 1u);
}

TYPED_TEST(StoreTest, ExpectedVersionConflict) {
  Store& s = this->s();
  auto a = s.create_scenario("a", "plan", "v1");
  ASSERT_TRUE(a);
  ASSERT_TRUE(s.update_scenario(a->id, "v2", 1));
  auto stale = s.update_scenario(a->id, "lost", 1);
  ASSERT_FALSE(stale);
  EXPECT_EQ(stale.error().code, ErrorCode::kConflict);
  EXPECT_EQ(s.get_scenario(a->id)->version, 2);
  EXPECT_EQ(s.get_scenario(a->id)->body, "v2");
  EXPECT_EQ(s.scenario_versions(a->id)->size(), 2u);
}

// ---- Runs ------------------------------------------------------------------

TYPED_TEST(StoreTest, RunLifecycleAndUnfinishedRuns) {
  Store& s = this->s();
  auto r1 = s.create_run("simulate", R"({"seed":1})");
  ASSERT_TRUE(r1) << r1.error().message;
  EXPECT_EQ(r1->status, "queued");
  EXPECT_EQ(r1->progress, 0);
  EXPECT_EQ(r1->params, R"({"seed":1})");
  EXPECT_TRUE(is_timestamp(r1->created_at));
  auto r2 = s.create_run("plan", "{}");
  auto r3 = s.create_run("report", "{}");
  ASSERT_TRUE(r2 && r3);
  EXPECT_EQ(s.create_run("dance", "{}").error().code, ErrorCode::kInvalidArgument);

  ASSERT_TRUE(s.update_run(r1->id, "running", 0.375, "step 3 of 8"));
  auto got = s.get_run(r1->id);
  ASSERT_TRUE(got);
  EXPECT_EQ(got->status, "running");
  EXPECT_DOUBLE_EQ(got->progress, 0.375);
  EXPECT_EQ(got->message, "step 3 of 8");
  ASSERT_TRUE(s.update_run(r1->id, "running", 1.0 / 3.0, "third"));
  EXPECT_EQ(s.get_run(r1->id)->progress, 1.0 / 3.0);                    // exact round trip
  ASSERT_TRUE(s.update_run(r1->id, "running", 1.0000001, "rounding"));  // clamped
  EXPECT_EQ(s.get_run(r1->id)->progress, 1.0);
  EXPECT_EQ(s.update_run(r1->id, "running", std::nan(""), "").error().code,
            ErrorCode::kInvalidArgument);
  ASSERT_TRUE(s.update_run(r1->id, "running", 1.0 / 3.0, "third"));
  EXPECT_EQ(s.update_run(r1->id, "succeeded", 1, "").error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(s.update_run(777, "running", 0, "").error().code, ErrorCode::kNotFound);

  ASSERT_TRUE(s.update_run(r2->id, "interrupted", 0.5, "shutdown"));
  auto unfinished = s.unfinished_runs();
  ASSERT_TRUE(unfinished);
  ASSERT_EQ(unfinished->size(), 3u);  // oldest first
  EXPECT_EQ((*unfinished)[0].id, r1->id);
  EXPECT_EQ((*unfinished)[1].id, r2->id);
  EXPECT_EQ((*unfinished)[1].status, "interrupted");
  EXPECT_EQ((*unfinished)[2].id, r3->id);

  ASSERT_TRUE(s.finish_run(r1->id, "succeeded", R"({"ok":true})", ""));
  ASSERT_TRUE(s.finish_run(r3->id, "failed", "", R"({"code":"kIo","message":"disk"})"));
  EXPECT_EQ(s.finish_run(r3->id, "succeeded", "", "").error().code, ErrorCode::kConflict);
  EXPECT_EQ(s.update_run(r1->id, "running", 0.1, "late").error().code, ErrorCode::kConflict);
  EXPECT_EQ(s.finish_run(r2->id, "running", "", "").error().code, ErrorCode::kInvalidArgument);

  auto done = s.get_run(r1->id);
  EXPECT_EQ(done->status, "succeeded");
  EXPECT_EQ(done->progress, 1);
  EXPECT_EQ(done->result, R"({"ok":true})");
  EXPECT_EQ(s.get_run(r3->id)->error, R"({"code":"kIo","message":"disk"})");
  unfinished = s.unfinished_runs();
  ASSERT_EQ(unfinished->size(), 1u);
  EXPECT_EQ(unfinished->front().id, r2->id);

  auto listed = s.list_runs(2);
  ASSERT_TRUE(listed);
  ASSERT_EQ(listed->size(), 2u);  // newest first, without results
  EXPECT_EQ((*listed)[0].id, r3->id);
  EXPECT_EQ((*listed)[1].id, r2->id);
  EXPECT_EQ(s.list_runs(10)->size(), 3u);
  EXPECT_EQ(s.list_runs(10)->back().result, "");
  EXPECT_EQ(s.list_runs(10)->back().status, "succeeded");
  EXPECT_EQ(s.get_run(999).error().code, ErrorCode::kNotFound);
}

// ---- Tokens ----------------------------------------------------------------

TYPED_TEST(StoreTest, TokensStoreOnlyTheHash) {
  Store& s = this->s();
  auto t = s.create_token("ci", true);
  ASSERT_TRUE(t) << t.error().message;
  EXPECT_EQ(t->secret.size(), 64u);
  EXPECT_TRUE(std::all_of(t->secret.begin(), t->secret.end(), [](char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
  })) << t->secret;
  EXPECT_EQ(t->record.name, "ci");
  EXPECT_TRUE(t->record.can_write);
  EXPECT_FALSE(t->record.revoked_at);
  EXPECT_TRUE(is_timestamp(t->record.created_at));
  auto ro = s.create_token("viewer", false);
  ASSERT_TRUE(ro);
  EXPECT_NE(ro->secret, t->secret);
  EXPECT_FALSE(ro->record.can_write);

  auto found = s.find_token(t->secret);
  ASSERT_TRUE(found) << found.error().message;
  EXPECT_EQ(found->id, t->record.id);
  EXPECT_TRUE(found->can_write);
  EXPECT_EQ(s.find_token(ro->secret)->can_write, false);

  // What is stored: the SHA-256, never the secret.
  const auto rows = this->raw("SELECT * FROM tokens ORDER BY id");
  ASSERT_EQ(rows.size(), 2u);
  bool hash_seen = false;
  for (const auto& row : rows)
    for (const auto& cell : row) {
      if (!cell) continue;
      EXPECT_EQ(cell->find(t->secret), std::string::npos);
      EXPECT_EQ(cell->find(ro->secret), std::string::npos);
      hash_seen = hash_seen || *cell == token_hash(t->secret);
    }
  EXPECT_TRUE(hash_seen);

  auto unknown = s.find_token(std::string(64, 'a'));
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().code, ErrorCode::kNotFound);
  EXPECT_EQ(s.find_token("").error().code, ErrorCode::kNotFound);

  ASSERT_TRUE(s.revoke_token(t->record.id));
  auto revoked = s.find_token(t->secret);
  ASSERT_TRUE(revoked);
  ASSERT_TRUE(revoked->revoked_at);
  EXPECT_TRUE(is_timestamp(*revoked->revoked_at));
  ASSERT_TRUE(s.revoke_token(t->record.id));  // again: keeps the first time
  EXPECT_EQ(s.find_token(t->secret)->revoked_at, revoked->revoked_at);
  EXPECT_EQ(s.revoke_token(999).error().code, ErrorCode::kNotFound);

  auto listed = s.list_tokens();
  ASSERT_TRUE(listed);
  ASSERT_EQ(listed->size(), 2u);
  EXPECT_EQ((*listed)[0].name, "ci");
  EXPECT_TRUE((*listed)[0].revoked_at);
  EXPECT_EQ((*listed)[1].name, "viewer");
  EXPECT_FALSE((*listed)[1].revoked_at);
}

// ---- Live fleet ------------------------------------------------------------

TYPED_TEST(StoreTest, FleetEventsAndAuditAreAtomicAndOrdered) {
  Store& s = this->s();
  EXPECT_EQ(*s.append_fleet_event(R"({"e":1})", {"d1", "d2"}), 1);
  EXPECT_EQ(*s.append_fleet_event(R"({"e":2})", {}), 2);
  EXPECT_EQ(*s.append_fleet_event(R"({"e":3})", {"d3"}), 3);

  auto events = s.fleet_events(0);
  ASSERT_TRUE(events);
  ASSERT_EQ(events->size(), 3u);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ((*events)[i].seq, i + 1);
    EXPECT_EQ((*events)[i].event, fmt::format(R"({{"e":{}}})", i + 1));
    EXPECT_TRUE(is_timestamp((*events)[i].created_at));
  }
  ASSERT_EQ(s.fleet_events(2)->size(), 1u);
  EXPECT_EQ(s.fleet_events(2)->front().seq, 3);

  auto audit = s.audit(0, 100);
  ASSERT_TRUE(audit);
  ASSERT_EQ(audit->size(), 3u);
  const std::vector<std::pair<std::int64_t, std::string>> want{{1, "d1"}, {1, "d2"}, {3, "d3"}};
  for (std::size_t i = 0; i < 3; ++i) {
    EXPECT_EQ((*audit)[i].seq, static_cast<std::int64_t>(i + 1));
    EXPECT_EQ((*audit)[i].event_seq, want[i].first);
    EXPECT_EQ((*audit)[i].decision, want[i].second);
  }
  auto page = s.audit(1, 1);
  ASSERT_EQ(page->size(), 1u);
  EXPECT_EQ(page->front().decision, "d2");
  EXPECT_TRUE(s.audit(3, 10)->empty());

  // A decision that fails to store takes its event (and siblings) with it.
  ASSERT_EQ(this->raw_exec(TypeParam::failing_audit_trigger_sql()), "");
  auto failed = s.append_fleet_event(R"({"e":4})", {"fine", "boom"});
  ASSERT_FALSE(failed);
  EXPECT_EQ(s.fleet_events(0)->size(), 3u);
  EXPECT_EQ(s.audit(0, 100)->size(), 3u);
  EXPECT_EQ(*s.append_fleet_event(R"({"e":4})", {"fine"}), 4);
  EXPECT_EQ(s.audit(0, 100)->back().seq, 4);
  EXPECT_TRUE(s.integrity_check());
}

// The fleet log is append-only: nothing clears it (a new config is one
// more event).
TYPED_TEST(StoreTest, FleetLogIsAppendOnly) {
  Store& s = this->s();
  ASSERT_TRUE(s.append_fleet_event("a", {"x", "y"}));
  ASSERT_TRUE(s.append_fleet_event("b", {"z"}));
  auto cleared = s.clear_fleet();
  ASSERT_FALSE(cleared);
  EXPECT_EQ(cleared.error().code, ErrorCode::kUnsupported);
  EXPECT_EQ(s.fleet_events(0)->size(), 2u);
  EXPECT_EQ(this->raw_count("audit"), 3);
  EXPECT_EQ(*s.append_fleet_event("c", {"w"}), 3);
  EXPECT_EQ(s.audit(0, 10)->back().seq, 4);
  EXPECT_TRUE(s.integrity_check());
}

// One writer per store: a second kWrite open is refused naming the holder,
// before anything is written; a reader opens beside it and cannot write;
// the lock goes with the first store.
TYPED_TEST(StoreTest, SecondWriterIsRefused) {
  auto second = Store::open(this->url_);
  ASSERT_FALSE(second);
  EXPECT_EQ(second.error().code, ErrorCode::kConflict);
  const std::string pid = fmt::format("(pid {})", ::getpid());
  EXPECT_NE(second.error().message.find("is in use by another suanli process " + pid),
            std::string::npos)
      << second.error().message;
  EXPECT_NE(second.error().message.find("send the change through its API"), std::string::npos);
  auto reader = Store::open(this->url_, StoreAccess::kRead);
  ASSERT_TRUE(reader) << reader.error().message;
  ASSERT_TRUE(this->s().create_token("w", true));
  EXPECT_EQ((*reader)->list_tokens()->size(), 1u);
  auto refused = (*reader)->create_token("r", true);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::kUnsupported);
  this->store_.reset();
  auto again = Store::open(this->url_);
  ASSERT_TRUE(again) << again.error().message;
  EXPECT_EQ((*again)->list_tokens()->size(), 1u);
}

// ---- Catalog overrides -----------------------------------------------------

TYPED_TEST(StoreTest, CatalogOverridesPutReplaceDelete) {
  Store& s = this->s();
  ASSERT_TRUE(s.put_catalog_override({"h200-sxm", R"({"tdp_w":700})", 3, ""}));
  ASSERT_TRUE(s.put_catalog_override({"a100-sxm", R"({"tdp_w":400})", 3, ""}));
  auto all = s.catalog_overrides();
  ASSERT_TRUE(all);
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ((*all)[0].accelerator_id, "a100-sxm");
  EXPECT_EQ((*all)[1].accelerator_id, "h200-sxm");
  EXPECT_EQ((*all)[1].token_id, 3);
  EXPECT_TRUE(is_timestamp((*all)[1].updated_at));

  ASSERT_TRUE(s.put_catalog_override({"h200-sxm", R"({"tdp_w":650})", 5, ""}));
  all = s.catalog_overrides();
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ((*all)[1].entry, R"({"tdp_w":650})");
  EXPECT_EQ((*all)[1].token_id, 5);

  ASSERT_TRUE(s.delete_catalog_override("a100-sxm"));
  all = s.catalog_overrides();
  ASSERT_EQ(all->size(), 1u);
  EXPECT_EQ(all->front().accelerator_id, "h200-sxm");
  EXPECT_EQ(s.delete_catalog_override("a100-sxm").error().code, ErrorCode::kNotFound);
  EXPECT_EQ(s.put_catalog_override({"", "{}", 0, ""}).error().code, ErrorCode::kInvalidArgument);
}

// ---- Integrity -------------------------------------------------------------

TYPED_TEST(StoreTest, IntegrityCheckFailsOnAMissingScenarioVersion) {
  Store& s = this->s();
  auto a = s.create_scenario("a", "plan", "1");
  ASSERT_TRUE(a);
  ASSERT_TRUE(s.update_scenario(a->id, "2", std::nullopt));
  ASSERT_TRUE(s.update_scenario(a->id, "3", std::nullopt));
  ASSERT_TRUE(s.append_fleet_event("e", {"d"}));
  ASSERT_TRUE(s.integrity_check());
  ASSERT_EQ(this->raw_exec(fmt::format(
                "DELETE FROM scenario_versions WHERE scenario_id = {} AND version = 2", a->id)),
            "");
  auto check = s.integrity_check();
  ASSERT_FALSE(check);
  EXPECT_NE(check.error().message.find("not contiguous"), std::string::npos)
      << check.error().message;
  EXPECT_NE(check.error().message.find(fmt::format("scenario {}", a->id)), std::string::npos);
}

TYPED_TEST(StoreTest, IntegrityCheckFailsOnAFleetSequenceGap) {
  Store& s = this->s();
  for (int i = 0; i < 4; ++i) ASSERT_TRUE(s.append_fleet_event("e", {"d"}));
  ASSERT_TRUE(s.integrity_check());
  ASSERT_EQ(this->raw_exec("DELETE FROM audit WHERE event_seq = 2"), "");
  auto check = s.integrity_check();
  ASSERT_FALSE(check);  // audit seq 2 is gone
  EXPECT_NE(check.error().message.find("audit seq 2 is missing"), std::string::npos)
      << check.error().message;
  ASSERT_EQ(this->raw_exec("DELETE FROM fleet_events WHERE seq = 2"), "");
  check = s.integrity_check();
  ASSERT_FALSE(check);
  EXPECT_NE(check.error().message.find("fleet_events seq 2 is missing"), std::string::npos)
      << check.error().message;
}

// ---- Concurrency, hostile strings, persistence ------------------------------

TYPED_TEST(StoreTest, ConcurrentWritersLoseNothing) {
  Store& s = this->s();
  constexpr int kThreads = 8;
  constexpr int kWrites = 200;
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&, t] {
      for (int j = 0; j < kWrites; ++j) {
        bool ok = true;
        switch (j % 5) {
          case 0:
            ok = s.create_scenario(fmt::format("t{}-{}", t, j), "plan", "x").has_value();
            break;
          case 1:
            ok = s.create_run("simulate", "{}").has_value();
            break;
          case 2:
            ok =
                s.append_fleet_event(fmt::format("t{}-{}", t, j),
                                     std::vector<std::string>(static_cast<std::size_t>(j % 3), "d"))
                    .has_value();
            break;
          case 3:
            ok = s.put_catalog_override({fmt::format("acc-{}-{}", t, j % 4), "{}", t, ""})
                     .has_value();
            break;
          default:
            ok = s.create_token(fmt::format("t{}-{}", t, j), j % 2 == 0).has_value();
        }
        if (!ok) ++failures;
      }
    });
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
  constexpr int kEach = kThreads * kWrites / 5;
  EXPECT_EQ(s.list_scenarios()->size(), static_cast<std::size_t>(kEach));
  EXPECT_EQ(s.list_runs(100000)->size(), static_cast<std::size_t>(kEach));
  EXPECT_EQ(s.list_tokens()->size(), static_cast<std::size_t>(kEach));
  EXPECT_EQ(s.catalog_overrides()->size(), static_cast<std::size_t>(kThreads * 4));
  auto events = s.fleet_events(0);
  ASSERT_EQ(events->size(), static_cast<std::size_t>(kEach));
  for (std::size_t i = 0; i < events->size(); ++i)
    EXPECT_EQ((*events)[i].seq, static_cast<std::int64_t>(i + 1));
  // Decisions per event: j % 3 for j = 2, 7, 12, … (j % 5 == 2).
  int decisions = 0;
  for (int j = 2; j < kWrites; j += 5) decisions += j % 3;
  EXPECT_EQ(s.audit(0, 100000)->size(), static_cast<std::size_t>(kThreads * decisions));
  EXPECT_TRUE(s.integrity_check());
}

TYPED_TEST(StoreTest, HostileStringsRoundTripByteForByte) {
  Store& s = this->s();
  const std::vector<std::string> strings{
      "'; DROP TABLE scenarios; --",
      R"(quote ' double " backslash \ semicolon ; dollar $1 ? :name @x)",
      "算力 — 中文 ✓ émoji 🚀 Ω",
      "line 1\nline 2\r\n\ttab",
      "$$ plpgsql $$ /* comment */ -- end",
      std::string("\x7f\x01 control"),
  };
  for (std::size_t i = 0; i < strings.size(); ++i) {
    const std::string& str = strings[i];
    auto sc = s.create_scenario(str, "plan", str);
    ASSERT_TRUE(sc) << sc.error().message;
    EXPECT_EQ(s.get_scenario(sc->id)->name, str);
    EXPECT_EQ(s.get_scenario(sc->id)->body, str);
    auto run = s.create_run("plan", str);
    ASSERT_TRUE(run);
    ASSERT_TRUE(s.update_run(run->id, "running", 0.5, str));
    ASSERT_TRUE(s.finish_run(run->id, "failed", str, str));
    auto got = s.get_run(run->id);
    EXPECT_EQ(got->params, str);
    EXPECT_EQ(got->message, str);
    EXPECT_EQ(got->result, str);
    EXPECT_EQ(got->error, str);
    auto tok = s.create_token(str, true);
    ASSERT_TRUE(tok);
    EXPECT_EQ(s.find_token(tok->secret)->name, str);
    auto seq = s.append_fleet_event(str, {str});
    ASSERT_TRUE(seq);
    EXPECT_EQ(s.fleet_events(*seq - 1)->front().event, str);
    EXPECT_EQ(s.audit(0, 1000)->back().decision, str);
    ASSERT_TRUE(s.put_catalog_override({str, str, 0, ""}));
  }
  auto listed = s.list_scenarios();
  ASSERT_TRUE(listed);
  ASSERT_EQ(listed->size(), strings.size());
  for (std::size_t i = 0; i < strings.size(); ++i) EXPECT_EQ((*listed)[i].name, strings[i]);
  std::set<std::string> ids;
  auto overrides = s.catalog_overrides();
  ASSERT_TRUE(overrides);
  for (const auto& o : *overrides) {
    EXPECT_EQ(o.entry, o.accelerator_id);
    ids.insert(o.accelerator_id);
  }
  EXPECT_EQ(ids, std::set<std::string>(strings.begin(), strings.end()));
  EXPECT_EQ(this->raw_count("scenarios"), static_cast<std::int64_t>(strings.size()));
  EXPECT_TRUE(s.integrity_check());
}

TYPED_TEST(StoreTest, ReopenedStoreHasEverything) {
  std::string secret;
  {
    Store& s = this->s();
    ASSERT_TRUE(s.create_scenario("kept", "simulate", "body"));
    auto run = s.create_run("simulate", "{}");
    ASSERT_TRUE(run);
    ASSERT_TRUE(s.finish_run(run->id, "succeeded", "{\"r\":1}", ""));
    auto tok = s.create_token("ops", false);
    ASSERT_TRUE(tok);
    secret = tok->secret;
    ASSERT_TRUE(s.append_fleet_event("e", {"d"}));
    ASSERT_TRUE(s.put_catalog_override({"x", "{}", 0, ""}));
  }
  this->reopen();
  Store& s = this->s();
  ASSERT_EQ(s.list_scenarios()->size(), 1u);
  EXPECT_EQ(s.list_scenarios()->front().body, "body");
  EXPECT_EQ(s.get_run(1)->result, "{\"r\":1}");
  auto tok = s.find_token(secret);
  ASSERT_TRUE(tok);
  EXPECT_EQ(tok->name, "ops");
  EXPECT_EQ(s.fleet_events(0)->size(), 1u);
  EXPECT_EQ(s.audit(0, 10)->size(), 1u);
  EXPECT_EQ(s.catalog_overrides()->size(), 1u);
  EXPECT_TRUE(s.integrity_check());
}

// ---- SQLite only -----------------------------------------------------------

class StoreSqlite : public ::testing::Test {
 protected:
  TempDir dir_;
  std::filesystem::path path() const { return dir_.path() / "suanli.db"; }
  std::string url() const { return "sqlite:" + path().string(); }
};

TEST_F(StoreSqlite, DurabilitySettingsAreOn) {
  auto s = Store::open(url());
  ASSERT_TRUE(s) << s.error().message;
  // journal_mode=WAL is persistent in the file: a fresh connection sees it.
  EXPECT_EQ(*SqliteBackend::raw_query(url(), "PRAGMA journal_mode")[0][0], "wal");
  ASSERT_TRUE((*s)->create_scenario("a", "plan", "b"));
  EXPECT_TRUE(std::filesystem::exists(path().string() + "-wal"));
}

TEST_F(StoreSqlite, TheFilesNeverHoldTheSecret) {
  auto s = Store::open(url());
  ASSERT_TRUE(s);
  auto tok = (*s)->create_token("t", true);
  ASSERT_TRUE(tok);
  std::string bytes;
  for (const auto& suffix : {"", "-wal"})
    bytes += suanli::testing::read_file(path().string() + suffix);
  EXPECT_NE(bytes.find(token_hash(tok->secret)), std::string::npos);
  EXPECT_EQ(bytes.find(tok->secret), std::string::npos);
}

TEST_F(StoreSqlite, IntegrityCheckRunsForeignKeyCheck) {
  auto s = Store::open(url());
  ASSERT_TRUE(s);
  ASSERT_TRUE((*s)->append_fleet_event("e", {"d"}));
  // A plain connection does not enforce foreign keys: an orphan decision.
  ASSERT_EQ(SqliteBackend::raw_exec(url(), "UPDATE audit SET event_seq = 7 WHERE seq = 1"), "");
  auto check = (*s)->integrity_check();
  ASSERT_FALSE(check);
  EXPECT_NE(check.error().message.find("foreign_key_check"), std::string::npos)
      << check.error().message;
}

TEST_F(StoreSqlite, AcknowledgedWritesSurviveSigkill) {
  int pipe_fds[2];
  ASSERT_EQ(::pipe(pipe_fds), 0);
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    ::close(pipe_fds[0]);
    auto s = Store::open(url());
    if (!s) ::_exit(3);
    for (int i = 1;; ++i) {
      if (!(*s)->create_scenario(fmt::format("s{}", i), "plan", "body")) ::_exit(4);
      if (::write(pipe_fds[1], &i, sizeof i) != sizeof i) ::_exit(5);
    }
  }
  ::close(pipe_fds[1]);
  int acknowledged = 0;
  int i = 0;
  while (acknowledged < 25 && ::read(pipe_fds[0], &i, sizeof i) == sizeof i) acknowledged = i;
  ::kill(child, SIGKILL);
  int status = 0;
  ::waitpid(child, &status, 0);
  ::close(pipe_fds[0]);
  ASSERT_EQ(acknowledged, 25);
  EXPECT_TRUE(WIFSIGNALED(status));
  auto s = Store::open(url());
  ASSERT_TRUE(s) << s.error().message;
  auto listed = (*s)->list_scenarios();
  ASSERT_TRUE(listed);
  EXPECT_GE(listed->size(), 25u);
  std::set<std::string> names;
  for (const auto& r : *listed) names.insert(r.name);
  for (int k = 1; k <= 25; ++k) EXPECT_TRUE(names.count(fmt::format("s{}", k))) << k;
  EXPECT_TRUE((*s)->integrity_check());
}

// ---- Store::open and helpers -----------------------------------------------

TEST(StoreOpen, RejectsUnknownUrlsNamingTheAcceptedForms) {
  auto r = Store::open("mysql://localhost/x");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(r.error().message.find("sqlite:PATH"), std::string::npos);
  EXPECT_NE(r.error().message.find("postgresql://"), std::string::npos);
  EXPECT_EQ(Store::open("sqlite:").error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(Store::open("").error().code, ErrorCode::kInvalidArgument);
}

TEST(StoreOpen, SqliteCreatesParentDirectories) {
  TempDir dir;
  const auto path = dir.path() / "a" / "b" / "c.db";
  auto s = Store::open("sqlite:" + path.string());
  ASSERT_TRUE(s) << s.error().message;
  EXPECT_TRUE(std::filesystem::exists(path));
  EXPECT_EQ((*s)->backend(), "sqlite");
  EXPECT_EQ(default_store_url("suanli-data"), "sqlite:suanli-data/suanli.db");
}

TEST(StoreOpen, PostgresqlUrlWithoutAServer) {
  // Nothing listens on port 1: an I/O error, or kUnsupported without libpqxx.
  auto r = Store::open("postgresql://postgres@127.0.0.1:1/none?connect_timeout=2");
  ASSERT_FALSE(r);
#if SUANLI_WITH_POSTGRESQL
  EXPECT_EQ(r.error().code, ErrorCode::kIo) << r.error().message;
  EXPECT_NE(r.error().message.find("PostgreSQL"), std::string::npos) << r.error().message;
#else
  EXPECT_EQ(r.error().code, ErrorCode::kUnsupported);
#endif
  EXPECT_FALSE(Store::open("postgres://postgres:hunter2@127.0.0.1:1/none?connect_timeout=2"));
  auto redacted = Store::open("postgres://postgres:hunter2@127.0.0.1:1/none?connect_timeout=2");
  EXPECT_EQ(redacted.error().message.find("hunter2"), std::string::npos)
      << redacted.error().message;
}

TEST(StoreHelpers, TokenHashIsSha256Hex) {
  EXPECT_EQ(token_hash("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(token_hash(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST(StoreHelpers, TimestampsAreIsoUtcWithMilliseconds) {
  EXPECT_TRUE(is_timestamp(now_timestamp())) << now_timestamp();
  EXPECT_FALSE(is_timestamp("2026-11-22 22:40:01"));
  const std::string secret = random_token_secret();
  EXPECT_EQ(secret.size(), 64u);
  EXPECT_NE(secret, random_token_secret());
}

}  // namespace
}  // namespace suanli::store

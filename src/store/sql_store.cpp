#include "store/sql_store.h"

#include <fmt/format.h>
#include <openssl/rand.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <exception>
#include <string_view>
#include <utility>

namespace suanli::store {

namespace {

// The shared schema. Types are chosen to mean the same on both engines:
// TEXT, INTEGER/BIGINT (SQLite: integer affinity), DOUBLE PRECISION
// (SQLite: real affinity); booleans are INTEGER 0/1; timestamps are ISO
// 8601 text (sortable, identical on both). {ID} is the auto-incrementing
// primary key (ids are never reused).
constexpr std::array kMigrations{
    Migration{1, "scenarios and their versions, runs, tokens",
              R"(
CREATE TABLE scenarios (
  id {ID},
  name TEXT NOT NULL,
  kind TEXT NOT NULL,
  deleted INTEGER NOT NULL DEFAULT 0,
  created_at TEXT NOT NULL
);
CREATE UNIQUE INDEX scenarios_live_name ON scenarios (name) WHERE deleted = 0;
CREATE TABLE scenario_versions (
  scenario_id BIGINT NOT NULL REFERENCES scenarios (id),
  version INTEGER NOT NULL,
  body TEXT NOT NULL,
  created_at TEXT NOT NULL,
  PRIMARY KEY (scenario_id, version)
);
CREATE TABLE runs (
  id {ID},
  kind TEXT NOT NULL,
  status TEXT NOT NULL,
  progress DOUBLE PRECISION NOT NULL DEFAULT 0,
  message TEXT NOT NULL DEFAULT '',
  params TEXT NOT NULL,
  result TEXT NOT NULL DEFAULT '',
  error TEXT NOT NULL DEFAULT '',
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
);
CREATE TABLE tokens (
  id {ID},
  name TEXT NOT NULL,
  secret_sha256 TEXT NOT NULL UNIQUE,
  can_write INTEGER NOT NULL,
  created_at TEXT NOT NULL,
  revoked_at TEXT
);
)"},
    Migration{2, "live fleet events and the decision audit",
              R"(
CREATE TABLE fleet_events (
  seq BIGINT PRIMARY KEY,
  event TEXT NOT NULL,
  created_at TEXT NOT NULL
);
CREATE TABLE audit (
  seq BIGINT PRIMARY KEY,
  event_seq BIGINT NOT NULL REFERENCES fleet_events (seq),
  decision TEXT NOT NULL
);
CREATE INDEX audit_event_seq ON audit (event_seq);
)"},
    Migration{3, "catalog overrides; runs by status",
              R"(
CREATE TABLE catalog_overrides (
  accelerator_id TEXT PRIMARY KEY,
  entry TEXT NOT NULL,
  token_id BIGINT NOT NULL DEFAULT 0,
  updated_at TEXT NOT NULL
);
CREATE INDEX runs_status ON runs (status);
)"},
    Migration{4, "run attempts (crash-loop quarantine)",
              R"(
ALTER TABLE runs ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0;
)"},
};

constexpr std::array<std::string_view, 2> kScenarioKinds{"simulate", "plan"};
constexpr std::array<std::string_view, 3> kRunKinds{"simulate", "plan", "report"};
constexpr std::array<std::string_view, 3> kActiveStatuses{"queued", "running", "interrupted"};
constexpr std::array<std::string_view, 3> kFinalStatuses{"succeeded", "failed", "cancelled"};

template <std::size_t N>
bool one_of(std::string_view value, const std::array<std::string_view, N>& set) {
  for (auto s : set)
    if (s == value) return true;
  return false;
}

template <std::size_t N>
std::string joined(const std::array<std::string_view, N>& set) {
  return fmt::format("{}", fmt::join(set, ", "));
}

std::string text(const SqlRow& row, std::size_t i) {
  return i < row.size() && row[i] ? *row[i] : std::string();
}

std::optional<std::string> opt_text(const SqlRow& row, std::size_t i) {
  return i < row.size() ? row[i] : std::nullopt;
}

std::int64_t integer(const SqlRow& row, std::size_t i) {
  if (i >= row.size() || !row[i]) return 0;
  const std::string& s = *row[i];
  std::int64_t v = 0;
  std::from_chars(s.data(), s.data() + s.size(), v);
  return v;
}

double real(const SqlRow& row, std::size_t i) {
  if (i >= row.size() || !row[i]) return 0;
  const std::string& s = *row[i];
  double v = 0;
  std::from_chars(s.data(), s.data() + s.size(), v);
  return v;
}

std::string replace_all(std::string s, std::string_view from, std::string_view to) {
  for (std::size_t pos = s.find(from); pos != std::string::npos;
       pos = s.find(from, pos + to.size()))
    s.replace(pos, from.size(), to);
  return s;
}

constexpr std::string_view kScenarioColumns =
    "SELECT s.id, v.version, s.name, s.kind, v.body, v.created_at, s.deleted "
    "FROM scenarios s JOIN scenario_versions v ON v.scenario_id = s.id ";

ScenarioRecord scenario_from(const SqlRow& row) {
  ScenarioRecord r;
  r.id = integer(row, 0);
  r.version = static_cast<int>(integer(row, 1));
  r.name = text(row, 2);
  r.kind = text(row, 3);
  r.body = text(row, 4);
  r.created_at = text(row, 5);
  r.deleted = integer(row, 6) != 0;
  return r;
}

RunRecord run_from(const SqlRow& row) {
  RunRecord r;
  r.id = integer(row, 0);
  r.kind = text(row, 1);
  r.status = text(row, 2);
  r.progress = real(row, 3);
  r.message = text(row, 4);
  r.params = text(row, 5);
  r.result = text(row, 6);
  r.error = text(row, 7);
  r.created_at = text(row, 8);
  r.updated_at = text(row, 9);
  r.attempts = static_cast<int>(integer(row, 10));
  return r;
}

TokenRecord token_from(const SqlRow& row) {
  TokenRecord r;
  r.id = integer(row, 0);
  r.name = text(row, 1);
  r.can_write = integer(row, 2) != 0;
  r.created_at = text(row, 3);
  r.revoked_at = opt_text(row, 4);
  return r;
}

constexpr std::string_view kTokenColumns =
    "SELECT id, name, can_write, created_at, revoked_at FROM tokens ";

}  // namespace

std::span<const Migration> migrations() { return kMigrations; }

int latest_schema_version() { return kMigrations.back().version; }

std::string format_sql_real(double value) { return fmt::format("{}", value); }

std::string random_token_secret() {
  std::array<unsigned char, 32> bytes{};
  if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1) return {};
  std::string hex;
  hex.reserve(64);
  for (unsigned char b : bytes) hex += fmt::format("{:02x}", b);
  return hex;
}

template <class F>
auto SqlStore::transact(bool write, F&& body) -> decltype(body()) {
  using R = decltype(body());
  std::lock_guard lock(mutex_);
  if (write && read_only_)
    return R(fail(ErrorCode::kUnsupported,
                  fmt::format("{} store: opened for reading only; writes go through the process "
                              "that holds the store (suanli serve and its API)",
                              driver_->backend())));
  try {
    if (auto b = driver_->begin(write); !b) return R(std::unexpected(b.error()));
    R r = body();
    if (!r) {
      driver_->rollback();
      return r;
    }
    if (auto c = driver_->commit(); !c) {
      driver_->rollback();
      return R(std::unexpected(c.error()));
    }
    return r;
  } catch (const std::exception& e) {
    driver_->rollback();
    return R(fail(ErrorCode::kIo, fmt::format("{} store: {}", driver_->backend(), e.what())));
  } catch (...) {
    driver_->rollback();
    return R(fail(ErrorCode::kIo, fmt::format("{} store: unknown failure", driver_->backend())));
  }
}

Result<SqlRows> SqlStore::q(std::string_view sql, std::initializer_list<SqlValue> params) {
  return driver_->query(sql, std::span<const SqlValue>(params.begin(), params.size()));
}

Result<std::unique_ptr<Store>> SqlStore::open(std::unique_ptr<SqlDriver> driver,
                                              std::optional<int> target_version,
                                              StoreAccess access) {
  if (!driver) return fail(ErrorCode::kInvalidArgument, "no database connection");
  std::unique_ptr<SqlStore> store(new SqlStore(std::move(driver)));
  SUANLI_TRY(store->migrate(target_version.value_or(latest_schema_version())));
  store->read_only_ = access == StoreAccess::kRead;
  return std::unique_ptr<Store>(std::move(store));
}

Result<void> SqlStore::migrate(int target_version) {
  SUANLI_TRY(transact(true, [&]() -> Result<void> {
    SUANLI_TRY(driver_->lock_for_migration());
    return driver_->exec_script(
        "CREATE TABLE IF NOT EXISTS schema_migrations ("
        "version INTEGER PRIMARY KEY, description TEXT NOT NULL, applied_at TEXT NOT NULL)");
  }));
  SUANLI_ASSIGN(int current, schema_version());
  if (current > latest_schema_version())
    return fail(ErrorCode::kUnsupported,
                fmt::format("the database's schema is version {}, newer than this build of "
                            "suanli knows ({}): upgrade suanli",
                            current, latest_schema_version()));
  for (const Migration& m : kMigrations) {
    if (m.version > target_version) break;
    SUANLI_TRY(transact(true, [&]() -> Result<void> {
      SUANLI_TRY(driver_->lock_for_migration());
      SUANLI_ASSIGN(auto done, q("SELECT version FROM schema_migrations WHERE version = $1",
                                 {std::int64_t{m.version}}));
      if (!done.empty()) return {};  // applied (perhaps by another process meanwhile)
      if (auto r = driver_->exec_script(replace_all(m.script, "{ID}", driver_->ddl_token("ID")));
          !r)
        return fail(r.error().code, fmt::format("schema migration {} ({}): {}", m.version,
                                                m.description, r.error().message));
      const std::string now = now_timestamp();
      SUANLI_TRY(
          q("INSERT INTO schema_migrations (version, description, applied_at) VALUES ($1, $2, $3)",
            {std::int64_t{m.version}, std::string_view(m.description), std::string_view(now)}));
      return {};
    }));
  }
  return {};
}

std::string SqlStore::backend() const { return driver_->backend(); }

Result<int> SqlStore::schema_version() {
  return transact(false, [&]() -> Result<int> {
    SUANLI_ASSIGN(auto rows, q("SELECT COALESCE(MAX(version), 0) FROM schema_migrations", {}));
    return rows.empty() ? 0 : static_cast<int>(integer(rows[0], 0));
  });
}

Result<void> SqlStore::integrity_check() {
  return transact(false, [&]() -> Result<void> {
    auto problem = [&](std::string what) {
      return fail(ErrorCode::kIo,
                  fmt::format("{} store integrity check failed: {}", driver_->backend(), what));
    };
    SUANLI_ASSIGN(auto engine, driver_->engine_check());
    if (engine) return problem(*engine);

    SUANLI_ASSIGN(auto versions,
                  q("SELECT s.id, COUNT(v.version), COALESCE(MIN(v.version), 0), "
                    "COALESCE(MAX(v.version), 0) FROM scenarios s "
                    "LEFT JOIN scenario_versions v ON v.scenario_id = s.id GROUP BY s.id "
                    "HAVING COUNT(v.version) = 0 OR MIN(v.version) <> 1 "
                    "OR MAX(v.version) <> COUNT(v.version) ORDER BY s.id LIMIT 1",
                    {}));
    if (!versions.empty()) {
      const auto& r = versions[0];
      if (integer(r, 1) == 0)
        return problem(fmt::format("scenario {} has no versions", integer(r, 0)));
      return problem(
          fmt::format("scenario {} versions are not contiguous from 1 ({} versions, {} to {})",
                      integer(r, 0), integer(r, 1), integer(r, 2), integer(r, 3)));
    }

    SUANLI_ASSIGN(auto orphans, q("SELECT a.seq, a.event_seq FROM audit a "
                                  "LEFT JOIN fleet_events e ON e.seq = a.event_seq "
                                  "WHERE e.seq IS NULL ORDER BY a.seq LIMIT 1",
                                  {}));
    if (!orphans.empty())
      return problem(fmt::format("audit decision {} references fleet event {}, which is missing",
                                 integer(orphans[0], 0), integer(orphans[0], 1)));

    for (std::string_view table : {std::string_view("fleet_events"), std::string_view("audit")}) {
      // Table names are constants of this file, never input.
      SUANLI_ASSIGN(auto counts, q(fmt::format("SELECT COUNT(*), COALESCE(MIN(seq), 0), "
                                               "COALESCE(MAX(seq), 0) FROM {}",
                                               table),
                                   {}));
      const std::int64_t n = integer(counts.at(0), 0);
      const std::int64_t lo = integer(counts.at(0), 1);
      const std::int64_t hi = integer(counts.at(0), 2);
      if (n == 0) continue;
      if (lo != 1) return problem(fmt::format("{} seq 1 is missing (first is {})", table, lo));
      if (hi != n) {
        SUANLI_ASSIGN(auto gap, q(fmt::format("SELECT MIN(t.seq) + 1 FROM {0} t WHERE t.seq < "
                                              "(SELECT MAX(seq) FROM {0}) AND NOT EXISTS "
                                              "(SELECT 1 FROM {0} u WHERE u.seq = t.seq + 1)",
                                              table),
                                  {}));
        return problem(fmt::format("{} seq {} is missing ({} rows, last seq {})", table,
                                   gap.empty() ? 0 : integer(gap[0], 0), n, hi));
      }
    }

    SUANLI_ASSIGN(auto order, q("SELECT a.seq FROM audit a JOIN audit b ON b.seq = a.seq + 1 "
                                "WHERE b.event_seq < a.event_seq ORDER BY a.seq LIMIT 1",
                                {}));
    if (!order.empty())
      return problem(fmt::format("audit decision {} belongs to a later event than decision {}",
                                 integer(order[0], 0), integer(order[0], 0) + 1));
    return {};
  });
}

// ---- Scenarios -------------------------------------------------------------

Result<ScenarioRecord> SqlStore::scenario_locked(std::int64_t id, std::optional<int> version) {
  Result<SqlRows> rows =
      version ? q(std::string(kScenarioColumns) + "WHERE s.id = $1 AND v.version = $2",
                  {id, std::int64_t{*version}})
              : q(std::string(kScenarioColumns) +
                      "WHERE s.id = $1 AND v.version = "
                      "(SELECT MAX(version) FROM scenario_versions WHERE scenario_id = s.id)",
                  {id});
  if (!rows) return std::unexpected(rows.error());
  if (rows->empty()) {
    if (version) {
      SUANLI_ASSIGN(auto exists, q("SELECT id FROM scenarios WHERE id = $1", {id}));
      if (!exists.empty())
        return fail(ErrorCode::kNotFound,
                    fmt::format("scenario {} has no version {}", id, *version));
    }
    return fail(ErrorCode::kNotFound, fmt::format("no scenario with id {}", id));
  }
  return scenario_from(rows->front());
}

Result<ScenarioRecord> SqlStore::create_scenario(std::string_view name, std::string_view kind,
                                                 std::string_view body) {
  if (name.empty()) return fail(ErrorCode::kInvalidArgument, "a scenario needs a name");
  if (!one_of(kind, kScenarioKinds))
    return fail(ErrorCode::kInvalidArgument, fmt::format("unknown scenario kind '{}' (expected {})",
                                                         kind, joined(kScenarioKinds)));
  return transact(true, [&]() -> Result<ScenarioRecord> {
    SUANLI_ASSIGN(auto taken,
                  q("SELECT id FROM scenarios WHERE name = $1 AND deleted = 0", {name}));
    if (!taken.empty())
      return fail(ErrorCode::kConflict,
                  fmt::format("a scenario named '{}' exists (id {})", name, integer(taken[0], 0)));
    const std::string now = now_timestamp();
    SUANLI_ASSIGN(auto inserted, q("INSERT INTO scenarios (name, kind, deleted, created_at) "
                                   "VALUES ($1, $2, 0, $3) RETURNING id",
                                   {name, kind, std::string_view(now)}));
    const std::int64_t id = integer(inserted.at(0), 0);
    SUANLI_TRY(
        q("INSERT INTO scenario_versions (scenario_id, version, body, created_at) "
          "VALUES ($1, 1, $2, $3)",
          {id, body, std::string_view(now)}));
    return scenario_locked(id, 1);
  });
}

Result<ScenarioRecord> SqlStore::update_scenario(std::int64_t id, std::string_view body,
                                                 std::optional<int> expected_version) {
  return transact(true, [&]() -> Result<ScenarioRecord> {
    SUANLI_ASSIGN(auto current, q("SELECT s.deleted, (SELECT MAX(version) FROM scenario_versions "
                                  "WHERE scenario_id = s.id) FROM scenarios s WHERE s.id = $1",
                                  {id}));
    if (current.empty() || integer(current[0], 0) != 0)
      return fail(ErrorCode::kNotFound, fmt::format("no scenario with id {}", id));
    const std::int64_t n = integer(current[0], 1);
    if (expected_version && *expected_version != n)
      return fail(ErrorCode::kConflict,
                  fmt::format("scenario {} is at version {}, not {} (changed meanwhile)", id, n,
                              *expected_version));
    SUANLI_TRY(
        q("INSERT INTO scenario_versions (scenario_id, version, body, created_at) "
          "VALUES ($1, $2, $3, $4)",
          {id, n + 1, body, std::string_view(now_timestamp())}));
    return scenario_locked(id, static_cast<int>(n + 1));
  });
}

Result<ScenarioRecord> SqlStore::get_scenario(std::int64_t id, std::optional<int> version) {
  return transact(false, [&] { return scenario_locked(id, version); });
}

Result<std::vector<ScenarioRecord>> SqlStore::list_scenarios() {
  return transact(false, [&]() -> Result<std::vector<ScenarioRecord>> {
    SUANLI_ASSIGN(auto rows,
                  q(std::string(kScenarioColumns) + "WHERE s.deleted = 0 AND v.version = "
                                                    "(SELECT MAX(version) FROM scenario_versions "
                                                    "WHERE scenario_id = s.id) ORDER BY s.id",
                    {}));
    std::vector<ScenarioRecord> out;
    out.reserve(rows.size());
    for (const auto& r : rows) out.push_back(scenario_from(r));
    return out;
  });
}

Result<std::vector<ScenarioRecord>> SqlStore::scenario_versions(std::int64_t id) {
  return transact(false, [&]() -> Result<std::vector<ScenarioRecord>> {
    SUANLI_ASSIGN(auto rows,
                  q(std::string(kScenarioColumns) + "WHERE s.id = $1 ORDER BY v.version", {id}));
    if (rows.empty()) return fail(ErrorCode::kNotFound, fmt::format("no scenario with id {}", id));
    std::vector<ScenarioRecord> out;
    out.reserve(rows.size());
    for (const auto& r : rows) out.push_back(scenario_from(r));
    return out;
  });
}

Result<void> SqlStore::delete_scenario(std::int64_t id) {
  return transact(true, [&]() -> Result<void> {
    SUANLI_ASSIGN(
        auto rows,
        q("UPDATE scenarios SET deleted = 1 WHERE id = $1 AND deleted = 0 RETURNING id", {id}));
    if (rows.empty()) return fail(ErrorCode::kNotFound, fmt::format("no scenario with id {}", id));
    return {};
  });
}

// ---- Runs ------------------------------------------------------------------

namespace {
constexpr std::string_view kRunColumns =
    "SELECT id, kind, status, progress, message, params, result, error, created_at, updated_at, "
    "attempts FROM runs ";
}

Result<RunRecord> SqlStore::run_locked(std::int64_t id) {
  SUANLI_ASSIGN(auto rows, q(std::string(kRunColumns) + "WHERE id = $1", {id}));
  if (rows.empty()) return fail(ErrorCode::kNotFound, fmt::format("no run with id {}", id));
  return run_from(rows.front());
}

Result<RunRecord> SqlStore::create_run(std::string_view kind, std::string_view params) {
  if (!one_of(kind, kRunKinds))
    return fail(ErrorCode::kInvalidArgument,
                fmt::format("unknown run kind '{}' (expected {})", kind, joined(kRunKinds)));
  return transact(true, [&]() -> Result<RunRecord> {
    const std::string now = now_timestamp();
    SUANLI_ASSIGN(auto rows, q("INSERT INTO runs (kind, status, progress, message, params, result, "
                               "error, created_at, updated_at) "
                               "VALUES ($1, 'queued', 0, '', $2, '', '', $3, $3) RETURNING id",
                               {kind, params, std::string_view(now)}));
    // The record as inserted (no read-back: the columns of later
    // migrations need not exist yet in a store opened at an older version).
    RunRecord r;
    r.id = integer(rows.at(0), 0);
    r.kind = std::string(kind);
    r.status = "queued";
    r.params = std::string(params);
    r.created_at = now;
    r.updated_at = now;
    return r;
  });
}

Result<void> SqlStore::update_run(std::int64_t id, std::string_view status, double progress,
                                  std::string_view message) {
  if (!one_of(status, kActiveStatuses))
    return fail(ErrorCode::kInvalidArgument,
                fmt::format("update_run: status '{}' is not one of {} (finish_run sets the others)",
                            status, joined(kActiveStatuses)));
  if (std::isnan(progress)) return fail(ErrorCode::kInvalidArgument, "run progress is NaN");
  progress = std::clamp(progress, 0.0, 1.0);  // rounding in a caller's fraction is no error
  return transact(true, [&]() -> Result<void> {
    SUANLI_ASSIGN(auto run, run_locked(id));
    if (one_of(run.status, kFinalStatuses))
      return fail(ErrorCode::kConflict, fmt::format("run {} has already {}", id, run.status));
    SUANLI_TRY(
        q("UPDATE runs SET status = $2, progress = $3, message = $4, updated_at = $5 "
          "WHERE id = $1",
          {id, status, progress, message, std::string_view(now_timestamp())}));
    return {};
  });
}

Result<void> SqlStore::finish_run(std::int64_t id, std::string_view status, std::string_view result,
                                  std::string_view error) {
  if (!one_of(status, kFinalStatuses))
    return fail(ErrorCode::kInvalidArgument, fmt::format("finish_run: status '{}' is not one of {}",
                                                         status, joined(kFinalStatuses)));
  return transact(true, [&]() -> Result<void> {
    SUANLI_ASSIGN(auto run, run_locked(id));
    if (one_of(run.status, kFinalStatuses))
      return fail(ErrorCode::kConflict, fmt::format("run {} has already {}", id, run.status));
    const bool succeeded = status == "succeeded";
    const double progress = succeeded ? 1.0 : run.progress;
    // The last progress line ("auditing the event log") would outlive the run.
    const std::string message = succeeded ? "done" : run.message;
    SUANLI_TRY(
        q("UPDATE runs SET status = $2, progress = $3, result = $4, error = $5, "
          "updated_at = $6, message = $7 WHERE id = $1",
          {id, status, progress, result, error, std::string_view(now_timestamp()),
           std::string_view(message)}));
    return {};
  });
}

Result<RunRecord> SqlStore::get_run(std::int64_t id) {
  return transact(false, [&] { return run_locked(id); });
}

Result<std::vector<RunRecord>> SqlStore::list_runs(int limit) {
  if (limit < 0) return fail(ErrorCode::kInvalidArgument, "list_runs: negative limit");
  return transact(false, [&]() -> Result<std::vector<RunRecord>> {
    SUANLI_ASSIGN(auto rows, q("SELECT id, kind, status, progress, message, params, '', error, "
                               "created_at, updated_at, attempts FROM runs ORDER BY id DESC "
                               "LIMIT $1",
                               {std::int64_t{limit}}));
    std::vector<RunRecord> out;
    out.reserve(rows.size());
    for (const auto& r : rows) out.push_back(run_from(r));
    return out;
  });
}

Result<std::vector<RunRecord>> SqlStore::unfinished_runs() {
  return transact(false, [&]() -> Result<std::vector<RunRecord>> {
    SUANLI_ASSIGN(auto rows,
                  q(std::string(kRunColumns) +
                        "WHERE status IN ('queued', 'running', 'interrupted') ORDER BY id",
                    {}));
    std::vector<RunRecord> out;
    out.reserve(rows.size());
    for (const auto& r : rows) out.push_back(run_from(r));
    return out;
  });
}

Result<int> SqlStore::begin_run_attempt(std::int64_t id) {
  return transact(true, [&]() -> Result<int> {
    SUANLI_ASSIGN(auto run, run_locked(id));
    if (one_of(run.status, kFinalStatuses))
      return fail(ErrorCode::kConflict, fmt::format("run {} has already {}", id, run.status));
    SUANLI_TRY(q("UPDATE runs SET status = 'running', progress = 0, attempts = attempts + 1, "
                 "updated_at = $2 WHERE id = $1",
                 {id, std::string_view(now_timestamp())}));
    return run.attempts + 1;
  });
}

// ---- Tokens ----------------------------------------------------------------

Result<Store::NewToken> SqlStore::create_token(std::string_view name, bool can_write) {
  if (name.empty()) return fail(ErrorCode::kInvalidArgument, "a token needs a name");
  std::string secret = random_token_secret();
  if (secret.size() != 64)
    return fail(ErrorCode::kIo, "cannot draw a token secret from the system's random source");
  const std::string hash = token_hash(secret);
  if (hash.empty()) return fail(ErrorCode::kIo, "cannot hash the token secret (OpenSSL)");
  return transact(true, [&]() -> Result<NewToken> {
    SUANLI_ASSIGN(auto rows, q("INSERT INTO tokens (name, secret_sha256, can_write, created_at) "
                               "VALUES ($1, $2, $3, $4) RETURNING id",
                               {name, std::string_view(hash), std::int64_t{can_write ? 1 : 0},
                                std::string_view(now_timestamp())}));
    SUANLI_ASSIGN(auto record,
                  q(std::string(kTokenColumns) + "WHERE id = $1", {integer(rows.at(0), 0)}));
    return NewToken{token_from(record.at(0)), std::move(secret)};
  });
}

Result<TokenRecord> SqlStore::find_token(std::string_view secret) {
  const std::string hash = token_hash(secret);
  return transact(false, [&]() -> Result<TokenRecord> {
    SUANLI_ASSIGN(auto rows, q(std::string(kTokenColumns) + "WHERE secret_sha256 = $1",
                               {std::string_view(hash)}));
    if (rows.empty() || hash.empty()) return fail(ErrorCode::kNotFound, "no token has this secret");
    return token_from(rows.front());
  });
}

Result<std::vector<TokenRecord>> SqlStore::list_tokens() {
  return transact(false, [&]() -> Result<std::vector<TokenRecord>> {
    SUANLI_ASSIGN(auto rows, q(std::string(kTokenColumns) + "ORDER BY id", {}));
    std::vector<TokenRecord> out;
    out.reserve(rows.size());
    for (const auto& r : rows) out.push_back(token_from(r));
    return out;
  });
}

Result<void> SqlStore::revoke_token(std::int64_t id) {
  return transact(true, [&]() -> Result<void> {
    // Revoking twice keeps the first time.
    SUANLI_ASSIGN(auto rows, q("UPDATE tokens SET revoked_at = COALESCE(revoked_at, $2) "
                               "WHERE id = $1 RETURNING id",
                               {id, std::string_view(now_timestamp())}));
    if (rows.empty()) return fail(ErrorCode::kNotFound, fmt::format("no token with id {}", id));
    return {};
  });
}

// ---- Live fleet ------------------------------------------------------------

Result<std::int64_t> SqlStore::append_fleet_event(std::string_view event,
                                                  const std::vector<std::string>& decisions) {
  return transact(true, [&]() -> Result<std::int64_t> {
    SUANLI_TRY(driver_->lock_for_append("fleet_events"));
    SUANLI_TRY(driver_->lock_for_append("audit"));
    SUANLI_ASSIGN(auto next, q("SELECT COALESCE(MAX(seq), 0) + 1 FROM fleet_events", {}));
    const std::int64_t seq = integer(next.at(0), 0);
    SUANLI_TRY(q("INSERT INTO fleet_events (seq, event, created_at) VALUES ($1, $2, $3)",
                 {seq, event, std::string_view(now_timestamp())}));
    if (!decisions.empty()) {
      SUANLI_ASSIGN(auto next_audit, q("SELECT COALESCE(MAX(seq), 0) + 1 FROM audit", {}));
      std::int64_t audit_seq = integer(next_audit.at(0), 0);
      for (const std::string& d : decisions)
        SUANLI_TRY(q("INSERT INTO audit (seq, event_seq, decision) VALUES ($1, $2, $3)",
                     {audit_seq++, seq, std::string_view(d)}));
    }
    return seq;
  });
}

Result<std::vector<FleetEventRecord>> SqlStore::fleet_events(std::int64_t after_seq) {
  return transact(false, [&]() -> Result<std::vector<FleetEventRecord>> {
    SUANLI_ASSIGN(auto rows, q("SELECT seq, event, created_at FROM fleet_events WHERE seq > $1 "
                               "ORDER BY seq",
                               {after_seq}));
    std::vector<FleetEventRecord> out;
    out.reserve(rows.size());
    for (const auto& r : rows) out.push_back({integer(r, 0), text(r, 1), text(r, 2)});
    return out;
  });
}

Result<std::vector<AuditRecord>> SqlStore::audit(std::int64_t after_seq, int limit) {
  if (limit < 0) return fail(ErrorCode::kInvalidArgument, "audit: negative limit");
  return transact(false, [&]() -> Result<std::vector<AuditRecord>> {
    SUANLI_ASSIGN(auto rows, q("SELECT seq, event_seq, decision FROM audit WHERE seq > $1 "
                               "ORDER BY seq LIMIT $2",
                               {after_seq, std::int64_t{limit}}));
    std::vector<AuditRecord> out;
    out.reserve(rows.size());
    for (const auto& r : rows) out.push_back({integer(r, 0), integer(r, 1), text(r, 2)});
    return out;
  });
}

// ---- Catalog overrides -----------------------------------------------------

Result<void> SqlStore::put_catalog_override(const CatalogOverrideRecord& record) {
  if (record.accelerator_id.empty())
    return fail(ErrorCode::kInvalidArgument, "a catalog override needs an accelerator ID");
  return transact(true, [&]() -> Result<void> {
    SUANLI_TRY(
        q("INSERT INTO catalog_overrides (accelerator_id, entry, token_id, updated_at) "
          "VALUES ($1, $2, $3, $4) ON CONFLICT (accelerator_id) DO UPDATE SET "
          "entry = excluded.entry, token_id = excluded.token_id, "
          "updated_at = excluded.updated_at",
          {std::string_view(record.accelerator_id), std::string_view(record.entry), record.token_id,
           std::string_view(now_timestamp())}));
    return {};
  });
}

Result<std::vector<CatalogOverrideRecord>> SqlStore::catalog_overrides() {
  return transact(false, [&]() -> Result<std::vector<CatalogOverrideRecord>> {
    SUANLI_ASSIGN(auto rows, q("SELECT accelerator_id, entry, token_id, updated_at "
                               "FROM catalog_overrides",
                               {}));
    std::vector<CatalogOverrideRecord> out;
    out.reserve(rows.size());
    for (const auto& r : rows) out.push_back({text(r, 0), text(r, 1), integer(r, 2), text(r, 3)});
    // Byte order on both engines (PostgreSQL's ORDER BY follows its locale).
    std::sort(out.begin(), out.end(),
              [](const auto& a, const auto& b) { return a.accelerator_id < b.accelerator_id; });
    return out;
  });
}

Result<void> SqlStore::delete_catalog_override(std::string_view accelerator_id) {
  return transact(true, [&]() -> Result<void> {
    SUANLI_ASSIGN(auto rows, q("DELETE FROM catalog_overrides WHERE accelerator_id = $1 "
                               "RETURNING accelerator_id",
                               {accelerator_id}));
    if (rows.empty())
      return fail(ErrorCode::kNotFound,
                  fmt::format("no catalog override for accelerator '{}'", accelerator_id));
    return {};
  });
}

}  // namespace suanli::store

// The store's logic written once over a small SQL driver interface: the
// SQLite and PostgreSQL backends (sqlite_store.h, pg_store.h) only connect,
// run parameterised statements and map engine errors. Both share the SQL
// text below, placeholders written $1, $2, … (PostgreSQL's form; SQLite
// binds them by name), and the numbered schema migrations.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "store/store.h"

namespace suanli::store {

// One statement parameter: NULL, an integer, a real or text.
using SqlValue = std::variant<std::nullptr_t, std::int64_t, double, std::string_view>;

// One result row: each column as text (NULL as nullopt). Integers are
// decimal, reals their shortest round-trip form.
using SqlRow = std::vector<std::optional<std::string>>;
using SqlRows = std::vector<SqlRow>;

// One connection to one database. Not thread-safe: SqlStore serialises all
// calls. Every method reports failures as values (never throws): a unique
// constraint violation as kConflict, anything else as kIo.
class SqlDriver {
 public:
  virtual ~SqlDriver() = default;

  virtual std::string backend() const = 0;
  // The engine-specific text of a schema token used by the shared
  // migrations ("ID": an auto-incrementing 64-bit primary key).
  virtual std::string ddl_token(std::string_view token) const = 0;

  virtual Result<void> begin(bool write) = 0;
  virtual Result<void> commit() = 0;
  virtual void rollback() = 0;  // best effort; a no-op outside a transaction

  // One statement with parameters $1..$n.
  virtual Result<SqlRows> query(std::string_view sql, std::span<const SqlValue> params) = 0;
  // A parameterless script of one or more statements (migrations only).
  virtual Result<void> exec_script(std::string_view sql) = 0;

  // Inside a write transaction: serialise writers that read then insert
  // the next sequence number of `table` (PostgreSQL: LOCK TABLE; SQLite
  // needs nothing, a write transaction already excludes other writers).
  virtual Result<void> lock_for_append(std::string_view table) = 0;
  // Inside a write transaction: serialise concurrent migrators.
  virtual Result<void> lock_for_migration() = 0;
  // The engine's own checks (SQLite PRAGMA integrity_check and
  // foreign_key_check); the first problem, or nullopt when clean.
  virtual Result<std::optional<std::string>> engine_check() = 0;
};

// One migration: a version and its script, in the shared dialect (the
// token {ID} is replaced by SqlDriver::ddl_token("ID")).
struct Migration {
  int version = 0;
  const char* description = "";
  const char* script = "";
};

// Every migration, in order (version 1, 2, …).
std::span<const Migration> migrations();

class SqlStore final : public Store {
 public:
  // Takes the connection and applies the migrations up to
  // `target_version` (all of them by default; tests pass a lower one to
  // build an old database). With StoreAccess::kRead every later write is
  // refused (kUnsupported); the driver holds the writer lock for kWrite.
  static Result<std::unique_ptr<Store>> open(std::unique_ptr<SqlDriver> driver,
                                             std::optional<int> target_version = std::nullopt,
                                             StoreAccess access = StoreAccess::kWrite);

  std::string backend() const override;
  Result<int> schema_version() override;
  Result<void> integrity_check() override;

  Result<ScenarioRecord> create_scenario(std::string_view name, std::string_view kind,
                                         std::string_view body) override;
  Result<ScenarioRecord> update_scenario(std::int64_t id, std::string_view body,
                                         std::optional<int> expected_version) override;
  Result<ScenarioRecord> get_scenario(std::int64_t id, std::optional<int> version) override;
  Result<std::vector<ScenarioRecord>> list_scenarios() override;
  Result<std::vector<ScenarioRecord>> scenario_versions(std::int64_t id) override;
  Result<void> delete_scenario(std::int64_t id) override;

  Result<RunRecord> create_run(std::string_view kind, std::string_view params) override;
  Result<void> update_run(std::int64_t id, std::string_view status, double progress,
                          std::string_view message) override;
  Result<void> finish_run(std::int64_t id, std::string_view status, std::string_view result,
                          std::string_view error) override;
  Result<RunRecord> get_run(std::int64_t id) override;
  Result<std::vector<RunRecord>> list_runs(int limit) override;
  Result<std::vector<RunRecord>> unfinished_runs() override;
  Result<int> begin_run_attempt(std::int64_t id) override;

  Result<NewToken> create_token(std::string_view name, bool can_write) override;
  Result<TokenRecord> find_token(std::string_view secret) override;
  Result<std::vector<TokenRecord>> list_tokens() override;
  Result<void> revoke_token(std::int64_t id) override;

  Result<std::int64_t> append_fleet_event(std::string_view event,
                                          const std::vector<std::string>& decisions) override;
  Result<std::vector<FleetEventRecord>> fleet_events(std::int64_t after_seq) override;
  Result<std::vector<AuditRecord>> audit(std::int64_t after_seq, int limit) override;

  Result<void> put_catalog_override(const CatalogOverrideRecord& record) override;
  Result<std::vector<CatalogOverrideRecord>> catalog_overrides() override;
  Result<void> delete_catalog_override(std::string_view accelerator_id) override;

 private:
  explicit SqlStore(std::unique_ptr<SqlDriver> driver) : driver_(std::move(driver)) {}

  Result<void> migrate(int target_version);
  // Runs `body` inside one transaction under the mutex: commits when it
  // succeeds, rolls back when it fails or throws.
  template <class F>
  auto transact(bool write, F&& body) -> decltype(body());
  Result<SqlRows> q(std::string_view sql, std::initializer_list<SqlValue> params);
  Result<ScenarioRecord> scenario_locked(std::int64_t id, std::optional<int> version);
  Result<RunRecord> run_locked(std::int64_t id);

  std::mutex mutex_;
  std::unique_ptr<SqlDriver> driver_;
  bool read_only_ = false;  // StoreAccess::kRead, after the migrations
};

// Helpers shared by the drivers and the tests.
std::string format_sql_real(double value);  // shortest round-trip text
std::string random_token_secret();          // 32 random bytes as 64 hex ("" on failure)

}  // namespace suanli::store

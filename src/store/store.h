// Persistent state of the service behind one interface: SQLite in the data
// directory (the embedded default) or PostgreSQL (a shared deployment).
// Both run the same numbered schema migrations and pass the same store
// test suite. Every write is one transaction, committed (and synced) before
// the call returns: what a caller was told is stored survives a crash.
// All methods are safe to call from many threads; SQL is parameterised
// only (no value is ever spliced into SQL text).
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "util/error.h"

namespace suanli::store {

// A saved scenario: every update appends a version; the latest version is
// what lists and runs see unless a version is asked for.
struct ScenarioRecord {
  std::int64_t id = 0;
  int version = 0;
  std::string name;        // unique among live (not deleted) scenarios
  std::string kind;        // "simulate" (sim scenario) or "plan" (plan scenario)
  std::string body;        // the TOML text, byte for byte as given
  std::string created_at;  // ISO 8601 UTC of this version
  bool deleted = false;
};

// An asynchronous run (simulate, plan, report).
struct RunRecord {
  std::int64_t id = 0;
  std::string kind;  // "simulate" | "plan" | "report"
  std::string
      status;  // "queued" | "running" | "succeeded" | "failed" | "cancelled" | "interrupted"
  double progress = 0;  // 0..1
  std::string message;  // the last progress line
  std::string params;   // JSON text as accepted
  std::string result;   // JSON text (empty until it succeeds)
  std::string error;    // JSON text {"code","message"} when it failed
  std::string created_at;
  std::string updated_at;
  int attempts = 0;  // times the run was started (begin_run_attempt)
};

struct TokenRecord {
  std::int64_t id = 0;
  std::string name;
  bool can_write = true;
  std::string created_at;
  std::optional<std::string> revoked_at;
};

// One accepted live-fleet event (JSON text) and the scheduler decisions it
// caused (JSON text each), stored together in one transaction.
struct FleetEventRecord {
  std::int64_t seq = 0;  // 1, 2, … in acceptance order
  std::string event;
  std::string created_at;
};

struct AuditRecord {
  std::int64_t seq = 0;        // 1, 2, … over all decisions
  std::int64_t event_seq = 0;  // the event that caused it
  std::string decision;        // JSON text
};

// A user's catalog entry or override (catalog TOML, as JSON text) for one
// accelerator ID; the service merges them over the bundled catalog.
struct CatalogOverrideRecord {
  std::string accelerator_id;
  std::string entry;          // JSON text of the [[accelerator]] table
  std::int64_t token_id = 0;  // who stored it
  std::string updated_at;
};

// How a process opens a store. One process writes a store at a time:
// kWrite takes an exclusive writer lock held for the Store's lifetime
// (SQLite: flock(LOCK_EX|LOCK_NB) on "<db>.lock" beside the file, which
// records the holder's pid; PostgreSQL: pg_try_advisory_lock on a fixed key
// in a dedicated session) and fails with kConflict, naming the holder,
// when another process holds it — before anything is written. kRead takes
// no lock and refuses every write (kUnsupported); it still applies pending
// migrations when it is the first to open a new store.
enum class StoreAccess { kWrite, kRead };

class Store {
 public:
  virtual ~Store() = default;

  // "sqlite:PATH" (created if missing) or "postgresql://…" / "postgres://…"
  // (libpqxx; kUnsupported when built without it). Runs pending migrations.
  static Result<std::unique_ptr<Store>> open(std::string_view url,
                                             StoreAccess access = StoreAccess::kWrite);

  virtual std::string backend() const = 0;  // "sqlite" | "postgresql"
  virtual Result<int> schema_version() = 0;
  // SQLite: PRAGMA integrity_check and foreign_key_check; both backends:
  // consistency queries (versions contiguous from 1, audit rows point at
  // existing events, sequence numbers without gaps). Fails naming the
  // first problem.
  virtual Result<void> integrity_check() = 0;

  // Scenarios. create: version 1 (kConflict if a live scenario has the
  // name). update: appends version n+1; with `expected_version` set it
  // fails with kConflict unless n equals it. get: latest or one version.
  // get and scenario_versions still answer for a deleted scenario (its
  // records have deleted = true); update and delete answer kNotFound.
  virtual Result<ScenarioRecord> create_scenario(std::string_view name, std::string_view kind,
                                                 std::string_view body) = 0;
  virtual Result<ScenarioRecord> update_scenario(std::int64_t id, std::string_view body,
                                                 std::optional<int> expected_version) = 0;
  virtual Result<ScenarioRecord> get_scenario(std::int64_t id,
                                              std::optional<int> version = std::nullopt) = 0;
  virtual Result<std::vector<ScenarioRecord>> list_scenarios() = 0;  // latest versions, live only
  virtual Result<std::vector<ScenarioRecord>> scenario_versions(std::int64_t id) = 0;
  virtual Result<void> delete_scenario(std::int64_t id) = 0;  // kNotFound when absent

  // Runs. create: "queued", progress 0. update_run sets "queued",
  // "running" or "interrupted" (progress clamped to 0..1); finish_run sets
  // "succeeded" (progress 1), "failed" or "cancelled". Both fail with
  // kConflict once the run has finished, kNotFound for an unknown ID.
  virtual Result<RunRecord> create_run(std::string_view kind, std::string_view params) = 0;
  virtual Result<void> update_run(std::int64_t id, std::string_view status, double progress,
                                  std::string_view message) = 0;
  virtual Result<void> finish_run(std::int64_t id, std::string_view status, std::string_view result,
                                  std::string_view error) = 0;
  virtual Result<RunRecord> get_run(std::int64_t id) = 0;
  // Newest first; `limit` rows at most. Without the result text (large).
  virtual Result<std::vector<RunRecord>> list_runs(int limit) = 0;
  // Runs left "queued", "running" or "interrupted" (after a crash or a
  // shutdown), oldest first, for the service to restart.
  virtual Result<std::vector<RunRecord>> unfinished_runs() = 0;
  // A run starts: status "running", progress 0 and one more attempt, in one
  // transaction; returns the new attempt count (kConflict once finished,
  // kNotFound for an unknown ID). The service quarantines a run it finds
  // "running" at start-up after 2 attempts (docs/runs.md). The default
  // (for test doubles) only sets the status and counts nothing.
  virtual Result<int> begin_run_attempt(std::int64_t id) {
    SUANLI_TRY(update_run(id, "running", 0, ""));
    return 0;
  }

  // Tokens. The secret is 32 random bytes as 64 hex characters, returned
  // once; only its SHA-256 is stored. find_token: the record for a
  // secret (revoked ones too: the caller tells 401 from 403), kNotFound
  // when no token has it.
  struct NewToken {
    TokenRecord record;
    std::string secret;
  };
  virtual Result<NewToken> create_token(std::string_view name, bool can_write) = 0;
  virtual Result<TokenRecord> find_token(std::string_view secret) = 0;
  virtual Result<std::vector<TokenRecord>> list_tokens() = 0;
  virtual Result<void> revoke_token(std::int64_t id) = 0;

  // Live fleet: event + decisions in one transaction; returns the seq.
  // The fleet log is append-only: no call deletes events or decisions (a
  // new config is one more event that starts a new epoch).
  virtual Result<std::int64_t> append_fleet_event(std::string_view event,
                                                  const std::vector<std::string>& decisions) = 0;
  virtual Result<std::vector<FleetEventRecord>> fleet_events(std::int64_t after_seq) = 0;
  // Decisions with seq > after_seq, oldest first, at most `limit`.
  virtual Result<std::vector<AuditRecord>> audit(std::int64_t after_seq, int limit) = 0;
  // Removed: the fleet log is append-only. Kept (always kUnsupported) only
  // so that test doubles written against the old interface still compile.
  virtual Result<void> clear_fleet() {
    return fail(ErrorCode::kUnsupported, "the fleet log is append-only");
  }

  // Catalog overrides, keyed by accelerator ID (put replaces; updated_at
  // is set by the store; the list is in byte order of the ID; delete of an
  // absent ID is kNotFound).
  virtual Result<void> put_catalog_override(const CatalogOverrideRecord& record) = 0;
  virtual Result<std::vector<CatalogOverrideRecord>> catalog_overrides() = 0;
  virtual Result<void> delete_catalog_override(std::string_view accelerator_id) = 0;
};

// SHA-256 of a token secret, lower-case hex (OpenSSL).
std::string token_hash(std::string_view secret);

// The embedded default: "sqlite:<data_dir>/suanli.db".
std::string default_store_url(const std::filesystem::path& data_dir);

// The newest schema version this build knows (schema_version() of a store
// opened by it); docs/store.md lists the migrations.
int latest_schema_version();

// Now as stored: ISO 8601 UTC with milliseconds, "2026-11-22T22:40:01.123Z".
std::string now_timestamp();

}  // namespace suanli::store

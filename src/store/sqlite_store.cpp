#include "store/sqlite_store.h"

#include <fmt/format.h>
#include <sqlite3.h>

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <map>
#include <string>
#include <type_traits>

#include "store/sql_store.h"

namespace suanli::store {

namespace {

constexpr int kBusyTimeoutMs = 10000;

// The single-writer lock: flock(LOCK_EX|LOCK_NB) on "<db>.lock" beside the
// database, holding the holder's pid as text. The kernel drops it when the
// process ends (a SIGKILL leaves no stale lock); the file itself stays.
class WriterLock {
 public:
  static Result<std::unique_ptr<WriterLock>> acquire(const std::filesystem::path& db) {
    const std::string path = db.string() + ".lock";
    const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0)
      return fail(ErrorCode::kIo,
                  fmt::format("cannot open the store's lock file {}: {}", path, std::strerror(errno)));
    if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
      const int err = errno;
      char buf[32] = {};
      const ssize_t n = ::pread(fd, buf, sizeof buf - 1, 0);
      ::close(fd);
      if (err != EWOULDBLOCK)
        return fail(ErrorCode::kIo, fmt::format("cannot lock {}: {}", path, std::strerror(err)));
      std::string pid = n > 0 ? std::string(buf, static_cast<std::size_t>(n)) : std::string();
      while (!pid.empty() && (pid.back() == '\n' || pid.back() == ' ')) pid.pop_back();
      return fail(ErrorCode::kConflict,
                  fmt::format("store sqlite:{} is in use by another suanli process (pid {}); stop "
                              "it or send the change through its API",
                              db.string(), pid.empty() ? "unknown" : pid));
    }
    const std::string pid = fmt::format("{}\n", ::getpid());
    if (::ftruncate(fd, 0) != 0 ||
        ::pwrite(fd, pid.data(), pid.size(), 0) != static_cast<ssize_t>(pid.size())) {
      // The lock is held; only the pid shown to a second writer is missing.
    }
    return std::unique_ptr<WriterLock>(new WriterLock(fd));
  }
  ~WriterLock() { ::close(fd_); }
  WriterLock(const WriterLock&) = delete;
  WriterLock& operator=(const WriterLock&) = delete;

 private:
  explicit WriterLock(int fd) : fd_(fd) {}
  int fd_;
};

class SqliteDriver final : public SqlDriver {
 public:
  SqliteDriver(sqlite3* db, std::filesystem::path path, std::unique_ptr<WriterLock> lock)
      : db_(db), path_(std::move(path)), lock_(std::move(lock)) {}
  ~SqliteDriver() override {
    for (auto& [sql, stmt] : statements_) sqlite3_finalize(stmt);
    sqlite3_close(db_);
  }
  SqliteDriver(const SqliteDriver&) = delete;
  SqliteDriver& operator=(const SqliteDriver&) = delete;

  std::string backend() const override { return "sqlite"; }

  std::string ddl_token(std::string_view token) const override {
    if (token == "ID") return "INTEGER PRIMARY KEY AUTOINCREMENT";
    return std::string(token);
  }

  Result<void> begin(bool write) override {
    in_write_ = write;
    if (write) SUANLI_TRY(check_file());
    // IMMEDIATE takes the write lock up front: a writer never fails half
    // way with SQLITE_BUSY on lock upgrade (another process on the file).
    return exec_script(write ? "BEGIN IMMEDIATE" : "BEGIN");
  }
  Result<void> commit() override {
    // A write into a file that is no longer at its path would be
    // acknowledged and then lost: refuse it (the caller rolls back).
    if (in_write_) SUANLI_TRY(check_file());
    return exec_script("COMMIT");
  }
  void rollback() override {
    if (!sqlite3_get_autocommit(db_)) sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
  }

  Result<SqlRows> query(std::string_view sql, std::span<const SqlValue> params) override {
    SUANLI_ASSIGN(sqlite3_stmt * stmt, prepare(sql));
    struct Reset {
      sqlite3_stmt* s;
      ~Reset() {
        sqlite3_reset(s);
        sqlite3_clear_bindings(s);
      }
    } reset{stmt};
    SUANLI_TRY(bind(stmt, sql, params));
    SqlRows rows;
    for (;;) {
      const int rc = sqlite3_step(stmt);
      if (rc == SQLITE_DONE) break;
      if (rc != SQLITE_ROW) return error(rc, sql);
      const int n = sqlite3_column_count(stmt);
      SqlRow row(static_cast<std::size_t>(n));
      for (int i = 0; i < n; ++i) {
        switch (sqlite3_column_type(stmt, i)) {
          case SQLITE_NULL:
            break;
          case SQLITE_INTEGER:
            row[i] = std::to_string(sqlite3_column_int64(stmt, i));
            break;
          case SQLITE_FLOAT:
            row[i] = format_sql_real(sqlite3_column_double(stmt, i));
            break;
          default: {
            const auto* data = static_cast<const char*>(sqlite3_column_blob(stmt, i));
            const int size = sqlite3_column_bytes(stmt, i);
            row[i] = data ? std::string(data, static_cast<std::size_t>(size)) : std::string();
          }
        }
      }
      rows.push_back(std::move(row));
    }
    return rows;
  }

  Result<void> exec_script(std::string_view sql) override {
    const std::string text(sql);
    char* message = nullptr;
    const int rc = sqlite3_exec(db_, text.c_str(), nullptr, nullptr, &message);
    if (rc == SQLITE_OK) return {};
    std::string what = message ? message : sqlite3_errstr(rc);
    sqlite3_free(message);
    return fail(code_for(sqlite3_extended_errcode(db_)), fmt::format("sqlite: {}", what));
  }

  Result<void> lock_for_append(std::string_view) override { return {}; }
  Result<void> lock_for_migration() override { return {}; }

  Result<std::optional<std::string>> engine_check() override {
    SUANLI_ASSIGN(auto integrity, query("PRAGMA integrity_check", {}));
    if (integrity.empty() || !integrity[0][0] || *integrity[0][0] != "ok")
      return std::optional<std::string>(
          fmt::format("PRAGMA integrity_check: {}",
                      integrity.empty() || !integrity[0][0] ? "no answer" : *integrity[0][0]));
    SUANLI_ASSIGN(auto fk, query("PRAGMA foreign_key_check", {}));
    if (!fk.empty()) {
      const auto col = [&](std::size_t i) {
        return i < fk[0].size() && fk[0][i] ? *fk[0][i] : std::string("?");
      };
      return std::optional<std::string>(
          fmt::format("PRAGMA foreign_key_check: row {} of {} references a missing row of {}",
                      col(1), col(0), col(2)));
    }
    return std::optional<std::string>();
  }

  Result<void> configure() {
    sqlite3_busy_timeout(db_, kBusyTimeoutMs);
    SUANLI_ASSIGN(auto mode, query("PRAGMA journal_mode = WAL", {}));
    if (mode.empty() || !mode[0][0] || *mode[0][0] != "wal")
      return fail(ErrorCode::kIo, "sqlite: cannot switch the database to WAL journaling");
    SUANLI_TRY(exec_script("PRAGMA synchronous = FULL"));
    SUANLI_TRY(exec_script("PRAGMA foreign_keys = ON"));
    SUANLI_ASSIGN(auto fk, query("PRAGMA foreign_keys", {}));
    if (fk.empty() || !fk[0][0] || *fk[0][0] != "1")
      return fail(ErrorCode::kIo, "sqlite: foreign key enforcement is not available");
    // The file as opened (it exists now: WAL mode was written to it).
    struct stat st {};
    if (::stat(path_.c_str(), &st) != 0)
      return fail(ErrorCode::kIo, fmt::format("sqlite: cannot stat {}: {}", path_.string(),
                                              std::strerror(errno)));
    dev_ = st.st_dev;
    ino_ = st.st_ino;
    return {};
  }

 private:
  // The database file is still the one opened: deleted or replaced at its
  // path, later writes would go into a file nobody will open again.
  Result<void> check_file() const {
    struct stat st {};
    if (::stat(path_.c_str(), &st) != 0 || st.st_dev != dev_ || st.st_ino != ino_ ||
        st.st_nlink == 0)
      return fail(ErrorCode::kIo,
                  fmt::format("sqlite: the database file {} was deleted or replaced while the "
                              "store was open; writes are refused (restore the file or restart "
                              "suanli)",
                              path_.string()));
    return {};
  }

  static ErrorCode code_for(int extended) {
    switch (extended) {
      case SQLITE_CONSTRAINT_UNIQUE:
      case SQLITE_CONSTRAINT_PRIMARYKEY:
        return ErrorCode::kConflict;
      default:
        return ErrorCode::kIo;
    }
  }

  std::unexpected<Error> error(int rc, std::string_view sql) const {
    (void)rc;
    const int extended = sqlite3_extended_errcode(db_);
    return fail(code_for(extended),
                fmt::format("sqlite: {} (in: {})", sqlite3_errmsg(db_), sql.substr(0, 80)));
  }

  Result<sqlite3_stmt*> prepare(std::string_view sql) {
    const std::string key(sql);
    if (auto it = statements_.find(key); it != statements_.end()) return it->second;
    sqlite3_stmt* stmt = nullptr;
    const int rc = sqlite3_prepare_v3(db_, key.c_str(), static_cast<int>(key.size() + 1),
                                      SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
    if (rc != SQLITE_OK) return error(rc, sql);
    if (!stmt) return fail(ErrorCode::kIo, fmt::format("sqlite: empty statement: {}", sql));
    statements_.emplace(key, stmt);
    return stmt;
  }

  // Parameters are named $1..$n in the SQL text (the form PostgreSQL uses);
  // each is bound by its number, so one may appear several times.
  Result<void> bind(sqlite3_stmt* stmt, std::string_view sql, std::span<const SqlValue> params) {
    const int count = sqlite3_bind_parameter_count(stmt);
    for (int i = 1; i <= count; ++i) {
      const char* name = sqlite3_bind_parameter_name(stmt, i);
      std::size_t number = 0;
      if (!name || name[0] != '$' ||
          std::from_chars(name + 1, name + std::char_traits<char>::length(name), number).ec !=
              std::errc() ||
          number < 1 || number > params.size())
        return fail(ErrorCode::kIo, fmt::format("sqlite: parameter {} of '{}' has no value",
                                                name ? name : "?", sql.substr(0, 80)));
      int rc = SQLITE_OK;
      std::visit(
          [&](const auto& v) {
            using T = std::decay_t<decltype(v)>;
            if constexpr (std::is_same_v<T, std::nullptr_t>)
              rc = sqlite3_bind_null(stmt, i);
            else if constexpr (std::is_same_v<T, std::int64_t>)
              rc = sqlite3_bind_int64(stmt, i, v);
            else if constexpr (std::is_same_v<T, double>)
              rc = sqlite3_bind_double(stmt, i, v);
            else
              rc = sqlite3_bind_text64(stmt, i, v.data(), v.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
          },
          params[number - 1]);
      if (rc != SQLITE_OK) return error(rc, sql);
    }
    return {};
  }

  sqlite3* db_;
  std::filesystem::path path_;
  std::unique_ptr<WriterLock> lock_;  // null for StoreAccess::kRead
  dev_t dev_ = 0;
  ino_t ino_ = 0;
  bool in_write_ = false;
  std::map<std::string, sqlite3_stmt*, std::less<>> statements_;
};

}  // namespace

Result<std::unique_ptr<Store>> open_sqlite_store(const std::filesystem::path& path,
                                                 std::optional<int> target_version,
                                                 StoreAccess access) {
  std::unique_ptr<WriterLock> lock;
  if (access == StoreAccess::kWrite) {
    SUANLI_ASSIGN(lock, WriterLock::acquire(path));
  }
  sqlite3* db = nullptr;
  const int rc = sqlite3_open_v2(
      path.c_str(), &db,
      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE,
      nullptr);
  if (rc != SQLITE_OK) {
    std::string what = db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
    sqlite3_close(db);
    return fail(ErrorCode::kIo,
                fmt::format("cannot open the SQLite database {}: {}", path.string(), what));
  }
  auto driver = std::make_unique<SqliteDriver>(db, path, std::move(lock));
  if (auto configured = driver->configure(); !configured)
    return fail(configured.error().code,
                fmt::format("{}: {}", path.string(), configured.error().message));
  return SqlStore::open(std::move(driver), target_version, access);
}

}  // namespace suanli::store

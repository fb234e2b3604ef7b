// Test use only: a throwaway PostgreSQL server from Debian's packages
// (postgresql-15: /usr/lib/postgresql/<version>/bin). start() makes a
// temp dir, runs initdb (trust auth, superuser "postgres", no fsync),
// picks a free TCP port on 127.0.0.1, starts the server with pg_ctl (its
// unix socket inside the temp dir, listening on 127.0.0.1 only, fsync off:
// the server is thrown away), waits for pg_isready, and the destructor
// stops it (immediate mode) and removes the dir. initdb and postgres
// refuse to run as root: when the tests run as root they run as the
// `postgres` system user (runuser), which then owns the temp dir.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pwd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

namespace suanli::testing {

class PgTestServer {
 public:
  // Either a running server, or why there is none: `skip` when the
  // binaries (or the postgres user, as root) are missing, else an error.
  struct Started {
    std::unique_ptr<PgTestServer> server;
    bool skip = false;
    std::string message;
  };

  static Started start() {
    Started out;
    const std::filesystem::path bin = find_bin_dir();
    if (bin.empty()) {
      out.skip = true;
      out.message =
          "PostgreSQL server binaries not found (/usr/lib/postgresql/*/bin/initdb); `make deps` "
          "installs postgresql";
      return out;
    }
    std::unique_ptr<PgTestServer> s(new PgTestServer(bin));
    if (::geteuid() == 0) {
      const passwd* pw = ::getpwnam("postgres");
      if (!pw || !std::filesystem::exists("/usr/sbin/runuser")) {
        out.skip = true;
        out.message =
            "running as root needs the `postgres` system user and runuser to start a test "
            "PostgreSQL server; `make deps` installs postgresql";
        return out;
      }
      s->as_postgres_ = true;
      s->uid_ = pw->pw_uid;
      s->gid_ = pw->pw_gid;
    }
    if (std::string error = s->init(); !error.empty()) {
      out.message = error;
      return out;
    }
    out.server = std::move(s);
    return out;
  }

  ~PgTestServer() {
    if (started_)
      run(as_postgres(quote(bin_ / "pg_ctl") + " -D " + quote(data_dir()) +
                      " -m immediate -w stop") +
          " >/dev/null 2>&1");
    if (!dir_.empty()) {
      std::error_code ec;
      std::filesystem::remove_all(dir_, ec);
    }
  }
  PgTestServer(const PgTestServer&) = delete;
  PgTestServer& operator=(const PgTestServer&) = delete;

  int port() const { return port_; }
  const std::filesystem::path& dir() const { return dir_; }

  // The connection URL of database `db` (TCP on 127.0.0.1, user postgres).
  std::string url(const std::string& db) const {
    return "postgresql://postgres@127.0.0.1:" + std::to_string(port_) + "/" + db;
  }

  // Creates database `db` (a plain identifier); "" on success, else why not.
  std::string create_database(const std::string& db) const {
    const auto log = dir_ / "createdb.log";
    if (run(quote(bin_ / "createdb") + " -h 127.0.0.1 -p " + std::to_string(port_) +
            " -U postgres " + quote(db) + " >" + quote(log) + " 2>&1") != 0)
      return "createdb " + db + " failed: " + slurp(log);
    return {};
  }

 private:
  explicit PgTestServer(std::filesystem::path bin) : bin_(std::move(bin)) {}

  static std::filesystem::path find_bin_dir() {
    if (const char* env = std::getenv("SUANLI_PG_BIN"); env && *env) {
      if (std::filesystem::exists(std::filesystem::path(env) / "initdb")) return env;
    }
    std::filesystem::path best;
    int best_version = -1;
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator("/usr/lib/postgresql", ec)) {
      const auto bin = entry.path() / "bin";
      if (!std::filesystem::exists(bin / "initdb") || !std::filesystem::exists(bin / "pg_ctl") ||
          !std::filesystem::exists(bin / "postgres"))
        continue;
      const int version = std::atoi(entry.path().filename().c_str());
      if (version > best_version) {
        best_version = version;
        best = bin;
      }
    }
    return best;
  }

  static std::string quote(const std::filesystem::path& p) { return quote(p.string()); }
  static std::string quote(const std::string& s) {
    std::string q = "'";
    for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return q + "'";
  }

  static std::string slurp(const std::filesystem::path& p) {
    std::ifstream f(p);
    std::stringstream s;
    s << f.rdbuf();
    return s.str();
  }

  static int run(const std::string& command) { return std::system(command.c_str()); }

  // A TCP port nobody listens on right now (the kernel's choice).
  static int free_port() {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) return 0;
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    int port = 0;
    socklen_t len = sizeof addr;
    if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0)
      port = ntohs(addr.sin_port);
    ::close(fd);
    return port;
  }

  std::filesystem::path data_dir() const { return dir_ / "data"; }

  // The command as the postgres user when we are root; from inside the
  // temp dir (the postgres user may not be allowed into our cwd).
  std::string as_postgres(const std::string& command) const {
    return "cd " + quote(dir_) + " && " + (as_postgres_ ? "runuser -u postgres -- " : "") + command;
  }

  std::string init() {
    std::string templ = (std::filesystem::temp_directory_path() / "suanli-pg-XXXXXX").string();
    std::vector<char> buffer(templ.begin(), templ.end());
    buffer.push_back('\0');
    if (!::mkdtemp(buffer.data())) return "mkdtemp failed";
    dir_ = buffer.data();
    if (as_postgres_ && ::chown(dir_.c_str(), uid_, gid_) != 0)
      return "cannot chown " + dir_.string() + " to the postgres user";
    ::chmod(dir_.c_str(), 0700);

    const auto initdb_log = dir_ / "initdb.log";
    if (run(as_postgres(quote(bin_ / "initdb") + " -D " + quote(data_dir()) +
                        " -A trust -U postgres --no-sync -E UTF8 --locale=C") +
            " >" + quote(initdb_log) + " 2>&1") != 0)
      return "initdb failed: " + slurp(initdb_log);

    const auto server_log = dir_ / "server.log";
    for (int attempt = 0; attempt < 3 && !started_; ++attempt) {
      port_ = free_port();
      if (port_ == 0) return "no free TCP port on 127.0.0.1";
      const std::string options = "-k " + dir_.string() + " -p " + std::to_string(port_) +
                                  " -c listen_addresses=127.0.0.1 -c fsync=off"
                                  " -c synchronous_commit=off -c full_page_writes=off";
      started_ = run(as_postgres(quote(bin_ / "pg_ctl") + " -D " + quote(data_dir()) + " -l " +
                                 quote(server_log) + " -w -t 60 -o " + quote(options) + " start") +
                     " >" + quote(dir_ / "pg_ctl.log") + " 2>&1") == 0;
    }
    if (!started_) return "pg_ctl start failed: " + slurp(dir_ / "pg_ctl.log") + slurp(server_log);

    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (run(quote(bin_ / "pg_isready") + " -q -h 127.0.0.1 -p " + std::to_string(port_) +
               " -t 2") != 0) {
      if (std::chrono::steady_clock::now() > deadline)
        return "the server did not become ready: " + slurp(server_log);
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return {};
  }

  std::filesystem::path bin_;
  std::filesystem::path dir_;
  int port_ = 0;
  bool as_postgres_ = false;
  uid_t uid_ = 0;
  gid_t gid_ = 0;
  bool started_ = false;
};

}  // namespace suanli::testing

// Test use only: a throwaway, real Slurm cluster on loopback, from Debian
// bookworm's packages (slurm-wlm 22.05, munge), modelled on
// src/store/pg_test_server.h. docs/slurm.md ("A local test cluster") has the
// findings behind every setting.
//
// start() makes a temp dir holding everything (munge key and socket,
// slurm.conf, gres.conf, state, spool, pid and log files), starts munged
// (its own socket), slurmctld and one `slurmd -N <name>` per node, all in the
// foreground as children of the test process, and waits until every node is
// registered and idle. The destructor cancels every job, stops the daemons
// (scontrol shutdown, then signals), kills whatever job process is left,
// reaps its children and removes the dir.
//
// What the caller gives, and what the harness adds:
// - `nodes_conf(base_port)`: the slurm.conf fragment (GresTypes=...,
//   NodeName=... and PartitionName=... lines). The fragment carries the
//   node addresses itself: node i of `node_names` must say
//   `NodeHostname=127.0.0.1 Port=<base_port + i>` (what the generator's
//   `--single-host BASE_PORT` writes). The harness picks a base port with
//   node_names.size() free consecutive ports (retrying with another base
//   if a daemon cannot bind) and prepends the cluster-wide settings
//   (header() below).
// - `gres_conf`: gres.conf, one line per node and type, each with
//   NodeName=. Debian's gres/gpu plugin drops a GPU without File= ("Removing
//   file-less GPU ... from final GRES list", even with Flags=CountOnly), so
//   the node registers with fewer GPUs than configured and goes INVALID. The
//   harness therefore rewrites every `Name=gpu` line that has `Count=N` and
//   no File=/Files= into `File=<dir>/dev/<node>-<type>-gpu[0-N-1]` and makes
//   those N files symlinks to /dev/null (a character device: no "not a valid
//   character or block device" error). Lines with File= are kept as written.
// - client commands: run() spawns sbatch/squeue/scontrol/... with env()
//   (SLURM_CONF=<dir>/slurm.conf; munge's socket comes from slurm.conf's
//   AuthInfo=socket=..., so nothing else is needed) in the cluster dir.
//
// `skip` only when the binaries are not installed (`make deps` installs
// slurm-wlm and munge); any other failure is an error with the daemon logs.
#pragma once

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <map>
#include <memory>
#include <random>
#include <sstream>
#include <string>
#include <system_error>
#include <thread>
#include <utility>
#include <vector>

extern char** environ;

namespace suanli::testing {

class SlurmCluster {
 public:
  struct Spec {
    // The slurm.conf fragment for a base port (see the header comment).
    std::function<std::string(int base_port)> nodes_conf;
    std::string gres_conf;
    // One slurmd each; node i listens on base_port + i.
    std::vector<std::string> node_names;
    std::chrono::milliseconds ready_timeout{30000};
  };

  // Either a running cluster, or why there is none: `skip` when the Slurm
  // or munge binaries are missing, else an error with the logs' tails.
  struct Started {
    std::unique_ptr<SlurmCluster> cluster;
    bool skip = false;
    std::string message;
  };

  struct Result {
    int code = -1;  // exit status; -1 when it could not run or was signalled
    std::string out;
    std::string err;
  };

  static Started start(const Spec& spec) {
    Started out;
    for (const char* tool :
         {"munged", "slurmctld", "slurmd", "sbatch", "squeue", "sinfo", "scontrol", "scancel"}) {
      if (find_program(tool).empty()) {
        out.skip = true;
        out.message = std::string(tool) +
                      " not found: the Slurm tests need Debian's slurm-wlm and munge "
                      "(`make deps` installs them)";
        return out;
      }
    }
    if (spec.node_names.empty()) {
      out.message = "SlurmCluster: no node names";
      return out;
    }
    std::string last_error;
    for (int attempt = 0; attempt < 3; ++attempt) {
      std::unique_ptr<SlurmCluster> c(new SlurmCluster());
      const std::string error = c->init(spec);
      if (error.empty()) {
        out.cluster = std::move(c);
        return out;
      }
      last_error = error;
      if (!c->port_conflict_) break;  // only a port taken meanwhile is worth a retry
    }
    out.message = last_error;
    return out;
  }

  ~SlurmCluster() { stop(); }
  SlurmCluster(const SlurmCluster&) = delete;
  SlurmCluster& operator=(const SlurmCluster&) = delete;

  const std::filesystem::path& dir() const { return dir_; }
  std::filesystem::path conf_path() const { return dir_ / "etc" / "slurm.conf"; }
  std::filesystem::path gres_conf_path() const { return dir_ / "etc" / "gres.conf"; }
  std::filesystem::path log_dir() const { return dir_ / "log"; }
  // The job completion log (JobCompType=jobcomp/filetxt): one line per
  // finished job, the stand-in for sacct (there is no slurmdbd).
  std::filesystem::path jobcomp_path() const { return log_dir() / "jobcomp.txt"; }
  int base_port() const { return base_port_; }
  int slurmctld_port() const { return ctld_port_; }
  // The slurm.conf lines the harness wrote above the caller's fragment.
  const std::string& header() const { return header_; }

  // What a client command needs in its environment (added to the test's own).
  std::vector<std::pair<std::string, std::string>> env() const {
    return {{"SLURM_CONF", conf_path().string()}};
  }

  // Runs a client command (argv[0] found on the PATH) with env(), in dir().
  Result run(const std::vector<std::string>& argv) const {
    return spawn_and_wait(argv, dir_ / "cmd", child_env(), dir_);
  }
  Result scontrol(const std::vector<std::string>& args) const {
    return run(with("scontrol", args));
  }
  Result sbatch(const std::vector<std::string>& args) const { return run(with("sbatch", args)); }

  // The last `lines` lines of every daemon log, for failure messages.
  std::string logs_tail(int lines = 30) const {
    std::string s;
    std::error_code ec;
    std::vector<std::filesystem::path> logs;
    for (const auto& e : std::filesystem::directory_iterator(log_dir(), ec))
      if (e.path().extension() == ".log") logs.push_back(e.path());
    std::sort(logs.begin(), logs.end());
    for (const auto& p : logs) s += "--- " + p.filename().string() + "\n" + tail(slurp(p), lines);
    return s;
  }

  // Waits until `node` reports one of `states` in `sinfo -N -o %T` (e.g.
  // "idle", "drained", "down*"): true when it did in time.
  bool wait_node_state(const std::string& node, const std::vector<std::string>& states,
                       std::chrono::milliseconds timeout) const {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      const auto all = node_states();
      const auto it = all.find(node);
      if (it != all.end())
        for (const auto& s : states)
          if (it->second == s) return true;
      if (std::chrono::steady_clock::now() > deadline) return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  }

  // node name -> its state as `sinfo -N -o %T` prints it ("idle", "mixed",
  // "allocated", "drained", "draining", "down", with "*" when not responding).
  std::map<std::string, std::string> node_states() const {
    std::map<std::string, std::string> states;
    const Result r = run({"sinfo", "-h", "-N", "-o", "%N|%T"});
    if (r.code != 0) return states;
    std::istringstream lines(r.out);
    for (std::string line; std::getline(lines, line);) {
      const auto bar = line.find('|');
      if (bar != std::string::npos) states[line.substr(0, bar)] = line.substr(bar + 1);
    }
    return states;
  }

 private:
  SlurmCluster() = default;

  struct Daemon {
    std::string name;
    pid_t pid = -1;
  };

  static std::vector<std::string> with(const char* tool, const std::vector<std::string>& args) {
    std::vector<std::string> v{tool};
    v.insert(v.end(), args.begin(), args.end());
    return v;
  }

  static std::string find_program(const std::string& name) {
    const char* path = std::getenv("PATH");
    std::string dirs = path ? path : "";
    dirs += ":/usr/sbin:/usr/bin:/sbin:/bin";
    std::istringstream in(dirs);
    for (std::string d; std::getline(in, d, ':');) {
      if (d.empty()) continue;
      const auto p = std::filesystem::path(d) / name;
      if (::access(p.c_str(), X_OK) == 0) return p.string();
    }
    return {};
  }

  static std::string slurp(const std::filesystem::path& p) {
    std::ifstream f(p);
    std::stringstream s;
    s << f.rdbuf();
    return s.str();
  }

  static std::string tail(const std::string& text, int lines) {
    std::size_t pos = text.size();
    for (int n = 0; n <= lines && pos > 0; ++n) {
      const auto nl = text.rfind('\n', pos - 1);
      if (nl == std::string::npos) return text;
      pos = nl;
    }
    return text.substr(pos == 0 ? 0 : pos + 1);
  }

  static bool port_free(int port) {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) return false;
    const int one = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_ANY);
    addr.sin_port = htons(static_cast<uint16_t>(port));
    const bool ok = ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
    ::close(fd);
    return ok;
  }

  // `count` consecutive free ports below the kernel's ephemeral range.
  static int free_port_block(int count) {
    std::random_device rd;
    std::mt19937 rng(rd());
    std::uniform_int_distribution<int> pick(20000, 30000 - count);
    for (int attempt = 0; attempt < 200; ++attempt) {
      const int base = pick(rng);
      bool ok = true;
      for (int i = 0; i < count && ok; ++i) ok = port_free(base + i);
      if (ok) return base;
    }
    return 0;
  }

  // The test's environment without SLURM_* (a test run inside a Slurm job
  // must not leak its job into ours), plus env().
  std::vector<std::string> child_env() const {
    std::vector<std::string> v;
    for (char** e = environ; e && *e; ++e)
      if (std::strncmp(*e, "SLURM_", 6) != 0) v.emplace_back(*e);
    for (const auto& [k, val] : env()) v.push_back(k + "=" + val);
    return v;
  }

  // posix_spawnp with stdout/stderr to files and cwd `cwd`; -1 on failure.
  static pid_t spawn(const std::vector<std::string>& argv, const std::vector<std::string>& envv,
                     const std::filesystem::path& out_path, const std::filesystem::path& err_path,
                     const std::filesystem::path& cwd, std::string* error) {
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    std::vector<char*> envs;
    for (const auto& e : envv) envs.push_back(const_cast<char*>(e.c_str()));
    envs.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&actions, 1, out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                     0644);
    posix_spawn_file_actions_addopen(&actions, 2, err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                     0644);
    posix_spawn_file_actions_addchdir_np(&actions, cwd.c_str());
    // Default signal dispositions and an empty mask (the test runner's
    // blocked signals must not stop the daemons from being stopped).
    posix_spawnattr_t attr;
    posix_spawnattr_init(&attr);
    sigset_t all;
    sigset_t none;
    sigfillset(&all);
    sigemptyset(&none);
    posix_spawnattr_setsigdefault(&attr, &all);
    posix_spawnattr_setsigmask(&attr, &none);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);
    pid_t pid = -1;
    const int rc = ::posix_spawnp(&pid, args[0], &actions, &attr, args.data(), envs.data());
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attr);
    if (rc != 0) {
      if (error) *error = "cannot run " + argv[0] + ": " + std::strerror(rc);
      return -1;
    }
    return pid;
  }

  static Result spawn_and_wait(const std::vector<std::string>& argv,
                               const std::filesystem::path& scratch,
                               const std::vector<std::string>& envv,
                               const std::filesystem::path& cwd) {
    static std::atomic<int> counter{0};
    const std::string stem = std::to_string(::getpid()) + "-" + std::to_string(counter++);
    const auto out_path = scratch / (stem + ".out");
    const auto err_path = scratch / (stem + ".err");
    Result r;
    std::string error;
    const pid_t pid = spawn(argv, envv, out_path, err_path, cwd, &error);
    if (pid < 0) {
      r.err = error;
      return r;
    }
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    r.out = slurp(out_path);
    r.err = slurp(err_path);
    std::error_code ec;
    std::filesystem::remove(out_path, ec);
    std::filesystem::remove(err_path, ec);
    return r;
  }

  bool start_daemon(const std::string& name, const std::vector<std::string>& argv,
                    std::string* error) {
    const pid_t pid = spawn(argv, child_env(), log_dir() / (name + ".stdout"),
                            log_dir() / (name + ".stderr"), dir_, error);
    if (pid < 0) return false;
    daemons_.push_back({name, pid});
    return true;
  }

  // The first daemon that has exited, with its status; "" when all run.
  std::string exited_daemon() {
    for (auto& d : daemons_) {
      if (d.pid < 0) continue;
      int status = 0;
      if (::waitpid(d.pid, &status, WNOHANG) == d.pid) {
        d.pid = -1;
        return d.name + " exited (" +
               (WIFEXITED(status) ? "status " + std::to_string(WEXITSTATUS(status))
                                  : "signal " + std::to_string(WTERMSIG(status))) +
               ")";
      }
    }
    return {};
  }

  std::string failure(const std::string& what) const {
    std::string s = what + "\n" + logs_tail();
    std::error_code ec;
    for (const auto& e : std::filesystem::directory_iterator(log_dir(), ec))
      if (e.path().extension() == ".stderr" && std::filesystem::file_size(e.path(), ec) > 0)
        s += "--- " + e.path().filename().string() + "\n" + tail(slurp(e.path()), 10);
    return s;
  }

  static std::string field(const std::string& line, const std::string& key) {
    std::istringstream in(line);
    for (std::string tok; in >> tok;)
      if (tok.size() > key.size() && tok.compare(0, key.size() + 1, key + "=") == 0)
        return tok.substr(key.size() + 1);
    return {};
  }

  // gres.conf with count-only GPU lines given fake device files (see top).
  std::string rewrite_gres(const std::string& gres, std::string* error) const {
    std::string out;
    std::istringstream lines(gres);
    int line_no = 0;
    for (std::string line; std::getline(lines, line);) {
      ++line_no;
      const std::string name = field(line, "Name");
      const std::string count = field(line, "Count");
      if (name != "gpu" || count.empty() || !field(line, "File").empty() ||
          !field(line, "Files").empty()) {
        out += line + "\n";
        continue;
      }
      const std::string node = field(line, "NodeName");
      const int n = std::atoi(count.c_str());
      if (node.empty() || n <= 0 || node.find_first_of("[],") != std::string::npos) {
        *error = "gres.conf line " + std::to_string(line_no) +
                 ": a count-only gpu line needs one NodeName= and Count>0: " + line;
        return {};
      }
      const std::string type = field(line, "Type");
      const std::string stem = node + "-" + (type.empty() ? "any" : type) + "-gpu";
      for (int i = 0; i < n; ++i) {
        std::error_code ec;
        std::filesystem::create_symlink("/dev/null", dir_ / "dev" / (stem + std::to_string(i)), ec);
        if (ec) {
          *error = "cannot make fake GPU device: " + ec.message();
          return {};
        }
      }
      std::string rewritten;
      std::istringstream toks(line);
      for (std::string tok; toks >> tok;) {
        if (tok.rfind("Count=", 0) == 0)
          tok = "File=" + (dir_ / "dev" / stem).string() +
                (n == 1 ? "0" : "[0-" + std::to_string(n - 1) + "]");
        rewritten += (rewritten.empty() ? "" : " ") + tok;
      }
      out += rewritten + "\n";
    }
    return out;
  }

  std::string make_header() const {
    const std::string d = dir_.string();
    std::ostringstream h;
    h << "# Written by tests/slurm_cluster.h: a throwaway cluster on loopback.\n"
      << "ClusterName=suanli-test\n"
      << "SlurmctldHost=localhost\n"
      << "SlurmctldPort=" << ctld_port_ << "\n"
      << "AuthType=auth/munge\n"
      << "CredType=cred/munge\n"
      << "AuthInfo=socket=" << d << "/munge/munge.socket,cred_expire=10\n"
      << "SlurmUser=root\n"
      << "SlurmdUser=root\n"
      << "StateSaveLocation=" << d << "/state\n"
      << "SlurmdSpoolDir=" << d << "/spool/%n\n"
      << "SlurmctldPidFile=" << d << "/run/slurmctld.pid\n"
      << "SlurmdPidFile=" << d << "/run/slurmd-%n.pid\n"
      << "SlurmctldLogFile=" << d << "/log/slurmctld.log\n"
      << "SlurmdLogFile=" << d << "/log/slurmd-%n.log\n"
      << "SlurmctldDebug=info\n"
      << "SlurmdDebug=info\n"
      << "ProctrackType=proctrack/linuxproc\n"
      << "TaskPlugin=task/none\n"
      << "JobAcctGatherType=jobacct_gather/none\n"
      << "AccountingStorageType=accounting_storage/none\n"
      << "JobCompType=jobcomp/filetxt\n"
      << "JobCompLoc=" << d << "/log/jobcomp.txt\n"
      << "MpiDefault=none\n"
      << "MailProg=/bin/true\n"
      << "SwitchType=switch/none\n"
      << "PropagateResourceLimits=NONE\n"
      << "SelectType=select/cons_tres\n"
      << "SelectTypeParameters=CR_Core\n"
      << "SlurmdParameters=config_overrides\n"
      << "SchedulerType=sched/backfill\n"
      << "SchedulerParameters=bf_interval=1,sched_min_interval=100000\n"
      << "MinJobAge=3600\n"
      << "ReturnToService=1\n"
      << "SlurmctldTimeout=10\n"
      << "SlurmdTimeout=10\n"
      << "InactiveLimit=0\n"
      << "KillWait=2\n"
      << "WaitTime=0\n"
      << "# The nodes, GRES and partitions (the caller's fragment):\n";
    return h.str();
  }

  std::string init(const Spec& spec) {
    std::string templ = (std::filesystem::temp_directory_path() / "suanli-slurm-XXXXXX").string();
    std::vector<char> buffer(templ.begin(), templ.end());
    buffer.push_back('\0');
    if (!::mkdtemp(buffer.data())) return "mkdtemp failed";
    dir_ = buffer.data();
    ::chmod(dir_.c_str(), 0755);  // munged wants its socket's dirs searchable by all
    std::error_code ec;
    for (const char* sub : {"etc", "munge", "state", "spool", "run", "log", "dev", "cmd"})
      std::filesystem::create_directories(dir_ / sub, ec);
    for (const auto& n : spec.node_names)
      std::filesystem::create_directories(dir_ / "spool" / n, ec);
    ::chmod((dir_ / "munge").c_str(), 0755);
    if (ec) return "cannot make the cluster dirs in " + dir_.string() + ": " + ec.message();

    // Ports: slurmctld, then one per node from base_port_.
    const int count = static_cast<int>(spec.node_names.size());
    base_port_ = free_port_block(count + 1);
    if (base_port_ == 0) return "no block of free TCP ports";
    ctld_port_ = base_port_ + count;

    // munge: a fresh key, our own socket.
    {
      std::ifstream urandom("/dev/urandom", std::ios::binary);
      std::string key(1024, '\0');
      urandom.read(key.data(), static_cast<std::streamsize>(key.size()));
      const auto key_path = dir_ / "munge" / "munge.key";
      std::ofstream(key_path, std::ios::binary) << key;
      ::chmod(key_path.c_str(), 0600);
    }
    header_ = make_header();
    std::string error;
    const std::string gres = rewrite_gres(spec.gres_conf, &error);
    if (!error.empty()) return error;
    std::ofstream(conf_path()) << header_ << spec.nodes_conf(base_port_);
    std::ofstream(gres_conf_path()) << gres;

    const std::string m = (dir_ / "munge").string();
    if (!start_daemon("munged",
                      {find_program("munged"), "-F", "--force", "--socket=" + m + "/munge.socket",
                       "--key-file=" + m + "/munge.key", "--pid-file=" + m + "/munged.pid",
                       "--log-file=" + (log_dir() / "munged.log").string(),
                       "--seed-file=" + m + "/munged.seed", "--num-threads=2"},
                      &error))
      return error;
    // munged must answer before slurmctld starts (it checks at init).
    const auto munge_deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (!std::filesystem::exists(dir_ / "munge" / "munge.socket")) {
      if (const std::string e = exited_daemon(); !e.empty()) return failure(e);
      if (std::chrono::steady_clock::now() > munge_deadline)
        return failure("munged did not create its socket");
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    // -i: ignore any state (there is none: a fresh StateSaveLocation).
    if (!start_daemon("slurmctld", {find_program("slurmctld"), "-D", "-i"}, &error)) return error;
    for (const auto& n : spec.node_names)
      if (!start_daemon("slurmd-" + n, {find_program("slurmd"), "-D", "-N", n}, &error))
        return error;
    return wait_ready(spec);
  }

  static bool port_open(int port) {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) return false;
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(static_cast<uint16_t>(port));
    const bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
    ::close(fd);
    return ok;
  }

  std::string wait_ready(const Spec& spec) {
    const auto deadline = std::chrono::steady_clock::now() + spec.ready_timeout;
    // slurmctld listening first: a client command before that retries for
    // seconds, and would hide a daemon that died meanwhile.
    while (!port_open(ctld_port_)) {
      if (const std::string e = exited_daemon(); !e.empty()) {
        if (logs_tail().find("Address already in use") != std::string::npos) port_conflict_ = true;
        return failure(e);
      }
      if (std::chrono::steady_clock::now() > deadline)
        return failure("slurmctld did not listen on port " + std::to_string(ctld_port_));
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    std::map<std::string, std::string> states;
    for (;;) {
      if (const std::string e = exited_daemon(); !e.empty()) {
        const std::string logs = logs_tail();
        if (logs.find("Address already in use") != std::string::npos) port_conflict_ = true;
        return failure(e);
      }
      states = node_states();
      bool ready = true;
      for (const auto& n : spec.node_names)
        if (states[n] != "idle") ready = false;
      if (ready) return {};
      if (std::chrono::steady_clock::now() > deadline) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    std::string seen;
    for (const auto& n : spec.node_names)
      seen += " " + n + "=" + (states[n].empty() ? "(absent)" : states[n]);
    const Result reasons = run({"sinfo", "-N", "-o", "%N %T %E"});
    return failure("the Slurm nodes did not all become idle within " +
                   std::to_string(spec.ready_timeout.count()) + " ms:" + seen + "\n" + reasons.out +
                   reasons.err);
  }

  // Our jobs' processes and any slurmstepd left behind (they would outlive
  // the daemons): a slurmstepd, or a process with SLURM_JOB_ID, whose
  // environment names our slurm.conf. (Not just any process with our
  // SLURM_CONF: a shell a developer exported it in must survive.)
  std::vector<pid_t> our_processes() const {
    std::vector<pid_t> pids;
    const std::string needle = "SLURM_CONF=" + conf_path().string();
    const auto has = [](const std::string& env, const std::string& entry, bool prefix) {
      std::size_t pos = 0;
      while ((pos = env.find(entry, pos)) != std::string::npos) {
        const std::size_t end = pos + entry.size();
        if ((pos == 0 || env[pos - 1] == '\0') && (prefix || end == env.size() || env[end] == '\0'))
          return true;
        pos = end;
      }
      return false;
    };
    std::error_code ec;
    for (const auto& e : std::filesystem::directory_iterator("/proc", ec)) {
      const std::string name = e.path().filename().string();
      if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos) continue;
      const pid_t pid = static_cast<pid_t>(std::atoi(name.c_str()));
      if (pid == ::getpid()) continue;
      std::ifstream f(e.path() / "environ", std::ios::binary);
      const std::string env((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
      if (!has(env, needle, false)) continue;
      std::string comm = slurp(e.path() / "comm");
      while (!comm.empty() && comm.back() == '\n') comm.pop_back();
      if (comm == "slurmstepd" || has(env, "SLURM_JOB_ID=", true)) pids.push_back(pid);
    }
    return pids;
  }

  bool wait_exit(pid_t pid, std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      int status = 0;
      const pid_t r = ::waitpid(pid, &status, WNOHANG);
      if (r == pid || (r < 0 && errno == ECHILD)) return true;
      if (std::chrono::steady_clock::now() > deadline) return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }

  void stop() {
    if (dir_.empty()) return;
    bool ctld_running = false;
    for (const auto& d : daemons_)
      if (d.name == "slurmctld" && d.pid > 0) ctld_running = true;
    if (ctld_running) {
      run({"scancel", "--quiet", "--user=root"});
      // Give the jobs' steps a moment to end before the daemons go.
      const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(3);
      while (std::chrono::steady_clock::now() < deadline) {
        const Result r = run({"squeue", "-h", "-t", "RUNNING,COMPLETING,CONFIGURING", "-o", "%i"});
        if (r.code != 0 || r.out.empty()) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
      }
      run({"scontrol", "shutdown"});
    }
    // slurmd and slurmctld first, munged last (they talk to it to the end).
    for (int pass = 0; pass < 2; ++pass) {
      for (auto& d : daemons_) {
        if (d.pid <= 0 || (d.name == "munged") != (pass == 1)) continue;
        if (!wait_exit(d.pid, std::chrono::milliseconds(pass == 0 && ctld_running ? 5000 : 0))) {
          ::kill(d.pid, SIGTERM);
          if (!wait_exit(d.pid, std::chrono::milliseconds(3000))) {
            ::kill(d.pid, SIGKILL);
            wait_exit(d.pid, std::chrono::milliseconds(3000));
          }
        }
        d.pid = -1;
      }
      if (pass == 0)
        for (const pid_t pid : our_processes()) ::kill(pid, SIGKILL);
    }
    std::error_code ec;
    if (!std::getenv("SUANLI_KEEP_SLURM_DIR")) std::filesystem::remove_all(dir_, ec);
    dir_.clear();
  }

  std::filesystem::path dir_;
  std::string header_;
  int base_port_ = 0;
  int ctld_port_ = 0;
  bool port_conflict_ = false;
  std::vector<Daemon> daemons_;
};

}  // namespace suanli::testing

#include "slurm/command.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <pthread.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <map>

#include <fmt/format.h>

extern char** environ;

namespace suanli::slurm {

namespace {

// Owns a pipe's two ends until they are handed over or closed.
struct Pipe {
  int fd[2] = {-1, -1};
  ~Pipe() {
    for (int f : fd)
      if (f >= 0) ::close(f);
  }
  bool open() { return ::pipe2(fd, O_CLOEXEC) == 0; }
  void close_end(int i) {
    if (fd[i] >= 0) ::close(fd[i]);
    fd[i] = -1;
  }
};

std::vector<std::string> merged_environment(const EnvVars& extra) {
  std::map<std::string, std::string> vars;
  std::vector<std::string> order;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    std::string_view kv(*e);
    const auto eq = kv.find('=');
    if (eq == std::string_view::npos) continue;
    std::string name(kv.substr(0, eq));
    if (vars.emplace(name, std::string(kv.substr(eq + 1))).second) order.push_back(name);
  }
  for (const auto& [name, value] : extra) {
    if (vars.find(name) == vars.end()) order.push_back(name);
    vars[name] = value;
  }
  std::vector<std::string> out;
  out.reserve(order.size());
  for (const std::string& name : order) out.push_back(name + "=" + vars[name]);
  return out;
}

// The program to spawn: posix_spawnp searches the PATH of the *calling*
// process, so a PATH given in `env` is honoured by resolving it here.
std::string resolve_program(const std::string& name, const EnvVars& env) {
  std::string program = name;
  for (const auto& [var, value] : env) {
    if (var != "PATH" || program.find('/') != std::string::npos) continue;
    std::string_view path(value);
    while (!path.empty()) {
      const auto colon = path.find(':');
      std::string dir(path.substr(0, colon));
      std::string candidate = (dir.empty() ? "." : dir) + "/" + program;
      if (::access(candidate.c_str(), X_OK) == 0) {
        program = candidate;
        break;
      }
      if (colon == std::string_view::npos) break;
      path.remove_prefix(colon + 1);
    }
  }
  return program;
}

// Feeds the child its stdin and collects its stdout and stderr until both
// close or the deadline passes (then the child is killed and the result
// says it timed out).
void exchange(pid_t pid, const CommandOptions& options, Pipe& in, Pipe& out, Pipe& err,
              CommandResult& result) {
  std::string_view pending = options.stdin_text;
  if (pending.empty()) in.close_end(1);
  if (in.fd[1] >= 0) ::fcntl(in.fd[1], F_SETFL, O_NONBLOCK);
  const auto deadline = std::chrono::steady_clock::now() +
                        std::chrono::milliseconds(static_cast<long long>(options.timeout_s * 1000));
  char buffer[8192];
  while (out.fd[0] >= 0 || err.fd[0] >= 0) {
    pollfd fds[3];
    int n = 0;
    int out_i = -1, err_i = -1, in_i = -1;
    if (out.fd[0] >= 0) fds[out_i = n++] = pollfd{out.fd[0], POLLIN, 0};
    if (err.fd[0] >= 0) fds[err_i = n++] = pollfd{err.fd[0], POLLIN, 0};
    if (in.fd[1] >= 0) fds[in_i = n++] = pollfd{in.fd[1], POLLOUT, 0};
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                          deadline - std::chrono::steady_clock::now())
                          .count();
    if (left <= 0) {
      result.timed_out = true;
      ::kill(pid, SIGKILL);
      break;
    }
    const int ready =
        ::poll(fds, static_cast<nfds_t>(n), static_cast<int>(std::min<long long>(left, 1000)));
    if (ready < 0 && errno != EINTR) break;
    if (ready <= 0) continue;
    auto drain = [&](int i, Pipe& p, std::string& into) {
      if (i < 0 || (fds[i].revents & (POLLIN | POLLHUP | POLLERR)) == 0) return;
      const ssize_t got = ::read(p.fd[0], buffer, sizeof buffer);
      if (got > 0)
        into.append(buffer, static_cast<std::size_t>(got));
      else if (got == 0 || errno != EINTR)
        p.close_end(0);
    };
    drain(out_i, out, result.out);
    drain(err_i, err, result.err);
    if (in_i >= 0 && (fds[in_i].revents & (POLLOUT | POLLERR | POLLHUP)) != 0) {
      const ssize_t put = ::write(in.fd[1], pending.data(), pending.size());
      if (put > 0) pending.remove_prefix(static_cast<std::size_t>(put));
      if ((put < 0 && errno != EAGAIN && errno != EINTR) || pending.empty()) in.close_end(1);
    }
  }
}

}  // namespace

std::string command_line(const std::vector<std::string>& argv) {
  std::string out;
  for (const std::string& a : argv) {
    if (!out.empty()) out += ' ';
    const bool plain = !a.empty() && a.find_first_of(" \t\n'\"\\$`*?;&|<>()") == std::string::npos;
    if (plain) {
      out += a;
    } else {
      out += '\'';
      for (char c : a) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
      out += '\'';
    }
  }
  return out;
}

Result<CommandResult> run_command(const std::vector<std::string>& argv,
                                  const CommandOptions& options) {
  if (argv.empty() || argv.front().empty())
    return fail(ErrorCode::kInvalidArgument, "run_command: no program given");
  Pipe in, out, err;
  if (!in.open() || !out.open() || !err.open())
    return fail(ErrorCode::kIo, fmt::format("cannot create pipes: {}", std::strerror(errno)));

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, in.fd[0], 0);
  posix_spawn_file_actions_adddup2(&actions, out.fd[1], 1);
  posix_spawn_file_actions_adddup2(&actions, err.fd[1], 2);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  // The child starts with default signal dispositions and an empty mask
  // (the service blocks SIGTERM in its threads for sigtimedwait).
  sigset_t none, all;
  sigemptyset(&none);
  sigfillset(&all);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setsigdefault(&attr, &all);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);

  std::vector<std::string> env_strings = merged_environment(options.env);
  std::vector<char*> envp;
  for (std::string& s : env_strings) envp.push_back(s.data());
  envp.push_back(nullptr);
  std::vector<std::string> args = argv;
  std::vector<char*> argp;
  for (std::string& s : args) argp.push_back(s.data());
  argp.push_back(nullptr);

  const std::string program = resolve_program(argv.front(), options.env);

  // A program that exits before reading its stdin must not kill us with
  // SIGPIPE: block it in this thread and clear a pending one afterwards.
  sigset_t pipe_set, old_mask;
  sigemptyset(&pipe_set);
  sigaddset(&pipe_set, SIGPIPE);
  pthread_sigmask(SIG_BLOCK, &pipe_set, &old_mask);
  struct RestoreMask {
    sigset_t set, old;
    ~RestoreMask() {
      timespec zero{0, 0};
      while (sigtimedwait(&set, nullptr, &zero) > 0) {
      }
      pthread_sigmask(SIG_SETMASK, &old, nullptr);
    }
  } restore{pipe_set, old_mask};

  pid_t pid = -1;
  const int rc = posix_spawnp(&pid, program.c_str(), &actions, &attr, argp.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  if (rc != 0) {
    if (rc == ENOENT)
      return fail(ErrorCode::kNotFound,
                  fmt::format("{}: not found (is it installed and on PATH?)", argv.front()));
    return fail(ErrorCode::kIo,
                fmt::format("cannot start {}: {}", argv.front(), std::strerror(rc)));
  }
  in.close_end(0);
  out.close_end(1);
  err.close_end(1);

  CommandResult result;
  exchange(pid, options, in, out, err, result);
  in.close_end(1);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (WIFEXITED(status))
    result.exit_code = WEXITSTATUS(status);
  else if (WIFSIGNALED(status))
    result.exit_code = 128 + WTERMSIG(status);
  return result;
}

}  // namespace suanli::slurm

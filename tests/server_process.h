// The real `suanli serve` as a child process on a loopback port, for tests
// that kill it (SIGKILL) and start it again on the same data directory.
#pragma once

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <string>

namespace suanli::testing {

// Starts `suanli serve --listen 127.0.0.1:0 --data-dir DIR` and reads its
// port from stdout; port() is 0 when it did not start (within 120 s).
// SIGKILL on destruction if still alive.
class ServerProcess {
 public:
  explicit ServerProcess(const std::filesystem::path& data_dir) {
    int out[2];
    if (pipe(out) != 0) return;
    pid_ = fork();
    if (pid_ == 0) {
      dup2(out[1], STDOUT_FILENO);
      const int devnull = open("/dev/null", O_WRONLY);
      if (devnull >= 0) dup2(devnull, STDERR_FILENO);
      close(out[0]);
      close(out[1]);
      const std::string dir = data_dir.string();
      execl(SUANLI_BINARY, SUANLI_BINARY, "serve", "--listen", "127.0.0.1:0", "--data-dir",
            dir.c_str(), "--no-examples", "--rate-limit", "0", static_cast<char*>(nullptr));
      _exit(127);
    }
    close(out[1]);
    std::string text;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
    while (std::chrono::steady_clock::now() < deadline && port_ == 0) {
      pollfd p{out[0], POLLIN, 0};
      if (poll(&p, 1, 200) <= 0) continue;
      char buf[512];
      const ssize_t n = read(out[0], buf, sizeof buf);
      if (n <= 0) break;
      text.append(buf, static_cast<std::size_t>(n));
      const auto at = text.find("http://127.0.0.1:");
      if (at != std::string::npos) {
        const auto end = text.find_first_not_of("0123456789", at + 17);
        if (end != std::string::npos) port_ = std::stoi(text.substr(at + 17, end - at - 17));
      }
    }
    close(out[0]);
  }
  ~ServerProcess() { kill_now(); }
  ServerProcess(const ServerProcess&) = delete;
  ServerProcess& operator=(const ServerProcess&) = delete;

  int port() const { return port_; }
  pid_t pid() const { return pid_; }
  void kill_now() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      int status = 0;
      waitpid(pid_, &status, 0);
      pid_ = -1;
    }
  }
  // SIGTERM and wait; returns the exit status (or -1).
  int terminate() {
    if (pid_ <= 0) return -1;
    ::kill(pid_, SIGTERM);
    int status = 0;
    waitpid(pid_, &status, 0);
    pid_ = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }

 private:
  pid_t pid_ = -1;
  int port_ = 0;
};

}  // namespace suanli::testing

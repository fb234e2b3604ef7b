#include "service/http_gate.h"

#include <arpa/inet.h>
#include <fmt/format.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <mutex>
#include <optional>
#include <thread>
#include <tuple>
#include <unordered_map>

#include "service/api.h"

namespace suanli::service {

namespace {

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    const auto x = static_cast<unsigned char>(a[i]), y = static_cast<unsigned char>(b[i]);
    if (std::tolower(x) != std::tolower(y)) return false;
  }
  return true;
}

std::string_view trim_ows(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// RFC 9110 token characters (header names).
bool is_tchar(char c) {
  if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) return true;
  return std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

// Control bytes other than HTAB (NUL, bare CR, DEL...) never belong in a
// request line or a header line.
bool has_control_byte(std::string_view s) {
  for (char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if ((c < 0x20 && c != '\t') || c == 0x7f) return true;
  }
  return false;
}

const char* reason_phrase(int status) {
  switch (status) {
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 408: return "Request Timeout";
    case 411: return "Length Required";
    case 413: return "Payload Too Large";
    case 415: return "Unsupported Media Type";
    case 417: return "Expectation Failed";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 503: return "Service Unavailable";
    default: return "Error";
  }
}

}  // namespace

bool is_canonical_bearer(std::string_view value) {
  constexpr std::string_view kPrefix = "Bearer ";
  if (value.size() != kPrefix.size() + 64 || !value.starts_with(kPrefix)) return false;
  for (char c : value.substr(kPrefix.size()))
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return true;
}

std::string gate_error_response(const GateRefusal& refusal) {
  const std::string body = error_response(refusal.status, refusal.code, refusal.message)
                               .body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return fmt::format(
      "HTTP/1.1 {} {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n"
      "Connection: close\r\nX-Content-Type-Options: nosniff\r\nCache-Control: no-store\r\n{}"
      "\r\n{}",
      refusal.status, reason_phrase(refusal.status), body.size(),
      refusal.status == 503 ? "Retry-After: 1\r\n" : "", body);
}

// ---- RequestScanner ----------------------------------------------------------

void RequestScanner::reset() {
  next_line_ = 0;
  lines_ = 0;
  headers_done_ = has_length_ = has_authorization_ = false;
  frame_ = RequestFrame{};
  refusal_ = GateRefusal{};
  state_ = State::kNeedMore;
}

RequestScanner::State RequestScanner::refuse(int status, std::string code, std::string message) {
  refusal_ = GateRefusal{status, std::move(code), std::move(message)};
  return state_ = State::kRefused;
}

RequestScanner::State RequestScanner::scan(std::string_view buffered) {
  if (state_ != State::kNeedMore) return state_;
  const GateOptions& o = *options_;
  while (!headers_done_) {
    const std::size_t nl = buffered.find('\n', next_line_);
    const std::size_t end = nl == std::string_view::npos ? buffered.size() : nl + 1;
    if (end > o.max_header_bytes)
      return refuse(431, "header_too_large",
                    fmt::format("the request line and headers exceed {} bytes", o.max_header_bytes));
    if (nl == std::string_view::npos) return State::kNeedMore;
    const std::size_t begin = next_line_;
    next_line_ = end;
    const std::string_view line = buffered.substr(begin, end - begin);
    if (line.size() < 2 || line[line.size() - 2] != '\r')
      return refuse(400, "bad_request", "every request and header line must end with CRLF");
    const std::string_view content = line.substr(0, line.size() - 2);
    if (begin == 0) {
      if (content.empty() || has_control_byte(content))
        return refuse(400, "bad_request", "malformed request line");
      continue;
    }
    if (content.empty()) {
      headers_done_ = true;
      frame_.header_bytes = end;
      break;
    }
    if (++lines_ > o.max_header_lines)
      return refuse(431, "too_many_headers",
                    fmt::format("more than {} header lines", o.max_header_lines));
    if (header_line(content, begin, end) != State::kNeedMore) return state_;
  }
  if (buffered.size() >= frame_.total()) return state_ = State::kComplete;
  return State::kNeedMore;
}

RequestScanner::State RequestScanner::header_line(std::string_view line, std::size_t begin,
                                                  std::size_t end) {
  if (line.front() == ' ' || line.front() == '\t')
    return refuse(400, "bad_request", "folded header lines are not accepted");
  const std::size_t colon = line.find(':');
  if (colon == std::string_view::npos || colon == 0)
    return refuse(400, "bad_request", "a header line has no name or no colon");
  const std::string_view name = line.substr(0, colon);
  for (char c : name)
    if (!is_tchar(c)) return refuse(400, "bad_request", "a header name holds an invalid character");
  const std::string_view value = trim_ows(line.substr(colon + 1));
  // A credential is refused as one (401), whatever odd byte it holds.
  if (!iequals(name, "Authorization") && has_control_byte(value))
    return refuse(400, "bad_request", "a header value holds a control byte (NUL, CR...)");
  if (iequals(name, "Content-Length")) {
    std::uint64_t n = 0;
    auto [p, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
    if (value.empty() || ec != std::errc() || p != value.data() + value.size())
      return refuse(400, "bad_request", "Content-Length must be a decimal number");
    if (has_length_ && n != frame_.body_bytes)
      return refuse(400, "bad_request", "conflicting Content-Length headers");
    if (n > options_->max_body_bytes)
      return refuse(413, "payload_too_large",
                    fmt::format("request body larger than the server's limit ({} bytes)",
                                options_->max_body_bytes));
    has_length_ = true;
    frame_.body_bytes = static_cast<std::size_t>(n);
  } else if (iequals(name, "Transfer-Encoding")) {
    return refuse(411, "length_required",
                  "Transfer-Encoding is not accepted: send the body with a Content-Length");
  } else if (iequals(name, "Content-Encoding")) {
    if (!iequals(value, "identity"))
      return refuse(415, "unsupported_media_type", "compressed request bodies are not accepted");
  } else if (iequals(name, "Authorization")) {
    if (has_authorization_)
      return refuse(401, "unauthorized", "more than one Authorization header");
    has_authorization_ = true;
    if (!is_canonical_bearer(value))
      return refuse(401, "unauthorized",
                    "Authorization header must be 'Bearer <token>' with the token's 64 "
                    "lower-case hex digits, unencoded");
  } else if (iequals(name, "Expect")) {
    if (!iequals(value, "100-continue"))
      return refuse(417, "expectation_failed", "only 'Expect: 100-continue' is understood");
    frame_.expect_continue = true;
    frame_.strip.emplace_back(begin, end);
  }
  return State::kNeedMore;
}

// ---- Gate --------------------------------------------------------------------

namespace {

using Clock = std::chrono::steady_clock;

enum class Phase {
  kReading,   // in the waiting room: idle, or a request is arriving
  kBusy,      // a worker has it (the gate does not touch it)
  kWriting,   // the response is being flushed
  kDraining,  // closing: our side is shut, the client's bytes are discarded
};

struct Conn {
  explicit Conn(const GateOptions& o) : scanner(o) {}
  int fd = -1;
  std::string peer_ip, local_ip;
  int peer_port = 0, local_port = 0;
  Phase phase = Phase::kReading;
  std::uint32_t watched = 0;  // epoll events registered (0: not registered)
  std::string in;             // received, not yet answered
  std::string out;            // response bytes
  std::size_t out_sent = 0;
  RequestScanner scanner;
  Clock::time_point request_start;  // accept (first request) or the request's first byte
  Clock::time_point headers_end;    // when the header block was complete
  Clock::time_point idle_since;     // end of the last response
  Clock::time_point phase_start;    // writing or draining since
  std::size_t frame_len = 0;        // bytes of in[] that form the request a worker answers
  std::size_t drained = 0;
  int requests = 0;
  bool close_after = false;
  bool headers_seen = false;
  bool continue_sent = false;
  bool broken = false;  // a send failed
};

std::string errno_text(int e) { return std::strerror(e); }

// Sends what the kernel takes now; never blocks.
void send_some(Conn& c) {
  while (c.out_sent < c.out.size()) {
    const ssize_t n = ::send(c.fd, c.out.data() + c.out_sent, c.out.size() - c.out_sent,
                             MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n > 0) {
      c.out_sent += static_cast<std::size_t>(n);
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else {
      if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) c.broken = true;
      return;
    }
  }
}

std::pair<std::string, int> address_of(const sockaddr_storage& ss) {
  char text[INET6_ADDRSTRLEN] = {0};
  if (ss.ss_family == AF_INET) {
    const auto& a = reinterpret_cast<const sockaddr_in&>(ss);
    ::inet_ntop(AF_INET, &a.sin_addr, text, sizeof text);
    return {text, ntohs(a.sin_port)};
  }
  if (ss.ss_family == AF_INET6) {
    const auto& a = reinterpret_cast<const sockaddr_in6&>(ss);
    ::inet_ntop(AF_INET6, &a.sin6_addr, text, sizeof text);
    return {text, ntohs(a.sin6_port)};
  }
  return {"", 0};
}

constexpr auto kDrainTime = std::chrono::seconds(2);
constexpr std::size_t kDrainBytes = 1 << 20;
constexpr auto kSweepEvery = std::chrono::milliseconds(100);
constexpr int kMaxDraining = 256;

std::chrono::steady_clock::duration seconds(double s) {
  return std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(s));
}

}  // namespace

struct Gate::Impl {
  Impl(GateOptions o, ExchangeHandler h) : options(std::move(o)), handler(std::move(h)) {
    epoll_fd = ::epoll_create1(EPOLL_CLOEXEC);
    wake_fd = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  }
  ~Impl() {
    for (auto& [fd, c] : conns) ::close(fd);
    for (int fd : {listen_fd, epoll_fd, wake_fd})
      if (fd >= 0) ::close(fd);
  }

  GateOptions options;
  ExchangeHandler handler;
  int listen_fd = -1, epoll_fd = -1, wake_fd = -1, port = -1;
  std::atomic<bool> stopping{false};
  std::unordered_map<int, std::unique_ptr<Conn>> conns;
  std::unordered_map<std::string, int> per_client;
  int draining = 0;  // connections in Phase::kDraining (not counted against the limit)
  bool accept_paused = false;
  Clock::time_point accept_resume;
  // The worker pool: complete requests in, answered connections out.
  std::mutex mutex;
  std::condition_variable cv;
  std::deque<Conn*> jobs;
  std::vector<Conn*> done;
  bool workers_stop = false;
  std::vector<std::thread> workers;

  void wake() {
    const std::uint64_t one = 1;
    if (wake_fd >= 0) (void)!::write(wake_fd, &one, sizeof one);
  }
  void watch(Conn& c, std::uint32_t events) {
    if (c.watched == events) return;
    epoll_event ev{};
    ev.events = events;
    ev.data.fd = c.fd;
    ::epoll_ctl(epoll_fd, c.watched == 0 ? EPOLL_CTL_ADD : EPOLL_CTL_MOD, c.fd, &ev);
    c.watched = events;
  }
  void unwatch(Conn& c) {
    if (c.watched != 0) ::epoll_ctl(epoll_fd, EPOLL_CTL_DEL, c.fd, nullptr);
    c.watched = 0;
  }

  void close_conn(Conn& c) {
    if (c.phase == Phase::kDraining) --draining;
    unwatch(c);
    ::close(c.fd);
    if (auto it = per_client.find(c.peer_ip); it != per_client.end() && --it->second <= 0)
      per_client.erase(it);
    conns.erase(c.fd);  // destroys c
  }

  // ---- workers ----
  void worker_loop() {
    for (;;) {
      Conn* c = nullptr;
      {
        std::unique_lock lock(mutex);
        cv.wait(lock, [&] { return !jobs.empty() || workers_stop; });
        if (jobs.empty()) return;
        c = jobs.front();
        jobs.pop_front();
      }
      answer(*c);
      {
        std::lock_guard lock(mutex);
        done.push_back(c);
      }
      wake();
    }
  }

  void answer(Conn& c) {
    const bool last = options.max_requests_per_connection > 0 &&
                      c.requests + 1 >= options.max_requests_per_connection;
    Exchange ex{std::string_view(c.in).substr(0, c.frame_len), &c.out, c.peer_ip, c.peer_port,
                c.local_ip, c.local_port, last};
    bool keep = false;
    try {
      keep = handler(ex);
    } catch (...) {
      keep = false;
      c.out = gate_error_response({500, "internal", "internal error"});
    }
    ++c.requests;
    c.in.erase(0, c.frame_len);
    c.frame_len = 0;
    if (!keep || last) c.close_after = true;
    c.idle_since = Clock::now();  // answered: idle from here (before the client can know)
    send_some(c);
  }

  // ---- the waiting room ----
  void dispatch(Conn& c) {
    const RequestFrame& f = c.scanner.frame();
    std::size_t len = f.total();
    for (auto it = f.strip.rbegin(); it != f.strip.rend(); ++it) {
      c.in.erase(it->first, it->second - it->first);
      len -= it->second - it->first;
    }
    c.frame_len = len;
    c.phase = Phase::kBusy;
    unwatch(c);
    {
      std::lock_guard lock(mutex);
      jobs.push_back(&c);
    }
    cv.notify_one();
  }

  void refuse(Conn& c, const GateRefusal& r) {
    c.out = gate_error_response(r);
    c.out_sent = 0;
    c.close_after = true;
    start_write(c);
  }

  // After bytes arrived: dispatch, refuse, or wait. True when the
  // connection left the reading phase (the caller must not touch it).
  bool process_input(Conn& c) {
    switch (c.scanner.scan(c.in)) {
      case RequestScanner::State::kComplete:
        dispatch(c);
        return true;
      case RequestScanner::State::kRefused:
        refuse(c, c.scanner.refusal());
        return true;
      case RequestScanner::State::kNeedMore:
        break;
    }
    if (c.scanner.headers_done() && !c.headers_seen) {
      c.headers_seen = true;
      c.headers_end = Clock::now();
      if (c.scanner.frame().expect_continue && !c.continue_sent) {
        c.continue_sent = true;
        static constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
        (void)::send(c.fd, kContinue.data(), kContinue.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
      }
    }
    return false;
  }

  void read_request(Conn& c) {
    char buf[16384];
    for (;;) {
      const ssize_t n = ::recv(c.fd, buf, sizeof buf, 0);
      if (n > 0) {
        if (c.in.empty() && c.requests > 0) c.request_start = Clock::now();
        c.in.append(buf, static_cast<std::size_t>(n));
        if (process_input(c)) return;
      } else if (n < 0 && errno == EINTR) {
        continue;
      } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        return;
      } else {
        close_conn(c);  // the client closed (or reset) before a complete request
        return;
      }
    }
  }

  void drain(Conn& c) {
    char buf[16384];
    for (;;) {
      const ssize_t n = ::recv(c.fd, buf, sizeof buf, 0);
      if (n > 0) {
        c.drained += static_cast<std::size_t>(n);
        if (c.drained > kDrainBytes) return close_conn(c);
      } else if (n < 0 && errno == EINTR) {
        continue;
      } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        return;
      } else {
        return close_conn(c);
      }
    }
  }

  void start_write(Conn& c) {
    c.phase = Phase::kWriting;
    c.phase_start = Clock::now();
    send_some(c);
    if (c.broken) return close_conn(c);
    if (c.out_sent < c.out.size()) return watch(c, EPOLLOUT);
    after_write(c);
  }

  // The response is out: close, or wait for the next request.
  void after_write(Conn& c) {
    c.out.clear();
    c.out_sent = 0;
    if (c.close_after || stopping) {
      // Shut our side, then read until the client closes: closing with
      // unread bytes would reset the connection and lose the response.
      ::shutdown(c.fd, SHUT_WR);
      c.phase = Phase::kDraining;
      ++draining;
      c.phase_start = Clock::now();
      c.in.clear();
      watch(c, EPOLLIN);
      return;
    }
    c.phase = Phase::kReading;
    c.scanner.reset();
    c.headers_seen = c.continue_sent = false;
    c.request_start = Clock::now();
    watch(c, EPOLLIN);
    if (!c.in.empty()) (void)process_input(c);  // a pipelined request
  }

  void on_event(int fd, std::uint32_t events) {
    auto it = conns.find(fd);
    if (it == conns.end()) return;
    Conn& c = *it->second;
    switch (c.phase) {
      case Phase::kReading:
        return read_request(c);
      case Phase::kDraining:
        return drain(c);
      case Phase::kWriting:
        send_some(c);
        if (c.broken || (events & (EPOLLERR | EPOLLHUP))) return close_conn(c);
        if (c.out_sent == c.out.size()) {
          c.idle_since = Clock::now();
          after_write(c);
        }
        return;
      case Phase::kBusy:
        return;
    }
  }

  void collect_answered() {
    std::uint64_t count = 0;
    (void)!::read(wake_fd, &count, sizeof count);
    std::vector<Conn*> answered;
    {
      std::lock_guard lock(mutex);
      answered.swap(done);
    }
    for (Conn* c : answered) {
      if (c->broken) {
        close_conn(*c);
        continue;
      }
      c->phase = Phase::kWriting;
      c->phase_start = Clock::now();
      if (c->out_sent < c->out.size()) {
        watch(*c, EPOLLOUT);
      } else {
        after_write(*c);
      }
    }
  }

  void reject(int fd, const GateRefusal& r) {
    const std::string resp = gate_error_response(r);
    (void)::send(fd, resp.data(), resp.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
    ::shutdown(fd, SHUT_WR);
    ::close(fd);
  }

  // Closes the keep-alive connection idle longest (of one client address,
  // when given) to make room; false when none is idle.
  bool evict_idle(const std::string* ip) {
    Conn* oldest = nullptr;
    for (auto& [fd, c] : conns) {
      if (c->phase != Phase::kReading || !c->in.empty() || c->requests == 0) continue;
      if (ip && c->peer_ip != *ip) continue;
      if (!oldest || c->idle_since < oldest->idle_since) oldest = c.get();
    }
    if (!oldest) return false;
    close_conn(*oldest);
    return true;
  }

  // A connection beyond the limits is answered 503 and drained like any
  // refusal (so the client reads the answer instead of a reset), unless too
  // many are draining already: then it is closed at once.
  void admit(int fd, const sockaddr_storage& peer) {
    const int yes = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &yes, sizeof yes);
    auto [ip, peer_port] = address_of(peer);
    std::optional<GateRefusal> refusal;
    if (static_cast<int>(conns.size()) - draining >= options.max_connections &&
        !evict_idle(nullptr)) {
      refusal = GateRefusal{503, "too_many_connections",
                            fmt::format("the server holds its limit of {} connections; retry later",
                                        options.max_connections)};
    } else if (options.max_connections_per_client > 0) {
      auto it = per_client.find(ip);
      if (it != per_client.end() && it->second >= options.max_connections_per_client &&
          !evict_idle(&ip))
        refusal = GateRefusal{503, "too_many_connections",
                              fmt::format("more than {} connections from one address; retry later",
                                          options.max_connections_per_client)};
    }
    if (refusal && draining >= kMaxDraining) return reject(fd, *refusal);
    auto c = std::make_unique<Conn>(options);
    c->fd = fd;
    c->peer_ip = ip;
    c->peer_port = peer_port;
    sockaddr_storage local{};
    socklen_t len = sizeof local;
    if (::getsockname(fd, reinterpret_cast<sockaddr*>(&local), &len) == 0)
      std::tie(c->local_ip, c->local_port) = address_of(local);
    c->request_start = c->idle_since = Clock::now();
    ++per_client[ip];
    Conn& ref = *c;
    conns.emplace(fd, std::move(c));
    if (refusal) return refuse(ref, *refusal);
    watch(ref, EPOLLIN);
  }

  void accept_all() {
    for (;;) {
      sockaddr_storage peer{};
      socklen_t len = sizeof peer;
      const int fd = ::accept4(listen_fd, reinterpret_cast<sockaddr*>(&peer), &len,
                               SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (fd >= 0) {
        admit(fd, peer);
        continue;
      }
      if (errno == EINTR || errno == ECONNABORTED || errno == EPROTO) continue;
      if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
        // Out of descriptors: stop accepting for a moment (level-triggered
        // epoll would spin), the backlog keeps the clients waiting.
        ::epoll_ctl(epoll_fd, EPOLL_CTL_DEL, listen_fd, nullptr);
        accept_paused = true;
        accept_resume = Clock::now() + std::chrono::milliseconds(100);
      }
      return;
    }
  }

  void sweep(Clock::time_point now);
  Result<void> listen(const std::string& host, int port);
  void serve_loop();
  void shut_down();
};

void Gate::Impl::sweep(Clock::time_point now) {
  if (accept_paused && now >= accept_resume) {
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.fd = listen_fd;
    ::epoll_ctl(epoll_fd, EPOLL_CTL_ADD, listen_fd, &ev);
    accept_paused = false;
  }
  enum class Act { kClose, kHeaderTimeout, kBodyTimeout };
  std::vector<std::pair<int, Act>> acts;
  for (auto& [fd, cp] : conns) {
    const Conn& c = *cp;
    switch (c.phase) {
      case Phase::kReading:
        if (c.in.empty()) {
          // No request at all on a new connection, or an idle keep-alive one.
          if ((c.requests == 0 && now - c.request_start > seconds(options.header_timeout_s)) ||
              (c.requests > 0 && now - c.idle_since > seconds(options.idle_timeout_s)))
            acts.emplace_back(fd, Act::kClose);
        } else if (!c.headers_seen) {
          if (now - c.request_start > seconds(options.header_timeout_s))
            acts.emplace_back(fd, Act::kHeaderTimeout);
        } else if (now - c.headers_end > seconds(options.body_timeout_s)) {
          acts.emplace_back(fd, Act::kBodyTimeout);
        }
        break;
      case Phase::kWriting:
        if (now - c.phase_start > seconds(options.write_timeout_s)) acts.emplace_back(fd, Act::kClose);
        break;
      case Phase::kDraining:
        if (now - c.phase_start > kDrainTime) acts.emplace_back(fd, Act::kClose);
        break;
      case Phase::kBusy:
        break;
    }
  }
  for (auto [fd, act] : acts) {
    auto it = conns.find(fd);
    if (it == conns.end()) continue;
    Conn& c = *it->second;
    if (act == Act::kClose) {
      close_conn(c);
    } else if (act == Act::kHeaderTimeout) {
      refuse(c, {408, "request_timeout",
                 fmt::format("the request headers did not arrive within {:g} s",
                             options.header_timeout_s)});
    } else {
      refuse(c, {408, "request_timeout",
                 fmt::format("the request body did not arrive within {:g} s",
                             options.body_timeout_s)});
    }
  }
}

Result<void> Gate::Impl::listen(const std::string& host, int want_port) {
  if (epoll_fd < 0 || wake_fd < 0)
    return fail(ErrorCode::kIo, fmt::format("cannot set up the event loop: {}", errno_text(errno)));
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* found = nullptr;
  const std::string service = std::to_string(want_port);
  if (int rc = ::getaddrinfo(host.c_str(), service.c_str(), &hints, &found); rc != 0)
    return fail(ErrorCode::kIo, fmt::format("cannot resolve {}: {}", host, ::gai_strerror(rc)));
  int last_errno = 0;
  for (addrinfo* ai = found; ai; ai = ai->ai_next) {
    const int fd = ::socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
                            ai->ai_protocol);
    if (fd < 0) {
      last_errno = errno;
      continue;
    }
    // SO_REUSEADDR (restart while old connections sit in TIME_WAIT), never
    // SO_REUSEPORT: a second server on this port must fail, not share it.
    const int yes = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
    if (::bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 && ::listen(fd, SOMAXCONN) == 0) {
      listen_fd = fd;
      break;
    }
    last_errno = errno;
    ::close(fd);
  }
  ::freeaddrinfo(found);
  if (listen_fd < 0) {
    std::string hint;
    if (last_errno == EADDRINUSE) hint = " (another process is listening on that port)";
    if (last_errno == EADDRNOTAVAIL) hint = " (not an address of this machine)";
    return fail(ErrorCode::kIo, fmt::format("cannot listen on {}:{}: {}{}", host, want_port,
                                            errno_text(last_errno), hint));
  }
  sockaddr_storage bound{};
  socklen_t len = sizeof bound;
  ::getsockname(listen_fd, reinterpret_cast<sockaddr*>(&bound), &len);
  port = address_of(bound).second;
  return {};
}

void Gate::Impl::serve_loop() {
  for (int fd : {listen_fd, wake_fd}) {
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.fd = fd;
    ::epoll_ctl(epoll_fd, EPOLL_CTL_ADD, fd, &ev);
  }
  std::vector<epoll_event> events(256);
  auto last_sweep = Clock::now();
  while (!stopping.load()) {
    const int n = ::epoll_wait(epoll_fd, events.data(), static_cast<int>(events.size()),
                               static_cast<int>(kSweepEvery.count()));
    // Answered connections first: a keep-alive client whose answer is out
    // counts as idle before new connections are weighed against the limit.
    for (int i = 0; i < n; ++i)
      if (events[i].data.fd == wake_fd) collect_answered();
    for (int i = 0; i < n; ++i) {
      const int fd = events[i].data.fd;
      if (fd == listen_fd) {
        accept_all();
      } else if (fd != wake_fd) {
        on_event(fd, events[i].events);
      }
    }
    if (const auto now = Clock::now(); now - last_sweep >= kSweepEvery) {
      sweep(now);
      last_sweep = now;
    }
  }
}

void Gate::Impl::shut_down() {
  ::close(listen_fd);
  listen_fd = -1;
  {
    std::lock_guard lock(mutex);
    workers_stop = true;
  }
  cv.notify_all();
  for (auto& t : workers) t.join();  // queued requests are answered first
  workers.clear();
  std::vector<Conn*> answered;
  answered.swap(done);
  for (Conn* c : answered) send_some(*c);  // one last try, never blocking
  while (!conns.empty()) close_conn(*conns.begin()->second);
}

Gate::Gate(GateOptions options, ExchangeHandler handler)
    : impl_(std::make_unique<Impl>(std::move(options), std::move(handler))) {}

Gate::~Gate() {
  stop();
  // run() has returned by now (its caller joined it) or never started.
}

Result<void> Gate::listen(const std::string& host, int port) {
  if (impl_->listen_fd >= 0) return {};
  return impl_->listen(host, port);
}

int Gate::port() const { return impl_->port; }

Result<void> Gate::run() {
  if (impl_->listen_fd < 0) return fail(ErrorCode::kIo, "the server is not listening");
  const int threads = std::max(1, impl_->options.threads);
  impl_->workers_stop = false;
  for (int i = 0; i < threads; ++i) impl_->workers.emplace_back([this] { impl_->worker_loop(); });
  impl_->serve_loop();
  impl_->shut_down();
  return {};
}

void Gate::stop() {
  impl_->stopping = true;
  impl_->wake();
}

}  // namespace suanli::service

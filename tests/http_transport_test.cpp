// The HTTP transport under hostile clients, over raw loopback sockets: slow
// clients (slowloris) and idle keep-alive clients do not starve anyone,
// connection and per-connection limits, header limits, exact media type,
// raw Authorization spellings, framing (pipelining, a GET with a body,
// Expect), invalid UTF-8, and no SO_REUSEPORT. Bounds on time are generous
// (seconds) and only separate "served" from "starved behind a timeout".
#include <arpa/inet.h>
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "service_fixture.h"

namespace suanli::testing {
namespace {

using Clock = std::chrono::steady_clock;
using nlohmann::json;

double seconds_since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

// A blocking loopback socket (-1 on failure).
int connect_to(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<std::uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    ::close(fd);
    return -1;
  }
  const int yes = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &yes, sizeof yes);
  return fd;
}

bool send_all(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t n = ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n <= 0) return false;
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

// Socket with a read buffer: responses are read one at a time.
struct Wire {
  int fd = -1;
  std::string buf;
  bool eof = false;
  explicit Wire(int port) : fd(connect_to(port)) {}
  ~Wire() {
    if (fd >= 0) ::close(fd);
  }
  Wire(const Wire&) = delete;
  Wire& operator=(const Wire&) = delete;

  // Reads more; false on timeout, EOF or error.
  bool fill(Clock::time_point deadline) {
    const int ms = static_cast<int>(
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count());
    pollfd p{fd, POLLIN, 0};
    if (ms <= 0 || ::poll(&p, 1, ms) <= 0) return false;
    char tmp[16384];
    const ssize_t n = ::recv(fd, tmp, sizeof tmp, 0);
    if (n <= 0) {
      eof = true;
      return false;
    }
    buf.append(tmp, static_cast<std::size_t>(n));
    return true;
  }
};

struct RawReply {
  int status = 0;  // 0: no response
  std::string head;
  std::string body;
  json json_body;
  bool closes() const { return head.find("\r\nConnection: close\r\n") != std::string::npos; }
};

// One response (1xx interim responses skipped unless asked for).
RawReply read_reply(Wire& w, double timeout_s = 10, bool keep_interim = false) {
  const auto deadline = Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                           std::chrono::duration<double>(timeout_s));
  for (;;) {
    std::size_t end;
    while ((end = w.buf.find("\r\n\r\n")) == std::string::npos)
      if (!w.fill(deadline)) return {};
    RawReply r;
    r.head = w.buf.substr(0, end + 2);
    if (r.head.size() < 12) return {};
    r.status = std::atoi(r.head.substr(9, 3).c_str());
    std::size_t length = 0;
    if (auto p = r.head.find("\r\nContent-Length: "); p != std::string::npos)
      length = std::stoul(r.head.substr(p + 18));
    while (w.buf.size() < end + 4 + length)
      if (!w.fill(deadline)) return {};
    r.body = w.buf.substr(end + 4, length);
    w.buf.erase(0, end + 4 + length);
    if (r.status / 100 == 1 && !keep_interim) continue;
    r.json_body = json::parse(r.body, nullptr, false);
    return r;
  }
}

// True when the server closed the connection (EOF) within timeout_s.
bool closed_within(Wire& w, double timeout_s) {
  const auto deadline = Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                           std::chrono::duration<double>(timeout_s));
  while (!w.eof && Clock::now() < deadline) w.fill(deadline);
  return w.eof;
}

std::string get(const std::string& path, const std::string& extra = "") {
  return "GET " + path + " HTTP/1.1\r\nHost: t\r\n" + extra + "\r\n";
}

std::string post(const std::string& path, const std::string& body, const std::string& headers) {
  return "POST " + path + " HTTP/1.1\r\nHost: t\r\n" + headers +
         "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
}

RawReply exchange(int port, const std::string& request) {
  Wire w(port);
  if (w.fd < 0 || !send_all(w.fd, request)) return {};
  return read_reply(w);
}

service::ServiceOptions quiet_service() {
  service::ServiceOptions o;
  o.import_examples = false;
  o.run_workers = 1;
  return o;
}

const std::string kInfer =
    R"({"accelerator":"h100-sxm","model":"llama3-70b","devices":8,"input_len":1000,"output_len":200})";

TEST(HttpTransport, SlowlorisClientsAreCutOffAndDoNotBlockOthers) {
  service::HttpOptions http;
  http.threads = 4;  // far fewer workers than slow clients
  http.header_timeout_s = 3;
  ServiceHarness h(quiet_service(), http);
  ASSERT_TRUE(h.ok()) << h.error();
  constexpr int kSlow = 70;
  std::vector<std::unique_ptr<Wire>> slow;
  for (int i = 0; i < kSlow; ++i) {
    slow.push_back(std::make_unique<Wire>(h.port()));
    ASSERT_GE(slow.back()->fd, 0);
  }
  // Each slow client sends its request one byte a second, forever.
  const std::string trickle = "GET /api/v1/health HTTP/1.1\r\nX-Slow: " + std::string(100, 'z');
  const auto start = Clock::now();
  std::atomic<bool> stop{false};
  std::thread trickler([&] {
    for (std::size_t i = 0; i < trickle.size() && !stop; ++i) {
      for (auto& w : slow) (void)::send(w->fd, &trickle[i], 1, MSG_NOSIGNAL | MSG_DONTWAIT);
      for (int t = 0; t < 10 && !stop; ++t) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  });
  // Meanwhile ordinary requests on fresh connections are answered at once.
  int served = 0, cut_early = -1;
  while (seconds_since(start) < 4.5) {
    if (cut_early < 0 && seconds_since(start) > 1.5) {
      // Before the deadline the slow clients are waited for, not refused.
      cut_early = 0;
      for (auto& w : slow) {
        pollfd p{w->fd, POLLIN, 0};
        if (::poll(&p, 1, 0) > 0) ++cut_early;
      }
    }
    const auto t = Clock::now();
    auto r = exchange(h.port(), get("/api/v1/health"));
    EXPECT_EQ(r.status, 200) << "an ordinary client starved behind " << kSlow << " slow ones";
    EXPECT_LT(seconds_since(t), 3.0) << "an ordinary request waited for the slow clients";
    if (r.status == 200) ++served;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  EXPECT_GE(served, 10);
  EXPECT_EQ(cut_early, 0) << "slow clients were cut off before their header deadline";
  // Every slow client is answered 408 and closed after the header deadline
  // (3 s from its first byte), though it is still sending.
  int timed_out = 0, closed = 0;
  for (auto& w : slow) {
    auto r = read_reply(*w, 6);
    if (r.status == 408 && r.json_body.is_object() &&
        r.json_body["error"]["code"] == "request_timeout")
      ++timed_out;
    if (closed_within(*w, 6)) ++closed;
  }
  stop = true;
  trickler.join();
  EXPECT_EQ(timed_out, kSlow);
  EXPECT_EQ(closed, kSlow);
  EXPECT_LT(seconds_since(start), 20.0);
}

TEST(HttpTransport, IdleKeepAliveClientsHoldNoWorker) {
  service::HttpOptions http;
  http.threads = 2;
  http.idle_timeout_s = 30;  // idle clients stay for the whole test
  ServiceHarness h(quiet_service(), http);
  ASSERT_TRUE(h.ok()) << h.error();
  // Ten times more idle keep-alive connections than workers.
  std::vector<std::unique_ptr<Wire>> idle;
  for (int i = 0; i < 20; ++i) {
    idle.push_back(std::make_unique<Wire>(h.port()));
    ASSERT_TRUE(send_all(idle.back()->fd, get("/api/v1/health")));
    auto r = read_reply(*idle.back());
    ASSERT_EQ(r.status, 200);
    EXPECT_FALSE(r.closes());
  }
  // A new client is served at once (a thread per connection would make
  // it wait for an idle client's keep-alive timeout).
  const auto t = Clock::now();
  auto c = h.client();
  c->set_keep_alive(false);
  EXPECT_EQ(send(*c, "GET", "/api/v1/health").status, 200);
  EXPECT_LT(seconds_since(t), 3.0);
  // And the idle ones are still open and served in turn.
  for (auto& w : idle) {
    ASSERT_TRUE(send_all(w->fd, get("/api/v1/health")));
    EXPECT_EQ(read_reply(*w, 5).status, 200);
  }
}

TEST(HttpTransport, ConnectionLimitEvictsIdleClientsThenAnswers503) {
  service::HttpOptions http;
  http.max_connections = 4;
  http.idle_timeout_s = 30;
  ServiceHarness h(quiet_service(), http);
  ASSERT_TRUE(h.ok()) << h.error();
  std::vector<std::unique_ptr<Wire>> idle;
  for (int i = 0; i < 4; ++i) {
    idle.push_back(std::make_unique<Wire>(h.port()));
    ASSERT_TRUE(send_all(idle.back()->fd, get("/api/v1/health")));
    ASSERT_EQ(read_reply(*idle.back()).status, 200);
  }
  // (The server learns that an answer is out a moment after the client
  // reads it: the pauses keep the test about limits, not that moment.)
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  // At the limit with idle keep-alive clients: the longest idle one makes room.
  EXPECT_EQ(exchange(h.port(), get("/api/v1/health")).status, 200);
  EXPECT_TRUE(closed_within(*idle.front(), 5)) << "the longest-idle connection should be closed";
  // At the limit with clients all mid-request: a clear 503.
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  std::vector<std::unique_ptr<Wire>> busy;
  for (int i = 0; i < 4; ++i) {
    busy.push_back(std::make_unique<Wire>(h.port()));
    ASSERT_TRUE(send_all(busy.back()->fd, "GET /api/v1/health HTTP/1.1\r\nX-Partial: 1"));
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // all four admitted
  auto r = exchange(h.port(), get("/api/v1/health"));
  EXPECT_EQ(r.status, 503) << r.head << r.body;
  EXPECT_EQ(r.json_body["error"]["code"], "too_many_connections") << r.body;
  EXPECT_TRUE(r.closes());
  busy.clear();  // the slots free up: served again
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_EQ(exchange(h.port(), get("/api/v1/health")).status, 200);
}

TEST(HttpTransport, RequestsPerConnectionAreCapped) {
  service::HttpOptions http;
  http.max_requests_per_connection = 3;
  ServiceHarness h(quiet_service(), http);
  ASSERT_TRUE(h.ok()) << h.error();
  Wire w(h.port());
  for (int i = 1; i <= 3; ++i) {
    ASSERT_TRUE(send_all(w.fd, get("/api/v1/health")));
    auto r = read_reply(w);
    ASSERT_EQ(r.status, 200) << "request " << i;
    EXPECT_EQ(r.closes(), i == 3) << "request " << i << ": " << r.head;
  }
  EXPECT_TRUE(closed_within(w, 5));
}

TEST(HttpTransport, HeaderCountAndSizeAreLimitedWith431) {
  ServiceHarness h(quiet_service());
  ASSERT_TRUE(h.ok()) << h.error();
  auto lines = [](int n, std::size_t width) {
    std::string s;
    for (int i = 0; i < n; ++i) s += "X-H" + std::to_string(i) + ": " + std::string(width, 'v') + "\r\n";
    return s;
  };
  EXPECT_EQ(exchange(h.port(), get("/api/v1/health", lines(99, 10))).status, 200);
  auto many = exchange(h.port(), get("/api/v1/health", lines(101, 10)));
  EXPECT_EQ(many.status, 431);
  EXPECT_EQ(many.json_body["error"]["code"], "too_many_headers") << many.body;
  auto big = exchange(h.port(), get("/api/v1/health", lines(60, 1200)));
  EXPECT_EQ(big.status, 431);
  EXPECT_EQ(big.json_body["error"]["code"], "header_too_large") << big.body;
  // Megabytes of headers: refused at the limit, not read to the end.
  Wire w(h.port());
  const timeval five{5, 0};
  ::setsockopt(w.fd, SOL_SOCKET, SO_SNDTIMEO, &five, sizeof five);  // never hang here
  ASSERT_TRUE(send_all(w.fd, "GET /api/v1/health HTTP/1.1\r\n"));
  const std::string chunk = lines(50, 1000);
  std::size_t sent = 0;
  while (sent < (64u << 20) && send_all(w.fd, chunk)) sent += chunk.size();
  EXPECT_LT(sent, 64u << 20) << "the server kept reading headers";
  EXPECT_EQ(exchange(h.port(), get("/api/v1/health")).status, 200) << "the server must survive";
}

TEST(HttpTransport, BodiesMustBeExactlyApplicationJson) {
  ServiceHarness h(quiet_service());
  ASSERT_TRUE(h.ok()) << h.error();
  auto status = [&](const std::string& content_type_line) {
    auto r = exchange(h.port(), post("/api/v1/estimate/infer", kInfer, content_type_line));
    if (r.status == 415) {
      EXPECT_EQ(r.json_body["error"]["code"], "unsupported_media_type") << r.body;
    }
    return r.status;
  };
  EXPECT_EQ(status("Content-Type: application/json\r\n"), 200);
  EXPECT_EQ(status("Content-Type: application/json; charset=utf-8\r\n"), 200);
  EXPECT_EQ(status("Content-Type: APPLICATION/JSON\r\n"), 200);
  // The browser-sendable spelling that used to pass a substring check.
  EXPECT_EQ(status("Content-Type: text/plain; charset=application/json\r\n"), 415);
  EXPECT_EQ(status("Content-Type: application/jsonp\r\n"), 415);
  EXPECT_EQ(status("Content-Type: application/json; charset=latin1\r\n"), 415);
  EXPECT_EQ(status("Content-Type: application/x-www-form-urlencoded\r\n"), 415);
  EXPECT_EQ(status(""), 415) << "a body without a Content-Type";
  EXPECT_EQ(status("Content-Type: application/json\r\nContent-Type: text/plain\r\n"), 415);
}

TEST(HttpTransport, OnlyTheCanonicalTokenSpellingAuthenticates) {
  ServiceHarness h(quiet_service());
  ASSERT_TRUE(h.ok()) << h.error();
  const std::string token = h.write_token();
  ASSERT_EQ(token.size(), 64u);
  auto status = [&](const std::string& auth_value) {
    return exchange(h.port(), post("/api/v1/scenarios", "{}",
                                   "Content-Type: application/json\r\nAuthorization: " +
                                       auth_value + "\r\n"))
        .status;
  };
  // The real token gets past authentication (the empty body is then a 400).
  const int genuine = status("Bearer " + token);
  EXPECT_NE(genuine, 401);
  EXPECT_EQ(genuine / 100, 4);
  std::string encoded;
  for (char c : token) encoded += fmt::format("%{:02x}", c);
  EXPECT_EQ(status("Bearer " + encoded), 401) << "percent-encoded token";
  EXPECT_EQ(status("Bearer %" + fmt::format("{:02x}", token[0]) + token.substr(1)), 401);
  EXPECT_EQ(status("Bearer " + token + "%00"), 401) << "token + %00";
  EXPECT_EQ(status("Bearer " + token + "%00garbage"), 401);
  EXPECT_EQ(status("Bearer " + token + std::string(1, '\0')), 401) << "trailing NUL";
  EXPECT_EQ(status("Bearer " + token + std::string(1, '\0') + "x"), 401);
  EXPECT_EQ(status("bearer " + token), 401);
  auto twice = exchange(h.port(), post("/api/v1/scenarios", "{}",
                                        "Content-Type: application/json\r\nAuthorization: Bearer " +
                                            token + "\r\nAuthorization: Bearer " + token + "\r\n"));
  EXPECT_EQ(twice.status, 401);
  EXPECT_EQ(twice.json_body["error"]["code"], "unauthorized") << twice.body;
}

TEST(HttpTransport, FramingPipeliningAndExpectContinue) {
  ServiceHarness h(quiet_service());
  ASSERT_TRUE(h.ok()) << h.error();
  // Two pipelined requests, the first a GET with a body the router ignores:
  // the body must not be read as the next request.
  Wire w(h.port());
  const std::string smuggled = "GET /smuggled HTTP/1.1\r\n\r\n";
  ASSERT_TRUE(send_all(w.fd, "GET /api/v1/health HTTP/1.1\r\nContent-Length: " +
                                 std::to_string(smuggled.size()) + "\r\n\r\n" + smuggled +
                                 get("/api/v1/health")));
  EXPECT_EQ(read_reply(w).status, 200);
  EXPECT_EQ(read_reply(w).status, 200) << "the second request, not the smuggled one";
  // Expect: 100-continue: the interim response, then the answer.
  Wire e(h.port());
  ASSERT_TRUE(send_all(e.fd, "POST /api/v1/estimate/infer HTTP/1.1\r\nHost: t\r\n"
                             "Content-Type: application/json\r\nExpect: 100-continue\r\n"
                             "Content-Length: " + std::to_string(kInfer.size()) + "\r\n\r\n"));
  EXPECT_EQ(read_reply(e, 5, true).status, 100);
  ASSERT_TRUE(send_all(e.fd, kInfer));
  EXPECT_EQ(read_reply(e).status, 200);
  // Chunked and compressed bodies are refused before anything reads them.
  auto chunked = exchange(h.port(), "POST /api/v1/estimate/infer HTTP/1.1\r\n"
                                    "Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n");
  EXPECT_EQ(chunked.status, 411);
  auto gzip = exchange(h.port(), post("/api/v1/estimate/infer", "xx",
                                      "Content-Type: application/json\r\nContent-Encoding: gzip\r\n"));
  EXPECT_EQ(gzip.status, 415);
  // An oversized body is refused from its Content-Length, unread.
  auto huge = exchange(h.port(), "POST /api/v1/scenarios HTTP/1.1\r\nContent-Length: 999999999\r\n"
                                 "Content-Type: application/json\r\n\r\n{");
  EXPECT_EQ(huge.status, 413);
  EXPECT_EQ(huge.json_body["error"]["code"], "payload_too_large");
}

TEST(HttpTransport, ASlowBodyIsCutOff) {
  service::HttpOptions http;
  http.body_timeout_s = 1;
  ServiceHarness h(quiet_service(), http);
  ASSERT_TRUE(h.ok()) << h.error();
  Wire w(h.port());
  ASSERT_TRUE(send_all(w.fd, "POST /api/v1/estimate/infer HTTP/1.1\r\nContent-Length: 100\r\n"
                             "Content-Type: application/json\r\n\r\n{\"a\""));
  auto r = read_reply(w, 5);
  EXPECT_EQ(r.status, 408);
  EXPECT_TRUE(closed_within(w, 5));
}

TEST(HttpTransport, InvalidUtf8Is400NeverA500) {
  ServiceHarness h(quiet_service());
  ASSERT_TRUE(h.ok()) << h.error();
  for (const std::string path : {"/api/v1/\xff\xfe", "/api/v1/%ff%fe", "/api/v1/catalog?x=%c3%28",
                                 "/nothing/\xc3\x28"}) {
    auto r = exchange(h.port(), get(path));
    EXPECT_EQ(r.status, 400) << path << ": " << r.body;
    ASSERT_TRUE(r.json_body.is_object()) << path << ": the error must be JSON";
    EXPECT_EQ(r.json_body["error"]["code"], "invalid_utf8");
  }
  auto body = exchange(h.port(), post("/api/v1/estimate/infer",
                                      "{\"accelerator\":\"h100\xff\xfe\",\"model\":\"x\"}",
                                      "Content-Type: application/json\r\n"));
  EXPECT_EQ(body.status, 400) << body.body;
  EXPECT_TRUE(body.json_body.is_object());
  EXPECT_EQ(exchange(h.port(), get("/api/v1/health")).status, 200);
}

TEST(HttpTransport, ASecondServerOnAnOccupiedPortFailsToBind) {
  ServiceHarness h(quiet_service());
  ASSERT_TRUE(h.ok()) << h.error();
  service::HttpOptions http;
  http.port = h.port();
  service::HttpServer second(h.service(), http);
  auto bound = second.bind();
  ASSERT_FALSE(bound) << "a second server shared port " << h.port() << " (SO_REUSEPORT?)";
  EXPECT_NE(bound.error().message.find(std::to_string(h.port())), std::string::npos)
      << bound.error().message;
  EXPECT_NE(bound.error().message.find("in use"), std::string::npos) << bound.error().message;
  // Every connection still reaches the first server.
  for (int i = 0; i < 8; ++i) EXPECT_EQ(exchange(h.port(), get("/api/v1/health")).status, 200);
}

}  // namespace
}  // namespace suanli::testing

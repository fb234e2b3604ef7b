#include "fuzz/fuzz_targets.h"

#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <thread>

#include "catalog/catalog.h"
#include "plan/plan_scenario.h"
#include "sched/openb_trace.h"
#include "service/http_server.h"
#include "util/share_dir.h"
#include "service/service.h"
#include "sim/scenario.h"
#include "store/store.h"

namespace suanli::fuzz {

namespace {

const Catalog& bundled_catalog() {
  static const Catalog catalog = [] {
    CatalogOptions o;
    o.directories = {bundled_data_dir()};
    auto c = Catalog::load(o);
    if (!c) std::abort();
    return std::move(*c);
  }();
  return catalog;
}

std::string_view as_text(const std::uint8_t* data, std::size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

struct ApiHarness {
  std::filesystem::path dir;
  std::unique_ptr<service::Service> service;
  std::string write_token, read_token;
  ApiHarness() = default;
  ApiHarness(ApiHarness&&) = default;
  ApiHarness& operator=(ApiHarness&&) = delete;
  ApiHarness(const ApiHarness&) = delete;
  ApiHarness& operator=(const ApiHarness&) = delete;
  ~ApiHarness() {
    if (!service) return;  // moved from
    service.reset();       // joins the run workers, closes the store
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }
};

ApiHarness& api_harness() {
  static ApiHarness h = [] {
    ApiHarness a;
    a.dir = std::filesystem::temp_directory_path() / ("suanli-fuzz-" + std::to_string(::getpid()));
    std::filesystem::remove_all(a.dir);
    std::filesystem::create_directories(a.dir);
    service::ServiceOptions o;
    o.data_dir = a.dir;
    o.db_url = "sqlite:" + (a.dir / "fuzz.db").string();
    o.import_examples = true;  // scenarios 1 and 2 exist for the run routes
    auto s = service::Service::open(o);
    if (!s) std::abort();
    a.service = std::move(*s);
    auto w = a.service->store().create_token("fuzz-writer", true);
    auto r = a.service->store().create_token("fuzz-reader", false);
    if (!w || !r) std::abort();
    a.write_token = w->secret;
    a.read_token = r->secret;
    return a;
  }();
  return h;
}

// The API harness's service behind a real HttpServer on a loopback port.
struct HttpHarness {
  std::unique_ptr<service::HttpServer> server;
  std::thread thread;
  int port = -1;
  ~HttpHarness() {
    if (server) server->stop();
    if (thread.joinable()) thread.join();
  }
};

HttpHarness& http_harness() {
  static HttpHarness h;
  if (h.server) return h;
  auto& api = api_harness();
  service::HttpOptions o;
  o.port = 0;
  o.rate_per_s = 0;  // the fuzzer is one fast client
  h.server = std::make_unique<service::HttpServer>(*api.service, o);
  if (!h.server->bind()) std::abort();
  h.port = h.server->port();
  h.thread = std::thread([&] { (void)h.server->run(); });
  return h;
}

std::string replace_all(std::string text, std::string_view from, std::string_view to) {
  for (std::size_t p = text.find(from); p != std::string::npos; p = text.find(from, p + to.size()))
    text.replace(p, from.size(), to);
  return text;
}

// Sends `bytes` on a fresh connection, half-closes, and reads until the
// server closes or `timeout_ms` passes. Empty optional: no answer in time.
std::optional<std::string> exchange(int port, const std::string& bytes, int timeout_ms) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) std::abort();
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<std::uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) std::abort();
  for (std::size_t sent = 0; sent < bytes.size();) {
    const ssize_t n = ::send(fd, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) break;  // the server may close early (a limit): fine
    sent += static_cast<std::size_t>(n);
  }
  ::shutdown(fd, SHUT_WR);
  std::string reply;
  char buf[4096];
  for (;;) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, timeout_ms) <= 0) {
      ::close(fd);
      return std::nullopt;
    }
    const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    reply.append(buf, static_cast<std::size_t>(n));
  }
  ::close(fd);
  return reply;
}

// Checks every response in `reply` (keep-alive may answer several).
void check_http_reply(const std::string& reply) {
  for (std::size_t at = reply.find("HTTP/1.1 "); at != std::string::npos;
       at = reply.find("HTTP/1.1 ", at + 9)) {
    const int status = std::atoi(reply.c_str() + at + 9);
    if (status >= 500 && status != 503) std::abort();  // 503: a connection limit, not a bug
  }
}

}  // namespace

int scenario_parser(const std::uint8_t* data, std::size_t size) {
  const std::string_view text = as_text(data, size);
  const auto& catalog = bundled_catalog();
  (void)parse_scenario(text, "fuzz.toml", catalog);
  (void)parse_plan_scenario(text, "fuzz.toml", catalog);
  return 0;
}

int trace_csv(const std::uint8_t* data, std::size_t size) {
  const std::string_view text = as_text(data, size);
  ReadOptions strict;
  ReadOptions lenient;
  lenient.skip_bad_rows = true;
  (void)parse_openb_nodes(text, "fuzz-nodes.csv", strict);
  (void)parse_openb_nodes(text, "fuzz-nodes.csv", lenient);
  (void)parse_openb_pods(text, "fuzz-pods.csv", {}, strict);
  (void)parse_openb_pods(text, "fuzz-pods.csv", {"A100", "V100M32"}, lenient);
  return 0;
}

int api_request(const std::uint8_t* data, std::size_t size) {
  if (size < 3) return 0;
  auto& h = api_harness();
  const auto& routes = h.service->router().routes();
  service::ApiRequest request;
  std::string_view rest = as_text(data + 3, size - 3);
  if (data[0] == 0xff) {
    const auto nl = rest.find('\n');
    request.path = std::string(rest.substr(0, nl));
    rest = nl == std::string_view::npos ? std::string_view{} : rest.substr(nl + 1);
    request.method = static_cast<service::Method>(data[1] % 4);
  } else {
    const auto& route = routes[data[0] % routes.size()];
    request.method = route.method;
    // {params} become a small number (often an existing ID) or junk.
    const std::string param = data[2] < 200 ? std::to_string(data[2] % 8) : "x%27;--";
    for (std::size_t i = 0; i < route.pattern.size(); ++i) {
      if (route.pattern[i] == '{') {
        i = route.pattern.find('}', i);
        request.path += param;
      } else {
        request.path += route.pattern[i];
      }
    }
  }
  request.body = std::string(rest);
  std::optional<std::string_view> bearer;
  switch (data[1] % 3) {
    case 0:
      break;
    case 1:
      bearer = h.write_token;
      break;
    default:
      bearer = h.read_token;
  }
  // Never cancel or reset what other inputs rely on less than needed: the
  // fleet may be reconfigured by an input, which is fine.
  const service::ApiResponse r = h.service->handle(request, bearer);
  if (r.status >= 500) std::abort();  // the contract: bad input is never a 5xx
  if (r.status >= 400 && !(r.body.is_object() && r.body.contains("error"))) std::abort();
  return 0;
}

int http_request(const std::uint8_t* data, std::size_t size) {
  auto& api = api_harness();
  auto& h = http_harness();
  std::string bytes(as_text(data, size));
  bytes = replace_all(std::move(bytes), "@W@", api.write_token);
  bytes = replace_all(std::move(bytes), "@R@", api.read_token);
  const auto reply = exchange(h.port, bytes, 10000);
  if (!reply) std::abort();  // the server neither answered nor closed: a hang
  check_http_reply(*reply);
  return 0;
}

}  // namespace suanli::fuzz

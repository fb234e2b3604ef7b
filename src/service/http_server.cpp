#include "service/http_server.h"

#include <fmt/format.h>
#include <httplib.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <mutex>
#include <unordered_map>

#include "service/dashboard_assets.h"
#include "service/http_gate.h"
#include "service/service.h"
#include "util/strings.h"

namespace suanli::service {

namespace {

// Token bucket per client address.
class RateLimiter {
 public:
  RateLimiter(double rate, double burst) : rate_(rate), burst_(burst) {}
  bool allow(const std::string& client) {
    if (rate_ <= 0) return true;
    const double now =
        std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
    std::lock_guard lock(mutex_);
    auto [it, fresh] = buckets_.try_emplace(client, Bucket{burst_, now});
    Bucket& b = it->second;
    if (!fresh) {
      b.tokens = std::min(burst_, b.tokens + (now - b.last) * rate_);
      b.last = now;
    }
    if (buckets_.size() > 100000) buckets_.clear();  // bounded memory under address churn
    if (b.tokens < 1) return false;
    b.tokens -= 1;
    return true;
  }

 private:
  struct Bucket {
    double tokens = 0;
    double last = 0;
  };
  double rate_, burst_;
  std::mutex mutex_;
  std::unordered_map<std::string, Bucket> buckets_;
};

std::optional<Method> to_method(const std::string& m) {
  if (m == "GET" || m == "HEAD") return Method::kGet;
  if (m == "POST") return Method::kPost;
  if (m == "PUT") return Method::kPut;
  if (m == "DELETE") return Method::kDelete;
  return std::nullopt;
}

// Invalid UTF-8 anywhere in a body (a message quoting input) is replaced,
// never thrown over.
void send_json(httplib::Response& res, const ApiResponse& r) {
  res.status = r.status;
  if (r.raw) {
    res.set_content(*r.raw, r.content_type.c_str());
  } else {
    res.set_content(r.body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace),
                    "application/json");
  }
}

void send_error(httplib::Response& res, int status, std::string_view code,
                std::string_view message) {
  send_json(res, error_response(status, code, message));
}

// The gate has checked the raw header; the decoded value is checked again
// (a NUL or anything but the canonical spelling is refused).
std::optional<std::string> bearer_of(const httplib::Request& req, bool& malformed) {
  malformed = false;
  if (!req.has_header("Authorization")) return std::nullopt;
  const std::string h = req.get_header_value("Authorization");
  if (req.get_header_value_count("Authorization") != 1 || !is_canonical_bearer(h)) {
    malformed = true;
    return std::nullopt;
  }
  return h.substr(std::string_view("Bearer ").size());
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

}  // namespace

bool is_json_media_type(std::string_view content_type) {
  auto parts = split(content_type, ';');
  if (parts.empty() || to_lower(trim(parts[0])) != "application/json") return false;
  for (std::size_t i = 1; i < parts.size(); ++i) {
    const std::string_view param = trim(parts[i]);
    if (param.empty()) continue;
    const auto eq = param.find('=');
    if (eq == std::string_view::npos || to_lower(trim(param.substr(0, eq))) != "charset")
      return false;
    std::string_view value = trim(param.substr(eq + 1));
    if (value.size() >= 2 && value.front() == '"' && value.back() == '"')
      value = value.substr(1, value.size() - 2);
    if (to_lower(value) != "utf-8") return false;
  }
  return true;
}

namespace {

// A request the gate has buffered in full, as a cpp-httplib stream: reads
// end at the request's last byte (bytes the parser leaves, e.g. a GET's
// body, are dropped with it), writes append to the response buffer.
class BufferedStream final : public httplib::Stream {
 public:
  explicit BufferedStream(Exchange& ex) : ex_(ex) {}
  bool is_readable() const override { return pos_ < ex_.request.size(); }
  bool is_writable() const override { return true; }
  ssize_t read(char* ptr, size_t size) override {
    const std::size_t n = std::min(size, ex_.request.size() - pos_);
    std::copy_n(ex_.request.data() + pos_, n, ptr);
    pos_ += n;
    return static_cast<ssize_t>(n);
  }
  ssize_t write(const char* ptr, size_t size) override {
    ex_.response->append(ptr, size);
    return static_cast<ssize_t>(size);
  }
  void get_remote_ip_and_port(std::string& ip, int& port) const override {
    ip = std::string(ex_.peer_ip);
    port = ex_.peer_port;
  }
  void get_local_ip_and_port(std::string& ip, int& port) const override {
    ip = std::string(ex_.local_ip);
    port = ex_.local_port;
  }
  // No socket: the library's FD_SETSIZE guard (a 500 for descriptors over
  // 1023) must not apply, and nothing here may touch the socket.
  socket_t socket() const override { return INVALID_SOCKET; }

 private:
  Exchange& ex_;
  std::size_t pos_ = 0;
};

// cpp-httplib as a request parser and router only: the gate owns the
// sockets, and process_request() answers one buffered request.
class HttplibRouter final : public httplib::Server {
 public:
  using httplib::Server::process_request;
};

GateOptions gate_options(const HttpOptions& o) {
  GateOptions g;
  g.max_header_bytes = o.max_header_bytes;
  g.max_header_lines = o.max_header_lines;
  g.max_body_bytes = o.max_body_bytes;
  g.header_timeout_s = o.header_timeout_s;
  g.body_timeout_s = o.body_timeout_s;
  g.idle_timeout_s = o.idle_timeout_s;
  g.max_connections = o.max_connections;
  g.max_connections_per_client = o.max_connections_per_client;
  g.max_requests_per_connection = o.max_requests_per_connection;
  g.threads = std::max(1, o.threads);
  return g;
}

}  // namespace

struct HttpServer::Impl {
  Impl(Service& s, HttpOptions o)
      : service(s), options(std::move(o)), limiter(options.rate_per_s, options.burst) {}
  Service& service;
  HttpOptions options;
  RateLimiter limiter;
  HttplibRouter router;
  std::unique_ptr<Gate> gate;

  // One complete request from the gate; false: close the connection.
  bool exchange(Exchange& ex) {
    BufferedStream stream(ex);
    bool connection_closed = false;
    const bool ok = router.process_request(stream, ex.last, connection_closed, nullptr);
    return ok && !connection_closed;
  }

  void handle_api(const httplib::Request& req, httplib::Response& res) {
    auto method = to_method(req.method);
    if (!method) {
      send_error(res, 405, "method_not_allowed",
                 fmt::format("method {} not supported", escaped_excerpt(req.method, 20)));
      return;
    }
    bool malformed = false;
    auto bearer = bearer_of(req, malformed);
    if (malformed) {
      send_error(res, 401, "unauthorized",
                 "Authorization header must be 'Bearer <token>' with the token's 64 "
                 "lower-case hex digits");
      return;
    }
    ApiRequest a;
    a.method = *method;
    a.path = req.path;
    for (const auto& [k, v] : req.params) a.query[k] = v;
    a.body = req.body;
    if (!a.body.empty()) {
      const std::string ct = req.get_header_value("Content-Type");
      if (req.get_header_value_count("Content-Type") != 1 || !is_json_media_type(ct)) {
        send_error(res, 415, "unsupported_media_type",
                   fmt::format("a request body must be sent as Content-Type: application/json, "
                               "got {}",
                               ct.empty() ? std::string("none") : quoted_excerpt(ct, 80)));
        return;
      }
    }
    send_json(res,
              service.handle(a, bearer ? std::optional<std::string_view>(*bearer) : std::nullopt));
  }

  // Before routing: the rate limit, and paths and queries that are not UTF-8
  // (decoded) are a 400 here rather than a surprise further in.
  httplib::Server::HandlerResponse pre_route(const httplib::Request& req, httplib::Response& res) {
    if (!limiter.allow(req.remote_addr)) {
      res.set_header("Retry-After", "1");
      send_error(res, 429, "rate_limited",
                 fmt::format("more than {:.0f} requests/s from {}", options.rate_per_s,
                             req.remote_addr));
      return httplib::Server::HandlerResponse::Handled;
    }
    res.set_header("X-Content-Type-Options", "nosniff");
    res.set_header("Cache-Control", "no-store");
    bool utf8 = is_valid_utf8(req.path);
    for (const auto& [k, v] : req.params) utf8 = utf8 && is_valid_utf8(k) && is_valid_utf8(v);
    if (!utf8) {
      send_error(res, 400, "invalid_utf8", "the request path or query is not valid UTF-8");
      return httplib::Server::HandlerResponse::Handled;
    }
    return httplib::Server::HandlerResponse::Unhandled;
  }
};

HttpServer::HttpServer(Service& service, HttpOptions options)
    : impl_(std::make_unique<Impl>(service, std::move(options))) {
  auto& svr = impl_->router;
  Impl* impl = impl_.get();
  // The gate enforces the body limit before the body is read; the library's
  // own check stays as a second line.
  svr.set_payload_max_length(impl->options.max_body_bytes);
  // Only the Keep-Alive response header uses these (the gate enforces them).
  svr.set_keep_alive_max_count(static_cast<size_t>(std::max(1, impl->options.max_requests_per_connection)));
  svr.set_keep_alive_timeout(static_cast<time_t>(std::max(1.0, impl->options.idle_timeout_s)));
  impl->gate = std::make_unique<Gate>(gate_options(impl->options),
                                      [impl](Exchange& ex) { return impl->exchange(ex); });

  svr.set_pre_routing_handler([impl](const httplib::Request& req, httplib::Response& res) {
    return impl->pre_route(req, res);
  });

  auto api = [impl](const httplib::Request& req, httplib::Response& res) {
    impl->handle_api(req, res);
  };
  svr.Get("/api/.*", api);
  svr.Get("/metrics", api);  // Prometheus (service/metrics.h)
  svr.Post("/api/.*", api);
  svr.Put("/api/.*", api);
  svr.Delete("/api/.*", api);
  svr.Patch("/api/.*", [](const httplib::Request& req, httplib::Response& res) {
    send_error(res, 405, "method_not_allowed", fmt::format("PATCH is not allowed on {}", req.path));
  });

  auto asset = [](std::string_view body, const char* type) {
    return [body, type](const httplib::Request&, httplib::Response& res) {
      res.set_header("Content-Security-Policy",
                     "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'");
      res.set_content(std::string(body), type);
    };
  };
  svr.Get("/", asset(dashboard_index_html(), "text/html; charset=utf-8"));
  svr.Get("/index.html", asset(dashboard_index_html(), "text/html; charset=utf-8"));
  svr.Get("/app.js", asset(dashboard_app_js(), "text/javascript; charset=utf-8"));
  svr.Get("/style.css", asset(dashboard_style_css(), "text/css; charset=utf-8"));
  svr.Get("/chart.js", asset(chart_js_source(), "text/javascript; charset=utf-8"));

  // Errors the library produces itself (404 for unknown paths, 413, 400 for
  // malformed HTTP) get a JSON body like every other error.
  svr.set_error_handler([](const httplib::Request& req, httplib::Response& res) {
    if (!res.body.empty()) return;
    switch (res.status) {
      case 413:
        send_error(res, 413, "payload_too_large", "request body larger than the server's limit");
        break;
      case 404:
        send_error(res, 404, "not_found", fmt::format("no route {}", req.path));
        break;
      default:
        send_error(res, res.status, "http_error", fmt::format("HTTP error {}", res.status));
    }
  });
  svr.set_exception_handler(
      [](const httplib::Request&, httplib::Response& res, std::exception_ptr ep) {
        std::string what = "unknown";
        try {
          if (ep) std::rethrow_exception(ep);
        } catch (const std::exception& e) {
          what = e.what();
        } catch (...) {
        }
        fmt::print(stderr, "suanli serve: internal error: {}\n", valid_utf8(what));
        send_error(res, 500, "internal", "internal error (details in the server's log)");
      });
}

HttpServer::~HttpServer() { stop(); }

Result<void> HttpServer::bind() { return impl_->gate->listen(impl_->options.host, impl_->options.port); }

int HttpServer::port() const { return impl_->gate->port(); }

Result<void> HttpServer::run() {
  SUANLI_TRY(bind());
  return impl_->gate->run();
}

void HttpServer::stop() {
  if (impl_ && impl_->gate) impl_->gate->stop();
}

Result<std::pair<std::string, int>> parse_listen(std::string_view text) {
  std::string host = "127.0.0.1";
  std::string_view port_text = text;
  if (!text.empty() && text.front() == '[') {
    auto close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':')
      return fail(ErrorCode::kInvalidArgument,
                  fmt::format("--listen {}: expected [IPv6]:PORT", text));
    host = std::string(text.substr(1, close - 1));
    port_text = text.substr(close + 2);
  } else if (auto colon = text.rfind(':'); colon != std::string_view::npos) {
    if (colon > 0) host = std::string(text.substr(0, colon));
    port_text = text.substr(colon + 1);
  }
  int port = -1;
  auto [p, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (ec != std::errc() || p != port_text.data() + port_text.size() || port < 0 || port > 65535)
    return fail(ErrorCode::kInvalidArgument,
                fmt::format("--listen {}: expected HOST:PORT with a port in 0..65535", text));
  return std::pair{host, port};
}

}  // namespace suanli::service

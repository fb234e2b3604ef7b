#include "service/http_server.h"

#include <fmt/format.h>
#include <httplib.h>
#include <sys/socket.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <mutex>
#include <unordered_map>

#include "service/dashboard_assets.h"
#include "service/service.h"

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

void send_json(httplib::Response& res, const ApiResponse& r) {
  res.status = r.status;
  if (r.raw) {
    res.set_content(*r.raw, r.content_type.c_str());
  } else {
    res.set_content(r.body.dump(), "application/json");
  }
}

void send_error(httplib::Response& res, int status, std::string_view code,
                std::string_view message) {
  send_json(res, error_response(status, code, message));
}

std::optional<std::string> bearer_of(const httplib::Request& req, bool& malformed) {
  malformed = false;
  if (!req.has_header("Authorization")) return std::nullopt;
  const std::string h = req.get_header_value("Authorization");
  constexpr std::string_view kPrefix = "Bearer ";
  if (h.size() <= kPrefix.size() || h.compare(0, kPrefix.size(), kPrefix) != 0) {
    malformed = true;
    return std::nullopt;
  }
  return h.substr(kPrefix.size());
}

}  // namespace

struct HttpServer::Impl {
  Impl(Service& s, HttpOptions o)
      : service(s), options(std::move(o)), limiter(options.rate_per_s, options.burst) {}
  Service& service;
  HttpOptions options;
  RateLimiter limiter;
  httplib::Server server;
  int port = -1;
  int listen_fd = -1;  // captured from the socket-options hook (see bind())

  void handle_api(const httplib::Request& req, httplib::Response& res) {
    auto method = to_method(req.method);
    if (!method) {
      send_error(res, 405, "method_not_allowed",
                 fmt::format("method {} not supported", req.method));
      return;
    }
    bool malformed = false;
    auto bearer = bearer_of(req, malformed);
    if (malformed) {
      send_error(res, 401, "unauthorized", "Authorization header must be 'Bearer <token>'");
      return;
    }
    ApiRequest a;
    a.method = *method;
    a.path = req.path;
    for (const auto& [k, v] : req.params) a.query[k] = v;
    a.body = req.body;
    if ((a.method == Method::kPost || a.method == Method::kPut) && !a.body.empty()) {
      const std::string ct = req.get_header_value("Content-Type");
      if (!ct.empty() && ct.find("application/json") == std::string::npos) {
        send_error(res, 415, "unsupported_media_type",
                   fmt::format("Content-Type must be application/json, got {}", ct.substr(0, 80)));
        return;
      }
    }
    send_json(res,
              service.handle(a, bearer ? std::optional<std::string_view>(*bearer) : std::nullopt));
  }
};

HttpServer::HttpServer(Service& service, HttpOptions options)
    : impl_(std::make_unique<Impl>(service, std::move(options))) {
  auto& svr = impl_->server;
  Impl* impl = impl_.get();
  const int threads = std::max(4, impl->options.threads);
  svr.new_task_queue = [threads] { return new httplib::ThreadPool(static_cast<size_t>(threads)); };
  svr.set_payload_max_length(impl->options.max_body_bytes);
  svr.set_keep_alive_max_count(10000);
  // Responses go out as header + body writes: without TCP_NODELAY, Nagle
  // and the client's delayed ACK add ~40 ms to every keep-alive request.
  svr.set_tcp_nodelay(true);
  svr.set_socket_options([impl](socket_t sock) {
    httplib::default_socket_options(sock);
    impl->listen_fd = sock;
  });
  svr.set_keep_alive_timeout(5);
  svr.set_read_timeout(10);
  svr.set_write_timeout(10);

  svr.set_pre_routing_handler([impl](const httplib::Request& req, httplib::Response& res) {
    if (!impl->limiter.allow(req.remote_addr)) {
      res.set_header("Retry-After", "1");
      send_error(res, 429, "rate_limited",
                 fmt::format("more than {:.0f} requests/s from {}", impl->options.rate_per_s,
                             req.remote_addr));
      return httplib::Server::HandlerResponse::Handled;
    }
    res.set_header("X-Content-Type-Options", "nosniff");
    res.set_header("Cache-Control", "no-store");
    return httplib::Server::HandlerResponse::Unhandled;
  });

  auto api = [impl](const httplib::Request& req, httplib::Response& res) {
    impl->handle_api(req, res);
  };
  svr.Get("/api/.*", api);
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
        send_error(res, 500, "internal", fmt::format("internal error: {}", what));
      });
}

HttpServer::~HttpServer() { stop(); }

Result<void> HttpServer::bind() {
  auto& o = impl_->options;
  if (o.port == 0) {
    const int p = impl_->server.bind_to_any_port(o.host);
    if (p <= 0) return fail(ErrorCode::kIo, fmt::format("cannot bind {}:0", o.host));
    impl_->port = p;
  } else {
    if (!impl_->server.bind_to_port(o.host, o.port))
      return fail(ErrorCode::kIo, fmt::format("cannot bind {}:{} (in use, or not an address of "
                                              "this machine?)",
                                              o.host, o.port));
    impl_->port = o.port;
  }
  // cpp-httplib 0.11 listens with a backlog of 5: a burst of new
  // connections then overflows the accept queue and clients see resets.
  // listen() again on the bound socket raises the backlog (Linux).
  if (impl_->listen_fd >= 0) ::listen(impl_->listen_fd, SOMAXCONN);
  return {};
}

int HttpServer::port() const { return impl_->port; }

Result<void> HttpServer::run() {
  if (impl_->port < 0) SUANLI_TRY(bind());
  if (!impl_->server.listen_after_bind() && impl_->server.is_running())
    return fail(ErrorCode::kIo, "the HTTP server stopped with an error");
  return {};
}

void HttpServer::stop() {
  if (impl_ && impl_->server.is_running()) impl_->server.stop();
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

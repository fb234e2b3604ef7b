// The HTTP front of the service (cpp-httplib): maps requests to
// Service::handle(), serves the dashboard and the charting library, and
// enforces the transport limits — body size (413), per-client request rate
// (429), header timeouts — with every error a JSON body. Binds to loopback
// unless told otherwise.
#pragma once

#include <cstddef>
#include <memory>
#include <string>

#include "util/error.h"

namespace suanli::service {

class Service;

struct HttpOptions {
  std::string host = "127.0.0.1";
  int port = 8080;                       // 0: any free port (see HttpServer::port())
  std::size_t max_body_bytes = 1 << 20;  // larger bodies: 413
  double rate_per_s = 2000;              // per client address; 0 disables the limit
  double burst = 4000;                   // bucket size
  int threads = 64;                      // connection threads (keep-alive holds one each)
};

class HttpServer {
 public:
  HttpServer(Service& service, HttpOptions options);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds the socket; after this, port() is the real port.
  Result<void> bind();
  int port() const;
  // Serves until stop() (blocking).
  Result<void> run();
  // Stops accepting and returns from run() once open requests finish.
  void stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Splits "HOST:PORT" (default host 127.0.0.1; "[::1]:80" for IPv6).
Result<std::pair<std::string, int>> parse_listen(std::string_view text);

}  // namespace suanli::service

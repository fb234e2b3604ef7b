// The HTTP front of the service: maps requests to Service::handle(),
// serves the dashboard and the charting library, and enforces the transport
// limits, every error with a JSON body. Binds to loopback unless told
// otherwise.
//
// Sockets are owned by the connection gate (http_gate.h): one event thread
// holds new and idle keep-alive connections and reads each request in full
// (header block, then the Content-Length body) before a worker thread sees
// it, so slow clients (slowloris) and idle keep-alive clients hold no
// worker; cpp-httplib only parses the buffered request and routes it. The
// gate refuses, before any parsing or decoding: headers over
// max_header_lines lines or max_header_bytes bytes (431), a header block
// not complete within header_timeout_s or a body not within body_timeout_s
// (408), a body over max_body_bytes (413), Transfer-Encoding (411),
// compressed bodies (415), and an Authorization header that is not exactly
// "Bearer " + 64 lower-case hex digits in its raw bytes (401: no percent
// encoding, no NUL). Beyond max_connections (or max_connections_per_client
// from one address) the longest-idle keep-alive connection is closed, or
// the new one gets a 503; a connection serves at most
// max_requests_per_connection requests (then `Connection: close`).
// Here: a body must be sent as exactly `application/json` (any case,
// optionally `; charset=utf-8`), else 415; a path or query that is not
// valid UTF-8 is a 400; per-client request rate (429). Responses are dumped
// with invalid UTF-8 replaced, so building one never throws. The listening
// socket never uses SO_REUSEPORT: bind() fails on a port in use.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

#include "util/error.h"

namespace suanli::service {

class Service;

struct HttpOptions {
  std::string host = "127.0.0.1";
  int port = 8080;                       // 0: any free port (see HttpServer::port())
  std::size_t max_body_bytes = 1 << 20;  // larger bodies: 413
  double rate_per_s = 2000;              // per client address; 0 disables the limit
  double burst = 4000;                   // bucket size
  int threads = 16;                      // workers; they only ever see complete requests
  std::size_t max_header_bytes = 64 * 1024;  // request line + headers: larger is 431
  int max_header_lines = 100;                // more header lines: 431
  double header_timeout_s = 10;    // the whole header block, from the request's first byte
  double body_timeout_s = 30;      // the whole body, after the headers
  double idle_timeout_s = 5;       // an idle keep-alive connection is closed
  int max_connections = 1000;      // open connections in all
  int max_connections_per_client = 500;   // per client address; 0: no limit
  int max_requests_per_connection = 1000; // then `Connection: close`
};

class HttpServer {
 public:
  HttpServer(Service& service, HttpOptions options);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds and listens (never SO_REUSEPORT: a port in use is an error
  // naming it); after this, port() is the real port.
  Result<void> bind();
  int port() const;
  // Serves until stop() (blocking).
  Result<void> run();
  // Stops accepting and returns from run() once the requests already
  // received are answered; any thread, also before run().
  void stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Splits "HOST:PORT" (default host 127.0.0.1; "[::1]:80" for IPv6).
Result<std::pair<std::string, int>> parse_listen(std::string_view text);

// True for `application/json` (any case), optionally with a
// `charset=utf-8` parameter: the only media type a request body may have.
bool is_json_media_type(std::string_view content_type);

}  // namespace suanli::service

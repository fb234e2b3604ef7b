// The connection gate of `suanli serve`: the only code that touches client
// sockets. One thread (the "waiting room", epoll) accepts connections and
// reads requests into per-connection buffers; a request goes to the worker
// pool only once it is complete (header block and the whole Content-Length
// body), so a slow or idle client never holds a worker thread. Workers never
// read or block on a socket: they parse the buffered request, append the
// response to a buffer and try one non-blocking send; what the kernel does
// not take, the waiting room writes later. An idle keep-alive connection
// goes back to the waiting room and costs a file descriptor, not a thread.
//
// Limits (GateOptions, every one with a default), each answered with a JSON
// error and `Connection: close`:
//   - the request line and header block: at most max_header_lines lines and
//     max_header_bytes bytes (431); every line ends in CRLF, no NUL or bare
//     CR, no obs-fold, every header has a name and a colon (400);
//   - the header block must arrive within header_timeout_s of the
//     connection (first request) or of the request's first byte (keep-alive),
//     and the body within body_timeout_s after it (408);
//   - Content-Length: digits only, one value (400), at most max_body_bytes
//     (413, refused before the body is read); Transfer-Encoding is refused
//     (411: send a Content-Length);
//   - Authorization, checked on the raw bytes before any decoding: one
//     header, exactly "Bearer " and 64 lower-case hex digits (401);
//   - max_connections open connections in all and max_connections_per_client
//     per client address: beyond, the longest-idle keep-alive connection is
//     closed to make room, and if none is idle the new one gets a 503;
//   - max_requests_per_connection requests on one connection (the last is
//     answered with `Connection: close`); an idle keep-alive connection is
//     closed after idle_timeout_s, a response not taken by the client within
//     write_timeout_s is dropped with its connection.
// Requests on one connection are answered in order, one at a time (pipelined
// requests wait in the buffer); workers take complete requests first come,
// first served, so every connection gets its turn.
//
// The listening socket has SO_REUSEADDR but never SO_REUSEPORT: a second
// server on an occupied port fails to bind instead of sharing it.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "util/error.h"

namespace suanli::service {

struct GateOptions {
  std::size_t max_header_bytes = 64 * 1024;  // request line + headers + blank line
  int max_header_lines = 100;                // header lines (the request line not counted)
  std::size_t max_body_bytes = 1 << 20;      // Content-Length above: 413
  double header_timeout_s = 10;              // whole header block, from the first byte
  double body_timeout_s = 30;                // whole body, from the end of the headers
  double idle_timeout_s = 5;                 // keep-alive connection without a request
  double write_timeout_s = 10;               // a response the client does not read
  int max_connections = 1000;                // open connections in all
  int max_connections_per_client = 256;      // per client address; 0: no per-client limit
  int max_requests_per_connection = 1000;    // then `Connection: close`
  int threads = 16;                          // worker threads (complete requests only)
};

// A refusal decided by the gate itself (never reaches the router).
struct GateRefusal {
  int status = 400;
  std::string code;     // JSON error code, e.g. "header_too_large"
  std::string message;  // for people; valid UTF-8, no echo of request bytes
};

// Where one request lies in the connection's buffer.
struct RequestFrame {
  std::size_t header_bytes = 0;  // request line up to and including the blank line
  std::size_t body_bytes = 0;    // Content-Length (0 without one)
  bool expect_continue = false;  // "Expect: 100-continue" was sent
  // Byte ranges [first, second) of header lines the gate has handled and
  // that the parser must not see again (Expect).
  std::vector<std::pair<std::size_t, std::size_t>> strip;
  std::size_t total() const { return header_bytes + body_bytes; }
};

// Incremental framing and limit checks of one request over the bytes
// buffered for a connection. Pure (no sockets): feed it the same buffer
// again as it grows; it resumes where it stopped.
class RequestScanner {
 public:
  enum class State { kNeedMore, kComplete, kRefused };
  explicit RequestScanner(const GateOptions& options) : options_(&options) {}
  // `buffered` starts at the request's first byte; each call passes the
  // previous bytes unchanged, plus any new ones.
  State scan(std::string_view buffered);
  bool headers_done() const { return headers_done_; }
  const RequestFrame& frame() const { return frame_; }
  const GateRefusal& refusal() const { return refusal_; }
  void reset();  // for the next request on the connection

 private:
  State refuse(int status, std::string code, std::string message);
  State header_line(std::string_view line, std::size_t begin, std::size_t end);

  const GateOptions* options_;
  std::size_t next_line_ = 0;  // offset of the first line not yet scanned
  int lines_ = 0;              // header lines scanned (not the request line)
  bool headers_done_ = false;
  bool has_length_ = false;
  bool has_authorization_ = false;
  RequestFrame frame_;
  GateRefusal refusal_;
  State state_ = State::kNeedMore;
};

// True when `value` (raw header bytes, spaces trimmed) is "Bearer " and 64
// lower-case hex digits: the only spelling of a token.
bool is_canonical_bearer(std::string_view value);

// A full HTTP/1.1 response with a JSON error body and `Connection: close`.
std::string gate_error_response(const GateRefusal& refusal);

// One complete request handed to a worker, and where its answer goes.
struct Exchange {
  std::string_view request;  // the whole request (Expect lines removed)
  std::string* response;     // append the response bytes here
  std::string_view peer_ip;
  int peer_port = 0;
  std::string_view local_ip;
  int local_port = 0;
  bool last = false;  // answer with `Connection: close`
};
// Answers one request; returns false when the connection must close after
// the response (a parse error, `Connection: close`, HTTP/1.0).
using ExchangeHandler = std::function<bool(Exchange&)>;

class Gate {
 public:
  Gate(GateOptions options, ExchangeHandler handler);
  ~Gate();
  Gate(const Gate&) = delete;
  Gate& operator=(const Gate&) = delete;

  // Binds and listens (backlog SOMAXCONN); port 0 picks a free port.
  Result<void> listen(const std::string& host, int port);
  int port() const;
  // Serves until stop(); then lets queued requests finish, sends what it
  // can of their responses and closes every connection.
  Result<void> run();
  void stop();  // any thread, any time (also before run())

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace suanli::service

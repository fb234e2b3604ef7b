// The gate's request framing and limit checks, without sockets: where a
// request ends, what is refused before any parsing, and the media-type and
// credential spellings the HTTP layer accepts.
#include "service/http_gate.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

#include "service/http_server.h"

namespace suanli::service {
namespace {

using State = RequestScanner::State;

const std::string kToken(64, 'a');

struct Scan {
  State state;
  RequestFrame frame;
  GateRefusal refusal;
};

Scan scan_whole(const std::string& bytes, const GateOptions& o = {}) {
  RequestScanner s(o);
  const State st = s.scan(bytes);
  return {st, s.frame(), s.refusal()};
}

TEST(RequestScanner, FindsTheEndOfHeadersAndBody) {
  const std::string head = "POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\n";
  auto r = scan_whole(head + "hello" + "GET /next HTTP/1.1\r\n");
  ASSERT_EQ(r.state, State::kComplete);
  EXPECT_EQ(r.frame.header_bytes, head.size());
  EXPECT_EQ(r.frame.body_bytes, 5u);
  EXPECT_EQ(r.frame.total(), head.size() + 5);
  EXPECT_EQ(scan_whole(head + "hel").state, State::kNeedMore);
  EXPECT_EQ(scan_whole("GET / HTTP/1.1\r\nHost: a\r\n").state, State::kNeedMore);
  EXPECT_EQ(scan_whole("GET / HTTP/1.1\r\n\r\n").state, State::kComplete);
}

TEST(RequestScanner, ByteByByteGivesTheSameFrame) {
  const std::string req =
      "PUT /a HTTP/1.1\r\nContent-Length: 3\r\nExpect: 100-continue\r\nX: y\r\n\r\nabc";
  GateOptions o;
  RequestScanner s(o);
  std::string buf;
  State st = State::kNeedMore;
  for (char c : req) {
    ASSERT_EQ(st, State::kNeedMore) << "complete before the last byte, at " << buf.size();
    buf += c;
    st = s.scan(buf);
  }
  ASSERT_EQ(st, State::kComplete);
  EXPECT_EQ(s.frame().total(), req.size());
  EXPECT_TRUE(s.frame().expect_continue);
  ASSERT_EQ(s.frame().strip.size(), 1u);
  EXPECT_EQ(req.substr(s.frame().strip[0].first,
                       s.frame().strip[0].second - s.frame().strip[0].first),
            "Expect: 100-continue\r\n");
}

TEST(RequestScanner, HeaderLineCountAndSizeAreBounded) {
  GateOptions o;
  o.max_header_lines = 100;
  o.max_header_bytes = 64 * 1024;
  auto with_lines = [](int n) {
    std::string r = "GET / HTTP/1.1\r\n";
    for (int i = 0; i < n; ++i) r += "X-" + std::to_string(i) + ": v\r\n";
    return r + "\r\n";
  };
  EXPECT_EQ(scan_whole(with_lines(100), o).state, State::kComplete);
  auto over = scan_whole(with_lines(101), o);
  EXPECT_EQ(over.state, State::kRefused);
  EXPECT_EQ(over.refusal.status, 431);
  // Too many bytes: refused as soon as the limit is passed, even mid-line
  // and without a blank line in sight (57 MB of headers used to be read).
  auto big = scan_whole("GET / HTTP/1.1\r\nX: " + std::string(70 * 1024, 'a'), o);
  EXPECT_EQ(big.state, State::kRefused);
  EXPECT_EQ(big.refusal.status, 431);
}

TEST(RequestScanner, AmbiguousFramingIsRefused) {
  auto status = [](const std::string& headers) {
    auto r = scan_whole("POST / HTTP/1.1\r\n" + headers + "\r\n");
    return r.state == State::kRefused ? r.refusal.status : 0;
  };
  EXPECT_EQ(status("Content-Length: 5\r\nContent-Length: 6\r\n"), 400);
  EXPECT_EQ(status("Content-Length: 5\r\nContent-Length: 5\r\n"), 0);
  EXPECT_EQ(status("Content-Length: +5\r\n"), 400);
  EXPECT_EQ(status("Content-Length: 5x\r\n"), 400);
  EXPECT_EQ(status("Content-Length: 99999999999999999999999\r\n"), 400);
  EXPECT_EQ(status("Content-Length: 2000000\r\n"), 413);
  EXPECT_EQ(status("Transfer-Encoding: chunked\r\n"), 411);
  EXPECT_EQ(status("Content-Encoding: gzip\r\n"), 415);
  EXPECT_EQ(status("Content-Length : 5\r\n"), 400) << "a space before the colon";
  EXPECT_EQ(status("X: a\r\n continued\r\n"), 400) << "obs-fold";
  EXPECT_EQ(status("no colon here\r\n"), 400);
  EXPECT_EQ(status(std::string("X: a\0b\r\n", 8)), 400);
  EXPECT_EQ(status("X: a\rb\r\n"), 400);
  EXPECT_EQ(status("Expect: something\r\n"), 417);
  // A line ending in a bare LF would be skipped by the parser and hide a
  // header from one side: refused.
  EXPECT_EQ(scan_whole("GET / HTTP/1.1\r\nContent-Length: 5\n\r\n").refusal.status, 400);
  EXPECT_EQ(scan_whole("GET / HTTP/1.1\n\r\n").refusal.status, 400);
}

TEST(RequestScanner, AuthorizationIsCheckedOnTheRawBytes) {
  auto status = [](const std::string& value) {
    auto r = scan_whole("GET / HTTP/1.1\r\nAuthorization: " + value + "\r\n\r\n");
    return r.state == State::kRefused ? r.refusal.status : 0;
  };
  EXPECT_EQ(status("Bearer " + kToken), 0);
  EXPECT_EQ(status("Bearer " + kToken + "  "), 0) << "trailing spaces are not part of a value";
  std::string encoded;
  for (char c : kToken) encoded += "%" + fmt::format("{:02x}", c);
  EXPECT_EQ(status("Bearer " + encoded), 401);
  EXPECT_EQ(status("Bearer %61" + kToken.substr(1)), 401);
  EXPECT_EQ(status("Bearer " + kToken + "%00"), 401);
  EXPECT_EQ(status("Bearer " + kToken + std::string(1, '\0')), 401);
  EXPECT_EQ(status("Bearer " + kToken + std::string(1, '\0') + "junk"), 401);
  EXPECT_EQ(status("bearer " + kToken), 401);
  EXPECT_EQ(status("Bearer  " + kToken), 401);
  EXPECT_EQ(status("Bearer " + std::string(64, 'A')), 401) << "upper-case hex";
  EXPECT_EQ(status("Basic abc"), 401);
  auto twice = scan_whole("GET / HTTP/1.1\r\nAuthorization: Bearer " + kToken +
                          "\r\nAuthorization: Bearer " + kToken + "\r\n\r\n");
  EXPECT_EQ(twice.refusal.status, 401);
}

TEST(RequestScanner, ResetStartsTheNextRequest) {
  GateOptions o;
  RequestScanner s(o);
  ASSERT_EQ(s.scan("GET / HTTP/1.1\r\nContent-Length: 9999999\r\n\r\n"), State::kRefused);
  s.reset();
  EXPECT_EQ(s.scan("GET / HTTP/1.1\r\n\r\n"), State::kComplete);
}

TEST(GateErrorResponse, IsACompleteJsonResponseThatCloses) {
  const std::string r = gate_error_response({431, "too_many_headers", "more than 100"});
  EXPECT_TRUE(r.starts_with("HTTP/1.1 431 Request Header Fields Too Large\r\n")) << r;
  EXPECT_NE(r.find("Connection: close\r\n"), std::string::npos);
  const auto body = r.substr(r.find("\r\n\r\n") + 4);
  EXPECT_NE(r.find("Content-Length: " + std::to_string(body.size()) + "\r\n"), std::string::npos);
  auto j = nlohmann::json::parse(body, nullptr, false);
  ASSERT_TRUE(j.is_object()) << body;
  EXPECT_EQ(j["error"]["code"], "too_many_headers");
}

TEST(JsonMediaType, OnlyApplicationJsonWithAnUtf8Charset) {
  for (const char* ok : {"application/json", "Application/JSON", "application/json; charset=utf-8",
                         "application/json;charset=UTF-8", "application/json; charset=\"utf-8\"",
                         " application/json ", "application/json;"})
    EXPECT_TRUE(is_json_media_type(ok)) << ok;
  for (const char* bad :
       {"", "text/plain; charset=application/json", "application/jsonx", "application/json-seq",
        "xapplication/json", "application/json; charset=latin1", "application/json; boundary=x",
        "application/json; charset", "text/plain", "application/x-www-form-urlencoded",
        "application / json"})
    EXPECT_FALSE(is_json_media_type(bad)) << bad;
}

}  // namespace
}  // namespace suanli::service

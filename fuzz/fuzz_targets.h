// The fuzz targets' bodies, shared by the libFuzzer binaries (`make fuzz`,
// clang) and the regression test that replays every saved crash input in
// `make test` (fuzz/regressions/<target>/*). Each returns 0; a bug shows as
// a sanitizer report, an uncaught exception, or an abort() on a broken
// contract (a 5xx answer, an error without a JSON body).
#pragma once

#include <cstddef>
#include <cstdint>

namespace suanli::fuzz {

// The simulator and planner scenario parsers (TOML text).
int scenario_parser(const std::uint8_t* data, std::size_t size);
// The Alibaba openb trace CSV readers (node list and pod list).
int trace_csv(const std::uint8_t* data, std::size_t size);
// The API request decoder: Service::handle on a route picked by the first
// byte, with the rest as the body (or a raw path when the first byte is 0xff).
int api_request(const std::uint8_t* data, std::size_t size);
// Raw bytes as an HTTP/1.1 request to a real `suanli serve` (HttpServer +
// Service on a loopback port, cpp-httplib's own request parser, the
// transport limits and every route): "@W@" and "@R@" in the input become
// the write and the read-only token. The contract: the server answers (or
// closes) within 10 s, never with a 5xx, and an /api error has a JSON body.
int http_request(const std::uint8_t* data, std::size_t size);

}  // namespace suanli::fuzz

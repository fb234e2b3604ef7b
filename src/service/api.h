// The service's request and response values and the strict JSON field
// reader every handler decodes its body with. Handlers are plain functions
// from ApiRequest to ApiResponse: no HTTP library below this line, so the
// whole API runs in-process in tests and fuzzers. Errors are JSON bodies
// {"error": {"code": "...", "message": "...", "field": "..."}} with the
// HTTP status the error code maps to.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "util/bounded_json.h"
#include "util/error.h"

namespace suanli::service {

enum class Method { kGet, kPost, kPut, kDelete };
std::string_view method_name(Method m);

// Who is calling: set by the HTTP layer from the bearer token.
struct Principal {
  std::int64_t token_id = 0;  // 0: anonymous
  std::string name;
  bool can_write = false;
};

struct ApiRequest {
  Method method = Method::kGet;
  std::string path;                           // "/api/v1/runs/12"
  std::map<std::string, std::string> params;  // path parameters: {"id": "12"}
  std::map<std::string, std::string> query;   // ?after=10&limit=50
  std::string body;                           // raw body (JSON for POST/PUT)
  Principal principal;
};

struct ApiResponse {
  int status = 200;
  nlohmann::json body;             // sent as JSON unless `raw` is set
  std::optional<std::string> raw;  // a non-JSON body (HTML, CSV)
  std::string content_type = "application/json";
};

// HTTP status for an error code: 400 invalid/parse/unsupported/infeasible,
// 404 not found, 409 conflict, 401 unauthorized, 499 cancelled, 500 io.
int http_status(ErrorCode code);
// {"error": {"code": "invalid_argument", "message": ..., "field": ...}}
ApiResponse error_response(const Error& error, std::string_view field = {});
ApiResponse error_response(int status, std::string_view code, std::string_view message,
                           std::string_view field = {});
ApiResponse json_response(nlohmann::json body, int status = 200);

// Parses a request body that must be one JSON object, within
// request_json_limits() (depth, value count, size; no repeated keys, no
// number that overflows a double), without recursion on the input: a
// deeply nested body is a 400 before anything walks it.
Result<nlohmann::json> parse_json_object(std::string_view body);
const JsonLimits& request_json_limits();

// Identifiers (scenario names, tenants, node names, catalog IDs given by
// users): 1–128 characters of [A-Za-z0-9._:/-], starting with a letter or
// digit. Anything else (quotes, spaces, semicolons, control characters) is
// refused with a message naming the field.
Result<void> check_identifier(std::string_view value, std::string_view field);

// Reads one JSON object strictly: every key must be known (call the getters
// for all keys the handler accepts, then finish()), every value the right
// type. Messages name the field path, e.g. "body.devices: expected an
// integer, got string".
class FieldReader {
 public:
  // `where` prefixes field names in messages ("body", "body.options").
  static Result<FieldReader> object(const nlohmann::json& value, std::string where);

  Result<std::optional<std::string>> opt_string(std::string_view key);
  Result<std::string> req_string(std::string_view key);
  // As opt_string/req_string, and check_identifier() on the value.
  Result<std::optional<std::string>> opt_identifier(std::string_view key);
  Result<std::string> req_identifier(std::string_view key);
  Result<std::optional<std::int64_t>> opt_int(std::string_view key);
  Result<std::int64_t> req_int(std::string_view key);
  Result<std::optional<double>> opt_number(std::string_view key);
  Result<double> req_number(std::string_view key);
  Result<std::optional<bool>> opt_bool(std::string_view key);
  // Any JSON value (object, array…) for the caller to decode further.
  std::optional<nlohmann::json> opt_value(std::string_view key);
  Result<std::optional<std::vector<std::string>>> opt_string_array(std::string_view key);

  // Fails naming the first key no getter asked for.
  Result<void> finish() const;
  const std::string& where() const { return where_; }
  std::string field(std::string_view key) const { return where_ + "." + std::string(key); }
  // "body.key: message" (kInvalidArgument), for util/field_read.h.
  Error field_error(std::string_view key, std::string_view message) const {
    return Error{ErrorCode::kInvalidArgument, field(key) + ": " + std::string(message)};
  }

 private:
  FieldReader(const nlohmann::json& value, std::string where)
      : value_(&value), where_(std::move(where)) {}
  const nlohmann::json* find(std::string_view key);
  const nlohmann::json* value_;
  std::string where_;
  std::vector<std::string> seen_;
};

// A query parameter as a bounded integer (absent: `fallback`).
Result<std::int64_t> query_int(const ApiRequest& request, std::string_view key,
                               std::int64_t fallback, std::int64_t min, std::int64_t max);

}  // namespace suanli::service

#include "service/api.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>

#include "util/strings.h"

namespace suanli::service {

std::string_view method_name(Method m) {
  switch (m) {
    case Method::kGet:
      return "GET";
    case Method::kPost:
      return "POST";
    case Method::kPut:
      return "PUT";
    case Method::kDelete:
      return "DELETE";
  }
  return "GET";
}

int http_status(ErrorCode code) {
  switch (code) {
    case ErrorCode::kInvalidArgument:
    case ErrorCode::kParse:
    case ErrorCode::kUnsupported:
    case ErrorCode::kInfeasible:
      return 400;
    case ErrorCode::kNotFound:
      return 404;
    case ErrorCode::kConflict:
      return 409;
    case ErrorCode::kUnauthorized:
      return 401;
    case ErrorCode::kCancelled:
      return 499;
    case ErrorCode::kIo:
      return 500;
  }
  return 500;
}

namespace {

std::string code_slug(ErrorCode code) {
  std::string s = error_code_name(code);
  std::replace(s.begin(), s.end(), ' ', '_');
  std::replace(s.begin(), s.end(), '/', '_');
  return s;
}

std::string type_name(const nlohmann::json& v) {
  if (v.is_null()) return "null";
  if (v.is_boolean()) return "boolean";
  if (v.is_number_integer() || v.is_number_unsigned()) return "integer";
  if (v.is_number()) return "number";
  if (v.is_string()) return "string";
  if (v.is_array()) return "array";
  return "object";
}

std::unexpected<Error> wrong_type(const std::string& field, std::string_view expected,
                                  const nlohmann::json& got) {
  return fail(ErrorCode::kInvalidArgument,
              fmt::format("{}: expected {}, got {}", field, expected, type_name(got)));
}

}  // namespace

ApiResponse error_response(int status, std::string_view code, std::string_view message,
                           std::string_view field) {
  ApiResponse r;
  r.status = status;
  // Messages may quote input (a file's bytes, a path): always valid UTF-8,
  // so building and sending the body cannot throw.
  nlohmann::json e = {{"code", code}, {"message", valid_utf8(message)}};
  if (!field.empty()) e["field"] = valid_utf8(field);
  r.body = {{"error", std::move(e)}};
  return r;
}

ApiResponse error_response(const Error& error, std::string_view field) {
  return error_response(http_status(error.code), code_slug(error.code), error.message, field);
}

ApiResponse json_response(nlohmann::json body, int status) {
  ApiResponse r;
  r.status = status;
  r.body = std::move(body);
  return r;
}

Result<nlohmann::json> parse_json_object(std::string_view body) {
  SUANLI_ASSIGN(nlohmann::json j, parse_bounded_json(body, "body", request_json_limits()));
  if (!j.is_object()) return wrong_type("body", "a JSON object", j);
  return j;
}

const JsonLimits& request_json_limits() {
  static constexpr JsonLimits kLimits{.max_bytes = std::size_t{8} << 20,
                                      .max_depth = 32,
                                      .max_values = std::size_t{1} << 18};
  return kLimits;
}

Result<void> check_identifier(std::string_view value, std::string_view field) {
  if (value.empty() || value.size() > 128) {
    return fail(ErrorCode::kInvalidArgument,
                fmt::format("{}: must be 1 to 128 characters, got {}", field, value.size()));
  }
  auto ok = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '_' || c == ':' || c == '/' || c == '-';
  };
  const char first = value.front();
  if (!((first >= 'a' && first <= 'z') || (first >= 'A' && first <= 'Z') ||
        (first >= '0' && first <= '9'))) {
    return fail(ErrorCode::kInvalidArgument,
                fmt::format("{}: must start with a letter or digit", field));
  }
  for (char c : value) {
    if (!ok(c)) {
      return fail(ErrorCode::kInvalidArgument,
                  fmt::format("{}: character {:?} not allowed (letters, digits and . _ : / - only)",
                              field, std::string(1, c)));
    }
  }
  return {};
}

Result<FieldReader> FieldReader::object(const nlohmann::json& value, std::string where) {
  if (!value.is_object()) return wrong_type(where, "an object", value);
  return FieldReader(value, std::move(where));
}

const nlohmann::json* FieldReader::find(std::string_view key) {
  seen_.emplace_back(key);
  auto it = value_->find(key);
  if (it == value_->end() || it->is_null()) return nullptr;
  return &*it;
}

Result<std::optional<std::string>> FieldReader::opt_string(std::string_view key) {
  const auto* v = find(key);
  if (!v) return std::optional<std::string>{};
  if (!v->is_string()) return wrong_type(field(key), "a string", *v);
  return std::optional<std::string>(v->get<std::string>());
}

Result<std::string> FieldReader::req_string(std::string_view key) {
  SUANLI_ASSIGN(auto v, opt_string(key));
  if (!v) return fail(ErrorCode::kInvalidArgument, fmt::format("{}: required", field(key)));
  return *v;
}

Result<std::optional<std::string>> FieldReader::opt_identifier(std::string_view key) {
  SUANLI_ASSIGN(auto v, opt_string(key));
  if (v) SUANLI_TRY(check_identifier(*v, field(key)));
  return v;
}

Result<std::string> FieldReader::req_identifier(std::string_view key) {
  SUANLI_ASSIGN(auto v, req_string(key));
  SUANLI_TRY(check_identifier(v, field(key)));
  return v;
}

Result<std::optional<std::int64_t>> FieldReader::opt_int(std::string_view key) {
  const auto* v = find(key);
  if (!v) return std::optional<std::int64_t>{};
  if (v->is_number_integer()) return std::optional<std::int64_t>(v->get<std::int64_t>());
  if (v->is_number_unsigned()) {
    const auto u = v->get<std::uint64_t>();
    if (u > static_cast<std::uint64_t>(INT64_MAX))
      return fail(ErrorCode::kInvalidArgument, fmt::format("{}: out of range", field(key)));
    return std::optional<std::int64_t>(static_cast<std::int64_t>(u));
  }
  return wrong_type(field(key), "an integer", *v);
}

Result<std::int64_t> FieldReader::req_int(std::string_view key) {
  SUANLI_ASSIGN(auto v, opt_int(key));
  if (!v) return fail(ErrorCode::kInvalidArgument, fmt::format("{}: required", field(key)));
  return *v;
}

Result<std::optional<double>> FieldReader::opt_number(std::string_view key) {
  const auto* v = find(key);
  if (!v) return std::optional<double>{};
  if (!v->is_number()) return wrong_type(field(key), "a number", *v);
  return std::optional<double>(v->get<double>());
}

Result<double> FieldReader::req_number(std::string_view key) {
  SUANLI_ASSIGN(auto v, opt_number(key));
  if (!v) return fail(ErrorCode::kInvalidArgument, fmt::format("{}: required", field(key)));
  return *v;
}

Result<std::optional<bool>> FieldReader::opt_bool(std::string_view key) {
  const auto* v = find(key);
  if (!v) return std::optional<bool>{};
  if (!v->is_boolean()) return wrong_type(field(key), "true or false", *v);
  return std::optional<bool>(v->get<bool>());
}

std::optional<nlohmann::json> FieldReader::opt_value(std::string_view key) {
  const auto* v = find(key);
  if (!v) return std::nullopt;
  return *v;
}

Result<std::optional<std::vector<std::string>>> FieldReader::opt_string_array(
    std::string_view key) {
  const auto* v = find(key);
  if (!v) return std::optional<std::vector<std::string>>{};
  if (!v->is_array()) return wrong_type(field(key), "an array of strings", *v);
  std::vector<std::string> out;
  for (std::size_t i = 0; i < v->size(); ++i) {
    const auto& e = (*v)[i];
    if (!e.is_string()) return wrong_type(fmt::format("{}[{}]", field(key), i), "a string", e);
    out.push_back(e.get<std::string>());
  }
  return std::optional<std::vector<std::string>>(std::move(out));
}

Result<void> FieldReader::finish() const {
  for (const auto& [key, v] : value_->items()) {
    if (std::find(seen_.begin(), seen_.end(), key) == seen_.end()) {
      std::string known;
      for (const auto& s : seen_) known += (known.empty() ? "" : ", ") + s;
      return fail(ErrorCode::kInvalidArgument,
                  fmt::format("{}: unknown field (known: {})", field(key), known));
    }
  }
  return {};
}

Result<std::int64_t> query_int(const ApiRequest& request, std::string_view key,
                               std::int64_t fallback, std::int64_t min, std::int64_t max) {
  auto it = request.query.find(std::string(key));
  if (it == request.query.end()) return fallback;
  std::int64_t v = 0;
  const auto& s = it->second;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size() || v < min || v > max) {
    return fail(ErrorCode::kInvalidArgument,
                fmt::format("query.{}: expected an integer in [{}, {}], got {:?}", key, min, max,
                            s.substr(0, 40)));
  }
  return v;
}

}  // namespace suanli::service

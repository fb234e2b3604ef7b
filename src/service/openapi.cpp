#include "service/openapi.h"

#include <cctype>
#include <string>

#include "service/compute_api.h"

namespace suanli::service {

namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::vector<std::string> path_params(const std::string& pattern) {
  std::vector<std::string> out;
  std::size_t i = 0;
  while ((i = pattern.find('{', i)) != std::string::npos) {
    const auto j = pattern.find('}', i);
    if (j == std::string::npos) break;
    out.push_back(pattern.substr(i + 1, j - i - 1));
    i = j + 1;
  }
  return out;
}

// "GET /api/v1/catalog/accelerators/{id}" -> "get_api_v1_catalog_accelerators_id"
std::string operation_id(Method m, const std::string& pattern) {
  std::string id = lower(method_name(m));
  for (char c : pattern) {
    if (std::isalnum(static_cast<unsigned char>(c))) {
      id += c;
    } else if (c == '/' || c == '-' || c == '.') {
      if (id.back() != '_') id += '_';
    }
  }
  while (!id.empty() && id.back() == '_') id.pop_back();
  return id;
}

nlohmann::json error_ref(std::string_view description) {
  return {
      {"description", std::string(description)},
      {"content", {{"application/json", {{"schema", {{"$ref", "#/components/schemas/Error"}}}}}}}};
}

}  // namespace

nlohmann::json openapi_document(const Router& router) {
  nlohmann::json paths = nlohmann::json::object();
  for (const auto& r : router.routes()) {
    nlohmann::json op{{"summary", r.summary}, {"operationId", operation_id(r.method, r.pattern)}};
    nlohmann::json params = nlohmann::json::array();
    for (const auto& p : path_params(r.pattern)) {
      params.push_back(
          {{"name", p}, {"in", "path"}, {"required", true}, {"schema", {{"type", "string"}}}});
    }
    if (!params.empty()) op["parameters"] = params;
    const nlohmann::json schema = ComputeApi::request_schema(r.method, r.pattern);
    if (!schema.is_null()) {
      op["requestBody"] = {{"required", true},
                           {"content", {{"application/json", {{"schema", schema}}}}}};
    } else if (r.method == Method::kPost || r.method == Method::kPut) {
      op["requestBody"] = {{"required", false},
                           {"content", {{"application/json", {{"schema", {{"type", "object"}}}}}}}};
    }
    nlohmann::json responses{
        {"200",
         {{"description", "OK"},
          {"content", {{"application/json", {{"schema", nlohmann::json::object()}}}}}}},
        {"400", error_ref("Invalid request (error.field names the field)")},
        {"404", error_ref("Not found")}};
    if (r.access == Access::kWrite) {
      op["security"] = nlohmann::json::array({{{"bearerAuth", nlohmann::json::array()}}});
      responses["401"] = error_ref("Missing, unknown or revoked token");
      responses["403"] = error_ref("The token has no write access");
    }
    op["responses"] = responses;
    paths[r.pattern][lower(method_name(r.method))] = op;
  }
  nlohmann::json error_schema{
      {"type", "object"},
      {"required", {"error"}},
      {"properties",
       {{"error",
         {{"type", "object"},
          {"required", {"code", "message"}},
          {"properties",
           {{"code",
             {{"type", "string"},
              {"description", "invalid_argument, not_found, parse_error, infeasible, …"}}},
            {"message", {{"type", "string"}}},
            {"field",
             {{"type", "string"},
              {"description", "the request field at fault, e.g. body.devices or path.id"}}}}}}}}}};
  return {{"openapi", "3.0.3"},
          {"info",
           {{"title", "suanli API"},
            {"version", "1"},
            {"description",
             "Plans, prices and schedules AI compute. Read routes are open unless the server "
             "requires tokens for reads; write routes need a bearer token with write access."}}},
          {"paths", paths},
          {"components",
           {{"securitySchemes", {{"bearerAuth", {{"type", "http"}, {"scheme", "bearer"}}}}},
            {"schemas", {{"Error", error_schema}}}}}};
}

}  // namespace suanli::service

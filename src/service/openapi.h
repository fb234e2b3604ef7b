// The OpenAPI 3.0.3 description of the service, generated from the route
// table: every route with its method, path parameters, summary and whether
// it needs a bearer token (Access::kWrite), the generic error body, and the
// request-body schemas of the compute routes (ComputeApi::request_schema).
#pragma once

#include <nlohmann/json.hpp>

#include "service/router.h"

namespace suanli::service {

nlohmann::json openapi_document(const Router& router);

}  // namespace suanli::service

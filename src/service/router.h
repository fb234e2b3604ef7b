// Routes of the JSON API: method + path pattern ("/api/v1/runs/{id}") ->
// handler, with the access level the call needs. Each component (compute,
// scenarios, runs, live fleet) adds its own routes; the Service checks the
// caller's access and dispatches; the route table also feeds the OpenAPI
// document's list of paths.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "service/api.h"

namespace suanli::service {

// kRead: open unless the server requires tokens for reads; kWrite: a token
// with write access (every call that changes state or starts work).
enum class Access { kRead, kWrite };

using Handler = std::function<ApiResponse(const ApiRequest&)>;

struct Route {
  Method method = Method::kGet;
  std::string pattern;  // segments; "{name}" matches one segment into params[name]
  Access access = Access::kRead;
  std::string summary;  // one line, for the OpenAPI document
  Handler handler;
};

class Router {
 public:
  void add(Method method, std::string pattern, Access access, std::string summary, Handler handler);

  struct Match {
    const Route* route = nullptr;  // null: no route
    bool path_known = false;       // the path exists with another method (405)
    std::map<std::string, std::string> params;
  };
  Match match(Method method, std::string_view path) const;
  const std::vector<Route>& routes() const { return routes_; }

 private:
  std::vector<Route> routes_;
};

}  // namespace suanli::service

#include "service/router.h"

namespace suanli::service {

namespace {

std::vector<std::string_view> split_path(std::string_view path) {
  std::vector<std::string_view> out;
  std::size_t i = 0;
  while (i < path.size()) {
    while (i < path.size() && path[i] == '/') ++i;
    std::size_t j = i;
    while (j < path.size() && path[j] != '/') ++j;
    if (j > i) out.push_back(path.substr(i, j - i));
    i = j;
  }
  return out;
}

bool match_pattern(std::string_view pattern, std::string_view path,
                   std::map<std::string, std::string>& params) {
  const auto ps = split_path(pattern);
  const auto xs = split_path(path);
  if (ps.size() != xs.size()) return false;
  std::map<std::string, std::string> found;
  for (std::size_t i = 0; i < ps.size(); ++i) {
    if (ps[i].size() > 2 && ps[i].front() == '{' && ps[i].back() == '}') {
      found.emplace(std::string(ps[i].substr(1, ps[i].size() - 2)), std::string(xs[i]));
    } else if (ps[i] != xs[i]) {
      return false;
    }
  }
  params = std::move(found);
  return true;
}

}  // namespace

void Router::add(Method method, std::string pattern, Access access, std::string summary,
                 Handler handler) {
  routes_.push_back({method, std::move(pattern), access, std::move(summary), std::move(handler)});
}

Router::Match Router::match(Method method, std::string_view path) const {
  Match m;
  // Literal segments win over parameters: try routes without "{" first.
  for (int pass = 0; pass < 2; ++pass) {
    for (const auto& r : routes_) {
      const bool literal = r.pattern.find('{') == std::string::npos;
      if ((pass == 0) != literal) continue;
      std::map<std::string, std::string> params;
      if (!match_pattern(r.pattern, path, params)) continue;
      if (r.method != method) {
        m.path_known = true;
        continue;
      }
      m.route = &r;
      m.params = std::move(params);
      return m;
    }
  }
  return m;
}

}  // namespace suanli::service

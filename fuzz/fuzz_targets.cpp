#include "fuzz/fuzz_targets.h"

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include "catalog/catalog.h"
#include "plan/plan_scenario.h"
#include "sched/openb_trace.h"
#include "service/service.h"
#include "sim/scenario.h"
#include "store/store.h"

namespace suanli::fuzz {

namespace {

const Catalog& bundled_catalog() {
  static const Catalog catalog = [] {
    CatalogOptions o;
    o.directories = {std::filesystem::path(SUANLI_DEFAULT_DATA_DIR)};
    auto c = Catalog::load(o);
    if (!c) std::abort();
    return std::move(*c);
  }();
  return catalog;
}

std::string_view as_text(const std::uint8_t* data, std::size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

struct ApiHarness {
  std::filesystem::path dir;
  std::unique_ptr<service::Service> service;
  std::string write_token, read_token;
  ApiHarness() = default;
  ApiHarness(ApiHarness&&) = default;
  ApiHarness& operator=(ApiHarness&&) = delete;
  ApiHarness(const ApiHarness&) = delete;
  ApiHarness& operator=(const ApiHarness&) = delete;
  ~ApiHarness() {
    if (!service) return;  // moved from
    service.reset();       // joins the run workers, closes the store
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }
};

ApiHarness& api_harness() {
  static ApiHarness h = [] {
    ApiHarness a;
    a.dir = std::filesystem::temp_directory_path() / ("suanli-fuzz-" + std::to_string(::getpid()));
    std::filesystem::remove_all(a.dir);
    std::filesystem::create_directories(a.dir);
    service::ServiceOptions o;
    o.data_dir = a.dir;
    o.db_url = "sqlite:" + (a.dir / "fuzz.db").string();
    o.import_examples = true;  // scenarios 1 and 2 exist for the run routes
    auto s = service::Service::open(o);
    if (!s) std::abort();
    a.service = std::move(*s);
    auto w = a.service->store().create_token("fuzz-writer", true);
    auto r = a.service->store().create_token("fuzz-reader", false);
    if (!w || !r) std::abort();
    a.write_token = w->secret;
    a.read_token = r->secret;
    return a;
  }();
  return h;
}

}  // namespace

int scenario_parser(const std::uint8_t* data, std::size_t size) {
  const std::string_view text = as_text(data, size);
  const auto& catalog = bundled_catalog();
  (void)parse_scenario(text, "fuzz.toml", catalog);
  (void)parse_plan_scenario(text, "fuzz.toml", catalog);
  return 0;
}

int trace_csv(const std::uint8_t* data, std::size_t size) {
  const std::string_view text = as_text(data, size);
  ReadOptions strict;
  ReadOptions lenient;
  lenient.skip_bad_rows = true;
  (void)parse_openb_nodes(text, "fuzz-nodes.csv", strict);
  (void)parse_openb_nodes(text, "fuzz-nodes.csv", lenient);
  (void)parse_openb_pods(text, "fuzz-pods.csv", {}, strict);
  (void)parse_openb_pods(text, "fuzz-pods.csv", {"A100", "V100M32"}, lenient);
  return 0;
}

int api_request(const std::uint8_t* data, std::size_t size) {
  if (size < 3) return 0;
  auto& h = api_harness();
  const auto& routes = h.service->router().routes();
  service::ApiRequest request;
  std::string_view rest = as_text(data + 3, size - 3);
  if (data[0] == 0xff) {
    const auto nl = rest.find('\n');
    request.path = std::string(rest.substr(0, nl));
    rest = nl == std::string_view::npos ? std::string_view{} : rest.substr(nl + 1);
    request.method = static_cast<service::Method>(data[1] % 4);
  } else {
    const auto& route = routes[data[0] % routes.size()];
    request.method = route.method;
    // {params} become a small number (often an existing ID) or junk.
    const std::string param = data[2] < 200 ? std::to_string(data[2] % 8) : "x%27;--";
    for (std::size_t i = 0; i < route.pattern.size(); ++i) {
      if (route.pattern[i] == '{') {
        i = route.pattern.find('}', i);
        request.path += param;
      } else {
        request.path += route.pattern[i];
      }
    }
  }
  request.body = std::string(rest);
  std::optional<std::string_view> bearer;
  switch (data[1] % 3) {
    case 0:
      break;
    case 1:
      bearer = h.write_token;
      break;
    default:
      bearer = h.read_token;
  }
  // Never cancel or reset what other inputs rely on less than needed: the
  // fleet may be reconfigured by an input, which is fine.
  const service::ApiResponse r = h.service->handle(request, bearer);
  if (r.status >= 500) std::abort();  // the contract: bad input is never a 5xx
  if (r.status >= 400 && !(r.body.is_object() && r.body.contains("error"))) std::abort();
  return 0;
}

}  // namespace suanli::fuzz

#include "service/service.h"

#include <fmt/format.h>

#include <chrono>
#include <exception>

#include "service/catalog_holder.h"
#include "service/compute_api.h"
#include "service/live_fleet.h"
#include "service/metrics.h"
#include "service/openapi.h"
#include "service/runs.h"
#include "service/scenario_api.h"
#include "store/store.h"
#include "util/share_dir.h"
#include "util/strings.h"
#include "util/version.h"

namespace suanli::service {

namespace {

double system_seconds() {
  using std::chrono::duration;
  using std::chrono::system_clock;
  return duration<double>(system_clock::now().time_since_epoch()).count();
}

}  // namespace

Service::~Service() = default;

Result<std::unique_ptr<Service>> Service::open(ServiceOptions options) {
  std::unique_ptr<Service> s(new Service());
  if (!options.clock) options.clock = system_seconds;
  if (options.db_url.empty()) options.db_url = store::default_store_url(options.data_dir);
  if (options.examples_dir.empty()) {
    options.examples_dir = share_dir() / "examples";
  }
  s->options_ = options;

  SUANLI_ASSIGN(s->store_,
                store::Store::open(options.db_url, options.read_only ? store::StoreAccess::kRead
                                                                     : store::StoreAccess::kWrite));

  CatalogOptions catalog_options;
  catalog_options.directories = Catalog::default_directories(options.catalog_dirs);
  SUANLI_ASSIGN(auto bundled, Catalog::load(catalog_options));
  s->catalog_ =
      std::make_unique<CatalogHolder>(std::make_shared<const Catalog>(std::move(bundled)));

  s->compute_ =
      std::make_unique<ComputeApi>(*s->catalog_, s->store_.get(), catalog_options.directories);
  SUANLI_TRY(s->compute_->reload_catalog());
  s->scenarios_ = std::make_unique<ScenarioApi>(*s->store_, *s->catalog_, options.data_dir,
                                               options.trace_dirs);
  for (const Lang lang : all_langs()) {
    SUANLI_ASSIGN(auto messages, Messages::load(lang, bundled_data_dir()));
    s->messages_.emplace(lang, std::move(messages));
  }
  RunManagerOptions run_options;
  run_options.messages = &s->messages_;
  run_options.workers = options.run_workers;
  run_options.data_dir = options.data_dir;
  run_options.trace_dirs = options.trace_dirs;
  run_options.max_runs_per_token = options.max_runs_per_token;
  s->runs_ = std::make_unique<RunManager>(*s->store_, *s->catalog_, run_options);
  s->metrics_ = std::make_unique<Metrics>();
  FleetCore::Options fleet_options;
  fleet_options.on_commit = [metrics = s->metrics_.get()](const FleetEvent& e, const Applied& a,
                                                           double store_seconds) {
    metrics->observe_fleet_commit(e, a, store_seconds);
  };
  SUANLI_ASSIGN(s->fleet_, LiveFleet::open(*s->store_, *s->catalog_, options.clock, fleet_options));

  Router& r = s->router_;
  Service* self = s.get();
  r.add(Method::kGet, "/api/v1/health", Access::kRead, "Service status: version, store, schema",
        [self](const ApiRequest&) {
          auto version = self->store_->schema_version();
          return json_response({{"status", "ok"},
                                {"version", std::string(kSuanliVersion)},
                                {"revision", std::string(git_revision())},
                                {"store", self->store_->backend()},
                                {"schema_version", version ? *version : -1},
                                {"read_requires_token", self->options_.read_requires_token},
                                {"read_only", self->options_.read_only},
                                {"lang", std::string(lang_code(self->options_.lang))}});
        });
  r.add(Method::kGet, "/api/v1/i18n/{lang}", Access::kRead,
        "A language's message catalog for the dashboard (data/i18n/LANG.toml, every table): "
        "{lang, name, messages: {English text: translation}}; en has no messages",
        [self](const ApiRequest& req) { return self->messages_response(req.params.at("lang")); });
  r.add(Method::kGet, "/metrics", Access::kRead,
        "Prometheus metrics (text format 0.0.4): API requests and latency, store writes, the "
        "live fleet's devices, allocation, domestic share against each share rule, queue and "
        "decisions (src/service/metrics.h)",
        [self](const ApiRequest&) { return self->metrics_response(); });
  r.add(Method::kGet, "/api/v1/openapi.json", Access::kRead, "This API as an OpenAPI 3 document",
        [self](const ApiRequest&) { return json_response(self->openapi_); });
  s->compute_->add_routes(r);
  s->scenarios_->add_routes(r);
  s->runs_->add_routes(r);
  s->fleet_->add_routes(r);
  s->openapi_ = openapi_document(r);

  if (!options.read_only) {
    if (options.import_examples) SUANLI_TRY(s->scenarios_->import_examples(options.examples_dir));
    SUANLI_TRY(s->runs_->recover());
  }
  return s;
}

ApiResponse Service::handle(ApiRequest& request, std::optional<std::string_view> bearer) {
  const auto start = std::chrono::steady_clock::now();
  std::string_view route = "unmatched";
  ApiResponse response = dispatch(request, bearer, route);
  metrics_->observe_request(
      route, method_name(request.method), response.status,
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  return response;
}

ApiResponse Service::messages_response(std::string_view code) const {
  for (const auto& [lang, messages] : messages_) {
    if (lang_code(lang) != code) continue;
    nlohmann::json entries = nlohmann::json::object();
    for (const auto& [english, translated] : messages.entries()) entries[english] = translated;
    return json_response(
        {{"lang", std::string(code)}, {"name", messages.name()}, {"messages", std::move(entries)}});
  }
  std::string known;
  for (const Lang lang : all_langs()) known += (known.empty() ? "" : ", ") + std::string(lang_code(lang));
  return error_response(404, "not_found",
                        "no message catalog for this language: expected one of " + known);
}

ApiResponse Service::metrics_response() {
  FleetSnapshot snap;
  if (options_.read_only) (void)fleet_->follow_store();
  const FleetCore& core = fleet_->core();
  if (auto usable = core.usable(); !usable) {
    snap.degraded = usable.error().kind == FleetError::Kind::kUnavailable;
  } else {
    auto summary = core.summary();
    auto nodes = core.nodes();
    auto queue = core.queue();
    if (summary && nodes && queue) {
      snap.configured = summary->configured;
      snap.summary = std::move(*summary);
      snap.nodes = std::move(*nodes);
      snap.queue = std::move(*queue);
    }
  }
  ApiResponse r;
  r.raw = metrics_->render(snap);
  r.content_type = std::string(kMetricsContentType);
  return r;
}

ApiResponse Service::dispatch(ApiRequest& request, std::optional<std::string_view> bearer,
                              std::string_view& route_pattern) {
  try {
    auto match = router_.match(request.method, request.path);
    if (!match.route) {
      if (match.path_known) {
        return error_response(
            405, "method_not_allowed",
            fmt::format("{} is not allowed on {}", method_name(request.method), request.path));
      }
      return error_response(404, "not_found", fmt::format("no route {}", request.path));
    }
    const Route& route = *match.route;
    route_pattern = route.pattern;
    request.params = std::move(match.params);
    request.principal = {};
    if (bearer) {
      auto token = store_->find_token(*bearer);
      if (!token) {
        if (token.error().code == ErrorCode::kNotFound)
          return error_response(401, "unauthorized", "unknown bearer token");
        return error_response(token.error());
      }
      if (token->revoked_at) {
        return error_response(
            403, "forbidden",
            fmt::format("token {} was revoked at {}", token->id, *token->revoked_at));
      }
      request.principal = {token->id, token->name, token->can_write};
    }
    if (route.access == Access::kWrite && options_.read_only) {
      return error_response(503, "read_only",
                            "this server is read-only (suanli serve --read-only): send the change "
                            "to the process that holds the store's writer lock");
    }
    if (options_.read_only && request.path.starts_with("/api/v1/fleet")) {
      if (auto followed = fleet_->follow_store(); !followed) return error_response(followed.error());
    }
    if (route.access == Access::kWrite) {
      if (!bearer)
        return error_response(401, "unauthorized",
                              "this call changes state: send Authorization: Bearer <token> "
                              "(suanli token create NAME)");
      if (!request.principal.can_write)
        return error_response(403, "forbidden",
                              fmt::format("token {} is read-only", request.principal.token_id));
    } else if (options_.read_requires_token && !bearer) {
      return error_response(401, "unauthorized",
                            "this server requires a bearer token for reads too");
    }
    return route.handler(request);
  } catch (const std::exception& e) {
    // The detail (it may name server paths) goes to the operator's log,
    // not to the caller.
    fmt::print(stderr, "suanli serve: internal error on {} {}: {}\n",
               method_name(request.method), valid_utf8(request.path.substr(0, 200)),
               valid_utf8(e.what()));
    return error_response(500, "internal", "internal error (details in the server's log)");
  }
}

void Service::shutdown(std::chrono::milliseconds grace) {
  if (runs_) runs_->shutdown(grace);
}

}  // namespace suanli::service

// The service behind `suanli serve`: one store, the current catalog, and
// the API's components (compute, saved scenarios, asynchronous runs, the
// live fleet) behind one router. handle() is the whole API as a function —
// access check, dispatch, JSON errors — so tests, fuzzers and the HTTP
// layer (http_server.h) all go through the same path.
#pragma once

#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "service/api.h"
#include "service/router.h"
#include "util/error.h"
#include "util/messages.h"

namespace suanli::store {
class Store;
}

namespace suanli::service {

class CatalogHolder;
class ComputeApi;
class ScenarioApi;
class RunManager;
class LiveFleet;
class Metrics;

struct ServiceOptions {
  std::string db_url;                               // "sqlite:PATH" or "postgresql://…"
  std::filesystem::path data_dir = "suanli-data";   // SQLite file and run artefacts
  std::vector<std::filesystem::path> catalog_dirs;  // extra catalog directories
  bool read_requires_token = false;                 // reads need a (read or write) token too
  int run_workers = 1;                              // concurrent simulate/plan/report runs
  bool import_examples = true;         // an empty store gets the bundled example scenarios
  std::filesystem::path examples_dir;  // default: the source tree's examples/
  std::function<double()> clock;       // wall seconds (tests inject one); default system clock
  // Where scenarios run here may read [[traces]] files, besides
  // data_dir/scenarios and $SUANLI_TRACES (runs.h RunManagerOptions).
  std::vector<std::filesystem::path> trace_dirs;
  std::size_t max_runs_per_token = 32;  // queued + running runs of one token (more: 429)
  // Opens the store for reading only (no writer lock, so it runs beside
  // the writer that holds it, e.g. `suanli slurm agent`): every write route
  // answers 503 read_only, no run is recovered or executed, and the live
  // fleet follows the store's new events on each fleet read.
  bool read_only = false;
  // The dashboard's language until a user picks one (GET /api/v1/health
  // "lang"); every language's catalog is served at GET /api/v1/i18n/{lang}.
  Lang lang = Lang::kEn;
};

class Service {
 public:
  static Result<std::unique_ptr<Service>> open(ServiceOptions options);
  ~Service();
  Service(const Service&) = delete;
  Service& operator=(const Service&) = delete;

  // The whole API: finds the route (404/405), resolves the bearer token
  // (absent, unknown: 401; revoked, or read-only on a write: 403), fills
  // request.params and request.principal, and calls the handler. Never
  // throws: a handler's exception becomes a 500 JSON error.
  ApiResponse handle(ApiRequest& request, std::optional<std::string_view> bearer);

  // Stops taking runs, lets running ones finish for up to `grace`, then
  // checkpoints them as "interrupted" (restarted on the next start).
  void shutdown(std::chrono::milliseconds grace);

  const Router& router() const { return router_; }
  // GET /metrics: the Prometheus exposition (metrics.h), the fleet's gauges
  // read now.
  ApiResponse metrics_response();
  // GET /api/v1/i18n/{lang}: the catalog as JSON, or a 404 naming the languages.
  ApiResponse messages_response(std::string_view code) const;
  store::Store& store() { return *store_; }
  const ServiceOptions& options() const { return options_; }

 private:
  Service() = default;
  // handle() without the request metrics; sets `route_pattern` to the
  // matched route's pattern (left alone when none matched).
  ApiResponse dispatch(ApiRequest& request, std::optional<std::string_view> bearer,
                       std::string_view& route_pattern);
  ServiceOptions options_;
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<CatalogHolder> catalog_;
  std::unique_ptr<ComputeApi> compute_;
  std::unique_ptr<ScenarioApi> scenarios_;
  // Every language's catalog, loaded at open; before runs_, which reads it
  // and so must stop first.
  std::map<Lang, Messages> messages_;
  std::unique_ptr<RunManager> runs_;
  std::unique_ptr<Metrics> metrics_;  // before fleet_: the fleet reports to it
  std::unique_ptr<LiveFleet> fleet_;
  Router router_;
  nlohmann::json openapi_;
};

}  // namespace suanli::service

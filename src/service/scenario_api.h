// Saved scenarios over the JSON API: simulation scenarios
// (docs/scenario-format.md) and plan scenarios (docs/plan-format.md) kept
// as TOML text in the store, every update a new version. A scenario is
// checked with its loader against the current catalog before anything is
// stored, so a saved scenario can be run (unless the catalog changes).
//
// Stored scenarios have no file. They are parsed under a pseudo file path,
// scenario_pseudo_path(): <data_dir>/scenarios/<name>.toml. Messages name
// that path with the line; a relative path inside the TOML (a trace's
// `pods`) resolves against <data_dir>/scenarios/ (then $SUANLI_TRACES and
// the shared traces folder, as for files); a plan without [plan].name is
// named after the scenario. docs/runs.md.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "service/catalog_holder.h"
#include "service/router.h"
#include "store/store.h"
#include "util/error.h"

namespace suanli::service {

// Scenario bodies larger than this are refused (400).
inline constexpr std::size_t kMaxScenarioBytes = 4 * 1024 * 1024;

// <data_dir>/scenarios/<name>.toml, with '/' and ':' in the name as '_'.
std::filesystem::path scenario_pseudo_path(const std::filesystem::path& data_dir,
                                           std::string_view name);

// The directories the service reads [[traces]] files from, in order:
// data_dir/scenarios, $SUANLI_TRACES (when set), then `extra` (relative
// paths only, no "..", no symbolic link out: ScenarioLoadOptions).
std::vector<std::filesystem::path> service_trace_dirs(
    const std::filesystem::path& data_dir, const std::vector<std::filesystem::path>& extra = {});

// `message` with every path under `data_dir` made relative to it
// ("/srv/suanli/scenarios/x.toml:3: …" -> "scenarios/x.toml:3: …"): the
// service's messages do not show where its files live.
std::string without_server_paths(std::string_view message, const std::filesystem::path& data_dir);

// Parses `body` with the loader of `kind` ("simulate": parse_scenario with
// trace files confined to service_trace_dirs(data_dir, trace_dirs),
// "plan": parse_plan_scenario) under the pseudo path; the loader's error
// (file:line: key: message, paths relative to data_dir) otherwise.
// kInvalidArgument for another kind.
Result<void> validate_scenario(std::string_view kind, std::string_view name, std::string_view body,
                               const Catalog& catalog, const std::filesystem::path& data_dir,
                               const std::vector<std::filesystem::path>& trace_dirs = {});

// {"id", "name", "kind", "version", "created_at", "deleted"} and, with
// `with_body`, "body".
nlohmann::json scenario_json(const store::ScenarioRecord& record, bool with_body);

// Routes (JSON bodies; errors as in api.h):
//   POST   /api/v1/scenarios            {name, kind, body} -> 201 record with body
//   GET    /api/v1/scenarios            -> {"scenarios": [record without body]}
//   GET    /api/v1/scenarios/{id}       [?version=N] -> record with body
//   GET    /api/v1/scenarios/{id}/versions -> {"versions": [record without body]}
//   PUT    /api/v1/scenarios/{id}       {body, expected_version?} -> 200 new version
//   DELETE /api/v1/scenarios/{id}       -> 200 {"deleted": id}
class ScenarioApi {
 public:
  ScenarioApi(store::Store& store, CatalogHolder& catalog, std::filesystem::path data_dir,
              std::vector<std::filesystem::path> trace_dirs = {});

  void add_routes(Router& router);

  // On a store that never held a scenario, saves the bundled examples
  // (hybrid-cloud-2026.toml as "simulate", plan-2027-h200-return.toml as
  // "plan", named after their file stems) and returns how many were saved;
  // 0 when the store has scenarios (or had: a deleted scenario 1 counts) or
  // the files are missing. An example that does not validate is an error.
  Result<int> import_examples(const std::filesystem::path& examples_dir);

  ApiResponse create(const ApiRequest& request);
  ApiResponse list(const ApiRequest& request);
  ApiResponse get(const ApiRequest& request);
  ApiResponse versions(const ApiRequest& request);
  ApiResponse update(const ApiRequest& request);
  ApiResponse remove(const ApiRequest& request);

 private:
  store::Store& store_;
  CatalogHolder& catalog_;
  std::filesystem::path data_dir_;
  std::vector<std::filesystem::path> trace_dirs_;  // besides data_dir/scenarios
};

// The {id} path parameter as a positive integer (kInvalidArgument otherwise).
Result<std::int64_t> path_id(const ApiRequest& request, std::string_view name = "id");

}  // namespace suanli::service

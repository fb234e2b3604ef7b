// The live fleet's HTTP adapter (docs/live-fleet.md): the routes under
// /api/v1/fleet over the typed core (fleet_core.h). Each handler decodes
// the request (FieldReader, strict), calls the core, and encodes the answer
// or maps the core's error to a status: FleetError kUnavailable → 503
// "unavailable", kStore → 500 "io", otherwise http_status(code) with the
// error's field. Handlers hold no state and no lock of their own; the core
// serialises. The JSON shapes are the API's (docs/api.md), unchanged.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "service/api.h"
#include "service/catalog_holder.h"
#include "service/fleet_core.h"
#include "service/router.h"
#include "store/store.h"
#include "util/error.h"

namespace suanli::service {

class LiveFleet {
 public:
  using Clock = FleetCore::Clock;

  // FleetCore::open (replays the store; a failed replay opens degraded).
  static Result<std::unique_ptr<LiveFleet>> open(store::Store& store, CatalogHolder& catalog,
                                                 Clock clock, FleetCore::Options options = {});

  // PUT /api/v1/fleet/config, POST /api/v1/fleet/{nodes,jobs,tick},
  // POST /api/v1/fleet/nodes/{name}/{down,up,drain,resume},
  // POST /api/v1/fleet/jobs/{id}/{start,finish,fail}, POST /api/v1/fleet/rules,
  // GET /api/v1/fleet, /api/v1/fleet/{nodes,queue,jobs,audit},
  // GET /api/v1/fleet/jobs/{id}.
  void add_routes(Router& router);

  // The handlers behind the routes (request.params carries {name}/{id}).
  ApiResponse put_config(const ApiRequest& request);
  ApiResponse add_nodes(const ApiRequest& request);
  ApiResponse node_down(const ApiRequest& request);
  ApiResponse node_up(const ApiRequest& request);
  ApiResponse drain_node(const ApiRequest& request);   // cordon: no new placements
  ApiResponse resume_node(const ApiRequest& request);  // undo a drain
  ApiResponse add_rule(const ApiRequest& request);     // a licence shock
  ApiResponse jobs(const ApiRequest& request) const;   // ?state=queued|running|…
  ApiResponse submit_job(const ApiRequest& request);
  ApiResponse start_job(const ApiRequest& request);
  ApiResponse finish_job(const ApiRequest& request);
  ApiResponse fail_job(const ApiRequest& request);
  ApiResponse tick(const ApiRequest& request);
  ApiResponse summary(const ApiRequest& request) const;
  ApiResponse nodes(const ApiRequest& request) const;
  ApiResponse queue(const ApiRequest& request) const;
  ApiResponse job(const ApiRequest& request) const;
  ApiResponse audit(const ApiRequest& request) const;

  FleetCore& core() { return *core_; }
  const FleetCore& core() const { return *core_; }
  std::int64_t event_count() const { return core_->event_count(); }
  std::string problem() const { return core_->problem(); }
  // FleetCore::follow_store (a read-only server following another writer).
  Result<void> follow_store() { return core_->follow_store(); }

 private:
  explicit LiveFleet(std::unique_ptr<FleetCore> core) : core_(std::move(core)) {}
  ApiResponse node_event(const ApiRequest& request, NodeChange change);
  ApiResponse job_event(const ApiRequest& request, JobReport report);

  std::unique_ptr<FleetCore> core_;
};

// The request bodies as the JSON API takes them (strict: unknown keys and
// wrong types are refused, naming the field). Shared with the Slurm agent,
// whose JOB.toml carries the POST /api/v1/fleet/jobs body.
Result<JobRequest> decode_job_request(const nlohmann::json& body);
Result<RuleRequest> decode_rule_request(const nlohmann::json& body);
Result<NodesRequest> decode_nodes_request(const nlohmann::json& body);

// The answers' JSON (the API's shapes), for the CLI.
nlohmann::json summary_json(const SummaryView& view);
nlohmann::json job_json(const JobView& view);
nlohmann::json applied_json(const Applied& applied);
// A core error as the API answers it.
ApiResponse fleet_error_response(const FleetError& error);

}  // namespace suanli::service

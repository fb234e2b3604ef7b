// The live fleet: the simulator's scheduling core driven by real events
// from an operator's cluster (docs/live-fleet.md). Event sourcing: every
// accepted mutation is decoded and validated, applied to the scheduler
// (followed by schedule(now)), and then stored with the decisions it caused
// in one store transaction before the caller gets an answer. Opening
// replays the stored events into a fresh scheduler and checks that it
// reproduces the stored decisions exactly, so the state after a restart or
// a crash is the state before it. When a store write fails the in-memory
// state is rebuilt from the store (memory never runs ahead of disk) and the
// caller gets a 500. The log is append-only: a config is one event (one
// transaction) that starts a new epoch, and replay starts at the last one.
// Job defaults go through sched's job_sensitivity (the tenant's declared
// sensitivity is the floor). One mutex serialises mutations and reads.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include "service/api.h"
#include "service/catalog_holder.h"
#include "service/router.h"
#include "store/store.h"
#include "util/error.h"

namespace suanli::service {

class LiveFleet {
 public:
  // Wall-clock seconds (any fixed origin); tests inject a fake.
  using Clock = std::function<double()>;

  // Replays the stored fleet events from the last config on. When the
  // store cannot be read, an event no longer applies or the replay's
  // decisions differ from the stored ones, the fleet still opens, degraded:
  // problem() says why, fleet calls answer 503 naming it, the audit stays
  // readable, and PUT /api/v1/fleet/config (a new epoch) recovers. Fails
  // only without a clock. Registers a reference check with `catalog` (the
  // fleet's accelerator types) for the catalog's "in use" refusals.
  static Result<std::unique_ptr<LiveFleet>> open(store::Store& store, CatalogHolder& catalog,
                                                 Clock clock);
  ~LiveFleet();
  LiveFleet(const LiveFleet&) = delete;
  LiveFleet& operator=(const LiveFleet&) = delete;

  // PUT /api/v1/fleet/config, POST /api/v1/fleet/{nodes,jobs,tick},
  // POST /api/v1/fleet/nodes/{name}/{down,up},
  // POST /api/v1/fleet/jobs/{id}/{start,finish,fail},
  // POST /api/v1/fleet/nodes/{name}/{drain,resume}, POST /api/v1/fleet/rules,
  // GET /api/v1/fleet/jobs,
  // GET /api/v1/fleet, /api/v1/fleet/{nodes,queue,audit},
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

  // Events accepted since the last config (the config included).
  std::int64_t event_count() const;
  // Why the fleet is degraded (the last replay's failure); empty when healthy.
  std::string problem() const;

  struct State;

 private:
  LiveFleet(store::Store& store, CatalogHolder& catalog, Clock clock);
  Result<void> rebuild();  // replay the store into a fresh state
  ApiResponse mutate(const nlohmann::json& event, int status);
  ApiResponse job_event(const ApiRequest& request, std::string_view kind);
  ApiResponse node_event(const ApiRequest& request, std::string_view type);

  store::Store* store_;
  CatalogHolder* catalog_;
  Clock clock_;
  mutable std::mutex mutex_;
  std::unique_ptr<State> state_;
};

}  // namespace suanli::service

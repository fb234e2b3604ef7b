// The live fleet's typed core (docs/live-fleet.md): the simulator's
// scheduler driven by real events, event-sourced into the store, with no
// HTTP in it. live_fleet.h is its HTTP adapter, slurm/agent.h calls it
// directly.
//
// Contract:
// - Every mutation is validated, turned into one typed FleetEvent, applied
//   by the one apply path (followed by schedule(t)) and stored with the
//   decisions it caused in one store transaction before it returns. Replay
//   decodes the stored text with the same codec and applies it with the same
//   apply path (LevelDB's WriteBatch + Handler), and checks that it
//   reproduces the stored decisions exactly.
// - The stored text is encode_event(): byte-compatible with every store
//   written so far (nlohmann::json's sorted-key dump of the same fields).
// - Memory never runs ahead of the store: when a store write fails the
//   state is rebuilt from the store and the call fails (FleetError::kStore).
// - A replay that fails (an unreadable store, an event that no longer
//   applies, different decisions) opens the fleet degraded: problem() says
//   why, every fleet call fails with FleetError::kUnavailable, the audit
//   stays readable and configure() (a new epoch) recovers. Mutations retry
//   the replay first.
// - The log is append-only: a config is one event that starts a new epoch;
//   replay starts at the last one.
// - One mutex serialises mutations and reads. Errors are values; messages
//   name the request field as the JSON API spells it ("body.devices: …"),
//   and FleetError::field names it for the adapter.
#pragma once

#include <cstdint>
#include <expected>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <variant>
#include <vector>

#include "sched/job.h"
#include "sched/rules.h"
#include "service/catalog_holder.h"
#include "service/fleet_event.h"
#include "store/store.h"
#include "util/error.h"

namespace suanli::service {

// ---- errors -----------------------------------------------------------------

// An Error with what an adapter needs beyond its code: the request field it
// is about, and whether the fleet is unavailable (degraded) or the store
// failed. Converts to and from Error, so SUANLI_TRY works both ways.
struct FleetError : Error {
  enum class Kind { kPlain, kUnavailable, kStore };
  Kind kind = Kind::kPlain;
  std::string field;

  FleetError() = default;
  FleetError(Error e, std::string f = {}, Kind k = Kind::kPlain)  // NOLINT: implicit
      : Error(std::move(e)), kind(k), field(std::move(f)) {}
};
template <class T>
using FleetResult = std::expected<T, FleetError>;

// ---- requests and answers ----------------------------------------------------

struct NodesRequest {
  std::string site, accelerator;
  std::int64_t nodes = 0;
  std::optional<std::int64_t> devices_per_node, scale_up_domain;
  std::optional<std::string> name_prefix;
};
struct RuleRequest {
  std::string id, kind, accelerator;
  std::optional<double> within_hours;
};
struct JobRequest {
  std::string name, tenant;
  std::optional<std::string> kind, sensitivity, reference, script;
  std::optional<std::int64_t> priority, devices, tp, gpu_milli;
  std::optional<double> checkpoint_interval_s, duration_hours;
  // Hours per accelerator, in the order given; nullopt: not a number. An
  // empty list: not a non-empty object.
  std::optional<std::vector<std::pair<std::string, std::optional<double>>>> durations_hours;
};

// What one stored event did.
struct Applied {
  std::int64_t seq = 0;
  SimTime t = 0;
  std::vector<std::string> decisions;  // JSON text each, as in the audit
};
struct NodesAdded {
  Applied applied;
  std::vector<std::string> names;
};
struct Placement {  // a submitted or reported job, after the event
  Applied applied;
  int job = -1;
  JobState state = JobState::kQueued;
};

// ---- views -------------------------------------------------------------------

struct TypeView {
  std::string accelerator, origin;
  bool domestic = false;
  int devices_total = 0, devices_up = 0;
  double devices_allocated = 0;
};
struct RuleView {
  std::string id, kind, state;
  std::optional<std::string> accelerator;
  std::optional<SimTime> from_t, deadline_t;
  std::optional<std::string> min_sensitivity;
  std::optional<std::vector<std::string>> origins;
  std::optional<double> min_share;
  std::optional<std::string> measure;
  std::optional<std::vector<std::string>> tenants;
};
struct SummaryView {
  bool configured = false;
  std::int64_t events = 0;
  std::string scenario;
  double epoch = 0, now_t = 0, last_event_t = 0;
  std::int64_t last_seq = 0;
  std::vector<TypeView> types;
  std::size_t nodes = 0;
  int nodes_up = 0, jobs = 0, running = 0;
  std::size_t queued = 0;
  std::optional<double> domestic_share;
  std::vector<RuleView> rules;
  std::string queue_policy, placement_policy;
  bool preemption = false;
  std::size_t deliveries_pending = 0;
};
struct NodeView {
  std::string name, site, accelerator;
  int domain = 0;
  bool up = false, cordoned = false;
  int devices = 0, devices_free = 0;
  double devices_allocated = 0;
  std::set<int> jobs;
};
struct RefusalView {
  std::string accelerator, rule, detail;
};
struct QueueView {
  int id = 0;
  std::string name, tenant;
  int priority = 0;
  std::string sensitivity;
  int devices = 0;
  SimTime submitted_t = 0;
  std::string reason, rule;
  std::vector<RefusalView> refusals;
};
struct SlotView {
  std::string node;
  int device = 0, milli = 0;
};
struct AllocationView {
  std::string accelerator;
  int devices = 0;
  std::vector<std::vector<SlotView>> groups;
};
struct JobView {
  int id = 0;
  std::string name, tenant, kind;
  int priority = 0;
  std::string sensitivity;
  int devices = 0, tp = 0, gpu_milli = 0;
  JobState state = JobState::kQueued;
  SimTime submitted_t = 0;
  std::optional<SimTime> first_start_t, reported_start_t;
  int placements = 0;
  std::optional<std::string> external_id;
  std::optional<int> external_placement;
  int restarts = 0, preemptions = 0;
  std::string reason, rule;
  std::vector<std::pair<std::string, std::optional<double>>> durations_s;  // null: cannot run
  std::optional<AllocationView> allocation;                                // when running
  double progress = 0;
  std::optional<std::string> script;  // job() only
  std::optional<SimTime> run_start_t, expected_end_t, ended_t;
  std::optional<std::vector<RefusalView>> refusals;
};
struct AuditEntry {
  std::int64_t seq = 0, event_seq = 0;
  std::string decision;  // JSON text
};
struct AuditPage {
  std::vector<AuditEntry> decisions;
  std::int64_t next_after = 0;
};

// ---- the core ----------------------------------------------------------------

class FleetCore {
 public:
  using Clock = std::function<double()>;  // wall-clock seconds (any fixed origin)

  struct Options {
    // Where a config's [[traces]] files may come from (ScenarioLoadOptions);
    // a fleet config takes none, so by default none may be read.
    std::vector<std::filesystem::path> trace_dirs;
    // Called after each committed event (under the core's lock, so keep it
    // short and never call back into the core): the event, what it did, and
    // the seconds the store's transaction took. The service's metrics.
    std::function<void(const FleetEvent&, const Applied&, double store_seconds)> on_commit;
  };

  // Replays the store (see the contract above). Fails only without a clock.
  // Registers a reference check with `catalog` (the fleet's types).
  static Result<std::unique_ptr<FleetCore>> open(store::Store& store, CatalogHolder& catalog,
                                                 Clock clock, Options options = {});
  ~FleetCore();
  FleetCore(const FleetCore&) = delete;
  FleetCore& operator=(const FleetCore&) = delete;

  // Resets the fleet to a scenario's sites, pools, tenants, rules and
  // scheduler (a new epoch). Refuses workloads and scripted events.
  FleetResult<Applied> configure(const std::string& scenario_toml);
  FleetResult<NodesAdded> add_nodes(const NodesRequest& request);
  FleetResult<Applied> node_down(const std::string& name);
  FleetResult<Applied> node_up(const std::string& name);
  FleetResult<Applied> drain(const std::string& name);   // cordon: no new placements
  FleetResult<Applied> resume(const std::string& name);  // undo a drain
  FleetResult<Applied> add_rule(const RuleRequest& request);
  FleetResult<Placement> submit(const JobRequest& request);
  FleetResult<Placement> start(int job, std::optional<std::string> external_id = {});
  FleetResult<Placement> finish(int job);
  FleetResult<Placement> fail(int job, std::optional<std::string> reason = {});
  FleetResult<Applied> tick();  // time rules and deliveries due by now

  // Checks a fleet call can go ahead: retries the replay when degraded
  // (mutations only), then kUnavailable or kConflict (no config yet).
  FleetResult<void> ready(bool mutation);
  // The same for reads (no retry).
  FleetResult<void> usable() const;

  FleetResult<SummaryView> summary() const;
  FleetResult<std::vector<NodeView>> nodes() const;
  FleetResult<std::vector<QueueView>> queue() const;
  FleetResult<JobView> job(int id) const;   // kInvalidArgument for id < 0
  FleetResult<void> has_job(int id) const;  // kNotFound: no such job (usable() first)
  FleetResult<std::vector<JobView>> jobs(std::optional<JobState> state = {}) const;
  // Readable when degraded. Store errors are kStore.
  FleetResult<AuditPage> audit(std::int64_t after, int limit) const;

  std::int64_t event_count() const;
  std::string problem() const;  // empty when healthy

  // For a read-only follower (`suanli serve --read-only` beside the Slurm
  // agent, which holds the store's writer lock): when the store holds
  // events newer than any this core has seen, replays the store through
  // the same apply path and checks (a no-op otherwise). Never writes.
  Result<void> follow_store();

  struct State;

 private:
  FleetCore(store::Store& store, CatalogHolder& catalog, Clock clock, Options options);
  Result<void> rebuild();
  FleetResult<Applied> commit(FleetEvent event);
  FleetResult<Applied> node_change(const std::string& name, NodeChange change);
  FleetResult<Placement> report(int job, JobReport report, std::optional<std::string> text);
  FleetResult<void> ready_locked(bool mutation);
  FleetResult<void> usable_locked() const;

  store::Store* store_;
  CatalogHolder* catalog_;
  Clock clock_;
  Options options_;
  mutable std::mutex mutex_;
  std::unique_ptr<State> state_;
  std::int64_t followed_seq_ = 0;  // newest stored event follow_store() has seen
};

}  // namespace suanli::service

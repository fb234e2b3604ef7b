// The live fleet's typed core (fleet_core.h; the event codec is in
// fleet_event.cpp). One file over 900 lines on purpose: the one apply path,
// replay, the validation that turns a request into an event and the views
// all read and write the same private State, and splitting them would
// expose it. Sections: apply, core (open / replay / commit), mutations,
// views.
#include "service/fleet_core.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <numeric>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "sched/scheduler.h"
#include "service/api.h"
#include "sim/event_log.h"
#include "sim/scenario.h"
#include "sim/work_model.h"

namespace suanli::service {

namespace {

using OJson = nlohmann::ordered_json;

constexpr std::string_view kConfigFile = "fleet-config.toml";
constexpr std::size_t kMaxScenarioBytes = 1 << 20;
constexpr std::int64_t kMaxNodesPerCall = 4096;
constexpr std::int64_t kMaxDevices = 1 << 20;
constexpr double kMaxHours = 1e6;
constexpr int kAuditPage = 1000;
constexpr std::size_t kMaxScriptBytes = 64 * 1024;

std::unexpected<Error> invalid(std::string message) {
  return suanli::fail(ErrorCode::kInvalidArgument, std::move(message));
}
std::unexpected<FleetError> invalid_field(std::string message, std::string field) {
  return std::unexpected(
      FleetError(Error{ErrorCode::kInvalidArgument, std::move(message)}, std::move(field)));
}

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& s : items) out += (out.empty() ? "" : ", ") + s;
  return out;
}

std::string accepted_kinds() {
  std::vector<std::string> v;
  for (JobKind k : {JobKind::kTraining, JobKind::kInference, JobKind::kFineTune, JobKind::kBatch,
                    JobKind::kFractional})
    v.emplace_back(job_kind_name(k));
  return join(v);
}

std::string accepted_sensitivities() {
  std::vector<std::string> v;
  for (Sensitivity s : {Sensitivity::kPublic, Sensitivity::kInternal, Sensitivity::kConfidential,
                        Sensitivity::kSecret})
    v.emplace_back(sensitivity_name(s));
  return join(v);
}

bool has_control_chars(std::string_view s) {
  return std::any_of(s.begin(), s.end(),
                     [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; });
}

template <class... F>
struct Overloaded : F... {
  using F::operator()...;
};

}  // namespace

// ---- apply ------------------------------------------------------------------

// Everything the events rebuild. Replaced as a whole by a replay.
struct FleetCore::State {
  bool configured = false;
  std::string scenario_name;
  double epoch = 0;  // wall seconds of the config event
  std::optional<Scheduler> scheduler;
  std::vector<Delivery> deliveries;  // from the config, in time order
  std::size_t next_delivery = 0;
  SimTime last_t = 0;
  std::int64_t events = 0;                             // since the config, the config included
  std::int64_t last_seq = 0;                           // store seq of the last event
  std::vector<std::optional<SimTime>> reported_start;  // per job (start reports)
  // Per job: place decisions so far, the placement an external system
  // (Slurm) last reported starting with its ID, and the job's batch script.
  std::vector<int> placements;
  std::vector<int> external_placement;  // -1: none
  std::vector<std::string> external_id;
  std::vector<std::string> scripts;
  std::map<int, std::vector<RefusalView>> refusals;  // per job: the last queue decision's
  // Per fleet type ID: what uses it (pools and deliveries of the config,
  // nodes registered since), for the catalog's "in use" refusals.
  std::map<std::string, std::vector<std::string>> type_users;
  std::string broken;  // non-empty: the last rebuild failed

  // The one apply path, for live writes and replay: applies one event,
  // schedules, and returns the decisions it caused as JSON text, in order.
  Result<std::vector<std::string>> apply(const FleetEvent& event, const Catalog& catalog,
                                         const ScenarioLoadOptions& load);

  Result<void> on(const ConfigEvent& e, const Catalog& catalog, const ScenarioLoadOptions& load);
  Result<void> on(const AddNodesEvent& e);
  Result<void> on(const NodeStateEvent& e);
  Result<void> on(const RuleEvent& e);
  Result<void> on(const SubmitEvent& e);
  Result<void> on(const JobReportEvent& e);
  Result<void> on(const TickEvent&) { return {}; }

 private:
  std::string decision_text(const Decision& d);
  void reset_for(const Scenario& scenario);
};

void FleetCore::State::reset_for(const Scenario& scenario) {
  configured = true;
  scenario_name = scenario.name;
  deliveries = scenario.deliveries;
  std::stable_sort(deliveries.begin(), deliveries.end(),
                   [](const Delivery& a, const Delivery& b) { return a.at < b.at; });
  next_delivery = 0;
  reported_start.clear();
  placements.clear();
  external_placement.clear();
  external_id.clear();
  scripts.clear();
  refusals.clear();
  type_users.clear();
  const Fleet& f = scheduler->fleet();
  for (const AcceleratorType& t : f.types()) type_users[t.id];
  auto pool_name = [&f](const NodePool& p) {  // as Fleet::add_pool names the nodes
    return p.name_prefix.empty() ? fmt::format("{}-{}", f.site(p.site).name, f.type(p.type).id)
                                 : p.name_prefix;
  };
  for (const NodePool& p : scenario.pools)
    type_users[f.type(p.type).id].push_back("pool " + pool_name(p));
  for (const Delivery& d : deliveries)
    type_users[f.type(d.pool.type).id].push_back("delivery " + pool_name(d.pool));
  last_t = 0;
}

Result<void> FleetCore::State::on(const ConfigEvent& e, const Catalog& catalog,
                                  const ScenarioLoadOptions& load) {
  SUANLI_ASSIGN(Scenario scenario,
                parse_scenario(e.scenario, std::string(kConfigFile), catalog, {}, load));
  // The fleet's types as they were resolved when the config was accepted,
  // so a later catalog edit does not change what a replay computes.
  if (e.types.size() != scenario.fleet.types().size())
    return suanli::fail(ErrorCode::kConflict,
                        "config: the catalog no longer resolves the stored types");
  Fleet fleet;
  for (const Site& s : scenario.fleet.sites()) fleet.add_site(s);
  for (std::size_t i = 0; i < e.types.size(); ++i) {
    const FleetType& x = e.types[i];
    if (x.id != scenario.fleet.types()[i].id)
      return suanli::fail(ErrorCode::kConflict,
                          fmt::format("config: type {} is {} in the store, {} now", i, x.id,
                                      scenario.fleet.types()[i].id));
    AcceleratorType t;
    t.id = x.id;
    t.name = x.name;
    t.vendor = x.vendor;
    t.origin = x.origin;
    t.domestic = x.domestic;
    t.compute_weight = x.compute_weight;
    t.price_per_device_hour = x.price_per_device_hour;
    fleet.add_type(std::move(t));
  }
  for (const NodePool& p : scenario.pools) SUANLI_TRY(fleet.add_pool(p));
  SchedulerConfig config = scenario.scheduler;
  config.seed = scenario.seed;
  SUANLI_ASSIGN(Scheduler sched,
                Scheduler::create(std::move(fleet), scenario.tenants, scenario.rules, config));
  scheduler.emplace(std::move(sched));
  epoch = e.epoch;
  reset_for(scenario);
  return {};
}

Result<void> FleetCore::State::on(const AddNodesEvent& e) {
  Scheduler& s = *scheduler;
  const Fleet& f = s.fleet();
  NodePool pool;
  auto site = f.find_site(e.site);
  auto acc = f.find_type(e.accelerator);
  if (!site || !acc) return invalid("nodes: unknown site or accelerator");
  pool.site = *site;
  pool.type = *acc;
  pool.nodes = static_cast<int>(e.nodes);
  pool.devices_per_node = e.devices_per_node;
  pool.scale_up_domain = e.scale_up_domain;
  pool.name_prefix = e.name_prefix;
  SUANLI_TRY(s.add_nodes(pool, e.t));
  auto& users = type_users[f.type(pool.type).id];
  if (std::find(users.begin(), users.end(), "nodes " + pool.name_prefix) == users.end())
    users.push_back("nodes " + pool.name_prefix);
  return {};
}

Result<void> FleetCore::State::on(const NodeStateEvent& e) {
  Scheduler& s = *scheduler;
  auto node = s.fleet().find_node(e.node);
  if (!node) return suanli::fail(ErrorCode::kNotFound, "unknown node");
  switch (e.change) {
    case NodeChange::kCordon:
    case NodeChange::kUncordon:
      return s.cordon(*node, e.change == NodeChange::kCordon, e.t);
    case NodeChange::kUp:
      return s.node_up(*node, e.t);
    case NodeChange::kDown:
      return s.node_down(*node, e.t);
  }
  return {};
}

Result<void> FleetCore::State::on(const RuleEvent& e) {
  Scheduler& s = *scheduler;
  Rule rule;
  rule.id = e.id;
  rule.kind = e.kind;
  rule.type = s.fleet().find_type(e.accelerator);
  if (!rule.type) return invalid("rule: unknown accelerator");
  rule.from = e.t;
  rule.within_s = e.within_s;
  rule.defined_at = "POST /api/v1/fleet/rules";
  return s.add_rule(std::move(rule), e.t);
}

Result<void> FleetCore::State::on(const SubmitEvent& e) {
  Scheduler& s = *scheduler;
  JobSpec spec;
  spec.name = e.name;
  for (std::size_t i = 0; i < s.tenants().size(); ++i)
    if (s.tenants()[i].name == e.tenant) spec.tenant = TenantId{static_cast<int>(i)};
  spec.kind = e.kind;
  spec.sensitivity = e.sensitivity;
  spec.priority = static_cast<int>(e.priority);
  spec.devices = static_cast<int>(e.devices);
  spec.tp = static_cast<int>(e.tp);
  spec.gpu_milli = static_cast<int>(e.gpu_milli);
  spec.checkpoint_interval_s = e.checkpoint_interval_s;
  const std::size_t types = s.fleet().types().size();
  spec.duration_s.assign(types, kCannotRun);
  spec.cannot_run_reason.assign(types, "not in durations");
  bool all_run = true;
  for (std::size_t k = 0; k < types; ++k) {
    const std::string& id = s.fleet().types()[k].id;
    if (auto it = e.durations_s.find(id); it != e.durations_s.end()) {
      spec.duration_s[k] = it->second;
      spec.cannot_run_reason[k].clear();
    } else {
      all_run = false;
      if (auto r = e.cannot_run.find(id); r != e.cannot_run.end())
        spec.cannot_run_reason[k] = r->second;
    }
  }
  if (all_run) spec.cannot_run_reason.clear();
  SUANLI_TRY(s.submit(std::move(spec), e.t));
  const auto jobs = static_cast<std::size_t>(s.job_count());
  reported_start.resize(jobs);
  placements.resize(jobs, 0);
  external_placement.resize(jobs, -1);
  external_id.resize(jobs);
  scripts.resize(jobs);
  scripts.back() = e.script.value_or(std::string());
  return {};
}

Result<void> FleetCore::State::on(const JobReportEvent& e) {
  Scheduler& s = *scheduler;
  const JobId job{e.job};
  if (!job.valid() || job.value >= s.job_count())
    return suanli::fail(ErrorCode::kNotFound, "unknown job");
  switch (e.report) {
    case JobReport::kStart:
      if (s.status(job).state != JobState::kRunning)
        return suanli::fail(ErrorCode::kConflict, "job is not running");
      reported_start[job.index()] = e.t;
      if (e.external_id) {
        external_id[job.index()] = *e.external_id;
        external_placement[job.index()] = placements[job.index()];
      }
      return {};
    case JobReport::kFinish:
      return s.finish(job, e.t);
    case JobReport::kFail:
      if (!e.reason)
        return suanli::fail(ErrorCode::kParse, "malformed fleet event: fail without reason");
      return s.fail(job, e.t, *e.reason);
  }
  return {};
}

std::string FleetCore::State::decision_text(const Decision& d) {
  const Scheduler& s = *scheduler;
  const Fleet& f = s.fleet();
  OJson j = decision_json(d, s);
  // Names next to the log's indices, for people reading the audit.
  if (d.kind != DecisionKind::kRule) j["job_name"] = s.spec(d.job).name;
  if (d.kind == DecisionKind::kPlace) {
    j["accelerator"] = f.type(d.allocation.type).id;
    std::vector<std::string> names;
    for (const auto& g : d.allocation.groups)
      for (const DeviceSlot& slot : g) {
        const std::string& n = f.node(slot.node).name;
        if (std::find(names.begin(), names.end(), n) == names.end()) names.push_back(n);
      }
    j["nodes"] = names;
  }
  if (d.kind == DecisionKind::kQueue)
    for (auto& r : j["refusals"]) r["accelerator"] = f.type(TypeId{r["type"].get<int>()}).id;
  if (d.kind == DecisionKind::kKill && d.node) j["node_name"] = f.node(*d.node).name;
  if (d.kind == DecisionKind::kSubmit)
    j["tenant_name"] = s.tenants()[s.spec(d.job).tenant.index()].name;
  return j.dump();
}

Result<std::vector<std::string>> FleetCore::State::apply(const FleetEvent& event,
                                                         const Catalog& catalog,
                                                         const ScenarioLoadOptions& load) {
  try {
    const SimTime t = event_time(event);
    if (const auto* config = std::get_if<ConfigEvent>(&event)) {
      SUANLI_TRY(on(*config, catalog, load));
    } else {
      if (!configured) return suanli::fail(ErrorCode::kConflict, "the fleet has no config yet");
      // Deliveries planned in the config, due by now.
      while (next_delivery < deliveries.size() && deliveries[next_delivery].at <= t) {
        SUANLI_TRY(scheduler->add_nodes(deliveries[next_delivery].pool, t));
        ++next_delivery;
      }
      SUANLI_TRY(std::visit(Overloaded{[](const ConfigEvent&) -> Result<void> { return {}; },
                                       [this](const auto& e) -> Result<void> { return on(e); }},
                            event));
    }
    scheduler->schedule(t);
    last_t = std::max(last_t, t);
    ++events;
    std::vector<std::string> out;
    for (const Decision& d : scheduler->take_decisions()) {
      if (d.kind == DecisionKind::kQueue) {
        std::vector<RefusalView> r;
        for (const TypeRefusal& x : d.refusals)
          r.push_back({scheduler->fleet().type(x.type).id, x.rule, x.detail});
        refusals[d.job.value] = std::move(r);
      } else if (d.kind == DecisionKind::kPlace || d.kind == DecisionKind::kComplete ||
                 d.kind == DecisionKind::kFail) {
        refusals.erase(d.job.value);
      }
      if (d.kind == DecisionKind::kPlace) ++placements[d.job.index()];
      out.push_back(decision_text(d));
    }
    return out;
  } catch (const std::exception& e) {
    return suanli::fail(ErrorCode::kParse, fmt::format("malformed fleet event: {}", e.what()));
  }
}

// ---- the core: open, replay, commit ------------------------------------------

FleetCore::FleetCore(store::Store& store, CatalogHolder& catalog, Clock clock, Options options)
    : store_(&store),
      catalog_(&catalog),
      clock_(std::move(clock)),
      options_(std::move(options)),
      state_(std::make_unique<State>()) {}

FleetCore::~FleetCore() { catalog_->remove_reference_check(this); }

Result<std::unique_ptr<FleetCore>> FleetCore::open(store::Store& store, CatalogHolder& catalog,
                                                   Clock clock, Options options) {
  if (!clock) return invalid("live fleet: no clock");
  std::unique_ptr<FleetCore> core(
      new FleetCore(store, catalog, std::move(clock), std::move(options)));
  // A log that cannot be replayed (a tampered row, a chip gone from the
  // catalog, a changed scheduler) does not stop the service: the fleet is
  // served degraded (problem()), its audit stays readable and a new config
  // starts a new epoch.
  (void)core->rebuild();
  catalog.add_reference_check(core.get(), [c = core.get()](std::string_view id) {
    std::lock_guard lock(c->mutex_);
    auto it = c->state_->type_users.find(std::string(id));
    if (it == c->state_->type_users.end()) return std::vector<std::string>();
    return it->second.empty() ? std::vector<std::string>{"declared as a fleet type"} : it->second;
  });
  return core;
}

std::string FleetCore::problem() const {
  std::lock_guard lock(mutex_);
  return state_->broken;
}

std::int64_t FleetCore::event_count() const {
  std::lock_guard lock(mutex_);
  return state_->events;
}

namespace {

ScenarioLoadOptions load_options(const FleetCore::Options& o) {
  ScenarioLoadOptions lo;
  lo.trace_dirs = o.trace_dirs;  // set: confined, as the service's runs
  return lo;
}

// The stored decisions from `first_seq` on, grouped by the event that caused them.
Result<std::map<std::int64_t, std::vector<std::string>>> stored_decisions(store::Store& store,
                                                                          std::int64_t first_seq) {
  std::map<std::int64_t, std::vector<std::string>> stored;
  for (std::int64_t after = 0;;) {
    SUANLI_ASSIGN(const auto page, store.audit(after, kAuditPage));
    for (const store::AuditRecord& r : page) {
      if (r.event_seq >= first_seq) stored[r.event_seq].push_back(r.decision);
      after = r.seq;
    }
    if (page.size() < static_cast<std::size_t>(kAuditPage)) return stored;
  }
}

std::string mismatch(std::int64_t seq, const std::vector<std::string>& got,
                     const std::vector<std::string>& expected) {
  std::size_t k = 0;
  while (k < got.size() && k < expected.size() && got[k] == expected[k]) ++k;
  return fmt::format(
      "replay of fleet event {} reproduced {} decisions, {} stored; first difference at #{}: "
      "replay {} vs stored {}",
      seq, got.size(), expected.size(), k, k < got.size() ? got[k] : "(none)",
      k < expected.size() ? expected[k] : "(none)");
}

}  // namespace

Result<void> FleetCore::follow_store() {
  std::lock_guard lock(mutex_);
  auto newer = store_->fleet_events(std::max(followed_seq_, state_->last_seq));
  if (!newer) return std::unexpected(newer.error());
  if (newer->empty()) return {};
  followed_seq_ = newer->back().seq;
  return rebuild();
}

Result<void> FleetCore::rebuild() {
  auto fresh = std::make_unique<State>();
  std::vector<std::string> config_types;  // of the last stored config, for type_users
  auto fail_with = [&](Error e) -> Result<void> {
    state_ = std::make_unique<State>();
    state_->broken = e.message;
    for (const std::string& id : config_types)
      state_->type_users[id].emplace_back(std::string("the stored fleet config"));
    return std::unexpected(std::move(e));
  };
  auto events = store_->fleet_events(0);
  if (!events) return fail_with(events.error());
  // Replay starts at the last config: a config starts a new epoch; what came
  // before it stays in the store (the log and its audit are append-only)
  // but no longer shapes the fleet.
  std::vector<FleetEvent> decoded;
  decoded.reserve(events->size());
  std::size_t first = 0;
  for (std::size_t i = 0; i < events->size(); ++i) {
    auto e = decode_event((*events)[i].event);
    if (!e)
      return fail_with(Error{ErrorCode::kParse, fmt::format("fleet event {}: {}", (*events)[i].seq,
                                                            e.error().message)});
    if (std::holds_alternative<ConfigEvent>(*e)) first = i;
    decoded.push_back(std::move(*e));
  }
  const std::int64_t first_seq = events->empty() ? 0 : (*events)[first].seq;
  if (!events->empty())
    if (const auto* c = std::get_if<ConfigEvent>(&decoded[first]))
      for (const FleetType& t : c->types) config_types.push_back(t.id);
  auto stored = stored_decisions(*store_, first_seq);
  if (!stored) return fail_with(stored.error());
  const auto catalog = catalog_->get().catalog;
  const ScenarioLoadOptions load = load_options(options_);
  for (std::size_t i = first; i < events->size(); ++i) {
    const std::int64_t seq = (*events)[i].seq;
    auto decisions = fresh->apply(decoded[i], *catalog, load);
    if (!decisions)
      return fail_with(Error{
          ErrorCode::kConflict,
          fmt::format("replay of fleet event {} failed: {}", seq, decisions.error().message)});
    const auto& expected = (*stored)[seq];
    if (*decisions != expected)
      return fail_with(Error{ErrorCode::kConflict, mismatch(seq, *decisions, expected)});
    fresh->last_seq = seq;
  }
  state_ = std::move(fresh);
  return {};
}

FleetResult<void> FleetCore::ready(bool mutation) {
  std::lock_guard lock(mutex_);
  return ready_locked(mutation);
}

FleetResult<void> FleetCore::ready_locked(bool mutation) {
  if (mutation && !state_->broken.empty()) (void)rebuild();
  return usable_locked();
}

FleetResult<void> FleetCore::usable() const {
  std::lock_guard lock(mutex_);
  return usable_locked();
}

FleetResult<void> FleetCore::usable_locked() const {
  const State& st = *state_;
  if (!st.broken.empty())
    return std::unexpected(FleetError(
        Error{ErrorCode::kIo, "live fleet unavailable: " + st.broken +
                                  " (its audit stays readable at GET /api/v1/fleet/audit; PUT "
                                  "/api/v1/fleet/config starts a new epoch)"},
        {}, FleetError::Kind::kUnavailable));
  if (!st.configured)
    return std::unexpected(FleetError(Error{ErrorCode::kConflict,
                                            "the fleet has no config yet: PUT "
                                            "/api/v1/fleet/config first"}));
  return {};
}

// Stores and applies one event: the common tail of every mutation. Sets its
// time (and a config's epoch). The caller holds the mutex.
FleetResult<Applied> FleetCore::commit(FleetEvent event) {
  const bool config = std::holds_alternative<ConfigEvent>(event);
  State& st = *state_;
  SimTime t = 0;
  if (auto* c = std::get_if<ConfigEvent>(&event))
    c->epoch = clock_();
  else
    t = std::max(st.last_t, clock_() - st.epoch);
  std::visit([t](auto& e) { e.t = t; }, event);
  const auto catalog = catalog_->get().catalog;
  std::unique_ptr<State> fresh;
  State* target = &st;
  if (config) {
    fresh = std::make_unique<State>();
    target = fresh.get();
  }
  auto decisions = target->apply(event, *catalog, load_options(options_));
  if (!decisions) {
    const Error e = decisions.error();
    if (!config) (void)rebuild();  // the scheduler may be half-changed
    return std::unexpected(FleetError(e));
  }
  // One event, one transaction: a config is appended like any other event
  // (it starts a new epoch; nothing is deleted).
  const auto write_start = std::chrono::steady_clock::now();
  auto seq = store_->append_fleet_event(encode_event(event), *decisions);
  const double store_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - write_start).count();
  if (!seq) {
    (void)rebuild();
    return std::unexpected(FleetError(
        Error{ErrorCode::kIo,
              "the event was not stored (state rebuilt from the store): " + seq.error().message},
        {}, FleetError::Kind::kStore));
  }
  if (config) state_ = std::move(fresh);
  state_->last_seq = *seq;
  Applied applied{*seq, t, std::move(*decisions)};
  if (options_.on_commit) options_.on_commit(event, applied, store_seconds);
  return applied;
}

// ---- mutations ----------------------------------------------------------------

FleetResult<Applied> FleetCore::configure(const std::string& text) {
  std::lock_guard lock(mutex_);
  const std::string field = "body.scenario";
  if (text.size() > kMaxScenarioBytes)
    return invalid_field("body.scenario: larger than 1 MiB", field);
  const auto catalog = catalog_->get().catalog;
  auto scenario =
      parse_scenario(text, std::string(kConfigFile), *catalog, {}, load_options(options_));
  if (!scenario) return std::unexpected(FleetError(scenario.error(), field));
  std::vector<std::string> refused;
  if (!scenario->generators.empty()) refused.emplace_back("[[generators]]");
  if (!scenario->jobs.empty()) refused.emplace_back("[[jobs]]");
  if (!scenario->traces.empty()) refused.emplace_back("[[traces]]");
  if (!scenario->node_events.empty()) refused.emplace_back("[[node_events]]");
  if (!refused.empty())
    return invalid_field(
        fmt::format("body.scenario: a fleet config takes no workload or scripted events ({}); "
                    "submit jobs with POST /api/v1/fleet/jobs and report node state with "
                    "POST /api/v1/fleet/nodes/{{name}}/down|up",
                    join(refused)),
        field);
  ConfigEvent e;
  e.scenario = text;
  for (const AcceleratorType& t : scenario->fleet.types())
    e.types.push_back(
        {t.id, t.name, t.vendor, t.origin, t.domestic, t.compute_weight, t.price_per_device_hour});
  return commit(std::move(e));
}

namespace {

// The nodes event of a request, checked against the fleet.
Result<AddNodesEvent> nodes_event(const NodesRequest& q, const Scheduler& s,
                                  const Catalog& catalog) {
  // The adapter's decoder checked these already; the core does not trust
  // its callers to have.
  SUANLI_TRY(check_identifier(q.site, "body.site"));
  SUANLI_TRY(check_identifier(q.accelerator, "body.accelerator"));
  if (q.name_prefix) SUANLI_TRY(check_identifier(*q.name_prefix, "body.name_prefix"));
  const Fleet& f = s.fleet();
  if (!f.find_site(q.site)) {
    std::vector<std::string> names;
    for (const Site& x : f.sites()) names.push_back(x.name);
    return invalid(fmt::format("body.site: unknown site {:?} (sites: {})", q.site, join(names)));
  }
  const auto type = f.find_type(q.accelerator);
  if (!type) {
    std::vector<std::string> ids;
    for (const AcceleratorType& x : f.types()) ids.push_back(x.id);
    if (catalog.accelerator(q.accelerator))
      return invalid(fmt::format(
          "body.accelerator: {} is in the catalog but not in the fleet config; the scheduler "
          "cannot add accelerator types after the config, so list it there ([[fleet]] or "
          "[[deliveries]]) and PUT the config again (fleet types: {})",
          q.accelerator, join(ids)));
    return invalid(fmt::format("body.accelerator: unknown accelerator {:?} (fleet types: {})",
                               q.accelerator, join(ids)));
  }
  if (q.nodes < 1 || q.nodes > kMaxNodesPerCall)
    return invalid(fmt::format("body.nodes: must be 1..{}, got {}", kMaxNodesPerCall, q.nodes));
  if (f.nodes().size() + static_cast<std::size_t>(q.nodes) >
      static_cast<std::size_t>(kMaxScenarioNodes))
    return invalid(fmt::format("body.nodes: the fleet would exceed {} nodes", kMaxScenarioNodes));
  int dpn = f.devices_per_node(*type);
  if (dpn == 0) {
    auto a = catalog.accelerator(q.accelerator);
    dpn = a ? (*a)->node_devices : 8;
  }
  if (q.devices_per_node) {
    const std::int64_t v = *q.devices_per_node;
    if (v < 1 || v > kMaxNodeGpus)
      return invalid(fmt::format("body.devices_per_node: must be 1..{}, got {}", kMaxNodeGpus, v));
    if (f.devices_per_node(*type) != 0 && v != f.devices_per_node(*type))
      return invalid(fmt::format(
          "body.devices_per_node: {} nodes have {} devices, got {}; one node size per type",
          q.accelerator, f.devices_per_node(*type), v));
    dpn = static_cast<int>(v);
  }
  int domain = f.domain_devices(*type);
  if (domain == 0 || domain % dpn != 0) domain = dpn;
  if (q.scale_up_domain) {
    const std::int64_t v = *q.scale_up_domain;
    if (v < dpn || v % dpn != 0 || v > kMaxDevices)
      return invalid(fmt::format(
          "body.scale_up_domain: must be a multiple of devices_per_node ({}), got {}", dpn, v));
    domain = static_cast<int>(v);
  }
  const std::string prefix = q.name_prefix.value_or(fmt::format("{}-{}", q.site, q.accelerator));
  // The names add_pool will give; none may exist already.
  int first = 0;
  for (const FleetNode& n : f.nodes())
    if (n.name.starts_with(prefix + "-")) ++first;
  for (int i = 0; i < q.nodes; ++i) {
    const std::string name = fmt::format("{}-{}", prefix, first + i);
    if (name.size() > 128 || f.find_node(name))
      return invalid(fmt::format("body.name_prefix: node name {} exists or is too long", name));
  }
  return AddNodesEvent{q.site, q.accelerator, q.nodes, dpn, domain, prefix, 0};
}

}  // namespace

FleetResult<NodesAdded> FleetCore::add_nodes(const NodesRequest& request) {
  std::lock_guard lock(mutex_);
  SUANLI_TRY(ready_locked(true));
  SUANLI_ASSIGN(AddNodesEvent e,
                nodes_event(request, *state_->scheduler, *catalog_->get().catalog));
  const auto count = static_cast<std::size_t>(e.nodes);
  SUANLI_ASSIGN(Applied applied, commit(std::move(e)));
  // Deliveries due by now are added first; the call's nodes are the last.
  NodesAdded out{std::move(applied), {}};
  const auto& nodes = state_->scheduler->fleet().nodes();
  for (std::size_t i = nodes.size() - count; i < nodes.size(); ++i)
    out.names.push_back(nodes[i].name);
  return out;
}

FleetResult<Applied> FleetCore::node_change(const std::string& name, NodeChange change) {
  std::lock_guard lock(mutex_);
  SUANLI_TRY(ready_locked(true));
  if (!state_->scheduler->fleet().find_node(name))
    return suanli::fail(ErrorCode::kNotFound, fmt::format("no node {}", name));
  return commit(NodeStateEvent{change, name, 0});
}

FleetResult<Applied> FleetCore::node_down(const std::string& name) {
  return node_change(name, NodeChange::kDown);
}
FleetResult<Applied> FleetCore::node_up(const std::string& name) {
  return node_change(name, NodeChange::kUp);
}
FleetResult<Applied> FleetCore::drain(const std::string& name) {
  return node_change(name, NodeChange::kCordon);
}
FleetResult<Applied> FleetCore::resume(const std::string& name) {
  return node_change(name, NodeChange::kUncordon);
}

FleetResult<Applied> FleetCore::add_rule(const RuleRequest& q) {
  std::lock_guard lock(mutex_);
  SUANLI_TRY(ready_locked(true));
  SUANLI_TRY(check_identifier(q.id, "body.id"));
  SUANLI_TRY(check_identifier(q.accelerator, "body.accelerator"));
  const auto kind = parse_rule_kind(q.kind);
  if (!kind || (*kind != RuleKind::kNoNewPlacements && *kind != RuleKind::kDrain))
    return invalid_field(
        "body.kind: a rule added to a running fleet is no-new-placements or drain (put the "
        "others in the config)",
        "body.kind");
  const Scheduler& s = *state_->scheduler;
  if (!s.fleet().find_type(q.accelerator)) {
    std::vector<std::string> ids;
    for (const AcceleratorType& x : s.fleet().types()) ids.push_back(x.id);
    return invalid_field(fmt::format("body.accelerator: {:?} is not a fleet type (types: {})",
                                     q.accelerator, join(ids)),
                         "body.accelerator");
  }
  for (const Rule& x : s.rules())
    if (x.id == q.id)
      return std::unexpected(
          FleetError(Error{ErrorCode::kConflict, fmt::format("rule {} exists", q.id)}, "body.id"));
  const double hours = q.within_hours.value_or(0);
  if (!(hours >= 0) || hours > kMaxHours ||
      (*kind == RuleKind::kNoNewPlacements && q.within_hours.has_value()))
    return invalid_field("body.within_hours: drain only, in [0, 1e6]", "body.within_hours");
  return commit(RuleEvent{q.id, *kind, q.accelerator, hours * 3600, 0});
}

namespace {

// The work of a job: durations per fleet type, or why it cannot run there.
Result<void> fill_work(const JobRequest& q, JobKind kind, std::int64_t devices, const Fleet& f,
                       const Catalog& catalog, SubmitEvent& e) {
  if (q.duration_hours.has_value() == q.durations_hours.has_value())
    return invalid(
        "body: give the work as exactly one of duration_hours (with reference) or "
        "durations_hours");
  if (q.duration_hours) {
    const double hours = *q.duration_hours;
    if (!(hours > 0) || hours > kMaxHours)
      return invalid(fmt::format("body.duration_hours: must be in (0, {}]", kMaxHours));
    if (!q.reference) return invalid("body.reference: required with duration_hours");
    if (!catalog.accelerator(*q.reference))
      return invalid(fmt::format("body.reference: unknown accelerator {:?}", *q.reference));
    WorkModel work(catalog, f);
    WorkSpec spec;
    spec.reference = *q.reference;
    spec.reference_hours = SampleRange{hours, hours, false};
    auto rates = work.rates("live", kind, spec, static_cast<int>(devices));
    if (!rates) return invalid("body.reference: " + rates.error().message);
    JobSpec js;
    work.fill_durations(js, **rates, 3600 * hours, {});
    for (std::size_t k = 0; k < f.types().size(); ++k) {
      if (std::isfinite(js.duration_s[k]))
        e.durations_s[f.types()[k].id] = js.duration_s[k];
      else
        e.cannot_run[f.types()[k].id] =
            js.cannot_run_reason.empty() ? "cannot run there" : js.cannot_run_reason[k];
    }
    e.duration_hours = hours;
    e.reference = *q.reference;
    return {};
  }
  if (q.reference) return invalid("body.reference: only with duration_hours");
  if (q.durations_hours->empty())
    return invalid("body.durations_hours: expected a non-empty object {accelerator: hours}");
  for (const auto& [id, h] : *q.durations_hours) {
    const std::string field = "body.durations_hours." + id.substr(0, 40);
    SUANLI_TRY(check_identifier(id, "body.durations_hours key"));
    if (!f.find_type(id)) {
      std::vector<std::string> ids;
      for (const AcceleratorType& x : f.types()) ids.push_back(x.id);
      return invalid(fmt::format("{}: unknown accelerator (fleet types: {})", field, join(ids)));
    }
    if (!h) return invalid(field + ": expected a number");
    if (!(*h > 0) || *h > kMaxHours)
      return invalid(fmt::format("{}: must be in (0, {}]", field, kMaxHours));
    e.durations_s[id] = std::max(1.0, *h * 3600);
  }
  return {};
}

// The submit event of a request, checked against the fleet. The job's
// sensitivity is the simulator's: the tenant's declared one is the floor.
Result<SubmitEvent> submit_event(const JobRequest& q, const Scheduler& s, const Catalog& catalog) {
  SUANLI_TRY(check_identifier(q.name, "body.name"));
  SUANLI_TRY(check_identifier(q.tenant, "body.tenant"));
  if (q.reference) SUANLI_TRY(check_identifier(*q.reference, "body.reference"));
  if (q.script && (q.script->size() > kMaxScriptBytes || q.script->find('\0') != q.script->npos))
    return invalid(fmt::format("body.script: at most {} bytes, no NUL", kMaxScriptBytes));
  std::vector<std::string> tenants;
  const Tenant* owner = nullptr;
  for (const Tenant& t : s.tenants()) {
    tenants.push_back(t.name);
    if (t.name == q.tenant) owner = &t;
  }
  if (!owner)
    return invalid(
        fmt::format("body.tenant: unknown tenant {:?} (tenants: {})", q.tenant, join(tenants)));
  const std::string kind_text = q.kind.value_or("training");
  const auto kind = parse_job_kind(kind_text);
  if (!kind)
    return invalid(fmt::format("body.kind: unknown kind {:?} (accepted: {})",
                               kind_text.substr(0, 40), accepted_kinds()));
  std::optional<Sensitivity> given;
  if (q.sensitivity) {
    given = parse_sensitivity(*q.sensitivity);
    if (!given)
      return invalid(fmt::format("body.sensitivity: unknown sensitivity {:?} (accepted: {})",
                                 q.sensitivity->substr(0, 40), accepted_sensitivities()));
  }
  SubmitEvent e;
  e.name = q.name;
  e.tenant = q.tenant;
  e.kind = *kind;
  e.sensitivity = job_sensitivity(given, *owner);
  e.priority = q.priority.value_or(0);
  if (e.priority < -1000000 || e.priority > 1000000)
    return invalid("body.priority: must be in [-1000000, 1000000]");
  e.devices = q.devices.value_or(1);
  if (e.devices < 1 || e.devices > kMaxDevices)
    return invalid(fmt::format("body.devices: must be 1..{}, got {}", kMaxDevices, e.devices));
  e.tp = q.tp.value_or(std::gcd(e.devices, std::int64_t{8}));
  if (e.tp < 1 || e.devices % e.tp != 0)
    return invalid(
        fmt::format("body.tp: must be >= 1 and divide devices ({}), got {}", e.devices, e.tp));
  e.gpu_milli = q.gpu_milli.value_or(1000);
  if (e.gpu_milli < 1 || e.gpu_milli > 1000)
    return invalid(fmt::format("body.gpu_milli: must be 1..1000, got {}", e.gpu_milli));
  if (e.gpu_milli < 1000 && e.devices != 1)
    return invalid("body.gpu_milli: a fractional job (gpu_milli < 1000) needs devices = 1");
  e.checkpoint_interval_s = q.checkpoint_interval_s.value_or(0);
  if (!(e.checkpoint_interval_s >= 0) || e.checkpoint_interval_s > kMaxHours * 3600)
    return invalid("body.checkpoint_interval_s: must be >= 0");
  SUANLI_TRY(fill_work(q, *kind, e.devices, s.fleet(), catalog, e));
  e.script = q.script;
  return e;
}

}  // namespace

FleetResult<Placement> FleetCore::submit(const JobRequest& request) {
  std::lock_guard lock(mutex_);
  SUANLI_TRY(ready_locked(true));
  SUANLI_ASSIGN(SubmitEvent e, submit_event(request, *state_->scheduler, *catalog_->get().catalog));
  const int id = state_->scheduler->job_count();
  SUANLI_ASSIGN(Applied applied, commit(std::move(e)));
  return Placement{std::move(applied), id, state_->scheduler->status(JobId{id}).state};
}

FleetResult<Placement> FleetCore::report(int job, JobReport kind, std::optional<std::string> text) {
  std::lock_guard lock(mutex_);
  SUANLI_TRY(ready_locked(true));
  const Scheduler& s = *state_->scheduler;
  if (job < 0)
    return invalid(
        fmt::format("path.id: expected a job id (integer >= 0), got {:?}", std::to_string(job)));
  if (job >= s.job_count())
    return suanli::fail(ErrorCode::kNotFound, fmt::format("no job {}", job));
  JobReportEvent e{kind, job, {}, {}, 0};
  if (kind == JobReport::kFail) {
    if (text && (text->empty() || text->size() > 500 || has_control_chars(*text)))
      return invalid_field("body.reason: 1 to 500 characters without control characters",
                           "body.reason");
    e.reason = text.value_or("reported failed");
  }
  const JobStatus& st = s.status(JobId{job});
  const bool ended = st.state == JobState::kCompleted || st.state == JobState::kFailed;
  if (kind != JobReport::kFail && st.state != JobState::kRunning)
    return suanli::fail(ErrorCode::kConflict,
                        fmt::format("job {} is {}, not running", job, job_state_name(st.state)));
  if (kind == JobReport::kFail && ended)
    return suanli::fail(ErrorCode::kConflict, fmt::format("job {} already ended", job));
  if (kind == JobReport::kStart && text) {
    SUANLI_TRY(check_identifier(*text, "body.external_id"));
    const auto k = static_cast<std::size_t>(job);
    if (state_->external_placement[k] == state_->placements[k])
      return suanli::fail(ErrorCode::kConflict,
                          fmt::format("job {} was already started as {} in this placement", job,
                                      state_->external_id[k]));
    e.external_id = std::move(text);
  }
  SUANLI_ASSIGN(Applied applied, commit(std::move(e)));
  return Placement{std::move(applied), job, state_->scheduler->status(JobId{job}).state};
}

FleetResult<Placement> FleetCore::start(int job, std::optional<std::string> external_id) {
  return report(job, JobReport::kStart, std::move(external_id));
}
FleetResult<Placement> FleetCore::finish(int job) { return report(job, JobReport::kFinish, {}); }
FleetResult<Placement> FleetCore::fail(int job, std::optional<std::string> reason) {
  return report(job, JobReport::kFail, std::move(reason));
}

FleetResult<Applied> FleetCore::tick() {
  std::lock_guard lock(mutex_);
  SUANLI_TRY(ready_locked(true));
  return commit(TickEvent{});
}

// ---- views ----------------------------------------------------------------------

namespace {

RuleView rule_view(const Rule& r, const Scheduler& s, SimTime last_t, double now_t) {
  const Fleet& f = s.fleet();
  RuleView v;
  v.id = r.id;
  v.kind = rule_kind_name(r.kind);
  v.state = "active";
  if (r.type) v.accelerator = f.type(*r.type).id;
  if (r.kind == RuleKind::kNoNewPlacements || r.kind == RuleKind::kDrain) {
    v.from_t = r.from;
    const SimTime deadline = r.from + r.within_s;
    if (r.kind == RuleKind::kDrain) v.deadline_t = deadline;
    if (last_t < r.from)
      v.state = now_t >= r.from ? "due" : "pending";
    else if (r.kind == RuleKind::kDrain)
      v.state = last_t < deadline ? (now_t >= deadline ? "due" : "draining") : "drained";
  }
  if (r.kind == RuleKind::kSensitivityOrigin) {
    v.min_sensitivity = std::string(sensitivity_name(r.min_sensitivity));
    v.origins = r.origins;
  }
  if (r.kind == RuleKind::kDomesticShare) {
    v.min_share = r.min_share;
    v.measure = std::string(r.measure == ShareMeasure::kDevices ? "devices" : "compute");
  }
  if (r.kind == RuleKind::kApprovedCustomers) {
    v.tenants.emplace();
    for (TenantId t : r.tenants) v.tenants->push_back(s.tenants()[t.index()].name);
  }
  return v;
}

AllocationView allocation_view(const Allocation& a, const Fleet& f) {
  AllocationView v{f.type(a.type).id, a.devices(), {}};
  for (const auto& g : a.groups) {
    std::vector<SlotView> group;
    for (const DeviceSlot& s : g) group.push_back({f.node(s.node).name, s.device, s.milli});
    v.groups.push_back(std::move(group));
  }
  return v;
}

// One job as the views show it.
JobView job_view(const FleetCore::State& st, JobId id, double now_t, bool with_script) {
  const Scheduler& s = *st.scheduler;
  const JobSpec& spec = s.spec(id);
  const JobStatus& js = s.status(id);
  const Fleet& f = s.fleet();
  const std::size_t k = id.index();
  JobView v;
  v.id = id.value;
  v.name = spec.name;
  v.tenant = s.tenants()[spec.tenant.index()].name;
  v.kind = job_kind_name(spec.kind);
  v.priority = spec.priority;
  v.sensitivity = sensitivity_name(spec.sensitivity);
  v.devices = spec.devices;
  v.tp = spec.tp;
  v.gpu_milli = spec.gpu_milli;
  v.state = js.state;
  v.submitted_t = js.submitted;
  v.first_start_t = js.first_start;
  v.reported_start_t = k < st.reported_start.size() ? st.reported_start[k] : std::nullopt;
  v.placements = k < st.placements.size() ? st.placements[k] : 0;
  // The external ID of the current placement only (a requeued job's old
  // Slurm job is not its job any more).
  if (k < st.external_placement.size() && st.external_placement[k] >= 0 &&
      st.external_placement[k] == st.placements[k]) {
    v.external_id = st.external_id[k];
    v.external_placement = st.external_placement[k];
  }
  v.restarts = js.restarts;
  v.preemptions = js.preemptions;
  v.reason = js.reason;
  v.rule = js.reason_rule;
  for (std::size_t t = 0; t < spec.duration_s.size(); ++t)
    v.durations_s.emplace_back(f.types()[t].id, std::isfinite(spec.duration_s[t])
                                                    ? std::optional(spec.duration_s[t])
                                                    : std::nullopt);
  v.progress = js.progress;
  if (with_script) v.script = k < st.scripts.size() ? st.scripts[k] : std::string();
  if (js.state == JobState::kRunning) {
    const double d = spec.duration_s[js.allocation.type.index()];
    v.allocation = allocation_view(js.allocation, f);
    v.run_start_t = js.run_start;
    v.expected_end_t = s.expected_end(id);
    // Estimated from the clock; the scheduler books progress at events.
    v.progress = std::min(1.0, js.progress + std::max(0.0, now_t - js.run_start) / d);
  }
  if (js.state == JobState::kCompleted || js.state == JobState::kFailed) v.ended_t = js.ended;
  if (js.state == JobState::kCompleted) v.progress = 1.0;
  if (auto r = st.refusals.find(id.value); r != st.refusals.end()) v.refusals = r->second;
  return v;
}

}  // namespace

FleetResult<SummaryView> FleetCore::summary() const {
  std::lock_guard lock(mutex_);
  const State& st = *state_;
  SummaryView v;
  v.events = st.events;
  if (st.broken.empty() && !st.configured) return v;
  SUANLI_TRY(usable_locked());
  const Scheduler& s = *st.scheduler;
  const Fleet& f = s.fleet();
  v.configured = true;
  v.scenario = st.scenario_name;
  v.epoch = st.epoch;
  v.now_t = std::max(st.last_t, clock_() - st.epoch);
  v.last_event_t = st.last_t;
  v.last_seq = st.last_seq;
  for (const FleetNode& n : f.nodes()) v.nodes_up += n.up ? 1 : 0;
  for (std::size_t k = 0; k < f.types().size(); ++k) {
    const AcceleratorType& t = f.types()[k];
    const TypeId id{static_cast<int>(k)};
    TypeView tv{t.id, t.origin, t.domestic, f.devices_total(id), 0, s.allocated_devices(id)};
    for (const FleetNode& n : f.nodes())
      if (n.type == id && n.up) tv.devices_up += n.state.gpu_count;
    v.types.push_back(std::move(tv));
  }
  for (const Rule& r : s.rules()) v.rules.push_back(rule_view(r, s, st.last_t, v.now_t));
  v.nodes = f.nodes().size();
  v.jobs = s.job_count();
  v.running = s.running_count();
  v.queued = s.queued().size();
  v.domestic_share = s.domestic_share();
  v.queue_policy = queue_policy_name(s.config().queue);
  v.placement_policy = placement_policy_name(s.config().placement);
  v.preemption = s.config().preemption;
  v.deliveries_pending = st.deliveries.size() - st.next_delivery;
  return v;
}

FleetResult<std::vector<NodeView>> FleetCore::nodes() const {
  std::lock_guard lock(mutex_);
  SUANLI_TRY(usable_locked());
  const Scheduler& s = *state_->scheduler;
  const Fleet& f = s.fleet();
  std::vector<std::set<int>> jobs(f.nodes().size());
  for (int j = 0; j < s.job_count(); ++j) {
    const JobStatus& st = s.status(JobId{j});
    if (st.state != JobState::kRunning) continue;
    for (const auto& g : st.allocation.groups)
      for (const DeviceSlot& slot : g) jobs[slot.node.index()].insert(j);
  }
  std::vector<NodeView> out;
  for (const FleetNode& n : f.nodes()) {
    const int left = n.state.gpu_left_total();
    out.push_back({n.name, f.site(n.site).name, f.type(n.type).id, n.domain.value, n.up, n.cordoned,
                   n.state.gpu_count, n.state.fully_free_gpus(),
                   static_cast<double>(n.state.gpu_count * kGpuMilli - left) / kGpuMilli,
                   std::move(jobs[n.id.index()])});
  }
  return out;
}

FleetResult<std::vector<QueueView>> FleetCore::queue() const {
  std::lock_guard lock(mutex_);
  SUANLI_TRY(usable_locked());
  const State& st = *state_;
  const Scheduler& s = *st.scheduler;
  std::vector<QueueView> out;
  for (JobId id : s.queued()) {
    const JobSpec& spec = s.spec(id);
    const JobStatus& js = s.status(id);
    auto r = st.refusals.find(id.value);
    out.push_back({id.value, spec.name, s.tenants()[spec.tenant.index()].name, spec.priority,
                   std::string(sensitivity_name(spec.sensitivity)), spec.devices, js.submitted,
                   js.reason, js.reason_rule,
                   r == st.refusals.end() ? std::vector<RefusalView>() : r->second});
  }
  return out;
}

FleetResult<JobView> FleetCore::job(int id) const {
  std::lock_guard lock(mutex_);
  SUANLI_TRY(usable_locked());
  const State& st = *state_;
  if (id < 0)
    return invalid(
        fmt::format("path.id: expected a job id (integer >= 0), got {:?}", std::to_string(id)));
  if (id >= st.scheduler->job_count())
    return suanli::fail(ErrorCode::kNotFound, fmt::format("no job {}", id));
  return job_view(st, JobId{id}, std::max(st.last_t, clock_() - st.epoch), true);
}

FleetResult<void> FleetCore::has_job(int id) const {
  std::lock_guard lock(mutex_);
  SUANLI_TRY(usable_locked());
  if (id < 0 || id >= state_->scheduler->job_count())
    return suanli::fail(ErrorCode::kNotFound, fmt::format("no job {}", id));
  return {};
}

FleetResult<std::vector<JobView>> FleetCore::jobs(std::optional<JobState> state) const {
  std::lock_guard lock(mutex_);
  SUANLI_TRY(usable_locked());
  const State& st = *state_;
  const Scheduler& s = *st.scheduler;
  const double now_t = std::max(st.last_t, clock_() - st.epoch);
  std::vector<JobView> out;
  for (int j = 0; j < s.job_count(); ++j)
    if (!state || s.status(JobId{j}).state == *state)
      out.push_back(job_view(st, JobId{j}, now_t, false));
  return out;
}

FleetResult<AuditPage> FleetCore::audit(std::int64_t after, int limit) const {
  std::lock_guard lock(mutex_);
  auto rows = store_->audit(after, limit);
  if (!rows)
    return std::unexpected(FleetError(Error{ErrorCode::kIo, "store: " + rows.error().message}, {},
                                      FleetError::Kind::kStore));
  AuditPage page{{}, after};
  for (const store::AuditRecord& r : *rows) {
    page.decisions.push_back({r.seq, r.event_seq, r.decision});
    page.next_after = r.seq;
  }
  return page;
}

}  // namespace suanli::service

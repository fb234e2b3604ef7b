#include "service/live_fleet.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <map>
#include <numeric>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "sched/scheduler.h"
#include "service/fleet_config.h"
#include "sim/event_log.h"
#include "sim/scenario.h"
#include "sim/work_model.h"

namespace suanli::service {

namespace {

using Json = nlohmann::json;
using OJson = nlohmann::ordered_json;

constexpr std::string_view kConfigFile = "fleet-config.toml";
constexpr std::size_t kMaxScenarioBytes = 1 << 20;
constexpr std::int64_t kMaxNodesPerCall = 4096;
constexpr std::size_t kMaxNodes = 100000;
constexpr std::int64_t kMaxDevices = 1 << 20;
constexpr double kMaxHours = 1e6;
constexpr int kAuditPage = 1000;
constexpr std::size_t kMaxScriptBytes = 64 * 1024;

std::unexpected<Error> invalid(std::string message) {
  return fail(ErrorCode::kInvalidArgument, std::move(message));
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

Json type_json(const AcceleratorType& t) {
  Json j;
  j["id"] = t.id;
  j["name"] = t.name;
  j["vendor"] = t.vendor;
  j["origin"] = t.origin;
  j["domestic"] = t.domestic;
  j["compute_weight"] = t.compute_weight;
  j["price_per_device_hour"] = t.price_per_device_hour;
  return j;
}

AcceleratorType type_from_json(const Json& j) {
  AcceleratorType t;
  t.id = j.at("id").get<std::string>();
  t.name = j.at("name").get<std::string>();
  t.vendor = j.at("vendor").get<std::string>();
  t.origin = j.at("origin").get<std::string>();
  t.domestic = j.at("domestic").get<bool>();
  t.compute_weight = j.at("compute_weight").get<double>();
  t.price_per_device_hour = j.at("price_per_device_hour").get<double>();
  return t;
}

bool has_control_chars(std::string_view s) {
  return std::any_of(s.begin(), s.end(),
                     [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; });
}

}  // namespace

// Everything the events rebuild. Replaced as a whole by a replay.
struct LiveFleet::State {
  bool configured = false;
  std::string scenario_name;
  double epoch = 0;  // wall seconds of the config event
  std::optional<Scheduler> scheduler;
  std::vector<Delivery> deliveries;  // from the config, in time order
  std::size_t next_delivery = 0;
  SimTime last_t = 0;
  std::int64_t events = 0;                             // since the config, the config included
  std::int64_t last_seq = 0;                           // store seq of the last event
  std::vector<std::optional<SimTime>> reported_start;  // per job (POST …/start)
  // Per job: place decisions so far, the placement an external system
  // (Slurm) last reported starting with its ID, and the job's batch script.
  std::vector<int> placements;
  std::vector<int> external_placement;  // -1: none
  std::vector<std::string> external_id;
  std::vector<std::string> scripts;
  std::map<int, Json> refusals;  // per job: the last queue decision's
  // Per fleet type ID: what uses it (pools and deliveries of the config,
  // nodes registered since), for the catalog's "in use" refusals.
  std::map<std::string, std::vector<std::string>> type_users;
  std::string broken;  // non-empty: the last rebuild failed; the fleet answers 503

  // Applies one stored-form event (see docs/live-fleet.md) and returns the
  // decisions it caused as JSON text, in order.
  Result<std::vector<std::string>> apply(const Json& event, const Catalog& catalog);

 private:
  Result<void> apply_config(const Json& event, const Catalog& catalog);
  std::string decision_text(const Decision& d);
};

Result<void> LiveFleet::State::apply_config(const Json& event, const Catalog& catalog) {
  const std::string text = event.at("scenario").get<std::string>();
  auto scenario = parse_scenario(text, std::string(kConfigFile), catalog);
  if (!scenario) return std::unexpected(scenario.error());
  SUANLI_TRY(fill_tenant_declarations(scenario->tenants, text));
  // The fleet's types as they were resolved when the config was accepted,
  // so a later catalog edit does not change what a replay computes.
  const Json& types = event.at("types");
  if (types.size() != scenario->fleet.types().size())
    return fail(ErrorCode::kConflict, "config: the catalog no longer resolves the stored types");
  Fleet fleet;
  for (const Site& s : scenario->fleet.sites()) fleet.add_site(s);
  for (std::size_t i = 0; i < types.size(); ++i) {
    AcceleratorType t = type_from_json(types[i]);
    if (t.id != scenario->fleet.types()[i].id)
      return fail(ErrorCode::kConflict, fmt::format("config: type {} is {} in the store, {} now", i,
                                                    t.id, scenario->fleet.types()[i].id));
    fleet.add_type(std::move(t));
  }
  for (const NodePool& p : scenario->pools) SUANLI_TRY(fleet.add_pool(p));
  SchedulerConfig config = scenario->scheduler;
  config.seed = scenario->seed;
  auto sched = Scheduler::create(std::move(fleet), scenario->tenants, scenario->rules, config);
  if (!sched) return std::unexpected(sched.error());
  scheduler.emplace(std::move(*sched));
  configured = true;
  scenario_name = scenario->name;
  epoch = event.at("epoch").get<double>();
  deliveries = scenario->deliveries;
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
  for (const NodePool& p : scenario->pools)
    type_users[f.type(p.type).id].push_back("pool " + pool_name(p));
  for (const Delivery& d : deliveries)
    type_users[f.type(d.pool.type).id].push_back("delivery " + pool_name(d.pool));
  last_t = 0;
  return {};
}

std::string LiveFleet::State::decision_text(const Decision& d) {
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

Result<std::vector<std::string>> LiveFleet::State::apply(const Json& event,
                                                         const Catalog& catalog) {
  try {
    const std::string type = event.at("type").get<std::string>();
    const SimTime t = event.at("t").get<double>();
    if (type == "config") {
      SUANLI_TRY(apply_config(event, catalog));
    } else {
      if (!configured) return fail(ErrorCode::kConflict, "the fleet has no config yet");
      Scheduler& s = *scheduler;
      // Deliveries planned in the config, due by now.
      while (next_delivery < deliveries.size() && deliveries[next_delivery].at <= t) {
        auto added = s.add_nodes(deliveries[next_delivery].pool, t);
        if (!added) return std::unexpected(added.error());
        ++next_delivery;
      }
      if (type == "nodes") {
        const Fleet& f = s.fleet();
        NodePool pool;
        auto site = f.find_site(event.at("site").get<std::string>());
        auto acc = f.find_type(event.at("accelerator").get<std::string>());
        if (!site || !acc) return invalid("nodes: unknown site or accelerator");
        pool.site = *site;
        pool.type = *acc;
        pool.nodes = event.at("nodes").get<int>();
        pool.devices_per_node = event.at("devices_per_node").get<int>();
        pool.scale_up_domain = event.at("scale_up_domain").get<int>();
        pool.name_prefix = event.at("name_prefix").get<std::string>();
        auto added = s.add_nodes(pool, t);
        if (!added) return std::unexpected(added.error());
        auto& users = type_users[f.type(pool.type).id];
        if (std::find(users.begin(), users.end(), "nodes " + pool.name_prefix) == users.end())
          users.push_back("nodes " + pool.name_prefix);
      } else if (type == "node_down" || type == "node_up" || type == "cordon" ||
                 type == "uncordon") {
        auto node = s.fleet().find_node(event.at("node").get<std::string>());
        if (!node) return fail(ErrorCode::kNotFound, "unknown node");
        if (type == "cordon" || type == "uncordon")
          SUANLI_TRY(s.cordon(*node, type == "cordon", t));
        else
          SUANLI_TRY(type == "node_up" ? s.node_up(*node, t) : s.node_down(*node, t));
      } else if (type == "rule") {
        Rule rule;
        rule.id = event.at("id").get<std::string>();
        const auto kind = parse_rule_kind(event.at("kind").get<std::string>());
        if (!kind) return invalid("rule: bad kind");
        rule.kind = *kind;
        rule.type = s.fleet().find_type(event.at("accelerator").get<std::string>());
        if (!rule.type) return invalid("rule: unknown accelerator");
        rule.from = t;
        rule.within_s = event.at("within_s").get<double>();
        rule.defined_at = "POST /api/v1/fleet/rules";
        SUANLI_TRY(s.add_rule(std::move(rule), t));
      } else if (type == "submit") {
        JobSpec spec;
        spec.name = event.at("name").get<std::string>();
        const std::string tenant = event.at("tenant").get<std::string>();
        for (std::size_t i = 0; i < s.tenants().size(); ++i)
          if (s.tenants()[i].name == tenant) spec.tenant = TenantId{static_cast<int>(i)};
        auto kind = parse_job_kind(event.at("kind").get<std::string>());
        auto sens = parse_sensitivity(event.at("sensitivity").get<std::string>());
        if (!kind || !sens) return invalid("submit: bad kind or sensitivity");
        spec.kind = *kind;
        spec.sensitivity = *sens;
        spec.priority = event.at("priority").get<int>();
        spec.devices = event.at("devices").get<int>();
        spec.tp = event.at("tp").get<int>();
        spec.gpu_milli = event.at("gpu_milli").get<int>();
        spec.checkpoint_interval_s = event.at("checkpoint_interval_s").get<double>();
        const std::size_t types = s.fleet().types().size();
        spec.duration_s.assign(types, kCannotRun);
        spec.cannot_run_reason.assign(types, "not in durations");
        const Json& durations = event.at("durations_s");
        const Json& reasons = event.at("cannot_run");
        bool all_run = true;
        for (std::size_t k = 0; k < types; ++k) {
          const std::string& id = s.fleet().types()[k].id;
          if (auto it = durations.find(id); it != durations.end()) {
            spec.duration_s[k] = it->get<double>();
            spec.cannot_run_reason[k].clear();
          } else {
            all_run = false;
            if (auto r = reasons.find(id); r != reasons.end())
              spec.cannot_run_reason[k] = r->get<std::string>();
          }
        }
        if (all_run) spec.cannot_run_reason.clear();
        auto id = s.submit(std::move(spec), t);
        if (!id) return std::unexpected(id.error());
        const auto jobs = static_cast<std::size_t>(s.job_count());
        reported_start.resize(jobs);
        placements.resize(jobs, 0);
        external_placement.resize(jobs, -1);
        external_id.resize(jobs);
        scripts.resize(jobs);
        scripts.back() = event.value("script", std::string());
      } else if (type == "start" || type == "finish" || type == "fail") {
        const JobId job{event.at("job").get<int>()};
        if (!job.valid() || job.value >= s.job_count())
          return fail(ErrorCode::kNotFound, "unknown job");
        if (type == "start") {
          if (s.status(job).state != JobState::kRunning)
            return fail(ErrorCode::kConflict, "job is not running");
          reported_start[job.index()] = t;
          if (auto x = event.find("external_id"); x != event.end()) {
            external_id[job.index()] = x->get<std::string>();
            external_placement[job.index()] = placements[job.index()];
          }
        } else if (type == "finish") {
          SUANLI_TRY(s.finish(job, t));
        } else {
          SUANLI_TRY(s.fail(job, t, event.at("reason").get<std::string>()));
        }
      } else if (type != "tick") {
        return fail(ErrorCode::kParse, fmt::format("unknown fleet event type {:?}", type));
      }
    }
    scheduler->schedule(t);
    last_t = std::max(last_t, t);
    ++events;
    std::vector<std::string> out;
    for (const Decision& d : scheduler->take_decisions()) {
      if (d.kind == DecisionKind::kQueue) {
        Json r = Json::array();
        for (const TypeRefusal& x : d.refusals)
          r.push_back({{"accelerator", scheduler->fleet().type(x.type).id},
                       {"rule", x.rule},
                       {"detail", x.detail}});
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
    return fail(ErrorCode::kParse, fmt::format("malformed fleet event: {}", e.what()));
  }
}

// ---- LiveFleet ----------------------------------------------------------

LiveFleet::LiveFleet(store::Store& store, CatalogHolder& catalog, Clock clock)
    : store_(&store),
      catalog_(&catalog),
      clock_(std::move(clock)),
      state_(std::make_unique<State>()) {}

LiveFleet::~LiveFleet() { catalog_->remove_reference_check(this); }

Result<std::unique_ptr<LiveFleet>> LiveFleet::open(store::Store& store, CatalogHolder& catalog,
                                                   Clock clock) {
  if (!clock) return invalid("live fleet: no clock");
  std::unique_ptr<LiveFleet> fleet(new LiveFleet(store, catalog, std::move(clock)));
  // A log that cannot be replayed (a tampered row, a chip gone from the
  // catalog, a changed scheduler) does not stop the service: the fleet is
  // served degraded (problem()), its audit stays readable and a new config
  // starts a new epoch.
  (void)fleet->rebuild();
  catalog.add_reference_check(fleet.get(), [f = fleet.get()](std::string_view id) {
    std::lock_guard lock(f->mutex_);
    auto it = f->state_->type_users.find(std::string(id));
    if (it == f->state_->type_users.end()) return std::vector<std::string>();
    return it->second.empty() ? std::vector<std::string>{"declared as a fleet type"} : it->second;
  });
  return fleet;
}

std::string LiveFleet::problem() const {
  std::lock_guard lock(mutex_);
  return state_->broken;
}

Result<void> LiveFleet::rebuild() {
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
  std::vector<Json> parsed(events->size());
  std::size_t first = 0;
  for (std::size_t i = 0; i < events->size(); ++i) {
    try {
      parsed[i] = Json::parse((*events)[i].event);
    } catch (const std::exception& e) {
      return fail_with(Error{ErrorCode::kParse, fmt::format("fleet event {}: malformed JSON: {}",
                                                            (*events)[i].seq, e.what())});
    }
    if (parsed[i].is_object() && parsed[i].contains("type") && parsed[i]["type"] == "config")
      first = i;
  }
  const std::int64_t first_seq = events->empty() ? 0 : (*events)[first].seq;
  if (!events->empty() && parsed[first].is_object())
    if (auto t = parsed[first].find("types"); t != parsed[first].end() && t->is_array())
      for (const Json& type : *t)
        if (type.is_object() && type.contains("id") && type["id"].is_string())
          config_types.push_back(type["id"].get<std::string>());
  // The stored decisions of the epoch, grouped by the event that caused them.
  std::map<std::int64_t, std::vector<std::string>> stored;
  for (std::int64_t after = 0;;) {
    auto page = store_->audit(after, kAuditPage);
    if (!page) return fail_with(page.error());
    for (const store::AuditRecord& r : *page) {
      if (r.event_seq >= first_seq) stored[r.event_seq].push_back(r.decision);
      after = r.seq;
    }
    if (page->size() < static_cast<std::size_t>(kAuditPage)) break;
  }
  const auto catalog = catalog_->get().catalog;
  for (std::size_t i = first; i < events->size(); ++i) {
    const store::FleetEventRecord& rec = (*events)[i];
    auto decisions = fresh->apply(parsed[i], *catalog);
    if (!decisions)
      return fail_with(Error{
          ErrorCode::kConflict,
          fmt::format("replay of fleet event {} failed: {}", rec.seq, decisions.error().message)});
    const auto& expected = stored[rec.seq];
    if (*decisions != expected) {
      std::size_t k = 0;
      while (k < decisions->size() && k < expected.size() && (*decisions)[k] == expected[k]) ++k;
      return fail_with(
          Error{ErrorCode::kConflict,
                fmt::format("replay of fleet event {} reproduced {} decisions, {} stored; first "
                            "difference at #{}: replay {} vs stored {}",
                            rec.seq, decisions->size(), expected.size(), k,
                            k < decisions->size() ? (*decisions)[k] : "(none)",
                            k < expected.size() ? expected[k] : "(none)")});
    }
    fresh->last_seq = rec.seq;
  }
  state_ = std::move(fresh);
  return {};
}

std::int64_t LiveFleet::event_count() const {
  std::lock_guard lock(mutex_);
  return state_->events;
}

// Stores and applies one decoded event (without "t"): the common tail of
// every mutation. The caller holds the mutex.
ApiResponse LiveFleet::mutate(const Json& decoded, int status) {
  Json event = decoded;
  const bool config = event.at("type") == "config";
  State& st = *state_;
  SimTime t = 0;
  if (config) {
    event["epoch"] = clock_();
  } else {
    t = std::max(st.last_t, clock_() - st.epoch);
  }
  event["t"] = t;
  const auto catalog = catalog_->get().catalog;
  std::unique_ptr<State> fresh;
  State* target = &st;
  if (config) {
    fresh = std::make_unique<State>();
    target = fresh.get();
  }
  auto decisions = target->apply(event, *catalog);
  if (!decisions) {
    const Error e = decisions.error();
    if (!config) (void)rebuild();  // the scheduler may be half-changed
    return error_response(e);
  }
  // One event, one transaction: a config is appended like any other event
  // (it starts a new epoch; nothing is deleted).
  auto seq = store_->append_fleet_event(event.dump(), *decisions);
  if (!seq) {
    (void)rebuild();
    return error_response(
        500, "io",
        "the event was not stored (state rebuilt from the store): " + seq.error().message);
  }
  if (config) state_ = std::move(fresh);
  state_->last_seq = *seq;
  Json out;
  out["seq"] = *seq;
  out["t"] = t;
  Json ds = Json::array();
  for (const std::string& d : *decisions) ds.push_back(Json::parse(d));
  out["decisions"] = std::move(ds);
  return json_response(std::move(out), status);
}

namespace {

// Access to the scheduler for handlers: 409 until a config exists, 500 when
// the last rebuild failed.
std::optional<ApiResponse> not_ready(const LiveFleet::State& st) {
  if (!st.broken.empty())
    return error_response(
        503, "unavailable",
        "live fleet unavailable: " + st.broken +
            " (its audit stays readable at GET /api/v1/fleet/audit; PUT /api/v1/fleet/config "
            "starts a new epoch)");
  if (!st.configured)
    return error_response(409, "conflict",
                          "the fleet has no config yet: PUT /api/v1/fleet/config first");
  return std::nullopt;
}

Result<JobId> job_param(const ApiRequest& request, const Scheduler& s) {
  auto it = request.params.find("id");
  const std::string text = it == request.params.end() ? "" : it->second;
  int v = -1;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || p != text.data() + text.size() || v < 0)
    return invalid(
        fmt::format("path.id: expected a job id (integer >= 0), got {:?}", text.substr(0, 40)));
  if (v >= s.job_count()) return fail(ErrorCode::kNotFound, fmt::format("no job {}", v));
  return JobId{v};
}

Result<Json> decode_nodes(const Json& body, const Scheduler& s, const Catalog& catalog) {
  SUANLI_ASSIGN(auto r, FieldReader::object(body, "body"));
  SUANLI_ASSIGN(const std::string site, r.req_identifier("site"));
  SUANLI_ASSIGN(const std::string acc, r.req_identifier("accelerator"));
  SUANLI_ASSIGN(const std::int64_t count, r.req_int("nodes"));
  SUANLI_ASSIGN(const auto dpn_in, r.opt_int("devices_per_node"));
  SUANLI_ASSIGN(const auto domain_in, r.opt_int("scale_up_domain"));
  SUANLI_ASSIGN(const auto prefix_in, r.opt_identifier("name_prefix"));
  SUANLI_TRY(r.finish());
  const Fleet& f = s.fleet();
  if (!f.find_site(site)) {
    std::vector<std::string> names;
    for (const Site& x : f.sites()) names.push_back(x.name);
    return invalid(fmt::format("body.site: unknown site {:?} (sites: {})", site, join(names)));
  }
  const auto type = f.find_type(acc);
  if (!type) {
    std::vector<std::string> ids;
    for (const AcceleratorType& x : f.types()) ids.push_back(x.id);
    if (catalog.accelerator(acc))
      return invalid(fmt::format(
          "body.accelerator: {} is in the catalog but not in the fleet config; the scheduler "
          "cannot add accelerator types after the config, so list it there ([[fleet]] or "
          "[[deliveries]]) and PUT the config again (fleet types: {})",
          acc, join(ids)));
    return invalid(fmt::format("body.accelerator: unknown accelerator {:?} (fleet types: {})", acc,
                               join(ids)));
  }
  if (count < 1 || count > kMaxNodesPerCall)
    return invalid(fmt::format("body.nodes: must be 1..{}, got {}", kMaxNodesPerCall, count));
  if (f.nodes().size() + static_cast<std::size_t>(count) > kMaxNodes)
    return invalid(fmt::format("body.nodes: the fleet would exceed {} nodes", kMaxNodes));
  int dpn = f.devices_per_node(*type);
  if (dpn == 0) {
    auto a = catalog.accelerator(acc);
    dpn = a ? (*a)->node_devices : 8;
  }
  if (dpn_in) {
    if (*dpn_in < 1 || *dpn_in > kMaxNodeGpus)
      return invalid(
          fmt::format("body.devices_per_node: must be 1..{}, got {}", kMaxNodeGpus, *dpn_in));
    if (f.devices_per_node(*type) != 0 && *dpn_in != f.devices_per_node(*type))
      return invalid(fmt::format(
          "body.devices_per_node: {} nodes have {} devices, got {}; one node size per type", acc,
          f.devices_per_node(*type), *dpn_in));
    dpn = static_cast<int>(*dpn_in);
  }
  int domain = f.domain_devices(*type);
  if (domain == 0 || domain % dpn != 0) domain = dpn;
  if (domain_in) {
    if (*domain_in < dpn || *domain_in % dpn != 0 || *domain_in > kMaxDevices)
      return invalid(
          fmt::format("body.scale_up_domain: must be a multiple of devices_per_node ({}), got {}",
                      dpn, *domain_in));
    domain = static_cast<int>(*domain_in);
  }
  const std::string prefix = prefix_in.value_or(fmt::format("{}-{}", site, acc));
  // The names add_pool will give; none may exist already.
  int first = 0;
  for (const FleetNode& n : f.nodes())
    if (n.name.starts_with(prefix + "-")) ++first;
  for (int i = 0; i < count; ++i) {
    const std::string name = fmt::format("{}-{}", prefix, first + i);
    if (name.size() > 128 || f.find_node(name))
      return invalid(fmt::format("body.name_prefix: node name {} exists or is too long", name));
  }
  return Json{{"type", "nodes"},         {"site", site},
              {"accelerator", acc},      {"nodes", count},
              {"devices_per_node", dpn}, {"scale_up_domain", domain},
              {"name_prefix", prefix}};
}

Result<Json> decode_submit(const Json& body, const Scheduler& s, const Catalog& catalog) {
  SUANLI_ASSIGN(auto r, FieldReader::object(body, "body"));
  SUANLI_ASSIGN(const std::string name, r.req_identifier("name"));
  SUANLI_ASSIGN(const std::string tenant, r.req_identifier("tenant"));
  SUANLI_ASSIGN(const auto kind_in, r.opt_string("kind"));
  SUANLI_ASSIGN(const auto priority_in, r.opt_int("priority"));
  SUANLI_ASSIGN(const auto sens_in, r.opt_string("sensitivity"));
  SUANLI_ASSIGN(const auto devices_in, r.opt_int("devices"));
  SUANLI_ASSIGN(const auto tp_in, r.opt_int("tp"));
  SUANLI_ASSIGN(const auto milli_in, r.opt_int("gpu_milli"));
  SUANLI_ASSIGN(const auto ckpt_in, r.opt_number("checkpoint_interval_s"));
  SUANLI_ASSIGN(const auto hours_in, r.opt_number("duration_hours"));
  SUANLI_ASSIGN(const auto reference_in, r.opt_identifier("reference"));
  const auto per_type_in = r.opt_value("durations_hours");
  SUANLI_ASSIGN(const auto script_in, r.opt_string("script"));
  SUANLI_TRY(r.finish());
  if (script_in &&
      (script_in->size() > kMaxScriptBytes || script_in->find('\0') != std::string::npos))
    return invalid(fmt::format("body.script: at most {} bytes, no NUL", kMaxScriptBytes));

  const Fleet& f = s.fleet();
  std::vector<std::string> tenants;
  const Tenant* owner = nullptr;
  for (const Tenant& t : s.tenants()) {
    tenants.push_back(t.name);
    if (t.name == tenant) owner = &t;
  }
  if (!owner)
    return invalid(
        fmt::format("body.tenant: unknown tenant {:?} (tenants: {})", tenant, join(tenants)));
  const std::string kind_text = kind_in.value_or("training");
  const auto kind = parse_job_kind(kind_text);
  if (!kind)
    return invalid(fmt::format("body.kind: unknown kind {:?} (accepted: {})",
                               kind_text.substr(0, 40), accepted_kinds()));
  std::optional<Sensitivity> given;
  if (sens_in) {
    given = parse_sensitivity(*sens_in);
    if (!given)
      return invalid(fmt::format("body.sensitivity: unknown sensitivity {:?} (accepted: {})",
                                 sens_in->substr(0, 40), accepted_sensitivities()));
  }
  // The simulator's rule: the tenant's declared sensitivity is the floor.
  const std::optional<Sensitivity> sens = job_sensitivity(given, *owner);
  const std::int64_t priority = priority_in.value_or(0);
  if (priority < -1000000 || priority > 1000000)
    return invalid("body.priority: must be in [-1000000, 1000000]");
  const std::int64_t devices = devices_in.value_or(1);
  if (devices < 1 || devices > kMaxDevices)
    return invalid(fmt::format("body.devices: must be 1..{}, got {}", kMaxDevices, devices));
  const std::int64_t tp = tp_in.value_or(std::gcd(devices, std::int64_t{8}));
  if (tp < 1 || devices % tp != 0)
    return invalid(
        fmt::format("body.tp: must be >= 1 and divide devices ({}), got {}", devices, tp));
  const std::int64_t milli = milli_in.value_or(1000);
  if (milli < 1 || milli > 1000)
    return invalid(fmt::format("body.gpu_milli: must be 1..1000, got {}", milli));
  if (milli < 1000 && devices != 1)
    return invalid("body.gpu_milli: a fractional job (gpu_milli < 1000) needs devices = 1");
  const double ckpt = ckpt_in.value_or(0);
  if (!(ckpt >= 0) || ckpt > kMaxHours * 3600)
    return invalid("body.checkpoint_interval_s: must be >= 0");

  Json durations = Json::object();
  Json cannot = Json::object();
  if (hours_in.has_value() == per_type_in.has_value())
    return invalid(
        "body: give the work as exactly one of duration_hours (with reference) or "
        "durations_hours");
  if (hours_in) {
    if (!(*hours_in > 0) || *hours_in > kMaxHours)
      return invalid(fmt::format("body.duration_hours: must be in (0, {}]", kMaxHours));
    if (!reference_in) return invalid("body.reference: required with duration_hours");
    if (!catalog.accelerator(*reference_in))
      return invalid(fmt::format("body.reference: unknown accelerator {:?}", *reference_in));
    WorkModel work(catalog, f);
    WorkSpec spec;
    spec.reference = *reference_in;
    spec.reference_hours = SampleRange{*hours_in, *hours_in, false};
    auto rates = work.rates("live", *kind, spec, static_cast<int>(devices));
    if (!rates) return invalid("body.reference: " + rates.error().message);
    JobSpec js;
    work.fill_durations(js, **rates, 3600 * *hours_in, {});
    for (std::size_t k = 0; k < f.types().size(); ++k) {
      if (std::isfinite(js.duration_s[k]))
        durations[f.types()[k].id] = js.duration_s[k];
      else
        cannot[f.types()[k].id] =
            js.cannot_run_reason.empty() ? "cannot run there" : js.cannot_run_reason[k];
    }
  } else {
    if (reference_in) return invalid("body.reference: only with duration_hours");
    if (!per_type_in->is_object() || per_type_in->empty())
      return invalid("body.durations_hours: expected a non-empty object {accelerator: hours}");
    for (const auto& [id, h] : per_type_in->items()) {
      const std::string field = "body.durations_hours." + id.substr(0, 40);
      SUANLI_TRY(check_identifier(id, "body.durations_hours key"));
      if (!f.find_type(id)) {
        std::vector<std::string> ids;
        for (const AcceleratorType& x : f.types()) ids.push_back(x.id);
        return invalid(fmt::format("{}: unknown accelerator (fleet types: {})", field, join(ids)));
      }
      if (!h.is_number()) return invalid(field + ": expected a number");
      const double v = h.get<double>();
      if (!(v > 0) || v > kMaxHours)
        return invalid(fmt::format("{}: must be in (0, {}]", field, kMaxHours));
      durations[id] = std::max(1.0, v * 3600);
    }
  }
  Json event{{"type", "submit"},
             {"name", name},
             {"tenant", tenant},
             {"kind", job_kind_name(*kind)},
             {"priority", priority},
             {"sensitivity", sensitivity_name(*sens)},
             {"devices", devices},
             {"tp", tp},
             {"gpu_milli", milli},
             {"checkpoint_interval_s", ckpt},
             {"durations_s", std::move(durations)},
             {"cannot_run", std::move(cannot)}};
  if (hours_in) {
    event["duration_hours"] = *hours_in;
    event["reference"] = *reference_in;
  }
  if (script_in) event["script"] = *script_in;
  return event;
}

Json allocation_json(const Allocation& a, const Fleet& f) {
  if (!a.type.valid()) return nullptr;
  Json groups = Json::array();
  for (const auto& g : a.groups) {
    Json group = Json::array();
    for (const DeviceSlot& s : g)
      group.push_back({{"node", f.node(s.node).name}, {"device", s.device}, {"milli", s.milli}});
    groups.push_back(std::move(group));
  }
  return {{"accelerator", f.type(a.type).id}, {"devices", a.devices()}, {"groups", groups}};
}

Json opt_time(const std::optional<SimTime>& t) { return t ? Json(*t) : Json(nullptr); }

}  // namespace

ApiResponse LiveFleet::put_config(const ApiRequest& request) {
  std::lock_guard lock(mutex_);
  auto body = parse_json_object(request.body);
  if (!body) return error_response(body.error());
  auto r = FieldReader::object(*body, "body");
  if (!r) return error_response(r.error());
  auto text = r->req_string("scenario");
  if (!text) return error_response(text.error(), "body.scenario");
  if (auto f = r->finish(); !f) return error_response(f.error());
  if (text->size() > kMaxScenarioBytes)
    return error_response(400, "invalid_argument", "body.scenario: larger than 1 MiB",
                          "body.scenario");
  const auto catalog = catalog_->get().catalog;
  auto scenario = parse_scenario(*text, std::string(kConfigFile), *catalog);
  if (!scenario) return error_response(scenario.error(), "body.scenario");
  std::vector<std::string> refused;
  if (!scenario->generators.empty()) refused.emplace_back("[[generators]]");
  if (!scenario->jobs.empty()) refused.emplace_back("[[jobs]]");
  if (!scenario->traces.empty()) refused.emplace_back("[[traces]]");
  if (!scenario->node_events.empty()) refused.emplace_back("[[node_events]]");
  if (!refused.empty())
    return error_response(
        400, "invalid_argument",
        fmt::format("body.scenario: a fleet config takes no workload or scripted events ({}); "
                    "submit jobs with POST /api/v1/fleet/jobs and report node state with "
                    "POST /api/v1/fleet/nodes/{{name}}/down|up",
                    join(refused)),
        "body.scenario");
  Json types = Json::array();
  for (const AcceleratorType& t : scenario->fleet.types()) types.push_back(type_json(t));
  return mutate(Json{{"type", "config"}, {"scenario", *text}, {"types", std::move(types)}}, 200);
}

ApiResponse LiveFleet::add_nodes(const ApiRequest& request) {
  std::lock_guard lock(mutex_);
  if (!state_->broken.empty()) (void)rebuild();
  if (auto e = not_ready(*state_)) return *e;
  auto body = parse_json_object(request.body);
  if (!body) return error_response(body.error());
  auto event = decode_nodes(*body, *state_->scheduler, *catalog_->get().catalog);
  if (!event) return error_response(event.error());
  ApiResponse out = mutate(*event, 201);
  if (out.status == 201) {
    // Deliveries due by now are added first; the call's nodes are the last.
    Json names = Json::array();
    const auto& nodes = state_->scheduler->fleet().nodes();
    const auto count = (*event)["nodes"].get<std::size_t>();
    for (std::size_t i = nodes.size() - count; i < nodes.size(); ++i)
      names.push_back(nodes[i].name);
    out.body["nodes"] = std::move(names);
  }
  return out;
}

ApiResponse LiveFleet::node_event(const ApiRequest& request, std::string_view type) {
  std::lock_guard lock(mutex_);
  if (!state_->broken.empty()) (void)rebuild();
  if (auto e = not_ready(*state_)) return *e;
  auto it = request.params.find("name");
  const std::string name = it == request.params.end() ? "" : it->second;
  if (auto c = check_identifier(name, "path.name"); !c) return error_response(c.error());
  if (!request.body.empty()) {
    auto body = parse_json_object(request.body);
    if (!body) return error_response(body.error());
    auto r = FieldReader::object(*body, "body");
    if (auto f = r->finish(); !f) return error_response(f.error());
  }
  if (!state_->scheduler->fleet().find_node(name))
    return error_response(404, "not_found", fmt::format("no node {}", name));
  return mutate(Json{{"type", type}, {"node", name}}, 200);
}

ApiResponse LiveFleet::node_down(const ApiRequest& request) {
  return node_event(request, "node_down");
}
ApiResponse LiveFleet::node_up(const ApiRequest& request) { return node_event(request, "node_up"); }
ApiResponse LiveFleet::drain_node(const ApiRequest& request) {
  return node_event(request, "cordon");
}
ApiResponse LiveFleet::resume_node(const ApiRequest& request) {
  return node_event(request, "uncordon");
}

ApiResponse LiveFleet::add_rule(const ApiRequest& request) {
  std::lock_guard lock(mutex_);
  if (!state_->broken.empty()) (void)rebuild();
  if (auto e = not_ready(*state_)) return *e;
  auto body = parse_json_object(request.body);
  if (!body) return error_response(body.error());
  auto r = FieldReader::object(*body, "body");
  if (!r) return error_response(r.error());
  auto id = r->req_identifier("id");
  if (!id) return error_response(id.error());
  auto kind_in = r->req_string("kind");
  if (!kind_in) return error_response(kind_in.error());
  auto acc = r->req_identifier("accelerator");
  if (!acc) return error_response(acc.error());
  auto within = r->opt_number("within_hours");
  if (!within) return error_response(within.error());
  if (auto f = r->finish(); !f) return error_response(f.error());
  const auto kind = parse_rule_kind(*kind_in);
  if (!kind || (*kind != RuleKind::kNoNewPlacements && *kind != RuleKind::kDrain))
    return error_response(400, "invalid_argument",
                          "body.kind: a rule added to a running fleet is no-new-placements or "
                          "drain (put the others in the config)",
                          "body.kind");
  const Scheduler& s = *state_->scheduler;
  if (!s.fleet().find_type(*acc)) {
    std::vector<std::string> ids;
    for (const AcceleratorType& x : s.fleet().types()) ids.push_back(x.id);
    return error_response(
        400, "invalid_argument",
        fmt::format("body.accelerator: {:?} is not a fleet type (types: {})", *acc, join(ids)),
        "body.accelerator");
  }
  for (const Rule& x : s.rules())
    if (x.id == *id)
      return error_response(409, "conflict", fmt::format("rule {} exists", *id), "body.id");
  const double hours = within->value_or(0);
  if (!(hours >= 0) || hours > kMaxHours ||
      (*kind == RuleKind::kNoNewPlacements && within->has_value()))
    return error_response(400, "invalid_argument", "body.within_hours: drain only, in [0, 1e6]",
                          "body.within_hours");
  return mutate(Json{{"type", "rule"},
                     {"id", *id},
                     {"kind", rule_kind_name(*kind)},
                     {"accelerator", *acc},
                     {"within_s", hours * 3600}},
                200);
}

ApiResponse LiveFleet::submit_job(const ApiRequest& request) {
  std::lock_guard lock(mutex_);
  if (!state_->broken.empty()) (void)rebuild();
  if (auto e = not_ready(*state_)) return *e;
  auto body = parse_json_object(request.body);
  if (!body) return error_response(body.error());
  auto event = decode_submit(*body, *state_->scheduler, *catalog_->get().catalog);
  if (!event) return error_response(event.error());
  const int id = state_->scheduler->job_count();
  ApiResponse out = mutate(*event, 201);
  if (out.status == 201) {
    out.body["job"] = id;
    out.body["state"] = job_state_name(state_->scheduler->status(JobId{id}).state);
  }
  return out;
}

ApiResponse LiveFleet::job_event(const ApiRequest& request, std::string_view kind) {
  std::lock_guard lock(mutex_);
  if (!state_->broken.empty()) (void)rebuild();
  if (auto e = not_ready(*state_)) return *e;
  const Scheduler& s = *state_->scheduler;
  auto job = job_param(request, s);
  if (!job) return error_response(job.error());
  std::string reason = "reported failed";
  std::optional<std::string> external;
  if (!request.body.empty()) {
    auto body = parse_json_object(request.body);
    if (!body) return error_response(body.error());
    auto r = FieldReader::object(*body, "body");
    std::optional<std::string> given;
    if (kind == "fail") {
      auto v = r->opt_string("reason");
      if (!v) return error_response(v.error());
      given = *v;
    }
    if (kind == "start") {
      auto v = r->opt_identifier("external_id");
      if (!v) return error_response(v.error());
      external = *v;
    }
    if (auto f = r->finish(); !f) return error_response(f.error());
    if (given) {
      if (given->empty() || given->size() > 500 || has_control_chars(*given))
        return error_response(400, "invalid_argument",
                              "body.reason: 1 to 500 characters without control characters",
                              "body.reason");
      reason = *given;
    }
  }
  const JobStatus& st = s.status(*job);
  const bool ended = st.state == JobState::kCompleted || st.state == JobState::kFailed;
  if ((kind == "start" || kind == "finish") && st.state != JobState::kRunning)
    return error_response(
        409, "conflict",
        fmt::format("job {} is {}, not running", job->value, job_state_name(st.state)));
  if (kind == "fail" && ended)
    return error_response(409, "conflict", fmt::format("job {} already ended", job->value));
  Json event{{"type", kind}, {"job", job->value}};
  if (kind == "fail") event["reason"] = reason;
  if (external) {
    if (state_->external_placement[job->index()] == state_->placements[job->index()])
      return error_response(409, "conflict",
                            fmt::format("job {} was already started as {} in this placement",
                                        job->value, state_->external_id[job->index()]));
    event["external_id"] = *external;
  }
  ApiResponse out = mutate(event, 200);
  if (out.status == 200) {
    out.body["job"] = job->value;
    out.body["state"] = job_state_name(state_->scheduler->status(*job).state);
  }
  return out;
}

ApiResponse LiveFleet::start_job(const ApiRequest& request) { return job_event(request, "start"); }
ApiResponse LiveFleet::finish_job(const ApiRequest& request) {
  return job_event(request, "finish");
}
ApiResponse LiveFleet::fail_job(const ApiRequest& request) { return job_event(request, "fail"); }

ApiResponse LiveFleet::tick(const ApiRequest& request) {
  std::lock_guard lock(mutex_);
  if (!state_->broken.empty()) (void)rebuild();
  if (auto e = not_ready(*state_)) return *e;
  if (!request.body.empty()) {
    auto body = parse_json_object(request.body);
    if (!body) return error_response(body.error());
    auto r = FieldReader::object(*body, "body");
    if (auto f = r->finish(); !f) return error_response(f.error());
  }
  return mutate(Json{{"type", "tick"}}, 200);
}

ApiResponse LiveFleet::summary(const ApiRequest&) const {
  std::lock_guard lock(mutex_);
  const State& st = *state_;
  if (!st.broken.empty()) return *not_ready(st);
  if (!st.configured) return json_response(Json{{"configured", false}, {"events", st.events}});
  const Scheduler& s = *st.scheduler;
  const Fleet& f = s.fleet();
  const double now_t = std::max(st.last_t, clock_() - st.epoch);
  Json types = Json::array();
  int nodes_up = 0;
  for (const FleetNode& n : f.nodes()) nodes_up += n.up ? 1 : 0;
  for (std::size_t k = 0; k < f.types().size(); ++k) {
    const AcceleratorType& t = f.types()[k];
    const TypeId id{static_cast<int>(k)};
    int up = 0;
    for (const FleetNode& n : f.nodes())
      if (n.type == id && n.up) up += n.state.gpu_count;
    types.push_back({{"accelerator", t.id},
                     {"origin", t.origin},
                     {"domestic", t.domestic},
                     {"devices_total", f.devices_total(id)},
                     {"devices_up", up},
                     {"devices_allocated", s.allocated_devices(id)}});
  }
  Json rules = Json::array();
  for (const Rule& r : s.rules()) {
    Json j{{"id", r.id}, {"kind", rule_kind_name(r.kind)}};
    std::string state = "active";
    if (r.type) j["accelerator"] = f.type(*r.type).id;
    if (r.kind == RuleKind::kNoNewPlacements || r.kind == RuleKind::kDrain) {
      j["from_t"] = r.from;
      const SimTime deadline = r.from + r.within_s;
      if (r.kind == RuleKind::kDrain) j["deadline_t"] = deadline;
      if (st.last_t < r.from)
        state = now_t >= r.from ? "due" : "pending";
      else if (r.kind == RuleKind::kDrain)
        state = st.last_t < deadline ? (now_t >= deadline ? "due" : "draining") : "drained";
    }
    if (r.kind == RuleKind::kSensitivityOrigin) {
      j["min_sensitivity"] = sensitivity_name(r.min_sensitivity);
      j["origins"] = r.origins;
    }
    if (r.kind == RuleKind::kDomesticShare) {
      j["min_share"] = r.min_share;
      j["measure"] = r.measure == ShareMeasure::kDevices ? "devices" : "compute";
    }
    if (r.kind == RuleKind::kApprovedCustomers) {
      Json ts = Json::array();
      for (TenantId t : r.tenants) ts.push_back(s.tenants()[t.index()].name);
      j["tenants"] = std::move(ts);
    }
    j["state"] = state;
    rules.push_back(std::move(j));
  }
  const auto share = s.domestic_share();
  Json out{{"configured", true},
           {"scenario", st.scenario_name},
           {"epoch", st.epoch},
           {"now_t", now_t},
           {"last_event_t", st.last_t},
           {"events", st.events},
           {"last_seq", st.last_seq},
           {"types", std::move(types)},
           {"nodes", f.nodes().size()},
           {"nodes_up", nodes_up},
           {"jobs", s.job_count()},
           {"running", s.running_count()},
           {"queued", s.queued().size()},
           {"domestic_share", share ? Json(*share) : Json(nullptr)},
           {"rules", std::move(rules)},
           {"scheduler",
            {{"queue", queue_policy_name(s.config().queue)},
             {"placement", placement_policy_name(s.config().placement)},
             {"preemption", s.config().preemption}}},
           {"deliveries_pending", st.deliveries.size() - st.next_delivery}};
  return json_response(std::move(out));
}

ApiResponse LiveFleet::nodes(const ApiRequest&) const {
  std::lock_guard lock(mutex_);
  if (auto e = not_ready(*state_)) return *e;
  const Scheduler& s = *state_->scheduler;
  const Fleet& f = s.fleet();
  std::vector<std::set<int>> jobs(f.nodes().size());
  for (int j = 0; j < s.job_count(); ++j) {
    const JobStatus& st = s.status(JobId{j});
    if (st.state != JobState::kRunning) continue;
    for (const auto& g : st.allocation.groups)
      for (const DeviceSlot& slot : g) jobs[slot.node.index()].insert(j);
  }
  Json out = Json::array();
  for (const FleetNode& n : f.nodes()) {
    const int left = n.state.gpu_left_total();
    out.push_back({{"name", n.name},
                   {"site", f.site(n.site).name},
                   {"accelerator", f.type(n.type).id},
                   {"domain", n.domain.value},
                   {"up", n.up},
                   {"cordoned", n.cordoned},
                   {"devices", n.state.gpu_count},
                   {"devices_free", n.state.fully_free_gpus()},
                   {"devices_allocated",
                    static_cast<double>(n.state.gpu_count * kGpuMilli - left) / kGpuMilli},
                   {"jobs", jobs[n.id.index()]}});
  }
  return json_response(Json{{"nodes", std::move(out)}});
}

ApiResponse LiveFleet::queue(const ApiRequest&) const {
  std::lock_guard lock(mutex_);
  if (auto e = not_ready(*state_)) return *e;
  const State& st = *state_;
  const Scheduler& s = *st.scheduler;
  Json out = Json::array();
  for (JobId id : s.queued()) {
    const JobSpec& spec = s.spec(id);
    const JobStatus& js = s.status(id);
    auto r = st.refusals.find(id.value);
    out.push_back({{"id", id.value},
                   {"name", spec.name},
                   {"tenant", s.tenants()[spec.tenant.index()].name},
                   {"priority", spec.priority},
                   {"sensitivity", sensitivity_name(spec.sensitivity)},
                   {"devices", spec.devices},
                   {"submitted_t", js.submitted},
                   {"reason", js.reason},
                   {"rule", js.reason_rule},
                   {"refusals", r == st.refusals.end() ? Json::array() : r->second}});
  }
  return json_response(Json{{"queued", std::move(out)}});
}

namespace {

// One job as GET /api/v1/fleet/jobs/{id} shows it.
Json job_json(const LiveFleet::State& st, JobId id, double now_t, bool with_script) {
  const Scheduler& s = *st.scheduler;
  const JobSpec& spec = s.spec(id);
  const JobStatus& js = s.status(id);
  const Fleet& f = s.fleet();
  const std::size_t k = id.index();
  Json durations = Json::object();
  for (std::size_t t = 0; t < spec.duration_s.size(); ++t)
    durations[f.types()[t].id] =
        std::isfinite(spec.duration_s[t]) ? Json(spec.duration_s[t]) : Json(nullptr);
  // The external ID of the current placement only (a requeued job's old
  // Slurm job is not its job any more).
  const bool external = k < st.external_placement.size() && st.external_placement[k] >= 0 &&
                        st.external_placement[k] == st.placements[k];
  Json out{{"id", id.value},
           {"name", spec.name},
           {"tenant", s.tenants()[spec.tenant.index()].name},
           {"kind", job_kind_name(spec.kind)},
           {"priority", spec.priority},
           {"sensitivity", sensitivity_name(spec.sensitivity)},
           {"devices", spec.devices},
           {"tp", spec.tp},
           {"gpu_milli", spec.gpu_milli},
           {"state", job_state_name(js.state)},
           {"submitted_t", js.submitted},
           {"first_start_t", opt_time(js.first_start)},
           {"reported_start_t",
            opt_time(k < st.reported_start.size() ? st.reported_start[k] : std::nullopt)},
           {"placements", k < st.placements.size() ? st.placements[k] : 0},
           {"external_id", external ? Json(st.external_id[k]) : Json(nullptr)},
           {"external_placement", external ? Json(st.external_placement[k]) : Json(nullptr)},
           {"restarts", js.restarts},
           {"preemptions", js.preemptions},
           {"reason", js.reason},
           {"rule", js.reason_rule},
           {"durations_s", std::move(durations)},
           {"allocation", nullptr},
           {"progress", js.progress}};
  if (with_script) out["script"] = k < st.scripts.size() ? st.scripts[k] : std::string();
  if (js.state == JobState::kRunning) {
    const double d = spec.duration_s[js.allocation.type.index()];
    out["allocation"] = allocation_json(js.allocation, f);
    out["run_start_t"] = js.run_start;
    out["expected_end_t"] = s.expected_end(id);
    // Estimated from the clock; the scheduler books progress at events.
    out["progress"] = std::min(1.0, js.progress + std::max(0.0, now_t - js.run_start) / d);
  }
  if (js.state == JobState::kCompleted || js.state == JobState::kFailed) out["ended_t"] = js.ended;
  if (js.state == JobState::kCompleted) out["progress"] = 1.0;
  if (auto r = st.refusals.find(id.value); r != st.refusals.end()) out["refusals"] = r->second;
  return out;
}

}  // namespace

ApiResponse LiveFleet::job(const ApiRequest& request) const {
  std::lock_guard lock(mutex_);
  if (auto e = not_ready(*state_)) return *e;
  const State& st = *state_;
  auto id = job_param(request, *st.scheduler);
  if (!id) return error_response(id.error());
  return json_response(job_json(st, *id, std::max(st.last_t, clock_() - st.epoch), true));
}

ApiResponse LiveFleet::jobs(const ApiRequest& request) const {
  std::lock_guard lock(mutex_);
  if (auto e = not_ready(*state_)) return *e;
  const State& st = *state_;
  const Scheduler& s = *st.scheduler;
  std::optional<std::string> want;
  if (auto q = request.query.find("state"); q != request.query.end()) {
    bool known = false;
    for (JobState x :
         {JobState::kQueued, JobState::kRunning, JobState::kCompleted, JobState::kFailed})
      known = known || job_state_name(x) == q->second;
    if (!known)
      return error_response(
          400, "invalid_argument",
          fmt::format("query.state: unknown job state {:?}", q->second.substr(0, 40)),
          "query.state");
    want = q->second;
  }
  const double now_t = std::max(st.last_t, clock_() - st.epoch);
  Json out = Json::array();
  for (int j = 0; j < s.job_count(); ++j)
    if (!want || job_state_name(s.status(JobId{j}).state) == *want)
      out.push_back(job_json(st, JobId{j}, now_t, false));
  return json_response(Json{{"jobs", std::move(out)}});
}

ApiResponse LiveFleet::audit(const ApiRequest& request) const {
  std::lock_guard lock(mutex_);
  auto after = query_int(request, "after", 0, 0, INT64_MAX);
  if (!after) return error_response(after.error());
  auto limit = query_int(request, "limit", 100, 1, 1000);
  if (!limit) return error_response(limit.error());
  auto rows = store_->audit(*after, static_cast<int>(*limit));
  if (!rows) return error_response(500, "io", "store: " + rows.error().message);
  Json out = Json::array();
  std::int64_t last = *after;
  for (const store::AuditRecord& r : *rows) {
    Json d;
    try {
      d = Json::parse(r.decision);
    } catch (const std::exception&) {
      return error_response(500, "io", fmt::format("audit row {} is not JSON", r.seq));
    }
    out.push_back({{"seq", r.seq}, {"event_seq", r.event_seq}, {"decision", std::move(d)}});
    last = r.seq;
  }
  return json_response(Json{{"decisions", std::move(out)}, {"next_after", last}});
}

void LiveFleet::add_routes(Router& router) {
  // No exception escapes a handler: a bug answers 500.
  auto guard = [](auto fn) {
    return [fn](const ApiRequest& request) -> ApiResponse {
      try {
        return fn(request);
      } catch (const std::exception& e) {
        return error_response(500, "internal", fmt::format("live fleet: {}", e.what()));
      }
    };
  };
  auto on = [&](Method m, std::string pattern, Access a, std::string summary,
                ApiResponse (LiveFleet::*fn)(const ApiRequest&)) {
    router.add(m, std::move(pattern), a, std::move(summary),
               guard([this, fn](const ApiRequest& r) { return (this->*fn)(r); }));
  };
  auto on_read = [&](std::string pattern, std::string summary,
                     ApiResponse (LiveFleet::*fn)(const ApiRequest&) const) {
    router.add(Method::kGet, std::move(pattern), Access::kRead, std::move(summary),
               guard([this, fn](const ApiRequest& r) { return (this->*fn)(r); }));
  };
  on(Method::kPut, "/api/v1/fleet/config", Access::kWrite,
     "Reset the live fleet to a scenario's sites, pools, tenants, rules and scheduler",
     &LiveFleet::put_config);
  on(Method::kPost, "/api/v1/fleet/nodes", Access::kWrite, "Register nodes", &LiveFleet::add_nodes);
  on(Method::kPost, "/api/v1/fleet/nodes/{name}/down", Access::kWrite,
     "Report a node down (its jobs are requeued)", &LiveFleet::node_down);
  on(Method::kPost, "/api/v1/fleet/nodes/{name}/up", Access::kWrite, "Report a node up",
     &LiveFleet::node_up);
  on(Method::kPost, "/api/v1/fleet/nodes/{name}/drain", Access::kWrite,
     "Report a node drained (its jobs keep running, nothing new is placed)",
     &LiveFleet::drain_node);
  on(Method::kPost, "/api/v1/fleet/nodes/{name}/resume", Access::kWrite,
     "Report a drained node back in service", &LiveFleet::resume_node);
  on(Method::kPost, "/api/v1/fleet/rules", Access::kWrite,
     "Add a licence shock: a no-new-placements or drain rule on a type, from now",
     &LiveFleet::add_rule);
  on(Method::kPost, "/api/v1/fleet/jobs", Access::kWrite, "Submit a job to the live fleet",
     &LiveFleet::submit_job);
  on(Method::kPost, "/api/v1/fleet/jobs/{id}/start", Access::kWrite,
     "Report that a placed job really started", &LiveFleet::start_job);
  on(Method::kPost, "/api/v1/fleet/jobs/{id}/finish", Access::kWrite, "Report a job finished",
     &LiveFleet::finish_job);
  on(Method::kPost, "/api/v1/fleet/jobs/{id}/fail", Access::kWrite, "Report a job failed",
     &LiveFleet::fail_job);
  on(Method::kPost, "/api/v1/fleet/tick", Access::kWrite,
     "Apply the time rules due by now and place what fits", &LiveFleet::tick);
  on_read("/api/v1/fleet", "Live fleet summary", &LiveFleet::summary);
  on_read("/api/v1/fleet/nodes", "Live fleet nodes", &LiveFleet::nodes);
  on_read("/api/v1/fleet/queue", "Queued jobs with the rule holding each", &LiveFleet::queue);
  on_read("/api/v1/fleet/jobs", "Live jobs (?state=queued|running|completed|failed)",
          &LiveFleet::jobs);
  on_read("/api/v1/fleet/jobs/{id}", "One live job", &LiveFleet::job);
  on_read("/api/v1/fleet/audit", "Scheduler decisions, oldest first (?after=SEQ&limit=N)",
          &LiveFleet::audit);
}

}  // namespace suanli::service

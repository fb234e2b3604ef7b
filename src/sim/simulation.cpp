#include "sim/simulation.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <numeric>
#include <queue>
#include <ranges>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "sched/openb_trace.h"
#include "vocab/rng.h"
#include "sim/event_log.h"
#include "sim/work_model.h"

namespace suanli {

namespace {

using Json = nlohmann::ordered_json;

enum class EventKind {
  kArrival,      // a = generator
  kExplicitJob,  // a = index into scenario.jobs
  kTracePod,     // a = trace, b = pod index (sorted)
  kComplete,     // a = job, b = epoch
  kNodeFail,     // a = node
  kNodeRepair,   // a = node
  kDelivery,     // a = delivery
  kNodeEvent,    // a = node event
  kRuleTime,
  kSample,
};

struct Event {
  SimTime t = 0;
  long long seq = 0;
  EventKind kind = EventKind::kSample;
  int a = 0;
  int b = 0;
  bool keepalive = true;
};

struct Later {
  bool operator()(const Event& x, const Event& y) const {
    return x.t != y.t ? x.t > y.t : x.seq > y.seq;
  }
};

Percentiles percentiles(std::vector<double> v) {
  Percentiles p;
  if (v.empty()) return p;
  std::sort(v.begin(), v.end());
  p.mean = std::accumulate(v.begin(), v.end(), 0.0) / static_cast<double>(v.size());
  auto rank = [&](double q) {
    const auto n = static_cast<double>(v.size());
    const auto i = static_cast<std::size_t>(std::max(1.0, std::ceil(q * n))) - 1;
    return v[std::min(i, v.size() - 1)];
  };
  p.p50 = rank(0.50);
  p.p95 = rank(0.95);
  p.p99 = rank(0.99);
  return p;
}

double sample_range(const SampleRange& r, Rng& rng) {
  if (r.max <= r.min) return r.min;
  const double u = rng.uniform();
  if (r.log && r.min > 0) return r.min * std::pow(r.max / r.min, u);
  return r.min + u * (r.max - r.min);
}

double exponential(double mean, Rng& rng) { return -mean * std::log1p(-rng.uniform()); }

Json node_json(const FleetNode& n) {
  Json j;
  j["node"] = n.id.value;
  j["name"] = n.name;
  j["type"] = n.type.value;
  j["site"] = n.site.value;
  j["domain"] = n.domain.value;
  j["devices"] = n.state.gpu_count;
  j["cpu_milli"] = n.state.cpu_capacity == kUntrackedCapacity ? 0 : n.state.cpu_capacity;
  j["memory_mib"] = n.state.memory_capacity == kUntrackedCapacity ? 0 : n.state.memory_capacity;
  return j;
}

// A trace file's read error without the file's contents or its directory:
// "<defined_at>: traces pods <base name>:<line>: <what was expected>". The
// reader quotes what it found ("got '…'"); that part is dropped.
Error redacted_trace_error(const TraceImport& imp, const Error& e) {
  std::string what = e.message;
  const std::string path = imp.pods.string();
  std::string where = imp.pods.filename().string();
  if (what.starts_with(path)) {
    what.erase(0, path.size());
    if (what.starts_with(":")) {
      const auto colon = what.find(": ");
      const std::string line = what.substr(1, colon == std::string::npos ? 0 : colon - 1);
      if (!line.empty() && line.find_first_not_of("0123456789:") == std::string::npos)
        where += ":" + line;
      what = colon == std::string::npos ? std::string() : what.substr(colon + 2);
    }
  } else {
    what.clear();  // not the reader's "file:line: message": say nothing of it
  }
  if (const auto got = what.find(", got"); got != std::string::npos) what.resize(got);
  // Anything else quoted came from the file (a model or node name).
  std::string clean;
  bool quoted = false;
  for (char c : what) {
    if (c == '\'') {
      clean += quoted ? "…'" : "'";
      quoted = !quoted;
    } else if (!quoted) {
      clean += c;
    }
  }
  if (what.starts_with("expected the header")) clean = "expected the openb pod CSV header";
  if (clean.empty()) clean = "cannot be read as an openb pod CSV file";
  return Error{e.code, fmt::format("{}: traces.pods {}: {}", imp.defined_at, where, clean)};
}

struct TraceJobs {
  std::vector<OpenbPod> pods;  // sorted by creation time
  std::size_t skipped = 0;
};

}  // namespace

struct Simulation::Impl {
  Scenario scenario;
  const Catalog* catalog = nullptr;
  RunOptions options;
  std::uint64_t seed = 1;
  Scheduler scheduler;
  WorkModel work;
  Rng rng{1};

  std::priority_queue<Event, std::vector<Event>, Later> events;
  long long seq = 0;
  long long keepalive = 0;
  long long pending_repairs = 0;  // keep the run alive only while jobs wait
  std::vector<int> generated;     // per generator
  std::vector<TraceJobs> traces;

  // Metrics.
  SimTime last_t = 0;
  std::vector<double> alloc_device_s;  // per type
  std::vector<int> type_placements;    // per type: kPlace decisions on it
  std::vector<int> type_passed_over;   // per type: placed elsewhere although it fitted
  std::vector<std::map<std::string, int>> type_refusals;  // per type: queue refusals by rule
  std::vector<double> up_device_s;
  std::vector<int> up_devices;
  double share_integral = 0;
  double share_time = 0;
  std::optional<double> share_min;
  std::vector<double> jct;
  std::vector<double> queue_wait;
  std::vector<char> started;  // per job
  SimulationResult result;

  Impl(Scenario s, const Catalog& c, RunOptions o, Scheduler sched)
      : scenario(std::move(s)),
        catalog(&c),
        options(std::move(o)),
        scheduler(std::move(sched)),
        work(c, scheduler.fleet()) {}

  void push(SimTime t, EventKind kind, int a = 0, int b = 0, bool keep = true) {
    events.push(Event{t, seq++, kind, a, b, keep});
    if (keep) ++keepalive;
  }

  void write(const Json& line) {
    if (options.events != nullptr) *options.events << line.dump() << '\n';
  }

  // ---- jobs ------------------------------------------------------------

  Result<JobSpec> make_job(const JobTemplate& tpl, const std::string& key, TenantId tenant,
                           const std::string& name) {
    JobSpec s;
    s.name = name;
    s.tenant = tenant;
    s.kind = tpl.kind;
    s.priority = tpl.priority;
    s.sensitivity = tpl.sensitivity.value_or(Sensitivity::kPublic);
    s.devices =
        tpl.devices.size() == 1 ? tpl.devices.front() : tpl.devices[rng.below(tpl.devices.size())];
    s.tp = tpl.tp.value_or(std::gcd(s.devices, 8));
    if (s.devices % s.tp != 0) s.tp = std::gcd(s.devices, s.tp);
    s.gpu_milli = tpl.gpu_milli;
    s.cpu_milli = tpl.cpu_milli;
    s.memory_mib = tpl.memory_mib;
    s.checkpoint_interval_s = tpl.checkpoint_interval_s;
    double amount = 0;
    if (tpl.work.tokens)
      amount = sample_range(*tpl.work.tokens, rng);
    else if (tpl.work.reference_hours)
      amount = 3600 * sample_range(*tpl.work.reference_hours, rng);
    auto rates = work.rates(key, tpl.kind, tpl.work, s.devices);
    if (!rates)
      return fail(rates.error().code, fmt::format("{}: job template {}: {}", tpl.defined_at,
                                                  tpl.name, rates.error().message));
    work.fill_durations(s, **rates, amount, tpl.allowed);
    return s;
  }

  // A run that reaches one of the scenario's [limits] stops with this.
  std::unexpected<Error> limit_reached(std::string_view limit, std::string_view value,
                                       SimTime t) const {
    return fail(ErrorCode::kInvalidArgument,
                fmt::format("simulation stopped at {:.1f} h after {} events: limits.{} = {} "
                            "reached (the scenario's [limits] table, capped by the service)",
                            t / 3600, result.sim_events, limit, value));
  }

  Result<void> submit(JobSpec spec, SimTime t) {
    if (static_cast<long long>(started.size()) >= scenario.limits.max_jobs)
      return limit_reached("max_jobs", std::to_string(scenario.limits.max_jobs), t);
    auto id = scheduler.submit(std::move(spec), t);
    if (!id) return std::unexpected(id.error());
    started.push_back(0);
    return {};
  }

  Result<void> arrival(int g, SimTime t) {
    const Generator& gen = scenario.generators[static_cast<std::size_t>(g)];
    double total = 0;
    for (const JobTemplate& tpl : gen.templates) total += tpl.weight;
    double pick = rng.uniform() * total;
    std::size_t k = 0;
    for (; k + 1 < gen.templates.size(); ++k) {
      pick -= gen.templates[k].weight;
      if (pick < 0) break;
    }
    const JobTemplate& tpl = gen.templates[k];
    const int n = generated[static_cast<std::size_t>(g)]++;
    auto spec =
        make_job(tpl, fmt::format("g{}:{}", g, k), gen.tenant, fmt::format("{}-{}", tpl.name, n));
    if (!spec) return std::unexpected(spec.error());
    SUANLI_TRY(submit(std::move(*spec), t));
    if (generated[static_cast<std::size_t>(g)] < gen.count)
      push(t + exponential(3600.0 / gen.rate_per_hour, rng), EventKind::kArrival, g);
    return {};
  }

  Result<void> trace_pod(int tr, int index, SimTime t) {
    const TraceImport& imp = scenario.traces[static_cast<std::size_t>(tr)];
    const OpenbPod& pod =
        traces[static_cast<std::size_t>(tr)].pods[static_cast<std::size_t>(index)];
    JobTemplate tpl;
    tpl.name = pod.name;
    tpl.kind = pod.gpu_milli < kGpuMilli ? JobKind::kFractional : JobKind::kBatch;
    tpl.devices = {pod.num_gpu};
    tpl.tp = pod.num_gpu;
    tpl.gpu_milli = static_cast<int>(pod.gpu_milli);
    tpl.cpu_milli = pod.cpu_milli;
    tpl.memory_mib = pod.memory_mib;
    tpl.sensitivity = imp.sensitivity;
    std::string reference = imp.default_reference;
    if (!pod.gpu_spec.empty()) {
      for (std::string_view model :
           std::views::split(pod.gpu_spec, '|') |
               std::views::transform([](auto r) { return std::string_view(r.begin(), r.end()); })) {
        auto it = imp.gpu_map.find(std::string(model));
        if (it == imp.gpu_map.end()) continue;
        if (tpl.allowed.empty()) reference = it->second;
        tpl.allowed.push_back(it->second);
      }
    }
    tpl.work.reference = reference;
    const double seconds =
        static_cast<double>(*pod.deletion_time - *pod.scheduled_time) * imp.time_scale;
    tpl.work.reference_hours = SampleRange{seconds / 3600, seconds / 3600, false};
    tpl.defined_at = imp.defined_at;
    auto spec = make_job(tpl, "trace:" + reference, imp.tenant, pod.name);
    if (!spec) return std::unexpected(spec.error());
    SUANLI_TRY(submit(std::move(*spec), t));
    const auto& pods = traces[static_cast<std::size_t>(tr)].pods;
    if (static_cast<std::size_t>(index) + 1 < pods.size())
      push(static_cast<double>(*pods[static_cast<std::size_t>(index) + 1].creation_time) *
               imp.time_scale,
           EventKind::kTracePod, tr, index + 1);
    return {};
  }

  Result<void> load_traces() {
    for (const TraceImport& imp : scenario.traces) {
      ReadOptions ro;
      ro.skip_bad_rows = imp.skip_bad_rows;
      auto list = read_openb_pods(imp.pods, {}, ro);
      if (!list && imp.confined) return std::unexpected(redacted_trace_error(imp, list.error()));
      if (!list) return std::unexpected(list.error());
      TraceJobs tj;
      for (OpenbPod& p : list->pods) {
        if (p.num_gpu == 0 || !p.creation_time || !p.deletion_time || !p.scheduled_time ||
            *p.deletion_time <= *p.scheduled_time) {
          ++tj.skipped;
          continue;
        }
        tj.pods.push_back(std::move(p));
      }
      std::stable_sort(tj.pods.begin(), tj.pods.end(), [](const OpenbPod& a, const OpenbPod& b) {
        return *a.creation_time < *b.creation_time;
      });
      if (imp.limit > 0 && tj.pods.size() > static_cast<std::size_t>(imp.limit))
        tj.pods.resize(static_cast<std::size_t>(imp.limit));
      traces.push_back(std::move(tj));
    }
    return {};
  }

  // ---- decisions -> log and metrics ------------------------------------

  void flush() {
    for (Decision& d : scheduler.take_decisions()) {
      switch (d.kind) {
        case DecisionKind::kPlace: {
          ++type_placements[static_cast<std::size_t>(d.allocation.type.value)];
          for (TypeId t : d.also_fit) ++type_passed_over[static_cast<std::size_t>(t.value)];
          const JobStatus& st = scheduler.status(d.job);
          push(scheduler.expected_end(d.job), EventKind::kComplete, d.job.value, st.epoch);
          if (!started[d.job.index()]) {
            started[d.job.index()] = 1;
            queue_wait.push_back(d.time - st.submitted);
          }
          break;
        }
        case DecisionKind::kComplete:
          jct.push_back(d.time - scheduler.status(d.job).submitted);
          ++result.jobs_completed;
          break;
        case DecisionKind::kFail:
          ++result.jobs_failed;
          ++result.failure_reasons[d.rule.empty() ? std::string("failed") : d.rule];
          break;
        case DecisionKind::kPreempt:
          ++result.preemptions;
          result.lost_device_hours += d.lost_device_s / 3600;
          break;
        case DecisionKind::kEvict:
          ++result.evictions;
          result.lost_device_hours += d.lost_device_s / 3600;
          break;
        case DecisionKind::kKill:
          ++result.restarts;
          result.lost_device_hours += d.lost_device_s / 3600;
          break;
        case DecisionKind::kSubmit:
          ++result.jobs_submitted;
          break;
        case DecisionKind::kQueue:
          for (const TypeRefusal& r : d.refusals)
            ++type_refusals[static_cast<std::size_t>(r.type.value)][r.rule];
          break;
        default:
          break;
      }
      if (options.events != nullptr) write(decision_json(d, scheduler));
    }
  }

  void advance(SimTime t) {
    const double dt = t - last_t;
    if (dt <= 0) return;
    const std::size_t types = scheduler.fleet().types().size();
    double total = 0;
    for (std::size_t k = 0; k < types; ++k) {
      const double a = scheduler.allocated_devices(TypeId{static_cast<int>(k)});
      alloc_device_s[k] += a * dt;
      up_device_s[k] += up_devices[k] * dt;
      total += a;
    }
    if (total > 0)
      if (auto sh = scheduler.domestic_share()) {
        share_integral += *sh * dt;
        share_time += dt;
      }
    last_t = t;
  }

  void note_share() {
    if (auto sh = scheduler.domestic_share())
      share_min = share_min ? std::min(*share_min, *sh) : *sh;
  }

  void sync_types() {
    const std::size_t types = scheduler.fleet().types().size();
    alloc_device_s.resize(types, 0);
    type_placements.resize(types, 0);
    type_passed_over.resize(types, 0);
    type_refusals.resize(types);
    up_device_s.resize(types, 0);
    up_devices.resize(types, 0);
  }

  void schedule_failure(NodeId node, SimTime t) {
    const AcceleratorType& type = scheduler.fleet().type(scheduler.fleet().node(node).type);
    if (type.mtbf_hours > 0)
      push(t + exponential(type.mtbf_hours * 3600, rng), EventKind::kNodeFail, node.value, 0,
           /*keep=*/false);
  }

  Json header() const {
    const Fleet& f = scheduler.fleet();
    Json h;
    h["event"] = "header";
    h["version"] = 1;
    h["scenario"] = scenario.name;
    h["seed"] = seed;
    h["queue"] = queue_policy_name(scheduler.config().queue);
    h["placement"] = placement_policy_name(scheduler.config().placement);
    h["preemption"] = scheduler.config().preemption;
    Json types = Json::array();
    for (std::size_t i = 0; i < f.types().size(); ++i) {
      const AcceleratorType& t = f.types()[i];
      types.push_back(Json{{"type", static_cast<int>(i)},
                           {"id", t.id},
                           {"origin", t.origin},
                           {"domestic", t.domestic},
                           {"compute_weight", t.compute_weight},
                           {"price_per_device_hour", t.price_per_device_hour}});
    }
    h["types"] = std::move(types);
    Json sites = Json::array();
    for (const Site& s : f.sites()) sites.push_back(s.name);
    h["sites"] = std::move(sites);
    Json tenants = Json::array();
    // A tenant that declares a sensitivity is written with it, so the
    // audit re-derives its jobs' floor (sched/job.h job_sensitivity).
    for (const Tenant& t : scheduler.tenants()) {
      if (t.sensitivity) {
        tenants.push_back({{"name", t.name}, {"sensitivity", sensitivity_name(*t.sensitivity)}});
      } else {
        tenants.push_back(t.name);
      }
    }
    h["tenants"] = std::move(tenants);
    Json nodes = Json::array();
    for (const FleetNode& n : f.nodes()) nodes.push_back(node_json(n));
    h["nodes"] = std::move(nodes);
    Json rules = Json::array();
    for (const Rule& r : scheduler.rules()) {
      Json j;
      j["id"] = r.id;
      j["kind"] = rule_kind_name(r.kind);
      switch (r.kind) {
        case RuleKind::kSensitivityOrigin:
          j["min_sensitivity"] = sensitivity_name(r.min_sensitivity);
          j["origins"] = r.origins;
          break;
        case RuleKind::kDomesticShare:
          j["min_share"] = r.min_share;
          j["measure"] = r.measure == ShareMeasure::kDevices ? "devices" : "compute";
          break;
        case RuleKind::kApprovedCustomers: {
          j["type"] = r.type->value;
          Json ts = Json::array();
          for (TenantId t : r.tenants) ts.push_back(t.value);
          j["tenants"] = std::move(ts);
          break;
        }
        case RuleKind::kNoNewPlacements:
          j["type"] = r.type->value;
          j["from"] = r.from;
          break;
        case RuleKind::kDrain:
          j["type"] = r.type->value;
          j["from"] = r.from;
          j["within"] = r.within_s;
          break;
      }
      rules.push_back(std::move(j));
    }
    h["rules"] = std::move(rules);
    return h;
  }

  Result<void> process(const Event& e) {
    switch (e.kind) {
      case EventKind::kArrival:
        return arrival(e.a, e.t);
      case EventKind::kExplicitJob: {
        const ScenarioJob& sj = scenario.jobs[static_cast<std::size_t>(e.a)];
        auto spec = make_job(sj.job, fmt::format("j{}", e.a), sj.tenant, sj.job.name);
        if (!spec) return std::unexpected(spec.error());
        return submit(std::move(*spec), e.t);
      }
      case EventKind::kTracePod:
        return trace_pod(e.a, e.b, e.t);
      case EventKind::kComplete: {
        const JobId j{e.a};
        const JobStatus& st = scheduler.status(j);
        if (st.state != JobState::kRunning || st.epoch != e.b) return {};
        return scheduler.finish(j, e.t);
      }
      case EventKind::kNodeFail: {
        const NodeId n{e.a};
        if (!scheduler.fleet().node(n).up) return {};
        ++result.node_failures;
        write(Json{{"t", e.t}, {"event", "node_down"}, {"node", n.value}});
        up_devices[scheduler.fleet().node(n).type.index()] -=
            scheduler.fleet().node(n).state.gpu_count;
        SUANLI_TRY(scheduler.node_down(n, e.t));
        flush();
        const AcceleratorType& type = scheduler.fleet().type(scheduler.fleet().node(n).type);
        push(e.t + exponential(std::max(type.mttr_hours, 1e-3) * 3600, rng), EventKind::kNodeRepair,
             n.value, 0, /*keep=*/false);
        ++pending_repairs;
        return {};
      }
      case EventKind::kNodeRepair: {
        const NodeId n{e.a};
        --pending_repairs;
        if (scheduler.fleet().node(n).up) return {};
        write(Json{{"t", e.t}, {"event", "node_up"}, {"node", n.value}});
        up_devices[scheduler.fleet().node(n).type.index()] +=
            scheduler.fleet().node(n).state.gpu_count;
        SUANLI_TRY(scheduler.node_up(n, e.t));
        schedule_failure(n, e.t);
        return {};
      }
      case EventKind::kDelivery: {
        const Delivery& d = scenario.deliveries[static_cast<std::size_t>(e.a)];
        auto added = scheduler.add_nodes(d.pool, e.t);
        if (!added)
          return fail(added.error().code,
                      fmt::format("{}: {}", d.defined_at, added.error().message));
        sync_types();
        Json nodes = Json::array();
        for (NodeId id : *added) {
          nodes.push_back(node_json(scheduler.fleet().node(id)));
          up_devices[scheduler.fleet().node(id).type.index()] +=
              scheduler.fleet().node(id).state.gpu_count;
          schedule_failure(id, e.t);
        }
        write(Json{{"t", e.t}, {"event", "delivery"}, {"nodes", std::move(nodes)}});
        return {};
      }
      case EventKind::kNodeEvent: {
        const NodeEvent& ne = scenario.node_events[static_cast<std::size_t>(e.a)];
        const std::optional<NodeId> id = scheduler.fleet().find_node(ne.node);
        if (!id)
          return fail(ErrorCode::kNotFound,
                      fmt::format("{}: unknown node {}", ne.defined_at, ne.node));
        const FleetNode& n = scheduler.fleet().node(*id);
        if (ne.up == n.up) return {};
        write(Json{{"t", e.t}, {"event", ne.up ? "node_up" : "node_down"}, {"node", id->value}});
        up_devices[n.type.index()] += ne.up ? n.state.gpu_count : -n.state.gpu_count;
        if (ne.up) return scheduler.node_up(*id, e.t);
        SUANLI_TRY(scheduler.node_down(*id, e.t));
        flush();
        return {};
      }
      case EventKind::kRuleTime:
        return {};
      case EventKind::kSample: {
        if (static_cast<long long>(result.samples.size()) >= scenario.limits.max_samples)
          return limit_reached("max_samples", std::to_string(scenario.limits.max_samples), e.t);
        Sample s;
        s.t = e.t;
        for (std::size_t k = 0; k < up_devices.size(); ++k) {
          s.allocated.push_back(scheduler.allocated_devices(TypeId{static_cast<int>(k)}));
          s.up.push_back(up_devices[k]);
        }
        s.domestic_share = scheduler.domestic_share();
        s.queued = static_cast<int>(scheduler.queued().size());
        s.running = scheduler.running_count();
        result.samples.push_back(std::move(s));
        push(e.t + scenario.simulation.sample_interval_s, EventKind::kSample, 0, 0, false);
        return {};
      }
    }
    return {};
  }

  Result<SimulationResult> run() {
    const auto wall0 = std::chrono::steady_clock::now();
    SUANLI_TRY(load_traces());
    sync_types();
    for (const FleetNode& n : scheduler.fleet().nodes())
      if (n.up) up_devices[n.type.index()] += n.state.gpu_count;
    write(header());

    generated.assign(scenario.generators.size(), 0);
    for (std::size_t g = 0; g < scenario.generators.size(); ++g) {
      const Generator& gen = scenario.generators[g];
      if (gen.count > 0)
        push(gen.start + exponential(3600.0 / gen.rate_per_hour, rng), EventKind::kArrival,
             static_cast<int>(g));
    }
    for (std::size_t i = 0; i < scenario.jobs.size(); ++i)
      push(scenario.jobs[i].submit, EventKind::kExplicitJob, static_cast<int>(i));
    for (std::size_t i = 0; i < traces.size(); ++i)
      if (!traces[i].pods.empty())
        push(static_cast<double>(*traces[i].pods.front().creation_time) *
                 scenario.traces[i].time_scale,
             EventKind::kTracePod, static_cast<int>(i), 0);
    for (std::size_t i = 0; i < scenario.deliveries.size(); ++i)
      push(scenario.deliveries[i].at, EventKind::kDelivery, static_cast<int>(i));
    for (std::size_t i = 0; i < scenario.node_events.size(); ++i)
      push(scenario.node_events[i].at, EventKind::kNodeEvent, static_cast<int>(i));
    for (SimTime t : scheduler.rule_times()) push(t, EventKind::kRuleTime, 0, 0, false);
    for (const FleetNode& n : scheduler.fleet().nodes()) schedule_failure(n.id, 0);
    push(0, EventKind::kSample, 0, 0, false);

    result.end_reason = "drained";
    SimTime now = 0;
    const long long progress_interval = std::max<long long>(1, options.progress_interval_events);
    long long next_progress = progress_interval;
    constexpr long long kCancelCheckEvents = 4096;
    long long next_cancel_check = kCancelCheckEvents;
    const double max_t = scenario.limits.max_simulated_hours * 3600;
    const double max_wall_s = scenario.limits.max_wall_s;
    while (!events.empty()) {
      const SimTime t = events.top().t;
      if (scenario.simulation.until && t > *scenario.simulation.until) {
        result.end_reason = "horizon";
        break;
      }
      if (keepalive > 0 && !(t <= max_t))  // NaN and inf included
        return limit_reached("max_simulated_hours",
                             fmt::format("{}", scenario.limits.max_simulated_hours), now);
      // Nothing left that could start or end a job: arrivals, completions,
      // deliveries and node events keep the run going; a pending repair only
      // while jobs wait for capacity.
      if (keepalive == 0 && (pending_repairs == 0 || scheduler.queued().empty())) break;
      advance(t);
      now = t;
      while (!events.empty() && events.top().t == t) {
        const Event e = events.top();
        events.pop();
        if (e.keepalive) --keepalive;
        if (++result.sim_events > scenario.limits.max_events)
          return limit_reached("max_events", std::to_string(scenario.limits.max_events), t);
        SUANLI_TRY(process(e));
      }
      scheduler.schedule(t);
      flush();
      note_share();
      if (options.progress && result.sim_events >= next_progress) {
        next_progress += progress_interval;
        options.progress(t, result.jobs_completed + result.jobs_failed, result.jobs_submitted);
      }
      if (result.sim_events >= next_cancel_check) {
        next_cancel_check = result.sim_events + kCancelCheckEvents;
        if (options.cancelled && options.cancelled())
          return fail(ErrorCode::kCancelled,
                      fmt::format("simulation cancelled at t={:.0f} s after {} events", t,
                                  result.sim_events));
        const double wall =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - wall0).count();
        if (wall > max_wall_s) return limit_reached("max_wall_s", fmt::format("{}", max_wall_s), t);
      }
    }
    if (result.end_reason == "horizon") {
      now = *scenario.simulation.until;
      advance(now);
      result.jobs_unfinished =
          static_cast<int>(scheduler.queued().size()) + scheduler.running_count();
    } else {
      scheduler.fail_queued(now, "not placeable when nothing else could happen");
      flush();
    }
    write(Json{{"event", "end"}, {"t", now}, {"reason", result.end_reason}});

    // Results.
    result.scenario = scenario.name;
    result.seed = seed;
    result.queue_policy = queue_policy_name(scheduler.config().queue);
    result.placement_policy = placement_policy_name(scheduler.config().placement);
    result.jct_s = percentiles(jct);
    result.queue_s = percentiles(queue_wait);
    const Fleet& f = scheduler.fleet();
    for (std::size_t k = 0; k < f.types().size(); ++k) {
      TypeUtilization u;
      u.accelerator = f.types()[k].id;
      u.domestic = f.types()[k].domestic;
      u.device_hours = alloc_device_s[k] / 3600;
      u.up_device_hours = up_device_s[k] / 3600;
      u.utilization = up_device_s[k] > 0 ? alloc_device_s[k] / up_device_s[k] : 0;
      u.placements = type_placements[k];
      u.passed_over = type_passed_over[k];
      u.refusals = type_refusals[k];
      result.cost_usd += u.device_hours * f.types()[k].price_per_device_hour;
      result.utilization.push_back(std::move(u));
    }
    result.domestic_share_min = share_min.value_or(0);
    result.domestic_share_mean = share_time > 0 ? share_integral / share_time : 0;
    result.makespan_s = now;
    result.estimator_searches = work.searches();
    result.wall_time_s =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - wall0).count();
    return result;
  }
};

std::vector<std::string> idle_type_notes(const SimulationResult& r, double below) {
  std::vector<std::string> out;
  const std::string why = r.placement_policy == "hetero"
                              ? "the hetero policy chose the type with the earliest expected completion"
                              : fmt::format("the {} policy preferred another type", r.placement_policy);
  for (const TypeUtilization& u : r.utilization) {
    if (u.up_device_hours <= 0 || u.utilization >= below) continue;
    std::string s = fmt::format("{} was busy {:.1f}% of its up time: {} placement(s)", u.accelerator,
                                100 * u.utilization, u.placements);
    if (u.passed_over > 0)
      s += fmt::format("; {} job(s) fitted on it but went to another type ({})", u.passed_over, why);
    std::vector<std::pair<std::string, int>> by(u.refusals.begin(), u.refusals.end());
    std::stable_sort(by.begin(), by.end(), [](const auto& a, const auto& b) { return a.second > b.second; });
    if (!by.empty()) {
      s += "; refused while jobs queued:";
      for (std::size_t i = 0; i < by.size(); ++i)
        s += fmt::format("{} {} x{}", i == 0 ? "" : ",", by[i].first, by[i].second);
    }
    if (u.passed_over == 0 && by.empty()) s += "; no job was submitted that could run on it";
    out.push_back(s + ".");
  }
  return out;
}

Simulation::Simulation(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Simulation::Simulation(Simulation&&) noexcept = default;
Simulation& Simulation::operator=(Simulation&&) noexcept = default;
Simulation::~Simulation() = default;

Result<Simulation> Simulation::create(const Scenario& scenario, const Catalog& catalog,
                                      RunOptions options) {
  SchedulerConfig config = scenario.scheduler;
  const std::uint64_t seed = options.seed.value_or(scenario.seed);
  config.seed = seed;
  if (options.placement) config.placement = *options.placement;
  if (options.queue) config.queue = *options.queue;
  auto sched = Scheduler::create(scenario.fleet, scenario.tenants, scenario.rules, config);
  if (!sched) return std::unexpected(sched.error());
  auto impl = std::make_unique<Impl>(scenario, catalog, std::move(options), std::move(*sched));
  impl->seed = seed;
  // Arrivals and failures draw from their own stream, so the placement
  // policy's random choices do not shift them.
  impl->rng = Rng(seed ^ 0x9e3779b97f4a7c15ULL);
  return Simulation(std::move(impl));
}

Result<SimulationResult> Simulation::run() { return impl_->run(); }

}  // namespace suanli

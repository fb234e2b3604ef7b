// The simulation scenario reader (scenario.h): fleet, tenants, job
// templates, rules, failures and licence shocks from TOML, bounded and
// checked with file:line errors. One file over 900 lines: one reader per
// section over the same conventions, in one pass so that references
// between sections are checked where they are read.
#include "sim/scenario.h"

#include <fmt/format.h>

#include <algorithm>
#include <climits>
#include <cmath>
#include <cstdlib>
#include <set>
#include <tuple>
#include <utility>

#include "perf/workload_fields.h"
#include "sched/cluster.h"
#include "util/share_dir.h"
#include "util/strings.h"
#include "util/toml_reader.h"

namespace suanli {
namespace {

namespace fs = std::filesystem;

constexpr double kSecondsPerHour = 3600;

// Hours in the file, seconds in the structs; at most `max_hours`
// (limits.max_simulated_hours): a time past it could never be simulated.
Result<std::optional<SimTime>> hours(const TomlView& v, std::string_view key, double max_hours) {
  SUANLI_ASSIGN(auto h, v.number(key));
  if (!h) return std::optional<SimTime>{};
  if (!(*h >= 0 && *h <= max_hours)) {
    return bad(v, key,
               fmt::format("expected a number of hours from 0 to {} (limits.max_simulated_hours), "
                           "got {}",
                           max_hours, *h));
  }
  return std::optional<SimTime>(*h * kSecondsPerHour);
}

Result<SimTime> required_hours(const TomlView& v, std::string_view key, double max_hours) {
  SUANLI_ASSIGN(auto h, hours(v, key, max_hours));
  if (!h) return std::unexpected(v.missing(key, "a number of hours"));
  return *h;
}

// Physical bounds of the scenario's other numbers (docs/scenario-format.md).
constexpr double kMaxCpuCores = 100'000;
constexpr double kMaxMemoryGib = 100'000'000;
constexpr double kMaxPricePerDeviceHour = 1'000'000;
constexpr double kMaxMtbfHours = 10'000'000;
constexpr double kMinMtbfHours = 0.01;  // or 0: the type never fails
constexpr double kMaxMttrHours = 1'000'000;
constexpr double kMaxWeight = 1'000'000;
constexpr double kMaxRestartOverheadS = 1'000'000;
constexpr double kMinSampleIntervalS = 1;
constexpr double kMaxSampleIntervalS = 1e8;
constexpr double kMinRatePerHour = 1e-6;
constexpr double kMaxRatePerHour = 1e6;
constexpr double kMaxTokens = 1e18;
constexpr double kMaxReferenceHours = 1'000'000;
constexpr double kMaxCheckpointMinutes = 1e7;
constexpr double kMinTimeScale = 1e-6;
constexpr double kMaxTimeScale = 1e6;

// `real` (canonical) lies inside `dir` (canonical).
bool path_within(const fs::path& real, const fs::path& dir) {
  auto r = real.begin();
  for (auto d = dir.begin(); d != dir.end(); ++d, ++r) {
    if (d->empty() && std::next(d) == dir.end()) break;  // a trailing separator
    if (r == real.end() || *r != *d) return false;
  }
  return true;
}

Result<std::optional<Sensitivity>> sensitivity(const TomlView& v, std::string_view key) {
  SUANLI_ASSIGN(auto s, v.string(key));
  if (!s) return std::optional<Sensitivity>{};
  auto p = parse_sensitivity(*s);
  if (!p) {
    return bad(v, key,
               fmt::format("expected public, internal, confidential or secret, got '{}'", *s));
  }
  return std::optional(*p);
}

// A number (fixed) or [min, max] with 0 < min <= max.
Result<std::optional<SampleRange>> sample_range(const TomlView& v, std::string_view key,
                                                bool allow_range, bool log, double max) {
  const toml::node* node = v.node(key);
  if (!node) return std::optional<SampleRange>{};
  SampleRange r;
  r.log = log;
  if (node->is_integer() || node->is_floating_point()) {
    r.min = r.max = *node_number(*node);
  } else if (const toml::array* arr = node->as_array(); arr && allow_range) {
    if (arr->size() != 2 || !arr->get(0)->is_number() || !arr->get(1)->is_number()) {
      return bad(v, key, "expected a number or [min, max]");
    }
    r.min = *node_number(*arr->get(0));
    r.max = *node_number(*arr->get(1));
  } else {
    return bad(v, key,
               allow_range ? "expected a number or [min, max]"
                           : "expected a number (an explicit job's values are fixed)");
  }
  if (!std::isfinite(r.min) || !std::isfinite(r.max) || r.min <= 0 || r.max <= 0) {
    return bad(v, key, "expected values > 0");
  }
  if (r.max > max) return bad(v, key, fmt::format("expected values up to {}, got {}", max, r.max));
  if (r.min > r.max) {
    return bad(v, key,
               fmt::format("expected [min, max] with min <= max, got [{}, {}]", r.min, r.max));
  }
  return std::optional(r);
}

// A template's kind, name and (templates only) weight into `t`.
Result<void> read_template_identity(const TomlView& v, bool explicit_job, JobTemplate& t) {
  SUANLI_ASSIGN(auto kind_text, v.string("kind"));
  if (kind_text) {
    auto k = parse_job_kind(*kind_text);
    if (!k) {
      return bad(v, "kind",
                 fmt::format("unknown job kind '{}' (expected training, inference, fine-tune, "
                             "batch or fractional)",
                             *kind_text));
    }
    t.kind = *k;
  }
  SUANLI_ASSIGN(auto name, v.string("name"));
  if (name && name->empty()) return bad(v, "name", "expected a non-empty string");
  t.name = name ? *name : std::string(job_kind_name(t.kind));
  if (!explicit_job) {
    SUANLI_ASSIGN(auto weight, number_in(v, "weight", 1e-9, kMaxWeight));
    if (weight) t.weight = *weight;
  }
  return {};
}

// A template's devices (an integer, or for templates an array of choices),
// tp and gpu_milli into `t`, each device count checked against the other two.
Result<void> read_template_devices(const TomlView& v, bool explicit_job, JobTemplate& t) {
  if (const toml::node* node = v.node("devices")) {
    std::vector<long long> choices;
    if (node->is_integer()) {
      choices.push_back(*node->value<long long>());
    } else if (const toml::array* arr = node->as_array(); arr && !explicit_job) {
      for (const toml::node& e : *arr) {
        if (!e.is_integer())
          return bad(v, "devices", "expected an integer or an array of integers");
        choices.push_back(*e.value<long long>());
      }
      if (choices.empty()) return bad(v, "devices", "expected at least one device count");
    } else {
      return bad(v, "devices",
                 explicit_job ? "expected an integer (an explicit job has one size)"
                              : "expected an integer or an array of integers");
    }
    t.devices.clear();
    for (long long d : choices) {
      if (d < 1 || d > 1'000'000) {
        return bad(v, "devices", fmt::format("expected device counts >= 1, got {}", d));
      }
      t.devices.push_back(static_cast<int>(d));
    }
  }
  SUANLI_ASSIGN(t.tp, int_in(v, "tp", 1));
  if (t.tp) {
    for (int d : t.devices) {
      if (d % *t.tp != 0) {
        return bad(v, "tp", fmt::format("devices {} is not a multiple of tp {}", d, *t.tp));
      }
    }
  }
  SUANLI_ASSIGN(auto milli, int_in(v, "gpu_milli", 1, kGpuMilli));
  if (milli) t.gpu_milli = *milli;
  if (t.gpu_milli < kGpuMilli) {
    for (int d : t.devices) {
      if (d != 1) {
        return bad(v, "gpu_milli",
                   fmt::format("gpu_milli {} (part of one device) needs devices = 1, got {}",
                               t.gpu_milli, d));
      }
    }
  }
  return {};
}

// A template's CPU cores, memory and priority into `t`.
Result<void> read_template_resources(const TomlView& v, JobTemplate& t) {
  SUANLI_ASSIGN(auto cores, number_in(v, "cpu_cores", 0, kMaxCpuCores));
  if (cores) t.cpu_milli = std::llround(*cores * 1000);
  SUANLI_ASSIGN(auto gib, number_in(v, "memory_gib", 0, kMaxMemoryGib));
  if (gib) t.memory_mib = std::llround(*gib * 1024);
  SUANLI_ASSIGN(auto priority, v.integer("priority"));
  if (priority) {
    if (*priority < INT_MIN / 2 || *priority > INT_MAX / 2) {
      return bad(v, "priority", "priority out of range");
    }
    t.priority = static_cast<int>(*priority);
  }
  return {};
}

// That a template's work is one of tokens (with model) or reference_hours
// (with reference).
Result<void> check_work(const TomlView& v, const WorkSpec& w) {
  if (w.tokens && w.reference_hours) {
    return bad(v, "reference_hours", "give tokens or reference_hours, not both");
  }
  if (!w.tokens && !w.reference_hours) {
    return bad(v, "tokens",
               "the job has no work: give tokens (with model) or reference_hours (with "
               "reference)");
  }
  if (w.tokens && w.model.empty()) {
    return bad(v, "tokens", "tokens needs model = \"<catalog model ID>\"");
  }
  if (w.reference_hours && w.reference.empty()) {
    return bad(v, "reference_hours",
               "reference_hours needs reference = \"<catalog accelerator ID>\"");
  }
  if (!w.reference.empty() && !w.reference_hours) {
    return bad(v, "reference", "reference needs reference_hours");
  }
  return {};
}

// A node pool of [[fleet]] or [[deliveries]] before its type is known.
struct PoolEntry {
  TomlView view;
  const Accelerator* accel = nullptr;
  NodePool pool;
  std::optional<double> price;
  std::optional<double> mtbf;
  std::optional<double> mttr;
  SimTime at = 0;
};

// A per-type value some pool set, and where.
struct TypeSetting {
  std::optional<double> value;
  std::string where;  // "file:line"
  std::string key;    // "fleet[2].mtbf_hours"
};

struct TypeEntry {
  const Accelerator* accel = nullptr;
  TypeSetting price;
  TypeSetting mtbf;
  TypeSetting mttr;
};

class Resolver {
 public:
  Resolver(const Catalog& catalog, const fs::path& file, const ScenarioLoadOptions& options)
      : catalog_(catalog), file_(file.string()), options_(options) {
    scenario_.file = file;
  }

  Result<Scenario> run(const toml::table& root_table) {
    const TomlView root(root_table, file_, "");
    auto sections = [&]() -> Result<void> {
      SUANLI_TRY(read_header(root));
      SUANLI_TRY(read_limits(root));
      SUANLI_TRY(read_fleet(root));
      SUANLI_TRY(read_tenants(root));
      SUANLI_TRY(read_rules(root));
      SUANLI_TRY(read_scheduler(root));
      SUANLI_TRY(read_simulation(root));
      SUANLI_TRY(read_generators(root));
      SUANLI_TRY(read_jobs(root));
      SUANLI_TRY(read_traces(root));
      return read_node_events(root);
    }();
    // A misspelt section ([[tenant]]) fails a later one first: name it.
    if (!sections) return std::unexpected(root.typo().value_or(sections.error()));
    SUANLI_TRY(root.finish());  // every section above read its key of the root
    SUANLI_TRY(check_job_total(root));
    return std::move(scenario_);
  }

 private:
  double max_hours() const { return scenario_.limits.max_simulated_hours; }

  Result<void> read_limits(const TomlView& root) {
    SUANLI_ASSIGN(auto sub, root.subtable("limits"));
    if (!sub) return {};
    const TomlView& v = *sub;
    SimLimits& l = scenario_.limits;
    const SimLimits& hi = kSimLimitBounds;
    SUANLI_ASSIGN(auto hours, number_in(v, "max_simulated_hours", 1, hi.max_simulated_hours));
    if (hours) l.max_simulated_hours = *hours;
    SUANLI_ASSIGN(auto wall, number_in(v, "max_wall_s", 1, hi.max_wall_s));
    if (wall) l.max_wall_s = *wall;
    for (auto [key, field, max] : {std::tuple{"max_events", &l.max_events, hi.max_events},
                                   std::tuple{"max_jobs", &l.max_jobs, hi.max_jobs},
                                   std::tuple{"max_samples", &l.max_samples, hi.max_samples}}) {
      SUANLI_ASSIGN(auto x, v.integer(key));
      if (!x) continue;
      if (*x < 1 || *x > max)
        return bad(v, key, fmt::format("expected an integer from 1 to {}, got {}", max, *x));
      *field = *x;
    }
    return v.finish();
  }

  // Generators' counts and explicit jobs together within limits.max_jobs.
  Result<void> check_job_total(const TomlView& root) const {
    long long total = static_cast<long long>(scenario_.jobs.size());
    for (const Generator& g : scenario_.generators) total += g.count;
    if (total > scenario_.limits.max_jobs) {
      return bad(root, scenario_.generators.empty() ? "jobs" : "generators",
                 fmt::format("{} jobs (generator counts and [[jobs]]) exceed limits.max_jobs = {}",
                             total, scenario_.limits.max_jobs));
    }
    return {};
  }
  Result<void> read_header(const TomlView& root) {
    SUANLI_ASSIGN(auto name, root.string("name"));
    scenario_.name = name ? *name : scenario_.file.stem().string();
    SUANLI_ASSIGN(auto description, root.string("description"));
    if (description) scenario_.description = *description;
    SUANLI_ASSIGN(auto seed, root.integer("seed"));
    if (seed) {
      if (*seed < 0)
        return bad(root, "seed", fmt::format("expected an integer >= 0, got {}", *seed));
      scenario_.seed = static_cast<std::uint64_t>(*seed);
    }
    scenario_.scheduler.seed = scenario_.seed;
    return {};
  }

  // --- fleet -------------------------------------------------------------

  Result<const Accelerator*> catalog_accel(const TomlView& v, std::string_view key,
                                           const std::string& id) const {
    auto a = catalog_.accelerator(id);
    if (!a) return bad(v, key, unknown_id_message("accelerator", id, catalog_.accelerator_ids()));
    return *a;
  }

  std::vector<std::string> fleet_type_ids() const {
    std::vector<std::string> ids;
    for (const auto& t : scenario_.fleet.types()) ids.push_back(t.id);
    return ids;
  }

  // A catalog accelerator that is one of the fleet's types.
  Result<TypeId> fleet_type(const TomlView& v, std::string_view key, const std::string& id) const {
    SUANLI_TRY(catalog_accel(v, key, id));
    auto t = scenario_.fleet.find_type(id);
    if (!t) {
      return bad(v, key,
                 fmt::format("accelerator '{}' is not in the fleet (fleet types: {})", id,
                             join(fleet_type_ids(), ", ")));
    }
    return *t;
  }

  Result<SiteId> site(const TomlView& v, std::string_view key, const std::string& name) const {
    auto s = scenario_.fleet.find_site(name);
    if (!s) {
      std::vector<std::string> names;
      for (const auto& site : scenario_.fleet.sites()) names.push_back(site.name);
      return bad(v, key,
                 fmt::format("unknown site '{}'; declared sites: {}", name,
                             names.empty() ? "none (add [[sites]])" : join(names, ", ")));
    }
    return *s;
  }

  Result<PoolEntry> read_pool(const TomlView& v, bool delivery) {
    PoolEntry e{v, nullptr, {}, {}, {}, {}, 0};
    if (delivery) {
      SUANLI_ASSIGN(e.at, required_hours(v, "at_hours", max_hours()));
    }
    SUANLI_ASSIGN(auto site_name, required_name(v, "site"));
    SUANLI_ASSIGN(e.pool.site, site(v, "site", site_name));
    SUANLI_ASSIGN(auto accel_id, required_name(v, "accelerator"));
    SUANLI_ASSIGN(e.accel, catalog_accel(v, "accelerator", accel_id));
    SUANLI_ASSIGN(e.pool.nodes, required_int_in(v, "nodes", 1, kMaxScenarioNodes));

    SUANLI_ASSIGN(auto per_node, int_in(v, "devices_per_node", 1, kMaxNodeGpus));
    if (per_node) {
      e.pool.devices_per_node = *per_node;
    } else if (e.accel->node_devices >= 1 && e.accel->node_devices <= kMaxNodeGpus) {
      e.pool.devices_per_node = e.accel->node_devices;
    } else {
      return bad(v, "accelerator",
                 fmt::format("the catalog gives {} {} devices per node, more than the {} a node "
                             "may hold; set devices_per_node",
                             accel_id, e.accel->node_devices, kMaxNodeGpus));
    }
    const int per = e.pool.devices_per_node;
    SUANLI_ASSIGN(auto domain, int_in(v, "scale_up_domain", 1));
    if (domain) {
      if (*domain < per || *domain % per != 0) {
        return bad(
            v, "scale_up_domain",
            fmt::format("expected a multiple of devices_per_node ({}), got {}", per, *domain));
      }
      e.pool.scale_up_domain = *domain;
    } else {
      e.pool.scale_up_domain = per;
      if (e.accel->scaleup_domain) {
        const double d = e.accel->scaleup_domain->value;
        if (d == std::floor(d) && d >= per && d < 1e9 && static_cast<long long>(d) % per == 0) {
          e.pool.scale_up_domain = static_cast<int>(d);
        }
      }
    }
    SUANLI_ASSIGN(auto cores, number_in(v, "cpu_cores", 0, kMaxCpuCores));
    if (cores) e.pool.cpu_milli = std::llround(*cores * 1000);
    SUANLI_ASSIGN(auto gib, number_in(v, "memory_gib", 0, kMaxMemoryGib));
    if (gib) e.pool.memory_mib = std::llround(*gib * 1024);
    SUANLI_ASSIGN(e.price, number_in(v, "price_per_device_hour", 0, kMaxPricePerDeviceHour));
    SUANLI_ASSIGN(e.mtbf, number_in(v, "mtbf_hours", 0, kMaxMtbfHours));
    if (e.mtbf && *e.mtbf > 0 && *e.mtbf < kMinMtbfHours) {
      return bad(v, "mtbf_hours",
                 fmt::format("expected 0 (never fails) or {} to {} hours, got {}", kMinMtbfHours,
                             kMaxMtbfHours, *e.mtbf));
    }
    SUANLI_ASSIGN(e.mttr, number_in(v, "mttr_hours", 0, kMaxMttrHours));
    SUANLI_ASSIGN(auto prefix, v.string("name_prefix"));
    if (prefix) {
      if (prefix->empty()) return bad(v, "name_prefix", "expected a non-empty string");
      e.pool.name_prefix = *prefix;
    }
    // at_hours was read for a delivery only: a [[fleet]] pool refuses it.
    SUANLI_TRY(v.finish());
    return e;
  }

  // One value per type: pools that set it must agree.
  static Result<void> merge(TypeSetting& setting, const std::optional<double>& value,
                            const TomlView& v, std::string_view key, std::string_view type_id) {
    if (!value) return {};
    if (setting.value && *setting.value != *value) {
      return bad(v, key,
                 fmt::format("{} conflicts with {} = {} for '{}' at {} (one value per "
                             "accelerator type)",
                             *value, key, *setting.value, type_id, setting.where));
    }
    if (!setting.value) {
      setting.value = value;
      setting.where = v.where(key);
      setting.key = sub_path(v, key);
    }
    return {};
  }

  Result<void> read_fleet(const TomlView& root) {
    SUANLI_ASSIGN(auto sites, table_array(root, "sites"));
    std::map<std::string, std::string> site_where;
    for (const TomlView& v : sites) {
      Site s;
      SUANLI_ASSIGN(s.name, required_name(v, "name"));
      SUANLI_ASSIGN(auto region, v.string("region"));
      if (region) s.region = *region;
      SUANLI_TRY(v.finish());
      if (auto it = site_where.find(s.name); it != site_where.end()) {
        return bad(v, "name",
                   fmt::format("duplicate site '{}' (first declared at {})", s.name, it->second));
      }
      site_where[s.name] = v.where("name");
      scenario_.fleet.add_site(std::move(s));
    }

    SUANLI_ASSIGN(auto fleet_views, table_array(root, "fleet"));
    if (fleet_views.empty()) {
      return bad(root, "fleet", "a scenario needs at least one [[fleet]] node pool");
    }
    SUANLI_ASSIGN(auto delivery_views, table_array(root, "deliveries"));
    if (fleet_views.size() + delivery_views.size() > static_cast<std::size_t>(kMaxScenarioPools)) {
      return bad(root, "fleet",
                 fmt::format("{} node pools ([[fleet]] and [[deliveries]]), more than the {} a "
                             "scenario may have",
                             fleet_views.size() + delivery_views.size(), kMaxScenarioPools));
    }
    std::vector<PoolEntry> pools;
    std::vector<PoolEntry> deliveries;
    for (const TomlView& v : fleet_views) {
      SUANLI_ASSIGN(auto e, read_pool(v, false));
      pools.push_back(std::move(e));
    }
    for (const TomlView& v : delivery_views) {
      SUANLI_ASSIGN(auto e, read_pool(v, true));
      deliveries.push_back(std::move(e));
    }
    long long total_nodes = 0;
    for (const std::vector<PoolEntry>* list : {&pools, &deliveries}) {
      for (const PoolEntry& e : *list) {
        total_nodes += e.pool.nodes;
        if (total_nodes > kMaxScenarioNodes) {
          return bad(e.view, "nodes",
                     fmt::format("the fleet would exceed {} nodes ([[fleet]] and [[deliveries]] "
                                 "together)",
                                 kMaxScenarioNodes));
        }
      }
    }

    // Types in order of first appearance, [[fleet]] before [[deliveries]].
    std::vector<TypeEntry> types;
    auto type_of = [&](const PoolEntry& e) -> std::size_t {
      for (std::size_t i = 0; i < types.size(); ++i)
        if (types[i].accel == e.accel) return i;
      types.push_back(TypeEntry{e.accel, {}, {}, {}});
      return types.size() - 1;
    };
    for (std::vector<PoolEntry>* list : {&pools, &deliveries}) {
      for (PoolEntry& e : *list) {
        const std::size_t t = type_of(e);
        e.pool.type = TypeId{static_cast<int>(t)};
        SUANLI_TRY(merge(types[t].price, e.price, e.view, "price_per_device_hour", e.accel->id));
        SUANLI_TRY(merge(types[t].mtbf, e.mtbf, e.view, "mtbf_hours", e.accel->id));
        SUANLI_TRY(merge(types[t].mttr, e.mttr, e.view, "mttr_hours", e.accel->id));
      }
    }
    for (const TypeEntry& t : types) {
      const Accelerator& a = *t.accel;
      AcceleratorType type = accelerator_type(a);
      if (t.price.value) type.price_per_device_hour = *t.price.value;
      type.mtbf_hours = t.mtbf.value.value_or(0);
      type.mttr_hours = t.mttr.value.value_or(0);
      if (type.mtbf_hours > 0 && type.mttr_hours <= 0) {
        return std::unexpected(
            Error{ErrorCode::kParse,
                  fmt::format("{}: {}: '{}' fails (mtbf_hours = {}) but no pool of it sets "
                              "mttr_hours > 0 (how long a failed node stays down)",
                              t.mtbf.where, t.mtbf.key, a.id, type.mtbf_hours)});
      }
      scenario_.fleet.add_type(std::move(type));
    }

    for (const PoolEntry& e : pools) {
      auto added = scenario_.fleet.add_pool(e.pool);
      if (!added) return bad(e.view, "", added.error().message);
      scenario_.pools.push_back(e.pool);
    }

    // Deliveries arrive in time order (ties in file order); their nodes are
    // named as the simulator will name them, so node events can refer to them.
    future_fleet_ = scenario_.fleet;
    for (const FleetNode& n : scenario_.fleet.nodes()) node_arrival_[n.name] = 0;
    std::vector<std::size_t> order(deliveries.size());
    for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
    std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
      return deliveries[a].at < deliveries[b].at;
    });
    for (std::size_t i : order) {
      const PoolEntry& e = deliveries[i];
      auto added = future_fleet_.add_pool(e.pool);
      if (!added) return bad(e.view, "", added.error().message);
      for (NodeId id : *added) node_arrival_[future_fleet_.node(id).name] = e.at;
    }
    for (const PoolEntry& e : deliveries) {
      scenario_.deliveries.push_back(Delivery{e.at, e.pool, e.view.where()});
    }
    return {};
  }

  // --- tenants and rules -------------------------------------------------

  std::vector<std::string> tenant_names() const {
    std::vector<std::string> names;
    for (const Tenant& t : scenario_.tenants) names.push_back(t.name);
    return names;
  }

  Result<TenantId> tenant(const TomlView& v, std::string_view key, const std::string& name) const {
    for (std::size_t i = 0; i < scenario_.tenants.size(); ++i)
      if (scenario_.tenants[i].name == name) return TenantId{static_cast<int>(i)};
    const auto names = tenant_names();
    return bad(v, key,
               fmt::format("unknown tenant '{}'; declared tenants: {}", name,
                           names.empty() ? "none (add [[tenants]])" : join(names, ", ")));
  }

  Result<void> read_tenants(const TomlView& root) {
    SUANLI_ASSIGN(auto views, table_array(root, "tenants"));
    std::map<std::string, std::string> seen;
    for (const TomlView& v : views) {
      Tenant t;
      SUANLI_ASSIGN(t.name, required_name(v, "name"));
      if (auto it = seen.find(t.name); it != seen.end()) {
        return bad(v, "name",
                   fmt::format("duplicate tenant '{}' (first declared at {})", t.name, it->second));
      }
      seen[t.name] = v.where("name");
      SUANLI_ASSIGN(auto weight, number_in(v, "weight", 1e-9, kMaxWeight));
      if (weight) t.weight = *weight;
      SUANLI_ASSIGN(t.sensitivity, sensitivity(v, "sensitivity"));
      SUANLI_TRY(v.finish());
      scenario_.tenants.push_back(std::move(t));
    }
    return {};
  }

  Result<void> read_rules(const TomlView& root) {
    SUANLI_ASSIGN(auto views, table_array(root, "rules"));
    std::map<std::string, std::string> seen;
    for (const TomlView& v : views) {
      Rule r;
      r.defined_at = v.where();
      SUANLI_ASSIGN(r.id, required_name(v, "id"));
      SUANLI_ASSIGN(auto kind, required_name(v, "kind"));
      auto k = parse_rule_kind(kind);
      if (!k) {
        return bad(v, "kind",
                   fmt::format("unknown rule kind '{}' (expected sensitivity-origin, "
                               "domestic-share, approved-customers, no-new-placements or drain)",
                               kind));
      }
      r.kind = *k;
      if (auto it = seen.find(r.id); it != seen.end()) {
        return bad(v, "id",
                   fmt::format("duplicate rule id '{}' (first defined at {})", r.id, it->second));
      }
      seen[r.id] = v.where("id");

      switch (r.kind) {
        case RuleKind::kSensitivityOrigin: {
          SUANLI_ASSIGN(auto s, sensitivity(v, "min_sensitivity"));
          if (s) r.min_sensitivity = *s;
          SUANLI_ASSIGN(auto origins, origin_array(v, "origins"));
          if (!origins || origins->empty()) {
            return bad(v, "origins", "expected a non-empty array of origins, e.g. [\"CN\"]");
          }
          r.origins = std::move(*origins);
          break;
        }
        case RuleKind::kDomesticShare: {
          SUANLI_ASSIGN(r.min_share, v.required_number("min_share"));
          if (r.min_share < 0 || r.min_share > 1) {
            return bad(v, "min_share",
                       fmt::format("expected a share from 0 to 1, got {}", r.min_share));
          }
          SUANLI_ASSIGN(auto measure, v.string("measure"));
          if (measure && *measure == "devices") {
            r.measure = ShareMeasure::kDevices;
          } else if (measure && *measure != "compute") {
            return bad(v, "measure",
                       fmt::format("expected compute or devices, got '{}'", *measure));
          }
          if (r.measure == ShareMeasure::kCompute) {
            for (const AcceleratorType& t : scenario_.fleet.types()) {
              if (t.compute_weight > 0) continue;
              return bad(v, measure ? "measure" : "min_share",
                         fmt::format("'{}' has no BF16 or FP16 rate in the catalog, so a compute "
                                     "share cannot weigh it; use measure = \"devices\"",
                                     t.id));
            }
          }
          break;
        }
        case RuleKind::kApprovedCustomers:
        case RuleKind::kNoNewPlacements:
        case RuleKind::kDrain: {
          SUANLI_ASSIGN(auto accel, required_name(v, "accelerator"));
          SUANLI_ASSIGN(r.type, fleet_type(v, "accelerator", accel));
          if (r.kind == RuleKind::kApprovedCustomers) {
            SUANLI_ASSIGN(auto names, string_array(v, "tenants"));
            if (!names || names->empty()) {
              return bad(v, "tenants", "expected a non-empty array of tenant names");
            }
            for (const auto& n : *names) {
              SUANLI_ASSIGN(auto id, tenant(v, "tenants", n));
              r.tenants.push_back(id);
            }
          } else {
            SUANLI_ASSIGN(auto from, hours(v, "from_hours", max_hours()));
            if (from) r.from = *from;
            if (r.kind == RuleKind::kDrain) {
              SUANLI_ASSIGN(auto within, hours(v, "within_hours", max_hours()));
              if (within) r.within_s = *within;
            }
          }
          break;
        }
      }
      // Each kind read only its own keys: the others' are refused here.
      SUANLI_TRY(v.finish());
      scenario_.rules.push_back(std::move(r));
    }
    return {};
  }

  // --- scheduler and simulation ------------------------------------------

  Result<void> read_scheduler(const TomlView& root) {
    SUANLI_ASSIGN(auto sub, root.subtable("scheduler"));
    if (!sub) return {};
    const TomlView& v = *sub;
    SchedulerConfig& c = scenario_.scheduler;
    SUANLI_ASSIGN(auto queue, v.string("queue"));
    if (queue) {
      auto q = parse_queue_policy(*queue);
      if (!q) return bad(v, "queue", q.error().message);
      c.queue = *q;
    }
    SUANLI_ASSIGN(auto placement, v.string("placement"));
    if (placement) {
      auto p = parse_placement_policy(*placement);
      if (!p) return bad(v, "placement", p.error().message);
      c.placement = *p;
    }
    SUANLI_ASSIGN(auto preemption, v.boolean("preemption"));
    if (preemption) c.preemption = *preemption;
    SUANLI_ASSIGN(auto checkpoint, v.boolean("checkpoint_on_preempt"));
    if (checkpoint) c.checkpoint_on_preempt = *checkpoint;
    SUANLI_ASSIGN(auto overhead, number_in(v, "restart_overhead_s", 0, kMaxRestartOverheadS));
    if (overhead) c.restart_overhead_s = *overhead;
    SUANLI_ASSIGN(auto restarts, int_in(v, "max_restarts", 0, 1'000'000));
    if (restarts) c.max_restarts = *restarts;
    return v.finish();
  }

  Result<void> read_simulation(const TomlView& root) {
    SUANLI_ASSIGN(auto sub, root.subtable("simulation"));
    if (!sub) return {};
    const TomlView& v = *sub;
    SUANLI_ASSIGN(auto until, positive(v, "until_hours"));
    if (until && *until > max_hours()) {
      return bad(v, "until_hours",
                 fmt::format("expected at most limits.max_simulated_hours = {}, got {}",
                             max_hours(), *until));
    }
    if (until) scenario_.simulation.until = *until * kSecondsPerHour;
    SUANLI_ASSIGN(auto interval,
                  number_in(v, "sample_interval_s", kMinSampleIntervalS, kMaxSampleIntervalS));
    if (interval) scenario_.simulation.sample_interval_s = *interval;
    SUANLI_TRY(v.finish());
    if (until) {
      const double samples = *until * kSecondsPerHour / scenario_.simulation.sample_interval_s;
      if (samples > static_cast<double>(scenario_.limits.max_samples)) {
        return bad(v, interval ? "sample_interval_s" : "until_hours",
                   fmt::format("{:.0f} samples over until_hours exceed limits.max_samples = {}; "
                               "sample less often",
                               samples, scenario_.limits.max_samples));
      }
    }
    return {};
  }

  // --- workloads ---------------------------------------------------------

  // A template ([[generators.jobs]]) or an explicit job ([[jobs]]); the
  // caller finishes the view (an explicit job has keys of its own).
  Result<JobTemplate> read_template(const TomlView& v, TenantId owner, bool explicit_job) {
    JobTemplate t;
    t.defined_at = v.where();
    SUANLI_TRY(read_template_identity(v, explicit_job, t));
    SUANLI_TRY(read_template_devices(v, explicit_job, t));
    SUANLI_TRY(read_template_resources(v, t));
    // The tenant's declared sensitivity is the floor (sched/job.h).
    SUANLI_ASSIGN(auto own, sensitivity(v, "sensitivity"));
    t.sensitivity = job_sensitivity(own, scenario_.tenants[owner.index()]);

    SUANLI_ASSIGN(auto allowed, string_array(v, "allowed"));
    if (allowed) {
      for (const auto& id : *allowed) {
        SUANLI_TRY(fleet_type(v, "allowed", id));
      }
      t.allowed = std::move(*allowed);
    }
    SUANLI_TRY(read_work(v, explicit_job, t));
    return t;
  }

  // A template's work (model, tokens or reference hours, sequence lengths)
  // and checkpoint interval into `t`; `t.kind` is already read.
  Result<void> read_work(const TomlView& v, bool explicit_job, JobTemplate& t) {
    WorkSpec& w = t.work;
    SUANLI_ASSIGN(auto model, v.string("model"));
    if (model) {
      if (auto m = catalog_.model(*model); !m) {
        return bad(v, "model", unknown_id_message("model", *model, catalog_.model_ids()));
      }
      w.model = *model;
    }
    bool tokens_log = true;
    bool hours_log = true;
    if (!explicit_job) {
      SUANLI_ASSIGN(auto tl, v.boolean("tokens_log"));
      if (tl) tokens_log = *tl;
      SUANLI_ASSIGN(auto hl, v.boolean("reference_hours_log"));
      if (hl) hours_log = *hl;
    }
    SUANLI_ASSIGN(w.tokens, sample_range(v, "tokens", !explicit_job, tokens_log, kMaxTokens));
    SUANLI_ASSIGN(w.reference_hours,
                  sample_range(v, "reference_hours", !explicit_job, hours_log, kMaxReferenceHours));
    SUANLI_ASSIGN(auto reference, v.string("reference"));
    if (reference) {
      SUANLI_TRY(catalog_accel(v, "reference", *reference));
      w.reference = *reference;
    }
    SUANLI_TRY(check_work(v, w));
    if (t.kind != JobKind::kInference && t.kind != JobKind::kFractional) {
      TomlFieldReader reader(v);
      SUANLI_TRY(read_train_run_fields(reader, w.run));
      if (!w.model.empty()) {
        TrainRequest r = w.run;
        r.model = w.model;
        if (auto ok = make_train_step_workload(catalog_, r); !ok)
          return bad(v, "", ok.error().message);
      } else {
        // Reference-hours work has no step to time: a run key would be ignored.
        for (const RequestField<TrainRequest>& f : train_workload_fields())
          if (v.table().contains(f.spec.name) && is_train_run_field(f.spec.name))
            return bad(v, f.spec.name, "the run's keys need model = \"<catalog model ID>\"");
      }
    }
    SUANLI_TRY(read_serving(v, t.kind, w));
    SUANLI_ASSIGN(auto checkpoint, number_in(v, "checkpoint_minutes", 0, kMaxCheckpointMinutes));
    if (checkpoint) t.checkpoint_interval_s = *checkpoint * 60;
    return {};
  }

  // An inference job's serving run: estimate infer's keys (perf/
  // workload_fields.h), which need a model; other kinds refuse the keys
  // only serving has.
  Result<void> read_serving(const TomlView& v, JobKind kind, WorkSpec& w) {
    if (kind != JobKind::kInference) {
      for (const RequestField<InferRequest>& f : infer_workload_fields()) {
        const std::string_view key = f.spec.name;
        if (v.table().contains(key) && is_infer_run_field(key) &&
            !table_has(train_workload_fields(), key)) {
          return bad(v, key,
                     fmt::format("only inference jobs (kind = \"inference\") have {}", key));
        }
      }
      return {};
    }
    TomlFieldReader reader(v);
    SUANLI_TRY(read_infer_run_fields(reader, w.serving, /*lengths_required=*/false));
    if (w.model.empty()) {
      for (const RequestField<InferRequest>& f : infer_workload_fields())
        if (v.table().contains(f.spec.name) && is_infer_run_field(f.spec.name))
          return bad(v, f.spec.name, "the run's keys need model = \"<catalog model ID>\"");
      return {};
    }
    InferRequest r = w.serving;
    r.model = w.model;
    return check_infer_run(reader, catalog_, r);
  }

  Result<void> read_generators(const TomlView& root) {
    SUANLI_ASSIGN(auto views, table_array(root, "generators"));
    for (const TomlView& v : views) {
      Generator g;
      g.defined_at = v.where();
      SUANLI_ASSIGN(auto tenant_name, required_name(v, "tenant"));
      SUANLI_ASSIGN(g.tenant, tenant(v, "tenant", tenant_name));
      SUANLI_ASSIGN(g.rate_per_hour,
                    required_number_in(v, "rate_per_hour", kMinRatePerHour, kMaxRatePerHour));
      SUANLI_ASSIGN(g.count, required_int_in(v, "count", 0, scenario_.limits.max_jobs));
      SUANLI_ASSIGN(auto start, hours(v, "start_hours", max_hours()));
      if (start) g.start = *start;
      SUANLI_ASSIGN(auto templates, table_array(v, "jobs"));
      SUANLI_TRY(v.finish());
      if (templates.empty()) {
        return bad(v, "jobs", "a generator needs at least one [[generators.jobs]] template");
      }
      for (const TomlView& tv : templates) {
        SUANLI_ASSIGN(auto t, read_template(tv, g.tenant, false));
        SUANLI_TRY(tv.finish());
        g.templates.push_back(std::move(t));
      }
      scenario_.generators.push_back(std::move(g));
    }
    return {};
  }

  Result<void> read_jobs(const TomlView& root) {
    SUANLI_ASSIGN(auto views, table_array(root, "jobs"));
    for (const TomlView& v : views) {
      ScenarioJob j;
      SUANLI_ASSIGN(auto tenant_name, required_name(v, "tenant"));
      SUANLI_ASSIGN(j.tenant, tenant(v, "tenant", tenant_name));
      SUANLI_ASSIGN(auto submit, hours(v, "submit_hours", max_hours()));
      if (submit) j.submit = *submit;
      SUANLI_ASSIGN(j.job, read_template(v, j.tenant, true));
      // weight, tokens_log and reference_hours_log are templates' only.
      SUANLI_TRY(v.finish());
      scenario_.jobs.push_back(std::move(j));
    }
    return {};
  }

  // Where a trace file is: absolute, or relative to the scenario's folder,
  // to $SUANLI_TRACES (the traces folder or its alibaba-gpu-v2023 folder),
  // or to the bundled traces folder (data/traces under share_dir()).
  std::vector<fs::path> trace_candidates(const fs::path& rel) const {
    if (rel.is_absolute()) return {rel};
    std::vector<fs::path> out;
    out.push_back(scenario_.file.parent_path() / rel);
    if (const char* env = std::getenv("SUANLI_TRACES"); env != nullptr && *env != '\0') {
      const fs::path dir(env);
      out.push_back(dir / rel);
      out.push_back(dir.parent_path() / rel);
    }
    // The bundled traces (data/traces, e.g. alibaba-gpu-v2023/…).
    out.push_back(bundled_data_dir() / "traces" / rel);
    return out;
  }

  // A trace file on the server: a relative path without "..", found under
  // one of `dirs`, whose real path stays inside that directory. Messages
  // name no server directory.
  static Result<fs::path> confined_trace(const TomlView& v, const std::string& pods,
                                         const std::vector<fs::path>& dirs) {
    const fs::path rel(pods);
    if (rel.is_absolute() || rel.has_root_name() || rel.has_root_directory()) {
      return bad(v, "pods",
                 "expected a path relative to the scenario folder (absolute paths are refused "
                 "by the service)");
    }
    for (const fs::path& part : rel)
      if (part == "..") return bad(v, "pods", "'..' is refused by the service");
    for (const fs::path& dir : dirs) {
      std::error_code ec;
      const fs::path base = fs::weakly_canonical(dir, ec);
      if (ec) continue;
      const fs::path candidate = base / rel;
      if (!fs::is_regular_file(candidate, ec)) continue;
      const fs::path real = fs::canonical(candidate, ec);
      if (ec) continue;
      if (!path_within(real, base)) {
        return bad(v, "pods",
                   "the file leads outside the directories the service reads traces from (a "
                   "symbolic link?)");
      }
      return real;
    }
    return bad(v, "pods",
               "file not found in the service's trace directories (the scenario folder, then "
               "the configured ones)");
  }

  Result<void> read_traces(const TomlView& root) {
    SUANLI_ASSIGN(auto views, table_array(root, "traces"));
    for (const TomlView& v : views) {
      TraceImport t;
      t.defined_at = v.where();
      SUANLI_ASSIGN(auto pods, required_name(v, "pods"));
      if (options_.trace_dirs) {
        SUANLI_ASSIGN(t.pods, confined_trace(v, pods, *options_.trace_dirs));
        t.confined = true;
      } else {
        std::vector<std::string> tried;
        for (const fs::path& p : trace_candidates(pods)) {
          std::error_code ec;
          if (fs::is_regular_file(p, ec)) {
            t.pods = p;
            break;
          }
          tried.push_back(p.string());
        }
        if (t.pods.empty()) {
          return bad(v, "pods", fmt::format("file not found (looked for {})", join(tried, ", ")));
        }
      }
      SUANLI_ASSIGN(auto tenant_name, required_name(v, "tenant"));
      SUANLI_ASSIGN(t.tenant, tenant(v, "tenant", tenant_name));
      SUANLI_ASSIGN(auto map, v.subtable("gpu_map"));
      if (map) {
        for (const auto& [k, node] : map->table()) {
          SUANLI_ASSIGN(auto id, map->required_string(k.str()));
          SUANLI_TRY(catalog_accel(*map, k.str(), id));
          t.gpu_map[std::string(k.str())] = id;
        }
      }
      SUANLI_ASSIGN(t.default_reference, required_name(v, "default_reference"));
      SUANLI_TRY(catalog_accel(v, "default_reference", t.default_reference));
      SUANLI_ASSIGN(auto limit, int_in(v, "limit", 0, scenario_.limits.max_jobs));
      if (limit) t.limit = *limit;
      SUANLI_ASSIGN(auto scale, number_in(v, "time_scale", kMinTimeScale, kMaxTimeScale));
      if (scale) t.time_scale = *scale;
      SUANLI_ASSIGN(auto skip, v.boolean("skip_bad_rows"));
      if (skip) t.skip_bad_rows = *skip;
      SUANLI_ASSIGN(auto own, sensitivity(v, "sensitivity"));
      t.sensitivity = job_sensitivity(own, scenario_.tenants[t.tenant.index()]);
      SUANLI_TRY(v.finish());
      scenario_.traces.push_back(std::move(t));
    }
    return {};
  }

  Result<void> read_node_events(const TomlView& root) {
    SUANLI_ASSIGN(auto views, table_array(root, "node_events"));
    for (const TomlView& v : views) {
      NodeEvent e;
      e.defined_at = v.where();
      SUANLI_ASSIGN(e.at, required_hours(v, "at_hours", max_hours()));
      SUANLI_ASSIGN(e.node, required_name(v, "node"));
      auto it = node_arrival_.find(e.node);
      if (it == node_arrival_.end()) {
        std::vector<std::string> names;
        for (const auto& [n, at] : node_arrival_) names.push_back(n);
        const auto close = closest_matches(e.node, names);
        return bad(
            v, "node",
            close.empty()
                ? fmt::format("unknown node '{}' (nodes are named <site>-<accelerator>-<n> "
                              "or <name_prefix>-<n>, from 0)",
                              e.node)
                : fmt::format("unknown node '{}' (did you mean: {}?)", e.node, join(close, ", ")));
      }
      if (e.at < it->second) {
        return bad(v, "at_hours",
                   fmt::format("node '{}' is delivered at hour {}, after this event", e.node,
                               it->second / kSecondsPerHour));
      }
      SUANLI_ASSIGN(auto state, required_name(v, "state"));
      if (state == "up") {
        e.up = true;
      } else if (state != "down") {
        return bad(v, "state", fmt::format("expected down or up, got '{}'", state));
      }
      SUANLI_TRY(v.finish());
      scenario_.node_events.push_back(std::move(e));
    }
    return {};
  }

  const Catalog& catalog_;
  std::string file_;
  const ScenarioLoadOptions& options_;
  Scenario scenario_;
  Fleet future_fleet_;                           // the fleet after every delivery
  std::map<std::string, SimTime> node_arrival_;  // node name -> when it exists
};

}  // namespace

Result<void> apply_scenario_override(toml::table& doc, const TomlOverride& override) {
  static const TomlOverrideOptions options{{"scheduler", "simulation"},
                                           {"name", "id", "accelerator", "tenant"}};
  return apply_toml_override(doc, override, options);
}

Result<Scenario> load_scenario(const std::filesystem::path& path, const Catalog& catalog,
                               const std::vector<TomlOverride>& overrides) {
  SUANLI_ASSIGN(auto table, parse_toml_file(path));
  for (const TomlOverride& o : overrides) SUANLI_TRY(apply_scenario_override(table, o));
  return Resolver(catalog, path, ScenarioLoadOptions{}).run(table);
}

Result<Scenario> parse_scenario(std::string_view text, const std::filesystem::path& file,
                                const Catalog& catalog, const std::vector<TomlOverride>& overrides,
                                const ScenarioLoadOptions& options) {
  SUANLI_ASSIGN(toml::table table, parse_toml_text(text, file));
  for (const TomlOverride& o : overrides) SUANLI_TRY(apply_scenario_override(table, o));
  return Resolver(catalog, file, options).run(table);
}

SimLimits min_limits(const SimLimits& a, const SimLimits& b) {
  return SimLimits{std::min(a.max_simulated_hours, b.max_simulated_hours),
                   std::min(a.max_events, b.max_events), std::min(a.max_jobs, b.max_jobs),
                   std::min(a.max_samples, b.max_samples), std::min(a.max_wall_s, b.max_wall_s)};
}

}  // namespace suanli

// The plan's fleet in one year as a simulation scenario, and its simulation.
//
// Mapping (also in src/report/README.md). The fleet is one site per plan
// site and, per (type, site), one pool of existing nodes plus the purchases
// delivered up to the year; that year's rentals become a pool "<type>-rented"
// at the type's first allowed site, rounded up to whole nodes. Scale-up
// domains, prices and node names take the scenario loader's defaults. Every
// demand item active in the year and served by the plan becomes a Poisson
// generator whose offered load matches the plan's allocation: a training
// programme is a stream of runs (model + tokens/N, N chosen so one run takes
// about two days on the gang the plan sized on its main type, N runs per
// deadline); an inference item is serving capacity: jobs of one or more
// serving instances (instance size from the sizing) holding their devices
// for 1–24 h, given as reference hours on the main type, so the simulated
// device-hours equal the plan's on that type (the simulator's inference
// work model has no TTFT/TPOT SLO, so output tokens would be served faster
// than the plan sized for) and other types scale by the estimator's relative
// serving throughput. `allowed` is left empty: the scheduler may use any type
// where the work fits. Queue `priority` with serving (priority 1) ahead of
// training (0), no preemption, placement `hetero`. The policies become rules:
// sensitive data (confidential and above) on CN-origin types, and the plan's
// domestic-share minimum with its measure. Items the plan does not serve in
// the year are left out (listed in the file's header comment). At most about
// kMaxJobs jobs are generated, so a 30-day run stays fast (under a second
// for ~3,000 devices). Arrivals start at hour 0, so the first job length is
// a ramp-up; training runs use the simulator's default training setup
// (BF16, its default sequence and batch), not the plan item's precision.
#include "report/plan_simulation.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <toml++/toml.h>

#include "sim/audit.h"
#include "sim/scenario.h"
#include "sim/simulation.h"

namespace suanli {

namespace {

constexpr int kMaxJobs = 1800;  // expected arrivals over the horizon, all items
constexpr int kMinJobsPerInferenceItem = 40;
constexpr double kTargetRunDays = 2;        // training: length of one run on its gang
constexpr double kMaxServingJobHours = 24;  // inference: longest job
constexpr int kServingPriority = 1;
constexpr int kTrainingPriority = 0;

// 6 significant digits: what the TOML text shows is what is simulated.
double sig6(double x) {
  if (x == 0 || !std::isfinite(x)) return x;
  return std::stod(fmt::format("{:.6g}", x));
}

// Largest divisor of n that is at most 8 (the tensor-parallel group).
int tp_for(int n) {
  for (int tp = std::min(n, 8); tp > 1; --tp)
    if (n % tp == 0) return tp;
  return 1;
}

// Jobs to generate for λ expected arrivals: enough that the generator does
// not run dry before the horizon (arrivals after it are never submitted).
int count_for(double expected) {
  return static_cast<int>(std::ceil(expected + 4 * std::sqrt(expected) + 2));
}

struct Item {
  int demand = 0;
  int type = 0;       // the type with the largest allocated fraction
  double served = 0;  // sum of the year's fractions, at most 1
  Sensitivity sensitivity = Sensitivity::kPublic;
  std::string tenant;
};

toml::array string_array(const std::vector<std::string>& v) {
  toml::array a;
  for (const std::string& s : v) a.push_back(s);
  return a;
}

}  // namespace

Result<std::string> planned_fleet_scenario_toml(const PlanScenario& scenario,
                                                const PlanResult& plan,
                                                const PlanSimulationOptions& options) {
  const PlanProblem& p = scenario.problem;
  const int year = options.year;
  if (year < 1 || year > p.years)
    return fail(ErrorCode::kInvalidArgument,
                fmt::format("simulation year {} is outside the plan's years 1-{}", year, p.years));
  if (!(options.days > 0) || !std::isfinite(options.days))
    return fail(ErrorCode::kInvalidArgument,
                fmt::format("simulation days must be positive (got {})", options.days));
  if (options.seed > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))
    return fail(ErrorCode::kInvalidArgument, "the simulation seed must fit a TOML integer");
  if (plan.status == PlanStatus::kInfeasible)
    return fail(ErrorCode::kInfeasible, "the plan is infeasible: there is no planned fleet");
  if (p.sites.empty()) return fail(ErrorCode::kInvalidArgument, "the plan has no sites");
  const std::size_t n_demands = p.demands.size();
  if (scenario.sizing.size() != n_demands)
    return fail(ErrorCode::kInvalidArgument, fmt::format("{} demand items but sizing for {}",
                                                         n_demands, scenario.sizing.size()));
  const std::size_t n_training = static_cast<std::size_t>(
      std::count_if(p.demands.begin(), p.demands.end(),
                    [](const PlanDemand& d) { return d.kind == DemandKind::kTraining; }));
  if (n_training != scenario.training.size() || n_demands - n_training != scenario.inference.size())
    return fail(ErrorCode::kInvalidArgument,
                fmt::format("{} training and {} inference demand items but {} and {} definitions",
                            n_training, n_demands - n_training, scenario.training.size(),
                            scenario.inference.size()));
  const auto n_types = p.types.size();
  auto type_ok = [&](int t) { return t >= 0 && static_cast<std::size_t>(t) < n_types; };
  auto site_ok = [&](int s) { return s >= 0 && static_cast<std::size_t>(s) < p.sites.size(); };

  // Fleet: nodes per (type, site).
  std::map<std::pair<int, int>, long long> nodes;
  for (const ExistingNodes& e : p.existing) {
    if (!type_ok(e.type) || !site_ok(e.site))
      return fail(ErrorCode::kInvalidArgument, "existing nodes name an unknown type or site");
    nodes[{e.type, e.site}] += e.nodes;
  }
  for (const Purchase& b : plan.purchases) {
    if (!type_ok(b.type) || !site_ok(b.site))
      return fail(ErrorCode::kInvalidArgument, "a purchase names an unknown type or site");
    if (b.year <= year) nodes[{b.type, b.site}] += b.nodes;
  }
  std::vector<double> rented(n_types, 0);
  for (const PlanResult::Rental& r : plan.rentals) {
    if (!type_ok(r.type))
      return fail(ErrorCode::kInvalidArgument, "a rental names an unknown type");
    if (r.year == year) rented[static_cast<std::size_t>(r.type)] += r.devices;
  }

  toml::array fleet;
  for (const auto& [key, n] : nodes) {
    if (n <= 0) continue;
    const PlanType& t = p.types[static_cast<std::size_t>(key.first)];
    fleet.push_back(toml::table{{"site", p.sites[static_cast<std::size_t>(key.second)].name},
                                {"accelerator", t.id},
                                {"nodes", static_cast<std::int64_t>(n)},
                                {"devices_per_node", t.node_devices}});
  }
  for (std::size_t k = 0; k < n_types; ++k) {
    const PlanType& t = p.types[k];
    if (rented[k] <= 1e-9 || t.node_devices <= 0) continue;
    const auto n = static_cast<std::int64_t>(std::ceil(rented[k] / t.node_devices - 1e-9));
    const int site = t.sites.empty() ? 0 : t.sites.front();
    if (!site_ok(site))
      return fail(ErrorCode::kInvalidArgument, fmt::format("type {} names an unknown site", t.id));
    fleet.push_back(toml::table{{"site", p.sites[static_cast<std::size_t>(site)].name},
                                {"accelerator", t.id},
                                {"nodes", n},
                                {"devices_per_node", t.node_devices},
                                {"name_prefix", t.id + "-rented"}});
  }
  if (fleet.empty())
    return fail(ErrorCode::kInfeasible,
                fmt::format("the plan owns and rents no devices in year {}", year));

  // Demand items active this year and served by the plan.
  std::vector<Item> items;
  std::vector<std::string> notes;
  std::vector<std::string> tenants;
  for (std::size_t d = 0; d < n_demands; ++d) {
    const PlanDemand& dem = p.demands[d];
    if (year < dem.first_year || year > dem.last_year) continue;
    Item it;
    it.demand = static_cast<int>(d);
    double best = 0;
    for (const DemandOutcome& o : plan.demands) {
      if (o.demand != it.demand) continue;
      for (const auto& a : o.allocations) {  // planner's allocation of the item
        if (a.year != year || a.fraction <= 1e-9 || !type_ok(a.type)) continue;
        it.served += a.fraction;
        if (a.fraction > best) {
          best = a.fraction;
          it.type = a.type;
        }
      }
    }
    if (it.served <= 1e-9) {
      notes.push_back(
          fmt::format("{}: not served by the plan in year {}, left out", dem.name, year));
      continue;
    }
    it.served = std::min(it.served, 1.0);
    const auto& row = scenario.sizing[d];
    if (row.size() != n_types || !row[static_cast<std::size_t>(it.type)].ok ||
        row[static_cast<std::size_t>(it.type)].unit_devices <= 0)
      return fail(ErrorCode::kInvalidArgument,
                  fmt::format("demand {} is allocated to {}, which has no sizing for it", dem.name,
                              p.types[static_cast<std::size_t>(it.type)].id));
    it.sensitivity =
        d < scenario.sensitivity.size() ? scenario.sensitivity[d] : Sensitivity::kPublic;
    if (dem.sensitive && it.sensitivity < Sensitivity::kConfidential)
      it.sensitivity = Sensitivity::kConfidential;
    it.tenant = d < scenario.demand_tenant.size() && !scenario.demand_tenant[d].empty()
                    ? scenario.demand_tenant[d]
                    : (dem.tenant.empty() ? std::string("default") : dem.tenant);
    if (std::find(tenants.begin(), tenants.end(), it.tenant) == tenants.end())
      tenants.push_back(it.tenant);
    items.push_back(std::move(it));
  }

  const double hours = options.days * 24;
  toml::array generators;
  // Training first: their counts are small; serving shares what is left.
  int training_jobs = 0;
  int inference_items = 0;
  for (const Item& it : items)
    if (p.demands[static_cast<std::size_t>(it.demand)].kind == DemandKind::kInference)
      ++inference_items;
  std::vector<toml::table> training_gens;
  std::vector<const Item*> serving;
  for (const Item& it : items) {
    const std::size_t d = static_cast<std::size_t>(it.demand);
    const PlanDemand& dem = p.demands[d];
    if (dem.kind != DemandKind::kTraining) {
      serving.push_back(&it);
      continue;
    }
    const PlanTraining& tr = scenario.training[d];
    const PlanType& type = p.types[static_cast<std::size_t>(it.type)];
    const SizingDetail& sz = scenario.sizing[d][static_cast<std::size_t>(it.type)];
    const int gang = sz.unit_devices;
    double run_days = sz.days;
    if (!(run_days > 0) && sz.per_device_rate > 0)
      run_days = tr.tokens / (sz.per_device_rate * gang) / 86400;
    const double deadline =
        tr.deadline_days > 0 ? tr.deadline_days : (run_days > 0 ? run_days : 365.0);
    const int runs = std::max(1, static_cast<int>(std::lround(run_days / kTargetRunDays)));
    const double rate = sig6(it.served * runs / (deadline * 24));
    const double expected = rate * hours;
    const int count = count_for(expected);
    training_jobs += static_cast<int>(std::ceil(expected));
    toml::table tpl{{"name", tr.name},
                    {"kind", "training"},
                    {"devices", gang},
                    {"tp", tp_for(gang)},
                    {"model", tr.model},
                    {"tokens", sig6(tr.tokens / runs)},
                    {"priority", kTrainingPriority},
                    {"sensitivity", std::string(sensitivity_name(it.sensitivity))}};
    toml::table gen{{"tenant", it.tenant},
                    {"rate_per_hour", rate},
                    {"count", count},
                    {"jobs", toml::array{std::move(tpl)}}};
    training_gens.push_back(std::move(gen));
    notes.push_back(fmt::format(
        "{}: training, {:.3g} tokens of {} in {:g} days on a {}-device {} gang ({:.1f} days): "
        "{} runs per deadline, {:.3g} arrivals/h x {:.0f}% served",
        tr.name, tr.tokens, tr.model, deadline, gang, type.id, run_days, runs, rate,
        100 * it.served));
  }
  for (auto& g : training_gens) generators.push_back(std::move(g));

  const int budget_each =
      inference_items == 0
          ? 0
          : std::max(kMinJobsPerInferenceItem, (kMaxJobs - training_jobs) / inference_items);
  for (const Item* it : serving) {
    const std::size_t d = static_cast<std::size_t>(it->demand);
    const PlanInference& inf = scenario.inference[d - n_training];
    const PlanType& type = p.types[static_cast<std::size_t>(it->type)];
    const SizingDetail& sz = scenario.sizing[d][static_cast<std::size_t>(it->type)];
    const int unit = sz.unit_devices;
    const double instances = it->served * std::max(sz.devices, static_cast<double>(unit)) / unit;
    const double instance_hours = instances * hours;
    // Instances per job: 1 unless 24-hour jobs of one instance would exceed
    // the item's share of the job budget; never more than the item has.
    const int per_job = std::clamp(
        static_cast<int>(std::ceil(instance_hours / (kMaxServingJobHours * budget_each))), 1,
        std::max(1, static_cast<int>(std::floor(instances))));
    const double job_hours =
        sig6(std::clamp(instance_hours / (per_job * budget_each), 1.0, kMaxServingJobHours));
    const double rate = sig6(instances / (per_job * job_hours));
    const int devices = per_job * unit;
    toml::table tpl{{"name", inf.name},
                    {"kind", "inference"},
                    {"devices", devices},
                    {"tp", tp_for(unit)},  // one group per instance (or its 8-device parts)
                    {"model", inf.model},
                    {"reference", type.id},
                    {"reference_hours", job_hours},
                    {"priority", kServingPriority},
                    {"sensitivity", std::string(sensitivity_name(it->sensitivity))}};
    if (inf.input_tokens > 0) tpl.insert("input_len", inf.input_tokens);
    if (inf.output_tokens > 0) tpl.insert("output_len", inf.output_tokens);
    generators.push_back(toml::table{{"tenant", it->tenant},
                                     {"rate_per_hour", rate},
                                     {"count", count_for(rate * hours)},
                                     {"jobs", toml::array{std::move(tpl)}}});
    notes.push_back(fmt::format(
        "{}: serving {:g} output tokens/s of {} x {:.0f}% served = {:.1f} instances of {} {} "
        "devices; jobs of {} instance(s) for {:g} h, {:.3g} arrivals/h",
        inf.name, inf.output_tokens_per_s, inf.model, 100 * it->served, instances, unit, type.id,
        per_job, job_hours, rate));
  }

  // Rules.
  toml::array rules;
  if (p.policy.sensitive_domestic_only)
    rules.push_back(toml::table{{"id", "sensitive-on-domestic"},
                                {"kind", "sensitivity-origin"},
                                {"min_sensitivity", "confidential"},
                                {"origins", string_array({"CN"})}});
  if (p.policy.domestic_share_min)
    rules.push_back(
        toml::table{{"id", "domestic-share"},
                    {"kind", "domestic-share"},
                    {"min_share", *p.policy.domestic_share_min},
                    {"measure", p.policy.share_measure == decltype(p.policy.share_measure)::kDevices
                                    ? "devices"
                                    : "compute"}});

  toml::array sites;
  for (const PlanSite& s : p.sites) sites.push_back(toml::table{{"name", s.name}});
  toml::array tenant_tables;
  for (const std::string& t : tenants) tenant_tables.push_back(toml::table{{"name", t}});

  const std::string base = p.name.empty() ? scenario.file.stem().string() : p.name;
  toml::table doc{
      {"name", fmt::format("{}-year-{}", base.empty() ? std::string("plan") : base, year)},
      {"description",
       fmt::format("the fleet planned for year {} and the demand active that year", year)},
      {"seed", static_cast<std::int64_t>(options.seed)},
      {"scheduler", toml::table{{"queue", "priority"}, {"placement", "hetero"}}},
      {"simulation", toml::table{{"until_hours", sig6(hours)}, {"sample_interval_s", 3600.0}}},
      {"sites", std::move(sites)},
      {"fleet", std::move(fleet)}};
  if (!tenant_tables.empty()) doc.insert("tenants", std::move(tenant_tables));
  if (!rules.empty()) doc.insert("rules", std::move(rules));
  if (!generators.empty()) doc.insert("generators", std::move(generators));

  std::ostringstream out;
  out << fmt::format("# Simulation of the planned fleet in year {} ({:g} days, seed {}).\n", year,
                     options.days, options.seed);
  out << "# Generated by suanli from a procurement plan; see src/report/plan_simulation.cpp.\n";
  for (const std::string& n : notes) out << "# " << n << "\n";
  out << "\n"
      << toml::toml_formatter(
             doc, toml::toml_formatter::default_flags | toml::format_flags::relaxed_float_precision)
      << "\n";
  return out.str();
}

Result<nlohmann::json> simulate_plan(const PlanScenario& scenario, const PlanResult& plan,
                                     const Catalog& catalog, const PlanSimulationOptions& options) {
  auto text = planned_fleet_scenario_toml(scenario, plan, options);
  if (!text) return std::unexpected(text.error());
  const std::string stem =
      scenario.file.empty() ? std::string("plan") : scenario.file.stem().string();
  const std::filesystem::path file =
      scenario.file.parent_path() / fmt::format("{}.year{}.simulation.toml", stem, options.year);
  auto sim_scenario = parse_scenario(*text, file, catalog);
  if (!sim_scenario)
    return fail(
        sim_scenario.error().code,
        fmt::format("the planned fleet's simulation scenario: {}", sim_scenario.error().message));

  if (options.limits) sim_scenario->limits = min_limits(sim_scenario->limits, *options.limits);
  std::stringstream log;
  RunOptions run;
  run.seed = options.seed;
  run.events = &log;
  auto sim = Simulation::create(*sim_scenario, catalog, std::move(run));
  if (!sim) return std::unexpected(sim.error());
  auto result = sim->run();
  if (!result) return std::unexpected(result.error());
  log.seekg(0);
  auto audit = audit_event_log(log);
  if (!audit) return std::unexpected(audit.error());

  // Per-job JCT from the event log (SimulationResult keeps only percentiles).
  std::vector<double> jct_hours;
  {
    log.clear();
    log.seekg(0);
    std::map<long long, double> submitted;
    std::string line;
    while (std::getline(log, line)) {
      if (line.empty()) continue;
      const auto j = nlohmann::json::parse(line, nullptr, false);
      if (j.is_discarded() || !j.contains("event")) continue;
      const std::string& ev = j["event"].get_ref<const std::string&>();
      if (ev == "submit") {
        submitted[j["job"].get<long long>()] = j["t"].get<double>();
      } else if (ev == "complete") {
        const auto it = submitted.find(j["job"].get<long long>());
        if (it != submitted.end()) jct_hours.push_back((j["t"].get<double>() - it->second) / 3600);
      }
    }
  }

  const SimulationResult& r = *result;
  nlohmann::json util = nlohmann::json::object();
  std::vector<std::string> ids;
  for (const TypeUtilization& u : r.utilization) {
    util[u.accelerator] = u.utilization;
    ids.push_back(u.accelerator);
  }
  nlohmann::json timeline = nlohmann::json::array();
  for (const Sample& s : r.samples) {
    nlohmann::json per = nlohmann::json::object();
    for (std::size_t k = 0; k < ids.size() && k < s.allocated.size() && k < s.up.size(); ++k)
      per[ids[k]] = s.up[k] > 0 ? std::min(1.0, s.allocated[k] / s.up[k]) : 0.0;
    timeline.push_back(
        nlohmann::json{{"t_h", s.t / 3600},
                       {"domestic_share", s.domestic_share ? nlohmann::json(*s.domestic_share)
                                                           : nlohmann::json(nullptr)},
                       {"utilisation", std::move(per)}});
  }
  nlohmann::json out;
  out["year"] = options.year;
  out["seed"] = options.seed;
  out["days"] = options.days;
  out["jobs"] = r.jobs_submitted;
  out["finished"] = r.jobs_completed;
  out["unfinished"] = r.jobs_submitted - r.jobs_completed;
  out["audit_violations"] = audit->violation_count;
  out["utilisation_by_accelerator"] = std::move(util);
  out["timeline"] = std::move(timeline);
  out["jct_hours"] = std::move(jct_hours);
  out["queue_hours_p95"] = r.queue_s.p95 / 3600;
  out["summary"] = nlohmann::json{{"mean_jct_h", r.jct_s.mean / 3600},
                                  {"p50_jct_h", r.jct_s.p50 / 3600},
                                  {"p95_jct_h", r.jct_s.p95 / 3600},
                                  {"domestic_share_min", r.domestic_share_min},
                                  {"domestic_share_mean", r.domestic_share_mean},
                                  {"lost_device_hours", r.lost_device_hours}};
  return out;
}

}  // namespace suanli

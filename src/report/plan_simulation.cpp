// The plan's fleet in one year as a simulation scenario, and its simulation.
//
// Mapping (also in src/report/README.md). The fleet is one site per plan
// site and, per (type, site), one pool of existing nodes plus the purchases
// delivered up to the year; that year's rentals become a pool "<type>-rented"
// at the type's first allowed site, rounded up to whole nodes. Scale-up
// domains, prices and node names take the scenario loader's defaults. Every
// (demand item, type) the plan allocates in the year becomes its own Poisson
// generator, pinned to that type (`allowed = [type]`), whose offered load
// matches the plan's allocation there: a training programme's share is a
// stream of runs (model + tokens/N, N chosen so one run takes about two
// days on the gang the plan sized on that type, N runs per deadline); an
// inference item's share is serving capacity at its mean load (the plan
// provisions peak_to_mean above it): jobs of one or more serving instances
// (instance size from that type's sizing) holding their devices for 1-24 h,
// given as reference hours on that type, so the simulated device-hours
// equal the plan's there (the simulator's inference work model has no
// TTFT/TPOT SLO, so output tokens would be served faster than the plan
// sized for). Pinning keeps the simulator's placement from undoing the
// plan's allocation (without it, serving took the training gang's devices
// and the slowest type sat idle). Queue `priority` with serving (priority 1)
// ahead of training (0), no preemption, placement `hetero`. The policies
// become rules: sensitive data (confidential and above) on CN-origin types,
// and the plan's domestic-share minimum with its measure. Items the plan
// does not serve in the year are left out (listed in the file's header
// comment). At most about kMaxJobs jobs are generated, so a 30-day run
// stays fast (under a second for ~3,000 devices). Arrivals start at hour
// 0, so the first job length is a ramp-up; training runs use the
// simulator's default training setup (BF16, its default sequence and
// batch), not the plan item's precision. simulate_plan reconciles the
// result with the plan: per type, the busy devices the plan offers against
// the simulated utilisation, with the reason for each gap.
#include "report/plan_simulation.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <type_traits>
#include <variant>
#include <vector>

#include <toml++/toml.h>

#include "perf/workload_fields.h"
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

// One (demand item, type) the plan allocates in the year: its own job
// stream, pinned to that type.
struct Stream {
  int demand = 0;
  int type = 0;
  double fraction = 0;  // of the item the plan puts on this type this year
  Sensitivity sensitivity = Sensitivity::kPublic;
  std::string tenant;
};

toml::array string_array(const std::vector<std::string>& v) {
  toml::array a;
  for (const std::string& s : v) a.push_back(s);
  return a;
}

// What the generated scenario offers, for the reconciliation.
struct Planned {
  std::string toml;
  std::map<std::string, double> installed;  // type id -> devices in the simulated fleet
  std::map<std::string, double> offered;    // type id -> mean busy devices the streams offer
};

Result<void> check_inputs(const PlanScenario& scenario, const PlanResult& plan,
                          const PlanSimulationOptions& options) {
  const PlanProblem& p = scenario.problem;
  if (options.year < 1 || options.year > p.years)
    return fail(
        ErrorCode::kInvalidArgument,
        fmt::format("simulation year {} is outside the plan's years 1-{}", options.year, p.years));
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
  for (const ExistingNodes& e : p.existing)
    if (e.type < 0 || static_cast<std::size_t>(e.type) >= p.types.size() || e.site < 0 ||
        static_cast<std::size_t>(e.site) >= p.sites.size())
      return fail(ErrorCode::kInvalidArgument, "existing nodes name an unknown type or site");
  for (const Purchase& b : plan.purchases)
    if (b.type < 0 || static_cast<std::size_t>(b.type) >= p.types.size() || b.site < 0 ||
        static_cast<std::size_t>(b.site) >= p.sites.size())
      return fail(ErrorCode::kInvalidArgument, "a purchase names an unknown type or site");
  for (const PlanResult::Rental& r : plan.rentals)
    if (r.type < 0 || static_cast<std::size_t>(r.type) >= p.types.size())
      return fail(ErrorCode::kInvalidArgument, "a rental names an unknown type");
  for (const PlanType& t : p.types)
    for (int s : t.sites)
      if (s < 0 || static_cast<std::size_t>(s) >= p.sites.size())
        return fail(ErrorCode::kInvalidArgument,
                    fmt::format("type {} names an unknown site", t.id));
  return {};
}

// The fleet owned (existing + delivered purchases) and rented in `year`.
toml::array fleet_array(const PlanProblem& p, const PlanResult& plan, int year,
                        std::map<std::string, double>& installed) {
  std::map<std::pair<int, int>, long long> nodes;
  for (const ExistingNodes& e : p.existing) nodes[{e.type, e.site}] += e.nodes;
  for (const Purchase& b : plan.purchases)
    if (b.year <= year) nodes[{b.type, b.site}] += b.nodes;
  std::vector<double> rented(p.types.size(), 0);
  for (const PlanResult::Rental& r : plan.rentals)
    if (r.year == year) rented[static_cast<std::size_t>(r.type)] += r.devices;
  toml::array fleet;
  for (const auto& [key, n] : nodes) {
    if (n <= 0) continue;
    const PlanType& t = p.types[static_cast<std::size_t>(key.first)];
    installed[t.id] += static_cast<double>(n) * t.node_devices;
    fleet.push_back(toml::table{{"site", p.sites[static_cast<std::size_t>(key.second)].name},
                                {"accelerator", t.id},
                                {"nodes", static_cast<std::int64_t>(n)},
                                {"devices_per_node", t.node_devices}});
  }
  for (std::size_t k = 0; k < p.types.size(); ++k) {
    const PlanType& t = p.types[k];
    if (rented[k] <= 1e-9 || t.node_devices <= 0) continue;
    const auto n = static_cast<std::int64_t>(std::ceil(rented[k] / t.node_devices - 1e-9));
    const int site = t.sites.empty() ? 0 : t.sites.front();
    installed[t.id] += static_cast<double>(n) * t.node_devices;
    fleet.push_back(toml::table{{"site", p.sites[static_cast<std::size_t>(site)].name},
                                {"accelerator", t.id},
                                {"nodes", n},
                                {"devices_per_node", t.node_devices},
                                {"name_prefix", t.id + "-rented"}});
  }
  return fleet;
}

// The year's (item, type) allocations; items the plan does not serve are
// noted and left out.
Result<std::vector<Stream>> collect_streams(const PlanScenario& scenario, const PlanResult& plan,
                                            int year, std::vector<std::string>& notes,
                                            std::vector<std::string>& tenants) {
  const PlanProblem& p = scenario.problem;
  std::vector<Stream> out;
  for (std::size_t d = 0; d < p.demands.size(); ++d) {
    const PlanDemand& dem = p.demands[d];
    if (year < dem.first_year || year > dem.last_year) continue;
    std::map<int, double> by_type;
    for (const DemandOutcome& o : plan.demands) {
      if (o.demand != static_cast<int>(d)) continue;
      for (const auto& a : o.allocations)  // the planner's allocation of the item
        if (a.year == year && a.fraction > 1e-9 && a.type >= 0 &&
            static_cast<std::size_t>(a.type) < p.types.size())
          by_type[a.type] += a.fraction;
    }
    if (by_type.empty()) {
      notes.push_back(
          fmt::format("{}: not served by the plan in year {}, left out", dem.name, year));
      continue;
    }
    Sensitivity sens =
        d < scenario.sensitivity.size() ? scenario.sensitivity[d] : Sensitivity::kPublic;
    if (dem.sensitive && sens < Sensitivity::kConfidential) sens = Sensitivity::kConfidential;
    const std::string tenant =
        d < scenario.demand_tenant.size() && !scenario.demand_tenant[d].empty()
            ? scenario.demand_tenant[d]
            : (dem.tenant.empty() ? std::string("default") : dem.tenant);
    if (std::find(tenants.begin(), tenants.end(), tenant) == tenants.end())
      tenants.push_back(tenant);
    for (const auto& [t, fraction] : by_type) {
      const auto& row = scenario.sizing[d];
      if (row.size() != p.types.size() || !row[static_cast<std::size_t>(t)].ok ||
          row[static_cast<std::size_t>(t)].unit_devices <= 0)
        return fail(ErrorCode::kInvalidArgument,
                    fmt::format("demand {} is allocated to {}, which has no sizing for it",
                                dem.name, p.types[static_cast<std::size_t>(t)].id));
      out.push_back({static_cast<int>(d), t, std::min(fraction, 1.0), sens, tenant});
    }
  }
  return out;
}

// The keys of an item's run that differ from `defaults`, written into its
// simulated jobs as the same keys (the job table reads them through the
// same field table), so the simulated run is the sized one: an fp8 item
// runs at fp8, a 32k-sequence item at 32k, a speculative one speculates.
template <class Request, class IsRunField>
void write_run_fields(const FieldTable<Request>& table, IsRunField is_run_field, const Request& run,
                      const Request& defaults, toml::table& out) {
  for (const RequestField<Request>& f : table) {
    const std::string_view name = f.spec.name;
    if (!is_run_field(name)) continue;
    std::visit(
        [&](auto member) {
          const auto& value = run.*member;
          if (value == defaults.*member) return;
          using V = std::remove_cvref_t<decltype(value)>;
          if constexpr (std::is_same_v<V, std::optional<int>> ||
                        std::is_same_v<V, std::optional<long long>> ||
                        std::is_same_v<V, std::optional<double>> ||
                        std::is_same_v<V, std::optional<bool>>) {
            if (value) out.insert_or_assign(name, *value);
          } else {
            out.insert_or_assign(name, value);
          }
        },
        f.member);
  }
}

// A training programme's share on one type: runs of about two days on the
// gang the plan sized there, pinned to that type.
toml::table training_generator(const PlanScenario& scenario, const Stream& st, double hours,
                               std::vector<std::string>& notes, Planned& planned,
                               int& expected_jobs) {
  const PlanProblem& p = scenario.problem;
  const std::size_t d = static_cast<std::size_t>(st.demand);
  const PlanTraining& tr = scenario.training[d];
  const PlanType& type = p.types[static_cast<std::size_t>(st.type)];
  const SizingDetail& sz = scenario.sizing[d][static_cast<std::size_t>(st.type)];
  const int gang = sz.unit_devices;
  double run_days = sz.days;
  if (!(run_days > 0) && sz.per_device_rate > 0)
    run_days = tr.tokens / (sz.per_device_rate * gang) / 86400;
  const double deadline =
      tr.deadline_days > 0 ? tr.deadline_days : (run_days > 0 ? run_days : 365.0);
  const int runs = std::max(1, static_cast<int>(std::lround(run_days / kTargetRunDays)));
  const double rate = sig6(st.fraction * runs / (deadline * 24));
  const double expected = rate * hours;
  expected_jobs += static_cast<int>(std::ceil(expected));
  planned.offered[type.id] += st.fraction * gang * std::min(1.0, run_days / deadline);
  toml::table tpl{{"name", tr.name},
                  {"kind", "training"},
                  {"devices", gang},
                  {"tp", tp_for(gang)},
                  {"model", tr.model},
                  {"tokens", sig6(tr.tokens / runs)},
                  {"allowed", string_array({type.id})},
                  {"priority", kTrainingPriority},
                  {"sensitivity", std::string(sensitivity_name(st.sensitivity))}};
  write_run_fields(train_workload_fields(), is_train_run_field, tr.run, TrainRequest{}, tpl);
  notes.push_back(fmt::format(
      "{} on {}: training, {:.3g} tokens of {} in {:g} days on a {}-device gang ({:.1f} days): "
      "{} runs per deadline, {:.3g} arrivals/h x {:.0f}% of the item",
      tr.name, type.id, tr.tokens, tr.model, deadline, gang, run_days, runs, rate,
      100 * st.fraction));
  return toml::table{{"tenant", st.tenant},
                     {"rate_per_hour", rate},
                     {"count", count_for(expected)},
                     {"jobs", toml::array{std::move(tpl)}}};
}

// An inference item's share on one type: its mean load (the plan
// provisions for the peak, peak_to_mean above it) as serving instances of
// the size the plan sized there, pinned to that type.
toml::table serving_generator(const PlanScenario& scenario, const Stream& st, double hours,
                              int budget_each, std::vector<std::string>& notes, Planned& planned) {
  const PlanProblem& p = scenario.problem;
  const std::size_t d = static_cast<std::size_t>(st.demand);
  const std::size_t n_training = scenario.training.size();
  const PlanInference& inf = scenario.inference[d - n_training];
  const PlanType& type = p.types[static_cast<std::size_t>(st.type)];
  const SizingDetail& sz = scenario.sizing[d][static_cast<std::size_t>(st.type)];
  const int unit = sz.unit_devices;
  const double peak = std::max(1.0, scenario.peak_to_mean);
  const double instances =
      st.fraction * std::max(sz.devices, static_cast<double>(unit)) / unit / peak;
  const double instance_hours = instances * hours;
  // Instances per job: 1 unless 24-hour jobs of one instance would exceed
  // the item's share of the job budget; never more than the item has.
  const int per_job =
      std::clamp(static_cast<int>(std::ceil(instance_hours / (kMaxServingJobHours * budget_each))),
                 1, std::max(1, static_cast<int>(std::floor(instances))));
  const double job_hours =
      sig6(std::clamp(instance_hours / (per_job * budget_each), 1.0, kMaxServingJobHours));
  const double rate = sig6(instances / (per_job * job_hours));
  const int devices = per_job * unit;
  planned.offered[type.id] += rate * job_hours * devices;
  toml::table tpl{{"name", inf.name},
                  {"kind", "inference"},
                  {"devices", devices},
                  {"tp", tp_for(unit)},  // one group per instance (or its 8-device parts)
                  {"model", inf.model},
                  {"reference", type.id},
                  {"reference_hours", job_hours},
                  {"allowed", string_array({type.id})},
                  {"priority", kServingPriority},
                  {"sensitivity", std::string(sensitivity_name(st.sensitivity))}};
  tpl.insert("input_len", inf.run.input_len);
  tpl.insert("output_len", inf.run.output_len);
  write_run_fields(infer_workload_fields(), is_infer_run_field, inf.run, WorkSpec{}.serving, tpl);
  notes.push_back(fmt::format(
      "{} on {}: serving {:g} output tokens/s of {} x {:.0f}% of the item / {:g} peak-to-mean = "
      "{:.1f} instances of {} devices; jobs of {} instance(s) for {:g} h, {:.3g} arrivals/h",
      inf.name, type.id, inf.output_tokens_per_s, inf.model, 100 * st.fraction, peak, instances,
      unit, per_job, job_hours, rate));
  return toml::table{{"tenant", st.tenant},
                     {"rate_per_hour", rate},
                     {"count", count_for(rate * hours)},
                     {"jobs", toml::array{std::move(tpl)}}};
}

toml::array rules_array(const PlanProblem& p) {
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
  return rules;
}

Result<Planned> planned_fleet(const PlanScenario& scenario, const PlanResult& plan,
                              const PlanSimulationOptions& options) {
  SUANLI_TRY(check_inputs(scenario, plan, options));
  const PlanProblem& p = scenario.problem;
  const int year = options.year;
  Planned planned;
  toml::array fleet = fleet_array(p, plan, year, planned.installed);
  if (fleet.empty())
    return fail(ErrorCode::kInfeasible,
                fmt::format("the plan owns and rents no devices in year {}", year));
  std::vector<std::string> notes;
  std::vector<std::string> tenants;
  SUANLI_ASSIGN(std::vector<Stream> streams, collect_streams(scenario, plan, year, notes, tenants));

  const double hours = options.days * 24;
  toml::array generators;
  // Training first: their counts are small; serving shares what is left.
  int training_jobs = 0;
  int serving_streams = 0;
  for (const Stream& st : streams) {
    if (p.demands[static_cast<std::size_t>(st.demand)].kind == DemandKind::kTraining)
      generators.push_back(training_generator(scenario, st, hours, notes, planned, training_jobs));
    else
      ++serving_streams;
  }
  const int budget_each =
      serving_streams == 0
          ? 0
          : std::max(kMinJobsPerInferenceItem, (kMaxJobs - training_jobs) / serving_streams);
  for (const Stream& st : streams)
    if (p.demands[static_cast<std::size_t>(st.demand)].kind != DemandKind::kTraining)
      generators.push_back(serving_generator(scenario, st, hours, budget_each, notes, planned));

  toml::array rules = rules_array(p);
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
  planned.toml = out.str();
  return planned;
}

// Jobs pinned to one type (runnable on it alone) in the event log.
struct TypeJobs {
  int submitted = 0;
  int finished = 0;
  int placed = 0;
  double queue_hours = 0;  // summed over placed jobs
};

void read_log(std::stringstream& log, std::vector<double>& jct_hours,
              std::map<std::string, TypeJobs>& by_type) {
  log.clear();
  log.seekg(0);
  std::map<int, std::string> type_id;
  std::map<long long, std::pair<double, std::string>> submitted;  // job -> (t, pinned type)
  std::string line;
  while (std::getline(log, line)) {
    if (line.empty()) continue;
    const auto j = nlohmann::json::parse(line, nullptr, false);
    if (j.is_discarded() || !j.contains("event")) continue;
    const std::string& ev = j["event"].get_ref<const std::string&>();
    if (ev == "header") {
      for (const auto& t : j.value("types", nlohmann::json::array()))
        type_id[t.value("type", -1)] = t.value("id", "");
    } else if (ev == "submit") {
      std::string pinned;
      const auto& run = j.value("runnable", nlohmann::json::array());
      if (run.size() == 1 && run[0].is_number_integer()) pinned = type_id[run[0].get<int>()];
      submitted[j["job"].get<long long>()] = {j["t"].get<double>(), pinned};
      if (!pinned.empty()) ++by_type[pinned].submitted;
    } else if (ev == "place") {
      const auto it = submitted.find(j["job"].get<long long>());
      if (it != submitted.end() && !it->second.second.empty()) {
        TypeJobs& tj = by_type[it->second.second];
        ++tj.placed;
        tj.queue_hours += (j["t"].get<double>() - it->second.first) / 3600;
      }
    } else if (ev == "complete") {
      const auto it = submitted.find(j["job"].get<long long>());
      if (it != submitted.end()) {
        jct_hours.push_back((j["t"].get<double>() - it->second.first) / 3600);
        if (!it->second.second.empty()) ++by_type[it->second.second].finished;
      }
    }
  }
}

// Why a type's simulated utilisation differs from what the plan offers it.
std::string gap_reason(const Messages& m, double installed, double planned, double simulated,
                       const TypeJobs& jobs, bool training_headroom) {
  if (installed <= 0) return std::string(m.tr("not in the fleet this year"));
  if (planned <= 1e-9)
    return std::string(
        m.tr("no demand allocated here this year: capacity bought for a later "
             "year, or held for a supply-cut scenario (policy.risk)"));
  if (std::abs(simulated - planned) <= 0.05) return std::string(m.tr("as planned"));
  if (simulated < planned) {
    const int unfinished = jobs.submitted - jobs.finished;
    if (jobs.placed < jobs.submitted)
      return m.trf(
          "{queued} of {jobs} jobs still queued at the end: ramp-up from an empty fleet "
          "and whole-gang waits",
          fmt::arg("queued", jobs.submitted - jobs.placed), fmt::arg("jobs", jobs.submitted));
    if (unfinished > 0)
      return m.trf(
          "runs still in progress at the end ({running} of {jobs}); the simulator's work "
          "model runs some jobs faster than the plan sized",
          fmt::arg("running", unfinished), fmt::arg("jobs", jobs.submitted));
    return std::string(
        m.tr("the simulator's work model runs these jobs faster than the plan sized"));
  }
  return std::string(m.tr(training_headroom
                              ? "jobs take longer in the simulator than the plan sized "
                                "(work model, whole-gang rounding)"
                              : "jobs take longer in the simulator than the plan sized "
                                "(work model, whole instances)"));
}

// Planned against simulated, per type and for the domestic share, each gap
// with its reason.
nlohmann::json reconciliation_json(const PlanScenario& scenario, const PlanResult& plan, int year,
                                   const Planned& planned, const nlohmann::json& utilisation,
                                   const std::map<std::string, TypeJobs>& by_type,
                                   double share_mean, double share_min, const Messages& m) {
  nlohmann::json types = nlohmann::json::array();
  for (const PlanType& t : scenario.problem.types) {
    const auto in = planned.installed.find(t.id);
    const double installed = in == planned.installed.end() ? 0 : in->second;
    if (installed <= 0) continue;
    const auto of = planned.offered.find(t.id);
    const double offered = of == planned.offered.end() ? 0 : of->second;
    const double plan_util = std::min(1.0, offered / installed);
    const double sim_util = utilisation.value(t.id, 0.0);
    const auto bj = by_type.find(t.id);
    const TypeJobs jobs = bj == by_type.end() ? TypeJobs{} : bj->second;
    types.push_back({{"accelerator", t.id},
                     {"devices", installed},
                     {"planned_busy_devices", offered},
                     {"planned_utilisation", plan_util},
                     {"simulated_utilisation", sim_util},
                     {"jobs", jobs.submitted},
                     {"finished", jobs.finished},
                     {"mean_queue_hours", jobs.placed > 0 ? jobs.queue_hours / jobs.placed : 0.0},
                     {"reason", gap_reason(m, installed, plan_util, sim_util, jobs, false)}});
  }
  const double planned_share =
      year >= 1 && static_cast<std::size_t>(year) <= plan.domestic_share_by_year.size()
          ? plan.domestic_share_by_year[static_cast<std::size_t>(year - 1)]
          : plan.domestic_share;
  return {{"year", year},
          {"planned_share_of", "the plan's installed and rented capacity (its share measure)"},
          {"simulated_share_of", "the compute running at each sample (idle capacity not counted)"},
          {"domestic_share",
           {{"planned", planned_share},
            {"simulated_mean", share_mean},
            {"simulated_min", share_min},
            {"reason",
             m.tr("the plan counts capacity, the simulation counts what runs: idle domestic "
                  "devices lower it, and the minimum falls in the first hours, while the fleet "
                  "fills.")}}},
          {"serving_load",
           fmt::format("mean load: the plan provisions {:g}x for the peak", scenario.peak_to_mean)},
          {"types", std::move(types)}};
}

}  // namespace

Result<std::string> planned_fleet_scenario_toml(const PlanScenario& scenario,
                                                const PlanResult& plan,
                                                const PlanSimulationOptions& options) {
  SUANLI_ASSIGN(Planned planned, planned_fleet(scenario, plan, options));
  return planned.toml;
}

Result<nlohmann::json> simulate_plan(const PlanScenario& scenario, const PlanResult& plan,
                                     const Catalog& catalog, const PlanSimulationOptions& options) {
  const Messages english;  // when options.messages is null (no copy of a catalog)
  SUANLI_ASSIGN(Planned planned, planned_fleet(scenario, plan, options));
  const std::string* text = &planned.toml;
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

  // Per-job JCT and, per type, the jobs pinned to it and their queueing,
  // from the event log (SimulationResult keeps only percentiles).
  std::vector<double> jct_hours;
  std::map<std::string, TypeJobs> by_type;
  read_log(log, jct_hours, by_type);
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
  out["reconciliation"] = reconciliation_json(
      scenario, plan, options.year, planned, out["utilisation_by_accelerator"], by_type,
      r.domestic_share_mean, r.domestic_share_min, options.messages ? *options.messages : english);
  out["summary"] = nlohmann::json{{"mean_jct_h", r.jct_s.mean / 3600},
                                  {"p50_jct_h", r.jct_s.p50 / 3600},
                                  {"p95_jct_h", r.jct_s.p95 / 3600},
                                  {"domestic_share_min", r.domestic_share_min},
                                  {"domestic_share_mean", r.domestic_share_mean},
                                  {"lost_device_hours", r.lost_device_hours}};
  return out;
}

}  // namespace suanli

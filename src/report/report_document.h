// The report document, typed: what `suanli report` builds (report.h), what
// `report --json` and the service's report runs store, and what the HTML
// renderer (html_report.h) draws, as one struct per section. Each struct's
// JSON form is its field table below (util/json_codec.h), the one codec
// both ways: decode_report_document reads a stored or built document and
// names the path of the first missing or mistyped field; encode writes it
// back. The tables list every key the builders write, with the type they
// write it in, so encode(decode(doc)) is the document byte for byte (tested
// on the real report of the bundled plan scenario). The sections come from
// their own modules' JSON (the plan's is the `plan --json` contract, the
// sweep's `plan --sweep --json`), decoded here; keys a section gains later
// and this file does not list are ignored by the decoder and caught by the
// round-trip test.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include <nlohmann/json.hpp>

#include "util/error.h"
#include "util/json_codec.h"

namespace suanli {

using Strings = std::vector<std::string>;

// ------------------------------------------------------------ top level

struct ReportAccelerator {
  std::string id, name, origin;
};

struct ReportPolicy {
  double domestic_share_min = 0;
};

// ------------------------------------------------------------ comparison (report.cpp)

struct ComparisonRow {
  std::string accelerator, name, origin;
  bool ok = false;
  std::optional<std::string> eccn_class, china_status, china_status_confirmed;
  std::optional<double> tpp;
  std::optional<std::string> forbidden;   // the rule that forbids it for this workload
  std::optional<std::string> assumption;  // the scenario's assumption it rests on
  double price_usd_per_device = 0;
  double hourly_usd_per_device = 0;
  Strings unverified;
  // Sized (ok):
  std::optional<double> devices;
  std::optional<std::int64_t> unit_devices;
  std::optional<double> per_device_rate, per_usd_hour, per_kw;
  std::optional<std::string> layout, precision;
  std::optional<double> mfu, days;          // training
  std::optional<double> ttft_ms, tpot_ms;   // inference
  std::optional<std::string> why_not;       // not sized
};

struct ComparisonWorkload {
  std::string name, model, kind, description, metric;
  std::vector<ComparisonRow> rows;
};

struct ComparisonSection {
  std::vector<ComparisonWorkload> workloads;
};

// ------------------------------------------------------------ headline (headline.h)

struct HeadlineWorth {
  std::string baseline, other;
  std::int64_t devices = 0;
  std::string workload;
  double relative_speed = 0, relative_cost_performance = 0;
  std::string cost_basis, command;
  std::optional<std::vector<double>> range;  // p10, p90 of relative_cost_performance
  std::string sentence;
};

struct HeadlineBuy {
  std::string sentence;
};

struct HeadlineSection {
  std::optional<HeadlineWorth> worth;  // null when no pair of chips compares
  HeadlineBuy buy;
};

// ------------------------------------------------------------ plan (plan/plan_json.h)

struct PlanModelSize {
  std::int64_t variables = 0, integer_variables = 0, constraints = 0, years = 0, types = 0,
               sites = 0, scenarios = 0;
};

struct PlanPurchase {
  std::string accelerator, origin, site;
  std::int64_t year = 0, nodes = 0, devices = 0;
  Strings unverified;
};

struct PlanAvailability {
  std::string accelerator, china_status, china_status_confirmed;
  bool barred = false;
  std::string assumption;
};

struct PlanAssumption {
  std::string accelerator, overrides, china_status_confirmed, assumption;
};

struct PlanRental {
  std::string accelerator;
  std::int64_t year = 0;
  double devices = 0;
};

struct PlanCostBreakdown {
  double capex_usd = 0, power_usd = 0, operations_usd = 0, rental_usd = 0, levies_usd = 0,
         expected_shortfall_usd = 0;
  std::optional<double> discount_rate;  // the plan's; a sweep point's cost has none
};

struct PlanBinding {
  std::string name, kind, detail;
  double limit = 0, slack = 0;
  std::string unit;
  double step = 0;
  std::optional<double> marginal_usd_per_unit;  // null: not priced
  std::optional<std::string> marginal_note;
};

struct PlanPolicyCost {
  std::string policy, detail, status_without;
  double objective_without_usd = 0, delta_usd = 0, delta_pct = 0, tolerance_usd = 0;
};

struct PlanAllocationDoc {
  std::string accelerator;
  std::int64_t year = 0;
  double fraction = 0, devices = 0;
};

struct PlanDemandOutcome {
  std::string name, kind, description, tenant;
  bool sensitive = false, core = false;
  std::vector<std::int64_t> years;  // first, last
  std::vector<PlanAllocationDoc> allocations;
  std::map<std::string, double> worst_shortfall_by_scenario;
};

struct PlanUse {
  std::string accelerator;
  std::int64_t year = 0;
  double owned_devices = 0, rented_devices = 0, used_devices = 0, utilisation = 0;
};

struct PlanConflict {
  std::string name, kind, detail;
};

struct SizingFigure {
  double value = 0;
  std::string source;
  std::optional<std::string> confidence;
  std::optional<double> low, high;
  std::optional<std::string> defined_at;
};

struct SizingTraining {
  std::string demand, accelerator;
  std::int64_t gang_devices = 0;
  double fleet_devices = 0, goodput = 0, days = 0, steady_state_days = 0;
};

struct SizingGoodput {
  bool applied = false;
  std::optional<SizingFigure> failures_per_million_device_hours, restart_minutes,
      checkpoint_write_gbps_per_device, checkpoint_bytes_per_param;
  std::vector<SizingTraining> training;
};

struct PlanSizing {
  SizingFigure utilisation_target, peak_to_mean;
  SizingGoodput goodput;
};

struct PlanSection {
  std::string status;
  double objective_usd = 0;
  std::optional<double> solve_time_s, total_time_s;  // the service scrubs them
  double gap = 0;
  PlanModelSize model;
  std::optional<std::string> note;
  std::vector<PlanPurchase> purchases;
  std::vector<PlanAvailability> availability;
  // Added after the first stored documents, which lack it (a field a later
  // version adds is optional, so stored report runs keep reading).
  std::optional<std::vector<PlanAssumption>> assumptions;
  std::vector<PlanRental> rentals;
  PlanCostBreakdown cost;
  double domestic_share = 0;
  std::vector<double> domestic_share_by_year;
  std::optional<double> domestic_share_min;
  std::vector<PlanBinding> binding_constraints;
  std::vector<PlanPolicyCost> policy_costs, assumption_costs;
  std::vector<PlanDemandOutcome> demands;
  std::vector<PlanUse> utilisation;
  std::vector<PlanConflict> conflicts;
  Strings warnings;
  std::map<std::string, Strings> unverified_figures;
  std::optional<PlanSizing> sizing;
};

// ------------------------------------------------------------ robustness (plan/robustness.h)

struct RobustnessCaseDoc {
  std::string side;
  double value = 0;
  std::string status;
  std::optional<double> cost_usd;              // null: no plan there
  std::optional<double> chosen_plan_cost_usd;  // null: the chosen purchases break there
  double regret_usd = 0, mix_change = 0;
  Strings flips;
  std::optional<std::string> note, chosen_plan_note;
};

struct RobustnessInputDoc {
  std::string input, label, source;
  double base = 0, swing_usd = 0;
  RobustnessCaseDoc low, high;
};

struct RobustnessSection {
  double base_cost_usd = 0;
  std::string method;
  double per_solve_time_limit_s = 0;
  std::int64_t per_solve_node_limit = 0;
  double relative_gap = 0;
  std::vector<RobustnessInputDoc> inputs;
};

// ------------------------------------------------------------ sweeps (plan/sweep.h, sweep/grid_sweep.h)

struct SweepPointDoc {
  std::optional<std::int64_t> index;  // grid sweeps number their points
  std::map<std::string, std::string> values;
  std::string status;
  std::optional<std::string> error;
  std::optional<double> objective_usd, domestic_share;
  std::optional<PlanCostBreakdown> cost;
  std::optional<std::map<std::string, std::int64_t>> devices_by_accelerator;
  std::optional<double> solve_time_s, gap;
};

struct SweepSection {
  Strings keys;
  std::vector<SweepPointDoc> points;
};

// A simulation sweep's point (sweep/grid_sweep.h, sweep/sim_sweep.h): the
// renderer's part of the simulator's headline metrics, which its table and
// chart show; the rest of the metrics is not read.
struct JctStats {  // seconds; also the shape of queue_s
  std::optional<double> mean, p95;
};

struct ShareStats {
  std::optional<double> min, mean;
};

struct SimulationSweepPointDoc {
  std::optional<std::int64_t> index;
  std::map<std::string, std::string> values;
  std::string status;
  std::optional<std::string> error;
  std::optional<std::int64_t> jobs_completed, jobs_failed, jobs_unfinished;
  std::optional<JctStats> jct_s, queue_s;
  std::optional<double> utilization_overall;  // allocated / up device-hours, all types
  std::optional<ShareStats> domestic_share;
  std::optional<double> cost_usd;
  std::optional<std::int64_t> policy_violations;
};

struct SimulationSweepSection {
  Strings keys;
  std::vector<SimulationSweepPointDoc> points;
};

// ------------------------------------------------------------ simulation (plan_simulation.h)

struct TimelineSample {
  double t_h = 0;
  std::optional<double> domestic_share;  // null: nothing running
  std::map<std::string, double> utilisation;
};

struct ReconciledShare {
  double planned = 0, simulated_mean = 0, simulated_min = 0;
  std::string reason;
};

struct ReconciledType {
  std::string accelerator;
  double devices = 0, planned_busy_devices = 0, planned_utilisation = 0,
         simulated_utilisation = 0;
  std::int64_t jobs = 0, finished = 0;
  double mean_queue_hours = 0;
  std::string reason;
};

struct Reconciliation {
  std::int64_t year = 0;
  std::string planned_share_of, simulated_share_of;
  ReconciledShare domestic_share;
  std::string serving_load;
  std::vector<ReconciledType> types;
};

struct SimulationSummaryDoc {
  double mean_jct_h = 0, p50_jct_h = 0, p95_jct_h = 0, domestic_share_min = 0,
         domestic_share_mean = 0, lost_device_hours = 0;
};

struct SimulationSection {
  std::int64_t year = 0;
  std::int64_t seed = 0;
  double days = 0;
  std::int64_t jobs = 0, finished = 0, unfinished = 0, audit_violations = 0;
  std::map<std::string, double> utilisation_by_accelerator;
  std::vector<TimelineSample> timeline;
  std::vector<double> jct_hours;
  double queue_hours_p95 = 0;
  Reconciliation reconciliation;
  SimulationSummaryDoc summary;
};

// ------------------------------------------------------------ the document

struct ReportDocument {
  std::string title, scenario, description, generated_by;
  std::optional<std::string> lang;  // the service's: the language the page renders in
  std::optional<std::vector<ReportAccelerator>> accelerators;
  std::optional<ReportPolicy> policy;
  std::optional<HeadlineSection> headline;
  std::optional<Strings> summary;
  std::optional<ComparisonSection> comparison;
  std::optional<RobustnessSection> robustness;
  std::optional<PlanSection> plan;
  std::optional<Strings> unverified;
  std::optional<SweepSection> sweep;  // the first of `sweeps`, or a grid plan sweep
  std::optional<std::vector<SweepSection>> sweeps;
  std::optional<SimulationSweepSection> simulation_sweep;
  std::optional<SimulationSection> simulation;
};

// The codec: "report document: plan.purchases[2].year: expected an integer, found "x"".
Result<ReportDocument> decode_report_document(const nlohmann::json& doc);
nlohmann::json encode_report_document(const ReportDocument& doc);

// Decodes one section as read from its module's JSON (`what` names it in
// errors); instantiated in report_document.cpp for each section type.
template <class T>
Result<T> decode_section(const nlohmann::json& j, const std::string& what);

}  // namespace suanli

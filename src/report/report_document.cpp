// The report document's field tables: each struct of report_document.h and
// its keys, in one place (util/json_codec.h reads and writes from them).
#include "report/report_document.h"

#include <fmt/format.h>

namespace suanli {

using P = JsonPresence;

#define SUANLI_SHAPE(T, ...)                                          \
  template <>                                                         \
  struct JsonShape<T> {                                               \
    static constexpr auto fields = std::make_tuple(__VA_ARGS__);      \
  }

SUANLI_SHAPE(ReportAccelerator, json_field("id", &ReportAccelerator::id),
             json_field("name", &ReportAccelerator::name),
             json_field("origin", &ReportAccelerator::origin));
SUANLI_SHAPE(ReportPolicy, json_field("domestic_share_min", &ReportPolicy::domestic_share_min));

using CR = ComparisonRow;
SUANLI_SHAPE(ComparisonRow, json_field("accelerator", &CR::accelerator),
             json_field("name", &CR::name), json_field("origin", &CR::origin),
             json_field("ok", &CR::ok), json_field("eccn_class", &CR::eccn_class, P::kOptional),
             json_field("china_status", &CR::china_status, P::kOptional),
             json_field("china_status_confirmed", &CR::china_status_confirmed, P::kOptional),
             json_field("tpp", &CR::tpp, P::kOptional),
             json_field("forbidden", &CR::forbidden, P::kOptional),
             json_field("assumption", &CR::assumption, P::kOptional),
             json_field("price_usd_per_device", &CR::price_usd_per_device),
             json_field("hourly_usd_per_device", &CR::hourly_usd_per_device),
             json_field("unverified", &CR::unverified),
             json_field("devices", &CR::devices, P::kOptional),
             json_field("unit_devices", &CR::unit_devices, P::kOptional),
             json_field("per_device_rate", &CR::per_device_rate, P::kOptional),
             json_field("per_usd_hour", &CR::per_usd_hour, P::kOptional),
             json_field("per_kw", &CR::per_kw, P::kOptional),
             json_field("layout", &CR::layout, P::kOptional),
             json_field("precision", &CR::precision, P::kOptional),
             json_field("mfu", &CR::mfu, P::kOptional), json_field("days", &CR::days, P::kOptional),
             json_field("ttft_ms", &CR::ttft_ms, P::kOptional),
             json_field("tpot_ms", &CR::tpot_ms, P::kOptional),
             json_field("why_not", &CR::why_not, P::kOptional));
SUANLI_SHAPE(ComparisonWorkload, json_field("name", &ComparisonWorkload::name),
             json_field("model", &ComparisonWorkload::model),
             json_field("kind", &ComparisonWorkload::kind),
             json_field("description", &ComparisonWorkload::description),
             json_field("metric", &ComparisonWorkload::metric),
             json_field("rows", &ComparisonWorkload::rows));
SUANLI_SHAPE(ComparisonSection, json_field("workloads", &ComparisonSection::workloads));

using HW = HeadlineWorth;
SUANLI_SHAPE(HeadlineWorth, json_field("baseline", &HW::baseline), json_field("other", &HW::other),
             json_field("devices", &HW::devices), json_field("workload", &HW::workload),
             json_field("relative_speed", &HW::relative_speed),
             json_field("relative_cost_performance", &HW::relative_cost_performance),
             json_field("cost_basis", &HW::cost_basis), json_field("command", &HW::command),
             json_field("range", &HW::range, P::kOptional), json_field("sentence", &HW::sentence));
SUANLI_SHAPE(HeadlineBuy, json_field("sentence", &HeadlineBuy::sentence));
SUANLI_SHAPE(HeadlineSection, json_field("worth", &HeadlineSection::worth, P::kNullable),
             json_field("buy", &HeadlineSection::buy));

using PM = PlanModelSize;
SUANLI_SHAPE(PlanModelSize, json_field("variables", &PM::variables),
             json_field("integer_variables", &PM::integer_variables),
             json_field("constraints", &PM::constraints), json_field("years", &PM::years),
             json_field("types", &PM::types), json_field("sites", &PM::sites),
             json_field("scenarios", &PM::scenarios));
SUANLI_SHAPE(PlanPurchase, json_field("accelerator", &PlanPurchase::accelerator),
             json_field("origin", &PlanPurchase::origin), json_field("site", &PlanPurchase::site),
             json_field("year", &PlanPurchase::year), json_field("nodes", &PlanPurchase::nodes),
             json_field("devices", &PlanPurchase::devices),
             json_field("unverified", &PlanPurchase::unverified));
SUANLI_SHAPE(PlanAvailability, json_field("accelerator", &PlanAvailability::accelerator),
             json_field("china_status", &PlanAvailability::china_status),
             json_field("china_status_confirmed", &PlanAvailability::china_status_confirmed),
             json_field("barred", &PlanAvailability::barred),
             json_field("assumption", &PlanAvailability::assumption));
SUANLI_SHAPE(PlanAssumption, json_field("accelerator", &PlanAssumption::accelerator),
             json_field("overrides", &PlanAssumption::overrides),
             json_field("china_status_confirmed", &PlanAssumption::china_status_confirmed),
             json_field("assumption", &PlanAssumption::assumption));
SUANLI_SHAPE(PlanRental, json_field("accelerator", &PlanRental::accelerator),
             json_field("year", &PlanRental::year), json_field("devices", &PlanRental::devices));
using PC = PlanCostBreakdown;
SUANLI_SHAPE(PlanCostBreakdown, json_field("capex_usd", &PC::capex_usd),
             json_field("power_usd", &PC::power_usd),
             json_field("operations_usd", &PC::operations_usd),
             json_field("rental_usd", &PC::rental_usd), json_field("levies_usd", &PC::levies_usd),
             json_field("expected_shortfall_usd", &PC::expected_shortfall_usd),
             json_field("discount_rate", &PC::discount_rate, P::kOptional));
SUANLI_SHAPE(PlanBinding, json_field("name", &PlanBinding::name),
             json_field("kind", &PlanBinding::kind), json_field("detail", &PlanBinding::detail),
             json_field("limit", &PlanBinding::limit), json_field("slack", &PlanBinding::slack),
             json_field("unit", &PlanBinding::unit), json_field("step", &PlanBinding::step),
             json_field("marginal_usd_per_unit", &PlanBinding::marginal_usd_per_unit, P::kNullable),
             json_field("marginal_note", &PlanBinding::marginal_note, P::kOptional));
using PPC = PlanPolicyCost;
SUANLI_SHAPE(PlanPolicyCost, json_field("policy", &PPC::policy), json_field("detail", &PPC::detail),
             json_field("status_without", &PPC::status_without),
             json_field("objective_without_usd", &PPC::objective_without_usd),
             json_field("delta_usd", &PPC::delta_usd), json_field("delta_pct", &PPC::delta_pct),
             json_field("tolerance_usd", &PPC::tolerance_usd));
SUANLI_SHAPE(PlanAllocationDoc, json_field("accelerator", &PlanAllocationDoc::accelerator),
             json_field("year", &PlanAllocationDoc::year),
             json_field("fraction", &PlanAllocationDoc::fraction),
             json_field("devices", &PlanAllocationDoc::devices));
using PD = PlanDemandOutcome;
SUANLI_SHAPE(PlanDemandOutcome, json_field("name", &PD::name), json_field("kind", &PD::kind),
             json_field("description", &PD::description), json_field("tenant", &PD::tenant),
             json_field("sensitive", &PD::sensitive), json_field("core", &PD::core),
             json_field("years", &PD::years), json_field("allocations", &PD::allocations),
             json_field("worst_shortfall_by_scenario", &PD::worst_shortfall_by_scenario));
SUANLI_SHAPE(PlanUse, json_field("accelerator", &PlanUse::accelerator),
             json_field("year", &PlanUse::year),
             json_field("owned_devices", &PlanUse::owned_devices),
             json_field("rented_devices", &PlanUse::rented_devices),
             json_field("used_devices", &PlanUse::used_devices),
             json_field("utilisation", &PlanUse::utilisation));
SUANLI_SHAPE(PlanConflict, json_field("name", &PlanConflict::name),
             json_field("kind", &PlanConflict::kind), json_field("detail", &PlanConflict::detail));
SUANLI_SHAPE(SizingFigure, json_field("value", &SizingFigure::value),
             json_field("source", &SizingFigure::source),
             json_field("confidence", &SizingFigure::confidence, P::kOptional),
             json_field("low", &SizingFigure::low, P::kOptional),
             json_field("high", &SizingFigure::high, P::kOptional),
             json_field("defined_at", &SizingFigure::defined_at, P::kOptional));
using ST = SizingTraining;
SUANLI_SHAPE(SizingTraining, json_field("demand", &ST::demand),
             json_field("accelerator", &ST::accelerator),
             json_field("gang_devices", &ST::gang_devices),
             json_field("fleet_devices", &ST::fleet_devices), json_field("goodput", &ST::goodput),
             json_field("days", &ST::days), json_field("steady_state_days", &ST::steady_state_days));
using SG = SizingGoodput;
SUANLI_SHAPE(SizingGoodput, json_field("applied", &SG::applied),
             json_field("failures_per_million_device_hours",
                        &SG::failures_per_million_device_hours, P::kOptional),
             json_field("restart_minutes", &SG::restart_minutes, P::kOptional),
             json_field("checkpoint_write_gbps_per_device", &SG::checkpoint_write_gbps_per_device,
                        P::kOptional),
             json_field("checkpoint_bytes_per_param", &SG::checkpoint_bytes_per_param,
                        P::kOptional),
             json_field("training", &SG::training));
SUANLI_SHAPE(PlanSizing, json_field("utilisation_target", &PlanSizing::utilisation_target),
             json_field("peak_to_mean", &PlanSizing::peak_to_mean),
             json_field("goodput", &PlanSizing::goodput));
using PS = PlanSection;
SUANLI_SHAPE(PlanSection, json_field("status", &PS::status),
             json_field("objective_usd", &PS::objective_usd),
             json_field("solve_time_s", &PS::solve_time_s, P::kOptional),
             json_field("total_time_s", &PS::total_time_s, P::kOptional),
             json_field("gap", &PS::gap), json_field("model", &PS::model),
             json_field("note", &PS::note, P::kOptional), json_field("purchases", &PS::purchases),
             json_field("availability", &PS::availability),
             json_field("assumptions", &PS::assumptions, P::kOptional),
             json_field("rentals", &PS::rentals),
             json_field("cost", &PS::cost), json_field("domestic_share", &PS::domestic_share),
             json_field("domestic_share_by_year", &PS::domestic_share_by_year),
             json_field("domestic_share_min", &PS::domestic_share_min, P::kOptional),
             json_field("binding_constraints", &PS::binding_constraints),
             json_field("policy_costs", &PS::policy_costs),
             json_field("assumption_costs", &PS::assumption_costs),
             json_field("demands", &PS::demands), json_field("utilisation", &PS::utilisation),
             json_field("conflicts", &PS::conflicts), json_field("warnings", &PS::warnings),
             json_field("unverified_figures", &PS::unverified_figures),
             json_field("sizing", &PS::sizing, P::kOptional));

using RC = RobustnessCaseDoc;
SUANLI_SHAPE(RobustnessCaseDoc, json_field("side", &RC::side), json_field("value", &RC::value),
             json_field("status", &RC::status),
             json_field("cost_usd", &RC::cost_usd, P::kNullable),
             json_field("chosen_plan_cost_usd", &RC::chosen_plan_cost_usd, P::kNullable),
             json_field("regret_usd", &RC::regret_usd), json_field("mix_change", &RC::mix_change),
             json_field("flips", &RC::flips), json_field("note", &RC::note, P::kOptional),
             json_field("chosen_plan_note", &RC::chosen_plan_note, P::kOptional));
using RI = RobustnessInputDoc;
SUANLI_SHAPE(RobustnessInputDoc, json_field("input", &RI::input), json_field("label", &RI::label),
             json_field("source", &RI::source), json_field("base", &RI::base),
             json_field("swing_usd", &RI::swing_usd), json_field("low", &RI::low),
             json_field("high", &RI::high));
using RS = RobustnessSection;
SUANLI_SHAPE(RobustnessSection, json_field("base_cost_usd", &RS::base_cost_usd),
             json_field("method", &RS::method),
             json_field("per_solve_time_limit_s", &RS::per_solve_time_limit_s),
             json_field("per_solve_node_limit", &RS::per_solve_node_limit),
             json_field("relative_gap", &RS::relative_gap), json_field("inputs", &RS::inputs));

using SP = SweepPointDoc;
SUANLI_SHAPE(SweepPointDoc, json_field("index", &SP::index, P::kOptional),
             json_field("values", &SP::values), json_field("status", &SP::status),
             json_field("error", &SP::error, P::kOptional),
             json_field("objective_usd", &SP::objective_usd, P::kOptional),
             json_field("domestic_share", &SP::domestic_share, P::kOptional),
             json_field("cost", &SP::cost, P::kOptional),
             json_field("devices_by_accelerator", &SP::devices_by_accelerator, P::kOptional),
             json_field("solve_time_s", &SP::solve_time_s, P::kOptional),
             json_field("gap", &SP::gap, P::kOptional));
SUANLI_SHAPE(SweepSection, json_field("keys", &SweepSection::keys),
             json_field("points", &SweepSection::points));
SUANLI_SHAPE(JctStats, json_field("mean", &JctStats::mean, P::kNullable),
             json_field("p95", &JctStats::p95, P::kNullable));
SUANLI_SHAPE(ShareStats, json_field("min", &ShareStats::min, P::kNullable),
             json_field("mean", &ShareStats::mean, P::kNullable));
using SSP = SimulationSweepPointDoc;
SUANLI_SHAPE(SimulationSweepPointDoc, json_field("index", &SSP::index, P::kOptional),
             json_field("values", &SSP::values), json_field("status", &SSP::status),
             json_field("error", &SSP::error, P::kOptional),
             json_field("jobs_completed", &SSP::jobs_completed, P::kOptional),
             json_field("jobs_failed", &SSP::jobs_failed, P::kOptional),
             json_field("jobs_unfinished", &SSP::jobs_unfinished, P::kOptional),
             json_field("jct_s", &SSP::jct_s, P::kOptional),
             json_field("queue_s", &SSP::queue_s, P::kOptional),
             json_field("utilization_overall", &SSP::utilization_overall, P::kOptional),
             json_field("domestic_share", &SSP::domestic_share, P::kOptional),
             json_field("cost_usd", &SSP::cost_usd, P::kOptional),
             json_field("policy_violations", &SSP::policy_violations, P::kOptional));
SUANLI_SHAPE(SimulationSweepSection, json_field("keys", &SimulationSweepSection::keys),
             json_field("points", &SimulationSweepSection::points));

SUANLI_SHAPE(TimelineSample, json_field("t_h", &TimelineSample::t_h),
             json_field("domestic_share", &TimelineSample::domestic_share, P::kNullable),
             json_field("utilisation", &TimelineSample::utilisation));
SUANLI_SHAPE(ReconciledShare, json_field("planned", &ReconciledShare::planned),
             json_field("simulated_mean", &ReconciledShare::simulated_mean),
             json_field("simulated_min", &ReconciledShare::simulated_min),
             json_field("reason", &ReconciledShare::reason));
using RT = ReconciledType;
SUANLI_SHAPE(ReconciledType, json_field("accelerator", &RT::accelerator),
             json_field("devices", &RT::devices),
             json_field("planned_busy_devices", &RT::planned_busy_devices),
             json_field("planned_utilisation", &RT::planned_utilisation),
             json_field("simulated_utilisation", &RT::simulated_utilisation),
             json_field("jobs", &RT::jobs), json_field("finished", &RT::finished),
             json_field("mean_queue_hours", &RT::mean_queue_hours),
             json_field("reason", &RT::reason));
SUANLI_SHAPE(Reconciliation, json_field("year", &Reconciliation::year),
             json_field("planned_share_of", &Reconciliation::planned_share_of),
             json_field("simulated_share_of", &Reconciliation::simulated_share_of),
             json_field("domestic_share", &Reconciliation::domestic_share),
             json_field("serving_load", &Reconciliation::serving_load),
             json_field("types", &Reconciliation::types));
using SS = SimulationSummaryDoc;
SUANLI_SHAPE(SimulationSummaryDoc, json_field("mean_jct_h", &SS::mean_jct_h),
             json_field("p50_jct_h", &SS::p50_jct_h), json_field("p95_jct_h", &SS::p95_jct_h),
             json_field("domestic_share_min", &SS::domestic_share_min),
             json_field("domestic_share_mean", &SS::domestic_share_mean),
             json_field("lost_device_hours", &SS::lost_device_hours));
using SM = SimulationSection;
SUANLI_SHAPE(SimulationSection, json_field("year", &SM::year), json_field("seed", &SM::seed),
             json_field("days", &SM::days), json_field("jobs", &SM::jobs),
             json_field("finished", &SM::finished), json_field("unfinished", &SM::unfinished),
             json_field("audit_violations", &SM::audit_violations),
             json_field("utilisation_by_accelerator", &SM::utilisation_by_accelerator),
             json_field("timeline", &SM::timeline), json_field("jct_hours", &SM::jct_hours),
             json_field("queue_hours_p95", &SM::queue_hours_p95),
             json_field("reconciliation", &SM::reconciliation),
             json_field("summary", &SM::summary));

using RD = ReportDocument;
SUANLI_SHAPE(ReportDocument, json_field("title", &RD::title), json_field("scenario", &RD::scenario),
             json_field("description", &RD::description),
             json_field("generated_by", &RD::generated_by),
             json_field("lang", &RD::lang, P::kOptional),
             json_field("accelerators", &RD::accelerators, P::kOptional),
             json_field("policy", &RD::policy, P::kOptional),
             json_field("headline", &RD::headline, P::kOptional),
             json_field("summary", &RD::summary, P::kOptional),
             json_field("comparison", &RD::comparison, P::kOptional),
             json_field("robustness", &RD::robustness, P::kOptional),
             json_field("plan", &RD::plan, P::kOptional),
             json_field("unverified", &RD::unverified, P::kOptional),
             json_field("sweep", &RD::sweep, P::kOptional),
             json_field("sweeps", &RD::sweeps, P::kOptional),
             json_field("simulation_sweep", &RD::simulation_sweep, P::kOptional),
             json_field("simulation", &RD::simulation, P::kOptional));

#undef SUANLI_SHAPE

Result<ReportDocument> decode_report_document(const nlohmann::json& doc) {
  ReportDocument out;
  if (auto r = json_decode(doc, out); !r)
    return fail(r.error().code, "report document: " + r.error().message);
  return out;
}

nlohmann::json encode_report_document(const ReportDocument& doc) { return json_encode(doc); }

namespace {

std::string kind(const nlohmann::json& j) {
  if (j.is_number_float()) return "a float";
  if (j.is_number_integer()) return "an integer";
  return j.type_name();
}

// The first place where `b` (the section as decoded and written back)
// differs from `a` (as its module wrote it), or nothing.
std::optional<std::string> first_difference(const nlohmann::json& a, const nlohmann::json& b,
                                            const std::string& path) {
  const bool integers = a.is_number_integer() && b.is_number_integer();  // signed or not
  if (a.type() != b.type() && !integers)
    return fmt::format("{}: written as {}, read back as {}", path, kind(a), kind(b));
  if (a.is_object()) {
    for (auto it = a.begin(); it != a.end(); ++it) {
      const auto jt = b.find(it.key());
      if (jt == b.end())
        return fmt::format("{}.{}: not a field of the report document", path, it.key());
      if (auto d = first_difference(*it, *jt, path + "." + it.key())) return d;
    }
    for (auto it = b.begin(); it != b.end(); ++it)
      if (!a.contains(it.key()))
        return fmt::format("{}.{}: added on reading, not written", path, it.key());
    return std::nullopt;
  }
  if (a.is_array()) {
    if (a.size() != b.size()) return fmt::format("{}: {} items read back as {}", path, a.size(), b.size());
    for (std::size_t i = 0; i < a.size(); ++i)
      if (auto d = first_difference(a[i], b[i], fmt::format("{}[{}]", path, i))) return d;
    return std::nullopt;
  }
  if (a != b) return fmt::format("{}: {} read back as {}", path, a.dump(), b.dump());
  return std::nullopt;
}

}  // namespace

template <class T>
Result<T> decode_section(const nlohmann::json& j, const std::string& what) {
  T out;
  if (auto r = json_decode(j, out, what); !r)
    return fail(r.error().code, "report document: " + r.error().message);
  // Lossless, or a bug: a key the section's module writes that this file's
  // tables do not list (or list with another type) would vanish from
  // `report --json` and the stored runs.
  if (auto d = first_difference(j, json_encode(out), what))
    return fail(ErrorCode::kParse, "report document: " + *d + " (report/report_document.h)");
  return out;
}

template Result<ComparisonSection> decode_section(const nlohmann::json&, const std::string&);
template Result<HeadlineSection> decode_section(const nlohmann::json&, const std::string&);
template Result<PlanSection> decode_section(const nlohmann::json&, const std::string&);
template Result<PlanSizing> decode_section(const nlohmann::json&, const std::string&);
template Result<RobustnessSection> decode_section(const nlohmann::json&, const std::string&);
template Result<SweepSection> decode_section(const nlohmann::json&, const std::string&);
template Result<SimulationSweepSection> decode_section(const nlohmann::json&, const std::string&);
template Result<SimulationSection> decode_section(const nlohmann::json&, const std::string&);

}  // namespace suanli

#include "report/report.h"

#include <fmt/format.h>

#include "compliance/compliance.h"
#include "perf/cost.h"
#include "plan/plan_json.h"
#include "plan/robustness.h"
#include "plan/sweep.h"
#include "report/headline.h"
#include "report/plan_simulation.h"
#include "util/version.h"

namespace suanli {

nlohmann::json comparison_json(const PlanScenario& sc, const Catalog& catalog, const Messages& m) {
  const PlanProblem& p = sc.problem;
  nlohmann::json workloads = nlohmann::json::array();
  for (std::size_t d = 0; d < p.demands.size(); ++d) {
    const PlanDemand& dem = p.demands[d];
    const bool training = dem.kind == DemandKind::kTraining;
    nlohmann::json rows = nlohmann::json::array();
    for (std::size_t t = 0; t < p.types.size(); ++t) {
      const PlanType& ty = p.types[t];
      const SizingDetail& z = sc.sizing[d][t];
      nlohmann::json row{
          {"accelerator", ty.id}, {"name", ty.name}, {"origin", ty.origin}, {"ok", z.ok}};
      if (auto a = catalog.accelerator(ty.id)) {
        const Classification c = classify(**a);
        row["eccn_class"] = std::string(eccn_class_name(c.eccn_class));
        row["china_status"] = std::string(china_status_name((*a)->china_status));
        row["china_status_confirmed"] = (*a)->china_status_confirmed;
        if (c.tpp) row["tpp"] = c.tpp->value;
      }
      // Hourly cost of owning one device on the one cost basis (perf/cost.h)
      // at the scenario's prices, levies and power defaults: the figure the
      // headline's `suanli compare` command reproduces.
      const double per_device_kw = ty.node_power_kw / ty.node_devices;
      double hourly = 0;
      if (auto a = catalog.accelerator(ty.id)) {
        if (auto h = device_hour_cost(**a, sc.cost)) hourly = h->total;
      }
      // The scenario's own rules for this workload: a chip they forbid is
      // listed with the rule and never marked best.
      if (dem.sensitive && p.policy.sensitive_domestic_only && !ty.domestic) {
        row["forbidden"] = m.tr("sensitive data: this workload runs only on domestic chips "
                                "(policy.sensitive_domestic_only)");
      } else if (ty.barred) {
        row["forbidden"] = m.render(Text(
            ty.china_status_confirmed.empty()
                ? "China status {status}: not bought or rented without assume_available"
                : "China status {status} (confirmed {date}): not bought or rented without "
                  "assume_available",
            {{"status", ty.china_status}, {"date", ty.china_status_confirmed}}));
      }
      if (!ty.assumption.empty()) row["assumption"] = ty.assumption;
      row["price_usd_per_device"] = ty.node_price_usd / ty.node_devices;
      row["hourly_usd_per_device"] = hourly;
      row["unverified"] = ty.unverified;
      if (z.ok) {
        row["devices"] = z.devices;
        row["unit_devices"] = z.unit_devices;
        row["per_device_rate"] = z.per_device_rate;
        row["per_usd_hour"] = hourly > 0 ? z.per_device_rate / hourly : 0.0;
        row["per_kw"] = per_device_kw > 0 ? z.per_device_rate / per_device_kw : 0.0;
        row["layout"] = z.layout;
        row["precision"] = z.precision;
        if (training) {
          row["mfu"] = z.mfu;
          row["days"] = z.days;
        } else {
          row["ttft_ms"] = z.ttft_ms;
          row["tpot_ms"] = z.tpot_ms;
        }
      } else {
        row["why_not"] = z.why_not;
      }
      rows.push_back(std::move(row));
    }
    std::string model;  // the scenario's training or inference item of this name
    for (const PlanTraining& t : sc.training)
      if (t.name == dem.name) model = t.model;
    for (const PlanInference& i : sc.inference)
      if (i.name == dem.name) model = i.model;
    workloads.push_back(nlohmann::json{
        {"name", dem.name},
        {"model", model},
        {"kind", training ? "training" : "inference"},
        {"description", m.render(dem.description) + " — " +
                            std::string(m.tr("per $·h: throughput per USD of device-hour;")) +
                            " " + sc.cost.describe(m)},
        {"metric", training ? "tokens/s per device" : "output tokens/s per device"},
        {"rows", std::move(rows)}});
  }
  return nlohmann::json{{"workloads", std::move(workloads)}};
}

namespace {

// The report's summary, one line per figure.
std::vector<std::string> summary_lines(const PlanProblem& p, const PlanResult& plan,
                                       const Messages& m) {
  std::vector<std::string> summary;
  summary.push_back(m.trf("Plan status: {status} ({seconds} s, gap {gap})",
                          fmt::arg("status", m.tr(plan_status_name(plan.status))),
                          fmt::arg("seconds", fmt::format("{:.2f}", plan.solve_time_s)),
                          fmt::arg("gap", fmt::format("{:.2g}", plan.gap))));
  if (plan.status == PlanStatus::kInfeasible) return summary;
  summary.push_back(m.trf("Total discounted cost: {cost} M USD over {years} years",
                          fmt::arg("cost", fmt::format("{:.1f}", plan.objective_usd / 1e6)),
                          fmt::arg("years", p.years)));
  summary.push_back(m.trf("Domestic share (minimum over the years): {share}%",
                          fmt::arg("share", fmt::format("{:.1f}", plan.domestic_share * 100))));
  for (const PolicyCost& c : plan.assumption_costs)
    summary.push_back(
        c.status_without == PlanStatus::kInfeasible
            ? m.trf("Assumes {assumption}; no plan meets the demand without it",
                    fmt::arg("assumption", m.render(c.detail)))
            : m.trf("Assumes {assumption}; without it the plan costs {cost} M USD",
                    fmt::arg("assumption", m.render(c.detail)),
                    fmt::arg("cost", fmt::format("{:.1f}", c.objective_without_usd / 1e6))));
  for (const PolicyCost& c : plan.policy_costs)
    if (c.status_without != PlanStatus::kInfeasible)
      summary.push_back(m.trf("Policy {policy} costs {cost} M USD ({percent}%)",
                              fmt::arg("policy", c.policy),
                              fmt::arg("cost", fmt::format("{:+.1f}", c.delta_usd / 1e6)),
                              fmt::arg("percent", fmt::format("{:+.1f}", c.delta_pct))));
  return summary;
}

// Where the scenario comes from: a file, or text with a name for messages.
struct ReportSource {
  const std::filesystem::path& file;
  const std::string_view* text = nullptr;  // null: read `file`

  Result<PlanScenario> load(const Catalog& catalog,
                            const std::vector<PlanOverride>& overrides) const {
    if (text) return parse_plan_scenario(*text, file, catalog, overrides);
    return load_plan_scenario(file, catalog, overrides);
  }
  Result<SweepResult> sweep(const Catalog& catalog, const std::vector<PlanOverride>& base,
                            const std::vector<PlanSweep>& sweeps,
                            const PlanOptions& options) const {
    if (text) return run_sweep_text(*text, file, catalog, base, sweeps, options);
    return run_sweep(file, catalog, base, sweeps, options);
  }
};

Result<Report> build(const ReportSource& source, const Catalog& catalog,
                     const ReportOptions& options) {
  const Messages english;
  const Messages& m = options.messages ? *options.messages : english;
  const std::filesystem::path& file = source.file;
  auto say = [&](const std::string& line) {
    if (options.progress) options.progress(line);
  };
  auto cancelled = [&] { return options.cancelled && options.cancelled(); };
  auto stop = [] { return fail(ErrorCode::kCancelled, "report cancelled"); };
  PlanOptions plan_options = options.plan;
  PlanOptions sweep_options = options.sweep;
  if (!plan_options.cancelled) plan_options.cancelled = options.cancelled;
  if (!sweep_options.cancelled) sweep_options.cancelled = options.cancelled;
  if (cancelled()) return stop();
  say("sizing demand on every candidate type with the estimator...");
  auto sc = source.load(catalog, options.overrides);
  if (!sc) return std::unexpected(sc.error());
  const PlanProblem& p = sc->problem;
  if (cancelled()) return stop();
  say(fmt::format("solving the plan ({} types, {} sites, {} demand items, {} supply scenarios)...",
                  p.types.size(), p.sites.size(), p.demands.size(), p.scenarios.size()));
  auto plan = solve_scenario_plan(*sc, plan_options);
  if (!plan) return std::unexpected(plan.error());
  if (cancelled()) return stop();

  Report out;
  ReportDocument& doc = out.doc;
  doc.title = p.name.empty() ? std::string(m.tr("suanli procurement report")) : p.name;
  doc.scenario = file.string();
  doc.description = sc->description;
  doc.generated_by = fmt::format("suanli {}", kSuanliVersion);
  doc.accelerators.emplace();
  for (const PlanType& t : p.types) doc.accelerators->push_back({t.id, t.name, t.origin});
  if (p.policy.domestic_share_min) doc.policy = ReportPolicy{*p.policy.domestic_share_min};
  SUANLI_ASSIGN(doc.comparison, decode_section<ComparisonSection>(
                                    comparison_json(*sc, catalog, m), "comparison"));
  if (options.robustness && plan->status != PlanStatus::kInfeasible) {
    if (cancelled()) return stop();
    say("robustness: re-solving at each end of the price and throughput ranges...");
    RobustnessOptions ro;
    ro.cancelled = options.cancelled;
    ro.progress = [&](int done, int total) { say(fmt::format("  robustness {}/{}", done, total)); };
    auto robust = plan_robustness(*sc, *plan, catalog, ro);
    if (!robust) return std::unexpected(robust.error());
    SUANLI_ASSIGN(doc.robustness, decode_section<RobustnessSection>(
                                      nlohmann::json(robustness_json(*robust, m)), "robustness"));
  }
  nlohmann::json plan_doc(plan_result_json(p, *plan, m));
  plan_doc["sizing"] = nlohmann::json(plan_sizing_json(*sc, catalog.economics()));
  SUANLI_ASSIGN(doc.plan, decode_section<PlanSection>(plan_doc, "plan"));
  doc.unverified.emplace();
  for (const PlanType& t : p.types)
    if (!t.unverified.empty())
      doc.unverified->push_back(m.trf("{accelerator}: {fields} from unverified catalog figures",
                                      fmt::arg("accelerator", t.id),
                                      fmt::arg("fields", fmt::format("{}", fmt::join(t.unverified, ", ")))));

  const std::vector<PlanSweep>& sweeps =
      options.sweeps.empty() ? sc->report_sweeps : options.sweeps;
  std::string sweep_summary;
  if (!sweeps.empty()) {
    // One sweep per key (the frontier along each axis), not the full grid.
    doc.sweeps.emplace();
    for (const PlanSweep& s : sweeps) {
      if (cancelled()) return stop();
      say(fmt::format("sweep {} over {} values...", s.key, s.values.size()));
      auto r = source.sweep(catalog, options.overrides, {s}, sweep_options);
      if (!r) return std::unexpected(r.error());
      SUANLI_ASSIGN(SweepSection section,
                    decode_section<SweepSection>(nlohmann::json(sweep_json(*r)), "sweeps"));
      doc.sweeps->push_back(std::move(section));
      sweep_summary += fmt::format("\nSweep {}\n{}", s.key, sweep_text(*r));
    }
    doc.sweep = doc.sweeps->front();
  }
  std::string sim_summary;
  if (options.simulate && plan->status != PlanStatus::kInfeasible) {
    if (cancelled()) return stop();
    PlanSimulationOptions so;
    so.year = options.simulate_year;
    so.seed = sc->seed;
    so.days = sc->simulation_days;
    so.limits = options.sim_limits;
    so.messages = &m;
    say(fmt::format("simulating the planned fleet of year {} for {:.0f} days (seed {})...", so.year,
                    so.days, so.seed));
    auto sim = simulate_plan(*sc, *plan, catalog, so);
    if (!sim) return std::unexpected(sim.error());
    SUANLI_ASSIGN(doc.simulation, decode_section<SimulationSection>(*sim, "simulation"));
    const SimulationSection& sm = *doc.simulation;
    sim_summary = fmt::format(
        "\nSimulation of the year-{} fleet ({:.0f} days, seed {}): {} jobs, {} finished, {} audit "
        "violations; mean JCT {:.1f} h, p95 {:.1f} h; domestic share min {:.1f}%\n",
        so.year, so.days, so.seed, sm.jobs, sm.finished, sm.audit_violations,
        sm.summary.mean_jct_h, sm.summary.p95_jct_h, sm.summary.domestic_share_min * 100);
  }
  doc.summary = summary_lines(p, *plan, m);
  SUANLI_ASSIGN(doc.headline, decode_section<HeadlineSection>(
                                  headline_json(*sc, *plan, catalog, m), "headline"));
  out.summary = plan_result_text(p, *plan, m) + sweep_summary + sim_summary;
  if (cancelled()) return stop();
  return out;
}

}  // namespace

Result<Report> build_report(const std::filesystem::path& file, const Catalog& catalog,
                            const ReportOptions& options) {
  return build(ReportSource{file}, catalog, options);
}

Result<Report> build_report_text(std::string_view text, const std::filesystem::path& file,
                                 const Catalog& catalog, const ReportOptions& options) {
  return build(ReportSource{file, &text}, catalog, options);
}

}  // namespace suanli

// `suanli report`: the buyer's story for one plan scenario as a typed
// document (report_document.h) that html_report.h renders into one self-contained HTML file:
// accelerator comparison for the scenario's workloads, the plan with its
// cost breakdown, binding constraints and policy prices, the sweep
// frontier, and a simulation of the planned fleet; plus a plain-text
// summary.
#pragma once

#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "catalog/catalog.h"
#include "plan/plan_scenario.h"
#include "plan/planner.h"
#include "plan/sweep.h"
#include "report/report_document.h"
#include "sim/scenario.h"
#include "util/messages.h"

namespace suanli {

struct ReportOptions {
  std::vector<PlanOverride> overrides;
  std::vector<PlanSweep> sweeps;  // empty: the scenario's [[report.sweep]]
  PlanOptions plan;
  PlanOptions sweep = default_sweep_options();
  bool simulate = true;
  bool robustness = true;  // the plan's robustness pass (plan/robustness.h)
  int simulate_year = 1;
  std::function<void(std::string_view)> progress;  // one line per step
  // Asked between steps and passed down to the plan's and the sweeps'
  // solves (unless `plan.cancelled` / `sweep.cancelled` are set already);
  // true makes build_report fail with ErrorCode::kCancelled.
  std::function<bool()> cancelled;
  // Caps the report's simulation (the service's SimLimits); unset: defaults.
  std::optional<SimLimits> sim_limits;
  // The language of the document's sentences (null: English); keys and
  // figures are the same in every language.
  const Messages* messages = nullptr;
};

struct Report {
  ReportDocument doc;   // `report --json` is encode_report_document(doc)
  std::string summary;  // plain text, for stdout
};

Result<Report> build_report(const std::filesystem::path& scenario_file, const Catalog& catalog,
                            const ReportOptions& options);
// The same for a scenario given as text (the service's stored scenarios);
// `file` names it in messages and in the document's "scenario" key.
Result<Report> build_report_text(std::string_view text, const std::filesystem::path& file,
                                 const Catalog& catalog, const ReportOptions& options);

// The comparison section alone (from the scenario's sizing).
nlohmann::json comparison_json(const PlanScenario& scenario, const Catalog& catalog,
                               const Messages& messages = {});

}  // namespace suanli

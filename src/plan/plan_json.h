// The plan result as JSON (the `suanli plan --json` contract, also the
// report's "plan" section) and as the plain-text summary the CLI prints.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "catalog/economics.h"
#include "plan/plan_problem.h"
#include "plan/plan_scenario.h"
#include "plan/planner.h"
#include "util/messages.h"

namespace suanli {

// The constraints', policies' and conflicts' details are put in the words
// of `messages` (English by default); every key and figure is the same.
nlohmann::ordered_json plan_result_json(const PlanProblem& problem, const PlanResult& result,
                                        const Messages& messages = {});
std::string plan_result_text(const PlanProblem& problem, const PlanResult& result,
                             const Messages& messages = {});

// How the scenario turned demand into devices (`plan --json` "sizing"):
// utilisation_target and peak_to_mean with where each came from, the
// goodput inputs with their sources, and per training item and type the
// gang, its goodput and its wall vs steady-state days.
nlohmann::ordered_json plan_sizing_json(const PlanScenario& sc, const Economics& economics);
// The same in two lines for the plan's text output.
std::string plan_sizing_text(const PlanScenario& sc, const Economics& economics);

}  // namespace suanli

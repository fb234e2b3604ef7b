// The plan result as JSON (the `suanli plan --json` contract, also the
// report's "plan" section) and as the plain-text summary the CLI prints.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "plan/plan_problem.h"
#include "plan/planner.h"

namespace suanli {

nlohmann::ordered_json plan_result_json(const PlanProblem& problem, const PlanResult& result);
std::string plan_result_text(const PlanProblem& problem, const PlanResult& result);

}  // namespace suanli

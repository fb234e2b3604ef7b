// The plan as spreadsheet tables (`plan --xlsx FILE`, `plan --csv DIR`),
// read from the `plan --json` document so every figure is the one the JSON,
// the text and the report show: purchases by year and site, rentals, the
// cost breakdown, the price of each policy and availability assumption,
// the binding constraints with their marginal prices, and the domestic
// share by year. Units are in the headers.
#pragma once

#include <vector>

#include <nlohmann/json.hpp>

#include "util/sheet.h"

namespace suanli {

std::vector<Sheet> plan_sheets(const nlohmann::ordered_json& plan);

}  // namespace suanli

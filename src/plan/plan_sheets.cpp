#include "plan/plan_sheets.h"

#include <string>

namespace suanli {

namespace {

using Json = nlohmann::ordered_json;

SheetCell num(const Json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || !it->is_number()) return std::monostate{};
  return it->get<double>();
}

SheetCell text(const Json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || !it->is_string()) return std::monostate{};
  return it->get<std::string>();
}

const Json& list(const Json& plan, const char* key) {
  static const Json empty = Json::array();
  auto it = plan.find(key);
  return it != plan.end() && it->is_array() ? *it : empty;
}

Sheet purchases(const Json& plan) {
  Sheet s{"purchases", {"year", "site", "accelerator", "origin", "nodes", "devices"}, {}};
  for (const Json& p : list(plan, "purchases"))
    s.rows.push_back({num(p, "year"), text(p, "site"), text(p, "accelerator"), text(p, "origin"),
                      num(p, "nodes"), num(p, "devices")});
  return s;
}

Sheet rentals(const Json& plan) {
  Sheet s{"rentals", {"year", "accelerator", "devices rented (average over the year)"}, {}};
  for (const Json& r : list(plan, "rentals"))
    s.rows.push_back({num(r, "year"), text(r, "accelerator"), num(r, "devices")});
  return s;
}

Sheet cost(const Json& plan) {
  Sheet s{"cost", {"component", "value", "unit"}, {}};
  const Json& c = plan.contains("cost") ? plan["cost"] : Json::object();
  const std::pair<const char*, const char*> parts[] = {
      {"capex_usd", "capital expenditure"},    {"levies_usd", "levies"},
      {"power_usd", "power"},                  {"operations_usd", "operations"},
      {"rental_usd", "rental"},                {"expected_shortfall_usd", "expected shortfall"}};
  for (const auto& [key, name] : parts)
    s.rows.push_back({std::string(name), num(c, key), std::string("USD, present value")});
  s.rows.push_back({std::string("total (objective)"), num(plan, "objective_usd"),
                    std::string("USD, present value")});
  s.rows.push_back({std::string("discount rate"), num(c, "discount_rate"), std::string("per year")});
  return s;
}

Sheet policy_prices(const Json& plan) {
  Sheet s{"policy_prices",
          {"policy or assumption", "detail", "plan without it", "objective without it (USD)",
           "price: objective change without it (USD)", "price (% of objective)",
           "solver tolerance (USD)"},
          {}};
  for (const char* key : {"policy_costs", "assumption_costs"})
    for (const Json& p : list(plan, key))
      s.rows.push_back({text(p, "policy"), text(p, "detail"), text(p, "status_without"),
                        num(p, "objective_without_usd"), num(p, "delta_usd"), num(p, "delta_pct"),
                        num(p, "tolerance_usd")});
  return s;
}

Sheet binding(const Json& plan) {
  Sheet s{"binding_constraints",
          {"constraint", "kind", "detail", "limit", "unit", "slack (unit)",
           "marginal price (USD per unit)", "step used to measure it (unit)"},
          {}};
  for (const Json& b : list(plan, "binding_constraints"))
    s.rows.push_back({text(b, "name"), text(b, "kind"), text(b, "detail"), num(b, "limit"),
                      text(b, "unit"), num(b, "slack"), num(b, "marginal_usd_per_unit"),
                      num(b, "step")});
  return s;
}

Sheet domestic_share(const Json& plan) {
  Sheet s{"domestic_share", {"year", "domestic share of nominal capacity (fraction)", "floor (fraction)"}, {}};
  int year = 1;
  for (const Json& v : list(plan, "domestic_share_by_year")) {
    s.rows.push_back({static_cast<double>(year++), v.is_number() ? SheetCell(v.get<double>()) : SheetCell{},
                      num(plan, "domestic_share_min")});
  }
  return s;
}

}  // namespace

std::vector<Sheet> plan_sheets(const Json& plan) {
  return {purchases(plan), rentals(plan),       cost(plan),
          policy_prices(plan), binding(plan), domestic_share(plan)};
}

}  // namespace suanli

// The procurement problem as the optimiser sees it: candidate accelerator
// types with their costs and limits, sites, the fleet already owned, demand
// items already sized per type by the estimator, supply-risk scenarios and
// the policies. Everything is plain data; plan_scenario.h builds it from a
// TOML file and the catalog, tests and benchmarks build it by hand.
#pragma once

#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "vocab/share_measure.h"
#include "util/messages.h"

namespace suanli {

inline constexpr double kNoLimit = std::numeric_limits<double>::infinity();
// PlanDemand::devices value for a type that cannot serve the item.
inline constexpr double kCannotServe = -1.0;

struct PlanType {
  std::string id;    // catalog accelerator ID, e.g. "h200-sxm"
  std::string name;  // display name
  std::string origin;
  bool domestic = false;
  int node_devices = 8;           // devices per node (the unit of purchase)
  double node_price_usd = 0;      // per node, before levies
  double levy_fraction = 0;       // surcharge on the price, e.g. 0.25
  double node_power_kw = 0;       // IT power per node at full load (TDP x devices x overhead)
  double compute_per_device = 0;  // dense BF16 TFLOPS: the domestic-share measure
  double nodes_per_rack = 4;      // rack space: racks used = nodes / nodes_per_rack
  // Per plan year (size == PlanProblem::years): most devices that can be
  // delivered that year; kNoLimit when unlimited.
  std::vector<double> supply_cap_devices;
  double rental_usd_per_device_hour = 0;  // 0: cannot be rented
  double rental_max_devices = 0;          // per year
  std::vector<int> sites;                 // site indices where it may be installed; empty = all
  // Catalog figures behind the numbers above that are estimates or
  // placeholders ("price_usd", "tdp_w", ...), for output marking.
  std::vector<std::string> unverified;
  // The chip's China status as the catalog records it, and when a source
  // last confirmed it. A status that bars buying in China
  // (import-blocked, presumption-of-denial, not-offered) leaves the type
  // unbuyable and unrentable (existing nodes still run) unless the scenario
  // states the assumption that it can be bought: `assumption` is that text,
  // and the planner prices the plan without it as well.
  std::string china_status;
  std::string china_status_confirmed;
  bool barred = false;      // the status bars it and no assumption is stated
  std::string assumption;   // non-empty: bought on this stated assumption
};

struct PlanSite {
  std::string name;
  double power_kw = kNoLimit;  // facility power available (IT x PUE)
  double racks = kNoLimit;
  double pue = 1.3;
  double tariff_usd_per_kwh = 0.08;
};

struct ExistingNodes {
  int type = 0;  // index into PlanProblem::types
  int site = 0;  // index into PlanProblem::sites
  int nodes = 0;
};

enum class DemandKind { kTraining, kInference };

struct PlanDemand {
  std::string name;
  DemandKind kind = DemandKind::kTraining;
  std::string tenant;
  Text description;  // e.g. "gpt3-175b, 2.0e12 tokens in 90 days" (util/messages.h)
  bool sensitive = false;   // may only run on domestic types (when that policy is on)
  bool core = false;        // must be served in every supply scenario (robust mode)
  int first_year = 1;       // 1-based, inclusive
  int last_year = 1;
  // A training run is one gang on one type; inference may be split across types.
  bool indivisible = true;
  // Per type: devices needed to serve the whole item on that type alone
  // (training: the gang that meets the deadline; inference: devices for the
  // token rate under the SLO), or kCannotServe with why_not[type].
  std::vector<double> devices;
  std::vector<std::string> why_not;
  // Cost of leaving the whole item unserved for one year (expected-shortfall mode).
  double shortfall_penalty_usd = 0;
};

struct SupplyScenario {
  std::string name;
  double probability = 0;
  std::vector<bool> cut;  // per type: supply line cut
  int from_year = 1;      // deliveries (and rentals) of cut types stop from this year
  // Installed devices of cut types also stop being usable from from_year
  // (licence revoked with support, or a domestic ban on using them).
  bool installed_lost = false;
  bool any_cut() const {
    for (bool c : cut)
      if (c) return true;
    return false;
  }
};

enum class RiskMode {
  kNone,      // scenarios are reported but not planned for
  kRobust,    // core demand is served in every scenario (hard)
  kExpected,  // expected shortfall penalty in the objective
  kBoth,      // core hard, the rest penalised
};

struct PlanPolicy {
  std::optional<double> domestic_share_min;  // of installed+rented capacity, every year
  ShareMeasure share_measure = ShareMeasure::kCompute;
  bool sensitive_domestic_only = true;
  RiskMode risk = RiskMode::kNone;
};

struct PlanProblem {
  std::string name;
  int years = 3;
  double discount_rate = 0.0;        // per year; costs in year y are divided by (1+r)^(y-1)
  double power_load_factor = 0.8;    // average draw / full load, for energy cost
  // Yearly ownership costs of an installed node (perf/cost.h, from
  // data/economics.toml): operations as a share of its price, and
  // data-centre capacity per kW of its power. 0: not counted.
  double operations_fraction = 0;
  double facility_usd_per_kw_month = 0;
  std::optional<double> budget_usd;  // purchases + levies, undiscounted
  std::vector<PlanType> types;
  std::vector<PlanSite> sites;
  std::vector<ExistingNodes> existing;
  std::vector<PlanDemand> demands;
  std::vector<SupplyScenario> scenarios;
  PlanPolicy policy;
};

}  // namespace suanli

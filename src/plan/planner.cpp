// The procurement planner (planner.h): builds the MILP (plan-model.md names
// every variable and constraint), solves it through plan/milp.h, and reads
// the plan, the binding limits and the price of each policy back. One file
// over 900 lines: building, re-solving and reading share the index of
// variables and rows (`Built`). build() calls one add_* helper per group of
// variables or constraints, in the order the columns and rows must keep.
#include "plan/planner.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <functional>
#include <map>
#include <set>

#include <fmt/format.h>

#include "plan/milp.h"
#include "util/strings.h"

// The model (docs/plan-model.md has it in full):
//   x[t][s][y]  integer nodes of type t delivered to site s at the start of year y
//   r[t][y]     devices of type t rented for year y (a virtual site with no power or racks)
//   u[d][t][y]  share of demand item d served on type t in year y (the nominal plan; for a
//               training programme one binary per type for all its years)
//   v[k][d][t][y] the same in supply scenario k, pooled per type (continuous recourse)
//   h[k][d][y]  unserved share of item d in scenario k (0 for core items in robust mode)
// minimise capex + levies + energy + rental (discounted) + sum_k p_k penalty_d h[k][d][y]
namespace suanli {

std::string_view plan_status_name(PlanStatus s) {
  switch (s) {
    case PlanStatus::kOptimal:
      return "optimal";
    case PlanStatus::kFeasible:
      return "feasible";
    case PlanStatus::kInfeasible:
      return "infeasible";
  }
  return "?";
}

namespace {

constexpr double kHoursPerYear = 8760;

double discount(const PlanProblem& p, int year) {
  return std::pow(1.0 + p.discount_rate, -(year - 1));
}

bool finite(double v) { return std::isfinite(v); }

std::string year_label(int y) { return fmt::format("y{}", y); }

// What a build leaves out or changes: policies switched off (price of a
// policy), constraint groups relaxed (conflict search), limits moved
// (marginal prices).
struct Switches {
  bool domestic_share = true;
  bool sensitive = true;
  bool risk = true;
  std::vector<bool> levy;              // per type
  std::vector<bool> assumed;           // per type: its stated availability assumption holds
  std::set<std::string> relaxed;       // groups dropped entirely
  std::map<std::string, double> move;  // limit row name -> relaxation (in its unit)
  const std::vector<Purchase>* fixed = nullptr;  // purchases fixed (PlanOptions)
};

struct LimitRow {
  int row = 0;
  std::string name, group, kind, unit;
  Text detail;
  double limit = 0;
  double node_unit = 0;  // how much one more node would use: slack below this binds
  double step = 0;       // relaxation used to measure the marginal price
  bool lower = false;    // a >= row (domestic share)
};

struct Built {
  MilpModel model;
  int T = 0, S = 0, Y = 0, D = 0;
  // x[t][s][y-1], col or -1
  std::vector<std::vector<std::vector<int>>> x;
  std::vector<std::vector<int>> rent;  // [t][y-1]
  // u[d][t][y-1]; a training item's columns are one binary for all its years
  std::vector<std::vector<std::vector<int>>> u;
  std::vector<int> scenario;                          // k -> problem scenario index
  std::vector<std::vector<std::vector<int>>> short_;  // [k][d][y-1]
  std::vector<LimitRow> limits;
  std::vector<double> price_col;  // per col: purchase price part of its cost (x only)
  std::vector<double> levy_col;
  std::vector<double> power_col;
  std::vector<double> ops_col;
  std::vector<double> rent_col;
  std::vector<double> short_col;
  double constant_power = 0;                  // existing nodes' energy
  double constant_ops = 0;                    // existing nodes' operations and data centre
  std::vector<std::vector<double>> existing;  // [t][s] nodes
};

bool servable(const PlanProblem& p, const Switches& sw, int d, int t) {
  const PlanDemand& dem = p.demands[d];
  if (dem.devices[t] <= 0) return false;
  if (dem.sensitive && !p.types[t].domestic && sw.sensitive && p.policy.sensitive_domestic_only &&
      !sw.relaxed.contains("sensitive-on-domestic"))
    return false;
  return true;
}

bool type_at_site(const PlanType& t, int s) {
  return t.sites.empty() || std::find(t.sites.begin(), t.sites.end(), s) != t.sites.end();
}

double moved(const Switches& sw, const std::string& name) {
  auto it = sw.move.find(name);
  return it == sw.move.end() ? 0.0 : it->second;
}

double share_weight(const PlanProblem& p, int t) {
  return p.policy.share_measure == ShareMeasure::kCompute ? p.types[t].compute_per_device : 1.0;
}

bool risk_active(const PlanProblem& p, const Switches& sw) {
  return sw.risk && p.policy.risk != RiskMode::kNone;
}

// The limits in words (util/messages.h Text: each front end's language).
Text share_detail(const PlanProblem& p, double share, int year) {
  return Text(
      "domestic share of {measure} >= {share}% in year {year}",
      {{"measure", p.policy.share_measure == ShareMeasure::kCompute ? "compute" : "devices"},
       {"share", fmt::format("{:.0f}", share * 100)},
       {"year", std::to_string(year)}});
}
Text power_detail(const PlanSite& site) {
  return Text("{site} facility power <= {mw} MW (PUE {pue})",
              {{"site", site.name},
               {"mw", fmt::format("{:.1f}", site.power_kw / 1000)},
               {"pue", fmt::format("{:.2f}", site.pue)}});
}
Text supply_detail(const std::string& type, double cap, int year) {
  return Text("{accelerator} deliveries <= {devices} devices in year {year}",
              {{"accelerator", type},
               {"devices", fmt::format("{:.0f}", cap)},
               {"year", std::to_string(year)}});
}

// Adds one column to the model with every cost part zero (the caller sets
// the parts its cost is made of).
int add_col(Built& b, double lb, double ub, double cost, bool integer) {
  const int c = b.model.add_variable(lb, ub, cost, integer);
  b.price_col.push_back(0);
  b.levy_col.push_back(0);
  b.power_col.push_back(0);
  b.ops_col.push_back(0);
  b.rent_col.push_back(0);
  b.short_col.push_back(0);
  return c;
}

// energy_t,s: one node of type t at site s for a year, USD.
double node_year_energy(const PlanProblem& p, int t, int s) {
  return p.types[t].node_power_kw * p.power_load_factor * p.sites[s].pue * kHoursPerYear *
         p.sites[s].tariff_usd_per_kwh;
}

// ops_t: operations (share of the price) and data-centre capacity per kW,
// one node of type t for a year, USD.
double node_year_ops(const PlanProblem& p, int t) {
  return p.types[t].node_price_usd * p.operations_fraction +
         p.types[t].node_power_kw * p.facility_usd_per_kw_month * 12;
}

// Adds the existing fleet (no variables): its nodes per type and site and
// their energy and operations over the horizon as objective constants.
void add_existing(Built& b, const PlanProblem& p) {
  b.existing.assign(b.T, std::vector<double>(b.S, 0));
  for (const ExistingNodes& e : p.existing) b.existing[e.type][e.site] += e.nodes;
  double df_sum_all = 0;
  for (int y = 1; y <= b.Y; ++y) df_sum_all += discount(p, y);
  for (int t = 0; t < b.T; ++t)
    for (int s = 0; s < b.S; ++s) {
      b.constant_power += b.existing[t][s] * node_year_energy(p, t, s) * df_sum_all;
      b.constant_ops += b.existing[t][s] * node_year_ops(p, t) * df_sum_all;
    }
}

// The upper bound on x[t][s][y] of type t in year y from its supply cap
// (kNoLimit without one; 0 without its availability assumption).
double purchase_bound(const PlanProblem& p, const Switches& sw, int t, int y) {
  const PlanType& ty = p.types[t];
  const bool caps_on = !sw.relaxed.contains("supply-cap:" + ty.id);
  double cap = caps_on ? ty.supply_cap_devices[y - 1] : kNoLimit;
  if (!sw.assumed[t]) cap = 0;  // priced without its availability assumption
  if (finite(cap)) cap += moved(sw, fmt::format("supply-cap:{}:{}", ty.id, year_label(y)));
  return finite(cap) ? std::floor(cap / ty.node_devices + 1e-9) : kNoLimit;
}

// Adds x[t][s][y]: nodes delivered where the type may be installed, bounded
// by the supply cap (or fixed to a given plan), costing capex + levy +
// energy + operations through the horizon.
void add_purchases(Built& b, const PlanProblem& p, const Switches& sw) {
  b.x.assign(b.T, std::vector<std::vector<int>>(b.S, std::vector<int>(b.Y, -1)));
  for (int t = 0; t < b.T; ++t) {
    const PlanType& ty = p.types[t];
    const double levy = sw.levy[t] ? ty.levy_fraction : 0.0;
    for (int y = 1; y <= b.Y; ++y) {
      const double ub = purchase_bound(p, sw, t, y);
      if (ub <= 0 && !sw.fixed) continue;
      double df_rest = 0;
      for (int z = y; z <= b.Y; ++z) df_rest += discount(p, z);
      for (int s = 0; s < b.S; ++s) {
        if (!type_at_site(ty, s)) continue;
        // A fixed plan's nodes here (all others zero).
        double lo = 0;
        double hi = ub;
        if (sw.fixed) {
          lo = 0;
          for (const Purchase& f : *sw.fixed)
            if (f.type == t && f.site == s && f.year == y) lo += f.nodes;
          hi = lo;
          if (hi <= 0) continue;
        }
        const double price = ty.node_price_usd * discount(p, y);
        const double energy = node_year_energy(p, t, s) * df_rest;
        const double ops = node_year_ops(p, t) * df_rest;
        const int c = add_col(b, lo, hi, price * (1 + levy) + energy + ops, true);
        b.price_col[c] = price;
        b.levy_col[c] = price * levy;
        b.power_col[c] = energy;
        b.ops_col[c] = ops;
        b.x[t][s][y - 1] = c;
      }
    }
  }
}

// Adds r[t][y]: devices rented per year, for rentable types whose
// availability assumption holds.
void add_rentals(Built& b, const PlanProblem& p, const Switches& sw) {
  b.rent.assign(b.T, std::vector<int>(b.Y, -1));
  for (int t = 0; t < b.T; ++t) {
    const PlanType& ty = p.types[t];
    if (ty.rental_usd_per_device_hour <= 0 || ty.rental_max_devices <= 0 || !sw.assumed[t])
      continue;
    for (int y = 1; y <= b.Y; ++y) {
      const double cost = ty.rental_usd_per_device_hour * kHoursPerYear * discount(p, y);
      const int c = add_col(b, 0, ty.rental_max_devices, cost, false);
      b.rent_col[c] = cost;
      b.rent[t][y - 1] = c;
    }
  }
}

// Whether type t has any capacity in the model (existing nodes, an x or an
// r column); reads only what add_existing/add_purchases/add_rentals built.
bool has_capacity(const Built& b, int t) {
  for (int y = 0; y < b.Y; ++y)
    if (b.rent[t][y] >= 0) return true;
  for (int s = 0; s < b.S; ++s) {
    if (b.existing[t][s] > 0) return true;
    for (int y = 0; y < b.Y; ++y)
      if (b.x[t][s][y] >= 0) return true;
  }
  return false;
}

// Adds w/u[d][t][y] and the `demand:<item>` rows: every active item is
// served in full. A training programme runs on one type for all its years
// (one binary per type: one gang, one software stack); inference may be
// split across types and change every year.
void add_nominal_allocation(Built& b, const PlanProblem& p, const Switches& sw) {
  b.u.assign(b.D, std::vector<std::vector<int>>(b.T, std::vector<int>(b.Y, -1)));
  for (int d = 0; d < b.D; ++d) {
    const PlanDemand& dem = p.demands[d];
    if (sw.relaxed.contains("demand:" + dem.name)) continue;
    if (dem.indivisible) {
      std::vector<MilpTerm> terms;
      for (int t = 0; t < b.T; ++t) {
        if (!servable(p, sw, d, t) || !has_capacity(b, t)) continue;
        const int c = add_col(b, 0, 1, 0, true);
        for (int y = dem.first_year; y <= dem.last_year; ++y) b.u[d][t][y - 1] = c;
        terms.push_back({c, 1});
      }
      b.model.add_constraint(std::move(terms), 1, 1);
      continue;
    }
    for (int y = dem.first_year; y <= dem.last_year; ++y) {
      std::vector<MilpTerm> terms;
      for (int t = 0; t < b.T; ++t) {
        if (!servable(p, sw, d, t) || !has_capacity(b, t)) continue;
        const int c = add_col(b, 0, 1, 0, false);
        b.u[d][t][y - 1] = c;
        terms.push_back({c, 1});
      }
      b.model.add_constraint(std::move(terms), 1, 1);
    }
  }
}

// Adds the (capacity) rows: per type and year, the nominal allocation's
// devices <= owned (existing + x on all sites so far) plus rented (r).
void add_capacity(Built& b, const PlanProblem& p) {
  for (int t = 0; t < b.T; ++t) {
    const double nd = p.types[t].node_devices;
    for (int y = 1; y <= b.Y; ++y) {
      std::vector<MilpTerm> terms;
      for (int d = 0; d < b.D; ++d)
        if (b.u[d][t][y - 1] >= 0) terms.push_back({b.u[d][t][y - 1], p.demands[d].devices[t]});
      if (terms.empty()) continue;
      double rhs = 0;
      for (int s = 0; s < b.S; ++s) {
        rhs += nd * b.existing[t][s];
        for (int z = 1; z <= y; ++z)
          if (b.x[t][s][z - 1] >= 0) terms.push_back({b.x[t][s][z - 1], -nd});
      }
      if (b.rent[t][y - 1] >= 0) terms.push_back({b.rent[t][y - 1], -1});
      b.model.add_constraint(std::move(terms), -kNoLimit, rhs);
    }
  }
}

// Adds the `domestic-share:y<Y>` rows (a >= limit each): the domestic share
// of owned + rented capacity, every year, when the policy is on.
void add_domestic_share(Built& b, const PlanProblem& p, const Switches& sw) {
  if (!p.policy.domestic_share_min || !sw.domestic_share || sw.relaxed.contains("domestic-share"))
    return;
  double min_foreign_node = kNoLimit;
  for (int y = 1; y <= b.Y; ++y) {
    const std::string name = "domestic-share:" + year_label(y);
    const double share = std::max(0.0, *p.policy.domestic_share_min - moved(sw, name));
    std::vector<MilpTerm> terms;
    double constant = 0;
    for (int t = 0; t < b.T; ++t) {
      const double w = share_weight(p, t);
      const double coef = ((p.types[t].domestic ? 1.0 : 0.0) - share) * w;
      const double nd = p.types[t].node_devices;
      for (int s = 0; s < b.S; ++s) {
        constant += coef * nd * b.existing[t][s];
        for (int z = 1; z <= y; ++z)
          if (b.x[t][s][z - 1] >= 0) terms.push_back({b.x[t][s][z - 1], coef * nd});
      }
      if (b.rent[t][y - 1] >= 0) terms.push_back({b.rent[t][y - 1], coef});
      if (!p.types[t].domestic && w > 0)
        min_foreign_node = std::min(min_foreign_node, share * w * nd);
    }
    LimitRow lim;
    lim.row = b.model.add_constraint(std::move(terms), -constant, kNoLimit);
    lim.name = name;
    lim.group = "domestic-share";
    lim.kind = "domestic-share";
    lim.limit = *p.policy.domestic_share_min;
    lim.detail = share_detail(p, lim.limit, y);
    lim.unit = "percentage point";
    lim.node_unit = finite(min_foreign_node) ? min_foreign_node : 1e-6;
    lim.step = 5;  // percentage points
    lim.lower = true;
    b.limits.push_back(std::move(lim));
  }
}

// One cumulative site limit (power or rack space): its row name and kind,
// the site's capacity, what one node of type t uses of it, and its limit's
// wording, unit and step.
struct SiteLimit {
  std::string name;
  const char* kind;
  double capacity;
  std::function<double(int t)> per_node;
  Text detail;
  const char* unit;
  double step;
};

// Adds a site limit's row (cumulative purchases, so the last year binds)
// and its LimitRow, unless the site has no such limit or it is relaxed.
void add_site_limit(Built& b, const Switches& sw, int s, const SiteLimit& l) {
  if (!finite(l.capacity) || sw.relaxed.contains(l.name)) return;
  std::vector<MilpTerm> terms;
  double used = 0, unit = kNoLimit;
  for (int t = 0; t < b.T; ++t) {
    const double per = l.per_node(t);
    used += per * b.existing[t][s];
    for (int y = 0; y < b.Y; ++y)
      if (b.x[t][s][y] >= 0) {
        terms.push_back({b.x[t][s][y], per});
        unit = std::min(unit, per);
      }
  }
  LimitRow lim;
  lim.row =
      b.model.add_constraint(std::move(terms), -kNoLimit, l.capacity + moved(sw, l.name) - used);
  lim.name = l.name;
  lim.group = l.name;
  lim.kind = l.kind;
  lim.limit = l.capacity;
  lim.detail = l.detail;
  lim.unit = l.unit;
  lim.node_unit = finite(unit) ? unit : 1e-6;
  lim.step = l.step;
  b.limits.push_back(std::move(lim));
}

// Adds the `site-power:<site>` and `site-racks:<site>` rows of site s.
void add_site_limits(Built& b, const PlanProblem& p, const Switches& sw, int s) {
  const PlanSite& site = p.sites[s];
  add_site_limit(b, sw, s,
                 {"site-power:" + site.name, "site-power", site.power_kw,
                  [&](int t) { return p.types[t].node_power_kw * site.pue; }, power_detail(site),
                  "kW", std::max(1.0, 0.05 * site.power_kw)});
  add_site_limit(b, sw, s,
                 {"site-racks:" + site.name, "site-racks", site.racks,
                  [&](int t) { return 1.0 / p.types[t].nodes_per_rack; },
                  Text("{site} rack space <= {racks} racks",
                       {{"site", site.name}, {"racks", fmt::format("{:.0f}", site.racks)}}),
                  "rack", std::max(1.0, std::round(0.05 * site.racks))});
}

// Adds the `supply-cap:<type>:y<Y>` rows per type and year and their limits
// (also bounds on x: the row makes them visible as binding constraints).
void add_supply_caps(Built& b, const PlanProblem& p, const Switches& sw) {
  for (int t = 0; t < b.T; ++t) {
    const PlanType& ty = p.types[t];
    if (sw.relaxed.contains("supply-cap:" + ty.id)) continue;
    for (int y = 1; y <= b.Y; ++y) {
      const double cap = ty.supply_cap_devices[y - 1];
      if (!finite(cap)) continue;
      std::vector<MilpTerm> terms;
      for (int s = 0; s < b.S; ++s)
        if (b.x[t][s][y - 1] >= 0) terms.push_back({b.x[t][s][y - 1], double(ty.node_devices)});
      if (terms.empty()) continue;
      LimitRow lim;
      lim.name = fmt::format("supply-cap:{}:{}", ty.id, year_label(y));
      lim.row = b.model.add_constraint(std::move(terms), -kNoLimit, cap + moved(sw, lim.name));
      lim.group = "supply-cap:" + ty.id;
      lim.kind = "supply-cap";
      lim.limit = cap;
      lim.detail = supply_detail(ty.id, cap, y);
      lim.unit = "device";
      lim.node_unit = ty.node_devices;
      lim.step = std::max<double>(ty.node_devices,
                                  ty.node_devices * std::ceil(0.05 * cap / ty.node_devices));
      b.limits.push_back(std::move(lim));
    }
  }
}

// Adds the `budget` row (purchases and levies on x, undiscounted) and its
// limit, when the problem has a budget.
void add_budget(Built& b, const PlanProblem& p, const Switches& sw) {
  if (!p.budget_usd || sw.relaxed.contains("budget")) return;
  std::vector<MilpTerm> terms;
  double unit = kNoLimit;
  for (int t = 0; t < b.T; ++t) {
    const double levy = sw.levy[t] ? p.types[t].levy_fraction : 0.0;
    const double node = p.types[t].node_price_usd * (1 + levy);
    for (int s = 0; s < b.S; ++s)
      for (int y = 0; y < b.Y; ++y)
        if (b.x[t][s][y] >= 0) {
          terms.push_back({b.x[t][s][y], node});
          unit = std::min(unit, node);
        }
  }
  LimitRow lim;
  lim.row =
      b.model.add_constraint(std::move(terms), -kNoLimit, *p.budget_usd + moved(sw, "budget"));
  lim.name = "budget";
  lim.group = "budget";
  lim.kind = "budget";
  lim.limit = *p.budget_usd;
  lim.detail =
      Text("purchases + levies <= {usd} USD", {{"usd", fmt::format("{:.4g}", *p.budget_usd)}});
  lim.unit = "USD";
  lim.node_unit = finite(unit) ? unit : 1e-6;
  lim.step = std::max(1.0, 0.05 * *p.budget_usd);
  b.limits.push_back(std::move(lim));
}

// One cut scenario being built: kk indexes b.short_ (k in the model), and
// robust_on says whether its core items are hard (`robustness:<scenario>`).
struct ScenarioBuild {
  const SupplyScenario& sc;
  int kk = 0;
  bool robust_on = false;
};

// Adds v[k][d][t][y], h[k][d][y] and the `robustness:<scenario>` rows
// (sum_t v + h = 1) of scenario k in year y; returns each type's v terms
// (weighted by devices) for its (scenario capacity) row.
std::vector<std::vector<MilpTerm>> add_recourse_allocation(Built& b, const PlanProblem& p,
                                                           const Switches& sw,
                                                           const ScenarioBuild& k, int y) {
  const RiskMode mode = p.policy.risk;
  std::vector<std::vector<MilpTerm>> cap_terms(b.T);
  for (int d = 0; d < b.D; ++d) {
    const PlanDemand& dem = p.demands[d];
    if (sw.relaxed.contains("demand:" + dem.name)) continue;
    if (y < dem.first_year || y > dem.last_year) continue;
    const bool hard = dem.core && k.robust_on;
    const bool penalised = mode == RiskMode::kExpected || (mode == RiskMode::kBoth && !dem.core);
    if (!hard && !penalised) continue;
    std::vector<MilpTerm> terms;
    for (int t = 0; t < b.T; ++t) {
      if (!servable(p, sw, d, t)) continue;
      const int v = add_col(b, 0, 1, 0, false);
      terms.push_back({v, 1});
      cap_terms[t].push_back({v, dem.devices[t]});
    }
    const double pen =
        penalised ? k.sc.probability * dem.shortfall_penalty_usd * discount(p, y) : 0;
    const int h = add_col(b, 0, hard ? 0 : 1, pen, false);
    b.short_col[h] = pen;
    b.short_[k.kk][d][y - 1] = h;
    terms.push_back({h, 1});
    b.model.add_constraint(std::move(terms), 1, 1);
  }
  return cap_terms;
}

// Adds the (scenario capacity) rows of scenario sc in year y: per type, the
// recourse devices <= what survives the cut (no new deliveries or rentals of
// a cut type from its from_year; installed and existing nodes too when
// installed_lost).
void add_scenario_capacity(Built& b, const PlanProblem& p, const SupplyScenario& sc, int y,
                           std::vector<std::vector<MilpTerm>> cap_terms) {
  for (int t = 0; t < b.T; ++t) {
    if (cap_terms[t].empty()) continue;
    const PlanType& ty = p.types[t];
    const bool cut_now = sc.cut[t] && y >= sc.from_year;
    const double nd = ty.node_devices;
    double rhs = 0;
    std::vector<MilpTerm> terms = std::move(cap_terms[t]);
    for (int s = 0; s < b.S; ++s) {
      if (!cut_now || !sc.installed_lost) rhs += nd * b.existing[t][s];
      for (int z = 1; z <= y; ++z) {
        if (b.x[t][s][z - 1] < 0) continue;
        const bool delivered = !cut_now || (z < sc.from_year && !sc.installed_lost);
        if (delivered) terms.push_back({b.x[t][s][z - 1], -nd});
      }
    }
    if (!cut_now && b.rent[t][y - 1] >= 0) terms.push_back({b.rent[t][y - 1], -1});
    b.model.add_constraint(std::move(terms), -kNoLimit, rhs);
  }
}

// Adds the supply scenarios (risk modes): for each scenario with a cut, its
// index in b.scenario and b.short_, then year by year from the cut on its
// recourse allocation (v, h, `robustness:<scenario>`) and capacity rows.
void add_scenarios(Built& b, const PlanProblem& p, const Switches& sw) {
  if (!risk_active(p, sw)) return;
  const RiskMode mode = p.policy.risk;
  for (int k = 0; k < static_cast<int>(p.scenarios.size()); ++k) {
    const SupplyScenario& sc = p.scenarios[k];
    if (!sc.any_cut()) continue;  // identical to the nominal plan
    const bool robust_on = (mode == RiskMode::kRobust || mode == RiskMode::kBoth) &&
                           !sw.relaxed.contains("robustness:" + sc.name);
    const ScenarioBuild kb{sc, static_cast<int>(b.scenario.size()), robust_on};
    b.scenario.push_back(k);
    b.short_.push_back(std::vector<std::vector<int>>(b.D, std::vector<int>(b.Y, -1)));
    for (int y = std::max(1, sc.from_year); y <= b.Y; ++y)
      add_scenario_capacity(b, p, sc, y, add_recourse_allocation(b, p, sw, kb, y));
  }
}

// The model for problem p with switches sw (plan-model.md): columns x, r,
// w/u, v, h in that order; rows in the order of the calls below.
Built build(const PlanProblem& p, const Switches& sw) {
  Built b;
  b.T = static_cast<int>(p.types.size());
  b.S = static_cast<int>(p.sites.size());
  b.Y = p.years;
  b.D = static_cast<int>(p.demands.size());
  add_existing(b, p);
  add_purchases(b, p, sw);
  add_rentals(b, p, sw);
  add_nominal_allocation(b, p, sw);
  add_capacity(b, p);
  add_domestic_share(b, p, sw);
  for (int s = 0; s < b.S; ++s) add_site_limits(b, p, sw, s);
  add_supply_caps(b, p, sw);
  add_budget(b, p, sw);
  add_scenarios(b, p, sw);
  return b;
}

Switches default_switches(const PlanProblem& p) {
  Switches sw;
  sw.levy.assign(p.types.size(), true);
  sw.assumed.assign(p.types.size(), true);
  return sw;
}

// `start`: a related solution's column values to search from (MilpOptions::start).
MilpSolution run(const Built& b, const PlanOptions& options, bool first_solution = false,
                 bool main_solve = false, const std::vector<double>* start = nullptr) {
  MilpOptions mo;
  if (start != nullptr) mo.start = *start;
  if (main_solve) {
    mo.log = options.solver_log;
    mo.mps_path = options.mps_path;
  }
  mo.time_limit_s = options.time_limit_s;
  mo.max_nodes = options.max_nodes;
  mo.relative_gap = options.relative_gap;
  mo.first_solution = first_solution;
  mo.cancelled = options.cancelled;
  return solve_milp(b.model, mo);
}

bool has_solution(const MilpSolution& s) {
  return s.status == MilpStatus::kOptimal || s.status == MilpStatus::kFeasible;
}

PlanStatus to_status(const MilpSolution& s) {
  if (s.status == MilpStatus::kOptimal) return PlanStatus::kOptimal;
  if (s.status == MilpStatus::kFeasible) return PlanStatus::kFeasible;
  return PlanStatus::kInfeasible;
}

// What stopped a search short of its gap, for the plan's note ("" when
// the gap was reached).
std::string search_note(const MilpSolution& sol, const PlanOptions& options, double gap) {
  if (sol.time_limited)
    return fmt::format(
        "the {:.0f} s time limit stopped the search before its {} nodes: a faster or less "
        "loaded machine may return another plan",
        options.time_limit_s, thousands(options.max_nodes));
  if (sol.status != MilpStatus::kFeasible) return "";
  const std::string asked = options.relative_gap > 0
                                ? fmt::format("the {:.2f}% asked", options.relative_gap * 100)
                                : std::string("the exact optimum asked");
  return fmt::format(
      "the search stopped at its {} branch-and-bound nodes with the plan proven within {:.2f}% "
      "of the optimum, short of {}: the same plan on every machine",
      thousands(options.max_nodes), gap * 100, asked);
}

// Objective of a build with the policies/relaxations in `sw` (constant included).
struct Resolve {
  MilpSolution solution;
  double objective = 0;
};
// `start`: the main solve's values; every re-solve differs from the main
// model by a bound, a row or a cost, so the main plan is a good first
// incumbent (and often a feasible one).
Resolve resolve(const PlanProblem& p, const Switches& sw, const PlanOptions& options,
                const std::vector<double>& start) {
  Built b = build(p, sw);
  Resolve r;
  r.solution = run(b, options, false, false, &start);
  r.objective = r.solution.objective + b.constant_power + b.constant_ops;
  return r;
}

// The demand in words: its description (the scenario's text) and needs.
Text demand_detail(const PlanProblem& p, int d) {
  const PlanDemand& dem = p.demands[d];
  double best = kNoLimit;
  std::string best_type;
  for (std::size_t t = 0; t < p.types.size(); ++t) {
    // Under the sensitivity rule only domestic types count.
    if (dem.sensitive && p.policy.sensitive_domestic_only && !p.types[t].domestic) continue;
    if (dem.devices[t] > 0 && dem.devices[t] < best) {
      best = dem.devices[t];
      best_type = p.types[t].id;
    }
  }
  const std::string what = dem.description.empty() ? dem.name : dem.description.english();
  const std::string tags = std::string(dem.sensitive ? "sensitive" : "") +
                           (dem.sensitive && dem.core ? ", " : "") + (dem.core ? "core" : "");
  if (best_type.empty()) return Text("{what}", {{"what", what}});
  return Text(tags.empty() ? "{what}; smallest need {devices} x {accelerator}"
                           : "{what}; smallest need {devices} x {accelerator}; {tags}",
              {{"what", what},
               {"devices", fmt::format("{:.0f}", best)},
               {"accelerator", best_type},
               {"tags", tags}});
}

// Constraint groups that can conflict, in the order the deletion filter tries them.
std::vector<Conflict> conflict_groups(const PlanProblem& p) {
  std::vector<Conflict> g;
  for (std::size_t d = 0; d < p.demands.size(); ++d)
    g.push_back({"demand:" + p.demands[d].name, "demand", demand_detail(p, static_cast<int>(d))});
  bool any_sensitive = false;
  for (const PlanDemand& d : p.demands) any_sensitive |= d.sensitive;
  if (any_sensitive && p.policy.sensitive_domestic_only)
    g.push_back(
        {"sensitive-on-domestic", "policy", Text("sensitive demand only on domestic types")});
  if (p.policy.risk == RiskMode::kRobust || p.policy.risk == RiskMode::kBoth)
    for (const SupplyScenario& sc : p.scenarios)
      if (sc.any_cut())
        g.push_back(
            {"robustness:" + sc.name, "policy",
             Text(sc.installed_lost
                      ? "core demand served in scenario '{scenario}' (cut from year {year}, "
                        "installed devices lost)"
                      : "core demand served in scenario '{scenario}' (cut from year {year})",
                  {{"scenario", sc.name}, {"year", std::to_string(sc.from_year)}})});
  if (p.policy.domestic_share_min)
    g.push_back({"domestic-share", "policy",
                 Text("domestic share >= {share}% every year",
                      {{"share", fmt::format("{:.0f}", *p.policy.domestic_share_min * 100)}})});
  for (const PlanType& t : p.types) {
    bool capped = false;
    for (double c : t.supply_cap_devices) capped |= finite(c);
    if (capped) {
      std::string caps;
      for (double c : t.supply_cap_devices)
        caps +=
            (caps.empty() ? "" : ", ") + (finite(c) ? fmt::format("{:.0f}", c) : std::string("-"));
      g.push_back({"supply-cap:" + t.id, "supply-cap",
                   Text("{accelerator} deliveries per year <= [{caps}] devices",
                        {{"accelerator", t.id}, {"caps", caps}})});
    }
  }
  for (const PlanSite& s : p.sites) {
    if (finite(s.power_kw))
      g.push_back({"site-power:" + s.name, "site-power",
                   fmt::format("{} facility power <= {:.1f} MW", s.name, s.power_kw / 1000)});
    if (finite(s.racks))
      g.push_back({"site-racks:" + s.name, "site-racks",
                   fmt::format("{} rack space <= {:.0f} racks", s.name, s.racks)});
  }
  if (p.budget_usd)
    g.push_back(
        {"budget", "budget", fmt::format("purchases + levies <= {:.4g} USD", *p.budget_usd)});
  return g;
}

// Deletion filter: drop every group whose removal keeps the problem
// infeasible; what is left is an irreducible conflicting set (removing any
// one member makes the problem feasible).
std::vector<Conflict> explain(const PlanProblem& p, const PlanOptions& options) {
  const std::vector<Conflict> groups = conflict_groups(p);
  Switches sw = default_switches(p);
  auto feasible = [&](const Switches& s) {
    // Cancelled: keep every remaining group (the caller fails anyway).
    if (plan_cancelled(options)) return true;
    Built b = build(p, s);
    const MilpSolution sol = run(b, options, /*first_solution=*/true);
    // A time-out counts as feasible: the group is kept, never wrongly dropped.
    return sol.status != MilpStatus::kInfeasible;
  };
  std::vector<Conflict> kept;
  for (const Conflict& g : groups) {
    Switches trial = sw;
    trial.relaxed.insert(g.name);
    if (feasible(trial)) {
      kept.push_back(g);
    } else {
      sw = std::move(trial);
    }
  }
  return kept;
}

void fill_result(const PlanProblem& p, const Built& b, const MilpSolution& sol, PlanResult& out) {
  const auto& v = sol.values;
  const int T = b.T, S = b.S, Y = b.Y, D = b.D;
  out.objective_usd = sol.objective + b.constant_power + b.constant_ops;
  out.gap = std::max(0.0, sol.objective - sol.best_bound) / std::max(1.0, std::abs(sol.objective));
  for (int c = 0; c < b.model.variables(); ++c) {
    out.cost.capex_usd += b.price_col[c] * v[c];
    out.cost.levies_usd += b.levy_col[c] * v[c];
    out.cost.power_usd += b.power_col[c] * v[c];
    out.cost.operations_usd += b.ops_col[c] * v[c];
    out.cost.rental_usd += b.rent_col[c] * v[c];
    out.cost.expected_shortfall_usd += b.short_col[c] * v[c];
  }
  out.cost.power_usd += b.constant_power;
  out.cost.operations_usd += b.constant_ops;
  // Listed by year, then type and site: the order a buyer places them.
  for (int y = 1; y <= Y; ++y)
    for (int t = 0; t < T; ++t)
      for (int s = 0; s < S; ++s) {
        const int c = b.x[t][s][y - 1];
        if (c < 0 || v[c] < 0.5) continue;
        const int nodes = static_cast<int>(std::lround(v[c]));
        out.purchases.push_back({t, s, y, nodes, nodes * p.types[t].node_devices});
      }
  for (int y = 1; y <= Y; ++y)
    for (int t = 0; t < T; ++t) {
      const int c = b.rent[t][y - 1];
      if (c >= 0 && v[c] > 1e-6) out.rentals.push_back({t, y, v[c]});
    }
  // Capacity, use and domestic share per year.
  out.domestic_share_by_year.assign(Y, 0);
  for (int y = 1; y <= Y; ++y) {
    double dom = 0, all = 0;
    for (int t = 0; t < T; ++t) {
      TypeYearUse use;
      use.type = t;
      use.year = y;
      const double nd = p.types[t].node_devices;
      for (int s = 0; s < S; ++s) {
        use.owned_devices += nd * b.existing[t][s];
        for (int z = 1; z <= y; ++z)
          if (b.x[t][s][z - 1] >= 0) use.owned_devices += nd * v[b.x[t][s][z - 1]];
      }
      if (b.rent[t][y - 1] >= 0) use.rented_devices = v[b.rent[t][y - 1]];
      for (int d = 0; d < D; ++d) {
        const int c = b.u[d][t][y - 1];
        if (c >= 0) use.used_devices += v[c] * p.demands[d].devices[t];
      }
      const double cap = (use.owned_devices + use.rented_devices) * share_weight(p, t);
      all += cap;
      if (p.types[t].domestic) dom += cap;
      if (use.owned_devices + use.rented_devices > 0) out.use.push_back(use);
    }
    out.domestic_share_by_year[y - 1] = all > 0 ? dom / all : 0;
  }
  out.domestic_share = Y > 0 ? *std::min_element(out.domestic_share_by_year.begin(),
                                                 out.domestic_share_by_year.end())
                             : 0;
  // PlanAllocation per demand item.
  for (int d = 0; d < D; ++d) {
    DemandOutcome o;
    o.demand = d;
    for (int y = 1; y <= Y; ++y)
      for (int t = 0; t < T; ++t) {
        const int c = b.u[d][t][y - 1];
        const double f = c >= 0 ? v[c] : 0.0;
        if (f > 1e-6) o.allocations.push_back({t, y, f, f * p.demands[d].devices[t]});
      }
    o.worst_shortfall.assign(p.scenarios.size(), 0);
    for (std::size_t kk = 0; kk < b.scenario.size(); ++kk)
      for (int y = 0; y < Y; ++y) {
        const int c = b.short_[kk][d][y];
        if (c >= 0)
          o.worst_shortfall[b.scenario[kk]] = std::max(o.worst_shortfall[b.scenario[kk]], v[c]);
      }
    out.demands.push_back(std::move(o));
  }
  // Capacity is pooled across sites; a gang must still fit in one site.
  for (int d = 0; d < D; ++d) {
    if (!p.demands[d].indivisible) continue;
    for (const PlanAllocation& a : out.demands[d].allocations) {
      if (a.fraction < 0.5) continue;
      double best_site = 0;
      const double nd = p.types[a.type].node_devices;
      for (int s = 0; s < S; ++s) {
        double owned = nd * b.existing[a.type][s];
        for (int z = 1; z <= a.year; ++z)
          if (b.x[a.type][s][z - 1] >= 0) owned += nd * v[b.x[a.type][s][z - 1]];
        best_site = std::max(best_site, owned);
      }
      if (best_site + 1e-9 < a.devices) {
        out.warnings.push_back(fmt::format(
            "{} (year {}): its {:.0f}-device gang on {} spans sites (largest site holds {:.0f})",
            p.demands[d].name, a.year, a.devices, p.types[a.type].id, best_site));
        break;
      }
    }
  }
  // Binding limits: no room left for one more node (for the share: one more
  // foreign node).
  for (const LimitRow& lim : b.limits) {
    const double act = b.model.row_activity(lim.row, v);
    const double slack = lim.lower ? act - b.model.row_lb(lim.row) : b.model.row_ub(lim.row) - act;
    if (slack >= lim.node_unit - 1e-9) continue;
    BindingConstraint bc;
    bc.name = lim.name;
    bc.kind = lim.kind;
    bc.detail = lim.detail;
    bc.limit = lim.limit;
    bc.slack = std::max(0.0, slack);
    bc.unit = lim.unit;
    bc.step = lim.step;
    out.binding.push_back(std::move(bc));
  }
}

}  // namespace

Result<void> validate_problem(const PlanProblem& p) {
  auto bad = [](std::string m) { return fail(ErrorCode::kInvalidArgument, std::move(m)); };
  const std::size_t T = p.types.size();
  if (p.years < 1 || p.years > 50)
    return bad(fmt::format("plan.years: {} is outside 1..50", p.years));
  if (p.discount_rate < 0) return bad("plan.discount_rate: must be >= 0");
  if (p.power_load_factor <= 0 || p.power_load_factor > 1)
    return bad("plan.power_load_factor: must be in (0, 1]");
  if (p.budget_usd && *p.budget_usd < 0) return bad("plan.budget_usd: must be >= 0");
  if (p.policy.domestic_share_min &&
      (*p.policy.domestic_share_min < 0 || *p.policy.domestic_share_min > 1))
    return bad("policy.domestic_share_min: must be within [0, 1]");
  if (T == 0) return bad("no candidate accelerator types");
  if (p.sites.empty()) return bad("no sites");
  for (const PlanType& t : p.types) {
    if (t.node_devices < 1)
      return bad(fmt::format("candidate {}: node_devices must be >= 1", t.id));
    if (t.node_price_usd < 0 || t.levy_fraction < 0 || t.node_power_kw < 0 ||
        t.nodes_per_rack <= 0 || t.rental_usd_per_device_hour < 0 || t.rental_max_devices < 0)
      return bad(fmt::format(
          "candidate {}: negative price, levy, power, rental or non-positive nodes_per_rack",
          t.id));
    if (static_cast<int>(t.supply_cap_devices.size()) != p.years)
      return bad(fmt::format("candidate {}: supply caps for {} years, the plan has {}", t.id,
                             t.supply_cap_devices.size(), p.years));
    for (double c : t.supply_cap_devices)
      if (c < 0) return bad(fmt::format("candidate {}: negative supply cap", t.id));
    for (int s : t.sites)
      if (s < 0 || s >= static_cast<int>(p.sites.size()))
        return bad(fmt::format("candidate {}: bad site index", t.id));
  }
  for (const PlanSite& s : p.sites)
    if (s.power_kw < 0 || s.racks < 0 || s.pue < 1 || s.tariff_usd_per_kwh < 0)
      return bad(
          fmt::format("site {}: power and racks must be >= 0, PUE >= 1, tariff >= 0", s.name));
  for (const ExistingNodes& e : p.existing)
    if (e.type < 0 || e.type >= static_cast<int>(T) || e.site < 0 ||
        e.site >= static_cast<int>(p.sites.size()) || e.nodes < 0)
      return bad("existing: bad type, site or node count");
  for (const PlanDemand& d : p.demands) {
    if (d.devices.size() != T)
      return bad(
          fmt::format("demand {}: devices for {} types, expected {}", d.name, d.devices.size(), T));
    if (d.first_year < 1 || d.last_year > p.years || d.first_year > d.last_year)
      return bad(fmt::format("demand {}: years {}..{} outside the plan's 1..{}", d.name,
                             d.first_year, d.last_year, p.years));
    if (d.shortfall_penalty_usd < 0)
      return bad(fmt::format("demand {}: negative shortfall penalty", d.name));
  }
  if (!p.scenarios.empty()) {
    double sum = 0;
    for (const SupplyScenario& s : p.scenarios) {
      if (s.probability < 0 || s.probability > 1)
        return bad(
            fmt::format("scenario {}: probability {} outside [0, 1]", s.name, s.probability));
      if (s.cut.size() != T)
        return bad(fmt::format("scenario {}: cut flags for {} types, expected {}", s.name,
                               s.cut.size(), T));
      sum += s.probability;
    }
    if (std::abs(sum - 1) > 1e-6)
      return bad(fmt::format("scenario.probability: the probabilities sum to {:.6g}, not 1", sum));
  } else if (p.policy.risk != RiskMode::kNone) {
    return bad("policy.risk: a risk mode needs [[scenario]] entries");
  }
  return {};
}

namespace {

// Each binding limit's marginal price: the plan re-solved with the limit
// moved by its step. False when the solve was cancelled meanwhile.
bool price_binding_limits(const PlanProblem& problem, const Switches& sw,
                          const PlanOptions& options, PlanResult& out) {
  for (BindingConstraint& bc : out.binding) {
    Switches moved_sw = sw;
    moved_sw.move[bc.name] = bc.kind == "domestic-share" ? bc.step / 100 : bc.step;
    const Resolve r = resolve(problem, moved_sw, options, out.solution);
    if (plan_cancelled(options)) return false;
    if (!has_solution(r.solution)) continue;
    // Differences inside the solver's proven gap are noise, not a price.
    const double tolerance = options.relative_gap * (out.objective_usd + r.objective);
    const double saved = out.objective_usd - r.objective;
    bc.marginal_usd_per_unit = std::abs(saved) <= tolerance ? 0.0 : saved / bc.step;
  }
  return true;
}

}  // namespace

Result<PlanResult> solve_plan(const PlanProblem& problem, const PlanOptions& options) {
  SUANLI_TRY(validate_problem(problem));
  const auto start = std::chrono::steady_clock::now();
  PlanResult out;
  Switches sw = default_switches(problem);
  sw.fixed = options.fixed_purchases;
  const Built b = build(problem, sw);
  SUANLI_TRY(check_milp_model(b.model));
  out.variables = b.model.variables();
  out.integer_variables = b.model.integers();
  out.constraints = b.model.constraints();
  auto cancelled = [&] { return fail(ErrorCode::kCancelled, "plan solve cancelled"); };
  if (plan_cancelled(options)) return cancelled();
  const MilpSolution sol = run(b, options, false, /*main_solve=*/true, options.start);
  if (plan_cancelled(options)) return cancelled();
  out.solve_time_s = sol.seconds;
  out.solve_nodes = sol.nodes;
  out.status = to_status(sol);
  if (!has_solution(sol)) {
    out.status = PlanStatus::kInfeasible;
    if (sol.status == MilpStatus::kUnknown)
      out.note = fmt::format(
          "no plan found within the search limits ({} nodes, {:.0f} s; not proven infeasible)",
          options.max_nodes, options.time_limit_s);
    else if (options.explain_infeasible)
      out.conflicts = explain(problem, options);
    if (plan_cancelled(options)) return cancelled();
    out.total_time_s =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return out;
  }
  fill_result(problem, b, sol, out);
  out.solution = sol.values;
  out.note = search_note(sol, options, out.gap);

  if (options.marginal_prices && !price_binding_limits(problem, sw, options, out))
    return cancelled();
  if (options.policy_costs) {
    auto add = [&](std::string name, Text detail, Switches off,
                   std::vector<PolicyCost>* into = nullptr) {
      if (plan_cancelled(options)) return;  // checked after the policies
      const Resolve r = resolve(problem, off, options, out.solution);
      PolicyCost pc;
      pc.policy = std::move(name);
      pc.detail = std::move(detail);
      pc.status_without = to_status(r.solution);
      if (has_solution(r.solution)) {
        pc.objective_without_usd = r.objective;
        pc.delta_usd = out.objective_usd - r.objective;
        pc.delta_pct = r.objective > 0 ? 100 * pc.delta_usd / r.objective : 0;
        pc.tolerance_usd = options.relative_gap * (out.objective_usd + r.objective);
      }
      (into ? *into : out.policy_costs).push_back(std::move(pc));
    };
    if (problem.policy.domestic_share_min) {
      Switches off = sw;
      off.domestic_share = false;
      add("domestic-share",
          Text("domestic share >= {share}% every year",
               {{"share", fmt::format("{:.0f}", *problem.policy.domestic_share_min * 100)}}),
          off);
    }
    bool any_sensitive = false;
    for (const PlanDemand& d : problem.demands) any_sensitive |= d.sensitive;
    if (any_sensitive && problem.policy.sensitive_domestic_only) {
      Switches off = sw;
      off.sensitive = false;
      add("sensitive-on-domestic", Text("sensitive demand only on domestic types"), off);
    }
    bool any_cut = false;
    for (const SupplyScenario& s : problem.scenarios) any_cut |= s.any_cut();
    if (problem.policy.risk != RiskMode::kNone && any_cut) {
      Switches off = sw;
      off.risk = false;
      const char* what =
          problem.policy.risk == RiskMode::kRobust ? "core demand served in every supply scenario"
          : problem.policy.risk == RiskMode::kExpected ? "expected shortfall penalty"
                                                       : "core robustness and expected shortfall";
      add("risk", Text(what), off);
    }
    for (std::size_t t = 0; t < problem.types.size(); ++t) {
      if (problem.types[t].levy_fraction <= 0) continue;
      Switches off = sw;
      off.levy[t] = false;
      add("levy:" + problem.types[t].id,
          Text("{percent}% surcharge on {accelerator}",
               {{"percent", fmt::format("{:.0f}", problem.types[t].levy_fraction * 100)},
                {"accelerator", problem.types[t].id}}),
          off);
    }
    for (std::size_t t = 0; t < problem.types.size(); ++t) {
      const PlanType& ty = problem.types[t];
      if (ty.assumption.empty()) continue;
      Switches off = sw;
      off.assumed[t] = false;
      add("assumption:" + ty.id,
          Text(ty.china_status_confirmed.empty()
                   ? "{accelerator} can be bought although its China status is {status}: "
                     "{assumption}"
                   : "{accelerator} can be bought although its China status is {status} "
                     "(confirmed {date}): {assumption}",
               {{"accelerator", ty.id},
                {"status", ty.china_status},
                {"date", ty.china_status_confirmed},
                {"assumption", ty.assumption}}),
          off, &out.assumption_costs);
    }
    if (plan_cancelled(options)) return cancelled();
  }
  out.total_time_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return out;
}

}  // namespace suanli

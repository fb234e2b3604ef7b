#include "plan/synthetic_plan.h"

#include <cmath>

#include <fmt/format.h>

#include "vocab/rng.h"

namespace suanli {

PlanProblem synthetic_plan(const SyntheticPlanOptions& o) {
  Rng rng(o.seed);
  auto between = [&](double lo, double hi) { return lo + (hi - lo) * rng.uniform(); };
  PlanProblem p;
  p.name = fmt::format("synthetic-{}x{}x{}", o.types, o.sites, o.scenarios);
  p.years = o.years;
  p.discount_rate = 0.08;
  for (int s = 0; s < o.sites; ++s) {
    PlanSite site;
    site.name = fmt::format("site-{}", s);
    site.power_kw = between(8000, 30000);
    site.racks = between(300, 1200);
    site.pue = between(1.15, 1.5);
    site.tariff_usd_per_kwh = between(0.04, 0.1);
    p.sites.push_back(site);
  }
  std::vector<double> speed;
  for (int t = 0; t < o.types; ++t) {
    PlanType ty;
    ty.id = fmt::format("type-{}", t);
    ty.name = ty.id;
    ty.domestic = t % 2 == 1;
    ty.origin = ty.domestic ? "CN" : "US";
    ty.node_devices = t % 5 == 0 ? 16 : 8;
    const double rel = between(0.3, 2.0);  // speed relative to a reference device
    speed.push_back(rel);
    ty.compute_per_device = 500 * rel;
    ty.node_price_usd =
        ty.node_devices * (12000 + 18000 * rel) * between(0.8, 1.3) * (ty.domestic ? 1.0 : 1.2);
    ty.levy_fraction = ty.domestic ? 0 : (t % 4 == 0 ? 0.25 : 0);
    ty.node_power_kw = ty.node_devices * between(0.3, 1.0) * 1.3;
    ty.nodes_per_rack = ty.node_devices == 16 ? 2 : 4;
    const bool capped = t % 3 == 0;
    ty.supply_cap_devices.assign(o.years, capped ? std::round(between(800, 4000)) : kNoLimit);
    if (t % 7 == 0) {
      ty.rental_usd_per_device_hour = between(1.5, 4.0);
      ty.rental_max_devices = 512;
    }
    if (t % 6 == 5) ty.sites = {t % o.sites};
    p.types.push_back(ty);
  }
  auto add_demand = [&](bool training, int i) {
    PlanDemand d;
    d.kind = training ? DemandKind::kTraining : DemandKind::kInference;
    d.name = fmt::format("{}-{}", training ? "train" : "serve", i);
    d.description = Text("{what}", {{"what", d.name}});
    d.tenant = fmt::format("tenant-{}", i % 3);
    d.indivisible = training;
    d.sensitive = !training && i % 4 == 0;
    d.core = i % 2 == 0;
    d.first_year = 1 + static_cast<int>(rng.below(static_cast<std::uint64_t>(o.years)));
    d.last_year = o.years;
    d.shortfall_penalty_usd = between(5e7, 3e8);
    const double base = training ? between(1000, 4000) : between(300, 2500);
    for (int t = 0; t < o.types; ++t) {
      const bool fits = rng.uniform() > 0.1;
      double devices = base / speed[t];
      if (training) {
        const double nd = p.types[t].node_devices;
        devices = nd * std::ceil(devices / nd);
      }
      d.devices.push_back(fits ? std::ceil(devices) : kCannotServe);
      d.why_not.push_back(fits ? "" : "does not fit in memory");
    }
    p.demands.push_back(std::move(d));
  };
  for (int i = 0; i < o.training; ++i) add_demand(true, i);
  for (int i = 0; i < o.inference; ++i) add_demand(false, i);
  // Existing fleet: a few nodes of the first domestic types.
  for (int t = 1; t < std::min(o.types, 6); t += 2) p.existing.push_back({t, t % o.sites, 20});

  double rest = 1.0;
  for (int k = 0; k < o.scenarios; ++k) {
    SupplyScenario sc;
    sc.cut.assign(o.types, false);
    if (k == 0) {
      sc.name = "status-quo";
    } else {
      sc.name = fmt::format("cut-{}", k);
      // Cut one vendor line in three (k-th residue), or every foreign type.
      for (int t = 0; t < o.types; ++t)
        sc.cut[t] = k % 3 == 0 ? !p.types[t].domestic : t % 3 == k % 3;
      sc.from_year = 1 + k % o.years;
      sc.installed_lost = k % 2 == 0;
    }
    sc.probability = k + 1 == o.scenarios ? rest : (k == 0 ? 0.5 : 0.5 / (o.scenarios - 1));
    rest -= sc.probability;
    p.scenarios.push_back(sc);
  }
  p.policy.domestic_share_min = 0.5;
  p.policy.risk = o.scenarios > 0 ? o.risk : RiskMode::kNone;
  double total = 0;
  for (const PlanDemand& d : p.demands) total += d.devices[0] > 0 ? d.devices[0] : 2000;
  p.budget_usd = total * 60000;
  return p;
}

}  // namespace suanli

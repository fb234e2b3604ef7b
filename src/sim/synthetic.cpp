#include "sim/synthetic.h"

#include <cmath>

#include <fmt/format.h>

namespace suanli {

Result<Scenario> synthetic_scenario(const Catalog& catalog, const SyntheticOptions& o) {
  if (o.devices < 384 || o.jobs < 1 || !(o.offered_load > 0))
    return fail(ErrorCode::kInvalidArgument,
                "synthetic scenario: at least 384 devices, one job and a positive load");
  Scenario s;
  s.name = fmt::format("synthetic-{}-devices-{}-jobs", o.devices, o.jobs);
  s.seed = o.seed;
  const SiteId site = s.fleet.add_site(Site{"hub", "synthetic"});
  struct Share {
    const char* id;
    double fraction;
    int domain;
    double mtbf;
  };
  const Share shares[] = {{"h200-sxm", 0.15, 8, 4000},
                          {"h20", 0.15, 8, 4000},
                          {"ascend-910b", 0.25, 8, 2500},
                          {"ascend-910c", 0.30, 384, 1500},
                          {"mlu590", 0.15, 8, 2000}};
  for (const Share& sh : shares) {
    auto a = catalog.accelerator(sh.id);
    if (!a) return std::unexpected(a.error());
    AcceleratorType t = accelerator_type(**a);
    if (o.failures) {
      t.mtbf_hours = sh.mtbf;
      t.mttr_hours = 12;
    }
    const TypeId id = s.fleet.add_type(t);
    NodePool pool;
    pool.site = site;
    pool.type = id;
    pool.devices_per_node = 8;
    pool.scale_up_domain = sh.domain;
    const int per_domain = sh.domain / 8;
    pool.nodes = static_cast<int>(o.devices * sh.fraction / 8) / per_domain * per_domain;
    auto added = s.fleet.add_pool(pool);
    if (!added) return std::unexpected(added.error());
    s.pools.push_back(pool);
  }
  s.tenants = {Tenant{"public", 1}, Tenant{"sensitive", 1}};
  if (o.rules) {
    Rule origin;
    origin.id = "sensitive-on-domestic";
    origin.kind = RuleKind::kSensitivityOrigin;
    origin.min_sensitivity = Sensitivity::kConfidential;
    origin.origins = {"CN"};
    Rule share;
    share.id = "domestic-50";
    share.kind = RuleKind::kDomesticShare;
    share.min_share = 0.5;
    s.rules = {origin, share};
  }
  s.scheduler.queue = QueuePolicy::kFifo;
  s.scheduler.placement = PlacementKind::kHetero;
  s.scheduler.restart_overhead_s = 300;
  s.simulation.sample_interval_s = 3600;

  // Templates: sizes and reference hours; mean device-hours per job sets the rate.
  struct Kind {
    const char* name;
    double weight;
    std::vector<int> devices;
    double h_min, h_max;
    JobKind kind;
  };
  const Kind kinds[] = {{"pod", 0.45, {1, 2, 4}, 0.1, 4, JobKind::kBatch},
                        {"node", 0.35, {8}, 0.2, 8, JobKind::kFineTune},
                        {"gang", 0.15, {16, 32}, 0.5, 12, JobKind::kTraining},
                        {"big", 0.05, {64}, 1, 24, JobKind::kTraining}};
  double device_hours = 0;
  for (const Kind& k : kinds) {
    double devs = 0;
    for (int d : k.devices) devs += d;
    devs /= static_cast<double>(k.devices.size());
    // Log-uniform mean: (max - min) / ln(max / min); H100-hours run ~1-3x longer elsewhere.
    const double mean_h = (k.h_max - k.h_min) / std::log(k.h_max / k.h_min);
    device_hours += k.weight * devs * mean_h * 1.6;
  }
  const double fleet_devices = static_cast<double>(s.fleet.nodes().size()) * 8;
  const double rate = o.offered_load * fleet_devices / device_hours;
  for (int tenant = 0; tenant < 2; ++tenant) {
    Generator g;
    g.tenant = TenantId{tenant};
    const double part = tenant == 0 ? 0.8 : 0.2;
    g.rate_per_hour = rate * part;
    g.count = static_cast<int>(o.jobs * part);
    if (tenant == 0) g.count = o.jobs - static_cast<int>(o.jobs * 0.2);
    for (const Kind& k : kinds) {
      JobTemplate t;
      t.name = fmt::format("{}-{}", s.tenants[static_cast<std::size_t>(tenant)].name, k.name);
      t.weight = k.weight;
      t.kind = k.kind;
      t.devices = k.devices;
      t.sensitivity = tenant == 0 ? Sensitivity::kPublic : Sensitivity::kConfidential;
      t.work.reference = "h100-sxm";
      t.work.reference_hours = SampleRange{k.h_min, k.h_max, true};
      t.checkpoint_interval_s = 1800;
      t.defined_at = "synthetic";
      g.templates.push_back(std::move(t));
    }
    g.defined_at = "synthetic";
    s.generators.push_back(std::move(g));
  }
  return s;
}

}  // namespace suanli

// A synthetic scenario of any size, for benchmarks and scale tests: a fleet
// of five accelerator types (H200, H20, Ascend 910B, 910C in 384-NPU
// domains, MLU590) and Poisson arrivals of jobs from one device to 64-device
// gangs, with work given in reference (H100) hours so no estimator search
// runs per job. The arrival rate targets a given offered load.
#pragma once

#include "catalog/catalog.h"
#include "sim/scenario.h"

namespace suanli {

struct SyntheticOptions {
  int devices = 100000;
  int jobs = 1000000;
  double offered_load = 0.7;  // device-hours asked per device-hour of fleet
  bool failures = true;
  bool rules = true;  // sensitivity, 50% domestic share, a drain
  std::uint64_t seed = 1;
};

Result<Scenario> synthetic_scenario(const Catalog& catalog, const SyntheticOptions& options);

}  // namespace suanli

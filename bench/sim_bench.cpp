// The simulator at scale (issue 3 goal: 100,000 devices and 1,000,000 jobs
// in under 60 s), with events per second. A 10,000-device / 100,000-job run
// of the same scenario is the baseline measured in the same run, so the
// ratio shows how the cost grows with size.
#include <benchmark/benchmark.h>

#include <utility>

#include "bundled_catalog.h"
#include "catalog/catalog.h"
#include "sim/simulation.h"
#include "sim/synthetic.h"

namespace suanli {
namespace {

using bench::bundled_catalog;

void simulate(benchmark::State& state, int devices, int jobs, PlacementKind placement) {
  const Catalog* catalog = bundled_catalog();
  if (catalog == nullptr) {
    state.SkipWithError("bundled catalog did not load");
    return;
  }
  SyntheticOptions o;
  o.devices = devices;
  o.jobs = jobs;
  auto scenario = synthetic_scenario(*catalog, o);
  if (!scenario) {
    state.SkipWithError(scenario.error().message.c_str());
    return;
  }
  long long events = 0;
  double sim_seconds = 0;
  SimulationResult last;
  for (auto _ : state) {
    RunOptions ro;
    ro.placement = placement;
    auto sim = Simulation::create(*scenario, *catalog, ro);
    if (!sim) {
      state.SkipWithError(sim.error().message.c_str());
      return;
    }
    auto r = sim->run();
    if (!r) {
      state.SkipWithError(r.error().message.c_str());
      return;
    }
    events += r->sim_events;
    sim_seconds += r->wall_time_s;
    last = std::move(*r);
  }
  state.counters["events"] = static_cast<double>(last.sim_events);
  state.counters["events_per_s"] = static_cast<double>(events) / sim_seconds;
  state.counters["jobs_completed"] = last.jobs_completed;
  state.counters["jct_mean_h"] = last.jct_s.mean / 3600;
  state.counters["makespan_h"] = last.makespan_s / 3600;
  state.counters["wall_s"] = last.wall_time_s;
}

void BM_SimulateBaseline10kDevices100kJobs(benchmark::State& state) {
  simulate(state, 10000, 100000, PlacementKind::kHetero);
}
BENCHMARK(BM_SimulateBaseline10kDevices100kJobs)->Unit(benchmark::kSecond)->Iterations(1);

void BM_Simulate100kDevices1MJobs(benchmark::State& state) {
  simulate(state, 100000, 1000000, PlacementKind::kHetero);
}
BENCHMARK(BM_Simulate100kDevices1MJobs)->Unit(benchmark::kSecond)->Iterations(1);

void BM_Simulate100kDevices1MJobsBestFit(benchmark::State& state) {
  simulate(state, 100000, 1000000, PlacementKind::kBestFit);
}
BENCHMARK(BM_Simulate100kDevices1MJobsBestFit)->Unit(benchmark::kSecond)->Iterations(1);

}  // namespace
}  // namespace suanli

// Estimator benchmarks: one training estimate, a full parallelism search for
// gpt3-175b on 1,024 devices, one inference estimate, and the whole
// leave-one-source-out cross-validation. Goals (issue 14): a single
// training estimate under 1 us and a full search (>= 10,000 candidates)
// under 10 ms, each beside the baseline measured in the same run.
#include <benchmark/benchmark.h>

#include <chrono>
#include <cstdlib>

#include "catalog/catalog.h"
#include "perf/fit.h"
#include "perf/infer.h"
#include "perf/train.h"

namespace suanli {
namespace {

const Catalog& catalog() {
  static const Catalog c = [] {
    CatalogOptions o;
    o.directories = Catalog::default_directories();
    auto r = Catalog::load(o);
    if (!r) {
      std::fprintf(stderr, "catalog: %s\n", r.error().message.c_str());
      std::abort();
    }
    return *r;
  }();
  return c;
}

TrainModel make_model(int devices) {
  const Catalog& c = catalog();
  const Accelerator& a = **c.accelerator("a100-sxm-80g");
  TrainWorkload w;
  w.model = **c.model("gpt3-175b");
  w.seq = 2048;
  w.global_batch = 1536;
  w.stack = c.default_stack();
  auto dev = make_device_model(a, c.profile_for(a), Precision::kBf16);
  return *TrainModel::create(w, *dev, devices);
}

void BM_TrainEstimateSingle(benchmark::State& state) {
  const TrainModel m = make_model(1024);
  Parallelism p;
  p.tp = 8;
  p.pp = 8;
  p.dp = 16;
  p.vpp = 2;
  p.micro_batch = 1;
  p.sequence_parallel = true;
  for (auto _ : state) {
    auto e = m.evaluate(p);
    benchmark::DoNotOptimize(e);
  }
}
BENCHMARK(BM_TrainEstimateSingle);

// Baseline measured in the same run: the cost of one full evaluation, so
// that the search can be reported as a ratio against "evaluate every
// candidate fully" (the search checks memory first and skips the rest of
// the model for configurations that do not fit).
double single_evaluation_seconds(const TrainModel& m) {
  Parallelism p;
  p.tp = 8;
  p.pp = 8;
  p.dp = 16;
  p.vpp = 2;
  p.sequence_parallel = true;
  constexpr int kReps = 200000;
  const auto start = std::chrono::steady_clock::now();
  double sink = 0;
  for (int i = 0; i < kReps; ++i) {
    p.micro_batch = 1 + (i & 1);
    sink += m.evaluate(p).step_time_s;
  }
  benchmark::DoNotOptimize(sink);
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() / kReps;
}

void BM_TrainSearchGpt3On1024(benchmark::State& state) {
  const TrainModel m = make_model(1024);
  const double baseline = single_evaluation_seconds(m);
  long long candidates = 0;
  const auto start = std::chrono::steady_clock::now();
  for (auto _ : state) {
    auto r = search_train(m, ParallelismRequest{});
    candidates = r ? r->candidates : 0;
    benchmark::DoNotOptimize(r);
  }
  const double per_search =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() /
      static_cast<double>(state.iterations());
  state.counters["candidates"] = static_cast<double>(candidates);
  state.counters["single_eval_ns"] = baseline * 1e9;
  // < 1: the search is cheaper than fully evaluating every candidate.
  state.counters["vs_full_eval_each"] = per_search / (baseline * static_cast<double>(candidates));
  state.counters["us_per_candidate"] = benchmark::Counter(
      static_cast<double>(candidates) * state.iterations(),
      benchmark::Counter::kIsRate | benchmark::Counter::kInvert, benchmark::Counter::kIs1000);
}
BENCHMARK(BM_TrainSearchGpt3On1024)->Unit(benchmark::kMillisecond);

void BM_InferEstimate(benchmark::State& state) {
  const Catalog& c = catalog();
  const Accelerator& a = **c.accelerator("h20");
  InferWorkload w;
  w.model = **c.model("llama3-70b");
  w.input_len = 2048;
  w.output_len = 512;
  w.tpot_slo_s = 0.05;
  for (auto _ : state) {
    auto m = InferModel::create(w, a, c.profile_for(a), 8, InferLayout{8, 1, 1, 1});
    auto e = m->evaluate();
    benchmark::DoNotOptimize(e);
  }
}
BENCHMARK(BM_InferEstimate)->Unit(benchmark::kMicrosecond);

// Every fitted constant refitted once per held-out source (42 folds over
// ~380 rows): the cost of `suanli validate --cross-validate`.
void BM_CrossValidation(benchmark::State& state) {
  auto rows = load_measurements(Catalog::default_directories().front() / "validation", catalog());
  if (!rows) {
    state.SkipWithError(rows.error().message.c_str());
    return;
  }
  int counted = 0;
  for (auto _ : state) {
    const CrossValidation cv = cross_validate(catalog(), *rows);
    counted = cv.counted;
    benchmark::DoNotOptimize(cv.median_abs);
  }
  state.counters["rows"] = counted;
}
BENCHMARK(BM_CrossValidation)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace suanli

BENCHMARK_MAIN();

// Command-line flags that describe a workload, shared by `estimate` and
// `compare`, and their translation into core-library workloads.
#pragma once

#include <optional>
#include <string>

#include "catalog/catalog.h"
#include "perf/infer.h"
#include "perf/train.h"

namespace CLI {  // NOLINT(readability-identifier-naming): CLI11's namespace
class App;
}

namespace suanli::app {

struct TrainFlags {
  std::string model;
  int layers = 0, hidden = 0, heads = 0, kv_heads = 0, ffn = 0, vocab = 0;
  int experts = 0, top_k = 0;
  std::string mlp = "swiglu";
  std::optional<int> seq;
  std::optional<long long> global_batch;
  std::string precision = "bf16";
  double tokens = 0;
  bool uneven_pipeline = false;
  std::string stack;
  // Parallelism (unset: searched).
  std::optional<int> tp, pp, dp, ep, cp, vpp, micro_batch, zero;
  std::string recompute;
  bool sequence_parallel = false;
};

struct InferFlags {
  std::string model;
  std::string precision = "bf16";
  std::string kv_precision = "bf16";
  int input_len = 0;
  int output_len = 0;
  std::optional<int> batch;
  std::optional<double> tpot_slo_ms;
  std::optional<double> ttft_slo_ms;
  std::optional<int> tp, ep;
  bool disaggregated = false;
};

// `with_parallelism`: also add --tp/--pp/... (estimate); compare searches.
void add_train_flags(CLI::App* cmd, TrainFlags& f, bool with_parallelism);
void add_infer_flags(CLI::App* cmd, InferFlags& f, bool with_layout);

Result<TrainWorkload> make_train_workload(const Catalog& catalog, const TrainFlags& f);
ParallelismRequest make_parallelism_request(const TrainFlags& f);
Result<InferWorkload> make_infer_workload(const Catalog& catalog, const InferFlags& f);

// Formatting helpers shared by the text reports.
std::string human_count(double v);    // 1.23M, 456k
std::string human_seconds(double s);  // 12.3 ms, 4.5 s, 3.2 h

}  // namespace suanli::app

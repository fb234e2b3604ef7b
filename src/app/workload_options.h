// Command-line flags that describe a workload, shared by `estimate` and
// `compare`, added from the field tables the HTTP API also decodes with
// (perf/workload_fields.h); their translation into core workloads is in
// perf/workload_request.h.
#pragma once

#include <optional>
#include <string>

#include "catalog/catalog.h"
#include "perf/workload_request.h"

namespace CLI {  // NOLINT(readability-identifier-naming): CLI11's namespace
class App;
}

namespace suanli::app {

// The flags fill the core's plain request structs (perf/workload_request.h).
using TrainFlags = TrainRequest;
using InferFlags = InferRequest;

// `with_parallelism`: also add --tp/--pp/... (estimate); compare searches.
void add_train_flags(CLI::App* cmd, TrainFlags& f, bool with_parallelism);
void add_infer_flags(CLI::App* cmd, InferFlags& f, bool with_layout);

// Formatting helpers shared by the text reports.
std::string human_count(double v);    // 1.23M, 456k
std::string human_seconds(double s);  // 12.3 ms, 4.5 s, 3.2 h

}  // namespace suanli::app

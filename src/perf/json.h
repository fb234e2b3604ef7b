// JSON views of estimates, shared by the CLI and (later) the HTTP service so
// both print the same keys.
#pragma once

#include <nlohmann/json.hpp>
#include <vector>

#include "perf/compare.h"
#include "perf/infer.h"
#include "perf/train.h"

namespace suanli {

nlohmann::json parallelism_json(const Parallelism& p);
// Full training estimate: the keys of the `estimate train --json` contract.
nlohmann::json train_json(const TrainEstimate& e, const TrainModel& model,
                          const std::vector<std::string>& searched, long long candidates);
nlohmann::json infer_json(const InferEstimate& e, const InferWorkload& w, const DeviceModel& dev,
                          const std::vector<std::string>& searched);

// The "interval" object: {"step_time_s": {"p10", "p50", "p90"}, …,
// "basis": {"residual": {…} | null, "contributors": [...], "dominant", "summary"}}.
nlohmann::json interval_json(const TrainInterval& iv);
nlohmann::json interval_json(const InferInterval& iv);

// `compare train|infer --json`: {"workload", "baseline", "rows"}.
nlohmann::json compare_train_json(const TrainWorkload& w, const std::vector<TrainCompareRow>& rows);
nlohmann::json compare_infer_json(const InferWorkload& w, const std::vector<InferCompareRow>& rows);

}  // namespace suanli

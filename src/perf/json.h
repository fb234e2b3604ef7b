// JSON views of estimates, shared by the CLI and (later) the HTTP service so
// both print the same keys.
#pragma once

#include <nlohmann/json.hpp>
#include <vector>

#include "perf/infer.h"
#include "perf/train.h"

namespace suanli {

nlohmann::json parallelism_json(const Parallelism& p);
// Full training estimate: the keys of the `estimate train --json` contract.
nlohmann::json train_json(const TrainEstimate& e, const TrainModel& model,
                          const std::vector<std::string>& searched, long long candidates);
nlohmann::json infer_json(const InferEstimate& e, const InferWorkload& w, const DeviceModel& dev,
                          const std::vector<std::string>& searched);

}  // namespace suanli

// Analytical inference model (Pope et al. 2022; vLLM/TensorRT-LLM practice):
// prefill is compute-bound, decode reads every active weight and the KV
// cache once per step; batch is capped by KV-cache memory and by a TPOT SLO.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "catalog/catalog.h"
#include "perf/device.h"
#include "util/error.h"

namespace suanli {

struct InferWorkload {
  ModelArch model;
  Precision precision = Precision::kBf16;  // weights and GEMMs: bf16, fp8, int8 (W8A8), fp4
  int input_len = 0;
  int output_len = 0;
  std::optional<int> batch;          // fixed concurrent sequences per instance
  std::optional<double> tpot_slo_s;  // cap the batch so TPOT stays under this
  std::optional<double> ttft_slo_s;
  Precision kv_precision = Precision::kBf16;
  // Prefill runs on separate instances (DeepSeek, CloudMatrix, Dynamo):
  // decode steps are not interrupted, and the devices counted are the
  // decode devices only.
  bool disaggregated = false;
  // Resolve `precision` per chip: FP8 where the chip has it, else INT8
  // (W8A8), else BF16 — how mixed fleets are actually served.
  bool auto_precision = false;
};

// The weight/GEMM precision used on `accel` for `w` (auto_precision resolved).
Precision resolve_precision(const InferWorkload& w, const Accelerator& accel);

// One serving instance spans `instance_devices` devices: attention and dense
// layers use TP = tp (replicated instance_devices/tp times, "DP attention"),
// routed experts are spread over all instance devices (EP).
struct InferLayout {
  int tp = 1;
  int ep = 1;  // = instance_devices for MoE models, 1 for dense
  int instance_devices = 1;
  int instances = 1;
};

struct InferEstimate {
  InferLayout layout;
  int batch = 0;      // concurrent sequences per instance
  int max_batch = 0;  // what KV-cache memory allows
  double ttft_s = 0;
  double tpot_s = 0;               // per output token, incl. prefill interference
  double decode_step_s = 0;        // one decode iteration alone
  double prefill_s = 0;            // one prompt's prefill on an idle instance
  double output_tokens_per_s = 0;  // all devices
  double output_tokens_per_s_per_device = 0;
  double input_tokens_per_s = 0;
  double kv_cache_gb = 0;  // per device at this batch
  double weights_gb = 0;   // per device
  double memory_per_device_gb = 0;
  double memory_usable_gb = 0;
  bool fits = false;
  std::string why_not;
  // Decode at this batch: time reading bytes vs doing FLOPs.
  double decode_memory_s = 0;
  double decode_compute_s = 0;
  double decode_comm_s = 0;
  std::string bound;                              // "memory-bandwidth" or "compute"
  double cost_per_million_output_tokens_usd = 0;  // 0 when no price is known
};

class InferModel {
 public:
  // Checks precision support (FP8 on a chip without FP8 is an error) and
  // the layout against the model.
  static Result<InferModel> create(const InferWorkload& workload, const Accelerator& accel,
                                   const EfficiencyProfile& profile, int devices,
                                   const InferLayout& layout);

  // Estimate at a given batch (0: choose from SLO / memory).
  InferEstimate evaluate() const;
  InferEstimate at_batch(int batch) const;

  const DeviceModel& device() const { return dev_; }

 private:
  // Parameters outside the routed experts (attention, dense MLPs, shared
  // experts, routers, embeddings + output layer) and in all routed experts.
  struct ParamSplit {
    double dense = 0;
    double experts = 0;
    int moe_layers = 0;
  };
  ParamSplit split_params() const;
  double decode_step(int batch, double* mem_s, double* compute_s, double* comm_s) const;
  double prefill_time() const;
  double kv_bytes_per_token_device() const;

  InferWorkload w_;
  DeviceModel dev_;
  InferLayout layout_;
  ParamCount params_;
  double weight_bytes_ = 1;
  double weights_per_device_ = 0;
  int max_batch_ = 0;
};

struct InferSearchResult {
  InferEstimate best;
  int layouts_tried = 0;
  std::vector<std::string> searched;
};

// Tries every TP (and EP for MoE) layout not fixed by the caller; keeps the
// highest throughput that fits and meets the SLOs.
Result<InferSearchResult> search_infer(const InferWorkload& workload, const Accelerator& accel,
                                       const EfficiencyProfile& profile, int devices,
                                       std::optional<int> tp, std::optional<int> ep);

}  // namespace suanli

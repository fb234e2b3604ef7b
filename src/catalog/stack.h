// A training software stack (data/stacks/*.toml): which features exist and
// what it overlaps. Measurements were taken on a specific stack (Megatron-LM
// in 2021 had no flash attention, no sequence parallelism and no gradient
// overlap); users estimate on the stack they will run. Hardware efficiency
// lives in EfficiencyProfile, software behaviour here.
#pragma once

#include <string>

namespace suanli {

struct SoftwareStack {
  std::string id = "megatron-core";
  std::string source = "built-in default";
  std::string confidence = "secondary";
  // false: attention scores are materialised (s x s softmax in memory).
  bool flash_attention = true;
  bool sequence_parallel = true;    // SP available with TP
  bool selective_recompute = true;  // selective activation recompute available
  bool context_parallel = true;
  bool interleaved_pipeline = true;
  bool distributed_optimizer = true;  // ZeRO-1 style sharding available
  // Fractions of each communication hidden behind compute.
  double tp_overlap_fraction = 0.0;
  double dp_overlap_fraction = 1.0;  // of the last micro-batch's backward/forward
  double pp_overlap_fraction = 0.0;
  double ep_overlap_fraction = 0.0;
  // ZeRO-3 / FSDP: separate parameter all-gathers per layer and pass (1 for
  // one flat buffer per layer; DeepSpeed 2021 gathered each tensor).
  int zero3_gathers_per_layer = 1;
  // Bytes per gradient element in the data-parallel reduction.
  double grad_reduce_bytes = 4.0;
  std::string defined_at;
};

}  // namespace suanli

// Tiny hand-built clusters and pods for the placement-policy tests.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "sched/cluster.h"
#include "sched/openb_trace.h"
#include "sched/policy.h"

namespace suanli::testing {

// A node with ample memory; `model` only when it has GPUs.
inline OpenbNode node(const std::string& name, std::int64_t cpu, int gpus,
                      const std::string& model) {
  return OpenbNode{name, cpu, 1 << 20, gpus, gpus > 0 ? model : ""};
}

inline PodRequest pod(std::int64_t cpu, int num_gpu, int gpu_milli) {
  PodRequest p;
  p.cpu_milli = cpu;
  p.memory_mib = 1024;
  p.num_gpu = num_gpu;
  p.gpu_milli = gpu_milli;
  return p;
}

// Half the pods want a whole GPU, half want 500 milli; both 1 core.
inline std::vector<TypicalPod> half_whole_half_half() {
  return {TypicalPod{pod(1000, 1, 1000), 0.5}, TypicalPod{pod(1000, 1, 500), 0.5}};
}

}  // namespace suanli::testing

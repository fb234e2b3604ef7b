// Tiny hand-built clusters and pods for the placement-policy tests.
#pragma once

#include <cstdint>
#include <string>

#include "sched/cluster.h"
#include "sched/openb_trace.h"

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

}  // namespace suanli::testing

// Readers for Alibaba's openb GPU-cluster trace (clusterdata
// cluster-trace-gpu-v2023): the node list (sn,cpu_milli,memory_mib,gpu,model)
// and the pod lists, either 11 columns (name,cpu_milli,memory_mib,num_gpu,
// gpu_milli,gpu_spec,qos,pod_phase,creation_time,deletion_time,
// scheduled_time) or 5 columns (the multigpu* files). Bad rows are errors
// naming "file:line: column: what was expected", or are skipped and counted
// with ReadOptions::skip_bad_rows.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "util/error.h"

namespace suanli {

struct OpenbNode {
  std::string name;
  std::int64_t cpu_milli = 0;
  std::int64_t memory_mib = 0;
  int gpu_count = 0;
  std::string gpu_model;  // empty for a CPU-only node
};

struct OpenbPod {
  std::string name;
  std::int64_t cpu_milli = 0;
  std::int64_t memory_mib = 0;
  int num_gpu = 0;
  std::int64_t gpu_milli = 0;  // per GPU: < 1000 only for a one-GPU sharing pod
  std::string gpu_spec;        // "" or "V100M16|V100M32": allowed GPU models
  // Seconds (11-column files only; absent when empty or "nan").
  std::optional<std::int64_t> creation_time;
  std::optional<std::int64_t> deletion_time;
  std::optional<std::int64_t> scheduled_time;
};

struct ReadOptions {
  // Skip malformed data rows (counted in skipped_rows) instead of failing.
  bool skip_bad_rows = false;
};

struct OpenbNodeList {
  std::vector<OpenbNode> nodes;
  int skipped_rows = 0;
};

struct OpenbPodList {
  std::vector<OpenbPod> pods;
  int skipped_rows = 0;
};

Result<OpenbNodeList> read_openb_nodes(const std::filesystem::path& file,
                                       const ReadOptions& options = {});

// known_gpu_models: the models a gpu_spec may name (usually those of the
// node list); a model outside it is a bad row. Empty: any model is accepted.
Result<OpenbPodList> read_openb_pods(const std::filesystem::path& file,
                                     const std::vector<std::string>& known_gpu_models,
                                     const ReadOptions& options = {});

// The same readers over text already in memory (`file` names it in messages).
Result<OpenbNodeList> parse_openb_nodes(std::string_view text, const std::filesystem::path& file,
                                        const ReadOptions& options = {});
Result<OpenbPodList> parse_openb_pods(std::string_view text, const std::filesystem::path& file,
                                      const std::vector<std::string>& known_gpu_models,
                                      const ReadOptions& options = {});

// Where the Alibaba openb trace is: $SUANLI_TRACES (the traces folder or the
// alibaba-gpu-v2023 folder itself), else `fallback_traces_dir`/
// alibaba-gpu-v2023. Empty when neither holds the node list.
std::filesystem::path find_openb_trace_dir(const std::filesystem::path& fallback_traces_dir);

// The distinct GPU models of a node list, sorted.
std::vector<std::string> gpu_models_of(const std::vector<OpenbNode>& nodes);

}  // namespace suanli

#include "sched/openb_trace.h"

#include <cstdlib>

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <fstream>
#include <set>
#include <sstream>
#include <string_view>

#include "util/strings.h"

namespace suanli {

namespace {

constexpr int kMaxGpusPerNode = 8;
constexpr std::int64_t kMilli = 1000;

std::vector<std::string> node_header() { return {"sn", "cpu_milli", "memory_mib", "gpu", "model"}; }

std::vector<std::string> pod_header_long() {
  return {"name", "cpu_milli", "memory_mib",    "num_gpu",       "gpu_milli",     "gpu_spec",
          "qos",  "pod_phase", "creation_time", "deletion_time", "scheduled_time"};
}

// A row-level failure: the column it concerns and what was expected.
struct RowError {
  std::string message;
};

std::string_view trim_cr(std::string_view s) {
  while (!s.empty() && (s.back() == '\r' || s.back() == '\n')) s.remove_suffix(1);
  return s;
}

std::vector<std::string_view> split_csv_line(std::string_view line) {
  std::vector<std::string_view> out;
  std::size_t start = 0;
  while (true) {
    const std::size_t comma = line.find(',', start);
    if (comma == std::string_view::npos) {
      out.push_back(line.substr(start));
      break;
    }
    out.push_back(line.substr(start, comma - start));
    start = comma + 1;
  }
  return out;
}

bool is_nan_text(std::string_view s) { return s.empty() || s == "nan" || s == "NaN"; }

// Parses a non-negative integer field; a failure names the column.
std::expected<std::int64_t, RowError> parse_count(std::string_view text, std::string_view column) {
  std::int64_t value = 0;
  const char* first = text.data();
  const char* last = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(first, last, value);
  if (text.empty() || ec != std::errc() || ptr != last) {
    return std::unexpected(
        RowError{fmt::format("{}: expected a non-negative integer, got '{}'", column, text)});
  }
  if (value < 0) {
    return std::unexpected(
        RowError{fmt::format("{}: expected a non-negative integer, got {}", column, value)});
  }
  return value;
}

// Reads every line of a stream.
std::vector<std::string> read_lines(std::istream& in) {
  std::vector<std::string> lines;
  std::string line;
  while (std::getline(in, line)) lines.push_back(line);
  return lines;
}

// Reads every line of a file; fails with kIo when it cannot be opened.
Result<std::vector<std::string>> read_lines(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return fail(ErrorCode::kIo, fmt::format("{}: cannot open file", file.string()));
  return read_lines(in);
}

Result<std::vector<std::string>> split_lines(std::string_view text) {
  std::istringstream in{std::string(text)};
  return read_lines(in);
}

Error row_error(const std::filesystem::path& file, std::size_t line_no, const RowError& e) {
  return Error{ErrorCode::kParse, fmt::format("{}:{}: {}", file.string(), line_no, e.message)};
}

std::expected<OpenbNode, RowError> parse_node(const std::vector<std::string_view>& f) {
  OpenbNode n;
  n.name = std::string(f[0]);
  if (n.name.empty()) return std::unexpected(RowError{"sn: expected a node name, got ''"});
  auto cpu = parse_count(f[1], "cpu_milli");
  if (!cpu) return std::unexpected(cpu.error());
  auto mem = parse_count(f[2], "memory_mib");
  if (!mem) return std::unexpected(mem.error());
  auto gpu = parse_count(f[3], "gpu");
  if (!gpu) return std::unexpected(gpu.error());
  if (*gpu > kMaxGpusPerNode) {
    return std::unexpected(
        RowError{fmt::format("gpu: expected 0 to {} GPUs, got {}", kMaxGpusPerNode, *gpu)});
  }
  n.cpu_milli = *cpu;
  n.memory_mib = *mem;
  n.gpu_count = static_cast<int>(*gpu);
  if (!is_nan_text(f[4])) n.gpu_model = std::string(f[4]);
  if (n.gpu_count > 0 && n.gpu_model.empty()) {
    return std::unexpected(RowError{"model: expected a GPU model for a node with GPUs, got ''"});
  }
  if (n.gpu_model.find('|') != std::string::npos) {
    return std::unexpected(
        RowError{fmt::format("model: expected one GPU model, got '{}'", n.gpu_model)});
  }
  return n;
}

std::expected<OpenbPod, RowError> parse_pod(const std::vector<std::string_view>& f,
                                            const std::set<std::string>& known_models) {
  OpenbPod p;
  p.name = std::string(f[0]);
  if (p.name.empty()) return std::unexpected(RowError{"name: expected a pod name, got ''"});
  auto cpu = parse_count(f[1], "cpu_milli");
  if (!cpu) return std::unexpected(cpu.error());
  auto mem = parse_count(f[2], "memory_mib");
  if (!mem) return std::unexpected(mem.error());
  auto num = parse_count(f[3], "num_gpu");
  if (!num) return std::unexpected(num.error());
  auto milli = parse_count(f[4], "gpu_milli");
  if (!milli) return std::unexpected(milli.error());
  if (*num > kMaxGpusPerNode) {
    return std::unexpected(
        RowError{fmt::format("num_gpu: expected 0 to {} GPUs, got {}", kMaxGpusPerNode, *num)});
  }
  if (*num == 0 && *milli != 0) {
    return std::unexpected(
        RowError{fmt::format("gpu_milli: expected 0 for a pod without GPUs, got {}", *milli)});
  }
  if (*num == 1 && (*milli < 1 || *milli > kMilli)) {
    return std::unexpected(
        RowError{fmt::format("gpu_milli: expected 1 to 1000 for a one-GPU pod, got {}", *milli)});
  }
  if (*num > 1 && *milli != kMilli) {
    return std::unexpected(RowError{
        fmt::format("gpu_milli: expected 1000 for a pod with {} GPUs, got {}", *num, *milli)});
  }
  p.cpu_milli = *cpu;
  p.memory_mib = *mem;
  p.num_gpu = static_cast<int>(*num);
  p.gpu_milli = *milli;
  if (f.size() > 5 && !is_nan_text(f[5])) {
    p.gpu_spec = std::string(f[5]);
    for (const auto& model : split(p.gpu_spec, '|')) {
      if (model.empty()) {
        return std::unexpected(RowError{
            fmt::format("gpu_spec: expected GPU models separated by '|', got '{}'", p.gpu_spec)});
      }
      if (!known_models.empty() && !known_models.contains(model)) {
        std::vector<std::string> candidates(known_models.begin(), known_models.end());
        return std::unexpected(RowError{
            fmt::format("gpu_spec: {}", unknown_id_message("GPU model", model, candidates))});
      }
    }
  }
  if (f.size() >= 11) {
    constexpr std::array<const char*, 3> kTimeColumns{"creation_time", "deletion_time",
                                                      "scheduled_time"};
    std::array<std::optional<std::int64_t>*, 3> out{&p.creation_time, &p.deletion_time,
                                                    &p.scheduled_time};
    for (std::size_t k = 0; k < 3; ++k) {
      if (f[8 + k].empty() || is_nan_text(f[8 + k])) continue;
      auto v = parse_count(f[8 + k], kTimeColumns[k]);
      if (!v) return std::unexpected(v.error());
      *out[k] = *v;
    }
  }
  return p;
}

std::string header_text(const std::vector<std::string>& h) { return join(h, ","); }

Result<OpenbNodeList> parse_nodes(Result<std::vector<std::string>> lines,
                                  const std::filesystem::path& file, const ReadOptions& options);
Result<OpenbPodList> parse_pods(Result<std::vector<std::string>> lines,
                                const std::filesystem::path& file,
                                const std::vector<std::string>& known_gpu_models,
                                const ReadOptions& options);

}  // namespace

Result<OpenbNodeList> read_openb_nodes(const std::filesystem::path& file,
                                       const ReadOptions& options) {
  return parse_nodes(read_lines(file), file, options);
}

Result<OpenbNodeList> parse_openb_nodes(std::string_view text, const std::filesystem::path& file,
                                        const ReadOptions& options) {
  return parse_nodes(split_lines(text), file, options);
}

namespace {

Result<OpenbNodeList> parse_nodes(Result<std::vector<std::string>> lines,
                                  const std::filesystem::path& file, const ReadOptions& options) {
  if (!lines) return std::unexpected(lines.error());
  if (lines->empty()) {
    return fail(ErrorCode::kParse, fmt::format("{}:1: expected the header '{}', got an empty file",
                                               file.string(), header_text(node_header())));
  }
  {
    const auto header = split_csv_line(trim_cr((*lines)[0]));
    std::vector<std::string> got(header.begin(), header.end());
    if (got != node_header()) {
      return fail(ErrorCode::kParse,
                  fmt::format("{}:1: expected the header '{}', got '{}'", file.string(),
                              header_text(node_header()), trim_cr((*lines)[0])));
    }
  }
  const std::vector<std::string> header = node_header();
  OpenbNodeList out;
  std::set<std::string> names;
  for (std::size_t i = 1; i < lines->size(); ++i) {
    const std::string_view line = trim_cr((*lines)[i]);
    if (line.empty()) continue;
    const std::size_t line_no = i + 1;
    const auto fields = split_csv_line(line);
    std::expected<OpenbNode, RowError> node;
    if (fields.size() != header.size()) {
      node = std::unexpected(RowError{fmt::format("expected {} columns ({}), got {}", header.size(),
                                                  header_text(header), fields.size())});
    } else {
      node = parse_node(fields);
      if (node && !names.insert(node->name).second) {
        node = std::unexpected(RowError{fmt::format("sn: duplicate node name '{}'", node->name)});
      }
    }
    if (!node) {
      if (options.skip_bad_rows) {
        ++out.skipped_rows;
        continue;
      }
      return std::unexpected(row_error(file, line_no, node.error()));
    }
    out.nodes.push_back(std::move(*node));
  }
  return out;
}

}  // namespace

Result<OpenbPodList> read_openb_pods(const std::filesystem::path& file,
                                     const std::vector<std::string>& known_gpu_models,
                                     const ReadOptions& options) {
  return parse_pods(read_lines(file), file, known_gpu_models, options);
}

Result<OpenbPodList> parse_openb_pods(std::string_view text, const std::filesystem::path& file,
                                      const std::vector<std::string>& known_gpu_models,
                                      const ReadOptions& options) {
  return parse_pods(split_lines(text), file, known_gpu_models, options);
}

namespace {

Result<OpenbPodList> parse_pods(Result<std::vector<std::string>> lines,
                                const std::filesystem::path& file,
                                const std::vector<std::string>& known_gpu_models,
                                const ReadOptions& options) {
  if (!lines) return std::unexpected(lines.error());
  const std::vector<std::string> long_header = pod_header_long();
  const std::vector<std::string> short_header(long_header.begin(), long_header.begin() + 5);
  if (lines->empty()) {
    return fail(ErrorCode::kParse, fmt::format("{}:1: expected the header '{}', got an empty file",
                                               file.string(), header_text(long_header)));
  }
  std::size_t columns = 0;
  {
    const auto header = split_csv_line(trim_cr((*lines)[0]));
    std::vector<std::string> got(header.begin(), header.end());
    if (got == long_header) {
      columns = long_header.size();
    } else if (got == short_header) {
      columns = short_header.size();
    } else {
      return fail(ErrorCode::kParse,
                  fmt::format("{}:1: expected the header '{}' (or its first 5 columns), got '{}'",
                              file.string(), header_text(long_header), trim_cr((*lines)[0])));
    }
  }
  const std::set<std::string> known(known_gpu_models.begin(), known_gpu_models.end());
  OpenbPodList out;
  for (std::size_t i = 1; i < lines->size(); ++i) {
    const std::string_view line = trim_cr((*lines)[i]);
    if (line.empty()) continue;
    const std::size_t line_no = i + 1;
    const auto fields = split_csv_line(line);
    std::expected<OpenbPod, RowError> pod;
    if (fields.size() != columns) {
      pod = std::unexpected(
          RowError{fmt::format("expected {} columns, got {}", columns, fields.size())});
    } else {
      pod = parse_pod(fields, known);
    }
    if (!pod) {
      if (options.skip_bad_rows) {
        ++out.skipped_rows;
        continue;
      }
      return std::unexpected(row_error(file, line_no, pod.error()));
    }
    out.pods.push_back(std::move(*pod));
  }
  return out;
}

}  // namespace

std::vector<std::string> gpu_models_of(const std::vector<OpenbNode>& nodes) {
  std::set<std::string> models;
  for (const auto& n : nodes) {
    if (!n.gpu_model.empty()) models.insert(n.gpu_model);
  }
  return {models.begin(), models.end()};
}

std::filesystem::path find_openb_trace_dir(const std::filesystem::path& fallback_traces_dir) {
  std::vector<std::filesystem::path> candidates;
  if (const char* env = std::getenv("SUANLI_TRACES"); env != nullptr && *env != '\0') {
    candidates.emplace_back(std::filesystem::path(env) / "alibaba-gpu-v2023");
    candidates.emplace_back(env);
  }
  candidates.emplace_back(fallback_traces_dir / "alibaba-gpu-v2023");
  for (const auto& c : candidates) {
    std::error_code ec;
    if (std::filesystem::exists(c / "openb_node_list_gpu_node.csv", ec)) return c;
  }
  return {};
}

}  // namespace suanli

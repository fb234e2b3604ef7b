// `suanli replay openb`: the FGD paper's trace replay on Alibaba's openb
// GPU trace (see sched/replay.h for the method).
#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <ostream>

#include "app/app.h"
#include "sched/openb_trace.h"
#include "sched/replay.h"
#include "util/table.h"

namespace suanli::app {

namespace {

struct ReplayState {
  std::string nodes;
  std::string pods;
  std::string policy;
  double inflate = 1.3;
  std::uint64_t seed = 42;
  bool json = false;
  bool skip_bad_rows = false;
  std::string curve;
};

int run(Context& ctx, const ReplayState& s) {
  auto policy = parse_policy(s.policy);
  if (!policy) return ctx.report(policy.error());
  ReadOptions read;
  read.skip_bad_rows = s.skip_bad_rows;
  auto nodes = read_openb_nodes(s.nodes, read);
  if (!nodes) return ctx.report(nodes.error());
  auto pods = read_openb_pods(s.pods, gpu_models_of(nodes->nodes), read);
  if (!pods) return ctx.report(pods.error());

  ReplayOptions options;
  options.policy = *policy;
  options.inflate = s.inflate;
  options.seed = s.seed;
  options.record_curve = !s.curve.empty();
  const auto start = std::chrono::steady_clock::now();
  auto result = replay_openb(nodes->nodes, pods->pods, options);
  const double wall =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (!result) return ctx.report(result.error());
  const ReplayResult& r = *result;

  if (!s.curve.empty()) {
    std::ofstream out(s.curve);
    if (!out) return ctx.report(Error{ErrorCode::kIo, fmt::format("{}: cannot write", s.curve)});
    out << "pods_arrived,arrived_gpu_demand_pct,gpu_allocation_ratio_pct\n";
    for (const auto& p : r.curve) {
      out << fmt::format("{},{:.4f},{:.4f}\n", p.pods_arrived, p.arrived_gpu_demand_pct,
                         p.gpu_allocation_ratio_pct);
    }
    if (!out) return ctx.report(Error{ErrorCode::kIo, fmt::format("{}: write failed", s.curve)});
  }

  const int skipped = nodes->skipped_rows + pods->skipped_rows;
  if (s.json) {
    nlohmann::json j{{"policy", std::string(policy_name(*policy))},
                     {"seed", s.seed},
                     {"inflate", s.inflate},
                     {"nodes", r.nodes},
                     {"gpu_nodes", r.gpu_nodes},
                     {"gpus", r.gpus},
                     {"trace_pods", r.trace_pods},
                     {"pods_arrived", r.pods_arrived},
                     {"pods_placed", r.pods_placed},
                     {"pods_unplaced", r.pods_unplaced},
                     {"arrived_gpu_demand_pct", r.arrived_gpu_demand_pct},
                     {"gpu_allocation_ratio_pct", r.gpu_allocation_ratio_pct},
                     {"gpu_allocation_ratio_at_target_pct", r.gpu_allocation_ratio_at_target_pct},
                     {"skipped_rows", skipped},
                     {"wall_time_s", wall}};
    if (*policy == PolicyKind::kFgd || *policy == PolicyKind::kFgdPlus)
      j["typical_pod_classes"] = r.typical_pod_classes;
    ctx.out() << j.dump(2) << "\n";
  } else {
    TextTable t({"metric", "value"});
    t.set_right_aligned({1});
    t.add_row({"policy", std::string(policy_name(*policy))});
    t.add_row({"seed", std::to_string(s.seed)});
    t.add_row(
        {"cluster", fmt::format("{} nodes ({} with GPUs), {} GPUs", r.nodes, r.gpu_nodes, r.gpus)});
    t.add_row({"trace pods", std::to_string(r.trace_pods)});
    t.add_row({"pods_arrived", std::to_string(r.pods_arrived)});
    t.add_row({"pods_placed", std::to_string(r.pods_placed)});
    t.add_row({"pods_unplaced", std::to_string(r.pods_unplaced)});
    t.add_row({"arrived_gpu_demand_pct", fmt::format("{:.2f}", r.arrived_gpu_demand_pct)});
    t.add_row({"gpu_allocation_ratio_pct", fmt::format("{:.2f}", r.gpu_allocation_ratio_pct)});
    t.add_row({fmt::format("allocation at {:.0f}% arrived (authors' analysis)", s.inflate * 100),
               fmt::format("{:.2f}", r.gpu_allocation_ratio_at_target_pct)});
    if (skipped > 0) t.add_row({"skipped bad rows", std::to_string(skipped)});
    t.add_row({"wall_time_s", fmt::format("{:.3f}", wall)});
    ctx.out() << t.render();
  }
  return kExitOk;
}

}  // namespace

void register_replay(CLI::App& app, Context& ctx) {
  auto* replay = app.add_subcommand(
      "replay", "Replay a production trace through a placement policy (the FGD paper's method)");
  replay->require_subcommand(1);
  auto state = std::make_shared<ReplayState>();
  auto* cmd = replay->add_subcommand(
      "openb",
      "Alibaba openb GPU trace: shuffle pods with a seed, resample to --inflate x cluster GPUs, "
      "place one by one with no departures, report the GPU allocation ratio");
  cmd->add_option("--nodes", state->nodes, "Node list CSV (openb_node_list_*.csv)")
      ->required()
      ->check(CLI::ExistingFile);
  cmd->add_option("--pods", state->pods, "Pod list CSV (openb_pod_list_*.csv, 11 or 5 columns)")
      ->required()
      ->check(CLI::ExistingFile);
  cmd->add_option("--policy", state->policy,
                  "random | dotprod | gpu-clustering | gpu-packing | bestfit | fgd | fgd-plus")
      ->required();
  cmd->add_option("--inflate", state->inflate,
                  "Target arrived GPU demand as a multiple of cluster GPUs")
      ->capture_default_str();
  cmd->add_option("--seed", state->seed, "Seed for the shuffle, resampling and tie-breaking")
      ->capture_default_str();
  cmd->add_flag("--json", state->json, "Print JSON");
  cmd->add_option("--curve", state->curve,
                  "Write the allocation curve (one row per arriving pod) to this CSV");
  cmd->add_flag("--skip-bad-rows", state->skip_bad_rows,
                "Skip malformed CSV rows (and report how many) instead of failing");
  cmd->callback([&ctx, state] { ctx.action() = [&ctx, state] { return run(ctx, *state); }; });
}

}  // namespace suanli::app

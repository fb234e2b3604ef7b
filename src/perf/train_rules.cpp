// The layout rules of the training model: which parallel configurations a
// workload can run (train.h: TrainModel::valid / check), each rule checked
// allocation-free for the search and turned into a message for the user.
#include <fmt/format.h>

#include <algorithm>

#include "perf/train.h"

namespace suanli {

// The rules a configuration must satisfy, in the order they are checked.
// violated_rule() is allocation-free (the search calls it for every
// candidate); check() turns the first violation into a message.
enum class TrainModel::Rule {
  kNone,
  kNonPositive,
  kZeroStage,
  kProduct,
  kTpHeads,
  kTpKvHeads,
  kPpExceedsLayers,
  kPpDividesLayers,
  kVppNeedsPp,
  kVppExceedsStage,
  kVppDividesStage,
  kBatchDivides,
  kInterleaveMicroBatches,
  kCpSeq,
  kEpNeedsMoe,
  kEpDividesExperts,
  kEpDividesRanks,
  kStackSp,
  kStackSelective,
  kStackCp,
  kStackVpp,
  kStackZero,
  kMoeNeedsSp,
  kZeroShardNeedsZero,
  kZeroShardDivides,
};

int TrainModel::max_vpp(int pp) const {
  const int l = w_.model.layers;
  if (!w_.uneven_pipeline) return l / pp;
  return std::min((l + pp - 1) / pp, (l + 2) / pp);
}

TrainModel::Rule TrainModel::violated_rule(const Parallelism& p) const {
  const ModelArch& m = w_.model;
  const SoftwareStack& st = w_.stack;
  if (p.tp < 1 || p.pp < 1 || p.dp < 1 || p.cp < 1 || p.ep < 1 || p.vpp < 1 || p.micro_batch < 1) {
    return Rule::kNonPositive;
  }
  if (p.zero < 0 || p.zero > 3) return Rule::kZeroStage;
  if (1LL * p.tp * p.pp * p.dp * p.cp != ranks_) return Rule::kProduct;
  if (m.heads % p.tp != 0) return Rule::kTpHeads;
  if (!m.mla && m.kv_heads % p.tp != 0 && p.tp % m.kv_heads != 0) return Rule::kTpKvHeads;
  if (p.pp > m.layers) return Rule::kPpExceedsLayers;
  if (m.layers % p.pp != 0 && !w_.uneven_pipeline) return Rule::kPpDividesLayers;
  if (p.vpp > 1) {
    if (p.pp == 1) return Rule::kVppNeedsPp;
    if (p.vpp > max_vpp(p.pp)) return Rule::kVppExceedsStage;
    if ((m.layers / p.pp) % p.vpp != 0 && !w_.uneven_pipeline) return Rule::kVppDividesStage;
  }
  if (w_.global_batch % (1LL * p.dp * p.micro_batch) != 0) return Rule::kBatchDivides;
  if (p.vpp > 1 && (w_.global_batch / (1LL * p.dp * p.micro_batch)) % p.pp != 0) {
    return Rule::kInterleaveMicroBatches;
  }
  if (p.cp > 1 && w_.seq % (2 * p.cp) != 0) return Rule::kCpSeq;
  if (p.ep > 1) {
    if (!m.is_moe()) return Rule::kEpNeedsMoe;
    if (m.moe->experts % p.ep != 0) return Rule::kEpDividesExperts;
    if ((1LL * p.dp * p.cp * p.tp) % p.ep != 0) return Rule::kEpDividesRanks;
  }
  if (p.etp < 1 || p.recompute_layers < 0 || p.zero_shard < 0) return Rule::kNonPositive;
  if (p.etp > 1) {
    if (!m.is_moe()) return Rule::kEpNeedsMoe;
    if ((1LL * p.dp * p.cp * p.tp) % (1LL * p.ep * p.etp) != 0) return Rule::kEpDividesRanks;
  }
  if (p.sequence_parallel && p.tp > 1 && !st.sequence_parallel) return Rule::kStackSp;
  if (p.recompute == Recompute::kSelective && !st.selective_recompute) return Rule::kStackSelective;
  if (p.cp > 1 && !st.context_parallel) return Rule::kStackCp;
  if (p.vpp > 1 && !st.interleaved_pipeline) return Rule::kStackVpp;
  if (p.zero >= 1 && !st.distributed_optimizer) return Rule::kStackZero;
  if (m.is_moe() && p.tp > 1 && !p.sequence_parallel) return Rule::kMoeNeedsSp;
  if (p.zero_shard > 0) {
    if (p.zero < 1) return Rule::kZeroShardNeedsZero;
    if (p.dp % p.zero_shard != 0) return Rule::kZeroShardDivides;
    // The expert replicas (tp·dp·cp / (ep·etp)) split into the same groups.
    if (m.is_moe() && p.expert_dp() % p.zero_replicas() != 0) return Rule::kZeroShardDivides;
  }
  return Rule::kNone;
}

bool TrainModel::valid(const Parallelism& p) const { return violated_rule(p) == Rule::kNone; }

Result<void> TrainModel::check(const Parallelism& p) const {
  const ModelArch& m = w_.model;
  const SoftwareStack& st = w_.stack;
  std::string msg;
  switch (violated_rule(p)) {
    case Rule::kNone:
      return {};
    case Rule::kNonPositive:
      msg = "parallel sizes and --micro-batch must be positive";
      break;
    case Rule::kZeroStage:
      msg = fmt::format("--zero must be 0..3, got {}", p.zero);
      break;
    case Rule::kProduct:
      msg = dev_.dies > 1
                ? fmt::format(
                      "tp·pp·dp·cp = {}·{}·{}·{} = {} but --devices {} x {} dies per package "
                      "= {} ranks (each die runs as its own rank)",
                      p.tp, p.pp, p.dp, p.cp, 1LL * p.tp * p.pp * p.dp * p.cp, devices_, dev_.dies,
                      ranks_)
                : fmt::format("tp·pp·dp·cp = {}·{}·{}·{} = {} but --devices is {}", p.tp, p.pp,
                              p.dp, p.cp, 1LL * p.tp * p.pp * p.dp * p.cp, devices_);
      break;
    case Rule::kTpHeads:
      msg = fmt::format("TP {} does not divide the {} attention heads", p.tp, m.heads);
      break;
    case Rule::kTpKvHeads:
      msg = fmt::format("TP {} and the {} KV heads do not divide each other", p.tp, m.kv_heads);
      break;
    case Rule::kPpExceedsLayers:
      msg = fmt::format("PP {} exceeds the {} layers", p.pp, m.layers);
      break;
    case Rule::kPpDividesLayers:
      msg = fmt::format(
          "PP {} does not divide the {} layers (allow stages of {} and {} layers "
          "with --uneven-pipeline)",
          p.pp, m.layers, m.layers / p.pp + 1, m.layers / p.pp);
      break;
    case Rule::kVppNeedsPp:
      msg = "--vpp > 1 needs --pp > 1";
      break;
    case Rule::kVppExceedsStage:
      msg = fmt::format("VPP {} exceeds the {} chunks a stage of {} layers over {} stages can hold",
                        p.vpp, max_vpp(p.pp), m.layers, p.pp);
      break;
    case Rule::kVppDividesStage:
      msg = fmt::format("VPP {} does not divide the {} layers per stage", p.vpp, m.layers / p.pp);
      break;
    case Rule::kBatchDivides:
      msg = fmt::format("global batch {} is not a multiple of dp·micro-batch = {}·{}",
                        w_.global_batch, p.dp, p.micro_batch);
      break;
    case Rule::kInterleaveMicroBatches:
      msg = fmt::format(
          "the interleaved schedule needs the {} micro-batches to be a multiple of "
          "PP {}",
          w_.global_batch / (1LL * p.dp * p.micro_batch), p.pp);
      break;
    case Rule::kCpSeq:
      msg =
          fmt::format("CP {} needs the sequence length {} to be a multiple of 2·CP", p.cp, w_.seq);
      break;
    case Rule::kEpNeedsMoe:
      msg = "--ep > 1 and --etp > 1 need an MoE model";
      break;
    case Rule::kEpDividesExperts:
      msg = fmt::format("EP {} does not divide the {} experts", p.ep, m.moe->experts);
      break;
    case Rule::kEpDividesRanks:
      msg =
          fmt::format("EP {} x ETP {} must divide dp·cp·tp = {}", p.ep, p.etp, p.dp * p.cp * p.tp);
      break;
    case Rule::kStackSp:
      msg = fmt::format("stack '{}' has no sequence parallelism", st.id);
      break;
    case Rule::kStackSelective:
      msg = fmt::format("stack '{}' has no selective recomputation (use full or none)", st.id);
      break;
    case Rule::kStackCp:
      msg = fmt::format("stack '{}' has no context parallelism", st.id);
      break;
    case Rule::kStackVpp:
      msg = fmt::format("stack '{}' has no interleaved pipeline schedule", st.id);
      break;
    case Rule::kStackZero:
      msg = fmt::format("stack '{}' has no sharded optimizer (use --zero 0)", st.id);
      break;
    case Rule::kMoeNeedsSp:
      msg = "MoE layers with TP > 1 need --sequence-parallel";
      break;
    case Rule::kZeroShardNeedsZero:
      msg = "--zero-shard shards the ZeRO/FSDP state: it needs --zero 1..3";
      break;
    case Rule::kZeroShardDivides:
      msg = p.dp % p.zero_shard != 0
                ? fmt::format("--zero-shard {} must divide DP {} into replica groups", p.zero_shard,
                              p.dp)
                : fmt::format(
                      "--zero-shard {}'s {} replicas must divide the expert data-parallel group "
                      "of {} (tp·dp·cp / (ep·etp))",
                      p.zero_shard, p.zero_replicas(), p.expert_dp());
      break;
  }
  return fail(ErrorCode::kInvalidArgument, std::move(msg));
}

}  // namespace suanli

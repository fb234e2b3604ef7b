// The parallelism search (train.h: search_train): enumerates every layout
// consistent with the request, prunes on memory, keeps the fastest.
#include <fmt/format.h>
#include <algorithm>

#include "perf/train.h"

namespace suanli {

namespace {

std::vector<int> divisors(int n, int cap) {
  std::vector<int> out;
  for (int i = 1; i <= n && i <= cap; ++i) {
    if (n % i == 0) out.push_back(i);
  }
  return out;
}

}  // namespace

namespace {

std::string rank_count(const TrainModel& model) {
  const int dies = model.device().dies;
  return dies > 1 ? fmt::format("--devices {} x {} dies = {} ranks (each die its own rank)",
                                model.devices(), dies, model.ranks())
                  : fmt::format("--devices {}", model.devices());
}

// Checks the fields the user fixed, one rule at a time, so that the error
// names the rule ("TP 7 does not divide the 32 heads") rather than "no
// layout matches".
Result<void> check_request(const TrainModel& model, const ParallelismRequest& req) {
  const ModelArch& m = model.workload().model;
  const int n = model.ranks();
  // "--devices 16", or "--devices 8 x 2 dies = 16 ranks" for a multi-die package.
  const std::string count = rank_count(model);
  auto bad = [](std::string msg) { return fail(ErrorCode::kInvalidArgument, std::move(msg)); };
  for (auto [name, v] :
       {std::pair{"--tp", req.tp}, std::pair{"--pp", req.pp}, std::pair{"--dp", req.dp},
        std::pair{"--cp", req.cp}, std::pair{"--ep", req.ep}, std::pair{"--vpp", req.vpp},
        std::pair{"--micro-batch", req.micro_batch}}) {
    if (v && *v <= 0) return bad(fmt::format("{} must be positive, got {}", name, *v));
  }
  if (req.zero && (*req.zero < 0 || *req.zero > 3)) {
    return bad(fmt::format("--zero must be 0..3, got {}", *req.zero));
  }
  if (req.tp && m.heads % *req.tp != 0) {
    return bad(fmt::format("TP {} does not divide the {} attention heads", *req.tp, m.heads));
  }
  if (req.tp && !m.mla && m.kv_heads % *req.tp != 0 && *req.tp % m.kv_heads != 0) {
    return bad(
        fmt::format("TP {} and the {} KV heads do not divide each other", *req.tp, m.kv_heads));
  }
  if (req.pp && *req.pp > m.layers) {
    return bad(fmt::format("PP {} exceeds the {} layers", *req.pp, m.layers));
  }
  if (req.pp && m.layers % *req.pp != 0 && !model.workload().uneven_pipeline) {
    return bad(
        fmt::format("PP {} does not divide the {} layers (allow stages of {} and {} layers "
                    "with --uneven-pipeline)",
                    *req.pp, m.layers, m.layers / *req.pp + 1, m.layers / *req.pp));
  }
  long long fixed = 1;
  std::string names;
  for (auto [name, v] : {std::pair{"tp", req.tp}, std::pair{"pp", req.pp}, std::pair{"dp", req.dp},
                         std::pair{"cp", req.cp}}) {
    if (!v) continue;
    fixed *= *v;
    names += (names.empty() ? "" : "·") + std::string(name);
  }
  if (req.tp && req.pp && req.dp && req.cp && fixed != n) {
    return bad(fmt::format("tp·pp·dp·cp = {} but {}", fixed, count));
  }
  if (fixed > n || n % fixed != 0) {
    return bad(
        fmt::format("{} = {} does not divide {} (tp·pp·dp·cp must equal the "
                    "rank count)",
                    names, fixed, count));
  }
  if (req.ep && m.is_moe() && m.moe->experts % *req.ep != 0) {
    return bad(fmt::format("EP {} does not divide the {} experts", *req.ep, m.moe->experts));
  }
  if (req.ep && *req.ep > 1 && !m.is_moe()) return bad("--ep > 1 needs an MoE model");
  return {};
}

// Records in `result.searched` the names of the fields the request left open.
void note_searched(const TrainModel& model, const ParallelismRequest& req,
                   TrainSearchResult& result) {
  const ModelArch& m = model.workload().model;
  auto note = [&](bool searched, const char* name) {
    if (searched) result.searched.emplace_back(name);
  };
  note(!req.tp, "tp");
  note(!req.pp, "pp");
  note(!req.dp, "dp");
  note(!req.cp, "cp");
  note(!req.ep && m.is_moe(), "ep");
  note(!req.vpp, "vpp");
  note(!req.micro_batch, "micro_batch");
  note(!req.recompute, "recompute");
  note(!req.sequence_parallel, "sequence_parallel");
  note(!req.zero, "zero");
  note(!req.etp && m.is_moe(), "etp");
}

// The values tried for the axes that do not depend on the layout: tp, cp,
// pp, recompute and ZeRO stage (a fixed field tries only its value).
struct OuterAxes {
  std::vector<int> tps, cps, pps;
  std::vector<Recompute> recs;
  std::vector<int> zeros;
};

// The outer axes for the request, in the order the search tries them.
OuterAxes outer_axes(const TrainModel& model, const ParallelismRequest& req) {
  const ModelArch& m = model.workload().model;
  const int n = model.ranks();
  const DeviceModel& dev = model.device();
  OuterAxes ax;
  const int tp_cap = std::max(1, std::min(dev.scaleup_domain, 64));
  ax.tps = req.tp ? std::vector<int>{*req.tp} : divisors(n, tp_cap);
  if (req.cp) {
    ax.cps = {*req.cp};
  } else {
    for (int c = 1; c <= 64; c *= 2) {
      if (c > 1 && (model.workload().seq / c < 2048 || !model.workload().stack.context_parallel))
        break;
      ax.cps.push_back(c);
    }
  }
  ax.pps = req.pp ? std::vector<int>{*req.pp} : divisors(n, m.layers);
  ax.recs = req.recompute
                ? std::vector<Recompute>{*req.recompute}
                : std::vector<Recompute>{Recompute::kNone, Recompute::kSelective, Recompute::kFull};
  ax.zeros = req.zero ? std::vector<int>{*req.zero}
             : model.workload().stack.distributed_optimizer ? std::vector<int>{1, 0, 2, 3}
                                                            : std::vector<int>{0};
  return ax;
}

// The values tried for the axes that depend on the layout (tp, pp, dp):
// ep, etp, vpp, micro-batch and sequence parallelism.
struct InnerAxes {
  std::vector<int> eps{1};
  std::vector<int> mbs_opts;
  std::vector<int> vpps{1};
  std::vector<bool> sps;
  std::vector<int> etps{1};
};

// The inner axes for one layout, in the order the search tries them.
InnerAxes inner_axes(const TrainModel& model, const ParallelismRequest& req, int tp, int pp,
                     int dp) {
  const ModelArch& m = model.workload().model;
  InnerAxes ax;
  if (m.is_moe()) {
    ax.eps = req.ep ? std::vector<int>{*req.ep} : divisors(m.moe->experts, m.moe->experts);
  } else if (req.ep) {
    ax.eps = {*req.ep};
  }
  // Micro-batch: any divisor of the per-replica batch up to 32.
  if (req.micro_batch) {
    ax.mbs_opts = {*req.micro_batch};
  } else {
    const long long per_replica = model.workload().global_batch / dp;
    if (per_replica * dp == model.workload().global_batch) {
      ax.mbs_opts = divisors(static_cast<int>(std::min<long long>(per_replica, 1 << 30)), 32);
    }
  }
  const SoftwareStack& st = model.workload().stack;
  if (req.vpp) {
    ax.vpps = {*req.vpp};
  } else if (pp > 1 && st.interleaved_pipeline) {
    const int most = std::max(1, model.max_vpp(pp));
    if (model.workload().uneven_pipeline) {  // uneven stages: any count up to the cap
      ax.vpps.clear();
      for (int v = 1; v <= std::min(most, 16); ++v) ax.vpps.push_back(v);
    } else {
      ax.vpps = divisors(most, 16);
    }
  }
  if (req.sequence_parallel)
    ax.sps = {*req.sequence_parallel};
  else if (tp > 1 && st.sequence_parallel)
    ax.sps = {true, false};
  else
    ax.sps = {false};
  // Expert TP: as requested, else whole experts or split like TP
  // (Megatron-Core's default is the TP size).
  if (req.etp) {
    ax.etps = {*req.etp};
  } else if (m.is_moe() && tp > 1) {
    ax.etps = {1, tp};
  }
  return ax;
}

// What the search has found so far: the counts, the fastest layout that
// fits, the one closest to fitting and the first rule a candidate broke.
struct SearchState {
  TrainSearchResult result;
  bool have_best = false;
  bool have_closest = false;
  TrainEstimate closest;
  double closest_ratio = 1e300;
  Error first_error{ErrorCode::kInvalidArgument, ""};
};

// Tries one configuration: counts it, and keeps it when it is the fastest
// that fits or the closest to fitting so far.
void try_candidate(const TrainModel& model, const Parallelism& par, SearchState& s) {
  if (!model.valid(par)) {
    if (s.first_error.message.empty()) s.first_error = model.check(par).error();
    return;
  }
  ++s.result.candidates;
  const TrainMemory mem = model.memory(par);
  if (mem.total > mem.usable) {
    const double ratio = mem.total / mem.usable;
    if (ratio < s.closest_ratio) {
      s.closest_ratio = ratio;
      s.closest = model.evaluate(par);
      s.have_closest = true;
    }
    return;
  }
  ++s.result.feasible;
  TrainEstimate est = model.evaluate(par);
  if (!s.have_best || est.step_time_s < s.result.best.step_time_s) {
    s.result.best = est;
    s.have_best = true;
  }
}

// Tries every configuration of one layout (tp, cp, pp, dp) over the inner
// axes and the recompute and ZeRO choices.
void search_layout(const TrainModel& model, const ParallelismRequest& req, const OuterAxes& outer,
                   int tp, int cp, int pp, int dp, SearchState& s) {
  const InnerAxes ax = inner_axes(model, req, tp, pp, dp);
  for (int ep : ax.eps) {
    for (int etp : ax.etps) {
      for (int vpp : ax.vpps) {
        for (int mb : ax.mbs_opts) {
          for (bool sp : ax.sps) {
            for (Recompute rc : outer.recs) {
              for (int zero : outer.zeros) {
                const Parallelism par{.tp = tp,
                                      .pp = pp,
                                      .dp = dp,
                                      .cp = cp,
                                      .ep = ep,
                                      .vpp = vpp,
                                      .micro_batch = mb,
                                      .recompute = rc,
                                      .sequence_parallel = sp,
                                      .zero = zero,
                                      .etp = etp,
                                      .recompute_layers = req.recompute_layers.value_or(0),
                                      .zero_shard = req.zero_shard.value_or(0)};
                try_candidate(model, par, s);
              }
            }
          }
        }
      }
    }
  }
}

// The error when nothing fits: the first rule broken when no candidate was
// valid, else the closest candidate and its memory against what is usable.
std::unexpected<Error> no_fit_error(const TrainModel& model, SearchState& s) {
  const ModelArch& m = model.workload().model;
  const DeviceModel& dev = model.device();
  if (!s.have_closest) {
    if (s.first_error.message.empty()) {
      s.first_error.message = fmt::format(
          "no parallel layout of {} matches the request: tp·pp·dp·cp must equal "
          "the rank count, with tp dividing the {} heads (at most the {}-rank scale-up domain), pp "
          "at most the {} layers and dp dividing the global batch of {} sequences",
          rank_count(model), m.heads, dev.scaleup_domain, m.layers, model.workload().global_batch);
    }
    return std::unexpected(s.first_error);
  }
  const TrainEstimate& closest = s.closest;
  const auto& p = closest.par;
  return fail(
      ErrorCode::kInfeasible,
      fmt::format("nothing fits in memory: {} candidates tried; the closest (tp={} pp={} "
                  "dp={} cp={} ep={} micro-batch={} recompute={} zero={}{}) needs {:.1f} GB "
                  "per {} (weights {:.1f}, grads {:.1f}, optimizer {:.1f}, "
                  "activations {:.1f}, logits {:.1f}) but {} offers {:.1f} GB usable",
                  s.result.candidates, p.tp, p.pp, p.dp, p.cp, p.ep, p.micro_batch,
                  recompute_name(p.recompute), p.zero,
                  p.zero_shard > 0 ? fmt::format(" zero-shard={}", p.zero_shard) : "",
                  closest.memory.total / 1e9, dev.dies > 1 ? "die" : "device",
                  closest.memory.weights / 1e9, closest.memory.grads / 1e9,
                  closest.memory.optimizer / 1e9, closest.memory.activations / 1e9,
                  closest.memory.logits / 1e9, dev.accel ? dev.accel->id : "the device",
                  closest.memory.usable / 1e9));
}

}  // namespace

Result<TrainSearchResult> search_train(const TrainModel& model, const ParallelismRequest& req) {
  SUANLI_TRY(check_request(model, req));
  const int n = model.ranks();
  SearchState s;
  note_searched(model, req, s.result);
  const OuterAxes outer = outer_axes(model, req);
  for (int tp : outer.tps) {
    for (int cp : outer.cps) {
      for (int pp : outer.pps) {
        const long long tpc = 1LL * tp * cp * pp;
        if (tpc > n || n % tpc != 0) continue;
        const int dp = static_cast<int>(n / tpc);
        if (req.dp && *req.dp != dp) continue;
        search_layout(model, req, outer, tp, cp, pp, dp, s);
      }
    }
  }
  if (!s.have_best) return no_fit_error(model, s);
  return std::move(s.result);
}

}  // namespace suanli

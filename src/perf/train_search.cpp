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

}  // namespace

Result<TrainSearchResult> search_train(const TrainModel& model, const ParallelismRequest& req) {
  SUANLI_TRY(check_request(model, req));
  const ModelArch& m = model.workload().model;
  const int n = model.ranks();
  const DeviceModel& dev = model.device();
  TrainSearchResult result;
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

  const int tp_cap = std::max(1, std::min(dev.scaleup_domain, 64));
  std::vector<int> tps = req.tp ? std::vector<int>{*req.tp} : divisors(n, tp_cap);
  std::vector<int> cps;
  if (req.cp) {
    cps = {*req.cp};
  } else {
    for (int c = 1; c <= 64; c *= 2) {
      if (c > 1 && (model.workload().seq / c < 2048 || !model.workload().stack.context_parallel))
        break;
      cps.push_back(c);
    }
  }
  std::vector<int> pps = req.pp ? std::vector<int>{*req.pp} : divisors(n, m.layers);
  std::vector<Recompute> recs =
      req.recompute
          ? std::vector<Recompute>{*req.recompute}
          : std::vector<Recompute>{Recompute::kNone, Recompute::kSelective, Recompute::kFull};
  std::vector<int> zeros = req.zero ? std::vector<int>{*req.zero}
                           : model.workload().stack.distributed_optimizer
                               ? std::vector<int>{1, 0, 2, 3}
                               : std::vector<int>{0};

  bool have_best = false;
  bool have_closest = false;
  TrainEstimate closest;
  double closest_ratio = 1e300;
  Error first_error{ErrorCode::kInvalidArgument, ""};
  for (int tp : tps) {
    for (int cp : cps) {
      for (int pp : pps) {
        const long long tpc = 1LL * tp * cp * pp;
        if (tpc > n || n % tpc != 0) continue;
        const int dp = static_cast<int>(n / tpc);
        if (req.dp && *req.dp != dp) continue;
        std::vector<int> eps{1};
        if (m.is_moe()) {
          eps = req.ep ? std::vector<int>{*req.ep} : divisors(m.moe->experts, m.moe->experts);
        } else if (req.ep) {
          eps = {*req.ep};
        }
        // Micro-batch: any divisor of the per-replica batch up to 32.
        std::vector<int> mbs_opts;
        if (req.micro_batch) {
          mbs_opts = {*req.micro_batch};
        } else {
          const long long per_replica = model.workload().global_batch / dp;
          if (per_replica * dp == model.workload().global_batch) {
            mbs_opts = divisors(static_cast<int>(std::min<long long>(per_replica, 1 << 30)), 32);
          }
        }
        const SoftwareStack& st = model.workload().stack;
        std::vector<int> vpps{1};
        if (req.vpp) {
          vpps = {*req.vpp};
        } else if (pp > 1 && st.interleaved_pipeline) {
          vpps = divisors(std::max(1, m.layers / pp), 16);
        }
        std::vector<bool> sps;
        if (req.sequence_parallel)
          sps = {*req.sequence_parallel};
        else if (tp > 1 && st.sequence_parallel)
          sps = {true, false};
        else
          sps = {false};
        // Expert TP: as requested, else whole experts or split like TP
        // (Megatron-Core's default is the TP size).
        std::vector<int> etps{1};
        if (req.etp) {
          etps = {*req.etp};
        } else if (m.is_moe() && tp > 1) {
          etps = {1, tp};
        }
        for (int ep : eps) {
          for (int etp : etps) {
          for (int vpp : vpps) {
            for (int mb : mbs_opts) {
              for (bool sp : sps) {
                for (Recompute rc : recs) {
                  for (int zero : zeros) {
                    Parallelism par{tp, pp, dp, cp, ep, vpp, mb, rc, sp, zero, etp,
                                    req.recompute_layers.value_or(0)};
                    if (!model.valid(par)) {
                      if (first_error.message.empty()) first_error = model.check(par).error();
                      continue;
                    }
                    ++result.candidates;
                    const TrainMemory mem = model.memory(par);
                    if (mem.total > mem.usable) {
                      const double ratio = mem.total / mem.usable;
                      if (ratio < closest_ratio) {
                        closest_ratio = ratio;
                        closest = model.evaluate(par);
                        have_closest = true;
                      }
                      continue;
                    }
                    ++result.feasible;
                    TrainEstimate est = model.evaluate(par);
                    if (!have_best || est.step_time_s < result.best.step_time_s) {
                      result.best = est;
                      have_best = true;
                    }
                  }
                }
              }
            }
          }
          }
        }
      }
    }
  }
  if (!have_best) {
    if (!have_closest) {
      if (first_error.message.empty()) {
        first_error.message = fmt::format(
            "no parallel layout of {} matches the request: tp·pp·dp·cp must equal "
            "the rank count, with tp dividing the {} heads (at most the {}-rank scale-up domain), pp "
            "at most the {} layers and dp dividing the global batch of {} sequences",
            rank_count(model), m.heads, dev.scaleup_domain, m.layers, model.workload().global_batch);
      }
      return std::unexpected(first_error);
    }
    const auto& p = closest.par;
    return fail(
        ErrorCode::kInfeasible,
        fmt::format("nothing fits in memory: {} candidates tried; the closest (tp={} pp={} "
                    "dp={} cp={} ep={} micro-batch={} recompute={} zero={}) needs {:.1f} GB "
                    "per {} (weights {:.1f}, grads {:.1f}, optimizer {:.1f}, "
                    "activations {:.1f}, logits {:.1f}) but {} offers {:.1f} GB usable",
                    result.candidates, p.tp, p.pp, p.dp, p.cp, p.ep, p.micro_batch,
                    recompute_name(p.recompute), p.zero, closest.memory.total / 1e9,
                    dev.dies > 1 ? "die" : "device",
                    closest.memory.weights / 1e9, closest.memory.grads / 1e9,
                    closest.memory.optimizer / 1e9, closest.memory.activations / 1e9,
                    closest.memory.logits / 1e9, dev.accel ? dev.accel->id : "the device",
                    closest.memory.usable / 1e9));
  }
  return result;
}

}  // namespace suanli

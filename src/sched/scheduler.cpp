// The scheduling core's pass (scheduler.h): queue order, the try of a job
// across device types (placement on one type through the policy),
// preemption, time rules and drains, and the job lifecycle the public API
// drives. One file over 900 lines: Scheduler::Impl's pass, placement and
// lifecycle all read and write the same job state and call one another.
// Moved out for issue 18: the placement policies (placement/, one file
// each), the release forecast (release_forecast.h), the fleet accounting
// (accounting.h: node buckets, held devices and compute, apply) and the
// explanations (explain.h: refusal codes, their words, the rules passed).
#include "sched/scheduler.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <map>
#include <numeric>
#include <set>
#include <utility>

#include <fmt/format.h>

#include "sched/accounting.h"
#include "sched/explain.h"
#include "sched/placement/placement.h"
#include "sched/policy.h"
#include "sched/release_forecast.h"
#include "vocab/rng.h"

namespace suanli {

namespace {

// The hetero policy waits for a busy faster type only when the forecast
// completion there beats running now by this margin (forecasts are
// optimistic: they ignore fragmentation and later arrivals).
constexpr double kWaitMargin = 0.9;
constexpr std::string_view kPreemptionRule = "preemption";
constexpr std::string_view kNodeFailureRule = "node-failure";

std::string policy_rule(PlacementKind p) {
  return fmt::format("policy:{}", placement_policy_name(p));
}

// A candidate placement on one type, with the policy's preference key
// (higher is better) for choosing among types.
struct Candidate {
  Allocation allocation;
  double key = 0;
};

}  // namespace

struct Scheduler::Impl {
  Fleet fleet;
  std::vector<Tenant> tenants;
  std::vector<Rule> rules;
  SchedulerConfig config;
  Rng rng{1};
  std::unique_ptr<FleetPlacement> placement;  // config.placement's policy
  ReleaseForecast forecast;                   // kept only when the policy forecasts

  std::vector<JobSpec> specs;
  std::vector<JobStatus> status;
  std::vector<RefusalCodes> last_codes;  // last queue decision per job
  std::set<int> queue;                   // queued job IDs (submission order)
  std::set<int> running;                 // running job IDs
  std::vector<Decision> decisions;

  FleetAccounting accounting;  // buckets, node jobs, allocated devices and compute
  std::vector<bool> rule_started;
  std::vector<bool> rule_deadline_done;
  bool dirty = true;
  // A queued job that could not be placed is tried again only once
  // something that could let it in has happened: devices released, nodes
  // up or delivered, a rule changed (release_epoch), or, for jobs the share
  // rule held back, a domestic placement (share_epoch). Placements alone only
  // take capacity away, so skipping is exact.
  long long release_epoch = 0;
  long long share_epoch = 0;
  std::vector<long long> tried_epoch;
  std::vector<long long> tried_share_epoch;  // -1: the share rule did not block it

  // FGD's workload model: the pods submitted so far (bounded window).
  std::vector<PodRequest> recent_pods;
  std::size_t recent_next = 0;
  std::vector<TypicalPod> typical;
  bool typical_stale = true;

  // ---- helpers ----------------------------------------------------------

  void emit(Decision d) { decisions.push_back(std::move(d)); }

  int node_devices(TypeId t) const { return fleet.devices_per_node(t); }

  PodRequest pod_for(const JobSpec& s, TypeId t, int devices_on_node) const {
    PodRequest p;
    p.cpu_milli = s.cpu_milli;
    p.memory_mib = s.memory_mib;
    p.num_gpu = devices_on_node;
    p.gpu_milli = s.gpu_milli;
    p.model_constrained = true;
    p.allowed_models = std::uint32_t{1} << static_cast<unsigned>(t.value % 32);
    return p;
  }

  bool fractional(const JobSpec& s) const { return s.gpu_milli < kGpuMilli; }

  bool cpu_mem_fit(const NodeState& n, const JobSpec& s) const {
    return n.cpu_left >= s.cpu_milli && n.memory_left >= s.memory_mib;
  }

  void refresh_typical() {
    if (!typical_stale) return;
    typical = typical_pods(recent_pods);
    typical_stale = false;
  }

  // ---- progress ---------------------------------------------------------

  double run_overhead(const JobStatus& st) const {
    return (st.restarts + st.preemptions > 0 || st.progress > 0) ? config.restart_overhead_s : 0;
  }

  double duration_on(JobId j) const {
    const JobStatus& st = status[j.index()];
    return specs[j.index()].duration_s[st.allocation.type.index()];
  }

  double progress_at(JobId j, SimTime now) const {
    const JobStatus& st = status[j.index()];
    const double worked = std::max(0.0, now - st.run_start - run_overhead(st));
    return std::min(1.0, st.progress + worked / duration_on(j));
  }

  // The last checkpoint at or before now: (progress, time).
  std::pair<double, SimTime> checkpoint_at(JobId j, SimTime now) const {
    const JobStatus& st = status[j.index()];
    const JobSpec& s = specs[j.index()];
    const double start_work = st.run_start + run_overhead(st);
    if (s.checkpoint_interval_s <= 0 || now <= start_work)
      return {st.checkpoint_progress, st.run_start};
    const double k = std::floor((now - start_work) / s.checkpoint_interval_s);
    if (k < 1) return {st.checkpoint_progress, st.run_start};
    const double t = start_work + k * s.checkpoint_interval_s;
    return {std::min(1.0, st.progress + (t - start_work) / duration_on(j)), t};
  }

  SimTime expected_end(JobId j) const {
    const JobStatus& st = status[j.index()];
    return st.run_start + run_overhead(st) + (1 - st.progress) * duration_on(j);
  }

  // ---- allocation bookkeeping -------------------------------------------

  // The accounting's apply, and the retry epochs it moves: a release (or
  // any change under preemption) lets queued jobs in again; a domestic
  // placement lets in those the share rule held back.
  void apply(JobId j, const Allocation& a, int sign) {
    accounting.apply(fleet, specs, j, a, sign);
    if (sign < 0 || config.preemption) ++release_epoch;
    if (sign > 0 && fleet.type(a.type).domestic) ++share_epoch;
  }

  // Stops a running job: devices released, time and cost accounted, back
  // to the queue (or failed by the caller).
  Allocation stop(JobId j, SimTime now, double keep_progress) {
    JobStatus& st = status[j.index()];
    track_release(j, st.allocation.type, false);
    Allocation a = std::move(st.allocation);
    apply(j, a, -1);
    const double held = now - st.run_start;
    const double devices = job_devices(specs[j.index()]);
    st.device_s += devices * held;
    st.cost_usd += devices * held / 3600 * fleet.type(a.type).price_per_device_hour;
    st.progress = keep_progress;
    st.checkpoint_progress = keep_progress;
    st.allocation = Allocation{};
    st.state = JobState::kQueued;  // until the caller requeues, fails or completes it
    running.erase(j.value);
    dirty = true;
    return a;
  }

  // Stops a running job for d.kind (preempt, evict, kill). It keeps its
  // progress as of now when `saved` (checkpointed on demand), else as of
  // its last checkpoint; the work in between is counted as lost, and `d` is
  // logged with the devices released.
  void interrupt(JobId j, SimTime now, bool saved, Decision d) {
    const auto [ckpt, ckpt_time] = checkpoint_at(j, now);
    const double lost = saved ? 0 : (now - ckpt_time) * job_devices(specs[j.index()]);
    d.time = now;
    d.job = j;
    d.allocation = stop(j, now, saved ? progress_at(j, now) : ckpt);
    d.lost_device_s = lost;
    status[j.index()].lost_device_s += lost;
    emit(std::move(d));
  }

  // Ends a queued or running job as failed, with its reason and rule.
  void fail_job(JobId j, SimTime now, std::string reason, std::string rule) {
    JobStatus& st = status[j.index()];
    if (st.state == JobState::kRunning) stop(j, now, st.progress);
    queue.erase(j.value);
    st.state = JobState::kFailed;
    st.ended = now;
    st.reason = reason;
    st.reason_rule = rule;
    Decision d;
    d.time = now;
    d.kind = DecisionKind::kFail;
    d.job = j;
    d.rule = std::move(rule);
    d.detail = std::move(reason);
    emit(std::move(d));
  }

  void requeue(JobId j) {
    status[j.index()].state = JobState::kQueued;
    last_codes[j.index()].clear();
    tried_epoch[j.index()] = -1;
    queue.insert(j.value);
  }

  // ---- explanations -----------------------------------------------------

  // The explanations over the current state (explain.h).
  Explainer explain() const { return Explainer(fleet, tenants, rules, accounting); }

  // ---- placement on one type --------------------------------------------

  // Adds `groups` TP groups of `tp` whole devices on one node: its
  // lowest-indexed fully free devices (as Open-GPU-Share picks them).
  static void add_node_groups(Allocation& a, const FleetNode& n, int groups, int tp) {
    std::uint32_t mask = first_free_gpus(n.state, groups * tp);
    for (int g = 0; g < groups; ++g) {
      std::vector<DeviceSlot> group;
      for (int d = 0; d < tp; ++d) {
        group.push_back(DeviceSlot{n.id, std::countr_zero(mask), kGpuMilli});
        mask &= mask - 1;
      }
      a.groups.push_back(std::move(group));
    }
  }

  // Nodes of type t with at least `min_free` fully free devices, in the
  // order the policy prefers for multi-node fills.
  std::vector<int> node_order(TypeId t, int min_free) {
    std::vector<int> out;
    const auto& b = accounting.buckets(t);
    for (int k = min_free; k < static_cast<int>(b.size()); ++k)
      out.insert(out.end(), b[static_cast<std::size_t>(k)].begin(),
                 b[static_cast<std::size_t>(k)].end());
    if (placement->fill() == FleetPlacement::Fill::kIndex) {
      std::sort(out.begin(), out.end());
    } else if (placement->fill() == FleetPlacement::Fill::kShuffled) {
      std::sort(out.begin(), out.end());
      for (std::size_t i = out.size(); i > 1; --i) std::swap(out[i - 1], out[rng.below(i)]);
    }
    // Fullest first: buckets ascending (fullest nodes first), index inside.
    return out;
  }

  int node_score(const NodeState& n, const PodRequest& pod, std::uint32_t* mask) {
    PlacementContext ctx{rng, [this]() -> std::span<const TypicalPod> {
                           refresh_typical();
                           return typical;
                         }};
    return placement->score(n, pod, mask, ctx);
  }

  std::optional<Candidate> place_fractional(JobId j, TypeId t) {
    const JobSpec& s = specs[j.index()];
    const PodRequest pod = pod_for(s, t, 1);
    std::optional<Candidate> best;
    int best_score = -1;
    std::uint32_t best_mask = 0;
    for (const FleetNode& n : fleet.nodes()) {
      if (n.type != t || !n.placeable() || !ClusterState::fits(n.state, pod)) continue;
      std::uint32_t mask = 0;
      const bool by_index = placement->keyed_by_index();
      int score = by_index ? 0 : node_score(n.state, pod, &mask);
      if (best && score <= best_score) continue;
      if (mask == 0) mask = best_fit_gpus(n.state, pod);
      best_score = score;
      best_mask = mask;
      Candidate c;
      c.allocation.type = t;
      c.allocation.groups = {{DeviceSlot{n.id, std::countr_zero(best_mask), s.gpu_milli}}};
      c.key = by_index ? -n.id.value : score;
      best = std::move(c);
      if (by_index) break;
    }
    return best;
  }

  // Single node for the whole job (devices <= node size): the policy's pick.
  std::optional<Candidate> place_single_node(JobId j, TypeId t) {
    const JobSpec& s = specs[j.index()];
    const auto& b = accounting.buckets(t);
    const int n_dev = s.devices;
    const FleetPlacement::SingleNode pick = placement->single_node();
    std::optional<int> chosen;
    double key = 0;
    if (pick == FleetPlacement::SingleNode::kLowestIndex) {
      for (int k = n_dev; k < static_cast<int>(b.size()); ++k)
        for (int node : b[static_cast<std::size_t>(k)]) {
          if (chosen && node > *chosen) break;
          if (cpu_mem_fit(fleet.nodes()[static_cast<std::size_t>(node)].state, s)) {
            chosen = node;
            break;
          }
        }
      if (chosen) key = -*chosen;
    } else if (pick == FleetPlacement::SingleNode::kTightest) {
      for (int k = n_dev; k < static_cast<int>(b.size()) && !chosen; ++k)
        for (int node : b[static_cast<std::size_t>(k)])
          if (cpu_mem_fit(fleet.nodes()[static_cast<std::size_t>(node)].state, s)) {
            chosen = node;
            key = -(k - n_dev);
            break;
          }
    } else {
      const PodRequest pod = pod_for(s, t, n_dev);
      int best = -1;
      for (int k = n_dev; k < static_cast<int>(b.size()); ++k)
        for (int node : b[static_cast<std::size_t>(k)]) {
          const NodeState& ns = fleet.nodes()[static_cast<std::size_t>(node)].state;
          if (!cpu_mem_fit(ns, s)) continue;
          std::uint32_t mask = 0;
          const int score = node_score(ns, pod, &mask);
          if (score > best || (score == best && node < *chosen)) {
            best = score;
            chosen = node;
          }
        }
      key = best;
    }
    if (!chosen) return std::nullopt;
    Candidate c;
    c.key = key;
    c.allocation.type = t;
    add_node_groups(c.allocation, fleet.nodes()[static_cast<std::size_t>(*chosen)], n_dev / s.tp,
                    s.tp);
    return c;
  }

  // Groups of tp <= node size, spread over nodes in the policy's order.
  std::optional<Candidate> place_multi_node(JobId j, TypeId t, bool build) {
    const JobSpec& s = specs[j.index()];
    const auto& b = accounting.buckets(t);
    // Quick bound: groups available in all nodes together.
    long long available = 0;
    for (int k = s.tp; k < static_cast<int>(b.size()); ++k)
      available += static_cast<long long>(b[static_cast<std::size_t>(k)].size()) * (k / s.tp);
    int needed = s.devices / s.tp;
    if (available < needed) return std::nullopt;
    Candidate c;
    c.allocation.type = t;
    double leftover = 0;
    int first_node = -1;
    auto take_from = [&](int node) {
      const FleetNode& n = fleet.nodes()[static_cast<std::size_t>(node)];
      if (!cpu_mem_fit(n.state, s)) return;
      const int free = accounting.bucket_of(node);
      const int take = std::min(needed, free / s.tp);
      leftover += free - take * s.tp;
      if (first_node < 0) first_node = node;
      needed -= take;
      if (build) add_node_groups(c.allocation, n, take, s.tp);
    };
    if (placement->fill() != FleetPlacement::Fill::kFullestFirst) {
      for (int node : node_order(t, s.tp)) {
        take_from(node);
        if (needed == 0) break;
      }
    } else {
      // Best fit: the fullest nodes that still hold a group first.
      for (int k = s.tp; k < static_cast<int>(b.size()) && needed > 0; ++k)
        for (int node : b[static_cast<std::size_t>(k)]) {
          take_from(node);
          if (needed == 0) break;
        }
    }
    if (needed > 0) return std::nullopt;
    c.key = placement->keyed_by_index() ? -first_node : -leftover;
    return c;
  }

  // Groups larger than a node: whole free nodes of one scale-up domain each.
  std::optional<Candidate> place_domains(JobId j, TypeId t, bool build) {
    const JobSpec& s = specs[j.index()];
    const int nodes_per_group = s.tp / node_devices(t);
    int needed = s.devices / s.tp;
    std::vector<int> order;
    for (std::size_t d = 0; d < fleet.domains().size(); ++d)
      if (fleet.domains()[d].type == t && accounting.domain_free_nodes(d) >= nodes_per_group)
        order.push_back(static_cast<int>(d));
    if (placement->fill() == FleetPlacement::Fill::kShuffled) {
      for (std::size_t i = order.size(); i > 1; --i) std::swap(order[i - 1], order[rng.below(i)]);
    } else if (placement->fill() == FleetPlacement::Fill::kFullestFirst) {
      std::stable_sort(order.begin(), order.end(), [&](int a, int b) {
        return accounting.domain_free_nodes(static_cast<std::size_t>(a)) <
               accounting.domain_free_nodes(static_cast<std::size_t>(b));
      });
    }
    Candidate c;
    c.allocation.type = t;
    double leftover = 0;
    if (!build) {
      long long groups = 0;
      for (int d : order) {
        groups += accounting.domain_free_nodes(static_cast<std::size_t>(d)) / nodes_per_group;
        leftover += accounting.domain_free_nodes(static_cast<std::size_t>(d)) % nodes_per_group;
        if (groups >= needed) break;
      }
      if (groups < needed) return std::nullopt;
      c.key = placement->keyed_by_index() ? -static_cast<double>(order.front()) : -leftover;
      return c;
    }
    for (int d : order) {
      const ScaleUpDomain& dom = fleet.domains()[static_cast<std::size_t>(d)];
      std::vector<NodeId> free_nodes;
      for (NodeId id : dom.nodes) {
        const FleetNode& n = fleet.node(id);
        if (n.placeable() && n.state.fully_free_gpus() == n.state.gpu_count &&
            cpu_mem_fit(n.state, s))
          free_nodes.push_back(id);
      }
      const int take = std::min(needed, static_cast<int>(free_nodes.size()) / nodes_per_group);
      for (int g = 0; g < take; ++g) {
        std::vector<DeviceSlot> group;
        for (int k = 0; k < nodes_per_group; ++k) {
          const FleetNode& n =
              fleet.node(free_nodes[static_cast<std::size_t>(g * nodes_per_group + k)]);
          for (int dev = 0; dev < n.state.gpu_count; ++dev)
            group.push_back(DeviceSlot{n.id, dev, kGpuMilli});
        }
        c.allocation.groups.push_back(std::move(group));
      }
      leftover += static_cast<double>(free_nodes.size()) - take * nodes_per_group;
      needed -= take;
      if (needed == 0) break;
    }
    if (needed > 0) return std::nullopt;
    c.key = placement->keyed_by_index() ? -static_cast<double>(order.front()) : -leftover;
    return c;
  }

  // A placement on type t, or nullopt when the job does not fit there.
  // Without `build` only the policy key is computed (cheap: used to compare
  // types); the allocation is built for the chosen type only.
  std::optional<Candidate> place_on(JobId j, TypeId t, bool build = true) {
    const JobSpec& s = specs[j.index()];
    if (fractional(s)) return place_fractional(j, t);
    const int nd = node_devices(t);
    if (s.tp > nd) return place_domains(j, t, build);
    if (s.devices <= nd)
      if (auto c = place_single_node(j, t)) return c;
    return place_multi_node(j, t, build);
  }

  // Cheap upper bound: could the job fit on t at all right now?
  bool might_fit(JobId j, TypeId t) const {
    const JobSpec& s = specs[j.index()];
    return accounting.free_milli(t) >= static_cast<std::int64_t>(s.devices) * s.gpu_milli;
  }

  // ---- forecasts for the hetero policy ----------------------------------

  static std::int64_t job_milli(const JobSpec& s) {
    return static_cast<std::int64_t>(s.devices) * s.gpu_milli;
  }

  // Only a forecasting policy keeps the bookkeeping.
  void track_release(JobId j, TypeId t, bool add) {
    if (!placement->forecasts_releases()) return;
    const std::int64_t milli = job_milli(specs[j.index()]);
    if (add)
      forecast.on_start(j, t, expected_end(j), milli);
    else
      forecast.on_stop(j, t, milli);
  }

  SimTime earliest_start(TypeId t, std::int64_t need, SimTime now) const {
    return forecast.earliest_start(t, need, accounting.free_milli(t), now);
  }

  // ---- the pass ---------------------------------------------------------

  std::vector<int> queue_order() const {
    std::vector<int> order(queue.begin(), queue.end());
    switch (config.queue) {
      case QueuePolicy::kFifo:
        break;  // submission order
      case QueuePolicy::kPriority:
        std::stable_sort(order.begin(), order.end(), [&](int a, int b) {
          return specs[static_cast<std::size_t>(a)].priority >
                 specs[static_cast<std::size_t>(b)].priority;
        });
        break;
      case QueuePolicy::kShortestFirst: {
        std::vector<double> key(specs.size(), 0);
        for (int id : order) {
          const JobSpec& s = specs[static_cast<std::size_t>(id)];
          double best = kCannotRun;
          for (double d : s.duration_s) best = std::min(best, d);
          key[static_cast<std::size_t>(id)] =
              best * (1 - status[static_cast<std::size_t>(id)].progress) * s.devices * s.gpu_milli;
        }
        std::stable_sort(order.begin(), order.end(), [&](int a, int b) {
          return key[static_cast<std::size_t>(a)] < key[static_cast<std::size_t>(b)];
        });
        break;
      }
      case QueuePolicy::kFairShare:
        std::stable_sort(order.begin(), order.end(), [&](int a, int b) {
          const JobSpec& sa = specs[static_cast<std::size_t>(a)];
          const JobSpec& sb = specs[static_cast<std::size_t>(b)];
          const double ua = static_cast<double>(accounting.tenant_milli(sa.tenant)) /
                            tenants[sa.tenant.index()].weight;
          const double ub = static_cast<double>(accounting.tenant_milli(sb.tenant)) /
                            tenants[sb.tenant.index()].weight;
          if (ua != ub) return ua < ub;
          return sa.priority > sb.priority;
        });
        break;
    }
    return order;
  }

  void start(JobId j, Candidate c, SimTime now) {
    JobStatus& st = status[j.index()];
    apply(j, c.allocation, +1);
    st.state = JobState::kRunning;
    if (!st.first_start) st.first_start = now;
    st.run_start = now;
    ++st.epoch;
    st.reason.clear();
    st.reason_rule.clear();
    queue.erase(j.value);
    running.insert(j.value);
    Decision d;
    d.time = now;
    d.kind = DecisionKind::kPlace;
    d.job = j;
    d.rule = policy_rule(config.placement);
    d.checked = explain().checked_rules(specs[j.index()], c.allocation.type, now);
    d.detail =
        fmt::format("{} device(s) of {}", c.allocation.devices(), fleet.type(c.allocation.type).id);
    st.allocation = c.allocation;
    d.allocation = std::move(c.allocation);
    d.also_fit = std::exchange(also_fit_, {});
    emit(std::move(d));
    track_release(j, st.allocation.type, true);
  }

  void record_queue(JobId j, SimTime now, RefusalCodes codes) {
    tried_epoch[j.index()] = release_epoch;
    tried_share_epoch[j.index()] = -1;
    for (const auto& [type, code] : codes)
      if (code >= 0 && rules[static_cast<std::size_t>(code)].kind == RuleKind::kDomesticShare)
        tried_share_epoch[j.index()] = share_epoch;
    if (codes == last_codes[j.index()] && !codes.empty()) return;
    JobStatus& st = status[j.index()];
    QueueExplanation why = explain().queue(specs[j.index()], codes, wait_detail_);
    st.reason = why.summary;
    st.reason_rule = why.rule;
    last_codes[j.index()] = std::move(codes);
    Decision d;
    d.time = now;
    d.kind = DecisionKind::kQueue;
    d.job = j;
    d.rule = st.reason_rule;
    d.detail = std::move(why.summary);
    d.refusals = std::move(why.refusals);
    emit(std::move(d));
  }

  // Tries preemption of lower-priority jobs on the types where only
  // capacity stood in the way.
  bool try_preempt(JobId j, const std::vector<TypeId>& capacity_types, SimTime now) {
    const JobSpec& s = specs[j.index()];
    for (TypeId t : capacity_types) {
      std::vector<int> victims;
      for (int id : running) {
        const JobSpec& v = specs[static_cast<std::size_t>(id)];
        if (status[static_cast<std::size_t>(id)].allocation.type == t && v.priority < s.priority)
          victims.push_back(id);
      }
      if (victims.empty()) continue;
      std::sort(victims.begin(), victims.end(), [&](int a, int b) {
        const JobSpec& va = specs[static_cast<std::size_t>(a)];
        const JobSpec& vb = specs[static_cast<std::size_t>(b)];
        if (va.priority != vb.priority) return va.priority < vb.priority;
        return status[static_cast<std::size_t>(a)].run_start >
               status[static_cast<std::size_t>(b)].run_start;
      });
      std::vector<int> released;
      std::optional<Candidate> c;
      for (int v : victims) {
        apply(JobId{v}, status[static_cast<std::size_t>(v)].allocation, -1);
        released.push_back(v);
        if (explain().refusal(s, t, now)) continue;  // e.g. the share rule after releasing
        c = place_on(j, t);
        if (c) break;
      }
      for (auto it = released.rbegin(); it != released.rend(); ++it)
        apply(JobId{*it}, status[static_cast<std::size_t>(*it)].allocation, +1);
      if (!c) continue;
      for (int v : released) {
        Decision d;
        d.kind = DecisionKind::kPreempt;
        d.by = j;
        d.rule = std::string(kPreemptionRule);
        d.detail = fmt::format("priority {} job {} needs the devices", s.priority, s.name);
        interrupt(JobId{v}, now, config.checkpoint_on_preempt, std::move(d));
        ++status[static_cast<std::size_t>(v)].preemptions;
        requeue(JobId{v});
      }
      // Re-place on the state after the real releases (same result).
      if (auto placed = place_on(j, t)) {
        start(j, std::move(*placed), now);
        return true;
      }
    }
    return false;
  }

  void try_job(JobId j, SimTime now) {
    RefusalCodes codes;
    struct Fit {
      TypeId type;
      Candidate c;
    };
    std::vector<Fit> fits;
    std::vector<TypeId> busy;  // allowed types where only capacity blocks
    for (std::size_t ti = 0; ti < fleet.types().size(); ++ti) {
      const TypeId t{static_cast<int>(ti)};
      if (auto code = explain().refusal(specs[j.index()], t, now)) {
        codes.emplace_back(t.value, *code);
        continue;
      }
      std::optional<Candidate> c;
      if (might_fit(j, t)) c = place_on(j, t, /*build=*/false);
      if (c) {
        fits.push_back(Fit{t, std::move(*c)});
      } else {
        busy.push_back(t);
        codes.emplace_back(t.value, kRefusalCapacity);
      }
    }
    if (!fits.empty()) {
      std::size_t pick = 0;
      if (placement->forecasts_releases()) {
        if (auto w = hetero_choice(j, fits, busy, now); w) {
          pick = *w;
        } else {
          for (auto& [type, code] : codes)
            if (type == busy_pick_.value) code = kRefusalWait;
          record_queue(j, now, std::move(codes));
          return;
        }
      } else {
        for (std::size_t i = 1; i < fits.size(); ++i)
          if (fits[i].c.key > fits[pick].c.key) pick = i;
      }
      if (auto built = place_on(j, fits[pick].type)) {
        for (std::size_t i = 0; i < fits.size(); ++i)
          if (i != pick) also_fit_.push_back(fits[i].type);
        start(j, std::move(*built), now);
        return;
      }
    }
    if (config.preemption && !busy.empty() && try_preempt(j, busy, now)) return;
    record_queue(j, now, std::move(codes));
  }

  // Like a backfill window: at most this many jobs per pass may wait for a
  // busy faster type; later ones run on what is free (bounds the forecast
  // work per pass on large queues).
  static constexpr int kMaxWaitingPerPass = 16;
  int waiting_this_pass = 0;
  std::vector<TypeId> also_fit_;  // the next kPlace decision's also_fit
  TypeId busy_pick_;
  std::string wait_detail_;

  // Earliest completion: run now on the best type that fits, or wait for a
  // busy faster type if the forecast says it finishes clearly sooner.
  // nullopt: wait (busy_pick_/wait_detail_ say for what).
  std::optional<std::size_t> hetero_choice(JobId j, const auto& fits,
                                           const std::vector<TypeId>& busy, SimTime now) {
    const JobSpec& s = specs[j.index()];
    const JobStatus& st = status[j.index()];
    const double overhead = run_overhead(st);
    auto remaining = [&](TypeId t) {
      return overhead + (1 - st.progress) * s.duration_s[t.index()];
    };
    // The share rule comes first: below the minimum, run on a domestic type
    // now rather than wait.
    bool share_short = false;
    for (const Rule& r : rules)
      if (r.kind == RuleKind::kDomesticShare) {
        const auto sh = accounting.share();
        if (!sh || *sh < r.min_share) share_short = true;
      }
    std::size_t pick = 0;
    double best_now = kCannotRun;
    for (std::size_t i = 0; i < fits.size(); ++i) {
      if (share_short && !fleet.type(fits[i].type).domestic) continue;
      const double ect = now + remaining(fits[i].type);
      if (ect < best_now) {
        best_now = ect;
        pick = i;
      }
    }
    if (share_short && !std::isfinite(best_now)) {
      // No domestic fit: plain earliest completion among what fits.
      for (std::size_t i = 0; i < fits.size(); ++i) {
        const double ect = now + remaining(fits[i].type);
        if (ect < best_now) {
          best_now = ect;
          pick = i;
        }
      }
      share_short = false;
    }
    if (share_short && fleet.type(fits[pick].type).domestic) return pick;
    const std::int64_t need = job_milli(s);
    double best_wait = kCannotRun;
    TypeId wait_type;
    for (TypeId t : busy) {
      // Even an immediate start there would not win: no forecast needed.
      if (remaining(t) >= kWaitMargin * (best_now - now)) continue;
      const SimTime start_at = earliest_start(t, need, now);
      const double ect = start_at + remaining(t);
      if (ect < best_wait) {
        best_wait = ect;
        wait_type = t;
      }
    }
    if (std::isfinite(best_wait) && best_wait - now < kWaitMargin * (best_now - now) &&
        waiting_this_pass < kMaxWaitingPerPass) {
      ++waiting_this_pass;
      // Reserve: the devices are taken from the start time on and come back
      // at the end.
      forecast.reserve(wait_type, need,
                       earliest_start(wait_type, need, now) + remaining(wait_type));
      busy_pick_ = wait_type;
      wait_detail_ = fmt::format("{} expected to finish at t={:.0f} s vs {:.0f} s on {} now",
                                 fleet.type(wait_type).id, best_wait, best_now,
                                 fleet.type(fits[pick].type).id);
      return std::nullopt;
    }
    return pick;
  }

  void apply_rules(SimTime now) {
    for (std::size_t i = 0; i < rules.size(); ++i) {
      const Rule& r = rules[i];
      if (r.kind != RuleKind::kNoNewPlacements && r.kind != RuleKind::kDrain) continue;
      if (!rule_started[i] && now >= r.from) {
        rule_started[i] = true;
        dirty = true;
        ++release_epoch;  // refusal reasons change
        Decision d;
        d.time = now;
        d.kind = DecisionKind::kRule;
        d.rule = r.id;
        d.detail = r.kind == RuleKind::kDrain
                       ? fmt::format("drain {}: no new placements; empty within {:.1f} h",
                                     fleet.type(*r.type).id, r.within_s / 3600)
                       : fmt::format("no new placements on {}", fleet.type(*r.type).id);
        emit(std::move(d));
        if (r.kind == RuleKind::kDrain) drain(r, now, /*deadline=*/false);
      }
      if (r.kind == RuleKind::kDrain && rule_started[i] && !rule_deadline_done[i] &&
          now >= r.from + r.within_s) {
        rule_deadline_done[i] = true;
        drain(r, now, /*deadline=*/true);
      }
    }
  }

  // Moves jobs off a drained type: at the start those that would not finish
  // by the deadline (checkpointed first), at the deadline everything left.
  void drain(const Rule& r, SimTime now, bool deadline) {
    const SimTime limit = r.from + r.within_s;
    std::vector<int> victims;
    for (int id : running)
      if (status[static_cast<std::size_t>(id)].allocation.type == *r.type &&
          (deadline || expected_end(JobId{id}) > limit))
        victims.push_back(id);
    for (int id : victims) {
      Decision d;
      d.kind = DecisionKind::kEvict;
      d.rule = r.id;
      d.detail = deadline ? fmt::format("drain deadline of {} reached", fleet.type(*r.type).id)
                          : fmt::format("would not finish on {} before the drain deadline",
                                        fleet.type(*r.type).id);
      interrupt(JobId{id}, now, config.checkpoint_on_preempt, std::move(d));
      requeue(JobId{id});
    }
  }

  void pass(SimTime now) {
    apply_rules(now);
    if (!dirty) return;
    dirty = false;
    forecast.clear_reservations();
    waiting_this_pass = 0;
    // A domestic placement late in a pass can admit a foreign job that the
    // share rule held back earlier in it: go round again while that happens.
    while (true) {
      const long long share_before = share_epoch;
      bool share_blocked = false;
      for (int id : queue_order()) {
        const auto k = static_cast<std::size_t>(id);
        if (status[k].state != JobState::kQueued) continue;
        if (tried_epoch[k] == release_epoch &&
            (tried_share_epoch[k] < 0 || tried_share_epoch[k] == share_epoch)) {
          share_blocked |= tried_share_epoch[k] >= 0;
          continue;
        }
        try_job(JobId{id}, now);
        share_blocked |= status[k].state == JobState::kQueued && tried_share_epoch[k] >= 0;
      }
      if (!share_blocked || share_epoch == share_before) break;
    }
  }
};

// ---- public API ------------------------------------------------------------

Scheduler::Scheduler(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Scheduler::Scheduler(Scheduler&&) noexcept = default;
Scheduler& Scheduler::operator=(Scheduler&&) noexcept = default;
Scheduler::~Scheduler() = default;

Result<Scheduler> Scheduler::create(Fleet fleet, std::vector<Tenant> tenants,
                                    std::vector<Rule> rules, SchedulerConfig config) {
  if (tenants.empty()) tenants.push_back(Tenant{"default", 1});
  for (const Tenant& t : tenants)
    if (!(t.weight > 0))
      return suanli::fail(ErrorCode::kInvalidArgument,
                          fmt::format("tenant {}: weight must be > 0", t.name));
  if (fleet.types().size() > static_cast<std::size_t>(kMaxGpuModels))
    return suanli::fail(ErrorCode::kInvalidArgument,
                        fmt::format("at most {} accelerator types per fleet", kMaxGpuModels));
  for (const Rule& r : rules) {
    const bool typed = r.kind == RuleKind::kApprovedCustomers ||
                       r.kind == RuleKind::kNoNewPlacements || r.kind == RuleKind::kDrain;
    if (typed && (!r.type || r.type->index() >= fleet.types().size()))
      return suanli::fail(ErrorCode::kInvalidArgument,
                          fmt::format("rule {}: unknown accelerator type", r.id));
    for (TenantId t : r.tenants)
      if (!t.valid() || t.index() >= tenants.size())
        return suanli::fail(ErrorCode::kInvalidArgument,
                            fmt::format("rule {}: unknown tenant", r.id));
    if (r.kind == RuleKind::kDomesticShare && !(r.min_share >= 0 && r.min_share <= 1))
      return suanli::fail(ErrorCode::kInvalidArgument,
                          fmt::format("rule {}: min_share must be in [0, 1]", r.id));
  }
  auto impl = std::make_unique<Impl>();
  impl->fleet = std::move(fleet);
  impl->tenants = std::move(tenants);
  impl->rules = std::move(rules);
  impl->config = config;
  impl->rng = Rng(config.seed);
  impl->placement = make_placement(config.placement);
  impl->rule_started.assign(impl->rules.size(), false);
  impl->rule_deadline_done.assign(impl->rules.size(), false);
  ShareMeasure measure = ShareMeasure::kCompute;
  for (const Rule& r : impl->rules)
    if (r.kind == RuleKind::kDomesticShare) {
      measure = r.measure;
      break;
    }
  impl->accounting = FleetAccounting(impl->tenants.size(), measure);
  impl->accounting.index_new_nodes(impl->fleet);
  return Scheduler(std::move(impl));
}

Result<JobId> Scheduler::submit(JobSpec spec, SimTime now) {
  Impl& m = *impl_;
  const std::size_t types = m.fleet.types().size();
  auto bad = [&](std::string what) {
    return suanli::fail(ErrorCode::kInvalidArgument, fmt::format("job {}: {}", spec.name, what));
  };
  if (!spec.tenant.valid() || spec.tenant.index() >= m.tenants.size()) return bad("unknown tenant");
  if (spec.devices < 1) return bad("devices must be >= 1");
  if (spec.tp < 1 || spec.devices % spec.tp != 0)
    return bad(fmt::format("devices ({}) must be a multiple of tp ({})", spec.devices, spec.tp));
  if (spec.gpu_milli < 1 || spec.gpu_milli > kGpuMilli) return bad("gpu_milli must be 1..1000");
  if (spec.gpu_milli < kGpuMilli && spec.devices != 1)
    return bad("a fractional pod (gpu_milli < 1000) uses exactly one device");
  if (spec.cpu_milli < 0 || spec.memory_mib < 0) return bad("negative CPU or memory");
  if (spec.duration_s.size() != types)
    return bad(fmt::format("duration_s has {} entries for {} accelerator types",
                           spec.duration_s.size(), types));
  for (double d : spec.duration_s)
    if (!(d > 0)) return bad("durations must be > 0 (kCannotRun where it cannot run)");
  if (spec.checkpoint_interval_s < 0) return bad("negative checkpoint interval");
  const JobId id{static_cast<int>(m.specs.size())};
  PodRequest pod;
  pod.cpu_milli = spec.cpu_milli;
  pod.memory_mib = spec.memory_mib;
  pod.num_gpu = spec.devices;
  pod.gpu_milli = spec.gpu_milli;
  constexpr std::size_t kWindow = 2000;
  if (m.recent_pods.size() < kWindow) {
    m.recent_pods.push_back(pod);
  } else {
    m.recent_pods[m.recent_next] = pod;
    m.recent_next = (m.recent_next + 1) % kWindow;
  }
  m.typical_stale = true;
  m.specs.push_back(std::move(spec));
  JobStatus st;
  st.submitted = now;
  m.status.push_back(std::move(st));
  m.last_codes.emplace_back();
  m.tried_epoch.push_back(-1);
  m.tried_share_epoch.push_back(-1);
  m.queue.insert(id.value);
  m.dirty = true;
  Decision d;
  d.time = now;
  d.kind = DecisionKind::kSubmit;
  d.job = id;
  m.emit(std::move(d));
  return id;
}

Result<void> Scheduler::finish(JobId job, SimTime now) {
  Impl& m = *impl_;
  if (!job.valid() || job.index() >= m.specs.size())
    return suanli::fail(ErrorCode::kNotFound, "finish: unknown job");
  if (m.status[job.index()].state != JobState::kRunning)
    return suanli::fail(ErrorCode::kInvalidArgument,
                        fmt::format("finish: job {} is not running", m.specs[job.index()].name));
  m.stop(job, now, 1.0);
  JobStatus& st = m.status[job.index()];
  st.state = JobState::kCompleted;
  st.ended = now;
  Decision d;
  d.time = now;
  d.kind = DecisionKind::kComplete;
  d.job = job;
  m.emit(std::move(d));
  return {};
}

Result<void> Scheduler::fail(JobId job, SimTime now, std::string reason) {
  Impl& m = *impl_;
  if (!job.valid() || job.index() >= m.specs.size())
    return suanli::fail(ErrorCode::kNotFound, "fail: unknown job");
  JobStatus& st = m.status[job.index()];
  if (st.state == JobState::kCompleted || st.state == JobState::kFailed)
    return suanli::fail(ErrorCode::kInvalidArgument,
                        fmt::format("fail: job {} already ended", m.specs[job.index()].name));
  m.fail_job(job, now, std::move(reason), "");
  return {};
}

Result<void> Scheduler::node_down(NodeId node, SimTime now) {
  Impl& m = *impl_;
  if (!node.valid() || node.index() >= m.fleet.nodes().size())
    return suanli::fail(ErrorCode::kNotFound, "node_down: unknown node");
  if (!m.fleet.node(node).up) return {};
  std::vector<int> victims = m.accounting.jobs_on(node);
  std::sort(victims.begin(), victims.end());
  for (int id : victims) {
    const JobId j{id};
    Decision d;
    d.kind = DecisionKind::kKill;
    d.rule = std::string(kNodeFailureRule);
    d.node = node;
    d.detail = fmt::format("node {} failed; restart from {:.1f}% done", m.fleet.node(node).name,
                           100 * m.checkpoint_at(j, now).first);
    m.interrupt(j, now, /*saved=*/false, std::move(d));
    const int restarts = ++m.status[j.index()].restarts;
    if (restarts > m.config.max_restarts) {
      m.fail_job(j, now,
                 fmt::format("killed by node failures {} times (max_restarts = {})", restarts,
                             m.config.max_restarts),
                 std::string(kNodeFailureRule));
    } else {
      m.requeue(j);
    }
  }
  m.fleet.node(node).up = false;
  m.accounting.rebucket(m.fleet, node);
  m.dirty = true;
  return {};
}

Result<void> Scheduler::node_up(NodeId node, SimTime now) {
  (void)now;
  Impl& m = *impl_;
  if (!node.valid() || node.index() >= m.fleet.nodes().size())
    return suanli::fail(ErrorCode::kNotFound, "node_up: unknown node");
  m.fleet.node(node).up = true;
  m.accounting.rebucket(m.fleet, node);
  ++m.release_epoch;
  m.dirty = true;
  return {};
}

Result<void> Scheduler::cordon(NodeId node, bool on, SimTime now) {
  (void)now;
  Impl& m = *impl_;
  if (!node.valid() || node.index() >= m.fleet.nodes().size())
    return suanli::fail(ErrorCode::kNotFound, "cordon: unknown node");
  FleetNode& n = m.fleet.node(node);
  if (n.cordoned == on) return {};
  n.cordoned = on;
  m.accounting.rebucket(m.fleet, node);
  if (!on) ++m.release_epoch;
  m.dirty = true;
  return {};
}

Result<void> Scheduler::add_rule(Rule rule, SimTime now) {
  Impl& m = *impl_;
  if (rule.kind != RuleKind::kNoNewPlacements && rule.kind != RuleKind::kDrain)
    return suanli::fail(ErrorCode::kInvalidArgument,
                        fmt::format("rule {}: only no-new-placements and drain rules can be added "
                                    "to a running fleet (the others belong in its config)",
                                    rule.id));
  if (!rule.type || rule.type->index() >= m.fleet.types().size())
    return suanli::fail(ErrorCode::kInvalidArgument,
                        fmt::format("rule {}: unknown accelerator type", rule.id));
  for (const Rule& r : m.rules)
    if (r.id == rule.id)
      return suanli::fail(ErrorCode::kConflict,
                          fmt::format("rule {}: a rule with this ID exists", rule.id));
  if (!(rule.within_s >= 0))
    return suanli::fail(ErrorCode::kInvalidArgument,
                        fmt::format("rule {}: within must be >= 0", rule.id));
  rule.from = std::max(rule.from, now);
  m.rules.push_back(std::move(rule));
  m.rule_started.push_back(false);
  m.rule_deadline_done.push_back(false);
  m.dirty = true;
  return {};
}

Result<std::vector<NodeId>> Scheduler::add_nodes(const NodePool& pool, SimTime now) {
  (void)now;
  Impl& m = *impl_;
  auto added = m.fleet.add_pool(pool);
  if (!added) return added;
  m.accounting.index_new_nodes(m.fleet);
  ++m.release_epoch;
  m.dirty = true;
  return added;
}

void Scheduler::schedule(SimTime now) { impl_->pass(now); }

void Scheduler::fail_queued(SimTime now, std::string_view why) {
  Impl& m = *impl_;
  const std::vector<int> queued(m.queue.begin(), m.queue.end());
  for (int id : queued) {
    JobStatus& st = m.status[static_cast<std::size_t>(id)];
    std::string reason =
        st.reason.empty() ? std::string(why) : fmt::format("{}: {}", why, st.reason);
    m.fail_job(JobId{id}, now, std::move(reason), st.reason_rule);
  }
}

std::vector<Decision> Scheduler::take_decisions() {
  std::vector<Decision> out;
  out.swap(impl_->decisions);
  return out;
}

std::vector<SimTime> Scheduler::rule_times() const {
  std::vector<SimTime> out;
  for (const Rule& r : impl_->rules) {
    if (r.kind == RuleKind::kNoNewPlacements || r.kind == RuleKind::kDrain) out.push_back(r.from);
    if (r.kind == RuleKind::kDrain) out.push_back(r.from + r.within_s);
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

const Fleet& Scheduler::fleet() const { return impl_->fleet; }
const std::vector<Tenant>& Scheduler::tenants() const { return impl_->tenants; }
const std::vector<Rule>& Scheduler::rules() const { return impl_->rules; }
const SchedulerConfig& Scheduler::config() const { return impl_->config; }
int Scheduler::job_count() const { return static_cast<int>(impl_->specs.size()); }
const JobSpec& Scheduler::spec(JobId job) const { return impl_->specs[job.index()]; }
const JobStatus& Scheduler::status(JobId job) const { return impl_->status[job.index()]; }
SimTime Scheduler::expected_end(JobId job) const { return impl_->expected_end(job); }

std::vector<JobId> Scheduler::queued() const {
  std::vector<JobId> out;
  for (int id : impl_->queue) out.push_back(JobId{id});
  return out;
}

int Scheduler::running_count() const { return static_cast<int>(impl_->running.size()); }

double Scheduler::allocated_devices(TypeId type) const {
  return static_cast<double>(impl_->accounting.alloc_milli(type)) / kGpuMilli;
}

std::optional<double> Scheduler::domestic_share() const { return impl_->accounting.share(); }

Result<void> Scheduler::check_accounting() const {
  const Impl& m = *impl_;
  if (const std::optional<Error>& e = m.accounting.first_failure()) return std::unexpected(*e);
  return m.accounting.check_invariants(m.fleet, m.specs);
}

}  // namespace suanli

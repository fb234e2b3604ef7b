// The scheduling core, driven incrementally: submit, finish, fail, node
// down/up and deliveries change its state; schedule(now) applies the rules
// due by `now` and places queued jobs. Every change is reported as a
// Decision naming the rule (or reason ID) behind it, which the simulator
// writes to its event log and the live service to its audit log. The core
// keeps no clock and no global state: the caller passes `now`.
#pragma once

#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "sched/fleet.h"
#include "sched/job.h"
#include "sched/rules.h"
#include "util/error.h"

namespace suanli {

enum class QueuePolicy { kFifo, kPriority, kShortestFirst, kFairShare };
std::string_view queue_policy_name(QueuePolicy p);
Result<QueuePolicy> parse_queue_policy(std::string_view text);  // fifo|priority|sjf|fair-share

enum class PlacementKind {
  kFirstFit,
  kBestFit,
  kDotProduct,
  kGpuPacking,
  kGpuClustering,
  kRandom,
  kFgd,
  kHetero,  // earliest completion across types (Gavel-like), best fit inside
};
// Named in sched/placement/table.cpp (one file per policy beside it):
// first-fit|best-fit|dotprod|gpu-packing|gpu-clustering|random|fgd|hetero
std::string_view placement_policy_name(PlacementKind p);
Result<PlacementKind> parse_placement_policy(std::string_view text);
std::span<const PlacementKind> all_placement_policies();
// "name: what it does; …" for help texts.
std::string placement_policy_help();

struct SchedulerConfig {
  QueuePolicy queue = QueuePolicy::kFifo;
  PlacementKind placement = PlacementKind::kBestFit;
  bool preemption = false;            // higher priority may preempt lower
  bool checkpoint_on_preempt = true;  // a preempted or drained job saves its progress
  double restart_overhead_s = 0;      // added to every run after the first
  int max_restarts = 3;               // node-failure restarts before the job fails
  std::uint64_t seed = 1;             // for the random policy and tie-breaks
};

enum class DecisionKind {
  kSubmit,
  kPlace,
  kQueue,    // could not be placed now; refusals say why per type
  kPreempt,  // stopped for a higher-priority job, back in the queue
  kEvict,    // stopped by a drain rule, back in the queue
  kKill,     // stopped by a node failure, back in the queue (or failed)
  kComplete,
  kFail,
  kRule,  // a time rule took effect
};
std::string_view decision_kind_name(DecisionKind kind);

struct TypeRefusal {
  TypeId type;
  std::string rule;  // rule ID or reason ID (capacity, workload, …)
  std::string detail;
};

struct Decision {
  SimTime time = 0;
  DecisionKind kind = DecisionKind::kSubmit;
  JobId job;
  std::string rule;                   // the rule or policy that decided
  std::string detail;                 // a sentence for people
  Allocation allocation;              // kPlace, and the devices released by kPreempt/kEvict/kKill
  std::vector<std::string> checked;   // kPlace: rules evaluated and passed
  std::vector<TypeRefusal> refusals;  // kQueue
  std::vector<TypeId> also_fit;       // kPlace: other types it fitted on now, not chosen
  JobId by;                           // kPreempt: the job that needed the devices
  double lost_device_s = 0;           // kPreempt/kEvict/kKill: work thrown away
  std::optional<NodeId> node;         // kKill: the node that failed
};

class Scheduler {
 public:
  static Result<Scheduler> create(Fleet fleet, std::vector<Tenant> tenants, std::vector<Rule> rules,
                                  SchedulerConfig config);
  Scheduler(Scheduler&&) noexcept;
  Scheduler& operator=(Scheduler&&) noexcept;
  ~Scheduler();

  // Checks the spec (sizes, per-type durations) and queues the job.
  Result<JobId> submit(JobSpec spec, SimTime now);
  // The running job finished its work.
  Result<void> finish(JobId job, SimTime now);
  // The job failed for its own reasons (not a node failure).
  Result<void> fail(JobId job, SimTime now, std::string reason);
  // Jobs on the node are killed and requeued from their last checkpoint
  // (or failed once they exceed max_restarts).
  Result<void> node_down(NodeId node, SimTime now);
  Result<void> node_up(NodeId node, SimTime now);
  // A drained node: up (its jobs keep running) but nothing new is placed
  // on it while `on`.
  Result<void> cordon(NodeId node, bool on, SimTime now);
  // A licence shock on a running fleet: a no-new-placements or drain rule
  // on one type, effective from max(rule.from, now) at the next schedule().
  Result<void> add_rule(Rule rule, SimTime now);
  // A delivery: new nodes, placeable from `now`.
  Result<std::vector<NodeId>> add_nodes(const NodePool& pool, SimTime now);
  // Applies time rules due by `now` and places queued jobs.
  void schedule(SimTime now);
  // Fails every queued job with `why` and its last refusal (end of a run).
  void fail_queued(SimTime now, std::string_view why);

  // Decisions since the last call, in order.
  std::vector<Decision> take_decisions();

  // Times at which a rule changes the state (activation, drain deadline).
  std::vector<SimTime> rule_times() const;

  const Fleet& fleet() const;
  const std::vector<Tenant>& tenants() const;
  const std::vector<Rule>& rules() const;
  const SchedulerConfig& config() const;
  int job_count() const;
  const JobSpec& spec(JobId job) const;
  const JobStatus& status(JobId job) const;
  // When a running job will finish if nothing stops it.
  SimTime expected_end(JobId job) const;
  std::vector<JobId> queued() const;
  int running_count() const;
  // Allocated devices of a type (fractional pods count their share).
  double allocated_devices(TypeId type) const;
  // Domestic share of allocated compute under the first domestic-share
  // rule's measure (compute when there is none); nullopt when nothing runs.
  std::optional<double> domestic_share() const;
  // The fleet accounting recounted from the nodes (sched/accounting.h):
  // the first mismatch the per-apply checks of a debug or sanitizer build
  // found, else one found now; tests call it, nothing aborts.
  Result<void> check_accounting() const;

 private:
  struct Impl;
  explicit Scheduler(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace suanli

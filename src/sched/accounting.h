// The scheduling core's fleet accounting (scheduler.cpp's pass reads it):
// per device type, the up and placeable nodes bucketed by their fully free
// devices (the order the placement code walks them in), fully free nodes
// per scale-up domain, devices up and in all per type, and what running
// jobs hold: milli-devices per type and per tenant, the running jobs on
// each node, and the allocated compute (in all, and on domestic types)
// behind the domestic-share rule. apply() is the one writer of node
// occupancy: it puts a job's allocation on the nodes (+1) or takes it off
// (-1) and moves every count with it. The fleet and the job specs stay the
// scheduler's and are passed in; the retry epochs stay with the pass.
//
// Checked: check_invariants() recounts all of it from the nodes and the
// jobs listed on them and returns the first mismatch as an Error (never
// aborts). Debug and sanitizer builds (!NDEBUG or SUANLI_SANITIZE_BUILD)
// also check after every apply, the touched nodes each time and the whole
// fleet on every ceil(nodes / 256)-th apply (every apply up to 256 nodes),
// and keep the first failure; Scheduler::check_accounting() reports it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <set>
#include <span>
#include <vector>

#include "sched/fleet.h"
#include "sched/job.h"
#include "sched/rules.h"
#include "util/error.h"

namespace suanli {

// Devices a job holds (a fractional pod counts its share of one).
double job_devices(const JobSpec& s);

class FleetAccounting {
 public:
  FleetAccounting() = default;
  // `tenants` sizes the per-tenant counts; `measure` weighs a device in the
  // allocated compute (the first domestic-share rule's, else compute).
  FleetAccounting(std::size_t tenants, ShareMeasure measure);

  // Files the nodes added to the fleet since the last call (all at first).
  void index_new_nodes(const Fleet& fleet);
  // Re-files a node after its up or cordoned flag changed.
  void rebucket(const Fleet& fleet, NodeId node);
  // Puts job j's allocation `a` on its nodes (sign +1) or takes it off (-1):
  // devices, CPU and memory, the node's version, buckets and every total.
  void apply(Fleet& fleet, std::span<const JobSpec> specs, JobId j, const Allocation& a, int sign);

  // Up, placeable nodes of type t by fully free devices: buckets(t)[k]
  // holds the indices of the nodes with k free (k = 0 … kMaxNodeGpus).
  const std::vector<std::set<int>>& buckets(TypeId t) const { return buckets_[t.index()]; }
  // A node's bucket: its fully free devices, -1 when down or cordoned.
  int bucket_of(int node) const { return node_bucket_[static_cast<std::size_t>(node)]; }
  // Fully free placeable nodes of a scale-up domain.
  int domain_free_nodes(std::size_t domain) const { return domain_free_nodes_[domain]; }
  // Running jobs (IDs) with devices on a node, in the order they started.
  const std::vector<int>& jobs_on(NodeId node) const { return node_jobs_[node.index()]; }
  int devices_up(TypeId t) const { return type_devices_up_[t.index()]; }
  int devices_total(TypeId t) const { return type_devices_total_[t.index()]; }
  std::int64_t alloc_milli(TypeId t) const { return type_alloc_milli_[t.index()]; }
  // Milli-devices of type t on up nodes (cordoned ones too) that no job holds.
  std::int64_t free_milli(TypeId t) const {
    return std::int64_t{type_devices_up_[t.index()]} * kGpuMilli - type_alloc_milli_[t.index()];
  }
  std::int64_t tenant_milli(TenantId t) const { return tenant_alloc_milli_[t.index()]; }

  // Allocated compute under the share measure, in all and on domestic types.
  double compute_total() const { return alloc_compute_total_; }
  double compute_domestic() const { return alloc_compute_domestic_; }
  // One device of type t under the share measure (1, or its compute weight).
  double weight_of(const Fleet& fleet, TypeId t) const;
  // What the job would add to the allocated compute on type t.
  double job_compute(const Fleet& fleet, const JobSpec& s, TypeId t) const;
  // Domestic share of allocated compute; nullopt when nothing runs.
  std::optional<double> share() const;

  // Everything above recounted from the nodes and the jobs listed on them
  // (kConflict: the bookkeeping disagrees with the fleet).
  Result<void> check_invariants(const Fleet& fleet, std::span<const JobSpec> specs) const;
  // The first failure of the per-apply checks of a debug or sanitizer
  // build (always empty in a release build).
  const std::optional<Error>& first_failure() const { return first_failure_; }

 private:
  Result<void> check_node(const Fleet& fleet, std::span<const JobSpec> specs, int node) const;
  Result<void> check_buckets(const Fleet& fleet) const;
  Result<void> check_type_totals(const Fleet& fleet) const;
  Result<void> check_held(const Fleet& fleet, std::span<const JobSpec> specs) const;
  void check_after_apply(const Fleet& fleet, std::span<const JobSpec> specs,
                         const std::vector<int>& touched);

  std::vector<std::vector<std::set<int>>> buckets_;  // per type, per fully free devices
  std::vector<int> node_bucket_;                     // -1: down or cordoned (in no bucket)
  std::vector<char> node_counted_up_;                // 1: devices counted in type_devices_up_
  std::vector<std::vector<int>> node_jobs_;          // running jobs with devices on each node
  std::vector<int> domain_free_nodes_;               // fully free up nodes per domain
  std::vector<std::int64_t> type_alloc_milli_;
  std::vector<int> type_devices_up_;     // devices in nodes that are up, per type
  std::vector<int> type_devices_total_;  // all devices, per type
  std::vector<std::int64_t> tenant_alloc_milli_;
  double alloc_compute_domestic_ = 0;  // under share_measure_
  double alloc_compute_total_ = 0;
  ShareMeasure share_measure_ = ShareMeasure::kCompute;

  std::optional<Error> first_failure_;
  std::size_t applies_ = 0;  // paces the whole-fleet check of debug builds
};

}  // namespace suanli

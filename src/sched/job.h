// Jobs as the scheduling core sees them: a gang of devices (all or nothing)
// split into tensor-parallel groups that must each sit inside one scale-up
// domain, or one fractional device; a tenant, priority and data
// sensitivity; and the work, already turned into seconds on each
// accelerator type of the fleet (by the estimator, or by scaling a
// reference-device time), so heterogeneity is visible to every policy.
#pragma once

#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sched/fleet.h"
#include "util/error.h"
#include "vocab/sensitivity.h"

namespace suanli {

enum class JobKind { kTraining, kInference, kFineTune, kBatch, kFractional };
std::string_view job_kind_name(JobKind kind);
std::optional<JobKind> parse_job_kind(std::string_view text);

struct Tenant {
  std::string name;
  double weight = 1;  // fair share
  // The declared sensitivity of the tenant's data ([[tenants]]
  // sensitivity): the floor of every job of the tenant (job_sensitivity).
  std::optional<Sensitivity> sensitivity{};
};

// The sensitivity a job of `tenant` is scheduled and audited under: the
// job's own (public when it gives none), raised to the tenant's declared
// floor — a job may raise its tenant's sensitivity, never lower it. The
// one rule for job defaults, used by the simulator's loader, the live
// fleet and the audit, so a rule cannot be bypassed by leaving the field
// out and an audit cannot pass what the scheduler should have refused.
Sensitivity job_sensitivity(std::optional<Sensitivity> given, const Tenant& tenant);

inline constexpr double kCannotRun = std::numeric_limits<double>::infinity();

struct JobSpec {
  std::string name;
  TenantId tenant;
  JobKind kind = JobKind::kTraining;
  int priority = 0;  // higher runs first (priority queue) and may preempt lower
  Sensitivity sensitivity = Sensitivity::kPublic;
  // Devices in the gang, and devices per tensor-parallel group: each group
  // sits in one node when tp <= devices per node, else in tp/devices-per-node
  // whole nodes of one scale-up domain. devices % tp == 0.
  int devices = 1;
  int tp = 1;
  int gpu_milli = 1000;  // < 1000: a fractional pod on one device (devices == 1)
  std::int64_t cpu_milli = 0;
  std::int64_t memory_mib = 0;
  // Seconds of work for the whole gang on each fleet type (index TypeId);
  // kCannotRun where the job cannot run on that type, with the reason in
  // cannot_run_reason (same index): "not in allowed types", "model needs
  // 212 GB per device, has 96", …
  std::vector<double> duration_s;
  std::vector<std::string> cannot_run_reason;
  double checkpoint_interval_s = 0;  // 0: no checkpoints (a restart loses everything)
};

// One device (or part of one) held by a job.
struct DeviceSlot {
  NodeId node;
  int device = 0;
  int milli = 1000;
};

struct Allocation {
  TypeId type;
  std::vector<std::vector<DeviceSlot>> groups;  // one entry per TP group
  int devices() const;
};

enum class JobState { kQueued, kRunning, kCompleted, kFailed };
std::string_view job_state_name(JobState s);

struct JobStatus {
  JobState state = JobState::kQueued;
  SimTime submitted = 0;
  std::optional<SimTime> first_start;
  SimTime run_start = 0;  // of the current run
  SimTime ended = 0;
  // Fraction of the work done: at the start of the current run, and as of
  // the last checkpoint (what a restart resumes from).
  double progress = 0;
  double checkpoint_progress = 0;
  int epoch = 0;  // bumped by every start; lets a simulator drop stale completions
  int restarts = 0;
  int preemptions = 0;
  double lost_device_s = 0;
  double device_s = 0;      // device-seconds held, all runs
  double cost_usd = 0;      // device-hours held x price of the type
  Allocation allocation;    // while running
  std::string reason;       // why it failed, or why it is still queued
  std::string reason_rule;  // the rule behind `reason` (when one decided)
};

}  // namespace suanli

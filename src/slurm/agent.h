// The Slurm agent: suanli's scheduling core (the live fleet, event-sourced
// in the store) placing jobs on a real Slurm cluster (docs/slurm.md).
//
// The agent calls the core (service/fleet_core.h) directly; JOB.toml and
// the shock rule are decoded by the HTTP API's strict decoders
// (service/live_fleet.h), so a job file takes exactly the API's fields.
//
// The core decides where a job may and should go under the rules; the agent
// submits it with sbatch pinned to the core's nodes (--nodelist, the GRES
// type and count per node, the accelerator feature) and records the Slurm
// job ID as the job's start. sync() reads Slurm's nodes and jobs and
// reports what changed to the core (DOWN → node down, its jobs requeued by
// the policy and re-placed; DRAIN → no new placements; completions and
// failures), cancels Slurm jobs the core moved away (a drain rule, a
// preemption) and submits the core's new placements. Every Slurm job the
// agent submits carries the comment suanli:<fleet epoch>:<job>:<placement>,
// so a placement submitted just before a crash is adopted, not submitted
// twice.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "service/live_fleet.h"
#include "slurm/slurm_client.h"
#include "util/error.h"

namespace suanli::slurm {

// JOB.toml (docs/slurm.md): the job for the core (the fields of
// POST /api/v1/fleet/jobs) and the batch script Slurm runs.
struct JobFile {
  nlohmann::json request;  // the POST /api/v1/fleet/jobs body, script included
  std::string defined_at;  // "file"
};
Result<JobFile> load_job_file(const std::filesystem::path& path);
Result<JobFile> parse_job_file(std::string_view text, const std::filesystem::path& file);

struct AgentOptions {
  std::string partition;   // sbatch --partition (empty: Slurm's default)
  std::string output_dir;  // sbatch --output=<dir>/suanli-<job>-%j.out (empty: Slurm's)
  double time_limit_minutes = 0;
};

// What one call did, in order, for people and for --json.
struct AgentAction {
  std::string what;  // submitted, adopted, cancelled, node-down, node-up, drain, resume,
                     // finished, failed, refused, queued, sbatch-failed, rule
  std::string job;   // "<id> <name>" when about a job
  std::string node;
  std::int64_t slurm_job = 0;
  std::string detail;  // nodes, rule, Slurm's state or message
};

struct SubmitOutcome {
  int job = -1;
  std::string state;               // the core's: running (submitted) | queued | failed
  std::int64_t slurm_job = 0;      // when submitted
  std::vector<std::string> nodes;  // where the core placed it
  std::string accelerator;
  std::vector<std::string> checked;  // rules checked by the placement
  nlohmann::json refusals;           // when queued: per type, the rule
  std::vector<AgentAction> actions;
};

class SlurmAgent {
 public:
  SlurmAgent(service::FleetCore& fleet, SlurmClient client, AgentOptions options);
  SlurmAgent(service::LiveFleet& fleet, SlurmClient client, AgentOptions options);  // its core

  // The fleet must be configured (suanli slurm init). Reads Slurm, reports
  // the differences to the core, cancels moved jobs, submits placements
  // (an sbatch refusal: an "sbatch-failed" action, the job failed).
  // Fails before changing anything when Slurm is not reachable.
  Result<std::vector<AgentAction>> sync();

  // sync(), then the job is given to the core. Placed: submitted to Slurm
  // (state "running"). Held back only by rules that cannot change
  // (sensitivity → origin, approved customers, a drain or no-new-placements
  // rule, a type that cannot run it): recorded as failed with those rules
  // and an error kInfeasible naming them; nothing reaches Slurm. Held back
  // by capacity or the domestic share: queued in the core, submitted by a
  // later sync when placed. An sbatch failure is recorded as the job's
  // failure (with Slurm's message) and returned as an error.
  Result<SubmitOutcome> submit(const JobFile& job);

  // A licence shock: a drain or no-new-placements rule on a type from now
  // (POST /api/v1/fleet/rules), then a sync (evicted jobs are cancelled in
  // Slurm and re-placed elsewhere).
  Result<std::vector<AgentAction>> shock(const service::RuleRequest& rule);
  // The same from the POST /api/v1/fleet/rules body.
  Result<std::vector<AgentAction>> shock(const nlohmann::json& rule);

 private:
  Result<void> sync_nodes(std::vector<AgentAction>& actions);
  Result<void> sync_jobs(const std::vector<SlurmJob>& slurm_jobs,
                         std::vector<AgentAction>& actions);
  // `uid`: fleet_uid(), the first field of the comments of this fleet's jobs.
  Result<void> cancel_moved(const std::vector<SlurmJob>& slurm_jobs, const std::string& uid,
                            std::vector<AgentAction>& actions);
  // Submits every running job whose current placement Slurm has not got.
  // An sbatch refusal is recorded as the job's failure and reported as an
  // "sbatch-failed" action; errors are for the store or Slurm's answers.
  Result<void> submit_placed(const std::vector<SlurmJob>& slurm_jobs, const std::string& uid,
                             std::vector<AgentAction>& actions);
  Result<std::string> fleet_uid();
  SubmitRequest sbatch_request(const service::JobView& job, const std::string& comment) const;
  // A submitted job the core queued: failed (kInfeasible) when only rules
  // that cannot change refuse it, otherwise left queued.
  Result<SubmitOutcome> hold(SubmitOutcome out, const std::string& label);

  service::FleetCore* fleet_;
  SlurmClient client_;
  AgentOptions options_;
};

nlohmann::json actions_json(const std::vector<AgentAction>& actions);
std::string actions_text(const std::vector<AgentAction>& actions);

}  // namespace suanli::slurm

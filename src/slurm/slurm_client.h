// A client for a real Slurm through its command-line tools (sbatch,
// scancel, squeue, sinfo, scontrol, sacct) with JSON output: squeue --json
// and sinfo --json (Slurm 22.05 and later), sacct --json when accounting
// is on. Nothing
// here keeps state; every call runs one command. Errors name the command,
// its exit code and Slurm's own message. Which commands change the cluster
// is listed in docs/slurm.md: only sbatch, scancel and update_node.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "slurm/command.h"
#include "util/error.h"

namespace suanli::slurm {

struct ClientOptions {
  EnvVars env;            // e.g. SLURM_CONF=/path/slurm.conf
  std::string bin_dir;    // where sbatch & co are; empty: PATH
  double timeout_s = 30;  // per command
};

struct SubmitRequest {
  std::string job_name;
  std::string script;  // the batch script text (starts with #!); passed on stdin
  std::string partition;
  std::string nodelist;    // "a,b" (exact nodes)
  int nodes = 0;           // 0: Slurm's default
  std::string gres;        // per node, e.g. "gpu:h200:8"
  std::string constraint;  // features, e.g. "origin_cn"
  std::string comment;
  std::string workdir;            // --chdir
  std::string output;             // --output (may contain %A %a %j)
  std::string array;              // --array, e.g. "0-9"
  double time_limit_minutes = 0;  // 0: partition default
  bool requeue = false;           // false: --no-requeue (suanli decides restarts)
  bool test_only = false;         // --test-only: validate, submit nothing
};

struct SlurmJob {
  std::int64_t job_id = 0;
  std::optional<std::int64_t> array_job_id;   // for array tasks
  std::optional<std::int64_t> array_task_id;  // for array tasks
  std::string name;
  std::string state;   // PENDING, RUNNING, COMPLETED, FAILED, CANCELLED, NODE_FAIL, TIMEOUT, …
  std::string reason;  // state reason
  std::string nodes;   // node list as Slurm prints it (may be a hostlist expression)
  std::string comment;
  std::optional<int> exit_code;
};

struct SlurmNode {
  std::string name;
  std::string state;               // base state, upper case: IDLE, ALLOCATED, MIXED, DOWN, …
  std::vector<std::string> flags;  // DRAIN, NOT_RESPONDING, …
  std::string gres;                // "gpu:h200:8"
  std::vector<std::string> features;
  std::string reason;
  // DOWN or FAIL: running work is lost.
  bool down() const;
  // DRAIN (draining or drained), not responding, powered down, unknown:
  // no new work, running work is not given up.
  bool drained() const;
};

class SlurmClient {
 public:
  explicit SlurmClient(ClientOptions options = {});

  // `scontrol ping`: ErrorCode::kIo "Slurm is not reachable: …" when the
  // controller does not answer, kNotFound when the tools are not installed.
  Result<void> ping() const;
  // sbatch --parsable; the job ID (array: the array's job ID).
  Result<std::int64_t> submit(const SubmitRequest& request) const;
  Result<void> cancel(std::int64_t job_id) const;
  // Jobs Slurm still knows (pending, running and recently ended, as long as
  // MinJobAge keeps them). Empty `ids`: all.
  Result<std::vector<SlurmJob>> jobs(const std::vector<std::int64_t>& ids = {}) const;
  // sacct --json -j ID: a job squeue no longer lists; nullopt when the
  // cluster keeps no accounting (no slurmdbd) or does not know the job.
  Result<std::optional<SlurmJob>> accounting_job(std::int64_t job_id) const;
  Result<std::vector<SlurmNode>> nodes() const;
  // scontrol update NodeName=… State=… Reason=…
  Result<void> update_node(const std::string& name, const std::string& state,
                           const std::string& reason) const;

  // The sbatch arguments of a request (for tests and --dry-run output).
  static std::vector<std::string> submit_args(const SubmitRequest& request);

 private:
  Result<CommandResult> run(std::vector<std::string> argv, std::string stdin_text = {}) const;
  ClientOptions options_;
};

// Job states after which Slurm does nothing more with a job.
bool job_state_final(const std::string& state);

}  // namespace suanli::slurm

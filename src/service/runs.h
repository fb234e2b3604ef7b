// Asynchronous runs of saved scenarios (docs/runs.md): simulate, plan and
// report, queued in the store and executed by worker threads, with
// progress, cancellation, graceful shutdown and recovery at start-up.
//
// Run states: queued -> running -> succeeded | failed | cancelled, and
// "interrupted" for a run a shutdown stopped; recover() queues runs left
// queued, running or interrupted again and runs them from the start, except
// a run found "running" (the process died during it) after
// `max_attempts` starts: it is failed as quarantined, never retried
// forever. Every run is bounded: simulations by SimLimits (the scenario's
// [limits], capped by `limits` here), sweeps by their point caps, trace
// files by `trace_dirs`, and each token by `max_runs_per_token`. Stored and
// returned errors are valid UTF-8, name paths relative to the data
// directory and never echo a file's contents. Runs
// are deterministic (same scenario version, options and catalog give the
// same result text), so re-running one equals resuming it from a
// checkpoint. Wall-clock times are kept out of the stored result.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "service/catalog_holder.h"
#include "service/router.h"
#include "sim/audit.h"
#include "sim/simulation.h"
#include "store/store.h"
#include "util/messages.h"

namespace suanli::service {

struct RunManagerOptions {
  int workers = 1;                    // runs executed at the same time
  std::filesystem::path data_dir;     // scenarios are parsed under data_dir/scenarios/
  double progress_interval_s = 0.25;  // at most this often a progress write to the store
  std::size_t max_queued = 256;       // more queued runs: POST /runs answers 503
  int max_timeline_points = 2000;     // simulate: the time series is thinned to this
  // Queued plus running runs of one token in this process; more: 429.
  std::size_t max_runs_per_token = 32;
  // A run found "running" at start-up after this many starts is failed
  // ("quarantined after N interrupted attempts") instead of re-queued.
  int max_attempts = 2;
  // Hard caps on every simulation a run does (simulate runs and a report's
  // simulation); a scenario's [limits] can lower them, never raise them.
  SimLimits limits{100'000, 2'000'000, 500'000, 200'000, 900};
  // Where [[traces]] files may be read besides data_dir/scenarios/ (and
  // $SUANLI_TRACES when set): relative paths only, no "..", no symbolic
  // link out of these directories.
  std::vector<std::filesystem::path> trace_dirs;
  // Every language's message catalog, owned by the caller and outliving the
  // manager (the service's); null: the manager reads each once itself.
  const std::map<Lang, Messages>* messages = nullptr;
};

// The error text stored with a failed or cancelled run:
// {"code", "message"} as JSON, the message valid UTF-8 and naming paths
// under `data_dir` relative to it. Never throws.
std::string run_error_text(const Error& error, const std::filesystem::path& data_dir);

// The simulate run's result document (docs/runs.md):
//   {"kind": "simulate",
//    "summary": {the fields of `suanli simulate --json` without wall_time_s
//                and timeline},
//    "timeline": {"interval_s", "accelerators": [id], "t_h": [..],
//                 "utilization": {id: [..]}, "allocated": {id: [..]},
//                 "up": {id: [..]}, "domestic_share": [.. or null],
//                 "queued": [..], "running": [..]},
//    "jct_histogram": {"unit": "h", "count", "bucket_width_h",
//                      "buckets": [{"from_h", "to_h", "count"}]}}
// `jct_hours`: per completed job, in completion order.
nlohmann::ordered_json simulation_summary_json(const SimulationResult& result,
                                               const AuditReport& audit);
nlohmann::ordered_json simulation_timeline_json(const SimulationResult& result, int max_points);
nlohmann::ordered_json jct_histogram_json(const std::vector<double>& jct_hours);

// The per-job JCT (hours, completion order) from a simulation event log.
std::vector<double> jct_hours_from_event_log(std::istream& log);

// Routes:
//   POST /api/v1/runs                 {kind, scenario_id, version?, options?} -> 202 run
//   GET  /api/v1/runs?limit=N         -> {"runs": [run]} newest first
//   GET  /api/v1/runs/{id}            -> run
//   GET  /api/v1/runs/{id}/result     -> the result document (404 until succeeded,
//                                        409 when failed or cancelled)
//   GET  /api/v1/runs/{id}/report.html -> text/html (report runs)
//   POST /api/v1/runs/{id}/cancel     -> run
// where run = {"id", "kind", "status", "progress", "message", "params",
// "error", "created_at", "updated_at"}.
class RunManager {
 public:
  RunManager(store::Store& store, CatalogHolder& catalog, RunManagerOptions options = {});
  ~RunManager();  // shutdown(0) unless shut down already
  RunManager(const RunManager&) = delete;
  RunManager& operator=(const RunManager&) = delete;

  void add_routes(Router& router);

  // Queues the runs the store has left queued, running or interrupted
  // (oldest first) to run again from the start.
  Result<void> recover();

  // Stops taking runs (POST /runs answers 503 shutting_down), waits up to
  // `grace` for the running ones, then cancels them and marks them
  // "interrupted"; queued runs stay queued in the store. Joins the workers.
  void shutdown(std::chrono::milliseconds grace);

  ApiResponse submit(const ApiRequest& request);
  ApiResponse list(const ApiRequest& request);
  ApiResponse get(const ApiRequest& request);
  ApiResponse result(const ApiRequest& request);
  ApiResponse report_html(const ApiRequest& request);
  ApiResponse cancel(const ApiRequest& request);

  // Runs queued or running in this process.
  std::size_t active() const;

 private:
  struct Task;
  void quarantine(const store::RunRecord& run);
  void worker();
  void execute(Task& task);
  Result<std::string> run_task(Task& task);
  void enqueue(std::shared_ptr<Task> task);
  // A language's message catalog: the caller's (options.messages), else
  // read from data/i18n once and kept (report runs and report.html pages).
  Result<const Messages*> messages_for(Lang lang) const;

  store::Store& store_;
  CatalogHolder& catalog_;
  RunManagerOptions options_;

  mutable std::mutex mutex_;
  std::condition_variable work_cv_;  // a task was queued, or stopping
  std::condition_variable idle_cv_;  // a task finished
  std::deque<std::shared_ptr<Task>> queue_;
  std::map<std::int64_t, std::shared_ptr<Task>> tasks_;  // queued or running here
  int running_ = 0;
  std::map<std::int64_t, int> reserved_;  // per token: submits between check and queue
  bool accepting_ = true;
  bool stopping_ = false;
  bool shut_down_ = false;
  std::vector<std::thread> workers_;
  mutable std::mutex messages_mutex_;
  mutable std::map<Lang, std::unique_ptr<const Messages>> messages_;
};

// The run record as the API shows it (params and error parsed back to JSON).
nlohmann::json run_json(const store::RunRecord& record);

}  // namespace suanli::service

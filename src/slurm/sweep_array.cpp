#include "slurm/sweep_array.h"

#include <fmt/format.h>

#include <chrono>
#include <fstream>
#include <map>
#include <sstream>
#include <thread>
#include <vector>

namespace suanli::slurm {

namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

std::string shell_quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

fs::path task_log(const fs::path& dir, std::size_t index) {
  return dir / fmt::format("task-{}.log", index);
}

// The last `lines` lines of a file, indented; a note when there is none.
std::string log_tail(const fs::path& path, std::size_t lines = 20) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return fmt::format("  (no log file {})", path.string());
  std::vector<std::string> all;
  std::string line;
  while (std::getline(in, line)) all.push_back(line);
  if (all.empty()) return fmt::format("  ({} is empty)", path.string());
  std::string out;
  for (std::size_t i = all.size() > lines ? all.size() - lines : 0; i < all.size(); ++i)
    out += "  | " + all[i] + "\n";
  if (!out.empty()) out.pop_back();
  return out;
}

Result<std::string> read_text(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return fail(ErrorCode::kNotFound, fmt::format("{}: no such file", path.string()));
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Slurm 22.05 reports a job's exit code as a wait status (exit 3 is 768);
// later versions give the code itself.
std::string describe_exit(int code) { return fmt::format(", exit code {}", code); }

struct Task {
  std::string state;        // last state seen ("" never listed)
  std::optional<int> exit;  // exit code when Slurm gave one
  bool ended = false;
  int missing_polls = 0;  // consecutive polls that did not list it
};

// Records one poll of the array's tasks (`listed`) on `tasks`: a task in a
// final state has ended, as has one Slurm no longer lists whose point file
// exists (or that went unlisted three polls running). Returns how many ended.
std::size_t record_poll(const std::vector<SlurmJob>& listed, std::int64_t job_id,
                        const fs::path& dir, std::vector<Task>& tasks) {
  const std::size_t n = tasks.size();
  std::error_code ec;
  bool meta_pending = false;  // tasks not yet split off the array's own record
  std::vector<bool> seen(n, false);
  for (const SlurmJob& j : listed) {
    if (!j.array_task_id) {
      if (j.job_id == job_id && !job_state_final(j.state)) meta_pending = true;
      continue;
    }
    if (j.array_job_id != job_id || *j.array_task_id < 0 ||
        static_cast<std::size_t>(*j.array_task_id) >= n)
      continue;
    Task& t = tasks[static_cast<std::size_t>(*j.array_task_id)];
    seen[static_cast<std::size_t>(*j.array_task_id)] = true;
    if (t.ended) continue;
    t.state = j.state;
    t.exit = j.exit_code;
    t.missing_polls = 0;
    if (job_state_final(j.state)) t.ended = true;
  }
  // A task Slurm no longer lists (MinJobAge passed) has ended; one that
  // was never listed is still pending in the array's own record.
  for (std::size_t i = 0; i < n; ++i) {
    Task& t = tasks[i];
    if (t.ended || seen[i]) continue;
    if (fs::exists(grid_point_file(dir, i), ec)) {
      t.ended = true;
      if (t.state.empty() || !job_state_final(t.state)) t.state = "ENDED (no longer listed)";
    } else if (!meta_pending && ++t.missing_polls >= 3) {
      t.ended = true;
      t.state = t.state.empty()
                    ? "UNKNOWN (never listed by Slurm)"
                    : fmt::format("UNKNOWN (last seen {}, no longer listed)", t.state);
    }
  }
  std::size_t done = 0;
  for (const Task& t : tasks) done += t.ended ? 1 : 0;
  return done;
}

// The point files the tasks wrote, in task order. A task that ended
// otherwise than COMPLETED, or left no point file (after a grace period for a
// shared filesystem to show it), fails the sweep, with its log's last lines.
Result<std::vector<std::string>> gather_points(const fs::path& dir, std::int64_t job_id,
                                               const std::vector<Task>& tasks) {
  const std::size_t n = tasks.size();
  std::vector<std::string> texts(n);
  std::vector<std::string> failures;
  const auto grace_end = Clock::now() + std::chrono::seconds(10);
  for (std::size_t i = 0; i < n; ++i) {
    const Task& t = tasks[i];
    const bool failed_state = job_state_final(t.state) && t.state != "COMPLETED";
    Result<std::string> text = read_text(grid_point_file(dir, i));
    while (!text && !failed_state && Clock::now() < grace_end) {
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
      text = read_text(grid_point_file(dir, i));
    }
    if (text && !failed_state) {
      texts[i] = std::move(*text);
      continue;
    }
    const std::string exit = t.exit ? describe_exit(*t.exit) : std::string();
    failures.push_back(
        fmt::format("task {} (job {}_{}): Slurm state {}{}; {}; last lines of {}:\n{}", i, job_id,
                    i, t.state, exit,
                    text ? "its point file exists but the task did not complete"
                         : fmt::format("no {}", grid_point_file(dir, i).string()),
                    task_log(dir, i).string(), log_tail(task_log(dir, i))));
  }
  if (!failures.empty()) {
    std::string message =
        fmt::format("{} of {} sweep task(s) failed (array job {}, work dir {}):", failures.size(),
                    n, job_id, dir.string());
    constexpr std::size_t kShown = 5;
    for (std::size_t i = 0; i < std::min(failures.size(), kShown); ++i)
      message += "\n" + failures[i];
    if (failures.size() > kShown)
      message += fmt::format("\n… and {} more (see {}/task-*.log)", failures.size() - kShown,
                             dir.string());
    return fail(ErrorCode::kIo, message);
  }
  return texts;
}

Result<void> prepare_workdir(const fs::path& dir) {
  std::error_code ec;
  if (fs::exists(dir, ec)) {
    if (!fs::is_directory(dir, ec))
      return fail(ErrorCode::kInvalidArgument,
                  fmt::format("--workdir {}: exists and is not a directory", dir.string()));
    if (!fs::is_empty(dir, ec))
      return fail(ErrorCode::kInvalidArgument,
                  fmt::format("--workdir {}: exists and is not empty (give a new directory)",
                              dir.string()));
    return {};
  }
  fs::create_directories(dir, ec);
  if (ec)
    return fail(ErrorCode::kIo,
                fmt::format("--workdir {}: cannot create: {}", dir.string(), ec.message()));
  return {};
}

}  // namespace

std::string sweep_array_script(const fs::path& suanli_binary, const fs::path& workdir) {
  return fmt::format(
      "#!/bin/sh\n"
      "# suanli sweep: one point of the grid in {0}/manifest.json per array task.\n"
      "exec {1} sweep point {2} --index \"$SLURM_ARRAY_TASK_ID\"\n",
      workdir.string(), shell_quote(suanli_binary.string()), shell_quote(workdir.string()));
}

Result<GridSweepResult> run_grid_sweep_slurm(const GridSweep& sweep, const Catalog& catalog,
                                             const SweepArrayOptions& options) {
  auto say = [&](const std::string& message) {
    if (options.log) options.log(message);
  };
  if (options.workdir.empty())
    return fail(ErrorCode::kInvalidArgument, "a Slurm sweep needs a work directory");
  if (options.suanli_binary.empty() || !options.suanli_binary.is_absolute())
    return fail(ErrorCode::kInvalidArgument,
                fmt::format("the suanli binary the tasks run must be an absolute path (got '{}')",
                            options.suanli_binary.string()));
  const SlurmClient client(options.client);
  SUANLI_TRY(client.ping());
  SUANLI_TRY(check_grid_sweep(sweep, catalog));

  std::error_code ec;
  const fs::path dir = fs::absolute(options.workdir, ec).lexically_normal();
  SUANLI_TRY(prepare_workdir(dir));
  SUANLI_TRY(
      write_file_atomically(dir / kGridManifestFile, grid_manifest_json(sweep).dump(2) + "\n"));
  const std::size_t n = grid_size(sweep);

  SubmitRequest request;
  request.job_name = options.job_name;
  request.script = sweep_array_script(options.suanli_binary, dir);
  request.partition = options.partition;
  request.workdir = dir.string();
  request.output = (dir / "task-%a.log").string();
  request.array = fmt::format("0-{}", n - 1);
  request.time_limit_minutes = options.time_limit_minutes;
  request.comment = fmt::format("suanli sweep of {}", sweep.scenario_path.filename().string());
  SUANLI_ASSIGN(const std::int64_t job_id, client.submit(request));
  say(fmt::format("submitted array job {} ({} task(s)), work dir {}", job_id, n, dir.string()));

  std::vector<Task> tasks(n);
  const auto start = Clock::now();
  std::size_t reported = static_cast<std::size_t>(-1);
  auto cancel = [&](ErrorCode code, const std::string& why) -> Result<GridSweepResult> {
    auto c = client.cancel(job_id);
    return fail(code,
                fmt::format("{}; array job {} {}", why, job_id,
                            c ? "cancelled" : "could not be cancelled: " + c.error().message));
  };
  for (;;) {
    if (options.cancelled && options.cancelled())
      return cancel(ErrorCode::kCancelled, "sweep cancelled");
    auto listed = client.jobs({job_id});
    if (!listed)
      return fail(listed.error().code, fmt::format("{} (array job {}, work dir {})",
                                                   listed.error().message, job_id, dir.string()));
    const std::size_t done = record_poll(*listed, job_id, dir, tasks);
    if (done != reported) {
      reported = done;
      if (options.progress) options.progress(done, n);
    }
    if (done == n) break;
    if (options.timeout_s > 0 &&
        std::chrono::duration<double>(Clock::now() - start).count() > options.timeout_s)
      return cancel(ErrorCode::kIo,
                    fmt::format("the sweep did not finish in {} s ({} of {} tasks ended)",
                                options.timeout_s, done, n));
    std::this_thread::sleep_for(std::chrono::duration<double>(options.poll_interval_s));
  }

  SUANLI_ASSIGN(std::vector<std::string> texts, gather_points(dir, job_id, tasks));
  auto result = grid_result_from_texts(sweep, texts);
  if (!result)
    return fail(result.error().code,
                fmt::format("{} (work dir {})", result.error().message, dir.string()));
  return result;
}

}  // namespace suanli::slurm

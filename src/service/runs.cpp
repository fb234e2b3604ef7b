#include "service/runs.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <exception>
#include <functional>
#include <regex>
#include <sstream>

#include "plan/plan_json.h"
#include "plan/robustness.h"
#include "plan/plan_scenario.h"
#include "plan/planner.h"
#include "plan/sweep.h"
#include "report/html_report.h"
#include "report/report.h"
#include "service/scenario_api.h"
#include "sim/result_json.h"
#include "sim/scenario.h"
#include "util/messages.h"
#include "util/share_dir.h"
#include "util/strings.h"

namespace suanli::service {

namespace {

using Json = nlohmann::ordered_json;
using Clock = std::chrono::steady_clock;

// ---------------------------------------------------------------- options

struct SimParams {
  std::optional<std::uint64_t> seed;
  std::optional<PlacementKind> placement;
  std::optional<QueuePolicy> queue;
  std::optional<double> until_hours;
};

struct PlanParams {
  std::vector<PlanOverride> overrides;
  std::vector<PlanSweep> sweeps;
  std::optional<double> time_limit_s;
  std::optional<double> gap;
  int year = 1;          // report only
  bool simulate = true;  // report only
  Lang lang = Lang::kEn;  // report only: the language of its sentences and page
};

struct Params {
  std::string kind;
  std::int64_t scenario_id = 0;
  std::optional<int> version;
  SimParams sim;
  PlanParams plan;
};

std::string scenario_kind_for(std::string_view run_kind) {
  return run_kind == "simulate" ? "simulate" : "plan";
}

Result<void> read_options(std::string_view kind, const nlohmann::json& options, Params& out) {
  SUANLI_ASSIGN(auto r, FieldReader::object(options, "body.options"));
  if (kind == "simulate") {
    SUANLI_ASSIGN(auto seed, r.opt_int("seed"));
    if (seed) {
      if (*seed < 0)
        return fail(ErrorCode::kInvalidArgument, "body.options.seed: must not be negative");
      out.sim.seed = static_cast<std::uint64_t>(*seed);
    }
    SUANLI_ASSIGN(auto placement, r.opt_string("placement"));
    if (placement) {
      auto p = parse_placement_policy(*placement);
      if (!p)
        return fail(ErrorCode::kInvalidArgument,
                    fmt::format("body.options.placement: {}", p.error().message));
      out.sim.placement = *p;
    }
    SUANLI_ASSIGN(auto queue, r.opt_string("queue"));
    if (queue) {
      auto q = parse_queue_policy(*queue);
      if (!q)
        return fail(ErrorCode::kInvalidArgument,
                    fmt::format("body.options.queue: {}", q.error().message));
      out.sim.queue = *q;
    }
    SUANLI_ASSIGN(auto until, r.opt_number("until_hours"));
    if (until) {
      if (!(*until > 0) || !std::isfinite(*until))
        return fail(ErrorCode::kInvalidArgument, "body.options.until_hours: must be positive");
      out.sim.until_hours = *until;
    }
    return r.finish();
  }
  SUANLI_ASSIGN(auto sets, r.opt_string_array("set"));
  if (sets) {
    auto parsed = parse_set_args(*sets);
    if (!parsed)
      return fail(ErrorCode::kInvalidArgument,
                  fmt::format("body.options.set: {}", parsed.error().message));
    out.plan.overrides = std::move(*parsed);
  }
  SUANLI_ASSIGN(auto sweeps, r.opt_string_array("sweep"));
  if (sweeps) {
    auto parsed = parse_sweep_args(*sweeps);
    if (!parsed)
      return fail(ErrorCode::kInvalidArgument,
                  fmt::format("body.options.sweep: {}", parsed.error().message));
    out.plan.sweeps = std::move(*parsed);
    if (auto n = plan_sweep_points(out.plan.sweeps); !n)
      return fail(ErrorCode::kInvalidArgument, fmt::format("body.options.sweep: {}", n.error().message));
  }
  SUANLI_ASSIGN(auto limit, r.opt_number("time_limit_s"));
  if (limit) {
    if (!(*limit > 0) || *limit > 3600)
      return fail(ErrorCode::kInvalidArgument,
                  "body.options.time_limit_s: expected seconds in (0, 3600]");
    out.plan.time_limit_s = *limit;
  }
  SUANLI_ASSIGN(auto gap, r.opt_number("gap"));
  if (gap) {
    if (!(*gap >= 0) || *gap > 1)
      return fail(ErrorCode::kInvalidArgument, "body.options.gap: expected a number in [0, 1]");
    out.plan.gap = *gap;
  }
  if (kind == "report") {
    SUANLI_ASSIGN(auto year, r.opt_int("year"));
    if (year) {
      if (*year < 1 || *year > 100)
        return fail(ErrorCode::kInvalidArgument, "body.options.year: expected a plan year >= 1");
      out.plan.year = static_cast<int>(*year);
    }
    SUANLI_ASSIGN(auto simulate, r.opt_bool("simulate"));
    if (simulate) out.plan.simulate = *simulate;
    SUANLI_ASSIGN(auto lang, r.opt_string("lang"));
    if (lang) {
      auto parsed = parse_lang(*lang);
      if (!parsed)
        return fail(ErrorCode::kInvalidArgument, "body.options.lang: " + parsed.error().message);
      out.plan.lang = *parsed;
    }
  }
  return r.finish();
}

// The body of POST /runs, and the params stored with the run (the same
// shape, with the version filled in).
Result<Params> read_params(const nlohmann::json& body) {
  Params out;
  SUANLI_ASSIGN(auto r, FieldReader::object(body, "body"));
  SUANLI_ASSIGN(out.kind, r.req_string("kind"));
  if (out.kind != "simulate" && out.kind != "plan" && out.kind != "report")
    return fail(ErrorCode::kInvalidArgument,
                fmt::format("body.kind: expected \"simulate\", \"plan\" or \"report\", got {:?}",
                            out.kind.substr(0, 40)));
  SUANLI_ASSIGN(out.scenario_id, r.req_int("scenario_id"));
  if (out.scenario_id <= 0)
    return fail(ErrorCode::kInvalidArgument, "body.scenario_id: expected a positive integer");
  SUANLI_ASSIGN(auto version, r.opt_int("version"));
  if (version) {
    if (*version < 1 || *version > 1'000'000'000)
      return fail(ErrorCode::kInvalidArgument, "body.version: expected a positive integer");
    out.version = static_cast<int>(*version);
  }
  const auto options = r.opt_value("options");
  SUANLI_TRY(read_options(out.kind, options ? *options : nlohmann::json::object(), out));
  (void)r.opt_string("scenario_name");  // stored with the params; informative
  SUANLI_TRY(r.finish());
  return out;
}

// The scenario must load with the run's overrides (and every sweep key at
// its first value) under the current catalog: a bad key or value is a 400
// before anything is queued. Plan scenarios are sized here (fast: the
// estimator's closed forms).
Result<void> check_loads(const Params& params, const std::string& body,
                         const std::filesystem::path& file, const Catalog& catalog,
                         const RunManagerOptions& options) {
  if (params.kind == "simulate") {
    ScenarioLoadOptions lo;
    lo.trace_dirs = service_trace_dirs(options.data_dir, options.trace_dirs);
    SUANLI_ASSIGN(Scenario sc, parse_scenario(body, file, catalog, {}, lo));
    const double max_h = min_limits(sc.limits, options.limits).max_simulated_hours;
    if (params.sim.until_hours && *params.sim.until_hours > max_h)
      return fail(ErrorCode::kInvalidArgument,
                  fmt::format("body.options.until_hours: expected at most {} (the run's "
                              "limits.max_simulated_hours), got {}",
                              max_h, *params.sim.until_hours));
    return {};
  }
  std::vector<PlanOverride> overrides = params.plan.overrides;
  for (const PlanSweep& s : params.plan.sweeps)
    if (!s.values.empty()) overrides.push_back({s.key, s.values.front()});
  SUANLI_TRY(parse_plan_scenario(body, file, catalog, overrides));
  return {};
}

// ---------------------------------------------------------------- results

// Wall-clock fields vary between identical runs: kept out of results.
void scrub_timing(nlohmann::json& j) {
  if (j.is_object()) {
    for (const char* key : {"solve_time_s", "total_time_s", "wall_time_s"}) j.erase(key);
    for (auto& [k, v] : j.items()) scrub_timing(v);
  } else if (j.is_array()) {
    for (auto& v : j) scrub_timing(v);
  }
}

void scrub_report_summary(nlohmann::json& doc) {
  if (!doc.contains("summary") || !doc["summary"].is_array()) return;
  // "Plan status: optimal (0.42 s, gap 0)" -> "Plan status: optimal (gap 0)"
  static const std::regex kSeconds(R"(\([0-9.]+ s, gap )");
  for (auto& line : doc["summary"])
    if (line.is_string()) line = std::regex_replace(line.get<std::string>(), kSeconds, "(gap ");
}

// JSON text that cannot fail to encode: invalid UTF-8 is replaced.
template <class J>
std::string safe_dump(const J& j) {
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

// Progress writes to the store, at most one per interval (and the forced ones).
class ProgressWriter {
 public:
  ProgressWriter(store::Store& store, std::int64_t id, double interval_s)
      : store_(store), id_(id), interval_(interval_s) {}
  void operator()(double fraction, const std::string& message, bool force = false) {
    fraction = std::clamp(fraction, 0.0, 1.0);
    last_fraction_ = fraction;
    const auto now = Clock::now();
    if (!force && written_ && std::chrono::duration<double>(now - last_write_).count() < interval_)
      return;
    written_ = true;
    last_write_ = now;
    (void)store_.update_run(id_, "running", fraction, message);
  }
  double last() const { return last_fraction_; }

 private:
  store::Store& store_;
  std::int64_t id_;
  double interval_;
  bool written_ = false;
  Clock::time_point last_write_;
  double last_fraction_ = 0;
};

}  // namespace

std::string run_error_text(const Error& e, const std::filesystem::path& data_dir) {
  try {
    std::string code = error_code_name(e.code);
    std::replace(code.begin(), code.end(), ' ', '_');
    std::replace(code.begin(), code.end(), '/', '_');
    const nlohmann::json j{{"code", code},
                           {"message", valid_utf8(without_server_paths(e.message, data_dir))}};
    return safe_dump(j);
  } catch (...) {  // allocation failure: still a valid error text
    return R"({"code":"internal","message":"the run failed; its error could not be encoded"})";
  }
}

nlohmann::json run_json(const store::RunRecord& r) {
  nlohmann::json params = nlohmann::json::parse(r.params, nullptr, false);
  if (params.is_discarded()) params = nullptr;
  nlohmann::json error = nullptr;
  if (!r.error.empty()) {
    error = nlohmann::json::parse(r.error, nullptr, false);
    if (error.is_discarded()) error = {{"code", "internal"}, {"message", valid_utf8(r.error)}};
  }
  nlohmann::json j{{"id", r.id},
                   {"kind", r.kind},
                   {"status", r.status},
                   {"progress", r.progress},
                   {"message", valid_utf8(r.message)},
                   {"attempts", r.attempts},
                   {"params", std::move(params)},
                   {"error", std::move(error)},
                   {"created_at", r.created_at},
                   {"updated_at", r.updated_at}};
  nlohmann::json links{{"self", fmt::format("/api/v1/runs/{}", r.id)},
                       {"result", fmt::format("/api/v1/runs/{}/result", r.id)}};
  if (r.kind == "report") links["report_html"] = fmt::format("/api/v1/runs/{}/report.html", r.id);
  j["links"] = std::move(links);
  return j;
}

// ------------------------------------------------------------- the manager

struct RunManager::Task {
  std::int64_t id = 0;
  std::string kind;
  nlohmann::json params;
  std::atomic<bool> cancel{false};
  std::atomic<bool> interrupt{false};  // cancelled by a shutdown: "interrupted"
  bool started = false;                // guarded by the manager's mutex
  std::int64_t token_id = 0;           // who submitted it (0: recovered at start-up)
};

RunManager::RunManager(store::Store& store, CatalogHolder& catalog, RunManagerOptions options)
    : store_(store), catalog_(catalog), options_(std::move(options)) {
  const int n = std::max(1, options_.workers);
  workers_.reserve(static_cast<std::size_t>(n));
  for (int i = 0; i < n; ++i) workers_.emplace_back([this] { worker(); });
}

RunManager::~RunManager() { shutdown(std::chrono::milliseconds(0)); }

void RunManager::add_routes(Router& router) {
  router.add(Method::kPost, "/api/v1/runs", Access::kWrite,
             "Start a simulate, plan or report run of a saved scenario (202, asynchronous)",
             [this](const ApiRequest& r) { return submit(r); });
  router.add(Method::kGet, "/api/v1/runs", Access::kRead, "Recent runs, newest first",
             [this](const ApiRequest& r) { return list(r); });
  router.add(Method::kGet, "/api/v1/runs/{id}", Access::kRead,
             "A run's status, progress, parameters and error",
             [this](const ApiRequest& r) { return get(r); });
  router.add(Method::kGet, "/api/v1/runs/{id}/result", Access::kRead,
             "A succeeded run's result document",
             [this](const ApiRequest& r) { return result(r); });
  router.add(Method::kGet, "/api/v1/runs/{id}/report.html", Access::kRead,
             "A succeeded report run as one self-contained HTML page",
             [this](const ApiRequest& r) { return report_html(r); });
  router.add(Method::kPost, "/api/v1/runs/{id}/cancel", Access::kWrite,
             "Cancel a queued or running run", [this](const ApiRequest& r) { return cancel(r); });
}

std::size_t RunManager::active() const {
  std::lock_guard lock(mutex_);
  return tasks_.size();
}

void RunManager::enqueue(std::shared_ptr<Task> task) {
  {
    std::lock_guard lock(mutex_);
    if (stopping_ || tasks_.contains(task->id)) return;  // stays queued in the store
    tasks_[task->id] = task;
    queue_.push_back(std::move(task));
  }
  work_cv_.notify_one();
}

ApiResponse RunManager::submit(const ApiRequest& request) {
  const std::int64_t token = request.principal.token_id;
  {
    std::lock_guard lock(mutex_);
    if (!accepting_)
      return error_response(503, "shutting_down",
                            "the service is shutting down and takes no new runs");
    if (queue_.size() >= options_.max_queued)
      return error_response(
          503, "busy", fmt::format("{} runs are queued already; try again later", queue_.size()));
    const auto held = reserved_.find(token);
    std::size_t mine = held == reserved_.end() ? 0 : static_cast<std::size_t>(held->second);
    for (const auto& [id, t] : tasks_) mine += t->token_id == token ? 1 : 0;
    if (mine >= options_.max_runs_per_token)
      return error_response(429, "too_many_runs",
                            fmt::format("this token has {} runs queued or running (at most {}); "
                                        "wait for one to finish or cancel one",
                                        mine, options_.max_runs_per_token));
    ++reserved_[token];  // held until the run is queued or refused
  }
  struct Release {
    RunManager* self;
    std::int64_t token;
    ~Release() {
      std::lock_guard lock(self->mutex_);
      if (--self->reserved_[token] <= 0) self->reserved_.erase(token);
    }
  } release{this, token};
  auto body = parse_json_object(request.body);
  if (!body) return error_response(body.error());
  auto params = read_params(*body);
  if (!params) return error_response(params.error());
  auto scenario = store_.get_scenario(params->scenario_id, params->version);
  if (!scenario) return error_response(scenario.error(), "body.scenario_id");
  if (scenario->deleted && !params->version)
    return error_response(404, "not_found",
                          fmt::format("scenario {} was deleted", params->scenario_id),
                          "body.scenario_id");
  const std::string wanted = scenario_kind_for(params->kind);
  if (scenario->kind != wanted)
    return error_response(
        400, "invalid_argument",
        fmt::format("body.kind: a {} run needs a {} scenario; scenario {} ({}) is a {} scenario",
                    params->kind, wanted, scenario->id, scenario->name, scenario->kind),
        "body.kind");
  {
    const auto snapshot = catalog_.get();
    const auto file = scenario_pseudo_path(options_.data_dir, scenario->name);
    if (auto ok = check_loads(*params, scenario->body, file, *snapshot.catalog, options_); !ok) {
      Error e = ok.error();
      e.message = without_server_paths(e.message, options_.data_dir);
      return error_response(e, "body.options");
    }
  }
  // What is stored: the request with the version made explicit, so a
  // re-run (recovery) uses the same scenario text.
  nlohmann::json stored = *body;
  stored["version"] = scenario->version;
  stored["scenario_name"] = scenario->name;
  if (!stored.contains("options") || stored["options"].is_null())
    stored["options"] = nlohmann::json::object();
  auto record = store_.create_run(params->kind, stored.dump());
  if (!record) return error_response(record.error());
  auto task = std::make_shared<Task>();
  task->id = record->id;
  task->kind = params->kind;
  task->params = std::move(stored);
  task->token_id = token;
  enqueue(std::move(task));
  return json_response(run_json(*record), 202);
}

ApiResponse RunManager::list(const ApiRequest& request) {
  auto limit = query_int(request, "limit", 50, 1, 1000);
  if (!limit) return error_response(limit.error(), "query.limit");
  auto runs = store_.list_runs(static_cast<int>(*limit));
  if (!runs) return error_response(runs.error());
  nlohmann::json out = nlohmann::json::array();
  for (const store::RunRecord& r : *runs) out.push_back(run_json(r));
  return json_response({{"runs", std::move(out)}});
}

ApiResponse RunManager::get(const ApiRequest& request) {
  auto id = path_id(request);
  if (!id) return error_response(id.error());
  auto run = store_.get_run(*id);
  if (!run) return error_response(run.error());
  return json_response(run_json(*run));
}

namespace {

// The run's result text when it succeeded; 404 / 409 otherwise.
std::optional<ApiResponse> result_unavailable(const store::RunRecord& run) {
  if (run.status == "succeeded") return std::nullopt;
  if (run.status == "failed" || run.status == "cancelled")
    return error_response(409, "conflict",
                          fmt::format("run {} {}: it has no result", run.id, run.status));
  return error_response(404, "not_found",
                        fmt::format("run {} is {}: no result yet", run.id, run.status));
}

}  // namespace

ApiResponse RunManager::result(const ApiRequest& request) {
  auto id = path_id(request);
  if (!id) return error_response(id.error());
  auto run = store_.get_run(*id);
  if (!run) return error_response(run.error());
  if (auto no = result_unavailable(*run)) return *no;
  ApiResponse r;
  r.status = 200;
  r.raw = run->result;  // byte for byte as stored
  r.content_type = "application/json";
  return r;
}

ApiResponse RunManager::report_html(const ApiRequest& request) {
  auto id = path_id(request);
  if (!id) return error_response(id.error());
  auto run = store_.get_run(*id);
  if (!run) return error_response(run.error());
  if (run->kind != "report")
    return error_response(
        404, "not_found",
        fmt::format("run {} is a {} run: only report runs have HTML", run->id, run->kind));
  if (auto no = result_unavailable(*run)) return *no;
  const auto doc = nlohmann::json::parse(run->result, nullptr, false);
  if (doc.is_discarded())
    return error_response(500, "io", fmt::format("run {}: stored result is not JSON", run->id));
  // The page in the language the document was built in (its "lang").
  std::string code = "en";
  if (const auto it = doc.find("lang"); doc.is_object() && it != doc.end() && it->is_string())
    code = it->get<std::string>();
  const auto lang = parse_lang(code);
  auto messages = messages_for(lang.value_or(Lang::kEn));
  if (!messages) return error_response(messages.error());
  ApiResponse r;
  r.status = 200;
  auto html = render_report_json(doc, **messages);
  if (!html)
    return error_response(500, "io",
                          fmt::format("run {}: the stored report does not read as a report "
                                      "document of this version ({}); run the report again",
                                      run->id, html.error().message));
  r.raw = std::move(*html);
  r.content_type = "text/html; charset=utf-8";
  return r;
}

ApiResponse RunManager::cancel(const ApiRequest& request) {
  auto id = path_id(request);
  if (!id) return error_response(id.error());
  bool was_queued = false;
  bool was_running = false;
  {
    std::lock_guard lock(mutex_);
    auto it = tasks_.find(*id);
    if (it != tasks_.end()) {
      std::shared_ptr<Task> task = it->second;
      task->cancel = true;
      if (!task->started) {
        queue_.erase(std::remove(queue_.begin(), queue_.end(), task), queue_.end());
        tasks_.erase(it);
        was_queued = true;
      } else {
        was_running = true;
      }
    }
  }
  if (was_queued) {
    const Error e{ErrorCode::kCancelled, "cancelled before it started"};
    if (auto done = store_.finish_run(*id, "cancelled", "", run_error_text(e, options_.data_dir)); !done)
      return error_response(done.error());
  }
  auto run = store_.get_run(*id);
  if (!run) return error_response(run.error());
  const bool finished =
      run->status == "succeeded" || run->status == "failed" || run->status == "cancelled";
  if (was_queued) return json_response(run_json(*run));
  // A running run may have ended meanwhile (it leaves the task list just
  // after its final status is stored).
  if (was_running && !finished) return json_response(run_json(*run), 202);
  if (run->status == "queued" || run->status == "interrupted") {
    // Known to the store but not queued here (before recover()).
    const Error e{ErrorCode::kCancelled, "cancelled before it started"};
    if (auto done = store_.finish_run(*id, "cancelled", "", run_error_text(e, options_.data_dir)); !done)
      return error_response(done.error());
    run = store_.get_run(*id);
    if (!run) return error_response(run.error());
    return json_response(run_json(*run));
  }
  return error_response(409, "conflict",
                        fmt::format("run {} is {}: nothing to cancel", run->id, run->status));
}

Result<void> RunManager::recover() {
  SUANLI_ASSIGN(auto runs, store_.unfinished_runs());
  for (const store::RunRecord& r : runs) {
    {
      std::lock_guard lock(mutex_);
      if (tasks_.contains(r.id)) continue;
    }
    if (r.status == "running" && r.attempts >= options_.max_attempts) {
      quarantine(r);
      continue;
    }
    auto params = nlohmann::json::parse(r.params, nullptr, false);
    if (params.is_discarded() || !params.is_object()) {
      const Error e{ErrorCode::kParse, "stored parameters are not a JSON object"};
      SUANLI_TRY(store_.finish_run(r.id, "failed", "", run_error_text(e, options_.data_dir)));
      continue;
    }
    SUANLI_TRY(store_.update_run(r.id, "queued", 0,
                                 fmt::format("re-queued at start-up (was {}): runs again from "
                                             "the start",
                                             r.status)));
    auto task = std::make_shared<Task>();
    task->id = r.id;
    task->kind = r.kind;
    task->params = std::move(params);
    enqueue(std::move(task));
  }
  return {};
}

// The process died during this run `attempts` times (found "running" at
// start-up): running it again would likely kill the service again.
void RunManager::quarantine(const store::RunRecord& r) {
  const std::string message =
      fmt::format("quarantined after {} interrupted attempts: the service stopped during this run "
                  "each time (a crash or a kill); it is not run again",
                  r.attempts);
  const nlohmann::json error{{"code", "quarantined"}, {"message", message}};
  (void)store_.finish_run(r.id, "failed", "", safe_dump(error));
}

void RunManager::shutdown(std::chrono::milliseconds grace) {
  std::unique_lock lock(mutex_);
  if (shut_down_) return;
  accepting_ = false;
  // Queued runs stay queued in the store; recover() picks them up.
  for (const auto& t : queue_) tasks_.erase(t->id);
  queue_.clear();
  stopping_ = true;
  work_cv_.notify_all();
  idle_cv_.wait_for(lock, grace, [&] { return running_ == 0; });
  for (auto& [id, task] : tasks_) {
    task->interrupt = true;
    task->cancel = true;
  }
  shut_down_ = true;
  lock.unlock();
  for (std::thread& w : workers_)
    if (w.joinable()) w.join();
}

void RunManager::worker() {
  for (;;) {
    std::shared_ptr<Task> task;
    {
      std::unique_lock lock(mutex_);
      work_cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (stopping_) return;
      task = queue_.front();
      queue_.pop_front();
      task->started = true;
      ++running_;
    }
    execute(*task);
    {
      std::lock_guard lock(mutex_);
      tasks_.erase(task->id);
      --running_;
    }
    idle_cv_.notify_all();
  }
}

void RunManager::execute(Task& task) {
  // One more start, counted before anything can crash (the quarantine).
  if (auto begun = store_.begin_run_attempt(task.id); !begun) return;
  Result<std::string> outcome = fail(ErrorCode::kIo, "not run");
  try {
    outcome = run_task(task);
  } catch (const std::exception& e) {
    outcome = fail(ErrorCode::kIo, fmt::format("internal error: {}", e.what()));
  } catch (...) {
    outcome = fail(ErrorCode::kIo, "internal error");
  }
  if (outcome) {
    (void)store_.finish_run(task.id, "succeeded", *outcome, "");  // progress 1
    return;
  }
  const Error& e = outcome.error();
  if (e.code == ErrorCode::kCancelled && task.interrupt) {
    (void)store_.update_run(task.id, "interrupted", 0,
                            "interrupted by a shutdown; runs again from the start at the next "
                            "start-up");
    return;
  }
  if (e.code == ErrorCode::kCancelled || task.cancel) {
    (void)store_.finish_run(task.id, "cancelled", "", run_error_text(e, options_.data_dir));
    return;
  }
  (void)store_.finish_run(task.id, "failed", "", run_error_text(e, options_.data_dir));
}

namespace {

// What a run's work reads: its parameters, the scenario's text, name and
// pseudo-path, the catalog snapshot, the manager's options, and where to
// report progress and ask about cancellation.
struct RunContext {
  const Params& params;
  const std::string& body;
  const std::string& name;
  const std::filesystem::path& file;
  const Catalog& catalog;
  const RunManagerOptions& options;
  ProgressWriter& progress;
  std::function<bool()> cancelled;
};

// A simulate run: the simulation, its audited event log, and the result
// document of runs.h.
Result<std::string> simulate_run(const RunContext& ctx) {
  ScenarioLoadOptions lo;
  lo.trace_dirs = service_trace_dirs(ctx.options.data_dir, ctx.options.trace_dirs);
  SUANLI_ASSIGN(Scenario sc, parse_scenario(ctx.body, ctx.file, ctx.catalog, {}, lo));
  sc.limits = min_limits(sc.limits, ctx.options.limits);
  if (ctx.params.sim.until_hours) sc.simulation.until = *ctx.params.sim.until_hours * 3600;
  long long expected_jobs = static_cast<long long>(sc.jobs.size());
  for (const Generator& g : sc.generators) expected_jobs += g.count;
  for (const TraceImport& t : sc.traces) expected_jobs += t.limit;
  const std::optional<SimTime> until = sc.simulation.until;
  std::stringstream log;
  RunOptions ro;
  ro.seed = ctx.params.sim.seed;
  ro.placement = ctx.params.sim.placement;
  ro.queue = ctx.params.sim.queue;
  ro.events = &log;
  ro.cancelled = ctx.cancelled;
  ro.progress_interval_events = 20000;
  ro.progress = [&](SimTime t, int ended, int submitted) {
    double f = expected_jobs > 0 ? static_cast<double>(ended) / expected_jobs : 0;
    if (until && *until > 0) f = std::max(f, t / *until);
    ctx.progress(std::min(f, 0.99) * 0.95,
                 fmt::format("simulated {:.1f} h: {} of {} jobs ended", t / 3600, ended, submitted));
  };
  SUANLI_ASSIGN(auto sim, Simulation::create(sc, ctx.catalog, std::move(ro)));
  SUANLI_ASSIGN(SimulationResult r, sim.run());
  if (ctx.cancelled()) return fail(ErrorCode::kCancelled, "cancelled");
  ctx.progress(0.96, "auditing the event log", true);
  log.seekg(0);
  SUANLI_ASSIGN(AuditReport audit, audit_event_log(log));
  log.clear();
  log.seekg(0);
  const std::vector<double> jct = jct_hours_from_event_log(log);
  Json out;
  out["kind"] = "simulate";
  out["summary"] = simulation_summary_json(r, audit);
  out["timeline"] = simulation_timeline_json(r, ctx.options.max_timeline_points);
  out["jct_histogram"] = jct_histogram_json(jct);
  return safe_dump(out);
}

// A plan run: the plan, its sizing, its robustness pass and the sweeps asked for.
Result<std::string> plan_run(const RunContext& ctx, const PlanOptions& plan_options,
                             const PlanOptions& sweep_options) {
  ctx.progress(0.05, "sizing demand on every candidate type with the estimator", true);
  SUANLI_ASSIGN(PlanScenario sc,
                parse_plan_scenario(ctx.body, ctx.file, ctx.catalog, ctx.params.plan.overrides));
  if (ctx.cancelled()) return fail(ErrorCode::kCancelled, "cancelled");
  const bool sweeping = !ctx.params.plan.sweeps.empty();
  ctx.progress(0.2,
               fmt::format("solving ({} types, {} sites, {} demand items, {} supply scenarios)",
                           sc.problem.types.size(), sc.problem.sites.size(),
                           sc.problem.demands.size(), sc.problem.scenarios.size()),
               true);
  SUANLI_ASSIGN(PlanResult plan, solve_scenario_plan(sc, plan_options));
  nlohmann::json out = nlohmann::json(plan_result_json(sc.problem, plan));
  out["scenario"] = ctx.name;
  out["sizing"] = nlohmann::json(plan_sizing_json(sc, ctx.catalog.economics()));
  if (plan.status != PlanStatus::kInfeasible) {
    ctx.progress(0.3, "robustness: the plan at each end of the price and throughput ranges", true);
    RobustnessOptions ro;
    ro.cancelled = ctx.cancelled;
    if (ctx.params.plan.time_limit_s)
      ro.time_limit_s = std::min(ro.time_limit_s, *ctx.params.plan.time_limit_s);
    SUANLI_ASSIGN(RobustnessResult robust, plan_robustness(sc, plan, ctx.catalog, ro));
    out["robustness"] = nlohmann::json(robustness_json(robust));
  }
  if (sweeping) {
    ctx.progress(0.5, "sweeping", true);
    SUANLI_ASSIGN(
        SweepResult sweep,
        run_sweep_text(ctx.body, ctx.file, ctx.catalog, ctx.params.plan.overrides,
                       ctx.params.plan.sweeps, sweep_options,
                       [&](int done, int total, const SweepPoint&) {
                         ctx.progress(0.5 + 0.49 * done / std::max(1, total),
                                      fmt::format("sweep point {} of {}", done, total));
                       }));
    out["sweep"] = nlohmann::json(sweep_json(sweep));
  }
  if (ctx.cancelled()) return fail(ErrorCode::kCancelled, "cancelled");
  scrub_timing(out);
  return safe_dump(out);
}

// A report run's options (the caller adds cancellation, progress, messages).
ReportOptions report_options(const PlanParams& plan, const PlanOptions& plan_options,
                             const PlanOptions& sweep_options, const SimLimits& limits) {
  ReportOptions ro;
  ro.overrides = plan.overrides;
  ro.sweeps = plan.sweeps;
  ro.plan = plan_options;
  ro.sweep = sweep_options;
  ro.simulate = plan.simulate;
  ro.simulate_year = plan.year;
  ro.sim_limits = limits;
  return ro;
}

}  // namespace

Result<const Messages*> RunManager::messages_for(Lang lang) const {
  if (options_.messages) {
    const auto it = options_.messages->find(lang);
    if (it != options_.messages->end()) return &it->second;
  }
  std::lock_guard lock(messages_mutex_);
  auto& slot = messages_[lang];
  if (!slot) {
    SUANLI_ASSIGN(Messages loaded, Messages::load(lang, bundled_data_dir()));
    slot = std::make_unique<const Messages>(std::move(loaded));
  }
  return slot.get();
}

Result<std::string> RunManager::run_task(Task& task) {
  auto cancelled = [&task] { return task.cancel.load(); };
  auto stopped = [] { return fail(ErrorCode::kCancelled, "cancelled"); };
  SUANLI_ASSIGN(Params params, read_params(task.params));
  SUANLI_ASSIGN(auto scenario, store_.get_scenario(params.scenario_id, params.version));
  if (scenario.kind != scenario_kind_for(params.kind))
    return fail(
        ErrorCode::kInvalidArgument,
        fmt::format("a {} run needs a {} scenario", params.kind, scenario_kind_for(params.kind)));
  const auto snapshot = catalog_.get();
  const Catalog& catalog = *snapshot.catalog;
  const std::filesystem::path file = scenario_pseudo_path(options_.data_dir, scenario.name);
  ProgressWriter progress(store_, task.id, options_.progress_interval_s);
  if (cancelled()) return stopped();
  progress(
      0,
      fmt::format("started: {} of scenario {} v{}", params.kind, scenario.name, scenario.version),
      true);

  const RunContext ctx{params, scenario.body, scenario.name, file, catalog, options_, progress,
                       cancelled};
  if (params.kind == "simulate") return simulate_run(ctx);

  PlanOptions plan_options;
  if (params.plan.time_limit_s) plan_options.time_limit_s = *params.plan.time_limit_s;
  if (params.plan.gap) plan_options.relative_gap = *params.plan.gap;
  plan_options.cancelled = cancelled;
  PlanOptions sweep_options = default_sweep_options();
  if (params.plan.time_limit_s) sweep_options.time_limit_s = *params.plan.time_limit_s;
  if (params.plan.gap) sweep_options.relative_gap = *params.plan.gap;
  sweep_options.cancelled = cancelled;

  if (params.kind == "plan") return plan_run(ctx, plan_options, sweep_options);

  // report
  ReportOptions ro = report_options(params.plan, plan_options, sweep_options, options_.limits);
  ro.cancelled = cancelled;
  SUANLI_ASSIGN(ro.messages, messages_for(params.plan.lang));
  int step = 0;
  ro.progress = [&](std::string_view line) {
    ++step;
    // Steps: sizing, solving, one per sweep, the simulation.
    progress(1 - std::pow(0.7, step), std::string(line), true);
  };
  SUANLI_ASSIGN(Report report, build_report_text(scenario.body, file, catalog, ro));
  if (cancelled()) return stopped();
  report.doc.lang = std::string(lang_code(params.plan.lang));  // the page renders in it
  nlohmann::json doc = encode_report_document(report.doc);
  scrub_timing(doc);
  scrub_report_summary(doc);
  return safe_dump(doc);
}

}  // namespace suanli::service

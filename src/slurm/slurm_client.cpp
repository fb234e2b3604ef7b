#include "slurm/slurm_client.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <filesystem>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace suanli::slurm {

namespace {

using UnorderedJson = nlohmann::json;

std::string upper(std::string s) {
  for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

std::string trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return std::string(s);
}

// The last non-empty line of Slurm's stderr, without the "sbatch: error: " noise.
std::string slurm_message(const CommandResult& r) {
  const std::string text = trim(r.err.empty() ? r.out : r.err);
  if (text.empty()) return fmt::format("exit code {}", r.exit_code);
  // One line: Slurm's lines joined with "; ".
  std::string out;
  std::size_t start = 0;
  while (start < text.size()) {
    auto nl = text.find('\n', start);
    if (nl == std::string::npos) nl = text.size();
    const std::string line = trim(std::string_view(text).substr(start, nl - start));
    if (!line.empty()) out += (out.empty() ? "" : "; ") + line;
    start = nl + 1;
  }
  return out;
}

// A string, or the first element of an array of strings (Slurm 22.05
// prints some states as strings, later versions as arrays of flags).
std::vector<std::string> strings_of(const UnorderedJson& j) {
  std::vector<std::string> out;
  if (j.is_string()) {
    std::string s = j.get<std::string>();
    std::size_t start = 0;
    while (start <= s.size()) {
      const auto comma = s.find(',', start);
      std::string part =
          trim(s.substr(start, comma == std::string::npos ? std::string::npos : comma - start));
      if (!part.empty()) out.push_back(part);
      if (comma == std::string::npos) break;
      start = comma + 1;
    }
  } else if (j.is_array()) {
    for (const UnorderedJson& e : j)
      if (e.is_string()) out.push_back(e.get<std::string>());
  }
  return out;
}

std::optional<std::int64_t> int_of(const UnorderedJson& j) {
  if (j.is_number_integer()) return j.get<std::int64_t>();
  if (j.is_number_unsigned()) return static_cast<std::int64_t>(j.get<std::uint64_t>());
  // Later Slurm versions: {"set": true, "infinite": false, "number": N}.
  if (j.is_object() && j.contains("number")) {
    if (j.contains("set") && j["set"].is_boolean() && !j["set"].get<bool>()) return std::nullopt;
    return int_of(j["number"]);
  }
  return std::nullopt;
}

std::string string_of(const UnorderedJson& j, const char* key) {
  if (!j.contains(key)) return {};
  const UnorderedJson& v = j[key];
  if (v.is_string()) return v.get<std::string>();
  auto parts = strings_of(v);
  std::string out;
  for (const auto& p : parts) out += (out.empty() ? "" : ",") + p;
  return out;
}

Result<UnorderedJson> parse_json(const CommandResult& r, std::string_view what) {
  UnorderedJson j = UnorderedJson::parse(r.out, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object())
    return fail(ErrorCode::kParse,
                fmt::format("{}: Slurm printed no JSON (does this Slurm support --json?): {}", what,
                            trim(r.out.substr(0, 200))));
  if (j.contains("errors") && j["errors"].is_array() && !j["errors"].empty()) {
    const UnorderedJson& e = j["errors"].front();
    std::string msg = e.is_object() ? string_of(e, "error") : e.dump();
    if (msg.empty() && e.is_object()) msg = string_of(e, "description");
    return fail(ErrorCode::kIo, fmt::format("{}: Slurm reported: {}", what, msg));
  }
  return j;
}

std::vector<SlurmJob> parse_jobs(const UnorderedJson& j, const std::vector<std::int64_t>& ids) {
  std::vector<SlurmJob> out;
  if (!j.contains("jobs") || !j["jobs"].is_array()) return out;
  for (const UnorderedJson& e : j["jobs"]) {
    if (!e.is_object()) continue;
    SlurmJob job;
    job.job_id = int_of(e.value("job_id", UnorderedJson())).value_or(0);
    if (auto a = int_of(e.value("array_job_id", UnorderedJson())); a && *a > 0)
      job.array_job_id = a;
    if (job.array_job_id) job.array_task_id = int_of(e.value("array_task_id", UnorderedJson()));
    if (job.array_job_id && !job.array_task_id) job.array_job_id.reset();
    job.name = string_of(e, "name");
    UnorderedJson state = e.value("job_state", UnorderedJson());
    if (state.is_null() && e.contains("state") && e["state"].is_object())
      state = e["state"].value("current", UnorderedJson());  // sacct's shape
    auto states = strings_of(state);
    job.state = states.empty() ? "" : upper(states.front());
    job.reason = string_of(e, "state_reason");
    job.nodes = string_of(e, "nodes");
    job.comment = string_of(e, "comment");
    if (e.contains("exit_code")) {
      const UnorderedJson& x = e["exit_code"];
      // 22.05 prints the raw wait status (exit 3 is 768, SIGTERM is 15);
      // later versions an object with return_code.
      if (auto v = int_of(x); v && x.is_number())
        job.exit_code = (*v & 0x7f) != 0 ? 128 + static_cast<int>(*v & 0x7f)
                                         : static_cast<int>((*v >> 8) & 0xff);
      else if (x.is_object() && x.contains("return_code"))
        if (auto rc = int_of(x["return_code"])) job.exit_code = static_cast<int>(*rc);
    }
    const bool wanted =
        ids.empty() || std::find(ids.begin(), ids.end(), job.job_id) != ids.end() ||
        (job.array_job_id && std::find(ids.begin(), ids.end(), *job.array_job_id) != ids.end());
    if (wanted) out.push_back(std::move(job));
  }
  return out;
}

}  // namespace

bool SlurmNode::down() const {
  if (state == "DOWN" || state == "FAIL") return true;
  return std::any_of(flags.begin(), flags.end(), [](const std::string& f) { return f == "FAIL"; });
}

bool SlurmNode::drained() const {
  // Not answering, powered down or not yet known: no new work, but what
  // runs there is not given up (Slurm sets the node DOWN after
  // SlurmdTimeout if it stays away).
  if (state == "DRAINED" || state == "DRAINING" || state == "UNKNOWN" || state == "FUTURE")
    return true;
  return std::any_of(flags.begin(), flags.end(), [](const std::string& f) {
    return f == "DRAIN" || f == "DRAINING" || f == "DRAINED" || f == "NOT_RESPONDING" ||
           f == "POWERED_DOWN" || f == "POWER_DOWN" || f == "MAINTENANCE" ||
           f == "REBOOT_REQUESTED";
  });
}

bool job_state_final(const std::string& state) {
  static constexpr std::string_view kFinal[] = {
      "COMPLETED", "FAILED",   "CANCELLED", "NODE_FAIL",    "TIMEOUT", "OUT_OF_MEMORY",
      "BOOT_FAIL", "DEADLINE", "PREEMPTED", "SPECIAL_EXIT", "REVOKED"};
  return std::find(std::begin(kFinal), std::end(kFinal), state) != std::end(kFinal);
}

SlurmClient::SlurmClient(ClientOptions options) : options_(std::move(options)) {}

Result<CommandResult> SlurmClient::run(std::vector<std::string> argv,
                                       std::string stdin_text) const {
  if (!options_.bin_dir.empty()) argv.front() = options_.bin_dir + "/" + argv.front();
  CommandOptions o;
  o.env = options_.env;
  o.stdin_text = std::move(stdin_text);
  o.timeout_s = options_.timeout_s;
  auto r = run_command(argv, o);
  if (!r) return r;
  if (r->timed_out)
    return fail(ErrorCode::kIo, fmt::format("Slurm is not reachable: `{}` did not answer in {} s",
                                            command_line(argv), options_.timeout_s));
  return r;
}

Result<void> SlurmClient::ping() const {
  // A slurm.conf that is not there makes the tools wait for a controller
  // they cannot name: say so at once.
  std::string conf;
  for (const auto& [name, value] : options_.env)
    if (name == "SLURM_CONF") conf = value;
  if (conf.empty())
    if (const char* e = std::getenv("SLURM_CONF")) conf = e;
  if (!conf.empty() && !std::filesystem::is_regular_file(conf))
    return fail(ErrorCode::kNotFound,
                fmt::format("Slurm is not reachable: no slurm.conf at {} (SLURM_CONF)", conf));
  auto r = run({"scontrol", "ping"});
  if (!r) return std::unexpected(r.error());
  // "Slurmctld(primary) at host is UP" / "... is DOWN"
  if (r->exit_code != 0 || r->out.find("is UP") == std::string::npos)
    return fail(ErrorCode::kIo,
                fmt::format("Slurm is not reachable: `scontrol ping` said: {}", slurm_message(*r)));
  return {};
}

std::vector<std::string> SlurmClient::submit_args(const SubmitRequest& q) {
  std::vector<std::string> a{"sbatch", "--parsable"};
  if (!q.job_name.empty()) a.push_back("--job-name=" + q.job_name);
  if (!q.partition.empty()) a.push_back("--partition=" + q.partition);
  if (!q.nodelist.empty()) a.push_back("--nodelist=" + q.nodelist);
  if (q.nodes > 0) a.push_back(fmt::format("--nodes={}", q.nodes));
  if (!q.gres.empty()) a.push_back("--gres=" + q.gres);
  if (!q.constraint.empty()) a.push_back("--constraint=" + q.constraint);
  if (!q.comment.empty()) a.push_back("--comment=" + q.comment);
  if (!q.workdir.empty()) a.push_back("--chdir=" + q.workdir);
  if (!q.output.empty()) a.push_back("--output=" + q.output);
  if (!q.array.empty()) a.push_back("--array=" + q.array);
  if (q.time_limit_minutes > 0)
    a.push_back(fmt::format("--time={}", static_cast<long long>(std::ceil(q.time_limit_minutes))));
  a.push_back(q.requeue ? "--requeue" : "--no-requeue");
  if (q.test_only) a.push_back("--test-only");
  return a;
}

Result<std::int64_t> SlurmClient::submit(const SubmitRequest& q) const {
  if (q.script.rfind("#!", 0) != 0)
    return fail(ErrorCode::kInvalidArgument, "sbatch: the batch script must start with #!");
  std::vector<std::string> argv = submit_args(q);
  auto r = run(argv, q.script);
  if (!r) return std::unexpected(r.error());
  if (r->exit_code != 0)
    return fail(
        ErrorCode::kInvalidArgument,
        fmt::format("sbatch refused the job (exit code {}): {}", r->exit_code, slurm_message(*r)));
  if (q.test_only) return 0;
  // --parsable: "<id>" or "<id>;<cluster>"
  std::string text = trim(r->out);
  text = text.substr(0, text.find(';'));
  std::int64_t id = 0;
  const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), id);
  if (ec != std::errc{} || ptr != text.data() + text.size() || id <= 0)
    return fail(ErrorCode::kParse,
                fmt::format("sbatch printed no job ID: `{}`", trim(r->out.substr(0, 200))));
  return id;
}

Result<void> SlurmClient::cancel(std::int64_t job_id) const {
  auto r = run({"scancel", std::to_string(job_id)});
  if (!r) return std::unexpected(r.error());
  if (r->exit_code != 0)
    return fail(ErrorCode::kIo, fmt::format("scancel {}: {}", job_id, slurm_message(*r)));
  return {};
}

Result<std::optional<SlurmJob>> SlurmClient::accounting_job(std::int64_t job_id) const {
  auto r = run({"sacct", "--json", "-j", std::to_string(job_id)});
  if (!r) return std::unexpected(r.error());
  // No slurmdbd: "Slurm accounting storage is disabled", exit 1.
  if (r->exit_code != 0) return std::optional<SlurmJob>{};
  auto j = parse_json(*r, "sacct --json");
  if (!j) return std::optional<SlurmJob>{};
  for (const SlurmJob& job : parse_jobs(*j, {job_id}))
    if (job.job_id == job_id) return std::optional<SlurmJob>{job};
  return std::optional<SlurmJob>{};
}

Result<std::vector<SlurmJob>> SlurmClient::jobs(const std::vector<std::int64_t>& ids) const {
  // `squeue --json` lists every job slurmctld still knows, those that
  // ended less than MinJobAge ago included (Slurm 22.05 and later;
  // `scontrol --json` only came in 23.02).
  auto r = run({"squeue", "--json"});
  if (!r) return std::unexpected(r.error());
  if (r->exit_code != 0) return fail(ErrorCode::kIo, fmt::format("squeue: {}", slurm_message(*r)));
  SUANLI_ASSIGN(UnorderedJson j, parse_json(*r, "squeue --json"));
  return parse_jobs(j, ids);
}

Result<std::vector<SlurmNode>> SlurmClient::nodes() const {
  auto r = run({"sinfo", "--json"});
  if (!r) return std::unexpected(r.error());
  if (r->exit_code != 0) return fail(ErrorCode::kIo, fmt::format("sinfo: {}", slurm_message(*r)));
  SUANLI_ASSIGN(UnorderedJson j, parse_json(*r, "sinfo --json"));
  std::vector<SlurmNode> out;
  if (!j.contains("nodes") || !j["nodes"].is_array()) return out;
  for (const UnorderedJson& e : j["nodes"]) {
    if (!e.is_object()) continue;
    SlurmNode n;
    n.name = string_of(e, "name");
    auto states = strings_of(e.value("state", UnorderedJson()));
    // 22.05: "state": "idle", "state_flags": ["DRAIN"]; later: "state": ["IDLE", "DRAIN"].
    for (std::size_t i = 0; i < states.size(); ++i) {
      if (i == 0)
        n.state = upper(states[i]);
      else
        n.flags.push_back(upper(states[i]));
    }
    for (const std::string& f : strings_of(e.value("state_flags", UnorderedJson())))
      n.flags.push_back(upper(f));
    n.gres = string_of(e, "gres");
    n.features = strings_of(e.value("features", UnorderedJson()));
    n.reason = string_of(e, "reason");
    out.push_back(std::move(n));
  }
  return out;
}

Result<void> SlurmClient::update_node(const std::string& name, const std::string& state,
                                      const std::string& reason) const {
  std::vector<std::string> argv{"scontrol", "update", "NodeName=" + name, "State=" + state};
  if (!reason.empty()) argv.push_back("Reason=" + reason);
  auto r = run(argv);
  if (!r) return std::unexpected(r.error());
  if (r->exit_code != 0)
    return fail(ErrorCode::kIo, fmt::format("`{}`: {}", command_line(argv), slurm_message(*r)));
  return {};
}

}  // namespace suanli::slurm

#include "slurm/agent.h"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include <fmt/format.h>

#include "slurm/slurm_conf.h"
#include "util/toml_reader.h"

namespace suanli::slurm {

namespace {

using UnorderedJson = nlohmann::json;
using service::FleetCore;
using service::JobView;

constexpr std::string_view kCommentPrefix = "suanli:";
constexpr std::string_view kExternalPrefix = "slurm:";
constexpr int kMaxRounds = 8;  // sync rounds until no new placement appears

// The rules whose refusal no later event of the cluster can lift.
bool permanent_rule_kind(std::string_view kind) {
  return kind == "sensitivity-origin" || kind == "approved-customers" ||
         kind == "no-new-placements" || kind == "drain";
}

std::string job_label(const JobView& job) { return fmt::format("{} {}", job.id, job.name); }

// suanli:<uid>:<job>:<placement>
struct Comment {
  std::string uid;
  int job = -1;
  int placement = -1;
};
std::optional<Comment> parse_comment(std::string_view text) {
  if (!text.starts_with(kCommentPrefix)) return std::nullopt;
  text.remove_prefix(kCommentPrefix.size());
  std::vector<std::string> parts;
  std::size_t start = 0;
  while (true) {
    const auto colon = text.find(':', start);
    parts.emplace_back(
        text.substr(start, colon == std::string_view::npos ? text.npos : colon - start));
    if (colon == std::string_view::npos) break;
    start = colon + 1;
  }
  if (parts.size() != 3) return std::nullopt;
  Comment c;
  c.uid = parts[0];
  try {
    c.job = std::stoi(parts[1]);
    c.placement = std::stoi(parts[2]);
  } catch (const std::exception&) {
    return std::nullopt;
  }
  return c;
}

std::optional<std::int64_t> slurm_id_of(const JobView& job) {
  if (!job.external_id) return std::nullopt;
  std::string_view s = *job.external_id;
  if (!s.starts_with(kExternalPrefix)) return std::nullopt;
  s.remove_prefix(kExternalPrefix.size());
  try {
    return std::stoll(std::string(s));
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

// A fail reason for the store: one line, no control characters, at most
// 500 bytes (the live fleet's limit), cut at a UTF-8 boundary.
std::string one_line(std::string_view text) {
  std::string out;
  for (char c : text) {
    const bool control = static_cast<unsigned char>(c) < 0x20 || c == 0x7f;
    if (control) {
      if (!out.empty() && out.back() != ' ') out += ' ';
    } else {
      out += c;
    }
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  if (out.size() > 500) {
    std::size_t cut = 497;
    while (cut > 0 && (static_cast<unsigned char>(out[cut]) & 0xC0) == 0x80) --cut;
    out = out.substr(0, cut) + "...";
  }
  return out.empty() ? std::string("(no reason given)") : out;
}

bool current_placement_started(const JobView& job) {
  return job.external_placement && *job.external_placement == job.placements;
}

}  // namespace

// ---- JOB.toml ---------------------------------------------------------------

Result<JobFile> parse_job_file(std::string_view text, const std::filesystem::path& file) {
  SUANLI_ASSIGN(const toml::table doc, parse_toml_text(text, file));
  const TomlView v(doc, file.string(), "");
  UnorderedJson req = UnorderedJson::object();
  SUANLI_ASSIGN(req["name"], required_name(v, "name"));
  SUANLI_ASSIGN(req["tenant"], required_name(v, "tenant"));
  for (const char* key : {"kind", "sensitivity", "reference"}) {
    SUANLI_ASSIGN(auto s, v.string(key));
    if (s) req[key] = *s;
  }
  for (const char* key : {"priority", "devices", "tp"}) {
    SUANLI_ASSIGN(auto n, v.integer(key));
    if (n) req[key] = *n;
  }
  for (const char* key : {"checkpoint_interval_s", "duration_hours"}) {
    SUANLI_ASSIGN(auto n, v.number(key));
    if (n) req[key] = *n;
  }
  SUANLI_ASSIGN(auto per_type, v.subtable("durations_hours"));
  if (per_type) {
    UnorderedJson d = UnorderedJson::object();
    for (const auto& [k, node] : per_type->table()) {
      auto h = node.value<double>();
      if (!h || !(node.is_number()))
        return std::unexpected(per_type->error(k.str(), "expected hours (a number)"));
      d[std::string(k.str())] = *h;
    }
    req["durations_hours"] = std::move(d);
  }
  SUANLI_ASSIGN(auto script_path, v.string("script"));
  SUANLI_ASSIGN(auto command, v.string("command"));
  SUANLI_TRY(v.finish());
  if (script_path.has_value() == command.has_value())
    return std::unexpected(
        v.error("script",
                "give exactly one of script (a batch script file, relative to this file) or "
                "command (a shell command line)"));
  std::string script;
  if (script_path) {
    std::filesystem::path p(*script_path);
    if (p.is_relative()) p = file.parent_path() / p;
    std::ifstream in(p, std::ios::binary);
    if (!in) return std::unexpected(v.error("script", fmt::format("cannot read {}", p.string())));
    std::ostringstream buf;
    buf << in.rdbuf();
    script = buf.str();
    if (!script.starts_with("#!"))
      return std::unexpected(
          v.error("script", fmt::format("{} must start with #! (a batch script)", p.string())));
  } else {
    if (command->empty() || command->find('\0') != std::string::npos)
      return std::unexpected(v.error("command", "expected a non-empty command line"));
    script =
        fmt::format("#!/bin/sh\n# suanli job {}\n{}\n", req["name"].get<std::string>(), *command);
  }
  req["script"] = std::move(script);
  return JobFile{std::move(req), file.string()};
}

Result<JobFile> load_job_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return fail(ErrorCode::kIo, fmt::format("{}: cannot read the job file", path.string()));
  std::ostringstream buf;
  buf << in.rdbuf();
  return parse_job_file(buf.str(), path);
}

// ---- the agent --------------------------------------------------------------

SlurmAgent::SlurmAgent(FleetCore& fleet, SlurmClient client, AgentOptions options)
    : fleet_(&fleet), client_(std::move(client)), options_(std::move(options)) {}

SlurmAgent::SlurmAgent(service::LiveFleet& fleet, SlurmClient client, AgentOptions options)
    : SlurmAgent(fleet.core(), std::move(client), std::move(options)) {}

Result<std::string> SlurmAgent::fleet_uid() {
  SUANLI_ASSIGN(const service::SummaryView summary, fleet_->summary());
  if (!summary.configured)
    return fail(ErrorCode::kConflict,
                "the fleet has no config: run `suanli slurm init FLEET.toml` first");
  // Milliseconds of the config's wall-clock epoch: a new config is a new fleet.
  return fmt::format("{}", static_cast<long long>(std::llround(summary.epoch * 1000)));
}

Result<void> SlurmAgent::sync_nodes(std::vector<AgentAction>& actions) {
  SUANLI_ASSIGN(const std::vector<SlurmNode> slurm_nodes, client_.nodes());
  std::map<std::string, const SlurmNode*> by_name;
  for (const SlurmNode& n : slurm_nodes) by_name[n.name] = &n;
  SUANLI_ASSIGN(const std::vector<service::NodeView> fleet_nodes, fleet_->nodes());
  for (const service::NodeView& n : fleet_nodes) {
    const std::string& name = n.name;
    auto it = by_name.find(name);
    std::string why_down;
    if (it == by_name.end()) {
      why_down = "not in Slurm";
    } else if (it->second->down()) {
      why_down = fmt::format("Slurm: {}{}", it->second->state,
                             it->second->reason.empty() ? "" : " (" + it->second->reason + ")");
    } else {
      const std::string want = fmt::format("gpu:{}:", gres_type(n.accelerator));
      if (it->second->gres.find(want) == std::string::npos)
        why_down =
            fmt::format("Slurm has GRES {:?}, the fleet expects {}…", it->second->gres, want);
    }
    if (!why_down.empty()) {
      if (n.up) {
        SUANLI_TRY(fleet_->node_down(name));
        actions.push_back({"node-down", "", name, 0, why_down});
      }
      continue;
    }
    if (!n.up) {
      SUANLI_TRY(fleet_->node_up(name));
      actions.push_back({"node-up", "", name, 0, "Slurm: " + it->second->state});
    }
    const bool drained = it->second->drained();
    if (drained && !n.cordoned) {
      SUANLI_TRY(fleet_->drain(name));
      actions.push_back({"drain", "", name, 0, it->second->reason});
    } else if (!drained && n.cordoned) {
      SUANLI_TRY(fleet_->resume(name));
      actions.push_back({"resume", "", name, 0, ""});
    }
  }
  return {};
}

Result<void> SlurmAgent::sync_jobs(const std::vector<SlurmJob>& slurm_jobs,
                                   std::vector<AgentAction>& actions) {
  std::map<std::int64_t, const SlurmJob*> by_id;
  for (const SlurmJob& j : slurm_jobs) by_id[j.job_id] = &j;
  SUANLI_ASSIGN(const std::vector<JobView> running, fleet_->jobs(JobState::kRunning));
  for (const JobView& job : running) {
    if (!current_placement_started(job)) continue;
    const auto id = slurm_id_of(job);
    if (!id) continue;
    auto it = by_id.find(*id);
    std::optional<SlurmJob> accounted;
    if (it == by_id.end()) {
      // squeue forgets a job MinJobAge after it ends; accounting may not.
      SUANLI_ASSIGN(accounted, client_.accounting_job(*id));
    }
    if (it == by_id.end() && !accounted) {
      const std::string reason = fmt::format(
          "Slurm no longer knows job {} (it ended more than MinJobAge ago, before suanli saw "
          "it)",
          *id);
      SUANLI_TRY(fleet_->fail(job.id, one_line(reason)));
      actions.push_back({"failed", job_label(job), "", *id, reason});
      continue;
    }
    const SlurmJob& sj = it != by_id.end() ? *it->second : *accounted;
    if (sj.state == "COMPLETED") {
      SUANLI_TRY(fleet_->finish(job.id));
      actions.push_back({"finished", job_label(job), sj.nodes, *id, "Slurm: COMPLETED"});
    } else if (sj.state == "NODE_FAIL") {
      // The node's failure is (or will be) seen by sync_nodes, which
      // requeues the job; a node already back: the core restarts it.
      continue;
    } else if (job_state_final(sj.state)) {
      std::string reason = fmt::format("Slurm job {} ended {}", *id, sj.state);
      if (sj.exit_code) reason += fmt::format(" (exit code {})", *sj.exit_code);
      if (!sj.reason.empty() && sj.reason != "None") reason += ": " + sj.reason;
      SUANLI_TRY(fleet_->fail(job.id, one_line(reason)));
      actions.push_back({"failed", job_label(job), sj.nodes, *id, reason});
    }
  }
  return {};
}

Result<void> SlurmAgent::cancel_moved(const std::vector<SlurmJob>& slurm_jobs,
                                      const std::string& uid, std::vector<AgentAction>& actions) {
  SUANLI_ASSIGN(const std::vector<JobView> running, fleet_->jobs(JobState::kRunning));
  std::map<int, int> placement;  // running job -> current placement
  for (const JobView& job : running) placement[job.id] = job.placements;
  for (const SlurmJob& sj : slurm_jobs) {
    if (job_state_final(sj.state)) continue;
    const auto c = parse_comment(sj.comment);
    if (!c || c->uid != uid) continue;
    auto it = placement.find(c->job);
    if (it != placement.end() && it->second == c->placement) continue;
    SUANLI_TRY(client_.cancel(sj.job_id));
    actions.push_back({"cancelled", fmt::format("{}", c->job), sj.nodes, sj.job_id,
                       "the core moved or stopped this job (see its decisions)"});
  }
  return {};
}

// The sbatch request for a placed job (its current allocation).
SubmitRequest SlurmAgent::sbatch_request(const JobView& job, const std::string& comment) const {
  const service::AllocationView& alloc = *job.allocation;
  std::vector<std::string> nodes;
  std::map<std::string, int> per_node;
  for (const auto& g : alloc.groups)
    for (const service::SlotView& slot : g)
      if (per_node[slot.node]++ == 0) nodes.push_back(slot.node);
  int gres_count = 0;
  for (const auto& [n, c] : per_node) gres_count = std::max(gres_count, c);
  SubmitRequest q;
  q.job_name = fmt::format("suanli-{}-{}", job.id, job.name);
  q.script = job.script.value_or(std::string());
  q.partition = options_.partition;
  q.nodes = static_cast<int>(nodes.size());
  for (const auto& n : nodes) q.nodelist += (q.nodelist.empty() ? "" : ",") + n;
  q.gres = fmt::format("gpu:{}:{}", gres_type(alloc.accelerator), gres_count);
  q.constraint = feature("acc", gres_type(alloc.accelerator));
  q.comment = comment;
  if (!options_.output_dir.empty())
    q.output = fmt::format("{}/suanli-{}-%j.out", options_.output_dir, job.id);
  q.time_limit_minutes = options_.time_limit_minutes;
  return q;
}

Result<void> SlurmAgent::submit_placed(const std::vector<SlurmJob>& slurm_jobs,
                                       const std::string& uid, std::vector<AgentAction>& actions) {
  for (int round = 0; round < kMaxRounds; ++round) {
    SUANLI_ASSIGN(const std::vector<JobView> running, fleet_->jobs(JobState::kRunning));
    bool changed = false;
    for (const JobView& summary : running) {
      if (current_placement_started(summary)) continue;
      const int id = summary.id;
      const std::string comment =
          fmt::format("{}{}:{}:{}", kCommentPrefix, uid, id, summary.placements);
      // Submitted before a crash, not recorded: adopt it.
      auto existing = std::find_if(slurm_jobs.begin(), slurm_jobs.end(), [&](const SlurmJob& j) {
        return j.comment == comment && !j.array_task_id;
      });
      if (existing != slurm_jobs.end()) {
        SUANLI_TRY(fleet_->start(id, fmt::format("{}{}", kExternalPrefix, existing->job_id)));
        actions.push_back({"adopted", job_label(summary), existing->nodes, existing->job_id,
                           "submitted before an interruption"});
        continue;
      }
      SUANLI_ASSIGN(const JobView job, fleet_->job(id));
      const SubmitRequest q = sbatch_request(job, comment);
      Result<std::int64_t> slurm_id =
          q.script.empty() ? fail(ErrorCode::kInvalidArgument,
                                  "the job has no batch script (submit it with `suanli slurm "
                                  "submit JOB.toml`)")
                           : client_.submit(q);
      if (!slurm_id) {
        // Nothing reached Slurm: the core's placement is undone by
        // recording the failure, with Slurm's own words.
        const std::string reason =
            fmt::format("not submitted to Slurm: {}", slurm_id.error().message);
        SUANLI_TRY(fleet_->fail(id, one_line(reason)));
        actions.push_back({"sbatch-failed", job_label(job), q.nodelist, 0, reason});
        changed = true;  // its devices are free again: more may be placed
        continue;
      }
      auto recorded = fleet_->start(id, fmt::format("{}{}", kExternalPrefix, *slurm_id));
      if (!recorded) {
        // Not recorded: take it back from Slurm so both stay in step.
        (void)client_.cancel(*slurm_id);
        return std::unexpected(Error(recorded.error()));
      }
      actions.push_back(
          {"submitted", job_label(job), fmt::format("{} x {}", q.nodelist, q.gres), *slurm_id, ""});
    }
    if (!changed) break;
  }
  return {};
}

Result<std::vector<AgentAction>> SlurmAgent::sync() {
  std::vector<AgentAction> actions;
  SUANLI_ASSIGN(const std::string uid, fleet_uid());
  SUANLI_TRY(client_.ping());
  SUANLI_TRY(sync_nodes(actions));
  // A tick only when a time rule or a delivery is due: a sync that finds
  // nothing new writes nothing.
  SUANLI_ASSIGN(const service::SummaryView summary, fleet_->summary());
  bool due = summary.deliveries_pending > 0;
  for (const service::RuleView& r : summary.rules) due = due || r.state == "due";
  if (due) SUANLI_TRY(fleet_->tick());
  SUANLI_ASSIGN(std::vector<SlurmJob> slurm_jobs, client_.jobs());
  SUANLI_TRY(sync_jobs(slurm_jobs, actions));
  SUANLI_TRY(cancel_moved(slurm_jobs, uid, actions));
  SUANLI_TRY(submit_placed(slurm_jobs, uid, actions));
  return actions;
}

// Held back in the core: failed when only rules that cannot change refuse
// it (an error kInfeasible), otherwise left queued.
Result<SubmitOutcome> SlurmAgent::hold(SubmitOutcome out, const std::string& label) {
  SUANLI_ASSIGN(const JobView job, fleet_->job(out.job));
  out.refusals = UnorderedJson::array();
  for (const service::RefusalView& r : job.refusals.value_or(std::vector<service::RefusalView>{}))
    out.refusals.push_back(
        {{"accelerator", r.accelerator}, {"rule", r.rule}, {"detail", r.detail}});
  SUANLI_ASSIGN(const service::SummaryView summary, fleet_->summary());
  std::map<std::string, std::string> kind_of;
  for (const service::RuleView& r : summary.rules) kind_of[r.id] = r.kind;
  bool permanent = !out.refusals.empty();
  std::string reasons;
  for (const service::RefusalView& r : job.refusals.value_or(std::vector<service::RefusalView>{})) {
    auto k = kind_of.find(r.rule);
    const bool stays =
        r.rule == "workload" || (k != kind_of.end() && permanent_rule_kind(k->second));
    permanent = permanent && stays;
    reasons +=
        (reasons.empty() ? "" : "; ") + fmt::format("{}: {} ({})", r.accelerator, r.rule, r.detail);
  }
  if (permanent) {
    const std::string reason = "refused by rules on every type: " + reasons;
    SUANLI_TRY(fleet_->fail(out.job, one_line(reason)));
    out.state = "failed";
    out.actions.push_back({"refused", label, "", 0, reasons});
    return fail(ErrorCode::kInfeasible,
                fmt::format("job {} not submitted to Slurm: {}", out.job, reason));
  }
  out.actions.push_back(
      {"queued", label, "", 0, "held in suanli (not in Slurm) until placed: " + reasons});
  return out;
}

Result<SubmitOutcome> SlurmAgent::submit(const JobFile& file) {
  SubmitOutcome out;
  SUANLI_ASSIGN(out.actions, sync());
  SUANLI_ASSIGN(const service::JobRequest request, service::decode_job_request(file.request));
  SUANLI_ASSIGN(const service::Placement placed, fleet_->submit(request));
  out.job = placed.job;
  out.state = job_state_name(placed.state);
  for (const std::string& text : placed.applied.decisions) {
    const UnorderedJson d = UnorderedJson::parse(text);
    if (d.value("job", -1) != out.job || d.value("event", "") != "place") continue;
    out.accelerator = d.value("accelerator", "");
    out.nodes = d.value("nodes", std::vector<std::string>{});
    if (d.contains("checked")) out.checked = d["checked"].get<std::vector<std::string>>();
  }
  const std::string label = fmt::format("{} {}", out.job, request.name);
  if (placed.state == JobState::kQueued) return hold(std::move(out), label);
  SUANLI_ASSIGN(const std::string uid, fleet_uid());
  SUANLI_ASSIGN(std::vector<SlurmJob> slurm_jobs, client_.jobs());
  SUANLI_TRY(submit_placed(slurm_jobs, uid, out.actions));
  for (const AgentAction& a : out.actions)
    if (a.what == "sbatch-failed" && a.job == label)
      return fail(ErrorCode::kInvalidArgument, fmt::format("job {}: {}", label, a.detail));
  SUANLI_ASSIGN(const JobView job, fleet_->job(out.job));
  out.state = job_state_name(job.state);
  if (auto id = slurm_id_of(job); id && current_placement_started(job)) out.slurm_job = *id;
  return out;
}

Result<std::vector<AgentAction>> SlurmAgent::shock(const service::RuleRequest& rule) {
  SUANLI_TRY(fleet_uid());
  SUANLI_TRY(client_.ping());
  SUANLI_ASSIGN(const service::Applied applied, fleet_->add_rule(rule));
  std::vector<AgentAction> actions;
  for (const std::string& text : applied.decisions) {
    const UnorderedJson d = UnorderedJson::parse(text);
    if (d.value("event", "") == "rule")
      actions.push_back(
          {"rule", "", "", 0, fmt::format("{}: {}", d.value("rule", ""), d.value("detail", ""))});
  }
  SUANLI_ASSIGN(auto more, sync());
  actions.insert(actions.end(), more.begin(), more.end());
  return actions;
}

Result<std::vector<AgentAction>> SlurmAgent::shock(const UnorderedJson& rule) {
  SUANLI_ASSIGN(const service::RuleRequest request, service::decode_rule_request(rule));
  return shock(request);
}

UnorderedJson actions_json(const std::vector<AgentAction>& actions) {
  UnorderedJson out = UnorderedJson::array();
  for (const AgentAction& a : actions) {
    UnorderedJson j{{"action", a.what}};
    if (!a.job.empty()) j["job"] = a.job;
    if (!a.node.empty()) j["nodes"] = a.node;
    if (a.slurm_job > 0) j["slurm_job"] = a.slurm_job;
    if (!a.detail.empty()) j["detail"] = a.detail;
    out.push_back(std::move(j));
  }
  return out;
}

std::string actions_text(const std::vector<AgentAction>& actions) {
  std::string out;
  for (const AgentAction& a : actions) {
    out += fmt::format("{:<13}", a.what);
    if (!a.job.empty()) out += " job " + a.job;
    if (a.slurm_job > 0) out += fmt::format(" (Slurm {})", a.slurm_job);
    if (!a.node.empty()) out += " on " + a.node;
    if (!a.detail.empty()) out += ": " + a.detail;
    out += "\n";
  }
  return out;
}

}  // namespace suanli::slurm

// `suanli slurm conf|init|submit|sync|agent|shock|status`: suanli's
// scheduling core placing jobs on a real Slurm cluster (docs/slurm.md).
// `conf` only prints; `init` and `status` touch only suanli's store;
// `submit`, `sync`, `agent` and `shock` run sbatch/scancel on the cluster.
#include <fmt/format.h>
#include <unistd.h>

#include <toml++/toml.h>
#include <CLI/CLI.hpp>
#include <chrono>
#include <csignal>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "app/app.h"
#include "service/catalog_holder.h"
#include "service/fleet_core.h"
#include "service/live_fleet.h"  // the API's JSON shapes
#include "sim/scenario.h"
#include "slurm/agent.h"
#include "slurm/slurm_conf.h"
#include "store/store.h"
#include "util/toml_reader.h"

namespace suanli::app {

namespace {

using UnorderedJson = nlohmann::json;

struct SlurmState {
  std::string file;
  std::string db;
  std::string data_dir = "suanli-data";
  std::string partition;
  std::string out_dir;
  std::string output_dir;
  std::string slurm_conf;
  int single_host_port = 0;
  int default_cpus = 0;
  bool count_only = false;
  double interval_s = 10;
  int iterations = 0;
  double time_limit_minutes = 0;
  std::string rule_id;
  std::string rule_kind = "drain";
  std::string accelerator;
  std::optional<double> within_hours;
  bool json = false;
  bool quiet = false;
};

double wall_seconds() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

// The store, the catalog and the live fleet the agent drives.
struct FleetHandle {
  std::unique_ptr<store::Store> store;
  std::unique_ptr<service::CatalogHolder> catalog;
  std::unique_ptr<service::FleetCore> fleet;  // the typed core (no HTTP)
};

// How a command uses the fleet: kWrite takes the store's writer lock (a
// running `suanli serve` holds it: the command then fails, exit 2, naming
// its pid), kRead only reads. Only `init` (a new config, a new epoch) may
// open a fleet whose log no longer replays.
enum class FleetUse { kWrite, kInit, kRead };

Result<FleetHandle> open_fleet(Context& ctx, const SlurmState& s, FleetUse use) {
  FleetHandle h;
  SUANLI_ASSIGN(const Catalog* catalog, ctx.catalog());
  SUANLI_ASSIGN(h.store,
                store::Store::open(s.db.empty() ? store::default_store_url(s.data_dir) : s.db,
                                   use == FleetUse::kRead ? store::StoreAccess::kRead
                                                          : store::StoreAccess::kWrite));
  h.catalog = std::make_unique<service::CatalogHolder>(std::make_shared<const Catalog>(*catalog));
  SUANLI_ASSIGN(h.fleet, service::FleetCore::open(*h.store, *h.catalog, wall_seconds));
  if (const std::string problem = h.fleet->problem(); !problem.empty() && use != FleetUse::kInit)
    return fail(ErrorCode::kConflict,
                fmt::format("the live fleet cannot be replayed: {} (`suanli slurm init` starts a "
                            "new epoch; the audit is kept)",
                            problem));
  return h;
}

slurm::SlurmClient client_for(const SlurmState& s) {
  slurm::ClientOptions o;
  if (!s.slurm_conf.empty()) o.env.emplace_back("SLURM_CONF", s.slurm_conf);
  return slurm::SlurmClient(std::move(o));
}

slurm::AgentOptions agent_options(const SlurmState& s) {
  slurm::AgentOptions o;
  o.partition = s.partition;
  o.output_dir = s.output_dir;
  o.time_limit_minutes = s.time_limit_minutes;
  return o;
}

int print_actions(Context& ctx, const SlurmState& s, const std::vector<slurm::AgentAction>& a) {
  if (s.json)
    ctx.out() << UnorderedJson{{"actions", slurm::actions_json(a)}}.dump(2) << "\n";
  else if (a.empty())
    ctx.out() << "in step with Slurm: nothing to do\n";
  else
    ctx.out() << slurm::actions_text(a);
  return kExitOk;
}

int run_conf(Context& ctx, const SlurmState& s) {
  auto catalog = ctx.catalog();
  if (!catalog) return ctx.report(catalog.error());
  auto scenario = load_scenario(s.file, **catalog);
  if (!scenario) return ctx.report(scenario.error());
  slurm::ConfOptions o;
  if (!s.partition.empty()) o.partition = s.partition;
  if (s.single_host_port > 0) o.single_host_base_port = s.single_host_port;
  o.default_cpus = s.default_cpus;
  o.count_only = s.count_only;
  o.source = std::filesystem::path(s.file).filename().string();
  auto conf = slurm::generate_conf(scenario->fleet, o);
  if (!conf) return ctx.report(conf.error());
  if (!s.out_dir.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(s.out_dir, ec);
    for (const auto& [name, text] : {std::pair{"slurm-nodes.conf", conf->slurm_conf},
                                     std::pair{"gres.conf", conf->gres_conf}}) {
      const auto path = std::filesystem::path(s.out_dir) / name;
      std::ofstream f(path);
      f << text;
      if (!f)
        return ctx.report(Error{ErrorCode::kIo, fmt::format("cannot write {}", path.string())});
    }
    if (!s.quiet && !s.json)
      ctx.err() << fmt::format(
          "wrote {0}/slurm-nodes.conf (include it in slurm.conf) and "
          "{0}/gres.conf\n",
          s.out_dir);
  }
  if (s.json) {
    UnorderedJson nodes = UnorderedJson::array();
    for (const auto& n : conf->nodes)
      nodes.push_back({{"name", n.name}, {"gres", n.gres}, {"features", n.features}});
    ctx.out() << UnorderedJson{{"slurm_conf", conf->slurm_conf},
                               {"gres_conf", conf->gres_conf},
                               {"nodes", std::move(nodes)}}
                     .dump(2)
              << "\n";
  } else if (s.out_dir.empty()) {
    ctx.out() << "# ---- slurm.conf (nodes and partitions) ----\n"
              << conf->slurm_conf << "# ---- gres.conf ----\n"
              << conf->gres_conf;
  }
  return kExitOk;
}

int run_init(Context& ctx, const SlurmState& s) {
  std::ifstream in(s.file, std::ios::binary);
  if (!in) return ctx.report(Error{ErrorCode::kIo, fmt::format("{}: cannot read", s.file)});
  std::ostringstream read;
  read << in.rdbuf();
  std::string text = read.str();
  // A simulator scenario works as a fleet: its workload and scripted
  // events are left out (jobs come from `suanli slurm submit`, node state
  // from Slurm).
  auto parsed = parse_toml_text(text, s.file);
  if (!parsed) return ctx.report(parsed.error());
  toml::table& doc = *parsed;
  std::vector<std::string> dropped;
  for (const char* key : {"generators", "jobs", "traces", "node_events"})
    if (doc.erase(key) > 0) dropped.push_back(fmt::format("[[{}]]", key));
  if (!dropped.empty()) {
    std::ostringstream out;
    out << "# " << s.file << " without " << fmt::format("{}", fmt::join(dropped, ", "))
        << " (suanli slurm init)\n"
        << doc << "\n";
    text = out.str();
    if (!s.json)
      ctx.err() << fmt::format(
          "note: {} left out: jobs come from `suanli slurm submit`, node "
          "state from Slurm\n",
          fmt::join(dropped, ", "));
  }
  auto h = open_fleet(ctx, s, FleetUse::kInit);
  if (!h) return ctx.report(h.error());
  if (auto r = h->fleet->configure(text); !r)
    return ctx.report(
        Error{ErrorCode::kInvalidArgument, fmt::format("{}: {}", s.file, r.error().message)});
  auto view = h->fleet->summary();
  if (!view) return ctx.report(view.error());
  const UnorderedJson summary = service::summary_json(*view);
  if (s.json) {
    ctx.out() << summary.dump(2) << "\n";
  } else {
    ctx.out() << fmt::format("fleet {:?} configured: {} nodes, {} rules (store {})\n",
                             summary.value("scenario", ""), summary.value("nodes", 0),
                             summary["rules"].size(),
                             s.db.empty() ? store::default_store_url(s.data_dir) : s.db);
  }
  return kExitOk;
}

int run_submit(Context& ctx, const SlurmState& s) {
  auto job = slurm::load_job_file(s.file);
  if (!job) return ctx.report(job.error());
  auto h = open_fleet(ctx, s, FleetUse::kWrite);
  if (!h) return ctx.report(h.error());
  slurm::SlurmAgent agent(*h->fleet, client_for(s), agent_options(s));
  auto out = agent.submit(*job);
  if (!out) return ctx.report(out.error());
  if (s.json) {
    ctx.out() << UnorderedJson{{"job", out->job},
                               {"state", out->state},
                               {"slurm_job", out->slurm_job > 0 ? UnorderedJson(out->slurm_job)
                                                                : UnorderedJson(nullptr)},
                               {"accelerator", out->accelerator},
                               {"nodes", out->nodes},
                               {"rules_checked", out->checked},
                               {"refusals",
                                out->refusals.is_null() ? UnorderedJson::array() : out->refusals},
                               {"actions", slurm::actions_json(out->actions)}}
                     .dump(2)
              << "\n";
    return kExitOk;
  }
  if (out->slurm_job > 0)
    ctx.out() << fmt::format(
        "job {} placed on {} ({}) after checking rules {}; Slurm job {}\n", out->job,
        out->accelerator, fmt::join(out->nodes, ","),
        out->checked.empty() ? "(none)" : fmt::format("{}", fmt::join(out->checked, ", ")),
        out->slurm_job);
  else
    ctx.out() << fmt::format("job {} {}\n", out->job, out->state);
  ctx.out() << slurm::actions_text(out->actions);
  return kExitOk;
}

int run_sync(Context& ctx, const SlurmState& s) {
  auto h = open_fleet(ctx, s, FleetUse::kWrite);
  if (!h) return ctx.report(h.error());
  slurm::SlurmAgent agent(*h->fleet, client_for(s), agent_options(s));
  auto actions = agent.sync();
  if (!actions) return ctx.report(actions.error());
  print_actions(ctx, s, *actions);
  // A job sbatch refused is recorded as failed; say so in the exit code.
  for (const auto& a : *actions)
    if (a.what == "sbatch-failed") return kExitFailure;
  return kExitOk;
}

int run_agent(Context& ctx, const SlurmState& s) {
  auto h = open_fleet(ctx, s, FleetUse::kWrite);
  if (!h) return ctx.report(h.error());
  slurm::SlurmAgent agent(*h->fleet, client_for(s), agent_options(s));
  // SIGINT/SIGTERM end the loop between syncs (sigtimedwait: no handler).
  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGINT);
  sigaddset(&stop, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop, nullptr);
  for (int i = 0; s.iterations == 0 || i < s.iterations; ++i) {
    auto actions = agent.sync();
    if (!actions) {
      // A cluster that is briefly unreachable is not the end of the agent.
      ctx.err() << "sync failed: " << actions.error().message << "\n";
    } else if (!actions->empty() || s.json) {
      if (s.json)
        ctx.out() << UnorderedJson{{"t", wall_seconds()},
                                   {"actions", slurm::actions_json(*actions)}}
                         .dump()
                  << "\n";
      else
        ctx.out() << slurm::actions_text(*actions);
      ctx.out().flush();
    }
    if (s.iterations != 0 && i + 1 == s.iterations) break;
    const timespec wait{static_cast<time_t>(s.interval_s),
                        static_cast<long>((s.interval_s - std::floor(s.interval_s)) * 1e9)};
    if (sigtimedwait(&stop, nullptr, &wait) > 0) break;
  }
  return kExitOk;
}

int run_shock(Context& ctx, const SlurmState& s) {
  auto h = open_fleet(ctx, s, FleetUse::kWrite);
  if (!h) return ctx.report(h.error());
  slurm::SlurmAgent agent(*h->fleet, client_for(s), agent_options(s));
  service::RuleRequest rule;
  rule.id = s.rule_id.empty() ? fmt::format("shock-{}", s.accelerator) : s.rule_id;
  rule.kind = s.rule_kind;
  rule.accelerator = s.accelerator;
  rule.within_hours = s.within_hours;
  auto actions = agent.shock(rule);
  if (!actions) return ctx.report(actions.error());
  return print_actions(ctx, s, *actions);
}

int run_status(Context& ctx, const SlurmState& s) {
  auto h = open_fleet(ctx, s, FleetUse::kRead);
  if (!h) return ctx.report(h.error());
  auto view = h->fleet->summary();
  auto job_views = h->fleet->jobs();
  if (!view || !job_views)
    return ctx.report(Error{ErrorCode::kConflict, "the fleet has no config (suanli slurm init)"});
  const UnorderedJson summary = service::summary_json(*view);
  UnorderedJson jobs = UnorderedJson::array();
  for (const service::JobView& v : *job_views) jobs.push_back(service::job_json(v));
  if (s.json) {
    ctx.out() << UnorderedJson{{"fleet", summary}, {"jobs", jobs}}.dump(2) << "\n";
    return kExitOk;
  }
  ctx.out() << fmt::format("fleet {:?}: {} nodes ({} up), {} jobs: {} running, {} queued\n",
                           summary.value("scenario", ""), summary.value("nodes", 0),
                           summary.value("nodes_up", 0), summary.value("jobs", 0),
                           summary.value("running", 0), summary.value("queued", 0));
  for (const UnorderedJson& j : jobs) {
    std::string where;
    if (j["allocation"].is_object()) {
      std::vector<std::string> nodes;
      for (const UnorderedJson& g : j["allocation"]["groups"])
        for (const UnorderedJson& slot : g) {
          const std::string n = slot["node"];
          if (std::find(nodes.begin(), nodes.end(), n) == nodes.end()) nodes.push_back(n);
        }
      where = fmt::format(" on {} ({})", j["allocation"]["accelerator"].get<std::string>(),
                          fmt::join(nodes, ","));
    }
    const std::string ext =
        j["external_id"].is_string() ? " " + j["external_id"].get<std::string>() : "";
    ctx.out() << fmt::format(
        "  {:>4} {:<24} {:<9}{}{}{}\n", j["id"].get<int>(), j["name"].get<std::string>(),
        j["state"].get<std::string>(), where, ext,
        j.value("reason", "").empty() ? "" : " — " + j["reason"].get<std::string>());
  }
  return kExitOk;
}

}  // namespace

void register_slurm(CLI::App& app, Context& ctx) {
  auto s = std::make_shared<SlurmState>();
  auto* cmd = app.add_subcommand(
      "slurm",
      "Run suanli's placement on a real Slurm cluster (docs/slurm.md): generate slurm.conf/"
      "gres.conf for a fleet, submit jobs pinned by the rules, follow them through Slurm");
  cmd->require_subcommand(1);
  auto add_store = [&](CLI::App* c) {
    auto* db = c->add_option("--db", s->db,
                             "Store URL holding the fleet: sqlite:PATH or "
                             "postgresql://USER@HOST:PORT/DB (default sqlite:DATA_DIR/suanli.db)");
    auto* dir = c->add_option("--data-dir", s->data_dir, "Data directory (default suanli-data)");
    db->excludes(dir);
    c->add_flag("--json", s->json, "Print JSON");
  };
  auto add_slurm = [&](CLI::App* c) {
    c->add_option("--slurm-conf", s->slurm_conf,
                  "slurm.conf of the cluster (default: $SLURM_CONF, else Slurm's own default)");
    c->add_option("--partition", s->partition, "sbatch --partition (default: Slurm's default)");
    c->add_option("--output-dir", s->output_dir,
                  "Directory for the jobs' stdout (sbatch --output DIR/suanli-<job>-%j.out)");
    c->add_option("--time-limit-minutes", s->time_limit_minutes,
                  "sbatch --time for every job (default: the partition's)");
  };

  auto* conf =
      cmd->add_subcommand("conf",
                          "Print the slurm.conf node and partition lines and gres.conf for a fleet "
                          "(a simulator scenario or live-fleet config); changes nothing");
  conf->add_option("fleet", s->file, "Fleet or scenario TOML")
      ->required()
      ->check(CLI::ExistingFile);
  conf->add_option("--partition", s->partition, "Default partition name (default suanli)");
  conf->add_option("--out-dir", s->out_dir, "Write slurm-nodes.conf and gres.conf here");
  conf->add_option("--single-host", s->single_host_port,
                   "Test cluster with every slurmd on this host: NodeHostname=127.0.0.1 and "
                   "Port=BASE+i per node (Debian's multiple-slurmd build)");
  conf->add_option("--default-cpus", s->default_cpus,
                   "CPUs= for nodes whose pool has no cpu_milli (default: leave it to slurmd)");
  conf->add_flag("--count-only", s->count_only,
                 "gres.conf with Count= only, no device files (see docs/slurm.md)");
  conf->add_flag("--json", s->json, "Print JSON");
  conf->add_flag("-q,--quiet", s->quiet, "No notes on stderr");
  conf->callback([&ctx, s] { ctx.action() = [&ctx, s] { return run_conf(ctx, *s); }; });

  auto* init = cmd->add_subcommand(
      "init",
      "Configure (reset) the fleet the agent drives from a live-fleet config: sites, node pools "
      "(node names as in `slurm conf`), tenants, rules, scheduler; touches only the store");
  init->add_option("fleet", s->file, "Fleet TOML (no jobs or generators)")->required();
  add_store(init);
  init->callback([&ctx, s] { ctx.action() = [&ctx, s] { return run_init(ctx, *s); }; });

  auto* submit = cmd->add_subcommand(
      "submit",
      "Place a job with suanli's rules and submit it to Slurm pinned there (sbatch "
      "--nodelist/--gres/--constraint); a job the rules refuse is not submitted");
  submit->add_option("job", s->file, "JOB.toml (docs/slurm.md)")->required();
  add_store(submit);
  add_slurm(submit);
  submit->callback([&ctx, s] { ctx.action() = [&ctx, s] { return run_submit(ctx, *s); }; });

  auto* sync = cmd->add_subcommand(
      "sync",
      "Once: read Slurm's nodes and jobs, report changes to the core (down, drained, finished, "
      "failed), cancel jobs the core moved, submit its new placements");
  add_store(sync);
  add_slurm(sync);
  sync->callback([&ctx, s] { ctx.action() = [&ctx, s] { return run_sync(ctx, *s); }; });

  auto* agent = cmd->add_subcommand("agent", "Run `sync` every --interval seconds until SIGTERM");
  add_store(agent);
  add_slurm(agent);
  agent->add_option("--interval", s->interval_s, "Seconds between syncs (default 10)")
      ->check(CLI::Range(0.1, 3600.0));
  agent->add_option("--iterations", s->iterations, "Stop after N syncs (default: never)")
      ->check(CLI::NonNegativeNumber);
  agent->callback([&ctx, s] { ctx.action() = [&ctx, s] { return run_agent(ctx, *s); }; });

  auto* shock = cmd->add_subcommand(
      "shock",
      "A licence shock from now: no new placements on an accelerator type (drain: and its jobs "
      "moved off within --within-hours), then a sync");
  shock->add_option("accelerator", s->accelerator, "Fleet accelerator ID")->required();
  shock->add_option("--kind", s->rule_kind, "drain | no-new-placements (default drain)")
      ->check(CLI::IsMember({"drain", "no-new-placements"}));
  shock->add_option("--within-hours", s->within_hours,
                    "drain: hours until every job is off the type (default 0: at once)");
  shock->add_option("--id", s->rule_id, "Rule ID cited by decisions (default shock-<accelerator>)");
  add_store(shock);
  add_slurm(shock);
  shock->callback([&ctx, s] { ctx.action() = [&ctx, s] { return run_shock(ctx, *s); }; });

  auto* status = cmd->add_subcommand("status", "The fleet and its jobs as the core sees them");
  add_store(status);
  status->callback([&ctx, s] { ctx.action() = [&ctx, s] { return run_status(ctx, *s); }; });
}

}  // namespace suanli::app

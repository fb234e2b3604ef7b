// suanli on a real Slurm (issue 6): a cluster started from `suanli slurm
// conf`'s output for examples/slurm/fleet.toml (tests/slurm_cluster.h),
// the live fleet in a temp SQLite store, and the Slurm agent between them.
// Every check reads Slurm's own view (scontrol show job/nodes) as well as
// the core's.
#include <gtest/gtest.h>

#include <fmt/format.h>

#include <chrono>
#include <cmath>
#include <set>
#include <sstream>
#include <thread>

#include "catalog/catalog.h"
#include "cli_run.h"
#include "read_file.h"
#include "service/catalog_holder.h"
#include "service/live_fleet.h"
#include "sim/scenario.h"
#include "slurm/agent.h"
#include "slurm/slurm_conf.h"
#include "slurm_cluster.h"
#include "store/store.h"
#include "temp_dir.h"

namespace suanli {
namespace {

using Json = nlohmann::json;
using testing::SlurmCluster;
using testing::TempDir;

const std::filesystem::path kFleet =
    std::filesystem::path(SUANLI_SOURCE_DIR) / "examples" / "slurm" / "fleet.toml";

using ::suanli::testing::read_file;

bool domestic_node(const std::string& name) {
  return name.find("ascend") != std::string::npos || name.find("mlu") != std::string::npos;
}

template <class Pred>
bool wait_for(Pred pred, std::chrono::milliseconds timeout = std::chrono::seconds(20)) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!pred()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  return true;
}

class SlurmIntegration : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto catalog = Catalog::load({{std::filesystem::path(SUANLI_SOURCE_DIR) / "data"}});
    if (!catalog) {
      setup_error_ = catalog.error().message;
      return;
    }
    catalog_ = std::make_shared<const Catalog>(std::move(*catalog));
    auto scenario = load_scenario(kFleet, *catalog_);
    if (!scenario) {
      setup_error_ = scenario.error().message;
      return;
    }
    fleet_ = std::make_unique<Fleet>(scenario->fleet);
    SlurmCluster::Spec spec;
    spec.nodes_conf = [](int base_port) {
      slurm::ConfOptions o;
      o.single_host_base_port = base_port;
      o.count_only = true;  // the harness gives each GPU a stand-in device file
      auto conf = slurm::generate_conf(*fleet_, o);
      return conf ? conf->slurm_conf : std::string("# ") + conf.error().message;
    };
    slurm::ConfOptions o;
    o.count_only = true;
    auto conf = slurm::generate_conf(*fleet_, o);
    if (!conf) {
      setup_error_ = conf.error().message;
      return;
    }
    spec.gres_conf = conf->gres_conf;
    for (const auto& n : conf->nodes) spec.node_names.push_back(n.name);
    auto started = SlurmCluster::start(spec);
    if (!started.cluster) {
      skip_ = started.skip;
      setup_error_ = started.message;
      return;
    }
    cluster_ = std::move(started.cluster);
  }
  static void TearDownTestSuite() { cluster_.reset(); }

  void SetUp() override {
    if (skip_) GTEST_SKIP() << setup_error_;
    ASSERT_NE(cluster_, nullptr) << setup_error_;
    // A clean cluster: no job left by an earlier test, every node idle.
    cluster_->run({"scancel", "--user=root"});
    for (const auto& n : fleet_->nodes())
      cluster_->scontrol({"update", "NodeName=" + n.name, "State=RESUME"});
    for (const auto& n : fleet_->nodes())
      ASSERT_TRUE(cluster_->wait_node_state(n.name, {"idle"}, std::chrono::seconds(30)))
          << n.name << "\n"
          << cluster_->logs_tail();
    auto store = store::Store::open("sqlite:" + (dir_.path() / "fleet.db").string());
    ASSERT_TRUE(store) << store.error().message;
    store_ = std::move(*store);
    holder_ = std::make_unique<service::CatalogHolder>(catalog_);
    auto live = service::LiveFleet::open(*store_, *holder_, [] {
      return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch())
          .count();
    });
    ASSERT_TRUE(live) << live.error().message;
    live_ = std::move(*live);
    service::ApiRequest put;
    put.method = service::Method::kPut;
    put.body = Json{{"scenario", read_file(kFleet)}}.dump();
    const auto r = live_->put_config(put);
    ASSERT_EQ(r.status, 200) << r.body.dump();
  }

  slurm::SlurmClient client(double timeout_s = 30) const {
    slurm::ClientOptions o;
    o.env = cluster_->env();
    o.timeout_s = timeout_s;
    return slurm::SlurmClient(o);
  }

  slurm::SlurmAgent agent(slurm::AgentOptions o = {}) const {
    if (o.output_dir.empty()) o.output_dir = (dir_.path()).string();
    return slurm::SlurmAgent(*live_, client(), o);
  }

  static slurm::JobFile job(const std::string& name, const std::string& tenant,
                            const std::string& sensitivity, const Json& durations_hours,
                            const std::string& command = "sleep 300", int devices = 4) {
    Json q{{"name", name},
           {"tenant", tenant},
           {"sensitivity", sensitivity},
           {"devices", devices},
           {"tp", devices},
           {"durations_hours", durations_hours},
           {"script", "#!/bin/sh\n" + command + "\n"}};
    return slurm::JobFile{q, name};
  }

  Json core_job(int id) const {
    service::ApiRequest r;
    r.params["id"] = std::to_string(id);
    return live_->job(r).body;
  }

  std::int64_t events() const { return live_->event_count(); }

  // Slurm's record of a job (scontrol show job --json).
  std::optional<slurm::SlurmJob> slurm_job(std::int64_t id) const {
    auto jobs = client().jobs({id});
    if (!jobs || jobs->empty()) return std::nullopt;
    return jobs->front();
  }

  std::vector<slurm::SlurmJob> slurm_jobs_named(const std::string& name) const {
    std::vector<slurm::SlurmJob> out;
    auto jobs = client().jobs();
    if (!jobs) return out;
    for (const auto& j : *jobs)
      if (j.name.ends_with("-" + name)) out.push_back(j);
    return out;
  }

  static std::vector<std::string> slurm_nodes_of(const slurm::SlurmJob& j) {
    // Slurm may compress the list ("lab-ascend-910b-[0-1]"): expand it.
    auto r = cluster_->scontrol({"show", "hostnames", j.nodes});
    std::vector<std::string> out;
    std::istringstream in(r.out);
    for (std::string line; std::getline(in, line);)
      if (!line.empty()) out.push_back(line);
    return out;
  }

  static inline std::shared_ptr<const Catalog> catalog_;
  static inline std::unique_ptr<Fleet> fleet_;
  static inline std::unique_ptr<SlurmCluster> cluster_;
  static inline std::string setup_error_;
  static inline bool skip_ = false;

  TempDir dir_;
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<service::CatalogHolder> holder_;
  std::unique_ptr<service::LiveFleet> live_;
};

TEST_F(SlurmIntegration, GeneratedConfRegistersEveryNodeWithItsGresAndFeatures) {
  auto nodes = client().nodes();
  ASSERT_TRUE(nodes) << nodes.error().message;
  ASSERT_EQ(nodes->size(), fleet_->nodes().size());
  for (const FleetNode& n : fleet_->nodes()) {
    auto it = std::find_if(nodes->begin(), nodes->end(),
                           [&](const slurm::SlurmNode& s) { return s.name == n.name; });
    ASSERT_NE(it, nodes->end()) << n.name;
    const AcceleratorType& t = fleet_->type(n.type);
    EXPECT_NE(it->gres.find(fmt::format("gpu:{}:4", slurm::gres_type(t.id))), std::string::npos)
        << n.name << ": " << it->gres;
    const std::set<std::string> features(it->features.begin(), it->features.end());
    EXPECT_TRUE(features.count(t.domestic ? "domestic" : "foreign")) << n.name;
    EXPECT_TRUE(features.count(t.domestic ? "origin_cn" : "origin_us")) << n.name;
    EXPECT_TRUE(features.count("acc_" + slurm::gres_type(t.id))) << n.name;
    EXPECT_TRUE(features.count("site_lab")) << n.name;
  }
}

TEST_F(SlurmIntegration, SensitiveJobsLandOnlyOnDomesticNodes) {
  auto a = agent();
  const Json anywhere{{"h20", 1.0}, {"ascend-910b", 1.5}, {"mlu590", 2.0}};
  std::vector<std::int64_t> sensitive;
  for (int i = 0; i < 3; ++i) {
    auto out = a.submit(job(fmt::format("gov-{}", i), "gov", "confidential", anywhere));
    ASSERT_TRUE(out) << out.error().message;
    ASSERT_EQ(out->state, "running");
    ASSERT_GT(out->slurm_job, 0);
    EXPECT_NE(std::find(out->checked.begin(), out->checked.end(), "sensitive-on-domestic"),
              out->checked.end());
    sensitive.push_back(out->slurm_job);
  }
  // The domestic nodes are full: a fourth confidential job waits in suanli,
  // it is not handed to Slurm (which would put it on a free H20).
  auto waiting = a.submit(job("gov-3", "gov", "confidential", anywhere));
  ASSERT_TRUE(waiting) << waiting.error().message;
  EXPECT_EQ(waiting->state, "queued");
  EXPECT_EQ(waiting->slurm_job, 0);
  EXPECT_TRUE(slurm_jobs_named("gov-3").empty());
  // A public job may use the H20s.
  auto pub = a.submit(job("lab-0", "lab", "public", anywhere));
  ASSERT_TRUE(pub) << pub.error().message;
  ASSERT_GT(pub->slurm_job, 0);

  for (std::int64_t id : sensitive) {
    std::optional<slurm::SlurmJob> sj;
    ASSERT_TRUE(wait_for([&] {
      sj = slurm_job(id);
      return sj && sj->state == "RUNNING";
    })) << "Slurm job "
        << id << " never ran: " << (sj ? sj->state + " " + sj->reason : "gone");
    const auto nodes = slurm_nodes_of(*sj);
    ASSERT_FALSE(nodes.empty());
    for (const auto& n : nodes) EXPECT_TRUE(domestic_node(n)) << "confidential job on " << n;
  }
  std::optional<slurm::SlurmJob> pj;
  ASSERT_TRUE(wait_for([&] {
    pj = slurm_job(pub->slurm_job);
    return pj && pj->state == "RUNNING";
  }));
  for (const auto& n : slurm_nodes_of(*pj)) EXPECT_EQ(n.rfind("lab-h20-", 0), 0u) << n;
}

TEST_F(SlurmIntegration, JobRefusedByARuleIsNeverSubmitted) {
  auto a = agent();
  const auto before = client().jobs();
  ASSERT_TRUE(before);
  // Confidential work that only the (foreign) H20 can run.
  auto out = a.submit(job("gov-h20-only", "gov", "confidential", Json{{"h20", 1.0}}));
  ASSERT_FALSE(out);
  EXPECT_EQ(out.error().code, ErrorCode::kInfeasible);
  EXPECT_NE(out.error().message.find("sensitive-on-domestic"), std::string::npos)
      << out.error().message;
  EXPECT_TRUE(slurm_jobs_named("gov-h20-only").empty());
  const auto after = client().jobs();
  ASSERT_TRUE(after);
  EXPECT_EQ(after->size(), before->size()) << "something reached Slurm";
  const Json j = core_job(0);
  EXPECT_EQ(j["state"], "failed");
  EXPECT_NE(j["reason"].get<std::string>().find("sensitive-on-domestic"), std::string::npos);
}

TEST_F(SlurmIntegration, DrainShockStopsNewPlacementsOnTheType) {
  auto a = agent();
  auto on_h20 = a.submit(job("lab-h20", "lab", "public", Json{{"h20", 1.0}}));
  ASSERT_TRUE(on_h20) << on_h20.error().message;
  ASSERT_GT(on_h20->slurm_job, 0);
  ASSERT_EQ(on_h20->accelerator, "h20");

  auto shock = a.shock(Json{{"id", "h20-licence"}, {"kind", "drain"}, {"accelerator", "h20"}});
  ASSERT_TRUE(shock) << shock.error().message;
  bool cancelled = false;
  for (const auto& act : *shock)
    cancelled |= act.what == "cancelled" && act.slurm_job == on_h20->slurm_job;
  EXPECT_TRUE(cancelled) << slurm::actions_text(*shock);
  ASSERT_TRUE(wait_for([&] {
    auto sj = slurm_job(on_h20->slurm_job);
    return sj && slurm::job_state_final(sj->state);
  })) << "the drained job still runs in Slurm";
  EXPECT_EQ(core_job(0)["state"], "queued");  // it can run nowhere else

  // New work goes elsewhere, never to the H20s.
  auto flexible =
      a.submit(job("lab-flex", "lab", "public", Json{{"h20", 1.0}, {"ascend-910b", 2.0}}));
  ASSERT_TRUE(flexible) << flexible.error().message;
  EXPECT_EQ(flexible->accelerator, "ascend-910b");
  ASSERT_GT(flexible->slurm_job, 0);
  auto h20_only = a.submit(job("lab-h20-2", "lab", "public", Json{{"h20", 1.0}}));
  ASSERT_FALSE(h20_only);
  EXPECT_NE(h20_only.error().message.find("h20-licence"), std::string::npos)
      << h20_only.error().message;
  EXPECT_TRUE(slurm_jobs_named("lab-h20-2").empty());
  auto jobs = client().jobs();
  ASSERT_TRUE(jobs);
  for (const auto& sj : *jobs) {
    if (slurm::job_state_final(sj.state) || sj.job_id == on_h20->slurm_job) continue;
    for (const auto& n : slurm_nodes_of(sj)) EXPECT_EQ(n.find("h20"), std::string::npos) << sj.name;
  }
}

TEST_F(SlurmIntegration, NodeSetDownInSlurmIsSeenAndItsJobRequeuedElsewhere) {
  auto a = agent();
  auto out = a.submit(job("lab-moving", "lab", "public", Json{{"h20", 1.0}}));
  ASSERT_TRUE(out) << out.error().message;
  ASSERT_EQ(out->nodes.size(), 1u);
  const std::string first = out->nodes.front();
  ASSERT_TRUE(wait_for([&] {
    auto sj = slurm_job(out->slurm_job);
    return sj && sj->state == "RUNNING";
  }));

  auto down =
      cluster_->scontrol({"update", "NodeName=" + first, "State=DOWN", "Reason=suanli-test"});
  ASSERT_EQ(down.code, 0) << down.err;
  auto actions = a.sync();
  ASSERT_TRUE(actions) << actions.error().message;
  bool seen = false, resubmitted = false;
  for (const auto& act : *actions) {
    seen |= act.what == "node-down" && act.node == first;
    resubmitted |= act.what == "submitted" && act.job.rfind("0 ", 0) == 0;
  }
  EXPECT_TRUE(seen) << slurm::actions_text(*actions);
  EXPECT_TRUE(resubmitted) << slurm::actions_text(*actions);

  const Json j = core_job(0);
  EXPECT_EQ(j["state"], "running");
  EXPECT_EQ(j["placements"], 2);
  EXPECT_EQ(j["restarts"], 1);
  const std::string second = j["allocation"]["groups"][0][0]["node"];
  EXPECT_NE(second, first);
  const std::string ext = j["external_id"];
  const std::int64_t new_id = std::stoll(ext.substr(ext.find(':') + 1));
  EXPECT_NE(new_id, out->slurm_job);
  std::optional<slurm::SlurmJob> sj;
  ASSERT_TRUE(wait_for([&] {
    sj = slurm_job(new_id);
    return sj && sj->state == "RUNNING";
  })) << (sj ? sj->state + " " + sj->reason : "gone");
  EXPECT_EQ(slurm_nodes_of(*sj), std::vector<std::string>{second});
  auto old = slurm_job(out->slurm_job);
  ASSERT_TRUE(old);
  EXPECT_TRUE(slurm::job_state_final(old->state)) << old->state;

  // Back in service: the core sees it up again.
  cluster_->scontrol({"update", "NodeName=" + first, "State=RESUME"});
  ASSERT_TRUE(cluster_->wait_node_state(first, {"idle"}, std::chrono::seconds(20)));
  auto again = a.sync();
  ASSERT_TRUE(again) << again.error().message;
  bool up = false;
  for (const auto& act : *again) up |= act.what == "node-up" && act.node == first;
  EXPECT_TRUE(up) << slurm::actions_text(*again);
}

TEST_F(SlurmIntegration, DrainedNodeTakesNoNewWork) {
  auto a = agent();
  ASSERT_EQ(
      cluster_->scontrol({"update", "NodeName=lab-h20-0", "State=DRAIN", "Reason=maintenance"})
          .code,
      0);
  auto first = a.submit(job("lab-a", "lab", "public", Json{{"h20", 1.0}}));
  ASSERT_TRUE(first) << first.error().message;
  EXPECT_EQ(first->nodes, std::vector<std::string>{"lab-h20-1"});
  auto second = a.submit(job("lab-b", "lab", "public", Json{{"h20", 1.0}}));
  ASSERT_TRUE(second) << second.error().message;
  EXPECT_EQ(second->state, "queued");  // the only other H20 is drained
  EXPECT_TRUE(slurm_jobs_named("lab-b").empty());
}

TEST_F(SlurmIntegration, CompletionsAndFailuresInSlurmReachTheCore) {
  auto a = agent();
  auto ok = a.submit(job("lab-ok", "lab", "public", Json{{"h20", 1.0}}, "true"));
  ASSERT_TRUE(ok) << ok.error().message;
  auto bad = a.submit(job("lab-bad", "lab", "public", Json{{"h20", 1.0}}, "exit 3"));
  ASSERT_TRUE(bad) << bad.error().message;
  ASSERT_TRUE(wait_for([&] {
    auto x = slurm_job(ok->slurm_job), y = slurm_job(bad->slurm_job);
    return x && y && slurm::job_state_final(x->state) && slurm::job_state_final(y->state);
  }));
  auto actions = a.sync();
  ASSERT_TRUE(actions) << actions.error().message;
  EXPECT_EQ(core_job(ok->job)["state"], "completed");
  const Json failed = core_job(bad->job);
  EXPECT_EQ(failed["state"], "failed");
  EXPECT_NE(failed["reason"].get<std::string>().find("FAILED"), std::string::npos)
      << failed["reason"];
}

TEST_F(SlurmIntegration, BadInputGivesClearErrorsAndRecordsNothingHalfway) {
  // A job asking for an accelerator (GRES type) the fleet does not have.
  {
    auto a = agent();
    const auto before = events();
    auto out = a.submit(job("lab-x", "lab", "public", Json{{"nosuch-chip", 1.0}}));
    ASSERT_FALSE(out);
    EXPECT_NE(out.error().message.find("nosuch-chip"), std::string::npos) << out.error().message;
    EXPECT_NE(out.error().message.find("h20"), std::string::npos) << "should list the types";
    EXPECT_EQ(events(), before) << "a refused request recorded something";
  }
  // Slurm not reachable: a slurm.conf naming a port where nothing listens.
  {
    std::string conf = read_file(cluster_->conf_path());
    const std::string key = fmt::format("SlurmctldPort={}", cluster_->slurmctld_port());
    const auto at = conf.find(key);
    ASSERT_NE(at, std::string::npos);
    conf.replace(at, key.size(), "SlurmctldPort=1");
    const auto dead = dir_.write("dead/slurm.conf", conf);
    std::filesystem::copy_file(cluster_->gres_conf_path(), dir_.path() / "dead" / "gres.conf");
    slurm::ClientOptions o;
    o.env = {{"SLURM_CONF", dead.string()}};
    o.timeout_s = 20;
    slurm::SlurmAgent a(*live_, slurm::SlurmClient(o), {});
    const auto before = events();
    auto out = a.submit(job("lab-y", "lab", "public", Json{{"h20", 1.0}}));
    ASSERT_FALSE(out);
    EXPECT_NE(out.error().message.find("not reachable"), std::string::npos) << out.error().message;
    EXPECT_EQ(events(), before) << "nothing may be recorded when Slurm is unreachable";
  }
  // sbatch refuses the job (a partition the cluster does not have): the
  // core records the failure with Slurm's message, Slurm has no job.
  {
    slurm::AgentOptions o;
    o.partition = "nosuch";
    auto a = agent(o);
    auto out = a.submit(job("lab-z", "lab", "public", Json{{"h20", 1.0}}));
    ASSERT_FALSE(out);
    EXPECT_NE(out.error().message.find("sbatch"), std::string::npos) << out.error().message;
    EXPECT_NE(out.error().message.find("artition"), std::string::npos) << out.error().message;
    EXPECT_TRUE(slurm_jobs_named("lab-z").empty());
    service::ApiRequest running;
    running.query["state"] = "running";
    EXPECT_TRUE(live_->jobs(running).body["jobs"].empty()) << "a job left placed in the core";
    service::ApiRequest failed;
    failed.query["state"] = "failed";
    const Json f = live_->jobs(failed).body["jobs"];
    ASSERT_EQ(f.size(), 1u);
    EXPECT_NE(f[0]["reason"].get<std::string>().find("not submitted to Slurm"), std::string::npos);
  }
}

TEST_F(SlurmIntegration, RestartedAgentAdoptsASubmissionItDidNotRecord) {
  // Simulates a crash between sbatch and the store write: the Slurm job
  // exists with suanli's comment, the core has the placement without it.
  auto a = agent();
  auto sync = a.sync();
  ASSERT_TRUE(sync) << sync.error().message;
  service::ApiRequest submit;
  submit.body = job("lab-crash", "lab", "public", Json{{"h20", 1.0}}).request.dump();
  const auto placed = live_->submit_job(submit);
  ASSERT_EQ(placed.status, 201) << placed.body.dump();
  const Json j = core_job(0);
  ASSERT_EQ(j["state"], "running");
  const std::string node = j["allocation"]["groups"][0][0]["node"];
  service::ApiRequest summary;
  const double epoch = live_->summary(summary).body["epoch"];
  const std::string comment =
      fmt::format("suanli:{}:0:1", static_cast<long long>(std::llround(epoch * 1000)));
  auto sb = cluster_->sbatch({"--parsable", "--nodelist=" + node, "--gres=gpu:h20:4",
                              "--comment=" + comment, "--job-name=suanli-0-lab-crash",
                              "--output=/dev/null", "--wrap", "sleep 300"});
  ASSERT_EQ(sb.code, 0) << sb.err;
  const std::int64_t id = std::stoll(sb.out);
  auto again = a.sync();
  ASSERT_TRUE(again) << again.error().message;
  EXPECT_EQ(core_job(0)["external_id"], fmt::format("slurm:{}", id));
  EXPECT_EQ(slurm_jobs_named("lab-crash").size(), 1u) << "submitted twice";
}

TEST_F(SlurmIntegration, CommandLineConfInitSubmitStatus) {
  const std::string db = "sqlite:" + (dir_.path() / "cli.db").string();
  const std::string conf = cluster_->conf_path().string();
  auto c = app::run({"slurm", "conf", kFleet.string(), "--json"});
  ASSERT_EQ(c.code, 0) << c.all();
  const Json generated = Json::parse(c.out);
  EXPECT_EQ(generated["nodes"].size(), fleet_->nodes().size());
  EXPECT_NE(generated["gres_conf"].get<std::string>().find("Type=ascend910b Count=4"),
            std::string::npos);

  auto init = app::run({"slurm", "init", kFleet.string(), "--db", db});
  ASSERT_EQ(init.code, 0) << init.all();
  EXPECT_NE(init.out.find("5 nodes"), std::string::npos) << init.out;

  const auto job_file =
      std::filesystem::path(SUANLI_SOURCE_DIR) / "examples" / "slurm" / "train-confidential.toml";
  auto sub = app::run({"slurm", "submit", job_file.string(), "--db", db, "--slurm-conf", conf,
                       "--output-dir", dir_.path().string(), "--json"});
  ASSERT_EQ(sub.code, 0) << sub.all();
  const Json out = Json::parse(sub.out);
  EXPECT_EQ(out["state"], "running");
  ASSERT_TRUE(out["slurm_job"].is_number_integer()) << out.dump();
  for (const auto& n : out["nodes"]) EXPECT_TRUE(domestic_node(n.get<std::string>())) << n;
  const std::int64_t id = out["slurm_job"];
  std::optional<slurm::SlurmJob> sj;
  ASSERT_TRUE(wait_for([&] {
    sj = slurm_job(id);
    return sj && sj->state == "COMPLETED";
  })) << (sj ? sj->state : "gone");
  // The job's own output, written on the node Slurm ran it on.
  const std::string log = read_file(dir_.path() / fmt::format("suanli-0-{}.out", id));
  EXPECT_NE(log.find("suanli job on"), std::string::npos) << log;

  auto sync = app::run({"slurm", "sync", "--db", db, "--slurm-conf", conf, "--json"});
  ASSERT_EQ(sync.code, 0) << sync.all();
  EXPECT_NE(sync.out.find("\"finished\""), std::string::npos) << sync.out;
  auto agent = app::run({"slurm", "agent", "--db", db, "--slurm-conf", conf, "--iterations", "2",
                         "--interval", "0.2", "--json"});
  ASSERT_EQ(agent.code, 0) << agent.all();
  std::istringstream rounds(agent.out);
  int lines = 0;
  for (std::string line; std::getline(rounds, line); ++lines)
    EXPECT_TRUE(Json::parse(line).contains("actions")) << line;
  EXPECT_EQ(lines, 2);
  auto status = app::run({"slurm", "status", "--db", db, "--json"});
  ASSERT_EQ(status.code, 0) << status.all();
  EXPECT_EQ(Json::parse(status.out)["jobs"][0]["state"], "completed");

  // A simulator scenario serves as a fleet: its workload is left out.
  auto sim = app::run(
      {"slurm", "init",
       (std::filesystem::path(SUANLI_SOURCE_DIR) / "examples" / "hybrid-cloud-2026.toml").string(),
       "--db", "sqlite:" + (dir_.path() / "sim.db").string()});
  ASSERT_EQ(sim.code, 0) << sim.all();
  EXPECT_NE(sim.err.find("[[generators]]"), std::string::npos) << sim.err;
  EXPECT_NE(sim.out.find("140 nodes"), std::string::npos) << sim.out;
  // A slurm.conf that does not exist: said at once, nothing recorded.
  auto noconf =
      app::run({"slurm", "sync", "--db", db, "--slurm-conf", (dir_.path() / "none.conf").string()});
  EXPECT_EQ(noconf.code, app::kExitBadInput) << noconf.all();
  EXPECT_NE(noconf.err.find("no slurm.conf at"), std::string::npos) << noconf.err;

  auto missing = app::run({"slurm", "submit", "no-such-job.toml", "--db", db});
  EXPECT_NE(missing.code, 0);
  EXPECT_NE(missing.err.find("no-such-job.toml"), std::string::npos) << missing.err;
}

// Eight simulations of one scenario as one Slurm job array give the same
// JSON, byte for byte, as the same sweep run locally.
TEST_F(SlurmIntegration, SweepAsJobArrayMatchesTheLocalSweep) {
  const std::string scenario =
      (std::filesystem::path(SUANLI_SOURCE_DIR) / "tests" / "sweep" / "small-hybrid.toml").string();
  const std::vector<std::string> grid = {
      "sweep",   scenario,
      "--sweep", "scheduler.placement=first-fit,best-fit,hetero,dotprod",
      "--sweep", "rules.domestic-share.min_share=0.3,0.7",
      "--json",  "--quiet"};
  auto local = app::run(grid);
  ASSERT_EQ(local.code, 0) << local.all();
  std::vector<std::string> on_slurm = grid;
  for (const std::string& a :
       {std::string("--slurm"), std::string("--slurm-conf"), cluster_->conf_path().string(),
        std::string("--workdir"), (dir_.path() / "sweep").string(), std::string("--task-binary"),
        std::string(SUANLI_BINARY), std::string("--poll-interval"), std::string("0.2"),
        std::string("--slurm-timeout"), std::string("300")})
    on_slurm.push_back(a);
  auto remote = app::run(on_slurm);
  ASSERT_EQ(remote.code, 0) << remote.all();
  const Json l = Json::parse(local.out);
  ASSERT_EQ(l["points"].size(), 8u);
  for (const Json& p : l["points"]) EXPECT_EQ(p["status"], "ok") << p.dump();
  EXPECT_EQ(remote.out, local.out);
  // Really Slurm's work: one array, eight tasks, each with its log.
  auto jobs = client().jobs();
  ASSERT_TRUE(jobs);
  std::set<std::int64_t> tasks;
  for (const auto& j : *jobs)
    if (j.array_task_id && j.state == "COMPLETED") tasks.insert(*j.array_task_id);
  EXPECT_EQ(tasks.size(), 8u);
  for (int i = 0; i < 8; ++i)
    EXPECT_TRUE(std::filesystem::exists(dir_.path() / "sweep" / fmt::format("task-{}.log", i)))
        << i;
}

}  // namespace
}  // namespace suanli

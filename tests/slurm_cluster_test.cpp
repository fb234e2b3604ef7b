// The local Slurm test cluster (tests/slurm_cluster.h): a real slurmctld and
// four slurmd on loopback, heterogeneous typed GPUs and features, and what
// Slurm 22.05 then does with pinned, constrained and impossible jobs and with
// nodes set down or drained. docs/slurm.md records the same findings.
#include <gtest/gtest.h>

#include <chrono>
#include <ctime>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "read_file.h"
#include "slurm_cluster.h"

namespace {

using Cluster = suanli::testing::SlurmCluster;
using nlohmann::json;

const std::vector<std::string> kNodes = {"h200-0", "a910c-0", "h20-0", "cpu-0"};

// Written by hand (the generator's --single-host output has the same shape).
std::string nodes_conf(int base) {
  const auto at = [&](int i) { return " NodeHostname=127.0.0.1 Port=" + std::to_string(base + i); };
  return "GresTypes=gpu\n"
         "NodeName=h200-0" +
         at(0) +
         " CPUs=8 RealMemory=64000 Gres=gpu:h200:8 Feature=nvidia,h200\n"
         "NodeName=a910c-0" +
         at(1) +
         " CPUs=8 RealMemory=64000 Gres=gpu:ascend910c:8 Feature=domestic,ascend910c\n"
         "NodeName=h20-0" +
         at(2) +
         " CPUs=4 RealMemory=32000 Gres=gpu:h20:4 Feature=nvidia,h20\n"
         "NodeName=cpu-0" +
         at(3) +
         " CPUs=4 RealMemory=16000 Feature=cpu\n"
         "PartitionName=all Nodes=ALL Default=YES MaxTime=INFINITE State=UP\n"
         "PartitionName=domestic Nodes=a910c-0 MaxTime=INFINITE State=UP\n";
}

const char* kGres =
    "NodeName=h200-0 Name=gpu Type=h200 Count=8\n"
    "NodeName=a910c-0 Name=gpu Type=ascend910c Count=8\n"
    "NodeName=h20-0 Name=gpu Type=h20 Count=4\n";

class SlurmCluster : public ::testing::Test {
 protected:
  void SetUp() override {
    Cluster::Spec spec;
    spec.nodes_conf = nodes_conf;
    spec.gres_conf = kGres;
    spec.node_names = kNodes;
    auto started = Cluster::start(spec);
    if (started.skip) GTEST_SKIP() << started.message;
    ASSERT_TRUE(started.cluster) << started.message;
    cluster_ = std::move(started.cluster);
  }

  // `sinfo --json` nodes by name (scontrol has no --json in 22.05).
  std::map<std::string, json> nodes() const {
    const auto r = cluster_->run({"sinfo", "--json"});
    EXPECT_EQ(r.code, 0) << r.err;
    std::map<std::string, json> out;
    const json doc = json::parse(r.out, nullptr, false);
    if (doc.is_discarded() || !doc.contains("nodes")) {
      ADD_FAILURE() << "sinfo --json: " << r.out << r.err;
      return out;
    }
    for (const auto& n : doc["nodes"]) out[n.at("name").get<std::string>()] = n;
    return out;
  }

  // The job's record from `squeue --json` (which lists finished jobs too,
  // for MinJobAge seconds); null when absent.
  json job(long id) const {
    const auto r = cluster_->run({"squeue", "--json"});
    const json doc = json::parse(r.out, nullptr, false);
    if (r.code != 0 || doc.is_discarded()) return nullptr;
    for (const auto& j : doc.value("jobs", json::array()))
      if (j.value("job_id", 0L) == id) return j;
    return nullptr;
  }

  // Waits until the job's job_state is one of `states`; the last record.
  json wait_job(long id, const std::vector<std::string>& states,
                std::chrono::milliseconds timeout = std::chrono::seconds(20)) const {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    json j;
    for (;;) {
      j = job(id);
      if (j.is_object())
        for (const auto& s : states)
          if (j.value("job_state", "") == s) return j;
      if (std::chrono::steady_clock::now() > deadline) return j;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  }

  // sbatch --parsable: the job id, or -1 with the error recorded.
  long submit(const std::vector<std::string>& args) const {
    std::vector<std::string> all{"--parsable"};
    all.insert(all.end(), args.begin(), args.end());
    const auto r = cluster_->sbatch(all);
    if (r.code != 0) {
      ADD_FAILURE() << "sbatch failed: " << r.err;
      return -1;
    }
    return std::stol(r.out);
  }

  std::string read(const std::string& rel) const {
    return ::suanli::testing::read_file(cluster_->dir() / rel);
  }

  std::unique_ptr<Cluster> cluster_;
};

TEST_F(SlurmCluster, NodesRegisterIdleWithTypedGpusAndFeatures) {
  const auto all = nodes();
  ASSERT_EQ(all.size(), kNodes.size());
  struct Want {
    std::string gres, features;
    int cpus;
  };
  const std::map<std::string, Want> want = {
      {"h200-0", {"gpu:h200:8", "nvidia,h200", 8}},
      {"a910c-0", {"gpu:ascend910c:8", "domestic,ascend910c", 8}},
      {"h20-0", {"gpu:h20:4", "nvidia,h20", 4}},
      {"cpu-0", {"", "cpu", 4}},
  };
  for (std::size_t i = 0; i < kNodes.size(); ++i) {
    const auto& name = kNodes[i];
    ASSERT_TRUE(all.count(name)) << name;
    const json& n = all.at(name);
    SCOPED_TRACE(name + ": " + n.dump());
    EXPECT_EQ(n.value("gres", "?"), want.at(name).gres);
    EXPECT_EQ(n.value("features", "?"), want.at(name).features);
    EXPECT_EQ(n.value("active_features", "?"), want.at(name).features);
    EXPECT_EQ(n.value("cpus", -1), want.at(name).cpus);
    EXPECT_EQ(n.value("state", "?"), "idle");
    EXPECT_TRUE(n.at("state_flags").empty());
    EXPECT_EQ(n.value("port", -1), cluster_->base_port() + static_cast<int>(i));
  }
  EXPECT_EQ(all.at("a910c-0").at("partitions"), json({"all", "domestic"}));
  EXPECT_EQ(all.at("h200-0").at("partitions"), json({"all"}));
}

TEST_F(SlurmCluster, PinnedJobGetsItsGpusOnThatNode) {
  const long id = submit({"--gres=gpu:ascend910c:2", "--nodelist=a910c-0", "-o", "job-%j.out",
                          "--wrap", "echo node=$SLURMD_NODENAME gpus=$CUDA_VISIBLE_DEVICES"});
  ASSERT_GT(id, 0);
  const json j = wait_job(id, {"COMPLETED", "FAILED", "CANCELLED", "NODE_FAIL", "TIMEOUT"});
  ASSERT_TRUE(j.is_object()) << "job " << id << " not in squeue --json\n" << cluster_->logs_tail();
  EXPECT_EQ(j.value("job_state", ""), "COMPLETED") << j.dump();
  EXPECT_EQ(j.value("nodes", ""), "a910c-0");
  EXPECT_EQ(j.value("exit_code", -1), 0);
  EXPECT_EQ(j.value("tres_per_node", ""), "gres:gpu:ascend910c:2");
  // Slurm handed out two of the node's (fake) devices, indices 0 and 1.
  EXPECT_EQ(read("job-" + std::to_string(id) + ".out"), "node=a910c-0 gpus=0,1\n");
  // Without slurmdbd, jobcomp/filetxt is the record of finished jobs.
  const std::string comp = read("log/jobcomp.txt");
  EXPECT_NE(comp.find("JobId=" + std::to_string(id) + " "), std::string::npos) << comp;
  EXPECT_NE(comp.find("JobState=COMPLETED"), std::string::npos) << comp;
  EXPECT_NE(comp.find("NodeList=a910c-0"), std::string::npos) << comp;
}

TEST_F(SlurmCluster, RunningJobShowsItsGpuIndicesAndFeatureConstraintPlacesIt) {
  const long id =
      submit({"--constraint=h20", "--gres=gpu:3", "-o", "/dev/null", "--wrap", "sleep 30"});
  ASSERT_GT(id, 0);
  const json j = wait_job(id, {"RUNNING"});
  ASSERT_EQ(j.value("job_state", ""), "RUNNING") << j.dump();
  EXPECT_EQ(j.value("nodes", ""), "h20-0");
  EXPECT_EQ(j.at("gres_detail"), json({"gpu:h20:3(IDX:0-2)"}));
  const auto all = nodes();
  EXPECT_EQ(all.at("h20-0").value("gres_used", ""), "gpu:h20:3(IDX:0-2)");
  EXPECT_EQ(all.at("h20-0").value("state", ""), "mixed");
  // One GPU left there: a second job wanting two of them waits.
  const long second = submit({"--gres=gpu:h20:2", "-o", "/dev/null", "--wrap", "true"});
  ASSERT_GT(second, 0);
  // Its reason is "None" until the scheduler has looked at it.
  json waiting;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  do {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    waiting = job(second);
  } while (waiting.value("state_reason", "") == "None" &&
           std::chrono::steady_clock::now() < deadline);
  EXPECT_EQ(waiting.value("job_state", ""), "PENDING") << waiting.dump();
  EXPECT_EQ(waiting.value("state_reason", ""), "Resources") << waiting.dump();
}

TEST_F(SlurmCluster, ImpossibleGpuRequestsAreRejectedAtSubmission) {
  for (const std::vector<std::string>& args : {
           std::vector<std::string>{"--gres=gpu:nosuchtype:1"},
           {"--gres=gpu:h200:1", "--nodelist=a910c-0"},
           {"--gres=gpu:h20:5"},
           {"--partition=domestic", "--gres=gpu:h200:1"},
       }) {
    std::vector<std::string> all = args;
    all.insert(all.end(), {"--wrap", "true"});
    const auto r = cluster_->sbatch(all);
    SCOPED_TRACE(args.front());
    EXPECT_NE(r.code, 0) << r.out;
    EXPECT_NE(r.err.find("Requested node configuration is not available"), std::string::npos)
        << r.err;
  }
  // The same shapes that fit are accepted (--test-only: nothing runs).
  const auto fits = cluster_->sbatch({"--test-only", "--gres=gpu:h20:4", "--wrap", "true"});
  EXPECT_EQ(fits.code, 0) << fits.err;
  EXPECT_NE(fits.err.find("on nodes h20-0"), std::string::npos) << fits.err;
}

TEST_F(SlurmCluster, DownNodeRequeuesItsJobDrainLetsOneFinishResumeRestores) {
  const long on_down =
      submit({"--nodelist=h200-0", "--gres=gpu:h200:1", "-o", "/dev/null", "--wrap", "sleep 30"});
  const long no_requeue =
      submit({"--nodelist=h20-0", "--no-requeue", "-o", "/dev/null", "--wrap", "sleep 30"});
  const long on_drain = submit({"--nodelist=cpu-0", "-o", "/dev/null", "--wrap", "sleep 2"});
  ASSERT_GT(on_down, 0);
  ASSERT_GT(no_requeue, 0);
  ASSERT_GT(on_drain, 0);
  for (const long id : {on_down, no_requeue, on_drain})
    ASSERT_EQ(wait_job(id, {"RUNNING"}).value("job_state", ""), "RUNNING") << id;

  for (const auto& [node, state] : std::vector<std::pair<std::string, std::string>>{
           {"h200-0", "down"}, {"h20-0", "down"}, {"cpu-0", "drain"}}) {
    const auto r = cluster_->scontrol(
        {"update", "nodename=" + node, "state=" + state, "reason=test-" + state});
    ASSERT_EQ(r.code, 0) << r.err;
  }
  // Down: the job is killed and requeued (pending, BeginTime: eligible again
  // cred_expire+1 s later), or ends NODE_FAIL with --no-requeue.
  const json requeued = wait_job(on_down, {"PENDING"}, std::chrono::seconds(5));
  EXPECT_EQ(requeued.value("job_state", ""), "PENDING") << requeued.dump();
  EXPECT_EQ(requeued.value("restart_cnt", -1), 1);
  // Eligible again cred_expire (10) + 1 s after the requeue; the reason reads
  // "None" at first and "BeginTime" once the scheduler has looked.
  const long now = static_cast<long>(std::time(nullptr));
  EXPECT_GE(requeued.value("eligible_time", 0L), now + 5) << requeued.dump();
  EXPECT_EQ(requeued.value("nodes", "?"), "");
  const json failed = wait_job(no_requeue, {"NODE_FAIL"}, std::chrono::seconds(5));
  EXPECT_EQ(failed.value("job_state", ""), "NODE_FAIL") << failed.dump();
  EXPECT_EQ(failed.value("state_reason", ""), "NodeDown");
  // Drain: the running job goes on; the node is draining, then drained.
  EXPECT_EQ(job(on_drain).value("job_state", ""), "RUNNING");
  auto all = nodes();
  EXPECT_EQ(all.at("h200-0").value("state", ""), "down");
  EXPECT_EQ(all.at("h200-0").value("reason", ""), "test-down");
  EXPECT_EQ(all.at("cpu-0").value("state", ""), "mixed");
  EXPECT_EQ(all.at("cpu-0").at("state_flags"), json({"DRAIN"}));
  EXPECT_EQ(wait_job(on_drain, {"COMPLETED"}).value("job_state", ""), "COMPLETED");
  EXPECT_TRUE(cluster_->wait_node_state("cpu-0", {"drained"}, std::chrono::seconds(5)))
      << cluster_->node_states()["cpu-0"];
  // A down node stays down (ReturnToService=1) until resumed.
  EXPECT_EQ(cluster_->node_states()["h200-0"], "down");

  const auto r = cluster_->scontrol({"update", "nodename=h200-0,h20-0,cpu-0", "state=resume"});
  ASSERT_EQ(r.code, 0) << r.err;
  for (const char* node : {"h200-0", "h20-0", "cpu-0"})
    EXPECT_TRUE(
        cluster_->wait_node_state(node, {"idle", "mixed", "allocated"}, std::chrono::seconds(10)))
        << node << ": " << cluster_->node_states()[node];
}

TEST_F(SlurmCluster, JobArrayTasksAllComplete) {
  const long id = submit({"--array=0-5", "-o", "/dev/null", "--wrap", "true"});
  ASSERT_GT(id, 0);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  std::map<int, std::string> tasks;
  for (;;) {
    tasks.clear();
    const auto r = cluster_->run({"squeue", "--json"});
    const json doc = json::parse(r.out, nullptr, false);
    ASSERT_FALSE(doc.is_discarded()) << r.out << r.err;
    for (const auto& j : doc.at("jobs"))
      if (j.value("array_job_id", 0L) == id && j.at("array_task_id").is_number())
        tasks[j.at("array_task_id").get<int>()] = j.value("job_state", "");
    bool done = tasks.size() == 6;
    for (const auto& [t, s] : tasks) done = done && s == "COMPLETED";
    if (done || std::chrono::steady_clock::now() > deadline) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  ASSERT_EQ(tasks.size(), 6u);
  for (const auto& [t, s] : tasks) EXPECT_EQ(s, "COMPLETED") << "task " << t;
}

}  // namespace

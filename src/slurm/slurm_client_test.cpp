// The Slurm client against stand-in tools: shell scripts named sbatch,
// squeue, sinfo, scontrol and sacct in a temp dir (ClientOptions::bin_dir)
// that print what Slurm 22.05 printed on a real cluster (docs/slurm.md) or
// fail the way it fails. The real cluster is in tests/slurm_integration_test.cpp.
#include "slurm/slurm_client.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>

#include "slurm/command.h"
#include "temp_dir.h"

namespace suanli::slurm {
namespace {

using suanli::testing::TempDir;

class SlurmClientTest : public ::testing::Test {
 protected:
  void tool(const std::string& name, const std::string& body) {
    const auto p = dir_.write(name, "#!/bin/sh\n" + body + "\n");
    ::chmod(p.c_str(), 0755);
  }
  SlurmClient client(double timeout_s = 10) {
    ClientOptions o;
    o.bin_dir = dir_.path().string();
    o.timeout_s = timeout_s;
    o.env = {{"SUANLI_TEST_VAR", "seen"}};
    return SlurmClient(o);
  }
  TempDir dir_;
};

TEST(CommandTest, RunsWithStdinEnvAndExitCode) {
  CommandOptions o;
  o.stdin_text = "hello\n";
  o.env = {{"SUANLI_X", "42"}};
  auto r = run_command({"sh", "-c", "cat; echo \"x=$SUANLI_X\"; echo oops >&2; exit 3"}, o);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->out, "hello\nx=42\n");
  EXPECT_EQ(r->err, "oops\n");
  EXPECT_EQ(r->exit_code, 3);
  EXPECT_FALSE(r->timed_out);
}

TEST(CommandTest, MissingProgramAndTimeout) {
  auto missing = run_command({"suanli-no-such-program"});
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, ErrorCode::kNotFound);
  CommandOptions o;
  o.timeout_s = 0.3;
  auto slow = run_command({"sleep", "5"}, o);
  ASSERT_TRUE(slow);
  EXPECT_TRUE(slow->timed_out);
  // A program that exits without reading a large stdin: no SIGPIPE for us.
  CommandOptions big;
  big.stdin_text = std::string(1 << 20, 'x');
  auto r = run_command({"true"}, big);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->exit_code, 0);
  EXPECT_EQ(command_line({"sbatch", "--wrap", "echo a b"}), "sbatch --wrap 'echo a b'");
}

TEST_F(SlurmClientTest, SubmitPassesPinningAndScript) {
  tool("sbatch", "echo \"$@\" > " + (dir_.path() / "args").string() + "; cat > " +
                     (dir_.path() / "script").string() + "; echo \"$SUANLI_TEST_VAR\" > " +
                     (dir_.path() / "env").string() + "; echo '1234;cluster'");
  SubmitRequest q;
  q.job_name = "suanli-0-a";
  q.script = "#!/bin/sh\nsleep 1\n";
  q.nodelist = "n1,n2";
  q.nodes = 2;
  q.gres = "gpu:h20:4";
  q.constraint = "acc_h20";
  q.comment = "suanli:1:0:1";
  auto id = client().submit(q);
  ASSERT_TRUE(id) << id.error().message;
  EXPECT_EQ(*id, 1234);
  std::ifstream args_file(dir_.path() / "args");
  std::string args;
  std::getline(args_file, args);
  EXPECT_EQ(args,
            "--parsable --job-name=suanli-0-a --nodelist=n1,n2 --nodes=2 --gres=gpu:h20:4 "
            "--constraint=acc_h20 --comment=suanli:1:0:1 --no-requeue");
  std::ifstream script(dir_.path() / "script");
  std::string first;
  std::getline(script, first);
  EXPECT_EQ(first, "#!/bin/sh");
  std::ifstream env(dir_.path() / "env");
  std::string seen;
  std::getline(env, seen);
  EXPECT_EQ(seen, "seen");
  q.script = "sleep 1";
  EXPECT_FALSE(client().submit(q)) << "a script without #! is refused before sbatch";
}

TEST_F(SlurmClientTest, SbatchRefusalCarriesSlurmsWords) {
  tool("sbatch",
       "echo 'sbatch: error: Batch job submission failed: Requested node configuration is not "
       "available' >&2; exit 1");
  SubmitRequest q;
  q.script = "#!/bin/sh\ntrue\n";
  auto id = client().submit(q);
  ASSERT_FALSE(id);
  EXPECT_NE(id.error().message.find("Requested node configuration is not available"),
            std::string::npos)
      << id.error().message;
  EXPECT_EQ(id.error().message.find('\n'), std::string::npos);
}

TEST_F(SlurmClientTest, UnreachableController) {
  tool("scontrol", "echo 'Slurmctld(primary) at localhost is DOWN'; exit 1");
  auto down = client().ping();
  ASSERT_FALSE(down);
  EXPECT_NE(down.error().message.find("not reachable"), std::string::npos);
  tool("scontrol", "sleep 5");
  auto hung = client(0.3).ping();
  ASSERT_FALSE(hung);
  EXPECT_NE(hung.error().message.find("did not answer"), std::string::npos);
  ClientOptions none;
  none.bin_dir = (dir_.path() / "nowhere").string();
  auto missing = SlurmClient(none).ping();
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, ErrorCode::kNotFound);
}

// squeue --json and sinfo --json as Slurm 22.05 prints them (trimmed).
TEST_F(SlurmClientTest, ParsesSqueueAndSinfoJson) {
  dir_.write("squeue.json", R"({"meta": {}, "errors": [], "jobs": [
 {"job_id": 7, "job_state": "RUNNING", "nodes": "a910c-[0-1]", "name": "suanli-0-x",
  "state_reason": "None", "exit_code": 0, "comment": "suanli:1:0:1",
  "array_job_id": 0, "array_task_id": null},
 {"job_id": 9, "job_state": "COMPLETED", "nodes": "h20-0", "name": "wrap",
  "state_reason": "None", "exit_code": 0, "comment": "", "array_job_id": 8, "array_task_id": 0},
 {"job_id": 8, "job_state": "FAILED", "nodes": "h20-0", "name": "wrap",
  "state_reason": "NonZeroExitCode", "exit_code": 768, "array_job_id": 8, "array_task_id": 1}]})");
  tool("squeue", "cat " + (dir_.path() / "squeue.json").string());
  auto all = client().jobs();
  ASSERT_TRUE(all) << all.error().message;
  ASSERT_EQ(all->size(), 3u);
  EXPECT_EQ((*all)[0].state, "RUNNING");
  EXPECT_EQ((*all)[0].nodes, "a910c-[0-1]");
  EXPECT_EQ((*all)[0].comment, "suanli:1:0:1");
  EXPECT_FALSE((*all)[0].array_task_id);
  EXPECT_EQ((*all)[1].array_job_id, 8);
  EXPECT_EQ((*all)[1].array_task_id, 0);
  EXPECT_EQ((*all)[2].exit_code, 3) << "the raw wait status 768 is exit code 3";
  // Asking for the array's ID gives its tasks, whatever their job IDs.
  auto array = client().jobs({8});
  ASSERT_TRUE(array);
  EXPECT_EQ(array->size(), 2u);
  EXPECT_TRUE(job_state_final("NODE_FAIL"));
  EXPECT_FALSE(job_state_final("PENDING"));

  dir_.write("sinfo.json", R"({"meta": {}, "errors": [], "nodes": [
 {"name": "a910c-0", "state": "mixed", "state_flags": [], "reason": "", "gres": "gpu:ascend910c:8",
  "features": "domestic,acc_ascend910c"},
 {"name": "cpu-0", "state": "mixed", "state_flags": ["DRAIN"], "reason": "test-drain", "gres": "",
  "features": "cpu"},
 {"name": "h200-0", "state": "down", "state_flags": [], "reason": "test-down", "gres": "gpu:h200:8",
  "features": ""},
 {"name": "h20-0", "state": ["IDLE", "NOT_RESPONDING"], "gres": "gpu:h20:4", "features": []}]})");
  tool("sinfo", "cat " + (dir_.path() / "sinfo.json").string());
  auto nodes = client().nodes();
  ASSERT_TRUE(nodes) << nodes.error().message;
  ASSERT_EQ(nodes->size(), 4u);
  EXPECT_EQ((*nodes)[0].state, "MIXED");
  EXPECT_FALSE((*nodes)[0].down());
  EXPECT_FALSE((*nodes)[0].drained());
  EXPECT_EQ((*nodes)[0].features, (std::vector<std::string>{"domestic", "acc_ascend910c"}));
  EXPECT_TRUE((*nodes)[1].drained());
  EXPECT_FALSE((*nodes)[1].down());
  EXPECT_TRUE((*nodes)[2].down());
  EXPECT_EQ((*nodes)[2].reason, "test-down");
  EXPECT_FALSE((*nodes)[3].down()) << "not responding is not yet down";
  EXPECT_TRUE((*nodes)[3].drained()) << "but takes no new work (the later versions' array form)";

  tool("sinfo", "echo '{\"errors\": [{\"error\": \"Unable to contact slurm controller\"}]}'");
  auto err = client().nodes();
  ASSERT_FALSE(err);
  EXPECT_NE(err.error().message.find("Unable to contact"), std::string::npos);
  tool("squeue", "echo 'squeue: unrecognized option --json'");
  auto text = client().jobs();
  ASSERT_FALSE(text);
  EXPECT_NE(text.error().message.find("--json"), std::string::npos);
}

TEST_F(SlurmClientTest, AccountingIsOptional) {
  tool("sacct", "echo 'Slurm accounting storage is disabled' >&2; exit 1");
  auto none = client().accounting_job(5);
  ASSERT_TRUE(none);
  EXPECT_FALSE(none->has_value());
  tool("sacct",
       "echo '{\"jobs\": [{\"job_id\": 5, \"state\": {\"current\": \"COMPLETED\"}, "
       "\"exit_code\": {\"status\": \"SUCCESS\", \"return_code\": 0}}]}'");
  auto some = client().accounting_job(5);
  ASSERT_TRUE(some);
  ASSERT_TRUE(some->has_value());
  EXPECT_EQ((*some)->state, "COMPLETED");
  EXPECT_EQ((*some)->exit_code, 0);
}

}  // namespace
}  // namespace suanli::slurm

// JOB.toml for `suanli slurm submit`: the request it becomes and the
// errors (file:line, the key) for what is wrong. The agent itself runs
// against a real Slurm in tests/slurm_integration_test.cpp.
#include "slurm/agent.h"

#include <gtest/gtest.h>

#include "temp_dir.h"

namespace suanli::slurm {
namespace {

using suanli::testing::TempDir;

TEST(JobFileTest, CommandBecomesAScriptAndFieldsTheRequest) {
  auto j = parse_job_file(R"(
name = "ft"
tenant = "gov"
kind = "fine-tune"
sensitivity = "confidential"
devices = 8
tp = 4
priority = 3
[durations_hours]
h20 = 2
ascend-910b = 2.5
command = "srun python train.py"
)",
                          "job.toml");
  // `command` after a table belongs to the table: TOML, not us.
  ASSERT_FALSE(j);
  EXPECT_NE(j.error().message.find("job.toml"), std::string::npos) << j.error().message;

  auto ok = parse_job_file(R"(
name = "ft"
tenant = "gov"
kind = "fine-tune"
sensitivity = "confidential"
devices = 8
tp = 4
priority = 3
command = "srun python train.py"
[durations_hours]
h20 = 2
ascend-910b = 2.5
)",
                           "job.toml");
  ASSERT_TRUE(ok) << ok.error().message;
  const auto& q = ok->request;
  EXPECT_EQ(q["name"], "ft");
  EXPECT_EQ(q["devices"], 8);
  EXPECT_EQ(q["tp"], 4);
  EXPECT_EQ(q["priority"], 3);
  EXPECT_EQ(q["durations_hours"]["ascend-910b"], 2.5);
  EXPECT_EQ(q["script"], "#!/bin/sh\n# suanli job ft\nsrun python train.py\n");
}

TEST(JobFileTest, ScriptFileIsReadRelativeToTheJobFile) {
  TempDir dir;
  dir.write("jobs/train.sh", "#!/bin/bash\necho train\n");
  const auto job = dir.write("jobs/job.toml",
                             "name = \"a\"\ntenant = \"lab\"\nduration_hours = 1\n"
                             "reference = \"h20\"\nscript = \"train.sh\"\n");
  auto ok = load_job_file(job);
  ASSERT_TRUE(ok) << ok.error().message;
  EXPECT_EQ(ok->request["script"], "#!/bin/bash\necho train\n");
  EXPECT_EQ(ok->request["reference"], "h20");
}

TEST(JobFileTest, MistakesNameTheFileLineAndKey) {
  struct Case {
    const char* text;
    const char* expect;
  } cases[] = {
      {"name = \"a\"\ntenant = \"lab\"\ncommand = \"x\"\ngpus = 4\n", "gpus"},
      {"name = \"a\"\ntenant = \"lab\"\n", "exactly one of script"},
      {"name = \"a\"\ntenant = \"lab\"\ncommand = \"x\"\nscript = \"y.sh\"\n", "exactly one"},
      {"name = \"a\"\ncommand = \"x\"\n", "tenant"},
      {"name = \"a\"\ntenant = \"lab\"\ncommand = \"x\"\ndevices = \"8\"\n", "devices"},
      {"name = \"a\"\ntenant = \"lab\"\nscript = \"missing.sh\"\n", "cannot read"},
      {"name = \"a\"\ntenant = \"lab\"\ncommand = \"x\"\n[durations_hours]\nh20 = \"1\"\n",
       "durations_hours"},
      {"name = \"a\"\ntenant = \"lab\"\ncommand = \"x\"\ndevices = [\n", "job.toml:"},
  };
  for (const Case& c : cases) {
    auto r = parse_job_file(c.text, "job.toml");
    ASSERT_FALSE(r) << c.text;
    EXPECT_NE(r.error().message.find(c.expect), std::string::npos) << r.error().message;
    EXPECT_NE(r.error().message.find("job.toml"), std::string::npos) << r.error().message;
  }
  TempDir dir;
  const auto p = dir.write("j.toml", "name = \"a\"\ntenant = \"lab\"\nscript = \"s.sh\"\n");
  dir.write("s.sh", "echo no shebang\n");
  auto r = load_job_file(p);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("#!"), std::string::npos);
  EXPECT_FALSE(load_job_file(dir.path() / "none.toml"));
}

}  // namespace
}  // namespace suanli::slurm

// openb trace readers: both pod layouts, and every bad row named by
// file:line and column (or skipped and counted).
#include "sched/openb_trace.h"

#include <gtest/gtest.h>

#include <string>

#include "contains.h"
#include "temp_dir.h"

namespace suanli {
namespace {

constexpr const char* kNodeHeader = "sn,cpu_milli,memory_mib,gpu,model\n";
constexpr const char* kPodHeader =
    "name,cpu_milli,memory_mib,num_gpu,gpu_milli,gpu_spec,qos,pod_phase,creation_time,"
    "deletion_time,scheduled_time\n";
constexpr const char* kShortPodHeader = "name,cpu_milli,memory_mib,num_gpu,gpu_milli\n";

const std::vector<std::string> kModels{"G2", "T4", "V100M16", "V100M32"};

std::string pod_error(const testing::TempDir& dir, const std::string& rows,
                      const char* header = kPodHeader) {
  const auto file = dir.write("pods.csv", std::string(header) + rows);
  auto r = read_openb_pods(file, kModels);
  EXPECT_FALSE(r.has_value());
  return r ? std::string() : r.error().message;
}

using ::suanli::testing::contains;

TEST(OpenbTraceTest, ReadsNodes) {
  testing::TempDir dir;
  const auto file = dir.write("nodes.csv", std::string(kNodeHeader) +
                                               "n0,32000,262144,0,\n"
                                               "n1,96000,786432,8,G2\n"
                                               "n2,64000,262144,2,nan\r\n");
  auto r = read_openb_nodes(file);
  ASSERT_FALSE(r.has_value());  // n2 has GPUs but no model
  EXPECT_EQ(r.error().message,
            file.string() + ":4: model: expected a GPU model for a node with GPUs, got ''");

  const auto good = dir.write("good.csv", std::string(kNodeHeader) +
                                              "n0,32000,262144,0,nan\n"
                                              "n1,96000,786432,8,G2\r\n");
  auto ok = read_openb_nodes(good);
  ASSERT_TRUE(ok.has_value()) << ok.error().message;
  ASSERT_EQ(ok->nodes.size(), 2u);
  EXPECT_EQ(ok->nodes[0].gpu_model, "");
  EXPECT_EQ(ok->nodes[1].gpu_count, 8);
  EXPECT_EQ(ok->nodes[1].gpu_model, "G2");
  EXPECT_EQ(ok->nodes[1].memory_mib, 786432);
  EXPECT_EQ(gpu_models_of(ok->nodes), std::vector<std::string>{"G2"});
}

TEST(OpenbTraceTest, NodeErrorsNameFileLineAndColumn) {
  testing::TempDir dir;
  auto check = [&](const std::string& row, const std::string& expected) {
    const auto file =
        dir.write("nodes.csv", std::string(kNodeHeader) + "ok,1000,1024,1,T4\n" + row);
    auto r = read_openb_nodes(file);
    ASSERT_FALSE(r.has_value()) << row;
    EXPECT_EQ(r.error().message, file.string() + ":3: " + expected) << row;
    EXPECT_EQ(r.error().code, ErrorCode::kParse);
  };
  check("n1,1000,1024,1\n", "expected 5 columns (sn,cpu_milli,memory_mib,gpu,model), got 4");
  check("n1,-5,1024,1,T4\n", "cpu_milli: expected a non-negative integer, got -5");
  check("n1,1000,lots,1,T4\n", "memory_mib: expected a non-negative integer, got 'lots'");
  check("n1,1000,1024,9,T4\n", "gpu: expected 0 to 8 GPUs, got 9");
  check("ok,1000,1024,1,T4\n", "sn: duplicate node name 'ok'");
}

TEST(OpenbTraceTest, WrongHeaderIsAnError) {
  testing::TempDir dir;
  const auto file = dir.write("nodes.csv", "name,cpu,mem\nn0,1,2\n");
  auto r = read_openb_nodes(file);
  ASSERT_FALSE(r.has_value());
  EXPECT_TRUE(contains(r.error().message, file.string() + ":1: expected the header"))
      << r.error().message;
  auto missing = read_openb_nodes(dir.path() / "absent.csv");
  ASSERT_FALSE(missing.has_value());
  EXPECT_EQ(missing.error().code, ErrorCode::kIo);
}

TEST(OpenbTraceTest, ReadsElevenAndFiveColumnPods) {
  testing::TempDir dir;
  const auto long_file =
      dir.write("long.csv", std::string(kPodHeader) +
                                "p0,12000,16384,1,1000,,LS,Running,0,12537496,0\n"
                                "p1,6000,12288,1,460,V100M16|V100M32,LS,Running,1,2,1\n"
                                "p2,88000,327680,8,1000,nan,Burstable,Succeeded,3,4,3\n"
                                "p3,4000,8192,0,0,,BE,Failed,5,6,5\n");
  auto l = read_openb_pods(long_file, kModels);
  ASSERT_TRUE(l.has_value()) << l.error().message;
  ASSERT_EQ(l->pods.size(), 4u);
  EXPECT_EQ(l->pods[1].gpu_milli, 460);
  EXPECT_EQ(l->pods[1].gpu_spec, "V100M16|V100M32");
  EXPECT_EQ(l->pods[2].num_gpu, 8);
  EXPECT_EQ(l->pods[2].gpu_spec, "");
  EXPECT_EQ(l->pods[3].num_gpu, 0);

  const auto short_file = dir.write("short.csv", std::string(kShortPodHeader) +
                                                     "p0,12000,16384,1,1000\n"
                                                     "p1,6000,12288,2,1000\n");
  auto s = read_openb_pods(short_file, kModels);
  ASSERT_TRUE(s.has_value()) << s.error().message;
  ASSERT_EQ(s->pods.size(), 2u);
  EXPECT_EQ(s->pods[1].num_gpu, 2);
  EXPECT_EQ(s->pods[1].gpu_spec, "");
}

TEST(OpenbTraceTest, PodErrorsNameFileLineAndColumn) {
  testing::TempDir dir;
  const std::string file = (dir.path() / "pods.csv").string();
  const std::string ok = "ok,1000,1024,1,500,,LS,Running,0,1,0\n";
  EXPECT_EQ(pod_error(dir, ok + "p1,1000,1024,1,500,,LS\n"),
            file + ":3: expected 11 columns, got 7");
  EXPECT_EQ(pod_error(dir, "p1,1000,1024,1\n", kShortPodHeader),
            file + ":2: expected 5 columns, got 4");
  EXPECT_EQ(pod_error(dir, ok + "p1,1000,-1024,1,500,,LS,Running,0,1,0\n"),
            file + ":3: memory_mib: expected a non-negative integer, got -1024");
  EXPECT_EQ(pod_error(dir, "p1,4.5,1024,1,500,,LS,Running,0,1,0\n"),
            file + ":2: cpu_milli: expected a non-negative integer, got '4.5'");
  EXPECT_EQ(pod_error(dir, "p1,1000,1024,x,500,,LS,Running,0,1,0\n"),
            file + ":2: num_gpu: expected a non-negative integer, got 'x'");
  EXPECT_EQ(pod_error(dir, "p1,1000,1024,2,500,,LS,Running,0,1,0\n"),
            file + ":2: gpu_milli: expected 1000 for a pod with 2 GPUs, got 500");
  EXPECT_EQ(pod_error(dir, "p1,1000,1024,0,500,,LS,Running,0,1,0\n"),
            file + ":2: gpu_milli: expected 0 for a pod without GPUs, got 500");
  const std::string unknown =
      pod_error(dir, ok + ok + "p1,1000,1024,1,500,V100M16|H100,LS,R,0,1,0\n");
  EXPECT_TRUE(contains(unknown, file + ":4: gpu_spec: unknown GPU model 'H100'")) << unknown;
  const std::string empty_model = pod_error(dir, "p1,1000,1024,1,500,T4||G2,LS,R,0,1,0\n");
  EXPECT_TRUE(contains(empty_model, file + ":2: gpu_spec: expected GPU models separated by '|'"))
      << empty_model;
}

TEST(OpenbTraceTest, SkipBadRowsCountsThem) {
  testing::TempDir dir;
  const auto file = dir.write("pods.csv", std::string(kPodHeader) +
                                              "p0,1000,1024,1,500,,LS,Running,0,1,0\n"
                                              "p1,1000,1024,1,500,,LS\n"
                                              "p2,abc,1024,1,500,,LS,Running,0,1,0\n"
                                              "p3,1000,1024,1,500,H100,LS,Running,0,1,0\n"
                                              "p4,1000,1024,0,0,,LS,Running,0,1,0\n");
  ReadOptions skip;
  skip.skip_bad_rows = true;
  auto r = read_openb_pods(file, kModels, skip);
  ASSERT_TRUE(r.has_value()) << r.error().message;
  EXPECT_EQ(r->pods.size(), 2u);
  EXPECT_EQ(r->skipped_rows, 3);
  // Without a model list every model is accepted.
  auto any = read_openb_pods(file, {}, skip);
  ASSERT_TRUE(any.has_value());
  EXPECT_EQ(any->skipped_rows, 2);
}

}  // namespace
}  // namespace suanli

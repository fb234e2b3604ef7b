// The slurm.conf/gres.conf generator: names, features, ports, device files
// and refusals. That slurmctld accepts the output is checked against a real
// Slurm in tests/slurm_integration_test.cpp.
#include "slurm/slurm_conf.h"

#include <gtest/gtest.h>

#include "bundled_catalog.h"
#include "sim/scenario.h"

namespace suanli::slurm {
namespace {

class SlurmConfTest : public suanli::testing::BundledCatalogTest {
 protected:
  Fleet fleet(std::string_view extra = "") {
    const std::string text = std::string(R"(
name = "conf-test"
[[sites]]
name = "wuhu"
[[fleet]]
site = "wuhu"
accelerator = "h200-sxm"
nodes = 2
cpu_cores = 96
memory_gib = 1000
[[fleet]]
site = "wuhu"
accelerator = "ascend-910c"
nodes = 3
devices_per_node = 8
scale_up_domain = 16
[[fleet]]
site = "wuhu"
accelerator = "mlu590"
nodes = 1
)") + std::string(extra);
    auto s = parse_scenario(text, "conf-test.toml", *catalog_);
    EXPECT_TRUE(s) << (s ? "" : s.error().message);
    return s ? s->fleet : Fleet{};
  }
};

TEST_F(SlurmConfTest, NamesAndFeatures) {
  EXPECT_EQ(gres_type("h200-sxm"), "h200sxm");
  EXPECT_EQ(gres_type("Ascend-910C"), "ascend910c");
  EXPECT_EQ(feature("site", "Wuhu Hub"), "site_wuhu_hub");
  EXPECT_EQ(feature("vendor", "Kunlunxin (Baidu)"), "vendor_kunlunxin_baidu");
  EXPECT_EQ(device_files("NVIDIA", 8), "/dev/nvidia[0-7]");
  EXPECT_EQ(device_files("Huawei", 1), "/dev/davinci0");
  EXPECT_EQ(device_files("Cambricon", 8), "");
}

TEST_F(SlurmConfTest, OneLinePerNodeWithGresFeaturesAndPartitions) {
  const Fleet f = fleet();
  auto conf = generate_conf(f, {});
  ASSERT_TRUE(conf) << conf.error().message;
  ASSERT_EQ(conf->nodes.size(), 6u);
  const std::string& c = conf->slurm_conf;
  EXPECT_NE(c.find("GresTypes=gpu\n"), std::string::npos);
  // H200: CPUs and memory from the pool, foreign, NVIDIA device files.
  EXPECT_NE(c.find("NodeName=" + f.nodes()[0].name +
                   " CPUs=96 RealMemory=1024000 Gres=gpu:h200sxm:8 "
                   "Feature=acc_h200sxm,origin_us,foreign,vendor_nvidia,site_wuhu," +
                   feature("domain", f.nodes()[0].name)),
            std::string::npos)
      << c;
  // Ascend 910C: two nodes share a 16-NPU domain, named after its first node.
  const auto& a0 = conf->nodes[2];
  const auto& a1 = conf->nodes[3];
  const auto& a2 = conf->nodes[4];
  EXPECT_EQ(a0.gres, "gpu:ascend910c:8");
  EXPECT_EQ(a0.features.back(), a1.features.back());
  EXPECT_NE(a1.features.back(), a2.features.back());
  EXPECT_NE(std::find(a0.features.begin(), a0.features.end(), "domestic"), a0.features.end());
  EXPECT_NE(std::find(a0.features.begin(), a0.features.end(), "origin_cn"), a0.features.end());
  EXPECT_NE(c.find("PartitionName=suanli Nodes=ALL Default=YES"), std::string::npos);
  EXPECT_NE(c.find("PartitionName=ascend910c Nodes=" + a0.name + "," + a1.name + "," + a2.name +
                   " Default=NO"),
            std::string::npos)
      << c;
  const std::string& g = conf->gres_conf;
  EXPECT_NE(g.find("NodeName=" + f.nodes()[0].name +
                   " Name=gpu Type=h200sxm Count=8 "
                   "File=/dev/nvidia[0-7]"),
            std::string::npos)
      << g;
  EXPECT_NE(g.find("Type=ascend910c Count=8 File=/dev/davinci[0-7]"), std::string::npos) << g;
  // No known device files for Cambricon: a Count= line and a note to complete it.
  EXPECT_NE(g.find("add File= with the Cambricon driver's device files"), std::string::npos) << g;
  EXPECT_EQ(c.find("Port="), std::string::npos);
}

TEST_F(SlurmConfTest, SingleHostTestClusterGetsPortsAndCountOnlyGres) {
  ConfOptions o;
  o.single_host_base_port = 21000;
  o.count_only = true;
  o.partition = "all";
  o.type_partitions = false;
  auto conf = generate_conf(fleet(), o);
  ASSERT_TRUE(conf) << conf.error().message;
  EXPECT_NE(conf->slurm_conf.find("NodeHostname=127.0.0.1 NodeAddr=127.0.0.1 Port=21000 "),
            std::string::npos);
  EXPECT_NE(conf->slurm_conf.find("Port=21005 "), std::string::npos);
  EXPECT_EQ(conf->slurm_conf.find("Port=21006"), std::string::npos);
  EXPECT_EQ(conf->gres_conf.find(" File=/"), std::string::npos);
  EXPECT_NE(conf->slurm_conf.find("PartitionName=all Nodes=ALL"), std::string::npos);
  EXPECT_EQ(conf->slurm_conf.find("PartitionName=h200sxm"), std::string::npos);
}

TEST_F(SlurmConfTest, RefusesWhatSlurmWouldNot) {
  EXPECT_FALSE(generate_conf(Fleet{}, {}));
  ConfOptions bad;
  bad.partition = "my partition";
  auto r = generate_conf(fleet(), bad);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("partition"), std::string::npos);
}

}  // namespace
}  // namespace suanli::slurm

// The fleet accounting on its own: apply on and off moves every count and
// comes back to where it started, and the recount finds a node changed
// behind its back (and, in debug and sanitizer builds, so does the check
// after the next apply).
#include "sched/accounting.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace suanli {
namespace {

struct TwoTypes {
  Fleet fleet;
  TypeId cn;
  TypeId us;
  std::vector<JobSpec> specs;
};

TwoTypes two_types() {
  TwoTypes s;
  const SiteId site = s.fleet.add_site({"gy", "cn-southwest"});
  AcceleratorType cn;
  cn.id = "ascend-910c";
  cn.domestic = true;
  cn.compute_weight = 300;
  AcceleratorType us;
  us.id = "h100";
  us.compute_weight = 900;
  s.cn = s.fleet.add_type(cn);
  s.us = s.fleet.add_type(us);
  for (TypeId t : {s.cn, s.us}) {
    NodePool pool;
    pool.site = site;
    pool.type = t;
    pool.nodes = 2;
    pool.devices_per_node = 8;
    pool.scale_up_domain = 16;
    EXPECT_TRUE(s.fleet.add_pool(pool).has_value());
  }
  return s;
}

JobSpec spec(int devices, int gpu_milli = 1000) {
  JobSpec j;
  j.name = "j";
  j.tenant = TenantId{0};
  j.devices = devices;
  j.tp = devices;
  j.gpu_milli = gpu_milli;
  j.cpu_milli = 100;
  return j;
}

Allocation on(TypeId t, NodeId node, int first_device, int devices, int milli = 1000) {
  Allocation a;
  a.type = t;
  std::vector<DeviceSlot> group;
  for (int d = 0; d < devices; ++d) group.push_back(DeviceSlot{node, first_device + d, milli});
  a.groups.push_back(group);
  return a;
}

TEST(FleetAccounting, ApplyMovesEveryCountAndBack) {
  TwoTypes s = two_types();
  FleetAccounting acc(1, ShareMeasure::kCompute);
  acc.index_new_nodes(s.fleet);
  ASSERT_TRUE(acc.check_invariants(s.fleet, s.specs));
  EXPECT_EQ(acc.devices_total(s.cn), 16);
  EXPECT_EQ(acc.buckets(s.cn)[8].size(), 2u);
  EXPECT_EQ(acc.domain_free_nodes(0), 2);

  s.specs = {spec(4), spec(1, 500)};
  const NodeId cn0 = s.fleet.domains()[0].nodes[0];
  const NodeId us0 = s.fleet.domains()[1].nodes[0];
  const Allocation whole = on(s.cn, cn0, 0, 4);
  const Allocation part = on(s.us, us0, 0, 1, 500);
  acc.apply(s.fleet, s.specs, JobId{0}, whole, +1);
  acc.apply(s.fleet, s.specs, JobId{1}, part, +1);
  ASSERT_TRUE(acc.check_invariants(s.fleet, s.specs));
  EXPECT_EQ(acc.bucket_of(cn0.value), 4);
  EXPECT_EQ(acc.bucket_of(us0.value), 7);
  EXPECT_EQ(acc.domain_free_nodes(0), 1);
  EXPECT_EQ(acc.alloc_milli(s.cn), 4000);
  EXPECT_EQ(acc.free_milli(s.us), 15500);
  EXPECT_EQ(acc.tenant_milli(TenantId{0}), 4500);
  EXPECT_EQ(acc.jobs_on(cn0), std::vector<int>{0});
  EXPECT_DOUBLE_EQ(acc.compute_total(), 4 * 300 + 0.5 * 900);
  ASSERT_TRUE(acc.share().has_value());
  EXPECT_DOUBLE_EQ(*acc.share(), 1200 / 1650.0);

  acc.apply(s.fleet, s.specs, JobId{1}, part, -1);
  acc.apply(s.fleet, s.specs, JobId{0}, whole, -1);
  ASSERT_TRUE(acc.check_invariants(s.fleet, s.specs));
  EXPECT_EQ(acc.buckets(s.cn)[8].size(), 2u);
  EXPECT_EQ(acc.tenant_milli(TenantId{0}), 0);
  EXPECT_FALSE(acc.share().has_value());
  EXPECT_FALSE(acc.first_failure().has_value());
}

TEST(FleetAccounting, RecountFindsANodeChangedBehindItsBack) {
  TwoTypes s = two_types();
  FleetAccounting acc(1, ShareMeasure::kDevices);
  acc.index_new_nodes(s.fleet);
  s.specs = {spec(2)};
  const NodeId victim = s.fleet.domains()[0].nodes[1];
  s.fleet.node(victim).state.gpu_left[3] = 0;  // taken without apply
  auto r = acc.check_invariants(s.fleet, s.specs);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, ErrorCode::kConflict);
  EXPECT_NE(r.error().message.find(s.fleet.node(victim).name), std::string::npos)
      << r.error().message;

  // An apply elsewhere: a debug or sanitizer build's check after it sees
  // the whole (small) fleet and keeps the failure; a release build skips it.
  acc.apply(s.fleet, s.specs, JobId{0}, on(s.us, s.fleet.domains()[1].nodes[0], 0, 2), +1);
#if defined(SUANLI_SANITIZE_BUILD) || !defined(NDEBUG)
  ASSERT_TRUE(acc.first_failure().has_value());
  EXPECT_NE(acc.first_failure()->message.find(s.fleet.node(victim).name), std::string::npos);
#else
  EXPECT_FALSE(acc.first_failure().has_value());
#endif

  s.fleet.node(victim).state.gpu_left[3] = kGpuMilli;
  EXPECT_TRUE(acc.check_invariants(s.fleet, s.specs));
  s.fleet.node(victim).up = false;  // down without rebucket
  r = acc.check_invariants(s.fleet, s.specs);
  ASSERT_FALSE(r.has_value());
  EXPECT_NE(r.error().message.find("filed under"), std::string::npos) << r.error().message;
  acc.rebucket(s.fleet, victim);
  EXPECT_TRUE(acc.check_invariants(s.fleet, s.specs));
  EXPECT_EQ(acc.devices_up(s.cn), 8);
}

}  // namespace
}  // namespace suanli

// The scheduling core on tiny hand-built fleets: gangs, scale-up domains,
// every rule kind, node failures, preemption, queue and placement policies,
// fractional pods, determinism and bad input. Each test drives the core the
// way the simulator does (submit/finish/... then schedule(now)) and checks
// the decisions it reports.
#include "sched/scheduler.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace suanli {
namespace {

AcceleratorType accel(std::string id, std::string origin, double weight = 100) {
  AcceleratorType t;
  t.id = id;
  t.name = id;
  t.vendor = origin == "CN" ? "huawei" : "nvidia";
  t.origin = origin;
  t.domestic = origin == "CN";
  t.compute_weight = weight;
  t.price_per_device_hour = 2;
  return t;
}

// Adds a type with one pool of `nodes` nodes; returns the type and its nodes.
struct AddedType {
  TypeId type;
  std::vector<NodeId> nodes;
};

AddedType add(Fleet& f, SiteId site, AcceleratorType type, int nodes, int devices_per_node = 8,
              int domain = 0) {
  AddedType out;
  out.type = f.add_type(std::move(type));
  NodePool pool;
  pool.site = site;
  pool.type = out.type;
  pool.nodes = nodes;
  pool.devices_per_node = devices_per_node;
  pool.scale_up_domain = domain > 0 ? domain : devices_per_node;
  auto added = f.add_pool(pool);
  EXPECT_TRUE(added.has_value()) << (added ? "" : added.error().message);
  if (added) out.nodes = *added;
  return out;
}

Scheduler make(Fleet fleet, std::vector<Tenant> tenants = {}, std::vector<Rule> rules = {},
               SchedulerConfig config = {}) {
  auto s = Scheduler::create(std::move(fleet), std::move(tenants), std::move(rules), config);
  if (!s) ADD_FAILURE() << s.error().message;
  return std::move(*s);
}

JobSpec job(std::string name, int devices, int tp, std::vector<double> durations,
            TenantId tenant = TenantId{0}) {
  JobSpec j;
  j.name = std::move(name);
  j.tenant = tenant;
  j.devices = devices;
  j.tp = tp;
  j.duration_s = std::move(durations);
  return j;
}

JobId submit(Scheduler& s, JobSpec spec, SimTime now) {
  auto id = s.submit(std::move(spec), now);
  if (!id) ADD_FAILURE() << id.error().message;
  return id ? *id : JobId{};
}

std::vector<Decision> of(const std::vector<Decision>& ds, DecisionKind kind, JobId j = JobId{}) {
  std::vector<Decision> out;
  for (const Decision& d : ds)
    if (d.kind == kind && (!j.valid() || d.job == j)) out.push_back(d);
  return out;
}

// The refusal of a type in the job's last queue decision, or nullptr.
const TypeRefusal* refusal(const std::vector<Decision>& ds, JobId j, TypeId t) {
  const Decision* last = nullptr;
  for (const Decision& d : ds)
    if (d.kind == DecisionKind::kQueue && d.job == j) last = &d;
  if (!last) return nullptr;
  for (const TypeRefusal& r : last->refusals)
    if (r.type == t) return &r;
  return nullptr;
}

std::set<int> nodes_of(const Allocation& a) {
  std::set<int> out;
  for (const auto& g : a.groups)
    for (const DeviceSlot& slot : g) out.insert(slot.node.value);
  return out;
}

bool running(const Scheduler& s, JobId j) { return s.status(j).state == JobState::kRunning; }

// ---- 1. gang all-or-nothing ---------------------------------------------

TEST(SchedulerTest, GangIsAllOrNothing) {
  Fleet f;
  const SiteId site = f.add_site({"bj", "cn-north"});
  const auto h = add(f, site, accel("h100", "US"), 2);
  Scheduler s = make(std::move(f));

  const JobId small = submit(s, job("small", 4, 4, {100}), 0);
  s.schedule(0);
  ASSERT_TRUE(running(s, small));
  EXPECT_DOUBLE_EQ(s.allocated_devices(h.type), 4);

  // 12 devices free, 16 needed: nothing is taken.
  const JobId big = submit(s, job("big", 16, 8, {100}), 1);
  s.schedule(1);
  auto ds = s.take_decisions();
  EXPECT_FALSE(running(s, big));
  ASSERT_EQ(of(ds, DecisionKind::kQueue, big).size(), 1u);
  EXPECT_EQ(of(ds, DecisionKind::kQueue, big)[0].rule, "capacity");
  const TypeRefusal* r = refusal(ds, big, h.type);
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->rule, kCapacityReason);
  EXPECT_TRUE(of(ds, DecisionKind::kPlace, big).empty());
  EXPECT_DOUBLE_EQ(s.allocated_devices(h.type), 4);

  ASSERT_TRUE(s.finish(small, 100).has_value());
  s.schedule(100);
  ds = s.take_decisions();
  ASSERT_TRUE(running(s, big));
  const auto placed = of(ds, DecisionKind::kPlace, big);
  ASSERT_EQ(placed.size(), 1u);
  const Allocation& a = placed[0].allocation;
  EXPECT_EQ(a.type, h.type);
  EXPECT_EQ(a.devices(), 16);
  ASSERT_EQ(a.groups.size(), 2u);
  std::set<std::pair<int, int>> slots;
  for (const auto& g : a.groups) {
    ASSERT_EQ(g.size(), 8u);
    std::set<int> nodes;
    for (const DeviceSlot& slot : g) {
      nodes.insert(slot.node.value);
      slots.insert({slot.node.value, slot.device});
      EXPECT_EQ(slot.milli, 1000);
    }
    EXPECT_EQ(nodes.size(), 1u) << "a TP group of 8 must sit in one node";
  }
  EXPECT_EQ(slots.size(), 16u) << "no device used twice";
  EXPECT_DOUBLE_EQ(s.allocated_devices(h.type), 16);
  EXPECT_EQ(s.status(big).allocation.devices(), 16);
}

// ---- 2. TP groups inside one scale-up domain -------------------------------

TEST(SchedulerTest, TpGroupStaysInOneScaleUpDomain) {
  Fleet f;
  const SiteId site = f.add_site({"gy", "cn-southwest"});
  const auto a = add(f, site, accel("ascend-910c", "CN"), 8, 8, 32);  // 2 domains of 4 nodes
  ASSERT_EQ(a.nodes.size(), 8u);
  Scheduler s = make(std::move(f));
  ASSERT_EQ(s.fleet().domains().size(), 2u);
  ASSERT_EQ(s.fleet().domain_devices(a.type), 32);

  const JobId j32 = submit(s, job("tp32", 32, 32, {100}), 0);
  s.schedule(0);
  auto ds = s.take_decisions();
  ASSERT_TRUE(running(s, j32));
  const Allocation& alloc = s.status(j32).allocation;
  ASSERT_EQ(alloc.groups.size(), 1u);
  ASSERT_EQ(alloc.groups[0].size(), 32u);
  const std::set<int> nodes = nodes_of(alloc);
  EXPECT_EQ(nodes.size(), 4u) << "4 whole nodes";
  std::set<int> domains;
  for (const DeviceSlot& slot : alloc.groups[0])
    domains.insert(s.fleet().node(slot.node).domain.value);
  EXPECT_EQ(domains.size(), 1u) << "one scale-up domain";
  ASSERT_TRUE(s.finish(j32, 100).has_value());
  s.schedule(100);
  s.take_decisions();

  // Fill every node with one 8-device job, then free all but one node per
  // domain: 6 nodes free, no domain with 4.
  std::vector<JobId> fillers;
  for (int i = 0; i < 8; ++i) fillers.push_back(submit(s, job("fill", 8, 8, {1000}), 100));
  s.schedule(100);
  for (JobId j : fillers) ASSERT_TRUE(running(s, j));
  JobId keep0, keep1;
  for (JobId j : fillers) {
    const int node = *nodes_of(s.status(j).allocation).begin();
    if (node == a.nodes[0].value) {
      keep0 = j;
    } else if (node == a.nodes[4].value) {
      keep1 = j;
    } else {
      ASSERT_TRUE(s.finish(j, 110).has_value());
    }
  }
  ASSERT_TRUE(keep0.valid() && keep1.valid());
  s.schedule(110);
  s.take_decisions();
  EXPECT_DOUBLE_EQ(s.allocated_devices(a.type), 16);

  const JobId waiting = submit(s, job("tp32-b", 32, 32, {100}), 120);
  s.schedule(120);
  ds = s.take_decisions();
  EXPECT_FALSE(running(s, waiting)) << "48 devices free, but no domain has 4 free nodes";
  const TypeRefusal* r = refusal(ds, waiting, a.type);
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->rule, kCapacityReason);

  // A TP group larger than the domain can never run.
  const JobId j64 = submit(s, job("tp64", 64, 64, {100}), 120);
  s.schedule(120);
  ds = s.take_decisions();
  EXPECT_FALSE(running(s, j64));
  r = refusal(ds, j64, a.type);
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->rule, kDomainReason);
  EXPECT_EQ(of(ds, DecisionKind::kQueue, j64).at(0).rule, kDomainReason);

  // Freeing the node of domain 1 lets the 32-device group in there.
  ASSERT_TRUE(s.finish(keep1, 130).has_value());
  s.schedule(130);
  ASSERT_TRUE(running(s, waiting));
  for (const DeviceSlot& slot : s.status(waiting).allocation.groups.at(0))
    EXPECT_EQ(s.fleet().node(slot.node).domain, s.fleet().node(a.nodes[4]).domain);
  EXPECT_FALSE(running(s, j64));
}

// ---- 3. sensitivity-origin -------------------------------------------------

TEST(SchedulerTest, SensitivityOriginKeepsConfidentialOnDomestic) {
  Fleet f;
  const SiteId site = f.add_site({"sh", "cn-east"});
  const auto us = add(f, site, accel("h100", "US"), 2);  // first in fleet order
  const auto cn = add(f, site, accel("ascend-910c", "CN"), 1);
  Rule rule;
  rule.id = "R-SENS";
  rule.kind = RuleKind::kSensitivityOrigin;
  rule.min_sensitivity = Sensitivity::kConfidential;
  rule.origins = {"CN"};
  Scheduler s = make(std::move(f), {}, {rule});

  JobSpec spec = job("conf", 8, 8, {100, 100});
  spec.sensitivity = Sensitivity::kConfidential;
  const JobId first = submit(s, spec, 0);
  s.schedule(0);
  auto ds = s.take_decisions();
  ASSERT_TRUE(running(s, first));
  EXPECT_EQ(s.status(first).allocation.type, cn.type);
  const auto placed = of(ds, DecisionKind::kPlace, first);
  ASSERT_EQ(placed.size(), 1u);
  EXPECT_NE(std::find(placed[0].checked.begin(), placed[0].checked.end(), "R-SENS"),
            placed[0].checked.end())
      << "the placement lists the rule it passed";

  // CN is full; the US type is free but forbidden.
  spec.name = "conf2";
  const JobId second = submit(s, spec, 1);
  s.schedule(1);
  ds = s.take_decisions();
  EXPECT_FALSE(running(s, second));
  EXPECT_DOUBLE_EQ(s.allocated_devices(us.type), 0);
  const TypeRefusal* r = refusal(ds, second, us.type);
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->rule, "R-SENS");
  EXPECT_NE(r->detail.find("US"), std::string::npos) << r->detail;
  r = refusal(ds, second, cn.type);
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->rule, kCapacityReason);

  // Secret is above confidential: also covered.
  JobSpec secret = job("secret", 8, 8, {100, 100});
  secret.sensitivity = Sensitivity::kSecret;
  const JobId sec = submit(s, secret, 2);
  // A public job may use the US type.
  const JobId pub = submit(s, job("public", 8, 8, {100, 100}), 2);
  s.schedule(2);
  ds = s.take_decisions();
  EXPECT_FALSE(running(s, sec));
  r = refusal(ds, sec, us.type);
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->rule, "R-SENS");
  ASSERT_TRUE(running(s, pub));
  EXPECT_EQ(s.status(pub).allocation.type, us.type);
}

// ---- 4. domestic-share -----------------------------------------------------

TEST(SchedulerTest, DomesticShareHoldsForeignPlacements) {
  Fleet f;
  const SiteId site = f.add_site({"bj", "cn-north"});
  const auto cn = add(f, site, accel("ascend-910c", "CN", 100), 1);
  const auto us = add(f, site, accel("h100", "US", 100), 1);
  Rule rule;
  rule.id = "R-SHARE";
  rule.kind = RuleKind::kDomesticShare;
  rule.min_share = 0.5;
  rule.measure = ShareMeasure::kCompute;
  Scheduler s = make(std::move(f), {}, {rule});
  EXPECT_FALSE(s.domestic_share().has_value()) << "nothing runs";

  const JobId foreign = submit(s, job("us-only", 8, 8, {kCannotRun, 100}), 0);
  s.schedule(0);
  auto ds = s.take_decisions();
  EXPECT_FALSE(running(s, foreign));
  const TypeRefusal* r = refusal(ds, foreign, us.type);
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->rule, "R-SHARE");
  r = refusal(ds, foreign, cn.type);
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->rule, kWorkloadReason);
  EXPECT_EQ(s.status(foreign).reason_rule, "R-SHARE");  // a policy rule beats "workload"

  const JobId domestic = submit(s, job("cn-only", 8, 8, {100, kCannotRun}), 1);
  s.schedule(1);
  ASSERT_TRUE(running(s, domestic));
  // The foreign job, ahead of the domestic one in the queue, is retried in
  // the same pass once the domestic placement lifts the share.
  ASSERT_TRUE(running(s, foreign)) << s.status(foreign).reason;
  EXPECT_EQ(s.status(foreign).allocation.type, us.type);
  ASSERT_TRUE(s.domestic_share().has_value());
  EXPECT_DOUBLE_EQ(*s.domestic_share(), 0.5);
}

TEST(SchedulerTest, DomesticShareValueWithoutRule) {
  Fleet f;
  const SiteId site = f.add_site({"bj", "cn-north"});
  add(f, site, accel("ascend-910c", "CN", 300), 1);
  add(f, site, accel("h100", "US", 100), 1);
  Scheduler s = make(std::move(f));
  const JobId cn = submit(s, job("cn", 2, 2, {100, kCannotRun}), 0);
  const JobId us = submit(s, job("us", 2, 2, {kCannotRun, 100}), 0);
  s.schedule(0);
  ASSERT_TRUE(running(s, cn));
  ASSERT_TRUE(running(s, us));
  ASSERT_TRUE(s.domestic_share().has_value());
  EXPECT_DOUBLE_EQ(*s.domestic_share(), 600.0 / 800.0) << "compute-weighted by default";
}

// A foreign job queued before the domestic one that raises the share is
// placed in the same pass or the next one.
TEST(SchedulerTest, DomesticShareRetriesForeignJobAfterDomesticPlacement) {
  Fleet f;
  const SiteId site = f.add_site({"bj", "cn-north"});
  add(f, site, accel("ascend-910c", "CN", 100), 1);
  const auto us = add(f, site, accel("h100", "US", 100), 1);
  Rule rule;
  rule.id = "R-SHARE";
  rule.kind = RuleKind::kDomesticShare;
  rule.min_share = 0.5;
  Scheduler s = make(std::move(f), {}, {rule});
  const JobId foreign = submit(s, job("us-only", 8, 8, {kCannotRun, 100}), 0);
  const JobId domestic = submit(s, job("cn-only", 8, 8, {100, kCannotRun}), 0);
  s.schedule(0);
  s.schedule(1);
  ASSERT_TRUE(running(s, domestic));
  EXPECT_TRUE(running(s, foreign)) << s.status(foreign).reason;
  EXPECT_DOUBLE_EQ(s.allocated_devices(us.type), running(s, foreign) ? 8 : 0);
}

// ---- 5. approved-customers -------------------------------------------------

TEST(SchedulerTest, ApprovedCustomersRefusesOtherTenants) {
  Fleet f;
  const SiteId site = f.add_site({"bj", "cn-north"});
  const auto t = add(f, site, accel("h20", "US"), 2);
  Rule rule;
  rule.id = "R-APPROVED";
  rule.kind = RuleKind::kApprovedCustomers;
  rule.type = t.type;
  rule.tenants = {TenantId{0}};
  Scheduler s = make(std::move(f), {{"approved", 1}, {"other", 1}}, {rule});

  const JobId ok = submit(s, job("ok", 8, 8, {100}, TenantId{0}), 0);
  const JobId no = submit(s, job("no", 8, 8, {100}, TenantId{1}), 0);
  s.schedule(0);
  auto ds = s.take_decisions();
  EXPECT_TRUE(running(s, ok));
  EXPECT_FALSE(running(s, no));
  const TypeRefusal* r = refusal(ds, no, t.type);
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->rule, "R-APPROVED");
  EXPECT_NE(r->detail.find("other"), std::string::npos) << r->detail;
  EXPECT_EQ(s.status(no).reason_rule, "R-APPROVED");
}

// ---- 6. no-new-placements --------------------------------------------------

TEST(SchedulerTest, NoNewPlacementsFromTime) {
  Fleet f;
  const SiteId site = f.add_site({"bj", "cn-north"});
  const auto t = add(f, site, accel("h800", "US"), 2);
  Rule rule;
  rule.id = "R-NNP";
  rule.kind = RuleKind::kNoNewPlacements;
  rule.type = t.type;
  rule.from = 100;
  Scheduler s = make(std::move(f), {}, {rule});
  EXPECT_EQ(s.rule_times(), std::vector<SimTime>{100});

  const JobId early = submit(s, job("early", 8, 8, {1000}), 50);
  s.schedule(50);
  EXPECT_TRUE(running(s, early));
  s.schedule(99);
  auto ds = s.take_decisions();
  EXPECT_TRUE(of(ds, DecisionKind::kRule).empty());

  s.schedule(100);
  ds = s.take_decisions();
  const auto rules = of(ds, DecisionKind::kRule);
  ASSERT_EQ(rules.size(), 1u);
  EXPECT_EQ(rules[0].rule, "R-NNP");
  EXPECT_DOUBLE_EQ(rules[0].time, 100);
  EXPECT_TRUE(running(s, early)) << "running jobs stay";

  const JobId late = submit(s, job("late", 8, 8, {1000}), 150);
  s.schedule(150);
  ds = s.take_decisions();
  EXPECT_FALSE(running(s, late));
  const TypeRefusal* r = refusal(ds, late, t.type);
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->rule, "R-NNP");
  EXPECT_TRUE(of(ds, DecisionKind::kRule).empty()) << "a rule takes effect once";
}

TEST(SchedulerTest, CordonedNodeKeepsJobsAndTakesNoNewOnes) {
  Fleet f;
  const SiteId site = f.add_site({"bj", "cn-north"});
  const auto t = add(f, site, accel("h800", "US"), 2);
  Scheduler s = make(std::move(f), {}, {});
  const JobId a = submit(s, job("a", 8, 8, {1000}), 0);
  s.schedule(0);
  ASSERT_TRUE(running(s, a));
  const NodeId on = s.status(a).allocation.groups[0][0].node;
  const NodeId other{1 - on.value};
  ASSERT_TRUE(s.cordon(on, true, 10));
  ASSERT_TRUE(s.cordon(other, true, 10));
  s.schedule(10);
  EXPECT_TRUE(running(s, a)) << "a drained node keeps its work";
  const JobId b = submit(s, job("b", 8, 8, {1000}), 20);
  s.schedule(20);
  EXPECT_FALSE(running(s, b));
  ASSERT_TRUE(s.cordon(other, false, 30));
  s.schedule(30);
  ASSERT_TRUE(running(s, b));
  EXPECT_EQ(s.status(b).allocation.groups[0][0].node, other);
  (void)t;
  EXPECT_FALSE(s.cordon(NodeId{7}, true, 30));
}

TEST(SchedulerTest, RuleAddedLaterTakesEffectFromNow) {
  Fleet f;
  const SiteId site = f.add_site({"bj", "cn-north"});
  const auto t = add(f, site, accel("h800", "US"), 2);
  Scheduler s = make(std::move(f), {}, {});
  const JobId a = submit(s, job("a", 8, 8, {1000}), 0);
  s.schedule(0);
  ASSERT_TRUE(running(s, a));
  Rule rule;
  rule.id = "shock";
  rule.kind = RuleKind::kDrain;
  rule.type = t.type;
  rule.from = 0;  // in the past: effective from `now`
  ASSERT_TRUE(s.add_rule(rule, 100));
  s.schedule(100);
  auto ds = s.take_decisions();
  ASSERT_EQ(of(ds, DecisionKind::kRule).size(), 1u);
  EXPECT_DOUBLE_EQ(of(ds, DecisionKind::kRule)[0].time, 100);
  EXPECT_EQ(of(ds, DecisionKind::kEvict).size(), 1u);
  EXPECT_FALSE(running(s, a));
  EXPECT_FALSE(s.add_rule(rule, 110)) << "duplicate ID";
  Rule share;
  share.id = "share";
  share.kind = RuleKind::kDomesticShare;
  EXPECT_FALSE(s.add_rule(share, 110)) << "only time rules on a running fleet";
}

// ---- 7. drain --------------------------------------------------------------

TEST(SchedulerTest, DrainEvictsJobsThatWouldNotFinish) {
  Fleet f;
  const SiteId site = f.add_site({"bj", "cn-north"});
  const auto d = add(f, site, accel("a800", "US"), 1);  // drained, first in fleet order
  const auto o = add(f, site, accel("ascend-910b", "CN"), 1);
  Rule rule;
  rule.id = "R-DRAIN";
  rule.kind = RuleKind::kDrain;
  rule.type = d.type;
  rule.from = 100;
  rule.within_s = 50;
  SchedulerConfig config;
  config.placement = PlacementKind::kFirstFit;
  Scheduler s = make(std::move(f), {}, {rule}, config);
  EXPECT_EQ(s.rule_times(), (std::vector<SimTime>{100, 150}));

  const JobId lng = submit(s, job("long", 4, 4, {1000, 1000}), 0);
  const JobId fin = submit(s, job("ends-120", 2, 2, {120, 120}), 0);
  const JobId straggler = submit(s, job("ends-140", 2, 2, {140, 140}), 0);
  s.schedule(0);
  for (JobId j : {lng, fin, straggler}) {
    ASSERT_TRUE(running(s, j));
    ASSERT_EQ(s.status(j).allocation.type, d.type);
  }
  s.take_decisions();

  s.schedule(100);
  auto ds = s.take_decisions();
  ASSERT_EQ(of(ds, DecisionKind::kRule).size(), 1u);
  const auto evicted = of(ds, DecisionKind::kEvict);
  ASSERT_EQ(evicted.size(), 1u) << "only the job ending after t=150";
  EXPECT_EQ(evicted[0].job, lng);
  EXPECT_EQ(evicted[0].rule, "R-DRAIN");
  EXPECT_EQ(evicted[0].allocation.devices(), 4);
  // Requeued and moved to the other type, keeping its progress.
  ASSERT_TRUE(running(s, lng));
  EXPECT_EQ(s.status(lng).allocation.type, o.type);
  EXPECT_NEAR(s.status(lng).progress, 0.1, 1e-9);
  EXPECT_NEAR(s.expected_end(lng), 100 + 900, 1e-9);
  EXPECT_TRUE(running(s, fin));
  EXPECT_TRUE(running(s, straggler));

  ASSERT_TRUE(s.finish(fin, 120).has_value());
  s.schedule(120);
  ds = s.take_decisions();
  EXPECT_TRUE(of(ds, DecisionKind::kEvict).empty());
  EXPECT_EQ(s.status(fin).state, JobState::kCompleted);

  // The straggler never reported its end: evicted at the deadline.
  s.schedule(150);
  ds = s.take_decisions();
  const auto late = of(ds, DecisionKind::kEvict, straggler);
  ASSERT_EQ(late.size(), 1u);
  EXPECT_EQ(late[0].rule, "R-DRAIN");
  EXPECT_DOUBLE_EQ(s.allocated_devices(d.type), 0);
  ASSERT_TRUE(running(s, straggler));
  EXPECT_EQ(s.status(straggler).allocation.type, o.type);
}

// ---- 8. node failures ------------------------------------------------------

TEST(SchedulerTest, NodeDownKillsRequeuesAndFailsAfterMaxRestarts) {
  Fleet f;
  const SiteId site = f.add_site({"bj", "cn-north"});
  const auto t = add(f, site, accel("h100", "US"), 2);
  SchedulerConfig config;
  config.max_restarts = 2;
  Scheduler s = make(std::move(f), {}, {}, config);

  JobSpec spec = job("train", 8, 8, {1000});
  spec.checkpoint_interval_s = 100;
  const JobId j = submit(s, spec, 0);
  s.schedule(0);
  ASSERT_TRUE(running(s, j));
  const NodeId first = NodeId{*nodes_of(s.status(j).allocation).begin()};
  s.take_decisions();

  ASSERT_TRUE(s.node_down(first, 350).has_value());
  auto ds = s.take_decisions();
  auto kills = of(ds, DecisionKind::kKill, j);
  ASSERT_EQ(kills.size(), 1u);
  EXPECT_EQ(kills[0].node, first);
  EXPECT_EQ(kills[0].rule, "node-failure");
  EXPECT_DOUBLE_EQ(kills[0].lost_device_s, 50.0 * 8) << "350 - last checkpoint at 300, 8 devices";
  EXPECT_EQ(kills[0].allocation.devices(), 8);
  EXPECT_EQ(s.status(j).state, JobState::kQueued);
  EXPECT_NEAR(s.status(j).checkpoint_progress, 0.3, 1e-9);
  EXPECT_NEAR(s.status(j).progress, 0.3, 1e-9);
  EXPECT_EQ(s.status(j).restarts, 1);
  EXPECT_DOUBLE_EQ(s.allocated_devices(t.type), 0);

  s.schedule(350);
  ASSERT_TRUE(running(s, j));
  const NodeId second = NodeId{*nodes_of(s.status(j).allocation).begin()};
  EXPECT_NE(second, first) << "the failed node is down";
  EXPECT_NEAR(s.expected_end(j), 350 + 700, 1e-9);
  ASSERT_TRUE(s.node_up(first, 360).has_value());

  // Second kill: 50 s into the run, no checkpoint since the restart.
  ASSERT_TRUE(s.node_down(second, 400).has_value());
  ds = s.take_decisions();
  kills = of(ds, DecisionKind::kKill, j);
  ASSERT_EQ(kills.size(), 1u);
  EXPECT_DOUBLE_EQ(kills[0].lost_device_s, 50.0 * 8);
  EXPECT_NEAR(s.status(j).checkpoint_progress, 0.3, 1e-9);
  EXPECT_TRUE(of(ds, DecisionKind::kFail, j).empty());
  s.schedule(400);
  ASSERT_TRUE(running(s, j));
  EXPECT_EQ(*nodes_of(s.status(j).allocation).begin(), first.value);

  // Third kill exceeds max_restarts = 2.
  ASSERT_TRUE(s.node_down(first, 500).has_value());
  ds = s.take_decisions();
  ASSERT_EQ(of(ds, DecisionKind::kKill, j).size(), 1u);
  const auto fails = of(ds, DecisionKind::kFail, j);
  ASSERT_EQ(fails.size(), 1u);
  EXPECT_EQ(s.status(j).state, JobState::kFailed);
  EXPECT_EQ(s.status(j).restarts, 3);
  EXPECT_FALSE(s.status(j).reason.empty());
  EXPECT_NE(s.status(j).reason.find("max_restarts"), std::string::npos) << s.status(j).reason;
  EXPECT_EQ(s.status(j).reason_rule, "node-failure");
  // The third run (400..500) checkpointed exactly at t=500: nothing lost.
  EXPECT_DOUBLE_EQ(of(ds, DecisionKind::kKill, j)[0].lost_device_s, 0);
  EXPECT_NEAR(s.status(j).checkpoint_progress, 0.4, 1e-9);
  EXPECT_NEAR(s.status(j).lost_device_s, 400 + 400, 1e-9);
  EXPECT_TRUE(s.queued().empty());
  EXPECT_EQ(s.running_count(), 0);
}

// ---- 9. preemption ---------------------------------------------------------

TEST(SchedulerTest, PreemptionByHigherPriority) {
  for (const bool preemption : {true, false}) {
    SCOPED_TRACE(preemption ? "preemption on" : "preemption off");
    Fleet f;
    const SiteId site = f.add_site({"bj", "cn-north"});
    add(f, site, accel("h100", "US"), 1);
    SchedulerConfig config;
    config.preemption = preemption;
    config.queue = QueuePolicy::kPriority;
    Scheduler s = make(std::move(f), {}, {}, config);

    JobSpec low_spec = job("low", 8, 8, {1000});
    low_spec.priority = 0;
    const JobId low = submit(s, low_spec, 0);
    s.schedule(0);
    ASSERT_TRUE(running(s, low));
    s.take_decisions();

    JobSpec high_spec = job("high", 8, 8, {1000});
    high_spec.priority = 10;
    const JobId high = submit(s, high_spec, 100);
    s.schedule(100);
    const auto ds = s.take_decisions();
    if (preemption) {
      const auto pre = of(ds, DecisionKind::kPreempt);
      ASSERT_EQ(pre.size(), 1u);
      EXPECT_EQ(pre[0].job, low);
      EXPECT_EQ(pre[0].by, high);
      EXPECT_EQ(pre[0].rule, "preemption");
      EXPECT_EQ(pre[0].allocation.devices(), 8);
      EXPECT_TRUE(running(s, high));
      EXPECT_EQ(s.status(low).state, JobState::kQueued);
      EXPECT_EQ(s.status(low).preemptions, 1);
      EXPECT_NEAR(s.status(low).progress, 0.1, 1e-9) << "checkpoint_on_preempt keeps progress";
      EXPECT_EQ(s.queued(), std::vector<JobId>{low});
    } else {
      EXPECT_TRUE(of(ds, DecisionKind::kPreempt).empty());
      EXPECT_TRUE(running(s, low));
      EXPECT_FALSE(running(s, high));
      ASSERT_EQ(of(ds, DecisionKind::kQueue, high).size(), 1u);
      EXPECT_EQ(of(ds, DecisionKind::kQueue, high)[0].rule, kCapacityReason);
    }
  }
}

TEST(SchedulerTest, NoPreemptionOfEqualPriority) {
  Fleet f;
  const SiteId site = f.add_site({"bj", "cn-north"});
  add(f, site, accel("h100", "US"), 1);
  SchedulerConfig config;
  config.preemption = true;
  Scheduler s = make(std::move(f), {}, {}, config);
  JobSpec a = job("a", 8, 8, {1000});
  a.priority = 5;
  const JobId ja = submit(s, a, 0);
  s.schedule(0);
  const JobId jb = submit(s, a, 1);
  s.schedule(1);
  EXPECT_TRUE(running(s, ja));
  EXPECT_FALSE(running(s, jb));
  EXPECT_TRUE(of(s.take_decisions(), DecisionKind::kPreempt).empty());
}

// ---- 10. queue policies ----------------------------------------------------

// One free node and three queued 8-device jobs: which one is placed.
JobId first_placed(QueuePolicy q) {
  Fleet f;
  const SiteId site = f.add_site({"bj", "cn-north"});
  add(f, site, accel("h100", "US"), 1);
  SchedulerConfig config;
  config.queue = q;
  Scheduler s = make(std::move(f), {}, {}, config);
  JobSpec a = job("a", 8, 8, {500});
  a.priority = 1;
  JobSpec b = job("b", 8, 8, {100});  // shortest
  b.priority = 0;
  JobSpec c = job("c", 8, 8, {300});
  c.priority = 9;  // highest
  submit(s, a, 0);
  submit(s, b, 1);
  submit(s, c, 2);
  s.schedule(3);
  std::vector<JobId> on;
  for (int i = 0; i < 3; ++i)
    if (running(s, JobId{i})) on.push_back(JobId{i});
  EXPECT_EQ(on.size(), 1u);
  return on.empty() ? JobId{} : on[0];
}

TEST(SchedulerTest, QueuePolicyFifo) { EXPECT_EQ(first_placed(QueuePolicy::kFifo), JobId{0}); }
TEST(SchedulerTest, QueuePolicyPriority) {
  EXPECT_EQ(first_placed(QueuePolicy::kPriority), JobId{2});
}
TEST(SchedulerTest, QueuePolicyShortestFirst) {
  EXPECT_EQ(first_placed(QueuePolicy::kShortestFirst), JobId{1});
}

TEST(SchedulerTest, QueuePolicyFairShare) {
  Fleet f;
  const SiteId site = f.add_site({"bj", "cn-north"});
  const auto t = add(f, site, accel("h100", "US"), 3);
  SchedulerConfig config;
  config.queue = QueuePolicy::kFairShare;
  // A holds the most devices but has weight 4: 8/4 = 2 < 4/1 for B and C.
  Scheduler s = make(std::move(f), {{"A", 4}, {"B", 1}, {"C", 1}}, {}, config);
  const TenantId A{0}, B{1}, C{2};
  const JobId a0 = submit(s, job("a0", 8, 8, {1000}, A), 0);
  const JobId b0 = submit(s, job("b0", 4, 4, {1000}, B), 0);
  const JobId c0 = submit(s, job("c0", 4, 4, {1000}, C), 0);
  s.schedule(0);
  ASSERT_TRUE(running(s, a0) && running(s, b0) && running(s, c0));
  ASSERT_DOUBLE_EQ(s.allocated_devices(t.type), 16);  // one node left free

  const JobId b1 = submit(s, job("b1", 8, 8, {1000}, B), 10);
  const JobId c1 = submit(s, job("c1", 8, 8, {1000}, C), 11);
  const JobId a1 = submit(s, job("a1", 8, 8, {1000}, A), 12);
  s.schedule(13);
  EXPECT_TRUE(running(s, a1)) << "least allocated devices per weight";
  EXPECT_FALSE(running(s, b1));
  EXPECT_FALSE(running(s, c1));
}

// ---- 11. hetero vs first-fit -----------------------------------------------

struct HeteroFleet {
  Scheduler s;
  TypeId slow, fast;
};

HeteroFleet hetero_fleet(PlacementKind p) {
  Fleet f;
  const SiteId site = f.add_site({"bj", "cn-north"});
  const auto slow = add(f, site, accel("ascend-910b", "CN"), 1);  // first in fleet order
  const auto fast = add(f, site, accel("h100", "US"), 1);
  SchedulerConfig config;
  config.placement = p;
  return {make(std::move(f), {}, {}, config), slow.type, fast.type};
}

TEST(SchedulerTest, HeteroWaitsForFasterTypeWhenItFreesSoon) {
  auto [s, slow, fast] = hetero_fleet(PlacementKind::kHetero);
  const JobId blocker = submit(s, job("blocker", 8, 8, {kCannotRun, 150}), 0);
  s.schedule(0);
  ASSERT_TRUE(running(s, blocker));
  ASSERT_DOUBLE_EQ(s.expected_end(blocker), 150);

  const JobId j = submit(s, job("j", 8, 8, {1000, 100}), 1);
  s.schedule(1);
  auto ds = s.take_decisions();
  EXPECT_FALSE(running(s, j)) << "slow now ends at 1001; fast after t=150 ends at 250";
  const auto q = of(ds, DecisionKind::kQueue, j);
  ASSERT_EQ(q.size(), 1u);
  EXPECT_EQ(q[0].rule, kWaitReason);
  const TypeRefusal* r = refusal(ds, j, fast);
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->rule, kWaitReason);
  EXPECT_DOUBLE_EQ(s.allocated_devices(slow), 0);

  ASSERT_TRUE(s.finish(blocker, 150).has_value());
  s.schedule(150);
  ASSERT_TRUE(running(s, j));
  EXPECT_EQ(s.status(j).allocation.type, fast);
}

TEST(SchedulerTest, HeteroStartsOnSlowTypeWhenFastIsBusyLong) {
  auto [s, slow, fast] = hetero_fleet(PlacementKind::kHetero);
  const JobId blocker = submit(s, job("blocker", 8, 8, {kCannotRun, 5000}), 0);
  s.schedule(0);
  ASSERT_TRUE(running(s, blocker));
  const JobId j = submit(s, job("j", 8, 8, {1000, 100}), 1);
  s.schedule(1);
  ASSERT_TRUE(running(s, j));
  EXPECT_EQ(s.status(j).allocation.type, slow);
}

TEST(SchedulerTest, HeteroPrefersFasterTypeWhenBothFree) {
  auto [s, slow, fast] = hetero_fleet(PlacementKind::kHetero);
  const JobId j = submit(s, job("j", 8, 8, {1000, 100}), 0);
  s.schedule(0);
  ASSERT_TRUE(running(s, j));
  EXPECT_EQ(s.status(j).allocation.type, fast);
}

TEST(SchedulerTest, FirstFitTakesFirstTypeInFleetOrder) {
  auto [s, slow, fast] = hetero_fleet(PlacementKind::kFirstFit);
  const JobId j = submit(s, job("j", 8, 8, {1000, 100}), 0);
  s.schedule(0);
  ASSERT_TRUE(running(s, j));
  EXPECT_EQ(s.status(j).allocation.type, slow);
  // The first type is full now: the next goes to the second.
  const JobId k = submit(s, job("k", 8, 8, {1000, 100}), 1);
  s.schedule(1);
  ASSERT_TRUE(running(s, k));
  EXPECT_EQ(s.status(k).allocation.type, fast);
}

// ---- 12. fractional pods ---------------------------------------------------

TEST(SchedulerTest, FractionalPodsShareADevice) {
  Fleet f;
  const SiteId site = f.add_site({"bj", "cn-north"});
  const auto t = add(f, site, accel("t4", "US"), 1, 2);
  Scheduler s = make(std::move(f));

  auto pod = [](std::string name, int milli) {
    JobSpec j = job(std::move(name), 1, 1, {100});
    j.kind = JobKind::kFractional;
    j.gpu_milli = milli;
    return j;
  };
  const JobId p1 = submit(s, pod("p1", 500), 0);
  s.schedule(0);
  EXPECT_DOUBLE_EQ(s.allocated_devices(t.type), 0.5);
  const JobId p2 = submit(s, pod("p2", 500), 1);
  s.schedule(1);
  EXPECT_DOUBLE_EQ(s.allocated_devices(t.type), 1.0);
  const JobId p3 = submit(s, pod("p3", 600), 2);
  s.schedule(2);
  for (JobId j : {p1, p2, p3}) ASSERT_TRUE(running(s, j));
  EXPECT_DOUBLE_EQ(s.allocated_devices(t.type), 1.6);

  auto slot = [&](JobId j) {
    const Allocation& a = s.status(j).allocation;
    EXPECT_EQ(a.groups.size(), 1u);
    EXPECT_EQ(a.groups.at(0).size(), 1u);
    return a.groups.at(0).at(0);
  };
  EXPECT_EQ(slot(p1).milli, 500);
  EXPECT_EQ(slot(p3).milli, 600);
  EXPECT_EQ(slot(p1).node, slot(p2).node);
  EXPECT_EQ(slot(p1).device, slot(p2).device) << "two halves share one device";
  EXPECT_NE(slot(p3).device, slot(p1).device) << "600 does not fit the full device";

  // A whole-device job cannot use the half-used devices.
  const JobId whole = submit(s, job("whole", 1, 1, {100}), 3);
  s.schedule(3);
  EXPECT_FALSE(running(s, whole));
  ASSERT_TRUE(s.finish(p1, 10).has_value());
  ASSERT_TRUE(s.finish(p2, 10).has_value());
  s.schedule(10);
  EXPECT_TRUE(running(s, whole));
  EXPECT_DOUBLE_EQ(s.allocated_devices(t.type), 1.6);
}

// Work thrown away is counted in device-seconds: a fractional pod holds
// gpu_milli/1000 of a device, so losing 100 s of a 600-milli pod loses 60
// device-seconds, never more than the pod held (status.device_s).
TEST(SchedulerTest, FractionalPodLostWorkOnNodeFailure) {
  Fleet f;
  const SiteId site = f.add_site({"bj", "cn-north"});
  const auto t = add(f, site, accel("t4", "US"), 2, 1);
  Scheduler s = make(std::move(f));
  JobSpec pod = job("pod", 1, 1, {1000});
  pod.gpu_milli = 600;
  const JobId j = submit(s, pod, 0);
  s.schedule(0);
  ASSERT_TRUE(running(s, j));
  ASSERT_TRUE(s.node_down(s.status(j).allocation.groups.at(0).at(0).node, 100).has_value());
  const auto kills = of(s.take_decisions(), DecisionKind::kKill, j);
  ASSERT_EQ(kills.size(), 1u);
  EXPECT_NEAR(kills[0].lost_device_s, 60, 1e-9);
  EXPECT_NEAR(s.status(j).device_s, 60, 1e-9);
  EXPECT_DOUBLE_EQ(s.allocated_devices(t.type), 0);
}

TEST(SchedulerTest, FractionalPodLostWorkOnDrainAndPreemption) {
  // Drain, without checkpoint on eviction.
  {
    Fleet f;
    const SiteId site = f.add_site({"bj", "cn-north"});
    const auto t = add(f, site, accel("t4", "US"), 1, 1);
    Rule rule;
    rule.id = "R-DRAIN";
    rule.kind = RuleKind::kDrain;
    rule.type = t.type;
    rule.from = 100;
    rule.within_s = 50;
    SchedulerConfig config;
    config.checkpoint_on_preempt = false;
    Scheduler s = make(std::move(f), {}, {rule}, config);
    JobSpec pod = job("pod", 1, 1, {1000});
    pod.gpu_milli = 600;
    const JobId j = submit(s, pod, 0);
    s.schedule(0);
    ASSERT_TRUE(running(s, j));
    s.schedule(100);
    const auto ev = of(s.take_decisions(), DecisionKind::kEvict, j);
    ASSERT_EQ(ev.size(), 1u);
    EXPECT_NEAR(s.status(j).device_s, 60, 1e-9);
    EXPECT_NEAR(ev[0].lost_device_s, 60, 1e-9) << "0.6 device x 100 s";
    EXPECT_LE(s.status(j).lost_device_s, s.status(j).device_s + 1e-9);
  }
  // Preemption, without checkpoint on preemption.
  {
    Fleet f;
    const SiteId site = f.add_site({"bj", "cn-north"});
    add(f, site, accel("t4", "US"), 1, 1);
    SchedulerConfig config;
    config.preemption = true;
    config.checkpoint_on_preempt = false;
    Scheduler s = make(std::move(f), {}, {}, config);
    JobSpec low = job("low", 1, 1, {1000});
    low.gpu_milli = 600;
    const JobId jl = submit(s, low, 0);
    s.schedule(0);
    ASSERT_TRUE(running(s, jl));
    JobSpec high = low;
    high.name = "high";
    high.priority = 10;
    const JobId jh = submit(s, high, 100);
    s.schedule(100);
    const auto pre = of(s.take_decisions(), DecisionKind::kPreempt, jl);
    ASSERT_EQ(pre.size(), 1u);
    EXPECT_EQ(pre[0].by, jh);
    EXPECT_NEAR(s.status(jl).device_s, 60, 1e-9);
    EXPECT_NEAR(pre[0].lost_device_s, 60, 1e-9) << "0.6 device x 100 s";
    EXPECT_LE(s.status(jl).lost_device_s, s.status(jl).device_s + 1e-9);
  }
}

TEST(SchedulerTest, DeliveredNodesTakeQueuedJobs) {
  Fleet f;
  const SiteId site = f.add_site({"gy", "cn-southwest"});
  const auto a = add(f, site, accel("ascend-910c", "CN"), 2, 8, 32);
  Scheduler s = make(std::move(f));
  const JobId j = submit(s, job("tp32", 32, 32, {100}), 0);
  s.schedule(0);
  EXPECT_FALSE(running(s, j));
  NodePool pool;
  pool.site = site;
  pool.type = a.type;
  pool.nodes = 4;
  pool.devices_per_node = 8;
  pool.scale_up_domain = 32;
  auto added = s.add_nodes(pool, 50);
  ASSERT_TRUE(added.has_value());
  ASSERT_EQ(added->size(), 4u);
  s.schedule(50);
  ASSERT_TRUE(running(s, j));
  std::set<int> expected;
  for (NodeId n : *added) expected.insert(n.value);
  EXPECT_EQ(nodes_of(s.status(j).allocation), expected) << "the delivered domain";
}

// ---- 13. determinism -------------------------------------------------------

std::vector<std::vector<std::pair<int, int>>> random_run(std::uint64_t seed) {
  Fleet f;
  const SiteId site = f.add_site({"bj", "cn-north"});
  add(f, site, accel("h100", "US"), 6);
  add(f, site, accel("ascend-910c", "CN"), 2, 8, 16);
  SchedulerConfig config;
  config.placement = PlacementKind::kRandom;
  config.seed = seed;
  Scheduler s = make(std::move(f), {}, {}, config);
  const int sizes[] = {1, 2, 4, 8, 3, 16, 2, 1, 5, 8};
  std::vector<JobId> ids;
  for (int i = 0; i < 10; ++i) {
    const int n = sizes[i];
    const int tp = n == 16 ? 8 : 1;
    ids.push_back(submit(s, job("j", n, tp, {100.0 + i, 200.0 + i}), i));
    s.schedule(i);
    if (i == 6) {
      (void)s.finish(ids[2], i);
      s.schedule(i);
    }
  }
  JobSpec frac = job("frac", 1, 1, {50, 60});
  frac.gpu_milli = 300;
  submit(s, frac, 20);
  submit(s, frac, 20);
  s.schedule(20);
  std::vector<std::vector<std::pair<int, int>>> out;
  for (const Decision& d : s.take_decisions()) {
    if (d.kind != DecisionKind::kPlace) continue;
    std::vector<std::pair<int, int>> slots{{d.job.value, d.allocation.type.value}};
    for (const auto& g : d.allocation.groups)
      for (const DeviceSlot& slot : g) slots.push_back({slot.node.value, slot.device});
    out.push_back(std::move(slots));
  }
  return out;
}

TEST(SchedulerTest, RandomPolicyIsDeterministicForASeed) {
  const auto a = random_run(42);
  const auto b = random_run(42);
  EXPECT_GE(a.size(), 10u);
  EXPECT_EQ(a, b);
}

// ---- 13b. accounting ------------------------------------------------------

// Every kind of change, with the fleet accounting recounted from the nodes
// after each (debug and sanitizer builds also check after every apply,
// including the trial releases of preemption).
TEST(SchedulerTest, AccountingMatchesTheNodesThroughEveryChange) {
  Fleet f;
  const SiteId site = f.add_site({"gy", "cn-southwest"});
  const auto cn = add(f, site, accel("ascend-910c", "CN", 300), 4, 8, 16);
  const auto us = add(f, site, accel("h100", "US", 900), 3);
  Rule share;
  share.id = "R-SHARE";
  share.kind = RuleKind::kDomesticShare;
  share.min_share = 0.2;
  SchedulerConfig config;
  config.preemption = true;
  config.queue = QueuePolicy::kPriority;
  Scheduler s = make(std::move(f), {{"a", 1}, {"b", 2}}, {share}, config);
  auto consistent = [&](const char* step) {
    auto r = s.check_accounting();
    EXPECT_TRUE(r.has_value()) << step << ": " << (r ? "" : r.error().message);
  };
  consistent("empty fleet");

  std::vector<JobId> ids;
  ids.push_back(submit(s, job("cn-tp16", 16, 16, {100, kCannotRun}), 0));
  ids.push_back(submit(s, job("us-8", 8, 8, {kCannotRun, 100}, TenantId{1}), 0));
  ids.push_back(submit(s, job("any-4", 4, 4, {200, 100}), 0));
  JobSpec frac = job("frac", 1, 1, {50, 40}, TenantId{1});
  frac.gpu_milli = 400;
  frac.cpu_milli = 500;
  ids.push_back(submit(s, frac, 0));
  ids.push_back(submit(s, frac, 0));
  s.schedule(0);
  consistent("first placements");
  EXPECT_TRUE(running(s, ids[0]));
  EXPECT_TRUE(running(s, ids[3]));

  JobSpec urgent = job("urgent", 24, 8, {100, 100});
  urgent.priority = 10;
  ids.push_back(submit(s, urgent, 5));
  s.schedule(5);
  consistent("preemption");

  ASSERT_TRUE(s.finish(ids[3], 10));
  ASSERT_TRUE(s.fail(ids[4], 10, "out of memory"));
  s.schedule(10);
  consistent("finish and fail");

  NodeId busy;  // a node with a running job
  for (JobId j : ids)
    if (running(s, j)) {
      busy = s.status(j).allocation.groups[0][0].node;
      break;
    }
  ASSERT_TRUE(busy.valid());
  ASSERT_TRUE(s.node_down(busy, 20));
  s.schedule(20);
  consistent("node down");
  ASSERT_TRUE(s.cordon(us.nodes[0], true, 25));
  s.schedule(25);
  consistent("cordon");
  ASSERT_TRUE(s.node_up(busy, 30));
  ASSERT_TRUE(s.cordon(us.nodes[0], false, 30));
  s.schedule(30);
  consistent("node up and uncordon");

  NodePool pool;
  pool.site = site;
  pool.type = cn.type;
  pool.nodes = 2;
  pool.devices_per_node = 8;
  pool.scale_up_domain = 16;
  ASSERT_TRUE(s.add_nodes(pool, 40));
  Rule drain;
  drain.id = "R-DRAIN";
  drain.kind = RuleKind::kDrain;
  drain.type = us.type;
  drain.from = 50;
  drain.within_s = 10;
  ASSERT_TRUE(s.add_rule(drain, 40));
  s.schedule(40);
  consistent("delivery");
  s.schedule(50);
  consistent("drain starts");
  s.schedule(60);
  consistent("drain deadline");
  EXPECT_EQ(s.allocated_devices(us.type), 0) << "the drained type is empty";
  const auto ds = s.take_decisions();
  for (DecisionKind k : {DecisionKind::kPreempt, DecisionKind::kKill, DecisionKind::kEvict})
    EXPECT_FALSE(of(ds, k).empty()) << decision_kind_name(k);

  s.fail_queued(70, "end of run");
  for (JobId j : ids)
    if (running(s, j)) ASSERT_TRUE(s.finish(j, 80));
  consistent("all ended");
  EXPECT_EQ(s.allocated_devices(cn.type), 0);
  EXPECT_FALSE(s.domestic_share().has_value());
}

// ---- 14. bad input ---------------------------------------------------------

TEST(SchedulerTest, BadInputIsRejectedWithAReason) {
  Fleet f;
  const SiteId site = f.add_site({"bj", "cn-north"});
  add(f, site, accel("h100", "US"), 1);
  add(f, site, accel("ascend-910c", "CN"), 1);
  Scheduler s = make(std::move(f));

  auto error_of = [&](JobSpec spec) -> std::string {
    auto r = s.submit(std::move(spec), 0);
    EXPECT_FALSE(r.has_value());
    return r ? std::string() : r.error().message;
  };
  std::string e = error_of(job("bad-tp", 4, 3, {100, 100}));
  EXPECT_NE(e.find("tp"), std::string::npos) << e;
  EXPECT_NE(e.find("multiple"), std::string::npos) << e;
  EXPECT_NE(e.find("bad-tp"), std::string::npos) << "names the job: " << e;

  JobSpec frac = job("bad-frac", 2, 1, {100, 100});
  frac.gpu_milli = 500;
  e = error_of(frac);
  EXPECT_NE(e.find("gpu_milli"), std::string::npos) << e;
  EXPECT_NE(e.find("one device"), std::string::npos) << e;

  e = error_of(job("bad-durations", 1, 1, {100}));
  EXPECT_NE(e.find("duration_s"), std::string::npos) << e;
  EXPECT_NE(e.find("1 entries for 2"), std::string::npos) << e;

  e = error_of(job("bad-tenant", 1, 1, {100, 100}, TenantId{5}));
  EXPECT_NE(e.find("unknown tenant"), std::string::npos) << e;
  e = error_of(job("no-tenant", 1, 1, {100, 100}, TenantId{}));
  EXPECT_NE(e.find("unknown tenant"), std::string::npos) << e;

  e = error_of(job("zero-duration", 1, 1, {0, 100}));
  EXPECT_NE(e.find("durations"), std::string::npos) << e;

  EXPECT_EQ(s.job_count(), 0) << "rejected jobs are not recorded";
  EXPECT_TRUE(s.take_decisions().empty());

  const JobId q = submit(s, job("queued", 16, 8, {100, 100}), 0);  // never fits
  s.schedule(0);
  ASSERT_EQ(s.status(q).state, JobState::kQueued);
  auto r = s.finish(q, 1);
  ASSERT_FALSE(r.has_value());
  EXPECT_NE(r.error().message.find("not running"), std::string::npos) << r.error().message;
  r = s.finish(JobId{99}, 1);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, ErrorCode::kNotFound);
  EXPECT_FALSE(s.node_down(NodeId{99}, 1).has_value());

  // A finished job cannot finish again.
  const JobId ok = submit(s, job("ok", 8, 8, {100, 100}), 2);
  s.schedule(2);
  ASSERT_TRUE(running(s, ok));
  ASSERT_TRUE(s.finish(ok, 3).has_value());
  EXPECT_FALSE(s.finish(ok, 4).has_value());
}

TEST(SchedulerTest, CreateRejectsBadRulesAndTenants) {
  auto fleet = [] {
    Fleet f;
    const SiteId site = f.add_site({"bj", "cn-north"});
    add(f, site, accel("h100", "US"), 1);
    return f;
  };
  Rule typed;
  typed.id = "R-X";
  typed.kind = RuleKind::kNoNewPlacements;  // no type
  auto r = Scheduler::create(fleet(), {}, {typed}, {});
  ASSERT_FALSE(r.has_value());
  EXPECT_NE(r.error().message.find("R-X"), std::string::npos) << r.error().message;

  Rule share;
  share.id = "R-S";
  share.kind = RuleKind::kDomesticShare;
  share.min_share = 1.5;
  r = Scheduler::create(fleet(), {}, {share}, {});
  ASSERT_FALSE(r.has_value());
  EXPECT_NE(r.error().message.find("min_share"), std::string::npos) << r.error().message;

  r = Scheduler::create(fleet(), {{"zero", 0}}, {}, {});
  ASSERT_FALSE(r.has_value());
  EXPECT_NE(r.error().message.find("weight"), std::string::npos) << r.error().message;
}

}  // namespace
}  // namespace suanli

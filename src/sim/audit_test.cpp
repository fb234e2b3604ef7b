// The event-log audit on hand-written logs: for every check one log that
// passes and one with exactly that violation.
#include "sim/audit.h"

#include <gtest/gtest.h>

#include <sstream>
#include <string>
#include <vector>

#include <fmt/format.h>

namespace suanli {
namespace {

// Fleet: type 0 = ascend-910c (CN, domestic, weight 752), type 1 = h200-sxm
// (US, weight 989.5). Node 0: 910c, domain 0, CPU/memory tracked; nodes 1-2:
// 910c, one 2-node scale-up domain; nodes 3-4: h200. 8 devices each.
std::string header(const std::string& rules = "") {
  return R"({"event":"header","version":1,"scenario":"audit-test","seed":1,"queue":"fifo",)"
         R"("placement":"first-fit","preemption":false,"types":[)"
         R"({"type":0,"id":"ascend-910c","origin":"CN","domestic":true,"compute_weight":752,"price_per_device_hour":1.5},)"
         R"({"type":1,"id":"h200-sxm","origin":"US","domestic":false,"compute_weight":989.5,"price_per_device_hour":3.7}],)"
         R"("sites":["wuhu"],"tenants":["gov","lab"],"nodes":[)"
         R"({"node":0,"name":"a-0","type":0,"site":0,"domain":0,"devices":8,"cpu_milli":16000,"memory_mib":65536},)"
         R"({"node":1,"name":"a-1","type":0,"site":0,"domain":1,"devices":8,"cpu_milli":0,"memory_mib":0},)"
         R"({"node":2,"name":"a-2","type":0,"site":0,"domain":1,"devices":8,"cpu_milli":0,"memory_mib":0},)"
         R"({"node":3,"name":"h-0","type":1,"site":0,"domain":2,"devices":8,"cpu_milli":0,"memory_mib":0},)"
         R"({"node":4,"name":"h-1","type":1,"site":0,"domain":3,"devices":8,"cpu_milli":0,"memory_mib":0}],)"
         R"("rules":[)" +
         rules + "]}\n";
}

const std::string kSensitive =
    R"({"id":"sensitive-on-domestic","kind":"sensitivity-origin","min_sensitivity":"confidential","origins":["CN"]})";
const std::string kShare =
    R"({"id":"domestic-50","kind":"domestic-share","min_share":0.5,"measure":"compute"})";
const std::string kApproved =
    R"({"id":"h200-approved","kind":"approved-customers","type":1,"tenants":[1]})";
const std::string kCustoms =
    R"({"id":"h200-customs","kind":"no-new-placements","type":1,"from":100.0})";
const std::string kDrain =
    R"({"id":"h200-drain","kind":"drain","type":1,"from":100.0,"within":50.0})";

struct Job {
  std::string name = "j";
  int tenant = 1;
  std::string sensitivity = "public";
  int devices = 8;
  int tp = 8;
  int milli = 1000;
  long long cpu = 0;
  long long mem = 0;
  std::string runnable = "[0,1]";
};

std::string submit(double t, int id, const Job& j) {
  return fmt::format(
      R"({{"t":{},"event":"submit","job":{},"name":"{}","tenant":{},"kind":"training",)"
      R"("priority":0,"sensitivity":"{}","devices":{},"tp":{},"milli":{},"cpu_milli":{},)"
      R"("memory_mib":{},"runnable":{}}})"
      "\n",
      t, id, j.name, j.tenant, j.sensitivity, j.devices, j.tp, j.milli, j.cpu, j.mem, j.runnable);
}

// Devices first..first+count-1 of a node, as group entries.
std::string devs(int node, int first, int count, int milli = 1000) {
  std::string out;
  for (int d = first; d < first + count; ++d)
    out += fmt::format("{}[{},{},{}]", out.empty() ? "" : ",", node, d, milli);
  return out;
}

std::string place(double t, int id, int type, const std::string& groups) {
  return fmt::format(
      R"({{"t":{},"event":"place","job":{},"type":{},"groups":{},"rule":"policy:first-fit","checked":[]}})"
      "\n",
      t, id, type, groups);
}

std::string release(double t, const std::string& event, int id, const std::string& groups,
                    const std::string& extra = "") {
  return fmt::format(R"({{"t":{},"event":"{}","job":{},"released":{},"lost_device_s":0{}}})"
                     "\n",
                     t, event, id, groups, extra);
}

std::string simple(double t, const std::string& event, int id) {
  return fmt::format(R"({{"t":{},"event":"{}","job":{}}})"
                     "\n",
                     t, event, id);
}

std::string node_event(double t, const std::string& event, int node) {
  return fmt::format(R"({{"t":{},"event":"{}","node":{}}})"
                     "\n",
                     t, event, node);
}

std::string end(double t, const std::string& reason = "drained") {
  return fmt::format(R"({{"t":{},"event":"end","reason":"{}"}})"
                     "\n",
                     t, reason);
}

AuditReport audit(const std::string& log) {
  std::istringstream in(log);
  auto r = audit_event_log(in);
  EXPECT_TRUE(r.has_value()) << (r ? "" : r.error().message);
  return r ? *r : AuditReport{};
}

long long count(const AuditReport& r, const std::string& check) {
  auto it = r.by_check.find(check);
  return it == r.by_check.end() ? 0 : it->second;
}

bool mentions(const AuditReport& r, const std::string& check, const std::string& text) {
  for (const auto& v : r.violations)
    if (v.check == check && v.message.find(text) != std::string::npos) return true;
  return false;
}

std::string dump(const AuditReport& r) {
  std::string out;
  for (const auto& v : r.violations)
    out += fmt::format("  [{}] t={} {}\n", v.check, v.t, v.message);
  return out;
}

// A clean run: one job on each type, both complete.
TEST(AuditClean, WellBehavedRunHasNoViolations) {
  Job a{.name = "dom"};
  Job b{.name = "big", .devices = 16, .tp = 16};
  std::string log = header(kSensitive + "," + kShare) + submit(0, 0, a) + submit(0, 1, b) +
                    place(0, 0, 0, "[[" + devs(0, 0, 8) + "]]") +
                    place(0, 1, 0, "[[" + devs(1, 0, 8) + "," + devs(2, 0, 8) + "]]") +
                    simple(50, "complete", 0) + simple(60, "complete", 1) + end(60);
  AuditReport r = audit(log);
  EXPECT_TRUE(r.ok()) << dump(r);
  EXPECT_EQ(r.lines, 8);
  EXPECT_EQ(r.jobs_submitted, 2);
  EXPECT_EQ(r.jobs_completed, 2);
  EXPECT_EQ(r.jobs_unfinished, 0);
  EXPECT_EQ(r.placements, 2);
  EXPECT_DOUBLE_EQ(r.min_domestic_share, 1.0);
}

TEST(AuditGang, TwoNodeGroupInOneDomainPasses) {
  Job b{.name = "big", .devices = 16, .tp = 16};
  AuditReport r = audit(header() + submit(0, 0, b) +
                        place(0, 0, 0, "[[" + devs(1, 0, 8) + "," + devs(2, 0, 8) + "]]") +
                        simple(5, "complete", 0) + end(5));
  EXPECT_TRUE(r.ok()) << dump(r);
}

TEST(AuditGang, TwoNodeGroupAcrossDomainsIsAViolation) {
  Job b{.name = "big", .devices = 16, .tp = 16};
  AuditReport r = audit(header() + submit(0, 0, b) +
                        place(0, 0, 0, "[[" + devs(0, 0, 8) + "," + devs(1, 0, 8) + "]]") +
                        simple(5, "complete", 0) + end(5));
  EXPECT_EQ(r.violation_count, 1) << dump(r);
  EXPECT_EQ(count(r, "gang"), 1);
  EXPECT_TRUE(mentions(r, "gang", "job 0 'big'"));
  EXPECT_TRUE(mentions(r, "gang", "domains"));
}

TEST(AuditGang, GroupThatFitsANodeMustNotBeSplit) {
  Job a{.name = "split"};
  AuditReport r =
      audit(header() + submit(0, 0, a) +
            place(0, 0, 0, "[[" + devs(1, 0, 4) + "," + devs(2, 0, 4) + "]]") + end(5, "horizon"));
  EXPECT_EQ(r.violation_count, 1) << dump(r);
  EXPECT_EQ(count(r, "gang"), 1);
  EXPECT_TRUE(mentions(r, "gang", "job 0 'split'"));
}

TEST(AuditGang, WrongGroupCountAndDuplicateDevice) {
  Job a{.name = "two-groups", .devices = 8, .tp = 4};
  // Right shape passes.
  EXPECT_TRUE(audit(header() + submit(0, 0, a) +
                    place(0, 0, 0, "[[" + devs(0, 0, 4) + "],[" + devs(1, 0, 4) + "]]") +
                    end(1, "horizon"))
                  .ok());
  // One group of 8 where tp is 4.
  AuditReport r = audit(header() + submit(0, 0, a) + place(0, 0, 0, "[[" + devs(0, 0, 8) + "]]") +
                        end(1, "horizon"));
  EXPECT_EQ(count(r, "gang"), 1) << dump(r);
  EXPECT_TRUE(mentions(r, "gang", "expected devices/tp = 2"));
  EXPECT_TRUE(mentions(r, "gang", "job 0 'two-groups'"));
  // A device listed twice.
  AuditReport d = audit(header() + submit(0, 0, a) +
                        place(0, 0, 0, "[[" + devs(0, 0, 4) + "],[" + devs(0, 3, 4) + "]]") +
                        end(1, "horizon"));
  EXPECT_EQ(count(d, "gang"), 1) << dump(d);
  EXPECT_TRUE(mentions(d, "gang", "listed twice"));
}

TEST(AuditGang, PlacementOfARunningJobAndOnAWrongTypeNode) {
  Job a{.name = "twice"};
  AuditReport r = audit(header() + submit(0, 0, a) + place(0, 0, 0, "[[" + devs(0, 0, 8) + "]]") +
                        place(1, 0, 0, "[[" + devs(1, 0, 8) + "]]") + end(2, "horizon"));
  EXPECT_EQ(count(r, "gang"), 1) << dump(r);
  EXPECT_TRUE(mentions(r, "gang", "already running"));
  AuditReport w = audit(header() + submit(0, 0, a) + place(0, 0, 0, "[[" + devs(3, 0, 8) + "]]") +
                        end(2, "horizon"));
  EXPECT_EQ(count(w, "gang"), 1) << dump(w);
  EXPECT_TRUE(mentions(w, "gang", "not the placed type"));
}

TEST(AuditCapacity, FractionalPodsShareADevice) {
  Job p{.name = "pod-a", .devices = 1, .tp = 1, .milli = 600, .runnable = "[0]"};
  Job q{.name = "pod-b", .devices = 1, .tp = 1, .milli = 400, .runnable = "[0]"};
  Job big{.name = "pod-c", .devices = 1, .tp = 1, .milli = 500, .runnable = "[0]"};
  std::string base = header() + submit(0, 0, p) + place(0, 0, 0, "[[" + devs(0, 0, 1, 600) + "]]");
  AuditReport ok = audit(base + submit(1, 1, q) + place(1, 1, 0, "[[" + devs(0, 0, 1, 400) + "]]") +
                         end(2, "horizon"));
  EXPECT_TRUE(ok.ok()) << dump(ok);
  AuditReport r = audit(base + submit(1, 1, big) +
                        place(1, 1, 0, "[[" + devs(0, 0, 1, 500) + "]]") + end(2, "horizon"));
  EXPECT_EQ(r.violation_count, 1) << dump(r);
  EXPECT_EQ(count(r, "capacity"), 1);
  EXPECT_TRUE(mentions(r, "capacity", "job 1 'pod-c'"));
}

TEST(AuditCapacity, NodeCpuIsTrackedWhenPositive) {
  Job a{.name = "cpu-a", .devices = 4, .tp = 4, .cpu = 8000};
  Job b{.name = "cpu-b", .devices = 4, .tp = 4, .cpu = 9000};
  Job small{.name = "cpu-c", .devices = 4, .tp = 4, .cpu = 8000};
  std::string base = header() + submit(0, 0, a) + place(0, 0, 0, "[[" + devs(0, 0, 4) + "]]");
  EXPECT_TRUE(audit(base + submit(0, 1, small) + place(0, 1, 0, "[[" + devs(0, 4, 4) + "]]") +
                    end(1, "horizon"))
                  .ok());
  // Nodes 1-2 do not track CPU: anything fits.
  Job huge{.name = "huge", .devices = 4, .tp = 4, .cpu = 1000000};
  EXPECT_TRUE(audit(header() + submit(0, 0, huge) + place(0, 0, 0, "[[" + devs(1, 0, 4) + "]]") +
                    end(1, "horizon"))
                  .ok());
  AuditReport r = audit(base + submit(0, 1, b) + place(0, 1, 0, "[[" + devs(0, 4, 4) + "]]") +
                        end(1, "horizon"));
  EXPECT_EQ(r.violation_count, 1) << dump(r);
  EXPECT_EQ(count(r, "capacity"), 1);
  EXPECT_TRUE(mentions(r, "capacity", "job 1 'cpu-b'"));
  EXPECT_TRUE(mentions(r, "capacity", "17000 cpu_milli"));
}

TEST(AuditType, PlacedTypeMustBeRunnable) {
  Job a{.name = "cn-only", .runnable = "[0]"};
  EXPECT_TRUE(audit(header() + submit(0, 0, a) + place(0, 0, 0, "[[" + devs(0, 0, 8) + "]]") +
                    end(1, "horizon"))
                  .ok());
  AuditReport r = audit(header() + submit(0, 0, a) + place(0, 0, 1, "[[" + devs(3, 0, 8) + "]]") +
                        end(1, "horizon"));
  EXPECT_EQ(r.violation_count, 1) << dump(r);
  EXPECT_EQ(count(r, "type"), 1);
  EXPECT_TRUE(mentions(r, "type", "job 0 'cn-only'"));
}

TEST(AuditSensitivity, ConfidentialStaysDomestic) {
  Job pub{.name = "open", .sensitivity = "internal"};
  Job conf{.name = "bank", .sensitivity = "confidential"};
  EXPECT_TRUE(audit(header(kSensitive) + submit(0, 0, pub) +
                    place(0, 0, 1, "[[" + devs(3, 0, 8) + "]]") + submit(0, 1, conf) +
                    place(0, 1, 0, "[[" + devs(0, 0, 8) + "]]") + end(1, "horizon"))
                  .ok());
  AuditReport r = audit(header(kSensitive) + submit(0, 0, conf) +
                        place(0, 0, 1, "[[" + devs(3, 0, 8) + "]]") + end(1, "horizon"));
  EXPECT_EQ(r.violation_count, 1) << dump(r);
  EXPECT_EQ(count(r, "sensitivity-origin"), 1);
  EXPECT_TRUE(mentions(r, "sensitivity-origin", "job 0 'bank'"));
  EXPECT_TRUE(mentions(r, "sensitivity-origin", "sensitive-on-domestic"));
}

TEST(AuditApproved, OnlyApprovedTenantsOnTheType) {
  Job lab{.name = "lab-run", .tenant = 1};
  Job gov{.name = "gov-run", .tenant = 0};
  EXPECT_TRUE(audit(header(kApproved) + submit(0, 0, lab) +
                    place(0, 0, 1, "[[" + devs(3, 0, 8) + "]]") + submit(0, 1, gov) +
                    place(0, 1, 0, "[[" + devs(0, 0, 8) + "]]") + end(1, "horizon"))
                  .ok());
  AuditReport r = audit(header(kApproved) + submit(0, 0, gov) +
                        place(0, 0, 1, "[[" + devs(3, 0, 8) + "]]") + end(1, "horizon"));
  EXPECT_EQ(r.violation_count, 1) << dump(r);
  EXPECT_EQ(count(r, "approved-customers"), 1);
  EXPECT_TRUE(mentions(r, "approved-customers", "job 0 'gov-run'"));
  EXPECT_TRUE(mentions(r, "approved-customers", "h200-approved"));
}

TEST(AuditNoNewPlacements, NothingNewFromTheCutoff) {
  Job a{.name = "late"};
  EXPECT_TRUE(audit(header(kCustoms) + submit(0, 0, a) +
                    place(99.5, 0, 1, "[[" + devs(3, 0, 8) + "]]") + end(200, "horizon"))
                  .ok());
  AuditReport r = audit(header(kCustoms) + submit(0, 0, a) +
                        place(100, 0, 1, "[[" + devs(3, 0, 8) + "]]") + end(200, "horizon"));
  EXPECT_EQ(r.violation_count, 1) << dump(r);
  EXPECT_EQ(count(r, "no-new-placements"), 1);
  EXPECT_TRUE(mentions(r, "no-new-placements", "job 0 'late'"));
  EXPECT_TRUE(mentions(r, "no-new-placements", "h200-customs"));
}

TEST(AuditDrain, NoPlacementOnADrainingType) {
  Job a{.name = "into-drain"};
  EXPECT_TRUE(audit(header(kDrain) + submit(0, 0, a) +
                    place(10, 0, 1, "[[" + devs(3, 0, 8) + "]]") + simple(120, "complete", 0) +
                    end(300))
                  .ok());
  AuditReport r =
      audit(header(kDrain) + submit(0, 0, a) + place(110, 0, 1, "[[" + devs(3, 0, 8) + "]]") +
            simple(120, "complete", 0) + end(300));
  EXPECT_EQ(r.violation_count, 1) << dump(r);
  EXPECT_EQ(count(r, "drain"), 1);
  EXPECT_TRUE(mentions(r, "drain", "job 0 'into-drain'"));
  EXPECT_TRUE(mentions(r, "drain", "h200-drain"));
}

TEST(AuditDrainDeadline, EvictedInTimePasses) {
  Job a{.name = "held"};
  std::string g = "[[" + devs(3, 0, 8) + "]]";
  AuditReport r =
      audit(header(kDrain) + submit(0, 0, a) + place(0, 0, 1, g) +
            release(140, "evict", 0, g, R"(,"rule":"h200-drain")") +
            submit(151, 1, Job{.name = "other", .runnable = "[0]"}) + end(300, "horizon"));
  EXPECT_TRUE(r.ok()) << dump(r);
  EXPECT_EQ(r.drain_lateness_s, 0);
  EXPECT_EQ(r.jobs_unfinished, 2);
}

TEST(AuditDrainDeadline, HeldPastTheDeadlineIsLate) {
  Job a{.name = "held"};
  std::string g = "[[" + devs(3, 0, 8) + "]]";
  AuditReport r =
      audit(header(kDrain) + submit(0, 0, a) + place(0, 0, 1, g) +
            submit(151, 1, Job{.name = "other", .runnable = "[0]"}) +
            release(200, "evict", 0, g, R"(,"rule":"h200-drain")") + end(300, "horizon"));
  EXPECT_EQ(r.violation_count, 1) << dump(r);
  EXPECT_EQ(count(r, "drain-deadline"), 1);
  EXPECT_TRUE(mentions(r, "drain-deadline", "job 0 'held'"));
  EXPECT_TRUE(mentions(r, "drain-deadline", "h200-drain"));
  EXPECT_DOUBLE_EQ(r.drain_lateness_s, 50);
}

TEST(AuditDrainDeadline, CheckedAtEndWhenNoLaterLine) {
  Job a{.name = "held"};
  AuditReport r = audit(header(kDrain) + submit(0, 0, a) +
                        place(0, 0, 1, "[[" + devs(3, 0, 8) + "]]") + end(170, "horizon"));
  EXPECT_EQ(count(r, "drain-deadline"), 1) << dump(r);
  EXPECT_DOUBLE_EQ(r.drain_lateness_s, 20);
}

TEST(AuditDomesticShare, ForeignPlacementNeedsEnoughDomestic) {
  Job dom{.name = "dom", .devices = 16, .tp = 16, .runnable = "[0]"};
  Job us{.name = "us", .runnable = "[1]"};
  // 16 x 752 domestic vs 8 x 989.5 foreign: share 0.603.
  AuditReport ok = audit(header(kShare) + submit(0, 0, dom) + submit(0, 1, us) +
                         place(0, 0, 0, "[[" + devs(1, 0, 8) + "," + devs(2, 0, 8) + "]]") +
                         place(0, 1, 1, "[[" + devs(3, 0, 8) + "]]") + end(1, "horizon"));
  EXPECT_TRUE(ok.ok()) << dump(ok);
  EXPECT_NEAR(ok.min_domestic_share, 12032.0 / (12032.0 + 7916.0), 1e-12);
  AuditReport r = audit(header(kShare) + submit(0, 1, us) + submit(0, 0, dom) +
                        place(0, 1, 1, "[[" + devs(3, 0, 8) + "]]") + end(1, "horizon"));
  EXPECT_EQ(count(r, "domestic-share"), 1) << dump(r);
  EXPECT_TRUE(mentions(r, "domestic-share", "job 1 'us'"));
  EXPECT_TRUE(mentions(r, "domestic-share", "domestic-50"));
  EXPECT_DOUBLE_EQ(r.min_domestic_share, 0);
}

TEST(AuditDomesticShare, DevicesMeasureCountsDevices) {
  std::string rule =
      R"({"id":"dev-50","kind":"domestic-share","min_share":0.5,"measure":"devices"})";
  Job dom{.name = "dom", .runnable = "[0]"};
  Job us{.name = "us", .runnable = "[1]"};
  // 8 vs 8 devices: exactly 0.5 by devices (0.43 by compute).
  AuditReport r = audit(header(rule) + submit(0, 0, dom) + submit(0, 1, us) +
                        place(0, 0, 0, "[[" + devs(0, 0, 8) + "]]") +
                        place(0, 1, 1, "[[" + devs(3, 0, 8) + "]]") + end(1, "horizon"));
  EXPECT_TRUE(r.ok()) << dump(r);
  EXPECT_DOUBLE_EQ(r.min_domestic_share, 0.5);
}

TEST(AuditShareFeasible, BelowTargetOnlyWhenNothingCanGoDomestic) {
  Job dom{.name = "dom", .devices = 16, .tp = 16, .runnable = "[0]"};
  Job us{.name = "us", .runnable = "[1]"};
  std::string base = header(kShare) + submit(0, 0, dom) + submit(0, 1, us) +
                     place(0, 0, 0, "[[" + devs(1, 0, 8) + "," + devs(2, 0, 8) + "]]") +
                     place(0, 1, 1, "[[" + devs(3, 0, 8) + "]]");
  // Job 2 can only run on h200: the share may stay below target.
  AuditReport ok = audit(base + submit(5, 2, Job{.name = "waiting", .runnable = "[1]"}) +
                         simple(10, "complete", 0) + end(20, "horizon"));
  EXPECT_TRUE(ok.ok()) << dump(ok);
  EXPECT_DOUBLE_EQ(ok.min_domestic_share, 0);
  // Job 2 could run on the 910c and stays queued.
  AuditReport r = audit(base + submit(5, 2, Job{.name = "waiting", .runnable = "[0,1]"}) +
                        simple(10, "complete", 0) + end(20, "horizon"));
  EXPECT_EQ(r.violation_count, 1) << dump(r);
  EXPECT_EQ(count(r, "share-feasible"), 1);
  EXPECT_TRUE(mentions(r, "share-feasible", "job 2 'waiting'"));
  EXPECT_TRUE(mentions(r, "share-feasible", "ascend-910c"));
}

TEST(AuditShareFeasible, GangShapeLimitsWhatFits) {
  // With only node 0 free, a tp=16 job cannot go domestic: no violation.
  Job dom{.name = "dom", .devices = 16, .tp = 16, .runnable = "[0]"};
  Job us{.name = "us", .runnable = "[1]"};
  std::string base = header(kShare) + submit(0, 0, dom) + submit(0, 1, us) +
                     place(0, 0, 0, "[[" + devs(1, 0, 8) + "," + devs(2, 0, 8) + "]]") +
                     place(0, 1, 1, "[[" + devs(3, 0, 8) + "]]") +
                     submit(1, 3, Job{.name = "filler", .runnable = "[0]"}) +
                     place(1, 3, 0, "[[" + devs(0, 0, 8) + "]]");
  AuditReport r =
      audit(base + simple(10, "complete", 0) + simple(10, "complete", 3) +
            submit(10, 2, Job{.name = "wide", .devices = 16, .tp = 16}) +
            place(10, 2, 0, "[[" + devs(1, 0, 8) + "," + devs(2, 0, 8) + "]]") +
            simple(11, "complete", 2) + submit(11, 4, Job{.name = "w2", .devices = 32, .tp = 16}) +
            end(20, "horizon"));
  EXPECT_EQ(count(r, "share-feasible"), 0) << dump(r);
}

TEST(AuditLifecycle, CompleteOnlyARunningJob) {
  Job a{.name = "never-ran"};
  AuditReport r = audit(header() + submit(0, 0, a) + simple(5, "complete", 0) + end(10, "horizon"));
  EXPECT_EQ(r.violation_count, 1) << dump(r);
  EXPECT_EQ(count(r, "lifecycle"), 1);
  EXPECT_TRUE(mentions(r, "lifecycle", "job 0 'never-ran'"));
}

TEST(AuditLifecycle, FailNeedsAReason) {
  Job a{.name = "doomed"};
  std::string fail_ok = R"({"t":5,"event":"fail","job":0,"reason":"timeout","rule":""})"
                        "\n";
  std::string fail_bad = R"({"t":5,"event":"fail","job":0,"reason":"","rule":""})"
                         "\n";
  AuditReport ok = audit(header() + submit(0, 0, a) + fail_ok + end(10));
  EXPECT_TRUE(ok.ok()) << dump(ok);
  EXPECT_EQ(ok.jobs_failed, 1);
  AuditReport r = audit(header() + submit(0, 0, a) + fail_bad + end(10));
  EXPECT_EQ(count(r, "lifecycle"), 1) << dump(r);
  EXPECT_TRUE(mentions(r, "lifecycle", "job 0 'doomed'"));
}

TEST(AuditLifecycle, PreemptMustReleaseWhatTheJobHeld) {
  Job a{.name = "victim", .devices = 4, .tp = 4};
  std::string base = header() + submit(0, 0, a) + place(0, 0, 0, "[[" + devs(0, 0, 4) + "]]");
  std::string by = R"(,"by":1,"rule":"preemption")";
  AuditReport ok =
      audit(base + release(5, "preempt", 0, "[[" + devs(0, 0, 4) + "]]", by) +
            place(6, 0, 0, "[[" + devs(0, 0, 4) + "]]") + simple(9, "complete", 0) + end(9));
  EXPECT_TRUE(ok.ok()) << dump(ok);
  AuditReport r =
      audit(base + release(5, "preempt", 0, "[[" + devs(0, 4, 4) + "]]", by) + end(9, "horizon"));
  EXPECT_EQ(r.violation_count, 1) << dump(r);
  EXPECT_EQ(count(r, "lifecycle"), 1);
  EXPECT_TRUE(mentions(r, "lifecycle", "job 0 'victim'"));
}

TEST(AuditLifecycle, EventForAnUnknownJob) {
  AuditReport r = audit(header() + place(0, 7, 0, "[[" + devs(0, 0, 8) + "]]") + end(1));
  EXPECT_EQ(r.violation_count, 1) << dump(r);
  EXPECT_EQ(count(r, "lifecycle"), 1);
  EXPECT_TRUE(mentions(r, "lifecycle", "job 7"));
}

TEST(AuditLifecycle, DrainedRunMustEndEveryJob) {
  Job a{.name = "lost"};
  AuditReport horizon = audit(header() + submit(0, 0, a) + end(10, "horizon"));
  EXPECT_TRUE(horizon.ok()) << dump(horizon);
  EXPECT_EQ(horizon.jobs_unfinished, 1);
  AuditReport r = audit(header() + submit(0, 0, a) + end(10, "drained"));
  EXPECT_EQ(r.violation_count, 1) << dump(r);
  EXPECT_EQ(count(r, "vanished"), 1);
  EXPECT_TRUE(mentions(r, "vanished", "job 0 'lost'"));
}

TEST(AuditLifecycle, MissingEndLine) {
  AuditReport r = audit(header() + submit(0, 0, Job{}));
  EXPECT_EQ(count(r, "lifecycle"), 1) << dump(r);
  EXPECT_EQ(r.jobs_unfinished, 1);
}

TEST(AuditNodeDown, JobsOnAFailedNodeAreKilledAtOnce) {
  Job a{.name = "on-node-1", .runnable = "[0]"};
  std::string g = "[[" + devs(1, 0, 8) + "]]";
  std::string base =
      header() + submit(0, 0, a) + place(0, 0, 0, g) + node_event(10, "node_down", 1);
  AuditReport ok = audit(base + release(10, "kill", 0, g, R"(,"node":1,"rule":"node-failure")") +
                         place(10, 0, 0, "[[" + devs(0, 0, 8) + "]]") + end(20, "horizon"));
  EXPECT_TRUE(ok.ok()) << dump(ok);
  AuditReport r = audit(base + end(20, "horizon"));
  EXPECT_EQ(r.violation_count, 1) << dump(r);
  EXPECT_EQ(count(r, "node-down"), 1);
  EXPECT_TRUE(mentions(r, "node-down", "job 0 'on-node-1'"));
}

TEST(AuditNodeDown, NoPlacementOnADownNode) {
  Job a{.name = "onto-dead", .runnable = "[0]"};
  std::string base = header() + node_event(1, "node_down", 1) + submit(2, 0, a);
  AuditReport r = audit(base + place(2, 0, 0, "[[" + devs(1, 0, 8) + "]]") + end(20, "horizon"));
  EXPECT_EQ(r.violation_count, 1) << dump(r);
  EXPECT_EQ(count(r, "node-down"), 1);
  EXPECT_TRUE(mentions(r, "node-down", "job 0 'onto-dead'"));
  AuditReport ok = audit(base + node_event(3, "node_up", 1) +
                         place(3, 0, 0, "[[" + devs(1, 0, 8) + "]]") + end(20, "horizon"));
  EXPECT_TRUE(ok.ok()) << dump(ok);
}

TEST(AuditDelivery, DeliveredNodesContinueTheNumbering) {
  std::string delivery =
      R"({"t":5,"event":"delivery","nodes":[{"node":5,"name":"a-3","type":0,"site":0,"domain":4,"devices":8,"cpu_milli":0,"memory_mib":0}]})"
      "\n";
  Job a{.name = "new-kit", .runnable = "[0]"};
  AuditReport ok = audit(header() + delivery + submit(5, 0, a) +
                         place(5, 0, 0, "[[" + devs(5, 0, 8) + "]]") + end(6, "horizon"));
  EXPECT_TRUE(ok.ok()) << dump(ok);
  AuditReport r = audit(header() + delivery + submit(5, 0, a) +
                        place(5, 0, 0, "[[" + devs(6, 0, 8) + "]]") + end(6, "horizon"));
  EXPECT_EQ(count(r, "gang"), 1) << dump(r);
  EXPECT_TRUE(mentions(r, "gang", "node 6 does not exist"));
}

TEST(AuditTimeOrder, TimeMustNotGoBack) {
  AuditReport r = audit(header() + submit(5, 0, Job{}) + submit(4, 1, Job{}) + end(6, "horizon"));
  EXPECT_EQ(r.violation_count, 1) << dump(r);
  EXPECT_EQ(count(r, "time-order"), 1);
  EXPECT_EQ(r.violations.at(0).line, 3);
}

TEST(AuditMalformed, BadLineIsAnErrorNamingTheLine) {
  std::istringstream in(header() + submit(0, 0, Job{}) + "{not json\n" + end(1));
  auto r = audit_event_log(in);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, ErrorCode::kParse);
  EXPECT_NE(r.error().message.find("line 3"), std::string::npos) << r.error().message;
}

TEST(AuditMalformed, MissingFieldNamesLineAndKey) {
  std::istringstream in(header() + R"({"t":0,"event":"submit","job":0,"name":"x"})" + "\n" +
                        end(1));
  auto r = audit_event_log(in);
  ASSERT_FALSE(r.has_value());
  EXPECT_NE(r.error().message.find("line 2"), std::string::npos) << r.error().message;
  EXPECT_NE(r.error().message.find("tenant"), std::string::npos) << r.error().message;
}

TEST(AuditMalformed, HeaderMustComeFirstAndFileMustExist) {
  std::istringstream in(end(1));
  auto r = audit_event_log(in);
  ASSERT_FALSE(r.has_value());
  EXPECT_NE(r.error().message.find("line 1"), std::string::npos);
  auto missing = audit_event_log_file("/nonexistent/suanli-events.jsonl");
  ASSERT_FALSE(missing.has_value());
  EXPECT_EQ(missing.error().code, ErrorCode::kIo);
}

TEST(AuditReportCap, CountsEveryViolationButKeepsAFewMessages) {
  std::string log = header();
  for (int i = 0; i < 1005; ++i) log += simple(0, "complete", i);
  AuditReport r = audit(log + end(1));
  EXPECT_EQ(r.violation_count, 1005);
  EXPECT_EQ(r.by_check["lifecycle"], 1005);
  EXPECT_EQ(r.violations.size(), kMaxAuditMessages);
}

}  // namespace
}  // namespace suanli

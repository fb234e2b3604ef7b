// Scenario loading: the bundled example's shape, the resolution rules
// (types, defaults, hours to seconds) and the loader's error messages, each
// checked for the file, the line and the dotted key.
#include "sim/scenario.h"

#include <gtest/gtest.h>

#include <fmt/format.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include "bundled_catalog.h"
#include "contains.h"
#include "sched/fleet.h"
#include "sim/work_model.h"
#include "temp_dir.h"

namespace suanli {
namespace {

namespace fs = std::filesystem;

constexpr const char* kFile = "fake/dir/scn.toml";

// A small valid scenario the error tests append to.
const std::string kBase = R"(name = "t"
[[sites]]
name = "wuhu"
[[sites]]
name = "qingyang"
[[fleet]]
site = "wuhu"
accelerator = "h200-sxm"
nodes = 2
[[fleet]]
site = "qingyang"
accelerator = "ascend-910c"
nodes = 48
[[tenants]]
name = "gov"
sensitivity = "confidential"
[[tenants]]
name = "finance"
[[tenants]]
name = "lab"
)";

// 1-based line of the first line containing `needle` (0 if none).
int line_of(const std::string& text, const std::string& needle) {
  const auto pos = text.find(needle);
  if (pos == std::string::npos) return 0;
  int line = 1;
  for (std::size_t i = 0; i < pos; ++i) line += text[i] == '\n';
  return line;
}

using ::suanli::testing::contains;

class ScenarioTest : public testing::BundledCatalogTest {
 protected:
  Result<Scenario> parse(const std::string& text) { return parse_scenario(text, kFile, *catalog_); }
  // The error message of a text that must fail.
  std::string error_of(const std::string& text) {
    auto s = parse(text);
    EXPECT_FALSE(s.has_value()) << "expected an error for:\n" << text;
    if (s) return "";
    EXPECT_EQ(s.error().code, ErrorCode::kParse);
    return s.error().message;
  }
  // Checks "file:line: key:" where line is that of `needle` in `text`.
  void expect_error_at(const std::string& text, const std::string& needle, const std::string& key,
                       const std::string& what) {
    const int line = line_of(text, needle);
    ASSERT_GT(line, 0) << needle;
    const std::string message = error_of(text);
    EXPECT_TRUE(contains(message, fmt::format("{}:{}: {}: ", kFile, line, key)))
        << "expected " << kFile << ":" << line << ": " << key << "\n got: " << message;
    EXPECT_TRUE(contains(message, what)) << "expected '" << what << "'\n got: " << message;
  }

  static int type_index(const Scenario& s, const std::string& id) {
    auto t = s.fleet.find_type(id);
    EXPECT_TRUE(t.has_value()) << id;
    return t ? t->value : -1;
  }
};

constexpr double kHour = 3600;

// --- the bundled example ---------------------------------------------------

TEST_F(ScenarioTest, BundledExampleLoadsWithExpectedShape) {
  const fs::path file = fs::path(SUANLI_SOURCE_DIR) / "examples" / "hybrid-cloud-2026.toml";
  auto loaded = load_scenario(file, *catalog_);
  ASSERT_TRUE(loaded) << loaded.error().message;
  const Scenario& s = *loaded;
  EXPECT_EQ(s.name, "hybrid-cloud-2026");
  EXPECT_EQ(s.seed, 42u);
  EXPECT_EQ(s.scheduler.seed, 42u);
  EXPECT_EQ(s.scheduler.queue, QueuePolicy::kFifo);
  EXPECT_EQ(s.scheduler.placement, *parse_placement_policy("hetero"));
  // No horizon: the run goes on until every job has ended.
  EXPECT_FALSE(s.simulation.until.has_value());

  // Types in order of first appearance; origin decides domestic.
  ASSERT_EQ(s.fleet.types().size(), 5u);
  const std::vector<std::string> ids = {"h200-sxm", "h20", "ascend-910b", "ascend-910c", "mlu590"};
  const std::vector<bool> domestic = {false, false, true, true, true};
  for (std::size_t i = 0; i < ids.size(); ++i) {
    EXPECT_EQ(s.fleet.types()[i].id, ids[i]);
    EXPECT_EQ(s.fleet.types()[i].domestic, domestic[i]) << ids[i];
    EXPECT_GT(s.fleet.types()[i].compute_weight, 0) << ids[i];
    EXPECT_GT(s.fleet.types()[i].mtbf_hours, 0) << ids[i];
    EXPECT_GT(s.fleet.types()[i].mttr_hours, 0) << ids[i];
  }
  EXPECT_DOUBLE_EQ(s.fleet.types()[0].compute_weight, 989.5);
  EXPECT_EQ(s.fleet.types()[0].origin, "US");

  // The CloudMatrix: 384 devices per domain, i.e. one domain of 48 nodes.
  const TypeId cm{type_index(s, "ascend-910c")};
  EXPECT_EQ(s.fleet.domain_devices(cm), 384);
  int cm_domains = 0;
  for (const ScaleUpDomain& d : s.fleet.domains()) {
    if (d.type != cm) continue;
    ++cm_domains;
    EXPECT_EQ(d.nodes_per_domain, 48);
    EXPECT_EQ(d.nodes.size(), 48u);
  }
  EXPECT_EQ(cm_domains, 1);
  EXPECT_EQ(s.fleet.domain_devices(TypeId{type_index(s, "h200-sxm")}), 8);

  // Size and domestic compute share of the initial fleet.
  int devices = 0;
  double compute = 0;
  double domestic_compute = 0;
  for (const AcceleratorType& t : s.fleet.types()) {
    const TypeId id = *s.fleet.find_type(t.id);
    devices += s.fleet.devices_total(id);
    compute += t.compute_weight * s.fleet.devices_total(id);
    if (t.domestic) domestic_compute += t.compute_weight * s.fleet.devices_total(id);
  }
  EXPECT_GE(devices, 1000);
  EXPECT_LE(devices, 1500);
  EXPECT_GE(domestic_compute / compute, 0.55);
  EXPECT_EQ(s.pools.size(), 5u);

  // The delivery adds 910B nodes later, not to the initial fleet.
  ASSERT_EQ(s.deliveries.size(), 1u);
  EXPECT_DOUBLE_EQ(s.deliveries[0].at, 300 * kHour);
  EXPECT_EQ(s.deliveries[0].pool.type.value, type_index(s, "ascend-910b"));
  EXPECT_EQ(s.fleet.devices_total(TypeId{type_index(s, "ascend-910b")}), 256);

  // Tenants and rules.
  ASSERT_EQ(s.tenants.size(), 4u);
  EXPECT_EQ(s.tenants[3].name, "saas");
  ASSERT_EQ(s.rules.size(), 5u);
  const std::vector<RuleKind> kinds = {RuleKind::kSensitivityOrigin, RuleKind::kDomesticShare,
                                       RuleKind::kApprovedCustomers, RuleKind::kNoNewPlacements,
                                       RuleKind::kDrain};
  for (std::size_t i = 0; i < kinds.size(); ++i) EXPECT_EQ(s.rules[i].kind, kinds[i]) << i;
  EXPECT_EQ(s.rules[0].origins, std::vector<std::string>{"CN"});
  EXPECT_EQ(s.rules[0].min_sensitivity, Sensitivity::kConfidential);
  EXPECT_DOUBLE_EQ(s.rules[1].min_share, 0.5);
  EXPECT_EQ(s.rules[1].measure, ShareMeasure::kCompute);
  EXPECT_EQ(s.rules[2].type, TypeId{type_index(s, "h200-sxm")});
  ASSERT_EQ(s.rules[2].tenants.size(), 2u);
  EXPECT_EQ(s.rules[2].tenants[0].value, 2);  // lab
  EXPECT_EQ(s.rules[2].tenants[1].value, 3);  // saas
  EXPECT_DOUBLE_EQ(s.rules[3].from, 240 * kHour);
  EXPECT_EQ(s.rules[4].type, TypeId{type_index(s, "h20")});
  EXPECT_DOUBLE_EQ(s.rules[4].from, 360 * kHour);
  EXPECT_DOUBLE_EQ(s.rules[4].within_s, 24 * kHour);

  // Workload size and tenant-default sensitivities.
  int jobs = static_cast<int>(s.jobs.size());
  for (const Generator& g : s.generators) {
    jobs += g.count;
    EXPECT_FALSE(g.templates.empty());
    const bool confidential =
        s.tenants[g.tenant.index()].name == "gov" || s.tenants[g.tenant.index()].name == "finance";
    for (const JobTemplate& t : g.templates) {
      ASSERT_TRUE(t.sensitivity.has_value()) << t.name;
      EXPECT_EQ(*t.sensitivity, confidential ? Sensitivity::kConfidential : Sensitivity::kPublic)
          << t.name;
      EXPECT_TRUE(t.work.tokens || t.work.reference_hours) << t.name;
    }
  }
  EXPECT_GE(jobs, 500);
  EXPECT_LE(jobs, 1500);
  ASSERT_GE(s.jobs.size(), 2u);
  EXPECT_DOUBLE_EQ(s.jobs[0].submit, 1.5 * kHour);
  EXPECT_EQ(s.jobs[0].job.sensitivity, Sensitivity::kSecret);
  EXPECT_DOUBLE_EQ(s.jobs[0].job.checkpoint_interval_s, 30 * 60);

  // Node events name real nodes.
  ASSERT_GE(s.node_events.size(), 1u);
  EXPECT_EQ(s.node_events[0].node, "qingyang-ascend-910c-5");
  EXPECT_DOUBLE_EQ(s.node_events[0].at, 100 * kHour);
  EXPECT_FALSE(s.node_events[0].up);
}

// The example at the end of docs/scenario-format.md stays valid.
TEST_F(ScenarioTest, DocumentationExampleLoads) {
  const fs::path doc = fs::path(SUANLI_SOURCE_DIR) / "docs" / "scenario-format.md";
  std::ifstream in(doc);
  ASSERT_TRUE(in) << doc;
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const auto begin = text.rfind("```toml\n");
  ASSERT_NE(begin, std::string::npos);
  const auto body = begin + 8;
  const auto end = text.find("```", body);
  ASSERT_NE(end, std::string::npos);
  auto s = parse_scenario(text.substr(body, end - body), doc, *catalog_);
  ASSERT_TRUE(s) << s.error().message;
  EXPECT_EQ(s->name, "two-sites");
  EXPECT_EQ(s->fleet.nodes().size(), 52u);
  EXPECT_EQ(s->fleet.domain_devices(*s->fleet.find_type("ascend-910c")), 384);
  ASSERT_EQ(s->node_events.size(), 1u);
  EXPECT_EQ(s->node_events[0].node, "wuhu-h200-sxm-5");
  EXPECT_EQ(s->jobs[0].job.sensitivity, Sensitivity::kConfidential);
}

// --- resolution rules ------------------------------------------------------

TEST_F(ScenarioTest, DefaultsAndUnitConversions) {
  const std::string text = kBase + R"(
[[generators]]
tenant = "gov"
rate_per_hour = 2
count = 10
start_hours = 5
  [[generators.jobs]]
  devices = [8, 16]
  model = "llama3-8b"
  tokens = [1e9, 5e9]
  checkpoint_minutes = 30
  cpu_cores = 4
  memory_gib = 2
[[jobs]]
tenant = "lab"
submit_hours = 2.5
name = "one"
kind = "batch"
devices = 16
reference = "h100-sxm"
reference_hours = 3
[[deliveries]]
at_hours = 10
site = "wuhu"
accelerator = "h20"
nodes = 1
)";
  auto s = parse(text);
  ASSERT_TRUE(s) << s.error().message;
  EXPECT_EQ(s->name, "t");
  EXPECT_EQ(s->seed, 1u);
  EXPECT_EQ(s->file, fs::path(kFile));
  // Struct defaults when [scheduler] / [simulation] are absent.
  EXPECT_EQ(s->scheduler.placement, SchedulerConfig{}.placement);
  EXPECT_FALSE(s->simulation.until.has_value());

  // h200: catalog domain 8; 910C: catalog domain 384 (a multiple of 8).
  EXPECT_EQ(s->pools[0].devices_per_node, 8);
  EXPECT_EQ(s->pools[0].scale_up_domain, 8);
  EXPECT_EQ(s->pools[1].scale_up_domain, 384);
  // Price defaults to the catalog's rental price.
  EXPECT_DOUBLE_EQ(s->fleet.types()[0].price_per_device_hour,
                   accel("h200-sxm").rental_usd_per_hour->value);
  EXPECT_DOUBLE_EQ(s->fleet.types()[0].mtbf_hours, 0);

  // A delivery's type is in the fleet; its pool is not.
  ASSERT_EQ(s->fleet.types().size(), 3u);
  EXPECT_EQ(s->fleet.types()[2].id, "h20");
  EXPECT_EQ(s->fleet.devices_total(TypeId{2}), 0);
  EXPECT_EQ(s->pools.size(), 2u);
  ASSERT_EQ(s->deliveries.size(), 1u);
  EXPECT_DOUBLE_EQ(s->deliveries[0].at, 10 * kHour);

  ASSERT_EQ(s->generators.size(), 1u);
  const Generator& g = s->generators[0];
  EXPECT_DOUBLE_EQ(g.start, 5 * kHour);
  EXPECT_EQ(g.count, 10);
  const JobTemplate& t = g.templates[0];
  EXPECT_EQ(t.name, "training");  // the kind's name by default
  EXPECT_EQ(t.devices, (std::vector<int>{8, 16}));
  EXPECT_FALSE(t.tp.has_value());
  EXPECT_EQ(t.sensitivity, Sensitivity::kConfidential);  // gov's
  EXPECT_DOUBLE_EQ(t.checkpoint_interval_s, 1800);
  EXPECT_EQ(t.cpu_milli, 4000);
  EXPECT_EQ(t.memory_mib, 2048);
  ASSERT_TRUE(t.work.tokens.has_value());
  EXPECT_DOUBLE_EQ(t.work.tokens->min, 1e9);
  EXPECT_DOUBLE_EQ(t.work.tokens->max, 5e9);
  EXPECT_TRUE(t.work.tokens->log);
  EXPECT_EQ(t.work.model, "llama3-8b");
  EXPECT_EQ(t.defined_at, fmt::format("{}:{}", kFile, line_of(text, "[[generators.jobs]]")));

  ASSERT_EQ(s->jobs.size(), 1u);
  EXPECT_DOUBLE_EQ(s->jobs[0].submit, 2.5 * kHour);
  EXPECT_EQ(s->jobs[0].tenant.value, 2);
  // Resolved at load (sched/job.h job_sensitivity): lab declares none, so public.
  EXPECT_EQ(s->jobs[0].job.sensitivity, Sensitivity::kPublic);
  ASSERT_TRUE(s->jobs[0].job.work.reference_hours.has_value());
  EXPECT_DOUBLE_EQ(s->jobs[0].job.work.reference_hours->min, 3);
  EXPECT_EQ(s->jobs[0].job.work.reference, "h100-sxm");
}

// A training job's run keys are estimate train's (perf/workload_fields.h);
// work by reference hours has no step to time, so it takes none.
TEST_F(ScenarioTest, JobsTakeTheEstimatesRunKeysOnlyWithAModel) {
  const std::string job = R"(
[[jobs]]
tenant = "lab"
name = "run"
devices = 8
)";
  auto ok = parse(kBase + job +
                  "model = \"llama3-8b\"\ntokens = 1e9\nseq = 16384\nprecision = \"fp8\"\n");
  ASSERT_TRUE(ok) << ok.error().message;
  EXPECT_EQ(ok->jobs[0].job.work.run.seq, 16384);
  EXPECT_EQ(ok->jobs[0].job.work.run.precision, "fp8");
  const std::string bounds =
      error_of(kBase + job + "model = \"llama3-8b\"\ntokens = 1e9\nseq = 0\n");
  EXPECT_NE(bounds.find("seq: expected an integer in [1, "), std::string::npos) << bounds;
  const std::string orphan = error_of(
      kBase + job + "reference = \"h100-sxm\"\nreference_hours = 1\nprecision = \"fp8\"\n");
  EXPECT_NE(orphan.find("precision: the run's keys need model"), std::string::npos) << orphan;
}

TEST_F(ScenarioTest, InferenceJobsTakeTheEstimatesServingKeys) {
  const std::string job = R"(
[[jobs]]
tenant = "lab"
name = "serve"
kind = "inference"
devices = 8
model = "llama3-8b"
tokens = 1e9
)";
  auto plain = parse(kBase + job);
  ASSERT_TRUE(plain) << plain.error().message;
  const WorkSpec& dflt = plain->jobs[0].job.work;
  EXPECT_EQ(dflt.serving.precision, "auto");  // each chip at its best
  EXPECT_EQ(dflt.serving.input_len, 2048);
  EXPECT_EQ(dflt.serving.output_len, 512);
  auto bf16 = parse(kBase + job + "precision = \"bf16\"\ninput_len = 1000\ntpot_slo_ms = 40\n");
  ASSERT_TRUE(bf16) << bf16.error().message;
  const WorkSpec& slow = bf16->jobs[0].job.work;
  EXPECT_EQ(slow.serving.precision, "bf16");
  EXPECT_EQ(slow.serving.input_len, 1000);
  EXPECT_EQ(slow.serving.output_len, 512);
  EXPECT_EQ(slow.serving.tpot_slo_ms, 40);
  // The work model times the job's run: BF16 on an H200 serves fewer
  // tokens per second than its FP8.
  Fleet fleet;
  fleet.add_type(accelerator_type(**catalog_->accelerator("h200-sxm")));
  WorkModel model(*catalog_, fleet);
  WorkSpec same_lengths = dflt;
  same_lengths.serving.input_len = 1000;
  same_lengths.serving.tpot_slo_ms = 40;
  auto fast_rate = model.rates("fp8", JobKind::kInference, same_lengths, 8);
  auto slow_rate = model.rates("bf16", JobKind::kInference, slow, 8);
  ASSERT_TRUE(fast_rate && slow_rate);
  ASSERT_GT((*slow_rate)->per_type[0], 0) << (*slow_rate)->reason[0];
  EXPECT_LT((*slow_rate)->per_type[0], (*fast_rate)->per_type[0]);
  // The flag's bounds and choices; the keys need a model and an inference job.
  const std::string bounds = error_of(kBase + job + "output_len = 0\n");
  EXPECT_NE(bounds.find("output_len: expected an integer in [1, "), std::string::npos) << bounds;
  const std::string both = error_of(kBase + job + "batch = 4\ntpot_slo_ms = 40\n");
  EXPECT_NE(both.find("batch: give either batch or an SLO"), std::string::npos) << both;
  std::string training = job;
  const std::string kind = "kind = \"inference\"";
  training.replace(training.find(kind), kind.size(), "kind = \"training\"");
  const std::string kv = error_of(kBase + training + "kv_precision = \"fp8\"\n");
  EXPECT_NE(kv.find("kv_precision: only inference jobs"), std::string::npos) << kv;
  const std::string orphan =
      error_of(kBase +
               "[[jobs]]\ntenant = \"lab\"\nname = \"x\"\nkind = \"inference\"\nreference = "
               "\"h100-sxm\"\nreference_hours = 1\ninput_len = 100\n");
  EXPECT_NE(orphan.find("input_len: the run's keys need model"), std::string::npos) << orphan;
}

// H2 of issue 13: a job cannot lower its tenant's declared sensitivity by
// saying less or nothing; it can raise it.
TEST_F(ScenarioTest, TenantSensitivityIsTheFloorOfItsJobs) {
  const std::string text = kBase + R"(
[[jobs]]
tenant = "gov"
name = "says-public"
sensitivity = "public"
reference = "h100-sxm"
reference_hours = 1
[[jobs]]
tenant = "gov"
name = "says-nothing"
reference = "h100-sxm"
reference_hours = 1
[[jobs]]
tenant = "gov"
name = "says-secret"
sensitivity = "secret"
reference = "h100-sxm"
reference_hours = 1
[[jobs]]
tenant = "finance"
name = "no-floor"
sensitivity = "internal"
reference = "h100-sxm"
reference_hours = 1
)";
  auto s = parse(text);
  ASSERT_TRUE(s.has_value()) << s.error().message;
  ASSERT_EQ(s->jobs.size(), 4u);
  EXPECT_EQ(s->jobs[0].job.sensitivity, Sensitivity::kConfidential);
  EXPECT_EQ(s->jobs[1].job.sensitivity, Sensitivity::kConfidential);
  EXPECT_EQ(s->jobs[2].job.sensitivity, Sensitivity::kSecret);
  EXPECT_EQ(s->jobs[3].job.sensitivity, Sensitivity::kInternal);
  ASSERT_TRUE(s->tenants[0].sensitivity.has_value());
  EXPECT_EQ(*s->tenants[0].sensitivity, Sensitivity::kConfidential);
  EXPECT_FALSE(s->tenants[1].sensitivity.has_value());
}

TEST_F(ScenarioTest, NodeEventsMayNameDeliveredNodesAfterTheyArrive) {
  const std::string delivery = R"(
[[deliveries]]
at_hours = 50
site = "wuhu"
accelerator = "h200-sxm"
nodes = 2
)";
  // Existing wuhu-h200-sxm-0..1, so the delivery brings -2 and -3.
  auto ok = parse(kBase + delivery + R"(
[[node_events]]
at_hours = 60
node = "wuhu-h200-sxm-3"
state = "down"
)");
  ASSERT_TRUE(ok) << ok.error().message;
  EXPECT_DOUBLE_EQ(ok->node_events[0].at, 60 * kHour);
  EXPECT_EQ(ok->fleet.nodes().size(), 50u);  // 2 + 48: the delivery is not in the fleet

  const std::string early = kBase + delivery + R"(
[[node_events]]
at_hours = 40
node = "wuhu-h200-sxm-3"
state = "down"
)";
  expect_error_at(early, "at_hours = 40", "node_events[0].at_hours", "delivered at hour 50");
}

TEST_F(ScenarioTest, TraceFileResolvesNextToTheScenario) {
  testing::TempDir dir;
  dir.write("traces/pods.csv", "name,cpu_milli,memory_mib,num_gpu,gpu_milli\n");
  const std::string trace = R"(
[[traces]]
pods = "traces/pods.csv"
tenant = "gov"
gpu_map = { "V100M16" = "h20" }
default_reference = "a100-sxm-80g"
limit = 10
)";
  const fs::path file = dir.write("scenario.toml", kBase + trace);
  auto s = load_scenario(file, *catalog_);
  ASSERT_TRUE(s) << s.error().message;
  ASSERT_EQ(s->traces.size(), 1u);
  EXPECT_EQ(s->traces[0].pods, dir.path() / "traces" / "pods.csv");
  EXPECT_EQ(s->traces[0].gpu_map.at("V100M16"), "h20");
  EXPECT_EQ(s->traces[0].limit, 10);
  EXPECT_EQ(s->traces[0].sensitivity, Sensitivity::kConfidential);  // gov's

  const std::string missing = kBase + R"(
[[traces]]
pods = "nowhere/pods.csv"
tenant = "gov"
default_reference = "a100-sxm-80g"
)";
  expect_error_at(missing, "pods = ", "traces[0].pods", "file not found");

  const std::string bad_map = kBase + R"(
[[traces]]
pods = "traces/pods.csv"
tenant = "gov"
gpu_map = { "V100M16" = "v100" }
default_reference = "a100-sxm-80g"
)";
  const fs::path bad_file = dir.write("bad.toml", bad_map);
  auto b = load_scenario(bad_file, *catalog_);
  ASSERT_FALSE(b);
  EXPECT_TRUE(contains(b.error().message,
                       fmt::format("{}:{}: traces[0].gpu_map.V100M16: ", bad_file.string(),
                                   line_of(bad_map, "gpu_map"))))
      << b.error().message;
}

// --- errors: file, line and key --------------------------------------------

TEST_F(ScenarioTest, SyntaxErrorNamesFileAndLine) {
  const std::string text = kBase + "nodes = = 3\n";
  const std::string message = error_of(text);
  EXPECT_TRUE(contains(message, fmt::format("{}:{}:", kFile, line_of(text, "nodes = = 3"))))
      << message;
}

TEST_F(ScenarioTest, UnknownKeysAreErrorsAtEveryLevel) {
  // (Top-level keys go before the first table header.)
  expect_error_at("sede = 3\n" + kBase, "sede", "sede", "unknown key");
  expect_error_at(kBase + "[scheduler]\nqueue = \"fifo\"\npreempt = true\n",
                  "preempt =", "scheduler.preempt", "unknown key");
  const std::string nested = kBase + R"(
[[generators]]
tenant = "lab"
count = 1
rate_per_hour = 1
  [[generators.jobs]]
  model = "llama3-8b"
  tokens = 1e9
  devicez = 8
)";
  expect_error_at(nested, "devicez", "generators[0].jobs[0].devicez", "unknown key");
  // Keys of another rule kind are unknown too.
  const std::string rule = kBase + R"(
[[rules]]
id = "d"
kind = "drain"
accelerator = "h200-sxm"
min_share = 0.5
)";
  expect_error_at(rule, "min_share", "rules[0].min_share", "unknown key");
  // A misspelt section leaves its entries undeclared and a later section
  // fails on that first; the typo is what is reported.
  std::string tenant = kBase;
  for (std::size_t at = tenant.find("[[tenants]]"); at != std::string::npos;
       at = tenant.find("[[tenants]]", at))
    tenant.replace(at, 11, "[[tenant]]");
  expect_error_at(tenant, "[[tenant]]", "tenant", "did you mean 'tenants'?");
}

TEST_F(ScenarioTest, UnknownAcceleratorSuggestsTheClosestId) {
  const std::string text = kBase + R"(
[[fleet]]
site = "wuhu"
accelerator = "ascend-910"
nodes = 1
[[fleet]]
site = "wuhu"
accelerator = "h200-sx"
nodes = 1
)";
  expect_error_at(text, "\"h200-sx\"", "fleet[3].accelerator",
                  "unknown accelerator 'h200-sx' (did you mean: h200-sxm");
}

TEST_F(ScenarioTest, UnknownModelAndReference) {
  const std::string model = kBase + R"(
[[jobs]]
tenant = "lab"
model = "llama3-9b"
tokens = 1e9
)";
  expect_error_at(model, "llama3-9b", "jobs[0].model", "unknown model 'llama3-9b'");
  const std::string reference = kBase + R"(
[[jobs]]
tenant = "lab"
reference = "h100-sxn"
reference_hours = 2
)";
  expect_error_at(reference, "h100-sxn", "jobs[0].reference", "did you mean: h100-sxm");
}

TEST_F(ScenarioTest, UnknownSite) {
  const std::string text = kBase + R"(
[[fleet]]
site = "beijing"
accelerator = "h20"
nodes = 1
)";
  expect_error_at(text, "beijing", "fleet[2].site",
                  "unknown site 'beijing'; declared sites: wuhu, qingyang");
}

TEST_F(ScenarioTest, UnknownTenantInRuleGeneratorJobAndTrace) {
  const std::string rule = kBase + R"(
[[rules]]
id = "a"
kind = "sensitivity-origin"
origins = ["CN"]
[[rules]]
id = "b"
kind = "domestic-share"
min_share = 0.5
[[rules]]
id = "c"
kind = "approved-customers"
accelerator = "h200-sxm"
tenants = ["lab", "bank"]
)";
  expect_error_at(rule, "\"bank\"", "rules[2].tenants",
                  "unknown tenant 'bank'; declared tenants: gov, finance, lab");
  const std::string generator = kBase + R"(
[[generators]]
tenant = "bank"
count = 1
rate_per_hour = 1
)";
  expect_error_at(generator, "bank", "generators[0].tenant", "unknown tenant 'bank'");
  const std::string job = kBase + R"(
[[jobs]]
tenant = "bank"
model = "llama3-8b"
tokens = 1e9
)";
  expect_error_at(job, "bank", "jobs[0].tenant", "unknown tenant 'bank'");
}

TEST_F(ScenarioTest, RuleOnAcceleratorOutsideTheFleet) {
  const std::string text = kBase + R"(
[[rules]]
id = "b200-block"
kind = "no-new-placements"
accelerator = "b200"
from_hours = 10
)";
  expect_error_at(text, "\"b200\"", "rules[0].accelerator",
                  "'b200' is not in the fleet (fleet types: h200-sxm, ascend-910c)");
}

TEST_F(ScenarioTest, DuplicateIds) {
  const std::string rules = kBase + R"(
[[rules]]
id = "x"
kind = "domestic-share"
min_share = 0.5
[[rules]]
id = "x"
kind = "drain"
accelerator = "h200-sxm"
)";
  const int first = line_of(rules, "id = \"x\"");
  const std::string second_part = rules.substr(rules.find("id = \"x\"") + 1);
  const int second = first + line_of(second_part, "id = \"x\"") - 1;
  const std::string message = error_of(rules);
  EXPECT_TRUE(contains(message, fmt::format("{}:{}: rules[1].id: duplicate rule id 'x' (first "
                                            "defined at {}:{})",
                                            kFile, second, kFile, first)))
      << message;
  const std::string tenants = kBase + "[[tenants]]\nname = \"lab\" # again\n";
  expect_error_at(tenants, "# again", "tenants[3].name", "duplicate tenant 'lab'");
  const std::string sites = "[[sites]]\nname = \"a\"\n[[sites]]\nname = \"a\" # again\n";
  expect_error_at(sites, "# again", "sites[1].name", "duplicate site 'a'");
}

TEST_F(ScenarioTest, MinShareOutsideZeroToOne) {
  const std::string text = kBase + R"(
[[rules]]
id = "d"
kind = "domestic-share"
min_share = 1.5
)";
  expect_error_at(text, "1.5", "rules[0].min_share", "expected a share from 0 to 1, got 1.5");
  expect_error_at(kBase + "[[rules]]\nid = \"d\"\nkind = \"domestic-share\"\nmin_share = -0.1\n",
                  "-0.1", "rules[0].min_share", "from 0 to 1");
}

TEST_F(ScenarioTest, DevicesMustBeAMultipleOfTp) {
  const std::string text = kBase + R"(
[[generators]]
tenant = "lab"
count = 1
rate_per_hour = 1
  [[generators.jobs]]
  devices = [16, 12]
  tp = 8
  model = "llama3-8b"
  tokens = 1e9
)";
  expect_error_at(text, "tp = 8", "generators[0].jobs[0].tp",
                  "devices 12 is not a multiple of tp 8");
}

TEST_F(ScenarioTest, FractionalPodsTakeOneDevice) {
  const std::string text = kBase + R"(
[[jobs]]
tenant = "lab"
kind = "fractional"
devices = 2
gpu_milli = 500
reference = "a100-sxm-80g"
reference_hours = 1
)";
  expect_error_at(text, "gpu_milli", "jobs[0].gpu_milli", "needs devices = 1, got 2");
  // gpu_milli above a whole device is a range error.
  const std::string big = kBase + R"(
[[jobs]]
tenant = "lab"
gpu_milli = 1500
reference = "a100-sxm-80g"
reference_hours = 1
)";
  expect_error_at(big, "gpu_milli", "jobs[0].gpu_milli", "from 1 to 1000");
}

TEST_F(ScenarioTest, TemplateNeedsWork) {
  const std::string text = kBase + R"(
[[generators]]
tenant = "lab"
count = 1
rate_per_hour = 1
  [[generators.jobs]]
  name = "idle"
  model = "llama3-8b"
)";
  // Absent key: the template's own line.
  expect_error_at(text, "[[generators.jobs]]", "generators[0].jobs[0].tokens",
                  "give tokens (with model) or reference_hours (with reference)");
  const std::string no_reference = kBase + R"(
[[jobs]]
tenant = "lab"
reference_hours = 2
)";
  expect_error_at(no_reference, "reference_hours", "jobs[0].reference_hours", "needs reference =");
  const std::string no_model = kBase + "[[jobs]]\ntenant = \"lab\"\ntokens = 1e9\n";
  expect_error_at(no_model, "tokens", "jobs[0].tokens", "needs model =");
  // Explicit jobs have fixed values.
  const std::string range = kBase +
                            "[[jobs]]\ntenant = \"lab\"\nmodel = \"llama3-8b\"\n"
                            "tokens = [1e9, 2e9]\n";
  expect_error_at(range, "tokens", "jobs[0].tokens", "fixed");
}

TEST_F(ScenarioTest, NegativeNumbers) {
  expect_error_at(kBase + "[[fleet]]\nsite = \"wuhu\"\naccelerator = \"h20\"\nnodes = -1\n",
                  "nodes = -1", "fleet[2].nodes", "expected an integer from 1 to 100000, got -1");
  expect_error_at(kBase +
                      "[[fleet]]\nsite = \"wuhu\"\naccelerator = \"h20\"\nnodes = 1\n"
                      "mtbf_hours = -5\n",
                  "mtbf_hours", "fleet[2].mtbf_hours",
                  "expected a number from 0 to 10000000, got -5");
  expect_error_at(kBase +
                      "[[rules]]\nid = \"n\"\nkind = \"no-new-placements\"\n"
                      "accelerator = \"h200-sxm\"\nfrom_hours = -2\n",
                  "from_hours", "rules[0].from_hours", "from 0 to 100000");
  expect_error_at(kBase +
                      "[[jobs]]\ntenant = \"lab\"\nsubmit_hours = -1\nmodel = "
                      "\"llama3-8b\"\ntokens = 1e9\n",
                  "submit_hours", "jobs[0].submit_hours", "from 0 to 100000");
  expect_error_at(kBase + "[[generators]]\ntenant = \"lab\"\ncount = 1\nrate_per_hour = 0\n",
                  "rate_per_hour", "generators[0].rate_per_hour", "from 1e-06 to 1000000, got 0");
}

TEST_F(ScenarioTest, UnknownNodeInNodeEvent) {
  const std::string text = kBase + R"(
[[node_events]]
at_hours = 1
node = "wuhu-h200-sxm-7"
state = "down"
)";
  expect_error_at(text, "wuhu-h200-sxm-7", "node_events[0].node",
                  "unknown node 'wuhu-h200-sxm-7' (did you mean: wuhu-h200-sxm-");
  const std::string state = kBase + R"(
[[node_events]]
at_hours = 1
node = "wuhu-h200-sxm-1"
state = "broken"
)";
  expect_error_at(state, "broken", "node_events[0].state", "expected down or up");
}

TEST_F(ScenarioTest, PerTypeFailureFiguresMustAgree) {
  const std::string text = kBase + R"(
[[fleet]]
site = "qingyang"
accelerator = "h200-sxm"
nodes = 1
mtbf_hours = 1000
mttr_hours = 4
[[fleet]]
site = "wuhu"
accelerator = "h200-sxm"
nodes = 1
mtbf_hours = 2000
)";
  expect_error_at(text, "mtbf_hours = 2000", "fleet[3].mtbf_hours",
                  "conflicts with mtbf_hours = 1000");
  // The first pool that sets it wins for pools that do not.
  const std::string agree = kBase + R"(
[[fleet]]
site = "qingyang"
accelerator = "h200-sxm"
nodes = 1
mtbf_hours = 1000
mttr_hours = 4
)";
  auto s = parse(agree);
  ASSERT_TRUE(s) << s.error().message;
  EXPECT_DOUBLE_EQ(s->fleet.types()[0].mtbf_hours, 1000);
  EXPECT_DOUBLE_EQ(s->fleet.types()[0].mttr_hours, 4);
}

TEST_F(ScenarioTest, FailuresNeedARepairTime) {
  const std::string text = kBase + R"(
[[fleet]]
site = "qingyang"
accelerator = "h20"
nodes = 1
mtbf_hours = 1000
)";
  expect_error_at(text, "mtbf_hours", "fleet[2].mtbf_hours", "mttr_hours > 0");
}

TEST_F(ScenarioTest, ScaleUpDomainMustBeAMultipleOfTheNode) {
  const std::string text = kBase + R"(
[[fleet]]
site = "wuhu"
accelerator = "h20"
nodes = 4
scale_up_domain = 12
)";
  expect_error_at(text, "scale_up_domain", "fleet[2].scale_up_domain",
                  "expected a multiple of devices_per_node (8), got 12");
}

TEST_F(ScenarioTest, AllowedTypesMustBeInTheFleet) {
  const std::string text = kBase + R"(
[[jobs]]
tenant = "lab"
allowed = ["h200-sxm", "mlu590"]
model = "llama3-8b"
tokens = 1e9
)";
  expect_error_at(text, "allowed", "jobs[0].allowed", "'mlu590' is not in the fleet");
}

TEST_F(ScenarioTest, WrongTypesAndEnumValues) {
  expect_error_at(kBase + "[[fleet]]\nsite = \"wuhu\"\naccelerator = \"h20\"\nnodes = \"two\"\n",
                  "\"two\"", "fleet[2].nodes", "expected an integer");
  expect_error_at(kBase + "[scheduler]\nplacement = \"best\"\n", "best", "scheduler.placement",
                  "best");
  expect_error_at(kBase + "[[rules]]\nid = \"r\"\nkind = \"quota\"\n", "quota", "rules[0].kind",
                  "unknown rule kind 'quota'");
  expect_error_at(kBase + "[[tenants]]\nname = \"x\"\nsensitivity = \"top\"\n", "top",
                  "tenants[3].sensitivity", "expected public, internal, confidential or secret");
  expect_error_at("node_events = 3\n" + kBase, "node_events = 3", "node_events",
                  "expected an array of tables");
}

TEST_F(ScenarioTest, ScenarioWithoutFleetIsAnError) {
  const std::string message = error_of("name = \"empty\"\n");
  EXPECT_TRUE(contains(message, "fleet: a scenario needs at least one [[fleet]]")) << message;
}

}  // namespace
}  // namespace suanli

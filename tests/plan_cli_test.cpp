// `suanli plan` and `suanli report` as a user runs them: small scenario
// files in a temp dir, run_cli() in-process, exit codes (0 ok, 2 bad input
// or infeasible), the --json contract and the consistency of its numbers,
// --set / --sweep / --csv, the HTML report, and determinism. Scenarios use
// three real catalog types and small inference demand so each test takes
// well under a second in a release build.
#include "app/app.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <iterator>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "cli_run.h"
#include "contains.h"
#include "read_file.h"
#include "temp_dir.h"

namespace suanli::app {
namespace {

using Json = nlohmann::json;

// The ASan/UBSan Debug build runs the slowest parts (the report's
// simulation, re-solves without each policy) less often, to keep the suite
// within ~20 s there.
#ifdef SUANLI_SANITIZE_BUILD
constexpr bool kSanitizeBuild = true;
#else
constexpr bool kSanitizeBuild = false;
#endif

using ::suanli::testing::contains;

Json parse(const CliResult& r) {
  Json j = Json::parse(r.out, nullptr, /*allow_exceptions=*/false);
  EXPECT_FALSE(j.is_discarded()) << "stdout is not JSON:\n" << r.out << "\nstderr:\n" << r.err;
  return j;
}

using ::suanli::testing::read_file;

// Two sites, a foreign type with a levy (H200) and two domestic types, a
// core 8B chat load and a confidential 70B load (domestic only), a 30%
// domestic-share rule and a US supply cut from year 2. Optimal mix: H200
// and a domestic Ascend type (910B since the 910C serves as two dies, issue
// 15); the sensitive rule and the levy both have a price.
constexpr const char* kSmallPlan = R"(
[plan]
name = "small"
years = 2
budget_usd = 5.0e7
shortfall_penalty_usd = 1.0e7

[policy]
domestic_share_min = 0.3
risk = "robust"

[[site]]
name = "west"
power_mw = 5
racks = 200

[[site]]
name = "east"
power_mw = 2
racks = 50
tariff_usd_per_kwh = 0.1

[[candidate]]
accelerator = "h200-sxm"
assume_available = "the chip can be bought in China, a test assumption"
levy = 0.25
supply_cap_devices = 2000

[[candidate]]
accelerator = "ascend-910c"
supply_cap_devices = 2000

[[candidate]]
accelerator = "ascend-910b"
supply_cap_devices = 1000

[[inference]]
name = "chat-8b"
model = "llama3-8b"
input_len = 1000
output_len = 250
output_tokens_per_s = 400000
tpot_slo_ms = 50
core = true

[[inference]]
name = "chat-70b"
model = "llama3-70b"
input_len = 1000
output_len = 250
output_tokens_per_s = 50000
tpot_slo_ms = 60
sensitivity = "confidential"

[[scenario]]
name = "status-quo"
probability = 0.7

[[scenario]]
name = "us-cut"
probability = 0.3
cut_origins = ["US"]
from_year = 2
)";

// kSmallPlan with `from` replaced by `to` (which must occur exactly once).
std::string edited(const std::string& from, const std::string& to) {
  std::string text = kSmallPlan;
  const auto at = text.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  EXPECT_EQ(text.find(from, at + 1), std::string::npos) << from;
  if (at != std::string::npos) text.replace(at, from.size(), to);
  return text;
}

const std::map<std::string, int> kNodeDevices = {
    {"h200-sxm", 8}, {"ascend-910c", 8}, {"ascend-910b", 8}};

TEST(PlanCli, JsonContractAndConsistency) {
  suanli::testing::TempDir dir;
  const auto file = dir.write("small.toml", kSmallPlan).string();
  const auto r = run({"plan", file, "--json"});
  ASSERT_EQ(r.code, kExitOk) << r.err;
  const Json j = parse(r);
  ASSERT_TRUE(j.is_object());

  for (const char* key : {"status", "objective_usd", "purchases", "cost", "domestic_share",
                          "binding_constraints", "policy_costs", "assumption_costs",
                          "availability", "assumptions", "solve_time_s", "sizing", "robustness"})
    EXPECT_TRUE(j.contains(key)) << key;
  // What the sizing rested on, with sources; the robustness pass's inputs
  // with the values at each end and what flips there.
  // The small plan buys the import-blocked H200 on a stated assumption.
  ASSERT_EQ(j.at("assumptions").size(), 1u) << j.at("assumptions").dump();
  EXPECT_EQ(j.at("assumptions")[0].at("accelerator"), "h200-sxm");
  EXPECT_EQ(j.at("assumptions")[0].at("overrides"), "import-blocked");
  EXPECT_TRUE(j.at("sizing").at("utilisation_target").contains("source"));
  EXPECT_TRUE(j.at("sizing").at("peak_to_mean").contains("value"));
  EXPECT_TRUE(j.at("sizing").at("goodput").at("applied").get<bool>());
  const Json& robust = j.at("robustness");
  ASSERT_TRUE(robust.is_object()) << robust.dump();
  ASSERT_FALSE(robust.at("inputs").empty());
  for (const Json& in : robust.at("inputs")) {
    for (const char* side : {"low", "high"}) {
      EXPECT_TRUE(in.at(side).contains("value")) << in.dump();
      EXPECT_TRUE(in.at(side).contains("flips")) << in.dump();
      EXPECT_GE(in.at(side).at("regret_usd").get<double>(), 0) << in.dump();
    }
  }
  // Purchases in the order a buyer places them: by year.
  int last_year = 0;
  for (const Json& x : j.at("purchases")) {
    EXPECT_GE(x.at("year").get<int>(), last_year) << x.dump();
    last_year = x.at("year").get<int>();
  }
  const std::string status = j.at("status");
  EXPECT_TRUE(status == "optimal" || status == "feasible") << status;
  EXPECT_EQ(status, "optimal") << "a 3-type plan should be proven optimal";
  EXPECT_GE(j.at("solve_time_s").get<double>(), 0.0);
  EXPECT_TRUE(j.at("binding_constraints").is_array());

  // Cost parts add up to the objective.
  const double objective = j.at("objective_usd");
  EXPECT_GT(objective, 0);
  const Json& cost = j.at("cost");
  for (const char* key : {"capex_usd", "power_usd", "rental_usd", "levies_usd", "operations_usd"})
    ASSERT_TRUE(cost.contains(key)) << key;
  const double sum = cost.at("capex_usd").get<double>() + cost.at("levies_usd").get<double>() +
                     cost.at("power_usd").get<double>() + cost.at("rental_usd").get<double>() +
                     cost.at("operations_usd").get<double>() +
                     cost.value("expected_shortfall_usd", 0.0);
  EXPECT_NEAR(sum, objective, 1e-6 * std::abs(objective));

  // Purchases: known types and sites, devices = nodes x node size, and the
  // undiscounted capex + levies within the budget.
  const Json& purchases = j.at("purchases");
  ASSERT_TRUE(purchases.is_array());
  ASSERT_FALSE(purchases.empty());
  std::map<std::string, int> devices_by_type;
  for (const Json& p : purchases) {
    for (const char* key : {"accelerator", "site", "nodes", "devices"})
      ASSERT_TRUE(p.contains(key)) << key << " in " << p.dump();
    const std::string id = p.at("accelerator");
    ASSERT_TRUE(kNodeDevices.contains(id)) << id;
    const std::string site = p.at("site");
    EXPECT_TRUE(site == "west" || site == "east") << site;
    const int nodes = p.at("nodes");
    EXPECT_GT(nodes, 0);
    EXPECT_EQ(p.at("devices").get<int>(), nodes * kNodeDevices.at(id)) << p.dump();
    devices_by_type[id] += p.at("devices").get<int>();
  }
  EXPECT_GT(devices_by_type["h200-sxm"], 0) << "the levied foreign type is still worth buying here";
  EXPECT_GT(devices_by_type["ascend-910c"] + devices_by_type["ascend-910b"], 0)
      << "the confidential load needs a domestic type";
  EXPECT_LE(cost.at("capex_usd").get<double>() + cost.at("levies_usd").get<double>(), 5.0e7 + 1e-6);
  // Per-year supply caps (2000 devices; all purchases here are year 1 or 2).
  for (const auto& [id, n] : devices_by_type) EXPECT_LE(n, 2 * (id == "ascend-910b" ? 1000 : 2000));

  // The domestic-share rule holds every year.
  const double share = j.at("domestic_share");
  EXPECT_GE(share, 0.3 - 1e-9);
  EXPECT_LE(share, 1.0 + 1e-9);
  for (const Json& y : j.at("domestic_share_by_year")) EXPECT_GE(y.get<double>(), 0.3 - 1e-9);

  // Each policy's price is the objective with it minus without it.
  const Json& policies = j.at("policy_costs");
  ASSERT_TRUE(policies.is_array());
  ASSERT_FALSE(policies.empty());
  std::map<std::string, double> delta;
  for (const Json& c : policies) {
    for (const char* key : {"policy", "delta_usd", "delta_pct"})
      ASSERT_TRUE(c.contains(key)) << key;
    const std::string policy = c.at("policy");
    delta[policy] = c.at("delta_usd");
    if (c.value("status_without", "optimal") == "infeasible") continue;
    const double without = c.at("objective_without_usd");
    EXPECT_NEAR(c.at("delta_usd").get<double>(), objective - without, 1e-6 * std::abs(objective))
        << policy;
    if (without > 0) {
      EXPECT_NEAR(c.at("delta_pct").get<double>(), 100 * (objective - without) / without, 1e-6)
          << policy;
    }
    // Dropping a policy can't make the optimum dearer (beyond the proven gap).
    EXPECT_GE(c.at("delta_usd").get<double>(), -c.value("tolerance_usd", 0.0) - 1e-6) << policy;
  }
  ASSERT_TRUE(delta.contains("sensitive-on-domestic"));
  ASSERT_TRUE(delta.contains("levy:h200-sxm"));
  ASSERT_TRUE(delta.contains("domestic-share"));
  // The 70B load is confidential: keeping it off the H200 costs something,
  // and so does the 25% levy on the H200s that are bought.
  EXPECT_GT(delta["sensitive-on-domestic"], 0);
  EXPECT_GT(delta["levy:h200-sxm"], 0);

  // The confidential item runs on domestic types only.
  for (const Json& d : j.at("demands")) {
    if (d.at("name") != "chat-70b") continue;
    for (const Json& a : d.at("allocations")) EXPECT_NE(a.at("accelerator"), "h200-sxm");
  }
}

TEST(PlanCli, TextOutputNamesPurchasesAndPolicies) {
  suanli::testing::TempDir dir;
  const auto file = dir.write("small.toml", kSmallPlan).string();
  const auto r = run({"plan", file, "--no-prices", "--no-policy-costs"});
  ASSERT_EQ(r.code, kExitOk) << r.err;
  EXPECT_TRUE(contains(r.out, "optimal")) << r.out;
  EXPECT_TRUE(contains(r.out, "h200-sxm")) << r.out;
  EXPECT_TRUE(contains(r.out, "ascend-910")) << r.out;
  EXPECT_TRUE(contains(r.out, "chat-70b")) << r.out;
  EXPECT_FALSE(contains(r.out, "Price of each policy")) << "--no-policy-costs\n" << r.out;
  // Progress goes to stderr, not into the result.
  EXPECT_TRUE(contains(r.err, "solving")) << r.err;
  EXPECT_FALSE(contains(r.out, "solving (")) << r.out;
  // The H200 is import-blocked in the catalog: the plan says it assumes
  // otherwise before anything else.
  EXPECT_TRUE(contains(r.out, "Assumes h200-sxm can be bought in China")) << r.out;
  EXPECT_LT(r.out.find("Assumes h200-sxm"), r.out.find("Purchases")) << r.out;

  // --csv without --sweep is one plan's tables in a directory (with
  // --sweep, the frontier file); it says where it wrote them.
  const auto csv = run({"plan", file, "--csv", (dir.path() / "tables").string()});
  EXPECT_EQ(csv.code, kExitOk) << csv.out << csv.err;
  EXPECT_TRUE(contains(csv.err, "6 CSV files written to")) << csv.err;
  EXPECT_TRUE(std::filesystem::exists(dir.path() / "tables" / "purchases.csv"));
}

TEST(PlanCli, InfeasibleBudgetNamesTheConflict) {
  suanli::testing::TempDir dir;
  const auto file =
      dir.write("tight.toml", edited("budget_usd = 5.0e7", "budget_usd = 1.0e6")).string();
  const auto r = run({"plan", file, "--json", "--quiet"});
  EXPECT_EQ(r.code, kExitBadInput) << r.err;
  const Json j = parse(r);
  ASSERT_TRUE(j.is_object());
  EXPECT_EQ(j.at("status"), "infeasible");
  ASSERT_TRUE(j.at("conflicts").is_array());
  ASSERT_FALSE(j.at("conflicts").empty());
  std::vector<std::string> names;
  for (const Json& c : j.at("conflicts")) names.push_back(c.at("name"));
  EXPECT_NE(std::find(names.begin(), names.end(), "budget"), names.end())
      << j.at("conflicts").dump();
  EXPECT_TRUE(std::any_of(names.begin(), names.end(), [](const std::string& n) {
    return n.starts_with("demand:");
  })) << j.at("conflicts").dump();
  EXPECT_TRUE(j.at("purchases").empty());

  // The text form lists the same conflict and also exits 2.
  const auto t = run({"plan", file, "--quiet"});
  EXPECT_EQ(t.code, kExitBadInput);
  EXPECT_TRUE(contains(t.out, "infeasible")) << t.out;
  EXPECT_TRUE(contains(t.out, "budget")) << t.out;
}

TEST(PlanCli, InfeasibleSensitiveDemandOnForeignOnly) {
  suanli::testing::TempDir dir;
  const auto file = dir.write("foreign.toml", R"(
[plan]
years = 1

[[site]]
name = "west"

[[candidate]]
accelerator = "h200-sxm"
assume_available = "the chip can be bought in China, a test assumption"

[[inference]]
name = "secret-8b"
model = "llama3-8b"
input_len = 1000
output_len = 250
output_tokens_per_s = 20000
sensitivity = "secret"
)")
                        .string();
  const auto r = run({"plan", file, "--json", "--quiet"});
  EXPECT_EQ(r.code, kExitBadInput) << r.err;
  const Json j = parse(r);
  ASSERT_TRUE(j.is_object());
  EXPECT_EQ(j.at("status"), "infeasible");
  std::vector<std::string> names;
  for (const Json& c : j.at("conflicts")) names.push_back(c.at("name"));
  EXPECT_NE(std::find(names.begin(), names.end(), "demand:secret-8b"), names.end())
      << j.at("conflicts").dump();
  EXPECT_NE(std::find(names.begin(), names.end(), "sensitive-on-domestic"), names.end())
      << j.at("conflicts").dump();

  // Without the sensitive-data rule the same file is feasible.
  const auto ok =
      run({"plan", file, "--json", "--quiet", "--set", "policy.sensitive_domestic_only=false"});
  EXPECT_EQ(ok.code, kExitOk) << ok.err;
  EXPECT_EQ(parse(ok).at("status"), "optimal");
}

struct BadInput {
  const char* from;
  const char* to;
  const char* key;   // must appear in stderr
  const char* also;  // and this
};

TEST(PlanCli, BadInputNamesTheKey) {
  const BadInput cases[] = {
      {"budget_usd = 5.0e7", "budget_usd = -5", "plan.budget_usd", "-5"},
      {"domestic_share_min = 0.3", "domestic_share_min = 1.5", "policy.domestic_share_min", "1.5"},
      {"probability = 0.3", "probability = 0.2", "probability", "0.9"},
      {"accelerator = \"ascend-910b\"", "accelerator = \"ascend-910x\"", "accelerator",
       "ascend-910x"},
      {"output_tokens_per_s = 50000\ntpot_slo_ms = 60",
       "output_tokens_per_s = 50000\ntpot_slo_ms = 0.01",
       "chat-70b", "no candidate type can serve it"},
  };
  suanli::testing::TempDir dir;
  int i = 0;
  for (const BadInput& c : cases) {
    SCOPED_TRACE(c.key);
    const auto file = dir.write("bad" + std::to_string(i++) + ".toml", edited(c.from, c.to));
    const auto r = run({"plan", file.string(), "--json", "--quiet"});
    EXPECT_EQ(r.code, kExitBadInput) << r.out << r.err;
    EXPECT_TRUE(contains(r.err, c.key)) << r.err;
    EXPECT_TRUE(contains(r.err, c.also)) << r.err;
    // The message points at the file.
    EXPECT_TRUE(contains(r.err, file.filename().string())) << r.err;
    EXPECT_TRUE(r.out.empty()) << r.out;
  }
}

TEST(PlanCli, UnknownAcceleratorSuggests) {
  suanli::testing::TempDir dir;
  const auto file = dir.write(
      "unk.toml", edited("accelerator = \"ascend-910b\"", "accelerator = \"ascend-910x\""));
  const auto r = run({"plan", file.string(), "--quiet"});
  EXPECT_EQ(r.code, kExitBadInput);
  EXPECT_TRUE(contains(r.err, "candidate[2].accelerator")) << r.err;
  EXPECT_TRUE(contains(r.err, "did you mean")) << r.err;
}

TEST(PlanCli, BadSetOverrideNamesTheKey) {
  suanli::testing::TempDir dir;
  const auto file = dir.write("small.toml", kSmallPlan).string();
  const auto r = run({"plan", file, "--quiet", "--set", "candidate.h999.levy=0.5"});
  EXPECT_EQ(r.code, kExitBadInput);
  EXPECT_TRUE(contains(r.err, "candidate.h999.levy")) << r.err;
  const auto typo = run({"plan", file, "--quiet", "--set", "policy.domestic_share_mni=0.5"});
  EXPECT_EQ(typo.code, kExitBadInput);
  EXPECT_TRUE(contains(typo.err, "domestic_share_mni")) << typo.err;
}

TEST(PlanCli, SetOverrideChangesTheResult) {
  suanli::testing::TempDir dir;
  const auto file = dir.write("small.toml", kSmallPlan).string();
  const auto base = run({"plan", file, "--json", "--quiet", "--no-policy-costs", "--no-prices"});
  ASSERT_EQ(base.code, kExitOk) << base.err;
  const auto dear = run({"plan", file, "--json", "--quiet", "--no-policy-costs", "--no-prices",
                         "--set", "candidate.h200-sxm.levy=4"});
  ASSERT_EQ(dear.code, kExitOk) << dear.err;
  const Json a = parse(base);
  const Json b = parse(dear);
  auto h200_devices = [](const Json& j) {
    int n = 0;
    for (const Json& p : j.at("purchases"))
      if (p.at("accelerator") == "h200-sxm") n += p.at("devices").get<int>();
    return n;
  };
  ASSERT_GT(h200_devices(a), 0);
  // A 400% levy: fewer H200s and a dearer plan (the old plan is still
  // possible, only dearer, so the optimum can't get cheaper). At 200% the
  // H200s' FP8 serving still pays (Ascend's W8A8 gains 1.1x over BF16).
  EXPECT_LT(h200_devices(b), h200_devices(a));
  EXPECT_GT(b.at("objective_usd").get<double>(), a.at("objective_usd").get<double>());
  EXPECT_GE(b.at("domestic_share").get<double>(), a.at("domestic_share").get<double>());
}

TEST(PlanCli, SweepDomesticShareFrontier) {
  suanli::testing::TempDir dir;
  const auto file = dir.write("small.toml", kSmallPlan).string();
  const auto csv = (dir.path() / "frontier.csv").string();
  const auto r =
      run({"plan", file, "--sweep", "policy.domestic_share_min=0,0.5,1", "--json", "--csv", csv});
  ASSERT_EQ(r.code, kExitOk) << r.err;
  EXPECT_TRUE(contains(r.err, "sweep 3/3")) << r.err;
  EXPECT_TRUE(contains(r.err, csv)) << r.err;
  const Json j = parse(r);
  ASSERT_TRUE(j.is_object());
  ASSERT_EQ(j.at("keys"), Json::array({"policy.domestic_share_min"}));
  const Json& points = j.at("points");
  ASSERT_EQ(points.size(), 3u);
  const double mins[] = {0, 0.5, 1};
  double last = -1;
  double last_gap = 0;
  for (std::size_t i = 0; i < 3; ++i) {
    const Json& p = points[i];
    ASSERT_EQ(p.at("status"), "optimal") << p.dump();
    const double objective = p.at("objective_usd");
    const double gap = p.at("gap");
    EXPECT_LE(gap, 5e-3 + 1e-12) << "sweep points are proven within 0.5%";
    // A stricter rule can't make the plan cheaper (up to both points' proven gaps).
    EXPECT_GE(objective, last - last_gap * last - gap * objective - 1e-6) << "point " << i;
    last = objective;
    last_gap = gap;
    EXPECT_GE(p.at("domestic_share").get<double>(), mins[i] - 1e-9) << "point " << i;
    const Json& c = p.at("cost");
    const double sum = c.at("capex_usd").get<double>() + c.at("levies_usd").get<double>() +
                       c.at("power_usd").get<double>() + c.at("rental_usd").get<double>() +
                       c.value("operations_usd", 0.0) + c.at("expected_shortfall_usd").get<double>();
    EXPECT_NEAR(sum, objective, 1e-6 * objective) << "point " << i;
  }
  // At 100% domestic nothing foreign is bought.
  EXPECT_FALSE(points[2].at("devices_by_accelerator").contains("h200-sxm") &&
               points[2].at("devices_by_accelerator").at("h200-sxm").get<int>() > 0)
      << points[2].dump();
  EXPECT_GT(points[2].at("objective_usd").get<double>(),
            points[0].at("objective_usd").get<double>())
      << "the unconstrained optimum buys H200s, so forbidding them must cost something";

  // The CSV: a header and one row per point.
  const std::string text = read_file(csv);
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);)
    if (!line.empty()) lines.push_back(line);
  ASSERT_EQ(lines.size(), 4u) << text;
  EXPECT_TRUE(lines[0].starts_with("policy.domestic_share_min,status,objective_usd")) << lines[0];
  EXPECT_TRUE(lines[1].starts_with("0,optimal,")) << lines[1];
  EXPECT_TRUE(lines[2].starts_with("0.5,optimal,")) << lines[2];
  EXPECT_TRUE(lines[3].starts_with("1,optimal,")) << lines[3];
  const auto columns = [](const std::string& l) { return std::count(l.begin(), l.end(), ','); };
  for (std::size_t i = 1; i < lines.size(); ++i)
    EXPECT_EQ(columns(lines[i]), columns(lines[0])) << lines[i];
}

TEST(PlanCli, SweepUnknownKeyFails) {
  suanli::testing::TempDir dir;
  const auto file = dir.write("small.toml", kSmallPlan).string();
  const auto r =
      run({"plan", file, "--quiet", "--json", "--sweep", "policy.domestic_share_maxx=0,1"});
  EXPECT_EQ(r.code, kExitBadInput);
  EXPECT_TRUE(contains(r.err, "policy.domestic_share_maxx")) << r.err;
  EXPECT_TRUE(r.out.empty()) << r.out;
  const auto sel = run({"plan", file, "--quiet", "--sweep", "candidate.h999.levy=0,1"});
  EXPECT_EQ(sel.code, kExitBadInput);
  EXPECT_TRUE(contains(sel.err, "candidate.h999.levy")) << sel.err;
}

TEST(PlanCli, ReportWritesSelfContainedHtml) {
  suanli::testing::TempDir dir;
  const auto file = dir.write("small.toml", kSmallPlan).string();
  const auto html = dir.path() / "out";
  std::filesystem::create_directories(html);
  const auto out = (html / "report.html").string();
  const auto r = run({"report", file, "--out", out, "--no-simulation", "--quiet"});
  ASSERT_EQ(r.code, kExitOk) << r.err;
  ASSERT_TRUE(std::filesystem::exists(out));
  EXPECT_FALSE(std::filesystem::exists(out + ".tmp"));
  const std::string text = read_file(out);
  EXPECT_TRUE(contains(text, "data-chart=\"plan-mix\"")) << text.substr(0, 500);
  EXPECT_FALSE(contains(text, "src=\"http"));
  EXPECT_TRUE(contains(text, "h200-sxm"));
  EXPECT_TRUE(contains(r.out, "report.html")) << r.out;
  EXPECT_TRUE(contains(r.out, "written")) << r.out;
  EXPECT_TRUE(r.err.empty()) << r.err;  // --quiet
}

TEST(PlanCli, ReportJsonHasPlanAndComparison) {
  suanli::testing::TempDir dir;
  const auto file = dir.write("small.toml", kSmallPlan).string();
  const auto out = (dir.path() / "r.html").string();
  // The simulation is on here (about 0.3 s in release, 7 s under ASan).
  std::vector<std::string> args = {"report", file, "--out", out, "--json", "--quiet"};
  if (kSanitizeBuild) args.push_back("--no-simulation");
  const auto r = run(args);
  ASSERT_EQ(r.code, kExitOk) << r.err;
  const Json j = parse(r);
  ASSERT_TRUE(j.is_object());
  ASSERT_TRUE(j.contains("plan"));
  ASSERT_TRUE(j.contains("comparison"));
  EXPECT_EQ(j.at("plan").at("status"), "optimal");
  EXPECT_EQ(j.contains("simulation"), !kSanitizeBuild)
      << "the simulation runs unless --no-simulation";
  // The report's plan is the one `plan --json` gives.
  const auto p = run({"plan", file, "--json", "--quiet", "--no-policy-costs", "--no-prices"});
  ASSERT_EQ(p.code, kExitOk) << p.err;
  EXPECT_NEAR(j.at("plan").at("objective_usd").get<double>(),
              parse(p).at("objective_usd").get<double>(),
              1e-6 * parse(p).at("objective_usd").get<double>());
  EXPECT_TRUE(std::filesystem::exists(out));
}

TEST(PlanCli, ReportOfInvalidScenarioFails) {
  suanli::testing::TempDir dir;
  const auto file = dir.write("bad.toml", edited("budget_usd = 5.0e7", "budget_usd = -5")).string();
  const auto out = (dir.path() / "r.html").string();
  const auto r = run({"report", file, "--out", out, "--no-simulation", "--quiet"});
  EXPECT_EQ(r.code, kExitBadInput);
  EXPECT_TRUE(contains(r.err, "plan.budget_usd")) << r.err;
  EXPECT_FALSE(std::filesystem::exists(out));
}

Json without_timing(Json j) {
  if (!j.is_object()) return j;
  j.erase("solve_time_s");
  j.erase("total_time_s");
  return j;
}

TEST(PlanCli, Deterministic) {
  suanli::testing::TempDir dir;
  const auto file = dir.write("small.toml", kSmallPlan).string();
  // Policy costs on (four re-solves each) except under the sanitizers.
  std::vector<std::string> args = {"plan", file, "--json", "--quiet", "--no-prices"};
  if (kSanitizeBuild) args.push_back("--no-policy-costs");
  const auto a = run(args);
  const auto b = run(args);
  ASSERT_EQ(a.code, kExitOk) << a.err;
  ASSERT_EQ(b.code, kExitOk) << b.err;
  const Json ja = parse(a);
  const Json jb = parse(b);
  EXPECT_TRUE(ja.contains("solve_time_s"));
  EXPECT_EQ(without_timing(ja).dump(), without_timing(jb).dump());
}

// A buyer's spreadsheets: --xlsx (one workbook, a sheet per table) and
// --csv DIR (a file per table) carry the same figures as --json.
TEST(PlanCli, SpreadsheetsCarryTheJsonFigures) {
  suanli::testing::TempDir dir;
  const auto file = dir.write("small.toml", kSmallPlan).string();
  const auto xlsx = (dir.path() / "out" / "plan.xlsx").string();
  const auto csv = (dir.path() / "csv").string();
  const auto r = run({"plan", file, "--json", "--no-robustness", "--xlsx", xlsx, "--csv", csv});
  ASSERT_EQ(r.code, kExitOk) << r.err;
  const Json j = parse(r);
  // The workbook is a zip whose directory names the six sheets.
  std::ifstream in(xlsx, std::ios::binary);
  const std::string book((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  ASSERT_GT(book.size(), 1000u);
  EXPECT_EQ(book.substr(0, 2), "PK");
  EXPECT_TRUE(contains(book, "xl/worksheets/sheet6.xml"));
  EXPECT_FALSE(contains(book, "xl/worksheets/sheet7.xml"));
  auto read = [&](const char* name) { return read_file(dir.path() / "csv" / name); };
  // cost.csv: the total is the JSON's objective, at full precision.
  const std::string cost = read("cost.csv");
  EXPECT_TRUE(contains(cost, "component,value,unit\n")) << cost;
  EXPECT_TRUE(contains(cost, fmt::format("total (objective),{},", j.at("objective_usd").get<double>())))
      << cost;
  // purchases.csv: one line per purchase, devices summing to the JSON's.
  const std::string purchases = read("purchases.csv");
  double devices = 0;
  for (const Json& p : j.at("purchases")) devices += p.at("devices").get<double>();
  double csv_devices = 0;
  std::istringstream lines(purchases);
  std::string line;
  std::getline(lines, line);
  EXPECT_EQ(line, "year,site,accelerator,origin,nodes,devices");
  int n = 0;
  while (std::getline(lines, line)) {
    csv_devices += std::stod(line.substr(line.rfind(',') + 1));
    ++n;
  }
  EXPECT_EQ(n, static_cast<int>(j.at("purchases").size()));
  EXPECT_DOUBLE_EQ(csv_devices, devices);
  for (const char* name : {"rentals.csv", "policy_prices.csv", "binding_constraints.csv",
                           "domestic_share.csv"})
    EXPECT_FALSE(read(name).empty()) << name;
  // --xlsx with --sweep is refused (a sweep has its frontier CSV instead).
  EXPECT_EQ(run({"plan", file, "--sweep", "policy.domestic_share_min=0.3,0.5", "--xlsx", xlsx}).code,
            kExitBadInput);
}

}  // namespace
}  // namespace suanli::app

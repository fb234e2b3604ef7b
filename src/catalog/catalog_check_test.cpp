// `catalog check`: each kind of inconsistency planted in an otherwise clean
// chip is reported (and only it); the bundled catalog has no unexplained
// warning; variants inherit from their base through the loader.
#include "catalog/catalog_check.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <set>
#include <functional>
#include <string>
#include <vector>

#include "bundled_catalog.h"
#include "catalog/catalog.h"
#include "temp_dir.h"

namespace suanli {
namespace {

// The date the bundled statuses were last reviewed: aging is tested against
// it, so the suite does not start failing on a calendar date.
constexpr const char* kReviewedAsOf = "2026-12";

Figure fig(double v, Confidence c = Confidence::kVerified, std::string note = "") {
  Figure f;
  f.value = v;
  f.source = "test sheet";
  f.confidence = c;
  f.note = std::move(note);
  f.origin = "test.toml:1";
  return f;
}

// An H100-like chip that passes every check.
Accelerator clean_chip() {
  Accelerator a;
  a.id = "clean";
  a.name = "Clean";
  a.vendor = "Test";
  a.origin = "US";
  a.released = "2022";
  a.node_devices = 8;
  a.memory_type = "HBM3";
  a.defined_at = "test.toml:1";
  auto rate = [&](Precision p, double v) { a.dense_tflops[static_cast<std::size_t>(p)] = fig(v); };
  rate(Precision::kBf16, 989.5);
  rate(Precision::kFp16, 989.5);
  rate(Precision::kFp8, 1979);
  rate(Precision::kInt8, 1979);
  a.memory_gb = fig(80);
  a.memory_bw_gbps = fig(3350);
  a.scaleup_domain = fig(8);
  a.tdp_w = fig(700);
  a.price_usd = fig(25000);
  a.rental_usd_per_hour = fig(2.0);
  a.china_status = ChinaStatus::kPresumptionOfDenial;
  a.china_status_confirmed = "2026-10";
  return a;
}

std::vector<CatalogWarning> check(const Accelerator& a, int stale_months = 12) {
  auto w = check_catalog({a}, {kReviewedAsOf, stale_months});
  EXPECT_TRUE(w.has_value());
  return w ? *w : std::vector<CatalogWarning>{};
}

std::vector<std::string> ids(const std::vector<CatalogWarning>& w) {
  std::vector<std::string> out;
  for (const auto& x : w) out.push_back(x.check);
  return out;
}

TEST(CatalogCheck, CleanChipPasses) {
  const auto w = check(clean_chip());
  EXPECT_TRUE(w.empty()) << (w.empty() ? "" : w[0].check + ": " + w[0].message);
}

struct Planted {
  std::string check;
  std::function<void(Accelerator&)> plant;
};

std::vector<Planted> planted_cases() {
  return {
      // A sparse FP8 figure: 3,958 x 8 is twice the BF16 TPP.
      {"tpp-outlier", [](Accelerator& a) { a.dense_tflops[4] = fig(3958); }},
      {"bf16-fp16", [](Accelerator& a) { a.dense_tflops[3] = fig(700); }},
      {"memory-type", [](Accelerator& a) { a.memory_type = "SRAM-only"; }},
      // The P800 question: 2,048 GB/s from GDDR6 needs a bus no card has.
      {"bandwidth-for-memory",
       [](Accelerator& a) {
         a.memory_type = "GDDR6";
         a.memory_gb = fig(48);
         a.memory_bw_gbps = fig(2048);
       }},
      {"capacity-for-memory", [](Accelerator& a) { a.memory_gb = fig(256); }},
      {"peak-per-watt", [](Accelerator& a) { a.tdp_w = fig(100); }},
      {"domain-node", [](Accelerator& a) { a.scaleup_domain = fig(12); }},
      {"price-rental", [](Accelerator& a) { a.rental_usd_per_hour = fig(20); }},
      {"unexplained-estimate",
       [](Accelerator& a) { a.tdp_w = fig(700, Confidence::kPlaceholder); }},
      {"status-date", [](Accelerator& a) { a.china_status_confirmed.clear(); }},
      {"status-date", [](Accelerator& a) { a.china_status_confirmed = "2024-06"; }},
      {"check-note", [](Accelerator& a) { a.check_notes["bf16-fp16"] = "no such warning"; }},
      {"check-note", [](Accelerator& a) { a.check_notes["no-such-check"] = "typo"; }},
  };
}

TEST(CatalogCheck, EachPlantedInconsistencyIsReportedAlone) {
  for (const auto& c : planted_cases()) {
    Accelerator a = clean_chip();
    c.plant(a);
    const auto w = check(a);
    ASSERT_EQ(w.size(), 1u) << c.check << ": got " << ::testing::PrintToString(ids(w));
    EXPECT_EQ(w[0].check, c.check);
    EXPECT_EQ(w[0].accelerator, "clean");
    EXPECT_FALSE(w[0].message.empty());
    EXPECT_FALSE(w[0].explained());
  }
}

TEST(CatalogCheck, EveryCheckHasAPlantedCase) {
  std::set<std::string> planted, all;
  for (const auto& c : planted_cases()) planted.insert(c.check);
  for (const auto& c : catalog_checks()) all.insert(std::string(c.id));
  EXPECT_EQ(planted, all);
}

TEST(CatalogCheck, AnExplanationMarksTheWarningExplained) {
  Accelerator a = clean_chip();
  a.memory_gb = fig(256);
  a.check_notes["capacity-for-memory"] = "a planted test case";
  const auto w = check(a);
  ASSERT_EQ(w.size(), 1u);
  EXPECT_TRUE(w[0].explained());
  EXPECT_EQ(w[0].explanation, "a planted test case");
}

TEST(CatalogCheck, StaleLimitAndDatesAreParameters) {
  Accelerator a = clean_chip();
  a.china_status_confirmed = "2026-01";
  EXPECT_TRUE(check(a, 12).empty());
  EXPECT_EQ(ids(check(a, 6)), std::vector<std::string>{"status-date"});
  EXPECT_FALSE(check_catalog({a}, {"2026-13", 12}).has_value());
  EXPECT_FALSE(check_catalog({a}, {"soon", 12}).has_value());
  EXPECT_FALSE(check_catalog({a}, {"2026-12", 0}).has_value());
}

class BundledCatalogCheck : public testing::BundledCatalogTest {};

// IDs as people type them resolve when one entry matches; ambiguous ones
// do not.
TEST_F(BundledCatalogCheck, LooseIdsResolveOnlyWhenUnique) {
  const std::pair<const char*, const char*> loose[] = {
      {"H200", "h200-sxm"}, {"h200", "h200-sxm"},       {"910c", "ascend-910c"},
      {"910B", "ascend-910b"}, {"s4000", "mtt-s4000"}, {"p800", "kunlun-p800"},
      {"Ascend-910C", "ascend-910c"}, {"b200", "b200"}};
  for (const auto& [query, id] : loose) {
    auto a = catalog_->accelerator(query);
    ASSERT_TRUE(a.has_value()) << query << ": " << a.error().message;
    EXPECT_EQ((*a)->id, id) << query;
  }
  auto h100 = catalog_->accelerator("h100");  // h100-sxm, h100-pcie, h100-sxm-96g
  ASSERT_FALSE(h100.has_value());
  EXPECT_NE(h100.error().message.find("h100-sxm"), std::string::npos) << h100.error().message;
  EXPECT_FALSE(catalog_->accelerator("").has_value());
  EXPECT_FALSE(catalog_->accelerator("v100").has_value());  // not iluvatar-bi-v100
  auto m = catalog_->model("Llama3-70B");
  ASSERT_TRUE(m.has_value()) << m.error().message;
  EXPECT_EQ((*m)->id, "llama3-70b");
}

TEST_F(BundledCatalogCheck, NoUnexplainedWarnings) {
  auto w = check_catalog(catalog_->accelerators(), {kReviewedAsOf, 12});
  ASSERT_TRUE(w.has_value());
  int explained = 0;
  for (const auto& x : *w) {
    if (x.explained()) {
      ++explained;
      continue;
    }
    ADD_FAILURE() << x.where << " [" << x.check << "] " << x.accelerator << ": " << x.message;
  }
  std::printf("catalog check as of %s: %zu accelerators, %zu warnings, all %d explained\n",
              kReviewedAsOf, catalog_->accelerators().size(), w->size(), explained);
}

TEST_F(BundledCatalogCheck, AtLeast45AcceleratorsEachFigureSourcedAndGraded) {
  EXPECT_GE(catalog_->accelerators().size(), 45u);
  for (const auto& a : catalog_->accelerators()) {
    for (const auto& f : a.dense_tflops) {
      if (f) {
        EXPECT_FALSE(f->source.empty()) << a.id;
      }
    }
    EXPECT_FALSE(a.memory_bw_gbps->source.empty()) << a.id;
  }
}

// A variant starts from its base and overrides what it gives; its figures
// keep the file:line where they were defined.
TEST(CatalogVariants, InheritFromTheBaseAndOverride) {
  testing::TempDir dir;
  const std::string text =
      "[[accelerator]]\n"
      "id = \"base-chip\"\nname = \"Base\"\nvendor = \"T\"\norigin = \"CN\"\n"
      "source = \"sheet\"\nconfidence = \"verified\"\n"
      "[accelerator.dense_tflops]\nbf16 = 300\n"
      "[accelerator.figures]\nmemory_gb = 64\nmemory_bw_gbps = 1600\ntdp_w = 400\n"
      "[[accelerator]]\n"
      "id = \"base-chip-b4\"\nbase = \"base-chip\"\nname = \"Base B4\"\n"
      "source = \"other sheet\"\nconfidence = \"secondary\"\n"
      "[accelerator.figures]\nmemory_gb = 32\n";
  dir.write("accelerators/chip.toml", text);
  auto cat = Catalog::load({{dir.path()}});
  ASSERT_TRUE(cat.has_value()) << cat.error().message;
  const Accelerator& v = **cat->accelerator("base-chip-b4");
  EXPECT_EQ(v.base, "base-chip");
  EXPECT_EQ(v.name, "Base B4");
  EXPECT_EQ(v.vendor, "T");
  EXPECT_DOUBLE_EQ(v.memory_gb->value, 32);
  EXPECT_EQ(v.memory_gb->confidence, Confidence::kSecondary);
  EXPECT_DOUBLE_EQ(v.memory_bw_gbps->value, 1600);
  EXPECT_EQ(v.memory_bw_gbps->source, "sheet");
  EXPECT_NE(v.defined_at, (*cat->accelerator("base-chip"))->defined_at);
  EXPECT_TRUE(v.overridden_at.empty());
  EXPECT_DOUBLE_EQ((*cat->accelerator("base-chip"))->memory_gb->value, 64);
}

TEST(CatalogVariants, UnknownOrLateBaseIsALocatedError) {
  testing::TempDir dir;
  dir.write("accelerators/chip.toml",
            "[[accelerator]]\nid = \"v\"\nbase = \"nowhere\"\nname = \"V\"\n");
  auto cat = Catalog::load({{dir.path()}});
  ASSERT_FALSE(cat.has_value());
  EXPECT_NE(cat.error().message.find("chip.toml:3: accelerator.base: "), std::string::npos)
      << cat.error().message;
  EXPECT_NE(cat.error().message.find("nowhere"), std::string::npos);
}

// A profile with `base` starts as a copy of that profile and lists only
// what it changes; an unknown base, or a base given to a profile already
// loaded, is a located error.
TEST(CatalogVariants, ProfilesInheritFromTheirBase) {
  testing::TempDir dir;
  dir.write("efficiency/p.toml",
            "[[profile]]\nid = \"stack-a\"\nsource = \"a\"\ngemm_peak_fraction = 0.4\n"
            "memory_bw_fraction = 0.6\n"
            "[[profile]]\nid = \"stack-b\"\nbase = \"stack-a\"\nsource = \"b\"\n"
            "decode_memory_bw_fraction = 0.3\n");
  auto cat = Catalog::load({{dir.path()}});
  ASSERT_TRUE(cat.has_value()) << cat.error().message;
  const EfficiencyProfile& b = cat->profile("stack-b");
  EXPECT_EQ(b.base, "stack-a");
  EXPECT_EQ(b.source, "b");
  EXPECT_DOUBLE_EQ(b.gemm_peak_fraction, 0.4);
  EXPECT_DOUBLE_EQ(b.memory_bw_fraction, 0.6);
  EXPECT_DOUBLE_EQ(b.decode_memory_bw_fraction, 0.3);
  EXPECT_DOUBLE_EQ(cat->profile("stack-a").decode_memory_bw_fraction, 0.0);

  testing::TempDir bad;
  bad.write("efficiency/p.toml", "[[profile]]\nid = \"x\"\nbase = \"nowhere\"\n");
  auto unknown = Catalog::load({{bad.path()}});
  ASSERT_FALSE(unknown.has_value());
  EXPECT_NE(unknown.error().message.find("p.toml:3: profile.base: "), std::string::npos)
      << unknown.error().message;

  testing::TempDir reparent;
  reparent.write("efficiency/p.toml",
                 "[[profile]]\nid = \"a\"\n[[profile]]\nid = \"b\"\n"
                 "[[profile]]\nid = \"a\"\nbase = \"b\"\n");
  auto again = Catalog::load({{reparent.path()}});
  ASSERT_FALSE(again.has_value());
  EXPECT_NE(again.error().message.find("already defined"), std::string::npos)
      << again.error().message;
}

// Every number a profile takes (profile_numbers(), which `suanli
// calibrate` also writes) is refused above its bound with the file, line
// and key: a catalog overlay cannot set a GEMM fraction of 2 or a latency
// of a year.
TEST(CatalogVariants, EveryProfileNumberIsBoundsChecked) {
  for (const ProfileNumber& n : profile_numbers()) {
    testing::TempDir dir;
    char value[64];
    std::snprintf(value, sizeof value, "%.17g", n.hi * 2 + 1);
    dir.write("efficiency/p.toml", std::string("[[profile]]\nid = \"x\"\nsource = \"s\"\n") +
                                       std::string(n.key) + " = " + value + "\n");
    auto cat = Catalog::load({{dir.path()}});
    ASSERT_FALSE(cat.has_value()) << n.key;
    EXPECT_NE(cat.error().message.find("p.toml:4: profile." + std::string(n.key) + ": "),
              std::string::npos)
        << cat.error().message;
  }
}

TEST(CatalogVariants, ConfirmedDateIsValidated) {
  testing::TempDir dir;
  dir.write("accelerators/chip.toml",
            "[[accelerator]]\nid = \"c\"\nname = \"C\"\nvendor = \"T\"\norigin = \"CN\"\n"
            "source = \"s\"\nconfidence = \"verified\"\n"
            "[accelerator.dense_tflops]\nbf16 = 300\n"
            "[accelerator.figures]\nmemory_gb = 64\nmemory_bw_gbps = 1600\n"
            "[accelerator.availability]\nchina = \"domestic\"\nconfirmed = \"last spring\"\n");
  auto cat = Catalog::load({{dir.path()}});
  ASSERT_FALSE(cat.has_value());
  EXPECT_NE(cat.error().message.find("accelerator.availability.confirmed: expected YYYY-MM"),
            std::string::npos)
      << cat.error().message;
}

}  // namespace
}  // namespace suanli

// The bundled catalog (data/) and the loader's error messages on small
// malformed files written to a temporary directory.
#include "catalog/catalog.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <memory>
#include <regex>
#include <string>
#include <vector>

#include "bundled_catalog.h"
#include "contains.h"
#include "temp_dir.h"

namespace suanli {
namespace {

namespace fs = std::filesystem;

using ::suanli::testing::contains;

fs::path bundled_data() { return fs::path(SUANLI_SOURCE_DIR) / "data"; }

using testing::TempDir;

class BundledCatalog : public testing::BundledCatalogTest {};

TEST_F(BundledCatalog, AllRequiredAcceleratorsLoad) {
  const std::vector<std::string> ids = {
      "h200-sxm", "h100-sxm", "h800-sxm",     "h20",         "a100-sxm-80g", "a800-sxm-80g",
      "b200",     "l20",      "ascend-910b",  "ascend-910c", "ascend-950pr", "mlu370-x8",
      "mlu590",   "mlu690",   "kunlun-p800",  "mtt-s4000",   "mtt-s5000",    "metax-c500",
      "br100",    "tpu-v5p",  "tpu-ironwood", "trainium2",   "trainium3",    "gaudi2"};
  for (const auto& id : ids) {
    auto a = catalog_->accelerator(id);
    ASSERT_TRUE(a.has_value()) << id << ": " << a.error().message;
    EXPECT_EQ((*a)->id, id);
    EXPECT_FALSE((*a)->name.empty()) << id;
    EXPECT_FALSE((*a)->vendor.empty()) << id;
    EXPECT_FALSE((*a)->origin.empty()) << id;
    ASSERT_TRUE((*a)->memory_gb.has_value()) << id;
    EXPECT_GT((*a)->memory_gb->value, 0) << id;
    ASSERT_TRUE((*a)->memory_bw_gbps.has_value()) << id;
    EXPECT_GT((*a)->memory_bw_gbps->value, 0) << id;
    EXPECT_TRUE((*a)->supports(Precision::kBf16) || (*a)->supports(Precision::kFp16) ||
                (*a)->supports(Precision::kInt8))
        << id;
    EXPECT_GE((*a)->node_devices, 1) << id;
  }
  EXPECT_GE(catalog_->accelerators().size(), ids.size());
}

TEST_F(BundledCatalog, IdsAreUnique) {
  auto ids = catalog_->accelerator_ids();
  std::sort(ids.begin(), ids.end());
  EXPECT_EQ(std::adjacent_find(ids.begin(), ids.end()), ids.end());
  auto models = catalog_->model_ids();
  std::sort(models.begin(), models.end());
  EXPECT_EQ(std::adjacent_find(models.begin(), models.end()), models.end());
}

TEST_F(BundledCatalog, RequiredModelsLoad) {
  const std::vector<std::string> ids = {
      "gpt3-175b",  "llama2-7b",   "llama2-13b",  "llama2-70b",  "llama3-8b",
      "llama3-70b", "llama3-405b", "qwen2.5-72b", "deepseek-v3", "qwen3-235b-a22b"};
  EXPECT_GE(catalog_->models().size(), 10u);
  for (const auto& id : ids) {
    auto m = catalog_->model(id);
    ASSERT_TRUE(m.has_value()) << id << ": " << m.error().message;
    const ModelArch& arch = **m;
    EXPECT_GT(arch.layers, 0) << id;
    EXPECT_GT(arch.hidden, 0) << id;
    EXPECT_GT(arch.heads, 0) << id;
    EXPECT_GT(arch.kv_heads, 0) << id;
    EXPECT_EQ(arch.heads % arch.kv_heads, 0) << id;
    EXPECT_GT(arch.head_dim, 0) << id;
    EXPECT_GT(arch.vocab, 0) << id;
    EXPECT_GT(arch.default_seq, 0) << id;
  }
  ASSERT_TRUE(catalog_->model("deepseek-v3").has_value());
  EXPECT_TRUE((*catalog_->model("deepseek-v3"))->is_moe());
  EXPECT_TRUE((*catalog_->model("deepseek-v3"))->mla.has_value());
  EXPECT_TRUE((*catalog_->model("qwen3-235b-a22b"))->is_moe());
  EXPECT_FALSE((*catalog_->model("llama3-70b"))->is_moe());
}

void check_figure(const std::optional<Figure>& f, const std::string& where) {
  if (!f) return;
  EXPECT_FALSE(f->source.empty()) << where << " has no source";
  const std::string_view name = confidence_name(f->confidence);
  EXPECT_FALSE(name.empty()) << where;
  const auto parsed = parse_confidence(name);
  ASSERT_TRUE(parsed.has_value()) << where << " confidence '" << name << "'";
  EXPECT_EQ(*parsed, f->confidence) << where;
  EXPECT_TRUE(std::isfinite(f->value)) << where;
  EXPECT_GT(f->value, 0) << where;
  if (f->low) {
    EXPECT_LE(*f->low, f->value) << where;
  }
  if (f->high) {
    EXPECT_GE(*f->high, f->value) << where;
  }
  EXPECT_FALSE(f->origin.empty()) << where << " has no origin";
}

TEST_F(BundledCatalog, EveryFigureHasSourceAndConfidence) {
  int checked = 0;
  for (const auto& a : catalog_->accelerators()) {
    for (auto p : kAllPrecisions) {
      check_figure(a.rate(p), a.id + ".dense_tflops." + std::string(precision_name(p)));
      checked += a.rate(p) ? 1 : 0;
    }
    const std::pair<const char*, const std::optional<Figure>*> figs[] = {
        {"memory_gb", &a.memory_gb},
        {"memory_bw_gbps", &a.memory_bw_gbps},
        {"scaleup_bidir_gbps", &a.scaleup_bidir_gbps},
        {"scaleup_domain", &a.scaleup_domain},
        {"scaleout_gbps", &a.scaleout_gbps},
        {"tdp_w", &a.tdp_w},
        {"die_area_mm2", &a.die_area_mm2},
        {"price_usd", &a.price_usd},
        {"rental_usd_per_hour", &a.rental_usd_per_hour},
    };
    for (const auto& [name, f] : figs) {
      check_figure(*f, a.id + "." + name);
      checked += f->has_value() ? 1 : 0;
    }
  }
  // At least the two required figures and one rate per accelerator.
  EXPECT_GE(checked, 3 * static_cast<int>(catalog_->accelerators().size()));
}

TEST_F(BundledCatalog, ConfidenceNamesRoundTrip) {
  for (auto c : {Confidence::kVerified, Confidence::kSecondary, Confidence::kEstimate,
                 Confidence::kPlaceholder}) {
    auto p = parse_confidence(confidence_name(c));
    ASSERT_TRUE(p.has_value());
    EXPECT_EQ(*p, c);
  }
  EXPECT_FALSE(parse_confidence("probably").has_value());
}

TEST_F(BundledCatalog, DeepSeekV3ParamCount) {
  auto m = catalog_->model("deepseek-v3");
  ASSERT_TRUE(m.has_value());
  const ParamCount p = count_params(**m);
  EXPECT_NEAR(p.total / 671e9, 1.0, 0.03) << p.total / 1e9 << "B total";
  EXPECT_NEAR(p.active / 37e9, 1.0, 0.03) << p.active / 1e9 << "B active";
  EXPECT_LT(p.active, p.total);
}

TEST_F(BundledCatalog, Llama3_70bParamCount) {
  auto m = catalog_->model("llama3-70b");
  ASSERT_TRUE(m.has_value());
  const ModelArch& a = **m;
  const ParamCount p = count_params(a);
  EXPECT_NEAR(p.total / 70.6e9, 1.0, 0.01) << p.total / 1e9 << "B";
  EXPECT_DOUBLE_EQ(p.active, p.total);  // dense
  // First principles from the shape: GQA attention, SwiGLU MLP, untied
  // input embedding and output layer.
  const double h = a.hidden;
  const double attn = 2.0 * h * a.heads * a.head_dim + 2.0 * h * a.kv_heads * a.head_dim;
  const double mlp = 3.0 * h * a.ffn;
  const double emb = 2.0 * a.vocab * h;
  EXPECT_NEAR(p.total, a.layers * (attn + mlp) + emb, 1.0);
}

TEST_F(BundledCatalog, OtherParamCountsMatchPublished) {
  const std::pair<const char*, double> published[] = {
      {"gpt3-175b", 175e9},    {"llama2-7b", 6.74e9},     {"llama2-13b", 13.0e9},
      {"llama2-70b", 69e9},    {"llama3-8b", 8.03e9},     {"llama3-405b", 405e9},
      {"qwen2.5-72b", 72.7e9}, {"qwen3-235b-a22b", 235e9}};
  for (const auto& [id, n] : published) {
    auto m = catalog_->model(id);
    ASSERT_TRUE(m.has_value()) << id;
    EXPECT_NEAR(count_params(**m).total / n, 1.0, 0.05) << id;
  }
  auto q = catalog_->model("qwen3-235b-a22b");
  ASSERT_TRUE(q.has_value());
  EXPECT_NEAR(count_params(**q).active / 22e9, 1.0, 0.05);
}

TEST_F(BundledCatalog, UnknownAcceleratorSuggestsCloseId) {
  auto a = catalog_->accelerator("h2000");
  ASSERT_FALSE(a.has_value());
  EXPECT_EQ(a.error().code, ErrorCode::kNotFound);
  const std::string& msg = a.error().message;
  EXPECT_TRUE(contains(msg, "h2000")) << msg;
  EXPECT_TRUE(contains(msg, "did you mean")) << msg;
  EXPECT_TRUE(contains(msg, "h20")) << msg;  // h20 or h200-sxm
}

TEST_F(BundledCatalog, UnknownModelSuggestsCloseId) {
  auto m = catalog_->model("llama3-7b");
  ASSERT_FALSE(m.has_value());
  EXPECT_EQ(m.error().code, ErrorCode::kNotFound);
  EXPECT_TRUE(contains(m.error().message, "did you mean")) << m.error().message;
  EXPECT_TRUE(contains(m.error().message, "llama3-")) << m.error().message;
}

TEST_F(BundledCatalog, ProfilesResolveWithDefaultFallback) {
  EXPECT_EQ(catalog_->profile("no-such-profile").id, "default");
  for (const auto& a : catalog_->accelerators()) {
    const EfficiencyProfile& p = catalog_->profile_for(a);
    EXPECT_GT(p.gemm_peak_fraction, 0) << a.id;
    EXPECT_LE(p.gemm_peak_fraction, 1) << a.id;
    EXPECT_GT(p.memory_bw_fraction, 0) << a.id;
    EXPECT_LE(p.memory_bw_fraction, 1) << a.id;
    // A named profile must exist (a typo would silently fall back).
    if (a.efficiency_profile != "default") {
      EXPECT_EQ(p.id, a.efficiency_profile) << a.id;
    }
  }
}

TEST_F(BundledCatalog, UserDirectoryOverridesOneFigureOnly) {
  TempDir dir;
  dir.write("accelerators/override.toml",
            "[[accelerator]]\n"
            "id = \"h200-sxm\"\n"
            "[accelerator.figures]\n"
            "price_usd = { value = 36000, source = \"our 2026 quote\", confidence = \"verified\" "
            "}\n");
  auto merged = Catalog::load({{bundled_data(), dir.path()}});
  ASSERT_TRUE(merged.has_value()) << merged.error().message;
  auto before = catalog_->accelerator("h200-sxm");
  auto after = merged->accelerator("h200-sxm");
  ASSERT_TRUE(before.has_value());
  ASSERT_TRUE(after.has_value());
  const Accelerator& b = **before;
  const Accelerator& a = **after;
  ASSERT_TRUE(a.price_usd.has_value());
  EXPECT_DOUBLE_EQ(a.price_usd->value, 36000);
  EXPECT_EQ(a.price_usd->source, "our 2026 quote");
  EXPECT_EQ(a.price_usd->confidence, Confidence::kVerified);
  ASSERT_TRUE(b.price_usd.has_value());
  EXPECT_NE(b.price_usd->value, 36000);
  // Everything else is unchanged.
  ASSERT_TRUE(a.memory_gb.has_value());
  EXPECT_DOUBLE_EQ(a.memory_gb->value, b.memory_gb->value);
  EXPECT_EQ(a.memory_gb->source, b.memory_gb->source);
  ASSERT_TRUE(a.memory_bw_gbps.has_value());
  EXPECT_DOUBLE_EQ(a.memory_bw_gbps->value, b.memory_bw_gbps->value);
  ASSERT_TRUE(a.rate(Precision::kBf16).has_value());
  EXPECT_DOUBLE_EQ(a.rate(Precision::kBf16)->value, b.rate(Precision::kBf16)->value);
  EXPECT_EQ(a.rental_usd_per_hour.has_value(), b.rental_usd_per_hour.has_value());
  if (a.rental_usd_per_hour) {
    EXPECT_DOUBLE_EQ(a.rental_usd_per_hour->value, b.rental_usd_per_hour->value);
  }
  EXPECT_EQ(a.name, b.name);
  EXPECT_EQ(a.vendor, b.vendor);
  EXPECT_EQ(a.china_status, b.china_status);
  EXPECT_EQ(a.efficiency_profile, b.efficiency_profile);
  EXPECT_EQ(merged->accelerators().size(), catalog_->accelerators().size());
  // Other chips are untouched.
  auto h100_before = catalog_->accelerator("h100-sxm");
  auto h100_after = merged->accelerator("h100-sxm");
  ASSERT_TRUE(h100_before.has_value() && h100_after.has_value());
  ASSERT_TRUE((*h100_after)->price_usd.has_value());
  EXPECT_DOUBLE_EQ((*h100_after)->price_usd->value, (*h100_before)->price_usd->value);
}

TEST_F(BundledCatalog, LaterDirectoryOverridesAnEntryAndSaysWhere) {
  TempDir dir;
  dir.write("accelerators/calibrated.toml",
            "[[accelerator]]\n"
            "id = \"h100-sxm\"\n"
            "efficiency_profile = \"nvidia-hopper-calibrated-h100-sxm\"\n");
  dir.write("efficiency/calibrated.toml",
            "[[profile]]\nid = \"nvidia-hopper-calibrated-h100-sxm\"\nsource = \"fit\"\n"
            "confidence = \"secondary\"\ngemm_peak_fraction = 0.5\n");
  auto merged = Catalog::load({{bundled_data(), dir.path()}});
  ASSERT_TRUE(merged.has_value()) << merged.error().message;
  auto a = merged->accelerator("h100-sxm");
  ASSERT_TRUE(a.has_value());
  EXPECT_EQ((*a)->efficiency_profile, "nvidia-hopper-calibrated-h100-sxm");
  EXPECT_DOUBLE_EQ(merged->profile_for(**a).gemm_peak_fraction, 0.5);
  ASSERT_EQ((*a)->overridden_at.size(), 1u);
  EXPECT_EQ((*a)->overridden_at[0],
            dir.path().filename().string() + "/accelerators/calibrated.toml:1");
  EXPECT_TRUE(contains((*a)->defined_at, "nvidia.toml")) << (*a)->defined_at;
  EXPECT_TRUE((**catalog_->accelerator("h100-sxm")).overridden_at.empty());
}

// ---- malformed files ------------------------------------------------------

// A valid accelerator. Line numbers (1-based) are given for the case
// without `rates_extra`; a one-line `rates_extra` shifts the figures by one.
std::string chip_lines(const std::string& figures_extra = "", const std::string& memory_gb = "64",
                       const std::string& rates_extra = "", const std::string& tail = "") {
  std::string s;
  s += "[[accelerator]]\n";                // 1
  s += "id = \"test-chip\"\n";             // 2
  s += "name = \"Test Chip\"\n";           // 3
  s += "vendor = \"Test\"\n";              // 4
  s += "origin = \"CN\"\n";                // 5
  s += "source = \"test datasheet\"\n";    // 6
  s += "confidence = \"verified\"\n";      // 7
  s += "[accelerator.dense_tflops]\n";     // 8
  s += "bf16 = 100\n";                     // 9
  s += rates_extra;                        // (10 when given)
  s += "[accelerator.figures]\n";          // 10
  s += "memory_gb = " + memory_gb + "\n";  // 11
  s += "memory_bw_gbps = 1000\n";          // 12
  s += figures_extra;                      // 13
  s += tail;                               // 13 (after figures_extra)
  return s;
}

// Loads a catalog made of one accelerators/ file and returns the error.
struct LoadOutcome {
  bool ok = false;
  Error error;
  std::string file;
};

LoadOutcome load_one(const TempDir& dir, const std::string& rel, const std::string& text) {
  const fs::path p = dir.write(rel, text);
  auto r = Catalog::load({{dir.path()}});
  LoadOutcome out;
  // Messages name the file below the catalog directory's own name
  // ("suanli-test-…/accelerators/chip.toml"), as figures' defined_at do.
  out.file = (dir.path().filename() / fs::path(rel)).generic_string();
  out.ok = r.has_value();
  if (!r) out.error = r.error();
  return out;
}

void expect_located(const LoadOutcome& o, int line, const std::string& key) {
  ASSERT_FALSE(o.ok) << "expected a load error for " << key;
  EXPECT_EQ(o.error.code, ErrorCode::kParse) << o.error.message;
  const std::string& msg = o.error.message;
  EXPECT_TRUE(contains(msg, o.file)) << msg;
  EXPECT_TRUE(contains(msg, o.file + ":" + std::to_string(line) + ": " + key + ": ")) << msg;
  EXPECT_TRUE(contains(msg, "expected")) << msg;
}

TEST(CatalogErrors, LocationsNameTheCatalogDirectoryNotTheMachinesPath) {
  TempDir dir;
  dir.write("accelerators/chip.toml", chip_lines());
  auto r = Catalog::load({{dir.path()}});
  ASSERT_TRUE(r.has_value()) << r.error().message;
  ASSERT_FALSE(r->accelerators().empty());
  const std::string at = r->accelerators().front().defined_at;
  EXPECT_TRUE(at.starts_with(dir.path().filename().string() + "/accelerators/chip.toml:")) << at;
  EXPECT_EQ(at.find(dir.path().parent_path().string()), std::string::npos) << at;
  // The same through a relative and a "." spelling of the directory.
  const fs::path cwd = fs::current_path();
  fs::current_path(dir.path());
  auto dot = Catalog::load({{fs::path(".")}});
  auto rel = Catalog::load({{fs::path("accelerators/..")}});
  fs::current_path(cwd);
  ASSERT_TRUE(dot.has_value() && rel.has_value());
  EXPECT_EQ(dot->accelerators().front().defined_at, at);
  EXPECT_EQ(rel->accelerators().front().defined_at, at);
}

TEST(CatalogErrors, ValidTemplateLoads) {
  TempDir dir;
  auto o = load_one(dir, "accelerators/chip.toml", chip_lines());
  ASSERT_TRUE(o.ok) << o.error.message;
  auto cat = Catalog::load({{dir.path()}});
  ASSERT_TRUE(cat.has_value());
  auto a = cat->accelerator("test-chip");
  ASSERT_TRUE(a.has_value());
  ASSERT_TRUE((*a)->memory_gb.has_value());
  EXPECT_DOUBLE_EQ((*a)->memory_gb->value, 64);
  EXPECT_EQ((*a)->memory_gb->source, "test datasheet");
  EXPECT_EQ((*a)->memory_gb->confidence, Confidence::kVerified);
  EXPECT_TRUE(contains((*a)->memory_gb->origin, "chip.toml:11")) << (*a)->memory_gb->origin;
}

TEST(CatalogErrors, StringWhereNumberExpected) {
  TempDir dir;
  auto o = load_one(dir, "accelerators/chip.toml", chip_lines("", "\"64 GB\""));
  expect_located(o, 11, "accelerator.figures.memory_gb");
}

TEST(CatalogErrors, UnknownFigureKey) {
  TempDir dir;
  auto o = load_one(dir, "accelerators/chip.toml", chip_lines("memory_gbs = 64\n"));
  expect_located(o, 13, "accelerator.figures.memory_gbs");
}

TEST(CatalogErrors, FigureWithoutSource) {
  TempDir dir;
  // No entry-level source: every figure must bring its own.
  const std::string text =
      "[[accelerator]]\n"                                                 // 1
      "id = \"test-chip\"\n"                                              // 2
      "name = \"Test Chip\"\n"                                            // 3
      "vendor = \"Test\"\n"                                               // 4
      "origin = \"CN\"\n"                                                 // 5
      "confidence = \"verified\"\n"                                       // 6
      "[accelerator.dense_tflops]\n"                                      // 7
      "bf16 = { value = 100, source = \"sheet\" }\n"                      // 8
      "[accelerator.figures]\n"                                           // 9
      "memory_gb = { value = 64, source = \"sheet\" }\n"                  // 10
      "memory_bw_gbps = { value = 1000, note = \"no source given\" }\n";  // 11
  auto o = load_one(dir, "accelerators/chip.toml", text);
  expect_located(o, 11, "accelerator.figures.memory_bw_gbps");
  EXPECT_TRUE(contains(o.error.message, "source")) << o.error.message;
}

// A package's die count and its scale-up wiring are bounded and spelled out.
std::string chip_with_top_level(const std::string& line6) {
  return "[[accelerator]]\n"              // 1
         "id = \"test-chip\"\n"           // 2
         "name = \"Test Chip\"\n"         // 3
         "vendor = \"Test\"\n"            // 4
         "origin = \"CN\"\n"              // 5
         + line6 +                        // 6
         "source = \"test datasheet\"\n"  // 7
         "confidence = \"verified\"\n"    // 8
         "[accelerator.dense_tflops]\n"   // 9
         "bf16 = 100\n"                   // 10
         "[accelerator.figures]\n"        // 11
         "memory_gb = 64\n"               // 12
         "memory_bw_gbps = 1000\n";       // 13
}

TEST(CatalogErrors, DiesOutOfRange) {
  TempDir dir;
  auto o = load_one(dir, "accelerators/chip.toml", chip_with_top_level("dies = 9\n"));
  expect_located(o, 6, "accelerator.dies");
  TempDir dir0;
  auto zero = load_one(dir0, "accelerators/chip.toml", chip_with_top_level("dies = 0\n"));
  EXPECT_FALSE(zero.ok);
  TempDir dir2;
  auto two = load_one(dir2, "accelerators/chip.toml", chip_with_top_level("dies = 2\n"));
  ASSERT_TRUE(two.ok) << two.error.message;
  auto cat = Catalog::load({{dir2.path()}});
  ASSERT_TRUE(cat.has_value());
  EXPECT_EQ((*cat->accelerator("test-chip"))->dies, 2);
}

TEST(CatalogErrors, DieLinkNeedsDies) {
  TempDir dir;
  auto o = load_one(dir, "accelerators/chip.toml", chip_lines("die_link_gbps = 100\n"));
  ASSERT_FALSE(o.ok);
  EXPECT_TRUE(contains(o.error.message, "die_link_gbps needs dies >= 2")) << o.error.message;
  TempDir dir2;
  auto ok = load_one(dir2, "accelerators/chip.toml",
                     chip_with_top_level("dies = 2\n") + "die_link_gbps = 100\n");
  EXPECT_TRUE(ok.ok) << ok.error.message;
}

TEST(CatalogErrors, UnknownScaleupTopology) {
  TempDir dir;
  auto o =
      load_one(dir, "accelerators/chip.toml", chip_with_top_level("scaleup_topology = \"ring\"\n"));
  expect_located(o, 6, "accelerator.scaleup_topology");
  TempDir dir2;
  auto mesh = load_one(dir2, "accelerators/chip.toml",
                       chip_with_top_level("scaleup_topology = \"full-mesh\"\n"));
  ASSERT_TRUE(mesh.ok) << mesh.error.message;
}

TEST(CatalogErrors, UnknownPrecision) {
  TempDir dir;
  auto o = load_one(dir, "accelerators/chip.toml", chip_lines("", "64", "fp9 = 200\n"));
  expect_located(o, 10, "accelerator.dense_tflops.fp9");
}

TEST(CatalogErrors, UnknownChinaStatus) {
  TempDir dir;
  auto o = load_one(dir, "accelerators/chip.toml",
                    chip_lines("", "64", "",
                               "[accelerator.availability]\n"  // 13
                               "china = \"maybe\"\n"));        // 14
  expect_located(o, 14, "accelerator.availability.china");
  EXPECT_TRUE(contains(o.error.message, "maybe")) << o.error.message;
}

TEST(CatalogErrors, TomlSyntaxErrorGivesLineAndColumn) {
  TempDir dir;
  auto o = load_one(dir, "accelerators/chip.toml", chip_lines("", "= 64"));
  ASSERT_FALSE(o.ok);
  EXPECT_EQ(o.error.code, ErrorCode::kParse);
  const std::string& msg = o.error.message;
  ASSERT_TRUE(contains(msg, o.file + ":")) << msg;
  const std::string rest = msg.substr(msg.find(o.file) + o.file.size());
  EXPECT_TRUE(std::regex_search(rest, std::regex("^:11:[0-9]+: "))) << msg;
}

constexpr const char* kTinyModel =
    "[[model]]\n"          // 1
    "id = \"tiny\"\n"      // 2
    "name = \"Tiny\"\n"    // 3
    "source = \"test\"\n"  // 4
    "layers = 2\n"         // 5
    "hidden = 256\n"       // 6
    "heads = 4\n"          // 7
    "ffn = 1024\n"         // 8
    "vocab = 1000\n"       // 9
    "mlp = \"gelu\"\n";    // 10

TEST(CatalogErrors, ConsistentParamsLoad) {
  // 2 x (4·256² + 2·256·1024) + 2·1000·256 = 2,084,864 parameters.
  TempDir dir;
  auto o = load_one(dir, "models/tiny.toml", std::string(kTinyModel) + "params_b = 0.002085\n");
  ASSERT_TRUE(o.ok) << o.error.message;
  auto cat = Catalog::load({{dir.path()}});
  ASSERT_TRUE(cat.has_value());
  auto m = cat->model("tiny");
  ASSERT_TRUE(m.has_value());
  EXPECT_DOUBLE_EQ(count_params(**m).total, 2084864.0);
  EXPECT_EQ((*m)->head_dim, 64);
  EXPECT_EQ((*m)->kv_heads, 4);
}

TEST(CatalogErrors, ParamsInconsistentWithShape) {
  TempDir dir;
  auto o = load_one(dir, "models/tiny.toml", std::string(kTinyModel) + "params_b = 7.0\n");  // 11
  expect_located(o, 11, "model.params_b");
}

TEST(CatalogErrors, MissingDirectoryIsIoError) {
  TempDir dir;
  auto r = Catalog::load({{dir.path() / "nope"}});
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, ErrorCode::kIo);
}

TEST(CatalogTexts, MergeAfterTheDirectoriesAndNameTheText) {
  CatalogOptions o;
  o.directories = {bundled_data()};
  o.texts.push_back({"override:h200-sxm", R"(
[sources]
q = "our quote"
[[accelerator]]
id = "h200-sxm"
[accelerator.figures]
rental_usd_per_hour = { value = 1.25, source = "q", confidence = "verified" }
)"});
  auto c = Catalog::load(o);
  ASSERT_TRUE(c) << c.error().message;
  auto a = c->accelerator("h200-sxm");
  ASSERT_TRUE(a);
  ASSERT_TRUE((*a)->rental_usd_per_hour);
  EXPECT_DOUBLE_EQ((*a)->rental_usd_per_hour->value, 1.25);
  EXPECT_EQ((*a)->rental_usd_per_hour->source, "our quote");
  EXPECT_EQ((*a)->name, "NVIDIA H200 SXM");  // the rest is the bundled entry

  // Errors name the text; a figure without a source is refused.
  o.texts = {{"override:h200-sxm", R"(
[[accelerator]]
id = "h200-sxm"
[accelerator.figures]
rental_usd_per_hour = { value = 1.25, confidence = "verified" }
)"}};
  auto bad = Catalog::load(o);
  ASSERT_FALSE(bad);
  EXPECT_TRUE(contains(bad.error().message, "override:h200-sxm")) << bad.error().message;
  EXPECT_TRUE(contains(bad.error().message, "source")) << bad.error().message;

  o.texts = {{"broken", "[[accelerator]\n"}};
  auto syntax = Catalog::load(o);
  ASSERT_FALSE(syntax);
  EXPECT_EQ(syntax.error().code, ErrorCode::kParse);
  EXPECT_TRUE(contains(syntax.error().message, "broken:")) << syntax.error().message;
}

// ---- residual spreads ------------------------------------------------------

TEST(CatalogResiduals, LoadAndReplaceBySameKey) {
  TempDir a;
  TempDir b;
  a.write("efficiency/residuals.toml",
          "[[residual]]\nprofile = \"p\"\nkind = \"train\"\nrows = 12\np10 = -0.1\n"
          "p50 = 0\np90 = 0.1\nsource = \"cv\"\n");
  b.write("efficiency/residuals.toml",
          "[[residual]]\nprofile = \"p\"\nkind = \"train\"\nrows = 20\np10 = -0.2\n"
          "p50 = 0\np90 = 0.2\nsource = \"cv 2\"\n");
  auto cat = Catalog::load({{a.path(), b.path()}});
  ASSERT_TRUE(cat.has_value()) << cat.error().message;
  ASSERT_EQ(cat->residuals().size(), 1u);
  EXPECT_EQ(cat->residuals()[0].rows, 20);
  EXPECT_EQ(cat->residual_for("p", "", "train").level, "profile");
}

TEST(CatalogResiduals, BadRowsGiveFileLineErrors) {
  auto row = [](const std::string& body) {
    return "[[residual]]\nprofile = \"p\"\nkind = \"train\"\n" + body + "source = \"cv\"\n";
  };
  struct Case {
    std::string body;
    int line;
    std::string key;
  };
  const Case cases[] = {
      {"rows = 10\np10 = 0.2\np50 = 0.1\np90 = 0.3\n", 6, "residual.p50"},
      {"rows = 10\np10 = -0.95\np50 = 0\np90 = 0.1\n", 5, "residual.p10"},
      {"rows = 10\np10 = -0.1\np50 = 0\np90 = 5.5\n", 7, "residual.p90"},
      {"rows = 0\np10 = -0.1\np50 = 0\np90 = 0.1\n", 4, "residual.rows"},
  };
  for (const auto& c : cases) {
    TempDir dir;
    auto o = load_one(dir, "efficiency/residuals.toml", row(c.body));
    expect_located(o, c.line, c.key);
  }
}

TEST(CatalogStacks, AttentionBlockTokensIsAPositiveBoundedInteger) {
  auto stack = [](const std::string& value) {
    return "[[stack]]\nid = \"s\"\nsource = \"test\"\nflash_attention = false\n"
           "attention_block_tokens = " +
           value + "\n";
  };
  for (const char* bad : {"0", "-512", "2000000", "512.5", "\"512\""}) {
    SCOPED_TRACE(bad);
    TempDir dir;
    auto o = load_one(dir, "stacks/s.toml", stack(bad));
    expect_located(o, 5, "stack.attention_block_tokens");
  }
  TempDir dir;
  auto o = load_one(dir, "stacks/s.toml", stack("512"));
  ASSERT_TRUE(o.ok) << o.error.message;
  auto cat = Catalog::load({{dir.path()}});
  ASSERT_TRUE(cat.has_value());
  auto st = cat->stack("s");
  ASSERT_TRUE(st.has_value());
  EXPECT_EQ((*st)->attention_block_tokens, 512);
}

}  // namespace
}  // namespace suanli

// Training-step model: validation rules, invariants that hold for any sane
// calibration (breakdown sums, MFU <= HFU, monotonic scaling, determinism),
// and the model-FLOPs formula computed by hand from the shape.
#include "perf/train.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <memory>
#include <string>

#include "bundled_catalog.h"
#include "contains.h"

namespace suanli {
namespace {

using ::suanli::testing::contains;

class TrainTest : public testing::BundledCatalogTest {
 protected:
  static DeviceModel device(const std::string& id, Precision p = Precision::kBf16) {
    const Accelerator& a = accel(id);
    auto d = make_device_model(a, catalog_->profile_for(a), p);
    EXPECT_TRUE(d.has_value()) << id << ": " << (d ? "" : d.error().message);
    return *d;
  }
  static TrainWorkload workload(const ModelArch& m, int seq, long long global_batch) {
    TrainWorkload w;
    w.model = m;
    w.seq = seq;
    w.global_batch = global_batch;
    return w;
  }
  static TrainModel make(const TrainWorkload& w, const std::string& accel_id, int devices) {
    DeviceModel d = device(accel_id, w.precision);
    price_device(d, w.cost);
    auto t = TrainModel::create(w, d, devices);
    EXPECT_TRUE(t.has_value()) << (t ? "" : t.error().message);
    return *t;
  }
};

double breakdown_sum(const TrainBreakdown& b) {
  return b.compute + b.tp_comm + b.cp_comm + b.ep_comm + b.pp_comm + b.bubble + b.dp_comm +
         b.optimizer;
}

void expect_sane(const TrainEstimate& e, const std::string& what) {
  EXPECT_TRUE(std::isfinite(e.step_time_s)) << what;
  EXPECT_GT(e.step_time_s, 0) << what;
  EXPECT_GT(e.tokens_per_s, 0) << what;
  EXPECT_GT(e.mfu, 0) << what;
  EXPECT_LE(e.mfu, 1.0) << what;
  EXPECT_LE(e.hfu, 1.0) << what;
  EXPECT_LE(e.mfu, e.hfu) << what;
  const TrainBreakdown& b = e.breakdown;
  for (double v :
       {b.compute, b.tp_comm, b.cp_comm, b.ep_comm, b.pp_comm, b.bubble, b.dp_comm, b.optimizer}) {
    EXPECT_TRUE(std::isfinite(v)) << what;
    EXPECT_GE(v, 0) << what;
  }
  EXPECT_GT(b.compute, 0) << what;
  EXPECT_NEAR(breakdown_sum(b), e.step_time_s, 1e-9 * e.step_time_s) << what;
  EXPECT_GT(e.memory.total, 0) << what;
  EXPECT_NEAR(e.memory.total,
              e.memory.weights + e.memory.grads + e.memory.optimizer + e.memory.activations +
                  e.memory.logits,
              1e-9 * e.memory.total)
      << what;
  EXPECT_EQ(e.fits, e.memory.total <= e.memory.usable) << what;
}

// ---- gpt3-175b does not fit on one 8 x A100 node without model parallelism

TEST_F(TrainTest, Gpt3OnEightA100sWithoutModelParallelismDoesNotFit) {
  const TrainWorkload w = workload(model("gpt3-175b"), 2048, 1536);
  const TrainModel t = make(w, "a100-sxm-80g", 8);
  Parallelism p;
  p.tp = 1;
  p.pp = 1;
  p.dp = 8;
  p.micro_batch = 1;
  p.recompute = Recompute::kFull;
  p.zero = 1;
  ASSERT_TRUE(t.check(p).has_value());
  const TrainEstimate e = t.evaluate(p);
  EXPECT_FALSE(e.fits);
  EXPECT_GT(e.memory.total, e.memory.usable);
  // 175B 16-bit weights alone are 350 GB, far beyond 80 GB.
  EXPECT_GT(e.memory.weights, 80e9);
  EXPECT_GT(e.memory.usable, 0);
  EXPECT_LE(e.memory.usable, 80e9);

  ParallelismRequest req;
  req.tp = 1;
  req.pp = 1;
  req.dp = 8;
  req.micro_batch = 1;
  req.recompute = Recompute::kFull;
  req.zero = 1;
  auto r = search_train(t, req);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, ErrorCode::kInfeasible);
  EXPECT_TRUE(contains(r.error().message, "GB")) << r.error().message;
}

TEST_F(TrainTest, Fp8OnA100IsUnsupported) {
  const Accelerator& a = accel("a100-sxm-80g");
  auto d = make_device_model(a, catalog_->profile_for(a), Precision::kFp8);
  ASSERT_FALSE(d.has_value());
  EXPECT_EQ(d.error().code, ErrorCode::kUnsupported);
  EXPECT_TRUE(contains(d.error().message, "fp8")) << d.error().message;
  // BF16 works on the same chip, and FP8 works on an H100.
  EXPECT_TRUE(make_device_model(a, catalog_->profile_for(a), Precision::kBf16).has_value());
  const Accelerator& h = accel("h100-sxm");
  EXPECT_TRUE(make_device_model(h, catalog_->profile_for(h), Precision::kFp8).has_value());
}

TEST_F(TrainTest, DeviceModelUsesCatalogFigures) {
  const Accelerator& a = accel("h100-sxm");
  const EfficiencyProfile& prof = catalog_->profile_for(a);
  const DeviceModel d = device("h100-sxm");
  EXPECT_DOUBLE_EQ(d.peak_flops, a.rate(Precision::kBf16)->value * 1e12);
  EXPECT_DOUBLE_EQ(d.bf16_peak_flops, a.rate(Precision::kBf16)->value * 1e12);
  // The datasheet's "80 GB" may be read as GB or GiB; nothing else.
  EXPECT_GE(d.memory_total_bytes, a.memory_gb->value * 1e9 * (1 - 1e-12));
  EXPECT_LE(d.memory_total_bytes, a.memory_gb->value * 1073741824.0 * (1 + 1e-12));
  EXPECT_LT(d.memory_bytes, d.memory_total_bytes);
  EXPECT_GT(d.memory_bytes, 0);
  EXPECT_NEAR(d.mem_bw, a.memory_bw_gbps->value * 1e9 * prof.memory_bw_fraction, 1.0);
  EXPECT_LE(d.mem_bw, a.memory_bw_gbps->value * 1e9);
  const DeviceModel d8 = device("h100-sxm", Precision::kFp8);
  EXPECT_DOUBLE_EQ(d8.peak_flops, a.rate(Precision::kFp8)->value * 1e12);
  EXPECT_DOUBLE_EQ(d8.bf16_peak_flops, d.bf16_peak_flops);
}

// ---- check() rules -------------------------------------------------------

TEST_F(TrainTest, CheckRejectsTpNotDividingHeads) {
  const ModelArch& m = model("llama3-8b");
  ASSERT_NE(m.heads % 3, 0);
  const TrainModel t = make(workload(m, 4096, 240), "h100-sxm", 24);
  Parallelism p;
  p.tp = 3;
  p.pp = 1;
  p.dp = 8;
  auto r = t.check(p);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
  EXPECT_TRUE(contains(r.error().message, "heads")) << r.error().message;
}

TEST_F(TrainTest, CheckRejectsPpNotDividingLayers) {
  const ModelArch& m = model("llama3-8b");
  ASSERT_NE(m.layers % 3, 0);
  const TrainModel t = make(workload(m, 4096, 240), "h100-sxm", 24);
  Parallelism p;
  p.tp = 1;
  p.pp = 3;
  p.dp = 8;
  auto r = t.check(p);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
  EXPECT_TRUE(contains(r.error().message, "--uneven-pipeline")) << r.error().message;
}

TEST_F(TrainTest, CheckRejectsWrongDeviceProduct) {
  const TrainModel t = make(workload(model("llama3-8b"), 4096, 256), "h100-sxm", 8);
  Parallelism p;
  p.tp = 2;
  p.pp = 2;
  p.dp = 1;  // 4 != 8
  auto r = t.check(p);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
  p.dp = 4;  // 16 != 8
  EXPECT_FALSE(t.check(p).has_value());
  p.dp = 2;
  EXPECT_TRUE(t.check(p).has_value()) << t.check(p).error().message;
  p.dp = 1;
  p.cp = 2;  // 2·2·1·2 = 8
  EXPECT_TRUE(t.check(p).has_value()) << t.check(p).error().message;
}

TEST_F(TrainTest, CheckRejectsZeroAboveThree) {
  const TrainModel t = make(workload(model("llama3-8b"), 4096, 256), "h100-sxm", 8);
  Parallelism p;
  p.tp = 1;
  p.pp = 1;
  p.dp = 8;
  for (int z = 0; z <= 3; ++z) {
    p.zero = z;
    EXPECT_TRUE(t.check(p).has_value()) << "zero " << z;
  }
  p.zero = 4;
  auto r = t.check(p);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
  p.zero = -1;
  EXPECT_FALSE(t.check(p).has_value());
}

TEST_F(TrainTest, CreateRejectsBadWorkloads) {
  const DeviceModel d = device("h100-sxm");
  TrainWorkload w = workload(model("llama3-8b"), 4096, 256);
  auto zero_devices = TrainModel::create(w, d, 0);
  ASSERT_FALSE(zero_devices.has_value());
  EXPECT_EQ(zero_devices.error().code, ErrorCode::kInvalidArgument);
  auto neg_devices = TrainModel::create(w, d, -8);
  ASSERT_FALSE(neg_devices.has_value());
  EXPECT_EQ(neg_devices.error().code, ErrorCode::kInvalidArgument);

  TrainWorkload seq0 = w;
  seq0.seq = 0;
  auto r1 = TrainModel::create(seq0, d, 8);
  ASSERT_FALSE(r1.has_value());
  EXPECT_EQ(r1.error().code, ErrorCode::kInvalidArgument);

  TrainWorkload neg_tokens = w;
  neg_tokens.tokens = -1e12;
  auto r2 = TrainModel::create(neg_tokens, d, 8);
  ASSERT_FALSE(r2.has_value());
  EXPECT_EQ(r2.error().code, ErrorCode::kInvalidArgument);

  TrainWorkload gb0 = w;
  gb0.global_batch = 0;
  EXPECT_FALSE(TrainModel::create(gb0, d, 8).has_value());

  EXPECT_TRUE(TrainModel::create(w, d, 8).has_value());
}

// ---- invariants ----------------------------------------------------------

TEST_F(TrainTest, BreakdownSumsToStepTimeAcrossConfigurations) {
  {
    const TrainModel t = make(workload(model("llama3-70b"), 4096, 128), "h100-sxm", 64);
    const Parallelism cfgs[] = {
        {.tp = 8,
         .pp = 4,
         .dp = 2,
         .vpp = 1,
         .micro_batch = 1,
         .recompute = Recompute::kSelective,
         .sequence_parallel = true,
         .zero = 1},
        {.tp = 8,
         .pp = 4,
         .dp = 2,
         .vpp = 5,
         .micro_batch = 1,
         .recompute = Recompute::kFull,
         .sequence_parallel = true,
         .zero = 1},
        {.tp = 4,
         .pp = 8,
         .dp = 2,
         .vpp = 1,
         .micro_batch = 2,
         .recompute = Recompute::kNone,
         .sequence_parallel = false,
         .zero = 0},
        {.tp = 8,
         .pp = 2,
         .dp = 2,
         .cp = 2,
         .micro_batch = 1,
         .recompute = Recompute::kFull,
         .sequence_parallel = true,
         .zero = 3},
        {.tp = 2, .pp = 1, .dp = 32, .micro_batch = 1, .recompute = Recompute::kFull, .zero = 2},
    };
    for (const auto& p : cfgs) {
      ASSERT_TRUE(t.check(p).has_value()) << t.check(p).error().message;
      expect_sane(t.evaluate(p), "llama3-70b tp" + std::to_string(p.tp) + " pp" +
                                     std::to_string(p.pp) + " vpp" + std::to_string(p.vpp));
    }
  }
  {
    // MoE with expert parallelism.
    const TrainModel t = make(workload(model("deepseek-v3"), 4096, 256), "h100-sxm", 256);
    Parallelism p{.tp = 1,
                  .pp = 1,
                  .dp = 256,
                  .ep = 32,
                  .micro_batch = 1,
                  .recompute = Recompute::kFull,
                  .zero = 1};
    ASSERT_TRUE(t.check(p).has_value()) << t.check(p).error().message;
    const TrainEstimate e = t.evaluate(p);
    expect_sane(e, "deepseek-v3 ep32");
    EXPECT_GT(e.breakdown.ep_comm, 0);
  }
}

TEST_F(TrainTest, FullRecomputeRaisesHfuAboveMfu) {
  const TrainModel t = make(workload(model("llama3-8b"), 4096, 256), "h100-sxm", 8);
  Parallelism p{
      .tp = 1, .pp = 1, .dp = 8, .micro_batch = 1, .recompute = Recompute::kFull, .zero = 1};
  const TrainEstimate full = t.evaluate(p);
  EXPECT_GT(full.hfu, full.mfu);
  EXPECT_GT(full.hardware_flops_per_step, full.model_flops_per_step);
  p.recompute = Recompute::kNone;
  const TrainEstimate none = t.evaluate(p);
  EXPECT_LE(none.mfu, none.hfu);
  EXPECT_DOUBLE_EQ(none.model_flops_per_step, full.model_flops_per_step);
  // Recomputation costs time, never saves it.
  EXPECT_GT(full.step_time_s, none.step_time_s);
  EXPECT_LT(full.memory.activations, none.memory.activations);
}

double hand_model_flops_per_step(int layers, int hidden, int heads, int kv_heads, int ffn,
                                 int vocab, bool swiglu, int seq, long long global_batch) {
  const double h = hidden;
  const double dh = static_cast<double>(hidden) / heads;
  const double attn_params =
      h * heads * dh /*Q*/ + 2.0 * h * kv_heads * dh /*K,V*/ + heads * dh * h /*O*/;
  const double mlp_params = (swiglu ? 3.0 : 2.0) * h * ffn;
  const double logits_params = static_cast<double>(vocab) * h;
  const double matmul_params = layers * (attn_params + mlp_params) + logits_params;
  // Causal attention: QK^T and AV, 2·head_dim MACs per (query, key) pair,
  // half the pairs, 2 FLOPs per MAC -> seq · heads · 2 · head_dim per token.
  const double attn = static_cast<double>(seq) * heads * (2.0 * dh) * layers;
  const double tokens = static_cast<double>(seq) * global_batch;
  return 3.0 * (2.0 * matmul_params + attn) * tokens;
}

TEST_F(TrainTest, ModelFlopsMatchHandFormulaSwigluGqa) {
  const int layers = 4, hidden = 512, heads = 8, kv_heads = 2, ffn = 1536, vocab = 1000;
  const int seq = 1024;
  const long long gb = 16;
  TrainWorkload w;
  w.model = make_custom_model(layers, hidden, heads, kv_heads, ffn, vocab, MlpKind::kSwiglu);
  w.seq = seq;
  w.global_batch = gb;
  const TrainModel t = make(w, "h100-sxm", 8);
  Parallelism p{
      .tp = 1, .pp = 1, .dp = 8, .micro_batch = 1, .recompute = Recompute::kNone, .zero = 1};
  ASSERT_TRUE(t.check(p).has_value()) << t.check(p).error().message;
  const TrainEstimate e = t.evaluate(p);
  const double expected =
      hand_model_flops_per_step(layers, hidden, heads, kv_heads, ffn, vocab, true, seq, gb);
  EXPECT_NEAR(e.model_flops_per_step, expected, 1e-9 * expected);
  EXPECT_NEAR(t.model_flops_per_token() * seq * gb, expected, 1e-9 * expected);
  // No recomputation: hardware FLOPs are the model FLOPs.
  EXPECT_NEAR(e.hardware_flops_per_step, expected, 1e-9 * expected);
  // MFU is model FLOPs / (time · devices · BF16 peak).
  const double peak = t.device().bf16_peak_flops;
  EXPECT_NEAR(e.mfu, expected / (e.step_time_s * 8 * peak), 1e-9 * e.mfu);
  EXPECT_NEAR(e.model_tflops_per_device, expected / e.step_time_s / 8 / 1e12,
              1e-9 * e.model_tflops_per_device);
  EXPECT_NEAR(e.tokens_per_s, static_cast<double>(seq) * gb / e.step_time_s, 1e-9 * e.tokens_per_s);
}

TEST_F(TrainTest, ModelFlopsMatchHandFormulaGeluMha) {
  const int layers = 6, hidden = 768, heads = 12, ffn = 3072, vocab = 50257;
  const int seq = 2048;
  const long long gb = 8;
  TrainWorkload w;
  w.model = make_custom_model(layers, hidden, heads, 0, ffn, vocab, MlpKind::kGelu);
  w.seq = seq;
  w.global_batch = gb;
  const TrainModel t = make(w, "a100-sxm-80g", 4);
  Parallelism p{
      .tp = 2, .pp = 2, .dp = 1, .micro_batch = 1, .recompute = Recompute::kSelective, .zero = 1};
  ASSERT_TRUE(t.check(p).has_value()) << t.check(p).error().message;
  const TrainEstimate e = t.evaluate(p);
  const double expected =
      hand_model_flops_per_step(layers, hidden, heads, heads, ffn, vocab, false, seq, gb);
  EXPECT_NEAR(e.model_flops_per_step, expected, 1e-9 * expected);
  expect_sane(e, "custom gelu");
}

TEST_F(TrainTest, EvaluationIsDeterministic) {
  const TrainWorkload w = workload(model("llama3-70b"), 4096, 128);
  const TrainModel t1 = make(w, "h100-sxm", 64);
  const TrainModel t2 = make(w, "h100-sxm", 64);
  const Parallelism p{.tp = 8,
                      .pp = 4,
                      .dp = 2,
                      .vpp = 5,
                      .micro_batch = 1,
                      .recompute = Recompute::kSelective,
                      .sequence_parallel = true,
                      .zero = 1};
  ASSERT_TRUE(t1.check(p).has_value());
  const TrainEstimate a = t1.evaluate(p);
  const TrainEstimate b = t1.evaluate(p);
  const TrainEstimate c = t2.evaluate(p);
  for (const TrainEstimate* other : {&b, &c}) {
    EXPECT_EQ(std::memcmp(&a.step_time_s, &other->step_time_s, sizeof(double)), 0);
    EXPECT_EQ(std::memcmp(&a.tokens_per_s, &other->tokens_per_s, sizeof(double)), 0);
    EXPECT_EQ(std::memcmp(&a.mfu, &other->mfu, sizeof(double)), 0);
    EXPECT_EQ(std::memcmp(&a.breakdown, &other->breakdown, sizeof(TrainBreakdown)), 0);
    EXPECT_EQ(std::memcmp(&a.memory, &other->memory, sizeof(TrainMemory)), 0);
  }
}

TEST_F(TrainTest, SearchIsDeterministic) {
  const TrainModel t = make(workload(model("llama3-8b"), 8192, 512), "h100-sxm", 64);
  auto r1 = search_train(t, {});
  auto r2 = search_train(t, {});
  ASSERT_TRUE(r1.has_value()) << r1.error().message;
  ASSERT_TRUE(r2.has_value());
  EXPECT_EQ(r1->candidates, r2->candidates);
  EXPECT_EQ(r1->feasible, r2->feasible);
  // Field by field: the struct's padding bytes are not part of the answer.
  EXPECT_TRUE(r1->best.par == r2->best.par);
  EXPECT_EQ(std::memcmp(&r1->best.step_time_s, &r2->best.step_time_s, sizeof(double)), 0);
}

TEST_F(TrainTest, MoreDevicesNeverSlower) {
  const TrainWorkload w = workload(model("llama3-8b"), 8192, 512);
  double prev = 0;
  for (int n : {64, 128, 256}) {
    const TrainModel t = make(w, "h100-sxm", n);
    auto r = search_train(t, {});
    ASSERT_TRUE(r.has_value()) << n << ": " << r.error().message;
    EXPECT_GE(r->best.tokens_per_s, prev) << n << " devices";
    prev = r->best.tokens_per_s;
  }
}

TEST_F(TrainTest, H100FasterThanA100) {
  const TrainWorkload w = workload(model("llama3-8b"), 8192, 512);
  auto h = search_train(make(w, "h100-sxm", 64), {});
  auto a = search_train(make(w, "a100-sxm-80g", 64), {});
  ASSERT_TRUE(h.has_value()) << h.error().message;
  ASSERT_TRUE(a.has_value()) << a.error().message;
  EXPECT_GT(h->best.tokens_per_s, a->best.tokens_per_s);
  // And the same holds for one fixed configuration.
  const Parallelism p{.tp = 2,
                      .pp = 1,
                      .dp = 32,
                      .micro_batch = 1,
                      .recompute = Recompute::kSelective,
                      .sequence_parallel = true,
                      .zero = 1};
  EXPECT_GT(make(w, "h100-sxm", 64).evaluate(p).tokens_per_s,
            make(w, "a100-sxm-80g", 64).evaluate(p).tokens_per_s);
}

TEST_F(TrainTest, SearchedBestFitsAndRespectsFixedFields) {
  const TrainModel t = make(workload(model("llama3-70b"), 4096, 256), "h100-sxm", 64);
  auto r = search_train(t, {});
  ASSERT_TRUE(r.has_value()) << r.error().message;
  const TrainEstimate& e = r->best;
  EXPECT_TRUE(e.fits);
  EXPECT_LE(e.memory.total, e.memory.usable);
  EXPECT_TRUE(t.check(e.par).has_value());
  EXPECT_GT(r->candidates, 0);
  EXPECT_GT(r->feasible, 0);
  EXPECT_LE(r->feasible, r->candidates);
  expect_sane(e, "searched llama3-70b");
  EXPECT_EQ(1LL * e.par.tp * e.par.pp * e.par.dp * e.par.cp, 64);

  ParallelismRequest req;
  req.tp = 4;
  req.pp = 4;
  auto fixed = search_train(t, req);
  ASSERT_TRUE(fixed.has_value()) << fixed.error().message;
  EXPECT_EQ(fixed->best.par.tp, 4);
  EXPECT_EQ(fixed->best.par.pp, 4);
  EXPECT_TRUE(fixed->best.fits);
  // Fixing fields can only make the best slower (it is a sub-search).
  EXPECT_GE(fixed->best.step_time_s, e.step_time_s);
  EXPECT_LT(fixed->candidates, r->candidates);
}

TEST_F(TrainTest, SearchCoversTensOfThousandsOfCandidates) {
  const TrainModel t = make(workload(model("gpt3-175b"), 2048, 1536), "a100-sxm-80g", 1024);
  auto r = search_train(t, {});
  ASSERT_TRUE(r.has_value()) << r.error().message;
  EXPECT_GE(r->candidates, 10000);
  EXPECT_TRUE(r->best.fits);
  EXPECT_LE(r->best.memory.total, r->best.memory.usable);
  EXPECT_GE(r->searched.size(), 5u);
}

TEST_F(TrainTest, UnevenPipelineAllowsLlama405bOnSixteenStages) {
  const ModelArch& m = model("llama3-405b");
  ASSERT_EQ(m.layers % 16, 14);  // 126 layers
  TrainWorkload w = workload(m, 8192, 256);
  const Parallelism p{.tp = 8,
                      .pp = 16,
                      .dp = 2,
                      .micro_batch = 1,
                      .recompute = Recompute::kFull,
                      .sequence_parallel = true,
                      .zero = 1};
  {
    const TrainModel even = make(w, "h100-sxm", 256);
    auto r = even.check(p);
    ASSERT_FALSE(r.has_value());
    EXPECT_TRUE(contains(r.error().message, "--uneven-pipeline")) << r.error().message;
  }
  w.uneven_pipeline = true;
  const TrainModel uneven = make(w, "h100-sxm", 256);
  ASSERT_TRUE(uneven.check(p).has_value()) << uneven.check(p).error().message;
  const TrainEstimate e = uneven.evaluate(p);
  expect_sane(e, "llama3-405b pp16");
  // The most loaded stage holds about 126/16 layers: 8, or 9 if the logits
  // stage is lightened.
  EXPECT_GE(e.stage_layers, 8);
  EXPECT_LE(e.stage_layers, 9);

  ParallelismRequest req;
  req.pp = 16;
  req.tp = 8;
  auto r = search_train(uneven, req);
  ASSERT_TRUE(r.has_value()) << r.error().message;
  EXPECT_EQ(r->best.par.pp, 16);
  EXPECT_TRUE(r->best.fits);
}

// Interleaving over uneven stages: Megatron places 94 layers plus the
// embedding and the loss on PP 32 x VPP 3 = 96 virtual stages (XTuner's and
// the Megatron-MoE model zoo's Qwen3-235B runs). With --uneven-pipeline VPP
// 3 is allowed (it was refused as exceeding the 2 layers of 94 / 32) and
// VPP 2 still is, but not a split that leaves chunks without a layer beyond
// those two slots: 94 layers on PP 30 x VPP 4 = 120 chunks.
TEST_F(TrainTest, UnevenPipelineInterleavesUpToTheLargestStage) {
  TrainWorkload w = workload(model("qwen3-235b-a22b"), 4096, 1920);
  w.uneven_pipeline = true;
  const TrainModel t = make(w, "h100-sxm", 240);
  Parallelism p{.tp = 1,
                .pp = 32,
                .dp = 8,
                .ep = 8,
                .vpp = 3,
                .micro_batch = 1,
                .recompute = Recompute::kFull,
                .zero = 1};
  const TrainModel t256 = make(workload(model("qwen3-235b-a22b"), 4096, 2048), "h100-sxm", 256);
  TrainWorkload w256 = workload(model("qwen3-235b-a22b"), 4096, 2048);
  w256.uneven_pipeline = true;
  const TrainModel u256 = make(w256, "h100-sxm", 256);
  EXPECT_EQ(u256.max_vpp(p.pp), 3);
  ASSERT_TRUE(u256.check(p).has_value()) << u256.check(p).error().message;
  p.vpp = 2;
  EXPECT_TRUE(u256.check(p).has_value());
  p.vpp = 4;
  EXPECT_FALSE(u256.check(p).has_value());
  EXPECT_FALSE(t256.check(p).has_value());  // 94 layers do not split evenly over 32
  Parallelism q = p;
  q.pp = 30;
  q.vpp = 4;  // ceil(94 / 30) = 4 layers on the largest stage, but 120 chunks for 96 slots
  q.ep = 8;
  EXPECT_EQ(t.max_vpp(q.pp), 3);
  auto r = t.check(q);
  ASSERT_FALSE(r.has_value());
  EXPECT_TRUE(contains(r.error().message, "VPP 4 exceeds the 3 chunks")) << r.error().message;
  ParallelismRequest req;
  req.tp = 1;
  req.pp = 32;
  req.ep = 8;
  req.micro_batch = 1;
  req.recompute = Recompute::kFull;
  auto s = search_train(u256, req);
  ASSERT_TRUE(s.has_value()) << s.error().message;
  // The search weighed VPP 3: the best layout is no slower than itself
  // interleaved three ways (old: VPP 3 never a candidate).
  Parallelism three = s->best.par;
  three.vpp = 3;
  ASSERT_TRUE(u256.check(three).has_value());
  EXPECT_LE(s->best.step_time_s, u256.evaluate(three).step_time_s);
  EXPECT_LE(s->best.par.vpp, 3);
}

TEST_F(TrainTest, TrainTotalsFollowFromThroughput) {
  TrainWorkload w = workload(model("llama3-8b"), 8192, 512);
  w.tokens = 1e12;
  const TrainModel t = make(w, "h100-sxm", 64);
  const Parallelism p{
      .tp = 1, .pp = 1, .dp = 64, .micro_batch = 1, .recompute = Recompute::kSelective, .zero = 1};
  ASSERT_TRUE(t.check(p).has_value()) << t.check(p).error().message;
  const TrainEstimate e = t.evaluate(p);
  const TrainTotals tot = train_totals(e, t);
  const double seconds = 1e12 / e.tokens_per_s;
  EXPECT_NEAR(tot.time_to_train_days, seconds / 86400, 1e-9 * tot.time_to_train_days);
  EXPECT_NEAR(tot.device_hours, seconds / 3600 * 64, 1e-9 * tot.device_hours);
  const Accelerator& a = accel("h100-sxm");
  // Priced on the workload's cost basis (ownership by default).
  auto hour = device_hour_cost(a, w.cost);
  ASSERT_TRUE(hour.has_value()) << hour.error().message;
  EXPECT_GT(hour->total, 0);
  EXPECT_NEAR(tot.cost_usd, tot.device_hours * hour->total, 1e-9 * tot.cost_usd);
  ASSERT_TRUE(a.tdp_w.has_value());
  EXPECT_NEAR(tot.energy_mwh,
              tot.device_hours * a.tdp_w->value * w.cost.node_power_overhead *
                  w.cost.power_load_factor * w.cost.pue / 1e6,
              1e-9 * tot.energy_mwh);
  // No tokens: no totals.
  TrainWorkload w0 = w;
  w0.tokens = 0;
  const TrainModel t0 = make(w0, "h100-sxm", 64);
  EXPECT_EQ(train_totals(t0.evaluate(p), t0).time_to_train_days, 0);
}

TEST_F(TrainTest, ZeroStagesShrinkMemory) {
  const TrainModel t = make(workload(model("llama3-8b"), 4096, 256), "h100-sxm", 64);
  Parallelism p{.tp = 1, .pp = 1, .dp = 64, .micro_batch = 1, .recompute = Recompute::kFull};
  double prev = 1e300;
  for (int z = 0; z <= 3; ++z) {
    p.zero = z;
    const TrainMemory m = t.memory(p);
    EXPECT_LT(m.total, prev) << "zero " << z;
    prev = m.total;
  }
  // ZeRO-0 keeps 2 + 4 + 12 bytes per parameter on every device.
  p.zero = 0;
  const TrainMemory m0 = t.memory(p);
  const double params = count_params(model("llama3-8b")).total;
  EXPECT_NEAR(m0.weights + m0.grads + m0.optimizer, 18.0 * params, 0.01 * 18.0 * params);
}

TEST_F(TrainTest, RecomputeNamesRoundTrip) {
  for (auto r : {Recompute::kNone, Recompute::kSelective, Recompute::kFull}) {
    auto p = parse_recompute(recompute_name(r));
    ASSERT_TRUE(p.has_value());
    EXPECT_EQ(*p, r);
  }
  EXPECT_FALSE(parse_recompute("partial").has_value());
}

}  // namespace
}  // namespace suanli

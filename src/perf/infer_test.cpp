// Inference model: decode is bandwidth-bound, precision support, batch
// limits from memory and the TPOT SLO, KV-cache sizes and cost computed by
// hand from the shape and the catalog.
#include "perf/infer.h"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <memory>
#include <string>

#include "bundled_catalog.h"
#include "contains.h"

namespace suanli {
namespace {

using ::suanli::testing::contains;

class InferTest : public testing::BundledCatalogTest {
 protected:
  static InferWorkload workload(const std::string& model_id, Precision p, int in, int out) {
    InferWorkload w;
    w.model = model(model_id);
    w.precision = p;
    w.input_len = in;
    w.output_len = out;
    return w;
  }
  static Result<InferModel> create(const InferWorkload& w, const std::string& accel_id, int devices,
                                   int tp) {
    const Accelerator& a = accel(accel_id);
    InferLayout layout;
    layout.tp = tp;
    return InferModel::create(w, a, catalog_->profile_for(a), devices, layout);
  }
};

// K and V per token per layer: 2 · kv_heads · head_dim elements.
double gqa_kv_bytes_per_token(const ModelArch& m, double bytes_per_elem) {
  return 2.0 * m.layers * m.kv_heads * m.head_dim * bytes_per_elem;
}

// MLA caches the compressed latent plus the decoupled RoPE key.
double mla_kv_bytes_per_token(const ModelArch& m, double bytes_per_elem) {
  return static_cast<double>(m.layers) * (m.mla->kv_lora_rank + m.mla->qk_rope_head_dim) *
         bytes_per_elem;
}

TEST_F(InferTest, Llama70bOnH20DecodeIsMemoryBound) {
  InferWorkload w = workload("llama3-70b", Precision::kBf16, 2048, 512);
  w.batch = 16;
  auto im = create(w, "h20", 8, 8);
  ASSERT_TRUE(im.has_value()) << im.error().message;
  const InferEstimate e = im->evaluate();
  ASSERT_TRUE(e.fits) << e.why_not;
  EXPECT_EQ(e.batch, 16);
  EXPECT_EQ(e.bound, "memory-bandwidth");
  EXPECT_GT(e.decode_memory_s, e.decode_compute_s);
  EXPECT_GT(e.decode_compute_s, 0);
  EXPECT_GT(e.tpot_s, 0);
  EXPECT_GT(e.ttft_s, 0);
  EXPECT_GE(e.ttft_s, e.prefill_s);
  EXPECT_GE(e.tpot_s, e.decode_step_s);
  // A decode step cannot be faster than streaming this device's share of
  // the weights (all but the input-embedding lookup table) once at the
  // datasheet bandwidth.
  const ModelArch& m = model("llama3-70b");
  const Accelerator& h20 = accel("h20");
  const double streamed =
      (count_params(m).total - static_cast<double>(m.vocab) * m.hidden) * 2.0 / 8;
  EXPECT_GE(e.decode_step_s, streamed / (h20.memory_bw_gbps->value * 1e9));
  EXPECT_GE(e.decode_memory_s, streamed / (h20.memory_bw_gbps->value * 1e9));

  // Memory from first principles: bf16 weights split 8 ways; KV cache of 16
  // sequences of 2560 tokens, K/V heads split over TP 8.
  const double weights = count_params(m).total * 2.0 / 8;
  EXPECT_NEAR(e.weights_gb, weights / 1e9, 1e-6 * weights / 1e9);
  const double kv = 16.0 * 2560 * gqa_kv_bytes_per_token(m, 2.0) / 8;
  EXPECT_NEAR(e.kv_cache_gb, kv / 1e9, 1e-6 * kv / 1e9);
  EXPECT_NEAR(e.memory_per_device_gb, e.weights_gb + e.kv_cache_gb, 1e-9);
  EXPECT_LE(e.memory_per_device_gb, e.memory_usable_gb);

  // Throughput bookkeeping.
  EXPECT_EQ(e.layout.instances, 1);
  EXPECT_EQ(e.layout.instance_devices, 8);
  EXPECT_NEAR(e.output_tokens_per_s, e.output_tokens_per_s_per_device * 8,
              1e-9 * e.output_tokens_per_s);
  // Little's law: 16 slots, each held for TTFT + 512 · TPOT per request.
  EXPECT_NEAR(e.output_tokens_per_s, 16.0 * 512 / (e.ttft_s + 512 * e.tpot_s),
              1e-9 * e.output_tokens_per_s);
  EXPECT_NEAR(e.input_tokens_per_s, e.output_tokens_per_s * 2048 / 512,
              1e-9 * e.input_tokens_per_s);
}

TEST_F(InferTest, Fp8OnAscend910cIsUnsupportedButInt8Works) {
  InferWorkload w = workload("llama3-70b", Precision::kFp8, 2048, 512);
  auto fp8 = create(w, "ascend-910c", 8, 8);
  ASSERT_FALSE(fp8.has_value());
  EXPECT_EQ(fp8.error().code, ErrorCode::kUnsupported);
  EXPECT_TRUE(contains(fp8.error().message, "int8")) << fp8.error().message;

  const Accelerator& a = accel("ascend-910c");
  auto searched = search_infer(w, a, catalog_->profile_for(a), 8, std::nullopt, std::nullopt);
  ASSERT_FALSE(searched.has_value());
  EXPECT_EQ(searched.error().code, ErrorCode::kUnsupported);

  w.precision = Precision::kInt8;
  auto int8 = create(w, "ascend-910c", 8, 8);
  ASSERT_TRUE(int8.has_value()) << int8.error().message;
  EXPECT_EQ(int8->device().compute_precision, Precision::kInt8);
  const InferEstimate e = int8->evaluate();
  EXPECT_TRUE(e.fits) << e.why_not;
  EXPECT_GT(e.output_tokens_per_s, 0);
  // Int8 weights are one byte per parameter.
  EXPECT_NEAR(e.weights_gb, count_params(model("llama3-70b")).total / 8 / 1e9, 1e-6 * e.weights_gb);
}

TEST_F(InferTest, TpotSloCapsTheBatch) {
  InferWorkload probe_w = workload("llama3-70b", Precision::kBf16, 2048, 512);
  auto probe = create(probe_w, "h200-sxm", 8, 8);
  ASSERT_TRUE(probe.has_value()) << probe.error().message;
  const InferEstimate unconstrained = probe->evaluate();
  ASSERT_TRUE(unconstrained.fits) << unconstrained.why_not;
  ASSERT_GT(unconstrained.max_batch, 2);
  const double t1 = probe->at_batch(1).tpot_s;
  const double tmax = probe->at_batch(unconstrained.max_batch).tpot_s;
  ASSERT_GT(tmax, t1);
  // An SLO between batch 1 and the memory limit binds.
  for (double frac : {0.1, 0.5, 0.9}) {
    const double slo = t1 + frac * (tmax - t1);
    InferWorkload w = probe_w;
    w.tpot_slo_s = slo;
    auto im = create(w, "h200-sxm", 8, 8);
    ASSERT_TRUE(im.has_value());
    const InferEstimate e = im->evaluate();
    ASSERT_TRUE(e.fits) << e.why_not;
    EXPECT_GE(e.batch, 1);
    EXPECT_LE(e.tpot_s, slo) << "slo " << slo;
    const InferEstimate next = im->at_batch(e.batch + 1);
    EXPECT_TRUE(!next.fits || next.tpot_s > slo)
        << "batch " << e.batch + 1 << " also meets the SLO: " << next.tpot_s << " <= " << slo;
    EXPECT_LT(e.batch, unconstrained.max_batch);
  }
  // An SLO no batch can meet is reported, not silently ignored.
  InferWorkload tight = probe_w;
  tight.tpot_slo_s = t1 * 0.5;
  auto im = create(tight, "h200-sxm", 8, 8);
  ASSERT_TRUE(im.has_value());
  const InferEstimate e = im->evaluate();
  EXPECT_FALSE(e.fits);
  EXPECT_FALSE(e.why_not.empty());
}

TEST_F(InferTest, BatchLimitedByKvMemory) {
  const InferWorkload w = workload("llama3-70b", Precision::kBf16, 4096, 1024);
  auto im = create(w, "h20", 8, 8);
  ASSERT_TRUE(im.has_value()) << im.error().message;
  const InferEstimate best = im->evaluate();
  ASSERT_TRUE(best.fits) << best.why_not;
  EXPECT_EQ(best.batch, best.max_batch);
  const InferEstimate at_max = im->at_batch(best.max_batch);
  EXPECT_TRUE(at_max.fits);
  EXPECT_LE(at_max.memory_per_device_gb, at_max.memory_usable_gb * (1 + 1e-9));
  const InferEstimate over = im->at_batch(best.max_batch + 1);
  EXPECT_FALSE(over.fits);
  EXPECT_TRUE(contains(over.why_not, "GB")) << over.why_not;
  EXPECT_GT(over.memory_per_device_gb, over.memory_usable_gb);
  // Throughput grows with the batch while memory-bound.
  EXPECT_GT(im->at_batch(8).output_tokens_per_s, im->at_batch(1).output_tokens_per_s);
}

TEST_F(InferTest, WeightsTooLargeForOneDevice) {
  const InferWorkload w = workload("deepseek-v3", Precision::kBf16, 2048, 512);
  auto im = create(w, "h200-sxm", 1, 1);
  ASSERT_TRUE(im.has_value()) << im.error().message;
  const InferEstimate e = im->evaluate();
  EXPECT_FALSE(e.fits);
  EXPECT_TRUE(contains(e.why_not, "GB")) << e.why_not;
  // 671B parameters at 2 bytes: > 1.3 TB on one device.
  EXPECT_GT(e.weights_gb, 1000);
  EXPECT_EQ(e.max_batch, 0);

  const Accelerator& a = accel("h200-sxm");
  auto searched = search_infer(w, a, catalog_->profile_for(a), 1, std::nullopt, std::nullopt);
  ASSERT_FALSE(searched.has_value());
  EXPECT_EQ(searched.error().code, ErrorCode::kInfeasible);
  EXPECT_TRUE(contains(searched.error().message, "GB")) << searched.error().message;
}

TEST_F(InferTest, MlaKvCacheSmallerThanGqa70b) {
  const int batch = 8;
  const int in = 4096, out = 1024;
  // One device, TP 1: the KV cache per device is the cache of the batch.
  auto ds = create(workload("deepseek-v3", Precision::kBf16, in, out), "h200-sxm", 1, 1);
  auto ll = create(workload("llama3-70b", Precision::kBf16, in, out), "h200-sxm", 1, 1);
  ASSERT_TRUE(ds.has_value()) << ds.error().message;
  ASSERT_TRUE(ll.has_value()) << ll.error().message;
  const InferEstimate eds = ds->at_batch(batch);
  const InferEstimate ell = ll->at_batch(batch);
  EXPECT_GT(eds.kv_cache_gb, 0);
  EXPECT_LT(eds.kv_cache_gb, ell.kv_cache_gb);
  const double ctx = in + out;
  EXPECT_NEAR(eds.kv_cache_gb, batch * ctx * mla_kv_bytes_per_token(model("deepseek-v3"), 2) / 1e9,
              1e-6 * eds.kv_cache_gb);
  EXPECT_NEAR(ell.kv_cache_gb, batch * ctx * gqa_kv_bytes_per_token(model("llama3-70b"), 2) / 1e9,
              1e-6 * ell.kv_cache_gb);
}

TEST_F(InferTest, CostPerMillionTokensOnEitherCostBasis) {
  InferWorkload w = workload("llama3-70b", Precision::kBf16, 2048, 512);
  w.batch = 16;
  for (CostBasis basis : {CostBasis::kOwnership, CostBasis::kRental}) {
    w.cost = CostAssumptions::from(catalog_->economics());
    w.cost.basis = basis;
    for (const char* id : {"h20", "h200-sxm"}) {
      auto im = create(w, id, 8, 8);
      ASSERT_TRUE(im.has_value()) << im.error().message;
      const InferEstimate e = im->evaluate();
      ASSERT_TRUE(e.fits) << id << ": " << e.why_not;
      auto hour = device_hour_cost(accel(id), w.cost);
      ASSERT_TRUE(hour.has_value()) << id;
      if (basis == CostBasis::kRental) {
        EXPECT_DOUBLE_EQ(hour->total, accel(id).rental_usd_per_hour->value);
      }
      const double expected = hour->total / (e.output_tokens_per_s_per_device * 3600.0) * 1e6;
      EXPECT_NEAR(e.cost_per_million_output_tokens_usd, expected, 1e-9 * expected) << id;
      EXPECT_GT(e.cost_per_million_output_tokens_usd, 0) << id;
    }
  }
}

TEST_F(InferTest, FasterMemoryDecodesFaster) {
  // Same chip family, same layout: H200 (4.8 TB/s) decodes faster than H20
  // (4.0 TB/s).
  InferWorkload w = workload("llama3-70b", Precision::kBf16, 2048, 512);
  w.batch = 16;
  auto h200 = create(w, "h200-sxm", 8, 8);
  auto h20 = create(w, "h20", 8, 8);
  ASSERT_TRUE(h200.has_value() && h20.has_value());
  EXPECT_LT(h200->evaluate().decode_step_s, h20->evaluate().decode_step_s);
  // Prefill is compute-bound: H20 has ~1/7 of H200's BF16 peak.
  EXPECT_GT(h20->evaluate().prefill_s, 2 * h200->evaluate().prefill_s);
}

TEST_F(InferTest, CreateRejectsBadInputs) {
  const InferWorkload w = workload("llama3-70b", Precision::kBf16, 2048, 512);
  auto expect_invalid = [&](const InferWorkload& x, int devices, int tp, const char* what) {
    auto r = create(x, "h20", devices, tp);
    ASSERT_FALSE(r.has_value()) << what;
    EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument) << what << ": " << r.error().message;
  };
  expect_invalid(w, 0, 1, "zero devices");
  expect_invalid(w, -8, 1, "negative devices");
  expect_invalid(w, 8, 3, "TP 3 does not divide 64 heads");
  expect_invalid(w, 12, 8, "12 devices are not whole TP-8 instances");
  InferWorkload bad = w;
  bad.input_len = 0;
  expect_invalid(bad, 8, 8, "input 0");
  bad = w;
  bad.output_len = -1;
  expect_invalid(bad, 8, 8, "output -1");
  bad = w;
  bad.batch = 0;
  expect_invalid(bad, 8, 8, "batch 0");
  bad = w;
  bad.tpot_slo_s = -1;
  expect_invalid(bad, 8, 8, "negative SLO");
  EXPECT_TRUE(create(w, "h20", 8, 8).has_value());
}

TEST_F(InferTest, SearchPicksAFittingLayout) {
  const InferWorkload w = workload("llama3-70b", Precision::kBf16, 2048, 512);
  const Accelerator& a = accel("h20");
  auto r = search_infer(w, a, catalog_->profile_for(a), 8, std::nullopt, std::nullopt);
  ASSERT_TRUE(r.has_value()) << r.error().message;
  EXPECT_TRUE(r->best.fits);
  EXPECT_GE(r->layouts_tried, 1);
  EXPECT_EQ(8 % r->best.layout.tp, 0);
  EXPECT_EQ(r->best.layout.instances * r->best.layout.instance_devices, 8);
  // The search is at least as good as the fixed TP 8 layout.
  auto fixed = create(w, "h20", 8, 8);
  ASSERT_TRUE(fixed.has_value());
  EXPECT_GE(r->best.output_tokens_per_s, fixed->evaluate().output_tokens_per_s * (1 - 1e-12));
}

TEST_F(InferTest, MoeServingUsesExpertParallelism) {
  const InferWorkload w = workload("deepseek-v3", Precision::kFp8, 2048, 512);
  const Accelerator& a = accel("h200-sxm");
  auto r = search_infer(w, a, catalog_->profile_for(a), 16, std::nullopt, std::nullopt);
  ASSERT_TRUE(r.has_value()) << r.error().message;
  const InferEstimate& e = r->best;
  EXPECT_TRUE(e.fits);
  EXPECT_GE(e.layout.ep, e.layout.tp);
  EXPECT_EQ(e.layout.ep % e.layout.tp, 0);
  EXPECT_EQ(e.layout.instance_devices, e.layout.ep);
  // 671B fp8 weights (~671 GB) cannot fit in fewer than 5 x 141 GB devices.
  EXPECT_GE(e.layout.instance_devices, 8);
  EXPECT_GT(e.output_tokens_per_s, 0);
}

}  // namespace
}  // namespace suanli

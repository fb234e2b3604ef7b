// A request's translation into the core's workloads: the serving run built
// the same way for every front end, the either/or rules the front ends hold
// a request to (and published rows do not), each spelled the front end's way.
#include "perf/workload_request.h"

#include <gtest/gtest.h>

#include <string>
#include <string_view>

#include "bundled_catalog.h"
#include "util/field_spec.h"

namespace suanli {
namespace {

std::string flag(std::string_view name) { return kebab_flag(name); }
std::string field(std::string_view name) { return std::string(name); }

InferRequest request() {
  InferRequest r;
  r.model = "llama3-8b";
  r.input_len = 1000;
  r.output_len = 200;
  return r;
}

TEST(InferChoices, EachRuleNamesItsFieldInTheFrontEndsSpelling) {
  EXPECT_FALSE(infer_choice_problem(request(), flag).has_value());
  InferRequest both = request();
  both.batch = 8;
  both.tpot_slo_ms = 50;
  auto p = infer_choice_problem(both, flag);
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(p->field, "batch");
  EXPECT_EQ(p->message, "give either --batch or an SLO, not both");
  EXPECT_EQ(infer_choice_problem(both, field)->message, "give either batch or an SLO, not both");
  InferRequest rate = request();
  rate.request_rate = 3;
  rate.ttft_slo_ms = 500;
  EXPECT_EQ(infer_choice_problem(rate, field)->field, "request_rate");
  InferRequest half = request();
  half.spec_tokens = 2;
  auto q = infer_choice_problem(half, field);
  ASSERT_TRUE(q.has_value());
  EXPECT_EQ(q->field, "spec_accept_len");
  EXPECT_EQ(q->message, "speculative decoding needs both spec_tokens and spec_accept_len");
  half.spec_tokens.reset();
  half.spec_accept_len = 1.5;
  EXPECT_EQ(infer_choice_problem(half, field)->field, "spec_tokens");
}

class InferRun : public testing::BundledCatalogTest {};

// A published row states the batch it ran beside the SLO it met: the run
// takes both, a front end's request does not.
TEST_F(InferRun, TheRunTakesWhatTheFrontEndsRuleOut) {
  InferRequest r = request();
  r.batch = 16;
  r.tpot_slo_ms = 40;
  r.precision = "w4a8";
  auto model = catalog_->model("llama3-8b");
  ASSERT_TRUE(model.has_value());
  auto run = make_infer_run(**model, r);
  ASSERT_TRUE(run.has_value()) << run.error().message;
  EXPECT_EQ(run->batch, 16);
  ASSERT_TRUE(run->tpot_slo_s.has_value());
  EXPECT_DOUBLE_EQ(*run->tpot_slo_s, 0.040);
  EXPECT_EQ(run->precision, Precision::kInt8);
  EXPECT_EQ(run->weight_bits, 4);
  auto refused = make_infer_workload(*catalog_, r);
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().message, "give either --batch or an SLO, not both");
  // Values are checked in both.
  r.batch.reset();
  r.kv_precision = "fp3";
  auto kv = make_infer_run(**model, r);
  ASSERT_FALSE(kv.has_value());
  EXPECT_NE(kv.error().message.find("--kv-precision"), std::string::npos);
  r.kv_precision = "bf16";
  r.output_len = 0;
  EXPECT_FALSE(make_infer_run(**model, r).has_value());
}

// A plan's or a simulated job's run is unpriced; a front end's carries the
// request's cost assumptions. Both time the same run.
TEST_F(InferRun, TheStepWorkloadIsTheSameRunUnpriced) {
  InferRequest r = request();
  r.cost.pue = 1.2;
  auto priced = make_infer_workload(*catalog_, r);
  auto step = make_infer_step_workload(*catalog_, r);
  ASSERT_TRUE(priced.has_value() && step.has_value());
  EXPECT_EQ(step->precision, priced->precision);
  EXPECT_EQ(step->input_len, priced->input_len);
  EXPECT_EQ(step->output_len, priced->output_len);
  EXPECT_DOUBLE_EQ(priced->cost.pue, 1.2);
  EXPECT_DOUBLE_EQ(step->cost.pue, CostAssumptions{}.pue);
}

}  // namespace
}  // namespace suanli

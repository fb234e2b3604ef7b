// Constants and helpers shared by the training model's files (train.cpp:
// one step; train_memory.cpp: memory and the parameters per stage). Not part
// of the public interface.
#pragma once

#include <optional>

#include "catalog/accelerator.h"
#include "catalog/stack.h"

namespace suanli::train_detail {

// Element-wise traffic per token per layer in the forward pass, in elements
// read + written, for the hidden-size tensors: two norms (in+out), two
// residual adds (2 in, 1 out), two bias/dropout epilogues. Backward moves
// about twice as much.
inline constexpr double kHiddenElementwise = 15.0;
inline constexpr double kElementwiseKernelsFwd = 10.0;
// Bytes per parameter (Megatron-style mixed precision with a distributed
// optimizer): 16-bit weights, FP32 gradient accumulation, FP32 master
// weights + Adam moments.
inline constexpr double kWeightBytes = 2.0;
inline constexpr double kGradBytes = 4.0;
inline constexpr double kOptimizerBytes = 12.0;
// Adam step traffic per parameter: read grad, master, m, v (16); write
// master, m, v (12) and the 16-bit weight (2).
inline constexpr double kOptimizerTraffic = 30.0;
// Flash-attention backward does 2.5x the forward FLOPs (it recomputes the
// scores).
inline constexpr double kAttnBackwardFactor = 2.5;

inline int ceil_div(int a, int b) { return (a + b - 1) / b; }

// The overlap fraction of a per-run switch: unset, the stack's; off, none;
// on, the stack's fraction or, where the stack states none, `when_on`: the
// shared assumption for a switch turned on (kSwitchOverlap) unless the
// stack measured its own (SoftwareStack::ep_overlap_when_on).
inline double switched(const std::optional<bool>& on, double stack_fraction,
                       double when_on = kSwitchOverlap) {
  if (!on) return stack_fraction;
  return *on ? (stack_fraction > 0 ? stack_fraction : when_on) : 0.0;
}

// FP32 and TF32 training keep 4-byte weights and no separate master copy.
inline bool full_precision(Precision p) { return p == Precision::kFp32 || p == Precision::kTf32; }
// Bytes per parameter of the weights, the accumulated gradients and the
// optimizer state (Adam moments, plus FP32 master weights in mixed precision).
inline double weight_bytes(Precision p) { return full_precision(p) ? 4.0 : kWeightBytes; }
inline double grad_bytes(Precision p, bool bf16_accum) {
  return full_precision(p) ? 4.0 : (bf16_accum ? 2.0 : kGradBytes);
}
inline double optimizer_bytes(Precision p) { return full_precision(p) ? 8.0 : kOptimizerBytes; }

}  // namespace suanli::train_detail

#include "sim/work_model.h"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "perf/compare.h"
#include "perf/infer.h"
#include "perf/train.h"
#include "perf/workload_request.h"

namespace suanli {

double WorkModel::effective_tflops(const Accelerator& a) const {
  return accelerator_type(a).compute_weight * catalog_->profile_for(a).gemm_peak_fraction;
}

Result<const WorkModel::Rates*> WorkModel::rates(const std::string& key, JobKind kind,
                                                 const WorkSpec& work, int devices) {
  const auto cache_key = std::make_pair(key, devices);
  if (auto it = cache_.find(cache_key); it != cache_.end()) return &it->second;

  std::vector<std::string> accels;
  for (const AcceleratorType& t : fleet_->types()) accels.push_back(t.id);
  const bool by_reference = work.reference_hours.has_value();
  if (by_reference) accels.push_back(work.reference);

  std::vector<double> rate(accels.size(), 0);
  std::vector<std::string> reason(accels.size());
  if (!work.model.empty()) {
    ++searches_;
    if (kind == JobKind::kInference || kind == JobKind::kFractional) {
      // The job's serving run, as estimate infer builds it (the scenario
      // checked it), unpriced.
      InferRequest r = work.serving;
      r.model = work.model;
      SUANLI_ASSIGN(const InferWorkload w, make_infer_step_workload(*catalog_, r));
      auto rows = compare_infer(*catalog_, w, accels, CompareSizing{std::max(devices, 1), {}});
      if (!rows) return std::unexpected(rows.error());
      for (std::size_t i = 0; i < rows->size(); ++i) {
        if ((*rows)[i].ok)
          rate[i] = (*rows)[i].estimate.output_tokens_per_s;
        else
          reason[i] = (*rows)[i].error;
      }
    } else {
      // The job's run, as estimate train builds it (the scenario checked it);
      // the simulator times the steady step and prices nothing here.
      TrainRequest r = work.run;
      r.model = work.model;
      SUANLI_ASSIGN(const TrainWorkload w, make_train_step_workload(*catalog_, r));
      auto rows = compare_train(*catalog_, w, accels, CompareSizing{devices, {}});
      if (!rows) return std::unexpected(rows.error());
      for (std::size_t i = 0; i < rows->size(); ++i) {
        if ((*rows)[i].ok)
          rate[i] = (*rows)[i].estimate.tokens_per_s;
        else
          reason[i] = (*rows)[i].error;
      }
    }
  } else {
    for (std::size_t i = 0; i < accels.size(); ++i) {
      auto a = catalog_->accelerator(accels[i]);
      if (!a) return std::unexpected(a.error());
      rate[i] = effective_tflops(**a);
      if (rate[i] <= 0) reason[i] = "no BF16/FP16 rate in the catalog";
    }
  }

  Rates out;
  const std::size_t types = fleet_->types().size();
  out.per_type.assign(types, 0);
  out.reason.assign(types, "");
  double ref = 1;
  if (by_reference) {
    ref = rate.back();
    if (ref <= 0)
      return fail(ErrorCode::kInfeasible,
                  fmt::format("reference accelerator {} cannot run this work: {}", work.reference,
                              reason.back()));
  }
  for (std::size_t t = 0; t < types; ++t) {
    // Reference work: seconds of reference-device work per second here.
    out.per_type[t] = by_reference ? rate[t] / ref : rate[t];
    out.reason[t] = reason[t];
  }
  return &cache_.emplace(cache_key, std::move(out)).first->second;
}

void WorkModel::fill_durations(JobSpec& spec, const Rates& rates, double amount,
                               const std::vector<std::string>& allowed) const {
  const std::size_t types = fleet_->types().size();
  spec.duration_s.assign(types, kCannotRun);
  spec.cannot_run_reason.clear();
  bool any_reason = false;
  std::vector<std::string> reasons(types);
  for (std::size_t t = 0; t < types; ++t) {
    const std::string& id = fleet_->types()[t].id;
    if (!allowed.empty() && std::find(allowed.begin(), allowed.end(), id) == allowed.end()) {
      reasons[t] = "not in the job's allowed types";
      any_reason = true;
      continue;
    }
    if (rates.per_type[t] <= 0) {
      reasons[t] = rates.reason[t].empty() ? "cannot run there" : rates.reason[t];
      any_reason = true;
      continue;
    }
    spec.duration_s[t] = std::max(1.0, amount / rates.per_type[t]);
  }
  if (any_reason) spec.cannot_run_reason = std::move(reasons);
}

}  // namespace suanli

// Turns a job's work (model + tokens, or hours on a reference device) into
// seconds on each accelerator type of the fleet, with the estimator:
// training-like jobs use the training search for the job's device count,
// inference jobs the serving search; jobs without a model scale by
// effective dense BF16 compute (peak x the chip's GEMM efficiency). Results
// are cached per (template, device count), so a million jobs cost a few
// dozen searches.
#pragma once

#include <map>
#include <string>
#include <tuple>
#include <vector>

#include "catalog/catalog.h"
#include "sched/fleet.h"
#include "sim/scenario.h"

namespace suanli {

class WorkModel {
 public:
  WorkModel(const Catalog& catalog, const Fleet& fleet) : catalog_(&catalog), fleet_(&fleet) {}

  // Per fleet type: units of work per second for the whole gang (tokens/s
  // for model+tokens; for reference hours, seconds of reference work per
  // second), kCannotRun-free: 0 where it cannot run, with the reason.
  struct Rates {
    std::vector<double> per_type;
    std::vector<std::string> reason;  // why a rate is 0
  };
  // `key` identifies the template (stable across calls).
  Result<const Rates*> rates(const std::string& key, JobKind kind, const WorkSpec& work,
                             int devices);

  // Fills spec.duration_s / cannot_run_reason for `amount` units of work
  // (tokens, or reference hours) and the allowed types.
  void fill_durations(JobSpec& spec, const Rates& rates, double amount,
                      const std::vector<std::string>& allowed) const;

  int searches() const { return searches_; }

 private:
  // Effective dense BF16 TFLOPS of a catalog accelerator.
  double effective_tflops(const Accelerator& a) const;

  const Catalog* catalog_;
  const Fleet* fleet_;
  std::map<std::pair<std::string, int>, Rates> cache_;
  int searches_ = 0;
};

}  // namespace suanli

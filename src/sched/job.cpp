#include "sched/job.h"

#include "util/enum_names.h"

namespace suanli {

namespace {

constexpr EnumNames<JobKind, 5> kKinds{{
    {JobKind::kTraining, "training"},
    {JobKind::kInference, "inference"},
    {JobKind::kFineTune, "fine-tune"},
    {JobKind::kBatch, "batch"},
    {JobKind::kFractional, "fractional"},
}};

constexpr EnumNames<JobState, 4> kStates{{
    {JobState::kQueued, "queued"},
    {JobState::kRunning, "running"},
    {JobState::kCompleted, "completed"},
    {JobState::kFailed, "failed"},
}};

}  // namespace

std::string_view job_kind_name(JobKind kind) { return enum_name(kKinds, kind); }
std::optional<JobKind> parse_job_kind(std::string_view text) { return enum_value(kKinds, text); }

Sensitivity job_sensitivity(std::optional<Sensitivity> given, const Tenant& tenant) {
  const Sensitivity own = given.value_or(Sensitivity::kPublic);
  const Sensitivity floor = tenant.sensitivity.value_or(Sensitivity::kPublic);
  return own < floor ? floor : own;
}
std::string_view job_state_name(JobState s) { return enum_name(kStates, s); }

int Allocation::devices() const {
  int n = 0;
  for (const auto& g : groups) n += static_cast<int>(g.size());
  return n;
}

}  // namespace suanli

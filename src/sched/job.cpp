#include "sched/job.h"

#include <array>
#include <utility>

namespace suanli {

namespace {

template <class E, std::size_t N>
std::optional<E> lookup(const std::array<std::pair<E, std::string_view>, N>& names,
                        std::string_view text) {
  for (const auto& [value, name] : names)
    if (name == text) return value;
  return std::nullopt;
}

template <class E, std::size_t N>
std::string_view name_of(const std::array<std::pair<E, std::string_view>, N>& names, E value) {
  for (const auto& [v, name] : names)
    if (v == value) return name;
  return "?";
}

constexpr std::array<std::pair<JobKind, std::string_view>, 5> kKinds{{
    {JobKind::kTraining, "training"},
    {JobKind::kInference, "inference"},
    {JobKind::kFineTune, "fine-tune"},
    {JobKind::kBatch, "batch"},
    {JobKind::kFractional, "fractional"},
}};

constexpr std::array<std::pair<Sensitivity, std::string_view>, 4> kSensitivities{{
    {Sensitivity::kPublic, "public"},
    {Sensitivity::kInternal, "internal"},
    {Sensitivity::kConfidential, "confidential"},
    {Sensitivity::kSecret, "secret"},
}};

constexpr std::array<std::pair<JobState, std::string_view>, 4> kStates{{
    {JobState::kQueued, "queued"},
    {JobState::kRunning, "running"},
    {JobState::kCompleted, "completed"},
    {JobState::kFailed, "failed"},
}};

}  // namespace

std::string_view job_kind_name(JobKind kind) { return name_of(kKinds, kind); }
std::optional<JobKind> parse_job_kind(std::string_view text) { return lookup(kKinds, text); }
std::string_view sensitivity_name(Sensitivity s) { return name_of(kSensitivities, s); }
std::optional<Sensitivity> parse_sensitivity(std::string_view text) {
  return lookup(kSensitivities, text);
}
std::string_view job_state_name(JobState s) { return name_of(kStates, s); }

int Allocation::devices() const {
  int n = 0;
  for (const auto& g : groups) n += static_cast<int>(g.size());
  return n;
}

}  // namespace suanli

// The independent audit of a simulation event log (docs/event-log.md).
//
// It reads only the JSONL event log — never the scheduler's state or code —
// replays the allocations it describes and recomputes every rule: gang and
// topology shape, device/CPU/memory capacity, runnable types, the policy
// rules of the header (sensitivity-origin, approved-customers,
// no-new-placements, drain and its deadline, domestic share and whether a
// below-target share could have been raised), job lifecycle and node
// failures. The header's "tenants" may declare each tenant's sensitivity
// ({"name", "sensitivity"} objects instead of names): every job's
// sensitivity is then re-derived as at least its tenant's (sched/job.h
// job_sensitivity), and a submit line below it is itself a violation
// ("tenant-sensitivity"). A log that is not well-formed (bad JSON, missing or mistyped
// fields, a header that does not describe a fleet) is an error naming the
// line; everything else is reported as a violation.
#pragma once

#include <filesystem>
#include <iosfwd>
#include <map>
#include <string>
#include <vector>

#include "util/error.h"

namespace suanli {

// One broken rule. `check` is a short ID (see audit_check_names()); `line`
// is the 1-based line of the log at which it was detected.
struct AuditViolation {
  double t = 0;
  int line = 0;
  std::string check;
  std::string message;
};

struct AuditReport {
  long long lines = 0;  // non-blank lines read
  int jobs_submitted = 0;
  int jobs_completed = 0;
  int jobs_failed = 0;
  int jobs_unfinished = 0;  // neither completed nor failed at `end`
  int placements = 0;       // `place` lines
  // The first kMaxAuditMessages violations; violation_count counts all.
  std::vector<AuditViolation> violations;
  long long violation_count = 0;
  std::map<std::string, long long> by_check;  // check ID -> count
  // Lowest domestic share of allocated resources after any timestamp's
  // events while anything was allocated (measure of the first
  // domestic-share rule; "compute" when there is none). 1 when nothing was
  // ever allocated.
  double min_domestic_share = 1;
  // Longest time past a drain deadline that the drained type still held
  // devices (0 when every drain finished in time).
  double drain_lateness_s = 0;

  bool ok() const { return violation_count == 0; }
};

inline constexpr std::size_t kMaxAuditMessages = 1000;

// The check IDs used in AuditViolation::check and AuditReport::by_check.
const std::vector<std::string>& audit_check_names();

// Reads a whole log. A malformed line is an error naming the line number.
Result<AuditReport> audit_event_log(std::istream& in);
Result<AuditReport> audit_event_log_file(const std::filesystem::path& path);

}  // namespace suanli

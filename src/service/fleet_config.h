// What the live fleet reads from its config beyond what the simulator's
// loader resolves into a Scenario: the tenants' declared sensitivity (the
// floor of their jobs' sensitivity, sched/job.h job_sensitivity). Kept
// apart so that the live fleet, its replay and its tests read it one way.
#pragma once

#include <string_view>
#include <vector>

#include "sched/job.h"
#include "util/error.h"

namespace suanli::service {

// Sets Tenant::sensitivity of every tenant that has none from the
// `[[tenants]] sensitivity` of the config's TOML text (tenants matched by
// name). A no-op for tenants the loader already filled. Fails only on text
// that is not TOML (the loader has accepted it before).
Result<void> fill_tenant_declarations(std::vector<Tenant>& tenants, std::string_view toml_text);

}  // namespace suanli::service

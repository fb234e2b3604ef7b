// Data sensitivity, the word the scheduling core's rules, the simulator, the
// planner and the live fleet share (below all of them, so the planner needs
// no scheduler to name it). Ordered: a rule "sensitivity >= confidential"
// covers secret too.
#pragma once

#include <optional>
#include <string_view>

namespace suanli {

enum class Sensitivity { kPublic, kInternal, kConfidential, kSecret };
std::string_view sensitivity_name(Sensitivity s);
std::optional<Sensitivity> parse_sensitivity(std::string_view text);

}  // namespace suanli

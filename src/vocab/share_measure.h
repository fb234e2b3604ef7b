// How a domestic share weighs a device: by its compute (the default: a
// device counts its dense BF16 rate) or one per device. Shared by the
// scheduling core's share rule, the simulator and the planner's policy.
#pragma once

namespace suanli {

enum class ShareMeasure { kCompute, kDevices };

}  // namespace suanli

#include "catalog/economics.h"

#include <fmt/format.h>

namespace suanli {

Result<void> check_economics(const Economics& e) {
  for (const EconomicsKey& k : kEconomicsKeys) {
    const Figure& f = e.*k.member;
    if (!(f.value >= k.min && f.value <= k.max)) {
      return fail(ErrorCode::kInvalidArgument,
                  fmt::format("{}: economics.{}: expected {} in [{}, {}], got {}", f.origin, k.name,
                              k.help, k.min, k.max, f.value));
    }
  }
  return {};
}

}  // namespace suanli

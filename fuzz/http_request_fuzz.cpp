// libFuzzer entry point for suanli::fuzz::http_request (see fuzz_targets.h).
#include <cstddef>
#include <cstdint>

#include "fuzz/fuzz_targets.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  return suanli::fuzz::http_request(data, size);
}

// The replay's only source of randomness: a seeded std::mt19937_64 with a
// bounded draw that does not depend on the standard library's
// distributions, so a seed gives the same result on every platform.
#pragma once

#include <cstdint>
#include <random>

namespace suanli {

class Rng {
 public:
  explicit Rng(std::uint64_t seed) : engine_(seed) {}

  // Uniform in [0, 1), 53 random bits.
  double uniform() { return static_cast<double>(engine_() >> 11) * 0x1.0p-53; }

  // Uniform in [0, n); n must be > 0. Rejection sampling, no modulo bias.
  std::uint64_t below(std::uint64_t n) {
    const std::uint64_t threshold = (0 - n) % n;  // 2^64 mod n
    while (true) {
      const std::uint64_t r = engine_();
      if (r >= threshold) return r % n;
    }
  }

 private:
  std::mt19937_64 engine_;
};

}  // namespace suanli

#include "sched/release_forecast.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <optional>

#include "sched/job.h"

namespace suanli {

void BucketSums::add(std::size_t i, std::int64_t v) {
  if (i >= size()) grow(i + 1);
  for (std::size_t k = i + 1; k <= size(); k += k & (~k + 1)) tree_[k] += v;
}

std::int64_t BucketSums::before(std::size_t i) const {
  std::int64_t sum = 0;
  for (std::size_t k = std::min(i, size()); k > 0; k -= k & (~k + 1)) sum += tree_[k];
  return sum;
}

std::size_t BucketSums::first_reaching(std::int64_t target) const {
  std::size_t pos = 0;
  std::int64_t acc = 0;
  for (std::size_t step = std::bit_floor(size()); step > 0; step >>= 1)
    if (pos + step <= size() && acc + tree_[pos + step] < target) {
      pos += step;
      acc += tree_[pos];
    }
  return pos;
}

void BucketSums::grow(std::size_t at_least) {
  std::vector<std::int64_t> values(size());
  for (std::size_t i = 0; i < size(); ++i) values[i] = before(i + 1) - before(i);
  tree_.assign(std::max({at_least, 2 * size(), std::size_t{64}}) + 1, 0);
  for (std::size_t i = 0; i < values.size(); ++i)
    if (values[i] != 0) add(i, values[i]);
}

std::size_t ReleaseForecast::bucket_of(SimTime t) {
  return t <= 0 ? 0 : static_cast<std::size_t>(std::floor(t / kBucketS));
}

void ReleaseForecast::on_start(JobId j, TypeId t, SimTime end, std::int64_t milli) {
  if (releases_.size() <= t.index()) releases_.resize(t.index() + 1);
  if (release_at_.size() <= j.index()) release_at_.resize(j.index() + 1, 0);
  Timeline& tl = releases_[t.index()];
  release_at_[j.index()] = end;
  tl.exact.emplace(end, milli);
  tl.sums.add(bucket_of(end), milli);
}

void ReleaseForecast::on_stop(JobId j, TypeId t, std::int64_t milli) {
  if (releases_.size() <= t.index()) releases_.resize(t.index() + 1);
  if (release_at_.size() <= j.index()) release_at_.resize(j.index() + 1, 0);
  Timeline& tl = releases_[t.index()];
  if (auto it = tl.exact.find({release_at_[j.index()], milli}); it != tl.exact.end()) {
    tl.exact.erase(it);
    tl.sums.add(bucket_of(release_at_[j.index()]), -milli);
  }
}

// The prefix search finds the bucket where releases (and returning
// reservations) meet the need, then one step at a time through that bucket.
SimTime ReleaseForecast::earliest_start(TypeId t, std::int64_t need, std::int64_t free_now,
                                        SimTime now) const {
  static const Reservations kNoReservations;
  static const Timeline kEmpty;
  const Reservations& r = t.index() < reserved_.size() ? reserved_[t.index()] : kNoReservations;
  std::int64_t level = free_now - r.taken;
  if (level >= need) return now;
  const Timeline& tl = t.index() < releases_.size() ? releases_[t.index()] : kEmpty;
  auto b = r.back.begin();
  const auto b_end = r.back.end();
  // Steps through one bucket: its releases and the reservations returning in it.
  auto walk = [&](std::size_t bucket) -> std::optional<SimTime> {
    auto a = tl.exact.lower_bound({(static_cast<double>(bucket) - 1) * kBucketS, 0});
    while (a != tl.exact.end() && bucket_of(a->first) < bucket) ++a;
    while (true) {
      const bool a_in = a != tl.exact.end() && bucket_of(a->first) == bucket;
      const bool b_in = b != b_end && b->bucket == bucket;
      if (!a_in && !b_in) return std::nullopt;
      const bool take_a = !b_in || (a_in && a->first <= b->t);
      const SimTime when = take_a ? a->first : b->t;
      level += take_a ? (a++)->second : (b++)->milli;
      if (level >= need) return std::max(now, when);
    }
  };
  std::size_t pos = 0;  // buckets before pos are counted in `level`
  while (true) {
    const std::size_t limit = b == b_end ? tl.sums.size() : b->bucket;
    const std::size_t i = tl.sums.first_reaching(need - level + tl.sums.before(pos));
    if (i < limit && i < tl.sums.size()) {
      level += tl.sums.before(i) - tl.sums.before(pos);
      if (auto when = walk(i)) return *when;
      return kCannotRun;  // unreachable: bucket i meets the need
    }
    if (b == b_end) return kCannotRun;
    level += tl.sums.before(limit) - tl.sums.before(pos);
    if (auto when = walk(limit)) return *when;
    pos = limit + 1;
  }
}

void ReleaseForecast::reserve(TypeId t, std::int64_t need, SimTime end) {
  if (reserved_.size() <= t.index()) reserved_.resize(t.index() + 1);
  Reservations& r = reserved_[t.index()];
  r.taken += need;
  const Back back{end, need, bucket_of(end)};
  r.back.insert(std::upper_bound(r.back.begin(), r.back.end(), back), back);
}

void ReleaseForecast::clear_reservations() {
  for (Reservations& r : reserved_) r = Reservations{};
}

}  // namespace suanli

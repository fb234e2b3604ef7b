#include "sched/accounting.h"

#include <algorithm>
#include <cmath>
#include <string>
#include <utility>

#include <fmt/format.h>

namespace suanli {

namespace {

// Debug and sanitizer builds check the bookkeeping after every apply.
#if defined(SUANLI_SANITIZE_BUILD) || !defined(NDEBUG)
constexpr bool kCheckEveryApply = true;
#else
constexpr bool kCheckEveryApply = false;
#endif
// The whole-fleet recount follows every apply on fleets up to this many
// nodes, and every ceil(nodes / kFullCheckNodes)-th apply on larger ones,
// so a debug run pays about one such fleet's recount per apply.
constexpr std::size_t kFullCheckNodes = 256;

std::unexpected<Error> mismatch(std::string what) {
  return fail(ErrorCode::kConflict, "fleet accounting: " + std::move(what));
}

}  // namespace

double job_devices(const JobSpec& s) {
  return static_cast<double>(s.devices) * s.gpu_milli / kGpuMilli;
}

FleetAccounting::FleetAccounting(std::size_t tenants, ShareMeasure measure)
    : tenant_alloc_milli_(tenants, 0), share_measure_(measure) {}

void FleetAccounting::rebucket(const Fleet& fleet, NodeId id) {
  const int node_index = id.value;
  const FleetNode& n = fleet.nodes()[static_cast<std::size_t>(node_index)];
  auto& type_buckets = buckets_[n.type.index()];
  const int old_bucket = node_bucket_[static_cast<std::size_t>(node_index)];
  const int new_bucket = n.placeable() ? n.state.fully_free_gpus() : -1;
  // A drained (cordoned) node's devices stay up: its jobs hold them, and
  // capacity bounds count them; only placement skips the node.
  auto& counted = node_counted_up_[static_cast<std::size_t>(node_index)];
  if ((counted != 0) != n.up) {
    type_devices_up_[n.type.index()] += n.up ? n.state.gpu_count : -n.state.gpu_count;
    counted = n.up ? 1 : 0;
  }
  if (old_bucket == new_bucket) return;
  const bool was_full = old_bucket == n.state.gpu_count;
  const bool is_full = new_bucket == n.state.gpu_count;
  if (old_bucket >= 0) type_buckets[static_cast<std::size_t>(old_bucket)].erase(node_index);
  if (new_bucket >= 0) type_buckets[static_cast<std::size_t>(new_bucket)].insert(node_index);
  node_bucket_[static_cast<std::size_t>(node_index)] = new_bucket;
  if (was_full != is_full) domain_free_nodes_[n.domain.index()] += is_full ? 1 : -1;
}

void FleetAccounting::index_new_nodes(const Fleet& fleet) {
  buckets_.resize(fleet.types().size());
  for (std::size_t t = 0; t < fleet.types().size(); ++t)
    buckets_[t].resize(static_cast<std::size_t>(kMaxNodeGpus) + 1);
  type_alloc_milli_.resize(fleet.types().size(), 0);
  type_devices_up_.resize(fleet.types().size(), 0);
  type_devices_total_.resize(fleet.types().size(), 0);
  domain_free_nodes_.resize(fleet.domains().size(), 0);
  const std::size_t first = node_bucket_.size();
  node_bucket_.resize(fleet.nodes().size(), -1);
  node_counted_up_.resize(fleet.nodes().size(), 0);
  node_jobs_.resize(fleet.nodes().size());
  for (std::size_t i = first; i < fleet.nodes().size(); ++i) {
    type_devices_total_[fleet.nodes()[i].type.index()] += fleet.nodes()[i].state.gpu_count;
    rebucket(fleet, NodeId{static_cast<int>(i)});
  }
}

void FleetAccounting::apply(Fleet& fleet, std::span<const JobSpec> specs, JobId j,
                            const Allocation& a, int sign) {
  const JobSpec& s = specs[j.index()];
  std::int64_t milli = 0;
  std::vector<int> touched;  // nodes, in allocation order (slots of a node are adjacent)
  for (const auto& g : a.groups)
    for (const DeviceSlot& slot : g) {
      FleetNode& n = fleet.node(slot.node);
      n.state.gpu_left[static_cast<std::size_t>(slot.device)] -= sign * slot.milli;
      milli += slot.milli;
      if (touched.empty() || touched.back() != slot.node.value) touched.push_back(slot.node.value);
    }
  std::sort(touched.begin(), touched.end());
  touched.erase(std::unique(touched.begin(), touched.end()), touched.end());
  for (int node : touched) {
    auto& on_node = node_jobs_[static_cast<std::size_t>(node)];
    if (sign > 0)
      on_node.push_back(j.value);
    else
      on_node.erase(std::find(on_node.begin(), on_node.end(), j.value));
    FleetNode& n = fleet.node(NodeId{node});
    n.state.cpu_left -= sign * s.cpu_milli;
    n.state.memory_left -= sign * s.memory_mib;
    ++n.state.version;
    rebucket(fleet, NodeId{node});
  }
  type_alloc_milli_[a.type.index()] += sign * milli;
  tenant_alloc_milli_[s.tenant.index()] += sign * milli;
  const double compute = weight_of(fleet, a.type) * static_cast<double>(milli) / kGpuMilli;
  alloc_compute_total_ += sign * compute;
  if (fleet.type(a.type).domestic) alloc_compute_domestic_ += sign * compute;
  if (std::abs(alloc_compute_total_) < 1e-9) alloc_compute_total_ = alloc_compute_domestic_ = 0;
  if constexpr (kCheckEveryApply) check_after_apply(fleet, specs, touched);
}

double FleetAccounting::weight_of(const Fleet& fleet, TypeId t) const {
  return share_measure_ == ShareMeasure::kDevices ? 1.0 : fleet.type(t).compute_weight;
}

double FleetAccounting::job_compute(const Fleet& fleet, const JobSpec& s, TypeId t) const {
  return weight_of(fleet, t) * job_devices(s);
}

std::optional<double> FleetAccounting::share() const {
  if (alloc_compute_total_ <= 0) return std::nullopt;
  return alloc_compute_domestic_ / alloc_compute_total_;
}

// ---- checks ------------------------------------------------------------------

void FleetAccounting::check_after_apply(const Fleet& fleet, std::span<const JobSpec> specs,
                                        const std::vector<int>& touched) {
  if (first_failure_) return;  // the first failure is the telling one
  for (int node : touched)
    if (auto r = check_node(fleet, specs, node); !r) {
      first_failure_ = std::move(r).error();
      return;
    }
  const std::size_t stride =
      std::max<std::size_t>(1, (fleet.nodes().size() + kFullCheckNodes - 1) / kFullCheckNodes);
  if (applies_++ % stride != 0) return;
  if (auto r = check_invariants(fleet, specs); !r) first_failure_ = std::move(r).error();
}

Result<void> FleetAccounting::check_invariants(const Fleet& fleet,
                                               std::span<const JobSpec> specs) const {
  if (node_bucket_.size() != fleet.nodes().size() || buckets_.size() != fleet.types().size() ||
      domain_free_nodes_.size() != fleet.domains().size())
    return mismatch(fmt::format("indexes {} nodes, {} types and {} domains of {}, {} and {}",
                                node_bucket_.size(), buckets_.size(), domain_free_nodes_.size(),
                                fleet.nodes().size(), fleet.types().size(),
                                fleet.domains().size()));
  for (std::size_t i = 0; i < fleet.nodes().size(); ++i)
    SUANLI_TRY(check_node(fleet, specs, static_cast<int>(i)));
  SUANLI_TRY(check_buckets(fleet));
  SUANLI_TRY(check_type_totals(fleet));
  return check_held(fleet, specs);
}

// One node: its bucket, its up count, its devices, and the CPU and memory
// of the jobs listed on it.
Result<void> FleetAccounting::check_node(const Fleet& fleet, std::span<const JobSpec> specs,
                                         int node) const {
  const auto i = static_cast<std::size_t>(node);
  const FleetNode& n = fleet.nodes()[i];
  const int expected = n.placeable() ? n.state.fully_free_gpus() : -1;
  if (node_bucket_[i] != expected)
    return mismatch(fmt::format("node {} is filed under {} fully free devices, has {}", n.name,
                                node_bucket_[i], expected));
  if (expected >= 0 && !buckets_[n.type.index()][static_cast<std::size_t>(expected)].contains(node))
    return mismatch(fmt::format("node {} is missing from the bucket of {} free", n.name, expected));
  if ((node_counted_up_[i] != 0) != n.up)
    return mismatch(
        fmt::format("node {} is {} but counted otherwise", n.name, n.up ? "up" : "down"));
  std::int64_t held = 0;
  for (int d = 0; d < n.state.gpu_count; ++d) {
    const int left = n.state.gpu_left[static_cast<std::size_t>(d)];
    if (left < 0 || left > kGpuMilli)
      return mismatch(fmt::format("node {} device {} has {} milli free", n.name, d, left));
    held += kGpuMilli - left;
  }
  const std::vector<int>& jobs = node_jobs_[i];
  std::int64_t cpu = 0;
  std::int64_t memory = 0;
  for (auto it = jobs.begin(); it != jobs.end(); ++it) {
    if (*it < 0 || static_cast<std::size_t>(*it) >= specs.size())
      return mismatch(fmt::format("node {} lists unknown job {}", n.name, *it));
    if (std::find(jobs.begin(), it, *it) != it)
      return mismatch(fmt::format("node {} lists job {} twice", n.name, *it));
    cpu += specs[static_cast<std::size_t>(*it)].cpu_milli;
    memory += specs[static_cast<std::size_t>(*it)].memory_mib;
  }
  if (n.state.cpu_capacity - n.state.cpu_left != cpu ||
      n.state.memory_capacity - n.state.memory_left != memory)
    return mismatch(fmt::format("node {} uses {} CPU milli and {} MiB, its {} job(s) {} and {}",
                                n.name, n.state.cpu_capacity - n.state.cpu_left,
                                n.state.memory_capacity - n.state.memory_left, jobs.size(), cpu,
                                memory));
  if ((held > 0) != !jobs.empty())
    return mismatch(
        fmt::format("node {} has {} milli-devices held by {} job(s)", n.name, held, jobs.size()));
  return {};
}

// Each bucket holds exactly the nodes filed under it; each domain counts
// its fully free placeable nodes.
Result<void> FleetAccounting::check_buckets(const Fleet& fleet) const {
  std::vector<std::size_t> filed(fleet.types().size(), 0);
  std::vector<int> domain_free(fleet.domains().size(), 0);
  for (std::size_t i = 0; i < fleet.nodes().size(); ++i) {
    const FleetNode& n = fleet.nodes()[i];
    if (node_bucket_[i] >= 0) ++filed[n.type.index()];
    if (node_bucket_[i] == n.state.gpu_count) ++domain_free[n.domain.index()];
  }
  for (std::size_t t = 0; t < buckets_.size(); ++t) {
    std::size_t members = 0;
    for (std::size_t k = 0; k < buckets_[t].size(); ++k)
      for (int node : buckets_[t][k]) {
        ++members;
        if (node < 0 || static_cast<std::size_t>(node) >= fleet.nodes().size() ||
            fleet.nodes()[static_cast<std::size_t>(node)].type.index() != t ||
            node_bucket_[static_cast<std::size_t>(node)] != static_cast<int>(k))
          return mismatch(fmt::format("the bucket of {} free of {} holds node {}", k,
                                      fleet.types()[t].id, node));
      }
    if (members != filed[t])
      return mismatch(fmt::format("the buckets of {} hold {} nodes, {} are placeable",
                                  fleet.types()[t].id, members, filed[t]));
  }
  for (std::size_t d = 0; d < domain_free.size(); ++d)
    if (domain_free[d] != domain_free_nodes_[d])
      return mismatch(fmt::format("domain {} counts {} fully free nodes, has {}", d,
                                  domain_free_nodes_[d], domain_free[d]));
  return {};
}

// Devices in all, up and held per type, and the allocated compute.
Result<void> FleetAccounting::check_type_totals(const Fleet& fleet) const {
  const std::size_t types = fleet.types().size();
  std::vector<int> total(types, 0);
  std::vector<int> up(types, 0);
  std::vector<std::int64_t> held(types, 0);
  for (const FleetNode& n : fleet.nodes()) {
    total[n.type.index()] += n.state.gpu_count;
    if (n.up) up[n.type.index()] += n.state.gpu_count;
    for (int d = 0; d < n.state.gpu_count; ++d)
      held[n.type.index()] += kGpuMilli - n.state.gpu_left[static_cast<std::size_t>(d)];
  }
  double compute = 0;
  double domestic = 0;
  double capacity = 0;
  for (std::size_t t = 0; t < types; ++t) {
    const AcceleratorType& type = fleet.types()[t];
    if (total[t] != type_devices_total_[t] || up[t] != type_devices_up_[t] ||
        held[t] != type_alloc_milli_[t])
      return mismatch(fmt::format(
          "{} counts {} devices, {} up, {} milli held; its nodes have {}, {} up, {} held", type.id,
          type_devices_total_[t], type_devices_up_[t], type_alloc_milli_[t], total[t], up[t],
          held[t]));
    const double w = weight_of(fleet, TypeId{static_cast<int>(t)});
    compute += w * static_cast<double>(held[t]) / kGpuMilli;
    if (type.domestic) domestic += w * static_cast<double>(held[t]) / kGpuMilli;
    capacity += w * total[t];
  }
  // Sums kept across applies drift by rounding only.
  const double tolerance = 1e-6 * (1 + capacity);
  if (std::abs(compute - alloc_compute_total_) > tolerance ||
      std::abs(domestic - alloc_compute_domestic_) > tolerance)
    return mismatch(fmt::format("allocated compute {} ({} domestic), its nodes hold {} ({})",
                                alloc_compute_total_, alloc_compute_domestic_, compute, domestic));
  return {};
}

// Per tenant: the milli-devices of its jobs listed on the nodes.
Result<void> FleetAccounting::check_held(const Fleet& fleet, std::span<const JobSpec> specs) const {
  std::vector<char> seen(specs.size(), 0);
  std::vector<std::int64_t> tenant(tenant_alloc_milli_.size(), 0);
  for (std::size_t i = 0; i < fleet.nodes().size(); ++i)
    for (int id : node_jobs_[i]) {
      const auto k = static_cast<std::size_t>(id);
      if (seen[k] != 0) continue;
      seen[k] = 1;
      const JobSpec& s = specs[k];
      if (s.tenant.index() >= tenant.size())
        return mismatch(fmt::format("job {} has an unknown tenant", s.name));
      tenant[s.tenant.index()] += std::int64_t{s.devices} * s.gpu_milli;
    }
  for (std::size_t t = 0; t < tenant.size(); ++t)
    if (tenant[t] != tenant_alloc_milli_[t])
      return mismatch(fmt::format("tenant {} counts {} milli-devices, its running jobs hold {}", t,
                                  tenant_alloc_milli_[t], tenant[t]));
  return {};
}

}  // namespace suanli

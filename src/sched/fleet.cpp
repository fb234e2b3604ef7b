#include "sched/fleet.h"

#include <algorithm>

#include <fmt/format.h>

namespace suanli {

AcceleratorType accelerator_type(const Accelerator& a) {
  AcceleratorType t;
  t.id = a.id;
  t.name = a.name;
  t.vendor = a.vendor;
  t.origin = a.origin;
  t.domestic = a.domestic();
  if (const auto& bf16 = a.rate(Precision::kBf16)) {
    t.compute_weight = bf16->value;
  } else if (const auto& fp16 = a.rate(Precision::kFp16)) {
    t.compute_weight = fp16->value;
  }
  t.price_per_device_hour = a.rental_usd_per_hour ? a.rental_usd_per_hour->value : 0;
  return t;
}

SiteId Fleet::add_site(Site site) {
  sites_.push_back(std::move(site));
  return SiteId{static_cast<int>(sites_.size()) - 1};
}

TypeId Fleet::add_type(AcceleratorType type) {
  types_.push_back(std::move(type));
  type_node_devices_.push_back(0);
  type_domain_devices_.push_back(0);
  return TypeId{static_cast<int>(types_.size()) - 1};
}

Result<std::vector<NodeId>> Fleet::add_pool(const NodePool& pool) {
  if (!pool.site.valid() || pool.site.index() >= sites_.size())
    return fail(ErrorCode::kInvalidArgument, "node pool: unknown site");
  if (!pool.type.valid() || pool.type.index() >= types_.size())
    return fail(ErrorCode::kInvalidArgument, "node pool: unknown accelerator type");
  if (pool.nodes < 0) return fail(ErrorCode::kInvalidArgument, "node pool: negative node count");
  if (pool.devices_per_node < 1 || pool.devices_per_node > kMaxNodeGpus)
    return fail(ErrorCode::kInvalidArgument,
                fmt::format("node pool: devices_per_node must be 1..{}, got {}", kMaxNodeGpus,
                            pool.devices_per_node));
  if (pool.scale_up_domain < pool.devices_per_node ||
      pool.scale_up_domain % pool.devices_per_node != 0)
    return fail(ErrorCode::kInvalidArgument,
                fmt::format("node pool: scale_up_domain ({}) must be a multiple of "
                            "devices_per_node ({})",
                            pool.scale_up_domain, pool.devices_per_node));
  const std::size_t t = pool.type.index();
  if (type_node_devices_[t] == 0) type_node_devices_[t] = pool.devices_per_node;
  if (type_node_devices_[t] != pool.devices_per_node)
    return fail(ErrorCode::kInvalidArgument,
                fmt::format("node pool: {} nodes already have {} devices, this pool has {}; "
                            "one node size per accelerator type",
                            types_[t].id, type_node_devices_[t], pool.devices_per_node));
  type_domain_devices_[t] = std::max(type_domain_devices_[t], pool.scale_up_domain);

  const int per_domain = pool.scale_up_domain / pool.devices_per_node;
  const std::string prefix =
      pool.name_prefix.empty() ? fmt::format("{}-{}", sites_[pool.site.index()].name, types_[t].id)
                               : pool.name_prefix;
  // Continue numbering after existing nodes with the same prefix (the
  // nodes whose name starts with "prefix-", counted as they were added).
  const auto counted = names_by_dash_prefix_.find(prefix + "-");
  const int first = counted == names_by_dash_prefix_.end() ? 0 : counted->second;
  std::vector<NodeId> added;
  added.reserve(static_cast<std::size_t>(pool.nodes));
  for (int i = 0; i < pool.nodes; ++i) {
    if (i % per_domain == 0) {
      ScaleUpDomain d;
      d.type = pool.type;
      d.site = pool.site;
      d.nodes_per_domain = per_domain;
      domains_.push_back(std::move(d));
    }
    FleetNode node;
    node.id = NodeId{static_cast<int>(nodes_.size())};
    node.name = fmt::format("{}-{}", prefix, first + i);
    node.site = pool.site;
    node.type = pool.type;
    node.domain = DomainId{static_cast<int>(domains_.size()) - 1};
    node.state.name = node.name;
    node.state.model = pool.type.value;
    node.state.gpu_count = pool.devices_per_node;
    for (int g = 0; g < pool.devices_per_node; ++g)
      node.state.gpu_left[static_cast<std::size_t>(g)] = kGpuMilli;
    // 0 = not tracked: a capacity no request reaches.
    node.state.cpu_capacity = node.state.cpu_left =
        pool.cpu_milli > 0 ? pool.cpu_milli : kUntrackedCapacity;
    node.state.memory_capacity = node.state.memory_left =
        pool.memory_mib > 0 ? pool.memory_mib : kUntrackedCapacity;
    domains_.back().nodes.push_back(node.id);
    added.push_back(node.id);
    for (std::size_t dash = node.name.find('-'); dash != std::string::npos;
         dash = node.name.find('-', dash + 1))
      ++names_by_dash_prefix_[node.name.substr(0, dash + 1)];
    node_by_name_.emplace(node.name, node.id);  // the first node of a name wins, as before
    nodes_.push_back(std::move(node));
  }
  return added;
}

int Fleet::devices_per_node(TypeId type) const { return type_node_devices_[type.index()]; }
int Fleet::domain_devices(TypeId type) const { return type_domain_devices_[type.index()]; }

int Fleet::devices_total(TypeId type) const {
  int n = 0;
  for (const FleetNode& node : nodes_)
    if (node.type == type) n += node.state.gpu_count;
  return n;
}

std::optional<TypeId> Fleet::find_type(std::string_view catalog_id) const {
  for (std::size_t i = 0; i < types_.size(); ++i)
    if (types_[i].id == catalog_id) return TypeId{static_cast<int>(i)};
  return std::nullopt;
}

std::optional<SiteId> Fleet::find_site(std::string_view name) const {
  for (std::size_t i = 0; i < sites_.size(); ++i)
    if (sites_[i].name == name) return SiteId{static_cast<int>(i)};
  return std::nullopt;
}

std::optional<NodeId> Fleet::find_node(std::string_view name) const {
  const auto it = node_by_name_.find(std::string(name));
  if (it == node_by_name_.end()) return std::nullopt;
  return it->second;
}

}  // namespace suanli

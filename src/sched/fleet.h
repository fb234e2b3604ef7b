// The fleet the scheduling core manages: sites, accelerator types (catalog
// chips with their origin and a compute weight), nodes of one type each, and
// scale-up domains (groups of nodes whose devices share a fast fabric: one
// 8-GPU HGX node, or 48 Atlas nodes in a 384-NPU CloudMatrix). Per-device
// occupancy reuses the replay's NodeState (free milli per device, CPU and
// memory), so the FGD-paper scores apply unchanged.
#pragma once

#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "catalog/accelerator.h"
#include "sched/cluster.h"
#include "util/error.h"

namespace suanli {

// Typed indices: a NodeId cannot be passed where a JobId is expected.
template <class Tag>
struct Id {
  int value = -1;
  bool valid() const { return value >= 0; }
  std::size_t index() const { return static_cast<std::size_t>(value); }
  auto operator<=>(const Id&) const = default;
};
using SiteId = Id<struct SiteTag>;
using TypeId = Id<struct TypeTag>;
using NodeId = Id<struct NodeTag>;
using DomainId = Id<struct DomainTag>;
using TenantId = Id<struct TenantTag>;
using JobId = Id<struct JobTag>;

// Seconds since the start of a simulation (or of the live service's epoch).
using SimTime = double;

struct Site {
  std::string name;
  std::string region;
};

// One catalog accelerator present in the fleet.
struct AcceleratorType {
  std::string id;  // catalog ID, e.g. "ascend-910c"
  std::string name;
  std::string vendor;
  std::string origin;  // "CN", "US", …
  bool domestic = false;
  // Dense BF16 TFLOPS per device: the weight of one device in the
  // domestic-share rule when it is measured in compute.
  double compute_weight = 0;
  double price_per_device_hour = 0;  // USD, for cost metrics
  // Per node; 0 disables failures of this type.
  double mtbf_hours = 0;
  double mttr_hours = 0;
};

// The fleet's view of a catalog chip: identity, origin, compute weight
// (dense BF16, else FP16 TFLOPS) and the catalog's rental price (0 when
// unknown); failure figures are left for the caller.
AcceleratorType accelerator_type(const Accelerator& a);

// A group of identical nodes, as a scenario or a delivery describes them.
struct NodePool {
  SiteId site;
  TypeId type;
  int nodes = 0;
  int devices_per_node = 8;
  int scale_up_domain = 8;      // devices per domain; a multiple of devices_per_node
  std::int64_t cpu_milli = 0;   // per node; 0 = not tracked
  std::int64_t memory_mib = 0;  // per node; 0 = not tracked
  std::string name_prefix;      // nodes are named prefix-0, prefix-1, …
};

struct ScaleUpDomain {
  TypeId type;
  SiteId site;
  std::vector<NodeId> nodes;
  int nodes_per_domain = 1;  // as built (a domain may be partly delivered)
};

struct FleetNode {
  NodeId id;
  std::string name;
  SiteId site;
  TypeId type;
  DomainId domain;
  bool up = true;
  bool cordoned = false;  // up, but no new placements (a drained node)
  bool placeable() const { return up && !cordoned; }
  NodeState state;  // devices: state.gpu_count, free milli per device
};

class Fleet {
 public:
  SiteId add_site(Site site);
  TypeId add_type(AcceleratorType type);
  // Adds the pool's nodes (and their domains); returns the new node IDs.
  Result<std::vector<NodeId>> add_pool(const NodePool& pool);

  const std::vector<Site>& sites() const { return sites_; }
  const std::vector<AcceleratorType>& types() const { return types_; }
  const std::vector<FleetNode>& nodes() const { return nodes_; }
  const std::vector<ScaleUpDomain>& domains() const { return domains_; }
  const Site& site(SiteId id) const { return sites_[id.index()]; }
  const AcceleratorType& type(TypeId id) const { return types_[id.index()]; }
  const FleetNode& node(NodeId id) const { return nodes_[id.index()]; }
  FleetNode& node(NodeId id) { return nodes_[id.index()]; }
  const ScaleUpDomain& domain(DomainId id) const { return domains_[id.index()]; }

  // Devices per node of a type (its first pool's), 0 when the type has none.
  int devices_per_node(TypeId type) const;
  // Devices per scale-up domain of a type (the largest pool's).
  int domain_devices(TypeId type) const;
  int devices_total(TypeId type) const;

  std::optional<TypeId> find_type(std::string_view catalog_id) const;
  std::optional<SiteId> find_site(std::string_view name) const;
  std::optional<NodeId> find_node(std::string_view name) const;

 private:
  std::vector<Site> sites_;
  std::vector<AcceleratorType> types_;
  std::vector<FleetNode> nodes_;
  std::vector<ScaleUpDomain> domains_;
  std::vector<int> type_node_devices_;    // per type
  std::vector<int> type_domain_devices_;  // per type
  // For every node name and every '-' in it, the name up to and including
  // that '-' ("wuhu-", "wuhu-h20-"): how many names start so. add_pool
  // numbers a pool after them in O(log n) instead of scanning every node.
  std::unordered_map<std::string, int> names_by_dash_prefix_;
  std::unordered_map<std::string, NodeId> node_by_name_;  // find_node in O(1)
};

}  // namespace suanli

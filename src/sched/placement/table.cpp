// The placement policies by name: the one table the scenario files, the
// CLI, its help text and the "expected one of" error all read. Adding a
// policy: a file in this folder with its factory, a PlacementKind, a row
// here.
#include <array>
#include <string>

#include <fmt/format.h>

#include "sched/placement/placement.h"
#include "util/enum_names.h"

namespace suanli {

namespace {

struct PlacementEntry {
  PlacementKind kind;
  std::string_view name;
  std::string_view help;
  std::unique_ptr<FleetPlacement> (*make)();
};

constexpr std::array<PlacementEntry, 8> kPlacementTable{{
    {PlacementKind::kFirstFit, "first-fit", "the lowest-indexed node that holds the job",
     make_first_fit},
    {PlacementKind::kBestFit, "best-fit", "the node the job fills most tightly (default)",
     make_best_fit},
    {PlacementKind::kDotProduct, "dotprod", "free resources best aligned with the request (FGD paper)",
     make_dot_product},
    {PlacementKind::kGpuPacking, "gpu-packing", "occupied GPUs first, idle nodes last (FGD paper)",
     make_gpu_packing},
    {PlacementKind::kGpuClustering, "gpu-clustering",
     "nodes running the same GPU type first (FGD paper)", make_gpu_clustering},
    {PlacementKind::kRandom, "random", "a seeded random node", make_random},
    {PlacementKind::kFgd, "fgd", "least growth of fragmentation (Weng et al., ATC'23)", make_fgd},
    {PlacementKind::kHetero, "hetero",
     "earliest completion across types, waiting for a faster busy type when it pays", make_hetero},
}};

constexpr std::array<PlacementKind, kPlacementTable.size()> kAllPlacements = [] {
  std::array<PlacementKind, kPlacementTable.size()> out{};
  for (std::size_t i = 0; i < out.size(); ++i) out[i] = kPlacementTable[i].kind;
  return out;
}();

constexpr EnumNames<PlacementKind, kPlacementTable.size()> kPlacementNames = [] {
  EnumNames<PlacementKind, kPlacementTable.size()> out{};
  for (std::size_t i = 0; i < out.size(); ++i)
    out[i] = {kPlacementTable[i].kind, kPlacementTable[i].name};
  return out;
}();

const PlacementEntry* entry(PlacementKind kind) {
  for (const auto& e : kPlacementTable)
    if (e.kind == kind) return &e;
  return nullptr;
}

}  // namespace

std::unique_ptr<FleetPlacement> make_placement(PlacementKind kind) {
  const PlacementEntry* e = entry(kind);
  return e ? e->make() : make_best_fit();
}

std::string_view placement_policy_name(PlacementKind p) {
  const PlacementEntry* e = entry(p);
  return e ? e->name : std::string_view("?");
}

Result<PlacementKind> parse_placement_policy(std::string_view text) {
  return parse_enum(kPlacementNames, text, "placement policy");
}

std::span<const PlacementKind> all_placement_policies() { return kAllPlacements; }

std::string placement_policy_help() {
  std::string out;
  for (const auto& e : kPlacementTable) {
    if (!out.empty()) out += "; ";
    out += fmt::format("{}: {}", e.name, e.help);
  }
  return out;
}

}  // namespace suanli

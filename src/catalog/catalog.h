// The catalog: accelerators, models and efficiency profiles loaded from TOML
// data directories. Later directories override earlier ones entry by entry
// and key by key, so a user file can change one price without copying a chip:
// an [[accelerator]], [[profile]], [[model]] or [[stack]] whose id is already
// loaded is merged into that entry (the keys it gives replace the earlier
// ones; `overridden_at` records the file:line of each such override, and
// `catalog show` prints it). A [[residual]] row replaces the loaded row with
// the same (profile, stack, kind).
#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "catalog/accelerator.h"
#include "catalog/economics.h"
#include "catalog/efficiency.h"
#include "catalog/model.h"
#include "catalog/stack.h"
#include "util/error.h"

namespace suanli {

// A catalog file given as text instead of a path (e.g. an override stored
// by the service): same format as a *.toml file; `name` stands in for the
// file name in error messages.
struct CatalogText {
  std::string name;
  std::string toml;
};

struct CatalogOptions {
  // Directories read in order; each may hold accelerators/, models/,
  // efficiency/ and stacks/ subfolders of *.toml files (or *.toml files directly).
  std::vector<std::filesystem::path> directories;
  // Read after the directories, in order, merging the same way.
  std::vector<CatalogText> texts = {};
};

class Catalog {
 public:
  static Result<Catalog> load(const CatalogOptions& options);

  // Directories from the defaults: the bundled data directory
  // (bundled_data_dir(), util/share_dir.h) followed by the
  // directories in env SUANLI_CATALOG (colon-separated) and `extra`.
  static std::vector<std::filesystem::path> default_directories(
      const std::vector<std::filesystem::path>& extra = {});

  const std::vector<Accelerator>& accelerators() const { return accelerators_; }
  const std::vector<ModelArch>& models() const { return models_; }
  const std::vector<EfficiencyProfile>& profiles() const { return profiles_; }
  const std::vector<SoftwareStack>& stacks() const { return stacks_; }
  const std::vector<ResidualSpread>& residuals() const { return residuals_; }
  // Cost, goodput and planning assumptions (data/economics.toml).
  const Economics& economics() const { return economics_; }

  // Lookups with a "did you mean" error for unknown IDs. An accelerator or
  // model ID may also be given loosely when exactly one entry matches: in
  // any case ("H200"), without the vendor prefix ("910c" = ascend-910c) or
  // without the form factor ("h200" = h200-sxm); "h100" (three H100s) is
  // an error listing them. The entry's own `id` is the canonical one.
  Result<const Accelerator*> accelerator(std::string_view id) const;
  Result<const ModelArch*> model(std::string_view id) const;
  Result<const SoftwareStack*> stack(std::string_view id) const;
  // The stack estimates use unless told otherwise ("megatron-core").
  const SoftwareStack& default_stack() const;
  // Falls back to the "default" profile when `id` is unknown.
  const EfficiencyProfile& profile(std::string_view id) const;
  const EfficiencyProfile& profile_for(const Accelerator& a) const {
    return profile(a.efficiency_profile);
  }

  // The out-of-sample residual spread for an estimate of `kind` ("train" |
  // "infer") on `profile` and `stack`: the (profile, stack) row when it has
  // at least kMinResidualRows rows, else the profile's own row, else the
  // pooled "all" row; `level` says which. No row at all: spread == nullptr.
  // A residual row backs an interval only with this many held-out rows
  // (p10 and p90 then each have two rows beyond them); also the threshold
  // `validate --write-residuals` writes rows at (perf/fit.h).
  static constexpr int kMinResidualRows = 20;
  ResidualChoice residual_for(std::string_view profile, std::string_view stack,
                              std::string_view kind) const;

  std::vector<std::string> accelerator_ids() const;
  std::vector<std::string> model_ids() const;

 private:
  std::vector<Accelerator> accelerators_;
  std::vector<ModelArch> models_;
  std::vector<EfficiencyProfile> profiles_;
  std::vector<SoftwareStack> stacks_;
  std::vector<ResidualSpread> residuals_;
  Economics economics_;
  EfficiencyProfile fallback_profile_;
  SoftwareStack fallback_stack_;
};

}  // namespace suanli

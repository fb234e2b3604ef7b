// JSON view of a classification (shared by `suanli classify --json` and the
// HTTP API) and the chip description the API classifies when the caller
// gives figures instead of a catalog ID.
#pragma once

#include <map>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "catalog/accelerator.h"
#include "compliance/compliance.h"

namespace suanli {

// One object of `classify --json` (keys in the CLI's order).
nlohmann::ordered_json classification_json(const Classification& c);

// Figures for a chip that is not in the catalog. Every figure gets
// `confidence` (figures typed in by a caller are unchecked: "estimate" by
// default, so results say they are unverified unless the caller vouches).
struct ChipFigures {
  std::string id = "custom";
  std::string name = "custom chip";
  std::string origin = "US";
  bool datacenter = true;
  std::map<Precision, double> dense_tflops;  // > 0
  std::optional<double> die_area_mm2;
  std::optional<double> memory_bw_gbps;
  std::optional<double> scaleup_bidir_gbps;
  Confidence confidence = Confidence::kEstimate;
  std::string source = "given by the caller";
};

// The accelerator classify() reads; china_status is "domestic" for CN
// origin, else "not-offered" (the catalog's status is unknown for it).
Accelerator make_accelerator(const ChipFigures& figures);

}  // namespace suanli

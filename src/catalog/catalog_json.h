// JSON views of catalog entries (shared by `suanli catalog --json` and the
// HTTP API) and the JSON form of a user's [[accelerator]] entry, which the
// service stores and turns back into catalog TOML.
#pragma once

#include <optional>
#include <string_view>

#include <nlohmann/json.hpp>

#include "catalog/catalog.h"

namespace suanli {

struct CatalogJsonOptions {
  // Add "unverified": true|false to every figure (estimate or placeholder).
  // Off for the CLI (its --json contract predates the flag).
  bool mark_unverified = false;
};

// {"value", "source", "confidence", ["low", "high", "note", "unverified"]}, or null.
nlohmann::json figure_json(const std::optional<Figure>& f, const CatalogJsonOptions& options = {});
// The `catalog show ID` / `catalog accelerators --json` object.
nlohmann::json accelerator_json(const Accelerator& a, const CatalogJsonOptions& options = {});
// The `catalog models --json` object.
nlohmann::json model_json(const ModelArch& m);

// A user's accelerator entry as JSON: the keys of one [[accelerator]] table
// of the catalog format (docs/catalog-format.md) plus "sources" (that
// file's [sources] table: key -> citation):
//   {"name": …, "source": "quote", "confidence": "verified",
//    "dense_tflops": {"bf16": 989.5 | {"value", "source", "confidence", …}},
//    "figures": {"rental_usd_per_hour": {"value": 2.6, "source": "quote-2026q3",
//                                        "confidence": "verified"}},
//    "availability": {"china": "case-by-case", "note": …},
//    "sources": {"quote-2026q3": "reseller quote"}}
// "id" may be given and must equal `id`. Returns the catalog file text
// ([sources] + one [[accelerator]]) named `name` for CatalogOptions::texts.
// Fails (kInvalidArgument) on JSON that TOML cannot hold (null, mixed
// arrays) or a wrong id; the catalog loader checks the rest (unknown keys,
// figures without a source or confidence, …).
Result<CatalogText> accelerator_entry_text(std::string_view id, const nlohmann::json& entry,
                                           std::string name);

}  // namespace suanli

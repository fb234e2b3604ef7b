// The compute part of the JSON API: the catalog (read, and user overrides
// of chips and prices), export-control classification, training and
// inference estimates and comparisons. Handlers only decode requests and
// call the core (perf/workload_request.h, compliance/, catalog/); they
// return the same JSON the CLI prints with --json.
//
// Routes (request and response shapes in openapi_document()):
//   GET    /api/v1/catalog/accelerators        every chip, figures with source,
//                                              confidence and "unverified"
//   GET    /api/v1/catalog/accelerators/{id}   one chip (404 with "did you mean")
//   GET    /api/v1/catalog/models              every model
//   PUT    /api/v1/catalog/accelerators/{id}   store an override (write access)
//   DELETE /api/v1/catalog/accelerators/{id}   remove an override (write access)
//   GET    /api/v1/catalog/overrides           stored overrides, who and when
//   POST   /api/v1/classify                    `suanli classify --json`
//   POST   /api/v1/estimate/train              `suanli estimate train --json`
//   POST   /api/v1/estimate/infer              `suanli estimate infer --json`
//   POST   /api/v1/compare                     `suanli compare train|infer --json`
//
// Errors: 400 for malformed JSON, unknown fields, wrong types and values out
// of range (error.field names the field, e.g. "body.devices"); 404 for an
// accelerator, model or stack ID not in the catalog, in the path or in the
// body (error.field says which); 400 "infeasible" when nothing fits.
//
// Computations are deterministic, so their responses are cached: a bounded
// LRU keyed by (catalog version, route, canonical JSON of the body); a
// catalog change bumps the version and empties the cache.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <nlohmann/json.hpp>

#include "service/api.h"
#include "service/catalog_holder.h"
#include "service/router.h"
#include "store/store.h"

namespace suanli::service {

// A thread-safe LRU of responses, split into shards (each with its own
// mutex) so concurrent requests rarely contend.
class ResponseCache {
 public:
  explicit ResponseCache(std::size_t capacity, std::size_t shards = 8);

  std::optional<ApiResponse> get(const std::string& key);
  void put(const std::string& key, const ApiResponse& response);
  void clear();

  struct Stats {
    std::uint64_t hits = 0;
    std::uint64_t misses = 0;
    std::size_t size = 0;
  };
  Stats stats() const;

 private:
  struct Entry {
    std::string key;
    std::shared_ptr<const ApiResponse> response;
  };
  struct Shard {
    mutable std::mutex mutex;
    std::list<Entry> lru;  // most recent first
    std::unordered_map<std::string, std::list<Entry>::iterator> index;
    std::uint64_t hits = 0;
    std::uint64_t misses = 0;
  };
  Shard& shard(const std::string& key);

  std::size_t per_shard_;
  std::vector<std::unique_ptr<Shard>> shards_;
};

class ComputeApi {
 public:
  // `catalog_dirs`: the complete list of catalog directories (bundled data
  // first, as Catalog::default_directories gives), re-read when an override
  // changes. `store` may be null: the override routes then answer 400
  // ("unsupported") and everything else works.
  ComputeApi(CatalogHolder& catalog, store::Store* store,
             std::vector<std::filesystem::path> catalog_dirs, std::size_t cache_entries = 4096);

  void add_routes(Router& router);

  // Loads the directories plus every stored override and swaps the result
  // into the holder (the service calls it at start-up). Fails naming the
  // first bad override and leaves the holder as it was.
  Result<void> reload_catalog();

  ResponseCache::Stats cache_stats() const { return cache_.stats(); }

  // The JSON schema of the request body of one of this API's routes, or
  // null for routes without a body (used by openapi_document()).
  static nlohmann::json request_schema(Method method, std::string_view pattern);

 private:
  ApiResponse list_accelerators(const ApiRequest& request);
  ApiResponse get_accelerator(const ApiRequest& request);
  ApiResponse list_models(const ApiRequest& request);
  ApiResponse put_accelerator(const ApiRequest& request);
  ApiResponse delete_accelerator(const ApiRequest& request);
  ApiResponse list_overrides(const ApiRequest& request);
  ApiResponse classify(const ApiRequest& request);
  ApiResponse estimate_train(const ApiRequest& request);
  ApiResponse estimate_infer(const ApiRequest& request);
  ApiResponse compare(const ApiRequest& request);

  // Parses the body, answers from the cache or runs `compute(body, catalog)`
  // and caches its answer.
  template <class Compute>
  ApiResponse cached(std::string_view route, const ApiRequest& request, Compute&& compute);

  // The catalog from the directories plus `overrides` (stored entries).
  // put_accelerator's origin rules: normalises entry["origin"]; the
  // refusal (400/403/409) when the origin is malformed, is a bundled chip's
  // changed, or is changed on a chip the live fleet uses.
  std::optional<ApiResponse> check_origin_change(const std::string& id, nlohmann::json& entry);
  Result<Catalog> build_catalog(const std::vector<store::CatalogOverrideRecord>& overrides,
                                const std::optional<store::CatalogOverrideRecord>& extra) const;

  CatalogHolder& catalog_;
  store::Store* store_;
  std::vector<std::filesystem::path> catalog_dirs_;
  ResponseCache cache_;
  std::mutex write_mutex_;  // one catalog change at a time
};

}  // namespace suanli::service

// The estimator, compare and plan routes of the JSON API, with each request
// type's field table (name, type, bounds, help), which drives decoding,
// validation, the OpenAPI schema and docs/api.md from one definition. One
// file over 900 lines: the tables and their decoders belong together, so a
// field is defined once.
#include "service/compute_api.h"

#include <fmt/chrono.h>
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <functional>
#include <limits>
#include <variant>

#include "catalog/catalog_json.h"
#include "compliance/compliance_json.h"
#include "perf/workload_fields.h"
#include "perf/workload_request.h"

namespace suanli::service {

// ---------------------------------------------------------------------------
// Response cache

ResponseCache::ResponseCache(std::size_t capacity, std::size_t shards) {
  if (shards == 0) shards = 1;
  per_shard_ = std::max<std::size_t>(1, (capacity + shards - 1) / shards);
  for (std::size_t i = 0; i < shards; ++i) shards_.push_back(std::make_unique<Shard>());
}

ResponseCache::Shard& ResponseCache::shard(const std::string& key) {
  return *shards_[std::hash<std::string>{}(key) % shards_.size()];
}

std::optional<ApiResponse> ResponseCache::get(const std::string& key) {
  Shard& s = shard(key);
  std::shared_ptr<const ApiResponse> found;
  {
    std::lock_guard lock(s.mutex);
    auto it = s.index.find(key);
    if (it == s.index.end()) {
      ++s.misses;
      return std::nullopt;
    }
    ++s.hits;
    s.lru.splice(s.lru.begin(), s.lru, it->second);
    found = it->second->response;
  }
  return *found;  // copied outside the lock
}

void ResponseCache::put(const std::string& key, const ApiResponse& response) {
  auto value = std::make_shared<const ApiResponse>(response);
  Shard& s = shard(key);
  std::lock_guard lock(s.mutex);
  if (auto it = s.index.find(key); it != s.index.end()) {
    it->second->response = std::move(value);
    s.lru.splice(s.lru.begin(), s.lru, it->second);
    return;
  }
  s.lru.push_front({key, std::move(value)});
  s.index.emplace(key, s.lru.begin());
  while (s.lru.size() > per_shard_) {
    s.index.erase(s.lru.back().key);
    s.lru.pop_back();
  }
}

void ResponseCache::clear() {
  for (auto& s : shards_) {
    std::lock_guard lock(s->mutex);
    s->index.clear();
    s->lru.clear();
  }
}

ResponseCache::Stats ResponseCache::stats() const {
  Stats out;
  for (const auto& s : shards_) {
    std::lock_guard lock(s->mutex);
    out.hits += s->hits;
    out.misses += s->misses;
    out.size += s->lru.size();
  }
  return out;
}

// ---------------------------------------------------------------------------
// Request fields: one table per route gives each field's type, bounds and
// description; the decoders check bounds from it and the OpenAPI schemas
// are generated from it, so the two cannot drift apart. The workload tables
// (perf/workload_fields.h) also give the CLI its flags.

namespace {

const std::vector<FieldSpec>& target_fields() {
  static const std::vector<FieldSpec> fields = {
      {"accelerator", FieldType::kIdentifier, "Accelerator ID", 0, 0, {}, true},
      {"devices", FieldType::kInteger, "Number of devices", 1, kMaxRequestDevices, {}, true},
  };
  return fields;
}

const std::vector<FieldSpec>& compare_fields() {
  static const std::vector<FieldSpec> fields = {
      {"kind", FieldType::kString, "What to compare", 0, 0, {"train", "infer"}, true},
      {"accelerators",
       FieldType::kStringArray,
       "Accelerator IDs (1 to 64); the first is the baseline",
       1,
       64,
       {},
       true},
      {"devices", FieldType::kInteger, "Devices per accelerator type (or budget_usd)", 1,
       kMaxRequestDevices},
      {"budget_usd",
       FieldType::kNumber,
       "Purchase budget: each type gets as many whole servers as it buys (or devices)",
       0,
       1e15,
       {},
       false,
       true},
  };
  return fields;
}

const std::vector<FieldSpec>& classify_fields() {
  static const std::vector<FieldSpec> fields = {
      {"accelerators", FieldType::kStringArray, "Catalog accelerator IDs to classify (1 to 1000)",
       1, 1000},
      {"all", FieldType::kBoolean, "Classify every catalog accelerator"},
      {"chip", FieldType::kObject, "Figures of a chip not in the catalog (see chip_fields)"},
  };
  return fields;
}

const std::vector<FieldSpec>& chip_fields() {
  static const std::vector<FieldSpec> fields = {
      {"id", FieldType::kIdentifier, "Label for the result (default custom)"},
      {"name", FieldType::kString, "Name for the result"},
      {"origin", FieldType::kString, "ISO 3166 alpha-2 country of the designer (default US)"},
      {"datacenter", FieldType::kBoolean, "Designed or marketed for datacenters (default true)"},
      {"dense_tflops",
       FieldType::kObject,
       "Dense peak rates by precision (fp32 tf32 bf16 fp16 fp8 int8 fp4), TFLOPS/TOPS > 0",
       0,
       0,
       {},
       true},
      {"die_area_mm2", FieldType::kNumber, "Applicable die area, mm²", 0, 1e6, {}, false, true},
      {"memory_bw_gbps", FieldType::kNumber, "DRAM bandwidth, GB/s", 0, 1e9, {}, false, true},
      {"scaleup_bidir_gbps",
       FieldType::kNumber,
       "Aggregate bidirectional I/O, GB/s",
       0,
       1e9,
       {},
       false,
       true},
      {"confidence",
       FieldType::kString,
       "Confidence of the figures (default estimate)",
       0,
       0,
       {"verified", "secondary", "estimate", "placeholder"}},
      {"source", FieldType::kString, "Where the figures come from"},
  };
  return fields;
}

const FieldSpec& spec(const std::vector<FieldSpec>& fields, std::string_view name) {
  for (const auto& f : fields) {
    if (f.name == name) return f;
  }
  // A name missing from its table is a bug in this file; fail loudly in tests.
  static const FieldSpec unknown{"unknown", FieldType::kObject, "", 0, 0, {}, true};
  return unknown;
}

Error bad_field(const std::string& field, std::string message) {
  return Error{ErrorCode::kInvalidArgument, fmt::format("{}: {}", field, message)};
}

// Reads the field named `name` of `fields` into `out`.
template <class T>
Result<void> read(FieldReader& r, const std::vector<FieldSpec>& fields, std::string_view name,
                  T& out) {
  return read_spec_value(r, spec(fields, name), out);
}

// Reads every field of a workload table into its member of `out`, in
// table order (perf/workload_fields.h).
template <class R>
Result<void> read_fields(FieldReader& r, const FieldTable<R>& table, R& out) {
  return read_request_fields(r, table, out);
}

Result<void> read_train_workload(FieldReader& r, TrainRequest& t) {
  SUANLI_TRY(read_fields(r, train_workload_fields(), t));
  SUANLI_TRY(read_fields(r, cost_fields(), t.cost));
  if (t.model.empty() && (t.layers == 0 || t.hidden == 0 || t.heads == 0 || t.vocab == 0)) {
    return std::unexpected(bad_field(
        r.field("model"), "required (or a custom shape: layers, hidden, heads and vocab)"));
  }
  return {};
}

Result<void> read_train_parallelism(FieldReader& r, TrainRequest& t) {
  return read_fields(r, train_parallelism_fields(), t);
}

Result<void> read_infer_workload(FieldReader& r, InferRequest& q) {
  SUANLI_TRY(read_fields(r, infer_workload_fields(), q));
  SUANLI_TRY(read_fields(r, cost_fields(), q.cost));
  if (auto problem = infer_choice_problem(q, field_key))
    return std::unexpected(bad_field(r.field(problem->field), problem->message));
  return {};
}

// The field an error message starts with ("body.devices: …"), for the
// error body's "field".
std::string field_of(const Error& e) {
  const auto& m = e.message;
  if (m.rfind("body", 0) != 0 && m.rfind("path.", 0) != 0) return {};
  const auto colon = m.find(": ");
  if (colon == std::string::npos) return {};
  return m.substr(0, colon);
}

ApiResponse error_for(const Error& e, std::string_view field = {}) {
  return error_response(e, field.empty() ? std::string_view(field_of(e)) : field);
}

// Resolves catalog IDs named in a body, so that an unknown one is a 404
// naming its field (with the catalog's "did you mean").
std::optional<ApiResponse> check_ids(const Catalog& c, const std::string& accelerator,
                                     const std::string& model, const std::string& stack) {
  if (!accelerator.empty()) {
    if (auto a = c.accelerator(accelerator); !a) return error_for(a.error(), "body.accelerator");
  }
  if (!model.empty()) {
    if (auto m = c.model(model); !m) return error_for(m.error(), "body.model");
  }
  if (!stack.empty()) {
    if (auto s = c.stack(stack); !s) return error_for(s.error(), "body.stack");
  }
  return std::nullopt;
}

// The body field a loader error about override `id` points at:
// "override:ID:5: accelerator.figures.tdp_w: …" -> "body.figures.tdp_w".
std::string loader_field(const Error& e, std::string_view id) {
  const std::string prefix = fmt::format("override:{}:", id);
  if (e.message.rfind(prefix, 0) != 0) return "body";
  const std::string_view key = ": accelerator.";
  const auto at = e.message.find(key);
  if (at == std::string::npos) return "body";
  const auto start = at + key.size();
  const auto end = e.message.find(": ", start);
  return "body." +
         e.message.substr(start, end == std::string::npos ? std::string::npos : end - start);
}

std::string now_iso8601() {
  const auto now =
      std::chrono::time_point_cast<std::chrono::seconds>(std::chrono::system_clock::now());
  return fmt::format("{:%Y-%m-%dT%H:%M:%SZ}", now);
}

constexpr CatalogJsonOptions kApiCatalogJson{.mark_unverified = true};

}  // namespace

// ---------------------------------------------------------------------------

ComputeApi::ComputeApi(CatalogHolder& catalog, store::Store* store,
                       std::vector<std::filesystem::path> catalog_dirs, std::size_t cache_entries)
    : catalog_(catalog),
      store_(store),
      catalog_dirs_(std::move(catalog_dirs)),
      cache_(cache_entries) {}

void ComputeApi::add_routes(Router& router) {
  auto bind = [this](ApiResponse (ComputeApi::*fn)(const ApiRequest&)) {
    return [this, fn](const ApiRequest& r) { return (this->*fn)(r); };
  };
  router.add(Method::kGet, "/api/v1/catalog/accelerators", Access::kRead,
             "List accelerators: every figure with its source and confidence",
             bind(&ComputeApi::list_accelerators));
  router.add(Method::kGet, "/api/v1/catalog/accelerators/{id}", Access::kRead,
             "One accelerator with every figure's source and confidence",
             bind(&ComputeApi::get_accelerator));
  router.add(Method::kPut, "/api/v1/catalog/accelerators/{id}", Access::kWrite,
             "Add or override an accelerator (or one of its prices) with its source",
             bind(&ComputeApi::put_accelerator));
  router.add(Method::kDelete, "/api/v1/catalog/accelerators/{id}", Access::kWrite,
             "Remove a stored accelerator override", bind(&ComputeApi::delete_accelerator));
  router.add(Method::kGet, "/api/v1/catalog/models", Access::kRead, "List models",
             bind(&ComputeApi::list_models));
  router.add(Method::kGet, "/api/v1/catalog/overrides", Access::kRead,
             "Stored catalog overrides with who stored them and when",
             bind(&ComputeApi::list_overrides));
  router.add(Method::kPost, "/api/v1/classify", Access::kRead,
             "ECCN 3A090 class, 2022 rule and China overlay for catalog chips or given figures",
             bind(&ComputeApi::classify));
  router.add(Method::kPost, "/api/v1/estimate/train", Access::kRead,
             "Training step time, MFU, memory and time-to-train (parallelism searched)",
             bind(&ComputeApi::estimate_train));
  router.add(Method::kPost, "/api/v1/estimate/infer", Access::kRead,
             "Inference TTFT, TPOT, throughput and cost per million tokens",
             bind(&ComputeApi::estimate_infer));
  router.add(Method::kPost, "/api/v1/compare", Access::kRead,
             "One training or inference workload across several accelerators",
             bind(&ComputeApi::compare));
}

template <class Compute>
ApiResponse ComputeApi::cached(std::string_view route, const ApiRequest& request,
                               Compute&& compute) {
  auto body = request.body.empty() && request.method == Method::kGet
                  ? Result<nlohmann::json>(nlohmann::json::object())
                  : parse_json_object(request.body);
  if (!body) return error_for(body.error(), "body");
  const auto snapshot = catalog_.get();
  std::string key = fmt::format("{}\n{}\n{}", snapshot.version, route, body->dump());
  if (auto hit = cache_.get(key)) return std::move(*hit);
  bool cacheable = true;
  ApiResponse response = compute(*body, *snapshot.catalog, cacheable);
  if (cacheable) cache_.put(key, response);
  return response;
}

ApiResponse ComputeApi::list_accelerators(const ApiRequest& request) {
  return cached("accelerators", request, [](const nlohmann::json&, const Catalog& c, bool&) {
    nlohmann::json arr = nlohmann::json::array();
    for (const auto& a : c.accelerators()) arr.push_back(accelerator_json(a, kApiCatalogJson));
    return json_response(std::move(arr));
  });
}

ApiResponse ComputeApi::get_accelerator(const ApiRequest& request) {
  const auto snapshot = catalog_.get();
  const auto it = request.params.find("id");
  const std::string id = it == request.params.end() ? std::string() : it->second;
  if (auto ok = check_identifier(id, "path.id"); !ok) return error_for(ok.error(), "path.id");
  auto a = snapshot.catalog->accelerator(id);
  if (!a) return error_for(a.error(), "path.id");
  return json_response(accelerator_json(**a, kApiCatalogJson));
}

ApiResponse ComputeApi::list_models(const ApiRequest& request) {
  return cached("models", request, [](const nlohmann::json&, const Catalog& c, bool&) {
    nlohmann::json arr = nlohmann::json::array();
    for (const auto& m : c.models()) arr.push_back(model_json(m));
    return json_response(std::move(arr));
  });
}

ApiResponse ComputeApi::estimate_train(const ApiRequest& request) {
  return cached("estimate/train", request,
                [](const nlohmann::json& body, const Catalog& c, bool& cacheable) -> ApiResponse {
                  auto r = FieldReader::object(body, "body");
                  if (!r) return error_for(r.error());
                  std::string accel;
                  int devices = 0;
                  TrainRequest t;
                  auto decode = [&]() -> Result<void> {
                    SUANLI_TRY(read(*r, target_fields(), "accelerator", accel));
                    SUANLI_TRY(read(*r, target_fields(), "devices", devices));
                    SUANLI_TRY(read_train_workload(*r, t));
                    SUANLI_TRY(read_train_parallelism(*r, t));
                    return r->finish();
                  };
                  if (auto ok = decode(); !ok) {
                    cacheable = false;
                    return error_for(ok.error());
                  }
                  if (auto e = check_ids(c, accel, t.model, t.stack)) return *e;
                  nlohmann::json unfit;
                  auto j = estimate_train_json(c, accel, devices, t, &unfit);
                  if (!j) {
                    ApiResponse e = error_for(j.error());
                    if (!unfit.is_null()) e.body["estimate"] = std::move(unfit);
                    return e;
                  }
                  return json_response(std::move(*j));
                });
}

ApiResponse ComputeApi::estimate_infer(const ApiRequest& request) {
  return cached("estimate/infer", request,
                [](const nlohmann::json& body, const Catalog& c, bool& cacheable) -> ApiResponse {
                  auto r = FieldReader::object(body, "body");
                  if (!r) return error_for(r.error());
                  std::string accel;
                  int devices = 0;
                  InferRequest q;
                  auto decode = [&]() -> Result<void> {
                    SUANLI_TRY(read(*r, target_fields(), "accelerator", accel));
                    SUANLI_TRY(read(*r, target_fields(), "devices", devices));
                    SUANLI_TRY(read_infer_workload(*r, q));
                    SUANLI_TRY(read_fields(*r, infer_layout_fields(), q));
                    return r->finish();
                  };
                  if (auto ok = decode(); !ok) {
                    cacheable = false;
                    return error_for(ok.error());
                  }
                  if (auto e = check_ids(c, accel, q.model, {})) return *e;
                  auto j = estimate_infer_json(c, accel, devices, q);
                  if (!j) return error_for(j.error());
                  return json_response(std::move(*j));
                });
}

ApiResponse ComputeApi::compare(const ApiRequest& request) {
  return cached(
      "compare", request,
      [](const nlohmann::json& body, const Catalog& c, bool& cacheable) -> ApiResponse {
        auto r = FieldReader::object(body, "body");
        if (!r) return error_for(r.error());
        std::string kind;
        std::vector<std::string> accels;
        CompareSizing sizing;
        TrainRequest t;
        InferRequest q;
        auto decode = [&]() -> Result<void> {
          const auto& f = compare_fields();
          SUANLI_TRY(read(*r, f, "kind", kind));
          SUANLI_ASSIGN(auto ids, r->opt_string_array("accelerators"));
          if (!ids || ids->empty() || ids->size() > 64) {
            return std::unexpected(
                bad_field(r->field("accelerators"), "expected 1 to 64 accelerator IDs"));
          }
          for (std::size_t i = 0; i < ids->size(); ++i) {
            SUANLI_TRY(check_identifier((*ids)[i], fmt::format("body.accelerators[{}]", i)));
          }
          accels = std::move(*ids);
          SUANLI_TRY(read(*r, f, "devices", sizing.devices));
          SUANLI_TRY(read(*r, f, "budget_usd", sizing.budget_usd));
          if (sizing.devices.has_value() == sizing.budget_usd.has_value()) {
            return std::unexpected(
                bad_field(r->field("devices"), "give devices or budget_usd (exactly one)"));
          }
          if (kind == "train") {
            SUANLI_TRY(read_train_workload(*r, t));
          } else {
            SUANLI_TRY(read_infer_workload(*r, q));
          }
          return r->finish();
        };
        if (auto ok = decode(); !ok) {
          cacheable = false;
          return error_for(ok.error());
        }
        for (std::size_t i = 0; i < accels.size(); ++i) {
          if (auto a = c.accelerator(accels[i]); !a)
            return error_for(a.error(), fmt::format("body.accelerators[{}]", i));
        }
        if (auto e = check_ids(c, {}, kind == "train" ? t.model : q.model, t.stack)) return *e;
        auto j = kind == "train" ? compare_train_request_json(c, t, accels, sizing)
                                 : compare_infer_request_json(c, q, accels, sizing);
        if (!j) return error_for(j.error());
        return json_response(std::move(*j));
      });
}

ApiResponse ComputeApi::classify(const ApiRequest& request) {
  return cached(
      "classify", request,
      [](const nlohmann::json& body, const Catalog& c, bool& cacheable) -> ApiResponse {
        auto r = FieldReader::object(body, "body");
        if (!r) return error_for(r.error());
        std::optional<std::vector<std::string>> ids;
        bool all = false;
        std::optional<ChipFigures> chip;
        auto decode = [&]() -> Result<void> {
          SUANLI_ASSIGN(ids, r->opt_string_array("accelerators"));
          SUANLI_TRY(read(*r, classify_fields(), "all", all));
          const auto chip_json = r->opt_value("chip");
          SUANLI_TRY(r->finish());
          const int given = (ids ? 1 : 0) + (all ? 1 : 0) + (chip_json ? 1 : 0);
          if (given != 1) {
            return std::unexpected(bad_field(
                "body", "give exactly one of accelerators (IDs), all (true) or chip (figures)"));
          }
          if (ids) {
            if (ids->empty() || ids->size() > 1000) {
              return std::unexpected(
                  bad_field("body.accelerators", "expected 1 to 1000 accelerator IDs"));
            }
            for (std::size_t i = 0; i < ids->size(); ++i) {
              SUANLI_TRY(check_identifier((*ids)[i], fmt::format("body.accelerators[{}]", i)));
            }
          }
          if (chip_json) {
            SUANLI_ASSIGN(FieldReader cr, FieldReader::object(*chip_json, "body.chip"));
            const auto& f = chip_fields();
            ChipFigures fig;
            SUANLI_TRY(read(cr, f, "id", fig.id));
            SUANLI_TRY(read(cr, f, "name", fig.name));
            SUANLI_TRY(read(cr, f, "origin", fig.origin));
            SUANLI_TRY(read(cr, f, "datacenter", fig.datacenter));
            SUANLI_TRY(read(cr, f, "die_area_mm2", fig.die_area_mm2));
            SUANLI_TRY(read(cr, f, "memory_bw_gbps", fig.memory_bw_gbps));
            SUANLI_TRY(read(cr, f, "scaleup_bidir_gbps", fig.scaleup_bidir_gbps));
            std::string conf;
            SUANLI_TRY(read(cr, f, "confidence", conf));
            if (!conf.empty()) fig.confidence = *parse_confidence(conf);
            SUANLI_TRY(read(cr, f, "source", fig.source));
            const auto rates = cr.opt_value("dense_tflops");
            SUANLI_TRY(cr.finish());
            if (!rates) return std::unexpected(bad_field("body.chip.dense_tflops", "required"));
            SUANLI_ASSIGN(FieldReader rr, FieldReader::object(*rates, "body.chip.dense_tflops"));
            for (auto p : kAllPrecisions) {
              const std::string key(precision_name(p));
              SUANLI_ASSIGN(auto v, rr.opt_number(key));
              if (!v) continue;
              if (!std::isfinite(*v) || *v <= 0 || *v > 1e9) {
                return std::unexpected(bad_field(
                    rr.field(key), fmt::format("expected a positive number, got {}", *v)));
              }
              fig.dense_tflops[p] = *v;
            }
            SUANLI_TRY(rr.finish());
            chip = std::move(fig);
          }
          return {};
        };
        if (auto ok = decode(); !ok) {
          cacheable = false;
          return error_for(ok.error());
        }
        std::vector<Classification> results;
        if (chip) {
          results.push_back(suanli::classify(make_accelerator(*chip)));
        } else if (all) {
          for (const auto& a : c.accelerators()) results.push_back(suanli::classify(a));
        } else {
          std::vector<std::string> seen;
          for (std::size_t i = 0; i < ids->size(); ++i) {
            auto a = c.accelerator((*ids)[i]);
            if (!a) return error_for(a.error(), fmt::format("body.accelerators[{}]", i));
            if (std::find(seen.begin(), seen.end(), (*a)->id) != seen.end()) continue;
            seen.push_back((*a)->id);
            results.push_back(suanli::classify(**a));
          }
        }
        nlohmann::json arr = nlohmann::json::array();
        for (const auto& x : results) {
          // The CLI's ordered object, as a plain JSON object (keys sorted).
          arr.push_back(nlohmann::json::parse(classification_json(x).dump()));
        }
        return json_response(std::move(arr));
      });
}

// ---------------------------------------------------------------------------
// Catalog overrides

namespace {

// An origin as the rules compare it: two ASCII letters, upper case ("cn"
// becomes "CN"); anything else ("ＣＮ", "China", "C N") is refused, since
// a sensitivity-origin rule or the domestic share would silently not match.
Result<std::string> normalized_origin(const nlohmann::json& value) {
  const std::string text = value.is_string() ? value.get<std::string>() : std::string();
  const bool ok = text.size() == 2 && std::all_of(text.begin(), text.end(), [](char c) {
                    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
                  });
  if (!ok)
    return fail(ErrorCode::kInvalidArgument,
                fmt::format("body.origin: expected an ISO 3166 alpha-2 country code of two ASCII "
                            "letters, e.g. \"CN\" or \"US\", got {}",
                            value.dump(-1, ' ', true).substr(0, 40)));
  std::string out = text;
  for (char& c : out) c = static_cast<char>(c >= 'a' ? c - 'a' + 'A' : c);
  return out;
}

std::string joined_users(const std::vector<std::string>& users) {
  std::string out;
  for (const auto& u : users) out += (out.empty() ? "" : ", ") + u;
  return out;
}

}  // namespace

// Origin (and so domestic status) decides where sensitive work may run and
// the domestic share: a bundled chip's origin is not editable through an
// override, and a chip the live fleet uses keeps its origin while it does.
std::optional<ApiResponse> ComputeApi::check_origin_change(const std::string& id,
                                                           nlohmann::json& entry) {
  if (!entry.contains("origin")) return std::nullopt;
  auto origin = normalized_origin(entry["origin"]);
  if (!origin) return error_for(origin.error(), "body.origin");
  entry["origin"] = *origin;
  auto bundled = build_catalog({}, std::nullopt);
  if (!bundled) return error_for(bundled.error());
  if (auto a = bundled->accelerator(id); a && (*a)->origin != *origin)
    return error_response(
        403, "forbidden",
        fmt::format("body.origin: {} is a bundled accelerator of origin {}; its origin decides "
                    "where sensitive work may run and the domestic share, so an override cannot "
                    "change it (add your own chip under a new ID instead)",
                    id, (*a)->origin),
        "body.origin");
  const auto current = catalog_.get().catalog->accelerator(id);
  if (current && (*current)->origin != *origin) {
    const auto users = catalog_.references(id);
    if (!users.empty())
      return error_response(
          409, "conflict",
          fmt::format("body.origin: {} is used by the live fleet ({}); its origin cannot change "
                      "while the fleet runs it (PUT a fleet config without it first)",
                      id, joined_users(users)),
          "body.origin");
  }
  return std::nullopt;
}

Result<Catalog> ComputeApi::build_catalog(
    const std::vector<store::CatalogOverrideRecord>& overrides,
    const std::optional<store::CatalogOverrideRecord>& extra) const {
  CatalogOptions options;
  options.directories = catalog_dirs_;
  auto add = [&](const store::CatalogOverrideRecord& o) -> Result<void> {
    nlohmann::json entry;
    try {
      entry = nlohmann::json::parse(o.entry);
    } catch (const nlohmann::json::parse_error& e) {
      return fail(ErrorCode::kParse, fmt::format("stored override '{}': malformed JSON: {}",
                                                 o.accelerator_id, e.what()));
    }
    SUANLI_ASSIGN(CatalogText text,
                  accelerator_entry_text(o.accelerator_id, entry,
                                         fmt::format("override:{}", o.accelerator_id)));
    options.texts.push_back(std::move(text));
    return {};
  };
  for (const auto& o : overrides) {
    if (extra && o.accelerator_id == extra->accelerator_id) continue;
    SUANLI_TRY(add(o));
  }
  if (extra) SUANLI_TRY(add(*extra));
  return Catalog::load(options);
}

Result<void> ComputeApi::reload_catalog() {
  std::lock_guard lock(write_mutex_);
  std::vector<store::CatalogOverrideRecord> overrides;
  if (store_) {
    SUANLI_ASSIGN(overrides, store_->catalog_overrides());
  }
  SUANLI_ASSIGN(Catalog c, build_catalog(overrides, std::nullopt));
  catalog_.set(std::make_shared<const Catalog>(std::move(c)));
  cache_.clear();
  return {};
}

ApiResponse ComputeApi::put_accelerator(const ApiRequest& request) {
  if (!store_) {
    return error_response(Error{ErrorCode::kUnsupported,
                                "catalog overrides need a store (the service runs without one)"});
  }
  const auto it = request.params.find("id");
  const std::string id = it == request.params.end() ? std::string() : it->second;
  if (auto ok = check_identifier(id, "path.id"); !ok) return error_for(ok.error(), "path.id");
  auto body = parse_json_object(request.body);
  if (!body) return error_for(body.error(), "body");
  // Converted once here so JSON that TOML cannot hold is refused before
  // anything else (the message names the field).
  if (auto text = accelerator_entry_text(id, *body, "body"); !text) return error_for(text.error());
  nlohmann::json entry = *body;
  entry["id"] = id;
  std::lock_guard lock(write_mutex_);
  if (auto refused = check_origin_change(id, entry)) return *refused;
  store::CatalogOverrideRecord record{id, entry.dump(), request.principal.token_id, now_iso8601()};

  auto stored = store_->catalog_overrides();
  if (!stored) return error_for(stored.error());
  auto merged = build_catalog(*stored, record);
  if (!merged) return error_for(merged.error(), loader_field(merged.error(), id));
  auto accel = merged->accelerator(id);
  if (!accel) return error_for(accel.error(), "path.id");
  nlohmann::json out = accelerator_json(**accel, kApiCatalogJson);
  if (auto ok = store_->put_catalog_override(record); !ok) return error_for(ok.error());
  catalog_.set(std::make_shared<const Catalog>(std::move(*merged)));
  cache_.clear();
  return json_response(std::move(out));
}

ApiResponse ComputeApi::delete_accelerator(const ApiRequest& request) {
  if (!store_) {
    return error_response(Error{ErrorCode::kUnsupported,
                                "catalog overrides need a store (the service runs without one)"});
  }
  const auto it = request.params.find("id");
  const std::string id = it == request.params.end() ? std::string() : it->second;
  if (auto ok = check_identifier(id, "path.id"); !ok) return error_for(ok.error(), "path.id");
  std::lock_guard lock(write_mutex_);
  auto stored = store_->catalog_overrides();
  if (!stored) return error_for(stored.error());
  std::vector<store::CatalogOverrideRecord> rest;
  bool found = false;
  for (auto& o : *stored) {
    if (o.accelerator_id == id) {
      found = true;
    } else {
      rest.push_back(std::move(o));
    }
  }
  if (!found) {
    return error_response(
        Error{ErrorCode::kNotFound, fmt::format("no stored override for accelerator '{}'", id)},
        "path.id");
  }
  auto merged = build_catalog(rest, std::nullopt);
  if (!merged) return error_for(merged.error());
  // A user-added chip the live fleet runs cannot go: its config would no
  // longer load (the fleet's replay needs every type it declares).
  if (!merged->accelerator(id)) {
    if (const auto users = catalog_.references(id); !users.empty())
      return error_response(
          409, "conflict",
          fmt::format("accelerator {} is used by the live fleet ({}); PUT a fleet config "
                      "without it before deleting it",
                      id, joined_users(users)),
          "path.id");
  }
  if (auto ok = store_->delete_catalog_override(id); !ok) return error_for(ok.error());
  nlohmann::json out{{"deleted", id}, {"accelerator", nullptr}};
  if (auto a = merged->accelerator(id)) out["accelerator"] = accelerator_json(**a, kApiCatalogJson);
  catalog_.set(std::make_shared<const Catalog>(std::move(*merged)));
  cache_.clear();
  return json_response(std::move(out));
}

ApiResponse ComputeApi::list_overrides(const ApiRequest&) {
  if (!store_) return json_response(nlohmann::json::array());
  auto stored = store_->catalog_overrides();
  if (!stored) return error_for(stored.error());
  nlohmann::json arr = nlohmann::json::array();
  for (const auto& o : *stored) {
    nlohmann::json entry = nlohmann::json::parse(o.entry, nullptr, false);
    arr.push_back({{"accelerator_id", o.accelerator_id},
                   {"entry", entry.is_discarded() ? nlohmann::json(o.entry) : entry},
                   {"token_id", o.token_id},
                   {"updated_at", o.updated_at}});
  }
  return json_response(std::move(arr));
}

// ---------------------------------------------------------------------------
// Schemas

namespace {

nlohmann::json field_schema(const FieldSpec& f) {
  nlohmann::json s;
  switch (f.type) {
    case FieldType::kInteger:
      s = {{"type", "integer"},
           {"minimum", static_cast<long long>(f.min)},
           {"maximum", static_cast<long long>(f.max)}};
      break;
    case FieldType::kNumber:
      s = {{"type", "number"}, {"minimum", f.min}, {"maximum", f.max}};
      if (f.exclusive_min) s["exclusiveMinimum"] = true;
      break;
    case FieldType::kString:
      s = {{"type", "string"}};
      break;
    case FieldType::kIdentifier:
      s = {{"type", "string"}, {"pattern", "^[A-Za-z0-9][A-Za-z0-9._:/-]{0,127}$"}};
      break;
    case FieldType::kBoolean:
      s = {{"type", "boolean"}};
      break;
    case FieldType::kStringArray:
      s = {{"type", "array"},
           {"items", {{"type", "string"}}},
           {"minItems", static_cast<long long>(f.min)},
           {"maxItems", static_cast<long long>(f.max)}};
      break;
    case FieldType::kObject:
      s = {{"type", "object"}};
      break;
  }
  if (!f.values.empty()) {
    nlohmann::json e = nlohmann::json::array();
    for (auto v : f.values) e.push_back(std::string(v));
    s["enum"] = e;
  }
  s["description"] = std::string(f.description);
  return s;
}

nlohmann::json object_schema(const std::vector<std::vector<FieldSpec>>& groups,
                             std::string_view description) {
  nlohmann::json props = nlohmann::json::object();
  nlohmann::json required = nlohmann::json::array();
  for (const auto& g : groups) {
    for (const auto& f : g) {
      props[std::string(f.name)] = field_schema(f);
      if (f.required) required.push_back(std::string(f.name));
    }
  }
  nlohmann::json s{{"type", "object"},
                   {"additionalProperties", false},
                   {"description", std::string(description)},
                   {"properties", props}};
  if (!required.empty()) s["required"] = required;
  return s;
}

nlohmann::json figure_schema() {
  return {
      {"oneOf",
       {{{"type", "number"},
         {"exclusiveMinimum", true},
         {"minimum", 0},
         {"description", "bare value: takes the entry's source and confidence"}},
        {{"type", "object"},
         {"additionalProperties", false},
         {"required", {"value"}},
         {"properties",
          {{"value", {{"type", "number"}}},
           {"low", {{"type", "number"}}},
           {"high", {{"type", "number"}}},
           {"source",
            {{"type", "string"}, {"description", "a key of `sources` or a free-text citation"}}},
           {"confidence",
            {{"type", "string"}, {"enum", {"verified", "secondary", "estimate", "placeholder"}}}},
           {"note", {{"type", "string"}}}}}}}}};
}

nlohmann::json accelerator_entry_schema() {
  nlohmann::json figures = nlohmann::json::object();
  for (auto k :
       {"memory_gb", "memory_bw_gbps", "scaleup_bidir_gbps", "scaleup_domain", "scaleout_gbps",
        "die_link_gbps", "tdp_w", "die_area_mm2", "price_usd", "rental_usd_per_hour"}) {
    figures[k] = figure_schema();
  }
  nlohmann::json rates = nlohmann::json::object();
  for (auto p : kAllPrecisions) rates[std::string(precision_name(p))] = figure_schema();
  nlohmann::json props{
      {"id", {{"type", "string"}, {"description", "optional; must equal the path's ID"}}},
      {"name", {{"type", "string"}}},
      {"vendor", {{"type", "string"}}},
      {"origin", {{"type", "string"}, {"description", "ISO 3166 alpha-2 of the designer"}}},
      {"released", {{"type", "string"}}},
      {"base",
       {{"type", "string"},
        {"description",
         "a new chip only: the catalog ID it is a variant of; it starts as a copy "
         "of that chip and its own keys replace the copy's"}}},
      {"datacenter", {{"type", "boolean"}}},
      {"efficiency_profile", {{"type", "string"}}},
      {"node_devices", {{"type", "integer"}, {"minimum", 1}}},
      {"dies",
       {{"type", "integer"},
        {"minimum", 1},
        {"maximum", 8},
        {"description", "compute dies per package, each run as its own device (910C: 2)"}}},
      {"memory_type", {{"type", "string"}}},
      {"scaleup_link", {{"type", "string"}}},
      {"scaleup_topology",
       {{"type", "string"},
        {"enum", {"switch", "full-mesh"}},
        {"description",
         "switch (default): any group gets full bandwidth; full-mesh: a group of k of "
         "the domain's D chips gets k-1 of the D-1 links"}}},
      {"notes", {{"type", "string"}}},
      {"source",
       {{"type", "string"}, {"description", "default source of the entry's bare figures"}}},
      {"confidence",
       {{"type", "string"}, {"enum", {"verified", "secondary", "estimate", "placeholder"}}}},
      {"dense_tflops",
       {{"type", "object"}, {"additionalProperties", false}, {"properties", rates}}},
      {"figures", {{"type", "object"}, {"additionalProperties", false}, {"properties", figures}}},
      {"availability",
       {{"type", "object"},
        {"additionalProperties", false},
        {"properties",
         {{"china",
           {{"type", "string"},
            {"enum",
             {"domestic", "available", "licence-granted", "case-by-case", "presumption-of-denial",
              "import-blocked", "discouraged", "not-offered"}}}},
          {"note", {{"type", "string"}}},
          {"source", {{"type", "string"}}},
          {"confirmed",
           {{"type", "string"},
            {"pattern", "^[0-9]{4}-[0-9]{2}(-[0-9]{2})?$"},
            {"description",
             "when a source last confirmed the status (YYYY-MM or YYYY-MM-DD)"}}}}}}},
      {"sources",
       {{"type", "object"},
        {"additionalProperties", {{"type", "string"}}},
        {"description", "source key -> citation text (the file's [sources] table)"}}},
  };
  return {{"type", "object"},
          {"additionalProperties", false},
          {"description",
           "One [[accelerator]] entry of the catalog format (docs/catalog-format.md) as JSON, "
           "plus `sources`. It is merged key by key over the bundled chip of the same ID (or "
           "adds a chip: then name, vendor, origin, a dense rate, memory_gb and memory_bw_gbps "
           "are required). Every figure needs a source and a confidence, its own or the "
           "entry's; the whole catalog is re-validated and nothing is stored on an error."},
          {"properties", props},
          {"example",
           {{"figures",
             {{"rental_usd_per_hour",
               {{"value", 2.6}, {"source", "quote-2026q3"}, {"confidence", "verified"}}}}},
            {"sources", {{"quote-2026q3", "reseller quote"}}}}}};
}

}  // namespace

nlohmann::json ComputeApi::request_schema(Method method, std::string_view pattern) {
  if (method == Method::kPost && pattern == "/api/v1/estimate/train") {
    return object_schema({target_fields(), field_specs(train_workload_fields()),
                          field_specs(train_parallelism_fields()), field_specs(cost_fields())},
                         "`suanli estimate train` flags in snake_case: a catalog model (or a "
                         "custom shape) on `devices` accelerators; parallelism fields left out "
                         "are searched");
  }
  if (method == Method::kPost && pattern == "/api/v1/estimate/infer") {
    return object_schema({target_fields(), field_specs(infer_workload_fields()),
                          field_specs(infer_layout_fields()), field_specs(cost_fields())},
                         "`suanli estimate infer` flags in snake_case (batch and the SLOs "
                         "exclude each other)");
  }
  if (method == Method::kPost && pattern == "/api/v1/compare") {
    nlohmann::json s =
        object_schema({compare_fields(), field_specs(train_workload_fields()),
                       field_specs(infer_workload_fields()), field_specs(cost_fields())},
                      "`suanli compare train|infer`: kind, accelerators, devices or "
                      "budget_usd, and the workload fields of that kind (train: model or "
                      "shape, seq, global_batch, precision, tokens, stack, …; infer: model, "
                      "input_len, output_len, precision, …)");
    // The workload fields required depend on kind (infer: model, input_len, output_len).
    s["required"] = {"kind", "accelerators"};
    return s;
  }
  if (method == Method::kPost && pattern == "/api/v1/classify") {
    nlohmann::json s =
        object_schema({classify_fields()}, "Exactly one of accelerators, all or chip");
    s["properties"]["chip"] = object_schema({chip_fields()}, "A chip not in the catalog");
    s["properties"]["chip"]["properties"]["dense_tflops"]["additionalProperties"] = false;
    nlohmann::json rates = nlohmann::json::object();
    for (auto p : kAllPrecisions)
      rates[std::string(precision_name(p))] = {
          {"type", "number"}, {"exclusiveMinimum", true}, {"minimum", 0}};
    s["properties"]["chip"]["properties"]["dense_tflops"]["properties"] = rates;
    return s;
  }
  if (method == Method::kPut && pattern == "/api/v1/catalog/accelerators/{id}") {
    return accelerator_entry_schema();
  }
  return nullptr;
}

}  // namespace suanli::service

#include "catalog/catalog_json.h"

#include <fmt/format.h>

#include <climits>
#include <cstdint>
#include <sstream>
#include <string>

#include <toml++/toml.h>

namespace suanli {

nlohmann::json figure_json(const std::optional<Figure>& f, const CatalogJsonOptions& options) {
  if (!f) return nullptr;
  nlohmann::json j{{"value", f->value},
                   {"source", f->source},
                   {"confidence", std::string(confidence_name(f->confidence))}};
  if (f->low) j["low"] = *f->low;
  if (f->high) j["high"] = *f->high;
  if (!f->note.empty()) j["note"] = f->note;
  if (options.mark_unverified) j["unverified"] = f->unverified();
  return j;
}

nlohmann::json accelerator_json(const Accelerator& a, const CatalogJsonOptions& options) {
  nlohmann::json rates = nlohmann::json::object();
  for (auto p : kAllPrecisions) {
    if (a.supports(p)) rates[std::string(precision_name(p))] = figure_json(a.rate(p), options);
  }
  nlohmann::json j{{"id", a.id},
                   {"base", a.base},
                   {"name", a.name},
                   {"vendor", a.vendor},
                   {"origin", a.origin},
                   {"released", a.released},
                   {"datacenter", a.datacenter},
                   {"efficiency_profile", a.efficiency_profile},
                   {"node_devices", a.node_devices},
                   {"dies", a.dies},
                   {"memory_type", a.memory_type},
                   {"scaleup_link", a.scaleup_link},
                   {"scaleup_topology", a.scaleup_full_mesh ? "full-mesh" : "switch"},
                   {"dense_tflops", rates},
                   {"memory_gb", figure_json(a.memory_gb, options)},
                   {"memory_bw_gbps", figure_json(a.memory_bw_gbps, options)},
                   {"scaleup_bidir_gbps", figure_json(a.scaleup_bidir_gbps, options)},
                   {"scaleup_domain", figure_json(a.scaleup_domain, options)},
                   {"scaleout_gbps", figure_json(a.scaleout_gbps, options)},
                   {"die_link_gbps", figure_json(a.die_link_gbps, options)},
                   {"tdp_w", figure_json(a.tdp_w, options)},
                   {"die_area_mm2", figure_json(a.die_area_mm2, options)},
                   {"price_usd", figure_json(a.price_usd, options)},
                   {"rental_usd_per_hour", figure_json(a.rental_usd_per_hour, options)},
                   {"china_status", std::string(china_status_name(a.china_status))},
                   {"china_status_note", a.china_status_note},
                   {"china_status_source", a.china_status_source},
                   {"china_status_confirmed", a.china_status_confirmed},
                   {"defined_at", a.defined_at},
                   {"overridden_at", a.overridden_at},
                   {"notes", a.notes}};
  if (!a.check_notes.empty()) j["check_notes"] = a.check_notes;
  return j;
}

nlohmann::json model_json(const ModelArch& m) {
  const auto p = count_params(m);
  return {{"id", m.id},
          {"name", m.name},
          {"layers", m.layers},
          {"hidden", m.hidden},
          {"heads", m.heads},
          {"kv_heads", m.kv_heads},
          {"ffn", m.ffn},
          {"vocab", m.vocab},
          {"moe", m.is_moe()},
          {"mla", m.mla.has_value()},
          {"params_b", p.total / 1e9},
          {"active_params_b", p.active / 1e9},
          {"source", m.source}};
}

namespace {

Result<toml::table> to_table(const nlohmann::json& j, const std::string& where);
Result<toml::array> to_array(const nlohmann::json& j, const std::string& where);

// Calls put() with the TOML value for `v` (toml::table, toml::array,
// std::string, bool, std::int64_t or double).
template <class Put>
Result<void> convert(const nlohmann::json& v, const std::string& where, Put&& put) {
  if (v.is_object()) {
    SUANLI_ASSIGN(toml::table t, to_table(v, where));
    put(std::move(t));
  } else if (v.is_array()) {
    SUANLI_ASSIGN(toml::array a, to_array(v, where));
    put(std::move(a));
  } else if (v.is_string()) {
    put(v.get<std::string>());
  } else if (v.is_boolean()) {
    put(v.get<bool>());
  } else if (v.is_number_integer() || v.is_number_unsigned()) {
    if (v.is_number_unsigned() && v.get<std::uint64_t>() > static_cast<std::uint64_t>(INT64_MAX)) {
      return fail(ErrorCode::kInvalidArgument, fmt::format("{}: integer out of range", where));
    }
    put(v.get<std::int64_t>());
  } else if (v.is_number_float()) {
    put(v.get<double>());
  } else {
    return fail(ErrorCode::kInvalidArgument,
                fmt::format("{}: null is not allowed (leave the key out)", where));
  }
  return {};
}

Result<toml::array> to_array(const nlohmann::json& j, const std::string& where) {
  toml::array arr;
  for (std::size_t i = 0; i < j.size(); ++i) {
    SUANLI_TRY(convert(j[i], fmt::format("{}[{}]", where, i),
                       [&](auto&& x) { arr.push_back(std::forward<decltype(x)>(x)); }));
  }
  if (!arr.empty() && !arr.is_homogeneous()) {
    // TOML 1.0 allows mixed arrays, but the catalog format has none.
    return fail(ErrorCode::kInvalidArgument,
                fmt::format("{}: array elements must all have the same type", where));
  }
  return arr;
}

Result<toml::table> to_table(const nlohmann::json& j, const std::string& where) {
  toml::table t;
  for (const auto& [key, v] : j.items()) {
    SUANLI_TRY(convert(v, where + "." + key,
                       [&](auto&& x) { t.insert(key, std::forward<decltype(x)>(x)); }));
  }
  return t;
}

}  // namespace

Result<CatalogText> accelerator_entry_text(std::string_view id, const nlohmann::json& entry,
                                           std::string name) {
  if (!entry.is_object()) {
    return fail(ErrorCode::kInvalidArgument, "body: expected an object (an [[accelerator]] entry)");
  }
  nlohmann::json body = entry;
  if (auto it = body.find("id"); it != body.end()) {
    if (!it->is_string() || it->get<std::string>() != id) {
      return fail(ErrorCode::kInvalidArgument,
                  fmt::format("body.id: must equal the path's ID '{}' (or be left out)", id));
    }
  }
  body["id"] = std::string(id);
  toml::table root;
  if (auto it = body.find("sources"); it != body.end()) {
    if (!it->is_object()) {
      return fail(ErrorCode::kInvalidArgument,
                  "body.sources: expected an object of source key -> citation text");
    }
    for (const auto& [k, v] : it->items()) {
      if (!v.is_string()) {
        return fail(ErrorCode::kInvalidArgument,
                    fmt::format("body.sources.{}: expected a string (the citation)", k));
      }
    }
    SUANLI_ASSIGN(toml::table sources, to_table(*it, "body.sources"));
    root.insert("sources", std::move(sources));
    body.erase("sources");
  }
  SUANLI_ASSIGN(toml::table accel, to_table(body, "body"));
  toml::array entries;
  entries.push_back(std::move(accel));
  root.insert("accelerator", std::move(entries));
  std::ostringstream out;
  out << root;
  return CatalogText{std::move(name), out.str()};
}

}  // namespace suanli

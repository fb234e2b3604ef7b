// A point's result field by key: the member of a JSON object, or a shared
// null when the key is missing or the value is not an object (the sweeps
// read their points back through it).
#pragma once

#include <nlohmann/json.hpp>

namespace suanli {

inline const nlohmann::ordered_json& json_field(const nlohmann::ordered_json& j, const char* key) {
  static const nlohmann::ordered_json null;
  if (!j.is_object()) return null;
  auto it = j.find(key);
  return it == j.end() ? null : *it;
}

}  // namespace suanli

// One request field as every front end sees it: its name (the API's
// snake_case key; the CLI flag is the same in kebab case unless a table says
// otherwise), type, bounds, allowed values and description. The API decoders
// check bounds from it, the OpenAPI schema and `--help` are generated from
// it, so a field is defined once (perf/workload_fields.h holds the workload
// tables, service/compute_api.cpp the API-only ones).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace suanli {

enum class FieldType { kInteger, kNumber, kString, kBoolean, kIdentifier, kStringArray, kObject };

struct FieldSpec {
  std::string_view name;
  FieldType type;
  std::string_view description;
  double min = 0;  // numbers: inclusive bounds (min exclusive with exclusive_min); strings: ignored
  double max = 0;
  std::vector<std::string_view> values = {};  // allowed strings (empty: any)
  bool required = false;
  bool exclusive_min = false;
};

// The most devices a request may name (a device count or a parallel size).
inline constexpr double kMaxRequestDevices = 1'000'000;

// A field as the API and the files spell it: its name.
inline std::string field_key(std::string_view name) { return std::string(name); }

// "--global-batch" for "global_batch".
inline std::string kebab_flag(std::string_view name) {
  std::string out = "--";
  for (char c : name) out += c == '_' ? '-' : c;
  return out;
}

}  // namespace suanli

// Reading a field of a FieldSpec (util/field_spec.h) from any source: one
// set of checks (type, bounds, allowed values, required) for the HTTP API's
// JSON bodies (service::FieldReader) and the TOML files that describe a
// workload (validation rows: TomlFieldReader below), so a field's rules are
// written once, beside its name in the tables.
//
// A Reader offers opt_int, opt_number, opt_string, opt_identifier and
// opt_bool (Result<std::optional<...>> of a key) and
// field_error(key, message) (the Error naming that key in its source).
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>

#include <fmt/format.h>

#include "util/error.h"
#include "util/field_spec.h"
#include "util/toml_reader.h"

namespace suanli {

inline std::string field_range_text(const FieldSpec& s) {
  return fmt::format("{}{}, {}]", s.exclusive_min ? "(" : "[", s.min, s.max);
}

template <class Reader>
Result<std::optional<long long>> read_spec_int(Reader& r, const FieldSpec& s) {
  SUANLI_ASSIGN(auto v, r.opt_int(s.name));
  if (!v) {
    if (s.required) return std::unexpected(r.field_error(s.name, "required"));
    return std::optional<long long>{};
  }
  if (static_cast<double>(*v) < s.min || static_cast<double>(*v) > s.max) {
    return std::unexpected(r.field_error(
        s.name, fmt::format("expected an integer in {}, got {}", field_range_text(s), *v)));
  }
  return std::optional<long long>(*v);
}

template <class Reader>
Result<std::optional<double>> read_spec_number(Reader& r, const FieldSpec& s) {
  SUANLI_ASSIGN(auto v, r.opt_number(s.name));
  if (!v) {
    if (s.required) return std::unexpected(r.field_error(s.name, "required"));
    return std::optional<double>{};
  }
  const bool low = s.exclusive_min ? !(*v > s.min) : !(*v >= s.min);
  if (!std::isfinite(*v) || low || *v > s.max) {
    return std::unexpected(r.field_error(
        s.name, fmt::format("expected a number in {}, got {}", field_range_text(s), *v)));
  }
  return v;
}

template <class Reader>
Result<std::optional<std::string>> read_spec_string(Reader& r, const FieldSpec& s) {
  std::optional<std::string> v;
  if (s.type == FieldType::kIdentifier) {
    SUANLI_ASSIGN(v, r.opt_identifier(s.name));
  } else {
    SUANLI_ASSIGN(v, r.opt_string(s.name));
  }
  if (!v) {
    if (s.required) return std::unexpected(r.field_error(s.name, "required"));
    return v;
  }
  if (!s.values.empty() && std::find(s.values.begin(), s.values.end(), *v) == s.values.end()) {
    std::string allowed;
    for (auto a : s.values) allowed += (allowed.empty() ? "" : ", ") + std::string(a);
    return std::unexpected(r.field_error(
        s.name, fmt::format("expected one of {}, got {:?}", allowed, v->substr(0, 40))));
  }
  if (v->size() > 4096) return std::unexpected(r.field_error(s.name, "too long"));
  return v;
}

// Reads field `s` into `out`; the member's type picks the reader. Absent:
// `out` unchanged.
template <class Reader, class T>
Result<void> read_spec_value(Reader& r, const FieldSpec& s, T& out) {
  if constexpr (std::is_same_v<T, int> || std::is_same_v<T, std::optional<int>> ||
                std::is_same_v<T, std::optional<long long>>) {
    SUANLI_ASSIGN(auto v, read_spec_int(r, s));
    if (v)
      out = static_cast<
          std::conditional_t<std::is_same_v<T, std::optional<long long>>, long long, int>>(*v);
  } else if constexpr (std::is_same_v<T, double> || std::is_same_v<T, std::optional<double>>) {
    SUANLI_ASSIGN(auto v, read_spec_number(r, s));
    if (v) out = *v;
  } else if constexpr (std::is_same_v<T, bool> || std::is_same_v<T, std::optional<bool>>) {
    SUANLI_ASSIGN(auto v, r.opt_bool(s.name));
    if (v) out = *v;
  } else {
    static_assert(std::is_same_v<T, std::string>);
    SUANLI_ASSIGN(auto v, read_spec_string(r, s));
    if (v) out = *v;
  }
  return {};
}

// A TOML table as a Reader: errors read "file:line: path.key: message".
class TomlFieldReader {
 public:
  explicit TomlFieldReader(const TomlView& view) : view_(view) {}
  Result<std::optional<std::int64_t>> opt_int(std::string_view key) const {
    SUANLI_ASSIGN(auto v, view_.integer(key));
    if (!v) return std::optional<std::int64_t>{};
    return std::optional<std::int64_t>(*v);
  }
  Result<std::optional<double>> opt_number(std::string_view key) const { return view_.number(key); }
  Result<std::optional<std::string>> opt_string(std::string_view key) const {
    return view_.string(key);
  }
  Result<std::optional<std::string>> opt_identifier(std::string_view key) const {
    return view_.string(key);  // resolved against the catalog by the caller
  }
  Result<std::optional<bool>> opt_bool(std::string_view key) const { return view_.boolean(key); }
  Error field_error(std::string_view key, std::string_view message) const {
    return view_.error(key, message);
  }

 private:
  const TomlView& view_;
};

}  // namespace suanli

// A typed document's JSON form, defined once per struct: a field table
// (JsonShape<T>::fields, a tuple of json_field(...) entries) drives both
// json_encode and json_decode, so what a writer puts in and what a reader
// takes out cannot drift apart (the report document, report/report_document.h,
// is the user). Decoding is strict on what it reads and silent on what it
// does not: a missing required key or a value of the wrong type is an error
// naming its path ("plan.purchases[2].year: expected an integer"); keys the
// table does not list are ignored (a newer writer's additions). Encoding writes
// every required field, an optional one only when it holds a value, and a
// nullable one always (null when empty). A double field reads an integer too
// but writes a float, an integer field reads integers only; so
// encode(decode(doc)) reproduces a document byte for byte exactly when the
// tables list every key with the type its writer uses (the round-trip tests
// check that on real documents).
#pragma once

#include <cmath>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "util/error.h"

namespace suanli {

// How a field appears in the document.
enum class JsonPresence {
  kRequired,  // always written; missing is an error
  kOptional,  // std::optional: written only when it holds a value; missing reads as empty
  kNullable,  // std::optional: always written, null when empty; missing or null reads as empty
};

template <class S, class M>
struct JsonField {
  std::string_view key;
  M S::*member;
  JsonPresence presence;
};

template <class S, class M>
constexpr JsonField<S, M> json_field(std::string_view key, M S::*member,
                                     JsonPresence presence = JsonPresence::kRequired) {
  return {key, member, presence};
}

// Specialise with `static constexpr auto fields = std::make_tuple(json_field(...), ...);`
template <class T>
struct JsonShape;

namespace json_codec_detail {

template <class T>
struct IsVector : std::false_type {};
template <class T>
struct IsVector<std::vector<T>> : std::true_type {};
template <class T>
struct IsMap : std::false_type {};
template <class T>
struct IsMap<std::map<std::string, T>> : std::true_type {};
template <class T>
struct IsOptional : std::false_type {};
template <class T>
struct IsOptional<std::optional<T>> : std::true_type {};
template <class T, class = void>
struct HasShape : std::false_type {};
template <class T>
struct HasShape<T, std::void_t<decltype(JsonShape<T>::fields)>> : std::true_type {};

inline std::string found(const nlohmann::json& v) {
  if (v.is_null()) return "null";
  if (v.is_object()) return "an object";
  if (v.is_array()) return "an array";
  if (v.is_number_float() && !std::isfinite(v.get<double>())) return "a non-finite number";
  std::string text = v.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  if (text.size() > 40) text = text.substr(0, 37) + "...";
  return text;
}

inline std::unexpected<Error> mismatch(const std::string& path, std::string_view expected,
                                       const nlohmann::json& v) {
  return fail(ErrorCode::kParse, fmt::format("{}: expected {}, found {}",
                                             path.empty() ? "document" : path, expected, found(v)));
}

inline std::string key_path(const std::string& path, std::string_view key) {
  return path.empty() ? std::string(key) : path + "." + std::string(key);
}

}  // namespace json_codec_detail

template <class T>
nlohmann::json json_encode(const T& value);
template <class T>
Result<void> json_decode(const nlohmann::json& v, T& out, const std::string& path = {});

template <class T>
nlohmann::json json_encode(const T& value) {
  using namespace json_codec_detail;
  if constexpr (std::is_same_v<T, bool> || std::is_same_v<T, std::string> ||
                std::is_same_v<T, double> || std::is_same_v<T, std::int64_t>) {
    return nlohmann::json(value);
  } else if constexpr (IsVector<T>::value) {
    nlohmann::json a = nlohmann::json::array();
    for (const auto& e : value) a.push_back(json_encode(e));
    return a;
  } else if constexpr (IsMap<T>::value) {
    nlohmann::json o = nlohmann::json::object();
    for (const auto& [k, e] : value) o[k] = json_encode(e);
    return o;
  } else {
    static_assert(HasShape<T>::value, "json_encode: no JsonShape for this type");
    nlohmann::json o = nlohmann::json::object();
    std::apply(
        [&](const auto&... f) {
          auto put = [&](const auto& field) {
            const auto& m = value.*(field.member);
            using M = std::decay_t<decltype(m)>;
            if constexpr (IsOptional<M>::value) {
              if (m) o[std::string(field.key)] = json_encode(*m);
              else if (field.presence == JsonPresence::kNullable) o[std::string(field.key)] = nullptr;
            } else {
              o[std::string(field.key)] = json_encode(m);
            }
          };
          (put(f), ...);
        },
        JsonShape<T>::fields);
    return o;
  }
}

template <class T>
Result<void> json_decode(const nlohmann::json& v, T& out, const std::string& path) {
  using namespace json_codec_detail;
  if constexpr (std::is_same_v<T, bool>) {
    if (!v.is_boolean()) return mismatch(path, "true or false", v);
    out = v.get<bool>();
  } else if constexpr (std::is_same_v<T, std::string>) {
    if (!v.is_string()) return mismatch(path, "a string", v);
    out = v.get<std::string>();
  } else if constexpr (std::is_same_v<T, std::int64_t>) {
    if (v.is_number_unsigned()) {
      if (v.get<std::uint64_t>() > static_cast<std::uint64_t>(INT64_MAX))
        return mismatch(path, "an integer", v);
      out = static_cast<std::int64_t>(v.get<std::uint64_t>());
    } else if (v.is_number_integer()) {
      out = v.get<std::int64_t>();
    } else {
      return mismatch(path, "an integer", v);
    }
  } else if constexpr (std::is_same_v<T, double>) {
    if (!v.is_number()) return mismatch(path, "a number", v);
    out = v.get<double>();
    if (!std::isfinite(out)) return mismatch(path, "a finite number", v);
  } else if constexpr (IsVector<T>::value) {
    if (!v.is_array()) return mismatch(path, "an array", v);
    out.clear();
    out.resize(v.size());
    for (std::size_t i = 0; i < v.size(); ++i)
      if (auto r = json_decode(v[i], out[i], fmt::format("{}[{}]", path, i)); !r) return r;
  } else if constexpr (IsMap<T>::value) {
    if (!v.is_object()) return mismatch(path, "an object", v);
    out.clear();
    for (auto it = v.begin(); it != v.end(); ++it)
      if (auto r = json_decode(*it, out[it.key()], key_path(path, it.key())); !r) return r;
  } else {
    static_assert(HasShape<T>::value, "json_decode: no JsonShape for this type");
    if (!v.is_object()) return mismatch(path, "an object", v);
    Result<void> status;
    std::apply(
        [&](const auto&... f) {
          auto take = [&](const auto& field) {
            if (!status) return;
            auto& m = out.*(field.member);
            using M = std::decay_t<decltype(m)>;
            const std::string where = key_path(path, field.key);
            const auto it = v.find(field.key);
            if constexpr (IsOptional<M>::value) {
              m.reset();
              if (it == v.end() || (it->is_null() && field.presence == JsonPresence::kNullable))
                return;
              status = json_decode(*it, m.emplace(), where);
            } else {
              if (it == v.end()) {
                status = fail(ErrorCode::kParse, fmt::format("{}: missing", where));
                return;
              }
              status = json_decode(*it, m, where);
            }
          };
          (take(f), ...);
        },
        JsonShape<T>::fields);
    return status;
  }
  return {};
}

}  // namespace suanli

// Name tables for enums: {value, "name"} arrays shared by the parsers and
// printers (one place instead of one per enum), and the one message for an
// unknown name: what was expected, and the closest name when a typo is
// likely ("did you mean").
#pragma once

#include <array>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "util/error.h"

namespace suanli {

template <class E, std::size_t N>
using EnumNames = std::array<std::pair<E, std::string_view>, N>;

template <class E, std::size_t N>
std::string_view enum_name(const EnumNames<E, N>& names, E value) {
  for (const auto& [v, name] : names)
    if (v == value) return name;
  return "?";
}

template <class E, std::size_t N>
std::optional<E> enum_value(const EnumNames<E, N>& names, std::string_view text) {
  for (const auto& [v, name] : names)
    if (name == text) return v;
  return std::nullopt;
}

// The name closest to `text` when it is within two edits (or differs only
// in case, '_' for '-', or by a prefix of three or more letters); nullopt
// when none is that close.
std::optional<std::string_view> closest_name(std::span<const std::string_view> names,
                                             std::string_view text);

// "unknown WHAT 'TEXT' (expected one of: a, b, c; did you mean 'b'?)".
std::string unknown_name_message(std::span<const std::string_view> names, std::string_view text,
                                 std::string_view what);

template <class E, std::size_t N>
Result<E> parse_enum(const EnumNames<E, N>& names, std::string_view text, std::string_view what) {
  if (auto v = enum_value(names, text)) return *v;
  std::array<std::string_view, N> list{};
  for (std::size_t i = 0; i < N; ++i) list[i] = names[i].second;
  return fail(ErrorCode::kInvalidArgument, unknown_name_message(list, text, what));
}

}  // namespace suanli

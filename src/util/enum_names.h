// Name tables for enums: {value, "name"} arrays shared by the parsers and
// printers of the scheduling core (one place instead of one per enum).
#pragma once

#include <array>
#include <optional>
#include <string_view>
#include <utility>

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

}  // namespace suanli

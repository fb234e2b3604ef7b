#include "util/enum_names.h"

#include <algorithm>
#include <cctype>

#include <fmt/format.h>

namespace suanli {

namespace {

std::string folded(std::string_view s) {
  std::string out;
  for (char c : s) out += c == '_' ? '-' : static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// Levenshtein distance, bounded inputs (names and user text are short).
std::size_t edits(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diag = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diag = up;
    }
  }
  return row[b.size()];
}

}  // namespace

std::optional<std::string_view> closest_name(std::span<const std::string_view> names,
                                             std::string_view text) {
  if (text.empty() || text.size() > 64) return std::nullopt;
  const std::string t = folded(text);
  std::optional<std::string_view> best;
  std::size_t best_d = 3;
  for (std::string_view n : names) {
    const std::string f = folded(n);
    std::size_t d = edits(t, f);
    if (t.size() >= 3 && f.starts_with(t)) d = std::min<std::size_t>(d, 1);
    if (d < best_d) {
      best_d = d;
      best = n;
    }
  }
  return best;
}

std::string unknown_name_message(std::span<const std::string_view> names, std::string_view text,
                                 std::string_view what) {
  std::string list;
  for (std::string_view n : names) list += (list.empty() ? "" : ", ") + std::string(n);
  const auto near = closest_name(names, text);
  return fmt::format("unknown {} '{}' (expected one of: {}{})", what,
                     text.substr(0, 64), list,
                     near ? fmt::format("; did you mean '{}'?", *near) : std::string());
}

}  // namespace suanli

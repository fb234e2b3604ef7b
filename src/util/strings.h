// Small string helpers shared by every module.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace suanli {

// Levenshtein distance, case-insensitive.
int edit_distance(std::string_view a, std::string_view b);

// Up to `limit` candidates closest to `query` (by edit distance, or by
// containing it), best first; empty when nothing is reasonably close.
std::vector<std::string> closest_matches(std::string_view query,
                                         const std::vector<std::string>& candidates,
                                         std::size_t limit = 3);

// "unknown accelerator 'h2000' (did you mean: h200-sxm, h20?)"
std::string unknown_id_message(std::string_view kind, std::string_view query,
                               const std::vector<std::string>& candidates);

std::string join(const std::vector<std::string>& parts, std::string_view sep);
std::vector<std::string> split(std::string_view text, char sep);
std::string to_lower(std::string_view text);
// "65,536": an integer with thousands separators.
std::string thousands(long long n);

// True when `text` is well-formed UTF-8 (no overlong forms, surrogates or
// code points past U+10FFFF).
bool is_valid_utf8(std::string_view text);
// `text` with every ill-formed UTF-8 byte replaced by U+FFFD: safe to put
// in JSON or a terminal whatever bytes a file or a request held.
std::string valid_utf8(std::string_view text);
// At most `max_chars` of `text` for an error message: printable ASCII kept,
// every other byte as \xNN, "..." when cut. Never echoes raw bytes.
std::string escaped_excerpt(std::string_view text, std::size_t max_chars);
// escaped_excerpt in double quotes: "\"abc\"".
std::string quoted_excerpt(std::string_view text, std::size_t max_chars);

}  // namespace suanli

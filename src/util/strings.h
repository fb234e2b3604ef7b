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

}  // namespace suanli

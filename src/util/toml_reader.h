// Typed access to toml++ tables with errors of the form
// "file:line: key: expected …". Shared by every TOML loader (catalog,
// validation, scenarios) so messages look the same everywhere.
#pragma once

#include <climits>
#include <filesystem>
#include <initializer_list>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <toml++/toml.h>

#include "util/error.h"

namespace suanli {

// Parses a file; a syntax error becomes "file:line:col: message".
Result<toml::table> parse_toml_file(const std::filesystem::path& path);
// The same for text held in memory; `file` names it in messages (and is
// the source path toml++ records).
Result<toml::table> parse_toml_text(std::string_view text, const std::filesystem::path& file);

// The value of an integer or floating-point node as a double (an integer
// converted, even one a double cannot hold exactly: toml++'s value<double>()
// gives nothing for those); nullopt for any other node.
std::optional<double> node_number(const toml::node& node);

// A view of one table inside a file, with the dotted path used in messages.
class TomlView {
 public:
  TomlView(const toml::table& table, std::string file, std::string path)
      : table_(&table), file_(std::move(file)), path_(std::move(path)) {}

  const toml::table& table() const { return *table_; }
  const std::string& file() const { return file_; }
  const std::string& path() const { return path_; }

  // "file:line" of a key (or of the table when the key is absent).
  std::string where(std::string_view key = {}) const;
  // "file:line: path.key: what" as an Error.
  Error error(std::string_view key, std::string_view what) const;

  bool has(std::string_view key) const { return table_->contains(key); }

  // Absent keys give nullopt; present keys of the wrong type are errors.
  Result<std::optional<std::string>> string(std::string_view key) const;
  Result<std::optional<double>> number(std::string_view key) const;
  Result<std::optional<long long>> integer(std::string_view key) const;
  Result<std::optional<bool>> boolean(std::string_view key) const;
  Result<std::optional<TomlView>> subtable(std::string_view key) const;

  // Required variants: absent keys are errors.
  Result<std::string> required_string(std::string_view key) const;
  Result<double> required_number(std::string_view key) const;
  Result<long long> required_integer(std::string_view key) const;

  // Positive-number helpers (a size of zero or less is an error).
  Result<std::optional<long long>> positive_integer(std::string_view key) const;

  // Fails on the first key not in `allowed` (typos must not pass silently).
  Result<void> check_keys(std::initializer_list<std::string_view> allowed) const;
  Result<void> check_keys(std::span<const std::string_view> allowed) const;

 private:
  const toml::table* table_;
  std::string file_;
  std::string path_;
};

// Helpers shared by the scenario loaders (simulation and plan scenarios).
// "file:line: path.key: what" as a returnable error.
std::unexpected<Error> bad(const TomlView& v, std::string_view key, std::string_view what);
// The dotted path of `key` inside `v` ("candidate[2].levy").
std::string sub_path(const TomlView& v, std::string_view key);
// [[key]] entries as views named "path.key[i]" (absent: none).
Result<std::vector<TomlView>> table_array(const TomlView& v, std::string_view key);
Result<std::optional<std::vector<std::string>>> string_array(const TomlView& v,
                                                             std::string_view key);
Result<std::optional<double>> non_negative(const TomlView& v, std::string_view key);
Result<std::optional<double>> positive(const TomlView& v, std::string_view key);
// A finite number in [lo, hi]: "expected a number from lo to hi, got x".
// Every numeric scenario input goes through a bound like this, so no
// huge, tiny or non-finite value reaches a solver, a clock or an output.
Result<std::optional<double>> number_in(const TomlView& v, std::string_view key, double lo,
                                        double hi);
// The same, required.
Result<double> required_number_in(const TomlView& v, std::string_view key, double lo, double hi);
Result<std::optional<int>> int_in(const TomlView& v, std::string_view key, long long lo,
                                  long long hi = INT_MAX);
Result<int> required_int_in(const TomlView& v, std::string_view key, long long lo,
                            long long hi = INT_MAX);
// Origins: ISO 3166 two-letter codes in ASCII, upper-cased ("cn" -> "CN");
// anything else (full-width letters, "China", "") is an error. An absent
// key gives nullopt.
Result<std::optional<std::vector<std::string>>> origin_array(const TomlView& v,
                                                             std::string_view key);
// A non-empty name or ID.
Result<std::string> required_name(const TomlView& v, std::string_view key);

}  // namespace suanli

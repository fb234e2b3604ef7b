// Typed access to toml++ tables with errors of the form
// "file:line: key: expected …". Shared by every TOML loader (catalog,
// validation, scenarios) so messages look the same everywhere.
#pragma once

#include <filesystem>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>

#include <toml++/toml.h>

#include "util/error.h"

namespace suanli {

// Parses a file; a syntax error becomes "file:line:col: message".
Result<toml::table> parse_toml_file(const std::filesystem::path& path);

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

 private:
  const toml::table* table_;
  std::string file_;
  std::string path_;
};

}  // namespace suanli

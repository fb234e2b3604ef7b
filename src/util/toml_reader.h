// Typed access to toml++ tables with errors of the form
// "file:line: key: expected …". Shared by every TOML loader (catalog,
// validation, scenarios) so messages look the same everywhere.
#pragma once

#include <climits>
#include <filesystem>
#include <initializer_list>
#include <memory>
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
//
// The view records every key it is asked for (present or not; copies of a
// view share the record), and finish() fails on the first key of the table
// nothing asked for: "unknown key (expected one of: <the keys read>; did you
// mean …?)". So a loader's list of keys is the keys it reads, written once,
// and a key that only some kinds of entry use is refused on the others. A
// key a loader accepts without reading it is named with accept(). A
// required key that is missing names a present key it looks like ("did you
// mean 'nmae'?"), since finish() comes after the reads.
class TomlView {
 public:
  TomlView(const toml::table& table, std::string file, std::string path)
      : table_(&table),
        file_(std::move(file)),
        path_(std::move(path)),
        read_(std::make_shared<std::vector<std::string>>()) {}

  const toml::table& table() const { return *table_; }
  const std::string& file() const { return file_; }
  const std::string& path() const { return path_; }

  // "file:line" of a key (or of the table when the key is absent).
  std::string where(std::string_view key = {}) const;
  // "file:line: path.key: what" as an Error.
  Error error(std::string_view key, std::string_view what) const;

  bool has(std::string_view key) const {
    mark(key);
    return table_->contains(key);
  }
  // The node of a key, recorded as read (nullptr when absent).
  const toml::node* node(std::string_view key) const {
    mark(key);
    return table_->get(key);
  }

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

  // Records keys as read without reading them (accepted, unused).
  void mark(std::string_view key) const;
  void accept(std::initializer_list<std::string_view> keys) const;
  // Fails on the first key of the table not read (typos must not pass
  // silently); call it when the loader has read the table.
  Result<void> finish() const;
  // "required key is missing (expected …)", with a look-alike present key
  // (and at its line).
  Error missing(std::string_view key, std::string_view expected) const;
  // A key present and not read that looks like one asked for and absent
  // ("tenant" for "tenants"), as an unknown-key error: what a loader that
  // failed part-way reports first, since the typo is the likelier cause.
  std::optional<Error> typo() const;

 private:
  // error() at a given "file:line".
  Error error_at(const std::string& location, std::string_view key, std::string_view what) const;

  const toml::table* table_;
  std::string file_;
  std::string path_;
  std::shared_ptr<std::vector<std::string>> read_;  // in the order first read
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

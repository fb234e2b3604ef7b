#include "util/toml_reader.h"

#include "util/enum_names.h"

#include <algorithm>
#include <climits>

#include <fmt/format.h>
#include <cmath>

namespace suanli {

namespace {

std::unexpected<Error> syntax_error(const std::filesystem::path& file, const toml::parse_error& e) {
  const auto& begin = e.source().begin;
  return fail(ErrorCode::kParse, fmt::format("{}:{}:{}: {}", file.string(), begin.line,
                                             begin.column, e.description()));
}

}  // namespace

std::optional<double> node_number(const toml::node& node) {
  if (const auto* i = node.as_integer()) return static_cast<double>(i->get());
  if (const auto* f = node.as_floating_point()) return f->get();
  return std::nullopt;
}

Result<toml::table> parse_toml_file(const std::filesystem::path& path) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) {
    return fail(ErrorCode::kIo, fmt::format("{}: no such file", path.string()));
  }
  try {
    return toml::parse_file(path.string());
  } catch (const toml::parse_error& e) {
    return syntax_error(path, e);
  }
}

Result<toml::table> parse_toml_text(std::string_view text, const std::filesystem::path& file) {
  try {
    return toml::parse(text, file.string());
  } catch (const toml::parse_error& e) {
    return syntax_error(file, e);
  }
}

std::string TomlView::where(std::string_view key) const {
  const toml::node* node = key.empty() ? nullptr : table_->get(key);
  const auto& region = node ? node->source() : table_->source();
  if (region.begin.line == 0) return file_;
  return fmt::format("{}:{}", file_, region.begin.line);
}

Error TomlView::error(std::string_view key, std::string_view what) const {
  return error_at(where(key), key, what);
}

Error TomlView::error_at(const std::string& location, std::string_view key,
                         std::string_view what) const {
  std::string full = path_;
  if (!key.empty()) full = full.empty() ? std::string(key) : fmt::format("{}.{}", path_, key);
  return Error{ErrorCode::kParse, fmt::format("{}: {}: {}", location, full, what)};
}

Result<std::optional<std::string>> TomlView::string(std::string_view key) const {
  const toml::node* node = this->node(key);
  if (!node) return std::optional<std::string>{};
  if (auto v = node->value<std::string>(); v && node->is_string()) return v;
  return std::unexpected(error(key, "expected a string"));
}

Result<std::optional<double>> TomlView::number(std::string_view key) const {
  const toml::node* node = this->node(key);
  if (!node) return std::optional<double>{};
  if (node->is_integer() || node->is_floating_point()) {
    const double v = *node_number(*node);
    if (!std::isfinite(v)) return std::unexpected(error(key, "expected a finite number"));
    return std::optional(v);
  }
  return std::unexpected(error(key, "expected a number"));
}

Result<std::optional<long long>> TomlView::integer(std::string_view key) const {
  const toml::node* node = this->node(key);
  if (!node) return std::optional<long long>{};
  if (node->is_integer()) return node->value<long long>();
  if (node->is_floating_point()) {
    const double v = *node_number(*node);
    if (std::isfinite(v) && v == std::floor(v) && std::fabs(v) < 9e15) {
      return std::optional(static_cast<long long>(v));
    }
  }
  return std::unexpected(error(key, "expected an integer"));
}

Result<std::optional<bool>> TomlView::boolean(std::string_view key) const {
  const toml::node* node = this->node(key);
  if (!node) return std::optional<bool>{};
  if (node->is_boolean()) return node->value<bool>();
  return std::unexpected(error(key, "expected true or false"));
}

Result<std::optional<TomlView>> TomlView::subtable(std::string_view key) const {
  const toml::node* node = this->node(key);
  if (!node) return std::optional<TomlView>{};
  if (const auto* t = node->as_table()) {
    std::string sub = path_.empty() ? std::string(key) : fmt::format("{}.{}", path_, key);
    return std::optional(TomlView(*t, file_, std::move(sub)));
  }
  return std::unexpected(error(key, "expected a table"));
}

Result<std::string> TomlView::required_string(std::string_view key) const {
  auto v = string(key);
  if (!v) return std::unexpected(v.error());
  if (!*v) return std::unexpected(missing(key, "a string"));
  return **v;
}

Result<double> TomlView::required_number(std::string_view key) const {
  auto v = number(key);
  if (!v) return std::unexpected(v.error());
  if (!*v) return std::unexpected(missing(key, "a number"));
  return **v;
}

Result<long long> TomlView::required_integer(std::string_view key) const {
  auto v = integer(key);
  if (!v) return std::unexpected(v.error());
  if (!*v) return std::unexpected(missing(key, "an integer"));
  return **v;
}

Result<std::optional<long long>> TomlView::positive_integer(std::string_view key) const {
  auto v = integer(key);
  if (!v) return std::unexpected(v.error());
  if (*v && **v <= 0) {
    return std::unexpected(error(key, fmt::format("expected a positive integer, got {}", **v)));
  }
  return *v;
}

void TomlView::mark(std::string_view key) const {
  if (std::find(read_->begin(), read_->end(), key) == read_->end()) read_->emplace_back(key);
}

void TomlView::accept(std::initializer_list<std::string_view> keys) const {
  for (std::string_view k : keys) mark(k);
}

Result<void> TomlView::finish() const {
  std::vector<std::string_view> allowed(read_->begin(), read_->end());
  for (const auto& [k, node] : *table_) {
    if (std::find(allowed.begin(), allowed.end(), k.str()) != allowed.end()) continue;
    std::string list;
    for (auto a : allowed) list += (list.empty() ? "" : ", ") + std::string(a);
    const auto near = closest_name(allowed, k.str());
    return std::unexpected(error(
        k.str(), fmt::format("unknown key (expected one of: {}{})", list,
                             near ? fmt::format("; did you mean '{}'?", *near) : std::string())));
  }
  return {};
}

Error TomlView::missing(std::string_view key, std::string_view expected) const {
  std::vector<std::string_view> unread;
  for (const auto& [k, node] : *table_)
    if (std::find(read_->begin(), read_->end(), k.str()) == read_->end()) unread.push_back(k.str());
  const auto near = closest_name(unread, key);
  // At the look-alike's line, where the reader will look.
  return error_at(near ? where(*near) : where(key), key,
                  fmt::format("required key is missing (expected {}){}", expected,
                              near ? fmt::format("; did you mean '{}'?", *near) : std::string()));
}

std::optional<Error> TomlView::typo() const {
  std::vector<std::string_view> asked_absent;
  for (const std::string& k : *read_)
    if (!table_->contains(k)) asked_absent.push_back(k);
  for (const auto& [k, node] : *table_) {
    if (std::find(read_->begin(), read_->end(), k.str()) != read_->end()) continue;
    if (const auto near = closest_name(asked_absent, k.str()))
      return error(k.str(), fmt::format("unknown key (did you mean '{}'?)", *near));
  }
  return std::nullopt;
}

std::unexpected<Error> bad(const TomlView& v, std::string_view key, std::string_view what) {
  return std::unexpected(v.error(key, what));
}

std::string sub_path(const TomlView& v, std::string_view key) {
  return v.path().empty() ? std::string(key) : fmt::format("{}.{}", v.path(), key);
}

Result<std::vector<TomlView>> table_array(const TomlView& v, std::string_view key) {
  std::vector<TomlView> out;
  const toml::node* node = v.node(key);
  if (!node) return out;
  const toml::array* arr = node->as_array();
  if (!arr) return bad(v, key, fmt::format("expected an array of tables ([[{}]])", key));
  for (std::size_t i = 0; i < arr->size(); ++i) {
    const toml::table* t = arr->get(i)->as_table();
    if (!t) {
      return bad(
          v, key,
          fmt::format("expected an array of tables ([[{}]]); element {} is not a table", key, i));
    }
    out.emplace_back(*t, v.file(), fmt::format("{}[{}]", sub_path(v, key), i));
  }
  return out;
}

Result<std::optional<std::vector<std::string>>> string_array(const TomlView& v,
                                                             std::string_view key) {
  const toml::node* node = v.node(key);
  if (!node) return std::optional<std::vector<std::string>>{};
  const toml::array* arr = node->as_array();
  if (!arr) return bad(v, key, "expected an array of strings");
  std::vector<std::string> out;
  for (const toml::node& e : *arr) {
    if (!e.is_string()) return bad(v, key, "expected an array of strings");
    out.push_back(*e.value<std::string>());
  }
  return std::optional(std::move(out));
}

Result<std::optional<double>> non_negative(const TomlView& v, std::string_view key) {
  SUANLI_ASSIGN(auto x, v.number(key));
  if (x && *x < 0) return bad(v, key, fmt::format("expected a number >= 0, got {}", *x));
  return x;
}

Result<std::optional<double>> positive(const TomlView& v, std::string_view key) {
  SUANLI_ASSIGN(auto x, v.number(key));
  if (x && *x <= 0) return bad(v, key, fmt::format("expected a number > 0, got {}", *x));
  return x;
}

Result<std::optional<double>> number_in(const TomlView& v, std::string_view key, double lo,
                                        double hi) {
  SUANLI_ASSIGN(auto x, v.number(key));
  if (x && !(*x >= lo && *x <= hi))
    return bad(v, key, fmt::format("expected a number from {} to {}, got {}", lo, hi, *x));
  return x;
}

Result<double> required_number_in(const TomlView& v, std::string_view key, double lo,
                                  double hi) {
  SUANLI_ASSIGN(auto x, number_in(v, key, lo, hi));
  if (!x) {
    return std::unexpected(v.missing(key, fmt::format("a number from {} to {}", lo, hi)));
  }
  return *x;
}

Result<std::optional<int>> int_in(const TomlView& v, std::string_view key, long long lo,
                                  long long hi) {
  SUANLI_ASSIGN(auto x, v.integer(key));
  if (!x) return std::optional<int>{};
  if (*x < lo || *x > hi) {
    return bad(v, key,
               hi == INT_MAX
                   ? fmt::format("expected an integer >= {}, got {}", lo, *x)
                   : fmt::format("expected an integer from {} to {}, got {}", lo, hi, *x));
  }
  return std::optional(static_cast<int>(*x));
}

Result<int> required_int_in(const TomlView& v, std::string_view key, long long lo, long long hi) {
  SUANLI_ASSIGN(auto x, int_in(v, key, lo, hi));
  if (!x) return std::unexpected(v.missing(key, "an integer"));
  return *x;
}

Result<std::optional<std::vector<std::string>>> origin_array(const TomlView& v,
                                                             std::string_view key) {
  SUANLI_ASSIGN(auto list, string_array(v, key));
  if (!list) return list;
  for (std::string& o : *list) {
    bool ok = o.size() == 2;
    for (char& c : o) {
      if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
      ok = ok && c >= 'A' && c <= 'Z';
    }
    if (!ok) {
      return bad(v, key,
                 "expected two-letter ISO country codes in ASCII letters, e.g. [\"CN\", \"US\"]");
    }
  }
  return list;
}

Result<std::string> required_name(const TomlView& v, std::string_view key) {
  SUANLI_ASSIGN(auto s, v.required_string(key));
  if (s.empty()) return bad(v, key, "expected a non-empty string");
  return s;
}

}  // namespace suanli

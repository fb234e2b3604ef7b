#include "util/toml_override.h"

#include <fmt/format.h>

#include <algorithm>

#include "util/strings.h"

namespace suanli {

namespace {

// "rules[1].min_share" -> rules, 1, min_share; "a.b" -> a, b.
std::vector<std::string> key_segments(const std::string& key) {
  std::vector<std::string> out;
  for (std::string seg : split(key, '.')) {
    const auto open = seg.find('[');
    if (open != std::string::npos && open > 0 && seg.size() > open + 2 && seg.back() == ']') {
      const std::string index = seg.substr(open + 1, seg.size() - open - 2);
      if (std::all_of(index.begin(), index.end(), [](char c) { return c >= '0' && c <= '9'; })) {
        out.push_back(seg.substr(0, open));
        out.push_back(index);
        continue;
      }
    }
    out.push_back(std::move(seg));
  }
  return out;
}

struct Selection {
  toml::table* table = nullptr;
  int matches = 0;
};

// The element of an array of tables whose select field equals `sel` (or,
// failing that, whose index is `sel`).
Selection select_element(toml::array& arr, std::string_view sel,
                         const std::vector<std::string>& fields) {
  Selection out;
  for (toml::node& n : arr) {
    toml::table* t = n.as_table();
    if (!t) continue;
    for (const std::string& field : fields) {
      if (const auto* s = t->get_as<std::string>(field); s && s->get() == sel) {
        if (!out.table) out.table = t;
        ++out.matches;
        break;
      }
    }
  }
  if (out.table) return out;
  if (!sel.empty() && sel.size() < 9 &&
      std::all_of(sel.begin(), sel.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    const std::size_t i = std::stoul(std::string(sel));
    if (i < arr.size() && arr.get(i)->as_table()) return {arr.get(i)->as_table(), 1};
  }
  return out;
}

std::vector<std::string> element_names(const toml::array& arr,
                                       const std::vector<std::string>& fields) {
  std::vector<std::string> out;
  for (const toml::node& n : arr) {
    const toml::table* t = n.as_table();
    if (!t) continue;
    for (const std::string& field : fields) {
      if (const auto* s = t->get_as<std::string>(field)) {
        out.push_back(s->get());
        break;
      }
    }
  }
  return out;
}

// "name or accelerator", "name, id or accelerator"
std::string field_list(const std::vector<std::string>& fields) {
  if (fields.empty()) return "index";
  if (fields.size() == 1) return fields[0];
  std::vector<std::string> head(fields.begin(), fields.end() - 1);
  return join(head, ", ") + " or " + fields.back();
}

}  // namespace

Result<toml::table> parse_override_value(const TomlOverride& o) {
  try {
    toml::table t = toml::parse("v = " + o.value);
    if (t.size() == 1 && t.contains("v")) return t;
  } catch (const toml::parse_error&) {
  }
  const bool bare = !o.value.empty() && o.value.find_first_of("\"'[]{}=#\n ") == std::string::npos;
  if (bare) {
    toml::table t;
    t.insert("v", o.value);
    return t;
  }
  return fail(ErrorCode::kInvalidArgument,
              fmt::format("{}: cannot read '{}' as a TOML value (strings need quotes, arrays "
                          "brackets: \"robust\", [1, 2])",
                          o.key, o.value));
}

Result<void> apply_toml_override(toml::table& doc, const TomlOverride& override,
                                 const TomlOverrideOptions& options) {
  const std::string& key = override.key;
  auto err = [&](std::string what) {
    return fail(ErrorCode::kInvalidArgument, fmt::format("{}: {}", key, what));
  };
  if (key.empty()) return fail(ErrorCode::kInvalidArgument, "empty override key");
  const std::vector<std::string> segs = key_segments(key);
  for (const std::string& s : segs) {
    if (s.empty()) return err("empty segment in the dotted key");
  }
  SUANLI_ASSIGN(toml::table value, parse_override_value(override));

  toml::table* cur = &doc;
  std::string walked;  // the segments consumed, for messages
  std::size_t i = 0;
  while (i + 1 < segs.size()) {
    const std::string& seg = segs[i];
    toml::node* node = cur->get(seg);
    const std::string here = walked.empty() ? seg : walked + "." + seg;
    if (!node) {
      if (cur == &doc && std::find(options.creatable_tables.begin(), options.creatable_tables.end(),
                                   seg) != options.creatable_tables.end()) {
        cur->insert(seg, toml::table{});
        node = cur->get(seg);
      } else {
        return err(fmt::format("no table '{}' in the file", here));
      }
    }
    if (toml::table* t = node->as_table()) {
      cur = t;
      walked = here;
      ++i;
      continue;
    }
    if (toml::array* arr = node->as_array(); arr && arr->is_array_of_tables()) {
      // The next segment(s) select an element; names may contain dots, so
      // try the longest join that leaves a key after it.
      Selection found;
      std::size_t used = 0;
      for (std::size_t k = segs.size() - 1 - (i + 1); k >= 1 && !found.table; --k) {
        std::string sel = segs[i + 1];
        for (std::size_t j = 1; j < k; ++j) sel += "." + segs[i + 1 + j];
        found = select_element(*arr, sel, options.select_fields);
        if (found.table) used = k;
      }
      if (!found.table) {
        if (i + 2 >= segs.size()) {
          return err(fmt::format("[[{}]] needs an element name and a key after it", here));
        }
        const auto names = element_names(*arr, options.select_fields);
        return err(fmt::format("no [[{}]] with {} '{}'{}", here, field_list(options.select_fields),
                               segs[i + 1],
                               names.empty() ? "" : fmt::format(" (have: {})", join(names, ", "))));
      }
      std::string sel = segs[i + 1];
      for (std::size_t j = 1; j < used; ++j) sel += "." + segs[i + 1 + j];
      if (found.matches > 1) {
        return err(fmt::format("'{}' matches {} elements of [[{}]]; select one by index ({}.0, …)",
                               sel, found.matches, here, here));
      }
      walked = here + "." + sel;
      cur = found.table;
      i += 1 + used;
      continue;
    }
    return err(fmt::format("'{}' is a value, not a table", here));
  }
  if (i >= segs.size()) return err("the key selects a table, not a value");
  const std::string& leaf = segs[i];
  if (const toml::node* existing = cur->get(leaf);
      existing && (existing->is_table() || existing->is_array_of_tables())) {
    return err(
        fmt::format("'{}' is a table, not a value", walked.empty() ? leaf : walked + "." + leaf));
  }
  // A copy, not a move: toml++ copies no source position, so messages about
  // an overridden value name the file without a misleading line.
  const toml::node& v = *value.get("v");
  cur->insert_or_assign(leaf, v);
  return {};
}

}  // namespace suanli

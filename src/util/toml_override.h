// Overrides of a parsed TOML document by dotted key, shared by every
// scenario loader (simulation and plan scenarios) and by sweeps: a key such
// as "candidate.h200-sxm.levy", "rules.domestic-50.min_share" or
// "rules[1].min_share" and a TOML value literal ("0.5", "true",
// "\"robust\"", "[1, 2]"; a bare word such as robust or first-fit is read as
// a string). Errors name the key.
#pragma once

#include <string>
#include <vector>

#include <toml++/toml.h>

#include "util/error.h"

namespace suanli {

struct TomlOverride {
  std::string key;
  std::string value;  // a TOML value literal
};

// A key and the values a sweep gives it (TOML literals).
struct TomlSweep {
  std::string key;
  std::vector<std::string> values;
};

struct TomlOverrideOptions {
  // Tables of the document root that may be absent and are then created
  // ("plan", "policy" for plan scenarios; "scheduler", "simulation" for
  // simulation scenarios). Any other missing table is an error.
  std::vector<std::string> creatable_tables;
  // A segment after an array of tables selects the element whose field of
  // one of these names equals it (names containing dots are matched whole);
  // a number selects by index. A name matching two elements is an error.
  std::vector<std::string> select_fields{"name", "accelerator"};
};

// Sets `override.key` in `doc` (inserted when absent: the loader's key
// check then rejects a misspelt leaf). The value is a copy without a source
// position, so loader messages about it name the file without a line.
Result<void> apply_toml_override(toml::table& doc, const TomlOverride& override,
                                 const TomlOverrideOptions& options = {});

// Parses an override's value literal as TOML (a bare word as a string);
// the value is under key "v" of the table returned.
Result<toml::table> parse_override_value(const TomlOverride& override);

}  // namespace suanli

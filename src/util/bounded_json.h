// A JSON parser for untrusted text: nlohmann-json's SAX parser building the
// document with bounds checked while it reads, before anything recursive
// (dump, destruction, a handler's walk) ever sees the value. Refuses, as
// error values naming the byte offset: text over `max_bytes`, nesting
// deeper than `max_depth`, more than `max_values` values, a key repeated in
// one object (no silent "last one wins"), numbers that overflow a double,
// and malformed JSON or UTF-8. Messages are valid UTF-8 and never echo more
// than a short, escaped excerpt of the input.
#pragma once

#include <cstddef>
#include <string_view>

#include <nlohmann/json.hpp>

#include "util/error.h"

namespace suanli {

struct JsonLimits {
  std::size_t max_bytes = std::size_t{1} << 20;  // whole text
  int max_depth = 64;                            // nested arrays/objects
  std::size_t max_values = std::size_t{1} << 20;  // every scalar, array and object
};

// `where` prefixes messages ("body"). kParse for malformed text,
// kInvalidArgument for a bound or a duplicate key.
Result<nlohmann::json> parse_bounded_json(std::string_view text, std::string_view where,
                                          const JsonLimits& limits = {});

}  // namespace suanli

#include "util/bounded_json.h"

#include <fmt/format.h>

#include <cmath>
#include <string>
#include <utility>
#include <vector>

#include "util/strings.h"

namespace suanli {

namespace {

using UnorderedJson = nlohmann::json;

// nlohmann's SAX interface, building the DOM like json_sax_dom_parser does,
// with the limits checked at every event. The open containers are held on
// an explicit stack (pointers stay valid: an array only grows after its
// open child closed; object members are map nodes).
class BoundedBuilder {
 public:
  BoundedBuilder(UnorderedJson& root, const JsonLimits& limits) : root_(root), limits_(limits) {}

  bool null() { return value(nullptr); }
  bool boolean(bool v) { return value(v); }
  bool number_integer(UnorderedJson::number_integer_t v) { return value(v); }
  bool number_unsigned(UnorderedJson::number_unsigned_t v) { return value(v); }
  bool number_float(UnorderedJson::number_float_t v, const UnorderedJson::string_t&) {
    if (!std::isfinite(v)) return refuse("a number too large for a double");
    return value(v);
  }
  bool string(UnorderedJson::string_t& v) { return value(std::move(v)); }
  bool binary(UnorderedJson::binary_t&) { return refuse("binary data"); }
  bool start_object(std::size_t) { return open(UnorderedJson::object()); }
  bool start_array(std::size_t) { return open(UnorderedJson::array()); }
  bool end_object() { return close(); }
  bool end_array() { return close(); }
  bool key(UnorderedJson::string_t& k) {
    UnorderedJson* object = stack_.back();
    if (object->contains(k)) {
      return refuse(fmt::format("key {} repeated in one object", quoted_excerpt(k, 40)));
    }
    member_ = &(*object)[k];
    return true;
  }
  bool parse_error(std::size_t position, const std::string&,
                   const nlohmann::detail::exception& e) {
    // e.what() quotes the last token read, raw: escape it (it may be any bytes).
    std::string what = e.what();
    if (auto p = what.find("] "); p != std::string::npos) what = what.substr(p + 2);
    error_ = Error{ErrorCode::kParse, fmt::format("malformed JSON at byte {}: {}", position,
                                                  escaped_excerpt(what, 160))};
    return false;
  }

  void set_position(std::size_t) {}
  std::optional<Error>& error() { return error_; }

 private:
  bool counted() {
    if (++values_ > limits_.max_values) {
      refuse(fmt::format("more than {} values", limits_.max_values));
      return false;
    }
    return true;
  }
  UnorderedJson* place(UnorderedJson v) {
    if (stack_.empty()) {
      root_ = std::move(v);
      return &root_;
    }
    UnorderedJson* top = stack_.back();
    if (top->is_array()) {
      top->push_back(std::move(v));
      return &top->back();
    }
    *member_ = std::move(v);
    return member_;
  }
  bool value(UnorderedJson v) {
    if (!counted()) return false;
    place(std::move(v));
    return true;
  }
  bool open(UnorderedJson container) {
    if (!counted()) return false;
    if (static_cast<int>(stack_.size()) >= limits_.max_depth)
      return refuse(fmt::format("nested deeper than {} levels", limits_.max_depth));
    stack_.push_back(place(std::move(container)));
    return true;
  }
  bool close() {
    stack_.pop_back();
    return true;
  }
  bool refuse(std::string what) {
    if (!error_) error_ = Error{ErrorCode::kInvalidArgument, std::move(what)};
    return false;
  }

  UnorderedJson& root_;
  const JsonLimits& limits_;
  std::vector<UnorderedJson*> stack_;
  UnorderedJson* member_ = nullptr;
  std::size_t values_ = 0;
  std::optional<Error> error_;
};

}  // namespace

Result<nlohmann::json> parse_bounded_json(std::string_view text, std::string_view where,
                                          const JsonLimits& limits) {
  if (text.size() > limits.max_bytes) {
    return fail(ErrorCode::kInvalidArgument,
                fmt::format("{}: {} bytes of JSON, more than the limit of {}", where, text.size(),
                            limits.max_bytes));
  }
  UnorderedJson root;
  BoundedBuilder builder(root, limits);
  bool ok = false;
  try {
    ok = UnorderedJson::sax_parse(text, &builder, UnorderedJson::input_format_t::json,
                                  /*strict=*/true);
  } catch (const std::exception& e) {  // the SAX parser reports through parse_error; defensive
    return fail(ErrorCode::kParse,
                fmt::format("{}: malformed JSON: {}", where, escaped_excerpt(e.what(), 160)));
  }
  if (!ok || builder.error()) {
    Error e = builder.error().value_or(Error{ErrorCode::kParse, "malformed JSON"});
    e.message = fmt::format("{}: {}", where, e.message);
    return std::unexpected(std::move(e));
  }
  return root;
}

}  // namespace suanli

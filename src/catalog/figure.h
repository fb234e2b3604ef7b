// A catalog figure: a number with its source and confidence. Every figure in
// the catalog is one of these so that uncertainty travels with the value
// into every output.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace suanli {

enum class Confidence {
  kVerified,     // checked against a primary (vendor, regulator, paper) text
  kSecondary,    // from a secondary source (press, third-party tables)
  kEstimate,     // derived or inferred by us; the note says how
  kPlaceholder,  // unverified; a stand-in until a source is found
};

std::string_view confidence_name(Confidence c);
std::optional<Confidence> parse_confidence(std::string_view text);

struct Figure {
  double value = 0.0;
  std::optional<double> low;  // range, where the source gives one
  std::optional<double> high;
  std::string source;      // citation text (resolved from the file's [sources])
  std::string source_key;  // the key used in the file, if any
  Confidence confidence = Confidence::kPlaceholder;
  std::string note;
  std::string origin;  // "file:line" where the figure was defined

  bool unverified() const {
    return confidence == Confidence::kEstimate || confidence == Confidence::kPlaceholder;
  }
};

}  // namespace suanli

// Consistency checks over loaded accelerators (`suanli catalog check`):
// figures that cannot all be true at once, or that age. Each check has an id
// and one line saying what it tests (catalog_checks(), printed by --help and
// docs/catalog-format.md); a warning an entry expects carries its
// explanation from the entry's [accelerator.check_notes] and does not fail
// the check. Pure: the date to age statuses against is an argument, so the
// same catalog and date give the same warnings.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "catalog/accelerator.h"
#include "util/error.h"

namespace suanli {

struct CatalogCheckInfo {
  std::string_view id;
  std::string_view what;
};

// Months since year 0 of a "YYYY-MM" or "YYYY-MM-DD" date (month 01-12,
// day 01-31); nullopt when the text is not one. The one parser of the
// catalog's status dates and of `--as-of`.
std::optional<int> year_month_index(std::string_view text);

// Every check, in the order warnings are listed.
std::span<const CatalogCheckInfo> catalog_checks();

struct CatalogCheckParams {
  // "YYYY-MM" or "YYYY-MM-DD": statuses confirmed more than stale_months
  // before this are stale.
  std::string as_of;
  int stale_months = 12;
};

struct CatalogWarning {
  std::string check;        // a catalog_checks() id
  std::string accelerator;  // the entry's id
  std::string where;        // file:line of the figure or entry
  std::string message;
  std::string explanation;  // from check_notes; empty: unexplained
  bool explained() const { return !explanation.empty(); }
};

// Fails only when params.as_of is not a date or stale_months < 1. A
// check_notes key that names no check, or a check that did not fire, is
// itself a warning ("check-note"): an explanation must explain something.
Result<std::vector<CatalogWarning>> check_catalog(const std::vector<Accelerator>& accelerators,
                                                  const CatalogCheckParams& params);

}  // namespace suanli

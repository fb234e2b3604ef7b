// The one cost basis every output prices with: total cost of ownership per
// device-hour (purchase and levy amortised over the device's life at the
// cost of capital, yearly operations, power with PUE), from the catalog's
// data/economics.toml; rental (the catalog's market rate) is the labelled
// alternative. compare, estimate, the report's comparison, the plan's
// per-device figures and the API all call device_hour_cost(), so one chip
// costs the same per hour everywhere for the same assumptions.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "catalog/accelerator.h"
#include "catalog/economics.h"
#include "perf/device.h"
#include "util/error.h"
#include "util/messages.h"

namespace suanli {

enum class CostBasis { kOwnership, kRental };
std::string_view cost_basis_name(CostBasis b);
std::optional<CostBasis> parse_cost_basis(std::string_view text);

// The numbers a cost is computed from: the catalog's economics, then a
// scenario's or request's overrides.
struct CostAssumptions {
  CostBasis basis = CostBasis::kOwnership;
  double life_years = 5;
  double cost_of_capital = 0.08;
  double operations_fraction = 0.03;
  double facility_usd_per_kw_month = 184;
  double power_load_factor = 0.75;
  double node_power_overhead = 1.3;
  double pue = 1.3;
  double tariff_usd_per_kwh = 0.08;
  double cny_per_usd = 7.1;
  bool in_cny = false;  // text output in CNY at cny_per_usd (JSON stays USD, with the rate)
  std::map<std::string, double> levy;       // surcharge on the price, by accelerator ID
  std::map<std::string, double> price_usd;  // a scenario's price in place of the catalog's

  static CostAssumptions from(const Economics& e);
  double levy_for(const std::string& accelerator) const;
  // One line naming the basis and its inputs, for output footers.
  // In the words of `messages` (English by default).
  std::string describe(const Messages& messages = {}) const;
  // A USD amount in the output currency, and that currency's symbol.
  double money(double usd) const { return in_cny ? usd * cny_per_usd : usd; }
  const char* symbol() const { return in_cny ? "¥" : "$"; }
};

// USD per device-hour, by part. Ownership fills capex .. power; rental
// fills rental. total is their sum.
struct DeviceHourCost {
  CostBasis basis = CostBasis::kOwnership;
  double capex = 0;       // purchase price x capital recovery factor / 8,760 h
  double levy = 0;        // the levy on the price, amortised the same way
  double operations = 0;  // operations_fraction x price / 8,760 h
  double facility = 0;    // TDP x node overhead x facility_usd_per_kw_month x 12 / 8,760 h
  double power = 0;       // TDP x node overhead x load factor x PUE x tariff
  double rental = 0;
  double total = 0;
  // Catalog figures behind the cost that are estimates or placeholders.
  std::vector<std::string> unverified;
};

// Capital recovery factor: the yearly payment that repays 1 over `years` at
// `rate` (1/years at rate 0).
double capital_recovery_factor(double rate, double years);

// Fails (kNotFound) when the chip lacks the price (ownership: price_usd and
// tdp_w; rental: rental_usd_per_hour) the basis needs.
Result<DeviceHourCost> device_hour_cost(const Accelerator& a, const CostAssumptions& c);

// Sets d.hourly_usd (and d.cost_basis) from device_hour_cost(*d.accel, c);
// 0 when the catalog lacks the price the basis needs (cost then unknown).
void price_device(DeviceModel& d, const CostAssumptions& c);

}  // namespace suanli

// Cost, reliability and planning assumptions every output shares
// (data/economics.toml, table [economics]): the one cost basis (total cost
// of ownership per device-hour), the goodput of long training runs
// (failures, restarts, checkpoints) and the planning margins (utilisation
// target, inference peak-to-mean). Each is a catalog Figure with its source,
// confidence and range, defined once in kEconomicsKeys below; that table
// drives the loader, its range checks, the JSON and docs/catalog-format.md.
#pragma once

#include <array>
#include <optional>
#include <string_view>

#include "catalog/figure.h"
#include "util/error.h"

namespace suanli {

struct Economics {
  // Ownership (perf/cost.h): capex amortised over the device's life at the
  // cost of capital, yearly operations as a share of capex, and power.
  Figure life_years;
  Figure cost_of_capital;      // per year
  Figure operations_fraction;  // per year, of the purchase price (maintenance, staff)
  Figure facility_usd_per_kw_month;  // data-centre space, cooling, power plant, per kW of IT load
  Figure power_load_factor;    // average draw / TDP
  Figure node_power_overhead;  // host CPUs, NICs, fans: node draw / accelerators' TDP
  Figure pue;
  Figure tariff_usd_per_kwh;
  Figure cny_per_usd;  // the output currency rate, dated in its source
  // Goodput of training (perf/goodput.h).
  Figure failures_per_million_device_hours;  // unexpected job interruptions
  Figure restart_minutes;                    // detection to resumed training, per interruption
  Figure checkpoint_write_gbps_per_device;   // storage write throughput per device (GB/s)
  Figure checkpoint_bytes_per_param;         // weights + optimizer state saved
  // Planning margins (plan/).
  Figure utilisation_target;  // the share of a training fleet's hours a plan may count on
  Figure peak_to_mean;        // inference demand at peak / mean
};

// One [economics] key: its member, its physical range and what it means.
struct EconomicsKey {
  std::string_view name;
  Figure Economics::*member;
  double min;
  double max;
  // Used only by a catalog without data/economics.toml (unit tests' text
  // catalogs), marked as a placeholder; the bundled values live in data/.
  double fallback;
  std::string_view help;
};

inline constexpr std::array<EconomicsKey, 15> kEconomicsKeys{{
    {"life_years", &Economics::life_years, 1, 15, 5, "years a device is amortised over"},
    {"cost_of_capital", &Economics::cost_of_capital, 0, 0.5, 0.08, "yearly cost of capital"},
    {"operations_fraction", &Economics::operations_fraction, 0, 1, 0.03,
     "yearly operations cost (maintenance, spares, staff) as a share of the price"},
    {"facility_usd_per_kw_month", &Economics::facility_usd_per_kw_month, 1, 2000, 184,
     "data-centre capacity per kW of IT load per month (space, cooling, power plant)"},
    {"power_load_factor", &Economics::power_load_factor, 0.05, 1, 0.75,
     "average draw as a share of full load"},
    {"node_power_overhead", &Economics::node_power_overhead, 1, 3, 1.3,
     "node draw over the accelerators' TDP (host CPUs, NICs, fans)"},
    {"pue", &Economics::pue, 1, 3, 1.3, "facility power over IT power"},
    {"tariff_usd_per_kwh", &Economics::tariff_usd_per_kwh, 0.001, 1, 0.08, "electricity price (USD/kWh)"},
    {"cny_per_usd", &Economics::cny_per_usd, 1, 20, 7.1, "exchange rate for CNY output"},
    {"failures_per_million_device_hours", &Economics::failures_per_million_device_hours, 0.1, 1000, 19.7,
     "unexpected training-job interruptions per million device-hours"},
    {"restart_minutes", &Economics::restart_minutes, 0.1, 1440, 10,
     "minutes from an interruption to resumed training (detect, reschedule, reload)"},
    {"checkpoint_write_gbps_per_device", &Economics::checkpoint_write_gbps_per_device, 0.001, 100, 0.12,
     "checkpoint storage write throughput per device (GB/s)"},
    {"checkpoint_bytes_per_param", &Economics::checkpoint_bytes_per_param, 1, 32, 14,
     "bytes saved per parameter (weights and optimizer state)"},
    {"utilisation_target", &Economics::utilisation_target, 0.1, 1, 0.8,
     "share of a training fleet's hours a plan counts on"},
    {"peak_to_mean", &Economics::peak_to_mean, 1, 20, 1.5,
     "inference demand at peak over its mean: what a plan provisions for"},
}};

// Checks every figure lies in its key's range; `where` names the table.
Result<void> check_economics(const Economics& e);

}  // namespace suanli

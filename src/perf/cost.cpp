#include "perf/cost.h"

#include <fmt/format.h>
#include <cmath>

namespace suanli {

namespace {
constexpr double kHoursPerYear = 8760;

void note(const std::optional<Figure>& f, const char* name, std::vector<std::string>& out) {
  if (f && f->unverified()) out.push_back(fmt::format("{} ({})", name, confidence_name(f->confidence)));
}
}  // namespace

std::string_view cost_basis_name(CostBasis b) {
  return b == CostBasis::kRental ? "rental" : "ownership";
}

std::optional<CostBasis> parse_cost_basis(std::string_view text) {
  if (text == "ownership" || text == "tco") return CostBasis::kOwnership;
  if (text == "rental") return CostBasis::kRental;
  return std::nullopt;
}

CostAssumptions CostAssumptions::from(const Economics& e) {
  CostAssumptions c;
  c.life_years = e.life_years.value;
  c.cost_of_capital = e.cost_of_capital.value;
  c.operations_fraction = e.operations_fraction.value;
  c.facility_usd_per_kw_month = e.facility_usd_per_kw_month.value;
  c.power_load_factor = e.power_load_factor.value;
  c.node_power_overhead = e.node_power_overhead.value;
  c.pue = e.pue.value;
  c.tariff_usd_per_kwh = e.tariff_usd_per_kwh.value;
  c.cny_per_usd = e.cny_per_usd.value;
  return c;
}

double CostAssumptions::levy_for(const std::string& accelerator) const {
  auto it = levy.find(accelerator);
  return it == levy.end() ? 0.0 : it->second;
}

std::string CostAssumptions::describe(const Messages& m) const {
  const std::string currency =
      in_cny ? m.trf("; amounts in CNY at {rate} per USD (data/economics.toml)",
                     fmt::arg("rate", fmt::format("{:g}", cny_per_usd)))
             : "";
  if (basis == CostBasis::kRental)
    return std::string(m.tr("cost basis: rental (catalog market rate per device-hour)")) + currency;
  std::string levies;
  for (const auto& [id, f] : levy)
    if (f > 0)
      levies += m.trf(", {accelerator} levy {percent}%", fmt::arg("accelerator", id),
                      fmt::arg("percent", fmt::format("{:.0f}", f * 100)));
  return m.trf("cost basis: ownership per device-hour (catalog price amortised over {years} years "
               "at {capital}% cost of capital, operations {operations}% of the price a year, data "
               "centre {facility} USD per kW a month, power at {load}% load x {overhead} node "
               "overhead x PUE {pue} x {tariff} USD/kWh{levies})",
               fmt::arg("years", fmt::format("{:g}", life_years)),
               fmt::arg("capital", fmt::format("{:.0f}", cost_of_capital * 100)),
               fmt::arg("operations", fmt::format("{:.0f}", operations_fraction * 100)),
               fmt::arg("facility", fmt::format("{:.0f}", facility_usd_per_kw_month)),
               fmt::arg("load", fmt::format("{:.0f}", power_load_factor * 100)),
               fmt::arg("overhead", fmt::format("{:g}", node_power_overhead)),
               fmt::arg("pue", fmt::format("{:g}", pue)),
               fmt::arg("tariff", fmt::format("{:.3f}", tariff_usd_per_kwh)),
               fmt::arg("levies", levies)) +
         currency;
}

double capital_recovery_factor(double rate, double years) {
  if (years <= 0) return 1.0;
  if (rate <= 1e-12) return 1.0 / years;
  return rate / (1.0 - std::pow(1.0 + rate, -years));
}

Result<DeviceHourCost> device_hour_cost(const Accelerator& a, const CostAssumptions& c) {
  DeviceHourCost out;
  out.basis = c.basis;
  if (c.basis == CostBasis::kRental) {
    if (!a.rental_usd_per_hour) {
      return fail(ErrorCode::kNotFound,
                  fmt::format("{}: no rental_usd_per_hour in the catalog (rental cost basis)", a.id));
    }
    out.rental = out.total = a.rental_usd_per_hour->value;
    note(a.rental_usd_per_hour, "rental_usd_per_hour", out.unverified);
    return out;
  }
  const auto own_price = c.price_usd.find(a.id);
  const bool priced = own_price != c.price_usd.end() || a.price_usd;
  if (!priced || !a.tdp_w) {
    return fail(ErrorCode::kNotFound,
                fmt::format("{}: no {} in the catalog (ownership cost basis; --cost-basis rental "
                            "prices at the market rental rate instead)",
                            a.id, priced ? "tdp_w" : "price_usd"));
  }
  const double price = own_price != c.price_usd.end() ? own_price->second : a.price_usd->value;
  const double crf = capital_recovery_factor(c.cost_of_capital, c.life_years);
  out.capex = price * crf / kHoursPerYear;
  out.levy = price * c.levy_for(a.id) * crf / kHoursPerYear;
  out.operations = price * c.operations_fraction / kHoursPerYear;
  const double node_kw = a.tdp_w->value / 1000 * c.node_power_overhead;
  out.facility = node_kw * c.facility_usd_per_kw_month * 12 / kHoursPerYear;
  out.power = node_kw * c.power_load_factor * c.pue * c.tariff_usd_per_kwh;
  out.total = out.capex + out.levy + out.operations + out.facility + out.power;
  if (own_price == c.price_usd.end()) note(a.price_usd, "price_usd", out.unverified);
  note(a.tdp_w, "tdp_w", out.unverified);
  return out;
}

void price_device(DeviceModel& d, const CostAssumptions& c) {
  d.hourly_usd = 0;
  d.cost_basis = std::string(cost_basis_name(c.basis));
  if (!d.accel) return;
  if (auto cost = device_hour_cost(*d.accel, c)) d.hourly_usd = cost->total;
}

}  // namespace suanli

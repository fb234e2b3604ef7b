// The plan scenario reader (plan_scenario.h): every section of a plan
// scenario TOML, its bounds and its file:line errors, and the writer that
// gives a scenario back. One file over 900 lines: one reader per section
// over the same TomlView conventions and limits, read in one pass so that
// cross-section references (candidates, sites, demands) are checked where
// they are read.
#include "plan/plan_scenario.h"

#include <fmt/format.h>

#include <algorithm>
#include <climits>
#include <cmath>
#include <map>
#include <set>
#include <sstream>
#include <utility>

#include "perf/compare.h"
#include "perf/infer.h"
#include "perf/train.h"
#include "perf/workload_fields.h"
#include "perf/workload_request.h"
#include "util/strings.h"
#include "util/toml_reader.h"

namespace suanli {
namespace {

namespace fs = std::filesystem;

constexpr double kSecondsPerDay = 86400;
constexpr int kMaxTrainDevices = 65536;  // the training gang search stops here
constexpr int kMaxInstanceDevices = 64;  // largest serving instance tried
constexpr int kMaxYears = 20;

// Physical bounds of the plan's numbers (docs/plan-format.md): every input
// is finite and inside these, so no coefficient can reach the solver's
// own limits (CLP asserts on |cost| >= 1e25) and no inf/NaN an output.
constexpr double kMinPue = 1, kMaxPue = 3;
constexpr double kMaxTariffUsdPerKwh = 10;
constexpr double kMaxNodePowerKw = 100;
constexpr double kMaxPowerOverhead = 3;
constexpr double kMaxPriceUsd = 1e9;             // one device
constexpr double kMaxRentalUsdPerHour = 10'000;  // one device-hour
constexpr double kMaxBudgetUsd = 1e13;
constexpr double kMaxPenaltyUsd = 1e12;
constexpr double kMaxDevices = 1e9;     // supply caps, rental caps
constexpr double kMaxLevy = 10;         // a fraction of the price
constexpr double kMaxDiscountRate = 1;  // per year
constexpr double kMaxSitePowerMw = 100'000;
constexpr double kMaxRacks = 10'000'000;
constexpr double kMaxNodesPerRack = 1000;
constexpr double kMaxSimulationDays = 3650;
constexpr double kMaxTrainingTokens = 1e18;
constexpr double kMaxDeadlineDays = 3650;
constexpr double kMaxTokensPerS = 1e12;
constexpr long long kMaxExistingNodes = 1'000'000;

// "3.0e12"
std::string sci(double x) {
  std::string s = fmt::format("{:.1e}", x);
  const auto e = s.find('e');
  if (e == std::string::npos) return s;
  std::string mant = s.substr(0, e);
  std::string exp = s.substr(e + 1);
  bool neg = false;
  if (!exp.empty() && (exp[0] == '+' || exp[0] == '-')) {
    neg = exp[0] == '-';
    exp.erase(0, 1);
  }
  while (exp.size() > 1 && exp[0] == '0') exp.erase(0, 1);
  return fmt::format("{}e{}{}", mant, neg ? "-" : "", exp);
}

// A short number for messages: integers without decimals.
std::string num(double x) {
  if (std::fabs(x) >= 1e7) return sci(x);
  if (x == std::floor(x)) return fmt::format("{:.0f}", x);
  return fmt::format("{:.3g}", x);
}

Result<std::optional<double>> in_range(const TomlView& v, std::string_view key, double lo,
                                       double hi) {
  SUANLI_ASSIGN(auto x, v.number(key));
  if (x && (*x < lo || *x > hi)) {
    return bad(v, key, fmt::format("expected a number from {} to {}, got {}", lo, hi, *x));
  }
  return x;
}

// 0, or a number from `lo` to `hi` (a tiny positive capacity is a typo
// and makes the solver crawl).
Result<std::optional<double>> zero_or_in(const TomlView& v, std::string_view key, double lo,
                                         double hi) {
  SUANLI_ASSIGN(auto x, v.number(key));
  if (x && !(*x == 0 || (*x >= lo && *x <= hi)))
    return bad(v, key, fmt::format("expected 0 or a number from {} to {}, got {}", lo, hi, *x));
  return x;
}

// A number > 0 and at most `hi`.
Result<std::optional<double>> positive_max(const TomlView& v, std::string_view key, double hi) {
  SUANLI_ASSIGN(auto x, v.number(key));
  if (x && !(*x > 0 && *x <= hi))
    return bad(v, key, fmt::format("expected a number > 0 and at most {}, got {}", hi, *x));
  return x;
}

Result<double> required_positive(const TomlView& v, std::string_view key, double hi) {
  SUANLI_ASSIGN(auto x, positive_max(v, key, hi));
  if (!x) return std::unexpected(v.missing(key, "a number > 0"));
  return *x;
}

// TOML text of a value node, as it would appear after `key = `.
std::string toml_literal(const toml::node& node) {
  if (const auto* s = node.as_string()) {
    std::string out = "\"";
    for (char c : s->get()) {
      switch (c) {
        case '"':
          out += "\\\"";
          break;
        case '\\':
          out += "\\\\";
          break;
        case '\n':
          out += "\\n";
          break;
        case '\t':
          out += "\\t";
          break;
        default:
          out += c;
      }
    }
    return out + "\"";
  }
  if (const auto* i = node.as_integer()) return std::to_string(i->get());
  if (const auto* f = node.as_floating_point()) {
    const double x = f->get();
    if (std::isnan(x)) return "nan";
    if (std::isinf(x)) return x > 0 ? "inf" : "-inf";
    std::string out = fmt::format("{}", x);
    if (out.find_first_of(".eE") == std::string::npos) out += ".0";
    return out;
  }
  if (const auto* b = node.as_boolean()) return b->get() ? "true" : "false";
  if (const auto* a = node.as_array()) {
    std::vector<std::string> parts;
    for (const toml::node& e : *a) parts.push_back(toml_literal(e));
    return "[" + join(parts, ", ") + "]";
  }
  // Dates, times and inline tables: toml++'s own formatting.
  toml::table t;
  t.insert("v", node);
  std::ostringstream os;
  os << toml::toml_formatter(t);
  std::string s = os.str();
  const auto eq = s.find('=');
  if (eq != std::string::npos) s = s.substr(eq + 1);
  const auto b = s.find_first_not_of(" \t\n");
  const auto e = s.find_last_not_of(" \t\n");
  return b == std::string::npos ? std::string() : s.substr(b, e - b + 1);
}

// Training and inference items share these keys.
struct DemandCommon {
  std::string name;
  std::string tenant;
  Sensitivity sensitivity = Sensitivity::kPublic;
  bool core = false;
  int first_year = 1;
  int last_year = 1;
  std::optional<double> penalty;
};

class Loader {
 public:
  Loader(const Catalog& catalog, const fs::path& file) : catalog_(catalog), file_(file.string()) {
    out_.file = file;
    // Defaults a scenario does not state come from data/economics.toml.
    const Economics& e = catalog.economics();
    default_pue_ = e.pue.value;
    default_tariff_ = e.tariff_usd_per_kwh.value;
    node_power_overhead_ = e.node_power_overhead.value;
    out_.cost = CostAssumptions::from(e);
    out_.goodput = GoodputInputs::from(e);
    out_.utilisation_target = e.utilisation_target.value;
    out_.peak_to_mean = e.peak_to_mean.value;
  }

  Result<PlanScenario> run(const toml::table& root_table) {
    const TomlView root(root_table, file_, "");
    auto sections = [&]() -> Result<void> {
      SUANLI_TRY(read_plan(root));
      SUANLI_TRY(read_sites(root));
      SUANLI_TRY(read_candidates(root));
      SUANLI_TRY(read_existing(root));
      SUANLI_TRY(read_scenarios(root));
      SUANLI_TRY(read_policy(root));
      SUANLI_TRY(read_demands(root));
      return read_report(root, root_table);
    }();
    // A misspelt section ([[candidates]]) fails a later one first: name it.
    if (!sections) return std::unexpected(root.typo().value_or(sections.error()));
    SUANLI_TRY(root.finish());  // every section above read its key of the root
    SUANLI_TRY(size_demands());
    return std::move(out_);
  }

 private:
  PlanProblem& p() { return out_.problem; }

  // --- [plan] -------------------------------------------------------------

  Result<void> read_plan(const TomlView& root) {
    SUANLI_ASSIGN(auto plan_opt, root.subtable("plan"));
    toml::table empty;
    const TomlView v = plan_opt ? *plan_opt : TomlView(empty, file_, "plan");
    SUANLI_ASSIGN(auto name, v.string("name"));
    p().name = name && !name->empty() ? *name : out_.file.stem().string();
    SUANLI_ASSIGN(auto description, v.string("description"));
    if (description) out_.description = *description;
    SUANLI_ASSIGN(auto years, int_in(v, "years", 1, kMaxYears));
    p().years = years ? *years : 3;
    SUANLI_ASSIGN(auto rate, number_in(v, "discount_rate", 0, kMaxDiscountRate));
    p().discount_rate = rate ? *rate : 0.0;
    SUANLI_ASSIGN(auto load, number_in(v, "power_load_factor", 0.01, 1));
    p().power_load_factor = load ? *load : catalog_.economics().power_load_factor.value;
    SUANLI_ASSIGN(auto budget, number_in(v, "budget_usd", 0, kMaxBudgetUsd));
    p().budget_usd = budget;
    SUANLI_ASSIGN(auto seed, v.integer("seed"));
    if (seed) {
      if (*seed < 0) return bad(v, "seed", fmt::format("expected an integer >= 0, got {}", *seed));
      out_.seed = static_cast<std::uint64_t>(*seed);
    }
    SUANLI_ASSIGN(auto days, positive_max(v, "simulation_days", kMaxSimulationDays));
    if (days) out_.simulation_days = *days;
    SUANLI_ASSIGN(auto pue, number_in(v, "pue", kMinPue, kMaxPue));
    if (pue) default_pue_ = *pue;
    SUANLI_ASSIGN(auto tariff, number_in(v, "tariff_usd_per_kwh", 0, kMaxTariffUsdPerKwh));
    if (tariff) default_tariff_ = *tariff;
    SUANLI_ASSIGN(auto overhead, number_in(v, "node_power_overhead", 1, kMaxPowerOverhead));
    if (overhead) node_power_overhead_ = *overhead;
    SUANLI_ASSIGN(auto penalty, number_in(v, "shortfall_penalty_usd", 0, kMaxPenaltyUsd));
    default_penalty_ = penalty;
    SUANLI_ASSIGN(auto util, number_in(v, "utilisation_target", 0.1, 1));
    if (util) {
      out_.utilisation_target = *util;
      out_.sizing_sources["utilisation_target"] = v.where("utilisation_target");
    }
    SUANLI_ASSIGN(auto peak, number_in(v, "peak_to_mean", 1, 20));
    if (peak) {
      out_.peak_to_mean = *peak;
      out_.sizing_sources["peak_to_mean"] = v.where("peak_to_mean");
    }
    SUANLI_ASSIGN(auto goodput, v.boolean("goodput"));
    out_.with_goodput = goodput.value_or(true);
    SUANLI_TRY(v.finish());
    out_.cost.pue = default_pue_;
    out_.cost.tariff_usd_per_kwh = default_tariff_;
    out_.cost.node_power_overhead = node_power_overhead_;
    out_.cost.power_load_factor = p().power_load_factor;
    p().operations_fraction = out_.cost.operations_fraction;
    p().facility_usd_per_kw_month = out_.cost.facility_usd_per_kw_month;
    return {};
  }

  // --- [[site]] -----------------------------------------------------------

  Result<void> read_sites(const TomlView& root) {
    SUANLI_ASSIGN(auto views, table_array(root, "site"));
    if (views.empty()) return bad(root, "site", "a plan needs at least one [[site]]");
    std::map<std::string, std::string> seen;
    for (const TomlView& v : views) {
      PlanSite s;
      SUANLI_ASSIGN(s.name, required_name(v, "name"));
      if (auto it = seen.find(s.name); it != seen.end()) {
        return bad(v, "name",
                   fmt::format("duplicate site '{}' (first declared at {})", s.name, it->second));
      }
      seen[s.name] = v.where("name");
      SUANLI_ASSIGN(auto mw, zero_or_in(v, "power_mw", 1e-3, kMaxSitePowerMw));
      if (mw) s.power_kw = *mw * 1000;
      SUANLI_ASSIGN(auto racks, zero_or_in(v, "racks", 1e-2, kMaxRacks));
      if (racks) s.racks = *racks;
      SUANLI_ASSIGN(auto pue, number_in(v, "pue", kMinPue, kMaxPue));
      s.pue = pue ? *pue : default_pue_;
      SUANLI_ASSIGN(auto tariff, number_in(v, "tariff_usd_per_kwh", 0, kMaxTariffUsdPerKwh));
      s.tariff_usd_per_kwh = tariff ? *tariff : default_tariff_;
      SUANLI_TRY(v.finish());
      p().sites.push_back(std::move(s));
    }
    return {};
  }

  Result<int> site_index(const TomlView& v, std::string_view key, const std::string& name) const {
    std::vector<std::string> names;
    for (std::size_t i = 0; i < out_.problem.sites.size(); ++i) {
      if (out_.problem.sites[i].name == name) return static_cast<int>(i);
      names.push_back(out_.problem.sites[i].name);
    }
    return bad(v, key,
               fmt::format("unknown site '{}'; declared sites: {}", name, join(names, ", ")));
  }

  // --- [[candidate]] and [[existing]] --------------------------------------

  Result<const Accelerator*> catalog_accel(const TomlView& v, std::string_view key,
                                           const std::string& id) const {
    auto a = catalog_.accelerator(id);
    if (!a) return bad(v, key, a.error().message);
    return *a;
  }

  // The catalog-derived fields of a type; `v` is where the type was declared.
  Result<PlanType> base_type(const TomlView& v, const Accelerator& a,
                             std::optional<int> node_devices, std::optional<double> node_power_kw) {
    PlanType t;
    t.id = a.id;
    t.name = a.name;
    t.origin = a.origin;
    t.domestic = a.domestic();
    t.node_devices = node_devices ? *node_devices : a.node_devices;
    if (t.node_devices < 1) {
      return bad(v, "accelerator",
                 fmt::format("the catalog gives {} devices per node for {}; set node_devices",
                             t.node_devices, a.id));
    }
    if (node_power_kw) {
      t.node_power_kw = *node_power_kw;
    } else {
      if (!a.tdp_w) {
        return bad(v, "accelerator",
                   fmt::format("{} has no TDP in the catalog; set node_power_kw", a.id));
      }
      t.node_power_kw = a.tdp_w->value * t.node_devices * node_power_overhead_ / 1000;
      if (a.tdp_w->unverified()) t.unverified.emplace_back("tdp_w");
      if (!(t.node_power_kw > 0 && t.node_power_kw <= kMaxNodePowerKw)) {
        return bad(v, "accelerator",
                   fmt::format("the catalog's TDP of {} gives {} kW per node, outside (0, {}]; "
                               "set node_power_kw",
                               a.id, t.node_power_kw, kMaxNodePowerKw));
      }
    }
    const auto& bf16 = a.rate(Precision::kBf16);
    const auto& fp16 = a.rate(Precision::kFp16);
    if (bf16) {
      t.compute_per_device = bf16->value;
      if (bf16->unverified()) t.unverified.emplace_back("bf16_tflops");
    } else if (fp16) {
      t.compute_per_device = fp16->value;
      if (fp16->unverified()) t.unverified.emplace_back("fp16_tflops");
    } else {
      return bad(v, "accelerator",
                 fmt::format("{} has no dense BF16 or FP16 rate in the catalog (the "
                             "domestic-share compute measure)",
                             a.id));
    }
    return t;
  }

  // A chip whose China status bars buying it there is not bought or rented
  // unless the candidate states the assumption that it can be
  // (`assume_available = "why"`); a cap or rental given for it without one
  // is an error, not silently dropped.
  Result<void> apply_china_status(const TomlView& v, const Accelerator& a, PlanType& t) {
    t.china_status = std::string(china_status_name(a.china_status));
    t.china_status_confirmed = a.china_status_confirmed;
    const bool bars = a.china_status == ChinaStatus::kImportBlocked ||
                      a.china_status == ChinaStatus::kPresumptionOfDenial ||
                      a.china_status == ChinaStatus::kNotOffered;
    SUANLI_ASSIGN(auto assume, v.string("assume_available"));
    const std::string status =
        fmt::format("{}'s China status is {}", a.id,
                    dated_china_status(t.china_status, t.china_status_confirmed));
    if (assume) {
      if (assume->empty()) {
        return bad(v, "assume_available", "expected the assumption in words (a non-empty string)");
      }
      if (!bars) {
        return bad(v, "assume_available",
                   status + ", which does not bar buying it: remove assume_available");
      }
      t.assumption = *assume;
      return {};
    }
    if (!bars) return {};
    for (const char* key :
         {"supply_cap_devices", "rental_usd_per_hour", "rentable", "rental_max_devices"}) {
      if (v.node(key)) {
        return bad(v, key,
                   status +
                       ": it cannot be bought or rented there. State the assumption that "
                       "it can with assume_available = \"...\" (the plan is then also "
                       "priced without it), or remove " +
                       key);
      }
    }
    t.barred = true;
    t.supply_cap_devices.assign(t.supply_cap_devices.size(), 0.0);
    t.rental_usd_per_device_hour = 0;
    t.rental_max_devices = 0;
    return {};
  }

  Result<void> read_candidates(const TomlView& root) {
    SUANLI_ASSIGN(auto views, table_array(root, "candidate"));
    if (views.empty()) return bad(root, "candidate", "a plan needs at least one [[candidate]]");
    const int years = p().years;
    for (const TomlView& v : views) {
      SUANLI_ASSIGN(auto id, required_name(v, "accelerator"));
      SUANLI_ASSIGN(const Accelerator* a, catalog_accel(v, "accelerator", id));
      if (auto it = type_where_.find(a->id); it != type_where_.end()) {
        return bad(
            v, "accelerator",
            fmt::format("duplicate candidate '{}' (first declared at {})", a->id, it->second));
      }
      type_where_[a->id] = v.where("accelerator");
      SUANLI_ASSIGN(auto node_devices, int_in(v, "node_devices", 1, 1024));
      SUANLI_ASSIGN(auto node_kw, positive_max(v, "node_power_kw", kMaxNodePowerKw));
      SUANLI_ASSIGN(PlanType t, base_type(v, *a, node_devices, node_kw));
      SUANLI_ASSIGN(auto name, v.string("name"));
      if (name) {
        if (name->empty()) return bad(v, "name", "expected a non-empty string");
        t.name = *name;
      }

      SUANLI_ASSIGN(auto price, number_in(v, "price_usd", 0, kMaxPriceUsd));
      if (!price) {
        if (!a->price_usd) {
          return bad(v, "price_usd",
                     fmt::format("{} has no purchase price in the catalog; set price_usd", a->id));
        }
        price = a->price_usd->value;
        if (a->price_usd->unverified()) t.unverified.emplace_back("price_usd");
        if (!(*price >= 0 && *price <= kMaxPriceUsd)) {
          return bad(v, "price_usd",
                     fmt::format("the catalog's price of {} is outside [0, {}]; set price_usd",
                                 a->id, kMaxPriceUsd));
        }
      }
      t.node_price_usd = *price * t.node_devices;
      SUANLI_ASSIGN(auto levy, number_in(v, "levy", 0, kMaxLevy));
      t.levy_fraction = levy ? *levy : 0.0;
      out_.cost.levy[a->id] = t.levy_fraction;
      out_.cost.price_usd[a->id] = *price;

      // Supply cap: a number for every year or one per year.
      t.supply_cap_devices.assign(years, kNoLimit);
      if (const toml::node* cap = v.node("supply_cap_devices")) {
        if (const toml::array* arr = cap->as_array()) {
          if (static_cast<int>(arr->size()) != years) {
            return bad(
                v, "supply_cap_devices",
                fmt::format("expected one entry per plan year ({}), got {}", years, arr->size()));
          }
          for (int y = 0; y < years; ++y) {
            const toml::node* e = arr->get(y);
            const std::optional<double> x = node_number(*e);
            if (!x || !(*x >= 0 && *x <= kMaxDevices)) {
              return bad(v, "supply_cap_devices",
                         fmt::format("expected numbers from 0 to {} (devices deliverable per year)",
                                     kMaxDevices));
            }
            t.supply_cap_devices[y] = *x;
          }
        } else {
          SUANLI_ASSIGN(auto c, number_in(v, "supply_cap_devices", 0, kMaxDevices));
          t.supply_cap_devices.assign(years, *c);
        }
      }

      SUANLI_ASSIGN(auto rental, positive_max(v, "rental_usd_per_hour", kMaxRentalUsdPerHour));
      SUANLI_ASSIGN(auto rentable, v.boolean("rentable"));
      if (rentable && !*rentable && rental) {
        return bad(v, "rentable",
                   "rentable = false conflicts with rental_usd_per_hour (remove one of them)");
      }
      if (rental) {
        t.rental_usd_per_device_hour = *rental;
      } else if (rentable && *rentable) {
        if (!a->rental_usd_per_hour || a->rental_usd_per_hour->value <= 0) {
          return bad(
              v, "rentable",
              fmt::format("{} has no rental price in the catalog; set rental_usd_per_hour", a->id));
        }
        t.rental_usd_per_device_hour = a->rental_usd_per_hour->value;
        if (!(t.rental_usd_per_device_hour <= kMaxRentalUsdPerHour)) {
          return bad(v, "rentable",
                     fmt::format("the catalog's rental price of {} is above {}; set "
                                 "rental_usd_per_hour",
                                 a->id, kMaxRentalUsdPerHour));
        }
        if (a->rental_usd_per_hour->unverified()) t.unverified.emplace_back("rental_usd_per_hour");
      }
      SUANLI_ASSIGN(auto rental_max, number_in(v, "rental_max_devices", 0, kMaxDevices));
      if (rental_max && t.rental_usd_per_device_hour <= 0) {
        return bad(v, "rental_max_devices",
                   "the type is not rentable (set rental_usd_per_hour or rentable = true)");
      }
      if (t.rental_usd_per_device_hour > 0)
        t.rental_max_devices = rental_max ? *rental_max : kNoLimit;
      SUANLI_TRY(apply_china_status(v, *a, t));

      SUANLI_ASSIGN(auto per_rack, positive_max(v, "nodes_per_rack", kMaxNodesPerRack));
      t.nodes_per_rack = per_rack ? *per_rack : 4.0;
      SUANLI_ASSIGN(auto sites, string_array(v, "sites"));
      if (sites) {
        for (const std::string& s : *sites) {
          SUANLI_ASSIGN(int idx, site_index(v, "sites", s));
          if (std::find(t.sites.begin(), t.sites.end(), idx) == t.sites.end())
            t.sites.push_back(idx);
        }
        if (t.sites.empty()) return bad(v, "sites", "expected at least one site (omit it for all)");
      }
      SUANLI_TRY(v.finish());
      accels_.push_back(a);
      p().types.push_back(std::move(t));
    }
    return {};
  }

  int type_index(std::string_view id) const {
    for (std::size_t i = 0; i < out_.problem.types.size(); ++i)
      if (out_.problem.types[i].id == id) return static_cast<int>(i);
    return -1;
  }

  std::vector<std::string> type_ids() const {
    std::vector<std::string> ids;
    for (const auto& t : out_.problem.types) ids.push_back(t.id);
    return ids;
  }

  Result<void> read_existing(const TomlView& root) {
    SUANLI_ASSIGN(auto views, table_array(root, "existing"));
    for (const TomlView& v : views) {
      SUANLI_ASSIGN(auto id, required_name(v, "accelerator"));
      SUANLI_ASSIGN(const Accelerator* a, catalog_accel(v, "accelerator", id));
      SUANLI_ASSIGN(auto site_name, required_name(v, "site"));
      ExistingNodes e;
      SUANLI_ASSIGN(e.site, site_index(v, "site", site_name));
      SUANLI_ASSIGN(e.nodes, required_int_in(v, "nodes", 1, kMaxExistingNodes));
      SUANLI_TRY(v.finish());
      int t = type_index(a->id);
      if (t < 0) {
        // Owned but not a candidate: a type that cannot be bought (supply
        // cap 0 every year) nor rented, priced from the catalog if known.
        SUANLI_ASSIGN(PlanType type, base_type(v, *a, std::nullopt, std::nullopt));
        if (a->price_usd) {
          type.node_price_usd = a->price_usd->value * type.node_devices;
          if (a->price_usd->unverified()) type.unverified.emplace_back("price_usd");
        }
        type.supply_cap_devices.assign(p().years, 0.0);
        type_where_[a->id] = v.where("accelerator");
        accels_.push_back(a);
        p().types.push_back(std::move(type));
        t = static_cast<int>(p().types.size()) - 1;
      }
      e.type = t;
      p().existing.push_back(e);
    }
    return {};
  }

  // --- [[scenario]] ----------------------------------------------------------

  Result<void> read_scenarios(const TomlView& root) {
    SUANLI_ASSIGN(auto views, table_array(root, "scenario"));
    std::map<std::string, std::string> seen;
    double sum = 0;
    for (const TomlView& v : views) {
      SupplyScenario s;
      SUANLI_ASSIGN(s.name, required_name(v, "name"));
      if (auto it = seen.find(s.name); it != seen.end()) {
        return bad(
            v, "name",
            fmt::format("duplicate scenario '{}' (first declared at {})", s.name, it->second));
      }
      seen[s.name] = v.where("name");
      SUANLI_ASSIGN(auto prob, in_range(v, "probability", 0, 1));
      if (!prob) return std::unexpected(v.missing("probability", "a number in [0, 1]"));
      s.probability = *prob;
      sum += *prob;
      s.cut.assign(p().types.size(), false);
      SUANLI_ASSIGN(auto origins, origin_array(v, "cut_origins"));
      if (origins) {
        for (std::size_t t = 0; t < p().types.size(); ++t) {
          if (std::find(origins->begin(), origins->end(), p().types[t].origin) != origins->end())
            s.cut[t] = true;
        }
      }
      SUANLI_ASSIGN(auto types, string_array(v, "cut_types"));
      if (types) {
        for (const std::string& id : *types) {
          SUANLI_TRY(catalog_accel(v, "cut_types", id));
          const int t = type_index(id);
          if (t < 0) {
            return bad(v, "cut_types",
                       fmt::format("'{}' is not a plan type (candidates and existing: {})", id,
                                   join(type_ids(), ", ")));
          }
          s.cut[t] = true;
        }
      }
      SUANLI_ASSIGN(auto from, int_in(v, "from_year", 1, p().years));
      s.from_year = from ? *from : 1;
      SUANLI_ASSIGN(auto lost, v.boolean("installed_lost"));
      s.installed_lost = lost && *lost;
      SUANLI_TRY(v.finish());
      p().scenarios.push_back(std::move(s));
    }
    if (!views.empty() && std::fabs(sum - 1.0) > 1e-6) {
      return std::unexpected(
          Error{ErrorCode::kParse,
                fmt::format("{}: scenario.probability: the [[scenario]] probabilities sum to {}, "
                            "expected 1",
                            views.front().where("probability"), fmt::format("{:.6g}", sum))});
    }
    return {};
  }

  // --- [policy] ------------------------------------------------------------

  Result<void> read_policy(const TomlView& root) {
    SUANLI_ASSIGN(auto opt, root.subtable("policy"));
    toml::table empty;
    const TomlView v = opt ? *opt : TomlView(empty, file_, "policy");
    PlanPolicy& pol = p().policy;
    SUANLI_ASSIGN(pol.domestic_share_min, in_range(v, "domestic_share_min", 0, 1));
    SUANLI_ASSIGN(auto measure, v.string("share_measure"));
    if (measure) {
      if (*measure == "compute") {
        pol.share_measure = ShareMeasure::kCompute;
      } else if (*measure == "devices") {
        pol.share_measure = ShareMeasure::kDevices;
      } else {
        return bad(v, "share_measure",
                   fmt::format("expected compute or devices, got '{}'", *measure));
      }
    }
    SUANLI_ASSIGN(auto sensitive, v.boolean("sensitive_domestic_only"));
    pol.sensitive_domestic_only = sensitive ? *sensitive : true;
    SUANLI_ASSIGN(auto risk, v.string("risk"));
    pol.risk = RiskMode::kNone;
    if (risk) {
      if (*risk == "none") {
        pol.risk = RiskMode::kNone;
      } else if (*risk == "robust") {
        pol.risk = RiskMode::kRobust;
      } else if (*risk == "expected") {
        pol.risk = RiskMode::kExpected;
      } else if (*risk == "both") {
        pol.risk = RiskMode::kBoth;
      } else {
        return bad(v, "risk",
                   fmt::format("expected none, robust, expected or both, got '{}'", *risk));
      }
    }
    SUANLI_TRY(v.finish());
    if (pol.risk != RiskMode::kNone && p().scenarios.empty()) {
      return bad(v, "risk",
                 fmt::format("risk = \"{}\" needs supply scenarios ([[scenario]]); use \"none\" "
                             "without them",
                             *risk));
    }
    return {};
  }

  // --- [[training]] and [[inference]] ------------------------------------------

  Result<DemandCommon> read_common(const TomlView& v) {
    DemandCommon c;
    SUANLI_ASSIGN(c.name, required_name(v, "name"));
    if (auto it = demand_where_.find(c.name); it != demand_where_.end()) {
      return bad(
          v, "name",
          fmt::format("duplicate demand item '{}' (first declared at {})", c.name, it->second));
    }
    demand_where_[c.name] = v.where("name");
    SUANLI_ASSIGN(auto tenant, v.string("tenant"));
    if (tenant) c.tenant = *tenant;
    SUANLI_ASSIGN(auto sens, v.string("sensitivity"));
    if (sens) {
      auto s = parse_sensitivity(*sens);
      if (!s) {
        return bad(
            v, "sensitivity",
            fmt::format("expected public, internal, confidential or secret, got '{}'", *sens));
      }
      c.sensitivity = *s;
    }
    SUANLI_ASSIGN(auto core, v.boolean("core"));
    c.core = core && *core;
    c.first_year = 1;
    c.last_year = p().years;
    if (const toml::node* y = v.node("years")) {
      const toml::array* arr = y->as_array();
      auto year_of = [&](const toml::node* n) -> std::optional<int> {
        if (!n || !n->is_integer()) return std::nullopt;
        const long long x = *n->value<long long>();
        if (x < 1 || x > p().years) return std::nullopt;
        return static_cast<int>(x);
      };
      const std::string expected = fmt::format(
          "expected [first, last] plan years (integers from 1 to {}, first <= last) or one year",
          p().years);
      if (arr) {
        if (arr->size() != 2) return bad(v, "years", expected);
        auto a = year_of(arr->get(0));
        auto b = year_of(arr->get(1));
        if (!a || !b || *a > *b) return bad(v, "years", expected);
        c.first_year = *a;
        c.last_year = *b;
      } else {
        auto a = year_of(y);
        if (!a) return bad(v, "years", expected);
        c.first_year = c.last_year = *a;
      }
    }
    SUANLI_ASSIGN(c.penalty, number_in(v, "shortfall_penalty_usd", 0, kMaxPenaltyUsd));
    if (!c.penalty) c.penalty = default_penalty_;
    const RiskMode risk = p().policy.risk;
    if ((risk == RiskMode::kExpected || risk == RiskMode::kBoth) && !c.penalty) {
      return bad(v, "shortfall_penalty_usd",
                 "the expected-shortfall risk mode needs a penalty: set it here or "
                 "plan.shortfall_penalty_usd");
    }
    return c;
  }

  PlanDemand make_demand(const DemandCommon& c, DemandKind kind, Text description) {
    PlanDemand d;
    d.name = c.name;
    d.kind = kind;
    d.tenant = c.tenant;
    d.description = std::move(description);
    d.sensitive = c.sensitivity >= Sensitivity::kConfidential;
    d.core = c.core;
    d.first_year = c.first_year;
    d.last_year = c.last_year;
    d.indivisible = kind == DemandKind::kTraining;
    d.shortfall_penalty_usd = c.penalty ? *c.penalty : 0.0;
    out_.sensitivity.push_back(c.sensitivity);
    out_.demand_tenant.push_back(c.tenant);
    return d;
  }

  Result<const ModelArch*> model_of(const TomlView& v) const {
    SUANLI_ASSIGN(auto id, required_name(v, "model"));
    auto m = catalog_.model(id);
    if (!m) return bad(v, "model", m.error().message);
    return *m;
  }

  Result<void> read_demands(const TomlView& root) {
    SUANLI_ASSIGN(auto train_views, table_array(root, "training"));
    SUANLI_ASSIGN(auto infer_views, table_array(root, "inference"));
    if (train_views.empty() && infer_views.empty()) {
      return bad(root, "training", "a plan needs at least one [[training]] or [[inference]] item");
    }
    for (const TomlView& v : train_views) {
      SUANLI_ASSIGN(DemandCommon c, read_common(v));
      PlanTraining t;
      t.name = c.name;
      SUANLI_ASSIGN(const ModelArch* m, model_of(v));
      t.model = m->id;
      SUANLI_ASSIGN(t.tokens, required_number_in(v, "tokens", 1e6, kMaxTrainingTokens));
      SUANLI_ASSIGN(t.deadline_days, required_positive(v, "deadline_days", kMaxDeadlineDays));
      // The run's other keys are estimate train's, read through its table
      // (the model is a catalog ID; time-to-train's interruptions are the
      // plan's `goodput` switch).
      TomlFieldReader reader(v);
      SUANLI_TRY(read_train_run_fields(reader, t.run));
      t.run.model = t.model;
      t.run.tokens = t.tokens;
      if (auto w = make_train_step_workload(catalog_, t.run); !w)
        return bad(v, "", w.error().message);
      SUANLI_TRY(v.finish());  // read_common read the keys both kinds share
      t.defined_at = v.where();
      p().demands.push_back(make_demand(
          c, DemandKind::kTraining,
          Text("{model}, {tokens} tokens in {days} days",
               {{"model", t.model}, {"tokens", sci(t.tokens)}, {"days", num(t.deadline_days)}})));
      out_.training.push_back(std::move(t));
      demand_views_.push_back(v);
    }
    for (const TomlView& v : infer_views) SUANLI_TRY(read_inference_item(v));
    return {};
  }

  // An [[inference]] item: the rate to serve and estimate infer's run.
  Result<void> read_inference_item(const TomlView& v) {
    SUANLI_ASSIGN(DemandCommon c, read_common(v));
    PlanInference in;
    in.name = c.name;
    SUANLI_ASSIGN(const ModelArch* m, model_of(v));
    in.model = m->id;
    SUANLI_ASSIGN(in.output_tokens_per_s,
                  required_number_in(v, "output_tokens_per_s", 1e-3, kMaxTokensPerS));
    // The run's keys are estimate infer's, read through its table; a plan
    // sizes each chip at its best precision unless the item names one.
    InferRequest& run = in.run;
    SUANLI_TRY(read_renamed_infer_keys(v, run));
    TomlFieldReader reader(v);
    SUANLI_TRY(read_infer_run_fields(reader, run, /*lengths_required=*/false));
    // Required here, under either name (the reader above allowed them absent).
    constexpr std::string_view kTokens = "an integer >= 1 (tokens per request)";
    if (run.input_len == 0) return std::unexpected(v.missing("input_len", kTokens));
    if (run.output_len == 0) return std::unexpected(v.missing("output_len", kTokens));
    run.model = in.model;
    SUANLI_TRY(check_infer_run(reader, catalog_, run));
    SUANLI_TRY(v.finish());
    in.defined_at = v.where();
    std::string limits;  // units and acronyms only: the same in every language
    if (run.ttft_slo_ms) limits += fmt::format(", TTFT {} ms", num(*run.ttft_slo_ms));
    if (run.tpot_slo_ms) limits += fmt::format(", TPOT {} ms", num(*run.tpot_slo_ms));
    p().demands.push_back(
        make_demand(c, DemandKind::kInference,
                    Text("{model}, {rate} output tokens/s, {input} in / {output} out{limits}",
                         {{"model", in.model},
                          {"rate", sci(in.output_tokens_per_s)},
                          {"input", std::to_string(run.input_len)},
                          {"output", std::to_string(run.output_len)},
                          {"limits", limits}})));
    out_.inference.push_back(std::move(in));
    demand_views_.push_back(v);
    return {};
  }

  // The [[inference]] keys' names before they became estimate infer's: still
  // read, under the new key's rules, with a warning to rename them.
  Result<void> read_renamed_infer_keys(const TomlView& v, InferRequest& run) {
    static constexpr std::array<std::pair<std::string_view, std::string_view>, 4> kRenamed = {{
        {"input_tokens", "input_len"},
        {"output_tokens", "output_len"},
        {"ttft_ms", "ttft_slo_ms"},
        {"tpot_ms", "tpot_slo_ms"},
    }};
    TomlFieldReader reader(v);
    for (const auto& [old_name, name] : kRenamed) {
      if (!v.table().contains(old_name)) continue;
      if (v.table().contains(name)) {
        return bad(v, old_name, fmt::format("is the old name of {}; give {} only", name, name));
      }
      const RequestField<InferRequest>* f = find_field(infer_workload_fields(), name);
      FieldSpec spec = f->spec;  // the table defines every new name
      spec.name = old_name;
      spec.required = false;
      SUANLI_TRY(std::visit(
          [&](auto member) { return read_spec_value(reader, spec, run.*member); }, f->member));
      out_.warnings.push_back(
          fmt::format("{}: {} is now {} (estimate infer's name); the old name will be removed",
                      v.where(old_name), old_name, name));
    }
    return {};
  }

  // --- [report] --------------------------------------------------------------

  Result<void> read_report(const TomlView& root, const toml::table& doc) {
    SUANLI_ASSIGN(auto opt, root.subtable("report"));
    if (!opt) return {};
    const TomlView& v = *opt;
    SUANLI_ASSIGN(auto sweeps, table_array(v, "sweep"));
    SUANLI_TRY(v.finish());
    for (const TomlView& s : sweeps) {
      PlanSweep sweep;
      SUANLI_ASSIGN(sweep.key, required_name(s, "key"));
      const toml::node* values = s.node("values");
      if (!values) return std::unexpected(s.missing("values", "an array of values"));
      const toml::array* arr = values->as_array();
      if (!arr || arr->empty()) return bad(s, "values", "expected a non-empty array of values");
      for (const toml::node& e : *arr) sweep.values.push_back(toml_literal(e));
      SUANLI_TRY(s.finish());
      // The key must lead somewhere in this file.
      toml::table copy = doc;
      auto applied = apply_plan_override(copy, PlanOverride{sweep.key, sweep.values.front()});
      if (!applied) return bad(s, "key", applied.error().message);
      out_.report_sweeps.push_back(std::move(sweep));
    }
    return {};
  }

  // --- sizing ----------------------------------------------------------------

  Result<void> size_demands() {
    const std::size_t types = p().types.size();
    out_.sizing.assign(p().demands.size(), std::vector<SizingDetail>(types));
    for (std::size_t d = 0; d < p().demands.size(); ++d) {
      PlanDemand& demand = p().demands[d];
      demand.devices.assign(types, kCannotServe);
      demand.why_not.assign(types, "");
      std::vector<std::string> reasons;
      bool any = false;
      for (std::size_t t = 0; t < types; ++t) {
        SizingDetail s = demand.kind == DemandKind::kTraining
                             ? size_training(out_.training[d], t)
                             : size_inference(out_.inference[d - out_.training.size()], t);
        if (s.ok) {
          demand.devices[t] = s.devices;
          any = true;
        } else {
          demand.why_not[t] = s.why_not;
          reasons.push_back(fmt::format("{}: {}", p().types[t].id, s.why_not));
        }
        out_.sizing[d][t] = std::move(s);
      }
      if (!any) {
        const TomlView& v = demand_views_[d];
        return std::unexpected(
            Error{ErrorCode::kInfeasible,
                  fmt::format("{}: {} ({}): no candidate type can serve it: {}", v.where(),
                              v.path(), demand.name, join(reasons, "; "))});
      }
    }
    return {};
  }

  // One training run on `devices` devices of type t.
  struct TrainTry {
    bool ok = false;
    std::string error;
    TrainEstimate estimate;
    double wall_s = 0;                    // time to train on this gang, goodput counted
    double p10_ratio = 1, p90_ratio = 1;  // throughput interval over the point
  };

  TrainTry train_at(const TrainWorkload& w, std::size_t t, int devices) {
    TrainTry out;
    auto rows = compare_train(catalog_, w, {accels_[t]->id}, CompareSizing{devices, {}});
    if (!rows) {
      out.error = rows.error().message;
      return out;
    }
    const TrainCompareRow& row = rows->front();
    if (!row.ok) {
      out.error = row.error;
      return out;
    }
    out.ok = row.estimate.tokens_per_s > 0;
    if (!out.ok) out.error = "the estimator gives no throughput";
    out.estimate = row.estimate;
    // Wall time with goodput (train_totals); steady state when goodput is
    // off or cannot hold (interruptions faster than progress: never passes).
    out.wall_s = row.totals.time_to_train_days * kSecondsPerDay;
    if (row.interval && row.estimate.tokens_per_s > 0) {
      out.p10_ratio = row.interval->tokens_per_s.p10 / row.estimate.tokens_per_s;
      out.p90_ratio = row.interval->tokens_per_s.p90 / row.estimate.tokens_per_s;
    }
    if (w.goodput && !row.totals.goodput) {
      out.ok = false;
      out.error = row.totals.goodput_error;
    }
    return out;
  }

  SizingDetail size_training(const PlanTraining& job, std::size_t t) {
    SizingDetail s;
    // Checked when the item was read; the plan prices device-hours itself.
    TrainWorkload w = *make_train_step_workload(catalog_, job.run);
    if (out_.with_goodput) w.goodput = out_.goodput;
    const int nd = p().types[t].node_devices;
    const double deadline_s = job.deadline_days * kSecondsPerDay;
    const int max_nodes = std::max(1, kMaxTrainDevices / nd);

    std::map<int, TrainTry> tried;  // by node count
    auto attempt = [&](int nodes) -> const TrainTry& {
      auto it = tried.find(nodes);
      if (it == tried.end()) it = tried.emplace(nodes, train_at(w, t, nodes * nd)).first;
      return it->second;
    };
    auto passes = [&](int nodes) {
      const TrainTry& r = attempt(nodes);
      return r.ok && r.wall_s <= deadline_s;
    };

    int fail_nodes = 0;  // largest doubling known to fail (0: none tried)
    int pass_nodes = 0;
    for (int nodes = 1;; nodes *= 2) {
      if (nodes > max_nodes) nodes = max_nodes;
      if (passes(nodes)) {
        pass_nodes = nodes;
        break;
      }
      fail_nodes = nodes;
      if (nodes >= max_nodes) break;
    }
    if (pass_nodes == 0) {
      // Why not: the fastest size tried, or the estimator's error at the cap.
      const TrainTry* best = nullptr;
      int best_nodes = 0;
      for (const auto& [n, r] : tried) {
        if (r.ok && (!best || r.estimate.tokens_per_s > best->estimate.tokens_per_s)) {
          best = &r;
          best_nodes = n;
        }
      }
      if (best) {
        const double days = best->wall_s / kSecondsPerDay;
        s.why_not = best_nodes == max_nodes
                        ? fmt::format("needs {} days at the {}-device cap, deadline {}",
                                      num(std::ceil(days)),
                                      thousands(static_cast<long long>(best_nodes) * nd),
                                      num(job.deadline_days))
                        : fmt::format("needs at least {} days (fastest at {} devices), deadline {}",
                                      num(std::ceil(days)),
                                      thousands(static_cast<long long>(best_nodes) * nd),
                                      num(job.deadline_days));
      } else {
        s.why_not = attempt(max_nodes).error;
        if (s.why_not.empty()) s.why_not = "the estimator finds no layout";
      }
      return s;
    }
    // Binary search between the last failing and the first passing doubling.
    int lo = fail_nodes;
    int hi = pass_nodes;
    while (hi - lo > 1) {
      const int mid = lo + (hi - lo) / 2;
      if (passes(mid))
        hi = mid;
      else
        lo = mid;
    }
    const TrainTry& chosen = attempt(hi);
    const TrainEstimate& e = chosen.estimate;
    const int n = hi * nd;
    s.ok = true;
    // The gang, and the fleet share it takes at the utilisation target.
    s.devices = n / out_.utilisation_target;
    s.unit_devices = n;
    s.per_device_rate = e.tokens_per_s / n;
    s.mfu = e.mfu;
    s.days = chosen.wall_s / kSecondsPerDay;
    s.steady_days = job.tokens / e.tokens_per_s / kSecondsPerDay;
    s.goodput = s.days > 0 ? s.steady_days / s.days : 1.0;
    s.rate_p10_ratio = chosen.p10_ratio;
    s.rate_p90_ratio = chosen.p90_ratio;
    s.precision = std::string(precision_name(w.precision));
    std::string layout = fmt::format("TP{} PP{} DP{}", e.par.tp, e.par.pp, e.par.dp);
    if (e.par.cp > 1) layout += fmt::format(" CP{}", e.par.cp);
    if (e.par.ep > 1) layout += fmt::format(" EP{}", e.par.ep);
    s.layout = std::move(layout);
    return s;
  }

  SizingDetail size_inference(const PlanInference& job, std::size_t t) {
    SizingDetail s;
    const Accelerator& a = *accels_[t];
    auto run = make_infer_step_workload(catalog_, job.run);  // checked when read
    if (!run) {
      s.why_not = run.error().message;
      return s;
    }
    InferWorkload& w = *run;
    const std::optional<double>& tpot_ms = job.run.tpot_slo_ms;
    const std::optional<double>& ttft_ms = job.run.ttft_slo_ms;

    int domain = p().types[t].node_devices;
    if (a.scaleup_domain && a.scaleup_domain->value >= 1) {
      domain = static_cast<int>(std::min(a.scaleup_domain->value, 1e6));
    }
    const int upper = std::max(1, std::min(domain, kMaxInstanceDevices));

    bool have = false;
    InferEstimate best;
    std::string last_error;
    for (int d = 1; d <= kMaxInstanceDevices; d *= 2) {
      // Past the scale-up domain only while nothing fits yet (weights too big).
      if (d > upper && have) break;
      auto rows = compare_infer(catalog_, w, {a.id}, CompareSizing{d, {}});
      if (!rows) {
        last_error = rows.error().message;
        continue;
      }
      const InferCompareRow& row = rows->front();
      if (!row.ok) {
        last_error = row.error;
        continue;
      }
      const InferEstimate& e = row.estimate;
      if (!e.fits || e.output_tokens_per_s <= 0) {
        last_error = e.why_not.empty() ? "does not fit" : e.why_not;
        continue;
      }
      if (tpot_ms && e.tpot_s * 1000 > *tpot_ms * (1 + 1e-9)) {
        last_error = fmt::format("TPOT {:.1f} ms on {} devices exceeds the {} ms SLO",
                                 e.tpot_s * 1000, d, num(*tpot_ms));
        continue;
      }
      if (ttft_ms && e.ttft_s * 1000 > *ttft_ms * (1 + 1e-9)) {
        last_error = fmt::format("TTFT {:.0f} ms on {} devices exceeds the {} ms SLO",
                                 e.ttft_s * 1000, d, num(*ttft_ms));
        continue;
      }
      if (!have ||
          e.output_tokens_per_s_per_device > best.output_tokens_per_s_per_device * (1 + 1e-9)) {
        best = e;
        have = true;
        s.precision = std::string(precision_name(row.precision));
        if (row.interval && e.output_tokens_per_s > 0) {
          s.rate_p10_ratio = row.interval->output_tokens_per_s.p10 / e.output_tokens_per_s;
          s.rate_p90_ratio = row.interval->output_tokens_per_s.p90 / e.output_tokens_per_s;
        }
      }
    }
    if (!have) {
      s.why_not = last_error.empty() ? "no serving layout fits" : last_error;
      return s;
    }
    const int unit = std::max(1, best.layout.instance_devices);
    const double unit_rate = best.output_tokens_per_s / std::max(1, best.layout.instances);
    // Provisioned for the peak, not the mean.
    const double instances =
        std::ceil(job.output_tokens_per_s * out_.peak_to_mean / unit_rate - 1e-9);
    s.ok = true;
    s.unit_devices = unit;
    s.devices = std::max(1.0, instances) * unit;
    s.per_device_rate = unit_rate / unit;
    s.ttft_ms = best.ttft_s * 1000;
    s.tpot_ms = best.tpot_s * 1000;
    std::string layout = fmt::format("TP{}", best.layout.tp);
    if (best.layout.ep > 1) layout += fmt::format(" EP{}", best.layout.ep);
    layout += fmt::format(" x {} instances, batch {}", thousands(static_cast<long long>(instances)),
                          best.batch);
    s.layout = std::move(layout);
    return s;
  }

  const Catalog& catalog_;
  std::string file_;
  PlanScenario out_;
  double default_pue_ = 1.3;
  double default_tariff_ = 0.08;
  double node_power_overhead_ = 1.3;
  std::optional<double> default_penalty_;
  std::map<std::string, std::string> type_where_;    // type id -> "file:line"
  std::map<std::string, std::string> demand_where_;  // demand name -> "file:line"
  std::vector<const Accelerator*> accels_;           // per type
  std::vector<TomlView> demand_views_;               // per demand item
};

Result<PlanScenario> load(toml::table& table, const fs::path& file, const Catalog& catalog,
                          const std::vector<PlanOverride>& overrides) {
  for (const PlanOverride& o : overrides) SUANLI_TRY(apply_plan_override(table, o));
  return Loader(catalog, file).run(table);
}

}  // namespace

Result<void> apply_plan_override(toml::table& doc, const PlanOverride& override) {
  // [plan] and [policy] may be absent from a file and still be set.
  static const TomlOverrideOptions options{{"plan", "policy"}, {"name", "accelerator"}};
  return apply_toml_override(doc, override, options);
}

Result<PlanResult> solve_scenario_plan(const PlanScenario& scenario, const PlanOptions& options) {
  SUANLI_ASSIGN(PlanResult r, solve_plan(scenario.problem, options));
  r.warnings.insert(r.warnings.begin(), scenario.warnings.begin(), scenario.warnings.end());
  return r;
}

Result<PlanScenario> load_plan_scenario(const std::filesystem::path& path, const Catalog& catalog,
                                        const std::vector<PlanOverride>& overrides) {
  SUANLI_ASSIGN(auto table, parse_toml_file(path));
  return load(table, path, catalog, overrides);
}

Result<PlanScenario> parse_plan_scenario(std::string_view text, const std::filesystem::path& file,
                                         const Catalog& catalog,
                                         const std::vector<PlanOverride>& overrides) {
  SUANLI_ASSIGN(toml::table table, parse_toml_text(text, file));
  return load(table, file, catalog, overrides);
}

}  // namespace suanli

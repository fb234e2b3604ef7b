#include "plan/sweep.h"

#include <set>

#include <fmt/format.h>
#include <cmath>

#include "util/sheet.h"
#include "util/strings.h"
#include "util/table.h"

namespace suanli {

namespace {

std::vector<std::string> split_top_level(std::string_view text) {
  std::vector<std::string> out;
  std::string cur;
  int depth = 0;
  char quote = 0;
  for (char c : text) {
    if (quote) {
      cur += c;
      if (c == quote) quote = 0;
      continue;
    }
    if (c == '"' || c == '\'') quote = c;
    if (c == '[' || c == '{') ++depth;
    if (c == ']' || c == '}') --depth;
    if (c == ',' && depth == 0) {
      out.push_back(cur);
      cur.clear();
      continue;
    }
    cur += c;
  }
  out.push_back(cur);
  return out;
}

std::string trim(std::string s) {
  const auto b = s.find_first_not_of(" \t");
  const auto e = s.find_last_not_of(" \t");
  return b == std::string::npos ? "" : s.substr(b, e - b + 1);
}

}  // namespace

Result<PlanSweep> parse_sweep_arg(std::string_view text) {
  const auto eq = text.find('=');
  if (eq == std::string_view::npos || eq == 0)
    return fail(
        ErrorCode::kInvalidArgument,
        fmt::format("--sweep {}: expected key=v1,v2,... (e.g. policy.domestic_share_min=0.3,0.5)",
                    text));
  PlanSweep s;
  s.key = trim(std::string(text.substr(0, eq)));
  for (std::string v : split_top_level(text.substr(eq + 1))) {
    v = trim(v);
    if (v.empty())
      return fail(ErrorCode::kInvalidArgument, fmt::format("--sweep {}: empty value", text));
    s.values.push_back(v);
  }
  return s;
}

Result<PlanOverride> parse_set_arg(std::string_view text) {
  const auto eq = text.find('=');
  if (eq == std::string_view::npos || eq == 0 || eq + 1 == text.size())
    return fail(ErrorCode::kInvalidArgument,
                fmt::format("--set {}: expected key=value (e.g. plan.budget_usd=2e9)", text));
  return PlanOverride{trim(std::string(text.substr(0, eq))),
                      trim(std::string(text.substr(eq + 1)))};
}

Result<std::vector<PlanOverride>> parse_set_args(const std::vector<std::string>& texts) {
  std::vector<PlanOverride> out;
  for (const std::string& t : texts) {
    auto o = parse_set_arg(t);
    if (!o) return std::unexpected(o.error());
    out.push_back(std::move(*o));
  }
  return out;
}

Result<std::vector<PlanSweep>> parse_sweep_args(const std::vector<std::string>& texts) {
  std::vector<PlanSweep> out;
  for (const std::string& t : texts) {
    auto s = parse_sweep_arg(t);
    if (!s) return std::unexpected(s.error());
    out.push_back(std::move(*s));
  }
  return out;
}

PlanOptions default_sweep_options() {
  PlanOptions o;
  o.relative_gap = 5e-3;
  o.time_limit_s = 10;
  o.max_nodes = 10'000;  // as the robustness re-solves: the same answer on every machine
  return o;
}

Result<std::size_t> plan_sweep_points(const std::vector<PlanSweep>& sweeps) {
  std::size_t total = 1;
  for (const PlanSweep& s : sweeps) {
    if (s.values.empty())
      return fail(ErrorCode::kInvalidArgument, fmt::format("sweep {}: no values", s.key));
    if (s.values.size() > kMaxPlanSweepPoints || total * s.values.size() > kMaxPlanSweepPoints)
      return fail(ErrorCode::kInvalidArgument,
                  fmt::format("the sweep has more than {} points (the product of the keys' value "
                              "counts); sweep fewer values",
                              kMaxPlanSweepPoints));
    total *= s.values.size();
  }
  return total;
}

namespace {

using PlanLoader = std::function<Result<PlanScenario>(const std::vector<PlanOverride>&)>;

Result<SweepResult> sweep_with(const PlanLoader& load, const std::vector<PlanOverride>& base,
                               const std::vector<PlanSweep>& sweeps, const PlanOptions& options,
                               const SweepProgress& progress) {
  SweepResult out;
  SUANLI_ASSIGN(const std::size_t total, plan_sweep_points(sweeps));
  for (const PlanSweep& s : sweeps) out.keys.push_back(s.key);
  PlanOptions o = options;
  o.policy_costs = false;
  o.marginal_prices = false;
  o.explain_infeasible = false;
  for (std::size_t i = 0; i < total; ++i) {
    SweepPoint point;
    std::vector<PlanOverride> overrides = base;
    std::size_t rest = i;
    point.values.resize(sweeps.size());
    for (std::size_t k = sweeps.size(); k-- > 0;) {
      const std::size_t n = sweeps[k].values.size();
      point.values[k] = sweeps[k].values[rest % n];
      rest /= n;
    }
    for (std::size_t k = 0; k < sweeps.size(); ++k)
      overrides.push_back({sweeps[k].key, point.values[k]});
    if (plan_cancelled(options))
      return fail(ErrorCode::kCancelled,
                  fmt::format("sweep cancelled after {} of {} points", i, total));
    auto scenario = load(overrides);
    if (!scenario) {
      // A key that does not exist is an error of the sweep, not of a point.
      if (i == 0 || scenario.error().message.find("--sweep") != std::string::npos ||
          scenario.error().message.find("no [[") != std::string::npos)
        return std::unexpected(scenario.error());
      point.error = scenario.error().message;
    } else {
      auto r = solve_plan(scenario->problem, o);
      if (!r && r.error().code == ErrorCode::kCancelled) return std::unexpected(r.error());
      if (!r) {
        point.error = r.error().message;
      } else {
        point.status = r->status;
        point.objective_usd = r->objective_usd;
        point.domestic_share = r->domestic_share;
        point.cost = r->cost;
        point.solve_time_s = r->solve_time_s;
        point.gap = r->gap;
        for (const Purchase& x : r->purchases)
          point.devices_by_accelerator[scenario->problem.types[x.type].id] += x.devices;
      }
    }
    out.points.push_back(std::move(point));
    if (progress) progress(static_cast<int>(i + 1), static_cast<int>(total), out.points.back());
  }
  return out;
}

}  // namespace

Result<SweepResult> run_sweep(const std::filesystem::path& file, const Catalog& catalog,
                              const std::vector<PlanOverride>& base,
                              const std::vector<PlanSweep>& sweeps, const PlanOptions& options,
                              const SweepProgress& progress) {
  return sweep_with(
      [&](const std::vector<PlanOverride>& overrides) {
        return load_plan_scenario(file, catalog, overrides);
      },
      base, sweeps, options, progress);
}

Result<SweepResult> run_sweep_text(std::string_view text, const std::filesystem::path& file,
                                   const Catalog& catalog, const std::vector<PlanOverride>& base,
                                   const std::vector<PlanSweep>& sweeps, const PlanOptions& options,
                                   const SweepProgress& progress) {
  return sweep_with(
      [&](const std::vector<PlanOverride>& overrides) {
        return parse_plan_scenario(text, file, catalog, overrides);
      },
      base, sweeps, options, progress);
}

nlohmann::ordered_json sweep_json(const SweepResult& s) {
  nlohmann::ordered_json j;
  j["keys"] = s.keys;
  nlohmann::ordered_json points = nlohmann::ordered_json::array();
  for (const SweepPoint& p : s.points) {
    nlohmann::ordered_json values = nlohmann::ordered_json::object();
    for (std::size_t k = 0; k < s.keys.size(); ++k) values[s.keys[k]] = p.values[k];
    nlohmann::ordered_json e{{"values", std::move(values)}};
    if (!p.error.empty()) {
      e["status"] = "error";
      e["error"] = p.error;
    } else {
      e["status"] = std::string(plan_status_name(p.status));
      if (p.status != PlanStatus::kInfeasible) {
        e["objective_usd"] = p.objective_usd;
        e["domestic_share"] = p.domestic_share;
        e["cost"] = {{"capex_usd", p.cost.capex_usd},
                     {"levies_usd", p.cost.levies_usd},
                     {"power_usd", p.cost.power_usd},
                     {"operations_usd", p.cost.operations_usd},
                     {"rental_usd", p.cost.rental_usd},
                     {"expected_shortfall_usd", p.cost.expected_shortfall_usd}};
        e["devices_by_accelerator"] = p.devices_by_accelerator;
      }
      e["solve_time_s"] = p.solve_time_s;
      e["gap"] = p.gap;
    }
    points.push_back(std::move(e));
  }
  j["points"] = std::move(points);
  return j;
}

namespace {
std::vector<std::string> accelerators_of(const SweepResult& s) {
  std::set<std::string> ids;
  for (const SweepPoint& p : s.points)
    for (const auto& [id, n] : p.devices_by_accelerator) ids.insert(id);
  return {ids.begin(), ids.end()};
}
}  // namespace

std::string sweep_text(const SweepResult& s) {
  std::vector<std::string> header = s.keys;
  header.insert(header.end(), {"status", "gap", "cost M USD", "domestic"});
  const std::vector<std::string> ids = accelerators_of(s);
  header.insert(header.end(), ids.begin(), ids.end());
  TextTable t(header);
  std::vector<std::size_t> right;
  for (std::size_t c = s.keys.size() + 1; c < header.size(); ++c) right.push_back(c);
  t.set_right_aligned(right);
  for (const SweepPoint& p : s.points) {
    std::vector<std::string> row = p.values;
    if (!p.error.empty()) {
      row.push_back("error");
      row.push_back("");
      row.push_back(p.error);
    } else {
      row.push_back(std::string(plan_status_name(p.status)));
      const bool has = p.status != PlanStatus::kInfeasible;
      row.push_back(has ? fmt::format("{:.2f}%", p.gap * 100) : "-");
      row.push_back(has ? fmt::format("{:.1f}", p.objective_usd / 1e6) : "-");
      row.push_back(has ? fmt::format("{:.1f}%", p.domestic_share * 100) : "-");
      for (const std::string& id : ids) {
        auto it = p.devices_by_accelerator.find(id);
        row.push_back(has ? std::to_string(it == p.devices_by_accelerator.end() ? 0 : it->second)
                          : "-");
      }
    }
    row.resize(header.size());
    t.add_row(std::move(row));
  }
  std::string out = t.render();
  // Neighbouring points whose costs differ by less than their solves'
  // proven gaps are equal as far as the solver knows: a stricter rule that
  // "costs less" by that much is noise, and the output says so.
  for (std::size_t i = 1; i < s.points.size(); ++i) {
    const SweepPoint& a = s.points[i - 1];
    const SweepPoint& b = s.points[i];
    if (!a.error.empty() || !b.error.empty() || a.status == PlanStatus::kInfeasible ||
        b.status == PlanStatus::kInfeasible || a.objective_usd == b.objective_usd)
      continue;
    const double tolerance = a.gap * a.objective_usd + b.gap * b.objective_usd;
    if (std::abs(b.objective_usd - a.objective_usd) > tolerance) continue;
    out += fmt::format(
        "note: {} -> {}: the cost moves by {:+.2f} M USD, inside the two solves' proven gaps "
        "({:.2f} M USD): equal within the solver's tolerance\n",
        join(a.values, " "), join(b.values, " "), (b.objective_usd - a.objective_usd) / 1e6,
        tolerance / 1e6);
  }
  return out;
}

std::string sweep_csv(const SweepResult& s) {
  const auto quote = csv_field;
  const std::vector<std::string> ids = accelerators_of(s);
  std::string out;
  for (const std::string& k : s.keys) out += quote(k) + ",";
  out +=
      "status,objective_usd,capex_usd,levies_usd,power_usd,operations_usd,rental_usd,"
      "expected_shortfall_usd,domestic_share";
  for (const std::string& id : ids) out += ",devices_" + id;
  out += "\n";
  for (const SweepPoint& p : s.points) {
    for (const std::string& v : p.values) out += quote(v) + ",";
    const bool has = p.error.empty() && p.status != PlanStatus::kInfeasible;
    out += p.error.empty() ? std::string(plan_status_name(p.status)) : "error";
    if (has) {
      out += fmt::format(",{:.2f},{:.2f},{:.2f},{:.2f},{:.2f},{:.2f},{:.2f},{:.6f}",
                         p.objective_usd, p.cost.capex_usd, p.cost.levies_usd, p.cost.power_usd,
                         p.cost.operations_usd, p.cost.rental_usd, p.cost.expected_shortfall_usd,
                         p.domestic_share);
      for (const std::string& id : ids) {
        auto it = p.devices_by_accelerator.find(id);
        out += fmt::format(",{}", it == p.devices_by_accelerator.end() ? 0 : it->second);
      }
    } else {
      out += ",,,,,,,,";  // the eight figures above
      for (std::size_t i = 0; i < ids.size(); ++i) out += ",";
    }
    out += "\n";
  }
  return out;
}

}  // namespace suanli

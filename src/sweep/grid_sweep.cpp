#include "sweep/grid_sweep.h"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <exception>
#include <fstream>
#include <mutex>
#include <set>
#include <sstream>
#include <thread>

#include "plan/plan_scenario.h"
#include "plan/sweep.h"
#include "sim/scenario.h"
#include "sweep/json_field.h"
#include "sweep/sim_sweep.h"
#include "util/files.h"
#include "util/strings.h"
#include "util/toml_reader.h"

namespace suanli {

namespace {

namespace fs = std::filesystem;
using Json = nlohmann::ordered_json;

constexpr std::string_view kManifestFormat = "suanli-sweep-manifest/1";

// The top-level keys of each loader (plan_scenario.cpp, sim/scenario.cpp).
const std::vector<std::string_view> kSimulationKeys = {
    "name",    "description", "seed",       "scheduler", "simulation", "sites",      "fleet",
    "tenants", "rules",       "generators", "jobs",      "traces",     "deliveries", "node_events"};
const std::vector<std::string_view> kPlanKeys = {"plan",      "policy",   "site",
                                                 "candidate", "existing", "training",
                                                 "inference", "scenario", "report"};

Result<void> apply_override(ScenarioKind kind, toml::table& doc, const TomlOverride& o) {
  return kind == ScenarioKind::kPlan ? apply_plan_override(doc, o)
                                     : apply_scenario_override(doc, o);
}

Result<std::string> read_text(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return fail(ErrorCode::kIo, fmt::format("{}: cannot read", path.string()));
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) return fail(ErrorCode::kIo, fmt::format("{}: read error", path.string()));
  return ss.str();
}

std::string describe_values(const GridSweep& sweep, std::size_t index) {
  const std::vector<std::string> values = grid_values(sweep, index);
  std::vector<std::string> parts;
  for (std::size_t k = 0; k < values.size(); ++k)
    parts.push_back(sweep.sweeps[k].key + "=" + values[k]);
  return join(parts, " ");
}

Json values_json(const GridSweep& sweep, std::size_t index) {
  const std::vector<std::string> values = grid_values(sweep, index);
  Json out = Json::object();
  for (std::size_t k = 0; k < values.size(); ++k) out[sweep.sweeps[k].key] = values[k];
  return out;
}

Json plan_point(const GridSweep& sweep, std::size_t index, const Catalog& catalog, Json point) {
  PlanOptions options = default_sweep_options();
  options.relative_gap = sweep.plan_relative_gap;
  options.time_limit_s = sweep.plan_time_limit_s;
  // One point: run_sweep_text over no keys with the point's overrides as
  // its base (the loader, the solve and the JSON of `suanli plan --sweep`).
  auto r = run_sweep_text(sweep.scenario_text, sweep.scenario_path, catalog,
                          grid_overrides(sweep, index), {}, options);
  if (!r) {
    point["status"] = "error";
    point["error"] = r.error().message;
    return point;
  }
  const Json j = sweep_json(*r);
  const Json& p = j["points"].at(0);
  for (auto it = p.begin(); it != p.end(); ++it) {
    // The solve time differs between runs: it is not part of a point.
    if (it.key() == "values" || it.key() == "solve_time_s") continue;
    point[it.key()] = *it;
  }
  return point;
}

Json simulation_point(const GridSweep& sweep, std::size_t index, const Catalog& catalog,
                      Json point) {
  auto r = simulate_sweep_point(sweep.scenario_text, sweep.scenario_path, catalog,
                                grid_overrides(sweep, index));
  if (!r) {
    point["status"] = "error";
    point["error"] = r.error().message;
    return point;
  }
  point["status"] = "ok";
  for (auto it = r->begin(); it != r->end(); ++it) point[it.key()] = *it;
  return point;
}

// A plan point's JSON back as the SweepPoint of plan/sweep.h (for its table
// and CSV).
SweepPoint plan_sweep_point(const std::vector<std::string>& keys, const Json& p) {
  SweepPoint out;
  for (const std::string& k : keys) {
    const Json& v = json_field(json_field(p, "values"), k.c_str());
    out.values.push_back(v.is_string() ? v.get<std::string>() : v.dump());
  }
  const std::string status = json_field(p, "status").is_string()
                                 ? json_field(p, "status").get<std::string>()
                                 : std::string("error");
  if (status == "error") {
    const Json& e = json_field(p, "error");
    out.error = e.is_string() ? e.get<std::string>() : "error";
    return out;
  }
  for (PlanStatus s : {PlanStatus::kOptimal, PlanStatus::kFeasible, PlanStatus::kInfeasible})
    if (plan_status_name(s) == status) out.status = s;
  auto number = [](const Json& j) { return j.is_number() ? j.get<double>() : 0.0; };
  out.objective_usd = number(json_field(p, "objective_usd"));
  out.domestic_share = number(json_field(p, "domestic_share"));
  const Json& cost = json_field(p, "cost");
  out.cost.capex_usd = number(json_field(cost, "capex_usd"));
  out.cost.levies_usd = number(json_field(cost, "levies_usd"));
  out.cost.power_usd = number(json_field(cost, "power_usd"));
  out.cost.operations_usd = number(json_field(cost, "operations_usd"));
  out.cost.rental_usd = number(json_field(cost, "rental_usd"));
  out.cost.expected_shortfall_usd = number(json_field(cost, "expected_shortfall_usd"));
  const Json& devices = json_field(p, "devices_by_accelerator");
  if (devices.is_object())
    for (auto it = devices.begin(); it != devices.end(); ++it)
      out.devices_by_accelerator[it.key()] = it->is_number() ? it->get<int>() : 0;
  out.gap = number(json_field(p, "gap"));
  return out;
}

SweepResult plan_sweep_result(const GridSweepResult& r) {
  SweepResult out;
  out.keys = r.keys;
  for (const Json& p : r.points) out.points.push_back(plan_sweep_point(r.keys, p));
  return out;
}

}  // namespace

std::string_view scenario_kind_name(ScenarioKind kind) {
  return kind == ScenarioKind::kPlan ? "plan" : "simulation";
}

Result<ScenarioKind> detect_scenario_kind(std::string_view text, const fs::path& file) {
  SUANLI_ASSIGN(const toml::table doc, parse_toml_text(text, file));
  std::vector<std::string> sim, plan;
  for (const auto& [key, node] : doc) {
    const std::string_view k = key.str();
    if (std::find(kSimulationKeys.begin(), kSimulationKeys.end(), k) != kSimulationKeys.end())
      sim.emplace_back(k);
    if (std::find(kPlanKeys.begin(), kPlanKeys.end(), k) != kPlanKeys.end()) plan.emplace_back(k);
  }
  if (!sim.empty() && plan.empty()) return ScenarioKind::kSimulation;
  if (!plan.empty() && sim.empty()) return ScenarioKind::kPlan;
  if (sim.empty())
    return fail(ErrorCode::kInvalidArgument,
                fmt::format("{}: neither a simulation scenario (docs/scenario-format.md: "
                            "[[fleet]], [[generators]], …) nor a plan scenario "
                            "(docs/plan-format.md: [plan], [[candidate]], …)",
                            file.string()));
  return fail(ErrorCode::kInvalidArgument,
              fmt::format("{}: mixes the top-level keys of a simulation scenario ({}) and of a "
                          "plan scenario ({}); a file is one or the other",
                          file.string(), join(sim, ", "), join(plan, ", ")));
}

Result<GridSweep> make_grid_sweep(const fs::path& scenario, std::vector<fs::path> catalog_dirs,
                                  std::vector<TomlOverride> base, std::vector<TomlSweep> sweeps) {
  GridSweep out;
  std::error_code ec;
  out.scenario_path = fs::absolute(scenario, ec).lexically_normal();
  if (ec) out.scenario_path = scenario;
  SUANLI_ASSIGN(out.scenario_text, read_text(scenario));
  SUANLI_ASSIGN(out.kind, detect_scenario_kind(out.scenario_text, out.scenario_path));
  for (fs::path& d : catalog_dirs) {
    fs::path a = fs::absolute(d, ec);
    out.catalog_dirs.push_back(ec ? d : a.lexically_normal());
  }
  std::set<std::string> seen;
  for (const TomlSweep& s : sweeps) {
    if (s.values.empty())
      return fail(ErrorCode::kInvalidArgument, fmt::format("--sweep {}: no values", s.key));
    if (!seen.insert(s.key).second)
      return fail(ErrorCode::kInvalidArgument,
                  fmt::format("--sweep {}: the key is swept twice; give all its values in one "
                              "--sweep",
                              s.key));
  }
  out.base = std::move(base);
  out.sweeps = std::move(sweeps);
  if (grid_size(out) > kMaxGridSweepPoints)
    return fail(ErrorCode::kInvalidArgument,
                fmt::format("the sweep has more than {} points (the product of the keys' value "
                            "counts); sweep fewer values",
                            kMaxGridSweepPoints));
  return out;
}

std::size_t grid_size(const GridSweep& sweep) {
  std::size_t n = 1;
  for (const TomlSweep& s : sweep.sweeps) {
    if (s.values.size() > kMaxGridSweepPoints || n * s.values.size() > kMaxGridSweepPoints)
      return kMaxGridSweepPoints + 1;
    n *= s.values.size();
  }
  return n;
}



std::vector<std::string> grid_values(const GridSweep& sweep, std::size_t index) {
  std::vector<std::string> out(sweep.sweeps.size());
  std::size_t rest = index;
  for (std::size_t k = sweep.sweeps.size(); k-- > 0;) {
    const std::size_t n = sweep.sweeps[k].values.size();
    out[k] = sweep.sweeps[k].values[rest % n];
    rest /= n;
  }
  return out;
}

std::vector<TomlOverride> grid_overrides(const GridSweep& sweep, std::size_t index) {
  std::vector<TomlOverride> out = sweep.base;
  const std::vector<std::string> values = grid_values(sweep, index);
  for (std::size_t k = 0; k < values.size(); ++k) out.push_back({sweep.sweeps[k].key, values[k]});
  return out;
}

Result<void> check_grid_sweep(const GridSweep& sweep, const Catalog& catalog) {
  if (grid_size(sweep) > kMaxGridSweepPoints)
    return fail(ErrorCode::kInvalidArgument,
                fmt::format("the sweep has more than {} points; sweep fewer values",
                            kMaxGridSweepPoints));
  SUANLI_ASSIGN(toml::table doc, parse_toml_text(sweep.scenario_text, sweep.scenario_path));
  for (const TomlOverride& o : sweep.base) SUANLI_TRY(apply_override(sweep.kind, doc, o));
  for (const TomlSweep& s : sweep.sweeps) {
    for (const std::string& v : s.values) {
      toml::table copy = doc;
      SUANLI_TRY(apply_override(sweep.kind, copy, TomlOverride{s.key, v}));
    }
  }
  const std::vector<TomlOverride> first = grid_overrides(sweep, 0);
  Result<void> loaded;
  if (sweep.kind == ScenarioKind::kPlan) {
    auto s = parse_plan_scenario(sweep.scenario_text, sweep.scenario_path, catalog, first);
    if (!s) loaded = std::unexpected(s.error());
  } else {
    auto s = parse_scenario(sweep.scenario_text, sweep.scenario_path, catalog, first);
    if (!s) loaded = std::unexpected(s.error());
  }
  if (!loaded) {
    Error e = loaded.error();
    if (!sweep.sweeps.empty())
      e.message = fmt::format("sweep point 0 ({}): {}", describe_values(sweep, 0), e.message);
    return std::unexpected(std::move(e));
  }
  return {};
}

Json grid_point_json(const GridSweep& sweep, std::size_t index, const Catalog& catalog) {
  Json point = Json::object();
  point["index"] = index;
  point["values"] = values_json(sweep, index);
  return sweep.kind == ScenarioKind::kPlan
             ? plan_point(sweep, index, catalog, std::move(point))
             : simulation_point(sweep, index, catalog, std::move(point));
}

std::string grid_point_text(const Json& point) {
  // nlohmann-json writes the shortest text that reads back as the same
  // double, so the text is lossless.
  return point.dump() + "\n";
}

Result<Json> parse_grid_point(std::string_view text, std::size_t index, const std::string& where) {
  Json p = Json::parse(text, nullptr, false);
  if (p.is_discarded() || !p.is_object())
    return fail(ErrorCode::kParse, fmt::format("{}: not a sweep point (JSON object)", where));
  const Json& i = json_field(p, "index");
  if (!i.is_number_unsigned() || i.get<std::size_t>() != index)
    return fail(ErrorCode::kParse,
                fmt::format("{}: expected the result of point {}, found {}", where, index,
                            i.is_null() ? std::string("no index") : "index " + i.dump()));
  if (!json_field(p, "status").is_string() || !json_field(p, "values").is_object())
    return fail(ErrorCode::kParse, fmt::format("{}: a sweep point needs status and values", where));
  return p;
}

Json grid_manifest_json(const GridSweep& sweep) {
  Json m = Json::object();
  m["format"] = kManifestFormat;
  m["kind"] = scenario_kind_name(sweep.kind);
  m["scenario_path"] = sweep.scenario_path.string();
  m["scenario_text"] = sweep.scenario_text;
  Json dirs = Json::array();
  for (const fs::path& d : sweep.catalog_dirs) dirs.push_back(d.string());
  m["catalog_dirs"] = std::move(dirs);
  Json base = Json::array();
  for (const TomlOverride& o : sweep.base) base.push_back(Json{{"key", o.key}, {"value", o.value}});
  m["base"] = std::move(base);
  Json sweeps = Json::array();
  for (const TomlSweep& s : sweep.sweeps)
    sweeps.push_back(Json{{"key", s.key}, {"values", s.values}});
  m["sweeps"] = std::move(sweeps);
  m["plan"] =
      Json{{"relative_gap", sweep.plan_relative_gap}, {"time_limit_s", sweep.plan_time_limit_s}};
  const std::size_t n = grid_size(sweep);
  m["point_count"] = n;
  Json points = Json::array();
  for (std::size_t i = 0; i < n; ++i) {
    Json overrides = Json::array();
    for (const TomlOverride& o : grid_overrides(sweep, i))
      overrides.push_back(Json{{"key", o.key}, {"value", o.value}});
    points.push_back(Json{{"index", i}, {"overrides", std::move(overrides)}});
  }
  m["points"] = std::move(points);
  return m;
}

Result<GridSweep> grid_sweep_from_manifest(const Json& m, const std::string& where) {
  auto bad = [&](std::string_view what) {
    return fail(ErrorCode::kParse, fmt::format("{}: {}", where, what));
  };
  if (!m.is_object() || json_field(m, "format") != kManifestFormat)
    return bad(fmt::format("not a sweep manifest (format {})", kManifestFormat));
  GridSweep s;
  try {
    const std::string kind = m.at("kind").get<std::string>();
    if (kind == "plan") {
      s.kind = ScenarioKind::kPlan;
    } else if (kind == "simulation") {
      s.kind = ScenarioKind::kSimulation;
    } else {
      return bad(fmt::format("unknown kind '{}'", kind));
    }
    s.scenario_path = m.at("scenario_path").get<std::string>();
    s.scenario_text = m.at("scenario_text").get<std::string>();
    for (const Json& d : m.at("catalog_dirs")) s.catalog_dirs.emplace_back(d.get<std::string>());
    for (const Json& o : m.at("base"))
      s.base.push_back({o.at("key").get<std::string>(), o.at("value").get<std::string>()});
    for (const Json& w : m.at("sweeps"))
      s.sweeps.push_back(
          {w.at("key").get<std::string>(), w.at("values").get<std::vector<std::string>>()});
    s.plan_relative_gap = m.at("plan").at("relative_gap").get<double>();
    s.plan_time_limit_s = m.at("plan").at("time_limit_s").get<double>();
  } catch (const nlohmann::json::exception& e) {
    return bad(fmt::format("malformed manifest: {}", e.what()));
  }
  for (const TomlSweep& w : s.sweeps)
    if (w.values.empty()) return bad(fmt::format("sweep {} has no values", w.key));
  return s;
}

Result<GridSweepResult> grid_result_from_texts(const GridSweep& sweep,
                                               const std::vector<std::string>& texts) {
  const std::size_t n = grid_size(sweep);
  if (texts.size() != n)
    return fail(ErrorCode::kIo, fmt::format("{} point results for {} points", texts.size(), n));
  GridSweepResult out;
  out.kind = sweep.kind;
  out.scenario_path = sweep.scenario_path;
  out.base = sweep.base;
  for (const TomlSweep& s : sweep.sweeps) out.keys.push_back(s.key);
  for (std::size_t i = 0; i < n; ++i) {
    const std::string where = fmt::format("point {}", i);
    SUANLI_ASSIGN(Json p, parse_grid_point(texts[i], i, where));
    if (p["values"] != values_json(sweep, i))
      return fail(ErrorCode::kParse, fmt::format("{}: computed for values {}, expected {}", where,
                                                 p["values"].dump(), values_json(sweep, i).dump()));
    out.points.push_back(std::move(p));
  }
  return out;
}

Result<GridSweepResult> run_grid_sweep_local(const GridSweep& sweep, const Catalog& catalog,
                                             const LocalSweepOptions& options) {
  SUANLI_TRY(check_grid_sweep(sweep, catalog));
  const std::size_t n = grid_size(sweep);
  std::size_t jobs = options.jobs > 0 ? static_cast<std::size_t>(options.jobs)
                                      : std::max(1u, std::thread::hardware_concurrency());
  jobs = std::min(jobs, n);
  std::vector<std::string> texts(n);
  std::atomic<std::size_t> next{0};
  std::mutex mu;  // guards done, failure and the progress callback
  std::size_t done = 0;
  std::exception_ptr failure;
  auto work = [&] {
    for (;;) {
      const std::size_t i = next.fetch_add(1);
      if (i >= n) return;
      try {
        std::string text = grid_point_text(grid_point_json(sweep, i, catalog));
        std::lock_guard lock(mu);
        texts[i] = std::move(text);
        ++done;
        if (options.progress) options.progress(done, n, Json::parse(texts[i]));
      } catch (...) {  // a bug: rethrown on the calling thread
        std::lock_guard lock(mu);
        if (!failure) failure = std::current_exception();
        next = n;
        return;
      }
    }
  };
  if (jobs <= 1) {
    work();
  } else {
    std::vector<std::thread> threads;
    for (std::size_t t = 0; t < jobs; ++t) threads.emplace_back(work);
    for (std::thread& t : threads) t.join();
  }
  if (failure) std::rethrow_exception(failure);
  return grid_result_from_texts(sweep, texts);
}

fs::path grid_point_file(const fs::path& dir, std::size_t index) {
  return dir / fmt::format("point-{}.json", index);
}


Result<void> run_grid_point_in_dir(const fs::path& dir, std::size_t index) {
  const fs::path manifest_path = dir / kGridManifestFile;
  SUANLI_ASSIGN(const std::string text, read_text(manifest_path));
  const Json manifest = Json::parse(text, nullptr, false);
  if (manifest.is_discarded())
    return fail(ErrorCode::kParse, fmt::format("{}: not JSON", manifest_path.string()));
  SUANLI_ASSIGN(const GridSweep sweep, grid_sweep_from_manifest(manifest, manifest_path.string()));
  const std::size_t n = grid_size(sweep);
  if (index >= n)
    return fail(ErrorCode::kInvalidArgument,
                fmt::format("--index {}: the sweep has {} points (0 to {})", index, n, n - 1));
  CatalogOptions catalog_options;
  catalog_options.directories = sweep.catalog_dirs;
  SUANLI_ASSIGN(const Catalog catalog, Catalog::load(catalog_options));
  return write_file_atomically(grid_point_file(dir, index),
                               grid_point_text(grid_point_json(sweep, index, catalog)));
}

Json grid_sweep_json(const GridSweepResult& r) {
  Json j = Json::object();
  j["kind"] = scenario_kind_name(r.kind);
  j["scenario"] = r.scenario_path.string();
  j["keys"] = r.keys;
  Json base = Json::object();
  for (const TomlOverride& o : r.base) base[o.key] = o.value;
  j["base"] = std::move(base);
  j["points"] = r.points;
  return j;
}

std::string grid_sweep_text(const GridSweepResult& r) {
  if (r.kind == ScenarioKind::kPlan) return sweep_text(plan_sweep_result(r));
  return simulation_sweep_text(r.keys, r.points);
}

std::string grid_sweep_csv(const GridSweepResult& r) {
  if (r.kind == ScenarioKind::kPlan) return sweep_csv(plan_sweep_result(r));
  return simulation_sweep_csv(r.keys, r.points);
}

nlohmann::json grid_sweep_report_doc(const GridSweepResult& r) {
  nlohmann::json doc;
  doc["title"] = fmt::format("Sweep of {}", r.scenario_path.filename().string());
  doc["scenario"] = r.scenario_path.string();
  doc["generated_by"] = "suanli sweep";
  std::vector<std::string> base;
  for (const TomlOverride& o : r.base) base.push_back(o.key + " = " + o.value);
  std::string description =
      fmt::format("{} {} point(s) over {}.", r.points.size(),
                  r.kind == ScenarioKind::kPlan ? "plan" : "simulation",
                  r.keys.empty() ? std::string("no key") : join(r.keys, " \u00d7 "));
  if (!base.empty()) description += " Every point also sets " + join(base, ", ") + ".";
  doc["description"] = description;
  nlohmann::json points = nlohmann::json::array();
  for (const Json& p : r.points) points.push_back(nlohmann::json::parse(p.dump()));
  doc[r.kind == ScenarioKind::kPlan ? "sweep" : "simulation_sweep"] =
      nlohmann::json{{"keys", r.keys}, {"points", std::move(points)}};
  return doc;
}

}  // namespace suanli

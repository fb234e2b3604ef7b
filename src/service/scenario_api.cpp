#include "service/scenario_api.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "plan/plan_scenario.h"
#include "sim/scenario.h"

namespace suanli::service {

namespace {

bool valid_kind(std::string_view kind) { return kind == "simulate" || kind == "plan"; }

Result<std::string> read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return fail(ErrorCode::kIo, fmt::format("{}: cannot read", path.string()));
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

Result<void> check_body_size(std::string_view body) {
  if (body.size() > kMaxScenarioBytes)
    return fail(ErrorCode::kInvalidArgument,
                fmt::format("body.body: {} bytes, more than the {} allowed", body.size(),
                            kMaxScenarioBytes));
  return {};
}

}  // namespace

std::filesystem::path scenario_pseudo_path(const std::filesystem::path& data_dir,
                                           std::string_view name) {
  std::string stem(name);
  std::replace(stem.begin(), stem.end(), '/', '_');
  std::replace(stem.begin(), stem.end(), ':', '_');
  if (stem.empty()) stem = "scenario";
  return data_dir / "scenarios" / (stem + ".toml");
}

std::vector<std::filesystem::path> service_trace_dirs(
    const std::filesystem::path& data_dir, const std::vector<std::filesystem::path>& extra) {
  std::vector<std::filesystem::path> dirs{data_dir / "scenarios"};
  if (const char* env = std::getenv("SUANLI_TRACES"); env != nullptr && *env != '\0')
    dirs.emplace_back(env);
  dirs.insert(dirs.end(), extra.begin(), extra.end());
  return dirs;
}

std::string without_server_paths(std::string_view message, const std::filesystem::path& data_dir) {
  std::string out(message);
  if (data_dir.empty()) return out;
  std::error_code ec;
  std::vector<std::string> prefixes{data_dir.lexically_normal().string()};
  if (auto a = std::filesystem::absolute(data_dir, ec); !ec)
    prefixes.push_back(a.lexically_normal().string());
  if (auto c = std::filesystem::weakly_canonical(data_dir, ec); !ec)
    prefixes.push_back(c.string());
  // Longest first, so a prefix of another one does not cut it.
  std::sort(prefixes.begin(), prefixes.end(),
            [](const std::string& a, const std::string& b) { return a.size() > b.size(); });
  for (std::string p : prefixes) {
    while (!p.empty() && p.back() == '/') p.pop_back();
    if (p.empty()) continue;
    p += '/';
    for (std::size_t pos = out.find(p); pos != std::string::npos; pos = out.find(p, pos))
      out.erase(pos, p.size());
  }
  return out;
}

Result<void> validate_scenario(std::string_view kind, std::string_view name, std::string_view body,
                               const Catalog& catalog, const std::filesystem::path& data_dir,
                               const std::vector<std::filesystem::path>& trace_dirs) {
  const std::filesystem::path file = scenario_pseudo_path(data_dir, name);
  auto relative = [&](Error e) {
    e.message = without_server_paths(e.message, data_dir);
    return std::unexpected(std::move(e));
  };
  if (kind == "simulate") {
    ScenarioLoadOptions options;
    options.trace_dirs = service_trace_dirs(data_dir, trace_dirs);
    if (auto s = parse_scenario(body, file, catalog, {}, options); !s) return relative(s.error());
    return {};
  }
  if (kind == "plan") {
    if (auto s = parse_plan_scenario(body, file, catalog); !s) return relative(s.error());
    return {};
  }
  return fail(ErrorCode::kInvalidArgument,
              fmt::format("body.kind: expected \"simulate\" or \"plan\", got {:?}", kind));
}

nlohmann::json scenario_json(const store::ScenarioRecord& r, bool with_body) {
  nlohmann::json j{{"id", r.id},
                   {"name", r.name},
                   {"kind", r.kind},
                   {"version", r.version},
                   {"created_at", r.created_at},
                   {"deleted", r.deleted}};
  if (with_body) j["body"] = r.body;
  return j;
}

Result<std::int64_t> path_id(const ApiRequest& request, std::string_view name) {
  auto it = request.params.find(std::string(name));
  if (it == request.params.end())
    return fail(ErrorCode::kInvalidArgument, fmt::format("path.{}: missing", name));
  const std::string& s = it->second;
  std::int64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size() || v <= 0)
    return fail(
        ErrorCode::kInvalidArgument,
        fmt::format("path.{}: expected a positive integer, got {:?}", name, s.substr(0, 40)));
  return v;
}

ScenarioApi::ScenarioApi(store::Store& store, CatalogHolder& catalog,
                         std::filesystem::path data_dir, std::vector<std::filesystem::path> trace_dirs)
    : store_(store),
      catalog_(catalog),
      data_dir_(std::move(data_dir)),
      trace_dirs_(std::move(trace_dirs)) {}

void ScenarioApi::add_routes(Router& router) {
  router.add(Method::kPost, "/api/v1/scenarios", Access::kWrite,
             "Save a scenario (validated against the catalog first)",
             [this](const ApiRequest& r) { return create(r); });
  router.add(Method::kGet, "/api/v1/scenarios", Access::kRead,
             "List saved scenarios (latest versions)",
             [this](const ApiRequest& r) { return list(r); });
  router.add(Method::kGet, "/api/v1/scenarios/{id}", Access::kRead,
             "A saved scenario with its TOML (latest, or ?version=N)",
             [this](const ApiRequest& r) { return get(r); });
  router.add(Method::kGet, "/api/v1/scenarios/{id}/versions", Access::kRead,
             "Every version of a saved scenario",
             [this](const ApiRequest& r) { return versions(r); });
  router.add(Method::kPut, "/api/v1/scenarios/{id}", Access::kWrite,
             "Save a new version of a scenario (409 on a stale expected_version)",
             [this](const ApiRequest& r) { return update(r); });
  router.add(Method::kDelete, "/api/v1/scenarios/{id}", Access::kWrite, "Delete a scenario",
             [this](const ApiRequest& r) { return remove(r); });
}

ApiResponse ScenarioApi::create(const ApiRequest& request) {
  auto body = parse_json_object(request.body);
  if (!body) return error_response(body.error());
  auto reader = FieldReader::object(*body, "body");
  if (!reader) return error_response(reader.error());
  auto name = reader->req_identifier("name");
  if (!name) return error_response(name.error(), "body.name");
  auto kind = reader->req_string("kind");
  if (!kind) return error_response(kind.error(), "body.kind");
  if (!valid_kind(*kind))
    return error_response(
        400, "invalid_argument",
        fmt::format("body.kind: expected \"simulate\" or \"plan\", got {:?}", kind->substr(0, 40)),
        "body.kind");
  auto text = reader->req_string("body");
  if (!text) return error_response(text.error(), "body.body");
  if (auto done = reader->finish(); !done) return error_response(done.error());
  if (auto size = check_body_size(*text); !size) return error_response(size.error(), "body.body");

  const auto snapshot = catalog_.get();
  if (auto ok = validate_scenario(*kind, *name, *text, *snapshot.catalog, data_dir_, trace_dirs_); !ok)
    return error_response(ok.error(), "body.body");
  auto record = store_.create_scenario(*name, *kind, *text);
  if (!record) return error_response(record.error(), "body.name");
  return json_response(scenario_json(*record, true), 201);
}

ApiResponse ScenarioApi::list(const ApiRequest& /*request*/) {
  auto all = store_.list_scenarios();
  if (!all) return error_response(all.error());
  nlohmann::json out = nlohmann::json::array();
  for (const store::ScenarioRecord& r : *all) out.push_back(scenario_json(r, false));
  return json_response({{"scenarios", std::move(out)}});
}

ApiResponse ScenarioApi::get(const ApiRequest& request) {
  auto id = path_id(request);
  if (!id) return error_response(id.error());
  std::optional<int> version;
  if (request.query.contains("version")) {
    auto v = query_int(request, "version", 0, 1, 1'000'000'000);
    if (!v) return error_response(v.error(), "query.version");
    version = static_cast<int>(*v);
  }
  auto record = store_.get_scenario(*id, version);
  if (!record) return error_response(record.error());
  if (record->deleted && !version)
    return error_response(404, "not_found", fmt::format("scenario {} was deleted", *id));
  return json_response(scenario_json(*record, true));
}

ApiResponse ScenarioApi::versions(const ApiRequest& request) {
  auto id = path_id(request);
  if (!id) return error_response(id.error());
  auto all = store_.scenario_versions(*id);
  if (!all) return error_response(all.error());
  if (all->empty()) return error_response(404, "not_found", fmt::format("no scenario {}", *id));
  nlohmann::json out = nlohmann::json::array();
  for (const store::ScenarioRecord& r : *all) out.push_back(scenario_json(r, false));
  return json_response({{"id", *id}, {"versions", std::move(out)}});
}

ApiResponse ScenarioApi::update(const ApiRequest& request) {
  auto id = path_id(request);
  if (!id) return error_response(id.error());
  auto body = parse_json_object(request.body);
  if (!body) return error_response(body.error());
  auto reader = FieldReader::object(*body, "body");
  if (!reader) return error_response(reader.error());
  auto text = reader->req_string("body");
  if (!text) return error_response(text.error(), "body.body");
  auto expected = reader->opt_int("expected_version");
  if (!expected) return error_response(expected.error(), "body.expected_version");
  if (auto done = reader->finish(); !done) return error_response(done.error());
  if (auto size = check_body_size(*text); !size) return error_response(size.error(), "body.body");
  std::optional<int> expected_version;
  if (*expected) {
    if (**expected < 1 || **expected > 1'000'000'000)
      return error_response(400, "invalid_argument",
                            "body.expected_version: expected a positive version number",
                            "body.expected_version");
    expected_version = static_cast<int>(**expected);
  }

  auto current = store_.get_scenario(*id);
  if (!current) return error_response(current.error());
  if (current->deleted)
    return error_response(404, "not_found", fmt::format("scenario {} was deleted", *id));
  const auto snapshot = catalog_.get();
  if (auto ok =
          validate_scenario(current->kind, current->name, *text, *snapshot.catalog, data_dir_, trace_dirs_);
      !ok)
    return error_response(ok.error(), "body.body");
  auto record = store_.update_scenario(*id, *text, expected_version);
  if (!record) return error_response(record.error(), "body.expected_version");
  return json_response(scenario_json(*record, true));
}

ApiResponse ScenarioApi::remove(const ApiRequest& request) {
  auto id = path_id(request);
  if (!id) return error_response(id.error());
  if (auto done = store_.delete_scenario(*id); !done) return error_response(done.error());
  return json_response({{"deleted", *id}});
}

Result<int> ScenarioApi::import_examples(const std::filesystem::path& examples_dir) {
  SUANLI_ASSIGN(auto existing, store_.list_scenarios());
  if (!existing.empty()) return 0;
  // A store whose scenarios were all deleted is not a fresh one.
  if (auto first = store_.get_scenario(1); first) return 0;

  struct Example {
    const char* file;
    const char* kind;
  };
  static constexpr Example kExamples[] = {{"hybrid-cloud-2026.toml", "simulate"},
                                          {"plan-2027-h200-return.toml", "plan"}};
  const auto snapshot = catalog_.get();
  int imported = 0;
  for (const Example& e : kExamples) {
    const std::filesystem::path path = examples_dir / e.file;
    std::error_code ec;
    if (!std::filesystem::is_regular_file(path, ec)) continue;
    SUANLI_ASSIGN(std::string text, read_file(path));
    const std::string name = path.stem().string();
    if (auto ok = validate_scenario(e.kind, name, text, *snapshot.catalog, data_dir_, trace_dirs_); !ok)
      return fail(ok.error().code,
                  fmt::format("bundled example {}: {}", path.string(), ok.error().message));
    auto saved = store_.create_scenario(name, e.kind, text);
    if (!saved) {
      if (saved.error().code == ErrorCode::kConflict) continue;  // saved meanwhile
      return std::unexpected(saved.error());
    }
    ++imported;
  }
  return imported;
}

}  // namespace suanli::service

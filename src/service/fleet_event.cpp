#include "service/fleet_event.h"

#include <stdexcept>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace suanli::service {

namespace {

using UnorderedJson = nlohmann::json;

constexpr std::string_view node_change_name(NodeChange c) {
  switch (c) {
    case NodeChange::kDown:
      return "node_down";
    case NodeChange::kUp:
      return "node_up";
    case NodeChange::kCordon:
      return "cordon";
    case NodeChange::kUncordon:
      return "uncordon";
  }
  return "node_down";
}

constexpr std::string_view job_report_name(JobReport r) {
  return r == JobReport::kStart ? "start" : r == JobReport::kFinish ? "finish" : "fail";
}

// ---- codec ------------------------------------------------------------------
// nlohmann::json (not ordered) dumps keys sorted: the stored text depends on
// the keys and the value types only, which are those of every store so far.

UnorderedJson encode_json(const ConfigEvent& e) {
  UnorderedJson types = UnorderedJson::array();
  for (const FleetType& t : e.types)
    types.push_back({{"id", t.id},
                     {"name", t.name},
                     {"vendor", t.vendor},
                     {"origin", t.origin},
                     {"domestic", t.domestic},
                     {"compute_weight", t.compute_weight},
                     {"price_per_device_hour", t.price_per_device_hour}});
  return {{"type", "config"},
          {"scenario", e.scenario},
          {"types", std::move(types)},
          {"epoch", e.epoch},
          {"t", e.t}};
}
UnorderedJson encode_json(const AddNodesEvent& e) {
  return {{"type", "nodes"},
          {"site", e.site},
          {"accelerator", e.accelerator},
          {"nodes", e.nodes},
          {"devices_per_node", e.devices_per_node},
          {"scale_up_domain", e.scale_up_domain},
          {"name_prefix", e.name_prefix},
          {"t", e.t}};
}
UnorderedJson encode_json(const NodeStateEvent& e) {
  return {{"type", node_change_name(e.change)}, {"node", e.node}, {"t", e.t}};
}
UnorderedJson encode_json(const RuleEvent& e) {
  return {{"type", "rule"},
          {"id", e.id},
          {"kind", rule_kind_name(e.kind)},
          {"accelerator", e.accelerator},
          {"within_s", e.within_s},
          {"t", e.t}};
}
UnorderedJson encode_json(const SubmitEvent& e) {
  UnorderedJson j{{"type", "submit"},
                  {"name", e.name},
                  {"tenant", e.tenant},
                  {"kind", job_kind_name(e.kind)},
                  {"priority", e.priority},
                  {"sensitivity", sensitivity_name(e.sensitivity)},
                  {"devices", e.devices},
                  {"tp", e.tp},
                  {"gpu_milli", e.gpu_milli},
                  {"checkpoint_interval_s", e.checkpoint_interval_s},
                  {"durations_s", e.durations_s},
                  {"cannot_run", e.cannot_run},
                  {"t", e.t}};
  if (e.duration_hours) j["duration_hours"] = *e.duration_hours;
  if (e.reference) j["reference"] = *e.reference;
  if (e.script) j["script"] = *e.script;
  return j;
}
UnorderedJson encode_json(const JobReportEvent& e) {
  UnorderedJson j{{"type", job_report_name(e.report)}, {"job", e.job}, {"t", e.t}};
  if (e.reason) j["reason"] = *e.reason;
  if (e.external_id) j["external_id"] = *e.external_id;
  return j;
}
UnorderedJson encode_json(const TickEvent& e) { return {{"type", "tick"}, {"t", e.t}}; }

}  // namespace

std::string event_type_name(const FleetEvent& event) {
  struct Name {
    std::string operator()(const ConfigEvent&) const { return "config"; }
    std::string operator()(const AddNodesEvent&) const { return "nodes"; }
    std::string operator()(const NodeStateEvent& e) const { return std::string(node_change_name(e.change)); }
    std::string operator()(const RuleEvent&) const { return "rule"; }
    std::string operator()(const SubmitEvent&) const { return "submit"; }
    std::string operator()(const JobReportEvent& e) const { return std::string(job_report_name(e.report)); }
    std::string operator()(const TickEvent&) const { return "tick"; }
  };
  return std::visit(Name{}, event);
}

namespace {

template <class T>
std::optional<T> opt(const UnorderedJson& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end()) return std::nullopt;
  return it->get<T>();
}

template <class T, class Parse>
T parsed(const std::string& text, Parse parse, const char* what) {
  auto v = parse(text);
  if (!v) throw std::invalid_argument(fmt::format("bad {} {:?}", what, text));
  return *v;
}

FleetEvent decode_json(const UnorderedJson& j) {
  const std::string type = j.at("type").get<std::string>();
  const SimTime t = j.at("t").get<double>();
  if (type == "config") {
    ConfigEvent e{j.at("scenario").get<std::string>(), {}, j.at("epoch").get<double>(), t};
    for (const UnorderedJson& x : j.at("types"))
      e.types.push_back({x.at("id").get<std::string>(), x.at("name").get<std::string>(),
                         x.at("vendor").get<std::string>(), x.at("origin").get<std::string>(),
                         x.at("domestic").get<bool>(), x.at("compute_weight").get<double>(),
                         x.at("price_per_device_hour").get<double>()});
    return e;
  }
  if (type == "nodes")
    return AddNodesEvent{j.at("site").get<std::string>(),
                         j.at("accelerator").get<std::string>(),
                         j.at("nodes").get<std::int64_t>(),
                         j.at("devices_per_node").get<int>(),
                         j.at("scale_up_domain").get<int>(),
                         j.at("name_prefix").get<std::string>(),
                         t};
  for (NodeChange c :
       {NodeChange::kDown, NodeChange::kUp, NodeChange::kCordon, NodeChange::kUncordon})
    if (type == node_change_name(c)) return NodeStateEvent{c, j.at("node").get<std::string>(), t};
  if (type == "rule")
    return RuleEvent{j.at("id").get<std::string>(),
                     parsed<RuleKind>(j.at("kind").get<std::string>(), parse_rule_kind, "kind"),
                     j.at("accelerator").get<std::string>(), j.at("within_s").get<double>(), t};
  if (type == "submit") {
    SubmitEvent e;
    e.name = j.at("name").get<std::string>();
    e.tenant = j.at("tenant").get<std::string>();
    e.kind = parsed<JobKind>(j.at("kind").get<std::string>(), parse_job_kind, "kind");
    e.priority = j.at("priority").get<std::int64_t>();
    e.sensitivity = parsed<Sensitivity>(j.at("sensitivity").get<std::string>(), parse_sensitivity,
                                        "sensitivity");
    e.devices = j.at("devices").get<std::int64_t>();
    e.tp = j.at("tp").get<std::int64_t>();
    e.gpu_milli = j.at("gpu_milli").get<std::int64_t>();
    e.checkpoint_interval_s = j.at("checkpoint_interval_s").get<double>();
    e.durations_s = j.at("durations_s").get<std::map<std::string, double>>();
    e.cannot_run = j.at("cannot_run").get<std::map<std::string, std::string>>();
    e.duration_hours = opt<double>(j, "duration_hours");
    e.reference = opt<std::string>(j, "reference");
    e.script = opt<std::string>(j, "script");
    e.t = t;
    return e;
  }
  for (JobReport r : {JobReport::kStart, JobReport::kFinish, JobReport::kFail})
    if (type == job_report_name(r))
      return JobReportEvent{r, j.at("job").get<int>(), opt<std::string>(j, "reason"),
                            opt<std::string>(j, "external_id"), t};
  if (type == "tick") return TickEvent{t};
  throw std::invalid_argument(fmt::format("unknown fleet event type {:?}", type));
}

}  // namespace

std::string encode_event(const FleetEvent& event) {
  return std::visit([](const auto& e) { return encode_json(e).dump(); }, event);
}

Result<FleetEvent> decode_event(std::string_view text) {
  try {
    const UnorderedJson j = UnorderedJson::parse(text);
    if (!j.is_object())
      return suanli::fail(ErrorCode::kParse, "malformed fleet event: not an object");
    return decode_json(j);
  } catch (const std::exception& e) {
    return suanli::fail(ErrorCode::kParse, fmt::format("malformed fleet event: {}", e.what()));
  }
}

SimTime event_time(const FleetEvent& event) {
  return std::visit([](const auto& e) { return e.t; }, event);
}

}  // namespace suanli::service

// The live fleet's events as stored (docs/live-fleet.md, "Stored event
// shapes"): FleetEvent is a std::variant of one struct per event type, and
// this is its one codec, used for live writes and for replay. The text is
// nlohmann::json's dump of the fields (keys sorted), byte-compatible with
// every store written so far: decode(encode(e)) == e, and
// encode(decode(text)) == text for stored text. Decoding checks types and
// enum names, not the fleet (the apply path does that).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "sched/job.h"
#include "sched/rules.h"
#include "util/error.h"

namespace suanli::service {

// A fleet type as resolved when its config was accepted.
struct FleetType {
  std::string id, name, vendor, origin;
  bool domestic = false;
  double compute_weight = 0;
  double price_per_device_hour = 0;
  bool operator==(const FleetType&) const = default;
};

struct ConfigEvent {
  std::string scenario;  // the TOML text
  std::vector<FleetType> types;
  double epoch = 0;  // wall seconds when accepted
  SimTime t = 0;
  bool operator==(const ConfigEvent&) const = default;
};
struct AddNodesEvent {
  std::string site, accelerator;
  std::int64_t nodes = 0;
  int devices_per_node = 0;
  int scale_up_domain = 0;
  std::string name_prefix;
  SimTime t = 0;
  bool operator==(const AddNodesEvent&) const = default;
};
enum class NodeChange { kDown, kUp, kCordon, kUncordon };
struct NodeStateEvent {
  NodeChange change = NodeChange::kDown;
  std::string node;
  SimTime t = 0;
  bool operator==(const NodeStateEvent&) const = default;
};
struct RuleEvent {
  std::string id;
  RuleKind kind = RuleKind::kDrain;
  std::string accelerator;
  double within_s = 0;
  SimTime t = 0;
  bool operator==(const RuleEvent&) const = default;
};
struct SubmitEvent {
  std::string name, tenant;
  JobKind kind = JobKind::kTraining;
  std::int64_t priority = 0;
  Sensitivity sensitivity = Sensitivity::kPublic;
  std::int64_t devices = 1, tp = 1, gpu_milli = 1000;
  double checkpoint_interval_s = 0;
  std::map<std::string, double> durations_s;      // per fleet type that can run it
  std::map<std::string, std::string> cannot_run;  // per fleet type that cannot: why
  std::optional<double> duration_hours;           // as given, with reference
  std::optional<std::string> reference;
  std::optional<std::string> script;
  SimTime t = 0;
  bool operator==(const SubmitEvent&) const = default;
};
enum class JobReport { kStart, kFinish, kFail };
struct JobReportEvent {
  JobReport report = JobReport::kStart;
  int job = -1;
  std::optional<std::string> reason;       // kFail
  std::optional<std::string> external_id;  // kStart, optional
  SimTime t = 0;
  bool operator==(const JobReportEvent&) const = default;
};
struct TickEvent {
  SimTime t = 0;
  bool operator==(const TickEvent&) const = default;
};

using FleetEvent = std::variant<ConfigEvent, AddNodesEvent, NodeStateEvent, RuleEvent, SubmitEvent,
                                JobReportEvent, TickEvent>;

// The one codec: the JSON text stored in fleet_events, and back.
std::string encode_event(const FleetEvent& event);
Result<FleetEvent> decode_event(std::string_view text);
SimTime event_time(const FleetEvent& event);
// The stored "type" of an event: config, nodes, node_down, node_up, cordon,
// uncordon, rule, submit, start, finish, fail, tick.
std::string event_type_name(const FleetEvent& event);

}  // namespace suanli::service

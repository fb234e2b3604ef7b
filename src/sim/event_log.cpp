#include "sim/event_log.h"

#include <cmath>

namespace suanli {

using Json = nlohmann::ordered_json;

Json allocation_groups_json(const Allocation& a) {
  Json groups = Json::array();
  for (const auto& g : a.groups) {
    Json group = Json::array();
    for (const DeviceSlot& s : g) group.push_back(Json::array({s.node.value, s.device, s.milli}));
    groups.push_back(std::move(group));
  }
  return groups;
}

Json decision_json(const Decision& d, const Scheduler& scheduler) {
  Json j;
  j["t"] = d.time;
  j["event"] = decision_kind_name(d.kind);
  if (d.kind != DecisionKind::kRule) j["job"] = d.job.value;
  switch (d.kind) {
    case DecisionKind::kSubmit: {
      const JobSpec& s = scheduler.spec(d.job);
      j["name"] = s.name;
      j["tenant"] = s.tenant.value;
      j["kind"] = job_kind_name(s.kind);
      j["priority"] = s.priority;
      j["sensitivity"] = sensitivity_name(s.sensitivity);
      j["devices"] = s.devices;
      j["tp"] = s.tp;
      j["milli"] = s.gpu_milli;
      j["cpu_milli"] = s.cpu_milli;
      j["memory_mib"] = s.memory_mib;
      Json runnable = Json::array();
      for (std::size_t t = 0; t < s.duration_s.size(); ++t)
        if (std::isfinite(s.duration_s[t])) runnable.push_back(static_cast<int>(t));
      j["runnable"] = std::move(runnable);
      break;
    }
    case DecisionKind::kPlace:
      j["type"] = d.allocation.type.value;
      j["groups"] = allocation_groups_json(d.allocation);
      j["rule"] = d.rule;
      j["checked"] = d.checked;
      break;
    case DecisionKind::kQueue: {
      Json refusals = Json::array();
      for (const TypeRefusal& r : d.refusals)
        refusals.push_back(Json{{"type", r.type.value}, {"rule", r.rule}, {"detail", r.detail}});
      j["refusals"] = std::move(refusals);
      break;
    }
    case DecisionKind::kPreempt:
      j["released"] = allocation_groups_json(d.allocation);
      j["by"] = d.by.value;
      j["rule"] = d.rule;
      j["lost_device_s"] = d.lost_device_s;
      break;
    case DecisionKind::kEvict:
      j["released"] = allocation_groups_json(d.allocation);
      j["rule"] = d.rule;
      j["lost_device_s"] = d.lost_device_s;
      break;
    case DecisionKind::kKill:
      j["released"] = allocation_groups_json(d.allocation);
      j["node"] = d.node ? d.node->value : -1;
      j["rule"] = d.rule;
      j["lost_device_s"] = d.lost_device_s;
      break;
    case DecisionKind::kComplete:
      break;
    case DecisionKind::kFail:
      j["reason"] = d.detail.empty() ? std::string("failed") : d.detail;
      j["rule"] = d.rule;
      break;
    case DecisionKind::kRule:
      j["rule"] = d.rule;
      j["detail"] = d.detail;
      break;
  }
  return j;
}

}  // namespace suanli

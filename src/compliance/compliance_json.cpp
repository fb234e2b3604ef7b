#include "compliance/compliance_json.h"

namespace suanli {

nlohmann::ordered_json classification_json(const Classification& c) {
  nlohmann::ordered_json j;
  j["id"] = c.id;
  j["name"] = c.name;
  j["origin"] = c.origin;
  j["domestic"] = c.domestic;
  j["origin_note"] = c.origin_note;
  if (c.tpp) {
    j["tpp"] = c.tpp->value;
    j["tpp_precision"] = std::string(precision_name(c.tpp->precision));
    j["tpp_confidence"] = std::string(confidence_name(c.tpp->confidence));
    j["tpp_unverified"] = c.tpp->unverified();
  } else {
    j["tpp"] = nullptr;
    j["tpp_precision"] = nullptr;
    j["tpp_confidence"] = nullptr;
    j["tpp_unverified"] = nullptr;
  }
  if (c.performance_density) {
    j["performance_density"] = c.performance_density->value;
    j["die_area_mm2"] = c.performance_density->die_area_mm2;
    j["performance_density_unverified"] = c.performance_density->unverified;
  } else {
    j["performance_density"] = nullptr;
    j["die_area_mm2"] = nullptr;
    j["performance_density_unverified"] = nullptr;
  }
  j["eccn_class"] = std::string(eccn_class_name(c.eccn_class));
  j["paragraph"] = std::string(paragraph_name(c.paragraph));
  j["rule"] = c.rule;
  j["disputed"] = c.disputed;
  j["would_change"] = c.would_change;
  j["datacenter"] = c.datacenter_note.datacenter;
  j["datacenter_note"] = c.datacenter_note.text;
  j["nac_aca_eligible"] = c.datacenter_note.nac_aca_eligible;
  j["rule_2022"] = std::string(rule_2022_name(c.rule_2022.result));
  j["rule_2022_reason"] = c.rule_2022.reason;
  j["china_overlay"] = std::string(china_overlay_name(c.china_overlay.overlay));
  j["china_overlay_reason"] = c.china_overlay.reason;
  j["china_status"] = std::string(china_status_name(c.china_status));
  j["china_status_note"] = c.china_status_note;
  j["china_status_confirmed"] = c.china_status_confirmed;
  return j;
}

Accelerator make_accelerator(const ChipFigures& figures) {
  Accelerator a;
  a.id = figures.id;
  a.name = figures.name;
  a.vendor = "custom";
  a.origin = figures.origin;
  a.datacenter = figures.datacenter;
  a.china_status = a.domestic() ? ChinaStatus::kDomestic : ChinaStatus::kNotOffered;
  a.defined_at = figures.source;
  auto figure = [&](double v) {
    Figure f;
    f.value = v;
    f.source = figures.source;
    f.confidence = figures.confidence;
    return f;
  };
  for (const auto& [p, v] : figures.dense_tflops) {
    a.dense_tflops[static_cast<std::size_t>(p)] = figure(v);
  }
  if (figures.die_area_mm2) a.die_area_mm2 = figure(*figures.die_area_mm2);
  if (figures.memory_bw_gbps) a.memory_bw_gbps = figure(*figures.memory_bw_gbps);
  if (figures.scaleup_bidir_gbps) a.scaleup_bidir_gbps = figure(*figures.scaleup_bidir_gbps);
  return a;
}

}  // namespace suanli

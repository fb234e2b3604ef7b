#include "service/fleet_config.h"

#include <toml++/toml.h>

#include "util/toml_reader.h"

namespace suanli::service {

Result<void> fill_tenant_declarations(std::vector<Tenant>& tenants, std::string_view toml_text) {
  SUANLI_ASSIGN(const toml::table doc, parse_toml_text(toml_text, "fleet-config.toml"));
  const toml::array* declared = doc["tenants"].as_array();
  if (!declared) return {};
  for (const toml::node& node : *declared) {
    const toml::table* t = node.as_table();
    if (!t) continue;
    const auto name = (*t)["name"].value<std::string>();
    const auto level = (*t)["sensitivity"].value<std::string>();
    if (!name || !level) continue;
    const auto parsed = parse_sensitivity(*level);
    if (!parsed) continue;  // the loader refuses it first
    for (Tenant& tenant : tenants)
      if (tenant.name == *name && !tenant.sensitivity) tenant.sensitivity = *parsed;
  }
  return {};
}

}  // namespace suanli::service

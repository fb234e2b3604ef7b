// `suanli catalog`: list accelerators and models with their sources.
#include <fmt/format.h>
#include <CLI/CLI.hpp>
#include <memory>
#include <nlohmann/json.hpp>
#include <ostream>

#include "app/app.h"
#include "catalog/catalog_json.h"
#include "util/table.h"

namespace suanli::app {

namespace {

struct CatalogState {
  std::string what = "accelerators";
  std::string id;
  bool json = false;
};

std::string cell(const std::optional<Figure>& f, const char* fmt_spec = "{:g}") {
  if (!f) return "—";
  std::string s = fmt::format(fmt::runtime(fmt_spec), f->value);
  if (f->unverified()) s += "?";
  return s;
}

int run(Context& ctx, const CatalogState& s) {
  auto cat = ctx.catalog();
  if (!cat) return ctx.report(cat.error());
  const Catalog& c = **cat;
  if (s.what == "models") {
    if (s.json) {
      nlohmann::json arr = nlohmann::json::array();
      for (const auto& m : c.models()) arr.push_back(model_json(m));
      ctx.out() << arr.dump(2) << "\n";
      return kExitOk;
    }
    TextTable t({"id", "name", "layers", "hidden", "heads/kv", "params", "active", "kind"});
    t.set_right_aligned({2, 3, 5, 6});
    for (const auto& m : c.models()) {
      const auto p = count_params(m);
      t.add_row({m.id, m.name, std::to_string(m.layers), std::to_string(m.hidden),
                 fmt::format("{}/{}", m.heads, m.kv_heads), fmt::format("{:.1f}B", p.total / 1e9),
                 fmt::format("{:.1f}B", p.active / 1e9),
                 std::string(m.is_moe() ? "MoE" : "dense") + (m.mla ? "+MLA" : "")});
    }
    ctx.out() << t.render();
    return kExitOk;
  }
  if (s.what == "show") {
    if (s.id.empty()) return ctx.report({ErrorCode::kInvalidArgument, "catalog show needs an ID"});
    auto a = c.accelerator(s.id);
    if (!a) return ctx.report(a.error());
    ctx.out() << accelerator_json(**a).dump(2) << "\n";
    return kExitOk;
  }
  if (s.json) {
    nlohmann::json arr = nlohmann::json::array();
    for (const auto& a : c.accelerators()) arr.push_back(accelerator_json(a));
    ctx.out() << arr.dump(2) << "\n";
    return kExitOk;
  }
  TextTable t({"id", "vendor", "origin", "BF16 TF", "FP8 TF", "mem GB", "mem GB/s", "scale-up",
               "domain", "TDP W", "$/h", "China"});
  t.set_right_aligned({3, 4, 5, 6, 7, 8, 9, 10});
  for (const auto& a : c.accelerators()) {
    const auto& bf = a.rate(Precision::kBf16) ? a.rate(Precision::kBf16) : a.rate(Precision::kFp16);
    t.add_row({a.id, a.vendor, a.origin, cell(bf), cell(a.rate(Precision::kFp8)), cell(a.memory_gb),
               cell(a.memory_bw_gbps), cell(a.scaleup_bidir_gbps), cell(a.scaleup_domain),
               cell(a.tdp_w), cell(a.rental_usd_per_hour, "{:.2f}"),
               std::string(china_status_name(a.china_status))});
  }
  ctx.out() << t.render()
            << "? = estimate or placeholder (unverified); `suanli catalog show ID` gives every "
               "figure's source\n";
  return kExitOk;
}

}  // namespace

void register_catalog(CLI::App& app, Context& ctx) {
  auto state = std::make_shared<CatalogState>();
  auto* cmd = app.add_subcommand(
      "catalog", "List accelerators (default) or models, or show one accelerator with sources");
  cmd->add_option("what", state->what, "accelerators | models | show")
      ->check(CLI::IsMember({"accelerators", "models", "show"}));
  cmd->add_option("id", state->id, "Accelerator ID for `show`");
  cmd->add_flag("--json", state->json, "Print JSON");
  cmd->callback([&ctx, state] { ctx.action() = [&ctx, state] { return run(ctx, *state); }; });
}

}  // namespace suanli::app

// `suanli catalog`: list accelerators and models with their sources.
#include <fmt/format.h>
#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <memory>
#include <nlohmann/json.hpp>
#include <ostream>

#include "app/app.h"
#include "catalog/catalog_check.h"
#include "catalog/catalog_json.h"
#include "util/table.h"

namespace suanli::app {

namespace {

struct CatalogState {
  std::string what = "accelerators";
  std::string id;
  bool json = false;
  std::string as_of;  // empty: today (UTC)
  int stale_months = 12;
};

std::string today_utc() {
  const auto days = std::chrono::floor<std::chrono::days>(std::chrono::system_clock::now());
  const std::chrono::year_month_day ymd{days};
  return fmt::format("{:04}-{:02}-{:02}", static_cast<int>(ymd.year()),
                     static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()));
}

// `catalog check`: every warning, explained ones marked; exit 1 when any
// warning is unexplained.
int run_check(Context& ctx, const Catalog& c, const CatalogState& s) {
  const CatalogCheckParams params{s.as_of.empty() ? today_utc() : s.as_of, s.stale_months};
  auto warnings = check_catalog(c.accelerators(), params);
  if (!warnings) return ctx.report(warnings.error());
  const auto unexplained = std::count_if(warnings->begin(), warnings->end(),
                                         [](const CatalogWarning& w) { return !w.explained(); });
  if (s.json) {
    nlohmann::json arr = nlohmann::json::array();
    for (const auto& w : *warnings) {
      arr.push_back({{"check", w.check},
                     {"accelerator", w.accelerator},
                     {"where", w.where},
                     {"message", w.message},
                     {"explanation", w.explanation}});
    }
    ctx.out() << nlohmann::json{{"as_of", params.as_of},
                                {"stale_months", params.stale_months},
                                {"accelerators", c.accelerators().size()},
                                {"unexplained", unexplained},
                                {"warnings", arr}}
                     .dump(2)
              << "\n";
    return unexplained == 0 ? kExitOk : kExitFailure;
  }
  for (const auto& w : *warnings) {
    ctx.out() << fmt::format("{} {} [{}] {}: {}\n", w.explained() ? "explained " : "WARNING   ",
                             w.where, w.check, w.accelerator, w.message);
    if (w.explained()) ctx.out() << fmt::format("          why: {}\n", w.explanation);
  }
  ctx.out() << fmt::format(
      "{} accelerators checked as of {} (status dates older than {} months warn): {} warnings, "
      "{} unexplained\n",
      c.accelerators().size(), params.as_of, params.stale_months, warnings->size(), unexplained);
  return unexplained == 0 ? kExitOk : kExitFailure;
}

std::string status_cell(const Accelerator& a) {
  std::string s(china_status_name(a.china_status));
  if (!a.china_status_confirmed.empty()) s += " (" + a.china_status_confirmed + ")";
  return s;
}

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
  auto messages = ctx.messages();
  if (!messages) return ctx.report(messages.error());
  const Messages& tr = **messages;
  if (s.what == "models") {
    if (s.json) {
      nlohmann::json arr = nlohmann::json::array();
      for (const auto& m : c.models()) arr.push_back(model_json(m));
      ctx.out() << arr.dump(2) << "\n";
      return kExitOk;
    }
    TextTable t({"id", "name", "layers", "hidden", "heads/kv", "params", "active params", "kind"},
                tr);
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
  if (s.what == "check") return run_check(ctx, c, s);
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
               "domain", "TDP W", "$/h", "China (confirmed)"},
              tr);
  t.set_right_aligned({3, 4, 5, 6, 7, 8, 9, 10});
  for (const auto& a : c.accelerators()) {
    const auto& bf = a.rate(Precision::kBf16) ? a.rate(Precision::kBf16) : a.rate(Precision::kFp16);
    t.add_row({a.id, a.vendor, a.origin, cell(bf), cell(a.rate(Precision::kFp8)), cell(a.memory_gb),
               cell(a.memory_bw_gbps), cell(a.scaleup_bidir_gbps), cell(a.scaleup_domain),
               cell(a.tdp_w), cell(a.rental_usd_per_hour, "{:.2f}"),
               status_cell(a)});
  }
  ctx.out() << t.render()
            << tr.tr("? = estimate or placeholder (unverified); `suanli catalog show ID` gives "
                     "every figure's source")
            << "\n";
  return kExitOk;
}

}  // namespace

void register_catalog(CLI::App& app, Context& ctx) {
  auto state = std::make_shared<CatalogState>();
  std::string checks;
  for (const auto& c : catalog_checks()) checks += fmt::format("\n  {:<22} {}", c.id, c.what);
  auto* cmd = app.add_subcommand(
      "catalog",
      "List accelerators (default) or models, show one accelerator with sources, or check the "
      "catalog's consistency");
  cmd->footer(
      "`catalog check` lists every warning of these checks (an entry's [accelerator.check_notes] "
      "explains the ones it expects) and exits 1 when any is unexplained:" +
      checks);
  cmd->add_option("what", state->what, "accelerators | models | show | check")
      ->check(CLI::IsMember({"accelerators", "models", "show", "check"}));
  cmd->add_option("id", state->id, "Accelerator ID for `show`");
  cmd->add_option("--as-of", state->as_of,
                  "check: the date statuses are aged against, YYYY-MM or YYYY-MM-DD (default: "
                  "today, UTC)");
  cmd->add_option("--stale-months", state->stale_months,
                  "check: a China status confirmed longer ago than this warns")
      ->default_val(12)
      ->check(CLI::Range(1, 1200));
  cmd->add_flag("--json", state->json, "Print JSON");
  cmd->callback([&ctx, state] { ctx.action() = [&ctx, state] { return run(ctx, *state); }; });
}

}  // namespace suanli::app

// `suanli classify`: ECCN 3A090 class, the 2022 rule and the Jan-2026 China
// licence-review overlay per accelerator. All logic is in compliance/; this
// file only resolves IDs and renders the results.
#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cmath>
#include <memory>
#include <nlohmann/json.hpp>
#include <ostream>
#include <set>
#include <string>
#include <vector>

#include "app/app.h"
#include "compliance/compliance.h"
#include "compliance/compliance_json.h"
#include "util/table.h"

namespace suanli::app {
namespace {

struct ClassifyOptions {
  std::vector<std::string> ids;
  bool all = false;
  bool json = false;
};

// '?' placeholder, '*' estimate; nothing for verified or secondary figures.
std::string marker(Confidence c) {
  switch (c) {
    case Confidence::kPlaceholder:
      return "?";
    case Confidence::kEstimate:
      return "*";
    case Confidence::kVerified:
    case Confidence::kSecondary:
      return "";
  }
  return "";
}

// The worse of two grades, for values derived from two figures (PD).
// (Confidence is declared best to worst.)
Confidence worse(Confidence a, Confidence b) {
  return static_cast<int>(a) > static_cast<int>(b) ? a : b;
}

std::string tpp_cell(const Classification& c) {
  if (!c.tpp) return "-";
  const double v = c.tpp->value;
  const int decimals = std::abs(v - std::round(v)) < 1e-6 * std::max(1.0, v) ? 0 : 1;
  return format_grouped(v, decimals) + marker(c.tpp->confidence);
}

std::string pd_cell(const Classification& c) {
  if (!c.performance_density) return "-";
  const auto& pd = *c.performance_density;
  return format_grouped(pd.value, 2) + marker(worse(c.tpp->confidence, pd.die_area_confidence));
}

std::string class_cell(const Classification& c) {
  switch (c.eccn_class) {
    case EccnClass::k3A090a:
    case EccnClass::k3A090b:
      return fmt::format("{} ({})", eccn_class_name(c.eccn_class), paragraph_name(c.paragraph));
    case EccnClass::kNot3A090:
      return c.paragraph == Paragraph::kDatacenterNote ? "not 3A090 (Note 2)" : "not 3A090";
    case EccnClass::kUndetermined:
      return c.tpp ? "undetermined (needs die area)" : "undetermined (no TPP)";
  }
  return "undetermined";
}

std::string origin_cell(const Classification& c) {
  return c.domestic ? c.origin + " (domestic)" : c.origin;
}

// Below the table: each chip's rule, the class its disputed figures would
// give, and what would change it (with `all`, only chips whose class rests
// on a disputed figure).
std::string render_details(const std::vector<Classification>& results, bool all) {
  std::string out;
  for (const auto& c : results) {
    if (all && c.disputed.empty()) continue;
    out += fmt::format("\n{}: {}\n", c.id, c.rule);
    for (const auto& d : c.disputed) out += "  disputed: " + d + "\n";
    if (!all) {
      for (const auto& w : c.would_change) out += "  would change at " + w + "\n";
    }
  }
  return out.empty() ? out : out + "\n";
}

std::string render_table(const std::vector<Classification>& results, bool all, const Messages& m) {
  TextTable table(
      {"ID", "Origin", "TPP", "PD", "ECCN class", "China overlay (91 FR 1684)", "China status"}, m);
  table.set_right_aligned({2, 3});
  for (const auto& c : results) {
    table.add_row({c.id, origin_cell(c), tpp_cell(c), pd_cell(c), class_cell(c),
                   std::string(china_overlay_name(c.china_overlay.overlay)),
                   std::string(m.tr(china_status_name(c.china_status))) +
                       (c.china_status_confirmed.empty() ? ""
                                                         : " (" + c.china_status_confirmed + ")")});
  }
  return table.render() + render_details(results, all) +
         "Markers: ? = from a placeholder figure, * = from an estimate (both unverified); "
         "- = unknown.\n"
         "TPP = max dense TFLOPS x bits; PD = TPP / die area (mm²). CN (domestic) rows: US class "
         "and overlay by parameters only. China status with the month a source last confirmed "
         "it. Every reason: --json.\n";
}

int run_classify(Context& ctx, const ClassifyOptions& opts) {
  if (opts.ids.empty() && !opts.all) {
    return ctx.report(Error{ErrorCode::kInvalidArgument,
                            "classify needs accelerator IDs or --all (e.g. `suanli classify "
                            "h200-sxm h20`; list IDs with `suanli catalog`)"});
  }
  auto catalog = ctx.catalog();
  if (!catalog) return ctx.report(catalog.error());

  std::vector<const Accelerator*> chips;
  if (opts.all) {
    for (const auto& a : (*catalog)->accelerators()) chips.push_back(&a);
  } else {
    int status = kExitOk;
    std::set<std::string> seen;
    for (const auto& id : opts.ids) {
      auto found = (*catalog)->accelerator(id);
      if (!found) {
        status = ctx.report(found.error());
        continue;
      }
      if (seen.insert((*found)->id).second) chips.push_back(*found);
    }
    if (status != kExitOk) return status;
  }

  std::vector<Classification> results;
  results.reserve(chips.size());
  for (const Accelerator* a : chips) results.push_back(classify(*a));

  if (opts.json) {
    nlohmann::ordered_json out = nlohmann::ordered_json::array();
    for (const auto& c : results) out.push_back(classification_json(c));
    ctx.out() << out.dump(2) << "\n";
  } else {
    auto messages = ctx.messages();
    if (!messages) return ctx.report(messages.error());
    ctx.out() << render_table(results, opts.all, **messages);
  }
  return kExitOk;
}

}  // namespace

void register_classify(CLI::App& app, Context& ctx) {
  auto opts = std::make_shared<ClassifyOptions>();
  CLI::App* cmd = app.add_subcommand(
      "classify",
      "Classify accelerators under US export controls: TPP, performance density, ECCN 3A090 "
      "class and paragraph, and the Jan-2026 China licence-review overlay");
  cmd->footer(rules_summary() +
              "PD = TPP / applicable (non-planar logic) die area in mm². A missing figure gives\n"
              "'undetermined' for the tests that need it, never a guess. --json adds the 2022\n"
              "rule, the NAC/ACA note and the reason for every result.\n\n"
              "Examples:\n"
              "  suanli classify h200-sxm h20\n"
              "  suanli classify --all --json\n");
  auto* ids =
      cmd->add_option("ids", opts->ids, "Accelerator IDs (list them with `suanli catalog`)");
  auto* all = cmd->add_flag("--all", opts->all, "Classify every accelerator in the catalog");
  all->excludes(ids);
  cmd->add_flag("--json", opts->json,
                "Print a JSON array (one object per accelerator, with the rule text and reasons)");
  cmd->callback([&ctx, opts] { ctx.action() = [&ctx, opts] { return run_classify(ctx, *opts); }; });
}

}  // namespace suanli::app

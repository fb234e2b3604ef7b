#include "report/html_report.h"

#include <fmt/format.h>

#include <string>
#include <string_view>

#include "report/html_parts.h"

namespace suanli {

namespace {

using report_html::Ctx;
using report_html::json;

// The sections in page order, each named once: its anchor, its entry in the
// table of contents, whether the document has it, and its renderer (one
// file per section, report/report_*.cpp).
struct SectionRenderer {
  std::string_view id;
  std::string_view toc;
  bool (*present)(const json& doc);
  void (*render)(std::string& out, Ctx& c);
};

bool has_items(const json& doc, const char* section, const char* items) {
  return !report_html::arr(report_html::obj(doc, section), items).empty();
}

constexpr SectionRenderer kSections[] = {
    {"comparison", "Comparison", [](const json& d) { return has_items(d, "comparison", "workloads"); },
     report_html::comparison},
    {"plan", "Plan", [](const json& d) { return report_html::at(d, "plan").is_object(); },
     report_html::plan_section},
    {"robustness", "Robustness", [](const json& d) { return has_items(d, "robustness", "inputs"); },
     report_html::robustness_section},
    {"sweep", "Sweep", [](const json& d) { return has_items(d, "sweep", "points"); },
     report_html::sweep_section},
    {"simulation-sweep", "Simulation sweep",
     [](const json& d) { return has_items(d, "simulation_sweep", "points"); },
     report_html::simulation_sweep_section},
    {"simulation", "Simulation", [](const json& d) { return report_html::at(d, "simulation").is_object(); },
     report_html::simulation_section},
};

}  // namespace

std::string html_escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char ch : text) {
    switch (ch) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += ch;
    }
  }
  return out;
}

std::string script_safe_json(const nlohmann::json& value) {
  const std::string text = value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  std::string out;
  out.reserve(text.size() + 16);
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '<' && i + 1 < text.size() && text[i + 1] == '/') {
      out += "<\\/";
      ++i;
    } else if (text.compare(i, 4, "<!--") == 0) {
      out += "\\u003c";
    } else {
      out += text[i];
    }
  }
  return out;
}

std::string render_report_html(const nlohmann::json& doc, const Messages& m) {
  static const json empty = json::object();
  const json& d = doc.is_object() ? doc : empty;
  const report_html::Accelerators accels(d);
  Ctx c{d, accels, m, {}};

  std::string top, body;
  report_html::header(top, c);
  // Each section guards itself; a bug-level exception in one (there should
  // be none) costs that section, not the report.
  auto guarded = [&](void (*section)(std::string&, Ctx&), std::string_view what) {
    std::string part;
    try {
      section(part, c);
    } catch (const std::exception& e) {
      part = fmt::format("<div class=\"conflicts\">{}</div>",
                         report_html::esc(m.trf("The {section} section could not be rendered: {reason}",
                                                fmt::arg("section", m.tr(what)),
                                                fmt::arg("reason", e.what()))));
    }
    body += part;
  };
  std::string toc;
  for (const SectionRenderer& s : kSections) {
    if (!s.present(d)) continue;
    toc += fmt::format("<a href=\"#{}\">{}</a>", s.id, report_html::esc(m.tr(s.toc)));
    guarded(s.render, s.toc);
  }

  const std::string title = report_html::str(d, "title").empty()
                                ? std::string(m.tr("suanli report"))
                                : report_html::str(d, "title");
  std::string out;
  out.reserve(body.size() + chart_js_source().size() + report_style_css().size() + report_charts_js().size() + 2048);
  out +=
      fmt::format("<!DOCTYPE html>\n<html lang=\"{}\">\n<head>\n<meta charset=\"utf-8\">\n", lang_html(m.lang()));
  out +=
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
      "<meta name=\"generator\" content=\"suanli\">\n";
  out += fmt::format("<title>{}</title>\n<style>{}</style>\n</head>\n<body>\n<main>\n",
                     report_html::esc(title), report_style_css());
  out += top;
  if (!toc.empty()) out += "<nav class=\"toc\">" + toc + "</nav>\n";
  if (!c.charts.names.empty())
    out += fmt::format("<noscript><div>{}</div></noscript>\n",
                       report_html::esc(m.tr("Charts need JavaScript; every figure is also in the tables.")));
  out += body;
  const std::string by = report_html::str(d, "generated_by").empty() ? "suanli" : report_html::str(d, "generated_by");
  out += fmt::format(
      "<footer>{}. {} <span class=\"unverified\">?</span> {}</footer>\n</main>\n",
      report_html::esc(m.trf("Generated by {program}", fmt::arg("program", by))),
      report_html::esc(m.tr("Charts drawn by Chart.js (MIT licence), inlined in this file; the "
                            "report makes no network request.")),
      report_html::esc(m.tr("marks figures resting on estimates or placeholders.")));
  if (!c.charts.names.empty()) {
    out += "<script>\n";
    out += chart_js_source();
    out += "\n</script>\n<script>";
    out += report_charts_js();
    out += "</script>\n";
  }
  out += "</body>\n</html>\n";
  return out;
}

}  // namespace suanli

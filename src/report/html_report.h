// The buyer's report: one self-contained HTML file (no external URL, works
// offline) with the accelerator comparison, the procurement plan, the sweep
// frontier and a simulation of the planned fleet, drawn as charts by the
// charting library inlined into the page.
//
// The input is the typed report document (report_document.h) that `suanli
// report` builds or a stored copy of it decoded; each section is rendered
// when present and skipped when absent, so rendering a document never fails
// (decoding a stored one names its first bad field). Every chart is a
// <canvas data-chart="NAME"> drawn from a <script type="application/json">
// block without animation, so the page is complete right after `load`.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "report/report_document.h"
#include "util/error.h"
#include "util/messages.h"

namespace suanli {

// The whole HTML document, in the language of `messages` (English by
// default): the page's own words translated, the document's data (chip and
// model names, scenario text, commands, sources) marked translate="no".
std::string render_report_html(const ReportDocument& doc, const Messages& messages = {});
// The same for a document as JSON (a stored report run, a sweep's
// document): decoded first; a document that does not decode is the error.
Result<std::string> render_report_json(const nlohmann::json& doc, const Messages& messages = {});

// Chart.js (UMD build), embedded at build time from web/node_modules by
// cmake/embed_asset.cmake; the text inlined into every report.
std::string_view chart_js_source();

// The report's stylesheet and page script (web/report/report.css and
// web/report/charts.js), embedded at build time the same way.
std::string_view report_style_css();
std::string_view report_charts_js();

// `text` with & < > " ' replaced by entities: safe in element content and
// in quoted attribute values.
std::string html_escape(std::string_view text);

// JSON text safe inside a <script> element: every "</" becomes "<\/" (the
// same string to a JSON parser), and "<!--" is broken up likewise.
std::string script_safe_json(const nlohmann::json& value);

}  // namespace suanli

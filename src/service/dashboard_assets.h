// The dashboard's files (web/dashboard/), embedded into the binary at build
// time by cmake/embed_asset.cmake, and the charting library (Chart.js from
// npm, the same build `suanli report` inlines).
#pragma once

#include <string_view>

namespace suanli {
std::string_view dashboard_index_html();
std::string_view dashboard_app_js();
std::string_view dashboard_style_css();
std::string_view chart_js_source();
}  // namespace suanli

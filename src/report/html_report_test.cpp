#include "report/html_report.h"
#include "contains.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

namespace suanli {
namespace {

using nlohmann::json;

// The real report document of the bundled plan scenario (every section),
// as `suanli report --json` writes it; tests/report_document_test.cpp keeps
// it current. Also the sample the headless-Chromium test renders
// (ReportSampleRendersInChromium).
ReportDocument sample_doc() {
  const auto path = std::filesystem::path(SUANLI_SOURCE_DIR) / "tests" / "golden" /
                    "report-plan-2027-h200-return.json";
  std::ifstream f(path, std::ios::binary);
  const auto j = nlohmann::json::parse(f, nullptr, false);
  auto d = decode_report_document(j);
  EXPECT_TRUE(d) << path << ": " << (d ? "" : d.error().message);
  return d ? *d : ReportDocument{};
}

using ::suanli::testing::contains;

// The page without the contents of its <script> elements: what the browser
// parses as markup.
std::string markup_only(const std::string& html) {
  std::string out;
  std::size_t pos = 0;
  while (true) {
    const std::size_t open = html.find("<script", pos);
    if (open == std::string::npos) break;
    const std::size_t body = html.find('>', open);
    const std::size_t close = html.find("</script>", body);
    if (body == std::string::npos || close == std::string::npos) break;
    out.append(html, pos, body + 1 - pos);
    pos = close;
  }
  out.append(html, pos);
  return out;
}

std::string canvas(std::string_view name) { return "data-chart=\"" + std::string(name) + "\""; }

const std::vector<std::string> kAllCharts = {"compare-per-usd", "compare-per-kw", "plan-mix",
                                             "plan-cost",       "plan-policy",    "sweep-frontier",
                                             "sim-utilisation", "sim-domestic",   "sim-jct",
                                             "robustness-tornado"};

TEST(HtmlReport, EveryChartOfTheBundledReport) {
  const ReportDocument doc = sample_doc();
  const std::string html = render_report_html(doc);
  for (const auto& name : kAllCharts) {
    EXPECT_TRUE(contains(html, canvas(name))) << name;
    EXPECT_TRUE(contains(html, "id=\"chart-data-" + name + "\"")) << name;
  }
  EXPECT_TRUE(contains(html, "<meta name=\"generator\" content=\"suanli\">"));
  EXPECT_TRUE(contains(html, "<title>" + doc.title + "</title>"));
  EXPECT_TRUE(contains(html, "<h2>Accelerator comparison</h2>"));
  EXPECT_TRUE(contains(html, "<h2>Sweep frontier</h2>"));
  ASSERT_TRUE(doc.policy);
  EXPECT_TRUE(contains(html, fmt::format("policy minimum ({:.0f}%)",
                                         doc.policy->domestic_share_min * 100)));  // the dashed line
  // The first screen answers both questions with the command behind the
  // figure; the robustness table names what flips.
  EXPECT_LT(html.find("id=\"answer\""), html.find("<h2>Accelerator comparison</h2>"));
  ASSERT_TRUE(doc.headline && doc.headline->worth);
  const HeadlineWorth& worth = *doc.headline->worth;
  EXPECT_TRUE(contains(html, "What is " + worth.other + " worth against " + worth.baseline +
                                 " here?"));
  EXPECT_TRUE(contains(html, "<code>" + html_escape(worth.command) + "</code>"));
  EXPECT_TRUE(contains(html, "What to buy?"));
  EXPECT_TRUE(contains(html, "<h2>How robust the plan is</h2>"));
  bool flips = false, breaks = false;
  for (const RobustnessInputDoc& in : doc.robustness->inputs)
    for (const RobustnessCaseDoc* side : {&in.low, &in.high}) {
      for (const std::string& f : side->flips) {
        EXPECT_TRUE(contains(html, html_escape(f))) << f;
        flips = true;
      }
      breaks = breaks || !side->chosen_plan_cost_usd;
    }
  EXPECT_TRUE(flips);
  EXPECT_EQ(breaks, contains(html, "breaks"));
  EXPECT_TRUE(contains(html, "What the answer rests on."));
  EXPECT_LT(html.find("What the answer rests on."), html.find("<h2>Accelerator comparison</h2>"));
  EXPECT_TRUE(contains(html, "\"animation\":false") || contains(html, "animation = false"));
}

TEST(HtmlReport, InlinesTheChartLibraryAndNoExternalUrl) {
  EXPECT_GT(chart_js_source().size(), 50'000u);
  EXPECT_TRUE(contains(std::string(chart_js_source()), "Chart.js v4"));
  EXPECT_FALSE(contains(std::string(chart_js_source()), "sourceMappingURL"));
  const std::string html = render_report_html(sample_doc());
  EXPECT_GT(html.size(), 50'000u);
  EXPECT_TRUE(contains(html, chart_js_source()));
  for (const char* bad : {"src=\"http", "href=\"http", "src='http", "href='http", "src=\"//",
                          "href=\"//", "url(http", "url(//", "@import"})
    EXPECT_FALSE(contains(html, bad)) << bad;
  EXPECT_LT(html.size(), 1'000'000u);
}

TEST(HtmlReport, EscapesTextAndScriptData) {
  ReportDocument doc = sample_doc();
  doc.title = "<script>alert(1)</script> & co";
  doc.comparison->workloads[0].name = "</script><b>bold</b>";
  doc.comparison->workloads[0].rows[0].name = "H200 \"<img onerror=x>\"";
  doc.accelerators->front().name = "H200 \"<img onerror=x>\"";
  doc.summary = Strings{"a <i>b</i> 'c'"};
  const std::string html = render_report_html(doc);
  EXPECT_FALSE(contains(html, "<script>alert(1)"));
  EXPECT_TRUE(contains(html, "&lt;script&gt;alert(1)&lt;/script&gt; &amp; co"));
  EXPECT_FALSE(contains(html, "</script><b>"));
  EXPECT_TRUE(contains(html, "&lt;/script&gt;&lt;b&gt;bold&lt;/b&gt;"));  // the table heading
  EXPECT_TRUE(contains(html, "<\\/script><b>bold<\\/b>"));                // the chart data
  EXPECT_FALSE(contains(markup_only(html), "<img onerror"));
  EXPECT_FALSE(contains(markup_only(html), "<b>bold"));
  EXPECT_TRUE(contains(html, "H200 &quot;&lt;img onerror=x&gt;&quot;"));
  EXPECT_TRUE(contains(html, "a &lt;i&gt;b&lt;/i&gt; &#39;c&#39;"));
}

TEST(HtmlReport, ScriptSafeJson) {
  EXPECT_EQ(script_safe_json(json("</script>")), "\"<\\/script>\"");
  EXPECT_EQ(script_safe_json(json("<!--x")), "\"\\u003c!--x\"");
  EXPECT_EQ(json::parse(script_safe_json(json("a</b><!--c"))).get<std::string>(), "a</b><!--c");
  EXPECT_EQ(html_escape("<a href='x'>&\"</a>"), "&lt;a href=&#39;x&#39;&gt;&amp;&quot;&lt;/a&gt;");
}

TEST(HtmlReport, MissingSectionsAreSkipped) {
  ReportDocument doc = sample_doc();
  doc.sweep.reset();
  doc.simulation.reset();
  std::string html = render_report_html(doc);
  for (const char* name : {"compare-per-usd", "plan-mix", "plan-cost", "plan-policy"})
    EXPECT_TRUE(contains(html, canvas(name))) << name;
  for (const char* name : {"sweep-frontier", "sim-utilisation", "sim-domestic", "sim-jct"})
    EXPECT_FALSE(contains(html, canvas(name))) << name;
  EXPECT_FALSE(contains(html, "id=\"sweep\""));
  EXPECT_FALSE(contains(html, "id=\"simulation\""));

  ReportDocument only;
  only.title = "only a comparison";
  only.comparison = sample_doc().comparison;
  html = render_report_html(only);
  EXPECT_TRUE(contains(html, canvas("compare-per-kw")));
  for (const char* name : {"plan-mix", "plan-cost", "sweep-frontier", "sim-jct"})
    EXPECT_FALSE(contains(html, canvas(name))) << name;

  // Nothing at all: a valid page with no chart and no chart library.
  html = render_report_html(ReportDocument{});
  EXPECT_TRUE(contains(html, "<!DOCTYPE html>"));
  EXPECT_TRUE(contains(html, "</html>"));
  EXPECT_FALSE(contains(html, "data-chart="));
  EXPECT_FALSE(contains(html, "Chart.js v4"));
}

// A chip the workload's rules forbid is listed with the rule and never
// starred, even when it is the best value: the star goes to the best
// allowed chip.
TEST(HtmlReport, ForbiddenRowsAreNotStarredAndSayWhy) {
  auto row = [](std::string id, std::string origin, double rate, double per_usd) {
    ComparisonRow r;
    r.accelerator = std::move(id);
    r.origin = std::move(origin);
    r.ok = true;
    r.per_device_rate = rate;
    r.per_usd_hour = per_usd;
    r.per_kw = 1.0;
    return r;
  };
  ComparisonRow h200 = row("h200-sxm", "US", 10.0, 9.0);
  h200.forbidden = "sensitive data: this workload runs only on domestic chips";
  const ComparisonRow c910 = row("ascend-910c", "CN", 8.0, 7.0);
  ReportDocument doc;
  ComparisonWorkload gov;
  gov.name = "gov";
  gov.rows = {h200, c910};
  doc.comparison = ComparisonSection{{gov}};
  const std::string html = render_report_html(doc);
  EXPECT_TRUE(contains(html, "not allowed: sensitive data")) << html.substr(0, 200);
  const auto forbidden = html.find("<tr class=\"forbidden\">");
  const auto best = html.find("<tr class=\"best\">");
  ASSERT_NE(forbidden, std::string::npos);
  ASSERT_NE(best, std::string::npos);
  EXPECT_LT(forbidden, best);  // the H200 row comes first, and is not the starred one
  EXPECT_EQ(html.find("<tr class=\"best\">", best + 1), std::string::npos);
}

TEST(HtmlReport, InfeasiblePlanShowsConflicts) {
  ReportDocument doc;
  doc.plan.emplace();
  doc.plan->status = "infeasible";
  doc.plan->conflicts = {{"budget", "budget", "at most $1 B"},
                         {"demand:chat-70b", "demand", "serve 2e6 tokens/s"}};
  const std::string html = render_report_html(doc);
  EXPECT_TRUE(contains(html, "class=\"conflicts\""));
  EXPECT_TRUE(contains(html, "demand:chat-70b"));
  EXPECT_TRUE(contains(html, "at most $1 B"));
  EXPECT_FALSE(contains(html, canvas("plan-mix")));
}

// A stored document that does not decode is an error naming its first bad
// field, never a page drawn from guesses.
TEST(HtmlReport, MalformedDocumentsAreErrorsNamingTheField) {
  const std::pair<json, std::string_view> docs[] = {
      {json::array({1, 2}), "document: expected an object"},
      {json("text"), "document: expected an object"},
      {{{"title", 42}}, "title: expected a string, found 42"},
      {{{"title", "t"}, {"scenario", "s"}, {"description", ""}, {"generated_by", "g"},
        {"summary", "not a list"}},
       "summary: expected an array"},
      {{{"title", "t"}, {"scenario", "s"}, {"description", ""}, {"generated_by", "g"},
        {"sweep", {{"keys", {1, 2}}, {"points", json::array()}}}},
       "sweep.keys[0]: expected a string, found 1"},
      {{{"title", "bad utf-8 \xff\xfe"}, {"scenario", "s"}, {"description", ""}},
       "generated_by: missing"},
  };
  for (const auto& [doc, message] : docs) {
    Result<std::string> html;
    EXPECT_NO_THROW(html = render_report_json(doc));
    ASSERT_FALSE(html) << doc.dump(-1, ' ', false, json::error_handler_t::replace);
    EXPECT_TRUE(contains(html.error().message, message)) << html.error().message;
  }
}

// Figures a decoded document may still hold that no chart can draw
// (negative or huge JCTs, empty series) render as less, never throw.
TEST(HtmlReport, OddFiguresRenderAsLess) {
  ReportDocument doc = sample_doc();
  doc.simulation->jct_hours = {-1, 0, 1e300, 2};
  doc.simulation->timeline.resize(1);
  doc.comparison->workloads[0].rows[0].per_usd_hour.reset();
  std::string html;
  EXPECT_NO_THROW(html = render_report_html(doc));
  EXPECT_TRUE(contains(html, "</html>"));
  doc.simulation->jct_hours = {0, 0, 0};
  doc.simulation->timeline.clear();
  EXPECT_NO_THROW(html = render_report_html(doc));
  EXPECT_TRUE(contains(html, "</html>"));
}

// Writes the sample report where SUANLI_REPORT_SAMPLE_OUT says (the CTest
// fixture that the headless-Chromium test needs); otherwise only renders.
// Not skipped when unset, so a plain run of the suite stays all-green.
TEST(HtmlReport, WritesSample) {
  const std::string html = render_report_html(sample_doc());
  ASSERT_FALSE(html.empty());
  const char* out = std::getenv("SUANLI_REPORT_SAMPLE_OUT");
  if (out == nullptr || *out == '\0') return;
  const std::filesystem::path path(out);
  if (path.has_parent_path()) std::filesystem::create_directories(path.parent_path());
  const std::filesystem::path tmp = path.string() + ".tmp";
  {
    std::ofstream f(tmp, std::ios::binary);
    f << html;
    ASSERT_TRUE(f.good()) << tmp;
  }
  std::filesystem::rename(tmp, path);  // atomic: a reader never sees half a file
  std::cout << "wrote " << path.string() << " (" << html.size() << " bytes)\n";
}

}  // namespace
}  // namespace suanli

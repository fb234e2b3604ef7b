#include "report/html_report.h"

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

std::string fmt_share(double s) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", s);
  return buf;
}

// A document with every section, shaped like `suanli report`'s: the sample
// the headless-Chromium test renders (ReportSampleRendersInChromium).
json sample_doc() {
  struct Chip {
    const char* id;
    const char* name;
    const char* origin;
    const char* eccn;
    const char* status;
    double train, infer, price, kw;
    bool unverified;
  };
  const std::vector<Chip> chips = {
      {"h200-sxm", "NVIDIA H200 SXM", "US", "3A090.a", "licence case by case", 1450, 3900, 32000,
       0.7, false},
      {"h20", "NVIDIA H20", "US", "3A090.a", "licence required", 420, 2300, 13000, 0.4, false},
      {"h100-sxm", "NVIDIA H100 SXM", "US", "3A090.a", "import-blocked", 1200, 3100, 25000, 0.7,
       false},
      {"ascend-910c", "Huawei Ascend 910C", "CN", "not 3A090 (domestic)", "domestic", 820, 2000,
       18000, 0.55, true},
      {"ascend-910b", "Huawei Ascend 910B", "CN", "not 3A090 (domestic)", "domestic", 430, 1100,
       11000, 0.4, true},
      {"mlu590", "Cambricon MLU590", "CN", "not 3A090 (domestic)", "domestic", 380, 900, 9000, 0.35,
       true},
  };
  json workloads = json::array();
  for (int w = 0; w < 2; ++w) {
    json rows = json::array();
    for (const auto& c : chips) {
      const double rate = w == 0 ? c.train : c.infer;
      const double usd_h = c.price / (4 * 8760.0) + c.kw * 0.08;
      const bool ok = !(w == 0 && std::string(c.id) == "mlu590");
      rows.push_back({{"accelerator", c.id},
                      {"name", c.name},
                      {"origin", c.origin},
                      {"eccn_class", c.eccn},
                      {"china_status", c.status},
                      {"ok", ok},
                      {"why_not", ok ? "" : "model does not fit in 64 GB at TP 8"},
                      {"devices", w == 0 ? 2048 : 64},
                      {"per_device_rate", rate},
                      {"per_usd_hour", rate / usd_h},
                      {"per_kw", rate / c.kw},
                      {"price_usd_per_device", c.price},
                      {"unverified",
                       c.unverified ? json::array({"price_usd", "efficiency"}) : json::array()}});
    }
    workloads.push_back({{"name", w == 0 ? "base-175b" : "chat-70b"},
                         {"kind", w == 0 ? "training" : "inference"},
                         {"description", w == 0 ? "gpt3-175b, 3e12 tokens in 90 days"
                                                : "llama3-70b, 2048 in / 512 out, TPOT 50 ms"},
                         {"metric", "tokens/s per device"},
                         {"rows", rows}});
  }

  json purchases = json::array(), use = json::array();
  const int bought[3][3] = {{1024, 2048, 0}, {512, 1024, 512}, {0, 1024, 512}};  // year x chip
  const char* plan_chips[3] = {"h200-sxm", "ascend-910c", "ascend-910b"};
  double owned[3] = {0, 0, 0};
  for (int y = 0; y < 3; ++y)
    for (int k = 0; k < 3; ++k) {
      if (bought[y][k] > 0)
        purchases.push_back({{"accelerator", plan_chips[k]},
                             {"site", k == 0 ? "ulanqab" : "guian"},
                             {"year", y + 1},
                             {"nodes", bought[y][k] / 8},
                             {"devices", bought[y][k]}});
      owned[k] += bought[y][k];
      use.push_back({{"accelerator", plan_chips[k]},
                     {"year", y + 1},
                     {"owned_devices", owned[k]},
                     {"rented_devices", k == 0 && y == 0 ? 256 : 0},
                     {"used_devices", owned[k] * (0.6 + 0.1 * k)},
                     {"utilisation", 0.6 + 0.1 * k}});
    }

  json plan = {
      {"status", "optimal"},
      {"objective_usd", 1.23e9},
      {"solve_time_s", 0.42},
      {"gap", 0},
      {"purchases", purchases},
      {"cost",
       {{"capex_usd", 8.1e8},
        {"levies_usd", 9.5e7},
        {"power_usd", 2.4e8},
        {"rental_usd", 3.1e7},
        {"expected_shortfall_usd", 5.4e7}}},
      {"domestic_share", 0.52},
      {"domestic_share_by_year", {0.57, 0.69, 0.74}},
      {"binding_constraints",
       {{{"name", "budget"},
         {"kind", "budget"},
         {"detail", "capital budget over the horizon"},
         {"limit", 1e9},
         {"slack", 0},
         {"marginal_usd_per_unit", 0.31},
         {"unit", "USD"},
         {"step", 1e7}},
        {{"name", "site-power:guian"},
         {"kind", "site-power"},
         {"detail", "40 MW at Gui'an"},
         {"limit", 40},
         {"slack", 0},
         {"marginal_usd_per_unit", 2.2e6},
         {"unit", "MW"},
         {"step", 1}}}},
      {"policy_costs",
       {{{"policy", "domestic-share"},
         {"detail", "at least 50% domestic capacity"},
         {"delta_usd", 1.1e8},
         {"delta_pct", 9.8},
         {"status_without", "optimal"}},
        {{"policy", "sensitive-on-domestic"},
         {"detail", "sensitive work on domestic chips"},
         {"delta_usd", 2.3e7},
         {"delta_pct", 1.9},
         {"status_without", "optimal"}},
        {{"policy", "levy:h200-sxm"},
         {"detail", "25% levy on H200"},
         {"delta_usd", 4.0e7},
         {"delta_pct", 3.4},
         {"status_without", "optimal"}}}},
      {"demands",
       {{{"name", "base-175b"},
         {"kind", "training"},
         {"allocations",
          {{{"accelerator", "h200-sxm"}, {"year", 1}, {"fraction", 0.6}, {"devices", 1228.8}},
           {{"accelerator", "ascend-910c"}, {"year", 1}, {"fraction", 0.4}, {"devices", 1500}}}}},
        {{"name", "chat-70b"},
         {"kind", "inference"},
         {"allocations",
          {{{"accelerator", "ascend-910b"}, {"year", 2}, {"fraction", 1.0}, {"devices", 512}}}}}}},
      {"utilisation", use},
      {"conflicts", json::array()}};

  json points = json::array();
  for (const char* risk : {"0", "0.2"})
    for (int i = 0; i <= 6; ++i) {
      const double share = 0.1 * i;
      const bool feasible = i < 6;
      points.push_back(
          {{"values",
            {{"policy.domestic_share_min", fmt_share(share)}, {"risk.licence_shock", risk}}},
           {"status", feasible ? "optimal" : "infeasible"},
           {"objective_usd",
            feasible ? json(1.0e9 * (1 + 0.05 * i * i / 4) * (risk[1] ? 1.08 : 1)) : json(nullptr)},
           {"domestic_share", feasible ? json(std::max(share, 0.2)) : json(nullptr)},
           {"devices_by_accelerator",
            {{"h200-sxm", 4096 - 600 * i}, {"ascend-910c", 1024 + 700 * i}}}});
    }

  json timeline = json::array();
  for (int h = 0; h <= 30 * 24; h += 4) {
    const double day = h / 24.0;
    timeline.push_back({{"t_h", h},
                        {"domestic_share", 0.55 + 0.08 * std::sin(day / 3)},
                        {"utilisation",
                         {{"h200-sxm", std::min(1.0, 0.3 + day / 20 + 0.05 * std::sin(h / 7.0))},
                          {"ascend-910c", std::min(1.0, 0.2 + day / 25 + 0.05 * std::cos(h / 9.0))},
                          {"ascend-910b", 0.15 + day / 60}}}});
  }
  json jct = json::array();
  unsigned state = 12345;
  for (int i = 0; i < 240; ++i) {
    state = state * 1103515245u + 12345u;
    const double u = ((state >> 8) & 0xffff) / 65536.0;
    jct.push_back(std::round(-std::log(1 - u) * 12 * 100) / 100 + 0.5);
  }

  return {{"title", "Plan 2027: the H200 returns"},
          {"scenario", "examples/plan-2027-h200-return.toml"},
          {"description", "A 3-year buy for training and serving under a 50% domestic-share rule."},
          {"generated_by", "suanli 0.1.0"},
          {"summary",
           {"Buy 1,536 H200 and 4,096 Ascend 910C over three years for $1.23 B.",
            "The domestic-share rule costs $110 M (9.8%)."}},
          {"policy", {{"domestic_share_min", 0.5}}},
          {"comparison", {{"workloads", workloads}}},
          {"plan", plan},
          {"headline",
           {{"worth",
             {{"baseline", "h200-sxm"},
              {"other", "ascend-910c"},
              {"sentence", "For foundation-175b a ascend-910c gives 0.81x."},
              {"cost_basis", "cost basis: ownership per device-hour"},
              {"command", "suanli compare train --model gpt3-175b --devices 1024"}}},
            {"buy", {{"sentence", "Buy year 1: 1,920 ascend-910c."}}}}},
          {"robustness",
           {{"base_cost_usd", 1.9e8},
            {"inputs",
             json::array({{{"input", "price:ascend-910c"},
                           {"label", "ascend-910c price (USD per device)"},
                           {"source", "catalog price_usd"},
                           {"base", 28000},
                           {"low", {{"side", "low"}, {"value", 20000}, {"cost_usd", 1.77e8},
                                    {"chosen_plan_cost_usd", 1.8e8}, {"regret_usd", 3e6},
                                    {"flips", json::array()}}},
                           {"high", {{"side", "high"}, {"value", 38000}, {"cost_usd", 2.17e8},
                                     {"chosen_plan_cost_usd", nullptr}, {"regret_usd", 0},
                                     {"flips", {"mlu590 3,328 -> 1,856 devices"}}}}}})}}},
          {"sweep",
           {{"keys", {"policy.domestic_share_min", "risk.licence_shock"}}, {"points", points}}},
          {"simulation",
           {{"seed", 42},
            {"days", 30},
            {"jobs", 240},
            {"finished", 236},
            {"audit_violations", 0},
            {"utilisation_by_accelerator",
             {{"h200-sxm", 0.71}, {"ascend-910c", 0.64}, {"ascend-910b", 0.4}}},
            {"timeline", timeline},
            {"jct_hours", jct},
            {"summary", {{"mean_jct_h", 12.4}, {"p50_jct_h", 8.9}, {"p95_jct_h", 36.2}}}}}};
}

bool contains(const std::string& text, std::string_view what) {
  return text.find(what) != std::string::npos;
}

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

TEST(HtmlReport, EveryChartOfAFullDocument) {
  const std::string html = render_report_html(sample_doc());
  for (const auto& name : kAllCharts) {
    EXPECT_TRUE(contains(html, canvas(name))) << name;
    EXPECT_TRUE(contains(html, "id=\"chart-data-" + name + "\"")) << name;
  }
  EXPECT_TRUE(contains(html, "<meta name=\"generator\" content=\"suanli\">"));
  EXPECT_TRUE(contains(html, "Plan 2027: the H200 returns"));
  EXPECT_TRUE(contains(html, "<h2>Accelerator comparison</h2>"));
  EXPECT_TRUE(contains(html, "<h2>Sweep frontier</h2>"));
  EXPECT_TRUE(contains(html, "policy minimum (50%)"));  // the dashed line
  // The first screen answers both questions; the robustness table names what flips.
  EXPECT_LT(html.find("id=\"answer\""), html.find("<h2>Accelerator comparison</h2>"));
  EXPECT_TRUE(contains(html, "What is ascend-910c worth against h200-sxm here?"));
  EXPECT_TRUE(contains(html, "suanli compare train --model gpt3-175b"));
  EXPECT_TRUE(contains(html, "What to buy?"));
  EXPECT_TRUE(contains(html, "<h2>How robust the plan is</h2>"));
  EXPECT_TRUE(contains(html, "mlu590 3,328 -&gt; 1,856 devices"));
  EXPECT_TRUE(contains(html, "breaks"));
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
  json doc = sample_doc();
  doc["title"] = "<script>alert(1)</script> & co";
  doc["comparison"]["workloads"][0]["name"] = "</script><b>bold</b>";
  doc["comparison"]["workloads"][0]["rows"][0]["name"] = "H200 \"<img onerror=x>\"";
  doc["summary"] = {"a <i>b</i> 'c'"};
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
  json doc = sample_doc();
  doc.erase("sweep");
  doc.erase("simulation");
  std::string html = render_report_html(doc);
  for (const char* name : {"compare-per-usd", "plan-mix", "plan-cost", "plan-policy"})
    EXPECT_TRUE(contains(html, canvas(name))) << name;
  for (const char* name : {"sweep-frontier", "sim-utilisation", "sim-domestic", "sim-jct"})
    EXPECT_FALSE(contains(html, canvas(name))) << name;
  EXPECT_FALSE(contains(html, "id=\"sweep\""));
  EXPECT_FALSE(contains(html, "id=\"simulation\""));

  doc = json{{"title", "only a comparison"}, {"comparison", sample_doc()["comparison"]}};
  html = render_report_html(doc);
  EXPECT_TRUE(contains(html, canvas("compare-per-kw")));
  for (const char* name : {"plan-mix", "plan-cost", "sweep-frontier", "sim-jct"})
    EXPECT_FALSE(contains(html, canvas(name))) << name;

  // Nothing at all: a valid page with no chart and no chart library.
  html = render_report_html(json::object());
  EXPECT_TRUE(contains(html, "<!DOCTYPE html>"));
  EXPECT_TRUE(contains(html, "</html>"));
  EXPECT_FALSE(contains(html, "data-chart="));
  EXPECT_FALSE(contains(html, "Chart.js v4"));
}

// A chip the workload's rules forbid is listed with the rule and never
// starred, even when it is the best value: the star goes to the best
// allowed chip.
TEST(HtmlReport, ForbiddenRowsAreNotStarredAndSayWhy) {
  json rows = json::array();
  rows.push_back({{"accelerator", "h200-sxm"}, {"origin", "US"}, {"ok", true},
                  {"per_device_rate", 10.0}, {"per_usd_hour", 9.0}, {"per_kw", 1.0},
                  {"forbidden", "sensitive data: this workload runs only on domestic chips"}});
  rows.push_back({{"accelerator", "ascend-910c"}, {"origin", "CN"}, {"ok", true},
                  {"per_device_rate", 8.0}, {"per_usd_hour", 7.0}, {"per_kw", 1.0}});
  const json doc = {{"comparison", {{"workloads", json::array({{{"name", "gov"}, {"rows", rows}}})}}}};
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
  json doc = {
      {"plan",
       {{"status", "infeasible"},
        {"conflicts",
         {{{"name", "budget"}, {"kind", "budget"}, {"detail", "at most $1 B"}},
          {{"name", "demand:chat-70b"}, {"kind", "demand"}, {"detail", "serve 2e6 tokens/s"}}}}}}};
  const std::string html = render_report_html(doc);
  EXPECT_TRUE(contains(html, "class=\"conflicts\""));
  EXPECT_TRUE(contains(html, "demand:chat-70b"));
  EXPECT_TRUE(contains(html, "at most $1 B"));
  EXPECT_FALSE(contains(html, canvas("plan-mix")));
}

TEST(HtmlReport, MalformedFieldsRenderAsLessNeverThrow) {
  const json docs[] = {
      json::array({1, 2}),
      json("text"),
      {{"title", 42}, {"summary", "not a list"}, {"comparison", {{"workloads", {{{"rows", 7}}}}}}},
      {{"plan",
        {{"purchases", {{{"year", "one"}, {"devices", "many"}}}}, {"cost", {{"capex_usd", "x"}}}}}},
      {{"sweep", {{"keys", {1, 2}}, {"points", {{{"values", 3}}, 5}}}}},
      {{"simulation",
        {{"timeline", {{{"t_h", "x"}}, {{"t_h", 1}, {"utilisation", {{"a", "b"}}}}}},
         {"jct_hours", {-1, "x", 1e300, 2}}}}},
      {{"simulation", {{"jct_hours", {0, 0, 0}}}}},
      {{"title", "bad utf-8 \xff\xfe"},
       {"comparison",
        {{"workloads",
          {{{"name", "\xc3"}, {"rows", {{{"accelerator", "a"}, {"per_usd_hour", 3}}}}}}}}}},
  };
  for (const auto& d : docs) {
    std::string html;
    EXPECT_NO_THROW(html = render_report_html(d))
        << d.dump(-1, ' ', false, json::error_handler_t::replace);
    EXPECT_TRUE(contains(html, "</html>"));
  }
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

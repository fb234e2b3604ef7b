// The report document of the bundled plan scenario (examples/
// plan-2027-h200-return.toml), as `suanli report --json` writes it, kept in
// tests/golden/report-plan-2027-h200-return.json with its solve times
// scrubbed: the document the renderer's unit tests draw
// (src/report/html_report_test.cpp), checked here to be the real one.
// CTest's ReportBundledBuild runs the command once (the same run the
// Chromium test opens) and ReportBundledDocument compares its document with
// the golden; SUANLI_UPDATE_GOLDEN=1 rewrites the golden after a deliberate
// change.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>
#include <string>

#include "golden_diff.h"
#include "read_file.h"
#include "report/html_report.h"
#include "report/report_document.h"

namespace suanli {
namespace {

const std::filesystem::path kGolden = std::filesystem::path(SUANLI_SOURCE_DIR) / "tests" /
                                      "golden" / "report-plan-2027-h200-return.json";

using ::suanli::testing::read_file;

// What changes from run to run: the solve times (the timing keys dropped,
// "(0.42 s, gap 0)" made "(gap 0)"). Nothing may change from machine to
// machine: a string holding the checkout's own path fails (catalog
// locations read "data/economics.toml:34", catalog/catalog.cpp).
void scrub(nlohmann::json& j) {
  if (j.is_object()) {
    j.erase("solve_time_s");
    j.erase("total_time_s");
    for (auto& [k, v] : j.items()) scrub(v);
  } else if (j.is_array()) {
    for (auto& v : j) scrub(v);
  } else if (j.is_string()) {
    static const std::string root = std::string(SUANLI_SOURCE_DIR) + "/";
    EXPECT_EQ(j.get<std::string>().find(root), std::string::npos)
        << "the document names a path of this machine: " << j.get<std::string>();
  }
}
void scrub_document(nlohmann::json& doc) {
  scrub(doc);
  static const std::regex kSeconds(R"(\([0-9.]+ s, gap )");
  if (doc.contains("summary"))
    for (auto& line : doc["summary"])
      if (line.is_string()) line = std::regex_replace(line.get<std::string>(), kSeconds, "(gap ");
}

// Every section of the plan report, as the renderer's table names them.
void expect_every_section(const ReportDocument& d) {
  EXPECT_TRUE(d.headline && d.headline->worth) << "headline.worth";
  ASSERT_TRUE(d.comparison);
  EXPECT_FALSE(d.comparison->workloads.empty());
  ASSERT_TRUE(d.plan);
  EXPECT_EQ(d.plan->status, "optimal");
  EXPECT_FALSE(d.plan->purchases.empty());
  ASSERT_TRUE(d.robustness);
  EXPECT_FALSE(d.robustness->inputs.empty());
  ASSERT_TRUE(d.sweep);
  EXPECT_FALSE(d.sweep->points.empty());
  ASSERT_TRUE(d.simulation);
  EXPECT_FALSE(d.simulation->timeline.empty());
  const std::string html = render_report_html(d);
  for (const char* id : {"answer", "comparison", "plan", "robustness", "sweep", "simulation"})
    EXPECT_NE(html.find(std::string("<section id=\"") + id + "\""), std::string::npos) << id;
}

// The golden decodes into the typed document and writes back byte for byte:
// every key of the real document is a field of report_document.h, with the
// type its builder writes.
TEST(ReportDocument, TheGoldenDecodesAndWritesBackByteForByte) {
  const std::string text = read_file(kGolden);
  ASSERT_FALSE(text.empty()) << kGolden;
  const auto j = nlohmann::json::parse(text);
  auto d = decode_report_document(j);
  ASSERT_TRUE(d) << d.error().message;
  EXPECT_EQ(encode_report_document(*d).dump(2) + "\n", text);
  expect_every_section(*d);
}

// A document stored by an earlier version, without the fields added since
// (optional in the tables), still reads and renders.
TEST(ReportDocument, ADocumentFromBeforeAnAddedFieldStillReads) {
  auto j = nlohmann::json::parse(read_file(kGolden));
  ASSERT_TRUE(j["plan"].contains("assumptions"));
  j["plan"].erase("assumptions");
  auto html = render_report_json(j);
  ASSERT_TRUE(html) << html.error().message;
  EXPECT_NE(html->find("<section id=\"plan\""), std::string::npos);
}

TEST(ReportDocument, AStoredDocumentThatDoesNotDecodeNamesItsField) {
  auto j = nlohmann::json::parse(read_file(kGolden));
  j["plan"]["purchases"][1]["devices"] = "many";
  auto d = decode_report_document(j);
  ASSERT_FALSE(d);
  EXPECT_EQ(d.error().message,
            "report document: plan.purchases[1].devices: expected an integer, found \"many\"");
  j = nlohmann::json::parse(read_file(kGolden));
  j["simulation"].erase("reconciliation");
  auto html = render_report_json(j);
  ASSERT_FALSE(html);
  EXPECT_EQ(html.error().message, "report document: simulation.reconciliation: missing");
}

// The document the command wrote in this build (ReportBundledBuild; path
// in SUANLI_REPORT_JSON) is the golden. Under the sanitizers the command
// sweeps one key over two values (tests/CMakeLists.txt), so there it is
// only decoded and checked for every section.
TEST(ReportDocument, TheBundledReportIsTheGolden) {
  const char* path = std::getenv("SUANLI_REPORT_JSON");
  if (path == nullptr || *path == '\0') return;  // run by CTest's ReportBundledDocument
  auto j = nlohmann::json::parse(read_file(path), nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << path;
  auto d = decode_report_document(j);
  ASSERT_TRUE(d) << d.error().message;
  expect_every_section(*d);
#ifndef SUANLI_SANITIZE_BUILD
  scrub_document(j);
  const std::string got = j.dump(2) + "\n";
  if (const char* update = std::getenv("SUANLI_UPDATE_GOLDEN"); update && *update == '1') {
    std::ofstream(kGolden, std::ios::binary) << got;
    return;
  }
  const std::string want = read_file(kGolden);
  EXPECT_TRUE(got == want)
      << testing::first_line_difference(got, want)
      << "\n(regenerate with SUANLI_UPDATE_GOLDEN=1 after a deliberate change)";
#endif
}

}  // namespace
}  // namespace suanli

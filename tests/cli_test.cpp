// The CLI contract: exit codes (0 ok, 2 bad input), error messages and the
// JSON keys of `estimate` / `compare` / `catalog`. Runs run_cli() in-process,
// plus one subprocess run of the built binary for the real exit status.
#include "app/app.h"

#include <gtest/gtest.h>

#include <algorithm>

#include <fmt/format.h>
#include <sys/wait.h>

#include <array>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "cli_run.h"
#include "contains.h"
#include "perf/workload_fields.h"
#include "temp_dir.h"

namespace suanli::app {
namespace {

using ::suanli::testing::contains;

bool mentions_nan(const std::string& text) {
  return std::regex_search(text, std::regex("\\b(nan|inf)\\b", std::regex::icase));
}

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

const std::vector<std::string> kGpt3NoModelParallel = {
    "estimate",      "train", "--model",     "gpt3-175b", "--accel", "a100-sxm-80g",
    "--devices",     "8",     "--tp",        "1",         "--pp",    "1",
    "--micro-batch", "1",     "--recompute", "full",      "--zero",  "1"};

// `suanli --version`: the version, the git revision and the catalog it
// reads, identified by content, so that two machines can tell whether they
// estimate from the same figures. An extra catalog directory changes the
// digest and the file count.
TEST(Cli, VersionNamesTheRevisionAndTheCatalog) {
  const std::regex line(R"(suanli \d+\.\d+\.\d+ \(git [0-9a-z-]+\)\ncatalog ([0-9a-f]{16}) \((\d+) files\) in .+)");
  unsetenv("SUANLI_CATALOG");
  const auto base = run({"--version"});
  EXPECT_EQ(base.code, 0) << base.err;
  std::smatch a;
  ASSERT_TRUE(std::regex_search(base.out, a, line)) << base.out;
  EXPECT_GT(std::stoi(a[2]), 20);
  setenv("SUANLI_CATALOG", (std::string(SUANLI_SOURCE_DIR) + "/examples/my-catalog").c_str(), 1);
  const auto more = run({"--version"});
  unsetenv("SUANLI_CATALOG");
  std::smatch b;
  ASSERT_TRUE(std::regex_search(more.out, b, line)) << more.out;
  EXPECT_NE(a[1].str(), b[1].str());
  EXPECT_GT(std::stoi(b[2]), std::stoi(a[2]));
  EXPECT_EQ(run({"--version"}).out, base.out) << "the same catalog gives the same digest";
}

TEST(Cli, UnknownModelSuggests) {
  const auto r =
      run({"estimate", "train", "--model", "llama3-7b", "--accel", "h100-sxm", "--devices", "8"});
  EXPECT_EQ(r.code, kExitBadInput);
  EXPECT_TRUE(contains(r.err, "did you mean")) << r.err;
  EXPECT_TRUE(contains(r.err, "llama3-")) << r.err;
}

TEST(Cli, UnknownAccelerator) {
  const auto r =
      run({"estimate", "train", "--model", "llama3-8b", "--accel", "h2000", "--devices", "8"});
  EXPECT_EQ(r.code, kExitBadInput);
  EXPECT_TRUE(contains(r.err, "h2000")) << r.err;
  EXPECT_TRUE(contains(r.err, "did you mean")) << r.err;
  const auto i = run({"estimate", "infer", "--model", "llama3-8b", "--accel", "h2000", "--devices",
                      "8", "--input-len", "128", "--output-len", "128"});
  EXPECT_EQ(i.code, kExitBadInput);
  EXPECT_TRUE(contains(i.err, "h2000")) << i.err;
}

TEST(Cli, ModelThatDoesNotFitIsBadInputNamingMemory) {
  const auto r = run(kGpt3NoModelParallel);
  EXPECT_EQ(r.code, kExitBadInput);
  EXPECT_TRUE(contains(r.err, "GB")) << r.err;
  EXPECT_TRUE(contains(lower(r.err), "memory")) << r.err;
  EXPECT_FALSE(mentions_nan(r.all())) << r.all();
}

TEST(Cli, ModelThatDoesNotFitJsonStillExitsTwo) {
  auto args = kGpt3NoModelParallel;
  args.push_back("--json");
  const auto r = run(args);
  EXPECT_EQ(r.code, kExitBadInput);
  EXPECT_TRUE(contains(r.err, "GB")) << r.err;
  if (!r.out.empty()) {
    // If the command prints the failing configuration, it says it does not fit.
    const auto j = nlohmann::json::parse(r.out, nullptr, false);
    ASSERT_FALSE(j.is_discarded()) << r.out;
    EXPECT_EQ(j.value("fits", true), false);
  }
}

TEST(Cli, TpNotDividingHeads) {
  const auto r = run({"estimate", "train", "--model", "llama3-8b", "--accel", "h100-sxm",
                      "--devices", "56", "--tp", "7"});
  EXPECT_EQ(r.code, kExitBadInput);
  EXPECT_TRUE(contains(r.err, "heads")) << r.err;
}

TEST(Cli, PpNotDividingLayers) {
  const auto r = run({"estimate", "train", "--model", "llama3-8b", "--accel", "h100-sxm",
                      "--devices", "24", "--tp", "1", "--pp", "3"});
  EXPECT_EQ(r.code, kExitBadInput);
  EXPECT_TRUE(contains(r.err, "--uneven-pipeline")) << r.err;
}

TEST(Cli, ParallelProductMustEqualDevices) {
  const auto r = run({"estimate", "train", "--model", "llama3-8b", "--accel", "h100-sxm",
                      "--devices", "8", "--tp", "2", "--pp", "2", "--dp", "4"});
  EXPECT_EQ(r.code, kExitBadInput);
  EXPECT_FALSE(r.err.empty());
}

// Each workload field is defined once (perf/workload_fields.h): `--help`
// lists its flag with its description and bounds, an out-of-range value is
// bad input naming the flag, and the API reads the same table (checked in
// compute_api_test.cpp against the OpenAPI schema).
template <class R>
void expect_flags_in_help(const std::string& help, const FieldTable<R>& table) {
  for (const auto& f : table) {
    const std::string flag = cli_flag(f);
    EXPECT_TRUE(contains(help, flag + " ")) << flag;
    // Help wraps long lines: look for the description's first words.
    const std::string head(f.spec.description.substr(0, 24));
    EXPECT_TRUE(contains(help, head)) << flag << ": " << head;
  }
}

TEST(Cli, WorkloadFlagsComeFromTheFieldTables) {
  const auto train = run({"estimate", "train", "--help"});
  expect_flags_in_help(train.out + train.err, train_workload_fields());
  expect_flags_in_help(train.out + train.err, train_parallelism_fields());
  expect_flags_in_help(train.out + train.err, cost_fields());
  const auto infer = run({"estimate", "infer", "--help"});
  expect_flags_in_help(infer.out + infer.err, infer_workload_fields());
  expect_flags_in_help(infer.out + infer.err, infer_layout_fields());
  // The table's bounds reach the CLI: ZeRO is 0..3 there.
  const auto zero = run({"estimate", "train", "--model", "llama3-8b", "--accel", "h100-sxm",
                         "--devices", "8", "--zero", "4"});
  EXPECT_EQ(zero.code, kExitBadInput);
  EXPECT_TRUE(contains(zero.err, "--zero")) << zero.err;
  const auto power = run({"estimate", "train", "--model", "llama3-8b", "--accel", "h100-sxm",
                          "--devices", "8", "--power-limit", "-5"});
  EXPECT_EQ(power.code, kExitBadInput);
}

TEST(Cli, NonPositiveSizesAreBadInputWithoutNan) {
  const std::vector<std::vector<std::string>> cases = {
      {"estimate", "train", "--model", "llama3-8b", "--accel", "h100-sxm", "--devices", "0"},
      {"estimate", "train", "--model", "llama3-8b", "--accel", "h100-sxm", "--devices", "-8"},
      {"estimate", "train", "--model", "llama3-8b", "--accel", "h100-sxm", "--devices", "8",
       "--seq", "0"},
      {"estimate", "train", "--model", "llama3-8b", "--accel", "h100-sxm", "--devices", "8",
       "--seq", "-1"},
      {"estimate", "train", "--model", "llama3-8b", "--accel", "h100-sxm", "--devices", "8",
       "--global-batch", "0"},
      {"estimate", "train", "--model", "llama3-8b", "--accel", "h100-sxm", "--devices", "8",
       "--tokens", "-1e12"},
      {"estimate", "infer", "--model", "llama3-8b", "--accel", "h100-sxm", "--devices", "0",
       "--input-len", "128", "--output-len", "128"},
      {"estimate", "infer", "--model", "llama3-8b", "--accel", "h100-sxm", "--devices", "-8",
       "--input-len", "128", "--output-len", "128"},
      {"estimate", "infer", "--model", "llama3-8b", "--accel", "h100-sxm", "--devices", "8",
       "--input-len", "0", "--output-len", "128"},
      {"estimate", "infer", "--model", "llama3-8b", "--accel", "h100-sxm", "--devices", "8",
       "--input-len", "128", "--output-len", "128", "--batch", "0"},
  };
  for (const auto& args : cases) {
    const auto r = run(args);
    std::string cmd;
    for (const auto& a : args) cmd += a + " ";
    EXPECT_EQ(r.code, kExitBadInput) << cmd << "\n" << r.all();
    EXPECT_FALSE(mentions_nan(r.all())) << cmd << "\n" << r.all();
    EXPECT_FALSE(r.err.empty()) << cmd;
  }
}

TEST(Cli, Fp8OnA100IsBadInput) {
  const auto r = run({"estimate", "train", "--model", "llama3-8b", "--accel", "a100-sxm-80g",
                      "--devices", "8", "--precision", "fp8"});
  EXPECT_EQ(r.code, kExitBadInput);
  EXPECT_TRUE(contains(r.err, "fp8")) << r.err;
}

void expect_finite_positive(const nlohmann::json& j, const std::string& key) {
  ASSERT_TRUE(j.contains(key)) << key;
  ASSERT_TRUE(j[key].is_number()) << key << " = " << j[key].dump();
  const double v = j[key].get<double>();
  EXPECT_TRUE(std::isfinite(v)) << key;
  EXPECT_GT(v, 0) << key;
}

TEST(Cli, EstimateTrainJsonContract) {
  const auto r = run({"estimate", "train", "--model", "llama3-8b", "--accel", "h100-sxm",
                      "--devices", "64", "--json", "--tokens", "1e12"});
  ASSERT_EQ(r.code, kExitOk) << r.err;
  const auto j = nlohmann::json::parse(r.out, nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << r.out;
  ASSERT_TRUE(j.is_object());
  for (const char* k :
       {"step_time_s", "tokens_per_s", "mfu", "hfu", "model_tflops_per_device",
        "memory_per_device_gb", "time_to_train_days", "device_hours", "energy_mwh", "cost_usd"}) {
    expect_finite_positive(j, k);
  }
  EXPECT_LE(j["mfu"].get<double>(), 1.0);
  EXPECT_LE(j["mfu"].get<double>(), j["hfu"].get<double>());
  EXPECT_LE(j["hfu"].get<double>(), 1.0);
  ASSERT_TRUE(j.contains("fits"));
  ASSERT_TRUE(j["fits"].is_boolean());
  EXPECT_TRUE(j["fits"].get<bool>());
  ASSERT_TRUE(j.contains("mfu_peak"));
  EXPECT_TRUE(j["mfu_peak"].is_string());
  EXPECT_EQ(j["mfu_peak"].get<std::string>(), "bf16");

  ASSERT_TRUE(j.contains("parallelism"));
  const auto& p = j["parallelism"];
  for (const char* k : {"tp", "pp", "dp", "ep", "cp", "vpp", "micro_batch", "global_batch"}) {
    ASSERT_TRUE(p.contains(k)) << k;
    ASSERT_TRUE(p[k].is_number_integer()) << k;
    EXPECT_GE(p[k].get<long long>(), 1) << k;
  }
  EXPECT_EQ(p["tp"].get<long long>() * p["pp"].get<long long>() * p["dp"].get<long long>() *
                p["cp"].get<long long>(),
            64);
  ASSERT_TRUE(p.contains("recompute"));
  const std::string rc = p["recompute"].get<std::string>();
  EXPECT_TRUE(rc == "none" || rc == "selective" || rc == "full") << rc;
  ASSERT_TRUE(p.contains("sequence_parallel"));
  EXPECT_TRUE(p["sequence_parallel"].is_boolean());
  ASSERT_TRUE(p.contains("zero"));
  EXPECT_GE(p["zero"].get<int>(), 0);
  EXPECT_LE(p["zero"].get<int>(), 3);

  ASSERT_TRUE(j.contains("breakdown"));
  const auto& b = j["breakdown"];
  double sum = 0;
  for (const char* k :
       {"compute", "tp_comm", "pp_comm", "bubble", "dp_comm", "ep_comm", "optimizer"}) {
    ASSERT_TRUE(b.contains(k)) << k;
    ASSERT_TRUE(b[k].is_number()) << k;
    const double v = b[k].get<double>();
    EXPECT_TRUE(std::isfinite(v)) << k;
    EXPECT_GE(v, 0) << k;
    sum += v;
  }
  if (b.contains("cp_comm")) sum += b["cp_comm"].get<double>();
  EXPECT_GT(b["compute"].get<double>(), 0);
  const double step = j["step_time_s"].get<double>();
  EXPECT_NEAR(sum, step, 1e-6 * step);

  // Totals follow from the throughput: steady days = tokens / (tokens/s) /
  // 86400; wall days = steady / goodput; device-hours = wall days · 24 ·
  // devices; cost = device-hours · hourly cost on the ownership basis.
  const double tps = j["tokens_per_s"].get<double>();
  const double days = j["time_to_train_days"].get<double>();
  const double steady = j["steady_state_days"].get<double>();
  EXPECT_NEAR(steady, 1e12 / tps / 86400, 1e-6 * steady);
  ASSERT_TRUE(j["goodput"].is_object()) << j["goodput"].dump();
  const double goodput = j["goodput"]["fraction"].get<double>();
  EXPECT_GT(goodput, 0.9);
  EXPECT_LT(goodput, 1.0);
  EXPECT_NEAR(days, steady / goodput, 1e-6 * days);
  EXPECT_EQ(j["goodput"]["inputs"]["source"], "data/economics.toml");
  EXPECT_NEAR(j["device_hours"].get<double>(), days * 24 * 64, 1e-6 * days * 24 * 64);
  EXPECT_EQ(j["cost_basis"], "ownership");
  EXPECT_NEAR(j["cost_usd"].get<double>(),
              j["device_hours"].get<double>() * j["hourly_usd_per_device"].get<double>(),
              1e-6 * j["cost_usd"].get<double>());
  // --steady-state: wall = steady, no goodput; --cost-basis rental: the market rate.
  const auto st = run({"estimate", "train", "--model", "llama3-8b", "--accel", "h100-sxm",
                       "--devices", "64", "--json", "--tokens", "1e12", "--steady-state",
                       "--cost-basis", "rental"});
  ASSERT_EQ(st.code, kExitOk) << st.err;
  const auto js = nlohmann::json::parse(st.out, nullptr, false);
  EXPECT_TRUE(js["goodput"].is_null());
  EXPECT_NEAR(js["time_to_train_days"].get<double>(), steady, 1e-6 * steady);
  EXPECT_EQ(js["cost_basis"], "rental");
  EXPECT_GT(js["hourly_usd_per_device"].get<double>(), j["hourly_usd_per_device"].get<double>());
  EXPECT_NEAR(tps * step,
              static_cast<double>(p["global_batch"].get<long long>()) * j.value("seq", 0),
              1e-6 * tps * step);
}

TEST(Cli, EstimateInferJsonContract) {
  const auto r = run({"estimate", "infer", "--model", "llama3-70b", "--accel", "h20", "--devices",
                      "8", "--precision", "bf16", "--input-len", "2048", "--output-len", "512",
                      "--batch", "16", "--json"});
  ASSERT_EQ(r.code, kExitOk) << r.err;
  const auto j = nlohmann::json::parse(r.out, nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << r.out;
  for (const char* k : {"ttft_s", "tpot_s", "output_tokens_per_s", "output_tokens_per_s_per_device",
                        "input_tokens_per_s", "kv_cache_gb", "memory_per_device_gb",
                        "cost_per_million_output_tokens_usd"}) {
    expect_finite_positive(j, k);
  }
  ASSERT_TRUE(j.contains("batch"));
  EXPECT_EQ(j["batch"].get<int>(), 16);
  ASSERT_TRUE(j.contains("fits"));
  EXPECT_TRUE(j["fits"].get<bool>());
  const double total = j["output_tokens_per_s"].get<double>();
  const double per_device = j["output_tokens_per_s_per_device"].get<double>();
  EXPECT_NEAR(total, per_device * 8, 1e-6 * total);
  EXPECT_NEAR(j["input_tokens_per_s"].get<double>(), total * 2048 / 512, 1e-6 * total * 4);
  EXPECT_LT(j["kv_cache_gb"].get<double>(), j["memory_per_device_gb"].get<double>());
}

TEST(Cli, InferFp8OnAscendSuggestsInt8) {
  const auto r =
      run({"estimate", "infer", "--model", "llama3-70b", "--accel", "ascend-910c", "--devices", "8",
           "--precision", "fp8", "--input-len", "2048", "--output-len", "512"});
  EXPECT_EQ(r.code, kExitBadInput);
  EXPECT_TRUE(contains(r.err, "int8")) << r.err;
  const auto ok =
      run({"estimate", "infer", "--model", "llama3-70b", "--accel", "ascend-910c", "--devices", "8",
           "--precision", "int8", "--input-len", "2048", "--output-len", "512", "--json"});
  EXPECT_EQ(ok.code, kExitOk) << ok.err;
}

TEST(Cli, CompareInferJson) {
  const auto r = run({"compare", "infer", "--model", "llama3-70b", "--accels", "h200-sxm,h20",
                      "--devices", "8", "--input-len", "2048", "--output-len", "512", "--json"});
  ASSERT_EQ(r.code, kExitOk) << r.err;
  const auto j = nlohmann::json::parse(r.out, nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << r.out;
  ASSERT_TRUE(j.contains("rows"));
  ASSERT_TRUE(j["rows"].is_array());
  ASSERT_EQ(j["rows"].size(), 2u);
  EXPECT_EQ(j["rows"][0]["accelerator"], "h200-sxm");
  EXPECT_EQ(j["rows"][1]["accelerator"], "h20");
  ASSERT_TRUE(j["rows"][0].contains("relative_speed")) << j["rows"][0].dump();
  EXPECT_DOUBLE_EQ(j["rows"][0]["relative_speed"].get<double>(), 1.0);
}

// compare --csv FILE: one line per accelerator with the --json rows' fields,
// the same figures (the table still prints on stdout).
TEST(Cli, CompareCsvCarriesTheJsonRows) {
  suanli::testing::TempDir dir;
  const auto csv = (dir.path() / "compare.csv").string();
  const std::vector<std::string> args = {"compare", "train", "--model", "llama3-8b", "--devices", "8",
                                         "--accels", "h100-sxm,ascend-910b"};
  auto with_csv = args;
  with_csv.insert(with_csv.end(), {"--csv", csv});
  const auto r = run(with_csv);
  ASSERT_EQ(r.code, kExitOk) << r.err;
  EXPECT_TRUE(contains(r.out, "ascend-910b"));  // the table is still printed
  auto json_args = args;
  json_args.push_back("--json");
  const auto j = nlohmann::json::parse(run(json_args).out);
  std::ifstream f(csv);
  std::string header, line;
  std::getline(f, header);
  std::vector<std::string> cols;
  for (std::size_t a = 0, b; a <= header.size(); a = b + 1) {
    b = header.find(',', a);
    if (b == std::string::npos) b = header.size();
    cols.push_back(header.substr(a, b - a));
  }
  const auto at = [&](const std::string& name) {
    return static_cast<std::size_t>(std::find(cols.begin(), cols.end(), name) - cols.begin());
  };
  ASSERT_LT(at("accelerator"), cols.size()) << header;
  ASSERT_LT(at("tokens_per_s"), cols.size()) << header;
  ASSERT_LT(at("interval.tokens_per_s.p10"), cols.size()) << header;
  for (const auto& row : j.at("rows")) {
    ASSERT_TRUE(std::getline(f, line));
    std::vector<std::string> cells(1);  // RFC 4180: quoted cells may hold commas and ""
    bool quoted = false;
    for (std::size_t i = 0; i < line.size(); ++i) {
      const char c = line[i];
      if (quoted && c == '"' && i + 1 < line.size() && line[i + 1] == '"') {
        cells.back() += '"';
        ++i;
      } else if (c == '"') {
        quoted = !quoted;
      } else if (c == ',' && !quoted) {
        cells.emplace_back();
      } else {
        cells.back() += c;
      }
    }
    ASSERT_EQ(cells.size(), cols.size()) << line;
    EXPECT_EQ(cells.at(at("accelerator")), row.at("accelerator").get<std::string>());
    EXPECT_DOUBLE_EQ(std::stod(cells.at(at("tokens_per_s"))), row.at("tokens_per_s").get<double>());
  }
  EXPECT_FALSE(std::getline(f, line)) << "one line per accelerator";
}

// Terminal tables fit 120 columns; --wide shows every column.
TEST(Cli, CompareTablesFit120ColumnsUnlessWide) {
  auto widest = [](const std::string& text) {
    std::size_t w = 0;
    std::size_t start = 0;
    while (start < text.size()) {
      const std::size_t end = text.find('\n', start);
      const std::string line = text.substr(start, end == std::string::npos ? end : end - start);
      // Columns, not bytes: count UTF-8 lead bytes (·, ×, — are multi-byte).
      std::size_t cols = 0;
      for (unsigned char ch : line) cols += (ch & 0xC0) != 0x80;
      // Table lines only: the header rule and rows (notes below may wrap).
      if (line.rfind("  ", 0) != 0 && line.find("cost basis") == std::string::npos &&
          line.find("p10-p90:") == std::string::npos && line.find("relative to") == std::string::npos)
        w = std::max(w, cols);
      if (end == std::string::npos) break;
      start = end + 1;
    }
    return w;
  };
  const std::vector<std::string> train = {"compare", "train", "--model", "gpt3-175b", "--tokens",
                                          "3e11", "--devices", "128", "--accels",
                                          "h200-sxm,ascend-910c,kunlun-p800"};
  const auto narrow = run(train);
  ASSERT_EQ(narrow.code, kExitOk) << narrow.err;
  EXPECT_LE(widest(narrow.out), 120u) << narrow.out;
  EXPECT_TRUE(contains(narrow.out, "tokens/s (p10-p90)")) << narrow.out;
  EXPECT_FALSE(contains(narrow.out, "3A090")) << narrow.out;
  auto wide_args = train;
  wide_args.push_back("--wide");
  const auto wide = run(wide_args);
  ASSERT_EQ(wide.code, kExitOk) << wide.err;
  EXPECT_TRUE(contains(wide.out, "3A090")) << wide.out;
  EXPECT_GT(widest(wide.out), 120u);
  const auto infer = run({"compare", "infer", "--model", "llama3-70b", "--accels",
                          "h200-sxm,h20,ascend-910c,kunlun-p800", "--devices", "8", "--input-len",
                          "2048", "--output-len", "512"});
  ASSERT_EQ(infer.code, kExitOk) << infer.err;
  EXPECT_LE(widest(infer.out), 120u) << infer.out;
}

// CNY output: the printed amounts at the catalog's stated rate, the JSON in
// USD with the rate beside it.
TEST(Cli, CurrencyCnyConvertsPrintedAmountsAtTheStatedRate) {
  const std::vector<std::string> args = {"estimate", "infer", "--model", "llama3-70b", "--accel",
                                         "h20", "--devices", "8", "--input-len", "2048",
                                         "--output-len", "512", "--batch", "16"};
  auto with = [&](std::vector<std::string> extra) {
    std::vector<std::string> a = args;
    a.insert(a.end(), extra.begin(), extra.end());
    return run(a);
  };
  const auto js = with({"--currency", "cny", "--json"});
  ASSERT_EQ(js.code, kExitOk) << js.err;
  const auto j = nlohmann::json::parse(js.out);
  EXPECT_EQ(j["currency"]["display"], "CNY");
  EXPECT_EQ(j["currency"]["amounts"], "USD");
  const double rate = j["currency"]["cny_per_usd"].get<double>();
  EXPECT_GT(rate, 5);
  const double usd = j["cost_per_million_output_tokens_usd"].get<double>();
  const auto text = with({"--currency", "cny"});
  ASSERT_EQ(text.code, kExitOk) << text.err;
  EXPECT_TRUE(contains(text.out, fmt::format("Cost         ¥{:.3f}", usd * rate))) << text.out;
  EXPECT_TRUE(contains(text.out, "CNY at")) << text.out;
  const auto plain = with({});
  EXPECT_TRUE(contains(plain.out, fmt::format("Cost         ${:.3f}", usd))) << plain.out;
  const auto bad = with({"--currency", "eur"});
  EXPECT_EQ(bad.code, kExitBadInput);
}

TEST(Cli, CompareUnknownAccelerator) {
  const auto r = run({"compare", "infer", "--model", "llama3-70b", "--accels", "h200-sxm,h2000",
                      "--devices", "8", "--input-len", "2048", "--output-len", "512"});
  EXPECT_EQ(r.code, kExitBadInput);
  EXPECT_TRUE(contains(r.err, "h2000")) << r.err;
}

TEST(Cli, CatalogJsonListsAccelerators) {
  const auto r = run({"catalog", "--json"});
  ASSERT_EQ(r.code, kExitOk) << r.err;
  const auto j = nlohmann::json::parse(r.out, nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << r.out.substr(0, 500);
  ASSERT_TRUE(j.is_array());
  EXPECT_GE(j.size(), 24u);
  bool saw_910c = false;
  for (const auto& a : j) {
    ASSERT_TRUE(a.contains("id"));
    if (a["id"] == "ascend-910c") saw_910c = true;
    ASSERT_TRUE(a.contains("memory_gb")) << a["id"];
    ASSERT_TRUE(a["memory_gb"].is_object()) << a["id"];
    EXPECT_FALSE(a["memory_gb"]["source"].get<std::string>().empty()) << a["id"];
    EXPECT_FALSE(a["memory_gb"]["confidence"].get<std::string>().empty()) << a["id"];
  }
  EXPECT_TRUE(saw_910c);
}

TEST(Cli, HelpPrintsUsage) {
  const auto r = run({"--help"});
  EXPECT_EQ(r.code, kExitOk);
  EXPECT_TRUE(contains(r.out, "estimate")) << r.out;
  EXPECT_TRUE(contains(r.out, "compare")) << r.out;
}

TEST(Cli, NoCommandIsBadInput) {
  const auto r = run({});
  EXPECT_EQ(r.code, kExitBadInput);
  EXPECT_FALSE(r.all().empty());
}

TEST(Cli, BinaryExitStatusForUnknownAccelerator) {
  const std::string cmd = std::string("'") + SUANLI_BINARY +
                          "' estimate train --model llama3-8b --accel no-such-chip --devices 8 "
                          "2>&1";
  FILE* pipe = popen(cmd.c_str(), "r");
  ASSERT_NE(pipe, nullptr);
  std::string output;
  std::array<char, 4096> buf{};
  while (std::size_t n = fread(buf.data(), 1, buf.size(), pipe)) output.append(buf.data(), n);
  const int status = pclose(pipe);
  ASSERT_TRUE(WIFEXITED(status)) << output;
  EXPECT_EQ(WEXITSTATUS(status), 2) << output;
  EXPECT_TRUE(contains(output, "no-such-chip")) << output;
}

}  // namespace
}  // namespace suanli::app

namespace suanli::app {
namespace {

// A chip without a rental price: cost is unknown, so JSON says null (not 0).
TEST(CliJson, UnknownPriceIsNullNotZero) {
  std::ostringstream out;
  std::ostringstream err;
  const char* argv[] = {"suanli",    "estimate",    "infer",      "--model",
                        "llama2-7b", "--accel",     "ascend-910", "--devices",
                        "1",         "--input-len", "512",        "--output-len",
                        "128",       "--batch",     "4",          "--json"};
  const int code = run_cli(static_cast<int>(std::size(argv)), argv, out, err);
  ASSERT_EQ(code, kExitOk) << err.str();
  const auto j = nlohmann::json::parse(out.str(), nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << out.str();
  ASSERT_TRUE(j.contains("cost_per_million_output_tokens_usd"));
  EXPECT_TRUE(j["cost_per_million_output_tokens_usd"].is_null()) << out.str();
  EXPECT_EQ(j["compute_precision"], "fp16");  // no BF16 on the original 910: FP16 instead
  EXPECT_GT(j["output_tokens_per_s"].get<double>(), 0);
}

}  // namespace
}  // namespace suanli::app

namespace suanli::app {
namespace {

// `simulate --json` contract keys, the audit count, and bad scenarios.
TEST(CliSimulate, JsonHasTheContractKeysAndZeroViolations) {
  const std::string scenario = std::string(SUANLI_SOURCE_DIR) + "/examples/hybrid-cloud-2026.toml";
  const CliResult r = run({"simulate", scenario, "--json", "--quiet", "--seed", "7"});
  ASSERT_EQ(r.code, 0) << r.all();
  const auto j = nlohmann::json::parse(r.out);
  for (const char* key : {"jobs_submitted", "jobs_completed", "jobs_failed", "jct_s", "queue_s",
                          "utilization", "domestic_share", "policy_violations", "lost_device_hours",
                          "preemptions", "makespan_s", "cost_usd", "sim_events", "wall_time_s"})
    EXPECT_TRUE(j.contains(key)) << key;
  for (const char* key : {"mean", "p50", "p95", "p99"}) EXPECT_TRUE(j["jct_s"].contains(key));
  for (const char* key : {"mean", "p99"}) EXPECT_TRUE(j["queue_s"].contains(key));
  for (const char* key : {"min", "mean"}) EXPECT_TRUE(j["domestic_share"].contains(key));
  EXPECT_TRUE(j["utilization"].contains("ascend-910c"));
  EXPECT_EQ(j["policy_violations"], 0);
  EXPECT_EQ(j["seed"], 7);
  EXPECT_GT(j["jobs_completed"].get<int>(), 0);
}

TEST(CliSimulate, UnknownAcceleratorAndTenantAreBadInputWithFileAndLine) {
  suanli::testing::TempDir dir;
  const auto file = dir.path() / "bad.toml";
  std::ofstream(file) << "name = \"bad\"\n"
                         "[[sites]]\nname = \"a\"\n"
                         "[[fleet]]\nsite = \"a\"\naccelerator = \"h2000\"\nnodes = 1\n";
  CliResult r = run({"simulate", file.string()});
  EXPECT_EQ(r.code, 2) << r.all();
  EXPECT_TRUE(contains(r.err, "bad.toml:6")) << r.err;
  EXPECT_TRUE(contains(r.err, "h2000")) << r.err;

  std::ofstream(file) << "name = \"bad\"\n"
                         "[[sites]]\nname = \"a\"\n"
                         "[[fleet]]\nsite = \"a\"\naccelerator = \"h20\"\nnodes = 1\n"
                         "[[tenants]]\nname = \"gov\"\n"
                         "[[rules]]\nid = \"r\"\nkind = \"approved-customers\"\n"
                         "accelerator = \"h20\"\ntenants = [\"bank\"]\n";
  r = run({"simulate", file.string()});
  EXPECT_EQ(r.code, 2) << r.all();
  EXPECT_TRUE(contains(r.err, "bad.toml:14")) << r.err;
  EXPECT_TRUE(contains(r.err, "bank")) << r.err;
}

TEST(CliSimulate, AuditCommandFlagsATamperedLog) {
  suanli::testing::TempDir dir;
  const auto events = dir.path() / "events.jsonl";
  const std::string scenario = std::string(SUANLI_SOURCE_DIR) + "/examples/hybrid-cloud-2026.toml";
  ASSERT_EQ(run({"simulate", scenario, "--quiet", "--events", events.string()}).code, 0);
  CliResult ok = run({"audit", events.string()});
  EXPECT_EQ(ok.code, 0) << ok.all();
  EXPECT_TRUE(contains(ok.out, "0 violation")) << ok.out;
  // Drop every `complete` line: jobs then never end, which the audit sees.
  std::ifstream in(events);
  std::string line, kept;
  while (std::getline(in, line))
    if (line.find("\"event\":\"complete\"") == std::string::npos) kept += line + "\n";
  std::ofstream(events) << kept;
  CliResult bad = run({"audit", events.string(), "--json"});
  EXPECT_EQ(bad.code, 1) << bad.all();
  EXPECT_GT(nlohmann::json::parse(bad.out)["violations"].get<long long>(), 0);
}

}  // namespace
}  // namespace suanli::app

#include "app/app.h"

#include <fmt/format.h>
#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <ostream>
#include <sstream>

#include "util/share_dir.h"
#include "util/version.h"

namespace suanli::app {

namespace {

// The catalog a run would read, identified by content: FNV-1a (64-bit) over
// the relative path and bytes of every *.toml in its directories, in path
// order, with the file count. Two machines that print the same digest
// estimate from the same figures.
std::string catalog_identity(const std::vector<std::filesystem::path>& dirs) {
  namespace fs = std::filesystem;
  std::uint64_t h = 1469598103934665603ULL;
  auto mix = [&h](std::string_view bytes) {
    for (unsigned char ch : bytes) {
      h ^= ch;
      h *= 1099511628211ULL;
    }
  };
  int files = 0;
  for (const fs::path& dir : dirs) {
    std::error_code ec;
    if (!fs::is_directory(dir, ec)) continue;
    std::vector<fs::path> tomls;
    for (auto it = fs::recursive_directory_iterator(dir, ec); !ec && it != fs::recursive_directory_iterator();
         it.increment(ec))
      if (it->is_regular_file(ec) && it->path().extension() == ".toml") tomls.push_back(it->path());
    std::sort(tomls.begin(), tomls.end());
    for (const fs::path& p : tomls) {
      std::ifstream in(p, std::ios::binary);
      std::ostringstream s;
      s << in.rdbuf();
      mix(fs::relative(p, dir, ec).generic_string());
      mix(s.str());
      ++files;
    }
  }
  return fmt::format("{:016x} ({} files)", h, files);
}

}  // namespace

Result<const Catalog*> Context::catalog() {
  if (preloaded_ != nullptr && catalog_dirs_.empty()) return preloaded_;
  if (!catalog_) {
    CatalogOptions options;
    options.directories = Catalog::default_directories(catalog_dirs_);
    auto loaded = Catalog::load(options);
    if (!loaded) return std::unexpected(loaded.error());
    catalog_ = std::move(*loaded);
  }
  return &*catalog_;
}

Result<const Messages*> Context::messages() {
  if (!messages_) {
    SUANLI_ASSIGN(const Lang lang, this->lang());
    SUANLI_ASSIGN(messages_, Messages::load(lang, bundled_data_dir()));
  }
  return &*messages_;
}

int Context::report(const Error& error) {
  err_ << "error: " << error.message << "\n";
  switch (error.code) {
    case ErrorCode::kInvalidArgument:
    case ErrorCode::kNotFound:
    case ErrorCode::kParse:
    case ErrorCode::kUnsupported:
    case ErrorCode::kInfeasible:
    case ErrorCode::kConflict:
    case ErrorCode::kUnauthorized:
      return kExitBadInput;
    case ErrorCode::kCancelled:
    case ErrorCode::kIo:
      return kExitFailure;
  }
  return kExitFailure;
}

int run_cli(int argc, const char* const* argv, std::ostream& out, std::ostream& err) {
  return run_cli(argc, argv, out, err, nullptr);
}

int run_cli(int argc, const char* const* argv, std::ostream& out, std::ostream& err,
            const Catalog* preloaded) {
  Context ctx(out, err);
  ctx.set_preloaded(preloaded);
  CLI::App app{
      "suanli (算力) — plans, prices and schedules AI compute across mixed accelerator fleets.\n"
      "Every figure carries its source and confidence; estimates are analytical and\n"
      "validated against published measurements (`suanli validate`)."};
  app.name("suanli");
  app.require_subcommand(1);
  app.set_version_flag(
      "--version",
      [&ctx] {
        std::string dirs;
        const auto list = Catalog::default_directories(ctx.catalog_dirs());
        for (const auto& d : list) dirs += (dirs.empty() ? "" : ", ") + d.string();
        return fmt::format("suanli {} (git {})\ncatalog {} in {}", kSuanliVersion, git_revision(),
                           catalog_identity(list), dirs);
      },
      "Print the version, the git revision it was built from and the catalog it reads");
  app.add_option("--catalog", ctx.catalog_dirs(),
                 "Extra catalog directory (accelerators/, models/, efficiency/ *.toml); "
                 "repeatable; also SUANLI_CATALOG=dir1:dir2")
      ->check(CLI::ExistingDirectory);
  app.add_option("--lang", ctx.lang_flag(),
                 "Language of the report, the dashboard's default and the tables' headers and "
                 "messages: en or zh (also SUANLI_LANG; chip and model names stay as they are)");
  app.fallthrough();
  register_catalog(app, ctx);
  register_classify(app, ctx);
  register_estimate(app, ctx);
  register_compare(app, ctx);
  register_validate(app, ctx);
  register_calibrate(app, ctx);
  register_replay(app, ctx);
  register_simulate(app, ctx);
  register_plan(app, ctx);
  register_sweep(app, ctx);
  register_report(app, ctx);
  register_token(app, ctx);
  register_slurm(app, ctx);
  register_serve(app, ctx);
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    out << app.help();
    return kExitOk;
  } catch (const CLI::CallForAllHelp& e) {
    out << app.help("", CLI::AppFormatMode::All);
    return kExitOk;
  } catch (const CLI::ParseError& e) {
    // Subcommand help requests land here too (CallForHelp is a ParseError).
    if (e.get_exit_code() == 0) {
      app.exit(e, out, err);
      return kExitOk;
    }
    app.exit(e, out, err);
    return kExitBadInput;
  }
  if (auto lang = ctx.lang(); !lang) return ctx.report(lang.error());
  if (!ctx.action()) {
    err << "error: no command given (see suanli --help)\n";
    return kExitBadInput;
  }
  return ctx.action()();
}

}  // namespace suanli::app

#include "app/app.h"

#include <fmt/format.h>
#include <CLI/CLI.hpp>
#include <ostream>

namespace suanli::app {

Result<const Catalog*> Context::catalog() {
  if (!catalog_) {
    CatalogOptions options;
    options.directories = Catalog::default_directories(catalog_dirs_);
    auto loaded = Catalog::load(options);
    if (!loaded) return std::unexpected(loaded.error());
    catalog_ = std::move(*loaded);
  }
  return &*catalog_;
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
  Context ctx(out, err);
  CLI::App app{
      "suanli (算力) — plans, prices and schedules AI compute across mixed accelerator fleets.\n"
      "Every figure carries its source and confidence; estimates are analytical and\n"
      "validated against published measurements (`suanli validate`)."};
  app.name("suanli");
  app.require_subcommand(1);
  app.add_option("--catalog", ctx.catalog_dirs(),
                 "Extra catalog directory (accelerators/, models/, efficiency/ *.toml); "
                 "repeatable; also SUANLI_CATALOG=dir1:dir2")
      ->check(CLI::ExistingDirectory);
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
  if (!ctx.action()) {
    err << "error: no command given (see suanli --help)\n";
    return kExitBadInput;
  }
  return ctx.action()();
}

}  // namespace suanli::app

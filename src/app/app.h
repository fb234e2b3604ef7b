// The CLI front end: parses arguments with CLI11 and calls the core library.
// No business logic lives here. run_cli() is callable in-process (tests).
#pragma once

#include <filesystem>
#include <functional>
#include <iosfwd>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "catalog/catalog.h"
#include "util/messages.h"

namespace CLI {  // NOLINT(readability-identifier-naming): CLI11's namespace
class App;
}

namespace suanli::app {

// Exit codes: 0 success, 1 internal or I/O failure, 2 bad input.
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;
inline constexpr int kExitBadInput = 2;

class Context {
 public:
  Context(std::ostream& out, std::ostream& err) : out_(out), err_(err) {}
  std::ostream& out() { return out_; }
  std::ostream& err() { return err_; }

  // Extra catalog directories from --catalog (added after the bundled data
  // and SUANLI_CATALOG).
  std::vector<std::filesystem::path>& catalog_dirs() { return catalog_dirs_; }

  // Loads the catalog on first use (or answers the preloaded one when no
  // --catalog directory was given).
  Result<const Catalog*> catalog();
  void set_preloaded(const Catalog* catalog) { preloaded_ = catalog; }

  // --lang as given (empty: $SUANLI_LANG, else English).
  std::string& lang_flag() { return lang_flag_; }
  // The language from --lang or $SUANLI_LANG (util/messages.h).
  Result<Lang> lang() const { return resolve_lang(lang_flag_); }
  // That language's message catalog, loaded on first use from the bundled
  // data (data/i18n/); English needs none.
  Result<const Messages*> messages();

  // The subcommand's action, set by its callback and run after parsing.
  std::function<int()>& action() { return action_; }

  // Prints "error: <message>" and returns the exit code for the error.
  int report(const Error& error);

 private:
  std::ostream& out_;
  std::ostream& err_;
  std::vector<std::filesystem::path> catalog_dirs_;
  std::optional<Catalog> catalog_;
  const Catalog* preloaded_ = nullptr;
  std::string lang_flag_;
  std::optional<Messages> messages_;
  std::function<int()> action_;
};

int run_cli(int argc, const char* const* argv, std::ostream& out, std::ostream& err);
// The same with a catalog already loaded from the default directories
// (the Python package's session, which runs many commands): used unless the
// arguments name --catalog directories. `preloaded` outlives the call.
int run_cli(int argc, const char* const* argv, std::ostream& out, std::ostream& err,
            const Catalog* preloaded);

// Each command lives in its own cmd_<name>.cpp and registers itself here.
void register_catalog(CLI::App& app, Context& ctx);
void register_classify(CLI::App& app, Context& ctx);
void register_estimate(CLI::App& app, Context& ctx);
void register_compare(CLI::App& app, Context& ctx);
void register_validate(CLI::App& app, Context& ctx);
void register_calibrate(CLI::App& app, Context& ctx);
void register_plan(CLI::App& app, Context& ctx);
void register_report(CLI::App& app, Context& ctx);
void register_replay(CLI::App& app, Context& ctx);
void register_simulate(CLI::App& app, Context& ctx);
void register_sweep(CLI::App& app, Context& ctx);
void register_token(CLI::App& app, Context& ctx);
void register_slurm(CLI::App& app, Context& ctx);
void register_serve(CLI::App& app, Context& ctx);

}  // namespace suanli::app

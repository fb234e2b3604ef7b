// Runs the CLI in-process (run_cli) with captured stdout/stderr, for the
// scenario tests that exercise commands the way a user types them.
#pragma once

#include <sstream>
#include <string>
#include <vector>

#include "app/app.h"

namespace suanli::app {

struct CliResult {
  int code = -1;
  std::string out;
  std::string err;
  std::string all() const { return out + err; }
};

inline CliResult run(const std::vector<std::string>& args) {
  std::vector<const char*> argv;
  argv.push_back("suanli");
  for (const auto& a : args) argv.push_back(a.c_str());
  std::ostringstream out;
  std::ostringstream err;
  CliResult r;
  r.code = run_cli(static_cast<int>(argv.size()), argv.data(), out, err);
  r.out = out.str();
  r.err = err.str();
  return r;
}

}  // namespace suanli::app

// Running an external program (sbatch, squeue, scontrol, …) without a
// shell: argv as given, extra environment variables, optional stdin text,
// stdout and stderr captured, a timeout after which the program is killed.
// A program that cannot be started is an error value (kNotFound when it is
// not on PATH); a program that ran and failed is a result with its exit
// code, for the caller to explain.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "util/error.h"

namespace suanli::slurm {

using EnvVars = std::vector<std::pair<std::string, std::string>>;

struct CommandResult {
  int exit_code = 0;  // 128 + signal when killed by one
  bool timed_out = false;
  std::string out;
  std::string err;
};

struct CommandOptions {
  EnvVars env;             // added to (or replacing in) this process's environment
  std::string stdin_text;  // written to the program's stdin, then closed
  double timeout_s = 60;   // then SIGKILL; result.timed_out
};

// argv[0] is looked up on PATH.
Result<CommandResult> run_command(const std::vector<std::string>& argv,
                                  const CommandOptions& options = {});

// "sbatch --parsable …" for messages (arguments with spaces quoted).
std::string command_line(const std::vector<std::string>& argv);

}  // namespace suanli::slurm

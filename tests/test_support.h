// Helpers shared by the tests: the real rules directory, the shared data, running the CLI.
#pragma once

#include <string>

#include "rules/registry.h"

namespace chipgate::test {

// The repository's rules/us-ear, loaded once.
std::shared_ptr<rules::Registry> registry();
std::string rules_dir();
std::string shared_data(const std::string& relative);  // ../shared/data/<relative>
std::string source_path(const std::string& relative);  // <repo>/<relative>
std::string cli_path();                                // the chipgate binary of this build

struct CommandResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};
// Runs the chipgate binary with `args` (shell-quoted by the caller), capturing stdout and stderr.
CommandResult run_cli(const std::string& args, const std::string& stdin_text = "");

// A fresh temporary directory for the test (removed by the OS /tmp cleaning; names are unique).
std::string temp_dir();
void write_file(const std::string& path, const std::string& content);

}  // namespace chipgate::test

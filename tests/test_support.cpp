#include "test_support.h"

#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace chipgate::test {

std::string rules_dir() { return std::string(CHIPGATE_SOURCE_DIR) + "/rules/us-ear"; }
std::string shared_data(const std::string& relative) { return std::string(CHIPGATE_SHARED_DATA_DIR) + "/" + relative; }
std::string source_path(const std::string& relative) { return std::string(CHIPGATE_SOURCE_DIR) + "/" + relative; }
std::string cli_path() { return CHIPGATE_CLI; }

std::shared_ptr<rules::Registry> registry() {
  static std::shared_ptr<rules::Registry> reg = [] {
    auto r = rules::Registry::load(rules_dir());
    if (!r) throw std::runtime_error("rules failed to load: " + r.message());
    return r.value();
  }();
  return reg;
}

std::string temp_dir() {
  static std::atomic<int> counter{0};
  std::string tmpl = "/tmp/chipgate-test-" + std::to_string(getpid()) + "-" + std::to_string(counter++) + "-XXXXXX";
  if (!mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
  return tmpl;
}

void write_file(const std::string& path, const std::string& content) {
  std::ofstream out(path, std::ios::binary);
  out << content;
}

namespace {
std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}
}  // namespace

CommandResult run_cli(const std::string& args, const std::string& stdin_text) {
  const std::string dir = temp_dir();
  const std::string in = dir + "/stdin", out = dir + "/stdout", err = dir + "/stderr";
  write_file(in, stdin_text);
  const std::string cmd = cli_path() + " " + args + " <" + in + " >" + out + " 2>" + err;
  const int status = std::system(cmd.c_str());
  CommandResult r;
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  r.out = slurp(out);
  r.err = slurp(err);
  return r;
}

}  // namespace chipgate::test

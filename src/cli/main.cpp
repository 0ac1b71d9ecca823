// chipgate: export-control engine for AI chips and HBM (ECCN 3A090/4A090). Thin shell over the
// library; every subcommand lives in its own file.
#include <cstdlib>
#include <filesystem>
#include <iostream>

#include "cli/common.h"
#include "io/classification_output.h"
#include "io/ownership.h"

namespace chipgate::cli {

std::string find_rules_dir(const std::string& flag_value, const char* argv0) {
  if (!flag_value.empty()) return flag_value;
  if (const char* env = std::getenv("CHIPGATE_RULES"); env && *env) return env;
  namespace fs = std::filesystem;
  std::error_code ec;
  const fs::path exe = fs::weakly_canonical(fs::path(argv0), ec).parent_path();
  for (const fs::path& candidate : {exe / "../rules/us-ear", exe / "../share/chipgate/rules/us-ear"})
    if (fs::is_directory(candidate, ec)) return fs::weakly_canonical(candidate, ec).string();
  return CHIPGATE_DEFAULT_RULES_DIR;
}

Result<std::shared_ptr<rules::Registry>> load_registry(const std::string& flag_value, const char* argv0) {
  return rules::Registry::load(find_rules_dir(flag_value, argv0));
}

std::string bundled_data_file(const std::string& rules_dir, const std::string& name) {
  return (std::filesystem::path(rules_dir) / ".." / ".." / "data" / name).lexically_normal().string();
}

std::shared_ptr<rules::Registry> load_registry_or_report(const std::string& rules_dir) {
  auto reg = rules::Registry::load(rules_dir);
  if (!reg) {
    std::cerr << "chipgate: " << reg.message() << "\n";
    return nullptr;
  }
  return std::move(reg).value();
}

std::optional<io::Catalog> load_catalog_or_report(const std::string& path) {
  auto catalog = io::load_catalog(path);
  if (!catalog) {
    std::cerr << "chipgate: --catalog: " << catalog.message() << "\n";
    return std::nullopt;
  }
  for (const auto& e : catalog->errors) std::cerr << path << ": " << e.to_string() << "\n";
  return std::move(catalog).value();
}

std::unique_ptr<screen::Screener> load_screener_or_report(const std::vector<std::string>& lists, const char* argv0) {
  auto terms = screen::load_terms(screen::find_terms_file("", argv0));
  if (!terms) {
    std::cerr << "chipgate: " << terms.message() << "\n";
    return nullptr;
  }
  auto screener = screen::Screener::load(lists, terms.value());
  if (!screener) {
    std::cerr << "chipgate: --lists: " << screener.message() << "\n";
    return nullptr;
  }
  return std::move(screener).value();
}

std::optional<std::shared_ptr<const license::OwnershipGraph>> load_ownership_or_report(const std::string& path) {
  auto file = io::load_ownership(path);
  if (!file) {
    std::cerr << "chipgate: --ownership: " << file.message() << "\n";
    return std::nullopt;
  }
  if (!file->errors.empty()) {
    for (const auto& e : file->errors) std::cerr << "chipgate: --ownership: " << path << ": " << e.to_string() << "\n";
    std::cerr << "chipgate: --ownership: " << path << " refused (" << file->errors.size()
              << " problem(s)); nothing from it is used\n";
    return std::nullopt;
  }
  auto graph = license::OwnershipGraph::build(std::move(file->records));
  if (!graph) {
    std::cerr << "chipgate: --ownership: " << path << ": " << graph.message() << "\n";
    return std::nullopt;
  }
  return std::move(graph).value();
}

// `chipgate --version`: what a bug report or an audit file needs to say which engine answered: the
// release, the build, and the rule versions and scenarios the binary finds by default.
void print_version(const char* argv0) {
  std::cout << "chipgate " << CHIPGATE_VERSION << "\n";
#if defined(__clang__)
  const std::string compiler = std::string("clang ") + __clang_version__;
#elif defined(__GNUC__)
  const std::string compiler = std::string("gcc ") + __VERSION__;
#else
  const std::string compiler = "unknown compiler";
#endif
  std::cout << "build: " << CHIPGATE_BUILD_TYPE << ", " << compiler << ", C++ " << __cplusplus
#if defined(__SANITIZE_ADDRESS__)
            << ", AddressSanitizer"
#endif
            << "\n";
  const std::string dir = find_rules_dir("", argv0);
  auto reg = rules::Registry::load(dir);
  if (!reg) {
    std::cout << "rules: " << dir << ": cannot be loaded: " << reg.message() << "\n";
    return;
  }
  std::cout << "rules: " << dir << " (" << reg.value()->versions().size() << " versions, "
            << reg.value()->scenarios().size() << " scenarios)\n";
  for (const auto& v : reg.value()->versions())
    std::cout << "  " << v->version.id << "  effective " << v->version.effective.to_string() << "  " << v->version.title
              << "\n";
  for (const auto& s : reg.value()->scenarios()) std::cout << "  scenario " << s.name << "  " << s.title << "\n";
  std::cout << io::kDisclaimer << "\n";
}

}  // namespace chipgate::cli

int main(int argc, char** argv) {
  using namespace chipgate;
  CLI::App app{std::string("chipgate ") + CHIPGATE_VERSION +
               ": export-control engine for AI chips and HBM (ECCN 3A090/4A090).\n" + io::kDisclaimer};
  app.require_subcommand(1);
  // Answered before any subcommand is required (CLI::Success ends parsing with exit 0).
  app.add_flag_callback(
      "--version",
      [argv0 = argv[0]] {
        cli::print_version(argv0);
        throw CLI::Success();
      },
      "Print the version, the build and the bundled rule versions, and exit");
  int exit_code = cli::kExitOk;
  cli::add_classify_command(app, exit_code, argv[0]);
  cli::add_rules_command(app, exit_code, argv[0]);
  cli::add_decide_command(app, exit_code, argv[0]);
  cli::add_impact_command(app, exit_code, argv[0]);
  cli::add_screen_command(app, exit_code, argv[0]);
  cli::add_lists_command(app, exit_code, argv[0]);
  cli::add_keys_command(app, exit_code);
  cli::add_audit_command(app, exit_code);
  cli::add_serve_command(app, exit_code, argv[0]);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int rc = app.exit(e);
    return rc == 0 ? cli::kExitOk : cli::kExitFatal;
  }
  return exit_code;
}

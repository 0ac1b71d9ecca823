// Shared pieces of the chipgate command: locating the rules directory, exit codes.
#pragma once

#include <CLI/CLI.hpp>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/result.h"
#include "io/catalog.h"
#include "license/ownership.h"
#include "rules/registry.h"
#include "screen/screener.h"

namespace chipgate::cli {

// Exit codes, stable for scripts.
inline constexpr int kExitOk = 0;
inline constexpr int kExitRowErrors = 1;  // some input rows failed; the others were processed
inline constexpr int kExitFatal = 2;      // bad usage, unreadable input or invalid rules
// screen and decide: every input done, and something needs attention (a match; a licence required or
// an answer left open), so that a script can branch without parsing the output. 1 takes precedence.
inline constexpr int kExitAttention = 3;

// --rules, else $CHIPGATE_RULES, else rules/us-ear next to the build or install, else the source tree.
std::string find_rules_dir(const std::string& flag_value, const char* argv0);
Result<std::shared_ptr<rules::Registry>> load_registry(const std::string& flag_value, const char* argv0);
// The bundled sample data beside the rules (rules/us-ear/../../data/NAME): the default --catalog
// (sample-catalog.csv) of serve and the default --lists of screen (sample-parties.json). decide,
// impact and serve never screen against the sample list unless it is given with --lists.
std::string bundled_data_file(const std::string& rules_dir, const std::string& name);
// Loaders shared by the commands that take --rules and --catalog: on failure the problem is printed
// ("chipgate: --catalog: ...") and nothing is returned; rows the catalog reader skipped are reported
// on stderr as "FILE: row N: ...".
std::shared_ptr<rules::Registry> load_registry_or_report(const std::string& rules_dir);
std::optional<io::Catalog> load_catalog_or_report(const std::string& path);
// The fuzzy screener (issue 4) over `lists` with the default word lists, or the problem printed.
std::unique_ptr<screen::Screener> load_screener_or_report(const std::vector<std::string>& lists, const char* argv0);
// `--ownership FILE` for the Affiliates rule: the checked graph, or every problem printed ("chipgate:
// --ownership: FILE: row N, column C: problem") and nullopt. A file with any bad row is refused whole.
std::optional<std::shared_ptr<const license::OwnershipGraph>> load_ownership_or_report(const std::string& path);
// Said once on stderr by decide and impact when parties will not be screened (no --lists).
inline constexpr const char* kNoListsNote =
    "chipgate: no --lists given: consignees and end users are not screened, so no line that names one is answered "
    "'no licence' (it is undetermined unless a licence is required anyway). Give real lists with --lists (the bundled "
    "data/sample-parties.json holds only seven entries, for the demo).";

void add_classify_command(CLI::App& app, int& exit_code, const char* argv0);
void add_rules_command(CLI::App& app, int& exit_code, const char* argv0);
void add_decide_command(CLI::App& app, int& exit_code, const char* argv0);
void add_impact_command(CLI::App& app, int& exit_code, const char* argv0);
void add_screen_command(CLI::App& app, int& exit_code, const char* argv0);
void add_lists_command(CLI::App& app, int& exit_code, const char* argv0);
void add_keys_command(CLI::App& app, int& exit_code);
void add_audit_command(CLI::App& app, int& exit_code);
void add_serve_command(CLI::App& app, int& exit_code, const char* argv0);

}  // namespace chipgate::cli

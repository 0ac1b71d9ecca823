// Internal to src/rules: reading one TOML rule file, merging patches, compiling to a RuleSet.
// Only registry.cpp includes this; the rest of chipgate sees rules through registry.h.
#pragma once

#include <toml++/toml.h>

#include <map>
#include <memory>
#include <string>

#include "core/result.h"
#include "rules/rule_set.h"

namespace chipgate::rules::detail {

struct RuleFile {
  std::string name;   // relative to the rules directory, e.g. "scenarios/hbm-rollback.toml"
  std::string bytes;  // exact content, hashed into the rule-set id
  std::shared_ptr<const toml::table> table;
};

Result<RuleFile> read_rule_file(const std::string& path, const std::string& display_name);
// The same for content that is not a file (a scenario installed through the API); errors name
// `display_name` and the line.
Result<RuleFile> parse_rule_text(std::string bytes, const std::string& display_name);

// Applies `patch` over `base`: tables merge key by key, other values replace. A table with
// `replace = true` replaces the base table whole; `removed = true` marks an element deleted.
// Nodes are moved, not copied, because toml++ keeps a node's source position only across moves.
void merge_patch(toml::table& base, toml::table&& patch);

Result<VersionInfo> compile_version_info(const RuleFile& file);
Result<ScenarioInfo> compile_scenario_info(const RuleFile& file);

// Compiles a merged table (version metadata excluded) into the model, checking every name and
// value; errors read "FILE:LINE: path: problem".
// `countries` (ISO 3166-1 alpha-2 -> name) validates every country code; empty = format check only.
Status compile_rules(const toml::table& merged, const std::map<std::string, std::string>& countries, RuleSet& out);

// Company-specific is-informed letters from a user file ([letters.ID] tables).
Result<std::vector<Letter>> compile_letters(const RuleFile& file, const std::map<std::string, std::string>& countries);

// Reads the ISO 3166-1 reference file ([countries] CODE = "Name").
Result<std::map<std::string, std::string>> read_country_file(const std::string& path, const std::string& display_name);

}  // namespace chipgate::rules::detail

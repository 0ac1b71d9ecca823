// Internal to src/rules: reading one TOML rule file, merging patches, compiling to a RuleSet.
// Only registry.cpp includes this; the rest of chipgate sees rules through registry.h.
#pragma once

#include <memory>
#include <string>

#include <toml++/toml.h>

#include "core/result.h"
#include "rules/rule_set.h"

namespace chipgate::rules::detail {

struct RuleFile {
  std::string name;   // relative to the rules directory, e.g. "scenarios/hbm-rollback.toml"
  std::string bytes;  // exact content, hashed into the rule-set id
  std::shared_ptr<const toml::table> table;
};

Result<RuleFile> read_rule_file(const std::string& path, const std::string& display_name);

// Applies `patch` over `base`: tables merge key by key, other values replace. A table with
// `replace = true` replaces the base table whole; `removed = true` marks an element deleted.
// Nodes are moved, not copied, because toml++ keeps a node's source position only across moves.
void merge_patch(toml::table& base, toml::table&& patch);

Result<VersionInfo> compile_version_info(const RuleFile& file);
Result<ScenarioInfo> compile_scenario_info(const RuleFile& file);

// Compiles a merged table (version metadata excluded) into the model, checking every name and
// value; errors read "FILE:LINE: path: problem".
Status compile_rules(const toml::table& merged, RuleSet& out);

}  // namespace chipgate::rules::detail

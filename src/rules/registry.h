// The registry of regulation versions and scenarios read from a rules directory.
//
// Versions are selected by effective date: the version in force on D is the one with the latest
// effective date <= D. A scenario is a named patch applied over a version (the one in force on the
// date asked about, unless the scenario pins one). Every resolved rule set is immutable and may be
// shared by threads.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "core/date.h"
#include "core/result.h"
#include "rules/rule_set.h"

namespace chipgate::rules {

class Registry {
 public:
  // Reads DIR/*.toml (versions) and DIR/scenarios/*.toml. Fails on the first invalid file with
  // "FILE:LINE: problem"; nothing is half-loaded.
  static Result<std::shared_ptr<Registry>> load(const std::string& dir);

  const std::string& directory() const { return dir_; }
  // All versions, oldest first.
  const std::vector<RuleSetPtr>& versions() const { return versions_; }
  const std::vector<ScenarioInfo>& scenarios() const { return scenario_infos_; }

  // ISO 3166-1 alpha-2 code -> name, from rules/reference/iso3166-1.toml (empty if absent).
  const std::map<std::string, std::string>& countries() const;

  // Reads a user file of company-specific is-informed letters, validated like the rules (groups are
  // resolved per version when a letter is applied).
  Result<std::vector<Letter>> load_letters(const std::string& path) const;

  // A new registry: this one plus a scenario given as TOML text (installed through the API rather
  // than as a file), validated exactly like DIR/scenarios/NAME.toml at load: the [scenario] table,
  // its base/min_version, and the patch compiled over every version it can meet. `expected_name`
  // ("" = take it from the text) must match [scenario].name. Errors read
  // "scenarios/NAME.toml:LINE: path: problem"; `problem` (optional) says which kind of error it was.
  enum class ScenarioProblem { kNone, kSyntax, kInvalid, kExists };
  Result<std::shared_ptr<Registry>> with_scenario(const std::string& toml_text, const std::string& expected_name = "",
                                                  ScenarioProblem* problem = nullptr) const;

  // The provisions in force before the first version took effect: the first version's party lists
  // marked `predates_versions` (the Entity List), nothing else. Empty without versions.
  const LicenseRules& standing() const { return standing_; }

  // The version in force on `date`, or nullptr before the first version took effect.
  RuleSetPtr in_force(Date date) const;
  RuleSetPtr version(const std::string& id) const;

  // The rule set for a date and an optional scenario ("" = none). Returns a null pointer (not an
  // error) when no version is in force on the date and no scenario pins one.
  Result<RuleSetPtr> resolve(Date date, const std::string& scenario) const;
  // The same for an explicit version id (or a date written as YYYY-MM-DD).
  Result<RuleSetPtr> resolve(const std::string& version_or_date, const std::string& scenario) const;

 private:
  struct Impl;
  Registry();
  std::string dir_;
  std::vector<RuleSetPtr> versions_;
  LicenseRules standing_;
  std::vector<ScenarioInfo> scenario_infos_;
  std::shared_ptr<Impl> impl_;
};

}  // namespace chipgate::rules

// Fuzzes the rule-file path (rule versions, scenario files, scenarios installed over the API): the
// TOML front door, then the patch merged over the real base version and compiled. Any input must give
// a Status error with a message, never a crash.
#include <cstdint>
#include <map>
#include <string>

#include "core/toml_input.h"
#include "rules/loader.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto patch =
      chipgate::rules::detail::parse_rule_text(std::string(reinterpret_cast<const char*>(data), size), "fuzz.toml");
  if (!patch) {
    if (patch.message().empty()) __builtin_trap();
    return 0;
  }
  static const auto base = chipgate::rules::detail::read_rule_file(
      std::string(CHIPGATE_DEFAULT_RULES_DIR) + "/2023-11-17.toml", "2023-11-17.toml");
  if (!base) __builtin_trap();
  auto merged = chipgate::parse_toml(base->bytes, base->name);
  if (!merged) __builtin_trap();
  merged.value().erase("version");
  // The merge moves nodes out of the patch: parse the accepted text again rather than copy the table.
  auto moved = chipgate::parse_toml(patch->bytes, patch->name);
  if (!moved) __builtin_trap();
  chipgate::rules::detail::merge_patch(merged.value(), std::move(moved).value());
  // The real ISO 3166-1 reference, so that country codes are validated as in production.
  static const auto countries = chipgate::rules::detail::read_country_file(
      std::string(CHIPGATE_DEFAULT_RULES_DIR) + "/../reference/iso3166-1.toml", "reference/iso3166-1.toml");
  static const std::map<std::string, std::string> kNone;
  chipgate::rules::RuleSet out;
  const auto s = chipgate::rules::detail::compile_rules(merged.value(), countries ? countries.value() : kNone, out);
  if (!s && s.message().empty()) __builtin_trap();
  return 0;
}

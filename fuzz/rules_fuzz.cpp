// Fuzzes the rule-file path: TOML parse, patch over the real base version, compile. Any input must
// give a Status error with a message, never a crash.
#include <cstdint>
#include <map>
#include <string>

#include "rules/loader.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  toml::table patch;
  try {
    patch = toml::parse(std::string_view(text), std::string_view("fuzz.toml"));
  } catch (const toml::parse_error&) {
    return 0;
  }
  static const auto base = chipgate::rules::detail::read_rule_file(
      std::string(CHIPGATE_DEFAULT_RULES_DIR) + "/2023-11-17.toml", "2023-11-17.toml");
  if (!base) return 0;
  toml::table merged = toml::parse(base->bytes, base->name);
  merged.erase("version");
  chipgate::rules::detail::merge_patch(merged, std::move(patch));
  // The real ISO 3166-1 reference, so that country codes are validated as in production.
  static const auto countries = chipgate::rules::detail::read_country_file(
      std::string(CHIPGATE_DEFAULT_RULES_DIR) + "/../reference/iso3166-1.toml", "reference/iso3166-1.toml");
  static const std::map<std::string, std::string> kNone;
  chipgate::rules::RuleSet out;
  (void)chipgate::rules::detail::compile_rules(merged, countries ? countries.value() : kNone, out);
  return 0;
}

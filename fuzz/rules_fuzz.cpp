// Fuzzes the rule-file path: TOML parse, patch over the real base version, compile. Any input must
// give a Status error with a message, never a crash.
#include <cstdint>
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
  chipgate::rules::RuleSet out;
  (void)chipgate::rules::detail::compile_rules(merged, out);
  return 0;
}

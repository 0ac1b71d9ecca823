// Fuzzes the reader of company-specific is-informed letters (`--letters FILE`): the TOML front door,
// then the letters' validation against the real ISO 3166-1 reference. Any input must give letters or
// an error with a message, never a crash.
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>

#include "rules/loader.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  static const auto countries = chipgate::rules::detail::read_country_file(
      std::string(CHIPGATE_DEFAULT_RULES_DIR) + "/../reference/iso3166-1.toml", "reference/iso3166-1.toml");
  if (!countries) __builtin_trap();
  auto file = chipgate::rules::detail::parse_rule_text(std::move(text), "letters.toml");
  if (!file) {
    if (file.message().empty()) __builtin_trap();
    return 0;
  }
  auto letters = chipgate::rules::detail::compile_letters(file.value(), countries.value());
  if (!letters && letters.message().empty()) __builtin_trap();
  return 0;
}

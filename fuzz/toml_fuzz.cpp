// Fuzzes the TOML front door (core/toml_input.h), which every TOML reader goes through: any text is
// either refused by the limits or handed to the parser, and neither may crash, hang or fail without a
// message. Also checks the scan's own contract: text it accepts is accepted again with room to
// spare, and text it refuses is refused under tighter limits.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/toml_input.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto parsed = chipgate::parse_toml(text, "fuzz.toml");
  if (!parsed && parsed.message().empty()) __builtin_trap();
  // Small limits so that short inputs reach every limit.
  chipgate::TomlLimits small;
  small.max_key_parts = 3;
  small.max_depth = 4;
  small.max_entries = 16;
  small.max_bytes = 512;
  const chipgate::Status s = chipgate::check_toml_limits(text, "fuzz.toml", small);
  if (!s) {
    if (s.message().empty()) __builtin_trap();
    chipgate::TomlLimits tighter = small;
    tighter.max_key_parts = 2;
    tighter.max_depth = 3;
    tighter.max_entries = 8;
    if (chipgate::check_toml_limits(text, "fuzz.toml", tighter)) __builtin_trap();
  } else if (!chipgate::check_toml_limits(text, "fuzz.toml")) {
    __builtin_trap();
  }
  return 0;
}

// The front door for TOML: every TOML text chipgate reads (rule versions, scenarios from a file or
// over HTTP, is-informed letters, screening terms and alias tables, the ISO 3166 reference) is
// checked here against size, depth and count limits before the TOML library sees it, then parsed.
//
// Why: toml++ builds the tree recursively. A 100 KB text with one table header of 50,000 dotted
// parts ([a.a.a....]) overflows the stack inside the library (a crash, not an exception), so bad
// input must be refused before parsing. The limits are far above anything a rule or terms file
// needs (the deepest today nests 6 levels; the largest is 17 KB).
#pragma once

#include <toml++/toml.h>

#include <cstddef>
#include <string>
#include <string_view>

#include "core/bounded_file.h"
#include "core/result.h"

namespace chipgate {

struct TomlLimits {
  std::size_t max_bytes = input_limits::kToml.max_bytes;  // 4 MiB
  std::size_t max_key_parts = 16;                         // dotted parts of one key or table header ("a.b.c" = 3)
  // Levels from the root to the deepest value: table header parts, dotted key parts, arrays and
  // inline tables together.
  std::size_t max_depth = 32;
  std::size_t max_entries = 200'000;  // keys, table headers and array elements in the whole text
};

// Checks `text` against `limits` without parsing it (a scan that knows TOML's strings, comments,
// headers, keys, arrays and inline tables; it never fails on text that is not valid TOML, the parser
// reports that). Errors name the input and the problem: "NAME:LINE: table header or key with more
// than 16 dotted parts", "NAME: 5242880 bytes, over the TOML limit of 4 MiB (4194304 bytes)".
Status check_toml_limits(std::string_view text, const std::string& display_name, const TomlLimits& limits = {});

// check_toml_limits, then toml::parse with `display_name` as the source name of every node.
// Syntax errors read "NAME:LINE: description". The only place chipgate calls the TOML parser.
Result<toml::table> parse_toml(std::string_view text, const std::string& display_name, const TomlLimits& limits = {});

}  // namespace chipgate

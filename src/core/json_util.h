// Small formatting helpers shared by the text and JSON outputs.
#pragma once

#include <string>
#include <string_view>

namespace chipgate {

// Shortest decimal text that reads back as the same double ("4800", "5.92", "0.1").
std::string format_number(double value);

// Fixed number of decimals, trailing zeros trimmed ("19.45", "4992").
std::string format_fixed(double value, int decimals);

}  // namespace chipgate

namespace chipgate {

// True when `text` is well-formed UTF-8 (no overlong forms, surrogates or code points > U+10FFFF).
bool is_valid_utf8(std::string_view text);

// True when no array or object in `text` nests more than `max_depth` levels deep (brackets inside
// strings do not count; the text need not be valid JSON). Checked before a whole file is parsed:
// "[[[[..." costs the parser tens of bytes of tree per byte of input.
bool json_nesting_within(std::string_view text, std::size_t max_depth);

}  // namespace chipgate

// Small formatting helpers shared by the text and JSON outputs.
#pragma once

#include <string>

namespace chipgate {

// Shortest decimal text that reads back as the same double ("4800", "5.92", "0.1").
std::string format_number(double value);

// Fixed number of decimals, trailing zeros trimmed ("19.45", "4992").
std::string format_fixed(double value, int decimals);

}  // namespace chipgate

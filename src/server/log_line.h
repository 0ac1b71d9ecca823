// Log lines of the server, each written whole: one write(2) per line, so that lines from concurrent
// requests never interleave (stderr is unbuffered, and `std::cerr << a << b` is one write per part).
#pragma once

#include <string_view>

namespace chipgate::server {

// Writes `text` and a newline to `fd` (default stderr) in one call (more only if the descriptor
// takes part of it, as a full pipe may).
void write_log_line(std::string_view text, int fd = 2);

}  // namespace chipgate::server

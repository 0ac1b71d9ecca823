// Fuzzes the reader of `chipgate screen --batch` files (CSV with a header, or JSON Lines): every input
// gives parties and row errors with messages, or a whole-file error; never a crash or a hang.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "screen/screener.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto file = chipgate::screen::parse_parties("batch.csv", text);
  if (!file) {
    if (file.message().empty()) __builtin_trap();
    return 0;
  }
  for (const auto& e : file->errors)
    if (e.problem.empty() || e.line == 0) __builtin_trap();
  for (const auto& p : file->parties)
    if (p.id.empty() || p.line == 0) __builtin_trap();
  return 0;
}

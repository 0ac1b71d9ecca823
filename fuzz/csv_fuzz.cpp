// libFuzzer target for io::CsvReader: any byte string must be read to kEnd without crashes,
// sanitizer reports or endless loops, with both delimiters the project uses.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "io/csv.h"

namespace {

void drain(std::string_view text, char delimiter) {
  chipgate::io::CsvReader reader(text, delimiter);
  chipgate::io::CsvRecord record;
  std::string error;
  std::size_t last_line = 1;
  // Every kRecord / kError consumes at least one byte, so size + 1 calls always reach kEnd. The
  // bound keeps a regression from hanging the fuzzer; exceeding it is a bug, so trap rather than
  // quietly stop.
  for (std::size_t calls = 0; calls <= text.size() + 1; ++calls) {
    const chipgate::io::CsvStatus status = reader.next(record, error);
    if (record.line < last_line) __builtin_trap();  // line numbers must never go backwards
    last_line = record.line;
    switch (status) {
      case chipgate::io::CsvStatus::kEnd:
        return;
      case chipgate::io::CsvStatus::kRecord: {
        if (record.fields.empty()) __builtin_trap();
        // Unescaping only shrinks, so a record can never hold more bytes than the input.
        std::size_t bytes = 0;
        for (const std::string& field : record.fields) bytes += field.size();
        if (bytes > text.size() || bytes > chipgate::io::CsvReader::kMaxRecordBytes) {
          __builtin_trap();
        }
        break;
      }
      case chipgate::io::CsvStatus::kError:
        if (error.empty()) __builtin_trap();
        break;
    }
  }
  __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  drain(text, ',');
  drain(text, '\t');
  return 0;
}

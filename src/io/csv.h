// RFC 4180 CSV reader, streaming over an in-memory buffer.
//
// Used for product catalogs (../shared/data/accelerators.csv layout), order books and the published
// list formats (OFAC legacy CSV, trade.gov CSL). It never throws and never stops at a bad record:
// a malformed record is reported with its line number and the reader resumes at the next line.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace chipgate::io {

struct CsvRecord {
  std::size_t line = 0;  // 1-based physical line on which the record starts
  std::vector<std::string> fields;
};

enum class CsvStatus { kRecord, kError, kEnd };

class CsvReader {
 public:
  // `text` must outlive the reader. A leading UTF-8 BOM is skipped. `delimiter` is usually ','.
  explicit CsvReader(std::string_view text, char delimiter = ',');

  // kRecord: `record` holds the next record (fields unquoted, "" unescaped, CR LF / LF line ends,
  //          newlines inside quotes kept). Blank lines are skipped.
  // kError:  `error` says what is wrong (e.g. "unterminated quoted field", "unexpected character
  //          after closing quote"), `record.line` is the record's first line; the reader has
  //          skipped to the start of the next line, so calling next() again continues.
  // kEnd:    no more input. A trailing 0x1A (the DOS EOF byte OFAC files end with) is ignored.
  CsvStatus next(CsvRecord& record, std::string& error);

  // Longest record accepted, in bytes; longer records are an error (protects memory on bad input).
  static constexpr std::size_t kMaxRecordBytes = 1 << 20;

 private:
  std::string_view text_;
  std::size_t pos_ = 0;
  std::size_t line_ = 1;
  char delimiter_;
};

}  // namespace chipgate::io

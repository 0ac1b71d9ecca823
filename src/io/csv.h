// RFC 4180 CSV: a reader streaming over an in-memory buffer, and the one writer of every CSV
// chipgate produces.
//
// The reader is used for product catalogs (../shared/data/accelerators.csv layout), order books and the published
// list formats (OFAC legacy CSV, trade.gov CSL). It never throws and never stops at a bad record:
// a malformed record is reported with its line number and the reader resumes at the next line.
#pragma once

#include <cstddef>
#include <initializer_list>
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

// One CSV cell as written: RFC 4180 quoting (when the value holds a comma, a quote or a line end)
// and formula neutralisation. A spreadsheet that opens the file runs a cell beginning with '=',
// '+', '-' or '@' as a formula, and some importers drop a leading tab or CR first (OWASP, "CSV
// Injection"). Order ids, product ids and party and list names come from users and published lists,
// so such a cell is written with a leading apostrophe ('=HYPERLINK(...) is shown as text). A cell
// that is a plain decimal number ("-12.5", "4800", "1e-3") cannot be a formula and is written
// unchanged, so that numbers, negative ones included, stay numbers.
std::string csv_cell(std::string_view value);

// Writes rows of cells (each through csv_cell) with LF line ends. Every CSV output (classify,
// decide, impact, and any export) goes through this class, so that no cell escapes the rules above.
class CsvWriter {
 public:
  explicit CsvWriter(std::string& out) : out_(out) {}
  CsvWriter& cell(std::string_view value);
  // A whole row (a header, typically).
  CsvWriter& row(std::initializer_list<std::string_view> cells);
  void end_row();

 private:
  std::string& out_;
  bool in_row_ = false;
};

}  // namespace chipgate::io

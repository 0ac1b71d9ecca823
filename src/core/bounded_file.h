// Reading an input file whole, never more than a stated number of bytes.
//
// Every file chipgate reads on a user's behalf (catalogs, order books, list files, letters, rule and
// terms files, batch and pairs files, snapshots) goes through read_bounded_file with the limit of its
// kind, so that a wrong path (/dev/zero, a named pipe that never ends, a multi-gigabyte file) fails
// with "FILE: ... larger than LIMIT" instead of growing the process until the machine gives out.
// The limits are far above every real input (the largest published list file here is 4 MB, a
// 1,000,000-line order book 97 MB) and below what the readers can hold in memory on a small machine.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "core/result.h"

namespace chipgate {

// One kind of input file: its name in error messages and the most bytes read.
struct InputFileKind {
  std::string_view name;  // "catalog", "order book", ...
  std::size_t max_bytes;
};

namespace input_limits {

inline constexpr std::size_t kMiB = std::size_t{1} << 20;

// Tables of records: catalogs, order books, party batch files, name-pair files, ownership files.
inline constexpr InputFileKind kCatalog{"catalog", 256 * kMiB};
inline constexpr InputFileKind kOrderBook{"order book", 256 * kMiB};
inline constexpr InputFileKind kPartyBatch{"party batch file", 256 * kMiB};
inline constexpr InputFileKind kNamePairs{"name-pair file", 256 * kMiB};
inline constexpr InputFileKind kTable{"table", 256 * kMiB};  // any other file of records
// One restricted-party list file or stored snapshot (parsed whole: JSON lists become a tree).
inline constexpr InputFileKind kListFile{"list file", 64 * kMiB};
// TOML: rule versions, scenarios, is-informed letters, screening terms and alias tables.
inline constexpr InputFileKind kToml{"TOML file", 4 * kMiB};
// Small files: one item as JSON (classify --item-file); a snapshot's manifest or "latest" pointer.
inline constexpr InputFileKind kItemJson{"item file", 1 * kMiB};
inline constexpr InputFileKind kSnapshotManifest{"snapshot manifest", 1 * kMiB};

// One record of a table: a CSV record (io::CsvReader::kMaxRecordBytes) or one JSON line.
inline constexpr std::size_t kMaxRecordBytes = 1 * kMiB;

}  // namespace input_limits

// Reads the file at `path` whole. Fails with a message naming the file and the problem:
//   "PATH: cannot open file (No such file or directory)", "PATH: is a directory",
//   "PATH: larger than the limit for a catalog (268435456 bytes)", "PATH: read error (...)".
// A regular file over the limit is refused from its size, without reading it; anything else (a pipe,
// a device) is read until the limit is passed. `regular_file_only` refuses pipes and devices too
// ("PATH: not a regular file"), for paths that come from someone other than the operator.
Result<std::string> read_bounded_file(const std::string& path, const InputFileKind& kind,
                                      bool regular_file_only = false);

// "256 MiB (268435456 bytes)": how a limit is written in messages.
std::string describe_byte_limit(std::size_t bytes);

// Splits text into lines (LF or CR LF) for JSON Lines readers, bounding each line: a line longer
// than `max_line_bytes` is reported as too long (its bytes are skipped, never copied) and reading
// continues at the next line. Line numbers are 1-based physical lines.
class LineSplitter {
 public:
  explicit LineSplitter(std::string_view text, std::size_t max_line_bytes = input_limits::kMaxRecordBytes)
      : text_(text), max_line_bytes_(max_line_bytes) {}

  // False at the end of the text. Otherwise `line` is the next line without its line end (empty when
  // `too_long`), `line_no` its number.
  bool next(std::string_view& line, std::size_t& line_no, bool& too_long);

  std::size_t max_line_bytes() const { return max_line_bytes_; }

 private:
  std::string_view text_;
  std::size_t pos_ = 0;
  std::size_t line_no_ = 0;
  std::size_t max_line_bytes_;
};

}  // namespace chipgate

#include "io/csv.h"

#include <algorithm>
#include <cstring>

namespace chipgate::io {

// Behaviour choices beyond RFC 4180, all made so that real-world list files still load:
//  * A '"' that is not the first byte of a field is ordinary data (`ab"c` reads as `ab"c`). Strict
//    RFC 4180 forbids it, but published lists and hand-edited catalogs contain such fields (inch
//    marks, nicknames) and rejecting the whole record would lose an entry for no safety gain.
//  * A line ends at LF or CR LF. A lone CR is data, both inside quotes (as RFC 4180 says) and in
//    an unquoted field, except that a CR as the very last byte of the input is taken as a line end
//    (a CR LF that lost its LF to truncation). Line numbers count LF bytes only.
//  * Field bytes are not checked for UTF-8 validity here; that is the caller's business.
//  * The delimiter should not be '"', '\r' or '\n'; if it is, parsing is still memory-safe and
//    terminates, it just splits oddly.

namespace {

constexpr char kQuote = '"';

// True when text[i] starts a line end: LF, CR LF, or a CR that is the last byte of the input.
bool is_line_end(std::string_view text, std::size_t i) {
  const char c = text[i];
  if (c == '\n') return true;
  return c == '\r' && (i + 1 == text.size() || text[i + 1] == '\n');
}

// Consumes the line end at text[*pos] (is_line_end must hold), counting it if it has an LF.
void consume_line_end(std::string_view text, std::size_t* pos, std::size_t* line) {
  if (text[*pos] == '\r') ++*pos;  // CR LF, or a final lone CR
  if (*pos < text.size()) {        // now at the LF
    ++*pos;
    ++*line;
  }
}

// Returns the next field slot, reusing an existing string (and its capacity) where there is one
// so that steady-state parsing of same-shaped records does not allocate.
std::string& next_field(std::vector<std::string>& fields, std::size_t* used) {
  if (*used < fields.size()) {
    std::string& field = fields[(*used)++];
    field.clear();
    return field;
  }
  ++*used;
  return fields.emplace_back();
}

std::size_t count_newlines(const char* begin, const char* end) {
  return static_cast<std::size_t>(std::count(begin, end, '\n'));
}

}  // namespace

CsvReader::CsvReader(std::string_view text, char delimiter) : text_(text), delimiter_(delimiter) {
  if (text_.starts_with("\xEF\xBB\xBF")) text_.remove_prefix(3);
  // OFAC's legacy files end "...\r\n\x1A"; accept the byte with or without a line end after it.
  // Stripping it here (rather than when reached) also covers a last record with no line end.
  for (std::string_view tail : {"\x1A\r\n", "\x1A\n", "\x1A\r", "\x1A"}) {
    if (text_.ends_with(tail)) {
      text_.remove_suffix(tail.size());
      break;
    }
  }
}

CsvStatus CsvReader::next(CsvRecord& record, std::string& error) {
  const std::string_view text = text_;
  const std::size_t size = text.size();
  const char* const data = text.data();
  error.clear();

  // Blank lines (nothing but a line end) are not records.
  while (pos_ < size && is_line_end(text, pos_)) consume_line_end(text, &pos_, &line_);
  record.line = line_;
  if (pos_ >= size) {
    record.fields.clear();
    return CsvStatus::kEnd;
  }

  // Reports an error; `resume_at` is where the next call starts. Line numbers are kept in step
  // by counting the LFs skipped over.
  auto fail = [&](const char* message, std::size_t resume_at) {
    line_ += count_newlines(data + pos_, data + resume_at);
    pos_ = resume_at;
    record.fields.clear();
    error = message;
    return CsvStatus::kError;
  };
  // Resumption point after a bad record: the start of the physical line after `from`.
  auto next_line_start = [&](std::size_t from) {
    const void* nl = std::memchr(data + from, '\n', size - from);
    return nl == nullptr ? size : static_cast<std::size_t>(static_cast<const char*>(nl) - data) + 1;
  };
  const std::size_t start = pos_;
  // Raw bytes of the record from its first byte up to `end`, quotes included, line end excluded.
  auto too_long = [&](std::size_t end) { return end - start > kMaxRecordBytes; };

  std::size_t used = 0;
  for (;;) {  // one field per iteration
    std::string& field = next_field(record.fields, &used);
    if (pos_ < size && data[pos_] == kQuote) {
      ++pos_;
      for (;;) {  // one run of bytes up to the next quote per iteration
        const void* found = std::memchr(data + pos_, kQuote, size - pos_);
        if (found == nullptr) return fail("unterminated quoted field", size);
        const auto q = static_cast<std::size_t>(static_cast<const char*>(found) - data);
        // Checked before appending, so a runaway quote cannot make us copy more than the limit.
        if (too_long(q + 1)) return fail("record too long", next_line_start(q));
        line_ += count_newlines(data + pos_, data + q);
        field.append(data + pos_, q - pos_);
        pos_ = q + 1;
        if (pos_ < size && data[pos_] == kQuote) {  // "" is an escaped quote
          field.push_back(kQuote);
          ++pos_;
          continue;
        }
        break;
      }
      if (pos_ >= size) break;
      if (data[pos_] == delimiter_) {
        ++pos_;
        continue;
      }
      if (is_line_end(text, pos_)) {
        consume_line_end(text, &pos_, &line_);
        break;
      }
      // `"ab"c`: there is no sensible reading, so drop the record and resync on the next line.
      return fail("unexpected character after closing quote", next_line_start(pos_));
    }

    // Unquoted field: runs to the delimiter or the line end. A quote in here is data (see top).
    std::size_t end = pos_;
    while (end < size && data[end] != delimiter_ && !is_line_end(text, end)) ++end;
    if (too_long(end)) return fail("record too long", next_line_start(end));
    field.append(data + pos_, end - pos_);
    pos_ = end;
    if (pos_ >= size) break;
    if (data[pos_] == delimiter_) {
      ++pos_;
      continue;
    }
    consume_line_end(text, &pos_, &line_);
    break;
  }
  record.fields.resize(used);  // drops slots left over from a wider earlier record
  return CsvStatus::kRecord;
}

namespace {

// "-12", "4800", "0.5", "-1.25e-3", ".5": an optional minus sign, digits with at most one point, an
// optional exponent. Anything else (a "+", a second sign, "1-2", "-A1") is not a plain number.
bool is_plain_number(std::string_view s) {
  std::size_t i = 0;
  if (i < s.size() && s[i] == '-') ++i;
  std::size_t digits = 0;
  bool point = false;
  for (; i < s.size(); ++i) {
    if (s[i] >= '0' && s[i] <= '9') {
      ++digits;
    } else if (s[i] == '.' && !point) {
      point = true;
    } else {
      break;
    }
  }
  if (digits == 0) return false;
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < s.size() && (s[i] == '-' || s[i] == '+')) ++i;
    std::size_t exp_digits = 0;
    for (; i < s.size() && s[i] >= '0' && s[i] <= '9'; ++i) ++exp_digits;
    if (exp_digits == 0) return false;
  }
  return i == s.size();
}

bool starts_like_formula(std::string_view s) {
  if (s.empty()) return false;
  switch (s.front()) {
    case '=':
    case '+':
    case '-':
    case '@':
    case '\t':
    case '\r':
      return !is_plain_number(s);
    default:
      return false;
  }
}

void append_cell(std::string& out, std::string_view value) {
  const bool formula = starts_like_formula(value);
  const bool quote = value.find_first_of(",\"\n\r") != std::string_view::npos;
  if (!formula && !quote) {
    out += value;
    return;
  }
  if (quote) out += '"';
  if (formula) out += '\'';
  for (const char ch : value) {
    if (ch == '"') out += '"';
    out += ch;
  }
  if (quote) out += '"';
}

}  // namespace

std::string csv_cell(std::string_view value) {
  std::string out;
  append_cell(out, value);
  return out;
}

CsvWriter& CsvWriter::cell(std::string_view value) {
  if (in_row_) out_ += ',';
  in_row_ = true;
  append_cell(out_, value);
  return *this;
}

CsvWriter& CsvWriter::row(std::initializer_list<std::string_view> cells) {
  for (const std::string_view c : cells) cell(c);
  end_row();
  return *this;
}

void CsvWriter::end_row() {
  out_ += '\n';
  in_row_ = false;
}

}  // namespace chipgate::io

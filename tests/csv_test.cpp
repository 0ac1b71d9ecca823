#include "io/csv.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <ostream>
#include <random>
#include <string>
#include <string_view>
#include <vector>

namespace chipgate::io {
namespace {

using Fields = std::vector<std::string>;

// One outcome of CsvReader::next(), flattened so a whole input can be compared in one EXPECT.
struct Item {
  CsvStatus status;
  std::size_t line;
  Fields fields;      // kRecord only
  std::string error;  // kError only

  bool operator==(const Item&) const = default;
};

void PrintTo(const Item& item, std::ostream* os) {
  switch (item.status) {
    case CsvStatus::kRecord:
      *os << "record";
      break;
    case CsvStatus::kError:
      *os << "error";
      break;
    case CsvStatus::kEnd:
      *os << "end";
      break;
  }
  *os << " line " << item.line;
  if (item.status == CsvStatus::kRecord) {
    *os << " [";
    for (const std::string& f : item.fields) *os << testing::PrintToString(f) << " ";
    *os << "]";
  }
  if (item.status == CsvStatus::kError) *os << " '" << item.error << "'";
}

Item Rec(std::size_t line, Fields fields) { return {CsvStatus::kRecord, line, std::move(fields), ""}; }
Item Err(std::size_t line, std::string error) { return {CsvStatus::kError, line, {}, std::move(error)}; }

// Reads everything up to and including kEnd (the kEnd item is not returned). Stops after a
// generous number of calls so a reader that never ends fails the test instead of hanging it.
std::vector<Item> ReadAll(std::string_view text, char delimiter = ',') {
  CsvReader reader(text, delimiter);
  std::vector<Item> items;
  CsvRecord record;
  std::string error;
  for (std::size_t calls = 0; calls <= text.size() + 1; ++calls) {
    const CsvStatus status = reader.next(record, error);
    if (status == CsvStatus::kEnd) {
      // kEnd is sticky.
      EXPECT_EQ(reader.next(record, error), CsvStatus::kEnd);
      return items;
    }
    if (status == CsvStatus::kRecord) {
      items.push_back(Rec(record.line, record.fields));
    } else {
      items.push_back(Err(record.line, error));
    }
  }
  ADD_FAILURE() << "reader did not reach kEnd";
  return items;
}

const std::string kUnterminated = "unterminated quoted field";
const std::string kJunk = "unexpected character after closing quote";
const std::string kTooLong = "record too long";

TEST(CsvReader, SimpleRows) {
  EXPECT_EQ(ReadAll("a,b,c\nd,e,f\n"), (std::vector<Item>{Rec(1, {"a", "b", "c"}), Rec(2, {"d", "e", "f"})}));
}

TEST(CsvReader, LastLineWithoutLineEnd) {
  EXPECT_EQ(ReadAll("id,name\n7,H100"), (std::vector<Item>{Rec(1, {"id", "name"}), Rec(2, {"7", "H100"})}));
}

TEST(CsvReader, SingleField) { EXPECT_EQ(ReadAll("x"), (std::vector<Item>{Rec(1, {"x"})})); }

TEST(CsvReader, QuotedCommas) {
  EXPECT_EQ(ReadAll("\"a,b\",c,\"d,,e\"\n"), (std::vector<Item>{Rec(1, {"a,b", "c", "d,,e"})}));
}

TEST(CsvReader, EscapedQuotes) {
  // "say ""hi""" -> say "hi";  """" -> ";  "" -> empty.
  EXPECT_EQ(ReadAll("\"say \"\"hi\"\"\",\"\"\"\",\"\"\n"), (std::vector<Item>{Rec(1, {"say \"hi\"", "\"", ""})}));
}

TEST(CsvReader, QuotedFieldAtEndOfInput) { EXPECT_EQ(ReadAll("a,\"b\""), (std::vector<Item>{Rec(1, {"a", "b"})})); }

TEST(CsvReader, EmbeddedNewlinesKeepLineNumbers) {
  // Record 1 spans lines 1-2, record 2 spans lines 3-5, record 3 is on line 6.
  const std::string text =
      "\"l1\nl2\",x\n"
      "y,\"p\n\nq\"\n"
      "z\n";
  EXPECT_EQ(ReadAll(text), (std::vector<Item>{Rec(1, {"l1\nl2", "x"}), Rec(3, {"y", "p\n\nq"}), Rec(6, {"z"})}));
}

TEST(CsvReader, CrLfInsideQuotesIsKeptAndCountedOnce) {
  EXPECT_EQ(ReadAll("\"a\r\nb\"\r\nc\r\n"), (std::vector<Item>{Rec(1, {"a\r\nb"}), Rec(3, {"c"})}));
}

TEST(CsvReader, LoneCrInsideQuotesIsKeptAndNotALineEnd) {
  EXPECT_EQ(ReadAll("\"a\rb\"\nc"), (std::vector<Item>{Rec(1, {"a\rb"}), Rec(2, {"c"})}));
}

TEST(CsvReader, LoneCrInUnquotedFieldIsData) {
  EXPECT_EQ(ReadAll("a\rb,c\nd"), (std::vector<Item>{Rec(1, {"a\rb", "c"}), Rec(2, {"d"})}));
}

TEST(CsvReader, FinalLoneCrIsALineEnd) {
  EXPECT_EQ(ReadAll("a,b\r"), (std::vector<Item>{Rec(1, {"a", "b"})}));
  EXPECT_EQ(ReadAll("a,\"b\"\r"), (std::vector<Item>{Rec(1, {"a", "b"})}));
}

TEST(CsvReader, CrLf) {
  EXPECT_EQ(ReadAll("a,b\r\nc,\"d\"\r\ne,f"),
            (std::vector<Item>{Rec(1, {"a", "b"}), Rec(2, {"c", "d"}), Rec(3, {"e", "f"})}));
}

TEST(CsvReader, Bom) {
  EXPECT_EQ(ReadAll("\xEF\xBB\xBFid,name\r\n1,x\r\n"), (std::vector<Item>{Rec(1, {"id", "name"}), Rec(2, {"1", "x"})}));
  // Only a leading BOM is special; elsewhere the bytes are data.
  EXPECT_EQ(ReadAll("x,\xEF\xBB\xBFy"), (std::vector<Item>{Rec(1, {"x", "\xEF\xBB\xBFy"})}));
  // A BOM before a quoted first field still lets the quote open it.
  EXPECT_EQ(ReadAll("\xEF\xBB\xBF\"a,b\""), (std::vector<Item>{Rec(1, {"a,b"})}));
}

TEST(CsvReader, BlankLinesAreSkipped) {
  // Lines: 1 "", 2 "a", 3 "", 4 "" (CR LF), 5 "b", 6 "".
  EXPECT_EQ(ReadAll("\na\n\n\r\nb\n\n"), (std::vector<Item>{Rec(2, {"a"}), Rec(5, {"b"})}));
}

TEST(CsvReader, WhitespaceLineIsNotBlank) {
  EXPECT_EQ(ReadAll("a\n \nb"), (std::vector<Item>{Rec(1, {"a"}), Rec(2, {" "}), Rec(3, {"b"})}));
}

TEST(CsvReader, TrailingDosEofAsInOfacFiles) {
  const std::vector<Item> want = {Rec(1, {"306", "BANCO NACIONAL"}), Rec(2, {"173", "ANGLO"})};
  EXPECT_EQ(ReadAll("306,\"BANCO NACIONAL\"\r\n173,\"ANGLO\"\r\n\x1A"), want);
  EXPECT_EQ(ReadAll("306,\"BANCO NACIONAL\"\r\n173,\"ANGLO\"\r\n\x1A\r\n"), want);
  EXPECT_EQ(ReadAll("306,\"BANCO NACIONAL\"\r\n173,\"ANGLO\"\r\n\x1A\n"), want);
  // Directly after the last field, with no line end in between.
  EXPECT_EQ(ReadAll("306,\"BANCO NACIONAL\"\r\n173,\"ANGLO\"\x1A"), want);
  EXPECT_EQ(ReadAll("\x1A"), std::vector<Item>{});
}

TEST(CsvReader, DosEofByteNotAtEndIsData) {
  // Written as \x1A + "b" separately because "\x1Ab" would be one (out of range) hex escape.
  const std::string field = std::string("a\x1A") + "b";
  EXPECT_EQ(ReadAll(field + "\n"), (std::vector<Item>{Rec(1, {field})}));
}

TEST(CsvReader, EmptyFields) {
  EXPECT_EQ(ReadAll(",,\na,,b\n"), (std::vector<Item>{Rec(1, {"", "", ""}), Rec(2, {"a", "", "b"})}));
  EXPECT_EQ(ReadAll(",\r\n"), (std::vector<Item>{Rec(1, {"", ""})}));
}

TEST(CsvReader, TrailingEmptyField) {
  EXPECT_EQ(ReadAll("a,b,\nc,d,"), (std::vector<Item>{Rec(1, {"a", "b", ""}), Rec(2, {"c", "d", ""})}));
  EXPECT_EQ(ReadAll("a,\"b\",\r\n"), (std::vector<Item>{Rec(1, {"a", "b", ""})}));
}

TEST(CsvReader, QuoteInsideUnquotedFieldIsLiteral) {
  EXPECT_EQ(ReadAll("ab\"c,d\"\n5\"x\"\n"), (std::vector<Item>{Rec(1, {"ab\"c", "d\""}), Rec(2, {"5\"x\""})}));
}

TEST(CsvReader, UnterminatedQuote) {
  EXPECT_EQ(ReadAll("a,\"bc\nd,e\n"), (std::vector<Item>{Err(1, kUnterminated)}));
  EXPECT_EQ(ReadAll("x\n\"abc"), (std::vector<Item>{Rec(1, {"x"}), Err(2, kUnterminated)}));
  // A quote that closes and immediately reopens as an escape: """ is still open.
  EXPECT_EQ(ReadAll("\"\"\""), (std::vector<Item>{Err(1, kUnterminated)}));
}

TEST(CsvReader, JunkAfterClosingQuoteThenGoodRecord) {
  EXPECT_EQ(ReadAll("\"ab\"c,d\ngood,rec\n"), (std::vector<Item>{Err(1, kJunk), Rec(2, {"good", "rec"})}));
  // Bad record starting on line 2 and spanning lines 2-3; the next record is on line 4.
  EXPECT_EQ(ReadAll("h\nx,\"a\nb\"junk,more\nok\n"), (std::vector<Item>{Rec(1, {"h"}), Err(2, kJunk), Rec(4, {"ok"})}));
  // Junk that is a lone CR (not a line end) after the closing quote.
  EXPECT_EQ(ReadAll("\"a\"\rb\r\nc"), (std::vector<Item>{Err(1, kJunk), Rec(2, {"c"})}));
  // Junk on the last line.
  EXPECT_EQ(ReadAll("\"a\" "), (std::vector<Item>{Err(1, kJunk)}));
}

TEST(CsvReader, OversizeRecord) {
  constexpr std::size_t kMax = CsvReader::kMaxRecordBytes;
  const std::string at_limit(kMax, 'x');
  const std::string over_limit(kMax + 1, 'x');

  EXPECT_EQ(ReadAll(at_limit + "\nok\n"), (std::vector<Item>{Rec(1, {at_limit}), Rec(2, {"ok"})}));
  EXPECT_EQ(ReadAll(over_limit + "\nok\n"), (std::vector<Item>{Err(1, kTooLong), Rec(2, {"ok"})}));
  // Same, spread over two fields: kMax / 2 + 1 + kMax / 2 bytes.
  const std::string half(kMax / 2, 'y');
  EXPECT_EQ(ReadAll("a\n" + half + "," + half + "\r\nok"),
            (std::vector<Item>{Rec(1, {"a"}), Err(2, kTooLong), Rec(3, {"ok"})}));
  // Quoted: the two quotes count, so kMax - 2 content bytes fit and kMax - 1 do not.
  const std::string fits(kMax - 2, 'z');
  const std::string no_fit(kMax - 1, 'z');
  EXPECT_EQ(ReadAll("\"" + fits + "\"\nok"), (std::vector<Item>{Rec(1, {fits}), Rec(2, {"ok"})}));
  EXPECT_EQ(ReadAll("\"" + no_fit + "\"\nok"), (std::vector<Item>{Err(1, kTooLong), Rec(2, {"ok"})}));
}

TEST(CsvReader, CustomDelimiter) {
  EXPECT_EQ(ReadAll("a\tb,c\t\"d\te\"\n\t\n", '\t'),
            (std::vector<Item>{Rec(1, {"a", "b,c", "d\te"}), Rec(2, {"", ""})}));
}

TEST(CsvReader, EmptyInput) {
  EXPECT_EQ(ReadAll(""), std::vector<Item>{});
  EXPECT_EQ(ReadAll("\xEF\xBB\xBF"), std::vector<Item>{});
  EXPECT_EQ(ReadAll("\n\r\n\n"), std::vector<Item>{});
}

TEST(CsvReader, EndReportsLineAfterLastAndClearsFields) {
  CsvReader reader("a\nb\n\n");
  CsvRecord record;
  std::string error;
  ASSERT_EQ(reader.next(record, error), CsvStatus::kRecord);
  ASSERT_EQ(reader.next(record, error), CsvStatus::kRecord);
  ASSERT_EQ(reader.next(record, error), CsvStatus::kEnd);
  EXPECT_TRUE(record.fields.empty());
  EXPECT_EQ(record.line, 4u);  // three LFs consumed
}

TEST(CsvReader, ReusedRecordHasNoStaleFields) {
  // The same CsvRecord is reused, with records narrower and wider than the one before.
  CsvReader reader("aaaa,bbbb,cccc\nd\ne,f\n");
  CsvRecord record;
  std::string error;
  ASSERT_EQ(reader.next(record, error), CsvStatus::kRecord);
  EXPECT_EQ(record.fields, (Fields{"aaaa", "bbbb", "cccc"}));
  ASSERT_EQ(reader.next(record, error), CsvStatus::kRecord);
  EXPECT_EQ(record.fields, (Fields{"d"}));
  ASSERT_EQ(reader.next(record, error), CsvStatus::kRecord);
  EXPECT_EQ(record.fields, (Fields{"e", "f"}));
}

TEST(CsvReader, ErrorStringIsClearedOnSuccess) {
  CsvReader reader("\"a\"b\nc\n");
  CsvRecord record;
  std::string error;
  ASSERT_EQ(reader.next(record, error), CsvStatus::kError);
  EXPECT_EQ(error, kJunk);
  ASSERT_EQ(reader.next(record, error), CsvStatus::kRecord);
  EXPECT_EQ(error, "");
}

TEST(CsvReader, RandomInputsTerminateWithMonotonicLines) {
  static constexpr char kAlphabet[] = {'a', ',', '"', '\r', '\n', '\x1A', '\xff'};
  std::mt19937 rng(20240611);
  std::uniform_int_distribution<std::size_t> length(0, 200);
  std::uniform_int_distribution<std::size_t> pick(0, sizeof(kAlphabet) - 1);
  for (int i = 0; i < 2000; ++i) {
    std::string text(length(rng), ' ');
    for (char& c : text) c = kAlphabet[pick(rng)];
    SCOPED_TRACE(testing::PrintToString(text));

    const std::size_t physical_lines = static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n')) + 1;
    CsvReader reader(text);
    CsvRecord record;
    std::string error;
    std::size_t last_line = 1;
    bool ended = false;
    // Every record or error consumes at least one byte, so size + 1 calls must reach kEnd.
    for (std::size_t calls = 0; calls <= text.size() + 1 && !ended; ++calls) {
      ended = reader.next(record, error) == CsvStatus::kEnd;
      ASSERT_GE(record.line, last_line);
      ASSERT_LE(record.line, physical_lines);
      last_line = record.line;
    }
    ASSERT_TRUE(ended);
  }
}

}  // namespace
}  // namespace chipgate::io

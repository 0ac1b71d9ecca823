// Bounded input (core/bounded_file.h): no reader takes more than the limit of its kind of file, and
// a file over it fails with a message naming the file and the limit. Through the library and through
// the CLI, where `classify --catalog /dev/zero` once grew the process to 16.8 GB in 60 s.
#include "core/bounded_file.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <string>

#include "core/json_util.h"
#include "io/catalog.h"
#include "io/orders.h"
#include "test_support.h"

namespace chipgate {
namespace {

using test::run_cli;

constexpr InputFileKind kTenBytes{"test file", 10};

TEST(BoundedFile, ReadsAFileUpToItsLimit) {
  const std::string path = test::temp_dir() + "/ten";
  test::write_file(path, "0123456789");
  auto r = read_bounded_file(path, kTenBytes);
  ASSERT_TRUE(r) << r.message();
  EXPECT_EQ(r.value(), "0123456789");
}

TEST(BoundedFile, RefusesARegularFileOverTheLimit) {
  const std::string path = test::temp_dir() + "/eleven";
  test::write_file(path, "0123456789A");
  auto r = read_bounded_file(path, kTenBytes);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.message(), path + ": larger than the test file limit of 10 bytes");
}

TEST(BoundedFile, StopsAnEndlessDeviceAtTheLimit) {
  constexpr InputFileKind kOneMiB{"test file", input_limits::kMiB};
  auto r = read_bounded_file("/dev/zero", kOneMiB);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.message(), "/dev/zero: larger than the test file limit of 1 MiB (1048576 bytes)");
}

TEST(BoundedFile, NamesTheProblemWithTheFile) {
  const std::string dir = test::temp_dir();
  auto missing = read_bounded_file(dir + "/absent.csv", kTenBytes);
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.message(), dir + "/absent.csv: cannot open file (No such file or directory)");
  auto directory = read_bounded_file(dir, kTenBytes);
  ASSERT_FALSE(directory);
  EXPECT_EQ(directory.message(), dir + ": is a directory, not a file");
}

TEST(BoundedFile, RegularFilesOnlyRefusesPipesWithoutWaitingForAWriter) {
  const std::string fifo = test::temp_dir() + "/fifo";
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  // No writer ever opens the FIFO: a blocking open would hang the test here.
  auto r = read_bounded_file(fifo, kTenBytes, /*regular_file_only=*/true);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.message(), fifo + ": not a regular file");
  auto dev = read_bounded_file("/dev/zero", kTenBytes, /*regular_file_only=*/true);
  ASSERT_FALSE(dev);
  EXPECT_EQ(dev.message(), "/dev/zero: not a regular file");
}

TEST(BoundedFile, DescribesLimitsInMiBWhenWhole) {
  EXPECT_EQ(describe_byte_limit(256 * input_limits::kMiB), "256 MiB (268435456 bytes)");
  EXPECT_EQ(describe_byte_limit(1000), "1000 bytes");
}

TEST(LineSplitter, SplitsOnLfAndCrLfAndReportsOverlongLinesWithoutTheirBytes) {
  LineSplitter lines("a\r\nbbbb\n\nc", 3);
  std::string_view line;
  std::size_t no = 0;
  bool too_long = true;
  ASSERT_TRUE(lines.next(line, no, too_long));
  EXPECT_EQ(line, "a");
  EXPECT_EQ(no, 1u);
  EXPECT_FALSE(too_long);
  ASSERT_TRUE(lines.next(line, no, too_long));
  EXPECT_EQ(line, "");
  EXPECT_EQ(no, 2u);
  EXPECT_TRUE(too_long);  // "bbbb" is 4 bytes, the limit 3
  ASSERT_TRUE(lines.next(line, no, too_long));
  EXPECT_EQ(line, "");
  EXPECT_EQ(no, 3u);
  EXPECT_FALSE(too_long);
  ASSERT_TRUE(lines.next(line, no, too_long));
  EXPECT_EQ(line, "c");
  EXPECT_EQ(no, 4u);
  EXPECT_FALSE(lines.next(line, no, too_long));
}

TEST(JsonNesting, CountsArraysAndObjectsButNotBracketsInStrings) {
  EXPECT_TRUE(json_nesting_within("[[{}]]", 3));
  EXPECT_FALSE(json_nesting_within("[[{}]]", 2));
  EXPECT_TRUE(json_nesting_within(R"({"a": "[[[[[", "b": "\"{{{{"})", 1));
  EXPECT_FALSE(json_nesting_within(std::string(100, '['), 64));
}

// A JSON line over the record limit is a row error; the next line is still read.
TEST(BoundedRecords, OverlongJsonLineIsARowErrorInCatalogsAndOrderBooks) {
  const std::string huge = "{\"id\":\"" + std::string(input_limits::kMaxRecordBytes, 'x') + "\"}";
  const std::string item = R"({"id":"g1","kind":"gpu","datacenter":true,"rates":{"fp8":1979},"die_area_mm2":814})";
  auto catalog = io::parse_catalog_jsonl(huge + "\n" + item + "\n");
  ASSERT_TRUE(catalog) << catalog.message();
  ASSERT_EQ(catalog->errors.size(), 1u);
  EXPECT_EQ(catalog->errors[0].to_string(), "row 1: line longer than 1 MiB (1048576 bytes)");
  ASSERT_EQ(catalog->rows.size(), 1u);
  EXPECT_EQ(catalog->rows[0].row, 2u);

  auto book = io::parse_orders_jsonl(huge + "\n");
  ASSERT_TRUE(book) << book.message();
  ASSERT_EQ(book->errors.size(), 1u);
  EXPECT_EQ(book->errors[0].error.to_string(), "row 1: line longer than 1 MiB (1048576 bytes)");
}

// Each reader of the CLI, given an endless device, stops at its limit with exit 2 and names the
// file and the limit (before, each read until memory ran out).
TEST(BoundedFileCli, EveryReaderStopsAtItsLimitOnAnEndlessDevice) {
  const std::string catalog = test::source_path("data/sample-catalog.csv");
  const std::string orders = test::source_path("data/sample-orders.csv");
  const std::string rules = " --rules " + test::rules_dir();
  struct Case {
    std::string args, message;
  };
  const Case cases[] = {
      {"classify --catalog /dev/zero" + rules, "/dev/zero: larger than the catalog limit of 256 MiB (268435456 bytes)"},
      {"classify --item /dev/zero" + rules, "/dev/zero: larger than the item file limit of 1 MiB (1048576 bytes)"},
      {"decide --orders /dev/zero --catalog " + catalog + rules,
       "/dev/zero: larger than the order book limit of 256 MiB (268435456 bytes)"},
      {"decide --orders " + orders + " --catalog " + catalog + " --letters /dev/zero" + rules,
       "/dev/zero: larger than the TOML file limit of 4 MiB (4194304 bytes)"},
      {"decide --orders " + orders + " --catalog " + catalog + " --lists /dev/zero" + rules,
       "/dev/zero: larger than the list file limit of 64 MiB (67108864 bytes)"},
      {"screen --lists /dev/zero Huawei" + rules,
       "/dev/zero: larger than the list file limit of 64 MiB (67108864 bytes)"},
      {"screen --lists " + test::source_path("data/sample-parties.json") + " --batch /dev/zero" + rules,
       "/dev/zero: larger than the party batch file limit of 256 MiB (268435456 bytes)"},
      {"screen --compare /dev/zero" + rules,
       "/dev/zero: larger than the name-pair file limit of 256 MiB (268435456 bytes)"},
      {"screen --terms /dev/zero Huawei" + rules,
       "/dev/zero: larger than the TOML file limit of 4 MiB (4194304 bytes)"},
  };
  for (const auto& c : cases) {
    auto r = run_cli(c.args);
    EXPECT_EQ(r.exit_code, 2) << c.args << "\n" << r.err;
    EXPECT_NE(r.err.find(c.message), std::string::npos) << c.args << "\n" << r.err;
  }
}

}  // namespace
}  // namespace chipgate

// The text a person reads: the reasons and traces of `chipgate decide`, rendered for thousands of
// generated order lines over the whole shared catalog (tests/order_line_generator.h) and the sample
// orders, screened against the real published lists of ../shared/data/lists, in every output format.
// Officers and auditors read these sentences, so each defect found in them once is checked for here:
//  - an empty country-group list rendered as "not in ;";
//  - the Entity List's footnote markers left after a citation ("... 744.11 of the EAR) 5");
//  - the project's research marks ("[S: ...]", "regulations.md", "unverified") instead of the rule;
//  - a match explanation ending a word with "?" ("BEIJING?") instead of saying what did not match;
//  - a line break inside a field, which breaks the table's rows and a CSV reader's lines.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "io/csv.h"
#include "order_line_generator.h"
#include "test_support.h"

namespace chipgate {
namespace {

// Names from the published Entity List whose "License requirement" carries footnote markers, so that
// the decisions quote them.
std::vector<std::string> entity_list_names_with_footnotes(std::size_t count) {
  std::ifstream in(test::shared_data("lists/bis-and-others_nsfreg/bis_entity_list.json"));
  const auto j = nlohmann::json::parse(in);
  static const std::regex marker(R"((\) [0-9]{1,2} and |of the EAR\)? [0-9]{1,2}\s*$))");
  std::vector<std::string> names;
  for (const auto& e : j.at("entities")) {
    if (names.size() == count) break;
    if (e.value("notes", "").empty() || !std::regex_search(e.value("notes", ""), marker)) continue;
    names.push_back(e.value("name", ""));
  }
  return names;
}

// An order book of generated lines over the shared catalog (servers are left out: they are not in
// accelerators.csv), a fifth of the parties taken from the Entity List names above.
std::string write_orders(const std::string& dir, std::size_t count) {
  const auto items = test::property_catalog();
  test::LineGenerator gen(test::property_seed(), *test::registry(), items);
  const auto listed = entity_list_names_with_footnotes(40);
  std::mt19937_64 rng(test::property_seed());
  std::ostringstream out;
  out << "order_id,line,date,product_id,quantity,value_usd,ship_to,consignee,end_user,end_user_country,"
         "end_user_hq_country,end_uses,exporter,export_from\n";
  for (std::size_t n = 0, written = 0; written < count; ++n) {
    auto l = gen.next(n);
    if (l.product_id.rfind("server-", 0) == 0) continue;
    if (rng() % 5 == 0) l.end_user = listed[rng() % listed.size()];
    std::string end_uses;
    for (const auto& u : l.end_uses) end_uses += (end_uses.empty() ? "" : ";") + u;
    out << io::csv_cell(l.order_id) << ',' << l.line << ',' << (l.date ? l.date->to_string() : "") << ','
        << l.product_id << ',' << l.quantity << ',' << l.value_usd << ',' << l.ship_to << ','
        << io::csv_cell(l.consignee) << ',' << io::csv_cell(l.end_user) << ',' << l.end_user_country << ','
        << l.end_user_hq_country << ',' << io::csv_cell(end_uses) << ',' << io::csv_cell(l.exporter) << ','
        << l.export_from << '\n';
    ++written;
  }
  const std::string path = dir + "/orders.csv";
  test::write_file(path, out.str());
  return path;
}

struct Defect {
  const char* what;
  std::regex pattern;
};

const std::vector<Defect>& defects() {
  static const std::vector<Defect> d = {
      {"an empty group list", std::regex(R"(not in (;|,|\)|$))")},
      {"a footnote marker after a citation",
       std::regex(R"((\) [0-9]{1,2}( and |\s*["|,;]|\s*$)|of the EAR\)? [0-9]{1,2}\b))")},
      {"a research mark", std::regex(R"(\[S[\]:;, ]|regulations\.md|unverified)")},
      {"a word ending in '?' in a match explanation", std::regex(R"(\b[A-Z]{2,}\?)")},
  };
  return d;
}

void expect_clean(const std::string& format, const std::string& text) {
  std::istringstream in(text);
  std::string line;
  std::size_t n = 0, reported = 0;
  while (std::getline(in, line)) {
    ++n;
    for (const auto& d : defects())
      if (std::regex_search(line, d.pattern) && reported++ < 5)
        ADD_FAILURE() << format << " output, line " << n << ": " << d.what << ":\n" << line;
  }
  EXPECT_EQ(reported, 0u) << format << ": " << reported << " defective lines in all";
}

class TraceText : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new std::string(test::temp_dir() + "/trace-text");
    std::filesystem::create_directories(*dir_);
    orders_ = new std::string(write_orders(*dir_, test::property_lines(1500)));
  }
  static void TearDownTestSuite() {
    delete dir_;
    delete orders_;
  }
  static test::CommandResult decide(const std::string& orders, const std::string& catalog, const std::string& format) {
    return test::run_cli("decide --orders '" + orders + "' --catalog '" + catalog + "' --format " + format +
                         " --date 2026-11-25 --lists '" + test::shared_data("lists/bis-and-others_nsfreg") +
                         "' --letters '" + test::source_path("data/sample-letters.toml") + "' --ownership '" +
                         test::source_path("data/sample-ownership.csv") + "'");
  }
  static inline std::string* dir_ = nullptr;
  static inline std::string* orders_ = nullptr;
};

TEST_F(TraceText, EverySentenceOfEveryFormatIsClean) {
  const std::string catalog = test::shared_data("accelerators.csv");
  for (const char* format : {"json", "csv", "table", "table --explain"}) {
    SCOPED_TRACE(format);
    const auto r = decide(*orders_, catalog, format);
    ASSERT_TRUE(r.exit_code == 0 || r.exit_code == 1 || r.exit_code == 3) << r.err.substr(0, 2000);
    ASSERT_GT(r.out.size(), 10000u);
    expect_clean(format, r.out);
  }
  // The sample orders on the sample catalog, as the README runs them.
  for (const char* format : {"json", "csv", "table", "table --explain"}) {
    const auto r =
        decide(test::source_path("data/sample-orders.csv"), test::source_path("data/sample-catalog.csv"), format);
    ASSERT_EQ(r.exit_code, 3) << r.err;
    expect_clean(std::string("sample ") + format, r.out);
  }
}

// The quoted text reaches the output: a decision on a listed party with a footnoted requirement quotes
// the requirement without the marker, and the generated book did reach such parties and empty groups.
TEST_F(TraceText, TheCheckedTextIsReallyThere) {
  const auto r = decide(*orders_, test::shared_data("accelerators.csv"), "json");
  ASSERT_TRUE(r.exit_code == 0 || r.exit_code == 1 || r.exit_code == 3) << r.err.substr(0, 2000);
  EXPECT_NE(r.out.find("744.11 of the EAR"), std::string::npos);
  EXPECT_NE(r.out.find("(this requirement names no ship-to destination)"), std::string::npos);
}

// CSV fields hold no line break: a reader splitting on lines (a spreadsheet import, grep) keeps each
// decision on one line, and every line has the header's number of fields.
TEST_F(TraceText, CsvRowsAreOneLineEach) {
  const auto r = decide(*orders_, test::shared_data("accelerators.csv"), "csv");
  ASSERT_TRUE(r.exit_code == 0 || r.exit_code == 1 || r.exit_code == 3) << r.err.substr(0, 2000);
  EXPECT_EQ(r.out.find("\r"), std::string::npos);
  const std::string table = r.out.substr(0, r.out.find("\nNot legal advice"));
  io::CsvReader reader(table);
  io::CsvRecord record;
  std::string error;
  std::size_t records = 0, fields = 0;
  while (reader.next(record, error) != io::CsvStatus::kEnd) {
    ASSERT_TRUE(error.empty()) << "line " << record.line << ": " << error;
    ++records;
    if (records == 1) fields = record.fields.size();
    ASSERT_EQ(record.fields.size(), fields) << "line " << record.line;
    ASSERT_EQ(record.line, records) << "a field of the record before line " << record.line << " holds a line break";
  }
  EXPECT_GT(records, 1000u);
}

}  // namespace
}  // namespace chipgate

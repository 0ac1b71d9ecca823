// Every order line is decided on its own date, whatever was decided before it: through the library
// (license::OrderDecider, whose classification cache is shared by every line of a run and, in the
// server, by every request) and through `chipgate decide` (order book and --compare-dates). The HTTP
// side is tests/server/line_date_test.cpp.
//
// The case: NVIDIA's H20 (data/sample-catalog.csv: INT8 296 dense -> TPP 296 x 8 = 2368, die 814 mm2
// -> PD 2.909) is below every 3A090 line of the version in force in April 2025 (2025-01-16, the
// 2023-11-17 text: a.1 needs TPP >= 4800, a.2 PD >= 5.92, b.1 TPP >= 2400, b.2 PD >= 3.2), so to
// China it needs a licence only through NVIDIA's is-informed letter (data/sample-letters.toml, 8-K of
// 9 Apr 2025: "The USG informed NVIDIA that a licence is required for exports of the H20 ... to China
// (including Hong Kong and Macau) and D:5 countries", informed 2025-04-09). Hence:
//   line dated 2025-04-10 (after the letter)  -> licence required, letter the reason, date 2025-04-10
//   line dated 2025-04-01 (before the letter) -> no licence, date 2025-04-01
// Both dates fall under the same rule version, so both lines share one cached classification; the
// defect was that the cached object kept the first line's date and the second line was decided on it.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "io/catalog.h"
#include "license/order_decider.h"
#include "test_support.h"

namespace chipgate::license {
namespace {

Date day(const std::string& text) { return Date::parse(text).value(); }

OrderLine h20_to_china(const std::string& line_no, const std::string& date) {
  OrderLine l;
  l.order_id = "PO-H20";
  l.line = line_no;
  l.date = day(date);
  l.product_id = "nvidia-h20";
  l.quantity = 16;
  l.value_usd = 200000;
  l.ship_to = "CN";
  l.end_user_country = "CN";
  l.exporter = "NVIDIA";
  return l;
}

class LineDateTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto catalog = io::load_catalog(test::source_path("data/sample-catalog.csv"));
    ASSERT_TRUE(catalog) << catalog.message();
    for (const auto& r : catalog->rows) items_.push_back(r.item);
    auto letters = test::registry()->load_letters(test::source_path("data/sample-letters.toml"));
    ASSERT_TRUE(letters) << letters.message();
    letters_ = std::move(letters).value();
  }
  OrderDecider decider() const { return OrderDecider(test::registry(), items_, {"", nullptr, &letters_}); }

  std::vector<classify::Item> items_;
  std::vector<rules::Letter> letters_;
};

void expect_after_letter(const Decision& d) {
  EXPECT_EQ(d.date.to_string(), "2025-04-10");
  ASSERT_TRUE(d.license_required.has_value());
  EXPECT_TRUE(*d.license_required);
  ASSERT_EQ(d.reasons.size(), 1u);
  EXPECT_EQ(d.reasons[0].kind, Reason::Kind::kLetter);
}

void expect_before_letter(const Decision& d) {
  EXPECT_EQ(d.date.to_string(), "2025-04-01");
  EXPECT_EQ(d.license_required, std::optional<bool>(false));
  EXPECT_TRUE(d.reasons.empty());
}

TEST_F(LineDateTest, LaterLineFirstThenEarlierLine) {
  const auto decide = decider();
  auto later = decide.decide(h20_to_china("1", "2025-04-10"), day("2026-11-25"));
  auto earlier = decide.decide(h20_to_china("2", "2025-04-01"), day("2026-11-25"));
  ASSERT_TRUE(later) << later.message();
  ASSERT_TRUE(earlier) << earlier.message();
  expect_after_letter(later.value());
  expect_before_letter(earlier.value());
}

TEST_F(LineDateTest, EarlierLineFirstThenLaterLine) {
  const auto decide = decider();
  auto earlier = decide.decide(h20_to_china("1", "2025-04-01"), day("2026-11-25"));
  auto later = decide.decide(h20_to_china("2", "2025-04-10"), day("2026-11-25"));
  ASSERT_TRUE(earlier) << earlier.message();
  ASSERT_TRUE(later) << later.message();
  expect_before_letter(earlier.value());
  expect_after_letter(later.value());
}

TEST_F(LineDateTest, CompareDatesOverrideEachGetsItsOwnDate) {
  // As `decide --compare-dates 2025-04-10 2025-04-01`: one line decided on each date asked.
  const auto decide = decider();
  auto later = decide.decide(h20_to_china("1", "2025-01-01"), day("2025-04-10"), true);
  auto earlier = decide.decide(h20_to_china("1", "2025-01-01"), day("2025-04-01"), true);
  ASSERT_TRUE(later && earlier);
  expect_after_letter(later.value());
  expect_before_letter(earlier.value());
}

// ---- the CLI -------------------------------------------------------------------------------------

std::vector<nlohmann::json> jsonl(const std::string& out) {
  std::vector<nlohmann::json> lines;
  std::istringstream in(out);
  std::string l;
  while (std::getline(in, l))
    if (!l.empty()) lines.push_back(nlohmann::json::parse(l));
  return lines;
}

std::string orders_file(const std::vector<std::pair<std::string, std::string>>& line_dates) {
  std::string csv = "order_id,line,date,product_id,quantity,value_usd,ship_to,end_user_country,exporter\n";
  for (const auto& [line, date] : line_dates)
    csv += "PO-H20," + line + "," + date + ",nvidia-h20,16,200000,CN,CN,NVIDIA\n";
  const std::string path = test::temp_dir() + "/orders.csv";
  test::write_file(path, csv);
  return path;
}

std::string decide_args(const std::string& orders) {
  return "decide --format jsonl --orders " + orders + " --catalog " + test::source_path("data/sample-catalog.csv") +
         " --letters " + test::source_path("data/sample-letters.toml") + " --lists " +
         test::source_path("data/sample-parties.json");
}

TEST(LineDateCli, EachLineOnItsOwnDateInEitherOrder) {
  for (const bool later_first : {true, false}) {
    const auto orders = later_first ? orders_file({{"1", "2025-04-10"}, {"2", "2025-04-01"}})
                                    : orders_file({{"1", "2025-04-01"}, {"2", "2025-04-10"}});
    const auto r = test::run_cli(decide_args(orders));
    ASSERT_EQ(r.exit_code, 3) << r.err;
    const auto lines = jsonl(r.out);
    ASSERT_EQ(lines.size(), 2u) << r.out;
    for (const auto& j : lines) {
      const bool after = j["date"] == "2025-04-10";
      EXPECT_TRUE(after || j["date"] == "2025-04-01") << j.dump();
      EXPECT_EQ(j["license_required"], after) << "line " << j["line"] << " dated " << j["date"];
    }
    EXPECT_EQ(lines[0]["date"], later_first ? "2025-04-10" : "2025-04-01");
    EXPECT_EQ(lines[1]["date"], later_first ? "2025-04-01" : "2025-04-10");
  }
}

TEST(LineDateCli, CompareDatesInEitherOrder) {
  for (const bool later_first : {true, false}) {
    const std::string dates = later_first ? "2025-04-10 2025-04-01" : "2025-04-01 2025-04-10";
    const auto r = test::run_cli(decide_args(orders_file({{"1", "2025-01-01"}})) + " --compare-dates " + dates);
    ASSERT_EQ(r.exit_code, 3) << r.err;
    const auto lines = jsonl(r.out);
    ASSERT_EQ(lines.size(), 1u) << r.out;
    EXPECT_EQ(lines[0]["changed"], true);
    ASSERT_EQ(lines[0]["dates"].size(), 2u);
    for (const auto& j : lines[0]["dates"]) EXPECT_EQ(j["license_required"], j["date"] == "2025-04-10") << j.dump();
    EXPECT_EQ(lines[0]["dates"][0]["date"], later_first ? "2025-04-10" : "2025-04-01");
  }
}

}  // namespace
}  // namespace chipgate::license

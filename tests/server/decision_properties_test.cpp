// Property (2) of the decisions (the others are in tests/decision_properties_test.cpp): for every
// generated order line (tests/order_line_generator.h), `chipgate decide` (a process), POST /v1/decide
// (a real server, both store backends) and the impact report (impact::analyse, on the line's date)
// give the same answer. The CLI and the API must agree on the whole decision object; the impact
// report keeps only the outcome (licence required, status, ECCN, review policy), which must match.
// Same inputs everywhere: the shared catalog plus servers, the sample letters, the sample party list
// (fuzzy screener, as the CLI and the server use it) and the sample ownership data.
// A failure prints the seed and the line; CHIPGATE_PROPERTY_SEED replays it.
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "impact/impact.h"
#include "io/catalog.h"
#include "io/orders.h"
#include "io/ownership.h"
#include "license/screening.h"
#include "order_line_generator.h"
#include "screen/screener.h"
#include "server_fixture.h"

namespace chipgate::server {
namespace {

using json = nlohmann::json;
using namespace testing;  // server_fixture.h
using test::LineGenerator;

class DecisionPropertiesServer : public ServerTest {};

constexpr const char* kRunDate = "2026-11-25";

std::vector<json> jsonl(const std::string& text) {
  std::vector<json> out;
  std::istringstream in(text);
  for (std::string l; std::getline(in, l);)
    if (!l.empty()) out.push_back(json::parse(l));
  return out;
}

// The answer fields the impact report keeps.
json outcome(const json& decision) {
  return {{"license_required", decision["license_required"]},
          {"classification", decision["classification"]},
          {"eccn", decision["eccn"]},
          {"review_policy", decision["review_policy"]}};
}

json outcome(const impact::Outcome& o) {
  json eccn = json::array();
  for (const auto& e : o.eccns) eccn.push_back(e);
  return {{"license_required", o.license_required ? json(*o.license_required) : json(nullptr)},
          {"classification", classify::status_name(o.status)},
          {"eccn", eccn},
          {"review_policy", o.review_policy ? json(rules::review_policy_code(*o.review_policy)) : json(nullptr)}};
}

TEST_P(DecisionPropertiesServer, CliHttpAndImpactReportAgree) {
  const std::uint64_t seed = test::property_seed();
  const std::string dir = test::temp_dir();
  // The catalog as a file every side reads: the shared catalog and the servers built from it.
  {
    std::ofstream catalog(dir + "/catalog.jsonl");
    for (const auto& item : test::property_catalog()) catalog << io::item_to_json(item).dump() << "\n";
  }
  auto catalog = io::load_catalog(dir + "/catalog.jsonl");
  ASSERT_TRUE(catalog && catalog->errors.empty()) << "catalog round trip";
  std::vector<classify::Item> items;
  for (const auto& r : catalog->rows) items.push_back(r.item);

  LineGenerator gen(seed, *test::registry(), items);
  std::vector<license::OrderLine> lines;
  {
    std::ofstream orders(dir + "/orders.jsonl");
    for (std::size_t i = 0; i < test::property_lines(300); ++i) {
      lines.push_back(gen.next(i));
      if (i % 20 == 19) lines.back().date.reset();
      orders << LineGenerator::to_json(lines.back()).dump() << "\n";
    }
  }
  const std::string lists = test::source_path("data/sample-parties.json");
  const std::string letters = test::source_path("data/sample-letters.toml");
  const std::string ownership = test::source_path("data/sample-ownership.csv");

  // The CLI, as a process.
  const auto cli = test::run_cli("decide --format jsonl --date " + std::string(kRunDate) + " --orders " + dir +
                                 "/orders.jsonl --catalog " + dir + "/catalog.jsonl --lists " + lists + " --letters " +
                                 letters + " --ownership " + ownership + " --rules " + test::rules_dir());
  ASSERT_TRUE(cli.exit_code == 0 || cli.exit_code == 3) << cli.err;
  const auto from_cli = jsonl(cli.out);
  ASSERT_EQ(from_cli.size(), lines.size());
  // Exit 3 exactly when some line needs a licence or is open.
  const bool attention =
      std::any_of(from_cli.begin(), from_cli.end(), [](const auto& j) { return j["license_required"] != false; });
  EXPECT_EQ(cli.exit_code, attention ? 3 : 0);

  // The HTTP API, batches of the fixture's limit (50).
  Fixture server(spec(), [&](ServiceOptions& o) {
    o.catalog = dir + "/catalog.jsonl";
    o.lists = {lists};
    o.letters = letters;
    o.ownership_file = ownership;
  });
  std::vector<json> from_http;
  for (std::size_t start = 0; start < lines.size(); start += 50) {
    json batch = json::array();
    for (std::size_t i = start; i < std::min(lines.size(), start + 50); ++i)
      batch.push_back(LineGenerator::to_json(lines[i]));
    auto r = call_at(server.port, "POST", std::string("/v1/decide?date=") + kRunDate, server.analyst, batch.dump());
    ASSERT_EQ(r.status, 200) << r.body;
    const json body = r.j();
    for (auto d : body["decisions"]) {
      d.erase("decision_id");
      from_http.push_back(std::move(d));
    }
  }
  ASSERT_EQ(from_http.size(), lines.size());
  for (std::size_t i = 0; i < lines.size(); ++i)
    ASSERT_EQ(from_http[i], from_cli[i]) << "CLI and HTTP differ: " << LineGenerator::describe(seed, lines[i]);

  // The impact report: the lines of each date, decided on that date as the report's base.
  auto terms = screen::load_terms(test::source_path("data/screening/terms.toml"));
  ASSERT_TRUE(terms) << terms.message();
  auto screener = screen::Screener::load({lists}, terms.value());
  ASSERT_TRUE(screener) << screener.message();
  auto sample_letters = test::registry()->load_letters(letters);
  ASSERT_TRUE(sample_letters);
  auto owners = io::load_ownership(ownership);
  ASSERT_TRUE(owners && owners->errors.empty());
  auto graph = license::OwnershipGraph::build(owners->records);
  ASSERT_TRUE(graph);
  std::map<std::string, std::vector<std::size_t>> by_date;
  for (std::size_t i = 0; i < lines.size(); ++i)
    by_date[lines[i].date ? lines[i].date->to_string() : kRunDate].push_back(i);
  std::size_t compared = 0;
  for (const auto& [date, indices] : by_date) {
    if (!test::registry()->in_force(Date::parse(date).value())) continue;  // no base version to report on
    io::OrderBook book;
    for (std::size_t i : indices) book.lines.push_back({i + 1, lines[i]});
    impact::Options opt;
    opt.base = date;
    opt.scenario = "hbm-rollback";
    opt.screener = screener.value().get();
    opt.letters = &sample_letters.value();
    opt.ownership = graph.value();
    auto report = impact::analyse(test::registry(), catalog.value(), &book, opt);
    ASSERT_TRUE(report) << report.message();
    ASSERT_EQ(report->orders.size(), indices.size()) << "lines failed in the impact report on " << date;
    for (const auto& o : report->orders) {
      const std::size_t i = indices[o.row_index];
      ASSERT_EQ(outcome(report->order_outcomes[o.before]), outcome(from_cli[i]))
          << "impact report and CLI differ: " << LineGenerator::describe(seed, lines[i]);
      ++compared;
    }
  }
  EXPECT_GT(compared, lines.size() / 2);
}

INSTANTIATE_TEST_SUITE_P(Backends, DecisionPropertiesServer, testing::backends(),
                         [](const ::testing::TestParamInfo<std::string>& p) { return p.param; });

}  // namespace
}  // namespace chipgate::server

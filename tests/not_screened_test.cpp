// Safety of defaults: without restricted-party lists nothing is screened, and a decision says so.
// A line that names a consignee or end user is then never "no licence": the Entity List requirement
// (15 CFR 744.11, Supp. No. 4 to Part 744: a licence for the items a listed party's entry names) could
// apply and was not checked, so the answer is undetermined with that reason, or "licence required"
// when something else requires one (then every offered exception carries the condition that no party
// is listed). A line that names no party has nothing to screen: its answer covers no party, which the
// trace says, and it is not held open. `decide`, `impact` and `serve` no longer fall back to the
// seven-entry sample list; an explicit `--lists data/sample-parties.json` is screened against and named.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "license/order_decider.h"
#include "rules/vocabulary.h"
#include "test_support.h"

namespace chipgate::license {
namespace {

Date day(const std::string& text) { return Date::parse(text).value(); }

classify::Item ic(const std::string& id, double tpp, double die) {
  classify::Item item;
  item.id = id;
  item.vendor = "TestVendor";
  classify::ProcessingUnit u;
  u.dense_rate[rules::precision_index("int8")] = tpp / 8;
  item.units.push_back(u);
  item.die_area_mm2 = die;
  item.datacenter = classify::Tri::kTrue;
  return item;
}

// TPP 800: not controlled. TPP 4000, die 1000 (PD 4.0): 3A090.b.1.
std::vector<classify::Item> catalog() { return {ic("small", 800, 800), ic("level-b", 4000, 1000)}; }

OrderLine line(const std::string& product, const std::string& ship_to, const std::string& consignee,
               const std::string& end_user = "") {
  OrderLine l;
  l.order_id = "PO-S";
  l.line = "1";
  l.date = day("2026-11-25");
  l.product_id = product;
  l.quantity = 1;
  l.ship_to = ship_to;
  l.consignee = consignee;
  l.end_user = end_user;
  return l;
}

Decision unscreened(const OrderLine& l) {
  const OrderDecider d(test::registry(), catalog(), {});
  auto r = d.decide(l, day("2026-11-25"));
  if (!r) throw std::runtime_error(r.message());
  return std::move(r).value();
}

const TestedProvision* parties_step(const Decision& d) {
  for (const auto& t : d.trace)
    if (t.kind == TestedProvision::Kind::kParties) return &t;
  return nullptr;
}

TEST(NotScreened, NamedPartyWithoutListsIsUndetermined) {
  // Uncontrolled item to SG (A:6): nothing requires a licence but the parties, which were not screened.
  const auto d = unscreened(line("small", "SG", "Acme Computing", "Acme Lab"));
  EXPECT_FALSE(d.license_required.has_value());
  EXPECT_EQ(d.screening, Decision::Screening::kNotScreened);
  ASSERT_EQ(d.reasons.size(), 1u);
  EXPECT_EQ(d.reasons[0].kind, Reason::Kind::kNotScreened);
  const std::string text = d.reasons[0].text();
  EXPECT_NE(text.find("consignee 'Acme Computing', end user 'Acme Lab'"), std::string::npos) << text;
  EXPECT_NE(text.find("744.11"), std::string::npos) << text;
  ASSERT_NE(parties_step(d), nullptr);
  EXPECT_FALSE(parties_step(d)->applies);
  ASSERT_EQ(d.missing.size(), 1u);
  EXPECT_NE(d.missing[0].find("--lists"), std::string::npos);
}

TEST(NotScreened, NothingToScreenIsNotHeldOpen) {
  const auto d = unscreened(line("small", "SG", ""));
  EXPECT_EQ(d.license_required, std::optional<bool>(false));
  EXPECT_EQ(d.screening, Decision::Screening::kNothingToScreen);
  EXPECT_TRUE(d.reasons.empty());
  ASSERT_NE(parties_step(d), nullptr);
  EXPECT_NE(parties_step(d)->why.find("names no consignee or end user"), std::string::npos);
}

TEST(NotScreened, LicenceRequiredAnywayExceptionsConditioned) {
  // 3A090.b to VN: licence (rs-3a090-b); ACA offered (D:1, not D:5). Parties unscreened: still a
  // licence, and ACA only on the condition that no party is listed (740.8(b) bars it otherwise).
  const auto d = unscreened(line("level-b", "VN", "Acme Computing"));
  EXPECT_EQ(d.license_required, std::optional<bool>(true));
  ASSERT_EQ(d.exceptions.size(), 1u);
  EXPECT_EQ(d.exceptions[0]->id, "ACA");
  EXPECT_NE(d.exception_notes[0].find("the parties were not screened"), std::string::npos) << d.exception_notes[0];
  EXPECT_TRUE(d.missing.empty());
}

TEST(NotScreened, WithListsScreenedAndNamed) {
  auto s = ExactAliasScreener::load({test::source_path("data/sample-parties.json")});
  ASSERT_TRUE(s);
  const OrderDecider d(test::registry(), catalog(), {"", s.value().get(), nullptr});
  auto r = d.decide(line("small", "SG", "Acme Computing"), day("2026-11-25"));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->license_required, std::optional<bool>(false));
  EXPECT_EQ(r->screening, Decision::Screening::kScreened);
  ASSERT_NE(parties_step(r.value()), nullptr);
  EXPECT_NE(parties_step(r.value())->why.find(s.value()->snapshot_id()), std::string::npos);
}

// ---- the CLI: decide and impact without --lists -------------------------------------------------

std::vector<nlohmann::json> jsonl(const std::string& out) {
  std::vector<nlohmann::json> lines;
  std::istringstream in(out);
  for (std::string l; std::getline(in, l);)
    if (!l.empty()) lines.push_back(nlohmann::json::parse(l));
  return lines;
}

TEST(NotScreenedCli, DecideWithoutListsSaysSoAndNeverAnswersNoLicence) {
  // data/sample-orders.csv PO-1001: 8 H100 to a cloud in Germany (A:5) named "Example Cloud GmbH": no
  // licence by classification or destination. Without --lists: undetermined, the reason given; the
  // note on stderr once. With --lists data/sample-parties.json: no licence, the snapshot named.
  const std::string base = "decide --format jsonl --orders " + test::source_path("data/sample-orders.csv") +
                           " --catalog " + test::source_path("data/sample-catalog.csv");
  const auto without = test::run_cli(base);
  ASSERT_EQ(without.exit_code, 3) << without.err;
  EXPECT_NE(without.err.find("no --lists given"), std::string::npos) << without.err;
  const auto lines = jsonl(without.out);
  ASSERT_FALSE(lines.empty());
  for (const auto& j : lines) {
    EXPECT_NE(j["license_required"], false) << j["order_id"] << " names parties and was not screened";
    EXPECT_EQ(j["screening"]["status"], "not_screened") << j["order_id"];
  }
  EXPECT_EQ(lines[0]["order_id"], "PO-1001");
  EXPECT_TRUE(lines[0]["license_required"].is_null());
  bool said = false;
  for (const auto& r : lines[0]["reasons"]) said = said || r.get<std::string>().rfind("Parties not screened", 0) == 0;
  EXPECT_TRUE(said) << lines[0]["reasons"].dump();

  const auto with = test::run_cli(base + " --lists " + test::source_path("data/sample-parties.json"));
  ASSERT_EQ(with.exit_code, 3) << with.err;  // every line decided, some need a licence
  const auto screened = jsonl(with.out);
  ASSERT_FALSE(screened.empty());
  EXPECT_EQ(screened[0]["license_required"], false);
  EXPECT_EQ(screened[0]["screening"]["status"], "screened");
  EXPECT_FALSE(screened[0]["screening"]["list_snapshot"].get<std::string>().empty());
}

TEST(NotScreenedCli, ImpactWithoutListsHoldsPartiedLinesOpen) {
  // The same order line in the impact report: before and after, undetermined (never "no licence").
  const std::string dir = test::temp_dir();
  test::write_file(dir + "/orders.csv",
                   "order_id,line,date,product_id,quantity,value_usd,ship_to,consignee,end_user,end_user_country\n"
                   "PO-1001,1,2026-11-25,nvidia-h100-sxm5-80gb,8,240000,DE,Example Cloud GmbH,Example Cloud "
                   "GmbH,DE\n");
  const auto r = test::run_cli("impact --base 2026-11-25 --scenario hbm-rollback --catalog " +
                               test::source_path("data/sample-catalog.csv") + " --orders " + dir + "/orders.csv");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("no --lists given"), std::string::npos) << r.err;
  const auto doc = nlohmann::json::parse(r.out);
  ASSERT_EQ(doc["orders"].size(), 1u) << r.out;
  EXPECT_TRUE(doc["orders"][0]["before"]["license_required"].is_null()) << doc["orders"][0].dump();
  EXPECT_TRUE(doc["orders"][0]["after"]["license_required"].is_null()) << doc["orders"][0].dump();
}

}  // namespace
}  // namespace chipgate::license

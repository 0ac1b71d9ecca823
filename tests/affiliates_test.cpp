// The Affiliates rule: ownership data (io/ownership.h), its aggregation (license::AffiliateResolver)
// and its effect on decisions, on the dates the rule files give it (rules/us-ear 2025-09-29,
// 2025-11-10, 2026-11-10) and under the scenarios that toggle it.
//
// The rule (90 FR 47201, effective 2025-09-29; operative words as quoted by Thompson Hine, 2025-10):
// exporters "may not engage without a license in exports, reexports, or transfers (in-country) to
// parties that are owned 50% or more, in whole or in part, individually or in the aggregate, by one or
// more parties listed on the Entity List or subject to restrictions under the Affiliates Rule if that
// transaction would require a license pursuant to the license requirement applicable to the listed
// party". Stayed by 90 FR 50857: "Effective November 10, 2025, the amendments ... in the interim final
// rule published at 90 FR 47201 ... are stayed until November 9, 2026." Red Flag 29: an owner on the
// Entity List or MEU List whose share cannot be determined must be resolved first.
//
// Data: data/sample-ownership.csv (invented "Example ..." companies owned by real entries of
// data/sample-parties.json) and an exact screener over data/sample-parties.json.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "classify/classifier.h"
#include "io/ownership.h"
#include "license/decision.h"
#include "license/order_decider.h"
#include "rules/vocabulary.h"
#include "test_support.h"

namespace chipgate::license {
namespace {

using classify::Item;
using classify::Tri;
using Status = AffiliateFinding::Status;

Date day(const std::string& text) { return Date::parse(text).value(); }

const ExactAliasScreener& screener() {
  static const auto s = [] {
    auto r = ExactAliasScreener::load({test::source_path("data/sample-parties.json")});
    if (!r) throw std::runtime_error(r.message());
    return std::shared_ptr<ExactAliasScreener>(std::move(r).value());
  }();
  return *s;
}

std::shared_ptr<const OwnershipGraph> sample_ownership() {
  auto file = io::load_ownership(test::source_path("data/sample-ownership.csv"));
  if (!file || !file->errors.empty()) throw std::runtime_error("sample ownership does not load");
  auto g = OwnershipGraph::build(file->records);
  if (!g) throw std::runtime_error(g.message());
  return g.value();
}

const std::vector<std::string> kLists = {"bis-entity-list", "bis-meu"};

// ---- aggregation -------------------------------------------------------------------------------

TEST(AffiliateResolver, ThroughAChain) {
  // Huawei Technologies Co., Ltd. (listed) holds 60% of Example Sixty Holdings Ltd -> covered (60 >= 50).
  // Sixty Holdings holds 100% of Example Chain Subsidiary Ltd: held by a covered entity -> covered,
  // restricted share 100%; the path shows Huawei's look-through share 60% x 100% = 60%.
  const AffiliateResolver r(sample_ownership(), screener());
  auto b = r.find("Example Sixty Holdings Ltd", kLists, 50);
  ASSERT_TRUE(b);
  EXPECT_EQ(b->status, Status::kCovered);
  EXPECT_DOUBLE_EQ(b->restricted_share, 60);
  auto c = r.find("Example Chain Subsidiary Ltd", kLists, 50);
  ASSERT_TRUE(c);
  EXPECT_EQ(c->status, Status::kCovered);
  EXPECT_DOUBLE_EQ(c->restricted_share, 100);
  ASSERT_EQ(c->paths.size(), 1u);
  EXPECT_EQ(c->paths[0].names, (std::vector<std::string>{"Huawei Technologies Co., Ltd.", "Example Sixty Holdings Ltd",
                                                         "Example Chain Subsidiary Ltd"}));
  ASSERT_EQ(c->paths[0].percents.size(), 2u);
  EXPECT_DOUBLE_EQ(*c->paths[0].percents[0], 60);
  EXPECT_DOUBLE_EQ(*c->paths[0].percents[1], 100);
  EXPECT_DOUBLE_EQ(*c->paths[0].look_through, 60);
  ASSERT_EQ(c->listed_owners.size(), 1u);
  EXPECT_EQ(c->listed_owners[0].name, "Huawei Technologies Co., Ltd.");
  EXPECT_EQ(c->listed_owners[0].list, "bis-entity-list");
}

TEST(AffiliateResolver, ACoveredEntityCountsInFullBelowIt) {
  // Example Half Subsidiary Ltd: 50% held by Sixty Holdings (covered), 50% by a local investor. "Owned
  // 50% or more ... by one or more parties ... subject to restrictions under the Affiliates Rule":
  // covered, although Huawei's look-through share is only 60% x 50% = 30%.
  const AffiliateResolver r(sample_ownership(), screener());
  auto f = r.find("Example Half Subsidiary Ltd", kLists, 50);
  ASSERT_TRUE(f);
  EXPECT_EQ(f->status, Status::kCovered);
  EXPECT_DOUBLE_EQ(f->restricted_share, 50);
  ASSERT_EQ(f->paths.size(), 1u);
  EXPECT_DOUBLE_EQ(*f->paths[0].look_through, 30);
}

TEST(AffiliateResolver, SeveralListedOwnersInTheAggregate) {
  // Example Joint Venture Co: Sugon 30% + Inspur Group Co., Ltd. 25% (both listed) = 55% >= 50:
  // "individually or in the aggregate" -> covered, both owners named, one path each.
  const AffiliateResolver r(sample_ownership(), screener());
  auto f = r.find("Example Joint Venture Co", kLists, 50);
  ASSERT_TRUE(f);
  EXPECT_EQ(f->status, Status::kCovered);
  EXPECT_DOUBLE_EQ(f->restricted_share, 55);
  EXPECT_EQ(f->paths.size(), 2u);
  std::vector<std::string> owners;
  for (const auto& h : f->listed_owners) owners.push_back(h.name);
  std::sort(owners.begin(), owners.end());
  EXPECT_EQ(owners, (std::vector<std::string>{"Inspur Group Co., Ltd.", "Sugon"}));
}

TEST(AffiliateResolver, MinorityCycleAndUnknownShare) {
  const AffiliateResolver r(sample_ownership(), screener());
  // Example Minority Co: SMIC (listed) 20% < 50, the rest an unlisted investor -> not covered.
  EXPECT_FALSE(r.find("Example Minority Co", kLists, 50));
  // Example Cycle A/B own each other 100%, no listed party anywhere -> never covered.
  EXPECT_FALSE(r.find("Example Cycle A Ltd", kLists, 50));
  EXPECT_FALSE(r.find("Example Cycle B Ltd", kLists, 50));
  // Example Unknown Share Co: Biren (listed) holds an unknown share, an unlisted investor 30%: the
  // listed share is 0% known and at most 70% -> undetermined (Red Flag 29), never "not covered".
  auto u = r.find("Example Unknown Share Co", kLists, 50);
  ASSERT_TRUE(u);
  EXPECT_EQ(u->status, Status::kUndetermined);
  EXPECT_DOUBLE_EQ(u->restricted_share, 0);
  EXPECT_DOUBLE_EQ(u->possible_share, 70);
  ASSERT_EQ(u->paths.size(), 1u);
  EXPECT_FALSE(u->paths[0].percents[0].has_value());
  // Not in the data, or listed itself: nothing for the Affiliates rule to say.
  EXPECT_FALSE(r.find("Nobody Ltd", kLists, 50));
  EXPECT_FALSE(r.find("Sugon", kLists, 50));
}

TEST(AffiliateResolver, NamesMatchAsTheScreenerNormalisesThem) {
  // Case, punctuation and spacing do not matter ("EXAMPLE  chain subsidiary, ltd" = the row's name).
  const AffiliateResolver r(sample_ownership(), screener());
  auto f = r.find("EXAMPLE  chain subsidiary, ltd", kLists, 50);
  ASSERT_TRUE(f);
  EXPECT_EQ(f->party, "Example Chain Subsidiary Ltd");
}

TEST(AffiliateResolver, RowOrderDoesNotMatter) {
  // The same rows in reverse (as a store may return them): the same content id, owners and paths in
  // the same order. (Found by the CLI/HTTP property: the store's rows came back sorted differently.)
  auto rows = sample_ownership()->records();
  std::reverse(rows.begin(), rows.end());
  auto reversed = OwnershipGraph::build(rows);
  ASSERT_TRUE(reversed);
  EXPECT_EQ(reversed.value()->content_id(), sample_ownership()->content_id());
  const AffiliateResolver a(sample_ownership(), screener()), b(reversed.value(), screener());
  auto fa = a.find("Example Joint Venture Co", kLists, 50), fb = b.find("Example Joint Venture Co", kLists, 50);
  ASSERT_TRUE(fa && fb);
  ASSERT_EQ(fa->paths.size(), fb->paths.size());
  for (std::size_t i = 0; i < fa->paths.size(); ++i) EXPECT_EQ(fa->paths[i].names, fb->paths[i].names);
  ASSERT_EQ(fa->listed_owners.size(), fb->listed_owners.size());
  for (std::size_t i = 0; i < fa->listed_owners.size(); ++i)
    EXPECT_EQ(fa->listed_owners[i].entry_id, fb->listed_owners[i].entry_id);
}

TEST(AffiliateResolver, OnlyTheRulesListsCount) {
  // With only the MEU list named, the Entity List owners pass nothing on.
  const AffiliateResolver r(sample_ownership(), screener());
  EXPECT_FALSE(r.find("Example Chain Subsidiary Ltd", {"bis-meu"}, 50));
}

// ---- decisions ---------------------------------------------------------------------------------

// TPP 800 (int8 100 x 8), die 800: below every 3A090 prong -> not controlled; no licence to SG (A:6)
// by classification, so a licence can only come from the parties.
Item uncontrolled() {
  Item item;
  item.id = "small";
  item.vendor = "TestVendor";
  classify::ProcessingUnit u;
  u.dense_rate[rules::precision_index("int8")] = 100;
  item.units.push_back(u);
  item.die_area_mm2 = 800;
  item.datacenter = Tri::kTrue;
  return item;
}
// TPP 4000, die 1000 -> PD 4.0: 3A090.b.1; to VN (D:1) ACA is available from 2024-04-04.
Item level_b() {
  Item item = uncontrolled();
  item.id = "level-b";
  item.units[0].dense_rate[rules::precision_index("int8")] = 500;
  item.die_area_mm2 = 1000;
  return item;
}

OrderLine line(const std::string& date, const std::string& consignee, const std::string& product = "small",
               const std::string& ship_to = "SG") {
  OrderLine l;
  l.order_id = "PO-A";
  l.line = "1";
  l.date = day(date);
  l.product_id = product;
  l.quantity = 1;
  l.ship_to = ship_to;
  l.consignee = consignee;
  return l;
}

Decision decide_with(const OrderLine& l, const std::string& scenario = "",
                     std::shared_ptr<const OwnershipGraph> ownership = sample_ownership()) {
  const OrderDecider d(test::registry(), {uncontrolled(), level_b()}, {scenario, &screener(), nullptr, ownership});
  auto r = d.decide(l, day("2026-11-25"));
  if (!r) throw std::runtime_error(r.message());
  return std::move(r).value();
}

std::size_t count(const Decision& d, Reason::Kind k) {
  return static_cast<std::size_t>(
      std::count_if(d.reasons.begin(), d.reasons.end(), [&](const Reason& r) { return r.kind == k; }));
}

const TestedProvision* affiliates_step(const Decision& d) {
  for (const auto& t : d.trace)
    if (t.kind == TestedProvision::Kind::kAffiliates) return &t;
  return nullptr;
}

TEST(AffiliatesDecision, CoveredAffiliateNeedsTheListedOwnersLicence) {
  // 2026-11-25: the stay ended on 2026-11-09 (version 2026-11-10, in force). The consignee is 100%
  // held by a covered entity of Huawei's (Entity List: "For all items subject to the EAR"): a licence
  // is required as if it were listed, with no licence exception (740.8(b)).
  const auto d = decide_with(line("2026-11-25", "Example Chain Subsidiary Ltd"));
  ASSERT_EQ(d.license_required, std::optional<bool>(true));
  ASSERT_EQ(count(d, Reason::Kind::kAffiliate), 1u);
  const Reason& r = *std::find_if(d.reasons.begin(), d.reasons.end(),
                                  [](const Reason& x) { return x.kind == Reason::Kind::kAffiliate; });
  EXPECT_NE(r.text().find("90 FR 47201"), std::string::npos) << r.text();
  EXPECT_NE(r.text().find("Huawei Technologies Co., Ltd."), std::string::npos) << r.text();
  EXPECT_NE(r.text().find("look-through 60%"), std::string::npos) << r.text();
  ASSERT_EQ(d.affiliates.size(), 1u);
  EXPECT_EQ(d.affiliate_roles[0], "consignee");
  EXPECT_TRUE(d.parties.empty()) << "the consignee itself is on no list";
  EXPECT_TRUE(d.exceptions.empty());
  ASSERT_NE(affiliates_step(d), nullptr);
  EXPECT_TRUE(affiliates_step(d)->applies);
}

TEST(AffiliatesDecision, FollowsTheRulesDates) {
  // In force 2025-09-29 .. 2025-11-09 (90 FR 47201), stayed 2025-11-10 .. 2026-11-09 (90 FR 50857),
  // in force again from 2026-11-10. Before 2025-09-29 the rule does not exist (no trace step).
  const std::string party = "Example Joint Venture Co";
  EXPECT_EQ(decide_with(line("2025-09-28", party)).license_required, std::optional<bool>(false));
  EXPECT_EQ(affiliates_step(decide_with(line("2025-09-28", party))), nullptr);
  EXPECT_EQ(decide_with(line("2025-09-29", party)).license_required, std::optional<bool>(true));
  EXPECT_EQ(decide_with(line("2025-11-09", party)).license_required, std::optional<bool>(true));
  const auto stayed = decide_with(line("2025-11-10", party));
  EXPECT_EQ(stayed.license_required, std::optional<bool>(false));
  ASSERT_NE(affiliates_step(stayed), nullptr);
  EXPECT_FALSE(affiliates_step(stayed)->applies);
  EXPECT_EQ(affiliates_step(stayed)->why, "not in force on this date");
  EXPECT_EQ(decide_with(line("2026-11-09", party)).license_required, std::optional<bool>(false));
  EXPECT_EQ(decide_with(line("2026-11-10", party)).license_required, std::optional<bool>(true));
}

TEST(AffiliatesDecision, ScenariosToggleTheRule) {
  const std::string party = "Example Joint Venture Co";
  EXPECT_EQ(decide_with(line("2026-11-25", party), "affiliates-suspension-extended").license_required,
            std::optional<bool>(false));
  EXPECT_EQ(decide_with(line("2026-01-15", party), "affiliates-rule-in-force").license_required,
            std::optional<bool>(true));
}

TEST(AffiliatesDecision, UnknownShareIsUndeterminedNeverNoLicence) {
  // Red Flag 29: a listed owner (Biren) with an unknown share, up to 70% -> undetermined with the
  // reason and what is missing; not "no licence".
  const auto d = decide_with(line("2026-11-25", "Example Unknown Share Co"));
  EXPECT_FALSE(d.license_required.has_value());
  EXPECT_EQ(count(d, Reason::Kind::kAffiliateUndetermined), 1u);
  ASSERT_FALSE(d.missing.empty());
  EXPECT_NE(d.missing.back().find("Example Unknown Share Co"), std::string::npos);
  // A minority holding (SMIC 20%) with every share known: not covered, no licence.
  EXPECT_EQ(decide_with(line("2026-11-25", "Example Minority Co")).license_required, std::optional<bool>(false));
  // Without ownership data the rule cannot find affiliates: the trace says parties were checked by name only.
  const auto none = decide_with(line("2026-11-25", "Example Joint Venture Co"), "", nullptr);
  EXPECT_EQ(none.license_required, std::optional<bool>(false));
  ASSERT_NE(affiliates_step(none), nullptr);
  EXPECT_NE(affiliates_step(none)->why.find("no ownership data"), std::string::npos);
}

TEST(AffiliatesDecision, CoveredAffiliateBarsExceptionsUnknownShareConditionsThem) {
  // 3A090.b to VN (D:1, not D:5) on 2026-11-25: licence by classification (rs-3a090-b), ACA offered
  // to an ordinary consignee. A covered affiliate bars it (740.8(b)); an unknown share leaves ACA
  // offered only on the condition that the party is not covered.
  const auto plain = decide_with(line("2026-11-25", "Example Trading Co.", "level-b", "VN"));
  ASSERT_EQ(plain.license_required, std::optional<bool>(true));
  ASSERT_EQ(plain.exceptions.size(), 1u);
  EXPECT_EQ(plain.exceptions[0]->id, "ACA");
  const auto covered = decide_with(line("2026-11-25", "Example Half Subsidiary Ltd", "level-b", "VN"));
  EXPECT_TRUE(covered.exceptions.empty());
  const auto unknown = decide_with(line("2026-11-25", "Example Unknown Share Co", "level-b", "VN"));
  ASSERT_EQ(unknown.exceptions.size(), 1u);
  EXPECT_NE(unknown.exception_notes[0].find("is not owned 50% or more"), std::string::npos);
}

// ---- ownership files ---------------------------------------------------------------------------

TEST(OwnershipFile, SampleReadsWhole) {
  auto f = io::load_ownership(test::source_path("data/sample-ownership.csv"));
  ASSERT_TRUE(f) << f.message();
  EXPECT_TRUE(f->errors.empty());
  ASSERT_EQ(f->records.size(), 13u);
  EXPECT_EQ(f->records[0].owner, "Huawei Technologies Co., Ltd.");  // quoted, with its comma
  EXPECT_EQ(f->records[0].row, 2u);
  EXPECT_FALSE(f->records[9].percent.has_value());  // row 11: share unknown
  EXPECT_FALSE(f->records[9].as_of.has_value());
}

TEST(OwnershipFile, EveryProblemNamedByRowAndColumn) {
  auto f = io::parse_ownership_csv(
      "party,owner,percent,source,as_of\n"
      "B Corp,A Listed,abc,register,\n"         // row 2: not a number
      "B Corp,A Listed,120,register,\n"         // row 3: out of range
      "C Ltd,A Listed,10,,\n"                   // row 4: no source
      "D Co,A Listed,60,register,2026-13-01\n"  // row 5: impossible date
      "E Co,E Co,10,register,\n"                // row 6: owns itself
      "F Co,A Listed,60,register,\n"
      "F Co,Other,50,register,\n"  // row 8: 110% in total
      "G Co,A Listed,10,register,\n"
      "g co.,a listed,20,register,\n");  // row 10: the same pair as row 9, normalised
  ASSERT_TRUE(f) << f.message();
  std::vector<std::string> got;
  for (const auto& e : f->errors) got.push_back(e.to_string());
  ASSERT_EQ(got.size(), 7u) << ::testing::PrintToString(got);
  EXPECT_EQ(got[0].rfind("row 2, column percent: 'abc' is not a number", 0), 0u) << got[0];
  EXPECT_EQ(got[1], "row 3, column percent: must be between 0 and 100");
  EXPECT_EQ(got[2].rfind("row 4, column source: required", 0), 0u) << got[2];
  EXPECT_EQ(got[3].rfind("row 5, column as_of: ", 0), 0u) << got[3];
  EXPECT_EQ(got[4].rfind("row 6, column owner: is the party itself", 0), 0u) << got[4];
  EXPECT_EQ(got[5], "row 8, column percent: the known shares held in 'F Co' add up to 110% (more than 100%)");
  EXPECT_EQ(got[6].rfind("row 10, column owner: ", 0), 0u) << got[6];
  EXPECT_NE(got[6].find("first at row 9"), std::string::npos) << got[6];
}

TEST(OwnershipFile, HeaderAndJsonLines) {
  EXPECT_FALSE(io::parse_ownership_csv("party,owner,percent\n"));  // no source column
  auto bad = io::parse_ownership_csv("party,owner,percent,source,share_class\n");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.message().rfind("row 1, column share_class: unknown column", 0), 0u) << bad.message();
  auto j = io::parse_ownership_jsonl(R"({"party":"B Corp","owner":"A Listed","percent":null,"source":"filing"})"
                                     "\n"
                                     R"({"party":"C Ltd","owner":"A Listed","source":"filing"})"
                                     "\n"
                                     R"({"party":"D Co","owner":"A Listed","percent":"60","source":"filing"})"
                                     "\n"
                                     R"({"party":"E Co","owner":"A Listed","percent":60,"source":"filing","votes":1})"
                                     "\n");
  ASSERT_TRUE(j);
  ASSERT_EQ(j->records.size(), 1u);
  EXPECT_FALSE(j->records[0].percent.has_value());
  ASSERT_EQ(j->errors.size(), 3u);
  EXPECT_EQ(j->errors[0].to_string(), "row 2, column percent: required (null when unknown)");
  EXPECT_EQ(j->errors[1].to_string(), "row 3, column percent: must be a number 0-100, or null when unknown");
  EXPECT_EQ(j->errors[2].column, "votes");
}

// ---- the CLI -----------------------------------------------------------------------------------

TEST(AffiliatesCli, OwnershipFlagAndRefusedFile) {
  const std::string dir = test::temp_dir();
  test::write_file(
      dir + "/catalog.csv",
      "id,vendor,name,kind,datacenter,dense_tops_int8,die_area_mm2\nsmall,TestVendor,Small,gpu,yes,100,800\n");
  test::write_file(dir + "/orders.csv",
                   "order_id,line,date,product_id,quantity,value_usd,ship_to,consignee\n"
                   "PO-1,1,2026-11-25,small,1,10,SG,Example Chain Subsidiary Ltd\n");
  const std::string base = "decide --format jsonl --orders " + dir + "/orders.csv --catalog " + dir +
                           "/catalog.csv --lists " + test::source_path("data/sample-parties.json");
  auto without = test::run_cli(base);
  ASSERT_EQ(without.exit_code, 0) << without.err;
  EXPECT_NE(without.out.find("\"license_required\":false"), std::string::npos) << without.out;
  auto with = test::run_cli(base + " --ownership " + test::source_path("data/sample-ownership.csv"));
  ASSERT_EQ(with.exit_code, 3) << with.err;
  const auto j = nlohmann::json::parse(with.out);
  EXPECT_EQ(j["license_required"], true);
  ASSERT_EQ(j["affiliates"].size(), 1u);
  EXPECT_EQ(j["affiliates"][0]["status"], "covered");
  EXPECT_EQ(j["affiliates"][0]["paths"][0]["percents"], nlohmann::json::array({60.0, 100.0}));
  EXPECT_EQ(j["affiliates"][0]["paths"][0]["look_through"], 60.0);
  EXPECT_FALSE(j["screening"]["ownership_data"].get<std::string>().empty());
  // A file with one bad row is refused whole: exit 2, the row named, nothing decided.
  test::write_file(dir + "/owners.csv", "party,owner,percent,source\nB,A,60,x\nC,A,sixty,x\n");
  auto bad = test::run_cli(base + " --ownership " + dir + "/owners.csv");
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("row 3, column percent: 'sixty' is not a number"), std::string::npos) << bad.err;
  EXPECT_TRUE(bad.out.empty());
}

}  // namespace
}  // namespace chipgate::license

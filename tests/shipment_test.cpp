// Tests of the order-line facade (license::OrderDecider) and of the whole-shipment answer
// (license::ShipmentOutcome), through the library and through `chipgate decide`.
//
// Rules used (rules/us-ear, version in force 2026-11-25 = 2026-11-10; same reasoning as
// tests/decision_test.cpp, which states each provision with its citation):
//   - TPP 4992 (int8 624 x 8), die 826 -> PD 6.04: 3A090.a.1 (TPP >= 4800). Datacenter. DRAM 7000.
//   - TPP 4000, die 1000 -> PD 4.0: 3A090.b.1 (2400 <= TPP < 4800, 1.6 <= PD < 5.92). Datacenter.
//   - TPP 800, die 800 -> PD 1.0: below every 3A090 prong -> not controlled.
//   - TPP 2000, die unknown: a.1 no (2000 < 4800); a.2 (TPP >= 1600 and PD >= 5.92) unknown without
//     the die area -> undetermined.
//   HK is treated as CN (D:1, D:4, D:5): rs-3a090-a / rs-3a090-b require a licence. Review: the
//   2026 lane (3A090 to China/Macau exported from the US, TPP < 21000 and DRAM < 6500) does not
//   reach DRAM 7000 >= 6500; 742.6(b)(10)(iii)(B) then gives presumption_of_denial for a datacenter
//   3A090.a and, by (B)(2), case_by_case for a datacenter 3A090.b. NAC (2024-04-04 on: D:5/Macau)
//   covers 3A090.b but never datacenter 3A090.a; ACA is for D:1/D:4 except D:5.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "classify/item.h"
#include "license/order_decider.h"
#include "license/shipment_outcome.h"
#include "rules/vocabulary.h"
#include "test_support.h"

namespace chipgate::license {
namespace {

using classify::Item;
using classify::Tri;
using Strings = std::vector<std::string>;

Date day(const std::string& text) { return Date::parse(text).value(); }

Item ic(const std::string& id, double tpp, std::optional<double> die, std::optional<double> memory_bw = std::nullopt) {
  Item item;
  item.id = id;
  item.vendor = "TestVendor";
  item.kind = classify::ItemKind::kIc;
  classify::ProcessingUnit u;
  u.dense_rate[rules::precision_index("int8")] = tpp / 8.0;
  item.units.push_back(u);
  item.die_area_mm2 = die;
  item.datacenter = Tri::kTrue;
  item.memory_bw_gbs = memory_bw;
  return item;
}

std::vector<Item> catalog() {
  return {ic("level-a-dram", 4992, 826, 7000), ic("level-b", 4000, 1000), ic("uncontrolled", 800, 800),
          ic("undetermined", 2000, std::nullopt)};
}

OrderLine line(const std::string& order, const std::string& number, const std::string& product, double value = 1000,
               const std::string& ship_to = "HK") {
  OrderLine l;
  l.order_id = order;
  l.line = number;
  l.product_id = product;
  l.quantity = 1;
  l.value_usd = value;
  l.ship_to = ship_to;
  return l;
}

class ShipmentTest : public ::testing::Test {
 protected:
  OrderDecider decider{test::registry(), catalog(), {}};

  ShipmentOutcome shipment(const std::vector<OrderLine>& lines) {
    ShipmentOutcome s(lines.front().order_id, day("2026-11-25"));
    for (const auto& l : lines) {
      auto d = decider.decide(l, day("2026-11-25"));
      EXPECT_TRUE(d) << d.message();
      if (d) s.add(l, d.value());
    }
    return s;
  }
};

std::string code(const std::optional<rules::ReviewPolicy>& p) { return p ? rules::review_policy_code(*p) : "none"; }

TEST_F(ShipmentTest, EachLineAsTheLibraryDecidesIt) {
  // Per line first, so the shipment tests below rest on known line answers (see the header).
  auto a = decider.decide(line("S", "1", "level-a-dram"), day("2026-11-25"));
  ASSERT_TRUE(a) << a.message();
  EXPECT_EQ(a->license_required, std::optional<bool>(true));
  EXPECT_EQ(code(a->review_policy), "presumption_of_denial");
  EXPECT_TRUE(a->exceptions.empty());
  auto b = decider.decide(line("S", "2", "level-b"), day("2026-11-25"));
  ASSERT_TRUE(b) << b.message();
  EXPECT_EQ(b->license_required, std::optional<bool>(true));
  EXPECT_EQ(code(b->review_policy), "case_by_case");
  ASSERT_EQ(b->exceptions.size(), 1u);
  EXPECT_EQ(b->exceptions[0]->id, "NAC");
  auto u = decider.decide(line("S", "3", "uncontrolled"), day("2026-11-25"));
  ASSERT_TRUE(u);
  EXPECT_EQ(u->license_required, std::optional<bool>(false));
  auto x = decider.decide(line("S", "4", "undetermined"), day("2026-11-25"));
  ASSERT_TRUE(x);
  EXPECT_EQ(x->license_required, std::nullopt);
}

TEST_F(ShipmentTest, MostRestrictivePolicyAndOnlyExceptionsCoveringEveryLicensedLine) {
  // Line 1 presumption_of_denial, no exception; line 2 case_by_case, NAC; line 3 no licence.
  // Shipment: licence required (lines 1, 2); policy = the more restrictive, presumption_of_denial;
  // NAC does not cover line 1, so no exception covers the shipment; value 100 + 200 + 300.
  const auto s = shipment(
      {line("S1", "1", "level-a-dram", 100), line("S1", "2", "level-b", 200), line("S1", "3", "uncontrolled", 300)});
  EXPECT_EQ(s.license_required(), std::optional<bool>(true));
  EXPECT_EQ(code(s.review_policy()), "presumption_of_denial");
  EXPECT_EQ(s.lines_license_required(), (Strings{"1", "2"}));
  EXPECT_EQ(s.lines_no_license(), Strings{"3"});
  EXPECT_TRUE(s.exceptions().empty());
  EXPECT_DOUBLE_EQ(s.value_usd(), 600);
  EXPECT_DOUBLE_EQ(s.value_license_required(), 300);
}

TEST_F(ShipmentTest, AnExceptionOnEveryLicensedLineCoversTheShipment) {
  // Two 3A090.b lines, each with NAC; an uncontrolled line needs nothing -> NAC for the shipment.
  const auto s = shipment({line("S2", "1", "level-b"), line("S2", "2", "level-b"), line("S2", "3", "uncontrolled")});
  EXPECT_EQ(s.license_required(), std::optional<bool>(true));
  EXPECT_EQ(s.exceptions(), Strings{"NAC"});
}

TEST_F(ShipmentTest, UndeterminedUnlessALineNeedsALicence) {
  // No line needs a licence but one is undetermined -> the shipment is undetermined ...
  const auto open = shipment({line("S3", "1", "uncontrolled"), line("S3", "2", "undetermined")});
  EXPECT_EQ(open.license_required(), std::nullopt);
  EXPECT_EQ(open.lines_undetermined(), Strings{"2"});
  // ... while a licensed line settles it whatever the undetermined one turns out to be.
  const auto needs = shipment({line("S4", "1", "undetermined"), line("S4", "2", "level-b")});
  EXPECT_EQ(needs.license_required(), std::optional<bool>(true));
  // All lines free -> no licence for the shipment, no policy.
  const auto free = shipment({line("S5", "1", "uncontrolled"), line("S5", "2", "uncontrolled")});
  EXPECT_EQ(free.license_required(), std::optional<bool>(false));
  EXPECT_EQ(code(free.review_policy()), "none");
}

TEST_F(ShipmentTest, LineErrorsNameTheField) {
  LineError e;
  EXPECT_FALSE(decider.decide(line("E", "1", "no-such-product"), day("2026-11-25"), false, e));
  EXPECT_EQ(e.field, "product_id");
  EXPECT_NE(e.problem.find("no-such-product"), std::string::npos) << e.problem;
  // "XX" is not an ISO 3166-1 code: an error, never "no licence required".
  EXPECT_FALSE(decider.decide(line("E", "1", "level-b", 1, "XX"), day("2026-11-25"), false, e));
  EXPECT_EQ(e.field, "ship_to");
  auto r = decider.decide(line("E", "1", "level-b", 1, "XX"), day("2026-11-25"));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.message().rfind("ship_to: ", 0), 0u) << r.message();
  OrderDecider bad_scenario{test::registry(), catalog(), {"no-such-scenario", nullptr, nullptr}};
  EXPECT_FALSE(bad_scenario.check());
  EXPECT_TRUE(decider.check());
}

TEST_F(ShipmentTest, TheLineDateWinsUnlessOverridden) {
  // 3A090.b to HK: on 2022-10-07 (first version) 3A090.b did not exist and the 2022 test was bit-TOPS
  // >= 4800 and I/O >= 600 GB/s: with no I/O figure the item is undetermined or outside; on
  // 2026-11-25 it needs a licence. A line dated 2022-10-07 keeps its date unless overridden.
  auto l = line("D", "1", "level-b");
  l.date = day("2022-10-07");
  auto own = decider.decide(l, day("2026-11-25"));
  ASSERT_TRUE(own);
  EXPECT_EQ(own->date.to_string(), "2022-10-07");
  auto forced = decider.decide(l, day("2026-11-25"), true);
  ASSERT_TRUE(forced);
  EXPECT_EQ(forced->date.to_string(), "2026-11-25");
  EXPECT_EQ(forced->license_required, std::optional<bool>(true));
}

TEST(ShipmentCli, JsonCarriesShipmentsAndTheShipmentsFileOneObjectPerOrder) {
  // The same catalog and orders as ShipmentTest, through the real binary: order S1 as in
  // MostRestrictivePolicyAndOnlyExceptionsCoveringEveryLicensedLine, order S2 all uncontrolled.
  const std::string dir = test::temp_dir();
  test::write_file(dir + "/catalog.csv",
                   "id,vendor,name,kind,datacenter,dense_tops_int8,die_area_mm2,memory_bw_gbs\n"
                   "level-a-dram,T,A,ic,yes,624,826,7000\n"
                   "level-b,T,B,ic,yes,500,1000,\n"
                   "uncontrolled,T,U,ic,yes,100,800,\n");
  test::write_file(dir + "/orders.csv",
                   "order_id,line,date,product_id,quantity,value_usd,ship_to,consignee,end_user,end_user_country,"
                   "end_user_hq_country,end_uses\n"
                   "S1,1,2026-11-25,level-a-dram,1,100,HK,,,,,\n"
                   "S1,2,2026-11-25,level-b,1,200,HK,,,,,\n"
                   "S1,3,2026-11-25,uncontrolled,1,300,HK,,,,,\n"
                   "S2,1,2026-11-25,uncontrolled,1,50,HK,,,,,\n");
  const auto r = test::run_cli("decide --orders " + dir + "/orders.csv --catalog " + dir +
                               "/catalog.csv --format json --shipments " + dir + "/shipments.jsonl");
  ASSERT_EQ(r.exit_code, 3) << r.err;
  const auto doc = nlohmann::json::parse(r.out);
  ASSERT_EQ(doc["shipments"].size(), 2u);
  const auto& s1 = doc["shipments"][0];
  EXPECT_EQ(s1["order_id"], "S1");
  EXPECT_EQ(s1["license_required"], true);
  EXPECT_EQ(s1["review_policy"], "presumption_of_denial");
  EXPECT_EQ(s1["exceptions"], nlohmann::json::array());
  EXPECT_EQ(s1["lines"]["license_required"], (nlohmann::json{"1", "2"}));
  EXPECT_EQ(s1["value_usd"], 600.0);
  EXPECT_EQ(doc["shipments"][1]["license_required"], false);
  EXPECT_EQ(doc["summary"]["orders_needing_a_license"], 1);

  std::ifstream in(dir + "/shipments.jsonl");
  std::string first, second, extra;
  ASSERT_TRUE(std::getline(in, first));
  ASSERT_TRUE(std::getline(in, second));
  EXPECT_FALSE(std::getline(in, extra));
  EXPECT_EQ(nlohmann::json::parse(first), s1);

  // An unwritable --shipments path is a fatal error (exit 2) naming the option.
  const auto bad = test::run_cli("decide --orders " + dir + "/orders.csv --catalog " + dir +
                                 "/catalog.csv --format jsonl --shipments " + dir + "/no-such-dir/s.jsonl");
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("--shipments"), std::string::npos) << bad.err;
}

}  // namespace
}  // namespace chipgate::license

// The before/after diff on tiny catalogs where the answer is obvious from the regulation:
// rules/us-ear 2026-11-10 (in force on 2026-11-25: 2026-07-10 plus the Affiliates rule back in force,
// which no order here touches) and the bundled scenarios.
#include "impact/impact.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <sstream>

#include "core/html.h"
#include "impact/report.h"
#include "io/catalog.h"
#include "io/orders.h"
#include "license/screening.h"
#include "test_support.h"

namespace chipgate::impact {
namespace {

// TPP = dense rate x bit length (the rate counts 2 operations per MAC):
//  - nvidia-h20:  296 FP8 x 8 = 2368 < 4800; PD 2368 / 814 = 2.91 < 3.2 -> not 3A090 (only the letter).
//  - nvidia-h100-sxm5-80gb: 1979 x 8 = 15832 >= 4800 -> 3A090.a.
//  - test-hbm: 1000 GB/s / 100 mm2 = 10 GB/s/mm2 >= 2 -> 3A090.c (since 2024-12-02).
//  - tiny-npu: 10 INT8 TOPS x 8 = 80 -> far below every line.
const char* kCatalog =
    "id,vendor,name,kind,datacenter,dense_tops_int8,dense_tflops_fp8,dense_tflops_fp16_bf16,die_area_mm2,memory_gb,"
    "memory_bw_gbs,hbm_stacks,hbm_stack_area_mm2,interconnect_bw_gbs\n"
    "nvidia-h20,NVIDIA,H20,gpu,yes,296,296,148,814,96,4000,,,900\n"
    "nvidia-h100-sxm5-80gb,NVIDIA,H100 SXM5,gpu,yes,1979,1979,989.4,814,80,3350,,,900\n"
    "test-hbm,ExampleMem,Test HBM stack,hbm_stack,unknown,,,,,24,1000,1,100,\n"
    "tiny-npu,ExampleCo,Tiny NPU,asic,no,10,,5,100,8,100,0,,\n";

io::Catalog catalog() {
  auto c = io::parse_catalog_csv(kCatalog);
  EXPECT_TRUE(c.is_ok()) << c.message();
  EXPECT_TRUE(c->errors.empty());
  return c.value();
}

const ProductImpact& product(const ImpactReport& r, const std::string& id) {
  auto it =
      std::find_if(r.products.begin(), r.products.end(), [&](const ProductImpact& p) { return p.item->id == id; });
  EXPECT_NE(it, r.products.end()) << id;
  return *it;
}

Options options(const std::string& scenario, const std::string& dest = "CN") {
  Options o;
  o.base = "2026-11-25";
  o.scenario = scenario;
  o.destination = dest;
  return o;
}

TEST(ImpactDiff, HbmStackFlipsUnderHbmRollbackForChina) {
  const auto cat = catalog();
  auto r = analyse(test::registry(), cat, nullptr, options("hbm-rollback"));
  ASSERT_TRUE(r.is_ok()) << r.message();
  EXPECT_EQ(r->base_rules->version.id, "2026-11-10");
  const auto& hbm = product(r.value(), "test-hbm");
  EXPECT_EQ(hbm.before.eccns, std::vector<std::string>{"3A090.c"});
  EXPECT_EQ(hbm.before.license_required, true);  // 3A090.c to D:5 (China) needs a licence
  EXPECT_TRUE(hbm.after.eccns.empty());
  EXPECT_EQ(hbm.after.status, classify::Status::kNotControlled);
  EXPECT_EQ(hbm.after.license_required, false);
  EXPECT_TRUE(hbm.changed);
  EXPECT_EQ(hbm.move, Transition::kUnlocked);
  // The H100 is 3A090.a either way; the tiny NPU is never controlled.
  const auto& h100 = product(r.value(), "nvidia-h100-sxm5-80gb");
  EXPECT_FALSE(h100.changed);
  EXPECT_EQ(h100.after.license_required, true);
  EXPECT_FALSE(product(r.value(), "tiny-npu").changed);
  EXPECT_EQ(r->totals.products, 4u);
  EXPECT_EQ(r->totals.products_changed, 1u);
  EXPECT_EQ(r->totals.products_unlocked, 1u);
  // No orders, no --units: one unit of the unlocked stack -> 1000 GB/s and 24 GB unlocked.
  EXPECT_EQ(r->totals.capability_unlocked.products, 1);
  EXPECT_DOUBLE_EQ(r->totals.capability_unlocked.memory_bw_gbs, 1000);
  EXPECT_DOUBLE_EQ(r->totals.capability_unlocked.memory_gb, 24);
}

TEST(ImpactDiff, EccnChangeWithoutLicenceChangeOutsideD5) {
  // Germany (A:5): 3A090.c needs no licence there before or after, but the ECCN still changes.
  const auto cat = catalog();
  auto r = analyse(test::registry(), cat, nullptr, options("hbm-rollback", "DE"));
  ASSERT_TRUE(r.is_ok()) << r.message();
  const auto& hbm = product(r.value(), "test-hbm");
  EXPECT_EQ(hbm.before.license_required, false);
  EXPECT_EQ(hbm.after.license_required, false);
  EXPECT_TRUE(hbm.changed);
  EXPECT_EQ(hbm.move, Transition::kUnchanged);
  EXPECT_EQ(r->totals.products_unlocked, 0u);
  EXPECT_EQ(r->totals.capability_unlocked.products, 0);
}

TEST(ImpactDiff, H20FlipsUnderH20ClassAllowedOnlyWithTheLetter) {
  const auto cat = catalog();
  auto letters = test::registry()->load_letters(test::source_path("data/sample-letters.toml"));
  ASSERT_TRUE(letters.is_ok()) << letters.message();
  auto o = options("h20-class-allowed");
  o.letters = &letters.value();
  auto r = analyse(test::registry(), cat, nullptr, o);
  ASSERT_TRUE(r.is_ok()) << r.message();
  const auto& h20 = product(r.value(), "nvidia-h20");
  EXPECT_EQ(h20.before.status, classify::Status::kNotControlled);
  EXPECT_EQ(h20.before.license_required, true);  // NVIDIA's is-informed letter of 9 Apr 2025
  EXPECT_EQ(h20.after.license_required, false);  // the scenario suspends the letters
  EXPECT_EQ(h20.move, Transition::kUnlocked);
  EXPECT_FALSE(h20.before.reasons.empty());
  EXPECT_EQ(r->totals.products_unlocked, 1u);
  // The H100 stays 3A090.a: the letters are not what controls it.
  EXPECT_EQ(product(r.value(), "nvidia-h100-sxm5-80gb").move, Transition::kUnchanged);

  // Without the letter, nothing to suspend: the H20 needs no licence either way.
  auto plain = analyse(test::registry(), cat, nullptr, options("h20-class-allowed"));
  ASSERT_TRUE(plain.is_ok());
  EXPECT_EQ(product(plain.value(), "nvidia-h20").before.license_required, false);
  EXPECT_EQ(plain->totals.products_changed, 0u);
}

TEST(ImpactDiff, OrderLinesAreTotalledAndDecidedOncePerDistinctLine) {
  const auto cat = catalog();
  auto letters = test::registry()->load_letters(test::source_path("data/sample-letters.toml"));
  ASSERT_TRUE(letters.is_ok());
  auto book = io::parse_orders_csv(
      "order_id,line,date,product_id,quantity,value_usd,ship_to,consignee,end_user,end_user_country,"
      "end_user_hq_country,end_uses,exporter\n"
      "A,1,2026-11-25,nvidia-h20,8,100000,CN,Cons,User,CN,CN,,NVIDIA\n"
      "B,1,2026-11-25,nvidia-h20,8,100000,CN,Cons,User,CN,CN,,NVIDIA\n"
      "C,1,2026-11-25,nvidia-h20,4,50000,DE,Cons,User,DE,DE,,NVIDIA\n"
      "D,1,2026-11-25,no-such-chip,1,10,CN,Cons,User,CN,CN,,NVIDIA\n"
      "E,1,2026-11-25,nvidia-h100-sxm5-80gb,2,60000,CN,Cons,User,CN,CN,,NVIDIA\n");
  ASSERT_TRUE(book.is_ok()) << book.message();
  auto o = options("h20-class-allowed");
  o.letters = &letters.value();
  // The parties "Cons" and "User" are screened against the sample list (on it: neither); unscreened
  // they would keep every line open (never "no licence").
  auto parties = license::ExactAliasScreener::load({test::source_path("data/sample-parties.json")});
  ASSERT_TRUE(parties.is_ok()) << parties.message();
  o.screener = parties.value().get();
  auto r = analyse(test::registry(), cat, &book.value(), o);
  ASSERT_TRUE(r.is_ok()) << r.message();
  const auto& t = r->totals;
  EXPECT_EQ(t.order_lines, 4u);  // D fails: unknown product
  EXPECT_EQ(t.order_lines_failed, 1u);
  ASSERT_EQ(r->order_errors.size(), 1u);
  EXPECT_EQ(r->order_errors[0].row, 5u);
  EXPECT_EQ(r->order_errors[0].column, "product_id");
  // A and B (H20 to China) flip: letter suspended. C (Germany) never needed one; E stays 3A090.a.
  EXPECT_EQ(t.order_lines_changed, 2u);
  EXPECT_EQ(t.order_lines_unlocked, 2u);
  EXPECT_DOUBLE_EQ(t.value_unlocked_usd, 200000);
  EXPECT_DOUBLE_EQ(t.units_unlocked, 16);
  // A and B share one decision: A/B, C, D, E = 4 distinct.
  EXPECT_EQ(r->distinct_decisions, 4u);
  // Capability counted from the orders: 16 H20 -> 16 x 4000 = 64000 GB/s, 16 x 96 = 1536 GB.
  EXPECT_EQ(t.capability_unlocked.products, 1);
  EXPECT_DOUBLE_EQ(t.capability_unlocked.units, 16);
  EXPECT_DOUBLE_EQ(t.capability_unlocked.memory_bw_gbs, 64000);
  EXPECT_DOUBLE_EQ(t.capability_unlocked.memory_gb, 1536);
  EXPECT_NE(t.units_basis.find("orders"), std::string::npos);

  // --units overrides the order quantities: 3 units of each product unlocked for the destination.
  o.units = 3;
  auto r3 = analyse(test::registry(), cat, &book.value(), o);
  ASSERT_TRUE(r3.is_ok());
  EXPECT_DOUBLE_EQ(r3->totals.capability_unlocked.memory_bw_gbs, 12000);
}

TEST(ImpactDiff, ThresholdRegionsComeFromTheRuleSets) {
  const auto cat = catalog();  // the report points into the catalog: keep it alive
  auto r = analyse(test::registry(), cat, nullptr, options("tpp-threshold-raised"));
  ASSERT_TRUE(r.is_ok()) << r.message();
  auto find = [](const std::vector<ThresholdRegion>& rs, const std::string& entry, const std::string& prong) {
    return std::find_if(rs.begin(), rs.end(),
                        [&](const ThresholdRegion& g) { return g.entry == entry && g.prong == prong; });
  };
  // Base (2023 text as amended): 3A090.a.1 TPP >= 4800; a.2 TPP >= 1600 and PD >= 5.92;
  // 3A090.b.1 2400 <= TPP < 4800 and 1.6 <= PD < 5.92.
  const auto& base = r->base_regions;
  auto a1 = find(base, "3A090.a", "a.1");
  ASSERT_NE(a1, base.end());
  EXPECT_EQ(a1->tpp_min, 4800);
  EXPECT_FALSE(a1->pd_min.has_value());
  auto a2 = find(base, "3A090.a", "a.2");
  ASSERT_NE(a2, base.end());
  EXPECT_EQ(a2->tpp_min, 1600);
  EXPECT_EQ(a2->pd_min, 5.92);
  auto b1 = find(base, "3A090.b", "b.1");
  ASSERT_NE(b1, base.end());
  EXPECT_EQ(b1->tpp_min, 2400);
  EXPECT_EQ(b1->tpp_max, 4800);
  EXPECT_EQ(b1->pd_min, 1.6);
  EXPECT_EQ(b1->pd_max, 5.92);
  // Scenario: a.1 at 9600, a.2 and 3A090.b gone.
  const auto& sc = r->scenario_regions;
  auto s1 = find(sc, "3A090.a", "a.1");
  ASSERT_NE(s1, sc.end());
  EXPECT_EQ(s1->tpp_min, 9600);
  EXPECT_EQ(find(sc, "3A090.a", "a.2"), sc.end());
  EXPECT_EQ(find(sc, "3A090.b", "b.1"), sc.end());
}

TEST(ImpactDiff, BadOptionsAreNamed) {
  const auto cat = catalog();
  auto unknown = analyse(test::registry(), cat, nullptr, options("no-such-scenario"));
  ASSERT_FALSE(unknown.is_ok());
  EXPECT_NE(unknown.message().find("scenario"), std::string::npos);
  EXPECT_NE(analyse(test::registry(), cat, nullptr, options("hbm-rollback", "XX")).message().find("destination"),
            std::string::npos);
  auto o = options("hbm-rollback");
  o.base = "yesterday";
  EXPECT_NE(analyse(test::registry(), cat, nullptr, o).message().find("base"), std::string::npos);
  o.base = "1999-01-01";  // before the first version
  EXPECT_NE(analyse(test::registry(), cat, nullptr, o).message().find("no rule version"), std::string::npos);
  o = options("hbm-rollback");
  o.compare = {"nvidia-h20", "missing-chip"};
  EXPECT_NE(analyse(test::registry(), cat, nullptr, o).message().find("missing-chip"), std::string::npos);
  o = options("");
  EXPECT_FALSE(analyse(test::registry(), cat, nullptr, o).is_ok());
}

TEST(ImpactDiff, VersionIdAsBase) {
  const auto cat = catalog();  // the report points into the catalog: keep it alive
  auto o = options("hbm-rollback");
  o.base = "2024-12-02";  // the version that introduced 3A090.c
  auto r = analyse(test::registry(), cat, nullptr, o);
  ASSERT_TRUE(r.is_ok()) << r.message();
  EXPECT_EQ(r->date.to_string(), "2024-12-02");
  EXPECT_EQ(product(r.value(), "test-hbm").move, Transition::kUnlocked);
  // Before 3A090.c existed the scenario changes nothing for the stack.
  o.base = "2024-04-04";
  auto early = analyse(test::registry(), cat, nullptr, o);
  ASSERT_TRUE(early.is_ok()) << early.message();
  EXPECT_FALSE(product(early.value(), "test-hbm").changed);
}

TEST(ImpactReportRender, HtmlEscapesEveryText) {
  EXPECT_EQ(html_escape("<a href=\"x\">Tom's & co</a>"), "&lt;a href=&quot;x&quot;&gt;Tom&#39;s &amp; co&lt;/a&gt;");
  auto cat = io::parse_catalog_csv(
      "id,vendor,name,kind,datacenter,dense_tflops_fp8,die_area_mm2,memory_gb,memory_bw_gbs\n"
      "evil,V,\"<script>alert('x')</script> & \"\"q\"\"\",gpu,yes,1979,814,80,3350\n");
  ASSERT_TRUE(cat.is_ok());
  auto r = analyse(test::registry(), cat.value(), nullptr, options("tpp-threshold-raised"));
  ASSERT_TRUE(r.is_ok()) << r.message();
  std::ostringstream html;
  write_html(html, r.value());
  const std::string s = html.str();
  EXPECT_EQ(s.find("<script>"), std::string::npos);
  EXPECT_NE(s.find("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;q&quot;"), std::string::npos);
  EXPECT_NE(s.find("<svg id=\"plane\""), std::string::npos);
  EXPECT_NE(s.find("Not legal advice"), std::string::npos);
}

}  // namespace
}  // namespace chipgate::impact

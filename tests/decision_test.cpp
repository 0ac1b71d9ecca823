// Tests of the licence determination (license::decide, license::validate_line) over the real rule
// files (rules/us-ear), the sample letters and the sample party list, plus the `decide` CLI.
//
// Every expected value below is worked out by hand from the rule text; the comment of each test
// gives the reasoning and the citation. Rule text used (rules/us-ear/*.toml, license.* tables;
// ../shared/docs/regulations.md sections 0, b.4, b.5, b.7, b.11, b.12, d.1-d.4, f.2, f.4):
//
//   Classification (2023-11-17 on): 3A090.a.1 TPP >= 4800; a.2 TPP >= 1600 and PD >= 5.92;
//     3A090.b.1 2400 <= TPP < 4800 and 1.6 <= PD < 5.92; b.2 TPP >= 1600 and 3.2 <= PD < 5.92;
//     Note 2: not datacenter and TPP < 4800 -> outside 3A090.  2022-10-07: bit_tops >= 4800 AND
//     io_bw >= 600.  2024-12-02: 3A090.c HBM with mbd > 2 (kind hbm only).
//   rs-3a090-a / rs-3a090-b (2023-11-17): D:1, D:4, D:5 except A:5, A:6; plus MO (plus AE from
//     2026-07-10).  hq-d5-macau: 3A090/4A090/.z outside D:1/D:4/D:5 when headquartered in D:5 or MO.
//   rs-3a090-c (2024-12-02): D:5 or MO.  hq-d5-macau-hbm: 3A090.c, headquarters D:5 or MO.
//   ai-diffusion-worldwide (2025-01-13): in the text, enforced = false.
//   Review (per requirement, first match by order; docs/regulations-verified.md): h200-lane (50,
//     2026-01-15): 3A090/4A090/.z to CN/MO, export from US, tpp < 21000 and dram_bw < 6500 ->
//     case_by_case (an unknown condition leaves the policy undetermined); 742.6(b)(10)(iii) (Dec
//     2024): to D:5/MO or a D:5/MO-headquartered entity presumption_of_denial, except case_by_case for
//     non-datacenter 3A090.a and datacenter 3A090.b; presumption_of_approval elsewhere (2023 text:
//     742.6(b)(10)(ii)). Headquarters rule and 744.23 end uses: 744.23(d) ((d)(2) approval for
//     US/A:5/A:6 headquarters, (d)(3)(i) case_by_case for 3A090 items but datacenter 3A090.a, (d)(1)
//     denial for D:5/MO and headquartered entities).
//   Exceptions: NAC (2023-11-17: D:1/D:4/D:5 except A:5/A:6, MO; or HQ D:5/MO; 25 days notice;
//     never datacenter 3A090.a); 2024-04-04: NAC narrowed to D:5/MO (+HQ), ACA for D:1/D:4 except
//     D:5/A:5/A:6, not for HQ D:5/MO.  HBM (740.25): 3A090.c, anywhere, mbd < 3.3.
//   End uses (744.23(a)): supercomputer (ICs in 3A001/3A991/4A994/5A002/5A004/5A992, computers in
//     4A003/4A004/4A994/5A002/5A004/5A992) / advanced_node_ic_production (any item) in Macau/D:5;
//     no licence exceptions (744.23(c), 740.8(b)).
//   Country groups: CY in D:5 and A:6 until 2024-05-30 (89 FR 40369), then A:6 only; IL D:4 + A:6;
//     VN D:1; MY, SG(A:6), DE(A:5); HK treated as CN (destination_aliases, 85 FR 83765).
//
// Items are built with a single int8 dense rate of TPP/8 (TPP = rate x 8 bits, exact in binary).

#include "license/decision.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "classify/classifier.h"
#include "classify/item.h"
#include "core/date.h"
#include "license/screening.h"
#include "license/shipment.h"
#include "rules/registry.h"
#include "rules/vocabulary.h"
#include "test_support.h"

namespace chipgate::license {
namespace {

using classify::Item;
using classify::ItemKind;
using classify::Tri;
using Strings = std::vector<std::string>;

constexpr const char* kToday = "2026-11-25";

Date day(const std::string& text) {
  auto d = Date::parse(text);
  if (!d) throw std::runtime_error("bad date in test: " + text);
  return d.value();
}

rules::RuleSetPtr rules_on(const std::string& date, const std::string& scenario = "") {
  auto r = test::registry()->resolve(day(date), scenario);
  if (!r) throw std::runtime_error("resolve(" + date + ", '" + scenario + "') failed: " + r.message());
  return r.value();
}

// An IC whose TPP is exactly `tpp` (int8 rate tpp/8 x 8 bits).
Item ic(double tpp, std::optional<double> die, Tri datacenter, std::optional<double> memory_bw = std::nullopt) {
  Item item;
  item.id = "test-ic";
  item.vendor = "TestVendor";
  item.kind = ItemKind::kIc;
  classify::ProcessingUnit u;
  u.dense_rate[rules::precision_index("int8")] = tpp / 8.0;
  item.units.push_back(u);
  item.die_area_mm2 = die;
  item.datacenter = datacenter;
  item.memory_bw_gbs = memory_bw;
  return item;
}

// Datacenter IC: INT8 624 dense -> TPP 4992 >= 4800 (3A090.a.1); die 826 -> PD 6.04; memory 2039 GB/s.
Item datacenter_a() { return ic(4992, 826, Tri::kTrue, 2039); }
// TPP 4000, die 1000 -> PD 4.0: b.1 (2400 <= 4000 < 4800, 1.6 <= 4.0 < 5.92) -> 3A090.b; not .a.
Item level_b() { return ic(4000, 1000, Tri::kTrue); }
// RTX 4090-like: TPP 5288 (int8 661), die 609; not datacenter but TPP >= 4800, so Note 2 does not
// take it out (it requires TPP < 4800) -> 3A090.a.
Item consumer_a(Tri datacenter = Tri::kFalse) { return ic(5288, 609, datacenter); }
// TPP 800 < 1600: below every 3A090 prong (and bit_tops 800 < 4800 under 2022) -> not controlled.
Item uncontrolled() { return ic(800, 800, Tri::kTrue); }

Item hbm_stack(double bw, double area) {
  Item item;
  item.id = "test-hbm";
  item.vendor = "TestMemory";
  item.kind = ItemKind::kHbm;
  item.hbm_stacks = 1;
  item.memory_bw_gbs = bw;
  item.hbm_stack_area_mm2 = area;
  return item;
}

// H20-like: TPP 2368 (int8 296), die 814 -> PD 2.909; DRAM 4000 GB/s. a.1 no (2368 < 4800), a.2 no
// (PD < 5.92), b.1 no (2368 < 2400), b.2 no (PD < 3.2) -> not controlled.
Item h20_like() {
  Item item = ic(2368, 814, Tri::kTrue, 4000);
  item.id = "nvidia-h20";
  item.vendor = "NVIDIA";
  return item;
}

OrderLine order(const std::string& ship_to, const std::string& date = kToday) {
  OrderLine l;
  l.order_id = "PO-T";
  l.line = "1";
  l.date = day(date);
  l.product_id = "test";
  l.quantity = 1;
  l.value_usd = 1000;
  l.ship_to = ship_to;
  return l;
}

Decision run(const OrderLine& line, const Item& item, const std::string& scenario = "", const DecideContext& ctx = {}) {
  const auto ok = classify::validate(item);
  if (!ok) throw std::runtime_error("test item invalid: " + ok.message());
  const Date date = line.date ? *line.date : day(kToday);
  const auto rs = rules_on(date.to_string(), scenario);
  auto c = classify::classify(item, date, rs);
  return decide(line, item, std::move(c), rs, ctx);
}

const ExactAliasScreener& screener() {
  static const std::unique_ptr<ExactAliasScreener> s = [] {
    auto r = ExactAliasScreener::load({test::source_path("data/sample-parties.json")});
    if (!r) throw std::runtime_error("sample parties failed to load: " + r.message());
    return std::move(r).value();
  }();
  return *s;
}

const std::vector<rules::Letter>& sample_letters() {
  static const std::vector<rules::Letter> letters = [] {
    auto r = test::registry()->load_letters(test::source_path("data/sample-letters.toml"));
    if (!r) throw std::runtime_error("sample letters failed to load: " + r.message());
    return std::move(r).value();
  }();
  return letters;
}

DecideContext with_parties() { return DecideContext{&screener(), nullptr}; }
DecideContext with_letters() { return DecideContext{nullptr, &sample_letters()}; }

std::string required(const Decision& d) {
  return !d.license_required ? "undetermined" : *d.license_required ? "yes" : "no";
}
std::string policy(const Decision& d) { return d.review_policy ? rules::review_policy_code(*d.review_policy) : "none"; }

Strings exception_ids(const Decision& d) {
  Strings out;
  for (const auto* e : d.exceptions) out.push_back(e->id);
  return out;
}

std::size_t count_reasons(const Decision& d, Reason::Kind kind) {
  return static_cast<std::size_t>(
      std::count_if(d.reasons.begin(), d.reasons.end(), [&](const Reason& r) { return r.kind == kind; }));
}

// The requirement ids behind kRequirement / kUndeterminedItem reasons.
Strings requirement_ids(const Decision& d) {
  Strings out;
  for (const auto& r : d.reasons)
    if (r.requirement) out.push_back(r.requirement->id);
  std::sort(out.begin(), out.end());
  return out;
}

// The trace entry for exception `id` (kException or kExceptionBlocked), or null.
const TestedProvision* exception_step(const Decision& d, const std::string& id) {
  for (const auto& t : d.trace)
    if ((t.kind == TestedProvision::Kind::kException || t.kind == TestedProvision::Kind::kExceptionBlocked) &&
        t.provision && static_cast<const rules::LicenseException*>(t.provision)->id == id)
      return &t;
  return nullptr;
}

std::string exception_note(const Decision& d, const std::string& id) {
  for (std::size_t i = 0; i < d.exceptions.size(); ++i)
    if (d.exceptions[i]->id == id) return d.exception_notes.at(i);
  return "<absent>";
}

bool contains(const Strings& v, const std::string& s) { return std::find(v.begin(), v.end(), s) != v.end(); }

// ===== 3A090.a datacenter IC: destination, H200 lane, exports from abroad =======================

TEST(DecisionDatacenterA, ToGermanyNoLicence) {
  // TPP 4992 -> 3A090.a (a.1). DE is A:5 and in no D group: rs-3a090-a (D:1/D:4/D:5 except A:5/A:6,
  // MO, AE) does not reach it; no headquarters given; ai-diffusion-worldwide is in the text but
  // enforced = false (2025-01-13.toml; regulations.md 0 item 3, d.2 "No licence (NLR)").
  const auto d = run(order("DE"), datacenter_a());
  EXPECT_EQ(d.classification.eccns, Strings{"3A090.a"});
  EXPECT_EQ(required(d), "no");
  EXPECT_TRUE(d.reasons.empty());
  EXPECT_EQ(policy(d), "none");
  EXPECT_TRUE(d.exceptions.empty());
  const bool not_enforced_traced = std::any_of(d.trace.begin(), d.trace.end(), [](const TestedProvision& t) {
    return t.kind == TestedProvision::Kind::kNotEnforced &&
           static_cast<const rules::LicenseRequirement*>(t.provision)->id == "ai-diffusion-worldwide";
  });
  EXPECT_TRUE(not_enforced_traced) << "the unenforced AI Diffusion requirement should be shown in the trace";
}

TEST(DecisionDatacenterA, ToChinaFromUsTakesTheH200Lane) {
  // CN is D:1/D:4/D:5, not A:5/A:6 -> rs-3a090-a applies: licence. Review, first by order:
  // h200-lane (order 50, 91 FR 1684, 742.6(b)(10)(iii)(A)(1)): item 3A090.a, ship-to CN, export
  // from US, TPP 4992 < 21000, DRAM 2039 < 6500 -> case_by_case. Exceptions: NAC/ACA never cover
  // datacenter 3A090.a (740.8, regulations.md b.5); HBM covers only 3A090.c -> none.
  const auto d = run(order("CN"), datacenter_a());
  EXPECT_EQ(required(d), "yes");
  EXPECT_EQ(requirement_ids(d), Strings{"rs-3a090-a"});
  EXPECT_EQ(policy(d), "case_by_case");
  EXPECT_NE(d.review_citation.find("742.6(b)(10)(iii)(A)(1)"), std::string::npos) << d.review_citation;
  EXPECT_TRUE(d.exceptions.empty());
  const auto* nac = exception_step(d, "NAC");
  ASSERT_NE(nac, nullptr);
  EXPECT_FALSE(nac->applies);
  EXPECT_NE(nac->why.find("datacenter"), std::string::npos) << nac->why;
}

TEST(DecisionDatacenterA, ExportFromAbroadStaysPresumptionOfDenial) {
  // Same line, export_from DE: the lane covers only "exports from the United States"; reexports and
  // exports from abroad stay presumption of denial (regulations.md b.12). Next rule: d5-macau-denial
  // (order 100): CN in D:5 -> presumption_of_denial.
  auto line = order("CN");
  line.export_from = "DE";
  const auto d = run(line, datacenter_a());
  EXPECT_EQ(required(d), "yes");
  EXPECT_EQ(policy(d), "presumption_of_denial");
  EXPECT_TRUE(d.exceptions.empty());
}

TEST(DecisionDatacenterA, DayBeforeTheLaneIsDenial) {
  // 2026-01-14: version 2025-01-16 in force; the h200-lane arrives with 2026-01-15 (91 FR 1684).
  // Licence by rs-3a090-a; review d5-macau-denial -> presumption_of_denial. On 2026-01-15 the lane.
  const auto before = run(order("CN", "2026-01-14"), datacenter_a());
  EXPECT_EQ(required(before), "yes");
  EXPECT_EQ(policy(before), "presumption_of_denial");
  const auto on = run(order("CN", "2026-01-15"), datacenter_a());
  EXPECT_EQ(required(on), "yes");
  EXPECT_EQ(policy(on), "case_by_case");
}

TEST(DecisionDatacenterA, LaneNeedsKnownDramBandwidthBelow6500) {
  // The lane requires "total DRAM bandwidth < 6,500 GB/s" (b.12). Unknown DRAM bandwidth leaves it
  // open: case_by_case under the lane or presumption_of_denial under 742.6(b)(10)(iii)(B) -> the
  // review policy is undetermined (never a silent denial). DRAM 6500 exactly is not < 6500 -> denial.
  // TPP 21000 exactly is not < 21000 -> denial ("chips above either threshold", b.12).
  EXPECT_EQ(policy(run(order("CN"), ic(4992, 826, Tri::kTrue))), "none");
  EXPECT_EQ(policy(run(order("CN"), ic(4992, 826, Tri::kTrue, 6500))), "presumption_of_denial");
  EXPECT_EQ(policy(run(order("CN"), ic(4992, 826, Tri::kTrue, 6499))), "case_by_case");
  EXPECT_EQ(policy(run(order("CN"), ic(21000, 826, Tri::kTrue, 4000))), "presumption_of_denial");
}

TEST(DecisionDatacenterA, ToVietnamLicenceNoAca) {
  // VN: D:1 only -> rs-3a090-a: licence. Review: not D:5, no HQ -> d1-d4-approval (order 200, D:1/D:4
  // except D:5) -> presumption_of_approval [S, regulations.md d.4]. ACA excludes datacenter 3A090.a.
  const auto d = run(order("VN"), datacenter_a());
  EXPECT_EQ(required(d), "yes");
  EXPECT_EQ(policy(d), "presumption_of_approval");
  EXPECT_TRUE(d.exceptions.empty());
}

// ===== Destinations: Macau, Hong Kong, Israel, Cyprus, UAE =====================================

TEST(DecisionDestinations, MacauNeedsALicence) {
  // MO is named in rs-3a090-a ("and Macau", 88 FR 2821 / 88 FR 73458) -> licence. Without a DRAM
  // bandwidth the lane may or may not apply (742.6(b)(10)(iii)(B) would give presumption_of_denial):
  // the review policy is undetermined.
  const auto d = run(order("MO"), ic(4992, 826, Tri::kTrue));
  EXPECT_EQ(required(d), "yes");
  EXPECT_EQ(requirement_ids(d), Strings{"rs-3a090-a"});
  EXPECT_EQ(policy(d), "none");
  // With DRAM 2039 < 6500 from the US: the lane covers "China or Macau" -> case_by_case.
  EXPECT_EQ(policy(run(order("MO"), datacenter_a())), "case_by_case");
}

TEST(DecisionDestinations, HongKongIsTreatedAsChina) {
  // destination_aliases HK = CN (85 FR 83765; regulations.md f.4): HK has the groups of CN (D:1,
  // D:4, D:5) -> licence for 3A090.a; the lane ("China or Macau") applies to HK as China.
  const auto d = run(order("HK"), datacenter_a());
  EXPECT_EQ(required(d), "yes");
  EXPECT_EQ(requirement_ids(d), Strings{"rs-3a090-a"});
  EXPECT_EQ(policy(d), "case_by_case");
  // A 3A090.b item to HK: licence (rs-3a090-b), NAC available because HK counts as D:5 (CN).
  const auto b = run(order("HK"), level_b());
  EXPECT_EQ(required(b), "yes");
  EXPECT_EQ(exception_ids(b), Strings{"NAC"});
}

TEST(DecisionDestinations, IsraelAndCyprusNeedNoLicenceByDestination) {
  // IL: D:4 but also A:6; CY (2026): A:6 only -> "not also in A:5 or A:6" excludes both
  // (regulations.md 0 item 2, d.1 "No licence by destination: Israel (D:4 but A:6) and Cyprus").
  EXPECT_EQ(required(run(order("IL"), datacenter_a())), "no");
  EXPECT_EQ(required(run(order("CY"), datacenter_a())), "no");
  EXPECT_EQ(required(run(order("IL"), level_b())), "no");
}

TEST(DecisionDestinations, CyprusWhileInD5StillExcludedByA6AsDestination) {
  // On 2024-05-29 CY was in D:5 (removed 2024-05-30, 89 FR 40369) but also in A:6. rs-3a090-a
  // reads "D:1, D:4 or D:5 not also in A:5 or A:6": CY is excluded by A:6 -> no licence by
  // destination on either day (regulations.md d.1: "Cyprus (D:5 but A:6) ... no licence by
  // destination"). The D:5 membership matters through the headquarters rule (next test).
  EXPECT_EQ(required(run(order("CY", "2024-05-29"), datacenter_a())), "no");
  EXPECT_EQ(required(run(order("CY", "2024-05-30"), datacenter_a())), "no");
}

TEST(DecisionDestinations, CyprusHeadquarteredNeedsLicenceOnlyWhileCyprusWasD5) {
  // hq-d5-macau (744.23(a)(3)(i)): licence to destinations outside D:1/D:4/D:5 when the end user is
  // headquartered in D:5 or Macau; no A:6 carve-out in that rule. 2024-05-29: CY in D:5 -> licence
  // by headquarters. Review 744.23(d): "(1) ... presumption of denial for ... any entity headquartered
  // in ... D:5, unless either paragraph (d)(2) or (3) applies. (2) ... presumption of approval for end
  // users headquartered in the United States or ... A:5 or A:6" -- Cyprus is also in A:6, so (d)(2)
  // applies: presumption_of_approval. 2024-05-30: CY out of D:5 -> no licence.
  auto line = order("DE", "2024-05-29");
  line.end_user_hq_country = "CY";
  const auto d = run(line, datacenter_a());
  EXPECT_EQ(required(d), "yes");
  ASSERT_EQ(d.reasons.size(), 1u);
  EXPECT_EQ(d.reasons[0].requirement->id, "hq-d5-macau");
  EXPECT_TRUE(d.reasons[0].by_headquarters);
  EXPECT_EQ(policy(d), "presumption_of_approval");
  line.date = day("2024-05-30");
  EXPECT_EQ(required(run(line, datacenter_a())), "no");
}

TEST(DecisionDestinations, UaeNamedForLevelBAfterJuly2026) {
  // 2026-07-10 (91 FR 43034): AE moved to A:5 and out of D:4, but the 3A090.b licence text names
  // "the United Arab Emirates" (regulations.md f.2, f.4); rs-3a090-b countries = [MO, AE] -> licence.
  // Before (2026-07-09) AE was in D:4 and not A:5 -> licence by groups.
  EXPECT_EQ(required(run(order("AE"), level_b())), "yes");
  EXPECT_EQ(required(run(order("AE", "2026-07-09"), level_b())), "yes");
}

TEST(DecisionDestinations, CambodiaLeftD5WithItar126_1) {
  // KH: D:1 and D:5 until 2025-11-07 (State removed it from ITAR 126.1; the EAR's conforming change,
  // FR Doc 2026-02262, followed on 2026-02-03), then D:1 only (2025-11-07.toml). 3A090.b to KH:
  // licence both days (D:1). 2025-11-06: D:5 -> 742.6(b)(10)(iii)(B)(2) (datacenter .b) case_by_case,
  // NAC (D:5), no ACA. 2025-11-07: (iii)(A) approval, ACA, no NAC (NAC is D:5/MO/HQ only).
  const auto before = run(order("KH", "2025-11-06"), level_b());
  EXPECT_EQ(required(before), "yes");
  EXPECT_EQ(policy(before), "case_by_case");
  EXPECT_EQ(exception_ids(before), Strings{"NAC"});
  const auto after = run(order("KH", "2025-11-07"), level_b());
  EXPECT_EQ(required(after), "yes");
  EXPECT_EQ(policy(after), "presumption_of_approval");
  EXPECT_EQ(exception_ids(after), Strings{"ACA"});
}

TEST(DecisionDestinations, October2022PrcOnly) {
  // 2022-10-07 (87 FR 62186): rs-prc, "to or within the PRC"; review prc-denial. An A100-like IC
  // (bit_tops 4992 >= 4800 and I/O 600 >= 600 -> 3A090.a) to CN: licence, presumption_of_denial; to
  // HK (treated as CN): licence; to VN: no licence (PRC only then); no NAC existed.
  Item a100 = datacenter_a();
  a100.interconnect_bw_gbs = 600;
  const auto cn = run(order("CN", "2022-10-07"), a100);
  EXPECT_EQ(cn.classification.eccns, Strings{"3A090.a"});
  EXPECT_EQ(required(cn), "yes");
  EXPECT_EQ(requirement_ids(cn), Strings{"rs-prc"});
  EXPECT_EQ(policy(cn), "presumption_of_denial");
  EXPECT_TRUE(cn.exceptions.empty());
  EXPECT_EQ(required(run(order("HK", "2022-10-07"), a100)), "yes");
  EXPECT_EQ(required(run(order("VN", "2022-10-07"), a100)), "no");
}

// BUG: rules/us-ear/2024-04-04.toml license.exceptions.ACA: destinations = D:1, D:4 except D:5,
// A:5, A:6 does not exclude Macau (MO is in D:1 and D:4 but not D:5), so ACA is offered for Macau.
// 740.8 (regulations.md b.5): ACA is "to or within D:1 and D:4 (except Macau, D:5, or D:5/Macau-HQ
// entities)"; d.3: ACA "D:1/D:4 (non-D:5, non-HQ)", NAC for "Macau, D:5". Expected for a 3A090.b
// item to MO on 2026-11-25: licence (rs-3a090-b names MO), NAC only.
TEST(DecisionDestinations, MacauLevelBGetsNacNotAca) {
  const auto d = run(order("MO"), level_b());
  EXPECT_EQ(required(d), "yes");
  EXPECT_EQ(policy(d), "case_by_case");  // 742.6(b)(10)(iii)(B)(2): datacenter 3A090.b to Macau
  EXPECT_EQ(exception_ids(d), Strings{"NAC"});
}

// ===== Headquarters rule =======================================================================

TEST(DecisionHeadquarters, ChinaHeadquarteredBuyerInMalaysiaDatacenterA) {
  // MY is in no country group: rs-3a090-a does not apply by destination. End user headquartered in
  // CN (D:5) -> hq-d5-macau: licence "to any destination" (744.23(a)(3)(i), now 742.6(a)(6)(iii)(A);
  // enforced per BIS 31 May 2026). Review: h200-lane needs ship-to CN/MO (no), d5-macau-denial needs
  // ship-to D:5/MO (no), hq-d5-macau-denial (order 110) -> presumption_of_denial.
  // NAC: datacenter 3A090.a is never eligible -> no exception.
  auto line = order("MY");
  line.end_user_hq_country = "CN";
  const auto d = run(line, datacenter_a());
  EXPECT_EQ(required(d), "yes");
  ASSERT_EQ(d.reasons.size(), 1u);
  EXPECT_EQ(d.reasons[0].kind, Reason::Kind::kRequirement);
  EXPECT_EQ(d.reasons[0].requirement->id, "hq-d5-macau");
  EXPECT_TRUE(d.reasons[0].by_headquarters);
  EXPECT_EQ(policy(d), "presumption_of_denial");
  EXPECT_TRUE(d.exceptions.empty());
}

TEST(DecisionHeadquarters, ChinaHeadquarteredBuyerInMalaysiaLevelBGetsNacNotAca) {
  // 3A090.b, ship-to MY, HQ CN: licence by hq-d5-macau; review 744.23(d)(3)(i) "case-by-case ... for
  // items specified in ECCN 3A090 ... except for items designed or marketed for use in a datacenter
  // and meeting the parameters of 3A090.a" -> case_by_case.
  // NAC (2024-04-04): "to an entity headquartered in ... Macau or D:5, wherever located" (740.8,
  // regulations.md b.5) -> available by headquarters, 25 days' notice. ACA: MY is not D:1/D:4 and the
  // party is D:5-headquartered -> not available.
  auto line = order("MY");
  line.end_user_hq_country = "CN";
  const auto d = run(line, level_b());
  EXPECT_EQ(d.classification.eccns, Strings{"3A090.b"});
  EXPECT_EQ(required(d), "yes");
  EXPECT_EQ(requirement_ids(d), Strings{"hq-d5-macau"});
  EXPECT_EQ(policy(d), "case_by_case");
  EXPECT_EQ(exception_ids(d), Strings{"NAC"});
  EXPECT_EQ(d.exceptions.at(0)->notification_days, 25);
}

TEST(DecisionHeadquarters, AcaRefusedToChinaHeadquarteredPartyInVietnam) {
  // Ship-to VN (D:1, not D:5) with HQ CN: licence by rs-3a090-b (destination); the headquarters rule
  // reaches only destinations "other than those specified in Country Groups D:1, D:4, or D:5"
  // (744.23(a)(3)(i)). Review 742.6(b)(10)(iii)(B)(2): datacenter 3A090.b -> case_by_case.
  // ACA: destination VN covered, but "except ... D:5/Macau-HQ entities" (740.8; not_headquarters
  // D:5/MO) -> not available, the trace says why. NAC: by headquarters -> available.
  auto line = order("VN");
  line.end_user_hq_country = "CN";
  const auto d = run(line, level_b());
  EXPECT_EQ(required(d), "yes");
  EXPECT_EQ(requirement_ids(d), Strings{"rs-3a090-b"});
  EXPECT_EQ(policy(d), "case_by_case");
  EXPECT_EQ(exception_ids(d), Strings{"NAC"});
  const auto* aca = exception_step(d, "ACA");
  ASSERT_NE(aca, nullptr);
  EXPECT_FALSE(aca->applies);
  EXPECT_NE(aca->why.find("headquartered"), std::string::npos) << aca->why;
}

TEST(DecisionHeadquarters, HongKongHeadquartersCountsAsChina) {
  // HQ "HK" -> canonical CN (D:5) -> hq-d5-macau applies to a 3A090.a item shipped to DE.
  auto line = order("DE");
  line.end_user_hq_country = "HK";
  const auto d = run(line, datacenter_a());
  EXPECT_EQ(required(d), "yes");
  EXPECT_EQ(requirement_ids(d), Strings{"hq-d5-macau"});
}

TEST(DecisionHeadquarters, GermanHeadquartersInGermanyNoLicence) {
  // HQ DE is neither D:5 nor MO; ship-to DE not in the destination scope -> no licence.
  auto line = order("DE");
  line.end_user_hq_country = "DE";
  EXPECT_EQ(required(run(line, datacenter_a())), "no");
}

// ===== 3A090.b and the NAC / ACA split ==========================================================

TEST(DecisionExceptions, LevelBToVietnamAcaFromApril2024) {
  // VN: D:1, not D:5/A:5/A:6 -> rs-3a090-b: licence. 2024-04-04 (89 FR 23876) split NAC: NAC now
  // Macau/D:5 (+HQ) only; ACA for D:1/D:4 not D:5 -> ACA available, NAC not. Review d1-d4-approval.
  const auto d = run(order("VN", "2024-04-04"), level_b());
  EXPECT_EQ(required(d), "yes");
  EXPECT_EQ(requirement_ids(d), Strings{"rs-3a090-b"});
  EXPECT_EQ(policy(d), "presumption_of_approval");
  EXPECT_EQ(exception_ids(d), Strings{"ACA"});
  EXPECT_EQ(d.exceptions.at(0)->notification_days, 0);                    // ACA: "No notification"
  EXPECT_EQ(exception_ids(run(order("VN"), level_b())), Strings{"ACA"});  // still so in 2026
}

TEST(DecisionExceptions, LevelBToVietnamNacBeforeTheSplit) {
  // 2023-12-01 and 2024-04-03 (version 2023-11-17): NAC covered D:1/D:4/D:5 except A:5/A:6, and MO
  // -> VN eligible for NAC with 25 days' notice; ACA did not exist yet.
  for (const char* date : {"2023-12-01", "2024-04-03"}) {
    const auto d = run(order("VN", date), level_b());
    EXPECT_EQ(required(d), "yes") << date;
    EXPECT_EQ(exception_ids(d), Strings{"NAC"}) << date;
    ASSERT_FALSE(d.exceptions.empty());
    EXPECT_EQ(d.exceptions[0]->notification_days, 25) << date;
  }
}

TEST(DecisionExceptions, LevelBToChinaNac) {
  // CN in D:5: rs-3a090-b licence; NAC (D:5) available; ACA excludes D:5. Review: the lane is open
  // (no DRAM bandwidth) but 742.6(b)(10)(iii)(B)(2) gives case_by_case for a datacenter 3A090.b
  // either way -> case_by_case.
  const auto d = run(order("CN"), level_b());
  EXPECT_EQ(required(d), "yes");
  EXPECT_EQ(policy(d), "case_by_case");
  EXPECT_EQ(exception_ids(d), Strings{"NAC"});
}

TEST(DecisionExceptions, NonDatacenterLevelAToChinaNac) {
  // RTX 4090-like: datacenter no, TPP 5288 >= 4800 -> 3A090.a (Note 2 needs TPP < 4800). CN: licence.
  // NAC excludes only "items designed or marketed for use in a datacenter and meeting 3A090.a"
  // (740.8; d.2 row "3A090.a non-datacenter": Licence, or NAC) -> NAC available, 25 days' notice,
  // no extra condition. ACA: CN is D:5 -> no.
  const auto d = run(order("CN"), consumer_a());
  EXPECT_EQ(d.classification.eccns, Strings{"3A090.a"});
  EXPECT_EQ(required(d), "yes");
  EXPECT_EQ(requirement_ids(d), Strings{"rs-3a090-a"});
  EXPECT_EQ(exception_ids(d), Strings{"NAC"});
  ASSERT_FALSE(d.exceptions.empty());
  EXPECT_EQ(d.exceptions[0]->notification_days, 25);
  EXPECT_EQ(exception_note(d, "NAC"), "");
}

TEST(DecisionExceptions, UnknownDatacenterLevelANacWithDatacenterCondition) {
  // Datacenter unknown, TPP 5288 >= 4800: Note 2 cannot apply (TPP fails) -> 3A090.a. NAC is
  // available only if the item is not a datacenter item, which is unknown: NAC offered with that
  // extra condition (the note mentions the datacenter).
  const auto d = run(order("CN"), consumer_a(Tri::kUnknown));
  EXPECT_EQ(d.classification.eccns, Strings{"3A090.a"});
  EXPECT_EQ(required(d), "yes");
  EXPECT_EQ(exception_ids(d), Strings{"NAC"});
  EXPECT_NE(exception_note(d, "NAC").find("datacenter"), std::string::npos) << exception_note(d, "NAC");
}

TEST(DecisionExceptions, NonDatacenterLevelAToVietnamAca) {
  // VN (D:1): rs-3a090-a licence; d.2 row "3A090.a non-datacenter", column D:1/D:4: "Licence, or ACA".
  const auto d = run(order("VN"), consumer_a());
  EXPECT_EQ(required(d), "yes");
  EXPECT_EQ(exception_ids(d), Strings{"ACA"});
}

// ===== Computers (4A090) and .z items ==========================================================

Item server_with(const Item& chip) {
  Item c;
  c.id = "test-server";
  c.vendor = "TestVendor";
  c.kind = ItemKind::kComputer;
  c.contained_ic = std::make_shared<const Item>(chip);
  c.contained_id = chip.id;
  c.contained_count = 8;
  c.datacenter = Tri::kTrue;
  return c;
}

TEST(DecisionComputers, ServerWithDatacenterAChips) {
  // 4A090.a: computers containing 3A090.a ICs. rs-3a090-a lists 4A090.a: to DE no licence; to CN
  // licence; NAC never for datacenter .a (the contained IC is a datacenter IC) -> no exception.
  const Item server = server_with(datacenter_a());
  const auto de = run(order("DE"), server);
  EXPECT_EQ(de.classification.eccns, Strings{"4A090.a"});
  EXPECT_EQ(required(de), "no");
  const auto cn = run(order("CN"), server);
  EXPECT_EQ(required(cn), "yes");
  EXPECT_EQ(requirement_ids(cn), Strings{"rs-3a090-a"});
  EXPECT_TRUE(cn.exceptions.empty());
}

TEST(DecisionComputers, ServerWithLevelBChipsBeforeAndAfter4A090bEnumerated) {
  // 2023-12-01: "4A090" (4A090.b reserved; BIS FAQ 29 Dec 2023: not enumerated under 4A090.a and
  // NAC-eligible) -> rs-3a090-b lists "4A090": licence to VN, NAC. 2024-04-04: 4A090.b -> licence,
  // ACA (D:1 not D:5), no NAC.
  const Item server = server_with(level_b());
  const auto old = run(order("VN", "2023-12-01"), server);
  EXPECT_EQ(old.classification.eccns, Strings{"4A090"});
  EXPECT_EQ(required(old), "yes");
  EXPECT_EQ(exception_ids(old), Strings{"NAC"});
  const auto now = run(order("VN", "2024-04-04"), server);
  EXPECT_EQ(now.classification.eccns, Strings{"4A090.b"});
  EXPECT_EQ(required(now), "yes");
  EXPECT_EQ(exception_ids(now), Strings{"ACA"});
}

TEST(DecisionComputers, ZParagraphItems) {
  // A 5A992 item meeting 3A090.a (TPP 4992) is 5A992.z at the .a level ("z:a"); rs-3a090-a lists
  // "z:a" -> licence to CN; datacenter .a-level -> no NAC. At the .b level (TPP 4000, PD 4) it is
  // "z:b": rs-3a090-b -> licence to VN with ACA (740.8(a) lists 5A992.z).
  Item za = datacenter_a();
  za.base_eccn = "5A992";
  const auto a = run(order("CN"), za);
  EXPECT_EQ(a.classification.eccns, Strings{"5A992.z"});
  EXPECT_TRUE(contains(a.item_tokens, "z:a"));
  EXPECT_EQ(required(a), "yes");
  EXPECT_TRUE(a.exceptions.empty());
  Item zb = level_b();
  zb.base_eccn = "5A992";
  const auto b = run(order("VN"), zb);
  EXPECT_EQ(b.classification.eccns, Strings{"5A992.z"});
  EXPECT_TRUE(contains(b.item_tokens, "z:b"));
  EXPECT_EQ(required(b), "yes");
  EXPECT_EQ(exception_ids(b), Strings{"ACA"});
}

// ===== HBM (3A090.c) ===========================================================================

TEST(DecisionHbm, StackToChinaWithHbmException) {
  // 2024-12-02: bw 1000 / area 400 = mbd 2.5 > 2 -> 3A090.c. CN in D:5 -> rs-3a090-c (Macau or D:5;
  // 742.6(a)(6)(i)(B)): licence. Review 742.6(b)(10)(ii): end user headquartered in CN -> denial.
  // License Exception HBM (740.25): mbd 2.5 < 3.3 -> available. NAC/ACA do not list 3A090.c.
  auto line = order("CN", "2024-12-02");
  line.end_user_hq_country = "CN";
  const auto d = run(line, hbm_stack(1000, 400));
  EXPECT_EQ(d.classification.eccns, Strings{"3A090.c"});
  EXPECT_EQ(required(d), "yes");
  EXPECT_EQ(requirement_ids(d), Strings{"rs-3a090-c"});
  EXPECT_EQ(policy(d), "presumption_of_denial");
  EXPECT_EQ(exception_ids(d), Strings{"HBM"});
}

TEST(DecisionHbm, DenseStackGetsNoHbmException) {
  // bw 1600 / area 400 = mbd 4.0: 3A090.c, licence to CN; 4.0 is not < 3.3 -> no HBM exception
  // ("HBM2E and later (> 3.3) cannot use the exception", regulations.md b.4).
  const auto d = run(order("CN", "2024-12-02"), hbm_stack(1600, 400));
  EXPECT_EQ(required(d), "yes");
  EXPECT_TRUE(d.exceptions.empty());
  const auto* hbm = exception_step(d, "HBM");
  ASSERT_NE(hbm, nullptr);
  EXPECT_FALSE(hbm->applies);
}

TEST(DecisionHbm, StackToVietnamNoLicenceByDestination) {
  // VN is D:1, not D:5 or Macau: the 3A090.c RS scope is "Macau or a destination in D:5" only
  // (regulations.md f.2 finding 1) -> no licence by destination.
  EXPECT_EQ(required(run(order("VN", "2024-12-02"), hbm_stack(1000, 400))), "no");
  EXPECT_EQ(required(run(order("VN"), hbm_stack(1000, 400))), "no");
}

TEST(DecisionHbm, StackToMacauNeedsLicence) {
  // rs-3a090-c names Macau.
  EXPECT_EQ(required(run(order("MO", "2024-12-02"), hbm_stack(1000, 400))), "yes");
}

TEST(DecisionHbm, DayBeforeHbmControlNoLicence) {
  // 2024-12-01: version 2024-05-30 has no 3A090.c; an HBM stack is not reached by 3A090.a/.b (ICs)
  // -> not controlled, no licence to CN.
  const auto d = run(order("CN", "2024-12-01"), hbm_stack(1000, 400));
  EXPECT_TRUE(d.classification.eccns.empty());
  EXPECT_EQ(required(d), "no");
}

TEST(DecisionHbm, ChinaHeadquarteredBuyerAbroadNeedsLicenceForHbm) {
  // hq-d5-macau-hbm (744.23(a)(3)(i)(B)): 3A090.c to destinations other than Macau/D:5 for
  // D:5-headquartered parties -> ship-to DE, HQ CN: licence by headquarters; review 744.23(d)(3)(i)
  // ("items specified in ECCN 3A090", not datacenter 3A090.a) -> case_by_case; HBM exception
  // (anywhere, mbd 2.5 < 3.3; 744.23(c) via 740.2(a)(9)(ii)) available.
  auto line = order("DE");
  line.end_user_hq_country = "CN";
  const auto d = run(line, hbm_stack(1000, 400));
  EXPECT_EQ(required(d), "yes");
  EXPECT_EQ(requirement_ids(d), Strings{"hq-d5-macau-hbm"});
  EXPECT_EQ(policy(d), "case_by_case");
  EXPECT_EQ(exception_ids(d), Strings{"HBM"});
}

TEST(DecisionHbm, CoPackagedHbmOnLogicIsJudgedByTppAndPd) {
  // Technical Note to 3A090.c: co-packaged HBM + logic whose dominant function is processing is not
  // 3A090.c; the package is assessed under 3A090.a/.b. An IC with 8 HBM stacks and TPP 800 (below
  // every .a/.b prong) is not controlled even though bw/area would give mbd 20 -> no licence to CN.
  Item low = ic(800, 800, Tri::kTrue, 8000);
  low.hbm_stacks = 8;
  low.hbm_stack_area_mm2 = 400;
  const auto d = run(order("CN", "2024-12-02"), low);
  EXPECT_FALSE(contains(d.classification.eccns, "3A090.c"));
  EXPECT_EQ(required(d), "no");
  // The same package at TPP 4992 (die 826) is 3A090.a, not .c: licence by rs-3a090-a.
  Item high = ic(4992, 826, Tri::kTrue, 8000);
  high.hbm_stacks = 8;
  high.hbm_stack_area_mm2 = 400;
  const auto h = run(order("CN", "2024-12-02"), high);
  EXPECT_EQ(h.classification.eccns, Strings{"3A090.a"});
  EXPECT_EQ(requirement_ids(h), Strings{"rs-3a090-a"});
}

TEST(DecisionHbm, UnknownStackAreaIsUndeterminedToChina) {
  // No stack area: mbd unknown -> 3A090.c undetermined; rs-3a090-c would apply to CN -> licence
  // undetermined, missing hbm_stack_area_mm2.
  Item stack = hbm_stack(1000, 400);
  stack.hbm_stack_area_mm2.reset();
  const auto d = run(order("CN"), stack);
  EXPECT_EQ(required(d), "undetermined");
  EXPECT_TRUE(contains(d.missing, "hbm_stack_area_mm2"));
}

// ===== Undetermined items ======================================================================

TEST(DecisionUndetermined, MissingDieAreaToChina) {
  // TPP 2368 (int8 296), no die area, datacenter yes: a.1 no; a.2 (TPP >= 1600 yes, PD unknown) ->
  // unknown; b.1 no (2368 < 2400); b.2 unknown -> candidates 3A090.a/.b, missing die_area_mm2.
  // CN is in scope of both rs-3a090-a and rs-3a090-b -> licence undetermined, die_area_mm2 missing,
  // no review policy (nothing decided).
  const auto d = run(order("CN"), ic(2368, std::nullopt, Tri::kTrue));
  EXPECT_EQ(classify::status_name(d.classification.status), std::string("undetermined"));
  EXPECT_EQ(required(d), "undetermined");
  EXPECT_TRUE(contains(d.missing, "die_area_mm2"));
  EXPECT_EQ(count_reasons(d, Reason::Kind::kUndeterminedItem), 2u);
  EXPECT_EQ(policy(d), "none");
}

TEST(DecisionUndetermined, MissingDieAreaToGermanyNoLicence) {
  // Same item to DE: neither candidate's requirement reaches DE (A:5), AI Diffusion not enforced ->
  // no licence whatever the die area.
  const auto d = run(order("DE"), ic(2368, std::nullopt, Tri::kTrue));
  EXPECT_EQ(required(d), "no");
  EXPECT_TRUE(d.missing.empty());
}

// ===== End uses (744.23) =======================================================================

TEST(DecisionEndUse, SupercomputerInChinaForUncontrolledItem) {
  // 744.23(a)(1): licence for ICs in 3A001, 3A991, 4A994, 5A002, 5A004, 5A992 (and computers in ...)
  // for a supercomputer in Macau/D:5; review 744.23(d)(1) (China) presumption_of_denial; no licence
  // exceptions (744.23(c)). Item TPP 800: not 3A090; declared 5A992.
  auto line = order("CN");
  line.end_uses = {"supercomputer"};
  Item item = uncontrolled();
  item.base_eccn = "5A992";
  const auto d = run(line, item);
  EXPECT_TRUE(d.classification.eccns.empty());
  EXPECT_EQ(required(d), "yes");
  ASSERT_EQ(d.reasons.size(), 1u);
  EXPECT_EQ(d.reasons[0].kind, Reason::Kind::kEndUse);
  EXPECT_EQ(d.reasons[0].end_use->code, "supercomputer");
  EXPECT_EQ(policy(d), "presumption_of_denial");
  EXPECT_TRUE(d.exceptions.empty());
  // Without the declared end use the same line needs no licence.
  EXPECT_EQ(required(run(order("CN"), item)), "no");
}

TEST(DecisionEndUse, EndUseBarsNacForLevelB) {
  // 3A090.b to CN normally gets NAC (LevelBToChinaNac). With the advanced-node production end use
  // (744.23(a)(2)(i): any item), 740.8(b) / 744.23(c): no licence exceptions -> none offered, NAC
  // traced as blocked. Review: 744.23(d)(3)(i) and 742.6(b)(10)(iii)(B)(2) -> case_by_case.
  auto line = order("CN");
  line.end_uses = {"advanced_node_ic_production"};
  const auto d = run(line, level_b());
  EXPECT_EQ(required(d), "yes");
  EXPECT_EQ(policy(d), "case_by_case");
  EXPECT_TRUE(d.exceptions.empty());
  const auto* nac = exception_step(d, "NAC");
  ASSERT_NE(nac, nullptr);
  EXPECT_EQ(nac->kind, TestedProvision::Kind::kExceptionBlocked);
}

TEST(DecisionEndUse, MostRestrictivePolicyWins) {
  // Datacenter 3A090.a to CN from the US: the lane gives case_by_case for the classification reason,
  // the advanced-node production end use gives presumption_of_denial (744.23(d)(1): a datacenter
  // 3A090.a item is outside (d)(3)(i)) -> the stricter applies.
  auto line = order("CN");
  line.end_uses = {"advanced_node_ic_production"};
  EXPECT_EQ(policy(run(line, datacenter_a())), "presumption_of_denial");
}

TEST(DecisionEndUse, SupercomputerLocatedInChinaShippedViaSingapore) {
  // "located in or destined to" the PRC: ship-to SG, end user (the supercomputer) in CN -> applies.
  // The same end use with the end user in DE and ship-to DE -> does not apply, no licence.
  // The item: a 5A992 IC (in the item scope of 744.23(a)(1)(i)(A)).
  Item item = uncontrolled();
  item.base_eccn = "5A992";
  auto line = order("SG");
  line.end_user_country = "CN";
  line.end_uses = {"supercomputer"};
  EXPECT_EQ(required(run(line, item)), "yes");
  auto de = order("DE");
  de.end_user_country = "DE";
  de.end_uses = {"supercomputer"};
  EXPECT_EQ(required(run(de, item)), "no");
}

TEST(DecisionEndUse, AdvancedNodeProductionInMacau) {
  // 744.23(a)(2): any item, for advanced-node IC production at a facility in the PRC or Macau.
  auto line = order("MO");
  line.end_uses = {"advanced_node_ic_production"};
  const auto d = run(line, uncontrolled());
  EXPECT_EQ(required(d), "yes");
  EXPECT_EQ(policy(d), "presumption_of_denial");
}

// BUG: the rule files never widen license.end_uses beyond CN and MO (2022-10-07.toml, 2023-01-17.toml),
// but 744.23(a)(1)/(a)(2) in the text as of 4 Apr 2024 (regulations.md b.7, [P]) reach a
// "supercomputer" located in or destined to "Macau or D:5" and advanced-node IC production at a
// "Macau/D:5 facility"; d.2 overlay 3: "supercomputer in Macau/D:5; advanced-node IC production in
// Macau/D:5". Expected on 2026-11-25 for an uncontrolled item to RU (D:5) declared for a
// supercomputer: licence, presumption_of_denial, no exceptions.
// With a 5A992 IC (744.23(a)(1)(i)(A)): the supercomputer end use gives presumption_of_denial
// (744.23(d)(1)); Russia is also under 746.8(a)(1) ("any ECCN on the CCL"), policy of denial
// (746.8(b)(1)) -> the stricter, policy_of_denial.
TEST(DecisionEndUse, SupercomputerInOtherD5CountryNeedsLicence) {
  auto line = order("RU");
  line.end_user_country = "RU";
  line.end_uses = {"supercomputer"};
  Item item = uncontrolled();
  item.base_eccn = "5A992";
  const auto d = run(line, item);
  EXPECT_EQ(required(d), "yes");
  EXPECT_EQ(policy(d), "policy_of_denial");
  auto fab = order("IR");
  fab.end_uses = {"advanced_node_ic_production"};
  EXPECT_EQ(required(run(fab, uncontrolled())), "yes");
}

// ===== validate_line ===========================================================================

TEST(DecisionValidate, AcceptsAGoodLine) {
  const auto rs = rules_on(kToday);
  auto line = order("HK");
  line.end_user_country = "MO";
  line.end_user_hq_country = "CN";
  line.end_uses = {"supercomputer", "advanced_node_ic_production"};
  const auto s = validate_line(line, test::registry()->countries(), rs.get());
  EXPECT_TRUE(s.is_ok()) << s.message();
}

TEST(DecisionValidate, RejectsUnknownEndUse) {
  // End-use codes must exist in the rule set (license.end_uses: supercomputer,
  // advanced_node_ic_production); an unknown one is an error, never silently ignored.
  const auto rs = rules_on(kToday);
  auto line = order("CN");
  line.end_uses = {"weapons_lab"};
  const auto s = validate_line(line, test::registry()->countries(), rs.get());
  ASSERT_FALSE(s.is_ok());
  EXPECT_EQ(s.message().rfind("end_uses:", 0), 0u) << s.message();
  EXPECT_NE(s.message().find("weapons_lab"), std::string::npos) << s.message();
}

TEST(DecisionValidate, RejectsUnknownCountryCodes) {
  // "XX" is not an ISO 3166-1 alpha-2 code (rules/reference/iso3166-1.toml); an unknown code must be
  // an error, never "no licence required".
  const auto rs = rules_on(kToday);
  const auto& countries = test::registry()->countries();
  ASSERT_FALSE(countries.empty());
  auto s = validate_line(order("XX"), countries, rs.get());
  ASSERT_FALSE(s.is_ok());
  EXPECT_EQ(s.message().rfind("ship_to:", 0), 0u) << s.message();
  EXPECT_NE(s.message().find("XX"), std::string::npos) << s.message();
  auto hq = order("DE");
  hq.end_user_hq_country = "XX";
  s = validate_line(hq, countries, rs.get());
  ASSERT_FALSE(s.is_ok());
  EXPECT_EQ(s.message().rfind("end_user_hq_country:", 0), 0u) << s.message();
}

TEST(DecisionValidate, RejectsMissingShipTo) {
  const auto rs = rules_on(kToday);
  const auto s = validate_line(order(""), test::registry()->countries(), rs.get());
  ASSERT_FALSE(s.is_ok());
  EXPECT_EQ(s.message().rfind("ship_to:", 0), 0u) << s.message();
  EXPECT_NE(s.message().find("required"), std::string::npos) << s.message();
}

// ===== Entity List screening ===================================================================

TEST(DecisionParties, EntityListConsigneeInSingapore) {
  // Uncontrolled item (TPP 800) to SG (A:6): no licence by classification or destination. Consignee
  // "Sugon" is on the Entity List (sample-parties.json; 84 FR 29373): licence for all items subject
  // to the EAR (744.11, Supp. No. 4 to Part 744); no licence exceptions (740.8(b)). The list files
  // carry no review policy, so none is stated.
  auto line = order("SG");
  line.consignee = "Sugon";
  const auto d = run(line, uncontrolled(), "", with_parties());
  EXPECT_EQ(required(d), "yes");
  ASSERT_EQ(d.reasons.size(), 1u);
  EXPECT_EQ(d.reasons[0].kind, Reason::Kind::kEntityList);
  ASSERT_EQ(d.parties.size(), 1u);
  EXPECT_EQ(d.parties[0].list, "bis-entity-list");
  EXPECT_EQ(d.parties[0].name, "Sugon");
  EXPECT_EQ(d.parties[0].country, "China");
  EXPECT_DOUBLE_EQ(d.parties[0].score, 1.0);
  EXPECT_TRUE(d.parties[0].fdp);  // notes cite 734.9(e)
  EXPECT_EQ(d.party_roles.at(0), "consignee");
  EXPECT_TRUE(d.exceptions.empty());
  // Without screening the same line is not "no licence" (the consignee could be listed, and was not
  // checked): undetermined, the reason saying the parties were not screened.
  const auto unscreened = run(line, uncontrolled());
  EXPECT_EQ(required(unscreened), "undetermined");
  ASSERT_EQ(unscreened.reasons.size(), 1u);
  EXPECT_EQ(unscreened.reasons[0].kind, Reason::Kind::kNotScreened);
}

TEST(DecisionParties, EntityListBarsAcaForLevelB) {
  // 3A090.b to VN normally gets ACA (LevelBToVietnamAcaFromApril2024); an Entity-List consignee
  // bars every licence exception (740.8(b)) -> none, ACA traced as blocked.
  auto line = order("VN");
  line.consignee = "Sugon";
  const auto d = run(line, level_b(), "", with_parties());
  EXPECT_EQ(required(d), "yes");
  EXPECT_EQ(count_reasons(d, Reason::Kind::kEntityList), 1u);
  EXPECT_TRUE(d.exceptions.empty());
  const auto* aca = exception_step(d, "ACA");
  ASSERT_NE(aca, nullptr);
  EXPECT_EQ(aca->kind, TestedProvision::Kind::kExceptionBlocked);
}

TEST(DecisionParties, AliasMatchesTheEntry) {
  // "Dawning" is an alias of the Sugon entry; "NSCC-WX" of National Supercomputing Center Wuxi (here
  // as end user).
  auto line = order("SG");
  line.consignee = "Dawning";
  line.end_user = "NSCC-WX";
  const auto d = run(line, uncontrolled(), "", with_parties());
  EXPECT_EQ(required(d), "yes");
  ASSERT_EQ(d.parties.size(), 2u);
  EXPECT_EQ(d.parties[0].name, "Sugon");
  EXPECT_EQ(d.parties[0].matched_name, "Dawning");
  EXPECT_EQ(d.party_roles[0], "consignee");
  EXPECT_EQ(d.parties[1].name, "National Supercomputing Center Wuxi");
  EXPECT_EQ(d.party_roles[1], "end_user");
}

TEST(DecisionParties, CaseAndPunctuationAreNormalised) {
  // normalise(): upper-case letters/digits, every other run one space, trimmed.
  // "huawei technologies co ltd" == "Huawei Technologies Co., Ltd." -> "HUAWEI TECHNOLOGIES CO LTD".
  EXPECT_EQ(ExactAliasScreener::normalise("  Huawei Technologies Co., Ltd. "), "HUAWEI TECHNOLOGIES CO LTD");
  auto line = order("SG");
  line.consignee = "huawei technologies co ltd";
  auto d = run(line, uncontrolled(), "", with_parties());
  ASSERT_EQ(d.parties.size(), 1u);
  EXPECT_EQ(d.parties[0].name, "Huawei Technologies Co., Ltd.");
  EXPECT_EQ(required(d), "yes");
  line.consignee = "SUGON!!";
  d = run(line, uncontrolled(), "", with_parties());
  ASSERT_EQ(d.parties.size(), 1u);
  EXPECT_EQ(d.parties[0].name, "Sugon");
}

TEST(DecisionParties, NameNotOnTheListNoHit) {
  // "Sugon Trading Pte Ltd" and "Acme Computing" are not names or aliases of any entry (exact
  // matching only) -> no hit, no licence for an uncontrolled item to SG.
  for (const char* name : {"Sugon Trading Pte Ltd", "Acme Computing"}) {
    auto line = order("SG");
    line.consignee = name;
    const auto d = run(line, uncontrolled(), "", with_parties());
    EXPECT_TRUE(d.parties.empty()) << name;
    EXPECT_EQ(required(d), "no") << name;
  }
}

// BUG: decide() returns license_required = false before the first rule version (no rule set in
// force) without screening the parties, so an Entity-List consignee is ignored. The Entity List
// requirement (744.16(a), Supp. No. 4 to Part 744) does not depend on the advanced-computing rules:
// Sugon was listed on 24 Jun 2019 (84 FR 29373, sample-parties.json) "for all items subject to the
// EAR". Expected on 2022-01-01 for consignee "Sugon", ship-to SG: licence required, Sugon listed,
// under the Entity List provision of the first version file (marked predates_versions), not a copy.
TEST(DecisionParties, EntityListBeforeFirstRuleVersion) {
  auto line = order("SG", "2022-01-01");
  line.consignee = "Sugon";
  const Item item = uncontrolled();
  auto c = classify::classify(item, day("2022-01-01"), nullptr);
  auto ctx = with_parties();
  ctx.standing = &test::registry()->standing();
  const auto d = decide(line, item, std::move(c), nullptr, ctx);
  EXPECT_EQ(required(d), "yes");
  ASSERT_EQ(d.parties.size(), 1u);
  ASSERT_EQ(d.reasons.size(), 1u);
  ASSERT_EQ(d.reasons[0].kind, Reason::Kind::kEntityList);
  const auto* first = test::registry()->versions().front()->license.party_list("bis-entity-list");
  ASSERT_NE(first, nullptr);
  EXPECT_EQ(d.reasons[0].party_list->citation, first->citation);
  EXPECT_EQ(d.reasons[0].party_list->source.file, first->source.file);
}

// Which licence exceptions survive a listed party is the rule data's to say (744.16(b): "No license
// exceptions are available for exports ... to listed entities ..., except license exceptions for
// items listed in § 740.2(a)(5) ... and ... to the extent specified on the Entity List"): the shipped
// Entity List provision allows none, and a provision allowing one lets exactly that one through.
TEST(DecisionParties, ExceptionsBarredByAListedPartyComeFromTheRuleData) {
  const auto rs = rules_on("2025-06-01", "");
  const auto* el = rs->license.party_list("bis-entity-list");
  ASSERT_NE(el, nullptr);
  EXPECT_TRUE(el->exceptions_allowed.empty());
  ASSERT_FALSE(rs->license.exceptions.empty());
  Reason listed{.kind = Reason::Kind::kEntityList, .party_list = el};
  for (const auto& ex : rs->license.exceptions) {
    const std::string why = exception_barred_by(listed, ex);
    EXPECT_NE(why.find(el->citation), std::string::npos) << ex.id << ": " << why;
  }
  rules::PartyListRule allowing = *el;
  const auto& first = rs->license.exceptions.front();
  allowing.exceptions_allowed = {first.id};
  listed.party_list = &allowing;
  EXPECT_EQ(exception_barred_by(listed, first), "");
  for (std::size_t i = 1; i < rs->license.exceptions.size(); ++i)
    EXPECT_NE(exception_barred_by(listed, rs->license.exceptions[i]), "") << rs->license.exceptions[i].id;
  // An affiliate of a listed party is barred by the same provision.
  const Reason affiliate{.kind = Reason::Kind::kAffiliate, .party_list = el};
  EXPECT_NE(exception_barred_by(affiliate, first).find("Affiliates rule"), std::string::npos);
}

// Review policies are rule data: a licence requirement that no review rule covers gets no policy
// from C++ (formerly "case-by-case by default", citing 742.6(b)(10)); the policy is open and says why.
TEST(DecisionReview, RequirementWithoutAReviewRuleLeavesThePolicyOpen) {
  const std::string scenario = R"toml([scenario]
name = "unreviewed-requirement"
title = "A requirement for France that no review rule covers"
min_version = "2024-12-02"
description = "Test only."

[license.requirements.test-fr]
citation = "test requirement (no review rule)"
text = "A licence is required for 3A090.a items to France."
items = ["3A090.a"]
destinations = { countries = ["FR"] }
)toml";
  auto reg = test::registry()->with_scenario(scenario);
  ASSERT_TRUE(reg) << reg.message();
  const auto rs = reg.value()->resolve(day("2025-06-01"), "unreviewed-requirement");
  ASSERT_TRUE(rs) << rs.message();
  const Item item = datacenter_a();
  auto c = classify::classify(item, day("2025-06-01"), rs.value());
  const auto d = decide(order("FR", "2025-06-01"), item, std::move(c), rs.value(), {});
  EXPECT_EQ(required(d), "yes");
  EXPECT_EQ(policy(d), "none");
  ASSERT_EQ(d.review_open.size(), 1u);
  EXPECT_NE(d.review_open[0].find("test-fr"), std::string::npos) << d.review_open[0];
  EXPECT_NE(d.review_open[0].find("not in the rule data"), std::string::npos) << d.review_open[0];
}

// Without a version in force and without the standing provisions, a screened line cannot be "no
// licence": whether its parties' lists require one is not known (a library caller that leaves out
// DecideContext::standing gets an open answer naming what is missing).
TEST(DecisionParties, NoVersionAndNoStandingProvisionsIsUndetermined) {
  auto line = order("SG", "2022-01-01");
  line.consignee = "Sugon";
  const Item item = uncontrolled();
  auto c = classify::classify(item, day("2022-01-01"), nullptr);
  const auto d = decide(line, item, std::move(c), nullptr, with_parties());
  EXPECT_EQ(required(d), "undetermined");
  ASSERT_FALSE(d.missing.empty());
  EXPECT_NE(d.missing.back().find("no rule version"), std::string::npos) << d.missing.back();
}

// ===== Is-informed letters (744.23(b)) ==========================================================

TEST(DecisionLetters, H20ToChinaNeedsLicenceFromTheLetterDate) {
  // NVIDIA letter (8-K of 9 Apr 2025, regulations.md b.11): the H20 "to China (including HK and
  // Macau) and D:5", informed 2025-04-09. H20-like item is not 3A090 (see h20_like) -> the letter is
  // the only reason; policy case_by_case (letter policy). No CCL exception addresses a letter.
  const auto d = run(order("CN", "2025-04-09"), h20_like(), "", with_letters());
  EXPECT_TRUE(d.classification.eccns.empty());
  EXPECT_EQ(required(d), "yes");
  ASSERT_EQ(d.reasons.size(), 1u);
  EXPECT_EQ(d.reasons[0].kind, Reason::Kind::kLetter);
  EXPECT_EQ(d.reasons[0].letter->id, "nvidia-h20-2025");
  EXPECT_EQ(policy(d), "case_by_case");
  EXPECT_TRUE(d.exceptions.empty());
}

TEST(DecisionLetters, DayBeforeTheLetterNoLicence) {
  // 2025-04-08 < informed 2025-04-09 -> the letter does not bind yet; item not controlled.
  EXPECT_EQ(required(run(order("CN", "2025-04-08"), h20_like(), "", with_letters())), "no");
}

TEST(DecisionLetters, OtherExporterIsNotBound) {
  // The letter binds only its recipient (NVIDIA). Exporter "AMD" -> not bound -> no licence.
  // Recipient matching is case-insensitive: exporter "nvidia" is bound.
  auto line = order("CN", "2025-04-09");
  line.exporter = "AMD";
  EXPECT_EQ(required(run(line, h20_like(), "", with_letters())), "no");
  line.exporter = "nvidia";
  EXPECT_EQ(required(run(line, h20_like(), "", with_letters())), "yes");
}

TEST(DecisionLetters, GermanyNotCovered) {
  // DE is not China/HK/Macau or D:5 and no headquarters given -> letter does not apply.
  EXPECT_EQ(required(run(order("DE", "2025-04-09"), h20_like(), "", with_letters())), "no");
}

TEST(DecisionLetters, ParameterTriggerCatchesUnnamedProduct) {
  // "any other circuits achieving the H20's memory bandwidth (4,000 GB/s)": an unnamed NVIDIA product
  // with DRAM 4000 >= 4000 to HK (named in the letter) -> licence; with DRAM 3999 -> not covered.
  Item other = h20_like();
  other.id = "nvidia-other";
  EXPECT_EQ(required(run(order("HK", "2025-04-09"), other, "", with_letters())), "yes");
  other.memory_bw_gbs = 3999;
  EXPECT_EQ(required(run(order("HK", "2025-04-09"), other, "", with_letters())), "no");
}

TEST(DecisionLetters, HeadquartersInChinaCovered) {
  // "... or to companies headquartered or with an ultimate parent headquartered there": ship-to MY,
  // HQ CN (D:5) -> letter applies by headquarters.
  auto line = order("MY", "2025-04-09");
  line.end_user_hq_country = "CN";
  const auto d = run(line, h20_like(), "", with_letters());
  EXPECT_EQ(required(d), "yes");
  ASSERT_EQ(d.reasons.size(), 1u);
  EXPECT_TRUE(d.reasons[0].by_headquarters);
}

TEST(DecisionLetters, ScenarioSuspendsLetters) {
  // Scenario h20-class-allowed: apply_is_informed_letters = false -> the letter is not applied and
  // the trace says letters are suspended; item not 3A090 -> no licence.
  const auto d = run(order("CN", "2025-04-09"), h20_like(), "h20-class-allowed", with_letters());
  EXPECT_EQ(required(d), "no");
  const bool suspended = std::any_of(d.trace.begin(), d.trace.end(), [](const TestedProvision& t) {
    return t.kind == TestedProvision::Kind::kLettersSuspended;
  });
  EXPECT_TRUE(suspended);
}

// ===== Effective dates =========================================================================

TEST(DecisionEffectiveDates, H800BeforeAndOnNovember17_2023) {
  // H800-like: TPP 15832 (int8 1979), die 814, I/O 400 GB/s. 2023-11-16 (version 2023-01-17): 3A090.a
  // needs bit_tops >= 4800 AND I/O >= 600 (87 FR 62186); 400 < 600 -> not controlled -> no licence
  // to CN. 2023-11-17 (88 FR 73458): TPP 15832 >= 4800 -> 3A090.a -> rs-3a090-a: licence; review
  // d5-macau-denial -> presumption_of_denial; datacenter .a -> no NAC.
  Item h800 = ic(15832, 814, Tri::kTrue, 3350);
  h800.interconnect_bw_gbs = 400;
  const auto before = run(order("CN", "2023-11-16"), h800);
  EXPECT_TRUE(before.classification.eccns.empty());
  EXPECT_EQ(required(before), "no");
  const auto on = run(order("CN", "2023-11-17"), h800);
  EXPECT_EQ(on.classification.eccns, Strings{"3A090.a"});
  EXPECT_EQ(required(on), "yes");
  EXPECT_EQ(policy(on), "presumption_of_denial");
  EXPECT_TRUE(on.exceptions.empty());
}

TEST(DecisionEffectiveDates, MacauAddedJanuary17_2023) {
  // 2022-10-07: rs-prc covers the PRC only; 2023-01-17 (88 FR 2821) adds Macau. An A100-like item
  // (TPP 4992 with I/O 600 -> 2022 3A090.a) to MO: no licence on 2023-01-16, licence on 2023-01-17.
  Item a100 = datacenter_a();
  a100.interconnect_bw_gbs = 600;
  EXPECT_EQ(required(run(order("MO", "2023-01-16"), a100)), "no");
  EXPECT_EQ(required(run(order("MO", "2023-01-17"), a100)), "yes");
}

// ===== Scenarios ===============================================================================

TEST(DecisionScenario, HbmRollbackNoLicence) {
  // hbm-rollback removes 3A090.c: the stack (mbd 2.5) is no advanced-computing item -> no licence to
  // CN on 2026-11-25. Without the scenario: 3A090.c, licence (rs-3a090-c, CN in D:5).
  const auto d = run(order("CN"), hbm_stack(1000, 400), "hbm-rollback");
  EXPECT_TRUE(d.classification.eccns.empty());
  EXPECT_EQ(required(d), "no");
  ASSERT_TRUE(d.rules);
  EXPECT_EQ(d.rules->label(), "2026-11-10+hbm-rollback");  // in force on 2026-11-25
  EXPECT_EQ(required(run(order("CN"), hbm_stack(1000, 400))), "yes");
}

// ===== CLI =====================================================================================

constexpr const char* kCatalogCsv =
    "id,vendor,name,kind,datacenter,dense_tops_int8,die_area_mm2,memory_bw_gbs\n"
    "dc-a,TestVendor,Datacenter A,gpu,yes,624,826,2039\n"
    "small,TestVendor,Small IC,gpu,yes,100,800,\n";

std::vector<nlohmann::json> jsonl(const std::string& out) {
  std::vector<nlohmann::json> lines;
  std::istringstream in(out);
  std::string l;
  while (std::getline(in, l))
    if (!l.empty()) lines.push_back(nlohmann::json::parse(l));
  return lines;
}

// A folder with the test catalog and an order book of `rows` under the full header; returns the folder.
std::string write_book(const std::string& rows) {
  const std::string dir = test::temp_dir();
  test::write_file(dir + "/catalog.csv", kCatalogCsv);
  test::write_file(dir + "/orders.csv",
                   "order_id,line,date,product_id,quantity,value_usd,ship_to,consignee,end_user,end_user_country,end_"
                   "user_hq_country,end_uses\n" +
                       rows);
  return dir;
}

TEST(DecideCli, BadShipToReportedOthersDecided) {
  // Row 3 has ship_to "ZZ" (not ISO 3166-1): reported on stderr as "row 3, column ship_to: ...", and
  // in the output in its place (status "error"), exit 1 (some rows failed); rows 2 and 4 decided: dc-a
  // (3A090.a) to DE -> no licence; to CN (export from US by default, TPP 4992, DRAM 2039) -> licence,
  // case_by_case (h200-lane).
  const std::string dir = write_book(
      "PO-1,1,2026-11-25,dc-a,8,1000,DE,Cloud GmbH,Cloud GmbH,DE,DE,\n"
      "PO-2,1,2026-11-25,dc-a,8,1000,ZZ,Somebody,Somebody,,,\n"
      "PO-3,1,2026-11-25,dc-a,8,1000,CN,Trading Co,AI Lab,CN,CN,\n");
  const auto r = test::run_cli("decide --orders " + dir + "/orders.csv --catalog " + dir +
                               "/catalog.csv --format jsonl --lists " + test::source_path("data/sample-parties.json"));
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.err.find("row 3, column ship_to: "), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("ZZ"), std::string::npos) << r.err;
  auto lines = jsonl(r.out);
  ASSERT_EQ(lines.size(), 3u) << r.out;
  EXPECT_EQ(lines[1]["status"], "error");
  EXPECT_EQ(lines[1]["order_id"], "PO-2");
  EXPECT_EQ(lines[1]["field"], "ship_to");
  lines.erase(lines.begin() + 1);
  for (const auto& j : lines)
    for (const char* key : {"order_id", "line", "date", "eccn", "license_required", "reasons", "review_policy",
                            "exceptions", "parties", "trace"})
      EXPECT_TRUE(j.contains(key)) << key << " missing in " << j.dump();
  EXPECT_EQ(lines[0]["order_id"], "PO-1");
  EXPECT_EQ(lines[0]["license_required"], false);
  EXPECT_EQ(lines[0]["eccn"], nlohmann::json::array({"3A090.a"}));
  EXPECT_EQ(lines[1]["order_id"], "PO-3");
  EXPECT_EQ(lines[1]["license_required"], true);
  EXPECT_EQ(lines[1]["review_policy"], "case_by_case");
  EXPECT_EQ(lines[1]["date"], "2026-11-25");
}

TEST(DecideCli, UnknownProductIdIsARowError) {
  // Row 2 names a product not in the catalog -> "row 2, column product_id: ..."; row 3 (Entity-List
  // consignee "Sugon", uncontrolled item to SG) -> licence via the Entity List, the party listed.
  const std::string dir = write_book(
      "PO-1,1,2026-11-25,no-such-chip,1,10,DE,,,,,\n"
      "PO-2,1,2026-11-25,small,1,10,SG,Sugon,,,,\n");
  const auto r = test::run_cli("decide --orders " + dir + "/orders.csv --catalog " + dir +
                               "/catalog.csv --format jsonl --lists " + test::source_path("data/sample-parties.json"));
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.err.find("row 2, column product_id: "), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("no-such-chip"), std::string::npos) << r.err;
  const auto lines = jsonl(r.out);
  ASSERT_EQ(lines.size(), 2u) << r.out;
  EXPECT_EQ(lines[0]["status"], "error");
  EXPECT_EQ(lines[0]["field"], "product_id");
  EXPECT_EQ(lines[1]["license_required"], true);
  ASSERT_EQ(lines[1]["parties"].size(), 1u);
  EXPECT_EQ(lines[1]["parties"][0]["name"], "Sugon");
  EXPECT_EQ(lines[1]["exceptions"].size(), 0u);
}

// Exit codes, the contract scripts branch on: 0 every line decided, none needing a licence or open;
// 3 every line decided, some needing a licence (or open); 1 some line not decided (before 3).
TEST(DecideCli, ExitCodeSaysWhetherSomethingNeedsAttention) {
  const std::string clear = "PO-1,1,2026-11-25,dc-a,8,1000,DE,,,,,\n";
  const std::string licence = "PO-2,1,2026-11-25,dc-a,8,1000,CN,,,,,\n";
  const std::string bad = "PO-3,1,2026-11-25,dc-a,8,1000,ZZ,,,,,\n";
  auto rc = [&](const std::string& rows) {
    const std::string dir = write_book(rows);
    return test::run_cli("decide --orders " + dir + "/orders.csv --catalog " + dir + "/catalog.csv --format jsonl")
        .exit_code;
  };
  EXPECT_EQ(rc(clear), 0);
  EXPECT_EQ(rc(clear + licence), 3);
  EXPECT_EQ(rc(clear + licence + bad), 1);
  EXPECT_EQ(rc(clear + bad), 1);
}

// The table names the rule version of each line and says why, line by line; --explain adds every
// trace step of the JSON contract under it.
TEST(DecideCli, TableShowsReasonsAndRuleVersionExplainShowsTheTrace) {
  const std::string dir = write_book("PO-2,1,2026-11-25,dc-a,8,1000,CN,,,,,\n");
  const std::string cmd = "decide --orders " + dir + "/orders.csv --catalog " + dir + "/catalog.csv";
  const auto t = test::run_cli(cmd);
  EXPECT_EQ(t.exit_code, 3) << t.err;
  EXPECT_NE(t.out.find(" RULES"), std::string::npos) << t.out;
  EXPECT_NE(t.out.find("2026-11-10"), std::string::npos) << t.out;
  EXPECT_NE(t.out.find("Why, line by line:"), std::string::npos) << t.out;
  EXPECT_NE(t.out.find("PO-2/1 2026-11-25 dc-a: Licence required. (rules 2026-11-10)"), std::string::npos) << t.out;
  EXPECT_NE(t.out.find("3A090.a  required  "), std::string::npos) << t.out;
  EXPECT_NE(t.out.find("  reason: A licence is required for 3A090.a"), std::string::npos) << t.out;
  EXPECT_NE(t.out.find("  review: case_by_case ["), std::string::npos) << t.out;
  EXPECT_EQ(t.out.find("requirement rs-3a090-a: applies"), std::string::npos) << "trace only with --explain";
  const auto e = test::run_cli(cmd + " --explain");
  EXPECT_NE(e.out.find("    requirement rs-3a090-a: applies; ship-to CN is in"), std::string::npos) << e.out;
  EXPECT_NE(e.out.find("    classification: controlled, 3A090.a, tpp 4992"), std::string::npos) << e.out;
  EXPECT_NE(e.out.find("    conclusion: Licence required."), std::string::npos) << e.out;
}

// A line that is not decided is in every output format, in its place among the decisions, with its
// row, field and problem (a user filtering the CSV must see it), and on stderr; exit 1. Rows the order
// book cannot read (a bad date, a short row) name the order and line they hold.
TEST(DecideCli, FailedLinesAppearInEveryFormat) {
  const std::string dir = write_book(
      "PO-1,1,2026-11-25,dc-a,8,1000,DE,,,,,\n"
      "PO-1,2,2026-13-01,dc-a,8,1000,DE,,,,,\n"
      "PO-1,3,2026-11-25,no-such-chip,1,10,DE,,,,,\n"
      "PO-1,4,2026-11-25,dc-a\n"
      "PO-1,5,2026-11-25,dc-a,8,1000,DE,,,,,\n");
  const std::string base = "decide --orders " + dir + "/orders.csv --catalog " + dir + "/catalog.csv --format ";

  const auto j = test::run_cli(base + "jsonl");
  EXPECT_EQ(j.exit_code, 1) << j.err;
  const auto lines = jsonl(j.out);
  ASSERT_EQ(lines.size(), 5u) << j.out;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    EXPECT_EQ(lines[i]["order_id"], "PO-1");
    EXPECT_EQ(lines[i]["line"], std::to_string(i + 1));
  }
  EXPECT_FALSE(lines[0].contains("status"));
  EXPECT_EQ(lines[1]["status"], "error");
  EXPECT_EQ(lines[1]["row"], 3);
  EXPECT_EQ(lines[1]["field"], "date");
  EXPECT_EQ(lines[2]["field"], "product_id");
  EXPECT_NE(lines[2]["problem"].get<std::string>().find("no-such-chip"), std::string::npos);
  EXPECT_EQ(lines[3]["field"], "");
  EXPECT_EQ(lines[3]["error"], "row 5: has 4 fields, the header has 12");
  EXPECT_EQ(lines[4]["license_required"], false);
  EXPECT_NE(j.err.find("row 3, column date: "), std::string::npos) << j.err;

  const auto json = test::run_cli(base + "json");
  EXPECT_EQ(json.exit_code, 1);
  const auto doc = nlohmann::json::parse(json.out);
  ASSERT_EQ(doc["decisions"].size(), 5u);
  EXPECT_EQ(doc["decisions"][2]["status"], "error");
  EXPECT_EQ(doc["summary"]["failed"], 3);

  const auto csv = test::run_cli(base + "csv");
  EXPECT_EQ(csv.exit_code, 1);
  std::istringstream in(csv.out);
  std::vector<std::string> rows;
  for (std::string l; std::getline(in, l);) rows.push_back(l);
  ASSERT_EQ(rows.size(), 6u) << csv.out;
  EXPECT_NE(rows[0].find(",rules,status,error"), std::string::npos) << rows[0];
  EXPECT_NE(rows[1].find(",decided,"), std::string::npos) << rows[1];
  // A licence answer is written as in every text format: required / not required / undetermined.
  EXPECT_NE(rows[1].find(",3A090.a,not required,"), std::string::npos) << rows[1];
  EXPECT_EQ(rows[2].rfind("PO-1,2,", 0), 0u) << rows[2];
  EXPECT_NE(rows[2].find(",error,\"row 3, column date: "), std::string::npos) << rows[2];
  EXPECT_NE(rows[4].find(",error,\"row 5: has 4 fields"), std::string::npos) << rows[4];

  const auto table = test::run_cli(base + "table");
  EXPECT_EQ(table.exit_code, 1);
  EXPECT_NE(table.out.find("Lines not decided:"), std::string::npos) << table.out;
  EXPECT_NE(table.out.find("no-such-chip"), std::string::npos) << table.out;
}

TEST(DecideCli, LettersAndScenarioFlags) {
  // --letters: the H20 line to CN on 2025-04-09 needs a licence (letter); --scenario
  // h20-class-allowed suspends letters -> no licence; --date supplies the date of lines without one.
  const std::string dir = test::temp_dir();
  test::write_file(dir + "/catalog.csv",
                   "id,vendor,name,kind,datacenter,dense_tops_int8,die_area_mm2,memory_bw_gbs\n"
                   "nvidia-h20,NVIDIA,H20,gpu,yes,296,814,4000\n");
  test::write_file(dir + "/orders.csv",
                   "order_id,line,date,product_id,quantity,value_usd,ship_to,consignee,end_user,end_user_country,end_"
                   "user_hq_country,end_uses\n"
                   "PO-1,1,,nvidia-h20,1,10,CN,,,,,\n");
  const std::string base = "decide --orders " + dir + "/orders.csv --catalog " + dir +
                           "/catalog.csv --format jsonl --date 2025-04-09 --letters " +
                           test::source_path("data/sample-letters.toml") + " --lists " +
                           test::source_path("data/sample-parties.json");
  auto r = test::run_cli(base);
  EXPECT_EQ(r.exit_code, 3) << r.err;
  auto lines = jsonl(r.out);
  ASSERT_EQ(lines.size(), 1u) << r.out;
  EXPECT_EQ(lines[0]["license_required"], true);
  EXPECT_EQ(lines[0]["date"], "2025-04-09");
  r = test::run_cli(base + " --scenario h20-class-allowed");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  lines = jsonl(r.out);
  ASSERT_EQ(lines.size(), 1u) << r.out;
  EXPECT_EQ(lines[0]["license_required"], false);
}

}  // namespace
}  // namespace chipgate::license

// Regulatory paths of the licence decision that the second audit found wrong (review policy of the
// headquarters rule and of the Dec 2024 742.6(b)(10), item scope of the end-use controls, the NAC
// notice, embargoes, country-group dates, the Jan 2026 lane on computers, is-informed letters), and
// the open questions settled from the text (mixed-precision TPP, military end use).
//
// Every expected value is worked out by hand from the regulation text quoted above each test (read
// in per-section eCFR copies and Federal Register documents; docs/regulations-verified.md says where)
// and from the rule files, never copied from the program's output.
//
// Items (TPP = int8 rate x 8 bits, exact in binary):
//   H100-like: TPP 15832, die 814 (PD 19.45), datacenter, DRAM 3350 -> 3A090.a (a.1: TPP >= 4800).
//   gaming .a: TPP 5288, die 609, not datacenter: Note 2 needs TPP < 4800 -> still 3A090.a.
//   datacenter .b: TPP 4000, die 1000 (PD 4.0) -> b.1 (2400 <= 4000 < 4800, 1.6 <= 4.0 < 5.92).
//   L40-like: TPP 2896, die 608 (PD 4.76) -> b.1 -> 3A090.b.
//   HBM stack: 1000 GB/s / 400 mm2 = 2.5 GB/s/mm2 > 2 -> 3A090.c (from 2024-12-02).
//   small IC: TPP 800 < 1600 -> below every 3A090 prong (not controlled).

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
#include "classify/metrics.h"
#include "core/date.h"
#include "io/decision_output.h"
#include "license/decision.h"
#include "license/ownership.h"
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

Date day(const std::string& text) {
  auto d = Date::parse(text);
  if (!d) throw std::runtime_error("bad date in test: " + text);
  return d.value();
}

Item ic(double tpp, std::optional<double> die, Tri datacenter, std::optional<double> dram = std::nullopt) {
  Item item;
  item.id = "test-ic";
  item.vendor = "TestVendor";
  item.kind = ItemKind::kIc;
  classify::ProcessingUnit u;
  u.dense_rate[rules::precision_index("int8")] = tpp / 8.0;
  item.units.push_back(u);
  item.die_area_mm2 = die;
  item.datacenter = datacenter;
  item.memory_bw_gbs = dram;
  return item;
}

Item h100_like() { return ic(15832, 814, Tri::kTrue, 3350); }
Item gaming_a() { return ic(5288, 609, Tri::kFalse); }
Item datacenter_b() { return ic(4000, 1000, Tri::kTrue); }
Item l40_like() { return ic(2896, 608, Tri::kTrue, 864); }
Item small_ic(const std::string& base_eccn = "") {
  Item i = ic(800, 800, Tri::kTrue);
  i.base_eccn = base_eccn;
  return i;
}
Item hbm_stack() {
  Item item;
  item.id = "test-hbm";
  item.vendor = "TestMemory";
  item.kind = ItemKind::kHbm;
  item.hbm_stacks = 1;
  item.memory_bw_gbs = 1000;
  item.hbm_stack_area_mm2 = 400;
  return item;
}
Item server_of(const Item& chip) {
  Item c;
  c.id = "test-server";
  c.vendor = "TestVendor";
  c.kind = ItemKind::kComputer;
  c.contained_ic = std::make_shared<const Item>(chip);
  c.contained_id = chip.id;
  c.contained_count = 8;
  return c;
}

OrderLine order(const std::string& ship_to, const std::string& date, const std::string& hq = "") {
  OrderLine l;
  l.order_id = "PO-R";
  l.line = "1";
  l.date = day(date);
  l.product_id = "test";
  l.quantity = 1;
  l.value_usd = 1000;
  l.ship_to = ship_to;
  l.end_user_hq_country = hq;
  return l;
}

const std::vector<rules::Letter>& sample_letters() {
  static const std::vector<rules::Letter> letters = [] {
    auto r = test::registry()->load_letters(test::source_path("data/sample-letters.toml"));
    if (!r) throw std::runtime_error("sample letters failed to load: " + r.message());
    return std::move(r).value();
  }();
  return letters;
}

Decision run(const OrderLine& line, const Item& item, bool letters = false) {
  const auto ok = classify::validate(item);
  if (!ok) throw std::runtime_error("test item invalid: " + ok.message());
  auto rs = test::registry()->resolve(*line.date, "");
  if (!rs) throw std::runtime_error(rs.message());
  auto c = classify::classify(item, *line.date, rs.value());
  DecideContext ctx;
  if (letters) ctx.letters = &sample_letters();
  return decide(line, item, std::move(c), rs.value(), ctx);
}

std::string required(const Decision& d) {
  return !d.license_required ? "undetermined" : *d.license_required ? "yes" : "no";
}
std::string policy(const Decision& d) { return d.review_policy ? rules::review_policy_code(*d.review_policy) : "none"; }
Strings exception_ids(const Decision& d) {
  Strings out;
  for (const auto* e : d.exceptions) out.push_back(e->id);
  return out;
}
int notice(const Decision& d, const std::string& id) {
  for (std::size_t i = 0; i < d.exceptions.size(); ++i)
    if (d.exceptions[i]->id == id) return d.exception_notice_days.at(i);
  return -1;
}
Strings requirement_ids(const Decision& d) {
  Strings out;
  for (const auto& r : d.reasons)
    if (r.requirement) out.push_back(r.requirement->id);
  std::sort(out.begin(), out.end());
  return out;
}
bool has_reason(const Decision& d, Reason::Kind kind) {
  return std::any_of(d.reasons.begin(), d.reasons.end(), [&](const Reason& r) { return r.kind == kind; });
}
bool contains(const Strings& v, const std::string& s) { return std::find(v.begin(), v.end(), s) != v.end(); }
// The review rule the decision applied (kReview, applies), or "".
Strings applied_review_rules(const Decision& d) {
  Strings out;
  for (const auto& t : d.trace)
    if (t.kind == TestedProvision::Kind::kReview && t.applies && t.provision)
      out.push_back(static_cast<const rules::ReviewRule*>(t.provision)->id);
  return out;
}
bool traced(const Decision& d, TestedProvision::Kind kind, const std::string& needle) {
  return std::any_of(d.trace.begin(), d.trace.end(), [&](const TestedProvision& t) {
    return t.kind == kind && t.why.find(needle) != std::string::npos;
  });
}
const TestedProvision* exception_step(const Decision& d, const std::string& id) {
  for (const auto& t : d.trace)
    if ((t.kind == TestedProvision::Kind::kException || t.kind == TestedProvision::Kind::kExceptionBlocked) &&
        static_cast<const rules::LicenseException*>(t.provision)->id == id)
      return &t;
  return nullptr;
}
std::string all_reasons(const Decision& d) {
  std::string s;
  for (const auto& r : d.reasons) s += r.text() + "\n";
  for (const auto& r : d.review_open) s += r + "\n";
  return s;
}

// ===== Defect 2: review policy of the headquarters rule (744.23(d)) ============================

// 744.23(d) as published on 2023-11-17: "Applications will be reviewed with a presumption of denial
// for Macau and destinations specified in Country Group D:5. However, there is a presumption of
// approval ... for end users headquartered in the United States or ... A:5 or A:6 ... For all other
// applications, there is a case-by-case license review policy." Malaysia is in no country group, so
// the licence comes only from 744.23(a)(3)(i) (end user headquartered in China, D:5).
TEST(RegulatoryHeadquarters, MalaysianEndUserHeadquarteredInChinaIsCaseByCaseIn2023Text) {
  const auto d = run(order("MY", "2024-01-10", "CN"), h100_like());
  EXPECT_EQ(required(d), "yes");
  EXPECT_EQ(requirement_ids(d), Strings{"hq-d5-macau"});
  EXPECT_EQ(policy(d), "case_by_case");
  EXPECT_EQ(applied_review_rules(d), Strings{"r744-case-by-case"});
  EXPECT_NE(d.review_citation.find("744.23(d)"), std::string::npos) << d.review_citation;
}

// 744.23(d) from 2024-04-04: "(1) ... presumption of denial for ... any entity headquartered in ...
// Macau or ... D:5, unless either paragraph (d)(2) or (3) applies"; "(3) ... case-by-case ... (i) For
// items specified in ECCN 3A090, 4A090, [.z] ..., except for items designed or marketed for use in a
// datacenter and meeting the parameters of 3A090.a".
TEST(RegulatoryHeadquarters, From2024DatacenterADeniedOtherItemsCaseByCase) {
  const auto dc = run(order("MY", "2024-06-01", "CN"), h100_like());
  EXPECT_EQ(required(dc), "yes");
  EXPECT_EQ(policy(dc), "presumption_of_denial");
  EXPECT_EQ(applied_review_rules(dc), Strings{"r744-d5-macau-denial"});
  EXPECT_TRUE(dc.exceptions.empty());  // NAC never covers datacenter 3A090.a

  const auto gaming = run(order("MY", "2024-06-01", "CN"), gaming_a());
  EXPECT_EQ(policy(gaming), "case_by_case");
  EXPECT_EQ(applied_review_rules(gaming), Strings{"r744-case-by-case-items-a"});
  // 740.8(a) (2024): NAC "to ... an entity headquartered in ... Macau or ... D:5, wherever located";
  // (b) keeps it open for the 744.23(a)(3) requirement; (a)(2)(i) notice due for such an entity.
  EXPECT_EQ(exception_ids(gaming), Strings{"NAC"});
  EXPECT_EQ(notice(gaming, "NAC"), 25);

  const auto b = run(order("MY", "2024-06-01", "CN"), datacenter_b());
  EXPECT_EQ(policy(b), "case_by_case");
  EXPECT_EQ(applied_review_rules(b), Strings{"r744-case-by-case-items-b"});
}

// 744.23(a)(3)(i): "destined to any destination other than those specified in Country Groups D:1, D:4,
// or D:5 (excluding any destination also specified in Country Groups A:5 or A:6)". In Vietnam (D:1)
// the destination requirement applies instead, reviewed under 742.6(b)(10)(ii) (2023 text): "...
// unless the export ... is to an entity headquartered in ... Macau or ... D:5, in which case license
// applications will be reviewed under a presumption of denial".
TEST(RegulatoryHeadquarters, InVietnamTheDestinationRequirementAppliesNotTheHeadquartersRule) {
  const auto d = run(order("VN", "2024-01-10", "CN"), datacenter_b());
  EXPECT_EQ(requirement_ids(d), Strings{"rs-3a090-b"});
  EXPECT_EQ(policy(d), "presumption_of_denial");
  EXPECT_EQ(applied_review_rules(d), Strings{"r742-hq-denial"});
}

// 744.23(d)(2): "presumption of approval for end users headquartered in the United States or ... A:5
// or A:6, that are not majority-owned by an entity headquartered in either Macau or ... D:5". An
// advanced-node production end use in China covers "Any items subject to the EAR" (744.23(a)(2)(i)).
TEST(RegulatoryHeadquarters, EndUserHeadquarteredInGermanyGetsApprovalAndTheAssumptionIsTraced) {
  auto line = order("CN", "2024-06-01", "DE");
  line.end_uses = {"advanced_node_ic_production"};
  const auto d = run(line, small_ic());
  EXPECT_EQ(required(d), "yes");
  EXPECT_EQ(policy(d), "presumption_of_approval");
  EXPECT_TRUE(traced(d, TestedProvision::Kind::kAssumption, "majority"));
  // Headquartered in China: (d)(1) denial (a not-controlled item is not in (d)(3)(i)).
  line.end_user_hq_country = "CN";
  EXPECT_EQ(policy(run(line, small_ic())), "presumption_of_denial");
}

// ===== Defect 2: 742.6(b)(10) of December 2024 ===================================================

// 742.6(b)(10)(ii) (89 FR 96790): "presumption of approval ... for items specified in paragraph
// (a)(6)(i)(B) to or within Macau or ... D:5 ... for entities neither headquartered in nor whose
// ultimate parent company is headquartered in either Macau or ... D:5. There is a presumption of
// denial policy for all other license applications."
TEST(RegulatoryDec2024, HbmForKoreanHeadquarteredPackagerInChinaIsApproval) {
  const auto kr = run(order("CN", "2024-12-10", "KR"), hbm_stack());
  EXPECT_EQ(kr.classification.eccns, Strings{"3A090.c"});
  EXPECT_EQ(requirement_ids(kr), Strings{"rs-3a090-c"});
  EXPECT_EQ(policy(kr), "presumption_of_approval");
  EXPECT_EQ(exception_ids(kr), Strings{"HBM"});  // 740.25: density 2.5 < 3.3
  EXPECT_EQ(policy(run(order("CN", "2024-12-10", "CN"), hbm_stack())), "presumption_of_denial");
  // Headquarters not given: whether the entity is headquartered outside Macau/D:5 is unknown, so the
  // policy is undetermined between approval and denial, with the reason.
  const auto unknown = run(order("CN", "2024-12-10"), hbm_stack());
  EXPECT_EQ(required(unknown), "yes");
  EXPECT_EQ(policy(unknown), "none");
  ASSERT_FALSE(unknown.review_open.empty());
  EXPECT_NE(unknown.review_open[0].find("headquarters is not given"), std::string::npos) << unknown.review_open[0];
}

// 742.6(b)(10)(iii)(B): "presumption of denial ... to or within ... D:5 or Macau ... unless ... case-
// by-case ...: (1) The commodity meets the parameters of 3A090.a and is not designed or marketed for
// use in a datacenter; or (2) The commodity meets the parameters of 3A090.b and is designed or
// marketed for use in a datacenter."
TEST(RegulatoryDec2024, GamingAAndDatacenterBToChinaAreCaseByCaseDatacenterAIsDenial) {
  const auto gaming = run(order("CN", "2024-12-10"), gaming_a());
  EXPECT_EQ(policy(gaming), "case_by_case");
  EXPECT_EQ(applied_review_rules(gaming), Strings{"r742-case-by-case-a-not-datacenter"});
  const auto b = run(order("CN", "2024-12-10"), datacenter_b());
  EXPECT_EQ(policy(b), "case_by_case");
  EXPECT_EQ(applied_review_rules(b), Strings{"r742-case-by-case-b-datacenter"});
  EXPECT_EQ(policy(run(order("CN", "2024-12-10"), h100_like())), "presumption_of_denial");
  // The same (B)(2) reading for an entity headquartered in China located in Vietnam (D:1).
  const auto vn = run(order("VN", "2024-12-10", "CN"), datacenter_b());
  EXPECT_EQ(policy(vn), "case_by_case");
  EXPECT_EQ(exception_ids(vn), Strings{"NAC"});  // ACA is closed to D:5-headquartered parties
}

// 742.6(b)(10)(iii)(A): "presumption of approval for ... items ... to or within destinations other
// than Country Group D:5 or Macau or to entities not headquartered in ... D:5 or Macau."
TEST(RegulatoryDec2024, VietnameseEndUserIsApproval) {
  const auto d = run(order("VN", "2024-12-10", "VN"), datacenter_b());
  EXPECT_EQ(policy(d), "presumption_of_approval");
  EXPECT_EQ(exception_ids(d), Strings{"ACA"});
}

// From 2025-01-13 the AI Diffusion text of 742.6(b)(10)(iii)(A)(1) ("... to or within Macau or ...
// D:5 ... will be reviewed under a presumption of denial") is codified but not enforced (BIS,
// 13 May 2025): the pre-existing (B)(1) case-by-case applies, and the trace shows what the codified
// text would give.
TEST(RegulatoryDec2024, AiDiffusionReviewIsShownNotApplied) {
  const auto d = run(order("CN", "2025-06-01"), gaming_a());
  EXPECT_EQ(policy(d), "case_by_case");
  EXPECT_TRUE(traced(d, TestedProvision::Kind::kReviewNotEnforced, "would give presumption_of_denial"));
}

// ===== Defect 3: item scope of the end-use controls (744.23(a)) ================================

// 744.23(a)(1)(i): "(A) An integrated circuit (IC) subject to the EAR and specified in ECCN 3A001,
// 3A991, 4A994, 5A002, 5A004, or 5A992; or (B) A computer, 'electronic assembly,' or 'component' ...
// specified in ECCN 4A003, 4A004, 4A994, 5A002, 5A004, or 5A992." A 3A090 item is not in it (its
// licence comes from its own ECCN); a 5A992 IC is; an IC whose ECCN chipgate does not know is open.
TEST(RegulatoryEndUseScope, SupercomputerReachesA5A992IcNotA3A090Item) {
  auto line = order("CN", "2026-11-25");
  line.end_uses = {"supercomputer"};
  const auto b = run(line, datacenter_b());
  EXPECT_FALSE(has_reason(b, Reason::Kind::kEndUse));
  EXPECT_EQ(requirement_ids(b), Strings{"rs-3a090-b"});
  EXPECT_EQ(policy(b), "case_by_case");         // 742.6(b)(10)(iii)(B)(2)
  EXPECT_EQ(exception_ids(b), Strings{"NAC"});  // not barred: no Part 744 requirement applies
  EXPECT_TRUE(traced(b, TestedProvision::Kind::kEndUse, "outside the item scope"));

  const auto z = run(line, small_ic("5A992"));
  ASSERT_TRUE(has_reason(z, Reason::Kind::kEndUse));
  EXPECT_EQ(required(z), "yes");
  EXPECT_EQ(policy(z), "presumption_of_denial");  // 744.23(d)(1): China is D:5

  const auto unknown = run(line, small_ic());
  EXPECT_EQ(required(unknown), "undetermined");
  EXPECT_TRUE(contains(unknown.missing, "base_eccn"));
  EXPECT_TRUE(has_reason(unknown, Reason::Kind::kUndeterminedScope));
  EXPECT_NE(all_reasons(unknown).find("744.23(a)(1)"), std::string::npos) << all_reasons(unknown);
}

TEST(RegulatoryEndUseScope, SupercomputerReachesA4A994Computer) {
  // (B): computers in 4A994. A server of small ICs declared as 4A994, for a supercomputer in China.
  auto line = order("CN", "2026-11-25");
  line.end_uses = {"supercomputer"};
  Item server = server_of(small_ic());
  server.base_eccn = "4A994";
  const auto d = run(line, server);
  EXPECT_EQ(required(d), "yes");
  EXPECT_TRUE(has_reason(d, Reason::Kind::kEndUse));
  // A 3A991 IC is in (A) but a 3A991 "computer" is not in (B).
  Item odd = server_of(small_ic());
  odd.base_eccn = "3A991";
  EXPECT_EQ(required(run(line, odd)), "no");
}

// 744.23(a)(2)(i): "Any items subject to the EAR when you know the items will be used in the
// 'development' or 'production' of ICs destined to a 'facility' located in Macau or ... D:5 where
// 'production' of 'advanced-node ICs' occurs" -- any item, even one whose ECCN is unknown.
TEST(RegulatoryEndUseScope, AdvancedNodeProductionReachesAnyItem) {
  auto line = order("MO", "2026-11-25");
  line.end_uses = {"advanced_node_ic_production"};
  const auto d = run(line, small_ic());
  EXPECT_EQ(required(d), "yes");
  EXPECT_EQ(policy(d), "presumption_of_denial");  // (d)(1): Macau
}

// ===== Defect 4: the NAC notice (740.8(a)(2)) ==================================================

// 740.8 of 2023-11-17: "(2) Notification to BIS. Prior to any exports or reexports to Macau or a
// destination specified in Country Group D:5, the exporter ... must notify BIS" -- not before exports
// to D:1/D:4 destinations. From 2024-04-04 (a)(2)(i): "Prior to any exports or reexports to Macau or
// ... D:5 or to an entity headquartered in ... Macau or ... D:5, wherever located".
TEST(RegulatoryNacNotice, NoNoticeToD1DestinationBeforeApril2024) {
  const auto vn = run(order("VN", "2024-01-10"), datacenter_b());
  EXPECT_EQ(exception_ids(vn), Strings{"NAC"});
  EXPECT_EQ(notice(vn, "NAC"), 0);
  const auto cn = run(order("CN", "2024-01-10"), datacenter_b());
  EXPECT_EQ(notice(cn, "NAC"), 25);
  // On 2024-05-01 Vietnam takes ACA (no notice) and NAC no longer reaches it.
  const auto later = run(order("VN", "2024-05-01"), datacenter_b());
  EXPECT_EQ(exception_ids(later), Strings{"ACA"});
  EXPECT_EQ(notice(later, "ACA"), 0);
}

TEST(RegulatoryNacNotice, HeadquarteredEntitiesJoinedTheNoticeDutyOnApril4_2024) {
  // Malaysia, end user headquartered in China: NAC by headquarters both days; notice only from
  // 2024-04-04.
  const auto before = run(order("MY", "2024-01-10", "CN"), gaming_a());
  EXPECT_EQ(exception_ids(before), Strings{"NAC"});
  EXPECT_EQ(notice(before, "NAC"), 0);
  const auto after = run(order("MY", "2024-05-01", "CN"), gaming_a());
  EXPECT_EQ(notice(after, "NAC"), 25);
}

TEST(RegulatoryNacNotice, JsonShowsTheNoticeOnlyWhereDue) {
  const auto line = order("VN", "2024-01-10");
  const auto vn = io::decision_to_json(line, run(line, datacenter_b()), "");
  ASSERT_EQ(vn["exceptions"].size(), 1u);
  EXPECT_FALSE(vn["exceptions"][0].contains("notification_days")) << vn["exceptions"].dump();
  const auto cn_line = order("CN", "2024-01-10");
  const auto cn = io::decision_to_json(cn_line, run(cn_line, datacenter_b()), "");
  ASSERT_EQ(cn["exceptions"].size(), 1u);
  EXPECT_EQ(cn["exceptions"][0]["notification_days"], 25);
}

// ===== Defect 5: embargoes and the exceptions they bar =========================================

// 746.8(a)(1): "a license is required ... to export ... to or within Russia or Belarus any item subject
// to the EAR and specified in any ECCN on the CCL"; (b)(1) "With limited exceptions, applications ...
// will be reviewed with a policy of denial"; (c) lists the only exceptions (TMP, GOV, TSU, BAG, AVS,
// ENC, CCD). 740.8(b): "No exports ... under License Exception NAC or ACA that are subject to a
// license requirement under part 744 or 746".
TEST(RegulatoryEmbargo, L40ToRussiaNeedsALicenceWithoutNac) {
  const auto d = run(order("RU", "2026-11-25"), l40_like());
  EXPECT_EQ(d.classification.eccns, Strings{"3A090.b"});
  EXPECT_EQ(required(d), "yes");
  EXPECT_TRUE(has_reason(d, Reason::Kind::kEmbargo));
  EXPECT_EQ(policy(d), "policy_of_denial");
  EXPECT_TRUE(d.exceptions.empty());
  const auto* nac = exception_step(d, "NAC");
  ASSERT_NE(nac, nullptr);
  EXPECT_EQ(nac->kind, TestedProvision::Kind::kExceptionBlocked);
  EXPECT_NE(nac->why.find("russia-belarus"), std::string::npos) << nac->why;
}

TEST(RegulatoryEmbargo, RussiaReachesKnownEccnsAndLeavesUnknownOnesOpen) {
  EXPECT_EQ(required(run(order("RU", "2026-11-25"), small_ic("5A992"))), "yes");
  const auto unknown = run(order("RU", "2026-11-25"), small_ic());
  EXPECT_EQ(required(unknown), "undetermined");
  EXPECT_TRUE(contains(unknown.missing, "base_eccn"));
  // EAR99: not "in any ECCN", but reached by HTS code through 746.5/746.10, which is not encoded.
  EXPECT_EQ(required(run(order("BY", "2026-11-25"), small_ic("EAR99"))), "undetermined");
}

TEST(RegulatoryEmbargo, HbmExceptionBarredToRussia) {
  // 3A090.c to RU (D:5): licence by 742.6(a)(6)(i)(B) and 746.8; License Exception HBM is not among
  // the exceptions of 746.8(c).
  const auto d = run(order("RU", "2026-11-25"), hbm_stack());
  EXPECT_EQ(required(d), "yes");
  EXPECT_TRUE(d.exceptions.empty());
}

// 746.7(a)(1)(i) and (e): a licence for CCL items and OFAC authorization for the rest; (b) "Licenses
// for other purposes generally will be denied"; (c) "No license exceptions may be used for exports or
// reexports to Iran." 746.2(a) Cuba: "a license to export or reexport all items subject to the EAR";
// (b) "general policy of denial". 746.4(a) North Korea: "any item subject to the EAR ... except food and
// medicines classified as EAR99"; (b)(5) sends the policy for other CCL items to 742.19(b), whose (b)(1)
// (eCFR of Jan 2020) reads "Applications for export and reexport to all end-users in North Korea of the
// following items will generally be denied: ... (xviii) Digital computers with an Adjusted Peak
// Performance (APP) exceeding 0.0004 Weighted TeraFLOPS (WT). (xix) Microprocessors with a processing
// speed of 0.5 GFLOPS or above." A 3A090 chip is read as such a microprocessor: policy of denial.
// An item of unknown classification gets no policy, and the trace says why.
TEST(RegulatoryEmbargo, IranCubaNorthKoreaReachEveryItem) {
  for (const char* dest : {"IR", "CU"}) {
    const auto d = run(order(dest, "2026-11-25"), small_ic());
    EXPECT_EQ(required(d), "yes") << dest;
    EXPECT_EQ(policy(d), "policy_of_denial") << dest;
  }
  const auto kp = run(order("KP", "2026-11-25"), small_ic());
  EXPECT_EQ(required(kp), "yes");
  EXPECT_EQ(policy(kp), "none");
  EXPECT_TRUE(traced(kp, TestedProvision::Kind::kReview, "742.19(b)"));
  const auto chip = run(order("KP", "2026-11-25"), l40_like());
  EXPECT_EQ(required(chip), "yes");
  EXPECT_EQ(policy(chip), "policy_of_denial");
  EXPECT_NE(chip.review_citation.find("742.19(b)(1)"), std::string::npos) << chip.review_citation;
  EXPECT_TRUE(chip.exceptions.empty());
  // Encoded in the first version and inherited: the day the L40 became 3A090 (2023-11-17) it applies.
  EXPECT_EQ(policy(run(order("KP", "2023-11-17"), l40_like())), "policy_of_denial");
}

// 746.9(c)(1) (2014 text): "all license applications for export or reexport to Syria are subject to a
// general policy of denial"; 90 FR 42315 (effective 2025-09-02) relaxed the review policy while
// keeping the licence requirement for all items but EAR99 food and medicine.
TEST(RegulatoryEmbargo, SyriaReviewRelaxedOnSeptember2_2025) {
  EXPECT_EQ(policy(run(order("SY", "2025-09-01"), small_ic())), "policy_of_denial");
  const auto after = run(order("SY", "2025-09-02"), small_ic());
  EXPECT_EQ(required(after), "yes");
  EXPECT_EQ(policy(after), "case_by_case");
}

// ===== Defect 6: country-group dates ===========================================================

// 89 FR 18780 (effective 2024-03-15): "BIS adds Nicaragua to Country Group D:5" (and moves it from B
// to D:1). Before, Nicaragua was in no D group: no licence for 3A090 items by destination.
TEST(RegulatoryCountryGroups, NicaraguaFromMarch15_2024) {
  EXPECT_EQ(required(run(order("NI", "2024-03-14"), datacenter_b())), "no");
  const auto on = run(order("NI", "2024-03-15"), datacenter_b());
  EXPECT_EQ(required(on), "yes");
  EXPECT_EQ(policy(on), "presumption_of_denial");  // 742.6(b)(10)(ii): D:5
  EXPECT_EQ(exception_ids(on), Strings{"NAC"});
  EXPECT_EQ(notice(on, "NAC"), 25);
}

// D:5 follows ITAR 126.1: State removed Cambodia effective 2025-11-07; the EAR's conforming change
// ("Cambodia is no longer a Country Group D:5 country") took effect 2026-02-03. chipgate applies the
// ITAR date and says so in the trace. Cambodia stays in D:1: licence by destination throughout.
TEST(RegulatoryCountryGroups, CambodiaLeftD5WithItar126_1) {
  const auto before = run(order("KH", "2025-11-06"), h100_like());
  EXPECT_EQ(required(before), "yes");
  EXPECT_EQ(policy(before), "presumption_of_denial");  // (iii)(B): D:5
  const auto after = run(order("KH", "2025-11-07"), h100_like());
  EXPECT_EQ(required(after), "yes");
  EXPECT_EQ(policy(after), "presumption_of_approval");  // (iii)(A)
  EXPECT_EQ(exception_ids(run(order("KH", "2025-11-06"), datacenter_b())), Strings{"NAC"});
  EXPECT_EQ(exception_ids(run(order("KH", "2025-11-07"), datacenter_b())), Strings{"ACA"});
  const auto line = order("KH", "2025-12-01");
  const auto j = io::decision_to_json(line, run(line, h100_like()), "");
  bool noted = false;
  for (const auto& step : j["trace"])
    if (step["step"] == "destination" && step.contains("country_notes"))
      noted = step["country_notes"][0].get<std::string>().find("ITAR") != std::string::npos;
  EXPECT_TRUE(noted) << j["trace"].dump();
}

// ===== Defect 7: the January 2026 lane and computers ===========================================

// 91 FR 1684: case-by-case instead of presumption of denial for exports from the United States to
// China or Macau of "the Nvidia H200 and its equivalents, as well as less advanced chips" (TPP <
// 21,000, total DRAM bandwidth < 6,500 GB/s). A server has no TPP of its own: chipgate reads its IC's
// and says so.
TEST(RegulatoryLane, EightGpuH200ServerToChinaReadsTheContainedIc) {
  const Item h200 = ic(15832, 814, Tri::kTrue, 4800);
  const auto d = run(order("CN", "2026-02-01"), server_of(h200));
  EXPECT_EQ(d.classification.eccns, Strings{"4A090.a"});
  EXPECT_EQ(requirement_ids(d), Strings{"rs-3a090-a"});
  EXPECT_EQ(policy(d), "case_by_case");
  EXPECT_EQ(applied_review_rules(d), Strings{"h200-lane"});
  EXPECT_TRUE(traced(d, TestedProvision::Kind::kReview, "read from the contained IC"));
  EXPECT_TRUE(traced(d, TestedProvision::Kind::kAssumption, "semiconductors"));
  // A Blackwell-class IC (TPP 36000 >= 21000) falls outside the lane: (iii)(B) denial.
  EXPECT_EQ(policy(run(order("CN", "2026-02-01"), server_of(ic(36000, 1600, Tri::kTrue, 7700)))),
            "presumption_of_denial");
  // Exported from Germany: the lane covers exports from the United States only.
  auto abroad = order("CN", "2026-02-01");
  abroad.export_from = "DE";
  EXPECT_EQ(policy(run(abroad, server_of(h200))), "presumption_of_denial");
}

TEST(RegulatoryLane, UnknownDramBandwidthLeavesThePolicyOpenNotDenied) {
  // TPP 4992 < 21000 but no DRAM bandwidth: the lane may or may not apply; the next rule is denial.
  const auto d = run(order("CN", "2026-02-01"), ic(4992, 826, Tri::kTrue));
  EXPECT_EQ(required(d), "yes");
  EXPECT_EQ(policy(d), "none");
  ASSERT_FALSE(d.review_open.empty());
  EXPECT_NE(d.review_open[0].find("dram_bw"), std::string::npos) << d.review_open[0];
}

// ===== Defect 8: is-informed letters and citations =============================================

// NVIDIA's 8-K of 24 Oct 2023: the US government informed NVIDIA on 23 Oct 2023 that the licence
// requirements of the 17 Oct 2023 rule applied at once to A100, A800, H100, H800 and L40S.
TEST(RegulatoryLetters, H800ToChinaFromOctober23_2023ForNvidia) {
  Item h800 = ic(15832, 814, Tri::kTrue, 3350);
  h800.id = "nvidia-h800-sxm5";
  h800.vendor = "NVIDIA";
  h800.interconnect_bw_gbs = 400;  // under the 2022 test: 400 < 600 GB/s -> not 3A090
  EXPECT_EQ(required(run(order("CN", "2023-10-22"), h800, true)), "no");
  const auto on = run(order("CN", "2023-10-23"), h800, true);
  EXPECT_EQ(required(on), "yes");
  ASSERT_EQ(on.reasons.size(), 1u);
  EXPECT_EQ(on.reasons[0].letter->id, "nvidia-oct-2023-d5");
  EXPECT_EQ(policy(on), "presumption_of_denial");
  EXPECT_EQ(policy(run(order("VN", "2023-11-01"), h800, true)), "presumption_of_approval");
  // From 2023-11-17 the rule itself applies and the letter has ended.
  const auto rule = run(order("CN", "2023-11-17"), h800, true);
  EXPECT_FALSE(has_reason(rule, Reason::Kind::kLetter));
  EXPECT_EQ(requirement_ids(rule), Strings{"rs-3a090-a"});
  // Another exporter is not bound by NVIDIA's letter.
  auto other = order("CN", "2023-11-01");
  other.exporter = "Example OEM";
  EXPECT_EQ(required(run(other, h800, true)), "no");
}

TEST(RegulatoryCitations, LicenceProvisionsCiteTheRegulationNotResearchNotes) {
  // Every licence provision of every version cites the regulation (or the rule), never the project's
  // research notes or an "unverified" mark; version titles are the rules' Federal Register titles.
  for (const auto& rs : test::registry()->versions()) {
    std::vector<std::pair<std::string, std::string>> cites;
    for (const auto& r : rs->license.requirements) cites.emplace_back(r.id, r.citation + r.text);
    for (const auto& r : rs->license.review) cites.emplace_back(r.id, r.citation + r.text);
    for (const auto& e : rs->license.exceptions) cites.emplace_back(e.id, e.citation);
    for (const auto& e : rs->license.end_uses) cites.emplace_back(e.code, e.citation + e.text);
    for (const auto& e : rs->license.embargoes) cites.emplace_back(e.id, e.citation + e.policy_citation);
    // Country notes and the Affiliates rule's status are quoted in traces too.
    for (const auto& [country, note] : rs->license.country_notes) cites.emplace_back(country, note);
    if (rs->license.affiliates)
      cites.emplace_back("affiliates", rs->license.affiliates->citation + rs->license.affiliates->text +
                                           rs->license.affiliates->status);
    for (const auto& [id, text] : cites) {
      EXPECT_EQ(text.find("regulations.md"), std::string::npos) << rs->version.id << " " << id << ": " << text;
      EXPECT_EQ(text.find("unverified"), std::string::npos) << rs->version.id << " " << id << ": " << text;
      // The research notes' source marks: "[S]", "[S: Fenwick; ...]", "[S, quoted by ...]".
      EXPECT_EQ(text.find("[S"), std::string::npos) << rs->version.id << " " << id << ": " << text;
    }
  }
  const auto title = [](const char* id) { return test::registry()->version(id)->version.title; };
  EXPECT_EQ(title("2024-03-15"),
            "Revisions To Export, Reexport, and Transfer (In-Country) Controls for Nicaragua Under the Export "
            "Administration Regulations");
  EXPECT_EQ(title("2024-05-30"), "Conforming and Clarifying Changes to the Export Administration Regulations (EAR)");
  EXPECT_EQ(title("2025-09-02"), "Relaxing Export Controls for Syria");
  // FR Doc 2026-02262, published 2026-02-04.
  EXPECT_EQ(title("2026-02-03"), "Conforming Change to the Export Administration Regulations for Cambodia");
  // FR Doc 2025-19822 (Department of State), published 2025-11-07.
  EXPECT_EQ(title("2025-11-07").rfind("International Traffic in Arms Regulations: Changes to Section 126.1", 0), 0u);
  // The two provisions the text confirmed lost their marks: 742.6(b)(10)(ii) of April 2024 for the
  // D:1/D:4 approval, 744.23(a)(3)(i)(B) of December 2024 for the HBM headquarters requirement.
  const auto approval = std::find_if(test::registry()->version("2024-04-04")->license.review.begin(),
                                     test::registry()->version("2024-04-04")->license.review.end(),
                                     [](const rules::ReviewRule& r) { return r.id == "r742-approval"; });
  ASSERT_NE(approval, test::registry()->version("2024-04-04")->license.review.end());
  EXPECT_NE(approval->citation.find("742.6(b)(10)(ii)"), std::string::npos);
  for (const auto& r : test::registry()->version("2024-12-02")->license.requirements)
    if (r.id == "hq-d5-macau-hbm") {
      EXPECT_NE(r.citation.find("744.23(a)(3)(i)(B)"), std::string::npos);
    }
}

// ===== Open questions ===========================================================================

// Technical Note 1.d: "'TPP' = TPP1 + TPP2 + ... + TPPn (where n is the number or processing units on
// the integrated circuit)"; Note 2: "The rate of 'MacTOPS' is to be calculated at its maximum value
// theoretically possible". Units peaking at different precisions: each unit at its highest TPP,
// summed -- unit A int8 100 x 8 = 800, unit B fp16 60 x 16 = 960 -> 1760 (not 960), flagged.
TEST(RegulatoryMixedPrecision, UnitsPeakingAtDifferentPrecisionsAreSummedAndFlagged) {
  Item item;
  item.id = "hetero";
  item.kind = ItemKind::kIc;
  item.datacenter = Tri::kTrue;
  item.die_area_mm2 = 500;
  classify::ProcessingUnit a, b;
  a.dense_rate[rules::precision_index("int8")] = 100;
  b.dense_rate[rules::precision_index("fp16_bf16")] = 60;
  item.units = {a, b};
  const auto rs = test::registry()->resolve(day("2026-11-25"), "").value();
  const auto c = classify::classify(item, day("2026-11-25"), rs);
  ASSERT_TRUE(c.metrics.tpp.has_value());
  EXPECT_DOUBLE_EQ(*c.metrics.tpp, 1760.0);
  EXPECT_TRUE(c.metrics.tpp_mixed);
  EXPECT_DOUBLE_EQ(*c.metrics.tpp_single_precision, 960.0);
  // 1760 >= 1600 and PD 1760 / 500 = 3.52 in [3.2, 5.92): 3A090.b.2 (960 would be below every prong).
  EXPECT_EQ(c.eccns, Strings{"3A090.b"});
  EXPECT_NE(classify::describe_derivation("tpp", item, c.metrics).find("mixed precision"), std::string::npos);
}

// 744.21(a): a licence for items in Supp. No. 2 to Part 744 "if ... you have 'knowledge' ... that the
// item is intended, entirely or in part, for a 'military end use' ... or 'military end user'" in the
// listed countries; (e)(3): "Applications for items requiring a license for any reason that are
// destined to [them] for a 'military end use' or 'military end user' also will be subject to the review
// policy stated in paragraph (e)(1)" (presumption of denial); (c): only License Exception GOV.
TEST(RegulatoryMilitary, MilitaryEndUseNeverComesOutNoLicence) {
  auto line = order("CN", "2026-11-25");
  line.end_uses = {"military"};
  const auto chip = run(line, ic(4992, 826, Tri::kTrue, 2039));
  EXPECT_EQ(required(chip), "yes");
  EXPECT_EQ(policy(chip), "presumption_of_denial");  // stricter than the lane's case_by_case
  EXPECT_TRUE(chip.exceptions.empty());
  const auto other = run(line, small_ic());
  EXPECT_EQ(required(other), "undetermined");
  EXPECT_NE(all_reasons(other).find("Supp. No. 2 to Part 744"), std::string::npos) << all_reasons(other);
  // NAC would be offered for a .b item to China; the military end use bars it.
  const auto b = run(line, datacenter_b());
  EXPECT_TRUE(b.exceptions.empty());
  // Outside the 744.21 countries the control does not apply.
  auto de = order("DE", "2026-11-25");
  de.end_uses = {"military"};
  EXPECT_EQ(required(run(de, small_ic())), "no");
  // Nicaragua joined the 744.21 countries on 2024-03-15 (89 FR 18780).
  auto ni = order("NI", "2024-03-14");
  ni.end_uses = {"military"};
  EXPECT_EQ(required(run(ni, small_ic())), "no");
  ni.date = day("2024-03-15");
  EXPECT_EQ(required(run(ni, small_ic())), "undetermined");
}

// 744.21(a)(2) (as amended to 89 FR 68543, eCFR): "you may not export, reexport, or transfer
// (in-country) any item subject to the EAR ... to Belarus or Russia without a license if ... you have
// 'knowledge' ... that the item is intended, entirely or in part, for a 'military end use' or 'military
// end user'"; (e)(1): applications under (a)(2) "will be reviewed with a policy of denial". So an EAR99
// chip, which 746.8 reaches only by HTS code (not encoded: "undetermined" without the end use), needs
// a licence once a military end use in Russia or Belarus is declared; Supp. No. 2 does not matter there.
TEST(RegulatoryMilitary, RussiaAndBelarusMilitaryEndUseCoversAnyItemWithPolicyOfDenial) {
  for (const char* country : {"RU", "BY"}) {
    SCOPED_TRACE(country);
    auto line = order(country, "2026-11-25");
    line.end_uses = {"military"};
    const auto ear99 = run(line, small_ic("EAR99"));
    EXPECT_EQ(required(ear99), "yes");
    EXPECT_EQ(policy(ear99), "policy_of_denial");
    EXPECT_TRUE(ear99.exceptions.empty());
    EXPECT_NE(all_reasons(ear99).find("744.21(a)(2)"), std::string::npos) << all_reasons(ear99);
    EXPECT_EQ(all_reasons(ear99).find("Supp. No. 2 to Part 744"), std::string::npos) << all_reasons(ear99);
    // An unclassified chip: the end use alone settles it (any item), not "undetermined".
    EXPECT_EQ(required(run(line, small_ic())), "yes");
    // A 3A090 chip: (e)(3) policy of denial for a licence required for any reason.
    EXPECT_EQ(policy(run(line, l40_like())), "policy_of_denial");
    // The first version already has it (Russia from 2022-02-24, Belarus from 2022-03-02).
    line.date = day("2022-10-07");
    EXPECT_EQ(required(run(line, small_ic("EAR99"))), "yes");
  }
  // China stays under (a)(1): only the items of Supp. No. 2, a list of ECCNs (not encoded), so an EAR99
  // chip is outside it and an unclassified one is open.
  auto cn = order("CN", "2026-11-25");
  cn.end_uses = {"military"};
  EXPECT_EQ(required(run(cn, small_ic("EAR99"))), "no");
  EXPECT_EQ(required(run(cn, small_ic())), "undetermined");
}

// 744.21(b) and Supp. No. 7 to Part 744: a party on the Military End-User List is a 'military end user'
// for whom a licence is required for "items listed in supplement no. 2 to part 744", whatever end use
// the exporter declares. Before, a chip of unknown or non-3A090 ECCN sold to an MEU-listed Chinese
// entity came out "no licence". Supp. No. 2 (a list of ECCNs) is not encoded: an item with an ECCN
// or none known is undetermined, an EAR99 item is outside it.
TEST(RegulatoryMilitary, PartyOnTheMilitaryEndUserListNeverGivesNoLicenceForAnEccnItem) {
  const auto screener =
      ExactAliasScreener::load({test::shared_data("lists/bis-and-others_nsfreg/bis_meu.json")}).value();
  auto decide_for = [&](const std::string& end_user, const Item& item) {
    auto line = order("CN", "2026-11-25");
    line.end_user = end_user;
    line.end_user_country = "CN";
    auto rs = test::registry()->resolve(*line.date, "").value();
    DecideContext ctx;
    ctx.screener = screener.get();
    return decide(line, item, classify::classify(item, *line.date, rs), rs, ctx);
  };
  const std::string meu = "AECC Aviation Power Co. Ltd.";  // bis_meu.json, 85 FR 83799
  const auto unknown = decide_for(meu, small_ic());
  EXPECT_EQ(required(unknown), "undetermined");
  EXPECT_NE(all_reasons(unknown).find("Military End-User List"), std::string::npos) << all_reasons(unknown);
  EXPECT_NE(all_reasons(unknown).find("744.21(b)"), std::string::npos) << all_reasons(unknown);
  EXPECT_NE(all_reasons(unknown).find("end user 'AECC Aviation Power Co. Ltd.' (bis-meu)"), std::string::npos)
      << all_reasons(unknown);
  EXPECT_EQ(required(decide_for(meu, small_ic("5A992"))), "undetermined");
  EXPECT_EQ(required(decide_for(meu, small_ic("EAR99"))), "no");
  // A 3A090 chip needs a licence anyway; the listing bars NAC (744.21(c): only GOV).
  const auto b = decide_for(meu, datacenter_b());
  EXPECT_EQ(required(b), "yes");
  EXPECT_TRUE(b.exceptions.empty());
  // Review: Supp. No. 7 sends it to 744.21(e): "(1) ... will be reviewed with a presumption of denial".
  const auto rs = test::registry()->resolve(day("2026-11-25"), "").value();
  const auto meu_rule =
      std::find_if(rs->license.end_uses.begin(), rs->license.end_uses.end(),
                   [](const rules::EndUseControl& eu) { return eu.code == "military_end_user_listed"; });
  ASSERT_NE(meu_rule, rs->license.end_uses.end());
  ASSERT_TRUE(meu_rule->policy.has_value());
  EXPECT_EQ(std::string(rules::review_policy_code(*meu_rule->policy)), "presumption_of_denial");
  EXPECT_NE(meu_rule->citation.find("(e)(1)"), std::string::npos);
  // The same line for a party on no list: the MEU control does not come in.
  const auto other = decide_for("Example Trading Co.", small_ic("5A992"));
  EXPECT_EQ(all_reasons(other).find("Military End-User List"), std::string::npos) << all_reasons(other);
}

// The Affiliates rule (90 FR 47201; operative words as quoted by Thompson Hine, 2025-10) reaches
// "parties that are owned 50% or more ... by one or more parties listed on the Entity List" and, by the
// rule's own scope (744.11(a)(1) as amended; Red Flag 29 names "the Entity List or MEU List"), parties
// owned by MEU-listed entities: such an affiliate is subject to the listed owner's restrictions, here
// 744.21(b). Before, an affiliate of MEU parties only was reported in `affiliates` with no effect, so
// an ECCN chip for it came out "no licence". The rule is stayed 2025-11-10 .. 2026-11-09 (90 FR 50857).
TEST(RegulatoryMilitary, AffiliateOfAMilitaryEndUserListPartyIsTreatedAsListed) {
  const auto screener =
      ExactAliasScreener::load({test::shared_data("lists/bis-and-others_nsfreg/bis_meu.json")}).value();
  const std::string meu = "AECC Aviation Power Co. Ltd.";  // bis_meu.json, 85 FR 83799
  auto record = [](std::string party, std::string owner, std::optional<double> percent) {
    OwnershipRecord r;
    r.party = std::move(party);
    r.owner = std::move(owner);
    r.percent = percent;
    r.source = "test record";
    return r;
  };
  const auto graph = OwnershipGraph::build({record("Example Engine Parts Co", meu, 70),
                                            record("Example Unknown Share Engines Co", meu, std::nullopt),
                                            record("Example Unknown Share Engines Co", "Example Local Investor", 40)})
                         .value();
  const AffiliateResolver resolver(graph, *screener);
  auto decide_for = [&](const std::string& end_user, const Item& item, const std::string& date) {
    auto line = order("CN", date);
    line.end_user = end_user;
    line.end_user_country = "CN";
    auto rs = test::registry()->resolve(*line.date, "").value();
    DecideContext ctx;
    ctx.screener = screener.get();
    ctx.affiliates = &resolver;
    return decide(line, item, classify::classify(item, *line.date, rs), rs, ctx);
  };
  // Covered (70% held by an MEU party): the Supp. No. 2 control comes in as for the listed owner.
  const auto covered = decide_for("Example Engine Parts Co", small_ic("5A992"), "2026-11-25");
  EXPECT_EQ(required(covered), "undetermined");
  EXPECT_NE(all_reasons(covered).find("744.21(b)"), std::string::npos) << all_reasons(covered);
  EXPECT_NE(all_reasons(covered).find("AECC Aviation Power Co. Ltd. (bis-meu)"), std::string::npos)
      << all_reasons(covered);
  EXPECT_NE(all_reasons(covered).find("Affiliates rule"), std::string::npos) << all_reasons(covered);
  EXPECT_EQ(required(decide_for("Example Engine Parts Co", small_ic("EAR99"), "2026-11-25")), "no");
  const auto b = decide_for("Example Engine Parts Co", datacenter_b(), "2026-11-25");
  EXPECT_EQ(required(b), "yes");
  EXPECT_TRUE(b.exceptions.empty()) << "744.21(c): only GOV";
  // While the rule is stayed the affiliate is an ordinary party.
  EXPECT_EQ(required(decide_for("Example Engine Parts Co", small_ic("5A992"), "2026-01-15")), "no");
  // An MEU owner with an unknown share: open, naming the share as missing; never "no licence".
  const auto unknown = decide_for("Example Unknown Share Engines Co", small_ic("5A992"), "2026-11-25");
  EXPECT_EQ(required(unknown), "undetermined");
  EXPECT_NE(all_reasons(unknown).find("Red Flag 29"), std::string::npos) << all_reasons(unknown);
  EXPECT_NE(std::find(unknown.missing.begin(), unknown.missing.end(),
                      "ownership share of 'Example Unknown Share Engines Co' held by listed owners"),
            unknown.missing.end());
  EXPECT_EQ(required(decide_for("Example Unknown Share Engines Co", small_ic("EAR99"), "2026-11-25")), "no");
  // A licence needed anyway (3A090.b to China): NAC stays offered only on the condition that the share
  // does not reach 50%.
  const auto unknown_b = decide_for("Example Unknown Share Engines Co", datacenter_b(), "2026-11-25");
  EXPECT_EQ(required(unknown_b), "yes");
  ASSERT_FALSE(unknown_b.exception_notes.empty()) << all_reasons(unknown_b);
  EXPECT_NE(unknown_b.exception_notes[0].find("is not owned 50% or more"), std::string::npos);
}

// ===== Through the CLI: the sample order book ====================================================

std::vector<nlohmann::json> jsonl(const std::string& out) {
  std::vector<nlohmann::json> lines;
  std::istringstream in(out);
  std::string l;
  while (std::getline(in, l))
    if (!l.empty()) lines.push_back(nlohmann::json::parse(l));
  return lines;
}

const nlohmann::json* find_line(const std::vector<nlohmann::json>& lines, const std::string& order_id,
                                const std::string& line) {
  for (const auto& j : lines)
    if (j["order_id"] == order_id && j["line"] == line) return &j;
  return nullptr;
}

TEST(RegulatoryCli, SampleOrderBook) {
  const auto r = test::run_cli("decide --orders " + test::source_path("data/sample-orders.csv") + " --catalog " +
                               test::source_path("data/sample-catalog.csv") + " --letters " +
                               test::source_path("data/sample-letters.toml") + " --lists " +
                               test::source_path("data/sample-parties.json") + " --format jsonl");
  ASSERT_EQ(r.exit_code, 3) << r.err;
  const auto lines = jsonl(r.out);
  // PO-1015: NVIDIA's H800 to China before the 23 Oct 2023 letter (2022 test: I/O 400 < 600 GB/s, no
  // licence), under the letter (2023-11-16) and under the rule (2023-11-17).
  const auto* l1 = find_line(lines, "PO-1015", "1");
  const auto* l2 = find_line(lines, "PO-1015", "2");
  const auto* l3 = find_line(lines, "PO-1015", "3");
  ASSERT_TRUE(l1 && l2 && l3) << r.out;
  EXPECT_EQ((*l1)["license_required"], false);
  EXPECT_EQ((*l2)["license_required"], true);
  EXPECT_NE((*l2)["reasons"][0].get<std::string>().find("8-K filed 24 Oct 2023"), std::string::npos);
  EXPECT_EQ((*l2)["review_policy"], "presumption_of_denial");
  EXPECT_EQ((*l3)["license_required"], true);
  EXPECT_EQ((*l3)["eccn"], nlohmann::json::array({"3A090.a"}));
  // PO-1011: an L20 (not 3A090, ECCN not in the catalog) for a supercomputer in China: undetermined.
  const auto* l20 = find_line(lines, "PO-1011", "1");
  ASSERT_NE(l20, nullptr);
  EXPECT_TRUE((*l20)["license_required"].is_null());
  EXPECT_EQ((*l20)["missing"], nlohmann::json::array({"base_eccn"}));
  // PO-1005: L40 (3A090.b) to Malaysia for an end user headquartered in China: 744.23(d)(3)(i)
  // case-by-case; NAC with 25 days' notice (740.8(a)(2)(i)).
  const auto* my = find_line(lines, "PO-1005", "1");
  ASSERT_NE(my, nullptr);
  EXPECT_EQ((*my)["review_policy"], "case_by_case");
  ASSERT_EQ((*my)["exceptions"].size(), 1u);
  EXPECT_EQ((*my)["exceptions"][0]["name"], "NAC");
  EXPECT_EQ((*my)["exceptions"][0]["notification_days"], 25);
  for (const auto& j : lines)
    for (const auto& reason : j["reasons"])
      EXPECT_EQ(reason.get<std::string>().find("regulations.md"), std::string::npos) << reason;
}

TEST(RegulatoryCli, L40ToRussiaThroughTheCli) {
  const std::string dir = test::temp_dir();
  test::write_file(dir + "/orders.csv",
                   "order_id,line,date,product_id,quantity,value_usd,ship_to,consignee,end_user,end_user_country,end_"
                   "user_hq_country,end_uses\n"
                   "PO-RU,1,2026-11-25,nvidia-l40,4,40000,RU,Example Trading,Example Lab,RU,RU,\n"
                   "PO-MIL,1,2026-11-25,nvidia-l20,4,40000,CN,Example Trading,Example Lab,CN,CN,military\n");
  const auto r =
      test::run_cli("decide --orders " + dir + "/orders.csv --catalog " + test::source_path("data/sample-catalog.csv") +
                    " --lists " + test::source_path("data/sample-parties.json") + " --format jsonl");
  ASSERT_EQ(r.exit_code, 3) << r.err;
  const auto lines = jsonl(r.out);
  ASSERT_EQ(lines.size(), 2u) << r.out;
  EXPECT_EQ(lines[0]["license_required"], true);
  EXPECT_EQ(lines[0]["review_policy"], "policy_of_denial");
  EXPECT_EQ(lines[0]["exceptions"].size(), 0u);
  EXPECT_TRUE(lines[1]["license_required"].is_null()) << lines[1].dump();
}

}  // namespace
}  // namespace chipgate::license

// Tests of classify::classify over the real rule files (rules/us-ear), prong by prong.
//
// Rule text used (rules/us-ear/*.toml; ../shared/docs/regulations.md b.1, b.2, c.1-c.3, f.3, f.5, f.8):
//   2023-11-17 on:
//     3A090.a.1  TPP >= 4800
//     3A090.a.2  TPP >= 1600 and PD >= 5.92
//     3A090.b.1  2400 <= TPP < 4800 and 1.6 <= PD < 5.92
//     3A090.b.2  TPP >= 1600 and 3.2 <= PD < 5.92
//     3A090.b    unless 3A090.a
//     Note 2     3A090.a/.b "do not apply to items that are not designed or marketed for use in
//                datacenters and do not have a 'total processing performance' of 4800 or more"
//     4A090      computers containing 3A090.b ICs, 4A090.b reserved (2023-11-17 .. 2024-04-03)
//     4A090.b    from 2024-04-04
//     .z         "Items specified elsewhere in the CCL ... that also meet or exceed the performance
//                parameters of 3A090 or 4A090 are classified in the '.z' paragraph of that ECCN"
//   2022-10-07:  3A090.a.1  bit length x TOPS >= 4800 AND I/O >= 600 GB/s
//   2024-12-02:  3A090.c    HBM with memory bandwidth density > 2 GB/s/mm2 (not co-packaged with a
//                           logic IC whose dominant function is processing)
//
// Items are built with a single int8 rate of TPP/8, so TPP = rate x 8 bits is exactly the TPP
// written in the test (division and multiplication by 8 are exact in binary floating point).
// PD = TPP / die area; the die areas are chosen so the quotient is the boundary value exactly.

#include "classify/classifier.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "classify/item.h"
#include "core/date.h"
#include "rules/registry.h"
#include "rules/vocabulary.h"
#include "test_support.h"

namespace chipgate::classify {
namespace {

using Kind = TraceStep::Kind;
using Strings = std::vector<std::string>;

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

Classification run(const Item& item, const std::string& date, const std::string& scenario = "") {
  const auto ok = validate(item);
  if (!ok) throw std::runtime_error("test item invalid: " + ok.message());
  return classify(item, day(date), rules_on(date, scenario));
}

// An IC whose TPP is exactly `tpp` (int8 rate tpp/8 x 8 bits).
Item ic_tpp(double tpp, std::optional<double> die, Tri datacenter = Tri::kTrue) {
  Item item;
  item.id = "test-ic";
  item.kind = ItemKind::kIc;
  ProcessingUnit u;
  u.dense_rate[rules::precision_index("int8")] = tpp / 8.0;
  item.units.push_back(u);
  item.die_area_mm2 = die;
  item.datacenter = datacenter;
  return item;
}

Item hbm_stack(std::optional<double> bw, std::optional<double> area) {
  Item item;
  item.id = "test-hbm";
  item.kind = ItemKind::kHbm;
  item.hbm_stacks = 1;
  item.memory_bw_gbs = bw;
  item.hbm_stack_area_mm2 = area;
  return item;
}

Item computer_with(const Item& ic, int count = 8) {
  Item c;
  c.id = "test-server";
  c.kind = ItemKind::kComputer;
  c.contained_ic = std::make_shared<const Item>(ic);
  c.contained_id = ic.id;
  c.contained_count = count;
  c.datacenter = Tri::kTrue;
  return c;
}

std::string st(const Classification& c) { return status_name(c.status); }

Strings sorted(Strings v) {
  std::sort(v.begin(), v.end());
  return v;
}

bool has_step(const Classification& c, Kind kind) {
  return std::any_of(c.trace.begin(), c.trace.end(), [&](const TraceStep& s) { return s.kind == kind; });
}

const TraceStep* find_step(const Classification& c, Kind kind, const std::string& entry_id) {
  for (const auto& s : c.trace)
    if (s.kind == kind && s.entry && s.entry->id == entry_id) return &s;
  return nullptr;
}

const TraceStep* prong_step(const Classification& c, const std::string& entry_id, const std::string& prong_id) {
  for (const auto& s : c.trace)
    if (s.kind == Kind::kProng && s.entry && s.entry->id == entry_id && s.prong && s.prong->id == prong_id) return &s;
  return nullptr;
}

// The result a prong step records, as text ("yes", "no", "unknown", or "absent").
std::string prong_result(const Classification& c, const std::string& entry_id, const std::string& prong_id) {
  const TraceStep* s = prong_step(c, entry_id, prong_id);
  return s ? tri_name(s->result) : "absent";
}

std::string entry_result(const Classification& c, const std::string& entry_id) {
  const TraceStep* s = find_step(c, Kind::kEntry, entry_id);
  return s ? tri_name(s->result) : "absent";
}

void expect_controlled(const Classification& c, const Strings& eccns) {
  EXPECT_EQ(st(c), "controlled");
  EXPECT_EQ(c.eccns, eccns);
  EXPECT_TRUE(c.candidates.empty());
  EXPECT_TRUE(c.missing.empty());
}

void expect_not_controlled(const Classification& c) {
  EXPECT_EQ(st(c), "not_controlled");
  EXPECT_TRUE(c.eccns.empty());
  EXPECT_TRUE(c.candidates.empty());
  EXPECT_TRUE(c.missing.empty());
}

void expect_undetermined(const Classification& c, const Strings& candidates, const Strings& missing) {
  EXPECT_EQ(st(c), "undetermined");
  EXPECT_TRUE(c.eccns.empty());
  EXPECT_EQ(sorted(c.candidates), sorted(candidates));
  EXPECT_EQ(sorted(c.missing), sorted(missing));
}

constexpr const char* k2023 = "2023-11-17";
constexpr const char* kHbmDay = "2024-12-02";
constexpr const char* kToday = "2026-11-25";

// ===== 3A090.a.1: TPP >= 4800 ==================================================================

TEST(ClassifierA1, TppExactly4800IsA1) {
  // TPP 4800 (int8 600 x 8); die 2000 -> PD 2.4.  a.1: 4800 >= 4800 yes.  a.2: PD 2.4 < 5.92 no.
  // b.1: TPP < 4800 fails; b.2: PD 2.4 < 3.2 fails.  -> 3A090.a only.
  const auto c = run(ic_tpp(4800, 2000), k2023);
  expect_controlled(c, {"3A090.a"});
  EXPECT_EQ(prong_result(c, "3A090.a", "a.1"), "yes");
  EXPECT_EQ(prong_result(c, "3A090.a", "a.2"), "no");
  EXPECT_EQ(entry_result(c, "3A090.b"), "no");
  ASSERT_TRUE(c.metrics.tpp.has_value());
  EXPECT_DOUBLE_EQ(*c.metrics.tpp, 4800.0);
}

TEST(ClassifierA1, Tpp4799_99IsNotA1) {
  // TPP 4799.99; die 3200 -> PD 1.49999.  a.1: 4799.99 < 4800 no.  a.2: PD < 5.92 no.
  // b.1: PD 1.49999 < 1.6 no.  b.2: PD < 3.2 no.  -> not controlled.
  const auto c = run(ic_tpp(4799.99, 3200), k2023);
  expect_not_controlled(c);
  EXPECT_EQ(prong_result(c, "3A090.a", "a.1"), "no");
}

TEST(ClassifierA1, Tpp4799_99WithB1DensityIsB) {
  // TPP 4799.99; die 2000 -> PD 2.399995.  a: no.  b.1: 2400 <= 4799.99 < 4800 and
  // 1.6 <= 2.4 < 5.92 -> yes.  b.2: PD < 3.2 no.  -> 3A090.b.
  const auto c = run(ic_tpp(4799.99, 2000), k2023);
  expect_controlled(c, {"3A090.b"});
  EXPECT_EQ(prong_result(c, "3A090.b", "b.1"), "yes");
  EXPECT_EQ(prong_result(c, "3A090.b", "b.2"), "no");
}

// ===== 3A090.a.2: TPP >= 1600 and PD >= 5.92 ===================================================

TEST(ClassifierA2, Tpp1600AndPdExactly5_92) {
  // TPP 1600 with die 1600/5.92 = 270.27027... mm2: the double quotient 1600/die is the double
  // nearest 5.92, i.e. PD == 5.92 as the rule file's 5.92 reads (precondition asserted).
  // a.1: 1600 < 4800 no.  a.2: 1600 >= 1600 and 5.92 >= 5.92 -> yes.  -> 3A090.a.
  const double die = 1600.0 / 5.92;
  ASSERT_EQ(1600.0 / die, 5.92) << "precondition: PD must be exactly the double 5.92";
  const auto c = run(ic_tpp(1600, die), k2023);
  expect_controlled(c, {"3A090.a"});
  EXPECT_EQ(prong_result(c, "3A090.a", "a.1"), "no");
  EXPECT_EQ(prong_result(c, "3A090.a", "a.2"), "yes");
  // b.1 and b.2 need PD < 5.92: both fail on their own conditions.
  EXPECT_EQ(prong_result(c, "3A090.b", "b.1"), "no");
  EXPECT_EQ(prong_result(c, "3A090.b", "b.2"), "no");
}

TEST(ClassifierA2, Tpp1600AndPdJustBelow5_92) {
  // TPP 1600 / die 270.3 = 5.91935 < 5.92: a.2 no.  b.1: 1600 < 2400 no.
  // b.2: 1600 >= 1600 and 3.2 <= 5.91935 < 5.92 -> yes.  -> 3A090.b.
  const auto c = run(ic_tpp(1600, 270.3), k2023);
  expect_controlled(c, {"3A090.b"});
  EXPECT_EQ(prong_result(c, "3A090.a", "a.2"), "no");
  EXPECT_EQ(prong_result(c, "3A090.b", "b.2"), "yes");
}

TEST(ClassifierA2, PdExactly5_92FromExactQuotient) {
  // TPP 1776 / die 300 = 5.92 exactly (1776 = 5.92 x 300).  a.2 yes -> 3A090.a.
  const auto c = run(ic_tpp(1776, 300), k2023);
  expect_controlled(c, {"3A090.a"});
  EXPECT_EQ(prong_result(c, "3A090.a", "a.2"), "yes");
}

TEST(ClassifierA2, PdJustBelow5_92FallsToB2) {
  // TPP 1776 / die 300.01 = 5.91980... < 5.92: a.2 no.  b.1: TPP < 2400 no.
  // b.2: 1776 >= 1600 and 3.2 <= 5.9198 < 5.92 -> yes.  -> 3A090.b.
  const auto c = run(ic_tpp(1776, 300.01), k2023);
  expect_controlled(c, {"3A090.b"});
  EXPECT_EQ(prong_result(c, "3A090.a", "a.2"), "no");
  EXPECT_EQ(prong_result(c, "3A090.b", "b.2"), "yes");
}

TEST(ClassifierA2, TppJustBelow1600WithHighPd) {
  // TPP 1599.99, die 200 -> PD 7.99995.  a.2: TPP < 1600 no.  b.1: TPP < 2400 no.
  // b.2: TPP < 1600 no (and PD >= 5.92).  -> not controlled.
  const auto c = run(ic_tpp(1599.99, 200), k2023);
  expect_not_controlled(c);
  EXPECT_EQ(prong_result(c, "3A090.a", "a.2"), "no");
}

TEST(ClassifierA2, Tpp1600AndHighPd) {
  // TPP 1600 exactly, die 250 -> PD 6.4.  a.2: 1600 >= 1600 and 6.4 >= 5.92 -> 3A090.a.
  const auto c = run(ic_tpp(1600, 250), k2023);
  expect_controlled(c, {"3A090.a"});
}

// ===== 3A090.b.1: 2400 <= TPP < 4800 and 1.6 <= PD < 5.92 =====================================

TEST(ClassifierB1, LowerCornerTpp2400Pd1_6) {
  // TPP 2400 / die 1500 = PD 1.6 exactly.  b.1: 2400 >= 2400, < 4800, 1.6 >= 1.6, < 5.92 -> yes.
  // b.2: PD 1.6 < 3.2 no.  a: TPP < 4800, PD < 5.92 no.  -> 3A090.b.
  const auto c = run(ic_tpp(2400, 1500), k2023);
  expect_controlled(c, {"3A090.b"});
  EXPECT_EQ(prong_result(c, "3A090.b", "b.1"), "yes");
  EXPECT_EQ(prong_result(c, "3A090.b", "b.2"), "no");
  EXPECT_EQ(entry_result(c, "3A090.a"), "no");
}

TEST(ClassifierB1, TppJustBelow2400) {
  // TPP 2399.99 / die 1000 = PD 2.39999.  b.1: TPP < 2400 no.  b.2: PD < 3.2 no.  a: no.
  const auto c = run(ic_tpp(2399.99, 1000), k2023);
  expect_not_controlled(c);
  EXPECT_EQ(prong_result(c, "3A090.b", "b.1"), "no");
}

TEST(ClassifierB1, PdJustBelow1_6) {
  // TPP 2400 / die 1500.01 = PD 1.59999 < 1.6: b.1 no; b.2 no.  -> not controlled.
  const auto c = run(ic_tpp(2400, 1500.01), k2023);
  expect_not_controlled(c);
}

TEST(ClassifierB1, PdUpperBound5_92IsExclusive) {
  // TPP 2960 / die 500 = PD 5.92 exactly.  b.1 and b.2 need PD < 5.92: no.
  // a.2: 2960 >= 1600 and 5.92 >= 5.92 -> 3A090.a (never .b).
  const auto c = run(ic_tpp(2960, 500), k2023);
  expect_controlled(c, {"3A090.a"});
  EXPECT_EQ(prong_result(c, "3A090.b", "b.1"), "no");
  EXPECT_EQ(prong_result(c, "3A090.b", "b.2"), "no");
}

TEST(ClassifierB1, PdJustBelow5_92) {
  // TPP 2960 / die 500.01 = PD 5.91988.  a.2 no.  b.1: 2400 <= 2960 < 4800, 1.6 <= 5.9199 < 5.92
  // yes; b.2: 2960 >= 1600, 3.2 <= 5.9199 < 5.92 yes.  -> 3A090.b.
  const auto c = run(ic_tpp(2960, 500.01), k2023);
  expect_controlled(c, {"3A090.b"});
  EXPECT_EQ(prong_result(c, "3A090.b", "b.1"), "yes");
  EXPECT_EQ(prong_result(c, "3A090.b", "b.2"), "yes");
}

TEST(ClassifierB1, TppUpperBound4800IsExclusive) {
  // TPP 4800 / die 2000 = PD 2.4: b.1 needs TPP < 4800 -> no (a.1 takes it: 3A090.a).
  const auto c = run(ic_tpp(4800, 2000), k2023);
  EXPECT_EQ(prong_result(c, "3A090.b", "b.1"), "no");
  expect_controlled(c, {"3A090.a"});
}

// ===== 3A090.b.2: TPP >= 1600 and 3.2 <= PD < 5.92 ============================================

TEST(ClassifierB2, Tpp1600AndPdExactly3_2) {
  // TPP 1600 / die 500 = PD 3.2 exactly.  b.2: 1600 >= 1600, 3.2 >= 3.2, < 5.92 -> yes.
  // b.1: TPP < 2400 no.  a: no.  -> 3A090.b.
  const auto c = run(ic_tpp(1600, 500), k2023);
  expect_controlled(c, {"3A090.b"});
  EXPECT_EQ(prong_result(c, "3A090.b", "b.2"), "yes");
  EXPECT_EQ(prong_result(c, "3A090.b", "b.1"), "no");
}

TEST(ClassifierB2, PdJustBelow3_2) {
  // TPP 1600 / die 500.01 = PD 3.19994 < 3.2: b.2 no; b.1: TPP < 2400 no.  -> not controlled.
  const auto c = run(ic_tpp(1600, 500.01), k2023);
  expect_not_controlled(c);
}

TEST(ClassifierB2, TppJustBelow1600) {
  // TPP 1599.99 / die 400 = PD 3.99998: b.2 needs TPP >= 1600 -> no.  -> not controlled.
  const auto c = run(ic_tpp(1599.99, 400), k2023);
  expect_not_controlled(c);
}

TEST(ClassifierB2, NeverBWhenAApplies) {
  // TPP 6000 / die 1500 = PD 4.  a.1: 6000 >= 4800 yes.  b.2: 6000 >= 1600, 3.2 <= 4 < 5.92 yes,
  // but 3A090.b is "unless 3A090.a" -> only 3A090.a; the trace records the precedence.
  const auto c = run(ic_tpp(6000, 1500), k2023);
  expect_controlled(c, {"3A090.a"});
  EXPECT_EQ(prong_result(c, "3A090.b", "b.2"), "yes");
  const TraceStep* u = find_step(c, Kind::kUnless, "3A090.b");
  ASSERT_NE(u, nullptr);
  EXPECT_EQ(u->result, Tri::kTrue);
  ASSERT_NE(u->other, nullptr);
  EXPECT_EQ(u->other->id, "3A090.a");
  EXPECT_EQ(entry_result(c, "3A090.b"), "no");
}

// ===== Note 2: not designed or marketed for datacenters =========================================

TEST(ClassifierNonDatacenter, BelowTppLineNotControlledEvenWithHighPd) {
  // datacenter=no, TPP 4000 / die 400 = PD 10.  a.2 itself holds (4000 >= 1600, 10 >= 5.92), but
  // the note applies (not datacenter and TPP 4000 < 4800) -> 3A090.a/.b do not apply.
  const auto c = run(ic_tpp(4000, 400, Tri::kFalse), k2023);
  expect_not_controlled(c);
  EXPECT_EQ(prong_result(c, "3A090.a", "a.2"), "yes");
  const TraceStep* n = find_step(c, Kind::kNote, "3A090.a");
  ASSERT_NE(n, nullptr);
  EXPECT_EQ(n->result, Tri::kTrue);
  ASSERT_NE(n->note, nullptr);
  EXPECT_EQ(n->note->id, "3A090-non-datacenter");
}

TEST(ClassifierNonDatacenter, BelowTppLineBLevelNotControlled) {
  // datacenter=no, TPP 3000 / die 1000 = PD 3 (b.1 level).  The note excludes 3A090.b too.
  const auto c = run(ic_tpp(3000, 1000, Tri::kFalse), k2023);
  expect_not_controlled(c);
  EXPECT_EQ(prong_result(c, "3A090.b", "b.1"), "yes");
}

TEST(ClassifierNonDatacenter, AtTppLineIsA) {
  // datacenter=no, TPP 4800 / die 400 = PD 12.  The note needs TPP < 4800: 4800 is not -> the note
  // does not apply; a.1: 4800 >= 4800 -> 3A090.a (NAC/ACA-eligible, not our concern here).
  const auto c = run(ic_tpp(4800, 400, Tri::kFalse), k2023);
  expect_controlled(c, {"3A090.a"});
  const TraceStep* n = find_step(c, Kind::kNote, "3A090.a");
  ASSERT_NE(n, nullptr);
  EXPECT_EQ(n->result, Tri::kFalse);
}

TEST(ClassifierNonDatacenter, NoteDecidesEvenWithoutDieArea) {
  // datacenter=no, TPP 4000, die unknown: a.2 unknown, but the note (no, 4000 < 4800) holds, so
  // 3A090.a/.b do not apply whatever the PD: not controlled, nothing missing.
  const auto c = run(ic_tpp(4000, std::nullopt, Tri::kFalse), k2023);
  expect_not_controlled(c);
}

TEST(ClassifierNonDatacenter, UnknownDatacenterBelowTppLineIsUndetermined) {
  // datacenter unknown, TPP 4000 / die 400 = PD 10: a.2 holds; the note is unknown (flag unknown,
  // TPP < 4800 yes) -> 3A090.a undetermined, missing "datacenter".  b: PD 10 >= 5.92 -> no.
  const auto c = run(ic_tpp(4000, 400, Tri::kUnknown), k2023);
  expect_undetermined(c, {"3A090.a"}, {"datacenter"});
  const TraceStep* n = find_step(c, Kind::kNote, "3A090.a");
  ASSERT_NE(n, nullptr);
  EXPECT_EQ(n->result, Tri::kUnknown);
}

TEST(ClassifierNonDatacenter, UnknownDatacenterBLevelIsUndetermined) {
  // datacenter unknown, TPP 3000 / die 1000 = PD 3: b.1 holds, a does not -> 3A090.b candidate.
  const auto c = run(ic_tpp(3000, 1000, Tri::kUnknown), k2023);
  expect_undetermined(c, {"3A090.b"}, {"datacenter"});
}

TEST(ClassifierNonDatacenter, UnknownDatacenterAtTppLineIsA) {
  // datacenter unknown, TPP 4800: the note needs TPP < 4800 -> false whatever the flag -> 3A090.a.
  const auto c = run(ic_tpp(4800, 400, Tri::kUnknown), k2023);
  expect_controlled(c, {"3A090.a"});
}

TEST(ClassifierNonDatacenter, UnknownDatacenterIrrelevantWhenNoProngHolds) {
  // datacenter unknown, TPP 1000 / die 100 = PD 10: every prong needs TPP >= 1600 -> not controlled;
  // the flag would not change that, so it is not "missing".
  const auto c = run(ic_tpp(1000, 100, Tri::kUnknown), k2023);
  expect_not_controlled(c);
}

// ===== Unknown die area ========================================================================

TEST(ClassifierUnknownInputs, NoDieAreaButTppDecides) {
  // TPP 4800, die unknown: a.1 holds on TPP alone -> 3A090.a, nothing missing.
  const auto c = run(ic_tpp(4800, std::nullopt), k2023);
  expect_controlled(c, {"3A090.a"});
  EXPECT_FALSE(c.metrics.pd.has_value());
}

TEST(ClassifierUnknownInputs, NoDieAreaWhereTppDoesNotDecide) {
  // TPP 2368 (the H20's), die unknown, datacenter yes.  a.1 no; a.2: 2368 >= 1600 yes, PD unknown
  // -> unknown.  b.1: 2368 < 2400 no.  b.2: PD unknown -> unknown.  -> undetermined, candidates
  // 3A090.a and 3A090.b, missing only die_area_mm2 (the TPP is known).
  const auto c = run(ic_tpp(2368, std::nullopt), k2023);
  expect_undetermined(c, {"3A090.a", "3A090.b"}, {"die_area_mm2"});
  EXPECT_EQ(prong_result(c, "3A090.a", "a.2"), "unknown");
  EXPECT_EQ(prong_result(c, "3A090.b", "b.1"), "no");
}

TEST(ClassifierUnknownInputs, NoDieAreaBelow1600) {
  // TPP 1599.99, die unknown: every prong needs TPP >= 1600 -> not controlled, nothing missing.
  const auto c = run(ic_tpp(1599.99, std::nullopt), k2023);
  expect_not_controlled(c);
}

TEST(ClassifierUnknownInputs, NoRatesIsUndeterminedOnDenseRates) {
  // No dense rate at all, die 800, datacenter yes: every TPP condition unknown -> missing dense_rates.
  Item item;
  item.id = "no-rates";
  item.die_area_mm2 = 800;
  item.datacenter = Tri::kTrue;
  const auto c = run(item, k2023);
  expect_undetermined(c, {"3A090.a", "3A090.b"}, {"dense_rates"});
}

// ===== 2022 text: bit-TOPS >= 4800 AND I/O >= 600 ==============================================

Item ic_2022(double tpp, std::optional<double> io, Tri datacenter = Tri::kTrue) {
  Item item = ic_tpp(tpp, 826, datacenter);
  item.interconnect_bw_gbs = io;
  return item;
}

TEST(Classifier2022, A100LikeIsControlled) {
  // bit_tops 4992 (int8 624 x 8) >= 4800 and I/O 600 >= 600 -> 3A090.a (2022 text).
  const auto c = run(ic_2022(4992, 600), "2022-10-07");
  expect_controlled(c, {"3A090.a"});
  ASSERT_NE(c.rules, nullptr);
  EXPECT_EQ(c.rules->version.id, "2022-10-07");
}

TEST(Classifier2022, A800LikeWith400GBsIsNotControlled) {
  // bit_tops 4992 >= 4800 but I/O 400 < 600: the AND fails -> not controlled.
  const auto c = run(ic_2022(4992, 400), "2022-11-15");
  expect_not_controlled(c);
}

TEST(Classifier2022, IoBoundary) {
  // I/O exactly 600 -> yes; 599.99 -> no (">= 600 Gbyte/s").
  expect_controlled(run(ic_2022(4992, 600), "2023-03-31"), {"3A090.a"});
  expect_not_controlled(run(ic_2022(4992, 599.99), "2023-03-31"));
}

TEST(Classifier2022, BitTopsBoundary) {
  // bit_tops exactly 4800 with I/O 900 -> yes; 4799.99 -> no.
  expect_controlled(run(ic_2022(4800, 900), "2023-03-31"), {"3A090.a"});
  expect_not_controlled(run(ic_2022(4799.99, 900), "2023-03-31"));
}

TEST(Classifier2022, UnknownIoIsUndetermined) {
  // bit_tops 4992 >= 4800, I/O unknown -> undetermined, missing interconnect_bw_gbs.
  const auto c = run(ic_2022(4992, std::nullopt), "2022-10-07");
  expect_undetermined(c, {"3A090.a"}, {"interconnect_bw_gbs"});
}

TEST(Classifier2022, LowIoDecidesWhenRatesUnknown) {
  // No rates (bit_tops unknown) but I/O 400 < 600 -> the AND is false -> not controlled.
  Item item;
  item.id = "io-only";
  item.interconnect_bw_gbs = 400;
  item.datacenter = Tri::kTrue;
  expect_not_controlled(run(item, "2022-10-07"));
}

TEST(Classifier2022, NoDensityProngNoBNoDatacenterNote) {
  // 2022 had no PD test, no 3A090.b and no datacenter note:
  //   TPP 2000 / die 100 = PD 20, I/O 900: bit_tops 2000 < 4800 -> not controlled.
  Item pd_only = ic_tpp(2000, 100);
  pd_only.interconnect_bw_gbs = 900;
  expect_not_controlled(run(pd_only, "2022-10-07"));
  //   TPP 3000 / die 1000 = PD 3 (b.1 level later), I/O 900 -> not controlled.
  Item b_level = ic_tpp(3000, 1000);
  b_level.interconnect_bw_gbs = 900;
  expect_not_controlled(run(b_level, "2022-10-07"));
  //   datacenter=no, bit_tops 4992, I/O 600 -> 3A090.a (nothing exempts consumer parts).
  const auto c = run(ic_2022(4992, 600, Tri::kFalse), "2022-10-07");
  expect_controlled(c, {"3A090.a"});
  EXPECT_FALSE(has_step(c, Kind::kNote));
}

// ===== 3A090.c: HBM with MBD > 2 GB/s/mm2 ======================================================

TEST(ClassifierHbm, DensityAbove2IsC) {
  // 1000 GB/s / 400 mm2 = 2.5 > 2 -> 3A090.c.
  const auto c = run(hbm_stack(1000, 400), kHbmDay);
  expect_controlled(c, {"3A090.c"});
  EXPECT_EQ(prong_result(c, "3A090.c", "c"), "yes");
}

TEST(ClassifierHbm, DensityExactly2IsNotControlled) {
  // 800 / 400 = 2.0: "greater than 2" -> no.
  const auto c = run(hbm_stack(800, 400), kHbmDay);
  expect_not_controlled(c);
  EXPECT_EQ(prong_result(c, "3A090.c", "c"), "no");
}

TEST(ClassifierHbm, DensityJustAbove2IsC) {
  // 800.01 / 400 = 2.000025 > 2 -> 3A090.c.
  expect_controlled(run(hbm_stack(800.01, 400), kHbmDay), {"3A090.c"});
}

TEST(ClassifierHbm, MissingStackAreaIsUndetermined) {
  // 819.2 GB/s, area unknown: "The area must be declared by the vendor; it is never defaulted."
  const auto c = run(hbm_stack(819.2, std::nullopt), kHbmDay);
  expect_undetermined(c, {"3A090.c"}, {"hbm_stack_area_mm2"});
}

TEST(ClassifierHbm, MissingBandwidthAndArea) {
  const auto c = run(hbm_stack(std::nullopt, std::nullopt), kHbmDay);
  expect_undetermined(c, {"3A090.c"}, {"memory_bw_gbs", "hbm_stack_area_mm2"});
}

TEST(ClassifierHbm, BeforeDecember2024NotControlled) {
  // 3A090.c took effect 2024-12-02; on 2024-12-01 (version 2024-05-30, the Cyprus country-group
  // change) there is no HBM entry.
  const auto c = run(hbm_stack(1000, 400), "2024-12-01");
  expect_not_controlled(c);
  ASSERT_NE(c.rules, nullptr);
  EXPECT_EQ(c.rules->version.id, "2024-05-30");
  EXPECT_EQ(c.rules->find_entry("3A090.c"), nullptr);
}

TEST(ClassifierHbm, CoPackagedHbmIcIsNotC) {
  // An IC (kind ic) with 8 co-packaged HBM stacks whose memory figures alone would give
  // MBD 3350 / 100 = 33.5 > 2.  Technical Note to 3A090.c: "This control does not cover
  // co-packaged integrated circuits with both HBM and logic integrated circuit where the dominant
  // function ... is processing."  It is assessed under 3A090.a/.b: TPP 15832 >= 4800 -> 3A090.a.
  Item ic = ic_tpp(15832, 814);
  ic.hbm_stacks = 8;
  ic.memory_bw_gbs = 3350;
  ic.hbm_stack_area_mm2 = 100;
  const auto c = run(ic, kHbmDay);
  expect_controlled(c, {"3A090.a"});
  const TraceStep* s = find_step(c, Kind::kScopeNote, "3A090.c");
  ASSERT_NE(s, nullptr);
  EXPECT_NE(s->entry->scope_note.find("dominant function"), std::string::npos);
  EXPECT_EQ(find_step(c, Kind::kEntry, "3A090.c"), nullptr);  // not evaluated as HBM
}

TEST(ClassifierHbm, CoPackagedHbmIcBelowAbIsNotControlled) {
  // The same exclusion when the IC is below 3A090.a/.b: TPP 1000 -> not controlled, scope note
  // still explains why 3A090.c was not applied.
  Item ic = ic_tpp(1000, 100);
  ic.hbm_stacks = 4;
  ic.memory_bw_gbs = 1600;
  ic.hbm_stack_area_mm2 = 100;
  const auto c = run(ic, kHbmDay);
  expect_not_controlled(c);
  EXPECT_NE(find_step(c, Kind::kScopeNote, "3A090.c"), nullptr);
}

TEST(ClassifierHbm, IcWithoutHbmHasNoScopeNote) {
  Item ic = ic_tpp(4992, 826);
  ic.hbm_stacks = 0;
  const auto c = run(ic, kHbmDay);
  EXPECT_FALSE(has_step(c, Kind::kScopeNote));
  // Before 3A090.c existed there is nothing to scope out either.
  Item with_hbm = ic_tpp(4992, 826);
  with_hbm.hbm_stacks = 6;
  EXPECT_FALSE(has_step(run(with_hbm, "2024-12-01"), Kind::kScopeNote));
}

// ===== 4A090: computers ========================================================================

// A 3A090.a IC: TPP 4992 (>= 4800).  A 3A090.b IC: TPP 3000 / die 1000 = PD 3 (b.1).
Item a_level_ic() { return ic_tpp(4992, 826); }
Item b_level_ic() { return ic_tpp(3000, 1000); }

TEST(ClassifierComputer, ContainingAIcIs4A090a) {
  const auto c = run(computer_with(a_level_ic()), kHbmDay);
  expect_controlled(c, {"4A090.a"});
  ASSERT_NE(c.contained, nullptr);
  EXPECT_EQ(c.contained->eccns, Strings{"3A090.a"});
  const TraceStep* s = find_step(c, Kind::kContains, "4A090.a");
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(s->result, Tri::kTrue);
  // 4A090.b yields to 4A090.a (unless): not listed.
  EXPECT_EQ(entry_result(c, "4A090.b"), "no");
}

TEST(ClassifierComputer, ContainingBIcIs4A090bFromApril2024) {
  const auto c = run(computer_with(b_level_ic()), "2024-04-04");
  expect_controlled(c, {"4A090.b"});
  ASSERT_NE(c.contained, nullptr);
  EXPECT_EQ(c.contained->eccns, Strings{"3A090.b"});
  expect_controlled(run(computer_with(b_level_ic()), kToday), {"4A090.b"});
}

TEST(ClassifierComputer, ContainingBIcIsReserved4A090Before) {
  // 2023-11-17 .. 2024-04-03: 4A090.b reserved; "4A090 items not enumerated under 4A090.a".
  expect_controlled(run(computer_with(b_level_ic()), "2023-11-17"), {"4A090"});
  expect_controlled(run(computer_with(b_level_ic()), "2024-04-03"), {"4A090"});
}

TEST(ClassifierComputer, ContainingUncontrolledIcIsNotControlled) {
  // IC TPP 1000 -> no 3A090 paragraph -> no 4A090 paragraph.
  const auto c = run(computer_with(ic_tpp(1000, 100)), kToday);
  expect_not_controlled(c);
  ASSERT_NE(c.contained, nullptr);
  EXPECT_EQ(st(*c.contained), "not_controlled");
}

TEST(ClassifierComputer, ContainingNonDatacenterIcBelowLine) {
  // IC datacenter=no, TPP 4000 / die 400 = PD 10: excluded by Note 2 -> computer not controlled.
  expect_not_controlled(run(computer_with(ic_tpp(4000, 400, Tri::kFalse)), kToday));
}

TEST(ClassifierComputer, ContainingUndeterminedIcIsUndetermined) {
  // IC TPP 2368, die unknown -> undetermined between 3A090.a and 3A090.b (see above), so the
  // computer may be 4A090.a or 4A090.b; what is missing is the IC's die area.
  const auto c = run(computer_with(ic_tpp(2368, std::nullopt)), "2024-04-04");
  expect_undetermined(c, {"4A090.a", "4A090.b"}, {"die_area_mm2"});
}

TEST(ClassifierComputer, In2022) {
  // 2022: 4A090.a for a computer with a 3A090.a IC (A100-like, I/O 600); none with an A800-like IC.
  expect_controlled(run(computer_with(ic_2022(4992, 600)), "2022-10-07"), {"4A090.a"});
  expect_not_controlled(run(computer_with(ic_2022(4992, 400)), "2022-10-07"));
}

// ===== .z paragraphs ===========================================================================

TEST(ClassifierZ, Base5A992WithALevelIcIs5A992z) {
  // An item described by 5A992 that meets 3A090.a (TPP 4992 >= 4800) -> 5A992.z.
  Item item = a_level_ic();
  item.base_eccn = "5A992";
  const auto c = run(item, k2023);
  expect_controlled(c, {"5A992.z"});
  const TraceStep* z = nullptr;
  for (const auto& s : c.trace)
    if (s.kind == Kind::kZParagraph) z = &s;
  ASSERT_NE(z, nullptr);
  ASSERT_NE(z->entry, nullptr);
  EXPECT_EQ(z->entry->id, "3A090.a");  // the level met
}

TEST(ClassifierZ, Base5A992ComputerWithALevelIc) {
  Item server = computer_with(a_level_ic());
  server.base_eccn = "5A992";
  expect_controlled(run(server, kToday), {"5A992.z"});
}

TEST(ClassifierZ, Base5A992WithBLevelIc) {
  // ".z paragraph of that ECCN, at the .a or .b level they meet": 3A090.b level -> 5A992.z.
  Item item = b_level_ic();
  item.base_eccn = "5A992";
  expect_controlled(run(item, kToday), {"5A992.z"});
}

TEST(ClassifierZ, BaseWithoutZParagraphKeeps3A090) {
  // 4A994 has no .z paragraph (not in the list of nine) -> the 3A090 ECCN stays.
  Item item = a_level_ic();
  item.base_eccn = "4A994";
  const auto c = run(item, k2023);
  expect_controlled(c, {"3A090.a"});
  EXPECT_FALSE(has_step(c, Kind::kZParagraph));
}

TEST(ClassifierZ, UncontrolledItemGetsNoZ) {
  // f.8: items excluded from 3A090 by its notes are excluded from .z too.  datacenter=no,
  // TPP 4000 / die 400 = PD 10 -> Note 2 -> not controlled, no 5A992.z.
  Item item = ic_tpp(4000, 400, Tri::kFalse);
  item.base_eccn = "5A992";
  expect_not_controlled(run(item, k2023));
}

TEST(ClassifierZ, NoZParagraphsBeforeNovember2023) {
  // The .z paragraphs were added by the 2023 rule: on 2023-11-16 a 5A992 item meeting the 2022
  // 3A090.a (bit_tops 4992, I/O 600) stays 3A090.a.
  Item item = ic_2022(4992, 600);
  item.base_eccn = "5A992";
  expect_controlled(run(item, "2023-11-16"), {"3A090.a"});
  expect_controlled(run(item, "2023-11-17"), {"5A992.z"});
}

// LIBRARY BUG (reported): the .z paragraphs are only for the .a/.b levels. regulations.md f.8,
// verbatim 2026 text: "The performance parameters under ECCN 3A090.c are not used for determining
// whether an item is classified in a .z ECCN."  (2023-11-17.toml z_paragraphs.text also says "at
// the .a or .b level they meet"; 3A090.c has level 0.)  An HBM stack whose base ECCN is 3A001
// (3A001.z is in the list) and MBD 2.5 > 2 is 3A090.c; the classifier turns it into 3A001.z
// because it does not check the entry's level before applying the .z paragraph.
TEST(ClassifierZ, HbmDensityNeverLeadsToZParagraph) {
  Item item = hbm_stack(1000, 400);  // 1000 / 400 = 2.5 > 2
  item.base_eccn = "3A001";
  const auto c = run(item, kHbmDay);
  expect_controlled(c, {"3A090.c"});
  EXPECT_FALSE(has_step(c, Kind::kZParagraph));
}

// ===== effective dates =========================================================================

TEST(ClassifierDates, BeforeOctober2022NoRules) {
  const auto r = test::registry()->resolve(day("2022-10-06"), "");
  ASSERT_TRUE(r) << r.message();
  EXPECT_EQ(r.value(), nullptr);
  const auto c = classify(ic_2022(4992, 600), day("2022-10-06"), r.value());
  EXPECT_EQ(st(c), "not_controlled");
  EXPECT_EQ(c.rules, nullptr);
  EXPECT_TRUE(c.eccns.empty());
  EXPECT_TRUE(c.candidates.empty());
  ASSERT_EQ(c.trace.size(), 1u);
  EXPECT_EQ(c.trace[0].kind, Kind::kNoVersion);
}

TEST(ClassifierDates, October2022DayOf) {
  // A100-like (bit_tops 4992, I/O 600): nothing on 2022-10-06, 3A090.a on 2022-10-07.
  expect_controlled(run(ic_2022(4992, 600), "2022-10-07"), {"3A090.a"});
}

TEST(ClassifierDates, November2023DayBeforeAndDayOf) {
  // A800-like (TPP 4992, PD 4992/826 = 6.04, I/O 400): 2022 text -> not (I/O < 600);
  // 2023 text -> a.1 (4992 >= 4800).
  expect_not_controlled(run(ic_2022(4992, 400), "2023-11-16"));
  expect_controlled(run(ic_2022(4992, 400), "2023-11-17"), {"3A090.a"});
  // PD-only part: TPP 2000 / die 300 = PD 6.67, I/O 900: 2022 -> bit_tops < 4800 no;
  // 2023 -> a.2 (2000 >= 1600, 6.67 >= 5.92).
  Item pd_only = ic_tpp(2000, 300);
  pd_only.interconnect_bw_gbs = 900;
  expect_not_controlled(run(pd_only, "2023-11-16"));
  expect_controlled(run(pd_only, "2023-11-17"), {"3A090.a"});
  // B-level part: TPP 3000 / die 1000 = PD 3: no 3A090.b before 2023-11-17.
  Item b = b_level_ic();
  b.interconnect_bw_gbs = 900;
  expect_not_controlled(run(b, "2023-11-16"));
  expect_controlled(run(b, "2023-11-17"), {"3A090.b"});
}

TEST(ClassifierDates, April2024DayBeforeAndDayOf) {
  expect_controlled(run(computer_with(b_level_ic()), "2024-04-03"), {"4A090"});
  expect_controlled(run(computer_with(b_level_ic()), "2024-04-04"), {"4A090.b"});
}

TEST(ClassifierDates, December2024DayBeforeAndDayOf) {
  expect_not_controlled(run(hbm_stack(1000, 400), "2024-12-01"));
  expect_controlled(run(hbm_stack(1000, 400), "2024-12-02"), {"3A090.c"});
}

TEST(ClassifierDates, VersionInForce) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"2022-10-07", "2022-10-07"}, {"2023-01-16", "2022-10-07"}, {"2023-01-17", "2023-01-17"},
      {"2023-11-16", "2023-01-17"}, {"2023-11-17", "2023-11-17"}, {"2024-03-14", "2023-11-17"},
      {"2024-03-15", "2024-03-15"}, {"2024-04-03", "2024-03-15"}, {"2024-04-04", "2024-04-04"},
      {"2024-05-29", "2024-04-04"}, {"2024-05-30", "2024-05-30"}, {"2024-12-01", "2024-05-30"},
      {"2024-12-02", "2024-12-02"}, {"2025-09-01", "2025-01-16"}, {"2025-09-02", "2025-09-02"},
      {"2025-09-28", "2025-09-02"}, {"2025-09-29", "2025-09-29"}, {"2025-11-06", "2025-09-29"},
      {"2025-11-07", "2025-11-07"}, {"2025-11-09", "2025-11-07"}, {"2025-11-10", "2025-11-10"},
      {"2026-01-14", "2025-11-10"}, {"2026-01-15", "2026-01-15"}, {"2026-02-02", "2026-01-15"},
      {"2026-02-03", "2026-02-03"}, {"2026-07-09", "2026-02-03"}, {"2026-07-10", "2026-07-10"},
      {"2026-11-09", "2026-07-10"}, {"2026-11-10", "2026-11-10"}, {"2026-11-25", "2026-11-10"},
  };
  for (const auto& [date, id] : cases) {
    const auto c = run(ic_tpp(4992, 826), date);
    ASSERT_NE(c.rules, nullptr) << date;
    EXPECT_EQ(c.rules->version.id, id) << date;
  }
}

// ===== scenarios ===============================================================================

TEST(ClassifierScenarios, HbmRollbackRemoves3A090c) {
  const auto rs = rules_on("2025-06-01", "hbm-rollback");
  ASSERT_NE(rs, nullptr);
  EXPECT_EQ(rs->label(), "2025-01-16+hbm-rollback");
  EXPECT_EQ(rs->find_entry("3A090.c"), nullptr);
  // MBD 2.5 > 2 would be 3A090.c without the scenario.
  expect_controlled(run(hbm_stack(1000, 400), "2025-06-01"), {"3A090.c"});
  expect_not_controlled(run(hbm_stack(1000, 400), "2025-06-01", "hbm-rollback"));
  // 3A090.a/.b unaffected.
  expect_controlled(run(a_level_ic(), "2025-06-01", "hbm-rollback"), {"3A090.a"});
  expect_controlled(run(b_level_ic(), "2025-06-01", "hbm-rollback"), {"3A090.b"});
}

TEST(ClassifierScenarios, ReturnTo2022BringsBackTheIoTest) {
  const std::string sc = "return-to-2022";
  // A800-like: bit_tops 4992, I/O 400 -> not controlled (3A090.a today without the scenario).
  expect_controlled(run(ic_2022(4992, 400), kToday), {"3A090.a"});
  expect_not_controlled(run(ic_2022(4992, 400), kToday, sc));
  // A100-like: I/O 600 -> 3A090.a.
  expect_controlled(run(ic_2022(4992, 600), kToday, sc), {"3A090.a"});
  // I/O unknown -> undetermined on interconnect_bw_gbs.
  expect_undetermined(run(ic_2022(4992, std::nullopt), kToday, sc), {"3A090.a"}, {"interconnect_bw_gbs"});
  // No PD prong, no 3A090.b, no 3A090.c, no 4A090.b.
  Item pd_only = ic_tpp(2000, 100);
  pd_only.interconnect_bw_gbs = 900;
  expect_not_controlled(run(pd_only, kToday, sc));
  Item b = b_level_ic();
  b.interconnect_bw_gbs = 900;
  expect_not_controlled(run(b, kToday, sc));
  expect_not_controlled(run(hbm_stack(1000, 400), kToday, sc));
  expect_not_controlled(run(computer_with(b), kToday, sc));
  expect_controlled(run(computer_with(ic_2022(4992, 600)), kToday, sc), {"4A090.a"});
}

TEST(ClassifierScenarios, TppThresholdRaisedTo9600) {
  const std::string sc = "tpp-threshold-raised";
  // a.1 becomes TPP >= 9600; a.2 and 3A090.b removed.
  expect_controlled(run(ic_tpp(9600, 500), kToday, sc), {"3A090.a"});
  // 9599.99 / die 480 = PD 20: a.2 would have caught it, but it is removed -> not controlled.
  expect_not_controlled(run(ic_tpp(9599.99, 480), kToday, sc));
  // A100-like TPP 4992: not controlled under the raised line.
  expect_not_controlled(run(a_level_ic(), kToday, sc));
  expect_not_controlled(run(b_level_ic(), kToday, sc));
  // Non-datacenter part at 9600: the note's line is 9600 now, TPP 9600 is not below it -> 3A090.a.
  expect_controlled(run(ic_tpp(9600, 500, Tri::kFalse), kToday, sc), {"3A090.a"});
}

TEST(ClassifierScenarios, TppThresholdRaisedNeedsThe2023Text) {
  // min_version = "2023-11-17": over the 2022 text (2022-10-07 .. 2023-11-16) it must fail.
  for (const char* date : {"2022-10-07", "2023-03-31", "2023-11-16"}) {
    const auto r = test::registry()->resolve(day(date), "tpp-threshold-raised");
    EXPECT_FALSE(r) << date;
    if (!r) {
      EXPECT_NE(r.message().find("2023-11-17"), std::string::npos) << r.message();
    }
  }
  const auto by_id = test::registry()->resolve(std::string("2022-10-07"), "tpp-threshold-raised");
  EXPECT_FALSE(by_id);
  const auto ok = test::registry()->resolve(day("2023-11-17"), "tpp-threshold-raised");
  ASSERT_TRUE(ok) << ok.message();
  ASSERT_NE(ok.value(), nullptr);
  EXPECT_EQ(ok.value()->label(), "2023-11-17+tpp-threshold-raised");
}

TEST(ClassifierScenarios, UnknownScenarioIsAnError) {
  EXPECT_FALSE(test::registry()->resolve(day(kToday), "no-such-scenario"));
}

// ===== trace shape =============================================================================

TEST(ClassifierTrace, StepKindsForAnIc) {
  // A100-like on 2024-12-02: rule-set step first; prong/condition/entry steps for the IC entries
  // only (3A090.a and 3A090.b), never for 3A090.c (HBM) or 4A090.* (computers).
  const auto c = run(a_level_ic(), kHbmDay);
  ASSERT_FALSE(c.trace.empty());
  EXPECT_EQ(c.trace.front().kind, Kind::kRuleSet);
  EXPECT_TRUE(has_step(c, Kind::kProng));
  EXPECT_TRUE(has_step(c, Kind::kCondition));
  Strings entries;
  for (const auto& s : c.trace)
    if (s.kind == Kind::kEntry) entries.push_back(s.entry->id);
  EXPECT_EQ(sorted(entries), (Strings{"3A090.a", "3A090.b"}));
  EXPECT_FALSE(has_step(c, Kind::kNoVersion));
  EXPECT_FALSE(has_step(c, Kind::kContains));
  // a.1 has one condition (tpp >= 4800), a.2 two (tpp >= 1600, pd >= 5.92).
  const TraceStep* a1 = prong_step(c, "3A090.a", "a.1");
  ASSERT_NE(a1, nullptr);
  EXPECT_EQ(a1->prong->all.size(), 1u);
  EXPECT_EQ(a1->prong->all[0].name, "tpp");
  const TraceStep* a2 = prong_step(c, "3A090.a", "a.2");
  ASSERT_NE(a2, nullptr);
  EXPECT_EQ(a2->prong->all.size(), 2u);
  // Each condition step records its condition and result; for a.1: tpp 4992 >= 4800 -> yes (and
  // b.1's "tpp < 4800" and the note's "tpp < 4800" are no, hence the op filter).
  bool saw_tpp_condition = false;
  for (const auto& s : c.trace)
    if (s.kind == Kind::kCondition && s.condition && s.condition->name == "tpp" &&
        s.condition->op == rules::Op::kGreaterEqual && s.condition->value == 4800) {
      saw_tpp_condition = true;
      EXPECT_EQ(s.result, Tri::kTrue);
    }
  EXPECT_TRUE(saw_tpp_condition);
}

TEST(ClassifierTrace, StepKindsForAComputer) {
  const auto c = run(computer_with(b_level_ic()), kHbmDay);
  EXPECT_EQ(c.trace.front().kind, Kind::kRuleSet);
  const TraceStep* ca = find_step(c, Kind::kContains, "4A090.a");
  const TraceStep* cb = find_step(c, Kind::kContains, "4A090.b");
  ASSERT_NE(ca, nullptr);
  ASSERT_NE(cb, nullptr);
  EXPECT_EQ(ca->result, Tri::kFalse);
  EXPECT_EQ(cb->result, Tri::kTrue);
  EXPECT_FALSE(has_step(c, Kind::kProng));  // a computer is judged by its IC, not by prongs
}

}  // namespace
}  // namespace chipgate::classify

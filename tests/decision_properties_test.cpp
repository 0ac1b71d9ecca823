// Properties every licence decision must have, checked on thousands of generated order lines
// (tests/order_line_generator.h: the shared catalog and servers built from it, every destination,
// dates on both sides of every rule-version boundary, letters, end uses, parties on and off the sample
// list and reached through the sample ownership data). A failure prints the seed and the line; set
// CHIPGATE_PROPERTY_SEED to replay it, CHIPGATE_PROPERTY_LINES for more lines.
//
//   (1) a line's answer is the same decided alone, in any order, and inside any batch;
//   (3) the output date is the line's date (the run's date for a line without one);
//   (4) every reason cites a provision present in the rule files (or the letters file), with the
//       file and line it was read from;
//   (5) under each rule version, raising an IC's TPP or performance density never takes it out of
//       3A090 (see Monotonicity below for the precise statement and why it holds in the text);
//   (6) a decision never offers a licence exception that one of its own reasons bars.
// Property (2), the same answer from the CLI, the HTTP API and the impact report, is in
// tests/server/decision_properties_test.cpp (it needs the server and the impact library).
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "classify/classifier.h"
#include "io/decision_output.h"
#include "io/ownership.h"
#include "license/order_decider.h"
#include "order_line_generator.h"
#include "rules/vocabulary.h"
#include "test_support.h"

namespace chipgate::license {
namespace {

using test::LineGenerator;

const Date kRunDate = Date::parse("2026-11-25").value();

struct World {
  std::vector<classify::Item> items = test::property_catalog();
  std::vector<rules::Letter> letters;
  std::unique_ptr<ExactAliasScreener> screener;
  std::shared_ptr<const OwnershipGraph> ownership;

  World() {
    auto l = test::registry()->load_letters(test::source_path("data/sample-letters.toml"));
    if (!l) throw std::runtime_error(l.message());
    letters = std::move(l).value();
    auto s = ExactAliasScreener::load({test::source_path("data/sample-parties.json")});
    if (!s) throw std::runtime_error(s.message());
    screener = std::move(s).value();
    auto file = io::load_ownership(test::source_path("data/sample-ownership.csv"));
    if (!file || !file->errors.empty()) throw std::runtime_error("data/sample-ownership.csv does not load");
    auto g = OwnershipGraph::build(file->records);
    if (!g) throw std::runtime_error(g.message());
    ownership = g.value();
  }
  OrderDecider::Options options() const { return {"", screener.get(), &letters, ownership}; }
};

const World& world() {
  static const World w;
  return w;
}

std::vector<OrderLine> generated(std::size_t count) {
  LineGenerator gen(test::property_seed(), *test::registry(), world().items);
  std::vector<OrderLine> lines;
  for (std::size_t i = 0; i < count; ++i) {
    lines.push_back(gen.next(i));
    if (i % 20 == 19) lines.back().date.reset();  // decided on the run's date
  }
  return lines;
}

// The whole answer, as the CLI and the API write it.
std::string answer(const OrderLine& line, const OrderDecider& decider) {
  LineError e;
  auto d = decider.decide(line, kRunDate, false, e);
  if (!d) return "error " + e.field + ": " + e.problem;
  return io::decision_json_text(line, *d, decider.snapshot_id());
}

// ---- (1) alone, in any order, inside any batch --------------------------------------------------

TEST(DecisionProperties, SameAnswerAloneInAnyOrderAndInAnyBatch) {
  const auto lines = generated(test::property_lines(3000));
  const std::uint64_t seed = test::property_seed();
  // In order, through one decider (one shared cache, as a run or the server).
  const OrderDecider shared(test::registry(), world().items, world().options());
  std::vector<std::string> in_order;
  for (const auto& l : lines) in_order.push_back(answer(l, shared));
  // Shuffled, through another decider.
  std::vector<std::size_t> order(lines.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::shuffle(order.begin(), order.end(), std::mt19937_64(seed));
  const OrderDecider shuffled(test::registry(), world().items, world().options());
  for (std::size_t i : order)
    ASSERT_EQ(answer(lines[i], shuffled), in_order[i])
        << "in another order: " << LineGenerator::describe(seed, lines[i]);
  // Reversed batches of 50 through fresh deciders (a batch is decided line by line in the CLI and the server).
  for (std::size_t start = 0; start < lines.size(); start += 50) {
    const OrderDecider batch(test::registry(), world().items, world().options());
    const std::size_t end = std::min(lines.size(), start + 50);
    for (std::size_t i = end; i-- > start;)
      ASSERT_EQ(answer(lines[i], batch), in_order[i]) << "in a batch: " << LineGenerator::describe(seed, lines[i]);
  }
  // Alone: a fresh decider for one line (every 10th, a fresh decider costs a catalog copy).
  for (std::size_t i = 0; i < lines.size(); i += 10) {
    const OrderDecider alone(test::registry(), world().items, world().options());
    ASSERT_EQ(answer(lines[i], alone), in_order[i]) << "alone: " << LineGenerator::describe(seed, lines[i]);
  }
}

// ---- (3), (4), (6) per decision -----------------------------------------------------------------

bool in_rule_files(const rules::SourceRef& src, const rules::RuleSet& rs) {
  return src.line > 0 && std::find(rs.files.begin(), rs.files.end(), src.file) != rs.files.end();
}

template <typename T>
bool one_of(const T* p, const std::vector<T>& v) {
  return std::any_of(v.begin(), v.end(), [&](const T& x) { return &x == p; });
}

// The provision a reason cites is one of the rule set's own (not a copy, not a string), read from one
// of the files the rule set was built from; a letter is one of the letters file's.
std::string reason_problem(const Reason& r, const Decision& d, const std::vector<rules::Letter>& letters) {
  const std::string text = r.text();
  if (text.find('[') == std::string::npos || text.back() != ']') return "no citation in '" + text + "'";
  if (r.kind == Reason::Kind::kLetter)
    return one_of(r.letter, letters) && r.letter->source.line > 0 ? "" : "letter not from the letters file";
  if (!d.rules) {
    // Before the first version no rule file is in force: only the standing provisions apply (the
    // Entity List as the first version file writes it, marked predates_versions).
    const auto& standing = test::registry()->standing();
    const auto first = test::registry()->versions().front();
    if (r.kind != Reason::Kind::kEntityList && r.kind != Reason::Kind::kNotScreened) return "no rule set in force";
    return one_of(r.party_list, standing.party_lists) && in_rule_files(r.party_list->source, *first)
               ? ""
               : "party-list provision not one of the standing provisions of the first version file";
  }
  const auto& lic = d.rules->license;
  switch (r.kind) {
    case Reason::Kind::kRequirement:
    case Reason::Kind::kUndeterminedItem:
      return one_of(r.requirement, lic.requirements) && in_rule_files(r.requirement->source, *d.rules)
                 ? ""
                 : "requirement not in the rule set";
    case Reason::Kind::kEndUse:
      return one_of(r.end_use, lic.end_uses) && in_rule_files(r.end_use->source, *d.rules)
                 ? ""
                 : "end use not in the rule set";
    case Reason::Kind::kEntityList:
    case Reason::Kind::kNotScreened:
      return one_of(r.party_list, lic.party_lists) && in_rule_files(r.party_list->source, *d.rules)
                 ? ""
                 : "party-list provision not in the rule set";
    case Reason::Kind::kAffiliate:
    case Reason::Kind::kAffiliateUndetermined:
      return lic.affiliates && r.affiliates == &*lic.affiliates && in_rule_files(r.affiliates->source, *d.rules) &&
                     one_of(r.party_list, lic.party_lists)
                 ? ""
                 : "Affiliates rule not the rule set's";
    case Reason::Kind::kEmbargo:
      return one_of(r.embargo, lic.embargoes) && in_rule_files(r.embargo->source, *d.rules)
                 ? ""
                 : "embargo not in the rule set";
    case Reason::Kind::kUndeterminedScope:
      if (r.embargo)
        return one_of(r.embargo, lic.embargoes) && in_rule_files(r.embargo->source, *d.rules)
                   ? ""
                   : "embargo not in the rule set";
      return one_of(r.end_use, lic.end_uses) && in_rule_files(r.end_use->source, *d.rules)
                 ? ""
                 : "end use not in the rule set";
    case Reason::Kind::kLetter:
      break;
  }
  return "";
}

TEST(DecisionProperties, DateReasonsAndExceptionsOfEveryDecision) {
  const auto lines = generated(test::property_lines(3000));
  const std::uint64_t seed = test::property_seed();
  const OrderDecider decider(test::registry(), world().items, world().options());
  std::map<std::string, int> seen;  // coverage of the generator, printed once
  for (const auto& line : lines) {
    LineError e;
    auto d = decider.decide(line, kRunDate, false, e);
    if (!d) {
      ++seen["error " + e.field];
      continue;
    }
    const std::string where = LineGenerator::describe(seed, line);
    // (3) the output date is the line's own.
    ASSERT_EQ(d->date, line.date.value_or(kRunDate)) << where;
    // (4) every reason cites a provision of the rule files, with its source.
    for (const auto& r : d->reasons) ASSERT_EQ(reason_problem(r, *d, world().letters), "") << where;
    // (6) no exception offered that a reason of the same decision bars: neither one the decision's
    // trace records as barred, nor any when a reason bars every exception.
    for (const auto* ex : d->exceptions) {
      for (const auto& t : d->trace)
        ASSERT_FALSE(t.kind == TestedProvision::Kind::kExceptionBlocked && t.provision == ex)
            << ex->id << " offered and barred: " << where;
      for (const auto& r : d->reasons)
        ASSERT_EQ(exception_barred_by(r, *ex), "") << ex->id << " offered with '" << r.text() << "': " << where;
    }
    // The shipped rule data gives every licence requirement a review rule: the engine's "no review
    // rule covers it" (a policy left open for want of data) is never reached.
    for (const auto& open : d->review_open)
      ASSERT_EQ(open.find("no review rule of the rules applied covers"), std::string::npos) << open << ": " << where;
    ++seen[!d->license_required ? "undetermined" : *d->license_required ? "required" : "no licence"];
    for (const auto& r : d->reasons) ++seen["reason " + std::to_string(static_cast<int>(r.kind))];
    if (!d->exceptions.empty()) ++seen["with exception"];
  }
  // The generator must reach every kind of answer and reason, or the properties prove little.
  for (const char* k : {"required", "no licence", "undetermined", "with exception", "reason 0", "reason 1", "reason 2",
                        "reason 3", "reason 4", "reason 5", "reason 6"})
    EXPECT_GT(seen[k], 0) << "the generated lines never gave '" << k << "' (seed " << seed << ")";
}

// ---- (5) monotonicity --------------------------------------------------------------------------
//
// Statement: under every rule version, for an IC whose TPP and die area are known (so PD is known),
// every other parameter held fixed: if it is controlled by a 3A090 entry, it is still controlled by a
// 3A090 entry (never "not controlled", never undetermined) after its TPP is raised (rates scaled up by
// k >= 1, which raises PD by the same factor) and/or its PD is raised (die area reduced).
//
// Why it holds in the text (rules/us-ear): 2022-10-07: 3A090.a = bit-TOPS >= 4800 AND I/O >= 600;
// raising TPP keeps both. From 2023-11-17: a.1 TPP >= 4800; a.2 TPP >= 1600 and PD >= 5.92; b.1
// 2400 <= TPP < 4800 and 1.6 <= PD < 5.92; b.2 TPP >= 1600 and 3.2 <= PD < 5.92. The .b prongs have
// upper bounds, but crossing one lands in .a: leaving b.1 upwards means TPP >= 4800 (a.1) or PD >= 5.92
// with TPP >= 2400 (a.2); leaving b.2 means PD >= 5.92 with TPP >= 1600 (a.2). So the union a or b is
// closed upwards, though an item may move from .b to .a. Note 2 excludes items not designed for
// datacenters only while TPP < 4800; raising TPP can only end that, raising PD leaves it as it was.
// The ECCN may change (.b -> .a); what may not happen is leaving 3A090 altogether.

classify::Item random_ic(std::mt19937_64& rng) {
  std::uniform_real_distribution<double> tpp(200, 30000), die(40, 1600), io(0, 1200);
  classify::Item item;
  item.id = "generated-ic";
  item.vendor = "TestVendor";
  item.kind = classify::ItemKind::kIc;
  classify::ProcessingUnit u;
  u.dense_rate[rules::precision_index("int8")] = tpp(rng) / 8;
  item.units.push_back(u);
  item.die_area_mm2 = die(rng);
  item.interconnect_bw_gbs = io(rng);
  const int dc = std::uniform_int_distribution<int>(0, 2)(rng);
  item.datacenter = dc == 0 ? classify::Tri::kFalse : dc == 1 ? classify::Tri::kTrue : classify::Tri::kUnknown;
  return item;
}

bool in_3a090(const classify::Classification& c) {
  return c.status == classify::Status::kControlled &&
         std::any_of(c.eccns.begin(), c.eccns.end(), [](const std::string& e) { return e.rfind("3A090", 0) == 0; });
}

TEST(DecisionProperties, RaisingTppOrDensityNeverLeaves3A090) {
  const std::uint64_t seed = test::property_seed();
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> factor(1.0, 4.0);
  std::size_t controlled = 0;
  const std::size_t n = test::property_lines(3000);
  for (const auto& rs : test::registry()->versions()) {
    const Date on = rs->version.effective;
    for (std::size_t i = 0; i < n / 3; ++i) {
      const classify::Item item = random_ic(rng);
      const auto before = classify::classify(item, on, rs);
      if (!in_3a090(before)) continue;
      ++controlled;
      const double k = factor(rng), shrink = factor(rng);
      classify::Item more_tpp = item, more_pd = item, both = item;
      for (auto* it : {&more_tpp, &both}) *it->units[0].dense_rate[rules::precision_index("int8")] *= k;
      for (auto* it : {&more_pd, &both}) *it->die_area_mm2 /= shrink;
      for (const auto* raised : {&more_tpp, &more_pd, &both}) {
        const auto after = classify::classify(*raised, on, rs);
        ASSERT_TRUE(in_3a090(after)) << "version " << rs->version.id << ", seed " << seed << ": TPP "
                                     << *before.metrics.tpp << " PD " << *before.metrics.pd << " is "
                                     << before.eccns.front() << " but TPP " << after.metrics.tpp.value_or(-1) << " PD "
                                     << after.metrics.pd.value_or(-1) << " is " << classify::status_name(after.status);
      }
    }
  }
  EXPECT_GT(controlled, n / 10) << "too few generated ICs were controlled to test anything (seed " << seed << ")";
}

}  // namespace
}  // namespace chipgate::license

// Shipment decisions with the fuzzy screener over the real lists, as `chipgate decide --lists` runs
// them (the decide benchmarks of decide_bench.cpp screen exactly against the sample list, or not at
// all). Lists: the BIS lists of ../shared/data/lists/bis-and-others_nsfreg and the OFAC SDN list.
//
// - DecideFuzzyMemoized: the CLI's path. Six end users and one consignee recur across the book, so
//   after the first lines every party is answered by license::MemoizingScreener.
// - DecideFuzzyDistinctParties: every line names an end user and a consignee seen nowhere else (the
//   worst case for the memo: two fuzzy queries per line).
//
//   ./build/bench/chipgate_screen_bench --benchmark_filter=DecideFuzzy
#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "classify/classifier.h"
#include "io/catalog.h"
#include "license/decision.h"
#include "license/screening.h"
#include "rules/registry.h"
#include "screen/screener.h"

namespace {

using namespace chipgate;

[[noreturn]] void fail(const std::string& message) {
  std::fprintf(stderr, "decide_screened_bench: %s\n", message.c_str());
  std::exit(1);
}

struct Fixture {
  io::Catalog catalog;
  rules::RuleSetPtr rules;
  std::map<std::string, std::pair<const classify::Item*, classify::Classification>> classified;
  std::unique_ptr<screen::Screener> screener;

  Fixture() {
    auto reg = rules::Registry::load(std::string(CHIPGATE_SOURCE_DIR) + "/rules/us-ear");
    if (!reg) fail(reg.message());
    const Date date = Date::from_ymd(2026, 11, 25);
    rules = reg.value()->in_force(date);
    auto cat = io::load_catalog(std::string(CHIPGATE_SOURCE_DIR) + "/data/sample-catalog.csv");
    if (!cat) fail(cat.message());
    catalog = std::move(cat).value();
    for (const auto& r : catalog.rows)
      classified.emplace(r.item.id, std::make_pair(&r.item, classify::classify(r.item, date, rules)));
    auto terms = screen::load_terms(std::string(CHIPGATE_SOURCE_DIR) + "/data/screening/terms.toml");
    if (!terms) fail(terms.message());
    const std::string lists = std::string(CHIPGATE_SHARED_DATA_DIR) + "/lists/";
    auto s = screen::Screener::load({lists + "bis-and-others_nsfreg", lists + "ofac-sdn_kindrat86/ofac-sdn.json"},
                                    terms.value());
    if (!s) fail(s.message());
    screener = std::move(s).value();
  }

  // Line n of a synthetic book: products in turn, a spread of destinations.
  license::OrderLine line(std::size_t n, bool distinct_parties) const {
    static const char* dests[] = {"DE", "CN", "VN", "MY", "MO", "HK", "SG", "IL", "AE", "IN", "SA", "JP"};
    static const char* users[] = {"Example Lab",        "Sugon",       "Example Cloud", "Inspur Group",
                                  "Example University", "SMIC Beijing"};
    license::OrderLine l;
    l.order_id = "PO-" + std::to_string(n / 4);
    l.line = std::to_string(n % 4 + 1);
    l.date = Date::from_ymd(2026, 11, 25);
    l.product_id = catalog.rows[n % catalog.rows.size()].item.id;
    l.quantity = 8;
    l.ship_to = dests[n % 12];
    l.end_user_country = l.ship_to;
    l.end_user_hq_country = l.ship_to;
    l.exporter = "NVIDIA";
    if (distinct_parties) {
      l.consignee = "Harbor Logistics Trading " + std::to_string(n) + " Co., Ltd.";
      l.end_user = "Northern Compute Research Institute " + std::to_string(n);
    } else {
      l.consignee = "Example Consignee";
      l.end_user = users[n % 6];
    }
    return l;
  }
};

Fixture& fixture() {
  static Fixture f;
  return f;
}

void run(benchmark::State& state, const license::PartyScreener& screener, bool distinct) {
  auto& f = fixture();
  const license::DecideContext ctx{&screener, nullptr};
  std::size_t n = 0, required = 0;
  for (auto _ : state) {
    state.PauseTiming();
    const license::OrderLine l = f.line(n++, distinct);
    state.ResumeTiming();
    const auto& [item, cls] = f.classified.at(l.product_id);
    auto d = license::decide(l, *item, cls, f.rules, ctx);
    required += d.license_required.value_or(false) ? 1 : 0;
    benchmark::DoNotOptimize(d);
  }
  benchmark::DoNotOptimize(required);
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}

void BM_DecideFuzzyMemoized(benchmark::State& state) {
  const license::MemoizingScreener memo(*fixture().screener);
  run(state, memo, false);
}
BENCHMARK(BM_DecideFuzzyMemoized);

void BM_DecideFuzzyDistinctParties(benchmark::State& state) { run(state, *fixture().screener, true); }
BENCHMARK(BM_DecideFuzzyDistinctParties);

}  // namespace

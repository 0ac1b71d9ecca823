// Shipment-decision throughput (issue 3): decisions per second per core for an order book, in
// memory (screening excluded, classification cached per product as the CLI does), with exact/alias
// screening, and the CSV path (parse, decide, render JSON Lines).
//
//   ./build/bench/chipgate_bench --benchmark_filter=Decide --benchmark_min_time=0.5
#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "classify/classifier.h"
#include "io/catalog.h"
#include "io/decision_output.h"
#include "io/orders.h"
#include "license/decision.h"
#include "license/screening.h"
#include "rules/registry.h"

namespace {

using namespace chipgate;

[[noreturn]] void fail(const std::string& message) {
  std::fprintf(stderr, "decide_bench: %s\n", message.c_str());
  std::exit(1);
}

struct Fixture {
  std::shared_ptr<rules::Registry> registry;
  io::Catalog catalog;
  rules::RuleSetPtr rules;
  Date date = Date::from_ymd(2026, 11, 25);
  std::map<std::string, std::pair<const classify::Item*, classify::Classification>> classified;
  std::string orders_csv;  // synthetic order book
  std::unique_ptr<license::ExactAliasScreener> screener;

  Fixture() {
    auto reg = rules::Registry::load(std::string(CHIPGATE_SOURCE_DIR) + "/rules/us-ear");
    if (!reg) fail(reg.message());
    registry = reg.value();
    auto cat = io::load_catalog(std::string(CHIPGATE_SOURCE_DIR) + "/data/sample-catalog.csv");
    if (!cat) fail(cat.message());
    catalog = std::move(cat).value();
    rules = registry->in_force(date);
    for (const auto& r : catalog.rows)
      classified.emplace(r.item.id, std::make_pair(&r.item, classify::classify(r.item, date, rules)));
    auto s = license::ExactAliasScreener::load({std::string(CHIPGATE_SOURCE_DIR) + "/data/sample-parties.json"});
    if (!s) fail(s.message());
    screener = std::move(s).value();
    // Deterministic synthetic order book: every product x a spread of destinations and parties.
    const char* dests[] = {"DE", "CN", "VN", "MY", "MO", "HK", "SG", "IL", "AE", "IN", "SA", "JP"};
    const char* hqs[] = {"DE", "CN", "VN", "CN", "MO", "HK", "US", "IL", "AE", "IN", "SA", "JP"};
    const char* users[] = {"Example Lab",        "Sugon",       "Example Cloud", "Inspur Group",
                           "Example University", "SMIC Beijing"};
    orders_csv =
        "order_id,line,date,product_id,quantity,value_usd,ship_to,consignee,end_user,end_user_country,end_user_hq_"
        "country,end_uses,exporter\n";
    std::size_t n = 0;
    for (std::size_t i = 0; n < 100000; ++i) {
      for (const auto& r : catalog.rows) {
        const std::size_t k = (i + n) % 12;
        orders_csv += "PO-" + std::to_string(n / 4) + "," + std::to_string(n % 4 + 1) + ",2026-11-25," + r.item.id +
                      ",8,100000," + dests[k] + ",Example Consignee," + users[n % 6] + "," + dests[k] + "," + hqs[k] +
                      "," + (n % 50 == 0 ? "supercomputer" : "") + ",NVIDIA\n";
        if (++n == 100000) break;
      }
    }
  }
};

Fixture& fixture() {
  static Fixture f;
  return f;
}

void BM_DecideInMemory(benchmark::State& state) {
  auto& f = fixture();
  auto book = io::parse_orders_csv(f.orders_csv);
  if (!book) fail(book.message());
  const license::DecideContext ctx{nullptr, nullptr};  // screening excluded
  std::size_t i = 0, required = 0;
  for (auto _ : state) {
    const auto& line = book->lines[i++ % book->lines.size()].line;
    const auto& [item, cls] = f.classified.at(line.product_id);
    auto d = license::decide(line, *item, cls, f.rules, ctx);
    required += d.license_required.value_or(false) ? 1 : 0;
    benchmark::DoNotOptimize(d);
  }
  benchmark::DoNotOptimize(required);
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}
BENCHMARK(BM_DecideInMemory);

void BM_DecideWithExactScreening(benchmark::State& state) {
  auto& f = fixture();
  auto book = io::parse_orders_csv(f.orders_csv);
  if (!book) fail(book.message());
  const license::DecideContext ctx{f.screener.get(), nullptr};
  std::size_t i = 0;
  for (auto _ : state) {
    const auto& line = book->lines[i++ % book->lines.size()].line;
    const auto& [item, cls] = f.classified.at(line.product_id);
    auto d = license::decide(line, *item, cls, f.rules, ctx);
    benchmark::DoNotOptimize(d);
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}
BENCHMARK(BM_DecideWithExactScreening);

void BM_DecideOrdersCsvParse(benchmark::State& state) {
  auto& f = fixture();
  std::size_t lines = 0;
  for (auto _ : state) {
    auto book = io::parse_orders_csv(f.orders_csv);
    lines += book->lines.size();
    benchmark::DoNotOptimize(book);
  }
  state.SetItemsProcessed(static_cast<int64_t>(lines));
}
BENCHMARK(BM_DecideOrdersCsvParse)->Unit(benchmark::kMillisecond);

void BM_DecideCsvEndToEnd(benchmark::State& state) {
  auto& f = fixture();
  const license::DecideContext ctx{f.screener.get(), nullptr};
  std::size_t lines = 0, bytes = 0;
  for (auto _ : state) {
    auto book = io::parse_orders_csv(f.orders_csv);
    for (const auto& row : book->lines) {
      const auto& [item, cls] = f.classified.at(row.line.product_id);
      auto d = license::decide(row.line, *item, cls, f.rules, ctx);
      bytes += io::decision_json_text(row.line, d, f.screener->snapshot_id()).size();
    }
    lines += book->lines.size();
  }
  benchmark::DoNotOptimize(bytes);
  state.SetItemsProcessed(static_cast<int64_t>(lines));
}
BENCHMARK(BM_DecideCsvEndToEnd)->Unit(benchmark::kMillisecond);

}  // namespace

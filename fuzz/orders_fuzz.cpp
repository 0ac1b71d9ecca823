// Fuzzes the order-book readers (CSV and JSON Lines) and, for the first lines they accept, the
// decision path of `chipgate decide` (catalog lookup, rule version, validation, classification,
// licence decision) and its JSON and CSV renderings: bad input must give row or line errors, never
// a crash, a sanitizer report or a hang.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>

#include "io/catalog.h"
#include "io/decision_output.h"
#include "io/orders.h"
#include "license/order_decider.h"
#include "rules/registry.h"

namespace {

const chipgate::license::OrderDecider* decider() {
  static std::unique_ptr<chipgate::license::OrderDecider> d = []() -> std::unique_ptr<chipgate::license::OrderDecider> {
    auto reg = chipgate::rules::Registry::load(CHIPGATE_DEFAULT_RULES_DIR);
    auto catalog = chipgate::io::load_catalog(CHIPGATE_SOURCE_DIR "/data/sample-catalog.csv");
    if (!reg || !catalog) __builtin_trap();
    std::vector<chipgate::classify::Item> items;
    for (const auto& row : catalog->rows) items.push_back(row.item);
    return std::make_unique<chipgate::license::OrderDecider>(reg.value(), items,
                                                             chipgate::license::OrderDecider::Options{});
  }();
  return d.get();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const auto today = chipgate::Date::parse("2026-11-25").value();
  for (bool jsonl : {false, true}) {
    auto book = jsonl ? chipgate::io::parse_orders_jsonl(text) : chipgate::io::parse_orders_csv(text);
    if (!book) {
      if (book.message().empty()) __builtin_trap();
      continue;
    }
    for (const auto& e : book->errors)
      if (e.error.problem.empty()) __builtin_trap();
    std::size_t decided = 0;
    for (const auto& row : book->lines) {
      if (++decided > 8) break;  // a few lines per input keep the target fast
      chipgate::license::LineError error;
      auto d = decider()->decide(row.line, today, false, error);
      if (!d) {
        if (error.problem.empty()) __builtin_trap();
        continue;
      }
      (void)chipgate::io::decision_json_text(row.line, *d, "");
      (void)chipgate::io::decision_csv_row(row.line, *d);
    }
  }
  return 0;
}

// Fuzzes the catalog readers (CSV and JSON Lines) and, for every item they accept, the classifier
// and the JSON renderer: bad input must give row errors, never a crash.
#include <cstdint>
#include <string_view>

#include "classify/classifier.h"
#include "io/catalog.h"
#include "io/classification_output.h"
#include "rules/registry.h"

namespace {
std::shared_ptr<chipgate::rules::Registry> registry() {
  static auto reg = chipgate::rules::Registry::load(CHIPGATE_DEFAULT_RULES_DIR);
  return reg ? reg.value() : nullptr;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto reg = registry();
  for (bool jsonl : {false, true}) {
    auto catalog = jsonl ? chipgate::io::parse_catalog_jsonl(text) : chipgate::io::parse_catalog_csv(text);
    if (!catalog || !reg) continue;
    for (const auto& row : catalog->rows) {
      for (const auto& v : {reg->versions().front(), reg->versions().back()}) {
        auto c = chipgate::classify::classify(row.item, v->version.effective, v);
        (void)chipgate::io::classification_to_json(row.item, c).dump();
      }
    }
  }
  return 0;
}

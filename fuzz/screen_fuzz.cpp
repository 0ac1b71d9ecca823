// libFuzzer target for restricted-party list ingestion and the name normaliser: any bytes,
// under any of the published file names, must either load as a list (with bad rows reported) or be
// refused with a message; and any bytes as a party name must be screened or refused, never crash.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "screen/lists.h"
#include "screen/screener.h"

namespace {

const chipgate::screen::Screener& screener() {
  static std::unique_ptr<chipgate::screen::Screener> s = [] {
    auto terms = chipgate::screen::load_terms(CHIPGATE_SOURCE_DIR "/data/screening/terms.toml");
    if (!terms) __builtin_trap();
    auto snap = chipgate::screen::snapshot_from_names(
        {"Huawei Technologies Co., Ltd.", "Guangzhou Haige Communication Group Co., Ltd.", "PUTIN, Vladimir",
         "Semiconductor Manufacturing International Corporation (SMIC)"});
    auto built = chipgate::screen::Screener::build(std::move(snap), terms.value());
    if (!built) __builtin_trap();
    return std::move(built).value();
  }();
  return *s;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  static const char* const kNames[] = {"list.json",        "sdn.csv",       "alt.csv",          "add.csv",
                                       "sdn_comments.csv", "cons_prim.csv", "consolidated.csv", "snapshot.jsonl"};
  const std::string_view text(reinterpret_cast<const char*>(data) + 1, size - 1);
  auto snap = chipgate::screen::load_list_text(kNames[data[0] % 8], text);
  if (snap) {
    if (snap->id.size() != 64) __builtin_trap();
    std::size_t total = 0;
    for (const auto& [list, n] : snap->counts) total += n;
    if (total != snap->entries.size()) __builtin_trap();
    for (const auto& e : snap->entries)
      if (e.name.empty()) __builtin_trap();
  } else if (snap.message().empty()) {
    __builtin_trap();
  }
  const auto r = screener().query(text);
  if (r.error.empty() == false && !r.hits.empty()) __builtin_trap();
  for (const auto& h : r.hits)
    if (!(h.score >= 0 && h.score <= 1) || !(h.ofac_score >= 0 && h.ofac_score <= 1)) __builtin_trap();
  return 0;
}

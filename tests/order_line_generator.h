// A seeded generator of random order lines for the decision properties (tests/decision_properties_test.cpp
// and tests/server/decision_properties_test.cpp): products of ../shared/data/accelerators.csv (plus
// servers built from them), every destination and country group, dates across every rule-version
// boundary (the day before and the day of) and every letter's dates, the sample letters' exporters,
// declared end uses, and parties on the sample list, off it, and reached only through the sample
// ownership data (data/sample-ownership.csv).
//
// The seed is CHIPGATE_PROPERTY_SEED when set (to replay a failure), else a fixed one; every failure
// message prints the seed and the line. CHIPGATE_PROPERTY_LINES sets how many lines (default per test).
#pragma once

#include <cstdint>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "classify/item.h"
#include "core/date.h"
#include "io/catalog.h"
#include "license/shipment.h"
#include "rules/registry.h"
#include "test_support.h"

namespace chipgate::test {

inline std::uint64_t property_seed() {
  if (const char* s = std::getenv("CHIPGATE_PROPERTY_SEED"); s && *s) return std::strtoull(s, nullptr, 10);
  return 20261204;
}

inline std::size_t property_lines(std::size_t fallback) {
  if (const char* s = std::getenv("CHIPGATE_PROPERTY_LINES"); s && *s) return std::strtoull(s, nullptr, 10);
  return fallback;
}

// The shared catalog with every computer linked, plus two servers per sampled IC (a 4A090 computer and
// a 5A992 computer that takes the .z paragraph).
inline std::vector<classify::Item> property_catalog() {
  auto catalog = io::load_catalog(shared_data("accelerators.csv"));
  if (!catalog) throw std::runtime_error("accelerators.csv: " + catalog.message());
  std::vector<classify::Item> items;
  for (const auto& r : catalog->rows) items.push_back(r.item);
  const std::size_t ics = items.size();
  for (std::size_t i = 0; i < ics; i += 7) {
    if (items[i].kind != classify::ItemKind::kIc) continue;
    for (const char* base : {"", "5A992"}) {
      classify::Item server;
      server.id = "server-" + std::string(*base ? "5a992-" : "") + items[i].id;
      server.vendor = "Example OEM";
      server.kind = classify::ItemKind::kComputer;
      server.contained_id = items[i].id;
      server.contained_count = 8;
      server.base_eccn = base;
      server.contained_ic = std::make_shared<const classify::Item>(items[i]);
      items.push_back(std::move(server));
    }
  }
  return items;
}

// Names as they appear on the sample list (data/sample-parties.json: names and aliases), names on no
// list, and names reached only through data/sample-ownership.csv.
struct PropertyParties {
  std::vector<std::string> listed = {"Huawei Technologies Co., Ltd.",
                                     "SMIC Shanghai",
                                     "Sugon",
                                     "Dawning",
                                     "Inspur Group",
                                     "National Supercomputing Center Wuxi",
                                     "NSCC-WX",
                                     "Beijing Biren Technology Development Co., Ltd."};
  std::vector<std::string> unlisted = {"Example Trading Co.", "Example AI Lab", "Example Cloud GmbH",
                                       "Example Integrator",  "Acme Computing", "Example Local Investor Ltd"};
  std::vector<std::string> affiliates = {"Example Sixty Holdings Ltd",  "Example Chain Subsidiary Ltd",
                                         "Example Half Subsidiary Ltd", "Example Joint Venture Co",
                                         "Example Minority Co",         "Example Unknown Share Co",
                                         "Example Cycle A Ltd"};
};

class LineGenerator {
 public:
  LineGenerator(std::uint64_t seed, const rules::Registry& registry, const std::vector<classify::Item>& items)
      : rng_(seed), registry_(registry), items_(items) {
    for (const auto& [code, name] : registry.countries()) countries_.push_back(code);
    // Every version boundary, the day before and the day of; every letter's dates.
    std::set<std::string> days;
    for (const auto& v : registry.versions()) {
      days.insert(v->version.effective.to_string());
      days.insert(v->version.effective.plus_days(-1).to_string());
    }
    for (const char* d : {"2022-08-25", "2022-08-26", "2022-10-06", "2025-04-08", "2025-04-09", "2025-04-10"})
      days.insert(d);
    for (const auto& d : days) boundary_days_.push_back(Date::parse(d).value());
    for (const auto& item : items_)
      if (item.id == "nvidia-h20" || item.id == "nvidia-a100-sxm4-80gb" || item.id == "nvidia-h100-sxm5-80gb")
        letter_items_.push_back(&item);
  }

  license::OrderLine next(std::size_t n) {
    license::OrderLine l;
    l.order_id = "PO-" + std::to_string(n / 3);
    l.line = std::to_string(n % 3 + 1);
    l.date = pick_date();
    // One line in ten is a product named in the sample letters, so that letters are reached.
    const classify::Item& item = chance(0.1) && !letter_items_.empty() ? *letter_items_[index(letter_items_.size())]
                                                                       : items_[index(items_.size())];
    l.product_id = item.id;
    l.quantity = static_cast<double>(1 + index(64));
    l.value_usd = static_cast<double>(index(1000000));
    l.ship_to = pick_country();
    l.end_user_country = chance(0.7) ? l.ship_to : pick_country();
    if (chance(0.6)) l.end_user_hq_country = chance(0.5) ? l.end_user_country : pick_country();
    if (chance(0.1)) l.export_from = pick(kFocus);
    l.exporter = chance(0.7) ? item.vendor : chance(0.5) ? "NVIDIA" : "Acme Exports";
    l.consignee = pick_party();
    l.end_user = pick_party();
    if (chance(0.15)) {
      if (auto rs = registry_.in_force(*l.date); rs && !rs->license.end_uses.empty())
        l.end_uses.push_back(rs->license.end_uses[index(rs->license.end_uses.size())].code);
    }
    return l;
  }

  // The line as an order book's JSON Lines record (and a POST /v1/decide element).
  static nlohmann::json to_json(const license::OrderLine& l) {
    nlohmann::json j = {{"order_id", l.order_id},
                        {"line", l.line},
                        {"product_id", l.product_id},
                        {"quantity", l.quantity},
                        {"value_usd", l.value_usd},
                        {"ship_to", l.ship_to},
                        {"consignee", l.consignee},
                        {"end_user", l.end_user},
                        {"end_user_country", l.end_user_country},
                        {"end_user_hq_country", l.end_user_hq_country},
                        {"end_uses", l.end_uses},
                        {"exporter", l.exporter},
                        {"export_from", l.export_from}};
    if (l.date) j["date"] = l.date->to_string();
    return j;
  }

  static std::string describe(std::uint64_t seed, const license::OrderLine& l) {
    return "seed " + std::to_string(seed) + " (CHIPGATE_PROPERTY_SEED to replay), line " + to_json(l).dump();
  }

 private:
  static inline const std::vector<std::string> kFocus = {"CN", "HK", "MO", "RU", "BY", "IR", "KP", "SY", "CU",
                                                         "VN", "MY", "SG", "AE", "SA", "IL", "CY", "KH", "NI",
                                                         "DE", "US", "JP", "IN", "TW", "VE", "MM", "KZ"};

  std::size_t index(std::size_t n) { return std::uniform_int_distribution<std::size_t>(0, n - 1)(rng_); }
  bool chance(double p) { return std::bernoulli_distribution(p)(rng_); }
  const std::string& pick(const std::vector<std::string>& v) { return v[index(v.size())]; }

  std::string pick_country() { return chance(0.6) ? pick(kFocus) : pick(countries_); }

  Date pick_date() {
    if (chance(0.6)) return boundary_days_[index(boundary_days_.size())];
    const Date first = Date::parse("2022-06-01").value();
    return first.plus_days(static_cast<int>(index(365 * 5)));
  }

  std::string pick_party() {
    const double r = std::uniform_real_distribution<double>(0, 1)(rng_);
    if (r < 0.25) return pick(parties_.listed);
    if (r < 0.5) return pick(parties_.unlisted);
    if (r < 0.75) return pick(parties_.affiliates);
    return "";
  }

  std::mt19937_64 rng_;
  const rules::Registry& registry_;
  const std::vector<classify::Item>& items_;
  std::vector<std::string> countries_;
  std::vector<Date> boundary_days_;
  std::vector<const classify::Item*> letter_items_;
  PropertyParties parties_;
};

}  // namespace chipgate::test

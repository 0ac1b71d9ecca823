// Rollback impact: every product of a catalog (and every line of an order book) under a base rule
// version and under a scenario patched over the same base; what changed, what it unlocks, and how
// much AI capability that is (capability.h).
//
// Products are classified directly (classify::classify on both rule sets); a product's licence
// outcome for a destination is the decision for a representative order line: one unit shipped
// from the US by the product's vendor to an end user located and headquartered in the destination,
// with no declared end use and no listed party (docs/capability-model.md, "Licence outcome of a
// product"). Order lines go through license::OrderDecider on the base date (the line's own date is
// not used: the comparison is between two rule sets). Identical lines (same fields that the
// decision reads) are decided once.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "classify/classifier.h"
#include "core/result.h"
#include "impact/capability.h"
#include "io/catalog.h"
#include "io/orders.h"
#include "license/decision.h"
#include "license/ownership.h"
#include "license/screening.h"
#include "rules/registry.h"

namespace chipgate::impact {

struct Options {
  std::string base = "today";  // a version id or a date (YYYY-MM-DD or "today")
  std::string scenario;        // required
  std::string destination = "CN";
  ModelParams model;
  std::optional<double> units;                       // N units of each unlocked product; default: from orders, else 1
  std::vector<std::string> compare;                  // product ids for the side-by-side comparison
  const license::PartyScreener* screener = nullptr;  // null: order-line parties are not screened
  const std::vector<rules::Letter>* letters = nullptr;
  std::shared_ptr<const license::OwnershipGraph> ownership{};  // for the Affiliates rule; null = none
};

// One side (before or after) of a product or an order line.
struct Outcome {
  classify::Status status = classify::Status::kNotControlled;
  std::vector<std::string> eccns;
  std::optional<bool> license_required;
  std::optional<rules::ReviewPolicy> review_policy;
  std::vector<std::string> missing;  // classification or decision left open for want of these
  std::vector<std::string> reasons;  // the decision's reasons, readable (products only)
  bool same_as(const Outcome& o) const {
    return status == o.status && eccns == o.eccns && license_required == o.license_required;
  }
};

// How the licence outcome moved from before to after.
enum class Transition {
  kUnchanged,         // same licence outcome (the ECCN may still have changed)
  kUnlocked,          // licence required -> not required
  kPossiblyUnlocked,  // undetermined -> not required
  kRestricted,        // not required -> required or undetermined, or undetermined -> required
  kOther,             // required -> undetermined
};
const char* transition_name(Transition t);  // "unchanged", "unlocked", "possibly_unlocked", ...
Transition transition(const Outcome& before, const Outcome& after);

// A rectangle of the TPP / performance-density plane that one prong of a control entry covers
// (metric conditions on tpp/bit_tops and pd only; other conditions are listed in `other`).
struct ThresholdRegion {
  std::string entry;  // "3A090.a"
  std::string prong;  // "a.2"
  std::optional<double> tpp_min, tpp_max, pd_min, pd_max;
  std::vector<std::string> other;  // "io_bw >= 600", "datacenter = false", ...
};
std::vector<ThresholdRegion> threshold_regions(const rules::RuleSet& rules);

struct ProductImpact {
  const classify::Item* item = nullptr;
  std::size_t row = 0;
  Outcome before, after;
  bool changed = false;
  Transition move = Transition::kUnchanged;
  Capability capability;
  double units = 0;           // N counted in capability_unlocked (0 unless unlocked)
  double units_possibly = 0;  // N counted in capability_possibly_unlocked
};

struct OrderImpact {
  std::uint32_t row_index = 0;  // into the order book's lines
  std::uint32_t before = 0;     // into ImpactReport::order_outcomes
  std::uint32_t after = 0;
};

struct Totals {
  std::size_t products = 0, products_changed = 0, products_unlocked = 0, products_possibly_unlocked = 0,
              products_restricted = 0, products_not_assessed = 0;
  std::size_t order_lines = 0, order_lines_changed = 0, order_lines_unlocked = 0, order_lines_possibly_unlocked = 0,
              order_lines_restricted = 0, order_lines_failed = 0;
  double value_unlocked_usd = 0, units_unlocked = 0;
  double value_possibly_unlocked_usd = 0, units_possibly_unlocked = 0;
  double value_restricted_usd = 0, units_restricted = 0;
  Aggregate capability_unlocked;           // over products whose outcome is "unlocked"
  Aggregate capability_possibly_unlocked;  // over "possibly_unlocked"
  std::string units_basis;                 // "orders", "--units N" or "1 unit per product"
};

struct ImpactReport {
  Options options;
  Date date;  // the as-of date of the base
  rules::RuleSetPtr base_rules, scenario_rules;
  std::vector<ProductImpact> products;
  bool has_orders = false;
  const io::OrderBook* book = nullptr;  // the caller's, for rendering order lines
  std::vector<Outcome> order_outcomes;  // distinct decisions, shared by lines
  std::vector<OrderImpact> orders;
  std::size_t distinct_decisions = 0;      // decisions actually computed for the order book
  std::vector<io::RowError> order_errors;  // lines that could not be decided
  std::vector<std::string> compare;        // ids found in the catalog, in the order asked
  std::vector<ThresholdRegion> base_regions, scenario_regions;
  Totals totals;
};

// The catalog's computers must be linked (io::link_contained; load_catalog does it). The report
// points into `catalog` and `book` (which may be null): both must outlive it. Fails on a bad option (unknown scenario
// or base, unknown destination, unknown --compare id), naming it.
Result<ImpactReport> analyse(std::shared_ptr<const rules::Registry> registry, const io::Catalog& catalog,
                             const io::OrderBook* book, const Options& options);

}  // namespace chipgate::impact

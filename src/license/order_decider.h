// One order line -> its licence decision, the way `chipgate decide` does it: catalog lookup, rule
// version in force on the line's date (or a scenario over it), validation of the fields that change
// the answer, classification of the item (cached per item and rule set, without its date), then
// license::decide on the line's own date.
//
// The CLI, the HTTP server and the impact report all go through this class, so a line gets the same
// answer whichever door it comes in by. It is safe to call from several threads at once.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "classify/classifier.h"
#include "classify/item.h"
#include "core/date.h"
#include "core/result.h"
#include "license/decision.h"
#include "license/ownership.h"
#include "license/screening.h"
#include "license/shipment.h"
#include "rules/registry.h"

namespace chipgate::license {

// A problem with one line, named by field ("product_id", "ship_to", "date", ...).
struct LineError {
  std::string field;
  std::string problem;
};

class OrderDecider {
 public:
  struct Options {
    std::string scenario;                                 // "" = the rules as in force
    const PartyScreener* screener = nullptr;              // null: parties are not screened (said in trace)
    const std::vector<rules::Letter>* letters = nullptr;  // company-specific is-informed letters
    // Who owns whom, for the Affiliates rule (needs a screener to find the listed owners); null = none.
    std::shared_ptr<const OwnershipGraph> ownership{};
  };

  // `items` is the catalog (computers already linked to their ICs); it is copied. The registry,
  // screener and letters must outlive the decider.
  OrderDecider(std::shared_ptr<const rules::Registry> registry, const std::vector<classify::Item>& items,
               Options options);

  // Checks that the scenario exists (it is otherwise reported per line).
  Status check() const;

  // Decides `line` on `date`: the line's own date wins unless `override_line_date` (as for
  // --compare-dates, where every line is decided on each date asked).
  Result<Decision> decide(const OrderLine& line, Date date, bool override_line_date = false) const;
  // The same, with a field-level error instead of a message.
  std::optional<Decision> decide(const OrderLine& line, Date date, bool override_line_date, LineError& error) const;

  const classify::Item* item(const std::string& product_id) const;
  const rules::Registry& registry() const { return *registry_; }
  const Options& options() const { return options_; }
  // The list snapshot the parties are screened against ("" when not screened).
  std::string snapshot_id() const;
  // The ownership data the Affiliates rule reads ("" when none): OwnershipGraph::content_id().
  std::string ownership_id() const;

 private:
  std::shared_ptr<const rules::Registry> registry_;
  std::map<std::string, classify::Item> items_;
  Options options_;
  std::unique_ptr<AffiliateResolver> affiliates_;  // when both ownership data and a screener are given
  // The item's classification under `rules`, from the cache. Its `date` is not the line's: a
  // classification does not depend on the date once the rule set is chosen, except for the date it
  // reports, so the cache holds it undated and on_date() stamps the line's own date on every read.
  // (A cached object that kept the date of the first line that used it once leaked that date into
  // every later line of the same item and rule set: letter validity and the output `date`.)
  classify::Classification classification(const classify::Item& item, const rules::RuleSetPtr& rules) const;
  static classify::Classification on_date(classify::Classification c, Date date);

  mutable std::mutex cache_mutex_;
  // (item, rule set) -> classification, undated; both keys live as long as the decider (rule sets are
  // kept alive by the registry's cache and by the classification's own pointer).
  mutable std::map<std::pair<const void*, const void*>, classify::Classification> classified_;
};

}  // namespace chipgate::license

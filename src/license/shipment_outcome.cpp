#include "license/shipment_outcome.h"

#include <algorithm>

namespace chipgate::license {

void ShipmentOutcome::add(const OrderLine& line, const Decision& d) {
  value_usd_ += line.value_usd;
  if (!d.license_required) {
    undetermined_.push_back(line.line);
    return;
  }
  if (!*d.license_required) {
    no_license_.push_back(line.line);
    return;
  }
  const bool first_required = required_.empty();
  required_.push_back(line.line);
  value_license_required_ += line.value_usd;
  if (d.review_policy && (!review_policy_ || rules::review_policy_severity(*d.review_policy) >
                                                 rules::review_policy_severity(*review_policy_)))
    review_policy_ = d.review_policy;
  std::vector<std::string> ids;
  for (const auto* e : d.exceptions) ids.push_back(e->id);
  if (first_required)
    exceptions_ = std::move(ids);
  else
    std::erase_if(exceptions_,
                  [&](const std::string& id) { return std::find(ids.begin(), ids.end(), id) == ids.end(); });
}

std::optional<bool> ShipmentOutcome::license_required() const {
  if (!required_.empty()) return true;
  if (!undetermined_.empty()) return std::nullopt;
  return false;
}

}  // namespace chipgate::license

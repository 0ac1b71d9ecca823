// The answer for a whole shipment (an order of several lines): a licence is required when any line
// needs one; the shipment is undetermined when no line needs one but some line is undetermined; the
// review policy is the most restrictive of its lines'; a licence exception is listed only when it is
// available on every line that needs a licence (one exception must cover the whole shipment,
// otherwise the lines must be licensed or split).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/date.h"
#include "license/decision.h"
#include "license/shipment.h"

namespace chipgate::license {

class ShipmentOutcome {
 public:
  ShipmentOutcome(std::string order_id, Date date) : order_id_(std::move(order_id)), date_(date) {}

  // Adds one decided line of this order (lines are added in order; only a summary is kept).
  void add(const OrderLine& line, const Decision& d);

  const std::string& order_id() const { return order_id_; }
  Date date() const { return date_; }
  std::optional<bool> license_required() const;  // nullopt = undetermined
  const std::optional<rules::ReviewPolicy>& review_policy() const { return review_policy_; }
  const std::vector<std::string>& lines_license_required() const { return required_; }
  const std::vector<std::string>& lines_undetermined() const { return undetermined_; }
  const std::vector<std::string>& lines_no_license() const { return no_license_; }
  // Ids of the licence exceptions available on every line that needs a licence.
  const std::vector<std::string>& exceptions() const { return exceptions_; }
  double value_usd() const { return value_usd_; }
  double value_license_required() const { return value_license_required_; }

 private:
  std::string order_id_;
  Date date_;
  std::optional<rules::ReviewPolicy> review_policy_;
  std::vector<std::string> required_, undetermined_, no_license_, exceptions_;
  double value_usd_ = 0, value_license_required_ = 0;
};

}  // namespace chipgate::license

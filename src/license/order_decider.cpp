#include "license/order_decider.h"

#include <utility>

namespace chipgate::license {

OrderDecider::OrderDecider(std::shared_ptr<const rules::Registry> registry, const std::vector<classify::Item>& items,
                           Options options)
    : registry_(std::move(registry)), options_(std::move(options)) {
  for (const auto& i : items) items_.emplace(i.id, i);
  if (options_.ownership && options_.screener)
    affiliates_ = std::make_unique<AffiliateResolver>(options_.ownership, *options_.screener);
}

Status OrderDecider::check() const {
  if (options_.scenario.empty()) return Status::ok();
  for (const auto& s : registry_->scenarios())
    if (s.name == options_.scenario) return Status::ok();
  // resolve() words the error with the list of available scenarios.
  auto probe = registry_->resolve(Date::today_utc(), options_.scenario);
  return probe ? Status::ok() : Status::error(probe.message());
}

const classify::Item* OrderDecider::item(const std::string& product_id) const {
  auto it = items_.find(product_id);
  return it == items_.end() ? nullptr : &it->second;
}

std::string OrderDecider::snapshot_id() const { return options_.screener ? options_.screener->snapshot_id() : ""; }

std::string OrderDecider::ownership_id() const { return options_.ownership ? options_.ownership->content_id() : ""; }

classify::Classification OrderDecider::classification(const classify::Item& item,
                                                      const rules::RuleSetPtr& rules) const {
  const auto key = std::make_pair(static_cast<const void*>(&item), static_cast<const void*>(rules.get()));
  std::lock_guard lock(cache_mutex_);
  auto cached = classified_.find(key);
  // Classified on a date no line has (Date{}): the cached result must never be read for its date.
  if (cached == classified_.end()) cached = classified_.emplace(key, classify::classify(item, Date{}, rules)).first;
  return cached->second;
}

classify::Classification OrderDecider::on_date(classify::Classification c, Date date) {
  c.date = date;
  if (c.contained) {
    auto contained = std::make_shared<classify::Classification>(*c.contained);
    contained->date = date;
    c.contained = std::move(contained);
  }
  return c;
}

std::optional<Decision> OrderDecider::decide(const OrderLine& line, Date date, bool override_line_date,
                                             LineError& error) const {
  const classify::Item* it = item(line.product_id);
  if (!it) {
    error = {"product_id", "no product '" + line.product_id + "' in the catalog"};
    return std::nullopt;
  }
  const Date on = !override_line_date && line.date ? *line.date : date;
  auto rs = registry_->resolve(on, options_.scenario);
  if (!rs) {
    error = {"date", rs.message()};
    return std::nullopt;
  }
  if (auto v = validate_line(line, registry_->countries(), rs.value().get()); !v) {
    // validate_line words its errors "field: problem".
    const std::string& m = v.message();
    const auto colon = m.find(": ");
    error = colon == std::string::npos ? LineError{"", m} : LineError{m.substr(0, colon), m.substr(colon + 2)};
    return std::nullopt;
  }
  classify::Classification c = on_date(classification(*it, rs.value()), on);
  const DecideContext ctx{options_.screener, options_.letters, affiliates_.get(), &registry_->standing()};
  return license::decide(line, *it, std::move(c), rs.value(), ctx);
}

Result<Decision> OrderDecider::decide(const OrderLine& line, Date date, bool override_line_date) const {
  LineError e;
  auto d = decide(line, date, override_line_date, e);
  if (!d) return Result<Decision>::error(e.field.empty() ? e.problem : e.field + ": " + e.problem);
  return std::move(*d);
}

}  // namespace chipgate::license

#include "impact/impact.h"

#include <algorithm>
#include <map>
#include <unordered_map>

#include "core/json_util.h"
#include "license/order_decider.h"

namespace chipgate::impact {

const char* transition_name(Transition t) {
  switch (t) {
    case Transition::kUnchanged:
      return "unchanged";
    case Transition::kUnlocked:
      return "unlocked";
    case Transition::kPossiblyUnlocked:
      return "possibly_unlocked";
    case Transition::kRestricted:
      return "restricted";
    case Transition::kOther:
      return "undetermined";
  }
  return "unchanged";
}

Transition transition(const Outcome& before, const Outcome& after) {
  const auto& b = before.license_required;
  const auto& a = after.license_required;
  if (b == a) return Transition::kUnchanged;
  if (a && !*a) return b ? Transition::kUnlocked : Transition::kPossiblyUnlocked;
  if (b && *b) return Transition::kOther;  // required -> undetermined
  return Transition::kRestricted;          // not required -> required/undetermined, undetermined -> required
}

std::vector<ThresholdRegion> threshold_regions(const rules::RuleSet& rules) {
  std::vector<ThresholdRegion> out;
  for (const auto& e : rules.entries) {
    if (!e.applies_to_kind(rules::ItemKind::kIc)) continue;
    for (const auto& p : e.prongs) {
      ThresholdRegion r{e.id, p.id, std::nullopt, std::nullopt, std::nullopt, std::nullopt, {}};
      bool on_plane = false;
      for (const auto& c : p.all) {
        const bool tpp = c.kind == rules::Condition::Kind::kMetric && (c.name == "tpp" || c.name == "bit_tops");
        const bool pd = c.kind == rules::Condition::Kind::kMetric && c.name == "pd";
        if (!tpp && !pd) {
          r.other.push_back(c.describe());
          continue;
        }
        on_plane = true;
        auto& lo = tpp ? r.tpp_min : r.pd_min;
        auto& hi = tpp ? r.tpp_max : r.pd_max;
        const bool lower = c.op == rules::Op::kGreaterEqual || c.op == rules::Op::kGreater;
        if (lower)
          lo = lo ? std::max(*lo, c.value) : c.value;
        else
          hi = hi ? std::min(*hi, c.value) : c.value;
      }
      if (on_plane) out.push_back(std::move(r));
    }
  }
  return out;
}

namespace {

Outcome outcome_of(const license::Decision& d, bool with_reasons) {
  Outcome o;
  o.status = d.classification.status;
  o.eccns = d.classification.eccns;
  o.license_required = d.license_required;
  o.review_policy = d.review_policy;
  o.missing = d.missing;
  for (const auto& m : d.classification.missing)
    if (std::find(o.missing.begin(), o.missing.end(), m) == o.missing.end()) o.missing.push_back(m);
  if (with_reasons)
    for (const auto& r : d.reasons) o.reasons.push_back(r.text());
  return o;
}

// The fields of a line that its decision reads (license/decision.cpp), joined; lines with equal
// keys get equal decisions on the same date and rule set.
std::string decision_key(const license::OrderLine& l) {
  std::string k;
  k.reserve(96);
  auto add = [&k](const std::string& s) {
    k += s;
    k += '\x1f';
  };
  add(l.product_id);
  add(l.ship_to);
  add(l.end_user_country);
  add(l.end_user_hq_country);
  add(l.export_from);
  add(l.exporter);
  add(l.consignee);
  add(l.end_user);
  for (const auto& u : l.end_uses) {
    k += u;
    k += '\x1e';
  }
  k += (l.quantity >= 0 && l.value_usd >= 0) ? '+' : '-';  // validation reads the signs
  return k;
}

}  // namespace

Result<ImpactReport> analyse(std::shared_ptr<const rules::Registry> registry, const io::Catalog& catalog,
                             const io::OrderBook* book, const Options& options) {
  ImpactReport rep;
  rep.options = options;
  if (auto s = validate(options.model); !s) return s;
  if (options.scenario.empty()) return Result<ImpactReport>::error("scenario: required");
  if (options.units && !(*options.units >= 0)) return Result<ImpactReport>::error("units: must be >= 0");

  // The base: a version id (its effective date) or a date.
  if (auto v = registry->version(options.base)) {
    rep.date = v->version.effective;
  } else {
    auto d = Date::parse(options.base);
    if (!d) return Result<ImpactReport>::error("base: '" + options.base + "' is neither a rule version id nor a date");
    rep.date = d.value();
  }
  auto base_rs = registry->resolve(rep.date, "");
  if (!base_rs) return Result<ImpactReport>::error("base: " + base_rs.message());
  if (!base_rs.value())
    return Result<ImpactReport>::error("base: no rule version was in force on " + rep.date.to_string());
  auto scen_rs = registry->resolve(rep.date, options.scenario);
  if (!scen_rs) return Result<ImpactReport>::error("scenario: " + scen_rs.message());
  if (!scen_rs.value())
    return Result<ImpactReport>::error("scenario: no rule set for '" + options.scenario + "' on " +
                                       rep.date.to_string());
  rep.base_rules = base_rs.value();
  rep.scenario_rules = scen_rs.value();
  rep.base_regions = threshold_regions(*rep.base_rules);
  rep.scenario_regions = threshold_regions(*rep.scenario_rules);

  const auto& countries = registry->countries();
  const std::string& dest = options.destination;
  if (dest.size() != 2 || (!countries.empty() && !countries.count(dest)))
    return Result<ImpactReport>::error("destination: '" + dest + "' is not an ISO 3166-1 alpha-2 country code");

  std::vector<classify::Item> items;
  items.reserve(catalog.rows.size());
  for (const auto& r : catalog.rows) items.push_back(r.item);
  for (const auto& id : options.compare) {
    if (std::none_of(items.begin(), items.end(), [&](const classify::Item& i) { return i.id == id; }))
      return Result<ImpactReport>::error("compare: no product '" + id + "' in the catalog");
    rep.compare.push_back(id);
  }

  // Products: the representative line needs no party screening (it names no party).
  const license::OrderDecider product_before(registry, items, {"", nullptr, options.letters});
  const license::OrderDecider product_after(registry, items, {options.scenario, nullptr, options.letters});
  rep.products.reserve(catalog.rows.size());
  for (const auto& r : catalog.rows) {
    ProductImpact p;
    p.item = &r.item;
    p.row = r.row;
    license::OrderLine line;
    line.order_id = "representative";
    line.line = "1";
    line.product_id = r.item.id;
    line.quantity = 1;
    line.ship_to = dest;
    line.end_user_country = dest;
    line.end_user_hq_country = dest;
    auto b = product_before.decide(line, rep.date, true);
    auto a = product_after.decide(line, rep.date, true);
    if (!b) return Result<ImpactReport>::error("product '" + r.item.id + "': " + b.message());
    if (!a) return Result<ImpactReport>::error("product '" + r.item.id + "': " + a.message());
    p.before = outcome_of(b.value(), true);
    p.after = outcome_of(a.value(), true);
    p.changed = !p.before.same_as(p.after);
    p.move = transition(p.before, p.after);
    p.capability = assess(r.item, b.value().classification.metrics, options.model);
    rep.products.push_back(std::move(p));
  }

  // Orders: each distinct decision key decided once per side.
  std::map<std::string, double> units_unlocked, units_possibly;
  if (book) {
    rep.has_orders = true;
    rep.book = book;
    const license::OrderDecider before(registry, items, {"", options.screener, options.letters, options.ownership});
    const license::OrderDecider after(registry, items,
                                      {options.scenario, options.screener, options.letters, options.ownership});
    struct Cached {
      std::uint32_t before = 0, after = 0;
      bool failed = false;
      license::LineError error;
    };
    std::unordered_map<std::string, Cached> cache;
    cache.reserve(1024);
    rep.orders.reserve(book->lines.size());
    for (std::size_t i = 0; i < book->lines.size(); ++i) {
      const auto& row = book->lines[i];
      auto [it, inserted] = cache.try_emplace(decision_key(row.line));
      Cached& c = it->second;
      if (inserted) {
        license::LineError err;
        auto b = before.decide(row.line, rep.date, true, err);
        std::optional<license::Decision> a;
        if (b) a = after.decide(row.line, rep.date, true, err);
        if (!b || !a) {
          c.failed = true;
          c.error = err;
        } else {
          c.before = static_cast<std::uint32_t>(rep.order_outcomes.size());
          rep.order_outcomes.push_back(outcome_of(*b, false));
          c.after = static_cast<std::uint32_t>(rep.order_outcomes.size());
          rep.order_outcomes.push_back(outcome_of(*a, false));
        }
        ++rep.distinct_decisions;
      }
      if (c.failed) {
        rep.order_errors.push_back({row.row, c.error.field, c.error.problem});
        continue;
      }
      rep.orders.push_back({static_cast<std::uint32_t>(i), c.before, c.after});
      const Outcome& ob = rep.order_outcomes[c.before];
      const Outcome& oa = rep.order_outcomes[c.after];
      auto& t = rep.totals;
      ++t.order_lines;
      if (!ob.same_as(oa)) ++t.order_lines_changed;
      switch (transition(ob, oa)) {
        case Transition::kUnlocked:
          ++t.order_lines_unlocked;
          t.value_unlocked_usd += row.line.value_usd;
          t.units_unlocked += row.line.quantity;
          units_unlocked[row.line.product_id] += row.line.quantity;
          break;
        case Transition::kPossiblyUnlocked:
          ++t.order_lines_possibly_unlocked;
          t.value_possibly_unlocked_usd += row.line.value_usd;
          t.units_possibly_unlocked += row.line.quantity;
          units_possibly[row.line.product_id] += row.line.quantity;
          break;
        case Transition::kRestricted:
          ++t.order_lines_restricted;
          t.value_restricted_usd += row.line.value_usd;
          t.units_restricted += row.line.quantity;
          break;
        default:
          break;
      }
    }
    rep.totals.order_lines_failed = rep.order_errors.size();
  }

  // Product totals and the capability the scenario unlocks.
  auto& t = rep.totals;
  const bool by_orders = book && !options.units;
  const double n = options.units.value_or(1);
  if (by_orders)
    t.units_basis = "orders: the quantity on the order lines whose outcome changes";
  else if (options.units)
    t.units_basis = "--units: " + format_number(n) + " of each product whose outcome changes for the destination";
  else
    t.units_basis = "1 unit of each product whose outcome changes for the destination";
  for (auto& p : rep.products) {
    ++t.products;
    if (p.changed) ++t.products_changed;
    if (!p.capability.assessed()) ++t.products_not_assessed;
    if (p.move == Transition::kUnlocked) ++t.products_unlocked;
    if (p.move == Transition::kPossiblyUnlocked) ++t.products_possibly_unlocked;
    if (p.move == Transition::kRestricted) ++t.products_restricted;
    double nu = 0, np = 0;
    if (by_orders) {
      if (auto it = units_unlocked.find(p.item->id); it != units_unlocked.end()) nu = it->second;
      if (auto it = units_possibly.find(p.item->id); it != units_possibly.end()) np = it->second;
    } else {
      if (p.move == Transition::kUnlocked) nu = n;
      if (p.move == Transition::kPossiblyUnlocked) np = n;
    }
    p.units = nu;
    p.units_possibly = np;
    if (nu > 0) add_to(t.capability_unlocked, p.item->id, p.capability, nu);
    if (np > 0) add_to(t.capability_possibly_unlocked, p.item->id, p.capability, np);
  }
  return rep;
}

}  // namespace chipgate::impact

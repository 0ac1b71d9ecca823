#include "rules/loader.h"

#include <algorithm>
#include <cmath>
#include <set>

#include "core/toml_input.h"
#include "rules/vocabulary.h"

namespace chipgate::rules::detail {

namespace {

std::string where(const toml::node& node) {
  const auto& src = node.source();
  std::string file = src.path ? *src.path : std::string("<rules>");
  return file + ":" + std::to_string(src.begin.line);
}

SourceRef source_of(const toml::node& node) {
  const auto& src = node.source();
  return SourceRef{src.path ? *src.path : std::string(), static_cast<int>(src.begin.line)};
}

Status fail(const toml::node& node, const std::string& path, const std::string& problem) {
  return Status::error(where(node) + ": " + path + ": " + problem);
}

// Rejects keys a table may not have, so that a typo in a rule file is an error, not a silent no-op.
Status check_keys(const toml::table& table, const std::string& path, std::initializer_list<std::string_view> allowed) {
  for (auto&& [key, value] : table) {
    if (std::find(allowed.begin(), allowed.end(), key.str()) == allowed.end()) {
      std::string list;
      for (auto a : allowed) list += (list.empty() ? "" : ", ") + std::string(a);
      return fail(value, path, "unknown key '" + std::string(key.str()) + "' (allowed: " + list + ")");
    }
  }
  return Status::ok();
}

bool is_removed(const toml::table& table) {
  const auto* removed = table.get("removed");
  return removed && removed->value<bool>().value_or(false);
}

Result<std::string> get_string(const toml::table& table, const std::string& path, std::string_view key, bool required) {
  const toml::node* node = table.get(key);
  if (!node) {
    if (required)
      return Result<std::string>::error(where(table) + ": " + path + ": missing '" + std::string(key) + "'");
    return std::string();
  }
  if (!node->is_string())
    return Result<std::string>::error(where(*node) + ": " + path + "." + std::string(key) + ": must be a string");
  return node->value<std::string>().value();
}

Result<std::vector<std::string>> get_string_array(const toml::table& table, const std::string& path,
                                                  std::string_view key) {
  std::vector<std::string> out;
  const toml::node* node = table.get(key);
  if (!node) return out;
  const auto* arr = node->as_array();
  if (!arr)
    return Result<std::vector<std::string>>::error(where(*node) + ": " + path + "." + std::string(key) +
                                                   ": must be an array of strings");
  for (const auto& el : *arr) {
    if (!el.is_string())
      return Result<std::vector<std::string>>::error(where(el) + ": " + path + "." + std::string(key) +
                                                     ": every element must be a string");
    out.push_back(el.value<std::string>().value());
  }
  return out;
}

std::optional<Date> to_date(const toml::node& node) {
  if (const auto* d = node.as_date()) {
    const toml::date v = d->get();
    return Date::from_ymd(v.year, v.month, v.day);
  }
  return std::nullopt;
}

Result<Condition> compile_condition(const toml::node& node, const std::string& path) {
  const auto* table = node.as_table();
  if (!table)
    return Result<Condition>::error(
        where(node) + ": " + path +
        ": a condition must be an inline table such as { metric = \"tpp\", op = \">=\", value = 4800 }");
  Condition c;
  c.source = source_of(node);
  if (table->contains("flag")) {
    if (auto s = check_keys(*table, path, {"flag", "is"}); !s) return s;
    c.kind = Condition::Kind::kFlag;
    c.name = table->get("flag")->value<std::string>().value_or("");
    if (!contains_name(kFlagNames, c.name))
      return Result<Condition>::error(where(node) + ": " + path + ": unknown flag '" + c.name + "'");
    const auto* is = table->get("is");
    if (!is || !is->is_boolean())
      return Result<Condition>::error(where(node) + ": " + path + ": flag condition needs 'is = true|false'");
    c.flag_value = is->value<bool>().value();
    return c;
  }
  if (auto s = check_keys(*table, path, {"metric", "op", "value"}); !s) return s;
  const auto* metric = table->get("metric");
  if (!metric || !metric->is_string())
    return Result<Condition>::error(where(node) + ": " + path + ": condition needs 'metric' (a string) or 'flag'");
  c.name = metric->value<std::string>().value();
  if (!contains_name(kMetricNames, c.name)) {
    std::string known;
    for (auto n : kMetricNames) known += (known.empty() ? "" : ", ") + std::string(n);
    return Result<Condition>::error(where(*metric) + ": " + path + ": unknown metric '" + c.name +
                                    "' (known: " + known + ")");
  }
  const std::string op = table->get("op") ? table->get("op")->value<std::string>().value_or("") : "";
  if (op == ">=")
    c.op = Op::kGreaterEqual;
  else if (op == ">")
    c.op = Op::kGreater;
  else if (op == "<=")
    c.op = Op::kLessEqual;
  else if (op == "<")
    c.op = Op::kLess;
  else
    return Result<Condition>::error(where(node) + ": " + path + ": op must be one of >=, >, <=, < (got '" + op + "')");
  const auto* value = table->get("value");
  if (!value || !(value->is_integer() || value->is_floating_point()))
    return Result<Condition>::error(where(node) + ": " + path + ": 'value' must be a number");
  // toml++ gives no double for an integer a double cannot hold exactly (433333333333333000): convert it.
  c.value = value->is_integer() ? static_cast<double>(value->value<int64_t>().value()) : value->value<double>().value();
  if (!std::isfinite(c.value) || c.value < 0)
    return Result<Condition>::error(where(*value) + ": " + path + ": 'value' must be a finite, non-negative number");
  return c;
}

Result<std::vector<Condition>> compile_conditions(const toml::table& table, const std::string& path,
                                                  std::string_view key) {
  std::vector<Condition> out;
  const toml::node* node = table.get(key);
  if (!node)
    return Result<std::vector<Condition>>::error(where(table) + ": " + path + ": missing '" + std::string(key) +
                                                 "' (a list of conditions)");
  const auto* arr = node->as_array();
  if (!arr || arr->empty())
    return Result<std::vector<Condition>>::error(where(*node) + ": " + path + "." + std::string(key) +
                                                 ": must be a non-empty array of conditions");
  std::size_t i = 0;
  for (const auto& el : *arr) {
    auto c = compile_condition(el, path + "." + std::string(key) + "[" + std::to_string(i++) + "]");
    if (!c) return c.status();
    out.push_back(std::move(c).value());
  }
  return out;
}

Status compile_entry(const std::string& id, const toml::table& table, RuleSet& out) {
  const std::string path = "entries." + id;
  if (auto s = check_keys(table, path,
                          {"title", "citation", "level", "applies_to", "prongs", "contains", "unless", "scope_note",
                           "replace", "removed"});
      !s)
    return s;
  ControlEntry e;
  e.id = id;
  e.source = source_of(table);
  auto title = get_string(table, path, "title", true);
  if (!title) return title.status();
  e.title = title.value();
  auto citation = get_string(table, path, "citation", true);
  if (!citation) return citation.status();
  e.citation = citation.value();
  auto note = get_string(table, path, "scope_note", false);
  if (!note) return note.status();
  e.scope_note = note.value();
  if (const auto* level = table.get("level")) {
    if (!level->is_integer()) return fail(*level, path + ".level", "must be 0, 1 or 2");
    e.level = static_cast<int>(level->value<int64_t>().value());
    if (e.level < 0 || e.level > 2) return fail(*level, path + ".level", "must be 0, 1 or 2");
  }
  auto kinds = get_string_array(table, path, "applies_to");
  if (!kinds) return kinds.status();
  if (kinds->empty()) return fail(table, path, "missing 'applies_to' (ic, hbm, computer)");
  for (const auto& k : kinds.value()) {
    if (k == "ic")
      e.applies_to.push_back(ItemKind::kIc);
    else if (k == "hbm")
      e.applies_to.push_back(ItemKind::kHbm);
    else if (k == "computer")
      e.applies_to.push_back(ItemKind::kComputer);
    else
      return fail(*table.get("applies_to"), path + ".applies_to", "unknown item kind '" + k + "' (ic, hbm, computer)");
  }
  auto contains = get_string_array(table, path, "contains");
  if (!contains) return contains.status();
  e.contains = contains.value();
  auto unless = get_string_array(table, path, "unless");
  if (!unless) return unless.status();
  e.unless = unless.value();
  if (const auto* prongs = table.get("prongs")) {
    const auto* pt = prongs->as_table();
    if (!pt) return fail(*prongs, path + ".prongs", "must be a table of prongs");
    for (auto&& [pkey, pnode] : *pt) {
      const std::string ppath = path + ".prongs." + std::string(pkey.str());
      const auto* ptab = pnode.as_table();
      if (!ptab) return fail(pnode, ppath, "must be a table");
      if (is_removed(*ptab)) continue;
      if (auto s = check_keys(*ptab, ppath, {"text", "all", "replace", "removed"}); !s) return s;
      Prong p;
      p.id = std::string(pkey.str());
      p.source = source_of(pnode);
      auto text = get_string(*ptab, ppath, "text", true);
      if (!text) return text.status();
      p.text = text.value();
      auto all = compile_conditions(*ptab, ppath, "all");
      if (!all) return all.status();
      p.all = std::move(all).value();
      e.prongs.push_back(std::move(p));
    }
  }
  if (e.prongs.empty() == e.contains.empty())
    return fail(table, path,
                "an entry needs either prongs (conditions) or 'contains' (for computers), not both and not neither");
  out.entries.push_back(std::move(e));
  return Status::ok();
}

Status compile_note(const std::string& id, const toml::table& table, RuleSet& out) {
  const std::string path = "notes." + id;
  if (auto s = check_keys(table, path, {"citation", "text", "excludes", "when", "replace", "removed"}); !s) return s;
  ExclusionNote n;
  n.id = id;
  n.source = source_of(table);
  auto citation = get_string(table, path, "citation", true);
  if (!citation) return citation.status();
  n.citation = citation.value();
  auto text = get_string(table, path, "text", true);
  if (!text) return text.status();
  n.text = text.value();
  auto excludes = get_string_array(table, path, "excludes");
  if (!excludes) return excludes.status();
  if (excludes->empty()) return fail(table, path, "missing 'excludes' (entry ids)");
  n.excludes = excludes.value();
  auto when = compile_conditions(table, path, "when");
  if (!when) return when.status();
  n.when = std::move(when).value();
  out.notes.push_back(std::move(n));
  return Status::ok();
}

struct Countries {
  const std::map<std::string, std::string>& names;
  bool valid(const std::string& code) const {
    if (code.size() != 2 || code[0] < 'A' || code[0] > 'Z' || code[1] < 'A' || code[1] > 'Z') return false;
    return names.empty() || names.count(code) > 0;
  }
};

Result<PlaceSelector> compile_places(const toml::table& parent, const std::string& path, std::string_view key,
                                     const Countries& countries) {
  PlaceSelector sel;
  const toml::node* node = parent.get(key);
  if (!node) return sel;
  const std::string p = path + "." + std::string(key);
  const auto* t = node->as_table();
  if (!t)
    return Result<PlaceSelector>::error(where(*node) + ": " + p +
                                        ": must be a table such as { groups = [\"D:5\"], countries = [\"MO\"] }");
  if (auto s = check_keys(*t, p, {"groups", "except_groups", "countries", "except_countries", "anywhere"}); !s)
    return s;
  for (auto [k, field] :
       {std::pair{"groups", &sel.groups}, std::pair{"except_groups", &sel.except_groups},
        std::pair{"countries", &sel.countries}, std::pair{"except_countries", &sel.except_countries}}) {
    auto v = get_string_array(*t, p, k);
    if (!v) return v.status();
    *field = v.value();
  }
  for (const auto& c : sel.except_countries)
    if (!countries.valid(c))
      return Result<PlaceSelector>::error(where(*node) + ": " + p + ".except_countries: '" + c +
                                          "' is not an ISO 3166-1 alpha-2 code");
  for (const auto& c : sel.countries)
    if (!countries.valid(c))
      return Result<PlaceSelector>::error(where(*node) + ": " + p + ".countries: '" + c +
                                          "' is not an ISO 3166-1 alpha-2 code");
  if (const auto* a = t->get("anywhere")) {
    if (!a->is_boolean())
      return Result<PlaceSelector>::error(where(*a) + ": " + p + ".anywhere: must be true or false");
    sel.anywhere = a->value<bool>().value();
  }
  return sel;
}

Result<ItemSelector> compile_items(const toml::table& t, const std::string& path, std::string_view key = "items") {
  auto v = get_string_array(t, path, key);
  if (!v) return v.status();
  ItemSelector sel;
  sel.entries = v.value();
  return sel;
}

Result<ReviewPolicy> compile_policy(const toml::table& t, const std::string& path) {
  auto v = get_string(t, path, "policy", true);
  if (!v) return v.status();
  const std::string& p = v.value();
  if (p == "presumption_of_approval") return ReviewPolicy::kPresumptionOfApproval;
  if (p == "case_by_case") return ReviewPolicy::kCaseByCase;
  if (p == "presumption_of_denial") return ReviewPolicy::kPresumptionOfDenial;
  if (p == "policy_of_denial") return ReviewPolicy::kPolicyOfDenial;
  return Result<ReviewPolicy>::error(
      where(*t.get("policy")) + ": " + path + ".policy: '" + p +
      "' is not one of presumption_of_approval, case_by_case, presumption_of_denial, policy_of_denial");
}

Result<std::vector<Condition>> optional_conditions(const toml::table& t, const std::string& path) {
  if (!t.get("all")) return std::vector<Condition>{};
  return compile_conditions(t, path, "all");
}

// String fields of a table, each required or optional.
Status read_strings(const toml::table& t, const std::string& path,
                    std::initializer_list<std::tuple<const char*, std::string*, bool>> fields) {
  for (auto [key, field, required] : fields) {
    auto v = get_string(t, path, key, required);
    if (!v) return v.status();
    *field = v.value();
  }
  return Status::ok();
}

// `policy` when present; unset otherwise (the provision is then reviewed by review rules, or the
// text gives no policy).
Result<std::optional<ReviewPolicy>> optional_policy(const toml::table& t, const std::string& path) {
  if (!t.get("policy")) return std::optional<ReviewPolicy>{};
  auto p = compile_policy(t, path);
  if (!p) return p.status();
  return std::optional<ReviewPolicy>{p.value()};
}

Result<ExceptionsAllowed> compile_exceptions_allowed(const toml::table& t, const std::string& path) {
  if (!t.get("exceptions_allowed")) return ExceptionsAllowed{};
  auto v = get_string_array(t, path, "exceptions_allowed");
  if (!v) return v.status();
  return ExceptionsAllowed{v.value()};
}

Result<std::vector<ItemKind>> compile_kinds(const toml::node& node, const std::string& path) {
  std::vector<ItemKind> out;
  const auto* arr = node.as_array();
  if (!arr) return Result<std::vector<ItemKind>>::error(where(node) + ": " + path + ": must be an array of item kinds");
  for (const auto& el : *arr) {
    const std::string k = el.value<std::string>().value_or("");
    if (k == "ic")
      out.push_back(ItemKind::kIc);
    else if (k == "hbm")
      out.push_back(ItemKind::kHbm);
    else if (k == "computer")
      out.push_back(ItemKind::kComputer);
    else
      return Result<std::vector<ItemKind>>::error(where(el) + ": " + path + ": unknown item kind '" + k +
                                                  "' (ic, hbm, computer)");
  }
  return out;
}

// `items = { text = "...", any_of = [ { kinds = [...], eccns = [...] }, { any_eccn = true } ] }`;
// absent = any item subject to the EAR.
Result<ItemScope> compile_item_scope(const toml::table& parent, const std::string& path) {
  ItemScope scope;
  const toml::node* node = parent.get("items");
  if (!node) return scope;
  const std::string p = path + ".items";
  const auto* t = node->as_table();
  if (!t)
    return Result<ItemScope>::error(where(*node) + ": " + p +
                                    ": must be a table such as { text = \"...\", any_of = [{ eccns = [\"5A992\"] }] }");
  if (auto s = check_keys(*t, p, {"text", "any_of", "list_not_encoded"}); !s) return s;
  if (auto s = read_strings(*t, p, {{"text", &scope.text, true}, {"list_not_encoded", &scope.list_not_encoded, false}});
      !s)
    return s;
  const auto* any_of = t->get("any_of") ? t->get("any_of")->as_array() : nullptr;
  if (!any_of || any_of->empty())
    return Result<ItemScope>::error(where(*t) + ": " + p + ": needs a non-empty 'any_of'");
  std::size_t i = 0;
  for (const auto& el : *any_of) {
    const std::string cp = p + ".any_of[" + std::to_string(i++) + "]";
    const auto* ct = el.as_table();
    if (!ct) return Result<ItemScope>::error(where(el) + ": " + cp + ": must be an inline table");
    if (auto s = check_keys(*ct, cp, {"kinds", "eccns", "any_eccn", "any_item", "via_list"}); !s) return s;
    ItemScopeClause c;
    if (const auto* k = ct->get("kinds")) {
      auto kinds = compile_kinds(*k, cp + ".kinds");
      if (!kinds) return kinds.status();
      c.kinds = kinds.value();
    }
    auto eccns = get_string_array(*ct, cp, "eccns");
    if (!eccns) return eccns.status();
    c.eccns = eccns.value();
    for (auto [key, field] :
         {std::pair{"any_eccn", &c.any_eccn}, std::pair{"any_item", &c.any_item}, std::pair{"via_list", &c.via_list}})
      if (const auto* b = ct->get(key)) {
        if (!b->is_boolean())
          return Result<ItemScope>::error(where(*b) + ": " + cp + "." + key + ": must be true or false");
        *field = b->value<bool>().value();
      }
    if (c.eccns.empty() && !c.any_eccn && !c.any_item)
      return Result<ItemScope>::error(where(el) + ": " + cp +
                                      ": needs 'eccns', 'any_eccn = true' or 'any_item = true'");
    if (c.via_list && scope.list_not_encoded.empty())
      return Result<ItemScope>::error(where(el) + ": " + cp + ": 'via_list' needs the scope's 'list_not_encoded'");
    scope.any_of.push_back(std::move(c));
  }
  return scope;
}

// Iterates a table of named sub-tables, skipping removed ones.
template <typename Fn>
Status each_table(const toml::table& parent, const std::string& path, std::string_view key, Fn fn) {
  const toml::node* node = parent.get(key);
  if (!node) return Status::ok();
  const auto* t = node->as_table();
  if (!t) return fail(*node, path + "." + std::string(key), "must be a table");
  for (auto&& [k, v] : *t) {
    const std::string p = path + "." + std::string(key) + "." + std::string(k.str());
    const auto* sub = v.as_table();
    if (!sub) return fail(v, p, "must be a table");
    if (is_removed(*sub)) continue;
    if (auto s = fn(std::string(k.str()), *sub, p); !s) return s;
  }
  return Status::ok();
}

// Reads the named place selectors of a table into their fields.
Status read_places(const toml::table& t, const std::string& path, const Countries& countries,
                   std::initializer_list<std::pair<const char*, PlaceSelector*>> fields) {
  for (auto [key, field] : fields) {
    auto v = compile_places(t, path, key, countries);
    if (!v) return v.status();
    *field = v.value();
  }
  return Status::ok();
}

Result<LicenseRequirement> compile_requirement(const std::string& id, const toml::table& t, const std::string& p,
                                               const Countries& countries) {
  if (auto k = check_keys(t, p,
                          {"citation", "text", "items", "destinations", "headquarters", "not_destinations",
                           "exceptions_allowed", "enforced", "replace", "removed"});
      !k)
    return k;
  LicenseRequirement r;
  r.id = id;
  r.source = source_of(t);
  if (auto s = read_strings(t, p, {{"citation", &r.citation, true}, {"text", &r.text, true}}); !s) return s;
  auto items = compile_items(t, p);
  if (!items) return items.status();
  if (items->empty()) return fail(t, p, "missing 'items'");
  r.items = items.value();
  if (auto s = read_places(t, p, countries,
                           {{"destinations", &r.destinations},
                            {"headquarters", &r.headquarters},
                            {"not_destinations", &r.not_destinations}});
      !s)
    return s;
  if (r.destinations.empty() && r.headquarters.empty()) return fail(t, p, "needs 'destinations' or 'headquarters'");
  auto allowed = compile_exceptions_allowed(t, p);
  if (!allowed) return allowed.status();
  r.exceptions_allowed = allowed.value();
  if (const auto* e = t.get("enforced")) r.enforced = e->value<bool>().value_or(true);
  return r;
}

Result<ReviewRule> compile_review_rule(const std::string& id, const toml::table& t, const std::string& p,
                                       const Countries& countries) {
  if (auto k = check_keys(t, p,
                          {"order", "policy", "citation", "text", "for_requirements", "items", "destinations",
                           "headquarters", "not_headquarters", "destination_or_headquarters", "export_from", "all",
                           "computer_metrics", "assumption", "enforced", "replace", "removed"});
      !k)
    return k;
  ReviewRule r;
  r.id = id;
  r.source = source_of(t);
  const auto* order = t.get("order");
  if (!order || !order->is_integer()) return fail(t, p, "needs an integer 'order' (lower is tried first)");
  r.order = static_cast<int>(order->value<int64_t>().value());
  auto policy = compile_policy(t, p);
  if (!policy) return policy.status();
  r.policy = policy.value();
  if (auto s = read_strings(t, p,
                            {{"citation", &r.citation, true},
                             {"text", &r.text, true},
                             {"computer_metrics", &r.computer_metrics, false},
                             {"assumption", &r.assumption, false}});
      !s)
    return s;
  if (!r.computer_metrics.empty() && r.computer_metrics != "contained_ic")
    return fail(*t.get("computer_metrics"), p + ".computer_metrics", "must be \"contained_ic\" (or absent)");
  auto fors = get_string_array(t, p, "for_requirements");
  if (!fors) return fors.status();
  r.for_requirements = fors.value();
  auto items = compile_items(t, p);
  if (!items) return items.status();
  r.items = items.value();
  if (auto s = read_places(t, p, countries,
                           {{"destinations", &r.destinations},
                            {"headquarters", &r.headquarters},
                            {"not_headquarters", &r.not_headquarters},
                            {"destination_or_headquarters", &r.destination_or_headquarters},
                            {"export_from", &r.export_from}});
      !s)
    return s;
  auto all = optional_conditions(t, p);
  if (!all) return all.status();
  r.all = all.value();
  if (const auto* e = t.get("enforced")) r.enforced = e->value<bool>().value_or(true);
  return r;
}

Result<LicenseException> compile_exception(const std::string& id, const toml::table& t, const std::string& p,
                                           const Countries& countries) {
  if (auto k = check_keys(t, p,
                          {"name", "citation", "items", "excludes_datacenter", "destinations", "headquarters",
                           "not_headquarters", "all", "conditions", "notification_days", "notify_destinations",
                           "notify_headquarters", "notification_text", "enforced", "replace", "removed"});
      !k)
    return k;
  LicenseException e;
  e.id = id;
  e.source = source_of(t);
  if (auto s = read_strings(t, p,
                            {{"name", &e.name, true},
                             {"citation", &e.citation, true},
                             {"notification_text", &e.notification_text, false}});
      !s)
    return s;
  auto items = compile_items(t, p);
  if (!items) return items.status();
  if (items->empty()) return fail(t, p, "missing 'items'");
  e.items = items.value();
  auto datacenter = compile_items(t, p, "excludes_datacenter");
  if (!datacenter) return datacenter.status();
  e.excludes_datacenter = datacenter.value();
  if (auto s = read_places(t, p, countries,
                           {{"destinations", &e.destinations},
                            {"headquarters", &e.headquarters},
                            {"not_headquarters", &e.not_headquarters},
                            {"notify_destinations", &e.notify_destinations},
                            {"notify_headquarters", &e.notify_headquarters}});
      !s)
    return s;
  auto all = optional_conditions(t, p);
  if (!all) return all.status();
  e.all = all.value();
  auto conds = get_string_array(t, p, "conditions");
  if (!conds) return conds.status();
  e.conditions = conds.value();
  if (const auto* n = t.get("notification_days"))
    e.notification_days = static_cast<int>(n->value<int64_t>().value_or(0));
  if (const auto* en = t.get("enforced")) e.enforced = en->value<bool>().value_or(true);
  return e;
}

Result<EndUseControl> compile_end_use(const std::string& id, const toml::table& t, const std::string& p,
                                      const Countries& countries) {
  if (auto k = check_keys(t, p,
                          {"code", "citation", "text", "destinations", "items", "policy", "policy_for_any_licence",
                           "party_lists", "exceptions_allowed", "replace", "removed"});
      !k)
    return k;
  EndUseControl e;
  e.id = id;
  e.code = id;
  e.source = source_of(t);
  if (auto s = read_strings(t, p, {{"citation", &e.citation, true}, {"text", &e.text, true}}); !s) return s;
  if (t.get("code")) {
    if (auto s = read_strings(t, p, {{"code", &e.code, true}}); !s) return s;
    if (e.code.empty()) return fail(t, p, "'code' must name the declared end use it answers");
  }
  if (auto s = read_places(t, p, countries, {{"destinations", &e.destinations}}); !s) return s;
  if (e.destinations.empty()) return fail(t, p, "needs 'destinations' (where the end use is located)");
  auto scope = compile_item_scope(t, p);
  if (!scope) return scope.status();
  e.items = scope.value();
  auto policy = optional_policy(t, p);
  if (!policy) return policy.status();
  e.policy = policy.value();
  if (const auto* a = t.get("policy_for_any_licence")) e.policy_for_any_licence = a->value<bool>().value_or(false);
  if (e.policy_for_any_licence && !e.policy) return fail(t, p, "'policy_for_any_licence' needs a fixed 'policy'");
  if (t.get("party_lists")) {
    auto lists = get_string_array(t, p, "party_lists");
    if (!lists) return lists.status();
    e.party_lists = std::move(lists).value();
  }
  auto allowed = compile_exceptions_allowed(t, p);
  if (!allowed) return allowed.status();
  e.exceptions_allowed = allowed.value();
  return e;
}

Result<Embargo> compile_embargo(const std::string& id, const toml::table& t, const std::string& p,
                                const Countries& countries) {
  if (auto k = check_keys(t, p,
                          {"citation", "text", "destinations", "items", "policy", "policy_citation", "policy_note",
                           "exceptions_allowed", "replace", "removed"});
      !k)
    return k;
  Embargo e;
  e.id = id;
  e.source = source_of(t);
  if (auto s = read_strings(t, p,
                            {{"citation", &e.citation, true},
                             {"text", &e.text, true},
                             {"policy_citation", &e.policy_citation, false},
                             {"policy_note", &e.policy_note, false}});
      !s)
    return s;
  if (auto s = read_places(t, p, countries, {{"destinations", &e.destinations}}); !s) return s;
  if (e.destinations.empty()) return fail(t, p, "needs 'destinations'");
  auto scope = compile_item_scope(t, p);
  if (!scope) return scope.status();
  e.items = scope.value();
  auto policy = optional_policy(t, p);
  if (!policy) return policy.status();
  e.policy = policy.value();
  if (e.policy && e.policy_citation.empty()) return fail(t, p, "a 'policy' needs its 'policy_citation'");
  if (!e.policy && e.policy_note.empty()) return fail(t, p, "without a 'policy', say why in 'policy_note'");
  auto allowed = get_string_array(t, p, "exceptions_allowed");
  if (!allowed) return allowed.status();
  if (!t.get("exceptions_allowed"))
    return fail(t, p, "needs 'exceptions_allowed' (the licence exceptions of these rules that survive; [] for none)");
  e.exceptions_allowed = allowed.value();
  return e;
}

Result<double> get_number(const toml::table& t, const std::string& path, std::string_view key) {
  const toml::node* n = t.get(key);
  if (!n || !(n->is_integer() || n->is_floating_point()))
    return Result<double>::error(where(n ? *n : static_cast<const toml::node&>(t)) + ": " + path + "." +
                                 std::string(key) + ": required, a number");
  return n->is_integer() ? static_cast<double>(n->value<int64_t>().value()) : n->value<double>().value();
}

// One list of license.party_lists, whose entries carry their own licence requirement.
Status compile_party_list(const std::string& id, const toml::table& t, const std::string& p, LicenseRules& lic) {
  if (auto k = check_keys(
          t, p, {"citation", "text", "published_as", "exceptions_allowed", "predates_versions", "replace", "removed"});
      !k)
    return k;
  PartyListRule r;
  r.list = id;
  r.source = source_of(t);
  auto ids = get_string_array(t, p, "published_as");
  if (!ids) return ids.status();
  r.published_as = std::move(ids).value();
  // Required: which exceptions survive a listed party is the rule's to say, never a default.
  if (!t.get("exceptions_allowed"))
    return fail(t, p, "needs 'exceptions_allowed' (the licence exceptions a listed party does not bar; [] for none)");
  auto allowed = get_string_array(t, p, "exceptions_allowed");
  if (!allowed) return allowed.status();
  r.exceptions_allowed = std::move(allowed).value();
  if (const auto* pre = t.get("predates_versions")) {
    if (!pre->is_boolean()) return fail(*pre, p + ".predates_versions", "must be true or false");
    r.predates_versions = pre->value<bool>().value();
  }
  if (auto s = read_strings(t, p, {{"citation", &r.citation, true}, {"text", &r.text, true}}); !s) return s;
  lic.party_lists.push_back(std::move(r));
  return Status::ok();
}

// license.party_lists and license.affiliates (the Affiliates rule).
Status compile_party_provisions(const toml::table& lt, LicenseRules& lic) {
  auto s =
      each_table(lt, "license", "party_lists", [&](const std::string& id, const toml::table& t, const std::string& p) {
        return compile_party_list(id, t, p, lic);
      });
  if (!s) return s;
  const toml::node* node = lt.get("affiliates");
  if (!node) return Status::ok();
  const std::string p = "license.affiliates";
  const auto* t = node->as_table();
  if (!t) return fail(*node, p, "must be a table");
  if (is_removed(*t)) return Status::ok();
  if (auto k = check_keys(*t, p,
                          {"in_force", "threshold_percent", "lists", "citation", "text", "status", "unknown_share",
                           "replace", "removed"});
      !k)
    return k;
  AffiliatesRule a;
  a.source = source_of(*t);
  const toml::node* in_force = t->get("in_force");
  if (!in_force || !in_force->is_boolean()) return fail(*t, p, "needs 'in_force' = true or false");
  a.in_force = in_force->value<bool>().value();
  auto threshold = get_number(*t, p, "threshold_percent");
  if (!threshold) return threshold.status();
  if (!(threshold.value() > 0 && threshold.value() <= 100))
    return fail(*t->get("threshold_percent"), p + ".threshold_percent", "must be above 0 and at most 100");
  a.threshold_percent = threshold.value();
  auto lists = get_string_array(*t, p, "lists");
  if (!lists) return lists.status();
  if (lists->empty()) return fail(*t, p, "needs 'lists', the list ids whose entries' affiliates are covered");
  a.lists = lists.value();
  if (auto r = read_strings(*t, p,
                            {{"citation", &a.citation, true},
                             {"text", &a.text, true},
                             {"status", &a.status, true},
                             {"unknown_share", &a.unknown_share, true}});
      !r)
    return r;
  lic.affiliates = std::move(a);
  return Status::ok();
}

Status compile_country_tables(const toml::table& merged, const Countries& countries, LicenseRules& lic) {
  if (const auto* groups = merged.get("country_groups")) {
    const auto* gt = groups->as_table();
    if (!gt) return fail(*groups, "country_groups", "must be a table of group -> country codes");
    for (auto&& [k, v] : *gt) {
      auto codes = get_string_array(*gt, "country_groups", k.str());
      if (!codes) return codes.status();
      for (const auto& c : codes.value())
        if (!countries.valid(c))
          return fail(v, "country_groups." + std::string(k.str()), "'" + c + "' is not an ISO 3166-1 alpha-2 code");
      lic.country_groups[std::string(k.str())] = codes.value();
    }
  }
  if (const auto* notes = merged.get("country_notes")) {
    const auto* nt = notes->as_table();
    if (!nt) return fail(*notes, "country_notes", "must be a table CODE = \"why its groups are read so\"");
    for (auto&& [k, v] : *nt) {
      const std::string code(k.str());
      if (!countries.valid(code)) return fail(v, "country_notes." + code, "not an ISO 3166-1 alpha-2 code");
      if (!v.is_string()) return fail(v, "country_notes." + code, "must be a string");
      lic.country_notes[code] = v.value<std::string>().value();
    }
  }
  if (const auto* aliases = merged.get("destination_aliases")) {
    const auto* at = aliases->as_table();
    if (!at) return fail(*aliases, "destination_aliases", "must be a table CODE = \"CODE\"");
    for (auto&& [k, v] : *at) {
      const std::string from(k.str());
      const std::string to = v.value<std::string>().value_or("");
      if (!countries.valid(from) || !countries.valid(to))
        return fail(v, "destination_aliases." + from, "both sides must be ISO 3166-1 alpha-2 codes");
      lic.destination_aliases[from] = to;
    }
  }
  return Status::ok();
}

// Cross-references a version must satisfy: every group a selector names exists in its country
// groups, every id a review rule or exception list names exists.
Status check_license_references(const LicenseRules& lic) {
  auto check_groups = [&](const PlaceSelector& sel, const SourceRef& src, const std::string& what) -> Status {
    for (const auto* list : {&sel.groups, &sel.except_groups})
      for (const auto& g : *list)
        if (!lic.country_groups.count(g))
          return Status::error(src.to_string() + ": " + what + ": no country group '" + g + "' in this version");
    return Status::ok();
  };
  for (const auto& r : lic.requirements)
    for (const auto* sel : {&r.destinations, &r.headquarters, &r.not_destinations})
      if (auto c = check_groups(*sel, r.source, "license.requirements." + r.id); !c) return c;
  for (const auto& r : lic.review)
    for (const auto* sel :
         {&r.destinations, &r.headquarters, &r.not_headquarters, &r.destination_or_headquarters, &r.export_from})
      if (auto c = check_groups(*sel, r.source, "license.review." + r.id); !c) return c;
  for (const auto& e : lic.exceptions)
    for (const auto* sel :
         {&e.destinations, &e.headquarters, &e.not_headquarters, &e.notify_destinations, &e.notify_headquarters})
      if (auto c = check_groups(*sel, e.source, "license.exceptions." + e.id); !c) return c;
  for (const auto& e : lic.end_uses)
    if (auto c = check_groups(e.destinations, e.source, "license.end_uses." + e.id); !c) return c;
  for (const auto& e : lic.embargoes)
    if (auto c = check_groups(e.destinations, e.source, "license.embargoes." + e.id); !c) return c;
  auto provision_exists = [&](const std::string& id) {
    return std::any_of(lic.requirements.begin(), lic.requirements.end(), [&](const auto& r) { return r.id == id; }) ||
           std::any_of(lic.end_uses.begin(), lic.end_uses.end(),
                       [&](const auto& e) { return e.code == id || e.id == id; }) ||
           std::any_of(lic.embargoes.begin(), lic.embargoes.end(), [&](const auto& e) { return e.id == id; });
  };
  for (const auto& r : lic.review)
    for (const auto& id : r.for_requirements)
      if (!provision_exists(id))
        return Status::error(r.source.to_string() + ": license.review." + r.id + ".for_requirements: no requirement, " +
                             "end use or embargo '" + id + "' in this version");
  return Status::ok();
}

Status compile_license(const toml::table& merged, const Countries& countries, RuleSet& out) {
  LicenseRules& lic = out.license;
  if (auto s = compile_country_tables(merged, countries, lic); !s) return s;
  const toml::node* ln = merged.get("license");
  if (!ln) return Status::ok();
  const auto* lt = ln->as_table();
  if (!lt) return fail(*ln, "license", "must be a table");
  if (auto s = check_keys(
          *lt, "license",
          {"requirements", "review", "exceptions", "end_uses", "embargoes", "settings", "party_lists", "affiliates"});
      !s)
    return s;
  // Each sub-table of `key` compiled by `compile` into `into`.
  auto each = [&](const char* key, auto compile, auto& into) {
    return each_table(*lt, "license", key, [&](const std::string& id, const toml::table& t, const std::string& p) {
      auto v = compile(id, t, p, countries);
      if (!v) return v.status();
      into.push_back(std::move(v).value());
      return Status::ok();
    });
  };
  if (auto s = each("requirements", compile_requirement, lic.requirements); !s) return s;
  if (auto s = each("review", compile_review_rule, lic.review); !s) return s;
  std::stable_sort(lic.review.begin(), lic.review.end(),
                   [](const ReviewRule& a, const ReviewRule& b) { return a.order < b.order; });
  if (auto s = each("exceptions", compile_exception, lic.exceptions); !s) return s;
  if (auto s = each("end_uses", compile_end_use, lic.end_uses); !s) return s;
  if (auto s = each("embargoes", compile_embargo, lic.embargoes); !s) return s;
  if (auto s = compile_party_provisions(*lt, lic); !s) return s;
  if (const auto* settings = lt->get("settings")) {
    const auto* st = settings->as_table();
    if (!st) return fail(*settings, "license.settings", "must be a table");
    if (auto k = check_keys(*st, "license.settings", {"apply_is_informed_letters"}); !k) return k;
    if (const auto* a = st->get("apply_is_informed_letters"))
      lic.apply_is_informed_letters = a->value<bool>().value_or(true);
  }
  return check_license_references(lic);
}

}  // namespace

Result<std::vector<Letter>> compile_letters(const RuleFile& file,
                                            const std::map<std::string, std::string>& country_names) {
  const Countries countries{country_names};
  if (auto s = check_keys(*file.table, "", {"letters"}); !s) return s;
  std::vector<Letter> out;
  auto s = each_table(
      *file.table, "", "letters", [&](const std::string& id, const toml::table& t, const std::string& p) -> Status {
        if (auto k = check_keys(t, p,
                                {"recipient", "informed", "until", "citation", "text", "products", "any",
                                 "destinations", "headquarters", "policy", "policy_source"});
            !k)
          return k;
        Letter l;
        l.id = id;
        l.source = source_of(t);
        for (auto [key, field] :
             {std::pair{"recipient", &l.recipient}, std::pair{"citation", &l.citation}, std::pair{"text", &l.text}}) {
          auto v = get_string(t, p, key, true);
          if (!v) return v.status();
          *field = v.value();
        }
        const auto* informed = t.get("informed");
        if (!informed || !to_date(*informed))
          return fail(t, p + ".informed", "required, a TOML date such as 2025-04-09");
        l.informed = *to_date(*informed);
        if (const auto* until = t.get("until")) {
          if (!to_date(*until)) return fail(*until, p + ".until", "must be a TOML date");
          l.until = to_date(*until);
        }
        auto products = get_string_array(t, p, "products");
        if (!products) return products.status();
        l.products = products.value();
        if (t.get("any")) {
          auto any = compile_conditions(t, p, "any");
          if (!any) return any.status();
          l.any = any.value();
        }
        if (l.products.empty() && l.any.empty()) return fail(t, p, "needs 'products' or parameter triggers 'any'");
        auto d = compile_places(t, p, "destinations", countries);
        if (!d) return d.status();
        l.destinations = d.value();
        auto h = compile_places(t, p, "headquarters", countries);
        if (!h) return h.status();
        l.headquarters = h.value();
        if (l.destinations.empty() && l.headquarters.empty())
          return fail(t, p, "needs 'destinations' or 'headquarters'");
        auto policy = compile_policy(t, p);
        if (!policy) return policy.status();
        l.policy = policy.value();
        auto policy_source = get_string(t, p, "policy_source", true);
        if (!policy_source) return policy_source.status();
        l.policy_source = policy_source.value();
        out.push_back(std::move(l));
        return Status::ok();
      });
  if (!s) return s;
  return out;
}

Result<std::map<std::string, std::string>> read_country_file(const std::string& path, const std::string& display_name) {
  using R = Result<std::map<std::string, std::string>>;
  auto file = read_rule_file(path, display_name);
  if (!file) return file.status();
  const auto* c = file->table->get("countries");
  if (!c || !c->is_table()) return R::error(display_name + ":1: missing [countries] table");
  std::map<std::string, std::string> out;
  for (auto&& [k, v] : *c->as_table()) {
    if (!v.is_string()) return R::error(where(v) + ": countries." + std::string(k.str()) + ": must be a string");
    out[std::string(k.str())] = v.value<std::string>().value();
  }
  return out;
}

Result<RuleFile> read_rule_file(const std::string& path, const std::string& display_name) {
  auto bytes = read_bounded_file(path, input_limits::kToml);
  if (!bytes) return bytes.status();
  return parse_rule_text(std::move(bytes).value(), display_name);
}

Result<RuleFile> parse_rule_text(std::string bytes, const std::string& display_name) {
  RuleFile file;
  file.name = display_name;
  file.bytes = std::move(bytes);
  auto table = parse_toml(file.bytes, display_name);
  if (!table) return table.status();
  file.table = std::make_shared<toml::table>(std::move(table).value());
  return file;
}

void merge_patch(toml::table& base, toml::table&& patch) {
  for (auto&& [key, value] : patch) {
    auto* patch_table = value.as_table();
    toml::node* existing = base.get(key.str());
    const bool replaces =
        patch_table && patch_table->get("replace") && patch_table->get("replace")->value<bool>().value_or(false);
    auto* existing_table = existing ? existing->as_table() : nullptr;
    // A table re-defined after being removed starts afresh rather than inheriting the tombstone.
    const bool revives = existing_table && patch_table && is_removed(*existing_table) && !is_removed(*patch_table);
    if (patch_table && existing_table && !replaces && !revives) {
      merge_patch(*existing_table, std::move(*patch_table));
    } else {
      base.insert_or_assign(key, std::move(value));
    }
  }
}

Result<VersionInfo> compile_version_info(const RuleFile& file) {
  const toml::node* node = file.table->get("version");
  if (!node || !node->is_table()) return Result<VersionInfo>::error(file.name + ":1: missing [version] table");
  const auto& t = *node->as_table();
  if (auto s = check_keys(t, "version",
                          {"id", "title", "effective", "compliance_date", "published", "federal_register", "fr_doc",
                           "summary", "extends", "in_text", "enforced", "sources"});
      !s)
    return s;
  VersionInfo v;
  v.source = source_of(t);
  auto id = get_string(t, "version", "id", true);
  if (!id) return id.status();
  v.id = id.value();
  auto title = get_string(t, "version", "title", true);
  if (!title) return title.status();
  v.title = title.value();
  const toml::node* eff = t.get("effective");
  if (!eff || !to_date(*eff))
    return Result<VersionInfo>::error(where(t) + ": version.effective: required, a TOML date such as 2023-11-17");
  v.effective = *to_date(*eff);
  for (auto [key, field] : {std::pair{"compliance_date", &v.compliance_date}, std::pair{"published", &v.published}}) {
    if (const auto* n = t.get(key)) {
      if (!to_date(*n)) return fail(*n, std::string("version.") + key, "must be a TOML date");
      *field = to_date(*n);
    }
  }
  auto fr = get_string(t, "version", "federal_register", true);
  if (!fr) return fr.status();
  v.federal_register = fr.value();
  for (auto [key, field] :
       {std::pair{"fr_doc", &v.fr_doc}, std::pair{"summary", &v.summary}, std::pair{"extends", &v.extends}}) {
    auto s = get_string(t, "version", key, false);
    if (!s) return s.status();
    *field = s.value();
  }
  for (auto [key, field] : {std::pair{"in_text", &v.in_text}, std::pair{"enforced", &v.enforced}}) {
    if (const auto* n = t.get(key)) {
      if (!n->is_boolean()) return fail(*n, std::string("version.") + key, "must be true or false");
      *field = n->value<bool>().value();
    }
  }
  auto sources = get_string_array(t, "version", "sources");
  if (!sources) return sources.status();
  v.sources = sources.value();
  if (file.name != v.id + ".toml")
    return fail(t, "version.id", "'" + v.id + "' does not match the file name " + file.name);
  return v;
}

Result<ScenarioInfo> compile_scenario_info(const RuleFile& file) {
  const toml::node* node = file.table->get("scenario");
  if (!node || !node->is_table()) return Result<ScenarioInfo>::error(file.name + ":1: missing [scenario] table");
  const auto& t = *node->as_table();
  if (auto s = check_keys(t, "scenario", {"name", "title", "description", "base", "min_version"}); !s) return s;
  ScenarioInfo info;
  info.source = source_of(t);
  for (auto [key, field, required] :
       {std::tuple{"name", &info.name, true}, std::tuple{"title", &info.title, true},
        std::tuple{"description", &info.description, true}, std::tuple{"base", &info.pinned_base, false},
        std::tuple{"min_version", &info.min_version, false}}) {
    auto s = get_string(t, "scenario", key, required);
    if (!s) return s.status();
    *field = s.value();
  }
  if (file.name != "scenarios/" + info.name + ".toml")
    return fail(t, "scenario.name", "'" + info.name + "' does not match the file name " + file.name);
  return info;
}

Status compile_rules(const toml::table& merged, const std::map<std::string, std::string>& countries, RuleSet& out) {
  if (auto s = check_keys(merged, "",
                          {"version", "scenario", "conventions", "entries", "notes", "z_paragraphs", "country_groups",
                           "country_notes", "destination_aliases", "license"});
      !s)
    return s;
  if (auto s = compile_license(merged, Countries{countries}, out); !s) return s;
  if (const auto* conv = merged.get("conventions")) {
    const auto* ct = conv->as_table();
    if (!ct) return fail(*conv, "conventions", "must be a table");
    if (auto s = check_keys(*ct, "conventions", {"bit_length", "notes"}); !s) return s;
    if (const auto* bl = ct->get("bit_length")) {
      if (!bl->is_table()) return fail(*bl, "conventions.bit_length", "must be a table");
      for (auto&& [k, v] : *bl->as_table()) {
        const auto bits = v.value<int64_t>();
        if (!v.is_integer() || !bits || *bits <= 0 || *bits > 128)
          return fail(v, "conventions.bit_length." + std::string(k.str()), "must be an integer number of bits (1-128)");
        out.conventions.bit_length[std::string(k.str())] = static_cast<int>(*bits);
      }
    }
    if (const auto* notes = ct->get("notes")) {
      if (!notes->is_table()) return fail(*notes, "conventions.notes", "must be a table of strings");
      for (auto&& [k, v] : *notes->as_table()) {
        if (!v.is_string()) return fail(v, "conventions.notes." + std::string(k.str()), "must be a string");
        out.conventions.notes.emplace_back(std::string(k.str()), v.value<std::string>().value());
      }
    }
  }
  for (const auto& [name, bits] : out.conventions.bit_length)
    if (precision_index(name) == kPrecisionCount)
      return Status::error("rules: conventions.bit_length." + name + ": not a precision chipgate reads");
  for (auto name : kPrecisionNames)
    if (!out.conventions.bit_length.count(std::string(name)))
      return Status::error("rules: conventions.bit_length: no bit length for precision '" + std::string(name) + "'");

  if (const auto* entries = merged.get("entries")) {
    if (!entries->is_table()) return fail(*entries, "entries", "must be a table");
    for (auto&& [k, v] : *entries->as_table()) {
      const auto* t = v.as_table();
      if (!t) return fail(v, "entries." + std::string(k.str()), "must be a table");
      if (is_removed(*t)) continue;
      if (auto s = compile_entry(std::string(k.str()), *t, out); !s) return s;
    }
  }
  if (const auto* notes = merged.get("notes")) {
    if (!notes->is_table()) return fail(*notes, "notes", "must be a table");
    for (auto&& [k, v] : *notes->as_table()) {
      const auto* t = v.as_table();
      if (!t) return fail(v, "notes." + std::string(k.str()), "must be a table");
      if (is_removed(*t)) continue;
      if (auto s = compile_note(std::string(k.str()), *t, out); !s) return s;
    }
  }
  if (const auto* z = merged.get("z_paragraphs")) {
    const auto* zt = z->as_table();
    if (!zt) return fail(*z, "z_paragraphs", "must be a table");
    if (!is_removed(*zt)) {
      if (auto s = check_keys(*zt, "z_paragraphs", {"citation", "text", "eccns", "removed", "replace"}); !s) return s;
      auto eccns = get_string_array(*zt, "z_paragraphs", "eccns");
      if (!eccns) return eccns.status();
      out.z.eccns = eccns.value();
      auto citation = get_string(*zt, "z_paragraphs", "citation", true);
      if (!citation) return citation.status();
      out.z.citation = citation.value();
      auto text = get_string(*zt, "z_paragraphs", "text", true);
      if (!text) return text.status();
      out.z.text = text.value();
    }
  }

  // Evaluation order: by ECCN, except that an entry comes after the entries it yields to
  // (`unless`), whose results it reads.
  std::sort(out.entries.begin(), out.entries.end(), [](const auto& a, const auto& b) { return a.id < b.id; });
  std::vector<ControlEntry> ordered;
  while (!out.entries.empty()) {
    auto ready = std::find_if(out.entries.begin(), out.entries.end(), [&](const ControlEntry& e) {
      return std::all_of(e.unless.begin(), e.unless.end(), [&](const std::string& ref) {
        return std::none_of(out.entries.begin(), out.entries.end(), [&](const ControlEntry& o) { return o.id == ref; });
      });
    });
    if (ready == out.entries.end())
      return Status::error(out.entries.front().source.to_string() + ": entries." + out.entries.front().id +
                           ".unless: circular precedence between entries");
    ordered.push_back(std::move(*ready));
    out.entries.erase(ready);
  }
  out.entries = std::move(ordered);
  for (const auto& e : out.entries) {
    for (const auto& ref : e.unless)
      if (!out.find_entry(ref))
        return Status::error(e.source.to_string() + ": entries." + e.id + ".unless: no entry '" + ref +
                             "' in this rule set");
    for (const auto& ref : e.contains)
      if (!out.find_entry(ref))
        return Status::error(e.source.to_string() + ": entries." + e.id + ".contains: no entry '" + ref +
                             "' in this rule set");
  }
  for (auto& n : out.notes) {
    // A note may name an entry that a scenario removed; it then simply excludes nothing there.
    std::erase_if(n.excludes, [&](const std::string& id) { return out.find_entry(id) == nullptr; });
  }
  return Status::ok();
}

}  // namespace chipgate::rules::detail

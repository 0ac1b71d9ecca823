#include "rules/rule_set.h"

#include <algorithm>

#include "core/json_util.h"

namespace chipgate::rules {

const char* op_symbol(Op op) {
  switch (op) {
    case Op::kGreaterEqual:
      return ">=";
    case Op::kGreater:
      return ">";
    case Op::kLessEqual:
      return "<=";
    case Op::kLess:
      return "<";
  }
  return "?";
}

const char* item_kind_name(ItemKind kind) {
  switch (kind) {
    case ItemKind::kIc:
      return "ic";
    case ItemKind::kHbm:
      return "hbm";
    case ItemKind::kComputer:
      return "computer";
  }
  return "?";
}

std::string Condition::describe() const {
  if (kind == Kind::kFlag) return name + " = " + (flag_value ? "true" : "false");
  return name + " " + op_symbol(op) + " " + format_number(value);
}

bool ControlEntry::applies_to_kind(ItemKind kind) const {
  return std::find(applies_to.begin(), applies_to.end(), kind) != applies_to.end();
}

std::string PlaceSelector::describe() const {
  // Read inside a sentence ("ship-to DE not in D:1, D:4, D:5 (except A:5, A:6) or MO"), so no
  // separator of its own may look like the end of a clause, and an empty set is said in words.
  if (anywhere) return "any destination";
  const auto join = [](const std::vector<std::string>& v) {
    std::string s;
    for (const auto& x : v) s += (s.empty() ? "" : ", ") + x;
    return s;
  };
  std::string s = join(groups);
  if (!except_groups.empty()) s += " (except " + join(except_groups) + ")";
  if (!countries.empty()) s += (s.empty() ? "" : " or ") + join(countries);
  if (s.empty()) s = "no destination";
  if (!except_countries.empty()) s += " (never " + join(except_countries) + ")";
  return s;
}

int review_policy_severity(ReviewPolicy p) {
  switch (p) {
    case ReviewPolicy::kPresumptionOfApproval:
      return 0;
    case ReviewPolicy::kCaseByCase:
      return 1;
    case ReviewPolicy::kPresumptionOfDenial:
      return 2;
    case ReviewPolicy::kPolicyOfDenial:
      return 3;
  }
  return 1;
}

const char* review_policy_code(ReviewPolicy p) {
  switch (p) {
    case ReviewPolicy::kPresumptionOfApproval:
      return "presumption_of_approval";
    case ReviewPolicy::kCaseByCase:
      return "case_by_case";
    case ReviewPolicy::kPresumptionOfDenial:
      return "presumption_of_denial";
    case ReviewPolicy::kPolicyOfDenial:
      return "policy_of_denial";
  }
  return "case_by_case";
}

std::string LicenseRules::canonical(const std::string& country) const {
  auto it = destination_aliases.find(country);
  return it == destination_aliases.end() ? country : it->second;
}

std::vector<std::string> LicenseRules::groups_of(const std::string& country) const {
  const std::string c = canonical(country);
  std::vector<std::string> out;
  for (const auto& [group, members] : country_groups)
    if (std::find(members.begin(), members.end(), c) != members.end()) out.push_back(group);
  return out;
}

bool LicenseRules::matches(const PlaceSelector& sel, const std::string& country) const {
  const std::string c = canonical(country);
  for (const auto& x : sel.except_countries)
    if (x == c || x == country) return false;
  if (sel.anywhere) return true;
  if (std::find(sel.countries.begin(), sel.countries.end(), c) != sel.countries.end() ||
      std::find(sel.countries.begin(), sel.countries.end(), country) != sel.countries.end())
    return true;
  auto in_any = [&](const std::vector<std::string>& groups) {
    for (const auto& g : groups) {
      auto it = country_groups.find(g);
      if (it != country_groups.end() && std::find(it->second.begin(), it->second.end(), c) != it->second.end())
        return true;
    }
    return false;
  };
  return in_any(sel.groups) && !in_any(sel.except_groups);
}

const PartyListRule* LicenseRules::party_list(const std::string& list) const {
  for (const auto& p : party_lists)
    if (p.list == list || std::find(p.published_as.begin(), p.published_as.end(), list) != p.published_as.end())
      return &p;
  return nullptr;
}

std::string RuleSet::label() const { return scenario ? version.id + "+" + scenario->name : version.id; }

const ControlEntry* RuleSet::find_entry(const std::string& id) const {
  for (const auto& e : entries)
    if (e.id == id) return &e;
  return nullptr;
}

}  // namespace chipgate::rules

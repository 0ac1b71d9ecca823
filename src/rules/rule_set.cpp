#include "rules/rule_set.h"

#include <algorithm>

#include "core/json_util.h"

namespace chipgate::rules {

const char* op_symbol(Op op) {
  switch (op) {
    case Op::kGreaterEqual: return ">=";
    case Op::kGreater: return ">";
    case Op::kLessEqual: return "<=";
    case Op::kLess: return "<";
  }
  return "?";
}

const char* item_kind_name(ItemKind kind) {
  switch (kind) {
    case ItemKind::kIc: return "ic";
    case ItemKind::kHbm: return "hbm";
    case ItemKind::kComputer: return "computer";
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

std::string RuleSet::label() const {
  return scenario ? version.id + "+" + scenario->name : version.id;
}

const ControlEntry* RuleSet::find_entry(const std::string& id) const {
  for (const auto& e : entries)
    if (e.id == id) return &e;
  return nullptr;
}

}  // namespace chipgate::rules

// Classification: an item and a rule set give the ECCN(s) from the advanced-computing entries,
// "none of them", or "undetermined" with the missing parameters, plus a trace of every test.
//
// The trace is a list of compact steps pointing into the immutable rule set (kept alive by the
// result), so classifying costs no string work; classification_output.h renders it.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "classify/item.h"
#include "classify/metrics.h"
#include "core/date.h"
#include "rules/rule_set.h"

namespace chipgate::classify {

enum class Status { kControlled, kNotControlled, kUndetermined };
const char* status_name(Status s);  // "controlled", "not_controlled", "undetermined"

struct TraceStep {
  enum class Kind {
    kNoVersion,   // no version in force on the date
    kRuleSet,     // which version / scenario was used
    kCondition,   // one condition of a prong or note, with the value compared
    kProng,       // a prong's result (all of its conditions)
    kNote,        // an exclusion note's result, and whether it excluded the entry
    kUnless,      // an entry yielding to another that applies
    kContains,    // a computer's contained IC and its classification
    kEntry,       // an entry's result
    kScopeNote,   // an entry that does not reach this kind of item, with the rule's words why
    kZParagraph,  // the item's own ECCN takes the .z paragraph
  };
  Kind kind;
  Tri result = Tri::kUnknown;
  const rules::ControlEntry* entry = nullptr;
  const rules::Prong* prong = nullptr;
  const rules::Condition* condition = nullptr;
  const rules::ExclusionNote* note = nullptr;
  const rules::ControlEntry* other = nullptr;  // kUnless: the entry that takes precedence
};

struct Classification {
  Date date;
  rules::RuleSetPtr rules;  // null when no version was in force on the date
  Status status = Status::kNotControlled;
  std::vector<std::string> eccns;       // when controlled, e.g. {"3A090.a"} or {"5A992.z"}
  std::vector<std::string> candidates;  // when undetermined: the entries it may fall under
  std::vector<std::string> missing;     // parameters whose absence leaves it undetermined
  Metrics metrics;
  std::vector<TraceStep> trace;
  std::shared_ptr<const Classification> contained;  // computers: the contained IC's result
};

// Classifies `item` under `rules` (which may be null: before the first version took effect).
// The item must have passed validate(); a computer's contained_ic must be set.
Classification classify(const Item& item, Date date, const rules::RuleSetPtr& rules);

}  // namespace chipgate::classify

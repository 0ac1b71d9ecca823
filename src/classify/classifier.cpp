#include "classify/classifier.h"

#include <algorithm>

namespace chipgate::classify {

namespace {

using rules::Condition;
using rules::ControlEntry;

Tri compare(double v, rules::Op op, double t) {
  bool r = false;
  switch (op) {
    case rules::Op::kGreaterEqual:
      r = v >= t;
      break;
    case rules::Op::kGreater:
      r = v > t;
      break;
    case rules::Op::kLessEqual:
      r = v <= t;
      break;
    case rules::Op::kLess:
      r = v < t;
      break;
  }
  return r ? Tri::kTrue : Tri::kFalse;
}

Tri eval_condition(const Condition& c, const Item& item, const Metrics& m) {
  if (c.kind == Condition::Kind::kFlag) {
    // Only "datacenter" exists today (rules::kFlagNames); the loader rejects any other name.
    if (item.datacenter == Tri::kUnknown) return Tri::kUnknown;
    return (item.datacenter == Tri::kTrue) == c.flag_value ? Tri::kTrue : Tri::kFalse;
  }
  const auto v = m.get(c.name);
  if (!v) return Tri::kUnknown;
  return compare(*v, c.op, c.value);
}

// Kleene conjunction over a prong's or note's conditions, each traced.
Tri eval_all(const std::vector<Condition>& conds, const Item& item, const Metrics& m, std::vector<TraceStep>& trace,
             const ControlEntry* entry) {
  Tri all = Tri::kTrue;
  for (const auto& c : conds) {
    const Tri r = eval_condition(c, item, m);
    trace.push_back({TraceStep::Kind::kCondition, r, entry, nullptr, &c, nullptr, nullptr});
    if (r == Tri::kFalse)
      all = Tri::kFalse;
    else if (r == Tri::kUnknown && all == Tri::kTrue)
      all = Tri::kUnknown;
  }
  return all;
}

void add_missing(const std::vector<Condition>& conds, const Item& item, const Metrics& m,
                 std::vector<std::string>& missing) {
  for (const auto& c : conds) {
    if (eval_condition(c, item, m) != Tri::kUnknown) continue;
    std::vector<std::string> names;
    if (c.kind == Condition::Kind::kFlag)
      names.push_back(c.name);
    else
      names = missing_inputs(c.name, item, m);
    for (auto& n : names)
      if (std::find(missing.begin(), missing.end(), n) == missing.end()) missing.push_back(std::move(n));
  }
}

bool contains_any(const std::vector<std::string>& haystack, const std::vector<std::string>& needles) {
  for (const auto& n : needles)
    if (std::find(haystack.begin(), haystack.end(), n) != haystack.end()) return true;
  return false;
}

}  // namespace

const char* status_name(Status s) {
  switch (s) {
    case Status::kControlled:
      return "controlled";
    case Status::kNotControlled:
      return "not_controlled";
    case Status::kUndetermined:
      return "undetermined";
  }
  return "undetermined";
}

Classification classify(const Item& item, Date date, const rules::RuleSetPtr& rules) {
  Classification out;
  out.date = date;
  out.rules = rules;
  if (!rules) {
    out.trace.push_back({TraceStep::Kind::kNoVersion});
    return out;
  }
  out.trace.reserve(24);
  out.trace.push_back({TraceStep::Kind::kRuleSet});
  out.metrics = compute_metrics(item, rules->conventions);
  const Metrics& m = out.metrics;

  if (item.kind == ItemKind::kComputer && item.contained_ic)
    out.contained = std::make_shared<Classification>(classify(*item.contained_ic, date, rules));

  // Results of the entries evaluated so far, for `unless` (the loader orders entries so that an
  // entry's precedence targets come first).
  std::vector<std::pair<const ControlEntry*, Tri>> results;
  results.reserve(rules->entries.size());
  auto result_of = [&](const std::string& id) {
    for (const auto& [e, r] : results)
      if (e->id == id) return r;
    return Tri::kFalse;  // not applicable to this item kind
  };

  for (const auto& entry : rules->entries) {
    if (!entry.applies_to_kind(item.kind)) {
      // An IC with co-packaged HBM is not an HBM item; say so with the rule's own words.
      if (!entry.scope_note.empty() && item.kind == ItemKind::kIc && item.hbm_stacks.value_or(0) > 0)
        out.trace.push_back({TraceStep::Kind::kScopeNote, Tri::kFalse, &entry});
      continue;
    }
    Tri r = Tri::kFalse;
    if (!entry.contains.empty()) {
      if (out.contained) {
        if (contains_any(out.contained->eccns, entry.contains))
          r = Tri::kTrue;
        else if (out.contained->status == Status::kUndetermined &&
                 contains_any(out.contained->candidates, entry.contains))
          r = Tri::kUnknown;
      }
      out.trace.push_back({TraceStep::Kind::kContains, r, &entry});
    } else {
      for (const auto& prong : entry.prongs) {
        const std::size_t at = out.trace.size();
        out.trace.push_back({TraceStep::Kind::kProng, Tri::kUnknown, &entry, &prong});
        const Tri pr = eval_all(prong.all, item, m, out.trace, &entry);
        out.trace[at].result = pr;
        if (pr == Tri::kTrue)
          r = Tri::kTrue;
        else if (pr == Tri::kUnknown && r == Tri::kFalse)
          r = Tri::kUnknown;
      }
    }
    // Exclusion notes only matter while the entry could still apply.
    for (const auto& note : rules->notes) {
      if (r == Tri::kFalse) break;
      if (std::find(note.excludes.begin(), note.excludes.end(), entry.id) == note.excludes.end()) continue;
      const std::size_t at = out.trace.size();
      out.trace.push_back({TraceStep::Kind::kNote, Tri::kUnknown, &entry, nullptr, nullptr, &note});
      const Tri nr = eval_all(note.when, item, m, out.trace, &entry);
      out.trace[at].result = nr;
      if (nr == Tri::kTrue)
        r = Tri::kFalse;
      else if (nr == Tri::kUnknown)
        r = Tri::kUnknown;
    }
    for (const auto& other_id : entry.unless) {
      if (r == Tri::kFalse) break;
      const Tri o = result_of(other_id);
      if (o == Tri::kFalse) continue;
      out.trace.push_back(
          {TraceStep::Kind::kUnless, o, &entry, nullptr, nullptr, nullptr, rules->find_entry(other_id)});
      if (o == Tri::kTrue)
        r = Tri::kFalse;
      else if (o == Tri::kUnknown)
        r = Tri::kUnknown;  // if the other applies, this one does not
    }
    out.trace.push_back({TraceStep::Kind::kEntry, r, &entry});
    results.emplace_back(&entry, r);
  }

  for (const auto& [e, r] : results) {
    if (r == Tri::kTrue) out.eccns.push_back(e->id);
    if (r == Tri::kUnknown) out.candidates.push_back(e->id);
  }
  if (!out.eccns.empty()) {
    out.status = Status::kControlled;
    out.candidates.clear();
  } else if (!out.candidates.empty()) {
    out.status = Status::kUndetermined;
    // Name what is missing for the entries still open: their prongs' and notes' unknown inputs,
    // or, for a computer, what its IC is missing.
    for (const auto& [e, r] : results) {
      if (r != Tri::kUnknown) continue;
      for (const auto& p : e->prongs) add_missing(p.all, item, m, out.missing);
      for (const auto& note : rules->notes)
        if (std::find(note.excludes.begin(), note.excludes.end(), e->id) != note.excludes.end())
          add_missing(note.when, item, m, out.missing);
      if (!e->contains.empty() && out.contained)
        for (const auto& mi : out.contained->missing)
          if (std::find(out.missing.begin(), out.missing.end(), mi) == out.missing.end()) out.missing.push_back(mi);
    }
  } else {
    out.status = Status::kNotControlled;
  }

  // An item that another CCL entry describes takes that entry's .z paragraph when it meets an
  // .a- or .b-level 3A090/4A090 entry (the level is in the trace).
  if (!item.base_eccn.empty() && out.status == Status::kControlled) {
    // Only .a- and .b-level entries lead to a .z paragraph: "The performance parameters under ECCN
    // 3A090.c are not used for determining whether an item is classified in a .z ECCN."
    const rules::ControlEntry* met = nullptr;
    for (const auto& [e, r] : results)
      if (r == Tri::kTrue && (e->level == 1 || e->level == 2) && !met) met = e;
    const std::string z = item.base_eccn + ".z";
    if (met && std::find(rules->z.eccns.begin(), rules->z.eccns.end(), z) != rules->z.eccns.end()) {
      out.trace.push_back({TraceStep::Kind::kZParagraph, Tri::kTrue, met});
      out.eccns = {z};
    }
  }
  return out;
}

}  // namespace chipgate::classify

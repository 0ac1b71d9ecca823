#include "license/decision.h"

#include <algorithm>
#include <cctype>
#include <set>

#include "core/json_util.h"
#include "license/party_screening.h"

namespace chipgate::license {

using detail::condition_exceptions_on_screening;
using detail::PartyOutcome;
using detail::screen_parties;
using rules::ItemSelector;
using rules::ReviewPolicy;

namespace {

bool selects(const ItemSelector& sel, const std::vector<std::string>& tokens) {
  if (sel.empty()) return true;
  for (const auto& t : tokens)
    if (std::find(sel.entries.begin(), sel.entries.end(), t) != sel.entries.end()) return true;
  return false;
}

std::string upper(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

classify::Tri compare(double v, rules::Op op, double t) {
  bool ok = false;
  switch (op) {
    case rules::Op::kGreaterEqual:
      ok = v >= t;
      break;
    case rules::Op::kGreater:
      ok = v > t;
      break;
    case rules::Op::kLessEqual:
      ok = v <= t;
      break;
    case rules::Op::kLess:
      ok = v < t;
      break;
  }
  return ok ? classify::Tri::kTrue : classify::Tri::kFalse;
}

// Conditions on the item (metrics, and the datacenter flag where a rule names it): true / false /
// unknown (Kleene conjunction).
classify::Tri all_hold(const std::vector<rules::Condition>& conds, const classify::Metrics& m,
                       classify::Tri datacenter = classify::Tri::kUnknown) {
  classify::Tri r = classify::Tri::kTrue;
  for (const auto& c : conds) {
    classify::Tri one = classify::Tri::kUnknown;
    if (c.kind == rules::Condition::Kind::kFlag) {
      if (datacenter != classify::Tri::kUnknown)
        one = (datacenter == classify::Tri::kTrue) == c.flag_value ? classify::Tri::kTrue : classify::Tri::kFalse;
    } else if (const auto v = m.get(c.name)) {
      one = compare(*v, c.op, c.value);
    }
    if (one == classify::Tri::kFalse) return one;
    if (one == classify::Tri::kUnknown) r = one;
  }
  return r;
}

// The entries (and .z levels) a classification puts the item in; for an undetermined item, the
// entries it may be in.
std::vector<std::string> item_tokens(const classify::Classification& c) {
  std::vector<std::string> tokens;
  const auto& list = c.status == classify::Status::kControlled ? c.eccns : c.candidates;
  for (const auto& e : list) {
    if (e.size() > 2 && e.compare(e.size() - 2, 2, ".z") == 0) {
      for (const auto& s : c.trace)
        if (s.kind == classify::TraceStep::Kind::kZParagraph && s.entry)
          tokens.push_back(s.entry->level == 1 ? "z:a" : "z:b");
    } else {
      tokens.push_back(e);
    }
  }
  if (c.status == classify::Status::kNotControlled) tokens.push_back("not_controlled");
  return tokens;
}

// The datacenter designation that counts for an item: a computer's is its IC's (740.8, 744.23(d)(3)(i)
// speak of "items designed or marketed for use in a datacenter and meeting the parameters of 3A090.a").
classify::Tri datacenter_of(const classify::Item& item) {
  return item.contained_ic ? item.contained_ic->datacenter : item.datacenter;
}

std::string join(const std::vector<std::string>& v, const char* sep = ", ") {
  std::string s;
  for (const auto& x : v) s += (s.empty() ? "" : sep) + x;
  return s;
}

// What chipgate knows of an item's ECCN outside the advanced-computing entries: its classification
// (3A090.a, 4A090.b, 5A992.z, ...), else the declared `base_eccn`, else nothing.
struct KnownEccns {
  std::vector<std::string> possible;  // the ECCNs the item has or may have
  bool may_be_unknown = false;        // one possible outcome is an ECCN chipgate does not know
};

KnownEccns known_eccns(const classify::Item& item, const classify::Classification& c) {
  KnownEccns k;
  auto not_controlled = [&] {
    if (!item.base_eccn.empty())
      k.possible.push_back(item.base_eccn);
    else
      k.may_be_unknown = true;
  };
  if (c.status == classify::Status::kControlled) {
    k.possible = c.eccns;
  } else if (c.status == classify::Status::kNotControlled) {
    not_controlled();
  } else {
    // Undetermined: one of the candidate entries (an .a/.b level one is the base ECCN's .z paragraph
    // when a base ECCN is given), or none of them.
    for (const auto& e : c.candidates) {
      const auto* entry = c.rules ? c.rules->find_entry(e) : nullptr;
      k.possible.push_back(!item.base_eccn.empty() && entry && entry->level > 0 ? item.base_eccn + ".z" : e);
    }
    not_controlled();
  }
  return k;
}

bool clause_matches(const rules::ItemScopeClause& cl, const std::string& eccn) {
  if (cl.any_item) return true;
  if (cl.any_eccn && eccn != "EAR99") return true;
  return std::any_of(cl.eccns.begin(), cl.eccns.end(),
                     [&](const std::string& prefix) { return eccn.rfind(prefix, 0) == 0; });
}

// Does a provision written over the CCL reach this item? Unknown when its ECCN is not known and the
// scope depends on it, or when only a list chipgate does not hold could put it in scope.
classify::Tri in_scope(const rules::ItemScope& scope, const classify::Item& item, const KnownEccns& k) {
  if (scope.empty()) return classify::Tri::kTrue;
  std::vector<const rules::ItemScopeClause*> clauses;
  for (const auto& cl : scope.any_of)
    if (cl.kinds.empty() || std::find(cl.kinds.begin(), cl.kinds.end(), item.kind) != cl.kinds.end())
      clauses.push_back(&cl);
  if (std::any_of(clauses.begin(), clauses.end(), [](const auto* cl) { return cl->any_item && !cl->via_list; }))
    return classify::Tri::kTrue;
  std::size_t in = 0, out = 0;
  for (const auto& e : k.possible) {
    bool sure = false, maybe = false;
    for (const auto* cl : clauses)
      if (clause_matches(*cl, e)) (cl->via_list ? maybe : sure) = true;
    if (sure)
      ++in;
    else if (!maybe)
      ++out;
  }
  const std::size_t n = k.possible.size();
  if (!k.may_be_unknown && n > 0 && in == n) return classify::Tri::kTrue;
  if (out == n && (!k.may_be_unknown || clauses.empty())) return classify::Tri::kFalse;
  return classify::Tri::kUnknown;
}

std::string scope_why(classify::Tri r, const rules::ItemScope& scope, const KnownEccns& k) {
  const std::string eccns = k.possible.empty() ? std::string() : join(k.possible);
  const std::string unknown =
      k.may_be_unknown ? "the item's ECCN outside 3A090/4A090 is not known to chipgate (give base_eccn)" : "";
  if (r == classify::Tri::kTrue) return "item (" + (eccns.empty() ? "any item" : eccns) + ") within: " + scope.text;
  if (r == classify::Tri::kFalse)
    return "item (" + (eccns.empty() ? "ECCN unknown" : eccns) + ") outside the item scope: " + scope.text;
  if (!scope.list_not_encoded.empty() && !k.may_be_unknown)
    return "whether the item (" + eccns + ") is in " + scope.list_not_encoded +
           " is not known; item scope: " + scope.text;
  return unknown + (eccns.empty() ? "" : " (possible: " + eccns + ")") + "; item scope: " + scope.text;
}

}  // namespace

// How a reason names the end-use control that gave it: the declared end use, or the listed party that
// brought it in (744.21(b)).
std::string end_use_label(const rules::EndUseControl& eu, const std::string& listed_party) {
  if (!listed_party.empty()) return "Listed party (" + listed_party + "): ";
  return "Declared end use '" + eu.code + "': ";
}

std::string Reason::text() const {
  switch (kind) {
    case Kind::kRequirement:
      return requirement->text + (by_headquarters ? " (end user headquartered there)" : "") + " [" +
             requirement->citation + "]";
    case Kind::kLetter:
      return "Company-specific licence requirement (is-informed letter '" + letter->id + "' to " + letter->recipient +
             "): " + letter->text + " [" + letter->citation + "]";
    case Kind::kEndUse:
      return end_use_label(*end_use, detail) + end_use->text + " [" + end_use->citation + "]";
    case Kind::kEntityList:
      return party_list->text + " [" + party_list->citation + "]";
    case Kind::kUndeterminedItem:
      return "The item's classification is undetermined; a licence is required if it falls under " + requirement->id +
             " [" + requirement->citation + "]";
    case Kind::kEmbargo:
      return embargo->text + " [" + embargo->citation + "]";
    case Kind::kUndeterminedScope: {
      const rules::ItemScope& scope = end_use ? end_use->items : embargo->items;
      const std::string what = end_use ? end_use_label(*end_use, detail) + end_use->text : embargo->text;
      const std::string unknown =
          scope.list_not_encoded.empty()
              ? "the item's ECCN outside 3A090/4A090 is not known to chipgate (give its base_eccn)"
              : "whether it reaches this item depends on " + scope.list_not_encoded +
                    ", or on an ECCN chipgate does not know (give its base_eccn)";
      return "Undetermined: " + what + " It reaches " + scope.text + "; " + unknown + " [" +
             (end_use ? end_use->citation : embargo->citation) + "]";
    }
    case Kind::kAffiliate:
      return "Affiliates rule: " + detail +
             "; the listed owner's Entity List licence requirement applies as if the party were listed (see "
             "affiliates) [" +
             affiliates->citation + "; " + party_list->citation + "]";
    case Kind::kAffiliateUndetermined:
      if (end_use)  // a control the listed owners' list brings in (744.21(b)), if the share reaches the threshold
        return "Affiliates rule, undetermined: " + detail + "; if their share reaches " +
               (affiliates ? format_number(affiliates->threshold_percent) + "%" : std::string("the threshold")) +
               (affiliates ? " (" + affiliates->unknown_share + ")" : std::string()) + ": " + end_use->text + " [" +
               (affiliates ? affiliates->citation + "; " : std::string()) + end_use->citation + "]";
      return "Affiliates rule: " + detail + "; a licence is required if the listed owners' share reaches " +
             format_number(affiliates->threshold_percent) + "% (" + affiliates->unknown_share + ") [" +
             affiliates->citation + "]";
    case Kind::kNotScreened:
      if (!party_list)  // no list provision in the rules applied: say so rather than cite one
        return "Parties not screened: no restricted-party list was given (" + detail +
               "); a licence may be required if one of them is on a restricted-party list [no party-list "
               "provision in the rules applied]";
      return "Parties not screened: no restricted-party list was given (" + detail +
             "); a licence is required if one of them is on the Entity List [" + party_list->citation + "]";
  }
  return "";
}

bool Reason::open() const {
  return kind == Kind::kUndeterminedItem || kind == Kind::kUndeterminedScope || kind == Kind::kAffiliateUndetermined ||
         kind == Kind::kNotScreened;
}

std::string exception_barred_by(const Reason& r, const rules::LicenseException& ex) {
  auto allowed = [&](const rules::ExceptionsAllowed& list) {
    return list && std::find(list->begin(), list->end(), ex.id) != list->end();
  };
  auto only = [](const std::vector<std::string>& list) { return list.empty() ? std::string("none") : join(list); };
  if (r.kind == Reason::Kind::kEntityList || r.kind == Reason::Kind::kAffiliate) {
    const auto& survive = r.party_list->exceptions_allowed;
    if (std::find(survive.begin(), survive.end(), ex.id) != survive.end()) return "";
    return "barred by the " + r.party_list->list + " listing" +
           (r.kind == Reason::Kind::kAffiliate ? " of an owner (Affiliates rule)" : "") + " [" +
           r.party_list->citation + "]: licence exceptions that may overcome it: " + only(survive);
  }
  if (r.kind == Reason::Kind::kRequirement && r.requirement->exceptions_allowed &&
      !allowed(r.requirement->exceptions_allowed))
    return "barred by " + r.requirement->id + " [" + r.requirement->citation +
           "]: licence exceptions that may overcome it: " + only(*r.requirement->exceptions_allowed);
  // A control brought in by listed owners whose share is unknown: the exception is offered on the
  // condition that the party is not covered (condition_exceptions_on_screening), as for Entity List owners.
  if (r.kind == Reason::Kind::kAffiliateUndetermined) return "";
  const rules::EndUseControl* eu = r.end_use;
  if (eu && !allowed(eu->exceptions_allowed))
    return std::string(r.kind == Reason::Kind::kUndeterminedScope
                           ? "barred if the end use's licence requirement "
                             "applies (item scope undetermined): "
                           : (r.detail.empty() ? "barred by the declared end use: "
                                               : "barred by the listed party's end-use control: ")) +
           eu->code + " [" + eu->citation + "]";
  const rules::Embargo* emb = r.embargo;
  if (emb &&
      std::find(emb->exceptions_allowed.begin(), emb->exceptions_allowed.end(), ex.id) == emb->exceptions_allowed.end())
    return std::string(r.kind == Reason::Kind::kUndeterminedScope ? "barred if the embargo's licence requirement "
                                                                    "applies (item scope undetermined): "
                                                                  : "barred by the embargo: ") +
           emb->id + " [" + emb->citation + "]; it allows only: " + only(emb->exceptions_allowed);
  return "";
}

const char* screening_name(Decision::Screening s) {
  switch (s) {
    case Decision::Screening::kScreened:
      return "screened";
    case Decision::Screening::kNotScreened:
      return "not_screened";
    case Decision::Screening::kNothingToScreen:
      return "nothing_to_screen";
  }
  return "not_screened";
}

Status validate_line(const OrderLine& line, const std::map<std::string, std::string>& countries,
                     const rules::RuleSet* rs) {
  auto check_country = [&](const std::string& code, const char* field, bool required) -> Status {
    if (code.empty())
      return required ? Status::error(std::string(field) + ": required (ISO 3166-1 alpha-2 code)") : Status::ok();
    if (code.size() != 2 || (!countries.empty() && !countries.count(code)))
      return Status::error(std::string(field) + ": '" + code + "' is not an ISO 3166-1 alpha-2 country code");
    return Status::ok();
  };
  if (line.product_id.empty()) return Status::error("product_id: required");
  if (auto s = check_country(line.ship_to, "ship_to", true); !s) return s;
  if (auto s = check_country(line.end_user_country, "end_user_country", false); !s) return s;
  if (auto s = check_country(line.end_user_hq_country, "end_user_hq_country", false); !s) return s;
  if (auto s = check_country(line.export_from, "export_from", false); !s) return s;
  if (!(line.quantity >= 0) || !(line.value_usd >= 0)) return Status::error("quantity/value_usd: must not be negative");
  if (rs) {
    for (const auto& code : line.end_uses) {
      const bool known = std::any_of(rs->license.end_uses.begin(), rs->license.end_uses.end(),
                                     [&](const rules::EndUseControl& e) { return e.code == code; });
      if (!known) {
        std::set<std::string> codes;  // several controls may answer one code
        for (const auto& e : rs->license.end_uses) codes.insert(e.code);
        std::string list;
        for (const auto& c : codes) list += (list.empty() ? "" : ", ") + c;
        return Status::error("end_uses: unknown end-use code '" + code + "' (known: " + list + ")");
      }
    }
  }
  return Status::ok();
}

namespace {

// What the steps of one decision share.
struct Step {
  const OrderLine& line;
  const classify::Item& item;
  const rules::LicenseRules& lic;
  Decision& d;
  KnownEccns eccns;
  bool scope_open = false;  // an end use or embargo whose item scope is undetermined
};

// 1. Requirements that attach to the item's classification (CCL licence requirements, 744.23(a)(3)).
void apply_requirements(Step& x, bool& open) {
  const auto& line = x.line;
  const auto& lic = x.lic;
  auto& d = x.d;
  const std::string& hq = line.end_user_hq_country;
  const bool undetermined = d.classification.status == classify::Status::kUndetermined;
  for (const auto& req : lic.requirements) {
    if (!selects(req.items, d.item_tokens)) continue;
    const bool excluded_here = !req.not_destinations.empty() && lic.matches(req.not_destinations, line.ship_to);
    const bool by_dest = !req.destinations.empty() && lic.matches(req.destinations, line.ship_to);
    const bool by_hq =
        !by_dest && !excluded_here && !hq.empty() && !req.headquarters.empty() && lic.matches(req.headquarters, hq);
    if (!req.enforced) {
      if (by_dest || by_hq)
        d.trace.push_back({TestedProvision::Kind::kNotEnforced, false, &req, "in the text, not enforced"});
      continue;
    }
    std::string why =
        by_dest ? "ship-to " + line.ship_to + " is in " + req.destinations.describe()
        : by_hq ? "end user headquartered in " + hq + " (" + req.headquarters.describe() + ")"
        : excluded_here && !req.destinations.empty()
            ? "ship-to " + line.ship_to + " not in " + req.destinations.describe()
        : excluded_here
            ? "ship-to " + line.ship_to + " is in " + req.not_destinations.describe() +
                  ", where this requirement does not apply (the destination's own requirement does)"
            : "ship-to " + line.ship_to +
                  (req.destinations.empty() ? " (this requirement names no ship-to destination)"
                                            : " not in " + req.destinations.describe()) +
                  (req.headquarters.empty() ? ""
                                            : "; headquarters " + (hq.empty() ? std::string("not given") : hq) +
                                                  " not in " + req.headquarters.describe());
    d.trace.push_back({TestedProvision::Kind::kRequirement, by_dest || by_hq, &req, why});
    if (!(by_dest || by_hq)) continue;
    if (undetermined) open = true;
    Reason r{undetermined ? Reason::Kind::kUndeterminedItem : Reason::Kind::kRequirement};
    r.requirement = &req;
    r.by_headquarters = by_hq;
    d.reasons.push_back(r);
  }
}

// One end-use control that applies to this line: a licence for the items in its scope when the end
// use is located in one of its destinations. `because` names the listed party that brought it in
// (empty: the end use was declared). Returns true when its policy reaches any licence (744.21(e)(3)).
// `owned_undetermined`: the party that brings it in is owned by listed parties with a share not known to
// reach the Affiliates rule's threshold (its index in d.affiliates): the reason is then open.
bool apply_end_use(Step& x, const rules::EndUseControl& eu, const std::string& because,
                   std::optional<std::size_t> owned_undetermined = std::nullopt) {
  const auto& line = x.line;
  const std::string& where = line.end_user_country.empty() ? line.ship_to : line.end_user_country;
  const bool here = x.lic.matches(eu.destinations, line.ship_to) || x.lic.matches(eu.destinations, where);
  const std::string why = because.empty()      ? "end use"
                          : owned_undetermined ? because + "; if covered, end use"
                                               : because + " listed; end use";
  if (!here) {
    x.d.trace.push_back({TestedProvision::Kind::kEndUse, false, &eu,
                         why + " location " + where + " not in " + eu.destinations.describe()});
    return false;
  }
  const auto scope = in_scope(eu.items, x.item, x.eccns);
  x.d.trace.push_back({TestedProvision::Kind::kEndUse, scope == classify::Tri::kTrue, &eu,
                       why + " located in " + where + "; " + scope_why(scope, eu.items, x.eccns)});
  if (scope != classify::Tri::kFalse) {
    Reason r{scope == classify::Tri::kTrue ? Reason::Kind::kEndUse : Reason::Kind::kUndeterminedScope};
    r.end_use = &eu;
    r.detail = because;
    if (owned_undetermined) {
      r.kind = Reason::Kind::kAffiliateUndetermined;
      r.party = *owned_undetermined;
      r.affiliates = x.lic.affiliates ? &*x.lic.affiliates : nullptr;
    }
    x.d.reasons.push_back(r);
    if (scope == classify::Tri::kUnknown) x.scope_open = true;
    if (owned_undetermined) return false;
  }
  return eu.policy_for_any_licence;
}

// 3. Declared end uses (744.23, 744.21). Returns the end uses whose policy reaches any licence.
std::vector<const rules::EndUseControl*> apply_end_uses(Step& x) {
  std::vector<const rules::EndUseControl*> any_licence;
  for (const auto& code : x.line.end_uses)
    for (const auto& eu : x.lic.end_uses)
      if (eu.code == code && apply_end_use(x, eu, "")) any_licence.push_back(&eu);
  return any_licence;
}

// 4b. End-use controls that a party's listing brings in without a declared end use (744.21(b): a
// party on the Military End-User List), directly or, under the Affiliates rule, through listed owners
// of 50% or more ("subject to the same restrictions" as the listed owner). A control already applied
// as a declared end use is not applied twice. A party whose listed owners' share is unknown leaves
// the control open (Red Flag 29), never "no licence".
bool on_lists_of(const rules::EndUseControl& eu, const std::string& list) {
  return std::find(eu.party_lists.begin(), eu.party_lists.end(), list) != eu.party_lists.end();
}

// "Owner A (bis-meu), Owner B (bis-meu)": the listed owners in `f` on the lists of `eu`.
std::string owners_on(const AffiliateFinding& f, const rules::EndUseControl& eu) {
  std::string owners;
  for (const auto& h : f.listed_owners)
    if (on_lists_of(eu, h.list)) owners += (owners.empty() ? "" : ", ") + h.name + " (" + h.list + ")";
  return owners;
}

void apply_listed_end_uses(Step& x, std::vector<const rules::EndUseControl*>& any_licence, PartyOutcome& parties) {
  auto role_label = [](const std::string& role) {
    return std::string(role == "consignee" ? "consignee '" : "end user '");
  };
  for (const auto& eu : x.lic.end_uses) {
    if (eu.party_lists.empty()) continue;
    if (std::find(x.line.end_uses.begin(), x.line.end_uses.end(), eu.code) != x.line.end_uses.end()) continue;
    std::string because;
    for (std::size_t i = 0; i < x.d.parties.size() && because.empty(); ++i)
      if (on_lists_of(eu, x.d.parties[i].list))
        because = role_label(x.d.party_roles[i]) + x.d.parties[i].name + "' (" + x.d.parties[i].list + ")";
    std::optional<std::size_t> undetermined;
    for (std::size_t i = 0; i < x.d.affiliates.size() && because.empty(); ++i) {
      const AffiliateFinding& f = x.d.affiliates[i];
      const std::string owners = owners_on(f, eu);
      if (owners.empty()) continue;
      if (f.status == AffiliateFinding::Status::kCovered)
        because = role_label(x.d.affiliate_roles[i]) + f.party + "' (owned " + format_fixed(f.restricted_share, 2) +
                  "% by listed parties, among them " + owners + ": Affiliates rule)";
      else if (!undetermined)
        undetermined = i;
    }
    if (!because.empty()) {
      if (apply_end_use(x, eu, because)) any_licence.push_back(&eu);
      continue;
    }
    if (!undetermined) continue;
    const AffiliateFinding& f = x.d.affiliates[*undetermined];
    const std::size_t before = x.d.reasons.size();
    apply_end_use(x, eu,
                  role_label(x.d.affiliate_roles[*undetermined]) + f.party + "' (owned by listed parties, among them " +
                      owners_on(f, eu) +
                      ", with a share not known to reach the threshold: " + format_fixed(f.restricted_share, 2) +
                      "% known, up to " + format_fixed(f.possible_share, 2) + "%)",
                  undetermined);
    if (x.d.reasons.size() > before) {
      parties.open = true;
      parties.missing.push_back("ownership share of '" + f.party + "' held by listed owners");
    }
  }
}

// 3b. Embargoes and sanctions (Part 746) by the destination or the end user's country.
void apply_embargoes(Step& x) {
  const auto& line = x.line;
  for (const auto& emb : x.lic.embargoes) {
    const bool to = x.lic.matches(emb.destinations, line.ship_to);
    const bool end_user_there =
        !line.end_user_country.empty() && x.lic.matches(emb.destinations, line.end_user_country);
    if (!to && !end_user_there) continue;
    const auto scope = in_scope(emb.items, x.item, x.eccns);
    x.d.trace.push_back({TestedProvision::Kind::kEmbargo, scope == classify::Tri::kTrue, &emb,
                         (to ? "ship-to " + line.ship_to : "end user in " + line.end_user_country) + " is in " +
                             emb.destinations.describe() + "; " + scope_why(scope, emb.items, x.eccns)});
    if (scope == classify::Tri::kFalse) continue;
    Reason r{scope == classify::Tri::kTrue ? Reason::Kind::kEmbargo : Reason::Kind::kUndeterminedScope};
    r.embargo = &emb;
    x.d.reasons.push_back(r);
    if (scope == classify::Tri::kUnknown) x.scope_open = true;
  }
}

// The conditions of `conds` whose value is unknown for this item, for the trace.
std::string unknown_conditions(const std::vector<rules::Condition>& conds, const classify::Metrics& m,
                               classify::Tri datacenter) {
  std::vector<std::string> out;
  for (const auto& c : conds)
    if (all_hold({c}, m, datacenter) == classify::Tri::kUnknown) out.push_back(c.describe());
  return join(out);
}

// Whether review rule `rr` matches this line: true / false / unknown (a condition the line or the
// item leaves open); `why` says what was read and what is missing. `destination` is the ship-to, or
// where a declared end use is located when an end use's licence is reviewed.
classify::Tri match_review_rule(const Step& x, const rules::ReviewRule& rr, const std::string& destination,
                                std::string& why) {
  const auto& line = x.line;
  const auto& lic = x.lic;
  const std::string& hq = line.end_user_hq_country;
  const auto& c = x.d.classification;
  if (!selects(rr.items, x.d.item_tokens)) return classify::Tri::kFalse;
  if (!rr.destinations.empty() && !lic.matches(rr.destinations, destination)) return classify::Tri::kFalse;
  if (!rr.headquarters.empty() && (hq.empty() || !lic.matches(rr.headquarters, hq))) return classify::Tri::kFalse;
  if (!rr.destination_or_headquarters.empty() && !lic.matches(rr.destination_or_headquarters, destination) &&
      (hq.empty() || !lic.matches(rr.destination_or_headquarters, hq)))
    return classify::Tri::kFalse;
  if (!rr.export_from.empty() && (line.export_from.empty() || !lic.matches(rr.export_from, line.export_from)))
    return classify::Tri::kFalse;
  classify::Tri r = classify::Tri::kTrue;
  auto add = [&](const std::string& s) { why += (why.empty() ? "" : "; ") + s; };
  if (!rr.not_headquarters.empty()) {
    if (lic.matches(rr.not_headquarters, hq)) return classify::Tri::kFalse;
    if (hq.empty()) {
      r = classify::Tri::kUnknown;
      add("the end user's headquarters is not given (the rule needs it outside " + rr.not_headquarters.describe() +
          ")");
    }
  }
  const bool from_ic =
      x.item.kind == classify::ItemKind::kComputer && rr.computer_metrics == "contained_ic" && c.contained;
  const classify::Metrics& m = from_ic ? c.contained->metrics : c.metrics;
  const auto dc = datacenter_of(x.item);
  const auto cond = all_hold(rr.all, m, dc);
  if (cond == classify::Tri::kFalse) return cond;
  if (from_ic) add("item parameters read from the contained IC " + x.item.contained_id);
  if (cond == classify::Tri::kUnknown) {
    r = classify::Tri::kUnknown;
    add("unknown for this item: " + unknown_conditions(rr.all, m, dc) +
        (x.item.kind == classify::ItemKind::kComputer && !from_ic
             ? " (a computer has no such parameter of its own; the rule reads the shipped item's)"
             : ""));
  }
  return r;
}

// The review policies a licence required by provision `id` may get: the first matching review rule,
// with the policies of earlier rules whose conditions this line leaves open.
struct ReviewOutcome {
  std::vector<std::pair<rules::ReviewPolicy, std::string>> candidates;  // policy, citation
  std::vector<std::string> open;                                        // why more than one is possible
};

ReviewOutcome review_by_rules(Step& x, const std::string& id, bool generic_ok, const std::string& destination) {
  ReviewOutcome out;
  for (const auto& rr : x.lic.review) {
    const auto& fr = rr.for_requirements;
    if (fr.empty() ? !generic_ok : std::find(fr.begin(), fr.end(), id) == fr.end()) continue;
    std::string why;
    const auto m = match_review_rule(x, rr, destination, why);
    if (m == classify::Tri::kFalse) continue;
    if (!rr.enforced) {
      if (m == classify::Tri::kTrue)
        x.d.trace.push_back(
            {TestedProvision::Kind::kReviewNotEnforced, false, &rr,
             "for " + id + ": in the text, not enforced; it would give " + rules::review_policy_code(rr.policy)});
      continue;
    }
    if (m == classify::Tri::kUnknown) {
      x.d.trace.push_back({TestedProvision::Kind::kReview, false, &rr, "for " + id + ": undetermined: " + why});
      out.candidates.emplace_back(rr.policy, rr.citation);
      out.open.push_back(std::string(rules::review_policy_code(rr.policy)) + " under " + rr.id + " [" + rr.citation +
                         "] if it applies: " + why);
      continue;
    }
    x.d.trace.push_back({TestedProvision::Kind::kReview, true, &rr,
                         "for " + id + ": first matching review rule (order " + std::to_string(rr.order) + ")" +
                             (why.empty() ? "" : "; " + why)});
    if (!rr.assumption.empty()) x.d.trace.push_back({TestedProvision::Kind::kAssumption, true, &rr, rr.assumption});
    out.candidates.emplace_back(rr.policy, rr.citation);
    return out;
  }
  return out;
}

// 5. Review policy: each reason's policy (from the review rules or the provision itself); the most
// restrictive applies. Undetermined when an open condition could change the result.
void decide_review(Step& x, const std::vector<const rules::EndUseControl*>& any_licence) {
  using rules::review_policy_severity;
  auto& d = x.d;
  std::vector<ReviewOutcome> outcomes;
  std::vector<std::string> unreviewed;  // requirements no review rule covers: the policy stays open
  auto fixed = [](rules::ReviewPolicy p, const std::string& citation) {
    ReviewOutcome o;
    o.candidates.emplace_back(p, citation);
    return o;
  };
  for (const auto& r : d.reasons) {
    switch (r.kind) {
      case Reason::Kind::kRequirement: {
        auto o = review_by_rules(x, r.requirement->id, true, x.line.ship_to);
        if (o.candidates.empty()) {
          // No policy is assumed: the rule data must give one (a review rule for the requirement).
          const std::string why = "no review rule of the rules applied covers " + r.requirement->id + " [" +
                                  r.requirement->citation + "] here: its review policy is not in the rule data";
          d.trace.push_back({TestedProvision::Kind::kReview, false, nullptr, "for " + r.requirement->id + ": " + why});
          unreviewed.push_back(why);
        }
        outcomes.push_back(std::move(o));
        break;
      }
      case Reason::Kind::kEndUse: {
        const std::string& where = x.line.end_user_country.empty() ? x.line.ship_to : x.line.end_user_country;
        const std::string& at = x.lic.matches(r.end_use->destinations, where) ? where : x.line.ship_to;
        outcomes.push_back(r.end_use->policy ? fixed(*r.end_use->policy, r.end_use->citation)
                                             : review_by_rules(x, r.end_use->code, false, at));
        break;
      }
      case Reason::Kind::kEmbargo: {
        if (r.embargo->policy) {
          outcomes.push_back(fixed(*r.embargo->policy, r.embargo->policy_citation));
          break;
        }
        // No policy for every item: review rules written for this embargo (by item) may give one.
        auto o = review_by_rules(x, r.embargo->id, false, x.line.ship_to);
        if (o.candidates.empty())
          d.trace.push_back(
              {TestedProvision::Kind::kReview, false, nullptr, "for " + r.embargo->id + ": " + r.embargo->policy_note});
        else
          outcomes.push_back(std::move(o));
        break;
      }
      case Reason::Kind::kLetter:
        outcomes.push_back(fixed(r.letter->policy, r.letter->policy_source));
        break;
      default:  // the Entity List entry states its own policy (not in the list files); open reasons have none
        break;
    }
  }
  for (const auto* eu : any_licence) outcomes.push_back(fixed(*eu->policy, eu->citation));
  if (!unreviewed.empty()) {
    // A policy of denial elsewhere still decides (nothing is stricter); otherwise the policy is open.
    const bool denial = std::any_of(outcomes.begin(), outcomes.end(), [](const ReviewOutcome& o) {
      return !o.candidates.empty() && std::all_of(o.candidates.begin(), o.candidates.end(), [](const auto& c) {
        return c.first == ReviewPolicy::kPolicyOfDenial;
      });
    });
    if (!denial) {
      d.review_open = std::move(unreviewed);
      return;
    }
  }
  if (outcomes.empty()) return;
  // lo: the policy if every open condition goes the lenient way; hi: if every one goes the strict way.
  int lo = -1, hi = -1;
  const std::pair<ReviewPolicy, std::string>* strictest = nullptr;
  for (const auto& o : outcomes) {
    if (o.candidates.empty()) continue;
    int omin = 99, omax = -1;
    for (const auto& c : o.candidates) {
      omin = std::min(omin, review_policy_severity(c.first));
      omax = std::max(omax, review_policy_severity(c.first));
      if (!strictest || review_policy_severity(c.first) > review_policy_severity(strictest->first)) strictest = &c;
    }
    lo = std::max(lo, omin);
    hi = std::max(hi, omax);
  }
  if (!strictest) return;
  if (lo == hi) {
    d.review_policy = strictest->first;
    d.review_citation = strictest->second;
    return;
  }
  for (const auto& o : outcomes)
    if (o.candidates.size() > 1) d.review_open.insert(d.review_open.end(), o.open.begin(), o.open.end());
}

// Why exception `ex` may not be used on this line, or "" (740.8(b), 744.16(b), 744.21(c), 744.23(c),
// Part 746): the first of the decision's reasons that bars it, as its rule data says.
std::string exception_bar(const Step& x, const rules::LicenseException& ex) {
  for (const auto& r : x.d.reasons)
    if (auto why = exception_barred_by(r, ex); !why.empty()) return why;
  return "";
}

// The days of prior notice exception `ex` needs on this line (740.8(a)(2): only where it says).
int notice_days(const Step& x, const rules::LicenseException& ex) {
  if (!ex.notification_days) return 0;
  if (ex.notify_destinations.empty() && ex.notify_headquarters.empty()) return ex.notification_days;
  const std::string& hq = x.line.end_user_hq_country;
  const bool due = (!ex.notify_destinations.empty() && x.lic.matches(ex.notify_destinations, x.line.ship_to)) ||
                   (!ex.notify_headquarters.empty() && !hq.empty() && x.lic.matches(ex.notify_headquarters, hq));
  return due ? ex.notification_days : 0;
}

// 6. Licence exceptions that could authorise the export instead (the user must still meet them).
void offer_exceptions(Step& x) {
  auto& d = x.d;
  const auto& lic = x.lic;
  const std::string& hq = x.line.end_user_hq_country;
  const auto& c = d.classification;
  auto has = [&](Reason::Kind k) {
    return std::any_of(d.reasons.begin(), d.reasons.end(), [&](const Reason& r) { return r.kind == k; });
  };
  for (const auto& ex : lic.exceptions) {
    if (!ex.enforced || !selects(ex.items, d.item_tokens)) continue;
    if (const auto bar = exception_bar(x, ex); !bar.empty()) {
      d.trace.push_back({TestedProvision::Kind::kExceptionBlocked, false, &ex, bar});
      continue;
    }
    if (has(Reason::Kind::kLetter) && !has(Reason::Kind::kRequirement))
      continue;  // a letter's requirement is not one a CCL exception addresses
    std::string note;
    if (!ex.excludes_datacenter.entries.empty() && selects(ex.excludes_datacenter, d.item_tokens)) {
      const auto dc = datacenter_of(x.item);
      if (dc == classify::Tri::kTrue) {
        d.trace.push_back({TestedProvision::Kind::kException, false, &ex, "datacenter item meeting 3A090.a: excluded"});
        continue;
      }
      if (dc == classify::Tri::kUnknown)
        note = "only if the item is not designed or marketed for use in datacenters (unknown)";
    }
    const bool by_dest = !ex.destinations.empty() && lic.matches(ex.destinations, x.line.ship_to);
    const bool by_hq = !hq.empty() && !ex.headquarters.empty() && lic.matches(ex.headquarters, hq);
    const bool hq_excluded = !hq.empty() && !ex.not_headquarters.empty() && lic.matches(ex.not_headquarters, hq);
    const auto metrics_ok = all_hold(ex.all, c.metrics);
    const bool ok = (by_dest || by_hq) && !hq_excluded && metrics_ok == classify::Tri::kTrue;
    const int notice = ok ? notice_days(x, ex) : 0;
    d.trace.push_back(
        {TestedProvision::Kind::kException, ok, &ex,
         !(by_dest || by_hq) ? "destination/headquarters not covered"
         : hq_excluded       ? "not for end users headquartered in " + hq
         : metrics_ok != classify::Tri::kTrue
             ? (metrics_ok == classify::Tri::kFalse ? "item parameter condition fails" : "item parameter unknown")
         : notice ? "available; " + std::to_string(notice) + " days' prior notice to BIS due for this line"
                  : std::string(ex.notification_days ? "available; no prior notice due for this line" : "available")});
    if (ok) {
      d.exceptions.push_back(&ex);
      d.exception_notes.push_back(note);
      d.exception_notice_days.push_back(notice);
    }
  }
}

}  // namespace

// The steps are numbered as the regulation is applied: classification requirements, letters, end
// uses, embargoes, parties, then review and exceptions over all of them. Longer than 80 lines
// because the letter and party steps are kept inline where other work on them is merged.
Decision decide(const OrderLine& line, const classify::Item& item, classify::Classification classification,
                const rules::RuleSetPtr& rules, const DecideContext& ctx) {
  Decision d;
  d.date = classification.date;
  d.rules = rules;
  d.classification = std::move(classification);
  const auto& c = d.classification;
  d.item_tokens = item_tokens(c);
  // Before the first version took effect there are no advanced-computing provisions, but letters and
  // the standing provisions (the Entity List, Registry::standing()) still apply.
  static const rules::LicenseRules kNoRules;
  const auto& lic = rules ? rules->license : ctx.standing ? *ctx.standing : kNoRules;
  const std::string& hq = line.end_user_hq_country;
  bool open = false;  // a requirement that applies if the item falls under a candidate entry
  Step x{line, item, lic, d, known_eccns(item, c)};

  // 1. Requirements that attach to the item's classification.
  apply_requirements(x, open);

  // 2. Company-specific is-informed letters.
  if (ctx.letters && !ctx.letters->empty()) {
    if (!lic.apply_is_informed_letters) {
      d.trace.push_back(
          {TestedProvision::Kind::kLettersSuspended, false, nullptr, "the rule set suspends company-specific letters"});
    } else {
      const std::string exporter = upper(line.exporter.empty() ? item.vendor : line.exporter);
      for (const auto& letter : *ctx.letters) {
        if (upper(letter.recipient) != exporter || d.date < letter.informed ||
            (letter.until && !(d.date < *letter.until)))
          continue;
        bool named = std::find(letter.products.begin(), letter.products.end(), item.id) != letter.products.end();
        bool triggered = false;
        for (const auto& cond : letter.any)
          if (all_hold({cond}, c.metrics) == classify::Tri::kTrue) triggered = true;
        const bool by_dest = !letter.destinations.empty() && lic.matches(letter.destinations, line.ship_to);
        const bool by_hq =
            !by_dest && !hq.empty() && !letter.headquarters.empty() && lic.matches(letter.headquarters, hq);
        const bool applies = (named || triggered) && (by_dest || by_hq);
        d.trace.push_back({TestedProvision::Kind::kLetter, applies, &letter,
                           std::string(named       ? "product named"
                                       : triggered ? "parameter trigger met"
                                                   : "product not covered") +
                               (by_dest ? "; destination covered"
                                : by_hq ? "; headquarters covered"
                                        : "; destination not covered")});
        if (applies) d.reasons.push_back({Reason::Kind::kLetter, nullptr, &letter, nullptr, 0, by_hq});
      }
    }
  }

  // 3. Declared end uses (744.23, 744.21) and embargoes (Part 746), each over its own item scope.
  auto any_licence_policies = apply_end_uses(x);
  apply_embargoes(x);

  // 4. Parties: consignee and end user against the lists and, through the ownership data, the
  // Affiliates rule (party_screening.cpp).
  PartyOutcome parties = screen_parties(line, lic, ctx, d);
  apply_listed_end_uses(x, any_licence_policies, parties);
  open = open || parties.open;
  if (!rules && !ctx.standing && ctx.screener) {
    // Neither a version nor the standing provisions: whether a listed party needs a licence is unknown.
    open = true;
    parties.missing.push_back("the provisions in force on this date (no rule version; standing provisions not given)");
  }

  const bool definite = std::any_of(d.reasons.begin(), d.reasons.end(), [](const Reason& r) { return !r.open(); });
  if (definite)
    d.license_required = true;
  else if (open || x.scope_open)
    d.license_required = std::nullopt;
  else
    d.license_required = false;
  if (!d.license_required.has_value()) {
    d.missing = c.missing;
    if (x.scope_open && x.eccns.may_be_unknown &&
        std::find(d.missing.begin(), d.missing.end(), "base_eccn") == d.missing.end())
      d.missing.emplace_back("base_eccn");
    d.missing.insert(d.missing.end(), parties.missing.begin(), parties.missing.end());
  }
  if (d.license_required != true) return d;

  // 5. Review policy: the most restrictive of the policies that apply to the reasons.
  decide_review(x, any_licence_policies);

  // 6. Licence exceptions that could authorise the export instead (the user must still meet them).
  offer_exceptions(x);
  condition_exceptions_on_screening(d);
  return d;
}

}  // namespace chipgate::license

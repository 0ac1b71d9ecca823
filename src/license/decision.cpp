#include "license/decision.h"

#include <algorithm>
#include <cctype>

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

// Metric conditions on the item: true / false / unknown.
classify::Tri all_hold(const std::vector<rules::Condition>& conds, const classify::Metrics& m) {
  classify::Tri r = classify::Tri::kTrue;
  for (const auto& c : conds) {
    const auto v = m.get(c.name);
    if (!v) {
      r = classify::Tri::kUnknown;
      continue;
    }
    bool ok = false;
    switch (c.op) {
      case rules::Op::kGreaterEqual:
        ok = *v >= c.value;
        break;
      case rules::Op::kGreater:
        ok = *v > c.value;
        break;
      case rules::Op::kLessEqual:
        ok = *v <= c.value;
        break;
      case rules::Op::kLess:
        ok = *v < c.value;
        break;
    }
    if (!ok) return classify::Tri::kFalse;
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

}  // namespace

std::string Reason::text() const {
  switch (kind) {
    case Kind::kRequirement:
      return requirement->text + (by_headquarters ? " (end user headquartered there)" : "") + " [" +
             requirement->citation + "]";
    case Kind::kLetter:
      return "Company-specific licence requirement (is-informed letter '" + letter->id + "' to " + letter->recipient +
             "): " + letter->text + " [" + letter->citation + "]";
    case Kind::kEndUse:
      return "Declared end use '" + end_use->code + "': " + end_use->text + " [" + end_use->citation + "]";
    case Kind::kEntityList:
      return party_list->text + " [" + party_list->citation + "]";
    case Kind::kUndeterminedItem:
      return "The item's classification is undetermined; a licence is required if it falls under " + requirement->id +
             " [" + requirement->citation + "]";
    case Kind::kAffiliate:
      return "Affiliates rule: " + detail +
             "; the listed owner's Entity List licence requirement applies as if the party were listed (see "
             "affiliates) [" +
             affiliates->citation + "; " + party_list->citation + "]";
    case Kind::kAffiliateUndetermined:
      return "Affiliates rule: " + detail + "; a licence is required if the listed owners' share reaches " +
             format_number(affiliates->threshold_percent) + "% (Red Flag 29: resolve the share first) [" +
             affiliates->citation + "]";
    case Kind::kNotScreened:
      return "Parties not screened: no restricted-party list was given (" + detail +
             "); a licence is required if one of them is on the Entity List [" + party_list->citation + "]";
  }
  return "";
}

bool Reason::open() const {
  return kind == Kind::kUndeterminedItem || kind == Kind::kAffiliateUndetermined || kind == Kind::kNotScreened;
}

bool bars_exceptions(const Reason& r) {
  return r.kind == Reason::Kind::kEndUse || r.kind == Reason::Kind::kEntityList || r.kind == Reason::Kind::kAffiliate;
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
        std::string list;
        for (const auto& e : rs->license.end_uses) list += (list.empty() ? "" : ", ") + e.code;
        return Status::error("end_uses: unknown end-use code '" + code + "' (known: " + list + ")");
      }
    }
  }
  return Status::ok();
}

Decision decide(const OrderLine& line, const classify::Item& item, classify::Classification classification,
                const rules::RuleSetPtr& rules, const DecideContext& ctx) {
  Decision d;
  d.date = classification.date;
  d.rules = rules;
  d.classification = std::move(classification);
  const auto& c = d.classification;
  d.item_tokens = item_tokens(c);
  // Before the first version took effect there are no advanced-computing provisions, but letters and
  // the Entity List still apply: evaluate them against empty licence rules.
  static const rules::LicenseRules kNoRules;
  const auto& lic = rules ? rules->license : kNoRules;
  const bool undetermined = c.status == classify::Status::kUndetermined;
  const std::string& hq = line.end_user_hq_country;
  bool barred = false;  // Entity List or end-use requirement: no licence exception may be used
  bool open = false;    // a requirement that applies if the item falls under a candidate entry

  // 1. Requirements that attach to the item's classification.
  for (const auto& req : lic.requirements) {
    if (!selects(req.items, d.item_tokens)) continue;
    const bool by_dest = !req.destinations.empty() && lic.matches(req.destinations, line.ship_to);
    const bool by_hq = !by_dest && !hq.empty() && !req.headquarters.empty() && lic.matches(req.headquarters, hq);
    if (!req.enforced) {
      if (by_dest || by_hq)
        d.trace.push_back({TestedProvision::Kind::kNotEnforced, false, &req, "in the text, not enforced"});
      continue;
    }
    std::string why =
        by_dest ? "ship-to " + line.ship_to + " is in " + req.destinations.describe()
        : by_hq ? "end user headquartered in " + hq + " (" + req.headquarters.describe() + ")"
                : "ship-to " + line.ship_to + " not in " + req.destinations.describe() +
                      (req.headquarters.empty() ? ""
                                                : "; headquarters " + (hq.empty() ? std::string("not given") : hq) +
                                                      " not in " + req.headquarters.describe());
    d.trace.push_back({TestedProvision::Kind::kRequirement, by_dest || by_hq, &req, why});
    if (!(by_dest || by_hq)) continue;
    if (undetermined) {
      open = true;
      d.reasons.push_back({Reason::Kind::kUndeterminedItem, &req, nullptr, nullptr, 0, by_hq});
    } else {
      d.reasons.push_back({Reason::Kind::kRequirement, &req, nullptr, nullptr, 0, by_hq});
    }
  }

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

  // 3. Declared end uses (744.23): any item subject to the EAR; no licence exceptions.
  for (const auto& code : line.end_uses) {
    for (const auto& eu : lic.end_uses) {
      if (eu.code != code) continue;
      const std::string& where = line.end_user_country.empty() ? line.ship_to : line.end_user_country;
      const bool applies = lic.matches(eu.destinations, line.ship_to) || lic.matches(eu.destinations, where);
      d.trace.push_back({TestedProvision::Kind::kEndUse, applies, &eu,
                         applies ? "end use located in " + where
                                 : "end use location " + where + " not in " + eu.destinations.describe()});
      if (applies) {
        d.reasons.push_back({Reason::Kind::kEndUse, nullptr, nullptr, &eu, 0, false});
        barred = true;
      }
    }
  }

  // 4. Parties: consignee and end user against the lists and, through the ownership data, the
  // Affiliates rule (party_screening.cpp).
  const PartyOutcome parties = screen_parties(line, lic, rules != nullptr, ctx, d);
  barred = barred || parties.barred;
  open = open || parties.open;

  const bool definite = std::any_of(d.reasons.begin(), d.reasons.end(), [](const Reason& r) { return !r.open(); });
  if (definite)
    d.license_required = true;
  else if (open)
    d.license_required = std::nullopt;
  else
    d.license_required = false;
  if (!d.license_required.has_value()) {
    d.missing = c.missing;
    d.missing.insert(d.missing.end(), parties.missing.begin(), parties.missing.end());
  }
  if (d.license_required != true) return d;

  // 5. Review policy: the most restrictive of the policies that apply to the reasons.
  auto consider = [&](ReviewPolicy p, const std::string& citation) {
    if (!d.review_policy || rules::review_policy_severity(p) > rules::review_policy_severity(*d.review_policy)) {
      d.review_policy = p;
      d.review_citation = citation;
    }
  };
  const bool classification_reason = std::any_of(d.reasons.begin(), d.reasons.end(),
                                                 [](const Reason& r) { return r.kind == Reason::Kind::kRequirement; });
  if (classification_reason) {
    const rules::ReviewRule* chosen = nullptr;
    for (const auto& rr : lic.review) {
      if (!selects(rr.items, d.item_tokens)) continue;
      if (!rr.destinations.empty() && !lic.matches(rr.destinations, line.ship_to)) continue;
      if (!rr.headquarters.empty() && (hq.empty() || !lic.matches(rr.headquarters, hq))) continue;
      if (!rr.export_from.empty() && (line.export_from.empty() || !lic.matches(rr.export_from, line.export_from)))
        continue;
      if (all_hold(rr.all, c.metrics) != classify::Tri::kTrue) continue;
      chosen = &rr;
      break;
    }
    if (chosen) {
      d.trace.push_back({TestedProvision::Kind::kReview, true, chosen,
                         "first matching review rule (order " + std::to_string(chosen->order) + ")"});
      consider(chosen->policy, chosen->citation);
    } else {
      d.trace.push_back(
          {TestedProvision::Kind::kReview, false, nullptr, "no review rule matches: case-by-case by default"});
      consider(ReviewPolicy::kCaseByCase, "15 CFR 742.6(b)(10) (no specific rule matched)");
    }
  }
  for (const auto& r : d.reasons) {
    if (r.kind == Reason::Kind::kEndUse) consider(r.end_use->policy, r.end_use->citation);
    if (r.kind == Reason::Kind::kLetter) consider(r.letter->policy, r.letter->policy_source);
  }
  // An Entity List entry states its own review policy; the list files here do not carry it, so it is
  // not guessed: the trace points to the entry.

  // 6. Licence exceptions that could authorise the export instead (the user must still meet them).
  for (const auto& ex : lic.exceptions) {
    if (!ex.enforced || !selects(ex.items, d.item_tokens)) continue;
    if (barred) {
      d.trace.push_back({TestedProvision::Kind::kExceptionBlocked, false, &ex,
                         "barred by an Entity List or end-use requirement (740.8(b), 744.23(c))"});
      continue;
    }
    if (std::any_of(d.reasons.begin(), d.reasons.end(),
                    [](const Reason& r) { return r.kind == Reason::Kind::kLetter; }) &&
        !std::any_of(d.reasons.begin(), d.reasons.end(),
                     [](const Reason& r) { return r.kind == Reason::Kind::kRequirement; }))
      continue;  // a letter's requirement is not one a CCL exception addresses
    const bool level_a = std::find(d.item_tokens.begin(), d.item_tokens.end(), "3A090.a") != d.item_tokens.end() ||
                         std::find(d.item_tokens.begin(), d.item_tokens.end(), "4A090.a") != d.item_tokens.end() ||
                         std::find(d.item_tokens.begin(), d.item_tokens.end(), "z:a") != d.item_tokens.end();
    const classify::Item& ic = item.contained_ic ? *item.contained_ic : item;
    std::string note;
    if (ex.excludes_datacenter_level_a && level_a) {
      if (ic.datacenter == classify::Tri::kTrue) {
        d.trace.push_back({TestedProvision::Kind::kException, false, &ex, "datacenter item meeting 3A090.a: excluded"});
        continue;
      }
      if (ic.datacenter == classify::Tri::kUnknown)
        note = "only if the item is not designed or marketed for use in datacenters (unknown)";
    }
    const bool by_dest = !ex.destinations.empty() && lic.matches(ex.destinations, line.ship_to);
    const bool by_hq = !hq.empty() && !ex.headquarters.empty() && lic.matches(ex.headquarters, hq);
    const bool hq_excluded = !hq.empty() && !ex.not_headquarters.empty() && lic.matches(ex.not_headquarters, hq);
    const auto metrics_ok = all_hold(ex.all, c.metrics);
    const bool ok = (by_dest || by_hq) && !hq_excluded && metrics_ok == classify::Tri::kTrue;
    d.trace.push_back(
        {TestedProvision::Kind::kException, ok, &ex,
         !(by_dest || by_hq) ? "destination/headquarters not covered"
         : hq_excluded       ? "not for end users headquartered in " + hq
         : metrics_ok != classify::Tri::kTrue
             ? (metrics_ok == classify::Tri::kFalse ? "item parameter condition fails" : "item parameter unknown")
             : "available"});
    if (ok) {
      d.exceptions.push_back(&ex);
      d.exception_notes.push_back(note);
    }
  }
  condition_exceptions_on_screening(d);
  return d;
}

}  // namespace chipgate::license

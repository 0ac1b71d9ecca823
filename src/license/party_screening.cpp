#include "license/party_screening.h"

#include <algorithm>
#include <array>

#include "core/json_util.h"

namespace chipgate::license::detail {

namespace {

struct PartyRules {
  const rules::LicenseRules& lic;
  // The provision of a list whose entries require a licence, or null (other lists: reported only).
  const rules::PartyListRule* of(const std::string& list) const { return lic.party_list(list); }
  // The provision a line whose parties were not screened could fall under (null: the rules name none).
  const rules::PartyListRule* unscreened() const {
    return lic.party_lists.empty() ? nullptr : &lic.party_lists.front();
  }
};

std::string percent(std::optional<double> p) { return p ? format_fixed(*p, 2) + "%" : "an unknown share"; }

// "Listed Co -[60%]-> B Corp -[100%]-> C Ltd (look-through 60%)"
std::string describe(const OwnershipPath& p) {
  std::string out = p.names.front();
  for (std::size_t i = 0; i < p.percents.size(); ++i) out += " -[" + percent(p.percents[i]) + "]-> " + p.names[i + 1];
  if (p.look_through) out += " (look-through " + format_fixed(*p.look_through, 2) + "%)";
  return out;
}

std::string describe(const AffiliateFinding& f, const std::string& role, const rules::AffiliatesRule& rule) {
  std::string owners;
  for (const auto& h : f.listed_owners) owners += (owners.empty() ? "" : ", ") + h.name + " (" + h.list + ")";
  std::string out = std::string(role == "consignee" ? "the consignee '" : "the end user '") + f.party + "'";
  if (f.status == AffiliateFinding::Status::kCovered)
    out += " is " + format_fixed(f.restricted_share, 2) + "% owned by listed parties or entities they own " +
           format_number(rule.threshold_percent) + "% or more of, listed owner(s) " + owners;
  else
    out += " has listed owner(s) " + owners + " whose share is unknown: " + format_fixed(f.restricted_share, 2) +
           "% known, up to " + format_fixed(f.possible_share, 2) + "%";
  if (!f.paths.empty()) out += "; " + describe(f.paths.front());
  if (f.paths.size() > 1) out += " and " + std::to_string(f.paths.size() - 1) + " more path(s)";
  return out;
}

// The Affiliates rule for one party; `listed`: the party itself matched a list entry that requires a
// licence (that hit already answers for it).
void apply_affiliates(const std::string& role, const std::string& name, bool listed, const PartyRules& party_rules,
                      const rules::AffiliatesRule& rule, const AffiliateResolver& resolver, Decision& d,
                      PartyOutcome& out) {
  auto f = resolver.find(name, rule.lists, rule.threshold_percent);
  if (!f) return;
  // The most restrictive owner decides; here a licence requirement comes only from owners on a list
  // whose entries carry one (the Entity List). Owners on the MEU List bring in 744.21(b) through the
  // finding recorded below, as a direct MEU hit does (decision.cpp, apply_listed_end_uses).
  const rules::PartyListRule* requirement = nullptr;
  for (const auto& h : f->listed_owners)
    if ((requirement = party_rules.of(h.list))) break;
  d.affiliates.push_back(std::move(*f));
  d.affiliate_roles.push_back(role);
  const AffiliateFinding& found = d.affiliates.back();
  if (!requirement || listed) return;
  const bool covered = found.status == AffiliateFinding::Status::kCovered;
  d.reasons.push_back(Reason{.kind = covered ? Reason::Kind::kAffiliate : Reason::Kind::kAffiliateUndetermined,
                             .party = d.affiliates.size() - 1,
                             .party_list = requirement,
                             .affiliates = &rule,
                             .detail = describe(found, role, rule)});
  if (covered) {
    out.barred = true;
  } else {
    out.open = true;
    out.missing.push_back("ownership share of '" + found.party + "' held by listed owners");
  }
}

}  // namespace

PartyOutcome screen_parties(const OrderLine& line, const rules::LicenseRules& lic, const DecideContext& ctx,
                            Decision& d) {
  PartyOutcome out;
  const PartyRules party_rules{lic};
  if (ctx.affiliates) d.ownership_id = ctx.affiliates->graph().content_id();
  const rules::AffiliatesRule* affiliates = lic.affiliates ? &*lic.affiliates : nullptr;
  const bool apply_affiliates_rule = affiliates && affiliates->in_force && ctx.affiliates && ctx.screener;
  if (affiliates) {
    const std::string why = !affiliates->in_force ? "not in force on this date"
                            : !ctx.screener       ? "in force; parties not screened"
                            : ctx.affiliates      ? "in force; ownership data " + ctx.affiliates->graph().content_id()
                                                  : "in force; no ownership data given: parties checked by name only";
    d.trace.push_back({TestedProvision::Kind::kAffiliates, apply_affiliates_rule, affiliates, why});
  }
  struct Party {
    std::string role, label;
    const std::string& name;
    const std::string& country;  // a qualifier for the screener
  };
  const std::array<Party, 2> named_parties = {Party{"consignee", "consignee", line.consignee, line.ship_to},
                                              Party{"end_user", "end user", line.end_user, line.end_user_country}};
  std::string names;  // "consignee 'X', end user 'Y'"
  for (const Party& p : named_parties) {
    const std::string& role = p.role;
    const std::string& name = p.name;
    if (name.empty()) continue;
    names += (names.empty() ? "" : ", ") + p.label + " '" + name + "'";
    if (!ctx.screener) continue;
    bool listed = false;
    for (auto& hit : ctx.screener->screen(name, p.country)) {
      const rules::PartyListRule* requirement = party_rules.of(hit.list);
      d.parties.push_back(std::move(hit));
      d.party_roles.push_back(role);
      if (!requirement) continue;
      d.reasons.push_back(
          Reason{.kind = Reason::Kind::kEntityList, .party = d.parties.size() - 1, .party_list = requirement});
      out.barred = true;
      listed = true;
    }
    if (apply_affiliates_rule) apply_affiliates(role, name, listed, party_rules, *affiliates, *ctx.affiliates, d, out);
  }

  const bool named = !line.consignee.empty() || !line.end_user.empty();
  d.screening = !named         ? Decision::Screening::kNothingToScreen
                : ctx.screener ? Decision::Screening::kScreened
                               : Decision::Screening::kNotScreened;
  const rules::PartyListRule* el = party_rules.unscreened();
  switch (d.screening) {
    case Decision::Screening::kScreened:
      d.trace.push_back({TestedProvision::Kind::kParties, true, el,
                         names + " screened against list snapshot " + ctx.screener->snapshot_id()});
      break;
    case Decision::Screening::kNothingToScreen:
      d.trace.push_back({TestedProvision::Kind::kParties, false, el,
                         "the line names no consignee or end user: no party was screened, and the answer covers "
                         "none"});
      break;
    case Decision::Screening::kNotScreened:
      d.trace.push_back({TestedProvision::Kind::kParties, false, el,
                         "no restricted-party list was given (--lists): " + names + " not screened"});
      d.reasons.push_back(Reason{.kind = Reason::Kind::kNotScreened, .party_list = el, .detail = names});
      out.open = true;
      out.missing.push_back("restricted-party screening of " + names + " (--lists)");
      break;
  }
  return out;
}

void condition_exceptions_on_screening(Decision& d) {
  std::vector<std::string> conditions;
  if (d.screening == Decision::Screening::kNotScreened)
    conditions.push_back(
        "only if no party to the transaction is on the Entity List or owned by listed parties (the parties were not "
        "screened)");
  for (const auto& r : d.reasons)
    if (r.kind == Reason::Kind::kAffiliateUndetermined)
      conditions.push_back("only if '" + d.affiliates[r.party].party +
                           "' is not owned 50% or more by listed parties (its listed owners' share is unknown)");
  for (auto& note : d.exception_notes)
    for (const auto& c : conditions) note += (note.empty() ? "" : "; ") + c;
}

}  // namespace chipgate::license::detail

// Licence determination for one shipment line: is a licence required for this classified item, to
// this destination, for these parties and end uses, on this date (or under a scenario)? Which
// review policy applies, which licence exception could authorise it instead?
//
// All regulatory content comes from the rule set (license.* tables) and the user's letters; this
// file only combines them. The trace records every provision tested.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "classify/classifier.h"
#include "core/result.h"
#include "license/ownership.h"
#include "license/screening.h"
#include "license/shipment.h"
#include "rules/rule_set.h"

namespace chipgate::license {

struct Reason {
  enum class Kind {
    kRequirement,
    kLetter,
    kEndUse,
    kEntityList,
    kUndeterminedItem,
    kEmbargo,
    kUndeterminedScope,      // an end use or embargo whose item scope cannot be decided (ECCN unknown)
    kAffiliate,              // a party owned by listed parties under the Affiliates rule
    kAffiliateUndetermined,  // a listed owner's share of a party is unknown (Red Flag 29): open
    kNotScreened,            // parties named but no restricted-party list given: open
  };
  Kind kind;
  const rules::LicenseRequirement* requirement = nullptr;
  const rules::Letter* letter = nullptr;
  const rules::EndUseControl* end_use = nullptr;
  std::size_t party = 0;                    // index into Decision::parties (kEntityList) or Decision::affiliates
  bool by_headquarters = false;             // matched through the end user's headquarters, not the destination
  const rules::Embargo* embargo = nullptr;  // kEmbargo, or kUndeterminedScope of an embargo
  const rules::PartyListRule* party_list = nullptr;   // kEntityList, kAffiliate, kNotScreened
  const rules::AffiliatesRule* affiliates = nullptr;  // kAffiliate, kAffiliateUndetermined
  // kAffiliate / kAffiliateUndetermined / kNotScreened: the parties and shares; kEndUse and
  // kUndeterminedScope of an end use applied for a listed party: that party ("end user 'X' (bis-meu)").
  std::string detail{};
  std::string text() const;  // one readable sentence with the citation
  // True when the reason leaves the answer open rather than requiring a licence.
  bool open() const;
};

struct TestedProvision {
  enum class Kind {
    kRequirement,
    kNotEnforced,
    kLetter,
    kLettersSuspended,
    kEndUse,
    kReview,
    kException,
    kExceptionBlocked,
    kEmbargo,
    kReviewNotEnforced,  // a review rule in the text, not enforced: what it would give (shown, never applied)
    kAssumption,         // what a provision applied here assumes (provision: the rules::ReviewRule)
    kParties,            // how the parties were screened (provision: the Entity List rule, may be null)
    kAffiliates,         // the Affiliates rule on this date (provision: rules::AffiliatesRule)
  };
  Kind kind;
  bool applies = false;
  const void* provision = nullptr;  // the rules::* object the kind names
  std::string why;                  // short explanation (destination/groups matched, condition failed)
};

struct Decision {
  Date date;
  rules::RuleSetPtr rules;  // null when no version was in force
  classify::Classification classification;
  std::vector<std::string> item_tokens;  // entries / "z:a" the item is (or may be) classified in
  std::optional<bool> license_required;  // nullopt = undetermined
  std::vector<Reason> reasons;
  std::optional<rules::ReviewPolicy> review_policy;  // nullopt: no licence, or the policy is undetermined
  std::string review_citation;
  std::vector<std::string> review_open;  // why the review policy is undetermined (empty when it is known)
  std::vector<const rules::LicenseException*> exceptions;
  std::vector<std::string> exception_notes;  // per exception: extra conditions for this line
  std::vector<int> exception_notice_days;    // per exception: days of prior notice due for this line (0 = none)
  std::vector<PartyHit> parties;             // hits, with role in explanation
  std::vector<std::string> party_roles;      // "consignee" / "end_user", parallel to parties
  std::vector<std::string> missing;
  std::vector<TestedProvision> trace;
  // Whether the line's consignee and end user were screened: kNothingToScreen when it names none
  // (the answer then covers no party), kNotScreened when no list was given (never "no licence").
  enum class Screening { kScreened, kNotScreened, kNothingToScreen };
  Screening screening = Screening::kNothingToScreen;
  std::vector<AffiliateFinding> affiliates;  // parties reached by the Affiliates rule
  std::vector<std::string> affiliate_roles;  // "consignee" / "end_user", parallel to affiliates
  std::string ownership_id;                  // the ownership data given (OwnershipGraph::content_id), or ""
};
const char* screening_name(Decision::Screening s);  // "screened", "not_screened", "nothing_to_screen"

// Why reason `r` bars licence exception `ex` on its line, or "" when it does not: an Entity List
// party or its affiliate (744.16(b), 740.8(b)), a requirement, end use (744.21(c), 744.23(c)) or embargo
// (Part 746) whose rule data does not list `ex` among the exceptions that survive it. decide() offers
// no exception that a reason of the same decision bars.
std::string exception_barred_by(const Reason& r, const rules::LicenseException& ex);

struct DecideContext {
  const PartyScreener* screener = nullptr;  // null: named parties are "not screened" (reason, trace)
  const std::vector<rules::Letter>* letters = nullptr;
  // Ownership data resolved against `screener`'s lists, for the Affiliates rule; null = none given.
  const AffiliateResolver* affiliates{};
  // The provisions in force before the first version (Registry::standing()), used when `rules` is
  // null. Without them a screened line on such a date is undetermined, never "no licence".
  const rules::LicenseRules* standing{};
};

// Checks the line's fields that change the answer: countries must be ISO 3166-1 codes of
// `countries`, end-use codes must exist in the rule set. Returns "field: problem" on error.
Status validate_line(const OrderLine& line, const std::map<std::string, std::string>& countries,
                     const rules::RuleSet* rules);

// The item must be the catalog item of `line.product_id`; `classification` its classification
// under `rules` on the line's date.
Decision decide(const OrderLine& line, const classify::Item& item, classify::Classification classification,
                const rules::RuleSetPtr& rules, const DecideContext& ctx);

}  // namespace chipgate::license

// The rule-set model: one regulation version (or a scenario over it), resolved and immutable.
//
// Everything regulatory lives in rules/us-ear/*.toml; this header is only the shape those files are
// compiled into. No threshold appears in C++: a control entry is a list of prongs, a prong is a
// conjunction of conditions over named metrics and flags, and the numbers come from the data.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/date.h"

namespace chipgate::rules {

// Where a rule element was written, for error messages and for the trace ("2023-11-17.toml:42").
struct SourceRef {
  std::string file;  // file name relative to the rules directory
  int line = 0;
  std::string to_string() const { return file + ":" + std::to_string(line); }
};

enum class Op { kGreaterEqual, kGreater, kLessEqual, kLess };
const char* op_symbol(Op op);

// Item kinds a control entry can apply to. "ic" is any integrated circuit (including an IC package
// with co-packaged HBM whose dominant function is processing); "hbm" a memory stack or package;
// "computer" a computer, server, board or "electronic assembly" containing ICs.
enum class ItemKind { kIc, kHbm, kComputer };
const char* item_kind_name(ItemKind kind);

struct Condition {
  enum class Kind { kMetric, kFlag };
  Kind kind = Kind::kMetric;
  std::string name;  // metric name (tpp, pd, mbd, io_bw, ...) or flag name (datacenter, ...)
  Op op = Op::kGreaterEqual;
  double value = 0;         // threshold, for metric conditions
  bool flag_value = false;  // required flag value, for flag conditions
  SourceRef source;
  std::string describe() const;  // "tpp >= 4800", "datacenter = false"
};

// One paragraph of a control entry, e.g. 3A090.a.2: TPP >= 1600 and PD >= 5.92. All must hold.
struct Prong {
  std::string id;    // "a.2"
  std::string text;  // the regulation's wording, quoted in the trace
  std::vector<Condition> all;
  SourceRef source;
};

struct ControlEntry {
  std::string id;  // the ECCN paragraph, e.g. "3A090.a"
  std::string title;
  std::string citation;  // e.g. "15 CFR Part 774 Supp. 1, ECCN 3A090.a (88 FR 73458)"
  int level = 0;         // 1 for ".a"-level entries, 2 for ".b"-level; used by .z paragraphs
  std::vector<ItemKind> applies_to;
  std::vector<Prong> prongs;          // any one suffices
  std::vector<std::string> contains;  // computers: the entry applies if a contained IC is one of these
  std::vector<std::string> unless;    // entries that take precedence (3A090.b unless 3A090.a)
  std::string scope_note;             // shown when an item of another kind is not evaluated here
  SourceRef source;

  bool applies_to_kind(ItemKind kind) const;
};

// A note that takes items out of entries when its conditions all hold (e.g. the non-datacenter note).
struct ExclusionNote {
  std::string id;
  std::string citation;
  std::string text;
  std::vector<std::string> excludes;  // entry ids
  std::vector<Condition> when;
  SourceRef source;
};

// ".z" paragraphs: items classified under another ECCN (e.g. 5A992 servers) that meet 3A090/4A090.
struct ZParagraphs {
  std::vector<std::string> eccns;  // "5A992.z", ...
  std::string citation;
  std::string text;
};

// Conventions the regulation leaves open; each is a setting of the version, shown in the trace.
struct Conventions {
  std::map<std::string, int> bit_length;                   // precision name -> bits counted for TPP
  std::vector<std::pair<std::string, std::string>> notes;  // setting -> why it is so
};

// A set of places: countries in any of `groups` but in none of `except_groups`, plus `countries`.
// `anywhere` matches every country (a worldwide requirement).
struct PlaceSelector {
  std::vector<std::string> groups;
  std::vector<std::string> except_groups;
  std::vector<std::string> countries;
  std::vector<std::string> except_countries;  // never these, whatever their groups
  bool anywhere = false;
  bool empty() const { return !anywhere && groups.empty() && countries.empty(); }
  std::string describe() const;  // "D:1, D:4, D:5 (except A:5, A:6) or MO"
};

// Which classified items a licence provision covers: entry ids ("3A090.a") and ".z" levels
// ("z:a", "z:b"); "not_controlled" selects items outside the advanced-computing entries.
struct ItemSelector {
  std::vector<std::string> entries;
  bool empty() const { return entries.empty(); }
};

// Which items a provision reaches by their ECCN, for provisions written over the whole CCL (end-use
// controls, embargoes): "an IC specified in ECCN 3A001, 3A991, ...", "any item specified in any ECCN
// on the CCL", "any item subject to the EAR". chipgate knows an item's ECCN only from its
// classification (3A090/4A090/.z) or its declared `base_eccn`; otherwise the scope is unknown.
struct ItemScopeClause {
  std::vector<ItemKind> kinds;     // empty = any kind
  std::vector<std::string> eccns;  // ECCN prefixes ("3A991", "5A992", "EAR99"; a .z paragraph starts with its ECCN)
  bool any_eccn = false;           // any item specified in an ECCN on the CCL (not EAR99)
  bool any_item = false;           // any item subject to the EAR
  // The items this clause matches are in scope only if a list chipgate does not hold names them
  // (ItemScope::list_not_encoded): the answer for them is unknown, never a guess.
  bool via_list = false;
};
struct ItemScope {
  std::vector<ItemScopeClause> any_of;  // empty = any item subject to the EAR
  std::string text;                     // the rule's words for the scope, shown in reasons and traces
  std::string list_not_encoded;         // the list `via_list` clauses depend on (e.g. Supp. No. 2 to Part 744)
  bool empty() const { return any_of.empty(); }
};

enum class ReviewPolicy { kPresumptionOfApproval, kCaseByCase, kPresumptionOfDenial, kPolicyOfDenial };
const char* review_policy_code(ReviewPolicy p);  // "presumption_of_denial", ...
// 0 = least restrictive (presumption of approval) ... 3 = policy of denial; the most restrictive wins.
int review_policy_severity(ReviewPolicy p);

// The licence exceptions that may still overcome a licence requirement (e.g. 740.8(b): none for a
// Part 744 or 746 requirement except 744.23(a)(3)). Unset = the requirement restricts none.
using ExceptionsAllowed = std::optional<std::vector<std::string>>;

// A licence requirement of the Commerce Control List or Part 742/744 for classified items.
struct LicenseRequirement {
  std::string id;
  std::string citation;
  std::string text;
  ItemSelector items;
  PlaceSelector destinations;      // by ship-to country
  PlaceSelector headquarters;      // by the end user's (ultimate parent's) headquarters, wherever located
  PlaceSelector not_destinations;  // never when the ship-to is here (744.23(a)(3): "other than D:1, D:4, D:5")
  ExceptionsAllowed exceptions_allowed;
  bool enforced = true;  // false: in the text, not enforced (AI Diffusion)
  SourceRef source;
};

// A review-policy rule. For each licence requirement that applies, the first rule by `order` whose
// `for_requirements` names it (or that names none) and whose conditions hold gives its policy.
struct ReviewRule {
  std::string id;
  int order = 0;
  ReviewPolicy policy = ReviewPolicy::kCaseByCase;
  std::string citation;
  std::string text;
  std::vector<std::string> for_requirements;  // requirement / end-use / embargo ids reviewed; empty = any requirement
  ItemSelector items;                         // empty = any item
  PlaceSelector destinations;                 // empty = any destination
  PlaceSelector headquarters;                 // empty = any headquarters; else the headquarters must be given and in it
  PlaceSelector not_headquarters;             // the headquarters must be given and not in it
  PlaceSelector
      destination_or_headquarters;  // ship-to or headquarters in it ("to D:5 or to an entity headquartered there")
  PlaceSelector export_from;        // empty = any exporting country
  std::vector<Condition> all;       // item conditions (tpp < 21000, datacenter = false)
  // How a computer's metrics are read for `all`: "" = its own (a computer has no TPP: the rule is then
  // undetermined), "contained_ic" = the metrics of the IC it contains (stated as an assumption).
  std::string computer_metrics;
  std::string assumption;  // what the rule assumes that the text or the order line does not settle
  bool enforced = true;    // false: in the text, not enforced (shown in the trace, never applied)
  SourceRef source;
};

struct LicenseException {
  std::string id;  // "NAC"
  std::string name;
  std::string citation;
  ItemSelector items;
  // Not for items designed or marketed for datacenters in these entries (NAC/ACA: 3A090.a level).
  ItemSelector excludes_datacenter;
  PlaceSelector destinations;
  PlaceSelector headquarters;           // alternatively, by the end user's headquarters
  PlaceSelector not_headquarters;       // never for end users headquartered here (ACA)
  std::vector<Condition> all;           // item metric conditions (HBM: mbd < 3.3)
  std::vector<std::string> conditions;  // what the exporter must do, shown to the user
  int notification_days = 0;
  // Where the notice is due: when either selector is set, only for ship-tos in `notify_destinations`
  // or end users headquartered in `notify_headquarters` (740.8(a)(2)); else always.
  PlaceSelector notify_destinations;
  PlaceSelector notify_headquarters;
  std::string notification_text;  // the notice condition, shown only where the notice is due
  bool enforced = true;
  SourceRef source;
};

// End-use controls (15 CFR 744.23, 744.21): a declared end use located in one of `destinations`
// needs a licence for the items in `items`.
struct EndUseControl {
  // The table's key in the rule file ("military-russia-belarus"): what a version or scenario replaces.
  std::string id;
  // The end use an order line declares ("supercomputer", "advanced_node_ic_production", "military").
  // Usually the id; several controls may answer one code when the text splits a control by country
  // (744.21(a)(1) and (a)(2): different items and review policies for the same military end use).
  std::string code;
  std::string citation;
  std::string text;
  PlaceSelector destinations;  // where the supercomputer / facility / military end use is located or destined
  ItemScope items;             // the item scope of the prohibition
  // A fixed review policy; unset = reviewed by the review rules naming this code (744.23(d)).
  std::optional<ReviewPolicy> policy;
  // 744.21(e)(3): the policy applies to a licence required for any reason when the end use is declared.
  bool policy_for_any_licence = false;
  // The control also applies, with no end use declared, when the consignee or end user matches an
  // entry of one of these lists (744.21(b): the Military End-User List). Empty: declared end use only.
  std::vector<std::string> party_lists{};
  ExceptionsAllowed exceptions_allowed;  // unset = no licence exception overcomes it
  SourceRef source;
};

// An embargo or sanction of Part 746: destinations, the items it needs a licence for, the review
// policy where the text gives one, and the licence exceptions that survive it.
struct Embargo {
  std::string id;
  std::string citation;
  std::string text;
  PlaceSelector destinations;
  ItemScope items;
  std::optional<ReviewPolicy> policy;  // unset: the text gives none chipgate can apply (policy_note says why)
  std::string policy_citation;
  std::string policy_note;
  std::vector<std::string> exceptions_allowed;  // of the exceptions in these rules; the rest are barred
  SourceRef source;
};

// A restricted-party list whose entries carry a licence requirement of their own (the Entity List,
// 15 CFR 744.11): a party matched to an entry of `list` makes the licence required as the entry
// states, and bars the licence exceptions the rule data does not list in `exceptions_allowed`
// (740.8(b): none).
struct PartyListRule {
  std::string list;  // list id of the screener's hits ("bis-entity-list")
  std::string citation;
  std::string text;
  SourceRef source;
  // The same list as other publications label it ("csl-el": the trade.gov Consolidated Screening
  // List's Entity List rows): a hit on any of these ids is a hit on this list.
  std::vector<std::string> published_as{};
  std::vector<std::string> exceptions_allowed{};  // required in the data; empty = every exception barred
  // The list predates the rule versions (the Entity List is older than the advanced-computing
  // controls): it applies on dates before the first version too (Registry::standing()).
  bool predates_versions = false;
};

// The Affiliates rule (90 FR 47201): an entity owned `threshold_percent` or more, directly or
// indirectly, individually or in the aggregate, by parties on `lists` (or by entities this rule
// already covers) is subject to the listed owner's restrictions. `in_force` is false while the rule
// is stayed (90 FR 50857); the table stays in the version so the trace can say so.
struct AffiliatesRule {
  bool in_force = false;
  double threshold_percent = 50;
  std::vector<std::string> lists;  // list ids whose entries' affiliates are covered
  std::string citation;
  std::string text;
  std::string status;  // why it is (not) in force on this version's dates, with the source
  // What the rule asks where a listed owner's share is unknown (Red Flag 29), shown in the reason.
  std::string unknown_share;
  SourceRef source;
};

struct LicenseRules {
  std::map<std::string, std::vector<std::string>> country_groups;  // "D:5" -> {"AF", ...}
  std::map<std::string, std::string> destination_aliases;          // "HK" -> "CN"
  std::vector<LicenseRequirement> requirements;
  std::vector<ReviewRule> review;  // sorted by order
  std::vector<LicenseException> exceptions;
  std::vector<EndUseControl> end_uses;
  std::vector<Embargo> embargoes;
  std::map<std::string, std::string> country_notes;  // "KH" -> which reading of its groups applies, and why
  std::vector<PartyListRule> party_lists;            // lists whose entries require a licence (Entity List)
  std::optional<AffiliatesRule> affiliates;
  bool apply_is_informed_letters = true;  // a scenario may suspend company-specific letters

  const PartyListRule* party_list(const std::string& list) const;

  // The groups a country belongs to in this version (after applying aliases).
  std::vector<std::string> groups_of(const std::string& country) const;
  bool matches(const PlaceSelector& sel, const std::string& country) const;
  std::string canonical(const std::string& country) const;  // alias applied
};

// A company-specific licence requirement imposed by an "is-informed" letter (15 CFR 744.23(b)),
// e.g. NVIDIA's H20 letter of 9 Apr 2025. Not public regulation: supplied by the user as data.
struct Letter {
  std::string id;
  std::string recipient;  // the exporter the letter binds (matched case-insensitively)
  Date informed;
  std::optional<Date> until;
  std::string citation;
  std::string text;
  std::vector<std::string> products;  // catalog ids named in the letter
  std::vector<Condition> any;         // parameter triggers ("any other circuits achieving ...")
  PlaceSelector destinations;
  PlaceSelector headquarters;
  ReviewPolicy policy = ReviewPolicy::kCaseByCase;  // as the letter or later practice states it
  std::string policy_source;                        // where that policy comes from
  SourceRef source;
};

struct VersionInfo {
  std::string id;  // e.g. "2023-11-17"
  std::string title;
  Date effective;
  std::optional<Date> compliance_date;
  std::optional<Date> published;
  std::string federal_register;  // "88 FR 73458"
  std::string fr_doc;            // "2023-23055"
  std::string summary;
  std::string extends;   // id of the version this one amends ("" for the first)
  bool in_text = true;   // the provision is in the regulation text
  bool enforced = true;  // BIS enforces it (AI Diffusion: in text, not enforced)
  std::vector<std::string> sources;
  SourceRef source;
};

struct ScenarioInfo {
  std::string name;
  std::string title;
  std::string description;
  std::string pinned_base;  // version id the scenario patches; "" = the version in force on the date
  std::string min_version;  // oldest version the patch makes sense over ("" = any)
  SourceRef source;
};

struct RuleSet {
  VersionInfo version;
  std::optional<ScenarioInfo> scenario;
  std::string hash;                // SHA-256 over the files that make this rule set, in order
  std::vector<std::string> files;  // those files, base first
  Conventions conventions;
  std::vector<ControlEntry> entries;  // in evaluation order
  std::vector<ExclusionNote> notes;
  ZParagraphs z;
  LicenseRules license;

  // "2023-11-17" or "2023-11-17+hbm-rollback".
  std::string label() const;
  const ControlEntry* find_entry(const std::string& id) const;
};

using RuleSetPtr = std::shared_ptr<const RuleSet>;

}  // namespace chipgate::rules

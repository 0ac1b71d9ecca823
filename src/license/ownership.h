// Who owns whom, and which parties the Affiliates rule (90 FR 47201) reaches through that ownership.
//
// Ownership is user data (`--ownership FILE`, POST /v1/ownership): rows "owner holds percent of
// party" with a source, the share possibly unknown. Names are matched as written, after the same
// normalisation as the exact screener (case, punctuation and spacing ignored); owners are matched to
// list entries by the party screener, as consignees and end users are.
//
// How a share is counted (rules/us-ear/2025-09-29.toml, license.affiliates): a party is covered when
// the direct shares held in it by listed owners, or by entities the rule already covers, add up to
// the threshold (50%). A covered entity thus counts in full for the entities below it (the OFAC 50
// Percent Rule method the Affiliates rule aligns with): A listed owns 60% of B and B owns 50% of C ->
// B covered (60%), C covered (50% held by covered B). Each path also shows the listed owner's
// look-through share (the product of the shares along it: 60% x 50% = 30%).
//
// Three answers per party: covered, not covered, or undetermined when an owner that is listed (or
// possibly covered) holds an unknown share that could reach the threshold. Cycles in the data are
// harmless: coverage is the least fixed point reached from the listed owners.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/date.h"
#include "core/result.h"
#include "license/screening.h"

namespace chipgate::license {

// One row: `owner` holds `percent` (0-100; nullopt = share unknown) of `party`.
struct OwnershipRecord {
  std::string party;
  std::string owner;
  std::optional<double> percent;
  std::string source;         // where the figure comes from (register extract, filing, ...)
  std::optional<Date> as_of;  // the date the figure was valid on, when known
  std::size_t row = 0;        // row (file) or index (request) it was read from, for messages
};

// A problem with one record, named by field ("percent", "owner", ...).
struct OwnershipProblem {
  std::size_t index = 0;  // into the records checked
  std::string field;
  std::string problem;
};

// The name key ownership rows are matched on (ExactAliasScreener::normalise).
std::string ownership_key(std::string_view name);

// Checks one record's fields: party, owner, source required (valid UTF-8, at most 1,000 bytes), the
// owner not the party itself, percent within 0-100. Empty when it is valid.
std::vector<OwnershipProblem> check_ownership_record(const OwnershipRecord& r, std::size_t index);
// Checks a whole set: each record as above, no (party, owner) pair twice, and the known shares held
// in a party adding up to at most 100%. Empty when the set is valid.
std::vector<OwnershipProblem> check_ownership(const std::vector<OwnershipRecord>& records);

class OwnershipGraph {
 public:
  // Fails with the first problem check_ownership() finds ("record N, field: problem").
  static Result<std::shared_ptr<const OwnershipGraph>> build(std::vector<OwnershipRecord> records);

  const std::vector<OwnershipRecord>& records() const { return records_; }
  bool empty() const { return records_.empty(); }
  // SHA-256 of the records in a canonical form: identifies the ownership data a decision used.
  const std::string& content_id() const { return content_id_; }

  struct Link {
    std::size_t owner = 0;  // node index
    std::optional<double> percent;
    std::size_t record = 0;  // into records()
  };
  struct Node {
    std::string key;   // ownership_key(name)
    std::string name;  // as first written
    std::vector<Link> owners;
  };
  const std::vector<Node>& nodes() const { return nodes_; }
  std::optional<std::size_t> find(std::string_view name) const;

 private:
  std::vector<OwnershipRecord> records_;
  std::vector<Node> nodes_;
  std::map<std::string, std::size_t, std::less<>> index_;
  std::string content_id_;
};

// A chain from a listed owner down to the party: names[0] is listed, names.back() the party;
// percents[i] is what names[i] holds in names[i + 1].
struct OwnershipPath {
  std::vector<std::string> names;
  std::vector<std::optional<double>> percents;
  std::optional<double> look_through;  // product of the shares, when all are known
};

struct AffiliateFinding {
  enum class Status { kCovered, kUndetermined };
  Status status = Status::kCovered;
  std::string party;                    // as in the ownership data
  double restricted_share = 0;          // known direct shares held by listed or covered owners
  double possible_share = 0;            // the same, counting unknown shares as up to 100%
  std::vector<PartyHit> listed_owners;  // the list entries the chains start from
  std::vector<OwnershipPath> paths;     // at most kMaxPaths, shortest first
  static constexpr std::size_t kMaxPaths = 20;
};

// The Affiliates rule applied to one ownership graph with one screener. Which owners are listed is
// found once per set of list ids (the owners screened by name, as order-line parties are) and
// remembered: none of it depends on the date, only on the data and the lists. Thread-safe.
class AffiliateResolver {
 public:
  AffiliateResolver(std::shared_ptr<const OwnershipGraph> graph, const PartyScreener& screener);
  ~AffiliateResolver();

  // The finding for a party name under the rule's lists and threshold; nullopt when the party is not
  // reached by any listed owner (or is listed itself: screening answers for it directly).
  std::optional<AffiliateFinding> find(std::string_view party, const std::vector<std::string>& lists,
                                       double threshold_percent) const;
  const OwnershipGraph& graph() const { return *graph_; }

 private:
  struct Coverage;  // per (lists, threshold): listed owners and the covered / possibly covered sets
  const Coverage& coverage(const std::vector<std::string>& lists, double threshold_percent) const;

  std::shared_ptr<const OwnershipGraph> graph_;
  const PartyScreener& screener_;
  mutable std::mutex mutex_;
  mutable std::map<std::string, std::unique_ptr<Coverage>> coverage_;
};

}  // namespace chipgate::license

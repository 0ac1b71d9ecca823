#include "license/ownership.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <set>

#include "core/json_util.h"
#include "core/sha256.h"

namespace chipgate::license {

namespace {

constexpr std::size_t kMaxNameBytes = 1000;
// Known shares may be given with decimals that do not add up exactly (33.33 x 3).
constexpr double kShareTolerance = 1e-6;

std::string where(const OwnershipRecord& r, std::size_t index) {
  return r.row ? "row " + std::to_string(r.row) : "record " + std::to_string(index);
}

void check_name(const std::string& value, const char* field, std::size_t index, std::vector<OwnershipProblem>& out) {
  if (value.empty())
    out.push_back({index, field, "required"});
  else if (!is_valid_utf8(value))
    out.push_back({index, field, "not valid UTF-8"});
  else if (value.size() > kMaxNameBytes)
    out.push_back({index, field, "longer than 1,000 bytes"});
  else if (ownership_key(value).empty())
    out.push_back({index, field, "has no letter or digit to match on"});
}

}  // namespace

std::string ownership_key(std::string_view name) { return ExactAliasScreener::normalise(name); }

std::vector<OwnershipProblem> check_ownership_record(const OwnershipRecord& r, std::size_t index) {
  std::vector<OwnershipProblem> out;
  check_name(r.party, "party", index, out);
  check_name(r.owner, "owner", index, out);
  if (out.empty() && ownership_key(r.owner) == ownership_key(r.party))
    out.push_back({index, "owner", "is the party itself (an entity cannot own itself)"});
  if (r.percent && !(std::isfinite(*r.percent) && *r.percent >= 0 && *r.percent <= 100))
    out.push_back({index, "percent", "must be between 0 and 100"});
  if (r.source.empty())
    out.push_back({index, "source", "required (where the figure comes from)"});
  else if (!is_valid_utf8(r.source))
    out.push_back({index, "source", "not valid UTF-8"});
  return out;
}

std::vector<OwnershipProblem> check_ownership(const std::vector<OwnershipRecord>& records) {
  std::vector<OwnershipProblem> out;
  std::map<std::pair<std::string, std::string>, std::size_t> seen;
  std::map<std::string, double> known;
  for (std::size_t i = 0; i < records.size(); ++i) {
    const auto& r = records[i];
    auto problems = check_ownership_record(r, i);
    if (!problems.empty()) {
      out.insert(out.end(), problems.begin(), problems.end());
      continue;
    }
    const std::string party = ownership_key(r.party);
    auto [it, fresh] = seen.emplace(std::pair{party, ownership_key(r.owner)}, i);
    if (!fresh) {
      out.push_back({i, "owner",
                     "'" + r.owner + "' in '" + r.party + "' is given twice (first at " +
                         where(records[it->second], it->second) + ")"});
      continue;
    }
    if (!r.percent) continue;
    double& sum = known[party];
    sum += *r.percent;
    if (sum > 100 + kShareTolerance)
      out.push_back(
          {i, "percent",
           "the known shares held in '" + r.party + "' add up to " + format_number(sum) + "% (more than 100%)"});
  }
  return out;
}

Result<std::shared_ptr<const OwnershipGraph>> OwnershipGraph::build(std::vector<OwnershipRecord> records) {
  using R = Result<std::shared_ptr<const OwnershipGraph>>;
  if (auto problems = check_ownership(records); !problems.empty()) {
    const auto& p = problems.front();
    return R::error(where(records[p.index], p.index) + ", " + p.field + ": " + p.problem);
  }
  // One order whatever order the rows came in (a file, the store's query): findings, paths and the
  // content id must not depend on it.
  std::stable_sort(records.begin(), records.end(), [](const OwnershipRecord& a, const OwnershipRecord& b) {
    return std::pair(ownership_key(a.party), ownership_key(a.owner)) <
           std::pair(ownership_key(b.party), ownership_key(b.owner));
  });
  auto g = std::make_shared<OwnershipGraph>();
  auto node = [&](const std::string& name) {
    std::string key = ownership_key(name);
    auto it = g->index_.find(key);
    if (it != g->index_.end()) return it->second;
    g->nodes_.push_back({key, name, {}});
    g->index_.emplace(std::move(key), g->nodes_.size() - 1);
    return g->nodes_.size() - 1;
  };
  std::vector<std::string> canonical;
  for (std::size_t i = 0; i < records.size(); ++i) {
    const auto& r = records[i];
    const std::size_t party = node(r.party);
    const std::size_t owner = node(r.owner);
    g->nodes_[party].owners.push_back({owner, r.percent, i});
    canonical.push_back(ownership_key(r.party) + '\t' + ownership_key(r.owner) + '\t' +
                        (r.percent ? format_number(*r.percent) : "?") + '\t' + r.source + '\t' +
                        (r.as_of ? r.as_of->to_string() : ""));
  }
  std::sort(canonical.begin(), canonical.end());
  std::string all;
  for (const auto& c : canonical) all += c + '\n';
  g->content_id_ = sha256_hex(all);
  g->records_ = std::move(records);
  return R(std::shared_ptr<const OwnershipGraph>(std::move(g)));
}

std::optional<std::size_t> OwnershipGraph::find(std::string_view name) const {
  auto it = index_.find(ownership_key(name));
  if (it == index_.end()) return std::nullopt;
  return it->second;
}

// ---- the Affiliates rule over the graph --------------------------------------------------------

struct AffiliateResolver::Coverage {
  std::vector<std::vector<PartyHit>> hits;  // per node: its entries on the rule's lists
  std::vector<char> covered;                // listed, or covered through known shares
  std::vector<char> possible;               // covered if the unknown shares are large enough
  std::vector<double> known, upper;         // restricted share: known, and with unknown shares at 100%
};

AffiliateResolver::AffiliateResolver(std::shared_ptr<const OwnershipGraph> graph, const PartyScreener& screener)
    : graph_(std::move(graph)), screener_(screener) {}

AffiliateResolver::~AffiliateResolver() = default;

namespace {

// Sum of the shares held in `n` by owners in `in`; an unknown share counts as `unknown_as`.
double held_by(const OwnershipGraph::Node& n, const std::vector<char>& in, double unknown_as) {
  double sum = 0;
  for (const auto& l : n.owners)
    if (in[l.owner]) sum += l.percent ? *l.percent : unknown_as;
  return std::min(sum, 100.0);
}

// The least fixed point of "listed, or holding the threshold through owners in the set": grows
// from the listed owners, so an ownership cycle with no listed party in it never covers itself.
std::vector<char> closure(const OwnershipGraph& g, std::vector<char> set, double unknown_as, double threshold) {
  for (bool changed = true; changed;) {
    changed = false;
    for (std::size_t i = 0; i < g.nodes().size(); ++i)
      if (!set[i] && held_by(g.nodes()[i], set, unknown_as) + kShareTolerance >= threshold) {
        set[i] = 1;
        changed = true;
      }
  }
  return set;
}

}  // namespace

const AffiliateResolver::Coverage& AffiliateResolver::coverage(const std::vector<std::string>& lists,
                                                               double threshold_percent) const {
  std::string key = format_number(threshold_percent);
  for (const auto& l : lists) key += '\x1f' + l;
  std::lock_guard lock(mutex_);
  auto& slot = coverage_[key];
  if (slot) return *slot;
  const auto& nodes = graph_->nodes();
  auto c = std::make_unique<Coverage>();
  c->hits.resize(nodes.size());
  std::vector<char> owns(nodes.size(), 0), listed(nodes.size(), 0);
  for (const auto& n : nodes)
    for (const auto& l : n.owners) owns[l.owner] = 1;
  // Only owners can pass the rule on; each is screened once, by its name as written, no country.
  for (std::size_t i = 0; i < nodes.size(); ++i) {
    if (!owns[i]) continue;
    for (auto& hit : screener_.screen(nodes[i].name, ""))
      if (std::find(lists.begin(), lists.end(), hit.list) != lists.end()) c->hits[i].push_back(std::move(hit));
    listed[i] = c->hits[i].empty() ? 0 : 1;
  }
  c->covered = closure(*graph_, listed, 0, threshold_percent);
  c->possible = closure(*graph_, c->covered, 100, threshold_percent);
  for (const auto& n : nodes) {
    c->known.push_back(held_by(n, c->covered, 0));
    // An unknown share is at most what the known shares of the other owners leave.
    double others = 0;
    for (const auto& l : n.owners)
      if (!c->possible[l.owner] && l.percent) others += *l.percent;
    c->upper.push_back(std::max(c->known.back(), std::min(held_by(n, c->possible, 100), 100 - others)));
  }
  slot = std::move(c);
  return *slot;
}

std::optional<AffiliateFinding> AffiliateResolver::find(std::string_view party, const std::vector<std::string>& lists,
                                                        double threshold_percent) const {
  const auto at = graph_->find(party);
  if (!at) return std::nullopt;
  const Coverage& c = coverage(lists, threshold_percent);
  const std::size_t n = *at;
  if (!c.hits[n].empty() || !c.possible[n]) return std::nullopt;
  AffiliateFinding f;
  f.status = c.covered[n] ? AffiliateFinding::Status::kCovered : AffiliateFinding::Status::kUndetermined;
  const auto& nodes = graph_->nodes();
  f.party = nodes[n].name;
  f.restricted_share = c.known[n];
  f.possible_share = c.upper[n];
  // Chains from a listed owner down to the party, through owners that carry the finding (covered
  // ones for a covered party, possibly covered ones otherwise). Depth-first, simple paths only,
  // bounded: a finding needs a few examples, not every path of a dense graph.
  const std::vector<char>& through = c.covered[n] ? c.covered : c.possible;
  std::vector<std::size_t> chain = {n};
  std::vector<std::optional<double>> shares;
  std::size_t steps = 0;
  std::set<std::string> owners_seen;
  std::function<void(std::size_t)> walk = [&](std::size_t at_node) {
    if (++steps > 10000 || f.paths.size() >= AffiliateFinding::kMaxPaths || chain.size() > 16) return;
    for (const auto& l : nodes[at_node].owners) {
      if (!through[l.owner] || std::find(chain.begin(), chain.end(), l.owner) != chain.end()) continue;
      chain.push_back(l.owner);
      shares.push_back(l.percent);
      if (!c.hits[l.owner].empty()) {
        OwnershipPath p;
        std::optional<double> product = 100.0;
        for (std::size_t i = chain.size(); i-- > 0;) p.names.push_back(nodes[chain[i]].name);
        for (std::size_t i = shares.size(); i-- > 0;) {
          p.percents.push_back(shares[i]);
          product = product && shares[i] ? std::optional<double>(*product * *shares[i] / 100) : std::nullopt;
        }
        p.look_through = product;
        f.paths.push_back(std::move(p));
        for (const auto& hit : c.hits[l.owner])
          if (owners_seen.insert(hit.entry_id).second) f.listed_owners.push_back(hit);
      } else {
        walk(l.owner);
      }
      chain.pop_back();
      shares.pop_back();
      if (f.paths.size() >= AffiliateFinding::kMaxPaths) return;
    }
  };
  walk(n);
  std::stable_sort(f.paths.begin(), f.paths.end(), [](const OwnershipPath& a, const OwnershipPath& b) {
    return a.names.size() != b.names.size() ? a.names.size() < b.names.size() : a.names < b.names;
  });
  return f;
}

}  // namespace chipgate::license

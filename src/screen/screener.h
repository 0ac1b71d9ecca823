// Fuzzy restricted-party screening (issue 4): a name (any script) against every loaded list entry
// and alias. Two stages: candidate retrieval from an inverted index (token, trigram-of-token and
// phonetic keys, IDF-weighted), then a scorer that aligns the query's tokens with each candidate
// name's tokens and explains the score. How it works: docs/screening.md.
//
// Implements license::PartyScreener, so `chipgate decide --lists` screens consignees and end users
// with it. Thread-safe after construction: query(), screen() and compare() are const and may be
// called from several threads at once.
#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "license/screening.h"
#include "screen/lists.h"

namespace chipgate::screen {

// Word lists and settings of the matcher, read from data/screening/terms.toml (never C++ literals):
// legal forms (weight ~0), business words and their abbreviations (canonical forms), weak tokens
// (Chinese place names ...), the default threshold and the snapshot drop policy.
class Terms;
Result<std::shared_ptr<const Terms>> load_terms(const std::string& path);
// data/screening/terms.toml of the source tree or installation (like the rules directory):
// `flag_value` if given, else $CHIPGATE_SCREENING_TERMS, else next to the executable, else the source tree.
std::string find_terms_file(const std::string& flag_value, const char* argv0);
double default_threshold(const Terms& t);
DropPolicy drop_policy(const Terms& t);

struct QueryOptions {
  double threshold = -1;        // < 0: the terms file's default threshold
  std::string country;          // ISO alpha-2 or country name; a qualifier (lowers a mismatching hit's score)
  std::string address;          // free text; a qualifier (city/country words that appear in the entry's address)
  bool country_filter = false;  // hard filter: drop hits whose entry country is known and differs
  std::size_t max_hits = 5;     // hits returned, best first (all above `min_report`)
  double min_report = -1;       // hits below this score are not returned; < 0: threshold
};

// One aligned token pair of the explanation.
struct TokenPair {
  std::string query;      // normalised query token ("" when an entry token was unmatched)
  std::string entry;      // normalised entry token ("" when a query token was unmatched)
  double similarity = 0;  // 0..1
  std::string how;        // "exact", "abbreviation", "typo", "joined", "phonetic", "unmatched"
  double weight = 0;      // IDF-based weight of the pair (legal forms ~0, weak tokens reduced)
};

struct Explanation {
  std::string matched_name;  // the name or alias that matched, as published
  bool alias = false;
  std::string alias_source;      // for an alias from the reviewed alias file: "FILE: source"
  std::string query_normalised;  // the query after normalisation (and transliteration)
  std::string name_normalised;   // the matched name after normalisation
  std::vector<TokenPair> pairs;
  double name_score = 0;      // weighted token alignment score before qualifiers
  double query_coverage = 0;  // weighted share of the query's tokens matched
  double entry_coverage = 0;  // weighted share of the name's tokens matched
  double country_factor = 1;  // multiplier from the country qualifier (1 = no effect)
  std::string country_note;   // e.g. "party CN, entry China: same" / "party DE, entry China: mismatch"
  double address_factor = 1;
  std::string address_note;
  std::string text() const;  // one readable line
  nlohmann::ordered_json to_json() const;
};

struct Hit {
  const ListEntry* entry = nullptr;  // into the screener's snapshot
  std::string list;
  std::string entry_id;
  std::string name;
  std::string matched_name;
  double score = 0;       // ours, 0..1
  double ofac_score = 0;  // OFAC Sanctions List Search style (Jaro-Winkler + Soundex), 0..1
  Explanation explanation;
};

struct ScreenResult {
  bool match = false;  // best score >= threshold
  double threshold = 0;
  std::vector<Hit> hits;  // best first
  std::string error;      // non-empty when the query was refused (empty name, invalid UTF-8, too long ...)
};

// A party of a batch file: CSV or JSON Lines with id, name[, country][, address].
struct Party {
  std::string id;
  std::string name;
  std::string country;
  std::string address;
  std::size_t line = 0;
};
// Reads a batch file (.csv with a header row, or .jsonl/.json lines); bad rows go to `errors`.
struct PartyFile {
  std::vector<Party> parties;
  std::vector<ImportIssue> errors;
};
Result<PartyFile> load_parties(const std::string& path);
// The same for text already read; `path` names it in errors.
Result<PartyFile> parse_parties(const std::string& path, std::string_view text);

class Screener : public license::PartyScreener {
 public:
  // Builds the index over a snapshot (takes ownership).
  static Result<std::unique_ptr<Screener>> build(Snapshot snapshot, std::shared_ptr<const Terms> terms);
  // load_lists(paths) + build.
  static Result<std::unique_ptr<Screener>> load(const std::vector<std::string>& paths,
                                                std::shared_ptr<const Terms> terms);
  ~Screener() override;

  // One query. Refused queries (empty, invalid UTF-8, over the length limit) come back with `error`.
  ScreenResult query(std::string_view name, const QueryOptions& options = {}) const;
  // Several parties, `threads` worker threads (results in input order).
  std::vector<ScreenResult> batch(const std::vector<Party>& parties, const QueryOptions& options,
                                  unsigned threads = 2) const;
  // Two names compared directly with the same scorer (no index, no qualifiers): our score and the
  // OFAC-style score. For pairwise benchmarks.
  std::pair<double, double> compare(std::string_view a, std::string_view b) const;

  // license::PartyScreener: hits at or above the default threshold, country as qualifier.
  std::vector<license::PartyHit> screen(std::string_view name, std::string_view country) const override;
  const std::string& snapshot_id() const override;

  std::map<std::string, std::size_t> source_counts() const override;
  const Snapshot& snapshot() const;
  const Terms& terms() const;
  double threshold() const;        // the default threshold
  std::size_t name_count() const;  // names + aliases indexed

  // The normalised, transliterated tokens of a name as the matcher sees them (canonical forms).
  std::vector<std::string> tokens(std::string_view name) const;

 private:
  Screener();
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// The contract's JSON object for one party: {"id", "match", "hits": [{"list", "entry_id", "name",
// "matched_name", "score", "ofac_score", "explanation"}]} (+ "error" when refused).
nlohmann::ordered_json result_to_json(const std::string& id, const ScreenResult& r, bool explain_as_object = false);

// Re-screening: the parties whose result changed between two screeners (old and new lists).
struct Change {
  const Party* party = nullptr;
  ScreenResult before;
  ScreenResult after;
  std::string what;  // "new match", "no longer matches", "hits changed"
};
std::vector<Change> rescreen(const std::vector<Party>& parties, const Screener& before, const Screener& after,
                             const QueryOptions& options, unsigned threads = 2);

}  // namespace chipgate::screen

// The party-screening interface the licence determination uses for consignees and end users, and
// the exact/alias screener over the published list files. The fuzzy screener (issue 4) implements
// the same interface.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/result.h"

namespace chipgate::license {

struct PartyHit {
  std::string list;                 // "bis-entity-list", "bis-meu", ...
  std::string entry_id;             // stable id within the snapshot: list + ":" + index
  std::string name;                 // the entry's primary name
  std::string matched_name;         // the name or alias that matched
  std::string country;              // the entry's country
  double score = 0;                 // 1.0 for an exact or alias match
  std::string license_requirement;  // Entity List: the entry's licence requirement text
  std::string federal_register;
  bool fdp = false;  // the entry carries an Entity List FDP footnote (734.9(e))
  std::string explanation;
};

class PartyScreener {
 public:
  virtual ~PartyScreener() = default;
  // Hits for a party name, best first. `country` (ISO alpha-2 or name) qualifies, never filters.
  virtual std::vector<PartyHit> screen(std::string_view name, std::string_view country) const = 0;
  // Identifies the list snapshot the hits come from (content hash), for the record.
  virtual const std::string& snapshot_id() const = 0;
  // Entries per list id in that snapshot, for the sharp-drop check of a list import; empty when
  // the screener does not count them.
  virtual std::map<std::string, std::size_t> source_counts() const { return {}; }
};

// Exact and alias matching after normalisation (case, punctuation, whitespace). Reads list files
// in the JSON layout of ../shared/data/lists/bis-and-others_nsfreg ({list_id, entities: [{name,
// aliases, country, address, federal_register, notes}]}); a folder reads every such file in it.
class ExactAliasScreener : public PartyScreener {
 public:
  static Result<std::unique_ptr<ExactAliasScreener>> load(const std::vector<std::string>& paths);
  // The same from in-memory files (name, content): load() reads the files and calls this.
  static Result<std::unique_ptr<ExactAliasScreener>> load_texts(
      const std::vector<std::pair<std::string, std::string_view>>& files);
  std::vector<PartyHit> screen(std::string_view name, std::string_view country) const override;
  const std::string& snapshot_id() const override { return snapshot_id_; }
  std::size_t entry_count() const { return entries_.size(); }

  // Upper-case ASCII letters and digits, every other run of characters one space, trimmed.
  static std::string normalise(std::string_view name);

 private:
  struct Entry {
    PartyHit hit;
    std::vector<std::string> names;  // primary first, then aliases
  };
  std::vector<Entry> entries_;
  std::vector<std::pair<std::string, std::size_t>> index_;  // normalised name -> entry, sorted
  std::string snapshot_id_;
};

// Remembers another screener's hits per (name, country). An order book names the same consignees
// and end users again and again, and a fuzzy query costs ~0.1 ms, so `decide --orders` and the
// impact report screen each distinct party once per run. Thread-safe; holds at most `max_entries`
// answers (then starts afresh). Its answers are the wrapped screener's, for the same snapshot.
class MemoizingScreener : public PartyScreener {
 public:
  explicit MemoizingScreener(const PartyScreener& inner, std::size_t max_entries = 200000)
      : inner_(inner), max_entries_(max_entries) {}
  std::vector<PartyHit> screen(std::string_view name, std::string_view country) const override;
  const std::string& snapshot_id() const override { return inner_.snapshot_id(); }

 private:
  const PartyScreener& inner_;
  std::size_t max_entries_;
  mutable std::mutex mutex_;
  mutable std::unordered_map<std::string, std::vector<PartyHit>> memo_;  // name + '\x1f' + country
};

}  // namespace chipgate::license

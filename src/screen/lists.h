// Restricted-party list ingestion: the published formats in ../shared/data/lists (see its README),
// format detection, list snapshots with a content id and per-source row counts, and the check that
// refuses a snapshot whose row count for a source drops sharply against the previous one.
#pragma once

#include <cstddef>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace chipgate::screen {

// One restricted party as published, whatever the source format.
struct ListEntry {
  std::string list;      // list id: "bis-entity-list", "ofac-sdn", "csl-el", ...
  std::string entry_id;  // stable within the snapshot: list + ":" + the source's id (uid) or row index
  std::string name;      // primary name as published
  std::vector<std::string> aliases;
  std::string type;  // "entity", "individual", "vessel", "aircraft" or "" when the source does not say
  std::vector<std::string> addresses;
  std::vector<std::string> countries;  // as published (names such as "China" or ISO alpha-2 codes)
  std::vector<std::string> programs;
  std::string federal_register;
  std::string license_requirement;  // Entity List / MEU: licence requirement text (nsfreg "notes")
  std::string license_policy;       // review policy where the source gives it separately (CSL)
  bool fdp = false;                 // Entity List footnote pointing at the FDP rule (734.9(e))
  std::string start_date;
  std::string end_date;
  std::string remarks;
  std::string source;    // file the entry came from
  std::size_t line = 0;  // line (CSV) or 1-based entity index (JSON) in that file
};

enum class ListFormat {
  kNsfregJson,          // {list_id, entities:[{name, aliases, country, address, federal_register, notes}]}
  kOfacSdnJson,         // kindrat86 ofac-sdn.json {entries:[{uid, name, type, programs, alternateNames}]}
  kOfacSdnCsv,          // kindrat86 ofac-sdn.csv: uid,name,type,programs,alternate_names
  kOfacLegacySdn,       // OFAC SDN.CSV / CONS_PRIM.CSV: 12 columns, no header, -0- = empty
  kOfacLegacyAdd,       // OFAC ADD.CSV / CONS_ADD.CSV: ent_num, add_num, address, city, country, remarks
  kOfacLegacyAlt,       // OFAC ALT.CSV / CONS_ALT.CSV: ent_num, alt_num, type, alt_name, remarks
  kOfacLegacyComments,  // SDN_COMMENTS.CSV: ent_num, remarks continuation (read, not used for matching)
  kCslCsv,              // trade.gov Consolidated Screening List CSV (2019 and current layouts)
  kSnapshotJsonl,       // a snapshot written by chipgate (`lists import`): one ListEntry per line
};
const char* format_name(ListFormat f);

// A problem with one row; the row was skipped, the rest of the file imported.
struct ImportIssue {
  std::string file;
  std::size_t line = 0;
  std::string problem;
  std::string to_string() const;  // "FILE:LINE: problem"
};

// Everything loaded from a set of list files, with its content id.
struct Snapshot {
  std::string id;  // SHA-256 (hex) over the canonical content of every entry, order-independent of paths
  std::vector<ListEntry> entries;
  std::map<std::string, std::size_t> counts;              // per list id: entries loaded
  std::vector<std::pair<std::string, ListFormat>> files;  // each file read and its detected format
  std::vector<ImportIssue> issues;                        // rows skipped
};

// Detects the format of a list file from its content (and name for the headerless OFAC files).
// A file that is not a list: error naming the file and why, "FILE:LINE: not a list file: ..." where
// the problem has a line (invalid JSON, an unrecognised CSV header), "FILE: not a list file: ..." otherwise.
Result<ListFormat> detect_format(const std::string& path, std::string_view text);

// One list file's content in memory: `name` stands for its path (messages, `source` of its entries,
// and format detection of the headerless OFAC files by name); `text` is not owned.
struct ListText {
  std::string name;
  std::string_view text;
};

// Loads list files and folders (every list file in a folder; lists.json, metadata.json and
// README files are skipped). OFAC legacy ADD/ALT/COMMENTS files are joined to the SDN/CONS_PRIM
// rows of the same folder by ent_num (kindrat86 uids are OFAC ent_nums too). A file that is not a
// list makes the whole load fail (nothing half-imported); a bad row is recorded in `issues`.
Result<Snapshot> load_lists(const std::vector<std::string>& paths);
// The files load_lists reads for `paths`, in its order: a file as given, a folder's list files.
// For a caller that must check each file before it is read (the server's POST /v1/lists).
Result<std::vector<std::string>> list_files(const std::vector<std::string>& paths);
// The same from in-memory files (an upload over HTTP; load_lists reads the files and calls this):
// every file's format detected from its content, OFAC legacy files joined across the set.
Result<Snapshot> load_list_texts(const std::vector<ListText>& files);
// One in-memory file (fuzzing, tests): `path` is used for messages and detection.
Result<Snapshot> load_list_text(const std::string& path, std::string_view text);
// An in-memory snapshot from names (benchmarks: synthetic lists of any size). Each name becomes an
// entity of list `list`, entry_id list + ":" + its index.
Snapshot snapshot_from_names(const std::vector<std::string>& names, const std::string& list = "synthetic");

// Computes `id` and `counts` from `entries` (called by the loaders; public for callers that edit).
void finalise_snapshot(Snapshot& s);

// When a new snapshot replaces a previous one: a source whose row count falls by more than
// `max_drop_fraction` (and had at least `min_previous_rows`) is a sharp drop; so is a source that
// disappears. Settings, read from the screening terms file ([snapshot] table) by the CLI.
struct DropPolicy {
  double max_drop_fraction = 0.10;
  std::size_t min_previous_rows = 20;
};
// Ok, or an error listing each source that dropped ("ofac-sdn: 19249 -> 4200 rows (-78.2%)") and
// saying to pass --force. `force` accepts anyway.
Status check_counts(const std::map<std::string, std::size_t>& previous, const std::map<std::string, std::size_t>& next,
                    const DropPolicy& policy, bool force);

// Snapshot store: DIR/<id>.jsonl (one entry per line, loadable again with load_lists) and
// DIR/<id>.manifest.json {id, created, files, counts, issues}; DIR/latest holds the newest id.
nlohmann::ordered_json manifest_json(const Snapshot& s);
nlohmann::ordered_json entry_to_json(const ListEntry& e);
// Writes the snapshot into `dir` after check_counts against DIR/latest's manifest. Files are written
// to temporaries and renamed, so a refused or failed import leaves the store as it was.
Result<std::string> store_snapshot(const Snapshot& s, const std::string& dir, const DropPolicy& policy, bool force);
// Path of a stored snapshot's entries file ("latest" or an id, or an id prefix of >= 8 hex digits).
Result<std::string> stored_snapshot_path(const std::string& dir, const std::string& id);

}  // namespace chipgate::screen

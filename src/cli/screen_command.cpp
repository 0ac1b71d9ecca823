// chipgate screen: restricted-party screening of one name or a batch file against list files; and
// chipgate lists: check, import (snapshots with drop protection) and show list snapshots.
#include <chrono>
#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>

#include "cli/common.h"
#include "core/bounded_file.h"
#include "io/catalog.h"
#include "io/classification_output.h"
#include "io/csv.h"
#include "screen/screener.h"

namespace chipgate::cli {

namespace {

struct ScreenOptions {
  std::string name;
  std::vector<std::string> lists;
  std::vector<std::string> since;
  std::string batch;
  std::string compare;
  std::string country;
  std::string address;
  bool country_filter = false;
  double threshold = -1;
  std::size_t max_hits = 5;
  std::string format;
  bool explain = false;
  std::string terms;
  std::string rules_dir;
  unsigned threads = 2;
};

std::string dump(const nlohmann::ordered_json& j) {
  return j.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

std::string fixed(double v, int decimals = 2) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  return buf;
}

Result<std::shared_ptr<const screen::Terms>> terms_for(const std::string& flag, const char* argv0) {
  return screen::load_terms(screen::find_terms_file(flag, argv0));
}

Result<std::unique_ptr<screen::Screener>> load_screener(const std::vector<std::string>& lists,
                                                        std::shared_ptr<const screen::Terms> terms,
                                                        const std::string& what) {
  auto snap = screen::load_lists(lists);
  if (!snap) return Result<std::unique_ptr<screen::Screener>>::error(what + ": " + snap.message());
  for (const auto& i : snap->issues) std::cerr << "chipgate: " << what << ": skipped: " << i.to_string() << "\n";
  return screen::Screener::build(std::move(snap).value(), std::move(terms));
}

// CSV (`--format csv`): one row per hit, best first (rank 1, 2, ...), or one row with empty hit
// columns when nothing reached the threshold, so that every party screened is in the file.
// With --since each row starts with the column `change` (what changed for the party).
std::string csv_header(bool with_change = false) {
  std::string out;
  io::CsvWriter w(out);
  if (with_change) w.cell("change");
  for (const char* c : {"id", "query", "match", "rank", "list", "entry_id", "name", "matched_name", "score",
                        "ofac_score", "explanation", "error"})
    w.cell(c);
  w.end_row();
  return out;
}
std::string csv_rows(const std::string& id, const std::string& query, const screen::ScreenResult& r,
                     const std::string* change = nullptr) {
  std::string out;
  io::CsvWriter w(out);
  const std::string match = r.error.empty() ? (r.match ? "true" : "false") : "";
  if (r.hits.empty()) {
    if (change) w.cell(*change);
    w.cell(id).cell(query).cell(match);
    for (int i = 0; i < 8; ++i) w.cell("");
    w.cell(r.error).end_row();
  }
  for (std::size_t i = 0; i < r.hits.size(); ++i) {
    const auto& h = r.hits[i];
    if (change) w.cell(*change);
    w.cell(id).cell(query).cell(match).cell(std::to_string(i + 1)).cell(h.list).cell(h.entry_id).cell(h.name);
    w.cell(h.matched_name)
        .cell(fixed(h.score, 4))
        .cell(fixed(h.ofac_score, 4))
        .cell(h.explanation.text())
        .cell(r.error);
    w.end_row();
  }
  return out;
}

void print_table(const std::string& name, const screen::ScreenResult& r, const screen::Screener& s) {
  std::cout << "Screening \"" << name << "\" against " << s.snapshot().entries.size() << " list entries ("
            << s.name_count() << " names and aliases), snapshot " << s.snapshot_id().substr(0, 12) << "\n";
  std::cout << "Result: " << (r.match ? "MATCH" : "no match") << " at threshold " << fixed(r.threshold) << "\n";
  if (r.hits.empty()) std::cout << "No list entry scored at or above the threshold.\n";
  int k = 0;
  for (const auto& h : r.hits) {
    std::cout << "\n" << ++k << ". " << h.name << "  [" << h.list << ", " << h.entry_id << "]\n";
    std::cout << "   score " << fixed(h.score) << " (OFAC-style " << fixed(h.ofac_score) << ")";
    if (!h.entry->countries.empty()) {
      std::cout << "  country ";
      for (std::size_t i = 0; i < h.entry->countries.size() && i < 4; ++i)
        std::cout << (i ? "/" : "") << h.entry->countries[i];
    }
    std::cout << "\n   why: " << h.explanation.text() << "\n";
    if (!h.entry->license_requirement.empty())
      std::cout << "   licence requirement: " << h.entry->license_requirement << (h.entry->fdp ? " [FDP footnote]" : "")
                << "\n";
    if (!h.entry->federal_register.empty()) std::cout << "   Federal Register: " << h.entry->federal_register << "\n";
  }
  std::cout << "\n" << io::kDisclaimer << "\n";
}

int run_screen(const ScreenOptions& o, const char* argv0) {
  const int modes = (!o.name.empty() ? 1 : 0) + (!o.batch.empty() ? 1 : 0) + (!o.compare.empty() ? 1 : 0);
  if (modes != 1) {
    std::cerr << "chipgate screen: give exactly one of a NAME, --batch FILE or --compare FILE\n";
    return kExitFatal;
  }
  if (!o.since.empty() && o.batch.empty()) {
    std::cerr << "chipgate screen: --since needs --batch (the customer file to re-screen)\n";
    return kExitFatal;
  }
  if (o.threshold > 1) {
    std::cerr << "chipgate screen: --threshold must be within 0..1\n";
    return kExitFatal;
  }
  auto terms = terms_for(o.terms, argv0);
  if (!terms) {
    std::cerr << "chipgate: --terms: " << terms.message() << "\n";
    return kExitFatal;
  }
  // A name or batch screened against no list would come out "no match" for every party: without
  // --lists that answer would rest silently on the seven-entry sample, so it is refused. --compare
  // scores name pairs and reads no list entry; it keeps the bundled sample as its screener's list.
  if (o.lists.empty() && o.compare.empty()) {
    std::cerr << "chipgate screen: no restricted-party list given: pass --lists FILE|FOLDER (repeatable; the "
                 "published lists, or the bundled demo list data/sample-parties.json)\n";
    return kExitFatal;
  }
  const auto lists =
      o.lists.empty()
          ? std::vector<std::string>{bundled_data_file(find_rules_dir(o.rules_dir, argv0), "sample-parties.json")}
          : o.lists;
  auto screener = load_screener(lists, terms.value(), "--lists");
  if (!screener) {
    std::cerr << "chipgate: " << screener.message() << "\n";
    return kExitFatal;
  }
  const screen::Screener& s = *screener.value();
  screen::QueryOptions q;
  q.threshold = o.threshold;
  q.country = o.country;
  q.address = o.address;
  q.country_filter = o.country_filter;
  q.max_hits = o.max_hits;
  const std::string format = o.format.empty() ? (o.name.empty() ? "jsonl" : "table") : o.format;

  if (!o.compare.empty()) {
    auto text = read_bounded_file(o.compare, input_limits::kNamePairs);
    if (!text) {
      std::cerr << "chipgate: --compare: " << text.message() << "\n";
      return kExitFatal;
    }
    io::CsvReader reader(text.value());
    io::CsvRecord rec;
    std::string err;
    std::map<std::string, std::size_t> col;
    int rc = kExitOk;
    if (format == "csv") std::cout << "id,score,ofac_score\n";
    for (;;) {
      const auto st = reader.next(rec, err);
      if (st == io::CsvStatus::kEnd) break;
      if (st == io::CsvStatus::kError) {
        std::cerr << o.compare << ":" << rec.line << ": " << err << "\n";
        rc = kExitRowErrors;
        continue;
      }
      if (col.empty()) {
        for (std::size_t i = 0; i < rec.fields.size(); ++i) col[rec.fields[i]] = i;
        if (!col.count("name1") || !col.count("name2")) {
          std::cerr << "chipgate: --compare: the header must name the columns name1 and name2 (and optionally id)\n";
          return kExitFatal;
        }
        continue;
      }
      auto get = [&](const char* k) {
        auto it = col.find(k);
        return it == col.end() || it->second >= rec.fields.size() ? std::string() : rec.fields[it->second];
      };
      const auto [score, ofac] = s.compare(get("name1"), get("name2"));
      if (format == "csv") {
        std::string row;
        io::CsvWriter(row).row(
            {col.count("id") ? get("id") : std::to_string(rec.line), fixed(score, 4), fixed(ofac, 4)});
        std::cout << row;
        continue;
      }
      nlohmann::ordered_json j;
      j["id"] = col.count("id") ? get("id") : std::to_string(rec.line);
      j["score"] = std::round(score * 10000) / 10000;
      j["ofac_score"] = std::round(ofac * 10000) / 10000;
      std::cout << dump(j) << "\n";
    }
    return rc;
  }

  if (!o.name.empty()) {
    const auto r = s.query(o.name, q);
    if (!r.error.empty()) {
      std::cerr << "chipgate: name: " << r.error << "\n";
      if (format == "csv")
        std::cout << csv_header() << csv_rows("", o.name, r);
      else if (format != "table")
        std::cout << dump(screen::result_to_json("", r, o.explain)) << "\n";
      return kExitRowErrors;
    }
    if (format == "table") {
      print_table(o.name, r, s);
    } else if (format == "csv") {
      std::cout << csv_header() << csv_rows("", o.name, r);
    } else if (format == "json") {
      auto j = screen::result_to_json("", r, o.explain);
      j["threshold"] = r.threshold;
      j["snapshot"] = s.snapshot_id();
      j["disclaimer"] = io::kDisclaimer;
      std::cout << j.dump(2, ' ', false, nlohmann::ordered_json::error_handler_t::replace) << "\n";
    } else {
      std::cout << dump(screen::result_to_json("", r, o.explain)) << "\n";
    }
    return r.match ? kExitAttention : kExitOk;
  }

  auto parties = screen::load_parties(o.batch);
  if (!parties) {
    std::cerr << "chipgate: --batch: " << parties.message() << "\n";
    return kExitFatal;
  }
  int rc = kExitOk;
  for (const auto& e : parties->errors) {
    std::cerr << e.to_string() << "\n";
    rc = kExitRowErrors;
  }
  if (!o.since.empty()) {
    auto before = load_screener(o.since, terms.value(), "--since");
    if (!before) {
      std::cerr << "chipgate: " << before.message() << "\n";
      return kExitFatal;
    }
    const auto changes = screen::rescreen(parties->parties, *before.value(), s, q, o.threads);
    if (format == "csv") std::cout << csv_header(true);
    for (const auto& c : changes) {
      if (format == "csv") {  // the party's hits after the change, each row led by what changed
        std::cout << csv_rows(c.party->id, c.party->name, c.after, &c.what);
        continue;
      }
      nlohmann::ordered_json j;
      j["id"] = c.party->id;
      j["change"] = c.what;
      j["before"] = screen::result_to_json(c.party->id, c.before, o.explain);
      j["after"] = screen::result_to_json(c.party->id, c.after, o.explain);
      j["before"].erase("id");
      j["after"].erase("id");
      std::cout << dump(j) << "\n";
    }
    std::cerr << "chipgate: " << changes.size() << " of " << parties->parties.size()
              << " parties changed between snapshot " << before.value()->snapshot_id().substr(0, 12) << " and "
              << s.snapshot_id().substr(0, 12) << "\n";
    return rc == kExitOk && !changes.empty() ? kExitAttention : rc;
  }
  const auto t0 = std::chrono::steady_clock::now();
  const auto results = s.batch(parties->parties, q, o.threads);
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::size_t matches = 0;
  if (format == "csv") std::cout << csv_header();
  for (std::size_t i = 0; i < results.size(); ++i) {
    const auto& r = results[i];
    const auto& p = parties->parties[i];
    matches += r.match ? 1 : 0;
    if (!r.error.empty()) {
      std::cerr << o.batch << ":" << p.line << ": name: " << r.error << "\n";
      rc = kExitRowErrors;
    }
    if (format == "csv") {
      std::cout << csv_rows(p.id, p.name, r);
    } else if (format == "table") {
      std::cout << p.id << "\t" << (r.match ? "MATCH" : "-") << "\t"
                << (r.hits.empty() ? std::string() : fixed(r.hits.front().score) + "\t" + r.hits.front().name) << "\n";
    } else {
      std::cout << dump(screen::result_to_json(p.id, r, o.explain)) << "\n";
    }
  }
  std::cerr << "chipgate: screened " << results.size() << " parties (" << matches << " matches) in " << fixed(secs, 3)
            << " s; lists snapshot " << s.snapshot_id().substr(0, 12) << ". " << io::kDisclaimer << "\n";
  return rc == kExitOk && matches > 0 ? kExitAttention : rc;
}

struct ListsOptions {
  std::vector<std::string> paths;
  std::string snapshots;
  std::string id;
  bool force = false;
  std::string terms;
};

int run_lists(const std::string& action, const ListsOptions& o, const char* argv0) {
  if (action == "show") {
    if (o.snapshots.empty()) {
      std::cerr << "chipgate lists show: --snapshots DIR is required\n";
      return kExitFatal;
    }
    auto path = screen::stored_snapshot_path(o.snapshots, o.id);
    if (!path) {
      std::cerr << "chipgate: " << path.message() << "\n";
      return kExitFatal;
    }
    std::string manifest = path.value().substr(0, path.value().size() - 6) + ".manifest.json";
    auto text = read_bounded_file(manifest, input_limits::kSnapshotManifest);
    if (!text) {
      std::cerr << "chipgate: " << text.message() << "\n";
      return kExitFatal;
    }
    std::cout << text.value();
    return kExitOk;
  }
  auto snap = screen::load_lists(o.paths);
  if (!snap) {
    std::cerr << "chipgate: " << snap.message() << " (nothing imported)\n";
    return kExitFatal;
  }
  for (const auto& i : snap->issues) std::cerr << "skipped: " << i.to_string() << "\n";
  auto manifest = screen::manifest_json(snap.value());
  if (action == "import") {
    auto terms = terms_for(o.terms, argv0);
    if (!terms) {
      std::cerr << "chipgate: --terms: " << terms.message() << "\n";
      return kExitFatal;
    }
    auto stored = screen::store_snapshot(snap.value(), o.snapshots, screen::drop_policy(*terms.value()), o.force);
    if (!stored) {
      std::cerr << "chipgate: " << stored.message() << "\n";
      return kExitFatal;
    }
    manifest["stored"] = stored.value();
  }
  std::cout << manifest.dump(2, ' ', false, nlohmann::ordered_json::error_handler_t::replace) << "\n";
  return snap->issues.empty() ? kExitOk : kExitRowErrors;
}

}  // namespace

void add_screen_command(CLI::App& app, int& exit_code, const char* argv0) {
  static ScreenOptions o;
  CLI::App* cmd = app.add_subcommand(
      "screen", "Screen a party name (or a batch file) against restricted-party lists: fuzzy, explained hits");
  cmd->add_option("name", o.name, "The party name to screen (any script; Chinese is transliterated to pinyin)");
  cmd->add_option("--lists", o.lists,
                  "List file or folder (BIS/nsfreg JSON, OFAC SDN JSON/CSV/legacy, trade.gov CSL CSV, snapshot); "
                  "repeatable; required to screen a NAME or --batch (the demo list: data/sample-parties.json)")
      ->allow_extra_args(false);  // one path per --lists, so that a NAME may follow
  cmd->add_option("--batch", o.batch, "CSV (header id,name[,country][,address]) or JSON Lines of parties");
  cmd->add_option("--since", o.since,
                  "Re-screening: the previous lists (file/folder/snapshot, repeatable); prints the parties of "
                  "--batch whose result changed")
      ->allow_extra_args(false);
  cmd->add_option("--compare", o.compare, "CSV of name pairs (id,name1,name2): score each pair directly");
  cmd->add_option("--country", o.country, "Party country (ISO code or name): lowers hits in other countries");
  cmd->add_option("--address", o.address, "Party address: lowers hits with no address word in common");
  cmd->add_flag("--country-filter", o.country_filter, "Drop hits whose entry country differs (hard filter)");
  cmd->add_option("--threshold", o.threshold, "Match threshold 0..1 (default: data/screening/terms.toml)");
  cmd->add_option("--max-hits", o.max_hits, "Hits per party (default 5)");
  cmd->add_option("--format", o.format,
                  "table (default for one name), json, jsonl (default for --batch) or csv (one row per hit)")
      ->check(CLI::IsMember({"table", "json", "jsonl", "csv"}));
  cmd->add_flag("--explain", o.explain, "JSON: the explanation as an object (token pairs, score parts)");
  cmd->add_option("--terms", o.terms, "Matcher word lists and settings (default: data/screening/terms.toml)");
  cmd->add_option("--threads", o.threads, "Worker threads for --batch (default 2)")->check(CLI::Range(1, 64));
  cmd->add_option("--rules", o.rules_dir, "Rules directory (locates the bundled data/ when --lists is absent)");
  cmd->callback([&exit_code, argv0] { exit_code = run_screen(o, argv0); });
}

void add_lists_command(CLI::App& app, int& exit_code, const char* argv0) {
  static ListsOptions o;
  CLI::App* cmd = app.add_subcommand("lists", "Restricted-party list files: check, import as snapshots, show");
  cmd->require_subcommand(1);
  CLI::App* check = cmd->add_subcommand("check", "Detect formats, count entries per source, report bad rows");
  check->add_option("paths", o.paths, "List files or folders")->required();
  CLI::App* import = cmd->add_subcommand(
      "import", "Store the lists as a snapshot (content id, per-source counts); refuses sharp count drops");
  import->add_option("paths", o.paths, "List files or folders")->required();
  import->add_option("--snapshots", o.snapshots, "Snapshot folder")->required();
  import->add_flag("--force", o.force, "Accept a snapshot even when a source's row count dropped sharply");
  import->add_option("--terms", o.terms, "Settings file with [snapshot] max_drop_fraction (default: terms.toml)");
  CLI::App* show = cmd->add_subcommand("show", "Print a stored snapshot's manifest");
  show->add_option("--snapshots", o.snapshots, "Snapshot folder")->required();
  show->add_option("id", o.id, "Snapshot id or prefix (default: latest)");
  for (auto* sub : {check, import, show}) {
    const std::string name = sub->get_name();
    sub->callback([&exit_code, argv0, name] { exit_code = run_lists(name, o, argv0); });
  }
}

}  // namespace chipgate::cli

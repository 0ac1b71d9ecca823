#include "screen/lists.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <set>
#include <unordered_map>

#include "core/bounded_file.h"
#include "core/json_util.h"
#include "core/sha256.h"
#include "io/catalog.h"
#include "io/csv.h"
#include "io/list_text.h"

namespace chipgate::screen {

namespace fs = std::filesystem;
using json = nlohmann::json;

namespace {

constexpr std::size_t kMaxNameBytes = 4000;  // longer published names are treated as bad rows

std::string trim(std::string_view s) {
  std::size_t b = 0, e = s.size();
  while (b < e && (s[b] == ' ' || s[b] == '\t' || s[b] == '\r' || s[b] == '\n')) ++b;
  while (e > b && (s[e - 1] == ' ' || s[e - 1] == '\t' || s[e - 1] == '\r' || s[e - 1] == '\n')) --e;
  return std::string(s.substr(b, e - b));
}

// OFAC legacy "-0-" (with or without trailing spaces) is empty.
std::string ofac_field(const std::string& f) {
  std::string t = trim(f);
  return t == "-0-" ? std::string() : t;
}

std::vector<std::string> split(const std::string& s, std::string_view sep) {
  std::vector<std::string> out;
  std::size_t pos = 0;
  while (pos <= s.size()) {
    const std::size_t next = s.find(sep, pos);
    std::string part =
        trim(std::string_view(s).substr(pos, next == std::string::npos ? std::string::npos : next - pos));
    if (!part.empty()) out.push_back(std::move(part));
    if (next == std::string::npos) break;
    pos = next + sep.size();
  }
  return out;
}

std::string lower(std::string s) {
  for (char& c : s)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + 32);
  return s;
}

bool all_digits(const std::string& s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

std::string json_string(const json& obj, const char* key) {
  auto it = obj.find(key);
  if (it == obj.end() || !it->is_string()) return "";
  return trim(it->get<std::string>());
}

// Checks a name; "" when usable, else the problem.
std::string name_problem(const std::string& name) {
  if (name.empty()) return "missing name";
  if (!is_valid_utf8(name)) return "name is not valid UTF-8";
  if (name.size() > kMaxNameBytes) return "name longer than " + std::to_string(kMaxNameBytes) + " bytes";
  return "";
}

void add_alias(ListEntry& e, std::string alias) {
  alias = trim(alias);
  if (alias.empty() || alias == e.name || !is_valid_utf8(alias) || alias.size() > kMaxNameBytes) return;
  if (std::find(e.aliases.begin(), e.aliases.end(), alias) != e.aliases.end()) return;
  e.aliases.push_back(std::move(alias));
}

// The family an OFAC legacy file belongs to: CONS_* files join the non-SDN consolidated list.
std::string ofac_family(const std::string& path) {
  return lower(fs::path(path).filename().string()).rfind("cons", 0) == 0 ? "ofac-cons" : "ofac-sdn";
}

// Rows of OFAC ADD/ALT/COMMENTS files, joined to primaries after every file is read.
struct Secondary {
  ListFormat format;
  std::string family;
  std::string file;
  std::size_t line;
  std::string ent_num;
  std::vector<std::string> fields;
};

struct Loader {
  Snapshot snap;
  std::vector<Secondary> secondary;

  void issue(const std::string& file, std::size_t line, std::string problem) {
    snap.issues.push_back({file, line, std::move(problem)});
  }

  Status nsfreg(const std::string& path, const json& j) {
    const std::string list = j.contains("list_id") && j["list_id"].is_string() ? j["list_id"].get<std::string>()
                                                                               : fs::path(path).stem().string();
    std::size_t k = 0;
    for (const auto& e : j["entities"]) {
      ++k;
      if (!e.is_object()) {
        issue(path, k, "entities[" + std::to_string(k - 1) + "]: not an object");
        continue;
      }
      ListEntry entry;
      entry.list = list;
      entry.entry_id = list + ":" + std::to_string(k);
      entry.name = json_string(e, "name");
      if (auto p = name_problem(entry.name); !p.empty()) {
        issue(path, k, "entities[" + std::to_string(k - 1) + "]: " + p);
        continue;
      }
      if (auto it = e.find("aliases"); it != e.end() && it->is_array())
        for (const auto& a : *it)
          if (a.is_string()) add_alias(entry, a.get<std::string>());
      if (auto c = json_string(e, "country"); !c.empty()) entry.countries.push_back(c);
      if (auto a = json_string(e, "address"); !a.empty()) entry.addresses.push_back(a);
      entry.federal_register = json_string(e, "federal_register");
      const std::string notes = json_string(e, "notes");
      entry.license_requirement = io::nsfreg_license_requirement(list, notes);
      entry.fdp = entry.license_requirement.find("734.9(e)") != std::string::npos;
      entry.start_date = json_string(e, "effective_date");
      entry.remarks = json_string(e, "status");
      if (entry.license_requirement.empty() && !notes.empty())  // another list's notes: a remark
        entry.remarks += (entry.remarks.empty() ? "" : "; ") + notes;
      entry.source = path;
      entry.line = k;
      snap.entries.push_back(std::move(entry));
    }
    return Status::ok();
  }

  Status ofac_json(const std::string& path, const json& j) {
    std::size_t k = 0;
    for (const auto& e : j["entries"]) {
      ++k;
      const std::string where = "entries[" + std::to_string(k - 1) + "]: ";
      if (!e.is_object()) {
        issue(path, k, where + "not an object");
        continue;
      }
      std::string uid;
      if (auto it = e.find("uid"); it != e.end()) {
        if (it->is_number_integer())
          uid = std::to_string(it->get<long long>());
        else if (it->is_string())
          uid = it->get<std::string>();
      }
      if (!all_digits(uid)) {
        issue(path, k, where + "missing or invalid uid");
        continue;
      }
      ListEntry entry;
      entry.list = "ofac-sdn";
      entry.entry_id = "ofac-sdn:" + uid;
      entry.name = json_string(e, "name");
      if (auto p = name_problem(entry.name); !p.empty()) {
        issue(path, k, where + p);
        continue;
      }
      entry.type = json_string(e, "type");
      if (auto it = e.find("programs"); it != e.end() && it->is_array())
        for (const auto& p : *it)
          if (p.is_string()) entry.programs.push_back(p.get<std::string>());
      if (auto it = e.find("alternateNames"); it != e.end() && it->is_array())
        for (const auto& a : *it)
          if (a.is_string()) add_alias(entry, a.get<std::string>());
      entry.source = path;
      entry.line = k;
      snap.entries.push_back(std::move(entry));
    }
    return Status::ok();
  }

  Status snapshot_jsonl(const std::string& path, std::string_view text) {
    LineSplitter lines(text);
    std::string_view row;
    std::size_t line = 0;
    bool too_long = false;
    while (lines.next(row, line, too_long)) {
      if (too_long) {
        issue(path, line, "line longer than " + describe_byte_limit(lines.max_line_bytes()));
        continue;
      }
      if (trim(row).empty()) continue;
      json e = json::parse(row, nullptr, false);
      if (e.is_discarded() || !e.is_object()) {
        issue(path, line, "not a JSON object");
        continue;
      }
      ListEntry entry;
      entry.list = json_string(e, "list");
      entry.entry_id = json_string(e, "entry_id");
      entry.name = json_string(e, "name");
      if (auto p = name_problem(entry.name); !p.empty() || entry.list.empty() || entry.entry_id.empty()) {
        issue(path, line, p.empty() ? "missing list or entry_id" : p);
        continue;
      }
      auto strings = [&](const char* key, std::vector<std::string>& out) {
        if (auto it = e.find(key); it != e.end() && it->is_array())
          for (const auto& v : *it)
            if (v.is_string() && is_valid_utf8(v.get<std::string>())) out.push_back(v.get<std::string>());
      };
      strings("aliases", entry.aliases);
      strings("addresses", entry.addresses);
      strings("countries", entry.countries);
      strings("programs", entry.programs);
      entry.type = json_string(e, "type");
      entry.federal_register = json_string(e, "federal_register");
      entry.license_requirement = json_string(e, "license_requirement");
      entry.license_policy = json_string(e, "license_policy");
      entry.fdp = e.value("fdp", false);
      entry.start_date = json_string(e, "start_date");
      entry.end_date = json_string(e, "end_date");
      entry.remarks = json_string(e, "remarks");
      entry.source = path;
      entry.line = line;
      snap.entries.push_back(std::move(entry));
    }
    return Status::ok();
  }

  void ofac_csv(const std::string& path, std::string_view text) {
    io::CsvReader reader(text);
    io::CsvRecord rec;
    std::string err;
    bool header = true;
    for (;;) {
      const auto st = reader.next(rec, err);
      if (st == io::CsvStatus::kEnd) break;
      if (st == io::CsvStatus::kError) {
        issue(path, rec.line, err);
        continue;
      }
      if (header) {
        header = false;
        continue;
      }
      if (rec.fields.size() < 2 || !all_digits(trim(rec.fields[0]))) {
        issue(path, rec.line, "expected uid,name,type,programs,alternate_names");
        continue;
      }
      ListEntry entry;
      entry.list = "ofac-sdn";
      entry.entry_id = "ofac-sdn:" + trim(rec.fields[0]);
      entry.name = trim(rec.fields[1]);
      if (auto p = name_problem(entry.name); !p.empty()) {
        issue(path, rec.line, p);
        continue;
      }
      if (rec.fields.size() > 2) entry.type = trim(rec.fields[2]);
      if (rec.fields.size() > 3) entry.programs = split(rec.fields[3], ";");
      if (rec.fields.size() > 4)
        for (auto& a : split(rec.fields[4], "; ")) add_alias(entry, a);
      entry.source = path;
      entry.line = rec.line;
      snap.entries.push_back(std::move(entry));
    }
  }

  void ofac_legacy(const std::string& path, std::string_view text, ListFormat format) {
    const std::string family = ofac_family(path);
    const std::size_t want = format == ListFormat::kOfacLegacySdn   ? 12
                             : format == ListFormat::kOfacLegacyAdd ? 6
                             : format == ListFormat::kOfacLegacyAlt ? 5
                                                                    : 2;
    io::CsvReader reader(text);
    io::CsvRecord rec;
    std::string err;
    for (;;) {
      const auto st = reader.next(rec, err);
      if (st == io::CsvStatus::kEnd) break;
      if (st == io::CsvStatus::kError) {
        issue(path, rec.line, err);
        continue;
      }
      const std::string ent = trim(rec.fields.empty() ? std::string() : rec.fields[0]);
      if (rec.fields.size() < want || !all_digits(ent)) {
        issue(path, rec.line,
              "expected " + std::to_string(want) + " fields starting with a numeric ent_num, found " +
                  std::to_string(rec.fields.size()));
        continue;
      }
      if (format != ListFormat::kOfacLegacySdn) {
        secondary.push_back({format, family, path, rec.line, ent, std::move(rec.fields)});
        continue;
      }
      ListEntry entry;
      entry.list = family;
      entry.entry_id = family + ":" + ent;
      entry.name = ofac_field(rec.fields[1]);
      if (auto p = name_problem(entry.name); !p.empty()) {
        issue(path, rec.line, p);
        continue;
      }
      const std::string type = lower(ofac_field(rec.fields[2]));
      entry.type = type.empty() ? "entity" : type;
      for (auto& p : split(ofac_field(rec.fields[3]), "] [")) {
        std::string prog = p;
        prog.erase(std::remove_if(prog.begin(), prog.end(), [](char c) { return c == '[' || c == ']'; }), prog.end());
        if (!prog.empty()) entry.programs.push_back(prog);
      }
      entry.remarks = ofac_field(rec.fields[11]);
      entry.source = path;
      entry.line = rec.line;
      snap.entries.push_back(std::move(entry));
    }
  }

  void csl(const std::string& path, std::string_view text) {
    io::CsvReader reader(text);
    io::CsvRecord rec;
    std::string err;
    std::unordered_map<std::string, std::size_t> col;
    for (;;) {
      const auto st = reader.next(rec, err);
      if (st == io::CsvStatus::kEnd) break;
      if (st == io::CsvStatus::kError) {
        issue(path, rec.line, err);
        continue;
      }
      if (col.empty()) {
        for (std::size_t i = 0; i < rec.fields.size(); ++i) col[lower(trim(rec.fields[i]))] = i;
        continue;
      }
      auto get = [&](const char* key) -> std::string {
        auto it = col.find(key);
        return it == col.end() || it->second >= rec.fields.size() ? std::string() : trim(rec.fields[it->second]);
      };
      ListEntry entry;
      const std::string source = get("source");
      const auto open = source.find('('), close = source.find(')');
      std::string abbr = open != std::string::npos && close != std::string::npos && close > open
                             ? source.substr(open + 1, close - open - 1)
                             : source;
      std::string id;
      for (char c : lower(abbr))
        if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) id.push_back(c);
      if (id.empty()) {
        issue(path, rec.line, "source: missing");
        continue;
      }
      entry.list = "csl-" + id;
      std::string name = get("name");
      if (auto cut = name.find("; and any successor"); cut != std::string::npos) name = trim(name.substr(0, cut));
      entry.name = name;
      if (auto p = name_problem(entry.name); !p.empty()) {
        issue(path, rec.line, "name: " + p);
        continue;
      }
      std::string num = get("entity_number");
      if (num.empty()) num = get("_id");
      entry.entry_id = entry.list + ":" + (num.empty() ? "line" + std::to_string(rec.line) : num);
      entry.type = lower(get("type"));
      entry.programs = split(get("programs"), ";");
      for (auto& a : split(get("alt_names"), "; ")) add_alias(entry, a);
      for (auto& a : split(get("addresses"), "; ")) {
        const auto comma = a.rfind(", ");
        if (comma != std::string::npos) {
          const std::string cc = a.substr(comma + 2);
          if (cc.size() == 2 && std::find(entry.countries.begin(), entry.countries.end(), cc) == entry.countries.end())
            entry.countries.push_back(cc);
        }
        entry.addresses.push_back(a);
      }
      for (const char* key : {"citizenships", "nationalities"})
        for (auto& c : split(get(key), ";"))
          if (std::find(entry.countries.begin(), entry.countries.end(), c) == entry.countries.end())
            entry.countries.push_back(c);
      entry.federal_register = get("federal_register_notice");
      entry.start_date = get("start_date");
      entry.end_date = get("end_date");
      entry.license_requirement = get("license_requirement");
      entry.license_policy = get("license_policy");
      entry.remarks = get("remarks");
      entry.source = path;
      entry.line = rec.line;
      snap.entries.push_back(std::move(entry));
    }
  }

  Status file(const std::string& path, std::string_view text) {
    auto format = detect_format(path, text);
    if (!format) return format.status();
    snap.files.emplace_back(path, format.value());
    switch (format.value()) {
      case ListFormat::kNsfregJson:
      case ListFormat::kOfacSdnJson: {
        json j = json::parse(text, nullptr, false);
        return format.value() == ListFormat::kNsfregJson ? nsfreg(path, j) : ofac_json(path, j);
      }
      case ListFormat::kSnapshotJsonl:
        return snapshot_jsonl(path, text);
      case ListFormat::kOfacSdnCsv:
        ofac_csv(path, text);
        return Status::ok();
      case ListFormat::kCslCsv:
        csl(path, text);
        return Status::ok();
      case ListFormat::kOfacLegacySdn:
      case ListFormat::kOfacLegacyAdd:
      case ListFormat::kOfacLegacyAlt:
      case ListFormat::kOfacLegacyComments:
        ofac_legacy(path, text, format.value());
        return Status::ok();
    }
    return Status::ok();
  }

  void join() {
    std::unordered_map<std::string, std::size_t> by_key;  // family + ":" + ent_num -> entry
    for (std::size_t i = 0; i < snap.entries.size(); ++i) {
      const auto& e = snap.entries[i];
      if (e.list == "ofac-sdn" || e.list == "ofac-cons") by_key.emplace(e.entry_id, i);
    }
    std::map<std::string, std::size_t> orphans;  // file -> rows
    for (auto& s : secondary) {
      auto it = by_key.find(s.family + ":" + s.ent_num);
      if (it == by_key.end()) {
        ++orphans[s.file];
        continue;
      }
      ListEntry& e = snap.entries[it->second];
      if (s.format == ListFormat::kOfacLegacyAlt) {
        add_alias(e, ofac_field(s.fields[3]));
      } else if (s.format == ListFormat::kOfacLegacyAdd) {
        std::string addr;
        for (std::size_t i : {2, 3, 4}) {
          const std::string f = ofac_field(s.fields[i]);
          if (!f.empty()) addr += (addr.empty() ? "" : ", ") + f;
        }
        if (!addr.empty()) e.addresses.push_back(addr);
        const std::string country = ofac_field(s.fields[4]);
        if (!country.empty() && std::find(e.countries.begin(), e.countries.end(), country) == e.countries.end())
          e.countries.push_back(country);
      } else {
        const std::string more = ofac_field(s.fields[1]);
        if (!more.empty()) e.remarks += (e.remarks.empty() ? "" : " ") + more;
      }
    }
    for (const auto& [file, n] : orphans)
      issue(file, 0,
            std::to_string(n) +
                " rows name an ent_num with no entry loaded (load the matching SDN.CSV, "
                "CONS_PRIM.CSV or ofac-sdn.json in the same call)");
  }
};

Result<std::vector<std::string>> expand(const std::vector<std::string>& paths) {
  std::vector<std::string> files;
  for (const auto& p : paths) {
    std::error_code ec;
    if (fs::is_directory(p, ec)) {
      std::vector<fs::path> in_dir;
      for (const auto& de : fs::directory_iterator(p, ec)) {
        if (!de.is_regular_file(ec)) continue;
        const std::string name = lower(de.path().filename().string());
        const std::string ext = lower(de.path().extension().string());
        if (ext != ".json" && ext != ".csv" && ext != ".jsonl") continue;
        if (name == "lists.json" || name == "metadata.json" || name.rfind("readme", 0) == 0 ||
            name.find(".manifest.") != std::string::npos)
          continue;
        in_dir.push_back(de.path());
      }
      if (ec) return Result<std::vector<std::string>>::error(p + ": cannot read folder: " + ec.message());
      std::sort(in_dir.begin(), in_dir.end());
      // The same list as .json and .csv (kindrat86 ofac-sdn): the JSON only.
      for (const auto& f : in_dir) {
        if (lower(f.extension().string()) == ".csv") {
          fs::path twin = f;
          twin.replace_extension(".json");
          if (std::find(in_dir.begin(), in_dir.end(), twin) != in_dir.end()) continue;
        }
        files.push_back(f.string());
      }
    } else if (fs::exists(p, ec)) {
      files.push_back(p);
    } else {
      return Result<std::vector<std::string>>::error(p + ": no such file or folder");
    }
  }
  if (files.empty()) return Result<std::vector<std::string>>::error("no list files found in the given paths");
  return files;
}

// The 1-based line of the first JSON syntax error in `text` (which does not parse).
std::size_t json_error_line(std::string_view text) {
  std::size_t byte = text.size();
  try {
    const json parsed = json::parse(text);
    static_cast<void>(parsed);
  } catch (const json::parse_error& e) {
    byte = std::min(e.byte, text.size());
  } catch (const json::exception&) {  // out_of_range for a number like 3E3333333: no position given
    byte = 0;
  }
  // nlohmann's byte is 1-based and points at (or just past) the offending character.
  const std::size_t at = byte == 0 ? 0 : byte - 1;
  return 1 + static_cast<std::size_t>(std::count(text.begin(), text.begin() + static_cast<std::ptrdiff_t>(at), '\n'));
}

}  // namespace

const char* format_name(ListFormat f) {
  switch (f) {
    case ListFormat::kNsfregJson:
      return "nsfreg-json";
    case ListFormat::kOfacSdnJson:
      return "ofac-sdn-json";
    case ListFormat::kOfacSdnCsv:
      return "ofac-sdn-csv";
    case ListFormat::kOfacLegacySdn:
      return "ofac-legacy-sdn";
    case ListFormat::kOfacLegacyAdd:
      return "ofac-legacy-add";
    case ListFormat::kOfacLegacyAlt:
      return "ofac-legacy-alt";
    case ListFormat::kOfacLegacyComments:
      return "ofac-legacy-comments";
    case ListFormat::kCslCsv:
      return "csl-csv";
    case ListFormat::kSnapshotJsonl:
      return "chipgate-snapshot-jsonl";
  }
  return "?";
}

std::string ImportIssue::to_string() const {
  return file + (line ? ":" + std::to_string(line) : std::string()) + ": " + problem;
}

Result<ListFormat> detect_format(const std::string& path, std::string_view text) {
  using R = Result<ListFormat>;
  std::string_view t = text;
  if (t.size() >= 3 && static_cast<unsigned char>(t[0]) == 0xEF && static_cast<unsigned char>(t[1]) == 0xBB &&
      static_cast<unsigned char>(t[2]) == 0xBF)
    t.remove_prefix(3);
  const std::size_t first = t.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) return R::error(path + ": not a list file: the file is empty");
  if (t[first] == '{' || t[first] == '[') {
    // The published JSON layouts nest 4 levels; a deeper document is not a list, and parsing a
    // deeply nested one costs far more memory than its size.
    constexpr std::size_t kMaxJsonDepth = 64;
    if (!json_nesting_within(t, kMaxJsonDepth))
      return R::error(path + ": not a list file: JSON nested more than " + std::to_string(kMaxJsonDepth) +
                      " levels deep");
    json j = json::parse(t, nullptr, false);
    if (!j.is_discarded()) {
      if (j.is_object() && j.contains("entities") && j["entities"].is_array()) return ListFormat::kNsfregJson;
      if (j.is_object() && j.contains("entries") && j["entries"].is_array()) return ListFormat::kOfacSdnJson;
      if (j.is_object() && j.contains("list") && j.contains("entry_id") && j.contains("name"))
        return ListFormat::kSnapshotJsonl;
      return R::error(path +
                      ": not a list file: a JSON document without \"entities\" (BIS/nsfreg layout) or \"entries\" "
                      "(OFAC SDN JSON)");
    }
    const std::size_t eol = t.find('\n', first);
    json line = json::parse(t.substr(first, eol == std::string_view::npos ? std::string_view::npos : eol - first),
                            nullptr, false);
    if (!line.is_discarded() && line.is_object() && line.contains("list") && line.contains("entry_id") &&
        line.contains("name"))
      return ListFormat::kSnapshotJsonl;
    return R::error(path + ":" + std::to_string(json_error_line(t)) + ": not a list file: invalid JSON");
  }
  if (!is_valid_utf8(t.substr(0, std::min<std::size_t>(t.size(), 4096))) &&
      t.substr(0, std::min<std::size_t>(t.size(), 4096)).find('\0') != std::string_view::npos)
    return R::error(path + ": not a list file: binary content");
  io::CsvReader reader(t);
  io::CsvRecord rec;
  std::string err;
  if (reader.next(rec, err) != io::CsvStatus::kRecord)
    return R::error(path + ":1: not a list file: the first line is not a CSV record" +
                    (err.empty() ? "" : " (" + err + ")"));
  std::vector<std::string> f;
  for (const auto& x : rec.fields) f.push_back(lower(trim(x)));
  auto has = [&](const char* k) { return std::find(f.begin(), f.end(), k) != f.end(); };
  if (f.size() >= 2 && f[0] == "uid" && f[1] == "name") return ListFormat::kOfacSdnCsv;
  if (has("source") && has("name") && (has("alt_names") || has("addresses") || has("entity_number")))
    return ListFormat::kCslCsv;
  if (!f.empty() && all_digits(f[0])) {
    const std::string name = lower(fs::path(path).filename().string());
    auto named = [&](const char* part) { return name.find(part) != std::string::npos; };
    if (f.size() == 12) return ListFormat::kOfacLegacySdn;
    if (f.size() == 6 && (named("add") || all_digits(f[1]))) return ListFormat::kOfacLegacyAdd;
    if (f.size() == 5 && (named("alt") || f[2] == "aka" || f[2] == "fka" || f[2] == "nka"))
      return ListFormat::kOfacLegacyAlt;
    if (f.size() == 2 && named("comment")) return ListFormat::kOfacLegacyComments;
  }
  std::string head;
  for (std::size_t i = 0; i < f.size() && i < 6; ++i) head += (i ? "," : "") + f[i].substr(0, 24);
  return R::error(path + ":1: not a list file: unrecognised CSV layout (first record: " + head +
                  "); expected OFAC SDN/ADD/ALT (legacy or uid,name,...), trade.gov CSL, or a JSON list");
}

void finalise_snapshot(Snapshot& s) {
  s.counts.clear();
  std::vector<std::string> lines;
  lines.reserve(s.entries.size());
  for (const auto& e : s.entries) {
    ++s.counts[e.list];
    lines.push_back(entry_to_json(e).dump(-1, ' ', false, json::error_handler_t::replace));
  }
  std::sort(lines.begin(), lines.end());
  std::string all;
  for (const auto& l : lines) all += l + "\n";
  s.id = sha256_hex(all);
}

Result<Snapshot> load_lists(const std::vector<std::string>& paths) {
  auto files = expand(paths);
  if (!files) return files.status();
  std::vector<std::string> contents;
  contents.reserve(files->size());
  for (const auto& f : files.value()) {
    auto text = read_bounded_file(f, input_limits::kListFile);
    if (!text) return text.status();
    contents.push_back(std::move(text).value());
  }
  std::vector<ListText> texts;
  for (std::size_t i = 0; i < contents.size(); ++i) texts.push_back({files.value()[i], contents[i]});
  return load_list_texts(texts);
}

Result<std::vector<std::string>> list_files(const std::vector<std::string>& paths) { return expand(paths); }

Result<Snapshot> load_list_texts(const std::vector<ListText>& files) {
  if (files.empty()) return Result<Snapshot>::error("no list files given");
  Loader loader;
  for (const auto& f : files)
    if (auto st = loader.file(f.name, f.text); !st) return st;
  loader.join();
  finalise_snapshot(loader.snap);
  return std::move(loader.snap);
}

Result<Snapshot> load_list_text(const std::string& path, std::string_view text) {
  return load_list_texts({{path, text}});
}

Snapshot snapshot_from_names(const std::vector<std::string>& names, const std::string& list) {
  Snapshot s;
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (!name_problem(names[i]).empty()) continue;
    ListEntry e;
    e.list = list;
    e.entry_id = list + ":" + std::to_string(i + 1);
    e.name = names[i];
    e.type = "entity";
    e.line = i + 1;
    s.entries.push_back(std::move(e));
  }
  finalise_snapshot(s);
  return s;
}

Status check_counts(const std::map<std::string, std::size_t>& previous, const std::map<std::string, std::size_t>& next,
                    const DropPolicy& policy, bool force) {
  std::string problems;
  for (const auto& [source, before] : previous) {
    if (before < policy.min_previous_rows) continue;
    auto it = next.find(source);
    const std::size_t after = it == next.end() ? 0 : it->second;
    if (after >= before) continue;
    const double drop = static_cast<double>(before - after) / static_cast<double>(before);
    if (drop <= policy.max_drop_fraction) continue;
    char pct[32];
    std::snprintf(pct, sizeof pct, "%.1f", drop * 100);
    problems += (problems.empty() ? "" : "; ") + source + ": " + std::to_string(before) + " -> " +
                std::to_string(after) + " rows (-" + pct + "%)";
  }
  if (problems.empty() || force) return Status::ok();
  char limit[32];
  std::snprintf(limit, sizeof limit, "%.0f", policy.max_drop_fraction * 100);
  return Status::error("refusing the new list snapshot: row counts dropped sharply against the previous snapshot (" +
                       problems + "; limit " + limit +
                       "%, snapshot.max_drop_fraction); check the source files, or "
                       "pass --force to accept it");
}

nlohmann::ordered_json entry_to_json(const ListEntry& e) {
  nlohmann::ordered_json j;
  j["list"] = e.list;
  j["entry_id"] = e.entry_id;
  j["name"] = e.name;
  j["aliases"] = e.aliases;
  j["type"] = e.type;
  j["addresses"] = e.addresses;
  j["countries"] = e.countries;
  j["programs"] = e.programs;
  j["federal_register"] = e.federal_register;
  j["license_requirement"] = e.license_requirement;
  j["license_policy"] = e.license_policy;
  j["fdp"] = e.fdp;
  j["start_date"] = e.start_date;
  j["end_date"] = e.end_date;
  j["remarks"] = e.remarks;
  return j;
}

nlohmann::ordered_json manifest_json(const Snapshot& s) {
  nlohmann::ordered_json j;
  j["id"] = s.id;
  j["entries"] = s.entries.size();
  j["counts"] = nlohmann::ordered_json::object();
  for (const auto& [list, n] : s.counts) j["counts"][list] = n;
  j["files"] = nlohmann::ordered_json::array();
  for (const auto& [f, fmt] : s.files) j["files"].push_back({{"path", f}, {"format", format_name(fmt)}});
  j["issues"] = nlohmann::ordered_json::array();
  for (const auto& i : s.issues) j["issues"].push_back({{"file", i.file}, {"line", i.line}, {"problem", i.problem}});
  return j;
}

namespace {

Status write_atomically(const fs::path& target, const std::string& bytes) {
  fs::path tmp = target;
  tmp += ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) return Status::error(tmp.string() + ": cannot write");
    out << bytes;
    out.close();
    if (!out) return Status::error(tmp.string() + ": write failed");
  }
  std::error_code ec;
  fs::rename(tmp, target, ec);
  if (ec) return Status::error(target.string() + ": cannot rename into place: " + ec.message());
  return Status::ok();
}

}  // namespace

Result<std::string> stored_snapshot_path(const std::string& dir, const std::string& id) {
  using R = Result<std::string>;
  std::string want = id;
  if (want.empty() || want == "latest") {
    auto latest = read_bounded_file((fs::path(dir) / "latest").string(), input_limits::kSnapshotManifest);
    if (!latest) return R::error(dir + ": no snapshot stored yet (no 'latest')");
    want = trim(latest.value());
  }
  std::error_code ec;
  std::vector<std::string> found;
  for (const auto& de : fs::directory_iterator(dir, ec)) {
    const std::string name = de.path().filename().string();
    if (name.size() > 6 && name.substr(name.size() - 6) == ".jsonl" && name.rfind(want, 0) == 0)
      found.push_back(de.path().string());
  }
  if (ec) return R::error(dir + ": " + ec.message());
  if (want.size() < 8 && want.size() != 64) return R::error("snapshot id '" + want + "': give at least 8 hex digits");
  if (found.empty()) return R::error(dir + ": no snapshot '" + want + "'");
  if (found.size() > 1) return R::error(dir + ": snapshot id '" + want + "' is ambiguous");
  return found.front();
}

Result<std::string> store_snapshot(const Snapshot& s, const std::string& dir, const DropPolicy& policy, bool force) {
  using R = Result<std::string>;
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return R::error(dir + ": cannot create: " + ec.message());
  const fs::path root(dir);
  if (auto latest = read_bounded_file((root / "latest").string(), input_limits::kSnapshotManifest); latest) {
    auto manifest =
        read_bounded_file((root / (trim(latest.value()) + ".manifest.json")).string(), input_limits::kSnapshotManifest);
    if (!manifest) return R::error(dir + ": the latest snapshot's manifest is missing: " + manifest.message());
    json m = json::parse(manifest.value(), nullptr, false);
    if (m.is_discarded() || !m.contains("counts") || !m["counts"].is_object())
      return R::error(dir + ": the latest snapshot's manifest is not valid");
    std::map<std::string, std::size_t> previous;
    for (auto it = m["counts"].begin(); it != m["counts"].end(); ++it)
      if (it.value().is_number_unsigned()) previous[it.key()] = it.value().get<std::size_t>();
    if (auto st = check_counts(previous, s.counts, policy, force); !st) return st;
  }
  std::string lines;
  for (const auto& e : s.entries) lines += entry_to_json(e).dump(-1, ' ', false, json::error_handler_t::replace) + "\n";
  auto manifest = manifest_json(s);
  manifest["created"] = [] {
    const std::time_t now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
    std::tm tm{};
    gmtime_r(&now, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return std::string(buf);
  }();
  if (auto st = write_atomically(root / (s.id + ".jsonl"), lines); !st) return st;
  if (auto st = write_atomically(root / (s.id + ".manifest.json"), manifest.dump(2) + "\n"); !st) return st;
  if (auto st = write_atomically(root / "latest", s.id + "\n"); !st) return st;
  return (root / (s.id + ".jsonl")).string();
}

}  // namespace chipgate::screen

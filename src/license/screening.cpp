#include "license/screening.h"

#include <algorithm>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "core/bounded_file.h"
#include "core/sha256.h"
#include "io/catalog.h"
#include "io/list_text.h"

namespace chipgate::license {

namespace fs = std::filesystem;

std::string ExactAliasScreener::normalise(std::string_view name) {
  std::string out;
  out.reserve(name.size());
  bool pending_space = false;
  for (char ch : name) {
    const auto c = static_cast<unsigned char>(ch);
    const bool alnum = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c >= 0x80;
    if (!alnum) {
      pending_space = !out.empty();
      continue;
    }
    if (pending_space) out.push_back(' ');
    pending_space = false;
    out.push_back(c >= 'a' && c <= 'z' ? static_cast<char>(c - 32) : ch);
  }
  return out;
}

Result<std::unique_ptr<ExactAliasScreener>> ExactAliasScreener::load(const std::vector<std::string>& paths) {
  std::vector<std::string> files;
  for (const auto& p : paths) {
    std::error_code ec;
    if (fs::is_directory(p, ec)) {
      std::vector<std::string> in_dir;
      for (const auto& de : fs::directory_iterator(p, ec))
        if (de.path().extension() == ".json" && de.path().filename() != "lists.json")
          in_dir.push_back(de.path().string());
      std::sort(in_dir.begin(), in_dir.end());
      files.insert(files.end(), in_dir.begin(), in_dir.end());
    } else {
      files.push_back(p);
    }
  }
  std::vector<std::string> contents;
  for (const auto& f : files) {
    auto text = read_bounded_file(f, input_limits::kListFile);
    if (!text) return text.status();
    contents.push_back(std::move(text).value());
  }
  std::vector<std::pair<std::string, std::string_view>> texts;
  for (std::size_t i = 0; i < files.size(); ++i) texts.emplace_back(files[i], contents[i]);
  return load_texts(texts);
}

Result<std::unique_ptr<ExactAliasScreener>> ExactAliasScreener::load_texts(
    const std::vector<std::pair<std::string, std::string_view>>& files) {
  using R = Result<std::unique_ptr<ExactAliasScreener>>;
  std::unique_ptr<ExactAliasScreener> s(new ExactAliasScreener());
  std::string hash_input;
  for (const auto& [f, text] : files) {
    auto j = nlohmann::json::parse(text, nullptr, false);
    // A file that is not a list is refused whole: nothing from it is used.
    if (j.is_discarded() || !j.is_object() || !j.contains("entities") || !j["entities"].is_array())
      return R::error(f + ": not a list file (expected a JSON object with \"list_id\" and \"entities\")");
    const std::string list = j.value("list_id", fs::path(f).stem().string());
    hash_input += f + "\n" + sha256_hex(text) + "\n";
    std::size_t index = 0;
    for (const auto& e : j["entities"]) {
      ++index;
      if (!e.is_object() || !e.contains("name") || !e["name"].is_string()) continue;
      Entry entry;
      entry.hit.list = list;
      entry.hit.entry_id = list + ":" + std::to_string(index);
      entry.hit.name = e["name"].get<std::string>();
      entry.hit.country = e.value("country", nlohmann::json()).is_string() ? e["country"].get<std::string>() : "";
      entry.hit.federal_register =
          e.value("federal_register", nlohmann::json()).is_string() ? e["federal_register"].get<std::string>() : "";
      entry.hit.license_requirement = io::nsfreg_license_requirement(
          list, e.value("notes", nlohmann::json()).is_string() ? e["notes"].get<std::string>() : "");
      entry.hit.fdp = entry.hit.license_requirement.find("734.9(e)") != std::string::npos;
      entry.names.push_back(entry.hit.name);
      if (e.contains("aliases") && e["aliases"].is_array())
        for (const auto& a : e["aliases"])
          if (a.is_string()) entry.names.push_back(a.get<std::string>());
      s->entries_.push_back(std::move(entry));
    }
  }
  for (std::size_t i = 0; i < s->entries_.size(); ++i)
    for (const auto& n : s->entries_[i].names) {
      auto norm = normalise(n);
      if (!norm.empty()) s->index_.emplace_back(std::move(norm), i);
    }
  std::sort(s->index_.begin(), s->index_.end());
  s->snapshot_id_ = sha256_hex(hash_input);
  return s;
}

std::vector<PartyHit> ExactAliasScreener::screen(std::string_view name, std::string_view country) const {
  std::vector<PartyHit> hits;
  const std::string key = normalise(name);
  if (key.empty()) return hits;
  auto it = std::lower_bound(index_.begin(), index_.end(), key,
                             [](const auto& a, const std::string& k) { return a.first < k; });
  for (; it != index_.end() && it->first == key; ++it) {
    const Entry& e = entries_[it->second];
    if (std::any_of(hits.begin(), hits.end(), [&](const PartyHit& h) { return h.entry_id == e.hit.entry_id; }))
      continue;
    PartyHit hit = e.hit;
    hit.score = 1.0;
    for (const auto& n : e.names)
      if (normalise(n) == key) {
        hit.matched_name = n;
        break;
      }
    hit.explanation = hit.matched_name == e.hit.name
                          ? "exact match of the entry's name after normalisation"
                          : "exact match of an alias ('" + hit.matched_name + "') after normalisation";
    if (!country.empty() && !hit.country.empty())
      hit.explanation += "; entry country " + hit.country + ", party country " + std::string(country);
    hits.push_back(std::move(hit));
  }
  return hits;
}

std::vector<PartyHit> MemoizingScreener::screen(std::string_view name, std::string_view country) const {
  std::string key;
  key.reserve(name.size() + country.size() + 1);
  key.append(name).push_back('\x1f');
  key.append(country);
  {
    std::lock_guard lock(mutex_);
    if (auto it = memo_.find(key); it != memo_.end()) return it->second;
  }
  // Screened outside the lock: two threads may screen the same new party at once; both get the
  // same answer and one of them is kept.
  auto hits = inner_.screen(name, country);
  std::lock_guard lock(mutex_);
  if (memo_.size() >= max_entries_) memo_.clear();
  memo_.emplace(std::move(key), hits);
  return hits;
}

}  // namespace chipgate::license

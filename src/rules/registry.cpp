#include "rules/registry.h"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <map>

#include "core/sha256.h"
#include "core/toml_input.h"
#include "rules/loader.h"

namespace chipgate::rules {

namespace fs = std::filesystem;

struct Registry::Impl {
  std::map<std::string, detail::RuleFile> version_files;   // by version id
  std::map<std::string, detail::RuleFile> scenario_files;  // by scenario name
  std::map<std::string, VersionInfo> version_infos;
  std::map<std::string, std::string> countries;  // ISO 3166-1 alpha-2 -> name
  std::map<std::string, ScenarioInfo> scenario_by_name;
  // Resolved scenario rule sets, built on first use: key "version+scenario".
  mutable std::mutex cache_mutex;
  mutable std::map<std::string, RuleSetPtr> scenario_cache;

  // The files whose merge makes `version_id`, oldest first.
  std::vector<const detail::RuleFile*> chain(const std::string& version_id) const {
    std::vector<const detail::RuleFile*> files;
    for (std::string id = version_id; !id.empty(); id = version_infos.at(id).extends)
      files.push_back(&version_files.at(id));
    std::reverse(files.begin(), files.end());
    return files;
  }

  Result<RuleSetPtr> build(const std::string& version_id, const ScenarioInfo* scenario) const {
    auto files = chain(version_id);
    if (scenario) files.push_back(&scenario_files.at(scenario->name));
    toml::table merged;
    std::string hash_input;
    auto rs = std::make_shared<RuleSet>();
    for (const auto* f : files) {
      // Re-parsed (cheap) so that its nodes can be moved into the merge with their line numbers.
      auto parsed = parse_toml(f->bytes, f->name);
      if (!parsed) return parsed.status();
      toml::table patch = std::move(parsed).value();
      patch.erase("version");
      patch.erase("scenario");
      detail::merge_patch(merged, std::move(patch));
      hash_input += f->name + "\n" + std::to_string(f->bytes.size()) + "\n" + f->bytes;
      rs->files.push_back(f->name);
    }
    rs->version = version_infos.at(version_id);
    if (scenario) rs->scenario = *scenario;
    if (auto s = detail::compile_rules(merged, countries, *rs); !s) {
      const std::string what =
          scenario ? "scenario '" + scenario->name + "' over version " + version_id : "version " + version_id;
      return Result<RuleSetPtr>::error(s.message() + " (while resolving " + what + ")");
    }
    rs->hash = sha256_hex(hash_input);
    return RuleSetPtr(std::move(rs));
  }
};

Registry::Registry() : impl_(std::make_shared<Impl>()) {}

Result<std::shared_ptr<Registry>> Registry::load(const std::string& dir) {
  using R = Result<std::shared_ptr<Registry>>;
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return R::error("rules directory '" + dir + "' does not exist or is not a directory");
  std::shared_ptr<Registry> reg(new Registry());
  reg->dir_ = dir;
  auto& impl = *reg->impl_;

  // The ISO 3166-1 reference lives beside the jurisdiction's directory (rules/reference/).
  const fs::path country_file = fs::path(dir) / ".." / "reference" / "iso3166-1.toml";
  if (fs::exists(country_file, ec)) {
    auto countries = detail::read_country_file(country_file.string(), "reference/iso3166-1.toml");
    if (!countries) return countries.status();
    impl.countries = std::move(countries).value();
  }

  std::vector<fs::path> version_paths, scenario_paths;
  for (const auto& de : fs::directory_iterator(dir, ec))
    if (de.is_regular_file() && de.path().extension() == ".toml") version_paths.push_back(de.path());
  if (fs::is_directory(fs::path(dir) / "scenarios", ec))
    for (const auto& de : fs::directory_iterator(fs::path(dir) / "scenarios", ec))
      if (de.is_regular_file() && de.path().extension() == ".toml") scenario_paths.push_back(de.path());
  std::sort(version_paths.begin(), version_paths.end());
  std::sort(scenario_paths.begin(), scenario_paths.end());
  if (version_paths.empty()) return R::error("rules directory '" + dir + "' holds no version files (*.toml)");

  for (const auto& p : version_paths) {
    auto file = detail::read_rule_file(p.string(), p.filename().string());
    if (!file) return file.status();
    auto info = detail::compile_version_info(file.value());
    if (!info) return info.status();
    const std::string id = info->id;
    impl.version_infos.emplace(id, std::move(info).value());
    impl.version_files.emplace(id, std::move(file).value());
  }
  // The chain must be well formed: every `extends` names an older version, one root, no cycles.
  int roots = 0;
  for (const auto& [id, v] : impl.version_infos) {
    if (v.extends.empty()) {
      ++roots;
      continue;
    }
    auto parent = impl.version_infos.find(v.extends);
    if (parent == impl.version_infos.end())
      return R::error(v.source.to_string() + ": version.extends: no version '" + v.extends + "' in " + dir);
    if (!(parent->second.effective < v.effective))
      return R::error(v.source.to_string() + ": version.extends: '" + v.extends + "' does not take effect before '" +
                      id + "'");
  }
  if (roots != 1)
    return R::error(dir + ": exactly one version must have no 'extends' (found " + std::to_string(roots) + ")");

  for (const auto& p : scenario_paths) {
    auto file = detail::read_rule_file(p.string(), "scenarios/" + p.filename().string());
    if (!file) return file.status();
    auto info = detail::compile_scenario_info(file.value());
    if (!info) return info.status();
    for (const auto& ref : {info->pinned_base, info->min_version})
      if (!ref.empty() && !impl.version_infos.count(ref))
        return R::error(info->source.to_string() + ": scenario: no version '" + ref + "'");
    reg->scenario_infos_.push_back(info.value());
    impl.scenario_by_name.emplace(info->name, info.value());
    impl.scenario_files.emplace(info->name, std::move(file).value());
  }

  for (const auto& [id, v] : impl.version_infos) {
    auto rs = impl.build(id, nullptr);
    if (!rs) return rs.status();
    reg->versions_.push_back(rs.value());
  }
  std::sort(reg->versions_.begin(), reg->versions_.end(),
            [](const RuleSetPtr& a, const RuleSetPtr& b) { return a->version.effective < b->version.effective; });
  if (!reg->versions_.empty())
    for (const auto& p : reg->versions_.front()->license.party_lists)
      if (p.predates_versions) reg->standing_.party_lists.push_back(p);
  // Every scenario must resolve over every version it can meet, so a broken patch fails at load.
  for (const auto& sc : reg->scenario_infos_) {
    for (const auto& v : reg->versions_) {
      if (!sc.pinned_base.empty() && sc.pinned_base != v->version.id) continue;
      if (!sc.min_version.empty() && v->version.effective < impl.version_infos.at(sc.min_version).effective) continue;
      auto rs = reg->resolve(v->version.id, sc.name);
      if (!rs) return rs.status();
    }
  }
  return reg;
}

namespace {

// A scenario name is also a file name and part of rule-set labels ("VERSION+NAME"): letters,
// digits, '-', '_' and '.', at most 64, not starting with '.'.
bool valid_scenario_name(const std::string& name) {
  if (name.empty() || name.size() > 64 || name.front() == '.') return false;
  for (const char c : name)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_' && c != '.') return false;
  return true;
}

}  // namespace

Result<std::shared_ptr<Registry>> Registry::with_scenario(const std::string& toml_text,
                                                          const std::string& expected_name,
                                                          ScenarioProblem* problem) const {
  using R = Result<std::shared_ptr<Registry>>;
  ScenarioProblem ignored;
  ScenarioProblem& kind = problem ? *problem : ignored;
  kind = ScenarioProblem::kSyntax;
  std::string name = expected_name;
  if (name.empty()) {
    auto probe = detail::parse_rule_text(toml_text, "scenario");
    if (!probe) return probe.status();
    kind = ScenarioProblem::kInvalid;
    const auto* sc = probe->table->get("scenario");
    const auto* n = sc && sc->is_table() ? sc->as_table()->get("name") : nullptr;
    if (!n || !n->is_string())
      return R::error("scenario:1: scenario.name: missing (the [scenario] table must name the scenario)");
    name = n->value<std::string>().value();
  }
  kind = ScenarioProblem::kInvalid;
  if (!valid_scenario_name(name))
    return R::error(
        "scenario.name: '" + name +
        "' is not a valid scenario name (letters, digits, '-', '_', '.'; at most 64; not starting with '.')");
  if (impl_->scenario_by_name.count(name)) {
    kind = ScenarioProblem::kExists;
    return R::error("scenario '" + name + "' already exists");
  }
  kind = ScenarioProblem::kSyntax;
  auto file = detail::parse_rule_text(toml_text, "scenarios/" + name + ".toml");
  if (!file) return file.status();
  kind = ScenarioProblem::kInvalid;
  auto info = detail::compile_scenario_info(file.value());
  if (!info) return info.status();
  for (const auto& ref : {info->pinned_base, info->min_version})
    if (!ref.empty() && !impl_->version_infos.count(ref))
      return R::error(info->source.to_string() + ": scenario: no version '" + ref + "'");

  std::shared_ptr<Registry> reg(new Registry());
  reg->dir_ = dir_;
  reg->versions_ = versions_;
  reg->standing_ = standing_;
  reg->scenario_infos_ = scenario_infos_;
  auto& impl = *reg->impl_;
  impl.version_files = impl_->version_files;
  impl.scenario_files = impl_->scenario_files;
  impl.version_infos = impl_->version_infos;
  impl.countries = impl_->countries;
  impl.scenario_by_name = impl_->scenario_by_name;
  {
    std::lock_guard lock(impl_->cache_mutex);
    impl.scenario_cache = impl_->scenario_cache;  // immutable rule sets, shared
  }
  reg->scenario_infos_.push_back(info.value());
  impl.scenario_by_name.emplace(name, info.value());
  impl.scenario_files.emplace(name, std::move(file).value());
  // As at load: the patch must resolve over every version it can meet.
  for (const auto& v : reg->versions_) {
    if (!info->pinned_base.empty() && info->pinned_base != v->version.id) continue;
    if (!info->min_version.empty() && v->version.effective < impl.version_infos.at(info->min_version).effective)
      continue;
    auto rs = reg->resolve(v->version.id, name);
    if (!rs) return rs.status();
  }
  kind = ScenarioProblem::kNone;
  return reg;
}

const std::map<std::string, std::string>& Registry::countries() const { return impl_->countries; }

Result<std::vector<Letter>> Registry::load_letters(const std::string& path) const {
  auto file = detail::read_rule_file(path, fs::path(path).filename().string());
  if (!file) return file.status();
  return detail::compile_letters(file.value(), impl_->countries);
}

RuleSetPtr Registry::in_force(Date date) const {
  RuleSetPtr found;
  for (const auto& v : versions_)
    if (v->version.effective <= date) found = v;
  return found;
}

RuleSetPtr Registry::version(const std::string& id) const {
  for (const auto& v : versions_)
    if (v->version.id == id) return v;
  return nullptr;
}

Result<RuleSetPtr> Registry::resolve(Date date, const std::string& scenario) const {
  if (scenario.empty()) return in_force(date);
  auto it = impl_->scenario_by_name.find(scenario);
  if (it == impl_->scenario_by_name.end()) {
    std::string names;
    for (const auto& s : scenario_infos_) names += (names.empty() ? "" : ", ") + s.name;
    return Result<RuleSetPtr>::error("unknown scenario '" + scenario + "' (available: " + names + ")");
  }
  if (!it->second.pinned_base.empty()) return resolve(it->second.pinned_base, scenario);
  RuleSetPtr base = in_force(date);
  if (!base) return RuleSetPtr();
  return resolve(base->version.id, scenario);
}

Result<RuleSetPtr> Registry::resolve(const std::string& version_or_date, const std::string& scenario) const {
  RuleSetPtr base = version(version_or_date);
  if (!base) {
    auto date = Date::parse(version_or_date);
    if (!date) return Result<RuleSetPtr>::error("'" + version_or_date + "' is neither a rule version id nor a date");
    if (scenario.empty() || !impl_->scenario_by_name.count(scenario)) return resolve(date.value(), scenario);
    base = in_force(date.value());
    if (!base) return RuleSetPtr();
  }
  if (scenario.empty()) return base;
  auto it = impl_->scenario_by_name.find(scenario);
  if (it == impl_->scenario_by_name.end()) return resolve(base->version.effective, scenario);
  if (!it->second.min_version.empty() &&
      base->version.effective < impl_->version_infos.at(it->second.min_version).effective)
    return Result<RuleSetPtr>::error("scenario '" + scenario + "' patches rule versions from " +
                                     it->second.min_version + " on; the version here is " + base->version.id);
  const std::string key = base->version.id + "+" + scenario;
  std::lock_guard lock(impl_->cache_mutex);
  if (auto c = impl_->scenario_cache.find(key); c != impl_->scenario_cache.end()) return c->second;
  auto built = impl_->build(base->version.id, &it->second);
  if (!built) return built;
  impl_->scenario_cache.emplace(key, built.value());
  return built;
}

}  // namespace chipgate::rules

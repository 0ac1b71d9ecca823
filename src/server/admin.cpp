// The administrative routes of the HTTP API (role admin), every change audited by the store:
//   POST /v1/keys          create an API key; the secret is in this one answer only
//   GET /v1/keys           the keys, never a secret or its hash
//   DELETE /v1/keys/{id}   revoke; the key is refused (401) from the next request on
//   POST /v1/scenarios     install a scenario (TOML), validated like rules/<jurisdiction>/scenarios/*.toml
// and what `chipgate serve` records at start: the installed scenarios are loaded from the store (so
// every instance sharing a PostgreSQL store knows them; one installed through another instance later
// is loaded when a request names it or the scenarios are listed), the rule versions in use are
// recorded once per rule-set hash, and the catalog's products when they changed.
#include <algorithm>
#include <regex>
#include <set>

#include "core/sha256.h"
#include "io/catalog.h"
#include "server/service.h"

namespace chipgate::server {

namespace {

using ojson = nlohmann::ordered_json;

constexpr const char* kSystemActor = "system:serve";

Response json_response(int status, const ojson& body) {
  return {status, "application/json", body.dump(-1, ' ', false, ojson::error_handler_t::replace) + "\n", {}};
}

Response error_response(int status, const std::string& code, const std::string& message,
                        std::vector<FieldError> fields = {}) {
  return json_response(status, ApiError{status, code, message, std::move(fields)}.to_json());
}

Response store_unavailable(const std::string& what) {
  return error_response(503, "store_unavailable", what + "; nothing was changed");
}

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

ojson key_to_json(const store::ApiKeyInfo& k, Date today) {
  const char* status = k.revoked ? "revoked" : (k.expires && today >= *k.expires) ? "expired" : "active";
  return {{"id", k.id},
          {"name", k.name},
          {"role", std::string(store::role_name(k.role))},
          {"created", k.created},
          {"expires", k.expires ? ojson(k.expires->to_string()) : ojson(nullptr)},
          {"revoked", k.revoked ? ojson(*k.revoked) : ojson(nullptr)},
          {"status", status}};
}

// "k-" + 16 lower-case hex digits, as Store::create_key makes them.
bool valid_key_id(const std::string& id) {
  if (id.size() != 18 || id.compare(0, 2, "k-") != 0) return false;
  return std::all_of(id.begin() + 2, id.end(), [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

// A rules error "FILE:LINE: path: problem" as a field error {"field": path or "toml", "line", "problem"}.
ojson rules_error_fields(const std::string& message) {
  static const std::regex located(R"(^([^:\s]+):(\d+): (.*)$)");
  static const std::regex with_path(R"(^([A-Za-z0-9_.\[\]"-]+): (.*)$)");
  std::smatch m;
  ojson f = {{"field", "toml"}};
  std::string rest = message;
  if (std::regex_match(message, m, located)) {
    f["file"] = m[1].str();
    f["line"] = std::stoll(m[2].str());
    rest = m[3].str();
  }
  std::smatch p;
  if (std::regex_match(rest, p, with_path)) f["field"] = p[1].str();
  f["problem"] = message;
  return ojson::array({f});
}

bool knows_scenario(const rules::Registry& registry, const std::string& name) {
  const auto& known = registry.scenarios();
  return std::any_of(known.begin(), known.end(), [&](const rules::ScenarioInfo& s) { return s.name == name; });
}

// A product as stored: the catalog's field names (io::item_to_json, readable by io::item_from_json).
nlohmann::json product_json(const classify::Item& item) { return nlohmann::json(io::item_to_json(item)); }

// A product record as written before the store used the catalog's names: the vendor's published TPP
// was "tpp_declared" (now "tpp_published"). Read with the current names, so that an unchanged
// catalog is not imported again after an upgrade.
nlohmann::json with_current_names(nlohmann::json stored) {
  if (stored.is_object() && stored.contains("tpp_declared") && !stored.contains("tpp_published")) {
    stored["tpp_published"] = std::move(stored["tpp_declared"]);
    stored.erase("tpp_declared");
  }
  return stored;
}

}  // namespace

std::optional<Response> Service::dispatch_admin(const Route& route, const std::string& param, const Request& request,
                                                const std::string& actor) {
  const std::string& p = route.path;
  if (p == "/v1/keys") return route.method == "GET" ? keys_list() : keys_create(request, actor);
  if (p == "/v1/keys/{id}") return keys_revoke(param, actor);
  if (p == "/v1/scenarios" && route.method == "POST") return scenarios_post(request, actor);
  return std::nullopt;
}

void Service::use_registry(std::shared_ptr<const rules::Registry> registry) {
  auto current = engine();
  auto next = std::make_shared<Engine>();
  next->screener = current->screener;
  next->list_paths = current->list_paths;
  next->ownership = current->ownership;
  next->registry = std::move(registry);
  std::lock_guard lock(engine_mutex_);
  engine_ = std::move(next);
}

// ---- keys ------------------------------------------------------------------------------------

Response Service::keys_create(const Request& request, const std::string& actor) {
  if (!request.content_type.empty() && request.content_type.find("json") == std::string::npos)
    return error_response(415, "unsupported_media_type",
                          "the body must be JSON (Content-Type: application/json), not " + request.content_type);
  ApiError err;
  auto body = parse_json_body(request.body, options_.limits, err);
  if (!body) return json_response(err.status, err.to_json());
  const nlohmann::json& j = body.value();
  if (!j.is_object())
    return error_response(
        400, "invalid_request",
        R"(the body must be a JSON object {"role", "name", "expires"}, not )" + std::string(j.type_name()));
  std::vector<FieldError> problems;
  for (const auto& [k, v] : j.items())
    if (k != "role" && k != "name" && k != "expires")
      problems.push_back({k, "unknown field (known: role, name, expires)"});
  std::optional<store::Role> role;
  if (!j.contains("role")) {
    problems.push_back({"role", "missing (viewer, analyst or admin)"});
  } else if (!j["role"].is_string()) {
    problems.push_back(
        {"role", std::string("must be a string (viewer, analyst or admin), not ") + j["role"].type_name()});
  } else if (auto r = store::parse_role(j["role"].get<std::string>()); !r) {
    problems.push_back({"role", r.message()});
  } else {
    role = r.value();
  }
  std::string name;
  if (j.contains("name") && !j["name"].is_null()) {
    if (!j["name"].is_string())
      problems.push_back({"name", std::string("must be a string, not ") + j["name"].type_name()});
    else if (j["name"].get<std::string>().size() > 200)
      problems.push_back({"name", "longer than 200 bytes"});
    else
      name = j["name"].get<std::string>();
  }
  std::optional<Date> expires;
  if (j.contains("expires") && !j["expires"].is_null()) {
    if (!j["expires"].is_string()) {
      problems.push_back({"expires", std::string("must be a date YYYY-MM-DD, not ") + j["expires"].type_name()});
    } else if (auto d = Date::parse(j["expires"].get<std::string>()); !d) {
      problems.push_back({"expires", d.message()});
    } else if (Status e = store::check_key_expiry(d.value()); !e) {
      // The rule of `chipgate keys create` too: a key refused from its expiry date on could never be used.
      problems.push_back({"expires", e.message().substr(std::string("expires: ").size())});
    } else {
      expires = d.value();
    }
  }
  if (!problems.empty()) {
    // The message first: argument evaluation order is unspecified and `problems` is moved.
    const std::string message = "invalid key request: " + problems.front().field + ": " + problems.front().problem;
    return error_response(400, "invalid_request", message, std::move(problems));
  }
  auto key = store_->create_key(actor, *role, name, expires);
  if (!key) {
    log("create_key failed: " + key.message());
    return store_unavailable("the key could not be created");
  }
  metrics_.add_recorded("key.create", 1);
  ojson out = key_to_json(key->info, Date::today_utc());
  out["key"] = key->secret;
  out["note"] = "the key is shown only in this answer; the store keeps its SHA-256 only";
  return json_response(201, out);
}

Response Service::keys_list() {
  auto keys = store_->list_keys();
  if (!keys) {
    log("list_keys failed: " + keys.message());
    return error_response(503, "store_unavailable", "the store is unavailable; retry later");
  }
  const Date today = Date::today_utc();
  ojson arr = ojson::array();
  for (const auto& k : keys.value()) arr.push_back(key_to_json(k, today));
  return json_response(200, ojson{{"keys", std::move(arr)}});
}

Response Service::keys_revoke(const std::string& id, const std::string& actor) {
  if (!valid_key_id(id))
    return error_response(400, "invalid_request", "id: '" + id + "' is not a key id (k- and 16 hex digits)",
                          {{"id", "not a key id (k- and 16 hex digits)"}});
  auto keys = store_->list_keys();
  if (!keys) {
    log("list_keys failed: " + keys.message());
    return store_unavailable("the store is unavailable");
  }
  auto it = std::find_if(keys->begin(), keys->end(), [&](const store::ApiKeyInfo& k) { return k.id == id; });
  if (it == keys->end()) return error_response(404, "not_found", "no key " + id);
  if (it->revoked) return error_response(409, "conflict", "key " + id + " was already revoked on " + *it->revoked);
  if (auto st = store_->revoke_key(actor, id); !st) {
    // Another request (or instance) may have revoked it meanwhile.
    if (st.message().find("already revoked") != std::string::npos) return error_response(409, "conflict", st.message());
    log("revoke_key failed: " + st.message());
    return store_unavailable("the key could not be revoked");
  }
  metrics_.add_recorded("key.revoke", 1);
  auto after = store_->list_keys();
  store::ApiKeyInfo revoked = *it;
  if (after)
    for (const auto& k : after.value())
      if (k.id == id) revoked = k;
  return json_response(200, key_to_json(revoked, Date::today_utc()));
}

// ---- scenarios -------------------------------------------------------------------------------

Response Service::scenarios_post(const Request& request, const std::string& actor) {
  // The body: the TOML text itself (Content-Type application/toml or text/plain), or JSON
  // {"name": optional, "toml": text}. Without a Content-Type, a body starting with '{' is JSON.
  const std::string ct = lower(request.content_type);
  const auto first = request.body.find_first_not_of(" \t\r\n");
  const bool is_json =
      ct.find("json") != std::string::npos || (ct.empty() && first != std::string::npos && request.body[first] == '{');
  if (!is_json && !ct.empty() && ct.find("toml") == std::string::npos && ct.find("text/plain") == std::string::npos)
    return error_response(415, "unsupported_media_type",
                          "the body must be the scenario's TOML (Content-Type: application/toml) or JSON "
                          "{\"name\", \"toml\"} (application/json), not " +
                              request.content_type);
  if (request.body.size() > options_.limits.max_body_bytes)
    return error_response(413, "body_too_large",
                          "the body is larger than " + std::to_string(options_.limits.max_body_bytes) + " bytes");
  std::string name, text;
  if (is_json) {
    ApiError err;
    auto body = parse_json_body(request.body, options_.limits, err);
    if (!body) return json_response(err.status, err.to_json());
    const nlohmann::json& j = body.value();
    if (!j.is_object())
      return error_response(400, "invalid_request",
                            R"(the body must be a JSON object {"name", "toml"}, not )" + std::string(j.type_name()));
    std::vector<FieldError> problems;
    for (const auto& [k, v] : j.items())
      if (k != "name" && k != "toml") problems.push_back({k, "unknown field (known: name, toml)"});
    if (!j.contains("toml"))
      problems.push_back({"toml", "missing (the scenario file's TOML text)"});
    else if (!j["toml"].is_string())
      problems.push_back({"toml", std::string("must be a string, not ") + j["toml"].type_name()});
    else
      text = j["toml"].get<std::string>();
    if (j.contains("name")) {
      if (!j["name"].is_string())
        problems.push_back({"name", std::string("must be a string, not ") + j["name"].type_name()});
      else
        name = j["name"].get<std::string>();
    }
    if (!problems.empty()) {
      // The message first: argument evaluation order is unspecified and `problems` is moved.
      const std::string message =
          "invalid scenario request: " + problems.front().field + ": " + problems.front().problem;
      return error_response(400, "invalid_request", message, std::move(problems));
    }
  } else {
    text = request.body;
  }
  if (text.find_first_not_of(" \t\r\n") == std::string::npos)
    return error_response(400, "invalid_request", "toml: empty (expected a scenario file: [scenario] name, title, ...)",
                          {{"toml", "empty"}});

  std::lock_guard lock(import_mutex_);  // one install (or list import) at a time in this instance
  const auto current = engine()->registry;
  rules::Registry::ScenarioProblem problem = rules::Registry::ScenarioProblem::kNone;
  auto next = current->with_scenario(text, name, &problem);
  const std::string sha = sha256_hex(text);

  // A name already known here or in the store: the same text again is accepted (nothing new is
  // recorded); other content under an existing name is a conflict. Names never change meaning, so
  // a decision's rule_set_id ("VERSION+NAME") always refers to one text.
  auto already = [&](const std::string& scenario_name) -> Response {
    auto installed = store_->installed_scenarios();
    if (!installed) {
      log("installed_scenarios failed: " + installed.message());
      return store_unavailable("the store is unavailable");
    }
    for (const auto& s : installed.value()) {
      if (s.name != scenario_name) continue;
      if (s.toml_sha256 != sha)
        return error_response(409, "conflict",
                              "scenario '" + scenario_name + "' is already installed with other content (toml sha256 " +
                                  s.toml_sha256 + "); install the new text under a new name",
                              {{"scenario.name", "already installed"}});
      // Known to the store (e.g. installed through another instance) but maybe not here yet.
      if (next) use_registry(next.value());
      return json_response(200, ojson{{"name", scenario_name},
                                      {"toml_sha256", sha},
                                      {"already_installed", true},
                                      {"installed", s.installed},
                                      {"actor", s.actor},
                                      {"audit_id", s.audit_id}});
    }
    return error_response(409, "conflict",
                          "scenario '" + scenario_name + "' is a scenario of the rules directory; choose another name",
                          {{"scenario.name", "taken by a file scenario"}});
  };

  if (!next) {
    if (problem == rules::Registry::ScenarioProblem::kExists) {
      std::string existing = name;
      if (existing.empty()) {
        static const std::regex quoted("scenario '([^']+)' already exists");
        std::smatch m;
        if (std::regex_search(next.message(), m, quoted)) existing = m[1].str();
      }
      return already(existing);
    }
    const bool syntax = problem == rules::Registry::ScenarioProblem::kSyntax;
    ApiError e{syntax ? 400 : 422, syntax ? "invalid_toml" : "invalid_scenario", next.message(), {}};
    ojson body = e.to_json();
    body["error"]["fields"] = rules_error_fields(next.message());
    return json_response(e.status, body);
  }
  const auto& reg = next.value();
  const rules::ScenarioInfo info = reg->scenarios().back();

  // Every version the scenario was compiled over, and the one the install record names: the rule
  // set of the version in force today (or the pinned base), else the newest it applies to.
  ojson validated = ojson::array();
  rules::RuleSetPtr named;
  const auto today = current->in_force(Date::today_utc());
  for (const auto& v : reg->versions()) {
    if (!info.pinned_base.empty() && info.pinned_base != v->version.id) continue;
    if (!info.min_version.empty()) {
      const auto min = reg->version(info.min_version);
      if (min && v->version.effective < min->version.effective) continue;
    }
    auto rs = reg->resolve(v->version.id, info.name);  // built (and cached) by with_scenario
    if (!rs || !rs.value()) continue;
    validated.push_back({{"version", v->version.id}, {"rule_set_id", rs.value()->label()}, {"hash", rs.value()->hash}});
    if (!named || (today && v->version.id == today->version.id)) named = rs.value();
  }
  store::RuleInstall install;
  install.scenario = info.name;
  install.toml = text;
  if (named) {
    install.rule_set_id = named->label();
    install.rule_set_hash = named->hash;
  } else {
    install.rule_set_id = "+" + info.name;
  }
  install.details = nlohmann::json::parse(ojson{
      {"title", info.title},
      {"base", info.pinned_base},
      {"min_version", info.min_version},
      {"toml_sha256", sha},
      {"validated_over", validated}}.dump());
  auto audit_id = store_->record_rules_install(actor, install);
  if (!audit_id) {
    if (audit_id.message().find("already installed") != std::string::npos) return already(info.name);
    log("record_rules_install failed: " + audit_id.message());
    return store_unavailable("the scenario could not be recorded");
  }
  use_registry(reg);
  metrics_.add_recorded("rules.install", 1);
  return json_response(201, ojson{{"name", info.name},
                                  {"title", info.title},
                                  {"description", info.description},
                                  {"base", info.pinned_base.empty() ? "in force on the date" : info.pinned_base},
                                  {"min_version", info.min_version},
                                  {"toml_sha256", sha},
                                  {"rule_set_id", install.rule_set_id},
                                  {"rule_set_hash", install.rule_set_hash},
                                  {"validated_over", std::move(validated)},
                                  {"audit_id", audit_id.value()}});
}

// ---- at start --------------------------------------------------------------------------------

std::shared_ptr<const rules::Registry> Service::with_installed(std::shared_ptr<const rules::Registry> registry,
                                                               const std::vector<store::InstalledScenario>& installed,
                                                               const std::string& only, std::string* problem) {
  for (const auto& s : installed) {
    if (!only.empty() && s.name != only) continue;
    if (knows_scenario(*registry, s.name)) continue;
    if (auto bad = unloadable_scenarios_.find(s.name); bad != unloadable_scenarios_.end()) {
      if (problem && s.name == only) *problem = bad->second;  // the rules do not change while running
      continue;
    }
    auto next = registry->with_scenario(s.toml, s.name);
    if (!next) {
      // E.g. compiled against older rule files that changed since, or rules that differ between
      // instances: not fatal, but said (once).
      const std::string why = "installed scenario '" + s.name + "' (audit record " + std::to_string(s.audit_id) +
                              ") is not valid with this instance's rules: " + next.message();
      unloadable_scenarios_.emplace(s.name, why);
      log(why + " (not loaded)");
      if (problem && s.name == only) *problem = why;
      continue;
    }
    registry = next.value();
  }
  return registry;
}

std::optional<Response> Service::ensure_scenario(const std::string& name) {
  if (name.empty() || knows_scenario(*engine()->registry, name)) return std::nullopt;
  std::lock_guard lock(import_mutex_);
  const auto current = engine()->registry;
  if (knows_scenario(*current, name)) return std::nullopt;  // loaded meanwhile by another request
  auto installed = store_->installed_scenarios();
  if (!installed) {
    log("installed_scenarios failed: " + installed.message());
    return error_response(503, "store_unavailable",
                          "scenario '" + name + "' is not loaded here and the store could not be asked; retry later");
  }
  std::string problem;
  auto next = with_installed(current, installed.value(), name, &problem);
  if (!problem.empty()) return error_response(400, "invalid_request", "scenario: " + problem, {{"scenario", problem}});
  if (next != current) use_registry(std::move(next));
  return std::nullopt;
}

void Service::refresh_scenarios() {
  auto installed = store_->installed_scenarios();
  if (!installed) {
    log("installed_scenarios failed: " + installed.message());
    return;
  }
  const auto& all = installed.value();
  const auto known = engine()->registry;
  if (std::all_of(all.begin(), all.end(),
                  [&](const store::InstalledScenario& s) { return knows_scenario(*known, s.name); }))
    return;  // the common case: nothing new, no lock taken
  std::lock_guard lock(import_mutex_);
  const auto current = engine()->registry;
  auto next = with_installed(current, all, "", nullptr);
  if (next != current) use_registry(std::move(next));
}

Status Service::sync_with_store() {
  // 1. Scenarios installed through the API (by this or another instance), in installation order.
  auto installed = store_->installed_scenarios();
  if (!installed) return Status::error("installed scenarios: " + installed.message());
  {
    std::lock_guard lock(import_mutex_);
    use_registry(with_installed(registry_, installed.value(), "", nullptr));
  }

  // 2. The rule versions in use, once per rule-set hash.
  auto recorded = store_->rule_versions();
  if (!recorded) return Status::error("rule versions: " + recorded.message());
  std::set<std::string> hashes;
  for (const auto& r : recorded.value())
    if (r.scenario.empty()) hashes.insert(r.rule_set_hash);
  for (const auto& v : registry_->versions()) {
    if (hashes.count(v->hash)) continue;
    store::RuleInstall install;
    install.rule_set_id = v->label();
    install.rule_set_hash = v->hash;
    install.details = {{"effective", v->version.effective.to_string()},
                       {"title", v->version.title},
                       {"files", v->files},
                       {"rules_dir", registry_->directory()}};
    if (auto r = store_->record_rules_install(kSystemActor, install); !r)
      return Status::error("recording rule version " + v->version.id + ": " + r.message());
  }

  // 3. The catalog's products, when one was added or changed since the last start.
  std::vector<store::ProductRecord> changed;
  for (const auto& item : items_) {
    nlohmann::json data = product_json(item);
    auto stored = store_->get_product(item.id);
    if (!stored) return Status::error("products: " + stored.message());
    if (stored.value() && with_current_names(stored.value()->data) == data) continue;
    changed.push_back({item.id, std::move(data)});
  }
  if (!changed.empty())
    if (auto r = store_->put_products(kSystemActor, changed); !r) return Status::error("products: " + r.message());
  return Status::ok();
}

}  // namespace chipgate::server

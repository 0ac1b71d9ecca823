#include "server/service.h"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <ctime>

#include "classify/classifier.h"
#include "core/json_writer.h"
#include "core/sha256.h"
#include "io/classification_output.h"
#include "io/decision_output.h"
#include "io/rules_output.h"
#include "screen/screener.h"
#include "server/list_paths.h"
#include "server/log_line.h"

namespace chipgate::server {

namespace {

using ojson = nlohmann::ordered_json;

std::string dump(const ojson& j) { return j.dump(-1, ' ', false, ojson::error_handler_t::replace); }
std::string dump(const nlohmann::json& j) { return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace); }

Response json_response(int status, const ojson& body) { return {status, "application/json", dump(body) + "\n", {}}; }

Response error_response(const ApiError& e) { return json_response(e.status, e.to_json()); }

Response error_response(int status, const std::string& code, const std::string& message,
                        std::vector<FieldError> fields = {}) {
  return error_response(ApiError{status, code, message, std::move(fields)});
}

// A result is serialised once: the store hashes and keeps exactly these bytes, and the client gets
// them behind its decision id (no second rendering, no copy of the JSON tree).
std::string render(const ojson& result) { return dump(result); }

// The audit inputs of a dated request element: {"date", <element_key>: the element, "scenario"}, the
// keys in the sorted order nlohmann::json writes them (element_key sorts between "date" and
// "scenario"), written as text so the store keeps it verbatim without a copy of the element's tree.
std::string dated_inputs(std::string_view element_key, const nlohmann::json& element, const std::string& date,
                         const std::string& scenario) {
  std::string out;
  JsonWriter w(out);
  w.begin_object().field("date", date).key(element_key).raw(dump(element)).field("scenario", scenario).end_object();
  return out;
}

// {"decision_id": id, ...object}, spliced into the rendered object text ("{...}").
std::string with_decision_id(std::optional<std::int64_t> id, const std::string& object_text) {
  std::string out = "{\"decision_id\":";
  out += id ? std::to_string(*id) : "null";
  if (object_text.size() > 2) {
    out.push_back(',');
    out.append(object_text, 1);
  } else {
    out.push_back('}');
  }
  return out;
}

Response text_response(std::string body) {
  body.push_back('\n');
  return {200, "application/json", std::move(body), {}};
}

// [with_decision_id(ids[i], texts[i]), ...]
std::string id_array(const std::vector<std::optional<std::int64_t>>& ids, const std::vector<std::string>& texts) {
  std::string out = "[";
  for (std::size_t i = 0; i < texts.size(); ++i) {
    if (i) out.push_back(',');
    out += with_decision_id(ids[i], texts[i]);
  }
  out.push_back(']');
  return out;
}

store::Role role_for(Access access) {
  switch (access) {
    case Access::kAdmin:
      return store::Role::admin;
    case Access::kAnalyst:
      return store::Role::analyst;
    default:
      return store::Role::viewer;
  }
}

std::string query_value(const Request& r, const std::string& key, const std::string& fallback) {
  auto it = r.query.find(key);
  return it == r.query.end() ? fallback : it->second;
}

// application/json or a structured +json type (RFC 6839), with or without parameters (charset).
bool is_json_media_type(std::string_view content_type) {
  std::string type(content_type.substr(0, content_type.find(';')));
  while (!type.empty() && (type.back() == ' ' || type.back() == '\t')) type.pop_back();
  while (!type.empty() && (type.front() == ' ' || type.front() == '\t')) type.erase(type.begin());
  for (auto& c : type) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (type == "application/json") return true;
  return type.rfind("application/", 0) == 0 && type.size() > 17 && type.compare(type.size() - 5, 5, "+json") == 0;
}

// The key of an "Authorization: Bearer KEY" header, "" when the header is absent or malformed.
std::string bearer_secret(std::string_view h) {
  const bool bearer = h.size() > 7 && (h.compare(0, 7, "Bearer ") == 0 || h.compare(0, 7, "bearer ") == 0);
  std::string_view secret = bearer ? h.substr(7) : std::string_view();
  while (!secret.empty() && secret.back() == ' ') secret.remove_suffix(1);
  while (!secret.empty() && secret.front() == ' ') secret.remove_prefix(1);
  return std::string(secret);
}

// The `date` and `scenario` query parameters shared by classify and decide.
struct AsOf {
  Date date;
  std::string date_text;
  std::string scenario;
};

Result<AsOf> as_of(const Request& r, ApiError& error) {
  for (const auto& [k, v] : r.query)
    if (k != "date" && k != "scenario") {
      error = {400, "invalid_request", "unknown query parameter '" + k + "' (date, scenario)", {{k, "unknown"}}};
      return Result<AsOf>::error(error.message);
    }
  AsOf a;
  a.date_text = query_value(r, "date", "today");
  auto d = Date::parse(a.date_text);
  if (!d) {
    error = {400, "invalid_request", "date: " + d.message(), {{"date", d.message()}}};
    return Result<AsOf>::error(error.message);
  }
  a.date = d.value();
  a.date_text = a.date.to_string();
  a.scenario = query_value(r, "scenario", "");
  return a;
}

// license::PartyHit results as the screen contract's object.
ojson default_screen_party(const license::PartyScreener& screener, const ScreenParty& party) {
  if (const auto* fuzzy = dynamic_cast<const screen::Screener*>(&screener)) {
    screen::QueryOptions q;
    q.country = party.country;
    q.address = party.address;
    return screen::result_to_json(party.id, fuzzy->query(party.name, q));
  }
  const auto hits = screener.screen(party.name, party.country);
  ojson h = ojson::array();
  for (const auto& hit : hits)
    h.push_back({{"list", hit.list},
                 {"entry_id", hit.entry_id},
                 {"name", hit.name},
                 {"matched_name", hit.matched_name},
                 {"score", hit.score},
                 {"country", hit.country},
                 {"explanation", hit.explanation}});
  return {{"id", party.id}, {"match", !hits.empty()}, {"hits", std::move(h)}};
}

}  // namespace

std::string error_body(int status, const std::string& code, const std::string& message) {
  return dump(ApiError{status, code, message, {}}.to_json()) + "\n";
}

Service::Service(ServiceOptions options, std::shared_ptr<store::Store> store)
    : options_(std::move(options)),
      store_(std::move(store)),
      denials_(DenialWindows::Options{options_.denial_window, options_.denial_max_clients}) {}

Result<std::unique_ptr<Service>> Service::create(ServiceOptions options, std::shared_ptr<store::Store> store) {
  using R = Result<std::unique_ptr<Service>>;
  if (!store) return R::error("no store");
  auto list_dirs = resolve_list_dirs(options.list_dirs);
  if (!list_dirs) return R::error("--lists-dir: " + list_dirs.message());
  if (!options.load_screener && !options.terms_file.empty()) {
    auto terms = screen::load_terms(options.terms_file);
    if (!terms) return R::error("--terms: " + terms.message());
    options.drop_policy = screen::drop_policy(*terms.value());
    options.load_screener = [t = terms.value()](const std::vector<std::string>& paths) {
      auto s = screen::Screener::load(paths, t);
      if (!s) return Result<std::shared_ptr<const license::PartyScreener>>(s.status());
      return Result<std::shared_ptr<const license::PartyScreener>>(
          std::shared_ptr<const license::PartyScreener>(std::move(s).value()));
    };
    if (!options.load_screener_texts)
      options.load_screener_texts = [t = terms.value()](const std::vector<screen::ListText>& files) {
        using LoadResult = Result<std::shared_ptr<const license::PartyScreener>>;
        auto snap = screen::load_list_texts(files);
        if (!snap) return LoadResult(snap.status());
        auto s = screen::Screener::build(std::move(snap).value(), t);
        if (!s) return LoadResult(s.status());
        return LoadResult(std::shared_ptr<const license::PartyScreener>(std::move(s).value()));
      };
  }
  if (!options.load_screener) {
    options.load_screener = [](const std::vector<std::string>& paths) {
      auto s = license::ExactAliasScreener::load(paths);
      if (!s) return Result<std::shared_ptr<const license::PartyScreener>>(s.status());
      return Result<std::shared_ptr<const license::PartyScreener>>(
          std::shared_ptr<const license::PartyScreener>(std::move(s).value()));
    };
    if (!options.load_screener_texts)
      options.load_screener_texts = [](const std::vector<screen::ListText>& files) {
        using LoadResult = Result<std::shared_ptr<const license::PartyScreener>>;
        std::vector<std::pair<std::string, std::string_view>> texts;
        for (const auto& f : files) texts.emplace_back(f.name, f.text);
        auto s = license::ExactAliasScreener::load_texts(texts);
        if (!s) return LoadResult(s.status());
        return LoadResult(std::shared_ptr<const license::PartyScreener>(std::move(s).value()));
      };
  }
  if (!options.screen_party) options.screen_party = default_screen_party;
  std::unique_ptr<Service> s(new Service(std::move(options), std::move(store)));
  s->list_dirs_ = std::move(list_dirs).value();
  auto reg = rules::Registry::load(s->options_.rules_dir);
  if (!reg) return R::error("--rules: " + reg.message());
  s->registry_ = reg.value();
  if (!s->options_.catalog.empty()) {
    auto catalog = io::load_catalog(s->options_.catalog);
    if (!catalog) return R::error("--catalog: " + catalog.message());
    for (const auto& e : catalog->errors) s->log(s->options_.catalog + ": " + e.to_string() + " (row skipped)");
    for (auto& row : catalog->rows) s->items_.push_back(std::move(row.item));
  }
  if (!s->options_.letters.empty()) {
    auto l = s->registry_->load_letters(s->options_.letters);
    if (!l) return R::error("--letters: " + l.message());
    s->letters_ = std::move(l).value();
  }
  auto engine = std::make_shared<Engine>();
  if (!s->options_.lists.empty()) {  // none: not screened, never silently the sample list
    auto screener = s->options_.load_screener(s->options_.lists);
    if (!screener) return R::error("--lists: " + screener.message());
    engine->screener = std::move(screener).value();
  }
  engine->list_paths = s->options_.lists;
  engine->registry = s->registry_;
  s->engine_ = std::move(engine);
  if (auto st = s->sync_with_store(); !st) return R::error("--db: " + st.message());
  if (auto st = s->sync_ownership(); !st) return R::error(st.message());
  return R(std::move(s));
}

std::shared_ptr<const Service::Engine> Service::engine() const {
  std::lock_guard lock(engine_mutex_);
  return engine_;
}

Result<const license::OrderDecider*> Service::decider(const Engine& engine, const std::string& scenario) const {
  std::lock_guard lock(engine.deciders_mutex);
  auto it = engine.deciders.find(scenario);
  if (it != engine.deciders.end()) return it->second.get();
  auto d = std::make_unique<license::OrderDecider>(
      engine.registry, items_,
      license::OrderDecider::Options{scenario, engine.screener.get(), &letters_, engine.ownership});
  if (auto st = d->check(); !st) return Result<const license::OrderDecider*>::error(st.message());
  const license::OrderDecider* out = d.get();
  engine.deciders.emplace(scenario, std::move(d));
  return out;
}

std::size_t Service::body_limit(std::string_view method, std::string_view path, std::string_view authorization) const {
  const std::size_t normal = options_.limits.max_body_bytes;
  if (method != "POST" || path != "/v1/lists") return normal;
  // Checked before the body is read, so that no one without an admin key makes the server hold a
  // list upload's worth of bytes.
  const std::string secret = bearer_secret(authorization);
  if (secret.empty()) return normal;
  auto check = store_->lookup_key(secret);
  if (!check || !check->ok() || !store::role_allows(check->key->role, store::Role::admin)) return normal;
  return std::max(normal, options_.limits.max_list_upload_bytes);
}

void Service::log(const std::string& line) const {
  if (options_.log)
    options_.log(line);
  else
    write_log_line("chipgate serve: " + line);
}

Response Service::handle(const Request& request) {
  const auto start = std::chrono::steady_clock::now();
  std::string param;
  bool path_known = false;
  const Route* route = match_route(request.method, request.path, param, path_known);
  Response response;
  if (!route) {
    response = path_known
                   ? error_response(405, "method_not_allowed", request.method + " is not allowed on " + request.path)
                   : error_response(404, "not_found", "no route " + request.path);
  } else {
    try {
      const store::ApiKeyInfo* key = nullptr;
      std::optional<store::ApiKeyInfo> key_holder;
      std::optional<Response> denied;
      if (route->access != Access::kPublic) {
        const std::string& h = request.authorization;
        const std::string secret = bearer_secret(h);
        if (h.empty()) {
          denied = deny(request, *route, 401, "missing Authorization header (Authorization: Bearer KEY)", "anonymous");
        } else if (secret.empty()) {
          denied = deny(request, *route, 401, "malformed Authorization header: expected 'Bearer KEY'", "anonymous");
        } else {
          auto check = store_->lookup_key(secret);
          if (!check) {
            log("key lookup failed: " + check.message());
            denied = error_response(503, "store_unavailable", "the key store is unavailable; retry later");
          } else if (!check->ok()) {
            denied = deny(request, *route, 401, check->reason, check->key ? check->key->id : "anonymous");
          } else if (!store::role_allows(check->key->role, role_for(route->access))) {
            denied =
                deny(request, *route, 403,
                     "key " + check->key->id + " has role " + std::string(store::role_name(check->key->role)) + "; " +
                         route->method + " " + route->path + " needs role " + std::string(access_name(route->access)),
                     check->key->id);
          } else {
            key_holder = check->key;
            key = &*key_holder;
          }
        }
      }
      response = denied ? std::move(*denied) : dispatch(*route, param, request, key);
    } catch (const std::exception& e) {
      log("internal error on " + request.method + " " + request.path + ": " + e.what());
      response = error_response(500, "internal_error", "internal error; the request was not completed");
    }
  }
  if (response.status >= 500) log(request.method + " " + request.path + " -> " + std::to_string(response.status));
  metrics_.observe(request.method, route ? route->path : "unmatched", response.status,
                   std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  return response;
}

Response Service::deny(const Request& request, const Route& route, int status, const std::string& reason,
                       const std::string& actor) {
  metrics_.add_auth_denied(status);
  Response resp = error_response(status, status == 401 ? "unauthenticated" : "forbidden", reason);
  if (status == 401) resp.headers.emplace_back("WWW-Authenticate", "Bearer realm=\"chipgate\"");
  // Only the first denial of a client's window is logged and audited in full; the rest are counted
  // and summarised when the window ends (run_deferred_work), so a flood writes a bounded number.
  const std::string remote = request.remote.empty() ? "?" : request.remote;
  if (!denials_.count(remote, actor, status, DenialWindows::Clock::now())) return resp;
  log(std::string(status == 401 ? "401 unauthenticated" : "403 forbidden") + ": " + request.method + " " +
      request.path + " from " + remote + " (" + actor + "): " + reason + " [further denials of this client within " +
      std::to_string(denials_.options().window.count()) + " s are counted and recorded together]");
  store::AuditEvent ev;
  ev.actor = actor;
  ev.kind = "auth.denied";
  ev.inputs = {{"method", request.method}, {"route", route.path}, {"path", request.path}, {"remote", request.remote}};
  ev.outputs = {{"status", status}, {"reason", reason}, {"count", 1}};
  if (auto r = store_->append_audit(ev); !r) log("could not audit the denial: " + r.message());
  return resp;
}

bool Service::deferred_work_due() const { return denials_.due(DenialWindows::Clock::now()); }

namespace {

std::string utc_text(DenialWindows::Clock::time_point t) {
  const std::time_t secs = DenialWindows::Clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

}  // namespace

void Service::run_deferred_work(bool all) {
  std::lock_guard lock(deferred_mutex_);
  for (const auto& s : denials_.take_ended(DenialWindows::Clock::now(), all)) {
    nlohmann::json statuses = nlohmann::json::object();
    std::string by_status;
    for (const auto& [status, n] : s.by_status) {
      statuses[std::to_string(status)] = n;
      by_status += (by_status.empty() ? "" : ", ") + std::to_string(status) + ": " + std::to_string(n);
    }
    log("auth denials: " + std::to_string(s.count) + " more from " + s.client + " (" + s.actor + ") between " +
        utc_text(s.first) + " and " + utc_text(s.last) + " (" + by_status + ")");
    store::AuditEvent ev;
    ev.actor = s.actor;
    ev.kind = "auth.denied";
    ev.inputs = {{"remote", s.client}, {"first", utc_text(s.first)}, {"last", utc_text(s.last)}};
    ev.outputs = {{"count", s.count}, {"statuses", std::move(statuses)}};
    if (auto r = store_->append_audit(ev); !r)
      log("could not audit " + std::to_string(s.count) + " denials: " + r.message());
  }
}

Response Service::dispatch(const Route& route, const std::string& param, const Request& request,
                           const store::ApiKeyInfo* key) {
  const std::string actor = key ? key->id : "anonymous";
  if (request.body_over_limit)
    return error_response(
        413, "body_too_large",
        "the body is larger than " + std::to_string(*request.body_over_limit) + " bytes, the limit of " + route.method +
            " " + route.path +
            (*request.body_over_limit == options_.limits.max_body_bytes ? " (--max-body-bytes)"
                                                                        : " (--max-list-upload-bytes)"));
  // Every POST body is JSON but a scenario's, which may also be TOML (checked in scenarios_post).
  if (route.method == "POST" && route.path != "/v1/scenarios" && !is_json_media_type(request.content_type))
    return error_response(415, "unsupported_media_type",
                          request.content_type.empty()
                              ? "the body must be JSON sent with Content-Type: application/json (none was given)"
                              : "the body must be JSON (Content-Type: application/json), not " + request.content_type);
  if (auto admin = dispatch_admin(route, param, request, actor)) return std::move(*admin);
  const std::string& p = route.path;
  if (p == "/v1/classify" || p == "/v1/decide") {
    // A scenario installed through another instance sharing the store after this one started.
    if (auto sc = request.query.find("scenario"); sc != request.query.end())
      if (auto refused = ensure_scenario(sc->second)) return std::move(*refused);
  }
  if (p == "/v1/classify") return classify(request, actor);
  if (p == "/v1/decide") return decide(request, actor);
  if (p == "/v1/screen") return screen(request, actor);
  if (p == "/v1/decisions/{id}") return get_decision(param);
  if (p == "/v1/rules") return rules_list();
  if (p == "/v1/scenarios") return scenarios_list();
  if (p == "/v1/lists") return route.method == "GET" ? lists_get() : lists_post(request, actor);
  if (p == "/v1/ownership") return ownership_post(request, actor);
  if (p == "/healthz") return healthz();
  if (p == "/readyz") return readyz();
  if (p == "/metrics") return {200, "text/plain; version=0.0.4", metrics_.render(), {}};
  if (p == "/openapi.json") return {200, "application/json", openapi_document(), {}};
  return error_response(404, "not_found", "no route " + request.path);
}

// The record step of classify, decide and screen: one audit event per result (none with
// --no-record). One event goes through the store's group commit (record_decision: concurrent requests
// share a transaction); a batch is its own transaction, all or nothing. Returns the decision ids in
// result order, all null when not recording; a store failure is logged and returned (nothing written).
Result<std::vector<std::optional<std::int64_t>>> Service::record(const std::vector<store::AuditEvent>& events,
                                                                 std::size_t results, const std::string& kind,
                                                                 const std::string& noun) {
  std::vector<std::optional<std::int64_t>> ids(results);
  if (!options_.record) return ids;
  Result<std::vector<std::int64_t>> written = std::vector<std::int64_t>{};
  if (events.size() == 1) {
    auto one = store_->record_decision(events.front());
    written = one ? Result<std::vector<std::int64_t>>(std::vector<std::int64_t>{one.value()})
                  : Result<std::vector<std::int64_t>>(one.status());
  } else {
    written = store_->record_decisions(events);
  }
  if (!written) {
    log("recording " + noun + " failed: " + written.message());
    return Result<std::vector<std::optional<std::int64_t>>>(written.status());
  }
  for (std::size_t i = 0; i < ids.size(); ++i) ids[i] = written.value()[i];
  metrics_.add_recorded(kind, ids.size());
  return ids;
}

Response Service::classify(const Request& request, const std::string& actor) {
  ApiError err;
  auto when = as_of(request, err);
  if (!when) return error_response(err);
  auto req = parse_classify_request(request.body, options_.limits, err);
  if (!req) return error_response(err);
  auto eng = engine();
  auto rs = eng->registry->resolve(when->date, when->scenario);
  if (!rs) return error_response(400, "invalid_request", "scenario: " + rs.message(), {{"scenario", rs.message()}});
  auto base = decider(*eng, "");
  std::vector<FieldError> problems;
  for (std::size_t i = 0; i < req->items.size(); ++i) {
    auto& item = req->items[i];
    // A computer may name an IC of the server's catalog, as with the CLI's --catalog.
    if (item.kind == classify::ItemKind::kComputer && !item.contained_ic) {
      const classify::Item* ic = base ? base.value()->item(item.contained_id) : nullptr;
      if (ic)
        item.contained_ic = std::make_shared<const classify::Item>(*ic);
      else
        problems.push_back({(req->batch ? "[" + std::to_string(i) + "]." : std::string()) + "contains_id",
                            "no IC '" + item.contained_id + "' (give it inline as \"contains\" or in the catalog)"});
    }
  }
  if (!problems.empty()) {
    std::string message = "invalid item: " + problems.front().field + ": " + problems.front().problem;
    return error_response(400, "invalid_request", message, std::move(problems));
  }
  std::vector<std::string> outputs;
  std::vector<store::AuditEvent> events;
  for (std::size_t i = 0; i < req->items.size(); ++i) {
    auto c = classify::classify(req->items[i], when->date, rs.value());
    outputs.push_back(render(io::classification_to_json(req->items[i], c)));
    if (!options_.record) continue;
    store::AuditEvent ev;
    ev.actor = actor;
    ev.kind = "decision.classify";
    ev.inputs_text = dated_inputs("item", req->raw[i], when->date_text, when->scenario);
    ev.outputs_text = outputs.back();
    if (rs.value()) {
      ev.rule_set_id = rs.value()->label();
      ev.rule_set_hash = rs.value()->hash;
    }
    events.push_back(std::move(ev));
  }
  auto ids = record(events, outputs.size(), "decision.classify", "classifications");
  if (!ids) return error_response(503, "store_unavailable", "the result could not be recorded; nothing was stored");
  if (!req->batch) return text_response(with_decision_id(ids.value()[0], outputs[0]));
  return text_response(id_array(ids.value(), outputs));
}

Response Service::decide(const Request& request, const std::string& actor) {
  ApiError err;
  auto when = as_of(request, err);
  if (!when) return error_response(err);
  auto req = parse_decide_request(request.body, options_.limits, err);
  if (!req) return error_response(err);
  auto eng = engine();
  auto dec = decider(*eng, when->scenario);
  if (!dec) return error_response(400, "invalid_request", "scenario: " + dec.message(), {{"scenario", dec.message()}});
  const std::string snapshot = dec.value()->snapshot_id();
  std::vector<license::Decision> decisions;
  std::vector<FieldError> problems;
  for (std::size_t i = 0; i < req->lines.size(); ++i) {
    license::LineError e;
    auto d = dec.value()->decide(req->lines[i], when->date, false, e);
    if (!d) {
      std::string path = req->batch ? "[" + std::to_string(i) + "]" : "";
      if (!e.field.empty()) path += (path.empty() ? "" : ".") + e.field;
      problems.push_back({path, e.problem});
      continue;
    }
    decisions.push_back(std::move(*d));
  }
  // Nothing is decided (or recorded) unless every line is valid.
  if (!problems.empty()) {
    std::string message =
        "invalid order line: " + (problems.front().field.empty() ? "" : problems.front().field + ": ") +
        problems.front().problem;
    return error_response(400, "invalid_request", message, std::move(problems));
  }
  std::vector<std::string> outputs;
  std::vector<store::AuditEvent> events;
  io::DecisionSummary summary;
  for (std::size_t i = 0; i < decisions.size(); ++i) {
    const auto& d = decisions[i];
    outputs.push_back(io::decision_json_text(req->lines[i], d, snapshot));
    summary.add(req->lines[i], d);
    if (!options_.record) continue;
    store::AuditEvent ev;
    ev.actor = actor;
    ev.kind = "decision.decide";
    ev.inputs_text = dated_inputs("order", req->raw[i], when->date_text, when->scenario);
    ev.outputs_text = outputs.back();
    if (d.rules) {
      ev.rule_set_id = d.rules->label();
      ev.rule_set_hash = d.rules->hash;
    }
    ev.list_snapshot_id = snapshot;
    events.push_back(std::move(ev));
  }
  auto ids = record(events, outputs.size(), "decision.decide", "decisions");
  if (!ids) return error_response(503, "store_unavailable", "the decision could not be recorded; nothing was stored");
  if (!req->batch) return text_response(with_decision_id(ids.value()[0], outputs[0]));
  // The shape of `chipgate decide --format json`: {"decisions": [...], "summary": {...}}.
  return text_response("{\"decisions\":" + id_array(ids.value(), outputs) +
                       ",\"summary\":" + render(summary.to_json()) + "}");
}

Response Service::screen(const Request& request, const std::string& actor) {
  if (!request.query.empty())
    return error_response(400, "invalid_request", "unknown query parameter '" + request.query.begin()->first + "'",
                          {{request.query.begin()->first, "unknown"}});
  ApiError err;
  auto req = parse_screen_request(request.body, options_.limits, err);
  if (!req) return error_response(err);
  auto eng = engine();
  if (!eng->screener)
    return error_response(409, "no_lists",
                          "no restricted-party list is loaded: start the server with --lists, or import lists (POST "
                          "/v1/lists); nothing was screened");
  std::vector<std::string> outputs;
  std::vector<store::AuditEvent> events;
  for (std::size_t i = 0; i < req->parties.size(); ++i) {
    outputs.push_back(render(options_.screen_party(*eng->screener, req->parties[i])));
    if (!options_.record) continue;
    store::AuditEvent ev;
    ev.actor = actor;
    ev.kind = "decision.screen";
    ev.inputs_text = "{\"party\":" + dump(req->raw[i]) + "}";
    ev.outputs_text = outputs.back();
    ev.list_snapshot_id = eng->screener->snapshot_id();
    events.push_back(std::move(ev));
  }
  auto ids = record(events, outputs.size(), "decision.screen", "screenings");
  if (!ids) return error_response(503, "store_unavailable", "the result could not be recorded; nothing was stored");
  if (!req->batch) return text_response(with_decision_id(ids.value()[0], outputs[0]));
  return text_response(id_array(ids.value(), outputs));
}

Response Service::get_decision(const std::string& id_text) {
  auto id = parse_decision_id(id_text);
  if (!id) return error_response(400, "invalid_request", id.message(), {{"id", id.message()}});
  auto d = store_->get_decision(id.value());
  if (!d) {
    log("get_decision failed: " + d.message());
    return error_response(503, "store_unavailable", "the store is unavailable; retry later");
  }
  if (!d.value()) return error_response(404, "not_found", "no decision " + id_text);
  return json_response(200, ojson::parse(dump(d.value()->to_json())));
}

Response Service::rules_list() {
  refresh_scenarios();  // installed through other instances sharing the store
  // The object of `chipgate rules list --format json` (with the installed scenarios), plus the
  // version in force today.
  ojson j = io::rules_list_to_json(*engine()->registry);
  auto today = registry_->in_force(Date::today_utc());
  j["in_force_today"] = today ? ojson(today->version.id) : ojson(nullptr);
  return json_response(200, j);
}

Response Service::scenarios_list() {
  refresh_scenarios();  // installed through other instances sharing the store
  ojson arr = ojson::array();
  const auto& from_files = registry_->scenarios();
  for (const auto& s : engine()->registry->scenarios()) {
    const bool file = std::any_of(from_files.begin(), from_files.end(),
                                  [&](const rules::ScenarioInfo& f) { return f.name == s.name; });
    arr.push_back({{"name", s.name},
                   {"title", s.title},
                   {"description", s.description},
                   {"base", s.pinned_base.empty() ? "in force on the date" : s.pinned_base},
                   {"min_version", s.min_version},
                   {"source", file ? "rules" : "installed"}});
  }
  return json_response(200, ojson{{"scenarios", std::move(arr)}});
}

Response Service::lists_get() {
  auto eng = engine();
  ojson j = {{"current",
              {{"snapshot_id", eng->screener ? ojson(eng->screener->snapshot_id()) : ojson(nullptr)},
               {"paths", eng->list_paths}}},
             {"snapshots", ojson::array()}};
  auto snaps = store_->list_snapshots();
  if (!snaps) {
    log("list_snapshots failed: " + snaps.message());
    return error_response(503, "store_unavailable", "the store is unavailable; retry later");
  }
  for (const auto& s : snaps.value()) j["snapshots"].push_back(ojson::parse(dump(s.to_json())));
  return json_response(200, j);
}

Response Service::lists_post(const Request& request, const std::string& actor) {
  // Two forms: {"paths": [...]} names files or folders on the server; {"files": [{"name", "content"}]}
  // carries the files themselves (up to --max-list-upload-bytes). The body is parsed once for both.
  Limits upload = options_.limits;  // the caller is an admin (checked in handle())
  upload.max_body_bytes = std::max(upload.max_body_bytes, upload.max_list_upload_bytes);
  ApiError err;
  auto body = parse_json_body(request.body, upload, err);
  if (!body) return error_response(err);
  if (!body->is_object() || !body->contains("files")) {
    auto req = parse_list_import(body.value(), err);
    if (!req) return error_response(err);
    return import_list_paths(req.value(), actor);
  }
  auto req = parse_list_upload(std::move(body).value(), options_.limits, err);
  if (!req) return error_response(err);
  if (!options_.load_screener_texts)
    return error_response(501, "not_implemented",
                          "this server's screener loads lists from paths only; send {\"paths\": [...]}");
  std::vector<screen::ListText> texts;
  nlohmann::json files = nlohmann::json::array();
  std::vector<std::string> names;
  for (const auto& f : req->files) {
    texts.push_back({f.name, f.content});
    files.push_back({{"name", f.name}, {"bytes", f.content.size()}, {"sha256", sha256_hex(f.content)}});
    names.push_back("upload:" + f.name);
  }
  std::lock_guard lock(import_mutex_);
  auto screener = options_.load_screener_texts(texts);
  if (!screener) {
    // The loaders' messages start with the file's name, and its line where the problem has one:
    // "NAME:LINE: not a list file: ...". Name the file's field, the file and the line.
    const std::string& message = screener.message();
    std::size_t index = req->files.size();
    for (std::size_t i = 0; i < req->files.size(); ++i) {
      const std::string& n = req->files[i].name;
      if (message.compare(0, n.size() + 1, n + ":") == 0 &&
          (index == req->files.size() || n.size() > req->files[index].name.size()))
        index = i;
    }
    if (index == req->files.size())
      return error_response(400, "invalid_list", "files: " + message, {{"files", message}});
    ojson body_out =
        ApiError{400, "invalid_list", message, {{"files[" + std::to_string(index) + "].content", message}}}.to_json();
    ojson& field = body_out["error"]["fields"][0];
    field["file"] = req->files[index].name;
    const std::size_t after = req->files[index].name.size() + 1;
    std::size_t digits = 0;
    while (after + digits < message.size() && std::isdigit(static_cast<unsigned char>(message[after + digits])))
      ++digits;
    if (digits > 0 && after + digits < message.size() && message[after + digits] == ':')
      field["line"] = std::stoll(message.substr(after, digits));
    return json_response(400, body_out);
  }
  return import_lists(std::move(screener), req->force, {{"files", std::move(files)}}, std::move(names), "files", actor);
}

// The paths form: only files inside the --lists-dir folders are read (server/list_paths.h), by this
// server itself, and the screener is built from their text as for the inline form. (A custom
// load_screener without a text loader, in tests, gets the checked file paths.)
Response Service::import_list_paths(const ListImportRequest& req, const std::string& actor) {
  ApiError err;
  auto files = read_confined_lists(req.paths, list_dirs_, options_.limits.max_list_upload_bytes, err);
  if (!files) return error_response(err);
  std::lock_guard lock(import_mutex_);
  Result<std::shared_ptr<const license::PartyScreener>> screener = Status::error("no list loader");
  if (options_.load_screener_texts) {
    std::vector<screen::ListText> texts;
    for (const auto& f : files.value()) texts.push_back({f.path, f.text});
    screener = options_.load_screener_texts(texts);
  } else {
    std::vector<std::string> paths;
    for (const auto& f : files.value()) paths.push_back(f.path);
    screener = options_.load_screener(paths);
  }
  return import_lists(std::move(screener), req.force, {{"paths", req.paths}}, req.paths, "paths", actor);
}

Response Service::import_lists(Result<std::shared_ptr<const license::PartyScreener>> screener, bool force,
                               nlohmann::json details, std::vector<std::string> list_paths, const std::string& field,
                               const std::string& actor) {
  if (!screener)
    return error_response(400, "invalid_request", field + ": " + screener.message(), {{field, screener.message()}});
  // The sharp-drop check of `chipgate lists import` (issue 4), against the store's latest snapshot:
  // a feed that lost most of a list must not silently replace it.
  const auto counts = screener.value()->source_counts();
  bool forced = false;
  if (!counts.empty()) {
    auto latest = store_->latest_snapshot();
    if (!latest) {
      log("latest_snapshot failed: " + latest.message());
      return error_response(503, "store_unavailable", "the previous snapshot could not be read; nothing imported");
    }
    if (latest.value()) {
      std::map<std::string, std::size_t> previous;
      for (const auto& [list, n] : latest.value()->source_counts)
        previous[list] = n < 0 ? 0 : static_cast<std::size_t>(n);
      if (Status drop = screen::check_counts(previous, counts, options_.drop_policy, false); !drop) {
        if (!force)
          return error_response(
              409, "sharp_drop",
              drop.message() + " (against snapshot " + latest.value()->id + "); send \"force\": true to import anyway",
              {{field, drop.message()}});
        forced = true;
      }
    }
  }
  store::ListImport import;
  import.snapshot_id = screener.value()->snapshot_id();
  for (const auto& [list, n] : counts) import.source_counts[list] = static_cast<std::int64_t>(n);
  import.details = std::move(details);
  import.details["forced"] = forced;
  // Rows the loader skipped (a bad row does not refuse the file, as with `chipgate lists import`).
  if (const auto* fuzzy = dynamic_cast<const screen::Screener*>(screener.value().get())) {
    const auto& issues = fuzzy->snapshot().issues;
    if (!issues.empty()) {
      nlohmann::json first = nlohmann::json::array();
      for (std::size_t i = 0; i < issues.size() && i < 20; ++i) first.push_back(issues[i].to_string());
      import.details["skipped_rows"] = issues.size();
      import.details["skipped_rows_first"] = std::move(first);
    }
  }
  auto snap = store_->record_list_import(actor, import);
  if (!snap) {
    log("record_list_import failed: " + snap.message());
    return error_response(503, "store_unavailable", "the import could not be recorded; the lists in use are unchanged");
  }
  auto engine = std::make_shared<Engine>();
  engine->screener = std::move(screener).value();
  engine->list_paths = std::move(list_paths);
  engine->registry = this->engine()->registry;
  engine->ownership = this->engine()->ownership;
  {
    std::lock_guard elock(engine_mutex_);
    engine_ = std::move(engine);
  }
  metrics_.add_recorded("list.import", 1);
  return json_response(201, ojson::parse(dump(snap->to_json())));
}

Response Service::healthz() { return json_response(200, ojson{{"status", "ok"}}); }

Response Service::readyz() {
  // Public, so it says only ready or not; why goes to the log (it may name paths and hosts). Ready
  // means a decision could be recorded now: the store's write probe (Store::check_writable, bounded
  // by the deadline and reused for a second, so probes are no write load).
  if (draining_) return error_response(503, "draining", "the server is shutting down");
  if (Status s = store_->check_writable(std::chrono::milliseconds(options_.ready_timeout_ms)); !s) {
    log("not ready: the store cannot record: " + s.message());
    return error_response(503, "not_ready", "not ready: decisions cannot be recorded now");
  }
  return json_response(200, ojson{{"status", "ready"}});
}

}  // namespace chipgate::server

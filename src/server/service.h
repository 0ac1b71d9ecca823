// The HTTP API without the HTTP: a request (method, path, query, Authorization, body) -> a response
// (status, content type, body). Authentication and roles, validation, the library calls (the same
// as the CLI's), recording every decision in the store before answering, metrics. The socket side
// is server/http_server.h.
//
// Thread-safe: handle() is called concurrently by the HTTP worker threads.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "io/catalog.h"
#include "license/order_decider.h"
#include "license/screening.h"
#include "rules/registry.h"
#include "screen/lists.h"
#include "server/api.h"
#include "server/denials.h"
#include "server/list_paths.h"
#include "server/metrics.h"
#include "server/routes.h"
#include "store/store.h"

namespace chipgate::server {

struct Request {
  std::string method;
  std::string path;
  std::map<std::string, std::string> query;
  std::string authorization;  // the Authorization header, "" when absent
  std::string content_type;
  std::string body;
  std::string remote;  // peer address, for the log
  // Set by the HTTP layer when the body was larger than body_limit() (it was dropped, `body` is
  // empty): the request is authenticated as any other, then answered 413.
  std::optional<std::size_t> body_over_limit;
};

struct Response {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // extra headers (WWW-Authenticate, ...)
};

// Loads a screener for list files/folders (default: the fuzzy screener of src/screen when
// ServiceOptions::terms_file is set, as `chipgate decide` and `chipgate screen` use it, else the
// exact/alias screener).
using ScreenerLoader =
    std::function<Result<std::shared_ptr<const license::PartyScreener>>(const std::vector<std::string>& paths)>;
// Loads a screener from list files held in memory (POST /v1/lists with "files"): the same formats,
// detected the same way, as ScreenerLoader's files (screen::load_list_texts, ExactAliasScreener::load_texts).
using ScreenerTextLoader =
    std::function<Result<std::shared_ptr<const license::PartyScreener>>(const std::vector<screen::ListText>& files)>;
// Screens one party with the loaded screener and renders the contract's JSON object for it. Default:
// the fuzzy screener's query (country and address as qualifiers) rendered by screen::result_to_json,
// as `chipgate screen`; other screeners' license::PartyHit results in the same shape.
using PartyScreenFn =
    std::function<nlohmann::ordered_json(const license::PartyScreener& screener, const ScreenParty& party)>;

struct ServiceOptions {
  Limits limits;
  bool record = true;  // false (--no-record): decisions are not written; for the cost benchmark only
  std::string rules_dir;
  std::string catalog;  // catalog file the order lines' product_id refer to ("" = none)
  std::string letters;  // is-informed letters (TOML), "" = none
  // Restricted-party lists loaded at start. None: parties are not screened (decisions say so and
  // are never "no licence" for a line naming a party) until lists are imported (POST /v1/lists).
  std::vector<std::string> lists;
  // Ownership data for the Affiliates rule (io/ownership.h), recorded in the store at start when it
  // differs from what the store holds; "" = only what the store holds (POST /v1/ownership).
  std::string ownership_file;
  // The folders POST /v1/lists {"paths": [...]} may read from (--lists-dir); none: the paths form is
  // refused and lists come inline ({"files": [...]}). See server/list_paths.h.
  std::vector<std::string> list_dirs;
  std::string terms_file;        // screening word lists (data/screening/terms.toml) -> fuzzy screener; "" = exact/alias
  ScreenerLoader load_screener;  // default: license::ExactAliasScreener::load
  // Default: the in-memory twin of the default load_screener. Left empty with a custom load_screener,
  // the inline form of POST /v1/lists is refused (501).
  ScreenerTextLoader load_screener_texts;
  PartyScreenFn screen_party;  // default: renders PartyScreener::screen() hits
  // POST /v1/lists refuses (409) an import in which a list's entry count drops sharply against the
  // store's latest snapshot, unless "force": true. Read from terms_file's [snapshot] table when set.
  screen::DropPolicy drop_policy;
  // GET /readyz answers within about this long: the store's write probe gets this deadline.
  std::int64_t ready_timeout_ms = 2000;
  std::function<void(const std::string&)> log;  // one line per event (server error, denial); default stderr
  // Authentication denials from one client (address and actor) within this window share one log
  // line and at most two audit records (server/denials.h); at most this many clients are told apart.
  std::chrono::seconds denial_window{60};
  std::size_t denial_max_clients = 1000;
};

class Service {
 public:
  // Loads rules, catalog, letters and lists; fails with a message naming the flag and the problem.
  static Result<std::unique_ptr<Service>> create(ServiceOptions options, std::shared_ptr<store::Store> store);

  Response handle(const Request& request);

  const Metrics& metrics() const { return metrics_; }
  Metrics& metrics() { return metrics_; }  // the HTTP layer counts connections, limits and timeouts
  const Limits& limits() const { return options_.limits; }
  // The largest request body the HTTP layer reads for a request, known from its head: the larger
  // limits().max_list_upload_bytes for POST /v1/lists with an admin key (list files uploaded inline),
  // limits().max_body_bytes otherwise (without an admin key, handle() answers 401/403 anyway).
  std::size_t body_limit(std::string_view method, std::string_view path, std::string_view authorization) const;
  // Marks the service as shutting down: /readyz answers 503 from then on.
  void set_draining() { draining_ = true; }
  // Work deferred from requests to later (the summaries of authentication denials whose window has
  // ended): whether some is due (cheap, no lock), and doing it (a store write; the HTTP layer calls
  // it from a worker thread, and with `all` once it has stopped, so that nothing counted is lost).
  bool deferred_work_due() const;
  void run_deferred_work(bool all = false);

 private:
  // What a decision is made with; replaced as a whole when lists are imported.
  struct Engine {
    std::shared_ptr<const license::PartyScreener> screener;  // null until lists are given or imported
    std::vector<std::string> list_paths;
    std::shared_ptr<const license::OwnershipGraph> ownership;  // the store's ownership rows; null = none
    // The rules directory's registry plus the scenarios installed in the store (server/admin.cpp).
    std::shared_ptr<const rules::Registry> registry;
    mutable std::mutex deciders_mutex;
    mutable std::map<std::string, std::unique_ptr<license::OrderDecider>> deciders;  // by scenario
  };

  Service(ServiceOptions options, std::shared_ptr<store::Store> store);
  std::shared_ptr<const Engine> engine() const;
  Result<const license::OrderDecider*> decider(const Engine& engine, const std::string& scenario) const;

  Response dispatch(const Route& route, const std::string& param, const Request& request, const store::ApiKeyInfo* key);
  Result<std::vector<std::optional<std::int64_t>>> record(const std::vector<store::AuditEvent>& events,
                                                          std::size_t results, const std::string& kind,
                                                          const std::string& noun);
  Response classify(const Request& request, const std::string& actor);
  Response decide(const Request& request, const std::string& actor);
  Response screen(const Request& request, const std::string& actor);
  Response get_decision(const std::string& id);
  Response rules_list();
  Response scenarios_list();
  Response lists_get();
  Response lists_post(const Request& request, const std::string& actor);
  Response import_list_paths(const ListImportRequest& request, const std::string& actor);
  // The common tail of both forms of POST /v1/lists: sharp-drop check, record (audited), swap the engine.
  Response import_lists(Result<std::shared_ptr<const license::PartyScreener>> screener, bool force,
                        nlohmann::json details, std::vector<std::string> list_paths, const std::string& field,
                        const std::string& actor);
  Response healthz();
  Response readyz();

  // Ownership data (server/ownership.cpp): POST /v1/ownership, and at start the --ownership file
  // recorded in the store and the store's rows put in the engine.
  Response ownership_post(const Request& request, const std::string& actor);
  Status sync_ownership();
  // Replaces the engine's ownership with the store's rows (caller holds import_mutex_).
  Status reload_ownership();

  // Administration (server/admin.cpp): keys, installed scenarios, and what is recorded at start.
  std::optional<Response> dispatch_admin(const Route& route, const std::string& param, const Request& request,
                                         const std::string& actor);
  Response keys_create(const Request& request, const std::string& actor);
  Response keys_list();
  Response keys_revoke(const std::string& id, const std::string& actor);
  Response scenarios_post(const Request& request, const std::string& actor);
  // At start: loads the scenarios installed in the store, records the rule versions in use (once
  // per rule-set hash) and the catalog's products (when they changed).
  Status sync_with_store();
  void use_registry(std::shared_ptr<const rules::Registry> registry);  // replaces the engine's registry
  // `registry` plus the scenarios of `installed` it does not know yet (only `only` when not ""), in
  // installation order, each validated as at start. One that does not validate against this
  // instance's rules is skipped and logged (once per name); its error is put in `problem` when it
  // is `only`. Caller holds import_mutex_.
  std::shared_ptr<const rules::Registry> with_installed(std::shared_ptr<const rules::Registry> registry,
                                                        const std::vector<store::InstalledScenario>& installed,
                                                        const std::string& only, std::string* problem);
  // A request names scenario `name` that this instance does not know: it may have been installed
  // through another instance sharing the store since this one started. Loads it from the store into
  // the registry (thread-safe). nullopt: known now, or unknown to the store too (the usual error
  // follows); else the answer (stored but not valid here, or the store unavailable).
  std::optional<Response> ensure_scenario(const std::string& name);
  // GET /v1/scenarios and /v1/rules: adds the scenarios installed in the store since this instance
  // last looked (a store error is logged; the known scenarios are listed).
  void refresh_scenarios();

  Response deny(const Request& request, const Route& route, int status, const std::string& reason,
                const std::string& actor);
  void log(const std::string& line) const;

  ServiceOptions options_;
  std::shared_ptr<store::Store> store_;
  std::shared_ptr<const rules::Registry> registry_;
  ListDirs list_dirs_;  // options_.list_dirs, resolved at start
  std::vector<classify::Item> items_;
  std::vector<rules::Letter> letters_;
  mutable std::mutex engine_mutex_;
  std::shared_ptr<const Engine> engine_;
  std::mutex import_mutex_;  // one list import or scenario install (or load from the store) at a time
  // Installed in the store but not valid with this instance's rules: name -> why (logged once). Under import_mutex_.
  std::map<std::string, std::string> unloadable_scenarios_;
  Metrics metrics_;
  DenialWindows denials_;
  std::mutex deferred_mutex_;  // one run_deferred_work at a time
  std::atomic<bool> draining_{false};
};

// The error body for a status and message (used for errors the HTTP layer answers itself).
std::string error_body(int status, const std::string& code, const std::string& message);

// The OpenAPI document served at /openapi.json (openapi/openapi.json, embedded at build time).
const std::string& openapi_document();

}  // namespace chipgate::server

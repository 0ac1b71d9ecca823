// chipgate's persistent records: decisions, the hash-chained audit log, API keys, list snapshots,
// rule versions in use, products, parties and ownership data. Two backends behind one class:
//
//   "sqlite:PATH" (or a bare PATH)  embedded SQLite in WAL mode, zero configuration (the default)
//   "postgresql://..." / "postgres://..."  PostgreSQL via libpq, for several server instances
//                                          sharing one store
//
// A Store is thread-safe: every call borrows a connection from a small internal pool, so a
// multi-threaded server shares one Store. Several Store objects (several processes or instances)
// may open the same database; audit appends are serialised across all of them (SQLite: BEGIN
// IMMEDIATE; PostgreSQL: SELECT ... FOR UPDATE of the single chain-head row).
//
// Every write that changes what a decision depends on, and every decision, appends one audit
// record in the SAME transaction as the change itself, and the call returns only after COMMIT:
// an id returned to the caller is durable (see docs/store.md for the SQLite synchronous setting).
//
// Audit record hash (canonical serialisation), hex SHA-256 of the UTF-8 bytes of
//   version 2 (records written from schema 3 on, `bound` set):
//   "chipgate-audit-v2\n" + JSON array, no whitespace, of exactly these 11 values in this order:
//   [id (number), time, actor, kind, rule_set_id, rule_set_hash, list_snapshot_id, prev_hash,
//    inputs, outputs, bound]
//   version 1 (records written before schema 3, `bound` NULL): "chipgate-audit-v1\n" + the same
//   array without `bound` (10 values).
// where inputs/outputs/bound are the stored JSON TEXT of those fields, embedded as JSON strings (so
// the hash covers the stored bytes, not a re-serialisation), and every other value is the stored
// string. prev_hash of the first record is 64 '0's. Record ids are consecutive from 1. `bound` holds
// the content hashes of the rows the record created or changed (decision rows, API keys, installed
// scenarios, rule versions, list snapshots and their parties, products; store/row_bindings.h), so
// that an edit of such a row outside the store is named by verify_audit.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/date.h"
#include "core/result.h"

namespace chipgate::store {

// ---- roles and keys --------------------------------------------------------------------------

// viewer: read decisions, lists, rules; analyst: + classify, decide, screen;
// admin: + import lists, install rules/scenarios, manage keys. Ordered: admin > analyst > viewer.
enum class Role { viewer = 0, analyst = 1, admin = 2 };
std::string_view role_name(Role role);
Result<Role> parse_role(std::string_view text);  // "viewer" | "analyst" | "admin"
// True when a key of role `have` may do what needs role `need` (admin may do everything).
inline bool role_allows(Role have, Role need) { return static_cast<int>(have) >= static_cast<int>(need); }

struct ApiKeyInfo {
  std::string id;    // public key id ("k-" + 16 hex), used as the audit actor; never the secret
  std::string name;  // free text given at creation
  Role role = Role::viewer;
  std::string created;                 // UTC timestamp, "YYYY-MM-DDTHH:MM:SS.mmmZ"
  std::optional<Date> expires;         // accepted before this date (UTC), refused from it on
  std::optional<std::string> revoked;  // UTC timestamp of revocation
};

struct NewApiKey {
  ApiKeyInfo info;
  std::string secret;  // "cg_" + 64 hex (32 random bytes); shown once, stored only as SHA-256
};

struct KeyCheck {
  enum class Outcome { ok, unknown, revoked, expired };
  Outcome outcome = Outcome::unknown;
  std::optional<ApiKeyInfo> key;  // set for ok, revoked, expired
  std::string reason;             // "" when ok; else "unknown API key", "API key k-… was revoked on …", …
  bool ok() const { return outcome == Outcome::ok; }
};

// ---- decisions and audit ---------------------------------------------------------------------

// What the caller records; the store adds id, time, hashes. inputs/outputs must be JSON objects
// or arrays holding valid UTF-8.
struct AuditEvent {
  std::string actor;  // API key id, or "cli:<user>" / "system" for local administration
  std::string kind;   // "decision.decide", "decision.classify", "decision.screen", "list.import",
                      // "rules.install", "key.create", "key.revoke", "auth.denied", ...
  nlohmann::json inputs = nlohmann::json::object();
  nlohmann::json outputs = nlohmann::json::object();
  std::string rule_set_id;       // rule version label in force ("2025-01-16" or "2025-01-16+scenario")
  std::string rule_set_hash;     // RuleSet::hash
  std::string list_snapshot_id;  // PartyScreener::snapshot_id(), "" when no list was consulted
  // When not empty: the inputs/outputs as JSON text already serialised by the caller (the server
  // renders a result once and sends the same bytes to the client), stored and hashed verbatim instead
  // of inputs.dump()/outputs.dump(). Must be one JSON object or array in valid UTF-8; the store
  // checks the UTF-8. (Default member initializers: brace-initialised events may omit them.)
  std::string inputs_text{};
  std::string outputs_text{};
};

struct AuditRecord {
  std::int64_t id = 0;
  std::string time;
  std::string actor;
  std::string kind;
  std::string inputs;   // stored JSON text (exactly what was hashed)
  std::string outputs;  // stored JSON text
  std::string rule_set_id;
  std::string rule_set_hash;
  std::string list_snapshot_id;
  std::string prev_hash;
  std::string hash;
  // The row bindings (JSON text, e.g. [["decisions","17","<sha256>"]]); nullopt for a record written
  // before schema 3 (hash rule version 1).
  std::optional<std::string> bound;
  nlohmann::json to_json() const;  // inputs/outputs/bound parsed back into JSON
};

// The hash a record with these fields must carry (the canonical serialisation above, version 1 or 2
// as `bound` is absent or present).
std::string audit_record_hash(const AuditRecord& record);
// `text` as a JSON string literal, byte for byte as nlohmann::json::dump() writes valid UTF-8.
std::string canonical_json_string(std::string_view text);

struct StoredDecision {
  std::int64_t id = 0;        // decision id (the API's decision_id)
  std::int64_t audit_id = 0;  // its audit record; inputs/outputs live only there (one copy)
  std::string time;
  std::string actor;
  std::string kind;
  nlohmann::json inputs;
  nlohmann::json outputs;
  std::string rule_set_id;
  std::string rule_set_hash;
  std::string list_snapshot_id;
  nlohmann::json to_json() const;
};

// A row bound into the chain that no longer matches it (or that the chain does not know).
struct RowProblem {
  std::string table;          // "api_keys", "decisions", "installed_scenarios", ...
  std::string key;            // the row's key: key id, decision id, scenario name, ...
  std::int64_t audit_id = 0;  // the audit record it contradicts; 0 when none recorded it
  std::string problem;        // for a human: what differs and what it means
};

struct VerifyReport {
  bool ok = true;                         // the chain is intact and every bound row matches it
  std::int64_t records = 0;               // records checked
  std::optional<std::int64_t> first_bad;  // id (or position) of the first bad record
  std::string problem;                    // what is wrong with it, for a human
  std::string head_hash;                  // hash of the last good record
  std::string first_hash;                 // hash of record 1 (identifies the chain; "" when empty)
  // Rows bound into the chain (schema 3 on): how many were checked, and the first problems found
  // (at most kMaxRowProblems; row_problems_total counts all of them).
  static constexpr std::size_t kMaxRowProblems = 50;
  std::int64_t rows_checked = 0;
  std::vector<RowProblem> row_problems;
  std::int64_t row_problems_total = 0;
  // What this verification could not check, in sentences (records written before row bindings
  // existed, a store with an older schema). Empty when everything was checked.
  std::vector<std::string> limits;
};

// The chain's head as an anchor names it: the last record's id and hash, and record 1's hash (which
// chain it is). Read by Store::chain_head, signed and checked by store/head_anchor.h.
struct ChainHead {
  std::int64_t id = 0;
  std::string hash;        // 64 zeros for an empty chain
  std::string first_hash;  // "" for an empty chain
};

// ---- catalog, lists, rules -------------------------------------------------------------------

struct ListImport {
  std::string snapshot_id;  // content id (e.g. the screener's snapshot_id()); "" = derive from parties
  std::map<std::string, std::int64_t> source_counts;  // list id -> number of entries
  std::vector<nlohmann::json> parties;                // optional: the entries themselves
  nlohmann::json details = nlohmann::json::object();  // files, sources, anything for the record
};

struct ListSnapshot {
  std::string id;
  std::string imported;  // UTC timestamp
  std::string actor;
  std::map<std::string, std::int64_t> source_counts;
  std::int64_t total = 0;
  std::int64_t audit_id = 0;
  nlohmann::json details;
  nlohmann::json to_json() const;
};

struct RuleInstall {
  std::string rule_set_id;  // version label (with "+scenario" when one applies)
  std::string rule_set_hash;
  std::string scenario;  // "" for none
  nlohmann::json details = nlohmann::json::object();
  // A scenario installed through the API: its TOML text, kept (with its SHA-256) in
  // installed_scenarios and in the audit record's inputs. "" for rules read from files. A name is
  // installed once: a second install of the same name fails ("already installed") and writes nothing.
  std::string toml = {};
};

struct InstalledScenario {
  std::string name;
  std::string toml;         // exactly as installed
  std::string toml_sha256;  // hex SHA-256 of `toml`
  std::string installed;    // UTC timestamp
  std::string actor;
  std::int64_t audit_id = 0;
};

struct RuleVersionRecord {
  std::string rule_set_id;
  std::string rule_set_hash;
  std::string scenario;
  std::string installed;
  std::string actor;
  std::int64_t audit_id = 0;
};

struct ProductRecord {
  std::string id;  // catalog id
  nlohmann::json data;
};

// The one rule for a new key's expiry date, for the CLI, the API and the store: a key is refused
// from its expiry date on (UTC), so a date that is not after `today` makes a key that could never
// be used. The error names the field: "expires: 2020-01-01 is not after today (2026-...)".
Status check_key_expiry(std::optional<Date> expires, Date today = Date::today_utc());
// Ownership data for the Affiliates rule: "owner holds percent of party". The caller gives the
// matching keys (the names as the screener normalises them); one row per (party_key, owner_key).
struct OwnershipRow {
  std::string party_key, owner_key;
  std::string party, owner;            // as written
  std::optional<std::string> percent;  // decimal text, 0-100; nullopt = share unknown
  std::string source;
  std::optional<std::string> as_of;  // YYYY-MM-DD
  std::string recorded;              // set by the store: UTC timestamp
  std::string actor;                 // set by the store
  std::int64_t audit_id = 0;         // set by the store
  nlohmann::json to_json() const;    // {"party", "owner", "percent", "source", "as_of"} (percent a number or null)
};

// ---- the store -------------------------------------------------------------------------------

struct OpenOptions {
  // What the opener will do. kCreate: create the database when it does not exist, apply pending
  // migrations (servers, `keys create`). kExisting: the same on an existing database only ("no
  // such database" otherwise). kReadOnly: an existing database, no migration, every write refused
  // (`audit verify`, `keys list`): a mistyped path never becomes a new empty store.
  enum class Mode { kCreate, kExisting, kReadOnly };
  Mode mode = Mode::kCreate;
  // How long one statement may take, ms (db::Spec::statement_timeout_ms): PostgreSQL statement_timeout
  // and a client-side deadline (a stopped server never answers) and the connect timeout; SQLite's
  // wait for the write lock. 0 = the backends' defaults (SQLite 10 s, PostgreSQL none).
  std::int64_t statement_timeout_ms = 0;
  std::size_t pool_size = 32;  // idle connections kept open (one borrowed per concurrent call; more are opened
                               // when needed and closed on return), e.g. one per server worker thread
  // How long lookup_key may answer from memory for a key it has read before (0 = always ask the
  // database). A server authenticates every request; with a cache a key revoked through THIS store
  // object is refused at once (revoke_key clears the cache), one revoked by another instance sharing
  // the database within this many milliseconds. Expiry dates are checked on every call either way.
  std::int64_t key_cache_ms = 0;
  // Group commit (record_decision): when the previous batch held more than one decision, i.e.
  // callers are arriving concurrently, the leader waits this long before writing so that more of
  // them join its transaction (as PostgreSQL's commit_delay/commit_siblings). On a CPU-bound server
  // this trades a fraction of a millisecond of latency for far fewer commits. 0 = write at once.
  std::int64_t group_commit_delay_us = 0;
  // SQLite: copy the write-ahead log back into the database from a background thread (every 100 ms,
  // PASSIVE, never blocking writers) instead of inside whichever commit fills the log to 1000
  // pages, which then holds the write lock through two fsyncs and delays every decision queued
  // behind it. When writers keep the log from ever being fully copied, a checkpoint that waits for
  // the in-process writers bounds it (> 2 MB). Ignored for PostgreSQL.
  bool background_checkpoint = false;
};

class Store {
 public:
  // Opens (creating an SQLite file if needed) and applies pending migrations in one transaction.
  // Errors name the spec and the problem ("cannot connect to postgresql://…: …").
  static Result<std::unique_ptr<Store>> open(std::string_view db_spec, OpenOptions options = {});
  // The default spec when --db is not given: $CHIPGATE_DB, else "sqlite:chipgate.db".
  static std::string default_spec();

  ~Store();
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  std::string_view backend() const;  // "sqlite" | "postgresql"
  Result<int> schema_version();

  // Whether a write would succeed now, answered within `deadline`: the database is still the file
  // at its path (SQLite), can be opened for writing, and a small write (the store_probe row, outside
  // the chain) commits. The answer is reused for a second, and one probe runs at a time, so that
  // frequent callers (a readiness endpoint anyone may call) do not turn into a write load. The
  // error says why, for a log (it may name paths and hosts).
  Status check_writable(std::chrono::milliseconds deadline);

  // Decisions: the decision row and its audit record in one transaction; returns the decision id
  // once committed. The batch form writes all (or none) in one transaction, ids in input order.
  Result<std::int64_t> record_decision(const AuditEvent& decision);
  Result<std::vector<std::int64_t>> record_decisions(const std::vector<AuditEvent>& decisions);
  Result<std::optional<StoredDecision>> get_decision(std::int64_t id);

  // Any other audited event (e.g. "auth.denied"); returns the audit record id.
  Result<std::int64_t> append_audit(const AuditEvent& event);
  // Records with from_id <= id, at most `limit`, in id order.
  Result<std::vector<AuditRecord>> audit_records(std::int64_t from_id = 1, std::int64_t limit = 1000);
  // Records whose time lies in [from, to] (whole UTC days), in id order.
  Result<std::vector<AuditRecord>> audit_range(Date from, Date to);
  Result<VerifyReport> verify_audit();
  // The chain head (audit_head), checked against the record it names; for signed anchors.
  Result<ChainHead> chain_head();

  // Lists: the snapshot row, its parties and the audit record in one transaction.
  Result<ListSnapshot> record_list_import(const std::string& actor, const ListImport& import);
  Result<std::vector<ListSnapshot>> list_snapshots();  // newest first
  Result<std::optional<ListSnapshot>> latest_snapshot();

  // Rule versions / scenarios installed (audited).
  Result<std::int64_t> record_rules_install(const std::string& actor, const RuleInstall& install);
  Result<std::vector<RuleVersionRecord>> rule_versions();  // newest first
  // Scenarios installed with RuleInstall::toml, in installation order.
  Result<std::vector<InstalledScenario>> installed_scenarios();

  // Ownership rows (upsert by (party_key, owner_key)), all written with one "ownership.import" audit
  // record in one transaction; returns its audit id. `details` (e.g. the file name) goes to its inputs.
  Result<std::int64_t> record_ownership(const std::string& actor, const std::vector<OwnershipRow>& rows,
                                        const nlohmann::json& details = nlohmann::json::object());
  Result<std::vector<OwnershipRow>> ownership();  // every row, by party_key then owner_key

  // Catalog (upsert by id, audited as one "catalog.import" record).
  Result<std::int64_t> put_products(const std::string& actor, const std::vector<ProductRecord>& products);
  Result<std::optional<ProductRecord>> get_product(const std::string& id);

  // API keys (creation and revocation audited, actor = who did it). An expiry date must lie after
  // `today` (check_key_expiry: the rule of the CLI and the API; tests pass an earlier `today` to make
  // a key that has expired since).
  Result<NewApiKey> create_key(const std::string& actor, Role role, const std::string& name,
                               std::optional<Date> expires, Date today = Date::today_utc());
  Result<KeyCheck> lookup_key(std::string_view secret, Date today = Date::today_utc());
  Result<std::vector<ApiKeyInfo>> list_keys();
  Status revoke_key(const std::string& actor, const std::string& key_id);  // error if unknown/already revoked

  struct Impl;

 private:
  explicit Store(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace chipgate::store

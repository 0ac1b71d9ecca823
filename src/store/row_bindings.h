// Internal to src/store: how the rows that change what the service answers or allows are bound
// into the audit chain (docs/store.md, "Rows bound into the chain").
//
// Each such row has a content hash computed from its stored columns; the audit record that created
// or changed the row carries that hash in its `bound` field, which the record's own hash covers. The
// verifier recomputes every row's hash and compares it with the latest binding of that row, so an
// edit made with SQL (a role raised, a decision pointed at another audit record, a scenario's TOML
// changed, a row inserted or deleted) is named, with the record it contradicts.
//
//   row hash     = hex SHA-256 of "chipgate-row-v1\n" + JSON array [table, column values...], the
//                  values as the stored text (JSON strings; NULL as null), compact, in the column
//                  order of the table below
//   rows digest  = hex SHA-256 of "chipgate-rows-v1\n" + (row hash + "\n") for each row in key order
//                  (the parties of one list snapshot; the decisions that predate the bindings)
//   bound        = JSON array of [table, key, hash] triples, e.g. [["decisions","17","ab12..."]]
#pragma once

#include <openssl/evp.h>

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "store/db.h"

namespace chipgate::store::bindings {

using Value = std::optional<std::string>;  // one column as stored text; nullopt = NULL

// A table whose rows are bound one by one: its name, its columns in hashing order (the first is
// the key) for SELECT, and the schema version whose migration created it (a store migrated to
// bindings at schema 3, or opened read-only at an older schema, has no later table yet).
struct Table {
  const char* name;
  const char* columns;
  int since_schema = 1;
};
inline constexpr Table kDecisions{"decisions", "id, audit_id, time, actor, kind"};
inline constexpr Table kApiKeys{"api_keys", "id, key_hash, name, role, created, expires, revoked"};
inline constexpr Table kInstalledScenarios{"installed_scenarios",
                                           "name, toml, toml_sha256, installed, actor, audit_id"};
inline constexpr Table kRuleVersions{"rule_versions",
                                     "seq, rule_set_id, rule_set_hash, scenario, installed, actor, audit_id"};
inline constexpr Table kListSnapshots{"list_snapshots", "id, imported, actor, source_counts, total, details, audit_id"};
inline constexpr Table kProducts{"products", "id, data, updated, audit_id"};
// Ownership rows (Affiliates rule) have a two-column key: bound as "party_key|owner_key".
inline constexpr Table kOwnership{
    "ownership",
    "party_key || '|' || owner_key, party, owner, percent, source, as_of, recorded, actor, "
    "audit_id",
    4};
// The tables verified row by row against their latest binding (decisions are verified through
// their audit records instead, see verify.cpp; parties through their snapshot's digest).
inline constexpr Table kKeyedTables[] = {kApiKeys,       kInstalledScenarios, kRuleVersions,
                                         kListSnapshots, kProducts,           kOwnership};
// Parties are bound per list snapshot: key = snapshot id, hash = the digest of its rows by seq.
inline constexpr Table kParties{"parties", "snapshot_id, seq, list_id, name, country, data"};
// The decisions that existed when a store was migrated to bindings: key = the last decision id then,
// hash = the digest of the rows 1..key by id.
inline constexpr const char* kLegacyDecisions = "decisions.through";

std::string row_hash(std::string_view table, const std::vector<Value>& values);

// The rows digest, fed one row hash at a time (a store may hold millions of decisions).
class Digest {
 public:
  Digest();
  void add(const std::string& row_hash);
  std::string hex();  // once
  std::int64_t rows() const { return rows_; }

 private:
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx_;
  std::int64_t rows_ = 0;
};

struct Binding {
  std::string table;
  std::string key;
  std::string hash;
};

std::string bound_text(const std::vector<Binding>& bindings);
Result<std::vector<Binding>> parse_bound(std::string_view text);

// ---- the rows as they are now (the verifier, and the migration that binds existing rows) -------

// Every row of a keyed table as a binding (key = its first column), in key order.
Result<std::vector<Binding>> table_rows(db::Connection& c, const Table& table);

struct RowsDigest {
  std::string hash;
  std::int64_t rows = 0;
};
// The parties of each list snapshot that has any, keyed by snapshot id.
Result<std::map<std::string, RowsDigest>> party_digests(db::Connection& c);
// The decisions with id <= through, by id.
Result<RowsDigest> decisions_digest(db::Connection& c, std::int64_t through);
// The digest of no rows (a snapshot imported without its parties).
std::string empty_digest();

}  // namespace chipgate::store::bindings

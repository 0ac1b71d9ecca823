// Store verification (verify.h): the hash chain record by record, then every row bound into it.
//
//  1. The chain (docs/store.md): ids 1, 2, 3, ... without gaps, each record's hash (rule version 1
//     or 2), each link to the record before, the head row. A record without row bindings after one
//     with them was written outside the store.
//  2. Decisions, in the same walk: each record is read with the decision row that points at it
//     (decisions.audit_id), and a record that recorded decision N must be pointed at by row N, whose
//     content hash it carries; a record that recorded no decision must not be pointed at.
//  3. The other bound rows (API keys, installed scenarios, rule versions, list snapshots and their
//     parties, products) against the latest record that bound each of them, both ways: a row whose
//     hash differs was edited, a row no record bound was inserted, a bound row that is gone was
//     deleted. The decisions written before the bindings existed are checked against the digest the
//     migration bound.
// Everything is read in one snapshot (PostgreSQL REPEATABLE READ; an SQLite read transaction).
#include "store/verify.h"

#include <limits>
#include <map>

#include "store/row_bindings.h"

namespace chipgate::store {

namespace {

constexpr const char* kZeroHash = "0000000000000000000000000000000000000000000000000000000000000000";
constexpr std::int64_t kPage = 5000;

std::int64_t to_int(const std::optional<std::string>& v) { return v ? std::strtoll(v->c_str(), nullptr, 10) : 0; }
std::string to_str(const std::optional<std::string>& v) { return v.value_or(""); }

// The chain walk's rows: the record (12 columns; `bound` NULL before schema 3) and the decision row
// that points at it (5 columns, NULL when none).
std::string walk_sql(bool bindings) {
  return std::string(
             "SELECT a.id, a.time, a.actor, a.kind, a.inputs, a.outputs, a.rule_set_id, a.rule_set_hash, "
             "a.list_snapshot_id, a.prev_hash, a.hash, ") +
         (bindings ? "a.bound, d.id, d.audit_id, d.time, d.actor, d.kind FROM audit_log a LEFT JOIN decisions d ON "
                     "d.audit_id = a.id"
                   : "NULL, NULL, NULL, NULL, NULL, NULL FROM audit_log a") +
         " WHERE a.id >= $1 ORDER BY a.id LIMIT $2";
}

AuditRecord record_of(const db::Row& r) {
  AuditRecord a;
  a.id = to_int(r[0]);
  a.time = to_str(r[1]);
  a.actor = to_str(r[2]);
  a.kind = to_str(r[3]);
  a.inputs = to_str(r[4]);
  a.outputs = to_str(r[5]);
  a.rule_set_id = to_str(r[6]);
  a.rule_set_hash = to_str(r[7]);
  a.list_snapshot_id = to_str(r[8]);
  a.prev_hash = to_str(r[9]);
  a.hash = to_str(r[10]);
  a.bound = r[11];
  return a;
}

std::string describe_row(const std::string& table, const std::string& key) {
  if (table == bindings::kApiKeys.name) return "API key " + key;
  if (table == bindings::kInstalledScenarios.name) return "installed scenario '" + key + "'";
  if (table == bindings::kRuleVersions.name) return "rule version row " + key;
  if (table == bindings::kListSnapshots.name) return "list snapshot " + key;
  if (table == bindings::kProducts.name) return "product " + key;
  if (table == bindings::kOwnership.name) return "ownership row " + key;
  return table + " row " + key;
}

class Verifier {
 public:
  Verifier(db::Connection& c, bool postgresql, int schema)
      : c_(c), pg_(postgresql), schema_(schema), bindings_(schema >= 3) {}

  Result<VerifyReport> run() {
    if (Status s = pg_ ? c_.exec("BEGIN ISOLATION LEVEL REPEATABLE READ") : c_.begin_read(); !s)
      return Result<VerifyReport>(s);
    Status s = verify();
    c_.rollback();  // read-only transaction
    if (!s) return Result<VerifyReport>(s);
    rep_.ok = !rep_.first_bad && rep_.row_problems_total == 0;
    describe_limits();
    return rep_;
  }

 private:
  Status verify() {
    rep_.head_hash = kZeroHash;
    auto head = c_.query("SELECT last_id, last_hash FROM audit_head WHERE singleton = 1");
    if (!head) return head.status();
    if (head->size() != 1) return chain_bad(1, "the chain head row (table audit_head) is missing");
    head_id_ = to_int((*head)[0][0]);
    head_hash_ = to_str((*head)[0][1]);
    if (Status s = walk_chain(); !s || rep_.first_bad || !bindings_) return s;
    if (Status s = check_decision_rows(); !s) return s;
    if (Status s = check_tables(); !s) return s;
    return check_parties();
  }

  Status chain_bad(std::int64_t id, std::string problem) {
    rep_.first_bad = id;
    rep_.problem = std::move(problem);
    return Status::ok();
  }

  bool broken(std::int64_t id, std::string problem) {
    (void)chain_bad(id, std::move(problem));
    return false;
  }

  void row_problem(const std::string& table, const std::string& key, std::int64_t audit_id, std::string problem) {
    ++rep_.row_problems_total;
    if (table == bindings::kDecisions.name) ++decision_problems_;
    if (rep_.row_problems.size() < VerifyReport::kMaxRowProblems)
      rep_.row_problems.push_back({table, key, audit_id, std::move(problem)});
  }

  // ---- 1 and 2: the chain, and the decisions linked to its records ------------------------------

  Status walk_chain() {
    std::int64_t expected = 1;
    std::string prev = kZeroHash;
    const std::string sql = walk_sql(bindings_);
    for (;;) {
      auto page = c_.query(sql, {expected == 1 ? std::numeric_limits<std::int64_t>::min() : expected, kPage});
      if (!page) return page.status();
      for (const db::Row& row : page.value()) {
        const AuditRecord rec = record_of(row);
        if (rec.id == expected - 1 && row[12]) {  // a second decision row points at the same record
          row_problem(bindings::kDecisions.name, to_str(row[12]), rec.id,
                      "decision " + to_str(row[12]) + " points at audit record " + std::to_string(rec.id) +
                          ", which another decision row points at too: its audit link was changed");
          continue;
        }
        if (!check_record(rec, expected, prev)) return Status::ok();
        if (rec.bound) {
          if (Status s = note_bindings(rec, row); !s || rep_.first_bad) return s;
        } else {
          ++legacy_records_;
        }
        prev = rec.hash;
        ++expected;
        ++rep_.records;
        if (rep_.records == 1) rep_.first_hash = rec.hash;
      }
      if (static_cast<std::int64_t>(page->size()) < kPage) break;
    }
    return check_end(expected, prev);
  }

  // False when the record breaks the chain (rep_ then names it).
  bool check_record(const AuditRecord& rec, std::int64_t expected, const std::string& prev) {
    const std::string n = std::to_string(rec.id);
    if (rec.id < expected) return broken(rec.id, "record " + n + " has an id outside the sequence 1, 2, 3, ...");
    if (rec.id > expected) {
      const std::string missing =
          rec.id == expected + 1 ? "record " + std::to_string(expected) + " is"
                                 : "records " + std::to_string(expected) + " to " + std::to_string(rec.id - 1) + " are";
      return broken(expected, missing + " missing (deleted): the next record present is " + n);
    }
    if (rec.id > head_id_)
      return broken(rec.id, "record " + n + " lies beyond the chain head (last appended id " +
                                std::to_string(head_id_) + "): inserted outside the store");
    if (!rec.bound && first_bound_)
      return broken(rec.id, "record " + n + " carries no row bindings although record " +
                                std::to_string(*first_bound_) + " before it does: it was written outside the store");
    if (audit_record_hash(rec) != rec.hash)
      return broken(rec.id, "record " + n +
                                " does not match its hash: its content was edited, or it was moved from another "
                                "position");
    if (rec.prev_hash != prev)
      return broken(rec.id, "record " + n + " does not link to record " + std::to_string(rec.id - 1) +
                                " (prev_hash differs): records were inserted, deleted or reordered before it");
    return true;
  }

  Status check_end(std::int64_t expected, const std::string& prev) {
    if (head_id_ >= expected)
      return chain_bad(expected, (head_id_ == expected ? "record " + std::to_string(expected) + " is"
                                                       : "records " + std::to_string(expected) + " to " +
                                                             std::to_string(head_id_) + " are") +
                                     " missing at the end of the chain (deleted): the chain head says " +
                                     std::to_string(head_id_) + " records were appended");
    if (head_hash_ != prev)
      return chain_bad(head_id_, "the chain head hash does not match record " + std::to_string(head_id_) +
                                     ": the last record or the head was altered");
    rep_.head_hash = prev;
    return Status::ok();
  }

  // A record with row bindings: remembers what it bound, and checks the decision row pointing at it.
  Status note_bindings(const AuditRecord& rec, const db::Row& row) {
    if (!first_bound_) {
      first_bound_ = rec.id;
      first_bound_time_ = rec.time;
    }
    auto bound = bindings::parse_bound(*rec.bound);
    if (!bound) return chain_bad(rec.id, "record " + std::to_string(rec.id) + ": " + bound.message());
    const std::string audit = "audit record " + std::to_string(rec.id);
    bool recorded_decision = false;
    for (const auto& b : bound.value()) {
      if (b.table == bindings::kDecisions.name) {
        recorded_decision = true;
        ++decision_bindings_;
        check_decision(rec, b, row);
      } else if (b.table == bindings::kLegacyDecisions) {
        legacy_decisions_ = LegacyDecisions{std::strtoll(b.key.c_str(), nullptr, 10), b.hash, rec.id};
      } else {
        latest_[b.table][b.key] = Latest{b.hash, rec.id};
      }
    }
    if (!recorded_decision && row[12])
      row_problem(bindings::kDecisions.name, to_str(row[12]), rec.id,
                  "decision " + to_str(row[12]) + " points at " + audit + " (" + rec.kind +
                      "), which did not record it: its audit link was changed");
    return Status::ok();
  }

  void check_decision(const AuditRecord& rec, const bindings::Binding& b, const db::Row& row) {
    const std::string audit = "audit record " + std::to_string(rec.id);
    if (!row[12]) {
      row_problem(b.table, b.key, rec.id,
                  "decision " + b.key + " was recorded by " + audit +
                      ", but no decision row points at that record: the row was deleted or its audit link was changed");
    } else if (*row[12] != b.key) {
      row_problem(b.table, *row[12], rec.id,
                  "decision " + *row[12] + " points at " + audit + ", which recorded decision " + b.key +
                      ": its audit link was changed");
    } else if (bindings::row_hash(b.table, db::Row(row.begin() + 12, row.begin() + 17)) != b.hash) {
      row_problem(b.table, b.key, rec.id,
                  "decision " + b.key + "'s row differs from what " + audit +
                      " recorded: its time, actor or kind was edited outside the store");
    } else {
      ++rep_.rows_checked;
    }
  }

  // ---- 3: the decision rows the walk cannot see, and the other bound tables ---------------------

  Status check_decision_rows() {
    std::int64_t legacy_rows = 0, through = 0;
    if (legacy_decisions_) {
      through = legacy_decisions_->through;
      auto d = bindings::decisions_digest(c_, through);
      if (!d) return d.status();
      legacy_rows = d->rows;
      if (d->hash != legacy_decisions_->hash)
        row_problem(bindings::kDecisions.name, "1-" + std::to_string(through), legacy_decisions_->audit_id,
                    "the decisions written before rows were bound into the chain (ids up to " +
                        std::to_string(through) + ") differ from what audit record " +
                        std::to_string(legacy_decisions_->audit_id) +
                        " bound: one of them was edited, deleted, added or pointed at another record");
      else
        rep_.rows_checked += d->rows;
    }
    auto total = c_.query("SELECT COUNT(*) FROM decisions");
    if (!total) return total.status();
    const std::int64_t rows = to_int(total.value()[0][0]);
    if (rows == decision_bindings_ + legacy_rows) return Status::ok();
    // Rows the chain does not know: pointing at no record, or at one written without bindings.
    auto strays = c_.query(
        "SELECT d.id, d.audit_id, a.id FROM decisions d LEFT JOIN audit_log a ON a.id = d.audit_id "
        "WHERE (a.id IS NULL OR a.bound IS NULL) AND d.id > $1 ORDER BY d.id LIMIT 20",
        {through});
    if (!strays) return strays.status();
    for (const db::Row& r : strays.value())
      row_problem(bindings::kDecisions.name, to_str(r[0]), 0,
                  "decision " + to_str(r[0]) + " points at audit record " + to_str(r[1]) +
                      (r[2] ? ", which recorded no decision" : ", which does not exist") +
                      ": it was inserted or changed outside the store");
    if (decision_problems_ == 0)
      row_problem(bindings::kDecisions.name, "", 0,
                  "the decisions table holds " + std::to_string(rows) + " rows where the chain records " +
                      std::to_string(decision_bindings_ + legacy_rows) +
                      ": rows were added or removed outside the store");
    return Status::ok();
  }

  Status check_tables() {
    for (const bindings::Table& t : bindings::kKeyedTables) {
      if (t.since_schema > schema_) continue;  // not created yet in this store
      auto rows = bindings::table_rows(c_, t);
      if (!rows) return rows.status();
      auto& bound = latest_[t.name];
      for (const auto& r : rows.value()) {
        const auto it = bound.find(r.key);
        if (it == bound.end())
          row_problem(
              t.name, r.key, 0,
              describe_row(t.name, r.key) +
                  " is not recorded in the audit chain: it was inserted (or its key changed) outside the store");
        else if (it->second.hash != r.hash)
          row_problem(t.name, r.key, it->second.audit_id,
                      describe_row(t.name, r.key) + " differs from what audit record " +
                          std::to_string(it->second.audit_id) + " recorded: it was edited outside the store");
        else
          ++rep_.rows_checked;
        if (it != bound.end()) bound.erase(it);
      }
      for (const auto& [key, latest] : bound)
        row_problem(t.name, key, latest.audit_id,
                    describe_row(t.name, key) + " was recorded by audit record " + std::to_string(latest.audit_id) +
                        " but is missing: it was deleted outside the store");
    }
    return Status::ok();
  }

  Status check_parties() {
    auto digests = bindings::party_digests(c_);
    if (!digests) return digests.status();
    auto& bound = latest_[bindings::kParties.name];
    const std::string table = bindings::kParties.name;
    for (const auto& [snapshot, d] : digests.value()) {
      const auto it = bound.find(snapshot);
      if (it == bound.end())
        row_problem(table, snapshot, 0,
                    "the parties of list snapshot " + snapshot +
                        " are not recorded in the audit chain: they were inserted outside the store");
      else if (it->second.hash != d.hash)
        row_problem(table, snapshot, it->second.audit_id,
                    "the parties of list snapshot " + snapshot + " differ from what audit record " +
                        std::to_string(it->second.audit_id) + " recorded: edited, added or deleted outside the store");
      else
        rep_.rows_checked += d.rows;
      if (it != bound.end()) bound.erase(it);
    }
    const std::string none = bindings::empty_digest();
    for (const auto& [snapshot, latest] : bound)
      if (latest.hash != none)
        row_problem(table, snapshot, latest.audit_id,
                    "the parties of list snapshot " + snapshot + " recorded by audit record " +
                        std::to_string(latest.audit_id) + " are missing: they were deleted outside the store");
    return Status::ok();
  }

  // ---- what could not be checked ----------------------------------------------------------------

  void describe_limits() {
    if (!bindings_) {
      rep_.limits.push_back(
          "this store has schema version " + std::to_string(schema_) +
          ", from before rows were bound into the chain (schema 3): the records were checked, but not the rows "
          "they wrote (API keys and their roles, the audit record each decision points at, installed scenarios, "
          "rule versions, list snapshots, products); open it once with a command that writes (chipgate serve, "
          "chipgate keys create) to migrate it");
      return;
    }
    if (rep_.first_bad)
      rep_.limits.push_back("the rows bound into the chain were not all checked: the chain is broken at record " +
                            std::to_string(*rep_.first_bad) + ", so no binding from there on can be trusted");
    if (legacy_records_ > 0) {
      std::string when = first_bound_ ? "as they stood at record " + std::to_string(*first_bound_) + " (" +
                                            first_bound_time_ + "), when the store bound them"
                                      : "not at all: no record binds them yet";
      rep_.limits.push_back("records 1 to " + std::to_string(legacy_records_) +
                            " were written before rows were bound into the chain (schema 3): their content, order "
                            "and links were checked; the rows they wrote are checked " +
                            when + ", so an edit made to those rows before then cannot be detected");
    }
  }

  struct Latest {
    std::string hash;
    std::int64_t audit_id = 0;
  };
  struct LegacyDecisions {
    std::int64_t through = 0;
    std::string hash;
    std::int64_t audit_id = 0;
  };

  db::Connection& c_;
  bool pg_;
  int schema_;
  bool bindings_;
  VerifyReport rep_;
  std::int64_t head_id_ = 0;
  std::string head_hash_;
  std::map<std::string, std::map<std::string, Latest>> latest_;  // table -> key -> latest binding
  std::int64_t decision_bindings_ = 0;
  std::int64_t decision_problems_ = 0;
  std::optional<LegacyDecisions> legacy_decisions_;
  std::optional<std::int64_t> first_bound_;  // the first record with row bindings
  std::string first_bound_time_;
  std::int64_t legacy_records_ = 0;
};

}  // namespace

Result<VerifyReport> verify_store(db::Connection& c, bool postgresql, int schema) {
  return Verifier(c, postgresql, schema).run();
}

}  // namespace chipgate::store

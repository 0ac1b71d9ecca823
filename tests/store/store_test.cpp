// Store tests, run against BOTH backends: SQLite (always) and PostgreSQL (when CHIPGATE_TEST_PG
// holds a connection URL; scripts/test.sh provides one through scripts/with-postgres.sh). Each
// PostgreSQL test gets its own schema, so tests never see each other's rows.
#include "store/store.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <thread>

#include "core/sha256.h"
#include "store/db.h"
#include "store/migrations.h"
#include "store_fixture.h"
#include "test_support.h"

namespace chipgate::store {
namespace {

using testing::kZero;
using testing::StoreTest;

// ---- migrations ------------------------------------------------------------------------------

TEST_P(StoreTest, MigrationsOnEmptyDatabaseReachTheLatestVersion) {
  // Four migration files per backend exist (0001_initial.sql, 0002_installed_scenarios.sql,
  // 0003_row_bindings.sql, 0004_ownership.sql), so the schema version is 4.
  ASSERT_EQ(sqlite_migrations().size(), 4u);
  ASSERT_EQ(postgresql_migrations().size(), 4u);
  auto v = store_->schema_version();
  ASSERT_TRUE(v) << v.message();
  EXPECT_EQ(v.value(), 4);
  EXPECT_EQ(count("schema_version"), 4);
  // A new store has nothing written before the bindings: no record binds older rows.
  EXPECT_EQ(count("audit_log"), 0);
  // An empty chain verifies, with the all-zero head.
  auto rep = store_->verify_audit();
  ASSERT_TRUE(rep) << rep.message();
  EXPECT_TRUE(rep->ok);
  EXPECT_EQ(rep->records, 0);
  EXPECT_EQ(rep->head_hash, kZero);
}

TEST_P(StoreTest, ReopeningAnExistingDatabaseKeepsDataAndDoesNotReapply) {
  auto id = store_->record_decision(decision(1));
  ASSERT_TRUE(id) << id.message();
  store_.reset();
  auto again = Store::open(spec_);
  ASSERT_TRUE(again) << again.message();
  EXPECT_EQ(again.value()->schema_version().value(), 4);
  EXPECT_EQ(count("schema_version"), 4);  // not applied twice
  auto d = again.value()->get_decision(id.value());
  ASSERT_TRUE(d && d.value());
  EXPECT_EQ(d.value()->inputs["order"], "PO-1");
  EXPECT_TRUE(again.value()->verify_audit().value().ok);
}

TEST_P(StoreTest, RefusesADatabaseWithANewerSchema) {
  sql("INSERT INTO schema_version (version, name, applied) VALUES (999, 'future', 'x')");
  store_.reset();
  auto again = Store::open(spec_);
  ASSERT_FALSE(again);
  EXPECT_NE(again.message().find("schema version 999"), std::string::npos) << again.message();
  EXPECT_NE(again.message().find("newer"), std::string::npos) << again.message();
}

// ---- decisions -------------------------------------------------------------------------------

TEST_P(StoreTest, DecisionRoundTrip) {
  auto id1 = store_->record_decision(decision(1));
  auto id2 = store_->record_decision(decision(2));
  ASSERT_TRUE(id1 && id2) << id1.message() << id2.message();
  EXPECT_LT(id1.value(), id2.value());
  auto d = store_->get_decision(id2.value());
  ASSERT_TRUE(d) << d.message();
  ASSERT_TRUE(d.value().has_value());
  const StoredDecision& got = *d.value();
  EXPECT_EQ(got.id, id2.value());
  EXPECT_EQ(got.kind, "decision.decide");
  EXPECT_EQ(got.actor, "k-test");
  EXPECT_EQ(got.inputs, decision(2).inputs);
  EXPECT_EQ(got.outputs, decision(2).outputs);
  EXPECT_EQ(got.rule_set_id, "2025-01-16");
  EXPECT_EQ(got.rule_set_hash, "abc123");
  EXPECT_EQ(got.list_snapshot_id, "snap-1");
  EXPECT_EQ(got.time.size(), std::string("2026-11-30T10:00:00.000Z").size());
  EXPECT_EQ(got.to_json()["decision_id"], id2.value());
  // Its audit record is the second record of the chain and carries the same content.
  EXPECT_EQ(got.audit_id, 2);
  auto recs = store_->audit_records(2, 1);
  ASSERT_TRUE(recs && recs->size() == 1u);
  EXPECT_EQ(nlohmann::json::parse(recs->front().inputs), decision(2).inputs);
  EXPECT_EQ(recs->front().prev_hash, store_->audit_records(1, 1).value().front().hash);
  // Unknown id: no decision, no error.
  auto none = store_->get_decision(id2.value() + 1000);
  ASSERT_TRUE(none);
  EXPECT_FALSE(none.value().has_value());
}

TEST_P(StoreTest, BatchIsAllOrNothing) {
  auto ids = store_->record_decisions({decision(1), decision(2), decision(3)});
  ASSERT_TRUE(ids) << ids.message();
  ASSERT_EQ(ids->size(), 3u);
  EXPECT_LT((*ids)[0], (*ids)[1]);
  EXPECT_LT((*ids)[1], (*ids)[2]);
  EXPECT_EQ(store_->get_decision((*ids)[2]).value()->inputs["order"], "PO-3");

  AuditEvent bad = decision(5);
  bad.inputs["name"] = std::string("\xff\xfe bad bytes");  // not UTF-8
  auto r = store_->record_decisions({decision(4), bad, decision(6)});
  ASSERT_FALSE(r);
  EXPECT_NE(r.message().find("decision 2: inputs"), std::string::npos) << r.message();
  EXPECT_EQ(count("decisions"), 3);  // nothing of the failed batch
  EXPECT_EQ(count("audit_log"), 3);
}

TEST_P(StoreTest, InvalidEventsAreRejectedWithTheFieldNamed) {
  AuditEvent e = admin_event(1);
  e.actor = std::string("bad\0actor", 9);
  auto r = store_->append_audit(e);
  ASSERT_FALSE(r);
  EXPECT_NE(r.message().find("actor"), std::string::npos) << r.message();
  e = admin_event(1);
  e.kind = "";
  r = store_->append_audit(e);
  ASSERT_FALSE(r);
  EXPECT_NE(r.message().find("kind"), std::string::npos) << r.message();
  EXPECT_EQ(count("audit_log"), 0);
}

// ---- audit chain -----------------------------------------------------------------------------

TEST(AuditHash, FollowsTheDocumentedCanonicalSerialisation) {
  AuditRecord r;
  r.id = 7;
  r.time = "2026-11-30T10:00:00.000Z";
  r.actor = "k-1";
  r.kind = "decision.decide";
  r.inputs = R"({"a":1})";
  r.outputs = "{}";
  r.rule_set_id = "2025-01-16";
  r.rule_set_hash = "h";
  r.list_snapshot_id = "s";
  r.prev_hash = kZero;
  // Written out by hand from the rule in store.h: prefix line, then the JSON array with inputs
  // and outputs embedded as strings (so their quotes are escaped).
  const std::string canonical =
      "chipgate-audit-v1\n[7,\"2026-11-30T10:00:00.000Z\",\"k-1\",\"decision.decide\","
      "\"2025-01-16\",\"h\",\"s\",\"" +
      kZero + "\",\"{\\\"a\\\":1}\",\"{}\"]";
  EXPECT_EQ(audit_record_hash(r), sha256_hex(canonical));
  r.outputs = "{ }";  // one byte more changes the hash
  EXPECT_NE(audit_record_hash(r), sha256_hex(canonical));
}

TEST(AuditHash, StringEscapingMatchesJsonDump) {
  // The canonical form promises JSON's escaping; nlohmann's dump() is the independent reference.
  std::string all_ascii;
  for (int c = 0; c < 128; ++c) all_ascii.push_back(static_cast<char>(c));
  for (const std::string& s : {std::string(), all_ascii, std::string("quote \" backslash \\ slash /"),
                               std::string("\xe4\xb8\xad\xe6\x96\x87 caf\xc3\xa9 \xf0\x9f\x98\x80"),
                               std::string(R"({"inputs":{"a":[1,2,"x\ny"]}})")})
    EXPECT_EQ(canonical_json_string(s), nlohmann::json(s).dump()) << s;
}

class ChainTest : public StoreTest {
 protected:
  // Five plain audit records, ids 1..5 (not decisions, so the tests may delete them freely).
  void fill() {
    for (int i = 1; i <= 5; ++i) ASSERT_EQ(store_->append_audit(admin_event(i)).value(), i);
    auto rep = store_->verify_audit();
    ASSERT_TRUE(rep && rep->ok) << rep->problem;
    ASSERT_EQ(rep->records, 5);
  }
  VerifyReport verify() {
    auto rep = store_->verify_audit();
    EXPECT_TRUE(rep) << rep.message();
    return rep.value();
  }
};

TEST_P(ChainTest, IntactChainVerifies) {
  fill();
  auto recs = store_->audit_records();
  ASSERT_EQ(recs->size(), 5u);
  EXPECT_EQ(recs->front().prev_hash, kZero);
  for (std::size_t i = 1; i < recs->size(); ++i) EXPECT_EQ((*recs)[i].prev_hash, (*recs)[i - 1].hash);
  EXPECT_EQ(verify().head_hash, recs->back().hash);
}

TEST_P(ChainTest, EditedRecordIsNamed) {
  fill();
  sql("UPDATE audit_log SET outputs = '{\"ok\":false}' WHERE id = 3");
  const VerifyReport rep = verify();
  EXPECT_FALSE(rep.ok);
  EXPECT_EQ(rep.first_bad, 3);
  EXPECT_EQ(rep.records, 2);  // 1 and 2 verified before it
  EXPECT_NE(rep.problem.find("edited"), std::string::npos) << rep.problem;
}

TEST_P(ChainTest, EditedHashAndPrevHashAreCaught) {
  fill();
  // Re-hash record 3 after editing it: its own hash matches again, but record 4 no longer links.
  auto recs = store_->audit_records(3, 1).value();
  AuditRecord r = recs.front();
  r.outputs = R"({"ok":false})";
  r.hash = audit_record_hash(r);
  auto c = raw();
  ASSERT_TRUE(c->query("UPDATE audit_log SET outputs = $1, hash = $2 WHERE id = 3", {r.outputs, r.hash}));
  const VerifyReport rep = verify();
  EXPECT_FALSE(rep.ok);
  EXPECT_EQ(rep.first_bad, 4);
  EXPECT_NE(rep.problem.find("does not link to record 3"), std::string::npos) << rep.problem;
}

TEST_P(ChainTest, DeletedRecordIsNamed) {
  fill();
  sql("DELETE FROM audit_log WHERE id = 3");
  const VerifyReport rep = verify();
  EXPECT_FALSE(rep.ok);
  EXPECT_EQ(rep.first_bad, 3);
  EXPECT_NE(rep.problem.find("record 3 is missing"), std::string::npos) << rep.problem;
}

TEST_P(ChainTest, DeletedLastRecordIsNamed) {
  fill();
  sql("DELETE FROM audit_log WHERE id = 5");
  const VerifyReport rep = verify();
  EXPECT_FALSE(rep.ok);
  EXPECT_EQ(rep.first_bad, 5);
  EXPECT_NE(rep.problem.find("missing at the end"), std::string::npos) << rep.problem;
}

TEST_P(ChainTest, ReorderedRecordsAreNamed) {
  fill();
  // Swap records 2 and 4 (their ids), as an editor reordering the log would.
  sql("UPDATE audit_log SET id = 100 WHERE id = 2");
  sql("UPDATE audit_log SET id = 2 WHERE id = 4");
  sql("UPDATE audit_log SET id = 4 WHERE id = 100");
  const VerifyReport rep = verify();
  EXPECT_FALSE(rep.ok);
  EXPECT_EQ(rep.first_bad, 2);
}

TEST_P(ChainTest, ForgedRecordAppendedOutsideTheStoreIsNamed) {
  fill();
  // A forger who knows the hash rule appends a perfectly linked record 6, but cannot do it
  // through the store, so the chain head still says 5.
  AuditRecord r = store_->audit_records(5, 1).value().front();
  r.prev_hash = r.hash;
  r.id = 6;
  r.kind = "decision.decide";
  r.hash = audit_record_hash(r);
  auto c = raw();
  auto ins = c->query(
      "INSERT INTO audit_log (id, time, actor, kind, inputs, outputs, rule_set_id, rule_set_hash, list_snapshot_id, "
      "prev_hash, hash, bound) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
      {r.id, r.time, r.actor, r.kind, r.inputs, r.outputs, r.rule_set_id, r.rule_set_hash, r.list_snapshot_id,
       r.prev_hash, r.hash, *r.bound});
  ASSERT_TRUE(ins) << ins.message();
  const VerifyReport rep = verify();
  EXPECT_FALSE(rep.ok);
  EXPECT_EQ(rep.first_bad, 6);
  EXPECT_NE(rep.problem.find("beyond the chain head"), std::string::npos) << rep.problem;
}

TEST_P(ChainTest, InsertedRecordInTheMiddleIsNamed) {
  fill();
  // Make room after record 2 by renumbering 3..5 to 4..6 (descending, to keep ids unique), then
  // insert a forged record 3 linked to record 2.
  for (int id : {5, 4, 3})
    sql("UPDATE audit_log SET id = " + std::to_string(id + 1) + " WHERE id = " + std::to_string(id));
  AuditRecord r = store_->audit_records(2, 1).value().front();
  r.prev_hash = r.hash;
  r.id = 3;
  r.hash = audit_record_hash(r);
  auto c = raw();
  ASSERT_TRUE(c->query(
      "INSERT INTO audit_log (id, time, actor, kind, inputs, outputs, rule_set_id, rule_set_hash, list_snapshot_id, "
      "prev_hash, hash, bound) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
      {r.id, r.time, r.actor, r.kind, r.inputs, r.outputs, r.rule_set_id, r.rule_set_hash, r.list_snapshot_id,
       r.prev_hash, r.hash, *r.bound}));
  // Record 3 is consistent; old record 3 (now id 4) carries a hash computed with id 3.
  const VerifyReport rep = verify();
  EXPECT_FALSE(rep.ok);
  EXPECT_EQ(rep.first_bad, 4);
}

TEST_P(ChainTest, ConcurrentThreadsProduceOneValidChain) {
  // 4 threads x 25 decisions + 4 x 10 plain records: 140 records, ids 1..140, one chain.
  constexpr int kThreads = 4, kDecisions = 25, kEvents = 10;
  std::vector<std::thread> threads;
  std::mutex m;
  std::set<std::int64_t> decision_ids;
  std::atomic<int> failures{0};
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&, t] {
      for (int i = 0; i < kDecisions + kEvents; ++i) {
        if (i < kDecisions) {
          auto id = store_->record_decision(decision(t * 1000 + i));
          if (!id) {
            ++failures;
            continue;
          }
          std::lock_guard lk(m);
          decision_ids.insert(id.value());
        } else if (!store_->append_audit(admin_event(t * 1000 + i))) {
          ++failures;
        }
      }
    });
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(decision_ids.size(), static_cast<std::size_t>(kThreads * kDecisions));  // all distinct
  const VerifyReport rep = verify();
  EXPECT_TRUE(rep.ok) << rep.problem;
  EXPECT_EQ(rep.records, kThreads * (kDecisions + kEvents));
  // Every decision reads back with its own inputs.
  for (std::int64_t id : decision_ids) {
    auto d = store_->get_decision(id);
    ASSERT_TRUE(d && d.value());
    EXPECT_EQ(d.value()->outputs["n"].get<int>(), std::stoi(d.value()->inputs["order"].get<std::string>().substr(3)));
  }
}

TEST_P(ChainTest, TwoStoresOnOneDatabaseShareOneChain) {
  // Two Store objects are two connections pools, as two server instances would have.
  auto second = Store::open(spec_);
  ASSERT_TRUE(second) << second.message();
  constexpr int kPerThread = 30;
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (Store* s : {store_.get(), second.value().get(), store_.get(), second.value().get()})
    threads.emplace_back([&, s] {
      for (int i = 0; i < kPerThread; ++i)
        if (!s->record_decision(decision(i))) ++failures;
    });
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
  const VerifyReport rep = verify();
  EXPECT_TRUE(rep.ok) << rep.problem;
  EXPECT_EQ(rep.records, 4 * kPerThread);
  EXPECT_EQ(count("decisions"), 4 * kPerThread);
}

TEST_P(ChainTest, SigkillLosesNoAcknowledgedDecisionAndLeavesTheChainValid) {
  // A child process records decisions as fast as it can and reports each id on a pipe only after
  // record_decision returned it (= acknowledged). After 300 acknowledgements it is killed with
  // SIGKILL mid-stream. Every acknowledged id must then be readable with its own inputs, and the
  // chain must verify.
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    ::close(fds[0]);
    auto st = Store::open(spec_);
    if (!st) ::_exit(3);
    for (int i = 0;; ++i) {
      auto id = st.value()->record_decision(decision(i));
      if (!id) ::_exit(4);
      const std::int64_t pair[2] = {id.value(), i};
      if (::write(fds[1], pair, sizeof pair) != static_cast<ssize_t>(sizeof pair)) ::_exit(5);
    }
  }
  ::close(fds[1]);
  std::vector<std::pair<std::int64_t, std::int64_t>> acked;
  std::int64_t pair[2];
  while (acked.size() < 300 && ::read(fds[0], pair, sizeof pair) == static_cast<ssize_t>(sizeof pair))
    acked.emplace_back(pair[0], pair[1]);
  ASSERT_EQ(acked.size(), 300u) << "the writer process stopped early";
  ::kill(child, SIGKILL);
  int status = 0;
  ::waitpid(child, &status, 0);
  EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
  // Acknowledgements still in the pipe were acknowledged before the kill, too.
  while (::read(fds[0], pair, sizeof pair) == static_cast<ssize_t>(sizeof pair)) acked.emplace_back(pair[0], pair[1]);
  ::close(fds[0]);

  auto again = Store::open(spec_);  // as a restarted server would
  ASSERT_TRUE(again) << again.message();
  for (const auto& [id, n] : acked) {
    auto d = again.value()->get_decision(id);
    ASSERT_TRUE(d && d.value().has_value()) << "acknowledged decision " << id << " lost";
    EXPECT_EQ(d.value()->inputs["order"], "PO-" + std::to_string(n));
  }
  auto rep = again.value()->verify_audit();
  ASSERT_TRUE(rep) << rep.message();
  EXPECT_TRUE(rep->ok) << rep->problem;
  EXPECT_GE(rep->records, static_cast<std::int64_t>(acked.size()));
}

TEST_P(ChainTest, RangeSelectsByUtcDay) {
  fill();
  const Date today = Date::today_utc();
  // All five were written today (UTC); a past range holds none; a reversed range is an error.
  EXPECT_EQ(store_->audit_range(today.plus_days(-1), today).value().size(), 5u);
  EXPECT_EQ(store_->audit_range(Date::from_ymd(2000, 1, 1), Date::from_ymd(2000, 12, 31)).value().size(), 0u);
  auto bad = store_->audit_range(today, today.plus_days(-1));
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.message().find("before"), std::string::npos);
}

// ---- keys ------------------------------------------------------------------------------------

TEST_P(StoreTest, KeysCreateLookupRevokeExpire) {
  auto k = store_->create_key("cli:test", Role::analyst, "order desk", std::nullopt);
  ASSERT_TRUE(k) << k.message();
  EXPECT_EQ(k->secret.size(), 67u);  // "cg_" + 64 hex
  EXPECT_EQ(k->secret.substr(0, 3), "cg_");
  auto ok = store_->lookup_key(k->secret);
  ASSERT_TRUE(ok) << ok.message();
  EXPECT_TRUE(ok->ok());
  EXPECT_EQ(ok->key->id, k->info.id);
  EXPECT_EQ(ok->key->role, Role::analyst);
  EXPECT_EQ(ok->key->name, "order desk");

  // Wrong keys: well-formed but unknown, one character changed, malformed, empty.
  std::string changed = k->secret;
  changed.back() = changed.back() == '0' ? '1' : '0';
  for (const std::string& wrong : {"cg_" + std::string(64, 'a'), changed, std::string("hello"), std::string()}) {
    auto r = store_->lookup_key(wrong);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->outcome, KeyCheck::Outcome::unknown) << wrong;
    EXPECT_EQ(r->reason, "unknown API key");
  }

  // Revoked.
  ASSERT_TRUE(store_->revoke_key("cli:test", k->info.id));
  auto rv = store_->lookup_key(k->secret).value();
  EXPECT_EQ(rv.outcome, KeyCheck::Outcome::revoked);
  EXPECT_NE(rv.reason.find("revoked"), std::string::npos);
  Status again = store_->revoke_key("cli:test", k->info.id);
  EXPECT_FALSE(again);
  EXPECT_NE(again.message().find("already revoked"), std::string::npos);
  Status unknown = store_->revoke_key("cli:test", "k-nosuchkey");
  EXPECT_FALSE(unknown);
  EXPECT_NE(unknown.message().find("no such key"), std::string::npos);

  // Expiry: refused from the expiry date on, accepted the day before.
  // (Created as of 2026-06-01: the store refuses an expiry date that is not after the creation day.)
  auto e = store_->create_key("cli:test", Role::viewer, "temp", Date::from_ymd(2027, 1, 1), Date::from_ymd(2026, 6, 1));
  ASSERT_TRUE(e);
  EXPECT_TRUE(store_->lookup_key(e->secret, Date::from_ymd(2026, 12, 31)).value().ok());
  auto ex = store_->lookup_key(e->secret, Date::from_ymd(2027, 1, 1)).value();
  EXPECT_EQ(ex.outcome, KeyCheck::Outcome::expired);
  EXPECT_NE(ex.reason.find("expired on 2027-01-01"), std::string::npos) << ex.reason;

  // Listed (never with secrets); creation and revocation audited, and no secret in the log.
  auto keys = store_->list_keys().value();
  ASSERT_EQ(keys.size(), 2u);
  auto recs = store_->audit_records().value();
  std::vector<std::string> kinds;
  for (const auto& r : recs) {
    kinds.push_back(r.kind);
    EXPECT_EQ(r.inputs.find(k->secret), std::string::npos);
    EXPECT_EQ(r.inputs.find(sha256_hex(k->secret)), std::string::npos);
  }
  EXPECT_EQ(kinds, (std::vector<std::string>{"key.create", "key.revoke", "key.create"}));
  EXPECT_TRUE(store_->verify_audit().value().ok);
  // Two keys never share a secret.
  EXPECT_NE(k->secret, e->secret);
  EXPECT_NE(k->info.id, e->info.id);
}

TEST(Roles, ParseAndOrder) {
  EXPECT_EQ(parse_role("admin").value(), Role::admin);
  EXPECT_FALSE(parse_role("root"));
  EXPECT_NE(parse_role("root").message().find("'root' is not a role"), std::string::npos);
  EXPECT_TRUE(role_allows(Role::admin, Role::analyst));
  EXPECT_TRUE(role_allows(Role::analyst, Role::viewer));
  EXPECT_FALSE(role_allows(Role::viewer, Role::analyst));
  EXPECT_FALSE(role_allows(Role::analyst, Role::admin));
}

// ---- SQL-looking strings ---------------------------------------------------------------------

TEST_P(StoreTest, SqlLookingStringsAreStoredVerbatim) {
  const std::string evil1 = "'); DROP TABLE audit_log; --";
  const std::string evil2 = "Robert\"; DELETE FROM decisions WHERE '1'='1";
  const std::string evil3 = "$1 ?1 :x @y \\' \\\" %s";
  AuditEvent e{evil1, evil2, {{"name", evil3}, {evil1, evil2}}, {{"x", evil1}}, evil2, evil3, evil1};
  auto id = store_->record_decision(e);
  ASSERT_TRUE(id) << id.message();
  auto d = store_->get_decision(id.value()).value().value();
  EXPECT_EQ(d.actor, evil1);
  EXPECT_EQ(d.kind, evil2);
  EXPECT_EQ(d.inputs, e.inputs);
  EXPECT_EQ(d.rule_set_id, evil2);
  EXPECT_EQ(d.rule_set_hash, evil3);
  EXPECT_EQ(d.list_snapshot_id, evil1);
  auto k = store_->create_key(evil1, Role::viewer, evil2, std::nullopt);
  ASSERT_TRUE(k) << k.message();
  EXPECT_EQ(store_->lookup_key(evil1).value().outcome, KeyCheck::Outcome::unknown);
  EXPECT_FALSE(store_->revoke_key("x", evil1));
  ASSERT_TRUE(store_->put_products(evil1, {{evil1, {{"name", evil2}}}}));
  EXPECT_EQ(store_->get_product(evil1).value()->data["name"], evil2);
  // Every table still there and the chain intact.
  EXPECT_EQ(count("audit_log"), 3);
  EXPECT_EQ(count("decisions"), 1);
  EXPECT_TRUE(store_->verify_audit().value().ok);
}

// ---- lists, rules, products ------------------------------------------------------------------

TEST_P(StoreTest, ListImportsAreRecordedOnceAndAudited) {
  ListImport imp;
  imp.snapshot_id = "snap-A";
  imp.source_counts = {{"bis-entity-list", 3}, {"bis-meu", 2}};
  imp.parties = {{{"list_id", "bis-entity-list"}, {"name", "Acme Ltd"}, {"country", "CN"}}};
  auto s = store_->record_list_import("k-admin", imp);
  ASSERT_TRUE(s) << s.message();
  EXPECT_EQ(s->total, 5);  // 3 + 2
  EXPECT_EQ(s->id, "snap-A");
  // Same snapshot again: audited, not duplicated.
  ASSERT_TRUE(store_->record_list_import("k-admin", imp));
  ListImport imp2;
  imp2.source_counts = {{"ofac-sdn", 7}};
  auto s2 = store_->record_list_import("k-admin", imp2);
  ASSERT_TRUE(s2) << s2.message();
  EXPECT_EQ(s2->id.substr(0, 7), "sha256:");  // derived from the content when not given
  auto all = store_->list_snapshots().value();
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].id, s2->id);  // newest first
  EXPECT_EQ(all[1].source_counts.at("bis-meu"), 2);
  EXPECT_EQ(store_->latest_snapshot().value()->id, s2->id);
  EXPECT_EQ(count("parties"), 1);
  auto recs = store_->audit_records().value();
  ASSERT_EQ(recs.size(), 3u);
  EXPECT_EQ(recs[0].kind, "list.import");
  EXPECT_EQ(recs[0].list_snapshot_id, "snap-A");
  EXPECT_EQ(nlohmann::json::parse(recs[1].outputs)["already_present"], true);

  ListImport bad;
  bad.parties = {nlohmann::json::array({1, 2})};
  auto b = store_->record_list_import("k-admin", bad);
  ASSERT_FALSE(b);
  EXPECT_NE(b.message().find("parties[0]"), std::string::npos);
  EXPECT_EQ(count("audit_log"), 3);
}

TEST_P(StoreTest, ConcurrentImportsOfOneSnapshotFromTwoInstances) {
  // Two instances import the same snapshot at the same moment: both succeed, one snapshot row,
  // two audit records (the second says already_present), a valid chain.
  auto second = Store::open(spec_);
  ASSERT_TRUE(second) << second.message();
  ListImport imp;
  imp.snapshot_id = "snap-race";
  imp.source_counts = {{"bis-entity-list", 1}};
  imp.parties = {{{"list_id", "bis-entity-list"}, {"name", "Acme"}, {"country", "CN"}}};
  std::atomic<int> failures{0};
  std::thread a([&] {
    if (!store_->record_list_import("k-a", imp)) ++failures;
  });
  std::thread b([&] {
    if (!second.value()->record_list_import("k-b", imp)) ++failures;
  });
  a.join();
  b.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(count("list_snapshots"), 1);
  EXPECT_EQ(count("parties"), 1);
  EXPECT_EQ(count("audit_log"), 2);
  EXPECT_TRUE(store_->verify_audit().value().ok);
}

TEST_P(StoreTest, RuleInstallsAndProductsAreAudited) {
  auto a = store_->record_rules_install("k-admin", {"2025-01-16+h20-lane", "deadbeef", "h20-lane", {}});
  ASSERT_TRUE(a) << a.message();
  auto versions = store_->rule_versions().value();
  ASSERT_EQ(versions.size(), 1u);
  EXPECT_EQ(versions[0].scenario, "h20-lane");
  EXPECT_EQ(versions[0].audit_id, a.value());
  auto rec = store_->audit_records(a.value(), 1).value().front();
  EXPECT_EQ(rec.kind, "rules.install");
  EXPECT_EQ(rec.rule_set_hash, "deadbeef");

  ASSERT_TRUE(store_->put_products("k-admin", {{"h100-sxm", {{"tpp", 15832}}}, {"a100", {{"tpp", 4992}}}}));
  ASSERT_TRUE(store_->put_products("k-admin", {{"a100", {{"tpp", 4993}}}}));  // upsert
  EXPECT_EQ(store_->get_product("a100").value()->data["tpp"], 4993);
  EXPECT_FALSE(store_->get_product("nope").value().has_value());
  EXPECT_EQ(count("products"), 2);
  EXPECT_EQ(count("audit_log"), 3);
}

TEST_P(StoreTest, InstalledScenarioKeepsItsTomlUnderTheChainAndANameOnlyOnce) {
  RuleInstall install{"2026-07-10+lane", "cafe", "lane", {{"title", "t"}}};
  install.toml = "[scenario]\nname = \"lane\"\n";
  auto a = store_->record_rules_install("k-admin", install);
  ASSERT_TRUE(a) << a.message();
  auto installed = store_->installed_scenarios();
  ASSERT_TRUE(installed) << installed.message();
  ASSERT_EQ(installed->size(), 1u);
  EXPECT_EQ(installed->front().name, "lane");
  EXPECT_EQ(installed->front().toml, install.toml);
  EXPECT_EQ(installed->front().toml_sha256, sha256_hex(install.toml));
  EXPECT_EQ(installed->front().actor, "k-admin");
  EXPECT_EQ(installed->front().audit_id, a.value());
  // The audit record carries the text, so editing the stored TOML cannot go unnoticed in the chain.
  auto rec = store_->audit_records(a.value(), 1).value().front();
  EXPECT_EQ(nlohmann::json::parse(rec.inputs)["toml"], install.toml);
  // A second install of the name (any content) fails and writes nothing.
  install.toml += "# other\n";
  auto again = store_->record_rules_install("k-admin", install);
  ASSERT_FALSE(again);
  EXPECT_NE(again.message().find("already installed"), std::string::npos) << again.message();
  EXPECT_EQ(count("audit_log"), 1);
  EXPECT_EQ(count("installed_scenarios"), 1);
  EXPECT_EQ(count("rule_versions"), 1);
  // A TOML text without a scenario name is refused before anything is written.
  RuleInstall nameless{"2026-07-10", "cafe", "", {}};
  nameless.toml = "x = 1\n";
  EXPECT_FALSE(store_->record_rules_install("k-admin", nameless));
  EXPECT_EQ(count("audit_log"), 1);
  EXPECT_TRUE(store_->verify_audit().value().ok);
}

INSTANTIATE_TEST_SUITE_P(Backends, StoreTest, ::testing::Values("sqlite", "postgresql"),
                         [](const auto& p) { return p.param; });
INSTANTIATE_TEST_SUITE_P(Backends, ChainTest, ::testing::Values("sqlite", "postgresql"),
                         [](const auto& p) { return p.param; });

// ---- specs -----------------------------------------------------------------------------------

TEST(StoreSpec, ParsesAndRejects) {
  EXPECT_EQ(db::parse_spec("sqlite:/tmp/x.db").value().target, "/tmp/x.db");
  EXPECT_EQ(db::parse_spec("/tmp/x.db").value().backend, db::Backend::sqlite);
  EXPECT_TRUE(db::parse_spec("sqlite:x.db?sync=full").value().sqlite_full_sync);
  EXPECT_EQ(db::parse_spec("postgresql://u@h/db").value().backend, db::Backend::postgresql);
  EXPECT_EQ(db::parse_spec("postgres://u@h/db").value().backend, db::Backend::postgresql);
  for (const char* bad : {"", "sqlite:", "mysql://h/db", "sqlite:x.db?sync=sometimes"}) {
    auto s = Store::open(bad);
    ASSERT_FALSE(s) << bad;
    EXPECT_NE(s.message().find("--db"), std::string::npos) << s.message();
  }
  auto missing_dir = Store::open("sqlite:/nonexistent-dir/x.db");
  ASSERT_FALSE(missing_dir);
  EXPECT_NE(missing_dir.message().find("/nonexistent-dir/x.db"), std::string::npos) << missing_dir.message();
}

}  // namespace
}  // namespace chipgate::store

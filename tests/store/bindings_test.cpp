// Rows bound into the audit chain, on both backends: every row that changes what the service answers
// or allows (decisions and their audit link, API keys and roles, installed scenarios, rule versions,
// list snapshots and their parties, products) is named by verify_audit when it is edited, inserted or
// deleted with SQL; a store written before the bindings migrates and says what it can and cannot check.
#include <gtest/gtest.h>

#include "core/json_writer.h"
#include "core/sha256.h"
#include "store/migrations.h"
#include "store/row_bindings.h"
#include "store_fixture.h"

namespace chipgate::store {
namespace {

using testing::kZero;
using testing::StoreTest;

// ---- the canonical forms, written out by hand from the rules in store.h / row_bindings.h -------

TEST(RowBindings, RowHashFollowsTheDocumentedSerialisation) {
  const std::string canonical = "chipgate-row-v1\n[\"api_keys\",\"k-1\",\"h\",\"ops \\\"desk\\\"\",\"admin\",null]";
  EXPECT_EQ(bindings::row_hash("api_keys", {"k-1", "h", "ops \"desk\"", "admin", std::nullopt}), sha256_hex(canonical));
  // NULL and the text "null" are different rows.
  EXPECT_NE(bindings::row_hash("t", {std::nullopt}), bindings::row_hash("t", {"null"}));
  // Bytes that are not UTF-8 (never written by the store, possible by SQL) stay distinct.
  EXPECT_NE(bindings::row_hash("t", {std::string("\xff")}), bindings::row_hash("t", {std::string("\xfe")}));
}

TEST(RowBindings, DigestAndBoundTextFollowTheDocumentedSerialisation) {
  bindings::Digest d;
  d.add("aa");
  d.add("bb");
  EXPECT_EQ(d.rows(), 2);
  EXPECT_EQ(d.hex(), sha256_hex("chipgate-rows-v1\naa\nbb\n"));
  EXPECT_EQ(bindings::empty_digest(), sha256_hex("chipgate-rows-v1\n"));
  const std::string text = bindings::bound_text({{"decisions", "17", "ab"}, {"parties", "s\"1", "cd"}});
  EXPECT_EQ(text, R"([["decisions","17","ab"],["parties","s\"1","cd"]])");
  auto back = bindings::parse_bound(text);
  ASSERT_TRUE(back) << back.message();
  ASSERT_EQ(back->size(), 2u);
  EXPECT_EQ((*back)[1].key, "s\"1");
  EXPECT_FALSE(bindings::parse_bound(R"([["decisions","17"]])"));
}

TEST(AuditHash, VersionTwoCoversTheRowBindings) {
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
  r.bound = R"([["decisions","3","ab"]])";
  const std::string canonical =
      "chipgate-audit-v2\n[7,\"2026-11-30T10:00:00.000Z\",\"k-1\",\"decision.decide\","
      "\"2025-01-16\",\"h\",\"s\",\"" +
      kZero + "\",\"{\\\"a\\\":1}\",\"{}\",\"[[\\\"decisions\\\",\\\"3\\\",\\\"ab\\\"]]\"]";
  EXPECT_EQ(audit_record_hash(r), sha256_hex(canonical));
  r.bound = R"([["decisions","4","ab"]])";  // another decision id: another hash
  EXPECT_NE(audit_record_hash(r), sha256_hex(canonical));
}

// ---- every kind of write verifies, and names the row edited with SQL ----------------------------

class BindingsTest : public StoreTest {
 protected:
  VerifyReport verify() {
    auto rep = store_->verify_audit();
    EXPECT_TRUE(rep) << rep.message();
    return rep.value();
  }
  // The one row problem a tampering test expects, or a failure listing what was found.
  const RowProblem* problem_for(const VerifyReport& rep, const std::string& table, const std::string& key) {
    for (const auto& p : rep.row_problems)
      if (p.table == table && p.key == key) return &p;
    std::string all;
    for (const auto& p : rep.row_problems) all += p.table + " " + p.key + ": " + p.problem + "\n";
    ADD_FAILURE() << "no problem named for " << table << " " << key << "; found:\n" << all;
    return nullptr;
  }
  // One of each write: 2 decisions (audit records 1, 2), a key created (3) and revoked (4), a
  // scenario installed (5), a list snapshot with 2 parties (6), 2 products (7).
  void fill() {
    ASSERT_TRUE(store_->record_decisions({decision(1), decision(2)}));
    auto k = store_->create_key("cli:test", Role::viewer, "auditor", std::nullopt);
    ASSERT_TRUE(k) << k.message();
    key_id_ = k->info.id;
    ASSERT_TRUE(store_->revoke_key("cli:test", key_id_));
    RuleInstall install{"2026-07-10+lane", "cafe", "lane", {{"title", "t"}}};
    install.toml = "[scenario]\nname = \"lane\"\n";
    ASSERT_TRUE(store_->record_rules_install("k-admin", install));
    ListImport imp;
    imp.snapshot_id = "snap-A";
    imp.source_counts = {{"bis-entity-list", 2}};
    imp.parties = {{{"list_id", "bis-entity-list"}, {"name", "Acme Ltd"}, {"country", "CN"}},
                   {{"list_id", "bis-entity-list"}, {"name", "Beta GmbH"}, {"country", "DE"}}};
    ASSERT_TRUE(store_->record_list_import("k-admin", imp));
    ASSERT_TRUE(store_->put_products("k-admin", {{"h100", {{"tpp", 15832}}}, {"a100", {{"tpp", 4992}}}}));
  }
  std::string key_id_;
};

TEST_P(BindingsTest, EveryKindOfWriteVerifiesWithItsRowsChecked) {
  fill();
  const VerifyReport rep = verify();
  EXPECT_TRUE(rep.ok) << (rep.row_problems.empty() ? rep.problem : rep.row_problems.front().problem);
  EXPECT_EQ(rep.records, 7);
  // 2 decision rows + 1 key + 1 rule version + 1 installed scenario + 1 snapshot + 2 parties + 2 products.
  EXPECT_EQ(rep.rows_checked, 10);
  EXPECT_TRUE(rep.limits.empty()) << rep.limits.front();
  // The decisions' records bind their rows by id: record 2 recorded decision 2.
  auto rec = store_->audit_records(2, 1).value().front();
  ASSERT_TRUE(rec.bound.has_value());
  EXPECT_EQ(bindings::parse_bound(*rec.bound).value().front().key, "2");
}

TEST_P(BindingsTest, DecisionPointedAtAnotherRecordIsNamed) {
  fill();
  // Decision 2 now shows the key creation's record (3) as its inputs and outputs.
  sql("UPDATE decisions SET audit_id = 3 WHERE id = 2");
  const VerifyReport rep = verify();
  EXPECT_FALSE(rep.ok);
  EXPECT_FALSE(rep.first_bad.has_value()) << rep.problem;  // the chain itself is intact
  const RowProblem* p = problem_for(rep, "decisions", "2");
  ASSERT_NE(p, nullptr);
  EXPECT_NE(p->problem.find("audit link was changed"), std::string::npos) << p->problem;
  EXPECT_TRUE(p->audit_id == 2 || p->audit_id == 3) << p->audit_id;
}

TEST_P(BindingsTest, RoleRaisedInTheDatabaseIsNamed) {
  auto k = store_->create_key("cli:test", Role::viewer, "auditor", std::nullopt);
  ASSERT_TRUE(k);
  sql("UPDATE api_keys SET role = 'admin' WHERE id = '" + k->info.id + "'");
  ASSERT_EQ(store_->lookup_key(k->secret).value().key->role, Role::admin);  // the edit works...
  const VerifyReport rep = verify();                                        // ...and is named
  EXPECT_FALSE(rep.ok);
  const RowProblem* p = problem_for(rep, "api_keys", k->info.id);
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(p->audit_id, 1);  // the key.create record
  EXPECT_NE(p->problem.find("edited outside the store"), std::string::npos) << p->problem;
}

TEST_P(BindingsTest, RevocationUndoneInTheDatabaseIsNamed) {
  fill();
  sql("UPDATE api_keys SET revoked = NULL WHERE id = '" + key_id_ + "'");
  const VerifyReport rep = verify();  // kept: problem_for points into it
  const RowProblem* p = problem_for(rep, "api_keys", key_id_);
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(p->audit_id, 4);  // the key.revoke record bound the revoked row
}

TEST_P(BindingsTest, KeyInsertedOrDeletedOutsideTheStoreIsNamed) {
  fill();
  sql("INSERT INTO api_keys (id, key_hash, name, role, created, expires, revoked) VALUES ('k-forged', '" +
      std::string(64, 'a') + "', 'x', 'admin', '2026-01-01T00:00:00.000Z', NULL, NULL)");
  sql("DELETE FROM api_keys WHERE id = '" + key_id_ + "'");
  const VerifyReport rep = verify();
  const RowProblem* inserted = problem_for(rep, "api_keys", "k-forged");
  ASSERT_NE(inserted, nullptr);
  EXPECT_EQ(inserted->audit_id, 0);
  EXPECT_NE(inserted->problem.find("not recorded in the audit chain"), std::string::npos) << inserted->problem;
  const RowProblem* deleted = problem_for(rep, "api_keys", key_id_);
  ASSERT_NE(deleted, nullptr);
  EXPECT_NE(deleted->problem.find("deleted outside the store"), std::string::npos) << deleted->problem;
}

TEST_P(BindingsTest, ScenarioRuleVersionSnapshotPartiesAndProductEditsAreNamed) {
  fill();
  sql("UPDATE installed_scenarios SET toml = '[scenario]\nname = \"other\"\n' WHERE name = 'lane'");
  sql("UPDATE rule_versions SET rule_set_hash = 'beef' WHERE seq = 1");
  sql("UPDATE list_snapshots SET total = 1 WHERE id = 'snap-A'");
  sql("UPDATE parties SET name = 'Innocent Co' WHERE snapshot_id = 'snap-A' AND seq = 1");
  sql("UPDATE products SET data = '{\"tpp\":1}' WHERE id = 'h100'");
  const VerifyReport rep = verify();
  EXPECT_FALSE(rep.ok);
  EXPECT_EQ(rep.row_problems_total, 5);
  for (const auto& [table, key, audit] :
       std::vector<std::tuple<std::string, std::string, std::int64_t>>{{"installed_scenarios", "lane", 5},
                                                                       {"rule_versions", "1", 5},
                                                                       {"list_snapshots", "snap-A", 6},
                                                                       {"parties", "snap-A", 6},
                                                                       {"products", "h100", 7}}) {
    const RowProblem* p = problem_for(rep, table, key);
    ASSERT_NE(p, nullptr) << table;
    EXPECT_EQ(p->audit_id, audit) << table;
  }
}

// An ownership row decides whether a party is covered by the Affiliates rule (50% owned by listed
// parties): lowering a share in the database would clear a covered party, so the edit must be named.
TEST_P(BindingsTest, OwnershipShareLoweredInTheDatabaseIsNamed) {
  OwnershipRow row;
  row.party_key = "acme trading";
  row.owner_key = "listed parent";
  row.party = "Acme Trading";
  row.owner = "Listed Parent";
  row.percent = "60";
  row.source = "registry extract";
  auto audit = store_->record_ownership("k-admin", {row});
  ASSERT_TRUE(audit) << audit.message();
  EXPECT_TRUE(verify().ok);
  sql("UPDATE ownership SET percent = '10' WHERE party_key = 'acme trading'");
  ASSERT_EQ(store_->ownership().value().front().percent, "10");  // the edit works...
  const VerifyReport rep = verify();                             // ...and is named
  EXPECT_FALSE(rep.ok);
  const RowProblem* p = problem_for(rep, "ownership", "acme trading|listed parent");
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(p->audit_id, audit.value());
  EXPECT_NE(p->problem.find("edited outside the store"), std::string::npos) << p->problem;
}

TEST_P(BindingsTest, DecisionRowDeletedOrInsertedIsNamed) {
  fill();
  sql("DELETE FROM decisions WHERE id = 1");
  // A decision row made up with SQL, pointing at the product import's record (which recorded none).
  sql("INSERT INTO decisions (id, audit_id, time, actor, kind) VALUES (99, 7, 't', 'k-x', 'decision.decide')");
  const VerifyReport rep = verify();
  const RowProblem* deleted = problem_for(rep, "decisions", "1");
  ASSERT_NE(deleted, nullptr);
  EXPECT_EQ(deleted->audit_id, 1);
  const RowProblem* inserted = problem_for(rep, "decisions", "99");
  ASSERT_NE(inserted, nullptr);
  EXPECT_EQ(inserted->audit_id, 7);
}

TEST_P(BindingsTest, ARecordWithoutBindingsAfterOnesWithThemBreaksTheChain) {
  fill();
  // A forger appends a record by SQL with the old hash rule (no bindings) and moves the head to it.
  AuditRecord r = store_->audit_records(7, 1).value().front();
  r.prev_hash = r.hash;
  r.id = 8;
  r.bound.reset();
  r.hash = audit_record_hash(r);
  auto c = raw();
  ASSERT_TRUE(c->query(
      "INSERT INTO audit_log (id, time, actor, kind, inputs, outputs, rule_set_id, rule_set_hash, list_snapshot_id, "
      "prev_hash, hash) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
      {r.id, r.time, r.actor, r.kind, r.inputs, r.outputs, r.rule_set_id, r.rule_set_hash, r.list_snapshot_id,
       r.prev_hash, r.hash}));
  ASSERT_TRUE(c->query("UPDATE audit_head SET last_id = 8, last_hash = $1", {r.hash}));
  const VerifyReport rep = verify();
  EXPECT_EQ(rep.first_bad, 8);
  EXPECT_NE(rep.problem.find("carries no row bindings"), std::string::npos) << rep.problem;
}

// ---- a store written before the bindings ---------------------------------------------------------

class LegacyStoreTest : public StoreTest {
 protected:
  // A database at schema 2 (migrations 0001 and 0002 only), holding what an older chipgate wrote:
  // two decisions (records 1, 2), an analyst key (record 3), a product (record 4), with the hash rule
  // of version 1.
  std::string legacy_spec() {
    const std::string spec = fresh_spec();
    auto c = db::connect(db::parse_spec(spec).value());
    EXPECT_TRUE(c) << c.message();
    db::Connection& conn = *c.value();
    const auto& all = GetParam() == "sqlite" ? sqlite_migrations() : postgresql_migrations();
    EXPECT_TRUE(
        conn.exec("CREATE TABLE schema_version (version INTEGER PRIMARY KEY, name TEXT NOT NULL, "
                  "applied TEXT NOT NULL)"));
    for (const Migration& m : all) {
      if (m.version > 2) continue;
      EXPECT_TRUE(conn.exec(m.sql)) << m.name;
      EXPECT_TRUE(conn.query("INSERT INTO schema_version VALUES ($1, $2, 'x')", {std::int64_t{m.version}, m.name}));
    }
    std::string prev = kZero;
    auto append = [&](std::int64_t id, const std::string& kind, const std::string& inputs) {
      AuditRecord r;
      r.id = id;
      r.time = "2025-03-01T10:00:0" + std::to_string(id) + ".000Z";
      r.actor = "cli:old";
      r.kind = kind;
      r.inputs = inputs;
      r.outputs = "{}";
      r.prev_hash = prev;
      r.hash = audit_record_hash(r);  // version 1: no bindings
      prev = r.hash;
      EXPECT_TRUE(
          conn.query("INSERT INTO audit_log (id, time, actor, kind, inputs, outputs, rule_set_id, rule_set_hash, "
                     "list_snapshot_id, prev_hash, hash) VALUES ($1, $2, $3, $4, $5, $6, '', '', '', $7, $8)",
                     {r.id, r.time, r.actor, r.kind, r.inputs, r.outputs, r.prev_hash, r.hash}));
    };
    append(1, "decision.decide", R"({"order":"PO-1"})");
    append(2, "decision.decide", R"({"order":"PO-2"})");
    append(3, "key.create", R"({"key_id":"k-0000000000000001"})");
    append(4, "catalog.import", R"({"product_ids":["h100"]})");
    EXPECT_TRUE(conn.query("UPDATE audit_head SET last_id = 4, last_hash = $1", {prev}));
    EXPECT_TRUE(
        conn.exec("INSERT INTO decisions (id, audit_id, time, actor, kind) VALUES "
                  "(1, 1, '2025-03-01T10:00:01.000Z', 'cli:old', 'decision.decide'), "
                  "(2, 2, '2025-03-01T10:00:02.000Z', 'cli:old', 'decision.decide')"));
    EXPECT_TRUE(
        conn.exec("INSERT INTO api_keys (id, key_hash, name, role, created, expires, revoked) VALUES "
                  "('k-0000000000000001', '" +
                  std::string(64, 'b') + "', 'desk', 'analyst', '2025-03-01T10:00:03.000Z', NULL, NULL)"));
    EXPECT_TRUE(
        conn.exec("INSERT INTO products (id, data, updated, audit_id) VALUES ('h100', '{\"tpp\":15832}', "
                  "'2025-03-01T10:00:04.000Z', 4)"));
    return spec;
  }
};

TEST_P(LegacyStoreTest, MigrationBindsTheExistingRowsAndVerifySaysWhatItCannotCheck) {
  const std::string spec = legacy_spec();
  auto st = Store::open(spec);
  ASSERT_TRUE(st) << st.message();
  EXPECT_EQ(st.value()->schema_version().value(), 4);
  // Record 5, written by the migration, binds what records 1-4 wrote.
  auto rec = st.value()->audit_records(5, 1).value();
  ASSERT_EQ(rec.size(), 1u);
  EXPECT_EQ(rec.front().kind, "store.bind_rows");
  EXPECT_EQ(nlohmann::json::parse(rec.front().outputs)["rows"]["decisions"], 2);
  auto rep = st.value()->verify_audit();
  ASSERT_TRUE(rep) << rep.message();
  EXPECT_TRUE(rep->ok) << (rep->row_problems.empty() ? rep->problem : rep->row_problems.front().problem);
  EXPECT_EQ(rep->records, 5);
  EXPECT_EQ(rep->rows_checked, 4);  // 2 decisions (by their digest), the key, the product
  ASSERT_EQ(rep->limits.size(), 1u);
  EXPECT_NE(rep->limits[0].find("records 1 to 4 were written before rows were bound"), std::string::npos)
      << rep->limits[0];
  EXPECT_NE(rep->limits[0].find("cannot be detected"), std::string::npos) << rep->limits[0];

  // New writes carry their own bindings; the old rows are now covered as they stood at record 5.
  ASSERT_TRUE(st.value()->record_decision(decision(3)));
  auto c = db::connect(db::parse_spec(spec).value());
  ASSERT_TRUE(c);
  ASSERT_TRUE(c.value()->exec("UPDATE api_keys SET role = 'admin' WHERE id = 'k-0000000000000001'"));
  ASSERT_TRUE(c.value()->exec("UPDATE decisions SET audit_id = 5 WHERE id = 1"));  // the migration's record
  rep = st.value()->verify_audit();
  ASSERT_TRUE(rep);
  EXPECT_FALSE(rep->ok);
  bool key = false, old_decisions = false;
  for (const auto& p : rep->row_problems) {
    if (p.table == "api_keys" && p.key == "k-0000000000000001" && p.audit_id == 5) key = true;
    if (p.table == "decisions" && p.key == "1-2" && p.audit_id == 5) old_decisions = true;
  }
  EXPECT_TRUE(key) << "the legacy key's raised role is not named";
  EXPECT_TRUE(old_decisions) << "the legacy decision's changed link is not named";
}

TEST_P(LegacyStoreTest, ReadOnlyOpenDoesNotMigrateAndSaysWhatItCannotCheck) {
  const std::string spec = legacy_spec();
  OpenOptions ro;
  ro.mode = OpenOptions::Mode::kReadOnly;
  auto st = Store::open(spec, ro);
  ASSERT_TRUE(st) << st.message();
  EXPECT_EQ(st.value()->schema_version().value(), 2);  // not migrated
  auto rep = st.value()->verify_audit();
  ASSERT_TRUE(rep) << rep.message();
  EXPECT_TRUE(rep->ok) << rep->problem;
  EXPECT_EQ(rep->records, 4);
  ASSERT_EQ(rep->limits.size(), 1u);
  EXPECT_NE(rep->limits[0].find("schema version 2"), std::string::npos) << rep->limits[0];
  auto w = st.value()->record_decision(decision(9));
  ASSERT_FALSE(w);
  EXPECT_NE(w.message().find("read-only"), std::string::npos) << w.message();
}

INSTANTIATE_TEST_SUITE_P(Backends, BindingsTest, ::testing::Values("sqlite", "postgresql"),
                         [](const auto& p) { return p.param; });
INSTANTIATE_TEST_SUITE_P(Backends, LegacyStoreTest, ::testing::Values("sqlite", "postgresql"),
                         [](const auto& p) { return p.param; });

}  // namespace
}  // namespace chipgate::store

// The store's fast paths for a server (issue 5): results recorded as the caller's JSON text, the
// API-key cache and the group-commit delay. Run against both backends like store_test.cpp.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

#include "store_fixture.h"

namespace chipgate::store::testing {
namespace {

class WritePathTest : public StoreTest {
 protected:
  std::unique_ptr<Store> open_with(OpenOptions options) {
    auto st = Store::open(spec_, options);
    EXPECT_TRUE(st) << st.message();
    return st ? std::move(st).value() : nullptr;
  }
};

TEST_P(WritePathTest, OutputsTextIsStoredAndHashedVerbatim) {
  // Keys deliberately not in sorted order and a non-ASCII character: the store must keep these bytes
  // (the server sends the same bytes to the client), not a re-serialisation with sorted keys.
  // Backslashes and quotes inside strings too: PostgreSQL batches pass texts as array literals.
  const std::string text =
      "{\"z\":1,\"a\":[true,\"H\xC3\xA9lium\"],\"m\":{\"y\":null,\"b\":2.5},\"p\":\"C:\\\\dir \\\"q\\\" {x,y}\"}";
  AuditEvent e = decision(7);
  e.outputs = nlohmann::json::object();
  e.outputs_text = text;
  auto id = store_->record_decision(e);
  ASSERT_TRUE(id) << id.message();
  auto recs = store_->audit_records(1, 10).value();
  ASSERT_EQ(recs.size(), 1u);
  EXPECT_EQ(recs[0].outputs, text);
  EXPECT_EQ(recs[0].hash, audit_record_hash(recs[0]));
  EXPECT_TRUE(store_->verify_audit().value().ok);
  auto d = store_->get_decision(id.value());
  ASSERT_TRUE(d && d.value());
  EXPECT_EQ(d.value()->outputs, nlohmann::json::parse(text));
  // The inputs may be given as text too, kept verbatim the same way.
  const std::string inputs = "{\"order\":{\"z\":\"\u00e9\",\"a\":1},\"date\":\"2026-11-30\"}";
  e.inputs_text = inputs;
  auto id2 = store_->record_decision(e);
  ASSERT_TRUE(id2) << id2.message();
  recs = store_->audit_records(2, 1).value();
  ASSERT_EQ(recs.size(), 1u);
  EXPECT_EQ(recs[0].inputs, inputs);
  EXPECT_EQ(recs[0].hash, audit_record_hash(recs[0]));
  e.inputs_text.clear();
  // The batch path takes the same text.
  AuditEvent odd = e;
  odd.actor = "k-\"quoted\\actor\"";
  odd.rule_set_id = "";
  auto ids = store_->record_decisions({e, odd, e});
  ASSERT_TRUE(ids) << ids.message();
  ASSERT_EQ(ids->size(), 3u);
  recs = store_->audit_records(3, 10).value();
  ASSERT_EQ(recs.size(), 3u);
  EXPECT_EQ(recs[0].outputs, text);
  EXPECT_EQ(recs[1].actor, odd.actor);
  EXPECT_EQ(recs[1].rule_set_id, "");
  EXPECT_EQ(recs[2].outputs, text);
  auto d2 = store_->get_decision(ids.value()[1]);
  ASSERT_TRUE(d2 && d2.value());
  EXPECT_EQ(d2.value()->actor, odd.actor);
  EXPECT_EQ(d2.value()->audit_id, recs[1].id);
  EXPECT_TRUE(store_->verify_audit().value().ok);
}

TEST_P(WritePathTest, BadOutputsTextIsRefusedAndNothingIsWritten) {
  AuditEvent bad_utf8 = decision(1);
  bad_utf8.outputs_text = "{\"name\":\"\xff\xfe\"}";
  auto r = store_->record_decision(bad_utf8);
  ASSERT_FALSE(r);
  EXPECT_NE(r.message().find("outputs"), std::string::npos) << r.message();
  EXPECT_NE(r.message().find("UTF-8"), std::string::npos) << r.message();

  AuditEvent scalar = decision(2);
  scalar.outputs_text = "42";
  r = store_->record_decision(scalar);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.message(), "outputs: not a JSON object or array");

  AuditEvent bad_inputs = decision(4);
  bad_inputs.inputs_text = "[\"\xc0\xaf\"]";  // an overlong encoding
  r = store_->record_decision(bad_inputs);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.message(), "inputs: not valid UTF-8");
  bad_inputs.inputs_text = "\"just a string\"";
  r = store_->record_decision(bad_inputs);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.message(), "inputs: not a JSON object or array");

  auto batch = store_->record_decisions({decision(3), scalar});
  ASSERT_FALSE(batch);
  EXPECT_NE(batch.message().find("decision 2: outputs"), std::string::npos) << batch.message();
  EXPECT_EQ(count("audit_log"), 0);
  EXPECT_EQ(count("decisions"), 0);
}

TEST_P(WritePathTest, CachedKeyRevokedThroughTheSameStoreIsRefusedAtOnce) {
  OpenOptions o;
  o.key_cache_ms = 3600 * 1000;  // an hour: only revoke_key's own invalidation can explain a refusal
  auto cached = open_with(o);
  ASSERT_TRUE(cached);
  auto k = cached->create_key("cli:test", Role::analyst, "desk", std::nullopt);
  ASSERT_TRUE(k) << k.message();
  ASSERT_TRUE(cached->lookup_key(k->secret).value().ok());  // now in the cache
  ASSERT_TRUE(cached->revoke_key("cli:test", k->info.id));
  EXPECT_EQ(cached->lookup_key(k->secret).value().outcome, KeyCheck::Outcome::revoked);
}

TEST_P(WritePathTest, CacheDelaysAnotherInstancesRevocationAndStillChecksExpiry) {
  OpenOptions o;
  o.key_cache_ms = 3600 * 1000;
  auto cached = open_with(o);
  ASSERT_TRUE(cached);
  auto k =
      cached->create_key("cli:test", Role::analyst, "desk", Date::from_ymd(2027, 1, 1), Date::from_ymd(2026, 6, 1));
  ASSERT_TRUE(k) << k.message();
  ASSERT_TRUE(cached->lookup_key(k->secret, Date::from_ymd(2026, 12, 1)).value().ok());
  // Revoked through another instance (store_ has no cache): the documented trade-off is that the
  // caching instance accepts the key until its cache entry is older than key_cache_ms ...
  ASSERT_TRUE(store_->revoke_key("cli:admin", k->info.id));
  EXPECT_TRUE(cached->lookup_key(k->secret, Date::from_ymd(2026, 12, 1)).value().ok());
  // ... while an instance without a cache refuses it at once.
  EXPECT_EQ(store_->lookup_key(k->secret, Date::from_ymd(2026, 12, 1)).value().outcome, KeyCheck::Outcome::revoked);
  // Expiry is judged on every call, cached or not.
  EXPECT_EQ(cached->lookup_key(k->secret, Date::from_ymd(2027, 1, 1)).value().outcome, KeyCheck::Outcome::expired);
  // Unknown keys are never cached: a key created later through another instance is found.
  auto later = store_->create_key("cli:test", Role::viewer, "later", std::nullopt);
  ASSERT_TRUE(later);
  EXPECT_TRUE(cached->lookup_key(later->secret).value().ok());
}

TEST_P(WritePathTest, GroupCommitDelayKeepsEveryDecisionInOneValidChain) {
  OpenOptions o;
  o.group_commit_delay_us = 2000;  // long enough that concurrent callers do share transactions
  auto delayed = open_with(o);
  ASSERT_TRUE(delayed);
  constexpr int kThreads = 8, kPerThread = 20;
  std::mutex m;
  std::set<std::int64_t> ids;
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        auto id = delayed->record_decision(decision(t * 100 + i));
        if (!id) {
          ++failures;
          continue;
        }
        std::lock_guard lk(m);
        ids.insert(id.value());
      }
    });
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(ids.size(), static_cast<std::size_t>(kThreads * kPerThread));
  auto rep = delayed->verify_audit();
  ASSERT_TRUE(rep) << rep.message();
  EXPECT_TRUE(rep->ok) << rep->problem;
  EXPECT_EQ(rep->records, kThreads * kPerThread);
  // Each id reads back the decision it was returned for (n in the outputs matches the order number).
  for (std::int64_t id : ids) {
    auto d = delayed->get_decision(id);
    ASSERT_TRUE(d && d.value());
    EXPECT_EQ("PO-" + std::to_string(d.value()->outputs["n"].get<int>()), d.value()->inputs["order"]);
  }
}

TEST_P(WritePathTest, MoreConcurrentWritersThanOneGroupCommitHolds) {
  // 300 callers at once with a long commit delay: while one batch is written the others queue, more
  // than one batch holds (256), so a full batch is followed by another whose first member waits for
  // its turn and then writes it (how the callers split depends on timing). Every caller must get its
  // own id, and the chain must hold every record once.
  OpenOptions o;
  o.group_commit_delay_us = 20000;
  auto delayed = open_with(o);
  ASSERT_TRUE(delayed);
  ASSERT_TRUE(delayed->record_decision(decision(0)));
  ASSERT_TRUE(delayed->record_decisions({decision(0), decision(0)}));
  constexpr int kThreads = 300;
  std::vector<std::int64_t> ids(kThreads, 0);
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&, t] {
      auto id = delayed->record_decision(decision(1000 + t));
      if (id)
        ids[static_cast<std::size_t>(t)] = id.value();
      else
        ++failures;
    });
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(std::set<std::int64_t>(ids.begin(), ids.end()).size(), static_cast<std::size_t>(kThreads));
  for (int t = 0; t < kThreads; t += 37) {
    auto d = delayed->get_decision(ids[static_cast<std::size_t>(t)]);
    ASSERT_TRUE(d && d.value());
    EXPECT_EQ(d.value()->outputs["n"].get<int>(), 1000 + t);
  }
  auto rep = delayed->verify_audit();
  ASSERT_TRUE(rep) << rep.message();
  EXPECT_TRUE(rep->ok) << rep->problem;
  EXPECT_EQ(rep->records, kThreads + 3);
}

// A SQLite write-ahead-log setting: instantiated for SQLite only (below), so that no instance skips.
class SqliteWritePathTest : public WritePathTest {};

TEST_P(SqliteWritePathTest, BackgroundCheckpointCopiesTheLogIntoTheDatabase) {
  OpenOptions o;
  o.background_checkpoint = true;  // and so wal_autocheckpoint=0 on every connection
  auto st = open_with(o);
  ASSERT_TRUE(st);
  const std::string path = spec_.substr(std::string("sqlite:").size());
  const auto size_before = std::filesystem::file_size(path);
  // ~2.5 MB of records: with automatic checkpoints off, only the store's own thread can move them
  // from the -wal file into the database file while the store is open.
  const std::string text = "{\"trace\":\"" + std::string(2000, 'x') + "\"}";
  std::vector<AuditEvent> batch;
  for (int i = 0; i < 50; ++i) {
    AuditEvent e = decision(i);
    e.outputs_text = text;
    batch.push_back(e);
  }
  for (int round = 0; round < 25; ++round) ASSERT_TRUE(st->record_decisions(batch));
  bool grew = false;
  for (int i = 0; i < 100 && !grew; ++i) {  // checkpoints run every 100 ms; allow 10 s
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    grew = std::filesystem::file_size(path) > size_before + 2'000'000;
  }
  EXPECT_TRUE(grew) << "database file still " << std::filesystem::file_size(path) << " bytes";
  auto rep = st->verify_audit();
  ASSERT_TRUE(rep) << rep.message();
  EXPECT_TRUE(rep->ok) << rep->problem;
  EXPECT_EQ(rep->records, 25 * 50);
  st.reset();  // the checkpointer stops with the store
  auto again = open_with({});
  ASSERT_TRUE(again);
  EXPECT_EQ(again->verify_audit().value().records, 25 * 50);
}

INSTANTIATE_TEST_SUITE_P(Backends, WritePathTest, ::testing::Values("sqlite", "postgresql"),
                         [](const auto& p) { return p.param; });
INSTANTIATE_TEST_SUITE_P(Backends, SqliteWritePathTest, ::testing::Values("sqlite"),
                         [](const auto& p) { return p.param; });

}  // namespace
}  // namespace chipgate::store::testing

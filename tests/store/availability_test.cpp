// What the store does when it cannot keep what it is given: a database file removed or replaced while
// open (SQLite), a PostgreSQL server that is slow, locked or stopped, a database that does not exist
// for a command that only reads. In each case nothing is acknowledged that cannot be found again, and
// the answer comes within a deadline.
#include <gtest/gtest.h>
#include <signal.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <thread>

#include "store_fixture.h"

namespace chipgate::store {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;
using testing::StoreTest;

AuditEvent decision_event(int n) {
  return AuditEvent{"k-test", "decision.decide", {{"order", "PO-" + std::to_string(n)}}, {{"n", n}}, "", "", ""};
}

// ---- SQLite: the database is no longer the file at its path ---------------------------------------

struct OpenSqlite {
  std::string dir = test::temp_dir();
  std::string path = dir + "/chipgate.db";
  std::unique_ptr<Store> store;
  OpenSqlite() {
    auto st = Store::open("sqlite:" + path);
    EXPECT_TRUE(st) << st.message();
    store = std::move(st).value();
  }
};

TEST(LostDatabase, RemovedFilesRefuseEveryCallAndAcknowledgeNothing) {
  OpenSqlite db;
  ASSERT_EQ(db.store->record_decision(decision_event(1)).value(), 1);
  // The log and its index are among the files the store remembers.
  ASSERT_TRUE(fs::exists(db.path + "-wal"));
  ASSERT_TRUE(fs::exists(db.path + "-shm"));
  ASSERT_TRUE(db.store->check_writable(milliseconds(2000))) << "a healthy store must be writable";
  for (const char* suffix : {"", "-wal", "-shm"}) fs::remove(db.path + suffix);

  // SQLite would commit this into the unlinked files; the store must not acknowledge it.
  auto r = db.store->record_decision(decision_event(2));
  ASSERT_FALSE(r) << "acknowledged decision " << r.value() << " written into a removed file";
  EXPECT_NE(r.message().find(db.path + " was removed"), std::string::npos) << r.message();
  EXPECT_NE(r.message().find("not recorded"), std::string::npos) << r.message();
  // From then on every call is refused, and the store says it cannot record.
  EXPECT_FALSE(db.store->record_decisions({decision_event(3), decision_event(4)}));
  EXPECT_FALSE(db.store->append_audit(decision_event(5)));
  EXPECT_FALSE(db.store->get_decision(1));
  Status w = db.store->check_writable(milliseconds(2000));
  ASSERT_FALSE(w);
  EXPECT_NE(w.message().find("no longer the one this store opened"), std::string::npos) << w.message();
  // And nothing was created in its place.
  EXPECT_FALSE(fs::exists(db.path));
}

TEST(LostDatabase, ReplacedFileIsNoticedAtTheNextWrite) {
  OpenSqlite db;
  ASSERT_TRUE(db.store->record_decision(decision_event(1)));
  fs::rename(db.path, db.path + ".moved");
  fs::copy_file(db.path + ".moved", db.path);  // same name, same bytes, another file
  auto r = db.store->record_decision(decision_event(2));
  ASSERT_FALSE(r);
  EXPECT_NE(r.message().find(db.path + " was replaced"), std::string::npos) << r.message();
}

TEST(LostDatabase, RemovedLogAloneIsNoticed) {
  // The commits after this would go to an unlinked log: lost at the next stop or crash.
  OpenSqlite db;
  ASSERT_TRUE(db.store->record_decision(decision_event(1)));
  fs::remove(db.path + "-wal");
  auto r = db.store->record_decision(decision_event(2));
  ASSERT_FALSE(r);
  EXPECT_NE(r.message().find(db.path + "-wal was removed"), std::string::npos) << r.message();
}

TEST(LostDatabase, ConcurrentWritersGetNoAcknowledgementAfterTheRemoval) {
  // Four threads record through the group commit; the files are removed while they run. A call that
  // started after the removal must never be acknowledged.
  OpenSqlite db;
  std::atomic<bool> removed{false}, stop{false};
  std::atomic<int> acked_after{0}, acked_before{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&, t] {
      for (int i = 0; !stop; ++i) {
        const bool after = removed;
        auto r = db.store->record_decision(decision_event(t * 100000 + i));
        if (r) ++(after ? acked_after : acked_before);
      }
    });
  while (acked_before < 200) std::this_thread::sleep_for(milliseconds(5));
  for (const char* suffix : {"", "-wal", "-shm"}) fs::remove(db.path + suffix);
  removed = true;
  std::this_thread::sleep_for(milliseconds(300));
  stop = true;
  for (auto& th : threads) th.join();
  EXPECT_EQ(acked_after.load(), 0);
}

// ---- opening: commands that only read never create a database -------------------------------------

TEST_P(StoreTest, OpeningAMissingDatabaseToReadIsNoSuchDatabase) {
  // SQLite: a mistyped path; PostgreSQL: a database (schema) without a chipgate store.
  const std::string missing = GetParam() == "sqlite" ? "sqlite:" + test::temp_dir() + "/MISTYPED.db" : fresh_spec();
  for (auto mode : {OpenOptions::Mode::kReadOnly, OpenOptions::Mode::kExisting}) {
    OpenOptions o;
    o.mode = mode;
    auto st = Store::open(missing, o);
    ASSERT_FALSE(st);
    EXPECT_NE(st.message().find("no such database"), std::string::npos) << st.message();
  }
  if (GetParam() == "sqlite") {
    EXPECT_FALSE(fs::exists(missing.substr(7)));
  } else {
    auto c = db::connect(db::parse_spec(missing).value());
    ASSERT_TRUE(c);
    auto n = c.value()->query("SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = current_schema()");
    ASSERT_TRUE(n);
    EXPECT_EQ(*n.value()[0][0], "0");  // no table was created
  }
}

TEST_P(StoreTest, ReadOnlyStoreReadsAndRefusesWrites) {
  ASSERT_TRUE(store_->record_decision(decision(1)));
  OpenOptions o;
  o.mode = OpenOptions::Mode::kReadOnly;
  auto ro = Store::open(spec_, o);
  ASSERT_TRUE(ro) << ro.message();
  EXPECT_EQ(ro.value()->get_decision(1).value()->inputs["order"], "PO-1");
  EXPECT_TRUE(ro.value()->verify_audit().value().ok);
  EXPECT_FALSE(ro.value()->append_audit(admin_event(1)));
  EXPECT_FALSE(ro.value()->create_key("cli:test", Role::admin, "x", std::nullopt));
  EXPECT_FALSE(ro.value()->check_writable(milliseconds(1000)));
  EXPECT_EQ(count("audit_log"), 1);
}

// ---- the write probe and the expiry rule ------------------------------------------------------------

TEST_P(StoreTest, WriteProbeCommitsAndIsReusedForASecond) {
  ASSERT_TRUE(store_->check_writable(milliseconds(2000)));
  auto at = [&] { return *raw()->query("SELECT at FROM store_probe WHERE singleton = 1").value()[0][0]; };
  const std::string first = at();
  EXPECT_FALSE(first.empty());  // the probe wrote (and committed) its row
  ASSERT_TRUE(store_->check_writable(milliseconds(2000)));
  EXPECT_EQ(at(), first);  // answered from the last probe: no write per call
  std::this_thread::sleep_for(milliseconds(1100));
  ASSERT_TRUE(store_->check_writable(milliseconds(2000)));
  EXPECT_NE(at(), first);
  // The probe row is outside the chain: the chain and its rows still verify.
  EXPECT_TRUE(store_->verify_audit().value().ok);
}

TEST_P(StoreTest, AKeyCannotBeCreatedExpiredWhateverTheCaller) {
  const Date today = Date::today_utc();
  for (Date bad : {today, today.plus_days(-1)}) {
    auto k = store_->create_key("cli:test", Role::viewer, "x", bad);
    ASSERT_FALSE(k) << bad.to_string();
    EXPECT_NE(k.message().find("expires: " + bad.to_string() + " is not after today"), std::string::npos)
        << k.message();
  }
  EXPECT_TRUE(store_->create_key("cli:test", Role::viewer, "x", today.plus_days(1)));
  EXPECT_EQ(count("api_keys"), 1);
  EXPECT_TRUE(check_key_expiry(std::nullopt));
  EXPECT_FALSE(check_key_expiry(Date::from_ymd(2027, 1, 1), Date::from_ymd(2027, 1, 1)));
  EXPECT_TRUE(check_key_expiry(Date::from_ymd(2027, 1, 2), Date::from_ymd(2027, 1, 1)));
}

// ---- PostgreSQL: a locked, slow or stopped server ---------------------------------------------------

class PostgresDeadlineTest : public StoreTest {};

TEST_P(PostgresDeadlineTest, StatementTimeoutEndsAWaitForTheChainLock) {
  OpenOptions o;
  o.statement_timeout_ms = 300;
  auto st = Store::open(spec_, o);
  ASSERT_TRUE(st) << st.message();
  // Another session holds the chain head's lock (as a stuck writer of another instance would).
  auto holder = raw();
  ASSERT_TRUE(holder->exec("BEGIN"));
  ASSERT_TRUE(holder->query("SELECT last_id FROM audit_head WHERE singleton = 1 FOR UPDATE"));
  const auto t0 = Clock::now();
  auto r = st.value()->record_decision(decision(1));
  const auto waited = Clock::now() - t0;
  ASSERT_FALSE(r) << "recorded while another session held the chain lock";
  EXPECT_NE(r.message().find("statement timeout"), std::string::npos) << r.message();
  EXPECT_LT(waited, std::chrono::seconds(10));
  holder->rollback();
  EXPECT_TRUE(st.value()->record_decision(decision(2))) << "the store recovers once the lock is free";
  EXPECT_EQ(count("decisions"), 1);
}

// Stops (SIGSTOP) the server processes serving one application name, and continues them when
// destroyed. Only backends of this test's own connections, each idle (waiting for its client) when
// stopped, so that no lock another test needs is held while they are stopped.
struct FrozenBackends {
  std::vector<int> pids;
  FrozenBackends(db::Connection& admin, const std::string& application_name) {
    auto r = admin.query("SELECT pid FROM pg_stat_activity WHERE application_name = $1 AND state = 'idle'",
                         {application_name});
    EXPECT_TRUE(r) << r.message();
    for (const auto& row : r.value()) {
      const int pid = std::stoi(*row[0]);
      if (::kill(pid, SIGSTOP) == 0) pids.push_back(pid);
    }
  }
  ~FrozenBackends() { thaw(); }
  void thaw() {
    for (int pid : pids) ::kill(pid, SIGCONT);
    pids.clear();
  }
};

TEST_P(PostgresDeadlineTest, StoppedServerIsAnsweredWithinTheDeadline) {
  const std::string app = "cg_frozen_" + testing::random_suffix();
  OpenOptions o;
  o.statement_timeout_ms = 500;
  auto st = Store::open(spec_ + "&application_name=" + app, o);
  ASSERT_TRUE(st) << st.message();
  ASSERT_TRUE(st.value()->record_decision(decision(1)));
  ASSERT_TRUE(st.value()->check_writable(milliseconds(1000)));  // the probe's own connection exists now
  auto admin = raw();
  FrozenBackends frozen(*admin, app);
  ASSERT_GE(frozen.pids.size(), 2u) << "expected the pooled and the probe connections' server processes";
  std::this_thread::sleep_for(milliseconds(1100));  // past the probe's one-second reuse

  auto t0 = Clock::now();
  Status ready = st.value()->check_writable(milliseconds(1000));
  EXPECT_FALSE(ready) << "a stopped server reported writable";
  EXPECT_LT(Clock::now() - t0, std::chrono::seconds(4)) << "the probe ignored its deadline";
  t0 = Clock::now();
  auto r = st.value()->record_decision(decision(2));
  EXPECT_FALSE(r) << "acknowledged by a stopped server";
  EXPECT_NE(r.message().find("no answer within"), std::string::npos) << r.message();
  EXPECT_LT(Clock::now() - t0, std::chrono::seconds(5)) << "the request ignored the statement deadline";

  frozen.thaw();
  // The connections that timed out are dropped; new ones work.
  std::this_thread::sleep_for(milliseconds(1100));
  EXPECT_TRUE(st.value()->record_decision(decision(3)));
  EXPECT_TRUE(st.value()->check_writable(milliseconds(2000)));
}

INSTANTIATE_TEST_SUITE_P(Backends, PostgresDeadlineTest, ::testing::Values("postgresql"),
                         [](const auto& p) { return p.param; });

}  // namespace
}  // namespace chipgate::store

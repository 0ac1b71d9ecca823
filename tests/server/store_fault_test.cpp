// The real `chipgate serve` binary when its store fails under it: the SQLite database removed while
// serving, the disk full, the database file made read-only, the PostgreSQL server stopped (SIGSTOP).
// In each case the server acknowledges nothing it cannot find again (503 instead), /readyz says "not
// ready" within its deadline and no more than that (why goes to the server's log), and every decision
// it did acknowledge is in the store afterwards. Also: the signed head anchors it publishes catch a
// chain whose tail was cut and whose head was rewritten.
#include <grp.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <pwd.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "server_process.h"
#include "store/db.h"
#include "store/head_anchor.h"
#include "test_db.h"
#include "test_support.h"

namespace chipgate::server {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;
using testing::expect_all_durable;
using testing::Load;
using testing::make_key;
using testing::ServerProcess;

struct Answer {
  int status = -1;  // -1: no answer
  std::string body;
  Clock::duration took{};
};

Answer get(int port, const std::string& path) {
  httplib::Client c("127.0.0.1", port);
  c.set_read_timeout(30, 0);
  const auto t0 = Clock::now();
  auto r = c.Get(path);
  return r ? Answer{r->status, r->body, Clock::now() - t0} : Answer{-1, "", Clock::now() - t0};
}

Answer decide(int port, const std::string& key, const std::string& order_id) {
  httplib::Client c("127.0.0.1", port);
  c.set_read_timeout(30, 0);
  const auto t0 = Clock::now();
  auto r = c.Post("/v1/decide", httplib::Headers{{"Authorization", "Bearer " + key}},
                  testing::load_order(order_id).dump(), "application/json");
  return r ? Answer{r->status, r->body, Clock::now() - t0} : Answer{-1, "", Clock::now() - t0};
}

// Polls /readyz until it answers `status` (up to `within`); returns the last answer.
Answer wait_ready_status(int port, int status, std::chrono::seconds within) {
  Answer a;
  for (const auto end = Clock::now() + within; Clock::now() < end;) {
    a = get(port, "/readyz");
    if (a.status == status) break;
    std::this_thread::sleep_for(milliseconds(200));
  }
  return a;
}

// ---- SQLite -------------------------------------------------------------------------------------

TEST(ServeSqliteFault, DatabaseRemovedWhileServingAcknowledgesNothingMore) {
  const std::string dir = test::temp_dir();
  const std::string path = dir + "/chipgate.db", spec = "sqlite:" + path;
  const std::string key = make_key(spec);
  ASSERT_FALSE(key.empty());
  ServerProcess server;
  ASSERT_TRUE(server.start(dir, spec)) << server.err();
  ASSERT_EQ(get(server.port, "/readyz").status, 200);
  Load load;
  load.run(server.port, key, 4);
  load.wait_for_acks(200);
  for (const char* suffix : {"", "-wal", "-shm"}) fs::remove(path + suffix);
  load.mark_now();  // every request sent from now on goes to a server whose database is gone
  std::this_thread::sleep_for(milliseconds(1000));

  const Answer ready = get(server.port, "/readyz");
  load.join();
  EXPECT_EQ(load.acked_after_mark.load(), 0) << "decisions acknowledged after the database was removed";
  EXPECT_GT(load.refused.load(), 0);
  EXPECT_EQ(ready.status, 503);
  EXPECT_EQ(json::parse(ready.body)["error"]["code"], "not_ready") << ready.body;
  EXPECT_EQ(ready.body.find(dir), std::string::npos) << "the public answer names a path: " << ready.body;
  const int status = server.stop();
  EXPECT_TRUE(WIFEXITED(status)) << server.err();
  EXPECT_NE(server.err().find("no longer the one this store opened"), std::string::npos) << server.err();
  // Nothing was silently put in its place: a verification finds no database, not an intact empty one.
  auto verify = test::run_cli("audit verify --db " + spec);
  EXPECT_EQ(verify.exit_code, 2) << verify.out;
  EXPECT_NE(verify.err.find("no such database"), std::string::npos) << verify.err;
}

TEST(ServeSqliteFault, ReadingCommandsBesideTheServerLeaveItsDatabaseAlone) {
  // A command that reads the database while the server runs (audit verify, keys list) must neither
  // take the server's files away nor make it believe they were: SQLite deletes the write-ahead log
  // when a closing connection finds no other process using the database, which it judges by POSIX
  // locks that any open/close of the file by the server would release.
  const std::string dir = test::temp_dir();
  const std::string path = dir + "/chipgate.db", spec = "sqlite:" + path;
  const std::string key = make_key(spec);
  ServerProcess server;
  ASSERT_TRUE(server.start(dir, spec)) << server.err();
  ASSERT_EQ(get(server.port, "/readyz").status, 200);  // the write probe has run
  struct stat before {};
  ASSERT_EQ(::stat((path + "-wal").c_str(), &before), 0);
  EXPECT_EQ(test::run_cli("audit verify --db " + spec).exit_code, 0);
  EXPECT_EQ(test::run_cli("keys list --db " + spec).exit_code, 0);
  struct stat after {};
  ASSERT_EQ(::stat((path + "-wal").c_str(), &after), 0) << "the write-ahead log was deleted under the server";
  EXPECT_EQ(before.st_ino, after.st_ino);
  const Answer d = decide(server.port, key, "BESIDE-1");
  EXPECT_EQ(d.status, 200) << d.body;
  std::this_thread::sleep_for(milliseconds(1100));
  EXPECT_EQ(get(server.port, "/readyz").status, 200);
  server.stop();
  EXPECT_EQ(server.err().find("no longer the one this store opened"), std::string::npos) << server.err();
}

// A small tmpfs of its own (root only; the CI runs as root). Unmounted when destroyed.
struct SmallDisk {
  std::string dir;
  std::string error;
  explicit SmallDisk(const std::string& parent) : dir(parent + "/disk") {
    fs::create_directories(dir);
    if (::mount("tmpfs", dir.c_str(), "tmpfs", 0, "size=8m") != 0) error = std::strerror(errno);
  }
  ~SmallDisk() {
    if (error.empty()) ::umount2(dir.c_str(), MNT_DETACH);
  }
  // Writes a file until the file system is full.
  void fill() {
    std::ofstream f(dir + "/filler", std::ios::binary);
    const std::string block(64 * 1024, 'x');
    while (f.write(block.data(), static_cast<std::streamsize>(block.size())) && f.flush()) {
    }
  }
  void free_space() { fs::remove(dir + "/filler"); }
};

TEST(ServeSqliteFault, DiskFullRefusesDecisionsAndReadinessFollowsIt) {
  const std::string parent = test::temp_dir();
  SmallDisk disk(parent);
  if (!disk.error.empty()) GTEST_SKIP() << "cannot mount a tmpfs here (" << disk.error << "); needs root";
  const std::string spec = "sqlite:" + disk.dir + "/chipgate.db";
  const std::string key = make_key(spec);
  ASSERT_FALSE(key.empty());
  ServerProcess server;
  ASSERT_TRUE(server.start(parent, spec)) << server.err();
  ASSERT_EQ(get(server.port, "/readyz").status, 200);
  disk.fill();

  // Decisions until the store refuses one: every 200 must be durable, every refusal a 503.
  Load load;
  load.run(server.port, key, 1);
  for (int i = 0; i < 600 && load.refused == 0; ++i) std::this_thread::sleep_for(milliseconds(50));
  load.join();
  EXPECT_GT(load.refused.load(), 0) << "no decision was refused on a full disk (" << load.acked << " acknowledged)";
  const Answer full = wait_ready_status(server.port, 503, std::chrono::seconds(5));
  EXPECT_EQ(full.status, 503) << "ready while the disk is full: " << full.body;
  EXPECT_NE(server.err().find("not ready: the store cannot record"), std::string::npos) << server.err();

  disk.free_space();
  EXPECT_EQ(wait_ready_status(server.port, 200, std::chrono::seconds(10)).status, 200);
  const Answer after = decide(server.port, key, "AFTER-1");
  EXPECT_EQ(after.status, 200) << after.body;
  if (after.status == 200) load.acknowledged.emplace_back(json::parse(after.body)["decision_id"], "AFTER-1");
  server.stop();
  expect_all_durable(spec, load);
}

TEST(ServeSqliteFault, ReadOnlyDatabaseFileIsNotReadyAndLosesNothing) {
  // File permissions bind an unprivileged server only: run as root, the server runs as nobody.
  const std::string dir = test::temp_dir();
  const std::string path = dir + "/chipgate.db", spec = "sqlite:" + path;
  const std::string key = make_key(spec);
  ASSERT_FALSE(key.empty());
  ServerProcess server;
  if (::geteuid() == 0) {
    const passwd* nobody = ::getpwnam("nobody");
    ASSERT_NE(nobody, nullptr);
    server.run_as = std::make_pair(nobody->pw_uid, nobody->pw_gid);
    for (const std::string& p : {dir, path})
      ASSERT_EQ(::chown(p.c_str(), nobody->pw_uid, nobody->pw_gid), 0) << p << ": " << std::strerror(errno);
  }
  ASSERT_TRUE(server.start(dir, spec)) << server.err();
  Load load;
  load.run(server.port, key, 2);
  load.wait_for_acks(50);
  for (const char* suffix : {"", "-wal", "-shm"}) ::chmod((path + suffix).c_str(), 0444);
  ::chmod(dir.c_str(), 0555);
  const Answer ready = wait_ready_status(server.port, 503, std::chrono::seconds(5));
  load.join();
  EXPECT_EQ(ready.status, 503) << "ready although the database cannot be opened for writing: " << ready.body;
  EXPECT_NE(server.err().find("cannot be opened for writing"), std::string::npos) << server.err();
  server.stop();
  ::chmod(dir.c_str(), 0755);
  for (const char* suffix : {"", "-wal", "-shm"}) ::chmod((path + suffix).c_str(), 0644);
  expect_all_durable(spec, load);  // whatever was acknowledged (through connections opened before) is there

  // Started on a read-only file, the server refuses to start rather than serve and fail every write.
  ::chmod(path.c_str(), 0444);
  ServerProcess again;
  again.run_as = server.run_as;
  EXPECT_FALSE(again.start(test::temp_dir(), spec));
  const int status = again.wait_exit();
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 2) << again.err();
  EXPECT_NE(again.err().find("opens read-only"), std::string::npos) << again.err();
  ::chmod(path.c_str(), 0644);
}

// ---- PostgreSQL -----------------------------------------------------------------------------------

// The server processes serving one application name, stopped (SIGSTOP) while idle and continued when
// destroyed: the server's own connections only, so that the other tests sharing the cluster are not
// held up.
struct FrozenBackends {
  std::vector<int> pids;
  FrozenBackends(const std::string& admin_spec, const std::string& application_name) {
    auto admin = store::db::connect(store::db::parse_spec(admin_spec).value());
    EXPECT_TRUE(admin) << admin.message();
    auto r = admin.value()->query("SELECT pid FROM pg_stat_activity WHERE application_name = $1 AND state = 'idle'",
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

class ServePostgresFault : public testing::BackendTest {};

TEST_P(ServePostgresFault, StoppedServerIsAnswered503WithinTheDeadline) {
  const std::string app = "cg_serve_frozen_" + std::to_string(::getpid());
  const std::string spec = db_.spec + "&application_name=" + app;
  const std::string key = make_key(db_.spec);
  ASSERT_FALSE(key.empty());
  ServerProcess server;
  ASSERT_TRUE(server.start(test::temp_dir(), spec)) << server.err();
  Load load;
  for (int i = 0; i < 5; ++i) {
    const Answer a = decide(server.port, key, "PG-" + std::to_string(i));
    ASSERT_EQ(a.status, 200) << a.body;
    load.acknowledged.emplace_back(json::parse(a.body)["decision_id"], "PG-" + std::to_string(i));
  }
  ASSERT_EQ(get(server.port, "/readyz").status, 200);  // the write probe's connection exists now

  FrozenBackends frozen(db_.spec, app);
  ASSERT_FALSE(frozen.pids.empty());
  std::this_thread::sleep_for(milliseconds(1100));  // past the probe's one-second reuse
  const Answer ready = get(server.port, "/readyz");
  EXPECT_EQ(ready.status, 503) << ready.body;
  EXPECT_LT(ready.took, std::chrono::seconds(5)) << "/readyz hung on a stopped database";
  EXPECT_EQ(ready.body.find("host="), std::string::npos) << "the public answer names the server: " << ready.body;
  EXPECT_EQ(ready.body.find("/tmp"), std::string::npos) << "the public answer names a socket path: " << ready.body;
  const Answer d = decide(server.port, key, "PG-FROZEN");
  EXPECT_EQ(d.status, 503) << d.body;
  EXPECT_LT(d.took, std::chrono::seconds(12)) << "a request hung on a stopped database";

  frozen.thaw();
  EXPECT_EQ(wait_ready_status(server.port, 200, std::chrono::seconds(15)).status, 200);
  server.stop();
  EXPECT_NE(server.err().find("not ready"), std::string::npos) << server.err();
  expect_all_durable(db_.spec, load);
}

INSTANTIATE_TEST_SUITE_P(Postgres, ServePostgresFault, ::testing::Values(std::string("postgresql")),
                         [](const ::testing::TestParamInfo<std::string>& p) { return p.param; });

// ---- signed heads -----------------------------------------------------------------------------------

class ServeHeadAnchor : public testing::BackendTest {};

TEST_P(ServeHeadAnchor, PublishedHeadCatchesACutTailWithARewrittenHead) {
  const std::string dir = test::temp_dir();
  ASSERT_EQ(test::run_cli("audit keygen --out " + dir + "/head.key").exit_code, 0);
  const std::string spec = db_.spec;
  const std::string key = make_key(spec);
  ServerProcess server;
  ASSERT_TRUE(server.start(
      dir, spec, {"--publish-head", dir + "/head.json", "--publish-every", "1s", "--head-key", dir + "/head.key"}))
      << server.err();
  ASSERT_TRUE(fs::exists(dir + "/head.json")) << "no anchor published at start";
  Load load;
  load.run(server.port, key, 2);
  load.wait_for_acks(40);
  load.join();
  server.stop();  // publishes a last anchor, after the last decision
  auto anchor = store::read_head_file(dir + "/head.json");
  ASSERT_TRUE(anchor) << anchor.message();
  const std::string db = " --db " + testing::shell_quote(spec);
  const std::string with_head =
      "audit verify" + db + " --head " + dir + "/head.json --public-key " + dir + "/head.key.pub";
  auto ok = test::run_cli(with_head);
  ASSERT_EQ(ok.exit_code, 0) << ok.out << ok.err;

  // Cut the last 10 records (decisions) and point the head at the record before them.
  const std::int64_t cut = anchor->id - 10;
  auto c = store::db::connect(store::db::parse_spec(spec).value());
  ASSERT_TRUE(c) << c.message();
  auto hash = c.value()->query("SELECT hash FROM audit_log WHERE id = $1", {cut});
  ASSERT_TRUE(hash && hash->size() == 1u);
  ASSERT_TRUE(c.value()->query("DELETE FROM decisions WHERE audit_id > $1", {cut}));
  ASSERT_TRUE(c.value()->query("DELETE FROM audit_log WHERE id > $1", {cut}));
  ASSERT_TRUE(c.value()->query("UPDATE audit_head SET last_id = $1, last_hash = $2", {cut, *hash.value()[0][0]}));
  EXPECT_EQ(test::run_cli("audit verify" + db).exit_code, 0) << "a cut tail is consistent on its own";
  auto caught = test::run_cli(with_head);
  EXPECT_EQ(caught.exit_code, 1) << caught.out;
  EXPECT_NE(caught.out.find("record " + std::to_string(anchor->id) + " no longer exists"), std::string::npos)
      << caught.out;
}

INSTANTIATE_TEST_SUITE_P(Backends, ServeHeadAnchor, testing::backends(),
                         [](const ::testing::TestParamInfo<std::string>& p) { return p.param; });

TEST(ServeHeadAnchorUrl, PostsSignedAnchorsToAUrl) {
  httplib::Server receiver;
  std::mutex m;
  std::vector<std::string> bodies;
  receiver.Post("/anchors", [&](const httplib::Request& req, httplib::Response& res) {
    std::lock_guard lock(m);
    bodies.push_back(req.body);
    res.status = 204;
  });
  const int port = receiver.bind_to_any_port("127.0.0.1");
  ASSERT_GT(port, 0);
  std::thread listening([&] { receiver.listen_after_bind(); });
  const std::string dir = test::temp_dir();
  ASSERT_EQ(test::run_cli("audit keygen --out " + dir + "/head.key").exit_code, 0);
  ServerProcess server;
  const bool started = server.start(dir, "sqlite:" + dir + "/chipgate.db",
                                    {"--publish-head", "http://127.0.0.1:" + std::to_string(port) + "/anchors",
                                     "--publish-every", "1s", "--head-key", dir + "/head.key"});
  if (started) {
    std::this_thread::sleep_for(milliseconds(2500));
    server.stop();
  }
  receiver.stop();
  listening.join();
  ASSERT_TRUE(started) << server.err();
  std::lock_guard lock(m);
  ASSERT_GE(bodies.size(), 3u);  // at start, at least once a second, at stop
  for (const auto& body : bodies) {
    auto head = store::SignedHead::from_json(json::parse(body));
    ASSERT_TRUE(head) << head.message() << ": " << body;
    EXPECT_TRUE(store::check_head_signature(head.value(), dir + "/head.key.pub")) << body;
  }
}

}  // namespace
}  // namespace chipgate::server

// The real `chipgate serve` binary, on each backend (SQLite always; PostgreSQL when CHIPGATE_TEST_PG
// is set, see test_db.h): killed with SIGKILL under concurrent decide load, every decision it
// acknowledged is in the store and the audit chain verifies; stopped with SIGTERM, it answers the
// requests it accepted and exits 0.
#include <gtest/gtest.h>
#include <httplib.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <mutex>
#include <thread>

#include "server_process.h"
#include "store/store.h"
#include "test_db.h"
#include "test_support.h"

namespace chipgate::server {
namespace {

using json = nlohmann::json;
using testing::expect_all_durable;
using testing::Load;
using testing::make_key;
using testing::ServerProcess;

// The process tests that use a store run once per backend, each on its own fresh store.
class ServeProcess : public testing::BackendTest {};

TEST_P(ServeProcess, SigkillUnderLoadLosesNoAcknowledgedDecision) {
  const std::string dir = test::temp_dir();
  const std::string spec = db_.spec;
  const std::string key = make_key(spec);
  ASSERT_FALSE(key.empty());
  ServerProcess server;
  ASSERT_TRUE(server.start(dir, spec)) << server.err();
  Load load;
  load.run(server.port, key, 4);
  // Kill it while the four clients are mid-flight, after a few hundred acknowledgements.
  for (int i = 0; i < 1200 && load.acked < 300; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  ASSERT_EQ(kill(server.pid, SIGKILL), 0);
  const int status = server.wait_exit();
  load.join();
  EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
  ASSERT_GT(load.acknowledged.size(), 0u) << server.err();
  expect_all_durable(spec, load);
  // The CLI's own check of the chain agrees.
  auto verify = test::run_cli("audit verify --db " + testing::shell_quote(spec));
  EXPECT_EQ(verify.exit_code, 0) << verify.out << verify.err;
}

TEST_P(ServeProcess, SigtermFinishesInFlightRequestsAndExitsZero) {
  const std::string dir = test::temp_dir();
  const std::string spec = db_.spec;
  const std::string key = make_key(spec);
  ASSERT_FALSE(key.empty());
  ServerProcess server;
  ASSERT_TRUE(server.start(dir, spec)) << server.err();
  Load load;
  load.run(server.port, key, 4);
  for (int i = 0; i < 1200 && load.acked < 100; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  ASSERT_EQ(kill(server.pid, SIGTERM), 0);
  const int status = server.wait_exit();
  load.join();
  ASSERT_TRUE(WIFEXITED(status)) << server.err();
  EXPECT_EQ(WEXITSTATUS(status), 0) << server.err();
  EXPECT_NE(server.err().find("SIGTERM: finishing the requests in flight"), std::string::npos) << server.err();
  EXPECT_NE(server.err().find("chipgate serve: stopped"), std::string::npos) << server.err();
  expect_all_durable(spec, load);
}

INSTANTIATE_TEST_SUITE_P(Backends, ServeProcess, testing::backends(),
                         [](const ::testing::TestParamInfo<std::string>& p) { return p.param; });

TEST(ServeStartup, BadDbSpecIsAClearStartupError) {
  auto r = test::run_cli("serve --port 0 --db postgresql://127.0.0.1:1/nonexistent --rules " + test::rules_dir());
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("--db"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace chipgate::server

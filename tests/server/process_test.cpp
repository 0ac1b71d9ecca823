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

// A 100 KB scenario whose table header has 50,000 dotted parts once crashed the server (SIGSEGV inside
// the TOML library). It is refused as invalid TOML before parsing, and the server goes on serving.
TEST(ServeInput, ScenarioWithFiftyThousandPartHeaderIsRefusedAndTheServerStaysUp) {
  const std::string dir = test::temp_dir();
  const std::string spec = "sqlite:" + dir + "/chipgate.db";
  std::string key;
  {
    auto db = store::Store::open(spec);
    ASSERT_TRUE(db) << db.message();
    auto k = db.value()->create_key("test", store::Role::admin, "admin", std::nullopt);
    ASSERT_TRUE(k) << k.message();
    key = k->secret;
  }
  ServerProcess server;
  ASSERT_TRUE(server.start(dir, spec)) << server.err();
  std::string body = "[a";
  for (int i = 1; i < 50000; ++i) body += ".a";
  body += "]\n";
  ASSERT_EQ(body.size(), 100002u);
  httplib::Client c("127.0.0.1", server.port);
  c.set_read_timeout(60, 0);
  auto r = c.Post("/v1/scenarios", httplib::Headers{{"Authorization", "Bearer " + key}}, body, "application/toml");
  ASSERT_TRUE(r) << "no answer: " << httplib::to_string(r.error()) << "\n" << server.err();
  EXPECT_EQ(r->status, 400) << r->body;
  const json j = json::parse(r->body, nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << r->body;
  EXPECT_EQ(j["error"]["code"], "invalid_toml");
  EXPECT_EQ(j["error"]["message"], "scenario:1: table header or key with more than 16 dotted parts");
  EXPECT_EQ(j["error"]["fields"][0]["line"], 1);
  auto health = c.Get("/healthz");
  ASSERT_TRUE(health) << server.err();
  EXPECT_EQ(health->status, 200);
  ASSERT_EQ(kill(server.pid, SIGTERM), 0);
  const int status = server.wait_exit();
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << server.err();
}

TEST(ServeStartup, BadDbSpecIsAClearStartupError) {
  auto r = test::run_cli("serve --port 0 --db postgresql://127.0.0.1:1/nonexistent --rules " + test::rules_dir());
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("--db"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace chipgate::server

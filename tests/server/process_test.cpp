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

#include "store/store.h"
#include "test_db.h"
#include "test_support.h"

namespace chipgate::server {
namespace {

using json = nlohmann::json;

struct ServerProcess {
  pid_t pid = -1;
  int port = 0;
  std::string stderr_path;

  // Starts `chipgate serve` on a free port and waits until /healthz answers.
  bool start(const std::string& dir, const std::string& db_spec, const std::vector<std::string>& extra = {}) {
    const std::string port_file = dir + "/port";
    stderr_path = dir + "/serve.err";
    std::vector<std::string> args = {test::cli_path(), "serve",           "--port",    "0",
                                     "--port-file",    port_file,         "--db",      db_spec,
                                     "--rules",        test::rules_dir(), "--threads", "16"};
    args.insert(args.end(), extra.begin(), extra.end());
    pid = fork();
    if (pid == 0) {
      FILE* err = freopen(stderr_path.c_str(), "w", stderr);
      (void)err;
      std::vector<char*> argv;
      for (auto& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      execv(argv[0], argv.data());
      _exit(127);
    }
    for (int i = 0; i < 600; ++i) {  // up to 60 s (sanitizer builds load the rules slowly)
      std::ifstream in(port_file);
      if (in >> port && port > 0) {
        httplib::Client c("127.0.0.1", port);
        if (auto r = c.Get("/healthz"); r && r->status == 200) return true;
      }
      int status = 0;
      if (waitpid(pid, &status, WNOHANG) == pid) return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return false;
  }
  int wait_exit() {
    int status = 0;
    waitpid(pid, &status, 0);
    return status;
  }
  std::string err() const {
    std::ifstream in(stderr_path);
    return std::string(std::istreambuf_iterator<char>(in), {});
  }
};

// Clients that post decide requests until told to stop; every 200 is an acknowledged decision.
struct Load {
  std::atomic<bool> stop{false};
  std::mutex mutex;
  std::vector<std::pair<std::int64_t, std::string>> acknowledged;  // decision id, order id
  std::atomic<int> acked{0};
  std::vector<std::thread> threads;

  void run(int port, const std::string& key, int clients) {
    for (int t = 0; t < clients; ++t)
      threads.emplace_back([this, port, key, t] {
        httplib::Client c("127.0.0.1", port);
        c.set_read_timeout(30, 0);
        for (int i = 0; !stop; ++i) {
          const std::string order_id = "D-" + std::to_string(t) + "-" + std::to_string(i);
          json order = {{"order_id", order_id},
                        {"date", "2026-11-25"},
                        {"product_id", "nvidia-h100-sxm5-80gb"},
                        {"quantity", 1},
                        {"value_usd", 30000},
                        {"ship_to", "DE"},
                        {"consignee", "Example Cloud GmbH"},
                        {"end_user", "Example Cloud GmbH"},
                        {"end_user_country", "DE"}};
          auto r = c.Post("/v1/decide", httplib::Headers{{"Authorization", "Bearer " + key}}, order.dump(),
                          "application/json");
          if (!r) continue;  // connection refused/reset once the server is gone: not acknowledged
          if (r->status != 200) continue;
          const json j = json::parse(r->body, nullptr, false);
          if (j.is_discarded() || !j.contains("decision_id")) continue;
          std::lock_guard lock(mutex);
          acknowledged.emplace_back(j["decision_id"].get<std::int64_t>(), order_id);
          ++acked;
        }
      });
  }
  void join() {
    stop = true;
    for (auto& t : threads) t.join();
  }
};

std::string make_key(const std::string& db_spec) {
  auto db = store::Store::open(db_spec);
  if (!db) return "";
  auto k = db.value()->create_key("test", store::Role::analyst, "load", std::nullopt);
  return k ? k->secret : "";
}

void expect_all_durable(const std::string& db_spec, const Load& load) {
  auto db = store::Store::open(db_spec);
  ASSERT_TRUE(db) << db.message();
  for (const auto& [id, order_id] : load.acknowledged) {
    auto d = db.value()->get_decision(id);
    ASSERT_TRUE(d) << d.message();
    ASSERT_TRUE(d.value().has_value()) << "acknowledged decision " << id << " is not in the store";
    EXPECT_EQ(d.value()->inputs["order"]["order_id"], order_id) << "decision " << id;
  }
  auto v = db.value()->verify_audit();
  ASSERT_TRUE(v) << v.message();
  EXPECT_TRUE(v->ok) << "first bad record " << v->first_bad.value_or(-1) << ": " << v->problem;
  EXPECT_GE(v->records, static_cast<std::int64_t>(load.acknowledged.size()));
}

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

// The real `chipgate serve` binary as a child process, and clients that load it with decide requests:
// what the process tests (process_test.cpp, store_fault_test.cpp) share.
#pragma once

#include <gtest/gtest.h>
#include <httplib.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "store/store.h"
#include "test_support.h"

namespace chipgate::server::testing {

struct ServerProcess {
  pid_t pid = -1;
  int port = 0;
  std::string stderr_path;
  std::optional<int> exit_status;  // the wait status, once the process was reaped
  // When set, the child drops to this user and group before exec (a root test run otherwise ignores
  // file permissions, which some tests need to apply).
  std::optional<std::pair<uid_t, gid_t>> run_as;

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
      if (run_as && (setgid(run_as->second) != 0 || setuid(run_as->first) != 0)) _exit(126);
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
      if (waitpid(pid, &status, WNOHANG) == pid) {
        exit_status = status;  // reaped here: wait_exit() answers with it
        return false;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return false;
  }
  int wait_exit() {
    if (exit_status) return *exit_status;
    int status = 0;
    waitpid(pid, &status, 0);
    exit_status = status;
    return status;
  }
  // Stops the server with SIGTERM and waits for it; returns its wait status.
  int stop() {
    kill(pid, SIGTERM);
    return wait_exit();
  }
  std::string err() const {
    std::ifstream in(stderr_path);
    return std::string(std::istreambuf_iterator<char>(in), {});
  }
};

// One decide request's order line; `order_id` makes it recognisable in the store.
inline nlohmann::json load_order(const std::string& order_id) {
  return {{"order_id", order_id},
          {"date", "2026-11-25"},
          {"product_id", "nvidia-h100-sxm5-80gb"},
          {"quantity", 1},
          {"value_usd", 30000},
          {"ship_to", "DE"},
          {"consignee", "Example Cloud GmbH"},
          {"end_user", "Example Cloud GmbH"},
          {"end_user_country", "DE"}};
}

// Clients that post decide requests until told to stop; every 200 is an acknowledged decision.
struct Load {
  std::atomic<bool> stop{false};
  std::mutex mutex;
  std::vector<std::pair<std::int64_t, std::string>> acknowledged;  // decision id, order id
  std::atomic<int> acked{0};
  std::atomic<int> refused{0};  // 503 answers
  // Acknowledgements of requests sent after `mark` was set (see mark_now()).
  std::atomic<bool> mark{false};
  std::atomic<int> acked_after_mark{0};
  std::vector<std::thread> threads;

  void run(int port, const std::string& key, int clients) {
    for (int t = 0; t < clients; ++t)
      threads.emplace_back([this, port, key, t] {
        httplib::Client c("127.0.0.1", port);
        c.set_read_timeout(30, 0);
        for (int i = 0; !stop; ++i) {
          const std::string order_id = "D-" + std::to_string(t) + "-" + std::to_string(i);
          const bool after_mark = mark;
          auto r = c.Post("/v1/decide", httplib::Headers{{"Authorization", "Bearer " + key}},
                          load_order(order_id).dump(), "application/json");
          if (!r) continue;  // connection refused/reset once the server is gone: not acknowledged
          if (r->status == 503) ++refused;
          if (r->status != 200) {
            std::this_thread::sleep_for(std::chrono::milliseconds(5));
            continue;
          }
          const nlohmann::json j = nlohmann::json::parse(r->body, nullptr, false);
          if (j.is_discarded() || !j.contains("decision_id")) continue;
          std::lock_guard lock(mutex);
          acknowledged.emplace_back(j["decision_id"].get<std::int64_t>(), order_id);
          ++acked;
          if (after_mark) ++acked_after_mark;
        }
      });
  }
  void mark_now() { mark = true; }
  void wait_for_acks(int n) {
    for (int i = 0; i < 1200 && acked < n; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  void join() {
    stop = true;
    for (auto& t : threads) t.join();
    threads.clear();
  }
};

inline std::string make_key(const std::string& db_spec) {
  auto db = store::Store::open(db_spec);
  if (!db) return "";
  auto k = db.value()->create_key("test", store::Role::analyst, "load", std::nullopt);
  return k ? k->secret : "";
}

// Every acknowledged decision is in the store with its own order, and the chain verifies.
inline void expect_all_durable(const std::string& db_spec, const Load& load) {
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
  EXPECT_TRUE(v->ok) << "first bad record " << v->first_bad.value_or(-1) << ": " << v->problem
                     << (v->row_problems.empty() ? "" : "; " + v->row_problems.front().problem);
  EXPECT_GE(v->records, static_cast<std::int64_t>(load.acknowledged.size()));
}

}  // namespace chipgate::server::testing

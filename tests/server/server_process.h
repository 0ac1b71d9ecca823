// The real `chipgate serve` binary as a child process (ServerProcess), clients that load it with
// decide requests (Load), and a raw TCP client (RawConnection) for what an HTTP client library would
// hide or refuse to send: slow clients, pipelined requests, malformed framing, several source
// addresses (any 127.x.y.z is loopback). What the process tests share.
#pragma once

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cctype>
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

  ServerProcess() = default;
  ServerProcess(const ServerProcess&) = delete;
  ServerProcess& operator=(const ServerProcess&) = delete;
  ~ServerProcess() {
    if (pid > 0 && !exit_status && ::kill(pid, 0) == 0) {
      ::kill(pid, SIGKILL);
      int status = 0;
      waitpid(pid, &status, 0);
    }
  }

  // Starts `chipgate serve` on a free port (16 worker threads unless `extra` says otherwise) and
  // waits until /healthz answers.
  bool start(const std::string& dir, const std::string& db_spec, const std::vector<std::string>& extra = {}) {
    const std::string port_file = dir + "/port";
    stderr_path = dir + "/serve.err";
    std::vector<std::string> args = {test::cli_path(), "serve", "--port", "0",       "--port-file",
                                     port_file,        "--db",  db_spec,  "--rules", test::rules_dir()};
    bool threads_given = false;
    for (const auto& e : extra) threads_given = threads_given || e == "--threads";
    if (!threads_given) args.insert(args.end(), {"--threads", "16"});
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
    if (!exit_status) ::kill(pid, SIGTERM);
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

// One response read off a raw connection.
struct RawResponse {
  int status = 0;    // 0: nothing (or no complete response) arrived in time
  std::string head;  // status line and header fields
  std::string body;
  bool has_header(const std::string& line) const { return head.find("\r\n" + line + "\r\n") != std::string::npos; }
};

class RawConnection {
 public:
  // Connects to 127.0.0.1:port from `source` (a loopback address such as 127.0.0.2).
  explicit RawConnection(int port, const std::string& source = "127.0.0.1") {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in from{};
    from.sin_family = AF_INET;
    ::inet_pton(AF_INET, source.c_str(), &from.sin_addr);
    if (::bind(fd_, reinterpret_cast<sockaddr*>(&from), sizeof(from)) != 0) {
      close();
      return;
    }
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_port = htons(static_cast<std::uint16_t>(port));
    ::inet_pton(AF_INET, "127.0.0.1", &to.sin_addr);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&to), sizeof(to)) != 0) close();
  }
  RawConnection(const RawConnection&) = delete;
  RawConnection& operator=(const RawConnection&) = delete;
  ~RawConnection() { close(); }

  bool ok() const { return fd_ >= 0; }
  bool send(const std::string& bytes) {
    std::size_t done = 0;
    while (fd_ >= 0 && done < bytes.size()) {
      const ssize_t n = ::send(fd_, bytes.data() + done, bytes.size() - done, MSG_NOSIGNAL);
      if (n <= 0) return false;
      done += static_cast<std::size_t>(n);
    }
    return fd_ >= 0;
  }
  // Reads until a whole response (head and Content-Length body; the head only for the answer to a
  // HEAD request, `head_only`) is buffered, or `timeout` passes.
  RawResponse read_response(std::chrono::milliseconds timeout = std::chrono::seconds(10), bool head_only = false) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (true) {
      if (auto r = take_response(head_only)) return *r;
      if (!fill(deadline)) return {};
    }
  }
  // True when the server closed the connection cleanly (end of stream, no reset) within `timeout`;
  // bytes that arrive first are kept for read_response.
  bool closed_by_peer(std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (fill(deadline)) {
    }
    return eof_ && !reset_;
  }
  void close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }
  const std::string& buffered() const { return in_; }

 private:
  // Reads what arrives before `deadline`; false on end of stream, error or timeout.
  bool fill(std::chrono::steady_clock::time_point deadline) {
    if (fd_ < 0 || eof_) return false;
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) return false;
    char buf[16384];
    const ssize_t n = ::recv(fd_, buf, sizeof(buf), 0);
    if (n > 0) {
      in_.append(buf, static_cast<std::size_t>(n));
      return true;
    }
    eof_ = true;
    reset_ = n < 0;
    return false;
  }
  std::optional<RawResponse> take_response(bool head_only) {
    const auto end = in_.find("\r\n\r\n");
    if (end == std::string::npos) return std::nullopt;
    RawResponse r;
    r.head = in_.substr(0, end + 2);
    std::size_t length = 0;
    std::string lower = r.head;
    for (auto& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (const auto cl = lower.find("\r\ncontent-length:"); cl != std::string::npos && !head_only)
      length = std::stoul(lower.substr(cl + 17));
    if (in_.size() < end + 4 + length) return std::nullopt;
    r.body = in_.substr(end + 4, length);
    r.status = std::stoi(r.head.substr(9, 3));
    in_.erase(0, end + 4 + length);
    return r;
  }

  int fd_ = -1;
  std::string in_;
  bool eof_ = false;
  bool reset_ = false;
};

}  // namespace chipgate::server::testing

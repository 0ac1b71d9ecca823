// The real `chipgate serve` binary as a child process (ServerProcess), and a raw TCP client
// (RawConnection) for what an HTTP client library would hide or refuse to send: slow clients,
// pipelined requests, malformed framing, several source addresses (any 127.x.y.z is loopback).
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

#include <cctype>
#include <chrono>
#include <fstream>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "test_support.h"

namespace chipgate::server::testing {

struct ServerProcess {
  pid_t pid = -1;
  int port = 0;
  std::string stderr_path;

  ServerProcess() = default;
  ServerProcess(const ServerProcess&) = delete;
  ServerProcess& operator=(const ServerProcess&) = delete;
  ~ServerProcess() {
    if (pid > 0 && ::kill(pid, 0) == 0) {
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
        pid = -1;
        return false;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return false;
  }
  int wait_exit() {
    int status = 0;
    waitpid(pid, &status, 0);
    pid = -1;
    return status;
  }
  int stop() {
    ::kill(pid, SIGTERM);
    return wait_exit();
  }
  std::string err() const {
    std::ifstream in(stderr_path);
    return std::string(std::istreambuf_iterator<char>(in), {});
  }
};

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

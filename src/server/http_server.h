// The socket side of the API: cpp-httplib's threaded server in front of a Service. Request-body
// limit, read/write/keep-alive timeouts, a fixed worker pool, and a graceful stop that lets the
// requests in flight finish and be answered before run() returns.
#pragma once

#include <atomic>
#include <memory>
#include <string>

#include "core/result.h"
#include "server/service.h"

namespace httplib {
class Server;
}

namespace chipgate::server {

struct HttpOptions {
  std::string host = "127.0.0.1";
  int port = 8080;          // 0: any free port (see HttpServer::port())
  unsigned threads = 32;    // worker threads = concurrent connections served (keep-alive holds one)
  int read_timeout_s = 10;  // a client must send its request within this
  int write_timeout_s = 10;
  int keep_alive_timeout_s = 5;
  std::size_t keep_alive_max_requests = 100000;
};

class HttpServer {
 public:
  HttpServer(std::shared_ptr<Service> service, HttpOptions options);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds the port (the actual one when options.port was 0).
  Result<int> bind();
  // Serves until stop(); returns once every accepted request has been answered.
  Status run();
  // Thread-safe; may be called from a signal-waiting thread. Stops accepting, finishes in-flight requests.
  void stop();
  int port() const { return port_; }

 private:
  std::shared_ptr<Service> service_;
  HttpOptions options_;
  std::unique_ptr<httplib::Server> http_;
  int port_ = 0;
  int listen_fd_ = -1;
  // stop() may come before run() listens (a SIGTERM right after start): the library would ignore it
  // and run() would then serve forever. See run()/stop() for how the two flags close that window.
  std::atomic<bool> stop_requested_{false};
  std::atomic<bool> run_entered_{false};
  std::atomic<bool> run_returned_{false};
};

}  // namespace chipgate::server

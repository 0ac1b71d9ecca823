// The socket side of the API: an epoll event loop in front of a worker pool that calls Service.
//
// One loop thread accepts connections, reads and parses requests (server/http_parser.h) under
// deadlines that bound a whole request head and a whole body, and applies a connection limit per
// client address and in all. Only complete requests reach the worker threads, which call
// Service::handle and write the answer (one writev when the socket takes it; the loop finishes a
// response the client reads slowly). A slow or idle client therefore holds a connection slot and a
// buffer, never a worker: /healthz and every other client are answered while slow clients hold
// connections. Keep-alive, pipelined requests (answered in order), chunked bodies, per-route body
// limits known from the request head (413 with the connection kept usable), Expect: 100-continue,
// TCP_NODELAY, a full listen backlog, and a graceful stop that answers the requests in flight
// before run() returns.
#pragma once

#include <atomic>
#include <cstddef>
#include <memory>
#include <string>

#include "core/result.h"
#include "server/service.h"

namespace chipgate::server {

struct HttpOptions {
  std::string host = "127.0.0.1";
  int port = 8080;        // 0: any free port (see HttpServer::port())
  unsigned threads = 32;  // worker threads: requests handled at once (connections are not bound to one)
  // Deadlines, each bounding a whole phase rather than one read: the request head from its first
  // byte (or from the connection's opening), the body from the end of the head, the response from
  // its first write. A request that misses its head or body deadline is answered 408 and closed.
  int header_timeout_s = 10;
  int read_timeout_s = 10;  // the body
  int write_timeout_s = 10;
  int keep_alive_timeout_s = 5;  // idle between two requests of a connection
  std::size_t keep_alive_max_requests = 100000;
  // Connections open at once, in all and from one client address (IPv4 address or IPv6 address).
  // Beyond them a connection is answered 503 (server) or 429 (client) and closed. The total is also
  // capped by the process's file descriptor limit (raised to its hard limit at bind()).
  std::size_t max_connections = 4096;
  std::size_t max_connections_per_client = 64;
  std::size_t max_head_bytes = 16 * 1024;  // request line and header fields
};

class HttpServer {
 public:
  HttpServer(std::shared_ptr<Service> service, HttpOptions options);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds the port (the actual one when options.port was 0).
  Result<int> bind();
  // Serves until stop(); returns once every request accepted for handling has been answered.
  Status run();
  // Thread-safe; may be called from a signal-waiting thread, before or during run(). Stops accepting,
  // closes idle connections and those still sending a request, answers the requests being handled.
  void stop();
  int port() const { return port_; }

  class Loop;  // the event loop and its workers (http_server.cpp)

 private:
  std::shared_ptr<Service> service_;
  HttpOptions options_;
  int port_ = 0;
  int listen_fd_ = -1;
  int wake_fd_ = -1;  // eventfd: stop() and the workers wake the loop through it
  std::atomic<bool> stop_requested_{false};
};

}  // namespace chipgate::server

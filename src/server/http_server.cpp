#include "server/http_server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_map>
#include <vector>

#include "server/http_parser.h"

namespace chipgate::server {

namespace {

using Clock = std::chrono::steady_clock;

// Bytes of a body over its limit that are still read and dropped so that the connection stays
// usable after the 413; a larger body is answered 413 without being read, and the connection closed.
constexpr std::uint64_t kMaxDrainBytes = 8u << 20;
// A connection closed by the server after its answer first stops sending and reads what the client
// still sends for this long (at most kMaxLingerBytes), so that the answer is not destroyed by a reset.
constexpr auto kLingerTime = std::chrono::seconds(1);
constexpr std::size_t kMaxLingerBytes = 64 * 1024;
constexpr std::size_t kMaxLingering = 256;  // beyond, connections are closed at once
// Bytes read from one connection per readiness event, so that one fast sender cannot hold the loop.
constexpr std::size_t kMaxReadPerEvent = 1u << 20;
constexpr auto kScanInterval = std::chrono::milliseconds(100);
// File descriptors kept for everything but client connections (store, list files, logs).
constexpr rlim_t kReservedFds = 128;

// Who owns a connection: the loop thread in every phase but kLimit and kHandling (a worker). A
// worker hands a connection back either by arming it for reading (kIdle, under `arm`) or through
// the loop's return queue.
enum class Phase : std::uint8_t { kIdle, kHead, kBody, kLimit, kHandling, kWriting, kLingering };

// What the loop does with a connection a worker hands back through the return queue.
enum class Next : std::uint8_t { kAdvance, kBody, kWrite, kLinger, kClose };

struct Connection {
  int fd = -1;
  std::string client;    // peer address without the port: the per-client limit's key
  bool counted = false;  // counts toward the per-client limit (rejected ones do not)
  std::atomic<Phase> phase{Phase::kIdle};
  Next next = Next::kAdvance;  // set by a worker before it hands the connection back
  Clock::time_point deadline;  // of the current phase
  std::mutex arm;              // a worker arming the connection for reading vs. the loop's scan
  std::string in;              // received, not yet consumed (a pipelined request may follow)
  bool peer_closed = false;
  http::RequestHead head;
  std::string body;
  std::uint64_t body_received = 0;
  std::size_t body_limit = 0;
  bool body_over = false;  // larger than body_limit: dropped, answered 413 by the service
  std::optional<http::ChunkedDecoder> chunked;
  std::string out;  // a response the loop writes (the rest of one a worker began, or the loop's own)
  std::size_t out_sent = 0;
  bool close_after = false;  // close once `out` is written
  std::size_t served = 0;
  std::size_t lingered = 0;
};

struct Task {
  Connection* connection = nullptr;  // nullptr: Service::run_deferred_work()
  bool limit_only = false;           // compute the body limit of the parsed head, then hand back
};

std::string peer_address(const sockaddr_storage& addr) {
  char text[INET6_ADDRSTRLEN] = {0};
  if (addr.ss_family == AF_INET) {
    inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in&>(addr).sin_addr, text, sizeof(text));
    return text;
  }
  if (addr.ss_family == AF_INET6) {
    const auto& a6 = reinterpret_cast<const sockaddr_in6&>(addr);
    if (IN6_IS_ADDR_V4MAPPED(&a6.sin6_addr)) {
      inet_ntop(AF_INET, &a6.sin6_addr.s6_addr[12], text, sizeof(text));
      return text;
    }
    inet_ntop(AF_INET6, &a6.sin6_addr, text, sizeof(text));
    return text;
  }
  return "?";
}

// The status line and header fields of a response.
std::string response_head(int status, const std::string& content_type, std::size_t length,
                          const std::vector<std::pair<std::string, std::string>>& headers, bool close,
                          int minor_version) {
  std::string h;
  h.reserve(128);
  h += "HTTP/1.1 ";
  h += std::to_string(status);
  h += ' ';
  h += http::reason_phrase(status);
  h += "\r\nContent-Type: ";
  h += content_type;
  h += "\r\nContent-Length: ";
  h += std::to_string(length);
  h += "\r\n";
  for (const auto& [name, value] : headers) h += name + ": " + value + "\r\n";
  if (close)
    h += "Connection: close\r\n";
  else if (minor_version == 0)
    h += "Connection: keep-alive\r\n";
  h += "\r\n";
  return h;
}

// Writes head + body with as few calls as the socket allows; returns the bytes written, or -1 on a
// broken connection. Stops at EAGAIN.
long write_some(int fd, std::string_view head, std::string_view body) {
  std::size_t done = 0;
  const std::size_t total = head.size() + body.size();
  while (done < total) {
    iovec iov[2];
    int n = 0;
    if (done < head.size()) iov[n++] = {const_cast<char*>(head.data() + done), head.size() - done};
    const std::size_t body_done = done > head.size() ? done - head.size() : 0;
    if (body.size() > body_done) iov[n++] = {const_cast<char*>(body.data() + body_done), body.size() - body_done};
    msghdr msg{};
    msg.msg_iov = iov;
    msg.msg_iovlen = static_cast<std::size_t>(n);
    const ssize_t w = ::sendmsg(fd, &msg, MSG_NOSIGNAL);
    if (w < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) break;
      return -1;
    }
    done += static_cast<std::size_t>(w);
  }
  return static_cast<long>(done);
}

// The service's view of a parsed request (HEAD is answered as GET without the body). A query
// parameter given twice is refused here (`refused`): taking either value would be a guess.
Request to_request(Connection& c, std::optional<Response>& refused) {
  Request r;
  r.method = c.head.method == "HEAD" ? "GET" : c.head.method;
  r.path = c.head.path;
  for (auto& [k, v] : c.head.query)
    if (!r.query.emplace(k, v).second && !refused) {
      const std::string message = "query parameter '" + k + "' is given twice";
      refused = Response{400, "application/json", error_body(400, "invalid_request", message), {}};
    }
  r.authorization = c.head.authorization;
  r.content_type = c.head.content_type;
  r.remote = c.client;
  if (c.body_over)
    r.body_over_limit = c.body_limit;
  else
    r.body = std::move(c.body);
  return r;
}

}  // namespace

// The event loop (run() of HttpServer runs it on the calling thread) and its worker threads.
class HttpServer::Loop {
 public:
  Loop(HttpServer& server, std::size_t max_connections)
      : server_(server), service_(*server.service_), options_(server.options_), max_connections_(max_connections) {
    limits_.max_head_bytes = options_.max_head_bytes;
  }
  ~Loop() {
    for (auto& [fd, c] : connections_) ::close(fd);
    if (epoll_ >= 0) ::close(epoll_);
  }

  Status run();

 private:
  // ---- loop thread ----
  void accept_all();
  void reject(Connection* c, int status, const std::string& code, const std::string& message);
  void on_event(Connection* c);
  void on_readable(Connection* c);
  void advance(Connection* c, bool new_line);
  bool start_body(Connection* c);
  void begin_body(Connection* c);
  enum class BodyState { kMore, kDone, kError };
  BodyState consume_body(Connection* c);
  void dispatch(Connection* c, bool limit_only = false);
  void respond(Connection* c, int status, const std::string& code, const std::string& message);
  void on_writable(Connection* c);
  void after_response(Connection* c);
  void begin_linger(Connection* c);
  void on_linger(Connection* c);
  void close_now(Connection* c);
  void arm(Connection* c, std::uint32_t events);
  void take_returned();
  void scan(Clock::time_point now);
  void begin_stop();
  bool owned_idle(Connection* c);

  // ---- worker threads ----
  void work();
  void handle(Connection* c);
  void finish(Connection* c, bool close);
  void hand_back(Connection* c, Next next);
  void wake();

  HttpServer& server_;
  Service& service_;
  const HttpOptions& options_;
  const std::size_t max_connections_;
  http::ParseLimits limits_;
  int epoll_ = -1;
  std::unordered_map<int, std::unique_ptr<Connection>> connections_;
  std::vector<std::unique_ptr<Connection>> closed_;  // freed after each batch of events
  std::unordered_map<std::string, std::size_t> per_client_;
  std::size_t lingering_ = 0;
  bool accepting_ = true;
  bool accept_paused_ = false;  // out of file descriptors: retried at the next scan
  std::atomic<bool> stopping_{false};
  std::vector<char> read_buffer_ = std::vector<char>(64 * 1024);

  std::mutex tasks_mutex_;
  std::condition_variable tasks_cv_;
  std::deque<Task> tasks_;
  bool workers_closing_ = false;
  std::atomic<bool> deferred_queued_{false};
  std::vector<std::thread> workers_;

  std::mutex returned_mutex_;
  std::vector<Connection*> returned_;
};

// ---------------------------------------------------------------------------------------------
// The loop

Status HttpServer::Loop::run() {
  epoll_ = ::epoll_create1(EPOLL_CLOEXEC);
  if (epoll_ < 0) return Status::error(std::string("epoll_create1: ") + std::strerror(errno));
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.ptr = &server_.listen_fd_;
  if (::epoll_ctl(epoll_, EPOLL_CTL_ADD, server_.listen_fd_, &ev) != 0)
    return Status::error(std::string("epoll_ctl: ") + std::strerror(errno));
  ev.data.ptr = &server_.wake_fd_;
  if (::epoll_ctl(epoll_, EPOLL_CTL_ADD, server_.wake_fd_, &ev) != 0)
    return Status::error(std::string("epoll_ctl: ") + std::strerror(errno));
  const unsigned threads = std::max(1u, options_.threads);
  for (unsigned i = 0; i < threads; ++i) workers_.emplace_back([this] { work(); });

  std::vector<epoll_event> events(256);
  auto next_scan = Clock::now() + kScanInterval;
  while (true) {
    const int n =
        ::epoll_wait(epoll_, events.data(), static_cast<int>(events.size()), static_cast<int>(kScanInterval.count()));
    for (int i = 0; i < n; ++i) {
      void* p = events[static_cast<std::size_t>(i)].data.ptr;
      if (p == &server_.listen_fd_) {
        accept_all();
      } else if (p == &server_.wake_fd_) {
        std::uint64_t count = 0;
        [[maybe_unused]] const auto r = ::read(server_.wake_fd_, &count, sizeof(count));
        take_returned();
      } else {
        on_event(static_cast<Connection*>(p));
      }
    }
    closed_.clear();
    if (server_.stop_requested_ && !stopping_) begin_stop();
    const auto now = Clock::now();
    if (now >= next_scan) {
      scan(now);
      closed_.clear();
      next_scan = now + kScanInterval;
    }
    if (stopping_ && connections_.empty()) break;
  }
  {
    std::lock_guard lock(tasks_mutex_);
    workers_closing_ = true;
  }
  tasks_cv_.notify_all();
  for (auto& t : workers_) t.join();
  return Status::ok();
}

void HttpServer::Loop::accept_all() {
  while (accepting_) {
    sockaddr_storage addr{};
    socklen_t len = sizeof(addr);
    const int fd =
        ::accept4(server_.listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
        // Out of descriptors: stop watching the listener until the next scan instead of spinning on it.
        ::epoll_ctl(epoll_, EPOLL_CTL_DEL, server_.listen_fd_, nullptr);
        accept_paused_ = true;
      }
      return;
    }
    int yes = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &yes, sizeof(yes));
    auto owned = std::make_unique<Connection>();
    Connection* c = owned.get();
    c->fd = fd;
    c->client = peer_address(addr);
    c->deadline = Clock::now() + std::chrono::seconds(options_.header_timeout_s);
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLONESHOT;
    ev.data.ptr = c;
    if (::epoll_ctl(epoll_, EPOLL_CTL_ADD, fd, &ev) != 0) {
      ::close(fd);
      continue;
    }
    const bool server_full = connections_.size() >= max_connections_;
    connections_.emplace(fd, std::move(owned));
    service_.metrics().connection_opened();
    std::size_t& from_client = per_client_[c->client];
    if (server_full) {
      reject(c, 503, "server_busy",
             "the server has " + std::to_string(max_connections_) + " connections open, its limit; retry later");
    } else if (from_client >= options_.max_connections_per_client) {
      reject(c, 429, "too_many_connections",
             "this client address has " + std::to_string(from_client) +
                 " connections open, the limit per client (--max-connections-per-client); reuse them or retry later");
    } else {
      ++from_client;
      c->counted = true;
    }
    if (!c->counted && from_client == 0) per_client_.erase(c->client);
  }
}

void HttpServer::Loop::reject(Connection* c, int status, const std::string& code, const std::string& message) {
  service_.metrics().add_connection_rejected(status == 429 ? "client_limit" : "server_limit");
  respond(c, status, code, message);
}

void HttpServer::Loop::on_event(Connection* c) {
  const Phase p = c->phase.load();
  if (p == Phase::kIdle) {
    std::lock_guard lock(c->arm);  // a worker that armed it has left `arm`: the loop owns it
  }
  switch (p) {
    case Phase::kIdle:
    case Phase::kHead:
    case Phase::kBody:
      on_readable(c);
      return;
    case Phase::kWriting:
      on_writable(c);
      return;
    case Phase::kLingering:
      on_linger(c);
      return;
    case Phase::kLimit:
    case Phase::kHandling:
      return;  // not armed while a worker owns it
  }
}

void HttpServer::Loop::on_readable(Connection* c) {
  bool new_line = false;
  std::size_t total = 0;
  while (total < kMaxReadPerEvent) {
    const ssize_t n = ::recv(c->fd, read_buffer_.data(), read_buffer_.size(), 0);
    if (n > 0) {
      const auto got = static_cast<std::size_t>(n);
      new_line = new_line || std::memchr(read_buffer_.data(), '\n', got) != nullptr;
      c->in.append(read_buffer_.data(), got);
      total += got;
      if (got < read_buffer_.size()) break;
      continue;
    }
    if (n == 0) {
      c->peer_closed = true;
      break;
    }
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) break;
    close_now(c);
    return;
  }
  advance(c, new_line);
}

// Moves a connection the loop owns through its request: idle -> head -> body -> handed to a worker.
// `new_line`: an LF arrived since the head was last parsed (a head can only end on one).
void HttpServer::Loop::advance(Connection* c, bool new_line) {
  const auto now = Clock::now();
  if (c->phase == Phase::kIdle) {
    if (c->in.empty()) {
      if (c->peer_closed || stopping_) return close_now(c);
      return arm(c, EPOLLIN);
    }
    c->phase = Phase::kHead;
    c->deadline = now + std::chrono::seconds(options_.header_timeout_s);
    new_line = true;
  }
  if (c->phase == Phase::kHead) {
    auto parsed = new_line ? http::parse_head(c->in, limits_, c->head) : http::ParseResult{};
    if (parsed.status == http::ParseStatus::kError) {
      return respond(c, parsed.http_status,
                     parsed.http_status == 431 || parsed.http_status == 414 ? "head_too_large"
                     : parsed.http_status == 501                            ? "not_implemented"
                                                                            : "bad_request",
                     parsed.message);
    }
    if (parsed.status == http::ParseStatus::kIncomplete) {
      if (c->peer_closed) return close_now(c);
      return arm(c, EPOLLIN);
    }
    c->in.erase(0, parsed.consumed);
    if (!start_body(c)) return;
  }
  if (c->phase == Phase::kBody) {
    const BodyState body = consume_body(c);
    if (body == BodyState::kError)
      return respond(c, 400, "bad_request", "the chunked body could not be read: " + c->chunked->error());
    if (body == BodyState::kDone) return dispatch(c);
    if (c->peer_closed) return close_now(c);
    arm(c, EPOLLIN);
  }
}

// After a head: the body's limit (a worker asks the store when it depends on the key), then the body.
// Returns false when the connection left the loop's hands.
bool HttpServer::Loop::start_body(Connection* c) {
  c->body.clear();
  c->body_received = 0;
  c->body_over = false;
  c->chunked.reset();
  c->body_limit = service_.limits().max_body_bytes;
  const auto& h = c->head;
  const bool larger_than_normal = h.chunked || (h.content_length && *h.content_length > c->body_limit);
  // POST /v1/lists takes list files inline from an admin key: whether the request has one is a key
  // lookup (the store), which never runs on this thread.
  if (larger_than_normal && !h.authorization.empty() && h.method == "POST" && h.path == "/v1/lists" &&
      service_.limits().max_list_upload_bytes > c->body_limit) {
    dispatch(c, true);
    return false;
  }
  begin_body(c);
  return true;
}

void HttpServer::Loop::begin_body(Connection* c) {
  const auto& h = c->head;
  if (h.chunked) c->chunked.emplace(limits_);
  const bool has_body = h.chunked || (h.content_length && *h.content_length > 0);
  const bool over = h.content_length && *h.content_length > c->body_limit;
  if (over && (h.expect_continue || *h.content_length > c->body_limit + kMaxDrainBytes)) {
    // Answered 413 (after authentication) without reading the body, which the client has not sent
    // yet (100-continue) or which is too large to drop; the connection closes after the answer.
    c->body_over = true;
    c->close_after = true;
    c->head.content_length = 0;
    c->phase = Phase::kBody;
    return;
  }
  if (has_body && h.expect_continue) {
    static constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
    [[maybe_unused]] const auto w = ::send(c->fd, kContinue.data(), kContinue.size(), MSG_NOSIGNAL);
  }
  c->phase = Phase::kBody;
  c->deadline = Clock::now() + std::chrono::seconds(options_.read_timeout_s);
}

HttpServer::Loop::BodyState HttpServer::Loop::consume_body(Connection* c) {
  if (c->chunked) {
    std::size_t used = 0;
    const auto st = c->chunked->feed(c->in, used, c->body, c->body_over);
    c->in.erase(0, used);
    if (!c->body_over && c->chunked->decoded() > c->body_limit) {
      c->body_over = true;
      std::string().swap(c->body);
    }
    if (st == http::ChunkedDecoder::Status::kError) return BodyState::kError;
    if (st == http::ChunkedDecoder::Status::kDone) return BodyState::kDone;
    if (c->chunked->decoded() > c->body_limit + kMaxDrainBytes) {
      c->close_after = true;  // too much to drop: answer now, close after
      return BodyState::kDone;
    }
    return BodyState::kMore;
  }
  const std::uint64_t expected = c->head.content_length.value_or(0);
  const std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(expected - c->body_received, c->in.size()));
  if (!c->body_over && c->body.size() + n > c->body_limit) {
    c->body_over = true;
    std::string().swap(c->body);
  }
  if (!c->body_over) c->body.append(c->in, 0, n);
  c->in.erase(0, n);
  c->body_received += n;
  return c->body_received == expected ? BodyState::kDone : BodyState::kMore;
}

void HttpServer::Loop::dispatch(Connection* c, bool limit_only) {
  c->phase = limit_only ? Phase::kLimit : Phase::kHandling;
  {
    std::lock_guard lock(tasks_mutex_);
    tasks_.push_back({c, limit_only});
  }
  tasks_cv_.notify_one();
}

// An answer of the loop's own (bad framing, timeouts, limits): JSON error body, then close.
void HttpServer::Loop::respond(Connection* c, int status, const std::string& code, const std::string& message) {
  const std::string body = error_body(status, code, message);
  std::vector<std::pair<std::string, std::string>> headers;
  if (status == 429 || status == 503) headers.emplace_back("Retry-After", "1");
  c->out = response_head(status, "application/json", body.size(), headers, true, 1) + body;
  c->out_sent = 0;
  c->close_after = true;
  c->phase = Phase::kWriting;
  c->deadline = Clock::now() + std::chrono::seconds(options_.write_timeout_s);
  on_writable(c);
}

void HttpServer::Loop::on_writable(Connection* c) {
  const long w = write_some(c->fd, std::string_view(c->out).substr(c->out_sent), {});
  if (w < 0) return close_now(c);
  c->out_sent += static_cast<std::size_t>(w);
  if (c->out_sent < c->out.size()) return arm(c, EPOLLOUT);
  std::string().swap(c->out);
  c->out_sent = 0;
  after_response(c);
}

// A response is written (by the loop): close, or read the next request (perhaps already buffered).
void HttpServer::Loop::after_response(Connection* c) {
  if (c->close_after || stopping_) return begin_linger(c);
  c->phase = Phase::kIdle;
  c->deadline = Clock::now() + std::chrono::seconds(options_.keep_alive_timeout_s);
  advance(c, true);
}

void HttpServer::Loop::begin_linger(Connection* c) {
  if (c->peer_closed || lingering_ >= kMaxLingering) return close_now(c);
  ::shutdown(c->fd, SHUT_WR);
  c->phase = Phase::kLingering;
  c->deadline = Clock::now() + kLingerTime;
  ++lingering_;
  std::string().swap(c->in);
  arm(c, EPOLLIN);
}

void HttpServer::Loop::on_linger(Connection* c) {
  while (true) {
    const ssize_t n = ::recv(c->fd, read_buffer_.data(), read_buffer_.size(), 0);
    if (n > 0) {
      c->lingered += static_cast<std::size_t>(n);
      if (c->lingered > kMaxLingerBytes) return close_now(c);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return arm(c, EPOLLIN);
    return close_now(c);  // end of stream or error
  }
}

void HttpServer::Loop::close_now(Connection* c) {
  if (c->phase == Phase::kLingering) --lingering_;
  ::epoll_ctl(epoll_, EPOLL_CTL_DEL, c->fd, nullptr);
  ::close(c->fd);
  if (c->counted) {
    auto it = per_client_.find(c->client);
    if (it != per_client_.end() && --it->second == 0) per_client_.erase(it);
  }
  service_.metrics().connection_closed();
  auto it = connections_.find(c->fd);
  if (it == connections_.end()) return;
  closed_.push_back(std::move(it->second));  // freed after this batch: an event may still name it
  connections_.erase(it);
}

void HttpServer::Loop::arm(Connection* c, std::uint32_t events) {
  epoll_event ev{};
  ev.events = events | EPOLLONESHOT;
  ev.data.ptr = c;
  if (::epoll_ctl(epoll_, EPOLL_CTL_MOD, c->fd, &ev) != 0) close_now(c);
}

void HttpServer::Loop::take_returned() {
  std::vector<Connection*> back;
  {
    std::lock_guard lock(returned_mutex_);
    back.swap(returned_);
  }
  for (Connection* c : back) {
    switch (c->next) {
      case Next::kClose:
        close_now(c);
        break;
      case Next::kLinger:
        begin_linger(c);
        break;
      case Next::kWrite:
        c->phase = Phase::kWriting;
        c->deadline = Clock::now() + std::chrono::seconds(options_.write_timeout_s);
        on_writable(c);
        break;
      case Next::kBody:
        begin_body(c);
        advance(c, false);
        break;
      case Next::kAdvance:
        after_response(c);
        break;
    }
  }
}

// A connection in kIdle may have been armed by a worker: once `arm` is taken and it is still kIdle,
// the worker is done with it and the loop owns it.
bool HttpServer::Loop::owned_idle(Connection* c) {
  std::lock_guard lock(c->arm);
  return c->phase == Phase::kIdle;
}

// Deadlines (every kScanInterval): a late head or body is answered 408 and closed, a late response
// or an idle connection past its keep-alive time is closed.
void HttpServer::Loop::scan(Clock::time_point now) {
  if (accept_paused_ && !stopping_) {
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.ptr = &server_.listen_fd_;
    if (::epoll_ctl(epoll_, EPOLL_CTL_ADD, server_.listen_fd_, &ev) == 0) accept_paused_ = false;
  }
  std::vector<Connection*> due;
  for (auto& [fd, c] : connections_) {
    const Phase p = c->phase.load();
    if (p == Phase::kLimit || p == Phase::kHandling) continue;
    if (p == Phase::kIdle && !owned_idle(c.get())) continue;
    if (c->deadline <= now || (stopping_ && (p == Phase::kIdle || p == Phase::kHead || p == Phase::kBody)))
      due.push_back(c.get());
  }
  for (Connection* c : due) {
    const Phase p = c->phase.load();
    if (stopping_ || p == Phase::kIdle || p == Phase::kLingering) {
      close_now(c);
    } else if (p == Phase::kHead || p == Phase::kBody) {
      service_.metrics().add_request_timeout(p == Phase::kHead ? "head" : "body");
      respond(c, 408, "request_timeout",
              std::string(p == Phase::kHead ? "the request head was not received within "
                                            : "the request body was not received within ") +
                  std::to_string(p == Phase::kHead ? options_.header_timeout_s : options_.read_timeout_s) + " s");
    } else if (p == Phase::kWriting) {
      service_.metrics().add_request_timeout("write");
      close_now(c);
    }
  }
  if (!stopping_ && service_.deferred_work_due() && !deferred_queued_.exchange(true)) {
    {
      std::lock_guard lock(tasks_mutex_);
      tasks_.push_back({nullptr, false});
    }
    tasks_cv_.notify_one();
  }
}

void HttpServer::Loop::begin_stop() {
  stopping_ = true;
  ::epoll_ctl(epoll_, EPOLL_CTL_DEL, server_.listen_fd_, nullptr);
  ::close(server_.listen_fd_);
  server_.listen_fd_ = -1;
  accepting_ = false;
  scan(Clock::now());  // closes the idle connections and those still sending a request
}

// ---------------------------------------------------------------------------------------------
// Workers

void HttpServer::Loop::work() {
  while (true) {
    Task t;
    {
      std::unique_lock lock(tasks_mutex_);
      tasks_cv_.wait(lock, [this] { return workers_closing_ || !tasks_.empty(); });
      if (tasks_.empty()) return;
      t = tasks_.front();
      tasks_.pop_front();
    }
    if (!t.connection) {
      service_.run_deferred_work();
      deferred_queued_ = false;
    } else if (t.limit_only) {
      const auto& h = t.connection->head;
      t.connection->body_limit = service_.body_limit(h.method, h.path, h.authorization);
      hand_back(t.connection, Next::kBody);
    } else {
      handle(t.connection);
    }
  }
}

void HttpServer::Loop::handle(Connection* c) {
  std::optional<Response> refused;
  Request request = to_request(*c, refused);
  Response response;
  if (refused) {
    response = std::move(*refused);
  } else {
    try {
      response = service_.handle(request);
    } catch (const std::exception&) {
      response = {500, "application/json", error_body(500, "internal_error", "internal error"), {}};
    }
  }
  ++c->served;
  const bool close = c->close_after || !c->head.keep_alive || c->served >= options_.keep_alive_max_requests ||
                     stopping_ || server_.stop_requested_;
  c->close_after = close;
  const bool head_only = c->head.method == "HEAD";
  const std::string head = response_head(response.status, response.content_type, response.body.size(), response.headers,
                                         close, c->head.minor_version);
  const std::string_view body = head_only ? std::string_view() : std::string_view(response.body);
  const long w = write_some(c->fd, head, body);
  if (w < 0) return hand_back(c, Next::kClose);
  const auto written = static_cast<std::size_t>(w);
  if (written < head.size() + body.size()) {
    c->out = (head + std::string(body)).substr(written);
    c->out_sent = 0;
    return hand_back(c, Next::kWrite);
  }
  finish(c, close);
}

// The response is written: close (by the loop), the next request already buffered (by the loop), or
// wait for the next one: armed here, so that a keep-alive request costs the loop no extra wake-up.
void HttpServer::Loop::finish(Connection* c, bool close) {
  if (close) return hand_back(c, Next::kLinger);
  if (!c->in.empty()) return hand_back(c, Next::kAdvance);
  std::lock_guard lock(c->arm);
  c->deadline = Clock::now() + std::chrono::seconds(options_.keep_alive_timeout_s);
  c->phase = Phase::kIdle;
  epoll_event ev{};
  ev.events = EPOLLIN | EPOLLONESHOT;
  ev.data.ptr = c;
  if (::epoll_ctl(epoll_, EPOLL_CTL_MOD, c->fd, &ev) != 0) {
    c->phase = Phase::kHandling;
    hand_back(c, Next::kClose);
  }
}

void HttpServer::Loop::hand_back(Connection* c, Next next) {
  c->next = next;
  bool first = false;
  {
    std::lock_guard lock(returned_mutex_);
    first = returned_.empty();
    returned_.push_back(c);
  }
  if (first) wake();
}

void HttpServer::Loop::wake() {
  const std::uint64_t one = 1;
  [[maybe_unused]] const auto w = ::write(server_.wake_fd_, &one, sizeof(one));
}

// ---------------------------------------------------------------------------------------------
// HttpServer

HttpServer::HttpServer(std::shared_ptr<Service> service, HttpOptions options)
    : service_(std::move(service)), options_(std::move(options)) {
  wake_fd_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
}

HttpServer::~HttpServer() {
  if (listen_fd_ >= 0) ::close(listen_fd_);
  if (wake_fd_ >= 0) ::close(wake_fd_);
}

Result<int> HttpServer::bind() {
  if (wake_fd_ < 0) return Result<int>::error(std::string("eventfd: ") + std::strerror(errno));
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* found = nullptr;
  const std::string port_text = std::to_string(options_.port);
  const std::string where = options_.host + ":" + port_text;
  if (const int rc = ::getaddrinfo(options_.host.c_str(), port_text.c_str(), &hints, &found); rc != 0)
    return Result<int>::error("cannot listen on " + where + ": " + ::gai_strerror(rc));
  std::unique_ptr<addrinfo, decltype(&::freeaddrinfo)> list(found, ::freeaddrinfo);
  int fd = -1;
  for (addrinfo* a = found; a && fd < 0; a = a->ai_next) {
    fd = ::socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, a->ai_protocol);
    if (fd < 0) continue;
    int yes = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
    if (::bind(fd, a->ai_addr, a->ai_addrlen) != 0 || ::listen(fd, SOMAXCONN) != 0) {
      ::close(fd);
      fd = -1;
    }
  }
  if (fd < 0) return Result<int>::error("cannot listen on " + where + " (in use, or not permitted)");
  sockaddr_storage addr{};
  socklen_t len = sizeof(addr);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  port_ = ntohs(addr.ss_family == AF_INET6 ? reinterpret_cast<sockaddr_in6&>(addr).sin6_port
                                           : reinterpret_cast<sockaddr_in&>(addr).sin_port);
  listen_fd_ = fd;
  // Every connection is a descriptor: take the hard limit (no privilege needed) rather than the
  // usual soft 1024, which the connection limits would otherwise meet first.
  rlimit nofile{};
  if (::getrlimit(RLIMIT_NOFILE, &nofile) == 0 && nofile.rlim_cur < nofile.rlim_max) {
    nofile.rlim_cur = nofile.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &nofile);
  }
  return port_;
}

Status HttpServer::run() {
  if (stop_requested_) return Status::ok();
  if (listen_fd_ < 0) return Status::error("the HTTP server is not bound (call bind() first)");
  std::size_t max_connections = std::max<std::size_t>(1, options_.max_connections);
  rlimit nofile{};
  if (::getrlimit(RLIMIT_NOFILE, &nofile) == 0 && nofile.rlim_cur != RLIM_INFINITY)
    max_connections = std::min<std::size_t>(
        max_connections, nofile.rlim_cur > 2 * kReservedFds ? nofile.rlim_cur - kReservedFds : nofile.rlim_cur / 2);
  Status st = Status::ok();
  {
    Loop loop(*this, max_connections);
    st = loop.run();
  }
  service_->run_deferred_work(true);
  return st;
}

void HttpServer::stop() {
  service_->set_draining();
  stop_requested_ = true;
  if (wake_fd_ >= 0) {
    const std::uint64_t one = 1;
    [[maybe_unused]] const auto w = ::write(wake_fd_, &one, sizeof(one));
  }
}

}  // namespace chipgate::server

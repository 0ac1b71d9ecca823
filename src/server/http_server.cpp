#include "server/http_server.h"

#include <httplib.h>
#include <sys/socket.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <thread>

namespace chipgate::server {

namespace {

Request to_request(const httplib::Request& req) {
  Request r;
  r.method = req.method;
  r.path = req.path;
  for (const auto& [k, v] : req.params) r.query[k] = v;
  r.authorization = req.get_header_value("Authorization");
  r.content_type = req.get_header_value("Content-Type");
  r.body = req.body;
  r.remote = req.remote_addr;
  return r;
}

void to_response(const Response& in, httplib::Response& out) {
  out.status = in.status;
  for (const auto& [k, v] : in.headers) out.set_header(k, v);
  out.set_content(in.body, in.content_type.c_str());
}

}  // namespace

HttpServer::HttpServer(std::shared_ptr<Service> service, HttpOptions options)
    : service_(std::move(service)), options_(std::move(options)), http_(std::make_unique<httplib::Server>()) {
  const unsigned threads = options_.threads == 0 ? 1 : options_.threads;
  http_->new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
  http_->set_read_timeout(options_.read_timeout_s, 0);
  http_->set_write_timeout(options_.write_timeout_s, 0);
  http_->set_keep_alive_timeout(options_.keep_alive_timeout_s);
  http_->set_keep_alive_max_count(options_.keep_alive_max_requests);
  http_->set_tcp_nodelay(true);
  // The library listens with a backlog of 5, too short for a burst of connections (wrk opens them
  // all at once); the listening socket is remembered here and its backlog raised after bind().
  http_->set_socket_options([this](socket_t sock) {
    int yes = 1;
    setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
    listen_fd_ = sock;
  });
  // The library's own limit is the largest of any route (POST /v1/lists takes list files inline): it
  // drops a body with a larger Content-Length unread into memory. The limit of each route (and key)
  // is applied while the body is read (body_handler).
  const Limits& limits = service_->limits();
  http_->set_payload_max_length(std::max(limits.max_body_bytes, limits.max_list_upload_bytes));
  // Every method and path goes to the service, which owns routing (404/405 included).
  auto handler = [this](const httplib::Request& req, httplib::Response& res) {
    to_response(service_->handle(to_request(req)), res);
  };
  // Methods with a body: read it here, keeping at most the route's limit in memory. A larger body is
  // read to its end and dropped (the connection stays usable) and answered 413.
  auto body_handler = [this](const httplib::Request& req, httplib::Response& res,
                             const httplib::ContentReader& content_reader) {
    const std::size_t limit = service_->body_limit(req.method, req.path, req.get_header_value("Authorization"));
    std::string body;
    if (const auto length = req.get_header_value<std::uint64_t>("Content-Length"); length > 0)
      body.reserve(static_cast<std::size_t>(std::min<std::uint64_t>(length, limit)));
    bool too_large = false;
    const bool read = content_reader([&](const char* data, std::size_t n) {
      if (too_large || body.size() + n > limit) {
        too_large = true;
        return true;  // keep reading, drop the bytes
      }
      body.append(data, n);
      return true;
    });
    Request r = to_request(req);
    if (too_large || (!read && res.status == 413)) {
      // Authenticated as any other request (401/403 first, audited), then 413 from the service.
      r.body_over_limit = limit;
      res.status = -1;
      to_response(service_->handle(r), res);
      return;
    }
    if (!read) {
      res.status = 400;
      res.set_content(error_body(400, "bad_request", "the request body could not be read"), "application/json");
      return;
    }
    r.body = std::move(body);
    to_response(service_->handle(r), res);
  };
  const std::string any = ".*";
  http_->Get(any, handler);
  http_->Post(any, body_handler);
  http_->Put(any, body_handler);
  http_->Delete(any, body_handler);
  http_->Patch(any, body_handler);
  http_->Options(any, handler);
  // Errors the library answers itself (413 payload too large, 400 bad request line, ...) get a JSON body.
  http_->set_error_handler([](const httplib::Request&, httplib::Response& res) {
    if (!res.body.empty()) return;
    const int s = res.status;
    const std::string code = s == 413 ? "body_too_large" : s == 404 ? "not_found" : "bad_request";
    const std::string msg = s == 413   ? "the request body exceeds the size limit"
                            : s == 404 ? "no such route"
                                       : "the HTTP request could not be read (status " + std::to_string(s) + ")";
    res.set_content(error_body(s, code, msg), "application/json");
  });
  http_->set_exception_handler([](const httplib::Request&, httplib::Response& res, std::exception_ptr) {
    res.status = 500;
    res.set_content(error_body(500, "internal_error", "internal error"), "application/json");
  });
}

HttpServer::~HttpServer() = default;

Result<int> HttpServer::bind() {
  if (options_.port == 0) {
    const int p = http_->bind_to_any_port(options_.host);
    if (p <= 0) return Result<int>::error("cannot bind a free port on " + options_.host);
    port_ = p;
  } else {
    if (!http_->bind_to_port(options_.host, options_.port))
      return Result<int>::error("cannot listen on " + options_.host + ":" + std::to_string(options_.port) +
                                " (in use, or not permitted)");
    port_ = options_.port;
  }
  if (listen_fd_ >= 0) ::listen(listen_fd_, SOMAXCONN);
  return port_;
}

Status HttpServer::run() {
  // Announce before checking (both sequentially consistent): either stop() sees run_entered_ and
  // waits until the library is listening before stopping it, or this sees stop_requested_.
  run_entered_ = true;
  struct Returned {
    std::atomic<bool>& flag;
    ~Returned() { flag = true; }
  } returned{run_returned_};
  if (stop_requested_) return Status::ok();
  if (!http_->listen_after_bind()) return Status::error("the HTTP server stopped with an error");
  return Status::ok();
}

void HttpServer::stop() {
  service_->set_draining();
  stop_requested_ = true;
  if (run_entered_) {
    // run() is starting: the library's stop() only works once it is listening.
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (!http_->is_running() && !run_returned_ && std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  http_->stop();
}

}  // namespace chipgate::server

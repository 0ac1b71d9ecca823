// See head_publisher.h.
#include "server/head_publisher.h"

#include <httplib.h>

#include <cctype>

namespace chipgate::server {

namespace {

bool is_url(const std::string& target) { return target.starts_with("http://") || target.starts_with("https://"); }

}  // namespace

Result<std::chrono::seconds> parse_duration(const std::string& text) {
  using R = Result<std::chrono::seconds>;
  std::size_t digits = 0;
  while (digits < text.size() && std::isdigit(static_cast<unsigned char>(text[digits]))) ++digits;
  const std::string unit = text.substr(digits);
  if (digits == 0 || digits > 9 || (!unit.empty() && unit != "s" && unit != "m" && unit != "h" && unit != "d"))
    return R::error("'" + text + "' is not a duration (e.g. 90s, 5m, 1h, 1d, or seconds)");
  const long long n = std::stoll(text.substr(0, digits));
  const long long factor = unit == "m" ? 60 : unit == "h" ? 3600 : unit == "d" ? 86400 : 1;
  if (n < 1) return R::error("'" + text + "' is shorter than one second");
  return std::chrono::seconds(n * factor);
}

Result<std::unique_ptr<HeadPublisher>> HeadPublisher::start(std::shared_ptr<store::Store> store, PublishOptions options,
                                                            std::function<void(const std::string&)> log) {
  using R = Result<std::unique_ptr<HeadPublisher>>;
  if (options.target.empty()) return R::error("--publish-head: empty target");
  if (options.key_path.empty())
    return R::error("--publish-head needs --head-key FILE (the private key of chipgate audit keygen)");
  auto signer = store::HeadSigner::load(options.key_path);
  if (!signer) return R::error("--head-key: " + signer.message());
  std::unique_ptr<HeadPublisher> p(new HeadPublisher());
  p->store_ = std::move(store);
  p->options_ = std::move(options);
  p->log_ = std::move(log);
  p->signer_ = std::move(signer).value();
  // The first anchor before serving: a target that cannot be written is a start-up error, not a
  // log line an operator may never read.
  if (Status s = p->publish_once(); !s) return R::error("--publish-head: " + s.message());
  HeadPublisher* self = p.get();
  p->thread_ = std::thread([self] {
    std::unique_lock lk(self->mutex_);
    for (;;) {
      if (self->cv_.wait_for(lk, self->options_.every, [self] { return self->stop_; })) return;
      lk.unlock();
      if (Status s = self->publish_once(); !s) self->log_("publishing the audit head failed: " + s.message());
      lk.lock();
    }
  });
  return R(std::move(p));
}

HeadPublisher::~HeadPublisher() {
  {
    std::lock_guard lk(mutex_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  if (Status s = publish_once(); !s) log_("publishing the audit head at stop failed: " + s.message());
}

Status HeadPublisher::publish_once() {
  auto head = store_->chain_head();
  if (!head) return head.status();
  auto anchor = signer_->sign(head.value());
  if (!anchor) return anchor.status();
  return deliver(anchor->to_json().dump(2) + "\n");
}

Status HeadPublisher::deliver(const std::string& text) {
  if (!is_url(options_.target)) return store::write_file_atomically(options_.target, text);
  // scheme://host[:port] and the path after it.
  const std::size_t host_start = options_.target.find("://") + 3;
  const std::size_t path_start = options_.target.find('/', host_start);
  const std::string base = options_.target.substr(0, path_start);
  const std::string path = path_start == std::string::npos ? "/" : options_.target.substr(path_start);
  httplib::Client client(base);
  client.set_connection_timeout(10, 0);
  client.set_read_timeout(10, 0);
  client.set_write_timeout(10, 0);
  auto r = client.Post(path, text, "application/json");
  if (!r) return Status::error("POST " + options_.target + ": " + httplib::to_string(r.error()));
  if (r->status < 200 || r->status > 299)
    return Status::error("POST " + options_.target + ": answered " + std::to_string(r->status));
  return Status::ok();
}

}  // namespace chipgate::server

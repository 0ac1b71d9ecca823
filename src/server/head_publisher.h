// `chipgate serve --publish-head FILE|URL --publish-every DURATION --head-key KEY`: a thread that
// publishes a signed anchor of the audit chain's head (store/head_anchor.h) at start, every
// DURATION, and once more when the server stops, so that cutting the chain's tail and rewriting its
// head is caught later against an anchor kept elsewhere (`chipgate audit verify --head FILE`).
// A FILE is replaced atomically (readers see the old anchor or the new one); a URL (http:// or
// https://) receives the anchor as the JSON body of a POST. A failure is logged and retried at the
// next period; it never stops the server.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "core/result.h"
#include "store/head_anchor.h"
#include "store/store.h"

namespace chipgate::server {

// "90s", "5m", "1h", "1d" or a number of seconds; at least one second.
Result<std::chrono::seconds> parse_duration(const std::string& text);

struct PublishOptions {
  std::string target;  // a file path, or an http:// / https:// URL
  std::chrono::seconds every{300};
  std::string key_path;  // the private key (chipgate audit keygen)
};

class HeadPublisher {
 public:
  // Loads the key and starts the thread, which publishes at once. Fails on an unusable key or target.
  static Result<std::unique_ptr<HeadPublisher>> start(std::shared_ptr<store::Store> store, PublishOptions options,
                                                      std::function<void(const std::string&)> log);
  // Publishes a last time, then stops the thread.
  ~HeadPublisher();
  HeadPublisher(const HeadPublisher&) = delete;
  HeadPublisher& operator=(const HeadPublisher&) = delete;

  // One anchor now: signed, then written or posted.
  Status publish_once();

 private:
  HeadPublisher() = default;
  Status deliver(const std::string& text);

  std::shared_ptr<store::Store> store_;
  PublishOptions options_;
  std::function<void(const std::string&)> log_;
  std::unique_ptr<store::HeadSigner> signer_;
  std::mutex mutex_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace chipgate::server

// Prometheus text-format metrics of one server instance: requests by route, method and status,
// latency histograms by route, recorded decisions, authentication denials, and the connection side
// (connections open, refused by a limit, requests cut at a deadline). Thread-safe; owned by the
// server (no globals).
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <tuple>

namespace chipgate::server {

class Metrics {
 public:
  // Upper bounds (seconds) of the latency histogram buckets.
  static constexpr std::array<double, 12> kBuckets = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                                      0.05,   0.1,   0.25,   0.5,   1.0,  2.5};

  // `route` is the route template ("/v1/decisions/{id}"), or "unmatched".
  void observe(const std::string& method, const std::string& route, int status, double seconds);
  void add_recorded(const std::string& kind, std::uint64_t count);
  void add_auth_denied(int status);
  // The connection side (server/http_server.cpp). `reason`: "client_limit" or "server_limit";
  // `phase`: "head", "body" or "write".
  void connection_opened() { ++connections_open_; }
  void connection_closed() { --connections_open_; }
  void add_connection_rejected(const std::string& reason);
  void add_request_timeout(const std::string& phase);
  // The exposition text (text/plain; version=0.0.4).
  std::string render() const;

 private:
  struct Histogram {
    std::array<std::uint64_t, kBuckets.size()> buckets{};
    std::uint64_t count = 0;
    double sum = 0;
  };
  mutable std::mutex mutex_;
  std::map<std::tuple<std::string, std::string, int>, std::uint64_t> requests_;  // (route, method, status)
  std::map<std::string, Histogram> latency_;                                     // route
  std::map<std::string, std::uint64_t> recorded_;                                // audit kind
  std::map<int, std::uint64_t> denied_;                                          // status
  std::map<std::string, std::uint64_t> rejected_;                                // reason
  std::map<std::string, std::uint64_t> timeouts_;                                // phase
  std::atomic<std::int64_t> connections_open_{0};                                // on every connection: no lock
  std::chrono::steady_clock::time_point started_ = std::chrono::steady_clock::now();
};

}  // namespace chipgate::server

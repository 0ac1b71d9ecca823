// Prometheus text-format metrics of one server instance: requests by route, method and status,
// latency histograms by route, recorded decisions. Thread-safe; owned by the server (no globals).
#pragma once

#include <array>
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
  std::chrono::steady_clock::time_point started_ = std::chrono::steady_clock::now();
};

}  // namespace chipgate::server

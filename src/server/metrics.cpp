#include "server/metrics.h"

#include <sstream>

#include "core/json_util.h"

namespace chipgate::server {

namespace {

// Label values escape backslash, double quote and newline.
std::string label(const std::string& v) {
  std::string out;
  for (char c : v) {
    if (c == '\\' || c == '"') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out;
}

}  // namespace

void Metrics::observe(const std::string& method, const std::string& route, int status, double seconds) {
  std::lock_guard lock(mutex_);
  ++requests_[{route, method, status}];
  auto& h = latency_[route];
  for (std::size_t i = 0; i < kBuckets.size(); ++i)
    if (seconds <= kBuckets[i]) ++h.buckets[i];
  ++h.count;
  h.sum += seconds;
}

void Metrics::add_recorded(const std::string& kind, std::uint64_t count) {
  std::lock_guard lock(mutex_);
  recorded_[kind] += count;
}

void Metrics::add_auth_denied(int status) {
  std::lock_guard lock(mutex_);
  ++denied_[status];
}

void Metrics::add_connection_rejected(const std::string& reason) {
  std::lock_guard lock(mutex_);
  ++rejected_[reason];
}

void Metrics::add_request_timeout(const std::string& phase) {
  std::lock_guard lock(mutex_);
  ++timeouts_[phase];
}

std::string Metrics::render() const {
  std::lock_guard lock(mutex_);
  std::ostringstream o;
  o << "# HELP chipgate_http_requests_total HTTP requests by route template, method and status.\n"
    << "# TYPE chipgate_http_requests_total counter\n";
  for (const auto& [k, n] : requests_)
    o << "chipgate_http_requests_total{route=\"" << label(std::get<0>(k)) << "\",method=\"" << label(std::get<1>(k))
      << "\",status=\"" << std::get<2>(k) << "\"} " << n << "\n";
  o << "# HELP chipgate_http_errors_total HTTP responses with status >= 400 by route and class (client, server).\n"
    << "# TYPE chipgate_http_errors_total counter\n";
  std::map<std::pair<std::string, std::string>, std::uint64_t> errors;
  for (const auto& [k, n] : requests_)
    if (std::get<2>(k) >= 400) errors[{std::get<0>(k), std::get<2>(k) >= 500 ? "server" : "client"}] += n;
  for (const auto& [k, n] : errors)
    o << "chipgate_http_errors_total{route=\"" << label(k.first) << "\",class=\"" << k.second << "\"} " << n << "\n";
  o << "# HELP chipgate_http_request_duration_seconds Time from request parsed to response ready, by route.\n"
    << "# TYPE chipgate_http_request_duration_seconds histogram\n";
  for (const auto& [route, h] : latency_) {
    for (std::size_t i = 0; i < kBuckets.size(); ++i)
      o << "chipgate_http_request_duration_seconds_bucket{route=\"" << label(route) << "\",le=\""
        << format_number(kBuckets[i]) << "\"} " << h.buckets[i] << "\n";
    o << "chipgate_http_request_duration_seconds_bucket{route=\"" << label(route) << "\",le=\"+Inf\"} " << h.count
      << "\n"
      << "chipgate_http_request_duration_seconds_sum{route=\"" << label(route) << "\"} " << format_number(h.sum) << "\n"
      << "chipgate_http_request_duration_seconds_count{route=\"" << label(route) << "\"} " << h.count << "\n";
  }
  o << "# HELP chipgate_records_total Audit records written by this instance, by kind.\n"
    << "# TYPE chipgate_records_total counter\n";
  for (const auto& [kind, n] : recorded_) o << "chipgate_records_total{kind=\"" << label(kind) << "\"} " << n << "\n";
  o << "# HELP chipgate_auth_denied_total Requests refused by authentication (401) or authorisation (403).\n"
    << "# TYPE chipgate_auth_denied_total counter\n";
  for (const auto& [status, n] : denied_) o << "chipgate_auth_denied_total{status=\"" << status << "\"} " << n << "\n";
  o << "# HELP chipgate_http_connections_open Client connections open now.\n"
    << "# TYPE chipgate_http_connections_open gauge\n"
    << "chipgate_http_connections_open " << connections_open_.load() << "\n";
  o << "# HELP chipgate_http_connections_rejected_total Connections answered 429 (per-client limit) or 503 "
       "(server limit) and closed.\n"
    << "# TYPE chipgate_http_connections_rejected_total counter\n";
  for (const auto& [reason, n] : rejected_)
    o << "chipgate_http_connections_rejected_total{reason=\"" << label(reason) << "\"} " << n << "\n";
  o << "# HELP chipgate_http_request_timeouts_total Requests cut at a deadline: head or body not received "
       "in time (408), response not taken in time.\n"
    << "# TYPE chipgate_http_request_timeouts_total counter\n";
  for (const auto& [phase, n] : timeouts_)
    o << "chipgate_http_request_timeouts_total{phase=\"" << label(phase) << "\"} " << n << "\n";
  o << "# HELP chipgate_uptime_seconds Seconds since this server instance started.\n"
    << "# TYPE chipgate_uptime_seconds gauge\n"
    << "chipgate_uptime_seconds "
    << format_fixed(std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count(), 3) << "\n";
  return o.str();
}

}  // namespace chipgate::server

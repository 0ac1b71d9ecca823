#include "server/denials.h"

#include <algorithm>

namespace chipgate::server {

namespace {

constexpr const char* kShared = "*";

}  // namespace

bool DenialWindows::count(const std::string& client, const std::string& actor, int status, Clock::time_point now) {
  std::lock_guard lock(mutex_);
  std::string key = client + '\n' + actor;
  auto it = windows_.find(key);
  if (it != windows_.end() && it->second.from + options_.window <= now) {
    // Ended but not yet collected: the denial opens a new window once the old one is summarised,
    // so it is counted in the old one rather than lost or recorded twice.
    it->second.after_first++;
    it->second.by_status[status]++;
    it->second.last = now;
    return false;
  }
  if (it == windows_.end()) {
    const bool full = windows_.size() >= options_.max_clients;
    if (full) {
      key = std::string(kShared) + '\n' + kShared;
      it = windows_.find(key);
    }
    if (it == windows_.end()) {
      Window w{full ? kShared : client, full ? kShared : actor, now, now, 0, {}};
      windows_.emplace(key, std::move(w));
      const Clock::rep end = (now + options_.window).time_since_epoch().count();
      Clock::rep current = next_end_.load();
      while (end < current && !next_end_.compare_exchange_weak(current, end)) {
      }
      return true;
    }
  }
  it->second.after_first++;
  it->second.by_status[status]++;
  it->second.last = now;
  return false;
}

bool DenialWindows::due(Clock::time_point now) const { return now.time_since_epoch().count() >= next_end_.load(); }

std::vector<DenialWindows::Summary> DenialWindows::take_ended(Clock::time_point now, bool all) {
  std::vector<Summary> out;
  std::lock_guard lock(mutex_);
  Clock::rep next = std::numeric_limits<Clock::rep>::max();
  for (auto it = windows_.begin(); it != windows_.end();) {
    const Window& w = it->second;
    const auto end = w.from + options_.window;
    if (!all && end > now) {
      next = std::min(next, end.time_since_epoch().count());
      ++it;
      continue;
    }
    if (w.after_first > 0) out.push_back({w.client, w.actor, w.from, w.last, w.after_first, w.by_status});
    it = windows_.erase(it);
  }
  next_end_ = next;
  std::sort(out.begin(), out.end(), [](const Summary& a, const Summary& b) { return a.first < b.first; });
  return out;
}

}  // namespace chipgate::server

// Authentication denials (401/403) turned into a bounded number of records. Every denial is counted
// (a metric, by the caller), but only the first one from a client — its address and the actor it
// claimed — within a window is written to the audit log and the log in full; the others of that
// window become one summary record and one log line carrying their count once the window has
// ended. At most `max_clients` clients are told apart per window; the others share one entry
// ("*"). A flood of anonymous requests therefore writes at most two records per client and window
// and cannot fill the audit log or take the store's writer from recorded decisions.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <map>
#include <mutex>
#include <string>
#include <vector>

namespace chipgate::server {

class DenialWindows {
 public:
  using Clock = std::chrono::system_clock;

  struct Options {
    std::chrono::seconds window{60};
    std::size_t max_clients = 1000;
  };

  // The denials of one client in one window after its first (which was recorded in full).
  struct Summary {
    std::string client;             // peer address, or "*" for the clients beyond max_clients
    std::string actor;              // "anonymous", a key id, or "*" (several, in the shared entry)
    Clock::time_point first, last;  // the window's first denial (recorded in full) and its last
    std::uint64_t count = 0;        // denials after the first
    std::map<int, std::uint64_t> by_status;
  };

  explicit DenialWindows(Options options) : options_(options) {}

  // Counts one denial; true when it is the first of its client's window (record it in full).
  bool count(const std::string& client, const std::string& actor, int status, Clock::time_point now);
  // True when some window has ended by `now` (cheap: no lock).
  bool due(Clock::time_point now) const;
  // Removes the windows that have ended by `now` (every window when `all`) and returns those with
  // denials after their first, oldest first.
  std::vector<Summary> take_ended(Clock::time_point now, bool all);

  const Options& options() const { return options_; }

 private:
  struct Window {
    std::string client, actor;
    Clock::time_point from, last;
    std::uint64_t after_first = 0;
    std::map<int, std::uint64_t> by_status;
  };

  Options options_;
  mutable std::mutex mutex_;
  std::map<std::string, Window> windows_;  // by client + '\n' + actor
  // The end of the earliest window, as Clock ticks since the epoch (max when there is none).
  std::atomic<Clock::rep> next_end_{std::numeric_limits<Clock::rep>::max()};
};

}  // namespace chipgate::server

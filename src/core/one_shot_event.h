// A one-shot event: wait() blocks until set() has been called; set() wakes every waiter at once.
// Used by the store's group commit, where up to hundreds of server threads wait for one commit.
// On Linux it is a bare futex: waiting never spins or yields (std::atomic::wait spins with
// sched_yield first, which on a 2-core server with dozens of runnable threads turns every wait into
// several context switches), and set() makes a system call only when someone is actually asleep.
#pragma once

#include <atomic>
#include <cstdint>

namespace chipgate {

class OneShotEvent {
 public:
  void set();
  void wait();
  bool is_set() const { return state_.load(std::memory_order_acquire) == kSet; }

 private:
  static constexpr std::uint32_t kUnset = 0, kSet = 1, kUnsetWithWaiters = 2;
  std::atomic<std::uint32_t> state_{kUnset};
};

}  // namespace chipgate

#include "core/one_shot_event.h"

#if defined(__linux__)
#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <climits>
#endif

namespace chipgate {

#if defined(__linux__)

namespace {
// The futex word is the atomic's own storage (std::atomic<std::uint32_t> is a plain 32-bit word).
long futex(std::atomic<std::uint32_t>& word, int op, std::uint32_t value) {
  return syscall(SYS_futex, reinterpret_cast<std::uint32_t*>(&word), op | FUTEX_PRIVATE_FLAG, value, nullptr, nullptr,
                 0);
}
static_assert(sizeof(std::atomic<std::uint32_t>) == sizeof(std::uint32_t));
}  // namespace

void OneShotEvent::set() {
  if (state_.exchange(kSet, std::memory_order_acq_rel) == kUnsetWithWaiters) futex(state_, FUTEX_WAKE, INT_MAX);
}

void OneShotEvent::wait() {
  std::uint32_t s = state_.load(std::memory_order_acquire);
  while (s != kSet) {
    // Announce a sleeper so that set() knows to wake; then sleep unless set() came first (the
    // kernel compares the word with kUnsetWithWaiters atomically before sleeping).
    if (s == kUnset && !state_.compare_exchange_weak(s, kUnsetWithWaiters, std::memory_order_acq_rel)) continue;
    futex(state_, FUTEX_WAIT, kUnsetWithWaiters);
    s = state_.load(std::memory_order_acquire);
  }
}

#else  // portable fallback

void OneShotEvent::set() {
  state_.store(kSet, std::memory_order_release);
  state_.notify_all();
}

void OneShotEvent::wait() {
  for (auto s = state_.load(std::memory_order_acquire); s != kSet; s = state_.load(std::memory_order_acquire))
    state_.wait(s);
}

#endif

}  // namespace chipgate

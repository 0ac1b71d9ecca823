#include "core/one_shot_event.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

namespace chipgate {
namespace {

TEST(OneShotEvent, WaitAfterSetReturnsAtOnce) {
  OneShotEvent e;
  EXPECT_FALSE(e.is_set());
  e.set();
  EXPECT_TRUE(e.is_set());
  e.wait();
  e.set();  // setting twice is harmless
  e.wait();
}

TEST(OneShotEvent, SetWakesEveryWaiterAndPublishesWhatWasWrittenBefore) {
  OneShotEvent e;
  int payload = 0;  // written before set(), read after wait(): set/wait must order it
  std::atomic<int> woken{0}, seen{0};
  std::vector<std::thread> waiters;
  for (int i = 0; i < 64; ++i)
    waiters.emplace_back([&] {
      e.wait();
      ++woken;
      if (payload == 42) ++seen;
    });
  // Give most of them time to fall asleep (the test is correct either way: a waiter that arrives
  // after set() returns at once).
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  EXPECT_EQ(woken.load(), 0);
  payload = 42;
  e.set();
  for (auto& t : waiters) t.join();
  EXPECT_EQ(woken.load(), 64);
  EXPECT_EQ(seen.load(), 64);
}

}  // namespace
}  // namespace chipgate

// license::MemoizingScreener: the answers of the screener it wraps, each (name, country) asked of it
// once. The wrapped screener here is a counting stand-in (the decorator is what is under test; the
// real fuzzy screener is exercised through `decide` and `impact` in their own tests).
#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

#include "license/screening.h"

namespace chipgate::license {
namespace {

class CountingScreener : public PartyScreener {
 public:
  std::vector<PartyHit> screen(std::string_view name, std::string_view country) const override {
    ++calls;
    if (name != "Huawei Technologies Co., Ltd.") return {};
    PartyHit h;
    h.list = "bis-entity-list";
    h.entry_id = "bis-entity-list:1";
    h.name = "Huawei Technologies Co., Ltd.";
    h.matched_name = h.name;
    h.country = std::string(country);  // lets the test see which query produced the answer
    h.score = 1.0;
    return {h};
  }
  const std::string& snapshot_id() const override { return id; }
  std::string id = "snap-42";
  mutable std::atomic<int> calls{0};
};

TEST(MemoizingScreener, AsksEachNameAndCountryOnceAndAnswersTheSame) {
  CountingScreener inner;
  MemoizingScreener memo(inner);
  auto first = memo.screen("Huawei Technologies Co., Ltd.", "CN");
  auto again = memo.screen("Huawei Technologies Co., Ltd.", "CN");
  ASSERT_EQ(first.size(), 1u);
  ASSERT_EQ(again.size(), 1u);
  EXPECT_EQ(again[0].entry_id, "bis-entity-list:1");
  EXPECT_EQ(again[0].country, "CN");
  EXPECT_EQ(inner.calls.load(), 1);
  // The country is part of the question: another country is asked anew, with its own answer.
  auto other = memo.screen("Huawei Technologies Co., Ltd.", "SG");
  ASSERT_EQ(other.size(), 1u);
  EXPECT_EQ(other[0].country, "SG");
  EXPECT_EQ(inner.calls.load(), 2);
  // A name with no hits is remembered as such.
  EXPECT_TRUE(memo.screen("Example Trading Co.", "CN").empty());
  EXPECT_TRUE(memo.screen("Example Trading Co.", "CN").empty());
  EXPECT_EQ(inner.calls.load(), 3);
  // Name and country are not confused by concatenation ("AB"+"C" vs "A"+"BC").
  memo.screen("AB", "C");
  memo.screen("A", "BC");
  EXPECT_EQ(inner.calls.load(), 5);
  EXPECT_EQ(memo.snapshot_id(), "snap-42");
}

TEST(MemoizingScreener, StartsAfreshWhenFull) {
  CountingScreener inner;
  MemoizingScreener memo(inner, 2);
  memo.screen("a", "CN");
  memo.screen("b", "CN");
  EXPECT_EQ(inner.calls.load(), 2);
  memo.screen("c", "CN");  // full: cleared, then c kept
  memo.screen("a", "CN");  // asked again
  EXPECT_EQ(inner.calls.load(), 4);
  memo.screen("a", "CN");
  EXPECT_EQ(inner.calls.load(), 4);
}

TEST(MemoizingScreener, ConcurrentCallersGetTheWrappedAnswers) {
  CountingScreener inner;
  MemoizingScreener memo(inner);
  std::atomic<int> wrong{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&] {
      for (int i = 0; i < 500; ++i) {
        auto hits = memo.screen(i % 2 ? "Huawei Technologies Co., Ltd." : "Nobody Ltd", "CN");
        if (hits.size() != (i % 2 ? 1u : 0u)) ++wrong;
      }
    });
  for (auto& th : threads) th.join();
  EXPECT_EQ(wrong.load(), 0);
  // Two distinct questions; at most one extra call per thread racing on the first ask.
  EXPECT_GE(inner.calls.load(), 2);
  EXPECT_LE(inner.calls.load(), 8);
}

}  // namespace
}  // namespace chipgate::license

// The building blocks of the per-client limits: live-resource caps with leases, token buckets,
// and throttled logging.
#include <gtest/gtest.h>

#include <thread>

#include "core/concurrency_limiter.hpp"
#include "core/log_throttle.hpp"
#include "core/token_buckets.hpp"

using dchat::core::ConcurrencyLimiter;
using dchat::core::LogThrottle;
using dchat::core::TokenBuckets;

TEST(ConcurrencyLimiter, CapsPerKeyAndInTotalAndReleasesWithTheLastLeaseCopy) {
  ConcurrencyLimiter limiter(3, 2);
  auto a1 = limiter.acquire("a");
  auto a2 = limiter.acquire("a");
  ASSERT_TRUE(a1.lease && a2.lease);
  auto a3 = limiter.acquire("a");
  EXPECT_FALSE(a3.lease);
  EXPECT_EQ(a3.refusal, ConcurrencyLimiter::Refusal::per_client);
  auto b1 = limiter.acquire("b");
  ASSERT_TRUE(b1.lease);
  auto c1 = limiter.acquire("c");
  EXPECT_FALSE(c1.lease);
  EXPECT_EQ(c1.refusal, ConcurrencyLimiter::Refusal::total);
  EXPECT_EQ(limiter.total(), 3u);

  auto copy = a1.lease;  // a lease travels with its resource; the slot is held by any copy
  a1.lease.reset();
  EXPECT_EQ(limiter.of("a"), 2u);
  copy.reset();
  EXPECT_EQ(limiter.of("a"), 1u);
  EXPECT_TRUE(limiter.acquire("c").lease) << "a slot came free in total";
}

TEST(ConcurrencyLimiter, ExemptKeysCountOnlyAgainstTheTotal) {
  ConcurrencyLimiter limiter(3, 1);
  auto p1 = limiter.acquire("proxy", true);
  auto p2 = limiter.acquire("proxy", true);
  ASSERT_TRUE(p1.lease && p2.lease);
  EXPECT_EQ(limiter.of("proxy"), 0u);
  auto x = limiter.acquire("x");
  EXPECT_TRUE(x.lease);
  EXPECT_FALSE(limiter.acquire("proxy", true).lease);
}

TEST(ConcurrencyLimiter, ALeaseMayOutliveItsLimiter) {
  std::shared_ptr<void> lease;
  {
    ConcurrencyLimiter limiter(1, 1);
    lease = limiter.acquire("k").lease;
  }
  lease.reset();  // must not touch freed memory (ASan)
}

TEST(TokenBuckets, BurstThenRateWithARetryHint) {
  TokenBuckets buckets(2.0, 3.0);
  const auto t0 = TokenBuckets::Clock::now();
  EXPECT_EQ(buckets.take(1, t0).count(), 0);
  EXPECT_EQ(buckets.take(1, t0).count(), 0);
  EXPECT_EQ(buckets.take(1, t0).count(), 0);
  const auto wait = buckets.take(1, t0);
  EXPECT_GT(wait.count(), 0);
  EXPECT_LE(wait.count(), 500);
  EXPECT_EQ(buckets.take(2, t0).count(), 0) << "keys are independent";
  EXPECT_EQ(buckets.take(1, t0 + std::chrono::milliseconds(500)).count(), 0) << "one token after 1/rate s";
  EXPECT_GT(buckets.take(1, t0 + std::chrono::milliseconds(500)).count(), 0);
  EXPECT_EQ(buckets.take(1, t0 + std::chrono::seconds(60)).count(), 0) << "refills, up to the burst";
}

TEST(TokenBuckets, MemoryIsBoundedByDroppingFullBuckets) {
  TokenBuckets buckets(1.0, 1.0, 100);
  const auto t0 = TokenBuckets::Clock::now();
  for (int64_t k = 0; k < 1000; ++k) buckets.take(k, t0 + std::chrono::seconds(k * 2));
  EXPECT_LE(buckets.size(), 100u);
}

TEST(LogThrottle, LetsABurstThroughPerIntervalAndCountsTheRest) {
  LogThrottle throttle(std::chrono::hours(1), 3);
  EXPECT_EQ(throttle.admit(), std::optional<uint64_t>(0));
  EXPECT_EQ(throttle.admit(), std::optional<uint64_t>(0));
  EXPECT_EQ(throttle.admit(), std::optional<uint64_t>(0));
  for (int i = 0; i < 10; ++i) EXPECT_FALSE(throttle.admit().has_value());
}

TEST(LogThrottle, TheFirstLineOfTheNextIntervalSaysHowManyWereSuppressed) {
  LogThrottle throttle(std::chrono::milliseconds(1), 1);
  EXPECT_EQ(throttle.admit(), std::optional<uint64_t>(0));
  EXPECT_FALSE(throttle.admit().has_value());
  EXPECT_FALSE(throttle.admit().has_value());
  std::this_thread::sleep_for(std::chrono::milliseconds(5));
  EXPECT_EQ(throttle.admit(), std::optional<uint64_t>(2));
}

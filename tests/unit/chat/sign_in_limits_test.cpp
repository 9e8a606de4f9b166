// Sign-in limits (docs/SECURITY.md, "Sign-in"): failure limits that count attempts in flight, the
// per-name slowdown, the attempt and sign-up budgets, and device cookies.
#include <gtest/gtest.h>

#include <vector>

#include "chat/device_cookie.hpp"
#include "chat/rate_limiter.hpp"
#include "chat/sign_in_limits.hpp"
#include "chat/sign_in_slowdown.hpp"

namespace {

using namespace dchat::chat;
using std::chrono::seconds;

// ---- RateLimiter: a hard limit that counts attempts in flight ----

TEST(SignInRateLimiter, RefusesAfterTooManyFailuresUntilTheWindowPasses) {
  RateLimiter limiter(3, seconds(60));
  const auto t0 = LimitClock::now();
  for (int i = 0; i < 3; ++i) {
    auto a = limiter.begin("k", t0);
    ASSERT_TRUE(a) << i;
    a.attempt.fail(t0);
  }
  const auto refused = limiter.begin("k", t0 + seconds(10));
  EXPECT_FALSE(refused);
  EXPECT_EQ(refused.retry_after, seconds(50));
  EXPECT_TRUE(limiter.begin("other", t0)) << "keys are independent";
  EXPECT_TRUE(limiter.begin("k", t0 + seconds(61))) << "the window has passed";
}

TEST(SignInRateLimiter, AttemptsInFlightCountAgainstTheLimit) {
  // 30 parallel guesses against a limit of 5: only 5 get to be checked.
  RateLimiter limiter(5, seconds(60));
  const auto t0 = LimitClock::now();
  std::vector<Admission> admitted;
  int refused = 0;
  for (int i = 0; i < 30; ++i) {
    auto a = limiter.begin("alice", t0);
    if (a) {
      admitted.push_back(std::move(a));
    } else {
      ++refused;
      EXPECT_EQ(a.retry_after, seconds(1)) << "only in-flight attempts block: try again soon";
    }
  }
  EXPECT_EQ(admitted.size(), 5u);
  EXPECT_EQ(refused, 25);
  for (auto& a : admitted) a.attempt.fail(t0);
  const auto after = limiter.begin("alice", t0 + seconds(1));
  EXPECT_FALSE(after);
  EXPECT_EQ(after.retry_after, seconds(59)) << "now the failures block, until the window ends";
}

TEST(SignInRateLimiter, ReleasedAndSuccessfulAttemptsFreeTheirSlotWithoutCountingAsFailures) {
  RateLimiter limiter(2, seconds(60));
  const auto t0 = LimitClock::now();
  {
    auto a = limiter.begin("k", t0);
    auto b = limiter.begin("k", t0);
    ASSERT_TRUE(a && b);
    EXPECT_FALSE(limiter.begin("k", t0));
    a.attempt.succeed(t0);
    // b is dropped without an outcome (the password was never checked: hasher full, say).
  }
  EXPECT_EQ(limiter.size(), 0u) << "nothing left to remember";
  auto c = limiter.begin("k", t0);
  auto d = limiter.begin("k", t0);
  EXPECT_TRUE(c && d);
}

TEST(SignInRateLimiter, SuccessDoesNotClearEarlierFailures) {
  // A client must not wipe its failure count by signing in to an account of its own.
  RateLimiter limiter(2, seconds(60));
  const auto t0 = LimitClock::now();
  limiter.begin("addr", t0).attempt.fail(t0);
  limiter.begin("addr", t0).attempt.succeed(t0);
  limiter.begin("addr", t0).attempt.fail(t0);
  EXPECT_FALSE(limiter.begin("addr", t0));
}

TEST(SignInRateLimiter, AnAttemptMayEndAfterItsLimiterIsGone) {
  Admission a;
  {
    RateLimiter limiter(1, seconds(60));
    a = limiter.begin("k");
    ASSERT_TRUE(a);
  }
  a.attempt.fail();  // must not touch freed memory (ASan)
}

TEST(SignInRateLimiter, MemoryIsBoundedButAttemptsInFlightStayCounted) {
  RateLimiter limiter(1, seconds(60), 100);
  const auto t0 = LimitClock::now();
  auto held = limiter.begin("held", t0);
  ASSERT_TRUE(held);
  for (int i = 0; i < 1000; ++i) limiter.begin("key" + std::to_string(i), t0).attempt.fail(t0);
  EXPECT_LE(limiter.size(), 100u);
  EXPECT_FALSE(limiter.begin("held", t0)) << "the attempt in flight was not forgotten";
  EXPECT_TRUE(limiter.begin("key0", t0)) << "an early key was forgotten rather than kept forever";
}

// ---- SignInSlowdown: per name, slower and slower instead of locked ----

TEST(SignInSlowdown, DelayDoublesAfterTheFreeFailuresUpToTheCap) {
  SlowdownPolicy p;  // 5 free, 1 s, doubling, 600 s cap
  EXPECT_EQ(SignInSlowdown::delay_after(0, p), seconds(0));
  EXPECT_EQ(SignInSlowdown::delay_after(4, p), seconds(0));
  EXPECT_EQ(SignInSlowdown::delay_after(5, p), seconds(1));
  EXPECT_EQ(SignInSlowdown::delay_after(6, p), seconds(2));
  EXPECT_EQ(SignInSlowdown::delay_after(7, p), seconds(4));
  EXPECT_EQ(SignInSlowdown::delay_after(14, p), seconds(512));
  EXPECT_EQ(SignInSlowdown::delay_after(15, p), seconds(600));
  EXPECT_EQ(SignInSlowdown::delay_after(1000, p), seconds(600)) << "no overflow";
}

TEST(SignInSlowdown, ParallelGuessesGetOnlyTheFreeFailures) {
  SignInSlowdown slowdown;
  const auto t0 = LimitClock::now();
  std::vector<Admission> admitted;
  for (int i = 0; i < 30; ++i)
    if (auto a = slowdown.begin("alice", t0)) admitted.push_back(std::move(a));
  EXPECT_EQ(admitted.size(), 5u);
  for (auto& a : admitted) a.attempt.fail(t0);
  const auto next = slowdown.begin("alice", t0);
  EXPECT_FALSE(next);
  EXPECT_EQ(next.retry_after, seconds(1));
}

TEST(SignInSlowdown, EachFurtherFailureWaitsTwiceAsLongAndOneAtATime) {
  SignInSlowdown slowdown;
  auto t = LimitClock::now();
  for (int i = 0; i < 5; ++i) slowdown.begin("bob", t).attempt.fail(t);
  std::vector<int64_t> waits;
  for (int i = 0; i < 6; ++i) {
    const auto refused = slowdown.begin("bob", t);
    ASSERT_FALSE(refused);
    waits.push_back(refused.retry_after.count());
    t += refused.retry_after;
    auto a = slowdown.begin("bob", t);
    ASSERT_TRUE(a) << "due after the wait";
    EXPECT_FALSE(slowdown.begin("bob", t)) << "one attempt at a time once slowed down";
    a.attempt.fail(t);
  }
  EXPECT_EQ(waits, (std::vector<int64_t>{1, 2, 4, 8, 16, 32}));
}

TEST(SignInSlowdown, TheWaitIsCappedSoTheOwnerIsNeverLockedOutForLong) {
  SignInSlowdown slowdown;
  auto t = LimitClock::now();
  for (int i = 0; i < 40; ++i) {
    auto a = slowdown.begin("carol", t);
    if (!a) {
      t += a.retry_after;
      a = slowdown.begin("carol", t);
    }
    ASSERT_TRUE(a);
    a.attempt.fail(t);
  }
  const auto refused = slowdown.begin("carol", t);
  EXPECT_EQ(refused.retry_after, seconds(600));
  auto owner = slowdown.begin("carol", t + seconds(600));
  ASSERT_TRUE(owner) << "after the cap, an attempt is let through";
  owner.attempt.succeed();
  EXPECT_TRUE(slowdown.begin("carol", t + seconds(600))) << "a success resets the name";
}

TEST(SignInSlowdown, ANameQuietForTheForgetPeriodStartsAfresh) {
  SignInSlowdown slowdown;
  const auto t0 = LimitClock::now();
  for (int i = 0; i < 5; ++i) slowdown.begin("dave", t0).attempt.fail(t0);
  EXPECT_FALSE(slowdown.begin("dave", t0));
  std::vector<Admission> admitted;
  for (int i = 0; i < 10; ++i)
    if (auto a = slowdown.begin("dave", t0 + seconds(3600))) admitted.push_back(std::move(a));
  EXPECT_EQ(admitted.size(), 5u) << "five free failures again";
}

TEST(SignInSlowdown, DroppedAttemptsDoNotCount) {
  SignInSlowdown slowdown;
  const auto t0 = LimitClock::now();
  for (int i = 0; i < 20; ++i) EXPECT_TRUE(slowdown.begin("erin", t0)) << i;  // each released at once
  EXPECT_EQ(slowdown.size(), 0u);
}

// ---- SignInLimits: attempts and sign-ups ----

TEST(SignInLimitsTest, EveryAttemptOfAnAddressCounts) {
  SignInLimitOptions o;
  o.attempts_per_minute = 3;
  SignInLimits limits(o);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(limits.take_attempt("203.0.113.1"), seconds(0));
  const auto wait = limits.take_attempt("203.0.113.1");
  EXPECT_GE(wait, seconds(1));
  EXPECT_LE(wait, seconds(20));
  EXPECT_EQ(limits.take_attempt("203.0.113.2"), seconds(0));
}

TEST(SignInLimitsTest, SignUpsAreLimitedPerAddressAndInAll) {
  SignInLimitOptions o;
  o.sign_ups_per_hour = 2;
  o.sign_ups_per_minute_total = 3;
  SignInLimits limits(o);
  EXPECT_EQ(limits.take_sign_up("a"), seconds(0));
  EXPECT_EQ(limits.take_sign_up("a"), seconds(0));
  const auto per_address = limits.take_sign_up("a");
  EXPECT_GT(per_address, seconds(60)) << "an hour's budget refills slowly";
  EXPECT_EQ(limits.take_sign_up("b"), seconds(0));
  const auto total = limits.take_sign_up("c");
  EXPECT_GE(total, seconds(1));
  EXPECT_LE(total, seconds(20));
  // c's refused sign-up took nothing from c: once everyone's budget refills, c has both of its own.
  limits.give_back_sign_up("b");
  EXPECT_EQ(limits.take_sign_up("c"), seconds(0));
  limits.give_back_sign_up("c");
  EXPECT_EQ(limits.take_sign_up("c"), seconds(0));
}

TEST(SignInLimitsTest, AGivenBackSignUpCanBeUsedAgain) {
  SignInLimitOptions o;
  o.sign_ups_per_hour = 1;
  SignInLimits limits(o);
  EXPECT_EQ(limits.take_sign_up("a"), seconds(0));
  EXPECT_GT(limits.take_sign_up("a"), seconds(0));
  limits.give_back_sign_up("a");  // its password was never hashed (the hashing queue was full)
  EXPECT_EQ(limits.take_sign_up("a"), seconds(0));
}

// ---- Device cookies ----

std::string key(char fill) { return std::string(32, fill); }

TEST(DeviceCookie, VerifiesWhatItIssuedAndKeepsTheDeviceAcrossRenewals) {
  DeviceCookies devices(key('k'));
  const int64_t now = 1'700'000'000;
  const std::string value = devices.issue(42, now);
  const auto device = devices.verify(value, now + 10);
  ASSERT_TRUE(device);
  EXPECT_EQ(device->user_id, 42);
  EXPECT_FALSE(device->nonce.empty());
  const auto renewed = devices.verify(devices.issue(42, now + 100, device->nonce), now + 100);
  ASSERT_TRUE(renewed);
  EXPECT_EQ(renewed->nonce, device->nonce);
  EXPECT_NE(devices.verify(devices.issue(42, now), now)->nonce, device->nonce) << "a new device, a new nonce";
}

TEST(DeviceCookie, RefusesTamperedForeignAndExpiredCookies) {
  DeviceCookies devices(key('k'));
  const int64_t now = 1'700'000'000;
  const std::string value = devices.issue(42, now);
  std::string other_user = value;
  other_user.replace(0, 2, "43");
  EXPECT_FALSE(devices.verify(other_user, now)) << "the user id is under the MAC";
  std::string flipped = value;
  flipped.back() = flipped.back() == '0' ? '1' : '0';
  EXPECT_FALSE(devices.verify(flipped, now));
  EXPECT_FALSE(DeviceCookies(key('x')).verify(value, now)) << "another key (another deployment)";
  EXPECT_FALSE(devices.verify(value, now + kDeviceCookieMaxAgeSeconds + 1)) << "expired";
  EXPECT_FALSE(devices.verify(devices.issue(42, now + 3600), now)) << "issued in the future";
  EXPECT_TRUE(devices.verify(devices.issue(42, now + 60), now)) << "a little clock skew between replicas is fine";
  for (const char* junk : {"", ".", "...", "a.b.c.d", "42.1.n.", "42.1700000000.n"})
    EXPECT_FALSE(devices.verify(junk, now)) << junk;
}

TEST(DeviceCookie, KeysComeAsHexFromTheStore) {
  const std::string hex = DeviceCookies::new_key_hex();
  EXPECT_EQ(hex.size(), 64u);
  EXPECT_EQ(DeviceCookies::key_from_hex(hex).size(), 32u);
  EXPECT_NE(DeviceCookies::new_key_hex(), hex);
  EXPECT_TRUE(DeviceCookies::key_from_hex("abc").empty());
  EXPECT_TRUE(DeviceCookies::key_from_hex(std::string(64, 'z')).empty());
  EXPECT_THROW(DeviceCookies("short"), std::invalid_argument);
}

}  // namespace

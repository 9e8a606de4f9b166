// The bounded per-client queue: volatile packets are dropped when it is full, anything else
// reports full (the client is slow), and a packet that could never fit is told apart.
#include <gtest/gtest.h>

#include "engineio/outbox.hpp"

using namespace dchat::engineio;

TEST(Outbox, FullByPacketsOrBytes) {
  Outbox box(2, 1000);
  auto small = WirePacket::make(PacketType::message, "x");
  EXPECT_EQ(box.push(small, false), Outbox::Push::ok);
  EXPECT_EQ(box.push(small, false), Outbox::Push::ok);
  EXPECT_EQ(box.push(small, true), Outbox::Push::dropped);
  EXPECT_EQ(box.push(small, false), Outbox::Push::full);
  box.pop_front();
  auto big = WirePacket::make(PacketType::message, std::string(990, 'y'));
  EXPECT_EQ(box.push(big, false), Outbox::Push::full) << "bytes: 1 queued + 990 is over 1000";
}

TEST(Outbox, APacketLargerThanTheWholeLimitIsTooLargeNotFull) {
  Outbox box(16, 1000);
  auto huge = WirePacket::make(PacketType::message, std::string(5000, 'z'));
  EXPECT_FALSE(box.fits_at_all(*huge));
  EXPECT_EQ(box.push(huge, false), Outbox::Push::too_large);
  EXPECT_TRUE(box.empty());
  EXPECT_EQ(box.bytes(), 0u);
}

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
  // A packet that fits an empty queue but not next to the small one still queued.
  const size_t framing = WirePacket::make(PacketType::message, std::string(990, 'y'))->wire_size() - 990;
  auto big = WirePacket::make(PacketType::message, std::string(1000 - small->wire_size() + 1 - framing, 'y'));
  ASSERT_LE(big->wire_size(), 1000u);
  EXPECT_EQ(box.push(big, false), Outbox::Push::full) << "bytes: one small packet queued + the big one is over 1000";
  EXPECT_EQ(box.push(small, false), Outbox::Push::ok) << "one of two packets queued";
  EXPECT_EQ(box.push(small, false), Outbox::Push::full);
}

TEST(Outbox, APacketLargerThanTheWholeLimitIsTooLargeNotFull) {
  Outbox box(16, 1000);
  auto huge = WirePacket::make(PacketType::message, std::string(5000, 'z'));
  EXPECT_FALSE(box.fits_at_all(*huge));
  EXPECT_EQ(box.push(huge, false), Outbox::Push::too_large);
  EXPECT_TRUE(box.empty());
  EXPECT_EQ(box.bytes(), 0u);
}

// Found with the chat benchmark at 30,000 msgs/s: the limit counted the slots already written as
// well, so a client reading as fast as it was sent to, whose queue never quite emptied, was
// disconnected as slow with a quarter of the limit queued.
TEST(Outbox, AQueueThatNeverEmptiesButKeepsUpIsNeverFull) {
  Outbox box(4, 1u << 20);
  auto packet = WirePacket::make(PacketType::message, "x");
  ASSERT_EQ(box.push(packet, false), Outbox::Push::ok);
  for (int i = 0; i < 10000; ++i) {
    ASSERT_EQ(box.push(packet, false), Outbox::Push::ok) << "after " << i << " rounds";
    box.pop_front();  // one written for each one queued: one packet always waiting
  }
  EXPECT_EQ(box.size(), 1u);
  EXPECT_EQ(box.bytes(), packet->wire_size());
  // And it still counts what is queued.
  for (int i = 0; i < 3; ++i) ASSERT_EQ(box.push(packet, false), Outbox::Push::ok);
  EXPECT_EQ(box.push(packet, false), Outbox::Push::full);
  EXPECT_EQ(box.size(), 4u);
  for (int i = 0; i < 4; ++i) box.pop_front();
  EXPECT_TRUE(box.empty());
  EXPECT_EQ(box.bytes(), 0u);
}

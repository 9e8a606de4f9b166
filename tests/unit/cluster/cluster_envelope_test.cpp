// The bytes one replica sends another: every field survives a round trip, and anything
// truncated, padded or mislabelled is refused rather than half-read.
#include <gtest/gtest.h>

#include <string>

#include "socketio/cluster_envelope.hpp"

namespace dchat::socketio {
namespace {

ClusterEnvelope sample() {
  ClusterEnvelope e;
  e.type = ClusterEnvelope::Type::broadcast;
  e.origin = "0123456789abcdef";
  e.request_id = 0x1122334455667788ull;
  e.is_volatile = true;
  e.rooms = {"room:1", "user:é"};
  e.except = {"AbCdEfGhIjKlMnOpQrSt"};
  e.frames = {{false, "451-[\"message\",{\"_placeholder\":true,\"num\":0}]"}, {true, std::string("\0\x01\xff", 3)}};
  return e;
}

TEST(ClusterEnvelope, BroadcastRoundTrips) {
  const auto e = sample();
  auto d = decode_envelope(encode_envelope(e));
  ASSERT_TRUE(d);
  EXPECT_EQ(d->type, e.type);
  EXPECT_EQ(d->origin, e.origin);
  EXPECT_EQ(d->request_id, e.request_id);
  EXPECT_TRUE(d->is_volatile);
  EXPECT_EQ(d->rooms, e.rooms);
  EXPECT_EQ(d->except, e.except);
  ASSERT_EQ(d->frames.size(), 2u);
  EXPECT_FALSE(d->frames[0].binary);
  EXPECT_EQ(d->frames[0].data, e.frames[0].data);
  EXPECT_TRUE(d->frames[1].binary);
  EXPECT_EQ(d->frames[1].data, e.frames[1].data);
}

TEST(ClusterEnvelope, FetchReplyCarriesSockets) {
  ClusterEnvelope e;
  e.type = ClusterEnvelope::Type::fetch_reply;
  e.origin = "n1";
  e.request_id = 7;
  e.sockets = {{"sid1", {"a", "b"}, R"({"user":1})"}, {"sid2", {}, "null"}};
  auto d = decode_envelope(encode_envelope(e));
  ASSERT_TRUE(d);
  ASSERT_EQ(d->sockets.size(), 2u);
  EXPECT_EQ(d->sockets[0].id, "sid1");
  EXPECT_EQ(d->sockets[0].rooms, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(d->sockets[0].data_json, R"({"user":1})");
  EXPECT_EQ(d->sockets[1].data_json, "null");
}

TEST(ClusterEnvelope, JoinCommandRoundTrips) {
  ClusterEnvelope e;
  e.type = ClusterEnvelope::Type::sockets_join;
  e.origin = "n1";
  e.rooms = {"user:4"};
  e.room = "room:9";
  auto d = decode_envelope(encode_envelope(e));
  ASSERT_TRUE(d);
  EXPECT_EQ(d->type, ClusterEnvelope::Type::sockets_join);
  EXPECT_EQ(d->room, "room:9");
}

TEST(ClusterEnvelope, DisconnectCommandRoundTripsWithItsCloseFlag) {
  ClusterEnvelope e;
  e.type = ClusterEnvelope::Type::disconnect_sockets;
  e.origin = "n1";
  e.rooms = {"session:ab12"};
  e.close_connection = true;
  auto d = decode_envelope(encode_envelope(e));
  ASSERT_TRUE(d);
  EXPECT_EQ(d->type, ClusterEnvelope::Type::disconnect_sockets);
  EXPECT_TRUE(d->close_connection);
  EXPECT_FALSE(d->is_volatile);
  EXPECT_EQ(d->rooms, std::vector<std::string>{"session:ab12"});
}

TEST(ClusterEnvelope, EveryTruncationIsRefused) {
  const std::string bytes = encode_envelope(sample());
  for (size_t n = 0; n < bytes.size(); ++n) EXPECT_FALSE(decode_envelope(bytes.substr(0, n))) << n;
  EXPECT_FALSE(decode_envelope(bytes + "x"));
}

TEST(ClusterEnvelope, WrongMagicVersionOrTypeIsRefused) {
  std::string bytes = encode_envelope(sample());
  auto with = [&](size_t at, char c) {
    std::string b = bytes;
    b[at] = c;
    return b;
  };
  EXPECT_FALSE(decode_envelope(with(0, 'X')));
  EXPECT_FALSE(decode_envelope(with(2, 2)));   // version
  EXPECT_FALSE(decode_envelope(with(3, 0)));   // type
  EXPECT_FALSE(decode_envelope(with(3, 9)));
}

TEST(ClusterEnvelope, BroadcastNeedsATextFirstFrameAndAnOrigin) {
  auto e = sample();
  e.frames[0].binary = true;
  EXPECT_FALSE(decode_envelope(encode_envelope(e)));
  e = sample();
  e.frames.clear();
  EXPECT_FALSE(decode_envelope(encode_envelope(e)));
  e = sample();
  e.origin.clear();
  EXPECT_FALSE(decode_envelope(encode_envelope(e)));
}

TEST(ClusterEnvelope, HugeCountsAreRefusedWithoutAllocating) {
  std::string bytes = encode_envelope(sample());
  // The rooms count sits right after magic(2) version(1) type(1) origin(4+16) request(8) flags(1).
  const size_t at = 2 + 1 + 1 + 4 + 16 + 8 + 1;
  for (int i = 0; i < 4; ++i) bytes[at + i] = '\xff';
  EXPECT_FALSE(decode_envelope(bytes));
}

}  // namespace
}  // namespace dchat::socketio

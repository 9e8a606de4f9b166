// Socket.IO v5 packets: encode, encode_event, is_reserved_event. Expected texts are the official
// socket.io-protocol test suite's where it has them.
#include "socketio/packet.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "packet_test_support.hpp"

namespace {

using namespace packet_test;  // NOLINT: the test vocabulary (sio, json, J, Decodes, Rejects, ...)

// ---------------------------------------------------------------------------------------------
// encode

TEST(SocketIoEncode, ConnectErrorForUnknownNamespace) {
  sio::Packet p;
  p.type = PacketType::connect_error;
  p.nsp = "/random";
  p.data = J(R"({"message":"Invalid namespace"})");
  EXPECT_EQ(sio::encode(p), R"(4/random,{"message":"Invalid namespace"})");
  EXPECT_EQ(AsMessage(sio::encode(p)), R"(44/random,{"message":"Invalid namespace"})");
}

TEST(SocketIoEncode, ConnectReplyWithSid) {
  sio::Packet p;
  p.type = PacketType::connect;
  p.nsp = "/custom";
  p.data = J(R"({"sid":"abc"})");
  EXPECT_EQ(AsMessage(sio::encode(p)), R"(40/custom,{"sid":"abc"})");
  p.nsp = "/";
  EXPECT_EQ(AsMessage(sio::encode(p)), R"(40{"sid":"abc"})");
}

TEST(SocketIoEncode, PacketWithoutDataHasNoPayload) {
  sio::Packet p;
  p.type = PacketType::disconnect;
  p.nsp = "/";
  EXPECT_EQ(sio::encode(p), "1");
  p.nsp = "/custom";
  EXPECT_EQ(sio::encode(p), "1/custom,");
}

TEST(SocketIoEncode, AckFromTheProtocolSuite) {
  sio::Packet p;
  p.type = PacketType::ack;
  p.id = 456;
  p.data = J(R"([1,"2",{"3":[false]}])");
  EXPECT_EQ(AsMessage(sio::encode(p)), R"(43456[1,"2",{"3":[false]}])");
}

TEST(SocketIoEncode, BinaryAckFromTheProtocolSuite) {
  sio::Packet p;
  p.type = PacketType::binary_ack;
  p.id = 789;
  p.attachments = 2;
  p.data = J(R"([{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}])");
  EXPECT_EQ(AsMessage(sio::encode(p)), R"(462-789[{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}])");
}

TEST(SocketIoEncode, BinaryEventWithNamespaceAndAck) {
  sio::Packet p;
  p.type = PacketType::binary_event;
  p.nsp = "/chat";
  p.id = 3;
  p.attachments = 1;
  p.data = J(R"(["up",{"_placeholder":true,"num":0}])");
  EXPECT_EQ(sio::encode(p), R"(51-/chat,3["up",{"_placeholder":true,"num":0}])");
}

// decode, encode, decode again: the same namespace and data; `encoded` is the encoding.
void ExpectRoundTrip(const char* text, std::string& encoded) {
  const auto r = sio::decode(text);
  ASSERT_TRUE(Decodes(r)) << text;
  encoded = sio::encode(*r.packet);
  const auto again = sio::decode(encoded);
  ASSERT_TRUE(Decodes(again)) << encoded;
  EXPECT_EQ(again.packet->data, r.packet->data) << text;
  EXPECT_EQ(again.packet->nsp, r.packet->nsp) << text;
}

TEST(SocketIoEncode, DecodeEncodeIsIdentityForCanonicalPackets) {
  const char* canonical[] = {
      "0",
      R"(0{"token":"123"})",
      "0/custom,",
      R"(0/custom,{"token":"abc"})",
      "1/custom,",
      "1",
      R"(2["message",1,"2",{"3":[true]}])",
      R"(2456["message-with-ack",1,"2",{"3":[false]}])",
      R"(2/chat,0["zero id"])",
      R"(52-["message",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}])",
      R"(52-789["message-with-ack",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}])",
      R"(3456[1,"2",{"3":[false]}])",
      R"(4/random,{"message":"Invalid namespace"})",
      R"(62-789[{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}])",
  };
  for (const char* text : canonical) {
    std::string encoded;
    ExpectRoundTrip(text, encoded);
    EXPECT_EQ(encoded, text);
  }
}

// Escapes and number forms need not come back as written (JSON has several spellings of one
// value); the data must.
TEST(SocketIoEncode, EscapesAndNumberFormsKeepTheirData) {
  std::string encoded;
  ExpectRoundTrip(R"(2["unicode \u00e9 \"quoted\" é",null,-1.5E0,18446744073709551615])", encoded);
}

TEST(SocketIoEncode, NamespaceWithoutCommaGetsOneWhenReencoded) {
  const auto r = sio::decode("0/random");
  ASSERT_TRUE(Decodes(r));
  EXPECT_EQ(sio::encode(*r.packet), "0/random,");
}

// ---------------------------------------------------------------------------------------------
// encode_event

TEST(SocketIoEncodeEvent, MainNamespace) {
  json::array args = {1, "2", J(R"({"3":[true]})")};
  EXPECT_EQ(AsMessage(sio::encode_event("/", "message-back", args)), R"(42["message-back",1,"2",{"3":[true]}])");
}

TEST(SocketIoEncodeEvent, NoArguments) { EXPECT_EQ(sio::encode_event("/", "ping", {}), R"(2["ping"])"); }

TEST(SocketIoEncodeEvent, CustomNamespace) {
  json::array args = {J(R"({"token":"abc"})")};
  EXPECT_EQ(AsMessage(sio::encode_event("/custom", "auth", args)), R"(42/custom,["auth",{"token":"abc"}])");
}

TEST(SocketIoEncodeEvent, NamespaceAndAckId) {
  json::array args = {"hi"};
  EXPECT_EQ(sio::encode_event("/chat", "msg", args, 0, 12), R"(2/chat,12["msg","hi"])");
  EXPECT_EQ(sio::encode_event("/", "msg", args, 0, 0), R"(20["msg","hi"])");
}

TEST(SocketIoEncodeEvent, AttachmentsMakeABinaryEvent) {
  json::array args = {J(R"({"_placeholder":true,"num":0})"), J(R"({"_placeholder":true,"num":1})")};
  EXPECT_EQ(AsMessage(sio::encode_event("/", "message-back", args, 2)),
            R"(452-["message-back",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}])");
  EXPECT_EQ(sio::encode_event("/chat", "up", {J(R"({"_placeholder":true,"num":0})")}, 1, 99),
            R"(51-/chat,99["up",{"_placeholder":true,"num":0}])");
}

TEST(SocketIoEncodeEvent, EventNameIsJsonEscaped) {
  const std::string encoded = sio::encode_event("/", "say \"hi\"\\\n", {});
  EXPECT_EQ(encoded, R"(2["say \"hi\"\\\n"])");
  const auto r = sio::decode(encoded);
  ASSERT_TRUE(Decodes(r));
  EXPECT_EQ(r.packet->data.as_array().front().as_string(), "say \"hi\"\\\n");
}

TEST(SocketIoEncodeEvent, MatchesEncodeOfTheEquivalentPacket) {
  json::array args = {1, J("[true,null]"), "x"};
  sio::Packet p;
  p.type = PacketType::event;
  p.nsp = "/room";
  p.id = 77;
  p.data = json::array{"evt", 1, J("[true,null]"), "x"};
  EXPECT_EQ(sio::encode_event("/room", "evt", args, 0, 77), sio::encode(p));
  const auto r = sio::decode(sio::encode_event("/room", "evt", args, 0, 77));
  ASSERT_TRUE(Decodes(r));
  EXPECT_EQ(r.packet->data, p.data);
  EXPECT_EQ(r.packet->id, p.id);
  EXPECT_EQ(r.packet->nsp, "/room");
}

// ---------------------------------------------------------------------------------------------
// is_reserved_event

TEST(SocketIoReservedEvents, ExactlyTheSocketIoParserList) {
  for (const char* name : {"connect", "connect_error", "disconnect", "disconnecting", "newListener", "removeListener"})
    EXPECT_TRUE(sio::is_reserved_event(name)) << name;
  for (const char* name : {"message", "Connect", "connect ", "", "disconnected", "error", "connection"})
    EXPECT_FALSE(sio::is_reserved_event(name)) << name;
}

}  // namespace

// Socket.IO v5 packets: decode (the protocol suite's client packets, malformed packets,
// attachment placeholders, numeric event names).
//
// The wire examples are the ones of the official socket.io-protocol test suite. Those are whole
// Engine.IO messages ("42[...]" = Engine.IO MESSAGE '4' + Socket.IO EVENT "2[...]"), so they go
// through engineio::decode_text_packet first, exactly as the server receives them.
#include "socketio/packet.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>

#include "packet_test_support.hpp"

namespace {

using namespace packet_test;  // NOLINT: the test vocabulary (sio, json, J, Decodes, Rejects, ...)

// ---------------------------------------------------------------------------------------------
// The protocol suite's client packets

TEST(SocketIoDecode, ConnectToMainNamespace) {  // "40"
  const auto r = DecodeMessage("40");
  ASSERT_TRUE(Decodes(r));
  EXPECT_EQ(r.packet->type, PacketType::connect);
  EXPECT_EQ(r.packet->nsp, "/");
  EXPECT_FALSE(r.packet->id.has_value());
  EXPECT_TRUE(r.packet->data.is_null());
  EXPECT_EQ(r.packet->attachments, 0u);
}

TEST(SocketIoDecode, ConnectToMainNamespaceWithAuth) {  // '40{"token":"123"}'
  const auto r = DecodeMessage("40{\"token\":\"123\"}");
  ASSERT_TRUE(Decodes(r));
  EXPECT_EQ(r.packet->type, PacketType::connect);
  EXPECT_EQ(r.packet->nsp, "/");
  EXPECT_EQ(r.packet->data, J(R"({"token":"123"})"));
}

TEST(SocketIoDecode, ConnectToCustomNamespace) {  // "40/custom,"
  const auto r = DecodeMessage("40/custom,");
  ASSERT_TRUE(Decodes(r));
  EXPECT_EQ(r.packet->type, PacketType::connect);
  EXPECT_EQ(r.packet->nsp, "/custom");
  EXPECT_TRUE(r.packet->data.is_null());
}

TEST(SocketIoDecode, ConnectToCustomNamespaceWithAuth) {  // '40/custom,{"token":"abc"}'
  const auto r = DecodeMessage("40/custom,{\"token\":\"abc\"}");
  ASSERT_TRUE(Decodes(r));
  EXPECT_EQ(r.packet->type, PacketType::connect);
  EXPECT_EQ(r.packet->nsp, "/custom");
  EXPECT_EQ(r.packet->data, J(R"({"token":"abc"})"));
}

TEST(SocketIoDecode, NamespaceMustBeUtf8TextOfSaneLength) {
  // Issue #9: a namespace name is echoed back in CONNECT_ERROR, so it must be valid text.
  EXPECT_FALSE(sio::decode("0/\xff\xfe,").packet);
  EXPECT_FALSE(sio::decode("0/caf\xc3,").packet);
  EXPECT_TRUE(sio::decode("0/caf\xc3\xa9,").packet);
  EXPECT_TRUE(sio::decode("0/" + std::string(255, 'a') + ",").packet);
  EXPECT_FALSE(sio::decode("0/" + std::string(256, 'a') + ",").packet);
}

TEST(SocketIoDecode, NamespaceWithoutTrailingComma) {  // "40/random", "40/custom"
  const auto r = DecodeMessage("40/random");
  ASSERT_TRUE(Decodes(r));
  EXPECT_EQ(r.packet->type, PacketType::connect);
  EXPECT_EQ(r.packet->nsp, "/random");
  EXPECT_TRUE(r.packet->data.is_null());
}

TEST(SocketIoDecode, DisconnectFromCustomNamespace) {  // "41/custom", "41"
  auto r = DecodeMessage("41/custom");
  ASSERT_TRUE(Decodes(r));
  EXPECT_EQ(r.packet->type, PacketType::disconnect);
  EXPECT_EQ(r.packet->nsp, "/custom");
  r = DecodeMessage("41");
  ASSERT_TRUE(Decodes(r));
  EXPECT_EQ(r.packet->type, PacketType::disconnect);
  EXPECT_EQ(r.packet->nsp, "/");
}

TEST(SocketIoDecode, Event) {  // '42["message",1,"2",{"3":[true]}]'
  const auto r = DecodeMessage(R"(42["message",1,"2",{"3":[true]}])");
  ASSERT_TRUE(Decodes(r));
  EXPECT_EQ(r.packet->type, PacketType::event);
  EXPECT_EQ(r.packet->nsp, "/");
  EXPECT_FALSE(r.packet->id.has_value());
  EXPECT_EQ(r.packet->data, J(R"(["message",1,"2",{"3":[true]}])"));
}

TEST(SocketIoDecode, EventToNamespace) {
  const auto r = DecodeMessage(R"(42/custom,["message","x"])");
  ASSERT_TRUE(Decodes(r));
  EXPECT_EQ(r.packet->type, PacketType::event);
  EXPECT_EQ(r.packet->nsp, "/custom");
  EXPECT_EQ(r.packet->data, J(R"(["message","x"])"));
}

TEST(SocketIoDecode, EventWithAck) {  // '42456["message-with-ack",1,"2",{"3":[false]}]'
  const auto r = DecodeMessage(R"(42456["message-with-ack",1,"2",{"3":[false]}])");
  ASSERT_TRUE(Decodes(r));
  EXPECT_EQ(r.packet->type, PacketType::event);
  EXPECT_EQ(r.packet->id, std::optional<uint64_t>(456));
  EXPECT_EQ(r.packet->data, J(R"(["message-with-ack",1,"2",{"3":[false]}])"));
}

TEST(SocketIoDecode, BinaryEvent) {  // '452-["message",{"_placeholder":true,"num":0},...]'
  const auto r =
      DecodeMessage(R"(452-["message",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}])");
  ASSERT_TRUE(Decodes(r));
  EXPECT_EQ(r.packet->type, PacketType::binary_event);
  EXPECT_EQ(r.packet->attachments, 2u);
  EXPECT_EQ(r.packet->nsp, "/");
  EXPECT_FALSE(r.packet->id.has_value());
  EXPECT_EQ(r.packet->data, J(R"(["message",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}])"));
}

TEST(SocketIoDecode, BinaryEventWithAck) {  // '452-789["message-with-ack",...]'
  const auto r = DecodeMessage(
      R"(452-789["message-with-ack",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}])");
  ASSERT_TRUE(Decodes(r));
  EXPECT_EQ(r.packet->type, PacketType::binary_event);
  EXPECT_EQ(r.packet->attachments, 2u);
  EXPECT_EQ(r.packet->id, std::optional<uint64_t>(789));
  EXPECT_EQ(r.packet->data.as_array().front(), J(R"("message-with-ack")"));
}

TEST(SocketIoDecode, BinaryEventWithNamespaceAndAck) {
  const auto r = sio::decode(R"(51-/chat,7["up",{"_placeholder":true,"num":0}])");
  ASSERT_TRUE(Decodes(r));
  EXPECT_EQ(r.packet->type, PacketType::binary_event);
  EXPECT_EQ(r.packet->attachments, 1u);
  EXPECT_EQ(r.packet->nsp, "/chat");
  EXPECT_EQ(r.packet->id, std::optional<uint64_t>(7));
}

TEST(SocketIoDecode, Ack) {  // '43456[1,"2",{"3":[false]}]'
  const auto r = DecodeMessage(R"(43456[1,"2",{"3":[false]}])");
  ASSERT_TRUE(Decodes(r));
  EXPECT_EQ(r.packet->type, PacketType::ack);
  EXPECT_EQ(r.packet->id, std::optional<uint64_t>(456));
  EXPECT_EQ(r.packet->data, J(R"([1,"2",{"3":[false]}])"));
}

TEST(SocketIoDecode, AckWithEmptyArgumentsAndNamespace) {
  const auto r = sio::decode("3/admin,12[]");
  ASSERT_TRUE(Decodes(r));
  EXPECT_EQ(r.packet->type, PacketType::ack);
  EXPECT_EQ(r.packet->nsp, "/admin");
  EXPECT_EQ(r.packet->id, std::optional<uint64_t>(12));
  EXPECT_EQ(r.packet->data, J("[]"));
}

TEST(SocketIoDecode, BinaryAck) {  // '462-789[{"_placeholder":true,"num":0},...]'
  const auto r = DecodeMessage(R"(462-789[{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}])");
  ASSERT_TRUE(Decodes(r));
  EXPECT_EQ(r.packet->type, PacketType::binary_ack);
  EXPECT_EQ(r.packet->attachments, 2u);
  EXPECT_EQ(r.packet->id, std::optional<uint64_t>(789));
}

TEST(SocketIoDecode, ConnectError) {
  auto r = DecodeMessage(R"(44/random,{"message":"Invalid namespace"})");
  ASSERT_TRUE(Decodes(r));
  EXPECT_EQ(r.packet->type, PacketType::connect_error);
  EXPECT_EQ(r.packet->nsp, "/random");
  EXPECT_EQ(r.packet->data, J(R"({"message":"Invalid namespace"})"));
  r = sio::decode(R"(4"plain string reason")");  // v4-era string form is also accepted
  ASSERT_TRUE(Decodes(r));
  EXPECT_EQ(r.packet->data, J(R"("plain string reason")"));
}

TEST(SocketIoDecode, LargestAckIdHasFifteenDigits) {
  const auto r = sio::decode(R"(2999999999999999["e"])");
  ASSERT_TRUE(Decodes(r));
  EXPECT_EQ(r.packet->id, std::optional<uint64_t>(999999999999999ULL));
  ExpectError(R"(21000000000000000["e"])", "invalid ack id");  // 16 digits
}

TEST(SocketIoDecode, AttachmentCountBoundary) {
  const std::string args = R"(["e",{"_placeholder":true,"num":0}])";
  const auto r = sio::decode(std::to_string(5) + std::to_string(sio::kMaxAttachments) + "-" + args);
  ASSERT_TRUE(Decodes(r));
  EXPECT_EQ(r.packet->attachments, sio::kMaxAttachments);
  ExpectError("5" + std::to_string(sio::kMaxAttachments + 1) + "-" + args, "too many attachments");
  const auto zero = sio::decode("50-" + args);
  ASSERT_TRUE(Decodes(zero));
  EXPECT_EQ(zero.packet->attachments, 0u);
}

// A number outside the double range parses (Boost.JSON 1.81) to +/-infinity without an error;
// encode then writes the bare token Infinity, which is not JSON: every socket.io-client that
// receives the relayed packet fails to parse it and drops its connection. Such a payload must
// either be rejected by decode or re-encode to valid JSON.
TEST(SocketIoDecode, NumbersOutsideTheDoubleRangeNeverReencodeToInvalidJson) {
  for (const char* text : {R"(2["chat",1e400])", R"(2["chat",-1e400])", R"(2["chat",{"n":123e999}])",
                           R"(0{"token":1E309})", R"(3/chat,1[18446744073E70616])"}) {
    const auto r = sio::decode(text);
    if (!r.packet) continue;  // rejecting is fine
    const std::string encoded = sio::encode(*r.packet);
    EXPECT_TRUE(Decodes(sio::decode(encoded))) << text << " was accepted and re-encoded as " << encoded;
  }
}

// Relayed numbers must reach other clients unchanged: JSON.parse gives the nearest double, so
// the server has to parse to the nearest double too (Boost.JSON 1.81's default parser is off
// by one ulp for some inputs, e.g. 2.5e33 -> 2.5000000000000002e33).
TEST(SocketIoDecode, NumbersAreParsedToTheNearestDouble) {
  for (const char* number : {"2.5e33", "-2.5e33", "0.1", "1e23", "8.41e21", "5e-324", "1.7976931348623157e308"}) {
    const auto r = sio::decode(std::string(R"(2["n",)") + number + "]");
    ASSERT_TRUE(Decodes(r)) << number;
    const json::value& v = r.packet->data.as_array()[1];
    ASSERT_TRUE(v.is_double()) << number;
    EXPECT_EQ(v.as_double(), std::strtod(number, nullptr))
        << number << " parsed as " << json::serialize(v) << " and would be relayed as " << sio::encode(*r.packet);
  }
}

// ---------------------------------------------------------------------------------------------
// Malformed packets

TEST(SocketIoDecodeErrors, EmptyPacket) { EXPECT_TRUE(Rejects("")); }

TEST(SocketIoDecodeErrors, UnknownPacketType) {
  ExpectError("abc", "unknown packet type");  // the suite's "4abc"
  ExpectError("9", "unknown packet type");
  ExpectError("7[\"e\"]", "unknown packet type");
  ExpectError("/[\"e\"]", "unknown packet type");
  EXPECT_FALSE(DecodeMessage("4abc").packet.has_value());
}

TEST(SocketIoDecodeErrors, EventPayloadMustBeANonEmptyArrayStartingWithAName) {
  ExpectError("2{}", "invalid payload");  // the suite's "42{}"
  EXPECT_FALSE(DecodeMessage("42{}").packet.has_value());
  EXPECT_TRUE(Rejects("2[]"));
  EXPECT_TRUE(Rejects("2[true,\"x\"]"));  // integers are names too (see NumericEventNamesAreAccepted)
  EXPECT_TRUE(Rejects("2[null]"));
  EXPECT_TRUE(Rejects("2\"message\""));
  EXPECT_TRUE(Rejects("2"));  // an event needs a name
  EXPECT_TRUE(Rejects("2/chat,"));
  EXPECT_TRUE(Rejects("51-{}"));
}

TEST(SocketIoDecodeErrors, InvalidJson) {
  EXPECT_TRUE(Rejects("2abc[\"x\"]"));  // the suite's '42abc["message-with-ack",...]'
  EXPECT_FALSE(DecodeMessage(R"(42abc["message-with-ack",1,"2",{"3":[false]}])").packet.has_value());
  EXPECT_TRUE(Rejects("2[\"x\""));
  EXPECT_TRUE(Rejects("2[\"x\"]]"));
  EXPECT_TRUE(Rejects("2[\"x\"] trailing"));
  EXPECT_TRUE(Rejects("2['x']"));
  EXPECT_TRUE(Rejects("0{token:1}"));
}

TEST(SocketIoDecodeErrors, ReservedEventNames) {
  for (const char* name : {"connect", "connect_error", "disconnect", "disconnecting", "newListener", "removeListener"}) {
    const std::string args = std::string("[\"") + name + "\",1]";
    EXPECT_TRUE(Rejects("2" + args)) << name;
    EXPECT_TRUE(Rejects("21" + args)) << name;
    EXPECT_TRUE(Rejects("51-" + args)) << name;
  }
  EXPECT_TRUE(Rejects("2[\"connect\"]"));
}

TEST(SocketIoDecodeErrors, AckWithoutIdIsRejected) {
  ExpectError("3[1]", "invalid ack id");  // the suite-style '43[1]'
  EXPECT_FALSE(DecodeMessage("43[1]").packet.has_value());
  ExpectError("3/chat,[1]", "invalid ack id");
  ExpectError(R"(61-[{"_placeholder":true,"num":0}])", "invalid ack id");
}

TEST(SocketIoDecodeErrors, AckPayloadMustBeAnArray) {
  EXPECT_TRUE(Rejects("31{}"));
  EXPECT_TRUE(Rejects("31\"x\""));
  EXPECT_TRUE(Rejects("31"));
}

TEST(SocketIoDecodeErrors, ConnectPayloadMustBeAnObject) {
  EXPECT_TRUE(Rejects("0[]"));
  EXPECT_TRUE(Rejects("0\"token\""));
  EXPECT_TRUE(Rejects("0/custom,{"));
  EXPECT_TRUE(Rejects("0/custom,null"));
}

TEST(SocketIoDecodeErrors, DisconnectCarriesNoPayload) {
  EXPECT_TRUE(Rejects("1{}"));
  EXPECT_TRUE(Rejects("1/custom,[]"));
}

TEST(SocketIoDecodeErrors, ConnectErrorNeedsAnObjectOrStringPayload) {
  EXPECT_TRUE(Rejects("4"));
  EXPECT_TRUE(Rejects("4/random,"));
  EXPECT_TRUE(Rejects("4[\"x\"]"));
  EXPECT_TRUE(Rejects("4/random,42"));
}

TEST(SocketIoDecodeErrors, BadAttachmentCount) {
  const std::string args = R"(["message",{"_placeholder":true,"num":0}])";
  ExpectError("5-" + args, "invalid attachment count");     // empty count
  ExpectError("5" + args, "invalid attachment count");      // no dash at all
  ExpectError("5a-" + args, "invalid attachment count");    // not a number
  ExpectError("51x-" + args, "invalid attachment count");
  ExpectError("51000-" + args, "invalid attachment count");  // more digits than any valid count
  ExpectError("599-" + args, "too many attachments");
  ExpectError("6-5[]", "invalid attachment count");
  ExpectError("5", "invalid attachment count");
}

TEST(SocketIoDecodeErrors, DeeplyNestedJsonIsRejectedNotACrash) {
  const std::string deep = "2[\"e\"," + std::string(100000, '[') + std::string(100000, ']') + "]";
  EXPECT_TRUE(Rejects(deep));
}

// ---------------------------------------------------------------------------------------------
// Attachment placeholders and numeric event names

TEST(SocketIoPlaceholders, MustNameAnExistingAttachment) {
  const auto data = [](std::string_view text) { return json::parse(text); };
  EXPECT_TRUE(sio::placeholders_valid(data(R"(["e",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}])"), 2));
  EXPECT_FALSE(sio::placeholders_valid(data(R"(["e",{"_placeholder":true,"num":2}])"), 2));
  EXPECT_FALSE(sio::placeholders_valid(data(R"(["e",{"_placeholder":true,"num":-1}])"), 2));
  EXPECT_FALSE(sio::placeholders_valid(data(R"(["e",{"_placeholder":true,"num":"0"}])"), 2));
  EXPECT_FALSE(sio::placeholders_valid(data(R"(["e",{"_placeholder":true}])"), 2));
  EXPECT_FALSE(sio::placeholders_valid(data(R"(["e",{"deep":[{"_placeholder":true,"num":5}]}])"), 1));
  // Objects that are not placeholders are left alone.
  EXPECT_TRUE(sio::placeholders_valid(data(R"(["e",{"_placeholder":false,"num":9}])"), 0));
}

TEST(SocketIoDecode, NumericEventNamesAreAccepted) {
  const auto r = sio::decode(R"(2[1,"x"])");
  ASSERT_TRUE(r.packet.has_value()) << r.error;
  EXPECT_EQ(r.packet->data.as_array()[0].as_int64(), 1);
  EXPECT_FALSE(sio::decode(R"(2[1.5,"x"])").packet.has_value());
  EXPECT_FALSE(sio::decode(R"(2[null])").packet.has_value());
}

}  // namespace

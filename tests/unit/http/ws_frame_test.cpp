// WebSocket framing: header encoding, close payloads, and the reader on well-formed input.
#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "core/utf8.hpp"
#include "http/ws_frame.hpp"
#include "ws_frame_test_support.hpp"

namespace {

using namespace ws_frame_test;  // NOLINT: the test vocabulary (Frame, Feed, Text, ...)

// ---------------------------------------------------------------------------------------------
// encode_header
std::vector<uint8_t> HeaderBytes(const ws::FrameHeader& h) { return {h.bytes.begin(), h.bytes.begin() + h.size}; }

TEST(WsEncodeHeader, SevenBitLength) {
  EXPECT_EQ(HeaderBytes(ws::encode_header(ws::Opcode::text, 0)), (std::vector<uint8_t>{0x81, 0x00}));
  EXPECT_EQ(HeaderBytes(ws::encode_header(ws::Opcode::text, 5)), (std::vector<uint8_t>{0x81, 0x05}));
  EXPECT_EQ(HeaderBytes(ws::encode_header(ws::Opcode::binary, 125)), (std::vector<uint8_t>{0x82, 0x7D}));
}

TEST(WsEncodeHeader, SixteenBitLength) {
  EXPECT_EQ(HeaderBytes(ws::encode_header(ws::Opcode::binary, 126)), (std::vector<uint8_t>{0x82, 0x7E, 0x00, 0x7E}));
  EXPECT_EQ(HeaderBytes(ws::encode_header(ws::Opcode::binary, 256)), (std::vector<uint8_t>{0x82, 0x7E, 0x01, 0x00}));
  EXPECT_EQ(HeaderBytes(ws::encode_header(ws::Opcode::text, 65535)), (std::vector<uint8_t>{0x81, 0x7E, 0xFF, 0xFF}));
}

TEST(WsEncodeHeader, SixtyFourBitLength) {
  EXPECT_EQ(HeaderBytes(ws::encode_header(ws::Opcode::binary, 65536)),
            (std::vector<uint8_t>{0x82, 0x7F, 0, 0, 0, 0, 0, 0x01, 0x00, 0x00}));
  EXPECT_EQ(HeaderBytes(ws::encode_header(ws::Opcode::text, 0x0102030405060708ULL)),
            (std::vector<uint8_t>{0x81, 0x7F, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08}));
}

TEST(WsEncodeHeader, ControlOpcodesAndNoMaskBit) {
  EXPECT_EQ(HeaderBytes(ws::encode_header(ws::Opcode::close, 2)), (std::vector<uint8_t>{0x88, 0x02}));
  EXPECT_EQ(HeaderBytes(ws::encode_header(ws::Opcode::ping, 0)), (std::vector<uint8_t>{0x89, 0x00}));
  EXPECT_EQ(HeaderBytes(ws::encode_header(ws::Opcode::pong, 4)), (std::vector<uint8_t>{0x8A, 0x04}));
  for (uint64_t len : {0ULL, 125ULL, 126ULL, 65535ULL, 65536ULL, 1ULL << 40})
    EXPECT_EQ(ws::encode_header(ws::Opcode::text, len).bytes[1] & 0x80, 0) << "server frames are unmasked";
}

// A server header with the mask bit and a key added is a valid client header: the reader must
// recover exactly the announced length in all three length forms.
TEST(WsEncodeHeader, LengthRoundTripsThroughTheReader) {
  for (uint64_t len : {0ULL, 1ULL, 125ULL, 126ULL, 127ULL, 65535ULL, 65536ULL, 70001ULL}) {
    const ws::FrameHeader h = ws::encode_header(ws::Opcode::binary, len);
    std::string frame(reinterpret_cast<const char*>(h.bytes.data()), h.size);
    frame[1] = static_cast<char>(frame[1] | 0x80);
    for (uint8_t k : kKey) frame.push_back(static_cast<char>(k));
    const std::string payload = Pattern(len);
    for (size_t i = 0; i < len; ++i) frame.push_back(static_cast<char>(payload[i] ^ kKey[i % 4]));
    const auto r = Feed(kMax, frame);
    EXPECT_FALSE(r.error) << r.error.reason;
    EXPECT_EQ(r.consumed, frame.size()) << "len=" << len;
    EXPECT_EQ(r.events, std::vector<Event>{Binary(payload)}) << "len=" << len;
  }
}

// ---------------------------------------------------------------------------------------------
// close_payload

TEST(WsClosePayload, CodeIsBigEndianFollowedByReason) {
  EXPECT_EQ(ws::close_payload(1000, ""), std::string("\x03\xE8", 2));
  EXPECT_EQ(ws::close_payload(1001, "bye"), std::string("\x03\xE9" "bye", 5));
  EXPECT_EQ(ws::close_payload(ws::kCloseTooBig, "too big"), std::string("\x03\xF1" "too big", 9));
  EXPECT_EQ(ws::close_payload(0xABCD, "x"), std::string("\xAB\xCD" "x", 3));
}

TEST(WsClosePayload, ReasonIsTruncatedToFitAControlFrame) {
  const std::string exact(123, 'r');
  EXPECT_EQ(ws::close_payload(1000, exact).size(), 125u);
  EXPECT_EQ(ws::close_payload(1000, exact).substr(2), exact);

  const std::string long_reason(300, 'r');
  const std::string p = ws::close_payload(1008, long_reason);
  EXPECT_EQ(p.size(), 125u);
  EXPECT_EQ(p.substr(0, 2), std::string("\x03\xF0", 2));
  EXPECT_EQ(p.substr(2), long_reason.substr(0, 123));
}

// The header promises a UTF-8 reason; RFC 6455 5.5.1/8.1 makes a peer fail the connection on
// an invalid one, so truncation must not split a multi-byte character.
TEST(WsClosePayload, TruncationKeepsTheReasonValidUtf8) {
  std::string reason;
  for (int i = 0; i < 62; ++i) reason += "\xC3\xA9";  // 62 x 'é' = 124 bytes, one over the limit
  const std::string p = ws::close_payload(1000, reason);
  EXPECT_LE(p.size(), 125u);
  EXPECT_TRUE(dchat::core::is_valid_utf8(p.substr(2)))
      << "reason truncated to " << p.size() - 2 << " bytes, last byte 0x" << std::hex
      << int(static_cast<uint8_t>(p.back()));

  const std::string euro_reason = std::string(121, 'a') + "\xE2\x82\xAC";  // 124 bytes
  const std::string q = ws::close_payload(1000, euro_reason);
  EXPECT_LE(q.size(), 125u);
  EXPECT_TRUE(dchat::core::is_valid_utf8(q.substr(2)));
}

TEST(WsClosePayload, IsReadBackByTheReader) {
  const auto r = Feed(kMax, Frame(kFin | kClose, ws::close_payload(ws::kCloseGoingAway, "server shutdown")));
  EXPECT_FALSE(r.error);
  EXPECT_EQ(r.events, std::vector<Event>{Close(1001, "server shutdown")});
}

// ---------------------------------------------------------------------------------------------
// MessageReader: valid input

TEST(WsReader, DecodesTheRfcMaskedHelloExample) {
  const std::string rfc("\x81\x85\x37\xfa\x21\x3d\x7f\x9f\x4d\x51\x58", 11);
  ASSERT_EQ(Frame(kFin | kText, "Hello"), rfc);  // the helper builds exactly the RFC bytes
  const auto r = Feed(kMax, rfc);
  EXPECT_FALSE(r.error) << r.error.reason;
  EXPECT_EQ(r.consumed, 11u);
  EXPECT_EQ(r.events, std::vector<Event>{Text("Hello")});
}

TEST(WsReader, UnmasksInPlace) {
  std::string frame = Frame(kFin | kText, "Hello");
  ws::MessageReader reader(kMax);
  RecordingSink sink;
  ws::ProtocolError error;
  ASSERT_EQ(reader.feed(frame.data(), frame.size(), sink, error), frame.size());
  EXPECT_EQ(frame.substr(6), "Hello");
}

TEST(WsReader, EmptyTextAndBinaryMessages) {
  const auto r = Feed(kMax, Frame(kFin | kText, "") + Frame(kFin | kBin, ""));
  EXPECT_FALSE(r.error);
  EXPECT_EQ(r.events, (std::vector<Event>{Text(""), Binary("")}));
}

TEST(WsReader, BinaryMessageKeepsArbitraryBytes) {
  const std::string bytes("\x00\xff\xfe\x80\xc0\x01", 6);  // not UTF-8, fine for binary
  const auto r = Feed(kMax, Frame(kFin | kBin, bytes));
  EXPECT_FALSE(r.error);
  EXPECT_EQ(r.events, std::vector<Event>{Binary(bytes)});
}

TEST(WsReader, UnmaskingIsCorrectForEveryLengthAndKey) {
  // Lengths around the 8-byte word loop, with keys whose bytes all differ.
  const Key keys[] = {{0x00, 0x00, 0x00, 0x00}, {0x01, 0x02, 0x03, 0x04}, {0xFF, 0x80, 0x7F, 0x11}};
  for (const Key& key : keys) {
    for (size_t len = 0; len <= 40; ++len) {
      const std::string payload = Pattern(len);
      const auto r = Feed(kMax, Frame(kFin | kBin, payload, true, key));
      ASSERT_FALSE(r.error);
      EXPECT_EQ(r.events, std::vector<Event>{Binary(payload)}) << "len=" << len;
    }
  }
}

TEST(WsReader, SixteenBitLengthMessage) {
  const std::string payload = Pattern(256);
  const std::string frame = Frame(kFin | kBin, payload);
  ASSERT_EQ(static_cast<uint8_t>(frame[1]), 0xFE);  // mask bit + 126
  const auto r = Feed(kMax, frame);
  EXPECT_FALSE(r.error);
  EXPECT_EQ(r.consumed, frame.size());
  EXPECT_EQ(r.events, std::vector<Event>{Binary(payload)});
}

TEST(WsReader, SixtyFourBitLengthMessage) {
  const std::string payload = Pattern(65536);
  const std::string frame = Frame(kFin | kBin, payload);
  ASSERT_EQ(static_cast<uint8_t>(frame[1]), 0xFF);  // mask bit + 127
  const auto r = Feed(kMax, frame);
  EXPECT_FALSE(r.error);
  EXPECT_EQ(r.consumed, frame.size());
  EXPECT_EQ(r.events, std::vector<Event>{Binary(payload)});
}

TEST(WsReader, SeveralFramesInOneCall) {
  const std::string bytes = Frame(kFin | kText, "one") + Frame(kFin | kBin, "two") + Frame(kFin | kPing, "p") +
                            Frame(kFin | kText, "three");
  const auto r = Feed(kMax, bytes);
  EXPECT_FALSE(r.error);
  EXPECT_EQ(r.consumed, bytes.size());
  EXPECT_EQ(r.events, (std::vector<Event>{Text("one"), Binary("two"), Ping("p"), Text("three")}));
}

TEST(WsReader, PingIsReportedAndPongIsSwallowed) {
  const std::string bytes = Frame(kFin | kPing, "are you there") + Frame(kFin | kPong, "ignored") +
                            Frame(kFin | kPing, "") + Frame(kFin | kText, "after");
  const auto r = Feed(kMax, bytes);
  EXPECT_FALSE(r.error);
  EXPECT_EQ(r.consumed, bytes.size());
  EXPECT_EQ(r.events, (std::vector<Event>{Ping("are you there"), Ping(""), Text("after")}));
}

TEST(WsReader, ControlFrameWith125BytePayloadIsAccepted) {
  const std::string payload(125, 'p');
  const auto r = Feed(kMax, Frame(kFin | kPing, payload));
  EXPECT_FALSE(r.error);
  EXPECT_EQ(r.events, std::vector<Event>{Ping(payload)});
}

TEST(WsReader, ControlFramesAreNotLimitedByMaxMessageSize) {
  const auto r = Feed(4, Frame(kFin | kPing, "longer than four"));
  EXPECT_FALSE(r.error) << r.error.reason;
  EXPECT_EQ(r.events, std::vector<Event>{Ping("longer than four")});
}

TEST(WsReader, MaxMessageSizeAccessor) {
  EXPECT_EQ(ws::MessageReader(12345).max_message_size(), 12345u);
}

// ---------------------------------------------------------------------------------------------
// Close frames

TEST(WsReader, CloseWithoutBodyMeansNormalClosure) {
  const auto r = Feed(kMax, Frame(kFin | kClose, ""));
  EXPECT_FALSE(r.error);
  EXPECT_EQ(r.consumed, 6u);
  EXPECT_EQ(r.events, std::vector<Event>{Close(ws::kCloseNormal, "")});
}

TEST(WsReader, CloseWithCodeOnly) {
  const auto r = Feed(kMax, Frame(kFin | kClose, std::string("\x0f\xa0", 2)));  // 4000
  EXPECT_FALSE(r.error);
  EXPECT_EQ(r.events, std::vector<Event>{Close(4000, "")});
}

TEST(WsReader, CloseWithCodeAndReason) {
  const auto r = Feed(kMax, Frame(kFin | kClose, std::string("\x03\xe9") + "going away"));
  EXPECT_FALSE(r.error);
  EXPECT_EQ(r.events, std::vector<Event>{Close(1001, "going away")});
}

TEST(WsReader, CloseWithOneByteBodyIsAProtocolError) {
  const auto r = Feed(kMax, Frame(kFin | kClose, "\x03"));
  EXPECT_EQ(r.error.code, ws::kCloseProtocolError);
  EXPECT_TRUE(r.events.empty());
}

TEST(WsReader, NothingAfterACloseFrameIsRead) {
  const std::string close = Frame(kFin | kClose, ws::close_payload(1000, "done"));
  const auto r = Feed(kMax, close + Frame(kFin | kText, "after close") + Frame(kFin | kPing, ""));
  EXPECT_FALSE(r.error);
  EXPECT_EQ(r.consumed, close.size());
  EXPECT_EQ(r.events, std::vector<Event>{Close(1000, "done")});
}

// ---------------------------------------------------------------------------------------------
// Fragmented messages

TEST(WsReader, FragmentedTextMessage) {
  const auto r = Feed(kMax, Frame(kText, "Hel") + Frame(kFin | kCont, "lo"));
  EXPECT_FALSE(r.error);
  EXPECT_EQ(r.events, std::vector<Event>{Text("Hello")});
}

TEST(WsReader, FragmentedBinaryMessageWithEmptyFragments) {
  const auto r = Feed(kMax, Frame(kBin, std::string("\x00\xff", 2)) + Frame(kCont, "") + Frame(kCont, "\x80") +
                                Frame(kFin | kCont, ""));
  EXPECT_FALSE(r.error);
  EXPECT_EQ(r.events, std::vector<Event>{Binary(std::string("\x00\xff\x80", 3))});
}

TEST(WsReader, ControlFramesMayInterleaveFragments) {
  const auto r = Feed(kMax, Frame(kText, "Hel") + Frame(kFin | kPing, "p1") + Frame(kCont, "l") +
                                Frame(kFin | kPong, "") + Frame(kFin | kCont, "o"));
  EXPECT_FALSE(r.error);
  EXPECT_EQ(r.events, (std::vector<Event>{Ping("p1"), Text("Hello")}));
}

TEST(WsReader, FragmentsSpanSeveralFeedCalls) {
  ws::MessageReader reader(kMax);
  auto r1 = Feed(reader, Frame(kText, "frag"));
  EXPECT_FALSE(r1.error);
  EXPECT_TRUE(r1.events.empty());
  auto r2 = Feed(reader, Frame(kCont, "ment"));
  EXPECT_FALSE(r2.error);
  EXPECT_TRUE(r2.events.empty());
  auto r3 = Feed(reader, Frame(kFin | kCont, "ed"));
  EXPECT_FALSE(r3.error);
  EXPECT_EQ(r3.events, std::vector<Event>{Text("fragmented")});
  // And the reader is back to normal afterwards.
  auto r4 = Feed(reader, Frame(kFin | kBin, "next"));
  EXPECT_FALSE(r4.error);
  EXPECT_EQ(r4.events, std::vector<Event>{Binary("next")});
}

TEST(WsReader, MultiByteCharacterSplitAcrossFragmentsIsValid) {
  const auto r = Feed(kMax, Frame(kText, "\xE2\x82") + Frame(kFin | kCont, "\xAC"));
  EXPECT_FALSE(r.error) << r.error.reason;
  EXPECT_EQ(r.events, std::vector<Event>{Text("\xE2\x82\xAC")});
}

TEST(WsReader, ContinuationWithoutStartIsAProtocolError) {
  for (uint8_t b0 : {uint8_t(kFin | kCont), kCont}) {
    const auto r = Feed(kMax, Frame(b0, "orphan"));
    EXPECT_EQ(r.error.code, ws::kCloseProtocolError) << "b0=" << int(b0);
    EXPECT_TRUE(r.events.empty());
  }
}

TEST(WsReader, ContinuationAfterACompletedMessageIsAProtocolError) {
  const auto r = Feed(kMax, Frame(kText, "a") + Frame(kFin | kCont, "b") + Frame(kFin | kCont, "c"));
  EXPECT_EQ(r.error.code, ws::kCloseProtocolError);
  EXPECT_EQ(r.events, std::vector<Event>{Text("ab")});
}

TEST(WsReader, NewDataFrameInsideAFragmentedMessageIsAProtocolError) {
  for (uint8_t b0 : {uint8_t(kFin | kText), uint8_t(kFin | kBin), kText, kBin}) {
    const std::string first = Frame(kText, "part");
    const auto r = Feed(kMax, first + Frame(b0, "intruder"));
    EXPECT_EQ(r.error.code, ws::kCloseProtocolError) << "b0=" << int(b0);
    EXPECT_TRUE(r.events.empty());
    EXPECT_GE(r.consumed, first.size());
  }
}

// ---------------------------------------------------------------------------------------------
// UTF-8 in text messages

}  // namespace

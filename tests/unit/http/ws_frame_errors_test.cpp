// WebSocket framing: the reader on protocol errors, size limits and partial input.
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
TEST(WsReader, InvalidUtf8TextFrameIsRejectedWith1007) {
  const std::string invalid[] = {"\xC3\x28", "\xC0\xAF", "\xED\xA0\x80", "\xF4\x90\x80\x80", "abc\xFF", "\xE2\x82"};
  for (const auto& s : invalid) {
    const auto r = Feed(kMax, Frame(kFin | kText, s));
    EXPECT_EQ(r.error.code, ws::kCloseInvalidPayload) << "payload size " << s.size();
    EXPECT_TRUE(r.events.empty());
  }
}

TEST(WsReader, InvalidUtf8FragmentedTextMessageIsRejectedWith1007) {
  const auto r = Feed(kMax, Frame(kText, "valid start ") + Frame(kFin | kCont, "\xED\xBF\xBF"));
  EXPECT_EQ(r.error.code, ws::kCloseInvalidPayload);
  EXPECT_TRUE(r.events.empty());
}

TEST(WsReader, MessagesBeforeAnInvalidOneAreDelivered) {
  const auto r = Feed(kMax, Frame(kFin | kText, "fine") + Frame(kFin | kText, "\xC0\x80"));
  EXPECT_EQ(r.error.code, ws::kCloseInvalidPayload);
  EXPECT_EQ(r.events, std::vector<Event>{Text("fine")});
}

// ---------------------------------------------------------------------------------------------
// Header-level protocol errors

TEST(WsReader, ReservedBitsAreAProtocolError) {
  for (uint8_t rsv : {0x40, 0x20, 0x10, 0x70}) {
    const auto r = Feed(kMax, Frame(kFin | rsv | kText, "x"));
    EXPECT_EQ(r.error.code, ws::kCloseProtocolError) << "rsv=" << int(rsv);
    EXPECT_EQ(r.consumed, 0u);
    EXPECT_TRUE(r.events.empty());
    EXPECT_STRNE(r.error.reason, "");
  }
  // On control and continuation frames too.
  EXPECT_EQ(Feed(kMax, Frame(kFin | 0x40 | kPing, "")).error.code, ws::kCloseProtocolError);
  EXPECT_EQ(Feed(kMax, Frame(kText, "a") + Frame(kFin | 0x20 | kCont, "b")).error.code, ws::kCloseProtocolError);
}

TEST(WsReader, UnmaskedClientFrameIsAProtocolError) {
  const auto r = Feed(kMax, Frame(kFin | kText, "Hello", /*masked=*/false));
  EXPECT_EQ(r.error.code, ws::kCloseProtocolError);
  EXPECT_EQ(r.consumed, 0u);
  EXPECT_TRUE(r.events.empty());
  // Also for control frames.
  EXPECT_EQ(Feed(kMax, Frame(kFin | kPing, "", false)).error.code, ws::kCloseProtocolError);
  EXPECT_EQ(Feed(kMax, Frame(kFin | kClose, "", false)).error.code, ws::kCloseProtocolError);
}

TEST(WsReader, UnmaskedFrameIsRejectedFromItsFirstTwoBytes) {
  const auto r = Feed(kMax, std::string("\x81\x05", 2));
  EXPECT_EQ(r.error.code, ws::kCloseProtocolError);
}

TEST(WsReader, UnknownOpcodesAreAProtocolError) {
  for (uint8_t op : {3, 4, 5, 6, 7, 0xB, 0xC, 0xD, 0xE, 0xF}) {
    const auto r = Feed(kMax, Frame(kFin | op, ""));
    EXPECT_EQ(r.error.code, ws::kCloseProtocolError) << "opcode=" << int(op);
    EXPECT_EQ(r.consumed, 0u);
    EXPECT_TRUE(r.events.empty());
  }
}

TEST(WsReader, FragmentedControlFramesAreAProtocolError) {
  for (uint8_t op : {kClose, kPing, kPong}) {
    const auto r = Feed(kMax, Frame(op, ""));  // FIN clear
    EXPECT_EQ(r.error.code, ws::kCloseProtocolError) << "opcode=" << int(op);
    EXPECT_TRUE(r.events.empty());
  }
}

TEST(WsReader, OversizedControlFramesAreAProtocolError) {
  for (uint8_t op : {kClose, kPing, kPong}) {
    const auto r = Feed(kMax, Frame(kFin | op, std::string(126, 'x')));  // 16-bit length form
    EXPECT_EQ(r.error.code, ws::kCloseProtocolError) << "opcode=" << int(op);
    EXPECT_TRUE(r.events.empty());
  }
  // Even when the 16-bit / 64-bit form announces a small length.
  EXPECT_EQ(Feed(kMax, Frame(kFin | kPing, "x", true, kKey, LenForm::k16)).error.code, ws::kCloseProtocolError);
  EXPECT_EQ(Feed(kMax, Frame(kFin | kPing, "x", true, kKey, LenForm::k64)).error.code, ws::kCloseProtocolError);
}

TEST(WsReader, SixtyFourBitLengthWithTheHighBitSetIsAProtocolError) {
  // RFC 6455 5.2: the most significant bit of the 64-bit length MUST be 0.
  const std::string header = Header(kFin | kBin, 0x8000000000000000ULL);
  const auto r = Feed(std::numeric_limits<uint64_t>::max(), header);
  EXPECT_EQ(r.error.code, ws::kCloseProtocolError);
  EXPECT_EQ(r.consumed, 0u);
}

// ---------------------------------------------------------------------------------------------
// Message size limit (checked from the header, before the payload arrives)

TEST(WsReader, MessageOfExactlyMaxSizeIsAccepted) {
  const auto r = Feed(10, Frame(kFin | kText, "0123456789"));
  EXPECT_FALSE(r.error);
  EXPECT_EQ(r.events, std::vector<Event>{Text("0123456789")});
}

TEST(WsReader, MaxSizeZeroAllowsOnlyEmptyMessages) {
  EXPECT_FALSE(Feed(0, Frame(kFin | kText, "")).error);
  EXPECT_EQ(Feed(0, Frame(kFin | kText, "x")).error.code, ws::kCloseTooBig);
}

TEST(WsReader, TooLargeSevenBitFrameIsRejectedFromTheFirstTwoBytes) {
  const auto r = Feed(10, Header(kFin | kText, 11).substr(0, 2));
  EXPECT_EQ(r.error.code, ws::kCloseTooBig);
  EXPECT_EQ(r.consumed, 0u);
  EXPECT_TRUE(r.events.empty());
}

TEST(WsReader, TooLargeSixteenBitFrameIsRejectedBeforeMaskAndPayload) {
  const auto r = Feed(1000, Header(kFin | kBin, 1024).substr(0, 4));
  EXPECT_EQ(r.error.code, ws::kCloseTooBig);
  EXPECT_EQ(r.consumed, 0u);
}

TEST(WsReader, TooLargeSixtyFourBitFrameIsRejectedBeforeMaskAndPayload) {
  const auto r = Feed(1 << 20, Header(kFin | kBin, 1ULL << 40).substr(0, 10));
  EXPECT_EQ(r.error.code, ws::kCloseTooBig);
  EXPECT_EQ(r.consumed, 0u);
  // The largest legal length too: no overflow when adding it to the buffered fragments.
  const auto r2 = Feed(1 << 20, Header(kFin | kBin, 0x7FFFFFFFFFFFFFFFULL));
  EXPECT_EQ(r2.error.code, ws::kCloseTooBig);
}

TEST(WsReader, FragmentedMessageLimitCountsEveryFragment) {
  const std::string first = Frame(kText, "123456");
  const auto r = Feed(10, first + Header(kFin | kCont, 5));  // 6 + 5 > 10, payload not sent
  EXPECT_EQ(r.error.code, ws::kCloseTooBig);
  EXPECT_EQ(r.consumed, first.size());
  EXPECT_TRUE(r.events.empty());

  const auto ok = Feed(10, first + Frame(kFin | kCont, "7890"));  // exactly 10
  EXPECT_FALSE(ok.error);
  EXPECT_EQ(ok.events, std::vector<Event>{Text("1234567890")});
}

TEST(WsReader, FragmentedMessageLimitAcrossManySmallFragments) {
  ws::MessageReader reader(8);
  std::string bytes = Frame(kBin, "ab");
  for (int i = 0; i < 3; ++i) bytes += Frame(kCont, "cd");  // 8 bytes so far: still fine
  EXPECT_FALSE(Feed(reader, bytes).error);
  const auto r = Feed(reader, Frame(kFin | kCont, "e"));
  EXPECT_EQ(r.error.code, ws::kCloseTooBig);
  EXPECT_TRUE(r.events.empty());
}

// ---------------------------------------------------------------------------------------------
// Partial input

TEST(WsReader, NothingToDoOnEmptyOrOneByteInput) {
  ws::MessageReader reader(kMax);
  RecordingSink sink;
  ws::ProtocolError error;
  char one = static_cast<char>(0x81);
  EXPECT_EQ(reader.feed(&one, 0, sink, error), 0u);
  EXPECT_EQ(reader.feed(&one, 1, sink, error), 0u);
  EXPECT_FALSE(error);
  EXPECT_TRUE(sink.events.empty());
}

TEST(WsReader, EveryProperPrefixOfAFrameIsLeftUntouched) {
  for (size_t len : {5u, 300u, 70000u}) {  // 7-, 16- and 64-bit length forms
    const std::string frame = Frame(kFin | kBin, Pattern(len));
    const size_t step = len > 1000 ? 997 : 1;
    for (size_t k = 0; k < frame.size(); k += (k < 20 ? 1 : step)) {
      std::vector<char> prefix(frame.begin(), frame.begin() + static_cast<std::ptrdiff_t>(k));
      ws::MessageReader reader(kMax);
      RecordingSink sink;
      ws::ProtocolError error;
      ASSERT_EQ(reader.feed(prefix.data(), prefix.size(), sink, error), 0u) << "len=" << len << " k=" << k;
      ASSERT_FALSE(error);
      ASSERT_TRUE(sink.events.empty());
      ASSERT_EQ(std::string(prefix.begin(), prefix.end()), frame.substr(0, k)) << "a partial frame must not be unmasked";
    }
  }
}

TEST(WsReader, CompleteFramesAreConsumedAndATrailingPartialFrameIsKept) {
  const std::string a = Frame(kFin | kText, "first"), b = Frame(kFin | kBin, "second");
  const std::string c = Frame(kFin | kText, "third");
  const auto r = Feed(kMax, a + b + c.substr(0, c.size() - 1));
  EXPECT_FALSE(r.error);
  EXPECT_EQ(r.consumed, a.size() + b.size());
  EXPECT_EQ(r.events, (std::vector<Event>{Text("first"), Binary("second")}));
}

// A mixed stream (fragments, control frames, 7- and 16-bit lengths) must decode to the same
// events whatever the read sizes, byte by byte included.
TEST(WsReader, ByteByByteFeedingMatchesOneShotFeeding) {
  const std::string stream = Frame(kFin | kText, "Hello") + Frame(kFin | kPing, "ping!") +
                             Frame(kText, "frag-") + Frame(kFin | kPing, "") + Frame(kCont, "ment") +
                             Frame(kFin | kCont, std::string(200, 'x')) +
                             Frame(kFin | kBin, Pattern(300)) +
                             Frame(kFin | kPong, "pong") + Frame(kFin | kText, "\xF0\x9F\x98\x80") +
                             Frame(kFin | kClose, ws::close_payload(1000, "bye")) + Frame(kFin | kText, "ignored");
  const std::vector<Event> expected = {
      Text("Hello"), Ping("ping!"), Ping(""), Text("frag-ment" + std::string(200, 'x')),
      Binary(Pattern(300)), Text("\xF0\x9F\x98\x80"), Close(1000, "bye")};

  for (size_t chunk : {stream.size(), size_t{1}, size_t{2}, size_t{3}, size_t{7}, size_t{4096}}) {
    ws::MessageReader reader(kMax);
    const auto r = Stream(reader, stream, chunk);
    EXPECT_FALSE(r.error) << "chunk=" << chunk << ": " << r.error.reason;
    EXPECT_EQ(r.events, expected) << "chunk=" << chunk;
  }
}

// The 64-bit length form split at every byte of header and masking key, then the rest.
TEST(WsReader, SixtyFourBitFrameSplitAnywhereInItsHeader) {
  const std::string payload = Pattern(70000);
  const std::string frame = Frame(kFin | kBin, payload) + Frame(kFin | kText, "next");
  for (size_t split = 1; split <= 14; ++split) {
    ws::MessageReader reader(kMax);
    const auto first = Feed(reader, frame.substr(0, split));
    EXPECT_EQ(first.consumed, 0u) << "split=" << split;
    EXPECT_FALSE(first.error);
    EXPECT_TRUE(first.events.empty());
    const auto rest = Feed(reader, frame);  // the caller re-feeds the kept bytes plus new ones
    EXPECT_FALSE(rest.error) << rest.error.reason;
    EXPECT_EQ(rest.consumed, frame.size());
    EXPECT_EQ(rest.events, (std::vector<Event>{Binary(payload), Text("next")})) << "split=" << split;
  }
}

TEST(WsReader, ByteByByteFeedingDetectsErrorsToo) {
  struct Case {
    std::string bytes;
    uint16_t code;
  };
  const Case cases[] = {
      {Frame(kFin | kText, "ok") + Frame(kFin | kText, "\xC3\x28"), ws::kCloseInvalidPayload},
      {Frame(kFin | kText, "ok") + Frame(kFin | 0x40 | kText, "x"), ws::kCloseProtocolError},
      {Frame(kFin | kText, "ok") + Frame(kFin | kCont, "x"), ws::kCloseProtocolError},
      {Frame(kFin | kText, "ok") + Header(kFin | kBin, 2000), ws::kCloseTooBig},
  };
  for (const auto& c : cases) {
    ws::MessageReader reader(1000);
    const auto r = Stream(reader, c.bytes, 1);
    EXPECT_EQ(r.error.code, c.code);
    EXPECT_EQ(r.events, std::vector<Event>{Text("ok")});
  }
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Close frames a peer may not send (RFC 6455 section 7.4)

TEST(WsReaderCloseCodes, ReservedAndOutOfRangeCodesAreProtocolErrors) {
  for (uint16_t code : {0, 999, 1004, 1005, 1006, 1015, 1016, 2999, 5000, 65535}) {
    const auto r = Feed(kMax, Frame(kFin | kClose, ws::close_payload(code, "")));
    EXPECT_EQ(r.error.code, ws::kCloseProtocolError) << "code " << code;
    EXPECT_TRUE(r.events.empty()) << "code " << code;
  }
}

TEST(WsReaderCloseCodes, RegisteredAndApplicationCodesAreAccepted) {
  for (uint16_t code : {1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 3000, 4999}) {
    const auto r = Feed(kMax, Frame(kFin | kClose, ws::close_payload(code, "ok")));
    EXPECT_FALSE(r.error) << "code " << code;
    EXPECT_EQ(r.events, std::vector<Event>{Close(code, "ok")}) << "code " << code;
  }
}

TEST(WsReaderCloseCodes, ReasonMustBeValidUtf8) {
  std::string payload = ws::close_payload(1000, "");
  payload += "\xC3";  // a lone lead byte
  const auto r = Feed(kMax, Frame(kFin | kClose, payload));
  EXPECT_EQ(r.error.code, ws::kCloseInvalidPayload);
  EXPECT_TRUE(r.events.empty());
}

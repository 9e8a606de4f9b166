// RFC 6455 server-side framing: encode_header, close_payload and MessageReader.
#include "http/ws_frame.hpp"

#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <limits>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "core/utf8.hpp"

namespace {

namespace ws = dchat::http::ws;

// ---------------------------------------------------------------------------------------------
// Helpers

struct Event {
  enum Kind { kMessage, kPing, kClose };
  Kind kind = kMessage;
  bool binary = false;
  uint16_t code = 0;
  std::string data;
  bool operator==(const Event&) const = default;
};

[[maybe_unused]] void PrintTo(const Event& e, std::ostream* os) {
  static const char* kinds[] = {"message", "ping", "close"};
  *os << "{" << kinds[e.kind];
  if (e.kind == Event::kMessage) *os << (e.binary ? " binary" : " text");
  if (e.kind == Event::kClose) *os << " code=" << e.code;
  *os << " data[" << e.data.size() << "]=\"" << (e.data.size() <= 40 ? e.data : e.data.substr(0, 40) + "...")
      << "\"}";
}

Event Text(std::string s) { return {Event::kMessage, false, 0, std::move(s)}; }
Event Binary(std::string s) { return {Event::kMessage, true, 0, std::move(s)}; }
Event Ping(std::string s) { return {Event::kPing, false, 0, std::move(s)}; }
Event Close(uint16_t code, std::string reason) { return {Event::kClose, false, code, std::move(reason)}; }

class RecordingSink : public ws::MessageSink {
 public:
  std::vector<Event> events;
  void on_ws_message(bool binary, std::string_view payload) override {
    events.push_back({Event::kMessage, binary, 0, std::string(payload)});
  }
  void on_ws_ping(std::string_view payload) override { events.push_back(Ping(std::string(payload))); }
  void on_ws_close(uint16_t code, std::string_view reason) override {
    events.push_back(Close(code, std::string(reason)));
  }
};

// First-byte values: FIN bit | opcode.
constexpr uint8_t kFin = 0x80;
constexpr uint8_t kCont = 0x0, kText = 0x1, kBin = 0x2, kClose = 0x8, kPing = 0x9, kPong = 0xA;

using Key = std::array<uint8_t, 4>;
constexpr Key kKey{0x37, 0xfa, 0x21, 0x3d};  // the key of the RFC 6455 section 5.7 examples

// Length field forms: the smallest that fits, or forced 16/64-bit.
enum class LenForm { kAuto, k16, k64 };

// Header of a client frame (through the masking key) announcing `len` payload bytes.
std::string Header(uint8_t b0, uint64_t len, bool masked = true, Key key = kKey, LenForm form = LenForm::kAuto) {
  std::string out;
  out.push_back(static_cast<char>(b0));
  const uint8_t m = masked ? 0x80 : 0x00;
  if (form == LenForm::kAuto && len < 126) {
    out.push_back(static_cast<char>(m | len));
  } else if (form == LenForm::k16 || (form == LenForm::kAuto && len <= 0xFFFF)) {
    out.push_back(static_cast<char>(m | 126));
    out.push_back(static_cast<char>(len >> 8));
    out.push_back(static_cast<char>(len & 0xFF));
  } else {
    out.push_back(static_cast<char>(m | 127));
    for (int i = 7; i >= 0; --i) out.push_back(static_cast<char>((len >> (8 * i)) & 0xFF));
  }
  if (masked)
    for (uint8_t k : key) out.push_back(static_cast<char>(k));
  return out;
}

// A complete client frame carrying `payload`, masked with `key` unless `masked` is false.
std::string Frame(uint8_t b0, std::string_view payload, bool masked = true, Key key = kKey,
                  LenForm form = LenForm::kAuto) {
  std::string out = Header(b0, payload.size(), masked, key, form);
  for (size_t i = 0; i < payload.size(); ++i)
    out.push_back(masked ? static_cast<char>(static_cast<uint8_t>(payload[i]) ^ key[i % 4]) : payload[i]);
  return out;
}

std::string Pattern(size_t n) {
  std::string s(n, '\0');
  for (size_t i = 0; i < n; ++i) s[i] = static_cast<char>((i * 31 + 7) & 0xFF);
  return s;
}

struct FeedResult {
  size_t consumed = 0;
  ws::ProtocolError error;
  std::vector<Event> events;
};

// One feed() call over a copy of `bytes` (the reader unmasks in place) held in an exactly sized
// heap buffer, so AddressSanitizer reports any read past the given length.
FeedResult Feed(ws::MessageReader& reader, const std::string& bytes) {
  FeedResult r;
  RecordingSink sink;
  std::vector<char> exact(bytes.begin(), bytes.end());
  r.consumed = reader.feed(exact.data(), exact.size(), sink, r.error);
  r.events = std::move(sink.events);
  return r;
}

FeedResult Feed(uint64_t max, const std::string& bytes) {
  ws::MessageReader reader(max);
  return Feed(reader, bytes);
}

struct StreamResult {
  std::vector<Event> events;
  ws::ProtocolError error;
  size_t leftover = 0;  // bytes still buffered, unconsumed, at the end
};

// Delivers `bytes` `chunk` bytes at a time the way a connection does: append to a buffer, feed,
// drop what was consumed, keep the rest. Stops at an error or after a close frame.
StreamResult Stream(ws::MessageReader& reader, std::string_view bytes, size_t chunk) {
  StreamResult r;
  RecordingSink sink;
  std::string buffer;
  for (size_t off = 0; off < bytes.size(); off += chunk) {
    buffer.append(bytes.substr(off, chunk));
    // Exactly sized copy (see Feed); unconsumed bytes are left untouched, so `buffer` stays valid.
    std::vector<char> exact(buffer.begin(), buffer.end());
    const size_t consumed = reader.feed(exact.data(), exact.size(), sink, r.error);
    EXPECT_LE(consumed, buffer.size());
    buffer.erase(0, consumed);
    if (r.error || (!sink.events.empty() && sink.events.back().kind == Event::kClose)) break;
  }
  r.events = std::move(sink.events);
  r.leftover = buffer.size();
  return r;
}

constexpr uint64_t kMax = 1 << 20;

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

// Engine.IO v4 packets: decode_text_packet, decode_payload, WirePacket, encode_payload.
#include "engineio/packet.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

namespace dchat::engineio {
// Readable failure output for Packet (gtest would otherwise dump raw bytes).
[[maybe_unused]] void PrintTo(const Packet& p, std::ostream* os) {
  *os << "{type=" << static_cast<int>(p.type) << (p.binary ? " binary" : " text") << " data[" << p.data.size()
      << "]=\"" << p.data << "\"}";
}
}  // namespace dchat::engineio

namespace {

namespace eio = dchat::engineio;
using eio::Packet;
using eio::PacketType;
using eio::WirePacket;
using eio::WirePacketPtr;

Packet Text(PacketType type, std::string data = {}) { return Packet{type, false, std::move(data)}; }
Packet BinaryMessage(std::string bytes) { return Packet{PacketType::message, true, std::move(bytes)}; }

std::vector<uint8_t> HeaderBytes(const dchat::http::ws::FrameHeader& h) {
  return {h.bytes.begin(), h.bytes.begin() + h.size};
}

// ---------------------------------------------------------------------------------------------
// decode_text_packet

TEST(EngineIoDecodeText, EveryPacketType) {
  struct Case {
    const char* wire;
    PacketType type;
    const char* data;
  };
  const Case cases[] = {
      {"0{\"sid\":\"abc\"}", PacketType::open, "{\"sid\":\"abc\"}"},
      {"1", PacketType::close, ""},
      {"2", PacketType::ping, ""},
      {"2probe", PacketType::ping, "probe"},
      {"3", PacketType::pong, ""},
      {"3probe", PacketType::pong, "probe"},
      {"4hello", PacketType::message, "hello"},
      {"5", PacketType::upgrade, ""},
      {"6", PacketType::noop, ""},
  };
  for (const auto& c : cases) {
    const auto p = eio::decode_text_packet(c.wire);
    ASSERT_TRUE(p.has_value()) << c.wire;
    EXPECT_EQ(*p, Text(c.type, c.data)) << c.wire;
    EXPECT_FALSE(p->binary);
  }
}

TEST(EngineIoDecodeText, MessageDataIsKeptVerbatim) {
  // A WebSocket frame carries exactly one packet, so even a record separator is just data.
  const std::string data("a\x1e" "b\0c\xC3\xA9 4{}", 10);
  const auto p = eio::decode_text_packet("4" + data);
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(p->type, PacketType::message);
  EXPECT_EQ(p->data, data);
}

TEST(EngineIoDecodeText, EmptyMessage) {
  const auto p = eio::decode_text_packet("4");
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(*p, Text(PacketType::message, ""));
}

TEST(EngineIoDecodeText, EmptyFrameIsMalformed) { EXPECT_EQ(eio::decode_text_packet(""), std::nullopt); }

TEST(EngineIoDecodeText, BadTypeCharIsMalformed) {
  for (const char* bad : {"7", "8", "9", "/", ":", "a", "b", "bAQID", " 4", "-1", "\x1e"})
    EXPECT_EQ(eio::decode_text_packet(bad), std::nullopt) << bad;
  EXPECT_EQ(eio::decode_text_packet(std::string("\0hello", 6)), std::nullopt);
}

// ---------------------------------------------------------------------------------------------
// decode_payload

TEST(EngineIoDecodePayload, SinglePacket) {
  const auto packets = eio::decode_payload("4hello");
  ASSERT_TRUE(packets.has_value());
  EXPECT_EQ(*packets, std::vector<Packet>{Text(PacketType::message, "hello")});
}

TEST(EngineIoDecodePayload, TextAndBinaryPackets) {
  const auto packets = eio::decode_payload("4hello\x1e" "bAQIDBA==");
  ASSERT_TRUE(packets.has_value());
  EXPECT_EQ(*packets, (std::vector<Packet>{Text(PacketType::message, "hello"),
                                          BinaryMessage(std::string("\x01\x02\x03\x04", 4))}));
}

TEST(EngineIoDecodePayload, SeveralPacketsOfDifferentTypes) {
  const auto packets = eio::decode_payload("2\x1e" "3probe\x1e" "4\x1e" "bAA==\x1e" "6\x1e" "1");
  ASSERT_TRUE(packets.has_value());
  EXPECT_EQ(*packets, (std::vector<Packet>{Text(PacketType::ping), Text(PacketType::pong, "probe"),
                                          Text(PacketType::message, ""), BinaryMessage(std::string(1, '\0')),
                                          Text(PacketType::noop), Text(PacketType::close)}));
}

TEST(EngineIoDecodePayload, TextMessageStartingWithBIsNotBinary) {
  const auto packets = eio::decode_payload("4bAQIDBA==");
  ASSERT_TRUE(packets.has_value());
  EXPECT_EQ(*packets, std::vector<Packet>{Text(PacketType::message, "bAQIDBA==")});
}

TEST(EngineIoDecodePayload, EmptyBodyIsMalformed) { EXPECT_EQ(eio::decode_payload(""), std::nullopt); }

TEST(EngineIoDecodePayload, EmptyPacketAnywhereIsMalformed) {
  for (const char* bad : {"\x1e", "\x1e\x1e", "4a\x1e", "\x1e" "4a", "4a\x1e\x1e" "4b"})
    EXPECT_EQ(eio::decode_payload(bad), std::nullopt) << "input has " << std::string(bad).size() << " bytes";
}

TEST(EngineIoDecodePayload, BadPacketTypeAnywhereIsMalformed) {
  EXPECT_EQ(eio::decode_payload("9"), std::nullopt);
  EXPECT_EQ(eio::decode_payload("4hello\x1e" "9x"), std::nullopt);
  EXPECT_EQ(eio::decode_payload("xyz\x1e" "4hello"), std::nullopt);
}

TEST(EngineIoDecodePayload, BadBase64IsMalformed) {
  for (const char* bad : {"bAQIDBA", "bAQIDBA=", "bAQID!A==", "bA", "b====", "bAQIDBA== ", "b-_8="}) {
    EXPECT_EQ(eio::decode_payload(bad), std::nullopt) << bad;
    EXPECT_EQ(eio::decode_payload(std::string("4ok\x1e") + bad), std::nullopt) << bad;
  }
}

// A polling body is text; a "b" packet whose base64 contains non-ASCII bytes is not base64.
TEST(EngineIoDecodePayload, NonAsciiBytesInBase64AreMalformed) {
  EXPECT_EQ(eio::decode_payload("b\xff\xff\xff\xff"), std::nullopt);
  EXPECT_EQ(eio::decode_payload("4ok\x1e" "bAQID\xc3\xa9=="), std::nullopt);
}

// ---------------------------------------------------------------------------------------------
// WirePacket

TEST(EngineIoWirePacket, TextPacketCarriesTypeDigitAndTextFrameHeader) {
  const WirePacketPtr p = WirePacket::make(PacketType::message, "hello");
  EXPECT_FALSE(p->binary());
  EXPECT_EQ(p->data(), "4hello");
  EXPECT_EQ(HeaderBytes(p->ws_header()), (std::vector<uint8_t>{0x81, 0x06}));
  EXPECT_EQ(p->wire_size(), 8u);
}

TEST(EngineIoWirePacket, EveryTypeDigit) {
  EXPECT_EQ(WirePacket::make(PacketType::open, "{}")->data(), "0{}");
  EXPECT_EQ(WirePacket::make(PacketType::close)->data(), "1");
  EXPECT_EQ(WirePacket::make(PacketType::ping)->data(), "2");
  EXPECT_EQ(WirePacket::make(PacketType::pong, "probe")->data(), "3probe");
  EXPECT_EQ(WirePacket::make(PacketType::message, "")->data(), "4");
  EXPECT_EQ(WirePacket::make(PacketType::upgrade)->data(), "5");
  EXPECT_EQ(WirePacket::make(PacketType::noop)->data(), "6");
}

TEST(EngineIoWirePacket, BinaryPacketIsRawBytesWithBinaryFrameHeader) {
  const WirePacketPtr p = WirePacket::make_binary(std::string("\x01\x02\x03", 3));
  EXPECT_TRUE(p->binary());
  EXPECT_EQ(p->data(), std::string("\x01\x02\x03", 3));
  EXPECT_EQ(HeaderBytes(p->ws_header()), (std::vector<uint8_t>{0x82, 0x03}));
  EXPECT_EQ(p->wire_size(), 5u);
}

TEST(EngineIoWirePacket, LargePacketsGetExtendedLengthHeaders) {
  const auto medium = WirePacket::make(PacketType::message, std::string(299, 'm'));  // 300 bytes
  EXPECT_EQ(HeaderBytes(medium->ws_header()), (std::vector<uint8_t>{0x81, 0x7E, 0x01, 0x2C}));
  EXPECT_EQ(medium->wire_size(), 304u);
  const auto large = WirePacket::make_binary(std::string(70000, 'b'));
  EXPECT_EQ(HeaderBytes(large->ws_header()),
            (std::vector<uint8_t>{0x82, 0x7F, 0, 0, 0, 0, 0, 0x01, 0x11, 0x70}));
  EXPECT_EQ(large->wire_size(), 70010u);
}

TEST(EngineIoWirePacket, TextPacketDecodesBack) {
  const auto wire = WirePacket::make(PacketType::message, "42[\"chat\",\"hi\"]");
  const auto p = eio::decode_text_packet(wire->data());
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(*p, Text(PacketType::message, "42[\"chat\",\"hi\"]"));
}

// ---------------------------------------------------------------------------------------------
// encode_payload

TEST(EngineIoEncodePayload, NoPackets) {
  std::string out;
  EXPECT_EQ(eio::encode_payload({}, 1000, out), 0u);
  EXPECT_EQ(out, "");
}

TEST(EngineIoEncodePayload, TextAndBinaryIsTheInverseOfDecode) {
  const std::vector<WirePacketPtr> packets = {WirePacket::make(PacketType::message, "hello"),
                                              WirePacket::make_binary(std::string("\x01\x02\x03\x04", 4))};
  std::string out;
  EXPECT_EQ(eio::encode_payload(packets, 1000, out), 2u);
  EXPECT_EQ(out, "4hello\x1e" "bAQIDBA==");
  const auto decoded = eio::decode_payload(out);
  ASSERT_TRUE(decoded.has_value());
  EXPECT_EQ(*decoded, (std::vector<Packet>{Text(PacketType::message, "hello"),
                                          BinaryMessage(std::string("\x01\x02\x03\x04", 4))}));
}

TEST(EngineIoEncodePayload, SinglePacketHasNoSeparator) {
  const std::vector<WirePacketPtr> packets = {WirePacket::make(PacketType::ping)};
  std::string out;
  EXPECT_EQ(eio::encode_payload(packets, 1000, out), 1u);
  EXPECT_EQ(out, "2");
}

TEST(EngineIoEncodePayload, StopsBeforeThePacketThatWouldExceedMaxBytes) {
  const std::vector<WirePacketPtr> packets = {WirePacket::make(PacketType::message, "aaaa"),
                                              WirePacket::make(PacketType::message, "bbbb"),
                                              WirePacket::make(PacketType::message, "cccc")};
  struct Case {
    size_t max_bytes;
    size_t count;
    std::string body;
  };
  const Case cases[] = {
      {17, 3, "4aaaa\x1e" "4bbbb\x1e" "4cccc"},  // exactly fits
      {1000, 3, "4aaaa\x1e" "4bbbb\x1e" "4cccc"},
      {16, 2, "4aaaa\x1e" "4bbbb"},
      {11, 2, "4aaaa\x1e" "4bbbb"},  // exactly fits, separator counted
      {10, 1, "4aaaa"},
      {5, 1, "4aaaa"},
  };
  for (const auto& c : cases) {
    std::string out;
    EXPECT_EQ(eio::encode_payload(packets, c.max_bytes, out), c.count) << "max_bytes=" << c.max_bytes;
    EXPECT_EQ(out, c.body) << "max_bytes=" << c.max_bytes;
    EXPECT_LE(out.size(), c.max_bytes);
  }
}

TEST(EngineIoEncodePayload, AlwaysIncludesAtLeastOnePacket) {
  const std::vector<WirePacketPtr> packets = {WirePacket::make(PacketType::message, std::string(50, 'x')),
                                              WirePacket::make(PacketType::message, "y")};
  for (size_t max_bytes : {size_t{0}, size_t{1}, size_t{50}}) {
    std::string out;
    EXPECT_EQ(eio::encode_payload(packets, max_bytes, out), 1u) << "max_bytes=" << max_bytes;
    EXPECT_EQ(out, "4" + std::string(50, 'x'));
  }
}

TEST(EngineIoEncodePayload, BinarySizeIsCountedAsItsBase64Form) {
  // For every small binary length, a limit of exactly the encoded size includes the packet and
  // one byte less excludes it: the size estimate matches the real base64 length.
  for (size_t n = 0; n <= 10; ++n) {
    const std::string bytes(n, '\xAB');
    const std::vector<WirePacketPtr> packets = {WirePacket::make(PacketType::message, "a"),
                                                WirePacket::make_binary(bytes)};
    const size_t encoded = 1 + (n + 2) / 3 * 4;  // "b" + padded base64
    const size_t full = 2 + 1 + encoded;         // "4a" + separator + binary
    std::string out;
    EXPECT_EQ(eio::encode_payload(packets, full, out), 2u) << "n=" << n;
    EXPECT_EQ(out.size(), full) << "n=" << n;
    std::string out2;
    EXPECT_EQ(eio::encode_payload(packets, full - 1, out2), 1u) << "n=" << n;
    EXPECT_EQ(out2, "4a");
  }
}

TEST(EngineIoEncodePayload, EncodeDecodeRoundTripOfManyPackets) {
  std::vector<WirePacketPtr> packets;
  std::vector<Packet> expected;
  for (int i = 0; i < 20; ++i) {
    if (i % 3 == 0) {
      std::string bytes(static_cast<size_t>(i), static_cast<char>(i * 13));
      packets.push_back(WirePacket::make_binary(bytes));
      expected.push_back(BinaryMessage(bytes));
    } else {
      const std::string text = "42[\"m\"," + std::to_string(i) + "]";
      packets.push_back(WirePacket::make(PacketType::message, text));
      expected.push_back(Text(PacketType::message, text));
    }
  }
  std::string out;
  ASSERT_EQ(eio::encode_payload(packets, SIZE_MAX, out), packets.size());
  const auto decoded = eio::decode_payload(out);
  ASSERT_TRUE(decoded.has_value());
  EXPECT_EQ(*decoded, expected);
}

}  // namespace

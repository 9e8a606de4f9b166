// Helpers shared by the Socket.IO packet tests: decoding a whole Engine.IO message as the server
// does, wrapping a Socket.IO packet's text in one, and the decode/reject assertions.
#pragma once

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "engineio/packet.hpp"
#include "socketio/packet.hpp"

namespace packet_test {

namespace sio = dchat::socketio;
namespace eio = dchat::engineio;
namespace json = boost::json;
using sio::PacketType;

// Decodes a whole Engine.IO message as the server does: Engine.IO first, then Socket.IO.
inline sio::DecodeResult DecodeMessage(std::string_view wire) {
  const auto packet = eio::decode_text_packet(wire);
  if (!packet || packet->type != eio::PacketType::message || packet->binary)
    return {std::nullopt, "not an Engine.IO message"};
  return sio::decode(packet->data);
}

// The Engine.IO message that carries a Socket.IO packet's text.
inline std::string AsMessage(const std::string& sio_text) {
  return eio::WirePacket::make(eio::PacketType::message, sio_text)->data();
}

inline json::value J(std::string_view text) { return json::parse(text); }

inline ::testing::AssertionResult Decodes(const sio::DecodeResult& r) {
  if (r.packet && r.error == nullptr) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "decode failed: " << (r.error ? r.error : "(no error text)");
}

inline ::testing::AssertionResult Rejects(std::string_view text) {
  const auto r = sio::decode(text);
  if (r.packet) {
    return ::testing::AssertionFailure() << "'" << text << "' decoded as type " << int(r.packet->type)
                                         << " nsp " << r.packet->nsp << " data " << json::serialize(r.packet->data);
  }
  if (r.error == nullptr || *r.error == '\0')
    return ::testing::AssertionFailure() << "'" << text << "' rejected without an error text";
  return ::testing::AssertionSuccess();
}

inline void ExpectError(std::string_view text, std::string_view error) {
  const auto r = sio::decode(text);
  EXPECT_FALSE(r.packet.has_value()) << text;
  ASSERT_NE(r.error, nullptr) << text;
  EXPECT_EQ(std::string_view(r.error), error) << text;
}

}  // namespace packet_test

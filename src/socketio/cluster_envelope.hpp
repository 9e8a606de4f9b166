#pragma once
// What one replica tells the others about a namespace, as bytes for a Broker: a broadcast (the
// already-encoded packet frames plus the rooms/except/volatile options), a sockets_join,
// sockets_leave or disconnect_sockets command, or a fetch_sockets request and its reply.
//
// Hand-written length-prefixed binary rather than JSON or MessagePack: the payload is mostly the
// packet's own bytes (text and binary attachments), which JSON would have to escape or base64,
// and the format is small enough to fuzz (tests/fuzz/cluster_envelope_fuzzer.cpp).
#include <boost/json/value.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace dchat::socketio {

struct ClusterFrame {
  bool binary = false;
  std::string data;  // text: the Engine.IO packet ("4..."); binary: the attachment bytes
};

struct ClusterSocketInfo {
  std::string id;
  std::vector<std::string> rooms;
  std::string data_json;  // socket.data serialized
};

struct ClusterEnvelope {
  enum class Type : uint8_t {
    broadcast = 1,
    sockets_join = 2,
    sockets_leave = 3,
    fetch_request = 4,
    fetch_reply = 5,
    disconnect_sockets = 6,
  };
  Type type = Type::broadcast;
  std::string origin;              // node id of the sender
  uint64_t request_id = 0;         // fetch_request / fetch_reply
  bool is_volatile = false;
  bool close_connection = false;   // disconnect_sockets: also close the connections
  std::vector<std::string> rooms;
  std::vector<std::string> except;
  std::string room;                // sockets_join / sockets_leave: the room to join or leave
  std::vector<ClusterFrame> frames;            // broadcast
  std::vector<ClusterSocketInfo> sockets;      // fetch_reply
};

std::string encode_envelope(const ClusterEnvelope& envelope);
// nullopt when the bytes are not a well-formed envelope of a known version.
std::optional<ClusterEnvelope> decode_envelope(std::string_view bytes);

}  // namespace dchat::socketio

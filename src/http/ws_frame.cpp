#include "http/ws_frame.hpp"

#include <cstring>

#include "core/utf8.hpp"

namespace dchat::http::ws {

FrameHeader encode_header(Opcode opcode, uint64_t payload_len) noexcept {
  FrameHeader h;
  h.bytes[0] = static_cast<uint8_t>(0x80 | static_cast<uint8_t>(opcode));
  if (payload_len < 126) {
    h.bytes[1] = static_cast<uint8_t>(payload_len);
    h.size = 2;
  } else if (payload_len <= 0xFFFF) {
    h.bytes[1] = 126;
    h.bytes[2] = static_cast<uint8_t>(payload_len >> 8);
    h.bytes[3] = static_cast<uint8_t>(payload_len);
    h.size = 4;
  } else {
    h.bytes[1] = 127;
    for (int i = 0; i < 8; ++i) h.bytes[2 + i] = static_cast<uint8_t>(payload_len >> (56 - 8 * i));
    h.size = 10;
  }
  return h;
}

std::string close_payload(uint16_t code, std::string_view reason) {
  if (reason.size() > 123) {
    // Cut on a character boundary: a close reason must stay valid UTF-8.
    size_t cut = 123;
    while (cut > 0 && (static_cast<unsigned char>(reason[cut]) & 0xC0) == 0x80) --cut;
    reason = reason.substr(0, cut);
  }
  std::string out;
  out.reserve(2 + reason.size());
  out.push_back(static_cast<char>(code >> 8));
  out.push_back(static_cast<char>(code & 0xFF));
  out.append(reason);
  return out;
}

namespace {

void unmask(char* data, uint64_t len, const uint8_t key[4]) noexcept {
  // Word-at-a-time unmasking; the key repeats every 4 bytes so an 8-byte key works.
  uint64_t key64;
  uint8_t k8[8] = {key[0], key[1], key[2], key[3], key[0], key[1], key[2], key[3]};
  std::memcpy(&key64, k8, 8);
  uint64_t i = 0;
  for (; i + 8 <= len; i += 8) {
    uint64_t w;
    std::memcpy(&w, data + i, 8);
    w ^= key64;
    std::memcpy(data + i, &w, 8);
  }
  for (; i < len; ++i) data[i] = static_cast<char>(data[i] ^ key[i & 3]);
}

bool is_control(uint8_t opcode) noexcept { return opcode & 0x8; }

}  // namespace

namespace {

// One frame's header as read off the wire; `header_len` includes the masking key.
struct IncomingFrame {
  bool fin = false;
  uint8_t opcode = 0;
  uint64_t payload_len = 0;
  size_t header_len = 0;
  uint8_t key[4] = {};
};

enum class HeaderRead { complete, need_more, invalid };

// Reads and checks the header at the start of [p, p+avail). `fragments_so_far` is the size of
// the fragmented message being assembled, so an oversized message is refused from its header,
// before its payload is ever buffered.
HeaderRead read_header(const uint8_t* p, size_t avail, uint64_t fragments_so_far, uint64_t max_message_size,
                       IncomingFrame& h, ProtocolError& error) {
  h.fin = p[0] & 0x80;
  const uint8_t rsv = p[0] & 0x70;
  h.opcode = p[0] & 0x0F;
  const bool masked = p[1] & 0x80;
  h.payload_len = p[1] & 0x7F;
  h.header_len = 2;
  auto invalid = [&](uint16_t code, const char* why) {
    error = {code, why};
    return HeaderRead::invalid;
  };
  if (rsv != 0) return invalid(kCloseProtocolError, "reserved bits set (no extension was negotiated)");
  if (!masked) return invalid(kCloseProtocolError, "client frames must be masked");
  if (h.opcode != 0 && h.opcode != 1 && h.opcode != 2 && h.opcode != 8 && h.opcode != 9 && h.opcode != 10)
    return invalid(kCloseProtocolError, "unknown opcode");
  if (is_control(h.opcode) && (!h.fin || h.payload_len > 125))
    return invalid(kCloseProtocolError, "invalid control frame");
  if (h.payload_len == 126) {
    if (avail < 4) return HeaderRead::need_more;
    h.payload_len = (uint64_t{p[2]} << 8) | p[3];
    h.header_len = 4;
  } else if (h.payload_len == 127) {
    if (avail < 10) return HeaderRead::need_more;
    h.payload_len = 0;
    for (int i = 0; i < 8; ++i) h.payload_len = (h.payload_len << 8) | p[2 + i];
    h.header_len = 10;
    if (h.payload_len >> 63) return invalid(kCloseProtocolError, "invalid frame length");
  }
  const uint64_t message_so_far = (h.opcode == 0 ? fragments_so_far : 0);
  if (!is_control(h.opcode) && h.payload_len + message_so_far > max_message_size)
    return invalid(kCloseTooBig, "message exceeds maxPayload");
  if (avail < h.header_len + 4) return HeaderRead::need_more;
  std::memcpy(h.key, p + h.header_len, 4);
  h.header_len += 4;
  return HeaderRead::complete;
}

// A close frame's body: empty, or a code RFC 6455 7.4 lets a peer send plus a UTF-8 reason.
bool read_close(std::string_view body, uint16_t& code, std::string_view& reason, ProtocolError& error) {
  code = kCloseNormal;
  if (body.empty()) return true;
  if (body.size() == 1) {
    error = {kCloseProtocolError, "invalid close frame"};
    return false;
  }
  code = static_cast<uint16_t>((uint8_t(body[0]) << 8) | uint8_t(body[1]));
  reason = body.substr(2);
  // 1004-1006 and 1015 are reserved.
  const bool valid = (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) || (code >= 3000 && code <= 4999);
  if (!valid) {
    error = {kCloseProtocolError, "invalid close code"};
    return false;
  }
  if (!core::is_valid_utf8(reason)) {
    error = {kCloseInvalidPayload, "close reason is not valid UTF-8"};
    return false;
  }
  return true;
}

}  // namespace

size_t MessageReader::feed(char* data, size_t len, MessageSink& sink, ProtocolError& error) {
  size_t pos = 0;
  while (len - pos >= 2) {
    IncomingFrame h;
    const auto* p = reinterpret_cast<const uint8_t*>(data + pos);
    const HeaderRead read = read_header(p, len - pos, fragments_.size(), max_message_size_, h, error);
    if (read != HeaderRead::complete) return pos;
    if (len - pos - h.header_len < h.payload_len) return pos;

    char* payload = data + pos + h.header_len;
    unmask(payload, h.payload_len, h.key);
    const std::string_view body(payload, h.payload_len);
    pos += h.header_len + h.payload_len;
    if (!on_frame(h.fin, h.opcode, body, sink, error)) return pos;
  }
  return pos;
}

bool MessageReader::on_frame(bool fin, uint8_t opcode, std::string_view body, MessageSink& sink, ProtocolError& error) {
  switch (static_cast<Opcode>(opcode)) {
    case Opcode::ping:
      sink.on_ws_ping(body);
      return true;
    case Opcode::pong:
      return true;
    case Opcode::close: {
      uint16_t code = kCloseNormal;
      std::string_view reason;
      if (read_close(body, code, reason, error)) sink.on_ws_close(code, reason);
      return false;  // nothing after a close frame is read
    }
    case Opcode::text:
    case Opcode::binary:
      return on_data_frame(fin, opcode == 2, body, sink, error);
    case Opcode::continuation:
      return on_continuation(fin, body, sink, error);
  }
  return true;
}

bool MessageReader::on_data_frame(bool fin, bool binary, std::string_view body, MessageSink& sink,
                                  ProtocolError& error) {
  if (in_fragmented_) {
    error = {kCloseProtocolError, "new message inside a fragmented message"};
    return false;
  }
  if (!fin) {
    in_fragmented_ = true;
    fragmented_binary_ = binary;
    fragments_.assign(body);
    return true;
  }
  if (!binary && !core::is_valid_utf8(body)) {
    error = {kCloseInvalidPayload, "text frame is not valid UTF-8"};
    return false;
  }
  sink.on_ws_message(binary, body);
  return true;
}

bool MessageReader::on_continuation(bool fin, std::string_view body, MessageSink& sink, ProtocolError& error) {
  if (!in_fragmented_) {
    error = {kCloseProtocolError, "continuation frame without a message"};
    return false;
  }
  fragments_.append(body);
  if (!fin) return true;
  in_fragmented_ = false;
  if (!fragmented_binary_ && !core::is_valid_utf8(fragments_)) {
    error = {kCloseInvalidPayload, "text message is not valid UTF-8"};
    return false;
  }
  std::string message = std::move(fragments_);
  fragments_.clear();
  fragments_.shrink_to_fit();
  sink.on_ws_message(fragmented_binary_, message);
  return true;
}

}  // namespace dchat::http::ws

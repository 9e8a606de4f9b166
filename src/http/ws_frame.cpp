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

size_t MessageReader::feed(char* data, size_t len, MessageSink& sink, ProtocolError& error) {
  size_t pos = 0;
  while (len - pos >= 2) {
    const auto* p = reinterpret_cast<const uint8_t*>(data + pos);
    const bool fin = p[0] & 0x80;
    const uint8_t rsv = p[0] & 0x70;
    const uint8_t opcode = p[0] & 0x0F;
    const bool masked = p[1] & 0x80;
    uint64_t payload_len = p[1] & 0x7F;
    size_t header_len = 2;

    if (rsv != 0) {
      error = {kCloseProtocolError, "reserved bits set (no extension was negotiated)"};
      return pos;
    }
    if (!masked) {
      error = {kCloseProtocolError, "client frames must be masked"};
      return pos;
    }
    if (opcode != 0 && opcode != 1 && opcode != 2 && opcode != 8 && opcode != 9 && opcode != 10) {
      error = {kCloseProtocolError, "unknown opcode"};
      return pos;
    }
    if (is_control(opcode) && (!fin || payload_len > 125)) {
      error = {kCloseProtocolError, "invalid control frame"};
      return pos;
    }
    if (payload_len == 126) {
      if (len - pos < 4) return pos;
      payload_len = (uint64_t{p[2]} << 8) | p[3];
      header_len = 4;
    } else if (payload_len == 127) {
      if (len - pos < 10) return pos;
      payload_len = 0;
      for (int i = 0; i < 8; ++i) payload_len = (payload_len << 8) | p[2 + i];
      header_len = 10;
      if (payload_len >> 63) {
        error = {kCloseProtocolError, "invalid frame length"};
        return pos;
      }
    }
    // Checked before the payload arrives, so an oversized message is never buffered.
    const uint64_t message_so_far = (opcode == 0 ? fragments_.size() : 0);
    if (!is_control(opcode) && payload_len + message_so_far > max_message_size_) {
      error = {kCloseTooBig, "message exceeds maxPayload"};
      return pos;
    }
    if (len - pos < header_len + 4) return pos;
    uint8_t key[4];
    std::memcpy(key, p + header_len, 4);
    header_len += 4;
    if (len - pos - header_len < payload_len) return pos;

    char* payload = data + pos + header_len;
    unmask(payload, payload_len, key);
    const std::string_view body(payload, payload_len);
    pos += header_len + payload_len;

    switch (static_cast<Opcode>(opcode)) {
      case Opcode::ping:
        sink.on_ws_ping(body);
        break;
      case Opcode::pong:
        break;
      case Opcode::close: {
        if (body.size() == 1) {
          error = {kCloseProtocolError, "invalid close frame"};
          return pos;
        }
        uint16_t code = kCloseNormal;
        std::string_view reason;
        if (body.size() >= 2) {
          code = static_cast<uint16_t>((uint8_t(body[0]) << 8) | uint8_t(body[1]));
          reason = body.substr(2);
          // RFC 6455 7.4: codes a peer may send (1004-1006 and 1015 are reserved).
          const bool valid = (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) ||
                             (code >= 3000 && code <= 4999);
          if (!valid) {
            error = {kCloseProtocolError, "invalid close code"};
            return pos;
          }
          if (!core::is_valid_utf8(reason)) {
            error = {kCloseInvalidPayload, "close reason is not valid UTF-8"};
            return pos;
          }
        }
        sink.on_ws_close(code, reason);
        return pos;  // nothing after a close frame is read
      }
      case Opcode::text:
      case Opcode::binary:
        if (in_fragmented_) {
          error = {kCloseProtocolError, "new message inside a fragmented message"};
          return pos;
        }
        if (fin) {
          if (opcode == 1 && !core::is_valid_utf8(body)) {
            error = {kCloseInvalidPayload, "text frame is not valid UTF-8"};
            return pos;
          }
          sink.on_ws_message(opcode == 2, body);
        } else {
          in_fragmented_ = true;
          fragmented_binary_ = opcode == 2;
          fragments_.assign(body);
        }
        break;
      case Opcode::continuation:
        if (!in_fragmented_) {
          error = {kCloseProtocolError, "continuation frame without a message"};
          return pos;
        }
        fragments_.append(body);
        if (fin) {
          in_fragmented_ = false;
          if (!fragmented_binary_ && !core::is_valid_utf8(fragments_)) {
            error = {kCloseInvalidPayload, "text message is not valid UTF-8"};
            return pos;
          }
          std::string message = std::move(fragments_);
          fragments_.clear();
          fragments_.shrink_to_fit();
          sink.on_ws_message(fragmented_binary_, message);
        }
        break;
    }
  }
  return pos;
}

}  // namespace dchat::http::ws

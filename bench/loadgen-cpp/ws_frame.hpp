// WebSocket framing (RFC 6455 5.2), the part a client needs: write a masked frame, read the
// header of a server frame. Inline: both run once per message on the hot path.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

// Bytes a frame with an n-byte payload takes at most (header, mask key, payload).
constexpr size_t ws_frame_bound(size_t n) { return n + 14; }

// Writes one frame into f (at least ws_frame_bound(n) bytes), the payload masked with key
// (5.3: client frames are masked); returns its length.
inline size_t ws_encode_masked(char* f, uint8_t op, const char* p, size_t n, uint32_t key) {
  size_t hl;
  f[0] = char(0x80 | op);
  if (n < 126) {
    f[1] = char(0x80 | n);
    hl = 2;
  } else if (n < 65536) {
    f[1] = char(0x80 | 126);
    f[2] = char(n >> 8);
    f[3] = char(n);
    hl = 4;
  } else {
    f[1] = char(0x80 | 127);
    for (int i = 0; i < 8; i++) f[2 + i] = char(uint64_t(n) >> (56 - 8 * i));
    hl = 10;
  }
  uint8_t mk[4];
  memcpy(mk, &key, 4);
  memcpy(f + hl, mk, 4);
  char* dst = f + hl + 4;
  for (size_t i = 0; i < n; i++) dst[i] = char(uint8_t(p[i]) ^ mk[i & 3]);
  return hl + 4 + n;
}

struct WsFrameHeader {
  uint8_t op = 0;
  bool fin = false;
  bool masked = false;  // a server must not mask: the caller closes the connection
  size_t header_len = 0;
  uint64_t payload_len = 0;
};

// Reads the header at d (avail bytes, at least 2); false when it is not complete yet.
inline bool ws_decode_header(const char* d, size_t avail, WsFrameHeader& h) {
  uint8_t b0 = uint8_t(d[0]), b1 = uint8_t(d[1]);
  uint64_t len = b1 & 0x7f;
  size_t hl = 2;
  if (len == 126) {
    if (avail < 4) return false;
    len = uint64_t(uint8_t(d[2])) << 8 | uint8_t(d[3]);
    hl = 4;
  } else if (len == 127) {
    if (avail < 10) return false;
    len = 0;
    for (int i = 0; i < 8; i++) len = len << 8 | uint8_t(d[2 + i]);
    hl = 10;
  }
  h.op = b0 & 0x0f;
  h.fin = b0 & 0x80;
  h.masked = b1 & 0x80;
  h.header_len = hl;
  h.payload_len = len;
  return true;
}

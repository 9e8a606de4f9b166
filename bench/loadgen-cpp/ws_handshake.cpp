#include "ws_handshake.hpp"

#include <strings.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string_view>
#include <vector>

namespace {

// SHA-1 and base64 are written out here rather than taken from OpenSSL or Boost: the load
// generator is a dependency-free stand-alone build (standard library and Linux headers only,
// see README.md), and all it needs them for is checking Sec-WebSocket-Accept once per
// connection, never for security.
void sha1(const uint8_t* data, size_t len, uint8_t out[20]) {
  uint32_t h[5] = {0x67452301, 0xEFCDAB89, 0x98BADCFE, 0x10325476, 0xC3D2E1F0};
  std::vector<uint8_t> m(data, data + len);
  m.push_back(0x80);
  while (m.size() % 64 != 56) m.push_back(0);
  uint64_t bits = uint64_t(len) * 8;
  for (int i = 7; i >= 0; i--) m.push_back(uint8_t(bits >> (i * 8)));
  auto rol = [](uint32_t x, int s) { return (x << s) | (x >> (32 - s)); };
  for (size_t off = 0; off < m.size(); off += 64) {
    uint32_t w[80];
    for (int i = 0; i < 16; i++)
      w[i] = uint32_t(m[off + 4 * i]) << 24 | uint32_t(m[off + 4 * i + 1]) << 16 | uint32_t(m[off + 4 * i + 2]) << 8 |
             uint32_t(m[off + 4 * i + 3]);
    for (int i = 16; i < 80; i++) w[i] = rol(w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16], 1);
    uint32_t a = h[0], b = h[1], c = h[2], d = h[3], e = h[4];
    for (int i = 0; i < 80; i++) {
      uint32_t f, k;
      if (i < 20) f = (b & c) | (~b & d), k = 0x5A827999;
      else if (i < 40) f = b ^ c ^ d, k = 0x6ED9EBA1;
      else if (i < 60) f = (b & c) | (b & d) | (c & d), k = 0x8F1BBCDC;
      else f = b ^ c ^ d, k = 0xCA62C1D6;
      uint32_t t = rol(a, 5) + f + e + k + w[i];
      e = d, d = c, c = rol(b, 30), b = a, a = t;
    }
    h[0] += a, h[1] += b, h[2] += c, h[3] += d, h[4] += e;
  }
  for (int i = 0; i < 5; i++)
    for (int j = 0; j < 4; j++) out[4 * i + j] = uint8_t(h[i] >> (24 - 8 * j));
}

std::string base64(const uint8_t* p, size_t n) {
  static const char* T = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string o;
  for (size_t i = 0; i < n; i += 3) {
    uint32_t v = uint32_t(p[i]) << 16 | (i + 1 < n ? uint32_t(p[i + 1]) << 8 : 0) | (i + 2 < n ? p[i + 2] : 0);
    o += T[(v >> 18) & 63];
    o += T[(v >> 12) & 63];
    o += i + 1 < n ? T[(v >> 6) & 63] : '=';
    o += i + 2 < n ? T[v & 63] : '=';
  }
  return o;
}

const char* find_ci(const char* h, size_t hn, const char* needle) {
  size_t nn = strlen(needle);
  for (size_t i = 0; i + nn <= hn; i++)
    if (strncasecmp(h + i, needle, nn) == 0) return h + i;
  return nullptr;
}

// Whether the head [d, e) carries "Sec-WebSocket-Accept: <accept>".
bool accept_matches(const char* d, size_t hlen, const char* e, const std::string& accept) {
  const char* h = find_ci(d, hlen, "\r\nsec-websocket-accept:");
  if (!h) return false;
  h += 23;
  while (h < e && (*h == ' ' || *h == '\t')) h++;
  const char* v = h;
  while (h < e && *h != '\r' && *h != ' ' && *h != '\t') h++;
  return std::string_view(v, size_t(h - v)) == accept;
}

}  // namespace

WsKey make_ws_key(Rng& rng) {
  uint8_t raw[16];
  uint64_t a = rng.next(), b = rng.next();
  memcpy(raw, &a, 8);
  memcpy(raw + 8, &b, 8);
  WsKey k;
  k.key = base64(raw, 16);
  std::string k2 = k.key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
  uint8_t dig[20];
  sha1(reinterpret_cast<const uint8_t*>(k2.data()), k2.size(), dig);
  k.accept = base64(dig, 20);
  return k;
}

std::string upgrade_request(const std::string& path, const std::string& host, int port, const std::string& key,
                            const std::string& cookie) {
  return "GET " + path + "?EIO=4&transport=websocket HTTP/1.1\r\nHost: " + host + ":" + std::to_string(port) +
         "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: " + key +
         "\r\nSec-WebSocket-Version: 13\r\n" + (cookie.empty() ? "" : "Cookie: " + cookie + "\r\n") + "\r\n";
}

UpgradeCheck check_upgrade_response(const char* d, size_t n, const std::string& accept) {
  const char* e = static_cast<const char*>(memmem(d, n, "\r\n\r\n", 4));
  if (!e) {
    if (n > 16384) return {UpgradeCheck::FAILED, "handshake: response too long"};
    return {UpgradeCheck::INCOMPLETE, ""};
  }
  size_t hlen = size_t(e - d);
  if (hlen < 12 || (memcmp(d, "HTTP/1.1 101", 12) != 0 && memcmp(d, "HTTP/1.0 101", 12) != 0)) {
    const char* eol = static_cast<const char*>(memchr(d, '\r', hlen));
    std::string line(d, eol ? size_t(eol - d) : std::min<size_t>(hlen, 60));
    return {UpgradeCheck::FAILED, "handshake: " + line.substr(0, 60)};
  }
  if (!accept_matches(d, hlen, e, accept)) return {UpgradeCheck::FAILED, "handshake: bad Sec-WebSocket-Accept"};
  return {UpgradeCheck::ACCEPTED, "", hlen + 4};
}

#include "chat/device_cookie.hpp"

#include <sodium.h>

#include <algorithm>
#include <charconv>
#include <stdexcept>
#include <vector>

#include "core/random_id.hpp"

namespace dchat::chat {

namespace {

constexpr int64_t kClockSkewSeconds = 300;  // replicas' clocks may differ a little
constexpr size_t kMacHexLength = 2 * crypto_auth_hmacsha256_BYTES;

std::optional<int64_t> parse_int(std::string_view s) {
  if (s.empty() || s.size() > 18 || !std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; }))
    return std::nullopt;
  int64_t v = 0;
  std::from_chars(s.data(), s.data() + s.size(), v);
  return v;
}

bool url_safe(std::string_view s) {
  return !s.empty() && s.size() <= 64 && std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
  });
}

}  // namespace

DeviceCookies::DeviceCookies(std::string key) : key_(std::move(key)) {
  if (key_.size() != crypto_auth_hmacsha256_KEYBYTES) throw std::invalid_argument("the device cookie key must be 32 bytes");
}

std::string DeviceCookies::new_key_hex() {
  unsigned char key[crypto_auth_hmacsha256_KEYBYTES];
  crypto_auth_hmacsha256_keygen(key);
  char hex[2 * sizeof key + 1];
  sodium_bin2hex(hex, sizeof hex, key, sizeof key);
  sodium_memzero(key, sizeof key);
  return hex;
}

std::string DeviceCookies::key_from_hex(std::string_view hex) {
  std::string key(crypto_auth_hmacsha256_KEYBYTES, '\0');
  size_t length = 0;
  const char* end = nullptr;
  if (hex.size() != 2 * key.size() ||
      sodium_hex2bin(reinterpret_cast<unsigned char*>(key.data()), key.size(), hex.data(), hex.size(), nullptr,
                     &length, &end) != 0 ||
      length != key.size() || end != hex.data() + hex.size())
    return {};
  return key;
}

std::string DeviceCookies::mac_hex(std::string_view payload) const {
  unsigned char mac[crypto_auth_hmacsha256_BYTES];
  crypto_auth_hmacsha256_state state;
  crypto_auth_hmacsha256_init(&state, reinterpret_cast<const unsigned char*>(key_.data()), key_.size());
  // Domain-separated: this key signs nothing else.
  static constexpr std::string_view kContext = "chat_device v1\n";
  crypto_auth_hmacsha256_update(&state, reinterpret_cast<const unsigned char*>(kContext.data()), kContext.size());
  crypto_auth_hmacsha256_update(&state, reinterpret_cast<const unsigned char*>(payload.data()), payload.size());
  crypto_auth_hmacsha256_final(&state, mac);
  char hex[kMacHexLength + 1];
  sodium_bin2hex(hex, sizeof hex, mac, sizeof mac);
  return hex;
}

std::string DeviceCookies::issue(int64_t user_id, int64_t now_s, std::string nonce) const {
  if (!url_safe(nonce)) nonce = core::random_id(16);
  std::string payload = std::to_string(user_id) + "." + std::to_string(now_s) + "." + nonce;
  const std::string mac = mac_hex(payload);
  return payload + "." + mac;
}

std::optional<Device> DeviceCookies::verify(std::string_view value, int64_t now_s) const {
  const size_t last_dot = value.rfind('.');
  if (last_dot == std::string_view::npos) return std::nullopt;
  const std::string_view payload = value.substr(0, last_dot);
  const std::string_view mac = value.substr(last_dot + 1);
  if (mac.size() != kMacHexLength) return std::nullopt;
  // Compared in constant time, so the MAC cannot be found byte by byte from response times.
  const std::string expected = mac_hex(payload);
  if (sodium_memcmp(expected.data(), mac.data(), kMacHexLength) != 0) return std::nullopt;

  std::vector<std::string_view> parts;
  for (std::string_view rest = payload;;) {
    const size_t dot = rest.find('.');
    parts.push_back(rest.substr(0, dot));
    if (dot == std::string_view::npos) break;
    rest.remove_prefix(dot + 1);
  }
  if (parts.size() != 3) return std::nullopt;
  const auto user_id = parse_int(parts[0]);
  const auto issued = parse_int(parts[1]);
  if (!user_id || !issued || !url_safe(parts[2])) return std::nullopt;
  if (*issued > now_s + kClockSkewSeconds || now_s - *issued > kDeviceCookieMaxAgeSeconds) return std::nullopt;
  return Device{*user_id, std::string(parts[2])};
}

}  // namespace dchat::chat

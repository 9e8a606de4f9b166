#pragma once
// Device cookies (OWASP's defence against lockout of the owner): after a successful sign-in the
// browser gets a long-lived `chat_device` cookie that says "this device has signed in as user N
// before". A sign-in for N's name that presents one is not subject to the name's slowdown
// (sign_in_slowdown.hpp) but to a limit of its own, per device; so guessing N's password from
// elsewhere slows everyone without a device cookie down, never the owner's own browsers.
//
// The cookie is "<user id>.<issued, unix s>.<nonce>.<HMAC-SHA256>", the MAC over the rest with a
// key every replica shares (kept in the database: Store::shared_secret), so any replica can check
// a cookie another one issued, without a database lookup. It grants nothing by itself: the
// password is still checked. Stolen, it gives a thief only the device's own small budget.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace dchat::chat {

inline constexpr const char* kDeviceCookie = "chat_device";
// The store's name for the key (Store::shared_secret).
inline constexpr const char* kDeviceKeyName = "device_cookie_hmac";
inline constexpr int64_t kDeviceCookieMaxAgeSeconds = 365 * 24 * 3600;

struct Device {
  int64_t user_id = 0;
  std::string nonce;  // tells this device from the user's others (its own limit counts by it)
};

class DeviceCookies {
 public:
  // `key`: 32 bytes. Throws std::invalid_argument otherwise.
  explicit DeviceCookies(std::string key);

  // A new cookie value for `user_id`; `nonce` keeps a device's identity when its cookie is
  // renewed (empty: a new device).
  std::string issue(int64_t user_id, int64_t now_s, std::string nonce = {}) const;
  // The device a cookie value stands for, when its MAC is right and it has not expired.
  std::optional<Device> verify(std::string_view value, int64_t now_s) const;

  // A fresh random key, hex (what the first replica offers to Store::shared_secret).
  static std::string new_key_hex();
  // The key from its hex form; empty when it is not 64 hex digits.
  static std::string key_from_hex(std::string_view hex);

 private:
  std::string mac_hex(std::string_view payload) const;
  std::string key_;
};

}  // namespace dchat::chat

#pragma once
// Reading one cookie from a Cookie header, and writing Set-Cookie values.
#include <optional>
#include <string>
#include <string_view>

namespace dchat::http {

std::optional<std::string> cookie_value(std::string_view cookie_header, std::string_view name);

struct CookieOptions {
  long max_age_seconds = -1;  // -1: a session cookie; 0: delete
  bool secure = false;
  const char* path = "/";  // a narrower path keeps the cookie out of every other request
};
std::string set_cookie(std::string_view name, std::string_view value, const CookieOptions& options);

}  // namespace dchat::http

#pragma once
// Pure checks on a parsed request: query parameters and the allowed-origin rule. No I/O;
// header-only so the HTTP request fuzz target (tests/fuzz, built with clang) runs exactly the
// code the server runs.
#include <boost/url/parse_query.hpp>

#include <cstdint>
#include <exception>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "http/request_context.hpp"

namespace dchat::http {

// The decoded value of the first `key` parameter of a query string ("" when it has no '='),
// nullopt when there is none or the query is not valid.
inline std::optional<std::string> query_param(std::string_view query, std::string_view key) {
  // Boost.URL 1.81's parse_query rebuilds its view from data() alone (strlen), so it needs a
  // NUL-terminated copy; a view into the request would be read past its end (found by ASan).
  const std::string terminated(query);
  auto params = boost::urls::parse_query(terminated);
  if (!params) return std::nullopt;
  for (auto param : *params) {
    if (param.key.decode() == key) return param.has_value ? param.value.decode() : std::string();
  }
  return std::nullopt;
}

// The first `key` parameter that has a value, as a whole integer; nullopt when there is none,
// or its value is not a number (or out of range).
inline std::optional<int64_t> query_int(std::string_view query, std::string_view key) {
  const std::string terminated(query);  // Boost.URL 1.81 needs a NUL-terminated string (see above)
  auto params = boost::urls::parse_query(terminated);
  if (!params) return std::nullopt;
  for (auto p : *params) {
    if (p.key.decode() != key || !p.has_value) continue;
    try {
      size_t used = 0;
      const std::string v = p.value.decode();
      const long long n = std::stoll(v, &used);
      if (used == v.size()) return n;
    } catch (const std::exception&) {
    }
    return std::nullopt;
  }
  return std::nullopt;
}

// Whether `origin` is this server's own: scheme and host[:port] both. The scheme is the one the
// client used: https only when a trusted proxy says so (`https`), else http; a page served
// over plain http must not pass for the https site of the same host.
inline bool is_own_origin(std::string_view origin, std::string_view host, bool https) {
  const std::string_view scheme = https ? "https://" : "http://";
  return !host.empty() && origin.size() == scheme.size() + host.size() && origin.starts_with(scheme) &&
         origin.substr(scheme.size()) == host;
}

// How a request's Origin is allowed, if it is: absent (not a browser, or a same-origin GET),
// own (same origin), listed (in `allowed_origins`), or any ("*" in the list, which allows
// every origin but never with credentials).
enum class OriginMatch { refused, absent, own, listed, any };

inline OriginMatch match_origin(const Request& req, const std::vector<std::string>& allowed_origins,
                                bool https = false) {
  const auto origin = req[beast::http::field::origin];
  if (origin.empty()) return OriginMatch::absent;
  if (is_own_origin(origin, req[beast::http::field::host], https)) return OriginMatch::own;
  bool any = false;
  for (const auto& allowed : allowed_origins) {
    if (allowed == origin) return OriginMatch::listed;
    any = any || allowed == "*";
  }
  return any ? OriginMatch::any : OriginMatch::refused;
}

inline bool origin_allowed(const Request& req, const std::vector<std::string>& allowed_origins, bool https = false) {
  return match_origin(req, allowed_origins, https) != OriginMatch::refused;
}

}  // namespace dchat::http

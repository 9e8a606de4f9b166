#pragma once
// Helpers for JSON APIs on top of responses.hpp: answering with a JSON body or an error, and
// the same-origin check for requests that change state.
#include <boost/json/value.hpp>

#include "http/responses.hpp"

namespace dchat::http {

// Writes the JSON body with `status` and decides whether the connection can be kept.
// Parameters are taken by value on purpose: Asio coroutines start suspended, so a reference to a
// caller's temporary would dangle by the time the body runs.
asio::awaitable<Outcome> reply_json(RequestContext& ctx, beast::http::status status, boost::json::value body,
                                    std::vector<std::pair<std::string, std::string>> headers = {});
// `code` and `message` are copied before the first suspension (this is not a coroutine).
asio::awaitable<Outcome> reply_error(RequestContext& ctx, beast::http::status status, std::string_view code,
                                     std::string_view message);

// True when the request comes from our own origin, or from a non-browser client (no Origin and
// no Sec-Fetch-Site header). Browsers always send one of them on cross-site POSTs.
// `https`: the client used https (as a trusted proxy reports); the Origin's scheme must match.
bool same_origin(const Request& req, bool https = false);

// The path segment after `prefix` ("/api/rooms/12/messages" with "/api/rooms/" gives "12").
std::string_view path_segment(std::string_view path, std::string_view prefix);

}  // namespace dchat::http

#pragma once
// Writing responses. Errors are always JSON: {"code":N,"message":"..."} or {"error":"..."}.
#include <boost/json/value.hpp>

#include "http/request_context.hpp"

namespace dchat::http {

// Writes `res` (filling Content-Length and keep-alive from the request, and HSTS when a trusted
// proxy says the request came over https); false on I/O error. When the request's body was not
// read, `res` says Connection: close and res.keep_alive() is false afterwards: callers keep the
// connection only when it is still true.
asio::awaitable<bool> write_response(RequestContext& ctx, Response& res);

Response make_response(const Request& req, beast::http::status status, std::string body,
                       std::string_view content_type);
Response make_json_response(const Request& req, beast::http::status status, const boost::json::value& body);

// Reads the request body into the parser (limit in bytes). false when the body was too large
// (a 413 has then been sent) or the connection failed.
asio::awaitable<bool> read_body(RequestContext& ctx, uint64_t limit);

}  // namespace dchat::http

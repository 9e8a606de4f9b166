#include "http/api_responses.hpp"

#include "http/request_checks.hpp"

#include <boost/json/serialize.hpp>
#include <spdlog/spdlog.h>

namespace dchat::http {

namespace bhttp = beast::http;

asio::awaitable<Outcome> reply_json(RequestContext& ctx, bhttp::status status, boost::json::value body,
                                    std::vector<std::pair<std::string, std::string>> headers) {
  auto res = make_json_response(ctx.parser.get(), status, body);
  for (auto& [name, value] : headers) res.insert(name, value);
  // An unread body would be parsed as the next request: close instead.
  if (!ctx.parser.is_done() && (ctx.parser.content_length().value_or(0) > 0 || ctx.parser.chunked()))
    res.keep_alive(false);
  const bool ok = co_await write_response(ctx, res);
  co_return ok && res.keep_alive() ? Outcome::keep_alive : Outcome::close;
}

asio::awaitable<Outcome> reply_error(RequestContext& ctx, bhttp::status status, std::string_view code,
                                     std::string_view message) {
  if (static_cast<int>(status) >= 500) {
    spdlog::warn("http: {} {}: {}", std::string_view(ctx.parser.get().method_string()), ctx.path, message);
  } else {
    spdlog::debug("http: {} {}: {} ({})", std::string_view(ctx.parser.get().method_string()), ctx.path, code, message);
  }
  return reply_json(ctx, status, boost::json::object{{"error", code}, {"message", message}});
}

bool same_origin(const Request& req, bool https) {
  const auto site = req["Sec-Fetch-Site"];
  if (!site.empty()) return site == "same-origin" || site == "none";
  const auto origin = req[bhttp::field::origin];
  if (origin.empty()) return true;
  return is_own_origin(origin, req[bhttp::field::host], https);
}

std::string_view path_segment(std::string_view path, std::string_view prefix) {
  if (!path.starts_with(prefix)) return {};
  path.remove_prefix(prefix.size());
  return path.substr(0, path.find('/'));
}

}  // namespace dchat::http

#include "http/router.hpp"

#include "http/responses.hpp"

namespace dchat::http {

void Router::exact(std::string path, RouteHandler handler) {
  routes_.push_back({std::move(path), false, std::move(handler)});
}

void Router::prefix(std::string prefix, RouteHandler handler) {
  routes_.push_back({std::move(prefix), true, std::move(handler)});
}

const RouteHandler& Router::find(std::string_view path) const {
  for (const auto& r : routes_) {
    if (!r.is_prefix) {
      if (path == r.path) return r.handler;
    } else if (path.starts_with(r.path) ||
               (r.path.ends_with('/') && path == std::string_view(r.path).substr(0, r.path.size() - 1))) {
      return r.handler;
    }
  }
  return not_found_;
}

const RouteHandler Router::not_found_ = [](RequestContext& ctx) -> asio::awaitable<Outcome> {
  auto res = make_json_response(ctx.parser.get(), beast::http::status::not_found, {{"error", "not found"}});
  // The unread body (if any) would be parsed as the next request: close instead.
  if (ctx.parser.content_length().value_or(0) > 0 || ctx.parser.chunked()) res.keep_alive(false);
  const bool ok = co_await write_response(ctx, res);
  co_return ok && res.keep_alive() ? Outcome::keep_alive : Outcome::close;
};

}  // namespace dchat::http

// HttpApi: routing, the signed-in user, sign-out, and the read-only routes (the user, rooms,
// history, avatar images). Sign-in is in http_api_sign_in.cpp, avatar uploads in
// http_api_avatar.cpp, attachments in http_api_attachments.cpp.
#include <boost/asio/use_awaitable.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>

#include "chat/chat_queries.hpp"
#include "chat/credentials.hpp"
#include "chat/http_api_private.hpp"
#include "chat/message_rules.hpp"
#include "chat/views.hpp"
#include "core/json_parse.hpp"
#include "core/log_throttle.hpp"
#include "core/metrics.hpp"
#include "http/api_responses.hpp"
#include "http/cookies.hpp"
#include "http/request_checks.hpp"

namespace dchat::chat {

using http::query_int;

namespace {

// https as a trusted proxy reports it (a client's own X-Forwarded-Proto is not believed).
bool secure_request(const http::RequestContext& ctx) { return ctx.client.https; }

}  // namespace

HttpApi::HttpApi(store::StoreExecutor& store, PasswordHasher& hasher, blob::BlobStore& blobs, ChatService& chat,
                 HttpApiOptions options)
    : store_(store),
      hasher_(hasher),
      blobs_(blobs),
      chat_(chat),
      options_(std::move(options)),
      limits_(options_.sign_in),
      devices_(options_.device_key),
      decodes_(decode_slots(store.threads()), decode_slots(store.threads())) {}

void HttpApi::install(http::Router& router) {
  auto bind = [this](Awaitable (HttpApi::*method)(http::RequestContext&)) {
    return [this, method](http::RequestContext& ctx) { return (this->*method)(ctx); };
  };
  router.exact("/api/session", bind(&HttpApi::session_route));
  router.exact("/api/sessions", bind(&HttpApi::sign_out_everywhere));
  router.exact("/api/me", bind(&HttpApi::me));
  router.exact("/api/rooms", bind(&HttpApi::rooms));
  router.prefix("/api/rooms/", bind(&HttpApi::room_messages));
  router.exact("/api/avatar", bind(&HttpApi::upload_avatar));
  router.prefix("/avatars/", bind(&HttpApi::avatar_image));
  router.prefix("/api/attachments/", bind(&HttpApi::attachment_image));
}

HttpApi::Awaitable HttpApi::session_route(http::RequestContext& ctx) {
  const auto method = ctx.parser.get().method();
  if (method == bhttp::verb::post) co_return co_await sign_in(ctx);
  if (method == bhttp::verb::delete_) co_return co_await sign_out(ctx);
  co_return co_await http::reply_error(ctx, Status::method_not_allowed, "bad_request", "use POST or DELETE");
}

asio::awaitable<HttpApi::Auth> HttpApi::current_user(http::RequestContext& ctx) {
  auto token = http::cookie_value(ctx.parser.get()[bhttp::field::cookie], kSessionCookie);
  if (!token) co_return Auth{true, std::nullopt};
  const std::string hash = token_hash(*token);
  const int64_t now = now_ms();
  const int64_t ttl = std::chrono::duration_cast<std::chrono::milliseconds>(options_.session_ttl).count();
  std::function<std::optional<store::User>(Store&)> job =
      [hash, now, ttl](Store& s) -> std::optional<store::User> {
        auto session = s.find_session(hash, now);
        if (!session) return std::nullopt;
        // Sliding expiry: renewed once less than half of its lifetime is left.
        if (session->expires_at - now < ttl / 2) s.extend_session(hash, now + ttl);
        return s.find_user(session->user_id);
      };
  auto r = co_await store_.async_run<std::optional<store::User>>(std::move(job), asio::use_awaitable);
  if (!r) co_return Auth{false, std::nullopt};
  co_return Auth{true, std::move(*r.value)};
}

HttpApi::Awaitable HttpApi::refuse_anonymous(http::RequestContext& ctx, bool store_ok) {
  if (!store_ok) return http::reply_error(ctx, Status::service_unavailable, "storage_unavailable", "try again");
  return http::reply_error(ctx, Status::unauthorized, "unauthorized", "sign in first");
}

HttpApi::Awaitable HttpApi::sign_out(http::RequestContext& ctx) {
  const auto& req = ctx.parser.get();
  if (!http::same_origin(req, ctx.client.https))
    co_return co_await http::reply_error(ctx, Status::forbidden, "forbidden", "cross-site request refused");
  if (auto token = http::cookie_value(req[bhttp::field::cookie], kSessionCookie)) {
    const std::string hash = token_hash(*token);
    std::function<bool(Store&)> job =
        [hash](Store& s) {
          s.delete_session(hash);
          return true;
        };
    auto r = co_await store_.async_run<bool>(std::move(job), asio::use_awaitable);
    if (!r)
      co_return co_await http::reply_error(ctx, Status::service_unavailable, "storage_unavailable",
                                           "the session store is unavailable, try again");
    // The session's live connections end too, on every replica: a signed-out tab (or a stolen
    // cookie's socket) cannot keep sending.
    chat_.end_session(hash);
  }
  auto res = http::make_response(req, Status::no_content, "", "application/json");
  res.set(bhttp::field::set_cookie, http::set_cookie(kSessionCookie, "", {0, secure_request(ctx)}));
  const bool ok = co_await http::write_response(ctx, res);
  co_return ok && res.keep_alive() ? Outcome::keep_alive : Outcome::close;
}

// DELETE /api/sessions: every session of the signed-in user ends, with its connections.
HttpApi::Awaitable HttpApi::sign_out_everywhere(http::RequestContext& ctx) {
  const auto& req = ctx.parser.get();
  if (req.method() != bhttp::verb::delete_)
    co_return co_await http::reply_error(ctx, Status::method_not_allowed, "bad_request", "use DELETE");
  if (!http::same_origin(req, ctx.client.https))
    co_return co_await http::reply_error(ctx, Status::forbidden, "forbidden", "cross-site request refused");
  const auto auth = co_await current_user(ctx);
  if (!auth.user) co_return co_await refuse_anonymous(ctx, auth.store_ok);
  const int64_t uid = auth.user->id;
  std::function<size_t(Store&)> job = [uid](Store& s) { return s.delete_user_sessions(uid); };
  auto r = co_await store_.async_run<size_t>(std::move(job), asio::use_awaitable);
  if (!r)
    co_return co_await http::reply_error(ctx, Status::service_unavailable, "storage_unavailable",
                                         "the session store is unavailable, try again");
  spdlog::info("auth: user {} signed out everywhere ({} session(s))", uid, *r.value);
  chat_.end_user_sessions(uid);
  auto res = http::make_response(req, Status::no_content, "", "application/json");
  res.set(bhttp::field::set_cookie, http::set_cookie(kSessionCookie, "", {0, secure_request(ctx)}));
  const bool ok = co_await http::write_response(ctx, res);
  co_return ok && res.keep_alive() ? Outcome::keep_alive : Outcome::close;
}

HttpApi::Awaitable HttpApi::me(http::RequestContext& ctx) {
  const auto auth = co_await current_user(ctx);
  if (!auth.user) co_return co_await refuse_anonymous(ctx, auth.store_ok);
  const auto& user = auth.user;
  json::object body;
  body["user"] = user_json(*user);
  co_return co_await http::reply_json(ctx, Status::ok, body);
}

HttpApi::Awaitable HttpApi::rooms(http::RequestContext& ctx) {
  const auto auth = co_await current_user(ctx);
  if (!auth.user) co_return co_await refuse_anonymous(ctx, auth.store_ok);
  const auto& user = auth.user;
  const int64_t uid = user->id;
  // Public rooms come in pages (GET /api/rooms?after=<last id>&limit=N, `next` is the cursor of
  // the next page): anyone can create rooms, so their list can be long. The user's own direct
  // conversations come with the first page (there are at most CHAT_MAX_ROOMS_PER_USER).
  const int64_t after = std::max<int64_t>(query_int(ctx.query, "after").value_or(0), 0);
  const int limit = static_cast<int>(std::clamp<int64_t>(query_int(ctx.query, "limit").value_or(100), 1, 200));
  std::function<RoomsPage(Store&)> job = [uid, after, limit](Store& s) { return list_rooms(s, uid, after, limit); };
  auto r = co_await store_.async_run<RoomsPage>(std::move(job), asio::use_awaitable);
  if (!r) co_return co_await http::reply_error(ctx, Status::service_unavailable, "storage_unavailable", "try again");
  json::value body = rooms_page_json(*r.value);
  co_return co_await http::reply_json(ctx, Status::ok, std::move(body));
}

HttpApi::Awaitable HttpApi::room_messages(http::RequestContext& ctx) {
  // GET /api/rooms/{id}/messages?before=SEQ&limit=N
  const std::string_view id_text = http::path_segment(ctx.path, "/api/rooms/");
  int64_t room_id = 0;
  const bool id_ok = !id_text.empty() && id_text.size() < 19 &&
                     std::all_of(id_text.begin(), id_text.end(), [](char c) { return c >= '0' && c <= '9'; });
  if (id_ok) room_id = std::stoll(std::string(id_text));
  // POST /api/rooms/{id}/attachments: an image to attach to a message (http_api_attachments.cpp).
  if (id_ok && ctx.path == "/api/rooms/" + std::string(id_text) + "/attachments")
    co_return co_await upload_attachment(ctx, room_id);
  if (!id_ok || ctx.path != "/api/rooms/" + std::string(id_text) + "/messages")
    co_return co_await http::reply_error(ctx, Status::not_found, "not_found", "no such resource");
  if (ctx.parser.get().method() != bhttp::verb::get)
    co_return co_await http::reply_error(ctx, Status::method_not_allowed, "bad_request", "use GET");
  const auto auth = co_await current_user(ctx);
  if (!auth.user) co_return co_await refuse_anonymous(ctx, auth.store_ok);
  const auto& user = auth.user;
  const int64_t before = query_int(ctx.query, "before").value_or(0);
  const int64_t limit = std::clamp<int64_t>(query_int(ctx.query, "limit").value_or(kHistoryPage), 1, 100);
  const int64_t uid = user->id;
  using Page = ChatResult<std::vector<store::Message>>;
  std::function<Page(Store&)> job = [uid, room_id, before, limit](Store& s) {
    return read_page(s, uid, room_id, before, static_cast<int>(limit));
  };
  auto r = co_await store_.async_run<Page>(std::move(job), asio::use_awaitable);
  if (!r) co_return co_await http::reply_error(ctx, Status::service_unavailable, "storage_unavailable", "try again");
  const Page& page = *r.value;
  const auto status = page                                        ? Status::ok
                      : page.error().code == ErrorCode::not_found ? Status::not_found
                                                                  : Status::forbidden;
  const json::value answer = page ? json::object{{"messages", messages_json(*page)}} : refusal_body(page.error());
  co_return co_await http::reply_json(ctx, status, answer);
}

HttpApi::Awaitable HttpApi::avatar_image(http::RequestContext& ctx) {
  // The prefix route also matches "/avatars" itself.
  constexpr std::string_view kPrefix = "/avatars/";
  const std::string_view file = ctx.path.starts_with(kPrefix) ? ctx.path.substr(kPrefix.size()) : std::string_view{};
  if (!file.ends_with(".webp") || !blob::is_blob_id(file.substr(0, file.size() - 5)))
    co_return co_await http::reply_error(ctx, Status::not_found, "not_found", "no such avatar");
  const std::string id(file.substr(0, file.size() - 5));
  std::function<std::optional<std::string>(Store&)> job = [this, id](Store&) { return blobs_.get(id); };
  auto r = co_await store_.async_run<std::optional<std::string>>(std::move(job), asio::use_awaitable);
  if (!r) co_return co_await http::reply_error(ctx, Status::service_unavailable, "storage_unavailable", "try again");
  if (!*r.value) co_return co_await http::reply_error(ctx, Status::not_found, "not_found", "no such avatar");
  const auto& req = ctx.parser.get();
  auto res = http::make_response(req, Status::ok, std::move(**r.value), "image/webp");
  // Content-addressed: the bytes behind a URL never change.
  res.set(bhttp::field::cache_control, "public, max-age=31536000, immutable");
  res.set("Content-Security-Policy", "default-src 'none'; sandbox");
  const bool ok = co_await http::write_response(ctx, res);
  co_return ok && res.keep_alive() ? Outcome::keep_alive : Outcome::close;
}

}  // namespace dchat::chat

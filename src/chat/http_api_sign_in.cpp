// POST /api/session: sign in, or create the account on the first sign-in with an unused name.
//
// The order is what keeps a flood cheap (docs/SECURITY.md, "Sign-in"):
//   1. parse and check the request (no state touched);
//   2. the client's attempt budget (memory only);
//   3. look the name up (StoreExecutor);
//   4. a new name: the sign-up limits, then hash the password (PasswordHasher) and create the
//      account with its first session (StoreExecutor);
//      an existing name: the client's failure limit and the name's slowdown (or the device's own
//      limit), then verify the password (PasswordHasher), then create the session (StoreExecutor).
// argon2id runs only in step 4 and only on the hasher's own bounded pool, so neither the store's
// workers nor the event loops ever hash, and a full hashing queue answers 503 at once.
#include <boost/asio/use_awaitable.hpp>
#include <spdlog/spdlog.h>

#include "chat/credentials.hpp"
#include "chat/http_api_private.hpp"
#include "chat/message_rules.hpp"
#include "chat/name_rules.hpp"
#include "chat/views.hpp"
#include "core/json_parse.hpp"
#include "core/log_throttle.hpp"
#include "core/metrics.hpp"
#include "http/api_responses.hpp"
#include "http/cookies.hpp"
#include "store/name_key.hpp"

namespace dchat::chat {

namespace {

constexpr std::chrono::seconds kBusyRetry{2};  // Retry-After for a full queue: it drains in a moment

}  // namespace

HttpApi::Awaitable HttpApi::refuse_sign_in(http::RequestContext& ctx, Status status, std::string_view code,
                                           std::string_view message, std::chrono::seconds retry_after) {
  if (status == Status::too_many_requests) {
    core::metrics().rate_limited.inc();
  } else {
    core::metrics().overloaded.inc();
  }
  json::object body;
  body["error"] = code;
  body["message"] = message;
  std::vector<std::pair<std::string, std::string>> headers;
  headers.emplace_back("Retry-After", std::to_string(std::max<int64_t>(1, retry_after.count())));
  return http::reply_json(ctx, status, std::move(body), std::move(headers));
}

HttpApi::Awaitable HttpApi::store_refusal(http::RequestContext& ctx, store::StoreError::Kind kind) {
  if (kind == store::StoreError::Kind::overloaded)
    return refuse_sign_in(ctx, Status::service_unavailable, "overloaded", "the server is busy, try again in a moment",
                          kBusyRetry);
  CHAT_LOG_THROTTLED(spdlog::level::warn, "auth: sign-in failed: the account store is unavailable");
  return http::reply_json(ctx, Status::service_unavailable,
                          json::object{{"error", "storage_unavailable"},
                                       {"message", "the account store is unavailable, try again"}});
}

HttpApi::Awaitable HttpApi::hasher_refusal(http::RequestContext& ctx, HashRefusal refusal) {
  if (refusal == HashRefusal::failed)
    CHAT_LOG_THROTTLED(spdlog::level::err, "auth: password hashing failed (out of memory?)");
  const char* message = refusal == HashRefusal::stopping ? "the server is restarting, try again in a moment"
                                                         : "too many sign-ins at once, try again in a moment";
  return refuse_sign_in(ctx, Status::service_unavailable, "overloaded", message, kBusyRetry);
}

std::optional<Device> HttpApi::presented_device(const http::RequestContext& ctx) const {
  const auto value = http::cookie_value(ctx.parser.get()[bhttp::field::cookie], kDeviceCookie);
  if (!value) return std::nullopt;
  return devices_.verify(*value, now_ms() / 1000);
}

asio::awaitable<StoreResult<std::optional<store::UserCredentials>>> HttpApi::find_credentials(std::string name) {
  std::function<std::optional<store::UserCredentials>(Store&)> job = [name = std::move(name)](Store& s) {
    return s.find_credentials(name);
  };
  co_return co_await store_.async_run<std::optional<store::UserCredentials>>(std::move(job), asio::use_awaitable);
}

asio::awaitable<StoreResult<HttpApi::NewAccount>> HttpApi::create_account(std::string name, std::string password_hash) {
  const int64_t now = now_ms();
  const int64_t ttl = std::chrono::duration_cast<std::chrono::milliseconds>(options_.session_ttl).count();
  std::function<NewAccount(Store&)> job = [name = std::move(name), hash = std::move(password_hash), now,
                                           ttl](Store& s) {
    NewAccount result;
    auto made = s.create_user(name, hash, now);
    if (!made) {
      // Created by a concurrent sign-in: the password is checked against that account. Not this
      // name but one that looks like it: never a second account, never a password check against
      // someone else's.
      result.taken = s.find_credentials(name);
      result.looks_taken = !result.taken;
      return result;
    }
    result.user = std::move(*made);
    result.token = new_session_token();
    s.create_session(store::SessionRecord{token_hash(result.token), result.user->id, now + ttl});
    return result;
  };
  co_return co_await store_.async_run<NewAccount>(std::move(job), asio::use_awaitable);
}

asio::awaitable<StoreResult<std::string>> HttpApi::start_session(int64_t user_id) {
  const int64_t now = now_ms();
  const int64_t ttl = std::chrono::duration_cast<std::chrono::milliseconds>(options_.session_ttl).count();
  std::function<std::string(Store&)> job = [user_id, now, ttl](Store& s) {
    std::string token = new_session_token();
    s.create_session(store::SessionRecord{token_hash(token), user_id, now + ttl});
    return token;
  };
  co_return co_await store_.async_run<std::string>(std::move(job), asio::use_awaitable);
}

HttpApi::Awaitable HttpApi::sign_in(http::RequestContext& ctx) {
  // 1. The request itself.
  const auto& req = ctx.parser.get();
  if (!http::same_origin(req, ctx.client.https))
    co_return co_await http::reply_error(ctx, Status::forbidden, "forbidden", "cross-site request refused");
  if (!std::string_view(req[bhttp::field::content_type]).starts_with("application/json"))
    co_return co_await http::reply_error(ctx, Status::unsupported_media_type, "bad_request",
                                         "send the credentials as application/json");
  if (!co_await http::read_body(ctx, 8 * 1024)) co_return Outcome::close;
  boost::system::error_code ec;
  const json::value body = core::parse_json(ctx.parser.get().body(), ec);
  const json::object* fields = !ec && body.is_object() ? &body.as_object() : nullptr;
  const json::value* raw_name = fields ? fields->if_contains("name") : nullptr;
  const json::value* raw_password = fields ? fields->if_contains("password") : nullptr;
  if (!raw_name || !raw_name->is_string() || !raw_password || !raw_password->is_string())
    co_return co_await http::reply_error(ctx, Status::bad_request, "bad_request",
                                         "expected {\"name\": \"...\", \"password\": \"...\"}");
  const NameCheck checked = check_name(raw_name->as_string());
  if (!checked.ok()) {
    const std::string problem = "the name " + checked.problem;  // not a temporary inside co_await (GCC 12)
    co_return co_await http::reply_error(ctx, Status::bad_request, "invalid_name", problem);
  }
  SignInRequest request{checked.name, std::string(raw_password->as_string()), ctx.client.limit_key, std::nullopt};
  if (!password_acceptable(request.password))
    co_return co_await http::reply_error(ctx, Status::bad_request, "invalid_password",
                                         "a password is 1 to 256 bytes");

  // 2. The client: every attempt counts, before anything costs. Per-client limits count by the
  // request's limit key: the address (behind trusted proxies, the one they report), IPv6 by /64.
  if (const auto wait = limits_.take_attempt(request.address); wait.count() > 0) {
    CHAT_LOG_THROTTLED(spdlog::level::info, "auth: sign-in from {} refused: too many attempts", request.address);
    co_return co_await refuse_sign_in(ctx, Status::too_many_requests, "rate_limited",
                                      "too many sign-in attempts from your address, try again later", wait);
  }
  request.device = presented_device(ctx);

  // 3. The account.
  auto found = co_await find_credentials(request.name);
  if (!found) co_return co_await store_refusal(ctx, found.error);
  if (!*found.value) co_return co_await sign_up(ctx, std::move(request));
  co_return co_await check_password(ctx, std::move(request), std::move(**found.value));
}

// 4a. An unused name: a new account.
HttpApi::Awaitable HttpApi::sign_up(http::RequestContext& ctx, SignInRequest request) {
  if (const auto wait = limits_.take_sign_up(request.address); wait.count() > 0) {
    CHAT_LOG_THROTTLED(spdlog::level::info, "auth: new account from {} refused: too many new accounts",
                       request.address);
    co_return co_await refuse_sign_in(ctx, Status::too_many_requests, "rate_limited",
                                      "too many new accounts lately, try again later", wait);
  }
  auto hashed = co_await hasher_.async_hash(request.password, asio::use_awaitable);
  if (!hashed) {
    limits_.give_back_sign_up(request.address);  // nothing was hashed, nothing made
    co_return co_await hasher_refusal(ctx, hashed.refusal);
  }
  auto made = co_await create_account(request.name, std::move(*hashed.value));
  if (!made) co_return co_await store_refusal(ctx, made.error);
  if (made.value->looks_taken)
    co_return co_await http::reply_error(ctx, Status::conflict, "name_taken",
                                         "the name looks like one that is already taken (letters from another "
                                         "script, or look-alikes such as rn/m or 1/l): choose another");
  if (made.value->user)
    co_return co_await signed_in(ctx, std::move(*made.value->user), std::move(made.value->token), true, "");
  co_return co_await check_password(ctx, std::move(request), std::move(*made.value->taken));
}

// 4b. An existing account: the password is checked. Failures count while they are still
// being checked (each attempt is admitted now and reports its outcome at the end), per client
// address and per name; guessing a name is slowed down, except on a device that has signed in
// to this account before, which has a limit of its own.
HttpApi::Awaitable HttpApi::check_password(http::RequestContext& ctx, SignInRequest request,
                                           store::UserCredentials creds) {
  const std::string& address = request.address;
  Admission by_address = limits_.begin_address(address);
  if (!by_address) {
    CHAT_LOG_THROTTLED(spdlog::level::info, "auth: sign-in from {} refused: too many failures", address);
    co_return co_await refuse_sign_in(ctx, Status::too_many_requests, "rate_limited",
                                      "too many failed sign-ins from your address, try again later",
                                      by_address.retry_after);
  }
  const bool own_device = request.device && request.device->user_id == creds.user.id;
  // Kept when the device cookie is renewed.
  const std::string device_nonce = own_device ? request.device->nonce : std::string();
  // The same folding as the store's unique names: "ÉLISE" and "élise" are one account, so one key.
  Admission by_name = own_device ? limits_.begin_device(device_nonce) : limits_.begin_name(store::name_key(request.name));
  if (!by_name) {
    CHAT_LOG_THROTTLED(spdlog::level::info, "auth: sign-in for \"{}\" from {} refused: slowed down ({} s)",
                       request.name, address, by_name.retry_after.count());
    co_return co_await refuse_sign_in(ctx, Status::too_many_requests, "rate_limited",
                                      own_device ? "too many failed sign-ins on this device, try again later"
                                                 : "too many failed sign-ins for this name, try again later",
                                      by_name.retry_after);
  }
  auto verified = co_await hasher_.async_verify(creds.password_hash, request.password, asio::use_awaitable);
  if (!verified) co_return co_await hasher_refusal(ctx, verified.refusal);  // neither attempt counts
  if (!*verified.value) {
    by_name.attempt.fail();
    by_address.attempt.fail();
    CHAT_LOG_THROTTLED(spdlog::level::info, "auth: wrong password for \"{}\" from {}", request.name, address);
    co_return co_await http::reply_error(ctx, Status::unauthorized, "bad_credentials",
                                         "that name is taken and the password does not match");
  }
  by_name.attempt.succeed();
  by_address.attempt.succeed();
  auto session = co_await start_session(creds.user.id);
  if (!session) co_return co_await store_refusal(ctx, session.error);
  co_return co_await signed_in(ctx, std::move(creds.user), std::move(*session.value), false, device_nonce);
}

// Signed in: the session cookie, and the device cookie that exempts this browser from the
// name's slowdown next time (renewed, keeping its identity, when it was this account's already).
HttpApi::Awaitable HttpApi::signed_in(http::RequestContext& ctx, store::User user, std::string token, bool created,
                                      std::string device_nonce) {
  const bool secure = ctx.client.https;  // as a trusted proxy reports it, never as a client claims
  const auto session_cookie = http::set_cookie(
      kSessionCookie, token, {std::chrono::duration_cast<std::chrono::seconds>(options_.session_ttl).count(), secure});
  const std::string device_value = devices_.issue(user.id, now_ms() / 1000, device_nonce);
  const auto device_cookie = http::set_cookie(kDeviceCookie, device_value,
                                              {kDeviceCookieMaxAgeSeconds, secure, "/api/session"});
  json::object answer;
  answer["user"] = user_json(user);
  answer["created"] = created;
  std::vector<std::pair<std::string, std::string>> headers;
  headers.emplace_back("Set-Cookie", session_cookie);
  headers.emplace_back("Set-Cookie", device_cookie);
  co_return co_await http::reply_json(ctx, created ? Status::created : Status::ok, answer, std::move(headers));
}

}  // namespace dchat::chat

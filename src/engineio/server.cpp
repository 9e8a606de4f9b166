#include "engineio/server.hpp"

#include <sys/socket.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/json/serialize.hpp>
#include <fmt/format.h>
#include <sodium.h>
#include <spdlog/spdlog.h>

#include "core/log_throttle.hpp"
#include "core/random_id.hpp"
#include "core/metrics.hpp"
#include "engineio/websocket_transport.hpp"
#include "http/client_address.hpp"
#include "http/peer_state.hpp"
#include "http/request_checks.hpp"
#include "http/responses.hpp"
#include "http/ws_handshake.hpp"

namespace dchat::engineio {

namespace asio = boost::asio;
namespace bhttp = boost::beast::http;
using namespace asio::experimental::awaitable_operators;
using http::Outcome;
using http::query_param;
constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

namespace {

const char* error_message(Error e) {
  switch (e) {
    case Error::unknown_transport: return "Transport unknown";
    case Error::unknown_sid: return "Session ID unknown";
    case Error::bad_handshake_method: return "Bad handshake method";
    case Error::bad_request: return "Bad request";
    case Error::forbidden: return "Forbidden";
    case Error::unsupported_protocol_version: return "Unsupported protocol version";
  }
  return "Bad request";
}

bool has_unread_body(const http::Parser& parser) {
  return !parser.is_done() && (parser.content_length().value_or(0) > 0 || parser.chunked());
}

}  // namespace

Server::Server(core::ShardPool& pool, Options options, SessionHandler on_session)
    : pool_(pool),
      options_(std::move(options)),
      on_session_(std::move(on_session)),
      registry_(options_.max_sessions, options_.max_sessions_per_client) {}

bool Server::origin_allowed(const http::RequestContext& ctx) const {
  return http::origin_allowed(ctx.parser.get(), options_.allowed_origins, ctx.client.https);
}

// Credentials (the session cookie) only for our own origin and the ones listed by name: "*"
// lets any page read the answers, so it must never come with credentials (browsers would then
// send the user's cookie on behalf of any site).
void Server::add_cors_headers(const http::RequestContext& ctx, http::Response& res) const {
  const auto& req = ctx.parser.get();
  switch (http::match_origin(req, options_.allowed_origins, ctx.client.https)) {
    case http::OriginMatch::refused:
    case http::OriginMatch::absent:
      return;
    case http::OriginMatch::any:
      res.set(bhttp::field::access_control_allow_origin, "*");
      return;
    case http::OriginMatch::own:
    case http::OriginMatch::listed:
      res.set(bhttp::field::access_control_allow_origin, req[bhttp::field::origin]);
      res.set(bhttp::field::access_control_allow_credentials, "true");
      res.set(bhttp::field::vary, "Origin");
      return;
  }
}

asio::awaitable<Outcome> Server::fail(http::RequestContext& ctx, Error error) {
  const auto& req = ctx.parser.get();
  const auto status = error == Error::forbidden ? bhttp::status::forbidden : bhttp::status::bad_request;
  auto res = http::make_json_response(req, status, {{"code", static_cast<int>(error)}, {"message", error_message(error)}});
  add_cors_headers(ctx, res);
  if (has_unread_body(ctx.parser)) res.keep_alive(false);
  spdlog::debug("engine.io: {} {} refused: {}", std::string_view(req.method_string()), std::string_view(req.target()),
                error_message(error));
  const bool ok = co_await http::write_response(ctx, res);
  co_return ok && res.keep_alive() ? Outcome::keep_alive : Outcome::close;
}

std::string Server::open_packet(const std::string& sid, bool websocket) const {
  // Formatted directly: it is built once per connection, and the sid is URL-safe base64 (no
  // character needs JSON escaping).
  return fmt::format(R"({{"sid":"{}","upgrades":{},"pingInterval":{},"pingTimeout":{},"maxPayload":{}}})", sid,
                     websocket ? "[]" : R"(["websocket"])", options_.ping_interval.count(),
                     options_.ping_timeout.count(), options_.max_payload);
}

HandshakeInfo Server::handshake_info(http::RequestContext& ctx) const {
  const auto& req = ctx.parser.get();
  HandshakeInfo info;
  info.query = std::string(ctx.query);
  info.cookie = std::string(req[bhttp::field::cookie]);
  info.origin = std::string(req[bhttp::field::origin]);
  info.address = ctx.client.address.to_string();
  info.client_key = ctx.client.limit_key;
  info.secure = ctx.client.https;
  return info;
}

asio::awaitable<Outcome> Server::serve(http::RequestContext& ctx, bool may_forward) {
  const auto& req = ctx.parser.get();
  if (req.method() == bhttp::verb::options) co_return co_await preflight(ctx);

  const auto transport = query_param(ctx.query, "transport");
  if (!transport || (*transport != "polling" && *transport != "websocket"))
    co_return co_await fail(ctx, Error::unknown_transport);
  const bool websocket = *transport == "websocket";
  if (!origin_allowed(ctx)) co_return co_await fail(ctx, Error::forbidden);

  const auto sid = query_param(ctx.query, "sid");
  if (!sid) {
    if (req.method() != bhttp::verb::get) co_return co_await fail(ctx, Error::bad_handshake_method);
    if (query_param(ctx.query, "EIO") != "4") co_return co_await fail(ctx, Error::unsupported_protocol_version);
    if (websocket && !http::is_websocket_upgrade(req)) co_return co_await fail(ctx, Error::bad_request);
    co_return co_await handshake(ctx, websocket);
  }

  const auto shard = registry_.shard_of(*sid);
  if (!shard) co_return co_await not_here(ctx, *sid, may_forward);
  if (*shard != ctx.shard) {
    ctx.migrate_to = *shard;  // the session's state lives on its own shard's thread
    co_return Outcome::migrate;
  }
  auto entry = registry_.find(*sid);
  if (!entry) co_return co_await fail(ctx, Error::unknown_sid);
  auto session = std::move(entry->session);

  if (websocket) {
    if (!http::is_websocket_upgrade(req)) co_return co_await fail(ctx, Error::bad_request);
    co_return co_await upgrade(ctx, std::move(session));
  }
  if (session->on_websocket()) co_return co_await fail(ctx, Error::bad_request);  // transport mismatch
  if (req.method() == bhttp::verb::get) co_return co_await poll(ctx, std::move(session));
  if (req.method() == bhttp::verb::post) co_return co_await post(ctx, std::move(session));
  co_return co_await fail(ctx, Error::bad_request);
}

// A session this replica does not hold: another replica's (its tag says which), or gone.
asio::awaitable<Outcome> Server::not_here(http::RequestContext& ctx, std::string_view sid, bool may_forward) {
  const auto tag = session_tag_of(sid);
  if (!may_forward || !peers_ || !forwarder_ || tag.empty() || tag == options_.session_tag)
    co_return co_await fail(ctx, Error::unknown_sid);
  const auto method = ctx.parser.get().method();
  if (method != bhttp::verb::get && method != bhttp::verb::post) co_return co_await fail(ctx, Error::bad_request);
  const auto owner = peers_->find(tag);
  if (!owner) co_return co_await fail(ctx, Error::unknown_sid);  // no such replica (any more)
  const auto done = co_await forwarder_->forward(ctx, *owner);
  switch (done.result) {
    case Forwarder::Result::served:
    case Forwarder::Result::answered:
      co_return done.outcome;
    case Forwarder::Result::unreachable:
      // The owner is gone (or going): the client reconnects and catches up, as after any loss.
      co_return co_await fail(ctx, Error::unknown_sid);
    case Forwarder::Result::refused:
      co_return co_await refuse_session(ctx, done.refusal, true);
  }
  co_return co_await fail(ctx, Error::unknown_sid);
}

asio::awaitable<Outcome> Server::handle_forwarded(http::RequestContext& ctx) {
  const auto& req = ctx.parser.get();
  const auto key = req[kForwardKeyHeader];
  if (options_.forward_key.empty() || key.empty()) {
    CHAT_LOG_THROTTLED(spdlog::level::warn, "engine.io: internal listener: a request from {} without a forward key, "
                       "refused", ctx.client.address.to_string());
    co_return co_await fail(ctx, Error::forbidden);
  }
  if (key.size() != options_.forward_key.size() ||
      sodium_memcmp(key.data(), options_.forward_key.data(), key.size()) != 0) {
    // Another replica's key: a peer that still knows the replica that had this address before
    // (restarted within the heartbeat TTL). Its sessions are gone, which is what the client hears.
    CHAT_LOG_THROTTLED(spdlog::level::info, "engine.io: internal listener: a request from {} for another replica, "
                       "answered as an unknown session", ctx.client.address.to_string());
    co_return co_await fail(ctx, Error::unknown_sid);
  }
  // Only requests of existing sessions are ever forwarded: a handshake here would bypass the
  // public listener's limits.
  if (!query_param(ctx.query, "sid")) co_return co_await fail(ctx, Error::bad_request);
  boost::system::error_code ec;
  http::ClientInfo client;
  client.address = boost::asio::ip::make_address(std::string(req[kForwardClientHeader]), ec);
  if (ec) co_return co_await fail(ctx, Error::bad_request);
  client.limit_key = http::limit_key(client.address);
  client.https = req[kForwardHttpsHeader] == "1";
  http::RequestContext as_client{ctx.stream, ctx.buffer, ctx.parser, ctx.shard, ctx.path, ctx.query, client,
                                 ctx.connection_lease};
  const auto outcome = co_await serve(as_client, false);
  ctx.migrate_to = as_client.migrate_to;
  co_return outcome;
}

asio::awaitable<Outcome> Server::preflight(http::RequestContext& ctx) {
  const auto& req = ctx.parser.get();
  if (req[bhttp::field::origin].empty() || !origin_allowed(ctx)) co_return co_await fail(ctx, Error::bad_request);
  auto res = http::make_response(req, bhttp::status::no_content, "", "text/plain");
  add_cors_headers(ctx, res);
  res.set(bhttp::field::access_control_allow_methods, "GET, POST, OPTIONS");
  if (auto h = req[bhttp::field::access_control_request_headers]; !h.empty())
    res.set(bhttp::field::access_control_allow_headers, h);
  res.set(bhttp::field::access_control_max_age, "600");
  const bool ok = co_await http::write_response(ctx, res);
  co_return ok && res.keep_alive() ? Outcome::keep_alive : Outcome::close;
}

asio::awaitable<std::shared_ptr<WebSocketTransport>> accept(http::RequestContext& ctx, uint64_t max_payload) {
  auto response = http::websocket_accept_response(ctx.parser.get());
  if (!response) co_return nullptr;
  auto [ec, n] = co_await asio::async_write(ctx.stream, asio::buffer(*response), use_tuple);
  if (ec) co_return nullptr;
  std::string leftover = boost::beast::buffers_to_string(ctx.buffer.data());
  ctx.buffer.consume(ctx.buffer.size());
  // The socket's slot in the connection limits goes with it.
  co_return std::make_shared<WebSocketTransport>(ctx.stream.release_socket(), std::move(leftover), max_payload,
                                                 std::move(ctx.connection_lease));
}

// Over a session cap (or, `forwarding`, the cap on requests passed to other replicas): the
// reference server's error body (code 3, "Bad request" family) with a message that says which
// cap, and a status a client can act on.
asio::awaitable<Outcome> Server::refuse_session(http::RequestContext& ctx, core::ConcurrencyLimiter::Refusal refusal,
                                                bool forwarding) {
  const bool per_client = refusal == core::ConcurrencyLimiter::Refusal::per_client;
  if (forwarding) {
    core::metrics().forwards_refused.inc();
    CHAT_LOG_THROTTLED(spdlog::level::warn, "engine.io: not forwarding a request from {}: {}",
                       ctx.client.address.to_string(),
                       per_client ? "too many forwarded requests from this client (CHAT_MAX_SESSIONS_PER_CLIENT)"
                                  : "too many forwarded requests in all (CHAT_MAX_FORWARDS)");
  } else {
    core::metrics().sessions_refused.inc();
    CHAT_LOG_THROTTLED(spdlog::level::warn, "engine.io: refusing a session from {}: {}", ctx.client.address.to_string(),
                       per_client ? "too many sessions from this client (CHAT_MAX_SESSIONS_PER_CLIENT)"
                                  : "too many sessions in all");
  }
  const auto& req = ctx.parser.get();
  auto res = http::make_json_response(
      req, per_client ? bhttp::status::too_many_requests : bhttp::status::service_unavailable,
      {{"code", static_cast<int>(Error::bad_request)},
       {"message", per_client ? (forwarding ? "Too many requests from this client" : "Too many sessions from this client")
                              : "Server at capacity"}});
  res.set(bhttp::field::retry_after, "5");
  add_cors_headers(ctx, res);
  if (has_unread_body(ctx.parser)) res.keep_alive(false);
  const bool ok = co_await http::write_response(ctx, res);
  co_return ok && res.keep_alive() ? Outcome::keep_alive : Outcome::close;
}

asio::awaitable<Outcome> Server::handshake(http::RequestContext& ctx, bool websocket) {
  auto& io = pool_.context(ctx.shard);
  auto session = std::make_shared<Session>(io, ctx.shard, options_.session_tag + core::random_id(18), options_, registry_,
                                           handshake_info(ctx));
  core::metrics().connections_opened.inc();
  spdlog::debug("engine.io: session {} opened over {} from {}", session->sid(), websocket ? "websocket" : "polling",
                session->handshake().address);
  if (const auto refusal = registry_.add(session); refusal != core::ConcurrencyLimiter::Refusal::none)
    co_return co_await refuse_session(ctx, refusal);
  if (websocket) {
    auto ws = co_await accept(ctx, options_.max_payload);
    if (!ws) {
      registry_.remove(session->sid());
      co_return co_await fail(ctx, Error::bad_request);
    }
    session->attach_websocket(ws);
    session->send(WirePacket::make(PacketType::open, open_packet(session->sid(), true)));
    on_session_(session);
    ws->start(session, false);
    session->start_heartbeat();
    co_return Outcome::taken;
  }
  on_session_(session);
  session->start_heartbeat();
  const auto& req = ctx.parser.get();
  auto res = http::make_response(req, bhttp::status::ok, "0" + open_packet(session->sid(), false), "text/plain; charset=UTF-8");
  add_cors_headers(ctx, res);
  const bool ok = co_await http::write_response(ctx, res);
  co_return ok && res.keep_alive() ? Outcome::keep_alive : Outcome::close;
}

asio::awaitable<Outcome> Server::poll(http::RequestContext& ctx, std::shared_ptr<Session> session) {
  if (session->poll_pending()) {
    // Two GETs at once: the reference server closes the session, and so do we.
    spdlog::info("engine.io: session {}: overlapping GET requests, closing", session->sid());
    session->close(CloseReason::transport_error);
    co_return co_await fail(ctx, Error::bad_request);
  }
  asio::steady_timer waiter(pool_.context(ctx.shard), asio::steady_timer::time_point::max());
  session->begin_poll(&waiter);
  auto& socket = ctx.stream.socket();
  bool watch_socket = true;
  while (!session->poll_ready()) {
    if (!watch_socket) {
      co_await waiter.async_wait(use_tuple);
      continue;
    }
    auto woke = co_await (waiter.async_wait(use_tuple) || socket.async_wait(asio::socket_base::wait_read, use_tuple));
    if (woke.index() == 1) {
      // Readable while waiting: either the client aborted the request (EOF) or it pipelined
      // another request, which is read after this one is answered.
      if (http::peek_peer(socket) == http::PeerState::closed) {
        session->begin_poll(nullptr);
        spdlog::debug("engine.io: session {}: polling request aborted", session->sid());
        session->on_transport_error(CloseReason::transport_close);
        co_return Outcome::close;
      }
      watch_socket = false;
    }
  }
  std::string body = session->finish_poll();
  const auto& req = ctx.parser.get();
  auto res = http::make_response(req, bhttp::status::ok, std::move(body), "text/plain; charset=UTF-8");
  add_cors_headers(ctx, res);
  const bool ok = co_await http::write_response(ctx, res);
  co_return ok && res.keep_alive() ? Outcome::keep_alive : Outcome::close;
}

asio::awaitable<Outcome> Server::post(http::RequestContext& ctx, std::shared_ptr<Session> session) {
  if (session->post_in_progress) {
    spdlog::info("engine.io: session {}: overlapping POST requests, closing", session->sid());
    session->close(CloseReason::transport_error);
    co_return co_await fail(ctx, Error::bad_request);
  }
  session->post_in_progress = true;
  const bool read = co_await http::read_body(ctx, options_.max_payload);
  session->post_in_progress = false;
  if (!read) {
    spdlog::info("engine.io: session {}: polling request body refused or unreadable, closing", session->sid());
    session->on_transport_error(CloseReason::transport_error);
    co_return Outcome::close;
  }
  auto packets = decode_payload(ctx.parser.get().body());
  if (!packets) {
    spdlog::info("engine.io: session {}: malformed payload, closing", session->sid());
    session->on_transport_error(CloseReason::parse_error);
    co_return co_await fail(ctx, Error::bad_request);
  }
  for (const auto& packet : *packets) {
    if (session->closed()) break;
    session->on_packet(packet);
  }
  const auto& req = ctx.parser.get();
  auto res = http::make_response(req, bhttp::status::ok, "ok", "text/plain; charset=UTF-8");
  add_cors_headers(ctx, res);
  const bool ok = co_await http::write_response(ctx, res);
  co_return ok && res.keep_alive() ? Outcome::keep_alive : Outcome::close;
}

asio::awaitable<Outcome> Server::upgrade(http::RequestContext& ctx, std::shared_ptr<Session> session) {
  auto ws = co_await accept(ctx, options_.max_payload);
  if (!ws) co_return co_await fail(ctx, Error::bad_request);
  if (session->closed() || session->upgrading() || session->on_websocket()) {
    // Already upgraded (or upgrading): accept, then close at once, as the reference server does.
    ws->start(nullptr, true);
    ws->close(http::ws::kClosePolicyViolation, "session already upgraded");
    co_return Outcome::taken;
  }
  session->begin_upgrade(ws);
  ws->start(session, true);
  co_return Outcome::taken;
}

void Server::close_all(CloseReason reason) {
  // Only sids cross threads: a session is touched (and destroyed) on its own shard alone.
  for (auto& [sid, shard] : registry_.shards()) {
    asio::post(pool_.context(shard), [this, sid = sid, reason] {
      if (auto entry = registry_.find(sid)) entry->session->close(reason);
    });
  }
}

}  // namespace dchat::engineio

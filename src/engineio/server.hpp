#pragma once
// An Engine.IO v4 server mounted on one path (e.g. /socket.io/): validates requests, performs
// handshakes, serves long-polling requests and WebSocket upgrades, and hands every new
// session to `on_session` (the Socket.IO layer attaches its handler there).
#include <functional>
#include <memory>

#include "core/shard_pool.hpp"
#include "engineio/forwarder.hpp"
#include "engineio/forwarding.hpp"
#include "engineio/options.hpp"
#include "engineio/session.hpp"
#include "engineio/session_registry.hpp"
#include "http/request_context.hpp"

namespace dchat::engineio {

// Protocol errors, with the codes and messages the reference server uses on the wire.
enum class Error {
  unknown_transport = 0,
  unknown_sid = 1,
  bad_handshake_method = 2,
  bad_request = 3,
  forbidden = 4,
  unsupported_protocol_version = 5,
};

class Server {
 public:
  using SessionHandler = std::function<void(const std::shared_ptr<Session>&)>;

  Server(core::ShardPool& pool, Options options, SessionHandler on_session);

  // The route handler for this server's path.
  boost::asio::awaitable<http::Outcome> handle(http::RequestContext& ctx) { return serve(ctx, true); }
  // The route handler for this server's path on the internal listener: requests another replica
  // forwarded here (see forwarding.hpp). Only with this replica's forward key, only for existing
  // sessions, never forwarded again.
  boost::asio::awaitable<http::Outcome> handle_forwarded(http::RequestContext& ctx);

  // Requests for sessions of other replicas go to them (cluster mode). Both outlive the server.
  void enable_forwarding(const PeerDirectory& peers, Forwarder& forwarder) {
    peers_ = &peers;
    forwarder_ = &forwarder;
  }

  const Options& options() const noexcept { return options_; }
  size_t session_count() const { return registry_.size(); }
  // Closes every session (each on its shard); used at shutdown.
  void close_all(CloseReason reason);

 private:
  boost::asio::awaitable<http::Outcome> serve(http::RequestContext& ctx, bool may_forward);
  boost::asio::awaitable<http::Outcome> not_here(http::RequestContext& ctx, std::string_view sid, bool may_forward);
  boost::asio::awaitable<http::Outcome> fail(http::RequestContext& ctx, Error error);
  boost::asio::awaitable<http::Outcome> handshake(http::RequestContext& ctx, bool websocket);
  boost::asio::awaitable<http::Outcome> poll(http::RequestContext& ctx, std::shared_ptr<Session> session);
  boost::asio::awaitable<http::Outcome> post(http::RequestContext& ctx, std::shared_ptr<Session> session);
  boost::asio::awaitable<http::Outcome> upgrade(http::RequestContext& ctx, std::shared_ptr<Session> session);
  boost::asio::awaitable<http::Outcome> preflight(http::RequestContext& ctx);
  boost::asio::awaitable<http::Outcome> refuse_session(http::RequestContext& ctx,
                                                       core::ConcurrencyLimiter::Refusal refusal,
                                                       bool forwarding = false);
  bool origin_allowed(const http::RequestContext& ctx) const;
  void add_cors_headers(const http::RequestContext& ctx, http::Response& res) const;
  std::string open_packet(const std::string& sid, bool websocket) const;
  HandshakeInfo handshake_info(http::RequestContext& ctx) const;

  core::ShardPool& pool_;
  Options options_;
  SessionHandler on_session_;
  SessionRegistry registry_;
  const PeerDirectory* peers_ = nullptr;
  Forwarder* forwarder_ = nullptr;
};

}  // namespace dchat::engineio

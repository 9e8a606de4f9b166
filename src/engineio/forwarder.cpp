#include "engineio/forwarder.hpp"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <spdlog/spdlog.h>

#include <array>

#include "core/log_throttle.hpp"
#include "core/metrics.hpp"
#include "http/peer_state.hpp"
#include "http/responses.hpp"
#include "http/ws_handshake.hpp"

namespace dchat::engineio {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
using namespace asio::experimental::awaitable_operators;
constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

namespace {

constexpr auto kWriteTimeout = std::chrono::seconds(30);

// Fields that describe one connection, not the message (RFC 9110 7.6.1), and the forwarding
// headers themselves: a client must never be able to supply those.
bool passes_through(const bhttp::fields::value_type& field) {
  switch (field.name()) {
    case bhttp::field::connection:
    case bhttp::field::keep_alive:
    case bhttp::field::proxy_connection:
    case bhttp::field::te:
    case bhttp::field::trailer:
    case bhttp::field::transfer_encoding:
    case bhttp::field::upgrade:
    case bhttp::field::content_length:
    // Read only at the handshake, which is never forwarded: the session cookie stays off the hop.
    case bhttp::field::cookie:
      return false;
    default:
      break;
  }
  const auto name = field.name_string();
  return !beast::iequals(name, kForwardKeyHeader) && !beast::iequals(name, kForwardClientHeader) &&
         !beast::iequals(name, kForwardHttpsHeader);
}

// Copies one direction of a joined WebSocket until that side closes or stays silent too long,
// then passes the end on (a half close), so the other direction can finish the close handshake.
asio::awaitable<void> pump(beast::tcp_stream& from, beast::tcp_stream& to, std::chrono::milliseconds idle) {
  std::array<char, 16 * 1024> chunk;
  while (true) {
    from.expires_after(idle);
    auto [ec, n] = co_await from.async_read_some(asio::buffer(chunk), use_tuple);
    if (ec) break;
    to.expires_after(kWriteTimeout);
    auto [write_ec, written] = co_await asio::async_write(to, asio::buffer(chunk.data(), n), use_tuple);
    if (write_ec) break;
  }
  beast::error_code ignored;
  to.socket().shutdown(asio::ip::tcp::socket::shutdown_send, ignored);
  from.expires_never();
  to.expires_never();
}

}  // namespace

Forwarder::Forwarder(Limits limits)
    : limits_(limits), limiter_(limits.max_in_flight, limits.max_per_client), idle_(std::max<size_t>(1, limits.shards)) {}

std::unique_ptr<beast::tcp_stream> Forwarder::take_idle(size_t shard, const asio::ip::tcp::endpoint& peer) {
  if (shard >= idle_.size()) return nullptr;
  auto it = idle_[shard].find(peer);
  if (it == idle_[shard].end()) return nullptr;
  auto& list = it->second;
  const auto now = std::chrono::steady_clock::now();
  while (!list.empty()) {
    Idle idle = std::move(list.back());
    list.pop_back();
    // Closed by the owner meanwhile (EOF, or anything unasked for): not usable.
    const bool quiet = http::peek_peer(idle.stream->socket()) == http::PeerState::quiet;
    if (quiet && now - idle.since < limits_.max_idle) return std::move(idle.stream);
  }
  return nullptr;
}

void Forwarder::keep_idle(size_t shard, const asio::ip::tcp::endpoint& peer, std::unique_ptr<beast::tcp_stream> stream) {
  if (shard >= idle_.size()) return;
  // Connections kept too long go, those to peers that left (no forward to take them) included.
  const auto now = std::chrono::steady_clock::now();
  for (auto it = idle_[shard].begin(); it != idle_[shard].end();) {
    std::erase_if(it->second, [&](const Idle& idle) { return now - idle.since >= limits_.max_idle; });
    it = it->second.empty() ? idle_[shard].erase(it) : std::next(it);
  }
  auto& list = idle_[shard][peer];
  if (list.size() >= limits_.max_idle_per_peer) list.erase(list.begin());  // the oldest goes
  stream->expires_never();
  list.push_back(Idle{std::move(stream), std::chrono::steady_clock::now()});
}

asio::awaitable<Forwarder::Done> Forwarder::forward(http::RequestContext& ctx, const Peer& owner) {
  auto slot = limiter_.acquire(ctx.client.limit_key);
  if (!slot.lease) co_return Done{Result::refused, http::Outcome::close, slot.refusal};
  auto& req = ctx.parser.get();
  const bool upgrade = http::is_websocket_upgrade(req);
  // Counted while it is a request (a drain waits for these), not once it is a joined WebSocket.
  struct Counted {
    std::atomic<size_t>* count;
    explicit Counted(std::atomic<size_t>& c) : count(&c) { count->fetch_add(1); }
    ~Counted() { release(); }
    void release() {
      if (count) count->fetch_sub(1);
      count = nullptr;
    }
  } counted(requests_in_flight_);

  // The body first (Engine.IO bodies are at most maxPayload). One declared larger is not read:
  // its header alone goes to the owner, which refuses it by its length and closes the session,
  // as it does for a client that comes directly.
  const bool oversized = ctx.parser.content_length() && *ctx.parser.content_length() > limits_.max_request_body;
  // A body refused while reading (chunked and too large, or too slow): read_body has answered the
  // client; the owner still hears of it, as an oversized header, so that it closes the session
  // as it would have had the client come directly.
  const bool body_refused =
      !oversized && !ctx.parser.is_done() && !co_await http::read_body(ctx, limits_.max_request_body);

  bhttp::request<bhttp::string_body> out{req.method(), req.target(), 11};
  for (const auto& field : req)
    if (passes_through(field)) out.insert(field.name(), field.name_string(), field.value());
  out.set(kForwardKeyHeader, owner.key);
  out.set(kForwardClientHeader, ctx.client.address.to_string());
  out.set(kForwardHttpsHeader, ctx.client.https ? "1" : "0");
  if (upgrade) {
    out.set(bhttp::field::connection, "Upgrade");
    out.set(bhttp::field::upgrade, "websocket");
  }
  out.body() = std::move(req.body());
  if (oversized || body_refused) {
    out.erase(bhttp::field::transfer_encoding);
    out.set(bhttp::field::content_length,
            std::to_string(oversized ? *ctx.parser.content_length() : limits_.max_request_body + 1));
    out.body().clear();
    out.keep_alive(false);
  } else if (!out.body().empty() || req.method() == bhttp::verb::post) {
    out.prepare_payload();
  }

  // A kept-alive connection first (not for an upgrade: that one becomes the WebSocket's). One
  // the owner closed just as it was taken fails before any byte of an answer, which means the
  // owner never read the request: then once more on a new connection.
  std::unique_ptr<beast::tcp_stream> held = upgrade ? nullptr : take_idle(ctx.shard, owner.endpoint);
  const bool was_reused = held != nullptr;
  beast::flat_buffer from_owner;
  std::optional<bhttp::response_parser<bhttp::string_body>> parser;
  beast::error_code read_ec;
  for (bool fresh = !was_reused;; fresh = true) {
    if (fresh) {
      held = std::make_unique<beast::tcp_stream>(ctx.stream.get_executor());
      held->expires_after(limits_.connect_timeout);
      if (auto [ec] = co_await held->async_connect(owner.endpoint, use_tuple); ec) {
        CHAT_LOG_THROTTLED(spdlog::level::warn, "engine.io: cannot reach the session's owner at {}: {}",
                           owner.endpoint.address().to_string(), ec.message());
        core::metrics().forwards_failed.inc();
        co_return Done{body_refused ? Result::answered : Result::unreachable, http::Outcome::close};
      }
      beast::error_code ignored;
      held->socket().set_option(asio::ip::tcp::no_delay(true), ignored);
      // An owner whose host vanished without a reset: what we sent stays unacknowledged, and
      // the connection fails after 5 s instead of waiting out the long-poll timeout.
      const int user_timeout_ms = 5000;
      ::setsockopt(held->socket().native_handle(), IPPROTO_TCP, TCP_USER_TIMEOUT, &user_timeout_ms,
                   sizeof user_timeout_ms);
    }
    auto& upstream = *held;
    upstream.expires_after(kWriteTimeout);
    auto [write_ec, written] = co_await bhttp::async_write(upstream, out, use_tuple);
    if (write_ec && !fresh) continue;
    if (write_ec) {
      core::metrics().forwards_failed.inc();
      co_return Done{body_refused ? Result::answered : Result::unreachable, http::Outcome::close};
    }
    from_owner.clear();
    parser.emplace();
    parser->header_limit(16 * 1024);
    parser->body_limit(limits_.max_response_body);
    // The owner holds a long-poll until it has packets (a ping at the latest); meanwhile a client
    // that closes its connection ends the upstream one, which the owner takes as an aborted poll.
    upstream.expires_after(req.method() == bhttp::verb::get ? limits_.idle_timeout : kWriteTimeout);
    bool watch_client = !upgrade && !body_refused;
    while (true) {
      if (!watch_client) {
        auto [ec, n] = upgrade ? co_await bhttp::async_read_header(upstream, from_owner, *parser, use_tuple)
                               : co_await bhttp::async_read(upstream, from_owner, *parser, use_tuple);
        read_ec = ec;
        break;
      }
      auto woke = co_await (bhttp::async_read(upstream, from_owner, *parser, use_tuple) ||
                            ctx.stream.socket().async_wait(asio::socket_base::wait_read, use_tuple));
      if (woke.index() == 0) {
        read_ec = std::get<0>(std::get<0>(woke));
        break;
      }
      // Closed: the client gave up. Bytes: a pipelined request, read once this one is answered.
      if (http::peek_peer(ctx.stream.socket()) == http::PeerState::closed) {
        spdlog::debug("engine.io: forwarded request aborted by the client");
        co_return Done{Result::answered, http::Outcome::close};  // closing `upstream` tells the owner
      }
      watch_client = false;  // a pipelined request: answered after this one
    }
    const bool nothing_heard = from_owner.size() == 0 && !parser->got_some();
    if (read_ec && !fresh && nothing_heard && read_ec != beast::error::timeout) continue;
    break;
  }
  auto& upstream = *held;
  if (!read_ec && upgrade && parser->get().result() != bhttp::status::switching_protocols && !parser->is_done()) {
    // Refused (an error, or a polling GET that carried upgrade headers): the rest of the answer.
    upstream.expires_after(kWriteTimeout);
    auto [ec, n] = co_await bhttp::async_read(upstream, from_owner, *parser, use_tuple);
    read_ec = ec;
  }
  upstream.expires_never();
  core::metrics().forwards.inc();
  if (read_ec) {
    CHAT_LOG_THROTTLED(spdlog::level::warn, "engine.io: the session's owner at {} failed to answer: {}",
                       owner.endpoint.address().to_string(), read_ec.message());
    core::metrics().forwards_failed.inc();
    co_return Done{body_refused ? Result::answered : Result::unreachable, http::Outcome::close};
  }
  if (body_refused) co_return Done{Result::answered, http::Outcome::close};  // the client has its 413
  const bool owner_keeps_alive =
      !upgrade && parser->get().keep_alive() && parser->is_done() && from_owner.size() == 0 && !draining_;

  auto res = parser->release();
  if (owner_keeps_alive) keep_idle(ctx.shard, owner.endpoint, std::move(held));
  if (!upgrade || res.result() != bhttp::status::switching_protocols) {
    // The owner's answer, as it gave it, on the client's own connection terms.
    for (auto field : {bhttp::field::connection, bhttp::field::keep_alive, bhttp::field::transfer_encoding,
                       bhttp::field::upgrade})
      res.erase(field);
    // Draining: the client's next request goes through the load balancer to another replica.
    res.keep_alive(req.keep_alive() && !upgrade && !draining_);
    const bool written = co_await http::write_response(ctx, res);
    co_return Done{Result::served, written && res.keep_alive() ? http::Outcome::keep_alive : http::Outcome::close};
  }

  // Switched: the 101 as the owner sent it, then both sockets joined.
  bhttp::response_serializer<bhttp::string_body> head(res);
  ctx.stream.expires_after(kWriteTimeout);
  if (auto [ec, n] = co_await bhttp::async_write_header(ctx.stream, head, use_tuple); ec)
    co_return Done{Result::answered, http::Outcome::close};
  if (from_owner.size() > 0) {
    if (auto [ec, n] = co_await asio::async_write(ctx.stream, from_owner.data(), use_tuple); ec)
      co_return Done{Result::answered, http::Outcome::close};
  }
  if (ctx.buffer.size() > 0) {
    upstream.expires_after(kWriteTimeout);
    if (auto [ec, n] = co_await asio::async_write(upstream, ctx.buffer.data(), use_tuple); ec)
      co_return Done{Result::answered, http::Outcome::close};
    ctx.buffer.consume(ctx.buffer.size());
  }
  ctx.stream.expires_never();
  core::metrics().websockets_proxied.inc();
  counted.release();  // a WebSocket now: cut when the loops stop, like a replica that dies
  co_await (pump(ctx.stream, upstream, limits_.idle_timeout) && pump(upstream, ctx.stream, limits_.idle_timeout));
  co_return Done{Result::answered, http::Outcome::close};
}

}  // namespace dchat::engineio

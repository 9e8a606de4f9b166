#include "engineio/forwarder.hpp"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
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

// Once one direction of a joined WebSocket has ended, the other gets this long to finish (the
// rest of a close handshake). A client that stopped reading would otherwise hold both
// connections, and a forwarding slot, for a whole write timeout after its owner let it go.
constexpr auto kJoinCloseGrace = std::chrono::seconds(5);

// Copies one direction of a joined WebSocket until that side closes or stays silent too long,
// then passes the end on (a half close), so the other direction can finish the close handshake,
// and starts the other direction's grace.
asio::awaitable<void> pump(beast::tcp_stream& from, beast::tcp_stream& to, std::chrono::milliseconds idle,
                           asio::steady_timer& one_ended) {
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
  if (one_ended.expiry() == asio::steady_timer::time_point::max()) one_ended.expires_after(kJoinCloseGrace);
}

// Ends a join whose first direction ended kJoinCloseGrace ago: cancels what both sides still wait
// for. Returns at once when the join ends by itself first (it is then cancelled).
asio::awaitable<void> cut_after_grace(asio::steady_timer& one_ended, beast::tcp_stream& a, beast::tcp_stream& b) {
  while (true) {
    auto [ec] = co_await one_ended.async_wait(use_tuple);
    if (!ec) break;
    // Aborted: either the join ended (cancelled), or a pump set the grace (a new expiry).
    if ((co_await asio::this_coro::cancellation_state).cancelled() != asio::cancellation_type::none) co_return;
  }
  a.cancel();
  b.cancel();
}

// Both directions of a joined WebSocket, until both have ended (or the grace after the first).
asio::awaitable<void> join_streams(beast::tcp_stream& client, beast::tcp_stream& upstream,
                                   std::chrono::milliseconds idle) {
  asio::steady_timer one_ended(client.get_executor(), asio::steady_timer::time_point::max());
  co_await ((pump(client, upstream, idle, one_ended) && pump(upstream, client, idle, one_ended)) ||
            cut_after_grace(one_ended, client, upstream));
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
  auto& pool = idle_[shard];
  const auto now = std::chrono::steady_clock::now();
  size_t kept = 0;
  for (auto it = pool.begin(); it != pool.end();) {
    std::erase_if(it->second, [&](const Idle& idle) { return now - idle.since >= limits_.max_idle; });
    kept += it->second.size();
    it = it->second.empty() ? pool.erase(it) : std::next(it);
  }
  // Full for this peer: its oldest goes. No room left among all peers: this one is not kept.
  const auto found = pool.find(peer);
  const bool peer_full = found != pool.end() && found->second.size() >= limits_.max_idle_per_peer;
  if (!peer_full && kept >= limits_.max_idle_per_shard) return;
  auto& list = pool[peer];
  if (peer_full) list.erase(list.begin());
  stream->expires_never();
  list.push_back(Idle{std::move(stream), now});
}

namespace {

// Counts a forwarded request while it is one (a drain waits for these), not once it has become
// a joined WebSocket.
class InFlight {
 public:
  explicit InFlight(std::atomic<size_t>& count) : count_(&count) { count_->fetch_add(1); }
  InFlight(const InFlight&) = delete;
  InFlight& operator=(const InFlight&) = delete;
  ~InFlight() { release(); }
  void release() {
    if (count_) count_->fetch_sub(1);
    count_ = nullptr;
  }

 private:
  std::atomic<size_t>* count_;
};

// The request that goes to the owner: the client's, without its connection fields and any
// forwarding header it made up, with ours. A body that was not read (`unread_length`: declared
// larger than maxPayload, or refused while read) goes as its length alone, so that the owner
// refuses it and closes the session, as it does for a client that comes directly.
bhttp::request<bhttp::string_body> upstream_request(http::RequestContext& ctx, const Peer& owner, bool upgrade,
                                                    std::optional<uint64_t> unread_length) {
  auto& req = ctx.parser.get();
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
  if (unread_length) {
    out.set(bhttp::field::content_length, std::to_string(*unread_length));
    out.keep_alive(false);
  } else {
    out.body() = std::move(req.body());
    if (!out.body().empty() || req.method() == bhttp::verb::post) out.prepare_payload();
  }
  return out;
}

}  // namespace

// One exchange with the owner, kept in forward()'s frame: the upstream connection, the answer's
// parser, and what the owner sent after the answer's header (an upgraded WebSocket's first bytes).
struct Forwarder::Exchange {
  std::unique_ptr<beast::tcp_stream> upstream;
  beast::flat_buffer from_owner;
  std::optional<bhttp::response_parser<bhttp::string_body>> parser;
};

asio::awaitable<std::unique_ptr<beast::tcp_stream>> Forwarder::connect(http::RequestContext& ctx, const Peer& owner) {
  auto stream = std::make_unique<beast::tcp_stream>(ctx.stream.get_executor());
  stream->expires_after(limits_.connect_timeout);
  if (auto [ec] = co_await stream->async_connect(owner.endpoint, use_tuple); ec) {
    CHAT_LOG_THROTTLED(spdlog::level::warn, "engine.io: cannot reach the session's owner at {}: {}",
                       owner.endpoint.address().to_string(), ec.message());
    co_return nullptr;
  }
  beast::error_code ignored;
  stream->socket().set_option(asio::ip::tcp::no_delay(true), ignored);
  // An owner whose host vanished without a reset: what we sent stays unacknowledged, and the
  // connection fails after 5 s instead of waiting out the long-poll timeout.
  const int user_timeout_ms = 5000;
  ::setsockopt(stream->socket().native_handle(), IPPROTO_TCP, TCP_USER_TIMEOUT, &user_timeout_ms,
               sizeof user_timeout_ms);
  co_return stream;
}

asio::awaitable<Forwarder::Heard> Forwarder::read_answer(http::RequestContext& ctx, Exchange& ex, bool upgrade,
                                                         bool watch_client) {
  auto& upstream = *ex.upstream;
  ex.from_owner.clear();
  ex.parser.emplace();
  ex.parser->header_limit(16 * 1024);
  ex.parser->body_limit(limits_.max_response_body);
  while (true) {
    if (!watch_client) {
      // An upgrade's answer is its header; what follows a 101 is the WebSocket's.
      auto [ec, n] = upgrade ? co_await bhttp::async_read_header(upstream, ex.from_owner, *ex.parser, use_tuple)
                             : co_await bhttp::async_read(upstream, ex.from_owner, *ex.parser, use_tuple);
      co_return Heard{ec, false};
    }
    auto woke = co_await (bhttp::async_read(upstream, ex.from_owner, *ex.parser, use_tuple) ||
                          ctx.stream.socket().async_wait(asio::socket_base::wait_read, use_tuple));
    if (woke.index() == 0) co_return Heard{std::get<0>(std::get<0>(woke)), false};
    // Closed: the client gave up. Bytes: a pipelined request, read once this one is answered.
    if (http::peek_peer(ctx.stream.socket()) == http::PeerState::closed) {
      spdlog::debug("engine.io: forwarded request aborted by the client");
      co_return Heard{{}, true};  // closing the upstream connection tells the owner
    }
    watch_client = false;
  }
}

asio::awaitable<Forwarder::Sent> Forwarder::exchange(http::RequestContext& ctx, const Peer& owner,
                                                     const bhttp::request<bhttp::string_body>& out, bool upgrade,
                                                     bool watch_client, Exchange& ex) {
  // A kept-alive connection first (not for an upgrade: that one becomes the WebSocket's). One
  // the owner closed just as it was taken fails before any byte of an answer, which means the
  // owner never read the request: then once more on a new connection.
  ex.upstream = upgrade ? nullptr : take_idle(ctx.shard, owner.endpoint);
  beast::error_code read_ec;
  for (bool fresh = !ex.upstream;; fresh = true) {
    if (fresh && !(ex.upstream = co_await connect(ctx, owner))) {
      core::metrics().forwards_failed.inc();
      co_return Sent::unreachable;
    }
    ex.upstream->expires_after(kWriteTimeout);
    if (auto [ec, n] = co_await bhttp::async_write(*ex.upstream, out, use_tuple); ec) {
      if (!fresh) continue;
      core::metrics().forwards_failed.inc();
      co_return Sent::unreachable;
    }
    // The owner holds a long-poll until it has packets (a ping at the latest); meanwhile a
    // client that closes its connection ends the upstream one, which the owner takes as an
    // aborted poll.
    ex.upstream->expires_after(out.method() == bhttp::verb::get ? limits_.idle_timeout : kWriteTimeout);
    const Heard heard = co_await read_answer(ctx, ex, upgrade, watch_client);
    if (heard.client_gone) co_return Sent::client_gone;
    read_ec = heard.ec;
    const bool nothing_heard = ex.from_owner.size() == 0 && !ex.parser->got_some();
    if (read_ec && !fresh && nothing_heard && read_ec != beast::error::timeout) continue;
    break;
  }
  if (!read_ec && upgrade && ex.parser->get().result() != bhttp::status::switching_protocols && !ex.parser->is_done()) {
    // Refused (an error, or a polling GET that carried upgrade headers): the rest of the answer.
    ex.upstream->expires_after(kWriteTimeout);
    auto [ec, n] = co_await bhttp::async_read(*ex.upstream, ex.from_owner, *ex.parser, use_tuple);
    read_ec = ec;
  }
  ex.upstream->expires_never();
  core::metrics().forwards.inc();
  if (read_ec) {
    CHAT_LOG_THROTTLED(spdlog::level::warn, "engine.io: the session's owner at {} failed to answer: {}",
                       owner.endpoint.address().to_string(), read_ec.message());
    core::metrics().forwards_failed.inc();
    co_return Sent::unreachable;
  }
  co_return Sent::answered;
}

asio::awaitable<bool> Forwarder::relay_switch(http::RequestContext& ctx, Exchange& ex,
                                              bhttp::response<bhttp::string_body>& switched) {
  bhttp::response_serializer<bhttp::string_body> head(switched);
  ctx.stream.expires_after(kWriteTimeout);
  if (auto [ec, n] = co_await bhttp::async_write_header(ctx.stream, head, use_tuple); ec) co_return false;
  if (ex.from_owner.size() > 0) {
    if (auto [ec, n] = co_await asio::async_write(ctx.stream, ex.from_owner.data(), use_tuple); ec) co_return false;
  }
  if (ctx.buffer.size() > 0) {
    ex.upstream->expires_after(kWriteTimeout);
    if (auto [ec, n] = co_await asio::async_write(*ex.upstream, ctx.buffer.data(), use_tuple); ec) co_return false;
    ctx.buffer.consume(ctx.buffer.size());
  }
  ctx.stream.expires_never();
  co_return true;
}

asio::awaitable<Forwarder::Done> Forwarder::forward(http::RequestContext& ctx, const Peer& owner) {
  auto slot = limiter_.acquire(ctx.client.limit_key);
  if (!slot.lease) co_return Done{Result::refused, http::Outcome::close, slot.refusal};
  InFlight counted(requests_in_flight_);
  const auto& req = ctx.parser.get();
  const bool upgrade = http::is_websocket_upgrade(req);

  // The body first (Engine.IO bodies are at most maxPayload). One declared larger is not read.
  // One refused while read (chunked and too large, or too slow) has been answered by read_body;
  // the owner still hears of it, so that it closes the session.
  const auto declared = ctx.parser.content_length();
  const bool oversized = declared && *declared > limits_.max_request_body;
  const bool body_refused =
      !oversized && !ctx.parser.is_done() && !co_await http::read_body(ctx, limits_.max_request_body);
  std::optional<uint64_t> unread_length;
  if (oversized) unread_length = *declared;
  if (body_refused) unread_length = limits_.max_request_body + 1;
  const auto out = upstream_request(ctx, owner, upgrade, unread_length);

  Exchange ex;
  const Sent sent = co_await exchange(ctx, owner, out, upgrade, !upgrade && !body_refused, ex);
  // A client whose body was refused has its 413 already: nothing more goes to it.
  if (sent == Sent::client_gone || body_refused) co_return Done{Result::answered, http::Outcome::close};
  if (sent == Sent::unreachable) co_return Done{Result::unreachable, http::Outcome::close};

  const bool owner_keeps_alive = !upgrade && ex.parser->get().keep_alive() && ex.parser->is_done() &&
                                 ex.from_owner.size() == 0 && !draining_;
  auto res = ex.parser->release();
  if (owner_keeps_alive) keep_idle(ctx.shard, owner.endpoint, std::move(ex.upstream));
  if (upgrade && res.result() == bhttp::status::switching_protocols) {
    if (co_await relay_switch(ctx, ex, res)) {
      core::metrics().websockets_proxied.inc();
      counted.release();  // a WebSocket now: cut when the loops stop, like a replica that dies
      co_await join_streams(ctx.stream, *ex.upstream, limits_.idle_timeout);
    }
    co_return Done{Result::answered, http::Outcome::close};
  }
  // The owner's answer, as it gave it, on the client's own connection terms.
  for (auto field : {bhttp::field::connection, bhttp::field::keep_alive, bhttp::field::transfer_encoding,
                     bhttp::field::upgrade})
    res.erase(field);
  // Draining: the client's next request goes through the load balancer to another replica.
  res.keep_alive(req.keep_alive() && !upgrade && !draining_);
  const bool written = co_await http::write_response(ctx, res);
  co_return Done{Result::served, written && res.keep_alive() ? http::Outcome::keep_alive : http::Outcome::close};
}

}  // namespace dchat::engineio

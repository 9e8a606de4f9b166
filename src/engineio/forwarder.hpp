#pragma once
// Serves a request for a session another replica owns by passing it to that replica's internal
// listener (see forwarding.hpp): the request's header and body (a POST body is read first,
// within maxPayload) on a kept-alive upstream connection (each event loop keeps a few idle ones
// per peer), then the owner's answer back. A long-poll waits as long as the owner holds it, and
// a client that gives up closes the upstream connection, which the owner sees as the aborted
// poll it is. A WebSocket upgrade is forwarded the same way and, once the owner has switched
// protocols, both sockets are joined for the life of the WebSocket (bytes copied both ways,
// 16 KiB at a time each way; once one side has ended, the other has 5 s to finish).
#include <boost/asio/awaitable.hpp>

#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <vector>

#include "core/concurrency_limiter.hpp"
#include "engineio/forwarding.hpp"
#include "http/request_context.hpp"

namespace dchat::engineio {

class Forwarder {
 public:
  struct Limits {
    size_t max_in_flight = 10000;   // forwarded requests and proxied WebSockets at once
    size_t max_per_client = 256;    // of those, per client (HandshakeInfo::client_key)
    std::chrono::milliseconds connect_timeout{2000};
    // The longest an owner may hold a long-poll (pingInterval + pingTimeout, and a margin), and
    // the longest a proxied WebSocket may stay silent both ways (the owner pings every interval).
    std::chrono::milliseconds idle_timeout{50000};
    uint64_t max_request_body = 1000000;  // maxPayload
    uint64_t max_response_body = 16u << 20;
    size_t shards = 1;                     // event loops (each keeps its own idle connections)
    size_t max_idle_per_peer = 16;         // idle upstream connections per peer and event loop
    size_t max_idle_per_shard = 64;        // and per event loop, all peers together
    std::chrono::milliseconds max_idle{30000};  // well below the owner's keep-alive timeout (75 s)
  };
  explicit Forwarder(Limits limits);

  enum class Result {
    served,        // the owner answered (whatever it said) and the client has its answer
    unreachable,   // nothing was sent to the client: the owner could not be reached or failed
    refused,       // over a cap; nothing was sent to the client (`refusal` says which)
    answered,      // the forwarder itself answered (a refused body) or the client went away
  };
  struct Done {
    Result result;
    http::Outcome outcome = http::Outcome::close;
    core::ConcurrencyLimiter::Refusal refusal = core::ConcurrencyLimiter::Refusal::none;
  };
  boost::asio::awaitable<Done> forward(http::RequestContext& ctx, const Peer& owner);

  size_t in_flight() const { return limiter_.total(); }
  size_t max_in_flight() const { return limits_.max_in_flight; }
  size_t max_per_client() const { return limits_.max_per_client; }
  // Forwarded requests not yet answered (joined WebSockets not counted): what a drain waits for.
  size_t requests_in_flight() const { return requests_in_flight_.load(); }
  // From now on answers go back with Connection: close, and no upstream connection is kept.
  void start_draining() { draining_ = true; }

 private:
  using Request = boost::beast::http::request<boost::beast::http::string_body>;
  struct Exchange;
  struct Heard {
    boost::beast::error_code ec;
    bool client_gone = false;  // the client closed its connection while the owner held the answer
  };
  enum class Sent { answered, unreachable, client_gone };

  // A new connection to the owner's internal listener, or nothing (logged).
  boost::asio::awaitable<std::unique_ptr<boost::beast::tcp_stream>> connect(http::RequestContext& ctx,
                                                                            const Peer& owner);
  // Sends `out` (on a kept connection if there is one, retried once on a new one when a kept
  // connection turns out closed) and reads the owner's answer into `ex`.
  boost::asio::awaitable<Sent> exchange(http::RequestContext& ctx, const Peer& owner, const Request& out, bool upgrade,
                                        bool watch_client, Exchange& ex);
  // The owner's answer, watching the client meanwhile when `watch_client`.
  boost::asio::awaitable<Heard> read_answer(http::RequestContext& ctx, Exchange& ex, bool upgrade, bool watch_client);
  // Relays the owner's 101 and whatever either side sent after its header; false if the
  // client or the owner is gone.
  boost::asio::awaitable<bool> relay_switch(http::RequestContext& ctx, Exchange& ex,
                                            boost::beast::http::response<boost::beast::http::string_body>& switched);

  struct Idle {
    std::unique_ptr<boost::beast::tcp_stream> stream;  // tcp_stream cannot be move-assigned
    std::chrono::steady_clock::time_point since;
  };
  using IdlePool = std::map<boost::asio::ip::tcp::endpoint, std::vector<Idle>>;
  // An idle connection to `peer` that still looks usable, or nothing. Only on `shard`'s thread.
  std::unique_ptr<boost::beast::tcp_stream> take_idle(size_t shard, const boost::asio::ip::tcp::endpoint& peer);
  void keep_idle(size_t shard, const boost::asio::ip::tcp::endpoint& peer,
                 std::unique_ptr<boost::beast::tcp_stream> stream);

  Limits limits_;
  core::ConcurrencyLimiter limiter_;
  std::vector<IdlePool> idle_;  // per shard, touched only on that shard's thread
  std::atomic<size_t> requests_in_flight_{0};
  std::atomic<bool> draining_{false};
};

}  // namespace dchat::engineio

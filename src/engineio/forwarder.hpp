#pragma once
// Serves a request for a session another replica owns by passing it to that replica's internal
// listener (see forwarding.hpp): one upstream connection per forwarded request, the request's
// header and body (a POST body is read first, within maxPayload), then the owner's answer back.
// A long-poll waits as long as the owner holds it, and a client that gives up closes the
// upstream connection too, which the owner sees as the aborted poll it is. A WebSocket upgrade
// is forwarded the same way and, once the owner has switched protocols, both sockets are joined
// for the life of the WebSocket (bytes copied both ways, 16 KiB at a time each way).
#include <boost/asio/awaitable.hpp>

#include <chrono>

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

 private:
  Limits limits_;
  core::ConcurrencyLimiter limiter_;
};

}  // namespace dchat::engineio

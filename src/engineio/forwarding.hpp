#pragma once
// Sessions without sticky load balancing (issue #14): which replica owns a session, and how
// another replica reaches it.
//
// Every session id starts with the owning replica's *session tag*: kSessionTagLength random
// URL-safe characters drawn at start-up, meaningless outside the cluster (it says which replica,
// never where it is), followed by 144 random bits, so ids stay unguessable. A replica that gets
// a request for a session whose tag is not its own looks the tag up among the peers announced on
// the cluster bus and forwards the request to that peer's internal listener, with the peer's
// forward key; the owner serves it as if the client had come directly. Forwarded requests are
// never forwarded again (one hop at most), and an unknown tag or an unreachable owner gets the
// reference server's "Session ID unknown" at once.
#include <boost/asio/ip/tcp.hpp>

#include <optional>
#include <string>
#include <string_view>

namespace dchat::engineio {

constexpr size_t kSessionTagLength = 8;

// Request headers between replicas. The key proves the request comes from a replica of the
// cluster (it is learned over the broker only); the owner believes the client headers only then.
inline constexpr std::string_view kForwardKeyHeader = "X-Chatd-Forward-Key";
inline constexpr std::string_view kForwardClientHeader = "X-Chatd-Client";        // the client's address
inline constexpr std::string_view kForwardHttpsHeader = "X-Chatd-Client-Https";   // "1" when it came over https

// This replica, as its peers know it.
struct ForwardingIdentity {
  std::string tag;  // kSessionTagLength URL-safe characters
  std::string key;  // what a forwarded request must carry to be served
  static ForwardingIdentity generate();
};

struct Peer {
  boost::asio::ip::tcp::endpoint endpoint;  // its internal listener
  std::string key;
};

// The peers announced on the cluster bus, by session tag. Thread-safe.
class PeerDirectory {
 public:
  virtual ~PeerDirectory() = default;
  virtual std::optional<Peer> find(std::string_view tag) const = 0;
};

// The tag a session id carries (empty when the id is too short to carry one).
inline std::string_view session_tag_of(std::string_view sid) {
  return sid.size() > kSessionTagLength ? sid.substr(0, kSessionTagLength) : std::string_view{};
}

}  // namespace dchat::engineio

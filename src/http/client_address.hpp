#pragma once
// Who a request comes from, for per-client limits and for the cookie's Secure flag. Behind a
// load balancer every TCP peer is the balancer, so its X-Forwarded-For / X-Forwarded-Proto
// headers are believed, but only from peers listed as trusted proxies: anyone else could send
// those headers to pose as another client (or as https).
#include <boost/asio/ip/address.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace dchat::http {

using IpAddress = boost::asio::ip::address;

class TrustedProxies {
 public:
  TrustedProxies() = default;
  // Entries like "10.0.0.0/8", "192.168.1.5", "fd00::/8"; the error names the bad entry.
  static std::optional<TrustedProxies> parse(const std::vector<std::string>& entries, std::string& error);

  bool trusts(const IpAddress& address) const noexcept;
  bool empty() const noexcept { return nets_.empty(); }

 private:
  struct Net {
    IpAddress base;
    unsigned prefix;
  };
  std::vector<Net> nets_;
};

// The client: the TCP peer, or, when the peer is a trusted proxy, the right-most address of
// X-Forwarded-For that is not itself a trusted proxy (each proxy appends what it saw, so only
// the entries our own proxies appended can be believed; what the client wrote is on the left).
IpAddress client_address(const IpAddress& peer, std::string_view forwarded_for, const TrustedProxies& proxies);

// Whether the client reached us over https: only a trusted proxy can say so.
bool forwarded_https(const IpAddress& peer, std::string_view forwarded_proto, const TrustedProxies& proxies);

// What per-client limits count by: an IPv4 address as is; IPv6 by its /64, since one subscriber
// usually gets a whole /64 and can pick any address in it; IPv4-mapped IPv6 as IPv4.
std::string limit_key(const IpAddress& address);

}  // namespace dchat::http

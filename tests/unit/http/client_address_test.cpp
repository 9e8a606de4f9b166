// Who a request comes from: X-Forwarded-For is believed from trusted proxies only, IPv6
// clients are limited by /64.
#include <gtest/gtest.h>

#include "http/client_address.hpp"

using namespace dchat::http;

namespace {

IpAddress ip(const char* s) { return boost::asio::ip::make_address(s); }

TrustedProxies proxies(std::vector<std::string> list) {
  std::string error;
  auto p = TrustedProxies::parse(list, error);
  EXPECT_TRUE(p.has_value()) << error;
  return p ? *p : TrustedProxies{};
}

}  // namespace

TEST(ClientAddress, ForwardedForIsIgnoredFromAnUntrustedPeer) {
  const auto none = proxies({});
  EXPECT_EQ(client_address(ip("203.0.113.9"), "1.2.3.4", none), ip("203.0.113.9"));
  EXPECT_FALSE(forwarded_https(ip("203.0.113.9"), "https", none));
}

TEST(ClientAddress, TheRightmostUntrustedHopIsTheClient) {
  const auto lb = proxies({"10.0.0.0/8", "192.168.1.5"});
  // The client wrote "6.6.6.6" itself; our balancer appended what it saw.
  EXPECT_EQ(client_address(ip("10.1.2.3"), "6.6.6.6, 198.51.100.7", lb), ip("198.51.100.7"));
  // Two of our own proxies in a row.
  EXPECT_EQ(client_address(ip("10.1.2.3"), "198.51.100.7, 192.168.1.5", lb), ip("198.51.100.7"));
  // Only proxies (a health check from inside): the left-most.
  EXPECT_EQ(client_address(ip("10.1.2.3"), "10.9.9.9", lb), ip("10.9.9.9"));
  // No header: the proxy itself.
  EXPECT_EQ(client_address(ip("10.1.2.3"), "", lb), ip("10.1.2.3"));
  // Garbage stops the walk at the last good hop.
  EXPECT_EQ(client_address(ip("10.1.2.3"), "nonsense, 198.51.100.7", lb), ip("198.51.100.7"));
  EXPECT_EQ(client_address(ip("10.1.2.3"), "198.51.100.7, nonsense", lb), ip("10.1.2.3"));
}

TEST(ClientAddress, HttpsOnlyWhenATrustedProxySaysSo) {
  const auto lb = proxies({"127.0.0.1"});
  EXPECT_TRUE(forwarded_https(ip("127.0.0.1"), "https", lb));
  EXPECT_TRUE(forwarded_https(ip("127.0.0.1"), "https, http", lb));
  EXPECT_FALSE(forwarded_https(ip("127.0.0.1"), "http", lb));
  EXPECT_FALSE(forwarded_https(ip("127.0.0.2"), "https", lb));
}

TEST(ClientAddress, IPv6IsLimitedByItsSlash64AndMappedIPv4AsIPv4) {
  EXPECT_EQ(limit_key(ip("2001:db8:1:2:aaaa::1")), "2001:db8:1:2::/64");
  EXPECT_EQ(limit_key(ip("2001:db8:1:2:ffff:1:2:3")), "2001:db8:1:2::/64");
  EXPECT_NE(limit_key(ip("2001:db8:1:3::1")), limit_key(ip("2001:db8:1:2::1")));
  EXPECT_EQ(limit_key(ip("::ffff:192.0.2.1")), "192.0.2.1");
  EXPECT_EQ(limit_key(ip("192.0.2.1")), "192.0.2.1");
}

TEST(ClientAddress, TrustedProxiesParseCidrsAndRefuseNonsense) {
  const auto p = proxies({"10.0.0.0/8", " fd00::/8 ", "192.0.2.7"});
  EXPECT_TRUE(p.trusts(ip("10.200.1.1")));
  EXPECT_FALSE(p.trusts(ip("11.0.0.1")));
  EXPECT_TRUE(p.trusts(ip("fd12::1")));
  EXPECT_TRUE(p.trusts(ip("::ffff:10.0.0.1"))) << "IPv4-mapped peers match IPv4 entries";
  EXPECT_TRUE(p.trusts(ip("192.0.2.7")));
  EXPECT_FALSE(p.trusts(ip("192.0.2.8")));
  std::string error;
  EXPECT_FALSE(TrustedProxies::parse({"10.0.0.0/33"}, error));
  EXPECT_FALSE(TrustedProxies::parse({"example.com"}, error));
  EXPECT_NE(error.find("example.com"), std::string::npos);
}

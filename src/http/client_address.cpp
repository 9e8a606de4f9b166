#include "http/client_address.hpp"

#include <charconv>

namespace dchat::http {

namespace {

IpAddress unmapped(const IpAddress& a) {
  if (a.is_v6() && a.to_v6().is_v4_mapped())
    return boost::asio::ip::make_address_v4(boost::asio::ip::v4_mapped, a.to_v6());
  return a;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool in_net(const IpAddress& a, const IpAddress& base, unsigned prefix) {
  if (a.is_v4() != base.is_v4()) return false;
  auto bytes_of = [](const IpAddress& x) {
    std::array<unsigned char, 16> out{};
    if (x.is_v4()) {
      auto b = x.to_v4().to_bytes();
      std::copy(b.begin(), b.end(), out.begin());
    } else {
      out = x.to_v6().to_bytes();
    }
    return out;
  };
  const auto x = bytes_of(a), y = bytes_of(base);
  unsigned bits = prefix;
  for (size_t i = 0; bits > 0; ++i) {
    const unsigned take = bits >= 8 ? 8 : bits;
    const unsigned char mask = static_cast<unsigned char>(0xFF00u >> take);
    if ((x[i] & mask) != (y[i] & mask)) return false;
    bits -= take;
  }
  return true;
}

}  // namespace

std::optional<TrustedProxies> TrustedProxies::parse(const std::vector<std::string>& entries, std::string& error) {
  TrustedProxies out;
  for (const auto& raw : entries) {
    const std::string_view entry = trim(raw);
    const size_t slash = entry.find('/');
    boost::system::error_code ec;
    const IpAddress base = unmapped(boost::asio::ip::make_address(std::string(entry.substr(0, slash)), ec));
    if (ec) {
      error = "\"" + std::string(entry) + "\" is not an IP address or CIDR";
      return std::nullopt;
    }
    const unsigned max = base.is_v4() ? 32 : 128;
    unsigned prefix = max;
    if (slash != std::string_view::npos) {
      const std::string_view bits = entry.substr(slash + 1);
      auto [ptr, err] = std::from_chars(bits.data(), bits.data() + bits.size(), prefix);
      if (err != std::errc() || ptr != bits.data() + bits.size() || prefix > max) {
        error = "\"" + std::string(entry) + "\" has a bad prefix length";
        return std::nullopt;
      }
    }
    out.nets_.push_back({base, prefix});
  }
  return out;
}

bool TrustedProxies::trusts(const IpAddress& address) const noexcept {
  const IpAddress a = unmapped(address);
  for (const auto& net : nets_)
    if (in_net(a, net.base, net.prefix)) return true;
  return false;
}

IpAddress client_address(const IpAddress& peer, std::string_view forwarded_for, const TrustedProxies& proxies) {
  IpAddress client = unmapped(peer);
  if (!proxies.trusts(client)) return client;
  // Right to left: skip our own proxies; the first other address is the client.
  while (!forwarded_for.empty()) {
    const size_t comma = forwarded_for.rfind(',');
    const std::string_view item = trim(comma == std::string_view::npos ? forwarded_for : forwarded_for.substr(comma + 1));
    forwarded_for = comma == std::string_view::npos ? std::string_view{} : forwarded_for.substr(0, comma);
    boost::system::error_code ec;
    const IpAddress hop = unmapped(boost::asio::ip::make_address(std::string(item), ec));
    if (ec) break;  // garbage (or an "ip:port" form we do not accept): stop at the last good hop
    client = hop;
    if (!proxies.trusts(hop)) break;
  }
  return client;
}

bool forwarded_https(const IpAddress& peer, std::string_view forwarded_proto, const TrustedProxies& proxies) {
  if (!proxies.trusts(peer)) return false;
  // "https" or, through several proxies, "https, http": the first is what the client used.
  const size_t comma = forwarded_proto.find(',');
  return trim(forwarded_proto.substr(0, comma)) == "https";
}

std::string limit_key(const IpAddress& address) {
  const IpAddress a = unmapped(address);
  if (a.is_v4()) return a.to_string();
  auto bytes = a.to_v6().to_bytes();
  std::fill(bytes.begin() + 8, bytes.end(), 0);
  return boost::asio::ip::address_v6(bytes).to_string() + "/64";
}

}  // namespace dchat::http

#include "http/ws_handshake.hpp"

#include <boost/algorithm/string/predicate.hpp>
#include <openssl/sha.h>

#include "core/base64.hpp"

namespace dchat::http {

namespace bhttp = beast::http;

bool is_websocket_upgrade(const Request& req) {
  return req.method() == bhttp::verb::get && boost::iequals(req[bhttp::field::upgrade], "websocket") &&
         boost::icontains(req[bhttp::field::connection], "upgrade");
}

std::optional<std::string> websocket_accept_response(const Request& req) {
  const auto key = req[bhttp::field::sec_websocket_key];
  if (key.size() != 24 || req[bhttp::field::sec_websocket_version] != "13") return std::nullopt;
  std::string material(key);
  material += "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";  // RFC 6455 section 1.3
  unsigned char digest[SHA_DIGEST_LENGTH];
  SHA1(reinterpret_cast<const unsigned char*>(material.data()), material.size(), digest);
  std::string res =
      "HTTP/1.1 101 Switching Protocols\r\n"
      "Upgrade: websocket\r\n"
      "Connection: Upgrade\r\n"
      "Sec-WebSocket-Accept: ";
  res += core::base64_encode(std::string_view(reinterpret_cast<const char*>(digest), sizeof digest));
  res += "\r\n\r\n";
  return res;
}

}  // namespace dchat::http

#pragma once
// What a route handler gets for one HTTP request, and what it tells the connection to do next.
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>

#include <functional>
#include <memory>
#include <string>
#include <string_view>

namespace dchat::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
using tcp = asio::ip::tcp;
using Parser = beast::http::request_parser<beast::http::string_body>;
using Request = beast::http::request<beast::http::string_body>;
using Response = beast::http::response<beast::http::string_body>;

enum class Outcome {
  keep_alive,  // answered; read the next request on this connection
  close,       // answered or failed; close the connection
  taken,       // the socket now belongs to someone else (a WebSocket transport)
  migrate,     // serve this request on shard `migrate_to` (the one owning its session)
};

// Who sent a request (see client_address.hpp): the client's address, the key per-client limits
// count by, and whether it came over https (said by a trusted proxy).
struct ClientInfo {
  boost::asio::ip::address address;
  std::string limit_key;
  bool https = false;
};

struct RequestContext {
  beast::tcp_stream& stream;
  beast::flat_buffer& buffer;
  Parser& parser;  // the header has been read; the body has not
  size_t shard;
  std::string_view path;
  std::string_view query;
  const ClientInfo& client;
  // This connection's slot in the connection limits: whoever takes the socket over (a
  // WebSocket transport) takes this too, so the slot is held exactly as long as the socket.
  std::shared_ptr<void>& connection_lease;
  size_t migrate_to = 0;
};

using RouteHandler = std::function<asio::awaitable<Outcome>(RequestContext&)>;

}  // namespace dchat::http

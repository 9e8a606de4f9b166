#pragma once
// What the other end of a connection has done, seen without consuming anything (MSG_PEEK): sent
// nothing, sent bytes (a pipelined request, an unasked-for answer), or closed it (or it failed).
// Asio has no non-consuming probe of a socket, hence the system call.
#include <sys/socket.h>

#include <boost/asio/ip/tcp.hpp>

#include <cerrno>

namespace dchat::http {

enum class PeerState { quiet, sent_bytes, closed };

inline PeerState peek_peer(boost::asio::ip::tcp::socket& socket) {
  char c;
  const ssize_t r = ::recv(socket.native_handle(), &c, 1, MSG_PEEK | MSG_DONTWAIT);
  if (r > 0) return PeerState::sent_bytes;
  if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return PeerState::quiet;
  return PeerState::closed;
}

}  // namespace dchat::http

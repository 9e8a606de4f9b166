#include "http/listener.hpp"

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/asio/ip/address.hpp>
#include <boost/asio/post.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "core/log_throttle.hpp"
#include "core/metrics.hpp"
#include "http/http_connection.hpp"

namespace dchat::http {

namespace {

int open_spare() { return ::open("/dev/null", O_RDONLY | O_CLOEXEC); }

// A connection over a limit gets a short answer before it is closed, written without waiting:
// it fits in any socket buffer, and if it does not go out the client sees a close instead.
std::string refusal_response(int status, std::string_view reason, std::string_view body) {
  return fmt::format("HTTP/1.1 {} {}\r\nContent-Type: application/json\r\nRetry-After: 5\r\n"
                     "Connection: close\r\nContent-Length: {}\r\n\r\n{}",
                     status, reason, body.size(), body);
}

const std::string& refusal_text(core::ConcurrencyLimiter::Refusal why) {
  static const std::string busy = refusal_response(
      503, "Service Unavailable", R"({"error":"overloaded","message":"too many connections, try again later"})");
  static const std::string per_client = refusal_response(
      429, "Too Many Requests", R"({"error":"rate_limited","message":"too many connections from this address"})");
  return why == core::ConcurrencyLimiter::Refusal::per_client ? per_client : busy;
}

void refuse(int fd, core::ConcurrencyLimiter::Refusal why) {
  const std::string& text = refusal_text(why);
  [[maybe_unused]] const ssize_t n = ::send(fd, text.data(), text.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
  ::shutdown(fd, SHUT_WR);
  // Closing with the client's request still unread would send a reset that can overtake the
  // answer; read what has arrived (without waiting) first.
  char sink[4096];
  for (int i = 0; i < 16 && ::recv(fd, sink, sizeof sink, MSG_DONTWAIT) > 0; ++i) {
  }
  ::close(fd);
}

}  // namespace

Listener::Listener(core::ShardPool& pool, const Router& router, const ConnectionPolicy& policy)
    : pool_(pool),
      router_(router),
      policy_(policy),
      limiter_(policy.max_connections, policy.max_connections_per_client),
      acceptor_(pool.context(0)),
      backoff_(pool.context(0)) {
  take_spares();
  // Built now: the first refusal may well come when nothing can be allocated or opened.
  refusal_text(core::ConcurrencyLimiter::Refusal::total);
  refusal_text(core::ConcurrencyLimiter::Refusal::per_client);
}

Listener::~Listener() { release_spares(); }

void Listener::listen(const std::string& host, uint16_t port) {
  beast::error_code ec;
  auto address = asio::ip::make_address(host, ec);
  if (ec) throw std::runtime_error(fmt::format("HOST \"{}\" is not an IP address", host));
  tcp::endpoint endpoint(address, port);
  protocol_ = endpoint.protocol();
  acceptor_.open(endpoint.protocol());
  acceptor_.set_option(tcp::acceptor::reuse_address(true));
  acceptor_.bind(endpoint, ec);
  if (ec) throw std::runtime_error(fmt::format("cannot listen on {}:{}: {}", host, port, ec.message()));
  acceptor_.listen(asio::socket_base::max_listen_connections);
}

uint16_t Listener::port() const { return acceptor_.local_endpoint().port(); }

void Listener::start() { accept_next(); }

void Listener::stop() {
  beast::error_code ignored;
  acceptor_.close(ignored);
  backoff_.cancel();
}

void Listener::accept_next() {
  acceptor_.async_accept([this](beast::error_code ec, tcp::socket socket) {
    if (ec == asio::error::operation_aborted || !acceptor_.is_open()) return;
    if (ec) return on_accept_error(ec);
    backoff_delay_ = std::chrono::milliseconds(0);
    admit(std::move(socket));
    accept_next();
  });
}

// Out of descriptors (EMFILE/ENFILE) the pending connection stays in the backlog and the
// acceptor would report the same error again at once, forever, at full CPU. Instead: give up
// the spare descriptors, accept that one connection and close it (the client gets a clean
// close, not a hang), take the spares back, and pause accepting with a growing delay. The spares
// are released before anything else runs, logging included: code that needs a descriptor on
// this path (the sanitizers' memory checks open a pipe) then has one.
void Listener::on_accept_error(const boost::system::error_code& ec) {
  const bool out_of_fds = ec == asio::error::no_descriptors || ec.value() == ENFILE || ec == asio::error::no_buffer_space ||
                          ec == asio::error::no_memory;
  const bool had_spares = spare_fds_[0] >= 0;
  if (out_of_fds) release_spares();
  CHAT_LOG_THROTTLED(spdlog::level::warn, "accept failed: {}{}", ec.message(),
                     out_of_fds ? "; pausing new connections" : "");
  if (out_of_fds && had_spares) {
    const int fd = ::accept4(acceptor_.native_handle(), nullptr, nullptr, SOCK_CLOEXEC);
    if (fd >= 0) refuse(fd, core::ConcurrencyLimiter::Refusal::total);
  }
  if (out_of_fds) take_spares();
  backoff_delay_ = std::clamp(backoff_delay_ * 2, std::chrono::milliseconds(20), std::chrono::milliseconds(1000));
  backoff_.expires_after(backoff_delay_);
  backoff_.async_wait([this](beast::error_code wait_ec) {
    if (!wait_ec) accept_next();
  });
}

void Listener::release_spares() {
  for (int& fd : spare_fds_) {
    if (fd >= 0) ::close(fd);
    fd = -1;
  }
}

void Listener::take_spares() {
  for (int& fd : spare_fds_)
    if (fd < 0) fd = open_spare();
}

void Listener::admit(tcp::socket socket) {
  beast::error_code ec;
  const auto peer = socket.remote_endpoint(ec);
  if (ec) return;  // already gone
  // Behind a trusted proxy every connection comes from the proxy: only the total applies.
  const bool proxy = policy_.proxies.trusts(peer.address());
  auto acquired = limiter_.acquire(limit_key(peer.address()), proxy);
  if (!acquired.lease) {
    core::metrics().connections_refused.inc();
    CHAT_LOG_THROTTLED(spdlog::level::warn, "refusing a connection from {}: {}", peer.address().to_string(),
                       acquired.refusal == core::ConcurrencyLimiter::Refusal::total
                           ? fmt::format("{} connections open (CHAT_MAX_CONNECTIONS)", limiter_.max_total())
                           : fmt::format("{} connections from this address (CHAT_MAX_CONNECTIONS_PER_CLIENT)",
                                         policy_.max_connections_per_client));
    refuse(socket.release(), acquired.refusal);
    return;
  }
  socket.set_option(tcp::no_delay(true), ec);
  const size_t shard = next_shard_++ % pool_.size();
  ConnectionState state;
  state.lease = std::move(acquired.lease);
  spawn_connection(pool_, router_, policy_, shard, socket.release(), protocol_, std::move(state));
}

}  // namespace dchat::http

#include "broker/amqp_broker.hpp"

#include <amqp.h>
#include <amqp_tcp_socket.h>
#include <poll.h>
#include <spdlog/spdlog.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <deque>
#include <memory>
#include <optional>
#include <set>
#include <stdexcept>
#include <utility>
#include <vector>

#include "broker/broker_worker.hpp"

namespace dchat::broker {
namespace {

constexpr int kFrameMax = 131072;
constexpr amqp_channel_t kChannel = 1;
constexpr int kPollMs = 500;            // idle wait; AMQP heartbeats are serviced at least this often
constexpr int kDeliveriesPerRound = 256;  // then queued work gets its turn again

amqp_bytes_t amqp_view(const std::string& s) {
  amqp_bytes_t b;
  b.len = s.size();
  b.bytes = const_cast<char*>(s.data());
  return b;
}

std::string amqp_describe(const amqp_rpc_reply_t& r) {
  switch (r.reply_type) {
    case AMQP_RESPONSE_NORMAL:
      return "ok";
    case AMQP_RESPONSE_NONE:
      return "no reply";
    case AMQP_RESPONSE_LIBRARY_EXCEPTION:
      return amqp_error_string2(r.library_error);
    case AMQP_RESPONSE_SERVER_EXCEPTION:
      if (r.reply.id == AMQP_CONNECTION_CLOSE_METHOD) {
        auto* m = static_cast<amqp_connection_close_t*>(r.reply.decoded);
        return "connection closed by the server: " + std::to_string(m->reply_code) + " " +
               std::string(static_cast<const char*>(m->reply_text.bytes), m->reply_text.len);
      }
      if (r.reply.id == AMQP_CHANNEL_CLOSE_METHOD) {
        auto* m = static_cast<amqp_channel_close_t*>(r.reply.decoded);
        return "channel closed by the server: " + std::to_string(m->reply_code) + " " +
               std::string(static_cast<const char*>(m->reply_text.bytes), m->reply_text.len);
      }
      return "server exception (method " + std::to_string(r.reply.id) + ")";
  }
  return "unknown reply";
}

// An error that ends the current connection (the worker then reconnects).
struct ConnectionLost : std::runtime_error {
  using std::runtime_error::runtime_error;
};

}  // namespace

AmqpSettings AmqpSettings::from_url(std::string_view url) {
  std::vector<char> buf(url.begin(), url.end());
  buf.push_back('\0');
  amqp_connection_info info;
  amqp_default_connection_info(&info);
  if (amqp_parse_url(buf.data(), &info) != AMQP_STATUS_OK)
    throw std::invalid_argument("malformed AMQP URL (expected amqp://user:password@host:port/vhost)");
  if (info.ssl) throw std::invalid_argument("amqps:// (TLS) is not supported");
  AmqpSettings s;
  s.host = info.host ? info.host : "localhost";
  s.port = info.port;
  s.user = info.user ? info.user : "guest";
  s.password = info.password ? info.password : "guest";
  s.vhost = (info.vhost && *info.vhost) ? info.vhost : "/";
  return s;
}

namespace {

// The rabbitmq-c connection, on the worker thread.
class AmqpWorker final : public BrokerWorker {
 public:
  explicit AmqpWorker(AmqpSettings settings) : BrokerWorker("amqp"), s_(std::move(settings)) {
    efd_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (efd_ < 0) throw std::runtime_error("broker amqp: eventfd() failed");
  }
  ~AmqpWorker() override {
    if (efd_ >= 0) ::close(efd_);
  }

 private:
  void wake() override {
    const uint64_t one = 1;
    [[maybe_unused]] ssize_t n = ::write(efd_, &one, sizeof one);
  }
  void clear_wake() {
    uint64_t v;
    [[maybe_unused]] ssize_t n = ::read(efd_, &v, sizeof v);
  }

  // ---- the broker thread ----

  void run() override {
    int failures = 0;
    bool ever_connected = false;
    while (!stopping()) {
      std::string error;
      if (!open_connection(error)) {
        destroy_connection();
        ++failures;
        if (failures == 1)
          spdlog::warn("broker amqp: cannot connect to {}:{}: {} (retrying with backoff)", s_.host, s_.port, error);
        else
          spdlog::debug("broker amqp: connect attempt {} failed: {}", failures, error);
        drop_queued_publishes();
        sleep_unless_stopping(std::chrono::milliseconds(reconnect_backoff_ms(failures)));
        continue;
      }
      failures = 0;
      if (ever_connected) gate_.count_reconnect();
      ever_connected = true;
      gate_.rearm(PublishGate::Warning::disconnected);
      spdlog::info("broker amqp: connected to {}:{} (queue {})", s_.host, s_.port, queue_);
      set_state(true);
      bool graceful = false;
      try {
        serve();
        graceful = true;  // stopping
      } catch (const ConnectionLost& e) {
        spdlog::warn("broker amqp: connection lost: {}", e.what());
      }
      next_epoch();
      set_state(false);
      if (graceful) close_gracefully();
      destroy_connection();
      drop_queued_publishes();
    }
  }

  bool check(const char* what, std::string& error) {
    const amqp_rpc_reply_t r = amqp_get_rpc_reply(conn_);
    if (r.reply_type == AMQP_RESPONSE_NORMAL) return true;
    error = std::string(what) + ": " + amqp_describe(r);
    return false;
  }

  bool open_connection(std::string& error) {
    conn_ = amqp_new_connection();
    if (!conn_) return error = "out of memory", false;
    amqp_socket_t* socket = amqp_tcp_socket_new(conn_);
    if (!socket) return error = "cannot create a socket", false;
    timeval timeout{5, 0};
    amqp_set_handshake_timeout(conn_, &timeout);
    amqp_set_rpc_timeout(conn_, &timeout);
    int rc = amqp_socket_open_noblock(socket, s_.host.c_str(), s_.port, &timeout);
    if (rc != AMQP_STATUS_OK) return error = std::string("TCP connect: ") + amqp_error_string2(rc), false;
    const amqp_rpc_reply_t login = amqp_login(conn_, s_.vhost.c_str(), 0, kFrameMax, s_.heartbeat_seconds,
                                              AMQP_SASL_METHOD_PLAIN, s_.user.c_str(), s_.password.c_str());
    if (login.reply_type != AMQP_RESPONSE_NORMAL) return error = "login: " + amqp_describe(login), false;
    amqp_channel_open(conn_, kChannel);
    if (!check("channel.open", error)) return false;
    const std::string direct = "direct";
    amqp_exchange_declare(conn_, kChannel, amqp_view(s_.exchange), amqp_view(direct), 0, 0, 0, 0, amqp_empty_table);
    if (!check("exchange.declare", error)) return false;
    amqp_queue_declare_ok_t* q = amqp_queue_declare(conn_, kChannel, amqp_empty_bytes, 0, 0, 1, 1, amqp_empty_table);
    if (!q || !check("queue.declare", error)) {
      if (error.empty()) error = "queue.declare: no reply";
      return false;
    }
    queue_.assign(static_cast<const char*>(q->queue.bytes), q->queue.len);
    bound_.clear();
    for (const auto& channel : wanted_channels()) {
      amqp_queue_bind(conn_, kChannel, amqp_view(queue_), amqp_view(s_.exchange), amqp_view(channel),
                      amqp_empty_table);
      if (!check("queue.bind", error)) return false;
      bound_.insert(channel);
    }
    amqp_basic_consume(conn_, kChannel, amqp_view(queue_), amqp_empty_bytes, 0, 1, 1, amqp_empty_table);
    if (!check("basic.consume", error)) return false;
    connected_ = true;
    return true;
  }

  // Returns when stopping; throws ConnectionLost on any error.
  void serve() {
    const int fd = amqp_get_sockfd(conn_);
    for (;;) {
      clear_wake();
      std::optional<std::deque<Op>> ops = take_ops();
      if (!ops) return;
      std::deque<Op>& batch = *ops;
      size_t done = 0;
      try {
        for (; done < batch.size(); ++done) {
          if (batch[done].publish)
            do_publish(batch[done]);
          else
            reconcile(batch[done].channel);
        }
      } catch (const ConnectionLost&) {
        // The rest of the batch goes with the connection (its publishes not counted).
        while (++done < batch.size())
          if (batch[done].publish) gate_.discard_queued(batch[done].payload.size());
        throw;
      }
      read_deliveries();
      if (amqp_frames_enqueued(conn_) || amqp_data_in_buffer(conn_)) continue;
      pollfd fds[2] = {{fd, POLLIN, 0}, {efd_, POLLIN, 0}};
      if (::poll(fds, 2, kPollMs) < 0 && errno != EINTR) throw ConnectionLost("poll() failed");
    }
  }

  void do_publish(const Op& op) {
    if (op.epoch != epoch()) {
      gate_.drop_queued(op.payload.size());
      gate_.warn_once(PublishGate::Warning::disconnected, op.channel);
      return;
    }
    amqp_bytes_t body;
    body.len = op.payload.size();
    body.bytes = const_cast<char*>(op.payload.data());
    const int rc =
        amqp_basic_publish(conn_, kChannel, amqp_view(s_.exchange), amqp_view(op.channel), 0, 0, nullptr, body);
    gate_.release(op.payload.size(), rc == AMQP_STATUS_OK);
    if (rc != AMQP_STATUS_OK) throw ConnectionLost(std::string("basic.publish: ") + amqp_error_string2(rc));
  }

  void reconcile(const std::string& channel) {
    const bool want = take_change(channel);
    const bool bound = bound_.count(channel) > 0;
    std::string error;
    if (want && !bound) {
      amqp_queue_bind(conn_, kChannel, amqp_view(queue_), amqp_view(s_.exchange), amqp_view(channel),
                      amqp_empty_table);
      if (!check("queue.bind", error)) throw ConnectionLost(error);
      bound_.insert(channel);
    } else if (!want && bound) {
      amqp_queue_unbind(conn_, kChannel, amqp_view(queue_), amqp_view(s_.exchange), amqp_view(channel),
                        amqp_empty_table);
      if (!check("queue.unbind", error)) throw ConnectionLost(error);
      bound_.erase(channel);
    }
  }

  void read_deliveries() {
    for (int i = 0; i < kDeliveriesPerRound; ++i) {
      timeval zero{0, 0};
      amqp_envelope_t envelope;
      amqp_maybe_release_buffers(conn_);
      const amqp_rpc_reply_t r = amqp_consume_message(conn_, &envelope, &zero, 0);
      if (r.reply_type == AMQP_RESPONSE_NORMAL) {
        const std::string channel(static_cast<const char*>(envelope.routing_key.bytes), envelope.routing_key.len);
        const std::string_view payload(static_cast<const char*>(envelope.message.body.bytes),
                                       envelope.message.body.len);
        deliver(channel, payload);
        amqp_destroy_envelope(&envelope);
        continue;
      }
      if (r.reply_type == AMQP_RESPONSE_LIBRARY_EXCEPTION && r.library_error == AMQP_STATUS_TIMEOUT) return;
      if (r.reply_type == AMQP_RESPONSE_LIBRARY_EXCEPTION && r.library_error == AMQP_STATUS_UNEXPECTED_STATE) {
        // A frame other than a delivery: a close from the server ends the connection.
        amqp_frame_t frame;
        const int rc = amqp_simple_wait_frame_noblock(conn_, &frame, &zero);
        if (rc == AMQP_STATUS_TIMEOUT) return;
        if (rc != AMQP_STATUS_OK) throw ConnectionLost(std::string("read: ") + amqp_error_string2(rc));
        if (frame.frame_type == AMQP_FRAME_METHOD &&
            (frame.payload.method.id == AMQP_CONNECTION_CLOSE_METHOD ||
             frame.payload.method.id == AMQP_CHANNEL_CLOSE_METHOD))
          throw ConnectionLost(frame.payload.method.id == AMQP_CONNECTION_CLOSE_METHOD ? "connection closed by the server"
                                                                                       : "channel closed by the server");
        if (frame.frame_type == AMQP_FRAME_METHOD && frame.payload.method.id == AMQP_BASIC_CANCEL_METHOD)
          throw ConnectionLost("consumer cancelled by the server");
        continue;  // anything else is of no interest
      }
      throw ConnectionLost("consume: " + amqp_describe(r));
    }
  }

  void close_gracefully() {
    timeval timeout{1, 0};
    amqp_set_rpc_timeout(conn_, &timeout);
    amqp_channel_close(conn_, kChannel, AMQP_REPLY_SUCCESS);
    amqp_connection_close(conn_, AMQP_REPLY_SUCCESS);
  }

  void destroy_connection() {
    connected_ = false;
    if (conn_) amqp_destroy_connection(conn_);
    conn_ = nullptr;
    bound_.clear();
    queue_.clear();
  }

  const AmqpSettings s_;
  int efd_ = -1;

  // The broker thread's own.
  amqp_connection_state_t conn_ = nullptr;
  std::string queue_;
  std::set<std::string> bound_;
};

}  // namespace

AmqpBroker::AmqpBroker(AmqpSettings settings) : WorkerBroker(std::make_unique<AmqpWorker>(std::move(settings))) {}

AmqpBroker::AmqpBroker(std::string_view url) : AmqpBroker(AmqpSettings::from_url(url)) {}

AmqpBroker::AmqpBroker(std::string host, int port, std::string user, std::string password, std::string vhost)
    : AmqpBroker([&] {
        AmqpSettings s;
        s.host = std::move(host);
        s.port = port;
        s.user = std::move(user);
        s.password = std::move(password);
        s.vhost = std::move(vhost);
        return s;
      }()) {}

}  // namespace dchat::broker

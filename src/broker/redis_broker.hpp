#pragma once
// Broker over Redis pub/sub (hiredis async API on a private io_context and thread).
//
// Two connections: one in subscribe mode (SUBSCRIBE/UNSUBSCRIBE, receives "message" pushes),
// one for PUBLISH. Payloads are sent binary-safe (%b). Both are (re)connected together with
// capped exponential backoff; the subscriptions are replayed on every new connection.
#include <boost/asio/steady_timer.hpp>
#include <map>
#include <set>
#include <string>

#include "broker/backoff.hpp"
#include "broker/io_thread_broker.hpp"

struct redisAsyncContext;

namespace dchat::broker {

class RedisBroker final : public IoThreadBroker {
 public:
  // host: an IP address or a name (resolved on the broker's thread); port: Redis' TCP port.
  RedisBroker(std::string host, int port);
  ~RedisBroker() override;

  void publish(std::string channel, std::string payload) override;
  void subscribe(std::string channel) override;
  void unsubscribe(std::string channel) override;

 private:
  enum class Link { idle, connecting, up, waiting, stopped };

  // All below run on the broker's thread.
  void connect() override;
  redisAsyncContext* open_context();
  void link_down();
  void on_up();
  void shutdown() override;
  void forget(const redisAsyncContext* ac);
  void send_subscribe(const std::set<std::string>& channels);
  void send_unsubscribe(const std::string& channel);
  void on_sub_reply(void* reply);
  static void connect_cb(const redisAsyncContext* ac, int status);
  static void disconnect_cb(const redisAsyncContext* ac, int status);
  static void sub_reply_cb(redisAsyncContext* ac, void* reply, void* privdata);
  static void publish_reply_cb(redisAsyncContext* ac, void* reply, void* privdata);

  const std::string host_;
  const int port_;

  // Broker thread only.
  std::set<std::string> channels_;            // what the application subscribed to
  std::map<std::string, int> unsubscribing_;  // UNSUBSCRIBEs sent, reply not yet received
  redisAsyncContext* sub_ = nullptr;
  redisAsyncContext* pub_ = nullptr;
  bool sub_up_ = false, pub_up_ = false;
  Link link_ = Link::idle;
  bool ever_connected_ = false;
  Backoff backoff_;
  boost::asio::steady_timer retry_timer_{thread_.io()};
};

}  // namespace dchat::broker

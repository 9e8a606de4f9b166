#pragma once
// Broker over RabbitMQ (AMQP 0-9-1, rabbitmq-c). Topology: one non-durable direct exchange
// ("dchat", declared idempotently by every replica), one exclusive auto-delete server-named
// queue per AmqpBroker, bound with the channel name as routing key for each subscribed channel;
// consumed with no_ack.
//
// rabbitmq-c is blocking, so only the broker's own thread (broker_worker.hpp) touches the
// connection: it waits on the socket and on an eventfd (woken by publish/subscribe/unsubscribe,
// which only queue work, bounded), drains the queued work, reads deliveries and keeps AMQP heartbeats going. On any
// error it destroys the connection, backs off (100 ms doubling to 5 s), reconnects, declares a
// new queue and binds every subscribed channel again. Handlers run on that thread only.
#include <string>
#include <string_view>

#include "broker/worker_broker.hpp"

namespace dchat::broker {

struct AmqpSettings {
  std::string host = "127.0.0.1";
  int port = 5672;
  std::string user = "guest";
  std::string password = "guest";
  std::string vhost = "/";
  std::string exchange = "dchat";
  int heartbeat_seconds = 10;  // 0 disables AMQP heartbeats

  // Parses "amqp://user:password@host:port/vhost" (rabbitmq-c's amqp_parse_url; percent-encoded
  // parts decoded). An empty vhost ("amqp://host:port/" or no path) means "/". Throws
  // std::invalid_argument on a malformed URL.
  static AmqpSettings from_url(std::string_view url);
};

class AmqpBroker final : public WorkerBroker {
 public:
  explicit AmqpBroker(AmqpSettings settings);
  // Same as AmqpBroker(AmqpSettings::from_url(url)).
  explicit AmqpBroker(std::string_view url);
  AmqpBroker(std::string host, int port, std::string user, std::string password, std::string vhost = "/");

  std::string_view kind() const override { return "amqp"; }
};

}  // namespace dchat::broker

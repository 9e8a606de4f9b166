#pragma once
// What platforms (Docker, Kubernetes, load balancers, Prometheus) ask of a replica:
//   GET /healthz  the process is alive (always 200 while it serves HTTP);
//   GET /readyz   200 when it should get traffic: the store answered its last probe, the broker
//                 is connected (cluster mode) and it is not draining; 503 with the reasons else;
//   GET /metrics  Prometheus text: connections, rooms, packets in/out, broadcasts, messages,
//                 broker publish/receive/drops, store latency, slow clients dropped;
// and the graceful drain on SIGTERM. Both probes answer from state kept by a background probe
// (one store round trip every 2 s), so they cost nothing and never wait on the database.
#include <boost/asio/steady_timer.hpp>

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "app/chat_app.hpp"
#include "app/cluster_setup.hpp"
#include "core/lifeline.hpp"
#include "core/shard_pool.hpp"
#include "engineio/forwarder.hpp"
#include "engineio/server.hpp"
#include "http/listener.hpp"
#include "http/router.hpp"

namespace dchat::app {

class Operations {
 public:
  // chat and cluster may be null (other modes, one process).
  // `metrics_token`: /metrics needs "Authorization: Bearer <token>"; empty: loopback only.
  Operations(core::ShardPool& pool, engineio::Server& engine, ChatApp* chat, Cluster* cluster,
             std::string metrics_token = {});
  ~Operations();

  void install(http::Router& router);
  void start();  // begins the store probe

  // SIGTERM: not ready any more; after `delay` (still serving, so load balancers notice first)
  // stop accepting, close every session (clients reconnect, and the load balancer sends them to
  // another replica), let in-flight store work finish, then call `done` — at the latest `grace`
  // after the delay. Runs on shard 0.
  void drain(http::Listener& listener, std::chrono::milliseconds delay, std::chrono::milliseconds grace,
             std::function<void()> done);
  bool draining() const noexcept { return draining_; }
  // Cluster mode without stickiness: a drain also waits for requests forwarded to other replicas.
  void set_forwarder(engineio::Forwarder* forwarder) noexcept { forwarder_ = forwarder; }

 private:
  void probe_store();
  bool store_probe_stuck() const;
  // Why this replica should get no traffic (empty: ready): the one answer behind both /readyz
  // and the chatd_ready metric, so they cannot disagree. The store decides, not the broker:
  // every replica shares the broker, so a broker outage would take them all out of the load
  // balancer at once although they still store and acknowledge messages (clients catch up on
  // what other replicas broadcast with `sync` once it is back).
  std::vector<std::string> not_ready_reasons() const;
  // What works less well than it should without making the replica unready (the broker).
  std::vector<std::string> degraded_reasons() const;
  void move_clients_away(http::Listener& listener, std::chrono::milliseconds grace, std::function<void()> done);
  std::string render_metrics() const;
  boost::asio::awaitable<http::Outcome> serve_metrics(http::RequestContext& ctx);
  // Whether this request may read /metrics (which tells how busy the server is, how many are
  // connected, store latency: not for anyone on the internet).
  bool metrics_allowed(const http::RequestContext& ctx) const;

  core::ShardPool& pool_;
  engineio::Server& engine_;
  ChatApp* chat_;
  Cluster* cluster_;
  engineio::Forwarder* forwarder_ = nullptr;
  std::string metrics_token_;
  boost::asio::steady_timer timer_;
  core::Lifeline lifeline_;
  std::atomic<bool> draining_{false};
  std::atomic<bool> store_ok_{false};
  std::atomic<bool> store_checked_{false};
  std::atomic<bool> probe_pending_{false};
  std::atomic<int64_t> probe_started_{0};  // steady_clock ticks
};

}  // namespace dchat::app

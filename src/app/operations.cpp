#include "app/operations.hpp"

#include <boost/asio/post.hpp>
#include <boost/json/value_from.hpp>
#include <sodium.h>
#include <spdlog/spdlog.h>

#include "core/metrics.hpp"
#include "http/api_responses.hpp"

namespace dchat::app {

namespace {

constexpr auto kProbeInterval = std::chrono::seconds(2);
namespace http_ns = boost::beast::http;

// Not a coroutine: the JSON bodies are built before anything is suspended.
boost::asio::awaitable<http::Outcome> refuse_metrics(http::RequestContext& ctx, bool with_token) {
  if (!with_token)
    return http::reply_json(
        ctx, http_ns::status::forbidden,
        boost::json::object{
            {"error", "forbidden"},
            {"message", "/metrics is served to loopback only; set CHAT_METRICS_TOKEN to scrape it remotely"}});
  return http::reply_json(
      ctx, http_ns::status::unauthorized,
      boost::json::object{{"error", "unauthorized"}, {"message", "send Authorization: Bearer <CHAT_METRICS_TOKEN>"}},
      {{"WWW-Authenticate", "Bearer"}});
}

}  // namespace

Operations::Operations(core::ShardPool& pool, engineio::Server& engine, ChatApp* chat, Cluster* cluster,
                       std::string metrics_token)
    : pool_(pool),
      engine_(engine),
      chat_(chat),
      cluster_(cluster),
      metrics_token_(std::move(metrics_token)),
      timer_(pool.context(0)) {
  // Without a store there is nothing to probe.
  store_ok_ = chat_ == nullptr;
}

Operations::~Operations() { lifeline_.cut(); }

void Operations::install(http::Router& router) {
  router.exact("/healthz", [](http::RequestContext& ctx) {
    return http::reply_json(ctx, http_ns::status::ok, boost::json::object{{"status", "ok"}});
  });
  router.exact("/readyz", [this](http::RequestContext& ctx) {
    const auto reasons = not_ready_reasons();
    const auto degraded = degraded_reasons();
    const bool ready = reasons.empty();
    boost::json::object body{{"status", ready ? "ready" : "not_ready"}};
    if (!ready) body["reasons"] = boost::json::value_from(reasons);
    if (!degraded.empty()) body["degraded"] = boost::json::value_from(degraded);
    return http::reply_json(ctx, ready ? http_ns::status::ok : http_ns::status::service_unavailable, std::move(body));
  });
  router.exact("/metrics", [this](http::RequestContext& ctx) {
    return metrics_allowed(ctx) ? serve_metrics(ctx) : refuse_metrics(ctx, !metrics_token_.empty());
  });
}

boost::asio::awaitable<http::Outcome> Operations::serve_metrics(http::RequestContext& ctx) {
  auto res = http::make_response(ctx.parser.get(), http_ns::status::ok, render_metrics(),
                                 "text/plain; version=0.0.4; charset=utf-8");
  // An unread body would be parsed as the next request: close instead.
  if (ctx.parser.content_length().value_or(0) > 0 || ctx.parser.chunked()) res.keep_alive(false);
  const bool ok = co_await http::write_response(ctx, res);
  co_return ok && res.keep_alive() ? http::Outcome::keep_alive : http::Outcome::close;
}

bool Operations::metrics_allowed(const http::RequestContext& ctx) const {
  if (metrics_token_.empty()) return ctx.client.address.is_loopback();
  const std::string_view header = ctx.parser.get()[http_ns::field::authorization];
  constexpr std::string_view kBearer = "Bearer ";
  if (!header.starts_with(kBearer)) return false;
  const std::string_view given = header.substr(kBearer.size());
  // Constant time: how much of a guess matched must not show in the answer's timing.
  return given.size() == metrics_token_.size() &&
         sodium_memcmp(given.data(), metrics_token_.data(), metrics_token_.size()) == 0;
}

// A probe that has not come back for a while counts as a failure: threads stuck on a dead
// connection never complete it, and the last answer would otherwise stay "ok".
bool Operations::store_probe_stuck() const {
  if (!probe_pending_) return false;
  const auto started = std::chrono::steady_clock::time_point(std::chrono::steady_clock::duration(probe_started_.load()));
  return std::chrono::steady_clock::now() - started > std::chrono::seconds(5);
}

void Operations::start() {
  if (!chat_) return;
  boost::asio::post(timer_.get_executor(), lifeline_.guard([this] { probe_store(); }));
}

void Operations::probe_store() {
  // One probe at a time: a hanging database must not pile probes up in the store queue.
  if (!probe_pending_.exchange(true)) {
    probe_started_ = std::chrono::steady_clock::now().time_since_epoch().count();
    chat_->store().async_run<bool>(
        [](store::Store& s) {
          s.ping();
          return true;
        },
        boost::asio::bind_executor(timer_.get_executor(), lifeline_.guard([this](store::StoreResult<bool> r) {
          const bool ok = static_cast<bool>(r);
          const bool first = !store_checked_.exchange(true);
          if (store_ok_.exchange(ok) != ok || (first && !ok)) {
            if (ok) spdlog::info("readiness: the store answers again");
            else spdlog::warn("readiness: the store does not answer: {}", r.message);
          }
          probe_pending_ = false;
        })));
  }
  timer_.expires_after(kProbeInterval);
  timer_.async_wait(lifeline_.guard([this](boost::system::error_code ec) {
    if (!ec) probe_store();
  }));
}

void Operations::drain(http::Listener& listener, std::chrono::milliseconds delay, std::chrono::milliseconds grace,
                       std::function<void()> done) {
  if (draining_.exchange(true)) return;
  if (delay.count() == 0) return move_clients_away(listener, grace, std::move(done));
  spdlog::info("drain: not ready; still serving for {} ms", delay.count());
  auto timer = std::make_shared<boost::asio::steady_timer>(pool_.context(0), delay);
  timer->async_wait([this, timer, &listener, grace, done = std::move(done)](boost::system::error_code) mutable {
    move_clients_away(listener, grace, std::move(done));
  });
}

void Operations::move_clients_away(http::Listener& listener, std::chrono::milliseconds grace,
                                   std::function<void()> done) {
  const auto deadline = std::chrono::steady_clock::now() + grace;
  spdlog::info("drain: refusing new connections, closing {} session(s); exit within {} ms",
               engine_.session_count(), grace.count());
  listener.stop();
  // Sign-ins still waiting for a password hash get "the server is restarting" now instead of
  // holding the exit for seconds of argon2id (a flood can queue dozens): only the hashes
  // already running finish.
  if (chat_) chat_->hasher().close_queue();
  // Clients see their transport close and reconnect by themselves: through the load balancer,
  // to another replica (this one no longer accepts).
  engine_.close_all(engineio::CloseReason::server_shutdown);
  // Requests for other replicas' sessions: answered as usual, but with Connection: close, so
  // their clients' next requests go to another replica; the drain waits for them (a long-poll
  // within pingInterval). WebSockets joined through here are cut at the end, like a replica
  // that dies: the owner closes those sessions and their clients reconnect and sync.
  if (forwarder_) forwarder_->start_draining();
  auto timer = std::make_shared<boost::asio::steady_timer>(pool_.context(0));
  auto check = std::make_shared<std::function<void()>>();
  // The check holds itself only weakly; the pending wait holds it. So when the loops stop with a
  // wait pending (a second signal), destroying that wait frees everything (no reference cycle).
  *check = [this, timer, self = std::weak_ptr(check), deadline, done = std::move(done)]() {
    const auto check = self.lock();
    if (!check) return;
    // Sign-ins waiting for a password hash are in-flight work too.
    const size_t store_work = chat_ ? chat_->store().in_flight() + chat_->hasher().in_flight() : 0;
    const size_t sessions = engine_.session_count() + (forwarder_ ? forwarder_->requests_in_flight() : 0);
    const bool over = std::chrono::steady_clock::now() >= deadline;
    if ((store_work == 0 && sessions == 0) || over) {
      if (over) spdlog::warn("drain: grace period over with {} store job(s), {} session(s) left", store_work, sessions);
      else spdlog::info("drain: done");
      // Let completions already posted (acks of stored messages) run before the loops stop.
      timer->expires_after(std::chrono::milliseconds(100));
      timer->async_wait([done, check](boost::system::error_code) { done(); });
      return;
    }
    timer->expires_after(std::chrono::milliseconds(50));
    timer->async_wait([check](boost::system::error_code) { (*check)(); });
  };
  (*check)();
}

std::vector<std::string> Operations::not_ready_reasons() const {
  std::vector<std::string> reasons;
  if (draining_) reasons.emplace_back("draining");
  if (!store_ok_) reasons.emplace_back(store_checked_ ? "store unreachable" : "store not checked yet");
  else if (store_probe_stuck()) reasons.emplace_back("store not answering");
  return reasons;
}

std::vector<std::string> Operations::degraded_reasons() const {
  std::vector<std::string> reasons;
  if (cluster_ && !cluster_->broker->connected()) reasons.emplace_back("broker unreachable");
  else if (cluster_ && !cluster_->bus->connected()) reasons.emplace_back("broker not delivering this replica's heartbeats");
  return reasons;
}

std::string Operations::render_metrics() const {
  auto& m = core::metrics();
  std::string out;
  out.reserve(4096);
  core::render_gauge(out, "chatd_up", "1 while the process runs", 1);
  core::render_gauge(out, "chatd_ready", "1 when /readyz answers 200 (the store answers, not draining)",
                     not_ready_reasons().empty() ? 1 : 0);
  core::render_gauge(out, "chatd_draining", "1 after SIGTERM", draining_ ? 1 : 0);
  if (forwarder_) {
    core::render_gauge(out, "chatd_forwards_in_flight",
                       "requests being forwarded to other replicas and WebSockets joined to them",
                       static_cast<double>(forwarder_->in_flight()));
  }
  core::render_gauge(out, "chatd_connections", "open Engine.IO sessions (connected clients)",
                     static_cast<double>(engine_.session_count()));
  core::render_counter(out, "chatd_connections_opened_total", "Engine.IO sessions opened", m.connections_opened.value());
  core::render_counter(out, "chatd_connections_refused_total", "TCP connections refused over a connection limit",
                       m.connections_refused.value());
  core::render_counter(out, "chatd_sessions_refused_total", "Engine.IO handshakes refused over a session limit",
                       m.sessions_refused.value());
  core::render_counter(out, "chatd_forwards_total", "Engine.IO requests passed to the replica owning their session",
                       m.forwards.value());
  core::render_counter(out, "chatd_forwards_failed_total",
                       "Forwarded requests whose owner could not be reached or failed", m.forwards_failed.value());
  core::render_counter(out, "chatd_forwards_refused_total", "Requests not forwarded: too many in flight",
                       m.forwards_refused.value());
  core::render_counter(out, "chatd_websockets_proxied_total",
                       "WebSocket upgrades joined to the replica owning their session", m.websockets_proxied.value());
  core::render_counter(out, "chatd_store_refused_total", "store jobs refused because the queue was full",
                       m.store_refused.value());
  core::render_counter(out, "chatd_store_groups_total", "group commits attempted by the store's writer",
                       m.store_groups.value());
  core::render_counter(out, "chatd_store_group_writes_total", "writes carried by group commits",
                       m.store_group_writes.value());
  core::render_counter(out, "chatd_store_group_failures_total", "group commits that failed (their writes answered unavailable)",
                       m.store_group_failures.value());
  core::render_counter(out, "chatd_rate_limited_total", "requests refused by a rate limit", m.rate_limited.value());
  core::render_counter(out, "chatd_overloaded_total", "requests refused because too much was in flight",
                       m.overloaded.value());
  core::render_counter(out, "chatd_slow_clients_dropped_total",
                       "clients disconnected because they could not keep up (outbox full)",
                       m.slow_clients_dropped.value());
  core::render_counter(out, "chatd_packets_in_total", "Socket.IO packets received from clients", m.packets_in.value());
  core::render_counter(out, "chatd_packets_out_total", "packets queued for clients (one per recipient)",
                       m.packets_out.value());
  core::render_counter(out, "chatd_broadcasts_total", "broadcasts emitted by this replica", m.broadcasts.value());
  if (chat_) {
    core::render_gauge(out, "chatd_rooms_active", "chat rooms with a client of this replica in them",
                       static_cast<double>(chat_->presence().active_rooms()));
    core::render_gauge(out, "chatd_event_loop_lag_seconds",
                       "how late the most loaded event loop runs its timers (smoothed); over "
                       "CHAT_OVERLOAD_LAG_MS new requests are answered overloaded",
                       static_cast<double>(chat_->lag().current().count()) / 1000.0);
    core::render_counter(out, "chatd_messages_stored_total", "chat messages stored through this replica",
                         m.messages_stored.value());
    core::render_gauge(out, "chatd_store_in_flight", "store jobs queued or running",
                       static_cast<double>(chat_->store().in_flight()));
    core::render_gauge(out, "chatd_password_hashes_in_flight", "password hashes queued or running",
                       static_cast<double>(chat_->hasher().in_flight()));
    m.store_seconds.render(out, "chatd_store_seconds", "store job latency, queueing included");
  }
  if (cluster_) {
    const auto stats = cluster_->broker->stats();
    core::render_gauge(out, "chatd_broker_connected", "1 while the broker connection is up",
                       cluster_->broker->connected() ? 1 : 0);
    core::render_counter(out, "chatd_broker_published_total", "messages published to the broker", stats.published);
    core::render_counter(out, "chatd_broker_received_total", "messages received from the broker", stats.received);
    core::render_counter(out, "chatd_broker_dropped_total",
                         "publishes dropped (broker down, queue full, too large)", stats.dropped);
    core::render_counter(out, "chatd_broker_reconnects_total", "broker reconnections", stats.reconnects);
    core::render_gauge(out, "chatd_cluster_bus_healthy",
                       "1 while this replica's own heartbeats come back through the broker (0: messages "
                       "of other replicas may be missed until it recovers and tells clients to resync)",
                       cluster_->bus->connected() ? 1 : 0);
    core::render_gauge(out, "chatd_cluster_nodes", "live replicas seen through the broker, this one included",
                       static_cast<double>(cluster_->bus->node_count()));
  }
  return out;
}

}  // namespace dchat::app

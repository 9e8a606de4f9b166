// RedisBroker: Redis pub/sub through hiredis' async API, driven by Asio (hiredis_asio.hpp).
//
// Connection state machine (broker thread): idle -> connecting (both contexts opened) -> up (both
// connected: subscriptions replayed, on_state(true)) -> on any error or close: waiting (the other
// context freed, on_state(false), retry after backoff) -> connecting ...
//
// Teardown is never done inside a hiredis callback: callbacks only note what happened and post
// link_down(), which frees the remaining context from a plain handler.
#include "broker/redis_broker.hpp"

#include <hiredis/async.h>
#include <hiredis/hiredis.h>
#include <spdlog/spdlog.h>

#include <boost/asio/post.hpp>
#include <cstdint>
#include <cstring>
#include <vector>

#include "broker/hiredis_asio.hpp"

namespace dchat::broker {

namespace {
RedisBroker* self_of(const redisAsyncContext* ac) { return static_cast<RedisBroker*>(ac->data); }
}  // namespace

RedisBroker::RedisBroker(std::string host, int port) : IoThreadBroker("redis"), host_(std::move(host)), port_(port) {}

RedisBroker::~RedisBroker() { stop(); }

void RedisBroker::publish(std::string channel, std::string payload) {
  const size_t size = payload.size();
  if (!gate_.admit(channel, size, connected_.load())) return;
  boost::asio::post(thread_.io(), [this, channel = std::move(channel), payload = std::move(payload), size] {
    if (link_ != Link::up || !pub_) {
      gate_.drop_queued(size);
      return;
    }
    // The size rides along as privdata so the reply releases the queue accounting.
    if (redisAsyncCommand(pub_, &RedisBroker::publish_reply_cb, reinterpret_cast<void*>(static_cast<uintptr_t>(size)),
                          "PUBLISH %b %b", channel.data(), channel.size(), payload.data(), payload.size()) != REDIS_OK)
      gate_.drop_queued(size);
  });
}

void RedisBroker::subscribe(std::string channel) {
  if (!gate_.check_channel(channel)) return;
  boost::asio::post(thread_.io(), [this, channel = std::move(channel)] {
    if (!channels_.insert(channel).second) return;
    // An UNSUBSCRIBE of this channel still in flight: its reply would drop hiredis' callback
    // for the channel, so SUBSCRIBE again when that reply has arrived (on_sub_reply).
    if (link_ == Link::up && !unsubscribing_.contains(channel)) send_subscribe({channel});
  });
}

void RedisBroker::unsubscribe(std::string channel) {
  if (!valid_channel(channel)) return;
  boost::asio::post(thread_.io(), [this, channel = std::move(channel)] {
    if (channels_.erase(channel) == 0) return;  // deliveries stop here (on_sub_reply filters)
    if (link_ == Link::up) send_unsubscribe(channel);
  });
}

// ---- broker thread ----

void RedisBroker::connect() {
  if (link_ == Link::stopped) return;
  link_ = Link::connecting;
  sub_up_ = pub_up_ = false;
  unsubscribing_.clear();
  sub_ = open_context();
  pub_ = open_context();
  if (!sub_ || !pub_) boost::asio::post(thread_.io(), [this] { link_down(); });
}

redisAsyncContext* RedisBroker::open_context() {
  redisAsyncContext* ac = redisAsyncConnect(host_.c_str(), port_);
  if (!ac) return nullptr;
  if (ac->err) {
    spdlog::debug("redis broker: connect to {}:{}: {}", host_, port_, ac->errstr);
    redisAsyncFree(ac);
    return nullptr;
  }
  ac->data = this;
  // A server that vanishes without closing the connection is noticed within ~30 s instead of
  // the TCP retransmission timeout (the cluster bus also watches its own heartbeat).
  redisEnableKeepAlive(&ac->c);
  hiredis_attach_asio(ac, thread_.io());
  redisAsyncSetConnectCallback(ac, &RedisBroker::connect_cb);  // arms the first write wait
  redisAsyncSetDisconnectCallback(ac, &RedisBroker::disconnect_cb);
  return ac;
}

void RedisBroker::forget(const redisAsyncContext* ac) {
  if (ac == sub_) sub_ = nullptr;
  if (ac == pub_) pub_ = nullptr;
}

void RedisBroker::connect_cb(const redisAsyncContext* ac, int status) {
  RedisBroker* self = self_of(ac);
  if (status != REDIS_OK) {
    // hiredis frees the context after this callback.
    spdlog::debug("redis broker: connect to {}:{} failed: {}", self->host_, self->port_, ac->errstr);
    self->forget(ac);
    boost::asio::post(self->thread_.io(), [self] { self->link_down(); });
    return;
  }
  if (ac == self->sub_) self->sub_up_ = true;
  if (ac == self->pub_) self->pub_up_ = true;
  if (self->sub_up_ && self->pub_up_ && self->link_ == Link::connecting) self->on_up();
}

void RedisBroker::disconnect_cb(const redisAsyncContext* ac, int /*status*/) {
  // The context is being freed (an error, the server closed it, or our own redisAsyncFree).
  RedisBroker* self = self_of(ac);
  self->forget(ac);
  if (self->link_ != Link::stopped) boost::asio::post(self->thread_.io(), [self] { self->link_down(); });
}

void RedisBroker::on_up() {
  link_ = Link::up;
  backoff_.reset();
  if (ever_connected_) {
    gate_.count_reconnect();
    spdlog::info("redis broker: reconnected to {}:{}", host_, port_);
  }
  ever_connected_ = true;
  if (!channels_.empty()) send_subscribe(channels_);
  connected_ = true;
  if (on_state_) on_state_(true);
}

void RedisBroker::link_down() {
  if (link_ != Link::connecting && link_ != Link::up) return;  // already handled
  const bool was_up = link_ == Link::up;
  link_ = Link::waiting;
  connected_ = false;
  // Free what is left; their disconnect callbacks post link_down() again, which returns above.
  for (redisAsyncContext** p : {&sub_, &pub_}) {
    redisAsyncContext* ac = *p;
    *p = nullptr;
    if (ac) redisAsyncFree(ac);
  }
  if (was_up) {
    spdlog::warn("redis broker: lost the connection to {}:{}", host_, port_);
    if (on_state_) on_state_(false);
  }
  retry_timer_.expires_after(backoff_.next());
  retry_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (!ec) connect();
  });
}

void RedisBroker::shutdown() {
  link_ = Link::stopped;  // from here no callback reaches the application
  connected_ = false;
  retry_timer_.cancel();
  for (redisAsyncContext** p : {&sub_, &pub_}) {
    redisAsyncContext* ac = *p;
    *p = nullptr;
    if (ac) redisAsyncFree(ac);  // pending publish callbacks run with a null reply
  }
}

void RedisBroker::send_subscribe(const std::set<std::string>& channels) {
  if (!sub_) return;  // connection lost, link_down() pending: on_up() subscribes everything again
  // One SUBSCRIBE per batch of channels.
  constexpr size_t kBatch = 256;
  std::vector<const char*> argv;
  std::vector<size_t> lens;
  auto flush = [&] {
    if (argv.size() <= 1) return;
    redisAsyncCommandArgv(sub_, &RedisBroker::sub_reply_cb, nullptr, static_cast<int>(argv.size()), argv.data(),
                          lens.data());
    argv.resize(1);
    lens.resize(1);
  };
  argv.push_back("SUBSCRIBE");
  lens.push_back(9);
  for (const auto& ch : channels) {
    argv.push_back(ch.data());
    lens.push_back(ch.size());
    if (argv.size() > kBatch) flush();
  }
  flush();
}

void RedisBroker::send_unsubscribe(const std::string& channel) {
  // Between a connection loss and link_down() the context is gone while link_ still says up;
  // the channel set is what a reconnect restores, so nothing is lost by not sending.
  if (!sub_) return;
  ++unsubscribing_[channel];
  redisAsyncCommand(sub_, &RedisBroker::sub_reply_cb, nullptr, "UNSUBSCRIBE %b", channel.data(), channel.size());
}

void RedisBroker::sub_reply_cb(redisAsyncContext* ac, void* reply, void* /*privdata*/) {
  if (reply) self_of(ac)->on_sub_reply(reply);
}

void RedisBroker::on_sub_reply(void* r) {
  if (link_ != Link::up) return;
  const auto* reply = static_cast<const redisReply*>(r);
  if (reply->type != REDIS_REPLY_ARRAY || reply->elements < 3) return;
  const redisReply* kind = reply->element[0];
  const redisReply* chan = reply->element[1];
  if (kind->type != REDIS_REPLY_STRING || chan->type != REDIS_REPLY_STRING) return;
  const std::string_view type(kind->str, kind->len);
  const std::string_view channel(chan->str, chan->len);
  if (type == "message") {
    const redisReply* payload = reply->element[2];
    if (payload->type != REDIS_REPLY_STRING || !channels_.contains(std::string(channel))) return;
    gate_.count_received();
    if (on_message_) on_message_(channel, std::string_view(payload->str, payload->len));
  } else if (type == "unsubscribe") {
    const std::string name(channel);
    auto it = unsubscribing_.find(name);
    if (it == unsubscribing_.end()) return;
    if (--it->second == 0) {
      unsubscribing_.erase(it);
      if (channels_.contains(name)) send_subscribe({name});  // subscribed again meanwhile
    }
  }
}

void RedisBroker::publish_reply_cb(redisAsyncContext* ac, void* reply, void* privdata) {
  const auto size = static_cast<size_t>(reinterpret_cast<uintptr_t>(privdata));
  // A null reply: the context went away before Redis answered; the message may be lost.
  self_of(ac)->gate_.release(size, reply != nullptr);
}

}  // namespace dchat::broker

#include "broker/nats_broker.hpp"

#include <nats/nats.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <unordered_map>
#include <utility>

#include "broker/broker_worker.hpp"

namespace dchat::broker {
namespace {

// How long stop() waits for nats.c's last callbacks (closed, subscription completion).
constexpr auto kCallbackDrainTimeout = std::chrono::seconds(10);

// '.' separates subject tokens in NATS; channel names never contain '~', so the mapping is
// one-to-one and every valid channel gives a valid subject (no empty token, no wildcard).
std::string nats_subject(std::string_view channel) {
  std::string subject = "dchat.";
  subject.reserve(subject.size() + channel.size());
  for (char c : channel) subject.push_back(c == '.' ? '~' : c);
  return subject;
}

const char* nats_error_text(natsStatus s) {
  const char* last = nats_GetLastError(nullptr);
  return (last && *last) ? last : natsStatus_GetText(s);
}

// The natsConnection and its subscriptions, on the worker thread; nats.c's callbacks.
class NatsWorker final : public BrokerWorker {
 public:
  explicit NatsWorker(std::string url) : BrokerWorker("nats"), url_(std::move(url)) {}

 private:
  // The closure of one natsSubscription's callbacks; freed by its completion callback, after
  // which nats.c calls neither of them again.
  struct SubContext {
    NatsWorker* worker;
    std::string channel;
  };

  // ---- worker thread ----

  void run() override {
    connect();
    while (auto batch = wait_for_ops()) {
      for (auto& op : *batch) {
        if (op.publish)
          do_publish(op);
        else
          reconcile(op.channel);
      }
    }
    teardown();
  }

  // False when nats.c did not confirm its last callback in time: this object is then leaked.
  bool safe_to_free() const override { return callbacks_drained_; }

  void connect() {
    natsStatus s = natsOptions_Create(&opts_);
    if (s == NATS_OK) s = natsOptions_SetURL(opts_, url_.c_str());
    if (s == NATS_OK) s = natsOptions_SetName(opts_, "chatd");
    if (s == NATS_OK) s = natsOptions_SetTimeout(opts_, 2000);
    if (s == NATS_OK) s = natsOptions_SetPingInterval(opts_, 5000);
    if (s == NATS_OK) s = natsOptions_SetMaxReconnect(opts_, -1);
    if (s == NATS_OK) s = natsOptions_SetReconnectWait(opts_, kReconnectFirstMs);
    if (s == NATS_OK) s = natsOptions_SetReconnectJitter(opts_, 0, 0);
    if (s == NATS_OK) s = natsOptions_SetCustomReconnectDelay(opts_, &NatsWorker::reconnect_delay, this);
    // 1 byte: nats.c accepts a publish while reconnecting only when its buffer is below this size,
    // so at most one message can be replayed late; the rest fail and are counted as dropped.
    if (s == NATS_OK) s = natsOptions_SetReconnectBufSize(opts_, 1);
    if (s == NATS_OK) s = natsOptions_SetRetryOnFailedConnect(opts_, true, &NatsWorker::on_connected, this);
    if (s == NATS_OK) s = natsOptions_SetDisconnectedCB(opts_, &NatsWorker::on_disconnected, this);
    if (s == NATS_OK) s = natsOptions_SetReconnectedCB(opts_, &NatsWorker::on_reconnected, this);
    if (s == NATS_OK) s = natsOptions_SetClosedCB(opts_, &NatsWorker::on_closed, this);
    if (s == NATS_OK) s = natsOptions_SetErrorHandler(opts_, &NatsWorker::on_error, this);
    // One pool of delivery threads for every subscription instead of a thread per channel.
    if (s == NATS_OK) s = natsOptions_UseGlobalMessageDelivery(opts_, true);
    if (s != NATS_OK) {
      spdlog::error("broker nats: bad options for {}: {}", url_, nats_error_text(s));
      return;
    }
    s = natsConnection_Connect(&nc_, opts_);
    if (s == NATS_OK) {
      spdlog::info("broker nats: connected to {}", url_);
      set_state(natsConnection_Status(nc_) == NATS_CONN_STATUS_CONNECTED);
    } else if (s == NATS_NOT_YET_CONNECTED) {
      spdlog::warn("broker nats: {} not reachable yet, retrying in the background", url_);
    } else {
      spdlog::error("broker nats: cannot connect to {}: {}", url_, nats_error_text(s));
      nc_ = nullptr;
    }
  }

  void do_publish(const Op& op) {
    const size_t size = op.payload.size();
    if (!nc_ || natsConnection_Status(nc_) != NATS_CONN_STATUS_CONNECTED) {
      gate_.drop_queued(size);
      gate_.warn_once(PublishGate::Warning::disconnected, op.channel);
      return;
    }
    const std::string subject = nats_subject(op.channel);
    const natsStatus s = natsConnection_Publish(nc_, subject.c_str(), op.payload.data(), static_cast<int>(size));
    gate_.release(size, s == NATS_OK);
    if (s != NATS_OK) gate_.warn_once(PublishGate::Warning::send_failed, nats_error_text(s));
  }

  void reconcile(const std::string& channel) {
    const bool want = take_change(channel);
    if (!nc_) return;
    std::lock_guard lock(subs_mu_);
    auto it = subs_.find(channel);
    if (want && it == subs_.end()) {
      auto* ctx = new SubContext{this, channel};
      {
        std::lock_guard cb_lock(cb_mu_);
        ++live_subs_;
      }
      natsSubscription* sub = nullptr;
      natsStatus s = natsConnection_Subscribe(&sub, nc_, nats_subject(channel).c_str(), &NatsWorker::on_msg, ctx);
      if (s == NATS_OK) s = natsSubscription_SetOnCompleteCB(sub, &NatsWorker::on_sub_complete, ctx);
      if (s != NATS_OK) {
        spdlog::error("broker nats: subscribe {} failed: {}", channel, nats_error_text(s));
        if (sub) {
          // Only when the connection is closed, which happens in stop() alone: the context may
          // still be referenced by a delivery in flight, so it is not freed.
          natsSubscription_Destroy(sub);
        } else {
          delete ctx;
        }
        std::lock_guard cb_lock(cb_mu_);
        --live_subs_;
        return;
      }
      subs_.emplace(channel, sub);
    } else if (!want && it != subs_.end()) {
      natsSubscription* sub = it->second;
      subs_.erase(it);
      // Closes delivery; the completion callback then frees the context.
      natsSubscription_Unsubscribe(sub);
      natsSubscription_Destroy(sub);
    }
  }

  void teardown() {
    if (nc_) {
      natsConnection_Close(nc_);
      std::unique_lock lock(cb_mu_);
      callbacks_drained_ =
          cb_cv_.wait_for(lock, kCallbackDrainTimeout, [this] { return closed_ && live_subs_ == 0; });
      if (!callbacks_drained_)
        spdlog::error("broker nats: nats.c did not finish its callbacks in time; keeping the broker's memory");
    }
    {
      std::lock_guard lock(subs_mu_);
      for (auto& [channel, sub] : subs_) natsSubscription_Destroy(sub);
      subs_.clear();
    }
    if (nc_) natsConnection_Destroy(nc_);
    nc_ = nullptr;
    if (opts_) natsOptions_Destroy(opts_);
    opts_ = nullptr;
    connected_ = false;
  }

  // ---- nats.c callbacks (its threads) ----

  static void on_msg(natsConnection*, natsSubscription*, natsMsg* msg, void* closure) {
    auto* ctx = static_cast<SubContext*>(closure);
    const char* data = natsMsg_GetData(msg);
    const int len = natsMsg_GetDataLength(msg);
    ctx->worker->deliver(ctx->channel, std::string_view(data ? data : "", data ? static_cast<size_t>(len) : 0));
    natsMsg_Destroy(msg);
  }

  static void on_sub_complete(void* closure) {
    auto* ctx = static_cast<SubContext*>(closure);
    NatsWorker* self = ctx->worker;
    delete ctx;
    std::lock_guard lock(self->cb_mu_);
    --self->live_subs_;
    self->cb_cv_.notify_all();
  }

  static void on_connected(natsConnection*, void* closure) {
    spdlog::info("broker nats: connected to {}", static_cast<NatsWorker*>(closure)->url_);
    static_cast<NatsWorker*>(closure)->set_state(true);
  }

  static void on_reconnected(natsConnection*, void* closure) {
    auto* self = static_cast<NatsWorker*>(closure);
    self->gate_.count_reconnect();
    self->gate_.rearm(PublishGate::Warning::disconnected);
    spdlog::info("broker nats: reconnected to {}", self->url_);
    self->set_state(true);
  }

  static void on_disconnected(natsConnection*, void* closure) {
    auto* self = static_cast<NatsWorker*>(closure);
    spdlog::warn("broker nats: disconnected from {}", self->url_);
    self->set_state(false);
  }

  static void on_closed(natsConnection*, void* closure) {
    auto* self = static_cast<NatsWorker*>(closure);
    self->set_state(false);
    std::lock_guard lock(self->cb_mu_);
    self->closed_ = true;
    self->cb_cv_.notify_all();
  }

  static void on_error(natsConnection*, natsSubscription*, natsStatus err, void* closure) {
    auto* self = static_cast<NatsWorker*>(closure);
    self->gate_.warn_once(PublishGate::Warning::async_error, natsStatus_GetText(err));
  }

  static int64_t reconnect_delay(natsConnection*, int attempts, void*) { return reconnect_backoff_ms(attempts); }

  const std::string url_;

  // nats.c's last callbacks, awaited by teardown().
  std::mutex cb_mu_;
  std::condition_variable cb_cv_;
  int live_subs_ = 0;
  bool closed_ = false;
  bool callbacks_drained_ = true;

  // Owned by the worker thread (subs_ also locked: it is the per-channel subscription map).
  natsOptions* opts_ = nullptr;
  natsConnection* nc_ = nullptr;
  std::mutex subs_mu_;
  std::unordered_map<std::string, natsSubscription*> subs_;
};

}  // namespace

NatsBroker::NatsBroker(std::string url) : WorkerBroker(std::make_unique<NatsWorker>(std::move(url))) {}

}  // namespace dchat::broker

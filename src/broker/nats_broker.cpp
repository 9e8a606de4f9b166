#include "broker/nats_broker.hpp"

#include <nats/nats.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <exception>
#include <mutex>
#include <random>
#include <set>
#include <thread>
#include <unordered_map>
#include <utility>

#include "broker/publish_gate.hpp"

namespace dchat::broker {
namespace {

// Publishes queued for the worker thread beyond this (or PublishGate's byte limit) are refused
// and counted as dropped: memory stays bounded whatever the callers do.
constexpr size_t kMaxQueuedPublishes = 16 * 1024;
constexpr int64_t kBackoffFirstMs = 100;
constexpr int64_t kBackoffMaxMs = 5000;
// How long stop() waits for nats.c's last callbacks (closed, subscription completion).
constexpr auto kCallbackDrainTimeout = std::chrono::seconds(10);

// Capped exponential backoff with ±20 % jitter: 100 ms, 200 ms, ... 5 s.
int64_t nats_backoff_ms(int attempt) {
  const int shift = std::clamp(attempt - 1, 0, 16);
  const int64_t base = std::min(kBackoffMaxMs, kBackoffFirstMs << shift);
  thread_local std::minstd_rand rng{std::random_device{}()};
  std::uniform_int_distribution<int64_t> jitter(-base / 5, base / 5);
  return std::clamp<int64_t>(base + jitter(rng), kBackoffFirstMs / 2, kBackoffMaxMs);
}

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

}  // namespace

class NatsBroker::Impl {
 public:
  explicit Impl(std::string url) : url_(std::move(url)) {}

  void start(MessageHandler on_message, StateHandler on_state) {
    std::lock_guard lock(mu_);
    if (started_ || stopping_) return;
    started_ = true;
    on_message_ = std::move(on_message);
    on_state_ = std::move(on_state);
    worker_ = std::thread([this] { run(); });
  }

  // Returns false when nats.c did not confirm its last callback in time: the caller must then keep
  // this object alive (it is leaked on purpose rather than freed under a running callback).
  bool stop() {
    std::lock_guard stop_lock(stop_mu_);
    if (stopped_) return true;
    stopped_ = true;
    {
      // Waits for a handler in progress; none starts afterwards.
      std::lock_guard lock(deliver_mu_);
      delivering_ = false;
    }
    {
      std::lock_guard lock(mu_);
      stopping_ = true;
      for (const Op& op : ops_)
        if (op.publish) gate_.discard_queued(op.payload.size());
      ops_.clear();
    }
    cv_.notify_all();
    if (worker_.joinable()) worker_.join();
    return callbacks_drained_;
  }

  void publish(std::string channel, std::string payload) {
    if (!gate_.admit(channel, payload.size(), connected_.load())) return;
    {
      std::lock_guard lock(mu_);
      if (stopping_ || !started_) {
        gate_.drop_queued(payload.size());
        return;
      }
      ops_.push_back({true, std::move(channel), std::move(payload)});
    }
    cv_.notify_one();
  }

  void subscribe(std::string channel) { change(std::move(channel), true); }
  void unsubscribe(std::string channel) { change(std::move(channel), false); }

  bool connected() const { return connected_.load(); }

  BrokerStats stats() const { return gate_.stats(); }

 private:
  struct Op {
    bool publish;  // else: bring the subscription of `channel` in line with desired_
    std::string channel;
    std::string payload;
  };
  // The closure of one natsSubscription's callbacks; freed by its completion callback, after
  // which nats.c calls neither of them again.
  struct SubContext {
    Impl* impl;
    std::string channel;
  };

  // The wanted state changes at once (delivery is filtered on it); the server side follows on the
  // worker thread. At most one queued op per channel, so the queue stays bounded.
  void change(std::string channel, bool subscribe) {
    if (!gate_.check_channel(channel)) return;
    {
      std::lock_guard lock(mu_);
      if (subscribe)
        desired_.insert(channel);
      else
        desired_.erase(channel);
      if (stopping_ || pending_.count(channel)) return;
      pending_.insert(channel);
      ops_.push_back({false, std::move(channel), {}});
    }
    cv_.notify_one();
  }

  bool wanted(const std::string& channel) {
    std::lock_guard lock(mu_);
    return desired_.count(channel) > 0;
  }

  // ---- worker thread ----

  void run() {
    connect();
    std::unique_lock lock(mu_);
    for (;;) {
      cv_.wait(lock, [this] { return stopping_ || !ops_.empty(); });
      if (stopping_) break;
      std::deque<Op> batch;
      batch.swap(ops_);
      lock.unlock();
      for (auto& op : batch) {
        if (op.publish)
          do_publish(op);
        else
          reconcile(op.channel);
      }
      lock.lock();
    }
    lock.unlock();
    teardown();
  }

  void connect() {
    natsStatus s = natsOptions_Create(&opts_);
    if (s == NATS_OK) s = natsOptions_SetURL(opts_, url_.c_str());
    if (s == NATS_OK) s = natsOptions_SetName(opts_, "chatd");
    if (s == NATS_OK) s = natsOptions_SetTimeout(opts_, 2000);
    if (s == NATS_OK) s = natsOptions_SetPingInterval(opts_, 5000);
    if (s == NATS_OK) s = natsOptions_SetMaxReconnect(opts_, -1);
    if (s == NATS_OK) s = natsOptions_SetReconnectWait(opts_, kBackoffFirstMs);
    if (s == NATS_OK) s = natsOptions_SetReconnectJitter(opts_, 0, 0);
    if (s == NATS_OK) s = natsOptions_SetCustomReconnectDelay(opts_, &Impl::reconnect_delay, this);
    // 1 byte: nats.c accepts a publish while reconnecting only when its buffer is below this size,
    // so at most one message can be replayed late; the rest fail and are counted as dropped.
    if (s == NATS_OK) s = natsOptions_SetReconnectBufSize(opts_, 1);
    if (s == NATS_OK) s = natsOptions_SetRetryOnFailedConnect(opts_, true, &Impl::on_connected, this);
    if (s == NATS_OK) s = natsOptions_SetDisconnectedCB(opts_, &Impl::on_disconnected, this);
    if (s == NATS_OK) s = natsOptions_SetReconnectedCB(opts_, &Impl::on_reconnected, this);
    if (s == NATS_OK) s = natsOptions_SetClosedCB(opts_, &Impl::on_closed, this);
    if (s == NATS_OK) s = natsOptions_SetErrorHandler(opts_, &Impl::on_error, this);
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
    bool want;
    {
      std::lock_guard lock(mu_);
      pending_.erase(channel);
      want = desired_.count(channel) > 0;
    }
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
      natsStatus s = natsConnection_Subscribe(&sub, nc_, nats_subject(channel).c_str(), &Impl::on_msg, ctx);
      if (s == NATS_OK) s = natsSubscription_SetOnCompleteCB(sub, &Impl::on_sub_complete, ctx);
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

  // ---- handlers, through the gate ----

  void set_state(bool up) {
    connected_ = up;
    std::lock_guard lock(deliver_mu_);
    if (!delivering_ || reported_ == up) return;
    reported_ = up;
    if (!on_state_) return;
    try {
      on_state_(up);
    } catch (const std::exception& e) {
      spdlog::error("broker nats: state handler threw: {}", e.what());
    }
  }

  // ---- nats.c callbacks (its threads) ----

  static void on_msg(natsConnection*, natsSubscription*, natsMsg* msg, void* closure) {
    auto* ctx = static_cast<SubContext*>(closure);
    Impl* self = ctx->impl;
    if (self->wanted(ctx->channel)) {
      const char* data = natsMsg_GetData(msg);
      const int len = natsMsg_GetDataLength(msg);
      const std::string_view payload(data ? data : "", data ? static_cast<size_t>(len) : 0);
      std::lock_guard lock(self->deliver_mu_);
      if (self->delivering_ && self->on_message_) {
        self->gate_.count_received();
        try {
          self->on_message_(ctx->channel, payload);
        } catch (const std::exception& e) {
          spdlog::error("broker nats: message handler threw: {}", e.what());
        }
      }
    }
    natsMsg_Destroy(msg);
  }

  static void on_sub_complete(void* closure) {
    auto* ctx = static_cast<SubContext*>(closure);
    Impl* self = ctx->impl;
    delete ctx;
    std::lock_guard lock(self->cb_mu_);
    --self->live_subs_;
    self->cb_cv_.notify_all();
  }

  static void on_connected(natsConnection*, void* closure) {
    spdlog::info("broker nats: connected to {}", static_cast<Impl*>(closure)->url_);
    static_cast<Impl*>(closure)->set_state(true);
  }

  static void on_reconnected(natsConnection*, void* closure) {
    auto* self = static_cast<Impl*>(closure);
    self->gate_.count_reconnect();
    self->gate_.rearm(PublishGate::Warning::disconnected);
    spdlog::info("broker nats: reconnected to {}", self->url_);
    self->set_state(true);
  }

  static void on_disconnected(natsConnection*, void* closure) {
    auto* self = static_cast<Impl*>(closure);
    spdlog::warn("broker nats: disconnected from {}", self->url_);
    self->set_state(false);
  }

  static void on_closed(natsConnection*, void* closure) {
    auto* self = static_cast<Impl*>(closure);
    self->set_state(false);
    std::lock_guard lock(self->cb_mu_);
    self->closed_ = true;
    self->cb_cv_.notify_all();
  }

  static void on_error(natsConnection*, natsSubscription*, natsStatus err, void* closure) {
    auto* self = static_cast<Impl*>(closure);
    self->gate_.warn_once(PublishGate::Warning::async_error, natsStatus_GetText(err));
  }

  static int64_t reconnect_delay(natsConnection*, int attempts, void*) { return nats_backoff_ms(attempts); }

  const std::string url_;
  MessageHandler on_message_;
  StateHandler on_state_;

  // The queue of work for the worker thread and the wanted subscriptions.
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Op> ops_;
  std::set<std::string> desired_;
  std::set<std::string> pending_;  // channels with a reconcile op in ops_
  bool started_ = false;
  bool stopping_ = false;

  // The gate every handler call goes through.
  std::mutex deliver_mu_;
  bool delivering_ = true;
  bool reported_ = false;  // the last state given to on_state (initially: disconnected)

  // nats.c's last callbacks, awaited by teardown().
  std::mutex cb_mu_;
  std::condition_variable cb_cv_;
  int live_subs_ = 0;
  bool closed_ = false;
  bool callbacks_drained_ = true;

  std::mutex stop_mu_;
  bool stopped_ = false;

  std::atomic<bool> connected_{false};
  // Admission (bounded queue), counters and log-once warnings.
  PublishGate gate_{"nats", kMaxQueuedPublishes, /*warn_refusals=*/true};

  // Owned by the worker thread (subs_ also locked: it is the per-channel subscription map).
  std::thread worker_;
  natsOptions* opts_ = nullptr;
  natsConnection* nc_ = nullptr;
  std::mutex subs_mu_;
  std::unordered_map<std::string, natsSubscription*> subs_;
};

NatsBroker::NatsBroker(std::string url) : impl_(std::make_unique<Impl>(std::move(url))) {}

NatsBroker::~NatsBroker() { stop(); }

void NatsBroker::start(MessageHandler on_message, StateHandler on_state) {
  impl_->start(std::move(on_message), std::move(on_state));
}

void NatsBroker::stop() {
  if (impl_ && !impl_->stop()) {
    // nats.c may still call into it: never free it (a bounded leak, logged by Impl).
    (void)impl_.release();
  }
}

void NatsBroker::publish(std::string channel, std::string payload) {
  if (impl_) impl_->publish(std::move(channel), std::move(payload));
}
void NatsBroker::subscribe(std::string channel) {
  if (impl_) impl_->subscribe(std::move(channel));
}
void NatsBroker::unsubscribe(std::string channel) {
  if (impl_) impl_->unsubscribe(std::move(channel));
}
bool NatsBroker::connected() const { return impl_ && impl_->connected(); }
BrokerStats NatsBroker::stats() const { return impl_ ? impl_->stats() : BrokerStats{}; }

}  // namespace dchat::broker

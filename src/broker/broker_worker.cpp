// BrokerWorker: the operation queue, wanted subscriptions and handler gate of NATS and RabbitMQ.
#include "broker/broker_worker.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <exception>
#include <random>
#include <utility>

namespace dchat::broker {

int64_t reconnect_backoff_ms(int attempt) {
  const int shift = std::clamp(attempt - 1, 0, 16);
  const int64_t base = std::min(kReconnectMaxMs, kReconnectFirstMs << shift);
  thread_local std::minstd_rand rng{std::random_device{}()};
  std::uniform_int_distribution<int64_t> jitter(-base / 5, base / 5);
  return std::clamp<int64_t>(base + jitter(rng), kReconnectFirstMs / 2, kReconnectMaxMs);
}

BrokerWorker::BrokerWorker(std::string_view kind)
    : kind_(kind), gate_(kind, kMaxQueuedPublishes, /*warn_refusals=*/true) {}

void BrokerWorker::start(Broker::MessageHandler on_message, Broker::StateHandler on_state) {
  std::lock_guard lock(mu_);
  if (started_ || stopping_) return;
  started_ = true;
  on_message_ = std::move(on_message);
  on_state_ = std::move(on_state);
  worker_ = std::thread([this] { run(); });
}

bool BrokerWorker::stop() {
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
  wake();
  if (worker_.joinable()) worker_.join();
  return safe_to_free();
}

void BrokerWorker::publish(std::string channel, std::string payload) {
  if (!gate_.admit(channel, payload.size(), connected_.load())) return;
  bool was_empty;
  {
    std::lock_guard lock(mu_);
    if (stopping_ || !started_) {
      gate_.drop_queued(payload.size());
      return;
    }
    was_empty = ops_.empty();
    ops_.push_back({true, epoch_, std::move(channel), std::move(payload)});
  }
  cv_.notify_one();
  if (was_empty) wake();
}

void BrokerWorker::change(std::string channel, bool subscribe) {
  if (!gate_.check_channel(channel)) return;
  bool was_empty;
  {
    std::lock_guard lock(mu_);
    if (subscribe)
      desired_.insert(channel);
    else
      desired_.erase(channel);
    if (stopping_ || pending_.count(channel)) return;
    pending_.insert(channel);
    was_empty = ops_.empty();
    ops_.push_back({false, 0, std::move(channel), {}});
  }
  cv_.notify_one();
  if (was_empty) wake();
}

bool BrokerWorker::stopping() const {
  std::lock_guard lock(mu_);
  return stopping_;
}

std::optional<std::deque<BrokerWorker::Op>> BrokerWorker::wait_for_ops() {
  std::unique_lock lock(mu_);
  cv_.wait(lock, [this] { return stopping_ || !ops_.empty(); });
  if (stopping_) return std::nullopt;
  return std::exchange(ops_, {});
}

std::optional<std::deque<BrokerWorker::Op>> BrokerWorker::take_ops() {
  std::lock_guard lock(mu_);
  if (stopping_) return std::nullopt;
  return std::exchange(ops_, {});
}

void BrokerWorker::sleep_unless_stopping(std::chrono::milliseconds delay) {
  std::unique_lock lock(mu_);
  cv_.wait_for(lock, delay, [this] { return stopping_; });
}

void BrokerWorker::drop_queued_publishes() {
  std::lock_guard lock(mu_);
  std::deque<Op> keep;
  for (auto& op : ops_) {
    if (op.publish)
      gate_.drop_queued(op.payload.size());
    else
      keep.push_back(std::move(op));
  }
  ops_.swap(keep);
}

bool BrokerWorker::take_change(const std::string& channel) {
  std::lock_guard lock(mu_);
  pending_.erase(channel);
  return desired_.count(channel) > 0;
}

bool BrokerWorker::wanted(const std::string& channel) const {
  std::lock_guard lock(mu_);
  return desired_.count(channel) > 0;
}

std::vector<std::string> BrokerWorker::wanted_channels() const {
  std::lock_guard lock(mu_);
  return {desired_.begin(), desired_.end()};
}

uint64_t BrokerWorker::epoch() const {
  std::lock_guard lock(mu_);
  return epoch_;
}

void BrokerWorker::next_epoch() {
  std::lock_guard lock(mu_);
  ++epoch_;
}

void BrokerWorker::set_state(bool up) {
  connected_ = up;
  std::lock_guard lock(deliver_mu_);
  if (!delivering_ || reported_ == up) return;
  reported_ = up;
  if (!on_state_) return;
  try {
    on_state_(up);
  } catch (const std::exception& e) {
    spdlog::error("broker {}: state handler threw: {}", kind_, e.what());
  }
}

void BrokerWorker::deliver(const std::string& channel, std::string_view payload) {
  if (!wanted(channel)) return;  // unsubscribed: the server side may still be catching up
  std::lock_guard lock(deliver_mu_);
  if (!delivering_ || !on_message_) return;
  gate_.count_received();
  try {
    on_message_(channel, payload);
  } catch (const std::exception& e) {
    spdlog::error("broker {}: message handler threw: {}", kind_, e.what());
  }
}

}  // namespace dchat::broker

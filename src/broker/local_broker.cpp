// LocalBroker: replicas in one process, connected through a LocalHub.
//
// The hub maps a channel to the inboxes subscribed to it. publish() looks them up (under the
// hub's lock, on the caller's thread) and posts the message to each inbox's io_context; a
// broker's own thread then delivers it if the channel is still subscribed there. Posting in
// publish order to FIFO io_contexts keeps each publisher's order per channel.
#include "broker/local_broker.hpp"

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>

#include <map>
#include <utility>

namespace dchat::broker {

struct LocalBroker::Inbox {
  boost::asio::io_context io;
  PublishGate* gate = nullptr;
  MessageHandler on_message;
  std::set<std::string, std::less<>> channels;  // touched on the broker's thread only
  std::atomic<size_t> pending{0};               // deliveries posted, not run yet (bounded)
  bool closed = false;                          // under the hub's lock: stopped, never add again
};

class LocalHub {
 public:
  void add(const std::string& channel, const std::shared_ptr<LocalBroker::Inbox>& inbox) {
    std::lock_guard lock(mu_);
    if (!inbox->closed) subscribers_[channel].insert(inbox.get());
  }
  void remove(const std::string& channel, LocalBroker::Inbox* inbox) {
    std::lock_guard lock(mu_);
    auto it = subscribers_.find(channel);
    if (it == subscribers_.end()) return;
    it->second.erase(inbox);
    if (it->second.empty()) subscribers_.erase(it);
  }
  void remove_all(LocalBroker::Inbox* inbox) {
    std::lock_guard lock(mu_);
    inbox->closed = true;
    for (auto it = subscribers_.begin(); it != subscribers_.end();) {
      it->second.erase(inbox);
      it = it->second.empty() ? subscribers_.erase(it) : std::next(it);
    }
  }
  // Posts the message to every subscribed inbox. An inbox is removed (remove_all, under this
  // lock) before its io_context stops, so nothing is posted to a stopped broker.
  void dispatch(const std::string& channel, const std::shared_ptr<const std::string>& payload) {
    std::lock_guard lock(mu_);
    auto it = subscribers_.find(channel);
    if (it == subscribers_.end()) return;
    for (LocalBroker::Inbox* inbox : it->second) {
      if (inbox->pending.fetch_add(1) >= PublishGate::kMaxQueuedMessages) {
        inbox->pending.fetch_sub(1);
        inbox->gate->count_dropped();  // the receiver is not keeping up
        continue;
      }
      boost::asio::post(inbox->io, [inbox, channel, payload] {
        inbox->pending.fetch_sub(1);
        if (!inbox->channels.contains(channel)) return;
        inbox->gate->count_received();
        inbox->on_message(channel, *payload);
      });
    }
  }

 private:
  std::mutex mu_;
  std::map<std::string, std::set<LocalBroker::Inbox*>> subscribers_;
};

namespace {
std::shared_ptr<LocalHub> process_hub() {
  static const std::shared_ptr<LocalHub> hub = std::make_shared<LocalHub>();
  return hub;
}
}  // namespace

LocalBroker::LocalBroker() : LocalBroker(process_hub()) {}

LocalBroker::LocalBroker(std::shared_ptr<LocalHub> hub)
    : GatedBroker("local"), hub_(std::move(hub)), inbox_(std::make_shared<Inbox>()) {
  inbox_->gate = &gate_;
}

LocalBroker::~LocalBroker() { stop(); }

std::shared_ptr<LocalHub> LocalBroker::make_hub() { return std::make_shared<LocalHub>(); }

void LocalBroker::start(MessageHandler on_message, StateHandler on_state) {
  std::lock_guard lock(lifecycle_mu_);
  if (started_ || stopped_) return;
  started_ = true;
  inbox_->on_message = std::move(on_message);
  connected_ = true;
  boost::asio::post(inbox_->io, [on_state = std::move(on_state)] {
    if (on_state) on_state(true);
  });
  thread_ = std::thread([inbox = inbox_] {
    auto work = boost::asio::make_work_guard(inbox->io);
    inbox->io.run();
  });
}

void LocalBroker::stop() {
  std::lock_guard lock(lifecycle_mu_);
  if (stopped_) return;
  stopped_ = true;
  connected_ = false;
  hub_->remove_all(inbox_.get());  // from now on nothing new is posted to this inbox
  inbox_->io.stop();               // queued deliveries are dropped, not run
  if (thread_.joinable()) thread_.join();
}

void LocalBroker::publish(std::string channel, std::string payload) {
  const size_t size = payload.size();
  if (!gate_.admit(channel, size, connected_.load())) return;
  hub_->dispatch(channel, std::make_shared<const std::string>(std::move(payload)));
  gate_.release(size, true);
}

void LocalBroker::subscribe(std::string channel) {
  // Allowed before start(): the insert waits in the queue until the thread runs.
  if (!gate_.check_channel(channel)) return;
  // The local set first (posted), then the hub: a message the hub posts after this call is
  // queued behind the insert. After stop() the hub refuses the inbox. Handlers hold a raw
  // pointer: they are stored in the inbox's own io_context (a shared_ptr would be a cycle).
  boost::asio::post(inbox_->io, [inbox = inbox_.get(), channel] { inbox->channels.insert(channel); });
  hub_->add(channel, inbox_);
}

void LocalBroker::unsubscribe(std::string channel) {
  if (!valid_channel(channel)) return;
  hub_->remove(channel, inbox_.get());
  boost::asio::post(inbox_->io, [inbox = inbox_.get(), channel = std::move(channel)] { inbox->channels.erase(channel); });
}

}  // namespace dchat::broker

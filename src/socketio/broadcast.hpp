#pragma once
// Chooses the recipients of an emit: nsp.to("room").except("other").emit("event", msg).
#include <memory>
#include <string>

#include "socketio/adapter.hpp"

namespace dchat::socketio {

class Namespace;

class BroadcastOperator {
 public:
  explicit BroadcastOperator(Namespace& nsp) : nsp_(&nsp), options_(std::make_shared<BroadcastOptions>()) {}

  BroadcastOperator& to(std::string room) {
    options_->rooms.push_back(std::move(room));
    return *this;
  }
  BroadcastOperator& except(std::string room) {
    options_->except.push_back(std::move(room));
    return *this;
  }
  BroadcastOperator& volatile_() {
    options_->is_volatile = true;
    return *this;
  }
  BroadcastOperator& local() {
    options_->local = true;
    return *this;
  }
  void emit(std::string_view event, const Message& message = {});
  void fetch_sockets(std::function<void(std::vector<SocketInfo>)> done);
  void sockets_join(std::string room);
  void sockets_leave(std::string room);
  void disconnect_sockets(bool close_connection = false);

 private:
  Namespace* nsp_;
  std::shared_ptr<BroadcastOptions> options_;
};

}  // namespace dchat::socketio

#include "socketio/namespace.hpp"

#include "core/metrics.hpp"

#include "socketio/socket.hpp"

namespace dchat::socketio {

Namespace::Namespace(std::string name, std::unique_ptr<Adapter> adapter)
    : name_(std::move(name)), adapter_(std::move(adapter)) {}

void Namespace::run_middlewares(const std::shared_ptr<Socket>& socket,
                                std::function<void(std::optional<ConnectError>)> done, size_t index) {
  if (index >= middlewares_.size()) {
    done(std::nullopt);
    return;
  }
  middlewares_[index](socket, [this, socket, done = std::move(done), index](std::optional<ConnectError> error) mutable {
    if (error) {
      done(std::move(error));
      return;
    }
    run_middlewares(socket, std::move(done), index + 1);
  });
}

const EventHandler* Namespace::handler(std::string_view event) const {
  auto it = handlers_.find(std::string(event));
  return it == handlers_.end() ? nullptr : &it->second;
}

void Namespace::connected(const std::shared_ptr<Socket>& socket) {
  adapter_->add_socket(*socket);
  if (on_connection_) on_connection_(socket);
}

void Namespace::disconnected(const std::shared_ptr<Socket>& socket, std::string_view reason) {
  for (const auto& handler : on_disconnect_) handler(socket, reason);
  adapter_->remove_socket(*socket);
}

void BroadcastOperator::emit(std::string_view event, const Message& message) {
  core::metrics().broadcasts.inc();
  nsp_->adapter().broadcast(encode_event_packet(nsp_->name(), event, message), options_);
}

void BroadcastOperator::fetch_sockets(std::function<void(std::vector<SocketInfo>)> done) {
  nsp_->adapter().fetch_sockets(options_, std::move(done));
}

void BroadcastOperator::sockets_join(std::string room) { nsp_->adapter().sockets_join(options_, std::move(room)); }

void BroadcastOperator::sockets_leave(std::string room) { nsp_->adapter().sockets_leave(options_, std::move(room)); }

void BroadcastOperator::disconnect_sockets(bool close_connection) {
  nsp_->adapter().disconnect_sockets(options_, close_connection);
}

}  // namespace dchat::socketio

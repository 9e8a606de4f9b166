#include "socketio/server.hpp"

#include "socketio/client.hpp"
#include "socketio/local_adapter.hpp"

namespace dchat::socketio {

Server::Server(core::ShardPool& pool, engineio::Options engine_options, std::chrono::milliseconds connect_timeout,
               AdapterFactory adapter_factory)
    : pool_(pool),
      connect_timeout_(connect_timeout),
      adapter_factory_(adapter_factory ? std::move(adapter_factory)
                                       : AdapterFactory([&pool](const std::string&) -> std::unique_ptr<Adapter> {
                                           return std::make_unique<LocalAdapter>(pool);
                                         })),
      engine_(pool, std::move(engine_options), [this](const std::shared_ptr<engineio::Session>& session) {
        auto client = std::make_shared<Client>(*this, session);
        session->set_handler(client);
        client->start();
      }) {}

Namespace& Server::of(const std::string& name) {
  std::lock_guard lock(namespaces_mutex_);
  auto& slot = namespaces_[name];
  if (!slot) slot = std::make_unique<Namespace>(name, adapter_factory_(name));
  return *slot;
}

void Server::allow_dynamic_namespaces(DynamicNamespaces decide, std::function<void(Namespace&)> setup) {
  dynamic_ = std::move(decide);
  dynamic_setup_ = std::move(setup);
}

Namespace* Server::find_or_create_namespace(const std::string& name, const boost::json::object& auth) {
  std::lock_guard lock(namespaces_mutex_);
  if (auto it = namespaces_.find(name); it != namespaces_.end()) return it->second.get();
  if (!dynamic_ || !dynamic_(name, auth)) return nullptr;
  auto& slot = namespaces_[name];
  slot = std::make_unique<Namespace>(name, adapter_factory_(name));
  if (dynamic_setup_) dynamic_setup_(*slot);
  return slot.get();
}

}  // namespace dchat::socketio

#pragma once
// The Socket.IO v5 server: namespaces on top of an Engine.IO server, one Client per session.
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "core/shard_pool.hpp"
#include "engineio/server.hpp"
#include "socketio/adapter.hpp"
#include "socketio/namespace.hpp"

namespace dchat::socketio {

class Server {
 public:
  using AdapterFactory = std::function<std::unique_ptr<Adapter>(const std::string& nsp)>;
  // Decides whether a namespace that was not created up front may be created on connect.
  using DynamicNamespaces = std::function<bool(std::string_view name, const boost::json::object& auth)>;

  Server(core::ShardPool& pool, engineio::Options engine_options, std::chrono::milliseconds connect_timeout,
         AdapterFactory adapter_factory = {});

  engineio::Server& engine() noexcept { return engine_; }
  std::chrono::milliseconds connect_timeout() const noexcept { return connect_timeout_; }

  // The namespace `name`, created if needed. Register handlers before the server starts.
  Namespace& of(const std::string& name);
  void allow_dynamic_namespaces(DynamicNamespaces decide, std::function<void(Namespace&)> setup);

  // ---- used by Client ----
  Namespace* find_or_create_namespace(const std::string& name, const boost::json::object& auth);

 private:
  core::ShardPool& pool_;
  std::chrono::milliseconds connect_timeout_;
  AdapterFactory adapter_factory_;
  engineio::Server engine_;
  std::mutex namespaces_mutex_;  // dynamic namespaces may be created from any shard
  std::map<std::string, std::unique_ptr<Namespace>, std::less<>> namespaces_;
  DynamicNamespaces dynamic_;
  std::function<void(Namespace&)> dynamic_setup_;
};

}  // namespace dchat::socketio

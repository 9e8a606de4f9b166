#pragma once
// One running chatd: the one owner of everything a configuration starts (event loops, cluster
// bus and broker, Socket.IO server, the chat with its store executor, password hasher and
// presence, or the conformance / bench handlers, operations and the HTTP listener), and of the
// order they start, drain and stop in. main parses the configuration and runs one; the unit
// tests start and stop whole servers in-process.
//
// Lifetime: construct (may wait for the database, see ChatApp), run() until a drain or stop
// ends the event loops, destroy. Destruction order is the members' declaration order reversed;
// the comments at the members say why each one is where it is.
#include <boost/asio/signal_set.hpp>

#include <chrono>
#include <memory>
#include <stdexcept>
#include <string>

#include "app/chat_app.hpp"
#include "app/cluster_setup.hpp"
#include "app/operations.hpp"
#include "app/session_forwarding.hpp"
#include "config/config.hpp"
#include "core/shard_pool.hpp"
#include "engineio/server.hpp"
#include "http/connection_policy.hpp"
#include "http/listener.hpp"
#include "http/router.hpp"
#include "socketio/server.hpp"

namespace dchat::app {

// A setting config::load cannot check on its own was refused (main exits with 2, as for any
// invalid configuration).
struct InvalidConfig : std::runtime_error {
  using std::runtime_error::runtime_error;
};

class Server {
 public:
  // The descriptors connections may use, shared out once at start: to clients' connections,
  // and (session forwarding on) as much again to other replicas' connections to the internal
  // listener as to upstream connections to them.
  struct DescriptorShares {
    size_t clients;
    size_t forwarding;  // each of the two; 0 without forwarding
  };
  static DescriptorShares share_descriptors(const config::Config& config);

  // Builds and wires everything and listens on config.host:config.port (port 0: any free port;
  // see port()). Nothing is served before run(). `exe_dir`: where "web/" is looked for when
  // config.web_dir is empty. Throws InvalidConfig, StoppedAtStart (a stop requested while
  // waiting for the database) or std::exception with what could not be started.
  Server(const config::Config& config, const std::string& exe_dir);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // SIGTERM/SIGINT start the drain; a second one stops at once. Also hands on a stop that was
  // requested during start-up (app/early_stop.hpp). For main; in-process tests call drain().
  void handle_stop_signals();

  // Serves until the event loops stop (after a drain, or stop()); blocks the calling thread,
  // which becomes event loop 0.
  void run();

  // Thread-safe. drain(): what SIGTERM does (see Operations::drain); run() returns when it is
  // done. stop(): the loops stop now.
  void drain();
  void stop();

  uint16_t port() const { return listener_->port(); }
  const char* mode_name() const noexcept;

 private:
  // Runs on loop 0. A second request while draining stops at once.
  void begin_drain();
  void install_handlers(const std::string& exe_dir);
  void start_forwarding();

  // Stops the cluster bus's deliveries into the namespaces and the chat before they are
  // destroyed, also when the constructor throws halfway (then ~Server's body does not run).
  struct StopClusterFirst {
    Cluster* cluster;
    ~StopClusterFirst();
  };

  config::Config config_;
  // First: everything below posts to its loops and owns timers or sockets on them, so the
  // loops (and whatever is still queued on them) go last.
  core::ShardPool pool_;
  DescriptorShares descriptors_;
  http::ConnectionPolicy policy_;
  engineio::ForwardingIdentity identity_;
  engineio::Options engine_options_;
  // Before io_: every namespace's adapter publishes on the bus. Started here (it connects in the
  // background, so a broker that is down delays nothing).
  std::unique_ptr<Cluster> cluster_;
  socketio::Server io_;
  // Routes point into the apps below; destroyed after them, but nothing routes by then (the
  // listener, declared later, is gone first).
  http::Router router_;
  std::unique_ptr<engineio::Server> echo_;  // conformance mode: the raw Engine.IO echo server
  std::unique_ptr<ChatApp> chat_;           // chat mode: store, hasher, presence, API, web UI
  // Cluster mode: the internal listener and forwarder (issue #14). After the engines it routes
  // to, so destroyed before them; before stop_cluster_first_, so the bus (which calls into its
  // peer directory) is stopped first.
  std::unique_ptr<SessionForwarding> forwarding_;
  // After io_, echo_ and chat_, so destroyed before them (see StopClusterFirst).
  StopClusterFirst stop_cluster_first_;
  // Reads the apps and the cluster (readiness, metrics, drain): destroyed before them.
  std::unique_ptr<Operations> operations_;
  // Last but the signals: the first to go, so no new connection reaches anything destroyed.
  std::unique_ptr<http::Listener> listener_;
  std::unique_ptr<boost::asio::signal_set> signals_;
};

}  // namespace dchat::app

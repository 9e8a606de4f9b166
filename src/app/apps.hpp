#pragma once
// The handler sets chatd can run: the official protocol test suites' expectations, and the
// shared benchmark's "server under test" contract.
#include <memory>

#include "engineio/server.hpp"
#include "socketio/server.hpp"

namespace dchat::app {

// Namespaces "/" and "/custom" as the socket.io v5 test suite expects, plus a few events the
// project's own protocol tests use (rooms, server-to-client acks, server-side closes), a
// namespace "/private" behind a connect middleware (auth {"token":"secret"}), and dynamic
// namespaces "/dyn-*".
void install_conformance(socketio::Server& io);

// A raw Engine.IO server that echoes every message, for the engine.io v4 test suite.
std::unique_ptr<engineio::Server> make_echo_engine(core::ShardPool& pool, const engineio::Options& options);

// ../shared/bench contract: every client joins "general"; "chat message" goes to its room.
void install_bench(socketio::Server& io);

}  // namespace dchat::app

// Fleet: all the clients and the worker threads that own them, for the main thread to lay
// out, start, poll, stop and read after the run.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "config.hpp"
#include "worker.hpp"

struct Fleet {
  // Layout: worker 0 holds the senders (gids 0..S-1) on their own thread, the --threads
  // receivers get the other clients round-robin. Chat: every client gets its ChatConn, user
  // gid in room gid mod --rooms.
  explicit Fleet(const Config& cfg);
  Fleet(const Fleet&) = delete;
  Fleet& operator=(const Fleet&) = delete;

  RunControl control;  // the workers hold a reference to it
  std::vector<std::unique_ptr<Worker>> workers;
  std::vector<std::unique_ptr<Conn>> conns;  // by gid

  void start();  // one thread per worker
  void stop();   // tells every worker to stop and joins it

  // Sums of one of the counters the workers publish while they run.
  uint64_t sum(std::atomic<uint64_t> Pub::*field) const;
  uint64_t last_connected() const;  // when the last client finished its handshake
  std::map<std::string, uint64_t> merged_errors() const;
  std::vector<pid_t> thread_ids() const;
};

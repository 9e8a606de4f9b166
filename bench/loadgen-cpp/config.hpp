// The command line: what to run against and how hard (see --help and README.md).
#pragma once

#include <netinet/in.h>

#include <cstdint>
#include <string>
#include <vector>

struct Config {
  std::string host = "127.0.0.1";
  int port = 3000;
  sockaddr_in target{};
  int clients = 1000;
  int senders = 10;
  double rate = 200;
  double warmup = 3, duration = 20, drain = 5;
  int threads = 1;
  std::vector<int> server_pids;
  std::vector<uint32_t> source_ips;  // network order
  std::string source_ips_spec = "127.0.0.2-127.0.0.9";
  double connect_rate = 5000;
  int max_pending = 1000;
  double connect_timeout = 10;
  int text_bytes = 64;
  std::string room = "general";
  std::string path = "/socket.io/";
  std::string label;
  bool quiet = false;
};

// Prints --help and exits 0, or ends the run through die() on a bad argument.
Config parse_args(int argc, char** argv);

// The command line: what to run against and how hard (see --help and README.md).
#pragma once

#include <netinet/in.h>

#include <cstdint>
#include <string>
#include <vector>

// fanout: everyone in one room, "chat message" broadcast (the shared yardstick's scenario).
// chat: signed-in users, message:send with acks, stored and broadcast as "message" (chat_traffic.cpp).
enum class Scenario { fanout, chat };

// One server address of --target (a list: client i uses target i mod n, for its sign-in too).
struct Target {
  std::string host;
  int port = 0;
  sockaddr_in addr{};
  std::string str() const { return host + ":" + std::to_string(port); }
};

// --extra-pid NAME=PID[,PID...]: processes next to the server (a database, a broker) whose CPU
// over the window is reported under NAME, each with its descendants (PostgreSQL's backends).
struct PidGroup {
  std::string name;
  std::vector<int> pids;
};

struct Config {
  Scenario scenario = Scenario::fanout;
  std::string host = "127.0.0.1";  // the first target (the only one unless --target lists more)
  int port = 3000;
  sockaddr_in target{};
  std::vector<Target> targets;  // every --target, in order
  std::vector<PidGroup> extra_pids;
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
  // chat scenario
  int rooms = 1;                 // 1: everyone in "general"; N > 1: rooms bench-0..N-1 (room:join, chatd only)
  int max_sign_ins = 4;          // HTTP sign-ins in flight at once (the server hashes passwords slowly)
  double sign_in_timeout = 60;   // per user, every attempt included, seconds
  std::string run_tag;           // in the user names (b<tag>-<i>): unique per run unless given

  bool chat() const { return scenario == Scenario::chat; }
  // Client gid's server: target gid mod n (for its sign-in and its WebSocket).
  const Target& target_for(uint32_t gid) const { return targets[gid % targets.size()]; }
  std::string targets_str() const {  // "host:port,host:port"
    std::string s;
    for (const Target& t : targets) s += (s.empty() ? "" : ",") + t.str();
    return s;
  }
  std::string targets_json() const {  // ["host:port",...] (IPv4 addresses: nothing to escape)
    std::string s = "[";
    for (const Target& t : targets) s += (s.size() > 1 ? ",\"" : "\"") + t.str() + "\"";
    return s + "]";
  }
  const char* scenario_name() const { return chat() ? "chat" : "fanout"; }
};

// Prints --help and exits 0, or ends the run through die() on a bad argument.
Config parse_args(int argc, char** argv);

#include "config.hpp"

#include <arpa/inet.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "clock.hpp"
#include "log.hpp"

namespace {

const char* HELP =
    "usage: fanout-cpp [options]\n"
    "  --scenario NAME        fanout (default): \"chat message\" broadcast to everyone;\n"
    "                         chat: signed-in users, message:send with acks, \"message\" broadcasts\n"
    "  --target LIST          server HOST:PORT (default 127.0.0.1:3000), or HOST:PORT,HOST:PORT,... for\n"
    "                         replicas: client i signs in and connects to target i mod n\n"
    "  --clients C            clients in room general (default 1000); chat: users\n"
    "  --senders S            clients that send (default 10; they receive too)\n"
    "  --rate R               total messages/s over all senders, open loop (default 200)\n"
    "  --warmup W             seconds of sending before measuring (default 3)\n"
    "  --duration D           measured seconds (default 20)\n"
    "  --drain T              max seconds after the last send to wait for late deliveries (default 5)\n"
    "  --threads N            receiver threads, each with its own epoll (default 1; senders have their own)\n"
    "  --server-pid LIST      pid[,pid...] of the server: CPU (utime+stime, all threads) over the window,\n"
    "                         summed over the pids (replicas)\n"
    "  --extra-pid NAME=LIST  pid[,pid...] of processes next to the server (database, broker): their CPU\n"
    "                         over the window (with their descendants) reported as NAME; repeatable\n"
    "  --source-ips LIST      local source addresses, round-robin; ranges allowed (default 127.0.0.2-127.0.0.9;\n"
    "                         'none' to let the kernel choose)\n"
    "  --connect-rate R       new connections per second (default 5000; '5000/s' accepted)\n"
    "  --max-pending P        handshakes in flight (default 1000)\n"
    "  --connect-timeout S    per-connection handshake limit, seconds (default 10)\n"
    "  --text-bytes B         length of the text field (default 64)\n"
    "  --room NAME            fanout: room named in the messages (default general)\n"
    "  --path P               Engine.IO path (default /socket.io/)\n"
    "  --label TEXT           copied into the JSON\n"
    "  --quiet                no progress lines on stderr\n"
    "chat scenario:\n"
    "  --rooms N              1 (default): everyone in general; N > 1: user i joins room bench-<i mod N>\n"
    "                         with room:join (chatd only) and senders send to their own room\n"
    "  --max-sign-ins P       HTTP sign-ins (POST /api/session) in flight at once (default 4)\n"
    "  --sign-in-timeout S    per user, retries included, seconds (default 60)\n"
    "  --run-tag TAG          user names are b<TAG>-<i> (default: from the clock, unique per run)\n"
    "Prints a summary, then one JSON line (last line of stdout). Exit 0 ok, 1 failure.\n";

double parse_num(const std::string& k, const std::string& v, double min) {
  char* e = nullptr;
  std::string s = v;
  if (s.size() > 2 && s.compare(s.size() - 2, 2, "/s") == 0) s.resize(s.size() - 2);
  double x = strtod(s.c_str(), &e);
  if (!e || *e || !std::isfinite(x) || x < min) die("bad --%s: %s", k.c_str(), v.c_str());
  return x;
}

int parse_int(const std::string& k, const std::string& v, int min) {
  double x = parse_num(k, v, min);
  if (x != std::floor(x) || x > 1e9) die("bad --%s: %s (want an integer)", k.c_str(), v.c_str());
  return int(x);
}

uint32_t parse_ip(const std::string& s) {
  in_addr a{};
  if (inet_pton(AF_INET, s.c_str(), &a) != 1) die("bad IPv4 address: %s", s.c_str());
  return a.s_addr;
}

// Calls each(part) for every non-empty part of a comma-separated list.
template <typename Each>
void for_each_listed(const std::string& list, Each each) {
  size_t pos = 0;
  while (pos <= list.size()) {
    size_t e = list.find(',', pos);
    if (e == std::string::npos) e = list.size();
    std::string part = list.substr(pos, e - pos);
    pos = e + 1;
    if (!part.empty()) each(part);
  }
}

std::vector<uint32_t> parse_source_ips(const std::string& spec) {
  std::vector<uint32_t> ips;
  if (spec == "none" || spec.empty()) return ips;
  for_each_listed(spec, [&](const std::string& part) {
    size_t dash = part.find('-');
    if (dash != std::string::npos) {
      uint32_t lo = ntohl(parse_ip(part.substr(0, dash))), hi = ntohl(parse_ip(part.substr(dash + 1)));
      if (hi < lo || hi - lo > 4096) die("bad source ip range: %s", part.c_str());
      for (uint32_t x = lo; x <= hi; x++) ips.push_back(htonl(x));
    } else {
      ips.push_back(parse_ip(part));
    }
  });
  for (uint32_t ip : ips)
    if ((ntohl(ip) >> 24) != 127) die("source ip is not a loopback address (127.x): %s", spec.c_str());
  return ips;
}

// One --key value (or --key=value) pair into cfg; target collects --target for later checks.
void apply_option(Config& cfg, const std::string& k, const std::string& v, std::string& target) {
  if (k == "scenario") {
    if (v == "fanout") cfg.scenario = Scenario::fanout;
    else if (v == "chat") {
      cfg.scenario = Scenario::chat;
      set_scenario_name("chat");  // for a failure JSON line from here on
    }
    else die("bad --scenario: %s (fanout or chat)", v.c_str());
  } else if (k == "target" || k == "targets") {
    target = v;
  } else if (k == "clients") cfg.clients = parse_int(k, v, 1);
  else if (k == "senders") cfg.senders = parse_int(k, v, 1);
  else if (k == "rate") cfg.rate = parse_num(k, v, 0.001);
  else if (k == "warmup") cfg.warmup = parse_num(k, v, 0);
  else if (k == "duration") cfg.duration = parse_num(k, v, 1);
  else if (k == "drain") cfg.drain = parse_num(k, v, 0);
  else if (k == "threads") cfg.threads = parse_int(k, v, 1);
  else if (k == "server-pid") for_each_listed(v, [&](const std::string& p) { cfg.server_pids.push_back(parse_int(k, p, 1)); });
  else if (k == "extra-pid") {
    size_t eq = v.find('=');
    if (eq == std::string::npos || eq == 0) die("bad --extra-pid (want NAME=PID[,PID...]): %s", v.c_str());
    PidGroup g{v.substr(0, eq), {}};
    for (char ch : g.name)
      if (ch == '"' || ch == '\\' || uint8_t(ch) < 0x20) die("--extra-pid NAME must not need JSON escaping");
    for_each_listed(v.substr(eq + 1), [&](const std::string& p) { g.pids.push_back(parse_int(k, p, 1)); });
    if (g.pids.empty()) die("bad --extra-pid (no pid): %s", v.c_str());
    cfg.extra_pids.push_back(g);
  } else if (k == "source-ips") cfg.source_ips_spec = v;
  else if (k == "connect-rate") cfg.connect_rate = parse_num(k, v, 1);
  else if (k == "max-pending") cfg.max_pending = parse_int(k, v, 1);
  else if (k == "connect-timeout") cfg.connect_timeout = parse_num(k, v, 0.1);
  else if (k == "text-bytes") cfg.text_bytes = parse_int(k, v, 48);
  else if (k == "room") cfg.room = v;
  else if (k == "path") cfg.path = v;
  else if (k == "label") cfg.label = v;
  else if (k == "rooms") cfg.rooms = parse_int(k, v, 1);
  else if (k == "max-sign-ins") cfg.max_sign_ins = parse_int(k, v, 1);
  else if (k == "sign-in-timeout") cfg.sign_in_timeout = parse_num(k, v, 1);
  else if (k == "run-tag") cfg.run_tag = v;
  else die("unknown option --%s (see --help)", k.c_str());
}

Target parse_target(const std::string& target) {
  Target t;
  size_t c = target.rfind(':');
  if (c == std::string::npos || c == 0) die("bad --target (want host:port): %s", target.c_str());
  t.host = target.substr(0, c);
  t.port = parse_int("target port", target.substr(c + 1), 1);
  if (t.port > 65535) die("bad port: %d", t.port);
  t.addr.sin_family = AF_INET;
  t.addr.sin_port = htons(uint16_t(t.port));
  if (inet_pton(AF_INET, t.host.c_str(), &t.addr.sin_addr) != 1)
    die("--target host must be an IPv4 address: %s", t.host.c_str());
  return t;
}

// --target HOST:PORT[,HOST:PORT...]: cfg.targets in order; host, port and target are the first.
void set_targets(Config& cfg, const std::string& list) {
  for_each_listed(list, [&](const std::string& part) { cfg.targets.push_back(parse_target(part)); });
  if (cfg.targets.empty()) die("bad --target (want host:port[,host:port...]): %s", list.c_str());
  cfg.host = cfg.targets[0].host;
  cfg.port = cfg.targets[0].port;
  cfg.target = cfg.targets[0].addr;
}

// A name the base-36 digits of the clock make unique per run (ms resolution), so that repeated runs
// against one server sign up new users rather than sign in old ones.
std::string clock_tag() {
  uint64_t x = realtime_ms();
  std::string t;
  do {
    t.insert(t.begin(), "0123456789abcdefghijklmnopqrstuvwxyz"[x % 36]);
    x /= 36;
  } while (x);
  return t;
}

void check_chat(Config& cfg) {
  if (!cfg.chat()) {
    if (cfg.rooms != 1) die("--rooms is for --scenario chat");
    return;
  }
  if (cfg.rooms > cfg.clients) die("--rooms must be <= --clients");
  if (cfg.run_tag.empty()) cfg.run_tag = clock_tag();
  // b<tag>-<i> must be a valid user name on both servers (1..32 characters) and need no escaping.
  if (cfg.run_tag.size() > 20) die("--run-tag at most 20 characters");
  for (char ch : cfg.run_tag)
    if (!((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9'))) die("--run-tag: lower-case letters and digits only");
}

// Limits that involve more than one option, and the settings derived from the options.
void check_and_complete(Config& cfg, const std::string& target) {
  if (cfg.text_bytes > 2048) die("--text-bytes at most 2048");
  if (cfg.senders > cfg.clients) die("--senders must be <= --clients");
  if (cfg.threads > 64) die("--threads at most 64");
  for (char ch : cfg.room)
    if (ch == '"' || ch == '\\' || uint8_t(ch) < 0x20) die("--room must not need JSON escaping");
  if (cfg.path.empty() || cfg.path.back() != '/') cfg.path += '/';
  check_chat(cfg);
  set_targets(cfg, target);
  cfg.source_ips = parse_source_ips(cfg.source_ips_spec);
  for (int pid : cfg.server_pids)
    if (access(("/proc/" + std::to_string(pid) + "/stat").c_str(), R_OK) != 0) die("no such process: %d", pid);
  for (const PidGroup& g : cfg.extra_pids)
    for (int pid : g.pids)
      if (access(("/proc/" + std::to_string(pid) + "/stat").c_str(), R_OK) != 0)
        die("no such process (--extra-pid %s): %d", g.name.c_str(), pid);
}

}  // namespace

Config parse_args(int argc, char** argv) {
  Config cfg;
  std::string target = "127.0.0.1:3000";
  for (int i = 1; i < argc; i++) {
    std::string a = argv[i];
    if (a == "-h" || a == "--help") {
      fputs(HELP, stdout);
      exit(0);
    }
    if (a == "--quiet") {
      cfg.quiet = true;
      continue;
    }
    if (a.compare(0, 2, "--") != 0) die("unexpected argument: %s", a.c_str());
    std::string k = a.substr(2), v;
    size_t eq = k.find('=');
    if (eq != std::string::npos) {
      v = k.substr(eq + 1);
      k.resize(eq);
    } else {
      if (i + 1 >= argc) die("missing value for --%s", k.c_str());
      v = argv[++i];
    }
    apply_option(cfg, k, v, target);
  }
  check_and_complete(cfg, target);
  return cfg;
}

// fanout-cpp: a fast load generator for the Socket.IO chat fan-out benchmark.
//
// Same wire contract and the same figures as the shared Node load generator
// (../shared/bench/loadgen, scenario "fanout"), but in C++ on plain epoll so
// that one core can receive far more than the ~150,000 deliveries/s the Node
// tool manages.
//
//   GET /socket.io/?EIO=4&transport=websocket      (WebSocket upgrade)
//   <- 0{"sid":...,"pingInterval":...}              Engine.IO open
//   -> 40                                           Socket.IO connect "/"
//   <- 40{"sid":...}                                connected (joined "general")
//   <- 2   -> 3                                     ping / pong
//   -> 42["chat message",{"room":"general","text":...,"ts":...}]   (senders)
//   <- 42["chat message",{...}]                     broadcast deliveries
//
// The text field is "t=<send CLOCK_MONOTONIC us> s=<seq> c=<sender> p=<m|w> "
// padded with 'x' to --text-bytes (64). p=m marks a measured message (its
// scheduled send time lies in the measured window), p=w a warm-up one.
//
// Threads: one sender thread (owns the S sender clients: sends on an open-loop
// schedule and also receives their broadcasts) and --threads receiver threads,
// each with its own epoll and its share of the other clients. The main thread
// coordinates the phases and samples CPU at the window edges. Every phase is
// bounded; a global deadline (SIGALRM) ends a stuck run with exit 1.
//
// Output: a human summary, then one JSON object as the last line of stdout.
// Exit status: 0 run completed; 1 anything else (bad arguments, not every
// client connected, server pid vanished, deadline exceeded).

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sched.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdarg>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

// ------------------------------------------------------------------ clock
static inline uint64_t now_us() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return uint64_t(ts.tv_sec) * 1000000ull + uint64_t(ts.tv_nsec) / 1000ull;
}
static inline uint64_t realtime_ms() {
  timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return uint64_t(ts.tv_sec) * 1000ull + uint64_t(ts.tv_nsec) / 1000000ull;
}
static void sleep_until_us(uint64_t t) {
  for (;;) {
    uint64_t n = now_us();
    if (n >= t) return;
    uint64_t d = t - n;
    timespec ts{time_t(d / 1000000), long((d % 1000000) * 1000)};
    nanosleep(&ts, nullptr);
  }
}

// ------------------------------------------------------------------ histogram
// Log-linear histogram of non-negative integers (microseconds): values < 128
// exact, above that 64 buckets per power of two (bucket width <= 1/64 of the
// value; the reported midpoint is within 0.8 %). Same layout as lib/hist.js.
struct Hist {
  static constexpr int SUB = 64, LINEAR = 128;
  static constexpr int NB = LINEAR + (63 - 7 + 1) * SUB;
  std::vector<uint64_t> counts = std::vector<uint64_t>(NB, 0);
  uint64_t n = 0, max = 0, min = UINT64_MAX;
  double sum = 0;
  static int bucket(uint64_t v) {
    if (v < uint64_t(LINEAR)) return int(v);
    int e = 63 - __builtin_clzll(v);
    int shift = e - 6;
    int m = int((v >> shift) & (SUB * 2 - 1));
    return LINEAR + (e - 7) * SUB + (m - SUB);
  }
  static double mid(int i) {
    if (i < LINEAR) return i;
    int e = (i - LINEAR) / SUB + 7;
    int m = (i - LINEAR) % SUB + SUB;
    double lo = std::ldexp(double(m), e - 6);
    double hi = std::ldexp(double(m + 1), e - 6) - 1;
    return (lo + hi) / 2;
  }
  inline void record(uint64_t v) {
    counts[bucket(v)]++;
    n++;
    sum += double(v);
    if (v > max) max = v;
    if (v < min) min = v;
  }
  void merge(const Hist& o) {
    for (int i = 0; i < NB; i++) counts[i] += o.counts[i];
    n += o.n;
    sum += o.sum;
    if (o.n) {
      max = std::max(max, o.max);
      min = std::min(min, o.min);
    }
  }
  double pct(double p) const {  // NaN when empty
    if (!n) return NAN;
    if (p >= 100) return double(max);
    uint64_t target = uint64_t(std::ceil(p / 100.0 * double(n)));
    if (target == 0) target = 1;
    uint64_t acc = 0;
    for (int i = 0; i < NB; i++) {
      acc += counts[i];
      if (acc >= target && counts[i]) return std::min(mid(i), double(max));
    }
    return double(max);
  }
  double mean() const { return n ? sum / double(n) : NAN; }
};

// ------------------------------------------------------------------ SHA-1 / base64 (handshake check)
static void sha1(const uint8_t* data, size_t len, uint8_t out[20]) {
  uint32_t h[5] = {0x67452301, 0xEFCDAB89, 0x98BADCFE, 0x10325476, 0xC3D2E1F0};
  std::vector<uint8_t> m(data, data + len);
  m.push_back(0x80);
  while (m.size() % 64 != 56) m.push_back(0);
  uint64_t bits = uint64_t(len) * 8;
  for (int i = 7; i >= 0; i--) m.push_back(uint8_t(bits >> (i * 8)));
  auto rol = [](uint32_t x, int s) { return (x << s) | (x >> (32 - s)); };
  for (size_t off = 0; off < m.size(); off += 64) {
    uint32_t w[80];
    for (int i = 0; i < 16; i++)
      w[i] = uint32_t(m[off + 4 * i]) << 24 | uint32_t(m[off + 4 * i + 1]) << 16 | uint32_t(m[off + 4 * i + 2]) << 8 |
             uint32_t(m[off + 4 * i + 3]);
    for (int i = 16; i < 80; i++) w[i] = rol(w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16], 1);
    uint32_t a = h[0], b = h[1], c = h[2], d = h[3], e = h[4];
    for (int i = 0; i < 80; i++) {
      uint32_t f, k;
      if (i < 20) f = (b & c) | (~b & d), k = 0x5A827999;
      else if (i < 40) f = b ^ c ^ d, k = 0x6ED9EBA1;
      else if (i < 60) f = (b & c) | (b & d) | (c & d), k = 0x8F1BBCDC;
      else f = b ^ c ^ d, k = 0xCA62C1D6;
      uint32_t t = rol(a, 5) + f + e + k + w[i];
      e = d, d = c, c = rol(b, 30), b = a, a = t;
    }
    h[0] += a, h[1] += b, h[2] += c, h[3] += d, h[4] += e;
  }
  for (int i = 0; i < 5; i++)
    for (int j = 0; j < 4; j++) out[4 * i + j] = uint8_t(h[i] >> (24 - 8 * j));
}
static std::string base64(const uint8_t* p, size_t n) {
  static const char* T = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string o;
  for (size_t i = 0; i < n; i += 3) {
    uint32_t v = uint32_t(p[i]) << 16 | (i + 1 < n ? uint32_t(p[i + 1]) << 8 : 0) | (i + 2 < n ? p[i + 2] : 0);
    o += T[(v >> 18) & 63];
    o += T[(v >> 12) & 63];
    o += i + 1 < n ? T[(v >> 6) & 63] : '=';
    o += i + 2 < n ? T[v & 63] : '=';
  }
  return o;
}

// ------------------------------------------------------------------ small PRNG (masking keys, ws keys)
struct Rng {
  uint64_t s;
  Rng() {
    if (getrandom(&s, sizeof s, 0) != sizeof s) s = now_us() * 0x9E3779B97F4A7C15ull;
    s |= 1;
  }
  inline uint64_t next() {  // xorshift64*
    s ^= s >> 12;
    s ^= s << 25;
    s ^= s >> 27;
    return s * 0x2545F4914F6CDD1Dull;
  }
};

// ------------------------------------------------------------------ config
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
} cfg;

// ------------------------------------------------------------------ global run state
enum Phase : int { PH_INIT = 0, PH_CONNECT = 1, PH_RUN = 2 };
struct Global {
  std::atomic<int> phase{PH_INIT};
  std::atomic<bool> stop{false};
  std::atomic<bool> sender_done{false};
  uint64_t connect_t0 = 0;  // written before phase CONNECT
  uint64_t t0 = 0, m_start = UINT64_MAX, m_end = UINT64_MAX;  // written before phase RUN
  int tl_secs = 0;
} g;

static void logf(const char* fmt, ...) {
  if (cfg.quiet) return;
  va_list ap;
  va_start(ap, fmt);
  char b[1024];
  vsnprintf(b, sizeof b, fmt, ap);
  va_end(ap);
  fprintf(stderr, "[fanout-cpp] %s\n", b);
}

// Harness failure: message on stderr, a JSON line on stdout, exit 1.
// Async-signal-safe (used from the deadline handler too).
static void fail_exit_raw(const char* msg) {
  char b[600];
  int n = snprintf(b, sizeof b, "fanout-cpp: harness error: %s\n", msg);
  if (n > 0) (void)!write(2, b, size_t(std::min(n, int(sizeof b) - 1)));
  n = snprintf(b, sizeof b, "{\"ok\":false,\"scenario\":\"fanout\",\"tool\":\"fanout-cpp\",\"harness_error\":\"%s\"}\n", msg);
  if (n > 0) (void)!write(1, b, size_t(std::min(n, int(sizeof b) - 1)));
  _exit(1);
}
static void die(const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  char b[400];
  vsnprintf(b, sizeof b, fmt, ap);
  va_end(ap);
  for (char* p = b; *p; p++)
    if (*p == '"' || *p == '\\') *p = '\'';
  fflush(stdout);
  fail_exit_raw(b);
}
static void on_deadline(int) { fail_exit_raw("run exceeded its time bound (global deadline)"); }
static void on_term(int) { fail_exit_raw("interrupted"); }

// ------------------------------------------------------------------ connections
enum ConnState : uint8_t {
  CS_IDLE,        // not started
  CS_TCP,         // connect() in progress
  CS_HTTP,        // upgrade request sent, waiting for 101
  CS_EIO,         // websocket open, waiting for Engine.IO open "0{...}"
  CS_JOIN,        // "40" sent, waiting for "40{...}"
  CS_CONNECTED,   // in room general
  CS_FAILED,      // failed before connecting
  CS_CLOSED,      // closed after connecting
};

struct Worker;
struct Conn {
  int fd = -1;
  uint32_t gid = 0;
  ConnState state = CS_IDLE;
  bool want_out = false;
  bool in_frag = false;
  uint8_t frag_op = 0;
  uint64_t t_start = 0;
  uint64_t recv_m = 0;  // measured deliveries to this client
  uint32_t* last_seq = nullptr;  // per sender, for duplicate / reorder detection
  std::string in;    // unparsed bytes (partial frame or handshake response)
  std::string out;   // bytes not yet written
  std::string frag;  // fragmented message being assembled
  std::string accept;  // expected Sec-WebSocket-Accept
};

struct alignas(64) Pub {  // counters the main thread polls while the run goes on
  std::atomic<uint64_t> connected{0}, failed{0}, recv_m{0}, sent_m{0}, disc{0}, started{0}, last_connected{0};
};

static inline void bump(std::atomic<uint64_t>& a, uint64_t d = 1) {  // single writer
  a.store(a.load(std::memory_order_relaxed) + d, std::memory_order_relaxed);
}

struct Worker {
  int id = 0;
  bool is_sender = false;
  int ep = -1;
  std::atomic<pid_t> tid{0};
  std::vector<Conn*> conns;
  std::vector<uint32_t> seq_store;
  Pub pub;
  // connecting
  double rate_share = 1;  // connects per second for this worker
  int max_pending = 1;
  size_t next_start = 0;
  int inflight = 0;
  bool connect_done = false;
  uint64_t last_timeout_scan = 0;
  // run
  bool have_times = false;
  uint64_t t0 = 0, m_start = UINT64_MAX, m_end = UINT64_MAX;
  // stats (owner thread only; read by main after join)
  uint64_t recv_warm = 0, recv_window = 0, recv_other = 0, pings = 0, dup_or_reorder = 0, text_bad = 0;
  uint64_t sent_warm = 0, send_failed = 0, recv_after_close = 0;
  uint64_t first_connected = 0, last_connected = 0;
  Hist lat, lag, conn_time;
  std::vector<uint64_t> tl_count, tl_latmax;
  std::map<std::string, uint64_t> errors;
  // io
  std::unique_ptr<char[]> buf;
  size_t cap = 1 << 20;
  Rng rng;
  std::thread th;

  void note_error(const std::string& e) {
    auto it = errors.find(e);
    if (it != errors.end()) it->second++;
    else if (errors.size() < 12) errors[e] = 1;
    else errors["(other)"]++;
  }
  void run();
  void start_conn(Conn* c, uint64_t now);
  void fail(Conn* c, const std::string& why);
  void closed(Conn* c, const std::string& why);
  void on_tcp_connected(Conn* c);
  void on_readable(Conn* c);
  void process(Conn* c, const char* d, size_t n, uint64_t now);
  void on_message(Conn* c, const char* p, size_t n, uint64_t now);
  void on_event(Conn* c, const char* p, size_t n, uint64_t now);
  bool send_frame(Conn* c, uint8_t op, const char* p, size_t n);
  bool write_raw(Conn* c, const char* p, size_t n);
  void flush(Conn* c);
  void set_out(Conn* c, bool on);
  void pump_connects(uint64_t now);
  void scan_timeouts(uint64_t now);
  // sender
  struct Snd {
    Conn* c;
    uint64_t k;
    double phase;
    bool done;
  };
  std::vector<Snd> snd;
  double interval_us = 0;
  std::string head;
  uint64_t do_sends(uint64_t now);  // returns next due time (UINT64_MAX when finished)
};

static std::vector<std::unique_ptr<Worker>> workers;

void Worker::start_conn(Conn* c, uint64_t now) {
  c->t_start = now;
  c->state = CS_TCP;
  inflight++;
  bump(pub.started);
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    fail(c, std::string("socket: ") + strerror(errno));
    return;
  }
  c->fd = fd;
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  if (!cfg.source_ips.empty()) {
    setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one);
    sockaddr_in la{};
    la.sin_family = AF_INET;
    la.sin_addr.s_addr = cfg.source_ips[c->gid % cfg.source_ips.size()];
    la.sin_port = 0;
    if (bind(fd, reinterpret_cast<sockaddr*>(&la), sizeof la) != 0) {
      fail(c, std::string("bind: ") + strerror(errno));
      return;
    }
  }
  int r = connect(fd, reinterpret_cast<const sockaddr*>(&cfg.target), sizeof cfg.target);
  if (r != 0 && errno != EINPROGRESS) {
    fail(c, std::string("connect: ") + strerror(errno));
    return;
  }
  epoll_event ev{};
  ev.events = EPOLLIN | EPOLLOUT | EPOLLET;
  ev.data.ptr = c;
  c->want_out = true;
  if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) != 0) {
    fail(c, std::string("epoll_ctl: ") + strerror(errno));
    return;
  }
  if (r == 0) on_tcp_connected(c);
}

void Worker::fail(Conn* c, const std::string& why) {
  if (c->state == CS_FAILED || c->state >= CS_CONNECTED) return;
  c->state = CS_FAILED;
  bump(pub.failed);
  note_error(why);
  if (c->fd >= 0) {
    close(c->fd);  // also removes it from epoll
    c->fd = -1;
  }
  c->in.clear();
  c->out.clear();
  inflight--;
}

void Worker::closed(Conn* c, const std::string& why) {
  if (c->state < CS_CONNECTED) {
    fail(c, why);
    return;
  }
  if (c->state == CS_CONNECTED) {
    c->state = CS_CLOSED;
    bump(pub.disc);
    note_error("after connect: " + why);
  }
  if (c->fd >= 0) {
    close(c->fd);
    c->fd = -1;
  }
  c->in.clear();
  c->out.clear();
}

void Worker::set_out(Conn* c, bool on) {
  if (c->want_out == on || c->fd < 0) return;
  c->want_out = on;
  epoll_event ev{};
  ev.events = on ? uint32_t(EPOLLIN | EPOLLOUT | EPOLLET) : uint32_t(EPOLLIN | EPOLLET);
  ev.data.ptr = c;
  epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
}

bool Worker::write_raw(Conn* c, const char* p, size_t n) {
  if (c->fd < 0) return false;
  if (!c->out.empty()) {
    c->out.append(p, n);
    return true;
  }
  ssize_t w = send(c->fd, p, n, MSG_NOSIGNAL | MSG_DONTWAIT);
  if (w < 0) {
    if (errno == EAGAIN || errno == EWOULDBLOCK) w = 0;
    else {
      closed(c, std::string("write: ") + strerror(errno));
      return false;
    }
  }
  if (size_t(w) < n) {
    c->out.append(p + w, n - size_t(w));
    set_out(c, true);
  }
  return true;
}

void Worker::flush(Conn* c) {
  while (!c->out.empty() && c->fd >= 0) {
    ssize_t w = send(c->fd, c->out.data(), c->out.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
    if (w < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK) return;
      closed(c, std::string("write: ") + strerror(errno));
      return;
    }
    c->out.erase(0, size_t(w));
  }
  set_out(c, false);
}

// One masked frame (RFC 6455 5.3: client frames are masked).
bool Worker::send_frame(Conn* c, uint8_t op, const char* p, size_t n) {
  char stack[1024];
  std::string heap;
  char* f = stack;
  size_t need = n + 14;
  if (need > sizeof stack) {
    heap.resize(need);
    f = heap.data();
  }
  size_t hl;
  f[0] = char(0x80 | op);
  if (n < 126) {
    f[1] = char(0x80 | n);
    hl = 2;
  } else if (n < 65536) {
    f[1] = char(0x80 | 126);
    f[2] = char(n >> 8);
    f[3] = char(n);
    hl = 4;
  } else {
    f[1] = char(0x80 | 127);
    for (int i = 0; i < 8; i++) f[2 + i] = char(uint64_t(n) >> (56 - 8 * i));
    hl = 10;
  }
  uint32_t key = uint32_t(rng.next() >> 16);
  uint8_t mk[4];
  memcpy(mk, &key, 4);
  memcpy(f + hl, mk, 4);
  char* dst = f + hl + 4;
  for (size_t i = 0; i < n; i++) dst[i] = char(uint8_t(p[i]) ^ mk[i & 3]);
  return write_raw(c, f, hl + 4 + n);
}

void Worker::on_tcp_connected(Conn* c) {
  int err = 0;
  socklen_t len = sizeof err;
  if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0) err = errno;
  if (err) {
    fail(c, std::string("connect: ") + strerror(err));
    return;
  }
  uint8_t raw[16];
  uint64_t a = rng.next(), b = rng.next();
  memcpy(raw, &a, 8);
  memcpy(raw + 8, &b, 8);
  std::string key = base64(raw, 16);
  std::string k2 = key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
  uint8_t dig[20];
  sha1(reinterpret_cast<const uint8_t*>(k2.data()), k2.size(), dig);
  c->accept = base64(dig, 20);
  char req[512];
  int n = snprintf(req, sizeof req,
                   "GET %s?EIO=4&transport=websocket HTTP/1.1\r\nHost: %s:%d\r\nUpgrade: websocket\r\n"
                   "Connection: Upgrade\r\nSec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n\r\n",
                   cfg.path.c_str(), cfg.host.c_str(), cfg.port, key.c_str());
  c->state = CS_HTTP;
  set_out(c, false);
  write_raw(c, req, size_t(n));
}

static const char* find_ci(const char* h, size_t hn, const char* needle) {
  size_t nn = strlen(needle);
  for (size_t i = 0; i + nn <= hn; i++)
    if (strncasecmp(h + i, needle, nn) == 0) return h + i;
  return nullptr;
}

void Worker::on_readable(Conn* c) {
  for (;;) {
    size_t L = c->in.size();
    if (L >= cap) {
      closed(c, "frame larger than the receive buffer");
      return;
    }
    if (L) memcpy(buf.get(), c->in.data(), L);
    c->in.clear();
    ssize_t r = recv(c->fd, buf.get() + L, cap - L, 0);
    if (r <= 0) {
      if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
        if (L) c->in.assign(buf.get(), L);
        return;
      }
      closed(c, r == 0 ? "closed by server" : std::string("read: ") + strerror(errno));
      return;
    }
    uint64_t now = now_us();
    process(c, buf.get(), L + size_t(r), now);
    if (c->fd < 0 || size_t(r) < cap - L) return;  // drained (level-triggered epoll re-arms otherwise)
  }
}

void Worker::process(Conn* c, const char* d, size_t n, uint64_t now) {
  size_t off = 0;
  if (c->state == CS_HTTP) {
    const char* e = static_cast<const char*>(memmem(d, n, "\r\n\r\n", 4));
    if (!e) {
      if (n > 16384) fail(c, "handshake: response too long");
      else c->in.assign(d, n);
      return;
    }
    size_t hlen = size_t(e - d);
    if (hlen < 12 || (memcmp(d, "HTTP/1.1 101", 12) != 0 && memcmp(d, "HTTP/1.0 101", 12) != 0)) {
      const char* eol = static_cast<const char*>(memchr(d, '\r', hlen));
      std::string line(d, eol ? size_t(eol - d) : std::min<size_t>(hlen, 60));
      fail(c, "handshake: " + line.substr(0, 60));
      return;
    }
    const char* h = find_ci(d, hlen, "\r\nsec-websocket-accept:");
    bool ok = false;
    if (h) {
      h += 23;
      while (h < e && (*h == ' ' || *h == '\t')) h++;
      const char* v = h;
      while (h < e && *h != '\r' && *h != ' ' && *h != '\t') h++;
      ok = std::string_view(v, size_t(h - v)) == c->accept;
    }
    if (!ok) {
      fail(c, "handshake: bad Sec-WebSocket-Accept");
      return;
    }
    c->state = CS_EIO;
    off = hlen + 4;
  }
  while (n - off >= 2) {
    uint8_t b0 = uint8_t(d[off]), b1 = uint8_t(d[off + 1]);
    uint64_t len = b1 & 0x7f;
    size_t hl = 2;
    if (len == 126) {
      if (n - off < 4) break;
      len = uint64_t(uint8_t(d[off + 2])) << 8 | uint8_t(d[off + 3]);
      hl = 4;
    } else if (len == 127) {
      if (n - off < 10) break;
      len = 0;
      for (int i = 0; i < 8; i++) len = len << 8 | uint8_t(d[off + 2 + i]);
      hl = 10;
    }
    if (b1 & 0x80) {
      closed(c, "protocol: masked frame from server");
      return;
    }
    if (len > (1ull << 30)) {
      closed(c, "protocol: absurd frame length");
      return;
    }
    if (n - off < hl + len) break;
    const char* p = d + off + hl;
    off += hl + size_t(len);
    uint8_t op = b0 & 0x0f;
    bool fin = b0 & 0x80;
    switch (op) {
      case 0x1:
      case 0x2:
        if (fin) on_message(c, p, size_t(len), now);
        else {
          c->in_frag = true;
          c->frag.assign(p, size_t(len));
        }
        break;
      case 0x0:
        if (!c->in_frag) {
          closed(c, "protocol: stray continuation frame");
          return;
        }
        c->frag.append(p, size_t(len));
        if (fin) {
          c->in_frag = false;
          std::string whole;
          whole.swap(c->frag);
          on_message(c, whole.data(), whole.size(), now);
        }
        break;
      case 0x8:
        send_frame(c, 0x8, p, std::min<size_t>(size_t(len), 2));
        closed(c, "server sent websocket close");
        return;
      case 0x9:
        send_frame(c, 0xA, p, size_t(len));
        break;
      default:
        break;
    }
    if (c->fd < 0) return;
  }
  if (off < n) c->in.assign(d + off, n - off);
}

void Worker::on_message(Conn* c, const char* p, size_t n, uint64_t now) {
  if (n == 0) {
    recv_other++;
    return;
  }
  switch (p[0]) {
    case '4':
      if (n >= 2) {
        if (p[1] == '2') {
          on_event(c, p, n, now);
          return;
        }
        if (p[1] == '0') {
          if (c->state == CS_JOIN) {
            c->state = CS_CONNECTED;
            inflight--;
            conn_time.record(now - c->t_start);
            if (!first_connected) first_connected = now;
            last_connected = now;
            pub.last_connected.store(now, std::memory_order_relaxed);
            bump(pub.connected);
          }
          return;
        }
        if (p[1] == '4') {
          fail(c, "connect_error " + std::string(p + 2, std::min<size_t>(n - 2, 60)));
          return;
        }
        if (p[1] == '1') {
          note_error("server sent socket.io disconnect");
          return;
        }
      }
      recv_other++;
      return;
    case '2':
      pings++;
      send_frame(c, 0x1, "3", 1);
      return;
    case '0':
      if (c->state == CS_EIO) {
        c->state = CS_JOIN;
        send_frame(c, 0x1, "40", 2);
      }
      return;
    case '1':
      note_error("server sent engine.io close");
      return;
    case '6':
      return;
    default:
      recv_other++;
  }
}

static inline bool parse_u64(const char*& q, const char* end, uint64_t& v) {
  const char* s = q;
  uint64_t x = 0;
  while (q < end && unsigned(*q - '0') < 10) x = x * 10 + uint64_t(*q++ - '0');
  v = x;
  return q != s;
}

// Hot path: a broadcast delivery. No JSON parsing: locate "text", then read
// the fields the sender wrote at its start.
void Worker::on_event(Conn* c, const char* p, size_t n, uint64_t now) {
  static constexpr char pre[] = "42[\"chat message\",";
  const char* end = p + n;
  if (n < sizeof pre - 1 || memcmp(p, pre, sizeof pre - 1) != 0) {
    if (!memmem(p, n, "\"chat message\"", 14)) {
      recv_other++;
      return;
    }
  }
  const size_t skip = n > 16 ? 16 : 0;
  const char* k = static_cast<const char*>(memmem(p + skip, n - skip, "\"text\"", 6));
  if (!k) {
    recv_other++;
    return;
  }
  const char* q = k + 6;
  while (q < end && (*q == ' ' || *q == '\t' || *q == '\n' || *q == '\r')) q++;
  if (q >= end || *q != ':') {
    recv_other++;
    return;
  }
  q++;
  while (q < end && (*q == ' ' || *q == '\t' || *q == '\n' || *q == '\r')) q++;
  if (q >= end || *q != '"') {
    recv_other++;
    return;
  }
  const char* text = ++q;
  uint64_t ts, seq, snd_id;
  if (end - q < 16 || q[0] != 't' || q[1] != '=') {
    recv_other++;
    return;
  }
  q += 2;
  if (!parse_u64(q, end, ts) || end - q < 3 || q[0] != ' ' || q[1] != 's' || q[2] != '=') {
    recv_other++;
    return;
  }
  q += 3;
  if (!parse_u64(q, end, seq) || end - q < 3 || q[0] != ' ' || q[1] != 'c' || q[2] != '=') {
    recv_other++;
    return;
  }
  q += 3;
  if (!parse_u64(q, end, snd_id) || end - q < 4 || q[0] != ' ' || q[1] != 'p' || q[2] != '=') {
    recv_other++;
    return;
  }
  char phase = q[3];
  // text must come back unchanged: same length, closing quote where expected
  if (end - text <= cfg.text_bytes || text[cfg.text_bytes] != '"') text_bad++;
  if (now >= m_start && now < m_end) recv_window++;
  uint64_t lat_us = now > ts ? now - ts : 0;
  if (phase == 'm') {
    bump(pub.recv_m);
    c->recv_m++;
    lat.record(lat_us);
  } else {
    recv_warm++;
  }
  if (c->last_seq && snd_id < uint64_t(cfg.senders)) {
    uint32_t& ls = c->last_seq[snd_id];
    if (seq <= ls) dup_or_reorder++;
    else ls = uint32_t(seq);
  }
  if (now >= t0) {
    uint64_t sec = (now - t0) / 1000000;
    if (sec < tl_count.size()) {
      tl_count[sec]++;
      if (lat_us > tl_latmax[sec]) tl_latmax[sec] = lat_us;
    }
  }
}

void Worker::pump_connects(uint64_t now) {
  if (next_start < conns.size()) {
    uint64_t due = uint64_t(double(now - g.connect_t0) * rate_share / 1e6) + 1;
    while (next_start < conns.size() && next_start < due && inflight < max_pending) start_conn(conns[next_start++], now);
  }
  if (!connect_done && next_start == conns.size() && inflight == 0) connect_done = true;
}

void Worker::scan_timeouts(uint64_t now) {
  if (now - last_timeout_scan < 100000) return;
  last_timeout_scan = now;
  uint64_t lim = uint64_t(cfg.connect_timeout * 1e6);
  for (Conn* c : conns)
    if (c->state >= CS_TCP && c->state <= CS_JOIN && now - c->t_start > lim) fail(c, "connect timeout");
}

uint64_t Worker::do_sends(uint64_t now) {
  uint64_t next = UINT64_MAX;
  bool all_done = true;
  char text[4096];
  char msg[8192];
  for (Snd& s : snd) {
    if (s.done) continue;
    for (;;) {
      uint64_t sched = t0 + uint64_t((double(s.k) + s.phase) * interval_us);
      if (sched >= m_end) {
        s.done = true;
        break;
      }
      if (sched > now) {
        next = std::min(next, sched);
        break;
      }
      bool measured = sched >= m_start;
      s.k++;
      if (s.c->state != CS_CONNECTED || s.c->fd < 0) {
        send_failed++;
        continue;
      }
      uint64_t t = now_us();
      int tl = snprintf(text, sizeof text, "t=%llu s=%llu c=%u p=%c ", (unsigned long long)t, (unsigned long long)s.k,
                        s.c->gid, measured ? 'm' : 'w');
      if (tl < cfg.text_bytes) {
        memset(text + tl, 'x', size_t(cfg.text_bytes - tl));
        tl = cfg.text_bytes;
      }
      size_t ml = head.size();
      memcpy(msg, head.data(), ml);
      memcpy(msg + ml, text, size_t(tl));
      ml += size_t(tl);
      ml += size_t(snprintf(msg + ml, sizeof msg - ml, "\",\"ts\":%llu}]", (unsigned long long)realtime_ms()));
      if (!send_frame(s.c, 0x1, msg, ml)) {
        send_failed++;
        continue;
      }
      if (measured) {
        bump(pub.sent_m);
        lag.record(t > sched ? t - sched : 0);
      } else {
        sent_warm++;
      }
      now = t;
    }
    if (!s.done) all_done = false;
  }
  if (all_done) g.sender_done.store(true, std::memory_order_release);
  return all_done ? UINT64_MAX : next;
}

void Worker::run() {
  tid = pid_t(syscall(SYS_gettid));
  buf.reset(new char[cap]);

  constexpr int MAXEV = 1024;
  epoll_event evs[MAXEV];
  bool sending = false, send_finished = false;
  while (!g.stop.load(std::memory_order_relaxed)) {
    uint64_t now = now_us();
    uint64_t wait_us = 50000;
    if (!connect_done) {
      pump_connects(now);
      scan_timeouts(now);
      if (!connect_done) wait_us = 2000;
    }
    if (!have_times && g.phase.load(std::memory_order_acquire) >= PH_RUN) {
      have_times = true;
      t0 = g.t0;
      m_start = g.m_start;
      m_end = g.m_end;
      tl_count.assign(size_t(g.tl_secs), 0);
      tl_latmax.assign(size_t(g.tl_secs), 0);
      if (is_sender) sending = true;
    }
    if (sending && !send_finished) {
      uint64_t next = do_sends(now);
      if (next == UINT64_MAX) send_finished = true;
      else {
        uint64_t n2 = now_us();
        wait_us = std::min<uint64_t>(wait_us, next > n2 ? next - n2 : 0);
      }
    }
    int nev;
    if (is_sender) {
      timespec ts{time_t(wait_us / 1000000), long((wait_us % 1000000) * 1000)};
      nev = epoll_pwait2(ep, evs, MAXEV, &ts, nullptr);
    } else {
      nev = epoll_wait(ep, evs, MAXEV, int((wait_us + 999) / 1000));
    }
    if (nev < 0) {
      if (errno == EINTR) continue;
      die("epoll_wait: %s", strerror(errno));
    }
    for (int i = 0; i < nev; i++) {
      Conn* c = static_cast<Conn*>(evs[i].data.ptr);
      uint32_t e = evs[i].events;
      if (c->fd < 0) continue;
      if (c->state == CS_TCP) {
        if (e & (EPOLLOUT | EPOLLERR | EPOLLHUP)) on_tcp_connected(c);
        continue;
      }
      if (e & (EPOLLIN | EPOLLERR | EPOLLHUP | EPOLLRDHUP)) on_readable(c);
      if (c->fd >= 0 && (e & EPOLLOUT)) flush(c);
    }
    if (!connect_done) pump_connects(now_us());
  }
}

// ------------------------------------------------------------------ /proc readers
static long clk_tck() {
  static long t = sysconf(_SC_CLK_TCK);
  return t > 0 ? t : 100;
}
static bool read_file(const std::string& path, std::string& out) {
  FILE* f = fopen(path.c_str(), "re");
  if (!f) return false;
  out.clear();
  char b[8192];
  size_t r;
  while ((r = fread(b, 1, sizeof b, f)) > 0) out.append(b, r);
  fclose(f);
  return true;
}
// utime+stime of all threads of a process (or of one thread: /proc/self/task/TID/stat), seconds
static double stat_cpu_s(const std::string& path, bool& ok) {
  std::string s;
  ok = read_file(path, s);
  if (!ok) return 0;
  size_t rp = s.rfind(')');
  if (rp == std::string::npos) {
    ok = false;
    return 0;
  }
  const char* p = s.c_str() + rp + 2;
  // p is at field 3 (state); utime = field 14, stime = field 15
  unsigned long long ut = 0, st = 0;
  for (int f = 3; f < 14 && *p; f++) {
    p = strchr(p, ' ');
    if (!p) {
      ok = false;
      return 0;
    }
    p++;
  }
  if (sscanf(p, "%llu %llu", &ut, &st) != 2) {
    ok = false;
    return 0;
  }
  return double(ut + st) / double(clk_tck());
}
static bool server_cpu(double& total) {
  total = 0;
  for (int pid : cfg.server_pids) {
    bool ok;
    total += stat_cpu_s("/proc/" + std::to_string(pid) + "/stat", ok);
    if (!ok) return false;
  }
  return true;
}
static long server_rss_kib() {
  long sum = 0;
  for (int pid : cfg.server_pids) {
    std::string s;
    if (!read_file("/proc/" + std::to_string(pid) + "/status", s)) return -1;
    size_t k = s.find("VmRSS:");
    if (k != std::string::npos) sum += atol(s.c_str() + k + 6);
  }
  return sum;
}
struct CpuTicks {
  unsigned long long busy = 0, softirq = 0, total = 0;
};
static std::map<std::string, CpuTicks> proc_stat() {
  std::map<std::string, CpuTicks> out;
  std::string s;
  if (!read_file("/proc/stat", s)) return out;
  size_t pos = 0;
  while (pos < s.size()) {
    size_t e = s.find('\n', pos);
    if (e == std::string::npos) e = s.size();
    std::string line = s.substr(pos, e - pos);
    pos = e + 1;
    if (line.compare(0, 3, "cpu") != 0 || line.size() < 4 || !isdigit(uint8_t(line[3]))) continue;
    char name[32];
    unsigned long long v[10] = {0};
    int k = sscanf(line.c_str(), "%31s %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu", name, &v[0], &v[1], &v[2],
                   &v[3], &v[4], &v[5], &v[6], &v[7], &v[8], &v[9]);
    if (k < 5) continue;
    CpuTicks t;
    unsigned long long idle = v[3] + v[4];
    t.busy = v[0] + v[1] + v[2] + v[5] + v[6] + v[7];
    t.softirq = v[6];
    t.total = t.busy + idle;
    out[name] = t;
  }
  return out;
}
static std::string loadavg() {
  std::string s;
  if (!read_file("/proc/loadavg", s)) return "";
  // first three fields
  int sp = 0;
  for (size_t i = 0; i < s.size(); i++)
    if (s[i] == ' ' && ++sp == 3) return s.substr(0, i);
  return s;
}
static double self_cpu_s(double* sys = nullptr) {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  double u = double(ru.ru_utime.tv_sec) + double(ru.ru_utime.tv_usec) / 1e6;
  double s = double(ru.ru_stime.tv_sec) + double(ru.ru_stime.tv_usec) / 1e6;
  if (sys) *sys = s;
  return u + s;
}
static std::string allowed_cpus_list() {
  std::string s;
  if (!read_file("/proc/self/status", s)) return "?";
  size_t k = s.find("Cpus_allowed_list:");
  if (k == std::string::npos) return "?";
  k += 18;
  while (k < s.size() && (s[k] == ' ' || s[k] == '\t')) k++;
  size_t e = s.find('\n', k);
  return s.substr(k, e - k);
}

// ------------------------------------------------------------------ args
static const char* HELP =
    "usage: fanout-cpp [options]\n"
    "  --target HOST:PORT     server (default 127.0.0.1:3000)\n"
    "  --clients C            clients in room general (default 1000)\n"
    "  --senders S            clients that send (default 10; they receive too)\n"
    "  --rate R               total messages/s over all senders, open loop (default 200)\n"
    "  --warmup W             seconds of sending before measuring (default 3)\n"
    "  --duration D           measured seconds (default 20)\n"
    "  --drain T              max seconds after the last send to wait for late deliveries (default 5)\n"
    "  --threads N            receiver threads, each with its own epoll (default 1; senders have their own)\n"
    "  --server-pid LIST      pid[,pid...] of the server: CPU (utime+stime, all threads) over the window\n"
    "  --source-ips LIST      local source addresses, round-robin; ranges allowed (default 127.0.0.2-127.0.0.9;\n"
    "                         'none' to let the kernel choose)\n"
    "  --connect-rate R       new connections per second (default 5000; '5000/s' accepted)\n"
    "  --max-pending P        handshakes in flight (default 1000)\n"
    "  --connect-timeout S    per-connection handshake limit, seconds (default 10)\n"
    "  --text-bytes B         length of the text field (default 64)\n"
    "  --room NAME            room named in the messages (default general)\n"
    "  --path P               Engine.IO path (default /socket.io/)\n"
    "  --label TEXT           copied into the JSON\n"
    "  --quiet                no progress lines on stderr\n"
    "Prints a summary, then one JSON line (last line of stdout). Exit 0 ok, 1 failure.\n";

static double parse_num(const std::string& k, const std::string& v, double min) {
  char* e = nullptr;
  std::string s = v;
  if (s.size() > 2 && s.compare(s.size() - 2, 2, "/s") == 0) s.resize(s.size() - 2);
  double x = strtod(s.c_str(), &e);
  if (!e || *e || !std::isfinite(x) || x < min) die("bad --%s: %s", k.c_str(), v.c_str());
  return x;
}
static int parse_int(const std::string& k, const std::string& v, int min) {
  double x = parse_num(k, v, min);
  if (x != std::floor(x) || x > 1e9) die("bad --%s: %s (want an integer)", k.c_str(), v.c_str());
  return int(x);
}
static uint32_t parse_ip(const std::string& s) {
  in_addr a{};
  if (inet_pton(AF_INET, s.c_str(), &a) != 1) die("bad IPv4 address: %s", s.c_str());
  return a.s_addr;
}
static void parse_source_ips(const std::string& spec) {
  cfg.source_ips.clear();
  if (spec == "none" || spec.empty()) return;
  size_t pos = 0;
  while (pos <= spec.size()) {
    size_t e = spec.find(',', pos);
    if (e == std::string::npos) e = spec.size();
    std::string part = spec.substr(pos, e - pos);
    pos = e + 1;
    if (part.empty()) continue;
    size_t dash = part.find('-');
    if (dash != std::string::npos) {
      uint32_t lo = ntohl(parse_ip(part.substr(0, dash))), hi = ntohl(parse_ip(part.substr(dash + 1)));
      if (hi < lo || hi - lo > 4096) die("bad source ip range: %s", part.c_str());
      for (uint32_t x = lo; x <= hi; x++) cfg.source_ips.push_back(htonl(x));
    } else {
      cfg.source_ips.push_back(parse_ip(part));
    }
  }
  for (uint32_t ip : cfg.source_ips)
    if ((ntohl(ip) >> 24) != 127) die("source ip is not a loopback address (127.x): %s", spec.c_str());
}
static void parse_args(int argc, char** argv) {
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
    if (k == "target" || k == "targets") {
      if (v.find(',') != std::string::npos) die("only one target is supported: %s", v.c_str());
      target = v;
    } else if (k == "clients") cfg.clients = parse_int(k, v, 1);
    else if (k == "senders") cfg.senders = parse_int(k, v, 1);
    else if (k == "rate") cfg.rate = parse_num(k, v, 0.001);
    else if (k == "warmup") cfg.warmup = parse_num(k, v, 0);
    else if (k == "duration") cfg.duration = parse_num(k, v, 1);
    else if (k == "drain") cfg.drain = parse_num(k, v, 0);
    else if (k == "threads") cfg.threads = parse_int(k, v, 1);
    else if (k == "server-pid") {
      size_t pos = 0;
      while (pos <= v.size()) {
        size_t e = v.find(',', pos);
        if (e == std::string::npos) e = v.size();
        std::string p = v.substr(pos, e - pos);
        pos = e + 1;
        if (!p.empty()) cfg.server_pids.push_back(parse_int(k, p, 1));
      }
    } else if (k == "source-ips") cfg.source_ips_spec = v;
    else if (k == "connect-rate") cfg.connect_rate = parse_num(k, v, 1);
    else if (k == "max-pending") cfg.max_pending = parse_int(k, v, 1);
    else if (k == "connect-timeout") cfg.connect_timeout = parse_num(k, v, 0.1);
    else if (k == "text-bytes") cfg.text_bytes = parse_int(k, v, 48);
    else if (k == "room") cfg.room = v;
    else if (k == "path") cfg.path = v;
    else if (k == "label") cfg.label = v;
    else die("unknown option --%s (see --help)", k.c_str());
  }
  if (cfg.text_bytes > 2048) die("--text-bytes at most 2048");
  if (cfg.senders > cfg.clients) die("--senders must be <= --clients");
  if (cfg.threads > 64) die("--threads at most 64");
  for (char ch : cfg.room)
    if (ch == '"' || ch == '\\' || uint8_t(ch) < 0x20) die("--room must not need JSON escaping");
  if (cfg.path.empty() || cfg.path.back() != '/') cfg.path += '/';
  size_t c = target.rfind(':');
  if (c == std::string::npos || c == 0) die("bad --target (want host:port): %s", target.c_str());
  cfg.host = target.substr(0, c);
  cfg.port = parse_int("target port", target.substr(c + 1), 1);
  if (cfg.port > 65535) die("bad port: %d", cfg.port);
  cfg.target.sin_family = AF_INET;
  cfg.target.sin_port = htons(uint16_t(cfg.port));
  if (inet_pton(AF_INET, cfg.host.c_str(), &cfg.target.sin_addr) != 1)
    die("--target host must be an IPv4 address: %s", cfg.host.c_str());
  parse_source_ips(cfg.source_ips_spec);
  for (int pid : cfg.server_pids)
    if (access(("/proc/" + std::to_string(pid) + "/stat").c_str(), R_OK) != 0) die("no such process: %d", pid);
}

// ------------------------------------------------------------------ JSON helpers
struct Json {
  std::string s;
  bool first = true;
  void sep() {
    if (!first) s += ',';
    first = false;
  }
  void key(const char* k) {
    sep();
    s += '"';
    s += k;
    s += "\":";
  }
  void open(const char* k) {
    if (k) key(k);
    else sep();
    s += '{';
    first = true;
  }
  void close() {
    s += '}';
    first = false;
  }
  void num(const char* k, double v, int dec = 3) {
    key(k);
    if (!std::isfinite(v)) {
      s += "null";
      return;
    }
    char b[64];
    if (dec == 0) snprintf(b, sizeof b, "%.0f", v);
    else {
      snprintf(b, sizeof b, "%.*f", dec, v);
      // trim trailing zeros
      char* d = strchr(b, '.');
      if (d) {
        char* e = b + strlen(b) - 1;
        while (e > d && *e == '0') *e-- = 0;
        if (e == d) *e = 0;
      }
    }
    s += b;
  }
  void integer(const char* k, long long v) {
    key(k);
    s += std::to_string(v);
  }
  void boolean(const char* k, bool v) {
    key(k);
    s += v ? "true" : "false";
  }
  void null(const char* k) {
    key(k);
    s += "null";
  }
  static std::string esc(const std::string& x) {
    std::string o;
    for (char ch : x) {
      if (ch == '"' || ch == '\\') {
        o += '\\';
        o += ch;
      } else if (uint8_t(ch) < 0x20) {
        char b[8];
        snprintf(b, sizeof b, "\\u%04x", ch);
        o += b;
      } else o += ch;
    }
    return o;
  }
  void str(const char* k, const std::string& v) {
    key(k);
    s += '"' + esc(v) + '"';
  }
  void raw(const char* k, const std::string& v) {
    key(k);
    s += v;
  }
};

static std::string fmt_int(double v) {
  if (!std::isfinite(v)) return "n/a";
  long long x = llround(v);
  std::string d = std::to_string(x < 0 ? -x : x), o;
  int n = 0;
  for (int i = int(d.size()) - 1; i >= 0; i--) {
    o.insert(o.begin(), d[size_t(i)]);
    if (++n % 3 == 0 && i > 0) o.insert(o.begin(), ',');
  }
  return (x < 0 ? "-" : "") + o;
}
static std::string fmt(double v, int d = 1) {
  if (!std::isfinite(v)) return "n/a";
  char b[64];
  snprintf(b, sizeof b, "%.*f", d, v);
  return b;
}

// ------------------------------------------------------------------ main
int main(int argc, char** argv) {
  parse_args(argc, argv);
  signal(SIGPIPE, SIG_IGN);
  signal(SIGALRM, on_deadline);
  signal(SIGINT, on_term);
  signal(SIGTERM, on_term);

  const int C = cfg.clients, S = cfg.senders;
  // open files: one per client, one epoll per thread, a few for /proc and stdio
  rlimit rl{};
  getrlimit(RLIMIT_NOFILE, &rl);
  rlim_t want = rl.rlim_max;
  rl.rlim_cur = want;
  if (setrlimit(RLIMIT_NOFILE, &rl) != 0) die("setrlimit(RLIMIT_NOFILE): %s", strerror(errno));
  long need = long(C) + cfg.threads + 1 + 32;
  if (want != RLIM_INFINITY && need > long(want))
    die("%d clients need about %ld open files but the hard limit (ulimit -Hn) is %llu; use fewer clients "
        "(at most %ld) or several load generator processes",
        C, need, (unsigned long long)want, long(want) - (need - C));

  // Hard bound on the whole run.
  double connect_bound_s = double(C) / cfg.connect_rate + cfg.connect_timeout + 10;
  double run_bound_s = connect_bound_s + 1.2 + cfg.warmup + cfg.duration + cfg.drain + 20;
  alarm(unsigned(std::ceil(run_bound_s)));

  cpu_set_t cs;
  int cpus_allowed = 1;
  if (sched_getaffinity(0, sizeof cs, &cs) == 0) cpus_allowed = std::max(1, CPU_COUNT(&cs));
  std::string load_start = loadavg();

  // ---- layout: worker 0 holds the senders (gids 0..S-1), receivers get the rest round-robin
  const int T = cfg.threads;
  for (int i = 0; i <= T; i++) {
    auto w = std::make_unique<Worker>();
    w->id = i;
    w->is_sender = i == 0;
    w->ep = epoll_create1(EPOLL_CLOEXEC);
    if (w->ep < 0) die("epoll_create1: %s", strerror(errno));
    workers.push_back(std::move(w));
  }
  std::vector<std::unique_ptr<Conn>> all(static_cast<size_t>(C));
  for (int gid = 0; gid < C; gid++) {
    all[size_t(gid)] = std::make_unique<Conn>();
    Conn* c = all[size_t(gid)].get();
    c->gid = uint32_t(gid);
    Worker* w = gid < S ? workers[0].get() : workers[size_t(1 + (gid - S) % T)].get();
    w->conns.push_back(c);
  }
  const bool seq_check = S <= 4096;
  for (auto& w : workers) {
    if (seq_check) {
      w->seq_store.assign(w->conns.size() * size_t(S), 0);
      for (size_t i = 0; i < w->conns.size(); i++) w->conns[i]->last_seq = w->seq_store.data() + i * size_t(S);
    }
    double share = double(w->conns.size()) / C;
    w->rate_share = std::max(1e-3, cfg.connect_rate * share);
    w->max_pending = std::max(1, int(std::ceil(cfg.max_pending * share)));
    if (w->conns.empty()) w->connect_done = true;
  }
  {
    Worker& s = *workers[0];
    s.interval_us = 1e6 * S / cfg.rate;
    s.head = "42[\"chat message\",{\"room\":\"" + cfg.room + "\",\"text\":\"";
    for (Conn* c : s.conns) s.snd.push_back({c, 0, double(c->gid) / S, false});
  }
  g.tl_secs = int(std::ceil(cfg.warmup + cfg.duration + cfg.drain)) + 30;

  logf("fanout: %d clients (%d senders on their own thread, %d receiver thread(s)), target %s:%d, %zu source IP(s), "
       "CPUs allowed %s",
       C, S, T, cfg.host.c_str(), cfg.port, cfg.source_ips.size(), allowed_cpus_list().c_str());

  // ---- connect phase
  double srv_cpu_before = 0;
  if (!cfg.server_pids.empty() && !server_cpu(srv_cpu_before)) die("server process vanished");
  double lg_cpu_c0 = self_cpu_s();
  g.connect_t0 = now_us();
  g.phase.store(PH_CONNECT, std::memory_order_release);
  for (auto& w : workers) {
    Worker* wp = w.get();
    wp->th = std::thread([wp] { wp->run(); });
  }
  auto sum_pub = [](auto field) {
    uint64_t s = 0;
    for (auto& w : workers) s += (w->pub.*field).load(std::memory_order_relaxed);
    return s;
  };
  uint64_t connect_deadline = g.connect_t0 + uint64_t(connect_bound_s * 1e6);
  uint64_t last_log = now_us();
  uint64_t connected = 0, failed = 0;
  for (;;) {
    connected = sum_pub(&Pub::connected);
    failed = sum_pub(&Pub::failed);
    if (connected + failed >= uint64_t(C)) break;
    uint64_t n = now_us();
    if (n >= connect_deadline) break;
    if (n - last_log > 2000000) {
      last_log = n;
      logf("connecting: %llu connected, %llu failed of %d", (unsigned long long)connected, (unsigned long long)failed, C);
    }
    usleep(5000);
  }
  double connect_s = double(now_us() - g.connect_t0) / 1e6;
  double lg_cpu_c1 = self_cpu_s();
  logf("connected %llu/%d (%llu failed) in %.2f s", (unsigned long long)connected, C, (unsigned long long)failed,
       connect_s);

  auto stop_workers = [&]() {
    g.stop.store(true);
    for (auto& w : workers)
      if (w->th.joinable()) w->th.join();
  };
  auto merged_errors = [&]() {
    std::map<std::string, uint64_t> e;
    for (auto& w : workers)
      for (auto& [k, v] : w->errors) e[k] += v;
    return e;
  };
  auto errors_json = [&](const std::map<std::string, uint64_t>& e) {
    Json j;
    j.open(nullptr);
    for (auto& [k, v] : e) j.integer(Json::esc(k).c_str(), (long long)v);
    j.close();
    return j.s;
  };

  if (connected < uint64_t(C)) {
    stop_workers();
    auto e = merged_errors();
    printf("\n== fanout (fanout-cpp) ==\n  connect        %s/%s connected, %llu failed, gave up after %.2f s\n",
           fmt_int(double(connected)).c_str(), fmt_int(C).c_str(), (unsigned long long)failed, connect_s);
    printf("  errors         %s\n  status         NOT OK: not every client connected; nothing sent\n\n",
           errors_json(e).c_str());
    Json j;
    j.open(nullptr);
    j.boolean("ok", false);
    j.str("scenario", "fanout");
    j.str("tool", "fanout-cpp");
    j.integer("clients", C);
    j.open("connect");
    j.integer("connected", (long long)connected);
    j.integer("failed", (long long)failed);
    j.num("seconds", connect_s, 3);
    j.raw("errors", errors_json(e));
    j.close();
    j.str("error", "only " + std::to_string(connected) + " of " + std::to_string(C) + " clients connected");
    j.close();
    printf("%s\n", j.s.c_str());
    fflush(stdout);
    _exit(1);
  }
  double connect_span_s = 0;
  {
    uint64_t lc = 0;
    for (auto& w : workers) lc = std::max(lc, w->pub.last_connected.load());
    connect_span_s = lc > g.connect_t0 ? double(lc - g.connect_t0) / 1e6 : connect_s;
  }

  // ---- fan-out
  usleep(1000000);  // settle after the connect burst
  const double W = cfg.warmup, D = cfg.duration;
  g.t0 = now_us() + 200000;
  g.m_start = g.t0 + uint64_t(W * 1e6);
  g.m_end = g.m_start + uint64_t(D * 1e6);
  g.phase.store(PH_RUN, std::memory_order_release);
  logf("sending %g msg/s from %d senders to %d clients: warm-up %g s, measure %g s", cfg.rate, S, C, W, D);

  struct Sample {
    bool srv_ok = true;
    double srv = 0, lg = 0, lg_sys = 0;
    std::map<std::string, CpuTicks> stat;
    std::vector<double> thr;
  };
  auto sample = [&]() {
    Sample s;
    if (!cfg.server_pids.empty()) s.srv_ok = server_cpu(s.srv);
    s.lg = self_cpu_s(&s.lg_sys);
    s.stat = proc_stat();
    for (auto& w : workers) {
      bool ok;
      s.thr.push_back(stat_cpu_s("/proc/self/task/" + std::to_string(w->tid.load()) + "/stat", ok));
    }
    return s;
  };
  sleep_until_us(g.m_start);
  Sample A = sample();
  uint64_t next_log = g.m_start + 5000000;
  while (now_us() + 1000 < g.m_end) {
    uint64_t n = now_us();
    if (n >= next_log && n + 500000 < g.m_end) {
      next_log += 5000000;
      logf("t+%.0f s: sent %s, received %s, disconnects %llu", double(n - g.m_start) / 1e6,
           fmt_int(double(sum_pub(&Pub::sent_m))).c_str(), fmt_int(double(sum_pub(&Pub::recv_m))).c_str(),
           (unsigned long long)sum_pub(&Pub::disc));
    }
    sleep_until_us(std::min(g.m_end, n + 200000));
  }
  sleep_until_us(g.m_end);
  Sample B = sample();

  // ---- drain: wait for late deliveries (bounded)
  uint64_t drain_end = g.m_end + uint64_t(cfg.drain * 1e6);
  for (;;) {
    bool sdone = g.sender_done.load(std::memory_order_acquire);
    uint64_t sent = sum_pub(&Pub::sent_m), recv = sum_pub(&Pub::recv_m);
    if (sdone && recv >= sent * uint64_t(C)) break;
    if (now_us() >= drain_end) break;
    usleep(10000);
  }
  double drain_s = double(now_us() - g.m_end) / 1e6;
  std::string load_end = loadavg();
  long rss = cfg.server_pids.empty() ? -1 : server_rss_kib();
  stop_workers();

  // ---- aggregate
  Hist lat, lag, ct;
  uint64_t sent_m = 0, sent_w = 0, send_failed = 0, recv_m = 0, recv_w = 0, recv_window = 0, recv_other = 0,
           pings = 0, disc = 0, dups = 0, text_bad = 0;
  std::vector<uint64_t> tl(size_t(g.tl_secs), 0), tlmax(size_t(g.tl_secs), 0);
  for (auto& w : workers) {
    lat.merge(w->lat);
    lag.merge(w->lag);
    ct.merge(w->conn_time);
    sent_m += w->pub.sent_m.load();
    sent_w += w->sent_warm;
    send_failed += w->send_failed;
    recv_m += w->pub.recv_m.load();
    recv_w += w->recv_warm;
    recv_window += w->recv_window;
    recv_other += w->recv_other;
    pings += w->pings;
    disc += w->pub.disc.load();
    dups += w->dup_or_reorder;
    text_bad += w->text_bad;
    for (size_t i = 0; i < w->tl_count.size() && i < tl.size(); i++) {
      tl[i] += w->tl_count[i];
      tlmax[i] = std::max(tlmax[i], w->tl_latmax[i]);
    }
  }
  uint64_t pc_min = UINT64_MAX, pc_max = 0, open_at_end = 0;
  for (auto& c : all) {
    if (c->state == CS_CONNECTED) open_at_end++;
    if (c->state != CS_CONNECTED && c->state != CS_CLOSED) continue;
    pc_min = std::min(pc_min, c->recv_m);
    pc_max = std::max(pc_max, c->recv_m);
  }
  if (pc_min == UINT64_MAX) pc_min = 0;
  auto errors = merged_errors();
  const uint64_t expected = sent_m * uint64_t(C);
  const long long lost = (long long)expected - (long long)recv_m;
  const double deliveries_per_s = double(recv_window) / D;
  const double lg_cpu = B.lg - A.lg, lg_sys = B.lg_sys - A.lg_sys;
  const double lg_pct = 100.0 * lg_cpu / D;
  const double lg_pct_allowed = lg_pct / cpus_allowed;
  bool ok = true;
  std::string error;
  double srv_cpu = NAN;
  if (!cfg.server_pids.empty()) {
    if (A.srv_ok && B.srv_ok) srv_cpu = B.srv - A.srv;
    else {
      ok = false;
      error = "server process vanished";
    }
  }
  // CPU used by other processes on the machine during the window
  double machine_busy_s = 0;
  std::vector<std::pair<std::string, std::pair<double, double>>> machine;
  for (auto& [k, b] : B.stat) {
    auto it = A.stat.find(k);
    if (it == A.stat.end()) continue;
    const CpuTicks& a = it->second;
    machine_busy_s += double(b.busy - a.busy) / double(clk_tck());
    double dt = double(b.total - a.total);
    if (dt > 0)
      machine.push_back({k, {100.0 * double(b.busy - a.busy) / dt, 100.0 * double(b.softirq - a.softirq) / dt}});
  }
  double other_pct = NAN;
  if (std::isfinite(srv_cpu)) other_pct = std::max(0.0, 100.0 * (machine_busy_s - srv_cpu - lg_cpu) / D);
  std::vector<double> thr_pct;
  for (size_t i = 0; i < workers.size() && i < A.thr.size() && i < B.thr.size(); i++)
    thr_pct.push_back(100.0 * (B.thr[i] - A.thr[i]) / D);
  const double lag_p99_ms = lag.pct(99) / 1000;
  std::vector<std::string> reasons;
  if (lg_pct_allowed >= 85) reasons.push_back("loadgen CPU " + fmt(lg_pct_allowed, 0) + "% of its CPU(s)");
  if (std::isfinite(lag_p99_ms) && lag_p99_ms > 20) reasons.push_back("send lag p99 " + fmt(lag_p99_ms, 1) + " ms");
  const bool saturated = !reasons.empty();
  int last_tl = -1;
  for (int i = 0; i < int(tl.size()); i++)
    if (tl[size_t(i)]) last_tl = i;

  // ---- human summary
  auto L = [](const char* k, const std::string& v) { printf("  %-14s %s\n", k, v.c_str()); };
  printf("\n== fanout (fanout-cpp)%s%s ==\n", cfg.label.empty() ? "" : " — ", cfg.label.c_str());
  L("target", cfg.host + ":" + std::to_string(cfg.port) + "  (from " + std::to_string(cfg.source_ips.size()) +
                  " source IPs)");
  L("loadgen", std::to_string(T) + " receiver thread(s) + 1 sender thread, CPUs " + allowed_cpus_list());
  L("connect", fmt_int(double(connected)) + "/" + fmt_int(C) + " connected, " + std::to_string(failed) + " failed, " +
                   fmt(connect_span_s, 2) + " s (" + fmt_int(connected / connect_span_s) + "/s, asked " +
                   fmt_int(cfg.connect_rate) + "/s), loadgen CPU " +
                   fmt(100.0 * (lg_cpu_c1 - lg_cpu_c0) / connect_s, 0) + "%; handshake p50 " +
                   fmt(ct.pct(50) / 1000, 2) + " ms p99 " + fmt(ct.pct(99) / 1000, 2) + " ms");
  L("load", fmt_int(C) + " clients, " + std::to_string(S) + " senders, " + fmt(cfg.rate, 3) + " msg/s total, " +
                fmt(D, 1) + " s measured after " + fmt(W, 1) + " s warm-up");
  L("sent", fmt_int(double(sent_m)) + " msgs (" + fmt(double(sent_m) / D, 1) + "/s)" +
                (send_failed ? ", " + std::to_string(send_failed) + " not sent (socket closed)" : ""));
  L("deliveries", fmt_int(deliveries_per_s) + "/s  (target " + fmt_int(cfg.rate * C) + "/s)");
  L("lost", fmt_int(double(lost)) + " of " + fmt_int(double(expected)) + " (" +
                fmt(expected ? 100.0 * double(lost) / double(expected) : NAN, 4) + "%), waited " + fmt(drain_s, 2) +
                " s after the last send; per client " + std::to_string(pc_min) + ".." + std::to_string(pc_max));
  L("latency", "p50 " + fmt(lat.pct(50) / 1000, 2) + " ms  p95 " + fmt(lat.pct(95) / 1000, 2) + " ms  p99 " +
                   fmt(lat.pct(99) / 1000, 2) + " ms  max " + fmt(double(lat.max) / 1000, 2) + " ms");
  if (!cfg.server_pids.empty())
    L("server CPU", fmt(100.0 * srv_cpu / D, 1) + "% of one CPU; " +
                        fmt(recv_window ? srv_cpu * 1e6 / double(recv_window) : NAN, 3) +
                        " CPU-s per 1M deliveries; RSS " + fmt_int(double(rss)) + " KiB");
  {
    std::string m;
    for (auto& [k, v] : machine) m += k + " " + fmt(v.first, 0) + "% busy (softirq " + fmt(v.second, 0) + "%)  ";
    L("machine CPUs", m);
  }
  {
    std::string a, b;
    for (int i = 0; i <= last_tl && i < 40; i++) {
      a += std::to_string(llround(double(tl[size_t(i)]) / 1000)) + " ";
      b += std::to_string(llround(double(tlmax[size_t(i)]) / 1000)) + " ";
    }
    L("per second", "deliveries/1000: " + a);
    L("", "max latency ms: " + b);
  }
  {
    std::string t;
    for (size_t i = 0; i < thr_pct.size(); i++) t += (i == 0 ? "sender " : "recv" + std::to_string(i) + " ") + fmt(thr_pct[i], 0) + "% ";
    L("loadgen", fmt(lg_pct, 1) + "% of one CPU (" + fmt(lg_cpu > 0 ? 100 * lg_sys / lg_cpu : NAN, 0) +
                     "% in the kernel, " + fmt(recv_window ? lg_cpu * 1e6 / double(recv_window) : NAN, 2) +
                     " us per delivery; threads: " + t + "); send lag p99 " + fmt(lag_p99_ms, 2) + " ms max " +
                     fmt(double(lag.max) / 1000, 2) + " ms");
  }
  L("disconnects", std::to_string(disc) + "  (open at end " + std::to_string(open_at_end) + ")");
  if (dups || text_bad || recv_other)
    L("anomalies", std::to_string(dups) + " duplicate/reordered, " + std::to_string(text_bad) + " altered text, " +
                       std::to_string(recv_other) + " other messages");
  if (!errors.empty()) L("errors", errors_json(errors));
  if (std::isfinite(other_pct))
    L("other procs", fmt(other_pct, 1) + "% CPU" + (other_pct <= 10 ? "" : "  — MACHINE NOT QUIET, repeat this run"));
  L("loadavg", "start " + load_start + ", end " + load_end);
  {
    std::string r;
    for (auto& x : reasons) r += (r.empty() ? "" : "; ") + x;
    L("bottleneck", saturated ? "LOAD GENERATOR SATURATED (" + r + ") — figures bound the server from below"
                              : "load generator not saturated");
  }
  if (!error.empty()) L("error", error);
  L("status", ok ? "ok" : "NOT OK");
  printf("\n");

  // ---- JSON (last line)
  Json j;
  j.open(nullptr);
  j.boolean("ok", ok);
  j.str("scenario", "fanout");
  j.str("tool", "fanout-cpp");
  if (!cfg.label.empty()) j.str("label", cfg.label);
  j.str("target", cfg.host + ":" + std::to_string(cfg.port));
  j.integer("clients", C);
  j.integer("senders", S);
  j.num("rate_msgs_per_s", cfg.rate, 3);
  j.num("duration_s", D, 3);
  j.num("warmup_s", W, 3);
  j.integer("text_bytes", cfg.text_bytes);
  j.integer("sent", (long long)sent_m);
  j.num("sent_per_s", double(sent_m) / D, 1);
  j.integer("send_failed", (long long)send_failed);
  j.integer("expected_deliveries", (long long)expected);
  j.integer("delivered", (long long)recv_m);
  j.integer("lost", lost);
  j.num("lost_pct", expected ? 100.0 * double(lost) / double(expected) : NAN, 4);
  j.integer("per_client_received_min", (long long)pc_min);
  j.integer("per_client_received_max", (long long)pc_max);
  j.num("deliveries_per_s", deliveries_per_s, 1);
  j.num("target_deliveries_per_s", cfg.rate * C, 1);
  j.num("drain_s", drain_s, 2);
  j.num("drain_limit_s", cfg.drain, 2);
  j.open("latency_ms");
  j.num("p50", lat.pct(50) / 1000);
  j.num("p95", lat.pct(95) / 1000);
  j.num("p99", lat.pct(99) / 1000);
  j.num("max", lat.n ? double(lat.max) / 1000 : NAN);
  j.num("mean", lat.mean() / 1000);
  j.close();
  j.open("server");
  if (!cfg.server_pids.empty()) {
    j.num("cpu_s", srv_cpu, 2);
    j.num("cpu_pct", 100.0 * srv_cpu / D, 1);
    j.num("cpu_s_per_1m_deliveries", recv_window ? srv_cpu * 1e6 / double(recv_window) : NAN, 3);
    j.integer("rss_kib", rss);
  } else {
    j.null("cpu_pct");
    j.null("cpu_s_per_1m_deliveries");
  }
  j.close();
  j.num("loadgen_cpu_pct", lg_pct, 1);
  j.num("loadgen_cpu_pct_of_allowed", lg_pct_allowed, 1);
  j.integer("loadgen_cpus_allowed", cpus_allowed);
  j.num("loadgen_cpu_system_share_pct", lg_cpu > 0 ? 100 * lg_sys / lg_cpu : NAN, 1);
  j.num("loadgen_cpu_us_per_delivery", recv_window ? lg_cpu * 1e6 / double(recv_window) : NAN, 3);
  {
    j.open("loadgen_thread_cpu_pct");
    for (size_t i = 0; i < thr_pct.size(); i++) j.num(i == 0 ? "sender" : ("recv" + std::to_string(i)).c_str(), thr_pct[i], 1);
    j.close();
  }
  j.open("send_lag_ms");
  j.num("p99", lag_p99_ms);
  j.num("max", lag.n ? double(lag.max) / 1000 : NAN);
  j.close();
  j.boolean("loadgen_saturated", saturated);
  {
    std::string r = "[";
    for (size_t i = 0; i < reasons.size(); i++) r += (i ? ",\"" : "\"") + Json::esc(reasons[i]) + "\"";
    j.raw("loadgen_saturation_reasons", r + "]");
  }
  j.integer("disconnects", (long long)disc);
  j.integer("open_at_end", (long long)open_at_end);
  j.integer("duplicate_or_reordered", (long long)dups);
  j.integer("text_altered", (long long)text_bad);
  j.integer("other_messages", (long long)recv_other);
  j.integer("pings", (long long)pings);
  j.integer("received_warmup", (long long)recv_w);
  j.integer("sent_warmup", (long long)sent_w);
  j.raw("errors", errors_json(errors));
  j.open("connect");
  j.integer("connected", (long long)connected);
  j.integer("failed", (long long)failed);
  j.num("seconds", connect_span_s, 3);
  j.num("rate_per_s", connected / connect_span_s, 1);
  j.num("requested_rate_per_s", cfg.connect_rate, 1);
  j.num("handshake_p50_ms", ct.pct(50) / 1000);
  j.num("handshake_p99_ms", ct.pct(99) / 1000);
  j.num("loadgen_cpu_pct", 100.0 * (lg_cpu_c1 - lg_cpu_c0) / connect_s, 1);
  j.close();
  j.integer("source_ips", (long long)cfg.source_ips.size());
  j.integer("threads", T);
  j.str("cpus_allowed", allowed_cpus_list());
  {
    j.open("machine_cpu");
    for (auto& [k, v] : machine) {
      j.open(k.c_str());
      j.num("busy_pct", v.first, 1);
      j.num("softirq_pct", v.second, 1);
      j.close();
    }
    j.close();
  }
  j.num("other_processes_cpu_pct", other_pct, 1);
  if (std::isfinite(other_pct)) j.boolean("machine_quiet", other_pct <= 10);
  else j.null("machine_quiet");
  j.str("loadavg_start", load_start);
  j.str("loadavg_end", load_end);
  {
    std::string a = "[", b = "[";
    for (int i = 0; i <= last_tl; i++) {
      a += (i ? "," : "") + std::to_string(tl[size_t(i)]);
      b += (i ? "," : "") + fmt(double(tlmax[size_t(i)]) / 1000, 1);
    }
    j.open("timeline");
    j.str("note", "per second from the start of sending (warm-up included), by receive time");
    j.raw("deliveries", a + "]");
    j.raw("max_latency_ms", b + "]");
    j.close();
  }
  if (!error.empty()) j.str("error", error);
  j.close();
  printf("%s\n", j.s.c_str());
  fflush(stdout);
  // sockets are closed by the kernel on exit
  _exit(ok ? 0 : 1);
}

// Worker: one thread with its own epoll and its share of the clients. It connects them
// (TCP, WebSocket upgrade, Engine.IO open, Socket.IO connect), answers pings, reads every
// frame, and counts what it receives; worker 0 also sends (the open-loop schedule).
// Everything a worker counts is its own (no locks); the main thread polls the few atomics
// in Pub while the run goes on and reads the rest after joining the thread.
//
// Files: worker.cpp (connection lifecycle and the event loop), worker_io.cpp (socket writes,
// reads, WebSocket frames), worker_packets.cpp (Engine.IO / Socket.IO packets),
// send_schedule.cpp (the senders' open-loop schedule), fanout_traffic.cpp (the fanout
// scenario's messages: what the sender writes, what a delivery is checked for),
// worker_sign_in.cpp and chat_traffic.cpp (the chat scenario: HTTP sign-in, ready, room:join,
// message:send with acks, "message" deliveries).
#pragma once

#include <sys/types.h>

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "chat_conn.hpp"
#include "config.hpp"
#include "rng.hpp"
#include "stats.hpp"

// What the main thread tells the workers about the run's phases (and the sender tells back).
enum Phase : int { PH_INIT = 0, PH_CONNECT = 1, PH_RUN = 2 };
struct RunControl {
  std::atomic<int> phase{PH_INIT};
  std::atomic<bool> stop{false};
  std::atomic<bool> sender_done{false};
  uint64_t connect_t0 = 0;  // written before phase CONNECT
  uint64_t t0 = 0, m_start = UINT64_MAX, m_end = UINT64_MAX;  // written before phase RUN
  int tl_secs = 0;  // length of the per-second timeline
};

// In this order: the code compares states (before CS_CONNECTED = still connecting).
enum ConnState : uint8_t {
  CS_IDLE,        // not started
  CS_SIGNIN_TCP,  // chat: connect() for the sign-in request in progress
  CS_SIGNIN,      // chat: POST /api/session sent, waiting for the answer
  CS_SIGNIN_WAIT, // chat: refused with 503 (server busy hashing), waiting to try again
  CS_TCP,         // connect() in progress
  CS_HTTP,        // upgrade request sent, waiting for 101
  CS_EIO,         // websocket open, waiting for Engine.IO open "0{...}"
  CS_JOIN,        // "40" sent, waiting for "40{...}"
  CS_READY,       // chat: connected to the namespace, waiting for the "ready" event
  CS_ROOM,        // chat: room:join sent, waiting for its ack
  CS_CONNECTED,   // in its room (fanout: general), ready for traffic
  CS_FAILED,      // failed before connecting
  CS_CLOSED,      // closed after connecting
};

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
  std::unique_ptr<ChatConn> chat;  // chat scenario only
};

struct alignas(64) Pub {  // counters the main thread polls while the run goes on
  std::atomic<uint64_t> connected{0}, failed{0}, recv_m{0}, sent_m{0}, disc{0}, started{0}, last_connected{0};
  // chat: measured messages acked ok, and those times the members of their room (deliveries
  // owed); measured messages still waiting for their ack
  std::atomic<uint64_t> acked_m{0}, owed_m{0}, awaiting_m{0};
};

inline void bump(std::atomic<uint64_t>& a, uint64_t d = 1) {  // single writer
  a.store(a.load(std::memory_order_relaxed) + d, std::memory_order_relaxed);
}

struct Worker {
  Worker(int id, bool is_sender, const Config& cfg, RunControl& control);

  const int id;
  const bool is_sender;
  const Config& cfg;
  RunControl& control;
  int ep = -1;
  std::atomic<pid_t> tid{0};
  std::vector<Conn*> conns;
  std::vector<uint32_t> seq_store;
  Pub pub;
  // connecting
  double rate_share = 1;  // connects per second for this worker
  int max_pending = 1;
  int max_sign_ins = 1;  // chat
  size_t next_start = 0;
  int inflight = 0;
  int sign_ins = 0;  // chat: connections in CS_SIGNIN_TCP..CS_SIGNIN_WAIT (part of inflight)
  std::vector<Conn*> sign_in_waiting;  // chat: in CS_SIGNIN_WAIT
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
  ChatStats chat;
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
  // worker.cpp: connection lifecycle
  void start_conn(Conn* c, uint64_t now);
  int open_socket(Conn* c);  // -1 failed (fail() done), 0 connect in progress, 1 connected
  void begin_websocket(Conn* c, uint64_t now);
  void fail(Conn* c, const std::string& why);
  void closed(Conn* c, const std::string& why);
  void on_tcp_connected(Conn* c);
  void pump_connects(uint64_t now);
  void scan_timeouts(uint64_t now);
  void take_run_times();
  // worker_io.cpp: bytes and frames
  void on_readable(Conn* c);
  void process(Conn* c, const char* d, size_t n, uint64_t now);
  bool on_frame(Conn* c, uint8_t op, bool fin, const char* p, size_t len, uint64_t now);
  bool send_frame(Conn* c, uint8_t op, const char* p, size_t n);
  bool write_raw(Conn* c, const char* p, size_t n);
  void flush(Conn* c);
  void set_out(Conn* c, bool on);
  // worker_packets.cpp: Engine.IO / Socket.IO
  void on_message(Conn* c, const char* p, size_t n, uint64_t now);
  void on_joined(Conn* c, uint64_t now);
  // fanout_traffic.cpp: the fanout scenario's messages
  void on_event(Conn* c, const char* p, size_t n, uint64_t now);
  void plan_fanout_sends();
  bool send_fanout(Conn* c, uint64_t t, uint64_t seq, bool measured);
  // worker_sign_in.cpp: chat, POST /api/session for the cookie, before the WebSocket
  void begin_sign_in(Conn* c, uint64_t now);
  void send_sign_in(Conn* c);
  void on_sign_in_response(Conn* c, const char* d, size_t n, bool eof, uint64_t now);
  void retry_sign_ins(uint64_t now);
  // chat_traffic.cpp: the chat scenario's events, acks and messages
  void on_chat_event(Conn* c, const char* p, size_t n, uint64_t now);
  void on_chat_other_event(Conn* c, const char* p, size_t n, uint64_t now);
  void on_delivery(Conn* c, const char* body, const char* end, uint64_t now);
  void check_delivery_seq(ChatConn& ch, uint64_t seq);
  void count_delivery(Conn* c, uint64_t sent_us, char phase, uint64_t now);
  void on_ack(Conn* c, const char* p, size_t n, uint64_t now);
  void send_room_join(Conn* c);
  void plan_chat_sends();
  bool send_chat(Conn* c, uint64_t t, uint64_t seq, bool measured);
  // send_schedule.cpp: the senders' open-loop schedule, for either scenario
  void plan_schedule();
  uint64_t do_sends(uint64_t now);  // returns next due time (UINT64_MAX when finished)
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
  bool (Worker::*send_one)(Conn* c, uint64_t t, uint64_t seq, bool measured) = nullptr;
  std::vector<uint64_t> room_members;  // chat: users per room index (deliveries owed per message)
};

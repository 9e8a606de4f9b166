// Worker: connecting clients, closing them, and the event loop.
#include "worker.hpp"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "clock.hpp"
#include "log.hpp"
#include "ws_handshake.hpp"

Worker::Worker(int id_, bool is_sender_, const Config& cfg_, RunControl& control_)
    : id(id_), is_sender(is_sender_), cfg(cfg_), control(control_) {
  ep = epoll_create1(EPOLL_CLOEXEC);
  if (ep < 0) die("epoll_create1: %s", strerror(errno));
}

// A client's connection begins: in the chat scenario with the sign-in (worker_sign_in.cpp),
// which then goes on to the WebSocket; in the fanout scenario with the WebSocket.
void Worker::start_conn(Conn* c, uint64_t now) {
  inflight++;
  bump(pub.started);
  if (c->chat) begin_sign_in(c, now);
  else begin_websocket(c, now);
}

void Worker::begin_websocket(Conn* c, uint64_t now) {
  c->t_start = now;
  c->state = CS_TCP;
  if (open_socket(c) == 1) on_tcp_connected(c);
}

// A non-blocking TCP connection to the client's target (cfg.target_for: with several targets,
// target gid mod n) from the client's source address, in epoll.
int Worker::open_socket(Conn* c) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    fail(c, std::string("socket: ") + strerror(errno));
    return -1;
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
      return -1;
    }
  }
  const sockaddr_in& to = cfg.target_for(c->gid).addr;
  int r = connect(fd, reinterpret_cast<const sockaddr*>(&to), sizeof to);
  if (r != 0 && errno != EINPROGRESS) {
    fail(c, std::string("connect: ") + strerror(errno));
    return -1;
  }
  epoll_event ev{};
  ev.events = EPOLLIN | EPOLLOUT | EPOLLET;
  ev.data.ptr = c;
  c->want_out = true;
  if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) != 0) {
    fail(c, std::string("epoll_ctl: ") + strerror(errno));
    return -1;
  }
  return r == 0 ? 1 : 0;
}

void Worker::fail(Conn* c, const std::string& why) {
  if (c->state == CS_FAILED || c->state >= CS_CONNECTED) return;
  if (c->state >= CS_SIGNIN_TCP && c->state <= CS_SIGNIN_WAIT) {
    sign_ins--;
    chat.sign_in_failed++;
  }
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

void Worker::on_tcp_connected(Conn* c) {
  int err = 0;
  socklen_t len = sizeof err;
  if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0) err = errno;
  if (err) {
    fail(c, std::string(c->state == CS_SIGNIN_TCP ? "sign-in connect: " : "connect: ") + strerror(err));
    return;
  }
  if (c->state == CS_SIGNIN_TCP) {
    send_sign_in(c);
    return;
  }
  WsKey key = make_ws_key(rng);
  c->accept = key.accept;
  const Target& t = cfg.target_for(c->gid);
  std::string req = upgrade_request(cfg.path, t.host, t.port, key.key, c->chat ? c->chat->cookie : std::string());
  c->state = CS_HTTP;
  set_out(c, false);
  write_raw(c, req.data(), req.size());
}

// New connections at the worker's share of --connect-rate, at most max_pending in flight
// (chat: of them at most max_sign_ins signing in, since the server hashes passwords slowly).
void Worker::pump_connects(uint64_t now) {
  if (!sign_in_waiting.empty()) retry_sign_ins(now);
  if (next_start < conns.size()) {
    uint64_t due = uint64_t(double(now - control.connect_t0) * rate_share / 1e6) + 1;
    while (next_start < conns.size() && next_start < due && inflight < max_pending &&
           (!cfg.chat() || sign_ins < max_sign_ins))
      start_conn(conns[next_start++], now);
  }
  if (!connect_done && next_start == conns.size() && inflight == 0) connect_done = true;
}

void Worker::scan_timeouts(uint64_t now) {
  if (now - last_timeout_scan < 100000) return;
  last_timeout_scan = now;
  uint64_t lim = uint64_t(cfg.connect_timeout * 1e6), sign_in_lim = uint64_t(cfg.sign_in_timeout * 1e6);
  for (Conn* c : conns) {
    if (c->state >= CS_TCP && c->state < CS_CONNECTED && now - c->t_start > lim)
      fail(c, c->state == CS_READY ? "timeout waiting for ready"
              : c->state == CS_ROOM ? "timeout waiting for the room:join ack"
                                    : "connect timeout");
    else if (c->state >= CS_SIGNIN_TCP && c->state <= CS_SIGNIN_WAIT && now - c->chat->sign_in_start > sign_in_lim)
      fail(c, "sign-in timeout");
  }
}

// The schedule of the sending phase, copied once the main thread has published it.
void Worker::take_run_times() {
  have_times = true;
  t0 = control.t0;
  m_start = control.m_start;
  m_end = control.m_end;
  tl_count.assign(size_t(control.tl_secs), 0);
  tl_latmax.assign(size_t(control.tl_secs), 0);
  chat.tl_acked.assign(size_t(control.tl_secs), 0);
}

void Worker::run() {
  tid = pid_t(syscall(SYS_gettid));
  buf.reset(new char[cap]);

  constexpr int MAXEV = 1024;
  epoll_event evs[MAXEV];
  bool sending = false, send_finished = false;
  while (!control.stop.load(std::memory_order_relaxed)) {
    uint64_t now = now_us();
    uint64_t wait_us = 50000;
    if (!connect_done) {
      pump_connects(now);
      scan_timeouts(now);
      if (!connect_done) wait_us = 2000;
    }
    if (!have_times && control.phase.load(std::memory_order_acquire) >= PH_RUN) {
      take_run_times();
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
    if (is_sender) {  // the sender's schedule wants better than millisecond timeouts
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
      if (c->state == CS_TCP || c->state == CS_SIGNIN_TCP) {
        if (e & (EPOLLOUT | EPOLLERR | EPOLLHUP)) on_tcp_connected(c);
        continue;
      }
      if (e & (EPOLLIN | EPOLLERR | EPOLLHUP | EPOLLRDHUP)) on_readable(c);
      // Not when the read just finished a sign-in and opened the WebSocket's socket (CS_TCP):
      // this event was the old socket's, and flush() would stop waiting for the new one's
      // connect (EPOLLOUT).
      if (c->fd >= 0 && (e & EPOLLOUT) && c->state != CS_TCP) flush(c);
    }
    if (!connect_done) pump_connects(now_us());
  }
}

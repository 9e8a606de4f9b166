// Worker: bytes in and out of the sockets, and WebSocket frames. Reads are edge-triggered
// into one 1 MiB buffer per worker and parsed in place.
#include <sys/epoll.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "clock.hpp"
#include "worker.hpp"
#include "ws_frame.hpp"
#include "ws_handshake.hpp"

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

bool Worker::send_frame(Conn* c, uint8_t op, const char* p, size_t n) {
  char stack[1024];
  std::string heap;
  char* f = stack;
  size_t need = ws_frame_bound(n);
  if (need > sizeof stack) {
    heap.resize(need);
    f = heap.data();
  }
  size_t len = ws_encode_masked(f, op, p, n, uint32_t(rng.next() >> 16));
  return write_raw(c, f, len);
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
      if (r == 0 && c->state == CS_SIGNIN) {  // an answer without a length ends at close
        on_sign_in_response(c, buf.get(), L, true, now_us());
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

// n bytes received (after what was left over last time): the sign-in answer (chat), the
// upgrade response while the handshake is on, then whole frames; an incomplete tail is kept
// in c->in.
void Worker::process(Conn* c, const char* d, size_t n, uint64_t now) {
  if (c->state == CS_SIGNIN) {
    on_sign_in_response(c, d, n, false, now);
    return;
  }
  size_t off = 0;
  if (c->state == CS_HTTP) {
    UpgradeCheck u = check_upgrade_response(d, n, c->accept);
    if (u.kind == UpgradeCheck::INCOMPLETE) {
      c->in.assign(d, n);
      return;
    }
    if (u.kind == UpgradeCheck::FAILED) {
      fail(c, u.error);
      return;
    }
    c->state = CS_EIO;
    off = u.consumed;
  }
  while (n - off >= 2) {
    WsFrameHeader h;
    if (!ws_decode_header(d + off, n - off, h)) break;
    if (h.masked) {
      closed(c, "protocol: masked frame from server");
      return;
    }
    if (h.payload_len > (1ull << 30)) {
      closed(c, "protocol: absurd frame length");
      return;
    }
    if (n - off < h.header_len + h.payload_len) break;
    const char* p = d + off + h.header_len;
    off += h.header_len + size_t(h.payload_len);
    if (!on_frame(c, h.op, h.fin, p, size_t(h.payload_len), now)) return;
  }
  if (off < n) c->in.assign(d + off, n - off);
}

// One complete frame; false when the connection is gone.
bool Worker::on_frame(Conn* c, uint8_t op, bool fin, const char* p, size_t len, uint64_t now) {
  switch (op) {
    case 0x1:
    case 0x2:
      if (fin) on_message(c, p, len, now);
      else {
        c->in_frag = true;
        c->frag.assign(p, len);
      }
      break;
    case 0x0:
      if (!c->in_frag) {
        closed(c, "protocol: stray continuation frame");
        return false;
      }
      c->frag.append(p, len);
      if (fin) {
        c->in_frag = false;
        std::string whole;
        whole.swap(c->frag);
        on_message(c, whole.data(), whole.size(), now);
      }
      break;
    case 0x8:
      send_frame(c, 0x8, p, std::min<size_t>(len, 2));
      closed(c, "server sent websocket close");
      return false;
    case 0x9:
      send_frame(c, 0xA, p, len);
      break;
    default:
      break;
  }
  return c->fd >= 0;
}

// Worker: Engine.IO and Socket.IO packets (one per WebSocket text message): the open and
// connect steps of the handshake, pings, and events and acks, which go to the scenario
// (on_event for fanout; on_chat_event and on_ack for chat).
#include <algorithm>
#include <string>

#include "worker.hpp"

void Worker::on_joined(Conn* c, uint64_t now) {
  c->state = CS_CONNECTED;
  inflight--;
  conn_time.record(now - c->t_start);
  if (!first_connected) first_connected = now;
  last_connected = now;
  pub.last_connected.store(now, std::memory_order_relaxed);
  bump(pub.connected);
}

void Worker::on_message(Conn* c, const char* p, size_t n, uint64_t now) {
  if (n == 0) {
    recv_other++;
    return;
  }
  switch (p[0]) {
    case '4':  // Socket.IO packet: 40 connect, 41 disconnect, 42 event, 43 ack, 44 connect_error
      if (n >= 2) {
        if (p[1] == '2') {
          if (c->chat) on_chat_event(c, p, n, now);
          else on_event(c, p, n, now);
          return;
        }
        if (p[1] == '3') {
          if (c->chat) on_ack(c, p, n, now);
          else recv_other++;
          return;
        }
        if (p[1] == '0') {
          // chat: connected, but its rooms come with the "ready" event (chat_traffic.cpp)
          if (c->state == CS_JOIN) {
            if (c->chat) c->state = CS_READY;
            else on_joined(c, now);
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
    case '2':  // Engine.IO ping
      pings++;
      send_frame(c, 0x1, "3", 1);
      return;
    case '0':  // Engine.IO open
      if (c->state == CS_EIO) {
        c->state = CS_JOIN;
        send_frame(c, 0x1, "40", 2);
      }
      return;
    case '1':
      note_error("server sent engine.io close");
      return;
    case '6':  // Engine.IO noop
      return;
    default:
      recv_other++;
  }
}

// Worker: the chat scenario's sign-in, before the WebSocket. POST /api/session on a connection
// of its own (the first sign-in of an unused name creates the user), the chat_session cookie
// from the answer, then the WebSocket with that cookie (begin_websocket). At most
// max_sign_ins at once per worker: the servers hash the password with a slow KDF (chatd:
// argon2id on 2 threads with a short queue, the Node peer: scrypt), and a burst would only
// queue there or be refused. A 503 (chatd: too many sign-ins waiting for hashing) is tried
// again after its Retry-After, on the same slot; anything else that is not 200/201 with a
// chat_session cookie fails the client (and so the run: nothing is sent unless every user is
// connected).
#include <unistd.h>

#include <algorithm>

#include "sign_in.hpp"
#include "worker.hpp"

void Worker::begin_sign_in(Conn* c, uint64_t now) {
  ChatConn& ch = *c->chat;
  if (ch.sign_in_attempts++ == 0) {
    sign_ins++;
    ch.sign_in_start = now;
  }
  c->t_start = now;
  c->state = CS_SIGNIN_TCP;
  if (open_socket(c) == 1) on_tcp_connected(c);
}

void Worker::send_sign_in(Conn* c) {
  const std::string name = "b" + cfg.run_tag + "-" + std::to_string(c->gid);
  const Target& t = cfg.target_for(c->gid);  // the WebSocket goes to the same target
  std::string req = sign_in_request(t.host, t.port, name, "pw-" + name + "-bench");
  c->state = CS_SIGNIN;
  set_out(c, false);
  write_raw(c, req.data(), req.size());
}

void Worker::on_sign_in_response(Conn* c, const char* d, size_t n, bool eof, uint64_t now) {
  SignInAnswer a = read_sign_in_answer(d, n, eof);
  if (a.kind == SignInAnswer::INCOMPLETE) {
    c->in.assign(d, n);
    return;
  }
  if (a.kind == SignInAnswer::BAD) {
    fail(c, a.error);
    return;
  }
  close(c->fd);  // one request per connection ("Connection: close")
  c->fd = -1;
  c->in.clear();
  c->out.clear();
  ChatConn& ch = *c->chat;
  if (a.status == 503 && ch.sign_in_attempts < 50) {
    c->state = CS_SIGNIN_WAIT;
    ch.retry_at = now + uint64_t(std::clamp(a.retry_after_s, 0.2, 5.0) * 1e6);
    sign_in_waiting.push_back(c);
    chat.sign_in_retries++;
    return;
  }
  if (a.status != 200 && a.status != 201) {
    fail(c, "sign-in: HTTP " + std::to_string(a.status) + (a.error.empty() ? "" : " " + a.error));
    return;
  }
  if (a.cookie.empty()) {
    fail(c, "sign-in: HTTP " + std::to_string(a.status) + " without a chat_session cookie");
    return;
  }
  ch.cookie = a.cookie;
  sign_ins--;
  chat.sign_in_time.record(now - ch.sign_in_start);
  begin_websocket(c, now);
}

// Clients whose Retry-After has passed sign in again (those that timed out meanwhile have
// failed already and are dropped from the list).
void Worker::retry_sign_ins(uint64_t now) {
  std::vector<Conn*> still;
  for (Conn* c : sign_in_waiting) {
    if (c->state != CS_SIGNIN_WAIT) continue;
    if (c->chat->retry_at <= now) begin_sign_in(c, now);
    else still.push_back(c);
  }
  sign_in_waiting.swap(still);
}

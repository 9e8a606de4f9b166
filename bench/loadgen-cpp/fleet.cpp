#include "fleet.hpp"

#include <algorithm>
#include <cmath>

Fleet::Fleet(const Config& cfg) {
  const int C = cfg.clients, S = cfg.senders, T = cfg.threads;
  for (int i = 0; i <= T; i++) workers.push_back(std::make_unique<Worker>(i, i == 0, cfg, control));
  conns.resize(size_t(C));
  for (int gid = 0; gid < C; gid++) {
    conns[size_t(gid)] = std::make_unique<Conn>();
    Conn* c = conns[size_t(gid)].get();
    c->gid = uint32_t(gid);
    if (cfg.chat()) {
      c->chat = std::make_unique<ChatConn>();
      c->chat->room_index = uint32_t(gid % cfg.rooms);  // senders 0..S-1 spread over the rooms too
    }
    Worker* w = gid < S ? workers[0].get() : workers[size_t(1 + (gid - S) % T)].get();
    w->conns.push_back(c);
  }
  // fanout: one counter per client and sender (memory); chat checks the room's seq instead
  const bool seq_check = S <= 4096 && !cfg.chat();
  for (auto& w : workers) {
    if (seq_check) {
      w->seq_store.assign(w->conns.size() * size_t(S), 0);
      for (size_t i = 0; i < w->conns.size(); i++) w->conns[i]->last_seq = w->seq_store.data() + i * size_t(S);
    }
    double share = double(w->conns.size()) / C;
    w->rate_share = std::max(1e-3, cfg.connect_rate * share);
    w->max_pending = std::max(1, int(std::ceil(cfg.max_pending * share)));
    w->max_sign_ins = std::max(1, int(std::ceil(cfg.max_sign_ins * share)));
    if (w->conns.empty()) w->connect_done = true;
  }
  if (cfg.chat()) workers[0]->plan_chat_sends();
  else workers[0]->plan_fanout_sends();
  control.tl_secs = int(std::ceil(cfg.warmup + cfg.duration + cfg.drain)) + 30;
}

void Fleet::start() {
  for (auto& w : workers) {
    Worker* wp = w.get();
    wp->th = std::thread([wp] { wp->run(); });
  }
}

void Fleet::stop() {
  control.stop.store(true);
  for (auto& w : workers)
    if (w->th.joinable()) w->th.join();
}

uint64_t Fleet::sum(std::atomic<uint64_t> Pub::*field) const {
  uint64_t s = 0;
  for (auto& w : workers) s += (w->pub.*field).load(std::memory_order_relaxed);
  return s;
}

uint64_t Fleet::last_connected() const {
  uint64_t lc = 0;
  for (auto& w : workers) lc = std::max(lc, w->pub.last_connected.load());
  return lc;
}

std::map<std::string, uint64_t> Fleet::merged_errors() const {
  std::map<std::string, uint64_t> e;
  for (auto& w : workers)
    for (auto& [k, v] : w->errors) e[k] += v;
  return e;
}

std::vector<pid_t> Fleet::thread_ids() const {
  std::vector<pid_t> ids;
  for (auto& w : workers) ids.push_back(w->tid.load());
  return ids;
}

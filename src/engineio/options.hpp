#pragma once
#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace dchat::engineio {

struct Options {
  std::chrono::milliseconds ping_interval{25000};
  std::chrono::milliseconds ping_timeout{20000};
  uint64_t max_payload = 1000000;
  size_t max_outbox_packets = 4096;
  size_t max_outbox_bytes = 8u << 20;
  std::vector<std::string> allowed_origins;  // "*" allows any
  size_t max_sessions = 10000;               // open sessions in all
  size_t max_sessions_per_client = 256;      // open sessions of one client (HandshakeInfo::client_key)
  // This replica's session tag (the start of every session id it hands out) and the key a
  // forwarded request must carry (see forwarding.hpp). Empty: untagged ids, nothing forwarded.
  std::string session_tag;
  std::string forward_key;
};

}  // namespace dchat::engineio

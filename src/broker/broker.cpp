// The channel naming rule shared by every Broker implementation (see broker.hpp).
#include "broker/broker.hpp"

namespace dchat::broker {

bool valid_channel(std::string_view channel) {
  if (channel.empty() || channel.size() > 120) return false;
  for (char c : channel) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

}  // namespace dchat::broker

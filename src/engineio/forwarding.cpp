#include "engineio/forwarding.hpp"

#include "core/random_id.hpp"

namespace dchat::engineio {

ForwardingIdentity ForwardingIdentity::generate() {
  // 6 random bytes are exactly kSessionTagLength URL-safe base64 characters; the key is 256 bits.
  static_assert(kSessionTagLength == 8);
  return {core::random_id(6), core::random_id(32)};
}

}  // namespace dchat::engineio

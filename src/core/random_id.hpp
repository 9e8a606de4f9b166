#pragma once
// Unguessable identifiers (Engine.IO session ids, Socket.IO socket ids, tokens) from libsodium's
// CSPRNG, encoded as URL-safe base64 without padding.
#include <cstddef>
#include <string>

namespace dchat::core {

// `bytes` random bytes (16 = 128 bits by default), URL-safe base64 encoded.
std::string random_id(size_t bytes = 16);

}  // namespace dchat::core

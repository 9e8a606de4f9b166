#include "core/random_id.hpp"

#include <sodium.h>

#include <cstring>
#include <stdexcept>

namespace dchat::core {

namespace {

// libsodium's randombytes_buf() costs a getrandom() system call per call, and every connection
// needs two ids. Each thread instead keeps a ChaCha20 key drawn once from the OS and takes ids
// from its keystream, with a fresh nonce per call (libsodium's own stream cipher, so nothing
// cryptographic is hand-written here). Rekeyed well before the nonce counter could repeat.
struct ThreadRandom {
  unsigned char key[crypto_stream_chacha20_ietf_KEYBYTES];
  uint64_t counter = 0;

  ThreadRandom() { rekey(); }
  void rekey() {
    static const bool initialized = [] {
      if (sodium_init() < 0) throw std::runtime_error("libsodium failed to initialize");
      return true;
    }();
    (void)initialized;
    randombytes_buf(key, sizeof key);
    counter = 0;
  }
  void fill(unsigned char* out, size_t n) {
    if (++counter == (uint64_t{1} << 40)) rekey();
    unsigned char nonce[crypto_stream_chacha20_ietf_NONCEBYTES] = {};
    std::memcpy(nonce, &counter, sizeof counter);
    crypto_stream_chacha20_ietf(out, n, nonce, key);
  }
};

thread_local ThreadRandom t_random;

}  // namespace

std::string random_id(size_t bytes) {
  unsigned char raw[64];
  if (bytes > sizeof raw) bytes = sizeof raw;
  t_random.fill(raw, bytes);
  const int variant = sodium_base64_VARIANT_URLSAFE_NO_PADDING;
  std::string out(sodium_base64_encoded_len(bytes, variant), '\0');
  sodium_bin2base64(out.data(), out.size(), raw, bytes, variant);
  out.resize(out.size() - 1);  // sodium writes a terminating NUL
  return out;
}

}  // namespace dchat::core

#pragma once
// Account secrets: password hashing (argon2id via libsodium) and session tokens (256 random
// bits; only their SHA-256 is ever stored). Name rules are in chat/name_rules.hpp.
#include <string>
#include <string_view>

#include "chat/name_rules.hpp"

namespace dchat::chat {

// Passwords: 1-256 bytes. Hashing takes ~50-100 ms and 64 MiB on purpose: call it on the
// PasswordHasher's pool (password_hasher.hpp), never on an I/O thread or a store worker.
bool password_acceptable(std::string_view password);
std::string hash_password(std::string_view password);
bool verify_password(const std::string& hash, std::string_view password);

// A new session token for the cookie, and the hash under which the store keeps it.
std::string new_session_token();
std::string token_hash(std::string_view token);

}  // namespace dchat::chat

#pragma once
// Attachment ids: 16 random bytes from libsodium (128 bits: not guessable, and never reused by
// chance), as URL-safe base64 without padding (22 characters of A-Z a-z 0-9 - _), so an id is
// safe in a URL path and in messages.attachments' text (store/message_rows.hpp).
#include <string>
#include <string_view>

namespace dchat::chat {

inline constexpr size_t kAttachmentIdBytes = 16;
inline constexpr size_t kAttachmentIdChars = 22;

// A new random id. Calls sodium_init() itself if nobody did.
std::string new_attachment_id();
// True when `id` has exactly the shape new_attachment_id() makes.
bool is_attachment_id(std::string_view id) noexcept;

}  // namespace dchat::chat

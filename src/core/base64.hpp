#pragma once
// Base64 (standard alphabet, padded) as Engine.IO's polling transport uses it for binary
// packets. A thin wrapper over libsodium's codec, so no hand-written base64 lives here.
#include <optional>
#include <string>
#include <string_view>

namespace dchat::core {

std::string base64_encode(std::string_view bytes);
// nullopt when the input is not valid padded base64.
std::optional<std::string> base64_decode(std::string_view text);

}  // namespace dchat::core

#pragma once
// Process-wide logging setup: one line per event on stdout, JSON lines when asked.
#include <string_view>

namespace dchat::core {

// level: trace|debug|info|warn|error|off; format: text|json. Returns false on a bad level.
bool setup_logging(std::string_view level, std::string_view format);

}  // namespace dchat::core
